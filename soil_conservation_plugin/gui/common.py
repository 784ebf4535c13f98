"""Small shared pieces of the dock: translation, algorithm parameters, messages, persistence."""

from __future__ import annotations

import contextlib
import re

from qgis.core import QgsApplication, QgsMapLayer, QgsProcessingDestinationParameter, QgsProject, QgsSettings
from qgis.gui import QgsFieldComboBox, QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QLocale
from qgis.PyQt.QtWidgets import QAbstractButton, QComboBox, QDoubleSpinBox, QLineEdit, QSlider, QSpinBox

from ..processing.provider import PROVIDER_ID

CONTEXT = "SoilConservation"
PROJECT_SCOPE = "SoilConservation"


class Connections:
    """The signal connections an object made, so that it can undo all of them: a dock closed or a
    plugin reloaded must leave no slot of a deleted object connected to QGIS's signals."""

    def __init__(self):
        self._pairs: list[tuple[object, object]] = []

    def connect(self, signal, slot) -> None:
        signal.connect(slot)
        self._pairs.append((signal, slot))

    def disconnect_all(self) -> None:
        for signal, slot in self._pairs:
            # the sender may be deleted already (RuntimeError) or the slot gone (TypeError)
            with contextlib.suppress(TypeError, RuntimeError):
                signal.disconnect(slot)
        self._pairs.clear()


def user_is_chinese() -> bool:
    value = QgsSettings().value("locale/userLocale", "") or QLocale().name()
    return str(value).lower().startswith("zh")


_BILINGUAL = re.compile(r"^\s*\[(?P<layer>[^\]]*)\]\s*(?P<zh>.*?)\s+/\s+(?P<en>.*)$", re.S)


def localized(text: str) -> str:
    """The user's half of a bilingual core message '[layer] 中文 / English' (others unchanged)."""
    lines = []
    for line in str(text).splitlines():
        m = _BILINGUAL.match(line)
        if m:
            line = f"[{m['layer']}] " + (m["zh"] if user_is_chinese() else m["en"])
        lines.append(line)
    return "\n".join(lines)


# --- algorithms ------------------------------------------------------------
def algorithm(name: str):
    """The registered algorithm ``soil_conservation:<name>``, or None while it does not exist."""
    return QgsApplication.processingRegistry().algorithmById(f"{PROVIDER_ID}:{name}")


def unavailable(name: str) -> str:
    """Why ``soil_conservation:<name>`` cannot run here (a missing package, bilingual), or "" when it can."""
    alg = algorithm(name)
    missing = getattr(alg, "MISSING", None)  # set on algorithms registered as unavailable (processing/provider.py)
    if not missing:
        return ""
    from ..core.common.dependencies import unavailable_reason

    return unavailable_reason(missing)


def build_parameters(name: str, wanted: dict, out_dir, stem: str = "") -> tuple[dict, list[str]]:
    """Keep the wanted values the algorithm defines; put unset outputs into ``out_dir``
    (named ``<stem>.<ext>`` for OUTPUT and ``<stem>_<key>.<ext>`` for the others when ``stem`` is given).

    Returns (parameters, names of mandatory inputs still missing). Pages list the
    values they have under every name an algorithm may use, so a renamed parameter
    only needs one line changed in the page's ``wanted`` mapping.
    """
    alg = algorithm(name)
    if alg is None:
        return {}, [name]
    params, missing = {}, []
    for definition in alg.parameterDefinitions():
        key = definition.name()
        value = wanted.get(key)
        if isinstance(definition, QgsProcessingDestinationParameter):
            if (
                value in (None, "")
                and definition.flags() & definition.FlagOptional
                and not definition.createByDefault()
            ):
                continue
            if value in (None, ""):
                ext = definition.defaultFileExtension() if hasattr(definition, "defaultFileExtension") else ""
                base = (stem if key == "OUTPUT" else f"{stem}_{key.lower()}") if stem else key.lower()
                value = str(out_dir / (base + (f".{ext}" if ext and definition.type() != "folderDestination" else "")))
            params[key] = value
            continue
        if value in (None, ""):
            optional = bool(definition.flags() & definition.FlagOptional)
            if optional and key in wanted and definition.type() == "field":
                params[key] = ""  # the user chose no field: not the algorithm's default name
            elif not optional and definition.defaultValue() is None:
                missing.append(definition.description() or key)
            continue
        params[key] = value
    return params, missing


def layer_source(layer) -> str:
    """The layer's source for an algorithm; a GeoPackage layer always names its table
    (``path|layername=...``), so readers that take the file alone do not guess it."""
    try:
        if not isinstance(layer, QgsMapLayer) or not layer.isValid():
            return ""
    except RuntimeError:  # a layer the project has deleted (e.g. with its replaced result group)
        return ""
    source = layer.source()
    if layer.providerType() == "ogr" and "|" not in source and source.lower().endswith(".gpkg"):
        from osgeo import gdal

        try:
            ds = gdal.OpenEx(source, gdal.OF_VECTOR)
            if ds is not None and ds.GetLayerCount() == 1:
                source = f"{source}|layername={ds.GetLayer(0).GetName()}"
        except RuntimeError:
            pass
    return source


# --- persistence in the QGIS project ----------------------------------------------
class Persist:
    """Saves widget values as custom properties of the QGIS project and restores them.

    Values are written on every change (so a project saved at any time has them) and
    read back when a project is loaded. Layers are stored by id, with the source as a fallback.
    """

    restoring = False  # class-wide: while any panel restores, prefills must not overwrite stored values

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.widgets: list[tuple[str, object]] = []
        self._connections = Connections()

    def add(self, key: str, widget) -> None:
        self.widgets.append((key, widget))
        signal = self._signal(widget)
        if signal is not None:
            slot = lambda *_a, k=key, w=widget: self.save(k, w)  # noqa: E731
            self._connections.connect(signal, slot)

    @staticmethod
    def _signal(w):
        if isinstance(w, QgsMapLayerComboBox):
            return w.layerChanged
        if isinstance(w, QgsFieldComboBox):
            return w.fieldChanged
        if isinstance(w, QgsFileWidget):
            return w.lineEdit().textChanged  # fileChanged is not emitted by setFilePath()
        if isinstance(w, (QDoubleSpinBox, QSpinBox, QSlider)):
            return w.valueChanged
        if isinstance(w, QAbstractButton):
            return w.toggled
        if isinstance(w, QComboBox):
            return w.currentIndexChanged
        if isinstance(w, QLineEdit):
            return w.textChanged
        return None

    def entry(self, key: str) -> str:
        return f"{self.prefix}/{key}"

    def save(self, key: str, w) -> None:
        if Persist.restoring:
            return
        project = QgsProject.instance()
        if isinstance(w, QgsMapLayerComboBox):
            layer = w.currentLayer()
            project.writeEntry(PROJECT_SCOPE, self.entry(key), layer.id() if layer else "")
            project.writeEntry(PROJECT_SCOPE, self.entry(key + "_source"), layer.source() if layer else "")
        elif isinstance(w, QgsFieldComboBox):
            project.writeEntry(PROJECT_SCOPE, self.entry(key), w.currentField())
        elif isinstance(w, QgsFileWidget):
            project.writeEntry(PROJECT_SCOPE, self.entry(key), w.filePath())
        elif isinstance(w, (QDoubleSpinBox, QSpinBox, QSlider)):
            project.writeEntry(PROJECT_SCOPE, self.entry(key), str(w.value()))
        elif isinstance(w, QAbstractButton):
            project.writeEntry(PROJECT_SCOPE, self.entry(key), "1" if w.isChecked() else "0")
        elif isinstance(w, QComboBox):
            data = w.currentData()
            project.writeEntry(PROJECT_SCOPE, self.entry(key), str(data if data is not None else w.currentText()))
        elif isinstance(w, QLineEdit):
            project.writeEntry(PROJECT_SCOPE, self.entry(key), w.text())

    def restore(self) -> None:
        """Widgets in the order added (a field combo after its layer combo)."""
        project = QgsProject.instance()
        outer = Persist.restoring
        Persist.restoring = True
        try:
            for key, w in self.widgets:
                value, ok = project.readEntry(PROJECT_SCOPE, self.entry(key), "")
                if not ok:
                    continue
                self._set(w, key, value, project)
        finally:
            Persist.restoring = outer

    def _set(self, w, key: str, value: str, project) -> None:
        if isinstance(w, QgsMapLayerComboBox):
            layer = project.mapLayer(value) if value else None
            if layer is None and value:
                source, _ = project.readEntry(PROJECT_SCOPE, self.entry(key + "_source"), "")
                layer = next((lyr for lyr in project.mapLayers().values() if source and lyr.source() == source), None)
            w.setLayer(layer)
        elif isinstance(w, QgsFieldComboBox):
            w.setField(value)
        elif isinstance(w, QgsFileWidget):
            w.setFilePath(value)
        elif isinstance(w, (QDoubleSpinBox, QSpinBox, QSlider)):
            try:
                number = float(value)
            except ValueError:
                return
            w.setValue(number if isinstance(w, QDoubleSpinBox) else int(number))
        elif isinstance(w, QAbstractButton):
            w.setChecked(value == "1")
        elif isinstance(w, QComboBox):
            index = w.findData(value)
            if index < 0:
                index = w.findText(value)
            if index >= 0:
                w.setCurrentIndex(index)
        elif isinstance(w, QLineEdit):
            w.setText(value)

    def disconnect(self) -> None:
        self._connections.disconnect_all()
