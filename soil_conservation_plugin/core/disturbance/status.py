"""The 销号 cycle of a patch, persisted in the result GeoPackage and kept when the check runs again.

待核查 → 已核查 (合规 / 违规) → 整改中 → 已销号: a 合规 patch may be closed (已销号) right after
the check; a 违规 one goes through 整改中 first. Any patch may be reopened (back to 待核查) with a
comment. Each change is kept in the log table with its date, comment and reviewer.

Like core/checks/review.py: the status table (one row per patch, with its geometry) is carried
over when the check rewrites the GeoPackage, and a new patch takes the status of the old one with
the same 图斑编号 and 下发年度 whose geometry overlaps it by at least half of the smaller one.
"""

from __future__ import annotations

import datetime as _dt
import getpass
from dataclasses import dataclass, field, replace

from pyproj import CRS

from ..common.errors import InputError
from ..common.geo import AreaCalc, repaired

PENDING, CHECKED, RECTIFYING, CLOSED = "待核查", "已核查", "整改中", "已销号"
STATUSES = (PENDING, CHECKED, RECTIFYING, CLOSED)
COMPLIANT, VIOLATION = "合规", "违规"
VERDICTS = (COMPLIANT, VIOLATION)
STATUS_EN = {PENDING: "to check", CHECKED: "checked", RECTIFYING: "being rectified", CLOSED: "closed"}
VERDICT_EN = {COMPLIANT: "compliant", VIOLATION: "violation"}
MIN_OVERLAP = 0.5
LABEL = "销号 status"


@dataclass
class StatusRecord:
    """The current status of one patch; dates are ISO days (YYYY-MM-DD)."""

    patch_id: str
    year: str
    status: str = PENDING
    verdict: str = ""
    checked_on: str = ""
    rectify_on: str = ""
    closed_on: str = ""
    comment: str = ""
    reviewer: str = ""
    updated_at: str = ""
    geometry: object = field(default=None, repr=False)

    def key(self) -> tuple[str, str]:
        return (self.patch_id, self.year)

    def as_row(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "geometry"}


def _day(text: str | None, what: str) -> str:
    if not text:
        return _dt.date.today().isoformat()
    try:
        return _dt.date.fromisoformat(str(text).strip()).isoformat()
    except ValueError as exc:
        raise InputError(
            LABEL, f"{what}不是有效日期（YYYY-MM-DD）: {text}", f"the {what} date is not a valid YYYY-MM-DD: {text}"
        ) from exc


def _refuse(current: StatusRecord, status: str, why_zh: str, why_en: str):
    raise InputError(
        LABEL,
        f"图斑 {current.patch_id}: 不能从“{current.status}”改为“{status}”，{why_zh}",
        f"patch {current.patch_id}: cannot go from {STATUS_EN.get(current.status, current.status)} to "
        f"{STATUS_EN.get(status, status)}: {why_en}",
    )


def _check_step(current: StatusRecord, status: str, verdict: str, comment: str) -> None:
    """Refuse a change the 销号 cycle does not allow."""
    if status not in STATUSES:
        raise InputError(LABEL, f"未知的核查状态: {status}", f"unknown status: {status}")
    if status == PENDING:
        if current.status != PENDING and not comment.strip():
            _refuse(current, status, "退回待核查必须写明原因（备注）", "reopening needs a comment saying why")
        return
    if status == CHECKED:
        if verdict not in VERDICTS:
            _refuse(
                current, status, "已核查必须给出结论: 合规 或 违规", "a checked patch needs a verdict: 合规 or 违规"
            )
        if current.status not in (PENDING, CHECKED):
            _refuse(current, status, "只有待核查或已核查的图斑可以（重新）核查", "only a patch to check may be checked")
        return
    if status == RECTIFYING and not (current.status == CHECKED and current.verdict == VIOLATION):
        _refuse(current, status, "只有已核查且违规的图斑进入整改", "only a checked violation is rectified")
    if status == CLOSED and not (
        current.status == RECTIFYING or (current.status == CHECKED and current.verdict == COMPLIANT)
    ):
        _refuse(
            current,
            status,
            "只有整改中或已核查且合规的图斑可以销号",
            "only a patch being rectified, or checked and compliant, may be closed",
        )


def step(
    current: StatusRecord,
    status: str,
    verdict: str = "",
    on: str | None = None,
    comment: str = "",
    reviewer: str | None = None,
) -> StatusRecord:
    """The record after one change of the cycle (refused with a bilingual error when not allowed)."""
    _check_step(current, status, verdict, comment)
    day = _day(on, {CHECKED: "核查", RECTIFYING: "整改", CLOSED: "销号"}.get(status, "退回"))
    earlier = max([d for d in (current.checked_on, current.rectify_on) if d] or [""])
    if status in (RECTIFYING, CLOSED) and earlier and day < earlier:
        raise InputError(
            LABEL,
            f"图斑 {current.patch_id}: 日期 {day} 早于上一步的日期 {earlier}",
            f"patch {current.patch_id}: the date {day} is before the previous step's {earlier}",
        )
    new = replace(
        current,
        status=status,
        comment=comment if comment else current.comment,
        reviewer=reviewer if reviewer is not None else _whoami(),
        updated_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    )
    if status == PENDING:
        new = replace(new, verdict="", checked_on="", rectify_on="", closed_on="", comment=comment)
    elif status == CHECKED:
        new = replace(new, verdict=verdict, checked_on=day, rectify_on="", closed_on="")
    elif status == RECTIFYING:
        new = replace(new, rectify_on=day)
    else:
        new = replace(new, closed_on=day)
    return new


def log_row(before: StatusRecord, after: StatusRecord) -> dict:
    day = {CHECKED: after.checked_on, RECTIFYING: after.rectify_on, CLOSED: after.closed_on}.get(after.status, "")
    return {
        "patch_id": after.patch_id,
        "year": after.year,
        "from_stat": before.status,
        "to_stat": after.status,
        "verdict": after.verdict,
        "on_date": day or after.updated_at[:10],
        "comment": after.comment,
        "reviewer": after.reviewer,
        "recorded": after.updated_at,
    }


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some service environments
        return ""


def records_from_rows(rows: list[dict], geoms: list) -> list[StatusRecord]:
    names = [k for k in StatusRecord.__dataclass_fields__ if k != "geometry"]
    return [StatusRecord(**{k: (str(row.get(k) or "")) for k in names}, geometry=g) for row, g in zip(rows, geoms)]


def _same_place(a, b, area: AreaCalc | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = repaired(a), repaired(b)
    if a.is_empty or b.is_empty or not a.intersects(b):
        return False
    measure = area if area is not None else (lambda g: g.area)
    smaller = min(measure(a), measure(b))
    return smaller > 0 and measure(a.intersection(b)) >= MIN_OVERLAP * smaller


def carry_over(
    keys: list[tuple[str, str]], geoms: list, old: list[StatusRecord], crs: CRS
) -> tuple[list[StatusRecord], list[StatusRecord]]:
    """(the status of each new patch, the old records no patch took). A patch takes the old record
    with its key at the same place, else starts as 待核查. Old records not taken are kept in the
    table, so a patch missing from one run keeps its status for when it comes back."""
    area = AreaCalc(crs)
    free = list(old)
    out = []
    for key, geom in zip(keys, geoms):
        found = next((r for r in free if r.key() == key and _same_place(geom, r.geometry, area)), None)
        if found is not None:
            free.remove(found)
            out.append(replace(found, geometry=geom))
        else:
            out.append(StatusRecord(*key, geometry=geom))
    return out, free


def stored_table(current: list[StatusRecord], left: list[StatusRecord]) -> list[StatusRecord]:
    """The status table to store: records a reviewer set (a fresh 待核查 needs no row), then the rest."""
    return [r for r in current if r.updated_at] + left


def record_status(
    gpkg,
    patch_id: str,
    status: str,
    verdict: str = "",
    on: str | None = None,
    comment: str = "",
    reviewer: str | None = None,
    year: str | None = None,
) -> StatusRecord:
    """Set one patch's status in a result GeoPackage (patch layer, status table, log), atomically."""
    from .store import LOG_TABLE, PATCHES_LAYER, STATUS_COLUMNS, STATUS_TABLE, read_tables, write_result

    tables = read_tables(gpkg)
    if PATCHES_LAYER not in tables:
        raise InputError(
            str(gpkg),
            f"不是扰动图斑核查结果（缺少 {PATCHES_LAYER} 图层）",
            f"is not a disturbance check result (no {PATCHES_LAYER} layer)",
        )
    rows, geoms, crs = tables[PATCHES_LAYER]
    hits = [i for i, r in enumerate(rows) if r["patch_id"] == patch_id and (year is None or r["year"] == str(year))]
    if len(hits) != 1:
        zh, en = (
            ("没有该图斑", "no such patch")
            if not hits
            else ("有多个年度，请给出下发年度", "several years; give the year")
        )
        raise InputError(LABEL, f"图斑 {patch_id}: {zh}", f"patch {patch_id}: {en}")
    i = hits[0]
    old_rows, old_geoms, _ = tables.get(STATUS_TABLE, ([], [], None))
    (before,), left = carry_over(
        [(rows[i]["patch_id"], rows[i]["year"])], [geoms[i]], records_from_rows(old_rows, old_geoms), crs
    )
    after = step(before, status, verdict, on, comment, reviewer)
    rows[i].update({k: getattr(after, k) for k in STATUS_COLUMNS})
    log = tables.get(LOG_TABLE, ([], [], None))[0] + [log_row(before, after)]
    write_result(gpkg, crs, rows, geoms, [*left, after], log)
    return after
