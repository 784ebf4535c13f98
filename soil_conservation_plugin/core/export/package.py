"""Export results as one package for the 全国水利一张图 / 全国水土保持信息管理系统.

Driven by the versioned schema (core/export/schema.py, resources/schemas/onemap_v*.json):
read the plugin's layers with OGR, reproject to the schema CRS (CGCS2000),
round coordinates, fix winding and validity, map and validate every field of
every record, then write GeoPackage / Shapefile (.cpg, GBK or UTF-8) / FileGDB
plus area tables, fields.csv, a GB/T 19710 metadata XML and manifest.json.

Nothing is written while any record has an error (unless a partial export was
asked for), and everything goes into a temporary sibling folder that is renamed
into place only at the end: a cancel, a full disk or any exception leaves the
target as it was.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import shutil
import uuid
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS, Transformer
from shapely import wkb as shapely_wkb
from shapely.geometry import MultiPolygon, Polygon

from ..common.compat import transform_xy
from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..common.geo import AreaCalc, oriented_rings, polygon_parts
from ..common.headers import headers_citation, table_columns
from ..common.io import atomic_path, file_sha256, staged_path
from ..common.tables import write_rows
from ..common.vector import normalise_encoding
from .metadata_xml import build_metadata_xml
from .schema import FieldSpec, LayerSpec, Schema, ValueProblem, coerce, load_schema, zone_codes

try:  # shapely ≥ 1.8 (Debian 12: 1.8.5; Debian 13: 2.x)
    from shapely.validation import make_valid
except ImportError:  # pragma: no cover
    make_valid = None

FORMAT_ALIASES = {
    "gpkg": "GPKG",
    "geopackage": "GPKG",
    "shp": "ESRI Shapefile",
    "shapefile": "ESRI Shapefile",
    "esri shapefile": "ESRI Shapefile",
    "gdb": "OpenFileGDB",
    "filegdb": "OpenFileGDB",
    "openfilegdb": "OpenFileGDB",
    "fgdb": "OpenFileGDB",
}
FORMAT_LABELS = {"GPKG": "GeoPackage", "ESRI Shapefile": "ESRI Shapefile", "OpenFileGDB": "ESRI File Geodatabase"}

# Test seam: callables (stage, path) run after each write step. A simulated
# disk-full raises OSError(ENOSPC) from here; production code never adds any.
WRITE_HOOKS: list = []

_OGR_GEOM = {
    "Point": "wkbPoint",
    "MultiPoint": "wkbMultiPoint",
    "LineString": "wkbLineString",
    "MultiLineString": "wkbMultiLineString",
    "Polygon": "wkbPolygon",
    "MultiPolygon": "wkbMultiPolygon",
}
_OGR_TYPE = {"String": "OFTString", "Integer": "OFTInteger", "Real": "OFTReal", "Date": "OFTDate"}


@dataclass
class ExportOptions:
    format: str = "GPKG"
    encoding: str | None = None  # Shapefile only; schema default (GBK) when None
    crs: int | None = None  # EPSG; schema target when None
    repair: bool = True  # repair invalid geometries and report, else refuse them
    partial: bool = False  # write the valid records and an error list instead of nothing
    zip: bool = False  # also write <target>.zip
    overwrite: bool = False  # replace an existing, non-empty target
    title: str = "水土保持重点区域划定成果"
    producer: str = "未填写 / not given"
    abstract: str = ""
    parameters: dict = field(default_factory=dict)  # run parameters recorded in the lineage
    rules: dict = field(default_factory=dict)  # rule files used upstream: name → {version, source, ...}


@dataclass
class Problem:
    layer: str
    fid: object
    field: str
    zh: str
    en: str

    def as_row(self) -> dict:
        return {"layer": self.layer, "fid": self.fid, "field": self.field, "message_zh": self.zh, "message_en": self.en}

    def __str__(self) -> str:
        return f"{self.layer} #{self.fid} {self.field}: {self.zh} / {self.en}"


class ExportValidationError(InputError):
    """Records that do not fit the schema; nothing was written. ``errors`` lists them all."""

    def __init__(self, errors: list):
        self.errors = errors
        head = "; ".join(str(e) for e in errors[:5])
        more = f" (+{len(errors) - 5})" if len(errors) > 5 else ""
        super().__init__(
            "导出 / export",
            f"{len(errors)} 条记录不符合导出模式, 未写出任何文件: {head}{more}",
            f"{len(errors)} records do not fit the export schema; nothing was written: {head}{more}",
        )


@dataclass
class Record:
    fid: object
    values: dict
    geometry: Any  # shapely geometry (or None), in the target CRS, rounded
    area_ha: float


@dataclass
class ExportResult:
    package: Path
    manifest: dict
    zip_path: Path | None
    counts: dict
    areas_ha: dict
    warnings: list
    errors: list

    def summary(self) -> str:
        return manifest_summary(self.package, self.zip_path)


def manifest_summary(package, zip_path=None) -> str:
    """Path and manifest summary of a package (what `make demo` prints)."""
    package = Path(package)
    manifest = json.loads(
        (staged_path(package) / "manifest.json").read_text(encoding="utf-8")
    )  # before the run commits too
    schema = manifest["schema"]
    lines = [
        f"package: {package}",
        f"  schema {schema['id']} {schema['version']} "
        f"({'default, not the official standard' if schema.get('default') else 'official'}), "
        f"{manifest['format']} {manifest['encoding']}, {manifest['crs']}",
    ]
    for entry in manifest["layers"]:
        lines.append(
            f"  {entry['code']} {entry['name']}: {entry['features']} features, {entry['area_ha']:.4f} ha → "
            f"{entry['file']}"
        )
    lines.append(
        f"  {len(manifest['files'])} files with SHA-256 in manifest.json; "
        f"tables: {', '.join(manifest.get('tables') or []) or '-'}"
    )
    if zip_path:
        lines.append(f"  zip: {zip_path}")
    if manifest.get("partial"):
        lines.append(f"  partial export: {manifest['partial']['errors']} records left out (errors.csv)")
    return "\n".join(lines)


# --- small helpers -------------------------------------------------------------


def resolve_format(name: str) -> str:
    key = str(name or "GPKG").strip()
    fmt = FORMAT_ALIASES.get(key.lower(), key)
    if fmt not in FORMAT_LABELS:
        raise InputError(
            "格式 / format",
            f"未知的导出格式 '{name}'(可用: GPKG, Shapefile, FileGDB)",
            f"unknown export format '{name}' (use GPKG, Shapefile or FileGDB)",
        )
    return fmt


def filegdb_support() -> tuple[bool, str]:
    """(supported, reason): GDAL's OpenFileGDB driver writes from GDAL 3.6 on."""
    from osgeo import gdal, ogr

    version = int(gdal.VersionInfo("VERSION_NUM"))
    driver = ogr.GetDriverByName("OpenFileGDB")
    if version < 3060000 or driver is None or driver.GetMetadataItem("DCAP_CREATE") != "YES":
        return False, gdal.__version__
    return True, gdal.__version__


def _run_hooks(stage: str, path) -> None:
    for hook in list(WRITE_HOOKS):
        hook(stage, Path(path))


class _GdalErrors:
    """Collect GDAL failures (GDAL reports a full disk as CE_Failure, often without a return code)."""

    def __init__(self):
        self.messages = []

    def __enter__(self):
        from osgeo import gdal

        def handler(err_class, err_no, message):
            if err_class >= gdal.CE_Failure:
                self.messages.append(f"GDAL error {err_no}: {message}")

        self._handler = handler  # keep a reference while pushed
        gdal.PushErrorHandler(handler)
        return self

    def check(self, what: str) -> None:
        if self.messages:
            msgs, self.messages = self.messages, []
            raise OSError(f"{what}: " + "; ".join(msgs[:3]))

    def __exit__(self, exc_type, exc, tb):
        from osgeo import gdal

        gdal.PopErrorHandler()
        if exc_type is RuntimeError:  # GDAL with UseExceptions() on: same failure, as OSError with GDAL's words
            raise OSError("; ".join(self.messages[:3]) or str(exc) or "GDAL write failure") from exc
        return False


class _ShapeEncoding:
    """Force OGR's Shapefile recoding for this thread when writing (reading: core.common.vector).

    QGIS sets SHAPE_ENCODING="" process-wide (its provider decodes itself), which
    makes GDAL ignore the ENCODING creation option and write raw UTF-8 under a GBK
    .cpg. A thread-local value overrides that without touching other threads.
    """

    def __init__(self, encoding: str | None):
        self.encoding = encoding

    def __enter__(self):
        from osgeo import gdal

        self.previous = gdal.GetThreadLocalConfigOption("SHAPE_ENCODING", None)
        if self.encoding:
            gdal.SetThreadLocalConfigOption("SHAPE_ENCODING", self.encoding)
        return self

    def __exit__(self, *exc):
        from osgeo import gdal

        gdal.SetThreadLocalConfigOption("SHAPE_ENCODING", self.previous)
        return False


# --- sources -------------------------------------------------------------------


@dataclass
class SourceLayer:
    path: str
    layer: str | None = None

    @classmethod
    def parse(cls, value) -> "SourceLayer":
        if isinstance(value, SourceLayer):
            return value
        if isinstance(value, (tuple, list)):
            return cls(str(value[0]), value[1] if len(value) > 1 else None)
        text = str(value)
        path, _, rest = text.partition("|")
        layer = None
        for part in rest.split("|"):
            if part.startswith("layername="):
                layer = part[len("layername=") :]
        return cls(path, layer)

    def label(self) -> str:
        return f"{Path(self.path).name}" + (f"|{self.layer}" if self.layer else "")


def _plan(schema: Schema, sources: dict) -> list:
    """[(key, SourceLayer, [LayerSpec…], split_by_zone)] from the caller's source mapping."""
    plan = []
    for key, value in sources.items():
        if value in (None, ""):
            continue
        src = SourceLayer.parse(value)
        if key == "zones":
            plan.append((key, src, schema.zone_layers(), True))
            continue
        matches = [spec for spec in schema.layers if key in (spec.name, spec.code)]
        if not matches:
            matches = [spec for spec in schema.layers if spec.internal == key and key != "zones"]
        if not matches and key in ("disturbance", "rollup"):
            layer = "扰动图斑核查" if key == "disturbance" else "县级水土保持统计"
            raise InputError(
                str(key),
                f"导出模式 {schema.version} 没有{layer}图层：请留空 {key.upper()}，或使用 0.2 版导出模式",
                f"schema {schema.version} has no {layer} layer: leave {key.upper()} empty or use 0.2",
            )
        if not matches:
            names = ", ".join(
                ["zones", *sorted({s.internal for s in schema.layers} - {"zones"}), *[s.code for s in schema.layers]]
            )
            raise InputError(
                str(key), f"导出模式中没有这个图层(可用: {names})", f"no such layer in the export schema (use: {names})"
            )
        plan.append((key, src, matches[:1], False))
    if not plan:
        raise InputError("导出 / export", "没有提供任何要导出的图层", "no layer to export was given")
    return plan


def _open_source(key: str, src: SourceLayer, spec_polygonal: bool):
    from osgeo import ogr

    from ..common.input_checks import check_geographic_extent
    from ..common.vector import open_layer

    label = f"{key} ({src.label()})"
    ds, lyr, _ = open_layer(src.path, label, src.layer, first=True)
    srs = lyr.GetSpatialRef()
    if srs is None or (srs.GetName() or "").startswith("Undefined"):  # GPKG srs_id 0/-1: 'Undefined … SRS'
        raise InputError(
            label,
            "没有坐标参考系(CRS), 无法投影到 CGCS2000",
            "has no coordinate reference system (CRS); it cannot be reprojected to CGCS2000",
        )
    gtype = ogr.GT_Flatten(lyr.GetGeomType())
    if (
        spec_polygonal
        and gtype not in (ogr.wkbUnknown, ogr.wkbPolygon, ogr.wkbMultiPolygon, ogr.wkbNone)
        and "POLYGON" not in ogr.GeometryTypeToName(gtype).upper()
    ):
        raise InputError(
            label,
            f"几何类型 {ogr.GeometryTypeToName(gtype)} 不是面",
            f"geometry type {ogr.GeometryTypeToName(gtype)} is not polygonal",
        )
    crs = CRS.from_wkt(srs.ExportToWkt())
    if lyr.GetFeatureCount():
        xmin, xmax, ymin, ymax = lyr.GetExtent()
        check_geographic_extent(crs, (xmin, ymin, xmax, ymax), label)
    return ds, lyr, crs


def _source_meta(src: SourceLayer) -> dict | None:
    """The run metadata (<stem>.meta.json) a plugin step wrote beside its output, for the lineage."""
    path = Path(src.path)
    meta = path.with_name(path.stem + ".meta.json")
    if not meta.is_file():
        return None
    try:
        data = json.loads(meta.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return {k: data.get(k) for k in ("step", "plugin_version", "created", "parameters", "rules") if k in data}


# --- geometry ------------------------------------------------------------------


def _rounder(decimals: int):
    def fn(x, y, z=None):
        return np.round(np.asarray(x, dtype=float), decimals), np.round(np.asarray(y, dtype=float), decimals)

    return fn


def _repair(geom):
    fixed = make_valid(geom) if make_valid is not None else geom.buffer(0)
    polys = [p for p in polygon_parts(fixed) if p.area > 0]
    return MultiPolygon(polys) if polys else None


def _ring_arrays(geom) -> list:
    """[[exterior xy, hole xy, …] per polygon] as (n, 2) float arrays."""
    out = []
    for poly in polygon_parts(geom):
        out.append(
            [np.asarray(poly.exterior.coords, dtype=float)[:, :2]]
            + [np.asarray(r.coords, dtype=float)[:, :2] for r in poly.interiors]
        )
    return out


class _GeometryPipeline:
    """Reproject, round and wind rings with numpy (one pyproj call per feature, no per-vertex Python)."""

    def __init__(self, src_crs: CRS, dst_crs: CRS, decimals: int):
        self.forward = Transformer.from_crs(src_crs, dst_crs, always_xy=True)
        self.decimals = decimals
        self.round = _rounder(decimals)
        self.dst_crs = dst_crs
        self.area = AreaCalc(dst_crs)  # ellipsoidal m² in the target CRS, as every other table

    def project(self, geom):
        """Any geometry (points, lines, rare repaired shapes) through shapely."""
        geom = transform_xy(self.forward.transform, geom)
        return transform_xy(self.round, geom)

    def project_rings(self, rings: list) -> list:
        flat = [r for poly in rings for r in poly]
        xy = np.concatenate(flat)
        x, y = self.forward.transform(xy[:, 0], xy[:, 1])
        xy = np.column_stack(
            [np.round(np.asarray(x, dtype=float), self.decimals), np.round(np.asarray(y, dtype=float), self.decimals)]
        )
        out, pos = [], 0
        for poly in rings:
            projected = []
            for ring in poly:
                projected.append(xy[pos : pos + len(ring)])
                pos += len(ring)
            out.append(projected)
        return out

    def point(self, x, y):
        px, py = self.forward.transform(float(x), float(y))
        rx, ry = self.round(px, py)
        return float(rx), float(ry)


def _wound(rings: list):
    """MultiPolygon with exteriors counter-clockwise and holes clockwise (OGC / GeoPackage)."""
    polys = []
    for poly in rings:
        fixed = oriented_rings(poly)
        polys.append(Polygon(fixed[0], fixed[1:]))
    return MultiPolygon(polys)


def _prepare_geometry(spec: LayerSpec, ogr_geom, pipe: _GeometryPipeline, repair: bool):
    """(geometry in the target CRS or None, problem (zh, en) or None, repair note or None)."""
    if ogr_geom is None or ogr_geom.IsEmpty():
        if spec.polygonal:
            return None, ("几何为空", "empty geometry"), None
        return None, None, None
    ogr_geom = ogr_geom.Clone()
    ogr_geom.FlattenTo2D()
    if ogr_geom.GetGeometryType() not in (3, 6):  # curves and the like → linear polygons
        linear = ogr_geom.GetLinearGeometry()
        ogr_geom = linear if linear is not None else ogr_geom
    geom = shapely_wkb.loads(bytes(ogr_geom.ExportToWkb()))
    if not spec.polygonal:
        if spec.geometry in ("Point", "MultiPoint") and geom.geom_type not in ("Point", "MultiPoint"):
            geom = geom.representative_point()  # polygon issues at a point on their surface
        return pipe.project(geom), None, None
    polys = [p for p in polygon_parts(geom) if not p.is_empty]
    if not polys:
        return None, (f"几何类型 {geom.geom_type} 不是面", f"geometry type {geom.geom_type} is not polygonal"), None
    out = _wound(pipe.project_rings(_ring_arrays(MultiPolygon(polys))))
    if out.is_valid:
        return out, None, None
    from shapely.validation import explain_validity

    why = explain_validity(out)
    if not repair:
        return None, (f"几何无效: {why}", f"invalid geometry: {why}"), None
    before = pipe.area(out) / 1e4  # ha on the ellipsoid, as the exported areas (not CRS units² of degrees)
    fixed = _repair(out)
    if fixed is not None:
        fixed = _wound([[np.round(r, pipe.decimals) for r in poly] for poly in _ring_arrays(fixed)])
        if not fixed.is_valid:
            fixed = _repair(fixed.buffer(0))
            fixed = None if fixed is None else _wound(_ring_arrays(fixed))
    if fixed is None or fixed.is_empty or not fixed.is_valid:
        return None, (f"几何无效且无法修复: {why}", f"invalid geometry that cannot be repaired: {why}"), None
    after = pipe.area(fixed) / 1e4
    return fixed, None, f"{why}; 椭球面积 / ellipsoidal area {before:.4f} ha → {after:.4f} ha"


def _fit_geometry_type(spec: LayerSpec, geom):
    """A single-part layer type ('Polygon', 'Point', 'LineString') takes one part only; (geometry, problem)."""
    if geom is None or spec.geometry.startswith("Multi") or not hasattr(geom, "geoms"):
        return geom, None
    parts = list(geom.geoms)
    if len(parts) == 1:
        return parts[0], None
    return None, (
        f"{len(parts)} 个部分, 但图层类型为单部件 {spec.geometry}",
        f"{len(parts)} parts, but the layer type is single-part {spec.geometry}",
    )


# --- records -------------------------------------------------------------------


def _lookup(attrs: dict, names) -> object:
    """Value of the first internal field present; also under its 10-character DBF-laundered name
    (a Shapefile source turns county_code into county_cod)."""
    for name in names:
        for candidate in (name.lower(), name.lower()[:10]):
            if candidate in attrs:
                return attrs[candidate]
    return None


def _raw_value(spec: FieldSpec, attrs: dict, pipe: _GeometryPipeline):
    value = _lookup(attrs, spec.sources)
    if spec.transform == "township12" and value not in (None, ""):
        text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()
        value = text + "000" if len(text) == 9 and text.isdigit() else text
    elif spec.transform == "join" and value not in (None, ""):
        items = value if isinstance(value, (list, tuple)) else str(value).replace(",", ";").split(";")
        value = ";".join(str(v).strip() for v in items if str(v).strip())
    elif spec.transform in ("outlet_x", "outlet_y"):
        x, y = _lookup(attrs, ["outlet_x"]), _lookup(attrs, ["outlet_y"])
        if x in (None, "") or y in (None, ""):
            return None
        px, py = pipe.point(x, y)
        value = px if spec.transform == "outlet_x" else py
    return value


@dataclass
class _ReadState:
    """What reading one source collects besides the records."""

    problems: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    skipped: int = 0
    repaired: int = 0
    truncated: int = 0
    # (layer, field, note) → (field spec, record labels): one warning per field, not one per record
    text_notes: dict = field(default_factory=dict)
    text_warnings: list = field(default_factory=list)


def _feature_attrs(feat, names: list) -> dict:
    """Attributes by lower-case field name, None for unset or NULL fields."""
    return {name.lower(): (feat.GetField(i) if feat.IsFieldSetAndNotNull(i) else None) for i, name in enumerate(names)}


def _split_targets(key, specs: list, spec_for_code: dict, attrs: dict, fid, state: _ReadState):
    """The zone layers a zones feature goes to (by its zone_type), or None when it goes nowhere."""
    zspec = _zone_field(specs[0])
    codes = zone_codes(zspec, _lookup(attrs, zspec.sources))
    if not codes:
        state.skipped += 1
        return None
    unknown = [c for c in codes if c not in spec_for_code]
    if unknown:
        state.problems.append(
            Problem(
                key,
                fid,
                zspec.name,
                f"未知区域类型 {unknown}(可用: {list(zspec.codes)})",
                f"unknown zone type {unknown} (use: {list(zspec.codes)})",
            )
        )
        return None
    return [spec_for_code[c] for c in codes]


def _zone_value(spec: LayerSpec, fspec: FieldSpec, raw, fid, state: _ReadState):
    """(the layer's own zone code, True) for its zone field, or (None, False) when the record names another."""
    given = zone_codes(fspec, raw)
    if given and spec.zone_type not in given:
        state.problems.append(
            Problem(
                spec.name,
                fid,
                fspec.name,
                f"区域类型 {given} 与图层 {spec.zone_type} 不符",
                f"zone type {given} does not match layer {spec.zone_type}",
            )
        )
        return None, False
    return spec.zone_type, True


def _computed_area(spec: LayerSpec, fspec: FieldSpec, raw, area_m2: float, fid, state: _ReadState) -> float:
    """The ellipsoidal area in the field's unit; a producer's value that differs is reported."""
    computed = area_m2 / (1e4 if fspec.compute == "area_ha" else 1e6)
    if raw not in (None, "") and _is_number(raw):
        tol = max(0.01 if fspec.compute == "area_ha" else 1e-4, 1e-3 * computed)
        if abs(float(raw) - computed) > tol:
            state.warnings.append(
                f"{spec.name} #{fid} {fspec.name}: 源面积 {float(raw):.4f} 与椭球面积 {computed:.4f} "
                "不同, 已用后者 / source area differs from the ellipsoidal area, the latter is exported"
            )
    return computed


def _record_values(spec: LayerSpec, attrs: dict, pipe, area_m2: float, fid, schema: Schema, encoding, state):
    """The exported values of one record, or None when any field fails (the problems are in ``state``)."""
    values, bad = {}, False
    for fspec in spec.fields:
        raw = _raw_value(fspec, attrs, pipe)
        if spec.internal == "zones" and fspec is _zone_field(spec):
            raw, ok = _zone_value(spec, fspec, raw, fid, state)
            if not ok:
                bad = True
                continue
        if fspec.compute:
            raw = _computed_area(spec, fspec, raw, area_m2, fid, state)
        try:
            value, note = coerce(fspec, raw, encoding, schema.substitutions)
        except ValueProblem as exc:
            state.problems.append(Problem(spec.name, fid, fspec.name, exc.zh, exc.en))
            bad = True
            continue
        if note in ("truncated", "substituted"):
            state.truncated += note == "truncated"
            label = f"#{fid}" + (f" {attrs['patch_id']}" if attrs.get("patch_id") else "")
            state.text_notes.setdefault((spec.name, fspec.name, note), (fspec, []))[1].append(label)
        values[fspec.name] = value
    return None if bad else values


def _text_warnings(state: _ReadState, encoding: str | None) -> list[str]:
    """One warning per layer field whose texts were truncated or had characters replaced, with the count
    and the records (the first 20)."""
    out = []
    for (layer, fname, note), (fspec, labels) in state.text_notes.items():
        shown = ", ".join(labels[:20]) + (f" … (+{len(labels) - 20})" if len(labels) > 20 else "")
        if note == "truncated":
            width = fspec.dbf_width(encoding) if encoding else None
            zh_limit = f"{fspec.length} 个字符" + (f"或 {width} 字节 ({encoding})" if width is not None else "")
            en_limit = f"{fspec.length} characters" + (f" or {width} bytes ({encoding})" if width is not None else "")
            out.append(
                f"{layer} {fname}: {len(labels)} 条记录的文本超过字段长度 {zh_limit}, 已截断 / {len(labels)} "
                f"record(s) with text over the field limit of {en_limit}, truncated: {shown}"
            )
        else:
            out.append(
                f"{layer} {fname}: {len(labels)} 条记录中编码 {encoding} 没有的字符已替换(如 ²→2) / characters "
                f"missing from {encoding} replaced (e.g. ²→2) in {len(labels)} record(s): {shown}"
            )
    return out


def _source_facts(src: SourceLayer, lyr, src_crs: CRS, state: _ReadState) -> dict:
    """What the lineage records of one source: file, layer, CRS, counts, SHA-256, its run metadata."""
    facts = {
        "source": src.path,
        "layer": src.layer or lyr.GetName(),
        "source_crs": src_crs.to_string(),
        "features_read": lyr.GetFeatureCount(),
        "skipped_without_zone": state.skipped,
        "repaired": state.repaired,
        "truncated": state.truncated,
    }
    if state.text_warnings:
        facts["text_warnings"] = state.text_warnings
    try:
        facts["sha256"] = file_sha256(src.path) if Path(src.path).is_file() else None  # as run metadata
    except OSError:
        facts["sha256"] = None
    meta = _source_meta(src)
    if meta:
        facts["run_metadata"] = meta
    return facts


def _check_source_kind(key, src: SourceLayer, specs: list, lyr) -> None:
    """Refuse, once and before any record is read, a source that is not the plugin output the layer is made of:
    a roll-up layer above the county as 县级水土保持统计, the issued patches instead of 扰动图斑核查's output."""
    internal = specs[0].internal if specs else key
    defn = lyr.GetLayerDefn()
    names = {defn.GetFieldDefn(i).GetName().lower() for i in range(defn.GetFieldCount())}
    label = f"{key} ({src.label()})"
    if internal == "rollup":
        if "level" not in names:
            raise InputError(
                label,
                "不是汇总(soil_conservation:rollup)的县级图层：没有 level 字段；请选择汇总 GeoPackage 的 county 图层",
                "this is not the county layer of the roll-up (soil_conservation:rollup): it has no level field; "
                "choose the layer county of the roll-up GeoPackage",
            )
        levels = set()
        lyr.ResetReading()
        for feat in lyr:
            levels.add(str(feat.GetField("level") if feat.GetField("level") is not None else ""))
        lyr.ResetReading()
        other = sorted(levels - {"county"})
        if other:
            shown = ", ".join(other)
            raise InputError(
                label,
                f"图层 {src.layer or lyr.GetName()} 不是县级汇总(级别: {shown})："
                "县级水土保持统计只接受汇总的 county 图层",
                f"the layer {src.layer or lyr.GetName()} is not the county roll-up (level: {shown}): 县级水土保持统计 "
                "takes only the layer county of the roll-up",
            )
    elif internal == "disturbance" and not {"risk_zh", "status"} <= names:
        raise InputError(
            label,
            "这不是扰动图斑核查(disturbance_check)的输出(没有风险等级 risk_zh 与核查状态 status 字段)："
            "请先运行扰动图斑核查，再导出它的 disturbance_patches 图层",
            "this is not the output of 扰动图斑核查 (disturbance_check) (no risk_zh and status fields): run the "
            "disturbance check first and export its layer disturbance_patches",
        )


def _read_layer(key, src, specs, split, schema, options, encoding, dst_crs, decimals, feedback):
    """Records per layer code, problems, warnings, and facts for the lineage."""
    spec_for_code = {s.zone_type: s for s in specs} if split else {}
    ds, lyr, src_crs = _open_source(key, src, specs[0].polygonal)
    _check_source_kind(key, src, specs, lyr)
    pipe = _GeometryPipeline(src_crs, dst_crs, decimals)
    records: dict[str, list[Record]] = {s.code: [] for s in specs}
    state = _ReadState()
    total = max(1, lyr.GetFeatureCount())
    defn = lyr.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    lyr.ResetReading()
    for n, feat in enumerate(lyr):
        if n % 200 == 0:
            feedback.check()
            feedback.progress(100.0 * n / total)
        fid = feat.GetFID()
        attrs = _feature_attrs(feat, names)
        targets = _split_targets(key, specs, spec_for_code, attrs, fid, state) if split else specs
        if targets is None:
            continue
        geom, gproblem, note = _prepare_geometry(specs[0], feat.GetGeometryRef(), pipe, options.repair)
        if gproblem is None:
            geom, gproblem = _fit_geometry_type(specs[0], geom)
        area_m2 = pipe.area(geom) if (geom is not None and specs[0].polygonal) else 0.0
        for spec in targets:
            if gproblem:
                state.problems.append(Problem(spec.name, fid, "geometry", *gproblem))
                continue
            if note:
                state.repaired += 1
                state.warnings.append(f"{spec.name} #{fid}: 几何已修复 / geometry repaired: {note}")
            values = _record_values(spec, attrs, pipe, area_m2, fid, schema, encoding, state)
            if values is not None:
                records[spec.code].append(Record(fid, values, geom, area_m2 / 1e4))
    feedback.progress(100.0)
    state.text_warnings = _text_warnings(state, encoding)
    state.warnings = state.text_warnings + state.warnings  # first: the log shows the first 50 only
    facts = _source_facts(src, lyr, src_crs, state)
    ds = None  # noqa: F841 (close the source)
    return records, state.problems, state.warnings, facts


def _zone_field(spec: LayerSpec) -> FieldSpec:
    return next(f for f in spec.fields if f.codes and spec.zone_type in f.codes)


def _is_number(value) -> bool:
    try:
        float(value)
        return True
    except (TypeError, ValueError):
        return False


# --- writers -------------------------------------------------------------------


def _target_srs(epsg: int):
    from osgeo import osr

    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(epsg))
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _field_defn(spec: FieldSpec, fmt: str, encoding: str, domain: str | None = None):
    from osgeo import ogr

    fd = ogr.FieldDefn(spec.name, getattr(ogr, _OGR_TYPE[spec.type]))
    if domain:
        fd.SetDomainName(domain)
    if spec.type == "String":
        fd.SetWidth(spec.dbf_width(encoding) if fmt == "ESRI Shapefile" else spec.length)
    elif spec.length and fmt != "GPKG":
        fd.SetWidth(spec.length)
        if spec.type == "Real":
            fd.SetPrecision(spec.precision)
    if hasattr(fd, "SetAlternativeName"):  # GDAL ≥ 3.2: FileGDB alias (GPKG: gpkg_data_columns below)
        fd.SetAlternativeName(spec.alias)
    if spec.required and fmt != "ESRI Shapefile":
        fd.SetNullable(False)
    return fd


def _write_feature(lyr, spec: LayerSpec, rec: Record, defn):
    from osgeo import ogr

    feat = ogr.Feature(defn)
    for fspec in spec.fields:
        value = rec.values.get(fspec.name)
        idx = defn.GetFieldIndex(fspec.name)
        if value is None:
            feat.SetFieldNull(idx)
        elif fspec.type == "Date":
            feat.SetField(idx, value.year, value.month, value.day, 0, 0, 0, 0)
        elif fspec.type == "Integer":
            feat.SetField(idx, int(value))
        elif fspec.type == "Real":
            feat.SetField(idx, float(value))
        else:
            feat.SetField(idx, str(value))
    if rec.geometry is not None:
        feat.SetGeometry(ogr.CreateGeometryFromWkb(bytes(rec.geometry.wkb)))
    return lyr.CreateFeature(feat)


def _write_layers(
    data_dir: Path, fmt: str, encoding: str, schema: Schema, epsg: int, layers: list, feedback: Feedback
) -> dict:
    """Write every (LayerSpec, records); returns code → relative data path."""
    from osgeo import ogr

    srs = _target_srs(epsg)
    driver = ogr.GetDriverByName(fmt)
    files = {}
    with _GdalErrors() as errs, _ShapeEncoding(encoding if fmt == "ESRI Shapefile" else None):
        container = ds = lyr = None
        try:
            if fmt == "GPKG":
                path = data_dir / f"{schema.id}.gpkg"
                container = driver.CreateDataSource(str(path))
            elif fmt == "OpenFileGDB":
                from osgeo import gdal

                path = data_dir / f"{schema.id}.gdb"
                # a gdal.Dataset: ogr.DataSource has no AddFieldDomain in GDAL 3.6
                container = gdal.GetDriverByName(fmt).Create(str(path), 0, 0, 0, gdal.GDT_Unknown)
            if fmt != "ESRI Shapefile" and container is None:
                errs.check(f"create {path.name}")
                raise OSError(f"cannot create {path}")
            for i, (spec, records) in enumerate(layers):
                feedback.check()
                if fmt == "ESRI Shapefile":
                    path = data_dir / f"{spec.code}.shp"
                    ds = driver.CreateDataSource(str(path))
                    if ds is None:
                        errs.check(f"create {path.name}")
                        raise OSError(f"cannot create {path}")
                    opts = [f"ENCODING={encoding}"]
                else:
                    ds = container
                    opts = (
                        [f"IDENTIFIER={spec.name}", f"DESCRIPTION={spec.name} ({schema.id} {schema.version})"]
                        if fmt == "GPKG"
                        else [f"LAYER_ALIAS={spec.name}"]
                    )
                assert ds is not None  # created and checked above
                lyr = ds.CreateLayer(spec.code, srs, getattr(ogr, _OGR_GEOM[spec.geometry]), options=opts)
                if lyr is None:
                    errs.check(f"create layer {spec.code}")
                    raise OSError(f"cannot create layer {spec.code}")
                for fspec in spec.fields:
                    domain = _filegdb_domain(ds, spec, fspec) if fmt == "OpenFileGDB" else None
                    if lyr.CreateField(_field_defn(fspec, fmt, encoding, domain)) != 0:
                        errs.check(f"create field {spec.code}.{fspec.name}")
                        raise OSError(f"cannot create field {spec.code}.{fspec.name}")
                defn = lyr.GetLayerDefn()
                lyr.StartTransaction()
                for n, rec in enumerate(records):
                    if _write_feature(lyr, spec, rec, defn) != 0:
                        errs.check(f"write {spec.code} #{rec.fid}")
                        raise OSError(f"cannot write feature {rec.fid} of {spec.code}")
                    if n % 500 == 0:
                        feedback.check()
                        errs.check(f"write {spec.code}")
                if lyr.CommitTransaction() != 0:
                    errs.check(f"commit {spec.code}")
                    raise OSError(f"cannot commit {spec.code}")
                lyr.SyncToDisk()
                errs.check(f"write {spec.code}")
                files[spec.code] = path.relative_to(data_dir.parent).as_posix()
                if fmt == "ESRI Shapefile":
                    ds.FlushCache()
                    lyr = ds = None
                    errs.check(f"close {path.name}")
                _run_hooks("layer", path)
                feedback.progress(100.0 * (i + 1) / max(1, len(layers)))
            if fmt == "GPKG":
                _gpkg_data_columns(container, [spec for spec, _ in layers])
                errs.check("gpkg_data_columns")
            if container is not None:
                container.FlushCache()
                lyr = ds = container = None  # the last reference closes (and commits) the file
                errs.check("close data file")
        finally:
            # close while GDAL errors are still collected (a failed GeoPackage would complain later)
            lyr = ds = container = None  # noqa: F841
    return files


def _filegdb_domain(ds, spec: LayerSpec, fspec: FieldSpec) -> str | None:
    """A FileGDB coded-value domain for a field with a code list (ArcGIS shows it as a drop-down)."""
    from osgeo import ogr

    if not fspec.codes or not hasattr(ogr, "CreateCodedFieldDomain") or not hasattr(ds, "AddFieldDomain"):
        return None
    name = f"{spec.code}_{fspec.name}"
    domain = ogr.CreateCodedFieldDomain(
        name, f"{spec.name} {fspec.alias}", ogr.OFTString, ogr.OFSTNone, dict(fspec.codes)
    )
    if not ds.AddFieldDomain(domain):
        raise OSError(f"cannot add the field domain {name}")
    return name


def _sql_text(value) -> str:
    return "NULL" if value is None else "'" + str(value).replace("'", "''") + "'"


def _gpkg_data_columns(ds, specs: list) -> None:
    """Field aliases and code lists through the GeoPackage schema extension (gpkg_data_columns).

    GDAL < 3.7 does not write field alternative names to GeoPackage, so they are
    written here: name and title = the Chinese alias; code lists as 'enum' constraints.
    """

    def sql(statement):
        res = ds.ExecuteSQL(statement)
        if res is not None:
            ds.ReleaseResultSet(res)

    sql(
        "CREATE TABLE IF NOT EXISTS gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, "
        "definition TEXT NOT NULL, scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, "
        "extension_name))"
    )
    sql(
        "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, name TEXT, "
        "title TEXT, description TEXT, mime_type TEXT, constraint_name TEXT, CONSTRAINT pk_gdc PRIMARY KEY "
        "(table_name, column_name), CONSTRAINT gdc_tn UNIQUE (table_name, name))"
    )
    sql(
        "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT NOT NULL, constraint_type TEXT "
        "NOT NULL, value TEXT, min NUMERIC, min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN, "
        "description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name, constraint_type, value))"
    )
    for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
        res = ds.ExecuteSQL(
            f"SELECT COUNT(*) FROM gpkg_extensions WHERE table_name = '{table}' AND extension_name = 'gpkg_schema'"
        )
        exists = res.GetNextFeature().GetField(0) > 0
        ds.ReleaseResultSet(res)
        if not exists:
            sql(
                f"INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES "
                f"('{table}', NULL, 'gpkg_schema', 'http://www.geopackage.org/spec121/#extension_schema', 'read-write')"
            )
    for spec in specs:
        for fspec in spec.fields:
            constraint = None
            if fspec.codes:
                constraint = f"{spec.code}_{fspec.name}_codes"
                for code, label in fspec.codes.items():
                    sql(
                        "INSERT OR REPLACE INTO gpkg_data_column_constraints (constraint_name, constraint_type, value, "
                        "description) "
                        f"VALUES ({_sql_text(constraint)}, 'enum', {_sql_text(code)}, {_sql_text(label)})"
                    )
            sql(
                "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title, description, "
                "constraint_name) VALUES "
                f"({_sql_text(spec.code)}, {_sql_text(fspec.name)}, {_sql_text(fspec.alias)}, "
                f"{_sql_text(fspec.alias)}, "
                f"{_sql_text(fspec.source or None)}, {_sql_text(constraint)})"
            )


def _verify_counts(package: Path, fmt: str, files: dict, expected: dict) -> None:
    """Re-open and read every feature written: a file cut short by a full disk shows up here at the latest."""
    from osgeo import ogr

    with _GdalErrors() as errs:
        for code, rel in files.items():
            path = package / rel
            if fmt == "ESRI Shapefile":
                _check_shapefile_sizes(path, expected[code])
            try:
                ds = ogr.Open(str(path))
            except RuntimeError as exc:
                raise OSError(f"verification failed: cannot reopen {rel}: {exc}") from exc
            lyr = None if ds is None else (ds.GetLayerByName(code) if fmt != "ESRI Shapefile" else ds.GetLayer(0))
            read = 0 if lyr is None else sum(1 for _ in lyr)
            lyr = ds = None
            errs.check(f"verification of {rel}")
            if read != expected[code]:
                raise OSError(
                    f"verification failed for {rel}:{code}: {read} features read back, {expected[code]} written"
                )


def _check_shapefile_sizes(shp: Path, count: int) -> None:
    """The .shp length in its header and the .dbf records must match the files on disk."""
    import struct

    head = shp.read_bytes()[:100]
    if len(head) < 100 or struct.unpack(">i", head[24:28])[0] * 2 != shp.stat().st_size:
        raise OSError(f"verification failed: {shp.name} is shorter than its header says")
    dbf = shp.with_suffix(".dbf")
    with open(dbf, "rb") as fh:
        dhead = fh.read(12)
    nrec, hlen, rlen = struct.unpack("<IHH", dhead[4:12])
    if nrec != count or dbf.stat().st_size < hlen + nrec * rlen:
        raise OSError(
            f"verification failed: {dbf.name} holds {nrec} records / {dbf.stat().st_size} bytes, {count} records "
            "expected"
        )


# --- tables, field catalogue, manifest -----------------------------------------


def _write_csv(path: Path, header: list, rows: list) -> None:
    # inside the package's temporary folder (made atomic as a whole); cells escaped by core.common.tables
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:  # BOM: Excel opens Chinese text correctly
        write_rows(fh, header, rows)
    _run_hooks("file", path)


def area_tables(records: list) -> tuple[list, list]:
    """Per-county and per-township rows (code, name, …, patch count, area ha) of steep-slope records, with a total row.

    A patch split at a township border counts once per group it touches and once in the
    total (pieces share the parent id FTBBH), as in the announcement tables of issue 3.
    """
    # group → [parent ids, area ha]
    county: defaultdict[str, list[Any]] = defaultdict(lambda: [set(), 0.0])
    town: defaultdict[tuple[str, str, str], list[Any]] = defaultdict(lambda: [set(), 0.0])
    names: dict[str, str] = {}
    parents: set = set()
    for rec in records:
        c, cn = rec.values.get("XZQDM") or "", rec.values.get("XZQMC") or ""
        t, tn = rec.values.get("XZDM") or "", rec.values.get("XZMC") or ""
        parent = rec.values.get("FTBBH") or rec.values.get("TBBH")
        names[c] = cn
        parents.add(parent)
        county[c][0].add(parent)
        county[c][1] += rec.area_ha
        town[(c, t, tn)][0].add(parent)
        town[(c, t, tn)][1] += rec.area_ha
    total_a = sum(v[1] for v in county.values())
    crows = [[c, names[c], len(n), f"{a:.4f}"] for c, (n, a) in sorted(county.items())]
    crows.append(["合计", "", len(parents), f"{total_a:.4f}"])
    trows = [[c, names.get(c, ""), t, tn, len(n), f"{a:.4f}"] for (c, t, tn), (n, a) in sorted(town.items())]
    trows.append(["合计", "", "", "", len(parents), f"{total_a:.4f}"])
    return crows, trows


def field_catalogue_rows(schema: Schema, specs: list) -> list:
    rows = []
    for spec in specs:
        for f in spec.fields:
            rule = "; ".join(f"{k}={v}" for k, v in f.codes.items()) if f.codes else (f.pattern or "")
            rows.append(
                [
                    spec.code,
                    spec.name,
                    f.name,
                    f.alias,
                    f.type,
                    f.length,
                    f.precision,
                    "是" if f.required else "否",
                    rule,
                    "/".join(f.sources) or f.compute or "",
                    "默认(非标准) / default" if f.default else "标准 / standard",
                    f.source,
                ]
            )
    return rows


FIELD_CATALOGUE_HEADER = [
    "图层代码",
    "图层名称",
    "字段名",
    "别名",
    "类型",
    "长度",
    "小数位",
    "必填",
    "代码表或格式",
    "内部字段",
    "性质",
    "来源",
]


def _manifest(
    package: Path,
    schema: Schema,
    fmt: str,
    encoding: str,
    epsg: int,
    files: dict,
    counts: dict,
    areas: dict,
    specs: list,
    created: str,
) -> dict:
    listed: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in package.rglob("*") if p.is_file() and p.name != "manifest.json"):
        rel = path.relative_to(package).as_posix()
        listed[rel] = {"sha256": file_sha256(path, sidecars=False), "bytes": path.stat().st_size}
    for code, rel in files.items():
        key = rel if rel in listed else None
        if key is None:  # FileGDB: a folder; counts go on the folder entry
            listed.setdefault(rel, {"sha256": None, "bytes": None, "folder": True})
            key = rel
        listed[key].setdefault("features", {})[code] = counts[code]
    return {
        "package": package.name,
        "created": created,
        "schema": schema.citation(),
        "format": fmt,
        "encoding": encoding,
        "crs": f"EPSG:{epsg}",
        "layers": [
            {
                "code": s.code,
                "name": s.name,
                "file": files[s.code],
                "features": counts[s.code],
                "area_ha": round(areas[s.code], 4),
            }
            for s in specs
        ],
        "files": listed,
        "hash": "sha256",
    }


# --- the export ----------------------------------------------------------------


@dataclass
class _Settings:
    """The checked run settings: format, encoding, CRS, precision, zip and upstream tables."""

    fmt: str
    encoding: str
    epsg: int
    dst_crs: CRS
    decimals: int
    zip_path: Path | None
    tables_in: list

    @property
    def shp_encoding(self) -> str | None:
        return self.encoding if self.fmt == "ESRI Shapefile" else None


def _check_format(schema: Schema, options: ExportOptions) -> tuple[str, str]:
    """(OGR driver, encoding) allowed by the schema and by this GDAL."""
    fmt = resolve_format(options.format)
    if fmt not in schema.formats:
        raise InputError(
            "格式 / format",
            f"导出模式 {schema.id} {schema.version} 不允许格式 {fmt}",
            f"schema {schema.id} {schema.version} does not allow format {fmt}",
        )
    if fmt == "OpenFileGDB":
        ok, version = filegdb_support()
        if not ok:
            raise InputError(
                "格式 / format",
                f"当前 GDAL {version} 不能写 FileGDB(需要 GDAL ≥ 3.6 的 OpenFileGDB 写入); 请改用 GPKG 或 Shapefile",
                f"GDAL {version} cannot write FileGDB (needs GDAL ≥ 3.6, OpenFileGDB writer); use GPKG or Shapefile",
            )
    # the shapefile reader's spellings: 'cp936' / '936' / 'gbk' → GBK, 'utf8' → UTF-8
    encoding = normalise_encoding(options.encoding or schema.shapefile_encoding) if fmt == "ESRI Shapefile" else "UTF-8"
    if fmt == "ESRI Shapefile" and encoding not in schema.shapefile_encodings:
        raise InputError(
            "编码 / encoding",
            f"Shapefile 编码 {encoding} 不在允许列表 {list(schema.shapefile_encodings)} 中",
            f"Shapefile encoding {encoding} is not allowed ({list(schema.shapefile_encodings)})",
        )
    return fmt, encoding


def _check_targets(target: Path, zip_path: Path | None, overwrite: bool) -> None:
    """Refuse an existing, non-empty package folder or zip unless overwriting was asked for."""
    for path in (target, zip_path):
        if path is None or not path.exists():
            continue
        occupied = path.is_file() or any(path.iterdir())
        if occupied and not overwrite:
            raise InputError(
                str(path),
                "目标已存在且不为空; 未覆盖(如需替换请选择覆盖)",
                "the target exists and is not empty; not overwritten (choose overwrite to replace it)",
            )


def _check_settings(schema: Schema, options: ExportOptions, target: Path, area_table_files) -> _Settings:
    """Every check that needs no data: format, encoding, CRS, the target and the upstream tables."""
    fmt, encoding = _check_format(schema, options)
    epsg = int(options.crs or schema.crs_target)
    if epsg not in schema.crs_allowed:
        raise InputError(
            "坐标系 / CRS",
            f"EPSG:{epsg} 不在导出模式允许的坐标系 {list(schema.crs_allowed)} 中",
            f"EPSG:{epsg} is not among the schema's allowed CRSs {list(schema.crs_allowed)}",
        )
    dst_crs = CRS.from_epsg(epsg)
    decimals = schema.geographic_decimals if dst_crs.is_geographic else schema.projected_decimals
    zip_path = target.with_name(target.name + ".zip") if options.zip else None
    _check_targets(target, zip_path, options.overwrite)
    tables_in = [Path(p) for p in area_table_files or () if p]
    for p in tables_in:
        if not p.is_file():
            raise InputError(str(p), "找不到面积统计表文件", "area table file not found")
    return _Settings(fmt, encoding, epsg, dst_crs, decimals, zip_path, tables_in)


def _read_sources(plan: list, schema: Schema, options: ExportOptions, settings: _Settings, feedback: Feedback):
    """Read, reproject and validate every source (nothing written): records per code, problems, warnings, facts."""
    records: dict[str, list[Record]] = {}
    problems, warnings, facts = [], [], []
    for i, (key, src, specs, split) in enumerate(plan):
        sub = SubFeedback(feedback, 60.0 * i / len(plan), 60.0 * (i + 1) / len(plan))
        feedback.info(f"读取 / reading {key}: {src.label()}")
        recs, probs, warns, fact = _read_layer(
            key, src, specs, split, schema, options, settings.shp_encoding, settings.dst_crs, settings.decimals, sub
        )
        for code, lst in recs.items():
            if code in records and lst and records[code]:
                raise InputError(str(key), f"图层 {code} 有多个来源", f"layer {code} is given by more than one source")
            if lst or code not in records:
                records[code] = records.get(code, []) + lst
        problems += probs
        warnings += warns
        facts.append({"key": key, **fact})
    return records, problems, warnings, facts


def _write_tables(tables_dir: Path, tables_in: list, specs: list, records: dict) -> list:
    """The upstream area tables as they are, or the county/township tables of the steep-slope layer."""
    tables_dir.mkdir()
    table_files = []
    if tables_in:
        for p in tables_in:
            shutil.copyfile(p, tables_dir / p.name)
            _run_hooks("file", tables_dir / p.name)
            table_files.append(p.name)
        return table_files
    steep = [s for s in specs if s.internal == "steep_slope"]
    if steep:
        crows, trows = area_tables(records[steep[0].code])
        _write_csv(tables_dir / "area_by_county.csv", [h for _, h in table_columns("county")], crows)
        _write_csv(tables_dir / "area_by_township.csv", [h for _, h in table_columns("township")], trows)
        table_files += ["area_by_county.csv", "area_by_township.csv"]
    return table_files


def _write_metadata(
    tmp: Path,
    schema: Schema,
    options: ExportOptions,
    settings: _Settings,
    specs: list,
    records: dict,
    facts: list,
    created: str,
    run_parameters: dict,
) -> None:
    """metadata.xml (GB/T 19710 core elements) with the schema, the rule files and the run in the lineage."""
    epsg, fmt, encoding = settings.epsg, settings.fmt, settings.encoding
    geoms = [r.geometry for s in specs for r in records[s.code] if r.geometry is not None]
    bbox = _bbox_degrees(geoms, settings.dst_crs)
    default = schema.citation()["default"]
    lineage = (
        f"由 soil_conservation_plugin 按导出模式 {schema.id} {schema.version} ({schema.date}, {schema.path.name}, "
        f"sha256 {schema.sha256[:16]}…; {'插件默认方案, 非官方标准' if default else '官方模式'}) 导出; "
        f"坐标系 EPSG:{epsg}; 格式 {FORMAT_LABELS[fmt]} ({encoding}); 面积按 CGCS2000 椭球计算. "
        f"Exported by soil_conservation_plugin with schema {schema.id} {schema.version} "
        f"({'a plugin default, not the official standard' if default else 'official schema'}); areas on the "
        "ellipsoid."
    )
    steps = [
        {
            "step": "export",
            "schema": schema.citation(),
            "parameters": run_parameters,
            "rules": {**options.rules, "table_headers": headers_citation()},
        },
        *facts,
    ]
    catalogue = "字段别名 / field aliases (Shapefile 无别名, 见 fields.csv): " + " | ".join(
        f"{s.code}({s.name}): " + ", ".join(f"{f.name}={f.alias}" for f in s.fields) for s in specs
    )
    xml = build_metadata_xml(
        file_identifier=str(uuid.uuid4()),
        title=options.title,
        abstract=options.abstract or "、".join(s.name for s in specs),
        producer=options.producer,
        created=created,
        bbox=bbox,
        epsg=epsg,
        data_format=FORMAT_LABELS[fmt],
        encoding=encoding,
        lineage=lineage,
        process_steps=steps,
        field_catalogue=catalogue,
    )
    (tmp / "metadata.xml").write_bytes(xml)
    _run_hooks("file", tmp / "metadata.xml")


def export_package(
    target,
    sources: dict,
    *,
    options: ExportOptions | None = None,
    schema=None,
    area_table_files=(),
    feedback: Feedback | None = None,
) -> ExportResult:
    """Write the One-Map package folder ``target`` (and ``target``.zip if asked).

    ``sources`` maps a schema layer (Chinese name or code), an internal kind
    ('steep_slope', 'units', 'issues', and from schema v0.2 'disturbance' and
    'rollup') or 'zones' (split by zone_type into the four zone layers) to a
    vector file ('path' or 'path|layername=x').
    ``area_table_files`` are upstream area tables copied as they are; without
    them the tables are computed from the steep-slope layer.
    """
    feedback = feedback or Feedback()
    options = options or ExportOptions()
    schema = schema if isinstance(schema, Schema) else load_schema(schema)
    target = Path(target)

    # --- checks before any work
    settings = _check_settings(schema, options, target, area_table_files)
    fmt, encoding, epsg = settings.fmt, settings.encoding, settings.epsg
    plan = _plan(schema, sources)

    # --- read, reproject, validate (nothing written yet)
    records, problems, warnings, facts = _read_sources(plan, schema, options, settings, feedback)
    for warning in warnings[:50]:
        feedback.info(warning)
    if problems and not options.partial:
        raise ExportValidationError(problems)
    direct = {s.code for _, _, lst, split in plan if not split for s in lst}
    specs = [s for s in schema.layers if s.code in records and (records[s.code] or s.code in direct)]
    counts = {s.code: len(records[s.code]) for s in specs}
    areas = {s.code: sum(r.area_ha for r in records[s.code]) for s in specs}
    if not specs:
        raise InputError("导出 / export", "没有可导出的要素", "no features to export")

    # --- write everything into a temporary sibling, then rename
    created = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    run_parameters = {
        "format": fmt,
        "encoding": encoding,
        "crs": f"EPSG:{epsg}",
        "coordinate_decimals": settings.decimals,
        "repair": options.repair,
        "partial": options.partial,
        "zip": options.zip,
        **options.parameters,
    }
    zip_path = settings.zip_path
    zip_ctx = atomic_path(zip_path) if zip_path else contextlib.nullcontext()
    with zip_ctx as tmp_zip, atomic_path(target, folder=True) as tmp:
        tmp.mkdir(parents=True)
        data_dir = tmp / "data"
        data_dir.mkdir()
        files = _write_layers(
            data_dir, fmt, encoding, schema, epsg, [(s, records[s.code]) for s in specs], SubFeedback(feedback, 60, 85)
        )
        _verify_counts(tmp, fmt, files, counts)
        feedback.check()

        table_files = _write_tables(tmp / "tables", settings.tables_in, specs, records)
        _write_csv(tmp / "fields.csv", FIELD_CATALOGUE_HEADER, field_catalogue_rows(schema, specs))
        if problems:
            _write_csv(
                tmp / "errors.csv",
                ["layer", "fid", "field", "message_zh", "message_en"],
                [list(p.as_row().values()) for p in problems],
            )
        _write_metadata(tmp, schema, options, settings, specs, records, facts, created, run_parameters)
        feedback.check()

        manifest = _manifest(tmp, schema, fmt, encoding, epsg, files, counts, areas, specs, created)
        manifest["package"] = target.name
        manifest["tables"] = [f"tables/{n}" for n in table_files]
        manifest["partial"] = {"errors": len(problems), "file": "errors.csv"} if problems else None
        manifest["warnings"] = len(warnings)
        manifest["text_warnings"] = [w for f in facts for w in f.get("text_warnings", [])]
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _run_hooks("file", tmp / "manifest.json")
        if tmp_zip is not None:
            _write_zip(tmp, tmp_zip, target.name)
            _run_hooks("zip", tmp_zip)
        feedback.check()
    feedback.progress(100.0)
    return ExportResult(target, manifest, zip_path, counts, areas, warnings, problems)


def _write_zip(folder: Path, zip_file: Path, root: str) -> None:
    with zipfile.ZipFile(zip_file, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            zf.write(path, f"{root}/{path.relative_to(folder).as_posix()}")


def _bbox_degrees(geoms: list, crs: CRS):
    if not geoms:
        return None
    bounds = np.array([g.bounds for g in geoms if not g.is_empty])
    if not len(bounds):
        return None
    west, south, east, north = bounds[:, 0].min(), bounds[:, 1].min(), bounds[:, 2].max(), bounds[:, 3].max()
    if crs.is_geographic:
        return (west, south, east, north)
    tr = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)
    return tr.transform_bounds(west, south, east, north)


def read_manifest(package) -> dict:
    return json.loads((Path(package) / "manifest.json").read_text(encoding="utf-8"))


def check_manifest(package) -> list:
    """Files whose SHA-256 differs from the manifest (empty when the package is intact)."""
    package = Path(package)
    bad = []
    for rel, entry in read_manifest(package)["files"].items():
        if entry.get("folder"):
            continue
        path = package / rel
        if not path.is_file() or file_sha256(path, sidecars=False) != entry["sha256"]:
            bad.append(rel)
    return bad


__all__ = [
    "ExportOptions",
    "ExportResult",
    "ExportValidationError",
    "Problem",
    "SourceLayer",
    "WRITE_HOOKS",
    "area_tables",
    "check_manifest",
    "export_package",
    "manifest_summary",
    "filegdb_support",
    "read_manifest",
    "resolve_format",
]
