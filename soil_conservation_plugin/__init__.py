"""QGIS entry point. Kept tiny: QGIS imports this module at start-up."""

import sys
from pathlib import Path

# `make package` puts the pinned pure-Python dependencies (pyflwdir) here; absent in the repo.
EXT_LIBS = Path(__file__).resolve().parent / "ext_libs"


def add_ext_libs() -> None:
    """Put ext_libs first on sys.path: the zip's pinned versions are the ones the plugin was tested with."""
    if EXT_LIBS.is_dir() and str(EXT_LIBS) not in sys.path:
        sys.path.insert(0, str(EXT_LIBS))


def classFactory(iface):  # noqa: N802 (QGIS API name)
    add_ext_libs()  # before the dependency check and every import that needs pyflwdir
    from .plugin import SoilConservationPlugin

    return SoilConservationPlugin(iface)
