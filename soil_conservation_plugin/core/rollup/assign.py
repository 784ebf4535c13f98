"""Which 乡镇 and 县 each 小流域 belongs to, as "pieces" with exact integer areas (0.01 ha).

Two ways, chosen by the caller (and recorded in the run metadata):

* **by attribute** (default): each feature of the unit layer carries its county code (and optionally
  its 乡镇 code) and lies in that division as a whole. This is the 小流域亚单元 case of SL 653 practice
  (REFERENCE.md §1 [S]): a 小流域 crossing a county line was already split along it into 亚单元, one
  feature each, so nothing is split here and each 亚单元 is counted once, in its own county.
* **by geometry**: a division layer (county or 乡镇 polygons with their codes) is given. Each unit
  is intersected with it and split by **area share**, ``share = area(unit ∩ division) / area(unit)``,
  both measured on the ellipsoid (pyproj Geod on the unit layer's own ellipsoid, ``common.geo.AreaCalc``).
  The unit's land area and its erosion-class and zone areas are split by that share: exact for land
  area, an assumption of uniform erosion inside the unit for the class areas (the unit's indicators
  hold no finer information). The parts are rounded to 0.01 ha so that they add up exactly to the
  unit, so a unit crossing a line is counted once in total; what lies outside every division polygon
  is reported (``outside_ha``) and left out of every level.

The erosion-class areas of a unit come from raster cells, its land area from its polygon on the
ellipsoid; where the cells add up to more than the polygon the class areas are scaled to it, where
to less the rest is 无侵蚀数据 (no data). So classes + no data = land area in every row, exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyproj import CRS

from ..common.errors import InputError
from ..common.geo import AreaCalc, repaired
from ..common.paths import resources_path
from ..common.rules import load_json_rules
from .levels import CENTI_HA_M2, clean_code, county_code, round_parts, township_code

UNIT_CODE = "unit_code"
META_ZONE_COLUMNS = {"zone_ids", "zone_main", "zone_audit"}


@dataclass(frozen=True)
class ErosionClasses:
    """The SL 190 classes of resources/rules/erosion_classes.json, in order, and where 水土流失 starts."""

    ids: tuple[str, ...]
    zh: tuple[str, ...]
    loss_from: int  # index of the first class counted as 水土流失 (轻度 by default)
    lower: tuple[float, ...]
    upper: tuple[float | None, ...]
    raster_codes: tuple[int, ...]
    version: str
    source: str

    @property
    def loss_ids(self) -> tuple[str, ...]:
        return self.ids[self.loss_from :]


def load_erosion_classes(path=None) -> ErosionClasses:
    path = path or resources_path("rules", "erosion_classes.json")
    data = load_json_rules(path, "erosion_classes.json")
    classes = data["classes"]
    ids = tuple(c["id"] for c in classes)
    return ErosionClasses(
        ids=ids,
        zh=tuple(c["zh"] for c in classes),
        loss_from=ids.index(data["loss_from_class"]["id"]),
        lower=tuple(float(c["lower"]) for c in classes),
        upper=tuple(None if c["upper"] is None else float(c["upper"]) for c in classes),
        raster_codes=tuple(int(c["raster_code"]) for c in classes),
        version=str(data["version"]),
        source=str(data["source"]),
    )


def zone_names() -> dict[str, str]:
    """zone id → Chinese name, from the shipped zoning rule file (ids of other files keep their id)."""
    data = json.loads(resources_path("rules", "zoning_jilin.json").read_text(encoding="utf-8"))
    return {z["id"]: z["name"]["zh"] for z in data["zone_types"]}


@dataclass
class Pieces:
    """One row per (unit, division) part; areas in integer 0.01 ha."""

    frame: pd.DataFrame  # unit_code, township, county, land, assessed, cls_<id>…, nodata, loss, zone_<id>…
    geometries: list  # shapely geometry of each row (for the per-level layers)
    classes: ErosionClasses
    zones: list[str]
    method: str  # "attribute" or "geometry"
    has_townships: bool
    outside: dict = field(default_factory=dict)  # unit code → 0.01 ha outside every division polygon
    old_codes: list[str] = field(default_factory=list)  # units whose old county code was replaced
    units_without_erosion: list[str] = field(default_factory=list)


def _required_columns(gdf, classes: ErosionClasses, label: str) -> None:
    from ..common.crs import check_ground_crs

    if len(gdf) == 0:
        raise InputError(label, "图层没有要素", "the layer has no features")
    wanted = [UNIT_CODE] + [f"eros_{k}_km2" for k in classes.ids]
    missing = [c for c in wanted if c not in gdf.columns]
    if missing:
        raise InputError(
            label,
            f"缺少字段 {', '.join(missing)}；请输入“小流域指标”(含土壤侵蚀)的结果图层",
            f"fields missing: {', '.join(missing)}; give the output of 'Indicators per small watershed' "
            "computed with an erosion raster",
        )
    codes = gdf[UNIT_CODE].map(clean_code)
    if (codes == "").any():
        raise InputError(label, f"字段 {UNIT_CODE} 有空值", f"field {UNIT_CODE} has empty values")
    dup = codes[codes.duplicated()].unique()
    if len(dup):
        raise InputError(
            label, f"字段 {UNIT_CODE} 有重复值: {list(dup[:5])}", f"field {UNIT_CODE} has duplicates: {list(dup[:5])}"
        )
    check_ground_crs(gdf.crs, label)
    check_unit_polygons(gdf, list(codes), label)
    for col in wanted[1:] + [c for c in ("unit_area_km2",) if c in gdf.columns]:
        values = pd.to_numeric(gdf[col], errors="coerce")
        if (values < 0).any() or np.isinf(values).any():
            raise InputError(label, f"字段 {col} 有负值或无穷值", f"field {col} holds negative or infinite values")


def check_unit_polygons(gdf, codes: list[str], label: str) -> None:
    """Every unit a non-empty, valid polygon; else refused, naming the units (nothing is repaired silently:
    a repaired self-intersecting outline has another area than the one drawn)."""
    from shapely.validation import explain_validity

    types = set(gdf.geom_type.dropna())
    if gdf.geometry.isna().any() or not types <= {"Polygon", "MultiPolygon"}:
        raise InputError(
            label, f"小流域必须都是面要素(实际: {sorted(types)})", f"every unit must be a polygon (got {sorted(types)})"
        )
    bad = [f"{c} ({explain_validity(g)})" for c, g in zip(codes, gdf.geometry.values) if g.is_empty or not g.is_valid]
    if bad:
        shown = "; ".join(bad[:5]) + (f" … (+{len(bad) - 5})" if len(bad) > 5 else "")
        raise InputError(
            label,
            f"{len(bad)} 个小流域几何无效或为空: {shown}；请先修复（如 QGIS“修复几何”）",
            f"{len(bad)} units have invalid or empty geometries: {shown}; "
            "repair them first (e.g. QGIS 'Fix geometries')",
        )


def _zone_columns(gdf) -> list[str]:
    out = []
    for col in gdf.columns:
        if not str(col).startswith("zone_") or col in META_ZONE_COLUMNS:
            continue
        values = pd.to_numeric(gdf[col], errors="coerce").dropna()
        if len(values) and set(values.unique()) <= {0, 1}:
            out.append(str(col)[len("zone_") :])
    return out


@dataclass(frozen=True)
class UnitAreas:
    """One unit's areas in km² before it is split: land, classes (+ no data), zone flags."""

    land_km2: float
    classes_km2: np.ndarray  # per class, then 'no data' last
    has_erosion: bool
    zones: np.ndarray  # 0/1 per zone


def _unit_areas(row, classes: ErosionClasses, zones: list[str], calc: AreaCalc, geom) -> UnitAreas:
    land = row.get("unit_area_km2")
    land = float(land) if land is not None and np.isfinite(float(land)) and float(land) > 0 else calc(geom) / 1e6
    raw = np.array([float(row[f"eros_{k}_km2"]) if row[f"eros_{k}_km2"] is not None else np.nan for k in classes.ids])
    has = bool(np.all(np.isfinite(raw)))
    cls = np.zeros(len(classes.ids) + 1)
    if has:
        cls[:-1] = raw
        cls[-1] = max(0.0, land - raw.sum())
    else:
        cls[-1] = land  # no erosion data: all of it 'no data', and not assessed
    flags = np.array([1 if pd.notna(row.get(f"zone_{z}")) and int(row.get(f"zone_{z}")) == 1 else 0 for z in zones])
    return UnitAreas(land, cls, has, flags)


def _piece_row(code, township, county, land: int, areas: UnitAreas, share: float, classes, zones) -> dict:
    parts = round_parts(areas.classes_km2 * share, land)
    row = {"unit_code": code, "township": township, "county": county, "land": land}
    for k, v in zip(classes.ids, parts[:-1]):
        row[f"cls_{k}"] = int(v) if areas.has_erosion else 0
    row["nodata"] = int(parts[-1]) if areas.has_erosion else land
    # 评价面积: the land with erosion data, i.e. less its 无侵蚀数据 part (none at all for a unit without data)
    row["assessed"] = land - row["nodata"]
    row["loss"] = sum(row[f"cls_{k}"] for k in classes.loss_ids)
    for z, flag in zip(zones, areas.zones):
        row[f"zone_{z}"] = land if flag else 0
    return row


def unit_rows(gdf, classes=None) -> pd.DataFrame:
    """Each unit's own areas in integer 0.01 ha, by the rules of the pieces (land on the ellipsoid, class
    areas scaled to it, the rest 无侵蚀数据), before any split by division: unit_code, land, assessed,
    cls_<id>…, nodata, loss. A unit lying wholly in one division is exactly its piece."""
    classes = classes or load_erosion_classes()
    calc = AreaCalc(CRS.from_user_input(gdf.crs))
    rows = []
    for _, unit in gdf.iterrows():
        geom = repaired(unit.geometry)
        areas = _unit_areas(unit, classes, [], calc, geom)
        land = int(round(areas.land_km2 * 1e6 / CENTI_HA_M2))
        rows.append(_piece_row(clean_code(unit[UNIT_CODE]), "", "", land, areas, 1.0, classes, []))
    return pd.DataFrame(rows).drop(columns=["township", "county"])


MAX_LISTED = 10


def bad_codes(gdf, county_field: str, label: str) -> None:
    """Refuse, listing up to ``MAX_LISTED`` of them, the units whose county code is not a 吉林 county code."""
    bad = []
    for _, unit in gdf.iterrows():
        try:
            county_code(unit[county_field], label, "")
        except InputError:
            bad.append((clean_code(unit[UNIT_CODE]), clean_code(unit[county_field])))
    if not bad:
        return
    shown = ", ".join(f"{u}: '{c}'" for u, c in bad[:MAX_LISTED]) + (" …" if len(bad) > MAX_LISTED else "")
    raise InputError(
        label,
        f"{len(bad)} 个小流域的县代码(字段 {county_field})不是吉林省的县级区划代码"
        f"(resources/divisions/jilin_counties.csv)：{shown}",
        f"{len(bad)} units have a county code (field {county_field}) that is not a 吉林 county code "
        f"(resources/divisions/jilin_counties.csv): {shown}",
    )


def check_province(pieces: "Pieces", province_code: str, label: str, targets_label: str) -> None:
    """Refuse units outside the targets file's province (code prefix): its targets are never shared to them."""
    prefix = str(province_code)[:2]
    counties = sorted(set(pieces.frame["county"]))
    foreign = [c for c in counties if not c.startswith(prefix)]
    if not prefix or not foreign:
        return
    units = pieces.frame.loc[pieces.frame["county"].isin(foreign), "unit_code"].drop_duplicates().tolist()
    shown = ", ".join(units[:MAX_LISTED]) + (" …" if len(units) > MAX_LISTED else "")
    raise InputError(
        label,
        f"{len(units)} 个小流域的县代码({', '.join(foreign[:MAX_LISTED])})不属于目标文件({targets_label})的省 "
        f"{province_code}，该省的目标不能分解到别省的县：{shown}",
        f"{len(units)} units have county codes ({', '.join(foreign[:MAX_LISTED])}) outside the province "
        f"{province_code} of the targets file ({targets_label}); its targets are never shared to another "
        f"province's counties: {shown}",
    )


def pieces_by_attribute(
    gdf, label: str, county_field: str = "county_code", township_field: str | None = None, classes=None
) -> Pieces:
    """Each feature (a 小流域 or 亚单元) wholly in the county (and 乡镇) its attributes name."""
    classes = classes or load_erosion_classes()
    _required_columns(gdf, classes, label)
    for name in [county_field] + ([township_field] if township_field else []):
        if name not in gdf.columns:
            raise InputError(label, f"缺少区划代码字段 {name}", f"the division code field {name} is missing")
    zones = _zone_columns(gdf)
    calc = AreaCalc(CRS.from_user_input(gdf.crs))
    rows, geoms, old, no_erosion = [], [], [], []
    bad_codes(gdf, county_field, label)  # every unit with a code that is not a 吉林 county, listed at once
    for _, unit in gdf.iterrows():
        code = clean_code(unit[UNIT_CODE])
        where = f"小流域 {code}"
        county, was_old = county_code(unit[county_field], label, where)
        if was_old:
            old.append(code)
        township = ""
        if township_field:
            township = township_code(unit[township_field], label, where)
            if township[:6] != county:
                raise InputError(
                    label,
                    f"小流域 {code} 的乡镇代码 {township} 不属于其县代码 {county}",
                    f"the township code {township} of unit {code} is not in its county {county}",
                )
        geom = repaired(unit.geometry)
        areas = _unit_areas(unit, classes, zones, calc, geom)
        if not areas.has_erosion:
            no_erosion.append(code)
        land = int(round(areas.land_km2 * 1e6 / CENTI_HA_M2))
        rows.append(_piece_row(code, township, county, land, areas, 1.0, classes, zones))
        geoms.append(geom)
    return Pieces(pd.DataFrame(rows), geoms, classes, zones, "attribute", bool(township_field), {}, old, no_erosion)


def _division_codes(divisions, code_field: str, label: str) -> tuple[list[str], bool]:
    """The current codes of a division layer and whether they are 乡镇 (9 digits) or 县 (6) codes."""
    if code_field not in divisions.columns:
        raise InputError(label, f"缺少区划代码字段 {code_field}", f"the division code field {code_field} is missing")
    if len(divisions) == 0:
        raise InputError(label, "区划图层没有要素", "the division layer has no features")
    raw = [clean_code(v) for v in divisions[code_field]]
    townships = all(len(c) in (9, 12) for c in raw)
    if not townships and not all(len(c) == 6 for c in raw):
        raise InputError(
            label,
            f"字段 {code_field} 应全部为 6 位县代码或全部为 9 位乡镇代码",
            f"field {code_field} must hold only 6-digit county codes or only 9-digit township codes",
        )
    codes = [
        township_code(c, label, f"区划要素 {c}") if townships else county_code(c, label, f"区划要素 {c}")[0]
        for c in raw
    ]
    return codes, townships


def pieces_by_geometry(gdf, label: str, divisions, code_field: str, divisions_label: str, classes=None) -> Pieces:
    """Each unit split by area share among the division polygons it overlaps (see the module docstring)."""
    classes = classes or load_erosion_classes()
    _required_columns(gdf, classes, label)
    codes, townships = _division_codes(divisions, code_field, divisions_label)
    if divisions.crs is None:
        raise InputError(divisions_label, "区划图层没有坐标参考系(CRS)", "the division layer has no CRS")
    crs = CRS.from_user_input(gdf.crs)
    if not CRS.from_user_input(divisions.crs).equals(crs):
        divisions = divisions.to_crs(gdf.crs)
    div_geoms = [repaired(g) for g in divisions.geometry.values]
    bounds = np.array([g.bounds if not g.is_empty else (np.inf, np.inf, -np.inf, -np.inf) for g in div_geoms])
    zones = _zone_columns(gdf)
    calc = AreaCalc(crs)
    rows, geoms, outside, no_erosion = [], [], {}, []
    for _, unit in gdf.iterrows():
        code = clean_code(unit[UNIT_CODE])
        geom = repaired(unit.geometry)
        unit_m2 = calc(geom)
        areas = _unit_areas(unit, classes, zones, calc, geom)
        if not areas.has_erosion:
            no_erosion.append(code)
        x0, y0, x1, y1 = geom.bounds
        near = np.nonzero((bounds[:, 0] <= x1) & (bounds[:, 2] >= x0) & (bounds[:, 1] <= y1) & (bounds[:, 3] >= y0))[0]
        parts = []
        for j in near:
            piece = repaired(geom.intersection(div_geoms[j]))
            if not piece.is_empty:
                parts.append((j, piece, calc(piece)))
        shares = np.array([a for _, _, a in parts]) / unit_m2 if unit_m2 > 0 else np.zeros(len(parts))
        if shares.sum() > 1.0 + 1e-6:
            raise InputError(
                divisions_label,
                f"区划面相互重叠：小流域 {code} 落入的区划面积之和为其面积的 {100 * shares.sum():.3f}%",
                f"the division polygons overlap: the parts of unit {code} add up to {100 * shares.sum():.3f}% of it",
            )
        total = int(round(areas.land_km2 * 1e6 / CENTI_HA_M2))
        lands = round_parts(list(shares) + [max(0.0, 1.0 - shares.sum())], total)
        if lands[-1]:
            outside[code] = int(lands[-1])
        for (j, piece, _), land, share in zip(parts, lands[:-1], shares):
            if land == 0:
                continue
            township = codes[j] if townships else ""
            county = codes[j][:6] if townships else codes[j]
            rows.append(_piece_row(code, township, county, int(land), areas, float(share), classes, zones))
            geoms.append(piece)
    if not rows:
        raise InputError(
            divisions_label,
            "小流域与区划图层没有重叠(已按小流域坐标系比较)",
            "the units do not overlap the division layer (compared in the units' CRS)",
        )
    return Pieces(pd.DataFrame(rows), geoms, classes, zones, "geometry", townships, outside, [], no_erosion)
