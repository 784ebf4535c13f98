"""Fused slope + threshold kernel for the steep-slope delineation (numba).

Same Horn gradient, ground spacing and NoData rule as `core.slope.slope_block`,
but the arctangent – most of the cost – is only taken where the squared
gradient is within a hair of tan²(threshold) or above. Below that band the cell
is certainly gentle and gets 0. So for every cell that matters (steep, or
close to the threshold) the value equals `slope_block`'s to float32 rounding
(≤ 1e-4°: numba may vectorise the arctangent differently), so the
steep mask `out >= threshold` is the one `slope_block` gives, except for cells
within ~1e-4° of the threshold, where the two arctangents may round apart.
"""
from __future__ import annotations

import math

import numba
import numpy as np

from .slope import SLOPE_NODATA

GENTLE = np.float32(0.0)  # valid cell certainly below the threshold (its slope is not computed)
# relative margin on tan²: wide enough that no cell near the threshold skips its arctangent
MARGIN = 1e-4


@numba.njit(parallel=True, cache=True)
def _steep_kernel(z, dx, dy, tan2, out):  # pragma: no cover - compiled
    h, w = out.shape
    rad2deg = 180.0 / np.pi
    for r in numba.prange(h):
        zr = r + 1
        inv_t = 1.0 / (2.0 * dx[zr - 1])
        inv_m = 1.0 / (2.0 * dx[zr])
        inv_b = 1.0 / (2.0 * dx[zr + 1])
        inv_y = 1.0 / (8.0 * dy[zr])
        out[r, 0] = SLOPE_NODATA
        out[r, w - 1] = SLOPE_NODATA
        for c in range(1, w - 1):
            a = z[zr - 1, c - 1]
            b = z[zr - 1, c]
            cc = z[zr - 1, c + 1]
            d = z[zr, c - 1]
            f = z[zr, c + 1]
            g = z[zr + 1, c - 1]
            hh = z[zr + 1, c]
            i = z[zr + 1, c + 1]
            e = z[zr, c]
            s = a + b + cc + d + e + f + g + hh + i
            if s != s:  # any NaN in the window
                out[r, c] = SLOPE_NODATA
                continue
            gx = ((cc - a) * inv_t + 2.0 * (f - d) * inv_m + (i - g) * inv_b) * 0.25
            gy = ((g + 2.0 * hh + i) - (a + 2.0 * b + cc)) * inv_y
            g2 = gx * gx + gy * gy
            if g2 < tan2:
                out[r, c] = 0.0
            else:
                out[r, c] = np.arctan(np.sqrt(g2)) * rad2deg
    if w < 3:
        for r in range(h):
            for c in range(w):
                out[r, c] = SLOPE_NODATA


def steep_slope_block(z: np.ndarray, dx: np.ndarray, dy: np.ndarray, threshold_deg: float) -> np.ndarray:
    """float32 slope where it can reach ``threshold_deg``, GENTLE (0) elsewhere, SLOPE_NODATA where undefined."""
    if threshold_deg >= 90.0:
        tan2 = math.inf
    else:
        tan2 = math.tan(math.radians(threshold_deg)) ** 2 * (1.0 - MARGIN)
    z = np.ascontiguousarray(z, dtype=np.float64)
    out = np.empty((z.shape[0] - 2, z.shape[1]), dtype=np.float32)
    _steep_kernel(z, np.ascontiguousarray(dx, np.float64), np.ascontiguousarray(dy, np.float64), tan2, out)
    return out
