"""One parameter contract: the chain (processing/pipeline.py) and the dock's pages (gui/pages.py) pass only
parameters the algorithms declare, enum values inside the algorithm's options, and read only outputs
the algorithms declare. build_parameters drops unknown names silently, so nothing else would notice.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import QgsApplication, QgsProcessingParameterEnum

from soil_conservation_plugin.core.common.rules import zoning_rules_file
from soil_conservation_plugin.demo.region import NAMES
from soil_conservation_plugin.processing import pipeline
from soil_conservation_plugin.processing.alg_steep_slope import SteepSlopeAlgorithm
from soil_conservation_plugin.processing.alg_zoning import ZoningAlgorithm
from soil_conservation_plugin.processing.provider import PROVIDER_ID
from tests.qgis.test_dock import set_inputs

# every input role the chain knows: the demo region makes one file for each
ROLES = NAMES


def registered(name: str):
    alg = QgsApplication.processingRegistry().algorithmById(f"{PROVIDER_ID}:{name}")
    assert alg is not None, name
    return alg


def check_parameters(name: str, params: dict) -> None:
    """Every key a declared parameter; every enum value an index of its options."""
    definitions = {d.name(): d for d in registered(name).parameterDefinitions()}
    unknown = sorted(set(params) - set(definitions))
    assert not unknown, f"{name} declares no parameter {unknown}"
    for key, value in params.items():
        definition = definitions[key]
        if isinstance(definition, QgsProcessingParameterEnum) and value not in (None, ""):
            assert isinstance(value, int) and not isinstance(value, bool), (name, key, value)
            assert 0 <= value < len(definition.options()), (name, key, value, definition.options())


def declared_outputs(name: str, step: str) -> dict:
    """Results as the algorithm would return them: one value for each output it declares, no other."""
    return {o.name(): f"/results/{step}/{o.name().lower()}.gpkg" for o in registered(name).outputDefinitions()}


def chain_parameters(inputs: dict, tmp_path: Path) -> dict:
    """{step: parameters} the chain builds, each step seeing only the declared outputs of the earlier ones."""
    done: dict = {}
    built = {}
    for step, name, make_params in pipeline.chain_steps(inputs, tmp_path, done):
        params = make_params()  # a KeyError here: the chain reads an output nobody declares
        resolved = {k: pipeline.resolve(v, done) for k, v in params.items()}
        for key, value in params.items():  # and a chain_ref() must name an output of an earlier step
            if isinstance(value, str) and value.startswith(pipeline.REF):
                assert resolved[key], f"{step}.{key} = {value}: no earlier step declares that output"
        built[step] = (name, resolved)
        done[step] = declared_outputs(name, step)
    return built


@pytest.mark.parametrize("province", ["220000", "national", None, "130000"])
@pytest.mark.parametrize("official_units", [False, True])
def test_the_chain_passes_what_the_algorithms_declare(plugin, tmp_path, province, official_units):
    inputs = {role: f"/data/{role}.gpkg" for role in ROLES} | dict(pipeline.DEMO_FIELDS)
    inputs |= {"rules_file": "/data/rules.json", "province": province or ""}
    if official_units:
        inputs["units"] = "/data/units.gpkg"
    built = chain_parameters(inputs, tmp_path)
    assert list(built) == [
        "import_units" if official_units else "watersheds",
        "slope",
        "steep_slope",
        "unit_indicators",
        "zoning",
        "checks",
        "checks_steep",
        "disturbance_check",
        *(["rollup", "change"] if province == "220000" else []),  # the targets file is 吉林's
        "export",
        "publish",
    ]
    for name, params in built.values():
        check_parameters(name, params)
    # the enum positions stand for what the chain meant
    steep = built["steep_slope"][1]
    expected = province if province in SteepSlopeAlgorithm.province_choices() else None
    assert SteepSlopeAlgorithm.province_choices()[steep[SteepSlopeAlgorithm.PROVINCE]] == expected
    ruleset = ZoningAlgorithm.rulesets()[built["zoning"][1][ZoningAlgorithm.RULESET]]
    assert ruleset == ("220000" if province == "220000" else "national")
    assert zoning_rules_file(ruleset).value == zoning_rules_file(province).value
    assert [built[s][1]["KIND"] for s in ("checks", "checks_steep")] == [3, 1]  # zones, steep_slope
    assert built["export"][1]["FORMAT"] == 0  # GeoPackage


def test_the_demo_chain_passes_what_the_algorithms_declare(plugin, tmp_path):
    inputs = {role: f"/data/{role}.gpkg" for role in ROLES} | dict(pipeline.DEMO_FIELDS)
    inputs["province"] = pipeline.demo_province()
    assert inputs["province"] == "220000"  # 通化县 220521 of the demo region
    for name, params in chain_parameters(inputs, tmp_path).values():
        check_parameters(name, params)


def test_a_renamed_parameter_fails_the_contract(plugin):
    with pytest.raises(AssertionError, match="RULESETT"):
        check_parameters("zoning", {"RULESETT": 0})
    with pytest.raises(AssertionError):
        check_parameters("zoning", {ZoningAlgorithm.RULESET: len(ZoningAlgorithm.rulesets())})


def test_the_pages_pass_what_the_algorithms_declare(dock, layers):  # noqa: F811
    from soil_conservation_plugin.gui.dock import ChainLinks

    set_inputs(dock, layers)
    combo = dock.data.provinceCombo
    for i in range(combo.count()):  # auto, each province, national
        combo.setCurrentIndex(i)
        steep = dock.steep.wanted()
        check_parameters("steep_slope", steep)
        province = dock.data.province()
        expected = province if province in SteepSlopeAlgorithm.province_choices() else None
        assert SteepSlopeAlgorithm.province_choices()[steep[SteepSlopeAlgorithm.PROVINCE]] == expected
        for j in range(dock.steep.connectivity.count()):
            dock.steep.connectivity.setCurrentIndex(j)
            value = dock.steep.wanted()[SteepSlopeAlgorithm.CONNECTIVITY]
            assert SteepSlopeAlgorithm.CONNECTIVITIES[value] == dock.steep.connectivity.currentData()
    for radio in (dock.units.delineateRadio, dock.units.importRadio):
        radio.setChecked(True)
        for _step, name, values in dock.chain_wanted(ChainLinks()):  # Run all
            check_parameters(name, values)
    # the pages' own Run buttons
    for name, values in (
        ("watersheds", dock.units.wanted()),
        ("import_units", dock.units.wanted_import()),
        ("unit_indicators", dock.zoning.wanted_indicators()),
        ("zoning", dock.zoning.wanted()),
        ("checks", dock.checks.wanted()),
        ("export", dock.publish.wanted()),
        ("publish", dock.publish.wanted_publish("220521")),
    ):
        check_parameters(name, values)
    for i in range(dock.publish.formatCombo.count()):
        dock.publish.formatCombo.setCurrentIndex(i)
        check_parameters("export", dock.publish.wanted())


def test_the_supervision_and_rollup_pages_pass_what_the_algorithms_declare(dock, layers):  # noqa: F811
    from soil_conservation_plugin.core.disturbance.status import STATUSES, VERDICTS
    from soil_conservation_plugin.gui.dock import ChainLinks
    from soil_conservation_plugin.processing.alg_change import ChangeAlgorithm
    from soil_conservation_plugin.processing.alg_disturbance import DisturbanceStatusAlgorithm

    set_inputs(dock, layers)
    check_parameters("disturbance_check", dock.disturbance.wanted())
    check_parameters("disturbance_check", dock.disturbance.wanted(ChainLinks()))
    check_parameters("rollup", dock.rollup.wanted())
    # Run all with pages 7 and 8 set: the check, the roll-up and the change, as the pages pass them
    dock.disturbance.patchesCombo.setLayer(layers["county"])
    dock.rollup.changeCheck.setChecked(True)
    for i in range(dock.disturbance.encodingCombo.count()):
        dock.disturbance.encodingCombo.setCurrentIndex(i)
        steps = {step: (name, values) for step, name, values in dock.chain_wanted(ChainLinks())}
        assert {"disturbance_check", "rollup", "change"} <= set(steps)
        for name, values in steps.values():
            check_parameters(name, values)
    for i in range(dock.rollup.kindCombo.count()):  # in the order of the change algorithm's KIND enum
        dock.rollup.kindCombo.setCurrentIndex(i)
        values = dock.rollup.wanted_change()
        check_parameters("change", values)
        assert ChangeAlgorithm.KINDS[values[ChangeAlgorithm.KIND]] == dock.rollup.kindCombo.currentData()
    # every step of the 销号 cycle the reviewer panel may offer, as the status algorithm's enums
    panel = dock.checks
    panel.patches = [{"patch_id": "P1", "year": "2025", "status": s, "verdict": ""} for s in STATUSES]
    panel.patches += [{"patch_id": "P1", "year": "2025", "status": STATUSES[1], "verdict": v} for v in VERDICTS]
    panel.patch_file = "/data/check.gpkg"
    panel.patchTable.setRowCount(0)
    for patch in panel.patches:
        steps = panel.allowed_steps(patch)
        assert steps, patch  # no state is a dead end (已销号 may be reopened)
        for status, verdict in steps:
            panel.nextStatus.clear()
            panel.nextStatus.addItem("", (status, verdict))
            values = panel.wanted_status()
            check_parameters("disturbance_status", values)
            a = DisturbanceStatusAlgorithm
            assert STATUSES[values[a.STATUS]] == status
            assert (VERDICTS[values[a.VERDICT] - 1] if values[a.VERDICT] else "") == verdict
