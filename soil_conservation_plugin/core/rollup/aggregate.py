"""Sums per 乡镇, 县, 市(州) and 省 from the pieces of ``assign``: integers of 0.01 ha, so exact.

Each level is summed from the level below it (乡镇 → 县 → 市(州) → 省), never from the units again,
so a parent equals the sum of its children by construction. 水土保持率 of a division is computed
from its summed areas: (评价面积 − 水土流失面积) / 评价面积, the 评价面积 being the land with erosion
data (the land less its 无侵蚀数据 area, see ``assign``).

A 市(州) or the 省 of which only some counties are in the run is marked: its coverage (counties in the
run / counties of resources/divisions/jilin_counties.csv) in ``coverage``, ``partial`` True and its
name '吉林省（本次范围 1/60 县，非全省）', so a subset's totals are never shown as the province's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from shapely.ops import unary_union

from ..common.geo import polygonal
from .assign import Pieces
from .levels import (
    COUNTY,
    LEVELS,
    PREFECTURE,
    PROVINCE,
    PROVINCE_CODE,
    TOWNSHIP,
    Hierarchy,
    Level,
    county_totals,
    jilin_hierarchy,
    partial_name,
    rate_pct,
)


@dataclass
class LevelTable:
    level: Level
    frame: pd.DataFrame  # code, name, parent_code, n_units, area columns (int 0.01 ha), rate_pct
    geometries: dict  # code → dissolved geometry


@dataclass
class Rollup:
    levels: dict  # level key → LevelTable, from 乡镇 (when known) to 省
    pieces: Pieces
    area_columns: list[str]

    def table(self, key: str) -> LevelTable:
        return self.levels[key]

    @property
    def partial(self) -> bool:
        """True when the run covers only some counties of the province."""
        return bool(self.levels[PROVINCE.key].frame["partial"].any())

    def coverage(self) -> dict:
        """code → 'counties in the run/counties of the division' for every 市(州) and the 省."""
        return {
            r.code: r.coverage for key in (PREFECTURE.key, PROVINCE.key) for r in self.levels[key].frame.itertuples()
        }


def area_columns(pieces: Pieces) -> list[str]:
    return (
        ["land", "assessed"]
        + [f"cls_{k}" for k in pieces.classes.ids]
        + ["nodata", "loss"]
        + [f"zone_{z}" for z in pieces.zones]
    )


def _finish(
    level: Level, sums: pd.DataFrame, units: pd.Series, geoms: dict, hier: Hierarchy, cols, counties: pd.Series
) -> LevelTable:
    frame = sums.rename_axis("code").reset_index()
    frame["name"] = frame["code"].map(lambda c: hier.names.get(c, ""))
    if level.key in (PREFECTURE.key, PROVINCE.key):
        in_run = frame["code"].map(counties).fillna(0).astype(int)
        total = frame["code"].map(county_totals()).fillna(0).astype(int)
        frame["coverage"] = [f"{a}/{b}" for a, b in zip(in_run, total)]
        frame["partial"] = [bool(b) and a < b for a, b in zip(in_run, total)]
        frame["name"] = [partial_name(n, level.key, a, b) for n, a, b in zip(frame["name"], in_run, total)]
    else:
        frame["coverage"] = ""
        frame["partial"] = False
    frame["parent_code"] = frame["code"].map(lambda c: hier.parents.get(c, ""))
    frame["n_units"] = frame["code"].map(units).fillna(0).astype(int)
    frame["rate_pct"] = [rate_pct(int(a), int(b)) for a, b in zip(frame["assessed"], frame["loss"])]
    frame = frame[["code", "name", "parent_code", "n_units", "coverage", "partial", *cols, "rate_pct"]]
    frame = frame.sort_values("code")
    return LevelTable(level, frame.reset_index(drop=True), geoms)


def rollup(pieces: Pieces, hierarchy: Hierarchy | None = None) -> Rollup:
    hier = hierarchy or jilin_hierarchy()
    cols = area_columns(pieces)
    df = pieces.frame.copy()
    df["prefecture"] = df["county"].map(hier.parents)
    df["province"] = PROVINCE_CODE
    keys = ([TOWNSHIP] if pieces.has_townships else []) + [COUNTY, PREFECTURE, PROVINCE]
    out: dict[str, LevelTable] = {}
    below: pd.DataFrame | None = None
    for level in keys:
        group = df.groupby(level.key)
        units = group["unit_code"].nunique()
        counties = group["county"].nunique()
        geoms = {
            code: polygonal(unary_union([pieces.geometries[i] for i in idx])) for code, idx in group.indices.items()
        }
        if below is None:  # the finest level: sums of the pieces
            sums = group[cols].sum()
        else:  # every other level: sums of the level below
            parent = below["code"].map(hier.parents)
            sums = below[cols].groupby(parent.values).sum()
        sums = sums.astype("int64")
        table = _finish(level, sums, units, geoms, hier, cols, counties)
        out[level.key] = table
        below = table.frame
    return Rollup(out, pieces, cols)


__all__ = ["LEVELS", "LevelTable", "Rollup", "area_columns", "rollup"]
