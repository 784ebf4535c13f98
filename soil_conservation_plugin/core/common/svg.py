"""What the HTML reports' inline SVG charts share: escaping and a readable axis maximum."""

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
