"""Vector inputs of the steep-slope delineation: read, check, repair, reproject, rasterize.

Rasterization rules: a cell's zone (county, 乡镇, 小流域, exclusion) is the one
holding the cell's CENTRE (GDAL's default, all_touched=False); cells a polygon
only touches are found with all_touched=True, and cells crossed by a polygon's
boundary with `rasterize_edges`. Cells away from every boundary are wholly in
their centre's zone; boundary cells are clipped exactly by the polygons
(`core.steep.delineation`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from rasterio import features
from rasterio.transform import Affine

from ..common.compat import affine_mul
from ..common.crs import to_pyproj
from ..common.errors import InputError
from ..common.geo import AreaCalc
from ..common.input_checks import check_unique_codes

POLYGONAL = ("Polygon", "MultiPolygon")


@dataclass
class VectorInput:
    """A polygon layer as given by the user: file, layer, the chosen fields, and its name in messages."""

    path: str
    layer: str | None = None
    code_field: str | None = None
    name_field: str | None = None
    label: str = ""
    enabled: bool = True  # exclusions can be switched off
    codes: tuple = ()  # only the features with these codes (the chosen counties); empty = all

    def describe(self) -> dict:
        out: dict = {
            "path": str(self.path),
            "layer": self.layer,
            "code_field": self.code_field,
            "name_field": self.name_field,
            "enabled": self.enabled,
        }
        if self.codes:
            out["codes"] = list(self.codes)
        return out


@dataclass
class Zones:
    """Polygons grouped into zones by code; zone index i+1 is burnt into the raster (0 = none)."""

    label: str
    codes: list = field(default_factory=list)
    names: list = field(default_factory=list)
    geoms: list = field(default_factory=list)  # (geometry, zone index) in the DEM CRS
    bounds: np.ndarray | None = None  # (n, 4) per geometry
    repaired: int = 0
    dropped: int = 0
    reprojected_from: str | None = None
    extra: dict = field(default_factory=dict)  # zone index → {field: value} (e.g. a unit's county_code)

    @property
    def count(self) -> int:
        return len(self.codes)

    def query(self, xmin: float, ymin: float, xmax: float, ymax: float) -> np.ndarray:
        """Indices of the geometries whose bounding box meets the box."""
        b = self.bounds
        if b is None or not len(b):
            return np.empty(0, np.int64)
        return np.flatnonzero((b[:, 0] <= xmax) & (b[:, 2] >= xmin) & (b[:, 1] <= ymax) & (b[:, 3] >= ymin))

    def _window_hits(self, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
        h, w = shape
        x0, y0 = affine_mul(transform, (0, 0))
        x1, y1 = affine_mul(transform, (w, h))
        return self.query(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))

    def rasterize(self, transform: Affine, shape: tuple[int, int], all_touched: bool = False) -> np.ndarray:
        """Zone index per cell of a window (int32, 0 = none), by the cell-centre rule (or every touched cell)."""
        out = np.zeros(shape, dtype=np.int32)
        if not self.geoms:
            return out
        hit = self._window_hits(transform, shape)
        if hit.size:
            features.rasterize(
                ((self.geoms[i][0], self.geoms[i][1]) for i in hit),
                out=out,
                transform=transform,
                all_touched=all_touched,
            )
        return out

    def rasterize_edges(self, transform: Affine, shape: tuple[int, int], out: np.ndarray | None = None) -> np.ndarray:
        """uint8 mask (1) of the cells a polygon boundary (shell or hole) passes through."""
        out = np.zeros(shape, dtype=np.uint8) if out is None else out
        if not self.geoms:
            return out
        hit = self._window_hits(transform, shape)
        if hit.size:
            features.rasterize(
                ((self.geoms[i][0].boundary, 1) for i in hit), out=out, transform=transform, all_touched=True
            )
        return out


def code_text(value) -> str:
    """Codes as text: 220521.0 → '220521', None/NaN → ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


def _read(vin: VectorInput):
    from ..common.vector import read_vector

    return read_vector(vin.path, vin.label, vin.layer)


def _check_fields(gdf, vin: VectorInput, required: tuple[str, ...]) -> None:
    for name in required:
        if name and name not in gdf.columns:
            fields = ", ".join(c for c in gdf.columns if c != "geometry")
            raise InputError(
                vin.label,
                f"图层中没有所选字段 “{name}”（现有字段: {fields}）",
                f"the layer has no field '{name}' (fields present: {fields})",
            )


def _repair(geom):
    """A valid polygonal geometry (or None), repairing self-intersections etc."""
    from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
    from shapely.validation import make_valid

    fixed = make_valid(geom)
    if isinstance(fixed, (Polygon, MultiPolygon)):
        return fixed
    if isinstance(fixed, GeometryCollection):
        polys = []
        for part in fixed.geoms:
            if isinstance(part, Polygon):
                polys.append(part)
            elif isinstance(part, MultiPolygon):
                polys.extend(part.geoms)
        return MultiPolygon(polys) if polys else None
    return None


def load_zones(
    vin: VectorInput,
    dem_crs,
    required_fields: tuple[str, ...] = (),
    group_by_code: bool = True,
    extra_fields: tuple[str, ...] = (),
) -> Zones:
    """Read a polygon layer, check fields and CRS, repair invalid polygons, reproject to the DEM CRS.

    Features sharing a non-empty code form one zone (a county drawn as several parts).
    """
    gdf = _read(vin)
    _check_fields(gdf, vin, tuple(f for f in (vin.code_field, vin.name_field, *required_fields) if f))
    if vin.codes:
        from ..common.counties import select

        gdf = select(gdf, vin.code_field, vin.codes, vin.label)
    if len(gdf) == 0:
        raise InputError(vin.label, "图层中没有要素", "the layer has no features")
    if group_by_code and vin.code_field and vin.name_field:
        check_unique_codes(
            [code_text(v) for v in gdf[vin.code_field]],
            [code_text(v) for v in gdf[vin.name_field]],
            vin.label,
            f"代码({vin.code_field})",
            f"code ({vin.code_field})",
        )
    src_crs = to_pyproj(gdf.crs)
    if src_crs is None:
        raise InputError(
            vin.label,
            "没有坐标参考系(CRS)，无法与 DEM 叠加",
            "has no coordinate reference system (CRS); it cannot be overlaid on the DEM",
        )
    zones = Zones(label=vin.label)
    geom_types = set(gdf.geometry.geom_type.dropna().unique())
    if geom_types and not geom_types & set(POLYGONAL):
        raise InputError(
            vin.label,
            f"不是面图层（几何类型: {', '.join(sorted(geom_types))}）",
            f"is not a polygon layer (geometry types: {', '.join(sorted(geom_types))})",
        )
    geoms: list = []  # shapely geometry or None
    for geom in gdf.geometry:
        if geom is None or geom.is_empty or geom.geom_type not in POLYGONAL:
            geoms.append(None)
            zones.dropped += 1
            continue
        if not geom.is_valid:
            geom = _repair(geom)
            zones.repaired += 1
        geoms.append(geom)
    import geopandas as gpd

    gdf = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    gdf = gdf[gdf.geometry.notna()]
    if len(gdf) == 0:
        raise InputError(vin.label, "图层中没有有效的面要素", "the layer has no valid polygon features")
    if not src_crs.equals(dem_crs):
        zones.reprojected_from = src_crs.to_string()
        gdf = gdf.to_crs(dem_crs.to_wkt())
    index: dict[str, int] = {}
    for pos, (_, row) in enumerate(gdf.iterrows()):
        geom = row.geometry
        if geom is None or geom.is_empty:
            continue
        if not geom.is_valid:  # reprojection can (rarely) break validity again
            geom = _repair(geom)
            if geom is None:
                continue
        code = code_text(row[vin.code_field]) if vin.code_field else ""
        name = code_text(row[vin.name_field]) if vin.name_field else ""
        key = code if (group_by_code and code) else f"\0{pos}"
        if key not in index:
            zones.codes.append(code)
            zones.names.append(name or code)
            index[key] = len(zones.codes)
            if extra_fields:
                zones.extra[index[key]] = {f: code_text(row[f]) for f in extra_fields if f in gdf.columns}
        zones.geoms.append((geom, index[key]))
    zones.bounds = np.array([g.bounds for g, _ in zones.geoms], dtype=np.float64).reshape(-1, 4)
    return zones


def polygon_area_ha(zones: Zones, crs) -> np.ndarray:
    """Ellipsoidal area (ha) of each zone's polygons, for coverage checks (index 0: outside every zone)."""
    area = AreaCalc(crs)
    out = np.zeros(zones.count + 1)
    for geom, idx in zones.geoms:
        out[idx] += area(geom) / 1e4
    return out
