"""soil_conservation:disturbance_check through processing.run: the GeoPackage, the 核查清单, the run
metadata, 销号 statuses kept across runs, year over year, and bad inputs refused bilingually."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer
from rasterio.transform import from_origin

from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.common.tables import read_csv
from soil_conservation_plugin.core.disturbance.risk import load_risk_rules
from soil_conservation_plugin.core.disturbance.status import record_status
from soil_conservation_plugin.core.disturbance.store import PATCHES_LAYER

from ..unit.disturbance_layers import GK, PATCHES, X0, Y0, b, geod_ha, lonlat, scene
from ..util import write_raster
from .conftest import run_alg


def params(inputs, out, folder, **extra):
    p = {
        "PATCHES": inputs.patches,
        "STEEP": inputs.steep,
        "ZONES": inputs.zones,
        "REDLINE": inputs.redline,
        "UNITS": inputs.units,
        "TOWNSHIPS": inputs.townships,
        "COUNTIES": inputs.counties,
        "LANDUSE": inputs.landuse,
        "OUTPUT": str(out),
        "CHECKLIST": str(folder),
    }
    p.update(extra)
    return p


def rows(out) -> dict:
    return {r["patch_id"]: r for r in gpd.read_file(str(out), layer=PATCHES_LAYER).to_dict("records")}


def test_disturbance_check_via_processing(plugin, tmp_path):
    inputs = scene(tmp_path)
    out, folder = tmp_path / "out" / "扰动图斑核查.gpkg", tmp_path / "out" / "核查清单"
    res = run_alg("disturbance_check", params(inputs, out, folder))
    assert (res["PATCH_COUNT"], res["STEEP_RECLAMATION"], res["KEY_CHECK"]) == (5, 1, 2)
    assert res["PATCHES_OUT"] == f"{out}|layername={PATCHES_LAYER}"
    layer = QgsVectorLayer(res["PATCHES_OUT"], "patches", "ogr")
    assert layer.featureCount() == 5
    # the shipped style colours every risk class of the shipped rules
    _, ok = layer.loadNamedStyle(str(resources_path("styles", "disturbance_patches.qml")))
    assert ok and layer.renderer().classAttribute() == "risk"
    assert {c.value() for c in layer.renderer().categories()} == set(load_risk_rules().classes)
    del layer
    got = rows(out)
    assert {p: r["risk_zh"] for p, r in got.items()} == {
        "P1": "疑似陡坡开垦",
        "P2": "重点核查",
        "P3": "一般核查",
        "P4": "重点核查",
        "P5": "一般核查",
    }
    # the red-line part of P2 against an independent pyproj Geod computation
    g2 = lonlat(PATCHES["P2"][0])
    assert got["P2"]["red_ha"] == pytest.approx(geod_ha(g2.intersection(lonlat(b(1500, 1500, 1800, 1800)))), abs=0.005)
    assert got["P3"]["cnty_code"] == "220502"
    # 核查清单: one per county, the 合计 equal to the layer's sum
    for code, name in (("220521", "通化县"), ("220502", "东昌区")):
        table = read_csv(folder / f"核查清单_{code}_{name}.csv")
        part = [r for r in got.values() if r["cnty_code"] == code]
        assert table[-1]["序号"] == "合计"
        assert abs(float(table[-1]["图斑面积(公顷)"]) - sum(r["area_ha"] for r in part)) <= 0.01
        assert (folder / f"核查清单_{code}_{name}.xlsx").is_file()
    # the HTML report beside the 核查清单: one figure per county, numbers as in the summary
    report = (folder / "核查报告.html").read_text(encoding="utf-8")
    assert res["REPORT"] == str(folder / "核查报告.html")
    assert 'data-code="220521"' in report and 'data-code="220502"' in report and "<svg" in report
    with open(res["METADATA"], encoding="utf-8") as fh:
        meta = json.load(fh)
    assert meta["step"] == "disturbance_check"
    assert meta["outputs"]["report"] == res["REPORT"]
    assert meta["rules"]["disturbance_risk"]["version"] == "2026.1"
    assert meta["rules"]["disturbance_fields"]["tag"] == "NOT FOUND"
    assert meta["inputs"]["patches"]["sha256"]

    # a reviewer's statuses survive the next run into the same GeoPackage
    record_status(out, "P1", "已核查", "违规", on="2026-03-01", comment="陡坡开垦", reviewer="甲")
    record_status(out, "P2", "已核查", "合规", on="2026-03-02", reviewer="乙")
    record_status(out, "P2", "已销号", on="2026-03-05", reviewer="乙")
    run_alg("disturbance_check", params(inputs, out, folder))
    again = rows(out)
    assert (again["P1"]["status"], again["P1"]["verdict"], again["P1"]["comment"]) == ("已核查", "违规", "陡坡开垦")
    assert (again["P2"]["status"], again["P2"]["closed_on"]) == ("已销号", "2026-03-05")
    assert {again[p]["status"] for p in ("P3", "P4", "P5")} == {"待核查"}

    # next year: last year's output as PREVIOUS
    nxt = tmp_path / "2026"
    nxt.mkdir()
    new = {
        "N1": (b(1610, 1600, 1910, 1900), "未批复"),  # P2's place, closed
        "N2": (b(400, 100, 700, 300), "未批复"),  # P1's place, checked
        "N3": (b(3000, 100, 3100, 200), "已批复"),  # new
    }
    later = scene(nxt, new, year="2026")
    res = run_alg(
        "disturbance_check",
        params(later, nxt / "check.gpkg", nxt / "清单", PREVIOUS=f"{out}|layername={PATCHES_LAYER}"),
    )
    assert (res["NEW"], res["SAME"], res["CLOSED"]) == (1, 1, 1)
    yoy = rows(nxt / "check.gpkg")
    assert {p: (r["yoy"], r["prev_id"]) for p, r in yoy.items()} == {
        "N1": ("closed", "P2"),
        "N2": ("same", "P1"),
        "N3": ("new", ""),
    }
    summary = {r["县代码"]: r for r in read_csv(nxt / "清单" / "核查清单汇总.csv")}
    assert summary["220521"]["上年已销号(个)"] == "1" and summary["220502"]["新增(个)"] == "1"


def test_a_land_use_raster_via_processing(plugin, tmp_path):
    inputs = scene(tmp_path, landuse=False)
    data = np.full((20, 40), 3, dtype="uint8")
    data[:, :5] = 1
    lu = write_raster(tmp_path / "lu.tif", data, GK, from_origin(X0, Y0 + 2000, 100, 100), nodata=0)
    out = tmp_path / "check.gpkg"
    run_alg("disturbance_check", params(inputs, out, tmp_path / "清单", LANDUSE=str(lu)))
    assert rows(out)["P1"]["crop_pct"] == pytest.approx(100 / 3, abs=0.01)
    assert rows(out)["P1"]["risk"] == "steep_reclamation"


def write_bad(path, ids, id_field="图斑编号"):
    geoms = [b(100 * i, 0, 100 * i + 50, 50) for i in range(len(ids))]
    gpd.GeoDataFrame({id_field: ids}, geometry=geoms, crs=GK).to_file(str(path), layer="下发图斑", driver="GPKG")
    return str(path)


@pytest.mark.parametrize(
    "ids, id_field, zh, en",
    [
        (
            ["T1", "T2", "T1"],
            "图斑编号",
            "图斑编号（图斑编号）重复: T1 ×2",
            "patch ids (图斑编号) occur more than once: T1 ×2",
        ),
        (["T1"], "编码", "缺少必需字段: 图斑编号", "required field missing: patch id"),
    ],
)
def test_bad_patch_layers_are_bilingual_errors(plugin, tmp_path, ids, id_field, zh, en):
    inputs = scene(tmp_path)
    inputs.patches = write_bad(tmp_path / "bad.gpkg", ids, id_field)
    out = tmp_path / "check.gpkg"
    with pytest.raises(QgsProcessingException) as err:
        run_alg("disturbance_check", params(inputs, out, tmp_path / "清单"))
    text = str(err.value)
    assert "[Disturbance patches as issued (扰动图斑): bad]" in text and zh in text and en in text
    assert not out.exists() and not (tmp_path / "清单").exists()


def test_last_year_in_this_years_output_is_refused(plugin, tmp_path):
    inputs = scene(tmp_path)
    out = tmp_path / "check.gpkg"
    run_alg("disturbance_check", params(inputs, out, tmp_path / "清单"))
    before = out.read_bytes()
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "disturbance_check", params(inputs, out, tmp_path / "清单", PREVIOUS=f"{out}|layername={PATCHES_LAYER}")
        )
    assert "同一个文件" in str(err.value) and "would be replaced" in str(err.value)
    assert out.read_bytes() == before


def test_a_zones_layer_without_zone_kinds(plugin, tmp_path):
    inputs = scene(tmp_path)
    gpd.GeoDataFrame({"name": ["x"]}, geometry=[b(0, 0, 10, 10)], crs=GK).to_file(
        str(tmp_path / "z.gpkg"), layer="zones", driver="GPKG"
    )
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "disturbance_check",
            params(inputs, tmp_path / "check.gpkg", tmp_path / "清单", ZONES=str(tmp_path / "z.gpkg")),
        )
    text = str(err.value)
    assert "缺少区类型字段" in text and "the zone kind field is missing (candidates: zone_id)" in text


def test_the_status_algorithm_walks_the_cycle(plugin, tmp_path):
    inputs = scene(tmp_path)
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    run_alg("disturbance_check", params(inputs, out, folder))

    def status(patch, step, verdict=0, **extra):
        p = {"GEOPACKAGE": str(out), "PATCH_ID": patch, "STATUS": step, "VERDICT": verdict, "REVIEWER": "甲"}
        return run_alg("disturbance_status", p | extra)

    assert status("P1", 1, 2, DATE="2026-03-01", COMMENT="陡坡开垦")["STATUS_OUT"] == "P1: 已核查 违规"
    assert status("P1", 2, DATE="2026-03-09")["STATUS_OUT"] == "P1: 整改中 违规"
    with pytest.raises(QgsProcessingException) as err:
        status("P3", 3)  # 待核查 → 已销号 is not a step of the cycle
    assert "图斑 P3: 不能从“待核查”改为“已销号”" in str(err.value) and "may be closed" in str(err.value)
    with pytest.raises(QgsProcessingException) as err:
        status("P9", 1, 1)
    assert "图斑 P9: 没有该图斑" in str(err.value) and "no such patch" in str(err.value)
    run_alg("disturbance_check", params(inputs, out, folder))  # again: the statuses stay
    p1 = rows(out)["P1"]
    assert (p1["status"], p1["verdict"], p1["checked_on"], p1["rectify_on"]) == (
        "整改中",
        "违规",
        "2026-03-01",
        "2026-03-09",
    )
    assert rows(out)["P3"]["status"] == "待核查"
    listed = {r["图斑编号"]: r["核查状态"] for r in read_csv(folder / "核查清单_220521_通化县.csv")}
    assert listed["P1"] == "整改中"


def gbk_patches(tmp_path) -> str:
    """The scene's patches as a GBK shapefile with ASCII field names and no .cpg."""
    shp = tmp_path / "gbk_ascii.shp"
    gdf = gpd.GeoDataFrame(
        {"TBBH": list(PATCHES), "XMMC": ["演示项目（合成）"] * len(PATCHES), "PFQK": [a for _, a in PATCHES.values()]},
        geometry=[g for g, _ in PATCHES.values()],
        crs=GK,
    )
    gdf.to_file(str(shp), driver="ESRI Shapefile", encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    return str(shp)


class Log:
    def __init__(self):
        from qgis.core import QgsProcessingFeedback

        self.lines: list[str] = []
        self.feedback = QgsProcessingFeedback()
        self.feedback.pushInfo = self.lines.append  # type: ignore[method-assign]
        self.feedback.pushWarning = self.lines.append  # type: ignore[method-assign]


@pytest.mark.parametrize("encoding", ["BIG5", "LATIN1", "CP1252"])
def test_a_wrong_encoding_for_a_gbk_shapefile_is_refused_before_any_work(plugin, tmp_path, encoding):
    inputs = scene(tmp_path)
    out, folder = tmp_path / "out" / "check.gpkg", tmp_path / "out" / "核查清单"
    with pytest.raises(QgsProcessingException) as err:
        run_alg("disturbance_check", params(inputs, out, folder, PATCHES=gbk_patches(tmp_path), ENCODING=encoding))
    text = str(err.value)
    assert "演示项目（合成）" in text and "parameter ENCODING) to GBK" in text and "gbk_ascii" in text
    assert not out.exists() and not folder.exists()


def test_the_log_and_the_metadata_name_the_same_encoding(plugin, tmp_path):
    inputs = scene(tmp_path)
    out, folder = tmp_path / "out" / "check.gpkg", tmp_path / "out" / "核查清单"
    log = Log()
    res = run_alg(
        "disturbance_check",
        params(inputs, out, folder, PATCHES=gbk_patches(tmp_path), ENCODING="GBK"),
        feedback=log.feedback,
    )
    assert res["KEY_CHECK"] == 2
    said = [line for line in log.lines if "gbk_ascii" in line and "text encoding" in line]
    assert said and all(line.endswith("text encoding GBK (user)") for line in said), log.lines
    with open(res["METADATA"], encoding="utf-8") as fh:
        meta = json.load(fh)
    assert meta["parameters"]["patch_encoding"] == "GBK (user)"
    assert meta["inputs"]["patches"]["encoding"] == "GBK (user)"


def test_an_absent_field_a_rule_reads_is_a_warning_in_the_log(plugin, tmp_path):
    inputs = scene(tmp_path)
    gdf = gpd.read_file(inputs.patches, layer="patches").drop(columns=["批复情况"])
    path = tmp_path / "no_approval.gpkg"
    gdf.to_file(str(path), layer="patches", driver="GPKG")
    out, folder = tmp_path / "out" / "check.gpkg", tmp_path / "out" / "核查清单"
    log = Log()
    run_alg("disturbance_check", params(inputs, out, folder, PATCHES=str(path)), feedback=log.feedback)
    warned = [line for line in log.lines if line.startswith("警告") and "批复情况" in line]
    assert len(warned) == 1 and "DR-003, DR-006" in warned[0], log.lines
