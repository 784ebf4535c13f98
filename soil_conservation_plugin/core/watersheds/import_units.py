"""Import and validate an official 小流域 layer, then write it in the unit-layer contract.

Checks (each finding is a row of the report and a polygon of the issue layer):
validity, empty geometry, code present / unique / matching the format, area range,
overlaps between units, gaps (inside the county layer when given, else holes in the
union of the units), coverage of the county, units crossing a county line (SL 653
splits them into 亚单元 [S]), units outside the county, and – when a downstream field
is mapped – topology: unknown downstream codes, self-loops, cycles, and downstream
units that do not touch.

Areas are geodesic on the layer's ellipsoid (common.geo.AreaCalc, as in every other table), whatever its CRS.
An imported layer has no DEM, so its outlet is the midpoint of the boundary shared with
the downstream unit, and empty (NaN) where there is none.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from pyproj import CRS

from ..common.errors import InputError
from ..common.feedback import Feedback
from ..common.geo import AreaCalc
from ..common.io import atomic_path
from ..common.tables import write_csv
from .coding import load_coding_rules, rule_value
from .delineation import (
    COUNTY_CODE_FIELDS,
    COUNTY_NAME_FIELDS,
    OUTLETS_LAYER,
    UNITS_LAYER,
    UnitParams,
    check_topology,
    read_vector,
)

if TYPE_CHECKING:
    import geopandas as gpd

ISSUES_LAYER = "issues"
MIN_PIECE_KM2 = 1e-6  # 1 m²: smaller overlaps/gaps are coordinate noise
ERROR, WARNING = "error", "warning"


@dataclass
class ImportResult:
    units: gpd.GeoDataFrame  # in the contract
    outlets: gpd.GeoDataFrame
    issues: list = field(default_factory=list)  # dicts: unit_code, check, severity, detail, area_km2, geometry
    stats: dict = field(default_factory=dict)

    @property
    def n_errors(self) -> int:
        return sum(1 for i in self.issues if i["severity"] == ERROR)


def _read(path, layer, label):
    return read_vector(path, layer, label)


def _need(gdf, fld, label):
    if fld and fld not in gdf.columns:
        raise InputError(
            label, f"缺少字段 {fld}；已有字段 {list(gdf.columns)}", f"lacks field {fld}; fields are {list(gdf.columns)}"
        )


def _text(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _repair(g):
    if g is None or g.is_empty or g.is_valid:
        return g
    try:
        from shapely.validation import make_valid

        fixed = make_valid(g)
    except ImportError:  # shapely < 1.8
        fixed = g.buffer(0)
    polys = [p for p in getattr(fixed, "geoms", [fixed]) if p.geom_type in ("Polygon", "MultiPolygon")]
    from shapely.ops import unary_union

    return unary_union(polys) if polys else fixed.buffer(0)


def _pairs(gdf):
    """Index pairs (i < j) of geometries whose envelopes/geometries intersect (geopandas old and new)."""
    sidx = gdf.sindex
    if hasattr(sidx, "query_bulk"):
        a, b = sidx.query_bulk(gdf.geometry, predicate="intersects")
    else:
        a, b = sidx.query(gdf.geometry, predicate="intersects")
    keep = a < b
    return zip(a[keep].tolist(), b[keep].tolist())


class _Issues:
    """The findings of an import, in the order found: one dict per finding, its area on the ellipsoid."""

    def __init__(self, calc: AreaCalc):
        self.calc = calc
        self.rows: list[dict] = []

    def add(self, code, check, severity, detail, geom, area=None) -> None:
        self.rows.append(
            {
                "unit_code": code,
                "check": check,
                "severity": severity,
                "detail": detail,
                "area_km2": self.calc.km2(geom) if area is None and geom is not None else (area or 0.0),
                "geometry": geom,
            }
        )


@dataclass
class _CountyLayer:
    gdf: gpd.GeoDataFrame  # in the CRS of the units
    code_field: str | None
    name_field: str | None


@dataclass
class _CountyFit:
    """How the units fit the region: its area, the share covered (None without a county layer), each unit's county."""

    region_km2: float
    coverage: float | None
    county_code: list[str]
    county_name: list[str]


def import_units(
    path,
    layer=None,
    code_field: str = "",
    name_field: str | None = None,
    down_field: str | None = None,
    counties=None,
    county_code_field: str | None = None,
    county_name_field: str | None = None,
    params: UnitParams | None = None,
    code_pattern: str | None = None,
    rules: dict | None = None,
    feedback: Feedback | None = None,
    label: str = "小流域图层 / watershed layer",
) -> ImportResult:
    feedback = feedback or Feedback()
    rules = rules or load_coding_rules()
    params = params or UnitParams.from_rules(rules)
    params.check()
    gdf = _read(path, layer, label)
    if not code_field:
        raise InputError(label, "必须指定编码字段", "a code field must be given")
    for f in (code_field, name_field, down_field):
        _need(gdf, f, label)
    try:
        pattern = re.compile(code_pattern or str(rule_value(rules, "code_regex")))
    except re.error as exc:
        raise InputError("code_regex", f"编码格式正则表达式无效: {exc}", f"invalid code pattern: {exc}") from exc
    crs = CRS.from_user_input(gdf.crs)
    county = _read_counties(counties, county_code_field, county_name_field, crs) if counties else None
    calc = AreaCalc(crs)
    issues = _Issues(calc)

    raw_codes = [_text(v) for v in gdf[code_field]]
    geoms = list(gdf.geometry)
    codes = _check_codes(raw_codes, geoms, pattern, issues)
    feedback.progress(10)
    fixed = _check_geometries(codes, geoms, issues)
    feedback.check()
    area = np.array([calc.km2(g) if g is not None else 0.0 for g in fixed])
    _check_areas(codes, fixed, area, params, issues)
    feedback.progress(30)
    _check_overlaps(codes, fixed, crs, calc, issues)
    feedback.progress(50)
    feedback.check()
    from shapely.ops import unary_union

    union = unary_union([g for g in fixed if g is not None])
    fit = (
        _check_county(county, union, codes, fixed, area, calc, issues) if county else _check_holes(union, codes, issues)
    )
    feedback.progress(75)
    feedback.check()
    down = _downstream(gdf, down_field, raw_codes, codes, fixed, issues) if down_field else [""] * len(codes)
    names = [_text(v) for v in gdf[name_field]] if name_field else [""] * len(codes)
    units, outlets = _layers(codes, names, down, fixed, area, fit, crs)
    stats = _stats(units, issues.rows, fit, params, pattern)
    feedback.progress(100)
    return ImportResult(units, outlets, issues.rows, stats)


def _read_counties(counties, code_field: str | None, name_field: str | None, crs: CRS) -> _CountyLayer:
    """The county layer, ``(path, layer)`` or ``(path, layer, codes of the chosen counties)``, in ``crs``."""
    cpath, clayer, *chosen = counties if isinstance(counties, (tuple, list)) else (counties, None)
    clabel = "县界 / counties"
    county_gdf = _read(cpath, clayer, clabel)
    code_field = code_field or next((f for f in COUNTY_CODE_FIELDS if f in county_gdf.columns), None)
    if chosen and chosen[0]:
        from ..common.counties import select

        county_gdf = select(county_gdf, code_field, chosen[0], clabel)
    name_field = name_field or next((f for f in COUNTY_NAME_FIELDS if f in county_gdf.columns), None)
    for f in (code_field, name_field):
        _need(county_gdf, f, clabel)
    return _CountyLayer(county_gdf.to_crs(crs.to_wkt()), code_field, name_field)


def _check_codes(raw_codes: list[str], geoms: list, pattern: re.Pattern, issues: _Issues) -> list[str]:
    """Codes present, in the format, unique: a missing code becomes NOCODE_i, a repeated one gets a suffix."""
    codes = []
    seen: dict[str, int] = {}
    for i, c in enumerate(raw_codes):
        g = geoms[i]
        if not c:
            issues.add("", "code_missing", ERROR, f"feature {i}", g)
            c = f"NOCODE_{i + 1}"
        elif not pattern.match(c):
            issues.add(c, "code_format", WARNING, f"does not match {pattern.pattern}", g)
        if c in seen:
            seen[c] += 1
            issues.add(c, "code_duplicate", ERROR, f"feature {i}; renamed {c}_{seen[c]}", g)
            c = f"{c}_{seen[c]}"
        else:
            seen[c] = 1
        codes.append(c)
    return codes


def _check_geometries(codes: list[str], geoms: list, issues: _Issues) -> list:
    """Each unit's polygon, repaired when invalid; None when empty or not a polygon."""
    fixed: list = []
    for c, g in zip(codes, geoms):
        if g is None or g.is_empty:
            issues.add(c, "geometry_empty", ERROR, "no geometry", None, 0.0)
            fixed.append(None)
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            issues.add(c, "geometry_type", ERROR, g.geom_type, None, 0.0)
            fixed.append(None)
            continue
        if not g.is_valid:
            from shapely.validation import explain_validity

            issues.add(c, "geometry_invalid", ERROR, explain_validity(g), g, 0.0)
            g = _repair(g)
        fixed.append(g)
    return fixed


def _check_areas(codes: list[str], fixed: list, area: np.ndarray, params: UnitParams, issues: _Issues) -> None:
    for c, g, a in zip(codes, fixed, area):
        if g is None:
            continue
        if a > params.max_km2:
            issues.add(c, "area_above_max", WARNING, f"{a:.3f} km² > {params.max_km2} km²", g, a)
        elif a < params.target_min_km2:
            issues.add(c, "area_below_min", WARNING, f"{a:.3f} km² < {params.target_min_km2} km²", g, a)


def _check_overlaps(codes: list[str], fixed: list, crs: CRS, calc: AreaCalc, issues: _Issues) -> None:
    import geopandas as gpd

    present = [i for i, g in enumerate(fixed) if g is not None]
    work = gpd.GeoDataFrame(
        {"unit_code": [codes[i] for i in present]}, geometry=[fixed[i] for i in present], crs=crs.to_wkt()
    )
    for i, j in _pairs(work):
        inter = work.geometry.iloc[i].intersection(work.geometry.iloc[j])
        a = calc.km2(inter) if not inter.is_empty else 0.0
        if a > MIN_PIECE_KM2:
            issues.add(work.unit_code.iloc[i], "overlap", ERROR, f"with {work.unit_code.iloc[j]}", inter, a)


def _check_county(
    county: _CountyLayer, union, codes: list[str], fixed: list, area: np.ndarray, calc: AreaCalc, issues: _Issues
) -> _CountyFit:
    """Gaps, area outside, coverage of the county layer; each unit's county and the units crossing a county line."""
    from shapely.ops import unary_union

    county_gdf = county.gdf
    cgeoms = [_repair(g) for g in county_gdf.geometry]
    region = unary_union(cgeoms)
    region_km2 = calc.km2(region)
    gaps = region.difference(union)
    outside = union.difference(region)
    for piece in getattr(gaps, "geoms", [gaps]):
        a = calc.km2(piece) if not piece.is_empty else 0.0
        if a > MIN_PIECE_KM2:
            issues.add("", "gap", ERROR, "county area not covered by any unit", piece, a)
    for piece in getattr(outside, "geoms", [outside]):
        a = calc.km2(piece) if not piece.is_empty else 0.0
        if a > MIN_PIECE_KM2:
            issues.add("", "outside_county", WARNING, "unit area outside the county layer", piece, a)
    inside_km2 = calc.km2(union.intersection(region))
    coverage = inside_km2 / region_km2 if region_km2 else 0.0
    if abs(1.0 - coverage) > 1e-3:
        detail = f"units cover {100 * coverage:.3f}% of the county area"
        issues.add("", "coverage", ERROR, detail, None, region_km2 - inside_km2)
    ccodes = [_text(v) for v in county_gdf[county.code_field]] if county.code_field else [""] * len(cgeoms)
    cnames = [_text(v) for v in county_gdf[county.name_field]] if county.name_field else [""] * len(cgeoms)
    county_code = [""] * len(codes)
    county_name = [""] * len(codes)
    for u, g in enumerate(fixed):
        if g is None:
            continue
        shares = [(calc.km2(g.intersection(cg)) if g.intersects(cg) else 0.0, k) for k, cg in enumerate(cgeoms)]
        best, k = max(shares)
        if best > 0:
            county_code[u], county_name[u] = ccodes[k], cnames[k]
        if area[u] > 0 and best / area[u] < 0.999 and sum(1 for s, _ in shares if s > MIN_PIECE_KM2) > 1:
            detail = f"{100 * best / area[u]:.2f}% in {ccodes[k]}; SL 653 splits it into 亚单元 [S]"
            issues.add(codes[u], "crosses_county", WARNING, detail, g, area[u])
    return _CountyFit(region_km2, coverage, county_code, county_name)


def _check_holes(union, codes: list[str], issues: _Issues) -> _CountyFit:
    """Without a county layer: the gaps are the holes in the union of the units."""
    from shapely.geometry import Polygon

    calc = issues.calc
    region_km2 = calc.km2(union)
    for poly in getattr(union, "geoms", [union]):
        for ring in getattr(poly, "interiors", []):
            hole = Polygon(ring)
            a = calc.km2(hole)
            if a > MIN_PIECE_KM2:
                issues.add("", "gap", ERROR, "hole inside the union of the units", hole, a)
    return _CountyFit(region_km2, None, [""] * len(codes), [""] * len(codes))


def _downstream(
    gdf, down_field: str, raw_codes: list[str], codes: list[str], fixed: list, issues: _Issues
) -> list[str]:
    """Each unit's downstream code (renamed codes followed), and the topology findings."""
    down = [""] * len(codes)
    code_of_raw: dict[str, str] = {}
    for rc, c in zip(raw_codes, codes):
        code_of_raw.setdefault(rc, c)
    for u, v in enumerate(gdf[down_field]):
        d = _text(v)
        down[u] = code_of_raw.get(d, d) if d else ""
    for t in check_topology(codes, down):
        at = codes.index(t["unit_code"]) if t["unit_code"] in codes else None
        issues.add(t["unit_code"], t["check"], ERROR, t["detail"], fixed[at] if at is not None else None)
    index = {c: i for i, c in enumerate(codes)}
    for u, d in enumerate(down):
        if (
            d
            and d in index
            and fixed[u] is not None
            and fixed[index[d]] is not None
            and not fixed[u].intersects(fixed[index[d]])
        ):
            issues.add(codes[u], "down_not_adjacent", WARNING, f"downstream unit {d} does not touch it", fixed[u])
    return down


def _outlets(codes: list[str], down: list[str], fixed: list) -> tuple[np.ndarray, np.ndarray]:
    """Outlet x, y of each unit: midpoint of the edge shared with the downstream unit (NaN where none)."""
    index = {c: i for i, c in enumerate(codes)}
    ox = np.full(len(codes), np.nan)
    oy = np.full(len(codes), np.nan)
    for u, d in enumerate(down):
        if d in index and fixed[u] is not None and fixed[index[d]] is not None:
            shared = fixed[u].boundary.intersection(fixed[index[d]].boundary)
            if not shared.is_empty and shared.length > 0:
                p = (
                    shared.interpolate(0.5, normalized=True)
                    if shared.geom_type == "LineString"
                    else max(getattr(shared, "geoms", [shared]), key=lambda s: s.length).interpolate(
                        0.5, normalized=True
                    )
                )
                ox[u], oy[u] = p.x, p.y
    return ox, oy


def _layers(
    codes: list[str],
    names: list[str],
    down: list[str],
    fixed: list,
    area: np.ndarray,
    fit: _CountyFit,
    crs: CRS,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """The units and outlets layers of the contract (units without a geometry are left out)."""
    import geopandas as gpd
    from shapely.geometry import Point

    ox, oy = _outlets(codes, down, fixed)
    index = {c: i for i, c in enumerate(codes)}
    down_ok = [d if d in index and d != c else "" for c, d in zip(codes, down)]
    up: dict[str, list[str]] = {c: [] for c in codes}
    for c, d in zip(codes, down_ok):
        if d:
            up[d].append(c)
    keep = [i for i, g in enumerate(fixed) if g is not None]
    units = gpd.GeoDataFrame(
        {
            "unit_code": [codes[i] for i in keep],
            "unit_name": [names[i] for i in keep],
            "down_code": [down_ok[i] for i in keep],
            "up_codes": [",".join(sorted(up[codes[i]])) for i in keep],
            "area_km2": area[keep],
            "county_code": [fit.county_code[i] for i in keep],
            "county_name": [fit.county_name[i] for i in keep],
            "outlet_x": ox[keep],
            "outlet_y": oy[keep],
        },
        geometry=[fixed[i] for i in keep],
        crs=crs.to_wkt(),
    )
    has = [i for i in keep if np.isfinite(ox[i])]
    outlets = gpd.GeoDataFrame(
        {
            "unit_code": [codes[i] for i in has],
            "down_code": [down_ok[i] for i in has],
            "outlet_rank": [1] * len(has),  # one (estimated) outlet a unit, as the delineation's main one
            "outlet_x": ox[has],
            "outlet_y": oy[has],
        },
        geometry=[Point(ox[i], oy[i]) for i in has],
        crs=crs.to_wkt(),
    )
    return units, outlets


def _stats(
    units: gpd.GeoDataFrame, issues: list[dict], fit: _CountyFit, params: UnitParams, pattern: re.Pattern
) -> dict:
    a = units.area_km2.to_numpy()
    inr = (a >= params.target_min_km2) & (a <= params.max_km2)
    return {
        "units": len(units),
        "errors": sum(1 for i in issues if i["severity"] == ERROR),
        "warnings": sum(1 for i in issues if i["severity"] == WARNING),
        "by_check": {k: sum(1 for i in issues if i["check"] == k) for k in sorted({i["check"] for i in issues})},
        "region_km2": fit.region_km2,
        "units_sum_km2": float(a.sum()),
        "coverage": fit.coverage,
        "area_distribution": {
            "n": int(a.size),
            "min_km2": float(a.min()) if a.size else None,
            "median_km2": float(np.median(a)) if a.size else None,
            "max_km2": float(a.max()) if a.size else None,
            "share_in_range": float(inr.mean()) if a.size else None,
            "range_km2": [params.target_min_km2, params.max_km2],
        },
        "code_pattern": pattern.pattern,
    }


def write_import(res: ImportResult, gpkg, report_csv, topology_csv=None) -> dict:
    """Units + outlets + issues layers (one GeoPackage), the report CSV and the topology CSV."""
    import geopandas as gpd
    from shapely.geometry import MultiPolygon, Polygon

    def as_multi(g):
        if g is None or g.is_empty:
            return None
        polys = [p for p in getattr(g, "geoms", [g]) if isinstance(p, Polygon)]
        polys += [q for p in getattr(g, "geoms", [g]) if isinstance(p, MultiPolygon) for q in p.geoms]
        return MultiPolygon(polys) if polys else None

    written: dict[str, str | None] = {}
    with atomic_path(gpkg) as tmp:
        units = res.units.copy()
        units["geometry"] = [as_multi(g) for g in units.geometry]
        units.to_file(tmp, layer=UNITS_LAYER, driver="GPKG")
        if len(res.outlets):
            res.outlets.to_file(tmp, layer=OUTLETS_LAYER, driver="GPKG")
        issues = gpd.GeoDataFrame(
            {k: [i[k] for i in res.issues] for k in ("unit_code", "check", "severity", "detail", "area_km2")},
            geometry=[as_multi(i["geometry"]) for i in res.issues],
            crs=res.units.crs,
        )
        if len(issues):
            issues.to_file(tmp, layer=ISSUES_LAYER, driver="GPKG")
    written["units"] = f"{gpkg}|layername={UNITS_LAYER}"
    written["outlets"] = f"{gpkg}|layername={OUTLETS_LAYER}" if len(res.outlets) else None
    written["issues"] = f"{gpkg}|layername={ISSUES_LAYER}" if res.issues else None
    write_csv(
        report_csv,
        ["unit_code", "check", "severity", "detail", "area_km2"],
        ([i["unit_code"], i["check"], i["severity"], i["detail"], f"{i['area_km2']:.6f}"] for i in res.issues),
    )
    written["report"] = str(report_csv)
    if topology_csv:
        write_csv(
            topology_csv, ["unit_code", "down_code"], zip(res.units.unit_code, res.units.down_code), encoding="utf-8"
        )
        written["topology"] = str(topology_csv)
    return written
