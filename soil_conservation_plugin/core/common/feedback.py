"""The progress/cancel contract between the core and its callers (Processing, CLI, tests)."""

from .errors import CancelledError


class Feedback:
    """Null feedback; Processing wraps QgsProcessingFeedback with the same three methods."""

    def progress(self, percent: float) -> None:  # 0..100
        pass

    def info(self, message: str) -> None:
        pass

    def cancelled(self) -> bool:
        return False

    def check(self) -> None:
        """Raise CancelledError when the user asked to stop."""
        if self.cancelled():
            raise CancelledError()


class PrintFeedback(Feedback):
    def info(self, message: str) -> None:
        print(message, flush=True)


class SubFeedback(Feedback):
    """Maps 0..100 of a sub-step onto [start, end] of its parent."""

    def __init__(self, parent: Feedback, start: float, end: float):
        self.parent, self.start, self.end = parent, start, end

    def progress(self, percent: float) -> None:
        self.parent.progress(self.start + (self.end - self.start) * percent / 100.0)

    def info(self, message: str) -> None:
        self.parent.info(message)

    def cancelled(self) -> bool:
        return self.parent.cancelled()
