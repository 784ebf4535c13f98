"""Rule engine: loading and validation, any/all, precedence, county restriction, red line, audit, outputs."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import numpy as np
import pytest
import yaml
from pyproj import CRS
from shapely.geometry import box

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.zoning import zones as zoning

AEA = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=GRS80 +units=m")
X0, Y0 = 42500000.0, 4800000.0


def cond(ind, op, thr, **kw):
    return dict(
        {"indicator": ind, "op": op, "threshold": thr, "source": "test", "tag": "NOT FOUND", "default": True}, **kw
    )


def rules_dict(**over):
    r = {
        "format": "soil-conservation-zoning-rules/1",
        "id": "test",
        "version": "t-1",
        "title": {"zh": "测试", "en": "test"},
        "source": "test",
        "zone_types": [
            {
                "id": "key_treatment",
                "name": {"zh": "水土流失重点治理区", "en": "treatment"},
                "combine": "any",
                "base": cond("loss_pct", ">=", 30),
                "regional": [cond("moderate_plus_pct", ">=", 10), cond("steep_pct", ">=", 15)],
            },
            {
                "id": "key_prevention",
                "name": {"zh": "水土流失重点预防区", "en": "prevention"},
                "combine": "any",
                "base": cond("forest_grass_pct", ">=", 60),
                "regional": [cond("water_source_pct", ">=", 30, optional=True)],
            },
            {
                "id": "severe",
                "name": {"zh": "水土流失严重区域", "en": "severe"},
                "combine": "all",
                "base": cond("moderate_plus_pct", ">=", 20),
                "regional": [cond("loss_pct", ">=", 50)],
            },
        ],
        "precedence": {
            "exclusive": [["key_treatment", "key_prevention"]],
            "source": "test",
            "tag": "NOT FOUND",
            "default": True,
        },
        "redline": {
            "mode": "flag",
            "min_overlap_pct": 0,
            "zone": "key_prevention",
            "source": "test",
            "tag": "NOT FOUND",
            "default": True,
        },
    }
    r.update(over)
    return r


def write_rules(tmp_path, r, name="r.json"):
    p = tmp_path / name
    if name.endswith(".yaml"):
        p.write_text(yaml.safe_dump(r, allow_unicode=True), encoding="utf-8")
    else:
        p.write_text(json.dumps(r, ensure_ascii=False), encoding="utf-8")
    return p


@pytest.fixture()
def units():
    # 6 square units of 1×1 km; indicator values chosen to hit each rule path
    geoms = [box(X0 + i * 1000, Y0, X0 + (i + 1) * 1000, Y0 + 1000) for i in range(6)]
    return gpd.GeoDataFrame(
        {
            "unit_code": [f"U{i}" for i in range(6)],
            "county_code": ["220521", "220521", "220521", "220621", "220621", "220621"],
            "county_name": ["通化县"] * 3 + ["抚松县"] * 3,
            "loss_pct": [35.0, 10.0, 60.0, 5.0, 29.999, np.nan],
            "moderate_plus_pct": [5.0, 2.0, 25.0, 1.0, 10.0, 3.0],
            "steep_pct": [0.0, 1.0, 2.0, 3.0, 0.0, 40.0],
            "forest_grass_pct": [80.0, 70.0, 10.0, 90.0, 65.0, 20.0],
            "loss_km2": [0.35, 0.1, 0.6, 0.05, 0.3, 0.0],
            "redline_pct": [0.0, 12.5, 0.0, 0.0, 100.0, 0.0],
            "steep_deg": [20.0] * 6,
        },
        geometry=geoms,
        crs="EPSG:4530",
    ).assign(unit_area_km2=lambda d: d.to_crs(AEA).area / 1e6)


def test_shipped_rule_files_load_and_mark_defaults():
    for name in ("220000", "national"):
        r = zoning.load_zoning_rules(name)
        assert {z["id"] for z in r["zone_types"]} == {"key_prevention", "key_treatment", "severe", "fragile"}
        assert r["redline"]["mode"] == "flag"
        for z in r["zone_types"]:
            for c in [z["base"]] + z["regional"]:
                assert c["source"] and (c["tag"] == "V" or c["default"] is True)
    assert zoning.load_zoning_rules("220000")["steep_slope_deg"]["value"] == 20
    assert zoning.load_zoning_rules("national")["steep_slope_deg"]["value"] == 25


def test_any_all_precedence_and_audit(tmp_path, units):
    rules = zoning.load_zoning_rules(write_rules(tmp_path, rules_dict()))
    z = zoning.evaluate(units, rules)
    # U0: loss 35 ≥ 30 (treatment) and forest 80 ≥ 60 (prevention) → treatment wins by precedence
    assert z.loc[0, "zone_key_treatment"] == 1 and z.loc[0, "zone_key_prevention"] == 0
    audit = json.loads(z.loc[0, "zone_audit"])
    assert audit["key_prevention"]["qualified"] and audit["key_prevention"]["excluded_by"] == "precedence:key_treatment"
    assert audit["key_treatment"]["fired"] == [
        {
            "indicator": "loss_pct",
            "role": "base",
            "value": 35.0,
            "op": ">=",
            "threshold": 30,
            "default": True,
            "source": "test",
        }
    ]
    assert "water_source_pct" in audit["key_prevention"]["missing"]  # optional, not computed: recorded
    # U1: only prevention
    assert z.loc[1, "zone_ids"] == "key_prevention" and z.loc[1, "zones"] == "水土流失重点预防区"
    # U2: severe needs all: moderate 25 ≥ 20 and loss 60 ≥ 50; also treatment
    assert z.loc[2, "zone_severe"] == 1 and z.loc[2, "zone_key_treatment"] == 1
    assert z.loc[2, "zone_ids"] == "key_treatment;severe" and z.loc[2, "zone_main"] == "水土流失重点治理区"
    # U4: loss 29.999 < 30 but moderate 10 ≥ 10 fires (regional, any-one-hit); severe (all) fails
    assert z.loc[4, "zone_key_treatment"] == 1 and z.loc[4, "zone_severe"] == 0
    assert "moderate_plus_pct=10>=10" in z.loc[4, "fired"]
    # U5: NaN loss is missing, steep 40 ≥ 15 fires
    a5 = json.loads(z.loc[5, "zone_audit"])
    assert "loss_pct" in a5["key_treatment"]["missing"] and z.loc[5, "zone_key_treatment"] == 1
    # U3: forest 90 → prevention
    assert z.loc[3, "zone_ids"] == "key_prevention"
    assert (z["rules_version"] == "t-1").all()
    # red line: flag only, nothing assigned by it
    assert z["redline_flag"].tolist() == [0, 1, 0, 0, 1, 0]


def test_all_of_requires_every_condition(tmp_path, units):
    r = rules_dict()
    r["zone_types"][0]["combine"] = "all"
    z = zoning.evaluate(units, zoning.load_zoning_rules(write_rules(tmp_path, r)))
    expect = (units["loss_pct"] >= 30) & (units["moderate_plus_pct"] >= 10) & (units["steep_pct"] >= 15)
    assert z["zone_key_treatment"].tolist() == expect.astype(int).tolist()


def test_redline_include_and_county_restriction(tmp_path, units):
    r = rules_dict()
    r["redline"]["mode"] = "include"
    r["redline"]["min_overlap_pct"] = 10
    r["precedence"]["exclusive"] = []
    units.loc[4, "forest_grass_pct"] = 20.0  # U4 qualifies by the red line only
    z = zoning.evaluate(units, zoning.load_zoning_rules(write_rules(tmp_path, r)))
    a4 = json.loads(z.loc[4, "zone_audit"])
    assert z.loc[4, "zone_key_prevention"] == 1 and z.loc[2, "zone_key_prevention"] == 0
    assert a4["key_prevention"]["fired"] == [
        {
            "indicator": "redline_pct",
            "role": "redline",
            "value": 100.0,
            "op": ">",
            "threshold": 10,
            "default": True,
            "source": "test",
        }
    ]
    # U1 overlaps 12.5 % > 10 but already qualifies by forest: the audit keeps the indicator, not the red line
    a1 = json.loads(z.loc[1, "zone_audit"])
    assert [f["indicator"] for f in a1["key_prevention"]["fired"]] == ["forest_grass_pct"]
    r["redline"]["mode"] = "flag"
    zf = zoning.evaluate(units, zoning.load_zoning_rules(write_rules(tmp_path, r)))
    assert zf.loc[4, "zone_key_prevention"] == 0 and zf.loc[4, "redline_flag"] == 1
    r["redline"]["mode"] = "include"
    # restriction: prevention only in 抚松县 (220621), given at run time
    z2 = zoning.evaluate(
        units, zoning.load_zoning_rules(write_rules(tmp_path, r)), restrict={"key_prevention": ["220621"]}
    )
    assert z2["zone_key_prevention"].tolist() == [0, 0, 0, 1, 1, 0]
    assert json.loads(z2.loc[1, "zone_audit"])["key_prevention"]["excluded_by"] == "counties"
    # the same restriction in the rule file, by county name
    r["zone_types"][1]["counties"] = {"list": ["抚松县"], "source": "user", "tag": "NOT FOUND", "default": True}
    z3 = zoning.evaluate(units, zoning.load_zoning_rules(write_rules(tmp_path, r)))
    assert z3["zone_key_prevention"].tolist() == [0, 0, 0, 1, 1, 0]


def test_yaml_rule_file(tmp_path, units):
    rules = zoning.load_zoning_rules(write_rules(tmp_path, rules_dict(), "r.yaml"))
    assert zoning.evaluate(units, rules)["zone_key_treatment"].sum() == 4


def test_unknown_indicator(tmp_path):
    r = rules_dict()
    r["zone_types"][0]["regional"].append(cond("erosoin_pct", ">=", 3))
    with pytest.raises(InputError) as exc:
        zoning.load_zoning_rules(write_rules(tmp_path, r))
    assert "未知指标" in exc.value.zh and "unknown indicator 'erosoin_pct'" in exc.value.en
    assert "key_treatment/regional/2" in exc.value.en


@pytest.mark.parametrize("ind,thr", [("loss_pct", 130), ("fvc_mean", 60), ("steep_km2", -1)])
def test_bad_threshold(tmp_path, ind, thr):
    r = rules_dict()
    r["zone_types"][0]["base"] = cond(ind, ">=", thr)
    with pytest.raises(InputError) as exc:
        zoning.load_zoning_rules(write_rules(tmp_path, r))
    assert "超出取值范围" in exc.value.zh and "outside its range" in exc.value.en


def test_schema_errors(tmp_path):
    r = rules_dict()
    r["zone_types"][0]["base"]["threshold"] = "30"
    with pytest.raises(InputError, match="zone_types/0/base/threshold"):
        zoning.load_zoning_rules(write_rules(tmp_path, r))
    r = rules_dict()
    r["zone_types"][0]["base"]["default"] = False  # NOT FOUND yet not marked as a default
    with pytest.raises(InputError, match="does not match the rule schema"):
        zoning.load_zoning_rules(write_rules(tmp_path, r))
    r = rules_dict()
    r["zone_types"][0]["base"]["op"] = "=>"
    with pytest.raises(InputError, match="op"):
        zoning.load_zoning_rules(write_rules(tmp_path, r))
    r = rules_dict()
    del r["version"]
    with pytest.raises(InputError, match="version"):
        zoning.load_zoning_rules(write_rules(tmp_path, r))
    p = tmp_path / "broken.json"
    p.write_text("{", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        zoning.load_zoning_rules(p)


def test_missing_required_indicator_and_steep_mismatch(tmp_path, units):
    rules = zoning.load_zoning_rules(write_rules(tmp_path, rules_dict()))
    with pytest.raises(InputError) as exc:
        zoning.evaluate(units.drop(columns=["steep_pct"]), rules)
    assert "steep_pct" in exc.value.en
    r = rules_dict(steep_slope_deg={"value": 25, "source": "law", "tag": "V", "default": False})
    with pytest.raises(InputError, match="steep-slope threshold"):
        zoning.evaluate(units, zoning.load_zoning_rules(write_rules(tmp_path, r)))


def test_dissolve_and_county_summary(tmp_path, units):
    r = rules_dict()
    zoned, zones, summary, rules = zoning.run_zoning(units, write_rules(tmp_path, r))
    treat = zones[zones["zone_id"] == "key_treatment"].set_index("county_code")
    # 通化县: U0, U2 (adjacent? no: U0 and U2 are 1 km apart) ; 抚松县: U4, U5 (adjacent) → one polygon
    assert treat.loc["220521", "n_units"] == 2 and treat.loc["220621", "n_units"] == 2
    ref = units.to_crs(AEA)
    assert treat.loc["220621", "area_km2"] == pytest.approx(ref.geometry[4].union(ref.geometry[5]).area / 1e6, rel=1e-3)
    assert treat.loc["220621"].geometry.geom_type == "Polygon"
    rows = {row["county_code"]: row for row in summary}
    assert rows["220521"]["key_treatment_units"] == 2
    assert rows["220521"]["key_treatment_km2"] == pytest.approx(ref.area[[0, 2]].sum() / 1e6, rel=1e-6)
    total = rows["合计 total"]
    assert total["n_units"] == 6
    assert total["conservation_rate_pct"] == pytest.approx(
        100 * (ref.area.sum() / 1e6 - units["loss_km2"].sum()) / (ref.area.sum() / 1e6), rel=1e-6
    )
    zoning.write_csv(summary, tmp_path / "s.csv")
    with open(tmp_path / "s.csv", encoding="utf-8-sig") as fh:
        back = list(csv.DictReader(fh))
    assert len(back) == 3 and back[0]["county_name"] == "通化县"
    cit = zoning.rules_citation(rules)
    assert cit["version"] == "t-1" and cit["all_thresholds_verified"] is False


def test_restriction_needs_known_zone_and_county_field(tmp_path, units):
    rules = zoning.load_zoning_rules(write_rules(tmp_path, rules_dict()))
    with pytest.raises(InputError):
        zoning.evaluate(units, rules, restrict={"fragile": ["220621"]})
    with pytest.raises(InputError, match="county"):
        zoning.evaluate(
            units.drop(columns=["county_code", "county_name"]), rules, restrict={"key_prevention": ["220621"]}
        )


def test_jilin_rules_on_indicator_values(units):
    """The shipped Jilin file evaluates on a layer that has every non-optional indicator."""
    u = units.copy()
    u["intense_plus_pct"] = [0, 0, 12, 0, 0, 0]
    u["slope_gt25_pct"] = [0, 0, 0, 0, 0, 25]
    u["fvc_mean"] = [0.7, 0.5, 0.2, 0.8, 0.65, 0.4]
    u["cropland_pct"] = [10, 10, 80, 0, 10, 50]
    z = zoning.evaluate(u, zoning.load_zoning_rules("220000"))
    assert z.loc[2, "zone_fragile"] == 1 and z.loc[5, "zone_fragile"] == 1
    assert z.loc[2, "zone_severe"] == 1
    assert z.loc[3, "zone_key_prevention"] == 1
    assert z.loc[0, "rules_version"] == "2026.1-default"
