"""Indicators and zoning through real QGIS Processing, on files on disk."""

from __future__ import annotations

import csv
import json
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from qgis.core import QgsProcessingException, QgsVectorLayer
from rasterio.transform import from_origin
from shapely.geometry import box
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.paths import resources_path

from .conftest import run_alg

X0, Y0 = 42500000.0, 4800000.0
AEA = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=GRS80 +units=m"


def write_raster(path, data, transform, crs="EPSG:4530", nodata=None):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=data.dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data, 1)
    return str(path)


def square_units(transform, n_rows, n_cols, size, counties=("220521", "220621")):
    """A grid of square units of size×size cells, aligned to the raster grid."""
    t = transform
    geoms, codes, cc = [], [], []
    for i in range(n_rows):
        for j in range(n_cols):
            geoms.append(
                box(t.c + j * size * t.a, t.f + (i + 1) * size * t.e, t.c + (j + 1) * size * t.a, t.f + i * size * t.e)
            )
            codes.append(f"U{i}{j}")
            cc.append(counties[j * len(counties) // n_cols])
    return gpd.GeoDataFrame(
        {"unit_code": codes, "unit_name": codes, "county_code": cc, "county_name": ["县" + c for c in cc]},
        geometry=geoms,
        crs="EPSG:4530",
    )


@pytest.fixture()
def inputs(tmp_path):
    t = from_origin(X0, Y0, 30.0, 30.0)
    rows, cols = np.mgrid[0:120, 0:120]
    dem = (0.00003 * (cols * 30.0) ** 2 + 0.00012 * (rows * 30.0) ** 2 + 200).astype("float32")  # steep in the south
    rng = np.random.default_rng(2)
    # erosion grows southwards: the northern row of units stays below the treatment thresholds
    eroded = rng.random(dem.shape) < 0.05 + 0.9 * rows / 120
    eros = np.where(
        eroded, rng.choice([1000.0, 3000.0, 6000.0, 20000.0], size=dem.shape, p=[0.7, 0.2, 0.07, 0.03]), 100.0
    ).astype("float32")
    lu = rng.choice([1, 3, 4, 11], size=dem.shape, p=[0.1, 0.5, 0.3, 0.1]).astype("uint8")
    units = square_units(t, 3, 4, 30)
    units.to_file(tmp_path / "units.gpkg", layer="units", driver="GPKG")
    red = gpd.GeoDataFrame({"HXMC": ["r"]}, geometry=[box(X0 + 500, Y0 - 2000, X0 + 1700, Y0 - 300)], crs="EPSG:4530")
    red.to_file(tmp_path / "red.gpkg", layer="生态保护红线", driver="GPKG")
    return {
        "t": t,
        "dem": dem,
        "eros": eros,
        "lu": lu,
        "units": units,
        "red": red,
        "dir": tmp_path,
        "dem_path": write_raster(tmp_path / "dem.tif", dem, t, nodata=-9999.0),
        "eros_path": write_raster(tmp_path / "erosion.tif", eros, t, nodata=-1.0),
        "lu_path": write_raster(tmp_path / "landuse.tif", lu, t, nodata=0),
    }


def run_indicators(inputs, **extra):
    d = inputs["dir"]
    params = {
        "UNITS": f"{d / 'units.gpkg'}|layername=units",
        "DEM": inputs["dem_path"],
        "STEEP_DEG": 20.0,
        "EROSION": inputs["eros_path"],
        "LANDUSE": inputs["lu_path"],
        "REDLINE": f"{d / 'red.gpkg'}|layername=生态保护红线",
        "OUTPUT": str(d / "indicators.gpkg"),
        "METADATA": str(d / "indicators.meta.json"),
    }
    params.update(extra)
    return run_alg("unit_indicators", params)


def test_indicators_and_zoning_via_processing(plugin, inputs):
    d = inputs["dir"]
    out = run_indicators(inputs)
    ind = gpd.read_file(out["OUTPUT"], layer="units").set_index("unit_code")
    meta = json.loads((d / "indicators.meta.json").read_text(encoding="utf-8"))
    assert meta["results"]["grids"][0]["method"] == "label"  # squares on the grid
    # independent: gdaldem slope and plain numpy counts per square
    subprocess.run(["gdaldem", "slope", "-q", inputs["dem_path"], str(d / "slope_ref.tif")], check=True)
    with rasterio.open(d / "slope_ref.tif") as src:
        sref = src.read(1, masked=True).filled(np.nan)
    eros, lu = inputs["eros"], inputs["lu"]
    for i in range(3):
        for j in range(4):
            code = f"U{i}{j}"
            win = (slice(i * 30, (i + 1) * 30), slice(j * 30, (j + 1) * 30))
            s = sref[win]
            s = s[np.isfinite(s)]
            assert ind.loc[code, "steep_pct"] == pytest.approx(100 * (s >= 20).mean(), abs=1e-6)
            assert ind.loc[code, "slope_gt25_pct"] == pytest.approx(100 * (s > 25).mean(), abs=1e-6)
            e = eros[win]
            assert ind.loc[code, "loss_pct"] == pytest.approx(100 * (e >= 200).mean(), abs=1e-6)
            assert ind.loc[code, "moderate_plus_pct"] == pytest.approx(100 * (e >= 2500).mean(), abs=1e-6)
            assert ind.loc[code, "conservation_rate_pct"] == pytest.approx(100 * (e < 200).mean(), abs=1e-6)
            assert ind.loc[code, "forest_grass_pct"] == pytest.approx(100 * np.isin(lu[win], [3, 4]).mean(), abs=1e-6)
    red = unary_union(inputs["red"].to_crs(AEA).geometry.values)
    for code, g in zip(inputs["units"]["unit_code"], inputs["units"].to_crs(AEA).geometry):
        assert ind.loc[code, "redline_pct"] == pytest.approx(
            100 * g.intersection(red).area / g.area, rel=1e-3, abs=1e-9
        )

    z = run_alg(
        "zoning",
        {
            "INPUT": f"{out['OUTPUT']}|layername=units",
            "RULESET": 0,
            "RESTRICT_ZONE": 1,  # 重点预防区 only in 220621
            "RESTRICT_COUNTIES": "220621",
            "OUTPUT": str(d / "zoning.gpkg"),
            "SUMMARY": str(d / "summary.csv"),
            "METADATA": str(d / "zoning.meta.json"),
        },
    )
    zoned = gpd.read_file(z["OUTPUT"], layer="units").set_index("unit_code")
    rules = json.loads(resources_path("rules", "zoning_jilin.json").read_text(encoding="utf-8"))
    treat = next(t for t in rules["zone_types"] if t["id"] == "key_treatment")
    thr = {c["indicator"]: c["threshold"] for c in [treat["base"]] + treat["regional"] if c["indicator"] in ind.columns}
    expect_treat = np.logical_or.reduce([(ind[k] >= v).values for k, v in thr.items()])
    assert (zoned["zone_key_treatment"].values == expect_treat.astype(int)).all()
    prev = (ind["forest_grass_pct"].values >= 60) & ~expect_treat & (ind["county_code"].values == "220621")
    assert (zoned["zone_key_prevention"].values == prev.astype(int)).all()
    # the case is not trivial: some units treated, some prevented, some prevented only outside 220621
    assert 0 < expect_treat.sum() < len(expect_treat) and prev.sum() > 0
    assert ((ind["forest_grass_pct"].values >= 60) & ~expect_treat & (ind["county_code"].values != "220621")).any()
    assert (zoned["redline_flag"].values == (ind["redline_pct"] > 0).astype(int).values).all()
    assert set(zoned["rules_version"]) == {rules["version"]}
    # dissolved zones: areas per county equal the sum of member units (ellipsoidal)
    zones = gpd.read_file(z["OUTPUT"], layer="zones")
    for _, row in zones.iterrows():
        members = zoned.loc[row["unit_codes"].split(";")]
        assert row["area_km2"] == pytest.approx(members["unit_area_km2"].sum(), rel=1e-6)
    with open(z["SUMMARY"], encoding="utf-8-sig") as fh:
        summary = list(csv.DictReader(fh))
    assert [r["county_code"] for r in summary] == ["220521", "220621", "合计 total"]
    assert int(summary[-1]["key_treatment_units"]) == int(expect_treat.sum())
    meta = json.loads((d / "zoning.meta.json").read_text(encoding="utf-8"))
    assert meta["rules"]["zoning"]["version"] == rules["version"] and meta["parameters"]["restrict"] == {
        "key_prevention": ["220621"]
    }
    # the style loads and categorises by zone
    layer = QgsVectorLayer(z["UNITS_OUT"], "zoned", "ogr")
    assert layer.isValid()
    msg, ok = layer.loadNamedStyle(str(resources_path("styles", "zones.qml")))
    assert ok, msg
    assert layer.renderer().type() == "categorizedSymbol" and len(layer.renderer().categories()) == 5
    del layer


def test_missing_code_field_is_a_clear_error(plugin, inputs):
    d = inputs["dir"]
    inputs["units"].rename(columns={"unit_code": "code"}).to_file(d / "bad.gpkg", layer="units", driver="GPKG")
    with pytest.raises(QgsProcessingException, match="unit_code"):
        run_indicators(inputs, UNITS=f"{d / 'bad.gpkg'}|layername=units")


def test_negative_erosion_and_unknown_indicator(plugin, inputs):
    d = inputs["dir"]
    bad = inputs["eros"].copy()
    bad[10, 10] = -3
    path = write_raster(d / "neg.tif", bad, inputs["t"], nodata=-9999.0)
    with pytest.raises(QgsProcessingException, match="negative"):
        run_indicators(inputs, EROSION=path)
    out = run_indicators(inputs)
    rules = json.loads(resources_path("rules", "zoning_jilin.json").read_text(encoding="utf-8"))
    rules["zone_types"][0]["regional"][0]["indicator"] = "gully_density"
    (d / "bad_rules.json").write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(QgsProcessingException, match="unknown indicator 'gully_density'"):
        run_alg(
            "zoning",
            {
                "INPUT": f"{out['OUTPUT']}|layername=units",
                "RULES_FILE": str(d / "bad_rules.json"),
                "OUTPUT": str(d / "z.gpkg"),
                "SUMMARY": str(d / "z.csv"),
            },
        )
    assert not (d / "z.gpkg").exists()


def test_on_demo_region(plugin, tmp_path):
    """The demo region's rasters and red line, with square units of 1.5 km on its 30 m grid."""
    from soil_conservation_plugin.demo.region import generate_demo_region

    paths = generate_demo_region(tmp_path / "demo", scale=0.25)
    with rasterio.open(paths["dem"]) as src:
        t, h, w = src.transform, src.height, src.width
    with rasterio.open(paths["erosion"]) as src:
        eros = src.read(1, masked=True)
    units = square_units(t, h // 50, w // 50, 50, counties=("220521",))
    units.to_file(tmp_path / "units.gpkg", layer="units", driver="GPKG")
    out = run_alg(
        "unit_indicators",
        {
            "UNITS": f"{tmp_path / 'units.gpkg'}|layername=units",
            "DEM": str(paths["dem"]),
            "EROSION": str(paths["erosion"]),
            "LANDUSE": str(paths["landuse"]),
            "FVC": str(paths["fvc"]),
            "REDLINE": f"{paths['redline']}|layername=生态保护红线",
            "OUTPUT": str(tmp_path / "ind.gpkg"),
        },
    )
    ind = gpd.read_file(out["OUTPUT"], layer="units")
    assert len(ind) == len(units)
    # erosion per square against a direct count of the demo raster (NoData counts as no loss)
    for k, row in ind.iterrows():
        i, j = divmod(k, w // 50)
        e = eros[i * 50 : (i + 1) * 50, j * 50 : (j + 1) * 50]
        assert row["loss_pct"] == pytest.approx(100 * (e.filled(0) >= 200).sum() / e.size, abs=1e-6)
    assert ind["fvc_mean"].between(0, 1).all()
    z = run_alg(
        "zoning",
        {
            "INPUT": f"{out['OUTPUT']}|layername=units",
            "RULESET": 0,
            "OUTPUT": str(tmp_path / "z.gpkg"),
            "SUMMARY": str(tmp_path / "z.csv"),
        },
    )
    zoned = gpd.read_file(z["OUTPUT"], layer="units")
    assert (zoned["redline_flag"] == (ind["redline_pct"] > 0).astype(int)).all()
    assert (tmp_path / "z.meta.json").exists()


def test_csle_algorithm_on_a_plane(plugin, tmp_path):
    import math

    t = from_origin(X0, Y0, 30.0, 30.0)
    cols = np.arange(15)[None, :].repeat(15, 0)
    z = (cols * 30.0 * math.tan(math.radians(12.0)) + 50).astype("float64")
    dem = write_raster(tmp_path / "dem.tif", z, t, nodata=-9999.0)
    out = run_alg(
        "csle",
        {
            "DEM": dem,
            "R": 5000.0,
            "K": 0.005,
            "B": 0.2,
            "SLOPE_LENGTH": 60.0,
            "OUTPUT": str(tmp_path / "a.tif"),
            "CLASSES": str(tmp_path / "c.tif"),
        },
    )
    expected = 5000 * 0.005 * 0.2 * (60 / 22.13) ** 0.5 * (21.91 * math.sin(math.radians(12.0)) - 0.96) * 100
    with rasterio.open(out["OUTPUT"]) as src:
        a = src.read(1, masked=True)
    np.testing.assert_allclose(a[1:-1, 1:-1].data, expected, rtol=1e-4)
    with rasterio.open(out["CLASSES"]) as src:
        assert (src.read(1)[1:-1, 1:-1] == 3).all()  # 2 500–5 000: 中度
    assert 2500 <= expected < 5000
