"""The field mapping of an issued patch layer (resources/rules/disturbance_fields.json).

Field names of the 疑似违法违规扰动图斑 vary by year and issuer and the official schema was not
found: the mapping lists candidate names per field (a default, not the schema), the user edits a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from ..common.errors import InputError
from ..common.paths import resources_path
from ..common.rules import load_json_rules

FIELDS_FILE = ("rules", "disturbance_fields.json")
CANONICAL = ("patch_id", "dist_area", "dist_type", "project", "builder", "approval", "year")
APPROVAL_STATES = ("approved", "none", "unknown")
LAYER_KEYS = {
    "county": ("code", "name"),
    "township": ("code", "name"),
    "unit": ("code", "name"),
    "zones": ("kind",),
    "landuse": ("code", "name"),
    "previous": ("status",),
}
ZONE_KINDS = ("key_prevention", "key_treatment", "severe", "fragile")


@dataclass(frozen=True)
class FieldMapping:
    """The checked mapping file: candidates per field, the unit of 扰动面积, the 批复情况 vocabulary."""

    path: str
    version: str
    source: str
    tag: str
    fields: dict  # canonical name → {"zh", "en", "required", "candidates"}
    area_factor_ha: float  # 扰动面积 as issued × this = 公顷
    area_unit: str
    approved: frozenset
    not_approved: frozenset
    layers: dict  # "county" → {"code": [...], "name": [...]}, ...
    zone_values: dict  # zone kind → accepted values of the zones layer's kind field
    own: bool = False  # the user's own mapping file (not the shipped one): every field must be found

    def citation(self) -> dict:
        return {"path": self.path, "version": self.version, "source": self.source, "tag": self.tag}

    def approval_state(self, value) -> str:
        text = "" if value is None else str(value).strip().lower()
        if text in self.approved:
            return "approved"
        if text in self.not_approved:
            return "none"
        return "unknown"

    def zone_kind(self, value) -> str | None:
        text = "" if value is None else str(value).strip()
        return next((k for k, values in self.zone_values.items() if text in values), None)


def _texts(values, bad, where: str) -> list[str]:
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
        bad(f"{where} 必须是非空的文本列表", f"{where} must be a non-empty list of texts")
    return [v.strip() for v in values]


def load_field_mapping(path=None) -> FieldMapping:
    """Load and check a mapping file; InputError naming the file on any problem."""
    shipped = Path(resources_path(*FIELDS_FILE))
    own = path is not None and Path(path).resolve() != shipped.resolve()
    path = Path(path or shipped)
    label = f"字段映射 field mapping {path.name}"
    data = load_json_rules(path, label)

    def bad(zh: str, en: str) -> NoReturn:
        raise InputError(label, zh, en)

    for key in ("version", "source", "tag"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            bad(f"缺少 {key}", f"{key} is missing")
    fields = data.get("fields")
    if not isinstance(fields, dict):
        bad("缺少 fields", "fields is missing")
    unknown = sorted(set(fields) - set(CANONICAL))
    if unknown:
        bad(f"未知的字段: {', '.join(unknown)}", f"unknown fields: {', '.join(unknown)}")
    if "patch_id" not in fields:
        bad("fields 中必须有 patch_id（图斑编号）", "fields must hold patch_id (图斑编号)")
    checked = {}
    for name, spec in fields.items():
        if not isinstance(spec, dict):
            bad(f"fields/{name} 必须是对象", f"fields/{name} must be an object")
        checked[name] = {
            "zh": str(spec.get("zh", name)),
            "en": str(spec.get("en", name)),
            "required": bool(spec.get("required", name == "patch_id")),
            "candidates": _texts(spec.get("candidates"), bad, f"fields/{name}/candidates"),
        }
    unit = data.get("area_unit") or {}
    allowed = unit.get("allowed") if isinstance(unit, dict) else None
    value = unit.get("value") if isinstance(unit, dict) else None
    if not isinstance(allowed, dict) or value not in allowed or not isinstance(allowed[value], (int, float)):
        bad(
            "area_unit 必须给出 value 及其在 allowed 中的换算系数", "area_unit needs a value with its factor in allowed"
        )
    approval = data.get("approval_values") or {}
    layers = data.get("layers") or {}
    checked_layers = {}
    for key, parts in LAYER_KEYS.items():
        spec = layers.get(key)
        if not isinstance(spec, dict):
            bad(f"缺少 layers/{key}", f"layers/{key} is missing")
        checked_layers[key] = {p: _texts(spec.get(p), bad, f"layers/{key}/{p}") for p in parts}
    zone_values = data.get("zone_values") or {}
    if set(zone_values) != set(ZONE_KINDS):
        bad(
            f"zone_values 必须正好列出 {', '.join(ZONE_KINDS)}",
            f"zone_values must list exactly {', '.join(ZONE_KINDS)}",
        )
    return FieldMapping(
        path=str(path),
        version=data["version"],
        source=data["source"],
        tag=data["tag"],
        fields=checked,
        area_factor_ha=float(allowed[value]),
        area_unit=str(value),
        approved=frozenset(v.lower() for v in _texts(approval.get("approved"), bad, "approval_values/approved")),
        not_approved=frozenset(v.lower() for v in _texts(approval.get("none"), bad, "approval_values/none")),
        layers=checked_layers,
        zone_values={k: frozenset(_texts(v, bad, f"zone_values/{k}")) for k, v in zone_values.items()},
        own=own,
    )


def find_field(columns, candidates) -> str | None:
    """The first candidate that names a column (case-insensitive), as the column is spelt."""
    by_lower = {str(c).lower(): str(c) for c in columns}
    for cand in candidates:
        if cand.lower() in by_lower:
            return by_lower[cand.lower()]
    return None


def resolve_patch_fields(columns, mapping: FieldMapping, label: str) -> dict[str, str | None]:
    """canonical name → the layer's column (None when an optional field is absent); a missing
    required field is refused with the candidates tried."""
    out: dict[str, str | None] = {}
    missing = []
    for name, spec in mapping.fields.items():
        out[name] = find_field(columns, spec["candidates"])
        if out[name] is None and spec["required"]:
            missing.append(spec)
    if missing:
        zh = "; ".join(f"{s['zh']}（候选字段 {', '.join(s['candidates'])}）" for s in missing)
        en = "; ".join(f"{s['en']} (candidates {', '.join(s['candidates'])})" for s in missing)
        have = ", ".join(str(c) for c in columns if c != "geometry")
        raise InputError(
            label,
            f"缺少必需字段: {zh}；图层的字段为: {have}；请在字段映射文件中加入本图层的字段名",
            f"required field missing: {en}; the layer's fields are: {have}; "
            "add the name this layer gives the field to its candidates in the field mapping",
        )
    absent = [s for name, s in mapping.fields.items() if out[name] is None]
    if mapping.own and absent:
        # the user's own file names these fields: a candidate found nowhere is a typo or the wrong file
        zh = "; ".join(f"{s['zh']}（候选字段 {', '.join(s['candidates'])}）" for s in absent)
        en = "; ".join(f"{s['en']} (candidates {', '.join(s['candidates'])})" for s in absent)
        have = ", ".join(str(c) for c in columns if c != "geometry")
        name = Path(mapping.path).name
        raise InputError(
            label,
            f"字段映射文件 {name} 中以下字段的候选字段名在图层中都不存在: {zh}；图层的字段为: {have}；"
            "请改正候选字段名，或从映射文件中删去本图层没有的字段",
            f"no candidate of these fields of the field mapping {name} is a field of the layer: {en}; "
            f"the layer's fields are: {have}; correct the candidates, or remove from the mapping file the "
            "fields this layer does not have",
        )
    for name in CANONICAL:
        out.setdefault(name, None)
    return out


# the patch fields the risk rules read, as the measure they become (overlay.measures)
RULE_MEASURES = {"approval": "approval", "dist_type": "dist_type"}


def absent_field_notes(columns: dict, mapping: FieldMapping, rules, label: str) -> list[str]:
    """Warnings for the optional fields the (shipped) mapping did not find in the layer: a field the
    risk rules read (naming the rules that cannot be decided) and 扰动面积 (issued_ha left empty)."""
    notes = []
    for name, measure in RULE_MEASURES.items():
        spec = mapping.fields.get(name)
        ids = [r.id for r in rules.rules if any(c.measure == measure for c in r.conditions)]
        if spec is None or columns.get(name) is not None or not ids:
            continue
        notes.append(
            f"警告 warning: {label}: 没有{spec['zh']}字段（候选字段 {', '.join(spec['candidates'])}），"
            f"规则 {', '.join(ids)} 无法判定，每个图斑的{spec['zh']}视为未知 / no {spec['en']} field "
            f"(candidates {', '.join(spec['candidates'])}): rules {', '.join(ids)} cannot be decided, "
            f"every patch's {spec['en']} counts as unknown"
        )
    spec = mapping.fields.get("dist_area")
    if spec is not None and columns.get("dist_area") is None:
        notes.append(
            f"警告 warning: {label}: 没有{spec['zh']}字段（候选字段 {', '.join(spec['candidates'])}），"
            f"下发面积 issued_ha 为空 / no {spec['en']} field (candidates {', '.join(spec['candidates'])}): "
            "issued_ha is left empty"
        )
    return notes
