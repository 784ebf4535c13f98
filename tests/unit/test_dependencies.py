import sys

from soil_conservation_plugin.core.dependencies import REQUIRED, missing_message, missing_packages


def test_all_core_packages_present_here():
    assert missing_packages() == []


def test_missing_package_named_with_install_hints(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    missing = missing_packages()
    assert [m["module"] for m in missing] == ["numba"]
    text = missing_message(missing)
    assert "numba" in text and "apt install python3-numba" in text and "OSGeo4W" in text
    assert set(REQUIRED) >= {"rasterio", "geopandas", "pyflwdir", "osgeo.gdal"}
