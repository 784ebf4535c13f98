"""The plugin object QGIS drives: initGui / initProcessing / unload."""

from __future__ import annotations

import contextlib

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsSettings
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .core.common.dependencies import unavailable_message
from .core.common.paths import resources_path
from .translation import install_translator, remove_translator, tr

LOG_TAG = "Soil conservation"
SETTINGS = "soil_conservation/dock"  # QgsSettings: was the dock open, in which area


class SoilConservationPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.dock = None
        self.action = None
        self.unavailable: dict[str, list[dict]] = {}  # algorithm → missing packages
        self.translator = install_translator()
        self._unloading = False

    # --- Processing ------------------------------------------------------
    def initProcessing(self):  # noqa: N802 (QGIS API)
        if self.provider is not None:
            return
        no_network_in_qgis_process()
        # always registered: an algorithm whose packages are missing is listed as unavailable, the rest work
        from .processing.provider import SoilConservationProvider

        provider = SoilConservationProvider()
        # The registry deletes a provider whose id is taken (another instance of this plugin
        # still loaded); keep no reference to it then, so unload() cannot touch a dead object.
        if QgsApplication.processingRegistry().addProvider(provider):
            self.provider = provider
            self.unavailable = dict(provider.unavailable)
            if self.unavailable:
                QgsMessageLog.logMessage(unavailable_message(self.unavailable), LOG_TAG, Qgis.MessageLevel.Warning)
        else:
            QgsMessageLog.logMessage("Processing provider already registered", LOG_TAG, Qgis.MessageLevel.Warning)

    # --- GUI -------------------------------------------------------------
    def menu_name(self) -> str:
        return tr("&Soil conservation zoning")

    def initGui(self):  # noqa: N802
        self.initProcessing()
        self.action = QAction(
            QIcon(str(resources_path("icons", "icon.svg"))), tr("Soil conservation zoning"), self.iface.mainWindow()
        )
        self.action.setObjectName("soil_conservation_open_dock")
        self.action.setCheckable(True)
        self.action.toggled.connect(self.toggle_dock)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToMenu(self.menu_name(), self.action)
        if QgsSettings().value(SETTINGS + "/visible", False, type=bool):  # it was open when QGIS closed
            self.action.setChecked(True)
        if self.unavailable:  # one note for all of them
            self.iface.messageBar().pushMessage(
                tr("Soil conservation zoning"), unavailable_message(self.unavailable), Qgis.MessageLevel.Warning, 0
            )

    def toggle_dock(self, visible: bool):
        if visible and self.dock is None:
            try:
                from .gui.dock import SoilConservationDock

                self.dock = SoilConservationDock(self.iface, self.iface.mainWindow())
            except Exception as exc:  # a slot must never raise: PyQt would abort QGIS
                QgsMessageLog.logMessage(f"{type(exc).__name__}: {exc}", LOG_TAG, Qgis.MessageLevel.Critical)
                self.iface.messageBar().pushMessage(
                    tr("Soil conservation zoning"), str(exc), Qgis.MessageLevel.Critical, 0
                )
                self.action.setChecked(False)
                return
            self.dock.visibilityChanged.connect(self.action.setChecked)
            self.dock.dockLocationChanged.connect(self._remember_area)
            area = QgsSettings().value(SETTINGS + "/area", 2, type=int)  # 1 left, 2 right
            self.iface.addDockWidget(
                Qt.DockWidgetArea(area) if area in (1, 2) else Qt.DockWidgetArea.RightDockWidgetArea, self.dock
            )
            with contextlib.suppress(AttributeError, TypeError):  # open wide enough for its pages
                self.iface.mainWindow().resizeDocks(
                    [self.dock], [self.dock.minimumWidth() + 20], Qt.Orientation.Horizontal
                )
        if self.dock is not None:
            self.dock.setVisible(visible)
        if not self._unloading:
            QgsSettings().setValue(SETTINGS + "/visible", bool(visible))

    def _remember_area(self, area) -> None:
        value = getattr(area, "value", area)
        QgsSettings().setValue(SETTINGS + "/area", int(value))

    def unload(self):
        self._unloading = True  # QGIS closing hides the dock: that is not the user closing it
        if self.dock is not None:
            self.dock.visibilityChanged.disconnect(self.action.setChecked)
            self.dock.dockLocationChanged.disconnect(self._remember_area)
            self.dock.shutdown()
            self.iface.removeDockWidget(self.dock)
            self.dock.deleteLater()
            self.dock = None
        if self.action is not None:
            self.action.toggled.disconnect(self.toggle_dock)
            self.iface.removePluginMenu(self.menu_name(), self.action)
            self.iface.removeToolBarIcon(self.action)
            self.action.deleteLater()
            self.action = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator(self.translator)
        self.translator = None


def no_network_in_qgis_process() -> None:
    """When qgis_process runs one of this plugin's algorithms, GDAL may not read network files.

    qgis_process opens raster parameters (a local .vrt whose source is /vsicurl/http://…) to
    check them, before any of the plugin's code runs; the plugin then refuses them, but by then
    the server was contacted. Results must rest on local files whose hashes are recorded, so
    for such a run no /vsicurl/, /vsis3/, … file may be opened at all. Desktop QGIS is untouched.
    """
    from qgis.PyQt.QtCore import QCoreApplication

    if QgsApplication.platform() != "qgis_process":
        return
    if any(arg.startswith("soil_conservation:") for arg in QCoreApplication.arguments()):
        from osgeo import gdal

        gdal.SetConfigOption("CPL_VSIL_CURL_ALLOWED_EXTENSIONS", ".soil-conservation-no-network")
