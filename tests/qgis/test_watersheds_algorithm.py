"""The 小流域 algorithm through real QGIS Processing, on files on disk."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer
from rasterio.transform import from_origin
from shapely.geometry import box

from .conftest import run_alg


def v_valley_dem(path, n=150, res=100.0, crs="EPSG:4530"):
    y, x = np.mgrid[0:n, 0:n]
    z = (np.abs(x - n // 2) * 1.0 + (n - 1 - y) * 0.5).astype("float32")
    t = from_origin(42_500_000, 4_900_000, res, res)
    with rasterio.open(
        path, "w", driver="GTiff", width=n, height=n, count=1, dtype="float32", crs=crs, transform=t, nodata=-9999
    ) as dst:
        dst.write(z, 1)
    return path, t


def test_processing_run_writes_the_unit_contract(plugin, tmp_path):
    dem, t = v_valley_dem(tmp_path / "dem.tif")
    n = 150
    # two counties split by a north-south line west of the valley
    west = box(t.c - 500, t.f - n * 100 - 500, t.c + 5_050, t.f + 500)
    east = box(t.c + 5_050, t.f - n * 100 - 500, t.c + n * 100 + 500, t.f + 500)
    gpd.GeoDataFrame(
        {"adcode": ["220101", "220102"], "name": ["甲县", "乙县"]}, geometry=[west, east], crs="EPSG:4530"
    ).to_file(tmp_path / "counties.gpkg", layer="counties", driver="GPKG")
    feedback = QgsProcessingFeedback()
    out = run_alg(
        "watersheds",
        {
            "INPUT": str(dem),
            "COUNTIES": f"{tmp_path / 'counties.gpkg'}|layername=counties",
            "COUNTY_CODE_FIELD": "adcode",
            "COUNTY_NAME_FIELD": "name",
            "MIN_AREA": 10.0,
            "MAX_AREA": 20.0,
            "MERGE_BELOW": 2.0,
            "STREAM_AREA": 0.5,
            "OUTPUT": str(tmp_path / "units.gpkg"),
            "TOPOLOGY": str(tmp_path / "topology.csv"),
            "RASTER": str(tmp_path / "units.tif"),
            "FLOW_DIRECTIONS": str(tmp_path / "d8.tif"),
            "METADATA": str(tmp_path / "units.meta.json"),
        },
        feedback=feedback,
    )
    layer = QgsVectorLayer(out["UNITS"], "units", "ogr")
    assert layer.isValid()
    names = [f.name() for f in layer.fields()]
    for field in (
        "unit_code",
        "unit_name",
        "down_code",
        "up_codes",
        "area_km2",
        "county_code",
        "county_name",
        "outlet_x",
        "outlet_y",
    ):
        assert field in names
    assert layer.featureCount() == out["UNIT_COUNT"] > 1
    assert layer.crs().authid() == "EPSG:4530"
    feats = list(layer.getFeatures())
    codes = [f["unit_code"] for f in feats]
    assert len(set(codes)) == len(codes)
    assert {f["county_code"] for f in feats} == {"220101", "220102"}
    assert all(f["area_km2"] <= 20.0 * 1.001 for f in feats)
    # total area: 150×150 cells of 100 m in CGCS2000 GK zone 42 (on its central meridian the areal scale is 1)
    total = sum(f["area_km2"] for f in feats)
    assert total == pytest.approx(225.0, rel=2e-3)
    # the 小流域 as the water defines them; the 'units' are their 亚单元 along the county line
    sheds = QgsVectorLayer(out["WATERSHEDS"], "watersheds", "ogr")
    assert sheds.isValid() and sheds.featureCount() == out["WATERSHED_COUNT"]
    wfeats = list(sheds.getFeatures())
    parent = {f["unit_code"]: f["parent_code"] for f in feats}
    assert set(parent.values()) == {w["unit_code"] for w in wfeats}
    assert all(f["unit_code"].startswith(f["parent_code"]) for f in feats)
    for w in wfeats:
        parts = [f for f in feats if f["parent_code"] == w["unit_code"]]
        assert w["subunit_count"] == len(parts)
        assert w["county_codes"] == ",".join(sorted({f["county_code"] for f in parts}))
        assert sum(f["area_km2"] for f in parts) == pytest.approx(w["area_km2"], rel=1e-12)
    assert any(w["subunit_count"] > 1 for w in wfeats) and len(feats) > len(wfeats)
    outlets = QgsVectorLayer(out["OUTLETS"], "outlets", "ogr")
    # one main outlet a 小流域, plus the outlets of the tiny catchments that joined it (flow not rewritten)
    ranks = {}
    for o in outlets.getFeatures():
        ranks.setdefault(o["unit_code"], []).append(o["outlet_rank"])
    assert outlets.isValid() and sorted(ranks) == sorted(w["unit_code"] for w in wfeats)
    assert all(sorted(r) == list(range(1, w["outlet_count"] + 1)) for w in wfeats for r in [ranks[w["unit_code"]]])
    assert {w["unit_kind"] for w in wfeats} <= {"complete", "interbasin", "boundary"}
    assert all((w["unit_kind"] == "boundary") == (w["outlet_count"] > 1) for w in wfeats)
    with open(tmp_path / "topology.csv", encoding="utf-8") as fh:
        topo = {r["unit_code"]: r["down_code"] for r in csv.DictReader(fh)}
    assert topo == {f["unit_code"]: f["down_code"] for f in feats}
    with rasterio.open(tmp_path / "units.tif") as src:
        lab = src.read(1)
        assert src.dtypes[0] == "int32"
    assert set(np.unique(lab)) == set(range(1, len(feats) + 1))
    with rasterio.open(tmp_path / "units.watersheds.tif") as src:
        assert set(np.unique(src.read(1))) == set(range(1, len(wfeats) + 1))
    meta = json.loads((tmp_path / "units.meta.json").read_text(encoding="utf-8"))
    assert meta["step"] == "watersheds" and meta["results"]["units"] == len(feats)
    assert meta["results"]["watersheds"] == len(wfeats)
    assert meta["results"]["topology_issues"] == [] and meta["results"]["invalid_polygons"] == 0
    assert meta["rules"]["unit_coding"]["version"]
    assert meta["parameters"]["is_default"]["max_km2"] is False
    assert 0 < meta["results"]["area_distribution"]["share_in_range"] <= 1
    del layer, outlets, sheds


def test_cancel_stops_without_outputs(plugin, tmp_path):
    dem, _ = v_valley_dem(tmp_path / "dem.tif", n=60)
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        run_alg(
            "watersheds",
            {
                "INPUT": str(dem),
                "OUTPUT": str(tmp_path / "u.gpkg"),
                "TOPOLOGY": str(tmp_path / "t.csv"),
                "RASTER": str(tmp_path / "u.tif"),
                "METADATA": str(tmp_path / "m.json"),
            },
            feedback=feedback,
        )
    assert not (tmp_path / "u.gpkg").exists() and not (tmp_path / "u.tif").exists()


def test_bad_area_range_is_a_bilingual_error(plugin, tmp_path):
    dem, _ = v_valley_dem(tmp_path / "dem.tif", n=40)
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "watersheds",
            {
                "INPUT": str(dem),
                "MIN_AREA": 80.0,
                "MAX_AREA": 50.0,
                "OUTPUT": str(tmp_path / "u.gpkg"),
                "TOPOLOGY": str(tmp_path / "t.csv"),
                "RASTER": str(tmp_path / "u.tif"),
                "METADATA": str(tmp_path / "m.json"),
            },
        )
    assert "面积范围无效" in str(err.value) and "invalid area range" in str(err.value)


def test_a_dem_too_large_for_the_memory_is_a_bilingual_error_before_work(plugin, tmp_path):
    # 200 000 × 200 000 cells in a sparse BigTIFF of a few kB: > 1 TB of working memory
    dem = tmp_path / "huge.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=200_000,
        height=200_000,
        count=1,
        dtype="float32",
        crs="EPSG:4530",
        transform=from_origin(42_500_000, 4_900_000, 30, 30),
        nodata=-9999,
        tiled=True,
        compress="DEFLATE",
        BIGTIFF="YES",
        SPARSE_OK=True,
    ):
        pass
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "watersheds",
            {
                "INPUT": str(dem),
                "OUTPUT": str(tmp_path / "u.gpkg"),
                "TOPOLOGY": str(tmp_path / "t.csv"),
                "RASTER": str(tmp_path / "u.tif"),
                "METADATA": str(tmp_path / "m.json"),
            },
        )
    assert "内存" in str(err.value) and "memory" in str(err.value) and "200000×200000" in str(err.value)
    assert not (tmp_path / "u.gpkg").exists() and not (tmp_path / "u.tif").exists()
