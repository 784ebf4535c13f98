"""`make demo`'s chain on a small demo region: every step runs and the results agree with each other."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.features
from osgeo import ogr
from qgis.core import QgsApplication

from soil_conservation_plugin.processing.pipeline import describe, run_demo


def test_demo_chain_writes_consistent_results(plugin, tmp_path):
    results = run_demo(tmp_path, scale=0.25)
    assert results == (tmp_path / "results").resolve() and results.is_dir()
    assert not list(tmp_path.glob(".results.partial-*"))
    chain = json.loads((results / "chain.json").read_text(encoding="utf-8"))
    steps = chain["steps"]
    assert list(steps) == [
        "watersheds",
        "slope",
        "steep_slope",
        "unit_indicators",
        "zoning",
        "checks",
        "checks_steep",
        "disturbance_check",
        "rollup",
        "change",
        "export",
        "publish",
    ]
    # paths recorded in the results point inside the final folder, not the temporary one
    assert ".results.partial" not in (results / "chain.json").read_text(encoding="utf-8")

    # steep-slope total = the county table's total = the exported layer's area
    with open(steps["steep_slope"]["COUNTY_TABLE"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    body, total = rows[:-1], rows[-1]
    assert total["county_code"] == "合计"
    assert abs(sum(float(r["area_ha"]) for r in body) - float(total["area_ha"])) < 0.01
    assert abs(float(total["area_ha"]) - steps["steep_slope"]["TOTAL_HA"]) < 0.01
    assert steps["steep_slope"]["PATCH_COUNT"] > 0

    # the One Map package: manifest hashes match the files
    package = results / "onemap_package"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    assert files
    for rel, entry in files.items():
        assert hashlib.sha256((package / rel).read_bytes()).hexdigest() == entry["sha256"], rel
    gpkg = ogr.Open(str(package / "data" / "onemap.gpkg"))
    names = {gpkg.GetLayer(i).GetName() for i in range(gpkg.GetLayerCount())}
    assert {"JZKKDPTB", "XLY"} <= names
    assert gpkg.GetLayerByName("XLY").GetFeatureCount() == steps["watersheds"]["UNIT_COUNT"]
    gpkg = None

    # our own zoning result passes the checks without errors; the publication exists
    assert steps["checks"]["ERRORS"] == 0
    assert (results / "checks" / "report.html").stat().st_size > 10_000
    assert steps["publish"]["COUNT"] == 1 and list((results / "publication").glob("*.png"))

    _assert_disturbance(tmp_path, steps)
    _assert_rollup(steps)
    _assert_change(tmp_path, steps)
    text = describe(results)
    assert "疑似陡坡开垦 steep_reclamation: " in text and "目标 targets 2025 80.21%, 2035 83.66%" in text
    assert "水土流失面积 soil-loss area" in text
    QgsApplication.processEvents()


def _csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _assert_disturbance(root, steps):
    """The seeded patches come out as the kind they were placed for (region.json run.disturbance_kinds)."""
    kinds = json.loads((root / "inputs" / "region.json").read_text(encoding="utf-8"))["run"]["disturbance_kinds"]
    res = steps["disturbance_check"]
    g = gpd.read_file(res["OUTPUT"], layer="disturbance_patches").set_index("patch_id")
    issued = gpd.read_file(root / "inputs" / "disturbance_2025.gpkg")
    assert sorted(g.index) == sorted(issued["图斑编号"]) and res["PATCH_COUNT"] == len(issued)
    zones = gpd.read_file(steps["zoning"]["OUTPUT"], layer="zones").to_crs(g.crs)
    steep = gpd.read_file(steps["steep_slope"]["OUTPUT"], layer="steep_slope").to_crs(g.crs)
    kp = zones[zones["zone_id"] == "key_prevention"].geometry.unary_union
    steep_geom = steep.geometry.unary_union
    for kind in ("steep", "redline", "prevention", "plain", "outside"):
        assert kinds[kind], f"no patch of kind {kind} was placed"
    for pid in kinds["steep"]:  # on steep slopes and cultivated → 疑似陡坡开垦
        geom = g.loc[pid].geometry
        assert geom.intersection(steep_geom).area / geom.area >= 0.01, pid
        assert g.loc[pid, "risk"] == "steep_reclamation" and g.loc[pid, "risk_zh"] == "疑似陡坡开垦", pid
    for pid in kinds["redline"]:
        assert g.loc[pid, "red_pct"] >= 99.0 and g.loc[pid, "risk_rank"] <= 2, pid
    for pid in kinds["prevention"]:  # no approval: 重点核查 exactly where the zoning gave 重点预防区
        geom = g.loc[pid].geometry
        in_kp = geom.intersection(kp).area / geom.area >= 0.01
        assert g.loc[pid, "approval"] == "未批复"
        assert (g.loc[pid, "rule"] == "DR-003") == in_kp, (pid, g.loc[pid, "rule"], in_kp)
    for pid in kinds["outside"]:  # outside the county: outside every zone and every county
        geom = g.loc[pid].geometry
        assert geom.intersection(zones.geometry.unary_union).area == 0.0, pid
        assert g.loc[pid, "cnty_code"] in ("", None) and g.loc[pid, "risk"] == "check", pid
    same = set(kinds["previous_same_place"])
    closed = set(kinds["closed_last_year"])
    assert closed and closed <= same
    for pid, row in g.iterrows():
        assert row["yoy"] == ("closed" if pid in closed else "same" if pid in same else "new"), pid
    assert (res["NEW"], res["SAME"], res["CLOSED"]) == (len(g) - len(same), len(same - closed), len(closed))
    assert res["STEEP_RECLAMATION"] == int((g["risk"] == "steep_reclamation").sum()) >= len(kinds["steep"])
    for pid in closed:
        assert g.loc[pid, "risk"] == "key_check" and "DR-005" in g.loc[pid, "rules_all"]


def _assert_rollup(steps):
    """乡镇 sum to the county, the county to 市 and 省 (one county), each to 0.01 ha; targets per year."""
    tables = Path(steps["rollup"]["TABLES"])
    towns, county = _csv(tables / "rollup_township.csv"), _csv(tables / "rollup_county.csv")
    (c,) = county
    assert c["代码"] == "220521" and len(towns) >= 3 and all(t["上级代码"] == "220521" for t in towns)
    for col in ("土地面积(公顷)", "评价面积(公顷)", "水土流失面积(公顷)", "轻度侵蚀面积(公顷)"):
        cents = sum(round(float(t[col]) * 100) for t in towns)
        assert cents == round(float(c[col]) * 100), col
        for level in ("prefecture", "province"):
            (row,) = _csv(tables / f"rollup_{level}.csv")
            assert row[col] == c[col], (level, col)
    rate = 100.0 * (float(c["评价面积(公顷)"]) - float(c["水土流失面积(公顷)"])) / float(c["评价面积(公顷)"])
    assert abs(rate - float(c["水土保持率(%)"])) < 1e-3
    targets = {(r["级别"], r["目标年份"]): float(r["目标水土保持率(%)"]) for r in _csv(tables / "targets.csv")}
    assert targets[("省", "2025")] == 80.21 and targets[("省", "2035")] == 83.66
    assert targets[("县", "2025")] == 80.21  # one county carries the whole province target


def _assert_change(root, steps):
    """The earlier year of the change = the roll-up of the same raster, to 0.01 ha and 0.01 % (issue 18); the
    paired cells against an independent count of the county's cells (centre rule: close, not equal)."""
    from soil_conservation_plugin.core.rollup.outputs import CHANGE_COLUMNS

    h = {c.key: c.zh for c in CHANGE_COLUMNS}
    (row,) = _csv(Path(steps["change"]["TABLES"]) / "county_change.csv")
    (rolled,) = _csv(Path(steps["rollup"]["TABLES"]) / "rollup_county.csv")
    assert row["县代码"] == rolled["代码"] == "220521"
    assert abs(float(row[h["loss_before_ha"]]) - float(rolled["水土流失面积(公顷)"])) < 0.005
    assert abs(float(row[h["assessed_before_ha"]]) - float(rolled["评价面积(公顷)"])) < 0.005
    assert abs(float(row[h["area_ha"]]) - float(rolled["土地面积(公顷)"])) < 0.005
    assert abs(float(row[h["rate_before_pct"]]) - float(rolled["水土保持率(%)"])) < 0.005
    inputs = root / "inputs"
    with rasterio.open(inputs / "erosion.tif") as a, rasterio.open(inputs / "erosion_2025.tif") as b:
        before, after = a.read(1, masked=True), b.read(1, masked=True)
        assert (a.transform, a.shape, a.crs) == (b.transform, b.shape, b.crs)
        county = gpd.read_file(inputs / "county.gpkg", layer="county").to_crs(a.crs)
        inside = rasterio.features.rasterize(
            [(gm, 1) for gm in county.geometry], out_shape=a.shape, transform=a.transform
        )
        cell_ha = abs(a.transform.a * a.transform.e) / 1e4
    both = (inside == 1) & ~np.ma.getmaskarray(before) & ~np.ma.getmaskarray(after)
    loss_before = float((both & (before.filled(0) >= 200)).sum() * cell_ha)
    loss_after = float((both & (after.filled(0) >= 200)).sum() * cell_ha)
    assert loss_before != loss_after
    assert abs(float(row[h["paired_loss_before_ha"]]) - loss_before) <= 1e-2 * loss_before
    assert abs(float(row[h["paired_loss_after_ha"]]) - loss_after) <= 1e-2 * loss_after
    assert float(row[h["better_ha"]]) > 0 and float(row[h["worse_ha"]]) > 0
    units = _csv(Path(steps["change"]["TABLES"]) / "unit_change.csv")
    assert units and len(units) == steps["watersheds"]["UNIT_COUNT"]
    deltas = [float(u[h["d_loss_ha"]]) for u in units]
    assert min(deltas) < 0 < max(deltas), "some small watersheds improve, some worsen"
    html = (Path(steps["change"]["REPORT"])).read_text(encoding="utf-8")
    assert html.count("<svg") == 3 and "前期全部数据" in html
