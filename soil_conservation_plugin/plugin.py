"""The plugin object QGIS drives: initGui / initProcessing / unload."""
from __future__ import annotations

from qgis.core import Qgis, QgsApplication, QgsMessageLog
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtGui import QIcon
from qgis.PyQt.QtWidgets import QAction

from .core.dependencies import unavailable_message
from .core.paths import resources_path
from .translation import install_translator, remove_translator, translate

LOG_TAG = "Soil conservation"


def tr(text: str) -> str:
    return translate(text)


class SoilConservationPlugin:
    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.dock = None
        self.action = None
        self.unavailable: dict[str, list[dict]] = {}  # algorithm → missing packages
        self.translator = install_translator()

    # --- Processing ------------------------------------------------------
    def initProcessing(self):  # noqa: N802 (QGIS API)
        if self.provider is not None:
            return
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
        self.action = QAction(QIcon(str(resources_path("icons", "icon.svg"))), tr("Soil conservation zoning"), self.iface.mainWindow())
        self.action.setObjectName("soil_conservation_open_dock")
        self.action.setCheckable(True)
        self.action.toggled.connect(self.toggle_dock)
        self.iface.addToolBarIcon(self.action)
        self.iface.addPluginToMenu(self.menu_name(), self.action)
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
                self.iface.messageBar().pushMessage(tr("Soil conservation zoning"), str(exc), Qgis.MessageLevel.Critical, 0)
                self.action.setChecked(False)
                return
            self.dock.visibilityChanged.connect(self.action.setChecked)
            self.iface.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        if self.dock is not None:
            self.dock.setVisible(visible)

    def unload(self):
        if self.dock is not None:
            self.dock.visibilityChanged.disconnect(self.action.setChecked)
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
