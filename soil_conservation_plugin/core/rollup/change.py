"""Change between two erosion years: per 小流域 and per 县, and the class-to-class transition matrix.

The two rasters (SL 190 class codes 1–6, or erosion moduli in t/(km²·a) such as the CSLE step
writes, classed here by resources/rules/erosion_classes.json) must lie on the **same grid**: same
CRS, origin, cell size and size; nothing is resampled. Each cell counts with its true ground area
(``common.crs.row_spacing``: metres of a projected grid, ellipsoidal radii on a geographic one) and
belongs to the 小流域 (and the 县) whose polygon holds its centre (GDAL rasterize, cell-centre
rule; where polygons overlap the later one wins, so each cell is counted once).

Both years are compared on the same cells: a unit's 水土流失面积 and 水土保持率 of each year are
taken over its cells with data in both years ("paired" cells); cells with data in one year only are
reported apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import CRS

from ..common.crs import check_ground_crs, row_spacing, to_pyproj
from ..common.errors import InputError
from ..common.feedback import Feedback
from .assign import UNIT_CODE, ErosionClasses, check_unit_polygons, load_erosion_classes
from .levels import clean_code, county_code, jilin_hierarchy
from .targets import CountyBase, TargetsFile, decompose

BLOCK_ROWS = 512
NODATA_CHANGE = -128


@dataclass(frozen=True)
class Affine:
    """The six numbers of a north-up GDAL geotransform, named as ``row_spacing`` reads them."""

    c: float
    a: float
    b: float
    f: float
    d: float
    e: float


@dataclass
class ClassGrid:
    """One year's erosion as class indices (0 = 微度 …, -1 = no data) on its grid."""

    path: str
    label: str
    classes: np.ndarray  # int8
    crs: CRS
    transform: Affine
    wkt: str


def _gdal():
    from osgeo import gdal

    gdal.UseExceptions()
    return gdal


def read_classes(path, label: str, kind: str, rules: ErosionClasses) -> ClassGrid:
    """Read a class or modulus raster as class indices; bilingual InputError on anything unusable."""
    gdal = _gdal()
    if kind not in ("classes", "modulus"):
        raise InputError(label, f"未知的侵蚀栅格类型 {kind}", f"unknown erosion raster kind {kind}")
    try:
        ds = gdal.Open(str(path))
    except RuntimeError as exc:
        raise InputError(label, f"无法读取栅格 {path}: {exc}", f"cannot read the raster {path}: {exc}") from exc
    gt = ds.GetGeoTransform()
    if gt[2] != 0 or gt[4] != 0:
        raise InputError(label, "栅格有旋转，不支持", "the raster is rotated, which is not supported")
    crs = check_ground_crs(to_pyproj(ds.GetProjection() or None), label)
    band = ds.GetRasterBand(1)
    nodata = band.GetNoDataValue()
    data = band.ReadAsArray()
    ds = None
    valid = np.ones(data.shape, dtype=bool)
    if nodata is not None and not np.isnan(nodata):
        valid &= data != nodata
    if data.dtype.kind == "f":
        valid &= np.isfinite(data)
    out = np.full(data.shape, -1, dtype=np.int8)
    if kind == "classes":
        valid &= data != 0  # 0: no data by the class-raster convention of erosion_classes.json
        lut = {code: i for i, code in enumerate(rules.raster_codes)}
        bad = np.setdiff1d(np.unique(data[valid]), list(lut))
        if len(bad):
            raise InputError(
                label,
                f"侵蚀强度分级栅格含未知代码 {bad[:5].tolist()}(应为 1–6: 微度…剧烈)",
                f"the erosion class raster holds unknown codes {bad[:5].tolist()} (expected 1–6: 微度…剧烈)",
            )
        for code, i in lut.items():
            out[valid & (data == code)] = i
    else:
        values = data.astype(np.float64)
        if (values[valid] < 0).any():
            raise InputError(label, "侵蚀模数栅格含负值", "the erosion modulus raster holds negative values")
        bounds = np.array(rules.lower[1:])  # lower-inclusive classes: lower <= m < upper
        out[valid] = np.searchsorted(bounds, values[valid], side="right").astype(np.int8)
    if not (out >= 0).any():
        raise InputError(label, "栅格全部为无数据(NoData)", "the raster is NoData everywhere")
    return ClassGrid(str(path), label, out, crs, Affine(*gt), crs.to_wkt())


def check_same_grid(before: ClassGrid, after: ClassGrid) -> None:
    same_crs = before.crs.equals(after.crs)
    b, a = before.transform, after.transform
    cell = max(abs(b.a), abs(b.e))
    same_transform = all(abs(x - y) <= 1e-6 * cell for x, y in zip((b.c, b.a, b.f, b.e), (a.c, a.a, a.f, a.e)))
    if not (same_crs and same_transform and before.classes.shape == after.classes.shape):
        raise InputError(
            after.label,
            f"两期侵蚀栅格不在同一网格上（坐标系、原点、像元大小和行列数须相同）：{before.label} 与 "
            f"{after.label}；请先重采样到同一网格",
            f"the two erosion rasters are not on the same grid (CRS, origin, cell size and size must match): "
            f"{before.label} and {after.label}; resample one onto the other's grid first",
        )


def rasterize(gdf, grid: ClassGrid, label: str) -> np.ndarray:
    """1-based index of the polygon holding each cell centre (0: none), on ``grid``."""
    gdal = _gdal()
    from osgeo import ogr, osr

    rows, cols = grid.classes.shape
    same = grid.crs.equals(CRS.from_user_input(gdf.crs))
    geoms = gdf.geometry.values if same else gdf.to_crs(grid.wkt).geometry.values
    mem = ogr.GetDriverByName("Memory").CreateDataSource("rollup")
    srs = osr.SpatialReference()
    srs.ImportFromWkt(grid.wkt)
    lyr = mem.CreateLayer("polygons", srs, ogr.wkbMultiPolygon)
    lyr.CreateField(ogr.FieldDefn("idx", ogr.OFTInteger))
    for i, geom in enumerate(geoms, start=1):
        feat = ogr.Feature(lyr.GetLayerDefn())
        feat.SetField("idx", i)
        if geom is not None and not geom.is_empty:
            feat.SetGeometry(ogr.CreateGeometryFromWkb(geom.wkb))
        lyr.CreateFeature(feat)
    target = gdal.GetDriverByName("MEM").Create("", cols, rows, 1, gdal.GDT_Int32)
    t = grid.transform
    target.SetGeoTransform((t.c, t.a, t.b, t.f, t.d, t.e))
    target.SetProjection(grid.wkt)
    gdal.RasterizeLayer(target, [1], lyr, options=["ATTRIBUTE=idx"])
    labels = target.GetRasterBand(1).ReadAsArray().astype(np.int32)
    if not (labels > 0).any():
        raise InputError(label, "图层与侵蚀栅格没有重叠", "the layer does not overlap the erosion rasters")
    return labels


def _cube(labels, before: ClassGrid, after: ClassGrid, n_labels: int, n_classes: int, feedback) -> np.ndarray:
    kk = n_classes + 1  # + no data
    cube = np.zeros((n_labels + 1) * kk * kk)
    rows = labels.shape[0]
    for r0 in range(0, rows, BLOCK_ROWS):
        r1 = min(rows, r0 + BLOCK_ROWS)
        dx, dy = row_spacing(before.crs, before.transform, np.arange(r0, r1))
        area = np.broadcast_to((dx * dy)[:, None], (r1 - r0, labels.shape[1]))
        c1 = np.where(before.classes[r0:r1] < 0, n_classes, before.classes[r0:r1]).astype(np.int64)
        c2 = np.where(after.classes[r0:r1] < 0, n_classes, after.classes[r0:r1]).astype(np.int64)
        idx = (labels[r0:r1].astype(np.int64) * kk + c1) * kk + c2
        cube += np.bincount(idx.ravel(), weights=area.ravel(), minlength=cube.size)
        if feedback is not None:
            feedback.check()
            feedback.progress(10 + 60 * r1 / rows)
    return cube.reshape(n_labels + 1, kk, kk)


def _stats(cube: np.ndarray, n_classes: int, loss_from: int) -> pd.DataFrame:
    """Per label (row 0, outside, dropped by callers): areas in ha and both years' rates."""
    valid = cube[:, :n_classes, :n_classes]
    paired = valid.sum(axis=(1, 2))
    loss_before = valid[:, loss_from:, :].sum(axis=(1, 2))
    loss_after = valid[:, :, loss_from:].sum(axis=(1, 2))
    upper = np.triu(np.ones((n_classes, n_classes), dtype=bool), 1)  # after > before: worse
    worse = (valid * upper).sum(axis=(1, 2))
    better = (valid * upper.T).sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_before = np.where(paired > 0, 100.0 * (paired - loss_before) / paired, np.nan)
        rate_after = np.where(paired > 0, 100.0 * (paired - loss_after) / paired, np.nan)
    return pd.DataFrame(
        {
            "area_ha": cube.sum(axis=(1, 2)) / 1e4,
            "paired_ha": paired / 1e4,
            "nodata_before_ha": cube[:, n_classes, :].sum(axis=1) / 1e4,
            "nodata_after_ha": cube[:, :, n_classes].sum(axis=1) / 1e4,
            "loss_before_ha": loss_before / 1e4,
            "loss_after_ha": loss_after / 1e4,
            "d_loss_ha": (loss_after - loss_before) / 1e4,
            "rate_before_pct": rate_before,
            "rate_after_pct": rate_after,
            "d_rate_pct": rate_after - rate_before,
            "better_ha": better / 1e4,
            "worse_ha": worse / 1e4,
        }
    )


@dataclass
class ChangeResult:
    year_before: int
    year_after: int
    classes: ErosionClasses
    units: pd.DataFrame  # per 小流域
    counties: pd.DataFrame  # per 县 (with targets and progress when a targets file was given)
    matrix: pd.DataFrame  # ha, rows: class before, columns: class after (cells inside the units)
    county_matrices: pd.DataFrame  # long form: county, class before, class after, ha
    change_raster: np.ndarray  # int8: class after − class before, NODATA_CHANGE where either is missing
    grid: ClassGrid
    target_year: int | None
    county_method: str  # "divisions" or "attribute"


def _county_labels(units, divisions, division_field, grid, unit_labels, label, divisions_label):
    """(county label raster, county codes by label − 1, method)."""
    if divisions is not None:
        if division_field not in divisions.columns:
            raise InputError(
                divisions_label,
                f"缺少县代码字段 {division_field}",
                f"the county code field {division_field} is missing",
            )
        codes = [county_code(v, divisions_label, f"县界要素 {clean_code(v)}")[0] for v in divisions[division_field]]
        uniq = sorted(set(codes))
        feature_labels = rasterize(divisions, grid, divisions_label)
        lut = np.array([0] + [uniq.index(c) + 1 for c in codes], dtype=np.int32)
        return lut[feature_labels], uniq, "divisions"
    if "county_code" not in units.columns:
        raise InputError(
            label,
            "小流域图层没有 county_code 字段，也没有给出县界图层，无法按县统计",
            "the unit layer has no county_code field and no county layer was given; no per-county figures",
        )
    codes = [
        county_code(v, label, f"小流域 {clean_code(u)}")[0] for u, v in zip(units[UNIT_CODE], units["county_code"])
    ]
    uniq = sorted(set(codes))
    lut = np.array([0] + [uniq.index(c) + 1 for c in codes], dtype=np.int32)
    return lut[unit_labels], uniq, "attribute"


def _progress(counties: pd.DataFrame, targets: TargetsFile, target_year: int) -> pd.DataFrame:
    hier = jilin_hierarchy()
    bases = [
        CountyBase(
            code=row.code,
            name=row.name,
            prefecture=hier.parents.get(row.code, ""),
            assessed=int(round(row.paired_ha * 100)),
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
    feedback: Feedback | None = None,
) -> ChangeResult:
    """Every check first, then one counting pass over the paired rasters (see the module docstring)."""
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
    codes = [clean_code(c) for c in units[UNIT_CODE]]
    if "" in codes or len(set(codes)) != len(codes):
        raise InputError(
            units_label, f"字段 {UNIT_CODE} 有空值或重复值", f"field {UNIT_CODE} has empty or duplicate values"
        )
    check_ground_crs(units.crs, units_label)
    check_unit_polygons(units, codes, units_label)
    if targets is not None:
        targets.target(target_year if target_year is not None else -1, "targets")
    before = read_classes(before_path, before_label, kind, classes)
    after = read_classes(after_path, after_label, kind, classes)
    check_same_grid(before, after)
    unit_labels = rasterize(units, before, units_label)
    county_labels, county_codes, county_method = _county_labels(
        units, divisions, division_field, before, unit_labels, units_label, divisions_label
    )
    feedback.progress(10)
    n = len(classes.ids)
    unit_cube = _cube(unit_labels, before, after, len(units), n, feedback)
    county_cube = _cube(county_labels, before, after, len(county_codes), n, None)
    feedback.progress(80)
    unit_stats = _stats(unit_cube, n, classes.loss_from).iloc[1:].reset_index(drop=True)
    unit_stats.insert(0, "unit_code", codes)
    if "county_code" in units.columns:
        unit_stats.insert(1, "county_code", [clean_code(c) for c in units["county_code"]])
    county_stats = _stats(county_cube, n, classes.loss_from).iloc[1:].reset_index(drop=True)
    names = jilin_hierarchy().names
    county_stats.insert(0, "code", county_codes)
    county_stats.insert(1, "name", [names.get(c, "") for c in county_codes])
    if targets is not None and target_year is not None:
        county_stats = _progress(county_stats, targets, target_year)
    inside = unit_cube[1:, :n, :n].sum(axis=0) / 1e4
    matrix = pd.DataFrame(inside, index=list(classes.ids), columns=list(classes.ids))
    long_rows = [
        {"county": county_codes[c - 1], "from": classes.ids[i], "to": classes.ids[j], "ha": county_cube[c, i, j] / 1e4}
        for c in range(1, len(county_codes) + 1)
        for i in range(n)
        for j in range(n)
        if county_cube[c, i, j] > 0
    ]
    both = (before.classes >= 0) & (after.classes >= 0) & (unit_labels > 0)
    change = np.where(both, after.classes.astype(np.int16) - before.classes, NODATA_CHANGE).astype(np.int8)
    return ChangeResult(
        year_before,
        year_after,
        classes,
        unit_stats,
        county_stats,
        matrix,
        pd.DataFrame(long_rows, columns=["county", "from", "to", "ha"]),
        change,
        before,
        target_year if targets is not None else None,
        county_method,
    )


def write_change_raster(result: ChangeResult, path) -> None:
    """class after − class before (−5 … 5, Int16: GDAL 3.6 has no signed byte), NoData −128, on the rasters' grid."""
    from ..common.io import atomic_path

    gdal = _gdal()
    rows, cols = result.change_raster.shape
    t = result.grid.transform
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
        ds.SetProjection(result.grid.wkt)
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(NODATA_CHANGE)
        band.WriteArray(result.change_raster.astype(np.int16))  # numpy int8 would be written as unsigned bytes
        band.FlushCache()
        ds = None
