"""The land use under each patch: a 三调 地类图斑 (DLTB) vector or a land-use raster.

Vector: the ellipsoidal area of the patch ∩ each 地类图斑, by land-use group of the mapping
(resources/rules/landuse_mapping.json; DLBM text read as core/indicators/landuse_vector.py does).
Raster: the cells whose centre lies in the patch (all cells it touches when it holds no centre),
as shares of the patch; cells of NoData count as 'nodata'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import CRS, Transformer

from ..common.compat import affine_mul, transform_xy
from ..common.crs import check_ground_crs
from ..common.errors import InputError
from ..common.geo import AreaCalc
from .fields import FieldMapping
from .geodesy import SpatialIndex
from .layers import _column, _read_in

RASTER_SUFFIXES = (".tif", ".tiff", ".img", ".vrt")
NODATA_GROUP = "nodata"


@dataclass
class LandUseShares:
    """Shares (%) of one patch by land-use group id; 'main' is the group with the largest share."""

    pct: dict
    main: str


def load_landuse_mapping(path=None) -> dict:
    """resources/rules/landuse_mapping.json (or a user's copy): groups of integer codes, each code in one group.

    (The indicator step checks the same file more fully; it is read here without importing that step.)
    """
    from ..common.paths import resources_path
    from ..common.rules import load_json_rules

    path = Path(path or resources_path("rules", "landuse_mapping.json"))
    label = f"土地利用映射 land-use mapping {path.name}"
    data = load_json_rules(path, label)
    seen: dict[int, str] = {}
    groups = data.get("groups")
    if not isinstance(groups, list) or not groups:
        raise InputError(label, "缺少 groups 列表", "the groups list is missing")
    for g in groups:
        ok = isinstance(g, dict) and isinstance(g.get("id"), str) and isinstance(g.get("codes"), list)
        if not ok or not all(isinstance(c, int) and not isinstance(c, bool) for c in g["codes"]):
            raise InputError(
                label, f"分组 {g!r} 需要 id 和整数代码列表", f"group {g!r} needs an id and a list of integer codes"
            )
        for c in g["codes"]:
            if seen.setdefault(c, g["id"]) != g["id"]:
                raise InputError(
                    label, f"代码 {c} 同时属于 {seen[c]} 和 {g['id']}", f"code {c} is in both {seen[c]} and {g['id']}"
                )
    return data


def _group_of(mapping: dict) -> dict[int, str]:
    return {int(c): g["id"] for g in mapping["groups"] for c in g["codes"]}


def _result(weights: dict[str, float], total: float) -> LandUseShares:
    if total <= 0:
        return LandUseShares({}, "")
    pct = {k: 100.0 * v / total for k, v in weights.items() if v > 0}
    real = {k: v for k, v in pct.items() if k != NODATA_GROUP}
    return LandUseShares(pct, max(real, key=lambda k: real[k]) if real else "")


class VectorLandUse:
    """地类图斑 as polygons in the patch CRS, each with its group id."""

    kind = "vector"

    def __init__(self, path, label: str, crs: CRS, fields: FieldMapping, mapping: dict, encoding: str | None = None):
        from ..indicators.landuse_vector import code_value, other_code

        gdf, self.repaired, self.encoding = _read_in(path, label, crs, (), encoding)
        column = _column(gdf, fields.layers["landuse"]["code"], label, "地类编码", "land-use code")
        groups = _group_of(mapping)
        text_codes = mapping.get("text_codes", {})
        other = groups.get(other_code(mapping), "other")
        self.groups = []
        self.unknown: dict[str, int] = {}
        for raw in gdf[column].values:
            code = code_value(raw, text_codes)
            if code is None or code not in groups:
                key = "" if raw is None else str(raw)
                self.unknown[key] = self.unknown.get(key, 0) + 1
            self.groups.append(groups.get(code, other) if code is not None else other)
        self.geoms = list(gdf.geometry.values)
        self.tree = SpatialIndex(self.geoms)

    def shares(self, patch, area: AreaCalc) -> LandUseShares:
        weights: dict[str, float] = {}
        for i in self.tree.intersecting(patch):
            a = area(patch.intersection(self.geoms[i]))
            weights[self.groups[i]] = weights.get(self.groups[i], 0.0) + a
        return _result(weights, area(patch))


class RasterLandUse:
    """A land-use raster of integer codes; the patch is taken to the raster's CRS for the cell test."""

    kind = "raster"

    def __init__(self, path, label: str, crs: CRS, mapping: dict):
        import rasterio

        from ..common.input_checks import check_raster

        check_raster(path, label)
        self.src = rasterio.open(str(path))
        rcrs = check_ground_crs(self.src.crs, label)
        self.to_raster = Transformer.from_crs(crs, rcrs, always_xy=True)
        self.groups = _group_of(mapping)
        self.nodata = self.src.nodata
        self.encoding = ""
        self.repaired = 0
        self.unknown: dict[str, int] = {}

    def close(self) -> None:
        self.src.close()

    def _cells(self, geom) -> np.ndarray:
        from rasterio import features, windows

        minx, miny, maxx, maxy = geom.bounds
        inverse = ~self.src.transform
        c0, r0 = affine_mul(inverse, (minx, maxy))
        c1, r1 = affine_mul(inverse, (maxx, miny))
        col0, col1 = max(0, math.floor(min(c0, c1))), min(self.src.width, math.ceil(max(c0, c1)))
        row0, row1 = max(0, math.floor(min(r0, r1))), min(self.src.height, math.ceil(max(r0, r1)))
        if col1 <= col0 or row1 <= row0:  # outside the raster
            return np.array([])
        win = windows.Window(col0, row0, col1 - col0, row1 - row0)
        data = self.src.read(1, window=win)
        t = self.src.window_transform(win)
        inside = features.geometry_mask([geom], data.shape, t, invert=True)
        if not inside.any():  # a patch smaller than a cell: the cells it touches
            inside = features.geometry_mask([geom], data.shape, t, invert=True, all_touched=True)
        return data[inside]

    def shares(self, patch, area: AreaCalc) -> LandUseShares:
        cells = self._cells(transform_xy(self.to_raster.transform, patch))
        weights: dict[str, float] = {}
        codes, counts = np.unique(cells, return_counts=True)
        for code, count in zip(codes.tolist(), counts.tolist()):
            if self.nodata is not None and code == self.nodata:
                group = NODATA_GROUP
            else:
                group = self.groups.get(int(code), "other")
                if int(code) not in self.groups:
                    self.unknown[str(code)] = self.unknown.get(str(code), 0) + int(count)
            weights[group] = weights.get(group, 0.0) + float(count)
        return _result(weights, float(counts.sum()) if len(counts) else 0.0)


def open_landuse(path, label: str, crs: CRS, fields: FieldMapping, mapping: dict, encoding: str | None = None):
    """A raster by its suffix, else a vector of 地类图斑."""
    base = str(path).split("|")[0]
    if Path(base).suffix.lower() in RASTER_SUFFIXES:
        return RasterLandUse(base, label, crs, mapping)
    if not Path(base).exists():
        raise InputError(label, f"文件不存在: {base}", f"file not found: {base}")
    return VectorLandUse(path, label, crs, fields, mapping, encoding)


def group_names(mapping: dict) -> dict[str, str]:
    names = {g["id"]: g["zh"] for g in mapping["groups"]}
    names.setdefault("other", "其他")
    names[NODATA_GROUP] = "无数据"
    return names
