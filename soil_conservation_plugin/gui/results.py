"""Loads a run's outputs into one layer group, styled with the QML files of resources/styles."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

from ..core.common.paths import resources_path

RASTER_EXT = (".tif", ".tiff", ".vrt", ".img")
VECTOR_EXT = (".gpkg", ".shp", ".geojson", ".fgb")


def style_path(qml: str | None) -> Path | None:
    if not qml:
        return None
    try:
        return resources_path("styles", qml)
    except FileNotFoundError:  # a style another part has not written yet: QGIS's default style
        return None


def vector_sublayers(path: str) -> list[str]:
    """Names of the layers of a vector file that have geometries (GPKG may hold tables too)."""
    from osgeo import gdal

    ds = gdal.OpenEx(path, gdal.OF_VECTOR)
    if ds is None:
        return []
    names = []
    for i in range(ds.GetLayerCount()):
        lyr = ds.GetLayerByIndex(i)
        if lyr.GetGeomType() != 100:  # wkbNone: an attribute table (e.g. review_decisions)
            names.append(lyr.GetName())
    return names


def layers_of(path: str) -> list:
    """Map layers for one output file (every geometry layer of a GeoPackage)."""
    p = Path(str(path).split("|")[0])
    if not p.exists():
        return []
    ext = p.suffix.lower()
    if ext in RASTER_EXT:
        layer = QgsRasterLayer(str(p), p.stem)
        return [layer] if layer.isValid() else []
    if ext in VECTOR_EXT:
        out = []
        names = vector_sublayers(str(p)) if ext == ".gpkg" else [None]
        for name in names:
            uri = f"{p}|layername={name}" if name else str(p)
            layer = QgsVectorLayer(uri, name or p.stem, "ogr")
            if layer.isValid():
                out.append(layer)
        return out
    return []


STEP_PROPERTY = "soil_conservation/step"
# top to bottom in the layer tree: issues over patches over zones over units
STEP_ORDER = ("checks_zones", "checks_steep_slope", "checks_units", "checks_generic", "steep_slope", "zoning", "units")


def now() -> str:
    return _dt.datetime.now().strftime("%H:%M")


def _aliases() -> dict:
    from ..core.common.errors import InputError
    from ..core.common.headers import load_field_aliases

    try:
        return load_field_aliases()
    except (InputError, RuntimeError):
        return {}


def apply_field_aliases(layer) -> None:
    """Chinese (or English) aliases and display rounding of the fields users see, from
    resources/styles/field_aliases.json; the stored values keep their full precision."""
    from qgis.core import QgsEditorWidgetSetup

    from .common import user_is_chinese

    if not isinstance(layer, QgsVectorLayer):
        return
    lang = "zh" if user_is_chinese() else "en"
    fields = layer.fields()
    for name, spec in _aliases().items():
        index = fields.indexOf(name)
        if index < 0:
            continue
        alias = spec.get(lang) or spec.get("en")
        if alias:
            layer.setFieldAlias(index, alias)
        decimals = spec.get("decimals")
        if decimals is not None and fields.at(index).isNumeric():
            layer.setEditorWidgetSetup(
                index,
                QgsEditorWidgetSetup(
                    "Range",
                    {
                        "Precision": int(decimals),
                        "Style": "SpinBox",
                        "AllowNull": True,
                        "Min": -1e15,
                        "Max": 1e15,
                        "Step": 1,
                    },
                ),
            )


class ResultGroup:
    """One layer-tree group per step, replaced when the step runs again (its old layers go with it).

    Vector layers sit over rasters; rasters are loaded unticked, so they never hide the result.
    """

    def __init__(self, title: str, step: str = ""):
        project = QgsProject.instance()
        root = project.layerTreeRoot()
        self.step = step
        if step:
            for old in [g for g in root.children() if g.customProperty(STEP_PROPERTY) == step]:
                ids = [n.layerId() for n in old.findLayers()]
                root.removeChildNode(old)
                project.removeMapLayers([i for i in ids if project.mapLayer(i) is not None])
        self.group = root.insertGroup(self._position(root), f"{title} {now()}")
        if step:
            self.group.setCustomProperty(STEP_PROPERTY, step)
        self.layers: list = []

    def _position(self, root) -> int:
        rank = STEP_ORDER.index(self.step) if self.step in STEP_ORDER else -1
        if rank < 0:
            return 0
        for i, node in enumerate(root.children()):
            other = node.customProperty(STEP_PROPERTY) if hasattr(node, "customProperty") else None
            if other in STEP_ORDER and STEP_ORDER.index(other) > rank:
                return i
        last = [i for i, node in enumerate(root.children()) if node.customProperty(STEP_PROPERTY) in STEP_ORDER]
        return last[-1] + 1 if last else 0

    def add(self, layer, qml: str | None = None, name: str | None = None):
        path = style_path(qml)
        if path is not None:
            layer.loadNamedStyle(str(path))
        if name:
            layer.setName(name)
        apply_field_aliases(layer)
        QgsProject.instance().addMapLayer(layer, False)
        if isinstance(layer, QgsRasterLayer):
            node = self.group.addLayer(layer)
            node.setItemVisibilityChecked(False)
        else:
            n_vectors = sum(1 for lyr in self.layers if not isinstance(lyr, QgsRasterLayer))
            self.group.insertLayer(n_vectors, layer)
        self.layers.append(layer)
        return layer

    def add_file(self, path: str, qml_for=None, name_for=None) -> list:
        """Every layer of ``path``; ``qml_for(layer)``/``name_for(layer)`` pick style and legend name."""
        added = []
        for layer in layers_of(path):
            added.append(self.add(layer, qml_for(layer) if qml_for else None, name_for(layer) if name_for else None))
        return added

    def discard_if_empty(self) -> None:
        if not self.layers and self.group.parent() is not None:
            self.group.parent().removeChildNode(self.group)
