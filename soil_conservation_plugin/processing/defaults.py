"""Sensible defaults of layer parameters in the Processing dialog (e.g. the county boundary
defaults to a layer that looks like one, never to whichever polygon layer comes first)."""

from __future__ import annotations

COUNTY_HINTS = ("县界", "县级行政区", "county", "xzq")


def guess_layer(hints=COUNTY_HINTS, avoid=("小流域", "watershed", "units")):
    """Id of the project's first polygon layer whose name contains one of ``hints`` (None if none).

    Only on the main thread (the dialog): algorithms created on a worker thread never touch the project.
    """
    from qgis.core import QgsProject, QgsVectorLayer, QgsWkbTypes
    from qgis.PyQt.QtCore import QCoreApplication, QThread

    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() != app.thread():
        return None
    for layer in QgsProject.instance().mapLayers().values():
        name = layer.name().lower()
        if not isinstance(layer, QgsVectorLayer) or layer.geometryType() != QgsWkbTypes.GeometryType.PolygonGeometry:
            continue
        if any(a in name for a in avoid):
            continue
        if any(h in name for h in hints):
            return layer.id()
    return None
