"""Province rules (resources/rules/provinces.json): thresholds as versioned data with their sources.

Loaded and checked once; every value used is cited in the run metadata with the
file's version, the value's source and its confidence tag.
"""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass

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
    data = json.loads(path.read_text(encoding="utf-8"))
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
        raise InputError("省份 province", f"无法识别的行政区划代码: {text}", f"unrecognised administrative code: {text}")
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
