"""Screenshots of every page of the dock on the demo region, in English and Chinese.

    xvfb-run -a -s "-screen 0 1600x1200x24" .venv/bin/python tools/screenshots.py OUT_DIR

A development tool: it is not part of the plugin's zip.

Starts a real QGIS application (on the X server xvfb-run provides), generates the
demo region (small scale), runs the steps so the tables and lists are filled,
and saves OUT_DIR/<locale>/<n>_<page>.png for each page, plus the whole window.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo root: the plugin package

LOCALES = ("en", "zh_CN")
PAGE_NAMES = ("data", "units", "steep", "zoning", "checks", "publish", "disturbance", "rollup")


class _Iface:
    """The few parts of QgisInterface the dock uses."""

    def __init__(self, window, canvas, bar):
        self.window, self.canvas, self.bar = window, canvas, bar

    def mainWindow(self):  # noqa: N802
        return self.window

    def mapCanvas(self):  # noqa: N802
        return self.canvas

    def messageBar(self):  # noqa: N802
        return self.bar


def _wait(run_started: bool, dock, app, timeout: float = 600.0) -> None:
    """Let the background task finish (a script, not the plugin: spinning here is fine)."""
    import time

    if not run_started:
        return
    end = time.time() + timeout
    while dock.busy() and time.time() < end:
        app.processEvents()
        time.sleep(0.02)
    app.processEvents()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soil_conservation_plugin.gui.screenshots")
    parser.add_argument("out_dir")
    parser.add_argument("--scale", type=float, default=0.25, help="demo region scale (default 0.25)")
    parser.add_argument("--no-run", action="store_true", help="only the empty pages, no algorithm runs")
    parser.add_argument("--qm", help="a .qm to use for zh_CN instead of the plugin's (to preview a translation)")
    args = parser.parse_args(argv)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer
    from qgis.gui import QgsMapCanvas, QgsMessageBar
    from qgis.PyQt.QtCore import QSize, Qt
    from qgis.PyQt.QtGui import QColor
    from qgis.PyQt.QtWidgets import QMainWindow, QVBoxLayout, QWidget

    from soil_conservation_plugin.demo.region import generate_demo_region
    from soil_conservation_plugin.headless import start_qgis
    from soil_conservation_plugin.translation import install_translator, remove_translator

    app, plugin = start_qgis(gui=True)
    remove_translator(plugin.translator)

    from qgis.core import QgsSettings

    old_locale = QgsSettings().value("locale/userLocale", None)
    work = Path(tempfile.mkdtemp(prefix="sc_screens_"))
    inputs = generate_demo_region(work / "inputs", scale=args.scale)
    for locale in LOCALES:
        translator = None
        if locale != "en" and args.qm:
            from qgis.PyQt.QtCore import QCoreApplication, QTranslator

            translator = QTranslator()
            if translator.load(args.qm):
                QCoreApplication.installTranslator(translator)
        elif locale != "en":
            translator = install_translator(locale)
        QgsSettings().setValue("locale/userLocale", locale)
        QgsProject.instance().clear()
        layers = {}
        for role, path in inputs.items():
            path = str(path)
            layer = QgsRasterLayer(path, role) if path.endswith(".tif") else QgsVectorLayer(path, role, "ogr")
            QgsProject.instance().addMapLayer(layer)
            layers[role] = layer
        window = QMainWindow()
        central = QWidget()
        box = QVBoxLayout(central)
        bar = QgsMessageBar()
        canvas = QgsMapCanvas()
        box.addWidget(bar)
        box.addWidget(canvas)
        window.setCentralWidget(central)
        window.resize(1500, 1000)
        canvas.setDestinationCrs(layers["dem"].crs())
        canvas.setLayers([layers[r] for r in ("redline", "townships", "county", "dem")])
        canvas.setExtent(layers["county"].extent())
        canvas.refresh()
        from soil_conservation_plugin.gui.dock import SoilConservationDock

        dock = SoilConservationDock(_Iface(window, canvas, bar), window)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        window.show()  # the dock at its own minimum width (the narrowest a user can make it)
        d = dock.data
        for role, layer in layers.items():
            if hasattr(d, f"{role}Combo"):  # the demo also writes pages 7 and 8's inputs (chosen there below)
                d.combo(role).setLayer(layer)
        d.countyCodeField.setField("county_code")
        d.countyNameField.setField("county_name")
        d.townshipCodeField.setField("township_code")
        d.townshipNameField.setField("township_name")
        dock.outputDir.setFilePath(str(work / f"results_{locale}"))
        dock.publish.sourceEdit.setText("demo")
        if not args.no_run:
            dock.units.maxArea.setValue(20.0)
            dock.units.minArea.setValue(5.0)
            _wait(dock.units.runButton.click() or True, dock, app)
            _wait(dock.steep.runButton.click() or True, dock, app)
            _wait(dock.zoning.runButton.click() or True, dock, app)  # indicators, then zoning
            dock.checks.targetCombo.setLayer(dock.publish.steepCombo.currentLayer())
            _wait(dock.checks.runButton.click() or True, dock, app)
            if dock.checks.issueTable.rowCount():
                dock.checks.issueTable.selectRow(0)
            # page 7: the demo's seeded 扰动图斑 of 2025; page 5 then lists them
            patches = QgsVectorLayer(str(inputs["disturbance"]), "扰动图斑 2025", "ogr")
            QgsProject.instance().addMapLayer(patches)
            dock.disturbance.patchesCombo.setLayer(patches)
            _wait(dock.disturbance.runButton.click() or True, dock, app)
            if dock.checks.patchTable.rowCount():
                dock.checks.patchTable.selectRow(0)
            # page 8: the roll-up of the zoned units, and the change to the demo's 2025 erosion
            later = QgsRasterLayer(str(inputs["erosion_later"]), "erosion 2025")
            QgsProject.instance().addMapLayer(later)
            dock.rollup.changeCheck.setChecked(True)
            dock.rollup.beforeCombo.setLayer(layers["erosion"])
            dock.rollup.afterCombo.setLayer(later)
            _wait(dock.rollup.runButton.click() or True, dock, app)
            canvas.setExtent(layers["county"].extent())  # selecting a patch zoomed to it
        target = out / locale
        target.mkdir(parents=True, exist_ok=True)
        for i, name in enumerate(PAGE_NAMES):
            dock.pages.setCurrentIndex(i)
            dock.resize(QSize(dock.minimumWidth(), 980))
            app.processEvents()
            dock.grab().save(str(target / f"{i + 1}_{name}.png"))
            if name == "checks":  # the patch-status part, at the foot of the page
                scroll = dock.pages.currentWidget()
                scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
                app.processEvents()
                dock.grab().save(str(target / f"{i + 1}_{name}_patches.png"))
                scroll.verticalScrollBar().setValue(0)
        dock.pages.setCurrentIndex(2)
        for role in ("county", "townships"):  # outlines, so the results show through
            layers[role].renderer().symbol().setColor(QColor(0, 0, 0, 0))
        root = QgsProject.instance().layerTreeRoot()
        canvas.setLayers(
            [
                lyr
                for lyr in root.layerOrder()
                if root.findLayer(lyr.id()).isVisible()
                and lyr.name() not in ("farmland", "construction", "water", "landuse", "fvc", "erosion")
            ]
        )
        canvas.refreshAllLayers()
        app.processEvents()
        canvas.waitWhileRendering()
        app.processEvents()
        window.grab().save(str(target / "0_window.png"))
        for message in bar.items():
            print(f"  message: {message.title()}: {message.text()}", flush=True)
        print(f"{locale}: {len(list(target.glob('*.png')))} screenshots in {target}", flush=True)
        dock.shutdown()
        window.removeDockWidget(dock)
        dock.deleteLater()
        window.close()
        remove_translator(translator)
        QgsProject.instance().clear()
        app.processEvents()
    if old_locale is None:
        QgsSettings().remove("locale/userLocale")
    else:
        QgsSettings().setValue("locale/userLocale", old_locale)
    plugin.unload()
    app.exitQgis()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}")
    sys.exit(main())
