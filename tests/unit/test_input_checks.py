"""Strict input checks, refused before any work: duplicate codes, NoData counties, tiny DEMs,
mislabelled geographic CRSs, truncated rasters, network sources (never contacted), VRT hashes."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import rasterio
from osgeo import ogr

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.input_checks import raster_files
from soil_conservation_plugin.core.common.metadata import run_metadata
from soil_conservation_plugin.core.common.vector import read_vector
from soil_conservation_plugin.core.steep.delineation import SteepOptions, delineate
from soil_conservation_plugin.core.steep.inputs import VectorInput
from soil_conservation_plugin.core.terrain.dem import open_dem
from soil_conservation_plugin.core.watersheds.delineation import read_counties

from ..util import write_raster
from .checks_layers import T, gbox, ramp, write_layer

FIELDS = [("code", ogr.OFTString), ("name", ogr.OFTString)]


def counties(tmp_path, rows, name="county.gpkg"):
    return write_layer(tmp_path / name, [(g, {"code": c, "name": n}) for g, c, n in rows], fields=FIELDS)


def vin(path, label="县界 county"):
    return VectorInput(str(path), code_field="code", name_field="name", label=label)


def test_duplicate_county_codes_with_different_names_are_refused(tmp_path):
    dem = ramp(tmp_path / "dem.tif")
    path = counties(
        tmp_path,
        [
            (gbox(0, 0, 500, 1000), "220521", "通化县"),
            (gbox(500, 0, 1000, 1000), "220521", "集安市"),
            (gbox(0, 0, 10, 10), "220523", "辉南县"),
        ],
    )
    with pytest.raises(InputError) as err:
        delineate(dem, vin(path), options=SteepOptions(threshold=15, min_patch_ha=0))
    assert err.value.layer == "县界 county" and "220521: 通化县 / 集安市" in err.value.zh and "220521" in err.value.en
    assert "220523" not in err.value.zh
    with pytest.raises(InputError) as err:  # the watershed step reads counties on its own path
        read_counties(path, None, "code", "name", open_dem(dem), "县界 counties")
    assert "220521: 通化县 / 集安市" in err.value.zh


def test_a_multipart_county_is_fine(tmp_path):
    dem = ramp(tmp_path / "dem.tif")
    path = counties(
        tmp_path, [(gbox(0, 0, 500, 1000), "220521", "通化县"), (gbox(500, 0, 1000, 1000), "220521", "通化县")]
    )
    res = delineate(dem, vin(path), options=SteepOptions(threshold=15, min_patch_ha=0))
    assert res.patch_count == 1


def test_duplicate_township_codes_are_refused(tmp_path):
    dem = ramp(tmp_path / "dem.tif")
    county = counties(tmp_path, [(gbox(0, 0, 1000, 1000), "220521", "通化县")])
    twn = counties(
        tmp_path,
        [(gbox(0, 0, 500, 1000), "220521100", "快大茂镇"), (gbox(500, 0, 1000, 1000), "220521100", "二密镇")],
        "twn.gpkg",
    )
    with pytest.raises(InputError) as err:
        delineate(
            dem, vin(county), townships=vin(twn, "乡镇 townships"), options=SteepOptions(threshold=15, min_patch_ha=0)
        )
    assert err.value.layer == "乡镇 townships" and "快大茂镇 / 二密镇" in err.value.zh


def test_dem_all_nodata_inside_a_county_is_refused(tmp_path):
    dem = ramp(tmp_path / "dem.tif", nodata_cols=50)  # the west half is NoData
    path = counties(
        tmp_path, [(gbox(0, 0, 400, 1000), "220521", "通化县"), (gbox(600, 0, 1000, 1000), "220523", "辉南县")]
    )
    with pytest.raises(InputError) as err:
        delineate(dem, vin(path), options=SteepOptions(threshold=15, min_patch_ha=0))
    assert err.value.layer == "DEM" and "220521 通化县" in err.value.zh and "NoData" in err.value.en
    assert "220523" not in err.value.zh


@pytest.mark.parametrize("size", [1, 2])
def test_dems_too_small_for_a_3x3_window(tmp_path, size):
    dem = write_raster(tmp_path / "tiny.tif", np.ones((size, size), np.float32), "EPSG:4530", T)
    with pytest.raises(InputError) as err:
        open_dem(dem, "DEM")
    assert f"{size}×{size}" in err.value.zh and "3×3" in err.value.en
    assert open_dem(write_raster(tmp_path / "three.tif", np.ones((3, 3), np.float32), "EPSG:4530", T)).width == 3


def test_projected_metres_labelled_geographic_are_refused(tmp_path):
    dem = write_raster(tmp_path / "dem.tif", np.ones((10, 10), np.float32), "EPSG:4326", T)  # metres under a 4326 label
    with pytest.raises(InputError) as err:
        open_dem(dem, "DEM")
    assert "±180/±90" in err.value.zh and "projected metres" in err.value.en
    layer = write_layer(tmp_path / "county.gpkg", [(gbox(0, 0, 100, 100), {})], epsg=4326)
    with pytest.raises(InputError) as err:
        read_vector(layer, "县界")
    assert err.value.layer == "县界" and "±180/±90" in err.value.en


def test_truncated_geotiff_is_refused_up_front(tmp_path):
    z = np.random.default_rng(1).random((512, 512), dtype=np.float32)
    good = tmp_path / "good.tif"
    with rasterio.open(
        good,
        "w",
        driver="GTiff",
        width=512,
        height=512,
        count=1,
        dtype="float32",
        crs="EPSG:4530",
        transform=T,
        tiled=True,
        blockxsize=128,
        blockysize=128,
    ) as dst:
        dst.write(z, 1)
    assert open_dem(good).width == 512
    bad = tmp_path / "truncated.tif"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(InputError) as err:
        open_dem(bad, "侵蚀 erosion")
    assert err.value.layer == "侵蚀 erosion" and "truncated or corrupt" in err.value.en


def vrt_of(path, source, relative=False):
    path.write_text(
        f'<VRTDataset rasterXSize="100" rasterYSize="100"><SRS>EPSG:4530</SRS>'
        f"<GeoTransform>{T.c}, 10, 0, {T.f}, 0, -10</GeoTransform>"
        f'<VRTRasterBand dataType="Float32" band="1"><NoDataValue>-9999</NoDataValue><SimpleSource>'
        f'<SourceFilename relativeToVRT="{int(relative)}">{source}</SourceFilename><SourceBand>1</SourceBand>'
        f"</SimpleSource></VRTRasterBand></VRTDataset>",
        encoding="utf-8",
    )
    return path


def test_a_local_vrt_with_a_network_source_is_refused_untouched(tmp_path, http_server):
    url, hits = http_server
    vrt = vrt_of(tmp_path / "dem.vrt", f"/vsicurl/{url}")
    with pytest.raises(InputError) as err:
        open_dem(vrt, "DEM")
    assert "/vsicurl/" in err.value.zh and "referenced by dem.vrt" in err.value.en
    assert hits == []  # no request reached the server


@pytest.mark.parametrize(
    "path",
    [
        "/vsicurl/http://example.org/a.tif",
        "/vsis3/bucket/a.tif",
        "/vsigs/b/a.tif",
        "/vsiaz/c/a.tif",
        "https://example.org/a.tif",
        "ftp://example.org/a.tif",
        "/vsizip//vsicurl/http://x/a.zip/a.tif",
    ],
)
def test_network_paths_are_refused(path):
    with pytest.raises(InputError) as err:
        raster_files(path, "DEM")
    assert "network" in err.value.en


def test_metadata_hashes_the_files_behind_a_vrt(tmp_path):
    (tmp_path / "tiles").mkdir()
    src = ramp(tmp_path / "tiles" / "a.tif")
    vrt = vrt_of(tmp_path / "dem.vrt", "tiles/a.tif", relative=True)
    assert open_dem(vrt).width == 100
    meta = run_metadata("slope", {"dem": vrt}, {})
    assert meta["inputs"]["dem"]["sha256"] == hashlib.sha256(vrt.read_bytes()).hexdigest()
    assert meta["inputs"]["dem"]["sources"] == [
        {"path": str(src), "sha256": hashlib.sha256(src.read_bytes()).hexdigest()}
    ]
