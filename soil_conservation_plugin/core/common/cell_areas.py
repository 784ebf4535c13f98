"""True ground area of DEM cells, on the ellipsoid.

Geographic DEM: the exact area of each ellipsoidal quadrangle (a row's cells all
have the same area), from the authalic-latitude integral.
Projected DEM: the map cell area divided by the projection's areal scale factor
(pyproj get_factors), sampled on a coarse lattice and interpolated bilinearly;
the factor is smooth (≤ 0.2 % over a UTM zone), so this is exact to ~1e-7.
The ellipsoid is geo.geod_for's, the one every polygon area uses.
"""

from __future__ import annotations

import numpy as np

from .crs import metres_per_unit
from .geo import geod_for

LATTICE_STEP = 256  # cells between lattice nodes of the areal scale factor


def _quad_integral(geod, lat_deg: np.ndarray) -> np.ndarray:
    """F(φ) with area of the quadrangle [φ1, φ2] × Δλ = Δλ·(F(φ2) − F(φ1)) (Δλ in radians)."""
    b = geod.b
    e2 = geod.es
    s = np.sin(np.radians(lat_deg))
    if e2 < 1e-15:
        return b * b * s
    e = np.sqrt(e2)
    return 0.5 * b * b * (s / (1.0 - e2 * s * s) + np.log((1.0 + e * s) / (1.0 - e * s)) / (2.0 * e))


class CellAreas:
    """Cell areas (m²) of any window of a DEM grid."""

    def __init__(self, crs, transform, width: int, height: int):
        self.crs, self.transform, self.width, self.height = crs, transform, width, height
        self.geod = geod_for(crs)  # refuses a CRS without an ellipsoid
        self._lattice: tuple | None = None
        if not crs.is_geographic:
            self._build_lattice()

    def _build_lattice(self) -> None:
        from pyproj import Proj, Transformer

        t = self.transform
        rows = np.unique(np.r_[np.arange(0, self.height, LATTICE_STEP), self.height - 1]).astype(np.float64)
        cols = np.unique(np.r_[np.arange(0, self.width, LATTICE_STEP), self.width - 1]).astype(np.float64)
        cc, rr = np.meshgrid(cols + 0.5, rows + 0.5)
        x = t.c + cc * t.a + rr * t.b
        y = t.f + cc * t.d + rr * t.e
        lon, lat = Transformer.from_crs(self.crs, self.crs.geodetic_crs, always_xy=True).transform(x, y)
        try:
            scale = np.asarray(Proj(self.crs).get_factors(lon, lat).areal_scale, dtype=np.float64)
        except Exception:  # a projection pyproj cannot differentiate: fall back to map area
            scale = np.ones_like(lon)
        scale = np.where(np.isfinite(scale) & (scale > 0), scale, 1.0).reshape(cc.shape)
        k = metres_per_unit(self.crs)
        self._lattice = (rows, cols, abs(t.a) * abs(t.e) * k * k / scale)

    def rows(self, row0: int, row1: int) -> np.ndarray:
        """Areas of rows [row0, row1): shape (h, 1) for a geographic DEM, (h, w) for a projected one."""
        if self._lattice is None:
            t = self.transform
            top = t.f + np.arange(row0, row1 + 1) * t.e
            integral = _quad_integral(self.geod, top)
            area = np.abs(np.diff(integral)) * np.radians(abs(t.a))
            return area[:, None]
        lrows, lcols, lat_area = self._lattice
        rr = np.arange(row0, row1, dtype=np.float64)
        # interpolate the lattice along rows, then each row along columns
        along = np.empty((rr.size, lcols.size))
        for j in range(lcols.size):
            along[:, j] = np.interp(rr, lrows, lat_area[:, j])
        cols = np.arange(self.width, dtype=np.float64)
        out = np.empty((rr.size, self.width))
        for i in range(rr.size):
            out[i] = np.interp(cols, lcols, along[i])
        return out

    def grid(self, dtype=np.float32, scale: float = 1.0, block: int = 1024) -> np.ndarray:
        """Areas (m² × ``scale``) of the whole grid as a (height, width) array of ``dtype``, filled
        block by block (a big projected DEM never holds a float64 copy of it)."""
        out = np.empty((self.height, self.width), dtype=dtype)
        for r0 in range(0, self.height, block):
            r1 = min(self.height, r0 + block)
            out[r0:r1] = self.rows(r0, r1) * scale
        return out
