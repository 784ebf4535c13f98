"""The one vector reader: encodings (.cpg spellings, GBK/UTF-8 detection, LDID), SHAPE_ENCODING leaks, Z/M."""

from __future__ import annotations

import pytest
from osgeo import gdal, ogr, osr

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.metadata import run_metadata
from soil_conservation_plugin.core.common.vector import normalise_encoding, read_vector, source_encoding

from ..conftest import shared_file
from .checks_layers import gbox, write_layer

NAMES = ["通化县", "长白朝鲜族自治县"]


def shapefile(tmp_path, encoding="CP936", cpg=False, ldid=None, name="乡镇.shp"):
    path = tmp_path / name
    write_layer(
        path,
        [(gbox(200 * k, 0, 200 * k + 100, 100), {"XZMC": n}) for k, n in enumerate(NAMES)],
        driver="ESRI Shapefile",
        fields=[("XZMC", ogr.OFTString)],
        options=[f"ENCODING={encoding}"],
    )
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = path.with_suffix(".dbf")
    raw = bytearray(dbf.read_bytes())
    assert NAMES[0].encode("gbk" if encoding == "CP936" else "utf-8") in raw
    raw[29] = ldid if ldid is not None else 0
    dbf.write_bytes(bytes(raw))
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        ("936", "GBK"),
        ("CP936", "GBK"),
        ("cp 936", "GBK"),
        ("GBK", "GBK"),
        ("GB2312", "GBK"),
        ("gb2312\n", "GBK"),
        ("UTF-8", "UTF-8"),
        ("utf8", "UTF-8"),
        ("65001", "UTF-8"),
        ("GB18030", "GB18030"),
        ("1252", "CP1252"),
    ],
)
def test_cpg_spellings(text, expected):
    assert normalise_encoding(text) == expected


@pytest.mark.parametrize("cpg_text", ["936", "CP936", "GBK", "GB2312"])
def test_gbk_with_a_cpg_in_any_spelling(tmp_path, cpg_text):
    path = shapefile(tmp_path)
    path.with_suffix(".cpg").write_text(cpg_text, encoding="ascii")
    gdf = read_vector(path, "乡镇")
    assert list(gdf["XZMC"]) == NAMES and gdf.attrs["encoding"] == "GBK (.cpg)"


def test_detection_without_cpg(tmp_path):
    gbk = read_vector(shapefile(tmp_path, name="gbk.shp"), "乡镇")
    assert list(gbk["XZMC"]) == NAMES and gbk.attrs["encoding"] == "GBK (DBF bytes)"
    utf8 = read_vector(shapefile(tmp_path, encoding="UTF-8", name="utf8.shp"), "乡镇")
    assert list(utf8["XZMC"]) == NAMES and utf8.attrs["encoding"] == "UTF-8 (DBF bytes)"
    ldid = read_vector(shapefile(tmp_path, ldid=0x4D, name="ldid.shp"), "乡镇")  # LDID 0x4D = code page 936
    assert list(ldid["XZMC"]) == NAMES and ldid.attrs["encoding"] == "GBK (LDID)"


def test_a_cpg_that_lies_is_refused(tmp_path):
    path = shapefile(tmp_path)
    path.with_suffix(".cpg").write_text("UTF-8", encoding="ascii")
    with pytest.raises(InputError) as err:
        read_vector(path, "乡镇 townships")
    assert err.value.layer == "乡镇 townships" and "GBK" in err.value.zh and "fix the .cpg" in err.value.en


def test_shape_encoding_config_does_not_leak_in(tmp_path):
    """QGIS sets SHAPE_ENCODING process-wide; the explicit ENCODING open option must win."""
    gbk = shapefile(tmp_path)
    saved = gdal.GetConfigOption("SHAPE_ENCODING")
    try:
        for leaked in ("", "UTF-8", "ISO-8859-1"):
            gdal.SetConfigOption("SHAPE_ENCODING", leaked)
            assert list(read_vector(gbk, "乡镇")["XZMC"]) == NAMES
    finally:
        gdal.SetConfigOption("SHAPE_ENCODING", saved)


def test_real_jilin_counties_utf8_cpg(shared_data):
    shp = shared_file(shared_data, "jilin_counties", "jilin_province.shp")
    saved = gdal.GetConfigOption("SHAPE_ENCODING")
    gdal.SetConfigOption("SHAPE_ENCODING", "")
    try:
        gdf = read_vector(shp, "county")
    finally:
        gdal.SetConfigOption("SHAPE_ENCODING", saved)
    assert len(gdf) == 60 and gdf.attrs["encoding"] == "UTF-8 (.cpg)"
    assert dict(zip(gdf["adcode"], gdf["name"]))["220521"] == "通化县"
    meta = run_metadata("test", {"county": shp}, {})
    assert meta["inputs"]["county"]["encoding"] == "UTF-8 (.cpg)"


def test_z_and_m_are_dropped(tmp_path):
    path = tmp_path / "zm.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4530)
    lyr = ds.CreateLayer("county", srs, ogr.wkbPolygonZM)
    feat = ogr.Feature(lyr.GetLayerDefn())
    feat.SetGeometry(ogr.CreateGeometryFromWkt("POLYGON ZM ((0 0 5 1,10 0 5 1,10 10 5 1,0 0 5 1))"))
    lyr.CreateFeature(feat)
    ds = None
    gdf = read_vector(path, "county")
    geom = gdf.geometry.iloc[0]
    assert not geom.has_z and geom.wkt == "POLYGON ((0 0, 10 0, 10 10, 0 0))"
    assert source_encoding(path) == "UTF-8"


def test_missing_file_and_layer(tmp_path):
    with pytest.raises(InputError) as err:
        read_vector(tmp_path / "nope.shp", "县界")
    assert err.value.layer == "县界"
    path = write_layer(tmp_path / "a.gpkg", [(gbox(0, 0, 1, 1), {})])
    with pytest.raises(InputError) as err:
        read_vector(f"{path}|layername=other", "县界")
    assert "other" in err.value.en
