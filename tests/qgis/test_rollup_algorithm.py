"""soil_conservation:rollup and soil_conservation:change through processing.run on the demo's results (issue 18)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from osgeo import gdal, ogr
from qgis.core import QgsProcessingException

from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.common.tables import read_csv
from soil_conservation_plugin.processing.pipeline import run_demo

from .conftest import provider_registered, run_alg

# the run cites the version of the targets file it used
TARGETS_VERSION = json.loads(resources_path("rules", "targets_jilin.json").read_text(encoding="utf-8"))["version"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, qgis_app, processing_ready):
    """The demo chain at a quarter scale, with its two erosion years (2024 and its seeded 2025)."""
    root = tmp_path_factory.mktemp("demo_rollup")
    with provider_registered():
        results = run_demo(root, scale=0.25)
    before, after = root / "inputs" / "erosion.tif", root / "inputs" / "erosion_2025.tif"
    return {"root": root, "results": results, "before": str(before), "after": str(after)}


def units_uri(demo) -> str:
    return f"{demo['results'] / 'zoning' / 'zoning.gpkg'}|layername=units"


def unit_totals(demo):
    ds = ogr.Open(str(demo["results"] / "zoning" / "zoning.gpkg"))
    lyr = ds.GetLayerByName("units")
    rows = [(f.GetField("unit_area_km2"), f.GetField("loss_km2")) for f in lyr]
    ds = None
    return sum(r[0] for r in rows), sum(r[1] for r in rows), len(rows)


def test_rollup_on_the_demo_with_townships(plugin, demo, tmp_path):
    res = run_alg(
        "rollup",
        {
            "INPUT": units_uri(demo),
            "DIVISIONS": str(demo["root"] / "inputs" / "townships.gpkg"),
            "OUTPUT": str(tmp_path / "rollup.gpkg"),
            "TABLES": str(tmp_path / "tables"),
        },
    )
    rows = read_csv(tmp_path / "tables" / "rollup.csv")
    by_level = {lv: [r for r in rows if r["级别"] == lv] for lv in ("乡镇", "县", "市(州)", "省")}
    assert len(by_level["乡镇"]) >= 3 and len(by_level["县"]) == 1 and len(by_level["省"]) == 1
    county, province = by_level["县"][0], by_level["省"][0]
    assert county["代码"] == "220521" and county["名称"] == "通化县"
    # the demo holds one county: its 市(州) and 省 rows say they are not the prefecture's or the province's
    assert by_level["市(州)"][0]["名称"] == "通化市（本次范围 1/7 县，非全市(州)）"
    assert province["名称"] == "吉林省（本次范围 1/60 县，非全省）" and province["本次覆盖县数/全部县数"] == "1/60"
    for header in ("土地面积(公顷)", "水土流失面积(公顷)", "水土流失重点治理区面积(公顷)"):
        assert sum(round(float(r[header]) * 100) for r in by_level["乡镇"]) == round(float(county[header]) * 100)
        assert round(float(county[header]) * 100) == round(float(province[header]) * 100)
    area_km2, loss_km2, n = unit_totals(demo)
    # the demo's units lie inside its county: the township split loses nothing
    assert abs(float(province["土地面积(公顷)"]) - area_km2 * 100) <= 0.01 * n
    # class areas (cells of the raster) are scaled to each unit's ellipsoidal area: a relative change only
    assert float(province["水土流失面积(公顷)"]) == pytest.approx(loss_km2 * 100, rel=1e-3)
    rate = (
        100
        * (float(province["评价面积(公顷)"]) - float(province["水土流失面积(公顷)"]))
        / float(province["评价面积(公顷)"])
    )
    assert float(province["水土保持率(%)"]) == pytest.approx(rate, abs=1e-4)
    targets = read_csv(tmp_path / "tables" / "targets.csv")
    for year, value in ((2025, 80.21), (2035, 83.66)):
        counties = [r for r in targets if r["级别"] == "县" and r["目标年份"] == str(year)]
        weighted = sum(float(r["评价面积(公顷)"]) * float(r["目标水土保持率(%)"]) for r in counties) / sum(
            float(r["评价面积(公顷)"]) for r in counties
        )
        assert weighted == pytest.approx(value, abs=1e-4)
        assert all("非官方分配" in r["说明"] for r in counties)
        assert all("not for publication" in r["标记"] for r in targets if r["目标年份"] == str(year))
    ds = ogr.Open(str(tmp_path / "rollup.gpkg"))
    assert {ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())} == {
        "township",
        "county",
        "prefecture",
        "province",
    }
    ds = None
    meta = json.loads((tmp_path / "rollup.meta.json").read_text(encoding="utf-8"))
    assert meta["rules"]["targets"]["version"] == TARGETS_VERSION and meta["parameters"]["assignment"] == "geometry"
    assert "not seen" in meta["rules"]["targets"]["source"]  # the run says the original was not seen
    assert meta["results"]["coverage"]["partial"] and meta["results"]["coverage"]["counties"]["220000"] == "1/60"
    assert res["COUNTY_OUT"].endswith("|layername=county") and (tmp_path / "tables" / "rollup.xlsx").is_file()


def test_rollup_loads_a_map_per_level_styled_by_the_rate(plugin, demo, tmp_path):
    from qgis.core import QgsProcessingContext, QgsProject

    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    run_alg(
        "rollup",
        {
            "INPUT": units_uri(demo),
            "DIVISIONS": str(demo["root"] / "inputs" / "townships.gpkg"),
            "OUTPUT": str(tmp_path / "rollup.gpkg"),
            "TABLES": str(tmp_path / "tables"),
        },
        context=context,
    )
    loads = context.layersToLoadOnCompletion()
    assert sorted(uri.rsplit("=", 1)[1] for uri in loads) == ["county", "prefecture", "province", "township"]
    assert all(d.postProcessor() is not None for d in loads.values())
    context.setLayersToLoadOnCompletion({})


def test_change_on_the_demo_with_a_second_year(plugin, demo, tmp_path):
    from soil_conservation_plugin.core.rollup.outputs import CHANGE_COLUMNS

    h = {c.key: c.zh for c in CHANGE_COLUMNS}
    labels = demo["results"] / "units" / "units.tif"
    res = run_alg(
        "change",
        {
            "UNITS": units_uri(demo),
            "EROSION_BEFORE": demo["before"],
            "YEAR_BEFORE": 2024,
            "EROSION_AFTER": demo["after"],
            "YEAR_AFTER": 2025,
            "KIND": 1,
            "TARGET_YEAR": 2025,
            **({"LABELS": str(labels)} if labels.exists() else {}),
            "OUTPUT": str(tmp_path / "change.gpkg"),
            "TABLES": str(tmp_path / "tables"),
            "REPORT": str(tmp_path / "report.html"),
            "CHANGE_RASTER": str(tmp_path / "change.tif"),
        },
    )
    units = read_csv(tmp_path / "tables" / "unit_change.csv")
    county = read_csv(tmp_path / "tables" / "county_change.csv")
    _, loss_km2, n = unit_totals(demo)
    assert len(units) == n and len(county) == 1
    before = sum(float(r[h["loss_before_ha"]]) for r in units)
    # the same erosion raster and engine as the indicators; class areas scaled to the ellipsoidal unit areas
    assert before == pytest.approx(loss_km2 * 100, rel=1e-3)
    # by the units' county code: the county is the sum of its units, to the 0.01 ha
    assert round(float(county[0][h["loss_before_ha"]]) * 100) == round(before * 100)
    matrix = read_csv(tmp_path / "tables" / "transitions.csv")
    paired = sum(float(r[h["paired_ha"]]) for r in units)
    only = sum(
        float(r[h["only_before_ha"]]) + float(r[h["only_after_ha"]]) + float(r[h["nodata_both_ha"]]) for r in units
    )
    assert float(matrix[-1]["合计"]) == pytest.approx(paired + only, abs=0.05)
    assert county[0]["目标水土保持率(%)"] and county[0]["状态"]
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "通化县" in html and "两期均有数据" in html
    ds = gdal.Open(res["CHANGE_RASTER"])
    change = ds.GetRasterBand(1).ReadAsArray()
    ds = None
    assert set(np.unique(change)) <= set(range(-5, 6)) | {-128}
    meta = json.loads((tmp_path / "change.meta.json").read_text(encoding="utf-8"))
    assert meta["rules"]["targets"]["version"] == TARGETS_VERSION and meta["results"]["units"] == n
    ds = ogr.Open(str(tmp_path / "change.gpkg"))
    assert {ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())} == {"unit_change", "county_change"}
    assert ds.GetLayerByName("county_change").GetFeatureCount() == 1
    ds = None


def test_rollup_refuses_units_without_erosion_indicators(plugin, demo, tmp_path):
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "rollup",
            {
                "INPUT": f"{demo['results'] / 'units' / 'units.gpkg'}|layername=units",
                "OUTPUT": str(tmp_path / "rollup.gpkg"),
                "TABLES": str(tmp_path / "tables"),
            },
        )
    text = str(err.value)
    assert "eros_micro_km2" in text and "缺少字段" in text and "fields missing" in text
    assert not (tmp_path / "rollup.gpkg").exists() and not list(tmp_path.glob("tables/*.csv"))


def test_rollup_refuses_a_broken_targets_file(plugin, demo, tmp_path):
    bad = tmp_path / "my_targets.json"
    bad.write_text(
        json.dumps(
            {
                "version": "x",
                "source": "y",
                "province": {},
                "method": {"id": "gap_share"},
                "targets": [{"year": 2025, "rate_pct": 180, "tag": "S", "source": "z"}],
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "rollup",
            {
                "INPUT": units_uri(demo),
                "TARGETS": str(bad),
                "OUTPUT": str(tmp_path / "rollup.gpkg"),
                "TABLES": str(tmp_path / "tables"),
            },
        )
    text = str(err.value)
    assert "my_targets.json" in text and "rate_pct" in text and "目标文件无效" in text
    assert not (tmp_path / "rollup.gpkg").exists()


def test_change_refuses_rasters_on_different_grids(plugin, demo, tmp_path):
    shifted = tmp_path / "shifted.tif"
    ds = gdal.Translate(str(shifted), demo["after"])
    gt = list(ds.GetGeoTransform())
    gt[0] += gt[1] / 2  # half a cell east
    ds.SetGeoTransform(gt)
    ds = None
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "change",
            {
                "UNITS": units_uri(demo),
                "EROSION_BEFORE": demo["before"],
                "EROSION_AFTER": str(shifted),
                "KIND": 1,
                "OUTPUT": str(tmp_path / "change.gpkg"),
                "TABLES": str(tmp_path / "tables"),
                "REPORT": str(tmp_path / "report.html"),
            },
        )
    text = str(err.value)
    assert "同一网格" in text and "same grid" in text
    assert not (tmp_path / "change.gpkg").exists() and not (tmp_path / "report.html").exists()
