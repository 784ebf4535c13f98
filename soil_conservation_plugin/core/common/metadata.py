"""Run metadata: what was run, on which inputs (hashes), with which rules, by which version.

Every output of the plugin carries one, so a published table can be traced back.
"""

from __future__ import annotations

import datetime as _dt
import platform
from pathlib import Path

from ...__about__ import __version__
from .errors import InputError
from .input_checks import raster_files
from .io import file_sha256, write_json
from .vector import is_shapefile, source_encoding


def _gdal_version() -> str:
    try:
        from osgeo import gdal

        return gdal.__version__
    except ImportError:  # pragma: no cover - GDAL python bindings are a hard requirement on Debian
        import rasterio

        return rasterio.__gdal_version__


def run_metadata(
    step: str,
    inputs: dict,
    parameters: dict,
    results: dict | None = None,
    rules: dict | None = None,
    encoding: str | None = None,
) -> dict:
    """``inputs``: name → file path (hashed); ``rules``: name → {version, source, ...} of rule files used;
    ``encoding``: the text encoding the user chose for shapefiles (as given to read_vector), so the
    metadata names the encoding the run read them with."""
    hashed: dict[str, dict[str, object]] = {}
    for name, path in inputs.items():
        if path:
            p = Path(str(path).split("|")[0])
            hashed[name] = {"path": str(p), "sha256": file_sha256(p) if p.is_file() else None}
            if p.suffix.lower() == ".vrt" and p.is_file():
                # the pixels come from the VRT's sources: hash each local file behind it
                hashed[name]["sources"] = [
                    {"path": str(f), "sha256": file_sha256(f)} for f in raster_files(p, name)[1:]
                ]
            if is_shapefile(p) and p.is_file():
                try:
                    hashed[name]["encoding"] = source_encoding(p, name, encoding)  # the one read_vector used
                except InputError:
                    hashed[name]["encoding"] = None
    return {
        "step": step,
        "plugin": "soil_conservation_plugin",
        "plugin_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": hashed,
        "parameters": parameters,
        "rules": rules or {},
        "results": results or {},
        "environment": {"python": platform.python_version(), "gdal": _gdal_version()},
    }


def metadata_path(output) -> Path:
    p = Path(output)
    return p.with_name(p.stem + ".meta.json")


def write_run_metadata(output, meta: dict) -> Path:
    path = metadata_path(output)
    write_json(path, meta)
    return path
