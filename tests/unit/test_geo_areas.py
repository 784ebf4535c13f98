"""One polygon, the same hectares in every table (issue 15: one geo toolkit used everywhere).

A polygon with a hole, given once in CGCS2000 / 3° Gauss-Krüger zone 40 (EPSG:4528) and once in
CGCS2000 geographic (EPSG:4490), goes through the steep-slope tables, the indicators, the checks
and the export package's area table. Each must give, to 1e-6 relative, the geodesic area that
pyproj Geod on the CGCS2000 ellipsoid (a, 1/f as the CRS defines them) computes here.

The polygon straddles the zone's central meridian (120°E), where straight map edges and geodesic
edges coincide to ~1e-9, so the steep-slope cells and strips measure the same region as the
geodesic polygon.
"""

from __future__ import annotations

import csv
import math

import geopandas as gpd
import numpy as np
import pytest
from osgeo import ogr
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import Polygon
from shapely.geometry.polygon import orient

from soil_conservation_plugin.core.checks.inputs import read_vector
from soil_conservation_plugin.core.checks.quality import CheckOptions, run_checks
from soil_conservation_plugin.core.common.compat import transform_xy
from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.geo import AreaCalc, geod_for
from soil_conservation_plugin.core.export import package as ex
from soil_conservation_plugin.core.indicators import compute as ind
from soil_conservation_plugin.core.steep.delineation import SteepOptions, run_steep_slope
from soil_conservation_plugin.core.steep.inputs import VectorInput, Zones, polygon_area_ha

from .checks_layers import write_layer as write_ogr_layer
from .test_export import STEEP, write_source
from .test_steep_slope import write_dem, write_layer

GK = 4528  # CM 120°E, false easting 40 500 000 m
CX, CY = 40_500_000.0, 4_430_000.0  # on the central meridian, ≈ 40°N
REL = 1e-6

SHELL = [(-3917.3, -2711.9), (4188.6, -3024.4), (4420.2, 2231.7), (-504.8, 3377.1), (-4096.5, 1412.3)]
HOLE = [(-1003.1, -498.7), (-1121.4, 702.2), (797.9, 613.5), (905.2, -580.8)]
POLY_GK = Polygon([(CX + x, CY + y) for x, y in SHELL], [[(CX + x, CY + y) for x, y in HOLE]])
_TO_4490 = Transformer.from_crs(GK, 4490, always_xy=True)
POLY_GEO = transform_xy(_TO_4490.transform, POLY_GK)  # vertex by vertex, the same geodesic polygon
CASES = {"EPSG:4528": (GK, POLY_GK), "EPSG:4490": (4490, POLY_GEO)}


def reference_m2(epsg: int, geom) -> float:
    """Independent: pyproj Geod from the CRS's ellipsoid constants, on the polygon in lon/lat."""
    crs = CRS.from_epsg(epsg)
    ell = crs.ellipsoid
    assert "CGCS2000" in ell.name
    geod = Geod(a=ell.semi_major_metre, rf=ell.inverse_flattening)
    if not crs.is_geographic:
        geom = transform_xy(Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform, geom)
    # geometry_area_perimeter is signed: shell counter-clockwise, holes clockwise
    return abs(geod.geometry_area_perimeter(orient(geom, 1.0))[0])


def test_the_two_polygons_are_one_and_big_enough():
    a_gk, a_geo = reference_m2(GK, POLY_GK), reference_m2(4490, POLY_GEO)
    assert a_gk == pytest.approx(a_geo, rel=1e-12)
    # GRS80 differs from CGCS2000 only in the 11th digit of 1/f
    assert abs(Geod(ellps="GRS80").geometry_area_perimeter(orient(POLY_GEO, 1.0))[0]) == pytest.approx(a_geo, rel=1e-9)
    # large enough that rounding to 0.0001 ha (piece areas, export table) stays far below 1e-6
    assert a_gk > 1e7


@pytest.mark.parametrize("case", CASES)
def test_toolkit_area(case):
    epsg, geom = CASES[case]
    ref = reference_m2(epsg, geom)
    assert AreaCalc(CRS.from_epsg(epsg))(geom) == pytest.approx(ref, rel=REL)
    assert AreaCalc(f"EPSG:{epsg}").ring_areas([np.asarray(geom.exterior.coords)])[0] == pytest.approx(
        reference_m2(epsg, Polygon(geom.exterior)), rel=REL
    )


def test_a_crs_without_ellipsoid_is_refused():
    local = CRS.from_wkt(
        'ENGCRS["local",EDATUM["site"],CS[Cartesian,2],AXIS["x",east,ORDER[1],LENGTHUNIT["metre",1]],'
        'AXIS["y",north,ORDER[2],LENGTHUNIT["metre",1]]]'
    )
    with pytest.raises(InputError) as err:
        AreaCalc(local)
    assert "椭球" in err.value.zh and "ellipsoid" in err.value.en
    with pytest.raises(InputError):
        geod_for(local)


def test_a_sphere_crs_uses_its_sphere():
    sphere = CRS.from_proj4("+proj=longlat +R=6371000 +no_defs +type=crs")
    ref = abs(Geod(a=6371000, b=6371000).geometry_area_perimeter(orient(POLY_GEO, 1.0))[0])
    assert AreaCalc(sphere)(POLY_GEO) == pytest.approx(ref, rel=1e-12)


@pytest.fixture(scope="module")
def steep_dem(tmp_path_factory):
    """A 35° ramp along x in EPSG:4528, 30 m cells, a margin of 1 km around the polygon."""
    d = tmp_path_factory.mktemp("geo_dem")
    x0, y1 = CX - 5100.0, CY + 4400.0
    h, w = 300, 330
    z = np.tile(np.arange(w) * 30.0 * math.tan(math.radians(35.0)) + 100.0, (h, 1))
    return write_dem(d / "dem.tif", z, from_origin(x0, y1, 30.0, 30.0), f"EPSG:{GK}")


# --- (a) steep-slope tables ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_steep_slope_tables(case, steep_dem, tmp_path):
    epsg, geom = CASES[case]
    ref = reference_m2(epsg, geom) / 1e4
    county = VectorInput(
        write_layer(tmp_path / "county.gpkg", [geom], f"EPSG:{epsg}", code=["220521"], name=["通化县"]),
        code_field="code",
        name_field="name",
        label="县界",
    )
    res, paths = run_steep_slope(
        steep_dem, county, tmp_path / "out" / "steep.gpkg", options=SteepOptions(min_patch_ha=0)
    )
    # the whole county is steep: its pieces are the polygon (cells inside + clipped boundary strips)
    assert sum(p.area_ha for p in res.pieces) == pytest.approx(ref, rel=REL)
    with open(paths["county_csv"], encoding="utf-8-sig") as fh:
        county_rows = list(csv.DictReader(fh))
    # the tables are rounded to 0.01 ha
    assert abs(float(county_rows[-1]["area_ha"]) - ref) <= 0.005 + REL * ref
    # the county's own polygon area, behind the DEM-coverage figures (also 0.01 ha)
    assert abs(res.stats["county_coverage"]["220521"]["polygon_ha"] - ref) <= 0.005 + REL * ref
    zones = Zones("县界", codes=["220521"], names=["通化县"], geoms=[(geom, 1)])
    assert polygon_area_ha(zones, CRS.from_epsg(epsg))[1] == pytest.approx(ref, rel=REL)


# --- (b) indicators --------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_indicators(case, steep_dem):
    epsg, geom = CASES[case]
    ref = reference_m2(epsg, geom)
    units = gpd.GeoDataFrame({"unit_code": ["U1"], "unit_name": ["u"]}, geometry=[geom], crs=f"EPSG:{epsg}")
    assert ind.geodesic_areas(units)[0] == pytest.approx(ref, rel=REL)
    gdf, _ = ind.compute_indicators(units, dem=steep_dem, steep_deg=25)
    assert gdf["unit_area_km2"].iloc[0] * 1e6 == pytest.approx(ref, rel=REL)


# --- (c) checks ------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_checks(case, tmp_path):
    epsg, geom = CASES[case]
    ref = reference_m2(epsg, geom)
    path = write_ogr_layer(
        tmp_path / "units.gpkg",
        [(geom, {"unit_code": "U1", "area_km2": round(ref / 1e6, 8)})],
        epsg=epsg,
        fields=[("unit_code", ogr.OFTString), ("area_km2", ogr.OFTReal)],
    )
    result = run_checks(read_vector(path, "units"), CheckOptions(kind="generic"))
    assert result.stats["area_m2"] == pytest.approx(ref, rel=REL)


# --- (d) export package ----------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES)
def test_export_area_table(case, tmp_path):
    epsg, geom = CASES[case]
    ref_ha = reference_m2(epsg, geom) / 1e4
    attrs = dict(STEEP[0][1], area_ha=round(ref_ha, 4))
    src = write_source(tmp_path / "steep.gpkg", [(geom, attrs)], epsg=epsg)
    result = ex.export_package(tmp_path / "pkg", {"steep_slope": src})
    assert result.areas_ha["JZKKDPTB"] == pytest.approx(ref_ha, rel=REL)
    with open(tmp_path / "pkg" / "tables" / "area_by_county.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert float(rows[1][3]) == pytest.approx(ref_ha, rel=REL)  # written with 4 decimals (1 m²)
    # the stored area agreed with the computed one: no "source area differs" warning
    assert not [w for w in result.warnings if "source area differs" in w]
