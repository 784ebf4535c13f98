"""Errors the user sees: always bilingual, always naming the layer."""


class InputError(ValueError):
    """Bad input found before any work starts.

    ``layer`` names the input (as the user knows it), ``zh``/``en`` say what is wrong.
    """

    def __init__(self, layer: str, zh: str, en: str):
        self.layer = layer
        self.zh = zh
        self.en = en
        super().__init__(f"[{layer}] {zh} / {en}")


class CancelledError(Exception):
    """The user cancelled; outputs were not written."""

    def __init__(self):
        super().__init__("已取消 / Cancelled")


class ChecksFailed(InputError):
    """The run is complete and its report written, but its checks found errors (strict mode).

    The run's outputs are committed (the report says why it failed); the run still ends as a failure.
    """
