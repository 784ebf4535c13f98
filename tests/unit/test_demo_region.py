"""The built-in demo region: deterministic, on one CGCS2000 grid, and realistic enough to run the product on."""

from __future__ import annotations

import itertools
import json
import math

import geopandas as gpd
import numpy as np
import pyflwdir
import pytest
import rasterio
import rasterio.features
from osgeo import ogr
from pyproj import CRS, Transformer
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.io import file_sha256
from soil_conservation_plugin.core.terrain.slope import SLOPE_NODATA, compute_slope
from soil_conservation_plugin.demo.region import NAMES, generate_demo_region, main

SCALE = 0.25
RASTERS = ("dem", "landuse", "fvc", "erosion")
VECTORS = ("county", "townships", "redline", "farmland", "construction", "water")
LAYERS = {
    "county": "county",
    "townships": "townships",
    "redline": "生态保护红线",
    "farmland": "farmland",
    "construction": "construction",
    "water": "water",
}
# 通化县's 10 镇 and 5 乡 as listed by NBS 统计用区划代码 (independent of the recipe file)
NBS_TOWNSHIPS = {
    "220521100": "快大茂镇", "220521101": "二密镇", "220521102": "果松镇", "220521103": "石湖镇",
    "220521104": "大安镇", "220521105": "光华镇", "220521106": "兴林镇", "220521107": "英额布镇",
    "220521108": "三棵榆树镇", "220521109": "西江镇", "220521200": "富江乡", "220521201": "四棚乡",
    "220521202": "东来乡", "220521203": "大泉源满族朝鲜族乡", "220521204": "金斗朝鲜族满族乡",
}  # fmt: skip
SL190_BOUNDS = [200, 2500, 5000, 8000, 15000]  # t/(km²·a), SL 190-2007 NE black-soil region


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_a")
    return generate_demo_region(out, scale=SCALE)


@pytest.fixture(scope="module")
def region_again(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo_b")
    return generate_demo_region(out, scale=SCALE)


def read(path, masked=True):
    with rasterio.open(path) as src:
        return src.read(1, masked=masked)


def gdf(paths, name):
    return gpd.read_file(paths[name], layer=LAYERS[name])


def slope_of(dem_path, tmp_path):
    out = tmp_path / "slope.tif"
    compute_slope(dem_path, out)
    with rasterio.open(out) as src:
        s = src.read(1)
    return np.ma.masked_equal(s, SLOPE_NODATA)


def county_mask(paths, like):
    county = gdf(paths, "county")
    with rasterio.open(like) as src:
        return rasterio.features.rasterize(
            [(g, 1) for g in county.geometry], out_shape=src.shape, transform=src.transform
        ).astype(bool)


# ---------------------------------------------------------------- determinism and files


def test_returns_every_output_and_writes_no_partials(region):
    assert set(region) == set(NAMES)
    out_dir = region["dem"].parent
    for path in region.values():
        assert path.is_file() and path.stat().st_size > 0
    assert not [p for p in out_dir.iterdir() if ".partial-" in p.name]
    readme = (out_dir / "README.txt").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "合成" in readme
    run = json.loads((out_dir / "region.json").read_text(encoding="utf-8"))
    assert run["synthetic"] is True and run["run"]["scale"] == SCALE and isinstance(run["run"]["seed"], int)


def test_same_seed_and_scale_give_identical_files(region, region_again):
    for name in NAMES:
        assert file_sha256(region[name]) == file_sha256(region_again[name]), name
    for name in VECTORS:  # and the same features, read back
        a, b = gdf(region, name), gdf(region_again, name)
        assert list(a.columns) == list(b.columns)
        assert a.drop(columns="geometry").equals(b.drop(columns="geometry"))
        assert [g.wkb for g in a.geometry] == [g.wkb for g in b.geometry]


def test_another_seed_gives_another_region(region, tmp_path):
    other = generate_demo_region(tmp_path, seed=7, scale=0.1)
    with rasterio.open(other["dem"]) as src:
        assert src.crs.to_epsg() == 4530
    first = read(region["dem"])[: read(other["dem"]).shape[0], : read(other["dem"]).shape[1]]
    assert not np.array_equal(first.filled(0), read(other["dem"]).filled(0))


# ---------------------------------------------------------------- CRS, grid, location


def test_crs_is_cgcs2000_gk_zone_42_everywhere(region):
    crs = CRS.from_epsg(4530)
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == 126 and params["False easting"] == 42500000
    assert crs.datum.name.startswith("China 2000")
    for name in RASTERS:
        with rasterio.open(region[name]) as src:
            assert src.crs.to_epsg() == 4530, name
    for name in VECTORS:
        assert gdf(region, name).crs.to_epsg() == 4530, name
        ds = ogr.Open(str(region[name]))
        assert [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())] == [LAYERS[name]]
        ds = None


def test_rasters_share_one_30m_grid_near_tonghua(region):
    grids = []
    for name in RASTERS:
        with rasterio.open(region[name]) as src:
            grids.append((src.crs.to_wkt(), tuple(src.transform), src.width, src.height))
    assert all(g == grids[0] for g in grids)
    with rasterio.open(region["dem"]) as src:
        assert src.res == (30.0, 30.0)
        b = src.bounds
        assert src.dtypes[0] == "float32" and src.nodata == -9999
    assert (b.right - b.left) == pytest.approx(40_000 * SCALE, rel=0.01)
    assert (b.top - b.bottom) == pytest.approx(50_000 * SCALE, rel=0.01)
    lon, lat = Transformer.from_crs(4530, 4490, always_xy=True).transform(
        (b.left + b.right) / 2, (b.bottom + b.top) / 2
    )
    assert lon == pytest.approx(125.9, abs=0.02) and lat == pytest.approx(41.7, abs=0.02)
    with rasterio.open(region["landuse"]) as src:
        assert src.dtypes[0] == "uint8" and src.nodata == 0


# ---------------------------------------------------------------- county and townships


def test_county_is_real_code_inside_valid_dem(region):
    county = gdf(region, "county")
    assert len(county) == 1
    assert county.loc[0, "county_code"] == "220521" and county.loc[0, "county_name"] == "通化县"
    geom = county.geometry[0]
    assert geom.is_valid
    with rasterio.open(region["dem"]) as src:
        b = src.bounds
    margin = min(geom.bounds[0] - b.left, geom.bounds[1] - b.bottom, b.right - geom.bounds[2], b.top - geom.bounds[3])
    assert margin > 500.0
    dem = read(region["dem"])
    inside = county_mask(region, region["dem"])
    assert not dem.mask[inside].any()  # the county interior has data
    assert dem.mask.any()  # a NoData margin exists outside it


def test_townships_partition_the_county(region):
    county = gdf(region, "county").geometry[0]
    towns = gdf(region, "townships")
    assert 3 <= len(towns) < 15
    assert towns.geometry.is_valid.all()
    union = unary_union(list(towns.geometry))
    assert abs(union.area - county.area) <= 1e-6 * county.area
    assert union.symmetric_difference(county).area <= 1e-6 * county.area
    for a, b in itertools.combinations(towns.geometry, 2):
        assert a.intersection(b).area <= 1.0
    assert sum(g.area for g in towns.geometry) == pytest.approx(county.area, rel=1e-6)


def test_township_codes_are_the_real_nbs_ones(region):
    towns = gdf(region, "townships")
    assert (towns["county_code"] == "220521").all()
    for code, name in zip(towns["township_code"], towns["township_name"]):
        assert len(code) == 9 and code.isdigit() and code.startswith("220521")
        assert NBS_TOWNSHIPS[code] == name
    assert towns["township_code"].is_unique
    assert "220521100" in set(towns["township_code"])  # 快大茂镇, the county seat, always present


# ---------------------------------------------------------------- terrain


def test_slope_has_steep_and_flat_ground(region, tmp_path):
    slope = slope_of(region["dem"], tmp_path)
    inside = county_mask(region, region["dem"])
    s = slope[inside].compressed()
    assert (s >= 25).sum() > 100
    assert (s < 2).sum() > 1000
    assert s.max() < 60


def test_dem_is_drainage_consistent_with_a_valley_network(region):
    with rasterio.open(region["dem"]) as src:
        z = src.read(1).astype(np.float64)
        transform = src.transform
    valid = z != -9999
    assert z[valid].min() > 240 and z[valid].max() < 1400
    filled, _ = pyflwdir.dem.fill_depressions(z, nodata=-9999)
    depth = (filled - z)[valid]
    assert depth.max() < 1.0  # no real pits: D8 routes every cell to an edge
    flw = pyflwdir.from_dem(z, nodata=-9999, transform=transform)
    upa = flw.upstream_area("km2")
    assert upa.max() > 0.5 * valid.sum() * 900 / 1e6  # one main river drains most of the region
    assert (upa > 1.0).sum() > 200  # and a branching network feeds it


# ---------------------------------------------------------------- land use, cover, erosion


def test_landuse_follows_terrain_and_polygons(region, tmp_path):
    lu = read(region["landuse"])
    codes = set(np.unique(lu.compressed()).tolist())
    assert codes <= {1, 2, 3, 4, 7, 10, 11, 12}
    assert {1, 3, 7, 11} <= codes
    slope = slope_of(region["dem"], tmp_path)
    both = ~lu.mask & ~slope.mask
    mean = {c: float(slope[both & (lu == c)].mean()) for c in (1, 3)}
    assert mean[3] > 2 * mean[1]  # forest on the steep ground, cropland on the plain
    with rasterio.open(region["landuse"]) as src:
        shape, transform = src.shape, src.transform
    for name, code in (("water", 11), ("construction", 7)):
        burnt = rasterio.features.rasterize(
            [(g, 1) for g in gdf(region, name).geometry], out_shape=shape, transform=transform
        ).astype(bool)
        assert np.array_equal(burnt, (lu == code).filled(False)), name


def test_fvc_is_a_fraction_consistent_with_land_use(region):
    fvc, lu = read(region["fvc"]), read(region["landuse"])
    assert np.array_equal(fvc.mask, lu.mask)
    v = fvc.compressed()
    assert v.min() >= 0.0 and v.max() <= 1.0
    assert (fvc[lu == 11] == 0).all()
    assert fvc[lu == 3].min() >= 0.7 and fvc[lu == 3].max() <= 0.95
    assert fvc[lu == 1].min() >= 0.3 and fvc[lu == 1].max() <= 0.6
    assert fvc[lu == 7].max() < 0.2


def test_erosion_is_non_negative_and_spans_sl190_classes(region):
    ero, lu = read(region["erosion"]), read(region["landuse"])
    assert np.array_equal(ero.mask, lu.mask)
    v = ero.compressed()
    assert v.min() >= 0.0
    classes = np.digitize(v, SL190_BOUNDS)
    counts = np.bincount(classes, minlength=6)
    assert (counts > 0).sum() >= 3
    assert counts[:2].sum() > 0.7 * v.size  # mostly 微度/轻度
    assert (ero[lu == 11] == 0).all() and (ero[lu == 7] == 0).all()


# ---------------------------------------------------------------- protection layers


def test_redline_farmland_and_other_layers(region, tmp_path):
    county = gdf(region, "county").geometry[0]
    red = gdf(region, "redline")
    assert len(red) >= 2 and red.geometry.is_valid.all()
    assert {"HXMC", "HXLX"} <= set(red.columns)
    assert all(n.startswith("通化县") and "生态保护红线" in n for n in red["HXMC"])
    assert any(g.intersects(county.boundary) for g in red.geometry)  # some cross the county line
    lu, dem = read(region["landuse"]), read(region["dem"])
    with rasterio.open(region["dem"]) as src:
        in_red = rasterio.features.rasterize(
            [(g, 1) for g in red.geometry], out_shape=src.shape, transform=src.transform
        ).astype(bool)
    assert np.isin(lu[in_red].compressed(), (3, 4, 12)).mean() > 0.9  # forested mountains
    assert dem[in_red].mean() > np.percentile(dem.compressed(), 75)  # and high ones
    farm = gdf(region, "farmland")
    assert len(farm) > 0 and farm.geometry.is_valid.all() and (farm["DLMC"] == "耕地").all()
    slope = slope_of(region["dem"], tmp_path)
    with rasterio.open(region["dem"]) as src:
        burnt = rasterio.features.rasterize(
            [(g, 1) for g in farm.geometry], out_shape=src.shape, transform=src.transform
        ).astype(bool)
    s = slope[burnt].compressed()
    assert 0 < (s >= 20).sum() < 0.02 * s.size  # the exclusion of steep cells matters, a little
    assert (lu[burnt] == 1).mean() > 0.95  # basic farmland lies on cropland
    for name in ("construction", "water"):
        g = gdf(region, name)
        assert len(g) > 0 and g.geometry.is_valid.all()


# ---------------------------------------------------------------- supervision data


def _kinds(region) -> dict:
    return json.loads((region["dem"].parent / "region.json").read_text(encoding="utf-8"))["run"]["disturbance_kinds"]


def test_disturbance_patches_carry_the_mapped_fields_and_lie_where_their_kind_says(region, tmp_path):
    from soil_conservation_plugin.core.common.paths import resources_path

    mapping = json.loads(resources_path("rules", "disturbance_fields.json").read_text(encoding="utf-8"))
    names = [
        f["zh"] for f in mapping["fields"].values()
    ]  # 图斑编号, 扰动面积, 扰动类型, 项目名称, 建设单位, 批复情况, 下发年度
    now = gpd.read_file(region["disturbance"], layer="扰动图斑")
    before = gpd.read_file(region["disturbance_previous"], layer="扰动图斑")
    for g, year in ((now, 2025), (before, 2024)):
        assert set(names) <= set(g.columns)
        assert g["图斑编号"].is_unique and g.geometry.is_valid.all() and (g.geometry.area > 0).all()
        assert (g["下发年度"] == year).all()
        assert g.crs == CRS.from_epsg(4530)
    assert set(now["批复情况"]) <= {"已批复", "未批复"} and "status" in before.columns
    assert ((now["扰动面积"] - now.geometry.area / 1e4).abs() <= 0.06 * now["扰动面积"] + 0.01).all()
    kinds = _kinds(region)
    placed = [p for k in ("steep", "redline", "prevention", "plain", "outside") for p in kinds[k]]
    assert sorted(placed) == sorted(now["图斑编号"])
    by_id = now.set_index("图斑编号").geometry
    county = gdf(region, "county").geometry[0]
    red = gdf(region, "redline").geometry.unary_union
    for pid in kinds["outside"]:
        assert not by_id[pid].intersects(county)
    for pid in kinds["redline"]:
        assert red.contains(by_id[pid].centroid)
    for pid in kinds["steep"] + kinds["prevention"] + kinds["plain"]:
        assert county.contains(by_id[pid])
    lu = read(region["landuse"])
    slope = slope_of(region["dem"], tmp_path)
    with rasterio.open(region["dem"]) as src:
        for pid in kinds["steep"]:  # cultivated, with ground of 20° and more
            cells = rasterio.features.rasterize([(by_id[pid], 1)], out_shape=src.shape, transform=src.transform) == 1
            assert (lu[cells] == 1).mean() >= 0.1 and (slope[cells] >= 20).sum() > 0, pid
    # last year: about half at the same place (one 已销号), plus some not issued again
    same, closed = kinds["previous_same_place"], kinds["closed_last_year"]
    assert 0 < len(same) < len(now) and len(closed) == 1 and set(closed) <= set(same)
    assert len(before) > len(same) and (before["status"] == "已销号").sum() >= 1
    for pid in same:
        overlap = max(by_id[pid].intersection(g).area for g in before.geometry) / by_id[pid].area
        assert overlap >= 0.5, pid


def test_second_erosion_year_is_a_plausible_change_of_the_first(region):
    a, b, lu = read(region["erosion"]), read(region["erosion_later"]), read(region["landuse"])
    with rasterio.open(region["erosion"]) as s1, rasterio.open(region["erosion_later"]) as s2:
        assert (s1.transform, s1.shape, s1.crs, s1.nodata) == (s2.transform, s2.shape, s2.crs, s2.nodata)
        assert s2.tags()["YEAR"] == "2025"
    assert np.array_equal(a.mask, b.mask)
    assert b.compressed().min() >= 0.0
    assert (b[np.isin(lu.filled(0), (7, 10, 11))] == 0).all()
    ratio = (b / np.ma.masked_less(a, 10.0)).compressed()
    assert ratio.min() > 0.1 and ratio.max() < 10.0  # a change, not a new map
    loss_a, loss_b = a.filled(0) >= 200, b.filled(0) >= 200
    assert (loss_a & ~loss_b).sum() > 100 and (loss_b & ~loss_a).sum() > 100  # some land improves, some worsens
    h, w = a.shape  # and whole blocks (about the size of a small watershed) do so
    blocks = [
        int(loss_b[r : r + 60, c : c + 60].sum()) - int(loss_a[r : r + 60, c : c + 60].sum())
        for r in range(0, h - 59, 60)
        for c in range(0, w - 59, 60)
    ]
    assert min(blocks) < 0 < max(blocks)


# ---------------------------------------------------------------- arguments and CLI


@pytest.mark.parametrize("scale", [0.0, -1.0, 5.0, float("nan"), "big"])
def test_bad_scale_is_refused_before_work(tmp_path, scale):
    with pytest.raises(InputError) as err:
        generate_demo_region(tmp_path / "x", scale=scale)
    assert err.value.layer == "scale" and err.value.zh and err.value.en
    assert not (tmp_path / "x").exists()


def test_bad_seed_is_refused(tmp_path):
    with pytest.raises(InputError):
        generate_demo_region(tmp_path, seed=-3, scale=0.1)


def test_cli_writes_the_region(tmp_path, capsys):
    assert main([str(tmp_path / "cli"), "--scale", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "dem:" in out and (tmp_path / "cli" / "dem.tif").is_file()
    assert main([str(tmp_path / "cli2"), "--scale", "9"]) == 2


# ---------------------------------------------------------------- full size headline numbers


def test_full_scale_headline_numbers(tmp_path):
    paths = generate_demo_region(tmp_path / "full")
    with rasterio.open(paths["dem"]) as src:
        b = src.bounds
        assert (src.width, src.height) == (1334, 1667)
    assert (b.right - b.left) / 1000 == pytest.approx(40.0, abs=0.1)
    assert (b.top - b.bottom) / 1000 == pytest.approx(50.0, abs=0.1)
    county = gdf(paths, "county").geometry[0]
    assert 1200e6 <= county.area <= 1600e6
    towns = gdf(paths, "townships")
    assert sorted(towns["township_code"]) == sorted(NBS_TOWNSHIPS)
    union = unary_union(list(towns.geometry))
    assert union.symmetric_difference(county).area <= 1e-6 * county.area
    for a, c in itertools.combinations(towns.geometry, 2):
        assert a.intersection(c).area <= 1.0
    slope = slope_of(paths["dem"], tmp_path)
    inside = county_mask(paths, paths["dem"])
    s = slope[inside].compressed()
    assert 0.10 <= (s >= 20).mean() <= 0.25
    assert 0.05 <= (s >= 25).mean() <= 0.15
    assert (s > 35).sum() > 1000
    assert (s < 2).mean() > 0.1
    # 30–50 km² tributary basins exist for 小流域 delineation
    with rasterio.open(paths["dem"]) as src:
        flw = pyflwdir.from_dem(src.read(1).astype(np.float64), nodata=-9999, transform=src.transform)
    upa = flw.upstream_area("km2").ravel()
    ds = flw.idxs_ds
    own = np.arange(upa.size)
    tributary = (upa >= 30) & (upa <= 50) & (ds != own) & (upa[ds] > 1.5 * upa)
    assert tributary.sum() >= 3
    ero = read(paths["erosion"]).compressed()
    assert (np.bincount(np.digitize(ero, SL190_BOUNDS), minlength=6) > 0).all()  # all six SL 190 classes
    assert not math.isnan(float(ero.mean()))
