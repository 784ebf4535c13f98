"""Which Python packages the core needs, and how to install each one where it is missing.

Checked when the plugin loads, so a user on a bare OSGeo4W or Debian install gets
a message naming the package instead of a traceback.
"""
from __future__ import annotations

import importlib

# module → (Debian package, OSGeo4W / pip hint)
REQUIRED = {
    "numpy": ("python3-numpy", "OSGeo4W: python3-numpy"),
    "scipy": ("python3-scipy", "OSGeo4W: python3-scipy"),
    "osgeo.gdal": ("python3-gdal", "OSGeo4W: python3-gdal"),
    "rasterio": ("python3-rasterio", "OSGeo4W: python3-rasterio (never a pip wheel: it brings a second GDAL)"),
    "pyproj": ("python3-pyproj", "OSGeo4W: python3-pyproj"),
    "shapely": ("python3-shapely", "OSGeo4W: python3-shapely"),
    "geopandas": ("python3-geopandas", "OSGeo4W: python3-geopandas"),
    "numba": ("python3-numba", "OSGeo4W Shell: python -m pip install numba"),
    "pyflwdir": ("pip install --no-deps pyflwdir==0.5.12", "OSGeo4W Shell: python -m pip install --no-deps pyflwdir==0.5.12"),
}


def _spatial_index() -> None:
    """geopandas needs rtree for spatial indexes before shapely 2 (Debian 12), where it is only recommended."""
    import geopandas
    from shapely.geometry import Point

    geopandas.GeoSeries([Point(0, 0)]).sindex.query(Point(0, 0))


# checks beyond an import: name → (check, Debian package, OSGeo4W hint)
CAPABILITIES = {
    "rtree (geopandas spatial index)": (_spatial_index, "python3-rtree", "OSGeo4W: python3-rtree"),
}


def missing_packages() -> list[dict]:
    """One entry per required module that cannot be imported: module, error, install hints."""
    missing = []
    checks = [(m, lambda m=m: importlib.import_module(m), d, o) for m, (d, o) in REQUIRED.items()]
    checks += [(name, check, d, o) for name, (check, d, o) in CAPABILITIES.items()]
    for module, check, debian, osgeo4w in checks:
        try:
            check()
        except Exception as exc:  # ImportError, or a broken binary module
            missing.append({"module": module, "error": f"{type(exc).__name__}: {exc}", "debian": debian, "osgeo4w": osgeo4w})
    return missing


def missing_message(missing: list[dict]) -> str:
    lines = ["水土保持插件缺少以下 Python 包，部分功能不可用 / The soil conservation plugin is missing Python packages:"]
    for m in missing:
        debian = m["debian"] if m["debian"].startswith("pip") else f"apt install {m['debian']}"
        lines.append(f"- {m['module']} ({m['error']}); Debian/Ubuntu: {debian}; Windows {m['osgeo4w']}")
    return "\n".join(lines)
