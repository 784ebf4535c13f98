"""QGIS fixtures: the real plugin loaded through classFactory, with Processing initialised."""

from __future__ import annotations

import contextlib
import sys
import time

import pytest

QGIS_PLUGINS = "/usr/share/qgis/python/plugins"


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
