"""The export says what is wrong with a source once, in words the user knows: a roll-up layer above the
county, schema 0.1 without the v0.2 layers, the issued patches instead of the disturbance check's output."""

from __future__ import annotations

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.export import package as ex

from .disturbance_layers import scene
from .test_export_v02 import V01, rollup_gpkg


def test_the_county_layer_of_the_roll_up_is_accepted_and_a_higher_one_named(tmp_path):
    rollup = rollup_gpkg(tmp_path)
    with pytest.raises(InputError) as err:
        ex.export_package(tmp_path / "p", {"rollup": f"{rollup}|layername=province"}, options=ex.ExportOptions())
    assert "province" in err.value.zh and "province" in err.value.en and "county" in err.value.en
    assert not (tmp_path / "p").exists()
    ex.export_package(tmp_path / "ok", {"rollup": f"{rollup}|layername=county"}, options=ex.ExportOptions())


@pytest.mark.parametrize("key", ["disturbance", "rollup"])
def test_schema_0_1_says_it_has_no_such_layer(tmp_path, key):
    with pytest.raises(InputError) as err:
        ex.export_package(tmp_path / "p", {key: str(tmp_path / "x.gpkg")}, schema=V01)
    assert "schema 0.1" in err.value.en and "use 0.2" in err.value.en and f"leave {key.upper()} empty" in err.value.en
    assert "导出模式中没有这个图层" not in err.value.zh


def test_the_issued_patches_as_disturbance_are_refused_once(tmp_path):
    inputs = scene(tmp_path)
    with pytest.raises(InputError) as err:
        ex.export_package(tmp_path / "p", {"disturbance": inputs.patches}, options=ex.ExportOptions())
    assert "this is not the output of 扰动图斑核查 (disturbance_check)" in err.value.en
    assert err.value.en.count("not the output") == 1
    assert not (tmp_path / "p").exists()
