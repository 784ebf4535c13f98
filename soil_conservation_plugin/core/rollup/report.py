"""The change report: one self-contained HTML file with inline SVG charts (no plotting library).

Bars per county (change of 水土流失面积; 水土保持率 of both years and the target) and the
class-to-class transition chart (a heat map of the matrix, with its 无数据 row and column). Which
figure is which (each year over all its data, as the roll-up; the paired cells apart) is stated above
the tables (``outputs.CHANGE_NOTES``). Every text is HTML-escaped.
"""

from __future__ import annotations

import math

import numpy as np

from ..common.io import atomic_path
from ..common.report_html import esc, nice_max, table
from .change import ChangeResult
from .outputs import CHANGE_NOTES, class_names, matrix_rows

BAR_W, GAP, LEFT, TOP = 28, 14, 70, 20
COLORS = {"before": "#9ecae1", "after": "#3182bd", "target": "#e6550d", "up": "#d73027", "down": "#1a9850"}


def bars_change(names: list[str], values: list[float], title: str, unit: str) -> str:
    """Signed bars around a zero line: red up (worse), green down (better)."""
    h = 220
    w = LEFT + len(names) * (BAR_W + GAP) + 20
    top = nice_max(max([abs(v) for v in values if np.isfinite(v)] or [1.0]))
    mid = TOP + (h - TOP - 60) / 2
    scale = (h - TOP - 60) / 2 / top
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{esc(title)}">']
    out.append(f'<text x="{LEFT}" y="14" font-size="12">{esc(title)} ({esc(unit)})</text>')
    out.append(f'<line x1="{LEFT}" y1="{mid:.1f}" x2="{w - 10}" y2="{mid:.1f}" stroke="#444"/>')
    for lab, y in ((f"+{top:g}", mid - top * scale), ("0", mid), (f"−{top:g}", mid + top * scale)):
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{esc(lab)}</text>')
    for i, (name, v) in enumerate(zip(names, values)):
        x = LEFT + GAP / 2 + i * (BAR_W + GAP)
        if np.isfinite(v):
            y, hh = (mid - v * scale, v * scale) if v >= 0 else (mid, -v * scale)
            color = COLORS["up"] if v > 0 else COLORS["down"]
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{BAR_W}" height="{max(hh, 0.5):.1f}" fill="{color}">'
                f"<title>{esc(name)}: {v:.2f} {esc(unit)}</title></rect>"
            )
        out.append(
            f'<text x="{x + BAR_W / 2:.1f}" y="{h - 44}" font-size="10" text-anchor="end" '
            f'transform="rotate(-45 {x + BAR_W / 2:.1f} {h - 44})">{esc(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def bars_rates(names: list[str], series: dict[str, list[float]], title: str) -> str:
    """Grouped bars of 水土保持率 (before, after, target) per county, axis from a floor below the lowest."""
    h = 240
    keys = [k for k in ("before", "after", "target") if k in series]
    group = len(keys) * 10 + GAP
    w = LEFT + len(names) * group + 20
    vals = [v for k in keys for v in series[k] if v is not None and np.isfinite(v)]
    lo = max(0.0, math.floor((min(vals) if vals else 0.0) / 5) * 5 - 5)
    scale = (h - TOP - 60) / (100.0 - lo)
    base = h - 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{esc(title)}">']
    out.append(f'<text x="{LEFT}" y="14" font-size="12">{esc(title)} (%)</text>')
    for tick in np.linspace(lo, 100.0, 5):
        y = base - (tick - lo) * scale
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{w - 10}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:g}</text>')
    for i, name in enumerate(names):
        x0 = LEFT + GAP / 2 + i * group
        for j, k in enumerate(keys):
            v = series[k][i]
            if v is None or not np.isfinite(v):
                continue
            hh = max(0.5, (v - lo) * scale)
            out.append(
                f'<rect x="{x0 + j * 10:.1f}" y="{base - hh:.1f}" width="9" height="{hh:.1f}" fill="{COLORS[k]}">'
                f"<title>{esc(name)} {k}: {v:.2f} %</title></rect>"
            )
        out.append(
            f'<text x="{x0 + len(keys) * 5:.1f}" y="{base + 14}" font-size="10" text-anchor="end" '
            f'transform="rotate(-45 {x0 + len(keys) * 5:.1f} {base + 14})">{esc(name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def transition_chart(result: ChangeResult) -> str:
    """Heat map of the transition matrix: rows the earlier class, columns the later; diagonal outlined."""
    names = class_names(result)
    zh = [names[k] for k in result.matrix.index]
    m = result.matrix.values
    n = len(zh)
    cell, left, top = 64, 80, 50
    w, h = left + n * cell + 10, top + n * cell + 30
    peak = m.max() if m.size and m.max() > 0 else 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="transition matrix">'
    ]
    out.append(
        f'<text x="{left}" y="14" font-size="12">'
        f"{result.year_before}年 (行) → {result.year_after}年 (列) 侵蚀强度转移 (公顷; 无数据行列: 仅一期有数据)</text>"
    )
    for j, name in enumerate(zh):
        out.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 8}" font-size="11" '
            f'text-anchor="middle">{esc(name)}</text>'
        )
    for i, name in enumerate(zh):
        y = top + i * cell
        out.append(f'<text x="{left - 6}" y="{y + cell / 2 + 4}" font-size="11" text-anchor="end">{esc(name)}</text>')
        for j in range(n):
            v = float(m[i, j])
            shade = int(255 - 200 * math.sqrt(v / peak)) if v > 0 else 255
            stroke = ' stroke="#000" stroke-width="1.5"' if i == j else ' stroke="#ccc"'
            out.append(
                f'<rect x="{left + j * cell}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="rgb({shade},{shade},255)"{stroke}>'
                f"<title>{esc(name)} → {esc(zh[j])}: {v:.2f} 公顷</title></rect>"
            )
            if v > 0:
                color = "#fff" if shade < 140 else "#000"
                out.append(
                    f'<text x="{left + j * cell + cell / 2}" y="{y + cell / 2 + 4}" font-size="10" '
                    f'text-anchor="middle" fill="{color}">{v:.0f}</text>'
                )
    out.append("</svg>")
    return "".join(out)


def _fmt(v, digits=2) -> str:
    return "" if v is None or (isinstance(v, float) and not np.isfinite(v)) else f"{float(v):.{digits}f}"


def report_html(result: ChangeResult, notes: list[tuple[str, str]]) -> str:
    c = result.counties
    names = [f"{n or code}" for code, n in zip(c["code"], c["name"])]
    rates = {"before": list(c["rate_before_pct"]), "after": list(c["rate_after_pct"])}
    if "target_pct" in c.columns:
        rates["target"] = list(c["target_pct"])
    county_header = [
        "县代码",
        "县名称",
        "前期水土流失面积(公顷,前期全部数据,同汇总)",
        "后期水土流失面积(公顷,后期全部数据)",
        "变化(公顷)",
        "前期水土保持率(%,同汇总)",
        "后期水土保持率(%)",
        "两期均有数据面积(公顷)",
        "仅前期有数据(公顷)",
        "仅后期有数据(公顷)",
        "两期均有数据:水土流失面积变化(公顷)",
    ]
    rows = [
        [
            r.code,
            r.name,
            _fmt(r.loss_before_ha),
            _fmt(r.loss_after_ha),
            _fmt(r.d_loss_ha),
            _fmt(r.rate_before_pct, 4),
            _fmt(r.rate_after_pct, 4),
            _fmt(r.paired_ha),
            _fmt(r.only_before_ha),
            _fmt(r.only_after_ha),
            _fmt(r.paired_d_loss_ha),
        ]
        for r in c.itertuples()
    ]
    if "target_pct" in c.columns:
        county_header += [f"{result.target_year}年目标(%)", "进度(%)", "状态"]
        for row, r in zip(rows, c.itertuples()):
            row += [_fmt(r.target_pct, 4), _fmt(r.progress_pct, 1), r.status]
    header, mrows = matrix_rows(result)
    legend = (
        f'<p><span style="color:{COLORS["before"]}">■</span> {result.year_before}年 '
        f'<span style="color:{COLORS["after"]}">■</span> {result.year_after}年'
        + (
            f' <span style="color:{COLORS["target"]}">■</span> {result.target_year}年目标（默认分解，非官方分配）'
            if "target" in rates
            else ""
        )
        + "</p>"
    )
    parts = [
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">',
        f"<title>水土流失动态变化 {result.year_before}–{result.year_after}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:1em 0}"
        "td,th{border:1px solid #bbb;padding:2px 6px;font-size:12px}th{background:#eee}</style></head><body>",
        f"<h1>水土流失动态变化 {result.year_before}–{result.year_after} / soil-loss change</h1>",
        "<h2>口径 which figure is which</h2>",
        table(["项目", "说明"], [[k, v] for k, v in CHANGE_NOTES]),
        "<h2>按县 per county</h2>",
        bars_change(names, list(c["d_loss_ha"]), "水土流失面积变化 change of 水土流失面积", "公顷"),
        bars_rates(names, rates, "水土保持率 soil-conservation rate"),
        legend,
        table(county_header, rows),
        "<h2>侵蚀强度转移 class transitions</h2>",
        transition_chart(result),
        table(header, mrows),
        "<h2>说明 notes</h2>",
        table(["项目", "内容"], [[k, v] for k, v in notes]),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(result: ChangeResult, path, notes: list[tuple[str, str]]) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(report_html(result, notes), encoding="utf-8")
