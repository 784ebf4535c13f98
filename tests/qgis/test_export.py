"""soil_conservation:export through real QGIS Processing, read back with QGIS itself.

Areas are checked with QgsDistanceArea on the CGCS2000 ellipsoid against an
Albers equal-area reference of the source polygons (tests/unit/test_export.py).
"""

from __future__ import annotations

import json
import sqlite3

import pytest
from qgis.core import QgsDistanceArea, QgsProcessingException, QgsProject, QgsVectorLayer

from soil_conservation_plugin.core.export.schema import load_schema
from tests.qgis.conftest import run_alg
from tests.unit.test_export import ISSUES, STEEP, UNITS, ZONES, equal_area_ha, sha256, write_source

SOURCE_AREA_HA = sum(equal_area_ha(g) for g, _ in STEEP)


@pytest.fixture
def layers(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    paths = {
        "STEEP_PATCHES": write_source(d / "steep.gpkg", STEEP, name="steep"),
        "UNITS": write_source(d / "units.gpkg", UNITS, name="units"),
        "ZONES": write_source(d / "zones.gpkg", ZONES, name="zones"),
        "ISSUES": write_source(d / "issues.gpkg", ISSUES, name="issues"),
    }
    out = {
        key: QgsVectorLayer(f"{path}|layername={name}", key, "ogr")
        for (key, path), name in zip(paths.items(), ["steep", "units", "zones", "issues"])
    }
    assert all(layer.isValid() for layer in out.values())
    yield out
    del out


def ellipsoidal_ha(layer) -> float:
    da = QgsDistanceArea()
    da.setSourceCrs(layer.crs(), QgsProject.instance().transformContext())
    da.setEllipsoid(layer.crs().ellipsoidAcronym() or "EPSG:1024")
    return sum(da.measureArea(f.geometry()) for f in layer.getFeatures()) / 1e4


def check_layer(layer, spec, expect_aliases: bool):
    assert layer.isValid()
    assert layer.crs().authid() == "EPSG:4490"
    assert layer.featureCount() == len(STEEP)
    names = [f.name() for f in layer.fields() if f.name() not in ("fid", "OBJECTID")]
    assert names == [f.name for f in spec.fields]
    types = {f.name(): f.typeName().lower() for f in layer.fields()}
    for f in spec.fields:
        want = {
            "String": ("string", "text", "varchar"),
            "Real": ("real", "double", "float", "float64"),
            "Integer": ("integer", "int"),
        }[f.type]
        assert any(types[f.name].startswith(w) for w in want), (f.name, types[f.name])
    if expect_aliases:
        assert [layer.fields().field(f.name).alias() for f in spec.fields] == [f.alias for f in spec.fields]
    towns = sorted(f["XZMC"] for f in layer.getFeatures())
    assert towns == sorted(a["township_name"] for _, a in STEEP)
    assert abs(ellipsoidal_ha(layer) - SOURCE_AREA_HA) < 0.01
    assert abs(sum(f["MJ"] for f in layer.getFeatures()) - SOURCE_AREA_HA) < 0.01


def test_export_gpkg_shapefile_and_filegdb_via_processing(plugin, layers, tmp_path):
    spec = load_schema().layer("JZKKDPTB")
    # GeoPackage
    out = tmp_path / "gpkg_pkg"
    res = run_alg("export", {**layers, "FORMAT": 0, "OUTPUT": str(out), "PRODUCER": "通化县水利局", "ZIP": True})
    assert res["OUTPUT"] == str(out) and res["FEATURES"] == 4 + 2 + 4 + 2
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    for rel, entry in manifest["files"].items():
        assert entry["sha256"] == sha256(out / rel)
    assert res["ZIP_FILE"] == str(tmp_path / "gpkg_pkg.zip")
    gpkg = out / "data" / "onemap.gpkg"
    layer = QgsVectorLayer(f"{gpkg}|layername=JZKKDPTB", "steep", "ogr")
    check_layer(layer, spec, expect_aliases=False)
    con = sqlite3.connect(str(gpkg))
    assert dict(
        con.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name='JZKKDPTB'").fetchall()
    ) == {f.name: f.alias for f in spec.fields}
    con.close()
    zones = QgsVectorLayer(f"{gpkg}|layername=YZQY", "zones", "ogr")
    assert [f["XLYDM"] for f in zones.getFeatures()] == ["220521001200000"]
    del layer, zones

    # Shapefile, GBK: QGIS reads the Chinese back through the .cpg
    out = tmp_path / "shp_pkg"
    table = tmp_path / "面积统计表.csv"
    table.write_text("乡镇,面积(公顷)\n快大茂镇,9.0\n", encoding="utf-8")
    run_alg(
        "export",
        {
            "STEEP_PATCHES": layers["STEEP_PATCHES"],
            "FORMAT": 1,
            "ENCODING": 0,
            "AREA_TABLES": [str(table)],
            "OUTPUT": str(out),
        },
    )
    assert [p.name for p in (out / "tables").iterdir()] == [table.name]  # the upstream table, copied as is
    shp = out / "data" / "JZKKDPTB.shp"
    assert shp.with_suffix(".cpg").read_text() == "GBK"
    layer = QgsVectorLayer(str(shp), "steep_shp", "ogr")
    check_layer(layer, spec, expect_aliases=False)
    del layer

    # File Geodatabase: field aliases as QGIS shows them
    out = tmp_path / "gdb_pkg"
    run_alg("export", {"STEEP_PATCHES": layers["STEEP_PATCHES"], "FORMAT": 2, "OUTPUT": str(out)})
    layer = QgsVectorLayer(f"{out / 'data' / 'onemap.gdb'}|layername=JZKKDPTB", "steep_gdb", "ogr")
    check_layer(layer, spec, expect_aliases=True)
    del layer


def test_export_refuses_bad_records_and_existing_package(plugin, tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    bad = write_source(d / "bad.gpkg", [(STEEP[0][0], {**STEEP[0][1], "township_name": "𠀀镇"})], name="steep")
    out = tmp_path / "pkg"
    with pytest.raises(QgsProcessingException, match="GBK"):
        run_alg("export", {"STEEP_PATCHES": f"{bad}|layername=steep", "FORMAT": 1, "OUTPUT": str(out)})
    assert not out.exists() or not any(out.iterdir())
    good = write_source(d / "good.gpkg", STEEP, name="steep")
    run_alg("export", {"STEEP_PATCHES": f"{good}|layername=steep", "FORMAT": 0, "OUTPUT": str(out)})
    before = sha256(out / "manifest.json")
    with pytest.raises(QgsProcessingException, match="not overwritten"):
        run_alg("export", {"STEEP_PATCHES": f"{good}|layername=steep", "FORMAT": 1, "OUTPUT": str(out)})
    assert sha256(out / "manifest.json") == before
    with pytest.raises(QgsProcessingException, match="EPSG:3857"):
        run_alg(
            "export", {"STEEP_PATCHES": f"{good}|layername=steep", "CRS": "EPSG:3857", "OUTPUT": str(tmp_path / "x")}
        )


def test_export_disturbance_patches_and_county_rollup_via_processing(plugin, tmp_path):
    """Schema 0.2 through Processing: DISTURBANCE and ROLLUP layers, values equal to the inputs."""
    from tests.unit.test_export_v02 import disturbance_gpkg, ogr_rows, rollup_gpkg

    gpkg, rollup = disturbance_gpkg(tmp_path), rollup_gpkg(tmp_path)
    out = tmp_path / "pkg"
    res = run_alg(
        "export",
        {
            "DISTURBANCE": f"{gpkg}|layername=disturbance_patches",
            "ROLLUP": f"{rollup}|layername=county",
            "FORMAT": 1,
            "OUTPUT": str(out),
        },
    )
    counties = {r["code"]: r for r in ogr_rows(rollup, "county")}
    patches = {r["patch_id"]: r for r in ogr_rows(gpkg, "disturbance_patches")}
    assert res["FEATURES"] == len(patches) + len(counties)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema"]["version"] == "0.2.0"
    assert [e["code"] for e in manifest["layers"]] == ["RDTBHC", "XJSTBC"]
    layer = QgsVectorLayer(str(out / "data" / "RDTBHC.shp"), "patches", "ogr")
    assert layer.isValid() and layer.crs().authid() == "EPSG:4490"
    got = {f["TBBH"]: f for f in layer.getFeatures()}
    assert set(got) == set(patches)
    for pid, p in patches.items():
        assert abs(got[pid]["MJ"] - p["area_ha"]) < 0.005 and got[pid]["HCZT"] == p["status"]
        assert got[pid]["FXDJ"] == p["risk_zh"]  # Chinese read back through the GBK .cpg
    assert got["P2"]["HCZT"] == "已销号" and got["P2"]["XHRQ"].toString("yyyy-MM-dd") == "2026-03-05"
    table = QgsVectorLayer(str(out / "data" / "XJSTBC.shp"), "counties", "ogr")
    rows = {f["XZQDM"]: f for f in table.getFeatures()}
    assert sorted(rows) == sorted(counties)
    for code, c in counties.items():
        assert abs(rows[code]["TDMJ"] - c["land_ha"]) < 0.005 and abs(rows[code]["STLSMJ"] - c["loss_ha"]) < 0.005
        assert rows[code]["XZQMC"] == c["name"]
    del layer, table


def test_the_help_says_which_zoning_layer_is_zones(plugin):
    from soil_conservation_plugin.processing.alg_export import ExportAlgorithm
    from soil_conservation_plugin.translation import install_translator, remove_translator

    english = ExportAlgorithm().shortHelpString()
    assert "the per-unit layer units of the zoning GeoPackage" in english and "not its layer zones" in english
    translator = install_translator("zh_CN")
    assert translator is not None, "build the .qm first: make translations"
    try:
        chinese = ExportAlgorithm().shortHelpString()
    finally:
        remove_translator(translator)
    assert "逐小流域的 units 图层" in chinese and "而不是其 zones 图层" in chinese
