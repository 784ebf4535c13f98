"""三调 地类图斑 (DLTB) vectors as land use: the DLBM text codes burnt into a raster on a given grid.

Rule (exact, testable): a cell gets the code of the 图斑 holding the cell's CENTRE (GDAL's
all_touched=False, the rule of core.steep.inputs), 0 (NoData) where no 图斑 holds it. The
grid is the unit grid of the run (the DEM's or the unit raster's): no resampling, no
shifted cells. DLBM text → integer code: digits as they are (0101 → 101), otherwise through
the mapping's ``text_codes`` (0201K → 201, 1104A → 1104); any other code is burnt as the
'other' class and listed, so the run's messages say which codes were not recognised.
"""

from __future__ import annotations

import numpy as np

from ..common.errors import InputError
from ..common.io import atomic_path

NODATA = 0
DTYPE = "uint16"


def _read_vector(path, layer, label):
    from ..common.vector import read_vector  # the project's one vector reader

    return read_vector(path, label, layer)


def code_value(text, text_codes: dict) -> int | None:
    """The integer raster code of one DLBM value, None when it is not a known form."""
    if text is None:
        return None
    s = str(text).strip()
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    if s in text_codes:
        return int(text_codes[s])
    if s.isdigit() and 0 < int(s) <= 65535:
        return int(s)
    return None


def other_code(mapping: dict) -> int:
    other = next((g for g in mapping["groups"] if g["id"] == "other"), None)
    return int(other["codes"][0]) if other and other["codes"] else 12


def burn(
    gdf, code_field: str, transform, width: int, height: int, crs, mapping: dict, label: str = "地类图斑 DLTB"
) -> tuple[np.ndarray, dict]:
    """(uint16 raster, info) of the 图斑 of ``gdf`` on the grid; gdf is reprojected to ``crs`` when needed."""
    from rasterio import features

    if code_field not in gdf.columns:
        raise InputError(label, f"缺少地类编码字段 {code_field}", f"the land-use code field {code_field} is missing")
    if gdf.crs is None:
        raise InputError(label, "图层没有坐标系", "the layer has no CRS")
    gdf = gdf[gdf.geometry.notna() & ~gdf.geometry.is_empty]
    if crs is not None and not gdf.crs.equals(crs):
        gdf = gdf.to_crs(crs)
    text_codes = mapping.get("text_codes", {})
    known = {int(c) for g in mapping["groups"] for c in g["codes"]}
    fallback = other_code(mapping)
    unknown: dict = {}
    shapes = []
    for geom, raw in zip(gdf.geometry.values, gdf[code_field].values):
        value = code_value(raw, text_codes)
        if value is None or value not in known:
            key = "" if raw is None else str(raw)
            unknown[key] = unknown.get(key, 0) + 1
            value = fallback
        shapes.append((geom, value))
    out = np.zeros((height, width), dtype=np.uint16)
    if shapes:
        features.rasterize(shapes, out=out, transform=transform, all_touched=False, dtype=np.uint16)
    info = {
        "features": len(shapes),
        "cells_with_code": int((out != NODATA).sum()),
        "unknown_codes": dict(sorted(unknown.items())),
        "rule": "cell centre inside the 图斑 (all_touched=False); no 图斑 → 0 NoData",
    }
    return out, info


def rasterize_dltb(
    vector_path,
    layer,
    code_field: str,
    grid_raster,
    out_path,
    mapping: dict,
    label: str = "地类图斑 DLTB",
    feedback=None,
) -> dict:
    """Write the DLTB codes as a GeoTIFF on the grid of ``grid_raster`` (atomically); return the info."""
    import rasterio

    with rasterio.open(str(grid_raster)) as g:
        transform, width, height, crs = g.transform, g.width, g.height, g.crs
    gdf = _read_vector(vector_path, layer, label)
    arr, info = burn(gdf, code_field, transform, width, height, crs, mapping, label)
    profile = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": DTYPE,
        "crs": crs,
        "transform": transform,
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": True,
    }
    with atomic_path(out_path) as tmp:
        with rasterio.open(str(tmp), "w", **profile) as dst:
            dst.write(arr, 1)
            dst.update_tags(SOURCE=str(vector_path), CODE_FIELD=code_field, RULE=info["rule"])
        staged = tmp
    info["path"] = str(out_path)
    # inside a run's output set the file takes its final name only when the run succeeds: read it where it is
    info["read_path"] = str(staged) if staged.exists() else str(out_path)
    if info["unknown_codes"] and feedback is not None:
        shown = ", ".join(f"{k or '(空)'}×{n}" for k, n in list(info["unknown_codes"].items())[:12])
        feedback.info(
            f"{label}: 未识别的地类编码按“其他土地”计 / unrecognised land-use codes counted as 'other': {shown}"
        )
    return info
