"""Page 8: the roll-up of the zoning's units with the targets, and the change between two erosion years,
run from the dock on the demo's results; the layers load with their styles, the county table fills,
the HTML report opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from qgis.core import Qgis, QgsProject, QgsRasterLayer, QgsVectorLayer
from qgis.PyQt.QtCore import QObject, pyqtSlot
from qgis.PyQt.QtGui import QDesktopServices

from soil_conservation_plugin.processing.pipeline import run_demo
from tests.qgis.conftest import provider_registered, wait_idle


@pytest.fixture(scope="module")
def demo(tmp_path_factory, qgis_app, processing_ready):
    """The demo chain at a quarter scale, with its two erosion years (2024 and its seeded 2025)."""
    root = tmp_path_factory.mktemp("dock_rollup")
    with provider_registered():
        results = run_demo(root, scale=0.25)
    before, after = root / "inputs" / "erosion.tif", root / "inputs" / "erosion_2025.tif"
    return {
        "units": f"{results / 'zoning' / 'zoning.gpkg'}|layername=units",
        "before": str(before),
        "after": str(after),
    }


class _Opened(QObject):
    urls: list = []

    @pyqtSlot("QUrl")
    def open(self, url):
        self.urls.append(url.toLocalFile())


@pytest.fixture()
def setup(demo, dock, qgis_iface):
    project = QgsProject.instance()
    project.clear()
    layers = {
        "units": QgsVectorLayer(demo["units"], "zoned units", "ogr"),
        "before": QgsRasterLayer(demo["before"], "erosion 2024"),
        "after": QgsRasterLayer(demo["after"], "erosion 2025"),
    }
    assert all(layer.isValid() for layer in layers.values())
    project.addMapLayers(list(layers.values()))
    qgis_iface.messageBar().clear_messages()
    yield dock, layers
    layers.clear()
    project.clear()


def test_rollup_and_change_from_the_dock(setup, qgis_iface):
    dock, layers = setup
    page = dock.rollup
    bar = qgis_iface.messageBar()
    assert Path(page.targetsFile.filePath()).name == "targets_jilin.json"
    assert "80.21" in page.targetsStatus.text()
    dock.set_zones_layer(layers["units"])  # as after the zoning page's run
    assert page.unitsCombo.currentLayer() is layers["units"]
    page.changeCheck.setChecked(True)
    page.beforeCombo.setLayer(layers["before"])
    page.afterCombo.setLayer(layers["after"])
    page.yearBefore.setValue(2024)
    page.yearAfter.setValue(2025)
    page.runButton.click()
    assert dock.busy()
    wait_idle(dock)
    assert bar.get_messages(Qgis.MessageLevel.Critical) == []
    # the county table: 通化县 with its rate and the two target years of the targets file
    table = page.countyTable
    assert table.rowCount() == 1 and table.item(0, 0).text() == "220521"
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert any("2025" in h for h in headers) and any("2035" in h for h in headers)
    rate = float(table.item(0, headers.index("Conservation rate (%)")).text())
    assert 0.0 < rate <= 100.0
    # the layers, styled
    loaded = {lyr.source().split("layername=")[-1]: lyr for lyr in QgsProject.instance().mapLayers().values()}
    assert loaded["county"].renderer().classAttribute() == "rate_pct"
    assert "unit_change" in loaded and "county_change" in loaded
    # the change lowered erosion everywhere: the soil-loss area of the later year is not larger
    change = next(iter(loaded["county_change"].getFeatures()))
    assert change["loss_aft"] <= change["loss_bef"]
    # the HTML report: a link on the page and a button that opens it
    assert page.reportButton.isEnabled() and Path(page.report).is_file()
    assert page.report.endswith(".html") and Path(page.report).name in page.resultLabel.text()
    handler = _Opened()
    _Opened.urls = []
    QDesktopServices.setUrlHandler("file", handler, "open")
    try:
        page.reportButton.click()
    finally:
        QDesktopServices.unsetUrlHandler("file")
    assert handler.urls == [page.report]


def test_rollup_without_units_warns(setup, qgis_iface):
    dock, _ = setup
    dock.rollup.unitsCombo.setLayer(None)
    dock.rollup.runButton.click()
    assert not dock.busy()
    assert qgis_iface.messageBar().get_messages(Qgis.MessageLevel.Warning)
