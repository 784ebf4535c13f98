"""soil_conservation:checks end to end through processing.run: issue layer, summary, HTML report with
images rendered by QGIS, review decisions surviving a re-run, the fail-on-error switch."""

from __future__ import annotations

import base64
import csv
import json
import re
from html import unescape

import pytest
from osgeo import ogr
from pyproj import Geod
from qgis.core import QgsProcessingException, QgsVectorLayer
from qgis.PyQt.QtGui import QImage
from shapely import wkb

from soil_conservation_plugin.core.checks.review import load_issues, record_decision
from soil_conservation_plugin.core.common.paths import resources_path

from ..conftest import shared_file
from ..unit.checks_layers import gbox, geod_area, to_4490, write_layer
from .conftest import run_alg

FIELDS = [("unit_code", ogr.OFTString), ("county_code", ogr.OFTString), ("zone", ogr.OFTString)]


def stored_geodesic_area(gdb) -> float:
    ds = ogr.Open(str(gdb))
    feature = ds.GetLayerByName("陆域生态保护红线").GetNextFeature()
    (poly,) = wkb.loads(bytes(feature.GetGeometryRef().ExportToWkb())).geoms
    lon, lat = zip(*poly.exterior.coords)
    return abs(Geod(ellps="GRS80").polygon_area_perimeter(lon, lat)[0])


def make_inputs(tmp_path, fixed=False):
    a, b = gbox(0, 0, 500, 1000), gbox(480 if not fixed else 500, 0, 1000, 1000)
    units = write_layer(
        tmp_path / "units.gpkg",
        [
            (a, {"unit_code": "U1", "county_code": "220521", "zone": "重点预防区"}),
            (b, {"unit_code": "U2", "county_code": "220599", "zone": "重点治理区"}),
        ],
        fields=FIELDS,
    )
    red = tmp_path / "三区三线.gdb"
    if not red.exists():
        write_layer(
            red,
            [(to_4490(gbox(600, 100, 950, 900)), {"HXMC": "红线"})],
            epsg=4490,
            driver="OpenFileGDB",
            layer_name="陆域生态保护红线",
            fields=[("HXMC", ogr.OFTString)],
        )
    county = write_layer(tmp_path / "county.gpkg", [(gbox(0, 0, 1000, 1000), {})])
    return units, red, county


def params(tmp_path, units, red, county, **extra):
    p = {
        "INPUT": str(units),
        "KIND": 2,
        "REDLINE": f"{red}|layername=陆域生态保护红线",
        "REDLINE_RULE": 1,
        "BOUNDARY": str(county),
        "COVERS": 1,
        "CODE_FIELD": "unit_code",
        "COUNTY_FIELD": "county_code",
        "ZONE_FIELD": "zone",
        "OUTPUT": str(tmp_path / "out" / "issues.gpkg"),
        "SUMMARY": str(tmp_path / "out" / "summary.csv"),
        "REPORT": str(tmp_path / "out" / "report.html"),
    }
    p.update(extra)
    return p


def test_checks_algorithm_outputs_and_report(plugin, tmp_path):
    units, red, county = make_inputs(tmp_path)
    res = run_alg("checks", params(tmp_path, units, red, county))
    issues, _ = load_issues(res["OUTPUT"])
    got = sorted(i.rule_id for i in issues)
    # overlap 20 × 1000 m; unknown county code; red line 280 000 m² of U2 (≥ 50 %) in 治理区 under 'include'
    assert got == ["ATTR-005", "BND-002", "CRS-002", "RL-001", "RL-002", "TOPO-001"]
    overlap = next(i for i in issues if i.rule_id == "TOPO-001")
    assert overlap.value == pytest.approx(geod_area(gbox(480, 0, 500, 1000)), abs=0.01)
    rl = next(i for i in issues if i.rule_id == "RL-001")
    # the red line lies wholly in U2: its geodesic area as stored (FileGDB quantises coordinates)
    assert rl.feature_id == "2" and rl.value == pytest.approx(stored_geodesic_area(red), abs=0.01)
    assert (res["ERRORS"], res["WARNINGS"], res["INFOS"]) == (4, 1, 1)

    layer = QgsVectorLayer(f"{res['OUTPUT']}|layername=issues", "issues", "ogr")
    assert layer.isValid() and layer.featureCount() == 6
    assert {f.name() for f in layer.fields()} >= {
        "rule_id",
        "severity",
        "message_zh",
        "message_en",
        "layer",
        "feature_id",
        "value",
        "status",
    }
    _, ok = layer.loadNamedStyle(str(resources_path("styles", "check_issues.qml")))
    assert ok and layer.renderer().classAttribute() == "severity"
    assert {c.value() for c in layer.renderer().categories()} == {"error", "warning", "info"}
    del layer

    with open(res["SUMMARY"], encoding="utf-8-sig") as fh:
        rows = {(r["rule_id"], r["severity"]): int(r["count"]) for r in csv.DictReader(fh)}
    assert rows == {
        ("CRS-002", "warning"): 1,
        ("TOPO-001", "error"): 1,
        ("BND-002", "error"): 1,
        ("ATTR-005", "error"): 1,
        ("RL-001", "info"): 1,
        ("RL-002", "error"): 1,
    }

    with open(res["REPORT"], encoding="utf-8") as fh:
        html = fh.read()
    text = unescape(html)
    assert (
        "errors: 4" in text and "RL-002" in text and '"step": "checks"' in text and "红线内单元的分区与规则矛盾" in text
    )
    assert "src='http" not in html and "<link" not in html  # self-contained
    pngs = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert len(pngs) >= 2  # the overview and at least one close-up
    image = QImage()
    assert image.loadFromData(base64.b64decode(pngs[0]), "PNG")
    assert (image.width(), image.height()) == (800, 560)
    colours = {image.pixel(x, y) for x in range(0, 800, 8) for y in range(0, 560, 8)}
    assert len(colours) > 3  # something was drawn on the white background


def test_decision_survives_a_rerun_and_fail_on_error(plugin, tmp_path):
    units, red, county = make_inputs(tmp_path)
    p = params(tmp_path, units, red, county)
    res = run_alg("checks", p)
    conflict = next(i for i in load_issues(res["OUTPUT"])[0] if i.rule_id == "RL-002")
    record_decision(res["OUTPUT"], conflict, "accepted", "红线内治理区经批准", reviewer="qa")

    units, red, county = make_inputs(tmp_path, fixed=True)  # overlap fixed, conflict stays
    res = run_alg("checks", p)
    issues = {i.rule_id: i for i in load_issues(res["OUTPUT"])[0]}
    assert "TOPO-001" not in issues
    assert (issues["RL-002"].status, issues["RL-002"].comment) == ("accepted", "红线内治理区经批准")
    assert issues["ATTR-005"].status == "open"

    with pytest.raises(QgsProcessingException) as err:
        run_alg("checks", dict(p, FAIL_ON_ERROR=True))
    assert "errors found" in str(err.value)
    # a clean run with the switch on succeeds
    clean = write_layer(
        tmp_path / "clean.gpkg",
        [
            (gbox(0, 0, 500, 1000), {"unit_code": "U1", "county_code": "220521", "zone": ""}),
            (gbox(500, 0, 1000, 1000), {"unit_code": "U2", "county_code": "220521", "zone": ""}),
        ],
        fields=FIELDS,
    )
    res = run_alg(
        "checks", dict(p, INPUT=str(clean), REDLINE=None, FAIL_ON_ERROR=True, OUTPUT=str(tmp_path / "o2.gpkg"))
    )
    assert res["ERRORS"] == 0 and res["WARNINGS"] == 0


def test_bad_input_is_a_clear_error(plugin, tmp_path):
    units, red, county = make_inputs(tmp_path)
    empty = write_layer(tmp_path / "empty.gpkg", [], epsg=4530)
    with pytest.raises(QgsProcessingException) as err:
        run_alg("checks", params(tmp_path, units, red, empty))
    assert "no features" in str(err.value)


def test_gbk_shapefile_encoding_parameter(plugin, tmp_path):
    path = tmp_path / "图斑_gbk.shp"
    write_layer(
        path,
        [(gbox(0, 0, 300, 300), {"name": "通化县陡坡地"})],
        driver="ESRI Shapefile",
        fields=[("name", ogr.OFTString)],
        options=["ENCODING=CP936"],
    )
    path.with_suffix(".cpg").unlink()
    assert "通化县".encode("gbk") in path.with_suffix(".dbf").read_bytes()
    base = {
        "INPUT": str(path),
        "OUTPUT": str(tmp_path / "i.gpkg"),
        "SUMMARY": str(tmp_path / "s.csv"),
        "REPORT": str(tmp_path / "r.html"),
    }
    res = run_alg("checks", base)  # no .cpg: the DBF bytes say GBK
    assert [i.rule_id for i in load_issues(res["OUTPUT"])[0]] == []
    meta = json.loads((tmp_path / "i.meta.json").read_text(encoding="utf-8"))
    assert meta["parameters"]["encoding"] == "GBK (DBF bytes)"
    # a wrong choice that decodes: refused before any check, naming the encoding to choose
    with pytest.raises(QgsProcessingException) as err:
        run_alg("checks", dict(base, ENCODING="ISO-8859-1"))
    assert "通化县陡坡地" in str(err.value) and "parameter ENCODING) to GBK" in str(err.value)
    res = run_alg("checks", dict(base, ENCODING="GBK"))
    assert [i.rule_id for i in load_issues(res["OUTPUT"])[0]] == []
    meta = json.loads((tmp_path / "i.meta.json").read_text(encoding="utf-8"))
    assert meta["parameters"]["encoding"] == "GBK (user)"


def test_real_jilin_counties_through_processing(plugin, shared_data, tmp_path):
    """The real county layer as a layer meant to cover the province, failing on errors as CI would:
    it passes (no error); one warning (WGS 84 label - its GCJ-02 offset is not detectable from the
    polygons) and one info (公主岭市's old code 220381)."""
    shp = shared_file(shared_data, "jilin_counties", "jilin_province.shp")
    out = tmp_path / "jilin"
    res = run_alg(
        "checks",
        {
            "INPUT": str(shp),
            "COVERS": 1,
            "CODE_FIELD": "adcode",
            "CODE_FORMAT": 1,
            "COUNTY_FIELD": "adcode",
            "FAIL_ON_ERROR": True,
            "OUTPUT": str(out / "issues.gpkg"),
            "SUMMARY": str(out / "summary.csv"),
            "REPORT": str(out / "report.html"),
        },
    )
    assert (res["ERRORS"], res["WARNINGS"], res["INFOS"]) == (0, 1, 1)
    assert sorted(i.rule_id for i in load_issues(res["OUTPUT"])[0]) == ["ATTR-006", "CRS-001"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert len(re.findall(r"data:image/png;base64,", html)) >= 2
