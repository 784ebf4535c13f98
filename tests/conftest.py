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
    return ", ".join(lines)


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
