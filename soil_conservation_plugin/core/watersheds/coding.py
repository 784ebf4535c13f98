"""Codes and names of 小流域 units: a Pfafstetter-like number of the unit tree, rendered by a template.

The SL 653-2013 code structure was NOT FOUND (REFERENCE.md §1), so the code is a
template from ``resources/rules/unit_coding.json`` – a default, not SL 653. The
default joins the county code, the number of the unit's drainage tree in the region
and a Pfafstetter-like basin number (digits 1–9, right-padded with 0). Replace the
template when the standard's structure is known; nothing else depends on it.

Pfafstetter-like numbering of a set of units with one most-downstream unit: follow
the main stem (always the upstream unit with the largest upstream area), take the
four largest tributaries joining it, number them 2, 4, 6, 8 from downstream and the
main-stem pieces between them 1, 3, 5, 7, 9; recurse until each set holds one unit.
A chain without tributaries is cut into at most nine consecutive pieces.
"""

from __future__ import annotations

import json
import string
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..common.errors import InputError
from ..common.paths import resources_path

RULES_FILE = "unit_coding.json"


def load_coding_rules(path=None) -> dict:
    """The unit coding/area rules (JSON, versioned, each value with source and tag)."""
    path = path or resources_path("rules", RULES_FILE)
    rules = json.loads(Path(path).read_text(encoding="utf-8"))
    for key in ("version", "code_template", "name_template", "area"):
        if key not in rules:
            raise InputError(str(path), f"规则文件缺少 {key}", f"rules file lacks {key}")
    return rules


def rule_value(rules: dict, *keys):
    node = rules
    for k in keys:
        node = node[k]
    return node["value"] if isinstance(node, dict) and "value" in node else node


def tree_children(down: np.ndarray) -> list[list[int]]:
    kids: list[list[int]] = [[] for _ in range(down.size)]
    for u, d in enumerate(down.tolist()):
        if d >= 0:
            kids[d].append(u)
    return kids


def upstream_totals(down: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Sum of areas of each unit and all units upstream of it (down: index or -1; must be a forest)."""
    n = down.size
    tot = np.asarray(area, dtype=np.float64).copy()
    indeg = np.zeros(n, dtype=np.int64)
    for d in down:
        if d >= 0:
            indeg[d] += 1
    stack = [u for u in range(n) if indeg[u] == 0]
    seen = 0
    while stack:
        u = stack.pop()
        seen += 1
        d = down[u]
        if d >= 0:
            tot[d] += tot[u]
            indeg[d] -= 1
            if indeg[d] == 0:
                stack.append(d)
    if seen != n:
        raise ValueError("unit topology has a cycle")
    return tot


def pfafstetter(down: np.ndarray, area: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(tree number 1.., Pfafstetter-like digits, upstream totals) per unit.

    ``key`` breaks ties deterministically (e.g. the outlet cell index).
    """
    n = down.size
    tot = upstream_totals(down, area)
    kids = tree_children(down)
    rank = lambda u: (-tot[u], key[u])  # noqa: E731 - larger first, then stable key
    for lst in kids:
        lst.sort(key=rank)
    roots = sorted((u for u in range(n) if down[u] < 0), key=rank)
    tree = np.zeros(n, dtype=np.int64)
    code = [""] * n
    # a set: (root, excluded roots, digits so far); members = subtree(root) minus excluded subtrees
    stack: list[tuple[int, frozenset, str, int]] = []
    for t, r in enumerate(roots, start=1):
        stack.append((r, frozenset(), "", t))
    while stack:
        root, excl, prefix, t = stack.pop()
        stem = [root]
        while True:
            nxt = [c for c in kids[stem[-1]] if c not in excl]
            if not nxt:
                break
            stem.append(nxt[0])
        tribs = []  # (position on stem, unit)
        for pos, m in enumerate(stem):
            for c in kids[m]:
                if c not in excl and (pos + 1 >= len(stem) or c != stem[pos + 1]):
                    tribs.append((pos, c))
        if len(stem) == 1 and not tribs:
            tree[root] = t
            code[root] = prefix
            continue
        if not tribs:  # a chain: up to nine consecutive pieces
            step = -(-len(stem) // 9)
            starts = list(range(0, len(stem), step))
            for digit, s in enumerate(starts, start=1):
                e = s + step
                cut = excl | ({stem[e]} if e < len(stem) else set())
                stack.append((stem[s], frozenset(cut), prefix + str(digit), t))
            continue
        top = sorted(tribs, key=lambda pc: rank(pc[1]))[:4]
        top.sort(key=lambda pc: (pc[0], rank(pc[1])))
        top_units = {c for _, c in top}
        start = 0
        digit = 1
        for pos, c in top:
            if start <= pos:  # main-stem piece stem[start..pos]
                cut = excl | top_units | ({stem[pos + 1]} if pos + 1 < len(stem) else set())
                stack.append((stem[start], frozenset(cut), prefix + str(digit), t))
                start = pos + 1
            stack.append((c, excl, prefix + str(digit + 1), t))
            digit += 2
        if start < len(stem):
            stack.append((stem[start], frozenset(excl | top_units), prefix + str(digit), t))
    return tree, code, tot


_FIELDS = ("county_code", "county_name", "tree", "tree_width", "pfaf", "pfaf_width", "seq", "seq_width")


SUBUNIT_FIELDS = ("parent_code", "parent_name", "county_code", "county_name", "part", "part_width")


def check_template(template: str, what: str, fields: tuple[str, ...] = _FIELDS) -> None:
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    except ValueError as exc:
        raise InputError(what, f"模板格式错误: {exc}", f"bad template: {exc}") from exc
    unknown = {n.split(".")[0].split("[")[0] for n in names} - set(fields)
    if unknown:
        raise InputError(
            what,
            f"模板含未知字段 {sorted(unknown)}；可用 {list(fields)}",
            f"template uses unknown fields {sorted(unknown)}; available {list(fields)}",
        )


@dataclass
class Codes:
    codes: list
    names: list
    tree: np.ndarray
    pfaf: list
    upstream_km2: np.ndarray


def render_codes(down, area, key, county_code, county_name, code_template: str, name_template: str) -> Codes:
    """Render unit codes/names from the templates; codes must come out unique."""
    check_template(code_template, "code_template")
    check_template(name_template, "name_template")
    down = np.asarray(down, dtype=np.int64)
    tree, pfaf, tot = pfafstetter(down, np.asarray(area, float), np.asarray(key))
    n = down.size
    order = sorted(range(n), key=lambda u: (tree[u], pfaf[u]))
    seq = np.zeros(n, dtype=np.int64)
    for i, u in enumerate(order, start=1):
        seq[u] = i
    widths = {
        "tree_width": max(3, len(str(int(tree.max()) if n else 0))),
        "pfaf_width": max(6, max((len(p) for p in pfaf), default=0)),
        "seq_width": max(4, len(str(n))),
    }
    codes, names = [], []
    for u in range(n):
        values = dict(
            widths,
            county_code=county_code[u],
            county_name=county_name[u],
            tree=int(tree[u]),
            pfaf=pfaf[u],
            seq=int(seq[u]),
        )
        codes.append(code_template.format(**values))
        names.append(name_template.format(**values))
    if len(set(codes)) != n:
        dup = sorted({c for c in codes if codes.count(c) > 1})[:5]
        raise InputError(
            "code_template",
            f"编码模板生成了重复编码，例如 {dup}",
            f"the code template gives duplicate codes, e.g. {dup}",
        )
    return Codes(codes, names, tree, pfaf, tot)


def render_subunit_codes(
    parent_code: list, parent_name: list, part: list, county_code: list, county_name: list, rules: dict
) -> tuple[list, list]:
    """Codes and names of 小流域亚单元 from the rules' subunit templates (a default, NOT FOUND); unique codes."""
    code_t = str(rule_value(rules, "subunit_code_template"))
    name_t = str(rule_value(rules, "subunit_name_template"))
    whole_t = str(rule_value(rules, "whole_subunit_name_template"))
    for key, template in (
        ("subunit_code_template", code_t),
        ("subunit_name_template", name_t),
        ("whole_subunit_name_template", whole_t),
    ):
        check_template(template, key, SUBUNIT_FIELDS)
    width = max(2, len(str(max(part, default=1))))
    parts = Counter(parent_code)
    codes, names = [], []
    for pc, pn, k, cc, cn in zip(parent_code, parent_name, part, county_code, county_name):
        values = dict(parent_code=pc, parent_name=pn, county_code=cc, county_name=cn, part=int(k), part_width=width)
        codes.append(code_t.format(**values))
        names.append((whole_t if parts[pc] == 1 else name_t).format(**values))
    if len(set(codes)) != len(codes):
        dup = sorted({c for c in codes if codes.count(c) > 1})[:5]
        raise InputError(
            "subunit_code_template",
            f"亚单元编码模板生成了重复编码，例如 {dup}",
            f"the subunit code template gives duplicate codes, e.g. {dup}",
        )
    return codes, names
