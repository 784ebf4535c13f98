"""The check engine on small real layers with known defects: the exact issues, their rule ids and
areas (to 0.01 m² against independent geodesic areas of the analytic shapes), and nothing else."""

from __future__ import annotations

import csv
import json

import pytest
from osgeo import ogr
from shapely.geometry import MultiPolygon

from soil_conservation_plugin.core.checks.inputs import read_vector
from soil_conservation_plugin.core.checks.quality import (
    CheckOptions,
    load_check_rules,
    run_checks,
    summary_rows,
    template_regex,
    write_summary_csv,
)
from soil_conservation_plugin.core.common.errors import InputError

from .checks_layers import gbox, geod_area, to_4490, write_layer

UNIT_FIELDS = [
    ("unit_code", ogr.OFTString),
    ("county_code", ogr.OFTString),
    ("area_km2", ogr.OFTReal),
    ("zone", ogr.OFTString),
]


def by_rule(issues):
    out = {}
    for i in issues:
        out.setdefault(i.rule_id, []).append(i)
    return out


def unit(geom, code, county="220521", zone="", area=None):
    return (
        geom,
        {
            "unit_code": code,
            "county_code": county,
            "area_km2": round(geod_area(geom) / 1e6, 8) if area is None else area,
            "zone": zone,
        },
    )


@pytest.fixture
def county(tmp_path):
    return write_layer(
        tmp_path / "county.gpkg", [(gbox(0, 0, 1000, 1000), {"code": "220521"})], fields=[("code", ogr.OFTString)]
    )


def test_rules_file_is_versioned_and_complete():
    rules = load_check_rules()
    assert rules["version"]
    for rule in rules["rules"].values():
        assert rule["severity"] in ("error", "warning", "info")
        assert (
            rule["message_zh"]
            and rule["message_en"]
            and "{layer}" in rule["message_en"]
            and "{layer}" in rule["message_zh"]
        )
    for tol in rules["tolerances"].values():
        assert "source" in tol and "tag" in tol and tol["default"] is True
    assert rules["tolerances"]["overlap_sliver_m2"]["value"] == 1.0
    assert rules["tolerances"]["part_sliver_m2"]["value"] == 100.0


def test_clean_layer_gives_no_issue(tmp_path, county):
    units = [
        unit(gbox(0, 0, 500, 500), "U1"),
        unit(gbox(500, 0, 1000, 500), "U2"),
        unit(gbox(0, 500, 500, 1000), "U3"),
        unit(gbox(500, 500, 1000, 1000), "U4"),
    ]
    path = write_layer(tmp_path / "units.gpkg", units, fields=UNIT_FIELDS)
    result = run_checks(read_vector(path, "units"), CheckOptions(kind="units"), boundary=read_vector(county, "county"))
    assert result.issues == []
    # geodesic edges of the county vs its split quadrants: differ by ~1e-3 m² over 1 km²
    assert result.stats["coverage_diff_pct"] == pytest.approx(0.0, abs=1e-6)
    assert result.stats["area_m2"] == pytest.approx(geod_area(gbox(0, 0, 1000, 1000)), abs=0.01)


def test_units_with_known_defects(tmp_path, county):
    """Overlap, gap (with a sliver island in it), sliver part, duplicate code, wrong county code,
    stored area off, and a red-line conflict (rule 'include'), red line given in another CRS."""
    a = gbox(0, 0, 500, 500)
    b = gbox(490, 0, 1000, 500)  # overlaps a by 10 × 500 m
    c = gbox(0, 500, 400, 1000)  # leaves a 100 × 500 m gap …
    sliver = gbox(410, 510, 415, 515)  # … with a 5 × 5 m part of d inside it
    d = MultiPolygon([gbox(500, 500, 1000, 1000), sliver])
    units = [
        unit(a, "U1", zone="重点预防区"),
        unit(b, "U2", area=0.2),  # stored area wrong; zone empty
        unit(c, "U3", county="220599", zone="重点治理区"),
        unit(d, "U1", zone="重点治理区"),  # duplicate code; 80 % in the red line but not 预防区
    ]
    path = write_layer(tmp_path / "units.gpkg", units, fields=UNIT_FIELDS)
    red_shape = gbox(500, 450, 1000, 900)
    red = write_layer(
        tmp_path / "redline.gpkg", [(to_4490(red_shape), {"HXMC": "红线"})], epsg=4490, fields=[("HXMC", ogr.OFTString)]
    )
    result = run_checks(
        read_vector(path, "units"),
        CheckOptions(kind="units", zone_field="zone", redline_rule="include"),
        redline=read_vector(red, "生态保护红线"),
        boundary=read_vector(county, "county"),
    )
    got = by_rule(result.issues)
    fid = {"U1": "1", "U2": "2", "U3": "3", "D": "4"}  # GPKG FIDs start at 1
    assert sorted(got) == sorted(
        [
            "CRS-002",
            "TOPO-001",
            "TOPO-002",
            "GEOM-003",
            "ATTR-003",
            "ATTR-005",
            "ATTR-008",
            "BND-002",
            "RL-001",
            "RL-002",
            "RL-003",
        ]
    )

    assert [i.layer for i in got["CRS-002"]] == ["生态保护红线"]
    (ov,) = got["TOPO-001"]
    assert (ov.feature_id, ov.other_id, ov.severity) == (fid["U1"], fid["U2"], "error")
    assert ov.value == pytest.approx(geod_area(gbox(490, 0, 500, 500)), abs=0.01)
    assert ov.geometry.equals(gbox(490, 0, 500, 500))
    (gap,) = got["TOPO-002"]
    gap_shape = gbox(400, 500, 500, 1000).difference(sliver)
    assert gap.value == pytest.approx(geod_area(gap_shape), abs=0.01)
    assert gap.geometry.symmetric_difference(gap_shape).area < 1e-6
    (sl,) = got["GEOM-003"]
    assert (
        sl.feature_id == fid["D"]
        and sl.value == pytest.approx(geod_area(sliver), abs=0.01)
        and sl.severity == "warning"
    )
    assert sorted(i.feature_id for i in got["ATTR-003"]) == [fid["U1"], fid["D"]]
    assert all(i.value_text == "U1" for i in got["ATTR-003"])
    (cc,) = got["ATTR-005"]
    assert (cc.feature_id, cc.value_text) == (fid["U3"], "220599")
    assert "220599" in cc.message_zh and "units" in cc.message_en and "feature 3 [U3]" in cc.message_en
    (ar,) = got["ATTR-008"]
    assert ar.feature_id == fid["U2"]
    assert ar.value == pytest.approx(abs(0.2 * 100 - geod_area(b) / 1e4), abs=1e-6)
    (cov,) = got["BND-002"]
    total = sum(geod_area(g) for g in (a, b, c, d))
    county_area = geod_area(gbox(0, 0, 1000, 1000))
    assert cov.value == pytest.approx((total - county_area) / county_area * 100, abs=1e-7)
    rl1 = {i.feature_id: i for i in got["RL-001"]}
    assert sorted(rl1) == [fid["U2"], fid["D"]]
    assert rl1[fid["U2"]].value == pytest.approx(geod_area(gbox(500, 450, 1000, 500)), abs=0.01)
    assert rl1[fid["D"]].value == pytest.approx(geod_area(gbox(500, 500, 1000, 900)), abs=0.01)
    share = geod_area(gbox(500, 500, 1000, 900)) / geod_area(d)
    assert f"{share * 100:.2f}%" in rl1[fid["D"]].message_en
    (conflict,) = got["RL-002"]
    assert conflict.feature_id == fid["D"] and conflict.severity == "error" and "重点治理区" in conflict.message_zh
    (unzoned,) = got["RL-003"]
    assert unzoned.value == pytest.approx(geod_area(gbox(500, 450, 1000, 500)), abs=0.01)
    assert len(result.issues) == 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 2 + 1 + 1

    # the rule decides: 'flag' reports overlaps only, no conflict and …
    flagged = run_checks(
        read_vector(path, "units"),
        CheckOptions(kind="units", zone_field="zone"),
        redline=read_vector(red, "红线"),
        boundary=read_vector(county, "county"),
    )
    assert "RL-002" not in by_rule(flagged.issues)
    # … 'exclude' makes a red-line unit in 预防区 the conflict: none of them here is ≥ 50 % inside
    excluded = run_checks(
        read_vector(path, "units"),
        CheckOptions(kind="units", zone_field="zone", redline_rule="exclude"),
        redline=read_vector(red, "红线"),
        boundary=read_vector(county, "county"),
    )
    assert "RL-002" not in by_rule(excluded.issues) and "RL-003" not in by_rule(excluded.issues)


def test_summary_csv_counts_by_rule_and_severity(tmp_path, county):
    units = [unit(gbox(0, 0, 500, 500), "U1"), unit(gbox(400, 0, 1000, 500), "U1", county="123456")]
    path = write_layer(tmp_path / "units.gpkg", units, fields=UNIT_FIELDS)
    result = run_checks(read_vector(path, "units"), CheckOptions(kind="units", covers=False))
    out = tmp_path / "summary.csv"
    write_summary_csv(out, result.issues)
    with open(out, encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    table = {(r["rule_id"], r["severity"]): r for r in rows}
    assert sorted(table) == [("ATTR-003", "error"), ("ATTR-005", "error"), ("TOPO-001", "error")]
    assert table[("ATTR-003", "error")]["count"] == "2"
    assert float(table[("TOPO-001", "error")]["value_sum"]) == pytest.approx(
        geod_area(gbox(400, 0, 500, 500)), abs=0.01
    )
    assert sum(int(r["count"]) for r in rows) == len(result.issues) == len(summary_rows(result.issues)) + 1


def test_invalid_empty_and_parts_under_minimum_patch(tmp_path):
    bowtie = "POLYGON ((42510000 4620000, 42510100 4620100, 42510100 4620000, 42510000 4620100, 42510000 4620000))"
    ring_touch = (  # a hole touching the shell in two points splits the interior: invalid
        "POLYGON ((42511000 4620000, 42511200 4620000, 42511200 4620200, 42511000 4620200, 42511000 4620000),"
        " (42511000 4620100, 42511100 4620000, 42511200 4620100, 42511100 4620200, 42511000 4620100))"
    )
    patch = MultiPolygon([gbox(2000, 0, 2300, 300), gbox(2400, 0, 2500, 100)])  # 9 ha + 1 ha
    feats = [
        (bowtie, {"patch_id": "P1"}),
        (ring_touch, {"patch_id": "P2"}),
        (None, {"patch_id": "P3"}),
        ("POLYGON EMPTY", {"patch_id": "P4"}),
        (patch, {"patch_id": "P5"}),
    ]
    path = write_layer(tmp_path / "patches.gpkg", feats, fields=[("patch_id", ogr.OFTString)])
    result = run_checks(
        read_vector(path, "patches"), CheckOptions(kind="generic", code_field="patch_id", min_patch_ha=5.0)
    )
    got = by_rule(result.issues)
    assert sorted(got) == ["GEOM-001", "GEOM-002", "GEOM-004"]
    assert sorted(i.feature_id for i in got["GEOM-001"]) == ["1", "2"]
    assert all(
        "Self-intersection" in i.value_text or "Ring" in i.value_text or "Interior" in i.value_text
        for i in got["GEOM-001"]
    )
    # the repaired bowtie keeps both triangles (make_valid, not buffer(0))
    bow = next(i for i in got["GEOM-001"] if i.feature_id == "1")
    assert len(list(bow.geometry.geoms)) == 2
    assert sorted(i.feature_id for i in got["GEOM-002"]) == ["3", "4"]
    (small,) = got["GEOM-004"]
    assert small.feature_id == "5" and small.value == pytest.approx(geod_area(gbox(2400, 0, 2500, 100)), abs=0.01)


def test_boundary_outside_parts_and_codes(tmp_path, county):
    feats = [
        (
            gbox(900, 0, 1100, 100),
            {
                "patch_id": "P1",
                "cnty_code": "220381",
                "twn_code": "220521100",
                "area_ha": round(geod_area(gbox(900, 0, 1100, 100)) / 1e4, 4),
            },
        ),
        (gbox(0, 0, 100, 100), {"patch_id": "P2", "cnty_code": "22052", "twn_code": "220521999", "area_ha": 1.5}),
        (
            gbox(200, 0, 300, 100),
            {
                "patch_id": "P3",
                "cnty_code": "220521",
                "twn_code": "220521100000",
                "area_ha": round(geod_area(gbox(200, 0, 300, 100)) / 1e4, 2),
            },
        ),
    ]
    fields = [
        ("patch_id", ogr.OFTString),
        ("cnty_code", ogr.OFTString),
        ("twn_code", ogr.OFTString),
        ("area_ha", ogr.OFTReal),
    ]  # as core/steep/outputs.py
    path = write_layer(tmp_path / "steep.gpkg", feats, fields=fields)
    result = run_checks(
        read_vector(path, "steep"), CheckOptions(kind="steep_slope"), boundary=read_vector(county, "county")
    )
    got = by_rule(result.issues)
    assert sorted(got) == ["ATTR-004", "ATTR-006", "ATTR-007", "ATTR-008", "BND-001"]
    (out,) = got["BND-001"]
    assert out.feature_id == "1" and out.value == pytest.approx(geod_area(gbox(1000, 0, 1100, 100)), abs=0.01)
    assert got["ATTR-006"][0].value_text == "220381" and "220184" in got["ATTR-006"][0].message_en
    assert got["ATTR-006"][0].severity == "info"
    assert [(i.feature_id, i.value_text) for i in got["ATTR-004"]] == [("2", "22052")]
    assert [(i.feature_id, i.value_text) for i in got["ATTR-007"]] == [("2", "220521999")]
    (ar,) = got["ATTR-008"]
    assert ar.feature_id == "2" and ar.value == pytest.approx(
        abs(1.5 - geod_area(gbox(0, 0, 100, 100)) / 1e4), abs=1e-9
    )


def test_steep_slope_patches_in_red_line_are_info_with_area(tmp_path):
    feats = [
        (
            gbox(0, 0, 300, 300),
            {
                "patch_id": "1",
                "cnty_code": "220521",
                "twn_code": "",
                "area_ha": round(geod_area(gbox(0, 0, 300, 300)) / 1e4, 4),
            },
        )
    ]
    fields = [
        ("patch_id", ogr.OFTString),
        ("cnty_code", ogr.OFTString),
        ("twn_code", ogr.OFTString),
        ("area_ha", ogr.OFTReal),
    ]
    path = write_layer(tmp_path / "steep.gpkg", feats, fields=fields)
    red = write_layer(tmp_path / "red.gpkg", [(gbox(200, 200, 600, 600), {})])
    result = run_checks(read_vector(path, "steep"), CheckOptions(kind="steep_slope"), redline=read_vector(red, "红线"))
    assert [i.rule_id for i in result.issues] == ["RL-004"]
    assert result.issues[0].severity == "info"
    assert result.issues[0].value == pytest.approx(geod_area(gbox(200, 200, 300, 300)), abs=0.01)


def test_gaps_without_boundary_are_holes_of_the_union(tmp_path):
    ring = gbox(0, 0, 300, 300).difference(gbox(100, 100, 200, 200))
    west, east = (
        gbox(0, 0, 300, 300).intersection(ring).intersection(gbox(0, 0, 150, 300)),
        ring.intersection(gbox(150, 0, 300, 300)),
    )
    island = gbox(140, 140, 160, 160)
    feats = [(west, {"c": "1"}), (east, {"c": "2"}), (island, {"c": "3"})]
    path = write_layer(tmp_path / "cover.gpkg", feats, fields=[("c", ogr.OFTString)])
    result = run_checks(read_vector(path, "cover"), CheckOptions(kind="generic", covers=True))
    (gap,) = result.issues
    assert gap.rule_id == "TOPO-002"
    assert gap.value == pytest.approx(geod_area(gbox(100, 100, 200, 200).difference(island)), abs=0.01)


def test_crs_warnings_and_bad_input(tmp_path):
    feats = [(to_4490(gbox(0, 0, 100, 100)), {})]
    wgs = write_layer(tmp_path / "wgs.gpkg", feats, epsg=4326)
    result = run_checks(read_vector(wgs, "wgs"), CheckOptions())
    assert [(i.rule_id, i.severity) for i in result.issues] == [("CRS-001", "warning")]
    assert "4326" in result.issues[0].message_en
    nocrs = write_layer(tmp_path / "nocrs.gpkg", feats, epsg=None)
    with pytest.raises(InputError) as err:
        run_checks(read_vector(nocrs, "无坐标系"), CheckOptions())
    assert err.value.layer == "无坐标系" and "CRS" in err.value.en
    empty = write_layer(tmp_path / "empty.gpkg", [], epsg=4490)
    with pytest.raises(InputError) as err:
        run_checks(read_vector(wgs, "wgs"), CheckOptions(), redline=read_vector(empty, "红线"))
    assert err.value.layer == "红线" and "no features" in err.value.en
    # an empty result layer is a valid (empty) result: no issue but its CRS
    assert run_checks(read_vector(empty, "结果"), CheckOptions()).issues == []
    with pytest.raises(InputError):
        read_vector(tmp_path / "missing.gpkg", "x")
    with pytest.raises(InputError):
        run_checks(read_vector(wgs, "wgs"), CheckOptions(redline_rule="maybe"))


def test_code_template_regex():
    rx = template_regex("{county_code}{seq:04d}")
    assert rx == r"^\d{6}\d{4}$"
    assert template_regex("XLY{seq:3d}-{name}").startswith("^XLY")


def test_unit_code_template_and_required_fields(tmp_path):
    feats = [
        (gbox(0, 0, 10 * 100, 100), {"unit_code": "2205210001", "county_code": 220521}),
        (gbox(0, 200, 1000, 300), {"unit_code": "22052101", "county_code": 220521}),
    ]
    path = write_layer(
        tmp_path / "u.gpkg", feats, fields=[("unit_code", ogr.OFTString), ("county_code", ogr.OFTInteger)]
    )
    result = run_checks(
        read_vector(path, "u"),
        CheckOptions(
            kind="units",
            covers=False,
            code_format="template",
            code_template="{county_code}{seq:04d}",
            area_field="mianji",
        ),
    )
    got = by_rule(result.issues)
    assert sorted(got) == ["ATTR-001", "ATTR-002", "ATTR-004"]
    assert [i.value_text for i in got["ATTR-001"]] == ["mianji"]
    assert [i.value_text for i in got["ATTR-002"]] == ["county_code"]
    assert [(i.feature_id, i.value_text) for i in got["ATTR-004"]] == [("2", "22052101")]


def test_rules_json_is_valid_json_with_messages_for_every_emitted_rule():
    with open(load_check_rules()["_path"], encoding="utf-8") as fh:
        rules = json.loads(fh.read())
    for rid in (
        "RL-001",
        "RL-002",
        "RL-003",
        "RL-004",
        "GEOM-001",
        "GEOM-002",
        "GEOM-003",
        "GEOM-004",
        "TOPO-001",
        "TOPO-002",
        "BND-001",
        "BND-002",
        "CRS-001",
        "CRS-002",
        "ENC-001",
    ):
        assert rid in rules["rules"]


def test_empty_codes_are_reported(tmp_path):
    feats = [
        (gbox(0, 0, 100, 100), {"code": "A"}),
        (gbox(200, 0, 300, 100), {"code": " "}),
        (gbox(400, 0, 500, 100), {}),
    ]
    path = write_layer(tmp_path / "c.gpkg", feats, fields=[("code", ogr.OFTString)])
    result = run_checks(read_vector(path, "c"), CheckOptions(code_field="code"))
    assert [(i.rule_id, i.feature_id) for i in result.issues] == [("ATTR-004", "2"), ("ATTR-004", "3")]


def test_zone_values_with_several_zones(tmp_path):
    """zoning output: zone_ids 'a;b'; a red-line unit that is also key_prevention does not conflict."""
    fields = [
        ("unit_code", ogr.OFTString),
        ("county_code", ogr.OFTString),
        ("area_km2", ogr.OFTReal),
        ("zone_ids", ogr.OFTString),
    ]
    feats = [
        (
            gbox(0, 0, 500, 500),
            {"unit_code": "U1", "county_code": "220521", "zone_ids": "key_treatment;key_prevention"},
        ),
        (gbox(500, 0, 1000, 500), {"unit_code": "U2", "county_code": "220521", "zone_ids": "key_treatment"}),
    ]
    for geom, row in feats:
        row["area_km2"] = round(geod_area(geom) / 1e6, 8)
    path = write_layer(tmp_path / "zones.gpkg", feats, fields=fields)
    red = write_layer(tmp_path / "red.gpkg", [(gbox(0, 0, 1000, 500), {})])
    result = run_checks(
        read_vector(path, "zones"), CheckOptions(kind="zones", redline_rule="include"), redline=read_vector(red, "红线")
    )
    got = sorted((i.rule_id, i.feature_id) for i in result.issues)
    assert got == [("RL-001", "1"), ("RL-001", "2"), ("RL-002", "2")]
    excluded = run_checks(
        read_vector(path, "zones"), CheckOptions(kind="zones", redline_rule="exclude"), redline=read_vector(red, "红线")
    )
    assert sorted((i.rule_id, i.feature_id) for i in excluded.issues if i.rule_id == "RL-002") == [("RL-002", "1")]


def test_repeated_rule_on_one_feature_gets_one_key_per_part(tmp_path):
    """Two sliver parts of one patch are two issues a reviewer can decide on separately."""
    patch = MultiPolygon([gbox(0, 0, 300, 300), gbox(400, 0, 405, 5), gbox(500, 0, 508, 8)])  # 9 ha + 25 m² + 64 m²
    path = write_layer(tmp_path / "p.gpkg", [(patch, {"patch_id": "P1"})], fields=[("patch_id", ogr.OFTString)])
    result = run_checks(read_vector(path, "p"), CheckOptions(kind="generic", code_field="patch_id", min_patch_ha=0))
    slivers = by_rule(result.issues)["GEOM-003"]
    assert sorted(round(i.value, 2) for i in slivers) == sorted(
        round(geod_area(g), 2) for g in (gbox(400, 0, 405, 5), gbox(500, 0, 508, 8))
    )
    assert len({i.key() for i in result.issues}) == len(result.issues)
    assert sorted(i.other_id for i in slivers) == ["#1", "#2"]
