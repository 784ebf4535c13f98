"""The tiled depression fill and D8 of the 小流域 delineation (core/watersheds/fill.py).

Reference: a textbook priority flood written here in plain Python (heapq, every valid
cell on the grid border or next to no data is an outlet at its own elevation). Its
levels are minimax path levels, so they are exact; the tiled fill must reproduce them
bit for bit, whatever the tile size, and so must the D8 derived from them.
"""

from __future__ import annotations

import heapq

import numpy as np
import pytest
import rasterio
from pyflwdir.dem import fill_depressions

from soil_conservation_plugin.core.common.errors import CancelledError
from soil_conservation_plugin.core.common.feedback import Feedback
from soil_conservation_plugin.core.watersheds import fill as F
from soil_conservation_plugin.core.watersheds import kernels as K

from ..conftest import shared_file

NB = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]


def reference_fill(z: np.ndarray) -> np.ndarray:
    nrow, ncol = z.shape
    valid = np.isfinite(z)
    level = np.full(z.shape, np.nan, dtype=z.dtype)
    heap = []
    for r in range(nrow):
        for c in range(ncol):
            if not valid[r, c]:
                continue
            edge = r in (0, nrow - 1) or c in (0, ncol - 1) or any(not valid[r + dr, c + dc] for dr, dc in NB)
            if edge:
                level[r, c] = z[r, c]
                heapq.heappush(heap, (float(z[r, c]), r, c))
    done = np.isfinite(level)
    while heap:
        lv, r, c = heapq.heappop(heap)
        for dr, dc in NB:
            rr, cc = r + dr, c + dc
            if 0 <= rr < nrow and 0 <= cc < ncol and valid[rr, cc] and not done[rr, cc]:
                done[rr, cc] = True
                level[rr, cc] = max(z[rr, cc], np.float32(lv))
                heapq.heappush(heap, (float(level[rr, cc]), rr, cc))
    return level


def rough_dem(nrow, ncol, seed, holes=True):
    """Rough terrain rounded to 0.1 m (many closed depressions and flats), with no-data holes."""
    rng = np.random.default_rng(seed)
    coarse = rng.normal(size=(nrow // 8 + 2, ncol // 8 + 2)).cumsum(0).cumsum(1)
    z = np.kron(coarse, np.ones((8, 8)))[:nrow, :ncol] + rng.normal(scale=0.3, size=(nrow, ncol))
    z = np.round(z, 1).astype(np.float32)
    if holes:
        z[rng.random(z.shape) < 0.01] = np.nan
        z[nrow // 3 : nrow // 3 + 12, ncol // 4 : ncol // 4 + 17] = np.nan
    return z


def same(a, b):
    return np.array_equal(np.nan_to_num(a, nan=-1e30), np.nan_to_num(b, nan=-1e30))


def condition(z, tile, dx=30.0, dy=30.0):
    zz = z.copy()
    d8 = F.fill_and_d8(zz, np.full(z.shape[0], dx), np.full(z.shape[0], dy), tile=tile)
    return zz, d8


def drains_to_exit(d8, z):
    """Every valid cell's D8 path ends at an exit (code 0) on the edge of the valid data, with no cycle."""
    ds = K.d8_to_ds(d8)
    valid = np.isfinite(z).ravel()
    cur = np.where(valid, np.arange(ds.size), -1)
    nxt = ds.copy()
    for _ in range(64):  # pointer doubling: 2⁶⁴ steps
        nxt2 = np.where(nxt >= 0, nxt[np.maximum(nxt, 0)], -1)
        if np.array_equal(nxt2, nxt):
            break
        nxt = nxt2
    ends = nxt[valid]
    assert (ends >= 0).all()
    assert (d8.ravel()[ends] == 0).all()  # pits are exits only
    nrow, ncol = z.shape
    r, c = np.divmod(np.unique(ends), ncol)
    zp = np.pad(np.isfinite(z), 1, constant_values=False)
    edge = np.zeros(r.size, dtype=bool)
    for dr, dc in NB:
        edge |= ~zp[r + 1 + dr, c + 1 + dc]
    assert edge.all()
    return cur


@pytest.mark.parametrize("shape,seed", [((61, 83), 1), ((120, 97), 2)])
def test_tiled_levels_equal_a_plain_priority_flood(shape, seed):
    z = rough_dem(*shape, seed)
    ref = reference_fill(z)
    assert not same(ref, z)  # there is something to fill
    d8_first = None
    for tile in (10_000, 40, 23, 7):
        zf, d8 = condition(z, tile)
        assert same(zf, ref), f"tile {tile}: max diff {np.nanmax(np.abs(zf - ref))}"
        # D8 depends on the levels only: the same for every tiling
        if d8_first is None:
            d8_first = d8
        assert np.array_equal(d8, d8_first), f"tile {tile}"
        drains_to_exit(d8, z)


def test_flat_edge_stretch_leaves_at_its_first_cell():
    # a bowl whose rim is lowest along a flat stretch of the top edge (columns 3..8 at 1.0)
    z = np.full((10, 12), 5.0, dtype=np.float32)
    z[3:8, 3:9] = 0.0
    z[0:3, 3:9] = 1.0
    z0, d8 = condition(z, 10_000)
    _, d8_tiled = condition(z, 4)
    assert np.array_equal(d8, d8_tiled)
    assert (z0[3:8, 3:9] == 1.0).all()  # the bowl fills to its spill level
    exits = np.argwhere(d8 == 0)
    top_exits = [tuple(e) for e in exits if z0[tuple(e)] == 1.0]
    assert top_exits == [(0, 3)]
    drains_to_exit(d8, z)


def test_steepest_descent_uses_ground_distance():
    # the centre cell has two lower neighbours: east 1 m lower, south 1.5 m lower. With square
    # cells south is steeper; with cells twice as long north–south, east is
    z = np.full((7, 7), 10.0, dtype=np.float32)
    z[3, 3], z[3, 4], z[4, 3] = 5.0, 4.0, 3.5
    z[3, 5:], z[5:, 3] = 3.0, 2.0  # both keep draining to the edge
    _, d8 = condition(z, 4, dx=30.0, dy=30.0)
    assert d8[3, 3] == 4  # south (pyflwdir / ESRI code)
    _, d8 = condition(z, 4, dx=30.0, dy=60.0)
    assert d8[3, 3] == 1  # east


def test_cancel_stops_the_fill():
    class CancelAfterFirstTile(Feedback):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def progress(self, p):
            self.calls += 1

        def cancelled(self):
            return self.calls >= 1

    z = rough_dem(200, 200, 3, holes=False)
    with pytest.raises(CancelledError):
        F.fill_and_d8(z, np.full(200, 30.0), np.full(200, 30.0), CancelAfterFirstTile(), tile=50)


@pytest.mark.parametrize(
    "name,file,window",
    [
        ("dem_ne_china_90m", "dem.tif", None),
        ("dem_texas_3arcsec", "dem.tif", (0, 0, 900, 900)),  # flat: many filled flats span tiles
        ("dem_rhine_30arcsec", "rhine_elv0.tif", None),  # half no data: outlets along a ragged edge in many tiles
    ],
)
def test_real_dems_tiled_equals_single_tile(shared_data, name, file, window):
    path = shared_file(shared_data, name, file)
    with rasterio.open(path) as src:
        win = rasterio.windows.Window(*window) if window else None
        z = src.read(1, window=win, masked=True).astype("float32").filled(np.nan)
    whole, d8_whole = condition(z, 10_000)
    tiled, d8_tiled = condition(z, 173)
    assert same(whole, tiled)
    assert np.array_equal(d8_whole, d8_tiled)
    # against pyflwdir's own whole-DEM fill (float32 arithmetic there: an ulp apart at most)
    zf_pyflwdir, _ = fill_depressions(z, outlets="edge", nodata=np.nan)
    ok = np.isfinite(z)
    assert np.allclose(whole[ok], zf_pyflwdir[ok], rtol=1e-6, atol=1e-4)
    assert (whole[ok] >= z[ok]).all()
    drains_to_exit(d8_tiled, z)
