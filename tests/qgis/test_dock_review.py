"""Page 5: run the checks from the dock, review issues, decisions persist in the GeoPackage and survive a re-run."""
from __future__ import annotations


import pytest
from qgis.core import Qgis, QgsApplication, QgsCoordinateTransform, QgsGeometry, QgsProject, QgsVectorLayer
from qgis.PyQt.QtCore import Qt

from soil_conservation_plugin.core.review import load_decisions, load_issues
from tests.qgis.conftest import provider_registered, run_alg, wait_idle


@pytest.fixture(scope="module")
def region(tmp_path_factory, qgis_app, processing_ready):
    from soil_conservation_plugin.core.demo_region import generate_demo_region

    root = tmp_path_factory.mktemp("review")
    inputs = {k: str(v) for k, v in generate_demo_region(root / "demo", scale=0.25).items()}
    steep = root / "steep.gpkg"
    with provider_registered():
        run_alg("steep_slope", {
            "INPUT": inputs["dem"], "COUNTY": inputs["county"] + "|layername=county", "COUNTY_CODE_FIELD": "county_code",
            "COUNTY_NAME_FIELD": "county_name", "MIN_PATCH": 1.0, "OUTPUT": str(steep),
        })
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

    # the issue with a place on the map: double-click zooms to it
    placed = next(i for i in page.issues if i.geometry is not None and not i.geometry.is_empty)
    row = row_of(page, placed.key())
    page.issueTable.cellDoubleClicked.emit(row, 0)
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
    assert page.issues[page.issueTable.item(row_of(page, placed.key()), 0).data(Qt.ItemDataRole.UserRole)].status == "false_positive"


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
    page.overlayCombo.setLayer(layers["steep"])
    page.overlayButton.click()
    root = QgsProject.instance().layerTreeRoot()
    assert root.children()[0].layerId() == layers["redline"].id()  # red line drawn on top
    page.opacitySlider.setValue(70)
    assert layers["steep"].opacity() == pytest.approx(0.3)
    page.opacitySlider.setValue(0)
    assert layers["steep"].opacity() == pytest.approx(1.0)
    # the red line is drawn as an outline over the result
    symbol = layers["redline"].renderer().symbol()
    assert symbol.color().alpha() < 255 or symbol.symbolLayer(0).brushStyle() != Qt.BrushStyle.SolidPattern
    del root, symbol
