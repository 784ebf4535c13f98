"""`make demo`'s chain on a small demo region: every step runs and the results agree with each other."""

from __future__ import annotations

import csv
import hashlib
import json

from osgeo import ogr
from qgis.core import QgsApplication

from soil_conservation_plugin.processing.pipeline import run_demo


def test_demo_chain_writes_consistent_results(plugin, tmp_path):
    results = run_demo(tmp_path, scale=0.25)
    assert results == (tmp_path / "results").resolve() and results.is_dir()
    assert not list(tmp_path.glob(".results.partial-*"))
    chain = json.loads((results / "chain.json").read_text(encoding="utf-8"))
    steps = chain["steps"]
    assert list(steps) == [
        "watersheds",
        "slope",
        "steep_slope",
        "unit_indicators",
        "zoning",
        "checks",
        "checks_steep",
        "export",
        "publish",
    ]
    # paths recorded in the results point inside the final folder, not the temporary one
    assert ".results.partial" not in (results / "chain.json").read_text(encoding="utf-8")

    # steep-slope total = the county table's total = the exported layer's area
    with open(steps["steep_slope"]["COUNTY_TABLE"], encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    body, total = rows[:-1], rows[-1]
    assert total["county_code"] == "合计"
    assert abs(sum(float(r["area_ha"]) for r in body) - float(total["area_ha"])) < 0.01
    assert abs(float(total["area_ha"]) - steps["steep_slope"]["TOTAL_HA"]) < 0.01
    assert steps["steep_slope"]["PATCH_COUNT"] > 0

    # the One Map package: manifest hashes match the files
    package = results / "onemap_package"
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    files = manifest["files"]
    assert files
    for rel, entry in files.items():
        assert hashlib.sha256((package / rel).read_bytes()).hexdigest() == entry["sha256"], rel
    gpkg = ogr.Open(str(package / "data" / "onemap.gpkg"))
    names = {gpkg.GetLayer(i).GetName() for i in range(gpkg.GetLayerCount())}
    assert {"JZKKDPTB", "XLY"} <= names
    assert gpkg.GetLayerByName("XLY").GetFeatureCount() == steps["watersheds"]["UNIT_COUNT"]
    gpkg = None

    # our own zoning result passes the checks without errors; the publication exists
    assert steps["checks"]["ERRORS"] == 0
    assert (results / "checks" / "report.html").stat().st_size > 10_000
    assert steps["publish"]["COUNT"] == 1 and list((results / "publication").glob("*.png"))
    QgsApplication.processEvents()
