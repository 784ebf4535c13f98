"""The one geometry toolkit of core/: polygon parts, repair, reprojection, ring orientation and
ellipsoidal areas.

Areas are always geodesic (pyproj Geod on the CRS's own ellipsoid, vertices reprojected to the
CRS's geographic CRS): never planar in degrees, never in a conformal projection, never on a
substitute sphere or WGS 84. Every table (steep slope, watersheds, indicators, zoning, checks,
export) and the DEM cell areas (cell_areas.py) take their ellipsoid from ``geod_for``, so one
polygon gets the same hectares everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from pyproj import CRS, Geod, Transformer
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon
from shapely.ops import unary_union
from shapely.validation import explain_validity, make_valid

from .crs import to_pyproj
from .errors import InputError

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


# --- ring orientation ---------------------------------------------------------------------------


def signed_ring_area(xy: np.ndarray) -> float:
    """Planar shoelace area of a closed ring, positive when counter-clockwise.

    Taken relative to the first vertex: large false eastings (Gauss-Krüger 40 500 000 m) lose
    no digits, so the sign of a small ring stays right.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if len(xy) < 3:
        return 0.0
    x, y = xy[:, 0] - xy[0, 0], xy[:, 1] - xy[0, 1]
    return 0.5 * float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1]))


def oriented_rings(rings: Sequence[np.ndarray]) -> list:
    """[shell, hole, …] of one polygon with the shell counter-clockwise and the holes clockwise
    (the right-hand rule of OGC / GeoPackage); arrays are reversed where needed, not copied."""
    out = []
    for k, xy in enumerate(rings):
        ccw = signed_ring_area(xy) > 0
        out.append(xy if ccw == (k == 0) else xy[::-1])
    return out


# --- ellipsoidal areas --------------------------------------------------------------------------


def geod_for(crs) -> Geod:
    """The pyproj Geod of the CRS's own ellipsoid (a sphere only when the CRS's ellipsoid is one).

    A CRS without an ellipsoid (engineering / local CRS) is refused: any area would be made up.
    """
    pcrs = to_pyproj(crs)
    ell = pcrs.ellipsoid if pcrs is not None else None
    if ell is None:
        name = pcrs.name if pcrs is not None else "?"
        raise InputError(
            name,
            "坐标系没有椭球(例如局部/工程坐标系)，无法计算椭球面积；请使用 CGCS2000 (EPSG:4490 或高斯-克吕格投影)",
            "the CRS has no ellipsoid (e.g. a local / engineering CRS), so no ellipsoidal area can be computed; "
            "use CGCS2000 (EPSG:4490 or a Gauss-Krüger projection)",
        )
    return Geod(a=ell.semi_major_metre, b=ell.semi_minor_metre)


def densify(xy: np.ndarray, max_seg: float) -> np.ndarray:
    """The ring with vertices added so that no segment is longer than ``max_seg`` (CRS units)."""
    d = np.diff(xy, axis=0)
    seg = np.hypot(d[:, 0], d[:, 1])
    nseg = np.maximum(1, np.ceil(seg / max_seg).astype(np.int64))
    if not len(nseg) or nseg.max() == 1:
        return xy
    idx = np.repeat(np.arange(len(d)), nseg)
    first = np.repeat(np.cumsum(nseg) - nseg, nseg)
    frac = (np.arange(idx.size) - first) / nseg[idx]
    pts = xy[:-1][idx] + d[idx] * frac[:, None]
    return np.vstack([pts, xy[-1:]])


class AreaCalc:
    """Geodesic areas (m²) of geometries given in ``crs``, on that CRS's own ellipsoid.

    A polygon's area is |shell| − Σ|holes| of its rings (so ring orientation does not matter),
    each ring the geodesic polygon through its vertices (pyproj Geod.polygon_area_perimeter, the
    same number as Geod.geometry_area_perimeter of the reprojected polygon).

    ``max_seg`` (CRS units) densifies the rings first, so that edges follow straight lines of the
    CRS instead of geodesics: only for polygons traced from raster cells, whose edges are grid
    lines and whose area must equal the sum of their cells' areas.
    """

    def __init__(self, crs, max_seg: float | None = None):
        pcrs = to_pyproj(crs)
        self.geod = geod_for(pcrs)
        assert pcrs is not None  # geod_for refuses None
        self.crs: CRS = pcrs
        self.max_seg = max_seg
        geographic = pcrs.geodetic_crs
        if geographic is None:  # pragma: no cover - every CRS with an ellipsoid has one
            raise InputError(pcrs.name, "坐标系没有地理坐标系", "the CRS has no geographic CRS")
        # a CRS that is its own geographic CRS needs no transformation
        self.to_lonlat = None if pcrs == geographic else Transformer.from_crs(pcrs, geographic, always_xy=True)

    def _lonlat(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if self.max_seg:
            xy = densify(xy, self.max_seg)
        if self.to_lonlat is None:
            return xy[:, 0], xy[:, 1]
        lon, lat = self.to_lonlat.transform(xy[:, 0], xy[:, 1])
        return np.asarray(lon), np.asarray(lat)

    def ring_xy(self, xy) -> float:
        """|area| (m²) of one closed ring given as an (n, 2+) array of CRS coordinates."""
        xy = np.asarray(xy, dtype=np.float64)[:, :2]
        if len(xy) < 4:
            return 0.0
        area, _ = self.geod.polygon_area_perimeter(*self._lonlat(xy))
        return abs(area)

    def ring_areas(self, rings: Sequence[np.ndarray]) -> np.ndarray:
        """|area| (m²) of many rings, reprojected in one pyproj call (the fast path of big layers)."""
        out = np.zeros(len(rings))
        keep = [i for i, xy in enumerate(rings) if len(xy) >= 4]
        if not keep:
            return out
        parts = [np.asarray(rings[i], dtype=np.float64)[:, :2] for i in keep]
        if self.max_seg:
            parts = [densify(xy, self.max_seg) for xy in parts]
        xy = np.concatenate(parts)
        if self.to_lonlat is None:
            lon, lat = xy[:, 0], xy[:, 1]
        else:
            lon, lat = (np.asarray(v) for v in self.to_lonlat.transform(xy[:, 0], xy[:, 1]))
        ends = np.cumsum([len(p) for p in parts])
        starts = ends - np.array([len(p) for p in parts])
        polygon_area = self.geod.polygon_area_perimeter
        for i, a, b in zip(keep, starts, ends):
            out[i] = abs(polygon_area(lon[a:b], lat[a:b])[0])
        return out

    def ring(self, ring) -> float:
        """|area| (m²) of a shapely ring."""
        return self.ring_xy(np.asarray(ring.coords, dtype=np.float64))

    def polygon(self, poly) -> float:
        return max(0.0, self.ring(poly.exterior) - sum(self.ring(r) for r in poly.interiors))

    def __call__(self, geom) -> float:
        """Area (m²) of any geometry's polygons (points and lines count 0)."""
        return float(sum(self.polygon(p) for p in polygon_parts(geom)))

    def km2(self, geom) -> float:
        return self(geom) / 1e6

    def many(self, geoms: Iterable) -> np.ndarray:
        """Areas (m²) of a sequence of geometries (None and empty give 0)."""
        return np.array([self(g) for g in geoms], dtype=np.float64)
