"""Files the user gives (rule files, schemas, land-use mappings): a bilingual InputError naming the file."""

from __future__ import annotations

import json

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.disturbance.fields import load_field_mapping
from soil_conservation_plugin.core.disturbance.risk import load_risk_rules
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


def test_the_shipped_disturbance_files_are_versioned_and_cited():
    mapping = load_field_mapping()
    rules = load_risk_rules()
    for cited in (mapping.citation(), rules.citation()):
        assert cited["version"] and cited["source"] and cited["tag"] == "NOT FOUND"
    assert mapping.fields["patch_id"]["required"] and "图斑编号" in mapping.fields["patch_id"]["candidates"]
    assert {f["zh"] for f in mapping.fields.values()} == {
        "图斑编号",
        "扰动面积",
        "扰动类型",
        "项目名称",
        "建设单位",
        "批复情况",
        "下发年度",
    }
    raw = json.loads(shipped("disturbance_risk.json"))
    assert all(r["source"] and r["tag"] and r["default"] is True for r in raw["rules"])
    assert [c.zh for c in sorted(rules.classes.values(), key=lambda c: c.rank)] == [
        "疑似陡坡开垦",
        "重点核查",
        "一般核查",
    ]
    assert 0 < rules.min_overlap_pct <= 100


@pytest.mark.parametrize(
    "change, word",
    [
        (lambda d: d["rules"][0]["conditions"][0].__setitem__("measure", "slope_pct"), "unknown measure 'slope_pct'"),
        (lambda d: d["rules"][0].__setitem__("class", "severe_violation"), "class 'severe_violation'"),
        (lambda d: d["rules"][2]["conditions"][1].__setitem__("op", ">="), "approval takes in / not_in"),
        (lambda d: d["rules"][1]["conditions"][0].__setitem__("threshold", "1"), "number threshold"),
        (lambda d: d["rules"][1].__setitem__("id", "DR-001"), "occur twice"),
        (lambda d: d["rules"][1].pop("source"), "DR-002 needs a source"),
        (lambda d: d.__setitem__("default_class", "nope"), "default_class"),
        (lambda d: d["year_over_year"]["min_overlap_pct"].__setitem__("value", 0), "min_overlap_pct"),
        (lambda d: d.pop("version"), "version is missing"),
    ],
)
def test_a_bad_disturbance_risk_file(tmp_path, change, word):
    data = json.loads(shipped("disturbance_risk.json"))
    change(data)
    path = tmp_path / "risk.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_risk_rules(path)
    assert "risk.json" in err.value.layer and word in err.value.en and err.value.zh


def test_a_risk_threshold_of_1e400(tmp_path):
    path = tmp_path / "risk.json"
    path.write_text(
        shipped("disturbance_risk.json").replace('"threshold": 10.0', '"threshold": 1e400', 1), encoding="utf-8"
    )
    with pytest.raises(InputError) as err:
        load_risk_rules(path)
    assert "risk.json" in err.value.layer and "1e400" in err.value.en


@pytest.mark.parametrize(
    "change, word",
    [
        (lambda d: d["fields"].pop("patch_id"), "patch_id"),
        (lambda d: d["fields"]["year"].__setitem__("candidates", []), "fields/year/candidates"),
        (lambda d: d["fields"].__setitem__("colour", {"candidates": ["YS"]}), "unknown fields: colour"),
        (lambda d: d["area_unit"].__setitem__("value", "acre"), "area_unit"),
        (lambda d: d["layers"].pop("county"), "layers/county"),
        (lambda d: d["zone_values"].pop("fragile"), "zone_values"),
    ],
)
def test_a_bad_disturbance_field_mapping(tmp_path, change, word):
    data = json.loads(shipped("disturbance_fields.json"))
    change(data)
    path = tmp_path / "fields.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_field_mapping(path)
    assert "fields.json" in err.value.layer and word in err.value.en and err.value.zh
