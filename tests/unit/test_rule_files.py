"""Files the user gives (rule files, schemas, land-use mappings): a bilingual InputError naming the file."""

from __future__ import annotations

import json

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.headers import read_table_headers, table_columns
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.common.rules import default_province, read_province_rules, zoning_rules_file
from soil_conservation_plugin.core.disturbance.fields import load_field_mapping
from soil_conservation_plugin.core.disturbance.risk import load_risk_rules
from soil_conservation_plugin.core.export.schema import load_schema
from soil_conservation_plugin.core.indicators import compute as ind
from soil_conservation_plugin.core.terrain.slope_classes import read_slope_classes, slope_classes
from soil_conservation_plugin.core.zoning.zones import load_zoning_rules


def shipped(name):
    return resources_path("rules", name).read_text(encoding="utf-8")


def test_a_rule_file_not_in_utf8(tmp_path):
    path = tmp_path / "规则_gbk.json"
    path.write_bytes(shipped("zoning_jilin.json").encode("gbk"))
    with pytest.raises(InputError) as err:
        load_zoning_rules(path)
    assert "规则_gbk.json" in err.value.layer and "UTF-8" in err.value.zh and "not UTF-8" in err.value.en


def test_a_threshold_of_1e400(tmp_path):
    data = json.loads(shipped("zoning_jilin.json"))
    text = json.dumps(data, ensure_ascii=False)
    threshold = json.dumps(data["zone_types"][0]["base"]["threshold"])
    path = tmp_path / "rules.json"
    path.write_text(text.replace(f'"threshold": {threshold}', '"threshold": 1e400', 1), encoding="utf-8")
    assert "1e400" in path.read_text(encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_zoning_rules(path)
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


# --- policy data: default province, zoning rule files, slope classes, table headers -------------------------
POLICY_FILES = {
    "provinces.json": read_province_rules,
    "slope_classes.json": read_slope_classes,
    "table_headers.json": read_table_headers,
}


@pytest.mark.parametrize("name", sorted(POLICY_FILES))
def test_a_policy_file_is_versioned_with_its_source(name):
    data = json.loads(shipped(name))
    assert data["version"] and data["source"]
    POLICY_FILES[name](resources_path("rules", name))  # the shipped file passes its own checks


@pytest.mark.parametrize("name", sorted(POLICY_FILES))
def test_a_policy_file_not_in_utf8_or_with_nan(tmp_path, name):
    gbk = tmp_path / f"gbk_{name}"
    gbk.write_bytes(shipped(name).encode("gbk"))
    with pytest.raises(InputError) as err:
        POLICY_FILES[name](gbk)
    assert gbk.name in err.value.layer and "not UTF-8" in err.value.en
    nan = tmp_path / name
    nan.write_text(shipped(name).replace('"version"', '"x": NaN, "version"', 1), encoding="utf-8")
    with pytest.raises(InputError) as err:
        POLICY_FILES[name](nan)
    assert "NaN" in err.value.en


@pytest.mark.parametrize(
    "name, change, word",
    [
        ("provinces.json", lambda d: d.pop("source"), "source"),
        ("provinces.json", lambda d: d["default_province"].__setitem__("code", "990000"), "990000"),
        ("provinces.json", lambda d: d["zoning_rules"]["provinces"].__setitem__("220000", "nope.json"), "nope.json"),
        ("slope_classes.json", lambda d: d["classes"][1].__setitem__("lower_deg", 3), "without gaps"),
        ("slope_classes.json", lambda d: d["classes"][-1].__setitem__("upper_deg", 80), "AssertionError"),
        ("slope_classes.json", lambda d: d["classes"][0].__setitem__("id", "slope 0-2"), "AssertionError"),
        ("table_headers.json", lambda d: d["tables"]["county"].append("nope"), "table county"),
        ("table_headers.json", lambda d: d["columns"].__setitem__("area_ha", ""), "AssertionError"),
    ],
)
def test_a_broken_policy_file_is_refused(tmp_path, name, change, word):
    data = json.loads(shipped(name))
    change(data)
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RuntimeError) as err:
        POLICY_FILES[name](path)
    assert name in str(err.value) and word in str(err.value)


def test_policy_values_come_from_the_files():
    provinces_json = json.loads(shipped("provinces.json"))
    code = provinces_json["default_province"]["code"]
    assert default_province().value == code and default_province().rules_version == provinces_json["version"]
    own = provinces_json["zoning_rules"]["provinces"]
    assert zoning_rules_file(code[:2] + "0521").value == own[code]  # a county of the province
    assert zoning_rules_file(None).value == zoning_rules_file("national").value == "zoning_national.json"
    assert zoning_rules_file("130000").value == "zoning_national.json"  # a province without its own file
    classes = json.loads(shipped("slope_classes.json"))["classes"]
    assert slope_classes().breaks == tuple(float(c["upper_deg"]) for c in classes[:-1])
    assert slope_classes().citation()["version"] == json.loads(shipped("slope_classes.json"))["version"]
    headers = json.loads(shipped("table_headers.json"))
    assert table_columns("county") == [(c, headers["columns"][c]) for c in headers["tables"]["county"]]


def test_the_indicator_registry_follows_the_slope_classes():
    registry = ind.indicator_registry()
    for cid in slope_classes().ids:
        assert registry[f"{cid}_pct"][2] == "%"
    assert "slope_0_2_pct" in registry and registry["slope_gt25_pct"][0] == "坡度25–90°面积占比"


def test_importing_the_indicators_changes_no_registry():
    """The registry is built on first use, not by importing the module (nothing happens at import time)."""
    import subprocess
    import sys

    code = (
        "from soil_conservation_plugin.core.indicators import compute as ind; "
        "print(ind.indicator_registry.cache_info().currsize, hasattr(ind, 'INDICATORS'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["0", "False"]


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


def test_the_shipped_targets_file_is_versioned_and_cites_its_source():
    from soil_conservation_plugin.core.rollup.targets import load_targets

    data = json.loads(shipped("targets_jilin.json"))
    assert data["version"] and data["source"] and data["tag"] and data["verified"] is False
    assert data["method"]["official"] is False and data["method"]["default"] is True and data["method"]["tag"] == "M"
    for entry in data["targets"]:
        assert entry["tag"] == "S" and entry["verified"] is False and "not verified" in entry["source"]
    for key in ("reduce_loss_km2", "new_treatment_km2"):
        assert data["period_goals"][key]["tag"] and "not verified" in data["period_goals"][key]["source"]
    targets = load_targets()
    assert targets.version == data["version"] and targets.citation()["version"] == data["version"]


def test_a_targets_file_not_in_utf8(tmp_path):
    from soil_conservation_plugin.core.rollup.targets import load_targets

    path = tmp_path / "目标_gbk.json"
    path.write_bytes(shipped("targets_jilin.json").encode("gbk", errors="replace"))  # ² Σ · are not in GBK
    with pytest.raises(InputError) as err:
        load_targets(path)
    assert "目标_gbk.json" in err.value.layer and "UTF-8" in err.value.zh and "not UTF-8" in err.value.en


def test_the_patch_layer_aliases_and_the_announcement_headers_have_one_place():
    """The steep-slope layer's aliases come from resources/styles/field_aliases.json (its QML holds none);
    the 公告 table headers from table_headers.json."""
    from types import SimpleNamespace

    from soil_conservation_plugin.core.common.headers import read_field_aliases
    from soil_conservation_plugin.core.steep.outputs import layer_fields

    aliases = json.loads(resources_path("styles", "field_aliases.json").read_text(encoding="utf-8"))["fields"]
    assert read_field_aliases(resources_path("styles", "field_aliases.json")) == aliases
    fields = layer_fields(SimpleNamespace(units=object()))
    assert [(name, alias) for name, _, alias in fields] == [(name, aliases[name]["zh"]) for name, _, _ in fields]
    assert "<aliases>" not in resources_path("styles", "steep_slope.qml").read_text(encoding="utf-8")
    assert [h for _, h in table_columns("announcement")] == ["乡镇代码", "乡镇名称", "图斑数(个)", "面积(公顷)"]
    assert [h for _, h in table_columns("zoning_announcement")] == ["区类型", "小流域数(个)", "面积(公顷)", "占县域(%)"]


def test_a_broken_field_alias_file_is_refused(tmp_path):
    from soil_conservation_plugin.core.common.headers import read_field_aliases

    data = json.loads(resources_path("styles", "field_aliases.json").read_text(encoding="utf-8"))
    data["fields"]["cnty_code"]["zh"] = ""
    path = tmp_path / "field_aliases.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(RuntimeError) as err:
        read_field_aliases(path)
    assert "field_aliases.json" in str(err.value) and "cnty_code" in str(err.value)
