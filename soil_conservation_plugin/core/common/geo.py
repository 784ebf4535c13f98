"""Geometry helpers of the checks: polygon parts, repair, reprojection, ellipsoidal areas.

Areas are always geodesic (pyproj Geod on the layer's own ellipsoid): never planar in degrees,
never in a conformal projection.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.ops import unary_union
from shapely.validation import explain_validity, make_valid

EMPTY = Polygon()


def polygon_parts(geom) -> list:
    """The polygons of any geometry (points and lines dropped)."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, (MultiPolygon, GeometryCollection)):
        parts = []
        for g in geom.geoms:
            parts.extend(polygon_parts(g))
        return parts
    return []


def polygonal(geom):
    """Only the polygonal part of a geometry, as a Polygon or MultiPolygon (possibly empty)."""
    parts = polygon_parts(geom)
    if not parts:
        return EMPTY
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def repaired(geom):
    """A valid polygonal version of ``geom`` (make_valid keeps every area, unlike buffer(0))."""
    if geom is None or geom.is_empty:
        return EMPTY
    if geom.is_valid:
        return polygonal(geom)
    return polygonal(make_valid(geom))


def invalid_reason(geom) -> str:
    return explain_validity(geom)


def union(geoms):
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return EMPTY
    return polygonal(unary_union(geoms))


def _ring_xy(ring):
    xy = np.asarray(ring.coords, dtype=np.float64)
    return xy[:, 0], xy[:, 1]


def transform_geom(geom, transformer: Transformer):
    """Reproject a polygonal geometry vertex by vertex (the checks only need polygons)."""
    out = []
    for poly in polygon_parts(geom):
        ext = np.column_stack(transformer.transform(*_ring_xy(poly.exterior)))
        holes = [np.column_stack(transformer.transform(*_ring_xy(r))) for r in poly.interiors]
        out.append(Polygon(ext, holes))
    if not out:
        return EMPTY
    return out[0] if len(out) == 1 and isinstance(geom, Polygon) else MultiPolygon(out)


class AreaCalc:
    """Geodesic areas (m²) of geometries given in ``crs``, on that CRS's own ellipsoid."""

    def __init__(self, crs: CRS):
        self.crs = crs
        geodetic = crs.geodetic_crs
        self.geod = crs.get_geod()
        self.to_lonlat = Transformer.from_crs(crs, geodetic, always_xy=True)

    def ring(self, ring) -> float:
        lon, lat = self.to_lonlat.transform(*_ring_xy(ring))
        area, _ = self.geod.polygon_area_perimeter(lon, lat)
        return abs(area)

    def polygon(self, poly) -> float:
        return max(0.0, self.ring(poly.exterior) - sum(self.ring(r) for r in poly.interiors))

    def __call__(self, geom) -> float:
        return float(sum(self.polygon(p) for p in polygon_parts(geom)))
