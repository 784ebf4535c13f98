"""小流域 delineation: synthetic basins with known answers, the unit-layer contract, topology,
the hydrological invariant (checked on the D8 raster written to disk, decoded independently),
county sub-units, ellipsoidal areas and the real DEMs in ../shared/data."""

from __future__ import annotations

import csv
import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import rasterio.features
from affine import Affine
from pyproj import CRS, Geod
from rasterio.transform import from_origin
from shapely.geometry import box, shape
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.cell_areas import CellAreas
from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.geo import AreaCalc
from soil_conservation_plugin.core.watersheds import delineation as W
from soil_conservation_plugin.core.watersheds.coding import check_template, load_coding_rules, pfafstetter, render_codes

from ..conftest import shared_file

# ESRI/pyflwdir D8 codes → (drow, dcol), decoded here independently of the plugin
D8_CODES = {1: (0, 1), 2: (1, 1), 4: (1, 0), 8: (1, -1), 16: (0, -1), 32: (-1, -1), 64: (-1, 0), 128: (-1, 1)}


def write_dem(path, z, crs="EPSG:32651", res=100.0, origin=(500000.0, 5000000.0), nodata=-9999.0):
    z = np.where(np.isnan(z), nodata, z).astype("float32")
    t = from_origin(origin[0], origin[1], res, res)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        transform=t,
        nodata=nodata,
    ) as dst:
        dst.write(z, 1)
    return path, t


def run(tmp_path, dem, name="w", **kw):
    out = {
        "gpkg": tmp_path / f"{name}.gpkg",
        "topology_csv": tmp_path / f"{name}_topology.csv",
        "raster": tmp_path / f"{name}_units.tif",
        "d8_raster": tmp_path / f"{name}_d8.tif",
    }
    res, written = W.delineate_to_files(dem, **out, **kw)
    return res, out


def read_units(out):
    return gpd.read_file(out["gpkg"], layer="units")


def decode_d8(path):
    with rasterio.open(path) as src:
        d8 = src.read(1)
    nrow, ncol = d8.shape
    ds = np.full(d8.size, -1, dtype=np.int64)
    rr, cc = np.divmod(np.arange(d8.size), ncol)
    flat = d8.ravel()
    for code, (dr, dc) in D8_CODES.items():
        m = flat == code
        ds[m] = (rr[m] + dr) * ncol + cc[m] + dc
    ds[flat == 0] = np.flatnonzero(flat == 0)
    return ds


def assert_hydrological_invariant(out, layer_units):
    """Every labelled cell's D8 path (from the written D8 raster) reaches one of its own unit's
    outlets (from the outlets layer), and before that only crosses its own unit or units upstream of it."""
    with rasterio.open(out["raster"]) as src:
        lab = src.read(1).ravel()
        t = src.transform
        ncol = src.width
    ds = decode_d8(out["d8_raster"])
    codes = {}
    with open(W.label_table_path(out["raster"]), encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            codes[int(row["label"])] = row["unit_code"]
    units = layer_units.set_index("unit_code")
    label_of = {c: k for k, c in codes.items()}
    n = len(codes)
    outlet_of = np.zeros(lab.size, dtype=np.int64)  # label of the unit a cell is an outlet of
    points = gpd.read_file(out["gpkg"], layer="outlets")
    for c, x, y in zip(points.unit_code, points.outlet_x, points.outlet_y):
        cell = int(math.floor((y - t.f) / t.e)) * ncol + int(math.floor((x - t.c) / t.a))
        assert lab[cell] == label_of[c], f"outlet of {c} not in its unit"
        outlet_of[cell] = label_of[c]
    assert sorted(points.unit_code.value_counts().items()) == sorted(units.outlet_count.items())
    # upstream closure: is unit a upstream of (or equal to) unit b?
    down = np.zeros(n + 1, dtype=np.int64)
    for k, c in codes.items():
        d = units.loc[c, "down_code"]
        down[k] = label_of[d] if d else 0
    cells = np.flatnonzero(lab > 0)
    own = lab[cells]
    cur = cells.copy()
    ok = np.zeros(cells.size, dtype=bool)
    reached = np.zeros(n + 1, dtype=np.int64)  # cells that left through each unit's outlets
    for _ in range(lab.size):
        now = ~ok & (outlet_of[cur] == own)
        ok |= now
        active = ~ok
        if not active.any():
            break
        nxt = ds[cur[active]]
        stuck = (nxt == cur[active]) | (nxt < 0)
        assert not stuck.any(), "a cell reaches a pit before its unit's outlet"
        # the path may only cross units upstream of the cell's own unit
        lab_next = lab[nxt]
        owner = own[active]
        for a, b in set(zip(lab_next.tolist(), owner.tolist())):
            x = a
            while x and x != b:
                x = down[x]
            assert x == b, f"cell of unit {codes[b]} drains through unit {codes.get(a)} which is not upstream of it"
        cur[active] = nxt
    assert ok.all()
    # every recorded outlet is used: a boundary unit's further outlets drain parts of it
    np.add.at(reached, own, 1)
    assert (reached[1:] > 0).all()


def assert_true_d8(out, dem):
    """The written D8 is the true one of the filled DEM, rewritten nowhere: wherever a cell has a
    lower neighbour it points to a steepest one (drop over the ground distance, projected DEM), else
    to a neighbour at its own level or out of the data; filled levels from pyflwdir on the whole DEM."""
    from pyflwdir.dem import fill_depressions

    with rasterio.open(dem) as src:
        z = src.read(1, masked=True).astype("float64").filled(np.nan)
        dx, dy = abs(src.transform.a), abs(src.transform.e)
        assert src.crs.is_projected
    zf, _ = fill_depressions(z, outlets="edge", nodata=np.nan)
    with rasterio.open(out["d8_raster"]) as src:
        d8 = src.read(1)
    nrow, ncol = z.shape
    pad = np.pad(zf, 1, constant_values=np.nan)
    slopes = np.full((8, nrow, ncol), -np.inf)
    codes = list(D8_CODES)
    for k, code in enumerate(codes):
        dr, dc = D8_CODES[code]
        nb = pad[1 + dr : 1 + dr + nrow, 1 + dc : 1 + dc + ncol]
        slopes[k] = np.where(np.isfinite(nb), (zf - nb) / math.hypot(dr * dy, dc * dx), -np.inf)
    best = slopes.max(axis=0)
    valid = np.isfinite(zf)
    written = np.full((nrow, ncol), -np.inf)
    for k, code in enumerate(codes):
        m = d8 == code
        written[m] = slopes[k][m]
    steep = valid & (best > 1e-6)  # a clear lower neighbour (pyflwdir's float32 levels differ by an ulp)
    assert np.allclose(written[steep], best[steep], rtol=1e-4, atol=1e-6)
    flat = valid & ~steep & (d8 != 0)
    assert (written[flat] >= -1e-4).all()


def assert_contract(units, outlets_layer=None):
    assert list(units.columns[: len(W.UNIT_FIELDS)]) == list(W.UNIT_FIELDS)
    assert units.unit_code.is_unique
    assert units.geometry.is_valid.all()
    codes = set(units.unit_code)
    for _, r in units.iterrows():
        assert r.down_code == "" or r.down_code in codes
        ups = [u for u in r.up_codes.split(",") if u]
        for u in ups:
            assert units.set_index("unit_code").loc[u, "down_code"] == r.unit_code
    # up_codes is the exact inverse of down_code
    n_links = sum(1 for d in units.down_code if d)
    assert n_links == sum(len([u for u in s.split(",") if u]) for s in units.up_codes)
    assert W.check_topology(list(units.unit_code), list(units.down_code)) == []


def assert_coverage(units, region_geom, crs, rel=1e-3):
    """No gaps, no overlaps; sum of unit areas equals the region's ellipsoidal area (pyproj Geod, densified)."""
    calc = AreaCalc(CRS.from_user_input(crs), max_seg=0.005 if CRS.from_user_input(crs).is_geographic else 500.0)
    region_km2 = calc.km2(region_geom)
    total = units.area_km2.sum()
    assert abs(total - region_km2) / region_km2 < rel
    union = unary_union(list(units.geometry))
    assert calc.km2(union.symmetric_difference(region_geom)) / region_km2 < rel
    # overlaps: sum of areas equals the area of the union
    assert abs(calc.km2(union) - total) / region_km2 < rel


# --- synthetic: tilted V-valley --------------------------------------------------------


def v_valley(n=200, side=1.0, along=0.5):
    y, x = np.mgrid[0:n, 0:n]
    return (np.abs(x - n // 2) * side + (n - 1 - y) * along).astype("float64")


def test_v_valley_units_outlets_topology(tmp_path):
    n = 200
    dem, t = write_dem(tmp_path / "v.tif", v_valley(n))
    res, out = run(tmp_path, dem)
    units = read_units(out)
    assert_contract(units)
    # every cell drains to the valley column, then south: one region outlet at its foot
    roots = units[units.down_code == ""]
    assert len(roots) == 1
    assert roots.outlet_x.iloc[0] == pytest.approx(t.c + (n // 2 + 0.5) * 100)
    assert roots.outlet_y.iloc[0] == pytest.approx(t.f - (n - 0.5) * 100)
    # side slopes drain diagonally straight to the valley floor: every outlet lies within two cells of it
    cols = np.floor((units.outlet_x - t.c) / 100).astype(int)
    assert set(cols) <= set(range(n // 2 - 2, n // 2 + 3))
    # area: 200×200 cells of 100 m in UTM: grid 400 km² divided by the areal scale factor at 123°E (zone 51 centre)
    assert units.area_km2.max() <= 50.0 + 1e-9
    assert_coverage(units, box(t.c, t.f - n * 100, t.c + n * 100, t.f), "EPSG:32651")
    assert_hydrological_invariant(out, units)
    dist = res.stats["area_distribution"]
    assert dist["n"] == len(units) and dist["min_km2"] == pytest.approx(units.area_km2.min())
    assert dist["share_in_range"] >= 0.8


def test_v_valley_is_deterministic(tmp_path):
    dem, _ = write_dem(tmp_path / "v.tif", v_valley(120))
    p = W.UnitParams(target_min_km2=10, max_km2=20)
    a, _ = run(tmp_path, dem, "a", params=p)
    b, _ = run(tmp_path, dem, "b", params=p)
    assert a.codes == b.codes and np.array_equal(a.units, b.units)


# --- synthetic: cones (Voronoi basins of edge outlets) ------------------------------------


def test_cones_known_basins(tmp_path):
    """z = distance to the nearest of four outlets on the DEM edge: each cell drains to its nearest
    outlet, so the basins are the Voronoi cells of the outlets (known analytically)."""
    n = 160
    apex = [(n - 1, 20), (n - 1, 110), (0, 60), (70, n - 1)]
    y, x = np.mgrid[0:n, 0:n].astype(float)
    d = np.stack([np.hypot(y - r, x - c) for r, c in apex])
    z = d.min(axis=0)
    voronoi = d.argmin(axis=0)
    dem, t = write_dem(tmp_path / "cones.tif", z, res=50.0)
    cell_km2 = 0.05 * 0.05
    areas = np.bincount(voronoi.ravel(), minlength=4) * cell_km2
    # each Voronoi basin fits one unit: min just below the smallest, max above the largest
    p = W.UnitParams(
        target_min_km2=areas.min() * 0.9, max_km2=areas.max() * 1.1, merge_below_km2=0.01, stream_min_km2=0.05
    )
    res, out = run(tmp_path, dem, params=p)
    units = read_units(out)
    assert_contract(units)
    assert len(units) == 4 and (units.down_code == "").all()
    with rasterio.open(out["raster"]) as src:
        lab = src.read(1)
    # outlets at the four apexes
    got = sorted(
        (int(round((t.f - y_) / 50 - 0.5)), int(round((x_ - t.c) / 50 - 0.5)))
        for x_, y_ in zip(units.outlet_x, units.outlet_y)
    )
    assert got == sorted(apex)
    agree = 0
    for k in range(4):
        ys, xs = np.nonzero(voronoi == k)
        labels, counts = np.unique(lab[ys, xs], return_counts=True)
        agree += counts.max()
    assert agree / lab.size >= 0.99
    assert_hydrological_invariant(out, units)


def test_cones_split_when_oversized(tmp_path):
    """The same cones with a maximum below the basins' areas: oversized basins are split, every unit ≤ max."""
    n = 160
    apex = [(n - 1, 20), (n - 1, 110), (0, 60), (70, n - 1)]
    y, x = np.mgrid[0:n, 0:n].astype(float)
    z = np.stack([np.hypot(y - r, x - c) for r, c in apex]).min(axis=0)
    dem, _ = write_dem(tmp_path / "cones.tif", z, res=50.0)
    p = W.UnitParams(target_min_km2=5, max_km2=8, merge_below_km2=1.0, stream_min_km2=0.1)
    res, out = run(tmp_path, dem, params=p)
    units = read_units(out)
    assert_contract(units)
    assert len(units) > 4
    # raster areas (cell sums) never exceed the maximum
    assert res.raster_km2.max() <= 8.0 + 1e-6
    assert (units.down_code == "").sum() == 4
    assert_hydrological_invariant(out, units)


# --- counties: 亚单元 ---------------------------------------------------------------------


def read_layer(out, layer):
    return gpd.read_file(out["gpkg"], layer=layer)


def watershed_out(out):
    """The files of the 小流域 level of a run with counties: its label raster, the same D8 and outlets."""
    return dict(out, raster=W.watershed_raster_path(out["raster"]))


def raster_labels(path):
    with rasterio.open(path) as src:
        lab = src.read(1).ravel()
    with open(W.label_table_path(path), encoding="utf-8") as fh:
        codes = {int(r["label"]): r["unit_code"] for r in csv.DictReader(fh)}
    return lab, codes


def assert_same_watersheds(res, res0):
    """The 小流域 of a run with counties equal those of the county-free run: cell for cell (labels up
    to renumbering), the same outlets, the same topology and the same codes after the county prefix."""
    a, b = res.units.ravel(), res0.units.ravel()
    assert np.array_equal(a > 0, b > 0)
    pairs = np.unique(np.stack([a[a > 0], b[a > 0]]), axis=1)
    assert pairs.shape[1] == len(res.codes) == len(res0.codes)  # a bijection
    to0 = dict(zip((pairs[0] - 1).tolist(), (pairs[1] - 1).tolist()))
    for u, v in to0.items():
        assert res.outlet_cell[u] == res0.outlet_cell[v]
        assert sorted(c for c, _ in res.extra_outlets[u]) == sorted(c for c, _ in res0.extra_outlets[v])
        assert (res.down[u] < 0 and res0.down[v] < 0) or to0.get(int(res.down[u])) == res0.down[v]
        assert res.codes[u][6:] == res0.codes[v][6:]  # tree and basin numbers: from the water only


def assert_subunits_sum(res, out, county_geoms=None):
    """亚单元 ↔ 小流域: each 亚单元 holds only cells of its parent, together exactly the parent's cells;
    the areas (cell sums and polygons) add up; each 亚单元 lies in one county."""
    subs, sheds = read_layer(out, "units"), read_layer(out, "watersheds")
    assert_contract(subs)
    assert_contract(sheds)
    assert W.check_subunits(res) == []
    lab, codes = raster_labels(out["raster"])
    plab, pcodes = raster_labels(W.watershed_raster_path(out["raster"]))
    assert np.array_equal(lab > 0, plab > 0)
    parent_of = dict(zip(subs.unit_code, subs.parent_code))
    pairs = np.unique(np.stack([lab[lab > 0], plab[lab > 0]]), axis=1)
    assert pairs.shape[1] == len(codes) == len(subs)  # a 亚单元 is in one 小流域
    assert all(parent_of[codes[s]] == pcodes[p] for s, p in pairs.T.tolist())
    assert set(subs.parent_code) == set(sheds.unit_code)
    # areas: cell sums of the raster and the polygons on the ellipsoid
    cell = res.cell_km2
    sub_cells = np.bincount(lab, weights=cell, minlength=len(codes) + 1)
    shed_cells = np.bincount(plab, weights=cell, minlength=len(pcodes) + 1)
    by_parent: dict = {}
    for k, c in codes.items():
        by_parent.setdefault(parent_of[c], []).append(sub_cells[k])
    for k, c in pcodes.items():
        assert math.isclose(math.fsum(by_parent[c]), shed_cells[k], rel_tol=1e-12)
    total = subs.groupby("parent_code").area_km2.sum()
    with rasterio.open(out["raster"]) as src:  # densified as the plugin does: 8 cells
        calc = AreaCalc(CRS.from_user_input(subs.crs), max_seg=8 * max(src.res))
    for _, r in sheds.iterrows():
        assert math.isclose(total[r.unit_code], r.area_km2, rel_tol=1e-12)
        assert math.isclose(calc.km2(r.geometry), r.area_km2, rel_tol=1e-8)  # the densification: ~1e-9
        members = subs[subs.parent_code == r.unit_code]
        assert r.subunit_count == len(members)
        assert r.county_codes == ",".join(sorted(set(members.county_code)))
        assert members.unit_code.str.startswith(r.unit_code).all()
        assert sorted(members.subunit_part) == list(range(1, len(members) + 1))
    if county_geoms is not None:  # every 亚单元 within its county
        for _, r in subs.iterrows():
            assert r.geometry.difference(county_geoms[r.county_code]).area < 1.0
    # the 亚单元 topology: down within the parent or into the parent's downstream 小流域
    shed_down = dict(zip(sheds.unit_code, sheds.down_code))
    for c, d in zip(subs.unit_code, subs.down_code):
        if d:
            assert parent_of[d] in (parent_of[c], shed_down[parent_of[c]])
    return subs, sheds


def test_county_split_subunits(tmp_path):
    n = 200
    dem, t = write_dem(tmp_path / "v.tif", v_valley(n))
    # two counties cutting across the valley with a slanted line; a third county outside the DEM partly
    west = box(t.c - 1000, t.f - n * 100 - 1000, t.c + 12345, t.f + 1000)
    east = box(t.c + 12345, t.f - n * 100 - 1000, t.c + n * 100 + 1000, t.f + 1000)
    counties = gpd.GeoDataFrame(
        {"adcode": ["220101", "220102"], "name": ["西县", "东县"]}, geometry=[west, east], crs="EPSG:32651"
    )
    counties.to_crs("EPSG:4326").to_file(tmp_path / "counties.gpkg", layer="c", driver="GPKG")
    params = W.UnitParams(target_min_km2=10, max_km2=20, merge_below_km2=2)
    res, out = run(
        tmp_path,
        dem,
        counties=(tmp_path / "counties.gpkg", "c"),
        county_code_field="adcode",
        county_name_field="name",
        params=params,
    )
    res0, out0 = run(tmp_path, dem, name="free", params=params)
    # the 小流域 are the county-free ones; the county line splits some into 亚单元
    assert_same_watersheds(res, res0)
    units, sheds = assert_subunits_sum(res, out, counties.set_index("adcode").geometry)
    assert set(units.county_code) == {"220101", "220102"}
    assert set(units.county_name) == {"西县", "东县"}
    assert (sheds.subunit_count > 1).any() and (sheds.subunit_count == 1).any()
    assert len(units) == len(sheds) + int((sheds.subunit_count - 1).sum())
    # the 小流域 level: the coverage, the outlets and the hydrological invariant
    dem_box = box(t.c, t.f - n * 100, t.c + n * 100, t.f)
    assert_coverage(units, dem_box, "EPSG:32651")
    assert_coverage(sheds, dem_box, "EPSG:32651")
    assert res.stats["topology_issues"] == []
    assert_hydrological_invariant(watershed_out(out), sheds)
    # flow crosses the county line along the valley: 亚单元 drain into 亚单元 of the other county
    county_of = dict(zip(units.unit_code, units.county_code))
    assert any(d and county_of[d] != county_of[c] for c, d in zip(units.unit_code, units.down_code))
    # the chain's files: the topology CSV and the unit raster are the 亚单元's
    with open(out["topology_csv"], encoding="utf-8") as fh:
        assert [r["unit_code"] for r in csv.DictReader(fh)] == list(units.unit_code)
    assert len(raster_labels(out["raster"])[1]) == len(units)
    # without a county layer nothing changes: no 亚单元, no watersheds layer
    assert res0.sub is None
    from osgeo import ogr

    ds = ogr.Open(str(out0["gpkg"]))
    assert sorted(ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())) == ["outlets", "units"]


def test_demo_dem_with_the_jilin_counties(tmp_path, shared_data):
    """On the demo DEM with the real Jilin county lines: the 小流域 are the county-free ones cell for
    cell, and the 亚单元 add up to them exactly."""
    from soil_conservation_plugin.demo.region import generate_demo_region

    shp = shared_file(shared_data, "jilin_counties", "jilin_province.shp")
    demo = generate_demo_region(tmp_path / "demo")
    with rasterio.open(demo["dem"]) as src:
        frame, crs = box(*src.bounds), src.crs
    jilin = gpd.read_file(shp)[["adcode", "name", "geometry"]].to_crs(crs)
    jilin = jilin[jilin.intersection(frame).area > 1e6]  # the counties the demo DEM has cells of
    jilin.to_file(tmp_path / "jilin.gpkg", layer="c", driver="GPKG")
    res, out = run(tmp_path, demo["dem"], counties=(tmp_path / "jilin.gpkg", "c"))
    res0, _ = run(tmp_path, demo["dem"], name="free")
    assert len(jilin) >= 2
    assert_same_watersheds(res, res0)
    units, sheds = assert_subunits_sum(res, out, jilin.set_index("adcode").geometry)
    assert (sheds.subunit_count > 1).sum() == res.stats["watersheds_split"] > 0
    assert res.stats["topology_issues"] == []
    assert_hydrological_invariant(watershed_out(out), sheds)


def test_county_layer_errors(tmp_path):
    dem, t = write_dem(tmp_path / "v.tif", v_valley(60))
    far = gpd.GeoDataFrame({"adcode": ["1"]}, geometry=[box(0, 0, 10, 10)], crs="EPSG:32651")
    far.to_file(tmp_path / "far.gpkg", layer="c", driver="GPKG")
    with pytest.raises(InputError, match="不重叠"):
        W.delineate(dem, (tmp_path / "far.gpkg", "c"), "adcode")
    with pytest.raises(InputError, match="lacks field nope"):
        W.delineate(dem, (tmp_path / "far.gpkg", "c"), "nope")
    with pytest.raises(InputError):
        W.delineate(dem, params=W.UnitParams(target_min_km2=60, max_km2=50))


# --- coding ------------------------------------------------------------------------------


def test_pfafstetter_numbers_a_known_tree():
    # main stem 0←1←2←3←4; tributaries 5→1, 6→2, 7→3, 8→4, all smaller than the stem above them
    down = np.array([-1, 0, 1, 2, 3, 1, 2, 3, 4])
    area = np.array([1, 1, 1, 1, 1, 3, 2, 1.5, 1], dtype=float)
    tree, code, tot = pfafstetter(down, area, np.arange(9))
    assert tot[0] == area.sum() and tot[3] == 1 + 1.5 + 1 + 1
    assert set(tree) == {1}
    # 8 is the only unit above 4, so the stem runs 0…4→8 and 5, 6, 7 are its tributaries: 2, 4, 6 from
    # downstream; stem pieces 1 (units 0, 1: a chain → 11, 12), 3, 5, and 7 (units 4, 8 → 71, 72)
    assert code == ["11", "12", "3", "5", "71", "2", "4", "6", "72"]


def test_code_template_rules_and_errors():
    rules = load_coding_rules()
    assert rules["code_template"]["default"] is True and "not SL 653" in rules["note"]
    r = render_codes(
        np.array([-1, 0, 0]),
        np.array([1.0, 5.0, 3.0]),
        np.arange(3),
        ["220101"] * 3,
        ["县"] * 3,
        rules["code_template"]["value"],
        rules["name_template"]["value"],
    )
    assert r.codes[0] == "220101" + "001" + "1".ljust(6, "0")
    # stem 0→1 (the larger), tributary 2: pieces 1 and 3, tributary 2
    assert r.codes[1] == "220101001" + "3".ljust(6, "0")
    assert r.codes[2] == "220101001" + "2".ljust(6, "0")
    with pytest.raises(InputError, match="unknown fields"):
        check_template("{county}{oops}", "code_template")
    with pytest.raises(InputError, match="duplicate"):
        render_codes(np.array([-1, 0]), np.ones(2), np.arange(2), ["1", "1"], ["", ""], "{county_code}", "{seq}")


# --- areas on the ellipsoid ----------------------------------------------------------------


def test_geographic_cell_area_matches_geod():
    crs = CRS.from_epsg(4326)
    geod = Geod(ellps="WGS84")
    top = np.array([52.0, 46.5, 0.0, -30.0])
    res = 1 / 120
    # one row of cells at each latitude (the row's cells all have the same area)
    ours = [CellAreas(crs, Affine(res, 0, 8.0, 0, -res, lat), 3, 1).rows(0, 1)[0, 0] for lat in top]
    for lat, a in zip(top, ours):
        ref, _ = geod.polygon_area_perimeter([8, 8 + res, 8 + res, 8], [lat, lat, lat - res, lat - res])
        assert a == pytest.approx(abs(ref), rel=1e-6)


# --- real DEMs --------------------------------------------------------------------------------


def test_rhine_upstream_area_in_km2(tmp_path, shared_data):
    """Rhine 30″ (geographic): the upstream area of the largest drainage tree equals the ellipsoidal
    area of the cells whose D8 path (the written D8, decoded here) reaches its outlet, each cell's area
    computed independently with pyproj Geod."""
    dem = shared_file(shared_data, "dem_rhine_30arcsec", "rhine_elv0.tif")
    params = W.UnitParams(target_min_km2=300, max_km2=500, merge_below_km2=50, stream_min_km2=20)
    res, out = run(tmp_path, dem, params=params)
    nrow, ncol = res.shape
    root = int(np.argmax(np.where(res.down < 0, res.upa_km2, -1)))
    outlet = int(res.outlet_cell[root])
    ds = decode_d8(out["d8_raster"])
    # cells whose path reaches `outlet`: pointer doubling with the outlet absorbing
    nxt = ds.copy()
    nxt[nxt < 0] = np.flatnonzero(nxt < 0)
    nxt[outlet] = outlet
    for _ in range(40):
        nxt = nxt[nxt]
    basin = (nxt == outlet) & (ds >= 0)
    with rasterio.open(dem) as src:
        t = src.transform
    rows, counts = np.unique(np.flatnonzero(basin) // ncol, return_counts=True)
    geod = Geod(ellps="WGS84")
    expected = 0.0
    for r, cnt in zip(rows, counts):
        lat = t.f + r * t.e
        a, _ = geod.polygon_area_perimeter([0, t.a, t.a, 0], [lat, lat, lat + t.e, lat + t.e])
        expected += abs(a) / 1e6 * cnt
    assert res.upa_km2[root] == pytest.approx(expected, rel=1e-5)
    # the Rhine at its mouth drains ≈ 160 000–185 000 km² in this 30″ mask
    assert 150_000 < expected < 200_000
    # the outlets layer carries the same upstream area
    outlets = gpd.read_file(out["gpkg"], layer="outlets")
    main = outlets[outlets.outlet_rank == 1].set_index("unit_code")
    assert main.loc[res.codes[root], "upstream_km2"] == pytest.approx(expected, rel=1e-5)
    # a further outlet drains its own tiny catchment: its upstream area is that of the cells reaching it
    further = outlets[outlets.outlet_rank > 1]
    assert len(further) > 0
    f = further.iloc[0]
    cell = int((f.outlet_y - t.f) // t.e) * ncol + int((f.outlet_x - t.c) // t.a)
    nxt = ds.copy()
    nxt[nxt < 0] = np.flatnonzero(nxt < 0)
    nxt[cell] = cell
    for _ in range(40):
        nxt = nxt[nxt]
    rows, counts = np.unique(np.flatnonzero((nxt == cell) & (ds >= 0)) // ncol, return_counts=True)
    small = sum(
        abs(geod.polygon_area_perimeter([0, t.a, t.a, 0], [t.f + r * t.e] * 2 + [t.f + (r + 1) * t.e] * 2)[0]) * k
        for r, k in zip(rows, counts)
    )
    assert f.upstream_km2 == pytest.approx(small / 1e6, rel=1e-5)
    # unit areas (cell sums) add up to the region
    assert res.raster_km2.sum() == pytest.approx(res.stats["region_raster_km2"], rel=1e-9)


def test_ne_china_utm_real_dem(tmp_path, shared_data):
    dem = shared_file(shared_data, "dem_ne_china_90m", "dem.tif")
    res, out = run(
        tmp_path, dem, params=W.UnitParams(target_min_km2=3, max_km2=6, merge_below_km2=0.5, stream_min_km2=0.2)
    )
    units = read_units(out)
    assert_contract(units)
    with rasterio.open(dem) as src:
        valid = src.read_masks(1) > 0
        t = src.transform
    # the region is the DEM's valid area: its polygon from GDAL's own polygonize of the mask
    region = unary_union(
        [shape(g) for g, _ in rasterio.features.shapes(valid.astype("uint8"), mask=valid, transform=t)]
    )
    assert_coverage(units, region, "EPSG:32651")
    assert res.raster_km2.max() <= 6 + 1e-6
    # tiny edge units joined neighbours here: they keep their own outlets, the D8 stays the true one
    assert res.stats["merged_into_neighbour"] > 0
    assert res.stats["outlets"] == len(units) + res.stats["merged_into_neighbour"]
    assert set(units.unit_kind) <= set(W.UNIT_KINDS)
    assert (units.unit_kind == "boundary").sum() == (units.outlet_count > 1).sum() > 0
    assert_hydrological_invariant(out, units)
    assert_true_d8(out, dem)
    meta_issues = res.stats["topology_issues"]
    assert meta_issues == []


def test_texas_flat_geographic(tmp_path, shared_data):
    dem = shared_file(shared_data, "dem_texas_3arcsec", "dem.tif")
    res, out = run(tmp_path, dem, params=W.UnitParams(target_min_km2=20, max_km2=40, merge_below_km2=5))
    units = read_units(out)
    assert_contract(units)
    with rasterio.open(dem) as src:
        b = src.bounds
    assert_coverage(units, box(b.left, b.bottom, b.right, b.top), "EPSG:4326")
    assert units.area_km2.max() <= 40 * 1.001
    assert_hydrological_invariant(out, units)
    assert res.stats["area_distribution"]["share_in_range"] > 0.5


def _low_rough_dem(n=400, seed=7):
    """Rough terrain a metre or two above 0 with many closed depressions: float32 fill
    levels there round by an ulp, which used to close D8 cycles inside filled flats."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(size=(n // 16 + 2, n // 16 + 2)).cumsum(0).cumsum(1)
    r = np.arange(n)[:, None] / 16.0
    c = np.arange(n)[None, :] / 16.0
    ri, ci = r.astype(int), c.astype(int)
    fr, fc = r - ri, c - ci
    z = (
        coarse[ri, ci] * (1 - fr) * (1 - fc)
        + coarse[ri + 1, ci] * fr * (1 - fc)
        + coarse[ri, ci + 1] * (1 - fr) * fc
        + coarse[ri + 1, ci + 1] * fr * fc
    )
    z = (z - z.min()) / (z.max() - z.min()) * 2.0 + rng.normal(scale=0.05, size=z.shape)
    return z.astype("float32")


def test_fill_levels_are_exact_and_d8_has_no_cycles(tmp_path):
    import pyflwdir
    from pyflwdir.dem import fill_depressions

    from soil_conservation_plugin.core.watersheds.fill import fill_and_d8

    z = _low_rough_dem()
    zf_pyflwdir, _ = fill_depressions(z, outlets="edge", nodata=np.nan)
    zf = z.copy()
    d8 = fill_and_d8(zf, np.full(z.shape[0], 30.0), np.full(z.shape[0], 30.0), tile=128)
    # every D8 step goes to a cell at the same or a lower level (decoded here from the D8 codes)
    rows, cols = np.nonzero((d8 != 0) & (d8 != 247))
    dr = np.array([D8_CODES[int(v)][0] for v in d8[rows, cols]])
    dc = np.array([D8_CODES[int(v)][1] for v in d8[rows, cols]])
    assert (zf[rows + dr, cols + dc] <= zf[rows, cols]).all()
    # pyflwdir's whole-DEM float32 levels are within an ulp or so of the exact ones
    assert (zf >= z).all() and np.allclose(zf, zf_pyflwdir, atol=1e-5)
    # and the D8 used reaches an outlet from every cell: pyflwdir's down→upstream order covers them all
    res = W.delineate(
        write_dem(tmp_path / "low.tif", z)[0],
        params=W.UnitParams(target_min_km2=30, max_km2=50, merge_below_km2=5, stream_min_km2=1),
        vectorise=False,
    )
    flw = pyflwdir.from_array(W.K.ds_to_d8(res.ds, res.shape[1]).reshape(res.shape), ftype="d8", check_ftype=False)
    assert flw.idxs_seq.size == z.size
    assert (res.units > 0).all()


def test_a_dem_too_large_for_the_memory_is_refused_before_work(tmp_path):
    # 200 000 × 200 000 cells: a sparse BigTIFF of a few kB on disk, > 1 TB of working memory
    path = tmp_path / "huge.tif"
    n = 200_000
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:32651",
        transform=from_origin(400000, 5000000, 30, 30),
        nodata=-9999,
        tiled=True,
        compress="DEFLATE",
        BIGTIFF="YES",
        SPARSE_OK=True,
    ):
        pass
    assert path.stat().st_size < 10_000_000
    with pytest.raises(InputError) as err:
        W.delineate(path, layer="DEM")
    need_gb = f"{n * n * W.BYTES_PER_CELL / 2**30:.1f} GB"
    e = err.value
    assert e.layer == "DEM"
    assert f"{n}×{n}" in e.zh and need_gb in e.zh and "内存" in e.zh
    assert f"{n}×{n}" in e.en and need_gb in e.en and "memory" in e.en
