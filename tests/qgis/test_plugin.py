"""The plugin in a real QGIS: load, unload, reload; dependency check; the dock opens and closes."""

from __future__ import annotations

import sys

from qgis.core import QgsApplication, QgsSettings
from qgis.gui import QgsDockWidget
from qgis.PyQt import sip
from qgis.PyQt.QtCore import QCoreApplication, QEvent

import soil_conservation_plugin
from soil_conservation_plugin.processing.provider import PROVIDER_ID


class Recorder:
    """Wraps the test iface and records what the plugin adds to toolbars and menus."""

    def __init__(self, iface):
        self._iface = iface
        self.toolbar, self.menus = [], []

    def __getattr__(self, name):
        return getattr(self._iface, name)

    def addToolBarIcon(self, action):  # noqa: N802
        self.toolbar.append(action)

    def removeToolBarIcon(self, action):  # noqa: N802
        self.toolbar.remove(action)

    def addPluginToMenu(self, menu, action):  # noqa: N802
        self.menus.append((menu, action))

    def removePluginMenu(self, menu, action):  # noqa: N802
        self.menus.remove((menu, action))


def flush_deletes():
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


def docks(main_window):
    return [
        d
        for d in main_window.findChildren(QgsDockWidget)
        if not sip.isdeleted(d) and d.objectName() == "SoilConservationDock"
    ]


def providers():
    return [p for p in QgsApplication.processingRegistry().providers() if p.id() == PROVIDER_ID]


def test_load_unload_reload_leaves_nothing_behind(qgis_iface, processing_ready):
    rec = Recorder(qgis_iface)
    for _ in range(2):  # load → unload → load again
        plugin = soil_conservation_plugin.classFactory(rec)
        plugin.initGui()
        assert len(providers()) == 1
        assert "slope" in [a.name() for a in providers()[0].algorithms()]
        assert len(rec.toolbar) == 1 and len(rec.menus) == 1
        plugin.action.trigger()  # opens the dock
        assert len(docks(qgis_iface.mainWindow())) == 1 and not plugin.dock.isHidden()
        action = plugin.action
        plugin.unload()
        flush_deletes()
        assert providers() == []
        assert rec.toolbar == [] and rec.menus == []
        assert docks(qgis_iface.mainWindow()) == []
        assert sip.isdeleted(action)
        # the dock was open at unload, so the next load would reopen it (test_dock_usability): start closed here
        QgsSettings().setValue("soil_conservation/dock/visible", False)


def test_provider_identity(plugin):
    provider = providers()[0]
    assert provider.id() == "soil_conservation" and provider.name() and not provider.icon().isNull()
    alg = QgsApplication.processingRegistry().algorithmById("soil_conservation:slope")
    assert alg.displayName() and alg.shortHelpString() and alg.groupId() == "terrain"


def test_missing_package_is_reported_and_qgis_keeps_running(qgis_iface, processing_ready, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyflwdir", None)  # makes `import pyflwdir` raise ImportError
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    plugin = soil_conservation_plugin.classFactory(qgis_iface)
    plugin.initGui()
    try:
        assert plugin.provider is not None and "slope" in [a.name() for a in providers()[0].algorithms()]
        assert sorted(n.rsplit("(", 1)[1] for n in plugin.unavailable) == ["import_units)", "watersheds)"]
        notes = bar.get_messages(1)  # Qgis.MessageLevel.Warning: one note, naming exactly what is unavailable
        assert len(notes) == 1 and "pyflwdir" in notes[0] and "ext_libs" in notes[0] and "(watersheds)" in notes[0]
        plugin.action.trigger()  # the dock still opens: its other pages work
        assert plugin.dock is not None
        units = plugin.dock.units  # the 小流域 page says why it cannot run instead of failing on Run
        units.refresh()
        assert not units.runButton.isEnabled() and "pyflwdir" in units.runButton.toolTip()
        assert not plugin.dock.run_algorithm("watersheds", dict, None, "x")
        assert any("pyflwdir" in m for m in bar.get_messages(1))
    finally:
        plugin.unload()
