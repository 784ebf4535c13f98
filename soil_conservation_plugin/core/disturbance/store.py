"""The result GeoPackage: the patch layer, the 销号 status table and its log, written and read with OGR.

Written through core/common/io.py atomic_path: inside a run's output set all three go in together
with the 核查清单; other layers of an existing GeoPackage are kept.
"""

from __future__ import annotations

from pathlib import Path

from pyproj import CRS
from shapely import wkb

from ..common.errors import InputError
from ..common.geo import polygonal
from ..common.io import atomic_path

PATCHES_LAYER = "disturbance_patches"
STATUS_TABLE = "disturbance_status"
LOG_TABLE = "disturbance_status_log"

# (name, OGR type, Chinese alias); names ASCII, ≤ 10 characters where a Shapefile export may follow
PATCH_FIELDS = [
    ("patch_id", "String", "图斑编号"),
    ("year", "String", "下发年度"),
    ("dist_type", "String", "扰动类型"),
    ("project", "String", "项目名称"),
    ("builder", "String", "建设单位"),
    ("approval", "String", "批复情况"),
    ("appr_state", "String", "批复判定"),
    ("issued_ha", "Real", "下发扰动面积(公顷)"),
    ("area_ha", "Real", "图斑面积(公顷)"),
    ("cnty_code", "String", "县代码"),
    ("cnty_name", "String", "县名称"),
    ("cnty_pct", "Real", "在该县占比(%)"),
    ("twn_code", "String", "乡镇代码"),
    ("twn_name", "String", "乡镇名称"),
    ("unit_code", "String", "小流域代码"),
    ("unit_name", "String", "小流域名称"),
    ("steep_ha", "Real", "禁止开垦陡坡地(公顷)"),
    ("steep_pct", "Real", "禁止开垦陡坡地占比(%)"),
    ("kp_ha", "Real", "重点预防区(公顷)"),
    ("kp_pct", "Real", "重点预防区占比(%)"),
    ("kt_ha", "Real", "重点治理区(公顷)"),
    ("kt_pct", "Real", "重点治理区占比(%)"),
    ("severe_ha", "Real", "水土流失严重区域(公顷)"),
    ("severe_pct", "Real", "水土流失严重区域占比(%)"),
    ("fragile_ha", "Real", "生态脆弱区域(公顷)"),
    ("fragile_pct", "Real", "生态脆弱区域占比(%)"),
    ("red_ha", "Real", "生态保护红线(公顷)"),
    ("red_pct", "Real", "生态保护红线占比(%)"),
    ("lu_main", "String", "主要地类"),
    ("crop_pct", "Real", "耕地占比(%)"),
    ("lu_shares", "String", "地类构成(JSON)"),
    ("risk", "String", "风险等级代码"),
    ("risk_zh", "String", "风险等级"),
    ("risk_rank", "Integer", "风险次序"),
    ("rule", "String", "判定规则"),
    ("rule_zh", "String", "判定规则说明"),
    ("rules_all", "String", "触发的全部规则"),
    ("risk_audit", "String", "判定依据(JSON)"),
    ("yoy", "String", "年度对比代码"),
    ("yoy_zh", "String", "年度对比"),
    ("prev_id", "String", "上年图斑编号"),
    ("prev_year", "String", "上年下发年度"),
    ("prev_stat", "String", "上年核查状态"),
    ("prev_pct", "Real", "与上年图斑重叠比例(%)"),
    ("status", "String", "核查状态"),
    ("verdict", "String", "核查结论"),
    ("checked_on", "String", "核查日期"),
    ("rectify_on", "String", "整改日期"),
    ("closed_on", "String", "销号日期"),
    ("comment", "String", "备注"),
    ("reviewer", "String", "核查人"),
    ("rules_ver", "String", "规则版本"),
]
STATUS_FIELDS = [
    ("patch_id", "String", "图斑编号"),
    ("year", "String", "下发年度"),
    ("status", "String", "核查状态"),
    ("verdict", "String", "核查结论"),
    ("checked_on", "String", "核查日期"),
    ("rectify_on", "String", "整改日期"),
    ("closed_on", "String", "销号日期"),
    ("comment", "String", "备注"),
    ("reviewer", "String", "核查人"),
    ("updated_at", "String", "更新时间"),
]
LOG_FIELDS = [
    ("patch_id", "String", "图斑编号"),
    ("year", "String", "下发年度"),
    ("from_stat", "String", "原状态"),
    ("to_stat", "String", "新状态"),
    ("verdict", "String", "核查结论"),
    ("on_date", "String", "日期"),
    ("comment", "String", "备注"),
    ("reviewer", "String", "核查人"),
    ("recorded", "String", "记录时间"),
]
STATUS_COLUMNS = ("status", "verdict", "checked_on", "rectify_on", "closed_on", "comment", "reviewer")


def _ogr():
    from osgeo import gdal, ogr, osr

    gdal.UseExceptions()
    ogr.UseExceptions()
    return gdal, ogr, osr


def _srs(crs: CRS | None):
    _, _, osr = _ogr()
    if crs is None:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(crs.to_wkt())
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _layer(ds, name: str, srs, fields, geom: bool, description: str = ""):
    _, ogr, _ = _ogr()
    options = ["FID=fid", "GEOMETRY_NAME=geom"] + ([f"DESCRIPTION={description}"] if description else [])
    lyr = ds.CreateLayer(name, srs if geom else None, ogr.wkbMultiPolygon if geom else ogr.wkbNone, options=options)
    types = {"String": ogr.OFTString, "Integer": ogr.OFTInteger, "Real": ogr.OFTReal}
    for fname, ftype, alias in fields:
        fd = ogr.FieldDefn(fname, types[ftype])
        fd.SetAlternativeName(alias)
        lyr.CreateField(fd)
    return lyr


def _write_rows(lyr, fields, rows: list[dict], geoms=None) -> None:
    _, ogr, _ = _ogr()
    defn = lyr.GetLayerDefn()
    lyr.StartTransaction()
    for n, row in enumerate(rows):
        f = ogr.Feature(defn)
        for name, ftype, _ in fields:
            value = row.get(name)
            if value is None or (ftype == "Real" and value != value):
                continue  # NULL: not given (an area of a layer that was not given); texts stay '' when empty
            f.SetField(name, value)
        g = geoms[n] if geoms is not None else None
        if g is not None and not g.is_empty:
            f.SetGeometry(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkb(bytes(polygonal(g).wkb))))
        lyr.CreateFeature(f)
    lyr.CommitTransaction()


def write_result(path, crs: CRS, patches: list[dict], geoms: list, status: list, log: list[dict]) -> None:
    """The three layers; ``status``: StatusRecord objects (rows via as_row(), geometry)."""
    gdal, ogr, _ = _ogr()
    srs = _srs(crs)
    with atomic_path(path) as tmp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp))
        try:
            lyr = _layer(ds, PATCHES_LAYER, srs, PATCH_FIELDS, True, "疑似违法违规扰动图斑 核查 / disturbance patches")
            _write_rows(lyr, PATCH_FIELDS, patches, geoms)
            lyr = _layer(ds, STATUS_TABLE, srs, STATUS_FIELDS, True, "销号 status, kept across re-runs")
            _write_rows(lyr, STATUS_FIELDS, [s.as_row() for s in status], [s.geometry for s in status])
            lyr = _layer(ds, LOG_TABLE, None, LOG_FIELDS, False, "销号 status changes")
            _write_rows(lyr, LOG_FIELDS, log)
        finally:
            lyr = ds = None  # closed before atomic_path moves it


def _read_layer(ds, name: str, fields) -> tuple[list[dict], list, CRS | None] | None:
    lyr = ds.GetLayerByName(name)
    if lyr is None:
        return None
    srs = lyr.GetSpatialRef()
    crs = CRS.from_wkt(srs.ExportToWkt()) if srs is not None else None
    rows, geoms = [], []
    for f in lyr:
        row = {}
        for fname, ftype, _ in fields:
            if f.GetFieldIndex(fname) < 0 or not f.IsFieldSetAndNotNull(fname):
                row[fname] = float("nan") if ftype == "Real" else ("" if ftype == "String" else None)
            else:
                row[fname] = f.GetField(fname)
        g = f.GetGeometryRef()
        geoms.append(wkb.loads(bytes(g.ExportToIsoWkb())) if g is not None and not g.IsEmpty() else None)
        rows.append(row)
    return rows, geoms, crs


def read_tables(path) -> dict:
    """Whatever of the three layers ``path`` holds: name → (rows, geometries, crs); {} without a file."""
    gdal, _, _ = _ogr()
    if not Path(path).is_file() or not Path(path).stat().st_size:
        return {}
    try:
        ds = gdal.OpenEx(str(path), gdal.OF_VECTOR)
    except RuntimeError as exc:
        raise InputError(str(path), f"无法读取 GeoPackage: {exc}", f"cannot read the GeoPackage: {exc}") from exc
    out = {}
    try:
        for name, fields in ((PATCHES_LAYER, PATCH_FIELDS), (STATUS_TABLE, STATUS_FIELDS), (LOG_TABLE, LOG_FIELDS)):
            got = _read_layer(ds, name, fields)
            if got is not None:
                out[name] = got
    finally:
        ds = None
    return out
