"""Found in the trial (branch trial): a GBK shapefile read with a wrong encoding is taken silently
when that encoding is not UTF-8 (the parameter ENCODING=BIG5 / LATIN1 / CP1252, or a .cpg saying
1252). Every Chinese text of the checked patches and of the 核查清单 becomes mojibake
(演示项目01（合成） → 栳尨砐醴01ㄗ磁傖ㄘ with BIG5, ÑÝÊ¾ÏîÄ¿01£¨ºÏ³É£© with CP1252), and since
批复情况 未批复 is no longer recognised the risk classes change (demo region: 重点核查 7 → 4).
The log line even says "文本编码 / text encoding GBK (DBF bytes)" while the run used CP950.
ENCODING=UTF-8 on the same file is refused ("the text looks like GBK"): the other wrong
encodings should be refused the same way.

Reproduction through qgis_process (demo region):
    ogr2ogr -f "ESRI Shapefile" -lco ENCODING=GBK gbk_ascii.shp disturbance_2025.gpkg \
        -sql 'SELECT "图斑编号" AS TBBH, "项目名称" AS XMMC, "批复情况" AS PFQK, geom FROM "扰动图斑"'
    rm gbk_ascii.cpg
    qgis_process run soil_conservation:disturbance_check -- PATCHES=gbk_ascii.shp ENCODING=BIG5 ...
"""

from __future__ import annotations

import geopandas as gpd
import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.disturbance.run import run_check

from .disturbance_layers import GK, b, scene


def gbk_shapefile(tmp_path, cpg: str | None):
    shp = tmp_path / "issued.shp"
    gpd.GeoDataFrame(
        {"TBBH": ["吉T001", "吉T002"], "XMMC": ["通化县某采石场", "演示项目（合成）"], "PFQK": ["未批复", "已批复"]},
        geometry=[b(400, 100, 700, 300), b(2400, 100, 2700, 300)],
        crs=GK,
    ).to_file(str(shp), driver="ESRI Shapefile", encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    if cpg is not None:
        shp.with_suffix(".cpg").write_text(cpg, encoding="ascii")
    assert "通化县".encode("gbk") in shp.with_suffix(".dbf").read_bytes()
    return str(shp)


@pytest.mark.parametrize("encoding", ["BIG5", "CP1252"])
def test_a_wrong_encoding_given_for_a_gbk_shapefile_is_refused(tmp_path, encoding):
    inputs = scene(tmp_path)
    inputs.patches = gbk_shapefile(tmp_path, cpg=None)
    inputs.encoding = encoding
    with pytest.raises(InputError), output_set():
        run_check(inputs)


def test_a_wrong_cpg_on_a_gbk_shapefile_is_refused(tmp_path):
    inputs = scene(tmp_path)
    inputs.patches = gbk_shapefile(tmp_path, cpg="1252")
    with pytest.raises(InputError), output_set():
        run_check(inputs)


def test_the_refusal_shows_both_readings_and_names_the_encoding_to_choose(tmp_path):
    from soil_conservation_plugin.core.common.vector import read_vector

    path = gbk_shapefile(tmp_path, cpg=None)
    with pytest.raises(InputError) as err:
        read_vector(path, "扰动图斑 disturbance patches", encoding="CP1252")
    e = err.value
    assert e.layer == "扰动图斑 disturbance patches"
    assert "演示项目（合成）" in e.zh and "ÑÝÊ¾ÏîÄ¿" in e.zh and "您选择的编码" in e.zh and "ENCODING" in e.zh
    assert "the encoding you chose" in e.en and "parameter ENCODING) to GBK" in e.en and "user" not in e.en
    with pytest.raises(InputError) as err:
        read_vector(gbk_shapefile(tmp_path, cpg="1252"), "扰动图斑")
    assert ".cpg" in err.value.zh and "fix the .cpg file to say GBK" in err.value.en


def test_utf8_chosen_for_a_gbk_shapefile_names_the_choice_not_a_cpg(tmp_path):
    from soil_conservation_plugin.core.common.vector import read_vector

    with pytest.raises(InputError) as err:
        read_vector(gbk_shapefile(tmp_path, cpg=None), "扰动图斑", encoding="UTF-8")
    e = err.value
    assert "您选择的编码" in e.zh and ".cpg" not in e.zh and "来自 user" not in e.zh
    assert "the encoding you chose" in e.en and ".cpg" not in e.en and "parameter ENCODING) to GBK" in e.en


def test_the_right_encodings_are_still_taken(tmp_path):
    """GBK chosen for a GBK file, BIG5 for a Big5 one: no false alarm, the log and metadata say the same."""
    from soil_conservation_plugin.core.common.metadata import run_metadata
    from soil_conservation_plugin.core.common.vector import read_vector, source_encoding

    path = gbk_shapefile(tmp_path, cpg=None)
    gdf = read_vector(path, "扰动图斑", encoding="GBK")
    assert list(gdf["XMMC"]) == ["通化县某采石场", "演示项目（合成）"] and gdf.attrs["encoding"] == "GBK (user)"
    assert source_encoding(path, "扰动图斑", "GBK") == "GBK (user)"
    assert run_metadata("t", {"patches": path}, {}, encoding="GBK")["inputs"]["patches"]["encoding"] == "GBK (user)"
    big5 = tmp_path / "big5.shp"
    names = ["臺灣省新北市板橋區", "臺中市西屯區"]
    gpd.GeoDataFrame({"MC": names}, geometry=[b(0, 0, 10, 10), b(20, 0, 30, 10)], crs=GK).to_file(
        str(big5), driver="ESRI Shapefile", encoding="CP950"
    )
    big5.with_suffix(".cpg").unlink(missing_ok=True)
    assert list(read_vector(big5, "图层", encoding="BIG5")["MC"]) == names
