"""Supervision overlays (issue 17): synthetic 扰动图斑 against synthetic zones, checked against
independent shapely + pyproj Geod computations; the rule audit; the 销号 status across re-runs;
year over year; the 核查清单 sums; bad inputs refused with bilingual errors."""

from __future__ import annotations

import json
import sqlite3

import geopandas as gpd
import numpy as np
import pytest
from osgeo import gdal, ogr
from shapely.geometry import Polygon, box
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.common.tables import read_csv
from soil_conservation_plugin.core.disturbance.run import run_check, write_outputs
from soil_conservation_plugin.core.disturbance.status import record_status
from soil_conservation_plugin.core.disturbance.store import LOG_TABLE, PATCHES_LAYER, STATUS_TABLE

from ..util import write_raster
from .disturbance_layers import CROPLAND, GK, PATCHES, REDLINE, STEEP, X0, Y0, ZONES, b, geod_ha, lonlat, save, scene


def run(inputs, out, folder):
    with output_set():
        result = run_check(inputs, existing_output=out)
        write_outputs(result, out, folder, inputs)
    return result


def layer(out) -> dict:
    gdf = gpd.read_file(str(out), layer=PATCHES_LAYER)
    return {r["patch_id"]: r for r in gdf.to_dict("records")}


def test_overlaps_match_shapely_and_geod(tmp_path):
    out = tmp_path / "out" / "check.gpkg"
    run(scene(tmp_path), out, tmp_path / "out" / "清单")
    rows = layer(out)
    steep = lonlat(unary_union(STEEP))
    for pid, (geom, _) in PATCHES.items():
        g = lonlat(geom)
        r = rows[pid]
        area = geod_ha(g)
        assert r["area_ha"] == pytest.approx(area, abs=0.005), pid
        for prefix, zone in (
            ("steep", steep),
            ("kp", lonlat(ZONES["key_prevention"])),
            ("kt", lonlat(ZONES["key_treatment"])),
            ("severe", lonlat(ZONES["severe"])),
            ("fragile", lonlat(ZONES["fragile"])),
            ("red", lonlat(REDLINE)),
        ):
            inside = geod_ha(g.intersection(zone))
            assert r[f"{prefix}_ha"] == pytest.approx(inside, abs=0.005), (pid, prefix)
            assert r[f"{prefix}_pct"] == pytest.approx(100.0 * inside / area, abs=0.005), (pid, prefix)
        assert r["crop_pct"] == pytest.approx(100.0 * geod_ha(g.intersection(lonlat(CROPLAND))) / area, abs=0.005)
    # P1 lies in both steep features: the overlap counts once (not 0.06 + 0.02 ha twice)
    assert rows["P1"]["steep_pct"] == pytest.approx(100.0)
    # the county (and 乡镇, 小流域) holding the largest part: P3 has 300 of its 400 m in county B
    assert (rows["P3"]["cnty_code"], rows["P3"]["cnty_name"]) == ("220502", "东昌区")
    county_b = lonlat(b(2000, 0, 4000, 2000))
    g3 = lonlat(PATCHES["P3"][0])
    assert rows["P3"]["cnty_pct"] == pytest.approx(100 * geod_ha(g3.intersection(county_b)) / geod_ha(g3), abs=0.005)
    assert rows["P3"]["twn_code"] == "220502001" and rows["P3"]["unit_code"] == "U2"
    assert (rows["P1"]["cnty_code"], rows["P1"]["twn_name"], rows["P1"]["unit_name"]) == ("220521", "甲", "一号")
    assert rows["P2"]["lu_main"] == "林地" and rows["P1"]["lu_main"] == "耕地"


def test_rule_audit(tmp_path):
    out = tmp_path / "check.gpkg"
    run(scene(tmp_path), out, tmp_path / "清单")
    rows = layer(out)
    assert {p: (r["risk_zh"], r["rule"]) for p, r in rows.items()} == {
        "P1": ("疑似陡坡开垦", "DR-001"),
        "P2": ("重点核查", "DR-002"),  # DR-002 and DR-003 both fire: the first listed of the rank decides
        "P3": ("一般核查", ""),  # in 重点治理区, but approved: DR-006 does not fire
        "P4": ("重点核查", "DR-004"),
        "P5": ("一般核查", ""),
    }
    assert rows["P2"]["rules_all"] == "DR-002;DR-003"
    audit = json.loads(rows["P1"]["risk_audit"])
    assert audit["decided_by"] == "DR-001"
    fired = audit["fired"][0]
    assert fired["rule"] == "DR-001" and fired["class"] == "steep_reclamation"
    assert {c["measure"]: (c["op"], c["threshold"]) for c in fired["conditions"]} == {
        "steep_pct": (">=", 1.0),
        "lu_cropland_pct": (">=", 10.0),
    }
    assert [c["value"] for c in fired["conditions"]] == [pytest.approx(100.0, abs=0.01)] * 2
    assert audit["missing"] == {"DR-005": ["yoy"]}  # no last year's patches given
    assert json.loads(rows["P5"]["risk_audit"])["decided_by"] == "default_class"
    assert {r["rules_ver"] for r in rows.values()} == {"2026.1"}
    meta = json.loads((tmp_path / "check.meta.json").read_text(encoding="utf-8"))
    assert meta["rules"]["disturbance_risk"]["version"] == "2026.1"
    assert meta["rules"]["disturbance_fields"]["version"] == "2026.1"
    assert meta["rules"]["disturbance_risk"]["rules"]["DR-001"]["tag"] == "NOT FOUND"
    assert meta["results"]["risk"] == {"steep_reclamation": 1, "key_check": 2, "check": 2}


def test_without_land_use_the_steep_rule_cannot_fire_and_says_why(tmp_path):
    out = tmp_path / "check.gpkg"
    run(scene(tmp_path, landuse=False), out, tmp_path / "清单")
    p1 = layer(out)["P1"]
    assert p1["risk"] == "check" and p1["rule"] == ""
    assert "lu_cropland_pct" in json.loads(p1["risk_audit"])["missing"]["DR-001"]
    assert p1["crop_pct"] is None or np.isnan(p1["crop_pct"])  # not given, not 0


def test_raster_land_use_counts_cell_centres(tmp_path):
    inputs = scene(tmp_path, landuse=False)
    # 100 m cells: cropland (1) in the columns x < 500, forest (3) elsewhere
    data = np.full((20, 40), 3, dtype="uint8")
    data[:, :5] = 1
    from rasterio.transform import from_origin

    inputs.landuse = str(write_raster(tmp_path / "lu.tif", data, GK, from_origin(X0, Y0 + 2000, 100, 100), nodata=0))
    out = tmp_path / "check.gpkg"
    run(inputs, out, tmp_path / "清单")
    p1 = layer(out)["P1"]  # x 400–700, y 100–300: centres at x 450 (cropland), 550, 650 (forest) × 2 rows
    assert p1["crop_pct"] == pytest.approx(100 / 3, abs=0.01)
    assert json.loads(p1["lu_shares"]) == {
        "cropland": pytest.approx(33.33, abs=0.01),
        "forest": pytest.approx(66.67, abs=0.01),
    }


def statuses(out) -> dict:
    return {p: (r["status"], r["verdict"] or "") for p, r in layer(out).items()}


def test_status_cycle_kept_across_reruns(tmp_path):
    inputs = scene(tmp_path)
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    run(inputs, out, folder)
    assert set(statuses(out).values()) == {("待核查", "")}
    record_status(out, "P1", "已核查", "违规", on="2026-03-01", comment="现场核实为陡坡开垦", reviewer="甲")
    record_status(out, "P1", "整改中", on="2026-03-10", reviewer="甲")
    record_status(out, "P1", "已销号", on="2026-05-20", comment="已退耕还林", reviewer="乙")
    record_status(out, "P2", "已核查", "合规", on="2026-03-02", reviewer="甲")
    # not allowed by the cycle, each refused with a bilingual reason and nothing changed
    for args, word in (
        (("P3", "已销号"), "closed"),  # 待核查 → 已销号
        (("P2", "整改中"), "rectified"),  # a compliant patch is not rectified
        (("P3", "已核查"), "verdict"),  # a check needs 合规 / 违规
    ):
        with pytest.raises(InputError) as err:
            record_status(out, *args)
        assert word in err.value.en and "不能" in err.value.zh and args[0] in err.value.zh
    with pytest.raises(InputError) as err:
        record_status(out, "P5", "已核查", "合规", on="2026-13-01")
    assert "YYYY-MM-DD" in err.value.en
    with pytest.raises(InputError) as err:
        record_status(out, "P1", "待核查")  # reopening needs a reason
    assert "comment" in err.value.en
    expected = {
        "P1": ("已销号", "违规"),
        "P2": ("已核查", "合规"),
        "P3": ("待核查", ""),
        "P4": ("待核查", ""),
        "P5": ("待核查", ""),
    }
    assert statuses(out) == expected
    p1 = layer(out)["P1"]
    assert (p1["checked_on"], p1["rectify_on"], p1["closed_on"]) == ("2026-03-01", "2026-03-10", "2026-05-20")
    assert p1["comment"] == "已退耕还林" and p1["reviewer"] == "乙"

    # the check runs again on the same inputs: every status, date and comment is kept
    run(inputs, out, folder)
    assert statuses(out) == expected
    assert layer(out)["P1"]["closed_on"] == "2026-05-20"
    ds = gdal.OpenEx(str(out), gdal.OF_VECTOR)
    log = [
        (f.GetField("patch_id"), f.GetField("from_stat"), f.GetField("to_stat")) for f in ds.GetLayerByName(LOG_TABLE)
    ]
    assert log == [
        ("P1", "待核查", "已核查"),
        ("P1", "已核查", "整改中"),
        ("P1", "整改中", "已销号"),
        ("P2", "待核查", "已核查"),
    ]
    assert ds.GetLayerByName(STATUS_TABLE).GetFeatureCount() == 2
    # the status table keeps each reviewed patch's geometry (re-issued patches are matched by it), as
    # MultiPolygon; the log has none: a GeoPackage 'attributes' table
    assert ds.GetLayerByName(STATUS_TABLE).GetGeomType() == ogr.wkbMultiPolygon
    assert all(f.GetGeometryRef() is not None for f in ds.GetLayerByName(STATUS_TABLE))
    assert ds.GetLayerByName(LOG_TABLE).GetGeomType() == ogr.wkbNone
    ds = None
    db = sqlite3.connect(out)
    kinds = dict(db.execute("SELECT table_name, data_type FROM gpkg_contents"))
    db.close()
    assert kinds[LOG_TABLE] == "attributes" and kinds[STATUS_TABLE] == kinds[PATCHES_LAYER] == "features"
    # the 清单 of the re-run shows the statuses
    rows = read_csv(folder / "核查清单_220521_通化县.csv")
    assert {r["图斑编号"]: r["核查状态"] for r in rows if r["图斑编号"] in ("P1", "P2")} == {
        "P1": "已销号",
        "P2": "已核查",
    }

    # a re-issued layer where P2's geometry moved elsewhere under the same id: its status does not follow
    moved = dict(PATCHES, P2=(b(3100, 100, 3200, 200), "未批复"))
    run(scene(tmp_path, moved), out, folder)
    assert statuses(out)["P2"] == ("待核查", "") and statuses(out)["P1"] == ("已销号", "违规")
    # ... and the old record is kept: when P2 comes back to its place, so does its status
    run(scene(tmp_path), out, folder)
    assert statuses(out)["P2"] == ("已核查", "合规")


def test_year_over_year(tmp_path):
    last = tmp_path / "2024"
    last.mkdir()
    old = {
        "A1": (b(400, 100, 700, 300), "未批复"),
        "A2": (b(1600, 1600, 1900, 1900), "未批复"),
        "A3": (b(3600, 1100, 3700, 1200), "已批复"),
    }
    prev_out = last / "check.gpkg"
    run(scene(last, old, year="2024"), prev_out, last / "清单")
    record_status(prev_out, "A1", "已核查", "违规", on="2025-03-01")
    record_status(prev_out, "A1", "整改中", on="2025-04-01")
    record_status(prev_out, "A1", "已销号", on="2025-06-01")
    record_status(prev_out, "A2", "已核查", "违规", on="2025-03-01")

    new = {
        "B1": (b(420, 100, 720, 300), "未批复"),  # A1's place, shifted 20 m: 已销号 last year
        "B2": (b(1650, 1600, 1950, 1900), "未批复"),  # A2's place, 5/6 overlap: same place
        "B3": (b(3600, 1100, 3640, 1200), "已批复"),  # inside A3 (40 % of A3, 100 % of B3): same place
        "B4": (b(3000, 100, 3100, 200), "已批复"),  # new
        "B5": (b(1750, 1600, 1950, 1900), "已批复"),  # overlaps A2 by 150 of its 200 m: same place
        "B6": (b(1860, 1600, 1990, 1900), "已批复"),  # overlaps A2 by 40 of 130 m: below half → new
    }
    inputs = scene(tmp_path, new)
    inputs.previous = str(prev_out)
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    run(inputs, out, folder)
    rows = layer(out)
    got = {p: (r["yoy"], r["prev_id"] or "") for p, r in rows.items()}
    assert got == {
        "B1": ("closed", "A1"),
        "B2": ("same", "A2"),
        "B3": ("same", "A3"),
        "B4": ("new", ""),
        "B5": ("same", "A2"),
        "B6": ("new", ""),
    }
    b2, a2 = lonlat(new["B2"][0]), lonlat(old["A2"][0])
    assert rows["B2"]["prev_pct"] == pytest.approx(100 * geod_ha(b2.intersection(a2)) / geod_ha(a2), abs=0.005)
    assert rows["B2"]["prev_stat"] == "已核查" and rows["B1"]["prev_stat"] == "已销号"
    assert rows["B1"]["yoy_zh"] == "上年已销号" and rows["B1"]["prev_year"] == "2024"
    # issued again where last year's patch was closed: DR-005 fires with DR-001
    assert rows["B1"]["rules_all"] == "DR-001;DR-005"
    # the counts per county, in the summary and the metadata
    summary = {r["县代码"]: r for r in read_csv(folder / "核查清单汇总.csv")}
    assert (
        summary["220521"]["新增(个)"],
        summary["220521"]["同位置（上年已下发）(个)"],
        summary["220521"]["上年已销号(个)"],
    ) == ("1", "2", "1")
    assert (summary["220502"]["新增(个)"], summary["220502"]["同位置（上年已下发）(个)"]) == ("1", "1")
    assert summary["合计"]["新增(个)"] == "2"
    meta = json.loads((tmp_path / "check.meta.json").read_text(encoding="utf-8"))
    assert meta["results"]["yoy_per_county"] == {
        "220521": {"new": 1, "same": 2, "closed": 1},
        "220502": {"new": 1, "same": 1, "closed": 0},
    }


def test_checklist_per_county_sums_match_the_layer(tmp_path):
    rng = np.random.default_rng(17)
    many = {}
    for n in range(120):
        x, y = rng.uniform(0, 3900), rng.uniform(0, 1900)
        w, h = rng.uniform(3, 100), rng.uniform(3, 100)
        many[f"R{n:03d}"] = (b(x, y, min(x + w, 4000), min(y + h, 2000)), rng.choice(["已批复", "未批复"]))
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    run(scene(tmp_path, many), out, folder)
    gdf = gpd.read_file(str(out), layer=PATCHES_LAYER)
    assert len(gdf) == 120
    from openpyxl import load_workbook

    for code, name in (("220521", "通化县"), ("220502", "东昌区")):
        part = gdf[gdf["cnty_code"] == code]
        rows = read_csv(folder / f"核查清单_{code}_{name}.csv")
        body, total = rows[:-1], rows[-1]
        assert total["序号"] == "合计" and int(total["图斑编号"]) == len(part) == len(body)
        listed = sum(float(r["图斑面积(公顷)"]) for r in body)
        assert abs(listed - part["area_ha"].sum()) <= 0.01
        assert abs(float(total["图斑面积(公顷)"]) - part["area_ha"].sum()) <= 0.01
        assert abs(float(total["禁止开垦陡坡地(公顷)"]) - part["steep_ha"].sum()) <= 0.01
        assert abs(float(total["生态保护红线(公顷)"]) - part["red_ha"].sum()) <= 0.01
        # ordered by risk, then larger patches first
        ranks = {"疑似陡坡开垦": 1, "重点核查": 2, "一般核查": 3}
        keys = [(ranks[r["风险等级"]], -float(r["图斑面积(公顷)"])) for r in body]
        assert keys == sorted(keys)
        # the workbook holds the same table
        ws = load_workbook(folder / f"核查清单_{code}_{name}.xlsx", read_only=True).worksheets[0]
        table = [list(r) for r in ws.iter_rows(values_only=True)]
        assert table[0][:3] == ["序号", "图斑编号", "下发年度"]
        assert table[-1][0] == "合计" and abs(table[-1][17] - part["area_ha"].sum()) <= 0.01
        assert [r[1] for r in table[1:-1]] == [r["图斑编号"] for r in body]
    summary = {r["县代码"]: r for r in read_csv(folder / "核查清单汇总.csv")}
    assert abs(float(summary["合计"]["图斑面积(公顷)"]) - gdf["area_ha"].sum()) <= 0.01
    assert int(summary["合计"]["图斑数"]) == 120
    assert sum(int(summary["合计"][f"{c}(个)"]) for c in ("疑似陡坡开垦", "重点核查", "一般核查")) == 120
    # the layer's areas are the ellipsoidal ones, to 0.01 ha
    for r in gdf.head(10).to_dict("records"):
        assert r["area_ha"] == pytest.approx(geod_ha(lonlat(many[r["patch_id"]][0])), abs=0.005)


def bowtie():
    return Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])


def write_patches(path, ids, geoms, crs="EPSG:4530", id_field="图斑编号", extra=None):
    rows = {id_field: ids, **(extra or {})}
    gpd.GeoDataFrame(rows, geometry=geoms, crs=crs).to_file(str(path), layer="patches", driver="GPKG")
    return str(path)


@pytest.mark.parametrize(
    "make, zh, en",
    [
        (lambda p: write_patches(p, ["A"], [b(0, 0, 10, 10)], id_field="编码"), "图斑编号", "candidates"),
        (lambda p: write_patches(p, ["A", "A"], [b(0, 0, 10, 10), b(20, 0, 30, 10)]), "重复", "A ×2"),
        (lambda p: write_patches(p, ["A", ""], [b(0, 0, 10, 10), b(20, 0, 30, 10)]), "为空", "empty patch id"),
        (lambda p: write_patches(p, ["A", "B"], [b(0, 0, 10, 10), bowtie()]), "几何无效", "B (Self-intersection"),
        (lambda p: write_patches(p, ["A"], [b(0, 0, 10, 10)], crs=None), "坐标参考系", "no coordinate reference"),
        (
            lambda p: write_patches(p, ["A"], [box(14e6, 5e6, 14.001e6, 5.001e6)], crs="EPSG:3857"),
            "Web 墨卡托",
            "Web Mercator",
        ),
        (
            lambda p: write_patches(p, ["A"], [b(0, 0, 10, 10)], extra={"扰动面积": ["约3亩"]}),
            "非数值",
            "A: 约3亩",
        ),
    ],
)
def test_bad_patch_layers_are_refused_before_any_work(tmp_path, make, zh, en):
    inputs = scene(tmp_path)
    inputs.patches = make(tmp_path / "bad.gpkg")
    inputs.labels = {"patches": "2025年下发图斑"}
    out = tmp_path / "check.gpkg"
    with pytest.raises(InputError) as err, output_set():
        run_check(inputs, existing_output=out)
    assert err.value.layer == "2025年下发图斑"
    assert zh in err.value.zh and en in err.value.en
    assert not out.exists()


def test_points_are_not_patches(tmp_path):
    from shapely.geometry import Point

    inputs = scene(tmp_path)
    inputs.patches = write_patches(tmp_path / "pts.gpkg", ["A"], [Point(X0, Y0)])
    with pytest.raises(InputError) as err:
        run_check(inputs)
    assert "不是面" in err.value.zh and "not polygons" in err.value.en and "A (Point)" in err.value.en


def test_bad_overlay_layers_name_themselves(tmp_path):
    inputs = scene(tmp_path)
    save(tmp_path / "zones2.gpkg", {"kind": ["key_prevention"]}, [b(0, 0, 10, 10)], layer="zones")
    inputs.zones = str(tmp_path / "zones2.gpkg")
    with pytest.raises(InputError) as err:
        run_check(inputs)
    assert err.value.layer == "重点区域 zones" and "zone_id" in err.value.en
    inputs = scene(tmp_path)
    save(tmp_path / "c2.gpkg", {"NAME": ["县"]}, [b(0, 0, 10, 10)])
    inputs.counties = str(tmp_path / "c2.gpkg")
    with pytest.raises(InputError) as err:
        run_check(inputs)
    assert err.value.layer == "县界 counties" and "代码" in err.value.zh and "county_code" in err.value.en
    inputs = scene(tmp_path)
    inputs.redline = str(tmp_path / "missing.gpkg")
    with pytest.raises(InputError) as err:
        run_check(inputs)
    assert err.value.layer == "生态保护红线 red line" and "不存在" in err.value.zh


def test_an_own_field_mapping_reads_another_issuer(tmp_path):
    from soil_conservation_plugin.core.common.paths import resources_path

    data = json.loads(resources_path("rules", "disturbance_fields.json").read_text(encoding="utf-8"))
    data["fields"]["patch_id"]["candidates"] = ["JCBH"]
    data["area_unit"]["value"] = "mu"
    for name in ("dist_type", "project", "builder", "approval", "year"):  # not in this issuer's layer:
        del data["fields"][name]  # an own mapping lists only the fields the layer has
    mapping = tmp_path / "fields_2026.json"
    mapping.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    inputs = scene(tmp_path)
    inputs.patches = write_patches(
        tmp_path / "p.gpkg", ["X1"], [b(400, 100, 700, 300)], id_field="JCBH", extra={"扰动面积": [90.0]}
    )
    inputs.fields_file = str(mapping)
    out = tmp_path / "check.gpkg"
    run(inputs, out, tmp_path / "清单")
    row = layer(out)["X1"]
    assert row["issued_ha"] == pytest.approx(6.0)  # 90 亩
    assert (
        json.loads((tmp_path / "check.meta.json").read_text(encoding="utf-8"))["parameters"]["patch_fields"]["patch_id"]
        == "JCBH"
    )


def test_statuses_follow_a_patch_layer_issued_in_another_crs(tmp_path):
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    run(scene(tmp_path, patch_crs="EPSG:4490"), out, folder)
    record_status(out, "P3", "已核查", "违规", on="2026-04-01", comment="越界施工")
    run(scene(tmp_path, patch_crs="EPSG:4530"), out, folder)  # the same patches, issued in GK metres
    assert statuses(out)["P3"] == ("已核查", "违规")
    assert layer(out)["P3"]["comment"] == "越界施工"


def test_a_gbk_shapefile_as_issued(tmp_path):
    """Issued layers are often GBK shapefiles without a .cpg: names and field names must come through."""
    inputs = scene(tmp_path)
    shp = tmp_path / "下发图斑.shp"
    gpd.GeoDataFrame(
        {"图斑编号": ["吉T001"], "项目名称": ["通化县某采石场"], "批复情况": ["未批复"]},
        geometry=[b(400, 100, 700, 300)],
        crs=GK,
    ).to_file(str(shp), driver="ESRI Shapefile", encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert "通化县".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    inputs.patches = str(shp)
    out = tmp_path / "check.gpkg"
    run(inputs, out, tmp_path / "清单")
    row = layer(out)["吉T001"]
    assert (row["project"], row["approval"], row["appr_state"]) == ("通化县某采石场", "未批复", "none")
    meta = json.loads((tmp_path / "check.meta.json").read_text(encoding="utf-8"))
    assert meta["parameters"]["patch_encoding"].startswith("GBK")


def test_web_mercator_patches_are_refused_with_polygon_wording(tmp_path):
    inputs = scene(tmp_path)
    inputs.patches = write_patches(tmp_path / "wm.gpkg", ["A"], [box(14e6, 5e6, 14.001e6, 5.001e6)], crs="EPSG:3857")
    with pytest.raises(InputError) as err:
        run_check(inputs)
    e = err.value
    assert "Web 墨卡托" in e.zh and "面积" in e.zh and "像元" not in e.zh and "坡度" not in e.zh
    assert "polygons' areas" in e.en and "cell" not in e.en and "slope" not in e.en
