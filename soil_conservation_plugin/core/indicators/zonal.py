"""The zonal pass: every raster of one grid counted over the units, band by band.

Label counting walks runs of one unit along the rows (from the unit raster, from the units' edges on the
grid, or from rasterized labels) and counts each raster in its stored dtype with the classification
fused in; otherwise cells are weighted by their exact coverage fractions (``coverage``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numba
import numpy as np
import rasterio
from rasterio.windows import Window

from ..common.errors import InputError
from ..common.feedback import Feedback, SubFeedback
from ..common.tables import read_csv
from ..terrain.slope import slope_bands
from .coverage import UnitRings, _coverage_accumulate, unit_coverage, unit_rings
from .grid import Grid, open_grid, read_env

if TYPE_CHECKING:
    from .sources import Source


_NO_BREAKS = (np.zeros((0, 1), np.float32), np.zeros(0, np.int64), np.zeros(0, np.bool_), np.zeros(0, np.int64))


_NO_CMAP = np.zeros(0, np.int16)


MAX_BREAKS = 8


def _breaks_spec(layers) -> tuple:
    """[(breaks, upper_inclusive), ...] → padded arrays for _count_kernel (one class layer each)."""
    nb = max(len(b) for b, _ in layers)
    breaks = np.full((len(layers), max(MAX_BREAKS, nb)), np.inf, np.float32)
    for m, (b, _) in enumerate(layers):
        breaks[m, : len(b)] = b
    n_breaks = np.array([len(b) for b, _ in layers], np.int64)
    upper = np.array([bool(u) for _, u in layers], np.bool_)
    off = np.concatenate([[0], np.cumsum(n_breaks + 1)[:-1]]).astype(np.int64)
    return breaks, n_breaks, upper, off


@numba.njit(cache=True)
def _unit_at(labels, lut, i, j):  # pragma: no cover - compiled
    lab = labels[i, j]
    if lab >= 0 and lab < lut.shape[0]:
        return lut[lab] - 1
    return -1


@numba.njit(parallel=True, cache=True)
def label_runs(labels, lut, n_chunks):  # pragma: no cover - compiled
    """Runs of one unit along the rows: (row, first col, end col, unit) with unit = lut[label] − 1.

    Counting then walks runs, not labels: a run's cells share a unit and a row area, so the per-cell
    work is only the raster's own test. Rows in parallel: the changes of stored label bound each row's
    runs (a branch-free count), then the runs are filled in; slots left over keep unit −1 (skipped)."""
    h, w = labels.shape
    per_row = np.zeros(h + 1, np.int64)
    for t in numba.prange(n_chunks):
        for i in range(t * h // n_chunks, (t + 1) * h // n_chunks):
            m = 1
            for j in range(1, w):
                m += labels[i, j] != labels[i, j - 1]
            per_row[i + 1] = m
    start = np.cumsum(per_row)
    m = start[h]
    rows = np.empty(m, np.int32)
    j0 = np.zeros(m, np.int32)
    j1 = np.zeros(m, np.int32)
    unit = np.full(m, -1, np.int32)
    for t in numba.prange(n_chunks):
        for i in range(t * h // n_chunks, (t + 1) * h // n_chunks):
            rows[start[i] : start[i + 1]] = i
            q = start[i] - 1
            prev = -1
            for j in range(w):
                k = _unit_at(labels, lut, i, j)
                if k != prev:
                    if prev >= 0:
                        j1[q] = j
                    if k >= 0:
                        q += 1
                        j0[q] = j
                        unit[q] = k
                    prev = k
            if prev >= 0:
                j1[q] = w
    return rows, j0, j1, unit


_REASSOC = {"reassoc", "nsz"}  # the compiler may reorder a run's sums (SIMD); NaN tests stay exact (no "nnan")


@numba.njit(cache=True, fastmath=_REASSOC)
def _run_values(raw, i, j0, j1, nodata, has_nodata, scale):  # pragma: no cover - compiled
    """(sum of float32(x × scale), count) over the valid cells of raw[i, j0:j1]."""
    s = 0.0
    nv = 0
    for j in range(j0, j1):
        x = raw[i, j]
        ok = (x == x) & ((not has_nodata) | (x != nodata))
        y = np.float32(x * scale)
        s += np.float64(y) if ok else 0.0
        nv += ok
    return s, nv


@numba.njit(cache=True, fastmath=_REASSOC)
def _run_classes(raw, i, j0, j1, nodata, has_nodata, scale, brk, upper):  # pragma: no cover - compiled
    """(valid count, sum of values, g) over raw[i, j0:j1]: g[b] = number of cells above break b (≥, or >
    when upper) for MAX_BREAKS sorted breaks (padded with +inf). Branch-free: class c holds g[c−1] − g[c] cells."""
    b0, b1, b2, b3, b4, b5, b6, b7 = brk[0], brk[1], brk[2], brk[3], brk[4], brk[5], brk[6], brk[7]
    g0 = g1 = g2 = g3 = g4 = g5 = g6 = g7 = 0
    nv = 0
    s = 0.0
    lo = np.float32(-np.inf)
    for j in range(j0, j1):
        x = raw[i, j]
        ok = (x == x) & ((not has_nodata) | (x != nodata))
        y = np.float32(x * scale) if ok else lo
        s += np.float64(y) if ok else 0.0
        nv += ok
        if upper:
            g0 += y > b0
            g1 += y > b1
            g2 += y > b2
            g3 += y > b3
            g4 += y > b4
            g5 += y > b5
            g6 += y > b6
            g7 += y > b7
        else:
            g0 += y >= b0
            g1 += y >= b1
            g2 += y >= b2
            g3 += y >= b3
            g4 += y >= b4
            g5 += y >= b5
            g6 += y >= b6
            g7 += y >= b7
    return nv, s, (g0, g1, g2, g3, g4, g5, g6, g7)


@numba.njit(cache=True)
def _classify_one(y, brk, nb, upper):  # pragma: no cover - compiled
    cl = 0
    while cl < nb and ((y > brk[cl]) if upper else (y >= brk[cl])):
        cl += 1
    return cl


@numba.njit(cache=True)
def _count_runs_chunk(
    rows,
    j0,
    j1,
    unit,
    q0,
    q1,
    row_area,
    raw,
    nodata,
    has_nodata,
    scale,
    mode,
    breaks,
    n_breaks,
    upper,
    layer_off,
    cmap,
    other,
    with_value,
    ph,
    ps,
    pw,
    pc,
):  # pragma: no cover - compiled
    n_hist = ph.shape[1]
    nc = cmap.shape[0]
    rc = np.zeros(max(1, n_hist), np.int64)
    for q in range(q0, q1):
        i = rows[q]
        a = j0[q]
        b = j1[q]
        k = unit[q]
        if k < 0:
            continue
        ar = row_area[i]
        pc[k] += (b - a) * ar
        if mode == 2:
            for j in range(a, b):
                x = raw[i, j]
                if (has_nodata and x == nodata) or x != x:
                    continue
                c = int(x)
                cl = cmap[c] if 0 <= c < nc else other
                if cl >= 0:
                    rc[cl] += 1
            for c in range(n_hist):
                if rc[c]:
                    ph[k, c] += rc[c] * ar
                    rc[c] = 0
            continue
        summed = False
        if mode == 1:
            for m in range(breaks.shape[0]):
                nb = n_breaks[m]
                off = layer_off[m]
                if nb <= MAX_BREAKS:
                    nv, sv, g = _run_classes(raw, i, a, b, nodata, has_nodata, scale, breaks[m], upper[m])
                    if with_value and not summed:  # the values came along with the first layer
                        ps[k] += sv * ar
                        pw[k] += nv * ar
                        summed = True
                    prev = nv
                    for c in range(nb):
                        ph[k, off + c] += (prev - g[c]) * ar
                        prev = g[c]
                    ph[k, off + nb] += prev * ar
                else:
                    for j in range(a, b):
                        x = raw[i, j]
                        if (has_nodata and x == nodata) or x != x:
                            continue
                        ph[k, off + _classify_one(np.float32(x * scale), breaks[m], nb, upper[m])] += ar
        if with_value and not summed:
            s, nv = _run_values(raw, i, a, b, nodata, has_nodata, scale)
            ps[k] += s * ar
            pw[k] += nv * ar


@numba.njit(parallel=True, cache=True)
def _count_kernel(
    rows,
    j0,
    j1,
    unit,
    row_area,
    raw,
    nodata,
    has_nodata,
    scale,
    mode,
    breaks,
    n_breaks,
    upper,
    layer_off,
    cmap,
    other,
    with_value,
    with_cover,
    n_units,
    n_hist,
    n_chunks,
):  # pragma: no cover - compiled
    """Label counting of one raster in its stored dtype over the runs of label_runs, classification fused in.

    Each cell weighs its row's ground area. mode 1: class of float32(x × scale) by each layer's sorted
    breaks (upper: a break belongs to the class below); mode 2: class cmap[int(x)] (codes beyond the
    table → other; −1 = no data); mode 0: values only. NoData and NaN cells count in cover only.
    Chunks of runs in parallel on private sums, added up at the end. Returns (hist, vsum, vw, cover)."""
    m = rows.shape[0]
    ph = np.zeros((n_chunks, n_units, n_hist))
    ps = np.zeros((n_chunks, n_units))
    pw = np.zeros((n_chunks, n_units))
    pc = np.zeros((n_chunks, n_units))
    for t in numba.prange(n_chunks):
        _count_runs_chunk(
            rows,
            j0,
            j1,
            unit,
            t * m // n_chunks,
            (t + 1) * m // n_chunks,
            row_area,
            raw,
            nodata,
            has_nodata,
            scale,
            mode,
            breaks,
            n_breaks,
            upper,
            layer_off,
            cmap,
            other,
            with_value,
            ph[t],
            ps[t],
            pw[t],
            pc[t],
        )
    hist = np.zeros((n_units, n_hist))
    vsum = np.zeros(n_units)
    vw = np.zeros(n_units)
    cover = np.zeros(n_units)
    for t in range(n_chunks):
        hist += ph[t]
        vsum += ps[t]
        vw += pw[t]
        if with_cover:
            cover += pc[t]
    return hist, vsum, vw, cover


def n_chunks_for(rows: int) -> int:
    return max(1, min(rows, numba.get_num_threads()))


@numba.njit(cache=True)
def _grid_events(u, v, ring_start, ring_sign, unit_ring, row0, row1, width):  # pragma: no cover - compiled
    """Vertical edges of units on the grid lines as per-row events (column, ±(unit + 1), ±1): by Green's
    theorem (as in unit_coverage, turned by 90°) a cell's unit is the sum of the events left of it."""
    h = row1 - row0
    n = unit_ring.shape[0] - 1
    per_row = np.zeros(h + 1, np.int64)
    for k in range(n):
        for q in range(unit_ring[k], unit_ring[k + 1]):
            for p in range(ring_start[q], ring_start[q + 1] - 1):
                ua = int(round(u[p]))
                va = int(round(v[p]))
                vb = int(round(v[p + 1]))
                if va == vb or ua >= width or int(round(u[p + 1])) != ua:
                    continue
                for r in range(max(min(va, vb), row0), min(max(va, vb), row1)):
                    per_row[r - row0 + 1] += 1
    start = np.cumsum(per_row)
    col = np.empty(start[h], np.int64)
    dlab = np.empty(start[h], np.int64)
    dcnt = np.empty(start[h], np.int64)
    pos = start[:h].copy()
    for k in range(n):
        for q in range(unit_ring[k], unit_ring[k + 1]):
            s = 1 if ring_sign[q] > 0 else -1
            for p in range(ring_start[q], ring_start[q + 1] - 1):
                ua = int(round(u[p]))
                va = int(round(v[p]))
                vb = int(round(v[p + 1]))
                if va == vb or ua >= width or int(round(u[p + 1])) != ua:
                    continue
                d = -s if vb > va else s
                for r in range(max(min(va, vb), row0), min(max(va, vb), row1)):
                    e = pos[r - row0]
                    col[e] = max(ua, 0)
                    dlab[e] = d * (k + 1)
                    dcnt[e] = d
                    pos[r - row0] += 1
    return start, col, dlab, dcnt


@numba.njit(parallel=True, cache=True)
def _grid_sweep(start, col, dlab, dcnt, width, n_units, n_chunks):  # pragma: no cover - compiled
    """Runs (row, first col, end col, unit) from the events of each row, swept in column order; unit −1
    marks unused slots. ok is False where units overlap or rings are malformed (counts not 0 or 1)."""
    h = start.shape[0] - 1
    m = start[h]
    rows = np.empty(m, np.int32)
    j0 = np.zeros(m, np.int32)
    j1 = np.zeros(m, np.int32)
    unit = np.full(m, -1, np.int32)
    bad = np.zeros(n_chunks, np.int64)
    for t in numba.prange(n_chunks):
        for i in range(t * h // n_chunks, (t + 1) * h // n_chunks):
            e0 = start[i]
            e1 = start[i + 1]
            rows[e0:e1] = i
            order = np.argsort(col[e0:e1]) + e0
            lab = 0
            cnt = 0
            q = e0
            e = 0
            while e < e1 - e0:
                c = col[order[e]]
                while e < e1 - e0 and col[order[e]] == c:
                    lab += dlab[order[e]]
                    cnt += dcnt[order[e]]
                    e += 1
                c_next = col[order[e]] if e < e1 - e0 else width
                if cnt == 1 and 1 <= lab <= n_units:
                    if c_next > c:
                        j0[q] = c
                        j1[q] = c_next
                        unit[q] = lab - 1
                        q += 1
                elif cnt != 0 or lab != 0:
                    bad[t] += 1
    return (rows, j0, j1, unit), bad.sum() == 0


def grid_runs(rings: "UnitRings", grid: "Grid", row0: int, row1: int):
    """Exact runs (see label_runs) of rows [row0, row1) for units on the grid's lines, straight from their
    edges (no label raster), or None when units overlap there (label counting would then miss cells)."""
    start, col, dlab, dcnt = _grid_events(
        rings.u, rings.v, rings.ring_start, rings.ring_sign, rings.unit_ring, row0, row1, grid.width
    )
    runs, ok = _grid_sweep(start, col, dlab, dcnt, grid.width, rings.unit_ring.shape[0] - 1, n_chunks_for(row1 - row0))
    return runs if ok else None


@numba.njit(parallel=True, cache=True)
def _label_raster(
    u, v, ring_start, ring_sign, unit_ring, bbox, row0, row1, width, labels
):  # pragma: no cover - compiled
    """labels[r, c] = k + 1 where unit k covers more than half of the cell (all of it for units on the grid)."""
    n = unit_ring.shape[0] - 1
    for k in numba.prange(n):
        rlo = max(bbox[k, 0], row0)
        rhi = min(bbox[k, 1], row1)
        clo = max(bbox[k, 2], 0)
        chi = min(bbox[k, 3], width)
        if rlo >= rhi or clo >= chi:
            continue
        cov = unit_coverage(u, v, ring_start, ring_sign, unit_ring[k], unit_ring[k + 1], rlo, rhi, clo, chi)
        for i in range(rhi - rlo):
            for j in range(chi - clo):
                if cov[i, j] > 0.5:
                    labels[rlo + i - row0, clo + j] = k + 1


def rasterize_labels(rings: UnitRings, grid: Grid, row0: int, row1: int) -> np.ndarray:
    """int32 label raster of rows [row0, row1): unit index + 1, 0 outside every unit."""
    labels = np.zeros((row1 - row0, grid.width), np.int32)
    _label_raster(
        rings.u, rings.v, rings.ring_start, rings.ring_sign, rings.unit_ring, rings.bbox, row0, row1, grid.width, labels
    )
    return labels


class LabelRaster:
    """The units as rasterized by the watershed step: int32 labels (0 = none) and a label → unit_code table."""

    def __init__(self, path, unit_codes, layer: str = "小流域栅格 unit raster", crs_cache: dict | None = None):
        self.path, self.layer = str(path), layer
        self.grid = open_grid(path, layer, crs_cache)
        with rasterio.open(self.path) as src:
            if np.dtype(src.dtypes[0]).kind not in "iu":
                raise InputError(
                    layer,
                    f"小流域栅格必须是整数标签(实际 {src.dtypes[0]})",
                    f"the unit raster must hold integer labels (got {src.dtypes[0]})",
                )
        table = Path(str(path)[: -len(Path(path).suffix)] + ".codes.csv")
        if not table.exists():
            raise InputError(
                layer,
                f"缺少标签对照表 {table.name}(label,unit_code)",
                f"the label table {table.name} (label,unit_code) is missing",
            )
        index = {str(c): i for i, c in enumerate(unit_codes)}
        pairs = [(int(r["label"]), index.get(r["unit_code"], -1)) for r in read_csv(table)]
        if not pairs or all(k < 0 for _, k in pairs):
            raise InputError(
                layer, "标签表中的 unit_code 与小流域图层不匹配", "no unit_code of the label table is in the unit layer"
            )
        self.lut = np.zeros(max(lab for lab, _ in pairs) + 1, np.int32)
        for lab, k in pairs:
            if lab > 0:
                self.lut[lab] = k + 1

    def read_raw(self, row0, row1) -> np.ndarray:
        """Stored labels of rows [row0, row1); self.lut maps them to unit index + 1."""
        with read_env(), rasterio.open(self.path) as src:
            return src.read(1, window=Window(0, row0, self.grid.width, row1 - row0))


def zonal_pass(
    geoms,
    sources: list[Source],
    method: str = "auto",
    feedback: Feedback | None = None,
    rings_xy: list | None = None,
    labels: LabelRaster | None = None,
) -> dict:
    """Run every source of one grid over the units (geoms in the grid's CRS). Returns columns and the method used.

    ``labels``: the units' own label raster on this grid (counted as is, no rasterization).
    ``shares``: source name → (share of each unit's area with valid data, the source's columns)."""
    feedback = feedback or Feedback()
    grid = sources[0].grid
    # the polygons in grid coordinates are needed unless the unit raster is given
    rings = unit_rings(geoms, grid, rings_xy) if labels is None else None
    aligned = rings is not None and rings.aligned
    n = len(geoms)
    use_labels = labels is not None or method == "label" or (method == "auto" and aligned)
    if labels is None and method == "label" and not aligned:
        feedback.info(
            "units are not aligned to the grid: label counting gives each cell to the unit covering most of it "
            "(approximate)"
        )
    cls_counts = [k for s in sources for k in s.n_classes]
    cls_off = (
        np.concatenate([[0], np.cumsum(cls_counts)[:-1]]).astype(np.int64) if cls_counts else np.zeros(0, np.int64)
    )
    hist = np.zeros((n, int(sum(cls_counts))))
    n_val = sum(s.n_values for s in sources)
    vsum, vw, cover = np.zeros((n, n_val)), np.zeros((n, n_val)), np.zeros(n)
    # each source's columns in hist / vsum
    h_off = np.concatenate([[0], np.cumsum([sum(s.n_classes) for s in sources])]).astype(int)
    v_off = np.concatenate([[0], np.cumsum([s.n_values for s in sources])]).astype(int)
    slope_dem = next((s.dem for s in sources if s.dem is not None), None)  # the slope source's DEM
    step = grid.band_rows()
    if slope_dem is not None:
        bands = slope_bands(slope_dem, SubFeedback(feedback, 0, 100))
    else:
        bands = ((r0, min(grid.height, r0 + step), None) for r0 in range(0, grid.height, step))
    identity = np.arange(n + 1, dtype=np.int32)
    fell_back = False
    for s in sources:
        s.open()
    try:
        for row0, row1, slope in bands:
            feedback.check()
            area = grid.row_area(row0, row1)
            runs = None
            if labels is not None:
                runs = label_runs(labels.read_raw(row0, row1), labels.lut, n_chunks_for(row1 - row0))
            elif rings is not None and use_labels and aligned:
                runs = grid_runs(rings, grid, row0, row1)
                fell_back |= runs is None  # overlapping units here: this band by coverage fractions
            elif rings is not None and use_labels:
                runs = label_runs(rasterize_labels(rings, grid, row0, row1), identity, n_chunks_for(row1 - row0))
            if runs is not None:
                # label counting: each raster read once in its stored dtype, classified and counted in one pass
                for i, s in enumerate(sources):
                    h, vs, ws, cv = s.count(row0, row1, slope, runs, area, i == 0, n)
                    hist[:, h_off[i] : h_off[i + 1]] += h
                    if s.n_values:
                        vsum[:, v_off[i]] += vs
                        vw[:, v_off[i]] += ws
                    if i == 0:
                        cover += cv
            elif rings is not None:  # (always, without a unit raster)
                # one buffer per band; each source writes its layers into its own slice (no concatenation copies)
                cls = np.empty((len(cls_counts), row1 - row0, grid.width), np.int16)
                val = np.empty((n_val, row1 - row0, grid.width), np.float32)
                c0 = v0 = 0
                for s in sources:
                    s.block(row0, row1, slope, cls[c0 : c0 + len(s.n_classes)], val[v0 : v0 + s.n_values])
                    c0 += len(s.n_classes)
                    v0 += s.n_values
                _coverage_accumulate(
                    rings.u,
                    rings.v,
                    rings.ring_start,
                    rings.ring_sign,
                    rings.unit_ring,
                    rings.bbox,
                    row0,
                    row1,
                    grid.width,
                    area,
                    cls,
                    cls_off,
                    val,
                    hist,
                    vsum,
                    vw,
                    cover,
                )
            if slope_dem is None:
                feedback.progress(100.0 * row1 / grid.height)
    finally:
        for s in sources:
            s.close()
    columns, shares = _columns(sources, hist, vsum, vw, cover, h_off, v_off)
    if labels is not None:
        method_used = "label raster"
    elif use_labels and not fell_back:
        method_used = "label"
    elif use_labels:
        feedback.info("units overlap: where they do, cells were counted by exact coverage fractions")
        method_used = "label+coverage"
    else:
        method_used = "coverage"
    return {"columns": columns, "cover_m2": cover, "method": method_used, "shares": shares}


def _columns(sources: list[Source], hist, vsum, vw, cover, h_off, v_off) -> tuple[dict, dict]:
    """Each source's indicator columns from its slices of the sums, and its share of valid data per unit."""
    columns, shares = {}, {}
    for i, s in enumerate(sources):
        hs, h0 = [], h_off[i]
        for k in s.n_classes:
            hs.append(hist[:, h0 : h0 + k])
            h0 += k
        vw_s = vw[:, v_off[i] : v_off[i + 1]]
        cols = s.finish(hs, vsum[:, v_off[i] : v_off[i + 1]], vw_s, cover)
        columns.update(cols)
        valid_m2 = s.valid_m2(hs, vw_s)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[s.name] = (np.where(cover > 0, valid_m2 / cover, 0.0), list(cols))
    return columns, shares
