"""Self-contained HTML report of a check run: counts, summary by rule, the worst issues, overview
images (PNG bytes rendered by the caller, e.g. QGIS, embedded as base64) and the run metadata.

One file, no external resources: it can be mailed or archived with the results.
"""

from __future__ import annotations

import base64
import html
import json

from ..common.io import atomic_path
from .quality import SEVERITIES, summary_rows, worst_issues

_CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;margin-top:1.6em}
table{border-collapse:collapse;font-size:.9em}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}.error{color:#b00020;font-weight:bold}.warning{color:#b36b00;font-weight:bold}.info{color:#1f5f99}
.counts span{display:inline-block;margin-right:2em;font-size:1.3em}figure{display:inline-block;margin:0 1em 1em 0}
figcaption{font-size:.85em;color:#555}pre{background:#f7f7f7;padding:1em;font-size:.8em;overflow:auto}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def _value(issue) -> str:
    if issue.value is None:
        return _e(issue.value_text)
    unit = {"m2": " m²", "ha": " ha", "%": " %"}.get(issue.unit, "")
    return f"{issue.value:,.2f}{unit}"


def render_report(
    issues: list,
    metadata: dict,
    images: list | None = None,
    title: str = "质量检查报告 / Check report",
    worst: int = 20,
) -> str:
    """HTML text. ``images``: [(caption, png bytes)]."""
    counts = {s: sum(1 for i in issues if i.severity == s) for s in SEVERITIES}
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{_e(metadata.get('parameters', {}).get('layer', ''))} — {_e(metadata.get('created', ''))}</p>",
        "<h2>问题数量 / Issue counts</h2><p class='counts'>",
        f"<span class='error'>错误 errors: {counts['error']}</span>",
        f"<span class='warning'>警告 warnings: {counts['warning']}</span>",
        f"<span class='info'>提示 infos: {counts['info']}</span></p>",
        "<h2>按规则汇总 / Summary by rule</h2>",
        "<table><tr><th>规则 rule</th><th>级别 severity</th><th>说明 description</th><th>数量 count</th><th>未处理 "
        "open</th><th>合计 total</th></tr>",
    ]
    for row in summary_rows(issues):
        total = f"{row['value_sum']:,.2f} {_e(row['unit']).replace('m2', 'm²')}" if row["unit"] in ("m2", "ha") else ""
        parts.append(
            f"<tr><td>{_e(row['rule_id'])}</td><td class='{row['severity']}'>{_e(row['severity'])}</td>"
            f"<td>{_e(row['title_zh'])}<br>{_e(row['title_en'])}</td><td>{row['count']}</td><td>{row['open']}</td><td>{total}</td></tr>"
        )
    if not issues:
        parts.append("<tr><td colspan='6'>未发现问题 / no issue found</td></tr>")
    parts.append("</table>")
    if images:
        parts.append("<h2>概览图 / Overview maps</h2>")
        for caption, png in images:
            data = base64.b64encode(png).decode("ascii")
            parts.append(
                f"<figure><img alt='{_e(caption)}' "
                f"src='data:image/png;base64,{data}'><figcaption>{_e(caption)}</figcaption></figure>"
            )
    top = worst_issues(issues, worst)
    parts.append(f"<h2>最严重的问题 / Worst issues (top {len(top)})</h2>")
    parts.append(
        "<table><tr><th>#</th><th>规则 rule</th><th>级别</th><th>要素 feature</th><th>量值 value</th><th>状态 "
        "status</th><th>说明 message</th></tr>"
    )
    for n, i in enumerate(top, start=1):
        fid = _e(i.feature_id) + (f" / {_e(i.other_id)}" if i.other_id else "")
        parts.append(
            f"<tr><td>{n}</td><td>{_e(i.rule_id)}</td><td class='{i.severity}'>{_e(i.severity)}</td><td>{fid}</td>"
            f"<td>{_value(i)}</td><td>{_e(i.status)}</td><td>{_e(i.message_zh)}<br>{_e(i.message_en)}</td></tr>"
        )
    parts.append("</table>")
    parts.append("<h2>运行信息 / Run metadata</h2>")
    parts.append(f"<pre>{_e(json.dumps(metadata, ensure_ascii=False, indent=2, default=str))}</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path, issues: list, metadata: dict, images: list | None = None, **kwargs) -> None:
    text = render_report(issues, metadata, images, **kwargs)
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
