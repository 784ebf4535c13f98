"""Ellipsoidal areas: pyproj Geod on the layer's own ellipsoid, never planar degrees.

(A shared toolkit is being built in core/common/geo.py; this module will switch to it.)
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.validation import make_valid

EMPTY = Polygon()
M2_PER_HA = 10_000.0


def polygon_parts(geom) -> list[Polygon]:
    """The polygons of any geometry (points and lines dropped)."""
    if geom is None or geom.is_empty:
        return []
    if isinstance(geom, Polygon):
        return [geom]
    if isinstance(geom, (MultiPolygon, GeometryCollection)):
        return [p for g in geom.geoms for p in polygon_parts(g)]
    return []


def polygonal(geom):
    parts = polygon_parts(geom)
    if not parts:
        return EMPTY
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def repaired(geom):
    """A valid polygonal geometry (make_valid keeps every area, unlike buffer(0))."""
    if geom is None or geom.is_empty:
        return EMPTY
    return polygonal(geom if geom.is_valid else make_valid(geom))


class GeodesicArea:
    """Areas (m²) of geometries given in ``crs``, on the ellipsoid of that CRS."""

    def __init__(self, crs: CRS):
        self.crs = crs
        geod = crs.get_geod()
        if geod is None:  # check_ground_crs lets no CRS without an ellipsoid through
            raise ValueError(f"the CRS {crs.name} has no ellipsoid")
        self.geod = geod
        self.to_lonlat = Transformer.from_crs(crs, crs.geodetic_crs, always_xy=True)

    def _ring(self, ring) -> float:
        xy = np.asarray(ring.coords, dtype=np.float64)
        lon, lat = self.to_lonlat.transform(xy[:, 0], xy[:, 1])
        area, _ = self.geod.polygon_area_perimeter(lon, lat)
        return abs(float(area))

    def m2(self, geom) -> float:
        total = 0.0
        for poly in polygon_parts(geom):
            total += max(0.0, self._ring(poly.exterior) - sum(self._ring(r) for r in poly.interiors))
        return total

    def ha(self, geom) -> float:
        return self.m2(geom) / M2_PER_HA


class SpatialIndex:
    """Indices of the geometries intersecting a query geometry (shapely 1.8 and 2.x spell STRtree differently)."""

    def __init__(self, geoms):
        import warnings

        from shapely.strtree import STRtree

        self.geoms = list(geoms)
        with warnings.catch_warnings():  # shapely 1.8 warns that STRtree changes in 2.0: handled below
            warnings.simplefilter("ignore")
            self.tree = STRtree(self.geoms) if self.geoms else None

    def intersecting(self, geom) -> list[int]:
        if self.tree is None:
            return []
        # shapely 1.8: query() gives geometries, query_items() indices; shapely 2: query() gives indices
        found = self.tree.query_items(geom) if hasattr(self.tree, "query_items") else self.tree.query(geom)
        return sorted(int(i) for i in found if self.geoms[int(i)].intersects(geom))
