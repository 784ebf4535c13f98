"""QGIS fixtures: the real plugin loaded through classFactory, with Processing initialised."""
from __future__ import annotations

import sys

import pytest

QGIS_PLUGINS = "/usr/share/qgis/python/plugins"


@pytest.fixture(scope="session")
def processing_ready(qgis_app):
    if QGIS_PLUGINS not in sys.path:
        sys.path.append(QGIS_PLUGINS)
    from processing.core.Processing import Processing

    Processing.initialize()
    return True


@pytest.fixture()
def plugin(qgis_app, qgis_iface, processing_ready):
    """The plugin as QGIS loads it: classFactory → initGui (which calls initProcessing).

    Loaded and unloaded around each test (it takes milliseconds), so tests that load
    their own instance never meet a provider left registered by another test.
    """
    import soil_conservation_plugin

    instance = soil_conservation_plugin.classFactory(qgis_iface)
    instance.initGui()
    assert instance.provider is not None, instance.missing
    yield instance
    instance.unload()


def run_alg(name: str, params: dict, context=None, feedback=None) -> dict:
    """processing.run on one of the plugin's algorithms, raising on failure."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback

    return processing.run(f"soil_conservation:{name}", params, context=context or QgsProcessingContext(), feedback=feedback or QgsProcessingFeedback())
