"""QGIS fixtures: the real plugin loaded through classFactory, with Processing initialised."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

QGIS_PLUGINS = "/usr/share/qgis/python/plugins"
REPO = Path(__file__).resolve().parents[2]
# the demo region's inputs, by role (the `layers` fixture, tests/qgis/test_dock.py)
ROLES = ("dem", "county", "townships", "redline", "farmland", "construction", "water", "landuse", "fvc", "erosion")


@pytest.fixture(scope="session")
def processing_ready(qgis_app):
    if QGIS_PLUGINS not in sys.path:
        sys.path.append(QGIS_PLUGINS)
    from processing.core.Processing import Processing

    Processing.initialize()
    return True


@pytest.fixture(autouse=True)
def dock_closed_at_start(qgis_app):
    """The plugin reopens its dock when QGIS closed with it open (QgsSettings): every test starts closed."""
    from qgis.core import QgsSettings

    QgsSettings().setValue("soil_conservation/dock/visible", False)
    yield
    QgsSettings().setValue("soil_conservation/dock/visible", False)


@pytest.fixture()
def plugin(qgis_app, qgis_iface, processing_ready):
    """The plugin as QGIS loads it: classFactory → initGui (which calls initProcessing).

    Loaded and unloaded around each test (it takes milliseconds), so tests that load
    their own instance never meet a provider left registered by another test.
    """
    import soil_conservation_plugin

    instance = soil_conservation_plugin.classFactory(qgis_iface)
    instance.initGui()
    assert instance.provider is not None and not instance.unavailable, instance.unavailable
    yield instance
    instance.unload()


def run_alg(name: str, params: dict, context=None, feedback=None) -> dict:
    """processing.run on one of the plugin's algorithms, raising on failure."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(
        f"soil_conservation:{name}",
        params,
        context=context or QgsProcessingContext(),
        feedback=feedback or QgsProcessingFeedback(),
    )


@contextlib.contextmanager
def provider_registered():
    """The plugin's provider for a module-scoped fixture (the `plugin` fixture is per test)."""
    from qgis.core import QgsApplication

    from soil_conservation_plugin.processing.provider import SoilConservationProvider

    registry = QgsApplication.processingRegistry()
    provider = SoilConservationProvider()
    registry.addProvider(provider)
    try:
        yield provider
    finally:
        registry.removeProvider(provider)


def wait_idle(dock, timeout: float = 300.0) -> None:
    """Spin the event loop (in the test, never in the plugin) until the dock's run has ended."""
    from qgis.core import QgsApplication

    end = time.monotonic() + timeout
    while dock.busy():
        QgsApplication.processEvents()
        time.sleep(0.005)
        assert time.monotonic() < end, "the run did not finish in time"
    QgsApplication.processEvents()


# --- fixtures shared by several test modules -------------------------------------------------
# the demo region in the dock (test_dock.py, test_dock_usability.py, test_dock_run_all.py)
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from soil_conservation_plugin.demo.region import generate_demo_region

    return {k: str(v) for k, v in generate_demo_region(tmp_path_factory.mktemp("demo"), scale=0.25).items()}


@pytest.fixture()
def bar(qgis_iface):
    bar = qgis_iface.messageBar()
    bar.clear_messages()
    return bar


@pytest.fixture()
def layers(demo, plugin):
    """The demo inputs as project layers (removed again after the test)."""
    from qgis.core import QgsProject, QgsRasterLayer, QgsVectorLayer

    project = QgsProject.instance()
    project.clear()
    out = {}
    for role in ROLES:
        path = demo[role]
        layer = QgsRasterLayer(path, role) if path.endswith(".tif") else QgsVectorLayer(path, role, "ogr")
        assert layer.isValid(), path
        project.addMapLayer(layer)
        out[role] = layer
    yield out
    out.clear()
    project.clear()


@pytest.fixture()
def dock(qgis_iface, plugin, tmp_path):
    from soil_conservation_plugin.gui.dock import SoilConservationDock

    d = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
    d.outputDir.setFilePath(str(tmp_path / "results"))
    yield d
    d.shutdown()
    d.deleteLater()


# the demo region as two counties with its steep-slope result (test_publish.py, test_coverage_publish.py)
@pytest.fixture(scope="module")
def region(tmp_path_factory, qgis_app, processing_ready):
    """The demo region split into two counties (west/east halves), and its steep-slope patches."""
    from osgeo import ogr

    from soil_conservation_plugin.demo.region import generate_demo_region

    root = tmp_path_factory.mktemp("publish")
    inputs = {k: str(v) for k, v in generate_demo_region(root / "demo", scale=0.25).items()}
    src = ogr.Open(inputs["county"])
    lyr = src.GetLayer(0)
    feat = lyr.GetNextFeature()
    geom = feat.GetGeometryRef().Clone()
    xmin, xmax, ymin, ymax = geom.GetEnvelope()
    mid = (xmin + xmax) / 2
    two = root / "two_counties.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(two))
    out = ds.CreateLayer("counties", lyr.GetSpatialRef(), ogr.wkbMultiPolygon)
    for name in ("county_code", "county_name"):
        out.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for code, name, (x0, x1) in (("220521", "通化县", (xmin - 1, mid)), ("220581", "梅河口市", (mid, xmax + 1))):
        box = ogr.CreateGeometryFromWkt(
            f"POLYGON(({x0} {ymin - 1},{x1} {ymin - 1},{x1} {ymax + 1},{x0} {ymax + 1},{x0} {ymin - 1}))"
        )
        f = ogr.Feature(out.GetLayerDefn())
        f.SetField("county_code", code)
        f.SetField("county_name", name)
        f.SetGeometry(ogr.ForceToMultiPolygon(geom.Intersection(box)))
        out.CreateFeature(f)
    ds = None
    steep = root / "steep.gpkg"
    with provider_registered():
        run_alg(
            "steep_slope",
            {
                "INPUT": inputs["dem"],
                "COUNTY": f"{two}|layername=counties",
                "COUNTY_CODE_FIELD": "county_code",
                "COUNTY_NAME_FIELD": "county_name",
                "TOWNSHIPS": inputs["townships"],
                "TOWNSHIP_CODE_FIELD": "township_code",
                "TOWNSHIP_NAME_FIELD": "township_name",
                "MIN_PATCH": 1.0,
                "OUTPUT": str(steep),
            },
        )
    return {"root": root, "counties": f"{two}|layername=counties", "steep": str(steep), **inputs}


# the packaged plugin for qgis_process (test_slope_algorithm.py, test_steep_outputs.py, test_input_checks_algorithms.py,
# test_vector_encoding.py)
@pytest.fixture(scope="module")
def packaged_profile(tmp_path_factory):
    """`make package`, unzipped into a fresh QGIS profile with the plugin enabled."""
    build = tmp_path_factory.mktemp("package")
    subprocess.run(["make", "-s", "-C", str(REPO), "package", f"PACKAGE_DIR={build}"], check=True)
    zip_path = build / "soil_conservation_plugin.zip"
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        for required in (
            "metadata.txt",
            "resources/icons/icon.svg",
            "resources/styles/slope.qml",
            "i18n/soil_conservation_zh_Hans.qm",
            "__init__.py",
            "processing/alg_slope.py",
        ):
            assert f"soil_conservation_plugin/{required}" in names, required
        assert not any("__pycache__" in n or n.endswith(".tif") for n in names)
        # the capability packages travel; development tools (screenshots, chroot runner, lint settings) do not
        assert "soil_conservation_plugin/core/common/geo.py" in names
        assert "soil_conservation_plugin/demo/region.py" in names
        assert not any(n.endswith(("screenshots.py", "chroot-test.sh", "pyproject.toml")) for n in names)
        root = tmp_path_factory.mktemp("qgis_config")
        plugins = root / "profiles" / "default" / "python" / "plugins"
        plugins.mkdir(parents=True)
        zf.extractall(plugins)
    ini = root / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\nsoil_conservation_plugin=true\n")
    return root
