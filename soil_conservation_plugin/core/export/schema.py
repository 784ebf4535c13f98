"""The One-Map export schema: a versioned data file, loaded and checked once.

The official 全国水利一张图 submission schema was NOT FOUND (REFERENCE.md §6,
§8 row 22), so layers, field names, aliases, types and code lists live in
``resources/schemas/onemap_v*.json``; when the official text arrives only that
file changes. A broken schema file fails on load with a zh/en message naming
the layer and field.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, NoReturn

from ..common.errors import InputError
from ..common.io import file_sha256
from ..common.paths import resources_path
from ..common.vector import normalise_encoding

DEFAULT_SCHEMA = "onemap_v0.2.json"  # v0.1 stays loadable by path (packages written before)
FIELD_TYPES = ("String", "Integer", "Real", "Date")
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
TRANSFORMS = ("township12", "join", "outlet_x", "outlet_y")
COMPUTES = ("area_ha", "area_km2")
SHAPEFILE_NAME_MAX = 10  # DBF field names: 10 ASCII characters
DBF_STRING_MAX = 254  # DBF character fields: 254 bytes
_FIELD_KEYS = {
    "name",
    "alias",
    "type",
    "length",
    "precision",
    "required",
    "pattern",
    "codes",
    "value_map",
    "from",
    "transform",
    "compute",
    "truncate",
    "missing",
    "default",
    "source",
    "tag",
}
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,30}$")
ZONE_SPLIT_RE = re.compile(r"[;,|，；、]")
INTERNAL_KINDS = ("steep_slope", "units", "zones", "issues", "disturbance", "rollup")


class SchemaError(InputError):
    """A schema file that cannot be used; ``layer`` names the file."""


@dataclass(frozen=True)
class FieldSpec:
    name: str
    alias: str
    type: str
    length: int = 0
    precision: int = 0
    required: bool = False
    pattern: str | None = None
    codes: dict = field(default_factory=dict)  # exported code → label
    value_map: dict = field(default_factory=dict)  # internal value → exported code
    sources: tuple = ()  # internal field names, first present wins
    transform: str | None = None
    compute: str | None = None
    truncate: bool = False
    missing: object = None  # value used when the internal field is absent or empty
    default: bool = True
    source: str = ""
    tag: str = ""

    def dbf_width(self, encoding: str) -> int:
        """DBF width in bytes: ``length`` characters in the worst case of the encoding, at most 254."""
        if self.type != "String":
            return self.length
        per_char = 3 if encoding.replace("-", "").upper() == "UTF8" else 2
        return min(DBF_STRING_MAX, self.length * per_char)


@dataclass(frozen=True)
class LayerSpec:
    name: str  # Chinese layer name, as the One Map shows it
    code: str  # ASCII: table / file name
    internal: str  # which plugin layer feeds it: steep_slope / units / zones / issues
    geometry: str
    fields: tuple
    zone_type: str | None = None
    geometry_from_polygon: str | None = None
    default: bool = True
    source: str = ""

    def field(self, name: str) -> FieldSpec:
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)

    @property
    def polygonal(self) -> bool:
        return "Polygon" in self.geometry


@dataclass(frozen=True)
class Schema:
    id: str
    version: str
    date: str
    title: str
    crs_target: int
    crs_allowed: tuple
    geographic_decimals: int
    projected_decimals: int
    shapefile_encoding: str
    shapefile_encodings: tuple
    formats: tuple
    default_format: str
    layers: tuple
    substitutions: dict
    path: Path
    sha256: str
    raw: dict

    def layer(self, key: str) -> LayerSpec:
        for spec in self.layers:
            if key in (spec.name, spec.code):
                return spec
        raise KeyError(key)

    def zone_layers(self) -> list:
        return [spec for spec in self.layers if spec.internal == "zones"]

    def citation(self) -> dict:
        """What the metadata and manifest cite."""
        return {
            "id": self.id,
            "version": self.version,
            "date": self.date,
            "file": self.path.name,
            "sha256": self.sha256,
            "default": bool(self.raw.get("default", True)),
            "tag": self.raw.get("tag", ""),
            "source": self.raw.get("source", ""),
        }


def load_schema(path=None) -> Schema:
    """Load and check a schema file (the bundled default when ``path`` is None)."""
    path = Path(path) if path else resources_path("schemas", DEFAULT_SCHEMA)
    label = path.name
    from ..common.rules import load_json_rules

    if not path.is_file():
        raise SchemaError(label, f"找不到导出模式文件: {path}", f"export schema file not found: {path}")
    try:
        data = load_json_rules(path, label)  # UTF-8, valid JSON, finite numbers
    except InputError as exc:
        raise SchemaError(label, exc.zh, exc.en) from exc
    if not isinstance(data, dict):
        raise SchemaError(label, "导出模式文件的顶层必须是对象", "the top level of the export schema must be an object")
    return _parse(data, path)


def _fail(label, zh, en) -> NoReturn:
    raise SchemaError(label, zh, en)


class _Crs(NamedTuple):
    target: int
    allowed: tuple


class _Precision(NamedTuple):
    geographic: int
    projected: int


class _Encodings(NamedTuple):
    default: str  # of Shapefiles
    allowed: tuple


class _Formats(NamedTuple):
    allowed: tuple
    default: str


def _parse(data: dict, path: Path) -> Schema:
    label = path.name
    _check_header(data, label)
    crs = _parse_crs(data["crs"], label)
    prec = _parse_precision(data.get("coordinate_precision", {}), label)
    enc = data.get("encoding", {})
    encodings = _parse_encodings(enc, label)
    formats = _parse_formats(data.get("formats", {}))
    layers = _parse_layers(data, label)
    return Schema(
        id=str(data["id"]),
        version=str(data["version"]),
        date=str(data["date"]),
        title=str(data.get("title", data["id"])),
        crs_target=crs.target,
        crs_allowed=crs.allowed,
        geographic_decimals=prec.geographic,
        projected_decimals=prec.projected,
        shapefile_encoding=encodings.default,
        shapefile_encodings=encodings.allowed,
        formats=formats.allowed,
        default_format=formats.default,
        layers=layers,
        substitutions=dict(enc.get("substitutions", {})),
        path=path,
        sha256=file_sha256(path),
        raw=data,
    )


def _check_header(data: dict, label: str) -> None:
    """The required top-level keys, and a YYYY-MM-DD date."""
    for key in ("id", "version", "date", "crs", "layers"):
        if key not in data:
            _fail(label, f"缺少必需的键 '{key}'", f"missing required key '{key}'")
    try:
        _dt.date.fromisoformat(str(data["date"]))
    except ValueError:
        _fail(label, f"日期 '{data['date']}' 不是 YYYY-MM-DD", f"date '{data['date']}' is not YYYY-MM-DD")


def _parse_crs(crs, label: str) -> _Crs:
    try:
        target = int(crs["target"])
        allowed = tuple(int(c) for c in crs.get("allowed", [target]))
    except (KeyError, TypeError, ValueError):
        _fail(
            label,
            "crs.target / crs.allowed 必须是 EPSG 整数代码",
            "crs.target / crs.allowed must be integer EPSG codes",
        )
    if target not in allowed:
        _fail(
            label,
            f"目标坐标系 EPSG:{target} 不在允许列表 {list(allowed)} 中",
            f"target CRS EPSG:{target} is not in the allowed list {list(allowed)}",
        )
    return _Crs(target, allowed)


def _parse_precision(prec: dict, label: str) -> _Precision:
    geo_dec, proj_dec = int(prec.get("geographic_decimals", 8)), int(prec.get("projected_decimals", 3))
    if not (0 <= geo_dec <= 12 and 0 <= proj_dec <= 9):
        _fail(label, "坐标精度(小数位数)超出范围", "coordinate precision (decimals) out of range")
    return _Precision(geo_dec, proj_dec)


def _parse_encodings(enc: dict, label: str) -> _Encodings:
    encodings = tuple(normalise_encoding(e) for e in enc.get("shapefile_allowed", ["GBK", "UTF-8"]))
    shp_enc = normalise_encoding(str(enc.get("shapefile_default", "GBK")))
    for e in (*encodings, shp_enc):
        try:
            "".encode(e)
        except LookupError:
            _fail(label, f"未知编码 '{e}'", f"unknown encoding '{e}'")
    if shp_enc not in encodings:
        _fail(label, f"默认编码 {shp_enc} 不在允许列表中", f"default encoding {shp_enc} is not in the allowed list")
    return _Encodings(shp_enc, encodings)


def _parse_formats(fmts: dict) -> _Formats:
    formats = tuple(fmts.get("allowed", ["GPKG", "ESRI Shapefile", "OpenFileGDB"]))
    return _Formats(formats, fmts.get("default_format", formats[0] if formats else "GPKG"))


def _parse_layers(data: dict, label: str) -> tuple:
    field_sets = data.get("field_sets", {})
    if not isinstance(data["layers"], list) or not data["layers"]:
        _fail(label, "layers 必须是非空列表", "layers must be a non-empty list")
    layers: list = []
    names: set = set()
    codes: set = set()
    for raw in data["layers"]:
        spec = _parse_layer(raw, field_sets, label, names, codes)
        names.add(spec.name)
        codes.add(spec.code)
        layers.append(spec)
    return tuple(layers)


def _parse_layer(raw: dict, field_sets: dict, label: str, names: set, codes: set) -> LayerSpec:
    """One layer; ``names`` and ``codes`` are those of the layers before it (no duplicates)."""
    lname = str(raw.get("name", "")).strip()
    if not lname:
        _fail(label, "有图层缺少名称(name)", "a layer has no name")
    where_zh, where_en = f"图层 '{lname}'", f"layer '{lname}'"
    code = str(raw.get("code", ""))
    if not _CODE_RE.match(code):
        _fail(
            label,
            f"{where_zh}: 代码 '{code}' 必须是大写 ASCII 字母开头的 1-31 个字母/数字/下划线(用作文件名)",
            f"{where_en}: code '{code}' must be 1-31 upper-case ASCII letters, digits or '_' starting with a "
            "letter (it names files)",
        )
    if lname in names or code in codes:
        _fail(label, f"{where_zh}: 图层名称或代码重复", f"{where_en}: duplicate layer name or code")
    geometry = raw.get("geometry")
    if geometry not in GEOMETRY_TYPES:
        _fail(
            label,
            f"{where_zh}: 未知几何类型 '{geometry}'(允许: {', '.join(GEOMETRY_TYPES)})",
            f"{where_en}: unknown geometry type '{geometry}' (allowed: {', '.join(GEOMETRY_TYPES)})",
        )
    internal = raw.get("internal")
    if internal not in INTERNAL_KINDS:
        _fail(
            label,
            f"{where_zh}: 未知的内部图层类型 '{internal}'(允许: {', '.join(INTERNAL_KINDS)})",
            f"{where_en}: unknown internal layer kind '{internal}' (allowed: {', '.join(INTERNAL_KINDS)})",
        )
    fields = _layer_fields(raw.get("fields"), field_sets, label, where_zh, where_en)
    zone_type = raw.get("zone_type")
    if internal == "zones":
        qylx = [s for s in fields if s.codes and zone_type in s.codes]
        if not zone_type or not qylx:
            _fail(
                label,
                f"{where_zh}: 区域图层需要 zone_type, 且它必须在某个字段的代码表中",
                f"{where_en}: a zone layer needs a zone_type that is a code of one of its fields",
            )
    return LayerSpec(
        name=lname,
        code=code,
        internal=internal,
        geometry=geometry,
        fields=fields,
        zone_type=zone_type,
        geometry_from_polygon=raw.get("geometry_from_polygon"),
        default=bool(raw.get("default", True)),
        source=str(raw.get("source", "")),
    )


def _layer_fields(raw_fields, field_sets: dict, label: str, where_zh: str, where_en: str) -> tuple:
    """The fields of a layer (a list, or '@name' of a field set), each checked, names and aliases unique."""
    if isinstance(raw_fields, str) and raw_fields.startswith("@"):
        if raw_fields[1:] not in field_sets:
            _fail(label, f"{where_zh}: 找不到字段集 '{raw_fields}'", f"{where_en}: field set '{raw_fields}' not found")
        raw_fields = field_sets[raw_fields[1:]]
    if not isinstance(raw_fields, list) or not raw_fields:
        _fail(label, f"{where_zh}: fields 必须是非空列表", f"{where_en}: fields must be a non-empty list")
    fields = tuple(_parse_field(f, label, where_zh, where_en) for f in raw_fields)
    seen, aliases = set(), set()
    for spec in fields:
        key = spec.name.upper()  # DBF names are case-insensitive
        if key in seen:
            _fail(
                label,
                f"{where_zh}: 字段名 '{spec.name}' 重复(不区分大小写)",
                f"{where_en}: duplicate field name '{spec.name}' (case-insensitive)",
            )
        if spec.alias in aliases:
            _fail(
                label,
                f"{where_zh}: 字段别名 '{spec.alias}' 重复",
                f"{where_en}: duplicate field alias '{spec.alias}'",
            )
        seen.add(key)
        aliases.add(spec.alias)
    return fields


def _parse_field(raw: dict, label: str, where_zh: str, where_en: str) -> FieldSpec:
    if not isinstance(raw, dict):
        _fail(label, f"{where_zh}: 字段定义必须是对象", f"{where_en}: a field definition must be an object")
    name = str(raw.get("name", ""))
    fz, fe = f"{where_zh} 字段 '{name}'", f"{where_en} field '{name}'"
    unknown = sorted(set(raw) - _FIELD_KEYS)
    if unknown:
        _fail(label, f"{fz}: 未知的键 {unknown}", f"{fe}: unknown keys {unknown}")
    if not _NAME_RE.match(name) or not name.isascii():
        _fail(
            label,
            f"{fz}: 字段名必须是字母开头的 ASCII 字母/数字/下划线",
            f"{fe}: a field name must be ASCII letters, digits or '_' starting with a letter",
        )
    if len(name) > SHAPEFILE_NAME_MAX:
        _fail(
            label,
            f"{fz}: 字段名 {len(name)} 个字符, 超过 Shapefile 的 {SHAPEFILE_NAME_MAX} 个字符上限",
            f"{fe}: the name has {len(name)} characters, over the Shapefile limit of {SHAPEFILE_NAME_MAX}",
        )
    alias = str(raw.get("alias", "")).strip()
    if not alias:
        _fail(label, f"{fz}: 缺少中文别名(alias)", f"{fe}: missing Chinese alias")
    ftype = raw.get("type")
    if not isinstance(ftype, str) or ftype not in FIELD_TYPES:
        _fail(
            label,
            f"{fz}: 未知字段类型 '{ftype}'(允许: {', '.join(FIELD_TYPES)})",
            f"{fe}: unknown field type '{ftype}' (allowed: {', '.join(FIELD_TYPES)})",
        )
    length, precision = raw.get("length", 0), raw.get("precision", 0)
    if not isinstance(length, int) or not isinstance(precision, int) or length < 0 or precision < 0:
        _fail(label, f"{fz}: length/precision 必须是非负整数", f"{fe}: length/precision must be non-negative integers")
    if ftype == "String" and not 1 <= length <= DBF_STRING_MAX:
        _fail(
            label,
            f"{fz}: 字符串长度必须在 1-{DBF_STRING_MAX} 之间",
            f"{fe}: a String length must be 1-{DBF_STRING_MAX}",
        )
    if ftype == "Real" and length and precision >= length - 1:
        _fail(label, f"{fz}: 小数位数必须小于长度-1", f"{fe}: precision must be below length - 1")
    if ftype == "Integer" and not 0 < (length or 9) <= 10:
        _fail(label, f"{fz}: 整数长度必须为 1-10", f"{fe}: an Integer length must be 1-10")
    pattern = raw.get("pattern")
    if pattern is not None:
        try:
            re.compile(pattern)
        except re.error as exc:
            _fail(label, f"{fz}: 正则表达式无效: {exc}", f"{fe}: invalid pattern: {exc}")
    codes = raw.get("codes") or {}
    value_map = raw.get("value_map") or {}
    if not isinstance(codes, dict) or not isinstance(value_map, dict):
        _fail(label, f"{fz}: codes/value_map 必须是对象", f"{fe}: codes/value_map must be objects")
    bad = sorted({v for v in value_map.values() if v not in codes})
    if bad:
        _fail(
            label,
            f"{fz}: value_map 指向不在代码表中的值 {bad}",
            f"{fe}: value_map points to values not in the code list {bad}",
        )
    sources = raw.get("from", ())
    sources = (sources,) if isinstance(sources, str) else tuple(sources)
    transform, compute = raw.get("transform"), raw.get("compute")
    if transform is not None and transform not in TRANSFORMS:
        _fail(
            label,
            f"{fz}: 未知转换 '{transform}'(允许: {', '.join(TRANSFORMS)})",
            f"{fe}: unknown transform '{transform}' (allowed: {', '.join(TRANSFORMS)})",
        )
    if compute is not None and (compute not in COMPUTES or ftype != "Real"):
        _fail(
            label,
            f"{fz}: 计算项 '{compute}' 未知或字段不是 Real",
            f"{fe}: unknown compute '{compute}' or the field is not Real",
        )
    if not sources and not compute:
        _fail(label, f"{fz}: 需要 from(内部字段) 或 compute", f"{fe}: needs 'from' (internal field) or 'compute'")
    return FieldSpec(
        name=name,
        alias=alias,
        type=ftype,
        length=length,
        precision=precision,
        required=bool(raw.get("required", False)),
        pattern=pattern,
        codes=dict(codes),
        value_map=dict(value_map),
        sources=sources,
        transform=transform,
        compute=compute,
        truncate=bool(raw.get("truncate", False)),
        missing=raw.get("missing"),
        default=bool(raw.get("default", True)),
        source=str(raw.get("source", "")),
        tag=str(raw.get("tag", "")),
    )


# --- record values ------------------------------------------------------------


class ValueProblem(Exception):
    def __init__(self, zh: str, en: str):
        super().__init__(en)
        self.zh, self.en = zh, en


def _is_empty(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 220521.0 from a numeric column → '220521'
    if isinstance(value, (list, tuple)):
        return ";".join(_as_text(v) for v in value)
    return str(value).strip()


def coerce(
    spec: FieldSpec, value, shapefile_encoding: str | None = None, substitutions: dict | None = None
) -> tuple[object, str | None]:
    """The exported value of one field, and a note ('truncated', 'substituted') or None; raises ValueProblem.

    ``substitutions`` (e.g. '²' → '2') apply to Shapefile text only, for characters the encoding lacks.
    """
    if _is_empty(value):
        value = spec.missing
    if _is_empty(value) and spec.value_map and "" in spec.value_map:
        value = spec.value_map[""]
    if _is_empty(value):
        if spec.required:
            raise ValueProblem("必填字段为空", "required field is empty")
        return None, None
    if spec.type == "String":
        return _coerce_string(spec, value, shapefile_encoding, substitutions)
    if spec.type in ("Real", "Integer"):
        return _coerce_number(spec, value), None
    return _coerce_date(value), None


def _mapped_code(spec: FieldSpec, text: str) -> str:
    """The exported code of an internal value: value_map (as given, then normalised ASCII: '_' for ' '/'-',
    lower case), else the value itself when it is a code, else its normalised form."""
    norm = text.replace(" ", "_").replace("-", "_").lower() if text.isascii() else text
    return spec.value_map.get(text, spec.value_map.get(norm, text if text in spec.codes else norm))


def _coerce_string(
    spec: FieldSpec, value, shapefile_encoding: str | None, substitutions: dict | None
) -> tuple[str, str | None]:
    warning = None
    text = _as_text(value)
    if spec.value_map or spec.codes:
        text = _mapped_code(spec, text)
        if text not in spec.codes:
            raise ValueProblem(
                f"值 '{value}' 不在代码表 {list(spec.codes)} 中",
                f"value '{value}' is not in the code list {list(spec.codes)}",
            )
    if spec.pattern and not re.fullmatch(spec.pattern, text):
        raise ValueProblem(
            f"值 '{text}' 不符合格式 {spec.pattern}", f"value '{text}' does not match the pattern {spec.pattern}"
        )
    encoded = b""
    if shapefile_encoding:
        text, warning, encoded = _shapefile_text(text, shapefile_encoding, substitutions)
    width = spec.dbf_width(shapefile_encoding) if shapefile_encoding else None
    too_long = len(text) > spec.length or (width is not None and len(encoded) > width)
    if too_long:
        if not spec.truncate:
            raise ValueProblem(
                f"长度 {len(text)} 超过 {spec.length} 个字符(或 {width} 字节)",
                f"length {len(text)} exceeds {spec.length} characters (or {width} bytes)",
            )
        text = text[: spec.length]
        while width is not None and shapefile_encoding and len(text.encode(shapefile_encoding)) > width:
            text = text[:-1]
        warning = "truncated"
    return text, warning


def _shapefile_text(text: str, encoding: str, substitutions: dict | None) -> tuple[str, str | None, bytes]:
    """``text`` with the substitutions for characters ``encoding`` lacks, the note ('substituted' or None)
    and the encoded bytes; raises ValueProblem for a character that still cannot be encoded."""
    warning = None
    for char, repl in (substitutions or {}).items():
        if char in text and not _encodable(char, encoding):
            text, warning = text.replace(char, repl), "substituted"
    try:
        encoded = text.encode(encoding)
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        raise ValueProblem(
            f"字符 '{bad}' 无法用 {encoding} 编码",
            f"character '{bad}' cannot be encoded in {encoding}",
        ) from exc
    return text, warning, encoded


def _coerce_number(spec: FieldSpec, value) -> int | float:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise ValueProblem(f"值 '{value}' 不是数字", f"value '{value}' is not a number") from exc
    if not math.isfinite(number):
        raise ValueProblem(f"值 {value} 不是有限数", f"value {value} is not finite")
    if spec.type == "Integer":
        if not number.is_integer():
            raise ValueProblem(f"值 {value} 不是整数", f"value {value} is not an integer")
        out = int(number)
        if not -(2**31) <= out < 2**31 or (spec.length and len(str(out)) > spec.length):
            raise ValueProblem(f"整数 {out} 超出字段宽度", f"integer {out} does not fit the field")
        return out
    real = round(number, spec.precision) if spec.precision else number
    if spec.length and len(f"{real:.{spec.precision}f}") > spec.length:
        raise ValueProblem(
            f"数值 {number} 超出字段宽度 {spec.length}.{spec.precision}",
            f"number {number} does not fit width {spec.length}.{spec.precision}",
        )
    return real


def _coerce_date(value):
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value if isinstance(value, _dt.date) else value.date()
    try:
        return _dt.date.fromisoformat(_as_text(value)[:10])
    except ValueError as exc:
        raise ValueProblem(f"值 '{value}' 不是日期 YYYY-MM-DD", f"value '{value}' is not a date YYYY-MM-DD") from exc


def _encodable(char: str, encoding: str) -> bool:
    try:
        char.encode(encoding)
        return True
    except UnicodeEncodeError:
        return False


def zone_codes(spec: FieldSpec, value) -> list:
    """Zone codes named by an internal zone_type value ('重点预防区;严重' → ['YFQ', 'YZ']);
    unknown parts kept as given."""
    if _is_empty(value):
        return []
    out = []
    for part in ZONE_SPLIT_RE.split(_as_text(value)):
        part = part.strip()
        if not part:
            continue
        code = _mapped_code(spec, part)
        if code not in out:
            out.append(code)
    return out
