"""Opening and checking a DEM, and reading it in overlapping row windows.

Windows are full-width row bands with a one-row halo above and below, so a
3×3 kernel sees true neighbours across band edges and memory stays bounded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import rasterio
from pyproj import CRS
from rasterio.transform import Affine
from rasterio.windows import Window

from ..common.crs import check_ground_crs, row_spacing
from ..common.errors import InputError
from ..common.input_checks import check_dem_size, check_geographic_extent, check_raster

if TYPE_CHECKING:
    from pyproj import CRS

# ~16 M cells per band keeps the float32 working set near 64 MB whatever the DEM size.
DEFAULT_BAND_CELLS = 1 << 24


@dataclass
class Dem:
    path: Path
    layer: str
    crs: CRS
    rio_crs: rasterio.crs.CRS
    transform: Affine
    width: int
    height: int
    nodata: float | None
    dtype: str

    @property
    def geographic(self) -> bool:
        return bool(self.crs.is_geographic)

    def spacing(self, rows) -> tuple[np.ndarray, np.ndarray]:
        return row_spacing(self.crs, self.transform, rows)

    def band_rows(self, band_cells: int = DEFAULT_BAND_CELLS) -> int:
        return int(max(16, min(self.height, band_cells // max(1, self.width))))

    def read_rows(self, src, row0: int, row1: int) -> np.ndarray:
        """Rows [row0, row1) as float32 with NaN for NoData; rows outside the raster are NaN.

        float32 keeps the working set small; elevations need no more (1 mm at 10 km).
        """
        lo, hi = max(0, row0), min(self.height, row1)
        out = np.full((row1 - row0, self.width), np.nan, dtype=np.float32)
        if hi > lo:
            block = out[lo - row0 : hi - row0]
            src.read(1, window=Window(0, lo, self.width, hi - lo), out=block, out_dtype=np.float32)
            if self.nodata is not None and not np.isnan(self.nodata):
                block[block == np.float32(self.nodata)] = np.nan
            else:
                # a mask band or per-dataset mask may still mark invalid cells
                mask = src.read_masks(1, window=Window(0, lo, self.width, hi - lo))
                block[mask == 0] = np.nan
        return out

    def bands(self, src, band_cells: int = DEFAULT_BAND_CELLS):
        """Yield (row0, row1, z) where z holds rows row0-1 .. row1 (one-row halo each side)."""
        step = self.band_rows(band_cells)
        for row0 in range(0, self.height, step):
            row1 = min(self.height, row0 + step)
            yield row0, row1, self.read_rows(src, row0 - 1, row1 + 1)


def open_dem(path, layer: str = "DEM", require_data: bool = True, window: bool = True) -> Dem:
    """Open and check a raster before any work: local (no network source), complete, a ground-capable
    CRS with coordinates in range, no rotation, some data; ``window``: at least one 3×3 window.

    Any grid the plugin measures on (DEM, erosion, land use, FVC) goes through here.
    """
    check_raster(path, layer)
    path = Path(path)
    try:
        src = rasterio.open(path)
    except Exception as exc:  # rasterio raises RasterioIOError and friends
        raise InputError(layer, f"无法读取栅格文件 {path}: {exc}", f"cannot read raster {path}: {exc}") from exc
    with src:
        crs = check_ground_crs(src.crs, layer)
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise InputError(
                layer, "栅格带旋转参数，请先重采样为正北方向", "raster is rotated; resample it north-up first"
            )
        check_geographic_extent(crs, tuple(src.bounds), layer)
        if window:
            check_dem_size(src.width, src.height, layer)
        dem = Dem(path, layer, crs, src.crs, t, src.width, src.height, src.nodata, src.dtypes[0])
        if require_data and not _has_valid_cell(dem, src):
            raise InputError(layer, "DEM 全部为无数据(NoData)值", "the DEM holds only NoData cells")
    return dem


def _has_valid_cell(dem: Dem, src) -> bool:
    step = dem.band_rows()
    for row0 in range(0, dem.height, step):
        block = dem.read_rows(src, row0, min(dem.height, row0 + step))
        if np.isfinite(block).any():
            return True
    return False
