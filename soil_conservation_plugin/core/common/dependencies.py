"""Which Python packages each algorithm needs, and how to install one where it is missing.

Each Processing algorithm declares what it needs (``REQUIRES``); the plugin checks that when it
loads. An algorithm whose package is missing stays in the toolbox, marked unavailable with the
reason and the install line for this platform, and refuses to run; the others work.
"""

from __future__ import annotations

import importlib
import sys
import warnings

# module → (Debian 12/13 apt package, OSGeo4W Setup package or an OSGeo4W Shell line)
PACKAGES = {
    "numpy": ("python3-numpy", "OSGeo4W Setup: python3-numpy"),
    "scipy": ("python3-scipy", "OSGeo4W Setup: python3-scipy"),
    "osgeo.gdal": ("python3-gdal", "OSGeo4W Setup: python3-gdal"),
    "rasterio": ("python3-rasterio", "OSGeo4W Setup: python3-rasterio (never a pip wheel: it brings a second GDAL)"),
    "pyproj": ("python3-pyproj", "OSGeo4W Setup: python3-pyproj"),
    "shapely": ("python3-shapely", "OSGeo4W Setup: python3-shapely"),
    "geopandas": ("python3-geopandas", "OSGeo4W Setup: python3-geopandas"),
    "numba": ("python3-numba", None),  # OSGeo4W: a pip line that keeps QGIS's numpy, see install_line()
    "openpyxl": ("python3-openpyxl", "OSGeo4W Shell: python -m pip install openpyxl"),
    "jsonschema": ("python3-jsonschema", "OSGeo4W Shell: python -m pip install jsonschema"),
    "rtree": ("python3-rtree", "OSGeo4W Setup: python3-rtree"),
    # pure Python, shipped in the plugin zip's ext_libs/ (make package)
    "pyflwdir": (None, None),
}
PYFLWDIR_HINT = (
    "reinstall the plugin from its zip, which carries pyflwdir 0.5.12 in ext_libs/ / "
    "重新用插件 zip 安装(其 ext_libs/ 内含 pyflwdir)"
)


def _spatial_index() -> None:
    """geopandas needs rtree for spatial indexes before shapely 2 (Debian 12), where it is only recommended."""
    import geopandas
    from shapely.geometry import Point

    geopandas.GeoSeries([Point(0, 0)]).sindex.query(Point(0, 0))


def _import(module: str) -> None:
    with warnings.catch_warnings():
        # llvmlite (numba's backend, Debian 12) calls the deprecated importlib.resources.path() when it is
        # first imported; that is llvmlite's business, not a problem of this installation.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"llvmlite\.")
        importlib.import_module(module)


# checks beyond an import; rtree counts as present where geopandas indexes without it (shapely 2)
CHECKS = {"rtree": _spatial_index}


def problem(module: str) -> str | None:
    """Why ``module`` cannot be used here ("ImportError: …"), or None when it works."""
    try:
        _import(module)
        if module in CHECKS:
            CHECKS[module]()
    except Exception as exc:  # ImportError, or a broken binary module
        return f"{type(exc).__name__}: {exc}"
    return None


def install_line(module: str, platform: str = sys.platform) -> str:
    """What to run on this platform: apt on Linux (Debian 12/13), OSGeo4W on Windows, pip elsewhere."""
    debian, osgeo4w = PACKAGES[module]
    if module == "pyflwdir":
        return PYFLWDIR_HINT
    if platform.startswith("win"):
        if osgeo4w:
            return osgeo4w
        return f'OSGeo4W Shell: python -m pip install {module} "numpy=={_numpy_version()}"  (keeps QGIS\'s numpy)'
    if platform.startswith("linux"):
        return f"sudo apt install {debian}"
    return f'python3 -m pip install {module} "numpy=={_numpy_version()}"'


def _numpy_version() -> str:
    try:
        import numpy

        return numpy.__version__
    except ImportError:
        return "<QGIS's numpy>"


def missing_packages(modules=tuple(PACKAGES)) -> list[dict]:
    """One entry per module in ``modules`` that cannot be used: module, error, install line."""
    missing = []
    for module in modules:
        error = problem(module)
        if error is not None:
            missing.append({"module": module, "error": error, "install": install_line(module)})
    return missing


def unavailable_reason(missing: list[dict]) -> str:
    """Bilingual reason an algorithm cannot run, with one install line per missing package."""
    names = ", ".join(m["module"] for m in missing)
    lines = [f"缺少 Python 包 {names}，此算法不可用 / unavailable: missing Python package {names}"]
    lines += [f"- {m['module']}: {m['install']}  ({m['error']})" for m in missing]
    lines.append("安装后重启 QGIS / restart QGIS after installing")
    return "\n".join(lines)


def unavailable_message(unavailable: dict[str, list[dict]]) -> str:
    """The one note for the message bar: each unavailable algorithm and what it lacks, then the install lines."""
    lines = ["水土保持插件：以下算法不可用 / Soil conservation plugin: these algorithms are unavailable:"]
    lines += [f"- {name}: {', '.join(m['module'] for m in missing)}" for name, missing in unavailable.items()]
    seen: dict[str, str] = {}
    for missing in unavailable.values():
        for m in missing:
            seen.setdefault(m["module"], m["install"])
    lines += [f"{module}: {line}" for module, line in seen.items()]
    return "\n".join(lines)
