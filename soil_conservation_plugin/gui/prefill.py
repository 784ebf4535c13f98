"""The data page's pre-fill (layers and fields from the names real data use), its county picker, the
coverage and 乡镇 warnings shown before a run, and the 公告 layouts added to the project's Layout Manager.

Pre-fill only fills what is empty: a layer or field the user chose is never replaced. Every guess is
shown (which name it matched) and stays changeable in its combo. Names: resources/rules/field_names.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from qgis.core import QgsMapLayerProxyModel, QgsProject, QgsRasterLayer, QgsVectorLayer, QgsWkbTypes
from qgis.gui import QgsFieldComboBox, QgsMapLayerComboBox
from qgis.PyQt.QtCore import Qt
from qgis.PyQt.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from ..translation import translate
from .common import Connections, layer_source

ROLE_COMBOS = {  # field_names.json role → data page combo
    "dem": "demCombo",
    "county": "countyCombo",
    "townships": "townshipsCombo",
    "redline": "redlineCombo",
    "farmland": "farmlandCombo",
    "construction": "constructionCombo",
    "water": "waterCombo",
    "landuse": "landuseCombo",
    "fvc": "fvcCombo",
    "erosion": "erosionCombo",
}
FIELD_COMBOS = {
    "county": ("countyCodeField", "countyNameField"),
    "townships": ("townshipCodeField", "townshipNameField"),
}
SAMPLE = 50  # features read per layer to see the length of its codes


def _names(layer) -> tuple:
    source = layer.source()
    path, _, rest = source.partition("|")
    stem = Path(path).stem
    inner = next((p.split("=", 1)[1] for p in rest.split("|") if p.startswith("layername=")), "")
    return (layer.name(), stem, inner)


def describe(layer):
    """core.common.field_names.LayerInfo of a project layer (a few features sampled for code lengths)."""
    from ..core.common.field_names import LayerInfo, code_lengths

    if isinstance(layer, QgsRasterLayer):
        return LayerInfo(layer.id(), _names(layer), "raster")
    if not isinstance(layer, QgsVectorLayer) or layer.geometryType() != QgsWkbTypes.GeometryType.PolygonGeometry:
        return LayerInfo(layer.id(), _names(layer), "other")
    fields = tuple(layer.fields().names())
    samples: dict = {f: [] for f in fields}
    for i, feat in enumerate(layer.getFeatures()):
        if i >= SAMPLE:
            break
        for f in fields:
            samples[f].append(feat[f])
    return LayerInfo(layer.id(), _names(layer), "polygon", fields, {f: code_lengths(v) for f, v in samples.items()})


class DataPrefill:
    """Owned by the data page; ``shutdown()`` disconnects what it connected."""

    def __init__(self, page):
        self.page = page
        self._connections = Connections()
        self._cover_cache: dict = {}
        self.guesses: dict = {}
        layout = page.layout()
        # pre-fill row at the top of the page
        box = QGroupBox(translate("SoilConservation", "Pre-fill"))
        row = QVBoxLayout(box)
        self.prefillButton = QPushButton(
            translate("SoilConservation", "Pre-fill empty choices from layer and field names")
        )
        self.prefillStatus = QLabel("")
        self.prefillStatus.setWordWrap(True)
        self.prefillStatus.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        row.addWidget(self.prefillButton)
        row.addWidget(self.prefillStatus)
        layout.insertWidget(0, box)
        # county picker after the boundaries group
        self.countyBox = QGroupBox(translate("SoilConservation", "Counties for every step"))
        col = QVBoxLayout(self.countyBox)
        self.countyList = QListWidget()
        buttons = QHBoxLayout()
        self.allButton = QPushButton(translate("SoilConservation", "All"))
        self.noneButton = QPushButton(translate("SoilConservation", "None"))
        buttons.addWidget(self.allButton)
        buttons.addWidget(self.noneButton)
        buttons.addStretch(1)
        self.countyStatusPick = QLabel("")
        self.countyStatusPick.setWordWrap(True)
        col.addWidget(self.countyList)
        col.addLayout(buttons)
        col.addWidget(self.countyStatusPick)
        index = layout.indexOf(page.groupBoundaries)
        layout.insertWidget(index + 1, self.countyBox)
        # 三调 地类图斑 as land use, in the rasters group
        self.landuseVectorCombo = QgsMapLayerComboBox()
        self.landuseVectorCombo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        self.landuseVectorCombo.setAllowEmptyLayer(True)
        self.landuseVectorCombo.setLayer(None)
        self.landuseField = QgsFieldComboBox()
        self.landuseField.setAllowEmptyFieldName(True)
        form = page.groupRasters.layout()
        form.addRow(translate("SoilConservation", "Land use as 三调 地类图斑 (DLTB)"), self.landuseVectorCombo)
        form.addRow(translate("SoilConservation", "Land-use code field (DLBM)"), self.landuseField)
        page.persist.add("landuse_vector", self.landuseVectorCombo)
        page.persist.add("landuse_field", self.landuseField)
        self.connect(self.landuseVectorCombo.layerChanged, self.landuseField.setLayer)
        self.connect(self.prefillButton.clicked, self.prefill)
        self.connect(self.allButton.clicked, lambda *_: self._check_all(True))
        self.connect(self.noneButton.clicked, lambda *_: self._check_all(False))
        self.connect(self.countyList.itemChanged, self._picked)
        self.connect(QgsProject.instance().layersAdded, self._layers_added)
        # a project being read restores its own choices: its layers are not "added by the user"
        self._reading = False
        self.connect(QgsProject.instance().loadingLayer, self._loading)
        self.connect(QgsProject.instance().readProjectWithContext, self._read_done)

    def connect(self, signal, slot) -> None:
        self._connections.connect(signal, slot)

    def shutdown(self) -> None:
        self._connections.disconnect_all()

    # --- pre-fill --------------------------------------------------------------------------------
    def _loading(self, *_):
        self._reading = True

    def _read_done(self, *_):
        self._reading = False

    def _layers_added(self, *_):
        if not self._reading:
            self.prefill()

    def prefill_if_new(self) -> None:
        """On opening the dock: pre-fill only when nothing is chosen yet (a saved project keeps its choices)."""
        from .common import PROJECT_SCOPE

        page = self.page
        stored = any(
            QgsProject.instance().readEntry(PROJECT_SCOPE, page.persist.entry(role))[1]
            for role in page.RASTERS + page.POLYGONS
        )
        if stored:
            return
        if all(getattr(self.page, combo).currentLayer() is None for combo in ROLE_COMBOS.values()):
            self.prefill()

    def prefill(self, *_) -> dict:
        """Fill the empty layer and field choices from the names real data use; say what was filled."""
        from ..core.common.field_names import guess_inputs

        page = self.page
        layers = list(QgsProject.instance().mapLayers().values())
        guesses = guess_inputs([describe(layer) for layer in layers])
        project = QgsProject.instance()
        filled = []
        for role, guess in guesses.items():
            layer = project.mapLayer(guess.key)
            if layer is None:
                continue
            if role == "landuse_vector":
                combo, fields = self.landuseVectorCombo, (self.landuseField, None)
            else:
                combo = getattr(page, ROLE_COMBOS[role])
                fields = tuple(getattr(page, n) for n in FIELD_COMBOS.get(role, ()))
            if combo.currentLayer() is None:
                combo.setLayer(layer)
                filled.append(f"{role} ← {layer.name()}")
            if combo.currentLayer() is layer:
                for widget, name in zip(fields, (guess.code_field, guess.name_field)):
                    if widget is not None and name and not widget.currentField():
                        widget.setLayer(layer)
                        widget.setField(name)
                        filled.append(f"{role}.{name}")
        self.guesses = guesses
        if filled:
            self.prefillStatus.setText(
                translate("SoilConservation", "Pre-filled from the usual names (check them): {list}").format(
                    list=", ".join(filled)
                )
            )
        elif guesses:
            self.prefillStatus.setText(
                translate("SoilConservation", "Nothing left to pre-fill: every recognised layer is already chosen.")
            )
        else:
            self.prefillStatus.setText(
                translate(
                    "SoilConservation",
                    "No layer has a usual name (XZQDM, STBHHX, YJJBNTTB, DLTB/DLBM, …); choose them below.",
                )
            )
        return guesses

    # --- county picker ---------------------------------------------------------------------------
    def update_counties(self) -> None:
        counties = self.page.counties()
        from .common import PROJECT_SCOPE

        saved, ok = QgsProject.instance().readEntry(PROJECT_SCOPE, self.page.persist.entry("county_codes"), "")
        before = set(saved.split(",")) if ok and saved else None  # the project's chosen counties ('' = all)
        current = {
            self.countyList.item(i).data(Qt.ItemDataRole.UserRole): self.countyList.item(i).checkState()
            == Qt.CheckState.Checked
            for i in range(self.countyList.count())
        }
        shown = [self.countyList.item(i).text() for i in range(self.countyList.count())]
        if shown == [f"{code} {name}".strip() for code, name in counties]:
            return
        self.countyList.blockSignals(True)
        self.countyList.clear()
        for code, name in counties:
            item = QListWidgetItem(f"{code} {name}".strip())
            item.setData(Qt.ItemDataRole.UserRole, code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = current.get(code, True) if before is None or code in current else code in before
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.countyList.addItem(item)
        self.countyList.blockSignals(False)
        row = self.countyList.sizeHintForRow(0) if counties else 18
        self.countyList.setFixedHeight(min(150, max(1, len(counties)) * row + 2 * self.countyList.frameWidth() + 4))
        self._describe_pick()

    def _check_all(self, on: bool) -> None:
        self.countyList.blockSignals(True)
        for i in range(self.countyList.count()):
            self.countyList.item(i).setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.countyList.blockSignals(False)
        self._picked()

    def _picked(self, *_):
        from .common import PROJECT_SCOPE, Persist

        if not Persist.restoring:
            QgsProject.instance().writeEntry(
                PROJECT_SCOPE, self.page.persist.entry("county_codes"), self.county_codes()
            )
        self._describe_pick()
        self.page.check()

    def chosen(self) -> list[str]:
        return [
            self.countyList.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.countyList.count())
            if self.countyList.item(i).checkState() == Qt.CheckState.Checked
        ]

    def set_chosen(self, codes) -> None:
        wanted = {str(c) for c in codes}
        self.countyList.blockSignals(True)
        for i in range(self.countyList.count()):
            item = self.countyList.item(i)
            item.setCheckState(
                Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole) in wanted else Qt.CheckState.Unchecked
            )
        self.countyList.blockSignals(False)
        self._picked()

    def county_codes(self) -> str:
        """COUNTY_CODES for the algorithms: '' when every county is chosen (the layer as it is)."""
        chosen = self.chosen()
        return "" if len(chosen) == self.countyList.count() else ",".join(chosen)

    def _describe_pick(self) -> None:
        n, total = len(self.chosen()), self.countyList.count()
        if total and not n:
            text = (
                '<span style="color:#cf222e">✗ '
                + translate("SoilConservation", "No county chosen: tick at least one.")
                + "</span>"
            )
        else:
            text = translate("SoilConservation", "{n} of {total} counties chosen; every step runs on these.").format(
                n=n, total=total
            )
        self.countyStatusPick.setText(text)

    # --- warnings before the run -----------------------------------------------------------------
    def chosen_features(self):
        """(code, name, shapely geometry) of the chosen counties, and the layer's CRS as WKT."""
        from shapely import wkb

        page = self.page
        layer = page.layer("county")
        field = page.countyCodeField.currentField()
        name_field = page.countyNameField.currentField()
        if layer is None or not layer.isValid() or not field:
            return [], None
        chosen = set(self.chosen())
        merged: dict = {}
        for f in layer.getFeatures():
            code = str(f[field]).removesuffix(".0") if f[field] is not None else ""
            if code not in chosen or not f.hasGeometry():
                continue
            geom = wkb.loads(bytes(f.geometry().asWkb()))
            name = str(f[name_field]) if name_field and f[name_field] is not None else ""
            merged[code] = (name, geom if code not in merged else merged[code][1].union(geom))
        return [(c, n, g) for c, (n, g) in merged.items()], layer.crs().toWkt()

    def coverage_html(self, raster_layer, label: str) -> str:
        """'' or a warning naming each chosen county the raster covers only in part, with the share."""
        if raster_layer is None or not raster_layer.isValid():
            return ""
        source = layer_source(raster_layer)
        counties, crs = self.chosen_features()
        if not counties or not source:
            return ""
        key = (source, tuple(c for c, _, _ in counties), crs)
        covers = self._cover_cache.get(key)
        if covers is None:
            from ..core.common.coverage import raster_coverage

            try:
                covers = raster_coverage(source, counties, crs)
            except Exception:  # noqa: BLE001 - the raster's own readiness line says what is wrong with it
                return ""
            self._cover_cache = {key: covers}
        partial = [c for c in covers if not c.full]
        if not partial:
            return ""
        listed = ", ".join(f"{c.code} {c.name} {c.pct:.1f}%".replace("  ", " ") for c in partial)
        return (
            '<br><span style="color:#9a6700">⚠ '
            + translate(
                "SoilConservation",
                "{label} covers only part of the county: {list}. "
                "The result would be partial; publishing it needs an explicit choice.",
            ).format(label=label, list=listed)
            + "</span>"
        )

    def townships_html(self) -> str:
        from shapely import wkb

        from ..core.common.coverage import townships_outside

        page = self.page
        layer = page.layer("townships")
        field = page.townshipCodeField.currentField()
        if layer is None or not layer.isValid() or not field:
            return ""
        counties, crs = self.chosen_features()
        if not counties:
            return ""
        from qgis.core import QgsCoordinateReferenceSystem, QgsCoordinateTransform

        county_crs = QgsCoordinateReferenceSystem.fromWkt(crs)
        tf = (
            QgsCoordinateTransform(layer.crs(), county_crs, QgsProject.instance())
            if layer.crs() != county_crs
            else None
        )
        name_field = page.townshipNameField.currentField()
        towns = []
        for f in layer.getFeatures():
            if not f.hasGeometry():
                continue
            g = f.geometry()
            if tf is not None:
                g.transform(tf)
            towns.append(
                (
                    str(f[field]).removesuffix(".0") if f[field] is not None else "",
                    str(f[name_field]) if name_field and f[name_field] is not None else "",
                    wkb.loads(bytes(g.asWkb())),
                )
            )
        outside = townships_outside(towns, counties)
        if not outside:
            return ""
        shown = ", ".join(f"{t['code']} {t['name']}".strip() for t in outside[:12]) + (
            " …" if len(outside) > 12 else ""
        )
        return (
            '<br><span style="color:#9a6700">⚠ '
            + translate(
                "SoilConservation", "{n} townships lie outside the chosen counties (code prefix or geometry): {list}"
            ).format(n=len(outside), list=shown)
            + "</span>"
        )

    def augment(self, results: dict) -> None:
        """Append the coverage and 乡镇 warnings to the readiness lines of the data page."""
        page = self.page
        for role, label in (
            ("dem", "DEM"),
            ("landuse", translate("SoilConservation", "Land use")),
            ("fvc", "FVC"),
            ("erosion", translate("SoilConservation", "Erosion")),
        ):
            extra = self.coverage_html(page.layer(role), label)
            if extra:
                status = getattr(page, f"{role}Status")
                status.setText(results[role].html() + extra)
        extra = self.townships_html()
        if extra:
            page.townshipsStatus.setText(results["townships"].html() + extra)


# --- the 公告 layouts in the project's Layout Manager ---------------------------------------------------
def add_layouts(index_path, data_page, steep_source: str, zones_source: str = "") -> list[str]:
    """Each county's published layouts (.qpt) added to the project's Layout Manager, with file layers
    (filtered to the county) in a group '公告 <code> <name>' so staff can edit before exporting again.
    A layout or group of the same name is replaced. Returns the layout names."""
    from qgis.core import QgsPrintLayout, QgsReadWriteContext
    from qgis.PyQt.QtXml import QDomDocument

    from ..processing.alg_publish import (
        QgsLayoutItemLegend,
        QgsLayoutItemMap,
        cjk_font,
        county_renderer,
        steep_renderer,
        township_layers,
        zone_renderer,
    )

    project = QgsProject.instance()
    index = json.loads(Path(index_path).read_text(encoding="utf-8"))
    counties = index.get("results", {}).get("counties", [])
    manager = project.layoutManager()
    root = project.layerTreeRoot()
    county_layer = data_page.layer("county")
    code_field = data_page.countyCodeField.currentField()
    townships = data_page.layer("townships")
    twn_name = data_page.townshipNameField.currentField()
    font = cjk_font()
    names = []
    for county in counties:
        code, name = county["county_code"], county.get("county_name", "")
        group_name = f"公告 {code} {name}".strip()
        old = root.findGroup(group_name)
        if old is not None:
            root.removeChildNode(old)
        group = root.insertGroup(0, group_name)
        quoted = code.replace("'", "''")

        def add(layer, visible=False, group=group):
            project.addMapLayer(layer, False)
            node = group.addLayer(layer)
            node.setItemVisibilityChecked(visible)
            return layer

        c = add(QgsVectorLayer(layer_source(county_layer), "县界", "ogr"))
        c.setSubsetString(f"\"{code_field}\" = '{quoted}'")
        c.setRenderer(county_renderer())
        t = t_labels = None
        if townships is not None and townships.isValid():
            # boundary lines as a memory layer (each shared edge once, dashes in step): not saved with the
            # project; publish again to rebuild it
            t, t_labels = township_layers(townships, twn_name, font)
            add(t)
            add(t_labels)
        patches = add(QgsVectorLayer(steep_source, "禁止开垦陡坡地", "ogr"))
        patches.setSubsetString(f"\"cnty_code\" = '{quoted}'")
        patches.setRenderer(steep_renderer())
        thresholds = (
            {f["thresh_deg"] for f in patches.getFeatures()} if "thresh_deg" in patches.fields().names() else set()
        )
        if len(thresholds) == 1:
            patches.setName(f"禁止开垦陡坡地（坡度 ≥ {float(next(iter(thresholds))):g}°）")
        sets = [(county.get("layout"), [patches, t, t_labels, c], [patches, t, c])]
        if county.get("zoning_layout") and zones_source:
            z = add(QgsVectorLayer(zones_source, "重点区域", "ogr"))
            z.setSubsetString(f"\"county_code\" = '{quoted}'")
            present = {str(f["zone_id"]) for f in z.getFeatures()}
            z.setRenderer(zone_renderer(present))
            sets.append((county["zoning_layout"], [z, t, t_labels, c], [z, t, c]))
        for qpt, layers, legend_layers in sets:
            if not qpt or not Path(qpt).is_file():
                continue
            layers = [x for x in layers if x is not None]
            legend_layers = [x for x in legend_layers if x is not None]
            doc = QDomDocument()
            if not doc.setContent(Path(qpt).read_text(encoding="utf-8")):
                continue
            layout = QgsPrintLayout(project)
            _, ok = layout.loadFromTemplate(doc, QgsReadWriteContext(), True)
            if not ok:
                continue
            layout_name = Path(qpt).stem
            layout.setName(layout_name)
            for item in layout.items():
                if isinstance(item, QgsLayoutItemMap):
                    extent = item.extent()
                    item.setLayers(layers)
                    item.setKeepLayerSet(True)
                    item.setExtent(extent)
                elif isinstance(item, QgsLayoutItemLegend):
                    item.setAutoUpdateModel(False)
                    legend_root = item.model().rootGroup()
                    legend_root.removeAllChildren()
                    for layer in legend_layers:
                        legend_root.addLayer(layer)
                    item.adjustBoxSize()
            existing = manager.layoutByName(layout_name)
            if existing is not None:
                manager.removeLayout(existing)
            manager.addLayout(layout)
            names.append(layout_name)
    return names


def add_partial_choice(publish_page) -> QCheckBox:
    """The publish page's explicit choice to publish a partial result (default off)."""
    box = QCheckBox(translate("SoilConservation", "Allow publishing a partial result (coverage printed on the map)"))
    box.setToolTip(
        translate(
            "SoilConservation",
            "The DEM covers only part of a county: without this choice the publication is refused "
            "and names the share; with it the share is printed on the map.",
        )
    )
    box.setChecked(False)
    form = publish_page.groupPublish.layout()
    form.insertRow(max(0, form.rowCount() - 1), box)
    publish_page.persist.add("allow_partial", box)
    return box
