"""The plugin's dock: one panel whose pages take a specialist through the workflow.

Every Run button starts a Processing algorithm of the plugin as a background task
(gui/tasks.py); "Run all steps" runs the pipeline's chain (the same as `make demo`)
as one task. One run at a time; the progress bar and Cancel belong to it. Results
load into one layer group per run; errors go to the message bar in the user's
language; widget values persist in the QGIS project.
"""
from __future__ import annotations

import datetime as _dt
import shutil
from pathlib import Path

from qgis.core import Qgis, QgsMessageLog, QgsProject, QgsWkbTypes
from qgis.gui import QgsDockWidget, QgsFileWidget
from qgis.PyQt import uic
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP
from qgis.PyQt.QtWidgets import QFrame, QScrollArea

from .common import PROJECT_SCOPE, Persist, algorithm, build_parameters, localized, tr, translate, unavailable
from .pages import DataPage, PublishPage, SteepPage, UnitsPage, ZoningPage
from .results import ResultGroup
from .review_panel import ChecksPage
from .tasks import AlgorithmRun, FunctionRun

FORM_CLASS, _ = uic.loadUiType(str(Path(__file__).with_name("dock.ui")))
LOG_TAG = "Soil conservation"
TITLE = QT_TRANSLATE_NOOP("SoilConservation", "Soil conservation zoning")
# styles of the chain's outputs, by step
CHAIN_STYLES = {"slope": "slope.qml", "watersheds": "units.qml", "steep_slope": "steep_slope.qml", "zoning": "zones.qml", "checks": "check_issues.qml"}
SKIP_LAYERS = ("review_decisions",)

_orphans: list = []  # runs still finishing after their dock was closed


class SoilConservationDock(QgsDockWidget, FORM_CLASS):
    def __init__(self, iface, parent=None):
        super().__init__(parent)
        self.setupUi(self)
        self.setObjectName("SoilConservationDock")
        self.setWindowTitle(tr(TITLE))
        self.iface = iface
        self.run: AlgorithmRun | FunctionRun | None = None
        self.last_run_dir: Path | None = None
        self.data = None
        self._connections: list = []
        self.persist = Persist("dock")
        self.outputDir.setStorageMode(QgsFileWidget.StorageMode.GetDirectory)
        self.outputDir.lineEdit().setPlaceholderText(str(self.default_results_dir()))
        self.persist.add("results_dir", self.outputDir)

        self.data = DataPage(self)
        self.units = UnitsPage(self)
        self.steep = SteepPage(self)
        self.zoning = ZoningPage(self)
        self.checks = ChecksPage(self)
        self.publish = PublishPage(self)
        self.page_list = [self.data, self.units, self.steep, self.zoning, self.checks, self.publish]
        for page in self.page_list:
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.pages.addTab(scroll, page.title())

        self._connect(self.data.provinceChanged, self.steep.prefill)
        self._connect(self.data.provinceChanged, self.zoning.prefill)
        self._connect(self.data.changed, self.publish.update_counties)
        self._connect(self.data.changed, self.units.check)
        self._connect(self.data.changed, self.refresh)
        self._connect(self.cancelButton.clicked, self.cancel)
        self._connect(self.runAllButton.clicked, self.run_all)
        self._connect(QgsProject.instance().readProject, self.restore)
        self.restore()

    def _connect(self, signal, slot) -> None:
        signal.connect(slot)
        self._connections.append((signal, slot))

    # --- folders ------------------------------------------------------------------------
    @staticmethod
    def default_results_dir() -> Path:
        home = QgsProject.instance().homePath()
        return Path(home or Path.home()) / "soil_conservation_results"

    def results_dir(self) -> Path:
        text = self.outputDir.filePath().strip()
        return Path(text) if text else self.default_results_dir()

    def new_run_dir(self, name: str) -> Path:
        stamp = _dt.datetime.now().strftime("%Y%m%d_%H%M%S_%f")
        path = self.results_dir() / f"{name}_{stamp}"
        path.mkdir(parents=True, exist_ok=True)
        return path

    # --- messages (message bar, in the user's language) ---------------------------------------
    def _push(self, text: str, level, duration: int) -> None:
        self.iface.messageBar().pushMessage(tr(TITLE), text, level, duration)

    def info(self, text: str) -> None:
        self._push(text, Qgis.MessageLevel.Info, 5)

    def warn(self, text: str) -> None:
        self._push(text, Qgis.MessageLevel.Warning, 8)

    def error(self, text: str) -> None:
        QgsMessageLog.logMessage(text, LOG_TAG, Qgis.MessageLevel.Critical)
        self._push(text, Qgis.MessageLevel.Critical, 0)

    def project_entry(self, key: str, value: str) -> None:
        QgsProject.instance().writeEntry(PROJECT_SCOPE, key, value)

    # --- state shared between pages -------------------------------------------------------------
    def busy(self) -> bool:
        return self.run is not None

    def refresh(self, *_):
        for page in self.page_list if hasattr(self, "page_list") else []:
            page.refresh()
        busy = self.busy()
        self.runAllButton.setEnabled(not busy and self.data is not None and self.data.ready("dem", "county"))
        self.cancelButton.setEnabled(busy)

    def units_source(self) -> str:
        official = self.units.official_units()
        if official:
            return official
        layer = self.publish.unitsCombo.currentLayer()
        return layer.source() if layer is not None else ""

    def set_units_layer(self, layer) -> None:
        self.publish.unitsCombo.setLayer(layer)
        if self.checks.targetCombo.currentLayer() is None:
            self.checks.targetCombo.setLayer(layer)

    def set_steep_layer(self, layer) -> None:
        self.publish.steepCombo.setLayer(layer)
        self.publish.publishSteepCombo.setLayer(layer)
        self.checks.targetCombo.setLayer(layer)

    def set_zones_layer(self, layer) -> None:
        self.publish.zonesCombo.setLayer(layer)
        self.checks.targetCombo.setLayer(layer)

    # --- running ----------------------------------------------------------------------------
    def run_algorithm(self, name: str, wanted, on_done, title: str) -> bool:
        """Start ``soil_conservation:<name>`` as a background task with ``wanted()``'s values."""
        try:
            if self.busy():
                self.warn(translate("SoilConservation", "Another run is in progress; wait for it or cancel it."))
                return False
            if algorithm(name) is None:
                self.warn(translate("SoilConservation", "The algorithm {name} is not available.").format(name=name))
                return False
            if unavailable(name):  # a package it needs is missing: say which, run nothing
                self.warn(unavailable(name))
                return False
            out_dir = self.new_run_dir(name)
            params, missing = build_parameters(name, wanted(), out_dir)
            if missing:
                shutil.rmtree(out_dir, ignore_errors=True)
                self.warn(translate("SoilConservation", "Missing input: {names}").format(names=", ".join(missing)))
                return False
            run = AlgorithmRun(f"soil_conservation:{name}", params)
        except Exception as exc:  # noqa: BLE001 - a slot must never raise into Qt
            self.error(localized(str(exc)))
            return False
        self._start(run, out_dir, on_done, title)
        return True

    def run_all(self) -> bool:
        """The pipeline's chain (units → slope → zoning → checks → export) on the current inputs."""
        if self.busy():
            self.warn(translate("SoilConservation", "Another run is in progress; wait for it or cancel it."))
            return False
        try:
            from ..processing.pipeline import run_chain

            inputs = self.chain_inputs()
            out_dir = self.new_run_dir("chain")
            run = FunctionRun(translate("SoilConservation", "Run all steps"), lambda feedback: run_chain(inputs, out_dir, feedback))
        except Exception as exc:  # noqa: BLE001
            self.error(localized(str(exc)))
            return False
        self._start(run, out_dir, self._chain_done, translate("SoilConservation", "All steps"))
        return True

    def chain_inputs(self) -> dict:
        inputs = self.data.inputs()
        units = self.units.official_units()
        if units:
            inputs["units"] = units
        rules = self.zoning.rulesFile.filePath()
        if rules:
            inputs["rules_file"] = rules
        return inputs

    def _start(self, run, out_dir: Path, on_done, title: str) -> None:
        self.run = run
        self.last_run_dir = out_dir
        run.progressChanged.connect(self._progress)
        run.finished.connect(lambda ok, results, cancelled: self._finished(run, ok, results, cancelled, out_dir, on_done, title))
        self.progress.setValue(0)
        self.runStatus.setText(translate("SoilConservation", "Running: {title} …").format(title=title))
        self.refresh()
        run.start()

    def _progress(self, value: float) -> None:
        self.progress.setValue(int(value))

    def cancel(self) -> None:
        if self.run is not None:
            self.runStatus.setText(translate("SoilConservation", "Cancelling …"))
            self.run.cancel()

    def _finished(self, run, ok: bool, results: dict, cancelled: bool, out_dir: Path, on_done, title: str) -> None:
        try:
            run.progressChanged.disconnect(self._progress)
        except (TypeError, RuntimeError):
            pass
        self.run = None
        self.refresh()
        if cancelled:
            shutil.rmtree(out_dir, ignore_errors=True)  # the run's own folder: nothing half-written stays
            self.progress.setValue(0)
            self.runStatus.setText(translate("SoilConservation", "Cancelled; nothing was written."))
            return
        if not ok:
            message = localized("\n".join(run.errors)) or translate("SoilConservation", "The run failed.")
            self.runStatus.setText(translate("SoilConservation", "Failed: {title}").format(title=title))
            self.error(message)
            return
        self.progress.setValue(100)
        self.runStatus.setText(translate("SoilConservation", "Done: {title} → {path}").format(title=title, path=out_dir))
        try:
            group = ResultGroup(title)
            on_done(results, out_dir, group)
            if not group.layers:
                group.group.parent().removeChildNode(group.group)
        except Exception as exc:  # noqa: BLE001 - loading results must not take QGIS down
            self.error(localized(f"{type(exc).__name__}: {exc}"))

    def _chain_done(self, results: dict, out_dir: Path, group) -> None:
        """Load every layer file the chain wrote, styled by step; hand the results to the later pages."""
        for step, outputs in results.items():
            qml = CHAIN_STYLES.get(step)
            for value in (outputs or {}).values() if isinstance(outputs, dict) else []:
                if not isinstance(value, str):
                    continue
                path = Path(value.split("|")[0])
                if path.suffix.lower() not in (".tif", ".gpkg") or not path.is_file() or str(path) in self._loaded(group):
                    continue
                for layer in group.add_file(str(path), qml_for=lambda _l, q=qml: q):
                    if layer.name() in SKIP_LAYERS:
                        QgsProject.instance().removeMapLayer(layer.id())
                        group.layers.remove(layer)
                    else:
                        self._hand_over(step, layer, str(path))
        self.info(translate("SoilConservation", "All steps done; results in {path}").format(path=out_dir))

    @staticmethod
    def _loaded(group) -> set:
        return {lyr.source().split("|")[0] for lyr in group.layers}

    def _hand_over(self, step: str, layer, path: str) -> None:
        """A chain result becomes the input of the pages that use it (checks, export, publication)."""
        names = set(layer.fields().names()) if hasattr(layer, "fields") else set()
        if step in ("watersheds", "import_units") and "unit_code" in names and layer.geometryType() == QgsWkbTypes.GeometryType.PolygonGeometry:
            self.set_units_layer(layer)
        elif step == "steep_slope" and "patch_id" in names:
            self.set_steep_layer(layer)
        elif step == "zoning" and "zone_ids" in names:
            self.set_zones_layer(layer)
        elif step == "checks" and "rule_id" in names:
            self.checks.open_issues(path, layer=layer)

    # --- persistence ----------------------------------------------------------------------------
    def restore(self, *_):
        """Widget values from the current project's custom properties (also on project load)."""
        Persist.restoring = True
        try:
            self.persist.restore()
            for page in self.page_list:
                page.persist.restore()
        finally:
            Persist.restoring = False
        self.data.check()
        self.steep._threshold_edited()
        self.checks.restore_issue_file()
        self.refresh()

    # --- unload -----------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Called by the plugin's unload: stop a running task and drop every signal connection."""
        run, self.run = self.run, None
        if run is not None:
            try:
                run.finished.disconnect()
            except (TypeError, RuntimeError):
                pass
            run.cancel()
            try:
                task = run.task
                if task is not None and not task.waitForFinished(10000):
                    _orphans.append(run)  # keep context and feedback alive until the thread lets go
            except RuntimeError:  # the task manager already deleted the finished task
                pass
        for page in self.page_list:
            page.shutdown()
        for signal, slot in self._connections:
            try:
                signal.disconnect(slot)
            except (TypeError, RuntimeError):
                pass
        self._connections.clear()
        self.persist.disconnect()
