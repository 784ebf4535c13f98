"""Guess which loaded layer (and which fields) is the county, the 乡镇, the red line… from the names
real data use (resources/rules/field_names.json). A guess only pre-fills the data page; the user
sees every choice and can change it. No QGIS here: the dock describes its layers as ``LayerInfo``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .paths import resources_path

RASTER_ROLES = ("dem", "landuse", "fvc", "erosion")


@dataclass
class LayerInfo:
    key: str  # the layer's id in the project
    names: tuple  # layer name, file stem, layer name inside the file
    kind: str  # "polygon", "raster" or anything else (never guessed)
    fields: tuple = ()
    code_lengths: dict = field(default_factory=dict)  # field → set of lengths of its (digit) sample values


@dataclass
class Guess:
    role: str
    key: str
    code_field: str = ""
    name_field: str = ""
    why: str = ""


def load_field_names(path=None) -> dict:
    return json.loads(Path(path or resources_path("rules", "field_names.json")).read_text(encoding="utf-8"))


def _fold(text: str) -> str:
    return str(text or "").strip().casefold()


def _name_score(info: LayerInfo, candidates: list) -> tuple[float, str]:
    """3 exact, 2 the name starts with or contains a candidate of ≥ 2 characters; earlier candidates first."""
    names = [_fold(n) for n in info.names if n]
    best: tuple[float, str] = (0, "")
    for rank, cand in enumerate(candidates):
        c = _fold(cand)
        bonus = 1.0 - rank / (len(candidates) + 1)
        for n in names:
            score = 3 + bonus if n == c else (2 + bonus if len(c) >= 2 and c in n else 0)
            if score > best[0]:
                best = (score, cand)
    return best


def _field(info: LayerInfo, candidates: list) -> str:
    by_fold = {_fold(f): f for f in info.fields}
    return next((by_fold[_fold(c)] for c in candidates if _fold(c) in by_fold), "")


def guess_inputs(layers: list, rules: dict | None = None) -> dict:
    """role → Guess, each layer given to at most one role (best score first)."""
    rules = rules or load_field_names()
    scored = []
    for role, spec in rules["roles"].items():
        want = "raster" if role in RASTER_ROLES else "polygon"
        for info in layers:
            if info.kind != want:
                continue
            score, matched = _name_score(info, spec.get("layers", []))
            code = _field(info, spec.get("code_fields", []))
            name = _field(info, spec.get("name_fields", []))
            if spec.get("code_fields"):
                if code:
                    score += 1.5
                elif role == "landuse_vector":
                    continue  # a 地类图斑 layer without DLBM is not usable as land use
                lengths = spec.get("code_lengths")
                seen = info.code_lengths.get(code, set()) if code else set()
                if lengths and seen:
                    if seen <= set(lengths):
                        score += 1.0
                    else:
                        continue  # e.g. 9-digit XZQDM: a 乡镇 layer, not a county layer
            if score <= 0:
                continue
            why = f"{matched}" if matched else ""
            scored.append((score, role, info.key, code, name, why))
    scored.sort(key=lambda s: -s[0])
    out: dict = {}
    used: set = set()
    for _score, role, key, code, name, why in scored:
        if role in out or key in used:
            continue
        out[role] = Guess(role, key, code, name, why)
        used.add(key)
    return out


def code_lengths(values) -> set:
    """Lengths of the values that are digit strings (integers as read, '220521', 220521.0)."""
    out = set()
    for v in values:
        if v is None:
            continue
        text = str(v)
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        if text.isdigit():
            out.add(len(text))
    return out
