"""Steep slopes on the real DEMs of ../shared/data (skipped where the data is absent)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from scipy import ndimage
from shapely.geometry import box
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.compat import affine_mul
from soil_conservation_plugin.core.common.errors import CancelledError
from soil_conservation_plugin.core.common.feedback import Feedback
from soil_conservation_plugin.core.steep.delineation import SteepOptions, delineate, run_steep_slope
from soil_conservation_plugin.core.steep.inputs import VectorInput

from ..conftest import shared_file
from ..util import gdaldem_slope
from .test_steep_slope import geod_area_ha, geod_cell_area


def county_over(dem_path, tmp_path, inset_cells=3):
    with rasterio.open(dem_path) as src:
        b, t, crs = src.bounds, src.transform, src.crs
    g = box(
        b.left + inset_cells * t.a, b.bottom - inset_cells * t.e, b.right - inset_cells * t.a, b.top + inset_cells * t.e
    )
    path = tmp_path / "county.gpkg"
    gpd.GeoDataFrame({"code": ["220000"]}, geometry=[g], crs=crs).to_file(path, driver="GPKG")
    return VectorInput(str(path), code_field="code", label="county"), g


def test_ne_china_utm_dem_matches_gdaldem(shared_data, tmp_path):
    """Real 90 m UTM DEM, 43 % NoData: same steep cells as gdaldem slope ≥ 2° (same NoData rule), same patches."""
    dem = shared_file(shared_data, "dem_ne_china_90m", "dem.tif")
    county, geom = county_over(dem, tmp_path)
    res = delineate(dem, county, options=SteepOptions(threshold=2.0, min_patch_ha=0))
    ref = gdaldem_slope(dem, tmp_path / "ref.tif")
    with rasterio.open(dem) as src:
        t, crs = src.transform, src.crs.to_string()
    h, w = ref.shape
    rows, cols = np.mgrid[0:h, 0:w]
    inside = (rows >= 3) & (rows < h - 3) & (cols >= 3) & (cols < w - 3)  # the county box, cell-centre rule
    mask = (ref != -9999) & (ref >= 2.0) & inside
    assert mask.sum() > 50
    assert sum(p.cells for p in res.pieces) == mask.sum()
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    assert res.patch_count == n
    rr, cc = np.nonzero(mask)
    assert res.total_ha == pytest.approx(geod_cell_area(t, crs, rr, cc).sum() / 1e4, rel=1e-3)


def test_texas_geographic_dem_areas_on_the_ellipsoid(shared_data, tmp_path):
    """Real 3″ geographic DEM: every patch's area equals its polygon's ellipsoidal (Geod) area."""
    dem = shared_file(shared_data, "dem_texas_3arcsec", "dem.tif")
    county, _ = county_over(dem, tmp_path)
    res = delineate(dem, county, options=SteepOptions(threshold=5.0, min_patch_ha=1.0))
    assert res.patch_count > 0
    with rasterio.open(dem) as src:
        crs = src.crs.to_string()
    for p in res.pieces:
        assert p.geometry.is_valid
        # Geod joins vertices by geodesics while cells are bounded by parallels: 1e-4 covers the difference
        assert geod_area_ha(p.geometry, crs) == pytest.approx(p.area_ha, rel=1e-4, abs=1e-4)
        assert p.area_ha >= 0 and sum(q.area_ha for q in res.pieces if q.parent_id == p.parent_id) >= 1.0 - 1e-4


class CancelAfter(Feedback):
    def __init__(self, n):
        self.n = n

    def cancelled(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_cancel_between_windows_writes_nothing(shared_data, tmp_path):
    dem = shared_file(shared_data, "dem_texas_3arcsec", "dem.tif")
    county, _ = county_over(dem, tmp_path)
    out = tmp_path / "out" / "steep.gpkg"
    with pytest.raises(CancelledError):
        run_steep_slope(
            dem, county, out, options=SteepOptions(threshold=5.0, band_cells=16 * 2000), feedback=CancelAfter(2)
        )
    assert not out.exists()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())  # no partial files


def test_jilin_counties_split_patches_at_county_borders(shared_data, tmp_path):
    """Real county polygons (60 counties, fields adcode/name, EPSG:4326) on a 3″ EPSG:4490 DEM
    across a border of 通化县."""
    import math

    from pyproj import Geod
    from rasterio.transform import from_origin

    from .steep_cases import write_dem

    shp = shared_file(shared_data, "jilin_counties", "jilin_province.shp")
    counties = gpd.read_file(shp)
    thx = counties[counties.adcode.astype(str) == "220521"].geometry.iloc[0]
    c = thx.boundary.interpolate(0.3, normalized=True)
    res_deg, n = 1 / 1200, 120
    west, north = c.x - n * res_deg / 2, c.y + n * res_deg / 2
    t = from_origin(west, north, res_deg, res_deg)
    geod = Geod(ellps="GRS80")
    lat_c = north - (np.arange(n) + 0.5) * res_deg
    # an east-facing 25° ramp in true ground metres on every row
    dxs = np.array([geod.inv(west, la, west + res_deg, la)[2] for la in lat_c])
    z = np.arange(n)[None, :] * (dxs[:, None] * math.tan(math.radians(25))) + 500
    dem = write_dem(tmp_path / "dem.tif", z, t, "EPSG:4490")
    res = delineate(
        dem,
        VectorInput(str(shp), code_field="adcode", name_field="name", label="县界"),
        options=SteepOptions(min_patch_ha=0),
    )
    assert res.threshold.value == 20 and res.threshold.scope.startswith("220000")
    by_county = {}
    for p in res.pieces:
        code = res.counties.codes[p.county - 1]
        assert p.parent_id.startswith(code + "-")
        by_county[code] = by_county.get(code, 0) + p.area_ha
    assert len(by_county) >= 2 and "220521" in by_county
    assert any("outside the DEM" in m for m in res.messages)
    from soil_conservation_plugin.core.steep.outputs import county_table

    table = county_table(res)
    assert {r["county_code"] for r in table[:-1]} == set(by_county)  # only the counties on the DEM
    assert table[-1]["area_ha"] == pytest.approx(sum(by_county.values()), abs=0.01)
    valid = box(
        *affine_mul(t, (1, n - 1)), *affine_mul(t, (n - 1, 1))
    )  # cells with a full 3×3 window: all steep on the ramp
    for code, area in by_county.items():
        geom = unary_union(counties[counties.adcode.astype(str) == code].geometry.values)
        # exact reference: steep cells ∩ county polygon
        # (the polygon is labelled EPSG:4326, the DEM EPSG:4490: same axes here)
        assert area == pytest.approx(geod_area_ha(valid.intersection(geom), "EPSG:4490"), rel=1e-3)
    for p in res.pieces:
        geom = unary_union(counties[counties.adcode.astype(str) == res.counties.codes[p.county - 1]].geometry.values)
        assert p.geometry.difference(geom).area == pytest.approx(0, abs=1e-12)
