import sys

from soil_conservation_plugin.core.common.dependencies import (
    PACKAGES,
    install_line,
    missing_packages,
    unavailable_message,
    unavailable_reason,
)


def test_all_packages_present_here():
    assert missing_packages() == []


def test_missing_package_named_with_the_install_line_of_each_platform(monkeypatch):
    monkeypatch.setitem(sys.modules, "numba", None)
    missing = missing_packages(("numpy", "numba", "rasterio"))
    assert [m["module"] for m in missing] == ["numba"]
    assert missing[0]["install"] == "sudo apt install python3-numba"  # this machine: Debian
    import numpy

    # OSGeo4W has no numba package: the pip line pins QGIS's own numpy so pip cannot upgrade it
    assert (
        install_line("numba", "win32")
        == f'OSGeo4W Shell: python -m pip install numba "numpy=={numpy.__version__}"  (keeps QGIS\'s numpy)'
    )
    assert install_line("rasterio", "win32").startswith("OSGeo4W Setup: python3-rasterio")
    assert "ext_libs" in install_line("pyflwdir")
    reason = unavailable_reason(missing)
    assert reason.splitlines()[0] == "缺少 Python 包 numba，此算法不可用 / unavailable: missing Python package numba"
    note = unavailable_message({"Slope (slope)": missing, "Small watersheds (watersheds)": missing})
    assert note.splitlines() == [
        "水土保持插件：以下算法不可用 / Soil conservation plugin: these algorithms are unavailable:",
        "- Slope (slope): numba",
        "- Small watersheds (watersheds): numba",
        "numba: sudo apt install python3-numba",
    ]
    assert set(PACKAGES) >= {"rasterio", "geopandas", "pyflwdir", "osgeo.gdal", "numba", "scipy", "shapely", "pyproj"}
