"""The Processing provider. Registers every algorithm defined in processing/alg_*.py."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import pkgutil
from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingException, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..__about__ import __version__
from ..core.common.dependencies import missing_packages, unavailable_reason
from ..core.common.paths import resources_path
from ..translation import tr

PROVIDER_ID = "soil_conservation"


def algorithm_classes() -> list[type]:
    """Algorithm classes of every processing/alg_*.py module, sorted by name for a stable toolbox."""
    classes = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.name.startswith("alg_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, QgsProcessingAlgorithm)
                and cls.__module__ == module.__name__
                and getattr(cls, "NAME", "")
            ):
                classes.append(cls)
    return sorted(classes, key=lambda c: c.NAME)


class Unavailable:
    """Put before an algorithm class whose packages are missing: it stays listed, says why, and refuses to run."""

    MISSING: list[dict] = []

    def displayName(self) -> str:  # noqa: N802
        return f"{super().displayName()} (不可用 / unavailable)"

    def shortHelpString(self) -> str:  # noqa: N802
        try:
            help_text = super().shortHelpString()
        except ImportError:  # a help text built from the missing package
            help_text = ""
        return f"{unavailable_reason(self.MISSING)}\n\n{help_text}".strip()

    def initAlgorithm(self, config=None):  # noqa: N802
        # parameter defaults that come from the missing package: none then
        with contextlib.suppress(ImportError):
            super().initAlgorithm(config)

    def checkParameterValues(self, parameters, context):  # noqa: N802
        return False, unavailable_reason(self.MISSING)

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802
        raise QgsProcessingException(unavailable_reason(self.MISSING))


def with_availability(cls: type) -> tuple[type, list[dict]]:
    """The class to register for ``cls`` (an Unavailable one when a package it REQUIRES is missing), and what is
    missing."""
    missing = missing_packages(cls.REQUIRES)
    if not missing:
        return cls, []
    return type(cls.__name__, (Unavailable, cls), {"MISSING": missing, "__module__": cls.__module__}), missing


class SoilConservationProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self.unavailable: dict[
            str, list[dict]
        ] = {}  # "display name (name)" → missing packages, filled by loadAlgorithms

    def id(self) -> str:
        return PROVIDER_ID

    def name(self) -> str:
        return tr("Soil conservation zoning (水土保持)")

    def longName(self) -> str:  # noqa: N802
        return f"{self.name()} {__version__}"

    def versionInfo(self) -> str:  # noqa: N802
        return __version__

    def icon(self):
        return QIcon(str(resources_path("icons", "icon.svg")))

    def loadAlgorithms(self) -> None:  # noqa: N802
        self.unavailable = {}
        for cls in algorithm_classes():
            registered, missing = with_availability(cls)
            alg = registered()
            if missing:
                self.unavailable[f"{alg.tr(cls.DISPLAY)} ({cls.NAME})"] = missing
            self.addAlgorithm(alg)
