"""The 水土保持率 targets file (resources/rules/targets_jilin.json) and its decomposition to 县 and 市(州).

The province sets a rate T for a target year; each county i gets a target t_i such that the
**area-weighted** sum reproduces T exactly: Σ A_i·t_i / Σ A_i = T, with A_i the county's 评价面积
(its land area with erosion data). The method is named in the targets file (``method.id``) and in
the table's note; every method here is a default of this plugin, NOT an official allocation:

* ``gap_share`` (default): every county closes the same share s of its gap to a ceiling C,
  t_i = r_i + s·max(0, C − r_i), s = (T·ΣA − ΣA_i·r_i) / ΣA_i·max(0, C − r_i). With C = 100 % it is
  the same as ``loss_proportional``.
* ``loss_proportional``: the loss reduction ΔL = ΣL − (1 − T)·ΣA is shared in proportion to each
  county's 水土流失面积 L_i; t_i = 1 − (L_i − ΔL·L_i/ΣL) / A_i.
* ``uniform``: t_i = T.

Besides the rates (floating point, reproducing T to rounding of the arithmetic), the table gives each
county's target 水土流失面积 in integer 0.01 ha, rounded by largest remainder so that they add up
exactly to the province's target 水土流失面积, round((1 − T)·ΣA).

Where the province already meets T, s is negative: counties get targets below their current rate,
flagged in the table ("低于现状"), so that the decomposition still reproduces T.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.errors import InputError
from ..common.paths import resources_path
from ..common.rules import load_json_rules
from .levels import PARTIAL_FLAG, county_totals, jilin_hierarchy, partial_name, round_parts

METHODS = ("gap_share", "loss_proportional", "uniform")
DEFAULT_FILE = ("rules", "targets_jilin.json")


@dataclass(frozen=True)
class Target:
    year: int
    rate_pct: float
    tag: str
    verified: bool
    source: str


@dataclass(frozen=True)
class TargetsFile:
    path: str
    version: str
    source: str
    province_code: str
    province_name: str
    targets: tuple[Target, ...]
    method: str
    ceiling_pct: float
    official: bool
    note: str
    period_goals: dict

    def target(self, year: int, label: str = "targets") -> Target:
        for t in self.targets:
            if t.year == year:
                return t
        years = ", ".join(str(t.year) for t in self.targets)
        raise InputError(
            label,
            f"目标文件中没有 {year} 年的目标；现有年份: {years}",
            f"the targets file has no target for {year}; years: {years}",
        )

    def citation(self) -> dict:
        return {
            "path": self.path,
            "version": self.version,
            "source": self.source,
            "method": self.method,
            "ceiling_pct": self.ceiling_pct,
            "official": self.official,
            "targets": [t.__dict__ for t in self.targets],
            "note": self.note,
        }


def _bad(label: str, zh: str, en: str) -> InputError:
    return InputError(label, f"目标文件无效：{zh}", f"invalid targets file: {en}")


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(float(value))


def load_targets(path=None) -> TargetsFile:
    """Load and check a targets file (the shipped one by default); a bilingual InputError naming the file."""
    path = Path(path) if path else resources_path(*DEFAULT_FILE)
    label = path.name
    data = load_json_rules(path, label)
    for key in ("version", "source", "targets", "method", "province"):
        if key not in data:
            raise _bad(label, f"缺少“{key}”", f"'{key}' is missing")
    if not isinstance(data["targets"], list) or not data["targets"]:
        raise _bad(label, "“targets”必须是非空列表", "'targets' must be a non-empty list")
    targets, years = [], set()
    for i, t in enumerate(data["targets"]):
        if not isinstance(t, dict) or not isinstance(t.get("year"), int) or isinstance(t.get("year"), bool):
            raise _bad(label, f"第 {i + 1} 个目标缺少整数年份 year", f"target {i + 1} has no integer 'year'")
        rate = t.get("rate_pct")
        value = float(rate) if isinstance(rate, (int, float)) and _number(rate) else math.nan  # NaN fails the range
        if not (0 < value <= 100):
            raise _bad(
                label,
                f"{t['year']} 年的 rate_pct 必须是 (0, 100] 之间的数（实际: {rate}）",
                f"rate_pct of {t['year']} must be a number in (0, 100] (got {rate})",
            )
        if t["year"] in years:
            raise _bad(label, f"{t['year']} 年的目标重复", f"the target of {t['year']} is given twice")
        if not t.get("source") or not t.get("tag"):
            raise _bad(
                label, f"{t['year']} 年的目标缺少 source 或 tag", f"the target of {t['year']} lacks source or tag"
            )
        years.add(t["year"])
        targets.append(Target(t["year"], value, str(t["tag"]), bool(t.get("verified", False)), str(t["source"])))
    method = data["method"]
    mid = method.get("id") if isinstance(method, dict) else None
    if mid not in METHODS:
        raise _bad(
            label,
            f"method.id 必须是 {', '.join(METHODS)} 之一（实际: {mid}）",
            f"method.id must be one of {', '.join(METHODS)} (got {mid})",
        )
    raw_ceiling = method.get("ceiling_pct", 100.0)
    ceiling = float(raw_ceiling) if isinstance(raw_ceiling, (int, float)) and _number(raw_ceiling) else math.nan
    if not (0 < ceiling <= 100):
        raise _bad(
            label, "method.ceiling_pct 必须是 (0, 100] 之间的数", "method.ceiling_pct must be a number in (0, 100]"
        )
    province = data["province"]
    return TargetsFile(
        path=str(path),
        version=str(data["version"]),
        source=str(data["source"]),
        province_code=str(province.get("code", "")),
        province_name=str(province.get("name", "")),
        targets=tuple(sorted(targets, key=lambda t: t.year)),
        method=str(mid),
        ceiling_pct=ceiling,
        official=bool(method.get("official", False)),
        note=str(data.get("note", "")),
        period_goals=dict(data.get("period_goals", {})),
    )


METHOD_ZH = {
    "gap_share": "等比例缩小差距",
    "loss_proportional": "按水土流失面积比例分摊",
    "uniform": "各县同一目标",
}


def method_note(targets: TargetsFile) -> str:
    zh = METHOD_ZH[targets.method]
    ceiling = f"，上限 {targets.ceiling_pct:g}%" if targets.method == "gap_share" else ""
    return (
        f"分解方法：{zh}（{targets.method}{ceiling}）——本插件的默认方法，非官方分配 / "
        f"method {targets.method}: a default of this plugin, not an official allocation; "
        f"目标来源 source: {targets.source} (targets file version {targets.version}"
        + ("" if all(t.verified for t in targets.targets) else "; 未经原文核实 not verified against the original")
        + ")"
    )


@dataclass(frozen=True)
class CountyBase:
    """A county's current state in the base year, the input of the decomposition (0.01 ha integers)."""

    code: str
    name: str
    prefecture: str
    assessed: int
    loss: int


def _county_rates(method: str, ceiling: float, target: float, a: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Target rates t_i (%) whose A-weighted mean is ``target`` (see the module docstring)."""
    r = 100.0 * (a - loss) / a
    total = a.sum()
    if method == "uniform":
        return np.full(len(a), target)
    if method == "loss_proportional":
        need = loss.sum() - (1.0 - target / 100.0) * total  # ΔL
        if loss.sum() <= 0:
            raise InputError(
                "targets",
                "没有水土流失面积，无法按水土流失面积比例分解目标",
                "there is no 水土流失面积 to share the target in proportion to",
            )
        new_loss = loss - need * loss / loss.sum()
        return 100.0 * (a - new_loss) / a
    gap = np.clip(ceiling - r, 0.0, None)
    need = target * total - float((a * r).sum())
    weight = float((a * gap).sum())
    if weight <= 0:
        if abs(need) <= 1e-9 * total:
            return r
        raise InputError(
            "targets",
            f"所有县都已达到上限 {ceiling:g}%，无法按差距分解目标",
            f"every county is at the ceiling {ceiling:g}%; the target cannot be shared by gap",
        )
    share = need / weight
    if share > 1.0 + 1e-12:
        raise InputError(
            "targets",
            f"省目标 {target:g}% 高于各县达到上限 {ceiling:g}% 时所能达到的水平；请提高 ceiling_pct 或换分解方法",
            f"the province target {target:g}% cannot be reached with every county at the ceiling {ceiling:g}%; "
            "raise ceiling_pct or choose another method",
        )
    return r + share * gap


def decompose(counties: list[CountyBase], targets: TargetsFile, years=None) -> pd.DataFrame:
    """The target table: one row per 县, 市(州) and the 省 for every target year (see module docstring)."""
    rows = [c for c in counties if c.assessed > 0]
    if not rows:
        raise InputError(
            "targets", "没有带侵蚀数据的县，无法分解目标", "no county has erosion data; no target to share"
        )
    a = np.array([c.assessed for c in rows], dtype=np.float64)
    loss = np.array([c.loss for c in rows], dtype=np.float64)
    total = int(a.sum())
    note = method_note(targets)
    out = []
    for t in targets.targets if years is None else [targets.target(y) for y in years]:
        rates = _county_rates(targets.method, targets.ceiling_pct, t.rate_pct, a, loss)
        target_loss_total = int(round((1.0 - t.rate_pct / 100.0) * total))
        target_loss = round_parts(a * (1.0 - rates / 100.0), target_loss_total)
        current = 100.0 * (a - loss) / a
        level_rows = []
        for c, rate, tl, cur in zip(rows, rates, target_loss, current):
            level_rows.append(
                {
                    "level": "county",
                    "code": c.code,
                    "name": c.name,
                    "parent_code": c.prefecture,
                    "year": t.year,
                    "assessed": c.assessed,
                    "loss": c.loss,
                    "current_pct": cur,
                    "target_pct": float(rate),
                    "target_loss": int(tl),
                    "flag": "低于现状 below current" if rate < cur - 1e-9 else "",
                }
            )
        frame = pd.DataFrame(level_rows)
        out.append(frame)
        for level, key in (("prefecture", "parent_code"), ("province", None)):
            groups = frame.groupby(key) if key else [(targets.province_code, frame)]
            agg = []
            for code, g in groups:
                aa = g["assessed"].sum()
                agg.append(
                    {
                        "level": level,
                        "code": code,
                        "name": jilin_hierarchy().names.get(str(code), ""),
                        "parent_code": targets.province_code if level == "prefecture" else "",
                        "year": t.year,
                        "assessed": int(aa),
                        "loss": int(g["loss"].sum()),
                        "current_pct": 100.0 * (aa - g["loss"].sum()) / aa,
                        "target_pct": float((g["assessed"] * g["target_pct"]).sum() / aa),
                        "target_loss": int(g["target_loss"].sum()),
                        "flag": "",
                    }
                )
            out.append(pd.DataFrame(agg))
        out[-1].loc[:, "name"] = targets.province_name or out[-1]["name"]
    table = pd.concat(out, ignore_index=True)
    table["reduction"] = table["loss"] - table["target_loss"]
    table["province_target_pct"] = table["year"].map({t.year: t.rate_pct for t in targets.targets})
    table["method"] = targets.method
    table["note"] = note
    return _mark_partial(table, counties, targets)


def _mark_partial(table: pd.DataFrame, counties: list[CountyBase], targets: TargetsFile) -> pd.DataFrame:
    """A run with only some counties of the province: every target depends on which counties are in it.
    Its rows are flagged not for publication and the 市(州) and 省 rows named with their coverage."""
    totals = county_totals()
    in_run = {c.code for c in counties}
    total = totals.get(targets.province_code, 0)
    table["coverage"] = ""
    if not total or len(in_run) >= total:
        return table
    per_prefecture: dict[str, int] = {}
    for c in counties:
        per_prefecture[c.prefecture] = per_prefecture.get(c.prefecture, 0) + 1
    for i, row in table.iterrows():
        if row["level"] == "province":
            n, of = len(in_run), total
        elif row["level"] == "prefecture":
            n, of = per_prefecture.get(str(row["code"]), 0), totals.get(str(row["code"]), 0)
        else:
            n = of = 0
        if of:
            table.at[i, "name"] = partial_name(str(row["name"]), str(row["level"]), n, of)
            table.at[i, "coverage"] = f"{n}/{of}"
    table["flag"] = [f"{PARTIAL_FLAG}; {f}" if f else PARTIAL_FLAG for f in table["flag"]]
    table["note"] = (
        f"本次只含全省 {total} 个县中的 {len(in_run)} 个，目标取决于包含哪些县，不是全省的分解 / the run holds "
        f"{len(in_run)} of the province's {total} counties: the targets depend on the counties included and are "
        "not the province's decomposition. " + table["note"]
    )
    return table
