"""Safe tables (core/common/tables.py): no text cell becomes a spreadsheet formula, numbers stay numbers."""

from __future__ import annotations

import csv

import numpy as np
import openpyxl
import pytest
from openpyxl import Workbook

from soil_conservation_plugin.core.common import tables
from soil_conservation_plugin.core.zoning.zones import write_csv as zoning_write_csv

DANGEROUS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "=1"]


def raw_rows(path, encoding="utf-8-sig"):
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.reader(fh))


def test_csv_escapes_formula_text_and_keeps_numbers(tmp_path):
    path = tmp_path / "t.csv"
    rows = [[text, 1.5] for text in DANGEROUS] + [
        ["'quoted", -2.25],
        ["-12.5", np.float64(-3.5)],
        ["通化县", np.int64(-7)],
    ]
    tables.write_csv(path, ["name", "value"], rows)
    raw = raw_rows(path)
    assert raw[0] == ["name", "value"]
    for (text, _), (cell, _) in zip(rows, raw[1:]):
        assert cell == ("'" + text if text not in ("-12.5", "通化县") else text)
    # numbers (python and numpy, negative too) are written as plain numbers
    assert [r[1] for r in raw[1:]] == ["1.5"] * len(DANGEROUS) + ["-2.25", "-3.5", "-7"]
    # read_csv gives back exactly the texts that were written
    back = tables.read_csv(path)
    assert [r["name"] for r in back] == [r[0] for r in rows]


def test_xlsx_text_is_never_a_formula(tmp_path):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("s")
    values = [*DANGEROUS, "#N/A", "通化县"]
    for v in values:
        ws.append(tables.xlsx_row(ws, [v, -1.25, 3]))
    path = tmp_path / "t.xlsx"
    tables.save_workbook(wb, path)
    sheet = openpyxl.load_workbook(path)["s"]
    for row, v in zip(sheet.iter_rows(), values):
        assert row[0].data_type == "s" and row[0].value == v
        assert row[1].data_type == "n" and row[1].value == -1.25
        assert row[2].data_type == "n" and row[2].value == 3


def test_dict_csv_of_zoning_escapes_names(tmp_path):
    path = tmp_path / "zoning.csv"
    zoning_write_csv([{"county_code": "220521", "county_name": "=1+1", "units": 3, "loss_km2": -0.5}], path)
    assert raw_rows(path) == [["county_code", "county_name", "units", "loss_km2"], ["220521", "'=1+1", "3", "-0.5"]]
    zoning_write_csv([], tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_bytes() == b""


@pytest.mark.parametrize("text", ["=1", "a=1", "-", "'", ""])
def test_csv_cell_round_trip(text):
    assert tables.csv_text(tables.csv_cell(text)) == text
