"""Publication: per-county print layout from the template → PDF and PNG, one county or a batch."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr
from qgis.core import (
    QgsApplication,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutItemTextTable,
    QgsPrintLayout,
    QgsProject,
    QgsReadWriteContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument

from tests.qgis.conftest import run_alg

gdal.UseExceptions()
ogr.UseExceptions()
A3_MM = (420.0, 297.0)


def reference_table(steep: str, county: str) -> list[list[str]]:
    """Independent: the 公告 rows by OGR SQL on the patch layer (count of parent patches, sum of area_ha)."""
    ds = ogr.Open(steep)
    sql = (
        "SELECT twn_code, twn_name, COUNT(DISTINCT parent_id) AS n, SUM(area_ha) AS ha FROM steep_slope "
        f"WHERE cnty_code = '{county}' GROUP BY twn_code, twn_name ORDER BY twn_code"
    )
    res = ds.ExecuteSQL(sql, dialect="SQLite")
    rows = [[f["twn_code"], f["twn_name"], str(f["n"]), f"{f['ha']:.2f}"] for f in res]
    ds.ReleaseResultSet(res)
    res = ds.ExecuteSQL(
        f"SELECT COUNT(DISTINCT parent_id) AS n, SUM(area_ha) AS ha FROM steep_slope WHERE cnty_code = '{county}'",
        dialect="SQLite",
    )
    f = res.GetNextFeature()
    rows.append(["", "合计", str(f["n"]), f"{(f['ha'] or 0.0):.2f}"])
    ds.ReleaseResultSet(res)
    return rows


def params(region, out, **kw):
    return {
        "COUNTIES": region["counties"],
        "COUNTY_CODE_FIELD": "county_code",
        "COUNTY_NAME_FIELD": "county_name",
        "STEEP": region["steep"],
        "TOWNSHIPS": region["townships"],
        "TOWNSHIP_NAME_FIELD": "township_name",
        "SOURCE": "演示数据（合成） demo data",
        "DATE": "2026-11-29",
        "DPI": 100,
        "OUTPUT_FOLDER": str(out),
        **kw,
    }


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_batch_writes_pdf_and_png_per_county(region, plugin, tmp_path):
    out = tmp_path / "batch"
    result = run_alg("publish", params(region, out))
    assert result["COUNT"] == 2
    index = json.loads(Path(result["INDEX"]).read_text(encoding="utf-8"))["results"]["counties"]
    assert [c["county_code"] for c in index] == ["220521", "220581"]
    for county in index:
        pdf, png = Path(county["pdf"]), Path(county["png"])
        assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
        # PNG: A3 landscape at 100 dpi, and not blank: the patches are drawn in red
        ds = gdal.Open(str(png))
        for got, mm in zip((ds.RasterXSize, ds.RasterYSize), A3_MM):
            assert abs(got - mm / 25.4 * 100) <= 1  # QGIS rounds the pixel size down
        rgb = np.stack([ds.GetRasterBand(b).ReadAsArray() for b in (1, 2, 3)]).astype(int)
        red = (rgb[0] > 180) & (rgb[1] < 90) & (rgb[2] < 90)
        n_patches = int(reference_table(region["steep"], county["county_code"])[-1][2])
        assert n_patches > 0 and red.sum() > 100
        assert (rgb.sum(axis=0) < 100).sum() > 1000  # black text and lines
        # the 公告 table equals the independent SQL aggregation, also as text in the PDF
        expected = reference_table(region["steep"], county["county_code"])
        assert county["table"] == expected
        text = pdf_text(pdf)
        for row in expected:
            assert " ".join(row[1:]).split()[0] in text and row[-1] in text
        assert f"{county['county_name']}禁止开垦陡坡地分布图" in text
        assert "制图日期：2026-11-29" in text and "数据来源：演示数据（合成） demo data" in text
        assert "坡度 ≥ 20°" in text  # the legend names the threshold (吉林 rule)
    # the two counties' tables add up to all patches of the layer
    ds = ogr.Open(region["steep"])
    total = sum(f["area_ha"] for f in ds.GetLayer(0))
    ds = None
    assert sum(float(c["table"][-1][3]) for c in index) == pytest.approx(total, abs=0.02)


def test_layout_has_every_element(region, plugin, tmp_path):
    out = tmp_path / "one"
    result = run_alg("publish", params(region, out, COUNTY="220581"))
    assert result["COUNT"] == 1
    files = sorted(p.name for p in out.iterdir())
    assert files == [
        ".soil_conservation_output.json",
        "220581_steep_slope_announcement.pdf",
        "220581_steep_slope_announcement.png",
        "220581_steep_slope_announcement.qpt",
        "publication.json",
    ]
    project = QgsProject()
    layout = QgsPrintLayout(project)
    doc = QDomDocument()
    assert doc.setContent((out / "220581_steep_slope_announcement.qpt").read_text(encoding="utf-8"))
    _, ok = layout.loadFromTemplate(doc, QgsReadWriteContext())
    assert ok
    items = {i.id(): i for i in layout.items() if hasattr(i, "id") and callable(i.id) and i.id()}
    assert isinstance(items["title"], QgsLayoutItemLabel) and items["title"].text() == "梅河口市禁止开垦陡坡地分布图"
    assert isinstance(items["map"], QgsLayoutItemMap)
    assert isinstance(items["legend"], QgsLayoutItemLegend)
    assert isinstance(items["scalebar"], QgsLayoutItemScaleBar) and items["scalebar"].linkedMap() is items["map"]
    arrow = items["north_arrow"]
    assert isinstance(arrow, QgsLayoutItemPicture) and Path(arrow.picturePath()).is_file()
    assert items["date"].text() == "制图日期：2026-11-29"
    assert items["source"].text().startswith("数据来源：演示数据")
    assert any(isinstance(mf, QgsLayoutItemTextTable) for mf in layout.multiFrames())
    assert "announcement_table" in items
    # the map shows the county: its extent holds the county's bounding box
    county = QgsVectorLayer(region["counties"], "c", "ogr")
    f = next(f for f in county.getFeatures() if f["county_code"] == "220581")
    assert items["map"].extent().contains(f.geometry().boundingBox())
    del county, layout, project


def test_bad_inputs_fail_before_work(region, plugin, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException, match="no county with code 999999"):
        run_alg("publish", params(region, tmp_path / "x", COUNTY="999999"))
    with pytest.raises(QgsProcessingException, match="area_ha"):
        run_alg("publish", params(region, tmp_path / "y", STEEP=region["townships"]))
    assert not (tmp_path / "x" / "publication.json").exists()


def test_title_with_braces_is_literal(region, plugin, tmp_path):
    out = tmp_path / "braces"
    result = run_alg(
        "publish", params(region, out, COUNTY="220581", TITLE="{county_name}{禁止} 开垦 {0} {county_code}{")
    )
    assert result["COUNT"] == 1 and isinstance(result["COUNT"], int)
    doc = QDomDocument()
    assert doc.setContent((out / "220581_steep_slope_announcement.qpt").read_text(encoding="utf-8"))
    project = QgsProject()
    layout = QgsPrintLayout(project)
    _, ok = layout.loadFromTemplate(doc, QgsReadWriteContext())
    assert ok
    title = next(i for i in layout.items() if isinstance(i, QgsLayoutItemLabel) and i.id() == "title")
    assert title.text() == "梅河口市{禁止} 开垦 {0} 220581{"
    assert "梅河口市{禁止} 开垦 {0} 220581{" in pdf_text(out / "220581_steep_slope_announcement.pdf")
    del title, layout, project


def test_expression_marker_in_the_title_is_refused(region, plugin, tmp_path):
    from qgis.core import QgsProcessingException

    with pytest.raises(QgsProcessingException) as err:
        run_alg("publish", params(region, tmp_path / "expr", COUNTY="220581", TITLE="[% 1/0 %]"))
    assert "[TITLE]" in str(err.value) and "表达式" in str(err.value) and "expression" in str(err.value)
    assert not (tmp_path / "expr").exists()


def test_codes_that_share_a_file_name_are_refused_before_any_work(region, plugin, tmp_path):
    from qgis.core import QgsProcessingException

    src = ogr.Open(region["counties"].split("|")[0])
    lyr = src.GetLayer(0)
    feat = lyr.GetNextFeature()
    geom = feat.GetGeometryRef().Clone()
    path = tmp_path / "clash.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    out_lyr = ds.CreateLayer("counties", lyr.GetSpatialRef(), ogr.wkbMultiPolygon)
    for name in ("county_code", "county_name"):
        out_lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for code, name in (("220521", "通化县"), ("2205/21", "甲"), ("2205 21", "乙")):
        f = ogr.Feature(out_lyr.GetLayerDefn())
        f.SetField("county_code", code)
        f.SetField("county_name", name)
        f.SetGeometry(geom)
        out_lyr.CreateFeature(f)
    f = out_lyr = ds = feat = lyr = src = None
    out = tmp_path / "clash_out"
    with pytest.raises(QgsProcessingException) as err:
        run_alg("publish", params(region, out, COUNTIES=f"{path}|layername=counties"))
    assert (
        "'2205 21' / '2205/21'" in str(err.value)
        and "same file name" in str(err.value)
        and "同一个文件名" in str(err.value)
    )
    assert not out.exists()


FULL_DISK = """
import json, resource, signal, sys
sys.path.append("/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
from processing.core.Processing import Processing
Processing.initialize()
import processing
from soil_conservation_plugin.processing.provider import SoilConservationProvider
provider = SoilConservationProvider()  # kept referenced: Python owns it
QgsApplication.processingRegistry().addProvider(provider)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    processing.run("soil_conservation:publish", json.loads(sys.argv[1]))
    print("NO_ERROR")
except Exception as exc:
    print("ERROR", exc)
"""


def test_a_pdf_cut_short_never_takes_its_final_name(region, plugin, tmp_path):
    """Publishing onto a 'full disk' (a file-size limit in a child process): an error,
    and no PDF/PNG under a final name."""
    import os
    import sys

    out = tmp_path / "full"
    run = subprocess.run(
        [sys.executable, "-c", FULL_DISK, json.dumps(params(region, out, COUNTY="220581")), str(8 * 1024)],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ, QT_QPA_PLATFORM="offscreen"),
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert run.stdout.strip().splitlines()[-1].startswith("ERROR"), run.stdout[-2000:]
    assert "PDF" in run.stdout and "不完整" in run.stdout and "incomplete" in run.stdout
    assert not out.exists() or sorted(p.name for p in out.iterdir()) == []


def test_dock_publishes_in_the_background(region, plugin, qgis_iface, tmp_path):
    """The dock's 'publish all' runs the algorithm as a task (a worker thread) and reports the files."""
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    project = QgsProject.instance()
    project.clear()
    layers = {
        "county": QgsVectorLayer(region["counties"], "counties", "ogr"),
        "townships": QgsVectorLayer(region["townships"], "townships", "ogr"),
        "steep": QgsVectorLayer(region["steep"], "steep", "ogr"),
    }
    project.addMapLayers(list(layers.values()))
    dock = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    try:
        dock.outputDir.setFilePath(str(tmp_path / "results"))
        dock.data.countyCombo.setLayer(layers["county"])
        dock.data.countyCodeField.setField("county_code")
        dock.data.countyNameField.setField("county_name")
        dock.data.townshipsCombo.setLayer(layers["townships"])
        dock.data.townshipNameField.setField("township_name")
        dock.publish.publishSteepCombo.setLayer(layers["steep"])
        assert [dock.publish.countyChoice.itemData(i) for i in range(dock.publish.countyChoice.count())] == [
            "220521",
            "220581",
        ]
        dock.publish.publishAll.click()
        end = time.monotonic() + 120
        while dock.busy():
            QgsApplication.processEvents()
            time.sleep(0.01)
            assert time.monotonic() < end
        pngs = sorted((tmp_path / "results").rglob("*.png"))
        assert [p.name for p in pngs] == ["220521_steep_slope_announcement.png", "220581_steep_slope_announcement.png"]
        assert "2" in dock.publish.resultLabel.text()
    finally:
        dock.shutdown()
        dock.deleteLater()
        project.clear()
        layers.clear()
