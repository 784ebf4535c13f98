"""Risk classes of patches by a declarative rule file (resources/rules/disturbance_risk.json).

Each rule: conditions ``measure op threshold`` combined by all-of or any-of, a class, its source
and tag. A patch gets the class of the fired rule with the lowest rank (ties: the rule listed
first); that rule is recorded as fired, and the audit keeps every fired rule with its values
and every condition that could not be evaluated (its layer was not given), as the zoning audit does.
"""

from __future__ import annotations

import json
import operator
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

from ..common.errors import InputError
from ..common.paths import resources_path
from ..common.rules import load_json_rules
from .overlay import ZONE_KINDS

RISK_FILE = ("rules", "disturbance_risk.json")
NUMBER_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq}
NUMBER_OPS["!="] = operator.ne
TEXT_OPS = {"in": lambda v, t: v in t, "not_in": lambda v, t: v not in t}
TEXT_MEASURES = ("approval", "dist_type", "yoy")
_NUMBER_MEASURE = re.compile(rf"^(area_ha|({'|'.join(ZONE_KINDS)})_(pct|ha)|lu_[A-Za-z_][A-Za-z0-9_]*_pct)$")


@dataclass(frozen=True)
class RiskClass:
    id: str
    zh: str
    en: str
    rank: int


@dataclass(frozen=True)
class Condition:
    measure: str
    op: str
    threshold: object  # a number, or a tuple of texts for in / not_in

    def holds(self, value) -> bool:
        if self.op in TEXT_OPS:
            return bool(TEXT_OPS[self.op](str(value), self.threshold))
        return bool(NUMBER_OPS[self.op](float(value), float(self.threshold)))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Rule:
    id: str
    cls: str
    zh: str
    en: str
    combine: str  # all / any
    conditions: tuple
    source: str
    tag: str
    default: bool


@dataclass(frozen=True)
class RiskRules:
    path: str
    id: str
    version: str
    source: str
    tag: str
    classes: dict  # id → RiskClass
    default_class: str
    rules: tuple
    min_overlap_pct: float  # year over year: the same place from this overlap on
    min_overlap_source: str

    def citation(self) -> dict:
        return {
            "path": self.path,
            "id": self.id,
            "version": self.version,
            "source": self.source,
            "tag": self.tag,
            "rules": {
                r.id: {"class": r.cls, "source": r.source, "tag": r.tag, "default": r.default} for r in self.rules
            },
            "year_over_year_min_overlap_pct": {"value": self.min_overlap_pct, "source": self.min_overlap_source},
        }

    def landuse_groups(self) -> set[str]:
        """Land-use groups the rules read (lu_<group>_pct)."""
        return {c.measure[3:-4] for r in self.rules for c in r.conditions if c.measure.startswith("lu_")}


@dataclass
class RiskResult:
    cls: RiskClass
    rule: str  # the deciding rule's id, '' when none fired (the default class)
    fired: list = field(default_factory=list)  # ids of every fired rule
    audit: dict = field(default_factory=dict)

    def audit_json(self) -> str:
        return json.dumps(self.audit, ensure_ascii=False)


def _condition(raw, where: str, bad) -> Condition:
    if not isinstance(raw, dict):
        bad(f"{where} 必须是对象", f"{where} must be an object")
    measure, op, threshold = raw.get("measure"), raw.get("op"), raw.get("threshold")
    if measure in TEXT_MEASURES:
        if op not in TEXT_OPS or not isinstance(threshold, list) or not all(isinstance(t, str) for t in threshold):
            bad(
                f"{where}: {measure} 只能用 in / not_in 和文本列表",
                f"{where}: {measure} takes in / not_in with a list of texts",
            )
        return Condition(measure, op, tuple(threshold))
    if not isinstance(measure, str) or not _NUMBER_MEASURE.match(measure):
        bad(f"{where}: 未知的度量 {measure!r}", f"{where}: unknown measure {measure!r}")
    if op not in NUMBER_OPS or isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
        bad(
            f"{where}: {measure} 需要 {' '.join(NUMBER_OPS)} 之一和数值阈值",
            f"{where}: {measure} needs one of {' '.join(NUMBER_OPS)} and a number threshold",
        )
    return Condition(str(measure), op, float(threshold))


def _classes(data: dict, bad) -> dict:
    classes = {}
    for c in data.get("classes") or []:
        if not isinstance(c, dict) or not all(isinstance(c.get(k), str) for k in ("id", "zh", "en")):
            bad(f"classes 中的 {c!r} 需要 id、zh、en", f"class {c!r} needs id, zh and en")
        if isinstance(c.get("rank"), bool) or not isinstance(c.get("rank"), int):
            bad(f"类别 {c['id']} 需要整数 rank", f"class {c['id']} needs an integer rank")
        classes[c["id"]] = RiskClass(c["id"], c["zh"], c["en"], int(c["rank"]))
    if not classes:
        bad("缺少 classes", "classes is missing")
    if data.get("default_class") not in classes:
        bad("default_class 必须是已定义的类别", "default_class must be a defined class")
    return classes


def _rule(raw, classes: dict, bad) -> Rule:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
        bad(f"规则 {raw!r} 需要 id", f"rule {raw!r} needs an id")
    rid = raw["id"]
    if raw.get("class") not in classes:
        bad(f"规则 {rid} 的类别 {raw.get('class')!r} 未定义", f"rule {rid}: class {raw.get('class')!r} is not defined")
    if raw.get("combine", "all") not in ("all", "any"):
        bad(f"规则 {rid} 的 combine 必须是 all 或 any", f"rule {rid}: combine must be all or any")
    conds = raw.get("conditions")
    if not isinstance(conds, list) or not conds:
        bad(f"规则 {rid} 需要条件列表", f"rule {rid} needs a list of conditions")
    if not isinstance(raw.get("source"), str) or not raw["source"].strip():
        bad(f"规则 {rid} 需要 source（来源）", f"rule {rid} needs a source")
    return Rule(
        rid,
        raw["class"],
        str(raw.get("zh", rid)),
        str(raw.get("en", rid)),
        raw.get("combine", "all"),
        tuple(_condition(c, f"{rid}/conditions/{i}", bad) for i, c in enumerate(conds)),
        raw["source"],
        str(raw.get("tag", "")),
        bool(raw.get("default", True)),
    )


def load_risk_rules(path=None) -> RiskRules:
    """Load and check a risk rule file; InputError naming the file on any problem."""
    path = Path(path or resources_path(*RISK_FILE))
    label = f"风险规则 risk rules {path.name}"
    data = load_json_rules(path, label)

    def bad(zh: str, en: str) -> NoReturn:
        raise InputError(label, zh, en)

    for key in ("version", "source", "tag"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            bad(f"缺少 {key}", f"{key} is missing")
    classes = _classes(data, bad)
    rules = tuple(_rule(r, classes, bad) for r in data.get("rules") or [])
    ids = [r.id for r in rules]
    if len(set(ids)) != len(ids):
        bad(f"规则编号重复: {', '.join(sorted({i for i in ids if ids.count(i) > 1}))}", "rule ids occur twice")
    overlap = (data.get("year_over_year") or {}).get("min_overlap_pct") or {}
    value = overlap.get("value")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 100:
        bad(
            "year_over_year/min_overlap_pct/value 必须是 (0, 100] 的数",
            "year_over_year/min_overlap_pct/value must be in (0, 100]",
        )
    return RiskRules(
        str(path),
        str(data.get("id", path.stem)),
        data["version"],
        data["source"],
        data["tag"],
        classes,
        data["default_class"],
        rules,
        float(value),
        str(overlap.get("source", "")),
    )


def _check(rule: Rule, values: dict) -> tuple[bool, list, list]:
    """(fired, the conditions that held with their values, the measures that are missing)."""
    held, missing, results = [], [], []
    for c in rule.conditions:
        if c.measure not in values:
            missing.append(c.measure)
            results.append(False)
            continue
        ok = c.holds(values[c.measure])
        results.append(ok)
        if ok:
            value = values[c.measure]
            shown = round(float(value), 4) if not isinstance(value, str) else value
            threshold = list(c.threshold) if isinstance(c.threshold, tuple) else c.threshold
            held.append({"measure": c.measure, "value": shown, "op": c.op, "threshold": threshold})
    fired = all(results) if rule.combine == "all" else any(results)
    return fired, held, missing


def evaluate(rules: RiskRules, values: dict) -> RiskResult:
    """The risk class of one patch from its measures (overlay.measures)."""
    fired, missing = [], {}
    for rule in rules.rules:
        ok, held, absent = _check(rule, values)
        if absent:
            missing[rule.id] = absent
        if ok:
            fired.append((rule, held))
    audit: dict = {
        "fired": [
            {"rule": r.id, "class": r.cls, "zh": r.zh, "combine": r.combine, "conditions": held, "default": r.default}
            for r, held in fired
        ],
        "missing": missing,
        "rules_version": rules.version,
    }
    if not fired:
        audit["decided_by"] = "default_class"
        return RiskResult(rules.classes[rules.default_class], "", [], audit)
    best = min(fired, key=lambda f: rules.classes[f[0].cls].rank)[0]  # min keeps the first of equal ranks
    audit["decided_by"] = best.id
    return RiskResult(rules.classes[best.cls], best.id, [r.id for r, _ in fired], audit)
