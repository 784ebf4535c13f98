"""Publication helpers without QGIS: the title's placeholders, file names from codes, PDF checks.

The title is literal text: only the placeholders in ``PLACEHOLDERS`` are replaced, any other
``{`` or ``}`` stays as it is (user text never goes through ``str.format``). QGIS would evaluate
``[% … %]`` in a layout label as an expression, so such text is refused rather than printed as
something else than what was typed.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..common.errors import InputError

PLACEHOLDERS = ("{county_name}", "{county_code}")
EXPRESSION_OPEN = "[%"
FILE_SUFFIX = "_steep_slope_announcement"


def fill_title(title: str, county_name: str, county_code: str) -> str:
    """``title`` with {county_name} and {county_code} replaced, in one pass
    (a name holding "{county_code}" stays as it is)."""
    values = {"{county_name}": county_name, "{county_code}": county_code}
    return re.sub("|".join(re.escape(p) for p in PLACEHOLDERS), lambda m: values[m.group(0)], title)


def check_layout_text(label: str, text: str) -> None:
    """Refuse text that a QGIS layout label would evaluate as an expression ([% … %])."""
    if EXPRESSION_OPEN in text:
        raise InputError(
            label,
            f"文本含有 QGIS 表达式标记 “[%”，在图上不会按原文显示: {text}",
            f"the text holds the QGIS expression marker '[%' and would not be printed as written: {text}",
        )


def safe_stem(code: str) -> str:
    return re.sub(r"[^0-9A-Za-z_-]+", "_", code).strip("_") or "county"


def file_stems(codes: list[str], label: str) -> dict[str, str]:
    """code → file stem; two codes that would share a file name
    (also on a case-insensitive disk) are refused, listed."""
    by_name: dict[str, list[str]] = {}
    for code in codes:
        by_name.setdefault((safe_stem(code) + FILE_SUFFIX).casefold(), []).append(code)
    clashes = [group for group in by_name.values() if len(group) > 1]
    if clashes:
        listed = "; ".join(" / ".join(repr(c) for c in group) for group in clashes)
        raise InputError(
            label,
            f"以下县代码会得到同一个文件名，一个县的图件会覆盖另一个: {listed}",
            f"these county codes would get the same file name, so one county's map would overwrite another's: {listed}",
        )
    return {code: safe_stem(code) + FILE_SUFFIX for code in codes}


def pdf_complete(path) -> bool:
    """A complete PDF: starts with %PDF- and has %%EOF at its end (a truncated file does not)."""
    path = Path(path)
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(5)
        fh.seek(max(0, path.stat().st_size - 1024))
        tail = fh.read()
    return head == b"%PDF-" and b"%%EOF" in tail
