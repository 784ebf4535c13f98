"""Safe tables: every CSV and XLSX cell the plugin writes goes through here.

Spreadsheet formula injection (OWASP "CSV injection"): a text cell that begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return can be run as a formula when a
spreadsheet opens the file. A county or 乡镇 name read from a user's layer is such text.

- CSV: such a text cell is written with a leading apostrophe ``'`` (OWASP's escape).
  A text that already begins with ``'`` gets one more, so ``read_csv`` gives back
  exactly what was written. A text that is a plain decimal number (``-12.5``) is not
  a formula and stays as it is; numbers (int, float, numpy) are never touched.
- XLSX: every text cell is stored as a string cell (``data_type 's'``), never as a
  formula or an error value, with its text unchanged; numbers stay numbers.

CSV files are written atomically (``core.common.io.atomic_path``) and flushed to disk.
"""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

from .io import atomic_path

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ESCAPE = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value):
    """The value as it is written into a CSV cell (text that could start a formula is escaped)."""
    if (
        isinstance(value, str)
        and value
        and (value.startswith(ESCAPE) or (value.startswith(FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)))
    ):
        return ESCAPE + value
    return value


def csv_text(cell: str) -> str:
    """The inverse of ``csv_cell`` for a cell read back from a CSV this module wrote."""
    return cell[1:] if cell.startswith(ESCAPE) else cell


class _SafeWriter:
    def __init__(self, fh):
        self._w = csv.writer(fh)

    def writerow(self, row) -> None:
        self._w.writerow([csv_cell(v) for v in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(fh) -> _SafeWriter:
    """A csv.writer on an open text file whose cells go through ``csv_cell``."""
    return _SafeWriter(fh)


def write_rows(fh, header, rows) -> None:
    """Header and rows into an open text file (newline=""), flushed to disk."""
    w = csv_writer(fh)
    w.writerow(header)
    w.writerows(rows)
    fh.flush()
    os.fsync(fh.fileno())


def write_csv(path, header, rows, encoding: str = "utf-8-sig") -> None:
    """A whole CSV file, atomically. ``utf-8-sig`` (with BOM) lets Excel open Chinese text correctly."""
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding=encoding) as fh:
        write_rows(fh, header, rows)


def write_dict_csv(path, rows: list[dict], fieldnames=None, encoding: str = "utf-8-sig") -> None:
    """Rows given as dicts; the columns are ``fieldnames`` or the first row's keys (no rows, no columns: empty file)."""
    fieldnames = list(fieldnames if fieldnames is not None else (rows[0].keys() if rows else []))
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding=encoding) as fh:
        if fieldnames:
            write_rows(fh, fieldnames, ([row.get(k, "") for k in fieldnames] for row in rows))


def read_csv(path, encoding: str = "utf-8-sig") -> list[dict]:
    """Rows of a CSV written by this module, as dicts of the texts that were written."""
    with open(Path(path), encoding=encoding, newline="") as fh:
        return [{csv_text(k): csv_text(v or "") for k, v in row.items()} for row in csv.DictReader(fh)]


def xlsx_row(ws, values) -> list:
    """A row for ``ws.append`` (openpyxl, also write-only sheets): text as string cells, never formulas."""
    from openpyxl.cell import WriteOnlyCell

    out = []
    for v in values:
        if isinstance(v, str):
            cell = WriteOnlyCell(ws, v)
            cell.data_type = "s"  # openpyxl would make "=…" a formula and "#N/A" an error value
            out.append(cell)
        else:
            out.append(v)
    return out


def save_workbook(wb, path) -> None:
    with atomic_path(path) as tmp:
        wb.save(str(tmp))
