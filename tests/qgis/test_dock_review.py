"""Page 5: run the checks from the dock, review issues, decisions persist in the GeoPackage and survive a re-run."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsCoordinateTransform, QgsGeometry, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import Qt

from soil_conservation_plugin.core.checks.review import load_decisions, load_issues
from tests.qgis.conftest import provider_registered, run_alg, wait_idle


@pytest.fixture(scope="module")
def region(tmp_path_factory, qgis_app, processing_ready):
    from soil_conservation_plugin.demo.region import generate_demo_region

    root = tmp_path_factory.mktemp("review")
    inputs = {k: str(v) for k, v in generate_demo_region(root / "demo", scale=0.25).items()}
    steep = root / "steep.gpkg"
    with provider_registered():
        run_alg(
            "steep_slope",
            {
                "INPUT": inputs["dem"],
                "COUNTY": inputs["county"] + "|layername=county",
                "COUNTY_CODE_FIELD": "county_code",
                "COUNTY_NAME_FIELD": "county_name",
                "MIN_PATCH": 1.0,
                "OUTPUT": str(steep),
            },
        )
    return {**inputs, "steep": str(steep)}


@pytest.fixture()
def setup(region, qgis_iface, plugin, tmp_path):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    project = QgsProject.instance()
    project.clear()
    layers = {
        "county": QgsVectorLayer(region["county"], "county", "ogr"),
        "redline": QgsVectorLayer(region["redline"], "redline", "ogr"),
        "steep": QgsVectorLayer(region["steep"], "steep patches", "ogr"),
    }
    project.addMapLayers(list(layers.values()))
    qgis_iface.messageBar().clear_messages()
    dock = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    dock.outputDir.setFilePath(str(tmp_path / "results"))
    dock.data.countyCombo.setLayer(layers["county"])
    dock.data.countyCodeField.setField("county_code")
    dock.data.redlineCombo.setLayer(layers["redline"])
    dock.checks.targetCombo.setLayer(layers["steep"])
    yield dock, layers
    dock.shutdown()
    dock.deleteLater()
    layers.clear()
    project.clear()


def row_of(page, key) -> int:
    for row in range(page.issueTable.rowCount()):
        if page.issues[page.issueTable.item(row, 0).data(Qt.ItemDataRole.UserRole)].key() == key:
            return row
    raise AssertionError(f"issue {key} not listed")


def test_review_decision_persists_and_survives_rerun(setup, qgis_iface):
    dock, layers = setup
    page = dock.checks
    assert page.kindCombo.currentData() == "steep_slope"  # guessed from the patch_id field
    page.runButton.click()
    wait_idle(dock)
    assert qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical) == []
    gpkg = page.gpkg
    reference, _ = load_issues(gpkg)  # the file itself, read by the core
    assert len(page.issues) == len(reference) > 0
    assert page.issueTable.rowCount() == len(reference)
    assert page.issue_layer is not None and page.issue_layer.isValid()

    # the issue with a place on the map: a single click zooms to it
    placed = next(i for i in page.issues if i.geometry is not None and not i.geometry.is_empty)
    row = row_of(page, placed.key())
    page.issueTable.cellClicked.emit(row, 0)
    canvas = qgis_iface.mapCanvas()
    box = QgsGeometry.fromWkt(placed.geometry.wkt).boundingBox()
    tr = QgsCoordinateTransform(layers["steep"].crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance())
    assert canvas.extent().contains(tr.transformBoundingBox(box))
    assert page.highlight is not None

    # mark it a false positive with a comment
    page.issueTable.selectRow(row)
    page.decisionCombo.setCurrentIndex(page.decisionCombo.findData("false_positive"))
    page.commentEdit.setText("红线边界误差 boundary noise")
    page.saveDecision.click()
    decisions, _ = load_decisions(gpkg)
    assert [(d.rule_id, d.feature_id, d.decision, d.comment) for d in decisions] == [
        (placed.rule_id, placed.feature_id or "", "false_positive", "红线边界误差 boundary noise")
    ]
    issues, _ = load_issues(gpkg)
    assert [i.status for i in issues if i.key() == placed.key()] == ["false_positive"]
    assert sum(i.status == "false_positive" for i in issues) == 1

    # the status filter lists just that one
    page.statusFilter.setCurrentIndex(page.statusFilter.findData("false_positive"))
    assert page.issueTable.rowCount() == 1
    assert page.issues[page.issueTable.item(0, 0).data(Qt.ItemDataRole.UserRole)].key() == placed.key()
    page.statusFilter.setCurrentIndex(0)

    # re-run the checks from the dock: the decision is kept for the issue that persists
    page.runButton.click()
    wait_idle(dock)
    assert page.gpkg == gpkg
    rerun, _ = load_issues(gpkg)
    assert len(rerun) == len(reference)
    kept = [i for i in rerun if i.key() == placed.key()]
    assert [i.status for i in kept] == ["false_positive"] and kept[0].comment == "红线边界误差 boundary noise"
    assert (
        page.issues[page.issueTable.item(row_of(page, placed.key()), 0).data(Qt.ItemDataRole.UserRole)].status
        == "false_positive"
    )


def test_another_reviewer_opening_the_file_sees_the_marks(setup, qgis_iface, plugin):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    dock, _ = setup
    page = dock.checks
    page.runButton.click()
    wait_idle(dock)
    page.issueTable.selectRow(0)
    first = page.issues[page.issueTable.item(0, 0).data(Qt.ItemDataRole.UserRole)]
    page.decisionCombo.setCurrentIndex(page.decisionCombo.findData("needs_fix"))
    page.saveDecision.click()
    other = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    try:
        other.checks.open_issues(page.gpkg)
        statuses = {i.key(): i.status for i in other.checks.issues}
        assert statuses[first.key()] == "needs_fix"
        assert list(statuses.values()).count("needs_fix") == 1
    finally:
        other.shutdown()
        other.deleteLater()


def test_overlay_view_with_transparency(setup):
    dock, layers = setup
    page = dock.checks
    own_style = (
        layers["redline"].renderer().symbol().color().name(),
        layers["redline"].renderer().symbol().symbolLayer(0).brushStyle(),
    )
    page.overlayCombo.setLayer(layers["steep"])
    page.overlayButton.click()
    page.overlayButton.click()  # again: the copy is replaced, not added twice
    root = QgsProject.instance().layerTreeRoot()
    top = root.children()[0].layer()
    copies = [
        lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.customProperty("soil_conservation/overlay")
    ]
    assert copies == [top] and top.id() != layers["redline"].id()  # a copy of the red line drawn on top
    assert top.source() == layers["redline"].source()
    page.opacitySlider.setValue(70)
    assert layers["steep"].opacity() == pytest.approx(0.3)
    page.opacitySlider.setValue(0)
    assert layers["steep"].opacity() == pytest.approx(1.0)
    # the copy is drawn as an outline over the result; the user's own red-line layer keeps its style
    symbol = top.renderer().symbol()
    assert symbol.color().alpha() < 255 or symbol.symbolLayer(0).brushStyle() != Qt.BrushStyle.SolidPattern
    mine = layers["redline"].renderer().symbol()
    assert (mine.color().name(), mine.symbolLayer(0).brushStyle()) == own_style
    del root, symbol, top, copies, mine


def test_reviewer_reopens_and_the_decision_box_follows_the_row(setup, qgis_iface):
    dock, layers = setup
    page = dock.checks
    page.runButton.click()
    wait_idle(dock)
    assert len(page.issues) >= 2
    first = page.issues[page.issueTable.item(0, 0).data(Qt.ItemDataRole.UserRole)].key()
    page.issueTable.selectRow(row_of(page, first))
    page.decisionCombo.setCurrentIndex(page.decisionCombo.findData("accepted"))
    page.commentEdit.setText("ok")
    page.saveDecision.click()
    # another row: the box shows that row's own state, not the previous value
    other_row = next(r for r in range(page.issueTable.rowCount()) if r != row_of(page, first))
    page.issueTable.selectRow(other_row)
    assert page.decisionCombo.currentData() == "open" and page.commentEdit.text() == ""
    page.issueTable.selectRow(row_of(page, first))
    assert page.decisionCombo.currentData() == "accepted" and page.commentEdit.text() == "ok"
    # reopen it
    page.decisionCombo.setCurrentIndex(page.decisionCombo.findData("open"))
    page.saveDecision.click()
    decisions, _ = load_decisions(page.gpkg)
    assert decisions == []
    assert {i.status for i in load_issues(page.gpkg)[0]} == {"open"}

    # a single click (selection) zooms to an issue with a place on the map
    placed = next(i for i in page.issues if i.geometry is not None and not i.geometry.is_empty)
    canvas = qgis_iface.mapCanvas()
    canvas.setExtent(canvas.extent().buffered(1e6))
    page.issueTable.clearSelection()
    page.issueTable.selectRow(row_of(page, placed.key()))
    box = QgsGeometry.fromWkt(placed.geometry.wkt).boundingBox()
    tr = QgsCoordinateTransform(layers["steep"].crs(), canvas.mapSettings().destinationCrs(), QgsProject.instance())
    assert canvas.extent().contains(tr.transformBoundingBox(box))
    assert canvas.extent().width() < 1e5
    # areas in ha, never m²
    values = [page.issueTable.item(r, 5).text() for r in range(page.issueTable.rowCount())]
    assert not any("m²" in v or "m2" in v for v in values), values
    areas = [i for i in page.issues if i.unit in ("m²", "m2") and i.value is not None and i.feature_id]
    assert areas
    for issue in areas:
        feature = layers["steep"].getFeature(int(issue.feature_id))
        share = 100.0 * issue.value / (feature["area_ha"] * 1e4)  # the patch's own stored area
        text = page.value_text(issue)
        assert text.startswith(f"{issue.value / 1e4:.2f} ha (")
        assert float(text.split("(")[1].split(" %")[0]) == pytest.approx(share, abs=0.02)


def test_decisions_survive_run_all_and_the_page(setup):
    """The chain's issues are taken into the same review file: decisions made on the page stay."""
    from soil_conservation_plugin.core.checks.review import adopt_issues

    dock, _ = setup
    page = dock.checks
    page.runButton.click()
    wait_idle(dock)
    review = page.gpkg
    assert review == str(page.issue_file_for("steep_slope"))
    page.issueTable.selectRow(0)
    key = page.issues[page.issueTable.item(0, 0).data(Qt.ItemDataRole.UserRole)].key()
    page.decisionCombo.setCurrentIndex(page.decisionCombo.findData("needs_fix"))
    page.saveDecision.click()
    # a fresh check result elsewhere (as Run all writes it), adopted into the review file
    fresh = Path(review).with_name("fresh.gpkg")
    issues, crs = load_issues(review)
    from soil_conservation_plugin.core.checks.review import write_issue_gpkg

    for i in issues:
        i.status, i.comment = "open", ""
    write_issue_gpkg(fresh, issues, crs, decisions=[])
    assert adopt_issues(fresh, review) == 1
    assert {i.key(): i.status for i in load_issues(review)[0]}[key] == "needs_fix"
    fresh.unlink()
