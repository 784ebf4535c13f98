"""禁止开垦陡坡地: correctness on synthetic DEMs whose steep cells are known analytically.

The DEMs are ramps whose elevation depends on one axis only, so Horn's slope of
cell c is exactly atan((z[c+1] − z[c−1]) / (2·spacing)); the reference steep set,
the exact reference region (shapely: union of the steep cell squares ∩ county −
exclusions), the cell-centre membership and the areas (pyproj Geod) are all
computed here independently of the plugin's code. The ramps themselves are built in
steep_cases.py (the ``utm_case`` fixture, tests/conftest.py).
"""

from __future__ import annotations

import csv
import json
import math

import geopandas as gpd
import numpy as np
import pytest
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.polygon import orient
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.compat import affine_mul, transform_xy
from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.rules import min_patch_rule, steep_slope_threshold
from soil_conservation_plugin.core.steep.delineation import SteepOptions, delineate, run_steep_slope
from soil_conservation_plugin.core.steep.inputs import VectorInput

from .steep_cases import DX, UTM, X0, Y0, W, ramp_increments, write_dem, write_layer


def horn_slope_1d(z: np.ndarray, spacing) -> np.ndarray:
    """Analytic Horn slope of a profile depending on one axis (edge cells: NaN)."""
    out = np.full(z.shape, np.nan)
    out[1:-1] = np.degrees(
        np.arctan(np.abs(z[2:] - z[:-2]) / (2.0 * np.asarray(spacing)[1:-1] if np.ndim(spacing) else 2.0 * spacing))
    )
    return out


def geod_cell_area(transform, crs, rows, cols) -> np.ndarray:
    """Ellipsoidal area (m²) of each cell (rows[i], cols[i]) from its four corners (pyproj Geod)."""
    crs = CRS.from_user_input(crs)
    geod = Geod(a=crs.ellipsoid.semi_major_metre, b=crs.ellipsoid.semi_minor_metre)
    to_geo = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    out = np.empty(len(rows))
    for i, (r, c) in enumerate(zip(rows, cols)):
        xs = [c, c + 1, c + 1, c]
        ys = [r, r, r + 1, r + 1]
        px = [transform.c + x * transform.a for x in xs]
        py = [transform.f + y * transform.e for y in ys]
        lon, lat = (px, py) if crs.is_geographic else to_geo.transform(px, py)
        out[i] = abs(geod.polygon_area_perimeter(lon, lat)[0])
    return out


def centres_inside(transform, shape, geom) -> np.ndarray:
    h, w = shape
    inside = np.zeros(shape, bool)
    for r in range(h):
        for c in range(w):
            x, y = affine_mul(transform, (c + 0.5, r + 0.5))
            inside[r, c] = geom.contains(Point(x, y))
    return inside


def cell_squares(transform, mask):
    """Union of the squares of the cells in ``mask`` (shapely, one box per cell)."""
    boxes = []
    for r, c in zip(*np.nonzero(mask)):
        x0, y0 = affine_mul(transform, (c, r))
        x1, y1 = affine_mul(transform, (c + 1, r + 1))
        boxes.append(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    return unary_union(boxes)


def exact_reference(case, threshold, exclude=True, county=None):
    """(ha, region): steep cells ∩ county polygon − exclusion, exactly (shapely), area by pyproj Geod."""
    steep = np.nan_to_num(case["slope"], nan=-1) >= threshold
    region = cell_squares(case["transform"], steep).intersection(county if county is not None else case["county_geom"])
    if exclude:
        region = region.difference(case["excl_geom"])
    return geod_area_ha(region, UTM), region


def geod_area_ha(geom, crs) -> float:
    crs = CRS.from_user_input(crs)
    geod = Geod(a=crs.ellipsoid.semi_major_metre, b=crs.ellipsoid.semi_minor_metre)
    if not crs.is_geographic:
        geom = transform_xy(Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True).transform, geom)
    # Geod's area is signed: orient each part (shell counter-clockwise, holes clockwise)
    return sum(abs(geod.geometry_area_perimeter(orient(part, 1.0))[0]) for part in getattr(geom, "geoms", [geom])) / 1e4


def expected_cells(case, threshold, exclude=True):
    steep = np.nan_to_num(case["slope"], nan=-1) >= threshold
    inside = centres_inside(case["transform"], steep.shape, case["county_geom"])
    sel = steep & inside
    if exclude:
        sel &= ~centres_inside(case["transform"], steep.shape, case["excl_geom"])
    return sel


def test_rules_defaults():
    jl = steep_slope_threshold("220521")
    assert jl.value == 20 and "吉林" in jl.scope and "NOT FOUND" in jl.source
    nat = steep_slope_threshold(None)
    assert nat.value == 25 and "第二十条" in nat.source
    assert steep_slope_threshold("410000").value == 25  # a province without its own rule: the law
    mp = min_patch_rule()
    assert mp.value == 5 and mp.default and "上党区" in mp.source


def test_total_area_equals_reference_cells(utm_case):
    """Total = exact area of (steep cells ∩ county − exclusion), small patches none here, within 0.1 %."""
    case = utm_case
    res = delineate(
        case["dem"],
        case["county"],
        case["twn"],
        exclusions=[case["excl"]],
        options=SteepOptions(min_patch_ha=0, band_cells=16 * W),
    )
    ref_ha, region = exact_reference(case, 20.0)
    assert ref_ha > 100
    assert res.total_ha == pytest.approx(ref_ha, rel=1e-3)
    assert res.total_ha == pytest.approx(ref_ha, rel=1e-6)  # exact clip: far tighter than asked
    assert sum(p.cells for p in res.pieces) == expected_cells(case, 20.0).sum()  # cells whose centre is in a piece
    edges = case["county_geom"].boundary.union(case["excl_geom"].boundary).union(MultiPolygon(case["towns"]).boundary)
    for p in res.pieces:
        g = p.geometry
        assert g.is_valid
        assert geod_area_ha(g, UTM) == pytest.approx(
            p.area_ha, rel=1e-5
        )  # tighter than the 0.1 % asked: catches planar areas
        assert p.slope_max >= 20 and p.slope_mean >= 20
        assert g.difference(region).area == pytest.approx(0, abs=1e-6)
        # every vertex on a cell corner (inside) or on a county/乡镇/exclusion boundary
        for poly in g.geoms:
            for x, y in poly.exterior.coords:
                on_corner = (
                    abs((x - X0) / DX - round((x - X0) / DX)) < 1e-6
                    and abs((Y0 - y) / DX - round((Y0 - y) / DX)) < 1e-6
                )
                assert on_corner or edges.distance(Point(x, y)) < 1e-6


@pytest.fixture()
def round_case(utm_case):
    """The ramps with a circular county, 乡镇 and 小流域 split along oblique lines, and a circular exclusion:
    no edge on the grid."""
    from shapely.affinity import rotate

    case = dict(utm_case)
    tmp = case["tmp"]
    centre = Point(X0 + 70 * DX + 7.3, Y0 - 45 * DX - 3.1)
    county_geom = centre.buffer(1250.0, 64)
    big = box(X0 - 5000, Y0 - 8000, X0 + 9000, Y0 + 5000)
    half = rotate(box(X0 - 5000, Y0 - 45 * DX, X0 + 9000, Y0 + 5000), 23.0, origin=centre)
    towns = [county_geom.intersection(half), county_geom.difference(half)]
    cut = rotate(box(X0 + 60 * DX, Y0 - 8000, X0 + 9000, Y0 + 5000), -31.0, origin=centre)
    units = [big.difference(cut), cut]  # 小流域 reach beyond the county
    excl_geom = Point(X0 + 35 * DX + 11.0, Y0 - 30 * DX + 5.0).buffer(260.0, 32)
    case.update(
        county=VectorInput(
            write_layer(tmp / "round.gpkg", [county_geom], UTM, code=["220521"], name=["通化县"]),
            code_field="code",
            name_field="name",
            label="县界",
        ),
        twn=VectorInput(
            write_layer(tmp / "rtwn.gpkg", towns, UTM, tcode=["220521100", "220521101"], tname=["快大茂镇", "二密镇"]),
            code_field="tcode",
            name_field="tname",
            label="乡镇",
        ),
        units=VectorInput(
            write_layer(
                tmp / "runits.gpkg",
                units,
                UTM,
                unit_code=["U001", "U002"],
                unit_name=["甲沟", "乙沟"],
                county_code=["220521"] * 2,
            ),
            label="小流域",
        ),
        excl=VectorInput(write_layer(tmp / "rexcl.gpkg", [excl_geom], UTM, kind=["水域"]), label="水域"),
        county_geom=county_geom,
        towns=towns,
        unit_geoms=units,
        excl_geom=excl_geom,
    )
    return case


def test_pieces_lie_exactly_inside_county_township_and_unit(round_case):
    """Non-grid-aligned polygons: no piece has any part outside its county, 乡镇 or 小流域, or inside an exclusion."""
    case = round_case
    res = delineate(
        case["dem"],
        case["county"],
        case["twn"],
        case["units"],
        [case["excl"]],
        SteepOptions(min_patch_ha=0, band_cells=16 * W),
    )
    assert len(res.pieces) > 4 and {p.township for p in res.pieces} == {1, 2} and {p.unit for p in res.pieces} == {1, 2}
    county, excl = case["county_geom"], case["excl_geom"]
    for p in res.pieces:
        g = p.geometry
        assert g.is_valid and g.area > 0
        assert g.difference(county).area == pytest.approx(0, abs=1e-6)
        assert g.difference(case["towns"][p.township - 1]).area == pytest.approx(0, abs=1e-6)
        assert g.difference(case["unit_geoms"][p.unit - 1]).area == pytest.approx(0, abs=1e-6)
        assert g.intersection(excl).area == pytest.approx(0, abs=1e-6)
        assert geod_area_ha(g, UTM) == pytest.approx(p.area_ha, rel=1e-6, abs=1e-4)
    # no overlaps between pieces, and together they are exactly steep cells ∩ county − exclusion
    ref_ha, region = exact_reference(case, 20.0)
    assert res.total_ha == pytest.approx(ref_ha, rel=1e-3)
    assert res.total_ha == pytest.approx(ref_ha, rel=1e-6)
    from shapely.ops import unary_union

    union = unary_union([p.geometry for p in res.pieces])
    assert union.symmetric_difference(region).area == pytest.approx(0, abs=1e-3)
    assert sum(p.geometry.area for p in res.pieces) == pytest.approx(union.area, rel=1e-9)
    # per 乡镇: the table's input equals the exact area of the region in that 乡镇
    for t, tg in enumerate(case["towns"], start=1):
        assert sum(p.area_ha for p in res.pieces if p.township == t) == pytest.approx(
            geod_area_ha(region.intersection(tg), UTM), rel=1e-6
        )
    # a patch split by a border keeps one parent id
    assert len({p.parent_id for p in res.pieces}) < len(res.pieces)
    for p in res.pieces:
        assert p.patch_id.startswith(p.parent_id + "-")


def test_minimum_patch_applies_to_the_clipped_area(round_case):
    """A patch whose cells exceed the minimum but whose clipped, exclusion-erased area does not is dropped."""
    case = round_case
    opts = dict(band_cells=16 * W)
    res0 = delineate(
        case["dem"], case["county"], exclusions=[case["excl"]], options=SteepOptions(min_patch_ha=0, **opts)
    )
    sizes = {}
    for p in res0.pieces:
        sizes[p.parent_id] = sizes.get(p.parent_id, 0.0) + p.area_ha
    # the clipped area of each patch vs the area of all the cells it was traced from (cells ∩ county ≠ ∅)
    target = min(sizes, key=sizes.get)
    clipped = sizes[target]
    ref = [p for p in res0.pieces if p.parent_id == target]
    # the cells touched by the piece: every cell square meeting it with positive area
    t = case["transform"]
    from shapely.ops import unary_union

    g = unary_union([p.geometry for p in ref])
    minx, miny, maxx, maxy = g.bounds
    boxes = []
    for r in range(int((Y0 - maxy) // DX), int((Y0 - miny) // DX) + 1):
        for c in range(int((minx - X0) // DX), int((maxx - X0) // DX) + 1):
            b = box(*affine_mul(t, (c, r + 1)), *affine_mul(t, (c + 1, r)))
            if b.intersection(g).area > 1e-6:
                boxes.append(b)
    cells_ha = geod_area_ha(unary_union(boxes), UTM)
    assert cells_ha > clipped * 1.01  # the boundary really cuts cells of this patch
    limit = (clipped + cells_ha) / 2
    res = delineate(
        case["dem"], case["county"], exclusions=[case["excl"]], options=SteepOptions(min_patch_ha=limit, **opts)
    )
    kept = {pid for pid, a in sizes.items() if a >= limit}
    got = {}
    for p in res.pieces:
        got[p.parent_id] = got.get(p.parent_id, 0.0) + p.area_ha
    assert res.patch_count == len(kept)
    assert sorted(got.values()) == pytest.approx(sorted(sizes[k] for k in kept), abs=1e-4)  # ids renumber; areas tell
    assert res.total_ha == pytest.approx(sum(sizes[k] for k in kept), abs=0.01)
    assert res.stats["dropped_small_ha"] == pytest.approx(
        sum(a for pid, a in sizes.items() if pid not in kept), abs=0.01
    )


def test_township_split_keeps_parent_id(utm_case):
    case = utm_case
    res = delineate(case["dem"], case["county"], case["twn"], options=SteepOptions(min_patch_ha=0, band_cells=16 * W))
    parents = {}
    for p in res.pieces:
        parents.setdefault(p.parent_id, []).append(p)
        assert p.patch_id.startswith(p.parent_id + "-")
    # both wide ramps cross the 乡镇 border at y = Y0 - 1300: two pieces each, one per 乡镇
    split = [ps for ps in parents.values() if len(ps) == 2]
    assert len(split) >= 2
    for ps in split:
        assert {p.township for p in ps} == {1, 2}
        union = ps[0].geometry.union(ps[1].geometry)
        assert union.geom_type == "Polygon"  # the two pieces are one contiguous patch
        north = [p for p in ps if p.township == 1][0].geometry
        assert north.bounds[1] == pytest.approx(
            Y0 - 1300.0, abs=1e-6
        )  # split exactly on the 乡镇 border (not on a cell edge)
    assert len(res.pieces) == len({p.patch_id for p in res.pieces})


def test_nodata_hole_is_not_steep(utm_case):
    case = utm_case
    res = delineate(case["dem"], case["county"], options=SteepOptions(min_patch_ha=0))
    hole_ring = box(X0 + 19 * DX + 1, Y0 - 45 * DX + 1, X0 + 25 * DX - 1, Y0 - 39 * DX - 1)  # hole + 1-cell ring
    for p in res.pieces:
        assert p.geometry.intersection(hole_ring).area == pytest.approx(0.0, abs=1e-6)
    sel = expected_cells(case, 20.0, exclude=False)
    assert sum(p.cells for p in res.pieces) == sel.sum()


def test_minimum_patch_drops_small_patches(utm_case):
    case = utm_case
    res0 = delineate(case["dem"], case["county"], options=SteepOptions(min_patch_ha=0))
    areas = sorted(
        (sum(q.area_ha for q in res0.pieces if q.parent_id == pid), pid) for pid in {p.parent_id for p in res0.pieces}
    )
    assert len(areas) == 3  # 30°, 25° and the narrow 40° stripe
    smallest, largest = areas[0][0], areas[-1][0]
    limit = (smallest + areas[1][0]) / 2
    res = delineate(case["dem"], case["county"], options=SteepOptions(min_patch_ha=limit))
    assert res.patch_count == 2
    assert res.total_ha == pytest.approx(res0.total_ha - smallest, abs=0.01)
    assert res.stats["dropped_small_patches"] == 1
    assert res.min_patch.value == limit and not res.min_patch.default
    default = delineate(case["dem"], case["county"])
    assert default.min_patch.value == 5 and default.min_patch.default
    assert largest > 5


def test_outputs_tables_and_metadata(utm_case):
    case = utm_case
    out = case["tmp"] / "out" / "steep.gpkg"
    res, paths = run_steep_slope(
        case["dem"],
        case["county"],
        out,
        townships=case["twn"],
        exclusions=[case["excl"]],
        options=SteepOptions(min_patch_ha=0),
    )
    layer = gpd.read_file(out, layer="steep_slope")
    assert len(layer) == len(res.pieces) > 0
    assert {
        "patch_id",
        "parent_id",
        "cnty_code",
        "cnty_name",
        "twn_code",
        "twn_name",
        "area_ha",
        "slope_mean",
        "slope_max",
        "thresh_deg",
    } <= set(layer.columns)
    assert (layer.thresh_deg == 20).all() and (layer.cnty_code == "220521").all()
    assert set(layer.twn_name) == {"快大茂镇", "二密镇"}
    layer_total = layer.area_ha.sum()
    with open(paths["county_csv"], encoding="utf-8-sig") as fh:
        county = list(csv.DictReader(fh))
    with open(paths["township_csv"], encoding="utf-8-sig") as fh:
        town = list(csv.DictReader(fh))
    assert county[-1]["county_code"] == "合计" and town[-1]["county_code"] == "合计"
    assert float(county[-1]["area_ha"]) == pytest.approx(layer_total, abs=0.01)
    assert float(town[-1]["area_ha"]) == pytest.approx(layer_total, abs=0.01)
    assert sum(float(r["area_ha"]) for r in town[:-1]) == pytest.approx(layer_total, abs=0.01)
    for r in town[:-1]:
        assert float(r["area_ha"]) == pytest.approx(layer[layer.twn_code == r["township_code"]].area_ha.sum(), abs=0.01)
        assert int(r["patch_count"]) == layer[layer.twn_code == r["township_code"]].parent_id.nunique()
    import openpyxl

    wb = openpyxl.load_workbook(paths["xlsx"])
    assert {"县 county", "乡镇 township", "说明 notes"} <= set(wb.sheetnames)
    town_sheet = list(wb["乡镇 township"].iter_rows(values_only=True))
    assert [str(r[2] or "") for r in town_sheet[1:]] == [r["township_code"] for r in town]
    # the county columns say what the One Map package's area tables say (resources/rules/table_headers.json)
    assert town_sheet[0][:3] == ("县级行政区代码 county_code", "县级行政区名称 county_name", "乡镇代码 township_code")
    assert next(wb["县 county"].iter_rows(values_only=True))[0] == "县级行政区代码 county_code"
    assert any(
        row[0] == "图斑清单 patch list" and "_patches.csv" in row[1]
        for row in wb["说明 notes"].iter_rows(values_only=True)
    )
    with open(paths["metadata"], encoding="utf-8") as fh:
        meta = json.loads(fh.read())
    assert meta["parameters"]["threshold_deg"] == 20 and meta["parameters"]["min_patch_ha"] == 0
    assert meta["rules"]["steep_slope_threshold"]["scope"].startswith("220000")
    assert meta["rules"]["table_headers"]["version"] and meta["rules"]["table_headers"]["source"]
    assert meta["inputs"]["dem"]["sha256"] and meta["inputs"]["exclusion_1"]["sha256"]
    assert meta["results"]["excluded_steep_ha"]["水域"] > 0
    assert "after clipping to the county and erasing the exclusions" in meta["parameters"]["min_patch_rule"]
    assert "clipped exactly" in meta["parameters"]["boundary_rule"]
    assert meta["plugin_version"]


def test_seams_do_not_change_result(utm_case):
    case = utm_case
    one = delineate(case["dem"], case["county"], case["twn"], options=SteepOptions(min_patch_ha=0))
    many = delineate(case["dem"], case["county"], case["twn"], options=SteepOptions(min_patch_ha=0, band_cells=16 * W))
    assert [(p.patch_id, p.area_ha, p.cells) for p in one.pieces] == [
        (p.patch_id, p.area_ha, p.cells) for p in many.pieces
    ]
    for a, b in zip(one.pieces, many.pieces):
        assert a.geometry.symmetric_difference(b.geometry).area == pytest.approx(0, abs=1e-3)


def test_connectivity_4_and_8(tmp_path):
    """Two squares of a county touching at one corner: one patch with 8-connectivity, two with 4."""
    inc = ramp_increments(60, DX, {(0, 60): 30.0})
    z = np.tile(np.cumsum(inc), (60, 1))
    t = from_origin(X0, Y0, DX, DX)
    dem = write_dem(tmp_path / "dem.tif", z, t, UTM)
    a = box(X0 + 10 * DX, Y0 - 30 * DX, X0 + 30 * DX, Y0 - 10 * DX)
    b = box(X0 + 30 * DX, Y0 - 50 * DX, X0 + 50 * DX, Y0 - 30 * DX)
    county = VectorInput(
        write_layer(tmp_path / "c.gpkg", [MultiPolygon([a, b])], UTM, code=["220581"]), code_field="code"
    )
    r8 = delineate(dem, county, options=SteepOptions(min_patch_ha=0, connectivity=8, band_cells=16 * 60))
    r4 = delineate(dem, county, options=SteepOptions(min_patch_ha=0, connectivity=4, band_cells=16 * 60))
    assert r8.patch_count == 1 and r4.patch_count == 2
    assert r8.total_ha == pytest.approx(r4.total_ha) == pytest.approx(800 * 0.09 / 0.9992, rel=1e-3)


def test_geographic_dem_and_reprojected_boundary(tmp_path):
    """A 3″ DEM in EPSG:4490 at 42°N, ramps along rows; the county is given in UTM and reprojected."""
    h, w, res_deg = 80, 70, 1 / 1200
    west, north = 125.9, 42.05
    t = from_origin(west, north, res_deg, res_deg)
    lat_c = north - (np.arange(h) + 0.5) * res_deg
    geod = Geod(ellps="GRS80")
    # exact ground distance between successive row centres along the meridian
    step = np.array([geod.inv(west, lat_c[i], west, lat_c[i + 1])[2] for i in range(h - 1)])
    tan = np.where((np.arange(1, h) >= 10) & (np.arange(1, h) < 60), math.tan(math.radians(28)), 0.0)
    zc = np.r_[0.0, np.cumsum(step * tan)]
    z = np.tile(zc[:, None], (1, w)) + 200
    dem = write_dem(tmp_path / "dem.tif", z, t, "EPSG:4490")
    to_utm = Transformer.from_crs("EPSG:4490", UTM, always_xy=True).transform
    geo_county = Polygon(
        [
            (west + 0.005, north - 0.004),
            (west + 0.052, north - 0.006),
            (west + 0.05, north - 0.06),
            (west + 0.006, north - 0.058),
        ]
    )
    utm_county = transform_xy(to_utm, geo_county)
    county = VectorInput(
        write_layer(tmp_path / "c.gpkg", [utm_county], UTM, code=["220524"], name=["柳河县"]),
        code_field="code",
        name_field="name",
    )
    res = delineate(dem, county, options=SteepOptions(min_patch_ha=0, band_cells=16 * w))
    assert any("重投影" in m for m in res.messages)
    # reference: analytic steep rows (Horn with this row's meridional spacing) and centres in the reprojected polygon
    back = transform_xy(Transformer.from_crs(UTM, "EPSG:4490", always_xy=True).transform, utm_county)
    dy = np.r_[np.nan, (step[:-1] + step[1:]) / 2, np.nan]
    slope_row = horn_slope_1d(zc, dy)
    steep = np.tile((np.nan_to_num(slope_row, nan=-1) >= 20)[:, None], (1, w))
    steep[:, [0, w - 1]] = False
    sel = steep & centres_inside(t, (h, w), back)
    assert sum(p.cells for p in res.pieces) == sel.sum()
    region = cell_squares(t, steep).intersection(back)
    ref_ha = geod_area_ha(region, "EPSG:4490")
    assert res.total_ha == pytest.approx(ref_ha, rel=1e-3)
    for p in res.pieces:
        assert p.geometry.difference(back).area == pytest.approx(0, abs=1e-12)  # degrees²: nothing outside the county
    assert res.total_ha > 50
    for p in res.pieces:
        assert geod_area_ha(p.geometry, "EPSG:4490") == pytest.approx(p.area_ha, rel=1e-5)


def test_units_carry_unit_code(utm_case):
    case = utm_case
    units = [box(X0, Y0 - 3000, X0 + 2000, Y0), box(X0 + 2000, Y0 - 3000, X0 + 5000, Y0)]
    upath = write_layer(
        case["tmp"] / "units.gpkg",
        units,
        UTM,
        unit_code=["U001", "U002"],
        unit_name=["甲沟", "乙沟"],
        county_code=["220521", "220521"],
    )
    out = case["tmp"] / "u" / "steep.gpkg"
    res, paths = run_steep_slope(
        case["dem"],
        case["county"],
        out,
        townships=case["twn"],
        units=VectorInput(upath, label="小流域"),
        options=SteepOptions(min_patch_ha=0),
    )
    layer = gpd.read_file(out)
    assert set(layer.unit_code) == {"U001", "U002"}
    with open(paths["unit_csv"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    for code in ("U001", "U002"):
        row = [r for r in rows if r["unit_code"] == code][0]
        assert float(row["area_ha"]) == pytest.approx(layer[layer.unit_code == code].area_ha.sum(), abs=0.01)
        # unit pieces lie inside their unit
        geom = units[0] if code == "U001" else units[1]
        assert unary_union(layer[layer.unit_code == code].geometry.values).difference(geom).area == pytest.approx(
            0, abs=1e-3
        )
    assert float(rows[-1]["area_ha"]) == pytest.approx(layer.area_ha.sum(), abs=0.01)


def test_two_counties_are_separate_patches(tmp_path):
    inc = ramp_increments(60, DX, {(0, 60): 30.0})
    z = np.tile(np.cumsum(inc), (40, 1))
    t = from_origin(X0, Y0, DX, DX)
    dem = write_dem(tmp_path / "dem.tif", z, t, UTM)
    a, b = box(X0, Y0 - 1200, X0 + 900, Y0), box(X0 + 900, Y0 - 1200, X0 + 1800, Y0)
    county = VectorInput(
        write_layer(tmp_path / "c.gpkg", [a, b], UTM, code=["220502", "220503"], name=["东昌区", "二道江区"]),
        code_field="code",
        name_field="name",
    )
    res = delineate(dem, county, options=SteepOptions(min_patch_ha=0, band_cells=16 * 60))
    assert res.patch_count == 2
    assert {p.parent_id.split("-")[0] for p in res.pieces} == {"220502", "220503"}
    assert all(p.geometry.within(a.buffer(1e-6)) for p in res.pieces if p.parent_id.startswith("220502"))


def test_ids_are_stable_and_row_major(utm_case):
    case = utm_case
    r1 = delineate(case["dem"], case["county"], options=SteepOptions(min_patch_ha=0))
    r2 = delineate(case["dem"], case["county"], options=SteepOptions(min_patch_ha=0, band_cells=16 * W))
    assert [p.patch_id for p in r1.pieces] == [p.patch_id for p in r2.pieces]
    firsts = []
    for p in r1.pieces:
        minx, miny, maxx, maxy = p.geometry.bounds
        firsts.append((round((Y0 - maxy) / DX), round((minx - X0) / DX)))
    assert [p.parent_id for p in r1.pieces] == sorted(p.parent_id for p in r1.pieces)
    assert firsts == sorted(firsts)


def test_empty_result_gives_empty_layer_and_zero_tables(utm_case):
    case = utm_case
    out = case["tmp"] / "empty" / "steep.gpkg"
    res, paths = run_steep_slope(
        case["dem"], case["county"], out, townships=case["twn"], options=SteepOptions(threshold=45)
    )
    assert res.pieces == [] and res.total_ha == 0
    assert any("no steep-slope patch" in m for m in res.messages)
    layer = gpd.read_file(out, layer="steep_slope")
    assert len(layer) == 0 and "patch_id" in layer.columns
    with open(paths["township_csv"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["township_name"] for r in rows[:-1]} == {"快大茂镇", "二密镇"}
    assert all(float(r["area_ha"]) == 0 for r in rows)
    assert res.threshold.scope == "user"


# ----------------------------------------------------------------------------- bad input
def _expect_input_error(fn, layer_part, en_part):
    with pytest.raises(InputError) as err:
        fn()
    assert layer_part in err.value.layer
    assert en_part in err.value.en
    assert err.value.zh  # bilingual
    return err.value


def test_bad_dem_crs(utm_case, tmp_path):
    case = utm_case
    z = np.ones((20, 20))
    nocrs = write_dem(tmp_path / "nocrs.tif", z, from_origin(X0, Y0, DX, DX), None)
    _expect_input_error(lambda: delineate(nocrs, case["county"]), "DEM", "no coordinate reference system")
    merc = write_dem(tmp_path / "merc.tif", z, from_origin(14e6, 5e6, 30, 30), "EPSG:3857")
    _expect_input_error(lambda: delineate(merc, case["county"]), "DEM", "Web Mercator")
    allnd = write_dem(tmp_path / "nd.tif", np.full((20, 20), -9999.0), from_origin(X0, Y0, DX, DX), UTM)
    _expect_input_error(lambda: delineate(allnd, case["county"]), "DEM", "only NoData")


def test_bad_threshold_and_fields(utm_case):
    case = utm_case
    for bad in (-1, 90.5, float("nan")):
        _expect_input_error(
            lambda bad=bad: delineate(case["dem"], case["county"], options=SteepOptions(threshold=bad)),
            "threshold",
            "0–90",
        )
    missing = VectorInput(case["county"].path, code_field="adcode", label="县界")
    _expect_input_error(lambda: delineate(case["dem"], missing), "县界", "no field 'adcode'")
    _expect_input_error(
        lambda: delineate(case["dem"], case["county"], options=SteepOptions(connectivity=6)), "connectivity", "4 or 8"
    )
    _expect_input_error(
        lambda: delineate(case["dem"], case["county"], options=SteepOptions(min_patch_ha=-1)),
        "minimum patch",
        "negative",
    )


def test_county_outside_dem(utm_case):
    case = utm_case
    far = write_layer(case["tmp"] / "far.gpkg", [box(X0 + 1e5, Y0 - 1e5, X0 + 1.1e5, Y0 - 0.9e5)], UTM, code=["220521"])
    _expect_input_error(
        lambda: delineate(case["dem"], VectorInput(far, code_field="code", label="县界")), "县界", "does not overlap"
    )


def test_invalid_polygon_is_repaired_and_counted(utm_case):
    case = utm_case
    # a bow-tie county: self-intersecting ring
    bow = Polygon([(X0 + 100, Y0 - 100), (X0 + 4000, Y0 - 2500), (X0 + 4000, Y0 - 100), (X0 + 100, Y0 - 2500)])
    assert not bow.is_valid
    path = write_layer(case["tmp"] / "bow.gpkg", [bow], UTM, code=["220521"])
    res = delineate(
        case["dem"], VectorInput(path, code_field="code", label="县界"), options=SteepOptions(min_patch_ha=0)
    )
    assert res.counties.repaired == 1
    assert any("repaired 1" in m for m in res.messages)
    from shapely.validation import make_valid

    fixed = make_valid(bow)
    steep = np.nan_to_num(case["slope"], nan=-1) >= 20
    sel = steep & centres_inside(case["transform"], steep.shape, fixed)
    assert sum(p.cells for p in res.pieces) == sel.sum()


def test_minimum_patch_with_many_bands_equals_filtering_all_patches(tmp_path):
    """Rough terrain, many small patches: dropping small patches inside bands (early) or after joining
    the bands gives the same patches as keeping all and filtering by area."""
    rng = np.random.default_rng(11)
    from scipy import ndimage

    z = ndimage.gaussian_filter(rng.normal(size=(160, 150)), 2.0) * 150.0  # ~27 % steep, ~280 patches
    t = from_origin(X0, Y0, DX, DX)
    dem = write_dem(tmp_path / "dem.tif", z, t, UTM)
    county = VectorInput(
        write_layer(tmp_path / "c.gpkg", [box(X0, Y0 - 160 * DX, X0 + 150 * DX, Y0)], UTM, code=["220521"]),
        code_field="code",
    )
    every = delineate(dem, county, options=SteepOptions(min_patch_ha=0, band_cells=16 * 150))
    sizes = {}
    for p in every.pieces:
        sizes[p.parent_id] = sizes.get(p.parent_id, 0) + p.area_ha
    assert len(sizes) > 20
    distinct = sorted(set(sizes.values()))
    mid = len(distinct) // 2
    limit = (distinct[mid - 1] + distinct[mid]) / 2  # between two patch sizes: no rounding ties
    kept = sorted(a for a in sizes.values() if a >= limit)
    for band_cells in (16 * 150, 10**9):
        res = delineate(dem, county, options=SteepOptions(min_patch_ha=limit, band_cells=band_cells))
        got = sorted(
            sum(q.area_ha for q in res.pieces if q.parent_id == pid) for pid in {p.parent_id for p in res.pieces}
        )
        assert got == pytest.approx(kept, abs=1e-3)
        assert res.stats["dropped_small_patches"] == len(sizes) - len(kept)
        assert res.stats["dropped_small_ha"] == pytest.approx(sum(a for a in sizes.values() if a < limit), abs=0.01)


def test_cancel_between_bands_writes_nothing(utm_case):
    from soil_conservation_plugin.core.common.errors import CancelledError
    from soil_conservation_plugin.core.common.feedback import Feedback

    class CancelAfter(Feedback):
        def __init__(self, n):
            self.n, self.progressed = n, []

        def progress(self, percent):
            self.progressed.append(percent)

        def cancelled(self):
            self.n -= 1
            return self.n < 0

    case = utm_case
    out = case["tmp"] / "cancel" / "steep.gpkg"
    fb = CancelAfter(3)
    with pytest.raises(CancelledError):
        run_steep_slope(case["dem"], case["county"], out, options=SteepOptions(band_cells=16 * W), feedback=fb)
    assert fb.progressed and max(fb.progressed) < 60  # stopped inside the band loop, after reporting progress
    assert not out.exists() and not (case["tmp"] / "cancel" / "steep_county.csv").exists()


def test_formula_like_names_are_text_in_every_table(utm_case):
    """A county or 乡镇 name that looks like a formula is escaped in the CSVs and a string cell in the XLSX."""
    case = utm_case
    name = '=HYPERLINK("http://x","y")'
    county = write_layer(case["tmp"] / "county_f.gpkg", [case["county_geom"]], UTM, code=["220521"], name=[name])
    twn = write_layer(
        case["tmp"] / "twn_f.gpkg", case["towns"], UTM, tcode=["220521100", "220521101"], tname=["@SUM(A1)", "-1+2"]
    )
    out = case["tmp"] / "f" / "steep.gpkg"
    res, paths = run_steep_slope(
        case["dem"],
        VectorInput(county, code_field="code", name_field="name", label="县界"),
        out,
        townships=VectorInput(twn, code_field="tcode", name_field="tname", label="乡镇"),
        options=SteepOptions(min_patch_ha=0),
    )
    assert res.pieces
    with open(paths["county_csv"], encoding="utf-8-sig", newline="") as fh:
        county_rows = list(csv.reader(fh))
    assert county_rows[1][1] == "'" + name and float(county_rows[1][3]) == pytest.approx(res.total_ha, abs=0.01)
    with open(paths["township_csv"], encoding="utf-8-sig", newline="") as fh:
        town_names = {r[3] for r in list(csv.reader(fh))[1:-1]}
    assert town_names == {"'@SUM(A1)", "'-1+2"}
    with open(paths["patches_csv"], encoding="utf-8-sig", newline="") as fh:
        patches = list(csv.DictReader(fh))
    assert {r["cnty_name"] for r in patches} == {"'" + name}
    import openpyxl

    wb = openpyxl.load_workbook(paths["xlsx"])
    cells = [row for row in wb["县 county"].iter_rows(min_row=2)]
    assert cells[0][1].data_type == "s" and cells[0][1].value == name
    assert cells[0][3].data_type == "n" and cells[0][3].value == pytest.approx(res.total_ha, abs=0.01)
    town_cells = [row[3] for row in wb["乡镇 township"].iter_rows(min_row=2)][:-1]
    assert {c.value for c in town_cells} == {"@SUM(A1)", "-1+2"} and {c.data_type for c in town_cells} == {"s"}
    assert all(c.data_type != "f" for ws in wb.worksheets for row in ws.iter_rows() for c in row)
    # the layer keeps the real name
    assert set(gpd.read_file(out, layer="steep_slope").cnty_name) == {name}
