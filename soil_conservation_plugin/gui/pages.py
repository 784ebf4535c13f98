"""The dock's pages, in workflow order. Each page maps its widgets to one algorithm's
parameters in ``wanted()`` (the one place to change when a parameter is renamed) and
loads that algorithm's results in ``done()``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from qgis.core import QgsFieldProxyModel, QgsMapLayerProxyModel, QgsVectorLayer
from qgis.gui import QgsFileWidget
from qgis.PyQt import uic
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QUrl, pyqtSignal
from qgis.PyQt.QtGui import QColor, QDesktopServices
from qgis.PyQt.QtWidgets import QCheckBox, QComboBox, QTableWidgetItem, QWidget

from ..core.common.paths import resources_path
from ..core.common.rules import (
    load_province_rules,
    min_patch_rule,
    provinces,
    steep_slope_threshold,
    zoning_rule_sets,
    zoning_rules_file,
)
from ..processing.alg_export import ExportAlgorithm
from ..processing.alg_import_units import ImportUnitsAlgorithm
from ..processing.alg_indicators import UnitIndicatorsAlgorithm
from ..processing.alg_publish import PublishAlgorithm
from ..processing.alg_steep_slope import SteepSlopeAlgorithm
from ..processing.alg_watersheds import DelineateWatershedsAlgorithm
from ..processing.alg_zoning import ZoningAlgorithm
from ..translation import tr, translate
from .common import Connections, Persist, algorithm, layer_source, unavailable, user_is_chinese
from .readiness import check_polygons, check_raster, county_codes
from .results import now

HERE = Path(__file__).parent


def province_name_en(code: str) -> str:
    return load_province_rules()["steep_slope"]["provinces"].get(code, {}).get("name_en", "")


def province_label(code: str) -> str:
    """The province's name in the user's language (the code when it has none)."""
    name = provinces().get(code, "") if user_is_chinese() else province_name_en(code)
    return name or code


def provenance(rule) -> str:
    """Where a rule value comes from, in plain words (no reference tags such as 'NOT FOUND [V …]')."""
    source = "; ".join(part.strip() for part in str(rule.source).split(";") if "NOT FOUND" not in part and part.strip())
    if user_is_chinese():  # the rule files cite in English between the Chinese titles
        source = source.replace(" as cited by ", "，引自").replace("; ", "；")
    if rule.default:
        return translate("SoilConservation", "default, not the standard; source: {source}").format(source=source)
    text = translate("SoilConservation", "source: {source}").format(source=source)
    if "NOT FOUND" in f"{rule.source} {rule.confidence}":
        text += translate("SoilConservation", " (the article number is still to be confirmed)")
    return text


def _form(name: str):
    return uic.loadUiType(str(HERE / name))[0]


class Page(QWidget):
    """A workflow page. Subclasses set KEY, TITLE, ALGORITHM and implement wanted()/done()."""

    KEY = ""
    TITLE = ""
    ALGORITHM = ""
    RUN_TITLE = ""

    def __init__(self, dock):
        super().__init__()
        self.setupUi(self)
        self.dock = dock
        self.persist = Persist(self.KEY)
        self._connections = Connections()

    def connect(self, signal, slot) -> None:
        """Connect and remember, so shutdown() can disconnect everything."""
        self._connections.connect(signal, slot)

    def title(self) -> str:
        return tr(self.TITLE)

    def run_buttons(self) -> list:
        return [self.runButton] if hasattr(self, "runButton") else []

    def refresh(self) -> None:
        """Enable the Run buttons when no run is going on; say when the algorithm is missing."""
        busy = self.dock.busy()
        for button in self.run_buttons():
            button.setEnabled(not busy)
        if self.ALGORITHM and hasattr(self, "runButton"):
            missing = algorithm(self.ALGORITHM) is None
            reason = unavailable(self.ALGORITHM) if not missing else ""
            if reason:  # the page says why instead of failing on Run
                self.runButton.setEnabled(False)
            self.runButton.setToolTip(
                reason
                or (
                    translate("SoilConservation", "The algorithm {name} is not available.").format(name=self.ALGORITHM)
                    if missing
                    else ""
                )
            )

    def run(self) -> None:
        self.dock.run_algorithm(self.ALGORITHM, self.wanted, self.done, tr(self.RUN_TITLE or self.TITLE))

    def wanted(self) -> dict:
        return {}

    def done(self, results: dict, out_dir: Path, group) -> None:
        pass

    def shutdown(self) -> None:
        self._connections.disconnect_all()
        self.persist.disconnect()


# --- 1. data ----------------------------------------------------------------
class DataPage(Page, _form("page_data.ui")):
    KEY = "data"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "1 Data")

    changed = pyqtSignal()
    provinceChanged = pyqtSignal()

    RASTERS = ("dem", "landuse", "fvc", "erosion")
    POLYGONS = ("county", "townships", "redline", "farmland", "construction", "water")

    def __init__(self, dock):
        super().__init__(dock)
        for role in self.RASTERS:
            self.combo(role).setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        for role in self.POLYGONS:
            self.combo(role).setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        for role in self.RASTERS + self.POLYGONS:
            combo = self.combo(role)
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        for layer_combo, fields in (
            (self.countyCombo, (self.countyCodeField, self.countyNameField)),
            (self.townshipsCombo, (self.townshipCodeField, self.townshipNameField)),
        ):
            for field in fields:
                field.setAllowEmptyFieldName(True)
                self.connect(layer_combo.layerChanged, field.setLayer)
        self.countyNameField.setFilters(QgsFieldProxyModel.Filter.String)
        self.townshipNameField.setFilters(QgsFieldProxyModel.Filter.String)
        self.provinceCombo.addItem(translate("SoilConservation", "Auto: from the county codes"), "auto")
        for code, name in provinces().items():
            self.provinceCombo.addItem(f"{code} {name} ({steep_slope_threshold(code).value:g}°)", code)
        self.provinceCombo.addItem(
            translate("SoilConservation", "National rule ({v:g}°)").format(v=steep_slope_threshold(None).value),
            "national",
        )
        for role in self.RASTERS + self.POLYGONS:
            self.persist.add(role, self.combo(role))
            self.connect(self.combo(role).layerChanged, self.check)
        for key, w in (
            ("county_code_field", self.countyCodeField),
            ("county_name_field", self.countyNameField),
            ("township_code_field", self.townshipCodeField),
            ("township_name_field", self.townshipNameField),
        ):
            self.persist.add(key, w)
            self.connect(w.fieldChanged, self.check)
        self.persist.add("province", self.provinceCombo)
        self.connect(self.provinceCombo.currentIndexChanged, self._province_changed)
        self.connect(self.countyCodeField.fieldChanged, self._province_changed)
        from .prefill import DataPrefill

        self.prefill_inputs = DataPrefill(self)  # pre-fill from usual names, county picker, coverage warnings
        self.check()
        self.prefill_inputs.prefill_if_new()

    def combo(self, role: str):
        return getattr(self, f"{role}Combo")

    def layer(self, role: str):
        return self.combo(role).currentLayer()

    # readiness
    def check(self, *_):
        county = self.layer("county")
        county_ok = county if county is not None and county.isValid() else None
        results = {
            "dem": check_raster(self.layer("dem"), county_ok, "DEM", required=True),
            "county": check_polygons(
                county,
                None,
                True,
                ((translate("SoilConservation", "county code"), self.countyCodeField.currentField()),),
                is_county=True,
            ),
            "townships": check_polygons(
                self.layer("townships"),
                county_ok,
                False,
                (
                    (translate("SoilConservation", "township code"), self.townshipCodeField.currentField()),
                    (translate("SoilConservation", "township name"), self.townshipNameField.currentField()),
                ),
            ),
        }
        for role in ("redline", "farmland", "construction", "water"):
            results[role] = check_polygons(self.layer(role), county_ok, False)
        for role in ("landuse", "fvc", "erosion"):
            results[role] = check_raster(self.layer(role), county_ok, role, required=False)
        prefill = getattr(self, "prefill_inputs", None)
        if prefill is not None:
            prefill.update_counties()
        for role, readiness in results.items():
            label = getattr(self, f"{role}Status")
            label.setText(readiness.html())
            label.setToolTip(readiness.message)
        if prefill is not None:
            prefill.augment(results)
        self.readiness = results
        self.changed.emit()
        return results

    def ready(self, *roles) -> bool:
        return all(self.readiness[r].ok for r in roles)

    def _province_changed(self, *_):
        rule = self.steep_rule()
        self.provinceStatus.setText(
            translate("SoilConservation", "Steep-slope threshold {v:g}° – {scope}").format(
                v=rule.value, scope=rule.scope
            )
        )
        self.provinceChanged.emit()

    def province(self) -> str | None:
        """Province code for the rules ('220000', 'national'), resolved from the county codes for 'auto'."""
        choice = self.provinceCombo.currentData()
        if choice != "auto":
            return choice
        codes = county_codes(self.layer("county"), self.countyCodeField.currentField())
        return codes[0][0][:2] + "0000" if codes and codes[0][0][:2].isdigit() else None

    def steep_rule(self):
        province = self.province()
        return steep_slope_threshold(None if province in (None, "national") else province)

    def counties(self) -> list[tuple[str, str]]:
        return county_codes(
            self.layer("county"), self.countyCodeField.currentField(), self.countyNameField.currentField()
        )

    def county_codes(self) -> str:
        """COUNTY_CODES of every step: the counties ticked in the picker ('' = all of the layer)."""
        return self.prefill_inputs.county_codes()

    def chosen_counties(self) -> list[tuple[str, str]]:
        chosen = set(self.prefill_inputs.chosen())
        return [(c, n) for c, n in self.counties() if c in chosen]

    def landuse_vector(self) -> tuple[str, str]:
        """(source, code field) of a 三调 地类图斑 layer used as land use, or ('', '')."""
        layer = self.prefill_inputs.landuseVectorCombo.currentLayer()
        return (
            (layer_source(layer), self.prefill_inputs.landuseField.currentField() or "DLBM")
            if layer is not None
            else ("", "")
        )

    def shutdown(self) -> None:
        self.prefill_inputs.shutdown()
        super().shutdown()

    def inputs(self) -> dict:
        """The current inputs by role (paths and field names), as the pipeline's run_chain takes them."""
        out = {role: layer_source(self.layer(role)) for role in self.RASTERS + self.POLYGONS}
        out.update(
            county_codes=self.county_codes(),
            landuse_vector=self.landuse_vector()[0],
            landuse_field=self.landuse_vector()[1] if self.landuse_vector()[0] else "",
            county_code_field=self.countyCodeField.currentField(),
            county_name_field=self.countyNameField.currentField(),
            township_code_field=self.townshipCodeField.currentField(),
            township_name_field=self.townshipNameField.currentField(),
            province=self.province() or "",
        )
        return {k: v for k, v in out.items() if v}


# --- 2. small watersheds ------------------------------------------------------------------
class UnitsPage(Page, _form("page_units.ui")):
    KEY = "units"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "2 Small watersheds")
    ALGORITHM = "watersheds"

    def __init__(self, dock):
        super().__init__(dock)
        self.unitsCombo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        self.unitsCombo.setAllowEmptyLayer(True)
        self.unitsCombo.setLayer(None)
        for field in (self.unitCodeField, self.unitNameField):
            field.setAllowEmptyFieldName(True)
            self.connect(self.unitsCombo.layerChanged, field.setLayer)
        for key, w in (
            ("delineate", self.delineateRadio),
            ("import", self.importRadio),
            ("min_area", self.minArea),
            ("max_area", self.maxArea),
            ("units", self.unitsCombo),
            ("unit_code_field", self.unitCodeField),
            ("unit_name_field", self.unitNameField),
        ):
            self.persist.add(key, w)
        self.connect(self.runButton.clicked, self.run)
        for signal in (self.delineateRadio.toggled, self.unitsCombo.layerChanged, self.unitCodeField.fieldChanged):
            self.connect(signal, self.check)
        self.check()

    def check(self, *_):
        delineate = self.delineateRadio.isChecked()
        for w in (self.unitsCombo, self.unitCodeField, self.unitNameField):
            w.setEnabled(not delineate)
        if delineate:
            self.unitsStatus.setText("")
            return
        data = self.dock.data
        r = check_polygons(
            self.unitsCombo.currentLayer(),
            data.layer("county") if data else None,
            True,
            ((translate("SoilConservation", "unit code"), self.unitCodeField.currentField()),),
        )
        self.unitsStatus.setText(r.html())

    def official_units(self) -> str:
        """The imported unit layer (for the chain's 'units' input), or ''."""
        return "" if self.delineateRadio.isChecked() else layer_source(self.unitsCombo.currentLayer())

    def run(self) -> None:
        if self.importRadio.isChecked():
            if self.unitsCombo.currentLayer() is None:
                self.dock.warn(translate("SoilConservation", "Choose the official unit layer."))
                return
            # official units are validated (codes, topology, areas) and copied like delineated ones
            self.dock.run_algorithm(
                "import_units", self.wanted_import, self.done, translate("SoilConservation", "Import small watersheds")
            )
            return
        super().run()

    def wanted_import(self) -> dict:
        a, d = ImportUnitsAlgorithm, self.dock.data
        return {
            a.INPUT: layer_source(self.unitsCombo.currentLayer()),
            a.CODE_FIELD: self.unitCodeField.currentField(),
            a.NAME_FIELD: self.unitNameField.currentField(),
            a.COUNTIES: layer_source(d.layer("county")),
            a.COUNTY_CODE_FIELD: d.countyCodeField.currentField(),
            a.COUNTY_NAME_FIELD: d.countyNameField.currentField(),
            a.COUNTY_CODES: d.county_codes(),
            a.MIN_AREA: self.minArea.value(),
            a.MAX_AREA: self.maxArea.value(),
        }

    def wanted(self) -> dict:
        a, d = DelineateWatershedsAlgorithm, self.dock.data
        return {
            a.INPUT: layer_source(d.layer("dem")),
            a.COUNTIES: layer_source(d.layer("county")),
            a.COUNTY_CODE_FIELD: d.countyCodeField.currentField(),
            a.COUNTY_NAME_FIELD: d.countyNameField.currentField(),
            a.COUNTY_CODES: d.county_codes(),
            a.MIN_AREA: self.minArea.value(),
            a.MAX_AREA: self.maxArea.value(),
        }

    def done(self, results: dict, out_dir: Path, group) -> None:
        w, i = DelineateWatershedsAlgorithm, ImportUnitsAlgorithm  # either ran: both write the unit layer
        units = results.get(w.UNITS) or (f"{results[w.OUTPUT]}|layername=units" if results.get(w.OUTPUT) else "")
        name = translate("SoilConservation", "Small watersheds {min:g}–{max:g} km² {time}").format(
            min=self.minArea.value(), max=self.maxArea.value(), time=now()
        )
        layer = QgsVectorLayer(units, name, "ogr")
        if not layer.isValid():
            return
        group.add(layer, "units.qml")
        if results.get(w.RASTER):
            self.dock.unit_rasters[layer_source(layer)] = str(results[w.RASTER])
        outlets = results.get(w.OUTLETS)
        if outlets:
            point = QgsVectorLayer(outlets, translate("SoilConservation", "Outlets") + " " + now(), "ogr")
            if point.isValid():
                group.add(point)
        issues = results.get(i.ISSUES)
        if issues and (results.get(i.ERRORS) or results.get(i.WARNINGS)):
            issue_layer = QgsVectorLayer(
                str(issues), translate("SoilConservation", "Validation issues") + " " + now(), "ogr"
            )
            if issue_layer.isValid():
                group.add(issue_layer, "check_issues.qml")
        self.dock.set_units_layer(layer)
        n = layer.featureCount()
        text = translate("SoilConservation", "{n} small watersheds in {path}").format(n=n, path=out_dir)
        if i.ERRORS in results:
            text += " " + translate("SoilConservation", "Validation: {e} errors, {w} warnings.").format(
                e=int(results.get(i.ERRORS) or 0), w=int(results.get(i.WARNINGS) or 0)
            )
        self.resultLabel.setText(text)


# --- 3. steep slopes --------------------------------------------------------------------
class SteepPage(Page, _form("page_steep.ui")):
    KEY = "steep"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "3 Steep slopes")
    ALGORITHM = "steep_slope"

    def __init__(self, dock):
        super().__init__(dock)
        labels = {8: translate("SoilConservation", "8 neighbours"), 4: translate("SoilConservation", "4 neighbours")}
        for n in SteepSlopeAlgorithm.CONNECTIVITIES:  # in the order of the algorithm's CONNECTIVITY enum
            self.connectivity.addItem(labels[n], n)
        rule = min_patch_rule()
        self.minPatch.setValue(rule.value)
        self.minPatchNote.setText(
            translate("SoilConservation", "{v:g} ha is a default, not a national rule; 0 means no minimum.").format(
                v=rule.value
            )
            if rule.default
            else ""
        )
        for key, w in (
            ("threshold", self.threshold),
            ("min_patch", self.minPatch),
            ("connectivity", self.connectivity),
            ("exclude_construction", self.excludeConstruction),
            ("exclude_water", self.excludeWater),
            ("exclude_farmland", self.excludeFarmland),
            ("use_units", self.useUnits),
        ):
            self.persist.add(key, w)
        self.connect(self.runButton.clicked, self.run)
        self.connect(self.threshold.valueChanged, self._threshold_edited)
        self.prefill()

    def prefill(self, *_):
        """Threshold from the chosen province's rules (resources/rules/provinces.json)."""
        rule = self.dock.data.steep_rule() if self.dock.data else steep_slope_threshold(None)
        self.rule = rule
        self.threshold.setValue(rule.value)
        self._threshold_edited()

    def _threshold_edited(self, *_):
        rule = self.rule
        if abs(self.threshold.value() - rule.value) < 1e-9:
            text = translate("SoilConservation", "{v:g}° for {scope}; {provenance}").format(
                v=rule.value, scope=rule.scope, provenance=provenance(rule)
            )
        else:
            text = translate("SoilConservation", "Set by the user (the rules of {scope} say {v:g}°).").format(
                scope=rule.scope, v=rule.value
            )
        self.thresholdSource.setText(text)

    def wanted(self, links=None) -> dict:
        a, d = SteepSlopeAlgorithm, self.dock.data
        units = (links.units if links else self.dock.units_source()) if self.useUnits.isChecked() else ""
        return {
            a.INPUT: layer_source(d.layer("dem")),
            a.COUNTY: layer_source(d.layer("county")),
            a.COUNTY_CODE_FIELD: d.countyCodeField.currentField(),
            a.COUNTY_NAME_FIELD: d.countyNameField.currentField(),
            a.COUNTY_CODES: d.county_codes(),
            a.TOWNSHIPS: layer_source(d.layer("townships")),
            a.TOWNSHIP_CODE_FIELD: d.townshipCodeField.currentField(),
            a.TOWNSHIP_NAME_FIELD: d.townshipNameField.currentField(),
            a.UNITS: units,
            a.PROVINCE: a.province_index(d.province()),
            a.THRESHOLD: self.threshold.value(),
            a.MIN_PATCH: self.minPatch.value(),
            a.CONNECTIVITY: a.CONNECTIVITIES.index(self.connectivity.currentData()),
            a.FARMLAND: layer_source(d.layer("farmland")),
            a.USE_FARMLAND: self.excludeFarmland.isChecked(),
            a.CONSTRUCTION: layer_source(d.layer("construction")),
            a.USE_CONSTRUCTION: self.excludeConstruction.isChecked(),
            a.WATER: layer_source(d.layer("water")),
            a.USE_WATER: self.excludeWater.isChecked(),
        }

    def legend_name(self) -> str:
        """e.g. 禁止开垦陡坡地 ≥20°（吉林省）14:05: the step, its threshold and rule, the time."""
        province = self.dock.data.province() if self.dock.data else None
        scope = province_label(province) if province in provinces() else translate("SoilConservation", "national rule")
        return translate("SoilConservation", "No-reclamation steep slopes ≥{t:g}° ({scope}) {time}").format(
            t=self.threshold.value(), scope=scope, time=now()
        )

    def done(self, results: dict, out_dir: Path, group) -> None:
        path = results.get(SteepSlopeAlgorithm.OUTPUT)
        layer = QgsVectorLayer(str(path), self.legend_name(), "ogr") if path else None
        if layer is None or not layer.isValid():
            return
        group.add(layer, "steep_slope.qml", layer.name())
        self.dock.steep_tables[layer_source(layer)] = [
            str(results[k])
            for k in (
                SteepSlopeAlgorithm.COUNTY_TABLE,
                SteepSlopeAlgorithm.TOWNSHIP_TABLE,
                SteepSlopeAlgorithm.UNIT_TABLE,
            )
            if results.get(k)
        ]
        self.dock.set_steep_layer(layer)
        total = results.get(SteepSlopeAlgorithm.TOTAL_HA)
        count = results.get(SteepSlopeAlgorithm.PATCH_COUNT)
        self.resultLabel.setText(
            translate("SoilConservation", "{n} patches, {ha} ha; tables in {path}").format(
                n=count if count is not None else layer.featureCount(),
                ha=f"{total:.2f}" if isinstance(total, float) else "?",
                path=out_dir,
            )
        )


# --- 4. zoning ---------------------------------------------------------------------------
class ZoningPage(Page, _form("page_zoning.ui")):
    KEY = "zoning"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "4 Zoning")
    ALGORITHM = "zoning"

    def __init__(self, dock):
        super().__init__(dock)
        self.rulesFile.setFilter(translate("SoilConservation", "Rule files (*.json *.yaml *.yml)"))
        self.rulesFile.setStorageMode(QgsFileWidget.StorageMode.GetFile)
        self.persist.add("rules_file", self.rulesFile)
        self.connect(self.runButton.clicked, self.run)
        self.connect(self.editRules.clicked, self.edit_rules)
        self.connect(self.rulesFile.fileChanged, self.describe_rules)
        self.prefill()

    def prefill(self, *_):
        """The shipped rule file of the chosen province, unless the user chose a file."""
        current = self.rulesFile.filePath()
        shipped = {str(resources_path("rules", name)) for _, name in zoning_rule_sets()}
        if current and current not in shipped:
            return
        province = self.dock.data.province() if self.dock.data else None
        self.rulesFile.setFilePath(str(resources_path("rules", zoning_rules_file(province).value)))
        self.describe_rules()

    def describe_rules(self, *_):
        path = self.rulesFile.filePath()
        try:
            from ..core.zoning.zones import load_zoning_rules

            rules = load_zoning_rules(path)
        except Exception as exc:  # noqa: BLE001 - shown to the user, the file is theirs
            from .common import localized

            self.rulesStatus.setText(f'<span style="color:#cf222e">✗ {localized(str(exc))}</span>')
            return
        title = rules.get("title", {})
        title = title.get("zh" if self._zh() else "en", "") if isinstance(title, dict) else str(title)
        self.rulesStatus.setText(f"✓ {title} ({rules.get('version', '')})")

    def rules_label(self) -> str:
        """A short name of the rule file for layer names: the shipped ones by scope, a user's by its file name."""
        stem = Path(self.rulesFile.filePath()).stem
        shipped = {
            Path(name).stem: (
                translate("SoilConservation", "national rules")
                if key == "national"
                else translate("SoilConservation", "{province} rules").format(province=province_label(key))
            )
            for key, name in zoning_rule_sets()
        }
        return shipped.get(stem, stem)

    @staticmethod
    def _zh() -> bool:
        from .common import user_is_chinese

        return user_is_chinese()

    def edit_rules(self):
        """Copy the rule file into the results folder (never edit the plugin's own) and open it."""
        src = Path(self.rulesFile.filePath())
        if not src.is_file():
            self.dock.warn(translate("SoilConservation", "Choose a rule file first."))
            return
        target = src
        if str(src).startswith(str(resources_path("rules"))):
            target = self.dock.results_dir() / src.name
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.copyfile(src, target)
            self.rulesFile.setFilePath(str(target))
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def run(self) -> None:
        """Indicators per unit first, then the rules (two algorithms, one chained run)."""
        if self.dock.units_source() == "":
            self.dock.warn(translate("SoilConservation", "Run or import the small watersheds first (page 2)."))
            return
        if algorithm("unit_indicators") is not None and algorithm(self.ALGORITHM) is not None:
            self.dock.run_algorithm(
                "unit_indicators",
                self.wanted_indicators,
                self._indicators_done,
                translate("SoilConservation", "Indicators"),
            )
        else:
            super().run()

    def wanted_indicators(self, links=None) -> dict:
        a, d = UnitIndicatorsAlgorithm, self.dock.data
        return {
            a.UNITS: links.units if links else self.dock.units_source(),
            a.LABELS: links.labels if links else self.dock.units_labels(),
            a.DEM: layer_source(d.layer("dem")),
            a.STEEP_DEG: self.dock.steep.threshold.value(),
            a.EROSION: layer_source(d.layer("erosion")),
            a.LANDUSE: layer_source(d.layer("landuse")),
            a.LANDUSE_VECTOR: d.landuse_vector()[0] if not d.layer("landuse") else "",
            a.LANDUSE_FIELD: d.landuse_vector()[1],
            a.FVC: layer_source(d.layer("fvc")),
            a.REDLINE: layer_source(d.layer("redline")),
        }

    def _indicators_done(self, results: dict, out_dir: Path, group) -> None:
        self.indicators = (
            results.get(UnitIndicatorsAlgorithm.UNITS_OUT) or results.get(UnitIndicatorsAlgorithm.OUTPUT) or ""
        )
        self.dock.run_algorithm(self.ALGORITHM, self.wanted, self.done, translate("SoilConservation", "Zoning"))

    def wanted(self, links=None) -> dict:
        units = links.indicators if links else (getattr(self, "indicators", "") or self.dock.units_source())
        return {ZoningAlgorithm.INPUT: units, ZoningAlgorithm.RULES_FILE: self.rulesFile.filePath()}

    def done(self, results: dict, out_dir: Path, group) -> None:
        units = results.get(ZoningAlgorithm.UNITS_OUT)
        if not units:
            return
        rules = self.rules_label()
        layer = QgsVectorLayer(
            str(units),
            translate("SoilConservation", "Zoned small watersheds ({rules}) {time}").format(rules=rules, time=now()),
            "ogr",
        )
        if not layer.isValid():
            return
        group.add(layer, "zones.qml")
        zones = results.get(ZoningAlgorithm.ZONES_OUT)
        self.zones_out = str(zones) if zones else ""  # the publish page's zoning map
        zones_layer = (
            QgsVectorLayer(str(zones), translate("SoilConservation", "Zones per county") + " " + now(), "ogr")
            if zones
            else None
        )
        if zones_layer is not None and zones_layer.isValid():
            group.add(zones_layer, "zones.qml")
            self.dock.set_zone_areas_layer(zones_layer)
        self.dock.set_zones_layer(layer)
        self.fill_table(layer)

    ZONE_COLUMNS = (
        ("key_prevention", QT_TRANSLATE_NOOP("SoilConservation", "Key prevention")),
        ("key_treatment", QT_TRANSLATE_NOOP("SoilConservation", "Key treatment")),
        ("severe", QT_TRANSLATE_NOOP("SoilConservation", "Severe soil loss")),
        ("fragile", QT_TRANSLATE_NOOP("SoilConservation", "Ecologically fragile")),
    )

    def fill_table(self, layer) -> None:
        """One row per unit: code, name, a ✓ per zone type, and which indicators fired."""
        names = layer.fields().names()
        zones = [(zid, label) for zid, label in self.ZONE_COLUMNS if f"zone_{zid}" in names]
        headers = (
            [translate("SoilConservation", "Unit code"), translate("SoilConservation", "Unit name")]
            + [tr(label) for _, label in zones]
            + [translate("SoilConservation", "Indicators that fired")]
        )
        table = self.indicatorTable
        table.setSortingEnabled(False)
        table.clear()
        table.setColumnCount(len(headers))
        table.setHorizontalHeaderLabels(headers)
        features = list(layer.getFeatures())
        table.setRowCount(len(features))
        for row, f in enumerate(features):
            values = [
                f["unit_code"] if "unit_code" in names else f.id(),
                f["unit_name"] if "unit_name" in names else "",
            ]
            for col, value in enumerate(values):
                table.setItem(row, col, QTableWidgetItem("" if value is None else str(value)))
            for i, (zid, _) in enumerate(zones):
                hit = bool(f[f"zone_{zid}"])
                item = QTableWidgetItem("✓" if hit else "")
                if hit:
                    item.setBackground(QColor("#fde2c8"))
                table.setItem(row, 2 + i, item)
            fired = f["fired"] if "fired" in names else ""
            table.setItem(row, 2 + len(zones), QTableWidgetItem("" if fired is None else str(fired)))
        table.resizeColumnsToContents()
        table.setSortingEnabled(True)
        self.resultLabel.setText(translate("SoilConservation", "{n} units").format(n=len(features)))


# --- 6. export and publication --------------------------------------------------------
class PublishPage(Page, _form("page_publish.ui")):
    KEY = "publish"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "6 Export and publish")
    ALGORITHM = "export"

    def __init__(self, dock):
        super().__init__(dock)
        for combo in (self.unitsCombo, self.zonesCombo, self.steepCombo, self.publishSteepCombo):
            combo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        # the export's format and zip, on the page so that Run all exports as the page does
        self.formatCombo = QComboBox(self)
        self.formatCombo.setObjectName("formatCombo")
        for label in ExportAlgorithm.FORMAT_LABELS:  # item i is the algorithm's FORMAT option i
            self.formatCombo.addItem(label)
        self.zipCheck = QCheckBox(translate("SoilConservation", "Also write a zip of the package"), self)
        self.zipCheck.setObjectName("zipCheck")
        self.zipCheck.setChecked(True)
        form = self.groupExport.layout()
        row = form.getWidgetPosition(self.exportButton)[0]
        form.insertRow(row, translate("SoilConservation", "Format"), self.formatCombo)
        form.insertRow(row + 1, "", self.zipCheck)
        for key, w in (
            ("units", self.unitsCombo),
            ("zones", self.zonesCombo),
            ("steep", self.steepCombo),
            ("publish_steep", self.publishSteepCombo),
            ("source", self.sourceEdit),
            ("format", self.formatCombo),
            ("zip", self.zipCheck),
        ):
            self.persist.add(key, w)
        self.sourceEdit.setPlaceholderText(
            translate("SoilConservation", "e.g. county water resources bureau, 2025 survey")
        )
        self.connect(self.exportButton.clicked, self.run)
        self.connect(self.publishOne.clicked, self.publish_one)
        self.connect(self.publishAll.clicked, self.publish_all)
        from .prefill import add_partial_choice

        self.allowPartial = add_partial_choice(self)
        self.update_counties()

    def run_buttons(self) -> list:
        return [self.exportButton, self.publishOne, self.publishAll]

    def refresh(self) -> None:
        super().refresh()
        for button, name in ((self.exportButton, "export"), (self.publishOne, "publish"), (self.publishAll, "publish")):
            button.setToolTip(
                translate("SoilConservation", "The algorithm {name} is not available.").format(name=name)
                if algorithm(name) is None
                else ""
            )

    def update_counties(self, *_):
        current = self.countyChoice.currentData()
        self.countyChoice.blockSignals(True)
        self.countyChoice.clear()
        for code, name in self.dock.data.chosen_counties() if self.dock.data else []:
            self.countyChoice.addItem(f"{code} {name}".strip(), code)
        index = self.countyChoice.findData(current)
        if index >= 0:
            self.countyChoice.setCurrentIndex(index)
        self.countyChoice.blockSignals(False)

    def wanted(self, links=None) -> dict:
        if links:
            steep, units, zones, issues, tables = links.steep, links.units, links.zones, links.issues, links.tables
        else:
            issue_layer = self.dock.checks.issue_layer
            steep, units, zones = (
                layer_source(c.currentLayer()) for c in (self.steepCombo, self.unitsCombo, self.zonesCombo)
            )
            issues, tables = (
                layer_source(issue_layer) if issue_layer is not None else "",
                self.dock.steep_tables.get(steep, []),
            )
        a = ExportAlgorithm
        return {
            a.STEEP: steep,
            a.UNITS: units,
            a.ZONES: zones,
            a.ISSUES: issues,
            a.TABLES: tables,
            a.FORMAT: self.formatCombo.currentIndex(),
            a.ZIP: self.zipCheck.isChecked(),
            a.OVERWRITE: True,  # the package goes into the run's own new folder
        }

    def done(self, results: dict, out_dir: Path, group) -> None:
        package = results.get(ExportAlgorithm.OUTPUT) or str(out_dir)
        text = translate("SoilConservation", "Export package written to {path} ({n} features)").format(
            path=package, n=int(results.get(ExportAlgorithm.FEATURES) or 0)
        )
        self.resultLabel.setText(text)
        self.dock.info(text)

    # publication
    def wanted_publish(self, county: str, links=None) -> dict:
        a, d = PublishAlgorithm, self.dock.data
        return {
            a.COUNTIES: layer_source(d.layer("county")),
            a.COUNTY_CODE_FIELD: d.countyCodeField.currentField(),
            a.COUNTY_NAME_FIELD: d.countyNameField.currentField(),
            a.TOWNSHIPS: layer_source(d.layer("townships")),
            a.TOWNSHIP_NAME_FIELD: d.townshipNameField.currentField(),
            a.STEEP: links.steep if links else layer_source(self.publishSteepCombo.currentLayer()),
            a.COUNTY: county,
            a.COUNTY_CODES: "" if county else d.county_codes(),
            a.DEM: layer_source(d.layer("dem")),
            a.ALLOW_PARTIAL: self.allowPartial.isChecked(),
            a.ZONES: links.zone_areas if links else (getattr(self.dock.zoning, "zones_out", "") or ""),
            a.SOURCE: self.sourceEdit.text(),
        }

    def publish_one(self):
        code = self.countyChoice.currentData()
        if not code:
            self.dock.warn(translate("SoilConservation", "Choose a county."))
            return
        self.dock.run_algorithm(
            "publish", lambda: self.wanted_publish(code), self.published, translate("SoilConservation", "Publication")
        )

    def publish_all(self):
        self.dock.run_algorithm(
            "publish", lambda: self.wanted_publish(""), self.published, translate("SoilConservation", "Publication")
        )

    def published(self, results: dict, out_dir: Path, group) -> None:
        n = results.get(PublishAlgorithm.COUNT, 0)
        folder = results.get(PublishAlgorithm.OUTPUT_FOLDER) or str(out_dir)
        text = translate("SoilConservation", "{n} county maps (PDF and PNG) written to {path}").format(
            n=int(n or 0), path=folder
        )
        index = results.get(PublishAlgorithm.INDEX)
        if index and Path(index).is_file():
            from .prefill import add_layouts

            names = add_layouts(
                index,
                self.dock.data,
                layer_source(self.publishSteepCombo.currentLayer()),
                getattr(self.dock.zoning, "zones_out", "") or "",
            )
            if names:
                text += " " + translate(
                    "SoilConservation", "Layouts added to the project's Layout Manager: {names}"
                ).format(names=", ".join(names))
        self.resultLabel.setText(text)
        self.dock.info(text)


# --- 7. disturbance patches (supervision) ---------------------------------------------------
class DisturbancePage(Page, _form("page_disturbance.ui")):
    """疑似违法违规扰动图斑 against the zones, the steep slopes and the red line; one GeoPackage per county
    choice that every run writes into again, so the 销号 statuses set on page 5 carry over."""

    KEY = "disturbance"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "7 Disturbance check")
    ALGORITHM = "disturbance_check"

    SUMMARY_COLUMNS = (
        QT_TRANSLATE_NOOP("SoilConservation", "County code"),
        QT_TRANSLATE_NOOP("SoilConservation", "County name"),
        QT_TRANSLATE_NOOP("SoilConservation", "Patches"),
        QT_TRANSLATE_NOOP("SoilConservation", "Area (ha)"),
        QT_TRANSLATE_NOOP("SoilConservation", "Suspected steep-slope reclamation"),
        QT_TRANSLATE_NOOP("SoilConservation", "Priority checks"),
        QT_TRANSLATE_NOOP("SoilConservation", "To check"),
        QT_TRANSLATE_NOOP("SoilConservation", "Closed"),
    )
    ENCODINGS = ("", "GBK", "GB18030", "UTF-8")

    def __init__(self, dock):
        super().__init__(dock)
        self.gpkg = ""
        for combo in (self.patchesCombo, self.previousCombo, self.redlineCombo, self.steepCombo, self.zonesCombo):
            combo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        for key, w in (
            ("patches", self.patchesCombo),
            ("previous", self.previousCombo),
            ("redline", self.redlineCombo),
            ("steep", self.steepCombo),
            ("zones", self.zonesCombo),
        ):
            self.persist.add(key, w)
        # the field mapping and the risk rules: the shipped defaults until the user chooses a copy of their own
        for widget, name in ((self.fieldsFile, "disturbance_fields.json"), (self.rulesFile, "disturbance_risk.json")):
            widget.setFilter(translate("SoilConservation", "Rule files (*.json)"))
            widget.setStorageMode(QgsFileWidget.StorageMode.GetFile)
            widget.setFilePath(str(resources_path("rules", name)))
        for encoding in self.ENCODINGS:  # "" = the .cpg file, else read from the text itself (the algorithm's default)
            self.encodingCombo.addItem(
                encoding or translate("SoilConservation", "automatic (the .cpg file, else read from the text)"),
                encoding,
            )
        for key, w in (
            ("fields_file", self.fieldsFile),
            ("rules_file", self.rulesFile),
            ("encoding", self.encodingCombo),
        ):
            self.persist.add(key, w)
        self.summaryTable.setMinimumHeight(120)
        self.connect(self.runButton.clicked, self.run)
        self.connect(self.reviewButton.clicked, self.review)
        for combo in (self.patchesCombo, self.redlineCombo, self.steepCombo, self.zonesCombo):
            self.connect(combo.layerChanged, self.describe_inputs)
        for widget in (self.fieldsFile, self.rulesFile):
            self.connect(widget.lineEdit().textChanged, self.describe_files)  # also on restore (setFilePath)
        self.prefill()
        self.describe_files()

    def prefill(self, *_):
        """The red line of page 1 until the user chooses another one here."""
        data = self.dock.data
        if data is not None and self.redlineCombo.currentLayer() is None and data.layer("redline") is not None:
            self.redlineCombo.setLayer(data.layer("redline"))
        self.describe_inputs()

    def describe_inputs(self, *_):
        """Which inputs come from the other pages, and which are still missing."""
        data = self.dock.data
        if data is None or not hasattr(self.dock, "units"):
            return
        have = {
            translate("SoilConservation", "counties"): data.layer("county"),
            translate("SoilConservation", "townships"): data.layer("townships"),
            translate("SoilConservation", "small watersheds"): self.dock.units_source() or None,
            translate("SoilConservation", "land use"): data.layer("landuse") or (data.landuse_vector()[0] or None),
        }
        given = [name for name, value in have.items() if value is not None]
        missing = [name for name in list(have)[:3] if have[name] is None]
        sep = "、" if user_is_chinese() else ", "
        text = translate("SoilConservation", "From pages 1 and 2: {names}.").format(names=sep.join(given) or "–")
        if missing:
            text += " " + translate("SoilConservation", "Still missing: {names}.").format(names=sep.join(missing))
        self.inputsStatus.setText(text)

    def describe_files(self, *_):
        """One line per rule file: its name, version and title (or what is wrong with it)."""
        from ..core.disturbance.fields import load_field_mapping
        from ..core.disturbance.risk import load_risk_rules

        for widget, status, load in (
            (self.fieldsFile, self.fieldsStatus, load_field_mapping),
            (self.rulesFile, self.rulesStatus, load_risk_rules),
        ):
            text, tip = self.file_line(widget.filePath(), load)
            status.setText(text)
            status.setToolTip(tip)

    @staticmethod
    def file_line(path: str, load) -> tuple[str, str]:
        """(✓ the file's name and version, and whether it holds defaults; its title and source as the
        tooltip) or (✗ what is wrong with it, "")."""
        from ..core.common.rules import load_json_rules
        from .common import localized

        if not path:
            return translate("SoilConservation", "✗ choose a file"), ""
        try:
            checked = load(path)
            data = load_json_rules(path)
        except Exception as exc:  # noqa: BLE001 - the user's file: say what is wrong with it
            return f'<span style="color:#cf222e">✗ {localized(str(exc))}</span>', ""
        text = translate("SoilConservation", "✓ {name}, version {v}").format(name=Path(path).name, v=checked.version)
        if data.get("default"):
            text += translate("SoilConservation", " (defaults, not an official schema or standard)")
        title = data.get("title", "")
        title = title.get("zh" if user_is_chinese() else "en", "") if isinstance(title, dict) else str(title)
        return text, "\n".join(t for t in (title, checked.source) if t)

    def result_file(self) -> Path:
        """The check's GeoPackage, the same for every run (the 销号 statuses are kept in it)."""
        return self.dock.results_dir() / "disturbance" / f"disturbance_check{self.dock.county_stem()}.gpkg"

    def wanted(self, links=None) -> dict:
        from ..processing.alg_disturbance import DisturbanceCheckAlgorithm as a

        d = self.dock.data
        out = self.result_file()
        out.parent.mkdir(parents=True, exist_ok=True)
        landuse = layer_source(d.layer("landuse")) or d.landuse_vector()[0]
        return {
            a.PATCHES: layer_source(self.patchesCombo.currentLayer()),
            a.PREVIOUS: layer_source(self.previousCombo.currentLayer()),
            a.REDLINE: layer_source(self.redlineCombo.currentLayer()) or layer_source(d.layer("redline")),
            a.STEEP: links.steep if links else layer_source(self.steepCombo.currentLayer()),
            a.ZONES: links.zone_areas
            if links
            else (layer_source(self.zonesCombo.currentLayer()) or getattr(self.dock.zoning, "zones_out", "")),
            a.UNITS: links.units if links else self.dock.units_source(),
            a.TOWNSHIPS: layer_source(d.layer("townships")),
            a.COUNTIES: layer_source(d.layer("county")),
            a.LANDUSE: landuse,
            a.FIELDS_FILE: self.fieldsFile.filePath(),
            a.RULES_FILE: self.rulesFile.filePath(),
            a.ENCODING: self.encodingCombo.currentData() or "",
            a.OUTPUT: str(out),
        }

    def field_problem(self) -> str:
        """Why the chosen patch layer cannot be read with the chosen field mapping, naming the layer as the
        project shows it (the algorithm, on another thread, knows only the file); "" when it can."""
        from ..core.common.errors import InputError
        from ..core.disturbance.fields import load_field_mapping, resolve_patch_fields
        from ..processing.alg_disturbance import DisturbanceCheckAlgorithm as a
        from .common import localized

        layer = self.patchesCombo.currentLayer()
        if layer is None:
            return ""
        label = f"{translate('SoilConservation', a.VECTORS[0][1])}: {layer.name()}"
        try:
            resolve_patch_fields(layer.fields().names(), load_field_mapping(self.fieldsFile.filePath() or None), label)
        except InputError as exc:
            return localized(str(exc))
        return ""

    def run(self) -> None:
        if self.patchesCombo.currentLayer() is None:
            self.dock.warn(translate("SoilConservation", "Choose the disturbance patch layer."))
            return
        problem = self.field_problem()
        if problem:
            self.dock.error(problem)
            return
        super().run()

    def done(self, results: dict, out_dir: Path, group) -> None:
        from ..processing.alg_disturbance import DisturbanceCheckAlgorithm as a

        uri = results.get(a.PATCHES_OUT)
        if not uri:
            return
        layer = QgsVectorLayer(
            str(uri), translate("SoilConservation", "Checked disturbance patches") + " " + now(), "ogr"
        )
        if not layer.isValid():
            return
        group.add(layer, "disturbance_patches.qml")
        self.gpkg = str(results.get(a.OUTPUT) or str(uri).split("|")[0])
        self.fill_summary(layer)
        self.resultLabel.setText(
            translate(
                "SoilConservation",
                "{n} patches: {steep} suspected steep-slope reclamation, {key} priority checks; "
                "checklists per county in {path}",
            ).format(
                n=int(results.get(a.PATCH_COUNT) or 0),
                steep=int(results.get(a.STEEP_RECLAMATION) or 0),
                key=int(results.get(a.KEY_CHECK) or 0),
                path=results.get(a.CHECKLIST) or out_dir,
            )
        )
        self.dock.checks.open_patches(self.gpkg, layer)

    def review(self, *_):
        """The checked patches in the reviewer panel (page 5)."""
        if not self.gpkg and self.result_file().is_file():
            self.gpkg = str(self.result_file())
        if not self.gpkg:
            self.dock.warn(translate("SoilConservation", "Run the check first."))
            return
        checks = self.dock.checks
        if checks.patch_file != self.gpkg:
            checks.open_patches(self.gpkg, None)
        self.dock.show_page(checks)

    def fill_summary(self, layer) -> None:
        """Per county: patches, area, the two risk classes that matter most, and where the 销号 stands."""
        from ..core.disturbance.status import CLOSED, PENDING

        counties: dict = {}
        for f in layer.getFeatures():
            key = (str(f["cnty_code"] or ""), str(f["cnty_name"] or ""))
            row = counties.setdefault(key, [0, 0.0, 0, 0, 0, 0])
            row[0] += 1
            row[1] += float(f["area_ha"] or 0.0)
            row[2] += f["risk"] == "steep_reclamation"
            row[3] += f["risk"] == "key_check"
            row[4] += f["status"] == PENDING
            row[5] += f["status"] == CLOSED
        table = self.summaryTable
        table.setSortingEnabled(False)
        table.clear()
        table.setColumnCount(len(self.SUMMARY_COLUMNS))
        table.setHorizontalHeaderLabels([tr(c) for c in self.SUMMARY_COLUMNS])
        table.setRowCount(len(counties))
        for r, ((code, name), values) in enumerate(sorted(counties.items())):
            cells = [code, name or translate("SoilConservation", "outside the counties")]
            cells += [str(values[0]), f"{values[1]:.2f}", *(str(v) for v in values[2:])]
            for c, text in enumerate(cells):
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.setSortingEnabled(True)


# --- 8. roll-up and targets -----------------------------------------------------------------
class RollupPage(Page, _form("page_rollup.ui")):
    """The zoning's per-unit indicators summed to 乡镇/县/市/省 with the 水土保持率 targets, and optionally
    the change between two erosion years with its HTML report."""

    KEY = "rollup"
    TITLE = QT_TRANSLATE_NOOP("SoilConservation", "8 Roll-up and targets")
    ALGORITHM = "rollup"

    KIND_LABELS = {
        "classes": QT_TRANSLATE_NOOP("SoilConservation", "SL 190 class codes 1–6"),
        "modulus": QT_TRANSLATE_NOOP("SoilConservation", "erosion modulus t/(km²·a)"),
    }
    COUNTY_COLUMNS = (
        ("code", QT_TRANSLATE_NOOP("SoilConservation", "County code")),
        ("name", QT_TRANSLATE_NOOP("SoilConservation", "County name")),
        ("land_ha", QT_TRANSLATE_NOOP("SoilConservation", "Land area (ha)")),
        ("assess_ha", QT_TRANSLATE_NOOP("SoilConservation", "Assessed area (ha)")),
        ("loss_ha", QT_TRANSLATE_NOOP("SoilConservation", "Soil loss area (ha)")),
        ("rate_pct", QT_TRANSLATE_NOOP("SoilConservation", "Conservation rate (%)")),
    )

    def __init__(self, dock):
        from ..processing.alg_change import ChangeAlgorithm

        super().__init__(dock)
        self.report = ""
        self.unitsCombo.setFilters(QgsMapLayerProxyModel.Filter.PolygonLayer)
        for combo in (self.beforeCombo, self.afterCombo):
            combo.setFilters(QgsMapLayerProxyModel.Filter.RasterLayer)
        for combo in (self.unitsCombo, self.beforeCombo, self.afterCombo):
            combo.setAllowEmptyLayer(True)
            combo.setLayer(None)
        for kind in ChangeAlgorithm.KINDS:  # in the order of the algorithm's KIND enum
            self.kindCombo.addItem(tr(self.KIND_LABELS[kind]), kind)
        self.kindCombo.setCurrentIndex(1)  # the CSLE step writes moduli
        self.targetsFile.setFilter(translate("SoilConservation", "Targets files (*.json)"))
        self.targetsFile.setStorageMode(QgsFileWidget.StorageMode.GetFile)
        self.targetsFile.setFilePath(str(resources_path("rules", "targets_jilin.json")))
        self.targetYear.setSpecialValueText(translate("SoilConservation", "none"))
        self.countyTable.setMinimumHeight(120)
        self.reportButton.setEnabled(False)
        for key, w in (
            ("units", self.unitsCombo),
            ("targets", self.targetsFile),
            ("change", self.changeCheck),
            ("before", self.beforeCombo),
            ("after", self.afterCombo),
            ("year_before", self.yearBefore),
            ("year_after", self.yearAfter),
            ("kind", self.kindCombo),
            ("target_year", self.targetYear),
        ):
            self.persist.add(key, w)
        self.connect(self.runButton.clicked, self.run)
        self.connect(self.reportButton.clicked, self.open_report)
        self.connect(self.changeCheck.toggled, self.enable_change)
        self.connect(self.targetsFile.fileChanged, self.describe_targets)
        self.enable_change()
        self.describe_targets()

    def enable_change(self, *_):
        on = self.changeCheck.isChecked()
        for w in (self.beforeCombo, self.afterCombo, self.yearBefore, self.yearAfter, self.kindCombo, self.targetYear):
            w.setEnabled(on)

    def targets_province(self) -> str:
        """The province code of the chosen targets file ('' where it cannot be read)."""
        from ..core.rollup.targets import load_targets

        try:
            return load_targets(self.targetsFile.filePath() or None).province_code
        except Exception:  # noqa: BLE001 - describe_targets says what is wrong with the file
            return ""

    def describe_targets(self, *_):
        from ..core.rollup.targets import load_targets
        from .common import localized

        try:
            targets = load_targets(self.targetsFile.filePath() or None)
        except Exception as exc:  # noqa: BLE001 - the user's file: say what is wrong with it
            self.targetsStatus.setText(f'<span style="color:#cf222e">✗ {localized(str(exc))}</span>')
            return
        years = ", ".join(f"{t.year}: {t.rate_pct:g} %" for t in targets.targets)
        self.targetsStatus.setText(
            translate("SoilConservation", "✓ version {v}; province targets {years}; a default decomposition").format(
                v=targets.version, years=years
            )
        )

    def units(self) -> str:
        """The zoning's units with their indicators: the layer chosen here, else the zoning page's output."""
        return layer_source(self.unitsCombo.currentLayer()) or getattr(self.dock.zoning, "indicators", "")

    def wanted(self, links=None) -> dict:
        from ..processing.alg_rollup import RollupAlgorithm as a

        return {a.INPUT: links.zones if links else self.units(), a.TARGETS: self.targetsFile.filePath()}

    def wanted_change(self, links=None) -> dict:
        from ..processing.alg_change import ChangeAlgorithm as a

        return {
            a.UNITS: links.zones if links else self.units(),
            a.EROSION_BEFORE: layer_source(self.beforeCombo.currentLayer()),
            a.YEAR_BEFORE: self.yearBefore.value(),
            a.EROSION_AFTER: layer_source(self.afterCombo.currentLayer()),
            a.YEAR_AFTER: self.yearAfter.value(),
            a.KIND: a.KINDS.index(self.kindCombo.currentData()),
            a.TARGETS: self.targetsFile.filePath(),
            a.TARGET_YEAR: self.targetYear.value(),
        }

    def run(self) -> None:
        if not self.units():
            self.dock.warn(translate("SoilConservation", "Run the zoning first (page 4) or choose the unit layer."))
            return
        if self.changeCheck.isChecked() and (
            self.beforeCombo.currentLayer() is None or self.afterCombo.currentLayer() is None
        ):
            self.dock.warn(translate("SoilConservation", "Choose the erosion rasters of both years."))
            return
        self.dock.run_algorithm(self.ALGORITHM, self.wanted, self._then_change, tr(self.RUN_TITLE or self.TITLE))

    def _then_change(self, results: dict, out_dir: Path, group) -> None:
        """The page's own Run: the roll-up's results, then the change when its box is ticked
        (Run all runs the change as a step of its own and loads it with change_done)."""
        self.done(results, out_dir, group)
        if self.changeCheck.isChecked():
            self.dock.run_algorithm(
                "change", self.wanted_change, self.change_done, translate("SoilConservation", "Change")
            )

    def done(self, results: dict, out_dir: Path, group) -> None:
        from ..processing.alg_rollup import RollupAlgorithm as a

        uri = results.get(a.COUNTY_OUT)
        layer = QgsVectorLayer(str(uri), translate("SoilConservation", "Counties (roll-up)") + " " + now(), "ogr")
        if uri and layer.isValid():
            group.add(layer, "rollup.qml")
            self.fill_table(layer)
        self.resultLabel.setText(
            translate("SoilConservation", "Roll-up tables in {path}").format(path=results.get(a.TABLES) or out_dir)
        )

    def change_done(self, results: dict, out_dir: Path, group) -> None:
        from ..processing.alg_change import ChangeAlgorithm as a

        uri = str(results.get(a.UNITS_OUT) or "")
        if uri:
            gpkg = uri.split("|")[0]
            for name, sub in (
                (translate("SoilConservation", "Change per small watershed"), "unit_change"),
                (translate("SoilConservation", "Change per county"), "county_change"),
            ):
                layer = QgsVectorLayer(f"{gpkg}|layername={sub}", f"{name} {now()}", "ogr")
                if layer.isValid():
                    group.add(layer, "change.qml")
        self.report = str(results.get(a.REPORT) or "")
        self.reportButton.setEnabled(bool(self.report))
        if self.report:
            link = QUrl.fromLocalFile(self.report).toString()
            self.resultLabel.setText(
                self.resultLabel.text()
                + "<br>"
                + translate("SoilConservation", "Change report: {link}").format(
                    link=f'<a href="{link}">{Path(self.report).name}</a>'
                )
            )

    def open_report(self, *_):
        if self.report:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.report))

    def fill_table(self, layer) -> None:
        """One row per county: areas, the 水土保持率 and the decomposed target of every target year."""
        names = layer.fields().names()
        targets = sorted(n for n in names if n.startswith("target_") and n[7:].isdigit())  # target_2025 …
        columns = [(f, tr(label)) for f, label in self.COUNTY_COLUMNS if f in names]
        columns += [(t, translate("SoilConservation", "Target {year} (%)").format(year=t[7:])) for t in targets]
        table = self.countyTable
        table.setSortingEnabled(False)
        table.clear()
        table.setColumnCount(len(columns))
        table.setHorizontalHeaderLabels([label for _, label in columns])
        features = list(layer.getFeatures())
        table.setRowCount(len(features))
        for r, f in enumerate(features):
            for c, (field, _) in enumerate(columns):
                value = f[field]
                text = "" if value is None else (f"{value:.2f}" if isinstance(value, float) else str(value))
                table.setItem(r, c, QTableWidgetItem(text))
        table.resizeColumnsToContents()
        table.setSortingEnabled(True)
