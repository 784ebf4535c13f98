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
from pathlib import Path

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

ISSUES_LAYER = "issues"
MIN_PIECE_KM2 = 1e-6  # 1 m²: smaller overlaps/gaps are coordinate noise
ERROR, WARNING = "error", "warning"


@dataclass
class ImportResult:
    units: object  # GeoDataFrame in the contract
    outlets: object
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
    import geopandas as gpd
    from shapely.geometry import Point
    from shapely.ops import unary_union

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
    county_gdf = None
    if counties:
        # (path, layer) or (path, layer, codes of the chosen counties)
        cpath, clayer, *chosen = counties if isinstance(counties, (tuple, list)) else (counties, None)
        clabel = "县界 / counties"
        county_gdf = _read(cpath, clayer, clabel)
        county_code_field = county_code_field or next((f for f in COUNTY_CODE_FIELDS if f in county_gdf.columns), None)
        if chosen and chosen[0]:
            from ..common.counties import select

            county_gdf = select(county_gdf, county_code_field, chosen[0], clabel)
        county_name_field = county_name_field or next((f for f in COUNTY_NAME_FIELDS if f in county_gdf.columns), None)
        for f in (county_code_field, county_name_field):
            _need(county_gdf, f, clabel)
        county_gdf = county_gdf.to_crs(crs.to_wkt())
    calc = AreaCalc(crs)
    issues: list[dict] = []

    def add(code, check, severity, detail, geom, area=None):
        issues.append(
            {
                "unit_code": code,
                "check": check,
                "severity": severity,
                "detail": detail,
                "area_km2": calc.km2(geom) if area is None and geom is not None else (area or 0.0),
                "geometry": geom,
            }
        )

    # codes
    raw_codes = [_text(v) for v in gdf[code_field]]
    codes = []
    seen: dict[str, int] = {}
    geoms = list(gdf.geometry)
    for i, c in enumerate(raw_codes):
        g = geoms[i]
        if not c:
            add("", "code_missing", ERROR, f"feature {i}", g)
            c = f"NOCODE_{i + 1}"
        elif not pattern.match(c):
            add(c, "code_format", WARNING, f"does not match {pattern.pattern}", g)
        if c in seen:
            seen[c] += 1
            add(c, "code_duplicate", ERROR, f"feature {i}; renamed {c}_{seen[c]}", g)
            c = f"{c}_{seen[c]}"
        else:
            seen[c] = 1
        codes.append(c)
    feedback.progress(10)
    # geometry validity
    fixed = []
    for c, g in zip(codes, geoms):
        if g is None or g.is_empty:
            add(c, "geometry_empty", ERROR, "no geometry", None, 0.0)
            fixed.append(None)
            continue
        if g.geom_type not in ("Polygon", "MultiPolygon"):
            add(c, "geometry_type", ERROR, g.geom_type, None, 0.0)
            fixed.append(None)
            continue
        if not g.is_valid:
            from shapely.validation import explain_validity

            add(c, "geometry_invalid", ERROR, explain_validity(g), g, 0.0)
            g = _repair(g)
        fixed.append(g)
    feedback.check()
    work = gpd.GeoDataFrame(
        {"unit_code": codes}, geometry=[g if g is not None else Point() for g in fixed], crs=crs.to_wkt()
    )
    present = [i for i, g in enumerate(fixed) if g is not None]
    work_p = work.iloc[present].reset_index(drop=True)
    area = np.array([calc.km2(g) if g is not None else 0.0 for g in fixed])
    for c, g, a in zip(codes, fixed, area):
        if g is None:
            continue
        if a > params.max_km2:
            add(c, "area_above_max", WARNING, f"{a:.3f} km² > {params.max_km2} km²", g, a)
        elif a < params.target_min_km2:
            add(c, "area_below_min", WARNING, f"{a:.3f} km² < {params.target_min_km2} km²", g, a)
    feedback.progress(30)
    # overlaps
    for i, j in _pairs(work_p):
        inter = work_p.geometry.iloc[i].intersection(work_p.geometry.iloc[j])
        a = calc.km2(inter) if not inter.is_empty else 0.0
        if a > MIN_PIECE_KM2:
            add(work_p.unit_code.iloc[i], "overlap", ERROR, f"with {work_p.unit_code.iloc[j]}", inter, a)
    feedback.progress(50)
    feedback.check()
    union = unary_union([g for g in fixed if g is not None])
    # gaps, coverage, county
    county_code = [""] * len(codes)
    county_name = [""] * len(codes)
    if county_gdf is not None:
        cgeoms = [_repair(g) for g in county_gdf.geometry]
        region = unary_union(cgeoms)
        region_km2 = calc.km2(region)
        gaps = region.difference(union)
        outside = union.difference(region)
        for piece in getattr(gaps, "geoms", [gaps]):
            a = calc.km2(piece) if not piece.is_empty else 0.0
            if a > MIN_PIECE_KM2:
                add("", "gap", ERROR, "county area not covered by any unit", piece, a)
        for piece in getattr(outside, "geoms", [outside]):
            a = calc.km2(piece) if not piece.is_empty else 0.0
            if a > MIN_PIECE_KM2:
                add("", "outside_county", WARNING, "unit area outside the county layer", piece, a)
        inside_km2 = calc.km2(union.intersection(region))
        coverage = inside_km2 / region_km2 if region_km2 else 0.0
        if abs(1.0 - coverage) > 1e-3:
            add(
                "",
                "coverage",
                ERROR,
                f"units cover {100 * coverage:.3f}% of the county area",
                None,
                region_km2 - inside_km2,
            )
        ccodes = [_text(v) for v in county_gdf[county_code_field]] if county_code_field else [""] * len(cgeoms)
        cnames = [_text(v) for v in county_gdf[county_name_field]] if county_name_field else [""] * len(cgeoms)
        for u, g in enumerate(fixed):
            if g is None:
                continue
            shares = [(calc.km2(g.intersection(cg)) if g.intersects(cg) else 0.0, k) for k, cg in enumerate(cgeoms)]
            best, k = max(shares)
            if best > 0:
                county_code[u], county_name[u] = ccodes[k], cnames[k]
            if area[u] > 0 and best / area[u] < 0.999 and sum(1 for s, _ in shares if s > MIN_PIECE_KM2) > 1:
                add(
                    codes[u],
                    "crosses_county",
                    WARNING,
                    f"{100 * best / area[u]:.2f}% in {ccodes[k]}; SL 653 splits it into 亚单元 [S]",
                    g,
                    area[u],
                )
    else:
        region_km2 = calc.km2(union)
        coverage = None
        for poly in getattr(union, "geoms", [union]):
            for ring in getattr(poly, "interiors", []):
                from shapely.geometry import Polygon

                hole = Polygon(ring)
                a = calc.km2(hole)
                if a > MIN_PIECE_KM2:
                    add("", "gap", ERROR, "hole inside the union of the units", hole, a)
    feedback.progress(75)
    feedback.check()
    # topology
    down = [""] * len(codes)
    if down_field:
        code_of_raw = {}
        for rc, c in zip(raw_codes, codes):
            code_of_raw.setdefault(rc, c)
        for u, v in enumerate(gdf[down_field]):
            d = _text(v)
            down[u] = code_of_raw.get(d, d) if d else ""
        for t in check_topology(codes, down):
            u = codes.index(t["unit_code"]) if t["unit_code"] in codes else None
            add(t["unit_code"], t["check"], ERROR, t["detail"], fixed[u] if u is not None else None)
        index = {c: i for i, c in enumerate(codes)}
        for u, d in enumerate(down):
            if (
                d
                and d in index
                and fixed[u] is not None
                and fixed[index[d]] is not None
                and not fixed[u].intersects(fixed[index[d]])
            ):
                add(codes[u], "down_not_adjacent", WARNING, f"downstream unit {d} does not touch it", fixed[u])
    # outlets: midpoint of the edge shared with the downstream unit
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
    down_ok = [d if d in index and d != c else "" for c, d in zip(codes, down)]
    up: dict[str, list[str]] = {c: [] for c in codes}
    for c, d in zip(codes, down_ok):
        if d:
            up[d].append(c)
    names = [_text(v) for v in gdf[name_field]] if name_field else [""] * len(codes)
    keep = [i for i, g in enumerate(fixed) if g is not None]
    units = gpd.GeoDataFrame(
        {
            "unit_code": [codes[i] for i in keep],
            "unit_name": [names[i] for i in keep],
            "down_code": [down_ok[i] for i in keep],
            "up_codes": [",".join(sorted(up[codes[i]])) for i in keep],
            "area_km2": area[keep],
            "county_code": [county_code[i] for i in keep],
            "county_name": [county_name[i] for i in keep],
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
            "outlet_x": ox[has],
            "outlet_y": oy[has],
        },
        geometry=[Point(ox[i], oy[i]) for i in has],
        crs=crs.to_wkt(),
    )
    a = units.area_km2.to_numpy()
    inr = (a >= params.target_min_km2) & (a <= params.max_km2)
    stats = {
        "units": len(units),
        "errors": sum(1 for i in issues if i["severity"] == ERROR),
        "warnings": sum(1 for i in issues if i["severity"] == WARNING),
        "by_check": {k: sum(1 for i in issues if i["check"] == k) for k in sorted({i["check"] for i in issues})},
        "region_km2": region_km2,
        "units_sum_km2": float(a.sum()),
        "coverage": coverage,
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
    feedback.progress(100)
    return ImportResult(units, outlets, issues, stats)


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

    written = {}
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


def report_path_for(gpkg) -> Path:
    p = Path(gpkg)
    return p.with_name(p.stem + ".validation.csv")
