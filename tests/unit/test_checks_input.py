"""Bad input to the checks: a 三区三线 FileGDB with Chinese layer names, a GBK shapefile without .cpg,
mismatched CRSs."""

from __future__ import annotations

import pytest
from osgeo import gdal, ogr

from soil_conservation_plugin.core.checks.inputs import list_layers, looks_garbled, read_vector, sniff_encoding
from soil_conservation_plugin.core.checks.quality import CheckOptions, read_redline, run_checks
from soil_conservation_plugin.core.common.errors import InputError

from .checks_layers import gbox, geod_area, to_4490, write_layer

NAMES = ["通化县红线一", "长白山红线二"]


def test_filegdb_with_chinese_layer_names(tmp_path):
    assert int(gdal.VersionInfo()) >= 3060000  # OpenFileGDB can write from GDAL 3.6
    gdb = tmp_path / "三区三线下发版.gdb"
    red = to_4490(gbox(0, 0, 400, 400))
    write_layer(
        gdb,
        [(red, {"HXMC": NAMES[0], "HXLX": "水源涵养"})],
        epsg=4490,
        driver="OpenFileGDB",
        layer_name="陆域生态保护红线",
        fields=[("HXMC", ogr.OFTString), ("HXLX", ogr.OFTString)],
    )
    ds = ogr.Open(str(gdb), 1)
    other = ds.CreateLayer("城镇开发边界", ds.GetLayer(0).GetSpatialRef(), ogr.wkbMultiPolygon)
    assert other is not None
    ds = None
    assert sorted(list_layers(gdb)) == sorted(["陆域生态保护红线", "城镇开发边界"])

    data = read_redline(gdb)  # picks 陆域生态保护红线 among several layers
    assert data.layer_name == "陆域生态保护红线"
    assert [row["HXMC"] for row in data.attrs] == [NAMES[0]]
    assert data.garbled_sample == ""
    explicit = read_redline(f"{gdb}|layername=陆域生态保护红线")
    assert len(explicit) == 1
    with pytest.raises(InputError) as err:
        read_vector(gdb, "红线")  # two layers, no preference given
    assert "陆域生态保护红线" in err.value.zh and "城镇开发边界" in err.value.en
    with pytest.raises(InputError):
        read_redline(gdb, layer_name="不存在")

    patches = write_layer(tmp_path / "steep.gpkg", [(gbox(300, 300, 600, 600), {})])
    result = run_checks(
        read_vector(patches, "steep"), CheckOptions(kind="steep_slope", required_fields={}), redline=data
    )
    got = sorted(i.rule_id for i in result.issues)
    assert got == ["CRS-002", "RL-004"]  # red line in EPSG:4490 reprojected to the patches' EPSG:4530
    rl = next(i for i in result.issues if i.rule_id == "RL-004")
    assert rl.value == pytest.approx(geod_area(gbox(300, 300, 400, 400)), abs=0.01)


def _gbk_shapefile(tmp_path):
    path = tmp_path / "红线_gbk.shp"
    write_layer(
        path,
        [(gbox(200 * k, 0, 200 * k + 100, 100), {"HXMC": n}) for k, n in enumerate(NAMES)],
        driver="ESRI Shapefile",
        fields=[("HXMC", ogr.OFTString)],
        options=["ENCODING=CP936"],
    )
    cpg = path.with_suffix(".cpg")
    if cpg.exists():
        cpg.unlink()
    raw = path.with_suffix(".dbf").read_bytes()
    assert NAMES[0].encode("gbk") in raw and raw[29] == 0  # GBK bytes, no language driver id
    return path


def test_gbk_shapefile_without_cpg_is_detected(tmp_path):
    """No .cpg, no LDID: the DBF bytes say GBK; the names come out right and the encoding is said."""
    path = _gbk_shapefile(tmp_path)
    data = read_vector(path, "红线")
    assert [r["HXMC"] for r in data.attrs] == NAMES
    assert data.encoding == "GBK (DBF bytes)" and data.garbled_sample == ""
    assert [i.rule_id for i in run_checks(data, CheckOptions(required_fields={})).issues] == []


def test_gbk_shapefile_with_the_user_chosen_encoding(tmp_path):
    path = _gbk_shapefile(tmp_path)
    data = read_vector(path, "红线", encoding="GBK")
    assert [r["HXMC"] for r in data.attrs] == NAMES
    assert data.garbled_sample == ""
    assert [i.rule_id for i in run_checks(data, CheckOptions()).issues] == []
    # a user's wrong choice that still decodes: refused before any check, both readings shown and
    # the right encoding named (it used to be an ENC-001 issue of a check that ran on mojibake)
    with pytest.raises(InputError) as err:
        read_vector(path, "红线", encoding="ISO-8859-1")
    assert err.value.layer == "红线" and NAMES[0] in err.value.zh and "Í¨»¯" in err.value.zh
    assert "ENCODING" in err.value.en and "to GBK" in err.value.en and "the encoding you chose" in err.value.en


def test_mojibake_heuristics():
    gbk = NAMES[0].encode("gbk")
    assert looks_garbled(gbk.decode("latin-1"))
    assert looks_garbled(NAMES[0].encode("utf-8").decode("gbk", "replace"))
    assert not looks_garbled(NAMES[0]) and not looks_garbled("Changbai 220521") and not looks_garbled("")
    assert sniff_encoding([gbk]) == "GBK"
    assert sniff_encoding([NAMES[1].encode("utf-8")]) == "UTF-8"
    assert sniff_encoding([b"plain"]) == ""
    # a DBF field cut in the middle of a character: decoded as the shapefile reader does
    assert sniff_encoding([gbk[:-1]]) == "GBK"
    assert sniff_encoding([NAMES[1].encode("utf-8")[:-1]]) == "UTF-8"


def test_mismatched_crs_boundary_is_reprojected(tmp_path):
    county = write_layer(tmp_path / "county_wgs.gpkg", [(to_4490(gbox(0, 0, 1000, 1000)), {})], epsg=4326)
    units = write_layer(tmp_path / "units.gpkg", [(gbox(0, 0, 1000, 500), {}), (gbox(0, 500, 1200, 1000), {})])
    result = run_checks(
        read_vector(units, "units"), CheckOptions(kind="generic", covers=True), boundary=read_vector(county, "县界")
    )
    got = sorted((i.rule_id, i.layer) for i in result.issues)
    assert got == [("BND-001", "units"), ("BND-002", "units"), ("CRS-001", "县界"), ("CRS-002", "县界")]
    out = next(i for i in result.issues if i.rule_id == "BND-001")
    assert out.feature_id == "2" and out.value == pytest.approx(geod_area(gbox(1000, 500, 1200, 1000)), abs=0.01)


def test_cpg_is_honoured_even_when_shape_encoding_is_blanked(tmp_path):
    """QGIS blanks SHAPE_ENCODING process-wide; a .cpg saying 936 (GBK) must still be used."""
    path = _gbk_shapefile(tmp_path)
    path.with_suffix(".cpg").write_text("936", encoding="ascii")
    saved = gdal.GetConfigOption("SHAPE_ENCODING")
    gdal.SetConfigOption("SHAPE_ENCODING", "")
    try:
        data = read_vector(path, "红线")
    finally:
        gdal.SetConfigOption("SHAPE_ENCODING", saved)
    assert [r["HXMC"] for r in data.attrs] == NAMES and data.encoding == "GBK (.cpg)" and not data.garbled_sample
