"""The division hierarchy 乡镇 → 县 → 市(州) → 省 of 吉林, and exact rounding of areas to 0.01 ha.

Areas are carried as integers of 0.01 ha (100 m², ``CENTI_HA``): a parent's area is the integer sum
of its children's, so every level adds up exactly, and a split unit's parts add up to the unit.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

import numpy as np

from ..common.divisions import OLD_CODES, jilin_divisions
from ..common.errors import InputError
from ..common.paths import resources_path

CENTI_HA_M2 = 100.0  # one integer area step: 0.01 ha
PROVINCE_CODE = "220000"
PROVINCE_NAME = "吉林省"


@dataclass(frozen=True)
class Level:
    key: str  # field value and layer name: township / county / prefecture / province
    zh: str
    en: str


TOWNSHIP = Level("township", "乡镇", "township")
COUNTY = Level("county", "县", "county")
PREFECTURE = Level("prefecture", "市(州)", "prefecture")
PROVINCE = Level("province", "省", "province")
LEVELS = (TOWNSHIP, COUNTY, PREFECTURE, PROVINCE)


@dataclass(frozen=True)
class Hierarchy:
    """Names and parents of every division code (all codes as text: 9-digit 乡镇, 6-digit others)."""

    names: dict  # code → name
    parents: dict  # code → parent code (乡镇 → 县 → 市(州) → 省)

    def chain(self, code: str) -> list[str]:
        """[code, parent, grandparent, …] up to the province."""
        out = [code]
        while out[-1] in self.parents:
            out.append(self.parents[out[-1]])
        return out


@functools.lru_cache(maxsize=1)
def jilin_hierarchy() -> Hierarchy:
    div = jilin_divisions()
    names: dict[str, str] = {PROVINCE_CODE: PROVINCE_NAME}
    parents: dict[str, str] = {}
    with open(resources_path("divisions", "jilin_prefectures.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if row:
                code = row[0].strip() + "00"
                names[code] = row[1]
                parents[code] = PROVINCE_CODE
    with open(resources_path("divisions", "jilin_counties.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if row:
                names[row[0].strip()] = row[1]
                parents[row[0].strip()] = row[2].strip() + "00"
    for code, (name, county) in div.townships.items():
        names[code] = name
        parents[code] = county
    return Hierarchy(names, parents)


@functools.lru_cache(maxsize=1)
def county_totals() -> dict:
    """Division code (市(州) and 省) → number of its 县级 divisions in resources/divisions/jilin_counties.csv."""
    totals: dict[str, int] = {PROVINCE_CODE: 0}
    with open(resources_path("divisions", "jilin_counties.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if row:
                parent = row[2].strip() + "00"
                totals[parent] = totals.get(parent, 0) + 1
                totals[PROVINCE_CODE] += 1
    return totals


PARTIAL_FLAG = (
    "部分覆盖：目标取决于本次包含的县，不可发布 / partial coverage: targets depend on the counties included; "
    "not for publication"
)


def partial_name(name: str, level_key: str, in_run: int, total: int) -> str:
    """'吉林省（本次范围 1/60 县，非全省）' for a 市(州) or 省 only partly in the run; the name itself otherwise."""
    if total <= 0 or in_run >= total:
        return name
    whole = "非全省" if level_key == "province" else "非全市(州)"
    return f"{name}（本次范围 {in_run}/{total} 县，{whole}）"


def county_code(value, label: str, where: str) -> tuple[str, bool]:
    """(current 6-digit county code, True when an old code was replaced) or a bilingual InputError."""
    text = clean_code(value)
    status, current = jilin_divisions().county_status(text)
    if status == "unknown" or current is None:
        raise InputError(
            label,
            f"{where}的县代码“{text}”不是吉林省的县级区划代码(resources/divisions/jilin_counties.csv)",
            f"the county code '{text}' of {where} is not a 吉林 county code (resources/divisions/jilin_counties.csv)",
        )
    return current, status == "old"


def township_code(value, label: str, where: str) -> str:
    """The 9-digit 乡镇 code (12 digits ending in 000 accepted), or a bilingual InputError."""
    text = clean_code(value)
    if len(text) == 12 and text.endswith("000"):
        text = text[:9]
    if text[:6] in OLD_CODES:
        text = OLD_CODES[text[:6]] + text[6:]
    if text not in jilin_divisions().townships:
        raise InputError(
            label,
            f"{where}的乡镇代码“{text}”不是吉林省的乡级区划代码(resources/divisions/jilin_townships.csv)",
            f"the township code '{text}' of {where} is not a 吉林 township code "
            "(resources/divisions/jilin_townships.csv)",
        )
    return text


def clean_code(value) -> str:
    """A code read from a layer as text: integers and '220521.0' become '220521'."""
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def round_parts(values, total: int) -> np.ndarray:
    """Non-negative integers summing exactly to ``total``, as close as possible to ``values`` (largest remainder).

    ``values`` are first scaled to ``total`` when their sum differs (e.g. raster class areas against
    the unit's ellipsoidal area).
    """
    v = np.clip(np.asarray(values, dtype=np.float64), 0.0, None)
    out = np.zeros(len(v), dtype=np.int64)
    if total <= 0 or len(v) == 0:
        return out
    s = v.sum()
    if s <= 0:
        return out
    scaled = v * (total / s)
    out = np.floor(scaled).astype(np.int64)
    rest = int(total - out.sum())
    if rest > 0:
        order = np.argsort(-(scaled - out), kind="stable")
        out[order[:rest]] += 1
    return out


def ha(centi: int | np.integer) -> float:
    """Integer 0.01 ha steps as hectares (exactly two decimals)."""
    return round(int(centi) / 100.0, 2)


def rate_pct(assessed: int, loss: int) -> float | None:
    """水土保持率 = (评价面积 − 水土流失面积) / 评价面积 × 100 %, None without assessed area."""
    return None if assessed <= 0 else 100.0 * (assessed - loss) / assessed
