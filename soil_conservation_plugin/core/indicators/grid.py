"""A raster's grid (transform, size, CRS, NoData), checked as a DEM is, and how its bands are read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rasterio
from pyproj import CRS
from rasterio.transform import Affine

from ..common.crs import check_ground_crs, row_spacing
from ..common.errors import InputError
from ..common.input_checks import check_geographic_extent, check_raster
from ..terrain.dem import open_dem

BAND_CELLS = 1 << 24


@dataclass
class Grid:
    transform: Affine
    width: int
    height: int
    crs: CRS
    rio_crs: rasterio.crs.CRS | None = None
    nodata: float | None = None

    def key(self):
        return (tuple(round(v, 9) for v in self.transform[:6]), self.width, self.height, self.crs.to_wkt())

    def row_area(self, row0: int, row1: int) -> np.ndarray:
        dx, dy = row_spacing(self.crs, self.transform, np.arange(row0, row1))
        return np.asarray(dx * dy, dtype=np.float64)

    def band_rows(self) -> int:
        return int(max(16, min(self.height, BAND_CELLS // max(1, self.width))))


def open_grid(path, layer: str, crs_cache: dict | None = None) -> Grid:
    """The raster's grid, checked as open_dem does (readable, a ground CRS, north-up); nodata in grid.nodata.

    ``crs_cache``: WKT → checked pyproj CRS, shared by the rasters of one run (parsing and checking a
    CRS takes milliseconds, and the rasters of a run mostly share one)."""
    if crs_cache is None:
        r = open_dem(path, layer, require_data=False, window=False)
        grid = Grid(r.transform, r.width, r.height, r.crs, r.rio_crs)
        grid.nodata = r.nodata
        return grid
    check_raster(path, layer)
    try:
        src = rasterio.open(str(path))
    except Exception as exc:  # the same words as open_dem
        raise InputError(layer, f"无法读取栅格文件 {path}: {exc}", f"cannot read raster {path}: {exc}") from exc
    with src:
        wkt = src.crs.to_wkt() if src.crs else ""
        crs = crs_cache.get(wkt) if wkt else None
        if crs is None:
            crs = check_ground_crs(src.crs, layer)
            crs_cache[wkt] = crs
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise InputError(
                layer, "栅格带旋转参数，请先重采样为正北方向", "raster is rotated; resample it north-up first"
            )
        check_geographic_extent(crs, tuple(src.bounds), layer)
        grid = Grid(t, src.width, src.height, crs, src.crs)
        grid.nodata = src.nodata
        return grid


def read_env():
    """GDAL settings for whole-band reads. Uncompressed GeoTIFFs are read straight into the array,
    not tile by tile through the block cache (which allocates every tile anew: 2–3× slower on a
    16 M-cell band); other formats ignore it. rasterio sets it thread-locally off the main thread."""
    return rasterio.Env(GTIFF_DIRECT_IO="YES")
