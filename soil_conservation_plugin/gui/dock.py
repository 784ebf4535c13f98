"""The plugin's dock: one panel whose pages take a specialist through the workflow.

Every Run button starts a Processing algorithm of the plugin as a background task
(gui/tasks.py); "Run all steps" runs the pipeline's chain (the same as `make demo`)
as one task. One run at a time; the progress bar and Cancel belong to it. Results
load into one layer group per run; errors go to the message bar in the user's
language; widget values persist in the QGIS project.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import shutil
from pathlib import Path

from qgis.core import Qgis, QgsMessageLog, QgsProject
from qgis.gui import QgsDockWidget, QgsFileWidget
from qgis.PyQt import uic
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEvent, QObject, Qt, QUrl
from qgis.PyQt.QtGui import QDesktopServices
from qgis.PyQt.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QComboBox, QFrame, QScrollArea, QToolButton

from ..core.common.paths import resources_path
from ..processing.alg_change import ChangeAlgorithm as Change
from ..processing.alg_checks import ChecksAlgorithm as Checks
from ..processing.alg_disturbance import DisturbanceCheckAlgorithm as Disturbance
from ..processing.alg_export import ExportAlgorithm as Export
from ..processing.alg_import_units import ImportUnitsAlgorithm as ImportUnits
from ..processing.alg_indicators import UnitIndicatorsAlgorithm as Indicators
from ..processing.alg_publish import PublishAlgorithm as Publish
from ..processing.alg_rollup import RollupAlgorithm as Rollup
from ..processing.alg_steep_slope import SteepSlopeAlgorithm as Steep
from ..processing.alg_watersheds import DelineateWatershedsAlgorithm as Watersheds
from ..processing.alg_zoning import ZoningAlgorithm as Zoning
from ..processing.pipeline import chain_ref
from ..translation import tr, translate
from .common import PROJECT_SCOPE, Connections, Persist, algorithm, build_parameters, localized, unavailable
from .pages import DataPage, DisturbancePage, PublishPage, RollupPage, SteepPage, UnitsPage, ZoningPage
from .results import ResultGroup
from .review_panel import ChecksPage
from .tasks import AlgorithmRun, FunctionRun

FORM_CLASS, _ = uic.loadUiType(str(Path(__file__).with_name("dock.ui")))
LOG_TAG = "Soil conservation"
TITLE = QT_TRANSLATE_NOOP("SoilConservation", "Soil conservation zoning")
# styles of the chain's outputs, by step
# the layer-tree group (one per step, replaced on re-run) of each algorithm's results
STEP_OF = {
    "watersheds": "units",
    "import_units": "units",
    "unit_indicators": "indicators",
    "export": "export",
    "publish": "publish",
    "disturbance_check": "disturbance",
    "disturbance_status": "disturbance_status",
    "change": "rollup_change",
}

# file names of the steps' outputs (steep_slope_220521.gpkg, not output.gpkg)
STEMS = {
    "watersheds": "small_watersheds",
    "import_units": "small_watersheds",
    "unit_indicators": "indicators",
    "checks": "checks_zones",
    "export": "onemap_package",
    "publish": "announcement",
    "disturbance_check": "disturbance_check",
    "rollup": "rollup",
    "change": "change",
}


class ChainLinks:
    """What one step of "Run all" takes from an earlier one (resolved by the pipeline as the chain runs)."""

    units = chain_ref("units", Watersheds.OUTPUT, "units")  # 'units': whichever unit step ran
    labels = chain_ref(Watersheds.NAME, Watersheds.RASTER)
    indicators = chain_ref(Indicators.NAME, Indicators.UNITS_OUT)
    steep = chain_ref(Steep.NAME, Steep.OUTPUT)
    zones = chain_ref(Zoning.NAME, Zoning.UNITS_OUT)
    zone_areas = chain_ref(Zoning.NAME, Zoning.ZONES_OUT)  # dissolved per county: the 公告's zoning map
    issues = chain_ref("checks", Checks.OUTPUT, "issues")
    tables = [chain_ref(Steep.NAME, k) for k in (Steep.COUNTY_TABLE, Steep.TOWNSHIP_TABLE, Steep.UNIT_TABLE)]
    disturbance = chain_ref(Disturbance.NAME, Disturbance.PATCHES_OUT)  # One Map 0.2 layer RDTBHC
    county_rollup = chain_ref(Rollup.NAME, Rollup.COUNTY_OUT)  # One Map 0.2 layer XJSTBC


_orphans: list = []


class WheelGuard(QObject):
    """A wheel over an unfocused combo or spin box scrolls the page instead of changing the value."""

    def eventFilter(self, obj, event):  # noqa: N802 (Qt API)
        if event.type() == QEvent.Type.Wheel and not obj.hasFocus():
            parent = obj.parent()
            while parent is not None and not isinstance(parent, QAbstractScrollArea):
                parent = parent.parent()
            if parent is not None:
                QCoreApplication.sendEvent(parent.verticalScrollBar(), event)
            return True
        return False  # runs still finishing after their dock was closed


class SoilConservationDock(QgsDockWidget, FORM_CLASS):
    def __init__(self, iface, parent=None):
        super().__init__(parent)
        was_dirty = QgsProject.instance().isDirty()  # building the pages writes their values: not a user edit
        self.setupUi(self)
        self.setObjectName("SoilConservationDock")
        self.setWindowTitle(tr(TITLE))
        self.iface = iface
        self.run: AlgorithmRun | FunctionRun | None = None
        self.data = None
        self.unit_rasters: dict = {}  # unit layer source → its unit raster (indicators' LABELS)
        self.steep_tables: dict = {}  # steep-slope layer source → its area tables (export)
        self._connections = Connections()
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
        self.disturbance = DisturbancePage(self)
        self.rollup = RollupPage(self)
        self.page_list = [
            self.data,
            self.units,
            self.steep,
            self.zoning,
            self.checks,
            self.publish,
            self.disturbance,
            self.rollup,
        ]
        for page in self.page_list:
            scroll = QScrollArea()
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(page)
            self.pages.addTab(scroll, page.title())

        self._connections.connect(self.data.provinceChanged, self.steep.prefill)
        self._connections.connect(self.data.provinceChanged, self.zoning.prefill)
        self._connections.connect(self.data.changed, self.publish.update_counties)
        self._connections.connect(self.data.changed, self.units.check)
        self._connections.connect(self.data.changed, self.refresh)
        self._connections.connect(self.data.changed, self.disturbance.prefill)
        self._connections.connect(self.cancelButton.clicked, self.cancel)
        self._connections.connect(self.runAllButton.clicked, self.run_all)
        self._connections.connect(QgsProject.instance().readProject, self.restore)
        self.help_button = QToolButton(self)
        self.help_button.setObjectName("helpButton")
        self.help_button.setText("?")
        self.help_button.setToolTip(translate("SoilConservation", "User guide"))
        self.hbox3.addWidget(self.help_button)
        self._connections.connect(self.help_button.clicked, self.open_help)
        self.calm_widgets()
        self.restore()
        if not was_dirty:
            QgsProject.instance().setDirty(False)

    # --- calm widgets, a usable size, help ---------------------------------------------------
    MIN_WIDTH = 440

    def calm_widgets(self) -> None:
        """Combos and spin boxes take the wheel only when focused (the page scrolls otherwise),
        may shrink to the dock's width, and the dock opens wide enough to show its pages."""
        self.wheel_guard = WheelGuard(self)
        for w in self.findChildren(QComboBox) + self.findChildren(QAbstractSpinBox):
            w.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            w.installEventFilter(self.wheel_guard)
            if isinstance(w, QComboBox):
                w.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                w.setMinimumContentsLength(8)
        for scroll in self.findChildren(QScrollArea):
            scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # wide enough for the widest page (plus the scroll bar and frame), so nothing is clipped
        needed = max(page.minimumSizeHint().width() for page in self.page_list) + 40
        self.setMinimumWidth(max(self.MIN_WIDTH, needed))

    def help_path(self) -> Path:
        from .common import user_is_chinese

        return resources_path("help", "guide_zh.html" if user_is_chinese() else "guide_en.html")

    def open_help(self, *_):
        try:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.help_path())))
        except FileNotFoundError as exc:
            self.warn(str(exc))

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
        self.disturbance.steepCombo.setLayer(layer)
        self.publish.publishSteepCombo.setLayer(layer)
        self.checks.targetCombo.setLayer(layer)

    def set_zones_layer(self, layer) -> None:
        self.publish.zonesCombo.setLayer(layer)
        self.checks.targetCombo.setLayer(layer)
        self.rollup.unitsCombo.setLayer(layer)  # the zoned units carry the indicators the roll-up sums

    def set_zone_areas_layer(self, layer) -> None:
        """The zones per county (layer 'zones' of the zoning output): what the disturbance check overlays."""
        self.disturbance.zonesCombo.setLayer(layer)

    def show_page(self, page) -> None:
        for i in range(self.pages.count()):
            scroll = self.pages.widget(i)
            if isinstance(scroll, QScrollArea) and scroll.widget() is page:
                self.pages.setCurrentIndex(i)
                return

    # --- running ----------------------------------------------------------------------------
    def run_algorithm(self, name: str, wanted, on_done, title: str, step: str | None = None) -> bool:
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
            params, missing = build_parameters(
                name, wanted(), out_dir, stem=f"{STEMS.get(name, name)}{self.county_stem()}"
            )
            if missing:
                shutil.rmtree(out_dir, ignore_errors=True)
                self.warn(translate("SoilConservation", "Missing input: {names}").format(names=", ".join(missing)))
                return False
            run = AlgorithmRun(f"soil_conservation:{name}", params)
        except Exception as exc:  # noqa: BLE001 - a slot must never raise into Qt
            self.error(localized(str(exc)))
            return False
        self._start(run, out_dir, on_done, title, STEP_OF.get(name, name) if step is None else step)
        return True

    def run_all(self) -> bool:
        """Every page's step, in order, with the parameters its own Run button would use (one task)."""
        if self.busy():
            self.warn(translate("SoilConservation", "Another run is in progress; wait for it or cancel it."))
            return False
        try:
            from ..processing.pipeline import run_steps

            out_dir = self.new_run_dir("chain")
            steps, missing = self.chain_steps(out_dir)
            if missing:
                shutil.rmtree(out_dir, ignore_errors=True)
                self.warn(translate("SoilConservation", "Missing input: {names}").format(names=", ".join(missing)))
                return False
            problem = self.disturbance.field_problem() if any(s[0] == Disturbance.NAME for s in steps) else ""
            if problem:  # refused before the first step, not after the zoning
                shutil.rmtree(out_dir, ignore_errors=True)
                self.error(problem)
                return False
            inputs = self.chain_inputs()
            run = FunctionRun(
                translate("SoilConservation", "Run all steps"),
                lambda feedback: run_steps(steps, out_dir, feedback, inputs),
            )
        except Exception as exc:  # noqa: BLE001
            self.error(localized(str(exc)))
            return False
        self._start(run, out_dir, self._chain_done, translate("SoilConservation", "All steps"), None)
        return True

    def chain_steps(self, out_dir: Path) -> tuple[list, list]:
        """[(step, algorithm, parameters)] built by the pages themselves (the pages are the one
        source of parameters: Run all and the Run buttons cannot differ), outputs in out_dir/<step>."""
        code = self.county_stem()
        steps, missing = [], []
        for step, name, values in self.chain_wanted(ChainLinks()):
            if algorithm(name) is None:
                continue
            folder = out_dir / step
            params, lacking = build_parameters(name, values, folder, stem=f"{STEMS.get(step, step)}{code}")
            missing += [f"{step}: {m}" for m in lacking]
            steps.append((step, name, params))
        return steps, missing

    def chain_wanted(self, links: ChainLinks) -> list[tuple[str, str, dict]]:
        """[(step, algorithm, the values its page wants)] of Run all, before build_parameters."""
        if self.units.importRadio.isChecked():
            wanted = [("import_units", ImportUnits.NAME, self.units.wanted_import())]
        else:
            wanted = [("watersheds", Watersheds.NAME, self.units.wanted())]
        supervision = self.supervision_wanted(links)
        ran = {step for step, _, _ in supervision}
        export = self.publish.wanted(links) | {  # as make demo's export: the checked patches and the county roll-up
            key: ref
            for key, step, ref in (
                (Export.DISTURBANCE, Disturbance.NAME, links.disturbance),
                (Export.ROLLUP, Rollup.NAME, links.county_rollup),
            )
            if step in ran
        }
        return wanted + [
            ("steep_slope", Steep.NAME, self.steep.wanted(links)),
            ("unit_indicators", Indicators.NAME, self.zoning.wanted_indicators(links)),
            ("zoning", Zoning.NAME, self.zoning.wanted(links)),
            ("checks", Checks.NAME, self.checks.wanted(links, target=links.zones, kind="zones")),
            ("checks_steep", Checks.NAME, self.checks.wanted(links, target=links.steep, kind="steep_slope")),
            *supervision,
            ("export", Export.NAME, export),
            ("publish", Publish.NAME, self.publish.wanted_publish("", links)),
        ]

    def supervision_wanted(self, links: ChainLinks) -> list[tuple[str, str, dict]]:
        """Pages 7 and 8 in Run all, as `make demo` runs them: the disturbance check when a patch layer is
        chosen on page 7; the roll-up when page 8's targets file is the chosen province's (吉林's targets
        must not be decomposed onto another province's counties), and then the change between erosion
        years when its box is ticked."""
        wanted = []
        if self.disturbance.patchesCombo.currentLayer() is not None:
            wanted.append((Disturbance.NAME, Disturbance.NAME, self.disturbance.wanted(links)))
        targets = self.rollup.targets_province()  # reads the targets file
        if targets and targets == (self.data.province() or ""):
            wanted.append((Rollup.NAME, Rollup.NAME, self.rollup.wanted(links)))
            if self.rollup.changeCheck.isChecked():
                wanted.append((Change.NAME, Change.NAME, self.rollup.wanted_change(links)))
        return wanted

    def county_stem(self) -> str:
        """'_220521' when one county is chosen (for file names), else ''."""
        counties = self.data.counties() if self.data is not None else []
        return f"_{counties[0][0]}" if len(counties) == 1 and counties[0][0] else ""

    def units_labels(self) -> str:
        """The unit raster of the delineation that produced the current unit layer ('' otherwise)."""
        return self.unit_rasters.get(self.units_source(), "")

    def chain_inputs(self) -> dict:
        inputs = self.data.inputs()
        units = self.units.official_units()
        if units:
            inputs["units"] = units
        rules = self.zoning.rulesFile.filePath()
        if rules:
            inputs["rules_file"] = rules
        return inputs

    def _start(self, run, out_dir: Path, on_done, title: str, step: str | None) -> None:
        self.run = run
        run.progressChanged.connect(self._progress)
        run.finished.connect(
            lambda ok, results, cancelled: self._finished(run, ok, results, cancelled, out_dir, on_done, title, step)
        )
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

    def _finished(
        self, run, ok: bool, results: dict, cancelled: bool, out_dir: Path, on_done, title: str, step: str | None = None
    ) -> None:
        with contextlib.suppress(TypeError, RuntimeError):  # the run's signals may be gone already
            run.progressChanged.disconnect(self._progress)
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
        self.runStatus.setText(
            translate("SoilConservation", "Done: {title} → {path}").format(title=title, path=out_dir)
        )
        try:
            group = ResultGroup(title, step) if step is not None else None
            on_done(results, out_dir, group)
            if group is not None:
                group.discard_if_empty()
        except Exception as exc:  # noqa: BLE001 - loading results must not take QGIS down
            self.error(localized(f"{type(exc).__name__}: {exc}"))

    def _chain_done(self, results: dict, out_dir: Path, _group) -> None:
        """Each step's results loaded by its page, as after the page's own run (one group per step)."""
        loaders = (
            ("watersheds", "units", self.units.done, self.units.title()),
            ("import_units", "units", self.units.done, self.units.title()),
            ("steep_slope", "steep_slope", self.steep.done, self.steep.title()),
            ("zoning", "zoning", self.zoning.done, self.zoning.title()),
            ("checks_steep", "checks_steep_slope", self._chain_checks("steep_slope"), self.checks.title()),
            ("checks", "checks_zones", self._chain_checks("zones"), self.checks.title()),
            (Disturbance.NAME, STEP_OF[Disturbance.NAME], self.disturbance.done, self.disturbance.title()),
            (Rollup.NAME, Rollup.NAME, self.rollup.done, self.rollup.title()),
            (Change.NAME, STEP_OF[Change.NAME], self.rollup.change_done, self.rollup.title()),
            ("export", None, self.publish.done, ""),
            ("publish", None, self.publish.published, ""),
        )
        for name, step, load, title in loaders:
            if not results.get(name):
                continue
            group = ResultGroup(title, step) if step else None
            load(results[name], out_dir, group)
            if group is not None:
                group.discard_if_empty()
        self.info(translate("SoilConservation", "All steps done; results in {path}").format(path=out_dir))

    def _chain_checks(self, kind: str):
        """The chain's issues go into the kind's review file (keeping its decisions), then to page 5."""

        def load(results: dict, out_dir: Path, group) -> None:
            from ..core.checks.review import adopt_issues

            review = self.checks.issue_file_for(kind)
            review.parent.mkdir(parents=True, exist_ok=True)
            adopt_issues(results["OUTPUT"], review)
            if kind == "zones":
                self.checks.open_issues(str(review), group, kind=kind)
            else:
                self.checks.add_issue_layer(str(review), group, kind)

        return load

    # --- persistence ----------------------------------------------------------------------------
    def restore(self, *_):
        """Widget values from the current project's custom properties (also on project load).
        Neither opening the dock nor restoring its values marks the project modified."""
        project = QgsProject.instance()
        was_dirty = project.isDirty()
        try:
            self._restore()
        finally:
            if not was_dirty and project.isDirty():
                project.setDirty(False)

    def _restore(self):
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
        self.checks.restore_patch_file()
        self.disturbance.prefill()
        self.refresh()

    # --- unload -----------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Called by the plugin's unload: stop a running task and drop every signal connection."""
        run, self.run = self.run, None
        if run is not None:
            with contextlib.suppress(TypeError, RuntimeError):
                run.finished.disconnect()
            run.cancel()
            try:
                task = run.task
                if task is not None and not task.waitForFinished(10000):
                    _orphans.append(run)  # keep context and feedback alive until the thread lets go
            except RuntimeError:  # the task manager already deleted the finished task
                pass
        for page in self.page_list:
            page.shutdown()
        self._connections.disconnect_all()
        self.persist.disconnect()
