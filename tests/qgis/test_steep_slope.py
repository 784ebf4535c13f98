"""soil_conservation:steep_slope through processing.run, on files on disk, checked against independent references."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProject, QgsVectorLayer
from rasterio import features
from scipy import ndimage

from soil_conservation_plugin.core.common.compat import affine_mul

from ..unit.steep_cases import UTM  # the same analytic ramps as the core tests (the utm_case fixture)
from ..unit.test_steep_slope import exact_reference, geod_area_ha, geod_cell_area
from ..util import gdaldem_slope
from .conftest import run_alg

FIELDS = {
    "patch_id",
    "parent_id",
    "cnty_code",
    "cnty_name",
    "twn_code",
    "twn_name",
    "area_ha",
    "slope_mean",
    "slope_max",
    "thresh_deg",
}


def read_csv(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def features_of(path):
    layer = QgsVectorLayer(str(path), "steep", "ogr")
    assert layer.isValid()
    names = set(layer.fields().names())
    rows = [{n: f[n] for n in names} | {"geom": f.geometry()} for f in layer.getFeatures()]
    crs = layer.crs().authid()
    del layer
    return names, rows, crs


def test_processing_run_on_synthetic_ramps(plugin, utm_case, tmp_path):
    case = utm_case
    out = tmp_path / "res" / "steep.gpkg"
    result = run_alg(
        "steep_slope",
        {
            "INPUT": str(case["dem"]),
            "COUNTY": case["county"].path,
            "COUNTY_CODE_FIELD": "code",
            "COUNTY_NAME_FIELD": "name",
            "TOWNSHIPS": case["twn"].path,
            "TOWNSHIP_CODE_FIELD": "tcode",
            "TOWNSHIP_NAME_FIELD": "tname",
            "WATER": case["excl"].path,
            "USE_WATER": True,
            "MIN_PATCH": 0,
            "OUTPUT": str(out),
        },
    )
    names, rows, crs = features_of(result["OUTPUT"])
    assert names >= FIELDS and crs == UTM
    ref_ha, _ = exact_reference(case, 20.0)  # default threshold: 吉林 20° from the county code 220521
    total = sum(r["area_ha"] for r in rows)
    assert total == pytest.approx(ref_ha, rel=1e-3)
    assert result["TOTAL_HA"] == pytest.approx(total, abs=0.01)
    assert all(r["thresh_deg"] == 20 for r in rows)
    county = read_csv(result["COUNTY_TABLE"])
    town = read_csv(result["TOWNSHIP_TABLE"])
    assert float(county[-1]["area_ha"]) == pytest.approx(total, abs=0.01)
    assert float(town[-1]["area_ha"]) == pytest.approx(total, abs=0.01)
    assert Path(result["XLSX"]).is_file() and Path(result["PATCH_LIST"]).is_file()
    meta = json.loads(Path(result["METADATA"]).read_text(encoding="utf-8"))
    assert meta["parameters"]["threshold_deg"] == 20 and meta["rules"]["steep_slope_threshold"][
        "confidence"
    ].startswith("V")
    assert meta["parameters"]["exclusions"][0]["enabled"] is True
    # switching the exclusion off gives back the excluded steep area
    result_off = run_alg(
        "steep_slope",
        {
            "INPUT": str(case["dem"]),
            "COUNTY": case["county"].path,
            "COUNTY_CODE_FIELD": "code",
            "WATER": case["excl"].path,
            "USE_WATER": False,
            "MIN_PATCH": 0,
            "OUTPUT": str(tmp_path / "off.gpkg"),
        },
    )
    assert result_off["TOTAL_HA"] == pytest.approx(exact_reference(case, 20.0, exclude=False)[0], rel=1e-3)
    assert result_off["TOTAL_HA"] > result["TOTAL_HA"]


def test_bad_threshold_is_a_bilingual_error(plugin, utm_case, tmp_path):
    case = utm_case
    out = tmp_path / "bad.gpkg"
    with pytest.raises(QgsProcessingException) as err:
        run_alg(
            "steep_slope",
            {
                "INPUT": str(case["dem"]),
                "COUNTY": case["county"].path,
                "COUNTY_CODE_FIELD": "code",
                "THRESHOLD": 95,
                "OUTPUT": str(out),
            },
        )
    assert "0–90" in str(err.value) and "坡度阈值" in str(err.value)
    assert not out.exists()


def test_style_and_legend_name(plugin, utm_case, tmp_path):
    """The output loads with resources/styles/steep_slope.qml and a legend naming the threshold."""
    case = utm_case
    out = tmp_path / "styled.gpkg"
    project = QgsProject()
    context = QgsProcessingContext()
    context.setProject(project)
    context.addLayerToLoadOnCompletion(str(out), QgsProcessingContext.LayerDetails("steep", project, "OUTPUT"))
    run_alg(
        "steep_slope",
        {
            "INPUT": str(case["dem"]),
            "COUNTY": case["county"].path,
            "COUNTY_CODE_FIELD": "code",
            "THRESHOLD": 25,
            "OUTPUT": str(out),
        },
        context=context,
    )
    details = context.layerToLoadOnCompletionDetails(str(out))
    assert details.postProcessor() is not None
    layer = QgsVectorLayer(str(out), "x", "ogr")
    details.postProcessor().postProcessLayer(layer, context, None)
    assert "25°" in layer.name() and "禁止开垦陡坡地" in layer.name()
    assert layer.renderer().type() == "singleSymbol"
    assert layer.attributeAlias(layer.fields().indexOf("area_ha")) == "面积(公顷)"
    del layer, project


def test_demo_region(plugin, tmp_path):
    """The demo county (通化县, synthetic terrain) with its 乡镇 and all three exclusions."""
    from soil_conservation_plugin.demo.region import generate_demo_region

    demo = generate_demo_region(tmp_path / "demo", scale=0.25)
    out = tmp_path / "demo_out" / "steep.gpkg"
    params = {
        "INPUT": str(demo["dem"]),
        "COUNTY": str(demo["county"]),
        "COUNTY_CODE_FIELD": "county_code",
        "COUNTY_NAME_FIELD": "county_name",
        "TOWNSHIPS": str(demo["townships"]),
        "TOWNSHIP_CODE_FIELD": "township_code",
        "TOWNSHIP_NAME_FIELD": "township_name",
        "FARMLAND": str(demo["farmland"]),
        "CONSTRUCTION": str(demo["construction"]),
        "WATER": str(demo["water"]),
        "OUTPUT": str(out),
    }
    result = run_alg("steep_slope", params)
    names, rows, crs = features_of(result["OUTPUT"])
    assert names >= FIELDS and len(rows) > 0
    # independent reference: gdaldem slope ≥ 20°; a cell counts with its exact area inside the county and outside the
    # exclusions (shapely per cell where a polygon edge crosses it); 8-connected patches whose clipped area ≥ 5 ha
    import geopandas as gpd
    from shapely.geometry import box
    from shapely.ops import unary_union

    slope = gdaldem_slope(demo["dem"], tmp_path / "ref_slope.tif")
    with rasterio.open(demo["dem"]) as src:
        t, shape = src.transform, (src.height, src.width)
    steep = (slope != -9999) & (slope >= 20)
    county_g = unary_union(list(gpd.read_file(demo["county"]).geometry))
    excl_polys = [g for k in ("farmland", "construction", "water") for g in gpd.read_file(demo[k]).geometry]
    excl_g = unary_union(excl_polys)

    def burn(geoms, touched=False):
        return features.rasterize([(g, 1) for g in geoms], out_shape=shape, transform=t, all_touched=touched).astype(
            bool
        )

    crossed = burn([county_g.boundary] + [g.boundary for g in excl_polys], touched=True)
    mask = steep & ((burn([county_g]) & ~burn(excl_polys)) | crossed)
    # whole cells: Geod areas at three columns of each row, quadratic in the column (the areal scale is smooth)
    h, w = shape
    cols3 = np.array([0, w // 2, w - 1])
    full = np.empty(shape)
    for r in range(h):
        a3 = geod_cell_area(t, crs, [r] * 3, cols3) / 1e4
        full[r] = np.polyval(np.polyfit(cols3, a3, 2), np.arange(w))
    cell_ha = np.where(mask, full, 0.0)
    for r, c in zip(*np.nonzero(mask & crossed)):
        b = box(*affine_mul(t, (c, r + 1)), *affine_mul(t, (c + 1, r)))
        inside = b.intersection(county_g)
        if inside.area <= 0 or any(g.contains(b) for g in excl_polys):
            mask[r, c] = False  # touches the county only along an edge, or wholly excluded
            continue
        cell_ha[r, c] = geod_area_ha(inside.difference(excl_g), crs) if not inside.is_empty else 0.0
    labels, n = ndimage.label(mask, structure=np.ones((3, 3)))
    sizes = np.bincount(labels.ravel(), weights=cell_ha.ravel())[1:]
    ref_total = sizes[sizes >= 5.0].sum()
    total = sum(r["area_ha"] for r in rows)
    assert total == pytest.approx(ref_total, rel=1e-3)
    assert len({r["parent_id"] for r in rows}) == int((sizes >= 5.0).sum())
    from shapely import wkt

    for r in rows:
        g = wkt.loads(r["geom"].asWkt())
        assert g.difference(county_g).area == pytest.approx(0, abs=1e-6)  # nothing outside the county
        assert g.intersection(excl_g).area == pytest.approx(0, abs=1e-6)
    for r in rows[:50]:
        assert geod_area_ha(wkt.loads(r["geom"].asWkt()), crs) == pytest.approx(r["area_ha"], rel=1e-4)
    town = read_csv(result["TOWNSHIP_TABLE"])
    assert len(town) - 1 >= 3  # every demo 乡镇 listed
    assert float(town[-1]["area_ha"]) == pytest.approx(total, abs=0.01)
    assert sum(float(r["area_ha"]) for r in town[:-1]) == pytest.approx(total, abs=0.01 * len(town))


def test_help_states_the_boundary_and_minimum_patch_rules(plugin):
    from qgis.core import QgsApplication

    alg = QgsApplication.processingRegistry().algorithmById("soil_conservation:steep_slope")
    text = alg.shortHelpString()
    assert "Boundary rule" in text and "clipped" in text and "乡镇" in text
    assert "after clipping to the county and erasing the exclusions" in text
    del alg
