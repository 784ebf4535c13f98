"""Loads a run's outputs into one layer group, styled with the QML files of resources/styles."""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

from ..core.paths import resources_path

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


class ResultGroup:
    """One layer-tree group per run, at the top of the layer tree."""

    def __init__(self, title: str):
        stamp = _dt.datetime.now().strftime("%H:%M:%S")
        self.group = QgsProject.instance().layerTreeRoot().insertGroup(0, f"{title} {stamp}")
        self.layers: list = []

    def add(self, layer, qml: str | None = None, name: str | None = None):
        path = style_path(qml)
        if path is not None:
            layer.loadNamedStyle(str(path))
        if name:
            layer.setName(name)
        QgsProject.instance().addMapLayer(layer, False)
        self.group.addLayer(layer)
        self.layers.append(layer)
        return layer

    def add_file(self, path: str, qml_for=None, name_for=None) -> list:
        """Every layer of ``path``; ``qml_for(layer)``/``name_for(layer)`` pick style and legend name."""
        added = []
        for layer in layers_of(path):
            added.append(self.add(layer, qml_for(layer) if qml_for else None, name_for(layer) if name_for else None))
        return added
