"""Review decisions: saved in the issue GeoPackage, reloaded, and kept when the checks run again."""

from __future__ import annotations

import pytest
from osgeo import gdal

from soil_conservation_plugin.core.checks.inputs import read_vector
from soil_conservation_plugin.core.checks.quality import CheckOptions, run_checks
from soil_conservation_plugin.core.checks.review import (
    DECISIONS_TABLE,
    load_decisions,
    load_issues,
    record_decision,
    write_issue_gpkg,
)
from soil_conservation_plugin.core.common.errors import InputError

from .checks_layers import gbox, geod_area, write_layer


def check(path):
    result = run_checks(read_vector(path, "units"), CheckOptions(kind="generic", covers=True))
    return result


def layer_v1(tmp_path):
    # overlap of 1 and 2 (10 × 100 m); a 20 × 20 m hole in the union
    feats = [(gbox(0, 0, 100, 100).difference(gbox(40, 40, 60, 60)), {}), (gbox(90, 0, 200, 100), {})]
    return write_layer(tmp_path / "units.gpkg", feats)


def test_decisions_persist_and_survive_a_rerun(tmp_path):
    units = layer_v1(tmp_path)
    out = tmp_path / "issues.gpkg"
    result = check(units)
    assert sorted(i.rule_id for i in result.issues) == ["TOPO-001", "TOPO-002"]
    write_issue_gpkg(out, result.issues, result.crs)

    issues, crs = load_issues(out)
    assert [i.status for i in issues] == ["open", "open"]
    overlap = next(i for i in issues if i.rule_id == "TOPO-001")
    gap = next(i for i in issues if i.rule_id == "TOPO-002")
    assert overlap.value == pytest.approx(geod_area(gbox(90, 0, 100, 100)), abs=0.01)
    record_decision(out, overlap, "false_positive", "两单元共用界线，数字化误差", reviewer="审核员甲")
    record_decision(out, gap, "needs_fix", "补齐", reviewer="b")

    # another reviewer opens the same file: the decisions are there, read by plain OGR too
    issues, _ = load_issues(out)
    status = {i.rule_id: (i.status, i.comment) for i in issues}
    assert status == {"TOPO-001": ("false_positive", "两单元共用界线，数字化误差"), "TOPO-002": ("needs_fix", "补齐")}
    ds = gdal.OpenEx(str(out), gdal.OF_VECTOR)
    table = ds.GetLayerByName(DECISIONS_TABLE)
    rows = sorted((f.GetField("rule_id"), f.GetField("decision"), f.GetField("reviewer")) for f in table)
    assert rows == [("TOPO-001", "false_positive", "审核员甲"), ("TOPO-002", "needs_fix", "b")]
    ds = None
    # a second decision on the same issue replaces the first
    record_decision(out, gap, "accepted", "ok", reviewer="c")
    assert sorted(d.decision for d in load_decisions(out)[0]) == ["accepted", "false_positive"]

    # re-run after a partial fix: the hole is filled, the overlap stays (slightly smaller)
    feats = [(gbox(0, 0, 100, 100), {}), (gbox(92, 0, 200, 100), {})]
    write_layer(tmp_path / "units.gpkg", feats)
    result = check(units)
    assert [i.rule_id for i in result.issues] == ["TOPO-001"]
    matched = write_issue_gpkg(out, result.issues, result.crs)
    assert matched == 1
    issues, _ = load_issues(out)
    assert [(i.rule_id, i.status, i.comment) for i in issues] == [
        ("TOPO-001", "false_positive", "两单元共用界线，数字化误差")
    ]
    assert issues[0].value == pytest.approx(geod_area(gbox(92, 0, 100, 100)), abs=0.01)
    # the decision on the fixed gap stays on record but matches nothing
    assert len(load_decisions(out)[0]) == 2


def test_no_match_when_the_place_moved_or_the_feature_differs(tmp_path):
    units = layer_v1(tmp_path)
    out = tmp_path / "issues.gpkg"
    result = check(units)
    write_issue_gpkg(out, result.issues, result.crs)
    gap = next(i for i in load_issues(out)[0] if i.rule_id == "TOPO-002")
    record_decision(out, gap, "accepted", reviewer="a")
    # the hole moves elsewhere: same rule, no feature id, but no geometry overlap → open again
    feats = [(gbox(0, 0, 100, 100).difference(gbox(10, 10, 30, 30)), {}), (gbox(90, 0, 200, 100), {})]
    write_layer(tmp_path / "units.gpkg", feats)
    result = check(units)
    write_issue_gpkg(out, result.issues, result.crs)
    assert sorted((i.rule_id, i.status) for i in load_issues(out)[0]) == [("TOPO-001", "open"), ("TOPO-002", "open")]
    with pytest.raises(InputError):
        record_decision(out, gap, "maybe")
    with pytest.raises(InputError):
        load_issues(write_layer(tmp_path / "other.gpkg", [(gbox(0, 0, 1, 1), {})]))


def test_reopen_and_adopt_a_fresh_result(tmp_path):
    from soil_conservation_plugin.core.checks.review import adopt_issues

    units = layer_v1(tmp_path)
    review, fresh = tmp_path / "review.gpkg", tmp_path / "fresh.gpkg"
    result = check(units)
    write_issue_gpkg(review, result.issues, result.crs)
    issues, _ = load_issues(review)
    overlap = next(i for i in issues if i.rule_id == "TOPO-001")
    gap = next(i for i in issues if i.rule_id == "TOPO-002")
    record_decision(review, overlap, "accepted", "ok", reviewer="a")
    record_decision(review, gap, "needs_fix", "", reviewer="a")
    # reopened: its decision goes, the other stays
    record_decision(review, overlap, "open", reviewer="a")
    decisions, _ = load_decisions(review)
    assert [(d.rule_id, d.decision) for d in decisions] == [("TOPO-002", "needs_fix")]
    assert {i.rule_id: i.status for i in load_issues(review)[0]} == {"TOPO-001": "open", "TOPO-002": "needs_fix"}
    # a new run of the checks written elsewhere (Run all's folder) and taken into the review file
    again = check(units)
    write_issue_gpkg(fresh, again.issues, again.crs)
    assert adopt_issues(fresh, review) == 1
    assert {i.rule_id: i.status for i in load_issues(review)[0]} == {"TOPO-001": "open", "TOPO-002": "needs_fix"}
    with pytest.raises(InputError):
        record_decision(review, gap, "maybe")
