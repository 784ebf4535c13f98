"""Bench: the chain on a province-sized, province-shaped synthetic DEM (issue 16, item 3).

A seeded 30 m DEM of 吉林's size in one transverse Mercator grid on the CGCS2000 ellipsoid
(central meridian 126.5°E): NoData outside the province (the real outline from
../shared/data/jilin_counties where present, else a synthetic one), plains in the west
(松嫩平原, ~130–250 m), the 长白山 mountains rising to the south-east (peak ~2 700 m), and flat
lakes (查干湖, 松花湖, 天池). It is written band by band (bounded memory) as a tiled GeoTIFF.

Then each step of the chain (小流域, slope, steep slope) runs in a fresh child process through
the plugin's Processing algorithms, as make demo runs them; each prints its wall time and peak
RSS, or the refusal it gives. Not a test: numbers depend on the machine.

    .venv/bin/python bench/province.py --scale 0.1     # 300 m cells: a quick look (~2.7 × 2 k cells)
    .venv/bin/python bench/province.py                 # 30 m: ~27 000 × 20 000 cells, 2 GB of DEM

Goals (issue 16): peak RSS < 6 GB and the whole chain < 20 min on 2 cores, on the full-size DEM.
Until the chain runs on tiles (Dask), the in-memory engine refuses a DEM this size up front, and
this bench says so: that refusal is the baseline the tiled engine is measured against.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PROVINCE = REPO.parent / "shared" / "data" / "jilin_counties" / "jilin_province.shp"
CRS_PROJ = "+proj=tmerc +lat_0=0 +lon_0=126.5 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"
BOUNDS_LONLAT = (121.6, 40.8, 131.4, 46.4)  # 吉林 and a margin
CELL_M = 30.0
NODATA = -9999.0
BAND_ROWS = 256
# (lon, lat, radius km, level m): flat water surfaces
LAKES = ((124.28, 45.27, 9.0, 130.0), (126.83, 43.55, 6.0, 262.0), (128.06, 42.0, 2.5, 2189.0))
PEAK = (128.06, 42.0)  # 长白山 天池

STEP = r"""
import json, resource, sys, time
sys.path.insert(0, {repo!r})
from soil_conservation_plugin.headless import start_qgis
app, plugin = start_qgis()
from pathlib import Path
from soil_conservation_plugin.core.common.feedback import Feedback
from soil_conservation_plugin.processing.pipeline import chain_steps, resolve, run_step
inputs, out, index = json.loads(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
done_file = out / "bench_done.json"
done = json.loads(done_file.read_text()) if done_file.exists() else {{}}
name, algorithm, make = chain_steps(inputs, out, done)[index]
params = {{k: resolve(v, done) for k, v in make().items()}}
for value in params.values():
    if isinstance(value, str) and value.startswith(str(out)):
        Path(value.split("|")[0]).parent.mkdir(parents=True, exist_ok=True)
t0 = time.perf_counter()
try:
    result, error = run_step(algorithm, params, Feedback()), None
except Exception as exc:  # the refusal is a result here
    result, error = None, str(exc)
seconds = time.perf_counter() - t0
if result is not None:
    done[name] = result
    done_file.write_text(json.dumps(done, default=str))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"step": name, "seconds": seconds, "rss_mb": rss, "error": error}}))
plugin.unload()
app.exitQgis()
"""


class Grid:
    def __init__(self, cell_m: float):
        from pyproj import Transformer
        from rasterio.transform import from_origin

        fwd = Transformer.from_crs("EPSG:4490", CRS_PROJ, always_xy=True)
        lo, la = np.meshgrid(np.linspace(BOUNDS_LONLAT[0], BOUNDS_LONLAT[2], 50), np.linspace(*BOUNDS_LONLAT[1::2], 50))
        x, y = fwd.transform(lo, la)
        self.x0, self.y1 = np.floor(x.min() / 1000) * 1000, np.ceil(y.max() / 1000) * 1000
        self.width = int(np.ceil((x.max() - self.x0) / cell_m))
        self.height = int(np.ceil((self.y1 - y.min()) / cell_m))
        self.cell = cell_m
        self.transform = from_origin(self.x0, self.y1, cell_m, cell_m)
        self.fwd = fwd

    def xy(self, lon, lat):
        return self.fwd.transform(lon, lat)


class Octaves:
    """Seeded value noise: coarse random grids (one per wavelength) sampled bilinearly."""

    def __init__(self, grid: Grid, rng, wavelengths_m=(60_000, 20_000, 6_000, 2_000, 600)):
        self.grid = grid
        self.layers = []
        for i, wl in enumerate(wavelengths_m):
            ny = int(grid.height * grid.cell / wl) + 3
            nx = int(grid.width * grid.cell / wl) + 3
            self.layers.append((wl, rng.standard_normal((ny, nx)).astype("float32"), 0.55**i))

    def rows(self, r0: int, r1: int) -> np.ndarray:
        g = self.grid
        yy = (np.arange(r0, r1) + 0.5)[:, None] * g.cell
        xx = (np.arange(g.width) + 0.5)[None, :] * g.cell
        total = np.zeros((r1 - r0, g.width), dtype="float32")
        for wl, field, amp in self.layers:
            fy, fx = yy / wl, xx / wl
            iy, ix = fy.astype(int), fx.astype(int)
            wy, wx = (fy - iy).astype("float32"), (fx - ix).astype("float32")
            total += amp * (
                field[iy, ix] * (1 - wy) * (1 - wx)
                + field[iy + 1, ix] * wy * (1 - wx)
                + field[iy, ix + 1] * (1 - wy) * wx
                + field[iy + 1, ix + 1] * wy * wx
            )
        return total


def province_mask_shapes(grid: Grid):
    """The province polygons in the grid's CRS (the real outline where present, else a synthetic one)."""
    if PROVINCE.exists():
        import geopandas as gpd

        gdf = gpd.read_file(PROVINCE).to_crs(CRS_PROJ)
        return list(gdf.geometry), gdf
    from shapely.geometry import Point

    cx, cy = grid.xy(126.2, 43.6)
    blob = Point(cx, cy).buffer(1.0, resolution=64)
    from shapely import affinity

    return [affinity.scale(blob, 400_000, 260_000)], None


def make_dem(path: Path, cell_m: float, seed: int) -> dict:
    import rasterio
    import rasterio.features

    rng = np.random.default_rng(seed)
    grid = Grid(cell_m)
    shapes, _ = province_mask_shapes(grid)
    noise = Octaves(grid, rng)
    px, py = grid.xy(*PEAK)
    lakes = [(*grid.xy(lo, la), r * 1000.0, level) for lo, la, r, level in LAKES]
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": "float32",
        "crs": CRS_PROJ,
        "transform": grid.transform,
        "nodata": NODATA,
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "DEFLATE",
        "predictor": 3,
        "BIGTIFF": "YES",
    }
    valid_cells = 0
    with rasterio.open(path, "w", **profile) as dst:
        xx = grid.x0 + (np.arange(grid.width) + 0.5)[None, :] * cell_m
        for r0 in range(0, grid.height, BAND_ROWS):
            r1 = min(grid.height, r0 + BAND_ROWS)
            yy = grid.y1 - (np.arange(r0, r1) + 0.5)[:, None] * cell_m
            n = noise.rows(r0, r1)
            # distance to 天池 in km: the mountains rise towards it, the plains lie far from it
            d = np.hypot(xx - px, yy - py) / 1000.0
            mountain = np.clip(1.0 - d / 420.0, 0.0, 1.0) ** 2.2
            z = 140.0 + 2550.0 * mountain * (0.75 + 0.25 * np.tanh(n)) + (25.0 + 380.0 * mountain) * n
            for lx, ly, lr, level in lakes:
                z = np.where(np.hypot(xx - lx, yy - ly) < lr, np.float32(level), z)
            mask = rasterio.features.geometry_mask(
                shapes,
                (r1 - r0, grid.width),
                rasterio.windows.transform(rasterio.windows.Window(0, r0, grid.width, r1 - r0), grid.transform),
                invert=True,
            )
            z = np.where(mask, z, NODATA).astype("float32")
            valid_cells += int(mask.sum())
            dst.write(z, 1, window=rasterio.windows.Window(0, r0, grid.width, r1 - r0))
    return {"width": grid.width, "height": grid.height, "valid_cells": valid_cells, "cell_m": cell_m}


def write_counties(path: Path) -> str | None:
    """The 60 county polygons as the chain's county layer (codes 'adcode', names 'name')."""
    if not PROVINCE.exists():
        return None
    import geopandas as gpd

    gdf = gpd.read_file(PROVINCE)[["adcode", "name", "geometry"]].to_crs(CRS_PROJ)
    gdf.to_file(path, driver="GPKG", layer="counties")
    return str(path)


def run_step(inputs: dict, out: Path, index: int) -> dict:
    r = subprocess.run(
        [
            "/usr/bin/python3" if not (REPO / ".venv").exists() else str(REPO / ".venv/bin/python"),
            "-c",
            STEP.format(repo=str(REPO)),
            json.dumps(inputs),
            str(out),
            str(index),
        ],
        capture_output=True,
        text=True,
    )
    lines = [ln for ln in r.stdout.strip().splitlines() if ln.startswith("{")]
    if r.returncode != 0 or not lines:
        return {"step": f"#{index}", "seconds": float("nan"), "rss_mb": float("nan"), "error": r.stderr[-2000:]}
    return json.loads(lines[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scale", type=float, default=1.0, help="1 = 30 m cells; 0.1 = 300 m cells (same province)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench_province")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_done.json").unlink(missing_ok=True)
    dem = args.out / "dem.tif"
    t0 = time.perf_counter()
    info = make_dem(dem, CELL_M / args.scale, args.seed)
    print(
        f"DEM {info['width']}×{info['height']} cells of {info['cell_m']:.0f} m "
        f"({info['width'] * info['height'] / 1e6:.0f} M cells, {info['valid_cells'] / 1e6:.0f} M in the province), "
        f"written in {time.perf_counter() - t0:.0f} s: {dem}"
    )
    inputs = {"dem": str(dem), "county": write_counties(args.out / "counties.gpkg"), "province": "220000"}
    if not inputs["county"]:
        print("no ../shared/data/jilin_counties: the chain needs a county layer; stopping after the DEM")
        return
    inputs |= {"county_code_field": "adcode", "county_name_field": "name"}
    total = 0.0
    for index in range(3):  # 小流域, slope, steep slope (indicators and zoning need erosion/land-use inputs)
        r = run_step(inputs, args.out, index)
        total += r["seconds"] if r["seconds"] == r["seconds"] else 0.0
        status = "ok" if not r["error"] else "REFUSED/FAILED: " + r["error"].strip().splitlines()[-1][:400]
        print(f"  {r['step']}: {r['seconds']:.1f} s, peak RSS {r['rss_mb']:.0f} MB — {status}")
    print(f"chain (the steps that ran): {total:.1f} s")


if __name__ == "__main__":
    main()
