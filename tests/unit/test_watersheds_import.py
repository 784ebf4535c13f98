"""Import and validation of an official 小流域 layer: a synthetic layer with known defects,
and a round trip of our own delineation (which must come out clean)."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod, Transformer
from shapely.geometry import Polygon, box

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.watersheds import delineation as W
from soil_conservation_plugin.core.watersheds.import_units import import_units, write_import

X0, Y0, S = 42_500_000.0, 4_800_000.0, 5_000.0  # CGCS2000 3° GK zone 42 (EPSG:4530), 5 km squares
CRS = "EPSG:4530"
GEOD = Geod(ellps="GRS80")
TO_LL = Transformer.from_crs(CRS, "EPSG:4490", always_xy=True)


def geod_km2(xmin, ymin, xmax, ymax, n=50) -> float:
    """Independent ellipsoidal area of a GK rectangle: its densified ring projected back to lon/lat."""
    xs = np.concatenate([np.linspace(xmin, xmax, n), np.full(n, xmax), np.linspace(xmax, xmin, n), np.full(n, xmin)])
    ys = np.concatenate([np.full(n, ymin), np.linspace(ymin, ymax, n), np.full(n, ymax), np.linspace(ymax, ymin, n)])
    lon, lat = TO_LL.transform(xs, ys)
    return abs(GEOD.polygon_area_perimeter(lon, lat)[0]) / 1e6


def cell(r, c):
    return (X0 + c * S, Y0 - (r + 1) * S, X0 + (c + 1) * S, Y0 - r * S)


def defective_layer(tmp_path):
    rows = []
    for r in range(4):
        for c in range(4):
            xmin, ymin, xmax, ymax = cell(r, c)
            code, down = f"U{r}{c}", (f"U{r + 1}{c}" if r < 3 else (f"U{r}{c + 1}" if c < 3 else ""))
            g = box(xmin, ymin, xmax, ymax)
            if (r, c) == (0, 1):  # 1 km into U00: overlap and an oversized unit
                g = box(xmin - 1000, ymin, xmax, ymax)
            if (r, c) == (3, 3):  # 300 m short of the county edge: a gap
                g = box(xmin, ymin, xmax - 300, ymax)
            if (r, c) == (1, 1):  # a spike retracing itself: invalid (self-intersection)
                ym = (ymin + ymax) / 2
                g = Polygon(
                    [(xmin, ymin), (xmax, ymin), (xmax, ym), (xmax - 1000, ym), (xmax, ym), (xmax, ymax), (xmin, ymax)]
                )
            if (r, c) == (2, 2):
                code = "U21"  # duplicate
            if (r, c) == (0, 3):
                down = "NOPE"
            if (r, c) == (1, 3):
                down = "U23"
            if (r, c) == (2, 3):
                down = "U13"  # cycle U13 ↔ U23
            if (r, c) == (0, 0):
                down = "U33"  # not adjacent
            rows.append({"WSCD": code, "WSNM": f"名{r}{c}", "DOWN": down, "geometry": g})
    gpd.GeoDataFrame(rows, crs=CRS).to_file(tmp_path / "official.gpkg", layer="ws", driver="GPKG")
    west = box(X0, Y0 - 4 * S, X0 + 2.5 * S, Y0)
    east = box(X0 + 2.5 * S, Y0 - 4 * S, X0 + 4 * S, Y0)
    gpd.GeoDataFrame(
        {"adcode": ["220101", "220102"], "name": ["西县", "东县"]}, geometry=[west, east], crs=CRS
    ).to_file(tmp_path / "counties.gpkg", layer="c", driver="GPKG")
    return tmp_path / "official.gpkg"


def test_defects_are_found_with_their_areas(tmp_path):
    path = defective_layer(tmp_path)
    res = import_units(
        path,
        "ws",
        "WSCD",
        "WSNM",
        "DOWN",
        counties=(tmp_path / "counties.gpkg", "c"),
        county_code_field="adcode",
        county_name_field="name",
        params=W.UnitParams(target_min_km2=10, max_km2=26),
    )
    by = {}
    for i in res.issues:
        by.setdefault(i["check"], []).append(i)
    (ov,) = by["overlap"]
    assert {ov["unit_code"], ov["detail"].split()[-1]} == {"U00", "U01"}
    assert ov["area_km2"] == pytest.approx(geod_km2(X0, Y0 - S, X0 + 1000, Y0), rel=1e-4)
    (gap,) = by["gap"]
    x33 = cell(3, 3)
    assert gap["area_km2"] == pytest.approx(geod_km2(x33[2] - 300, x33[1], x33[2], x33[3]), rel=1e-4)
    assert [i["unit_code"] for i in by["code_duplicate"]] == ["U21"]
    assert [i["unit_code"] for i in by["geometry_invalid"]] == ["U11"]
    assert "Self-intersection" in by["geometry_invalid"][0]["detail"] or "Ring" in by["geometry_invalid"][0]["detail"]
    assert [i["unit_code"] for i in by["area_above_max"]] == ["U01"]
    # U12 drains to "U22", a code nobody carries (that square is coded U21, the duplicate)
    assert [i["unit_code"] for i in by["down_code_unknown"]] == ["U03", "U12"]
    assert set(by["cycle"][0]["detail"].split("→")) == {"U13", "U23"}
    assert [i["unit_code"] for i in by["down_not_adjacent"]] == ["U00"]
    # column 2 straddles the county line at 2.5 squares
    assert sorted(i["unit_code"] for i in by["crosses_county"]) == ["U02", "U12", "U21_2", "U32"]
    assert by["coverage"][0]["severity"] == "error"
    assert res.n_errors >= 6
    # the unit layer: contract fields, unique codes, areas on the ellipsoid, the repaired unit is its square
    u = res.units.set_index("unit_code")
    assert list(res.units.columns[:9]) == list(W.UNIT_FIELDS)
    assert res.units.unit_code.is_unique and len(res.units) == 16
    assert res.units.geometry.is_valid.all()
    assert u.loc["U11", "area_km2"] == pytest.approx(geod_km2(*cell(1, 1)), rel=1e-4)
    assert u.loc["U10", "down_code"] == "U20" and "U10" in u.loc["U20", "up_codes"].split(",")
    assert u.loc["U03", "down_code"] == ""  # unknown downstream code dropped (reported)
    assert u.loc["U10", "county_code"] == "220101" and u.loc["U13", "county_name"] == "东县"
    # outlet on the edge shared with the downstream unit
    x10 = cell(1, 0)
    assert (u.loc["U10", "outlet_x"], u.loc["U10", "outlet_y"]) == pytest.approx(((x10[0] + x10[2]) / 2, x10[1]))
    # written outputs
    written = write_import(res, tmp_path / "units.gpkg", tmp_path / "report.csv", tmp_path / "topology.csv")
    issues = gpd.read_file(tmp_path / "units.gpkg", layer="issues")
    assert len(issues) == len(res.issues)
    with open(tmp_path / "report.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["check"] for r in rows} == {i["check"] for i in res.issues}
    assert written["units"].endswith("layername=units")


def test_clean_round_trip_of_our_delineation(tmp_path):
    n = 120
    y, x = np.mgrid[0:n, 0:n]
    z = (np.abs(x - n // 2) + (n - 1 - y) * 0.5).astype("float32")
    import rasterio
    from rasterio.transform import from_origin

    with rasterio.open(
        tmp_path / "dem.tif",
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs=CRS,
        transform=from_origin(X0, Y0, 100, 100),
        nodata=-9999,
    ) as dst:
        dst.write(z, 1)
    W.delineate_to_files(tmp_path / "dem.tif", tmp_path / "ours.gpkg", params=W.UnitParams(10, 20, 1, 0.5))
    ours = gpd.read_file(tmp_path / "ours.gpkg", layer="units")
    gpd.GeoDataFrame({"adcode": ["220101"]}, geometry=[box(X0, Y0 - n * 100, X0 + n * 100, Y0)], crs=CRS).to_file(
        tmp_path / "c.gpkg", driver="GPKG"
    )
    res = import_units(
        tmp_path / "ours.gpkg",
        "units",
        "unit_code",
        "unit_name",
        "down_code",
        counties=(tmp_path / "c.gpkg", None),
        county_code_field="adcode",
        params=W.UnitParams(0.1, 20),
    )
    assert [i for i in res.issues if i["severity"] == "error"] == []
    assert res.stats["coverage"] == pytest.approx(1.0, abs=1e-6)
    assert res.units.area_km2.to_numpy() == pytest.approx(ours.area_km2.to_numpy(), rel=1e-6)
    assert list(res.units.down_code) == list(ours.down_code)


def test_missing_field_is_a_bilingual_error(tmp_path):
    path = defective_layer(tmp_path)
    with pytest.raises(InputError, match="缺少字段 XX") as err:
        import_units(path, "ws", "XX")
    assert "lacks field XX" in str(err.value)


def test_gbk_shapefile_without_cpg(tmp_path):
    """Chinese shapefiles often come in GBK with no .cpg: the names must still read right."""
    rows = [{"WSCD": "A1", "WSNM": "松花江小流域", "geometry": box(*cell(0, 0))}]
    gpd.GeoDataFrame(rows, crs=CRS).to_file(tmp_path / "gbk.shp", encoding="gbk")
    (tmp_path / "gbk.cpg").unlink(missing_ok=True)
    assert "松花江".encode("gbk") in (tmp_path / "gbk.dbf").read_bytes()
    res = import_units(tmp_path / "gbk.shp", None, "WSCD", "WSNM")
    assert list(res.units.unit_name) == ["松花江小流域"]
