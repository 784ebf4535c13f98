"""GDAL write errors as exceptions.

GDAL reports a failed write (disk full, file too large, I/O error) through its error
handler, often only when a block is flushed or the file is closed; rasterio logs such
errors and carries on, leaving a truncated file that looks finished. Writing inside
``gdal_write_errors`` collects every GDAL failure raised in this thread and raises a
bilingual InputError at the end, so the ``atomic_path`` around it removes the temporary
instead of committing it.
"""
from __future__ import annotations

import contextlib

from .errors import InputError


@contextlib.contextmanager
def gdal_write_errors(label: str, target):
    """Raise InputError(label, …) if GDAL reported a failure while the block ran (including at close)."""
    from osgeo import gdal

    failures: list[str] = []

    def handler(err_class, _err_no, message):
        if err_class in (gdal.CE_Failure, gdal.CE_Fatal):
            failures.append(str(message))

    gdal.PushErrorHandler(handler)
    try:
        yield
    finally:
        gdal.PopErrorHandler()
    if failures:
        shown = "; ".join(dict.fromkeys(failures))[:500]
        raise InputError(label, f"写入 {target} 失败(磁盘已满或无法写入?): {shown}", f"writing {target} failed (disk full or not writable?): {shown}")
