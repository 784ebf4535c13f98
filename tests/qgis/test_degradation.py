"""Degrade per algorithm: with one Python package hidden, exactly the algorithms that need it are unavailable.

Each case runs in a fresh QGIS process (a package once imported cannot be un-imported), with
``sys.modules[name] = None`` so that importing it raises ImportError as if it were not installed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ALL = {
    "change",
    "checks",
    "export",
    "import_units",
    "unit_indicators",
    "csle",
    "disturbance_check",
    "disturbance_status",
    "publish",
    "rollup",
    "slope",
    "steep_slope",
    "watersheds",
    "zoning",
}
RASTER = {"slope", "steep_slope", "watersheds", "import_units", "unit_indicators", "csle", "zoning"}
EXPECTED = {
    "numba": RASTER,
    "rasterio": RASTER | {"disturbance_check"},
    "scipy": {"steep_slope", "watersheds", "import_units"},
    "pyflwdir": {"watersheds", "import_units"},
    "shapely": {
        "checks",
        "export",
        "watersheds",
        "import_units",
        "unit_indicators",
        "zoning",
        "rollup",
        "change",
        "disturbance_check",
        "disturbance_status",
    },
    "geopandas": {"watersheds", "import_units", "unit_indicators", "zoning", "rollup", "change", "disturbance_check"},
    "pyproj": ALL - {"publish"},
    "jsonschema": {"zoning"},
}

PROBE = r"""
import json, sys
hidden = sys.argv[1]
from qgis.core import QgsApplication, QgsProcessingContext
app = QgsApplication([], False)
app.initQgis()
sys.path.append("/usr/share/qgis/python/plugins")
from processing.core.Processing import Processing
Processing.initialize()
if hidden:
    sys.modules[hidden] = None
import soil_conservation_plugin
plugin = soil_conservation_plugin.classFactory(None)
plugin.initProcessing()
provider = plugin.provider
algs = {a.name(): a for a in provider.algorithms()}
out = {"names": sorted(algs), "unavailable": plugin.unavailable, "message": "", "algs": {}}
from soil_conservation_plugin.core.common.dependencies import unavailable_message
out["message"] = unavailable_message(plugin.unavailable) if plugin.unavailable else ""
for name, alg in algs.items():
    ok, msg = alg.checkParameterValues({}, QgsProcessingContext())
    out["algs"][name] = {"display": alg.displayName(), "help": alg.shortHelpString(),
                         "refused": msg if "unavailable" in msg else ""}
plugin.unload()
print("JSON" + json.dumps(out))
app.exitQgis()
"""


def probe(hidden: str) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(REPO))
    run = subprocess.run([sys.executable, "-c", PROBE, hidden], env=env, capture_output=True, text=True, timeout=300)
    line = next((x for x in run.stdout.splitlines() if x.startswith("JSON")), None)
    assert line, run.stdout[-2000:] + run.stderr[-3000:]
    return json.loads(line[4:])


def unavailable_names(result: dict) -> set[str]:
    return {name for name, alg in result["algs"].items() if alg["refused"]}


def test_nothing_hidden_everything_available():
    result = probe("")
    assert set(result["names"]) == ALL and result["unavailable"] == {} and unavailable_names(result) == set()


@pytest.mark.parametrize("hidden", sorted(EXPECTED))
def test_hidden_package_makes_exactly_its_algorithms_unavailable(hidden):
    result = probe(hidden)
    assert set(result["names"]) == ALL  # the provider registers every algorithm regardless
    assert unavailable_names(result) == EXPECTED[hidden]
    for name in EXPECTED[hidden]:
        alg = result["algs"][name]
        assert alg["display"].endswith("(不可用 / unavailable)")
        assert alg["help"].startswith("缺少 Python 包") and hidden in alg["help"]
        assert "unavailable: missing Python package" in alg["refused"] and hidden in alg["refused"]
        assert "apt install python3-" in alg["help"] or "ext_libs" in alg["help"]
    for name in ALL - EXPECTED[hidden]:
        assert "unavailable" not in result["algs"][name]["display"]
    # one message-bar note: every unavailable algorithm by name, each with what it lacks, and how to install it
    message = result["message"]
    listed = {line.rsplit("(", 1)[1].split(")")[0] for line in message.splitlines() if line.startswith("- ")}
    assert listed == EXPECTED[hidden]
    assert message.startswith(
        "水土保持插件：以下算法不可用 / Soil conservation plugin: these algorithms are unavailable:"
    )
    install = "ext_libs" if hidden == "pyflwdir" else f"sudo apt install python3-{hidden}"
    assert f"{hidden}: " in message and install in message
