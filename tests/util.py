"""Small helpers for building real GeoTIFFs in tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import rasterio


def write_raster(path, array, crs, transform, nodata=-9999.0, dtype=None) -> Path:
    array = np.asarray(array)
    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": dtype or array.dtype.name,
        "crs": crs,
        "transform": transform,
        "nodata": nodata,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(array.astype(profile["dtype"]), 1)
    return Path(path)


def read_raster(path):
    with rasterio.open(path) as src:
        return src.read(1), src.profile


def gdaldem_slope(dem, out, *extra) -> np.ndarray:
    subprocess.run(["gdaldem", "slope", "-q", *extra, str(dem), str(out)], check=True)
    return read_raster(out)[0]
