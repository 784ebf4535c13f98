"""File helpers: atomic outputs, hashes, JSON. One place, so no output is ever half-written."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")


@contextlib.contextmanager
def atomic_path(target):
    """Yield a temporary sibling path; it becomes ``target`` only if the block succeeds.

    Works for files and folders. On any exception (including cancel) the
    temporary is removed and an existing ``target`` is left untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.partial-{uuid.uuid4().hex[:8]}{target.suffix}")
    try:
        yield tmp
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        os.replace(tmp, target)
    finally:
        remove(tmp)


def remove(path) -> None:
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()
    # GDAL side files of a temporary GeoTIFF
    for side in (path.with_name(path.name + ".aux.xml"), path.with_name(path.name + ".ovr")):
        if side.exists():
            side.unlink()


def file_sha256(path) -> str:
    """SHA-256 of a file; for a shapefile, of all its sidecars in a fixed order."""
    path = Path(path)
    parts = [path]
    if path.suffix.lower() == ".shp":
        parts = [path.with_suffix(s) for s in SHAPEFILE_SIDECARS if path.with_suffix(s).exists()]
    digest = hashlib.sha256()
    for part in parts:
        with open(part, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def write_json(path, data) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
