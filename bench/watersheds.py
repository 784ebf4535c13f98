"""Bench: our whole 小流域 delineation vs pyflwdir's raw fill + D8 + subbasins on the same DEM.

Each measurement runs in a fresh child process, so peak RSS (ru_maxrss) is per run;
ours and raw alternate ``--repeat`` times and the fastest of each counts (a shared
VM is noisy). Prints wall times, the ratio ours/raw (goal ≤ 1.2), the cold-start
time (first call in a new process, numba cache warm; goal ≤ 3 s) and peak RSS
(10 000 × 10 000: goal < 6 GB; the fill runs per 256² tile, see core/watersheds/fill.py).

    .venv/bin/python bench/watersheds.py              # 4 M and 16 M cells
    .venv/bin/python bench/watersheds.py --big        # also 10 000 × 10 000 (long; RSS goal < 6 GB)
    .venv/bin/python bench/watersheds.py --sizes 10000 --only-ours  # memory of the big one only
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
mode, dem, out = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.perf_counter()
if mode == "raw":
    import numpy as np, rasterio, pyflwdir
    with rasterio.open(dem) as src:
        z = src.read(1).astype("float32"); t = src.transform
    flw = pyflwdir.from_dem(z, nodata=-9999.0, transform=t)
    upa = flw.upstream_area("km2")
    basins, idxs = flw.subbasins_area(30.0)
    n = int(basins.max())
else:
    from soil_conservation_plugin.core.watersheds import delineation as W
    res, written = W.delineate_to_files(dem, out + "/u.gpkg", out + "/t.csv", out + "/u.tif")
    n = len(res.codes)
    # every region cell in a unit, and unit areas summing to the region's (a speed-up must not drop cells)
    extra = {{"unassigned": int(res.stats["region_cells"] - (res.units > 0).sum()),
              "coverage_error": res.stats["coverage_error_rel"]}}
dt = time.perf_counter() - t0
result = {{"seconds": dt, "units": n, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}
if mode != "raw":
    result.update(extra)
print(json.dumps(result))
"""


def make_dem(path: Path, n: int) -> None:
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(42)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:32651",
        transform=from_origin(400000, 5000000, 30, 30),
        nodata=-9999,
        tiled=True,
        compress="DEFLATE",
    ) as dst:
        # rough terrain: smoothed noise plus a regional tilt, written in bands
        step = 1024
        coarse = rng.normal(size=(n // 64 + 2, n // 64 + 2)).cumsum(0).cumsum(1)
        for r0 in range(0, n, step):
            r1 = min(n, r0 + step)
            rows = np.arange(r0, r1)[:, None] / 64.0
            cols = np.arange(n)[None, :] / 64.0
            ri, ci = rows.astype(int), cols.astype(int)
            fr, fc = rows - ri, cols - ci
            z = (
                coarse[ri, ci] * (1 - fr) * (1 - fc)
                + coarse[ri + 1, ci] * fr * (1 - fc)
                + coarse[ri, ci + 1] * (1 - fr) * fc
                + coarse[ri + 1, ci + 1] * fr * fc
            )
            z = z * 2.0 + rng.normal(scale=0.5, size=z.shape) + (n - rows * 64) * 0.05
            dst.write(z.astype("float32"), 1, window=rasterio.windows.Window(0, r0, n, r1 - r0))


def child(mode: str, dem: Path, out: Path) -> dict:
    code = CHILD.format(repo=str(REPO))
    r = subprocess.run(
        [sys.executable, "-c", code, mode, str(dem), str(out)], capture_output=True, text=True, check=True
    )
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--big", action="store_true", help="also 10 000 × 10 000 cells (long)")
    ap.add_argument("--sizes", type=int, nargs="*", default=[2000, 4000], help="DEM sides in cells")
    ap.add_argument("--only-ours", action="store_true", help="skip the raw pyflwdir runs (e.g. for a memory check)")
    ap.add_argument(
        "--repeat", type=int, default=3, help="runs of each, alternating; the fastest counts (a shared VM is noisy)"
    )
    args = ap.parse_args()
    sizes = list(args.sizes) + ([10000] if args.big else [])
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        small = tmp / "small.tif"
        make_dem(small, 256)
        child("ours", small, tmp)  # compile / fill the numba cache
        cold = child("ours", small, tmp)
        print(f"cold start (new process, numba cache warm, 256×256 DEM incl. imports): {cold['seconds']:.2f} s")
        for n in sizes:
            dem = tmp / f"dem{n}.tif"
            make_dem(dem, n)
            if args.only_ours:
                ours = child("ours", dem, tmp)
                print(
                    f"{n}×{n} ({n * n / 1e6:.0f} M cells): ours {ours['seconds']:.2f} s "
                    f"(peak RSS {ours['rss_mb']:.0f} MB, {ours['units']} units, "
                    f"{ours['unassigned']} cells without a unit, coverage error {ours['coverage_error']:.1e})"
                )
                continue
            child("raw", dem, tmp)  # warm the OS file cache and pyflwdir's numba cache
            raws, ourss = [], []
            for _ in range(args.repeat):
                raws.append(child("raw", dem, tmp))
                ourss.append(child("ours", dem, tmp))
            raw = min(raws, key=lambda r: r["seconds"])
            ours = min(ourss, key=lambda r: r["seconds"])
            print(
                f"{n}×{n} ({n * n / 1e6:.0f} M cells): raw pyflwdir fill+d8+upstream area+subbasins "
                f"{raw['seconds']:.2f} s (RSS {raw['rss_mb']:.0f} MB); "
                f"ours (whole delineation, vectorising and writing) {ours['seconds']:.2f} s "
                f"(RSS {ours['rss_mb']:.0f} MB, {ours['units']} units, {ours['unassigned']} cells without a unit, "
                f"coverage error {ours['coverage_error']:.1e}); ratio {ours['seconds'] / raw['seconds']:.2f}"
            )


if __name__ == "__main__":
    main()
