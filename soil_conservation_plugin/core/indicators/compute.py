"""Indicators per small watershed (小流域): slope classes, SL 190 erosion, vegetation, overlaps.

How raster values reach a unit (exact, in true ground area):

* **Label counting** – the unit raster of the watershed step (int32 labels and its
  ``.codes.csv``) is counted as it is on its own grid. Without it, when every vertex of
  the units lies on a node of the raster's grid and every edge along a grid line (units
  delineated on that grid), each cell lies wholly inside one unit: the runs of cells of
  one unit along each row come straight from the polygons' vertical edges (no label
  raster; where units overlap, those bands fall back to coverage weighting). Each raster
  is then read once per band in its stored dtype and counted over those runs in one
  compiled, threaded pass that classifies as it goes (no float64 or class copies).
* **Coverage weighting** – otherwise each cell counts with the exact fraction of
  its area inside the polygon (polygon ∩ cell), computed analytically from the
  polygon's edges by Green's theorem: for every edge piece inside one cell,
  ∫ (row bottom − v) du gives the covered part of that cell and a full ``du`` goes to
  every cell below it (summed down the column). No supersampling, no centre rule; the
  result equals shapely's polygon∩square area to rounding. Cells count only when their
  fraction exceeds 1e-12. Forcing "label" on units off the grid gives each cell to the
  unit covering more than half of it (approximate).

Each cell then weighs ``fraction × ground area of its row`` (``crs.row_spacing``:
metres of a projected grid, ellipsoidal radii on a geographic one). Units in
another CRS are reprojected on the fly to each raster's CRS (vertices only; rasters
are never resampled).

Shares: slope classes of the valid slope area (edge and NoData cells of the 3×3
window have no slope); land-use shares of the valid land-use area; FVC mean of
valid cells; erosion classes, 水土流失面积 and 水土保持率 of the unit's area on the
erosion grid (``eros_nodata_pct`` says how much has no data). A unit whose valid cells of a raster
cover less than resources/rules/data_coverage.json's minimum share (a default) gets NULL for that
raster's indicators and the raster named in ``lacks_data``: never a made-up 100 % 水土保持率.
Unit areas and overlaps (生态保护红线 etc.) are measured on the ellipsoid.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
import rasterio
from pyproj import CRS, Transformer
from rasterio.windows import Window

from ..common.crs import check_ground_crs, row_spacing
from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..common.geo import AreaCalc, polygon_parts
from ..common.input_checks import check_geographic_extent, check_raster
from ..common.io import atomic_path
from ..common.paths import resources_path
from ..common.tables import read_csv
from ..terrain.dem import open_dem
from ..terrain.slope import SLOPE_NODATA, slope_bands
from ..terrain.slope_classes import slope_classes

UNIT_CODE = "unit_code"
OVERLAY_KINDS = {
    "redline": ("生态保护红线", "ecological protection red line"),
    "water_source": ("水源保护区", "water-source protection zone"),
    "reserve": ("自然保护区", "nature reserve"),
}
BAND_CELLS = 1 << 24

# name → (zh, en, unit, lower, upper) of the indicators every run has; indicator_registry() adds the rest.
BASE_INDICATORS: dict[str, tuple] = {
    "unit_area_km2": ("小流域面积(椭球)", "unit area (ellipsoidal)", "km²", 0, None),
    "slope_mean_deg": ("平均坡度", "mean slope", "°", 0, 90),
    "steep_pct": ("陡坡(≥省定阈值)面积占比", "share of steep slope (≥ province threshold)", "%", 0, 100),
    "steep_km2": ("陡坡面积", "steep-slope area", "km²", 0, None),
    "erosion_modulus_mean": ("平均侵蚀模数", "mean erosion modulus", "t/(km²·a)", 0, None),
    "loss_km2": ("水土流失面积(轻度及以上)", "soil-loss area (light and above)", "km²", 0, None),
    "loss_pct": ("水土流失面积占比", "soil-loss share", "%", 0, 100),
    "moderate_plus_pct": ("中度及以上侵蚀面积占比", "share of moderate-and-above erosion", "%", 0, 100),
    "intense_plus_pct": ("强烈及以上侵蚀面积占比", "share of intense-and-above erosion", "%", 0, 100),
    "conservation_rate_pct": ("水土保持率", "soil-conservation rate", "%", 0, 100),
    "eros_nodata_pct": ("侵蚀栅格无数据占比", "share without erosion data", "%", 0, 100),
    "fvc_mean": ("平均植被覆盖度", "mean vegetation cover (FVC)", "0–1", 0, 1),
    "forest_grass_pct": ("林草覆盖面积占比", "forest and grass share", "%", 0, 100),
    "cropland_pct": ("耕地面积占比", "cropland share", "%", 0, 100),
}


@functools.lru_cache(maxsize=1)
def indicator_registry() -> dict[str, tuple]:
    """name → (zh, en, unit, lower, upper): the registry the rule engine validates against, built once
    from the base indicators, the slope classes, the overlays and the shipped erosion classes and land-use groups."""
    registry = dict(BASE_INDICATORS)
    slope = slope_classes()
    for key, (lo, hi) in zip(slope.ids, slope.bounds):
        registry[key + "_pct"] = (f"坡度{lo:g}–{hi:g}°面积占比", f"share of slope {lo:g}–{hi:g}°", "%", 0, 100)
    for key, (zh, en) in OVERLAY_KINDS.items():
        registry[key + "_km2"] = (f"与{zh}重叠面积", f"overlap with {en}", "km²", 0, None)
        registry[key + "_pct"] = (f"与{zh}重叠面积占比", f"share overlapping {en}", "%", 0, 100)
    erosion = load_erosion_classes()
    for c in erosion["classes"]:
        registry.setdefault(f"eros_{c['id']}_km2", (f"{c['zh']}侵蚀面积", f"{c['id']} erosion area", "km²", 0, None))
    for g in load_landuse_mapping()["groups"]:
        registry.setdefault(f"lu_{g['id']}_pct", (f"{g['zh']}面积占比", f"{g['en']} share", "%", 0, 100))
    return registry


# the flag field: the input layers (slope, erosion, landuse, fvc) whose indicators are NULL for lack of data
LACKS_DATA = "lacks_data"
# columns that describe the data coverage itself: kept even when the indicators are NULL
DATA_SHARE_COLUMNS = ("eros_nodata_pct",)


def load_data_coverage(path=None) -> dict:
    """The minimum share of a unit that valid raster data must cover for its indicators (resources/rules)."""
    from ..common.rules import load_json_rules

    data = load_json_rules(path or resources_path("rules", "data_coverage.json"), "data_coverage.json")
    value = data.get("min_valid_share", {}).get("value")
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not (0 < float(value) <= 1):
        raise InputError(
            "data_coverage.json",
            "min_valid_share.value 必须是 (0, 1] 之间的数",
            "min_valid_share.value must be a number in (0, 1]",
        )
    return data


def load_erosion_classes(path=None) -> dict:
    from ..common.rules import load_json_rules

    return load_json_rules(Path(path or resources_path("rules", "erosion_classes.json")))


MAX_LANDUSE_CODE = 65535  # class codes index a lookup table


def load_landuse_mapping(path=None) -> dict:
    """The land-use class mapping, checked: groups with identifier ids and integer codes, each code in one group."""
    from ..common.rules import load_json_rules

    path = Path(path or resources_path("rules", "landuse_mapping.json"))
    label = f"土地利用映射 land-use mapping {path.name}"
    data = load_json_rules(path, label)

    def bad(zh, en):
        raise InputError(label, zh, en)

    groups = data.get("groups")
    if not isinstance(groups, list) or not groups:
        bad("缺少 groups 列表", "the groups list is missing")
    seen: dict = {}
    for g in groups:
        if not isinstance(g, dict) or not isinstance(g.get("id"), str) or not g["id"].isidentifier():
            bad(f"分组 {g!r} 需要标识符 id", f"group {g!r} needs an identifier id")
        if not isinstance(g.get("zh"), str) or not isinstance(g.get("en"), str):
            bad(f"分组 {g['id']} 需要 zh 和 en 名称", f"group {g['id']} needs zh and en names")
        codes = g.get("codes")
        if not isinstance(codes, list):
            bad(f"分组 {g['id']} 的 codes 必须是列表", f"group {g['id']}: codes must be a list")
        for code in codes:
            if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= MAX_LANDUSE_CODE:
                bad(
                    f"分组 {g['id']} 的代码 {code!r} 必须是 0–{MAX_LANDUSE_CODE} 的整数",
                    f"group {g['id']}: code {code!r} must be an integer 0–{MAX_LANDUSE_CODE}",
                )
            if code in seen and seen[code] != g["id"]:
                bad(
                    f"代码 {code} 同时属于 {seen[code]} 和 {g['id']}",
                    f"code {code} is in both {seen[code]} and {g['id']}",
                )
            seen[code] = g["id"]
    ids = {g["id"] for g in groups} | {"other"}
    for key in ("forest_grass_groups", "cropland_groups"):
        names = data.get(key)
        if not isinstance(names, list) or any(n not in ids for n in names):
            bad(
                f"{key} 必须列出已定义的分组 ({', '.join(sorted(ids))})",
                f"{key} must list defined groups ({', '.join(sorted(ids))})",
            )
    nodata = data.get("nodata_codes", [])
    if not isinstance(nodata, list) or any(
        isinstance(c, bool) or not isinstance(c, int) or not 0 <= c <= MAX_LANDUSE_CODE for c in nodata
    ):
        bad(
            f"nodata_codes 必须是 0–{MAX_LANDUSE_CODE} 的整数列表",
            f"nodata_codes must be a list of integers 0–{MAX_LANDUSE_CODE}",
        )
    return data


def _register_landuse(mapping: dict) -> None:
    """Groups of a user's land-use mapping join the registry (as before: the rule engine then knows them)."""
    registry = indicator_registry()
    for g in mapping["groups"]:
        registry.setdefault(f"lu_{g['id']}_pct", (f"{g['zh']}面积占比", f"{g['en']} share", "%", 0, 100))


# --------------------------------------------------------------------------
# grids and units in grid coordinates
# --------------------------------------------------------------------------
@dataclass
class Grid:
    transform: object
    width: int
    height: int
    crs: CRS
    rio_crs: object = None
    nodata: float | None = None

    def key(self):
        return (tuple(round(v, 9) for v in self.transform[:6]), self.width, self.height, self.crs.to_wkt())

    def row_area(self, row0: int, row1: int) -> np.ndarray:
        dx, dy = row_spacing(self.crs, self.transform, np.arange(row0, row1))
        return np.asarray(dx * dy, dtype=np.float64)

    def band_rows(self) -> int:
        return int(max(16, min(self.height, BAND_CELLS // max(1, self.width))))


def open_grid(path, layer: str, crs_cache: dict | None = None) -> Grid:
    """The raster's grid, checked as open_dem does (readable, a ground CRS, north-up); nodata in grid.nodata.

    ``crs_cache``: WKT → checked pyproj CRS, shared by the rasters of one run (parsing and checking a
    CRS takes milliseconds, and the rasters of a run mostly share one)."""
    if crs_cache is None:
        r = open_dem(path, layer, require_data=False, window=False)
        grid = Grid(r.transform, r.width, r.height, r.crs, r.rio_crs)
        grid.nodata = r.nodata
        return grid
    check_raster(path, layer)
    try:
        src = rasterio.open(str(path))
    except Exception as exc:  # the same words as open_dem
        raise InputError(layer, f"无法读取栅格文件 {path}: {exc}", f"cannot read raster {path}: {exc}") from exc
    with src:
        wkt = src.crs.to_wkt() if src.crs else ""
        crs = crs_cache.get(wkt) if wkt else None
        if crs is None:
            crs = check_ground_crs(src.crs, layer)
            crs_cache[wkt] = crs
        t = src.transform
        if t.b != 0 or t.d != 0:
            raise InputError(
                layer, "栅格带旋转参数，请先重采样为正北方向", "raster is rotated; resample it north-up first"
            )
        check_geographic_extent(crs, tuple(src.bounds), layer)
        grid = Grid(t, src.width, src.height, crs, src.crs)
        grid.nodata = src.nodata
        return grid


@dataclass
class UnitRings:
    """All rings of all units in the grid's (column u, row v) coordinates, closed, flattened."""

    u: np.ndarray
    v: np.ndarray
    ring_start: np.ndarray  # (n_rings + 1,)
    ring_sign: np.ndarray  # +1 / -1 so that every exterior counts positive
    unit_ring: np.ndarray  # (n_units + 1,) ring index range per unit
    bbox: np.ndarray  # (n_units, 4) row0, row1, col0, col1 (row1/col1 exclusive), may exceed the grid
    aligned: bool  # every vertex on a grid line: labels are exact


def _wkb_polygons(buf: bytes, pos: int, out: list) -> int:
    """Append (xy, is_hole) of every polygon ring in the WKB at ``pos``; return the position after it."""
    order = "<" if buf[pos] == 1 else ">"
    gtype = int(np.frombuffer(buf, order + "u4", 1, pos + 1)[0])
    pos += 5
    dims = 2
    if gtype & 0x80000000:  # EWKB Z
        dims += 1
    if gtype & 0x40000000:  # EWKB M
        dims += 1
    if gtype & 0x20000000:  # EWKB SRID
        pos += 4
    base = gtype & 0x0FFFFFFF
    if base >= 1000:  # ISO Z / M / ZM
        dims += {1: 1, 2: 1, 3: 2}[base // 1000]
        base %= 1000
    count = int(np.frombuffer(buf, order + "u4", 1, pos)[0])
    pos += 4
    if base == 3:
        for r in range(count):
            n = int(np.frombuffer(buf, order + "u4", 1, pos)[0])
            pos += 4
            xy = np.frombuffer(buf, order + "f8", n * dims, pos).reshape(n, dims)[:, :2].astype(np.float64)
            pos += 8 * n * dims
            out.append((xy, r > 0))
        return pos
    if base in (6, 7):
        for _ in range(count):
            pos = _wkb_polygons(buf, pos, out)
        return pos
    # points and lines inside a collection carry no area: skip them
    if base == 1:
        return pos - 4 + 8 * dims
    if base == 2:
        return pos + 8 * count * dims
    if base in (4, 5):
        for _ in range(count):
            pos = _wkb_polygons(buf, pos, [])
        return pos
    raise ValueError(f"unsupported WKB geometry type {gtype}")


def _wkb_all(geoms) -> list:
    """WKB of each geometry (None stays None): vectorized on shapely 2, one shared writer on shapely 1.8."""
    if isinstance(geoms, (list, tuple)):
        # element by element: numpy would unpack shapely 1.8's multi-part geometries as sequences
        arr = np.empty(len(geoms), dtype=object)
        for i, g in enumerate(geoms):
            arr[i] = g
    else:
        arr = np.asarray(geoms, dtype=object)  # a GeometryArray's own array, without its per-item checks
    try:
        from shapely import to_wkb  # shapely >= 2
    except ImportError:
        from shapely.geos import WKBWriter, lgeos

        writer = WKBWriter(lgeos)
        return [None if g is None else writer.write(g) for g in arr]
    return list(to_wkb(arr))


@numba.njit(cache=True)
def _wkb_u32(buf, pos, little):  # pragma: no cover - compiled
    if little:
        return (
            np.int64(buf[pos])
            | (np.int64(buf[pos + 1]) << 8)
            | (np.int64(buf[pos + 2]) << 16)
            | (np.int64(buf[pos + 3]) << 24)
        )
    return (
        np.int64(buf[pos + 3])
        | (np.int64(buf[pos + 2]) << 8)
        | (np.int64(buf[pos + 1]) << 16)
        | (np.int64(buf[pos]) << 24)
    )


@numba.njit(cache=True)
def _wkb_scan(buf, starts, fill, xy, ring_geom, ring_start, ring_hole):  # pragma: no cover - compiled
    """Walk every geometry's WKB (buf[starts[g]:starts[g + 1]]); count its polygon rings and points, and
    with fill also copy them out. Collections need no stack: their parts follow one another, so a
    count of headers still to read is enough. Returns (rings, points), or (-1, g) on a type it cannot read."""
    n_rings = 0
    n_pts = 0
    for g in range(starts.shape[0] - 1):
        pos = starts[g]
        if pos == starts[g + 1]:
            continue
        todo = 1
        while todo > 0:
            todo -= 1
            little = buf[pos] == 1
            gtype = _wkb_u32(buf, pos + 1, little)
            pos += 5
            dims = 2
            if gtype & 0x80000000:
                dims += 1
            if gtype & 0x40000000:
                dims += 1
            if gtype & 0x20000000:
                pos += 4
            base = gtype & 0x0FFFFFFF
            if base >= 1000:
                dims += 2 if base // 1000 == 3 else 1
                base %= 1000
            if base == 1:  # a point inside a collection: no area
                pos += 8 * dims
                continue
            count = _wkb_u32(buf, pos, little)
            pos += 4
            if base == 3:
                for r in range(count):
                    n = _wkb_u32(buf, pos, little)
                    pos += 4
                    if fill:
                        ring_geom[n_rings] = g
                        ring_start[n_rings] = n_pts
                        ring_hole[n_rings] = r > 0
                        if little:
                            c = buf[pos : pos + 8 * n * dims].view(np.float64)
                            for i in range(n):
                                xy[n_pts + i, 0] = c[i * dims]
                                xy[n_pts + i, 1] = c[i * dims + 1]
                        else:
                            for i in range(n):
                                for d in range(2):
                                    q = pos + 8 * (i * dims + d)
                                    xy[n_pts + i, d] = buf[q : q + 8][::-1].copy().view(np.float64)[0]
                    n_rings += 1
                    n_pts += n
                    pos += 8 * n * dims
            elif base == 2:
                pos += 8 * count * dims
            elif 4 <= base <= 7:
                todo += count
            else:
                return -1, g
    if fill:
        ring_start[n_rings] = n_pts
    return n_rings, n_pts


def ring_arrays(geoms) -> list:
    """Per geometry: [(xy array (n, 2), is_hole), ...]; from WKB, all geometries parsed in one compiled pass
    (the xy arrays are views into one array)."""
    wkbs = _wkb_all(geoms)
    lengths = np.array([0 if b is None else len(b) for b in wkbs], np.int64)
    buf = np.frombuffer(b"".join(b for b in wkbs if b is not None), np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n_rings, n_pts = _wkb_scan(
        buf, starts, False, np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.bool_)
    )
    if n_rings < 0:  # not readable here: the slower reader names the type
        out = []
        for b in wkbs:
            rings: list = []
            if b is not None:
                _wkb_polygons(b, 0, rings)
            out.append(rings)
        return out
    xy = np.empty((n_pts, 2))
    ring_geom = np.empty(n_rings, np.int64)
    ring_start = np.empty(n_rings + 1, np.int64)
    ring_hole = np.empty(n_rings, np.bool_)
    _wkb_scan(buf, starts, True, xy, ring_geom, ring_start, ring_hole)
    out: list = [[] for _ in wkbs]
    for r, (g, a, b, hole) in enumerate(
        zip(ring_geom.tolist(), ring_start[:-1].tolist(), ring_start[1:].tolist(), ring_hole.tolist())
    ):
        out[g].append((xy[a:b], hole))
    return out


def unit_rings(geoms, grid: Grid, rings_xy: list | None = None) -> UnitRings:
    t = grid.transform
    rings_xy = ring_arrays(geoms) if rings_xy is None else rings_xy
    flat = [(k, xy, hole) for k, rings in enumerate(rings_xy) for xy, hole in rings if len(xy) >= 4]
    n = len(rings_xy)
    bbox = np.zeros((n, 4), dtype=np.int64)
    if not flat:
        return UnitRings(
            np.zeros(0), np.zeros(0), np.zeros(1, np.int64), np.zeros(0), np.zeros(n + 1, np.int64), bbox, False
        )
    xy = np.concatenate([f[1] for f in flat])
    u = (xy[:, 0] - t.c) / t.a
    v = (xy[:, 1] - t.f) / t.e
    lengths = np.array([len(f[1]) for f in flat], np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    owner = np.array([f[0] for f in flat], np.int64)
    hole = np.array([f[2] for f in flat], bool)
    cross = np.append(u[:-1] * v[1:] - u[1:] * v[:-1], 0.0)
    cross[starts[1:-1] - 1] = 0.0  # no term across two rings
    area2 = np.add.reduceat(cross, starts[:-1])
    keep = area2 != 0
    sign = np.where(area2 > 0, 1.0, -1.0) * np.where(hole, -1.0, 1.0)
    ends = starts[1:]
    rmin = np.floor(np.minimum.reduceat(v, starts[:-1])).astype(np.int64)
    rmax = np.ceil(np.maximum.reduceat(v, starts[:-1])).astype(np.int64)
    cmin = np.floor(np.minimum.reduceat(u, starts[:-1])).astype(np.int64)
    cmax = np.ceil(np.maximum.reduceat(u, starts[:-1])).astype(np.int64)
    if not keep.all():
        sel = (
            np.concatenate([np.arange(a, b) for a, b, k in zip(starts[:-1], ends, keep) if k])
            if keep.any()
            else np.zeros(0, np.int64)
        )
        u, v = u[sel], v[sel]
        lengths, owner, sign = lengths[keep], owner[keep], sign[keep]
        rmin, rmax, cmin, cmax = rmin[keep], rmax[keep], cmin[keep], cmax[keep]
        starts = np.concatenate([[0], np.cumsum(lengths)])
    big = 1 << 40
    r0 = np.full(n, big, np.int64)
    c0 = np.full(n, big, np.int64)
    r1 = np.full(n, -big, np.int64)
    c1 = np.full(n, -big, np.int64)
    np.minimum.at(r0, owner, rmin)
    np.minimum.at(c0, owner, cmin)
    np.maximum.at(r1, owner, rmax)
    np.maximum.at(c1, owner, cmax)
    empty = r1 <= r0
    bbox[:] = np.stack([r0, r1, c0, c1], axis=1)
    bbox[empty] = 0
    # rings are stored grouped by unit (flat keeps unit order), so each unit owns a contiguous ring range
    unit_ring = np.searchsorted(owner, np.arange(n + 1), side="left").astype(np.int64)
    # labels are exact only when every cell lies wholly in one unit: vertices on grid nodes and edges along grid lines
    aligned = bool(u.size) and bool(np.all(np.abs(u - np.round(u)) < 1e-6) and np.all(np.abs(v - np.round(v)) < 1e-6))
    if aligned:
        ru, rv = np.round(u), np.round(v)
        aligned = bool(np.all((ru[1:] == ru[:-1]) | (rv[1:] == rv[:-1]) | _ring_breaks(starts, u.size)))
    return UnitRings(
        np.ascontiguousarray(u),
        np.ascontiguousarray(v),
        starts.astype(np.int64),
        sign.astype(np.float64),
        unit_ring,
        bbox,
        aligned,
    )


def _ring_breaks(starts: np.ndarray, size: int) -> np.ndarray:
    """Mask over consecutive vertex pairs (p, p+1): True where p+1 starts another ring."""
    brk = np.zeros(max(0, size - 1), bool)
    brk[starts[1:-1] - 1] = True
    return brk


# --------------------------------------------------------------------------
# exact coverage kernel (numba)
# --------------------------------------------------------------------------
@numba.njit(cache=True)
def _edge(u0, v0, u1, v1, s, rlo, rhi, clo, chi, diff, part):  # pragma: no cover - compiled
    du = u1 - u0
    dv = v1 - v0
    if min(v0, v1) >= rhi or max(u0, u1) <= clo or min(u0, u1) >= chi:
        return
    inf = 1e300
    if du > 0:
        tu = (math.floor(u0) + 1.0 - u0) / du
        dtu = 1.0 / du
    else:
        tu = (math.ceil(u0) - 1.0 - u0) / du
        dtu = -1.0 / du
    if dv > 0:
        tv = (math.floor(v0) + 1.0 - v0) / dv
        dtv = 1.0 / dv
    elif dv < 0:
        tv = (math.ceil(v0) - 1.0 - v0) / dv
        dtv = -1.0 / dv
    else:
        tv = inf
        dtv = inf
    t = 0.0
    while t < 1.0:
        tn = min(tu, tv, 1.0)
        if tn > t:
            tm = 0.5 * (t + tn)
            um = u0 + tm * du
            vm = v0 + tm * dv
            c = int(math.floor(um))
            r = int(math.floor(vm))
            d = s * (tn - t) * du
            if c >= clo and c < chi and r < rhi:
                if r < rlo:
                    diff[0, c - clo] += d
                else:
                    part[r - rlo, c - clo] += d * (r + 1.0 - vm)
                    diff[r - rlo + 1, c - clo] += d
        t = tn
        if tn == tu:
            tu += dtu
        if tn == tv:
            tv += dtv


@numba.njit(cache=True)
def unit_coverage(u, v, ring_start, ring_sign, q0, q1, rlo, rhi, clo, chi):  # pragma: no cover - compiled
    """Fraction of each cell [rlo,rhi)×[clo,chi) covered by rings q0..q1 (one unit)."""
    nr = rhi - rlo
    nc = chi - clo
    diff = np.zeros((nr + 1, nc))
    part = np.zeros((nr, nc))
    for q in range(q0, q1):
        s = ring_sign[q]
        for p in range(ring_start[q], ring_start[q + 1] - 1):
            if u[p] != u[p + 1]:
                _edge(u[p], v[p], u[p + 1], v[p + 1], s, rlo, rhi, clo, chi, diff, part)
    for c in range(nc):
        acc = 0.0
        for i in range(nr):
            acc += diff[i, c]
            part[i, c] += acc
    return part


@numba.njit(parallel=True, cache=True)
def _coverage_accumulate(
    u, v, ring_start, ring_sign, unit_ring, bbox, row0, row1, width, row_area, cls, cls_off, val, hist, vsum, vw, cover
):  # pragma: no cover - compiled
    n = unit_ring.shape[0] - 1
    n_cls = cls.shape[0]
    n_val = val.shape[0]
    for k in numba.prange(n):
        rlo = max(bbox[k, 0], row0)
        rhi = min(bbox[k, 1], row1)
        clo = max(bbox[k, 2], 0)
        chi = min(bbox[k, 3], width)
        if rlo >= rhi or clo >= chi:
            continue
        cov = unit_coverage(u, v, ring_start, ring_sign, unit_ring[k], unit_ring[k + 1], rlo, rhi, clo, chi)
        for i in range(rhi - rlo):
            rr = rlo + i - row0
            ar = row_area[rr]
            for j in range(chi - clo):
                f = cov[i, j]
                if f <= 1e-12:
                    continue
                if f > 1.0:
                    f = 1.0
                w = f * ar
                cover[k] += w
                cc = clo + j
                for m in range(n_cls):
                    x = cls[m, rr, cc]
                    if x >= 0:
                        hist[k, cls_off[m] + x] += w
                for m in range(n_val):
                    y = val[m, rr, cc]
                    if y == y:
                        vsum[k, m] += w * y
                        vw[k, m] += w


# --------------------------------------------------------------------------
# raster sources: each turns a band of rows into class codes and values
# --------------------------------------------------------------------------
@numba.njit(parallel=True, cache=True)
def _to_float(raw, nodata, has_nodata, scale, out):  # pragma: no cover - compiled
    """out = raw × scale as float32, NaN where raw is NoData (compared as float64) or NaN."""
    h, w = raw.shape
    for i in numba.prange(h):
        for j in range(w):
            x = raw[i, j]
            if (has_nodata and np.float64(x) == nodata) or x != x:
                out[i, j] = np.nan
            else:
                out[i, j] = x * scale


@numba.njit(parallel=True, cache=True)
def _classify(data, breaks, upper_inclusive, out):  # pragma: no cover - compiled
    """Class index: breaks <= value (lower-inclusive classes) or breaks < value (upper-inclusive); -1 for NaN."""
    h, w = data.shape
    nb = breaks.shape[0]
    for i in numba.prange(h):
        for j in range(w):
            x = data[i, j]
            if x != x:
                out[i, j] = -1
                continue
            k = 0
            if upper_inclusive:
                while k < nb and x > breaks[k]:
                    k += 1
            else:
                while k < nb and x >= breaks[k]:
                    k += 1
            out[i, j] = k


@numba.njit(parallel=True, cache=True)
def _lookup(raw, nodata, has_nodata, lut, other, out):  # pragma: no cover - compiled
    """Class index of integer codes through lut (−1 = no data); codes beyond the table → other."""
    h, w = raw.shape
    n = lut.shape[0]
    for i in numba.prange(h):
        for j in range(w):
            x = raw[i, j]
            if (has_nodata and np.float64(x) == nodata) or x != x:
                out[i, j] = -1
                continue
            c = int(x)
            if c < 0 or c >= n:
                out[i, j] = other
            else:
                out[i, j] = lut[c]


@numba.njit(parallel=True, cache=True)
def _min_max(raw, nodata, has_nodata, lo0, hi0, n_chunks):  # pragma: no cover - compiled
    """(min, max) of the valid cells of raw in its stored dtype (NoData and NaN skipped), row chunks in
    parallel; (inf, -inf) when there is none. lo0 / hi0: the dtype's largest / smallest value."""
    h, w = raw.shape
    lo = np.full(n_chunks, np.inf)
    hi = np.full(n_chunks, -np.inf)
    for t in numba.prange(n_chunks):
        a, b, n = _min_max_rows(raw, t * h // n_chunks, (t + 1) * h // n_chunks, nodata, has_nodata, lo0, hi0)
        if n:
            lo[t] = a
            hi[t] = b
    return lo.min(), hi.max()


@numba.njit(cache=True)
def _min_max_rows(raw, r0, r1, nodata, has_nodata, lo0, hi0):  # pragma: no cover - compiled
    """Selects in the raster's dtype (nodata too, see native_nodata); no float64 copy of the band."""
    a = lo0
    b = hi0
    n = 0
    for i in range(r0, r1):
        for j in range(raw.shape[1]):
            x = raw[i, j]
            ok = (x == x) & ((not has_nodata) | (x != nodata))  # NaN is never ok
            n += ok
            a = x if ok & (x < a) else a
            b = x if ok & (x > b) else b
    return np.float64(a), np.float64(b), n


def dtype_range(dtype) -> tuple:
    """(largest, smallest) value of a dtype, in it: the start of a running min / max."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype.type(info.max), dtype.type(info.min)
    return dtype.type(np.inf), dtype.type(-np.inf)


_NO_BREAKS = (np.zeros((0, 1), np.float32), np.zeros(0, np.int64), np.zeros(0, np.bool_), np.zeros(0, np.int64))
_NO_CMAP = np.zeros(0, np.int16)


MAX_BREAKS = 8


def _breaks_spec(layers) -> tuple:
    """[(breaks, upper_inclusive), ...] → padded arrays for _count_kernel (one class layer each)."""
    nb = max(len(b) for b, _ in layers)
    breaks = np.full((len(layers), max(MAX_BREAKS, nb)), np.inf, np.float32)
    for m, (b, _) in enumerate(layers):
        breaks[m, : len(b)] = b
    n_breaks = np.array([len(b) for b, _ in layers], np.int64)
    upper = np.array([bool(u) for _, u in layers], np.bool_)
    off = np.concatenate([[0], np.cumsum(n_breaks + 1)[:-1]]).astype(np.int64)
    return breaks, n_breaks, upper, off


def native_nodata(raw: np.ndarray, nodata, has_nodata: bool):
    """NoData in the raster's own dtype, for exact comparisons the compiler can vectorize: (value, has_nodata).
    A NoData the dtype cannot hold (e.g. -9999 on uint8) matches no cell."""
    none = (raw.dtype.type(0), False)
    if not has_nodata or nodata is None or math.isnan(float(nodata)):
        return none
    v = float(nodata)
    if raw.dtype.kind in "iu":
        info = np.iinfo(raw.dtype)
        return (raw.dtype.type(int(v)), True) if v.is_integer() and info.min <= v <= info.max else none
    nd = raw.dtype.type(v)
    return (nd, True) if float(nd) == v else none


class Source:
    """One input raster → class layers (int16, -1 = no data) and value layers (float32, NaN = no data)."""

    name = ""
    n_classes: tuple = ()
    n_values = 0

    def __init__(self, path, layer: str, crs_cache: dict | None = None):
        self.path, self.layer = str(path), layer
        self.grid = open_grid(path, layer, crs_cache)
        self._cache = None
        self.nodata = self.grid.nodata

    def check(self) -> None:
        pass

    def open(self):
        self._src = rasterio.open(self.path)

    def close(self):
        self._src.close()
        self._cache = self._vcache = None

    def raw(self, row0, row1, src=None) -> np.ndarray:
        """Rows as stored; the last band read is kept, so a check before the pass costs no second read."""
        if self._cache is not None and self._cache[0] == (row0, row1):
            return self._cache[1]
        with read_env():
            data = (src or self._src).read(1, window=Window(0, row0, self.grid.width, row1 - row0))
        self._cache = ((row0, row1), data)
        return data

    def bands(self):
        step = self.grid.band_rows()
        return [(r0, min(self.grid.height, r0 + step)) for r0 in range(0, self.grid.height, step)]

    def has_nodata(self) -> bool:
        return self.nodata is not None and not math.isnan(self.nodata)

    def values(self, row0, row1, scale=1.0, src=None, out=None) -> np.ndarray:
        """float32 rows × scale, NaN for NoData, into ``out`` if given; the check's result is reused by the pass."""
        key = (row0, row1, scale)
        cached = getattr(self, "_vcache", None)
        if cached is not None and cached[0] == key:
            if out is None:
                return cached[1]
            np.copyto(out, cached[1])
            self._vcache = None  # handed over: free it
            return out
        raw = self.raw(row0, row1, src)
        keep = out is None
        out = np.empty(raw.shape, np.float32) if out is None else out
        _to_float(raw, float(self.nodata) if self.has_nodata() else 0.0, self.has_nodata(), np.float32(scale), out)
        if keep:
            self._vcache = (key, out)
        return out

    def scan_min_max(self):
        """(min, max) of the valid values, band by band in the stored dtype; the last band stays cached for the pass."""
        lo, hi = np.inf, -np.inf
        with read_env(), rasterio.open(self.path) as src:
            for r0, r1 in self.bands():
                raw = self.raw(r0, r1, src)
                a, b = _min_max(
                    raw,
                    *native_nodata(raw, self.nodata, self.has_nodata()),
                    *dtype_range(raw.dtype),
                    n_chunks_for(raw.shape[0]),
                )
                lo, hi = min(lo, float(a)), max(hi, float(b))
        return lo, hi

    def spec(self, row0, row1, slope) -> tuple:
        """(raw rows, scale, mode, breaks spec, cmap, other, with_value) for _count_kernel."""
        raise NotImplementedError

    def count(self, row0, row1, slope, runs, area, with_cover: bool, n_units: int):
        """Label counting of this raster on a band over label_runs' runs (see _count_kernel); returns (hist, vsum, vw, cover)."""
        raw, scale, mode, brk, cmap, other, with_value = self.spec(row0, row1, slope)
        nodata, has_nodata = native_nodata(raw, self.nodata, self.has_nodata())
        return _count_kernel(
            *runs,
            area,
            raw,
            nodata,
            has_nodata,
            np.float32(scale),
            mode,
            *brk,
            cmap,
            np.int16(other),
            with_value,
            with_cover,
            n_units,
            int(sum(self.n_classes)),
            n_chunks_for(runs[0].shape[0]),
        )

    def block(self, row0, row1, slope, cls, val) -> None:
        """Write the band's class codes into cls[0..len(n_classes)) and values into val[0..n_values)."""
        raise NotImplementedError

    def finish(self, hist: list, vsum, vw, cover) -> dict:
        raise NotImplementedError


class SlopeSource(Source):
    name = "slope"
    n_values = 1
    nodata = SLOPE_NODATA

    def __init__(self, path, layer: str, steep_deg: float):
        self.path, self.layer = str(path), layer
        self.dem = open_dem(path, layer)
        self.grid = Grid(self.dem.transform, self.dem.width, self.dem.height, self.dem.crs, self.dem.rio_crs)
        self.steep = float(steep_deg)
        self.classes = slope_classes()
        self.n_classes = (len(self.classes.ids), 2)

    def open(self):
        pass

    def close(self):
        pass

    def block(self, row0, row1, slope, cls, val) -> None:
        _to_float(slope, SLOPE_NODATA, True, np.float32(1.0), val[0])
        _classify(
            val[0], np.asarray(self.classes.breaks, np.float32), True, cls[0]
        )  # land-survey classes: ≤2, 2–6 … (upper bound inclusive)
        _classify(val[0], np.asarray([self.steep], np.float32), False, cls[1])  # steep: ≥ threshold

    def spec(self, row0, row1, slope):
        brk = _breaks_spec([(self.classes.breaks, True), ((self.steep,), False)])
        return slope, 1.0, 1, brk, _NO_CMAP, -1, True

    def finish(self, hist, vsum, vw, cover):
        cl, st = hist
        valid = cl.sum(axis=1)
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for i, key in enumerate(self.classes.ids):
                out[key + "_pct"] = 100.0 * cl[:, i] / valid
            out["steep_pct"] = 100.0 * st[:, 1] / valid
            out["steep_km2"] = st[:, 1] / 1e6
            out["slope_mean_deg"] = vsum[:, 0] / vw[:, 0]
        return out


class ErosionSource(Source):
    """Erosion modulus t/(km²·a) classified by SL 190-2007, or a ready class raster (codes 1..6)."""

    name = "erosion"

    def __init__(
        self, path, layer: str, kind: str = "modulus", classes: dict | None = None, crs_cache: dict | None = None
    ):
        super().__init__(path, layer, crs_cache)
        self.kind = kind
        self.classes = classes or load_erosion_classes()
        self.ids = [c["id"] for c in self.classes["classes"]]
        self.n_classes = (len(self.ids),)
        self.n_values = 1 if kind == "modulus" else 0
        lowers = [float(c["lower"]) for c in self.classes["classes"]]
        self.breaks = np.asarray(lowers[1:], np.float32)
        self.codes = {int(c["raster_code"]): i for i, c in enumerate(self.classes["classes"])}
        self.lut = np.full(max(self.codes) + 1, -1, np.int16)
        for code, i in self.codes.items():
            self.lut[code] = i
        self.loss_from = self.ids.index(self.classes["loss_from_class"]["id"])

    def check(self) -> None:
        """Negative moduli and unknown class codes are input errors, found before the heavy pass."""
        if self.kind == "modulus":
            lo, _ = self.scan_min_max()
            if lo < 0:
                raise InputError(
                    self.layer,
                    f"侵蚀模数栅格含负值(最小 {lo:g})，侵蚀模数不能为负",
                    f"the erosion-modulus raster holds negative values (min {lo:g}); a modulus cannot be negative",
                )
            return
        with rasterio.open(self.path) as src:
            for r0, r1 in self.bands():
                vals = self.values(r0, r1, 1.0, src)
                found = np.unique(vals[np.isfinite(vals)])
                bad = np.setdiff1d(found, list(self.codes) + [0])
                if bad.size:
                    raise InputError(
                        self.layer,
                        f"侵蚀强度分级栅格含未知代码 {bad[:5].tolist()}(应为 1–6: 微度…剧烈)",
                        f"the erosion class raster holds unknown codes {bad[:5].tolist()} (expected 1–6: 微度…剧烈)",
                    )

    def block(self, row0, row1, slope, cls, val) -> None:
        data = self.values(row0, row1, out=val[0] if self.n_values else None)
        if self.kind == "modulus":
            _classify(data, self.breaks, False, cls[0])
        else:
            _lookup(data, 0.0, False, self.lut, np.int16(-1), cls[0])

    def spec(self, row0, row1, slope):
        if self.kind == "modulus":
            return self.raw(row0, row1), 1.0, 1, _breaks_spec([(self.breaks, False)]), _NO_CMAP, -1, True
        return self.raw(row0, row1), 1.0, 2, _NO_BREAKS, self.lut, -1, False

    def finish(self, hist, vsum, vw, cover):
        h = hist[0]
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for i, key in enumerate(self.ids):
                out[f"eros_{key}_km2"] = h[:, i] / 1e6
            loss = h[:, self.loss_from :].sum(axis=1)
            out["loss_km2"] = loss / 1e6
            out["loss_pct"] = 100.0 * loss / cover
            out["moderate_plus_pct"] = 100.0 * h[:, self.ids.index("moderate") :].sum(axis=1) / cover
            out["intense_plus_pct"] = 100.0 * h[:, self.ids.index("intense") :].sum(axis=1) / cover
            out["conservation_rate_pct"] = 100.0 * (cover - loss) / cover
            out["eros_nodata_pct"] = 100.0 * (cover - h.sum(axis=1)) / cover
            if self.n_values:
                out["erosion_modulus_mean"] = vsum[:, 0] / vw[:, 0]
        return out


class LanduseSource(Source):
    name = "landuse"

    def __init__(self, path, layer: str, mapping: dict | None = None, crs_cache: dict | None = None):
        super().__init__(path, layer, crs_cache)
        self.mapping = mapping or load_landuse_mapping()
        _register_landuse(self.mapping)
        self.groups = [g["id"] for g in self.mapping["groups"]]
        if "other" not in self.groups:
            self.groups.append("other")
        self.n_classes = (len(self.groups),)
        codes = {int(code): self.groups.index(g["id"]) for g in self.mapping["groups"] for code in g["codes"]}
        self.other = self.groups.index("other")
        self.lut = np.full(
            max(max(codes, default=0), max(self.mapping.get("nodata_codes", [0]), default=0)) + 1, self.other, np.int16
        )
        for code, i in codes.items():
            self.lut[code] = i
        for code in self.mapping.get("nodata_codes", []):
            if 0 <= int(code) < self.lut.size:
                self.lut[int(code)] = -1

    def block(self, row0, row1, slope, cls, val) -> None:
        raw = self.raw(row0, row1)
        _lookup(
            raw,
            float(self.nodata) if self.has_nodata() else 0.0,
            self.has_nodata(),
            self.lut,
            np.int16(self.other),
            cls[0],
        )

    def spec(self, row0, row1, slope):
        return self.raw(row0, row1), 1.0, 2, _NO_BREAKS, self.lut, self.other, False

    def finish(self, hist, vsum, vw, cover):
        h = hist[0]
        valid = h.sum(axis=1)
        idx = {g: i for i, g in enumerate(self.groups)}
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for g in self.groups:
                out[f"lu_{g}_pct"] = 100.0 * h[:, idx[g]] / valid
            out["forest_grass_pct"] = 100.0 * sum(h[:, idx[g]] for g in self.mapping["forest_grass_groups"]) / valid
            out["cropland_pct"] = 100.0 * sum(h[:, idx[g]] for g in self.mapping["cropland_groups"]) / valid
        return out


class FvcSource(Source):
    """Vegetation cover; values above 1.5 anywhere mean the raster is in percent (divided by 100)."""

    name = "fvc"
    n_values = 1
    scale = 1.0

    def check(self) -> None:
        vmin, vmax = self.scan_min_max()
        if vmin < 0 or vmax > 100:
            raise InputError(
                self.layer,
                f"植被覆盖度超出 0–1 或 0–100 范围({vmin:g}–{vmax:g})",
                f"vegetation cover outside 0–1 or 0–100 ({vmin:g}–{vmax:g})",
            )
        self.scale = 0.01 if vmax > 1.5 else 1.0

    def block(self, row0, row1, slope, cls, val) -> None:
        self.values(row0, row1, self.scale, out=val[0])

    def spec(self, row0, row1, slope):
        return self.raw(row0, row1), self.scale, 0, _NO_BREAKS, _NO_CMAP, -1, True

    def finish(self, hist, vsum, vw, cover):
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"fvc_mean": vsum[:, 0] / vw[:, 0]}


# --------------------------------------------------------------------------
# the zonal pass
# --------------------------------------------------------------------------
@numba.njit(cache=True)
def _unit_at(labels, lut, i, j):  # pragma: no cover - compiled
    lab = labels[i, j]
    if lab >= 0 and lab < lut.shape[0]:
        return lut[lab] - 1
    return -1


@numba.njit(parallel=True, cache=True)
def label_runs(labels, lut, n_chunks):  # pragma: no cover - compiled
    """Runs of one unit along the rows: (row, first col, end col, unit) with unit = lut[label] − 1.

    Counting then walks runs, not labels: a run's cells share a unit and a row area, so the per-cell
    work is only the raster's own test. Rows in parallel: the changes of stored label bound each row's
    runs (a branch-free count), then the runs are filled in; slots left over keep unit −1 (skipped)."""
    h, w = labels.shape
    per_row = np.zeros(h + 1, np.int64)
    for t in numba.prange(n_chunks):
        for i in range(t * h // n_chunks, (t + 1) * h // n_chunks):
            m = 1
            for j in range(1, w):
                m += labels[i, j] != labels[i, j - 1]
            per_row[i + 1] = m
    start = np.cumsum(per_row)
    m = start[h]
    rows = np.empty(m, np.int32)
    j0 = np.zeros(m, np.int32)
    j1 = np.zeros(m, np.int32)
    unit = np.full(m, -1, np.int32)
    for t in numba.prange(n_chunks):
        for i in range(t * h // n_chunks, (t + 1) * h // n_chunks):
            rows[start[i] : start[i + 1]] = i
            q = start[i] - 1
            prev = -1
            for j in range(w):
                k = _unit_at(labels, lut, i, j)
                if k != prev:
                    if prev >= 0:
                        j1[q] = j
                    if k >= 0:
                        q += 1
                        j0[q] = j
                        unit[q] = k
                    prev = k
            if prev >= 0:
                j1[q] = w
    return rows, j0, j1, unit


_REASSOC = {"reassoc", "nsz"}  # the compiler may reorder a run's sums (SIMD); NaN tests stay exact (no "nnan")


@numba.njit(cache=True, fastmath=_REASSOC)
def _run_values(raw, i, j0, j1, nodata, has_nodata, scale):  # pragma: no cover - compiled
    """(sum of float32(x × scale), count) over the valid cells of raw[i, j0:j1]."""
    s = 0.0
    nv = 0
    for j in range(j0, j1):
        x = raw[i, j]
        ok = (x == x) & ((not has_nodata) | (x != nodata))
        y = np.float32(x * scale)
        s += np.float64(y) if ok else 0.0
        nv += ok
    return s, nv


@numba.njit(cache=True, fastmath=_REASSOC)
def _run_classes(raw, i, j0, j1, nodata, has_nodata, scale, brk, upper):  # pragma: no cover - compiled
    """(valid count, sum of values, g) over raw[i, j0:j1]: g[b] = number of cells above break b (≥, or >
    when upper) for MAX_BREAKS sorted breaks (padded with +inf). Branch-free: class c holds g[c−1] − g[c] cells."""
    b0, b1, b2, b3, b4, b5, b6, b7 = brk[0], brk[1], brk[2], brk[3], brk[4], brk[5], brk[6], brk[7]
    g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = 0
    nv = 0
    s = 0.0
    lo = np.float32(-np.inf)
    for j in range(j0, j1):
        x = raw[i, j]
        ok = (x == x) & ((not has_nodata) | (x != nodata))
        y = np.float32(x * scale) if ok else lo
        s += np.float64(y) if ok else 0.0
        nv += ok
        if upper:
            g0 += y > b0
            g1 += y > b1
            g2 += y > b2
            g3 += y > b3
            g4 += y > b4
            g5 += y > b5
            g6 += y > b6
            g7 += y > b7
        else:
            g0 += y >= b0
            g1 += y >= b1
            g2 += y >= b2
            g3 += y >= b3
            g4 += y >= b4
            g5 += y >= b5
            g6 += y >= b6
            g7 += y >= b7
    return nv, s, (g0, g1, g2, g3, g4, g5, g6, g7)


@numba.njit(cache=True)
def _classify_one(y, brk, nb, upper):  # pragma: no cover - compiled
    cl = 0
    while cl < nb and ((y > brk[cl]) if upper else (y >= brk[cl])):
        cl += 1
    return cl


@numba.njit(cache=True)
def _count_runs_chunk(
    rows,
    j0,
    j1,
    unit,
    q0,
    q1,
    row_area,
    raw,
    nodata,
    has_nodata,
    scale,
    mode,
    breaks,
    n_breaks,
    upper,
    layer_off,
    cmap,
    other,
    with_value,
    ph,
    ps,
    pw,
    pc,
):  # pragma: no cover - compiled
    n_hist = ph.shape[1]
    nc = cmap.shape[0]
    rc = np.zeros(max(1, n_hist), np.int64)
    for q in range(q0, q1):
        i = rows[q]
        a = j0[q]
        b = j1[q]
        k = unit[q]
        if k < 0:
            continue
        ar = row_area[i]
        pc[k] += (b - a) * ar
        if mode == 2:
            for j in range(a, b):
                x = raw[i, j]
                if (has_nodata and x == nodata) or x != x:
                    continue
                c = int(x)
                cl = cmap[c] if 0 <= c < nc else other
                if cl >= 0:
                    rc[cl] += 1
            for c in range(n_hist):
                if rc[c]:
                    ph[k, c] += rc[c] * ar
                    rc[c] = 0
            continue
        summed = False
        if mode == 1:
            for m in range(breaks.shape[0]):
                nb = n_breaks[m]
                off = layer_off[m]
                if nb <= MAX_BREAKS:
                    nv, sv, g = _run_classes(raw, i, a, b, nodata, has_nodata, scale, breaks[m], upper[m])
                    if with_value and not summed:  # the values came along with the first layer
                        ps[k] += sv * ar
                        pw[k] += nv * ar
                        summed = True
                    prev = nv
                    for c in range(nb):
                        ph[k, off + c] += (prev - g[c]) * ar
                        prev = g[c]
                    ph[k, off + nb] += prev * ar
                else:
                    for j in range(a, b):
                        x = raw[i, j]
                        if (has_nodata and x == nodata) or x != x:
                            continue
                        ph[k, off + _classify_one(np.float32(x * scale), breaks[m], nb, upper[m])] += ar
        if with_value and not summed:
            s, nv = _run_values(raw, i, a, b, nodata, has_nodata, scale)
            ps[k] += s * ar
            pw[k] += nv * ar


@numba.njit(parallel=True, cache=True)
def _count_kernel(
    rows,
    j0,
    j1,
    unit,
    row_area,
    raw,
    nodata,
    has_nodata,
    scale,
    mode,
    breaks,
    n_breaks,
    upper,
    layer_off,
    cmap,
    other,
    with_value,
    with_cover,
    n_units,
    n_hist,
    n_chunks,
):  # pragma: no cover - compiled
    """Label counting of one raster in its stored dtype over the runs of label_runs, classification fused in.

    Each cell weighs its row's ground area. mode 1: class of float32(x × scale) by each layer's sorted
    breaks (upper: a break belongs to the class below); mode 2: class cmap[int(x)] (codes beyond the
    table → other; −1 = no data); mode 0: values only. NoData and NaN cells count in cover only.
    Chunks of runs in parallel on private sums, added up at the end. Returns (hist, vsum, vw, cover)."""
    m = rows.shape[0]
    ph = np.zeros((n_chunks, n_units, n_hist))
    ps = np.zeros((n_chunks, n_units))
    pw = np.zeros((n_chunks, n_units))
    pc = np.zeros((n_chunks, n_units))
    for t in numba.prange(n_chunks):
        _count_runs_chunk(
            rows,
            j0,
            j1,
            unit,
            t * m // n_chunks,
            (t + 1) * m // n_chunks,
            row_area,
            raw,
            nodata,
            has_nodata,
            scale,
            mode,
            breaks,
            n_breaks,
            upper,
            layer_off,
            cmap,
            other,
            with_value,
            ph[t],
            ps[t],
            pw[t],
            pc[t],
        )
    hist = np.zeros((n_units, n_hist))
    vsum = np.zeros(n_units)
    vw = np.zeros(n_units)
    cover = np.zeros(n_units)
    for t in range(n_chunks):
        hist += ph[t]
        vsum += ps[t]
        vw += pw[t]
        if with_cover:
            cover += pc[t]
    return hist, vsum, vw, cover


def n_chunks_for(rows: int) -> int:
    return max(1, min(rows, numba.get_num_threads()))


@numba.njit(cache=True)
def _grid_events(u, v, ring_start, ring_sign, unit_ring, row0, row1, width):  # pragma: no cover - compiled
    """Vertical edges of units on the grid lines as per-row events (column, ±(unit + 1), ±1): by Green's
    theorem (as in unit_coverage, turned by 90°) a cell's unit is the sum of the events left of it."""
    h = row1 - row0
    n = unit_ring.shape[0] - 1
    per_row = np.zeros(h + 1, np.int64)
    for k in range(n):
        for q in range(unit_ring[k], unit_ring[k + 1]):
            for p in range(ring_start[q], ring_start[q + 1] - 1):
                ua = int(round(u[p]))
                va = int(round(v[p]))
                vb = int(round(v[p + 1]))
                if va == vb or ua >= width or int(round(u[p + 1])) != ua:
                    continue
                for r in range(max(min(va, vb), row0), min(max(va, vb), row1)):
                    per_row[r - row0 + 1] += 1
    start = np.cumsum(per_row)
    col = np.empty(start[h], np.int64)
    dlab = np.empty(start[h], np.int64)
    dcnt = np.empty(start[h], np.int64)
    pos = start[:h].copy()
    for k in range(n):
        for q in range(unit_ring[k], unit_ring[k + 1]):
            s = 1 if ring_sign[q] > 0 else -1
            for p in range(ring_start[q], ring_start[q + 1] - 1):
                ua = int(round(u[p]))
                va = int(round(v[p]))
                vb = int(round(v[p + 1]))
                if va == vb or ua >= width or int(round(u[p + 1])) != ua:
                    continue
                d = -s if vb > va else s
                for r in range(max(min(va, vb), row0), min(max(va, vb), row1)):
                    e = pos[r - row0]
                    col[e] = max(ua, 0)
                    dlab[e] = d * (k + 1)
                    dcnt[e] = d
                    pos[r - row0] += 1
    return start, col, dlab, dcnt


@numba.njit(parallel=True, cache=True)
def _grid_sweep(start, col, dlab, dcnt, width, n_units, n_chunks):  # pragma: no cover - compiled
    """Runs (row, first col, end col, unit) from the events of each row, swept in column order; unit −1
    marks unused slots. ok is False where units overlap or rings are malformed (counts not 0 or 1)."""
    h = start.shape[0] - 1
    m = start[h]
    rows = np.empty(m, np.int32)
    j0 = np.zeros(m, np.int32)
    j1 = np.zeros(m, np.int32)
    unit = np.full(m, -1, np.int32)
    bad = np.zeros(n_chunks, np.int64)
    for t in numba.prange(n_chunks):
        for i in range(t * h // n_chunks, (t + 1) * h // n_chunks):
            e0 = start[i]
            e1 = start[i + 1]
            rows[e0:e1] = i
            order = np.argsort(col[e0:e1]) + e0
            lab = 0
            cnt = 0
            q = e0
            e = 0
            while e < e1 - e0:
                c = col[order[e]]
                while e < e1 - e0 and col[order[e]] == c:
                    lab += dlab[order[e]]
                    cnt += dcnt[order[e]]
                    e += 1
                c_next = col[order[e]] if e < e1 - e0 else width
                if cnt == 1 and 1 <= lab <= n_units:
                    if c_next > c:
                        j0[q] = c
                        j1[q] = c_next
                        unit[q] = lab - 1
                        q += 1
                elif cnt != 0 or lab != 0:
                    bad[t] += 1
    return (rows, j0, j1, unit), bad.sum() == 0


def grid_runs(rings: "UnitRings", grid: "Grid", row0: int, row1: int):
    """Exact runs (see label_runs) of rows [row0, row1) for units on the grid's lines, straight from their
    edges (no label raster), or None when units overlap there (label counting would then miss cells)."""
    start, col, dlab, dcnt = _grid_events(
        rings.u, rings.v, rings.ring_start, rings.ring_sign, rings.unit_ring, row0, row1, grid.width
    )
    runs, ok = _grid_sweep(start, col, dlab, dcnt, grid.width, rings.unit_ring.shape[0] - 1, n_chunks_for(row1 - row0))
    return runs if ok else None


@numba.njit(parallel=True, cache=True)
def _label_raster(
    u, v, ring_start, ring_sign, unit_ring, bbox, row0, row1, width, labels
):  # pragma: no cover - compiled
    """labels[r, c] = k + 1 where unit k covers more than half of the cell (all of it for units on the grid)."""
    n = unit_ring.shape[0] - 1
    for k in numba.prange(n):
        rlo = max(bbox[k, 0], row0)
        rhi = min(bbox[k, 1], row1)
        clo = max(bbox[k, 2], 0)
        chi = min(bbox[k, 3], width)
        if rlo >= rhi or clo >= chi:
            continue
        cov = unit_coverage(u, v, ring_start, ring_sign, unit_ring[k], unit_ring[k + 1], rlo, rhi, clo, chi)
        for i in range(rhi - rlo):
            for j in range(chi - clo):
                if cov[i, j] > 0.5:
                    labels[rlo + i - row0, clo + j] = k + 1


def rasterize_labels(rings: UnitRings, grid: Grid, row0: int, row1: int) -> np.ndarray:
    """int32 label raster of rows [row0, row1): unit index + 1, 0 outside every unit."""
    labels = np.zeros((row1 - row0, grid.width), np.int32)
    _label_raster(
        rings.u, rings.v, rings.ring_start, rings.ring_sign, rings.unit_ring, rings.bbox, row0, row1, grid.width, labels
    )
    return labels


def read_env():
    """GDAL settings for whole-band reads. Uncompressed GeoTIFFs are read straight into the array,
    not tile by tile through the block cache (which allocates every tile anew: 2–3× slower on a
    16 M-cell band); other formats ignore it. rasterio sets it thread-locally off the main thread."""
    return rasterio.Env(GTIFF_DIRECT_IO="YES")


class LabelRaster:
    """The units as rasterized by the watershed step: int32 labels (0 = none) and a label → unit_code table."""

    def __init__(self, path, unit_codes, layer: str = "小流域栅格 unit raster", crs_cache: dict | None = None):
        self.path, self.layer = str(path), layer
        self.grid = open_grid(path, layer, crs_cache)
        with rasterio.open(self.path) as src:
            if np.dtype(src.dtypes[0]).kind not in "iu":
                raise InputError(
                    layer,
                    f"小流域栅格必须是整数标签(实际 {src.dtypes[0]})",
                    f"the unit raster must hold integer labels (got {src.dtypes[0]})",
                )
        table = Path(str(path)[: -len(Path(path).suffix)] + ".codes.csv")
        if not table.exists():
            raise InputError(
                layer,
                f"缺少标签对照表 {table.name}(label,unit_code)",
                f"the label table {table.name} (label,unit_code) is missing",
            )
        index = {str(c): i for i, c in enumerate(unit_codes)}
        pairs = [(int(r["label"]), index.get(r["unit_code"], -1)) for r in read_csv(table)]
        if not pairs or all(k < 0 for _, k in pairs):
            raise InputError(
                layer, "标签表中的 unit_code 与小流域图层不匹配", "no unit_code of the label table is in the unit layer"
            )
        self.lut = np.zeros(max(lab for lab, _ in pairs) + 1, np.int32)
        for lab, k in pairs:
            if lab > 0:
                self.lut[lab] = k + 1

    def read_raw(self, row0, row1) -> np.ndarray:
        """Stored labels of rows [row0, row1); self.lut maps them to unit index + 1."""
        with read_env(), rasterio.open(self.path) as src:
            return src.read(1, window=Window(0, row0, self.grid.width, row1 - row0))


def zonal_pass(
    geoms,
    sources: list,
    method: str = "auto",
    feedback: Feedback | None = None,
    rings_xy: list | None = None,
    labels: LabelRaster | None = None,
) -> dict:
    """Run every source of one grid over the units (geoms in the grid's CRS). Returns columns and the method used.

    ``labels``: the units' own label raster on this grid (counted as is, no rasterization)."""
    feedback = feedback or Feedback()
    grid = sources[0].grid
    # the polygons in grid coordinates are needed unless the unit raster is given
    rings = unit_rings(geoms, grid, rings_xy) if labels is None else None
    n = len(geoms)
    use_labels = labels is not None or method == "label" or (method == "auto" and rings.aligned)
    if labels is None and method == "label" and not rings.aligned:
        feedback.info(
            "units are not aligned to the grid: label counting gives each cell to the unit covering most of it (approximate)"
        )
    cls_counts = [k for s in sources for k in s.n_classes]
    cls_off = (
        np.concatenate([[0], np.cumsum(cls_counts)[:-1]]).astype(np.int64) if cls_counts else np.zeros(0, np.int64)
    )
    hist = np.zeros((n, int(sum(cls_counts))))
    n_val = sum(s.n_values for s in sources)
    vsum, vw, cover = np.zeros((n, n_val)), np.zeros((n, n_val)), np.zeros(n)
    # each source's columns in hist / vsum
    h_off = np.concatenate([[0], np.cumsum([sum(s.n_classes) for s in sources])]).astype(int)
    v_off = np.concatenate([[0], np.cumsum([s.n_values for s in sources])]).astype(int)
    slope_src = next((s for s in sources if isinstance(s, SlopeSource)), None)
    step = grid.band_rows()
    if slope_src is not None:
        bands = slope_bands(slope_src.dem, SubFeedback(feedback, 0, 100))
    else:
        bands = ((r0, min(grid.height, r0 + step), None) for r0 in range(0, grid.height, step))
    identity = np.arange(n + 1, dtype=np.int32)
    fell_back = False
    for s in sources:
        s.open()
    try:
        for row0, row1, slope in bands:
            feedback.check()
            area = grid.row_area(row0, row1)
            runs = None
            if labels is not None:
                runs = label_runs(labels.read_raw(row0, row1), labels.lut, n_chunks_for(row1 - row0))
            elif use_labels and rings.aligned:
                runs = grid_runs(rings, grid, row0, row1)
                fell_back |= runs is None  # overlapping units here: this band by coverage fractions
            elif use_labels:
                runs = label_runs(rasterize_labels(rings, grid, row0, row1), identity, n_chunks_for(row1 - row0))
            if runs is not None:
                # label counting: each raster read once in its stored dtype, classified and counted in one pass
                for i, s in enumerate(sources):
                    h, vs, ws, cv = s.count(row0, row1, slope, runs, area, i == 0, n)
                    hist[:, h_off[i] : h_off[i + 1]] += h
                    if s.n_values:
                        vsum[:, v_off[i]] += vs
                        vw[:, v_off[i]] += ws
                    if i == 0:
                        cover += cv
            else:
                # one buffer per band; each source writes its layers into its own slice (no concatenation copies)
                cls = np.empty((len(cls_counts), row1 - row0, grid.width), np.int16)
                val = np.empty((n_val, row1 - row0, grid.width), np.float32)
                c0 = v0 = 0
                for s in sources:
                    s.block(row0, row1, slope, cls[c0 : c0 + len(s.n_classes)], val[v0 : v0 + s.n_values])
                    c0 += len(s.n_classes)
                    v0 += s.n_values
                _coverage_accumulate(
                    rings.u,
                    rings.v,
                    rings.ring_start,
                    rings.ring_sign,
                    rings.unit_ring,
                    rings.bbox,
                    row0,
                    row1,
                    grid.width,
                    area,
                    cls,
                    cls_off,
                    val,
                    hist,
                    vsum,
                    vw,
                    cover,
                )
            if slope_src is None:
                feedback.progress(100.0 * row1 / grid.height)
    finally:
        for s in sources:
            s.close()
    columns, shares = {}, {}
    for i, s in enumerate(sources):
        hs, h0 = [], h_off[i]
        for k in s.n_classes:
            hs.append(hist[:, h0 : h0 + k])
            h0 += k
        cols = s.finish(hs, vsum[:, v_off[i] : v_off[i + 1]], vw[:, v_off[i] : v_off[i + 1]], cover)
        columns.update(cols)
        # ground area with valid data over the unit's area on the grid (FVC: its weighted cells)
        valid_m2 = vw[:, v_off[i]] if isinstance(s, FvcSource) else hs[0].sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[s.name] = (
                np.where(cover > 0, valid_m2 / cover, 0.0),
                [k for k in cols if k not in DATA_SHARE_COLUMNS],
            )
    if labels is not None:
        method_used = "label raster"
    elif use_labels and not fell_back:
        method_used = "label"
    elif use_labels:
        feedback.info("units overlap: where they do, cells were counted by exact coverage fractions")
        method_used = "label+coverage"
    else:
        method_used = "coverage"
    return {"columns": columns, "cover_m2": cover, "method": method_used, "shares": shares}


# --------------------------------------------------------------------------
# units, overlaps, the whole step
# --------------------------------------------------------------------------
def read_units(path, layer: str | None = "units", label: str = "小流域单元 units"):
    from ..common.vector import read_vector

    gdf = read_vector(path, label, layer)
    check_units(gdf, label)
    return gdf


def check_units(gdf, label: str = "小流域单元 units") -> None:
    if UNIT_CODE not in gdf.columns:
        raise InputError(label, f"缺少编码字段 {UNIT_CODE}", f"the code field {UNIT_CODE} is missing")
    codes = gdf[UNIT_CODE].astype(str)
    if gdf[UNIT_CODE].isna().any() or (codes.str.strip() == "").any():
        raise InputError(label, f"字段 {UNIT_CODE} 有空值", f"field {UNIT_CODE} has empty values")
    dup = codes[codes.duplicated()].unique()
    if len(dup):
        raise InputError(
            label, f"字段 {UNIT_CODE} 有重复值: {list(dup[:5])}", f"field {UNIT_CODE} has duplicates: {list(dup[:5])}"
        )
    if len(gdf) == 0:
        raise InputError(label, "图层没有要素", "the layer has no features")
    check_ground_crs(gdf.crs, label)
    types = set(gdf.geom_type.dropna())
    if not types <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            label, f"小流域必须是面要素(实际: {sorted(types)})", f"units must be polygons (got {sorted(types)})"
        )


def geodesic_areas(gdf, rings_xy: list | None = None) -> np.ndarray:
    """Area on the ellipsoid (m²) of each geometry: |exterior| − |holes| per part (common.geo.AreaCalc,
    the same geodesic areas as every other table; one reprojection of all vertices)."""
    rings_xy = ring_arrays(gdf.geometry.values) if rings_xy is None else rings_xy
    out = np.zeros(len(rings_xy))
    flat = [(i, xy, hole) for i, rings in enumerate(rings_xy) for xy, hole in rings if len(xy) >= 4]
    if not flat:
        return out
    ring_area = AreaCalc(CRS.from_user_input(gdf.crs)).ring_areas([f[1] for f in flat])
    owner = np.array([f[0] for f in flat])
    np.add.at(out, owner, np.where([f[2] for f in flat], -ring_area, ring_area))
    return out


def overlay_overlap(units, overlay_path, overlay_layer, label: str) -> np.ndarray:
    """Area (m², ellipsoidal) of each unit inside the union of the overlay polygons."""
    import geopandas as gpd

    from ..common.vector import read_vector

    ov = read_vector(overlay_path, label, overlay_layer)
    check_ground_crs(ov.crs, label)
    ov = ov[ov.geometry.notna() & ~ov.geometry.is_empty]
    ov = ov[ov.geom_type.isin(["Polygon", "MultiPolygon"])]
    out = np.zeros(len(units))
    if ov.empty:
        return out
    ov = ov.to_crs(units.crs)
    ov_geoms = [g if g.is_valid else g.buffer(0) for g in ov.geometry.values]
    import shapely.ops

    parts = gpd.GeoSeries(polygon_parts(shapely.ops.unary_union(ov_geoms)), crs=units.crs)
    sidx = parts.sindex
    inter = []
    for i, geom in enumerate(units.geometry.values):
        if geom is None or geom.is_empty:
            inter.append(None)
            continue
        g = geom if geom.is_valid else geom.buffer(0)
        hits = sidx.query(g, predicate="intersects")
        pieces = [g.intersection(parts.values[j]) for j in hits]
        pieces = [p for p in pieces if not p.is_empty]
        inter.append(shapely.ops.unary_union(pieces) if pieces else None)
    sub = gpd.GeoDataFrame(geometry=gpd.GeoSeries(inter, crs=units.crs))
    return geodesic_areas(sub)


def _overlaps_raster(grid: Grid, bounds) -> bool:
    t = grid.transform
    xs = sorted([t.c, t.c + t.a * grid.width])
    ys = sorted([t.f, t.f + t.e * grid.height])
    return not (bounds[2] <= xs[0] or bounds[0] >= xs[1] or bounds[3] <= ys[0] or bounds[1] >= ys[1])


def compute_indicators(
    units,
    *,
    dem=None,
    erosion=None,
    erosion_kind: str = "modulus",
    landuse=None,
    fvc=None,
    overlays: dict | None = None,
    steep_deg: float | None = None,
    landuse_mapping=None,
    erosion_classes=None,
    method: str = "auto",
    labels=None,
    feedback: Feedback | None = None,
):
    """Indicators of each unit. ``units``: GeoDataFrame (checked) or path of a GeoPackage (layer 'units').

    ``overlays``: kind → (path, layer or None), kind in OVERLAY_KINDS or any identifier.
    ``labels``: optional unit raster of the watershed step (int32 labels + ``<name>.codes.csv``);
    rasters on its grid are then counted by label as they are, without rasterizing the polygons.
    Returns (GeoDataFrame with indicator columns, info dict for the run metadata).
    """
    feedback = feedback or Feedback()
    if not hasattr(units, "geometry"):
        units = read_units(units)
    else:
        check_units(units)
    units = units.reset_index(drop=True).copy()
    if steep_deg is None:
        from ..common.rules import default_province, steep_slope_threshold

        steep_deg = steep_slope_threshold(default_province().value).value
    # every input checked before the heavy pass
    sources = []
    crs_cache: dict = {}
    if dem:
        sources.append(SlopeSource(dem, "DEM", steep_deg))
        units["steep_deg"] = float(steep_deg)
    if erosion:
        if erosion_kind not in ("modulus", "classes"):
            raise InputError(
                "土壤侵蚀 erosion", f"未知的侵蚀栅格类型 {erosion_kind}", f"unknown erosion raster kind {erosion_kind}"
            )
        sources.append(ErosionSource(erosion, "土壤侵蚀 erosion", erosion_kind, erosion_classes, crs_cache))
    if landuse:
        sources.append(LanduseSource(landuse, "土地利用 land use", landuse_mapping, crs_cache))
    if fvc:
        sources.append(FvcSource(fvc, "植被覆盖度 FVC", crs_cache))
    units_crs = CRS.from_user_input(units.crs)
    rings_xy = ring_arrays(units.geometry.values)
    xy_all = np.concatenate([xy for rings in rings_xy for xy, _ in rings])
    total_bounds = (
        xy_all[:, 0].min(),
        xy_all[:, 1].min(),
        xy_all[:, 0].max(),
        xy_all[:, 1].max(),
    )  # per column: far faster than axis=0
    for s in sources:
        bounds = total_bounds
        if not units_crs.equals(s.grid.crs):
            bounds = Transformer.from_crs(units_crs, s.grid.crs, always_xy=True).transform_bounds(
                *bounds, densify_pts=21
            )
        if not _overlaps_raster(s.grid, bounds):
            raise InputError(
                s.layer,
                "栅格与小流域图层没有重叠(已按栅格坐标系比较)",
                "the raster does not overlap the unit layer (compared in the raster's CRS)",
            )
        s.check()
    for kind in overlays or {}:
        if not kind.isidentifier():
            raise InputError(str(kind), "叠加图层名称必须是标识符", "an overlay name must be an identifier")
    label_raster = LabelRaster(labels, units[UNIT_CODE].astype(str).tolist(), crs_cache=crs_cache) if labels else None
    info = {"steep_deg": steep_deg, "grids": [], "overlays": {}}
    units["unit_area_km2"] = geodesic_areas(units, rings_xy) / 1e6
    # group sources by grid: one coverage computation per grid
    groups: dict = {}
    for s in sources:
        groups.setdefault(s.grid.key(), []).append(s)
    n_steps = len(groups) + (1 if overlays else 0)
    coverage_rule = load_data_coverage()["min_valid_share"]
    min_share = float(coverage_rule["value"])
    missing: list[list[str]] = [[] for _ in range(len(units))]
    step = 0
    for group in groups.values():
        grid = group[0].grid
        sub = SubFeedback(feedback, 100.0 * step / max(1, n_steps), 100.0 * (step + 1) / max(1, n_steps))
        if not units_crs.equals(grid.crs):
            feedback.info(
                f"{', '.join(s.layer for s in group)}: 小流域已临时重投影到栅格坐标系 / units reprojected on the fly to {grid.crs.name}"
            )
            geoms = list(
                np.asarray(
                    units.to_crs(grid.rio_crs.to_wkt() if grid.rio_crs is not None else grid.crs).geometry.values,
                    dtype=object,
                )
            )
        else:
            geoms = list(np.asarray(units.geometry.values, dtype=object))
        lab = label_raster if label_raster is not None and label_raster.grid.key() == grid.key() else None
        res = zonal_pass(geoms, group, method, sub, rings_xy if units_crs.equals(grid.crs) else None, lab)
        for key, col in res["columns"].items():
            units[key] = col
        for name, (share, keys) in res["shares"].items():
            if len(share) and not np.any(share > 0):  # no valid cell in any unit: a wrong or empty raster
                label = next((s.layer for s in group if s.name == name), name)
                raise InputError(
                    label,
                    "栅格在所有小流域内都是无数据（NoData），不能计算指标",
                    "the raster is NoData inside every small watershed; no indicator can be computed from it",
                )
            # too little data: NULL, never a made-up 100 % 水土保持率 or 0 水土流失面积
            lacking = ~(share >= min_share)
            units.loc[lacking, keys] = np.nan
            for i in np.nonzero(lacking)[0]:
                missing[i].append(name)
        info["grids"].append(
            {
                "layers": [s.layer for s in group],
                "method": res["method"],
                "width": grid.width,
                "height": grid.height,
                "crs": grid.crs.name,
            }
        )
        how = {
            "label": "label counting (units on the grid)",
            "label raster": "label counting on the given unit raster",
            "label+coverage": "label counting, exact coverage fractions where units overlap",
            "coverage": "exact coverage fractions",
        }[res["method"]]
        feedback.info(f"{', '.join(s.layer for s in group)}: {how}")
        step += 1
    if sources:
        units[LACKS_DATA] = [";".join(m) or None for m in missing]
        info["min_valid_share"] = {
            "value": min_share,
            "default": coverage_rule["default"],
            "source": coverage_rule["source"],
        }
        info["units_lacking_data"] = sum(1 for m in missing if m)
        if info["units_lacking_data"]:
            feedback.info(
                f"{info['units_lacking_data']} 个小流域的部分指标因有效数据不足 {min_share:.0%} 而为空 (字段 {LACKS_DATA}) / "
                f"units with indicators left NULL for lack of valid data (< {min_share:.0%}; field {LACKS_DATA})"
            )
    for kind, spec in (overlays or {}).items():
        feedback.check()
        path, layer = spec if isinstance(spec, (tuple, list)) else (spec, None)
        zh = OVERLAY_KINDS.get(kind, (kind, kind))[0]
        area = overlay_overlap(units, path, layer, zh)
        units[f"{kind}_km2"] = area / 1e6
        with np.errstate(invalid="ignore", divide="ignore"):
            units[f"{kind}_pct"] = np.clip(100.0 * area / (units["unit_area_km2"].values * 1e6), 0, 100)
        info["overlays"][kind] = str(path)
    feedback.progress(100)
    return units, info


def write_units(gdf, out_path, layer: str = "units") -> None:
    """Write the unit layer as a GeoPackage, atomically."""
    with atomic_path(out_path) as tmp:
        gdf.to_file(str(tmp), layer=layer, driver="GPKG")
