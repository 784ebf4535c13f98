"""Domain engine: numpy, rasterio, geopandas, shapely, pyflwdir. No qgis import here.

Numba's on-disk cache must live somewhere writable even when the plugin is
installed read-only (e.g. a system-wide OSGeo4W plugin folder).
"""
import os
from pathlib import Path

os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "soil_conservation_plugin" / "numba"),
)
