"""Shared fixtures for unit and QGIS tests."""

from __future__ import annotations

import platform
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def pytest_report_header(config):
    lines = [f"python {platform.python_version()}"]
    try:
        from osgeo import gdal

        lines.append(f"gdal {gdal.__version__}")
    except ImportError:
        pass
    try:
        from qgis.core import Qgis
        from qgis.PyQt.QtCore import PYQT_VERSION_STR, QT_VERSION_STR

        lines.append(f"qgis {Qgis.QGIS_VERSION}, qt {QT_VERSION_STR}, pyqt {PYQT_VERSION_STR}")
    except ImportError:
        lines.append("qgis: not importable (unit tests only)")
    libs = []
    for name in ("numpy", "numba", "affine", "shapely", "rasterio", "geopandas", "pyflwdir"):
        try:
            libs.append(f"{name} {__import__(name).__version__}")
        except Exception:  # noqa: BLE001 – a header line, never a failure
            libs.append(f"{name} -")
    return [", ".join(lines), ", ".join(libs)]


def pytest_configure(config):
    # A deprecation raised through the plugin's own code fails the test: on Debian sid (affine 3,
    # shapely 2.2) they were ~10⁵ warnings, and they become errors in the next releases.
    for category in ("DeprecationWarning", "PendingDeprecationWarning"):
        config.addinivalue_line("filterwarnings", f"error::{category}:soil_conservation_plugin")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, the real-data folder; tests using it skip cleanly where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not present at {SHARED_DATA}")
    return SHARED_DATA


def shared_file(shared_data: Path, *parts: str) -> Path:
    path = shared_data.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real test data file not present: {path}")
    return path
