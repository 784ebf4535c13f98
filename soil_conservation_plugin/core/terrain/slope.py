"""Slope in degrees, in true ground units (Horn 1981, the method of `gdaldem slope`).

Rule for NoData and edges (the same as gdaldem without -compute_edges): a cell
gets a slope only when all nine cells of its 3×3 window are valid. Cells on the
raster edge or next to NoData get NoData; no slope is invented there.

On a geographic DEM the east-west differences of each row use that row's own
ground spacing (prime-vertical radius × cos φ × Δλ), and north-south ones the
meridional radius × Δφ, so slope is right at every latitude.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numba
import numpy as np
import rasterio

from ..common.feedback import Feedback
from ..common.io import atomic_path
from .dem import DEFAULT_BAND_CELLS, Dem, open_dem

SLOPE_NODATA = -9999.0
GENTLE = 0.0  # with skip_below_deg: a valid cell certainly below the threshold (slope not computed)
# relative margin on tan²: wide enough that no cell near the threshold skips its arctangent
SKIP_MARGIN = 1e-4
GDAL_CACHE_BYTES = 256 << 20


@numba.njit(parallel=True, cache=True)
def _horn_kernel(z, dx, dy, tan2, out):  # pragma: no cover - compiled
    """z: (h+2, w) with halo rows; dx, dy: (h+2,) ground spacing per z row; out: (h, w) float32.

    Cells whose squared gradient is below ``tan2`` get GENTLE instead of their slope: the
    arctangent, most of the cost, is skipped (tan2 = 0 computes every cell).
    """
    h, w = out.shape
    rad2deg = 180.0 / np.pi
    for r in numba.prange(h):
        zr = r + 1
        inv_t = 1.0 / (2.0 * dx[zr - 1])
        inv_m = 1.0 / (2.0 * dx[zr])
        inv_b = 1.0 / (2.0 * dx[zr + 1])
        inv_y = 1.0 / (8.0 * dy[zr])
        out[r, 0] = SLOPE_NODATA
        out[r, w - 1] = SLOPE_NODATA
        for c in range(1, w - 1):
            a = z[zr - 1, c - 1]
            b = z[zr - 1, c]
            cc = z[zr - 1, c + 1]
            d = z[zr, c - 1]
            f = z[zr, c + 1]
            g = z[zr + 1, c - 1]
            hh = z[zr + 1, c]
            i = z[zr + 1, c + 1]
            e = z[zr, c]
            s = a + b + cc + d + e + f + g + hh + i
            if s != s:  # any NaN in the window
                out[r, c] = SLOPE_NODATA
                continue
            gx = ((cc - a) * inv_t + 2.0 * (f - d) * inv_m + (i - g) * inv_b) * 0.25
            gy = ((g + 2.0 * hh + i) - (a + 2.0 * b + cc)) * inv_y
            g2 = gx * gx + gy * gy
            if g2 < tan2:
                out[r, c] = GENTLE
            else:
                out[r, c] = np.arctan(np.sqrt(g2)) * rad2deg
    if w < 3:
        for r in range(h):
            for c in range(w):
                out[r, c] = SLOPE_NODATA


def slope_block(z: np.ndarray, dx: np.ndarray, dy: np.ndarray, skip_below_deg: float | None = None) -> np.ndarray:
    """Slope (float32 degrees, SLOPE_NODATA where undefined) of z without its two halo rows.

    With ``skip_below_deg`` (the steep-slope threshold) cells certainly gentler than it get
    GENTLE (0) instead of their slope; every cell that can reach it keeps its exact value, so
    ``out >= threshold`` is the full computation's mask except within ~1e-4° of the threshold.
    """
    if skip_below_deg is None:
        tan2 = 0.0
    elif skip_below_deg >= 90.0:
        tan2 = math.inf
    else:
        tan2 = math.tan(math.radians(skip_below_deg)) ** 2 * (1.0 - SKIP_MARGIN)
    z = np.ascontiguousarray(z, dtype=np.float32)
    out = np.empty((z.shape[0] - 2, z.shape[1]), dtype=np.float32)
    _horn_kernel(z, np.ascontiguousarray(dx, np.float64), np.ascontiguousarray(dy, np.float64), tan2, out)
    return out


def slope_bands(dem: Dem, feedback: Feedback | None = None, band_cells: int = DEFAULT_BAND_CELLS):
    """Yield (row0, row1, slope) bands over the whole DEM; progress 0–100 and cancel between bands."""
    feedback = feedback or Feedback()
    # GDAL's default block cache (5 % of RAM) would hold most of a large DEM; bands need far less.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), rasterio.open(dem.path) as src:
        for row0, row1, z in dem.bands(src, band_cells):
            feedback.check()
            dx, dy = dem.spacing(np.arange(row0 - 1, row1 + 1))
            yield row0, row1, slope_block(z, dx, dy)
            feedback.progress(100.0 * row1 / dem.height)


@dataclass
class SlopeStats:
    valid_cells: int = 0
    min: float = float("inf")
    max: float = float("-inf")
    sum: float = 0.0
    extra: dict = field(default_factory=dict)

    def add(self, block: np.ndarray) -> None:
        valid = block[block != SLOPE_NODATA]
        if valid.size:
            self.valid_cells += int(valid.size)
            self.min = min(self.min, float(valid.min()))
            self.max = max(self.max, float(valid.max()))
            self.sum += float(valid.sum(dtype=np.float64))

    @property
    def mean(self) -> float:
        return self.sum / self.valid_cells if self.valid_cells else float("nan")

    def as_dict(self) -> dict:
        return {"valid_cells": self.valid_cells, "min_deg": self.min, "max_deg": self.max, "mean_deg": self.mean}


def slope_profile(dem: Dem) -> dict:
    """GeoTIFF profile for a float32 slope raster on the DEM grid."""
    return {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "width": dem.width,
        "height": dem.height,
        "crs": dem.rio_crs,
        "transform": dem.transform,
        "nodata": SLOPE_NODATA,
        "BIGTIFF": "IF_SAFER",
    }


def compute_slope(
    dem_path, out_path, feedback: Feedback | None = None, layer: str = "DEM", band_cells: int = DEFAULT_BAND_CELLS
) -> SlopeStats:
    """Write the slope of ``dem_path`` (degrees, float32) to ``out_path`` atomically."""
    feedback = feedback or Feedback()
    dem = open_dem(dem_path, layer)
    spacing = "geographic: per-row ellipsoidal spacing" if dem.geographic else "projected"
    feedback.info(f"DEM {dem.width}×{dem.height}, {spacing} ({dem.crs.name})")
    stats = SlopeStats()
    with atomic_path(out_path) as tmp, rasterio.open(tmp, "w", **slope_profile(dem)) as dst:
        for row0, row1, block in slope_bands(dem, feedback, band_cells):
            dst.write(block, 1, window=rasterio.windows.Window(0, row0, dem.width, row1 - row0))
            stats.add(block)
        dst.update_tags(UNITS="degree", METHOD="Horn 1981, ground units", NODATA_RULE="full 3x3 window required")
    return stats
