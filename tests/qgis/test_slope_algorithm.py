"""The slope algorithm end to end: processing.run, the toolbox dialog, and qgis_process on the packaged plugin."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from qgis.core import QgsApplication, QgsProcessingException, QgsRasterLayer
from rasterio.transform import from_origin

from soil_conservation_plugin.core.common.io import file_sha256
from soil_conservation_plugin.processing.provider import algorithm_classes

from ..util import gdaldem_slope, read_raster, write_raster
from .conftest import run_alg

REPO = Path(__file__).resolve().parents[2]
# Debian 12's /usr/bin/qgis_process wrapper passes a flag its binary rejects; the .bin is the real program.
QGIS_PROCESS = next(
    (p for p in ("/usr/bin/qgis_process.bin", "/usr/bin/qgis_process") if Path(p).exists()), "qgis_process"
)


def make_dem(path: Path, crs="EPSG:4530") -> Path:
    rng = np.random.default_rng(7)
    z = rng.normal(size=(120, 150)).cumsum(0).cumsum(1)
    z = (z - z.min()) / (z.max() - z.min()) * 300
    return write_raster(path, z.astype("float32"), crs, from_origin(42_500_000, 4_620_000, 30, 30))


def test_processing_run_matches_gdaldem_and_writes_metadata(plugin, tmp_path):
    dem = make_dem(tmp_path / "dem.tif")
    out = tmp_path / "slope.tif"
    result = run_alg("slope", {"INPUT": str(dem), "OUTPUT": str(out)})
    assert Path(result["OUTPUT"]) == out
    ours = read_raster(out)[0]
    ref = gdaldem_slope(dem, tmp_path / "ref.tif")
    valid = ref != -9999
    assert np.array_equal(ours != -9999, valid) and np.abs(ours[valid] - ref[valid]).max() < 0.01
    meta = json.loads((tmp_path / "slope.meta.json").read_text(encoding="utf-8"))
    assert meta["inputs"]["dem"]["sha256"] == file_sha256(dem)
    assert meta["plugin_version"] and meta["results"]["valid_cells"] == int(valid.sum())
    layer = QgsRasterLayer(str(out), "s")
    assert layer.isValid() and layer.crs().authid() == "EPSG:4530"
    del layer


def test_web_mercator_dem_gets_a_bilingual_error(plugin, tmp_path):
    dem = make_dem(tmp_path / "merc.tif", crs="EPSG:3857")
    with pytest.raises(QgsProcessingException) as err:
        run_alg("slope", {"INPUT": str(dem), "OUTPUT": str(tmp_path / "s.tif")})
    assert "Web Mercator" in str(err.value) and "Web 墨卡托" in str(err.value)
    assert not (tmp_path / "s.tif").exists()


def test_runs_from_the_toolbox_dialog(plugin, tmp_path, qgis_iface, monkeypatch):
    """The algorithm dialog the toolbox opens, run with its Run button's code path."""
    import processing
    from qgis.gui import QgsBrowserGuiModel

    model = QgsBrowserGuiModel()
    monkeypatch.setattr(qgis_iface, "browserModel", lambda: model, raising=False)

    dem = make_dem(tmp_path / "dem.tif")
    out = tmp_path / "dialog_slope.tif"
    dialog = processing.createAlgorithmDialog("soil_conservation:slope", {"INPUT": str(dem), "OUTPUT": str(out)})
    assert dialog is not None
    dialog.runAlgorithm()
    deadline = time.time() + 60
    while not out.exists() and time.time() < deadline:
        QgsApplication.processEvents()
        time.sleep(0.05)
    QgsApplication.taskManager().cancelAll()
    dialog.close()
    ref = gdaldem_slope(dem, tmp_path / "ref.tif")
    ours = read_raster(out)[0]
    valid = ref != -9999
    assert np.abs(ours[valid] - ref[valid]).max() < 0.01


def qgis_process(profile: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(profile), QT_QPA_PLATFORM="offscreen")
    # as a user runs it: QGIS's own Python (/usr/bin/python3 here), no venv; pyflwdir comes from the zip's ext_libs
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return subprocess.run([QGIS_PROCESS, *args], env=env, capture_output=True, text=True, timeout=300)


def test_qgis_process_lists_and_runs_the_packaged_plugin(packaged_profile, tmp_path):
    plugin_dir = packaged_profile / "profiles" / "default" / "python" / "plugins" / "soil_conservation_plugin"
    assert (plugin_dir / "ext_libs" / "pyflwdir" / "__init__.py").is_file()
    assert list(plugin_dir.glob("ext_libs/pyflwdir-*.dist-info/licenses/LICENSE")), "pyflwdir's licence travels with it"
    listing = qgis_process(packaged_profile, "list")
    listed = set(re.findall(r"soil_conservation:\w+", listing.stdout))
    assert listed == {f"soil_conservation:{cls.NAME}" for cls in algorithm_classes()}, (
        listing.stdout[-2000:] + listing.stderr[-2000:]
    )
    dem = make_dem(tmp_path / "dem.tif")
    out = tmp_path / "qp_slope.tif"
    run = qgis_process(packaged_profile, "run", "soil_conservation:slope", "--", f"INPUT={dem}", f"OUTPUT={out}")
    assert run.returncode == 0, run.stderr[-2000:]
    ref = gdaldem_slope(dem, tmp_path / "ref.tif")
    ours = read_raster(out)[0]
    valid = ref != -9999
    assert np.abs(ours[valid] - ref[valid]).max() < 0.01
