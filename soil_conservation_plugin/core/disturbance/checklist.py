"""The 核查清单: one XLSX and one CSV per county, ordered by risk, and a summary per county.

Rows carry the values of the patch layer as stored (areas in 公顷 to 0.01, shares in % to 0.01),
and the 合计 row sums those values, so a 清单's total equals the layer's sum for that county.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..common.tables import save_workbook, write_csv, xlsx_row
from .status import STATUSES
from .yoy import KINDS as YOY_KINDS

OUTSIDE_NAME = "县外"
TOTAL = "合计"
COLUMNS = [
    ("patch_id", "图斑编号"),
    ("year", "下发年度"),
    ("risk_zh", "风险等级"),
    ("rule", "判定规则"),
    ("rule_zh", "判定规则说明"),
    ("cnty_code", "县代码"),
    ("cnty_name", "县名称"),
    ("twn_code", "乡镇代码"),
    ("twn_name", "乡镇名称"),
    ("unit_code", "小流域代码"),
    ("unit_name", "小流域名称"),
    ("dist_type", "扰动类型"),
    ("project", "项目名称"),
    ("builder", "建设单位"),
    ("approval", "批复情况"),
    ("issued_ha", "下发扰动面积(公顷)"),
    ("area_ha", "图斑面积(公顷)"),
    ("steep_ha", "禁止开垦陡坡地(公顷)"),
    ("steep_pct", "禁止开垦陡坡地占比(%)"),
    ("kp_ha", "重点预防区(公顷)"),
    ("kt_ha", "重点治理区(公顷)"),
    ("severe_ha", "水土流失严重区域(公顷)"),
    ("fragile_ha", "生态脆弱区域(公顷)"),
    ("red_ha", "生态保护红线(公顷)"),
    ("red_pct", "生态保护红线占比(%)"),
    ("lu_main", "主要地类"),
    ("crop_pct", "耕地占比(%)"),
    ("yoy_zh", "年度对比"),
    ("prev_id", "上年图斑编号"),
    ("prev_pct", "与上年图斑重叠比例(%)"),
    ("status", "核查状态"),
    ("verdict", "核查结论"),
    ("checked_on", "核查日期"),
    ("rectify_on", "整改日期"),
    ("closed_on", "销号日期"),
    ("comment", "备注"),
]
SUMMED = ("issued_ha", "area_ha", "steep_ha", "kp_ha", "kt_ha", "severe_ha", "fragile_ha", "red_ha")


@dataclass
class ChecklistFiles:
    """What was written: per county code its CSV and XLSX, and the summary files."""

    counties: dict  # county code ('' outside) → {"csv": path, "xlsx": path, "patches": n, "area_ha": x}
    summary_csv: str
    summary_xlsx: str


def _safe(text: str) -> str:
    return re.sub(r"[^\w\u3400-\u9fff-]+", "_", text).strip("_")


def _value(row: dict, key: str):
    v = row.get(key)
    if isinstance(v, float) and v != v:
        return ""  # NaN: not given
    return "" if v is None else v


def ordered(rows: list[dict]) -> list[dict]:
    """By risk (rank), then larger patches first, then 图斑编号."""
    return sorted(rows, key=lambda r: (int(r["risk_rank"]), -float(r["area_ha"]), str(r["patch_id"])))


def _sum(rows: list[dict], key: str):
    values = [float(r[key]) for r in rows if isinstance(r.get(key), (int, float)) and r[key] == r[key]]
    return round(sum(values), 2) if values else ""


def county_table(rows: list[dict]) -> list[list]:
    """Header, the rows in order with a 序号, and the 合计 row."""
    table: list[list] = [["序号", *[h for _, h in COLUMNS]]]
    for n, row in enumerate(ordered(rows), start=1):
        table.append([n, *[_value(row, k) for k, _ in COLUMNS]])
    total: list = [TOTAL]
    for key, _ in COLUMNS:
        total.append(_sum(rows, key) if key in SUMMED else (len(rows) if key == "patch_id" else ""))
    table.append(total)
    return table


def summary_rows(rows: list[dict], classes: list, with_yoy: bool) -> list[dict]:
    """Per county (then 合计): patches and area, per risk class, per status and, with last year's
    patches, new / same place / already closed."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        groups.setdefault((r["cnty_code"], r["cnty_name"] or (OUTSIDE_NAME if not r["cnty_code"] else "")), []).append(
            r
        )
    out = []
    for (code, name), part in [*sorted(groups.items()), ((TOTAL, ""), rows)]:
        row = {"县代码": code, "县名称": name, "图斑数": len(part), "图斑面积(公顷)": _sum(part, "area_ha") or 0.0}
        for c in classes:
            hit = [r for r in part if r["risk"] == c.id]
            row[f"{c.zh}(个)"] = len(hit)
            row[f"{c.zh}(公顷)"] = _sum(hit, "area_ha") or 0.0
        for s in STATUSES:
            row[f"{s}(个)"] = sum(1 for r in part if r["status"] == s)
        if with_yoy:
            for kind, (zh, _) in YOY_KINDS.items():
                row[f"{zh}(个)"] = sum(1 for r in part if r["yoy"] == kind)
        out.append(row)
    return out


def _workbook(path: Path, sheets: list[tuple[str, list[list]]]) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, table in sheets:
        ws = wb.create_sheet(title[:31])
        for values in table:
            ws.append(xlsx_row(ws, values))
    save_workbook(wb, path)


def write_checklists(folder, rows: list[dict], classes: list, with_yoy: bool, notes: list[list]) -> ChecklistFiles:
    """The files into ``folder`` (claimed by the run), each written atomically with the run's outputs."""
    folder = Path(folder)  # atomic_path creates it when claiming the first file
    by_county: dict[str, list[dict]] = {}
    for r in rows:
        by_county.setdefault(r["cnty_code"], []).append(r)
    written = {}
    for code, part in sorted(by_county.items()):
        name = part[0]["cnty_name"] if code else OUTSIDE_NAME
        stem = "核查清单_" + _safe(f"{code}_{name}" if code else OUTSIDE_NAME)
        table = county_table(part)
        write_csv(folder / f"{stem}.csv", table[0], table[1:])
        _workbook(folder / f"{stem}.xlsx", [(f"{code} {name}".strip() or OUTSIDE_NAME, table), ("说明 notes", notes)])
        written[code] = {
            "csv": str(folder / f"{stem}.csv"),
            "xlsx": str(folder / f"{stem}.xlsx"),
            "patches": len(part),
            "area_ha": _sum(part, "area_ha"),
        }
    summary = summary_rows(rows, classes, with_yoy)
    header = list(summary[0].keys())
    body = [[r[k] for k in header] for r in summary]
    write_csv(folder / "核查清单汇总.csv", header, body)
    _workbook(folder / "核查清单汇总.xlsx", [("汇总 summary", [header, *body]), ("说明 notes", notes)])
    return ChecklistFiles(written, str(folder / "核查清单汇总.csv"), str(folder / "核查清单汇总.xlsx"))
