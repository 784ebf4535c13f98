"""The HTML report of the disturbance check: per county a figure of patches (count) and area (公顷)
by risk class and by zone kind, with the same numbers as a table.

One self-contained HTML file with inline SVG bars, drawn as core/rollup/report.py draws its charts
(no plotting library; every text HTML-escaped). The numbers are those of the 核查清单: counts of
the rows, and areas summed like its 合计 row (checklist._sum, 公顷 to 0.01) — the patch area
(area_ha) per risk class, the area inside each zone kind (steep_ha, kp_ha, …) per zone kind.
Every bar carries its exact value in ``data-value`` (and in its <title>), so a reader can check it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common.io import atomic_path
from ..common.report_html import esc, nice_max, table
from .checklist import OUTSIDE_NAME, TOTAL, _sum

# zone kind → (column prefix of the patch layer, Chinese name); the columns are those of the 核查清单
ZONE_COLUMNS = (
    ("steep", "steep", "禁止开垦陡坡地"),
    ("key_prevention", "kp", "重点预防区"),
    ("key_treatment", "kt", "重点治理区"),
    ("severe", "severe", "水土流失严重区域"),
    ("fragile", "fragile", "生态脆弱区域"),
    ("redline", "red", "生态保护红线"),
)
REPORT_NAME = "核查报告.html"
LABEL_W, BAR_MAX, ROW_H, TOP = 130, 220, 20, 24
COLORS = {"count": "#3182bd", "ha": "#e6550d"}


@dataclass
class Group:
    """One bar pair: a risk class or a zone kind, with its patch count and area (公顷)."""

    key: str  # "risk:<class id>" or "zone:<kind>"
    label: str
    count: int
    ha: float


@dataclass
class CountyFigure:
    code: str
    name: str
    patches: int
    area_ha: float
    risk: list  # [Group] in rank order
    zones: list  # [Group] of the zone kinds given to the check (a kind not given has no bars)
    missing_zones: list  # Chinese names of the zone kinds that were not given


def _given(rows: list[dict], column: str) -> bool:
    """A zone kind was given to the check when its area column holds numbers (NaN: layer not given)."""
    return any(isinstance(r.get(column), (int, float)) and r[column] == r[column] for r in rows)


def county_figure(code: str, name: str, rows: list[dict], classes: list, given: set) -> CountyFigure:
    """The numbers of one county's figure (``rows``: its patches, as written to its 核查清单)."""
    risk = []
    for c in classes:
        hit = [r for r in rows if r["risk"] == c.id]
        risk.append(Group(f"risk:{c.id}", c.zh, len(hit), float(_sum(hit, "area_ha") or 0.0)))
    zones, missing = [], []
    for kind, prefix, zh in ZONE_COLUMNS:
        column = f"{prefix}_ha"
        if column not in given:
            missing.append(zh)
            continue
        hit = [r for r in rows if isinstance(r.get(column), (int, float)) and r[column] == r[column] and r[column] > 0]
        zones.append(Group(f"zone:{kind}", zh, len(hit), float(_sum(rows, column) or 0.0)))
    return CountyFigure(code, name, len(rows), float(_sum(rows, "area_ha") or 0.0), risk, zones, missing)


def figures(rows: list[dict], classes: list) -> list[CountyFigure]:
    """One figure per county (as the 核查清单 files are cut: by 县代码, '' = 县外), then the 合计."""
    given = {f"{prefix}_ha" for _, prefix, _ in ZONE_COLUMNS if _given(rows, f"{prefix}_ha")}
    by_county: dict[str, list[dict]] = {}
    for r in rows:
        by_county.setdefault(r["cnty_code"], []).append(r)
    out = []
    for code, part in sorted(by_county.items()):
        name = part[0]["cnty_name"] if code else OUTSIDE_NAME
        out.append(county_figure(code, name, part, classes, given))
    out.append(county_figure(TOTAL, "", rows, classes, given))
    return out


def bars(groups: list, what: str, title: str, unit: str) -> str:
    """Horizontal bars of ``what`` ('count' or 'ha') per group, each with its value written beside it."""
    values = [float(getattr(g, what)) for g in groups]
    top = nice_max(max(values or [0.0]))
    h = TOP + len(groups) * ROW_H + 8
    w = LABEL_W + BAR_MAX + 90
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" role="img" aria-label="{esc(title)}">']
    out.append(f'<text x="4" y="14" font-size="12">{esc(title)} ({esc(unit)})</text>')
    for i, (g, v) in enumerate(zip(groups, values)):
        y = TOP + i * ROW_H
        text = str(g.count) if what == "count" else f"{g.ha:.2f}"
        width = BAR_MAX * v / top
        out.append(f'<text x="{LABEL_W - 6}" y="{y + 13}" font-size="11" text-anchor="end">{esc(g.label)}</text>')
        out.append(
            f'<rect x="{LABEL_W}" y="{y + 2}" width="{max(width, 0.5):.1f}" height="{ROW_H - 6}" '
            f'fill="{COLORS[what]}" data-key="{esc(g.key)}" data-measure="{what}" data-value="{text}">'
            f"<title>{esc(g.label)}: {text} {esc(unit)}</title></rect>"
        )
        out.append(f'<text x="{LABEL_W + width + 4:.1f}" y="{y + 13}" font-size="11">{text}</text>')
    out.append("</svg>")
    return "".join(out)


def _section(fig: CountyFigure) -> str:
    title = f"{fig.code} {fig.name}".strip() if fig.code != TOTAL else "合计 all counties"
    parts = [
        f'<section class="county" data-code="{esc(fig.code)}">',
        f"<h2>{esc(title)}: {fig.patches} 个图斑, {fig.area_ha:.2f} 公顷</h2>",
        '<div class="figure">',
        bars(fig.risk, "count", "按风险等级 图斑数 patches by risk class", "个"),
        bars(fig.risk, "ha", "按风险等级 图斑面积 area by risk class", "公顷"),
    ]
    if fig.zones:
        parts += [
            bars(fig.zones, "count", "按区域类型 涉及图斑数 patches by zone kind", "个"),
            bars(fig.zones, "ha", "按区域类型 区内面积 area inside by zone kind", "公顷"),
        ]
    parts.append("</div>")
    rows = [["风险等级 " + g.label, g.count, f"{g.ha:.2f}"] for g in fig.risk]
    rows += [["区域 " + g.label, g.count, f"{g.ha:.2f}"] for g in fig.zones]
    parts.append(table(["类别 group", "图斑数(个)", "面积(公顷)"], rows))
    if fig.missing_zones:
        parts.append(f"<p>未提供 not given: {esc('、'.join(fig.missing_zones))}</p>")
    parts.append("</section>")
    return "\n".join(parts)


def report_html(rows: list[dict], classes: list, notes: list[list], title: str = "扰动图斑核查报告") -> str:
    notes_rows = [[k, v] for k, v in notes]
    notes_rows.append(
        [
            "图表 figures",
            "风险等级: 图斑数与图斑面积(area_ha); 区域类型: 与该区相交的图斑数(区内面积 > 0)与区内面积之和; "
            "数值与核查清单合计行一致(公顷, 保留两位小数) / risk class: patches and their area; zone kind: "
            "patches touching it and the area inside it; the numbers equal the 核查清单 sums",
        ]
    )
    parts = [
        '<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">',
        f"<title>{esc(title)}</title>",
        "<style>body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse;margin:0.5em 0 1.5em}"
        "td,th{border:1px solid #bbb;padding:2px 6px;font-size:12px}th{background:#eee}"
        ".figure svg{margin:0 1em 0.5em 0;vertical-align:top}</style></head><body>",
        f"<h1>{esc(title)} / disturbance check report</h1>",
        *[_section(fig) for fig in figures(rows, classes)],
        "<h2>说明 notes</h2>",
        table(["项目", "内容"], notes_rows),
        "</body></html>",
    ]
    return "\n".join(parts)


def write_report(path, rows: list[dict], classes: list, notes: list[list]) -> str:
    """The report, through atomic_path (committed with the run's other outputs)."""
    with atomic_path(path) as tmp:
        tmp.write_text(report_html(rows, classes, notes), encoding="utf-8")
    return str(path)
