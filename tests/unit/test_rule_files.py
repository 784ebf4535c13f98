"""Files the user gives (rule files, schemas, land-use mappings): a bilingual InputError naming the file."""

from __future__ import annotations

import json

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.export.schema import load_schema
from soil_conservation_plugin.core.indicators import compute as ind
from soil_conservation_plugin.core.zoning.zones import load_rules


def shipped(name):
    return resources_path("rules", name).read_text(encoding="utf-8")


def test_a_rule_file_not_in_utf8(tmp_path):
    path = tmp_path / "规则_gbk.json"
    path.write_bytes(shipped("zoning_jilin.json").encode("gbk"))
    with pytest.raises(InputError) as err:
        load_rules(path)
    assert "规则_gbk.json" in err.value.layer and "UTF-8" in err.value.zh and "not UTF-8" in err.value.en


def test_a_threshold_of_1e400(tmp_path):
    data = json.loads(shipped("zoning_jilin.json"))
    text = json.dumps(data, ensure_ascii=False)
    threshold = json.dumps(data["zone_types"][0]["base"]["threshold"])
    path = tmp_path / "rules.json"
    path.write_text(text.replace(f'"threshold": {threshold}', '"threshold": 1e400', 1), encoding="utf-8")
    assert "1e400" in path.read_text(encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_rules(path)
    assert "rules.json" in err.value.layer and "1e400" in err.value.en


def test_wrong_schema_field_types(tmp_path):
    data = json.loads(resources_path("schemas", "onemap_v0.1.json").read_text(encoding="utf-8"))
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(data).replace("}", ', "x": NaN}', 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_schema(path)
    assert err.value.layer == "schema.json" and "NaN" in err.value.en


@pytest.mark.parametrize(
    "change, word",
    [
        (lambda d: d["groups"][0].__setitem__("codes", ["01", 2]), "'01'"),
        (lambda d: d["groups"][0]["codes"].append(10**9), "1000000000"),
        (lambda d: d["groups"][1]["codes"].append(d["groups"][0]["codes"][0]), "is in both"),
        (lambda d: d.__setitem__("cropland_groups", ["nope"]), "cropland_groups"),
        (lambda d: d.pop("groups"), "groups"),
    ],
)
def test_a_bad_landuse_mapping(tmp_path, change, word):
    data = json.loads(shipped("landuse_mapping.json"))
    change(data)
    path = tmp_path / "mapping.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        ind.load_landuse_mapping(path)
    assert "mapping.json" in err.value.layer and word in err.value.en


def test_the_shipped_targets_file_is_versioned_and_cites_its_source():
    from soil_conservation_plugin.core.rollup.targets import load_targets

    data = json.loads(shipped("targets_jilin.json"))
    assert data["version"] and data["source"] and data["tag"] and data["verified"] is False
    assert data["method"]["official"] is False and data["method"]["default"] is True and data["method"]["tag"] == "M"
    for entry in data["targets"]:
        assert entry["tag"] == "S" and entry["verified"] is False and "issue 18" in entry["source"]
    for key in ("reduce_loss_km2", "new_treatment_km2"):
        assert data["period_goals"][key]["tag"] and "issue 18" in data["period_goals"][key]["source"]
    targets = load_targets()
    assert targets.version == data["version"] and targets.citation()["version"] == data["version"]


def test_a_targets_file_not_in_utf8(tmp_path):
    from soil_conservation_plugin.core.rollup.targets import load_targets

    path = tmp_path / "目标_gbk.json"
    path.write_bytes(shipped("targets_jilin.json").encode("gbk", errors="replace"))  # ² Σ · are not in GBK
    with pytest.raises(InputError) as err:
        load_targets(path)
    assert "目标_gbk.json" in err.value.layer and "UTF-8" in err.value.zh and "not UTF-8" in err.value.en
