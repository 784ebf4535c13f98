"""Shared fixtures for unit and QGIS tests."""

from __future__ import annotations

import http.server
import platform
import threading
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


# --- fixtures shared by tests/unit and tests/qgis ----------------------------------------------
# the steep-slope ramps (tests/unit/steep_cases.py): test_steep_slope.py here and in tests/qgis, test_steep_outputs.py
@pytest.fixture()
def utm_case(tmp_path):
    """Projected ramps: 30°, 25° and a narrow 40° stripe, a NoData hole, a county, two 乡镇, one exclusion."""
    from tests.unit.steep_cases import make_utm_case

    return make_utm_case(tmp_path)


# network sources never contacted: tests/unit/test_input_checks.py, tests/qgis/test_input_checks_algorithms.py
@pytest.fixture()
def http_server(tmp_path):
    """A local HTTP server serving a real GeoTIFF, counting the requests it gets."""
    from tests.unit.checks_layers import ramp

    ramp(tmp_path / "remote.tif")
    hits = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(tmp_path), **k)

        def log_message(self, *args):
            hits.append(args)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/remote.tif", hits
    server.shutdown()
