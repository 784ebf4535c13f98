"""禁止开垦陡坡地: delineate no-reclamation steep-slope patches per county, 乡镇 and 小流域.

Method (exact on the DEM grid, bounded memory):

1. Slope (Horn, ground units, as `core.slope`) per row band; a cell is steep
   when slope ≥ threshold (fused kernel `core.steep_kernels`: same values,
   arctangent only where it matters). Cells without a slope (DEM NoData, the raster edge, cells
   next to NoData: the full 3×3 window rule of `core.slope`) are never steep –
   no slope is invented on the NoData boundary.
2. County, 乡镇, 小流域 and exclusion polygons are rasterized on the DEM grid by
   the cell-centre rule, so all boundaries lie on cell edges. Excluded cells
   are erased before patches are formed.
3. Patches are connected components (8- or 4-connectivity) of steep cells of
   one county. Bands are labelled separately and joined across band seams with
   a union-find (graph connected components), so only a bit-packed mask of the
   whole grid is kept in memory (50 MB for 20 000²).
4. The minimum patch applies to the whole patch's true ground area (exact
   ellipsoidal cell areas, `core.steep_areas`). A patch that touches neither
   edge of its band is complete there and, if small, is dropped at once, so
   memory holds only big or unfinished patches.
5. Each kept patch is split by 乡镇 (and 小流域); each piece keeps its parent
   patch id. Piece areas are sums of cell areas, so the polygons' ellipsoidal
   areas, the layer and the tables all agree.
6. Patch ids are stable for the same inputs: county code + sequence of the
   patch's first cell in row-major order; piece ids add a two-digit suffix.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import rasterio
from rasterio.transform import Affine
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from .dem import DEFAULT_BAND_CELLS, Dem, open_dem
from .errors import InputError
from .feedback import Feedback, SubFeedback
from .rules import RuleValue, min_patch_rule, steep_slope_threshold
from .slope import GDAL_CACHE_BYTES, SLOPE_NODATA
from .steep_areas import CellAreas
from .steep_kernels import steep_slope_block
from .steep_inputs import VectorInput, Zones, load_zones, polygon_area_ha

UNIT_FIELDS = ("unit_code", "unit_name", "county_code")
# 4 M cells per band: ~300 MB working set; the per-band cost is small, so smaller bands only cut memory
BAND_CELLS = min(DEFAULT_BAND_CELLS, 1 << 22)
OUTSIDE_TOWNSHIP = ("", "(乡镇外 outside townships)")
OUTSIDE_UNIT = ("", "(小流域外 outside units)")


@dataclass
class SteepOptions:
    threshold: float | None = None  # None → province rule
    province: str | None = None  # None → from the county codes; "national" → 25°
    min_patch_ha: float | None = None  # None → rules default (5 ha); 0 = no minimum
    connectivity: int = 8
    band_cells: int = BAND_CELLS


@dataclass
class Piece:
    patch_id: str
    parent_id: str
    county: int
    township: int
    unit: int
    area_ha: float
    slope_mean: float
    slope_max: float
    cells: int
    wkb: bytes = b""  # MultiPolygon, little-endian WKB, in the DEM CRS

    @property
    def geometry(self):
        from shapely import wkb

        return wkb.loads(bytes(self.wkb))


@dataclass
class SteepResult:
    pieces: list
    counties: Zones
    townships: Zones | None
    units: Zones | None
    threshold: RuleValue
    min_patch: RuleValue
    connectivity: int
    dem: Dem
    stats: dict = field(default_factory=dict)
    messages: list = field(default_factory=list)
    counties_on_dem: list = field(default_factory=list)  # county indices with cells on the DEM grid
    county_township: dict = field(default_factory=dict)  # county idx → [township idx with cells in it]
    county_unit: dict = field(default_factory=dict)

    @property
    def patch_count(self) -> int:
        return len({p.parent_id for p in self.pieces})

    @property
    def total_ha(self) -> float:
        return round(sum(p.area_ha for p in self.pieces), 4)


def resolve_threshold(options: SteepOptions, counties: Zones) -> RuleValue:
    rule = steep_slope_threshold(options.province or _province_of(counties))
    if options.threshold is not None and float(options.threshold) != rule.value:
        value = float(options.threshold)
        return RuleValue(value, "user", f"set by the user (the rule of {rule.scope} is {rule.value:g}°: {rule.source})", "user", False, "", "", rule.rules_version)
    return rule  # a threshold equal to the rule is the rule, cited with its source


def _province_of(counties: Zones) -> str | None:
    provs = {c[:2] for c in counties.codes if len(c) >= 2 and c[:2].isdigit()}
    return provs.pop() + "0000" if len(provs) == 1 else None


def check_options(options: SteepOptions) -> None:
    if options.threshold is not None:
        t = options.threshold
        if not isinstance(t, (int, float)) or math.isnan(float(t)) or not 0.0 <= float(t) <= 90.0:
            raise InputError("坡度阈值 threshold", f"坡度阈值必须在 0–90° 之间，收到 {t}", f"the slope threshold must be within 0–90°, got {t}")
    if options.min_patch_ha is not None and (math.isnan(float(options.min_patch_ha)) or float(options.min_patch_ha) < 0):
        raise InputError("最小图斑面积 minimum patch", f"最小图斑面积不能为负，收到 {options.min_patch_ha}", f"the minimum patch area cannot be negative, got {options.min_patch_ha}")
    if options.connectivity not in (4, 8):
        raise InputError("连通性 connectivity", f"连通性只能是 4 或 8，收到 {options.connectivity}", f"connectivity must be 4 or 8, got {options.connectivity}")


# --------------------------------------------------------------------------- labelling
def _label_band(mask: np.ndarray, county: np.ndarray, structure: np.ndarray) -> tuple[np.ndarray, int, np.ndarray]:
    """Label steep cells of one band without joining cells of different counties.

    Returns (labels int32, n, county index of each label 1..n at [1:]). Labels
    are numbered in row-major order of their first cell within each county.
    """
    present = np.unique(county[mask]) if mask.any() else np.empty(0, np.int32)
    if present.size <= 1:
        labels, n = ndimage.label(mask, structure=structure)
        labels = labels.astype(np.int32, copy=False)
        lab_county = np.full(n + 1, present[0] if present.size else 0, dtype=np.int32)
        lab_county[0] = 0
        return labels, n, lab_county
    labels = np.zeros(mask.shape, dtype=np.int32)
    lab_county = [np.zeros(1, np.int32)]
    objs = ndimage.find_objects(county)
    n = 0
    for c in present:
        sl = objs[c - 1]
        sub = mask[sl] & (county[sl] == c)
        lab, k = ndimage.label(sub, structure=structure)
        view = labels[sl]
        view[sub] = lab[sub] + n
        lab_county.append(np.full(k, c, np.int32))
        n += k
    return labels, n, np.concatenate(lab_county)


def _seam_pairs(prev: np.ndarray, cur: np.ndarray, prev_county, cur_county, connectivity: int) -> np.ndarray:
    """(a, b) global label pairs touching across a band seam, same county only."""
    pairs = []
    shifts = (0,) if connectivity == 4 else (-1, 0, 1)
    for s in shifts:
        if s == 0:
            a, b = prev, cur
        elif s < 0:
            a, b = prev[:-1], cur[1:]
        else:
            a, b = prev[1:], cur[:-1]
        ok = (a > 0) & (b > 0)
        if ok.any():
            pa, pb = a[ok], b[ok]
            same = prev_county[pa] == cur_county[pb]
            pairs.append(np.stack([pa[same], pb[same]], axis=1))
    if not pairs:
        return np.empty((0, 2), np.int64)
    return np.unique(np.concatenate(pairs).astype(np.int64), axis=0)


def _group(keys: np.ndarray, *values) -> tuple:
    """Sort-based group-by: unique keys, counts, and per-group (sum, max) of each value array."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.r_[0, np.flatnonzero(sk[1:] != sk[:-1]) + 1] if sk.size else np.empty(0, np.int64)
    uniq = sk[starts]
    counts = np.diff(np.r_[starts, sk.size])
    out = [uniq, counts]
    for v, how in values:
        vs = v[order]
        out.append(np.add.reduceat(vs, starts) if how == "sum" else np.maximum.reduceat(vs, starts))
    return tuple(out)


# --------------------------------------------------------------------------- main
def delineate(
    dem_path,
    county: VectorInput,
    townships: VectorInput | None = None,
    units: VectorInput | None = None,
    exclusions: list[VectorInput] | tuple = (),
    options: SteepOptions | None = None,
    feedback: Feedback | None = None,
    dem_label: str = "DEM",
) -> SteepResult:
    """Delineate steep-slope patches; all checks happen before any heavy work."""
    feedback = feedback or Feedback()
    options = options or SteepOptions()
    check_options(options)
    county.label = county.label or "县界 county boundary"
    if not county.code_field:
        raise InputError(county.label, "必须选择县代码字段", "the county code field must be chosen")
    dem = open_dem(dem_path, dem_label)
    counties = load_zones(county, dem.crs)
    if any(not c for c in counties.codes):
        raise InputError(county.label, f"有 {sum(not c for c in counties.codes)} 个要素的县代码字段 “{county.code_field}” 为空", f"{sum(not c for c in counties.codes)} feature(s) have an empty county code in '{county.code_field}'")
    _check_overlap(dem, counties)
    twn = None
    if townships is not None:
        townships.label = townships.label or "乡镇 townships"
        if not townships.code_field:
            raise InputError(townships.label, "必须选择乡镇代码字段", "the township code field must be chosen")
        twn = load_zones(townships, dem.crs)
    unit_zones = None
    if units is not None:
        units.label = units.label or "小流域 units"
        units.code_field = units.code_field or "unit_code"
        units.name_field = "unit_name" if units.name_field is None else units.name_field
        unit_zones = load_zones(units, dem.crs, required_fields=("unit_code",), extra_fields=("county_code",))
    excl = []
    for vin in exclusions:
        if vin is None or not vin.enabled:
            continue
        vin.label = vin.label or "排除图层 exclusion"
        excl.append(load_zones(vin, dem.crs, group_by_code=False))
    threshold = resolve_threshold(options, counties)
    min_rule = min_patch_rule()
    if options.min_patch_ha is not None:
        value = float(options.min_patch_ha)
        min_rule = RuleValue(value, "user" if value != min_rule.value else "default", min_rule.source, min_rule.confidence, value == min_rule.value, min_rule.note, min_rule.url, min_rule.rules_version)

    messages = []
    for z in [counties, twn, unit_zones, *excl]:
        if z is None:
            continue
        if z.repaired:
            messages.append(f"{z.label}: 修复了 {z.repaired} 个无效/自相交面 / repaired {z.repaired} invalid or self-intersecting polygon(s)")
        if z.dropped:
            messages.append(f"{z.label}: 忽略了 {z.dropped} 个空或非面几何 / ignored {z.dropped} empty or non-polygon geometries")
        if z.reprojected_from:
            messages.append(f"{z.label}: 已从 {z.reprojected_from} 重投影到 DEM 坐标系 / reprojected from {z.reprojected_from} to the DEM CRS")
    for m in messages:
        feedback.info(m)
    feedback.info(
        f"阈值 threshold {threshold.value:g}° ({threshold.scope}; {threshold.source}); "
        f"最小图斑 minimum patch {min_rule.value:g} ha{' (默认值，非国家规定 / a default, not a national rule)' if min_rule.default else ''}; "
        f"{options.connectivity}-connectivity"
    )
    result = SteepResult([], counties, twn, unit_zones, threshold, min_rule, options.connectivity, dem, messages=messages)
    _run(result, excl, options, feedback)
    return result


def _check_overlap(dem: Dem, counties: Zones) -> None:
    t = dem.transform
    xs = sorted((t.c, t.c + dem.width * t.a))
    ys = sorted((t.f, t.f + dem.height * t.e))
    b = counties.bounds
    if not ((b[:, 0] < xs[1]) & (b[:, 2] > xs[0]) & (b[:, 1] < ys[1]) & (b[:, 3] > ys[0])).any():
        raise InputError(counties.label, "县界与 DEM 范围不重叠（请检查坐标系）", "the county boundary does not overlap the DEM (check the CRS)")


def _run(res: SteepResult, excl: list[Zones], options: SteepOptions, feedback: Feedback) -> None:
    dem = res.dem
    H, W = dem.height, dem.width
    thr = np.float32(res.threshold.value)
    structure = ndimage.generate_binary_structure(2, 2 if options.connectivity == 8 else 1)
    areas = CellAreas(dem.crs, dem.transform, W, H)
    n_t = res.townships.count if res.townships else 0
    n_u = res.units.count if res.units else 0
    n_c = res.counties.count
    key_t, key_u = np.int64(n_u + 1), np.int64((n_t + 1) * (n_u + 1))

    band_masks = []  # (row0, row1, packed mask, label offset)
    lab_county_all = [np.zeros(1, np.int32)]
    seams = []
    piece_parts = []  # per band: (keys, counts, area, ssum, smax)
    county_cells = np.zeros(n_c + 1)  # m² of county on the grid
    county_noslope = np.zeros(n_c + 1)  # m² of county cells without a slope
    steep_area_all = 0.0  # before exclusions and minimum
    excluded_area = np.zeros(len(excl))
    ct_pairs = np.zeros((n_c + 1) * (n_t + 1), np.int64)
    cu_pairs = np.zeros((n_c + 1) * (n_u + 1), np.int64)
    offset = 0
    prev_last = None
    min_m2 = res.min_patch.value * 1e4 * (1 - 1e-12)
    early_dropped, early_dropped_m2 = 0, 0.0

    p1 = SubFeedback(feedback, 0, 60)
    # each band is read once (plus two halo rows): a small block cache is enough, and GDAL's
    # default (5 % of RAM) would otherwise fill with the whole DEM and dominate the peak RSS
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), rasterio.open(dem.path) as src:
        for row0, row1, z in dem.bands(src, options.band_cells):
            feedback.check()
            h = row1 - row0
            dx, dy = dem.spacing(np.arange(row0 - 1, row1 + 1))
            slope = steep_slope_block(z, dx, dy, float(thr))  # exact slope where it can reach thr
            del z
            bt = dem.transform * Affine.translation(0, row0)
            cty = res.counties.rasterize(bt, (h, W))
            cell_area = areas.rows(row0, row1)
            area_full = np.broadcast_to(cell_area, (h, W))
            inside = cty > 0
            valid = slope != SLOPE_NODATA
            county_cells += np.bincount(cty.ravel(), weights=area_full.ravel(), minlength=n_c + 1)
            nos = inside & ~valid
            if nos.any():
                county_noslope += np.bincount(cty[nos], weights=area_full[nos], minlength=n_c + 1)
            steep = valid & (slope >= thr) & inside
            steep_area_all += float(area_full[steep].sum())
            mask = steep
            if excl:
                gone = np.zeros((h, W), bool)
                for i, ez in enumerate(excl):
                    e = ez.rasterize(bt, (h, W)) > 0
                    excluded_area[i] += float(area_full[steep & e].sum())
                    gone |= e
                mask = steep & ~gone
            tw = res.townships.rasterize(bt, (h, W)) if n_t else None
            un = res.units.rasterize(bt, (h, W)) if n_u else None
            if n_t:
                ct_pairs += np.bincount((cty[inside].astype(np.int64) * (n_t + 1) + tw[inside]), minlength=ct_pairs.size)
            if n_u:
                cu_pairs += np.bincount((cty[inside].astype(np.int64) * (n_u + 1) + un[inside]), minlength=cu_pairs.size)

            labels, n, lab_county = _label_band(mask, cty, structure)
            if n and min_m2 > 0:
                # a patch touching neither band edge is complete: drop it now if small, so memory
                # holds only big or unfinished patches; pass 2 relabels the same cleaned mask
                lab_area = np.bincount(labels.ravel(), weights=np.broadcast_to(cell_area, (h, W)).ravel(), minlength=n + 1)
                small = lab_area < min_m2
                small[0] = False
                small[labels[0]] = False
                small[labels[-1]] = False
                if small.any():
                    early_dropped += int(small.sum())
                    early_dropped_m2 += float(lab_area[small].sum())
                    mask &= ~small[labels]
                    labels, n, lab_county = _label_band(mask, cty, structure)
            first = np.where(labels[0] > 0, labels[0].astype(np.int64) + offset, 0)
            lab_county_all.append(lab_county[1:])
            gc = np.concatenate(lab_county_all) if prev_last is not None else None
            if prev_last is not None and n:
                seams.append(_seam_pairs(prev_last, first, gc, gc, options.connectivity))
            prev_last = np.where(labels[-1] > 0, labels[-1].astype(np.int64) + offset, 0)
            # pieces of this band: (global label, township, unit)
            sel = labels > 0
            if n:
                keys = (labels[sel].astype(np.int64) + offset) * key_u
                if n_t:
                    keys += tw[sel].astype(np.int64) * key_t
                if n_u:
                    keys += un[sel]
                s = slope[sel].astype(np.float64)
                piece_parts.append(_group(keys, (area_full[sel], "sum"), (s, "sum"), (s, "max")))
            band_masks.append((row0, row1, np.packbits(mask, axis=None), offset))
            offset += n
            p1.progress(100.0 * row1 / H)

    n_labels = offset
    lab_county = np.concatenate(lab_county_all)
    res.stats.update(
        county_grid_ha={res.counties.codes[i - 1]: county_cells[i] / 1e4 for i in range(1, n_c + 1)},
        county_no_slope_ha={res.counties.codes[i - 1]: county_noslope[i] / 1e4 for i in range(1, n_c + 1)},
        steep_before_exclusions_ha=steep_area_all / 1e4,
        excluded_steep_ha={z.label: excluded_area[i] / 1e4 for i, z in enumerate(excl)},
    )
    res.county_township = _pairs_by_county(ct_pairs, n_c, n_t)
    res.county_unit = _pairs_by_county(cu_pairs, n_c, n_u)
    _coverage_messages(res, county_cells, county_noslope, feedback)
    res.stats.update(patches_before_minimum=early_dropped, dropped_small_patches=early_dropped, dropped_small_ha=early_dropped_m2 / 1e4)
    if n_labels == 0:
        _empty(res, feedback)
        return

    # join labels across band seams → patches
    edges = np.concatenate(seams) if seams else np.empty((0, 2), np.int64)
    graph = coo_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), shape=(n_labels + 1, n_labels + 1))
    _, comp = connected_components(graph, directed=False)
    keys = np.concatenate([p[0] for p in piece_parts])
    cnt = np.concatenate([p[1] for p in piece_parts])
    area = np.concatenate([p[2] for p in piece_parts])
    ssum = np.concatenate([p[3] for p in piece_parts])
    smax = np.concatenate([p[4] for p in piece_parts])
    gl = keys // key_u
    rest = keys % key_u
    pc = comp[gl].astype(np.int64)
    n_comp = int(comp.max()) + 1
    comp_area = np.bincount(pc, weights=area, minlength=n_comp)
    comp_first = np.full(n_comp, np.iinfo(np.int64).max)
    np.minimum.at(comp_first, pc, gl)
    keep = comp_area >= min_m2
    keep &= comp_first < np.iinfo(np.int64).max
    n_found = int((comp_first < np.iinfo(np.int64).max).sum())
    res.stats["patches_before_minimum"] = n_found + early_dropped
    res.stats["dropped_small_patches"] = int(n_found - keep.sum()) + early_dropped
    res.stats["dropped_small_ha"] = float((comp_area[~keep].sum() + early_dropped_m2) / 1e4)
    if not keep.any():
        _empty(res, feedback)
        return

    # stable ids: per county, sequence by first cell (labels follow row-major order)
    kept = np.flatnonzero(keep)
    k_county = lab_county[comp_first[kept]]
    order = np.lexsort((comp_first[kept], k_county))
    patch_of_comp = {}
    seq = defaultdict(int)
    width = max(6, len(str(len(kept))))
    for i in order:
        c = int(kept[i])
        cidx = int(k_county[i])
        seq[cidx] += 1
        patch_of_comp[c] = (f"{res.counties.codes[cidx - 1]}-{seq[cidx]:0{width}d}", cidx, seq[cidx])

    # pieces: (patch, township, unit)
    pkey = pc * key_u + rest
    sel = keep[pc]
    uq, _, p_area, p_sum, p_cnt_w, p_max = _group(pkey[sel], (area[sel], "sum"), (ssum[sel], "sum"), (cnt[sel].astype(np.float64), "sum"), (smax[sel], "max"))
    pieces = []
    for k, a, s, ncell, mx in zip(uq, p_area, p_sum, p_cnt_w, p_max):
        c = int(k // key_u)
        t = int((k % key_u) // key_t)
        u = int(k % key_t)
        parent, cidx, pseq = patch_of_comp[c]
        pieces.append(Piece("", parent, cidx, t, u, round(a / 1e4, 4), round(s / ncell, 2), round(float(mx), 2), int(ncell)))
    tcode = (lambda t: res.townships.codes[t - 1] if t else "") if n_t else (lambda t: "")
    ucode = (lambda u: res.units.codes[u - 1] if u else "") if n_u else (lambda u: "")
    pieces.sort(key=lambda p: (p.parent_id, tcode(p.township), ucode(p.unit)))
    idx_in_parent = defaultdict(int)
    for p in pieces:
        idx_in_parent[p.parent_id] += 1
        p.patch_id = f"{p.parent_id}-{idx_in_parent[p.parent_id]:02d}"
    res.pieces = pieces
    res.stats["patch_count"] = res.patch_count
    res.stats["piece_count"] = len(pieces)

    # polygons
    comp_of_parent = {v[0]: c for c, v in patch_of_comp.items()}
    piece_keys = np.array([comp_of_parent[p.parent_id] * key_u + p.township * key_t + p.unit for p in pieces], dtype=np.int64)
    _polygonize(res, band_masks, piece_keys, comp, keep, options, structure, excl, SubFeedback(feedback, 60, 95))


def _pairs_by_county(counts: np.ndarray, n_c: int, n_z: int) -> dict:
    out = {}
    if n_z == 0:
        return out
    grid = counts.reshape(n_c + 1, n_z + 1)
    for c in range(1, n_c + 1):
        out[c] = [int(z) for z in np.flatnonzero(grid[c]) if z > 0]
        out.setdefault(c, [])
        if grid[c, 0] > 0:
            out[c].append(0)  # part of the county outside every zone
    return out


def _coverage_messages(res: SteepResult, county_cells, county_noslope, feedback) -> None:
    poly_ha = polygon_area_ha(res.counties, res.dem.crs)
    cover = {}
    res.counties_on_dem = [i for i in range(1, res.counties.count + 1) if county_cells[i] > 0]
    off = [res.counties.codes[i - 1] for i in range(1, res.counties.count + 1) if county_cells[i] <= 0]
    if off:
        shown = ", ".join(off[:10]) + (" …" if len(off) > 10 else "")
        m = f"{res.counties.label}: {len(off)} 个县不在 DEM 范围内，不列入表格 / {len(off)} count(y/ies) lie outside the DEM and are left out of the tables: {shown}"
        res.messages.append(m)
        feedback.info(m)
    for i, code in enumerate(res.counties.codes, start=1):
        grid_ha = county_cells[i] / 1e4
        cover[code] = {"polygon_ha": round(float(poly_ha[i]), 2), "on_dem_ha": round(grid_ha, 2), "no_slope_ha": round(county_noslope[i] / 1e4, 2)}
        if grid_ha > 0 and poly_ha[i] > 0 and grid_ha < 0.99 * poly_ha[i]:
            m = f"{res.counties.label} {code}: DEM 只覆盖县域的 {100 * grid_ha / poly_ha[i]:.1f}% / the DEM covers only {100 * grid_ha / poly_ha[i]:.1f}% of the county"
            res.messages.append(m)
            feedback.info(m)
        if grid_ha > 0 and county_noslope[i] / county_cells[i] > 0.01:
            m = f"{res.counties.label} {code}: {county_noslope[i] / 1e4:.2f} ha 无坡度(DEM 无数据或边缘) / have no slope (DEM NoData or edge); not counted as steep"
            res.messages.append(m)
            feedback.info(m)
    res.stats["county_coverage"] = cover


def _empty(res: SteepResult, feedback) -> None:
    res.pieces = []
    res.stats.setdefault("patch_count", 0)
    res.stats["patch_count"] = 0
    res.stats["piece_count"] = 0
    m = f"没有达到阈值 {res.threshold.value:g}° 的陡坡图斑 / no steep-slope patch reaches the threshold of {res.threshold.value:g}° (after exclusions and the minimum patch)"
    res.messages.append(m)
    feedback.info(m)


def _polygonize(res: SteepResult, band_masks, piece_keys, comp, keep, options, structure, excl, feedback) -> None:
    """Rebuild each band's labels from its packed mask, burn piece numbers and trace cell-edge polygons."""
    from rasterio import features
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    dem = res.dem
    W = dem.width
    n_t = res.townships.count if res.townships else 0
    n_u = res.units.count if res.units else 0
    key_t, key_u = np.int64(n_u + 1), np.int64((n_t + 1) * (n_u + 1))
    order = np.argsort(piece_keys)
    sorted_keys = piece_keys[order]
    parts = defaultdict(list)
    bands_of = defaultdict(set)
    keep_label = keep[comp]
    for bi, (row0, row1, packed, offset) in enumerate(band_masks):
        feedback.check()
        h = row1 - row0
        mask = np.unpackbits(packed, count=h * W).reshape(h, W).astype(bool)
        if not mask.any():
            continue
        bt = dem.transform * Affine.translation(0, row0)
        cty = res.counties.rasterize(bt, (h, W))
        labels, n, _ = _label_band(mask, cty, structure)
        if not keep_label[offset + 1 : offset + n + 1].any():
            continue
        sel = labels > 0
        c = comp[labels[sel].astype(np.int64) + offset].astype(np.int64)
        k = c * key_u
        if n_t:
            k += res.townships.rasterize(bt, (h, W))[sel].astype(np.int64) * key_t
        if n_u:
            k += res.units.rasterize(bt, (h, W))[sel]
        pos = np.searchsorted(sorted_keys, k)
        pos = np.minimum(pos, len(sorted_keys) - 1)
        hit = sorted_keys[pos] == k
        burn = np.zeros((h, W), np.int32)
        burn[sel] = np.where(hit, order[pos] + 1, 0)
        for geom, value in features.shapes(burn, mask=burn > 0, connectivity=4, transform=Affine(1, 0, 0, 0, 1, row0)):
            i = int(value) - 1
            parts[i].append(_world_polygon(geom["coordinates"], dem.transform))
            bands_of[i].add(bi)
        feedback.progress(100.0 * row1 / dem.height)
    for i, p in enumerate(res.pieces):
        polys = parts.get(i, [])
        if len(bands_of.get(i, ())) > 1:
            # corners come from integer cell indices through one formula, so seam edges match exactly
            g = unary_union([Polygon(q[0], q[1:]) for q in polys])
            polys = [_oriented([np.asarray(q.exterior.coords)] + [np.asarray(r.coords) for r in q.interiors]) for q in ([g] if isinstance(g, Polygon) else g.geoms)]
        p.wkb = _multipolygon_wkb(polys)


def _oriented(rings: list) -> list:
    """Shell counter-clockwise, holes clockwise (the right-hand rule; pyproj Geod areas rely on it)."""
    out = []
    for k, xy in enumerate(rings):
        area2 = np.dot(xy[:-1, 0], xy[1:, 1]) - np.dot(xy[1:, 0], xy[:-1, 1])
        out.append(xy[::-1] if (area2 < 0) == (k == 0) else xy)
    return out


def _world_polygon(rings, t) -> list:
    """Rings of rasterio.features.shapes (cell indices) in world coordinates, oriented."""
    out = []
    for ring in rings:
        a = np.asarray(ring, dtype=np.float64)
        xy = np.empty_like(a)
        xy[:, 0] = t.c + a[:, 0] * t.a
        xy[:, 1] = t.f + a[:, 1] * t.e
        out.append(xy)
    return _oriented(out)


def _multipolygon_wkb(polys: list) -> bytes:
    """Little-endian WKB of a MultiPolygon built straight from ring arrays (no per-vertex Python)."""
    import struct

    chunks = [struct.pack("<BII", 1, 6, len(polys))]
    for rings in polys:
        chunks.append(struct.pack("<BII", 1, 3, len(rings)))
        for xy in rings:
            chunks.append(struct.pack("<I", len(xy)))
            chunks.append(np.ascontiguousarray(xy, dtype="<f8").tobytes())
    return b"".join(chunks)


def run_steep_slope(
    dem_path,
    county: VectorInput,
    out_layer,
    townships: VectorInput | None = None,
    units: VectorInput | None = None,
    exclusions: list[VectorInput] | tuple = (),
    options: SteepOptions | None = None,
    tables_dir=None,
    feedback: Feedback | None = None,
    dem_label: str = "DEM",
) -> tuple[SteepResult, dict]:
    """Delineate and write the layer, tables and metadata; returns (result, output paths)."""
    from pathlib import Path

    from .steep_outputs import write_outputs

    feedback = feedback or Feedback()
    if Path(out_layer).suffix.lower() != ".gpkg":
        raise InputError("输出图层 output layer", f"输出图层必须是 GeoPackage (.gpkg): {out_layer}", f"the output layer must be a GeoPackage (.gpkg): {out_layer}")
    options = options or SteepOptions()
    res = delineate(dem_path, county, townships, units, exclusions, options, feedback, dem_label)
    feedback.check()
    inputs = {"dem": dem_path, "county": county.path}
    if townships is not None:
        inputs["townships"] = townships.path
    if units is not None:
        inputs["units"] = units.path
    for i, vin in enumerate(exclusions):
        if vin is not None:
            inputs[f"exclusion_{i + 1}"] = vin.path
    parameters = {
        "county": county.describe(),
        "townships": townships.describe() if townships else None,
        "units": units.describe() if units else None,
        "exclusions": [dict(vin.describe(), label=vin.label) for vin in exclusions if vin is not None],
        "province": options.province,
        "threshold_given": options.threshold,
        "min_patch_given": options.min_patch_ha,
    }
    paths = write_outputs(res, out_layer, tables_dir, inputs, parameters, feedback)
    feedback.progress(100)
    feedback.info(f"图斑 {res.patch_count} 个 / patches, {len(res.pieces)} 块 / pieces, 合计 total {res.total_ha:.2f} ha")
    return res, paths
