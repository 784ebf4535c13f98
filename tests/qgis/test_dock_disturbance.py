"""Page 7: the disturbance check from the dock on synthetic patches; page 5 sets the 销号 status of a
patch through soil_conservation:disturbance_status, and the status survives a re-run of the check."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsProject, QgsVectorLayer

from soil_conservation_plugin.core.disturbance.store import PATCHES_LAYER, read_tables
from tests.qgis.conftest import wait_idle

from ..unit.disturbance_layers import scene


@pytest.fixture()
def setup(qgis_iface, plugin, tmp_path):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    inputs = scene(tmp_path)
    project = QgsProject.instance()
    project.clear()
    sources = {
        "patches": inputs.patches,
        "counties": inputs.counties,
        "townships": inputs.townships,
        "units": inputs.units,
        "steep": inputs.steep,
        "zones": inputs.zones,
        "redline": inputs.redline,
        "dltb": inputs.landuse,
    }
    layers = {name: QgsVectorLayer(uri, name, "ogr") for name, uri in sources.items()}
    assert all(layer.isValid() for layer in layers.values())
    project.addMapLayers(list(layers.values()))
    qgis_iface.messageBar().clear_messages()
    dock = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    dock.outputDir.setFilePath(str(tmp_path / "results"))
    d = dock.data
    d.countyCombo.setLayer(layers["counties"])
    d.countyCodeField.setField("county_code")
    d.countyNameField.setField("county_name")
    d.townshipsCombo.setLayer(layers["townships"])
    d.townshipCodeField.setField("township_code")
    d.townshipNameField.setField("township_name")
    d.redlineCombo.setLayer(layers["redline"])
    d.prefill_inputs.landuseVectorCombo.setLayer(layers["dltb"])
    d.prefill_inputs.landuseField.setField("DLBM")
    dock.units.importRadio.setChecked(True)
    dock.units.unitsCombo.setLayer(layers["units"])
    page = dock.disturbance
    page.patchesCombo.setLayer(layers["patches"])
    page.steepCombo.setLayer(layers["steep"])
    page.zonesCombo.setLayer(layers["zones"])
    yield dock, layers
    dock.shutdown()
    dock.deleteLater()
    layers.clear()
    project.clear()


def stored(gpkg) -> dict:
    rows = read_tables(gpkg)[PATCHES_LAYER][0]
    return {r["patch_id"]: r for r in rows}


def select_patch(panel, patch_id: str) -> None:
    for row in range(panel.patchTable.rowCount()):
        if panel.patchTable.item(row, 0).text() == patch_id:
            panel.patchTable.selectRow(row)
            return
    raise AssertionError(f"patch {patch_id} not listed")


def choose(panel, status: str, verdict: str = "") -> None:
    index = next(i for i in range(panel.nextStatus.count()) if panel.nextStatus.itemData(i) == (status, verdict))
    panel.nextStatus.setCurrentIndex(index)


def test_check_from_the_dock_and_status_survives_a_rerun(setup, qgis_iface):
    dock, layers = setup
    page, panel = dock.disturbance, dock.checks
    bar = qgis_iface.messageBar()
    assert page.redlineCombo.currentLayer() is layers["redline"]  # from page 1
    page.runButton.click()
    assert dock.busy()  # a background task: the click returns at once
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    gpkg = page.gpkg
    assert gpkg == str(page.result_file())
    # the result layer on the map, with its style
    loaded = [lyr for lyr in QgsProject.instance().mapLayers().values() if PATCHES_LAYER in lyr.source()]
    assert len(loaded) == 1 and loaded[0].featureCount() == 5
    assert loaded[0].renderer().classAttribute() == "risk"
    # the per-county summary: two counties, every patch counted once
    table = page.summaryTable
    assert table.rowCount() == 2
    assert sorted(table.item(r, 0).text() for r in range(2)) == ["220502", "220521"]
    assert sum(int(table.item(r, 2).text()) for r in range(2)) == 5
    assert sum(int(table.item(r, 4).text()) for r in range(2)) == 1  # P1: suspected steep-slope reclamation
    assert "5" in page.resultLabel.text()

    # the reviewer panel lists the patches; P1 may only be checked (合规 or 违规) first
    assert panel.patch_file == gpkg and panel.patchTable.rowCount() == 5
    page.reviewButton.click()
    assert dock.pages.currentWidget().widget() is panel
    select_patch(panel, "P1")
    offered = [panel.nextStatus.itemData(i) for i in range(panel.nextStatus.count())]
    assert offered == [("已核查", "合规"), ("已核查", "违规")]
    choose(panel, "已核查", "违规")
    panel.statusDate.setDate(panel.statusDate.date().fromString("2026-03-01", "yyyy-MM-dd"))
    panel.statusComment.setText("陡坡开垦 steep reclamation")
    panel.reviewerEdit.setText("甲")
    panel.saveStatus.click()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    p1 = stored(gpkg)["P1"]
    assert (p1["status"], p1["verdict"], p1["checked_on"], p1["comment"], p1["reviewer"]) == (
        "已核查",
        "违规",
        "2026-03-01",
        "陡坡开垦 steep reclamation",
        "甲",
    )
    # the list shows it, still selected; a violation goes to 整改中 next, never straight to 已销号
    assert panel.current_patch()["patch_id"] == "P1"
    offered = [panel.nextStatus.itemData(i) for i in range(panel.nextStatus.count())]
    assert ("整改中", "") in offered and ("已销号", "") not in offered
    choose(panel, "整改中")
    panel.statusDate.setDate(panel.statusDate.date().fromString("2026-03-10", "yyyy-MM-dd"))
    panel.saveStatus.click()
    wait_idle(dock)
    assert (stored(gpkg)["P1"]["status"], stored(gpkg)["P1"]["rectify_on"]) == ("整改中", "2026-03-10")
    # the map layer shows the new status too
    layer = panel.patch_layer
    status = {f["patch_id"]: f["status"] for f in layer.getFeatures()}
    assert status["P1"] == "整改中"

    # the check runs again into the same file: the status stays, in the file and in the panel
    page.runButton.click()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    assert page.gpkg == gpkg
    again = stored(gpkg)
    assert (again["P1"]["status"], again["P1"]["verdict"], again["P1"]["comment"]) == (
        "整改中",
        "违规",
        "陡坡开垦 steep reclamation",
    )
    assert {again[p]["status"] for p in ("P2", "P3", "P4", "P5")} == {"待核查"}
    select_patch(panel, "P1")
    assert panel.current_patch()["status"] == "整改中"
    assert sum(int(page.summaryTable.item(r, 6).text()) for r in range(2)) == 4  # 待核查


def test_missing_patch_layer_warns_and_runs_nothing(setup, qgis_iface):
    dock, _ = setup
    dock.disturbance.patchesCombo.setLayer(None)
    dock.disturbance.runButton.click()
    assert not dock.busy()
    assert qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)


def test_cancel_writes_nothing(setup, qgis_iface):
    """Cancel right after Run (as the other pages): no result file, no layer, no error, the page usable again."""
    dock, _ = setup
    page = dock.disturbance
    layers_before = set(QgsProject.instance().mapLayers())
    page.runButton.click()
    assert dock.busy() and dock.cancelButton.isEnabled() and not page.runButton.isEnabled()
    dock.cancelButton.click()
    wait_idle(dock)
    assert qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Critical) == []
    assert dock.runStatus.text() == "Cancelled; nothing was written."
    assert not page.result_file().exists()
    assert set(QgsProject.instance().mapLayers()) == layers_before
    assert page.runButton.isEnabled() and not dock.cancelButton.isEnabled()


def test_a_refused_step_is_reported_and_the_project_reopens_the_patches(setup, qgis_iface, plugin):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    dock, _ = setup
    panel, bar = dock.checks, qgis_iface.messageBar()
    dock.disturbance.runButton.click()
    wait_idle(dock)
    gpkg = dock.disturbance.gpkg
    select_patch(panel, "P2")
    choose(panel, "已核查", "合规")
    panel.saveStatus.click()
    wait_idle(dock)
    assert stored(gpkg)["P2"]["status"] == "已核查"
    # back to 待核查 needs a comment: the algorithm refuses, the reviewer reads why, nothing changes
    choose(panel, "待核查")
    panel.statusComment.setText("")
    panel.saveStatus.click()
    wait_idle(dock)
    errors = bar.get_messages(Qgis.MessageLevel.Critical)
    assert errors and "comment" in " ".join(errors)
    assert (stored(gpkg)["P2"]["status"], stored(gpkg)["P2"]["verdict"]) == ("已核查", "合规")
    # a compliant patch may be closed right away
    select_patch(panel, "P2")
    assert ("已销号", "") in [panel.nextStatus.itemData(i) for i in range(panel.nextStatus.count())]
    # another dock on the same project (e.g. after reopening it) shows the same file and statuses
    other = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    try:
        assert other.checks.patch_file == gpkg
        select_patch(other.checks, "P2")
        assert other.checks.current_patch()["status"] == "已核查"
    finally:
        other.shutdown()
        other.deleteLater()


def renamed_patches(tmp_path, layers) -> QgsVectorLayer:
    """The patches as another issuer names their fields (图斑编号 → JCTB_ID, 批复情况 → SP_STATE)."""
    import geopandas as gpd

    gdf = gpd.read_file(layers["patches"].source().split("|")[0])
    gdf = gdf.rename(columns={"图斑编号": "JCTB_ID", "批复情况": "SP_STATE"})
    path = tmp_path / "patches_other_issuer.gpkg"
    gdf.to_file(str(path), layer="issued", driver="GPKG")
    layer = QgsVectorLayer(f"{path}|layername=issued", "另一下发单位的图斑", "ogr")
    assert layer.isValid()
    QgsProject.instance().addMapLayer(layer)
    return layer


def test_a_layer_with_other_field_names_is_refused_then_checked_with_its_own_mapping(setup, qgis_iface, tmp_path):
    import json

    from soil_conservation_plugin.core.common.paths import resources_path

    dock, layers = setup
    page, bar = dock.disturbance, qgis_iface.messageBar()
    # the shipped files, described on the page
    assert Path(page.fieldsFile.filePath()).name == "disturbance_fields.json"
    assert Path(page.rulesFile.filePath()).name == "disturbance_risk.json"
    assert page.fieldsStatus.text().startswith("✓ disturbance_fields.json, version 2026.1")
    assert page.rulesStatus.text().startswith("✓ disturbance_risk.json, version 2026.1")
    page.patchesCombo.setLayer(renamed_patches(tmp_path, layers))
    page.runButton.click()
    wait_idle(dock)
    errors = " ".join(bar.get_messages(Qgis.MessageLevel.Critical))
    assert "另一下发单位的图斑" in errors  # names the layer
    assert "required field missing" in errors and "JCTB_ID" in errors  # what is missing, what the layer has
    assert not page.result_file().exists()
    # the user's copy of the mapping with this issuer's names
    mapping = json.loads(resources_path("rules", "disturbance_fields.json").read_text(encoding="utf-8"))
    mapping["version"] = "2026.1-县局"
    mapping["fields"]["patch_id"]["candidates"].append("JCTB_ID")
    mapping["fields"]["approval"]["candidates"].append("SP_STATE")
    for name in ("project", "builder"):  # an own mapping lists only the fields the layer has
        del mapping["fields"][name]
    own = tmp_path / "fields_other_issuer.json"
    own.write_text(json.dumps(mapping, ensure_ascii=False), encoding="utf-8")
    page.fieldsFile.setFilePath(str(own))
    assert page.fieldsStatus.text().startswith("✓ fields_other_issuer.json, version 2026.1-县局")
    bar.clear_messages()
    page.runButton.click()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    ids = set(stored(page.gpkg))
    assert ids == {"P1", "P2", "P3", "P4", "P5"}
    assert sum(int(page.summaryTable.item(r, 4).text()) for r in range(2)) == 1  # P1 as before
    # the run cites the file it used, and the choice is kept in the project
    cited = [m for m in dock.results_dir().rglob("*.json") if "2026.1-县局" in m.read_text(encoding="utf-8")]
    assert cited, "no run metadata cites the mapping file's version"
    from soil_conservation_plugin.gui.common import PROJECT_SCOPE

    value, ok = QgsProject.instance().readEntry(PROJECT_SCOPE, "disturbance/fields_file", "")
    assert ok and value == str(own)


def test_a_broken_mapping_file_is_described_and_the_encoding_reaches_the_check(setup, tmp_path):
    from soil_conservation_plugin.processing.alg_disturbance import DisturbanceCheckAlgorithm as a

    dock, _ = setup
    page = dock.disturbance
    bad = tmp_path / "broken.json"
    bad.write_text('{"format": "soil-conservation-disturbance-fields/1"}', encoding="utf-8")
    page.fieldsFile.setFilePath(str(bad))
    assert page.fieldsStatus.text().count("✗") == 1 and "version is missing" in page.fieldsStatus.text()
    assert page.wanted()[a.FIELDS_FILE] == str(bad)
    assert page.wanted()[a.ENCODING] == ""  # the .cpg file, else read from the text
    page.encodingCombo.setCurrentIndex(page.encodingCombo.findData("GBK"))
    assert page.wanted()[a.ENCODING] == "GBK"
