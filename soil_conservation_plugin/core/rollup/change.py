"""Change between two erosion years: per 小流域 and per 县, and the class-to-class transition matrix.

The two rasters (SL 190 class codes 1–6, or erosion moduli in t/(km²·a) such as the CSLE step
writes, classed by resources/rules/erosion_classes.json) must lie on the **same grid**: same CRS,
origin, cell size and size; nothing is resampled.

Each year is measured with the engine and rules of the unit indicators and the roll-up, so that the
figures of one year here equal the roll-up of that year's raster:

* ``indicators.compute.erosion_indicators``: the zonal pass of the indicator step (label counting on
  units on the grid, else exact cell-coverage fractions of the unit polygons), each cell weighing its
  true ground area (``crs.row_spacing``), the NULL rule of resources/rules/data_coverage.json;
* ``assign.unit_rows`` per 小流域 and ``assign.pieces_by_attribute`` / ``pieces_by_geometry`` +
  ``aggregate.rollup`` per 县: class areas scaled to the unit's ellipsoidal area, integers of 0.01 ha,
  水土保持率 = (评价面积 − 水土流失面积) / 评价面积. A county is the exact sum of its units (by their
  county_code: 亚单元 split along county lines each counted once) or, with a division layer (county or
  乡镇 polygons), of their area-share pieces, as in the roll-up.

So 水土流失面积 and 水土保持率 of each year are taken over **all** the cells with data of that year.
Cells with data in one year only are reported apart (仅前期 / 仅后期有数据面积), and a second, joint
zonal pass of the two rasters (same kernel, same coverage weights; ``PairSource``) gives the
"paired" figures over the cells with data in both years: 两期均有数据面积, its 水土流失面积 in each
year, the areas whose class fell or rose, and the transition matrix. The matrix has a 无数据 row and
column: its row sums are the earlier year's class areas (cells of the units, before scaling to the
ellipsoidal area), its column sums the later year's, and its class × class block holds the paired
cells. Given the unit raster of the watershed step on the rasters' grid, units are counted by it, as
the indicator step does. The change raster (class after − class before, paired cells only) covers
the cells of the unit raster, else those more than half inside a unit (``zonal.rasterize_labels``);
it is a map, not a measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import CRS

from ..common.crs import check_ground_crs
from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..indicators.compute import erosion_indicators
from ..indicators.compute import load_erosion_classes as load_erosion_rules
from ..indicators.coverage import unit_rings
from ..indicators.grid import Grid
from ..indicators.sources import ErosionSource, Source
from ..indicators.zonal import _NO_BREAKS, LabelRaster, rasterize_labels, zonal_pass
from . import aggregate
from .assign import (
    UNIT_CODE,
    ErosionClasses,
    _division_codes,
    check_unit_polygons,
    load_erosion_classes,
    pieces_by_attribute,
    pieces_by_geometry,
    unit_rows,
)
from .levels import clean_code, county_code, jilin_hierarchy, rate_pct
from .targets import CountyBase, TargetsFile, decompose

NODATA_CHANGE = -128
NODATA_ID = "nodata"  # the 无数据 row and column of the transition matrix
NODATA_ZH = "无数据"


class PairSource(Source):
    """The two years' rasters as one class layer: before class × (K + 1) + after class, K = no data.

    Counted by ``zonal_pass`` like any indicator source (label runs or coverage fractions), so the
    joint areas use the very cells and weights of each year's own indicators."""

    name = "pair"

    def __init__(self, before: ErosionSource, after: ErosionSource):
        self.before, self.after = before, after
        self.path, self.layer = before.path, before.layer
        self.grid = before.grid
        self._cache = None
        self.nodata = None
        self.k = len(before.ids)
        self.n_classes = ((self.k + 1) ** 2,)
        self.cmap = np.arange((self.k + 1) ** 2, dtype=np.int16)

    def open(self):
        self.before.open()
        self.after.open()

    def close(self):
        self.before.close()
        self.after.close()

    def classes(self, row0: int, row1: int) -> tuple[np.ndarray, np.ndarray]:
        """Class indices of both years on rows [row0, row1), −1 = no data."""
        out = np.empty((2, row1 - row0, self.grid.width), np.int16)
        for i, s in enumerate((self.before, self.after)):
            val = np.empty((s.n_values, row1 - row0, self.grid.width), np.float32)
            s.block(row0, row1, None, out[i : i + 1], val)
        return out[0], out[1]

    def joint(self, row0: int, row1: int) -> np.ndarray:
        b, a = self.classes(row0, row1)
        k = self.k
        return (np.where(b < 0, k, b) * (k + 1) + np.where(a < 0, k, a)).astype(np.int16)

    def spec(self, row0, row1, slope):
        return self.joint(row0, row1), 1.0, 2, _NO_BREAKS, self.cmap, -1, False

    def block(self, row0, row1, slope, cls, val) -> None:
        cls[0] = self.joint(row0, row1)

    def finish(self, hist, vsum, vw, cover):
        return {"pair_m2": hist[0]}


def check_same_grid(before: Grid, after: Grid, before_label: str, after_label: str) -> None:
    b, a = before.transform, after.transform
    cell = max(abs(b.a), abs(b.e))
    same_transform = all(abs(x - y) <= 1e-6 * cell for x, y in zip((b.c, b.a, b.f, b.e), (a.c, a.a, a.f, a.e)))
    if not (
        before.crs.equals(after.crs) and same_transform and (before.width, before.height) == (after.width, after.height)
    ):
        raise InputError(
            after_label,
            f"两期侵蚀栅格不在同一网格上（坐标系、原点、像元大小和行列数须相同）：{before_label} 与 "
            f"{after_label}；请先重采样到同一网格",
            f"the two erosion rasters are not on the same grid (CRS, origin, cell size and size must match): "
            f"{before_label} and {after_label}; resample one onto the other's grid first",
        )


@dataclass
class ChangeResult:
    year_before: int
    year_after: int
    classes: ErosionClasses
    units: pd.DataFrame  # per 小流域
    counties: pd.DataFrame  # per 县 (with targets and progress when a targets file was given)
    matrix: pd.DataFrame  # ha, rows: class before (+ nodata), columns: class after (+ nodata), cells of the units
    county_matrices: pd.DataFrame  # long form: county, class before, class after (or nodata), ha
    change_raster: np.ndarray  # int8: class after − class before, NODATA_CHANGE where either is missing
    grid: Grid
    target_year: int | None
    county_method: str  # "divisions" or "attribute"
    method: str = ""  # how the cells reached the units (the zonal pass's method)
    county_geoms: dict | None = None  # county code → dissolved geometry of its units (or pieces), as in the roll-up


def _progress(counties: pd.DataFrame, targets: TargetsFile, target_year: int) -> pd.DataFrame:
    """Targets decomposed from the earlier year's roll-up figures (评价面积, 水土流失面积), as the roll-up does."""
    hier = jilin_hierarchy()
    bases = [
        CountyBase(
            code=row.code,
            name=row.name,
            prefecture=hier.parents.get(row.code, ""),
            assessed=int(round(row.assessed_before_ha * 100)),
            loss=int(round(row.loss_before_ha * 100)),
        )
        for row in counties.itertuples()
    ]
    table = decompose(bases, targets, [target_year])
    table = table[table["level"] == "county"].set_index("code")
    out = counties.copy()
    out["target_year"] = target_year
    out["target_pct"] = out["code"].map(table["target_pct"])
    need = out["target_pct"] - out["rate_before_pct"]
    done = out["rate_after_pct"] - out["rate_before_pct"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["progress_pct"] = np.where(need.abs() > 1e-9, 100.0 * done / need, np.nan)
    out["status"] = np.where(
        out["rate_after_pct"] >= out["target_pct"] - 1e-9, "已达到目标 target met", "未达到目标 not yet met"
    )
    out["method_note"] = table["note"].iloc[0] if len(table) else ""
    return out


def _rate(assessed, loss) -> np.ndarray:
    return np.array([np.nan if (r := rate_pct(int(a), int(b))) is None else r for a, b in zip(assessed, loss)])


def _year_figures(prefix: str, assessed, loss) -> dict:
    """0.01 ha integers → the columns of one year (ha with two decimals, rate in %)."""
    return {
        f"assessed_{prefix}_ha": np.asarray(assessed, np.int64) / 100.0,
        f"loss_{prefix}_ha": np.asarray(loss, np.int64) / 100.0,
        f"rate_{prefix}_pct": _rate(assessed, loss),
    }


def _paired(joint: np.ndarray, k: int, loss_from: int) -> dict:
    """Figures over the joint areas (…, K + 1, K + 1) in m² → ha."""
    valid = joint[..., :k, :k]
    upper = np.triu(np.ones((k, k), dtype=bool), 1)  # after > before: worse
    loss_b = valid[..., loss_from:, :].sum(axis=(-2, -1))
    loss_a = valid[..., :, loss_from:].sum(axis=(-2, -1))
    return {
        "paired_ha": valid.sum(axis=(-2, -1)) / 1e4,
        "only_before_ha": joint[..., :k, k].sum(axis=-1) / 1e4,
        "only_after_ha": joint[..., k, :k].sum(axis=-1) / 1e4,
        "nodata_both_ha": joint[..., k, k] / 1e4,
        "paired_loss_before_ha": loss_b / 1e4,
        "paired_loss_after_ha": loss_a / 1e4,
        "paired_d_loss_ha": (loss_a - loss_b) / 1e4,
        "better_ha": (valid * upper.T).sum(axis=(-2, -1)) / 1e4,
        "worse_ha": (valid * upper).sum(axis=(-2, -1)) / 1e4,
    }


def _check_inputs(units, codes, units_label, divisions, division_field, divisions_label) -> None:
    check_ground_crs(units.crs, units_label)
    check_unit_polygons(units, codes, units_label)
    if divisions is not None:
        _division_codes(divisions, division_field, divisions_label)
        if divisions.crs is None:
            raise InputError(divisions_label, "区划图层没有坐标参考系(CRS)", "the division layer has no CRS")
    elif "county_code" not in units.columns:
        raise InputError(
            units_label,
            "小流域图层没有 county_code 字段，也没有给出县界图层，无法按县统计",
            "the unit layer has no county_code field and no county layer was given; no per-county figures",
        )
    else:
        for u, v in zip(codes, units["county_code"]):
            county_code(v, units_label, f"小流域 {u}")


def _geoms_on_grid(units, grid: Grid, units_label: str) -> list:
    """The unit polygons in the rasters' CRS; refused when none overlaps the grid."""
    if CRS.from_user_input(units.crs).equals(grid.crs):
        geoms = list(np.asarray(units.geometry.values, dtype=object))
    else:
        target = grid.rio_crs.to_wkt() if grid.rio_crs is not None else grid.crs
        geoms = list(np.asarray(units.to_crs(target).geometry.values, dtype=object))
    bbox = unit_rings(geoms, grid).bbox
    inside = (bbox[:, 1] > 0) & (bbox[:, 0] < grid.height) & (bbox[:, 3] > 0) & (bbox[:, 2] < grid.width)
    inside &= bbox[:, 1] > bbox[:, 0]
    if not inside.any():
        raise InputError(units_label, "图层与侵蚀栅格没有重叠", "the layer does not overlap the erosion rasters")
    return geoms


def compute_change(
    units,
    before_path,
    after_path,
    *,
    year_before: int,
    year_after: int,
    kind: str = "classes",
    units_label: str = "小流域 units",
    before_label: str = "前一期侵蚀 erosion (earlier year)",
    after_label: str = "后一期侵蚀 erosion (later year)",
    divisions=None,
    division_field: str = "county_code",
    divisions_label: str = "县界 counties",
    targets: TargetsFile | None = None,
    target_year: int | None = None,
    classes: ErosionClasses | None = None,
    labels=None,
    labels_label: str = "小流域栅格 unit raster",
    feedback: Feedback | None = None,
) -> ChangeResult:
    """Every check first, then each year's indicator pass and the joint pass (see the module docstring).

    ``labels``: the unit raster of the watershed step (int32 labels + ``.codes.csv``); when it lies on the
    rasters' grid the units are counted by it, as the indicator step does when given it."""
    feedback = feedback or Feedback()
    classes = classes or load_erosion_classes()
    if year_after <= year_before:
        raise InputError(
            after_label,
            f"后一期年份 {year_after} 必须晚于前一期 {year_before}",
            f"the later year {year_after} must come after the earlier year {year_before}",
        )
    if UNIT_CODE not in units.columns or len(units) == 0:
        raise InputError(units_label, f"图层为空或缺少 {UNIT_CODE} 字段", f"the layer is empty or lacks {UNIT_CODE}")
    units = units.reset_index(drop=True)
    codes = [clean_code(c) for c in units[UNIT_CODE]]
    if "" in codes or len(set(codes)) != len(codes):
        raise InputError(
            units_label, f"字段 {UNIT_CODE} 有空值或重复值", f"field {UNIT_CODE} has empty or duplicate values"
        )
    _check_inputs(units, codes, units_label, divisions, division_field, divisions_label)
    if targets is not None:
        targets.target(target_year if target_year is not None else -1, "targets")
    if kind not in ("classes", "modulus"):
        raise InputError(before_label, f"未知的侵蚀栅格类型 {kind}", f"unknown erosion raster kind {kind}")
    rules = load_erosion_rules()
    crs_cache: dict = {}
    before = ErosionSource(before_path, before_label, kind, rules, crs_cache)
    after = ErosionSource(after_path, after_label, kind, rules, crs_cache)
    check_same_grid(before.grid, after.grid, before_label, after_label)
    geoms = _geoms_on_grid(units, before.grid, units_label)
    lab = LabelRaster(labels, codes, labels_label, crs_cache) if labels else None
    if lab is not None and lab.grid.key() != before.grid.key():
        feedback.info(
            f"{labels_label}: 不在侵蚀栅格网格上，未使用 / not on the erosion rasters' grid: not used, "
            "as in the indicators"
        )
        lab = None
    before.check()
    after.check()
    feedback.progress(5)

    years = []
    for s, lo in ((before, 5), (after, 35)):
        ind, info = erosion_indicators(units, s, feedback=SubFeedback(feedback, lo, lo + 30), labels=lab)
        rows = unit_rows(ind, classes)
        if divisions is not None:
            pieces = pieces_by_geometry(ind, units_label, divisions, division_field, divisions_label, classes)
        else:
            pieces = pieces_by_attribute(ind, units_label, "county_code", None, classes)
        county_table = aggregate.rollup(pieces).table("county")
        years.append((rows, pieces, county_table.frame.set_index("code"), info))
        county_geoms = county_table.geometries
        feedback.check()
    pair = PairSource(before, after)
    res = zonal_pass(geoms, [pair], "auto", SubFeedback(feedback, 65, 90), None, lab)
    k = len(classes.ids)
    joint = res["columns"]["pair_m2"].reshape(len(units), k + 1, k + 1)

    (rows_b, pieces_b, county_b, info_b), (rows_a, _, county_a, _) = years
    unit_stats = pd.DataFrame({"unit_code": codes})
    if "county_code" in units.columns:
        unit_stats["county_code"] = [clean_code(c) for c in units["county_code"]]
    unit_stats["area_ha"] = rows_b["land"].to_numpy() / 100.0
    for prefix, rows in (("before", rows_b), ("after", rows_a)):
        for key, col in _year_figures(prefix, rows["assessed"], rows["loss"]).items():
            unit_stats[key] = col
    unit_stats["d_loss_ha"] = (rows_a["loss"].to_numpy() - rows_b["loss"].to_numpy()) / 100.0
    unit_stats["d_rate_pct"] = unit_stats["rate_after_pct"] - unit_stats["rate_before_pct"]
    for key, col in _paired(joint, k, classes.loss_from).items():
        unit_stats[key] = col

    # each unit's share of each county: whole units by attribute, the pieces' land by geometry
    county_codes = sorted(county_b.index)
    frame = pieces_b.frame
    share = np.zeros((len(units), len(county_codes)))
    unit_index = {c: i for i, c in enumerate(codes)}
    land = rows_b["land"].to_numpy()
    for u, c, piece_land in zip(frame["unit_code"], frame["county"], frame["land"]):
        i = unit_index[u]
        share[i, county_codes.index(c)] += piece_land / land[i] if land[i] > 0 else 0.0
    county_joint = np.einsum("uc,uij->cij", share, joint)
    names = jilin_hierarchy().names
    cb, ca = county_b.loc[county_codes], county_a.loc[county_codes]
    county_stats = pd.DataFrame({"code": county_codes, "name": [names.get(c, "") for c in county_codes]})
    county_stats["area_ha"] = cb["land"].to_numpy() / 100.0
    for prefix, c in (("before", cb), ("after", ca)):
        for key, col in _year_figures(prefix, c["assessed"], c["loss"]).items():
            county_stats[key] = col
    county_stats["d_loss_ha"] = (ca["loss"].to_numpy() - cb["loss"].to_numpy()) / 100.0
    county_stats["d_rate_pct"] = county_stats["rate_after_pct"] - county_stats["rate_before_pct"]
    for key, col in _paired(county_joint, k, classes.loss_from).items():
        county_stats[key] = col
    if targets is not None and target_year is not None:
        county_stats = _progress(county_stats, targets, target_year)

    ids = [*classes.ids, NODATA_ID]
    matrix = pd.DataFrame(joint.sum(axis=0) / 1e4, index=ids, columns=ids)
    long_rows = [
        {"county": county_codes[c], "from": ids[i], "to": ids[j], "ha": county_joint[c, i, j] / 1e4}
        for c in range(len(county_codes))
        for i in range(k + 1)
        for j in range(k + 1)
        if county_joint[c, i, j] > 0 and not (i == k and j == k)
    ]
    feedback.progress(90)
    change = _change_raster(pair, geoms, lab)
    feedback.progress(100)
    return ChangeResult(
        year_before,
        year_after,
        classes,
        unit_stats,
        county_stats,
        matrix,
        pd.DataFrame(long_rows, columns=["county", "from", "to", "ha"]),
        change,
        before.grid,
        target_year if targets is not None else None,
        "divisions" if divisions is not None else "attribute",
        info_b["grids"][0]["method"] if info_b.get("grids") else "",
        county_geoms,
    )


def _change_raster(pair: PairSource, geoms, labels: LabelRaster | None) -> np.ndarray:
    """class after − class before on the paired cells of the unit raster, or else more than half inside a unit;
    NODATA_CHANGE elsewhere."""
    grid = pair.grid
    rings = unit_rings(geoms, grid) if labels is None else None
    out = np.full((grid.height, grid.width), NODATA_CHANGE, np.int8)
    pair.open()
    try:
        for r0, r1 in pair.before.bands():
            b, a = pair.classes(r0, r1)
            if labels is not None:
                raw = labels.read_raw(r0, r1).astype(np.int64)
                ok = (raw >= 0) & (raw < labels.lut.shape[0])
                inside = ok & (labels.lut[np.where(ok, raw, 0)] > 0)
            elif rings is not None:
                inside = rasterize_labels(rings, grid, r0, r1) > 0
            both = inside & (b >= 0) & (a >= 0)
            out[r0:r1][both] = (a[both] - b[both]).astype(np.int8)
    finally:
        pair.close()
    return out


def write_change_raster(result: ChangeResult, path) -> None:
    """class after − class before (−5 … 5, Int16: GDAL 3.6 has no signed byte), NoData −128, on the rasters' grid."""
    from osgeo import gdal

    from ..common.io import atomic_path

    gdal.UseExceptions()
    rows, cols = result.change_raster.shape
    t = result.grid.transform
    wkt = result.grid.rio_crs.to_wkt() if result.grid.rio_crs is not None else result.grid.crs.to_wkt()
    with atomic_path(path) as tmp:
        ds = gdal.GetDriverByName("GTiff").Create(
            str(tmp),
            cols,
            rows,
            1,
            gdal.GDT_Int16,
            ["COMPRESS=DEFLATE"],
        )
        ds.SetGeoTransform((t.c, t.a, t.b, t.f, t.d, t.e))
        ds.SetProjection(wkt)
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(NODATA_CHANGE)
        band.WriteArray(result.change_raster.astype(np.int16))  # numpy int8 would be written as unsigned bytes
        band.FlushCache()
        ds = None
