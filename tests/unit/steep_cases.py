"""The synthetic ramps of the steep-slope tests, shared by tests/unit and tests/qgis.

``make_utm_case`` builds what the ``utm_case`` fixture (tests/conftest.py) gives: a DEM whose
elevation depends on one axis only, so its Horn slope is known analytically (see
tests/unit/test_steep_slope.py), with a county, two 乡镇 and one exclusion around it.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely.geometry import Polygon, box

from soil_conservation_plugin.core.steep.inputs import VectorInput

UTM = "EPSG:32651"
X0, Y0, DX = 500000.0, 4800000.0, 30.0
H, W = 90, 140
STEEP_DEG = {(1, 50): 30.0, (80, 120): 25.0, (126, 129): 40.0}  # column ranges [a, b) of ramps


def ramp_increments(width: int, spacing: float, segments: dict) -> np.ndarray:
    inc = np.zeros(width)
    for (a, b), deg in segments.items():
        inc[a:b] = spacing * math.tan(math.radians(deg))
    return inc


def write_dem(path, z, transform, crs, nodata=-9999.0):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(z.astype("float32"), 1)
    return path


def write_layer(path, geoms, crs, **fields):
    gpd.GeoDataFrame(fields, geometry=list(geoms), crs=crs).to_file(path, driver="GPKG")
    return str(path)


def make_utm_case(tmp_path):
    """Projected ramps: 30°, 25° and a narrow 40° stripe, a NoData hole, a county, two 乡镇, one exclusion."""
    inc = ramp_increments(W, DX, STEEP_DEG)
    z = np.tile(np.cumsum(inc) + 100.0, (H, 1))
    z[40:44, 20:24] = -9999.0  # NoData hole inside the 30° ramp
    t = from_origin(X0, Y0, DX, DX)
    dem = write_dem(tmp_path / "dem.tif", z, t, UTM)
    county_geom = Polygon([(X0 + 50, Y0 - 50), (X0 + 4100, Y0 - 200), (X0 + 4000, Y0 - 2600), (X0 + 80, Y0 - 2500)])
    county = write_layer(tmp_path / "county.gpkg", [county_geom], UTM, code=["220521"], name=["通化县"])
    towns = [box(X0, Y0 - 1300, X0 + 5000, Y0), box(X0, Y0 - 3000, X0 + 5000, Y0 - 1300)]
    twn = write_layer(tmp_path / "twn.gpkg", towns, UTM, tcode=["220521100", "220521101"], tname=["快大茂镇", "二密镇"])
    excl_geom = box(X0 + 2500, Y0 - 1000, X0 + 3000, Y0 - 400)
    excl = write_layer(tmp_path / "excl.gpkg", [excl_geom], UTM, kind=["水域"])
    # independent reference
    zz = np.where(z == -9999.0, np.nan, z)
    slope = np.full(z.shape, np.nan)
    gx = (zz[:, 2:] - zz[:, :-2]) / (2 * DX)
    ok = np.isfinite(
        zz[:-2, :-2]
        + zz[:-2, 1:-1]
        + zz[:-2, 2:]
        + zz[1:-1, :-2]
        + zz[1:-1, 1:-1]
        + zz[1:-1, 2:]
        + zz[2:, :-2]
        + zz[2:, 1:-1]
        + zz[2:, 2:]
    )
    slope[1:-1, 1:-1] = np.where(ok, np.degrees(np.arctan(np.abs(gx[1:-1]))), np.nan)
    return {
        "dem": dem,
        "county": VectorInput(county, code_field="code", name_field="name", label="县界"),
        "twn": VectorInput(twn, code_field="tcode", name_field="tname", label="乡镇"),
        "excl": VectorInput(excl, label="水域"),
        "transform": t,
        "slope": slope,
        "county_geom": county_geom,
        "towns": towns,
        "excl_geom": excl_geom,
        "tmp": tmp_path,
    }
