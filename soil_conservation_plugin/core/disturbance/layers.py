"""Reading the issued patch layer and the overlay layers, refusing bad inputs before any work.

All reading goes through core/common/vector.py (encoding detection, bilingual errors). The patch
layer is refused when a required field is missing, a geometry is empty, not a polygon or invalid,
a 图斑编号 is empty or used twice, or the CRS cannot give ground areas. The overlay layers are
reprojected into the patch layer's CRS; their invalid geometries are repaired (they are results
of this plugin or official layers, and a repair keeps every area).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyproj import CRS
from shapely.validation import explain_validity

from ..common.crs import check_ground_crs
from ..common.errors import InputError
from ..common.geo import polygon_parts, polygonal, repaired
from ..common.vector import read_vector
from .fields import FieldMapping, find_field, resolve_patch_fields

SHOW = 10  # ids listed in an error message


@dataclass
class PatchLayer:
    """The issued patches with canonical columns: patch_id, year, dist_type, project, builder,
    approval, approval_state, area_issued_ha (扰动面积 converted to 公顷, NaN when not given)."""

    gdf: Any  # GeoDataFrame
    crs: CRS
    label: str
    path: str
    encoding: str
    columns: dict  # canonical name → the layer's column (None: absent)


@dataclass
class OverlayLayer:
    """An overlay layer in the patch CRS: geometries with a code, name or zone kind per feature."""

    label: str
    path: str
    geoms: list
    codes: list = field(default_factory=list)
    names: list = field(default_factory=list)
    repaired: int = 0  # invalid geometries repaired on reading
    encoding: str = ""


def _listed(values) -> str:
    values = [str(v) for v in values]
    more = f" …(+{len(values) - SHOW})" if len(values) > SHOW else ""
    return ", ".join(values[:SHOW]) + more


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def _check_geometries(gdf, ids: list[str], label: str) -> None:
    missing = [i for i, g in zip(ids, gdf.geometry.values) if g is None or g.is_empty]
    if missing:
        raise InputError(
            label,
            f"{len(missing)} 个图斑没有几何形状: {_listed(missing)}",
            f"{len(missing)} patches have no geometry: {_listed(missing)}",
        )
    not_polygon = [f"{i} ({g.geom_type})" for i, g in zip(ids, gdf.geometry.values) if not polygon_parts(g)]
    if not_polygon:
        raise InputError(
            label,
            f"{len(not_polygon)} 个图斑不是面: {_listed(not_polygon)}；扰动图斑必须是多边形",
            f"{len(not_polygon)} patches are not polygons: {_listed(not_polygon)}; "
            "disturbance patches must be polygons",
        )
    invalid = [f"{i} ({explain_validity(g)})" for i, g in zip(ids, gdf.geometry.values) if not g.is_valid]
    if invalid:
        raise InputError(
            label,
            f"{len(invalid)} 个图斑几何无效: {_listed(invalid)}；请先修复（如 QGIS“修复几何”）",
            f"{len(invalid)} patches have invalid geometries: {_listed(invalid)}; repair them first "
            "(e.g. QGIS 'Fix geometries')",
        )


def _check_ids(ids: list[str], label: str, id_field: str) -> None:
    empty = [str(n) for n, i in enumerate(ids, start=1) if not i]
    if empty:
        raise InputError(
            label,
            f"{len(empty)} 个要素的图斑编号（{id_field}）为空，第 {_listed(empty)} 个",
            f"{len(empty)} features have an empty patch id ({id_field}): feature no. {_listed(empty)}",
        )
    seen: dict[str, int] = {}
    for i in ids:
        seen[i] = seen.get(i, 0) + 1
    twice = [f"{i} ×{n}" for i, n in seen.items() if n > 1]
    if twice:
        raise InputError(
            label,
            f"{len(twice)} 个图斑编号（{id_field}）重复: {_listed(twice)}；"
            "每个图斑编号只能对应一个要素（多部分图斑请先合并）",
            f"{len(twice)} patch ids ({id_field}) occur more than once: {_listed(twice)}; "
            "each id must name one feature (merge multipart patches first)",
        )


def _issued_area_ha(gdf, column: str | None, ids: list[str], mapping: FieldMapping, label: str) -> list[float]:
    if column is None:
        return [float("nan")] * len(gdf)
    out, bad = [], []
    for i, value in zip(ids, gdf[column].values):
        text = _text(value)
        try:
            out.append(float(text) * mapping.area_factor_ha if text else float("nan"))
        except ValueError:
            bad.append(f"{i}: {text}")
    if bad:
        raise InputError(
            label,
            f"扰动面积字段 {column} 中有非数值: {_listed(bad)}",
            f"the disturbed-area field {column} holds values that are not numbers: {_listed(bad)}",
        )
    return out


def read_patches(path, label: str, mapping: FieldMapping, encoding: str | None = None) -> PatchLayer:
    """The issued patch layer, checked (see the module doc), with canonical columns."""
    import geopandas as gpd

    gdf = read_vector(path, label, encoding=encoding)
    enc = str(gdf.attrs.get("encoding", ""))
    if len(gdf) == 0:
        raise InputError(label, "图层中没有图斑", "the layer holds no patches")
    crs = check_ground_crs(gdf.crs, label, polygons=True)
    cols = resolve_patch_fields([c for c in gdf.columns if c != "geometry"], mapping, label)
    ids = [_text(v) for v in gdf[cols["patch_id"]].values]
    _check_ids(ids, label, str(cols["patch_id"]))
    _check_geometries(gdf, ids, label)
    data: dict[str, list] = {"patch_id": ids}
    for name in ("year", "dist_type", "project", "builder", "approval"):
        column = cols[name]
        data[name] = [_text(v) for v in gdf[column].values] if column else [""] * len(gdf)
    data["approval_state"] = [mapping.approval_state(v) for v in data["approval"]]
    data["area_issued_ha"] = _issued_area_ha(gdf, cols["dist_area"], ids, mapping, label)
    out = gpd.GeoDataFrame(data, geometry=[polygonal(g) for g in gdf.geometry.values], crs=gdf.crs)
    return PatchLayer(out, crs, label, str(gdf.attrs.get("path", path)), enc, cols)


def _read_in(path, label: str, crs: CRS, preferred: tuple, encoding: str | None):
    """(GeoDataFrame in ``crs`` with repaired polygons, repairs, encoding) of an overlay layer."""
    gdf = read_vector(path, label, encoding=encoding, preferred_layers=preferred)
    enc = str(gdf.attrs.get("encoding", ""))
    if len(gdf) and gdf.geometry.notna().any():
        check_ground_crs(gdf.crs, label, polygons=True)
        gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
        if not CRS.from_user_input(gdf.crs).equals(crs):
            gdf = gdf.to_crs(crs)
    fixed = int((~gdf.geometry.is_valid).sum()) if len(gdf) else 0
    gdf = gdf.assign(geometry=[repaired(g) for g in gdf.geometry.values]) if len(gdf) else gdf
    return gdf, fixed, enc


def _column(gdf, candidates, label: str, what_zh: str, what_en: str, required: bool = True) -> str | None:
    found = find_field([c for c in gdf.columns if c != "geometry"], candidates)
    if found is None and required:
        have = ", ".join(str(c) for c in gdf.columns if c != "geometry")
        raise InputError(
            label,
            f"缺少{what_zh}字段（候选: {', '.join(candidates)}）；图层的字段为: {have}",
            f"the {what_en} field is missing (candidates: {', '.join(candidates)}); the layer's fields are: {have}",
        )
    return found


def read_areas(path, label: str, crs: CRS, preferred: tuple = (), encoding: str | None = None) -> OverlayLayer:
    """A layer whose every feature counts (禁止开垦陡坡地, 生态保护红线); may hold no feature."""
    gdf, fixed, enc = _read_in(path, label, crs, preferred, encoding)
    return OverlayLayer(label, str(path), list(gdf.geometry.values), repaired=fixed, encoding=enc)


def read_divisions(
    path, label: str, crs: CRS, key: str, mapping: FieldMapping, preferred: tuple = (), encoding: str | None = None
) -> OverlayLayer:
    """Counties, 乡镇 or 小流域 (``key`` county / township / unit): code (required) and name per feature."""
    gdf, fixed, enc = _read_in(path, label, crs, preferred, encoding)
    if len(gdf) == 0:
        raise InputError(label, "图层中没有要素", "the layer holds no features")
    spec = mapping.layers[key]
    code = _column(gdf, spec["code"], label, "代码", "code")
    name = _column(gdf, spec["name"], label, "名称", "name", required=False)
    codes = [_text(v) for v in gdf[code].values]
    empty = [str(n) for n, c in enumerate(codes, start=1) if not c]
    if empty:
        raise InputError(
            label,
            f"{len(empty)} 个要素的代码（{code}）为空，第 {_listed(empty)} 个",
            f"{len(empty)} features have an empty code ({code}): feature no. {_listed(empty)}",
        )
    _check_codes(codes, key, code or "", label)
    names = [_text(v) for v in gdf[name].values] if name else [""] * len(gdf)
    return OverlayLayer(label, str(path), list(gdf.geometry.values), codes, names, fixed, enc)


# digits of a 统计用区划代码 (NBS): 县 6, 乡镇 9 (12 with the trailing zeros of the full code)
CODE_DIGITS = {"county": (6,), "township": (9, 12)}


def _check_codes(codes: list[str], key: str, field: str, label: str) -> None:
    """County and township codes must be division codes: a name or a short number in the code field
    would put every patch in a county no table knows."""
    digits = CODE_DIGITS.get(key)
    if not digits:
        return
    bad = sorted({c for c in codes if not (c.isascii() and c.isdigit() and len(c) in digits)})
    if bad:
        want = " 或 ".join(str(d) for d in digits)
        raise InputError(
            label,
            f"代码字段 {field} 不是 {want} 位数字的区划代码: {_listed(bad)}",
            f"the code field {field} does not hold {' or '.join(str(d) for d in digits)}-digit division codes: "
            f"{_listed(bad)}",
        )


def read_zones(
    path, label: str, crs: CRS, mapping: FieldMapping, encoding: str | None = None
) -> tuple[dict[str, OverlayLayer], list[str]]:
    """The zoning output's 'zones' layer split by zone kind; also the kind values not recognised."""
    gdf, fixed, enc = _read_in(path, label, crs, ("zones",), encoding)
    kinds = {k: OverlayLayer(label, str(path), [], repaired=fixed, encoding=enc) for k in mapping.zone_values}
    if len(gdf) == 0:
        return kinds, []
    column = _column(gdf, mapping.layers["zones"]["kind"], label, "区类型", "zone kind")
    unknown = []
    for geom, value in zip(gdf.geometry.values, gdf[column].values):
        kind = mapping.zone_kind(value)
        if kind is None:
            unknown.append(_text(value))
        else:
            kinds[kind].geoms.append(geom)
    return kinds, sorted(set(unknown))
