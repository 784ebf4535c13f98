"""禁止开垦陡坡地: delineate no-reclamation steep-slope patches per county, 乡镇 and 小流域.

Method (exact on the DEM grid inside the county, exact polygon clip on its borders, bounded memory):

1. Slope (Horn, ground units, as `core.terrain.slope`) per row band; a cell is steep
   when slope ≥ threshold (`core.terrain.slope.slope_block` with skip_below_deg: same values,
   arctangent only where it matters). Cells without a slope (DEM NoData, the raster edge, cells
   next to NoData: the full 3×3 window rule of `core.terrain.slope`) are never steep –
   no slope is invented on the NoData boundary.
2. Boundary cells are the cells crossed by a county, 乡镇, 小流域 or exclusion
   boundary (rasterized lines, all touched, grown by one cell). Any other cell
   lies wholly in the zones holding its centre. Candidate cells: steep cells
   whose centre is in a county, plus steep boundary cells overlapping a county
   with positive area; cells wholly inside an exclusion polygon are erased.
3. Candidates are joined into connected components (8- or 4-connectivity).
   Bands are labelled separately and joined across band seams with a
   union-find (graph connected components), so only bit-packed masks of the
   whole grid are kept in memory (2 × 50 MB for 20 000²).
4. Interior cells are traced on cell edges and keyed by (component, county,
   乡镇, 小流域) from their centres; their area is the sum of exact ellipsoidal
   cell areas (`core.common.cell_areas`). The boundary cells of a component are
   traced as one strip and clipped exactly: ∩ county, − exclusions, split by
   ∩ 乡镇 and ∩ 小流域 polygons (prepared `intersects` tests skip polygons that
   miss the strip); their area is the pyproj Geod area.
   A piece = its interior cells ∪ its clipped strip, so its area is the
   ellipsoidal area of its polygon, and the tables (sums of pieces) agree.
5. A patch is a component within one county; the minimum patch applies to
   its final area (clipped, exclusions erased). A patch whose cells already
   fall short is dropped early (in its band, or before tracing). Pieces keep
   the parent patch id; a patch cut into parts by a boundary keeps one id.
6. Slope mean/max of a piece: over the cells whose centre lies in it (a
   sliver holding no cell centre takes the boundary cells it overlaps).
7. Patch ids are stable for the same inputs: county code + sequence of the
   patch's first cell in row-major order; piece ids add a two-digit suffix.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import rasterio
from rasterio.transform import Affine
from scipy import ndimage
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..common.cell_areas import CellAreas
from ..common.compat import affine_mul
from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..common.geo import AreaCalc, oriented_rings, polygon_parts
from ..common.input_checks import check_data_inside
from ..common.rules import RuleValue, min_patch_rule, steep_slope_threshold
from ..terrain.dem import Dem, open_dem
from ..terrain.slope import GDAL_CACHE_BYTES, SLOPE_NODATA, slope_block
from .inputs import VectorInput, Zones, load_zones, polygon_area_ha
from .outputs import output_paths, write_outputs
from .result import Piece, SteepOptions, SteepResult


def resolve_threshold(options: SteepOptions, counties: Zones) -> RuleValue:
    rule = steep_slope_threshold(options.province or _province_of(counties))
    if options.threshold is not None and float(options.threshold) != rule.value:
        value = float(options.threshold)
        return RuleValue(
            value,
            "user",
            f"set by the user (the rule of {rule.scope} is {rule.value:g}°: {rule.source})",
            "user",
            False,
            "",
            "",
            rule.rules_version,
        )
    return rule  # a threshold equal to the rule is the rule, cited with its source


def _province_of(counties: Zones) -> str | None:
    provs = {c[:2] for c in counties.codes if len(c) >= 2 and c[:2].isdigit()}
    return provs.pop() + "0000" if len(provs) == 1 else None


def check_options(options: SteepOptions) -> None:
    if options.threshold is not None:
        t = options.threshold
        if not isinstance(t, (int, float)) or math.isnan(float(t)) or not 0.0 <= float(t) <= 90.0:
            raise InputError(
                "坡度阈值 threshold",
                f"坡度阈值必须在 0–90° 之间，收到 {t}",
                f"the slope threshold must be within 0–90°, got {t}",
            )
    if options.min_patch_ha is not None and (
        math.isnan(float(options.min_patch_ha)) or float(options.min_patch_ha) < 0
    ):
        raise InputError(
            "最小图斑面积 minimum patch",
            f"最小图斑面积不能为负，收到 {options.min_patch_ha}",
            f"the minimum patch area cannot be negative, got {options.min_patch_ha}",
        )
    if options.connectivity not in (4, 8):
        raise InputError(
            "连通性 connectivity",
            f"连通性只能是 4 或 8，收到 {options.connectivity}",
            f"connectivity must be 4 or 8, got {options.connectivity}",
        )


# --------------------------------------------------------------------------- labelling
def _seam_pairs(prev: np.ndarray, cur: np.ndarray, connectivity: int) -> np.ndarray:
    """(a, b) global label pairs touching across a band seam."""
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
            pairs.append(np.stack([a[ok], b[ok]], axis=1))
    if not pairs:
        return np.empty((0, 2), np.int64)
    return np.unique(np.concatenate(pairs).astype(np.int64), axis=0)


class _Groups(NamedTuple):
    """A sort-based group-by: unique keys, entries per key, and one reduction per value array asked for."""

    keys: np.ndarray
    counts: np.ndarray
    values: tuple


def _group(keys: np.ndarray, *values) -> _Groups:
    """Sort-based group-by: unique keys, counts, and per-group (sum, max) of each value array."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.r_[0, np.flatnonzero(sk[1:] != sk[:-1]) + 1] if sk.size else np.empty(0, np.int64)
    uniq = sk[starts]
    counts = np.diff(np.r_[starts, sk.size])
    out = []
    for v, how in values:
        vs = v[order]
        if not sk.size:
            out.append(np.empty(0, vs.dtype))
        else:
            out.append(np.add.reduceat(vs, starts) if how == "sum" else np.maximum.reduceat(vs, starts))
    return _Groups(uniq, counts, tuple(out))


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
        raise InputError(
            county.label,
            f"有 {sum(not c for c in counties.codes)} 个要素的县代码字段 “{county.code_field}” 为空",
            f"{sum(not c for c in counties.codes)} feature(s) have an empty county code in '{county.code_field}'",
        )
    _check_overlap(dem, counties)
    check_data_inside(dem, counties, "县界 the county")
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
        min_rule = RuleValue(
            value,
            "user" if value != min_rule.value else "default",
            min_rule.source,
            min_rule.confidence,
            value == min_rule.value,
            min_rule.note,
            min_rule.url,
            min_rule.rules_version,
        )

    messages = []
    for z in [counties, twn, unit_zones, *excl]:
        if z is None:
            continue
        if z.repaired:
            messages.append(
                f"{z.label}: 修复了 {z.repaired} 个无效/自相交面 / repaired {z.repaired} invalid or self-intersecting "
                "polygon(s)"
            )
        if z.dropped:
            messages.append(
                f"{z.label}: 忽略了 {z.dropped} 个空或非面几何 / ignored {z.dropped} empty or non-polygon geometries"
            )
        if z.reprojected_from:
            messages.append(
                f"{z.label}: 已从 {z.reprojected_from} 重投影到 DEM 坐标系 / reprojected from {z.reprojected_from} to "
                "the DEM CRS"
            )
    for m in messages:
        feedback.info(m)
    feedback.info(
        f"阈值 threshold {threshold.value:g}° ({threshold.scope}; {threshold.source}); "
        f"最小图斑 minimum patch {min_rule.value:g} ha"
        f"{' (默认值，非国家规定 / a default, not a national rule)' if min_rule.default else ''}; "
        f"{options.connectivity}-connectivity"
    )
    result = SteepResult(
        [], counties, twn, unit_zones, threshold, min_rule, options.connectivity, dem, messages=messages
    )
    _run(result, excl, options, feedback)
    return result


def _check_overlap(dem: Dem, counties: Zones) -> None:
    t = dem.transform
    xs = sorted((t.c, t.c + dem.width * t.a))
    ys = sorted((t.f, t.f + dem.height * t.e))
    b = counties.bounds
    if b is None or not ((b[:, 0] < xs[1]) & (b[:, 2] > xs[0]) & (b[:, 1] < ys[1]) & (b[:, 3] > ys[0])).any():
        raise InputError(
            counties.label,
            "县界与 DEM 范围不重叠（请检查坐标系）",
            "the county boundary does not overlap the DEM (check the CRS)",
        )


SLIVER_M2 = 0.01  # pieces smaller than this holding no cell centre are floating-point slivers of overlays


class _Keys:
    """Piece key ((label·(n_c+1) + county)·(n_t+1) + township)·(n_u+1) + unit in one int64."""

    def __init__(self, n_c: int, n_t: int, n_u: int):
        self.kt = np.int64(n_u + 1)
        self.kc = np.int64((n_t + 1) * (n_u + 1))
        self.kl = np.int64(n_c + 1) * self.kc

    def make(self, lab, c, t=None, u=None) -> np.ndarray:
        k = lab.astype(np.int64) * self.kl + c.astype(np.int64) * self.kc
        if t is not None:
            k += t.astype(np.int64) * self.kt
        if u is not None:
            k += u
        return k

    def split(self, k):
        return int(k // self.kl), int((k % self.kl) // self.kc), int((k % self.kc) // self.kt), int(k % self.kt)


def _boundary_cells(zones: list, bt: Affine, h: int, w: int) -> np.ndarray:
    """Cells crossed by any polygon boundary, grown by one cell
    (so no crossed cell is missed at seams or by rounding)."""
    t = affine_mul(bt, Affine.translation(-1, -1))
    m = np.zeros((h + 2, w + 2), np.uint8)
    for z in zones:
        z.rasterize_edges(t, (h + 2, w + 2), out=m)
    if not m.any():
        return np.zeros((h, w), bool)
    # 3×3 dilation as two separable passes (much cheaper than ndimage on a mostly empty band)
    rows = m[:-2] | m[1:-1] | m[2:]
    return (rows[:, :-2] | rows[:, 1:-1] | rows[:, 2:]).view(bool)


class _Prepared:
    """Prepared geometries of a zone layer (fast contains/intersects tests), built on first use."""

    def __init__(self, zones: Zones):
        self.zones = zones
        self._geom: dict[int, object] = {}
        self._zone: dict[int, tuple] = {}

    def geom(self, i: int):
        from shapely.prepared import prep

        if i not in self._geom:
            self._geom[i] = prep(self.zones.geoms[i][0])
        return self._geom[i]

    def zone(self, idx: int):
        """(full zone geometry, prepared) of zone idx."""
        from shapely.ops import unary_union
        from shapely.prepared import prep

        if idx not in self._zone:
            parts = [g for g, j in self.zones.geoms if j == idx]
            g = parts[0] if len(parts) == 1 else unary_union(parts)
            self._zone[idx] = (g, prep(g))
        return self._zone[idx]


def _overlapping(prepared: _Prepared, bt: Affine, probe: np.ndarray) -> np.ndarray:
    """Cells of ``probe`` whose square overlaps a polygon with positive area (touching an edge is not enough)."""
    from shapely.geometry import box

    out = np.zeros(probe.shape, bool)
    eps = 1e-6  # of a cell: a square shrunk by this no longer meets a polygon it only touches
    zones = prepared.zones
    for r, c in zip(*np.nonzero(probe)):
        x0, y0 = affine_mul(bt, (c + eps, r + eps))
        x1, y1 = affine_mul(bt, (c + 1 - eps, r + 1 - eps))
        b = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        for i in zones.query(*b.bounds):
            if prepared.geom(i).intersects(b):
                out[r, c] = True
                break
    return out


def _within(prepared: _Prepared, bt: Affine, probe: np.ndarray) -> np.ndarray:
    """Cells of ``probe`` whose whole square lies inside one of the polygons."""
    from shapely.geometry import box

    out = np.zeros(probe.shape, bool)
    zones = prepared.zones
    eps = 1e-6  # of a cell: the prepared contains_properly test (fast) on a hair-shrunk square = contains (slow)
    for r, c in zip(*np.nonzero(probe)):
        x0, y0 = affine_mul(bt, (c + eps, r + eps))
        x1, y1 = affine_mul(bt, (c + 1 - eps, r + 1 - eps))
        b = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
        for i in zones.query(*b.bounds):
            if prepared.geom(i).contains_properly(b):
                out[r, c] = True
                break
    return out


def _polygonal(geom, tol: float):
    """The polygon parts of an overlay result larger than ``tol`` (map units²), or None."""
    from shapely.geometry import MultiPolygon

    parts = [p for p in polygon_parts(geom) if p.area > tol]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _split(zones: Zones | None, prepared: _Prepared | None, geom, tol: float):
    """(zone index, part) of geom cut exactly by the zones' polygons; index 0 = outside every zone."""
    from shapely.ops import unary_union

    if zones is None or prepared is None:
        yield 0, geom
        return
    hits = sorted({zones.geoms[i][1] for i in zones.query(*geom.bounds)})
    covered = []
    got = 0.0
    for z in hits:
        zg, zp = prepared.zone(z)
        if not zp.intersects(geom):  # (a prepared `contains` of a polygon costs more than the intersection)
            continue
        covered.append(zg)
        part = _polygonal(geom.intersection(zg), tol)
        if part is not None:
            got += part.area
            yield z, part
    if covered and geom.area - got <= tol:
        return  # the zones cover it (zones do not overlap): no part outside them
    rest = (
        geom
        if not covered
        else _polygonal(geom.difference(covered[0] if len(covered) == 1 else unary_union(covered)), tol)
    )
    if rest is not None:
        yield 0, rest


def _clip(res: SteepResult, excl: list, prep: _PreparedZones, strip, tol: float) -> dict:
    """Cut a patch's boundary strip by the county, exclusion, 乡镇 and 小流域 polygons.

    Returns {(county, township, unit): geometry}.
    """
    from shapely.ops import unary_union

    out = {}
    for c, part in _split(res.counties, prep.county, strip, tol):
        if c == 0:
            continue  # outside every county
        if excl:
            gone = []
            for ez, pz in zip(excl, prep.excl):
                gone += [ez.geoms[i][0] for i in ez.query(*part.bounds) if pz.geom(i).intersects(part)]
            if gone:
                part = _polygonal(part.difference(gone[0] if len(gone) == 1 else unary_union(gone)), tol)
                if part is None:
                    continue
        for t, tp in _split(res.townships, prep.twn, part, tol):
            for u, up in _split(res.units, prep.unit, tp, tol):
                out[(c, t, u)] = up
    return out


class _CentreStats(NamedTuple):
    """Per piece key: the cells whose centre lies in the piece (count, slope sum and max)."""

    keys: np.ndarray
    n_cells: np.ndarray
    slope_sum: np.ndarray
    slope_max: np.ndarray


class _InnerStats(NamedTuple):
    """Per piece key: the cells wholly inside the piece (count, m²)."""

    keys: np.ndarray
    n_cells: np.ndarray
    area: np.ndarray


class _BandMask(NamedTuple):
    """A band's candidate cells and their boundary cells, bit-packed; band label i is global label offset + i."""

    row0: int
    row1: int
    packed: np.ndarray
    packed_boundary: np.ndarray
    offset: int


class _BandBoundaryCells(NamedTuple):
    """A band's candidate boundary cells: global label, grid row and column, slope."""

    label: np.ndarray
    row: np.ndarray
    col: np.ndarray
    slope: np.ndarray


@dataclass
class _PreparedZones:
    county: _Prepared
    twn: _Prepared | None
    unit: _Prepared | None
    excl: list[_Prepared]  # in the order of the exclusion layers


@dataclass
class _Run:
    """What every step of a run reads: the result being filled, the grid, zone counts, piece keys, prepared polygons."""

    res: SteepResult
    excl: list[Zones]
    thr: np.float32
    structure: np.ndarray
    areas: CellAreas
    n_c: int
    n_t: int
    n_u: int
    keys: _Keys
    edge_zones: list[Zones]
    prep: _PreparedZones
    min_m2: float

    @classmethod
    def make(cls, res: SteepResult, excl: list[Zones], options: SteepOptions) -> _Run:
        dem = res.dem
        n_t = res.townships.count if res.townships else 0
        n_u = res.units.count if res.units else 0
        n_c = res.counties.count
        prep = _PreparedZones(
            _Prepared(res.counties),
            _Prepared(res.townships) if res.townships is not None else None,
            _Prepared(res.units) if res.units is not None else None,
            [_Prepared(ez) for ez in excl],
        )
        return cls(
            res,
            excl,
            np.float32(res.threshold.value),
            ndimage.generate_binary_structure(2, 2 if options.connectivity == 8 else 1),
            CellAreas(dem.crs, dem.transform, dem.width, dem.height),
            n_c,
            n_t,
            n_u,
            _Keys(n_c, n_t, n_u),
            [z for z in (res.counties, res.townships, res.units, *excl) if z is not None],
            prep,
            res.min_patch.value * 1e4 * (1 - 1e-12),
        )

    def zone_index(self, zones: Zones | None, n: int, bt: Affine, h: int) -> np.ndarray | None:
        """The zone index raster of a band (None when the layer is absent or empty)."""
        return zones.rasterize(bt, (h, self.res.dem.width)) if zones is not None and n else None


@dataclass
class _Band:
    """One row band of the grid with its slope and the rasters the scan reads."""

    row0: int
    row1: int
    bt: Affine  # the band's transform
    slope: np.ndarray
    cty: np.ndarray  # county index by cell centre
    tw: np.ndarray | None  # 乡镇 index
    un: np.ndarray | None  # 小流域 index
    area: np.ndarray  # m² of each cell
    inside: np.ndarray  # centre in a county
    steep: np.ndarray
    steep_in: np.ndarray
    bnd: np.ndarray  # boundary cells

    @property
    def shape(self) -> tuple[int, int]:
        h, w = self.cty.shape
        return h, w

    @classmethod
    def read(cls, run: _Run, row0: int, row1: int, slope: np.ndarray) -> _Band:
        res = run.res
        h, w = row1 - row0, res.dem.width
        bt = affine_mul(res.dem.transform, Affine.translation(0, row0))
        cty = res.counties.rasterize(bt, (h, w))
        inside = cty > 0
        steep = (slope != SLOPE_NODATA) & (slope >= run.thr)
        return cls(
            row0,
            row1,
            bt,
            slope,
            cty,
            run.zone_index(res.townships, run.n_t, bt, h),
            run.zone_index(res.units, run.n_u, bt, h),
            np.broadcast_to(run.areas.rows(row0, row1), (h, w)),
            inside,
            steep,
            steep & inside,
            _boundary_cells(run.edge_zones, bt, h, w),
        )


@dataclass
class _Scan:
    """What the band scan gathers for the later steps (label ids are global: band offset + band label)."""

    band_masks: list[_BandMask]
    lab_area: list[np.ndarray]  # cell area of each label: an upper bound of its clipped area
    lab_bnd: list[np.ndarray]  # label holds boundary cells
    seams: list[np.ndarray]  # label pairs touching across a band seam
    centre: list[_CentreStats]
    inner: list[_InnerStats]
    bcells: list[_BandBoundaryCells]
    county_cells: np.ndarray  # m² of county on the grid (cell centres)
    county_noslope: np.ndarray
    excluded_area: np.ndarray  # steep m² inside each exclusion
    ct_pairs: np.ndarray  # cells per (county, 乡镇)
    cu_pairs: np.ndarray  # cells per (county, 小流域)
    steep_area: float = 0.0  # before exclusions and minimum (cell centres)
    n_labels: int = 0
    prev_last: np.ndarray | None = None  # global labels of the previous band's last row
    early_dropped: int = 0
    early_dropped_m2: float = 0.0

    @classmethod
    def start(cls, run: _Run) -> _Scan:
        n_c, n_t, n_u = run.n_c, run.n_t, run.n_u
        return cls(
            [],
            [np.zeros(1)],
            [np.zeros(1, bool)],
            [],
            [],
            [],
            [],
            np.zeros(n_c + 1),
            np.zeros(n_c + 1),
            np.zeros(len(run.excl)),
            np.zeros((n_c + 1) * (n_t + 1), np.int64),
            np.zeros((n_c + 1) * (n_u + 1), np.int64),
        )


@dataclass
class _Components:
    """Labels joined across band seams: component of each global label and what is known of each component."""

    comp: np.ndarray  # component of each global label
    cand: np.ndarray  # component may reach the minimum patch
    first: np.ndarray  # first (row-major) label of each component
    bnd: np.ndarray  # component holds boundary cells


class _Traced(NamedTuple):
    """Cell-edge polygons: of each interior piece (by its index in the interior keys) and each boundary strip."""

    inner_polys: dict
    inner_bands: dict  # bands the polygons come from (one band: no dissolve needed)
    strips: dict
    strip_bands: dict


class _PieceRow(NamedTuple):
    key: int  # piece key (component-level, `_Keys`)
    area_m2: float
    centre_idx: int | None  # index in the centre stats
    n_centres: int


def _run(res: SteepResult, excl: list[Zones], options: SteepOptions, feedback: Feedback) -> None:
    """Steps 1–7 of the module docstring: scan the bands, join components, trace, clip, build the pieces."""
    run = _Run.make(res, excl, options)
    scan = _scan_bands(run, options, feedback, SubFeedback(feedback, 0, 60))
    _record_scan(run, scan, feedback)
    if scan.n_labels == 0:
        _empty(res, feedback)
        return

    comps = _join_components(scan, run.min_m2)
    scan.lab_area.clear()
    scan.lab_bnd.clear()
    inner = _InnerStats(*_regroup(scan.inner, comps, run.keys, "sum"))
    centre = _CentreStats(*_regroup(scan.centre, comps, run.keys, "sum", "max"))
    scan.inner.clear()
    scan.centre.clear()

    # trace interior pieces and boundary strips of the candidate components
    bcomps = np.flatnonzero(comps.cand & comps.bnd)
    traced = _trace(
        res, scan.band_masks, comps.comp, comps.cand, run.keys, inner.keys, bcomps, SubFeedback(feedback, 60, 80)
    )
    scan.band_masks.clear()

    clipped = _clip_strips(run, bcomps, traced, feedback, SubFeedback(feedback, 80, 95))
    traced.strips.clear()
    traced.strip_bands.clear()

    rows = _piece_rows(inner, centre, clipped)
    kept = _keep_patches(res, rows, run.keys, run.min_m2, scan)
    if not kept:
        _empty(res, feedback)
        return
    patch_id = _patch_ids(res, kept, comps.first)
    bc = _BoundaryCells(scan.bcells, comps.comp, res.dem.transform)
    scan.bcells.clear()
    res.pieces = _build_pieces(run, rows, kept, patch_id, inner, centre, traced, clipped, bc)
    res.stats["patch_count"] = res.patch_count
    res.stats["piece_count"] = len(res.pieces)


def _scan_bands(run: _Run, options: SteepOptions, feedback: Feedback, progress: Feedback) -> _Scan:
    """Steps 1–3 per band: slope, candidate cells, band labels; keeps only packed masks and per-label sums."""
    dem = run.res.dem
    scan = _Scan.start(run)
    # each band is read once (plus two halo rows): a small block cache is enough, and GDAL's
    # default (5 % of RAM) would otherwise fill with the whole DEM and dominate the peak RSS
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_BYTES), rasterio.open(dem.path) as src:
        for row0, row1, z in dem.bands(src, options.band_cells):
            feedback.check()
            dx, dy = dem.spacing(np.arange(row0 - 1, row1 + 1))
            slope = slope_block(z, dx, dy, skip_below_deg=float(run.thr))  # exact slope where it can reach thr
            del z
            band = _Band.read(run, row0, row1, slope)
            _count_cells(run, scan, band)
            mask, exc_c = _candidates(run, scan, band)
            labels, n, lab_area, mask = _label_band(run, scan, band, mask)
            _record_band(run, scan, band, labels, n, lab_area, mask, exc_c, options.connectivity)
            progress.progress(100.0 * row1 / dem.height)
    return scan


def _count_cells(run: _Run, scan: _Scan, band: _Band) -> None:
    """County area on the grid, area without slope, steep area, and the (county, zone) pairs that have cells."""
    cty, area, inside = band.cty, band.area, band.inside
    scan.county_cells += np.bincount(cty.ravel(), weights=area.ravel(), minlength=run.n_c + 1)
    nos = inside & (band.slope == SLOPE_NODATA)
    if nos.any():
        scan.county_noslope += np.bincount(cty[nos], weights=area[nos], minlength=run.n_c + 1)
    scan.steep_area += float(area[band.steep_in].sum())
    if band.tw is not None:
        scan.ct_pairs += np.bincount(
            (cty[inside].astype(np.int64) * (run.n_t + 1) + band.tw[inside]), minlength=scan.ct_pairs.size
        )
    if band.un is not None:
        scan.cu_pairs += np.bincount(
            (cty[inside].astype(np.int64) * (run.n_u + 1) + band.un[inside]), minlength=scan.cu_pairs.size
        )


def _candidates(run: _Run, scan: _Scan, band: _Band) -> tuple[np.ndarray, np.ndarray | None]:
    """Candidate cells of a band, and the cells centred in an exclusion (None without exclusions).

    Steep cells the county covers with positive area (centre inside, or a boundary cell overlapping it),
    less cells wholly inside an exclusion; boundary cells are clipped later.
    """
    bt, shape = band.bt, band.shape
    mask = band.steep_in.copy()
    probe = band.steep & band.bnd & ~band.inside
    if probe.any():
        probe &= run.res.counties.rasterize(bt, shape, all_touched=True) > 0
        if probe.any():
            mask |= _overlapping(run.prep.county, bt, probe)
    if not run.excl:
        return mask, None
    exc_c = np.zeros(shape, bool)
    for i, ez in enumerate(run.excl):
        e = ez.rasterize(bt, shape) > 0
        scan.excluded_area[i] += float(band.area[band.steep_in & e].sum())
        exc_c |= e
    mask &= ~(exc_c & ~band.bnd)
    probe = mask & exc_c  # boundary cells centred in an exclusion: erased when one covers them wholly
    if probe.any():
        for pz in run.prep.excl:
            mask &= ~_within(pz, bt, probe & mask)
    return mask, exc_c


def _label_band(
    run: _Run, scan: _Scan, band: _Band, mask: np.ndarray
) -> tuple[np.ndarray, int, np.ndarray, np.ndarray]:
    """(labels, count, cell area per label, mask) of a band, less the complete patches already too small."""
    area = band.area
    labels, n = ndimage.label(mask, structure=run.structure)
    lab_area = np.bincount(labels.ravel(), weights=area.ravel(), minlength=n + 1)
    if n and run.min_m2 > 0:
        # a patch touching neither band edge is complete, and its cell area bounds its clipped
        # area: drop it now if small, so memory holds only big or unfinished patches
        small = lab_area < run.min_m2
        small[0] = False
        small[labels[0]] = False
        small[labels[-1]] = False
        if small.any():
            scan.early_dropped += int(small.sum())
            scan.early_dropped_m2 += float(lab_area[small].sum())
            mask &= ~small[labels]
            labels, n = ndimage.label(mask, structure=run.structure)
            lab_area = np.bincount(labels.ravel(), weights=area.ravel(), minlength=n + 1)
    return labels.astype(np.int32, copy=False), n, lab_area, mask


def _record_band(
    run: _Run,
    scan: _Scan,
    band: _Band,
    labels: np.ndarray,
    n: int,
    lab_area: np.ndarray,
    mask: np.ndarray,
    exc_c: np.ndarray | None,
    connectivity: int,
) -> None:
    """Keep what the later steps need of a band: seam pairs, per-label sums, per-piece stats, packed masks."""
    offset = scan.n_labels
    first = np.where(labels[0] > 0, labels[0].astype(np.int64) + offset, 0)
    if scan.prev_last is not None and n:
        scan.seams.append(_seam_pairs(scan.prev_last, first, connectivity))
    scan.prev_last = np.where(labels[-1] > 0, labels[-1].astype(np.int64) + offset, 0)
    scan.lab_area.append(lab_area[1:])
    sel = labels > 0
    bsel = sel & band.bnd
    lb = np.zeros(n + 1, bool)
    lb[labels[bsel]] = True
    scan.lab_bnd.append(lb[1:])
    if n:
        _piece_stats(run, scan, band, labels, sel, exc_c)
        if bsel.any():
            r, c = np.nonzero(bsel)
            scan.bcells.append(
                _BandBoundaryCells(
                    labels[r, c].astype(np.int64) + offset,
                    (r + band.row0).astype(np.int32),
                    c.astype(np.int32),
                    band.slope[r, c],
                )
            )
    scan.band_masks.append(
        _BandMask(band.row0, band.row1, np.packbits(mask, axis=None), np.packbits(bsel, axis=None), offset)
    )
    scan.n_labels += n


def _piece_stats(
    run: _Run, scan: _Scan, band: _Band, labels: np.ndarray, sel: np.ndarray, exc_c: np.ndarray | None
) -> None:
    """Band-level stats by piece key: cells whose centre is in their piece, and its interior cells (wholly in it)."""
    cen = sel & band.inside
    if exc_c is not None:
        cen &= ~exc_c
    k = run.keys.make(
        labels[cen] + scan.n_labels,
        band.cty[cen],
        band.tw[cen] if band.tw is not None else None,
        band.un[cen] if band.un is not None else None,
    )
    s = band.slope[cen].astype(np.float64)
    whole = ~band.bnd[cen]
    g = _group(
        k,
        (s, "sum"),
        (s, "max"),
        (np.where(whole, band.area[cen], 0.0), "sum"),
        (whole.astype(np.int64), "sum"),
    )
    s_sum, s_max, inner_area, inner_count = g.values
    scan.centre.append(_CentreStats(g.keys, g.counts, s_sum, s_max))
    has_inner = inner_count > 0
    scan.inner.append(_InnerStats(g.keys[has_inner], inner_count[has_inner], inner_area[has_inner]))


def _record_scan(run: _Run, scan: _Scan, feedback: Feedback) -> None:
    """Grid coverage, steep and excluded areas, the zones of each county, and the patches dropped in their band."""
    res, n_c = run.res, run.n_c
    res.stats.update(
        county_grid_ha={res.counties.codes[i - 1]: scan.county_cells[i] / 1e4 for i in range(1, n_c + 1)},
        county_no_slope_ha={res.counties.codes[i - 1]: scan.county_noslope[i] / 1e4 for i in range(1, n_c + 1)},
        steep_before_exclusions_ha=scan.steep_area / 1e4,
        excluded_steep_ha={z.label: scan.excluded_area[i] / 1e4 for i, z in enumerate(run.excl)},
        boundary_rule="exact polygon clip (see help)",
    )
    res.county_township = _pairs_by_county(scan.ct_pairs, n_c, run.n_t)
    res.county_unit = _pairs_by_county(scan.cu_pairs, n_c, run.n_u)
    _coverage_messages(res, scan.county_cells, scan.county_noslope, feedback)
    res.stats.update(
        patches_before_minimum=scan.early_dropped,
        dropped_small_patches=scan.early_dropped,
        dropped_small_ha=scan.early_dropped_m2 / 1e4,
    )


def _join_components(scan: _Scan, min_m2: float) -> _Components:
    """Join labels across band seams → connected cell groups ("components"); drop those whose cells fall short."""
    n_labels = scan.n_labels
    edges = np.concatenate(scan.seams) if scan.seams else np.empty((0, 2), np.int64)
    graph = coo_matrix((np.ones(len(edges), np.int8), (edges[:, 0], edges[:, 1])), shape=(n_labels + 1, n_labels + 1))
    _, comp = connected_components(graph, directed=False)
    comp = comp.astype(np.int64)
    n_comp = int(comp.max()) + 1
    lab_area = np.concatenate(scan.lab_area)
    comp_ub = np.bincount(comp, weights=lab_area, minlength=n_comp)
    comp_first = np.full(n_comp, np.iinfo(np.int64).max)
    np.minimum.at(comp_first, comp[1:], np.arange(1, n_labels + 1, dtype=np.int64))
    comp_bnd = np.bincount(comp, weights=np.concatenate(scan.lab_bnd).astype(np.float64), minlength=n_comp) > 0
    has = comp_first < np.iinfo(np.int64).max
    cand = has & (comp_ub >= min_m2)
    ub_small = has & ~cand
    scan.early_dropped += int(ub_small.sum())
    scan.early_dropped_m2 += float(comp_ub[ub_small].sum())
    return _Components(comp, cand, comp_first, comp_bnd)


def _regroup(parts: list, comps: _Components, keys: _Keys, *how: str) -> tuple:
    """Band-level stats (keys, counts, values…) regrouped by component-level key, candidates only."""
    if not parts:
        return (np.empty(0, np.int64), np.empty(0, np.int64)) + tuple(np.empty(0) for _ in how)
    k = np.concatenate([p[0] for p in parts])
    c = comps.comp[k // keys.kl]
    sel = comps.cand[c]
    ck = c[sel] * keys.kl + k[sel] % keys.kl
    vals = [(np.concatenate([p[1] for p in parts])[sel].astype(np.float64), "sum")]
    vals += [(np.concatenate([p[2 + i] for p in parts])[sel], h) for i, h in enumerate(how)]
    g = _group(ck, *vals)
    return (g.keys, np.round(g.values[0]).astype(np.int64)) + g.values[1:]


def _clip_strips(run: _Run, bcomps: np.ndarray, traced: _Traced, feedback: Feedback, progress: Feedback) -> dict:
    """Clip the boundary strips exactly by the polygons → {component-level piece key: (geometry, m²)}."""
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.ops import unary_union

    res, keys = run.res, run.keys
    t = res.dem.transform
    tol = abs(t.a * t.e) * 1e-9
    geod_area = AreaCalc(res.dem.crs)
    clipped = {}
    for j, cidx in enumerate(bcomps):
        feedback.check()
        rings = traced.strips.get(j)
        if not rings:
            continue
        polys = [Polygon(q[0], q[1:]) for q in rings]
        if len(traced.strip_bands.get(j, ())) <= 1:
            # one band: the traced regions touch at most at corners, a valid MultiPolygon as they are
            strip = polys[0] if len(polys) == 1 else MultiPolygon(polys)
        else:
            strip = unary_union(polys)
        for (c, tw_, un_), g in _clip(res, run.excl, run.prep, strip, tol).items():
            k = int(cidx) * int(keys.kl) + c * int(keys.kc) + tw_ * int(keys.kt) + un_
            clipped[k] = (g, geod_area(g))
        progress.progress(100.0 * (j + 1) / max(1, len(bcomps)))
    return clipped


def _piece_rows(inner: _InnerStats, centre: _CentreStats, clipped: dict) -> list[_PieceRow]:
    """Pieces = interior cells ∪ clipped strip, per (component, county, 乡镇, 小流域), less slivers."""
    all_keys = np.union1d(inner.keys, np.fromiter(clipped.keys(), np.int64, len(clipped)))
    ipos = {int(k): i for i, k in enumerate(inner.keys)}
    cpos = {int(k): i for i, k in enumerate(centre.keys)}
    rows = []
    for key in all_keys:
        k = int(key)
        i = ipos.get(k)
        a = (inner.area[i] if i is not None else 0.0) + (clipped[k][1] if k in clipped else 0.0)
        ci = cpos.get(k)
        ncen = int(centre.n_cells[ci]) if ci is not None else 0
        if a <= 0 or (ncen == 0 and a < SLIVER_M2):
            continue
        rows.append(_PieceRow(k, a, ci, ncen))
    return rows


def _keep_patches(res: SteepResult, rows: list[_PieceRow], keys: _Keys, min_m2: float, scan: _Scan) -> set:
    """The (component, county) patches whose final area reaches the minimum; counts the dropped ones."""
    patch_area: defaultdict[tuple[int, int], float] = defaultdict(float)
    for row in rows:
        c_, county_, _, _ = keys.split(row.key)
        patch_area[(c_, county_)] += row.area_m2
    kept = {pk for pk, a in patch_area.items() if a >= min_m2}
    dropped = [a for pk, a in patch_area.items() if pk not in kept]
    res.stats["patches_before_minimum"] = len(patch_area) + scan.early_dropped
    res.stats["dropped_small_patches"] = len(dropped) + scan.early_dropped
    res.stats["dropped_small_ha"] = (sum(dropped) + scan.early_dropped_m2) / 1e4
    return kept


def _patch_ids(res: SteepResult, kept: set, comp_first: np.ndarray) -> dict:
    """Stable ids: per county, sequence by the component's first cell (labels follow row-major order)."""
    patch_id = {}
    seq: defaultdict[int, int] = defaultdict(int)
    width = max(6, len(str(len(kept))))
    for c_, county_ in sorted(kept, key=lambda pk: (pk[1], comp_first[pk[0]])):
        seq[county_] += 1
        patch_id[(c_, county_)] = f"{res.counties.codes[county_ - 1]}-{seq[county_]:0{width}d}"
    return patch_id


def _zone_code(zones: Zones | None, idx: int) -> str:
    return zones.codes[idx - 1] if zones is not None and idx else ""


def _build_pieces(
    run: _Run,
    rows: list[_PieceRow],
    kept: set,
    patch_id: dict,
    inner: _InnerStats,
    centre: _CentreStats,
    traced: _Traced,
    clipped: dict,
    bc: _BoundaryCells,
) -> list[Piece]:
    """The pieces of the kept patches with their ids, slope and geometry, in id order."""
    res, keys = run.res, run.keys
    pieces = []
    for row in rows:
        c_, county_, tw_, un_ = keys.split(row.key)
        if (c_, county_) not in kept:
            continue
        area_ha = round(row.area_m2 / 1e4, 4)
        p = Piece("", patch_id[(c_, county_)], county_, tw_, un_, area_ha, 0.0, 0.0, row.n_centres, key=row.key)
        if row.n_centres and row.centre_idx is not None:
            ci = row.centre_idx
            p.slope_mean = round(float(centre.slope_sum[ci]) / row.n_centres, 2)
            p.slope_max = round(float(centre.slope_max[ci]), 2)
        pieces.append(p)
    pieces.sort(key=lambda p: (p.parent_id, _zone_code(res.townships, p.township), _zone_code(res.units, p.unit)))
    ipos = {int(k): i for i, k in enumerate(inner.keys)}
    idx_in_parent: defaultdict[str, int] = defaultdict(int)
    for p in pieces:
        idx_in_parent[p.parent_id] += 1
        p.patch_id = f"{p.parent_id}-{idx_in_parent[p.parent_id]:02d}"
        p.wkb = _piece_wkb(ipos.get(p.key), clipped.get(p.key), traced)
        if not p.cells:
            # a sliver holding no cell centre: the slope of the boundary cells it overlaps
            p.slope_mean, p.slope_max = bc.slope(keys.split(p.key)[0], p.geometry)
    return pieces


def _piece_wkb(i: int | None, clip: tuple | None, traced: _Traced) -> bytes:
    """WKB of a piece: its interior polygons (index i of the interior keys) ∪ its clipped strip."""
    from shapely.geometry import Polygon
    from shapely.ops import unary_union

    polys = traced.inner_polys.get(i, []) if i is not None else []
    clip_g = clip[0] if clip is not None else None
    if clip_g is None and len(traced.inner_bands.get(i, ())) <= 1:
        return _multipolygon_wkb(polys)
    g = unary_union([Polygon(q[0], q[1:]) for q in polys] + ([clip_g] if clip_g is not None else []))
    return _multipolygon_wkb(
        [
            oriented_rings([np.asarray(q.exterior.coords)] + [np.asarray(r.coords) for r in q.interiors])
            for q in polygon_parts(g)
        ]
    )


class _BoundaryCells:
    """Boundary cells by component, for the slope of pieces that hold no cell centre."""

    def __init__(self, bcells: list[_BandBoundaryCells], comp: np.ndarray, t: Affine):
        self.t = t
        if bcells:
            lab = np.concatenate([b.label for b in bcells])
            self.comp = comp[lab]
            self.r = np.concatenate([b.row for b in bcells])
            self.c = np.concatenate([b.col for b in bcells])
            self.s = np.concatenate([b.slope for b in bcells]).astype(np.float64)
            order = np.argsort(self.comp, kind="stable")
            self.comp, self.r, self.c, self.s = self.comp[order], self.r[order], self.c[order], self.s[order]
        else:
            self.comp = np.empty(0, np.int64)

    def slope(self, comp: int, geom) -> tuple[float, float]:
        from shapely.geometry import box

        a, b = np.searchsorted(self.comp, [comp, comp + 1])
        t = self.t
        vals = []
        for r, c, s in zip(self.r[a:b], self.c[a:b], self.s[a:b]):
            x0, y0 = affine_mul(t, (c, r))
            x1, y1 = affine_mul(t, (c + 1, r + 1))
            if geom.intersection(box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))).area > 0:
                vals.append(s)
        if not vals:
            return 0.0, 0.0
        return round(float(np.mean(vals)), 2), round(float(np.max(vals)), 2)


def _trace(res: SteepResult, band_masks, comp, cand, keys: _Keys, ikeys, bcomps, feedback) -> _Traced:
    """Rebuild each band's labels from its packed masks; trace the cell-edge polygons of the interior pieces and
    the boundary strips."""
    from rasterio import features

    dem = res.dem
    W = dem.width
    n_t = res.townships.count if res.townships else 0
    n_u = res.units.count if res.units else 0
    structure = ndimage.generate_binary_structure(2, 2 if res.connectivity == 8 else 1)
    n_i = len(ikeys)
    bpos = np.full(comp.max() + 1 if comp.size else 1, -1, np.int64)
    bpos[bcomps] = np.arange(len(bcomps))
    inner_polys, inner_bands, strips, strip_bands = (
        defaultdict(list),
        defaultdict(set),
        defaultdict(list),
        defaultdict(set),
    )
    for bi, (row0, row1, packed, packed_b, offset) in enumerate(band_masks):
        feedback.check()
        h = row1 - row0
        mask = np.unpackbits(packed, count=h * W).reshape(h, W).astype(bool)
        if not mask.any():
            continue
        labels, n = ndimage.label(mask, structure=structure)
        if not cand[comp[offset + 1 : offset + n + 1]].any():
            continue
        sel = labels > 0
        c = comp[labels[sel].astype(np.int64) + offset]
        okc = cand[c]
        bmask = np.unpackbits(packed_b, count=h * W).reshape(h, W).astype(bool)
        bsel = bmask[sel]
        vals = np.zeros(c.size, np.int32)
        inn = okc & ~bsel
        if inn.any():
            bt = affine_mul(dem.transform, Affine.translation(0, row0))
            cty = res.counties.rasterize(bt, (h, W))[sel][inn]
            tw = res.townships.rasterize(bt, (h, W))[sel][inn] if res.townships is not None and n_t else None
            un = res.units.rasterize(bt, (h, W))[sel][inn] if res.units is not None and n_u else None
            k = keys.make(c[inn], cty, tw, un)
            pos = np.minimum(np.searchsorted(ikeys, k), n_i - 1)
            vals[inn] = np.where(ikeys[pos] == k, pos + 1, 0)
        bd = okc & bsel
        if bd.any():
            vals[bd] = n_i + 1 + bpos[c[bd]]
        burn = np.zeros((h, W), np.int32)
        burn[sel] = vals
        for geom, value in features.shapes(burn, mask=burn > 0, connectivity=4, transform=Affine(1, 0, 0, 0, 1, row0)):
            v = int(value) - 1
            rings = _world_polygon(geom["coordinates"], dem.transform)
            if v < n_i:
                inner_polys[v].append(rings)
                inner_bands[v].add(bi)
            else:
                strips[v - n_i].append(rings)
                strip_bands[v - n_i].add(bi)
        feedback.progress(100.0 * row1 / dem.height)
    return _Traced(inner_polys, inner_bands, strips, strip_bands)


def _pairs_by_county(counts: np.ndarray, n_c: int, n_z: int) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
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
        m = (
            f"{res.counties.label}: {len(off)} 个县不在 DEM 范围内，不列入表格 / "
            f"{len(off)} count(y/ies) lie outside the DEM and are left out of the tables: {shown}"
        )
        res.messages.append(m)
        feedback.info(m)
    for i, code in enumerate(res.counties.codes, start=1):
        grid_ha = county_cells[i] / 1e4
        cover[code] = {
            "polygon_ha": round(float(poly_ha[i]), 2),
            "on_dem_ha": round(grid_ha, 2),
            "no_slope_ha": round(county_noslope[i] / 1e4, 2),
        }
        if grid_ha > 0 and poly_ha[i] > 0 and grid_ha < 0.99 * poly_ha[i]:
            share = 100 * grid_ha / poly_ha[i]
            m = f"{res.counties.label} {code}: DEM 只覆盖县域的 {share:.1f}% / "
            m += f"the DEM covers only {share:.1f}% of the county"
            res.messages.append(m)
            feedback.info(m)
        if grid_ha > 0 and county_noslope[i] / county_cells[i] > 0.01:
            m = (
                f"{res.counties.label} {code}: {county_noslope[i] / 1e4:.2f} ha 无坡度(DEM 无数据或边缘) / "
                "have no slope (DEM NoData or edge); not counted as steep"
            )
            res.messages.append(m)
            feedback.info(m)
    res.stats["county_coverage"] = cover


def _empty(res: SteepResult, feedback) -> None:
    res.pieces = []
    res.stats.setdefault("patch_count", 0)
    res.stats["patch_count"] = 0
    res.stats["piece_count"] = 0
    m = (
        f"没有达到阈值 {res.threshold.value:g}° 的陡坡图斑 / no steep-slope patch reaches the threshold of "
        f"{res.threshold.value:g}° (after exclusions and the minimum patch)"
    )
    res.messages.append(m)
    feedback.info(m)


def _world_polygon(rings, t) -> list:
    """Rings of rasterio.features.shapes (cell indices) in world coordinates, oriented."""
    out = []
    for ring in rings:
        a = np.asarray(ring, dtype=np.float64)
        xy = np.empty_like(a)
        xy[:, 0] = t.c + a[:, 0] * t.a
        xy[:, 1] = t.f + a[:, 1] * t.e
        out.append(xy)
    return oriented_rings(out)


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
    destinations: dict | None = None,
    coverage: dict | None = None,
) -> tuple[SteepResult, dict]:
    """Delineate and write the layer, tables and metadata; returns (result, output paths).

    ``destinations``: output paths the user chose (keys of ``steep_outputs.output_paths``).
    ``coverage``: county code → share of the county the DEM covers (core.common.coverage), written with the results.
    """
    from pathlib import Path

    feedback = feedback or Feedback()
    if Path(out_layer).suffix.lower() != ".gpkg":
        raise InputError(
            "输出图层 output layer",
            f"输出图层必须是 GeoPackage (.gpkg): {out_layer}",
            f"the output layer must be a GeoPackage (.gpkg): {out_layer}",
        )
    output_paths(out_layer, tables_dir, destinations)  # refuses two outputs on one file before any work
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
    paths = write_outputs(res, out_layer, tables_dir, inputs, parameters, feedback, destinations, coverage)
    feedback.progress(100)
    feedback.info(
        f"图斑 {res.patch_count} 个 / patches, {len(res.pieces)} 块 / pieces, 合计 total {res.total_ha:.2f} ha"
    )
    return res, paths
