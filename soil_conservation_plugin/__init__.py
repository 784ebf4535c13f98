"""QGIS entry point. Kept tiny: QGIS imports this module at start-up."""


def classFactory(iface):  # noqa: N802 (QGIS API name)
    from .plugin import SoilConservationPlugin

    return SoilConservationPlugin(iface)
