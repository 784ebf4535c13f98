"""What the HTML reports share: escaping, tables, and the axis maximum of their inline SVG charts."""

from __future__ import annotations

import html
import math


def esc(text) -> str:
    """Text for HTML or SVG, attributes included."""
    return html.escape(str(text), quote=True)


def nice_max(v: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5, 5, 10 × 10^k at or above ``v`` (1 for nothing to show)."""
    if v <= 0:
        return 1.0
    mag = 10 ** math.floor(math.log10(v))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= v)


def table(header: list, rows: list[list]) -> str:
    """An HTML table, every cell escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
