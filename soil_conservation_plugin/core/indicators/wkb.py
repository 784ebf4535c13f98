"""Polygon rings straight from WKB: every ring of every unit as (xy array, is_hole), parsed in one compiled pass.

Reading shapely's coordinates ring by ring costs a Python call per ring; the units' WKB, joined in one
buffer, is scanned by numba instead. WKB it cannot read (curves, odd EWKB flags) goes through the slower
pure-Python reader, which names the type it does not support.
"""

from __future__ import annotations

import numba
import numpy as np


def _wkb_polygons(buf: bytes, pos: int, out: list) -> int:
    """Append (xy, is_hole) of every polygon ring in the WKB at ``pos``; return the position after it."""
    order = "<" if buf[pos] == 1 else ">"
    gtype = int(np.frombuffer(buf, order + "u4", 1, pos + 1)[0])
    pos += 5
    dims = 2
    if gtype & 0x80000000:  # EWKB Z
        dims += 1
    if gtype & 0x40000000:  # EWKB M
        dims += 1
    if gtype & 0x20000000:  # EWKB SRID
        pos += 4
    base = gtype & 0x0FFFFFFF
    if base >= 1000:  # ISO Z / M / ZM
        dims += {1: 1, 2: 1, 3: 2}[base // 1000]
        base %= 1000
    count = int(np.frombuffer(buf, order + "u4", 1, pos)[0])
    pos += 4
    if base == 3:
        for r in range(count):
            n = int(np.frombuffer(buf, order + "u4", 1, pos)[0])
            pos += 4
            xy = np.frombuffer(buf, order + "f8", n * dims, pos).reshape(n, dims)[:, :2].astype(np.float64)
            pos += 8 * n * dims
            out.append((xy, r > 0))
        return pos
    if base in (6, 7):
        for _ in range(count):
            pos = _wkb_polygons(buf, pos, out)
        return pos
    # points and lines inside a collection carry no area: skip them
    if base == 1:
        return pos - 4 + 8 * dims
    if base == 2:
        return pos + 8 * count * dims
    if base in (4, 5):
        for _ in range(count):
            pos = _wkb_polygons(buf, pos, [])
        return pos
    raise ValueError(f"unsupported WKB geometry type {gtype}")


def _wkb_all(geoms) -> list:
    """WKB of each geometry (None stays None): vectorized on shapely 2, one shared writer on shapely 1.8."""
    if isinstance(geoms, (list, tuple)):
        # element by element: numpy would unpack shapely 1.8's multi-part geometries as sequences
        arr = np.empty(len(geoms), dtype=object)
        for i, g in enumerate(geoms):
            arr[i] = g
    else:
        arr = np.asarray(geoms, dtype=object)  # a GeometryArray's own array, without its per-item checks
    try:
        from shapely import to_wkb  # shapely >= 2
    except ImportError:
        from shapely.geos import WKBWriter, lgeos

        writer = WKBWriter(lgeos)
        return [None if g is None else writer.write(g) for g in arr]
    return list(to_wkb(arr))


@numba.njit(cache=True)
def _wkb_u32(buf, pos, little):  # pragma: no cover - compiled
    if little:
        return (
            np.int64(buf[pos])
            | (np.int64(buf[pos + 1]) << 8)
            | (np.int64(buf[pos + 2]) << 16)
            | (np.int64(buf[pos + 3]) << 24)
        )
    return (
        np.int64(buf[pos + 3])
        | (np.int64(buf[pos + 2]) << 8)
        | (np.int64(buf[pos + 1]) << 16)
        | (np.int64(buf[pos]) << 24)
    )


@numba.njit(cache=True)
def _wkb_scan(buf, starts, fill, xy, ring_geom, ring_start, ring_hole):  # pragma: no cover - compiled
    """Walk every geometry's WKB (buf[starts[g]:starts[g + 1]]); count its polygon rings and points, and
    with fill also copy them out. Collections need no stack: their parts follow one another, so a
    count of headers still to read is enough. Returns (rings, points), or (-1, g) on a type it cannot read."""
    n_rings = 0
    n_pts = 0
    for g in range(starts.shape[0] - 1):
        pos = starts[g]
        if pos == starts[g + 1]:
            continue
        todo = 1
        while todo > 0:
            todo -= 1
            little = buf[pos] == 1
            gtype = _wkb_u32(buf, pos + 1, little)
            pos += 5
            dims = 2
            if gtype & 0x80000000:
                dims += 1
            if gtype & 0x40000000:
                dims += 1
            if gtype & 0x20000000:
                pos += 4
            base = gtype & 0x0FFFFFFF
            if base >= 1000:
                dims += 2 if base // 1000 == 3 else 1
                base %= 1000
            if base == 1:  # a point inside a collection: no area
                pos += 8 * dims
                continue
            count = _wkb_u32(buf, pos, little)
            pos += 4
            if base == 3:
                for r in range(count):
                    n = _wkb_u32(buf, pos, little)
                    pos += 4
                    if fill:
                        ring_geom[n_rings] = g
                        ring_start[n_rings] = n_pts
                        ring_hole[n_rings] = r > 0
                        if little:
                            c = buf[pos : pos + 8 * n * dims].view(np.float64)
                            for i in range(n):
                                xy[n_pts + i, 0] = c[i * dims]
                                xy[n_pts + i, 1] = c[i * dims + 1]
                        else:
                            for i in range(n):
                                for d in range(2):
                                    q = pos + 8 * (i * dims + d)
                                    xy[n_pts + i, d] = buf[q : q + 8][::-1].copy().view(np.float64)[0]
                    n_rings += 1
                    n_pts += n
                    pos += 8 * n * dims
            elif base == 2:
                pos += 8 * count * dims
            elif 4 <= base <= 7:
                todo += count
            else:
                return -1, g
    if fill:
        ring_start[n_rings] = n_pts
    return n_rings, n_pts


def ring_arrays(geoms) -> list:
    """Per geometry: [(xy array (n, 2), is_hole), ...]; from WKB, all geometries parsed in one compiled pass
    (the xy arrays are views into one array)."""
    wkbs = _wkb_all(geoms)
    lengths = np.array([0 if b is None else len(b) for b in wkbs], np.int64)
    buf = np.frombuffer(b"".join(b for b in wkbs if b is not None), np.uint8)
    starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    n_rings, n_pts = _wkb_scan(
        buf, starts, False, np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.bool_)
    )
    if n_rings < 0:  # not readable here: the slower reader names the type
        parsed = []
        for b in wkbs:
            rings: list = []
            if b is not None:
                _wkb_polygons(b, 0, rings)
            parsed.append(rings)
        return parsed
    xy = np.empty((n_pts, 2))
    ring_geom = np.empty(n_rings, np.int64)
    ring_start = np.empty(n_rings + 1, np.int64)
    ring_hole = np.empty(n_rings, np.bool_)
    _wkb_scan(buf, starts, True, xy, ring_geom, ring_start, ring_hole)
    out: list = [[] for _ in wkbs]
    for g, a, b, hole in zip(ring_geom.tolist(), ring_start[:-1].tolist(), ring_start[1:].tolist(), ring_hole.tolist()):
        out[g].append((xy[a:b], hole))
    return out
