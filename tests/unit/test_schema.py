"""The One-Map export schema file: its content, and clear failures for broken copies."""

from __future__ import annotations

import copy
import json

import pytest

from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.export.schema import (
    DEFAULT_SCHEMA,
    SchemaError,
    ValueProblem,
    coerce,
    load_schema,
    zone_codes,
)

LAYERS = [
    "禁止开垦陡坡地图斑",
    "小流域",
    "水土流失重点预防区",
    "水土流失重点治理区",
    "水土流失严重区域",
    "生态脆弱区域",
    "扰动图斑核查",
    "县级水土保持统计",
    "红线校核问题",
]
INTERNAL = {
    "steep_slope": {
        "patch_id",
        "parent_id",
        "county_code",
        "county_name",
        "township_code",
        "township_name",
        "unit_code",
        "area_ha",
        "slope_mean",
        "slope_max",
        "threshold_deg",
    },
    "units": {
        "unit_code",
        "unit_name",
        "down_code",
        "up_codes",
        "area_km2",
        "county_code",
        "county_name",
        "outlet_x",
        "outlet_y",
    },
    "zones": {"unit_code", "zone_type", "county_code", "county_name", "area_km2", "fired", "rule_version"},
    "issues": {"rule_id", "severity", "message_zh", "message_en", "layer", "feature_id", "value", "status"},
    # schema v0.2: the disturbance check's patch layer (store.PATCH_FIELDS) and the roll-up's county layer
    "disturbance": {
        "patch_id",
        "year",
        "area_ha",
        "cnty_code",
        "twn_code",
        "risk_zh",
        "status",
        "verdict",
        "closed_on",
    },
    "rollup": {"code", "name", "parent", "n_units", "land_ha", "assess_ha", "loss_ha", "rate_pct"},
}


def raw_schema() -> dict:
    return json.loads(resources_path("schemas", DEFAULT_SCHEMA).read_text(encoding="utf-8"))


def write(tmp_path, data) -> str:
    path = tmp_path / "onemap_test.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_bundled_schema_layers_crs_and_sources():
    schema = load_schema()
    assert [layer.name for layer in schema.layers] == LAYERS
    assert schema.crs_target == 4490
    assert set(schema.crs_allowed) == {4490, 4529, 4530, 4531, 4532, 4550, 4551, 4552, 4553}
    assert schema.shapefile_encoding == "GBK" and "UTF-8" in schema.shapefile_encodings
    raw = raw_schema()
    assert raw["default"] is True and "NOT FOUND" in raw["source"] and raw["version"] and raw["date"]
    for layer in schema.layers:
        assert layer.source and layer.code.isascii()
        names = [f.name for f in layer.fields]
        assert len({n.upper() for n in names}) == len(names)
        for f in layer.fields:
            assert f.name.isascii() and len(f.name) <= 10, f.name
            assert f.alias and not f.alias.isascii(), f.alias  # a Chinese alias
            assert f.source, (layer.name, f.name)
            # not from an official text → marked as a default
            if not f.default:
                assert f.tag in ("[V]", "[S]"), (layer.name, f.name)
    polygon_layers = [layer.name for layer in schema.layers if layer.geometry == "MultiPolygon"]
    assert polygon_layers == LAYERS[:8]
    assert schema.layer("红线校核问题").geometry == "Point"


def test_every_internal_field_is_mapped():
    schema = load_schema()
    for kind, wanted in INTERNAL.items():
        for layer in schema.layers:
            if layer.internal != kind:
                continue
            mapped = {name for f in layer.fields for name in f.sources}
            assert wanted <= mapped, (layer.name, wanted - mapped)


@pytest.mark.parametrize(
    "edit, words",
    [
        (
            lambda d: d["layers"][0]["fields"][0].update(type="Text"),
            ["未知字段类型", "unknown field type 'Text'", "TBBH"],
        ),
        (lambda d: d["layers"][0]["fields"][1].update(name="tbbh"), ["重复", "duplicate field name 'tbbh'"]),
        (
            lambda d: d["layers"][0]["fields"][0].update(name="TBBH_LONGER"),
            ["超过 Shapefile", "over the Shapefile limit of 10", "TBBH_LONGER"],
        ),
        (
            lambda d: d["layers"][1].update(geometry="Polygonz"),
            ["未知几何类型", "unknown geometry type 'Polygonz'", "小流域"],
        ),
        (lambda d: d["layers"][0]["fields"][0].update(alias=""), ["缺少中文别名", "missing Chinese alias"]),
        (lambda d: d["layers"][0]["fields"][2].update(pattern="^[0-9{6}$"), ["正则表达式无效", "invalid pattern"]),
        (lambda d: d["layers"][0]["fields"][0].update(name="图斑编号"), ["ASCII", "field name must be ASCII"]),
        (lambda d: d["crs"].update(target=3857), ["不在允许列表", "EPSG:3857 is not in the allowed list"]),
        (lambda d: d["layers"][1].update(code="XLY-1"), ["大写 ASCII", "upper-case ASCII"]),
        (lambda d: d["layers"][1].update(name="禁止开垦陡坡地图斑"), ["重复", "duplicate layer name"]),
        (
            lambda d: d["field_sets"]["zone_fields"][1]["value_map"].update(x="ZZ"),
            ["value_map", "not in the code list ['ZZ']"],
        ),
        (lambda d: d["layers"][0]["fields"][0].update(colour="red"), ["未知的键", "unknown keys ['colour']"]),
        (lambda d: d["layers"][0]["fields"][0].update(length=300), ["1-254", "String length must be 1-254"]),
        (lambda d: d.pop("version"), ["缺少必需的键", "missing required key 'version'"]),
    ],
)
def test_broken_schema_fails_on_load_with_zh_en_message(tmp_path, edit, words):
    data = copy.deepcopy(raw_schema())
    edit(data)
    with pytest.raises(SchemaError) as info:
        load_schema(write(tmp_path, data))
    message = str(info.value)
    assert info.value.layer == "onemap_test.json"
    for word in words:
        assert word in message, (word, message)


def test_schema_file_not_json(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(SchemaError, match="not valid JSON"):
        load_schema(path)


def test_coerce_values():
    schema = load_schema()
    steep = schema.layer("JZKKDPTB")
    assert coerce(steep.field("XZQDM"), 220521.0) == ("220521", None)  # numeric column → text code
    with pytest.raises(ValueProblem, match="pattern"):
        coerce(steep.field("XZQDM"), "22052")
    with pytest.raises(ValueProblem, match="required"):
        coerce(steep.field("XZQDM"), None)
    assert coerce(steep.field("XZDM"), None) == (None, None)
    assert coerce(steep.field("MJ"), 1.234567) == (1.2346, None)
    # GBK: a CJK Extension B character is not in GBK; UTF-8 takes it
    with pytest.raises(ValueProblem, match="GBK"):
        coerce(steep.field("XZMC"), "𠀀镇", "GBK")
    assert coerce(steep.field("XZMC"), "𠀀镇", "UTF-8") == ("𠀀镇", None)
    # ² is not in GBK: replaced for a Shapefile, kept elsewhere
    issues = schema.layer("HXJHWT")
    assert coerce(issues.field("WTMS"), "重叠 2.5 m²", "GBK", schema.substitutions) == ("重叠 2.5 m2", "substituted")
    assert coerce(issues.field("WTMS"), "重叠 2.5 m²", None, schema.substitutions) == ("重叠 2.5 m²", None)
    # DBF width in bytes: 254 GBK bytes = 127 Chinese characters; truncation reported
    text, note = coerce(issues.field("WTMS"), "水" * 200, "GBK")
    assert note == "truncated" and len(text.encode("gbk")) <= 254 and len(text) == 127
    with pytest.raises(ValueProblem, match="exceeds"):
        coerce(steep.field("XZQMC"), "县" * 51)
    # code lists through the value map
    assert coerce(issues.field("YZCD"), "警告") == ("warning", None)
    assert coerce(issues.field("YZCD"), "Warning") == ("warning", None)
    assert coerce(issues.field("ZT"), None) == ("open", None)
    assert coerce(issues.field("ZT"), "false positive") == ("false_positive", None)
    with pytest.raises(ValueProblem, match="code list"):
        coerce(issues.field("YZCD"), "fatal")
    zone = schema.layer("ZDYFQ").field("QYLX")
    assert zone_codes(zone, "重点治理区;严重") == ["ZLQ", "YZ"]
    assert zone_codes(zone, "prevention, fragile") == ["YFQ", "CR"]
    assert zone_codes(zone, None) == []


def test_dbf_width_per_encoding():
    field = load_schema().layer("JZKKDPTB").field("XZQMC")
    assert field.length == 50
    assert field.dbf_width("GBK") == 100 and field.dbf_width("UTF-8") == 150
