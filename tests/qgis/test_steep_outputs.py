"""steep_slope outputs through Processing: user-chosen table paths, plain numbers under qgis_process --json,
safe cells."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from qgis.core import QgsProcessingException

from ..unit.steep_cases import UTM, write_layer
from ..unit.test_steep_slope import exact_reference
from .conftest import run_alg
from .test_slope_algorithm import qgis_process

FORMULA = '=HYPERLINK("http://x","y")'


def base_params(case, out) -> dict:
    return {
        "INPUT": str(case["dem"]),
        "COUNTY": case["county"].path,
        "COUNTY_CODE_FIELD": "code",
        "COUNTY_NAME_FIELD": "name",
        "TOWNSHIPS": case["twn"].path,
        "TOWNSHIP_CODE_FIELD": "tcode",
        "TOWNSHIP_NAME_FIELD": "tname",
        "MIN_PATCH": 0,
        "OUTPUT": str(out),
    }


def rows_of(path):
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_user_given_table_paths_are_honoured(plugin, utm_case, tmp_path):
    case = utm_case
    out = tmp_path / "layer" / "steep.gpkg"
    chosen = {
        "COUNTY_TABLE": tmp_path / "mine" / "县表.csv",
        "PATCH_LIST": tmp_path / "mine" / "list.csv",
        "XLSX": tmp_path / "mine" / "公告.xlsx",
        "METADATA": tmp_path / "mine" / "run.json",
    }
    result = run_alg("steep_slope", {**base_params(case, out), **{k: str(v) for k, v in chosen.items()}})
    for key, path in chosen.items():
        assert result[key] == str(path) and path.is_file()
    # not given: beside the layer, under the layer's name
    assert (
        result["TOWNSHIP_TABLE"] == str(out.parent / "steep_township.csv") and Path(result["TOWNSHIP_TABLE"]).is_file()
    )
    assert result["UNIT_TABLE"] is None  # no unit layer given
    assert not (out.parent / "steep_county.csv").exists() and not (out.parent / "steep.xlsx").exists()
    assert not (out.parent / "steep.meta.json").exists()
    county = rows_of(chosen["COUNTY_TABLE"])
    assert county[-1][0] == "合计" and float(county[-1][3]) == pytest.approx(result["TOTAL_HA"], abs=0.01)
    meta = json.loads(chosen["METADATA"].read_text(encoding="utf-8"))
    assert meta["results"]["outputs"]["county_csv"] == str(chosen["COUNTY_TABLE"])
    notes = dict(openpyxl.load_workbook(chosen["XLSX"])["说明 notes"].iter_rows(values_only=True))
    assert notes["图斑清单 patch list"].startswith("list.csv")


def test_two_outputs_on_one_file_are_refused_before_any_work(plugin, utm_case, tmp_path):
    case = utm_case
    out = tmp_path / "res" / "steep.gpkg"
    same = tmp_path / "res" / "same.csv"
    with pytest.raises(QgsProcessingException) as err:
        run_alg("steep_slope", {**base_params(case, out), "COUNTY_TABLE": str(same), "TOWNSHIP_TABLE": str(same)})
    assert "county_csv" in str(err.value) and "township_csv" in str(err.value)
    assert "同一个文件" in str(err.value) and "the same file" in str(err.value)
    assert not (tmp_path / "res").exists()  # refused before anything was written


def test_qgis_process_json_prints_numbers_and_honours_table_paths(packaged_profile, utm_case, tmp_path):
    """Through the packaged plugin: TOTAL_HA/PATCH_COUNT are JSON numbers, COUNTY_TABLE is used,
    a formula-like name is text."""
    case = utm_case
    county = write_layer(tmp_path / "county_f.gpkg", [case["county_geom"]], UTM, code=["220521"], name=[FORMULA])
    out = tmp_path / "qp" / "steep.gpkg"
    table = tmp_path / "chosen" / "county.csv"
    params = {**base_params(case, out), "COUNTY": county, "COUNTY_TABLE": str(table)}
    run = qgis_process(
        packaged_profile,
        "run",
        "soil_conservation:steep_slope",
        "--json",
        "--",
        *(f"{k}={v}" for k, v in params.items()),
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    results = json.loads(run.stdout)["results"]
    ref_ha, _ = exact_reference(case, 20.0, exclude=False)  # no exclusion layer given
    assert isinstance(results["TOTAL_HA"], float) and results["TOTAL_HA"] == pytest.approx(ref_ha, rel=1e-3)
    assert isinstance(results["PATCH_COUNT"], int) and results["PATCH_COUNT"] > 0
    assert results["COUNTY_TABLE"] == str(table)
    county_rows = rows_of(table)
    assert county_rows[1][:2] == ["220521", "'" + FORMULA] and float(county_rows[1][3]) == pytest.approx(
        results["TOTAL_HA"], abs=0.01
    )
    cell = openpyxl.load_workbook(results["XLSX"])["县 county"]["B2"]
    assert cell.data_type == "s" and cell.value == FORMULA


def test_numpy_scalars_in_results_become_python_numbers():
    import numpy as np

    from soil_conservation_plugin.processing.base import plain_outputs

    out = plain_outputs({"A": np.float64(1.25), "B": np.int64(-3), "C": np.bool_(True), "D": "x", "E": None})
    assert out == {"A": 1.25, "B": -3, "C": True, "D": "x", "E": None}
    assert [type(out[k]) for k in "ABC"] == [float, int, bool]
