"""Tables (CSV, XLSX; Chinese headers) and GeoPackage layers of the roll-up and of the change.

Every file goes through ``common.io.atomic_path`` (via ``common.tables``): all or nothing per run.
Areas are written in 公顷 with two decimals (integers of 0.01 ha inside, but for the change's paired
figures and transitions: coverage-weighted cell areas); rates with four.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..common.geo import polygon_parts
from ..common.io import atomic_path
from ..common.tables import save_workbook, write_csv, xlsx_row
from .aggregate import Rollup
from .assign import zone_names
from .change import NODATA_ID, NODATA_ZH, ChangeResult
from .levels import LEVELS, ha

RATE_DECIMALS = 4


@dataclass(frozen=True)
class Column:
    key: str  # column of the frame
    zh: str  # Chinese header of the tables
    field: str  # ASCII field of the GeoPackage layer
    kind: str  # "text", "int", "ha" (0.01 ha integers), "pct", "float"


def rollup_columns(result: Rollup) -> list[Column]:
    classes = result.pieces.classes
    names = zone_names()
    cols = [
        Column("code", "代码", "code", "text"),
        Column("name", "名称", "name", "text"),
        Column("parent_code", "上级代码", "parent", "text"),
        Column("n_units", "小流域(亚单元)数", "n_units", "int"),
        Column("coverage", "本次覆盖县数/全部县数", "coverage", "text"),
        Column("land", "土地面积(公顷)", "land_ha", "ha"),
        Column("assessed", "评价面积(公顷)", "assess_ha", "ha"),
    ]
    cols += [Column(f"cls_{k}", f"{zh}侵蚀面积(公顷)", f"{k}_ha", "ha") for k, zh in zip(classes.ids, classes.zh)]
    cols += [
        Column("nodata", "无侵蚀数据面积(公顷)", "nodata_ha", "ha"),
        Column("loss", "水土流失面积(公顷)", "loss_ha", "ha"),
        Column("rate_pct", "水土保持率(%)", "rate_pct", "pct"),
    ]
    cols += [Column(f"zone_{z}", f"{names.get(z, z)}面积(公顷)", f"z_{z}_ha"[:30], "ha") for z in result.pieces.zones]
    return cols


TARGET_COLUMNS = [
    Column("level_zh", "级别", "level", "text"),
    Column("code", "代码", "code", "text"),
    Column("name", "名称", "name", "text"),
    Column("parent_code", "上级代码", "parent", "text"),
    Column("coverage", "本次覆盖县数/全部县数", "coverage", "text"),
    Column("year", "目标年份", "year", "int"),
    Column("assessed", "评价面积(公顷)", "assess_ha", "ha"),
    Column("loss", "现状水土流失面积(公顷)", "loss_ha", "ha"),
    Column("current_pct", "现状水土保持率(%)", "cur_pct", "pct"),
    Column("target_pct", "目标水土保持率(%)", "tgt_pct", "pct"),
    Column("target_loss", "目标水土流失面积(公顷)", "tgt_loss", "ha"),
    Column("reduction", "需减少水土流失面积(公顷)", "reduce_ha", "ha"),
    Column("province_target_pct", "省目标水土保持率(%)", "prov_pct", "pct"),
    Column("method", "分解方法", "method", "text"),
    Column("flag", "标记", "flag", "text"),
    Column("note", "说明", "note", "text"),
]


def _cell(value, kind: str):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return ""
    if kind == "ha":
        return ha(value)
    if kind == "pct":
        return round(float(value), RATE_DECIMALS)
    if kind == "float":
        return round(float(value), 2)
    if kind == "int":
        return int(value)
    return str(value)


def table_rows(frame: pd.DataFrame, columns: list[Column]) -> list[list]:
    return [[_cell(row[c.key], c.kind) for c in columns] for _, row in frame.iterrows()]


def level_frame(result: Rollup, key: str) -> pd.DataFrame:
    frame = result.table(key).frame.copy()
    frame.insert(0, "level_zh", next(lv.zh for lv in LEVELS if lv.key == key))
    return frame


def all_levels(result: Rollup) -> pd.DataFrame:
    """Every level in one table, province first (for the CSV)."""
    keys = [lv.key for lv in reversed(LEVELS) if lv.key in result.levels]
    return pd.concat([level_frame(result, k) for k in keys], ignore_index=True)


LEVEL_COLUMN = Column("level_zh", "级别", "level", "text")


def write_rollup_tables(result: Rollup, targets: pd.DataFrame | None, folder, notes: list[tuple[str, str]]) -> dict:
    """rollup.csv (every level), rollup_<level>.csv, targets.csv and rollup.xlsx in ``folder``."""
    folder = Path(folder)
    cols = [LEVEL_COLUMN, *rollup_columns(result)]
    written = {}
    path = folder / "rollup.csv"
    write_csv(path, [c.zh for c in cols], table_rows(all_levels(result), cols))
    written["rollup_csv"] = str(path)
    for key in result.levels:
        path = folder / f"rollup_{key}.csv"
        write_csv(path, [c.zh for c in cols], table_rows(level_frame(result, key), cols))
        written[f"{key}_csv"] = str(path)
    sheets = [(lv.zh, level_frame(result, lv.key), cols) for lv in LEVELS if lv.key in result.levels]
    if targets is not None:
        path = folder / "targets.csv"
        write_csv(path, [c.zh for c in TARGET_COLUMNS], table_rows(targets_frame(targets), TARGET_COLUMNS))
        written["targets_csv"] = str(path)
        sheets.append(("目标分解", targets_frame(targets), TARGET_COLUMNS))
    if write_xlsx(folder / "rollup.xlsx", sheets, notes):
        written["xlsx"] = str(folder / "rollup.xlsx")
    return written


def targets_frame(targets: pd.DataFrame) -> pd.DataFrame:
    frame = targets.copy()
    frame["level_zh"] = frame["level"].map({lv.key: lv.zh for lv in LEVELS})
    return frame


def write_xlsx(path: Path, sheets: list[tuple[str, pd.DataFrame, list[Column]]], notes: list[tuple[str, str]]) -> bool:
    """One sheet per table and a 说明 sheet; False (nothing written) without openpyxl."""
    try:
        from openpyxl import Workbook
    except ImportError:
        return False
    wb = Workbook(write_only=True)
    for title, frame, cols in sheets:
        ws = wb.create_sheet(title)
        ws.append(xlsx_row(ws, [c.zh for c in cols]))
        for row in table_rows(frame, cols):
            ws.append(xlsx_row(ws, row))
    ws = wb.create_sheet("说明")
    for k, v in notes:
        ws.append(xlsx_row(ws, [k, v]))
    save_workbook(wb, path)
    return True


def _multi(geom):
    """A polygonal geometry as a MultiPolygon (None stays None): one geometry type per layer."""
    from shapely.geometry import MultiPolygon

    if geom is None or isinstance(geom, MultiPolygon):
        return geom
    parts = polygon_parts(geom)
    return MultiPolygon(parts) if parts else None


def _layer(frame: pd.DataFrame, columns: list[Column], geoms: dict | list, crs, multi: bool = False):
    import geopandas as gpd

    data = {c.field: [_cell(v, c.kind) if c.kind != "text" else str(v) for v in frame[c.key]] for c in columns}
    for c in columns:
        if c.kind in ("ha", "pct", "float"):
            data[c.field] = [np.nan if v == "" else float(v) for v in data[c.field]]
    geometry = [geoms[k] for k in frame["code"]] if isinstance(geoms, dict) else list(geoms)
    if multi:
        geometry = [_multi(g) for g in geometry]
    return gpd.GeoDataFrame(pd.DataFrame(data), geometry=geometry, crs=crs)


def write_rollup_layers(result: Rollup, targets: pd.DataFrame | None, path, crs) -> list[str]:
    """One layer per level (township, county, prefecture, province), dissolved by code; target rates per year."""
    cols = rollup_columns(result)
    layers = []
    with atomic_path(path) as tmp:
        for key, table in result.levels.items():
            frame = table.frame.copy()
            extra = []
            if targets is not None:
                for year in sorted(targets["year"].unique()):
                    sub = targets[(targets["level"] == key) & (targets["year"] == year)].set_index("code")
                    if len(sub):
                        frame[f"t{year}"] = frame["code"].map(sub["target_pct"])
                        extra.append(Column(f"t{year}", f"{year}年目标水土保持率(%)", f"target_{year}", "pct"))
            gdf = _layer(frame, [*cols, *extra], table.geometries, crs)
            gdf.insert(0, "level", key)
            gdf.to_file(str(tmp), layer=key, driver="GPKG")
            layers.append(key)
    return layers


# --- change --------------------------------------------------------------------------------------
# each year over all its cells with data (= the roll-up of that year's raster); then the paired cells apart
CHANGE_COLUMNS = [
    Column("area_ha", "土地面积(公顷)", "area_ha", "float"),
    Column("assessed_before_ha", "前期评价面积(公顷)", "asse_bef", "float"),
    Column("loss_before_ha", "前期水土流失面积(公顷,前期全部数据,同汇总)", "loss_bef", "float"),
    Column("rate_before_pct", "前期水土保持率(%,前期全部数据,同汇总)", "rate_bef", "pct"),
    Column("assessed_after_ha", "后期评价面积(公顷)", "asse_aft", "float"),
    Column("loss_after_ha", "后期水土流失面积(公顷,后期全部数据)", "loss_aft", "float"),
    Column("rate_after_pct", "后期水土保持率(%,后期全部数据)", "rate_aft", "pct"),
    Column("d_loss_ha", "水土流失面积变化(公顷,两期各自全部数据)", "d_loss_ha", "float"),
    Column("d_rate_pct", "水土保持率变化(百分点)", "d_rate", "pct"),
    Column("paired_ha", "两期均有数据面积(公顷)", "paired_ha", "float"),
    Column("only_before_ha", "仅前期有数据面积(公顷)", "only_bef", "float"),
    Column("only_after_ha", "仅后期有数据面积(公顷)", "only_aft", "float"),
    Column("nodata_both_ha", "两期均无数据面积(公顷)", "nd_both", "float"),
    Column("paired_loss_before_ha", "两期均有数据:前期水土流失面积(公顷)", "p_loss_bef", "float"),
    Column("paired_loss_after_ha", "两期均有数据:后期水土流失面积(公顷)", "p_loss_aft", "float"),
    Column("paired_d_loss_ha", "两期均有数据:水土流失面积变化(公顷)", "p_d_loss", "float"),
    Column("better_ha", "两期均有数据:侵蚀强度降低面积(公顷)", "better_ha", "float"),
    Column("worse_ha", "两期均有数据:侵蚀强度升高面积(公顷)", "worse_ha", "float"),
]
CHANGE_NOTES = [
    (
        "前期/后期 每期全部数据 each year",
        "水土流失面积、评价面积与水土保持率按该期栅格的全部有效像元统计，口径与小流域指标和汇总相同"
        "(标签计数或精确覆盖比例、椭球像元面积、按小流域椭球面积缩放、0.01 公顷)；前期数字等于同一栅格的汇总结果 / "
        "each year over all its cells with data, as the unit indicators and the roll-up (label counting or exact "
        "coverage fractions, ground cell areas, scaled to the units' ellipsoidal areas, 0.01 ha): the earlier year "
        "equals the roll-up of the same raster",
    ),
    (
        "两期均有数据 paired cells",
        "“两期均有数据”各列与转移矩阵的级别×级别部分只含两期都有数据的像元(同一权重，未缩放)；转移矩阵的“无数据”行和列"
        "及“仅前期/仅后期有数据面积”为只有一期有数据的像元(无数据×无数据: 两期均无数据) / "
        "the 'paired' columns and the class × class block of the "
        "transition matrix hold only cells with data in both years (same weights, not scaled); its 无数据 row and "
        "column and the one-year-only columns hold the cells with data in one year only (无数据 × 无数据: in neither)",
    ),
]
UNIT_CHANGE_COLUMNS = [Column("unit_code", "小流域代码", "unit_code", "text")]
COUNTY_CHANGE_COLUMNS = [Column("code", "县代码", "code", "text"), Column("name", "县名称", "name", "text")]
PROGRESS_COLUMNS = [
    Column("target_year", "目标年份", "tgt_year", "int"),
    Column("target_pct", "目标水土保持率(%)", "tgt_pct", "pct"),
    Column("progress_pct", "目标完成进度(%)", "progress", "pct"),
    Column("status", "状态", "status", "text"),
    Column("method_note", "说明", "note", "text"),
]


def change_columns(result: ChangeResult) -> tuple[list[Column], list[Column]]:
    unit_cols = list(UNIT_CHANGE_COLUMNS)
    if "county_code" in result.units.columns:
        unit_cols.append(Column("county_code", "县代码", "county_code", "text"))
    county_cols = COUNTY_CHANGE_COLUMNS + CHANGE_COLUMNS
    if "target_pct" in result.counties.columns:
        county_cols = county_cols + PROGRESS_COLUMNS
    return unit_cols + CHANGE_COLUMNS, county_cols


def class_names(result: ChangeResult) -> dict[str, str]:
    """Class id → Chinese name, with the 无数据 row and column of the matrix."""
    return {**dict(zip(result.classes.ids, result.classes.zh)), NODATA_ID: NODATA_ZH}


def matrix_rows(result: ChangeResult) -> tuple[list[str], list[list]]:
    """Rows: the earlier year's class (and 无数据), columns the later year's; row sums are the earlier year's
    class areas, column sums the later year's; the class × class block holds the paired cells."""
    zh = class_names(result)
    header = (
        [f"{result.year_before}年 \\ {result.year_after}年 (公顷)"] + [zh[k] for k in result.matrix.columns] + ["合计"]
    )
    rows = []
    for k, row in result.matrix.iterrows():
        rows.append([zh[k]] + [round(float(v), 2) for v in row] + [round(float(row.sum()), 2)])
    rows.append(
        ["合计"]
        + [round(float(v), 2) for v in result.matrix.sum(axis=0)]
        + [round(float(result.matrix.values.sum()), 2)]
    )
    return header, rows


def write_change_tables(result: ChangeResult, folder, notes: list[tuple[str, str]]) -> dict:
    folder = Path(folder)
    unit_cols, county_cols = change_columns(result)
    written = {}
    for name, frame, cols in (
        ("unit_change", result.units, unit_cols),
        ("county_change", result.counties, county_cols),
    ):
        path = folder / f"{name}.csv"
        write_csv(path, [c.zh for c in cols], table_rows(frame, cols))
        written[f"{name}_csv"] = str(path)
    header, rows = matrix_rows(result)
    write_csv(folder / "transitions.csv", header, rows)
    written["transitions_csv"] = str(folder / "transitions.csv")
    zh = class_names(result)
    long = result.county_matrices
    write_csv(
        folder / "county_transitions.csv",
        ["县代码", f"{result.year_before}年侵蚀强度", f"{result.year_after}年侵蚀强度", "面积(公顷)"],
        [[r.county, zh[r["from"]], zh[r["to"]], round(float(r.ha), 2)] for _, r in long.iterrows()],
    )
    written["county_transitions_csv"] = str(folder / "county_transitions.csv")
    matrix = pd.DataFrame(rows, columns=header)
    mcols = [Column(h, h, h, "text" if i == 0 else "float") for i, h in enumerate(header)]
    sheets = [("小流域", result.units, unit_cols), ("县", result.counties, county_cols), ("转移矩阵", matrix, mcols)]
    if write_xlsx(folder / "change.xlsx", sheets, [*CHANGE_NOTES, *notes]):
        written["xlsx"] = str(folder / "change.xlsx")
    return written


def write_change_layers(result: ChangeResult, units, county_geoms: dict, path) -> None:
    """Layers unit_change (the units with their change) and county_change (dissolved by county code),
    both MultiPolygon (units and dissolved counties mix Polygon and MultiPolygon)."""
    unit_cols, county_cols = change_columns(result)
    with atomic_path(path) as tmp:
        _layer(result.units, unit_cols, units.geometry.values, units.crs, multi=True).to_file(
            str(tmp), layer="unit_change", driver="GPKG"
        )
        _layer(result.counties, county_cols, county_geoms, units.crs, multi=True).to_file(
            str(tmp), layer="county_change", driver="GPKG"
        )
