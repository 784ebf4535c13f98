"""County names through the steep-slope outputs inside QGIS (where QGIS sets SHAPE_ENCODING):
the real Jilin shapefile (UTF-8 with .cpg) and a GBK shapefile without .cpg, via processing.run
and qgis_process."""

from __future__ import annotations

import csv
import json

import numpy as np
import openpyxl
import pytest
from osgeo import gdal, ogr
from qgis.core import QgsProcessingFeedback, QgsVectorLayer
from rasterio.transform import from_origin

from ..conftest import shared_file
from ..util import write_raster
from .conftest import run_alg
from .test_slope_algorithm import qgis_process

TONGHUA = "通化县"


def dem_over_jilin(path):
    """A 0.04° DEM over all of Jilin (every county must hold data), a ramp of about 30° (x in degrees at 43.5°N)."""
    x0, y0, cell, w, h = 121.5, 46.4, 0.04, 250, 145
    metres_per_cell = cell * 111320 * np.cos(np.radians(43.5))
    z = np.tile(np.arange(w, dtype=np.float32) * metres_per_cell * np.tan(np.radians(30)), (h, 1))
    return write_raster(path, z, "EPSG:4326", from_origin(x0, y0, cell, cell))


def gbk_copy_of_tonghua(shared_data, tmp_path):
    """通化县 from the Jilin layer written as GBK, with no .cpg and no LDID."""
    src = ogr.Open(str(shared_file(shared_data, "jilin_counties", "jilin_province.shp")))
    feat = next(f for f in src.GetLayer(0) if f.GetField("adcode") == "220521")
    path = tmp_path / "gbk" / "县界.shp"
    path.parent.mkdir()
    saved = gdal.GetConfigOption("SHAPE_ENCODING")
    gdal.SetConfigOption("SHAPE_ENCODING", None)  # QGIS's blank value would make the writer ignore ENCODING
    try:
        ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(path))
        lyr = ds.CreateLayer("县界", src.GetLayer(0).GetSpatialRef(), ogr.wkbPolygon, options=["ENCODING=CP936"])
        for name in ("adcode", "name"):
            lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
        out = ogr.Feature(lyr.GetLayerDefn())
        out.SetField("adcode", "220521")
        out.SetField("name", TONGHUA)
        out.SetGeometry(feat.GetGeometryRef().Clone())
        lyr.CreateFeature(out)
        ds = None
    finally:
        gdal.SetConfigOption("SHAPE_ENCODING", saved)
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert TONGHUA.encode("gbk") in path.with_suffix(".dbf").read_bytes()
    return path


def names_in_outputs(out_gpkg):
    """通化县 rows of the county CSV, the XLSX and the GeoPackage, by county code."""
    stem = out_gpkg.with_suffix("")
    with open(f"{stem}_county.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    csv_names = {r[i] for r in rows[1:] for i, v in enumerate(r) if "220521" in r and v == TONGHUA}
    wb = openpyxl.load_workbook(f"{stem}.xlsx", read_only=True)
    xlsx_cells = {
        str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None
    }
    wb.close()
    layer = QgsVectorLayer(str(out_gpkg), "steep", "ogr")
    gpkg_names = {f["cnty_name"] for f in layer.getFeatures() if f["cnty_code"] == "220521"}
    del layer
    all_text = " ".join(str(c) for r in rows for c in r) + " ".join(xlsx_cells)
    return csv_names, xlsx_cells, gpkg_names, all_text


def run_steep(dem, county, out, feedback=None):
    return run_alg(
        "steep_slope",
        {
            "INPUT": str(dem),
            "COUNTY": str(county),
            "COUNTY_CODE_FIELD": "adcode",
            "COUNTY_NAME_FIELD": "name",
            "THRESHOLD": 15,
            "MIN_PATCH": 0,
            "OUTPUT": str(out),
        },
        feedback=feedback,
    )


class Log(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.lines = []

    def pushInfo(self, info):  # noqa: N802 (QGIS API)
        self.lines.append(info)
        super().pushInfo(info)


def test_jilin_utf8_names_inside_qgis(plugin, shared_data, tmp_path):
    shp = shared_file(shared_data, "jilin_counties", "jilin_province.shp")
    dem = dem_over_jilin(tmp_path / "dem.tif")
    out = tmp_path / "res" / "steep.gpkg"
    log = Log()
    run_steep(dem, shp, out, log)
    csv_names, xlsx_cells, gpkg_names, text = names_in_outputs(out)
    assert csv_names == {TONGHUA} and TONGHUA in xlsx_cells and gpkg_names == {TONGHUA}
    assert "é" not in text and "\ufffd" not in text
    assert any("UTF-8 (.cpg)" in line for line in log.lines)
    meta = json.loads(out.with_name("steep.meta.json").read_text(encoding="utf-8"))
    assert meta["inputs"]["county"]["encoding"] == "UTF-8 (.cpg)"


def test_gbk_without_cpg_inside_qgis(plugin, shared_data, tmp_path):
    shp = gbk_copy_of_tonghua(shared_data, tmp_path)
    dem = dem_over_jilin(tmp_path / "dem.tif")
    out = tmp_path / "res" / "steep.gpkg"
    log = Log()
    run_steep(dem, shp, out, log)
    csv_names, xlsx_cells, gpkg_names, _ = names_in_outputs(out)
    assert csv_names == {TONGHUA} and TONGHUA in xlsx_cells and gpkg_names == {TONGHUA}
    assert any("GBK (DBF bytes)" in line for line in log.lines)
    meta = json.loads(out.with_name("steep.meta.json").read_text(encoding="utf-8"))
    assert meta["inputs"]["county"]["encoding"] == "GBK (DBF bytes)"


@pytest.mark.parametrize("which", ["jilin_utf8_cpg", "gbk_no_cpg"])
def test_names_through_qgis_process(packaged_profile, shared_data, tmp_path, which):
    shp = (
        shared_file(shared_data, "jilin_counties", "jilin_province.shp")
        if which == "jilin_utf8_cpg"
        else gbk_copy_of_tonghua(shared_data, tmp_path)
    )
    dem = dem_over_jilin(tmp_path / "dem.tif")
    out = tmp_path / "qp" / "steep.gpkg"
    run = qgis_process(
        packaged_profile,
        "run",
        "soil_conservation:steep_slope",
        "--",
        f"INPUT={dem}",
        f"COUNTY={shp}",
        "COUNTY_CODE_FIELD=adcode",
        "COUNTY_NAME_FIELD=name",
        "THRESHOLD=15",
        "MIN_PATCH=0",
        f"OUTPUT={out}",
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    csv_names, xlsx_cells, gpkg_names, text = names_in_outputs(out)
    assert csv_names == {TONGHUA} and TONGHUA in xlsx_cells and gpkg_names == {TONGHUA}
    assert "é" not in text
    assert ("UTF-8 (.cpg)" if which == "jilin_utf8_cpg" else "GBK (DBF bytes)") in run.stdout
