"""The built-in demo region: a synthetic, seeded, county-sized piece of 吉林 the whole product runs on.

Everything here is SYNTHETIC (see ``resources/demo/region.json``); only the county
and township names and codes are real. Same seed and scale → byte-identical rasters
and identical vectors.

Terrain is a steady-state "stream-power" landscape, so D8 gives a real dendritic
valley network: flow directions come from a noisy guide surface (pyflwdir priority
flood), elevations are integrated upstream from the outlets with channel slope
``S = ks·A^-0.45`` capped by a threshold hillslope angle, and the two steps are
repeated so the network follows the surface it carved. A slope-limiting pass then
removes the cliffs left along divides without creating pits. A valley plain lies
along a main river (slopes 0–2°), mountains reach ~45°.

CLI: ``python -m soil_conservation_plugin.demo.region OUT_DIR [--scale S] [--seed N]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import numba
import numpy as np
import pyflwdir
import rasterio
import rasterio.features
from affine import Affine
from pyproj import CRS, Transformer
from scipy import ndimage
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon, box, mapping, shape
from shapely.ops import unary_union, voronoi_diagram
from shapely.prepared import prep

from ..core.common.compat import affine_mul
from ..core.common.errors import InputError
from ..core.common.feedback import Feedback, PrintFeedback, SubFeedback
from ..core.common.io import atomic_path
from ..core.common.paths import resources_path
from ..core.terrain.slope import slope_block

NAMES = (
    "dem",
    "county",
    "townships",
    "redline",
    "farmland",
    "construction",
    "water",
    "landuse",
    "fvc",
    "erosion",
    "erosion_later",
    "disturbance",
    "disturbance_previous",
)
# GPKG stamps the write time into gpkg_contents; a fixed date keeps reruns identical.
FIXED_OGR_DATE = "2000-01-01T00:00:00.000Z"


def load_recipe() -> dict:
    with open(resources_path("demo", "region.json"), encoding="utf-8") as fh:
        return json.load(fh)


# ---------------------------------------------------------------- grid


@dataclass
class Grid:
    width: int
    height: int
    cell: float
    transform: Affine
    crs: CRS

    @property
    def shape(self) -> tuple[int, int]:
        return self.height, self.width

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        t = self.transform
        return t.c, t.f - self.height * self.cell, t.c + self.width * self.cell, t.f


def make_grid(recipe: dict, scale: float) -> Grid:
    g = recipe["grid"]
    crs = CRS.from_user_input(g["crs"])
    cell = float(g["cell_size_m"])
    width, height = max(16, round(g["width"] * scale)), max(16, round(g["height"] * scale))
    lon, lat = g["center_lonlat_cgcs2000"]
    cx, cy = Transformer.from_crs(CRS.from_epsg(4490), crs, always_xy=True).transform(lon, lat)
    snap = float(g["origin_snap_m"])
    x0 = round((cx - width * cell / 2) / snap) * snap
    y1 = round((cy + height * cell / 2) / snap) * snap
    return Grid(width, height, cell, Affine(cell, 0.0, x0, 0.0, -cell, y1), crs)


# ---------------------------------------------------------------- noise and helpers


def spectral_noise(rng, shape, cell, beta, wl_max, wl_min) -> np.ndarray:
    """Gaussian noise with power ~ k^-beta between wavelengths wl_max and wl_min (m); mean 0, std 1."""
    h, w = shape
    ph, pw = (int(2 ** math.ceil(math.log2(n * 1.2 + 8))) for n in (h, w))  # padding hides the FFT wrap
    spec = np.fft.rfft2(rng.standard_normal((ph, pw)))
    ky = np.fft.fftfreq(ph, cell)[:, None]
    kx = np.fft.rfftfreq(pw, cell)[None, :]
    k = np.hypot(kx, ky)
    k[0, 0] = 1.0
    amp = k ** (-beta / 2.0) * np.exp(-((k * wl_min) ** 2)) * (1.0 - np.exp(-((k * wl_max) ** 2)))
    amp[0, 0] = 0.0
    out = np.fft.irfft2(spec * amp, s=(ph, pw))[:h, :w]
    out -= out.mean()
    sd = out.std()
    return out / sd if sd > 0 else out


def smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3.0 - 2.0 * x)


@numba.njit(cache=True)
def _integrate_upstream(seq, ds, slope, zbase, width, cell):  # pragma: no cover - compiled
    """z of each cell = z of its downstream cell + step length × slope; outlets take zbase."""
    z = np.empty(slope.size)
    diag = cell * math.sqrt(2.0)
    for k in range(seq.size):
        i = seq[k]
        j = ds[i]
        if j == i:
            z[i] = zbase[i]
        elif i // width == j // width or i % width == j % width:
            z[i] = z[j] + cell * slope[i]
        else:
            z[i] = z[j] + diag * slope[i]
    return z


_CROSS = np.array([[0, 1, 0], [1, 1, 1], [0, 1, 0]], bool)


@numba.njit(cache=True)
def _talus_sweeps(z, tan_max, cell, max_sweeps):  # pragma: no cover - compiled
    """In-place Gauss-Seidel sweeps in the four raster directions until nothing moves."""
    h, w = z.shape
    diag = cell * math.sqrt(2.0)
    for sweep in range(max_sweeps):
        moved = 0.0
        rstep = 1 if sweep % 2 == 0 else -1
        cstep = 1 if (sweep // 2) % 2 == 0 else -1
        for rr in range(h):
            r = rr if rstep == 1 else h - 1 - rr
            for cc in range(w):
                c = cc if cstep == 1 else w - 1 - cc
                lim = z[r, c]
                t = tan_max[r, c]
                for dr in range(-1, 2):
                    for dc in range(-1, 2):
                        if dr == 0 and dc == 0:
                            continue
                        r2, c2 = r + dr, c + dc
                        if r2 < 0 or r2 >= h or c2 < 0 or c2 >= w:
                            continue
                        v = z[r2, c2] + (diag if dr != 0 and dc != 0 else cell) * t
                        if v < lim:
                            lim = v
                if lim < z[r, c]:
                    moved = max(moved, z[r, c] - lim)
                    z[r, c] = lim
        if moved < 0.01:
            break
    return z


def limit_slope(z, tan_max, cell, max_sweeps=40):
    """Lower cells that stand more than ``tan_max`` above a neighbour (talus relaxation).

    A lowered cell stays above its lowest neighbour, so no pit is created.
    """
    return _talus_sweeps(np.array(z, dtype=np.float64), np.asarray(tan_max, np.float64), float(cell), max_sweeps)


def slope_full(z, cell) -> np.ndarray:
    """Horn slope (deg) on every cell, edges by replication (for internal rules only)."""
    zp = np.pad(z, 1, mode="edge")
    sp = np.full(zp.shape[0], cell)
    return slope_block(zp, sp, sp)[:, 1:-1]


def _flw(d8):
    return pyflwdir.from_array(d8, ftype="d8", check_ftype=False, cache=False)


def _trace_down(idxs_ds: np.ndarray, idx: int, stop: np.ndarray) -> np.ndarray:
    """Linear indices from ``idx`` down ``idxs_ds`` to the first ``stop`` cell or pit, both
    included: what pyflwdir's ``FlwdirRaster.path`` returns. Not that call: its numba code
    takes the raster's affine transform, which affine ≥ 3 (Debian sid) no longer makes a
    namedtuple, so numba cannot type it (TypingError)."""
    path = [idx]
    while not stop[idx]:
        nxt = int(idxs_ds[idx])
        if nxt == idx or nxt < 0:  # pit, or pyflwdir's missing value (-1)
            break
        idx = nxt
        path.append(idx)
    return np.array(path, dtype=np.int64)


# ---------------------------------------------------------------- terrain


@dataclass
class Terrain:
    z: np.ndarray  # float64, m
    upa: np.ndarray  # upstream area, km²
    flw: pyflwdir.FlwdirRaster  # of z
    plain: np.ndarray  # 0 on the valley plain .. 1 in the mountains
    river_dist: np.ndarray  # m from the main-river centre line
    river_line: list  # [(x, y), …] main river centre line in map units


def make_terrain(grid: Grid, rng, params: dict, scale: float, feedback: Feedback | None = None) -> Terrain:
    feedback = feedback or Feedback()
    h, w = grid.shape
    cell = grid.cell
    wm, hm = w * cell, h * cell
    # main river centre line in unit coordinates: enters in the east, leaves in the west
    ph1, ph2 = rng.uniform(0.0, 2.0 * np.pi, 2)
    t = np.linspace(0.0, 1.0, 6000)
    u = 1.02 - 1.04 * t
    v = 0.70 - 0.46 * t + 0.06 * np.sin(2 * np.pi * 1.3 * t + ph1) + 0.025 * np.sin(2 * np.pi * 3.1 * t + ph2)
    cols = np.clip((u * w).astype(np.int64), 0, w - 1)
    rows = np.clip(((1.0 - v) * h).astype(np.int64), 0, h - 1)
    tgrid = np.full((h, w), np.nan)
    tgrid[rows, cols] = t
    dist, (ir, ic) = ndimage.distance_transform_edt(np.isnan(tgrid), return_indices=True)
    dist *= cell
    tn = tgrid[ir, ic]  # 0 upstream .. 1 at the outlet
    del tgrid, ir, ic
    sw = math.sqrt(scale)  # the plain shrinks less than the extent so small regions keep one
    hw_out, hw_up = params["plain_half_width_m"]
    half_width = (hw_up + (hw_out - hw_up) * tn) * sw
    mountain = smoothstep((dist - half_width) / (params["mountain_ramp_m"] * sw))
    river_len = float(np.hypot(np.diff(u * wm), np.diff(v * hm)).sum())
    z_river = params["outlet_elevation_m"] + params["river_gradient_m_per_km"] * (1.0 - tn) * river_len / 1000.0
    z_regional = z_river + params["plain_cross_slope"] * dist

    big = spectral_noise(rng, (h, w), cell, 4.0, 60000.0, 8000.0)
    med = spectral_noise(rng, (h, w), cell, 3.0, 6000.0, 200.0)
    hill_noise = spectral_noise(rng, (h, w), cell, 3.0, 4000.0, 300.0)
    white = rng.standard_normal((h, w))
    feedback.progress(20)
    feedback.check()

    # outlets: the main river plus edge streams big enough to leave the map; other edge cells drain inward
    guide = z_regional + mountain * (0.02 * np.maximum(dist - half_width, 0.0) + 40.0 * med) + 0.5 * white
    _, d8 = pyflwdir.dem.fill_depressions(guide)
    flw = _flw(d8)
    upa = flw.upstream_area("cell") * cell * cell
    pits = flw.idxs_pit
    keep = upa.flat[pits] >= params["edge_outlet_min_km2"] * 1e6 * scale**2
    keep |= upa.flat[pits] == upa.flat[pits].max()
    outlets = np.sort(pits[keep]).astype(np.int64)
    zbase = (z_regional + mountain * params["edge_outlet_rise_m"]).ravel()

    ks_plain, ks_mtn = params["ks_plain"], params["ks_mountain"]
    ks = ks_plain + (ks_mtn - ks_plain) * mountain * np.clip(0.75 + 0.25 * big, 0.3, 1.2)
    angle = params["plain_hill_deg"] * (1.0 + 0.5 * np.tanh(hill_noise)) + mountain * (
        params["hill_deg"] + 9.0 * np.clip(big, -2.0, 2.0) + 4.0 * hill_noise
    )
    angle = np.clip(angle, 0.2, 44.0)
    tan_hill = np.tan(np.radians(angle))
    _, d8 = pyflwdir.dem.fill_depressions(guide, idxs_pit=outlets)
    del guide, white, med
    flw = _flw(d8)
    upa = flw.upstream_area("cell") * cell * cell
    passes = int(params["passes"])
    for k in range(passes):
        slope = np.minimum(ks * upa ** -params["concavity"], tan_hill)
        slope *= 1.0 - 0.45 * np.exp(-upa / (3.0 * cell * cell))  # rounded crests
        z = _integrate_upstream(
            flw.idxs_seq.astype(np.int64), flw.idxs_ds.astype(np.int64), slope.ravel(), zbase, w, cell
        ).reshape(h, w)
        feedback.progress(30 + 50 * (k + 1) / passes)
        feedback.check()
        if k < passes - 1:
            _, d8 = pyflwdir.dem.fill_depressions(z, idxs_pit=outlets)
            flw = _flw(d8)
            upa = flw.upstream_area("cell") * cell * cell
    tan_max = np.tan(np.radians(np.minimum(angle + params["talus_extra_deg"], params["max_slope_deg"])))
    z = limit_slope(z, tan_max, cell)
    z, d8 = pyflwdir.dem.fill_depressions(z)  # final D8 over the final surface, edges as outlets
    flw = _flw(d8)
    x0, y1 = grid.transform.c, grid.transform.f
    line = [(x0 + uu * wm, y1 - (1.0 - vv) * hm) for uu, vv in zip(u[::20], v[::20])]
    return Terrain(z, flw.upstream_area("cell") * cell * cell / 1e6, flw, mountain, dist, line)


# ---------------------------------------------------------------- county and townships


def make_county(grid: Grid, rng, margin: float) -> Polygon:
    """A star-shaped, wiggly outline filling the grid minus ``margin`` (synthetic)."""
    xmin, ymin, xmax, ymax = grid.bounds
    theta = np.linspace(0.0, 2 * np.pi, 1440, endpoint=False)
    n = 3.0  # superellipse: fills the rectangle better than an ellipse
    c, s = np.cos(theta), np.sin(theta)
    r = (np.abs(c) ** n + np.abs(s) ** n) ** (-1.0 / n)
    k = np.arange(2, 121)
    amp = 0.06 * k**-1.25 * rng.uniform(0.3, 1.0, k.size)
    phase = rng.uniform(0.0, 2 * np.pi, k.size)
    r = r * (1.0 + (amp[:, None] * np.cos(k[:, None] * theta[None, :] + phase[:, None])).sum(axis=0))
    px, py = r * c, r * s
    half_w, half_h = (xmax - xmin) / 2 - margin, (ymax - ymin) / 2 - margin
    fx, fy = half_w / np.abs(px).max(), half_h / np.abs(py).max()
    cx, cy = (xmin + xmax) / 2, (ymin + ymax) / 2
    poly = Polygon(zip(np.round(cx + px * fx, 2), np.round(cy + py * fy, 2)))
    return poly if poly.is_valid else poly.buffer(0)


def _random_points_in(poly, rng, n):
    pp = prep(poly)
    xmin, ymin, xmax, ymax = poly.bounds
    out = []
    while len(out) < n:
        x, y = rng.uniform(xmin, xmax), rng.uniform(ymin, ymax)
        if pp.contains(Point(x, y)):
            out.append((x, y))
    return out


def _densify_ring(coords, step):
    """Densify a ring; each segment is cut from its lexicographically smaller end so that
    two cells sharing an edge get identical points."""
    out = []
    for a, b in zip(coords[:-1], coords[1:]):
        p, q = (a, b) if a <= b else (b, a)
        n = max(1, int(math.ceil(math.hypot(q[0] - p[0], q[1] - p[1]) / step)))
        pts = [(p[0] + (q[0] - p[0]) * i / n, p[1] + (q[1] - p[1]) * i / n) for i in range(n)] + [q]
        if p is not a:
            pts = pts[::-1]
        out.extend(pts[:-1])
    out.append(out[0])
    return out


def _warp(coords, waves):
    """x + D(x) with D smooth and |∇D| < 1: a homeomorphism, so warped cells still tile the plane."""
    out = []
    for x, y in coords:
        dx = dy = 0.0
        for ax, ay, kx, ky, ph in waves:
            arg = kx * x + ky * y + ph
            dx += ax * math.sin(arg)
            dy += ay * math.cos(arg)
        out.append((x + dx, y + dy))
    return out


def as_multi(geom):
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    parts = []
    for g in polys:
        parts.extend(g.geoms if isinstance(g, MultiPolygon) else [g])
    return MultiPolygon(parts)


def make_townships(county: Polygon, seat_xy, rng, count: int, scale: float):
    """Warped Voronoi cells of seeded points, clipped to the county: an exact partition."""
    inner = county.buffer(-1500.0 * math.sqrt(scale))
    if inner.is_empty:
        inner = county
    seeds = [tuple(seat_xy)]
    while len(seeds) < count:
        cand = _random_points_in(inner, rng, 30)
        dmin = [min(math.hypot(x - sx, y - sy) for sx, sy in seeds) for x, y in cand]
        seeds.append(cand[int(np.argmax(dmin))])
    env = box(*county.bounds).buffer(10000.0)
    cells = list(voronoi_diagram(MultiPoint(seeds), envelope=env).geoms)
    spacing = math.sqrt(county.area / count)
    waves = []
    for _ in range(3):
        wl = rng.uniform(0.6, 1.2) * spacing
        ang = rng.uniform(0.0, 2 * np.pi)
        k = 2 * np.pi / wl
        a = 0.045 * wl  # a·k ≈ 0.28 per wave: the warp's Lipschitz constant stays < 1, so it cannot fold
        waves.append((a, a, k * math.cos(ang), k * math.sin(ang), rng.uniform(0.0, 2 * np.pi)))
    out = []
    for sx, sy in seeds:
        p = Point(sx, sy)
        cellp = next(c for c in cells if c.contains(p))
        ring = _warp(_densify_ring(list(cellp.exterior.coords), 150.0), waves)
        warped = Polygon(ring)
        if not warped.is_valid:
            warped = warped.buffer(0)
        out.append(warped.intersection(county))
    # anything the warp left uncovered (numerical slivers) goes to its neighbour with the longest contact
    rest = county.difference(unary_union(out))
    for piece in getattr(rest, "geoms", [rest]):
        if piece.is_empty or piece.area <= 0:
            continue
        best = max(range(len(out)), key=lambda i: out[i].intersection(piece.buffer(1e-6)).area)
        out[best] = out[best].union(piece)
    return seeds, [as_multi(g if g.is_valid else g.buffer(0)) for g in out]


# ---------------------------------------------------------------- rasters → polygons


def polygonize(mask, transform, labels=None):
    """[(label, Polygon)] of the cells where ``mask`` is true (4-connected, pixel-exact)."""
    data = (labels if labels is not None else mask).astype(np.int32)
    out = []
    for geom, value in rasterio.features.shapes(data, mask=mask, transform=transform, connectivity=4):
        out.append((int(value), shape(geom)))
    return out


def burn(geoms, grid: Grid, value=1, dtype="uint8"):
    if not geoms:
        return np.zeros(grid.shape, dtype)
    return rasterio.features.rasterize(
        [(mapping(g), value) for g in geoms], out_shape=grid.shape, transform=grid.transform, fill=0, dtype=dtype
    )


def _disc_blob(grid: Grid, rng, cx, cy, radius):
    """Cells of an irregular blob around (cx, cy): a disc with a harmonic-noise radius."""
    col0, row0 = affine_mul(~grid.transform, (cx, cy))
    rad_c = radius / grid.cell * 1.4
    r0, r1 = int(max(0, row0 - rad_c - 2)), int(min(grid.height, row0 + rad_c + 3))
    c0, c1 = int(max(0, col0 - rad_c - 2)), int(min(grid.width, col0 + rad_c + 3))
    rr, cc = np.mgrid[r0:r1, c0:c1]
    dy, dx = (rr + 0.5 - row0), (cc + 0.5 - col0)
    ang = np.arctan2(dy, dx)
    k = np.arange(2, 7)
    amp = rng.uniform(0.05, 0.18, k.size) / (k / 2.0)
    ph = rng.uniform(0.0, 2 * np.pi, k.size)
    rad = (radius / grid.cell) * (
        1.0 + (amp[:, None, None] * np.cos(k[:, None, None] * ang + ph[:, None, None])).sum(0)
    )
    mask = np.zeros(grid.shape, bool)
    mask[r0:r1, c0:c1] = np.hypot(dx, dy) <= rad
    return mask


# ---------------------------------------------------------------- writers


@contextlib.contextmanager
def _fixed_ogr_date():
    old = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = FIXED_OGR_DATE
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("OGR_CURRENT_DATE", None)
        else:
            os.environ["OGR_CURRENT_DATE"] = old


def write_gpkg(path: Path, layer: str, records: list[dict], crs: CRS) -> Path:
    import geopandas as gpd

    geoms = [as_multi(r["geometry"]) for r in records]
    props = [{k: v for k, v in r.items() if k != "geometry"} for r in records]
    gdf = gpd.GeoDataFrame(props, geometry=geoms, crs=crs)
    with _fixed_ogr_date(), atomic_path(path) as tmp:  # the layer registry takes the fixed date too
        gdf.to_file(tmp, layer=layer, driver="GPKG")
    return path


def write_tif(path: Path, grid: Grid, array, dtype, nodata, tags=None) -> Path:
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 1,
        "dtype": dtype,
        "crs": grid.crs.to_wkt(),
        "transform": grid.transform,
        "nodata": nodata,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3 if dtype.startswith("float") else 2,
    }
    with atomic_path(path) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(np.asarray(array, dtype=dtype), 1)
        if tags:
            dst.update_tags(**tags)
    return path


# ---------------------------------------------------------------- the generator


def _check_args(recipe, seed, scale):
    g = recipe["grid"]
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        scale = float("nan")
    if not (g["min_scale"] <= scale <= g["max_scale"]):
        raise InputError(
            "scale",
            f"比例 scale 须在 {g['min_scale']}–{g['max_scale']} 之间，得到 {scale}",
            f"scale must lie in {g['min_scale']}–{g['max_scale']}, got {scale}",
        )
    seed = recipe["seed"] if seed is None else seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise InputError(
            "seed", f"随机种子须为非负整数，得到 {seed!r}", f"seed must be a non-negative integer, got {seed!r}"
        )
    return int(seed), scale


class _Streams(NamedTuple):
    """One random stream per step, so a change in one step leaves the others' draws alone."""

    terrain: np.random.Generator
    county: np.random.Generator
    town: np.random.Generator
    landuse: np.random.Generator
    vector: np.random.Generator
    fvc: np.random.Generator
    erosion: np.random.Generator


def _streams(seed: int) -> _Streams:
    streams = np.random.SeedSequence(seed).spawn(8)  # the eighth is for the supervision data (_later_streams)
    return _Streams(*(np.random.default_rng(s) for s in streams[:7]))


def _later_streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """(disturbance patches, second erosion year): children of the eighth stream, so the data of the
    first seven steps (and every file they write) stay as they were before these were added."""
    spare = np.random.SeedSequence(seed).spawn(8)[7]
    return tuple(np.random.default_rng(s) for s in spare.spawn(2))  # type: ignore[return-value]


@dataclass
class _County:
    geom: Polygon
    mask: np.ndarray  # cells centred in the county
    interior: np.ndarray  # m from the county edge (0 outside)
    seat_xy: tuple[float, float]
    townships: list  # recipe entries (code, name) of the townships drawn
    town_geoms: list


@dataclass
class _Water:
    river: np.ndarray
    reservoir: np.ndarray
    water: np.ndarray  # river or reservoir, less NoData


@dataclass
class _Settlements:
    built_lab: np.ndarray  # 1 = the town, 2… = villages
    built: np.ndarray
    road: np.ndarray


@dataclass
class _Vectors:
    construction: list[dict]
    water: list[dict]
    farmland: list[dict]
    redline: list[dict]


def generate_demo_region(out_dir, seed=None, scale=1.0, feedback: Feedback | None = None) -> dict[str, Path]:
    """Write the demo region into ``out_dir``; return {name: path} for the names in NAMES."""
    feedback = feedback or Feedback()
    recipe = load_recipe()
    seed, scale = _check_args(recipe, seed, scale)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("out_dir", f"输出位置不是文件夹: {out_dir}", f"output location is not a folder: {out_dir}")
    out_dir.mkdir(parents=True, exist_ok=True)
    files = recipe["files"]
    paths = {name: out_dir / files[name]["file"] for name in NAMES}

    rng = _streams(seed)
    grid = make_grid(recipe, scale)
    h, w = grid.shape
    feedback.info(f"demo region: seed {seed}, scale {scale}, grid {w}×{h} cells of {grid.cell:g} m, {grid.crs.name}")
    feedback.check()

    # 1. terrain
    ter = make_terrain(grid, rng.terrain, recipe["terrain"], scale, SubFeedback(feedback, 0, 40))
    slope = slope_full(ter.z, grid.cell)
    _step(feedback, 40)
    # 2. county, seat, townships
    county = _county(grid, recipe, ter, slope, rng, scale)
    _step(feedback, 50)
    # 3. NoData: a ragged south-east corner, kept 1 km away from the county
    nodata = _nodata(grid, county.geom, scale)
    # 4. water: main river (largest streams) and a reservoir (flattens ter.z, so the slope is redone)
    water, slope = _water(grid, recipe["water"], ter, slope, county.interior, nodata, rng.vector, scale)
    # 5. settlements (a town on the plain + villages in gentle valley bottoms) and roads
    built = _settlements(grid, recipe["construction"], ter, slope, water.water, nodata, county, rng.vector, scale)
    _step(feedback, 60)
    # 6. land use from terrain
    lu = _landuse(grid, recipe["landuse_rules"], ter, slope, built, water.water, nodata, rng.landuse)
    _step(feedback, 65)
    # 7. vector layers derived from the rasters (so they agree with them)
    vectors = _vectors(grid, recipe, ter.z, lu, built, water, nodata, county.mask, scale)
    _step(feedback, 75)
    # 8. vegetation cover and erosion
    fvc = _fvc(lu, rng.fvc, grid, recipe["fvc_ranges"])
    ero = _erosion(lu, fvc, slope, ter.upa, grid, rng.erosion, recipe["erosion"])
    fvc[nodata] = recipe["nodata"]["fvc"]
    ero[nodata] = recipe["nodata"]["erosion"]
    dem = np.round(ter.z, 2)
    dem[nodata] = recipe["nodata"]["dem"]
    # 9. supervision data: a second erosion year and two years of disturbance patches
    rng_dist, rng_ero = _later_streams(seed)
    ero_later = _erosion_later(ero, lu, nodata, grid, rng_ero, recipe["erosion_later"])
    ero_later[nodata] = recipe["nodata"]["erosion"]
    masks = _Masks(lu, slope, ero, ter.plain, nodata, county, vectors, built.built, water.water)
    patches, previous, kinds = _disturbance(grid, recipe, masks, rng_dist, scale)
    _step(feedback, 85)
    # 9. write everything, each file atomically
    tags = {"SYNTHETIC": "yes", "RECIPE_VERSION": recipe["recipe_version"], "SEED": str(seed), "SCALE": repr(scale)}
    _write_rasters(paths, grid, recipe["nodata"], tags, dem=dem, lu=lu, fvc=fvc, ero=ero)
    later_tags = {**tags, "UNITS": "t/(km2*a)", "YEAR": str(recipe["erosion_later"]["year"])}
    write_tif(paths["erosion_later"], grid, ero_later, "float32", recipe["nodata"]["erosion"], later_tags)
    _write_vectors(paths, grid.crs, recipe, county, vectors)
    write_gpkg(paths["disturbance"], recipe["files"]["disturbance"]["layer"], patches, grid.crs)
    write_gpkg(paths["disturbance_previous"], recipe["files"]["disturbance_previous"]["layer"], previous, grid.crs)
    feedback.progress(97)
    run = _run_info(grid, seed, scale, county, ter.z, slope, nodata)
    run["disturbance_kinds"] = kinds
    out_recipe = {**recipe, "run": run}
    with atomic_path(out_dir / "region.json") as tmp:
        tmp.write_text(json.dumps(out_recipe, ensure_ascii=False, indent=2), encoding="utf-8")
    with atomic_path(out_dir / "README.txt") as tmp:
        tmp.write_text(_readme(recipe, run), encoding="utf-8")
    feedback.progress(100)
    return paths


def _step(feedback: Feedback, percent: float) -> None:
    feedback.progress(percent)
    feedback.check()


def _county(grid: Grid, recipe: dict, ter: Terrain, slope: np.ndarray, rng: _Streams, scale: float) -> _County:
    """The county outline, its seat (a gentle plain cell near the river, closest to the centroid) and townships."""
    cell = grid.cell
    county = make_county(grid, rng.county, recipe["county"]["margin_m"] * scale)
    county_mask = burn([county], grid).astype(bool)
    interior = ndimage.distance_transform_edt(county_mask) * cell
    rows, cols = np.nonzero(
        (interior > 2500.0 * math.sqrt(scale))
        & (ter.plain < 0.05)
        & (slope < 2.0)
        & (ter.river_dist > 300.0 * math.sqrt(scale))
        & (ter.river_dist < 1500.0 * math.sqrt(scale))
    )
    if rows.size == 0:  # tiny scales: any gentle interior cell
        rows, cols = np.nonzero((interior > 0) & (slope < 5.0))
    cxy = county.centroid
    xs, ys = affine_mul(grid.transform, (cols + 0.5, rows + 0.5))
    pick = int(np.argmin(np.hypot(xs - cxy.x, ys - cxy.y)))
    seat_xy = (float(xs[pick]), float(ys[pick]))
    tcfg = recipe["townships"]
    n_town = int(max(tcfg["min_count"], min(tcfg["full_scale_count"], round(tcfg["full_scale_count"] * scale**2))))
    _, town_geoms = make_townships(county, seat_xy, rng.town, n_town, scale)
    return _County(county, county_mask, interior, seat_xy, tcfg["units"][:n_town], town_geoms)


def _nodata(grid: Grid, county: Polygon, scale: float) -> np.ndarray:
    """A ragged south-east corner without data, kept 1 km away from the county."""
    h, w = grid.shape
    u = (np.arange(w) + 0.5)[None, :] / w
    v = 1.0 - (np.arange(h) + 0.5)[:, None] / h
    ragged = 0.04 * np.sin(2 * np.pi * 7 * u) * np.cos(2 * np.pi * 5 * v)
    near_county = burn([county.buffer(1000.0 * math.sqrt(scale))], grid).astype(bool)
    return ((u - 0.80) / 0.20 + (0.16 - v) / 0.16 > 1.0 + ragged) & ~near_county


def _water(
    grid: Grid,
    wcfg: dict,
    ter: Terrain,
    slope: np.ndarray,
    interior: np.ndarray,
    nodata: np.ndarray,
    rng,
    scale: float,
) -> tuple[_Water, np.ndarray]:
    """The main river (largest streams) and a reservoir; a lake surface is flat, so ter.z changes under it.

    Returns the water and the slope (redone when there is a reservoir).
    """
    cell, z, upa = grid.cell, ter.z, ter.upa
    amax = float(upa.max())
    river = upa >= min(wcfg["river_min_km2"] * scale**2, 0.3 * amax)
    wide = ndimage.binary_dilation(river & (upa >= 0.4 * amax), structure=_CROSS)
    river = ndimage.binary_dilation(river, structure=np.ones((2, 2), bool)) | wide
    reservoir = np.zeros(grid.shape, bool)
    r_lo, r_hi = (a * scale**2 for a in wcfg["reservoir_upstream_km2"])
    cand = np.flatnonzero(
        ((upa >= r_lo) & (upa <= r_hi) & (ter.plain > 0.9) & (interior > 1500.0 * math.sqrt(scale))).ravel()
    )
    if cand.size:
        dam = int(cand[rng.integers(cand.size)])
        basin = ter.flw.basins(idxs=np.array([dam], dtype=np.int64)) > 0
        for rise in (25.0, 35.0, 45.0):
            wl = z.flat[dam] + rise
            lab, _ = ndimage.label(basin & (z <= wl))
            reservoir = lab == lab.flat[dam]
            if reservoir.sum() * cell * cell >= wcfg["reservoir_min_km2"] * 1e6 * scale**2:
                break
        z[reservoir] = wl  # a lake surface is flat
        slope = slope_full(z, cell)
    return _Water(river, reservoir, (river | reservoir) & ~nodata), slope


def _settlements(
    grid: Grid,
    ccfg: dict,
    ter: Terrain,
    slope: np.ndarray,
    water: np.ndarray,
    nodata: np.ndarray,
    county: _County,
    rng,
    scale: float,
) -> _Settlements:
    """A town on the plain at the seat, villages on gentle valley floors, and the roads joining them."""
    built_lab = np.zeros(grid.shape, np.int32)
    seat_xy = county.seat_xy
    town_r = ccfg["town_radius_m"] * math.sqrt(scale)
    built_lab[_disc_blob(grid, rng, seat_xy[0], seat_xy[1], town_r) & (slope < 8.0) & ~water] = 1
    # villages sit on the plain or on valley floors, never on flat crests
    valley_floor = (ndimage.maximum_filter(ter.upa, size=5) >= 0.5) & (slope < 6.0)
    gentle = ((ter.plain < 0.5) | valley_floor) & (slope < 4.0) & ~water & ~nodata & county.mask
    vr, vc = np.nonzero(gentle & (county.interior > 300.0))
    n_vil = int(max(3, round(ccfg["villages"] * scale**2)))
    vill_xy: list[tuple[float, float]] = []
    if vr.size:
        order = rng.permutation(vr.size)
        vx, vy = affine_mul(grid.transform, (vc[order] + 0.5, vr[order] + 0.5))
        for x, y in zip(vx, vy):
            if math.hypot(x - seat_xy[0], y - seat_xy[1]) < town_r + 1500.0 * math.sqrt(scale):
                continue
            if any(math.hypot(x - a, y - b) < 1800.0 * math.sqrt(scale) for a, b in vill_xy):
                continue
            vill_xy.append((float(x), float(y)))
            if len(vill_xy) >= n_vil:
                break
    for i, (x, y) in enumerate(vill_xy):
        blob = _disc_blob(grid, rng, x, y, rng.uniform(110.0, 230.0)) & (slope < 10.0) & ~water & (built_lab == 0)
        built_lab[blob] = i + 2
    built_lab[nodata] = 0
    built = built_lab > 0
    road = _roads(grid, ter, vill_xy, scale, water)
    road &= ~water & ~built & ~nodata
    return _Settlements(built_lab, built, road)


def _roads(grid: Grid, ter: Terrain, vill_xy: list, scale: float, water: np.ndarray) -> np.ndarray:
    """Roads along the main river, and from each village down its valley to the river."""
    h, w = grid.shape
    road = np.zeros(grid.shape, bool)
    off = 250.0 * math.sqrt(scale)
    # link consecutive centre-line cells so the road is continuous
    rr_cc = [(int(r), int(c)) for c, r in (affine_mul(~grid.transform, (x, y + off)) for x, y in ter.river_line)]
    for (r0, c0), (r1, c1) in zip(rr_cc[:-1], rr_cc[1:]):
        n = max(abs(r1 - r0), abs(c1 - c0), 1)
        for k in range(n + 1):
            r, c = r0 + (r1 - r0) * k // n, c0 + (c1 - c0) * k // n
            if 0 <= r < h and 0 <= c < w:
                road[r, c] = True
    if vill_xy:
        vidx = [int(r) * w + int(c) for c, r in (affine_mul(~grid.transform, xy) for xy in vill_xy)]
        idxs_ds, stop = ter.flw.idxs_ds, water.ravel()
        for idx in vidx:
            road.flat[_trace_down(idxs_ds, idx, stop)] = True
    return road


def _landuse(
    grid: Grid,
    lcfg: dict,
    ter: Terrain,
    slope: np.ndarray,
    built: _Settlements,
    water: np.ndarray,
    nodata: np.ndarray,
    rng,
) -> np.ndarray:
    """Land use (GB/T 21010 level 1) from terrain; priority water > built-up > road > cropland > garden > rock >
    grass > forest."""
    cell, z, upa = grid.cell, ter.z, ter.upa
    lu = np.zeros(grid.shape, np.uint8)
    n_agri = spectral_noise(rng, grid.shape, cell, 3.0, 3000.0, 90.0)
    n_grass = spectral_noise(rng, grid.shape, cell, 3.0, 2500.0, 120.0)
    n_garden = spectral_noise(rng, grid.shape, cell, 3.0, 1500.0, 90.0)
    zv = z[~nodata]
    z_hi = float(np.percentile(zv, 85)) if zv.size else float(z.max())
    flat_crop = (slope < lcfg["flat_crop_max_deg"]) & (ter.plain < 0.6) & (n_agri > -1.2)
    valley_crop = (ndimage.maximum_filter(upa, size=5) >= 1.0) & (slope < 10.0) & (n_agri > -0.6)
    slope_crop = (
        (slope >= lcfg["flat_crop_max_deg"])
        & (slope < lcfg["slope_crop_max_deg"])
        & (ter.plain < 0.85)
        & (n_agri > lcfg["slope_crop_noise"] + 0.04 * slope)
    )
    lu[:] = 3
    grass = (n_grass > 1.4) | ((upa < 0.003) & (z > z_hi) & (n_grass > 0.3))
    lu[grass] = 4
    lu[(slope > lcfg["rock_min_deg"]) & (z > z_hi) & (n_grass > -0.5)] = 12
    vdist = ndimage.distance_transform_edt(~built.built) * cell
    lu[(slope >= 2.0) & (slope < 15.0) & (vdist < 700.0) & (n_garden > 0.8)] = 2
    lu[flat_crop | valley_crop | slope_crop] = 1
    lu[built.road] = 10
    lu[built.built] = 7
    lu[water] = 11
    lu[nodata] = 0
    return lu


def _vectors(
    grid: Grid,
    recipe: dict,
    z: np.ndarray,
    lu: np.ndarray,
    built: _Settlements,
    water: _Water,
    nodata: np.ndarray,
    county_mask: np.ndarray,
    scale: float,
) -> _Vectors:
    """Construction land, water, farmland and red-line polygons, drawn from the rasters."""
    t = grid.transform
    ccfg = recipe["construction"]
    name_of = {1: ccfg["town_name"]}
    con_records = []
    for val, g in polygonize(built.built, t, built.built_lab):
        is_town = val == 1
        con_records.append(
            {
                "geometry": g,
                "name": name_of.get(val, f"村庄{val - 1:02d}"),
                "DLMC": "城镇住宅用地" if is_town else "农村宅基地",
            }
        )
    con_records = sorted(_merge_by(con_records, "name"), key=lambda r: (r["name"] != ccfg["town_name"], r["name"]))
    wcfg = recipe["water"]
    wlab = np.where(water.reservoir, 2, 1).astype(np.int32)
    water_records = _merge_by(
        [
            {
                "geometry": g,
                "name": wcfg["river_name"] if val == 1 else wcfg["reservoir_name"],
                "DLMC": "河流水面" if val == 1 else "水库水面",
            }
            for val, g in polygonize(water.water, t, wlab)
        ],
        "name",
    )
    farm = _farmland(grid, recipe["farmland"], lu, built.built, water.water, nodata)
    red = _redline(grid, recipe["redline"], z, lu, built.built, water.water, nodata, county_mask, scale)
    return _Vectors(con_records, water_records, farm, red)


def _farmland(
    grid: Grid, fcfg: dict, lu: np.ndarray, built: np.ndarray, water: np.ndarray, nodata: np.ndarray
) -> list[dict]:
    """Cropland smoothed a little (real 基本农田 outlines cut across a few steep cells)."""
    crop = ndimage.gaussian_filter((lu == 1).astype(np.float32), 1.0) > 0.5
    crop &= ~water & ~built & ~nodata
    min_area = fcfg["min_area_ha"] * 1e4
    farm_geoms = []
    for _, g in polygonize(crop, grid.transform):
        g = g.simplify(grid.cell / 2.0, preserve_topology=True)
        if not g.is_valid:
            g = g.buffer(0)
        if g.area >= min_area:
            farm_geoms.append(g)
    return [{"geometry": g, "DLMC": fcfg["DLMC"]} for g in farm_geoms]


def _redline(
    grid: Grid,
    rcfg: dict,
    z: np.ndarray,
    lu: np.ndarray,
    built: np.ndarray,
    water: np.ndarray,
    nodata: np.ndarray,
    county_mask: np.ndarray,
    scale: float,
) -> list[dict]:
    """The red line: the high, forested mountains; the biggest, one of them crossing the county edge."""
    cell, t = grid.cell, grid.transform
    zv = z[~nodata]
    high = np.isin(lu, (3, 4, 12)) & (z >= np.percentile(zv, rcfg["min_elevation_percentile"]))
    high = ndimage.gaussian_filter(high.astype(np.float32), 4.0) > 0.5
    high &= ~nodata & ~water & ~built
    lab, nlab = ndimage.label(high)
    sizes = ndimage.sum(np.ones_like(lab), lab, index=np.arange(1, nlab + 1)) * cell * cell
    big_ones = [i + 1 for i in np.argsort(-sizes, kind="stable") if sizes[i] >= rcfg["min_area_km2"] * 1e6 * scale**2]
    n_red = int(max(2, round(rcfg["count"] * math.sqrt(scale))))
    crossing = [i for i in big_ones if (lab == i)[county_mask].any() and (lab == i)[~county_mask].any()]
    chosen = (crossing[:1] + [i for i in big_ones if i not in crossing[:1]])[:n_red]
    chosen.sort(key=lambda i: big_ones.index(i))
    red_records = []
    for n, i in enumerate(chosen, 1):
        g = unary_union([p for _, p in polygonize(lab == i, t)]).simplify(cell, preserve_topology=True)
        if not g.is_valid:
            g = g.buffer(0)
        kind = rcfg["types"][(n - 1) % len(rcfg["types"])]
        red_records.append({"geometry": g, "HXMC": rcfg["name_pattern"].format(type=kind, n=n), "HXLX": kind})
    return red_records


def _write_rasters(
    paths: dict, grid: Grid, nd: dict, tags: dict, *, dem: np.ndarray, lu: np.ndarray, fvc: np.ndarray, ero: np.ndarray
) -> None:
    write_tif(paths["dem"], grid, dem, "float32", nd["dem"], {**tags, "UNITS": "metre"})
    write_tif(paths["landuse"], grid, lu, "uint8", nd["landuse"], {**tags, "CLASSES": "GB/T 21010-2017 level 1"})
    write_tif(paths["fvc"], grid, fvc, "float32", nd["fvc"], {**tags, "UNITS": "fraction 0-1"})
    write_tif(paths["erosion"], grid, ero, "float32", nd["erosion"], {**tags, "UNITS": "t/(km2*a)"})


def _write_vectors(paths: dict, crs: CRS, recipe: dict, county: _County, vectors: _Vectors) -> None:
    county_cfg = recipe["county"]
    write_gpkg(
        paths["county"],
        "county",
        [{"geometry": county.geom, "county_code": county_cfg["code"], "county_name": county_cfg["name"]}],
        crs,
    )
    write_gpkg(
        paths["townships"],
        "townships",
        [
            {
                "geometry": g,
                "township_code": unit["code"],
                "township_name": unit["name"],
                "county_code": county_cfg["code"],
            }
            for unit, g in zip(county.townships, county.town_geoms)
        ],
        crs,
    )
    write_gpkg(paths["redline"], recipe["redline"]["layer"], vectors.redline, crs)
    write_gpkg(paths["farmland"], recipe["farmland"]["layer"], vectors.farmland, crs)
    write_gpkg(paths["construction"], recipe["construction"]["layer"], vectors.construction, crs)
    write_gpkg(paths["water"], recipe["water"]["layer"], vectors.water, crs)


def _run_info(
    grid: Grid, seed: int, scale: float, county: _County, z: np.ndarray, slope: np.ndarray, nodata: np.ndarray
) -> dict:
    """The "run" block of the written region.json: what this seed and scale produced."""
    h, w = grid.shape
    valid = ~nodata
    zv = z[valid]
    return {
        "seed": seed,
        "scale": scale,
        "width": w,
        "height": h,
        "cell_size_m": grid.cell,
        "transform": list(grid.transform)[:6],
        "crs": grid.crs.to_string(),
        "county_area_km2": round(county.geom.area / 1e6, 3),
        "townships": len(county.townships),
        "elevation_m": [round(float(zv.min()), 1), round(float(zv.max()), 1)],
        "slope_share_ge20": round(float((slope[valid] >= 20).mean()), 4),
        "slope_share_ge25": round(float((slope[valid] >= 25).mean()), 4),
    }


def _merge_by(records, key):
    """One feature per ``key`` value (a name), its parts unioned, first-seen order kept."""
    merged: dict = {}
    for r in records:
        merged.setdefault(r[key], []).append(r)
    out = []
    for rs in merged.values():
        geom = unary_union([r["geometry"] for r in rs])
        out.append({**rs[0], "geometry": geom})
    return out


def _fvc(lu, rng, grid, ranges) -> np.ndarray:
    n = spectral_noise(rng, grid.shape, grid.cell, 3.0, 2000.0, 60.0)
    f01 = 0.5 + 0.5 * np.tanh(0.8 * n)  # smooth, in (0, 1)
    out = np.zeros(lu.shape, np.float32)
    for code, rng_ in ranges.items():
        if not code.isdigit():
            continue
        lo, hi = rng_
        m = lu == int(code)
        bias = 0.35 if int(code) == 3 else 0.0  # closed canopy is the rule in these forests
        out[m] = lo + (hi - lo) * np.clip(f01[m] + bias * (1.0 - f01[m]), 0.0, 1.0)
    return np.round(out, 4)


def _erosion(lu, fvc, slope, upa_km2, grid, rng, cfg) -> np.ndarray:
    """A CSLE-like modulus A = R·K·L·S·B·E·T·100 t/(km²·a); synthetic, for the demo only."""
    h, w = lu.shape
    v = 1.0 - (np.arange(h) + 0.5)[:, None] / h
    r_lo, r_hi = cfg["R"]
    R = r_lo + (r_hi - r_lo) * (1.0 - v) * np.ones((1, w))  # wetter to the south
    k_lo, k_hi = cfg["K"]
    K = k_lo + (k_hi - k_lo) * (0.5 + 0.5 * np.tanh(spectral_noise(rng, lu.shape, grid.cell, 3.0, 5000.0, 300.0)))
    lam = np.clip(upa_km2 * 1e6 / grid.cell, grid.cell, cfg["slope_length_cap_m"])
    m = np.select([slope < 0.5, slope < 1.7, slope < 2.9], [0.2, 0.3, 0.4], 0.5)
    L = (lam / 22.13) ** m
    th = np.radians(slope)
    S = np.where(
        slope < 5.0,
        10.8 * np.sin(th) + 0.03,
        np.where(slope < 10.0, 16.8 * np.sin(th) - 0.5, 21.91 * np.sin(th) - 0.96),
    )
    c = fvc.astype(np.float64) * 100.0
    B = np.where(c <= 0.0, 1.0, np.where(c > 78.3, 0.0, 0.6508 - 0.3436 * np.log10(np.maximum(c, 1e-6))))
    B = np.clip(B, cfg["B_floor"], 1.0)
    crop = lu == 1
    E = np.where(crop & (slope >= cfg["terrace_min_slope_deg"]), cfg["E_terraced_cropland"], 1.0)
    T = np.where(crop, cfg["T_cropland"], 1.0)
    Bx = np.where(crop, 1.0, B)
    a = R * K * L * S * Bx * E * T * 100.0
    a[np.isin(lu, (7, 10, 11))] = 0.0
    return np.round(np.maximum(a, 0.0), 1).astype(np.float32)


# ---------------------------------------------------------------- supervision data


def _erosion_later(ero, lu, nodata, grid: Grid, rng, cfg) -> np.ndarray:
    """The second erosion year: the first times exp(trend + amplitude·noise), smooth over several km, so
    whole small watersheds get better or worse; land without erosion (built-up, roads, water) stays 0."""
    lo, hi = cfg["wavelength_m"]
    n = spectral_noise(rng, ero.shape, grid.cell, 3.0, float(hi), float(lo))
    factor = np.exp(cfg["trend"] + cfg["amplitude"] * n)
    out = np.round(np.asarray(ero, np.float64) * factor, 1).astype(np.float32)
    out[np.isin(lu, (7, 10, 11))] = 0.0
    out[nodata] = 0.0
    return out


@dataclass
class _Masks:
    lu: np.ndarray
    slope: np.ndarray
    ero: np.ndarray
    plain: np.ndarray
    nodata: np.ndarray
    county: _County
    vectors: _Vectors
    built: np.ndarray
    water: np.ndarray


def _patch_polygon(rng, cx: float, cy: float, radius: float) -> Polygon:
    """An irregular, valid patch of about ``radius`` around (cx, cy): a jittered ellipse."""
    n = 12
    ang = np.sort(rng.uniform(0.0, 2 * np.pi, n))
    ratio, tilt = rng.uniform(0.55, 1.0), rng.uniform(0.0, np.pi)
    rad = radius * rng.uniform(0.8, 1.15, n)
    x, y = rad * np.cos(ang), rad * ratio * np.sin(ang)
    xs = cx + x * math.cos(tilt) - y * math.sin(tilt)
    ys = cy + x * math.sin(tilt) + y * math.cos(tilt)
    poly = Polygon(zip(np.round(xs, 2), np.round(ys, 2)))
    return poly if poly.is_valid else poly.convex_hull


def _pick(grid: Grid, cand: np.ndarray, rng, n: int, spacing: float, taken: list) -> list[tuple[float, float]]:
    """Up to ``n`` cell centres of ``cand``, at least ``spacing`` m from each other and from ``taken``."""
    rows, cols = np.nonzero(cand)
    picked: list[tuple[float, float]] = []
    if rows.size == 0 or n <= 0:
        return picked
    order = rng.permutation(rows.size)
    xs, ys = affine_mul(grid.transform, (cols[order] + 0.5, rows[order] + 0.5))
    for x, y in zip(xs, ys):
        if any(math.hypot(x - a, y - b) < spacing for a, b in taken + picked):
            continue
        picked.append((float(x), float(y)))
        if len(picked) >= n:
            break
    return picked


def _candidates(grid: Grid, m: _Masks, scale: float) -> dict[str, np.ndarray]:
    """Where each kind of patch may go (cell centres)."""
    cell, lu, slope = grid.cell, m.lu, m.slope
    k = max(3, round(240.0 / cell))  # about a patch across

    def share(mask, size=k):
        return ndimage.uniform_filter(mask.astype(np.float32), size=size, mode="nearest")

    farm = burn([r["geometry"] for r in m.vectors.farmland], grid).astype(bool)
    red = burn([r["geometry"] for r in m.vectors.redline], grid).astype(bool)
    inside = (m.county.interior > 400.0) & ~m.nodata & ~m.water & ~m.built
    steep_land = (slope >= 21.0) & ~farm & ~m.built & ~m.water  # what the steep-slope step keeps, with margin
    red_in = ndimage.distance_transform_edt(red) * cell > 250.0
    red_far = ndimage.distance_transform_edt(~red) * cell > 800.0
    big = max(5, round(3000.0 * math.sqrt(scale) / cell))
    forest = np.isin(lu, (3, 4))
    quiet = (share(forest, big) > 0.8) & (share(slope >= 20.0, big) < 0.1) & (share(m.ero >= 2500.0, big) < 0.05)
    outside_d = ndimage.distance_transform_edt(~m.county.mask) * cell
    return {
        "steep": inside & (share(lu == 1) >= 0.3) & (share(steep_land) >= 0.3) & (lu == 1),
        "redline": inside & red_in,
        "prevention": inside & red_far & quiet & (share(lu == 3) > 0.95) & (share(slope >= 15.0) < 0.05),
        "plain": inside & (m.plain < 0.3) & (slope < 5.0) & np.isin(lu, (1, 7, 10)) & ~red,
        "outside": ~m.county.mask & (outside_d > 400.0) & (outside_d < 1500.0) & ~m.nodata & ~m.water & ~red,
    }


def _disturbance(grid: Grid, recipe: dict, m: _Masks, rng, scale: float) -> tuple[list, list, dict]:
    """This year's and last year's 扰动图斑 (records for write_gpkg), and the patch ids of each kind."""
    cfg = recipe["disturbance"]
    code = recipe["county"]["code"]
    cand = _candidates(grid, m, scale)
    spacing = 600.0 * math.sqrt(scale)
    taken: list[tuple[float, float]] = []
    placed = []  # (kind, x, y)
    for kind, n_full in cfg["counts_full_scale"].items():
        n = int(max(1, round(n_full * math.sqrt(scale))))
        for x, y in _pick(grid, cand[kind], rng, n, spacing, taken):
            taken.append((x, y))
            placed.append((kind, x, y))
    r_lo, r_hi = cfg["radius_m"]
    year, prev_year = cfg["year"], cfg["previous_year"]
    patches: list[dict] = []
    previous: list[dict] = []
    kinds: dict[str, list[str]] = {kind: [] for kind in [*cfg["counts_full_scale"], "closed_last_year"]}
    for i, (kind, x, y) in enumerate(placed, 1):
        spec = cfg["kinds"][kind]
        geom = _patch_polygon(rng, x, y, rng.uniform(r_lo, r_hi))
        pid = cfg["id_pattern"].format(county=code, year=year, n=i)
        kinds[kind].append(pid)
        record = {
            "geometry": geom,
            "图斑编号": pid,
            "扰动面积": round(geom.area / 1e4 * rng.uniform(0.95, 1.05), 2),
            "扰动类型": spec["type"],
            "项目名称": f"演示项目{i:02d}（合成）",
            "建设单位": f"演示建设单位{'ABCDEFGH'[i % 8]}（合成）",
            "批复情况": spec["approval"][i % len(spec["approval"])],
            "下发年度": year,
        }
        patches.append(record)
        if i % 2 == 1:  # issued last year at the same place (slightly shifted outline)
            dx, dy = rng.uniform(-15.0, 15.0, 2)
            prev_geom = Polygon([(px + dx, py + dy) for px, py in geom.exterior.coords])
            status = "已销号" if kind == "plain" and not kinds["closed_last_year"] else "已核查"
            if status == "已销号":
                kinds["closed_last_year"].append(pid)
            pid_prev = cfg["id_pattern"].format(county=code, year=prev_year, n=len(previous) + 1)
            previous.append(
                {**record, "geometry": prev_geom, "图斑编号": pid_prev, "下发年度": prev_year, "status": status}
            )
    n_old = int(max(1, round(cfg["previous_only_full_scale"] * math.sqrt(scale))))
    for x, y in _pick(grid, cand["plain"] | cand["prevention"], rng, n_old, spacing, taken):
        geom = _patch_polygon(rng, x, y, rng.uniform(r_lo, r_hi))
        pid_prev = cfg["id_pattern"].format(county=code, year=prev_year, n=len(previous) + 1)
        previous.append(
            {
                "geometry": geom,
                "图斑编号": pid_prev,
                "扰动面积": round(geom.area / 1e4, 2),
                "扰动类型": "房建",
                "项目名称": f"演示上年项目{len(previous) + 1:02d}（合成）",
                "建设单位": "演示建设单位Z（合成）",
                "批复情况": "已批复",
                "下发年度": prev_year,
                "status": "已销号",
            }
        )
    kinds["previous_same_place"] = [p["图斑编号"] for p in patches[::2]]
    return patches, previous, kinds


def _readme(recipe, run) -> str:
    lines = [
        "演示区域 / Demo region — SYNTHETIC DATA 合成数据",
        "",
        recipe["notice_zh"],
        "",
        recipe["notice_en"],
        "",
        f"recipe version: {recipe['recipe_version']}",
        f"seed: {run['seed']}   scale: {run['scale']}",
        f"grid: {run['width']} x {run['height']} cells of {run['cell_size_m']:g} m, {run['crs']}",
        f"county area: {run['county_area_km2']} km2, townships: {run['townships']}",
        "",
        "files:",
    ]
    for f in recipe["files"].values():
        layer = f" (layer {f['layer']})" if "layer" in f else ""
        lines.append(f"  {f['file']}{layer}: {f['zh']} / {f['en']}")
    lines.append("  region.json: the recipe used, with the run's numbers / 生成配方及本次运行参数")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m soil_conservation_plugin.demo.region", description=__doc__.splitlines()[0]
    )
    ap.add_argument("out_dir")
    ap.add_argument("--scale", type=float, default=1.0, help="extent factor (1 = full county, 0.25 ≈ 10 × 12.5 km)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: the recipe's)")
    args = ap.parse_args(argv)
    try:
        paths = generate_demo_region(args.out_dir, seed=args.seed, scale=args.scale, feedback=PrintFeedback())
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
