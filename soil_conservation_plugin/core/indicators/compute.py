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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import numpy as np
from pyproj import CRS, Transformer

from ..common.crs import check_ground_crs
from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..common.io import atomic_path
from ..common.paths import resources_path
from ..terrain.slope_classes import slope_classes
from .grid import Grid
from .sources import ErosionSource, FvcSource, LanduseSource, SlopeSource, Source
from .wkb import ring_arrays
from .zonal import LabelRaster, zonal_pass

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

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

    def bad(zh: str, en: str) -> NoReturn:
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
    check_ground_crs(gdf.crs, label, polygons=True)
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
    # imported here: the CSLE algorithm reads its parameters through this module and runs without shapely
    from ..common.geo import AreaCalc

    ring_area = AreaCalc(CRS.from_user_input(gdf.crs)).ring_areas([f[1] for f in flat])
    owner = np.array([f[0] for f in flat])
    np.add.at(out, owner, np.where([f[2] for f in flat], -ring_area, ring_area))
    return out


def overlay_overlap(units, overlay_path, overlay_layer, label: str) -> np.ndarray:
    """Area (m², ellipsoidal) of each unit inside the union of the overlay polygons."""
    import geopandas as gpd

    from ..common.vector import read_vector

    ov = read_vector(overlay_path, label, overlay_layer)
    check_ground_crs(ov.crs, label, polygons=True)
    ov = ov[ov.geometry.notna() & ~ov.geometry.is_empty]
    ov = ov[ov.geom_type.isin(["Polygon", "MultiPolygon"])]
    out = np.zeros(len(units))
    if ov.empty:
        return out
    ov = ov.to_crs(units.crs)
    ov_geoms = [g if g.is_valid else g.buffer(0) for g in ov.geometry.values]
    import shapely.ops

    from ..common.geo import polygon_parts

    parts = gpd.GeoSeries(polygon_parts(shapely.ops.unary_union(ov_geoms)), crs=units.crs)
    sidx = parts.sindex
    inter: list[BaseGeometry | None] = []
    for geom in units.geometry.values:
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
    crs_cache: dict = {}
    sources = _sources(dem, erosion, erosion_kind, landuse, fvc, steep_deg, landuse_mapping, erosion_classes, crs_cache)
    if dem:
        units["steep_deg"] = float(steep_deg)
    units_crs = CRS.from_user_input(units.crs)
    rings_xy = ring_arrays(units.geometry.values)
    _check_sources(sources, units_crs, rings_xy)
    for kind in overlays or {}:
        if not kind.isidentifier():
            raise InputError(str(kind), "叠加图层名称必须是标识符", "an overlay name must be an identifier")
    label_raster = LabelRaster(labels, units[UNIT_CODE].astype(str).tolist(), crs_cache=crs_cache) if labels else None
    info: dict = {"steep_deg": steep_deg, "grids": [], "overlays": {}}
    units["unit_area_km2"] = geodesic_areas(units, rings_xy) / 1e6
    # group sources by grid: one coverage computation per grid
    groups: dict[tuple, list[Source]] = {}
    for s in sources:
        groups.setdefault(s.grid.key(), []).append(s)
    n_steps = len(groups) + (1 if overlays else 0)
    coverage_rule = load_data_coverage()["min_valid_share"]
    min_share = float(coverage_rule["value"])
    missing: list[list[str]] = [[] for _ in range(len(units))]
    inputs = _PassInputs(units_crs, rings_xy, label_raster, method)
    for step, group in enumerate(groups.values()):
        sub = SubFeedback(feedback, 100.0 * step / max(1, n_steps), 100.0 * (step + 1) / max(1, n_steps))
        info["grids"].append(_grid_pass(units, group, inputs, min_share, missing, sub, feedback))
    if sources:
        _record_missing(units, missing, coverage_rule, min_share, info, feedback)
    _add_overlays(units, overlays or {}, info, feedback)
    feedback.progress(100)
    return units, info


def erosion_indicators(
    units,
    source: ErosionSource,
    method: str = "auto",
    feedback: Feedback | None = None,
    labels: LabelRaster | None = None,
):
    """The erosion columns of ``compute_indicators`` for one checked erosion source, and ``unit_area_km2``.

    The same zonal pass (``_grid_pass``), cell areas and NULL rule of resources/rules/data_coverage.json
    as ``compute_indicators(units, erosion=...)``: so a roll-up of these columns equals the roll-up of the
    indicator step's output on the same units and raster (soil_conservation:change measures each year so).
    ``labels``: the unit raster of the watershed step, counted as is when on the source's grid (as there).
    Returns (units with the columns, info dict)."""
    feedback = feedback or Feedback()
    units = units.reset_index(drop=True).copy()
    units_crs = CRS.from_user_input(units.crs)
    rings_xy = ring_arrays(units.geometry.values)
    units["unit_area_km2"] = geodesic_areas(units, rings_xy) / 1e6
    coverage_rule = load_data_coverage()["min_valid_share"]
    min_share = float(coverage_rule["value"])
    missing: list[list[str]] = [[] for _ in range(len(units))]
    info: dict = {"grids": []}
    inputs = _PassInputs(units_crs, rings_xy, labels, method)
    info["grids"].append(_grid_pass(units, [source], inputs, min_share, missing, feedback, feedback))
    _record_missing(units, missing, coverage_rule, min_share, info, feedback)
    return units, info


def _sources(
    dem, erosion, erosion_kind: str, landuse, fvc, steep_deg: float, landuse_mapping, erosion_classes, crs_cache: dict
) -> list[Source]:
    """The raster sources given, opened and checked for what needs no pass over the data."""
    sources: list[Source] = []
    if dem:
        slope = slope_classes()
        sources.append(SlopeSource(dem, "DEM", steep_deg, slope.breaks, slope.ids))
    if erosion:
        if erosion_kind not in ("modulus", "classes"):
            raise InputError(
                "土壤侵蚀 erosion", f"未知的侵蚀栅格类型 {erosion_kind}", f"unknown erosion raster kind {erosion_kind}"
            )
        classes = erosion_classes or load_erosion_classes()
        sources.append(ErosionSource(erosion, "土壤侵蚀 erosion", erosion_kind, classes, crs_cache))
    if landuse:
        mapping = landuse_mapping or load_landuse_mapping()
        sources.append(LanduseSource(landuse, "土地利用 land use", mapping, crs_cache))
        _register_landuse(mapping)
    if fvc:
        sources.append(FvcSource(fvc, "植被覆盖度 FVC", crs_cache))
    return sources


def _check_sources(sources: list[Source], units_crs: CRS, rings_xy: list) -> None:
    """Each raster overlaps the units (in its own CRS) and passes its own check (a scan of its values)."""
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


@dataclass
class _PassInputs:
    """What every grid's pass reads besides its rasters."""

    units_crs: CRS
    rings_xy: list  # the units' rings in their CRS (ring_arrays)
    label_raster: LabelRaster | None
    method: str


_METHODS = {
    "label": "label counting (units on the grid)",
    "label raster": "label counting on the given unit raster",
    "label+coverage": "label counting, exact coverage fractions where units overlap",
    "coverage": "exact coverage fractions",
}


def _grid_pass(
    units,
    group: list[Source],
    inputs: _PassInputs,
    min_share: float,
    missing: list[list[str]],
    sub: Feedback,
    feedback: Feedback,
) -> dict:
    """The zonal pass of the rasters of one grid: their columns on ``units``, NULL where a unit lacks data
    (its name appended to ``missing``). Returns the grid's entry of the run info."""
    grid = group[0].grid
    units_crs = inputs.units_crs
    if not units_crs.equals(grid.crs):
        feedback.info(
            f"{', '.join(s.layer for s in group)}: 小流域已临时重投影到栅格坐标系 / "
            f"units reprojected on the fly to {grid.crs.name}"
        )
        geoms = list(
            np.asarray(
                units.to_crs(grid.rio_crs.to_wkt() if grid.rio_crs is not None else grid.crs).geometry.values,
                dtype=object,
            )
        )
    else:
        geoms = list(np.asarray(units.geometry.values, dtype=object))
    label_raster = inputs.label_raster
    lab = label_raster if label_raster is not None and label_raster.grid.key() == grid.key() else None
    res = zonal_pass(geoms, group, inputs.method, sub, inputs.rings_xy if units_crs.equals(grid.crs) else None, lab)
    for key, col in res["columns"].items():
        units[key] = col
    for name, (share, cols) in res["shares"].items():
        if len(share) and not np.any(share > 0):  # no valid cell in any unit: a wrong or empty raster
            label = next((s.layer for s in group if s.name == name), name)
            raise InputError(
                label,
                "栅格在所有小流域内都是无数据（NoData），不能计算指标",
                "the raster is NoData inside every small watershed; no indicator can be computed from it",
            )
        # too little data: NULL, never a made-up 100 % 水土保持率 or 0 水土流失面积
        lacking = ~(share >= min_share)
        units.loc[lacking, [k for k in cols if k not in DATA_SHARE_COLUMNS]] = np.nan
        for i in np.nonzero(lacking)[0]:
            missing[i].append(name)
    feedback.info(f"{', '.join(s.layer for s in group)}: {_METHODS[res['method']]}")
    return {
        "layers": [s.layer for s in group],
        "method": res["method"],
        "width": grid.width,
        "height": grid.height,
        "crs": grid.crs.name,
    }


def _record_missing(
    units, missing: list[list[str]], coverage_rule: dict, min_share: float, info: dict, feedback: Feedback
) -> None:
    """The lacks_data field, and the coverage rule in the run info."""
    units[LACKS_DATA] = [";".join(m) or None for m in missing]
    info["min_valid_share"] = {
        "value": min_share,
        "default": coverage_rule["default"],
        "source": coverage_rule["source"],
    }
    info["units_lacking_data"] = sum(1 for m in missing if m)
    if info["units_lacking_data"]:
        feedback.info(
            f"{info['units_lacking_data']} 个小流域的部分指标因有效数据不足 {min_share:.0%} 而为空 "
            f"(字段 {LACKS_DATA}) / "
            f"units with indicators left NULL for lack of valid data (< {min_share:.0%}; field {LACKS_DATA})"
        )


def _add_overlays(units, overlays: dict, info: dict, feedback: Feedback) -> None:
    """Overlap (km², % of the unit) with each overlay layer, on the ellipsoid."""
    for kind, spec in overlays.items():
        feedback.check()
        path, layer = spec if isinstance(spec, (tuple, list)) else (spec, None)
        zh = OVERLAY_KINDS.get(kind, (kind, kind))[0]
        area = overlay_overlap(units, path, layer, zh)
        units[f"{kind}_km2"] = area / 1e6
        with np.errstate(invalid="ignore", divide="ignore"):
            units[f"{kind}_pct"] = np.clip(100.0 * area / (units["unit_area_km2"].values * 1e6), 0, 100)
        info["overlays"][kind] = str(path)


def write_units(gdf, out_path, layer: str = "units") -> None:
    """Write the unit layer as a GeoPackage, atomically."""
    with atomic_path(out_path) as tmp:
        gdf.to_file(str(tmp), layer=layer, driver="GPKG")
