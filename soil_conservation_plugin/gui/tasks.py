"""Background runs for the dock: one Processing algorithm, or the whole chain.

The dock never runs work on the UI thread. A run starts a QgsTask, relays its
progress, and emits ``finished(ok, results, cancelled)`` once, on the UI thread.
Cancel is a request: the core checks it between windows/steps and writes nothing
(outputs are written atomically), so a cancelled run leaves no output behind.
"""

from __future__ import annotations

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
    QgsTask,
)
from qgis.PyQt.QtCore import QObject, pyqtSignal

from ..core.common.errors import CancelledError
from ..core.common.feedback import Feedback


class CapturingFeedback(QgsProcessingFeedback):
    """Keeps the errors the algorithm reported, so the dock can show them in the message bar."""

    def __init__(self):
        super().__init__()
        self.errors: list[str] = []
        self.log: list[str] = []

    def reportError(self, error, fatalError=False):  # noqa: N802,N803 (QGIS API)
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushInfo(self, info):  # noqa: N802 (QGIS API)
        self.log.append(info)
        super().pushInfo(info)

    def pushWarning(self, warning):  # noqa: N802 (QGIS API)
        self.log.append(warning)
        super().pushWarning(warning)


class Run(QObject):
    """Common interface of a background run (what the dock connects to)."""

    progressChanged = pyqtSignal(float)
    finished = pyqtSignal(bool, dict, bool)  # ok, results, cancelled

    errors: list

    def start(self) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        raise NotImplementedError


class AlgorithmRun(Run):
    """One Processing algorithm as a QgsProcessingAlgRunnerTask; keeps context, feedback and task alive."""

    def __init__(self, algorithm_id: str, parameters: dict, parent=None):
        super().__init__(parent)
        self.algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
        if self.algorithm is None:
            raise KeyError(algorithm_id)
        self.parameters = parameters
        # No project in the context: parameters are file sources, and the worker must not resolve
        # them to the project's layers (QGIS objects of the main thread; reading them from the
        # task's thread while the main thread works on them crashed QGIS). The worker opens its
        # own copies; the project's datum transformations still apply.
        self.context = QgsProcessingContext()
        self.context.setTransformContext(QgsProject.instance().transformContext())
        self.feedback = CapturingFeedback()
        self.errors = self.feedback.errors
        self.feedback.progressChanged.connect(self.progressChanged.emit)
        self.log = self.feedback.log
        self.task = QgsProcessingAlgRunnerTask(self.algorithm, parameters, self.context, self.feedback)
        self.task.executed.connect(self._executed)

    def start(self) -> None:
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self) -> None:
        self.feedback.cancel()
        if self.task is not None:
            self.task.cancel()

    def _executed(self, ok: bool, results: dict) -> None:
        cancelled = self.feedback.isCanceled()
        self.task = None
        self.finished.emit(bool(ok) and not cancelled, dict(results or {}), cancelled)


class _TaskFeedback(Feedback):
    """The core's Feedback driven by a QgsTask: progress to the task, cancel from the task."""

    def __init__(self, task: QgsTask, log: list):
        self.task, self.log = task, log

    def progress(self, percent: float) -> None:
        self.task.setProgress(max(0.0, min(100.0, float(percent))))

    def info(self, message: str) -> None:
        self.log.append(message)

    def cancelled(self) -> bool:
        return self.task.isCanceled()


class FunctionTask(QgsTask):
    """Runs ``function(feedback)`` on a worker thread; the result or the error is kept for the UI thread."""

    def __init__(self, description: str, function):
        super().__init__(description, QgsTask.Flag.CanCancel)
        self.function = function
        self.result: dict = {}
        self.error: str = ""
        self.log: list[str] = []
        self.was_cancelled = False

    def run(self) -> bool:  # worker thread
        try:
            self.result = dict(self.function(_TaskFeedback(self, self.log)) or {})
            return True
        except CancelledError:
            self.was_cancelled = True
            return False
        except Exception as exc:  # reported on the UI thread as a message, never raised into Qt
            if self.isCanceled():
                self.was_cancelled = True
            else:
                self.error = f"{exc}"
            return False


class FunctionRun(Run):
    """A Python function (e.g. the pipeline's run_chain) as a background QgsTask."""

    def __init__(self, description: str, function, parent=None):
        super().__init__(parent)
        self.task = FunctionTask(description, function)
        self.errors: list[str] = []
        self.task.progressChanged.connect(self.progressChanged.emit)
        self.task.taskCompleted.connect(self._completed)
        self.task.taskTerminated.connect(self._terminated)

    @property
    def log(self) -> list:
        return self.task.log if self.task is not None else []

    def start(self) -> None:
        QgsApplication.taskManager().addTask(self.task)

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()

    def _completed(self) -> None:
        task, self.task = self.task, None
        self.finished.emit(True, task.result, False)

    def _terminated(self) -> None:
        task, self.task = self.task, None
        cancelled = task.was_cancelled or task.isCanceled()
        if task.error and not cancelled:
            self.errors.append(task.error)
        self.finished.emit(False, {}, cancelled)
