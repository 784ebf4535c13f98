"""Import/validate of an official 小流域 layer through real QGIS Processing."""

from __future__ import annotations

import csv
import json

import geopandas as gpd
import pytest
from qgis.core import QgsProcessingException, QgsVectorLayer
from shapely.geometry import box

from .conftest import run_alg

X0, Y0, S = 42_500_000.0, 4_800_000.0, 5_000.0


def official(tmp_path, overlap=False):
    rows = []
    for r in range(3):
        for c in range(3):
            g = box(
                X0 + c * S - (800 if overlap and (r, c) == (0, 1) else 0),
                Y0 - (r + 1) * S,
                X0 + (c + 1) * S,
                Y0 - r * S,
            )
            rows.append(
                {
                    "WSCD": f"22010100{r}{c}",
                    "WSNM": f"第{r}{c}号",
                    "XYWSCD": f"22010100{r + 1}{c}" if r < 2 else "",
                    "geometry": g,
                }
            )
    gpd.GeoDataFrame(rows, crs="EPSG:4530").to_file(tmp_path / "official.shp", encoding="utf-8")
    gpd.GeoDataFrame(
        {"adcode": ["220101"], "name": ["某县"]}, geometry=[box(X0, Y0 - 3 * S, X0 + 3 * S, Y0)], crs="EPSG:4530"
    ).to_file(tmp_path / "county.gpkg", driver="GPKG")
    return tmp_path / "official.shp"


def params(tmp_path, shp, **kw):
    p = {
        "INPUT": str(shp),
        "CODE_FIELD": "WSCD",
        "NAME_FIELD": "WSNM",
        "DOWN_FIELD": "XYWSCD",
        "COUNTIES": str(tmp_path / "county.gpkg"),
        "COUNTY_CODE_FIELD": "adcode",
        "COUNTY_NAME_FIELD": "name",
        "MIN_AREA": 20.0,
        "MAX_AREA": 30.0,
        "OUTPUT": str(tmp_path / "units.gpkg"),
        "REPORT": str(tmp_path / "report.csv"),
        "TOPOLOGY": str(tmp_path / "topology.csv"),
        "METADATA": str(tmp_path / "meta.json"),
    }
    p.update(kw)
    return p


def test_clean_layer_imports_as_unit_layer(plugin, tmp_path):
    shp = official(tmp_path)
    out = run_alg("import_units", params(tmp_path, shp))
    assert out["ERRORS"] == 0
    layer = QgsVectorLayer(out["UNITS"], "units", "ogr")
    assert layer.isValid() and layer.featureCount() == 9
    feats = {f["unit_code"]: f for f in layer.getFeatures()}
    assert feats["2201010000"]["down_code"] == "2201010010"
    assert feats["2201010010"]["up_codes"] == "2201010000"
    assert feats["2201010000"]["unit_name"] == "第00号" and feats["2201010000"]["county_name"] == "某县"
    # 5 km squares in GK zone 42 near its central meridian: ≈ 25 km² each on the ellipsoid
    assert all(abs(f["area_km2"] - 25.0) < 0.05 for f in feats.values())
    meta = json.loads((tmp_path / "meta.json").read_text(encoding="utf-8"))
    assert meta["results"]["coverage"] == pytest.approx(1.0, abs=1e-6)
    del layer


def test_overlap_reported_and_strict_fails(plugin, tmp_path):
    shp = official(tmp_path, overlap=True)
    with pytest.raises(QgsProcessingException) as err:
        run_alg("import_units", params(tmp_path, shp, STRICT=True))
    assert "validation found" in str(err.value) and "校验发现" in str(err.value)
    with open(tmp_path / "report.csv", encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    overlap = [r for r in rows if r["check"] == "overlap"]
    assert len(overlap) == 1 and abs(float(overlap[0]["area_km2"]) - 4.0) < 0.01  # 800 m × 5 km
    issues = QgsVectorLayer(f"{tmp_path / 'units.gpkg'}|layername=issues", "issues", "ogr")
    assert issues.isValid() and issues.featureCount() == len(rows)
    del issues
