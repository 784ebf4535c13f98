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
