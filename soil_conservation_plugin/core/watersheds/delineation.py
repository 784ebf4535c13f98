"""小流域 (small watersheds) from a DEM: conditioning, units, topology, polygons, outputs.

Pipeline (one in-memory pass over the DEM grid):

1. pyflwdir fills depressions (priority flood, Wang & Liu 2006, outlets at the edge
   of the valid data) tile by tile in parallel, joined exactly into the whole-DEM
   fill levels (``watershed_fill``, Barnes 2016); D8 is the steepest descent
   (drop / ground distance) on the filled DEM, and flat cells drain breadth-first
   across the flat to where it leaves it (``route_flats``).
2. Every cell gets its true ground area (geographic DEM: exact ellipsoidal cell area
   between two parallels; projected DEM: grid area ÷ the projection's areal scale).
3. The D8 tree is cut into 小流域 (``watershed_kernels.partition``): at stream
   confluences and wherever a unit would exceed the maximum area. County lines play
   no part: with a county layer the region is the counties' union ∩ the DEM's valid
   cells, and the 小流域 are those of a county-free run on that region.
4. Units below the target minimum join their downstream unit when the sum stays
   within the maximum; tiny units with no downstream unit join a neighbour and stay a
   separate outlet of it. Flow directions are
   never rewritten (SL 653: follow the terrain): the D8 written out is the true D8 of
   the filled DEM, and every cell drains, inside its unit, to one of its unit's
   recorded outlets or into a unit upstream of it. Each unit says what kind it is
   (``UNIT_KINDS``): a complete catchment, an interbasin (区间, upstream units drain
   into it) or boundary-draining (沿边出境, parts leaving the region separately).
5. Codes (template, Pfafstetter-like; the county is that of the main outlet), topology.
6. With a county layer, each 小流域 is split along the county lines into 小流域亚单元
   (SL 653 [S]): one per 小流域 and county it has cells in, however small, never merged
   across 小流域, coded from the parent's code (``subunit_code_template``, a default).
   The 亚单元 are the chain's unit layer (one county each); a 亚单元's outlet is its cell
   of the largest upstream area and its downstream unit the 亚单元 that cell drains into.
7. Polygons vectorised from the label raster (亚单元 clipped to their counties, gaps at
   county edges given to the adjacent one; a 小流域 is the union of its 亚单元 and its
   area their sum), areas on the ellipsoid.

No simplification is done: polygons follow the cell edges exactly, so neighbours
share their edges and the coverage has no gaps or overlaps.

Memory: the fill works per tile; the later steps hold compact whole-grid arrays,
about ``BYTES_PER_CELL`` at their peak (the cuts). A DEM that would not fit in the
memory available is refused before any work, with the size it needs.
"""

from __future__ import annotations

import contextvars
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import rasterio
import rasterio.features
from rasterio.transform import Affine

from ..common.cell_areas import CellAreas
from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..common.geo import AreaCalc
from ..common.input_checks import check_unique_codes
from ..common.io import atomic_path
from ..common.tables import write_csv
from ..terrain.dem import Dem, open_dem
from . import kernels as K
from .coding import load_coding_rules, render_codes, render_subunit_codes, rule_value
from .fill import fill_and_d8

if TYPE_CHECKING:
    import geopandas as gpd

UNIT_FIELDS = (
    "unit_code",
    "unit_name",
    "down_code",
    "up_codes",
    "area_km2",
    "county_code",
    "county_name",
    "outlet_x",
    "outlet_y",
)
UNITS_LAYER = "units"  # the layer the chain uses: one county per feature (亚单元 with a county layer)
WATERSHEDS_LAYER = "watersheds"  # the 小流域 as the water defines them (written with a county layer)
COUNTY_CODE_FIELDS = ("adcode", "county_code", "XZQDM", "xzqdm", "ADCODE")
COUNTY_NAME_FIELDS = ("name", "county_name", "XZQMC", "xzqmc", "NAME")
OUTLETS_LAYER = "outlets"
# unit_kind: one outlet and no unit upstream / one outlet with upstream units draining into it /
# several outlets (tiny catchments leaving the county or the DEM's valid data on their own)
UNIT_KINDS = ("complete", "interbasin", "boundary")


# Peak memory of a delineation per DEM cell: bench/watersheds.py --big measured 3.26 GB for
# 10 000 × 10 000 cells (~31 bytes a cell above the ~0.25 GB the libraries take), rounded up
BYTES_PER_CELL = 32


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation (Linux, Windows), None where unknown."""
    try:
        if sys.platform == "win32":
            import ctypes

            class MemoryStatus(ctypes.Structure):
                _fields_ = [("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong)] + [
                    (name, ctypes.c_ulonglong)
                    for name in (
                        "ullTotalPhys",
                        "ullAvailPhys",
                        "ullTotalPageFile",
                        "ullAvailPageFile",
                        "ullTotalVirtual",
                        "ullAvailVirtual",
                        "ullAvailExtendedVirtual",
                    )
                ]

            status = MemoryStatus()
            status.dwLength = ctypes.sizeof(MemoryStatus)
            ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status))
            return int(status.ullAvailPhys)
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, AttributeError, ValueError):
        pass
    return None


class _Size(NamedTuple):
    width: int
    height: int


def check_memory_of(path, layer: str) -> None:
    """``check_memory`` from the file's header alone (a file it cannot open is open_dem's to report)."""
    try:
        with rasterio.open(path) as src:
            size = _Size(src.width, src.height)
    except Exception:  # rasterio raises RasterioIOError and friends; open_dem reports them in zh/en
        return
    check_memory(size, layer)


def check_memory(dem, layer: str) -> None:
    """Refuse a DEM whose delineation would not fit in the memory available (zh/en, before any work)."""
    need = dem.width * dem.height * BYTES_PER_CELL
    have = available_memory()
    if have is not None and need > have:
        gb = 1 << 30
        raise InputError(
            layer,
            f"DEM 有 {dem.width}×{dem.height} 个像元，划分小流域约需 {need / gb:.1f} GB 内存，"
            f"本机可用 {have / gb:.1f} GB："
            "请将 DEM 裁剪到县界范围或重采样到更粗的分辨率",
            f"the DEM has {dem.width}×{dem.height} cells; delineating needs about {need / gb:.1f} GB of memory and "
            f"{have / gb:.1f} GB are available: clip the DEM to the county or resample it to a coarser resolution",
        )


@dataclass
class UnitParams:
    target_min_km2: float = 30.0
    max_km2: float = 50.0
    merge_below_km2: float = 10.0
    stream_min_km2: float = 1.0

    @classmethod
    def from_rules(cls, rules: dict, **overrides) -> "UnitParams":
        values = {
            k: float(rule_value(rules, "area", k))
            for k in ("target_min_km2", "max_km2", "merge_below_km2", "stream_min_km2")
        }
        values.update({k: float(v) for k, v in overrides.items() if v is not None})
        return cls(**values)

    def check(self) -> None:
        if not (0 < self.target_min_km2 <= self.max_km2):
            raise InputError(
                "area",
                f"面积范围无效: 最小 {self.target_min_km2} km², 最大 {self.max_km2} km²",
                f"invalid area range: min {self.target_min_km2} km², max {self.max_km2} km²",
            )
        if self.merge_below_km2 < 0 or self.stream_min_km2 <= 0:
            raise InputError(
                "area", "合并阈值须 ≥ 0，河道阈值须 > 0", "merge threshold must be ≥ 0 and stream threshold > 0"
            )


@dataclass
class SubUnits:
    """小流域亚单元: each 小流域 split along the county lines (one per 小流域 and county it touches)."""

    labels: np.ndarray  # int32 labels 1..m on the grid (0 = outside), numbered in the codes' order
    parent: np.ndarray  # per 亚单元: index of its 小流域
    zone: np.ndarray  # per 亚单元: 1-based county index
    part: np.ndarray  # per 亚单元: 1 = the largest part of its 小流域, then by area
    outlet_cell: np.ndarray  # per 亚单元: its cell of the largest D8 upstream area (where most water leaves it)
    down: np.ndarray  # per 亚单元: the 亚单元 its outlet cell drains into, or -1 (out of the region)
    raster_km2: np.ndarray  # per 亚单元: sum of cell areas
    county_code: list
    county_name: list
    codes: list
    names: list
    gdf: gpd.GeoDataFrame | None = None  # 亚单元 (contract fields + parent_code …)


@dataclass
class Delineation:
    """Everything the outputs and the checks need; arrays are on the DEM grid (flat, row-major)."""

    dem: Dem
    params: UnitParams
    shape: tuple
    ds: np.ndarray  # true D8 of the filled DEM, as next-downstream flat indices (-1 no data)
    upa_km2: np.ndarray  # per unit: upstream area (km²) of the D8 at its main outlet cell
    cell_km2: np.ndarray  # per-cell ground area, km² (float32, flat)
    units: np.ndarray  # int32 labels 1..n on the grid (0 = outside)
    outlet_cell: np.ndarray  # per unit (index label-1)
    down: np.ndarray  # per unit: index of downstream unit or -1
    raster_km2: np.ndarray  # per unit: sum of cell areas
    county_code: list
    county_name: list
    codes: list
    names: list
    upstream_km2: np.ndarray  # per unit: area of it and the units upstream of it (the codes' order)
    zone: np.ndarray  # per unit: 1-based county index of its main outlet cell (1 without a county layer)
    # per unit: its further outlets (cell, upstream km²), tiny catchments that leave on their own
    extra_outlets: list = field(default_factory=list)
    gdf: gpd.GeoDataFrame | None = None  # 小流域 (contract fields)
    sub: SubUnits | None = None  # 小流域亚单元, with a county layer only
    outlets: gpd.GeoDataFrame | None = None  # outlet points
    region_km2: float = 0.0
    stats: dict = field(default_factory=dict)


# --- areas ----------------------------------------------------------------


def cell_areas_km2(dem) -> np.ndarray:
    """(height, width) float32 ground area of every cell, km² (common.cell_areas, as the steep-slope tables)."""
    return CellAreas(dem.crs, dem.transform, dem.width, dem.height).grid(np.float32, scale=1e-6)


# --- inputs -----------------------------------------------------------------


def read_dem_array(dem) -> np.ndarray:
    """The whole DEM as float32, NaN where NoData (or not finite)."""
    # one pass over the file: a small block cache does, and GDAL's default (5 % of RAM) stays resident
    with rasterio.Env(GDAL_CACHEMAX=64 << 20), rasterio.open(dem.path) as src:
        z = dem.read_rows(src, 0, dem.height)
    np.copyto(z, np.float32(np.nan), where=np.isinf(z))
    return z


def read_vector(path, layer, label):
    """GeoDataFrame of a vector file (+ layer), with the bilingual errors every reader needs."""
    from ..common.vector import read_vector as read_any

    gdf = read_any(path, label, layer)
    if gdf.empty:
        raise InputError(label, "图层没有要素", "the layer has no features")
    if gdf.crs is None:
        raise InputError(label, "没有坐标参考系(CRS)", "has no coordinate reference system (CRS)")
    return gdf


def read_counties(path, layer, code_field, name_field, dem, layer_label="counties", codes=()):
    """County polygons in the DEM's CRS with their code/name; bilingual errors before any work.

    ``codes``: only these counties (the county picker / COUNTY_CODES); empty = all."""
    gdf = read_vector(path, layer, layer_label)
    # unmapped fields: the usual names (shared Jilin layer, the demo region, 国土 XZQDM/XZQMC)
    code_field = code_field or next((f for f in COUNTY_CODE_FIELDS if f in gdf.columns), None)
    name_field = name_field or next((f for f in COUNTY_NAME_FIELDS if f in gdf.columns), None)
    if not code_field:
        raise InputError(
            layer_label,
            f"请指定县代码字段；已有字段 {list(gdf.columns)}",
            f"map the county code field; fields are {list(gdf.columns)}",
        )
    for f in (code_field, name_field):
        if f and f not in gdf.columns:
            raise InputError(
                layer_label,
                f"缺少字段 {f}；已有字段 {list(gdf.columns)}",
                f"lacks field {f}; fields are {list(gdf.columns)}",
            )
    if codes:
        from ..common.counties import select

        gdf = select(gdf, code_field, codes, layer_label)
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty].to_crs(dem.crs.to_wkt())
    codes = gdf[code_field].astype(str).str.strip().tolist()
    names = gdf[name_field].astype(str).str.strip().tolist() if name_field else [""] * len(gdf)
    check_unique_codes(codes, names, layer_label, "县代码", "county code")
    geoms = [g if g.is_valid else g.buffer(0) for g in gdf.geometry]
    return geoms, codes, names


# --- delineation -------------------------------------------------------------


class _Region(NamedTuple):
    """The county polygons (None without a county layer) and the code and name of each zone 1…n."""

    geoms: list | None
    codes: list[str]
    names: list[str]


class _Cut(NamedTuple):
    """The D8 tree cut into units (step 3): per unit, its outlet cell, upstream and own area, downstream unit, zone."""

    ocells: np.ndarray  # outlet cell of each unit (sorted)
    upa: np.ndarray  # upstream area at the outlet, km²
    uarea: np.ndarray  # unit area, km² (the merges add to it)
    lab: np.ndarray  # unit index of each cell
    down: np.ndarray  # downstream unit index or -1
    uzone: np.ndarray  # zone (county) of each unit
    valid_poly: object  # the DEM's valid area, when the polygons are wanted
    cell_upa: np.ndarray | None  # upstream area of every cell, km² (kept for the 亚单元 only)


def delineate(
    dem_path,
    counties=None,
    county_code_field: str | None = None,
    county_name_field: str | None = None,
    params: UnitParams | None = None,
    rules: dict | None = None,
    feedback: Feedback | None = None,
    vectorise: bool = True,
    layer: str = "DEM",
) -> Delineation:
    """Delineate units on ``dem_path``; ``counties`` = (path, layer or None) of county polygons, optional."""
    feedback = feedback or Feedback()
    rules = rules or load_coding_rules()
    params = params or UnitParams.from_rules(rules)
    params.check()
    timings = {}
    t0 = time.perf_counter()
    check_memory_of(dem_path, layer)  # before open_dem reads every block to prove the file complete
    dem = open_dem(dem_path, layer, require_data=False)  # "some data" is checked on the one full read below
    region = _region(counties, county_code_field, county_name_field, dem, rules)
    feedback.info(f"DEM {dem.width}×{dem.height} ({dem.crs.name}); units {params.target_min_km2}–{params.max_km2} km²")
    feedback.check()

    z = read_dem_array(dem)
    valid = np.isfinite(z)
    if not valid.any():
        raise InputError(layer, "DEM 全部为无数据(NoData)值", "the DEM holds only NoData cells")
    nrow, ncol = z.shape
    czone = _zone_grid(dem, valid, region, layer).ravel()  # county (1-based) of each cell, 0 outside
    # the 小流域 follow the water alone: the cuts and merges see the region, never a county line
    zone = czone if region.geoms is None else (czone > 0).astype(np.int16)
    feedback.progress(5)
    feedback.check()

    # 1. conditioning + D8
    t = time.perf_counter()
    ds, cell = _condition(dem, z, feedback)
    del z
    timings["fill_d8_s"] = time.perf_counter() - t
    feedback.progress(40)
    feedback.check()

    # 2./3. areas and cuts
    t = time.perf_counter()
    cut = _cut(ds, cell, zone, (nrow, ncol), params, valid, dem.transform, vectorise, region.geoms is not None)
    timings["partition_s"] = time.perf_counter() - t
    feedback.progress(50)
    feedback.check()

    # 4. merges
    t = time.perf_counter()
    roots, n_down_merges, joined = _merge(cut, params, (nrow, ncol), feedback)
    timings["merge_s"] = time.perf_counter() - t
    feedback.progress(60)
    feedback.check()

    # 5. final units: codes, topology
    t = time.perf_counter()
    res = _final_units(dem, params, rules, ds, cell, cut, roots, joined, region, czone, (nrow, ncol))
    n0, valid_poly, cell_upa = int(cut.ocells.size), cut.valid_poly, cut.cell_upa
    del cut  # with it the unit index of each cell, a full-grid array the polygons do not need
    if region.geoms is not None and cell_upa is not None:
        res.sub = _subunits(res, czone, cell_upa, region, rules)
    del cell_upa
    res.stats.update(
        units=len(res.sub.codes) if res.sub is not None else len(res.codes),
        watersheds=len(res.codes),
        subunits=len(res.sub.codes) if res.sub is not None else 0,
        watersheds_split=int(np.count_nonzero(np.bincount(res.sub.parent) > 1)) if res.sub is not None else 0,
        units_before_merge=n0,
        merged_downstream=n_down_merges,
        merged_into_neighbour=int(joined.sum()),
        outlets=len(res.codes) + sum(len(x) for x in res.extra_outlets),
        region_cells=int((zone > 0).sum()),
        region_raster_km2=float(cell[zone > 0].sum(dtype=np.float64)),
    )
    timings["coding_s"] = time.perf_counter() - t
    feedback.progress(65)
    if vectorise:
        t = time.perf_counter()
        build_layers(res, region.geoms, valid, SubFeedback(feedback, 65, 98), valid_poly)
        timings["vectorise_s"] = time.perf_counter() - t
    res.stats["area_distribution"] = area_distribution(
        res.gdf["area_km2"].to_numpy() if res.gdf is not None else res.raster_km2, params
    )
    timings["total_s"] = time.perf_counter() - t0
    res.stats["timings"] = timings
    feedback.progress(100)
    return res


def _region(counties, code_field: str | None, name_field: str | None, dem: Dem, rules: dict) -> _Region:
    """The county polygons and their codes, or the one region of the rules without a county layer."""
    if not counties:
        return _Region(
            None,
            [str(rule_value(rules, "region_without_county", "county_code"))],
            [str(rule_value(rules, "region_without_county", "county_name"))],
        )
    # (path, layer) or (path, layer, codes of the chosen counties)
    cpath, clayer, *chosen = counties if isinstance(counties, (tuple, list)) else (counties, None)
    return _Region(*read_counties(cpath, clayer, code_field, name_field, dem, codes=chosen[0] if chosen else ()))


def _zone_grid(dem: Dem, valid: np.ndarray, region: _Region, layer: str) -> np.ndarray:
    """Zone (1-based county index) of each valid cell, 0 elsewhere; every county must hold valid cells."""
    if region.geoms is None:
        return valid.astype(np.int16)
    zdtype = "int16" if len(region.geoms) < 32767 else "int32"
    zone2d = rasterio.features.rasterize(
        ((g, i + 1) for i, g in enumerate(region.geoms)),
        out_shape=valid.shape,
        transform=dem.transform,
        fill=0,
        dtype=zdtype,
    )
    zone2d[~valid] = 0
    if not zone2d.any():
        raise InputError(
            "counties", "县界与 DEM 有效范围不重叠", "the county polygons do not overlap the DEM's valid cells"
        )
    # a county (all its parts: one code) without a valid cell would get no units, silently
    has_data = {region.codes[i - 1] for i in np.unique(zone2d).tolist() if i}
    empty = sorted({(c, n) for c, n in zip(region.codes, region.names) if c not in has_data})
    if empty:
        shown = ", ".join(f"{c} {n}".strip() for c, n in empty[:10])
        raise InputError(
            layer, f"在县界范围内全部为无数据(NoData): {shown}", f"holds only NoData inside the county: {shown}"
        )
    return zone2d


def _condition(dem: Dem, z: np.ndarray, feedback: Feedback) -> tuple[np.ndarray, np.ndarray]:
    """D8 (next-downstream flat indices) of the filled DEM, and the cell areas (km², flat float32).

    pyflwdir's fill runs tile by tile on worker threads (watershed_fill), which report progress
    and cancel through this thread; the cell areas the cuts need are computed meanwhile.
    """
    from concurrent.futures import ThreadPoolExecutor

    dx, dy = dem.spacing(np.arange(z.shape[0]))
    with ThreadPoolExecutor(1) as pool:
        areas = pool.submit(lambda: np.ascontiguousarray(cell_areas_km2(dem), dtype=np.float32).ravel())
        try:
            d8 = fill_and_d8(z, dx, dy, SubFeedback(feedback, 5, 40))
        finally:
            cell = areas.result()
    ds = K.d8_to_ds(d8)  # as pyflwdir's idxs_ds; never changed afterwards
    return ds, cell


def _cut(
    ds: np.ndarray,
    cell: np.ndarray,
    zone: np.ndarray,
    shape: tuple[int, int],
    params: UnitParams,
    valid: np.ndarray,
    transform: Affine,
    vectorise: bool,
    keep_upa: bool = False,
) -> _Cut:
    """Cut the D8 tree into units (single-threaded kernels without the GIL); this thread meanwhile
    prepares what the polygons need (imports, the region polygon), so no core idles."""
    from concurrent.futures import ThreadPoolExecutor

    nrow, ncol = shape

    def cut():
        outlet, upa, opn, ndone = K.partition(
            ds, cell, zone, ncol, nrow, params.target_min_km2, params.max_km2, params.stream_min_km2
        )
        ocells = np.flatnonzero(outlet)  # sorted
        # only the outlets' values live on: the full-grid float64 arrays are the largest of the run
        upa_o = upa[ocells]
        uarea = opn[ocells].astype(np.float64)  # a unit's area is its open area where it was closed
        del opn
        return ocells, upa_o, uarea, ndone, K.label_cells(ds, zone, outlet), upa if keep_upa else None

    with ThreadPoolExecutor(1) as pool:
        cutting = pool.submit(cut)
        try:
            valid_poly = None
            if vectorise:
                import geopandas  # noqa: F401

                valid_poly = _valid_polygon(valid, transform)
        finally:
            ocells, upa_o, uarea, ndone, lab, cell_upa = cutting.result()
    if ndone != int(np.count_nonzero(ds >= 0)):  # a cycle would leave cells without a unit
        raise RuntimeError(f"D8 has cycles: {int(np.count_nonzero(ds >= 0)) - ndone} cells do not reach an outlet")
    ods = ds[ocells]
    down0 = np.where((ods != ocells) & (zone[ods] > 0), lab[ods], -1).astype(np.int64)  # lab = unit index
    return _Cut(ocells, upa_o, uarea, lab, down0, zone[ocells], valid_poly, cell_upa)


def _merge(
    cut: _Cut, params: UnitParams, shape: tuple[int, int], feedback: Feedback
) -> tuple[np.ndarray, int, np.ndarray]:
    """Step 4: small units join their downstream unit, tiny ones a neighbour (``_merge_tiny``).

    Returns the root unit of each unit, the number of downstream merges, and which units
    joined a neighbour (their outlets stay outlets of the merged unit).
    """
    n0 = cut.ocells.size
    uarea, down0, uzone = cut.uarea, cut.down, cut.uzone
    parent = np.arange(n0)

    def find(u):
        while parent[u] != u:
            parent[u] = parent[parent[u]]
            u = parent[u]
        return u

    order = np.argsort(cut.upa, kind="stable")  # upstream units first
    n_down_merges = 0
    for u in order:
        d = down0[u]
        if uarea[u] < params.target_min_km2 and d >= 0 and uzone[d] == uzone[u]:
            d = find(d)
            if uarea[u] + uarea[d] <= params.max_km2:
                parent[u] = d
                uarea[d] += uarea[u]
                n_down_merges += 1
    joined = _merge_tiny(cut.lab, cut.ocells, down0, uarea, uzone, parent, find, params, shape, feedback)
    roots = np.array([find(u) for u in range(n0)], dtype=np.int64)
    return roots, n_down_merges, joined


def _final_units(
    dem: Dem,
    params: UnitParams,
    rules: dict,
    ds: np.ndarray,
    cell: np.ndarray,
    cut: _Cut,
    roots: np.ndarray,
    joined: np.ndarray,
    region: _Region,
    czone: np.ndarray,
    shape: tuple[int, int],
) -> Delineation:
    """The merged units, coded, numbered in the codes' order (deterministic and readable).

    A unit's county (code prefix, county_code) is the county of its main outlet cell."""
    n0 = cut.ocells.size
    keep = np.flatnonzero(roots == np.arange(n0))
    compact = np.full(n0, -1, dtype=np.int64)
    compact[keep] = np.arange(keep.size)
    fdown = np.full(keep.size, -1, dtype=np.int64)
    for i, u in enumerate(keep):
        d = cut.down[u]
        if d >= 0:
            fdown[i] = compact[roots[d]]
    farea = cut.uarea[keep]
    fout = cut.ocells[keep]
    fzone = czone[fout].astype(np.int64)
    county_code = [region.codes[zz - 1] for zz in fzone]
    county_name = [region.names[zz - 1] for zz in fzone]
    coded = render_codes(
        fdown,
        farea,
        fout,
        county_code,
        county_name,
        str(rule_value(rules, "code_template")),
        str(rule_value(rules, "name_template")),
    )
    order = sorted(range(keep.size), key=lambda i: coded.codes[i])
    perm = np.empty(keep.size, dtype=np.int64)
    perm[np.array(order, dtype=np.int64)] = np.arange(keep.size)

    def reorder(seqlike):
        return [seqlike[i] for i in order]

    final_id = np.zeros(n0, dtype=np.int32)
    final_id[:] = (perm[compact[roots]] + 1).astype(np.int32)
    units = K.relabel(cut.lab, final_id, 0).reshape(shape)
    inv = np.array(order, dtype=np.int64)
    fdown_new = np.where(fdown[inv] >= 0, perm[np.maximum(fdown[inv], 0)], -1)
    extra: list[list[tuple[int, float]]] = [[] for _ in range(keep.size)]
    for u in np.flatnonzero(joined).tolist():  # raster order of the outlet cells: deterministic
        extra[perm[compact[roots[u]]]].append((int(cut.ocells[u]), float(cut.upa[u])))
    return Delineation(
        dem=dem,
        params=params,
        shape=shape,
        ds=ds,
        upa_km2=cut.upa[keep][inv],
        cell_km2=cell,
        units=units,
        outlet_cell=fout[inv],
        down=fdown_new,
        raster_km2=farea[inv],
        county_code=reorder(county_code),
        county_name=reorder(county_name),
        codes=reorder(coded.codes),
        names=reorder(coded.names),
        upstream_km2=coded.upstream_km2[inv],
        zone=fzone[inv],
        extra_outlets=extra,
    )


def _subunits(res: Delineation, czone: np.ndarray, cell_upa: np.ndarray, region: _Region, rules: dict) -> SubUnits:
    """Each 小流域 split along the county lines: one 亚单元 per 小流域 and county it has cells in.

    The cells of a 小流域 are exactly the cells of its 亚单元 (every region cell is in a county);
    nothing is merged across 小流域. Numbered by parent (codes' order), then by area (largest first)."""
    units = res.units.ravel()
    n, nz = len(res.codes), len(region.codes)
    npair = n * nz
    if npair <= 50_000_000:  # a dense (unit, county) table
        present = np.flatnonzero(K.pair_counts(units, czone, nz, npair))
        table = np.full(npair, -1, dtype=np.int32)
        table[present] = np.arange(present.size, dtype=np.int32)
        lab = K.subunit_labels(units, czone, nz, table)
        del table
    else:
        inside = (units > 0) & (czone > 0)
        pair = (units.astype(np.int64) - 1) * nz + czone.astype(np.int64) - 1
        present, inv = np.unique(pair[inside], return_inverse=True)
        lab = np.full(units.size, -1, dtype=np.int32)
        lab[inside] = inv.astype(np.int32)
        del pair, inv, inside
    m = present.size
    pu, pz = np.divmod(present, nz)
    km2 = np.bincount(lab + 1, weights=res.cell_km2, minlength=m + 1)[1:]
    order = sorted(range(m), key=lambda k: (int(pu[k]), -float(km2[k]), region.codes[pz[k]]))
    inv_order = np.array(order, dtype=np.int64)
    perm = np.empty(m, dtype=np.int64)
    perm[inv_order] = np.arange(m)
    part = np.zeros(m, dtype=np.int64)
    for i, k in enumerate(order):
        part[i] = 1 if i == 0 or pu[order[i - 1]] != pu[k] else part[i - 1] + 1
    ocell = K.max_cell(lab, cell_upa, m)[inv_order]
    labels = K.relabel(lab, (perm + 1).astype(np.int32), 0)
    del lab
    d = res.ds[ocell]
    leaves = (d < 0) | (d == ocell)
    down = np.where(leaves, -1, labels[np.maximum(d, 0)].astype(np.int64) - 1)
    parent = pu[inv_order]
    zone = pz[inv_order] + 1
    county_code = [region.codes[z - 1] for z in zone.tolist()]
    county_name = [region.names[z - 1] for z in zone.tolist()]
    codes, names = render_subunit_codes(
        [res.codes[p] for p in parent.tolist()],
        [res.names[p] for p in parent.tolist()],
        part.tolist(),
        county_code,
        county_name,
        rules,
    )
    return SubUnits(
        labels=labels.reshape(res.shape),
        parent=parent,
        zone=zone,
        part=part,
        outlet_cell=ocell,
        down=down,
        raster_km2=km2[inv_order],
        county_code=county_code,
        county_name=county_name,
        codes=codes,
        names=names,
    )


def _merge_tiny(lab, ocells, down0, uarea, uzone, parent, find, params, shape, feedback) -> np.ndarray:
    """Join tiny units without a downstream unit in their county to a same-county neighbour.

    The flow is not touched: the tiny unit's outlet stays an outlet of the merged unit.
    A neighbour that drains into the tiny unit is not taken (the unit topology would cycle).
    Returns which units joined a neighbour.
    """
    import heapq

    n0 = ocells.size
    joined = np.zeros(n0, dtype=bool)
    has_down = np.array([down0[u] >= 0 and uzone[down0[u]] == uzone[u] for u in range(n0)], dtype=bool)
    roots_now = np.array([find(u) for u in range(n0)])
    is_root = roots_now == np.arange(n0)
    cand = is_root & ~has_down & (uarea < params.merge_below_km2)
    if not cand.any():
        return joined
    nrow, ncol = shape
    lab_c = K.relabel(lab, roots_now.astype(np.int32), -1)  # root unit of each cell, -1 outside
    pairs = K.adjacent_pairs(lab_c.reshape(nrow, ncol), cand)
    del lab_c
    adj: dict[int, dict[int, int]] = {}  # shared cell edges
    for u, v, _cu, _cv in pairs.tolist():
        if uzone[u] != uzone[v]:
            continue
        e = adj.setdefault(u, {})
        e[v] = e.get(v, 0) + 1
    heap = [(float(uarea[u]), int(u)) for u in np.flatnonzero(cand)]
    heapq.heapify(heap)
    merged = 0

    def drains_into(v, u):
        x = v
        for _ in range(n0):
            d = down0[x]
            if d < 0:
                return False
            x = find(d)
            if x == u:
                return True
        return True

    while heap:
        a, u = heapq.heappop(heap)
        if find(u) != u or a != uarea[u] or uarea[u] >= params.merge_below_km2:
            continue
        best = None
        for v0, cnt in adj.get(u, {}).items():
            v = find(v0)
            if v == u or uarea[u] + uarea[v] > params.max_km2 or drains_into(v, u):
                continue
            k = (-cnt, uarea[v], int(ocells[v]))
            if best is None or k < best[0]:
                best = (k, v)
        if best is None:
            continue
        _, v = best
        joined[u] = True
        parent[u] = v
        uarea[v] += uarea[u]
        merged += 1
        # the merged unit inherits u's neighbours
        mine = adj.pop(u, {})
        if mine:
            target = adj.setdefault(v, {})
            for w, cnt in mine.items():
                if find(w) != v:
                    target[w] = target.get(w, 0) + cnt
        if v in adj and not has_down[v] and uarea[v] < params.merge_below_km2:
            heapq.heappush(heap, (float(uarea[v]), int(v)))
        if merged % 256 == 0:
            feedback.check()
    return joined


def area_distribution(areas, params: UnitParams) -> dict:
    a = np.asarray(areas, dtype=np.float64)
    if a.size == 0:
        return {"n": 0}
    inr = (a >= params.target_min_km2) & (a <= params.max_km2)
    return {
        "n": int(a.size),
        "min_km2": float(a.min()),
        "median_km2": float(np.median(a)),
        "max_km2": float(a.max()),
        "sum_km2": float(a.sum()),
        "share_in_range": float(inr.mean()),
        "n_below_min": int((a < params.target_min_km2).sum()),
        "n_above_max": int((a > params.max_km2).sum()),
        "range_km2": [params.target_min_km2, params.max_km2],
    }


# --- polygons ----------------------------------------------------------------


def _vectorise(raster: np.ndarray, transform, mask=None) -> dict:
    from shapely.geometry import shape
    from shapely.ops import unary_union

    pieces: dict[int, list] = {}
    for geom, value in rasterio.features.shapes(
        raster, mask=raster > 0 if mask is None else mask, connectivity=4, transform=transform
    ):
        pieces.setdefault(int(value), []).append(shape(geom))
    return {k: (v[0] if len(v) == 1 else unary_union(v)) for k, v in pieces.items()}


def _repaired(geoms: list, res: Delineation) -> list:
    fixed = [g is not None and not g.is_valid for g in geoms]
    geoms = [g.buffer(0) if f and g is not None else g for g, f in zip(geoms, fixed)]
    # output validity: the ones valid already stay the same objects, so only repairs need a re-check
    res.stats["invalid_polygons"] = res.stats.get("invalid_polygons", 0) + sum(
        1 for g, f in zip(geoms, fixed) if f and g is not None and not g.is_valid
    )
    return geoms


def _links(codes: list, down: np.ndarray) -> tuple[list[str], list[str]]:
    """down_code and up_codes (sorted, comma-separated) of each unit."""
    up: list[list[str]] = [[] for _ in codes]
    for u, d in enumerate(down.tolist()):
        if d >= 0:
            up[d].append(codes[u])
    return [codes[d] if d >= 0 else "" for d in down.tolist()], [",".join(sorted(x)) for x in up]


def build_layers(res: Delineation, county_geoms, valid: np.ndarray, feedback: Feedback, valid_poly=None) -> None:
    """Unit polygons (contract fields) and outlet points as GeoDataFrames on ``res``.

    With counties, the 亚单元 polygons are traced and clipped to their counties, and each
    小流域 is the union of its 亚单元 (its area the sum of theirs)."""
    import geopandas as gpd
    from shapely.ops import unary_union

    dem = res.dem
    nrow, ncol = res.shape
    t = dem.transform
    sub = res.sub
    polys = _vectorise(res.units if sub is None else sub.labels, t)
    feedback.progress(40)
    feedback.check()
    n = len(res.codes)
    if valid_poly is None:
        valid_poly = _valid_polygon(valid, t)
    # densified: the units' edges are grid lines, so their area matches their cells' areas
    calc = AreaCalc(dem.crs, max_seg=max(abs(t.a), abs(t.e)) * 8)
    crs_wkt = dem.crs.to_wkt()
    res.stats["invalid_polygons"] = 0
    if sub is None:
        geoms = _repaired([polys.get(i + 1) for i in range(n)], res)
        area = np.array([calc.km2(g) for g in geoms])
        extra: dict = {}
    else:
        m = len(sub.codes)
        sgeoms = [polys.get(i + 1) for i in range(m)]
        sgeoms = _repaired(_clip_to_counties(sgeoms, sub.zone, county_geoms, valid_poly, feedback), res)
        sarea = np.array([calc.km2(g) for g in sgeoms])
        members: list[list[int]] = [[] for _ in range(n)]
        for k, p in enumerate(sub.parent.tolist()):
            members[p].append(k)
        geoms = _repaired(
            [sgeoms[ks[0]] if len(ks) == 1 else unary_union([sgeoms[k] for k in ks]) for ks in members], res
        )
        # the 小流域's area is the sum of its 亚单元's, exactly (the union's own area agrees to rounding)
        area = np.array([math.fsum(sarea[k] for k in ks) for ks in members])
        extra = {
            "county_codes": [",".join(sorted({sub.county_code[k] for k in ks})) for ks in members],
            "county_names": [",".join(sorted({sub.county_name[k] for k in ks})) for ks in members],
            "subunit_count": [len(ks) for ks in members],
        }
        sdown, sup = _links(sub.codes, sub.down)
        sx, sy = cell_centres(sub.outlet_cell, t, ncol)
        sub.gdf = gpd.GeoDataFrame(
            {
                "unit_code": sub.codes,
                "unit_name": sub.names,
                "down_code": sdown,
                "up_codes": sup,
                "area_km2": sarea,
                "county_code": sub.county_code,
                "county_name": sub.county_name,
                "outlet_x": sx,
                "outlet_y": sy,
                "unit_level": "亚单元",
                "parent_code": [res.codes[p] for p in sub.parent.tolist()],
                "parent_name": [res.names[p] for p in sub.parent.tolist()],
                "subunit_part": sub.part,
            },
            geometry=sgeoms,
            crs=crs_wkt,
        )
    feedback.progress(80)
    ox, oy = cell_centres(res.outlet_cell, t, ncol)
    down_code, up_codes = _links(res.codes, res.down)
    kinds = unit_kinds(res)
    res.gdf = gpd.GeoDataFrame(
        {
            "unit_code": res.codes,
            "unit_name": res.names,
            "down_code": down_code,
            "up_codes": up_codes,
            "area_km2": area,
            "county_code": res.county_code,
            "county_name": res.county_name,
            "outlet_x": ox,
            "outlet_y": oy,
            "unit_kind": kinds,
            "outlet_count": [1 + len(x) for x in res.extra_outlets],
        }
        | extra,
        geometry=geoms,
        crs=crs_wkt,
    )
    res.outlets = _outlet_points(res, down_code, ox, oy, crs_wkt)
    if county_geoms is not None:
        region = unary_union([g.intersection(valid_poly) for g in county_geoms])
        res.region_km2 = calc.km2(region)
    else:
        res.region_km2 = calc.km2(valid_poly)
    res.stats["region_km2"] = res.region_km2
    res.stats["units_sum_km2"] = float(area.sum())
    feedback.progress(100)


def cell_centres(cells, t: Affine, ncol: int) -> tuple[np.ndarray, np.ndarray]:
    r, c = np.divmod(np.asarray(cells, dtype=np.int64), ncol)
    return t.c + (c + 0.5) * t.a, t.f + (r + 0.5) * t.e


def unit_kinds(res: Delineation) -> list[str]:
    """``UNIT_KINDS`` of each unit: several outlets → boundary; upstream units → interbasin; else complete."""
    has_up = np.zeros(len(res.codes), dtype=bool)
    has_up[res.down[res.down >= 0]] = True
    return [
        UNIT_KINDS[2] if extra else UNIT_KINDS[1] if up else UNIT_KINDS[0]
        for extra, up in zip(res.extra_outlets, has_up.tolist())
    ]


def _outlet_points(res: Delineation, down_code: list, ox, oy, crs_wkt):
    """Every outlet of every unit: rank 1 is the main one (where the unit's downstream unit
    is reached); the further ones leave the region on their own (no downstream unit).
    ``upstream_km2`` is the area draining through that cell along the D8."""
    import geopandas as gpd
    from shapely.geometry import Point

    code, down, rank, upa, xs, ys = [], [], [], [], [], []
    t, ncol = res.dem.transform, res.shape[1]
    for u, extra in enumerate(res.extra_outlets):
        code.append(res.codes[u])
        down.append(down_code[u])
        rank.append(1)
        upa.append(float(res.upa_km2[u]))  # the water's, at that cell
        xs.append(float(ox[u]))
        ys.append(float(oy[u]))
        ex, ey = cell_centres([c for c, _ in extra], t, ncol)
        for k, ((_, a), x, y) in enumerate(zip(extra, ex.tolist(), ey.tolist()), start=2):
            code.append(res.codes[u])
            down.append("")
            rank.append(k)
            upa.append(a)
            xs.append(x)
            ys.append(y)
    return gpd.GeoDataFrame(
        {
            "unit_code": code,
            "down_code": down,
            "outlet_rank": rank,
            "upstream_km2": upa,
            "outlet_x": xs,
            "outlet_y": ys,
        },
        geometry=[Point(x, y) for x, y in zip(xs, ys)],
        crs=crs_wkt,
    )


def _valid_polygon(valid: np.ndarray, transform):
    """The DEM's valid area as one (multi)polygon along cell edges."""
    if valid.all():  # the whole grid: its rectangle, without tracing 10⁷ cells
        from shapely.geometry import box

        h, w = valid.shape
        xs = (transform.c, transform.c + w * transform.a)
        ys = (transform.f, transform.f + h * transform.e)
        return box(min(xs), min(ys), max(xs), max(ys))
    return _vectorise(valid.astype(np.uint8), transform).get(1)


def _clip_to_counties(geoms, zones: np.ndarray, county_geoms, valid_poly, feedback):
    """Cut cell-edge polygons (each in the county ``zones[i]``) to the county lines; the slivers
    left at a county's edge join the touching polygon of that county."""
    from shapely.ops import unary_union

    out = list(geoms)
    by_zone: dict[int, list[int]] = {}
    for u, zz in enumerate(zones.tolist()):
        by_zone.setdefault(zz, []).append(u)
    for k, (zz, members) in enumerate(sorted(by_zone.items())):
        feedback.check()
        if zz <= 0:
            continue
        county = county_geoms[zz - 1].intersection(valid_poly)
        clipped = {u: out[u].intersection(county) if out[u] is not None else None for u in members}
        covered = unary_union([g for g in clipped.values() if g is not None and not g.is_empty])
        gaps = county.difference(covered)
        # the polygons' bounds once (shapely 1.8 builds them anew at every call), kept up to date below
        live = [u for u, g in clipped.items() if g is not None and not g.is_empty]  # members' order
        bb = np.array([g.bounds for g in clipped.values() if g is not None and not g.is_empty], dtype=np.float64)
        bb = bb.reshape(-1, 4)
        for piece in getattr(gaps, "geoms", [gaps]):
            if piece.is_empty or piece.geom_type != "Polygon":
                continue
            pb = piece.bounds
            best, best_len = None, 0.0
            edge = piece.boundary
            near = ~((bb[:, 0] > pb[2]) | (bb[:, 2] < pb[0]) | (bb[:, 1] > pb[3]) | (bb[:, 3] < pb[1]))
            for i in np.flatnonzero(near).tolist():  # in the members' order: the first longest edge wins
                shared = edge.intersection(clipped[live[i]]).length
                if shared > best_len:
                    best, best_len = i, shared
            if best is not None:
                u = live[best]
                merged = unary_union([clipped[u], piece])
                clipped[u] = merged
                bb[best] = merged.bounds
        for u in members:
            out[u] = clipped[u]
        feedback.progress(100.0 * (k + 1) / max(1, len(by_zone)))
    return out


# --- topology -----------------------------------------------------------------


def check_topology(codes, down_codes) -> list[dict]:
    """Problems of a unit → downstream table: unknown downstream codes, self-loops, cycles.

    A chain that never cycles ends at a unit with an empty downstream code (an outlet).
    """
    issues = []
    index: dict[str, int] = {}
    for i, c in enumerate(codes):
        index.setdefault(c, i)
    nxt = []
    for c, d in zip(codes, down_codes):
        d = (d or "").strip()
        if not d:
            nxt.append(-1)
        elif d not in index:
            issues.append({"unit_code": c, "check": "down_code_unknown", "detail": d})
            nxt.append(-1)
        elif d == c:
            issues.append({"unit_code": c, "check": "self_loop", "detail": d})
            nxt.append(-1)
        else:
            nxt.append(index[d])
    state = [0] * len(codes)  # 0 unseen, 1 on path, 2 done
    for s in range(len(codes)):
        path = []
        x = s
        while x >= 0 and state[x] == 0:
            state[x] = 1
            path.append(x)
            x = nxt[x]
        if x >= 0 and state[x] == 1:
            cyc = path[path.index(x) :]
            issues.append({"unit_code": codes[x], "check": "cycle", "detail": "→".join(codes[i] for i in cyc)})
        for p in path:
            state[p] = 2
    return issues


def check_outlets(res: Delineation) -> list[dict]:
    """Each outlet cell (main and further ones) lies in its unit and its D8 successor does not
    (flow leaves there); the main outlet point lies within one cell diagonal of its polygon's boundary."""
    issues = []
    flat = res.units.ravel()
    t = res.dem.transform
    diag = math.hypot(t.a, t.e)
    for u, o in enumerate(res.outlet_cell.tolist()):
        code = res.codes[u]
        for cell in [o] + [c for c, _ in res.extra_outlets[u]]:
            if flat[cell] != u + 1:
                issues.append({"unit_code": code, "check": "outlet_not_in_unit", "detail": str(cell)})
            d = res.ds[cell]
            if d != cell and flat[d] == u + 1:
                issues.append({"unit_code": code, "check": "flow_does_not_leave_at_outlet", "detail": str(cell)})
        if res.gdf is not None:
            from shapely.geometry import Point

            g = res.gdf.geometry.iloc[u]
            p = Point(res.gdf.outlet_x.iloc[u], res.gdf.outlet_y.iloc[u])
            if not g.covers(p) or g.boundary.distance(p) > diag:
                issues.append({"unit_code": code, "check": "outlet_not_on_boundary", "detail": f"{p.x},{p.y}"})
    return issues


def check_subunits(res: Delineation) -> list[dict]:
    """The 亚单元 of each 小流域 hold exactly its cells, each 亚单元 lies in one county, and
    the 小流域's area is the sum of its 亚单元's."""
    sub = res.sub
    if sub is None:
        return []
    issues = []
    lab, units = sub.labels.ravel(), res.units.ravel()
    inside = lab > 0
    if not np.array_equal(inside, units > 0):
        issues.append({"unit_code": "", "check": "subunits_do_not_cover_watersheds", "detail": ""})
    wrong = np.flatnonzero(np.bincount(lab[inside] - 1, weights=(sub.parent[lab[inside] - 1] + 1 != units[inside])))
    for k in wrong.tolist():
        issues.append(
            {"unit_code": sub.codes[k], "check": "subunit_outside_parent", "detail": res.codes[sub.parent[k]]}
        )
    if res.gdf is not None and sub.gdf is not None:
        total = sub.gdf.groupby("parent_code").area_km2.sum()
        for code, a in zip(res.gdf.unit_code, res.gdf.area_km2):
            if abs(total.get(code, 0.0) - a) > 1e-9 * max(a, 1.0):
                issues.append({"unit_code": code, "check": "subunit_areas_do_not_sum", "detail": f"{a}"})
    return issues


# --- outputs -------------------------------------------------------------------


def write_outputs(res: Delineation, gpkg, topology_csv=None, raster=None, d8_raster=None) -> dict:
    """Write the unit layer + outlets (one GeoPackage), topology CSV, unit raster (+ label→code CSV), D8 used.

    The rasters are written in a second thread while this one writes the vectors
    (GDAL compresses without the GIL).
    """
    from concurrent.futures import ThreadPoolExecutor

    written = {}
    with ThreadPoolExecutor(1) as pool:
        # in the caller's context, so the rasters join the run's output set
        rasters = pool.submit(contextvars.copy_context().run, _write_rasters, res, raster, d8_raster)
        try:
            gpkg = Path(gpkg)
            units, outlets = _unit_layers(res)
            with atomic_path(gpkg) as tmp:
                units.to_file(tmp, layer=UNITS_LAYER, driver="GPKG")
                if res.sub is not None and res.gdf is not None:
                    res.gdf.to_file(tmp, layer=WATERSHEDS_LAYER, driver="GPKG")
                outlets.to_file(tmp, layer=OUTLETS_LAYER, driver="GPKG")
            written["units"] = f"{gpkg}|layername={UNITS_LAYER}"
            if res.sub is not None:
                written["watersheds"] = f"{gpkg}|layername={WATERSHEDS_LAYER}"
            written["outlets"] = f"{gpkg}|layername={OUTLETS_LAYER}"
            if topology_csv:
                write_csv(
                    topology_csv,
                    ["unit_code", "down_code"],
                    zip(units.unit_code, units.down_code),
                    encoding="utf-8",
                )
                written["topology"] = str(topology_csv)
        finally:
            written.update(rasters.result())
    return written


def _unit_layers(res: Delineation) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The chain's unit layer (the 亚单元 with a county layer, else the 小流域) and the 小流域's
    outlets, of a delineation made with the polygons (vectorise=True)."""
    if res.gdf is None or res.outlets is None or (res.sub is not None and res.sub.gdf is None):
        raise ValueError("the delineation has no polygons (made with vectorise=False)")
    return (res.gdf if res.sub is None else res.sub.gdf), res.outlets


def _write_rasters(res: Delineation, raster=None, d8_raster=None) -> dict:
    written = {}
    profile = {
        "driver": "GTiff",
        "width": res.shape[1],
        "height": res.shape[0],
        "count": 1,
        "crs": res.dem.rio_crs,
        "transform": res.dem.transform,
        "tiled": True,
        "compress": "DEFLATE",
        "BIGTIFF": "IF_SAFER",
        "NUM_THREADS": "ALL_CPUS",  # deflate on every core
    }
    if raster:
        sub = res.sub
        # the labels of the unit layer (亚单元 with a county layer); the 小流域's beside it
        rasters = [("raster", raster, res.units, res.codes, res.names, "小流域")]
        if sub is not None:
            rasters = [
                ("raster", raster, sub.labels, sub.codes, sub.names, "小流域亚单元"),
                ("watershed_raster", watershed_raster_path(raster), res.units, res.codes, res.names, "小流域"),
            ]
        for key, path, labels, codes, names, what in rasters:
            with atomic_path(path) as tmp, rasterio.open(tmp, "w", dtype="int32", nodata=0, **profile) as dst:
                dst.write(labels, 1)
                dst.update_tags(
                    CONTENT=f"{what} unit labels; see the .codes.csv beside this file", ZERO="outside the region"
                )
            codes_csv = label_table_path(path)
            write_csv(
                codes_csv,
                ["label", "unit_code", "unit_name"],
                ((i, c, nm) for i, (c, nm) in enumerate(zip(codes, names), start=1)),
                encoding="utf-8",
            )
            written[key] = str(path)
            written["label_table" if key == "raster" else "watershed_label_table"] = str(codes_csv)
    if d8_raster:
        d8 = K.ds_to_d8(res.ds, res.shape[1]).reshape(res.shape)
        d8_profile = dict(profile, dtype="uint8", nodata=K.D8_NODATA)
        with atomic_path(d8_raster) as tmp, rasterio.open(tmp, "w", **d8_profile) as dst:
            dst.write(d8, 1)
            dst.update_tags(CONTENT="D8 flow directions used (pyflwdir/ESRI codes; 0 = outlet/pit)")
        written["d8"] = str(d8_raster)
    return written


def label_table_path(raster) -> Path:
    p = Path(raster)
    return p.with_name(p.stem + ".codes.csv")


def watershed_raster_path(raster) -> Path:
    """The 小流域 label raster written beside the 亚单元 one (with a county layer)."""
    p = Path(raster)
    return p.with_name(p.stem + ".watersheds" + (p.suffix or ".tif"))


def summary(res: Delineation) -> dict:
    out = dict(res.stats)
    out["params"] = asdict(res.params)
    return out


def delineate_to_files(
    dem_path,
    gpkg,
    topology_csv=None,
    raster=None,
    d8_raster=None,
    counties=None,
    county_code_field=None,
    county_name_field=None,
    params: UnitParams | None = None,
    rules: dict | None = None,
    feedback: Feedback | None = None,
    layer: str = "DEM",
) -> tuple[Delineation, dict]:
    """Delineate, check topology and outlets, write everything; returns (result, written paths)."""
    feedback = feedback or Feedback()
    res = delineate(
        dem_path,
        counties,
        county_code_field,
        county_name_field,
        params,
        rules,
        SubFeedback(feedback, 0, 90),
        layer=layer,
    )
    units, _ = _unit_layers(res)
    issues = check_topology(list(units.unit_code), list(units.down_code)) + check_outlets(res)
    if res.sub is not None and res.gdf is not None:
        issues += check_topology(list(res.gdf.unit_code), list(res.gdf.down_code)) + check_subunits(res)
    res.stats["topology_issues"] = issues
    invalid = res.stats["invalid_polygons"]  # counted in build_layers
    if res.region_km2 > 0:
        res.stats["coverage_error_rel"] = abs(res.stats["units_sum_km2"] - res.region_km2) / res.region_km2
    feedback.check()
    written = write_outputs(res, gpkg, topology_csv, raster, d8_raster)
    feedback.progress(100)
    dist = res.stats["area_distribution"]
    feedback.info(
        f"{dist['n']} units: min {dist['min_km2']:.2f}, median {dist['median_km2']:.2f}, max {dist['max_km2']:.2f} "
        "km²; "
        f"{100 * dist['share_in_range']:.1f}% in {dist['range_km2'][0]}–{dist['range_km2'][1]} km²; "
        f"topology issues {len(issues)}; invalid polygons {invalid}"
        + (
            f"; {len(res.sub.codes)} 亚单元 (county parts), {res.stats['watersheds_split']} 小流域 split"
            if res.sub
            else ""
        )
    )
    return res, written
