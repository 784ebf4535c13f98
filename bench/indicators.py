"""Bench: the indicator step on ~5 000 small watersheds over a 16 M+ cell raster, against exactextract.

    .venv/bin/python bench/indicators.py [--size 4096] [--units 5000] [--repeat 3] [--ee-python /tmp/ee_venv/bin/python]

Same-grid case: units are Voronoi cells rasterized on the 30 m grid and polygonized
(edges on cell edges, like units delineated from the DEM); timed three ways: with the unit
raster given (label raster + codes table, as the watershed step writes them), with label runs
taken from the polygons' edges ("label"), and with exact coverage fractions. Three rasters on that grid
(erosion modulus → SL 190 classes, land use → groups, FVC → mean). Off-grid case: the
same rasters shifted by a third of a cell, so every boundary cell is fractional.

exactextract (pip wheel bundling its own GDAL) must live in a SEPARATE venv, never in the
project's: `python3 -m venv /tmp/ee_venv && /tmp/ee_venv/bin/pip install exactextract==0.3.0 numpy`.
It runs in a child process on the same data (.npy rasters, GeoJSON units). The work is the
same or less for it: only its exact_extract() calls are timed (arrays already in memory, units
already parsed), and it gets the erosion classes precomputed; ours reads the three GeoTIFFs and
the unit raster, classifies the modulus, checks the inputs (negative moduli, FVC range) and also
computes ellipsoidal unit areas and the mean modulus. The results are compared (largest difference
of the soil-loss share, forest/grass share and mean FVC between the two).

Timing: each side repeats the full call --repeat times in one process and reports the best and the
median (wall and CPU). Ours is measured after a first full call in the same process (numba's
on-disk cache warm, GDAL/pyproj loaded); that first call ("cold start": a fresh process, cache on
disk) and a compile from an empty numba cache are printed separately. exactextract has nothing to
compile; its first call is one of its timed repeats. CPU time is the fairer number on a shared
machine (ours uses numba threads, exactextract one); peak RSS of each child is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EE_CHILD = r"""
import json, resource, sys, time
import numpy as np
from exactextract import exact_extract
from exactextract.feature import JSONFeatureSource
from exactextract.raster import NumPyRasterSource
d, repeat = sys.argv[1], int(sys.argv[2])
meta = json.load(open(f"{d}/meta.json"))
feats = json.load(open(f"{d}/units.geojson"))["features"]
xmin, ymin, xmax, ymax = meta["bounds"]
rasters = [NumPyRasterSource(np.load(f"{d}/{n}.npy"), xmin, ymin, xmax, ymax, nodata=meta["nodata"][n], name=n)
           for n in ("eros_cls", "landuse", "fvc")]
vec = JSONFeatureSource(feats)
walls, cpus = [], []
for _ in range(repeat):
    t0 = time.perf_counter(); c0 = time.process_time()
    res_cls = exact_extract(rasters[:2], vec, ["unique", "frac"], include_cols=["unit_code"], output="geojson")
    res_fvc = exact_extract(rasters[2], vec, ["mean"], include_cols=["unit_code"], output="geojson")
    walls.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0)
out = {"walls": walls, "cpus": cpus, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0}
# shares per unit for the comparison: erosion classes >= light (codes 1..5), land use forest + grass (codes 3, 4)
out["loss_frac"], out["fg_frac"] = {}, {}
for feat in res_cls:
    p = feat["properties"]
    out["loss_frac"][p["unit_code"]] = float(sum(fr for cc, fr in zip(p["eros_cls_unique"], p["eros_cls_frac"])
                                                 if cc >= 1))
    out["fg_frac"][p["unit_code"]] = float(sum(fr for cc, fr in zip(p["landuse_unique"], p["landuse_frac"])
                                               if cc in (3, 4)))
out["fvc_mean"] = {f["properties"]["unit_code"]: float(f["properties"].get("mean", f["properties"].get("fvc_mean")))
                   for f in res_fvc}
json.dump(out, open(f"{d}/ee_out.json", "w"))
"""

OURS_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
import geopandas as gpd
from soil_conservation_plugin.core.indicators import compute as ind
d, method, repeat = sys.argv[1], sys.argv[3], int(sys.argv[4])
t0 = time.perf_counter()
units = gpd.read_file(f"{d}/units.gpkg", layer="units")
t_read = time.perf_counter() - t0
kw = dict(erosion=f"{d}/erosion.tif", landuse=f"{d}/landuse.tif", fvc=f"{d}/fvc.tif",
          method="auto" if method == "labels" else method, labels=f"{d}/units.tif" if method == "labels" else None)
walls, cpus = [], []
for _ in range(repeat + 1):  # the first call is the cold start
    t0 = time.perf_counter(); c0 = time.process_time()
    gdf, info = ind.compute_indicators(units, **kw)
    walls.append(time.perf_counter() - t0); cpus.append(time.process_time() - c0)
lu = gdf["forest_grass_pct"].astype(float)
out = {"cold": walls[0], "cold_cpu": cpus[0], "walls": walls[1:], "cpus": cpus[1:], "read_units": t_read,
       "method": info["grids"][0]["method"],
       "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
       "loss_pct": dict(zip(gdf["unit_code"], gdf["loss_pct"].astype(float))),
       "fvc_mean": dict(zip(gdf["unit_code"], gdf["fvc_mean"].astype(float))),
       "fg_pct": dict(zip(gdf["unit_code"], lu))}
json.dump(out, open(f"{d}/ours_{method}.json", "w"))
"""


def make_data(d: Path, size: int, n_units: int, shift: float) -> None:
    import geopandas as gpd
    import rasterio
    from rasterio import features
    from rasterio.transform import from_origin
    from scipy import ndimage
    from shapely.geometry import shape

    rng = np.random.default_rng(42)
    res = 30.0
    x0, y0 = 42_400_000.0, 4_800_000.0
    t_units = from_origin(x0, y0, res, res)
    # Voronoi units on the grid: nearest seed by the EDT's index map
    seeds = np.ones((size, size), bool)
    rs, cs = rng.integers(0, size, n_units), rng.integers(0, size, n_units)
    seeds[rs, cs] = False
    _, (ir, ic) = ndimage.distance_transform_edt(seeds, return_indices=True)
    seed_id = np.zeros((size, size), np.int32)
    seed_id[rs, cs] = np.arange(1, n_units + 1)
    labels = seed_id[ir, ic]
    del ir, ic, seeds
    geoms, codes = [], []
    for geom, val in features.shapes(labels, transform=t_units):
        geoms.append(shape(geom))
        codes.append(int(val))
    units = (
        gpd.GeoDataFrame({"unit_code": [f"W{c:05d}" for c in codes]}, geometry=geoms, crs="EPSG:4530")
        .dissolve(by="unit_code")
        .reset_index()
    )
    units.to_file(d / "units.gpkg", layer="units", driver="GPKG")
    # the unit raster as the watershed step writes it: int32 labels + label → unit_code table
    with rasterio.open(
        d / "units.tif",
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="int32",
        crs="EPSG:4530",
        transform=t_units,
        nodata=0,
        tiled=True,
    ) as dst:
        dst.write(labels, 1)
    (d / "units.codes.csv").write_text(
        "label,unit_code\n" + "".join(f"{c},W{c:05d}\n" for c in sorted(set(codes))), encoding="utf-8"
    )
    # rasters (on the unit grid, or shifted by `shift` cells)
    t = from_origin(x0 + shift * res, y0 - shift * res, res, res)
    yy = np.linspace(0, 1, size)[:, None]
    eros = (rng.gamma(1.2, 1500.0, (size, size)) * (0.3 + yy)).astype("float32")
    lu = rng.choice(np.array([1, 2, 3, 4, 7, 10, 11, 12], "uint8"), (size, size))
    fvc = rng.uniform(0, 1, (size, size)).astype("float32")
    prof = {
        "driver": "GTiff",
        "width": size,
        "height": size,
        "count": 1,
        "crs": "EPSG:4530",
        "transform": t,
        "tiled": True,
    }
    for name, arr, nd in (("erosion", eros, -9999), ("landuse", lu, 0), ("fvc", fvc, -9999)):
        with rasterio.open(d / f"{name}.tif", "w", dtype=arr.dtype, nodata=nd, **prof) as dst:
            dst.write(arr, 1)
    # the same data for exactextract: SL 190 class codes 0..5 of the modulus (-1 NoData)
    cls = np.searchsorted(np.array([200, 2500, 5000, 8000, 15000], "float32"), eros, side="right").astype("int16")
    cls[eros < 0] = -1
    np.save(d / "eros_cls.npy", cls)
    np.save(d / "landuse.npy", lu.astype("int16"))
    np.save(d / "fvc.npy", fvc)
    b = (t.c, t.f + t.e * size, t.c + t.a * size, t.f)
    (d / "meta.json").write_text(json.dumps({"bounds": b, "nodata": {"eros_cls": -1, "landuse": 0, "fvc": -9999}}))
    (d / "units.geojson").write_text(units.to_json())


def child(cmd: list[str], env: dict | None = None) -> None:
    subprocess.run(cmd, check=True, env=env)


def stats(r: dict) -> tuple[float, float, float, float]:
    """(best wall, median wall, best CPU, median CPU)."""
    return min(r["walls"]), statistics.median(r["walls"]), min(r["cpus"]), statistics.median(r["cpus"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, default=4096)
    ap.add_argument("--units", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--ee-python", default="/tmp/ee_venv/bin/python")
    ap.add_argument("--make", help=argparse.SUPPRESS)
    ap.add_argument("--shift", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:
        make_data(Path(args.make), args.size, args.units, args.shift)
        return
    has_ee = (
        Path(args.ee_python).exists()
        and subprocess.run([args.ee_python, "-c", "import exactextract"], capture_output=True).returncode == 0
    )
    if not has_ee:
        print(
            f"exactextract not found at {args.ee_python}: install it in a throwaway venv (see the docstring); "
            "comparing the methods of ours only"
        )
    print(
        f"grid {args.size}×{args.size} = {args.size * args.size / 1e6:.1f} M cells, ~{args.units} units, "
        f"{os.cpu_count()} cores, "
        f"{args.repeat} timed repeats each (best / median)"
    )
    for case, shift in (("same grid", 0.0), ("off grid (shift 1/3 cell)", 1.0 / 3.0)):
        with tempfile.TemporaryDirectory(prefix="bench_ind_") as tmp:
            d = Path(tmp)
            t0 = time.perf_counter()
            # in a child, so that the children timed below do not inherit this process's peak RSS
            # (kept across fork + exec)
            child(
                [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--make",
                    str(d),
                    "--size",
                    str(args.size),
                    "--units",
                    str(args.units),
                    "--shift",
                    repr(shift),
                ]
            )
            print(f"\n== {case}: data made in {time.perf_counter() - t0:.1f} s")
            py = sys.executable
            methods = ["labels", "auto", "coverage"] if shift == 0 else ["auto"]
            ours = {}
            if shift == 0:
                # compile from an empty numba cache (first use after installing the plugin)
                with tempfile.TemporaryDirectory(prefix="bench_numba_") as cache:
                    child(
                        [py, "-c", OURS_CHILD, str(d), str(ROOT), "labels", "0"],
                        env={**os.environ, "NUMBA_CACHE_DIR": cache},
                    )
                    r = json.loads((d / "ours_labels.json").read_text())
                    print(
                        f"ours cold, empty numba cache (compiles): {r['cold']:6.2f} s wall "
                        f"{r['cold_cpu']:6.2f} s CPU (label raster)"
                    )
            for m in methods:
                child([py, "-c", OURS_CHILD, str(d), str(ROOT), m, str(args.repeat)])
                ours[m] = r = json.loads((d / f"ours_{m}.json").read_text())
                bw, mw, bc, mc = stats(r)
                print(
                    f"ours ({r['method']:12s}): {bw:6.2f} / {mw:6.2f} s wall {bc:6.2f} / {mc:6.2f} s CPU  "
                    f"cold start {r['cold']:5.2f} s"
                    f"  peak RSS {r['rss_mb']:5.0f} MB  (reading the GPKG units: {r['read_units']:.2f} s more)"
                )
            if has_ee:
                child([args.ee_python, "-c", EE_CHILD, str(d), str(args.repeat)])
                ee = json.loads((d / "ee_out.json").read_text())
                ebw, emw, ebc, emc = stats(ee)
                print(
                    f"exactextract          : {ebw:6.2f} / {emw:6.2f} s wall {ebc:6.2f} / {emc:6.2f} s CPU"
                    "                    "
                    f"  peak RSS {ee['rss_mb']:5.0f} MB  (exact_extract calls on in-memory arrays only)"
                )
                for r in ours.values():
                    bw, mw, bc, mc = stats(r)
                    print(
                        f"ratio exactextract / ours ({r['method']}): best {ebw / bw:.1f}×, "
                        f"median {emw / mw:.1f}× wall; "
                        f"best {ebc / bc:.1f}×, median {emc / mc:.1f}× CPU; vs our cold start {emw / r['cold']:.1f}×"
                    )
                for r in ours.values():
                    codes = list(ee["loss_frac"])
                    dl = max(abs(100 * ee["loss_frac"][c] - r["loss_pct"][c]) for c in codes)
                    dg = max(abs(100 * ee["fg_frac"][c] - r["fg_pct"][c]) for c in codes)
                    df = max(abs(ee["fvc_mean"][c] - r["fvc_mean"][c]) for c in codes)
                    print(
                        f"agreement ({r['method']}): max |Δ| loss share {dl:.1e} %, "
                        f"forest+grass share {dg:.1e} % (of unit area), mean FVC {df:.1e}"
                    )


if __name__ == "__main__":
    main()
