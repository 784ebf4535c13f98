"""A clean start: loading the plugin and a run raise no warning through the plugin's own files.

In a fresh process, so the first imports (numba/llvmlite, rasterio, …) really happen here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PLUGIN_DIR = str(REPO / "soil_conservation_plugin")

PROBE = r"""
import json, sys, warnings
warnings.simplefilter("always")  # as QGIS's Python warnings tab: every warning, every time
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing
    Processing.initialize()
    start = len(caught)
    import numpy as np
    import soil_conservation_plugin
    plugin = soil_conservation_plugin.classFactory(None)
    plugin.initProcessing()
    from osgeo import gdal, osr
    dem, out = sys.argv[1], sys.argv[2]
    ds = gdal.GetDriverByName("GTiff").Create(dem, 60, 50, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((500000, 30, 0, 4800000, 0, -30))
    srs = osr.SpatialReference(); srs.ImportFromEPSG(32651); ds.SetProjection(srs.ExportToWkt())
    ds.GetRasterBand(1).WriteArray(np.add.outer(np.arange(50.0), np.arange(60.0)) * 3)
    ds = None
    import processing
    processing.run("soil_conservation:slope", {"INPUT": dem, "OUTPUT": out})
    plugin.unload()
print("JSON" + json.dumps([[w.filename, w.category.__name__, str(w.message)] for w in caught[start:]]))
"""


def test_no_warnings_through_the_plugin_at_load_and_run(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "dem.tif"), str(tmp_path / "slope.tif")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next((x for x in run.stdout.splitlines() if x.startswith("JSON")), None)
    assert line, run.stdout[-2000:] + run.stderr[-3000:]
    caught = json.loads(line[4:])
    assert (tmp_path / "slope.tif").is_file()
    ours = [w for w in caught if w[0].startswith(PLUGIN_DIR)]
    assert ours == []
    # the llvmlite DeprecationWarning numba's first import used to raise through the dependency check
    assert [w for w in caught if "llvmlite" in w[0]] == []
