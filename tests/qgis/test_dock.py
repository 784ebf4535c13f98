"""The dock driven like a user: inputs on the demo region, Run, wait for the task, check the map.

The test spins the event loop while a task runs (the plugin never does).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr, osr
from pyproj import Geod, Transformer
from qgis.core import Qgis, QgsApplication, QgsProject, QgsRasterLayer, QgsVectorLayer, QgsWkbTypes
from qgis.PyQt.QtCore import QTimer

from soil_conservation_plugin.core.common.paths import resources_path
from tests.qgis.conftest import ROLES, wait_idle

gdal.UseExceptions()
ogr.UseExceptions()


def set_inputs(dock, layers):
    data = dock.data
    for role, layer in layers.items():
        data.combo(role).setLayer(layer)
    data.countyCodeField.setField("county_code")
    data.countyNameField.setField("county_name")
    data.townshipCodeField.setField("township_code")
    data.townshipNameField.setField("township_name")


def group_layers(title_prefix: str) -> list:
    root = QgsProject.instance().layerTreeRoot()
    groups = [g for g in root.children() if g.name().startswith(title_prefix)]
    return [n.layer() for g in groups for n in g.findLayers()]


def critical(bar) -> list:
    return bar.get_messages(Qgis.MessageLevel.Critical)


def ellipsoidal_area_ha(layer) -> float:
    """Independent reference: pyproj.Geod areas of the layer's polygons in lon/lat."""
    geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid (GRS80 up to 0.1 mm in b)
    to_ll = Transformer.from_crs(layer.crs().toWkt(), "EPSG:4490", always_xy=True)
    total = 0.0
    for f in layer.getFeatures():
        g = f.geometry()
        for poly in g.asMultiPolygon() if g.isMultipart() else [g.asPolygon()]:
            for k, ring in enumerate(poly):
                lon, lat = to_ll.transform([p.x() for p in ring], [p.y() for p in ring])
                a, _ = geod.polygon_area_perimeter(lon, lat)
                total += abs(a) if k == 0 else -abs(a)
    return total / 1e4


# --- pages build, readiness ------------------------------------------------------------------
def test_pages_in_workflow_order_and_readiness(dock, layers, tmp_path):
    assert dock.objectName() == "SoilConservationDock"
    assert dock.pages.count() == 8  # six workflow steps, then supervision (issue 17) and roll-up (issue 18)
    data = dock.data
    data.demCombo.setLayer(None)  # the demo layers were pre-filled from their names as they were added
    assert "✗" in data.demStatus.text()  # nothing chosen
    set_inputs(dock, layers)
    for role in ROLES:
        assert data.readiness[role].state == "ok", (role, data.readiness[role].message)
        assert "✓" in getattr(data, f"{role}Status").text()
    assert data.readiness["dem"].message.startswith("EPSG:4530, 334×417")
    assert dock.runAllButton.isEnabled()

    # a layer 200 km away from the county: ✗ with the reason
    far = tmp_path / "far.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(far))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4530)
    lyr = ds.CreateLayer("far", srs, ogr.wkbPolygon)
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(
        ogr.CreateGeometryFromWkt("POLYGON((42000000 4000000,42001000 4000000,42001000 4001000,42000000 4000000))")
    )
    lyr.CreateFeature(f)
    ds = None
    far_layer = QgsVectorLayer(str(far), "far", "ogr")
    QgsProject.instance().addMapLayer(far_layer)
    data.redlineCombo.setLayer(far_layer)
    assert data.readiness["redline"].state == "bad" and "✗" in data.redlineStatus.text()
    # a DEM in Web Mercator is refused before any run
    merc = tmp_path / "merc.tif"
    gdal.Translate(str(merc), layers["dem"].source(), outputSRS="EPSG:3857")
    merc_layer = QgsRasterLayer(str(merc), "merc")
    QgsProject.instance().addMapLayer(merc_layer)
    data.demCombo.setLayer(merc_layer)
    assert data.readiness["dem"].state == "bad" and "Web Mercator" in data.readiness["dem"].message
    assert not dock.runAllButton.isEnabled()
    # a name field as county code: not a 6-digit code → a warning naming an example
    data.countyCodeField.setField("county_name")
    assert data.readiness["county"].state == "warn" and "通化县" in data.readiness["county"].message
    del far_layer, merc_layer


def test_threshold_prefilled_from_province_rules(dock, layers):
    rules = json.loads(resources_path("rules", "provinces.json").read_text(encoding="utf-8"))
    jilin = float(rules["steep_slope"]["provinces"]["220000"]["threshold_deg"])
    national = float(rules["steep_slope"]["national"]["threshold_deg"])
    set_inputs(dock, layers)  # county code 220521 → 吉林 (auto)
    assert dock.steep.threshold.value() == jilin
    assert "220000" in dock.steep.thresholdSource.text()
    data = dock.data
    data.provinceCombo.setCurrentIndex(data.provinceCombo.findData("national"))
    assert dock.steep.threshold.value() == national
    assert dock.steep.minPatch.value() == float(rules["steep_slope"]["min_patch_ha"]["value"])
    assert Path(dock.zoning.rulesFile.filePath()).name == "zoning_national.json"
    data.provinceCombo.setCurrentIndex(data.provinceCombo.findData("auto"))
    assert Path(dock.zoning.rulesFile.filePath()).name == "zoning_jilin.json"


# --- runs --------------------------------------------------------------------------------------
def test_steep_slope_run_in_background_loads_styled_layer(dock, layers, bar):
    set_inputs(dock, layers)
    ticks = {"all": 0, "busy": 0}

    def tick():
        ticks["all"] += 1
        ticks["busy"] += dock.busy()

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    dock.steep.runButton.click()
    assert dock.busy() and dock.cancelButton.isEnabled() and not dock.steep.runButton.isEnabled()
    wait_idle(dock)
    timer.stop()
    # the UI thread kept serving its timer while the algorithm ran
    assert ticks["busy"] >= 3, ticks
    assert critical(bar) == []
    threshold = dock.steep.threshold.value()
    added = group_layers("3 Steep slopes") or group_layers(dock.steep.title())
    steep = [lyr for lyr in added if "≥20°" in lyr.name()]
    assert len(steep) == 1, [lyr.name() for lyr in added]
    layer = steep[0]
    assert layer.featureCount() > 0
    values = [f.attributes() for f in layer.getFeatures()]
    names = layer.fields().names()
    assert {v[names.index("cnty_code")] for v in values} == {"220521"}
    assert all(v[names.index("thresh_deg")] == threshold for v in values)
    assert all(v[names.index("twn_name")] for v in values)
    stored = sum(v[names.index("area_ha")] for v in values)
    assert stored == pytest.approx(ellipsoidal_area_ha(layer), abs=0.01 * len(values))
    # the patch layer became the input of the checks and the publication pages
    assert dock.publish.publishSteepCombo.currentLayer() is layer
    assert dock.checks.targetCombo.currentLayer() is layer
    assert dock.progress.value() == 100
    del layer, steep, added


def test_units_run_fills_fields(dock, layers, bar):
    set_inputs(dock, layers)
    dock.units.minArea.setValue(5.0)
    dock.units.maxArea.setValue(20.0)
    dock.units.runButton.click()
    wait_idle(dock)
    assert critical(bar) == []
    units = [
        lyr
        for lyr in group_layers(dock.units.title())
        if lyr.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry
    ]
    assert len(units) == 1
    layer = units[0]
    fields = layer.fields().names()
    for name in ("unit_code", "unit_name", "down_code", "area_km2", "county_code", "county_name"):
        assert name in fields
    feats = list(layer.getFeatures())
    assert len(feats) >= 2
    assert all(f["county_code"] == "220521" and str(f["unit_code"]).startswith("220521") for f in feats)
    # area field against the independent ellipsoidal area of the polygons (0.01 km² = 1 ha each)
    assert sum(f["area_km2"] for f in feats) == pytest.approx(ellipsoidal_area_ha(layer) / 100.0, abs=0.01 * len(feats))
    assert str(len(feats)) in dock.units.resultLabel.text()
    assert dock.publish.unitsCombo.currentLayer() is layer
    del layer, units, feats


def test_cancel_mid_way_leaves_no_output_and_no_error(dock, bar, plugin, tmp_path):
    """A DEM big enough that the run is still going when the progress bar first moves."""
    n = 3000
    dem = tmp_path / "big_dem.tif"
    ds = gdal.GetDriverByName("GTiff").Create(str(dem), n, n, 1, gdal.GDT_Float32, ["TILED=YES"])
    ds.SetGeoTransform((500000.0, 10.0, 0.0, 4800000.0, 0.0, -10.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4547)
    ds.SetProjection(srs.ExportToWkt())
    y, x = np.mgrid[0:n, 0:n].astype(np.float32)
    ds.GetRasterBand(1).WriteArray(200.0 + 40.0 * np.sin(x / 50.0) * np.cos(y / 70.0) + 0.2 * x)
    ds = None
    county = tmp_path / "big_county.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(county))
    lyr = ds.CreateLayer("county", srs, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("county_code", ogr.OFTString))
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetField("county_code", "220521")
    f.SetGeometry(
        ogr.CreateGeometryFromWkt(
            "POLYGON((500100 4770100,529900 4770100,529900 4799900,500100 4799900,500100 4770100))"
        )
    )
    lyr.CreateFeature(f)
    ds = None
    project = QgsProject.instance()
    project.clear()
    dem_layer, county_layer = QgsRasterLayer(str(dem), "dem"), QgsVectorLayer(str(county), "county", "ogr")
    project.addMapLayers([dem_layer, county_layer])
    dock.data.demCombo.setLayer(dem_layer)
    dock.data.countyCombo.setLayer(county_layer)
    dock.data.countyCodeField.setField("county_code")
    dock.steep.useUnits.setChecked(False)
    layers_before = set(project.mapLayers())

    dock.steep.runButton.click()
    end = time.monotonic() + 60
    while dock.busy() and dock.progress.value() == 0 and time.monotonic() < end:
        QgsApplication.processEvents()
        time.sleep(0.002)
    assert dock.busy(), ("the run ended before it could be cancelled", bar.messages, dock.runStatus.text())
    assert 0 < dock.progress.value() < 100
    dock.cancelButton.click()
    wait_idle(dock)

    assert critical(bar) == []
    assert set(project.mapLayers()) == layers_before
    results = Path(dock.results_dir())
    leftovers = [p for p in results.rglob("*") if p.is_file()] if results.exists() else []
    assert leftovers == []
    assert dock.progress.value() == 0 and dock.steep.runButton.isEnabled()
    project.clear()
    del dem_layer, county_layer


def test_missing_algorithm_is_reported_not_raised(dock, bar):
    assert dock.run_algorithm("no_such_step", dict, lambda *a: None, "x") is False
    warnings = " ".join(bar.get_messages(Qgis.MessageLevel.Warning))
    assert "no_such_step" in warnings and "not available" in warnings
    assert not dock.busy() and critical(bar) == []


def test_error_goes_to_message_bar_in_users_language(dock, layers, bar, tmp_path):
    """A DEM without CRS: the algorithm refuses it; the message bar shows the English half."""
    set_inputs(dock, layers)
    nocrs = tmp_path / "nocrs.tif"
    gdal.Translate(str(nocrs), layers["dem"].source())
    ds = gdal.Open(str(nocrs), gdal.GA_Update)
    ds.SetProjection("")
    ds = None
    layer = QgsRasterLayer(str(nocrs), "nocrs")
    QgsProject.instance().addMapLayer(layer)
    dock.data.demCombo.setLayer(layer)
    dock.steep.runButton.click()
    wait_idle(dock)
    messages = critical(bar)
    assert len(messages) == 1
    text = messages[0]
    assert "CRS" in text and not any("\u4e00" <= ch <= "\u9fff" for ch in text.split("]", 1)[-1]), text
    del layer


def test_run_all_uses_the_pipeline_chain(dock, layers, bar):
    set_inputs(dock, layers)
    dock.runAllButton.click()
    wait_idle(dock)
    assert critical(bar) == []
    chain = json.loads(next(Path(dock.results_dir()).glob("chain_*/chain.json")).read_text(encoding="utf-8"))
    assert chain["inputs"]["dem"] == layers["dem"].source()
    assert chain["inputs"]["county_code_field"] == "county_code"
    assert chain["parameters"]["steep_slope"]["INPUT"] == layers["dem"].source()
    # one group per step, in the user's language, vectors only (no grey raster over the zoning map)
    root = QgsProject.instance().layerTreeRoot()
    steps = [
        g.customProperty("soil_conservation/step")
        for g in root.children()
        if g.customProperty("soil_conservation/step")
    ]
    # the roll-up (page 8) always; no disturbance check without a patch layer on page 7, no change unticked
    assert steps == ["rollup", "checks_zones", "checks_steep_slope", "steep_slope", "zoning", "units"], steps
    loaded = [n.layer() for g in root.children() if g.customProperty("soil_conservation/step") for n in g.findLayers()]
    assert loaded and not any(lyr.name() in ("units", "issues") for lyr in loaded), [lyr.name() for lyr in loaded]
    groups = [g for g in root.children() if g.customProperty("soil_conservation/step")]
    assert all(
        not n.isVisible() or not isinstance(n.layer(), QgsRasterLayer) for g in groups for n in g.findLayers()
    )  # rasters unticked
    del loaded


# --- persistence and unload -----------------------------------------------------------------------
def test_project_round_trip_restores_the_panel(dock, layers, tmp_path, qgis_iface, plugin):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    set_inputs(dock, layers)
    dock.outputDir.setFilePath(str(tmp_path / "my results"))
    dock.steep.threshold.setValue(17.5)
    dock.steep.minPatch.setValue(2.0)
    dock.steep.excludeFarmland.setChecked(True)
    dock.units.maxArea.setValue(42.0)
    dock.publish.sourceEdit.setText("县水利局")
    project = QgsProject.instance()
    dem_source = layers["dem"].source()
    path = tmp_path / "p.qgz"
    assert project.write(str(path))
    project.clear()
    assert dock.data.demCombo.currentLayer() is None
    assert project.read(str(path))
    for d in (dock, SoilConservationDock(qgis_iface, qgis_iface.mainWindow())):
        assert d.data.demCombo.currentLayer() is not None
        assert d.data.demCombo.currentLayer().source() == dem_source
        assert d.data.countyCodeField.currentField() == "county_code"
        assert d.data.townshipNameField.currentField() == "township_name"
        assert d.steep.threshold.value() == 17.5 and d.steep.minPatch.value() == 2.0
        assert d.steep.excludeFarmland.isChecked()
        assert d.units.maxArea.value() == 42.0
        assert d.publish.sourceEdit.text() == "县水利局"
        assert d.outputDir.filePath() == str(tmp_path / "my results")
        if d is not dock:
            d.shutdown()
            d.deleteLater()
    project.clear()


def test_shutdown_stops_the_task_and_disconnects(qgis_iface, plugin, layers, tmp_path):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    project = QgsProject.instance()
    before = project.receivers(project.readProject)
    d = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    d.outputDir.setFilePath(str(tmp_path / "r"))
    assert project.receivers(project.readProject) == before + 1
    set_inputs(d, layers)
    d.units.runButton.click()
    assert d.busy()
    d.shutdown()
    assert not d.busy()
    end = time.monotonic() + 60
    while QgsApplication.taskManager().countActiveTasks() and time.monotonic() < end:
        QgsApplication.processEvents()
        time.sleep(0.01)
    assert QgsApplication.taskManager().countActiveTasks() == 0
    assert project.receivers(project.readProject) == before
    # the widgets' signals no longer reach the pages (only QGIS's own connections remain)
    from qgis.gui import QgsMapLayerComboBox

    baseline = QgsMapLayerComboBox()
    combo = d.data.demCombo
    assert combo.receivers(combo.layerChanged) == baseline.receivers(baseline.layerChanged)
    d.deleteLater()


def test_zoning_page_runs_indicators_then_rules_and_fills_the_table(dock, layers, bar):
    import operator

    set_inputs(dock, layers)
    dock.units.minArea.setValue(5.0)
    dock.units.maxArea.setValue(20.0)
    dock.units.runButton.click()
    wait_idle(dock)
    dock.zoning.runButton.click()  # indicators per unit, then the rule file, one after the other
    wait_idle(dock)
    assert critical(bar) == []
    zoned = [lyr for lyr in group_layers("Zoning") if "zone_severe" in lyr.fields().names()]
    assert len(zoned) == 1
    layer = zoned[0]
    table = dock.zoning.indicatorTable
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert table.rowCount() == layer.featureCount() > 0
    # independent evaluation of the 严重 (severe) zone type of the rule file on the unit indicators
    rules = json.loads(Path(dock.zoning.rulesFile.filePath()).read_text(encoding="utf-8"))
    severe = next(z for z in rules["zone_types"] if z["id"] == "severe")
    ops = {">=": operator.ge, ">": operator.gt, "<": operator.lt, "<=": operator.le}
    col = headers.index("Severe soil loss")
    by_code = {f["unit_code"]: f for f in layer.getFeatures()}
    for row in range(table.rowCount()):
        f = by_code[table.item(row, 0).text()]
        conds = [severe["base"], *severe["regional"]]
        hit = any(
            f[c["indicator"]] is not None and ops[c["op"]](float(f[c["indicator"]]), float(c["threshold"]))
            for c in conds
        )
        assert (table.item(row, col).text() == "✓") == hit, f["unit_code"]
        assert table.item(row, 1).text() == f["unit_name"]
    del layer, zoned


def test_run_all_cancel_leaves_nothing(dock, layers, bar):
    set_inputs(dock, layers)
    layers_before = set(QgsProject.instance().mapLayers())
    dock.runAllButton.click()
    assert dock.busy() and dock.cancelButton.isEnabled()
    dock.cancelButton.click()
    wait_idle(dock)
    assert critical(bar) == []
    assert set(QgsProject.instance().mapLayers()) == layers_before
    assert not list(Path(dock.results_dir()).glob("chain_*"))
    assert dock.runAllButton.isEnabled() and not dock.cancelButton.isEnabled()


def test_every_page_maps_onto_existing_parameters(dock, layers):
    """A renamed algorithm parameter shows here, not as a silently ignored value in a user's run."""
    from soil_conservation_plugin.gui.common import algorithm

    set_inputs(dock, layers)
    dock.checks.targetCombo.setLayer(layers["townships"])
    pages = [
        ("watersheds", dock.units.wanted),
        ("import_units", dock.units.wanted_import),
        ("steep_slope", dock.steep.wanted),
        ("unit_indicators", dock.zoning.wanted_indicators),
        ("zoning", dock.zoning.wanted),
        ("checks", dock.checks.wanted),
        ("export", dock.publish.wanted),
        ("publish", lambda: dock.publish.wanted_publish("220521")),
    ]
    for name, wanted in pages:
        alg = algorithm(name)
        assert alg is not None, name
        defined = {p.name() for p in alg.parameterDefinitions()}
        assert set(wanted()) <= defined, (name, sorted(set(wanted()) - defined))


def test_export_page_writes_the_package_of_the_steep_slope_result(dock, layers, bar):
    set_inputs(dock, layers)
    dock.steep.runButton.click()
    wait_idle(dock)
    steep = [lyr for lyr in group_layers(dock.steep.title()) if "≥20°" in lyr.name()][0]
    dock.publish.steepCombo.setLayer(steep)
    dock.publish.exportButton.click()
    wait_idle(dock)
    assert critical(bar) == []
    package = next(Path(dock.results_dir()).rglob("manifest.json")).parent
    from osgeo import ogr

    ds = ogr.Open(str(package / "data" / "onemap.gpkg"))
    assert ds.GetLayerByName("JZKKDPTB").GetFeatureCount() == steep.featureCount()
    ds = None
    assert str(package) in dock.publish.resultLabel.text()
    del steep
