"""Province rules (resources/rules/provinces.json): thresholds as versioned data with their sources.

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


@functools.lru_cache(maxsize=1)
def load_rules() -> dict:
    path = resources_path(*RULES_FILE)
    data = load_json_rules(path)
    _check(data, path)
    return data


def _check(data: dict, path) -> None:
    """Fail loudly on a broken rules file (a packaging error, not a user error)."""
    try:
        assert data["version"]
        steep = data["steep_slope"]
        entries = [steep["national"], *steep["provinces"].values()]
        for entry in entries:
            assert 0 <= float(entry["threshold_deg"]) <= 90 and entry["source"] and entry["confidence"]
        for code in steep["provinces"]:
            assert len(code) == 6 and code.isdigit() and code.endswith("0000")
        assert float(steep["min_patch_ha"]["value"]) >= 0
    except (KeyError, AssertionError, TypeError, ValueError) as exc:
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
    rules = load_rules()
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
    rules = load_rules()
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
    return {code: e.get("name", code) for code, e in load_rules()["steep_slope"]["provinces"].items()}


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses to inf
        raise ValueError(f"{text} is out of range for a number")
    return value


def load_json_rules(path, label: str | None = None) -> dict:
    """A rule/schema/mapping file the user may have edited: UTF-8 JSON with finite numbers, else InputError naming the file."""
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
