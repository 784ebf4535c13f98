"""吉林省 county and township codes (NBS 2023, modood 57a0aa9c), read from resources/divisions."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from .paths import resources_path

# old code → current code; older data (e.g. the 2020 county polygons) still carry these
OLD_CODES = {"220381": "220184"}  # 公主岭市 moved from 四平市 to 长春市


@dataclass(frozen=True)
class Divisions:
    counties: dict  # 6-digit code → name
    townships: dict  # 9-digit code → (name, county code)

    def county_status(self, code: str) -> tuple[str, str | None]:
        """('ok'|'old'|'unknown', current code)."""
        code = (code or "").strip()
        if code in self.counties:
            return "ok", code
        if code in OLD_CODES:
            return "old", OLD_CODES[code]
        return "unknown", None

    def township_known(self, code: str) -> bool:
        code = (code or "").strip()
        if len(code) == 12 and code.endswith("000"):
            code = code[:9]
        return code in self.townships


@functools.lru_cache(maxsize=1)
def jilin_divisions() -> Divisions:
    counties, townships = {}, {}
    with open(resources_path("divisions", "jilin_counties.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if row:
                counties[row[0].strip()] = row[1]
    with open(resources_path("divisions", "jilin_townships.csv"), encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if row:
                townships[row[0].strip()] = (row[1], row[2].strip())
    return Divisions(counties, townships)
