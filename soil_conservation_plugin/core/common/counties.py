"""The counties chosen for a run: a list of codes (the dock's county picker, or COUNTY_CODES in Processing)
applied to a multi-county layer (e.g. the 60 counties of 吉林). Blank = every county of the layer."""

from __future__ import annotations

import re

from .errors import InputError


def parse_codes(text) -> list[str]:
    """'220521, 220524;220581' → ['220521', '220524', '220581'] (order kept, duplicates dropped)."""
    if text is None:
        return []
    parts = [str(t) for t in text] if isinstance(text, (list, tuple)) else re.split(r"[\s,;，；、]+", str(text))
    out: list[str] = []
    for p in parts:
        p = p.strip()
        if p.endswith(".0") and p[:-2].isdigit():
            p = p[:-2]
        if p and p not in out:
            out.append(p)
    return out


def code_of(value) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def select(gdf, code_field: str | None, codes, label: str):
    """Only the features of the chosen counties; a chosen code the layer lacks is refused (listed)."""
    codes = parse_codes(codes)
    if not codes:
        return gdf
    if not code_field or code_field not in gdf.columns:
        raise InputError(label, "选择县时需要县代码字段", "choosing counties needs the county code field")
    have = gdf[code_field].map(code_of)
    missing = [c for c in codes if c not in set(have)]
    if missing:
        raise InputError(
            label,
            f"图层中没有这些县代码: {', '.join(missing)}",
            f"the layer has no county with the codes: {', '.join(missing)}",
        )
    return gdf[have.isin(codes)]
