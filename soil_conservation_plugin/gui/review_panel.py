"""Page 5, 红线校核: run the checks, walk through the issues, record decisions, overlay view;
and the 销号 status of the checked disturbance patches (page 7).

Decisions go to the ``review_decisions`` table of the issue GeoPackage through
core/checks/review.py, so another reviewer opening the same file sees them, and a re-run
of the checks (which writes to the same file) keeps the decisions that still apply.
A patch's status is set by running ``soil_conservation:disturbance_status`` (the same
algorithm as in Processing) as a background task; it is kept in the check's GeoPackage,
and a re-run of the check keeps it.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsGeometry,
    QgsMapLayerProxyModel,
    QgsProject,
    QgsVectorLayer,
)
from qgis.gui import QgsHighlight
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QDate, Qt
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
)

from ..core.checks.review import ISSUES_LAYER, STATUSES, load_issues, record_decision
from ..processing.alg_checks import ChecksAlgorithm
from ..translation import tr, translate
from .common import layer_source, localized, user_is_chinese
from .pages import Page, _form
from .results import now, style_path

KINDS = ChecksAlgorithm.KINDS  # the checks algorithm's KIND enum, in order
KIND_LABELS = {
    "generic": QT_TRANSLATE_NOOP("SoilConservation", "Any polygon layer"),
    "steep_slope": QT_TRANSLATE_NOOP("SoilConservation", "Steep-slope patches"),
    "units": QT_TRANSLATE_NOOP("SoilConservation", "Small watersheds"),
    "zones": QT_TRANSLATE_NOOP("SoilConservation", "Zones"),
}
STATUS_LABELS = {
    "open": QT_TRANSLATE_NOOP("SoilConservation", "Open"),
    "accepted": QT_TRANSLATE_NOOP("SoilConservation", "Accepted"),
    "needs_fix": QT_TRANSLATE_NOOP("SoilConservation", "Needs fix"),
    "false_positive": QT_TRANSLATE_NOOP("SoilConservation", "False positive"),
}
SEVERITY_LABELS = {
    "error": QT_TRANSLATE_NOOP("SoilConservation", "Error"),
    "warning": QT_TRANSLATE_NOOP("SoilConservation", "Warning"),
    "info": QT_TRANSLATE_NOOP("SoilConservation", "Info"),
}
SEVERITY_COLOURS = {"error": "#cf222e", "warning": "#9a6700", "info": "#0969da"}
ALL = "__all__"


def _safe(name: str) -> str:
    return re.sub(r"[^\w\u3400-\u9fff-]+", "_", name).strip("_") or "layer"


class ChecksPage(Page, _form("page_checks.ui")):
    KEY = "checks"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "5 Red-line checks")
    ALGORITHM = "checks"

    def __init__(self, dock):
        super().__init__(dock)
        self.gpkg: str = ""
        self.issues: list = []
        self.crs = None
        self.issue_layer = None
        self.highlight = None
        self.targetCombo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        self.overlayCombo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        for combo in (self.targetCombo, self.overlayCombo):
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        for kind in KINDS:
            self.kindCombo.addItem(tr(KIND_LABELS[kind]), kind)
        for decision in STATUSES:  # "Open" reopens an issue decided before
            self.decisionCombo.addItem(tr(STATUS_LABELS[decision]), decision)
        headers = [
            translate("SoilConservation", "Rule"),
            translate("SoilConservation", "Severity"),
            translate("SoilConservation", "Status"),
            translate("SoilConservation", "Message"),
            translate("SoilConservation", "Feature"),
            translate("SoilConservation", "Value"),
        ]
        self.issueTable.setColumnCount(len(headers))
        self.issueTable.setHorizontalHeaderLabels(headers)
        self.issueTable.horizontalHeader().setStretchLastSection(True)
        self.issueTable.setMinimumHeight(160)
        self._fill_filters()
        for key, w in (
            ("target", self.targetCombo),
            ("kind", self.kindCombo),
            ("overlay", self.overlayCombo),
            ("opacity", self.opacitySlider),
        ):
            self.persist.add(key, w)
        self.connect(self.runButton.clicked, self.run)
        self.connect(self.openIssues.clicked, self.choose_issue_file)
        self.connect(self.saveDecision.clicked, self.save_decision)
        self.connect(self.issueTable.cellClicked, self.zoom_to_row)
        self.connect(self.issueTable.itemSelectionChanged, self._selection_changed)
        for combo in (self.ruleFilter, self.severityFilter, self.statusFilter):
            self.connect(combo.currentIndexChanged, self.fill_table)
        self.connect(self.overlayButton.clicked, self.show_overlay)
        self.connect(self.opacitySlider.valueChanged, self.apply_opacity)
        self.connect(self.targetCombo.layerChanged, self._guess_kind)
        self._build_patch_review()

    def run_buttons(self) -> list:
        return [self.runButton, self.saveStatus]

    def refresh(self) -> None:
        super().refresh()
        if self.current_patch() is None or self.nextStatus.count() == 0:
            self.saveStatus.setEnabled(False)

    # --- running the checks ----------------------------------------------------------------
    def issue_file_for(self, kind: str) -> Path:
        """One review file per kind of checked layer (and county), kept across runs of the checks
        (from this page or from Run all), so the decisions recorded in it carry over."""
        return self.dock.results_dir() / "checks" / f"review_{kind}{self.dock.county_stem()}.gpkg"

    def _guess_kind(self, layer):
        if layer is None:
            return
        names = set(layer.fields().names())
        if "patch_id" in names:
            kind = "steep_slope"
        elif "zone_ids" in names:
            kind = "zones"
        elif "unit_code" in names:
            kind = "units"
        else:
            kind = "generic"
        self.kindCombo.setCurrentIndex(self.kindCombo.findData(kind))

    def wanted(self, links=None, target=None, kind=None) -> dict:
        """The checks of ``target`` (default: the chosen layer) as ``kind``; the page's run writes into
        the kind's review file, Run all into its own folder (the dock then takes the issues over)."""
        d = self.dock.data
        kind = kind or self.kindCombo.currentData() or "generic"
        a = ChecksAlgorithm
        params = {
            a.INPUT: target if target is not None else layer_source(self.targetCombo.currentLayer()),
            a.KIND: a.KINDS.index(kind),
            a.REDLINE: layer_source(d.layer("redline")),
            a.BOUNDARY: layer_source(d.layer("county")),
        }
        if links is None:
            review = self.issue_file_for(kind)
            review.parent.mkdir(parents=True, exist_ok=True)
            params[a.OUTPUT] = str(review)
        return params

    def done(self, results: dict, out_dir: Path, group) -> None:
        gpkg = results.get("OUTPUT")
        if gpkg:
            self.open_issues(str(gpkg), group, kind=self.kindCombo.currentData())
        if self.overlayCombo.currentLayer() is None:
            self.overlayCombo.setLayer(self.targetCombo.currentLayer())

    def choose_issue_file(self):
        path, _ = QFileDialog.getOpenFileName(
            self, translate("SoilConservation", "Open issue file"), str(self.dock.results_dir()), "GeoPackage (*.gpkg)"
        )
        if path:
            self.open_issues(path, None)

    def issue_layer_name(self, kind: str | None) -> str:
        label = tr(KIND_LABELS[kind]) if kind in KIND_LABELS else ""
        name = translate("SoilConservation", "Check issues")
        return f"{name}: {label} {now()}" if label else f"{name} {now()}"

    def add_issue_layer(self, gpkg: str, group, kind: str | None):
        """An issue layer on the map (in ``group``) without opening it in the list."""
        layer = QgsVectorLayer(f"{gpkg}|layername={ISSUES_LAYER}", self.issue_layer_name(kind), "ogr")
        if layer.isValid() and group is not None:
            group.add(layer, "check_issues.qml")
        return layer

    def run(self) -> None:
        if self.targetCombo.currentLayer() is None:
            self.dock.warn(translate("SoilConservation", "Choose the result layer to check."))
            return
        kind = self.kindCombo.currentData() or "generic"
        self.dock.run_algorithm(self.ALGORITHM, self.wanted, self.done, tr(self.TITLE), step=f"checks_{kind}")

    def open_issues(self, gpkg: str, group=None, layer=None, kind=None) -> None:
        """Load the issue list from ``gpkg`` and show its issue layer on the map (``layer`` if already loaded)."""
        try:
            self.issues, self.crs = load_issues(gpkg)
        except Exception as exc:  # noqa: BLE001 - a wrong file is the user's, say so
            self.dock.error(localized(str(exc)))
            return
        self.gpkg = gpkg
        self.checked_layer = self.targetCombo.currentLayer()  # the issues' feature ids are its FIDs
        self._areas = {}
        self._remove_issue_layer()
        uri = f"{gpkg}|layername={ISSUES_LAYER}"
        if layer is None and group is None:  # a project that already shows this file (saved, reopened): no duplicate
            layer = next((lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.source() == uri), None)
            self._owned = False
        else:
            self._owned = True
        if layer is None:
            layer = QgsVectorLayer(uri, self.issue_layer_name(kind), "ogr")
            if layer.isValid():
                if group is not None:
                    group.add(layer, "check_issues.qml")
                else:
                    qml = style_path("check_issues.qml")
                    if qml is not None:
                        layer.loadNamedStyle(str(qml))
                    QgsProject.instance().addMapLayer(layer)
        if layer.isValid():
            self.issue_layer = layer
            self.dock.project_entry("checks/issue_file", gpkg)
        self._fill_filters()
        self.fill_table()

    def _remove_issue_layer(self):
        self._clear_highlight()
        layer, self.issue_layer = self.issue_layer, None
        if layer is not None and getattr(self, "_owned", True):
            try:
                if QgsProject.instance().mapLayer(layer.id()) is not None:
                    QgsProject.instance().removeMapLayer(layer.id())
            except RuntimeError:  # already deleted with its project
                pass

    # --- the list ----------------------------------------------------------------------------
    def _fill_filters(self):
        rules = sorted({i.rule_id for i in self.issues})
        for combo, values, labels in (
            (self.ruleFilter, rules, {r: r for r in rules}),
            (
                self.severityFilter,
                [s for s in SEVERITY_LABELS if any(i.severity == s for i in self.issues)],
                {k: tr(v) for k, v in SEVERITY_LABELS.items()},
            ),
            (self.statusFilter, list(STATUSES), {k: tr(v) for k, v in STATUS_LABELS.items()}),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            all_label = {
                self.ruleFilter: translate("SoilConservation", "All rules"),
                self.severityFilter: translate("SoilConservation", "All severities"),
                self.statusFilter: translate("SoilConservation", "All statuses"),
            }[combo]
            combo.addItem(all_label, ALL)
            for value in values:
                combo.addItem(labels.get(value, value), value)
            index = combo.findData(current)
            combo.setCurrentIndex(index if index >= 0 else 0)
            combo.blockSignals(False)

    def visible_issues(self) -> list[tuple[int, object]]:
        rule, severity, status = (c.currentData() for c in (self.ruleFilter, self.severityFilter, self.statusFilter))
        return [
            (n, i)
            for n, i in enumerate(self.issues)
            if (rule in (ALL, None) or i.rule_id == rule)
            and (severity in (ALL, None) or i.severity == severity)
            and (status in (ALL, None) or (i.status or "open") == status)
        ]

    def fill_table(self, *_):
        zh = user_is_chinese()
        table = self.issueTable
        rows = self.visible_issues()
        table.setRowCount(len(rows))
        for row, (n, issue) in enumerate(rows):
            value = self.value_text(issue)
            cells = [
                issue.rule_id,
                tr(SEVERITY_LABELS.get(issue.severity, issue.severity)),
                tr(STATUS_LABELS.get(issue.status or "open", issue.status)),
                issue.message_zh if zh else issue.message_en,
                issue.feature_id or "",
                value or (issue.value_text or ""),
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text))
                item.setData(Qt.ItemDataRole.UserRole, n)
                if col == 1:
                    item.setForeground(QColor(SEVERITY_COLOURS.get(issue.severity, "#000000")))
                if col == 3:
                    item.setToolTip(
                        f"{issue.message_zh}\n{issue.message_en}" + (f"\n— {issue.comment}" if issue.comment else "")
                    )
                table.setItem(row, col, item)
        table.resizeColumnsToContents()
        counts = {s: sum(1 for i in self.issues if (i.status or "open") == s) for s in STATUSES}
        self.reviewStatus.setText(
            translate(
                "SoilConservation",
                "{n} issues shown of {total}; open {open}, accepted {acc}, needs fix {fix}, false positive {fp}",
            ).format(
                n=len(rows),
                total=len(self.issues),
                open=counts["open"],
                acc=counts["accepted"],
                fix=counts["needs_fix"],
                fp=counts["false_positive"],
            )
        )

    def value_text(self, issue) -> str:
        """Areas in ha (the checks measure m²) with their share of the checked feature; other values
        as they are; two decimals."""
        if issue.value is None:
            return ""
        if issue.unit in ("m²", "m2"):
            text = f"{issue.value / 1e4:.2f} ha"
            whole = self.feature_area(issue.feature_id)
            if whole:
                text += " " + translate("SoilConservation", "({p:.2f} % of the feature)").format(
                    p=100.0 * issue.value / whole
                )
            return text
        return f"{issue.value:.2f} {issue.unit or ''}".strip()

    def feature_area(self, feature_id) -> float | None:
        """Ellipsoidal area (m²) of feature ``feature_id`` (its FID) of the layer the issues were found on."""
        from qgis.core import QgsDistanceArea

        layer = getattr(self, "checked_layer", None)
        try:
            if layer is None or not layer.isValid() or feature_id in (None, "") or not str(feature_id).isdigit():
                return None
        except RuntimeError:  # removed with its group
            return None
        cache = self.__dict__.setdefault("_areas", {})
        key = (layer.id(), str(feature_id))
        if key not in cache:
            feature = layer.getFeature(int(feature_id))
            area = None
            if feature.isValid() and feature.hasGeometry():
                calc = QgsDistanceArea()
                calc.setSourceCrs(layer.crs(), QgsProject.instance().transformContext())
                calc.setEllipsoid(layer.crs().ellipsoidAcronym() or "GRS80")
                area = calc.measureArea(feature.geometry()) or None
            cache[key] = area
        return cache[key]

    def current_index(self) -> int | None:
        items = self.issueTable.selectedItems()
        return items[0].data(Qt.ItemDataRole.UserRole) if items else None

    def _selection_changed(self):
        n = self.current_index()
        if n is None:
            return
        self.zoom_to_row(self.issueTable.selectedItems()[0].row(), quiet=True)
        issue = self.issues[n]  # the decision box always shows the selected issue's own state
        self.decisionCombo.setCurrentIndex(max(0, self.decisionCombo.findData(issue.status or "open")))
        self.commentEdit.setText(issue.comment or "")

    # --- zoom and highlight ------------------------------------------------------------------
    def zoom_to_row(self, row: int, _col: int = 0, quiet: bool = False):
        item = self.issueTable.item(row, 0)
        if item is None:
            return
        issue = self.issues[item.data(Qt.ItemDataRole.UserRole)]
        if issue.geometry is None or issue.geometry.is_empty:
            if not quiet:
                self.dock.info(
                    translate("SoilConservation", "This issue concerns the whole layer; it has no place on the map.")
                )
            return
        geometry = QgsGeometry.fromWkt(issue.geometry.wkt)
        crs = (
            QgsCoordinateReferenceSystem.fromWkt(self.crs.to_wkt())
            if self.crs is not None
            else QgsCoordinateReferenceSystem()
        )
        canvas = self.dock.iface.mapCanvas()
        target = canvas.mapSettings().destinationCrs()
        box = geometry.boundingBox()
        if crs.isValid() and target.isValid() and crs != target:
            box = QgsCoordinateTransform(crs, target, QgsProject.instance()).transformBoundingBox(box)
        if box.width() == 0 or box.height() == 0:
            box.grow(max(box.width(), box.height(), 50.0 if not target.isGeographic() else 0.0005))
        else:
            box.scale(1.5)
        canvas.setExtent(box)
        canvas.refresh()
        self._clear_highlight()
        if self.issue_layer is not None:
            self.highlight = QgsHighlight(canvas, geometry, self.issue_layer)
            self.highlight.setColor(QColor(255, 0, 255, 220))
            self.highlight.setFillColor(QColor(255, 0, 255, 60))
            self.highlight.setWidth(3)
            self.highlight.show()
        self.zoomed_extent = box

    def _clear_highlight(self):
        if self.highlight is not None:
            try:
                self.highlight.hide()
                canvas = self.dock.iface.mapCanvas()
                canvas.scene().removeItem(self.highlight)
            except RuntimeError:
                pass
            self.highlight = None

    # --- decisions ---------------------------------------------------------------------------
    def save_decision(self):
        n = self.current_index()
        if n is None or not self.gpkg:
            self.dock.warn(translate("SoilConservation", "Choose an issue in the list first."))
            return
        issue = self.issues[n]
        decision = self.decisionCombo.currentData()
        comment = self.commentEdit.text().strip()
        try:
            record_decision(self.gpkg, issue, decision, comment)
        except Exception as exc:  # noqa: BLE001 - e.g. a read-only file: tell the reviewer
            self.dock.error(localized(str(exc)))
            return
        selected_key = issue.key()
        self.issues, self.crs = load_issues(self.gpkg)
        if self.issue_layer is not None:
            self.issue_layer.dataProvider().reloadData()
            self.issue_layer.triggerRepaint()
        self.fill_table()
        for row in range(self.issueTable.rowCount()):
            k = self.issueTable.item(row, 0).data(Qt.ItemDataRole.UserRole)
            if self.issues[k].key() == selected_key:
                self.issueTable.selectRow(row)
                break
        self.dock.info(translate("SoilConservation", "Decision saved: {d}.").format(d=tr(STATUS_LABELS[decision])))

    # --- overlay view ------------------------------------------------------------------------
    def show_overlay(self):
        """The result under an outline copy of the red line, the result's transparency on the slider.

        The copy is a new layer on the same source with the overlay style, put on top; the
        user's own red-line layer keeps its style and place. Showing it again replaces the copy.
        """
        result = self.overlayCombo.currentLayer()
        redline = self.dock.data.layer("redline")
        if result is None or redline is None:
            self.dock.warn(translate("SoilConservation", "Choose a result layer here and the red line on page 1."))
            return
        project = QgsProject.instance()
        self._remove_overlay()
        overlay = QgsVectorLayer(
            redline.source(), translate("SoilConservation", "Red line (overlay view)"), redline.providerType()
        )
        if not overlay.isValid():
            return
        qml = style_path("overlay_redline.qml")
        if qml is not None:
            overlay.loadNamedStyle(str(qml))
        overlay.setCustomProperty("soil_conservation/overlay", True)
        project.addMapLayer(overlay, False)
        project.layerTreeRoot().insertLayer(0, overlay)
        self.overlay_layer = overlay
        node = project.layerTreeRoot().findLayer(result.id())
        if node is not None:
            node.setItemVisibilityChecked(True)
        self.apply_opacity()

    def _remove_overlay(self):
        project = QgsProject.instance()
        for layer in list(project.mapLayers().values()):
            if layer.customProperty("soil_conservation/overlay"):
                project.removeMapLayer(layer.id())
        self.overlay_layer = None

    def apply_opacity(self, *_):
        result = self.overlayCombo.currentLayer()
        if result is not None:
            result.setOpacity(1.0 - self.opacitySlider.value() / 100.0)
            result.triggerRepaint()

    def restore_issue_file(self):
        path, ok = QgsProject.instance().readEntry("SoilConservation", "checks/issue_file", "")
        if ok and path and Path(path).exists():
            self.open_issues(path, None)

    # --- disturbance patches: the 销号 cycle ------------------------------------------------------
    PATCH_COLUMNS = (
        QT_TRANSLATE_NOOP("SoilConservation", "Patch"),
        QT_TRANSLATE_NOOP("SoilConservation", "Year"),
        QT_TRANSLATE_NOOP("SoilConservation", "County"),
        QT_TRANSLATE_NOOP("SoilConservation", "Risk"),
        QT_TRANSLATE_NOOP("SoilConservation", "Status"),
        QT_TRANSLATE_NOOP("SoilConservation", "Date"),
        QT_TRANSLATE_NOOP("SoilConservation", "Comment"),
    )

    def _build_patch_review(self) -> None:
        """A group under the issues: the checked patches, and the next step of the selected one."""
        self.patch_file = ""
        self.patches: list[dict] = []
        self.patch_layer = None
        box = QGroupBox(translate("SoilConservation", "Disturbance patches: status (销号)"), self)
        box.setObjectName("groupPatches")
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.openPatches = QPushButton(translate("SoilConservation", "Open checked patches…"), box)
        self.openPatches.setObjectName("openPatches")
        form.addRow(self.openPatches)
        self.patchTable = QTableWidget(box)
        self.patchTable.setObjectName("patchTable")
        self.patchTable.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.patchTable.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.patchTable.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.patchTable.setAlternatingRowColors(True)
        self.patchTable.setMinimumHeight(140)
        self.patchTable.setColumnCount(len(self.PATCH_COLUMNS))
        self.patchTable.setHorizontalHeaderLabels([tr(c) for c in self.PATCH_COLUMNS])
        self.patchTable.horizontalHeader().setStretchLastSection(True)
        form.addRow(self.patchTable)
        self.nextStatus = QComboBox(box)
        self.nextStatus.setObjectName("nextStatus")
        self.statusDate = QDateEdit(QDate.currentDate(), box)
        self.statusDate.setObjectName("statusDate")
        self.statusDate.setCalendarPopup(True)
        self.statusDate.setDisplayFormat("yyyy-MM-dd")
        self.statusComment = QLineEdit(box)
        self.statusComment.setObjectName("statusComment")
        self.statusComment.setPlaceholderText(translate("SoilConservation", "required when reopening a patch"))
        self.reviewerEdit = QLineEdit(box)
        self.reviewerEdit.setObjectName("reviewerEdit")
        self.saveStatus = QPushButton(translate("SoilConservation", "Save status"), box)
        self.saveStatus.setObjectName("saveStatus")
        for text, widget in (
            (translate("SoilConservation", "New status"), self.nextStatus),
            (translate("SoilConservation", "Date"), self.statusDate),
            (translate("SoilConservation", "Comment"), self.statusComment),
            (translate("SoilConservation", "Reviewer"), self.reviewerEdit),
        ):
            label = QLabel(text, box)
            label.setObjectName(f"{widget.objectName()}Caption")
            label.setWordWrap(True)
            form.addRow(label, widget)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.saveStatus)
        form.addRow(row)
        self.patchStatus = QLabel(box)
        self.patchStatus.setObjectName("patchStatus")
        self.patchStatus.setWordWrap(True)
        form.addRow(self.patchStatus)
        self.layout().addWidget(box)
        self.persist.add("reviewer", self.reviewerEdit)
        self.connect(self.openPatches.clicked, self.choose_patch_file)
        self.connect(self.patchTable.itemSelectionChanged, self._patch_selected)
        self.connect(self.saveStatus.clicked, self.save_status)
        self._patch_selected()

    @staticmethod
    def status_text(status: str, verdict: str = "") -> str:
        """e.g. 已核查（违规） in Chinese, 'checked (violation)' in English."""
        from ..core.disturbance.status import STATUS_EN, VERDICT_EN

        if user_is_chinese():
            return f"{status}（{verdict}）" if verdict else status
        text = translate("SoilConservation", STATUS_EN.get(status, status))
        return f"{text} ({translate('SoilConservation', VERDICT_EN.get(verdict, verdict))})" if verdict else text

    @staticmethod
    def allowed_steps(patch: dict) -> list[tuple[str, str]]:
        """(status, verdict) the 销号 cycle allows from the patch's state, as the core judges them."""
        from ..core.common.errors import InputError
        from ..core.disturbance.status import STATUSES, VERDICTS, StatusRecord, step

        current = StatusRecord(
            str(patch.get("patch_id") or ""),
            str(patch.get("year") or ""),
            status=str(patch.get("status") or STATUSES[0]),
            verdict=str(patch.get("verdict") or ""),
        )
        candidates = [(STATUSES[0], "")] + [(STATUSES[1], v) for v in VERDICTS] + [(s, "") for s in STATUSES[2:]]
        allowed = []
        for status, verdict in candidates:
            if status == current.status and status != STATUSES[1]:
                continue  # no step at all
            try:
                step(current, status, verdict, comment="-", reviewer="")
            except InputError:
                continue
            allowed.append((status, verdict))
        return allowed

    def choose_patch_file(self):
        path, _ = QFileDialog.getOpenFileName(
            self,
            translate("SoilConservation", "Open checked patches"),
            str(self.dock.results_dir()),
            "GeoPackage (*.gpkg)",
        )
        if path:
            self.open_patches(path, None)

    def open_patches(self, gpkg: str, layer=None) -> None:
        """Show the patches of a disturbance check's GeoPackage (``layer``: already on the map)."""
        from ..core.disturbance.store import PATCHES_LAYER

        uri = f"{gpkg}|layername={PATCHES_LAYER}"
        if layer is None:
            layer = next((lyr for lyr in QgsProject.instance().mapLayers().values() if lyr.source() == uri), None)
        if layer is None:
            layer = QgsVectorLayer(uri, translate("SoilConservation", "Checked disturbance patches"), "ogr")
            if not layer.isValid():
                self.dock.error(
                    translate("SoilConservation", "Not a disturbance check result: {path}").format(path=gpkg)
                )
                return
            qml = style_path("disturbance_patches.qml")
            if qml is not None:
                layer.loadNamedStyle(str(qml))
            QgsProject.instance().addMapLayer(layer)
        self.patch_file = gpkg
        self.patch_layer = layer
        self.dock.project_entry("checks/patch_file", gpkg)
        self.load_patches()

    def load_patches(self, keep: tuple | None = None) -> None:
        from ..core.disturbance.store import PATCHES_LAYER, read_tables

        try:
            rows = read_tables(self.patch_file).get(PATCHES_LAYER, ([], [], None))[0]
        except Exception as exc:  # noqa: BLE001 - a wrong file is the user's, say so
            self.dock.error(localized(str(exc)))
            return
        self.patches = sorted(rows, key=lambda r: (int(r.get("risk_rank") or 0), str(r["patch_id"])))
        zh = user_is_chinese()
        english = self.risk_names_en()
        table = self.patchTable
        table.blockSignals(True)
        table.setRowCount(len(self.patches))
        selected = -1
        for n, p in enumerate(self.patches):
            day = p.get("closed_on") or p.get("rectify_on") or p.get("checked_on") or ""
            county = p.get("cnty_name") or p.get("cnty_code") or ""
            risk = p.get("risk_zh") if zh else english.get(str(p.get("risk") or ""), p.get("risk") or "")
            cells = [
                p["patch_id"],
                p.get("year") or "",
                county,
                risk,
                self.status_text(str(p.get("status") or ""), str(p.get("verdict") or "")),
                day,
                p.get("comment") or "",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(str(text or ""))
                item.setData(Qt.ItemDataRole.UserRole, n)
                table.setItem(n, col, item)
            if keep is not None and (str(p["patch_id"]), str(p.get("year") or "")) == keep:
                selected = n
        table.blockSignals(False)
        table.resizeColumnsToContents()
        if selected >= 0:
            table.selectRow(selected)
        self._patch_selected()

    @staticmethod
    def risk_names_en() -> dict:
        """The risk classes' English names, from the shipped risk rules (resources/rules/disturbance_risk.json)."""
        try:
            from ..core.disturbance.risk import load_risk_rules

            return {key: c.en for key, c in load_risk_rules().classes.items()}
        except Exception:  # noqa: BLE001 - a name for display only: the class code will do
            return {}

    def current_patch(self) -> dict | None:
        items = self.patchTable.selectedItems()
        return self.patches[items[0].data(Qt.ItemDataRole.UserRole)] if items and self.patches else None

    def _patch_selected(self, *_):
        patch = self.current_patch()
        self.nextStatus.clear()
        if patch is None:
            self.saveStatus.setEnabled(False)
            counts: dict = {}
            for p in self.patches:
                counts[p.get("status") or ""] = counts.get(p.get("status") or "", 0) + 1
            self.patchStatus.setText(
                translate("SoilConservation", "{n} patches; {counts}").format(
                    n=len(self.patches),
                    counts=", ".join(f"{self.status_text(s)} {k}" for s, k in sorted(counts.items())),
                )
                if self.patches
                else ""
            )
            return
        for status, verdict in self.allowed_steps(patch):
            self.nextStatus.addItem(self.status_text(status, verdict), (status, verdict))
        self.saveStatus.setEnabled(self.nextStatus.count() > 0 and not self.dock.busy())
        self.statusComment.setText(str(patch.get("comment") or ""))
        self.patchStatus.setText(
            translate("SoilConservation", "Patch {id}: {status}").format(
                id=patch["patch_id"],
                status=self.status_text(str(patch.get("status") or ""), str(patch.get("verdict") or "")),
            )
        )
        self.zoom_to_patch(patch)

    def zoom_to_patch(self, patch: dict) -> None:
        layer = self.patch_layer
        try:
            if layer is None or not layer.isValid():
                return
        except RuntimeError:  # removed with its group
            self.patch_layer = None
            return
        from qgis.core import QgsFeatureRequest

        pid = str(patch["patch_id"]).replace("'", "''")
        request = QgsFeatureRequest().setFilterExpression(f"\"patch_id\" = '{pid}'")
        feature = next(layer.getFeatures(request), None)
        if feature is None or not feature.hasGeometry():
            return
        canvas = self.dock.iface.mapCanvas()
        box = feature.geometry().boundingBox()
        target = canvas.mapSettings().destinationCrs()
        if target.isValid() and layer.crs().isValid() and layer.crs() != target:
            box = QgsCoordinateTransform(layer.crs(), target, QgsProject.instance()).transformBoundingBox(box)
        box.scale(3.0)
        canvas.setExtent(box)
        canvas.refresh()

    def wanted_status(self) -> dict:
        """The disturbance_status algorithm's parameters for the selected patch and the chosen step."""
        from ..core.disturbance.status import STATUSES, VERDICTS
        from ..processing.alg_disturbance import DisturbanceStatusAlgorithm as a

        patch = self.current_patch() or {}
        status, verdict = self.nextStatus.currentData() or (STATUSES[0], "")
        return {
            a.GEOPACKAGE: self.patch_file,
            a.PATCH_ID: str(patch.get("patch_id") or ""),
            a.YEAR: str(patch.get("year") or ""),
            a.STATUS: STATUSES.index(status),
            a.VERDICT: VERDICTS.index(verdict) + 1 if verdict else 0,  # option 0 is 'no verdict'
            a.DATE: self.statusDate.date().toString("yyyy-MM-dd"),
            a.COMMENT: self.statusComment.text().strip(),
            a.REVIEWER: self.reviewerEdit.text().strip(),
        }

    def save_status(self):
        patch = self.current_patch()
        if patch is None or not self.patch_file or self.nextStatus.currentData() is None:
            self.dock.warn(translate("SoilConservation", "Choose a patch in the list first."))
            return
        self._saving = (str(patch["patch_id"]), str(patch.get("year") or ""))
        self.dock.run_algorithm(
            "disturbance_status",
            self.wanted_status,
            self.status_saved,
            translate("SoilConservation", "Patch status"),
            step="disturbance_status",
        )

    def status_saved(self, results: dict, out_dir: Path, group) -> None:
        from ..processing.alg_disturbance import DisturbanceStatusAlgorithm as a

        with contextlib.suppress(OSError):
            out_dir.rmdir()  # the run writes into the GeoPackage only: no folder of its own
        self.dock.runStatus.setText(
            translate("SoilConservation", "Done: {title} → {path}").format(
                title=translate("SoilConservation", "Patch status"), path=self.patch_file
            )
        )
        layer = self.patch_layer
        try:
            if layer is not None:
                layer.dataProvider().reloadData()
                layer.triggerRepaint()
        except RuntimeError:
            self.patch_layer = None
        self.load_patches(keep=getattr(self, "_saving", None))
        self.dock.info(
            translate("SoilConservation", "Status saved: {s}.").format(s=str(results.get(a.STATUS_OUT) or ""))
        )

    def restore_patch_file(self):
        path, ok = QgsProject.instance().readEntry("SoilConservation", "checks/patch_file", "")
        if ok and path and Path(path).exists():
            self.open_patches(path, None)

    def shutdown(self) -> None:
        self._clear_highlight()
        super().shutdown()
