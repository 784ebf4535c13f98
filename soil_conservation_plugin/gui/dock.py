"""The plugin's dock: one panel, pages in workflow order, each running a Processing algorithm as a task."""
from __future__ import annotations

from pathlib import Path

from qgis.core import Qgis, QgsMapLayerProxyModel, QgsProject, QgsRasterLayer
from qgis.gui import QgsDockWidget
from qgis.PyQt import uic
from qgis.PyQt.QtCore import QCoreApplication

from ..core.paths import resources_path
from ..processing.provider import PROVIDER_ID
from .tasks import AlgorithmRun

FORM_CLASS, _ = uic.loadUiType(str(Path(__file__).with_name("dock.ui")))


def tr(text: str) -> str:
    return QCoreApplication.translate("SoilConservation", text)


class SoilConservationDock(QgsDockWidget, FORM_CLASS):
    def __init__(self, iface, parent=None):
        super().__init__(parent)
        self.setupUi(self)
        self.setObjectName("SoilConservationDock")
        self.iface = iface
        self.run: AlgorithmRun | None = None
        self.demCombo.setFilters(QgsMapLayerProxyModel.RasterLayer)
        self.demCombo.layerChanged.connect(self.check_dem)
        self.slopeRun.clicked.connect(self.run_slope)
        self.cancelButton.clicked.connect(self.cancel)
        self.check_dem()

    # --- readiness ---------------------------------------------------------
    def check_dem(self, *_):
        layer = self.demCombo.currentLayer()
        if layer is None:
            self.demStatus.setText(tr("✗ Choose a DEM raster layer."))
            self.slopeRun.setEnabled(False)
            return
        crs = layer.crs()
        if not crs.isValid():
            ok, text = False, tr("✗ The DEM has no CRS.")
        elif crs.authid() in ("EPSG:3857", "EPSG:900913"):
            ok, text = False, tr("✗ The DEM is in Web Mercator; reproject it to CGCS2000.")
        else:
            ok, text = True, tr("✓ {crs}, {w}×{h} cells").format(crs=crs.authid() or crs.description(), w=layer.width(), h=layer.height())
        self.demStatus.setText(text)
        self.slopeRun.setEnabled(ok and self.run is None)

    # --- running -----------------------------------------------------------
    def run_slope(self):
        layer = self.demCombo.currentLayer()
        if layer is None:
            return
        params = {"INPUT": layer.source(), "OUTPUT": "TEMPORARY_OUTPUT"}
        self.start(f"{PROVIDER_ID}:slope", params, self.slope_done)

    def start(self, algorithm_id: str, params: dict, on_done) -> None:
        self.run = AlgorithmRun(algorithm_id, params, self)
        self.run.progressChanged.connect(lambda p: self.progress.setValue(int(p)))
        self.run.finished.connect(lambda ok, results, cancelled: self._finished(ok, results, cancelled, on_done))
        self.progress.setValue(0)
        self.cancelButton.setEnabled(True)
        self.slopeRun.setEnabled(False)
        self.run.start()

    def cancel(self):
        if self.run is not None:
            self.run.cancel()

    def _finished(self, ok: bool, results: dict, cancelled: bool, on_done) -> None:
        run, self.run = self.run, None
        self.cancelButton.setEnabled(False)
        self.check_dem()
        if cancelled:
            self.progress.setValue(0)
            self.iface.messageBar().pushMessage(tr("Soil conservation zoning"), tr("Cancelled; nothing was written."), Qgis.Info, 5)
            return
        if not ok:
            message = "\n".join(run.feedback.errors) if run is not None else ""
            self.iface.messageBar().pushMessage(tr("Soil conservation zoning"), message or tr("The run failed."), Qgis.Critical, 0)
            return
        on_done(results)

    def slope_done(self, results: dict) -> None:
        layer = QgsRasterLayer(results["OUTPUT"], tr("Slope (°)"))
        layer.loadNamedStyle(str(resources_path("styles", "slope.qml")))
        QgsProject.instance().addMapLayer(layer)

    def shutdown(self) -> None:
        """Called by the plugin's unload: stop a running task and drop signal connections."""
        if self.run is not None:
            self.run.cancel()
            self.run = None
        self.demCombo.layerChanged.disconnect(self.check_dem)
        self.slopeRun.clicked.disconnect(self.run_slope)
        self.cancelButton.clicked.disconnect(self.cancel)
