"""Units in grid coordinates and the exact coverage kernel: the fraction of each cell inside a unit.

The fraction comes analytically from the polygon's edges by Green's theorem (see compute's docstring):
for every edge piece inside one cell, ∫ (row bottom − v) du gives the covered part of that cell and a
full ``du`` goes to every cell below it (summed down the column).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from .grid import Grid
from .wkb import ring_arrays


@dataclass
class UnitRings:
    """All rings of all units in the grid's (column u, row v) coordinates, closed, flattened."""

    u: np.ndarray
    v: np.ndarray
    ring_start: np.ndarray  # (n_rings + 1,)
    ring_sign: np.ndarray  # +1 / -1 so that every exterior counts positive
    unit_ring: np.ndarray  # (n_units + 1,) ring index range per unit
    bbox: np.ndarray  # (n_units, 4) row0, row1, col0, col1 (row1/col1 exclusive), may exceed the grid
    aligned: bool  # every vertex on a grid line: labels are exact


def unit_rings(geoms, grid: Grid, rings_xy: list | None = None) -> UnitRings:
    t = grid.transform
    rings_xy = ring_arrays(geoms) if rings_xy is None else rings_xy
    flat = [(k, xy, hole) for k, rings in enumerate(rings_xy) for xy, hole in rings if len(xy) >= 4]
    n = len(rings_xy)
    bbox = np.zeros((n, 4), dtype=np.int64)
    if not flat:
        return UnitRings(
            np.zeros(0), np.zeros(0), np.zeros(1, np.int64), np.zeros(0), np.zeros(n + 1, np.int64), bbox, False
        )
    xy = np.concatenate([f[1] for f in flat])
    u = (xy[:, 0] - t.c) / t.a
    v = (xy[:, 1] - t.f) / t.e
    lengths = np.array([len(f[1]) for f in flat], np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)])
    owner = np.array([f[0] for f in flat], np.int64)
    hole = np.array([f[2] for f in flat], bool)
    cross = np.append(u[:-1] * v[1:] - u[1:] * v[:-1], 0.0)
    cross[starts[1:-1] - 1] = 0.0  # no term across two rings
    area2 = np.add.reduceat(cross, starts[:-1])
    keep = area2 != 0
    sign = np.where(area2 > 0, 1.0, -1.0) * np.where(hole, -1.0, 1.0)
    ends = starts[1:]
    rmin = np.floor(np.minimum.reduceat(v, starts[:-1])).astype(np.int64)
    rmax = np.ceil(np.maximum.reduceat(v, starts[:-1])).astype(np.int64)
    cmin = np.floor(np.minimum.reduceat(u, starts[:-1])).astype(np.int64)
    cmax = np.ceil(np.maximum.reduceat(u, starts[:-1])).astype(np.int64)
    if not keep.all():
        sel = (
            np.concatenate([np.arange(a, b) for a, b, k in zip(starts[:-1], ends, keep) if k])
            if keep.any()
            else np.zeros(0, np.int64)
        )
        u, v = u[sel], v[sel]
        lengths, owner, sign = lengths[keep], owner[keep], sign[keep]
        rmin, rmax, cmin, cmax = rmin[keep], rmax[keep], cmin[keep], cmax[keep]
        starts = np.concatenate([[0], np.cumsum(lengths)])
    big = 1 << 40
    r0 = np.full(n, big, np.int64)
    c0 = np.full(n, big, np.int64)
    r1 = np.full(n, -big, np.int64)
    c1 = np.full(n, -big, np.int64)
    np.minimum.at(r0, owner, rmin)
    np.minimum.at(c0, owner, cmin)
    np.maximum.at(r1, owner, rmax)
    np.maximum.at(c1, owner, cmax)
    empty = r1 <= r0
    bbox[:] = np.stack([r0, r1, c0, c1], axis=1)
    bbox[empty] = 0
    # rings are stored grouped by unit (flat keeps unit order), so each unit owns a contiguous ring range
    unit_ring = np.searchsorted(owner, np.arange(n + 1), side="left").astype(np.int64)
    # labels are exact only when every cell lies wholly in one unit: vertices on grid nodes and edges along grid lines
    aligned = bool(u.size) and bool(np.all(np.abs(u - np.round(u)) < 1e-6) and np.all(np.abs(v - np.round(v)) < 1e-6))
    if aligned:
        ru, rv = np.round(u), np.round(v)
        aligned = bool(np.all((ru[1:] == ru[:-1]) | (rv[1:] == rv[:-1]) | _ring_breaks(starts, u.size)))
    return UnitRings(
        np.ascontiguousarray(u),
        np.ascontiguousarray(v),
        starts.astype(np.int64),
        sign.astype(np.float64),
        unit_ring,
        bbox,
        aligned,
    )


def _ring_breaks(starts: np.ndarray, size: int) -> np.ndarray:
    """Mask over consecutive vertex pairs (p, p+1): True where p+1 starts another ring."""
    brk = np.zeros(max(0, size - 1), bool)
    brk[starts[1:-1] - 1] = True
    return brk


@numba.njit(cache=True)
def _edge(u0, v0, u1, v1, s, rlo, rhi, clo, chi, diff, part):  # pragma: no cover - compiled
    du = u1 - u0
    dv = v1 - v0
    if min(v0, v1) >= rhi or max(u0, u1) <= clo or min(u0, u1) >= chi:
        return
    inf = 1e300
    if du > 0:
        tu = (math.floor(u0) + 1.0 - u0) / du
        dtu = 1.0 / du
    else:
        tu = (math.ceil(u0) - 1.0 - u0) / du
        dtu = -1.0 / du
    if dv > 0:
        tv = (math.floor(v0) + 1.0 - v0) / dv
        dtv = 1.0 / dv
    elif dv < 0:
        tv = (math.ceil(v0) - 1.0 - v0) / dv
        dtv = -1.0 / dv
    else:
        tv = inf
        dtv = inf
    t = 0.0
    while t < 1.0:
        tn = min(tu, tv, 1.0)
        if tn > t:
            tm = 0.5 * (t + tn)
            um = u0 + tm * du
            vm = v0 + tm * dv
            c = int(math.floor(um))
            r = int(math.floor(vm))
            d = s * (tn - t) * du
            if c >= clo and c < chi and r < rhi:
                if r < rlo:
                    diff[0, c - clo] += d
                else:
                    part[r - rlo, c - clo] += d * (r + 1.0 - vm)
                    diff[r - rlo + 1, c - clo] += d
        t = tn
        if tn == tu:
            tu += dtu
        if tn == tv:
            tv += dtv


@numba.njit(cache=True)
def unit_coverage(u, v, ring_start, ring_sign, q0, q1, rlo, rhi, clo, chi):  # pragma: no cover - compiled
    """Fraction of each cell [rlo,rhi)×[clo,chi) covered by rings q0..q1 (one unit)."""
    nr = rhi - rlo
    nc = chi - clo
    diff = np.zeros((nr + 1, nc))
    part = np.zeros((nr, nc))
    for q in range(q0, q1):
        s = ring_sign[q]
        for p in range(ring_start[q], ring_start[q + 1] - 1):
            if u[p] != u[p + 1]:
                _edge(u[p], v[p], u[p + 1], v[p + 1], s, rlo, rhi, clo, chi, diff, part)
    for c in range(nc):
        acc = 0.0
        for i in range(nr):
            acc += diff[i, c]
            part[i, c] += acc
    return part


@numba.njit(parallel=True, cache=True)
def _coverage_accumulate(
    u, v, ring_start, ring_sign, unit_ring, bbox, row0, row1, width, row_area, cls, cls_off, val, hist, vsum, vw, cover
):  # pragma: no cover - compiled
    n = unit_ring.shape[0] - 1
    n_cls = cls.shape[0]
    n_val = val.shape[0]
    for k in numba.prange(n):
        rlo = max(bbox[k, 0], row0)
        rhi = min(bbox[k, 1], row1)
        clo = max(bbox[k, 2], 0)
        chi = min(bbox[k, 3], width)
        if rlo >= rhi or clo >= chi:
            continue
        cov = unit_coverage(u, v, ring_start, ring_sign, unit_ring[k], unit_ring[k + 1], rlo, rhi, clo, chi)
        for i in range(rhi - rlo):
            rr = rlo + i - row0
            ar = row_area[rr]
            for j in range(chi - clo):
                f = cov[i, j]
                if f <= 1e-12:
                    continue
                if f > 1.0:
                    f = 1.0
                w = f * ar
                cover[k] += w
                cc = clo + j
                for m in range(n_cls):
                    x = cls[m, rr, cc]
                    if x >= 0:
                        hist[k, cls_off[m] + x] += w
                for m in range(n_val):
                    y = val[m, rr, cc]
                    if y == y:
                        vsum[k, m] += w * y
                        vw[k, m] += w
