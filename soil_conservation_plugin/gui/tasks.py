"""Runs a Processing algorithm as a background QgsTask (QgsProcessingAlgRunnerTask).

The dock never runs work on the UI thread: it starts a task, shows the task's
progress, and gets one callback with (ok, results) when it ends. Cancel is a
request to the task; the core checks it between windows and writes nothing.
"""
from __future__ import annotations

from qgis.core import (
    QgsApplication,
    QgsProcessingAlgRunnerTask,
    QgsProcessingContext,
    QgsProcessingFeedback,
    QgsProject,
)
from qgis.PyQt.QtCore import QObject, pyqtSignal


class CapturingFeedback(QgsProcessingFeedback):
    """Keeps the errors the algorithm reported, so the dock can show them in the message bar."""

    def __init__(self):
        super().__init__()
        self.errors: list[str] = []

    def reportError(self, error, fatalError=False):  # noqa: N802,N803 (QGIS API)
        self.errors.append(error)
        super().reportError(error, fatalError)


class AlgorithmRun(QObject):
    """One run: keeps context, feedback and task alive until the task ends."""

    progressChanged = pyqtSignal(float)
    finished = pyqtSignal(bool, dict, bool)  # ok, results, cancelled

    def __init__(self, algorithm_id: str, parameters: dict, parent=None):
        super().__init__(parent)
        self.algorithm = QgsApplication.processingRegistry().createAlgorithmById(algorithm_id)
        if self.algorithm is None:
            raise KeyError(algorithm_id)
        self.parameters = parameters
        self.context = QgsProcessingContext()
        self.context.setProject(QgsProject.instance())
        self.feedback = CapturingFeedback()
        self.feedback.progressChanged.connect(self.progressChanged.emit)
        self.log: list[str] = []
        self.feedback.progressTextChanged.connect(self.log.append)
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
        self.finished.emit(bool(ok) and not cancelled, dict(results or {}), cancelled)
        self.task = None
