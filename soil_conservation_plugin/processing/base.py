"""Shared plumbing for the plugin's Processing algorithms.

Algorithms stay thin: parse parameters, call the core, report. This base adapts
QGIS feedback to the core's Feedback contract, turns core InputErrors into
QgsProcessingException (so QGIS shows them and never crashes), resolves layer
parameters to files the core can open, and styles outputs from resources/styles.
"""
from __future__ import annotations

import threading
from pathlib import Path

import pyproj

from qgis.core import (
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsRasterLayer,
)
from qgis.PyQt.QtGui import QIcon

from ..core.errors import CancelledError, InputError
from ..core.feedback import Feedback
from ..core.input_checks import is_network, raster_files
from ..core.paths import resources_path
from ..core.vector import source_encoding
from ..translation import translate


def tr(text: str) -> str:
    return translate(text)


def _first_layer_name(path: str) -> str:
    """The layer QGIS opens for a file given without |layername= (the first one), e.g. 生态保护红线 in redline.gpkg."""
    from osgeo import ogr

    ds = ogr.Open(path)
    try:
        return ds.GetLayer(0).GetName() if ds is not None and ds.GetLayerCount() else Path(path).stem
    finally:
        ds = None


PYPROJ_NEEDS_PYTHON_THREAD = tuple(int(p) for p in pyproj.__version__.split(".")[:2]) >= (3, 7)


def in_python_thread(fn, *args):
    """Call fn(*args); from a thread Python did not create (a QgsTask's QThread), in a Python thread.

    pyproj 3.7 (Debian 13) crashes when it creates its per-thread PROJ context in a thread
    without a Python thread state (pyproj issue #1509, fixed upstream in #1539). The worker
    thread just waits, so cancel, progress and errors behave as before.
    """
    if not PYPROJ_NEEDS_PYTHON_THREAD or not isinstance(threading.current_thread(), threading._DummyThread):  # noqa: SLF001
        return fn(*args)
    box: dict = {}

    def target():
        try:
            box["result"] = fn(*args)
        except BaseException as exc:  # re-raised in the calling thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="soil_conservation_worker")
    worker.start()
    worker.join()
    if "error" in box:
        raise box["error"]
    return box["result"]


class QgisFeedback(Feedback):
    """The core's Feedback on top of a QgsProcessingFeedback."""

    def __init__(self, qgs_feedback):
        self.qgs = qgs_feedback

    def progress(self, percent: float) -> None:
        if self.qgs is not None:
            self.qgs.setProgress(max(0.0, min(100.0, percent)))

    def info(self, message: str) -> None:
        if self.qgs is not None:
            self.qgs.pushInfo(message)

    def cancelled(self) -> bool:
        return self.qgs is not None and self.qgs.isCanceled()


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Applies a QML style (and optionally a legend name) to an output layer when QGIS loads it."""

    _keep = []  # QGIS does not own post-processors; keep them alive until used

    def __init__(self, qml: Path, name: str | None = None):
        super().__init__()
        self.qml, self.name = qml, name

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS API)
        if layer is not None and layer.isValid():
            layer.loadNamedStyle(str(self.qml))
            if self.name:
                layer.setName(self.name)
            layer.triggerRepaint()

    @classmethod
    def create(cls, qml: Path, name: str | None = None):
        processor = cls(qml, name)
        cls._keep.append(processor)
        del cls._keep[:-50]
        return processor


class AlgorithmBase(QgsProcessingAlgorithm):
    """Subclasses set NAME/DISPLAY/GROUP and implement initAlgorithm, help() and process().

    (Not run(): QgsProcessingAlgorithm.run is the C++ entry point Processing calls.)
    """

    NAME = ""
    DISPLAY = ""
    GROUP = ""
    GROUP_ID = ""

    def tr(self, text: str) -> str:
        return translate(text, *(cls.__name__ for cls in type(self).__mro__))

    def createInstance(self):  # noqa: N802
        return type(self)()

    def name(self) -> str:
        return self.NAME

    def displayName(self) -> str:  # noqa: N802
        return self.tr(self.DISPLAY)

    def group(self) -> str:
        return self.tr(self.GROUP)

    def groupId(self) -> str:  # noqa: N802
        return self.GROUP_ID

    def icon(self):
        return QIcon(str(resources_path("icons", "icon.svg")))

    def shortHelpString(self) -> str:  # noqa: N802
        return self.help()

    def help(self) -> str:
        return ""

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        try:
            return in_python_thread(self.process, parameters, context, QgisFeedback(feedback))
        except InputError as exc:
            raise QgsProcessingException(str(exc)) from exc
        except CancelledError as exc:
            raise QgsProcessingException(str(exc)) from exc

    def process(self, parameters, context, feedback: Feedback) -> dict:
        raise NotImplementedError

    # --- parameter helpers -------------------------------------------------
    def raster_file(self, parameters, name: str, context, label: str) -> str:
        """Local GDAL file behind a raster parameter, or a clear error."""
        given = parameters.get(name)
        if isinstance(given, str) and (is_network(given) or Path(given.split("|")[0]).is_file()):
            raster_files(given, label)  # before QGIS opens it: a VRT's network sources are refused untouched
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None or not isinstance(layer, QgsRasterLayer) or not layer.isValid():
            raise InputError(label, "未提供有效的栅格图层", "no valid raster layer was given")
        if layer.providerType() != "gdal" or not Path(layer.source().split("|")[0]).exists():
            raise InputError(label, f"栅格必须是本地文件(GDAL): {layer.source()}", f"the raster must be a local GDAL file: {layer.source()}")
        return layer.source().split("|")[0]

    def vector_file(self, parameters, name: str, context, feedback, label: str) -> tuple[str, str] | None:
        """(path, layer name) of a vector parameter as a file OGR can read; exported to a temp GPKG when needed.

        ``feedback`` may be the core QgisFeedback or a QgsProcessingFeedback.
        """
        if parameters.get(name) in (None, ""):
            return None
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if layer is None or not layer.isValid():
            raise InputError(label, "未提供有效的矢量图层", "no valid vector layer was given")
        qgs_feedback = getattr(feedback, "qgs", feedback)
        path, layer_name = self.parameterAsCompatibleSourceLayerPathAndLayerName(
            parameters, name, context, ["gpkg", "shp"], "gpkg", qgs_feedback
        )
        if qgs_feedback is not None:
            qgs_feedback.pushInfo(f"{label}: 文本编码 / text encoding {source_encoding(path, label)}")
        return path, layer_name or _first_layer_name(path)

    def style_output(self, context, path: str, qml: str, name: str | None = None) -> None:
        """Style an output when QGIS loads it on completion (toolbox runs and the dock's tasks)."""
        if context.willLoadLayerOnCompletion(path):
            details = context.layerToLoadOnCompletionDetails(path)
            details.setPostProcessor(StylePostProcessor.create(resources_path("styles", qml), name))
