"""Province rules (resources/rules/provinces.json): thresholds, the default province and each
province's zoning rule file, as versioned data with their sources.

Loaded and checked once; every value used is cited in the run metadata with the
file's version, the value's source and its confidence tag.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import InputError
from .paths import resources_path

RULES_FILE = ("rules", "provinces.json")


@dataclass(frozen=True)
class RuleValue:
    value: float
    scope: str  # "220000 吉林省", "national", ...
    source: str
    confidence: str
    default: bool  # True: a default, not a standard
    note: str = ""
    url: str = ""
    rules_version: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RuleChoice:
    """A rule whose value is a name (a province code, a rule file), cited like a RuleValue."""

    value: str
    scope: str
    source: str
    confidence: str
    default: bool
    note: str = ""
    rules_version: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@functools.lru_cache(maxsize=1)
def load_province_rules() -> dict:
    return read_province_rules(resources_path(*RULES_FILE))


def read_province_rules(path) -> dict:
    """The province rules in ``path``, checked (load_province_rules: the shipped file, read once)."""
    data = load_json_rules(path)
    _check(data, path)
    return data


def _check(data: dict, path) -> None:
    """Fail loudly on a broken rules file (a packaging error, not a user error)."""
    try:
        assert data["version"] and data["source"]
        default = data["default_province"]
        assert default["code"] in data["steep_slope"]["provinces"], f"default province {default['code']} has no rules"
        assert default["source"] and default["confidence"]
        zoning = data["zoning_rules"]
        for name in [zoning["national"], *zoning["provinces"].values()]:
            resources_path("rules", name)  # FileNotFoundError for a file not shipped
        for code in zoning["provinces"]:
            assert len(code) == 6 and code.isdigit() and code.endswith("0000")
        steep = data["steep_slope"]
        entries = [steep["national"], *steep["provinces"].values()]
        for entry in entries:
            assert 0 <= float(entry["threshold_deg"]) <= 90 and entry["source"] and entry["confidence"]
        for code in steep["provinces"]:
            assert len(code) == 6 and code.isdigit() and code.endswith("0000")
        assert float(steep["min_patch_ha"]["value"]) >= 0
    except (KeyError, AssertionError, TypeError, ValueError, FileNotFoundError) as exc:
        raise RuntimeError(f"invalid rules file {path}: {exc!r}") from exc


def province_code(code) -> str | None:
    """'22', '220000', '220521' (a county) → '220000'; None/'' → None."""
    text = str(code or "").strip()
    if text.lower() in ("", "national", "none", "全国"):
        return None
    if len(text) < 2 or not text[:2].isdigit():
        raise InputError(
            "省份 province", f"无法识别的行政区划代码: {text}", f"unrecognised administrative code: {text}"
        )
    return text[:2] + "0000"


def steep_slope_threshold(code=None) -> RuleValue:
    """Threshold of the province holding ``code``; the national 25° when it has none (or code is None)."""
    rules = load_province_rules()
    steep = rules["steep_slope"]
    prov = province_code(code)
    entry = steep["provinces"].get(prov) if prov else None
    scope = f"{prov} {entry.get('name', '')}".strip() if entry else "national 全国"
    entry = entry or steep["national"]
    return RuleValue(
        value=float(entry["threshold_deg"]),
        scope=scope,
        source=entry["source"],
        confidence=entry["confidence"],
        default=bool(entry.get("default", False)),
        note=entry.get("note", ""),
        url=entry.get("url", ""),
        rules_version=rules["version"],
    )


def min_patch_rule() -> RuleValue:
    rules = load_province_rules()
    entry = rules["steep_slope"]["min_patch_ha"]
    return RuleValue(
        value=float(entry["value"]),
        scope="default",
        source=entry["source"],
        confidence=entry["confidence"],
        default=bool(entry.get("default", True)),
        note=entry.get("note", ""),
        url=entry.get("url", ""),
        rules_version=rules["version"],
    )


def provinces() -> dict[str, str]:
    """code → name of provinces with their own rules."""
    return {code: e.get("name", code) for code, e in load_province_rules()["steep_slope"]["provinces"].items()}


def default_province() -> RuleChoice:
    """The province assumed where a step is given none (e.g. the indicators' steep-slope threshold)."""
    rules = load_province_rules()
    entry = rules["default_province"]
    code = entry["code"]
    return RuleChoice(
        value=code,
        scope=f"{code} {provinces().get(code, '')}".strip(),
        source=entry["source"],
        confidence=entry["confidence"],
        default=bool(entry.get("default", True)),
        note=entry.get("note", ""),
        rules_version=rules["version"],
    )


def zoning_rule_sets() -> tuple[tuple[str, str], ...]:
    """(province code or 'national', shipped zoning rule file): the provinces with their own file, then national."""
    zoning = load_province_rules()["zoning_rules"]
    return (*zoning["provinces"].items(), ("national", zoning["national"]))


def zoning_rules_file(code=None) -> RuleChoice:
    """The shipped zoning rule file of the province holding ``code``; the national file for any other
    province, for 'national' and for None (no province known: the national rules, as for the threshold)."""
    rules = load_province_rules()
    zoning = rules["zoning_rules"]
    prov = province_code(code)
    name = zoning["provinces"].get(prov) if prov else None
    scope = f"{prov} {provinces().get(prov or '', '')}".strip() if name else "national 全国"
    return RuleChoice(
        value=name or zoning["national"],
        scope=scope,
        source=zoning["source"],
        confidence=zoning["confidence"],
        default=True,
        note=zoning.get("note", ""),
        rules_version=rules["version"],
    )


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf
        raise ValueError(f"{text} is out of range for a number")
    return value


def load_json_rules(path, label: str | None = None) -> dict:
    """A rule/schema/mapping file the user may have edited: UTF-8 JSON with finite numbers,
    else InputError naming the file."""
    path = Path(path)
    label = label or path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(label, f"无法读取规则文件 {path}: {exc}", f"cannot read the rule file {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            label,
            f"规则文件不是 UTF-8 编码（第 {exc.start} 字节）: {path}；请另存为 UTF-8",
            f"the rule file is not UTF-8 (byte {exc.start}): {path}; save it as UTF-8",
        ) from exc
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except json.JSONDecodeError as exc:
        raise InputError(
            label,
            f"规则文件 JSON 格式错误（第 {exc.lineno} 行第 {exc.colno} 列: {exc.msg}）: {path}",
            f"the rule file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}): {path}",
        ) from exc
    except ValueError as exc:
        raise InputError(
            label, f"规则文件中的数值无效（{exc}）: {path}", f"the rule file holds an invalid number ({exc}): {path}"
        ) from exc
    if not isinstance(data, dict):
        raise InputError(
            label, f"规则文件的顶层必须是 JSON 对象: {path}", f"the rule file's top level must be a JSON object: {path}"
        )
    return data
