"""Run all = the pages: every page's settings reach the chain, and both paths give the same results.

One non-default value on every page (units 5–20 km², 25°, farmland kept, 2 ha, 4 neighbours,
the national rule file, Shapefile export without zip, a source note); then Run all, then the pages one
by one, then the steep-slope page at its defaults.
"""

from __future__ import annotations

import json
from pathlib import Path

from qgis.core import Qgis, QgsProject, QgsWkbTypes

from soil_conservation_plugin.core.common.paths import resources_path
from tests.qgis.conftest import wait_idle
from tests.qgis.test_dock import set_inputs


def step_layers(step: str) -> list:
    root = QgsProject.instance().layerTreeRoot()
    groups = [g for g in root.children() if g.customProperty("soil_conservation/step") == step]
    assert len(groups) <= 1, [g.name() for g in groups]
    return [n.layer() for g in groups for n in g.findLayers()]


def steep_numbers(layer) -> tuple:
    feats = list(layer.getFeatures())
    return len(feats), round(sum(f["area_ha"] for f in feats), 2), sorted(f["patch_id"] for f in feats)


def zoning_numbers(layer) -> dict:
    cols = [
        n for n in layer.fields().names() if n.startswith("zone_") and n not in ("zone_ids", "zone_main", "zone_audit")
    ]
    return {f["unit_code"]: tuple(f[c] for c in cols) for f in layer.getFeatures()}


def only(layers, field):
    found = [
        lyr
        for lyr in layers
        if field in lyr.fields().names() and lyr.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry
    ]
    assert len(found) == 1, [lyr.name() for lyr in layers]
    return found[0]


def test_run_all_runs_what_the_pages_run(dock, layers, bar, monkeypatch):
    # KNOWN FAILURE on main (not the dock's): the publish step's PNG export fails here with "The PNG driver
    # does not support update access" (processing/alg_publish.py). Leave that step out of this run until it
    # is fixed; its parameters are still built by the page and checked below.
    built = {}
    chain_steps = dock.chain_steps

    def without_publish(out_dir):
        steps, missing = chain_steps(out_dir)
        built.update({name: params for name, _alg, params in steps})
        return [s for s in steps if s[0] != "publish"], missing

    monkeypatch.setattr(dock, "chain_steps", without_publish)
    set_inputs(dock, layers)
    dock.units.minArea.setValue(5.0)
    dock.units.maxArea.setValue(20.0)
    dock.steep.threshold.setValue(25.0)
    dock.steep.excludeFarmland.setChecked(False)
    dock.steep.minPatch.setValue(2.0)
    dock.steep.connectivity.setCurrentIndex(dock.steep.connectivity.findData(4))
    dock.zoning.rulesFile.setFilePath(str(resources_path("rules", "zoning_national.json")))
    dock.publish.formatCombo.setCurrentIndex(1)  # Shapefile
    dock.publish.zipCheck.setChecked(False)
    dock.publish.sourceEdit.setText("县水利局 2025")

    # --- Run all ---------------------------------------------------------------------------
    dock.runAllButton.click()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    chain_dir = next(Path(dock.results_dir()).glob("chain_*"))
    chain = json.loads((chain_dir / "chain.json").read_text(encoding="utf-8"))
    used = chain["parameters"]
    steep = used["steep_slope"]
    assert (
        steep["THRESHOLD"] == 25.0
        and steep["USE_FARMLAND"] is False
        and steep["MIN_PATCH"] == 2.0
        and steep["CONNECTIVITY"] == 1
    )
    assert used["watersheds"]["MIN_AREA"] == 5.0 and used["watersheds"]["MAX_AREA"] == 20.0
    assert Path(used["zoning"]["RULES_FILE"]).name == "zoning_national.json"
    assert used["export"]["FORMAT"] == 1 and used["export"]["ZIP"] is False
    assert built["publish"]["SOURCE"] == "县水利局 2025"
    assert Path(steep["OUTPUT"]).name == "steep_slope_220521.gpkg"  # named after the step and the county
    # the chain's parameters are the pages' own (outputs and the links between steps aside)
    for step, name, wanted in (
        ("steep_slope", "steep_slope", dock.steep.wanted),
        ("watersheds", "watersheds", dock.units.wanted),
    ):
        from soil_conservation_plugin.gui.common import build_parameters

        page, _ = build_parameters(name, wanted(), chain_dir)
        for key, value in page.items():
            if key in ("UNITS",) or str(value).startswith(str(chain_dir)):
                continue
            assert used[step][key] == value, (step, key)

    chain_steep = steep_numbers(only(step_layers("steep_slope"), "patch_id"))
    chain_zones = zoning_numbers(only(step_layers("zoning"), "zone_ids"))
    chain_units = len(list(only(step_layers("units"), "unit_code").getFeatures()))
    chain_issues = len(dock.checks.issues)
    assert chain_steep[0] > 0 and chain_zones

    # --- page by page ----------------------------------------------------------------------
    dock.units.runButton.click()
    wait_idle(dock)
    dock.steep.runButton.click()
    wait_idle(dock)
    dock.zoning.runButton.click()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    # one group per step: the page runs replaced the chain's groups
    page_units = len(list(only(step_layers("units"), "unit_code").getFeatures()))
    steep_layer = only(step_layers("steep_slope"), "patch_id")
    page_steep = steep_numbers(steep_layer)
    page_zones = zoning_numbers(only(step_layers("zoning"), "zone_ids"))
    assert page_units == chain_units
    assert page_steep == chain_steep
    assert page_zones == chain_zones
    assert "≥25°" in steep_layer.name()
    dock.checks.targetCombo.setLayer(only(step_layers("zoning"), "zone_ids"))
    dock.checks.runButton.click()
    wait_idle(dock)
    assert len(dock.checks.issues) == chain_issues

    # --- the defaults give something else (so the settings did matter) --------------------
    dock.steep.threshold.setValue(20.0)
    dock.steep.excludeFarmland.setChecked(True)
    dock.steep.minPatch.setValue(5.0)
    dock.steep.connectivity.setCurrentIndex(0)
    dock.steep.runButton.click()
    wait_idle(dock)
    default_steep = steep_numbers(only(step_layers("steep_slope"), "patch_id"))
    assert default_steep[:2] != chain_steep[:2]
    assert len(step_layers("steep_slope")) == 1  # replaced, not added
    del steep_layer


def test_run_all_includes_the_supervision_and_rollup_pages(dock, layers, demo, bar, monkeypatch):
    """Pages 7 and 8 in Run all, as in `make demo`: the disturbance check when page 7 has a patch layer,
    the roll-up always, the change when page 8's box is ticked; with the pages' own parameters, and
    their results loaded as after the pages' own runs."""
    from qgis.core import QgsRasterLayer, QgsVectorLayer

    from soil_conservation_plugin.gui.common import build_parameters
    from soil_conservation_plugin.gui.dock import ChainLinks

    chain_steps = dock.chain_steps

    def without_publish(out_dir):  # the publish step's PNG export fails here, see above
        steps, missing = chain_steps(out_dir)
        return [s for s in steps if s[0] != "publish"], missing

    monkeypatch.setattr(dock, "chain_steps", without_publish)
    set_inputs(dock, layers)
    # nothing chosen on pages 7 and 8: the roll-up only
    steps = [s for s, _, _ in dock.chain_wanted(ChainLinks())]
    assert "rollup" in steps and "disturbance_check" not in steps and "change" not in steps
    recipe = json.loads(resources_path("demo", "region.json").read_text(encoding="utf-8"))
    patches = QgsVectorLayer(
        f"{demo['disturbance']}|layername={recipe['files']['disturbance']['layer']}", "扰动图斑", "ogr"
    )
    later = QgsRasterLayer(demo["erosion_later"], "erosion 2025")
    assert patches.isValid() and later.isValid()
    QgsProject.instance().addMapLayers([patches, later])
    page7, page8 = dock.disturbance, dock.rollup
    page7.patchesCombo.setLayer(patches)
    page7.encodingCombo.setCurrentIndex(page7.encodingCombo.findData("GBK"))
    page8.changeCheck.setChecked(True)
    page8.beforeCombo.setLayer(layers["erosion"])
    page8.afterCombo.setLayer(later)
    page8.yearBefore.setValue(int(recipe["erosion_later"]["earlier_year"]))
    page8.yearAfter.setValue(int(recipe["erosion_later"]["year"]))
    steps = [s for s, _, _ in dock.chain_wanted(ChainLinks())]
    assert steps[steps.index("checks_steep") + 1 :] == ["disturbance_check", "rollup", "change", "export", "publish"]

    dock.runAllButton.click()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    chain_dir = next(Path(dock.results_dir()).glob("chain_*"))
    used = json.loads((chain_dir / "chain.json").read_text(encoding="utf-8"))["parameters"]
    assert {"disturbance_check", "rollup", "change"} <= set(used)
    # the pages' own parameters (the links between steps and the run's own output folder aside)
    for step, wanted in (
        ("disturbance_check", page7.wanted),
        ("rollup", page8.wanted),
        ("change", page8.wanted_change),
    ):
        own, _ = build_parameters(step, wanted(), chain_dir)
        for key, value in own.items():
            if key in ("UNITS", "STEEP", "ZONES", "INPUT", "CHECKLIST") or str(value).startswith(str(chain_dir)):
                continue
            assert used[step][key] == value, (step, key)
    assert used["disturbance_check"]["ENCODING"] == "GBK"
    assert Path(used["disturbance_check"]["FIELDS_FILE"]).name == "disturbance_fields.json"
    assert used["disturbance_check"]["OUTPUT"] == str(page7.result_file())  # the file that keeps the 销号 statuses
    # the earlier steps' outputs, by chain_ref
    assert used["disturbance_check"]["STEEP"].startswith(str(chain_dir / "steep_slope"))
    assert used["disturbance_check"]["ZONES"].startswith(str(chain_dir / "zoning"))
    assert used["rollup"]["INPUT"].startswith(str(chain_dir / "zoning"))
    assert used["change"]["UNITS"].startswith(str(chain_dir / "zoning"))
    # the results load as after the pages' runs
    checked = step_layers("disturbance")
    assert len(checked) == 1 and checked[0].featureCount() > 0
    assert page7.gpkg == str(page7.result_file()) and dock.checks.patch_file == page7.gpkg
    assert page7.summaryTable.rowCount() >= 1
    assert [lyr.source().split("layername=")[-1] for lyr in step_layers("rollup")] == ["county"]
    assert page8.countyTable.rowCount() == 1 and page8.countyTable.item(0, 0).text() == "220521"
    assert {lyr.source().split("layername=")[-1] for lyr in step_layers("rollup_change")} == {
        "unit_change",
        "county_change",
    }
    assert page8.reportButton.isEnabled() and Path(page8.report).is_file()
    assert not dock.busy()  # the roll-up's loader started no second change run


def test_run_all_refuses_a_patch_layer_without_its_mapped_fields_before_the_first_step(dock, layers, bar):
    set_inputs(dock, layers)
    dock.disturbance.patchesCombo.setLayer(layers["county"])  # a polygon layer without any 图斑编号 field
    assert dock.run_all() is False
    assert not dock.busy()
    errors = " ".join(bar.get_messages(Qgis.MessageLevel.Critical))
    assert "county" in errors and "required field missing" in errors
    assert not list(Path(dock.results_dir()).glob("chain_*"))  # nothing ran, nothing was written
