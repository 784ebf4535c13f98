"""Cross-check against an independent delineation: GRASS r.watershed (Debian grass-core).

The GRASS chain. r.fill.dir fills the DEM; it is run again on its own output until
nothing changes, as its manual says ("it may be necessary to run r.fill.dir repeatedly
... before all of problem areas are filled": one pass leaves 4 % of the Rhine cells in
336 pits, up to 68 m below the filled surface; four passes fill it, a fifth changes
nothing). r.watershed ``-s`` then gives single-flow (D8) directions and its
accumulation. Nothing of ours enters it.

What is compared. Our unit outlets are the outlets. Each is matched to the nearest GRASS
cell within 3 cells whose GRASS accumulation is within 20 % of our upstream area there
(so the very same cell whenever it qualifies), one to one (greedy by distance, then by
area difference); an outlet without such a cell is left out. Both tools then assign
every cell to the first matched outlet its own D8 path reaches, and we report the share
of the region's cells that both assign, and the agreement on those cells, twice:

- "same_cell": only the outlets matched at the very same cell – outlets at the same
  places, the issue's criterion;
- "snapped": all matched outlets (the GRASS cell up to 3 cells away).

Both must agree on ≥ 95 % of the cells on all three DEMs, over the shares asserted below.
Measured (2026-11): NE China same_cell 0.999 over 49 % of the region, snapped 0.999 over
58 %; Rhine 0.993 over 98 %, 0.990 over 99 %; Texas 0.998 over 89 %, 0.998 over 90 %.
The unmatched rest lies mostly at the edge of the valid data, where water leaves the
region: r.watershed does not pass flow on along edges (its accumulation there is cut),
and it lets water leave at the first cell beside the edge while ours may run a few
cells along it. The NE China DEM is small (14 units) and has no-data holes, hence its share.

Why not closest-area snapping. Taking the GRASS cell whose accumulation is closest to
ours moves main-stem outlets up to 3 cells downstream past a tributary mouth and
lets the two branches at a confluence swap outlets; that measured 0.88–0.90 on the Rhine
while the same cells, matched as above, agree on 0.99.

Flats (3 % of the Rhine grid, 7 % of Texas, after filling): both tools drain a flat
breadth-first from its exits, and ``route_flats`` scans neighbours in r.watershed's
order (cardinal first), so with r.watershed run on our own filled DEM the two agree on
99.6 % of the Rhine's flat cells' directions (89 % on Texas). With the diagonal-first
order used before, the Rhine agreed on 0.970 snapped here.
With a single r.fill.dir pass (pits left to r.watershed's A*) the Rhine agreement is
0.936 snapped / 0.973 same cell: the difference is then GRASS's unfinished fill.

Geographic DEMs: r.watershed picks directions as if lat/lon cells were square (on the
Rhine 30″ grid it matches an isotropic steepest descent on 96 % of cells but our
ground-distance one on only 77 %), so on the raw geographic grid the two cannot agree.
The Rhine and Texas DEMs are therefore warped to a projected grid (ETRS89-LAEA 700 m;
UTM 14N 80 m; bilinear) and both tools run on that same copy. Our geographic handling
itself (ellipsoidal areas) is tested against pyproj Geod in test_watersheds.py.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio

from soil_conservation_plugin.core.watersheds import delineation as W

from ..conftest import shared_file

GRASS = shutil.which("grass") or "grass"  # grass-core is in the Makefile's apt list
SNAP = 3  # outlets are matched within this many cells ...
MATCH = 0.2  # ... where both drain the same area within 20 %
FILL_PASSES = 30  # r.fill.dir repeats until its output stops changing (5 passes on the Rhine)
# r.watershed drainage: direction × 45° counter-clockwise from east; negative = leaves the region
GRASS_DIR = {1: (-1, 1), 2: (-1, 0), 3: (-1, -1), 4: (0, -1), 5: (1, -1), 6: (1, 0), 7: (1, 1), 8: (0, 1)}


def grass_watershed(dem: Path, epsg: int, tmp: Path):
    """(drainage, |accumulation|, fill passes) of GRASS on ``dem`` (in a location of ``epsg``)."""
    script = tmp / "grass.sh"
    script.write_text(
        "set -e\n"
        """trap 'echo "GRASS_STEP_FAILED status=$? step=$BASH_COMMAND" >&2' ERR\n"""
        f"r.in.gdal -o input={dem} output=f0 --q\n"
        "g.region raster=f0\n"
        "i=0\n"
        f"while [ $i -lt {FILL_PASSES} ]; do\n"
        "  j=$((i + 1))\n"
        "  r.fill.dir input=f$i output=f$j direction=fdir$j --q\n"
        '  r.mapcalc "changed$j = if(f$j != f$i, 1, 0)" --q\n'
        "  n=$(r.univar -g changed$j | sed -n 's/^sum=//p')\n"
        "  i=$j\n"
        '  if [ "$n" = "0" ]; then break; fi\n'
        "done\n"
        "echo FILL_PASSES=$i\n"
        "r.watershed -s elevation=f$i accumulation=acc drainage=dir --q\n"
        f"r.out.gdal -c input=dir output={tmp / 'dir.tif'} type=Int16 --q\n"
        f"r.out.gdal -c input=acc output={tmp / 'acc.tif'} type=Float64 --q\n"
    )
    run = subprocess.run(
        [GRASS, "--tmp-location", f"EPSG:{epsg}", "--exec", "bash", str(script)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if run.returncode != 0:
        grass_failed(run)
    passes = int(next(line for line in run.stdout.splitlines() if line.startswith("FILL_PASSES=")).split("=")[1])
    with rasterio.open(tmp / "dir.tif") as src:
        d = src.read(1, masked=True).filled(0).astype(np.int64)
    with rasterio.open(tmp / "acc.tif") as src:
        acc = np.abs(src.read(1, masked=True).filled(0))
    return d, acc, passes


def grass_version() -> tuple[int, int]:
    run = subprocess.run([GRASS, "--version"], check=True, capture_output=True, text=True)
    out = run.stdout + run.stderr  # "GRASS GIS 8.2.1" on stderr (8.2), "GRASS 8.5.0" on stdout (8.5)
    m = re.search(r"GRASS (?:GIS )?(\d+)\.(\d+)", out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


# GRASS regressions seen, by module: (first version, exit status). GRASS 8.5.0 (Debian sid)
# r.fill.dir is killed by SIGSEGV on its third pass over the Texas copy;
# 8.2.1 (Debian 12) and 8.4.1 (Debian 13) fill it.
GRASS_CRASHES = {"r.fill.dir": ((8, 5), 128 + signal.SIGSEGV)}


def grass_failed(run: subprocess.CompletedProcess) -> None:
    """A failed GRASS chain: skipped, naming the regression, when it is a known GRASS crash on
    this GRASS version; any other failure fails the test."""
    m = re.search(r"GRASS_STEP_FAILED status=(\d+) step=(\S+)", run.stderr)
    status, step = (int(m.group(1)), m.group(2)) if m else (run.returncode, "?")
    known = GRASS_CRASHES.get(step)
    version = grass_version()
    if known is not None and status == known[1] and version >= known[0]:
        pytest.skip(
            f"GRASS {version[0]}.{version[1]} regression: {step} crashes (signal {status - 128}, SIGSEGV) on this DEM "
            "(GRASS 8.2 and 8.4 fill it); the GRASS cross-check cannot run here"
        )
    raise AssertionError(f"GRASS {version} failed at {step} (status {status}):\n{run.stderr[-3000:]}")


def warp(dem: Path, epsg: int, res: float, out: Path) -> Path:
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    with rasterio.open(dem) as src:
        t, w, h = calculate_default_transform(
            src.crs, f"EPSG:{epsg}", src.width, src.height, *src.bounds, resolution=res
        )
        z = np.full((h, w), -9999.0, dtype="float32")
        reproject(
            rasterio.band(src, 1),
            z,
            dst_transform=t,
            dst_crs=f"EPSG:{epsg}",
            dst_nodata=-9999.0,
            resampling=Resampling.bilinear,
        )
    with rasterio.open(
        out,
        "w",
        driver="GTiff",
        width=w,
        height=h,
        count=1,
        dtype="float32",
        crs=f"EPSG:{epsg}",
        transform=t,
        nodata=-9999.0,
    ) as dst:
        dst.write(z, 1)
    return out


def grass_next(d: np.ndarray) -> np.ndarray:
    nrow, ncol = d.shape
    rr, cc = np.divmod(np.arange(d.size), ncol)
    flat = d.ravel()
    nxt = np.arange(d.size)  # pits, no data and flow out of the region stay put
    for code, (dr, dc) in GRASS_DIR.items():
        m = flat == code
        r2, c2 = rr[m] + dr, cc[m] + dc
        inside = (r2 >= 0) & (r2 < nrow) & (c2 >= 0) & (c2 < ncol)
        idx = np.flatnonzero(m)[inside]
        nxt[idx] = r2[inside] * ncol + c2[inside]
    return nxt


def first_outlet_reached(nxt: np.ndarray, outlets: np.ndarray) -> np.ndarray:
    """Label (1..k) of the first outlet each cell's path reaches, 0 if none: pointer doubling with outlets absorbing."""
    nxt = nxt.copy()
    label = np.zeros(nxt.size, dtype=np.int64)
    label[outlets] = np.arange(1, outlets.size + 1)
    nxt[outlets] = outlets
    for _ in range(64):
        jumped = nxt[nxt]
        if np.array_equal(jumped, nxt):
            break
        nxt = jumped
    return label[nxt]


def match_outlets(outlets, area_cells, acc: np.ndarray):
    """(our outlet cells, GRASS cells, distance in cells) of the one-to-one matches: for each
    outlet the nearest cell within SNAP whose GRASS accumulation is within MATCH of our area."""
    nrow, ncol = acc.shape
    cands = []
    for k, (o, a) in enumerate(zip(outlets, area_cells)):
        r, c = divmod(int(o), ncol)
        for rr in range(max(0, r - SNAP), min(nrow, r + SNAP + 1)):
            for cc in range(max(0, c - SNAP), min(ncol, c + SNAP + 1)):
                err = abs(acc[rr, cc] - a) / a
                if err <= MATCH:
                    cands.append((max(abs(rr - r), abs(cc - c)), err, k, rr * ncol + cc))
    cands.sort()
    taken_o, taken_t, pairs = set(), set(), []
    for dist, _, k, t in cands:
        if k not in taken_o and t not in taken_t:
            taken_o.add(k)
            taken_t.add(t)
            pairs.append((int(outlets[k]), t, dist))
    pairs.sort()
    ours, theirs, dist = (np.array(x, dtype=np.int64) for x in zip(*pairs)) if pairs else (np.empty(0, np.int64),) * 3
    return ours, theirs, dist


def compare(dem: Path, tmp_path: Path, params: W.UnitParams, epsg: int) -> dict:
    """Ours vs GRASS on ``dem``: for outlets at the same cell and for snapped outlets,
    (agreement on the cells both assign, share of the region's cells both assign)."""
    res = W.delineate(dem, params=params, vectorise=False)
    d, acc, passes = grass_watershed(dem, epsg, tmp_path)
    assert passes < FILL_PASSES, "r.fill.dir did not converge"
    nrow, ncol = res.shape
    assert d.shape == (nrow, ncol)
    area_cells = res.upa_km2 / res.cell_km2[res.outlet_cell]  # our upstream area in cells
    ours_o, theirs_o, dist = match_outlets(res.outlet_cell, area_cells, acc)
    ours_next = res.ds.astype(np.int64)
    ours_next[ours_next < 0] = np.flatnonzero(ours_next < 0)
    gnext = grass_next(d)
    region = res.units.ravel() > 0

    def agreement(keep):
        ours = first_outlet_reached(ours_next, ours_o[keep])
        theirs = first_outlet_reached(gnext, theirs_o[keep])
        both = region & (ours > 0) & (theirs > 0)
        return float((ours[both] == theirs[both]).mean()), float(both.sum() / region.sum())

    out = {
        "same_cell": agreement(dist == 0),
        "snapped": agreement(np.ones(dist.size, dtype=bool)),
        "outlets": (len(res.outlet_cell), int(ours_o.size), int((dist == 0).sum())),  # ours, matched, at the same cell
        "fill_passes": passes,
    }
    print(dem.name, out)
    return out


def check(out: dict, same_share: float, snapped_share: float) -> None:
    (same, same_cov), (snapped, snapped_cov) = out["same_cell"], out["snapped"]
    assert same >= 0.95 and same_cov >= same_share, out
    assert snapped >= 0.95 and snapped_cov >= snapped_share, out


def test_ne_china_utm_agrees_with_grass(tmp_path, shared_data):
    dem = shared_file(shared_data, "dem_ne_china_90m", "dem.tif")
    out = compare(
        dem, tmp_path, W.UnitParams(target_min_km2=3, max_km2=6, merge_below_km2=0.5, stream_min_km2=0.2), 32651
    )
    # a small DEM (14 units) with no-data holes: its outlets beside them stay unmatched
    check(out, same_share=0.4, snapped_share=0.5)


def test_rhine_agrees_with_grass_on_a_projected_copy(tmp_path, shared_data):
    dem = shared_file(shared_data, "dem_rhine_30arcsec", "rhine_elv0.tif")
    warped = warp(dem, 3035, 700.0, tmp_path / "rhine_laea.tif")
    params = W.UnitParams(target_min_km2=300, max_km2=500, merge_below_km2=50, stream_min_km2=20)
    out = compare(warped, tmp_path, params, 3035)
    assert out["fill_passes"] > 1, out  # one r.fill.dir pass leaves pits here (see the module docstring)
    check(out, same_share=0.95, snapped_share=0.95)


def test_texas_flat_agrees_with_grass_on_a_projected_copy(tmp_path, shared_data):
    dem = shared_file(shared_data, "dem_texas_3arcsec", "dem.tif")
    warped = warp(dem, 32614, 80.0, tmp_path / "texas_utm.tif")
    out = compare(
        warped, tmp_path, W.UnitParams(target_min_km2=30, max_km2=50, merge_below_km2=5, stream_min_km2=1), 32614
    )
    check(out, same_share=0.85, snapped_share=0.85)


def test_only_a_known_grass_crash_is_skipped():
    """The skip above is for the named regression only: another step or status, or an older GRASS, fails."""

    def failed(step, status):
        return subprocess.CompletedProcess([], status, "", f"GRASS_STEP_FAILED status={status} step={step} --q\n")

    with pytest.raises(AssertionError, match="r.watershed"):
        grass_failed(failed("r.watershed", 139))
    with pytest.raises(AssertionError, match="status 1"):
        grass_failed(failed("r.fill.dir", 1))
    if grass_version() >= GRASS_CRASHES["r.fill.dir"][0]:
        with pytest.raises(pytest.skip.Exception, match="regression: r.fill.dir crashes"):
            grass_failed(failed("r.fill.dir", 139))
    else:
        with pytest.raises(AssertionError, match="r.fill.dir"):
            grass_failed(failed("r.fill.dir", 139))
