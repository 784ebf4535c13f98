"""Roll-up from 小流域 to 乡镇/县/市(州)/省, target decomposition and change between years (issue 18)."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
from osgeo import gdal, osr
from shapely.geometry import box

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.geo import AreaCalc
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.common.tables import read_csv
from soil_conservation_plugin.core.rollup import aggregate, assign, change, outputs, report
from soil_conservation_plugin.core.rollup import targets as tg
from soil_conservation_plugin.core.rollup.levels import jilin_hierarchy, round_parts

X0, Y0 = 42500000.0, 4620000.0  # EPSG:4530 (CGCS2000 GK zone 42), about 126° E 41.7° N
CLASSES = assign.load_erosion_classes()
CJK = re.compile(r"[\u4e00-\u9fff]")
# real 吉林 codes: 通化县, 辉南县, 柳河县 (通化市 220500) and 抚松县, 靖宇县 (白山市 220600)
COUNTIES = ("220521", "220523", "220524", "220621", "220622")


def bilingual(err: InputError, label: str) -> None:
    assert err.layer == label
    assert CJK.search(err.zh) and re.search(r"[A-Za-z]{3,} [A-Za-z]{2,}", err.en)


def unit_layer(rng, n_per_county=4, counties=COUNTIES, size=1000.0, townships=False):
    """Square units in rows per county, with random erosion-class areas adding up to the unit area."""
    rows = []
    hier = jilin_hierarchy()
    for c_i, county in enumerate(counties):
        towns = sorted(code for code, parent in hier.parents.items() if parent == county and len(code) == 9)
        for k in range(n_per_county):
            geom = box(X0 + k * size, Y0 + c_i * size, X0 + (k + 1) * size, Y0 + (c_i + 1) * size)
            area_km2 = AreaCalc(gpd.GeoSeries([geom], crs="EPSG:4530").crs)(geom) / 1e6
            shares = rng.dirichlet(np.ones(len(CLASSES.ids)))
            row = {"unit_code": f"{county}{k:03d}", "county_code": county, "unit_area_km2": area_km2, "geometry": geom}
            if townships:
                row["township_code"] = towns[k % 2]
            for cid, s in zip(CLASSES.ids, shares):
                row[f"eros_{cid}_km2"] = area_km2 * s
            row["zone_key_treatment"] = int(k % 2 == 0)
            rows.append(row)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4530")


AREAS = ["land", "assessed", *[f"cls_{k}" for k in CLASSES.ids], "nodata", "loss"]


# --- 1. roll-up ---------------------------------------------------------------------------------------
def test_children_sum_to_parents_exactly_at_every_level():
    rng = np.random.default_rng(5)
    units = unit_layer(rng, townships=True)
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units", township_field="township_code"))
    hier = jilin_hierarchy()
    assert list(result.levels) == ["township", "county", "prefecture", "province"]
    for child, parent in (("township", "county"), ("county", "prefecture"), ("prefecture", "province")):
        kids = result.table(child).frame
        sums = kids.groupby(kids["code"].map(hier.parents))[AREAS + ["zone_key_treatment"]].sum()
        parents = result.table(parent).frame.set_index("code")[AREAS + ["zone_key_treatment"]]
        assert (sums.sort_index() == parents.sort_index()).all().all()  # integers of 0.01 ha: exact
    province = result.table("province").frame.iloc[0]
    assert province["code"] == "220000" and province["n_units"] == len(units)
    n = units["county_code"].nunique()  # a few counties only: the province row says it is not the province's
    assert province["name"] == f"吉林省（本次范围 {n}/60 县，非全省）" and province["coverage"] == f"{n}/60"
    assert province["partial"] and result.partial
    # the province holds every unit once, to 0.01 ha of the unit areas
    assert abs(province["land"] / 100 - units["unit_area_km2"].sum() * 100) <= 0.005 * len(units)
    # classes add up to the land, 水土流失面积 is 轻度 and above, and the rate follows from them
    for frame in (result.table(k).frame for k in result.levels):
        cls = frame[[f"cls_{k}" for k in CLASSES.ids] + ["nodata"]].sum(axis=1)
        assert (cls == frame["land"]).all()
        assert (frame[[f"cls_{k}" for k in CLASSES.loss_ids]].sum(axis=1) == frame["loss"]).all()
        assert np.allclose(frame["rate_pct"], 100 * (frame["assessed"] - frame["loss"]) / frame["assessed"])
    prefectures = result.table("prefecture").frame
    assert dict(zip(prefectures["code"], prefectures["name"])) == {  # 3 of 通化市's 7 counties, 2 of 白山市's 6
        "220500": "通化市（本次范围 3/7 县，非全市(州)）",
        "220600": "白山市（本次范围 2/6 县，非全市(州)）",
    }
    assert list(prefectures["coverage"]) == ["3/7", "2/6"]


def test_the_tables_add_up_to_0_01_ha(tmp_path):
    units = unit_layer(np.random.default_rng(11))
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units"))
    table = tg.decompose(county_bases(result), tg.load_targets())
    written = outputs.write_rollup_tables(result, table, tmp_path, [("k", "v")])
    rows = read_csv(written["rollup_csv"])
    assert "水土保持率(%)" in rows[0] and "水土流失面积(公顷)" in rows[0] and "土地面积(公顷)" in rows[0]
    counties = [r for r in rows if r["级别"] == "县"]
    province = next(r for r in rows if r["级别"] == "省")
    for header in ("土地面积(公顷)", "水土流失面积(公顷)", "轻度侵蚀面积(公顷)"):
        cents = sum(round(float(r[header]) * 100) for r in counties)
        assert cents == round(float(province[header]) * 100)
    assert len(counties) == len(COUNTIES) and (tmp_path / "rollup.xlsx").is_file()
    target_rows = read_csv(written["targets_csv"])
    assert all("非官方分配" in r["说明"] and "not verified" in r["说明"] for r in target_rows)


def test_layers_per_level_dissolved_by_code(tmp_path):
    units = unit_layer(np.random.default_rng(2))
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units"))
    table = tg.decompose(county_bases(result), tg.load_targets())
    path = tmp_path / "rollup.gpkg"
    assert outputs.write_rollup_layers(result, table, path, units.crs) == ["county", "prefecture", "province"]
    county = gpd.read_file(path, layer="county")
    assert sorted(county["code"]) == sorted(COUNTIES)
    assert county["target_2025"].notna().all() and county["target_2035"].notna().all()
    calc = AreaCalc(county.crs)
    for geom, land in zip(county.geometry, county["land_ha"]):  # dissolved: one polygon of 4 unit squares
        assert geom.geom_type == "Polygon" and abs(calc(geom) / 1e4 - land) < 0.05


def test_a_unit_crossing_a_county_line_is_split_by_area_and_counted_once():
    size = 1000.0
    left = box(X0, Y0, X0 + 2 * size, Y0 + 2 * size)
    right = box(X0 + 2 * size, Y0, X0 + 4 * size, Y0 + 2 * size)
    divisions = gpd.GeoDataFrame({"county_code": ["220521", "220621"]}, geometry=[left, right], crs="EPSG:4530")
    units = unit_layer(np.random.default_rng(3), n_per_county=4, counties=("220521",), size=size)
    units.loc[1, "geometry"] = box(X0 + 0.8 * size, Y0, X0 + 3.8 * size, Y0 + 0.5 * size)  # 40 % left, 60 % right
    units.loc[1, "unit_area_km2"] = AreaCalc(units.crs)(units.geometry[1]) / 1e6
    pieces = assign.pieces_by_geometry(units, "units", divisions, "county_code", "counties")
    parts = pieces.frame[pieces.frame["unit_code"] == units.loc[1, "unit_code"]]
    assert sorted(parts["county"]) == ["220521", "220621"]
    unit_land = round(units.loc[1, "unit_area_km2"] * 1e4)  # 0.01 ha
    assert parts["land"].sum() == unit_land  # the parts add up exactly: counted once
    share = dict(zip(parts["county"], parts["land"] / unit_land))
    assert share["220521"] == pytest.approx(0.4, abs=1e-4) and share["220621"] == pytest.approx(0.6, abs=1e-4)
    result = aggregate.rollup(pieces)
    province = result.table("province").frame.iloc[0]
    inside = units.geometry.intersection(left.union(right))
    expected = sum(AreaCalc(units.crs)(g) for g in inside) / 100  # m² → 0.01 ha
    assert abs(province["land"] - expected) <= len(units)  # ≤ 0.01 ha per unit of rounding
    assert province["n_units"] == len(units)
    counties = result.table("county").frame.set_index("code")
    assert counties.loc["220621", "n_units"] == 3 and counties.loc["220521", "n_units"] == 2  # unit 1 in both
    # the unit's part outside both counties is reported, not counted
    units.loc[2, "geometry"] = box(X0 + 2 * size, Y0 + 1.5 * size, X0 + 3 * size, Y0 + 2.5 * size)  # half outside
    units.loc[2, "unit_area_km2"] = AreaCalc(units.crs)(units.geometry[2]) / 1e6
    pieces = assign.pieces_by_geometry(units, "units", divisions, "county_code", "counties")
    assert pieces.outside[units.loc[2, "unit_code"]] == pytest.approx(units.loc[2, "unit_area_km2"] * 1e4 / 2, abs=2)


def test_sub_units_with_their_own_county_codes_are_each_counted_once():
    units = unit_layer(np.random.default_rng(4), n_per_county=2, counties=("220521", "220621"))
    # one 小流域 split into two 亚单元 along the county line, one feature each
    units.loc[[1, 2], "unit_code"] = ["X001-220521", "X001-220621"]
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units"))
    assert result.pieces.method == "attribute"
    assert result.table("province").frame.iloc[0]["land"] == sum(round(a * 1e4) for a in units["unit_area_km2"])


def test_round_parts_is_exact_and_close():
    parts = round_parts([1.4, 1.4, 1.2], 4)
    assert parts.sum() == 4 and set(parts) <= {1, 2}
    assert round_parts([0.0, 0.0], 5).sum() == 0 and round_parts([2.0, 1.0], 0).sum() == 0


def test_units_without_erosion_data_are_not_assessed():
    units = unit_layer(np.random.default_rng(6), n_per_county=2, counties=("220521",))
    units.loc[0, [f"eros_{k}_km2" for k in CLASSES.ids]] = np.nan
    pieces = assign.pieces_by_attribute(units, "units")
    county = aggregate.rollup(pieces).table("county").frame.iloc[0]
    assert pieces.units_without_erosion == [units.loc[0, "unit_code"]]
    assert county["assessed"] == round(units.loc[1, "unit_area_km2"] * 1e4)
    assert county["land"] == sum(round(a * 1e4) for a in units["unit_area_km2"])


# --- 2. targets ---------------------------------------------------------------------------------------
def county_bases(result):
    return [
        tg.CountyBase(r.code, r.name, r.parent_code, int(r.assessed), int(r.loss))
        for r in result.table("county").frame.itertuples()
    ]


def random_counties(rng, n=8):
    hier = jilin_hierarchy()
    codes = sorted(c for c in hier.names if len(c) == 6 and not c.endswith("00"))[:n]
    out = []
    for code in codes:
        a = int(rng.integers(1_000_000, 50_000_000))
        out.append(tg.CountyBase(code, hier.names[code], hier.parents[code], a, int(a * rng.uniform(0.05, 0.4))))
    return out


def with_method(tmp_path, method, ceiling=100.0, rate=None):
    data = json.loads(resources_path("rules", "targets_jilin.json").read_text(encoding="utf-8"))
    data["method"]["id"] = method
    data["method"]["ceiling_pct"] = ceiling
    if rate is not None:
        data["targets"][0]["rate_pct"] = rate
    path = tmp_path / f"targets_{method}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return tg.load_targets(path)


@pytest.mark.parametrize(
    "method, ceiling", [("gap_share", 100.0), ("gap_share", 95.0), ("loss_proportional", 100.0), ("uniform", 100.0)]
)
def test_the_area_weighted_county_targets_reproduce_the_province_target(tmp_path, method, ceiling):
    counties = random_counties(np.random.default_rng(7))
    targets = with_method(tmp_path, method, ceiling)
    table = tg.decompose(counties, targets)
    a = np.array([c.assessed for c in counties], dtype=float)
    for t in targets.targets:
        rows = table[(table["year"] == t.year) & (table["level"] == "county")]
        assert list(rows["code"]) == [c.code for c in counties]
        weighted = (rows["assessed"] * rows["target_pct"]).sum() / rows["assessed"].sum()
        assert abs(weighted - t.rate_pct) < 1e-9
        # the target 水土流失面积 in 0.01 ha adds up exactly to the province's
        assert rows["target_loss"].sum() == round((1 - t.rate_pct / 100) * a.sum())
        province = table[(table["year"] == t.year) & (table["level"] == "province")].iloc[0]
        assert abs(province["target_pct"] - t.rate_pct) < 1e-9 and province["target_loss"] == rows["target_loss"].sum()
        for code, g in rows.groupby("parent_code"):
            pref = table[(table["year"] == t.year) & (table["code"] == code)].iloc[0]
            assert pref["level"] == "prefecture" and pref["target_loss"] == g["target_loss"].sum()
        current = rows["current_pct"].to_numpy()
        target = rows["target_pct"].to_numpy()
        if method == "gap_share":  # every county closes the same share of its gap to the ceiling
            closed = (target - current) / (ceiling - current)
            assert np.allclose(closed, closed[0])
        if method == "loss_proportional":  # the loss falls by the same fraction everywhere
            loss = rows["loss"].to_numpy()
            new = rows["assessed"].to_numpy() * (1 - target / 100)
            assert np.allclose(new / loss, new[0] / loss[0])
        assert (rows["note"].str.contains(method) & rows["note"].str.contains("非官方分配")).all()


def test_a_target_already_met_is_flagged_below_current(tmp_path):
    counties = random_counties(np.random.default_rng(8))
    table = tg.decompose(counties, with_method(tmp_path, "gap_share", rate=10.0), [2025])
    rows = table[table["level"] == "county"]
    assert (rows["target_pct"] < rows["current_pct"]).all() and rows["flag"].str.contains("below current").all()


def test_a_ceiling_too_low_for_the_target_is_refused(tmp_path):
    counties = random_counties(np.random.default_rng(9))
    with pytest.raises(InputError) as err:
        tg.decompose(counties, with_method(tmp_path, "gap_share", ceiling=81.0, rate=99.0), [2025])
    bilingual(err.value, "targets")
    assert "ceiling" in err.value.en


def test_the_shipped_targets_cite_the_issue_and_are_not_verified():
    targets = tg.load_targets()
    assert [(t.year, t.rate_pct) for t in targets.targets] == [(2025, 80.21), (2035, 83.66)]
    assert all(not t.verified and "not verified" in t.source for t in targets.targets)
    assert targets.method == "gap_share" and not targets.official
    assert "not verified" in tg.method_note(targets) and "非官方分配" in tg.method_note(targets)


@pytest.mark.parametrize(
    "change_it, word",
    [
        (lambda d: d["targets"][0].__setitem__("rate_pct", 120), "rate_pct"),
        (lambda d: d["method"].__setitem__("id", "by_decree"), "method.id"),
        (lambda d: d.pop("version"), "version"),
        (lambda d: d["targets"].append(dict(d["targets"][0])), "twice"),
        (lambda d: d["targets"][1].pop("source"), "source"),
    ],
)
def test_a_bad_targets_file_is_refused_naming_it(tmp_path, change_it, word):
    data = json.loads(resources_path("rules", "targets_jilin.json").read_text(encoding="utf-8"))
    change_it(data)
    path = tmp_path / "my_targets.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError) as err:
        tg.load_targets(path)
    bilingual(err.value, "my_targets.json")
    assert word in err.value.en


# --- 1. bad inputs of the roll-up ---------------------------------------------------------------------
def test_bad_unit_layers_are_refused_before_any_work():
    units = unit_layer(np.random.default_rng(1), n_per_county=2, counties=("220521",))
    bad = units.copy()
    bad.loc[0, "county_code"] = "110101"  # 北京 东城区: not a 吉林 county
    with pytest.raises(InputError) as err:
        assign.pieces_by_attribute(bad, "小流域指标")
    bilingual(err.value, "小流域指标")
    assert "110101" in err.value.en
    with pytest.raises(InputError) as err:
        assign.pieces_by_attribute(units.drop(columns=["eros_light_km2"]), "小流域指标")
    bilingual(err.value, "小流域指标")
    assert "eros_light_km2" in err.value.en
    bad = units.copy()
    bad["township_code"] = "220621100"  # a 抚松县 township on 通化县 units
    with pytest.raises(InputError) as err:
        assign.pieces_by_attribute(bad, "小流域指标", township_field="township_code")
    bilingual(err.value, "小流域指标")
    assert "not in its county" in err.value.en
    bad = units.copy()
    bad.loc[1, "unit_code"] = bad.loc[0, "unit_code"]
    with pytest.raises(InputError) as err:
        assign.pieces_by_attribute(bad, "小流域指标")
    bilingual(err.value, "小流域指标")
    assert "duplicates" in err.value.en
    with pytest.raises(InputError) as err:
        assign.pieces_by_attribute(units.set_crs("EPSG:3857", allow_override=True), "小流域指标")
    bilingual(err.value, "小流域指标")


def test_overlapping_division_polygons_are_refused():
    units = unit_layer(np.random.default_rng(1), n_per_county=2, counties=("220521",))
    square = box(X0 - 10, Y0 - 10, X0 + 3000, Y0 + 3000)
    divisions = gpd.GeoDataFrame({"county_code": ["220521", "220621"]}, geometry=[square, square], crs="EPSG:4530")
    with pytest.raises(InputError) as err:
        assign.pieces_by_geometry(units, "units", divisions, "county_code", "县界")
    bilingual(err.value, "县界")
    assert "overlap" in err.value.en
    mixed = gpd.GeoDataFrame({"code": ["220521", "220621100"]}, geometry=[square, square], crs="EPSG:4530")
    with pytest.raises(InputError) as err:
        assign.pieces_by_geometry(units, "units", mixed, "code", "县界")
    bilingual(err.value, "县界")


# --- 3. change between years --------------------------------------------------------------------------
CELL = 30.0


def write_classes(path, data, nodata=0, origin=(X0, Y0 + 3000.0), epsg=4530, cell=CELL):
    ds = gdal.GetDriverByName("GTiff").Create(
        str(path), data.shape[1], data.shape[0], 1, gdal.GDT_Float32 if data.dtype.kind == "f" else gdal.GDT_Byte
    )
    ds.SetGeoTransform((origin[0], cell, 0, origin[1], 0, -cell))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds.SetProjection(srs.ExportToWkt())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(nodata)
    band.WriteArray(data)
    ds = None
    return str(path)


def grid_units(n=4, cells=25, counties=("220521", "220521", "220621", "220621")):
    """Four square units of cells×cells cells in a row, on the raster grid."""
    side = cells * CELL
    geoms = [box(X0 + i * side, Y0 + 3000.0 - side, X0 + (i + 1) * side, Y0 + 3000.0) for i in range(n)]
    return gpd.GeoDataFrame(
        {"unit_code": [f"U{i}" for i in range(n)], "county_code": list(counties[:n])}, geometry=geoms, crs="EPSG:4530"
    )


def two_years(tmp_path, rng, shape=(40, 110)):
    before = rng.integers(1, 7, shape).astype(np.uint8)
    after = np.clip(before + rng.integers(-2, 3, shape), 1, 6).astype(np.uint8)
    before[rng.random(shape) < 0.03] = 0  # no data
    after[rng.random(shape) < 0.03] = 0
    return before, after, write_classes(tmp_path / "e2020.tif", before), write_classes(tmp_path / "e2025.tif", after)


def rollup_of(units, raster, kind="classes", divisions=None, field="county_code"):
    """The indicator step and the roll-up on one raster: (per-unit rows, county table by code)."""
    from soil_conservation_plugin.core.indicators.compute import compute_indicators

    ind, _ = compute_indicators(units, erosion=raster, erosion_kind=kind)
    if divisions is None:
        pieces = assign.pieces_by_attribute(ind, "units")
    else:
        pieces = assign.pieces_by_geometry(ind, "units", divisions, field, "divisions")
    return ind, assign.unit_rows(ind), aggregate.rollup(pieces).table("county").frame.set_index("code")


def assert_agrees_with_the_rollup(result, units, p1, p2, kind="classes", divisions=None, field="county_code"):
    """Each year's 水土流失面积 and 水土保持率, per unit and per county, = the roll-up of that year's raster."""
    for prefix, raster in (("before", p1), ("after", p2)):
        _, rows, county = rollup_of(units, raster, kind, divisions, field)
        assert np.array_equal(np.round(result.units[f"loss_{prefix}_ha"] * 100), rows["loss"])
        assert np.array_equal(np.round(result.units[f"assessed_{prefix}_ha"] * 100), rows["assessed"])
        for r in result.counties.itertuples():
            assert round(getattr(r, f"loss_{prefix}_ha") * 100) == county.loc[r.code, "loss"]
            assert getattr(r, f"rate_{prefix}_pct") == pytest.approx(county.loc[r.code, "rate_pct"], abs=1e-9)
    if divisions is None:  # the county figures are sums of the unit figures
        by_county = result.units.groupby("county_code")[["loss_before_ha", "loss_after_ha", "paired_ha"]].sum()
        c = result.counties.set_index("code")
        for col in by_county.columns:
            assert np.allclose(by_county[col], c.loc[by_county.index, col], atol=1e-6), col


def test_the_transition_matrix_matches_an_independent_count(tmp_path):
    rng = np.random.default_rng(12)
    before, after, p1, p2 = two_years(tmp_path, rng)
    units = grid_units()
    result = change.compute_change(units, p1, p2, year_before=2020, year_after=2025, kind="classes")
    # independently: cells of the four units are rows 0–24, columns 0–99; each cell is 30 m × 30 m = 0.09 ha
    b, a = before[:25, :100], after[:25, :100]
    expected = np.zeros((7, 7))  # + the 无数据 row and column (code 0)
    for i, cb in enumerate([1, 2, 3, 4, 5, 6, 0]):
        for j, ca in enumerate([1, 2, 3, 4, 5, 6, 0]):
            expected[i, j] = np.count_nonzero((b == cb) & (a == ca)) * 0.09
    assert np.allclose(result.matrix.to_numpy(), expected, atol=1e-9)
    assert list(result.matrix.index) == [*CLASSES.ids, change.NODATA_ID]
    for k, row in result.units.iterrows():
        bb, aa = b[:, 25 * k : 25 * (k + 1)], a[:, 25 * k : 25 * (k + 1)]
        paired = (bb > 0) & (aa > 0)
        loss_b = np.count_nonzero(paired & (bb >= 2)) * 0.09
        loss_a = np.count_nonzero(paired & (aa >= 2)) * 0.09
        assert row["paired_ha"] == pytest.approx(np.count_nonzero(paired) * 0.09)
        assert row["paired_loss_before_ha"] == pytest.approx(loss_b)
        assert row["paired_loss_after_ha"] == pytest.approx(loss_a)
        assert row["only_before_ha"] == pytest.approx(np.count_nonzero((bb > 0) & (aa == 0)) * 0.09)
        assert row["only_after_ha"] == pytest.approx(np.count_nonzero((bb == 0) & (aa > 0)) * 0.09)
        # each year over all its cells with data, as the indicators: not only the paired ones
        assert row["loss_before_ha"] == pytest.approx(np.count_nonzero(bb >= 2) * 0.09, abs=0.011)
        assert row["d_loss_ha"] == pytest.approx(row["loss_after_ha"] - row["loss_before_ha"], abs=1e-9)
    assert_agrees_with_the_rollup(result, units, p1, p2)
    long = result.county_matrices
    assert long["ha"].sum() == pytest.approx(expected.sum() - expected[6, 6])
    assert result.change_raster[0, 0] == (after[0, 0] - before[0, 0] if before[0, 0] and after[0, 0] else -128)
    assert (result.change_raster[:, 100:] == change.NODATA_CHANGE).all()  # outside the units


def test_coverage_weighted_transitions_match_shapely_and_geod(tmp_path):
    """Units off the grid on EPSG:4490: every cell counts with (polygon ∩ cell) / cell × its geodesic area."""
    from pyproj import Geod
    from shapely.geometry import Polygon

    rng = np.random.default_rng(21)
    shape, cell, origin = (24, 30), 0.002, (126.0, 42.0)
    before, after, p1, p2 = two_years(tmp_path, rng, shape)
    p1 = write_classes(tmp_path / "g2020.tif", before, origin=origin, epsg=4490, cell=cell)
    p2 = write_classes(tmp_path / "g2025.tif", after, origin=origin, epsg=4490, cell=cell)
    x0, y0 = origin
    polys = [
        Polygon([(x0 + 0.0013, y0 - 0.0011), (x0 + 0.0291, y0 - 0.0037), (x0 + 0.0233, y0 - 0.0213)]),
        Polygon([(x0 + 0.0307, y0 - 0.0019), (x0 + 0.0571, y0 - 0.0063), (x0 + 0.0523, y0 - 0.0441)]),
        box(x0 + 0.0031, y0 - 0.0459, x0 + 0.0287, y0 - 0.0247),
    ]
    units = gpd.GeoDataFrame(
        {"unit_code": ["A", "B", "C"], "county_code": ["220521", "220521", "220621"]}, geometry=polys, crs="EPSG:4490"
    )
    result = change.compute_change(units, p1, p2, year_before=2020, year_after=2025)
    assert result.method == "coverage"
    geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid (the flattening differs in the 11th digit)
    expected = np.zeros((3, 7, 7))
    idx = {c: i for i, c in enumerate([1, 2, 3, 4, 5, 6, 0])}
    for r in range(shape[0]):
        top, bottom = y0 - r * cell, y0 - (r + 1) * cell
        area = abs(geod.polygon_area_perimeter([x0, x0 + cell, x0 + cell, x0], [bottom, bottom, top, top])[0])
        for c in range(shape[1]):
            sq = box(x0 + c * cell, bottom, x0 + (c + 1) * cell, top)
            for k, poly in enumerate(polys):
                f = poly.intersection(sq).area / sq.area
                if f > 0:
                    expected[k, idx[before[r, c]], idx[after[r, c]]] += f * area / 1e4
    assert np.allclose(result.matrix.to_numpy(), expected.sum(axis=0), rtol=1e-6, atol=1e-9)
    m = result.matrix.to_numpy()
    # row sums: the earlier year's class areas of the indicators; class columns of the class rows: paired cells
    ind, _, _ = rollup_of(units, p1)
    for i, cid in enumerate(CLASSES.ids):
        assert m[i].sum() == pytest.approx(ind[f"eros_{cid}_km2"].sum() * 100, rel=1e-9)
    paired_after = expected[:, :6, :6].sum(axis=(0, 1))
    assert np.allclose(m[:6, :6].sum(axis=0), paired_after, rtol=1e-6)
    for k in range(3):
        assert result.units.loc[k, "paired_ha"] == pytest.approx(expected[k, :6, :6].sum(), rel=1e-6)
        assert result.units.loc[k, "only_before_ha"] == pytest.approx(expected[k, :6, 6].sum(), rel=1e-6, abs=1e-9)
    assert_agrees_with_the_rollup(result, units, p1, p2)
    c = result.county_matrices
    assert c[c["county"] == "220621"]["ha"].sum() == pytest.approx(expected[2].sum() - expected[2, 6, 6], rel=1e-6)


def test_with_the_unit_raster_the_change_counts_as_the_indicators_do(tmp_path):
    """Polygons off the grid, counted by the watershed step's unit raster: the change uses it as the indicators do."""
    from soil_conservation_plugin.core.indicators.compute import compute_indicators

    rng = np.random.default_rng(23)
    before, after, p1, p2 = two_years(tmp_path, rng)
    labels = np.zeros(before.shape, np.uint8)
    for i in range(4):
        labels[:25, 25 * i : 25 * (i + 1)] = i + 1
    lab = write_classes(tmp_path / "units.tif", labels)
    (tmp_path / "units.codes.csv").write_text("label,unit_code\n" + "".join(f"{i + 1},U{i}\n" for i in range(4)))
    units = grid_units()
    units["geometry"] = units.geometry.translate(7.0, -4.0)  # the outlines as drawn, off the grid
    result = change.compute_change(units, p1, p2, year_before=2020, year_after=2025, labels=lab)
    assert result.method == "label raster"
    for prefix, raster in (("before", p1), ("after", p2)):
        ind, _ = compute_indicators(units, erosion=raster, erosion_kind="classes", labels=lab)
        county = aggregate.rollup(assign.pieces_by_attribute(ind, "units")).table("county").frame.set_index("code")
        for r in result.counties.itertuples():
            assert round(getattr(r, f"loss_{prefix}_ha") * 100) == county.loc[r.code, "loss"]
            assert getattr(r, f"rate_{prefix}_pct") == pytest.approx(county.loc[r.code, "rate_pct"], abs=1e-9)
    b, a = before[:25, :100], after[:25, :100]
    assert result.units["paired_ha"].sum() == pytest.approx(np.count_nonzero((b > 0) & (a > 0)) * 0.09)
    without = change.compute_change(units, p1, p2, year_before=2020, year_after=2025)
    assert without.method == "coverage"


def test_change_by_division_polygons_agrees_with_the_rollup_by_geometry(tmp_path):
    """With county polygons the units are split by area share, as in the roll-up: the same county figures."""
    rng = np.random.default_rng(22)
    _, _, p1, p2 = two_years(tmp_path, rng)
    units = grid_units().drop(columns=["county_code"])
    side = 25 * CELL
    divisions = gpd.GeoDataFrame(  # the line between the two counties runs through unit U1
        {"county_code": ["220521", "220621"]},
        geometry=[
            box(X0, Y0 + 3000.0 - side, X0 + 1.5 * side, Y0 + 3000.0),
            box(X0 + 1.5 * side, Y0 + 3000.0 - side, X0 + 4 * side, Y0 + 3000.0),
        ],
        crs="EPSG:4530",
    )
    result = change.compute_change(units, p1, p2, year_before=2020, year_after=2025, divisions=divisions)
    assert result.county_method == "divisions" and len(result.counties) == 2
    assert_agrees_with_the_rollup(result, units, p1, p2, divisions=divisions)
    total = result.counties["paired_ha"].sum()
    assert total == pytest.approx(result.units["paired_ha"].sum(), rel=1e-9)  # the split unit counted once


def test_moduli_are_classed_like_the_class_codes(tmp_path):
    rng = np.random.default_rng(13)
    before, after, p1, p2 = two_years(tmp_path, rng)
    lows = np.array([0.0, *CLASSES.lower[1:]])

    def modulus(cls):
        m = np.where(cls > 0, lows[np.maximum(cls, 1) - 1] + 10.0, -9999.0).astype(np.float32)
        m[cls == 2] = 200.0  # exactly on a bound: the upper class (lower-inclusive)
        return m

    q1 = write_classes(tmp_path / "m2020.tif", modulus(before), nodata=-9999)
    q2 = write_classes(tmp_path / "m2025.tif", modulus(after), nodata=-9999)
    units = grid_units()
    by_class = change.compute_change(units, p1, p2, year_before=2020, year_after=2025, kind="classes")
    by_modulus = change.compute_change(units, q1, q2, year_before=2020, year_after=2025, kind="modulus")
    assert np.allclose(by_class.matrix.to_numpy(), by_modulus.matrix.to_numpy())


def test_progress_against_the_county_targets(tmp_path):
    rng = np.random.default_rng(14)
    _, _, p1, p2 = two_years(tmp_path, rng)
    result = change.compute_change(
        grid_units(), p1, p2, year_before=2020, year_after=2025, targets=tg.load_targets(), target_year=2035
    )
    c = result.counties
    weighted = (c["assessed_before_ha"] * c["target_pct"]).sum() / c["assessed_before_ha"].sum()
    assert weighted == pytest.approx(83.66, abs=1e-3)  # 0.01 ha rounding of the bases only
    need = c["target_pct"] - c["rate_before_pct"]
    assert np.allclose(c["progress_pct"], 100 * (c["rate_after_pct"] - c["rate_before_pct"]) / need)
    assert set(c["status"]) <= {"已达到目标 target met", "未达到目标 not yet met"}


def test_the_report_and_the_tables(tmp_path):
    rng = np.random.default_rng(15)
    _, _, p1, p2 = two_years(tmp_path, rng)
    units = grid_units()
    result = change.compute_change(
        units, p1, p2, year_before=2020, year_after=2025, targets=tg.load_targets(), target_year=2025
    )
    notes = [("<script>", "a & b")]
    report.write_report(result, tmp_path / "report.html", notes)
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count("<svg") == 3 and "通化县" in text and "抚松县" in text
    assert "<script>" not in text and "&lt;script&gt;" in text
    written = outputs.write_change_tables(result, tmp_path / "tables", notes)
    matrix = read_csv(written["transitions_csv"])
    assert [r[next(iter(r))] for r in matrix] == [*CLASSES.zh, "无数据", "合计"]
    assert float(matrix[-1]["合计"]) == pytest.approx(result.matrix.to_numpy().sum(), abs=0.01)
    county = read_csv(written["county_change_csv"])
    assert {"水土流失面积变化(公顷,两期各自全部数据)", "目标完成进度(%)", "两期均有数据面积(公顷)"} <= set(county[0])
    assert "前期全部数据" in text and "两期均有数据" in text
    geoms = {c: g for c, g in zip(["220521", "220621"], [units.geometry[0], units.geometry[2]])}
    outputs.write_change_layers(result, units, geoms, tmp_path / "change.gpkg")
    layer = gpd.read_file(tmp_path / "change.gpkg", layer="unit_change")
    assert np.allclose(layer["d_loss_ha"], result.units["d_loss_ha"].round(2))
    from osgeo import ogr

    ds = ogr.Open(str(tmp_path / "change.gpkg"))
    for name in ("unit_change", "county_change"):  # one type per layer, not Unknown (Polygon and MultiPolygon)
        assert ds.GetLayerByName(name).GetGeomType() == ogr.wkbMultiPolygon, name
    ds = None


def test_bad_change_inputs(tmp_path):
    rng = np.random.default_rng(16)
    before, after, p1, p2 = two_years(tmp_path, rng)
    units = grid_units()
    shifted = write_classes(tmp_path / "shifted.tif", after, origin=(X0 + 15.0, Y0 + 3000.0))
    with pytest.raises(InputError) as err:
        change.compute_change(units, p1, shifted, year_before=2020, year_after=2025, after_label="后期")
    bilingual(err.value, "后期")
    assert "same grid" in err.value.en
    with pytest.raises(InputError) as err:
        change.compute_change(units, p1, p2, year_before=2025, year_after=2025, after_label="后期")
    bilingual(err.value, "后期")
    odd = before.copy()
    odd[3, 3] = 9
    with pytest.raises(InputError) as err:
        change.compute_change(
            units, write_classes(tmp_path / "odd.tif", odd), p2, year_before=2020, year_after=2025, before_label="前期"
        )
    bilingual(err.value, "前期")
    assert "9" in err.value.en
    far = units.copy()
    far["geometry"] = far.geometry.translate(50000, 0)
    with pytest.raises(InputError) as err:
        change.compute_change(far, p1, p2, year_before=2020, year_after=2025, units_label="小流域")
    bilingual(err.value, "小流域")
    with pytest.raises(InputError) as err:
        change.compute_change(
            units, p1, p2, year_before=2020, year_after=2025, targets=tg.load_targets(), target_year=2030
        )
    bilingual(err.value, "targets")
    assert "2030" in err.value.en
    with pytest.raises(InputError) as err:
        change.compute_change(units.drop(columns=["county_code"]), p1, p2, year_before=2020, year_after=2025)
    bilingual(err.value, "小流域 units")


def test_an_area_per_row_on_a_geographic_grid(tmp_path):
    """On EPSG:4490 the cell area shrinks northwards: each row counts with its own ground area."""
    from pyproj import CRS

    from soil_conservation_plugin.core.common.crs import row_spacing

    shape = (20, 20)
    ones = np.full(shape, 3, np.uint8)
    cell = 0.001
    origin = (126.0, 42.0)
    p = write_classes(tmp_path / "geo.tif", ones, origin=origin, epsg=4490, cell=cell)
    units = gpd.GeoDataFrame(
        {"unit_code": ["G"], "county_code": ["220521"]},
        geometry=[box(origin[0], origin[1] - 20 * cell, origin[0] + 20 * cell, origin[1])],
        crs="EPSG:4490",
    )
    result = change.compute_change(units, p, p, year_before=2020, year_after=2021)
    from rasterio.transform import Affine

    t = Affine(cell, 0.0, origin[0], 0.0, -cell, origin[1])
    dx, dy = row_spacing(CRS.from_epsg(4490), t, np.arange(20))
    assert result.matrix.loc["moderate", "moderate"] == pytest.approx((dx * dy).sum() * 20 / 1e4)
    assert result.matrix.to_numpy().sum() == pytest.approx(result.matrix.loc["moderate", "moderate"])
