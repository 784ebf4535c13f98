"""The Processing provider. Registers every algorithm defined in processing/alg_*.py."""
from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

from qgis.core import QgsProcessingAlgorithm, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from ..__about__ import __version__
from ..core.paths import resources_path
from .base import tr

PROVIDER_ID = "soil_conservation"


def algorithm_classes() -> list[type]:
    """Algorithm classes of every processing/alg_*.py module, sorted by name for a stable toolbox."""
    classes = []
    for info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not info.name.startswith("alg_"):
            continue
        module = importlib.import_module(f"{__package__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, QgsProcessingAlgorithm) and cls.__module__ == module.__name__ and getattr(cls, "NAME", ""):
                classes.append(cls)
    return sorted(classes, key=lambda c: c.NAME)


class SoilConservationProvider(QgsProcessingProvider):
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
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
