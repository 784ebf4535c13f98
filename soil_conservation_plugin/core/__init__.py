"""Domain engine: numpy, rasterio, geopandas, shapely, pyflwdir. No qgis import here.

Numba's on-disk cache must live somewhere writable even when the plugin is
installed read-only (e.g. a system-wide OSGeo4W plugin folder).
Idle OpenMP threads of numba's parallel kernels sleep instead of spinning: spinning
threads took the cores from the working ones (kernels twice as slow on a busy 2-core
machine). libgomp reads it when numba starts its thread pool, so it is set here,
before any kernel of the core runs.
"""

import os
from pathlib import Path

os.environ.setdefault(
    "NUMBA_CACHE_DIR",
    str(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "soil_conservation_plugin" / "numba"),
)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
