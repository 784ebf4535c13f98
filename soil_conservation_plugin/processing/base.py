"""Shared plumbing for the plugin's Processing algorithms.

Algorithms stay thin: parse parameters, call the core, report. This base adapts
QGIS feedback to the core's Feedback contract, turns core InputErrors into
QgsProcessingException (so QGIS shows them and never crashes), resolves layer
parameters to files the core can open, and styles outputs from resources/styles.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import traceback
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsMapLayer,
    QgsMessageLog,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingLayerPostProcessorInterface,
    QgsProcessingOutputLayerDefinition,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterVectorDestination,
    QgsProperty,
    QgsRasterLayer,
)
from qgis.PyQt.QtGui import QIcon

from ..core.common.errors import CancelledError, InputError
from ..core.common.feedback import Feedback
from ..core.common.input_checks import is_network, raster_files
from ..core.common.io import output_set
from ..core.common.paths import resources_path
from ..core.common.vector import source_encoding
from ..translation import tr


def _first_layer_name(path: str) -> str:
    """The layer QGIS opens for a file given without |layername= (the first one), e.g. 生态保护红线 in redline.gpkg."""
    from osgeo import ogr

    ds = ogr.Open(path)
    try:
        return ds.GetLayer(0).GetName() if ds is not None and ds.GetLayerCount() else Path(path).stem
    finally:
        ds = None


def _pyproj_needs_python_thread() -> bool:
    try:
        import pyproj  # imported here: an algorithm module must load without it (it is then unavailable)
    except ImportError:
        return False
    return tuple(int(p) for p in pyproj.__version__.split(".")[:2]) >= (3, 7)


def in_python_thread(fn, *args):
    """Call fn(*args); from a thread Python did not create (a QgsTask's QThread), in a Python thread.

    pyproj 3.7 (Debian 13) crashes when it creates its per-thread PROJ context in a thread
    without a Python thread state (pyproj issue #1509, fixed upstream in #1539). The worker
    thread just waits, so cancel, progress and errors behave as before.
    """
    if not isinstance(threading.current_thread(), threading._DummyThread) or not _pyproj_needs_python_thread():  # noqa: SLF001
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


LOG_TAG = "soil_conservation"
TEMPORARY = ("TEMPORARY_OUTPUT", "memory:", "")


@contextlib.contextmanager
def cancel_on_signals(qgs_feedback):
    """SIGINT / SIGTERM cancel the run (its temporaries are removed) instead of killing it midway.

    Only in the main thread (qgis_process, processing.run from a script), and only where the
    current handler is Python's or the default: a handler QGIS installed in C++ stays.
    """
    if qgs_feedback is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        current = signal.getsignal(sig)
        if current in (signal.SIG_DFL, signal.default_int_handler):
            previous[sig] = current
            signal.signal(sig, lambda *_: qgs_feedback.cancel())
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def log_traceback(text: str) -> str:
    """Keep a traceback for the developers, away from the user's screen; returns where it went.

    qgis_process echoes the message log to the terminal, so there it goes to a file in the
    profile folder; in desktop QGIS to the log panel's tab.
    """
    from qgis.core import QgsApplication

    if QgsApplication.platform() != "qgis_process":
        QgsMessageLog.logMessage(text, LOG_TAG, Qgis.MessageLevel.Critical)
        return f" QGIS log '{LOG_TAG}'"
    path = Path(QgsApplication.qgisSettingsDirPath()) / f"{LOG_TAG}.log"
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(text + "\n")
    except OSError:
        return " (no log written)"
    return f" {path}"


def plain(value):
    """A numpy scalar as a Python number or bool: qgis_process prints numpy values empty (--json too)."""
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return value.item()
    return value


def plain_outputs(results: dict) -> dict:
    return {key: plain(value) for key, value in results.items()}


def _layer_source(value) -> tuple[str, str | None] | None:
    """(absolute file path, layer name or None) behind a layer parameter's value, if it is a file."""
    if isinstance(value, QgsMapLayer):
        value = value.source()
    if not isinstance(value, str) or not value:
        return None
    path, _, rest = value.partition("|")
    layer = None
    for part in rest.split("|"):
        if part.startswith("layername="):
            layer = part[len("layername=") :]
    return (os.path.abspath(path), layer) if os.path.exists(path) else None


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
    """Applies a QML style (and optionally a legend name and field aliases) to an output layer when QGIS loads it."""

    _keep = []  # QGIS does not own post-processors; keep them alive until used

    def __init__(self, qml: Path, name: str | None = None, aliases: dict | None = None):
        super().__init__()
        self.qml, self.name, self.aliases = qml, name, dict(aliases or {})

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802 (QGIS API)
        if layer is not None and layer.isValid():
            layer.loadNamedStyle(str(self.qml))
            if self.name:
                layer.setName(self.name)
            fields = layer.fields()
            for field, alias in self.aliases.items():
                if fields.indexOf(field) >= 0:
                    layer.setFieldAlias(fields.indexOf(field), alias)
            layer.triggerRepaint()

    @classmethod
    def create(cls, qml: Path, name: str | None = None, aliases: dict | None = None):
        processor = cls(qml, name, aliases)
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
    FOLDER_OUTPUTS: tuple = ()  # folder destinations written as a whole (replaced only if the plugin wrote them)
    # GeoPackage destination → the layers the run writes into it, refused before any work when the file holds
    # a layer of that name the plugin did not write (the commit checks every layer again)
    OUTPUT_LAYERS: dict = {}
    REQUIRES: tuple[str, ...] = ()  # Python packages (core.common.dependencies.PACKAGES) it cannot run without

    def tr(self, text: str) -> str:  # QgsProcessingAlgorithm's; pylupdate5 files self.tr() under the class name
        return tr(text, *(cls.__name__ for cls in type(self).__mro__))

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

    def checkParameterValues(self, parameters, context):  # noqa: N802
        problem = self.number_problem(parameters)
        if problem is not None:
            return False, str(problem)
        return super().checkParameterValues(parameters, context)

    def number_problem(self, parameters) -> InputError | None:
        """The first number parameter whose value is not a finite number within its range.

        QGIS turns text such as "abc" into 0 and lets NaN, inf and 1e400 through; a threshold
        of 0° would make a whole county 禁止开垦陡坡地, so every number is checked here.
        """
        for definition in self.parameterDefinitions():
            if not isinstance(definition, QgsProcessingParameterNumber):
                continue
            raw = parameters.get(definition.name())
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                raw = definition.defaultValue()
            if raw is None or isinstance(raw, QgsProperty):
                continue
            label = definition.description()
            try:
                value = float(raw.strip()) if isinstance(raw, str) else float(raw)
            except (TypeError, ValueError):
                return InputError(label, f"不是数值：“{raw}”", f"not a number: '{raw}'")
            if not math.isfinite(value):
                return InputError(label, f"不是有限数值：“{raw}”", f"not a finite number: '{raw}'")
            lo, hi = definition.minimum(), definition.maximum()
            if value < lo or value > hi:
                return InputError(
                    label,
                    f"数值 {raw} 超出允许范围 [{lo:g}, {hi:g}]",
                    f"the value {raw} is outside the allowed range [{lo:g}, {hi:g}]",
                )
            if definition.dataType() == QgsProcessingParameterNumber.Type.Integer and value != int(value):
                return InputError(label, f"应为整数：“{raw}”", f"must be a whole number: '{raw}'")
        return None

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        try:
            with cancel_on_signals(feedback):
                return in_python_thread(self._run_guarded, parameters, context, feedback)
        except (InputError, CancelledError) as exc:
            raise QgsProcessingException(str(exc)) from exc
        except QgsProcessingException:
            raise
        except Exception as exc:  # noqa: BLE001 - no traceback reaches the user; it goes to the log
            raise QgsProcessingException(self.unexpected(exc, log_traceback(traceback.format_exc()))) from exc

    def unexpected(self, exc: BaseException, where: str) -> str:
        """One bilingual line for an error nobody foresaw: the step, what failed, where the details are."""
        step = self.displayName()
        what = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, OSError) and getattr(exc, "errno", None) == 28:
            return f"[{step}] 磁盘空间不足，未写入任何结果：{exc} / the disk is full; nothing was written: {exc}"
        if isinstance(exc, MemoryError):
            return f"[{step}] 内存不足，未写入任何结果 / out of memory; nothing was written"
        return (
            f"[{step}] 运行出错，未写入任何结果：{what}；详情见{where} / "
            f"the run failed and wrote nothing: {what}; details in {where}"
        )

    def _run_guarded(self, parameters, context, qgs_feedback):
        problem = self.number_problem(parameters)
        if problem is not None:
            raise problem
        feedback = QgisFeedback(qgs_feedback)
        with output_set(
            overwrite=self.overwrite(parameters, context),
            inputs=self.input_files(parameters, context),
            cancelled=feedback.cancelled,
            step=self.NAME,
        ) as outputs:
            for definition, path in self.destinations(parameters, context):
                if definition.name() in self.FOLDER_OUTPUTS:  # a folder the run writes whole
                    outputs.claim(path, definition.description(), kind="folder")
                    continue
                if isinstance(definition, QgsProcessingParameterFolderDestination):  # files go into it
                    outputs.claim_folder(path, definition.description())
                    continue
                outputs.claim(path, definition.description())
                if definition.name() in self.OUTPUT_LAYERS:
                    outputs.check_layers(path, self.OUTPUT_LAYERS[definition.name()], definition.description())
            results = self.process(parameters, context, feedback)
        return plain_outputs(results)

    def overwrite(self, parameters, context) -> bool:
        """False only where the algorithm has an OVERWRITE parameter that is off."""
        if self.parameterDefinition("OVERWRITE") is None:
            return True
        return self.parameterAsBool(parameters, "OVERWRITE", context)

    def destinations(self, parameters, context):
        """(definition, path) of every destination the user named (temporary outputs left out)."""
        for definition in self.destinationParameterDefinitions():
            raw = parameters.get(definition.name())
            if isinstance(raw, QgsProcessingOutputLayerDefinition):
                raw = raw.sink.staticValue()
            if not isinstance(raw, str) or raw.strip() in TEMPORARY or raw.startswith(("memory:", "ogr:", "postgres")):
                continue
            if isinstance(
                definition,
                (
                    QgsProcessingParameterFileDestination,
                    QgsProcessingParameterRasterDestination,
                    QgsProcessingParameterVectorDestination,
                    QgsProcessingParameterFolderDestination,
                ),
            ):
                yield definition, raw.split("|")[0]

    def input_files(self, parameters, context) -> list[tuple[str, str | None]]:
        """The files (and GeoPackage layers) this run reads: never to be replaced by its outputs."""
        found = []
        destinations = {d.name() for d in self.destinationParameterDefinitions()}
        for definition in self.parameterDefinitions():
            if definition.name() in destinations:
                continue
            raw = parameters.get(definition.name())
            values = raw if isinstance(raw, (list, tuple)) else [raw]
            for value in values:
                source = _layer_source(value)
                if source is None and isinstance(value, str) and value and not os.path.exists(value.split("|")[0]):
                    layer = context.getMapLayer(value) if context is not None else None
                    source = _layer_source(layer) if layer is not None else None
                if source is not None:
                    path, layer = source
                    if layer is None and path.lower().endswith(".gpkg"):
                        layer = _first_layer_name(path)
                    found.append((path, layer))
        return found

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
            raise InputError(
                label,
                f"栅格必须是本地文件(GDAL): {layer.source()}",
                f"the raster must be a local GDAL file: {layer.source()}",
            )
        return layer.source().split("|")[0]

    def _has_text_encoding(self) -> bool:
        """True when the algorithm's ENCODING parameter is the text encoding of the shapefiles it reads
        (a string; the export's ENCODING is the encoding it writes, an enum)."""
        definition = self.parameterDefinition("ENCODING")
        return definition is not None and definition.type() == "string"

    def layer_label(self, parameters, name: str, context, label: str) -> str:
        """``label: layer name`` when a layer is given, so errors name the layer as well as the parameter."""
        raw = parameters.get(name)
        if raw in (None, ""):
            return label
        if isinstance(raw, str):  # a path: named without opening it (a VRT's network sources stay untouched)
            path, _, rest = raw.partition("|")
            layer_name = next((p[len("layername=") :] for p in rest.split("|") if p.startswith("layername=")), "")
            if layer_name or os.path.exists(path):
                return f"{label}: {layer_name or Path(path).stem}"
            found = context.getMapLayer(raw) if context is not None else None
        else:
            found = raw if hasattr(raw, "name") and callable(raw.name) else None
        shown = found.name() if found is not None else ""
        return f"{label}: {shown}" if shown else label

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
            # the encoding the core reads it with: the algorithm's ENCODING (when it has one) first
            given = self.parameterAsString(parameters, "ENCODING", context) if self._has_text_encoding() else ""
            qgs_feedback.pushInfo(f"{label}: 文本编码 / text encoding {source_encoding(path, label, given or None)}")
        return path, layer_name or _first_layer_name(path)

    def style_output(self, context, path: str, qml: str, name: str | None = None, aliases: dict | None = None) -> None:
        """Style an output when QGIS loads it on completion (toolbox runs and the dock's tasks);
        ``aliases``: field → alias (QGIS 3.22 does not read a GeoPackage's own field aliases)."""
        if context.willLoadLayerOnCompletion(path):
            details = context.layerToLoadOnCompletionDetails(path)
            details.setPostProcessor(StylePostProcessor.create(resources_path("styles", qml), name, aliases))
