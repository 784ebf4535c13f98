"""Real inputs recognised (field-name guesses, 三调 地类图斑 burnt on the unit grid) and coverage honesty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import Point, box

from soil_conservation_plugin.core.common.compat import affine_mul
from soil_conservation_plugin.core.common.coverage import (
    cover_note,
    partial_refusal,
    raster_coverage,
    townships_outside,
)
from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.field_names import LayerInfo, code_lengths, guess_inputs, load_field_names
from soil_conservation_plugin.core.indicators.compute import load_landuse_mapping
from soil_conservation_plugin.core.indicators.landuse_vector import burn, code_value, rasterize_dltb

JILIN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "jilin_counties" / "jilin_province.shp"


# --- field names ------------------------------------------------------------------------------
def test_field_names_file_cites_its_sources():
    rules = load_field_names()
    assert rules["version"]
    for role, spec in rules["roles"].items():
        assert spec["sources"] and all(s in rules["sources"] for s in spec["sources"]), role
        assert all(rules["sources"][s]["tag"] in ("V", "S", "M") for s in spec["sources"])


def test_guess_三调_and_国土空间_names():
    layers = [
        LayerInfo("a", ("XZQ", "xzq_county", ""), "polygon", ("BSM", "XZQDM", "XZQMC"), {"XZQDM": {6}}),
        LayerInfo("b", ("XZQ", "xzq_town", ""), "polygon", ("BSM", "XZQDM", "XZQMC"), {"XZQDM": {9}}),
        LayerInfo("c", ("陆域生态保护红线", "三区三线下发版", "陆域生态保护红线"), "polygon", ("HXMC", "HXLX")),
        LayerInfo("d", ("YJJBNTTB", "yjjbnt", ""), "polygon", ("BSM",)),
        LayerInfo("e", ("DLTB", "sd", "DLTB"), "polygon", ("BSM", "DLBM", "DLMC"), {"DLBM": {4}}),
        LayerInfo("f", ("dem", "dem", ""), "raster"),
        LayerInfo("g", ("roads", "roads", ""), "polygon", ("name",)),
    ]
    g = guess_inputs(layers)
    assert (g["county"].key, g["county"].code_field, g["county"].name_field) == ("a", "XZQDM", "XZQMC")
    assert (g["townships"].key, g["townships"].code_field) == ("b", "XZQDM")
    assert g["redline"].key == "c" and g["farmland"].key == "d" and g["dem"].key == "f"
    assert (g["landuse_vector"].key, g["landuse_vector"].code_field, g["landuse_vector"].name_field) == (
        "e",
        "DLBM",
        "DLMC",
    )
    assert "g" not in {x.key for x in g.values()}


def test_guess_demo_names_and_12_digit_townships():
    layers = [
        LayerInfo("c", ("county", "county", "county"), "polygon", ("county_code", "county_name"), {"county_code": {6}}),
        LayerInfo(
            "t",
            ("townships", "townships", "townships"),
            "polygon",
            ("township_code", "township_name", "county_code"),
            {"township_code": {12}},
        ),
        LayerInfo("r", ("生态保护红线", "redline", "生态保护红线"), "polygon", ("name",)),
    ]
    g = guess_inputs(layers)
    assert (g["county"].key, g["county"].code_field, g["county"].name_field) == ("c", "county_code", "county_name")
    assert (g["townships"].key, g["townships"].code_field) == ("t", "township_code")
    assert g["redline"].key == "r"


def test_code_lengths():
    assert code_lengths(["220521", 220521, 220521.0, None, "abc"]) == {6}
    assert code_lengths(["220521100", "220521100000"]) == {9, 12}


@pytest.mark.skipif(not JILIN.is_file(), reason="shared/data/jilin_counties is absent")
def test_guess_real_jilin_layer():
    import geopandas as gpd

    gdf = gpd.read_file(JILIN)
    info = LayerInfo(
        "j",
        ("jilin_province", "jilin_province", ""),
        "polygon",
        tuple(gdf.columns.drop("geometry")),
        {c: code_lengths(gdf[c].head(20)) for c in gdf.columns if c != "geometry"},
    )
    g = guess_inputs([info])
    assert g["county"].key == "j" and g["county"].code_field == "adcode" and g["county"].name_field == "name"


# --- 三调 地类图斑 → raster on the unit grid ---------------------------------------------------
def test_code_values():
    m = load_landuse_mapping()
    tc = m["text_codes"]
    assert code_value("0101", tc) == 101 and code_value("0301", tc) == 301 and code_value("1101", tc) == 1101
    assert code_value("0201K", tc) == 201 and code_value("1104A", tc) == 1104 and code_value("05H1", tc) == 5
    assert code_value("XYZ", tc) is None and code_value(None, tc) is None and code_value(101.0, tc) == 101


def test_mapping_second_level_codes_in_one_group_each():
    m = load_landuse_mapping()
    seen = {}
    for g in m["groups"]:
        for c in g["codes"]:
            assert c not in seen, c
            seen[c] = g["id"]
    assert seen[101] == "cropland" and seen[301] == "forest" and seen[1101] == "water" and seen[702] == "built"
    assert all(int(v) in seen for v in m["text_codes"].values())
    assert m["second_level_tag"] == "M" and "default" in m["source"]


def _dltb():
    import geopandas as gpd

    # irregular 图斑 in a projected CRS, not on cell lines
    polys = [
        box(3.3, 2.7, 41.9, 37.2),
        box(41.9, 2.7, 77.1, 55.5).difference(Point(60, 30).buffer(9)),
        Point(25, 70).buffer(14.2),
        box(80, 60, 95, 95),
    ]
    codes = ["0101", "0301", "1101", "0201K"]
    return gpd.GeoDataFrame(
        {"DLBM": codes, "DLMC": ["水田", "乔木林地", "河流水面", "可调整果园"]}, geometry=polys, crs="EPSG:4530"
    )


def test_burn_is_the_cell_centre_count():
    from rasterio.transform import from_origin

    gdf = _dltb()
    t = from_origin(0, 100, 2.5, 2.5)
    arr, info = burn(gdf, "DLBM", t, 40, 40, gdf.crs, load_landuse_mapping())
    # independent reference: shapely point-in-polygon of every cell centre
    ref = np.zeros((40, 40), np.uint16)
    values = [101, 301, 1101, 201]
    for r in range(40):
        for c in range(40):
            x, y = affine_mul(t, (c + 0.5, r + 0.5))
            for geom, v in zip(gdf.geometry, values):
                if geom.contains(Point(x, y)):
                    ref[r, c] = v
    assert (arr == ref).all()
    for v in values:
        assert np.count_nonzero(arr == v) == np.count_nonzero(ref == v) > 0
    assert info["unknown_codes"] == {}


def test_unknown_codes_are_other_and_listed():
    from rasterio.transform import from_origin

    gdf = _dltb()
    gdf.loc[0, "DLBM"] = "99XX"
    arr, info = burn(gdf, "DLBM", from_origin(0, 100, 2.5, 2.5), 40, 40, gdf.crs, load_landuse_mapping())
    assert info["unknown_codes"] == {"99XX": 1}
    assert np.count_nonzero(arr == 12) > 0 and np.count_nonzero(arr == 101) == 0


def test_missing_field_refused():
    from rasterio.transform import from_origin

    with pytest.raises(InputError, match="DLBM"):
        burn(_dltb().drop(columns="DLBM"), "DLBM", from_origin(0, 100, 1, 1), 4, 4, "EPSG:4530", load_landuse_mapping())


def _tif(path, width, height, transform, crs="EPSG:4530", nodata_cols=0):
    import rasterio

    data = np.ones((height, width), np.float32)
    if nodata_cols:
        data[:, -nodata_cols:] = -9999
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=width,
        height=height,
        count=1,
        dtype="float32",
        crs=crs,
        transform=transform,
        nodata=-9999,
    ) as d:
        d.write(data, 1)
    return path


def test_rasterize_dltb_on_the_dem_grid(tmp_path):
    import rasterio
    from rasterio.transform import from_origin

    gdf = _dltb()
    src = tmp_path / "dltb.gpkg"
    gdf.to_file(src, layer="DLTB", driver="GPKG")
    dem = _tif(tmp_path / "dem.tif", 40, 40, from_origin(0, 100, 2.5, 2.5))
    info = rasterize_dltb(src, "DLTB", "DLBM", dem, tmp_path / "lu.tif", load_landuse_mapping())
    with rasterio.open(tmp_path / "lu.tif") as r, rasterio.open(dem) as d:
        assert r.transform == d.transform and (r.width, r.height) == (d.width, d.height) and r.nodata == 0
        arr = r.read(1)
    ref, _ = burn(gdf, "DLBM", from_origin(0, 100, 2.5, 2.5), 40, 40, gdf.crs, load_landuse_mapping())
    assert (arr == ref).all() and info["cells_with_code"] == int((ref > 0).sum())


# --- coverage ----------------------------------------------------------------------------------
def test_coverage_of_a_half_covered_county(tmp_path):
    from rasterio.transform import from_origin

    # DEM 0…100 m × 0…100 m, its right 30 columns NoData; county 0…200 × 0…100: valid 70 × 100 of 200 × 100
    dem = _tif(tmp_path / "dem.tif", 100, 100, from_origin(0, 100, 1, 1), nodata_cols=30)
    county = box(0, 0, 200, 100)
    (c,) = raster_coverage(dem, [("220521", "通化县", county)], "EPSG:4530")
    assert c.share == pytest.approx(70 * 100 / (200 * 100), abs=1e-9) and c.pct == 35.0 and not c.full
    with pytest.raises(InputError, match=r"35\.0%"):
        partial_refusal("DEM", [c])
    zh, en = cover_note(c.share)
    assert "35.0%" in zh and "35.0%" in en


def test_coverage_full_and_outside(tmp_path):
    from rasterio.transform import from_origin

    dem = _tif(tmp_path / "dem.tif", 100, 100, from_origin(0, 100, 1, 1))
    full, off = raster_coverage(dem, [("1", "", box(10, 10, 60, 60)), ("2", "", box(500, 500, 600, 600))], "EPSG:4530")
    assert full.share == pytest.approx(1.0) and full.full
    assert off.share == 0.0
    partial_refusal("DEM", [full])  # covered: no refusal
    assert cover_note(1.0) == ("", "")


def test_coverage_in_another_crs(tmp_path):
    """County given in CGCS2000 geographic, DEM in GK zone 42: compared in the DEM's CRS."""
    import geopandas as gpd
    from rasterio.transform import from_origin

    dem = _tif(tmp_path / "dem.tif", 200, 200, from_origin(42_480_000, 4_620_000, 100, 100), nodata_cols=100)
    county = (
        gpd.GeoSeries([box(42_485_000, 4_605_000, 42_495_000, 4_615_000)], crs="EPSG:4530").to_crs("EPSG:4490").iloc[0]
    )
    (c,) = raster_coverage(dem, [("220521", "", county)], "EPSG:4490")
    # the valid half ends at x = 42 490 000: half of the county
    assert c.share == pytest.approx(0.5, abs=0.02)


def test_townships_outside_by_code_and_geometry():
    counties = [("220521", "通化县", box(0, 0, 100, 100))]
    towns = [
        ("220521100", "快大茂镇", box(0, 0, 50, 50)),
        ("220581100", "别县镇", box(10, 10, 20, 20)),  # inside, but another county's code
        ("220521101000", "外镇", box(150, 0, 200, 50)),  # right code, outside
        ("220582100", "两者", box(300, 0, 310, 10)),
    ]
    out = {t["code"]: t["reason"] for t in townships_outside(towns, counties)}
    assert out == {"220581100": "code", "220521101000": "geometry", "220582100": "code+geometry"}


# --- chosen counties ---------------------------------------------------------------------------
def test_parse_and_select_counties():
    import geopandas as gpd

    from soil_conservation_plugin.core.common.counties import parse_codes, select

    assert parse_codes(" 220521, 220524；220581 220521") == ["220521", "220524", "220581"]
    assert (
        parse_codes(["220521.0", 220524]) == ["220521", "220524"] and parse_codes(None) == [] and parse_codes("") == []
    )
    gdf = gpd.GeoDataFrame(
        {"adcode": [220521, 220524, 220581]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:4530",
    )
    assert list(select(gdf, "adcode", "220581,220521", "县界")["adcode"]) == [220521, 220581]
    assert len(select(gdf, "adcode", "", "县界")) == 3
    with pytest.raises(InputError, match="999999"):
        select(gdf, "adcode", "220521,999999", "县界")


@pytest.mark.skipif(not JILIN.is_file(), reason="shared/data/jilin_counties is absent")
def test_select_two_of_the_60_jilin_counties():
    from soil_conservation_plugin.core.common.counties import select
    from soil_conservation_plugin.core.common.vector import read_vector

    gdf = read_vector(str(JILIN), "县界")
    assert len(gdf) == 60
    two = select(gdf, "adcode", "220521 220581", "县界")
    assert sorted(two["name"]) == sorted(["通化县", "梅河口市"])
