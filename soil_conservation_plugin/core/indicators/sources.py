"""Raster sources: each input raster turns a band of rows into class codes and values, and its counts
into indicator columns."""

from __future__ import annotations

import math

import numba
import numpy as np
import rasterio
from rasterio.windows import Window

from ..common.errors import InputError
from ..terrain.dem import Dem, open_dem
from ..terrain.slope import SLOPE_NODATA
from .grid import Grid, open_grid, read_env
from .zonal import _NO_BREAKS, _NO_CMAP, _breaks_spec, _count_kernel, n_chunks_for


@numba.njit(parallel=True, cache=True)
def _to_float(raw, nodata, has_nodata, scale, out):  # pragma: no cover - compiled
    """out = raw × scale as float32, NaN where raw is NoData (compared as float64) or NaN."""
    h, w = raw.shape
    for i in numba.prange(h):
        for j in range(w):
            x = raw[i, j]
            if (has_nodata and np.float64(x) == nodata) or x != x:
                out[i, j] = np.nan
            else:
                out[i, j] = x * scale


@numba.njit(parallel=True, cache=True)
def _classify(data, breaks, upper_inclusive, out):  # pragma: no cover - compiled
    """Class index: breaks <= value (lower-inclusive classes) or breaks < value (upper-inclusive); -1 for NaN."""
    h, w = data.shape
    nb = breaks.shape[0]
    for i in numba.prange(h):
        for j in range(w):
            x = data[i, j]
            if x != x:
                out[i, j] = -1
                continue
            k = 0
            if upper_inclusive:
                while k < nb and x > breaks[k]:
                    k += 1
            else:
                while k < nb and x >= breaks[k]:
                    k += 1
            out[i, j] = k


@numba.njit(parallel=True, cache=True)
def _lookup(raw, nodata, has_nodata, lut, other, out):  # pragma: no cover - compiled
    """Class index of integer codes through lut (−1 = no data); codes beyond the table → other."""
    h, w = raw.shape
    n = lut.shape[0]
    for i in numba.prange(h):
        for j in range(w):
            x = raw[i, j]
            if (has_nodata and np.float64(x) == nodata) or x != x:
                out[i, j] = -1
                continue
            c = int(x)
            if c < 0 or c >= n:
                out[i, j] = other
            else:
                out[i, j] = lut[c]


@numba.njit(parallel=True, cache=True)
def _min_max(raw, nodata, has_nodata, lo0, hi0, n_chunks):  # pragma: no cover - compiled
    """(min, max) of the valid cells of raw in its stored dtype (NoData and NaN skipped), row chunks in
    parallel; (inf, -inf) when there is none. lo0 / hi0: the dtype's largest / smallest value."""
    h, w = raw.shape
    lo = np.full(n_chunks, np.inf)
    hi = np.full(n_chunks, -np.inf)
    for t in numba.prange(n_chunks):
        a, b, n = _min_max_rows(raw, t * h // n_chunks, (t + 1) * h // n_chunks, nodata, has_nodata, lo0, hi0)
        if n:
            lo[t] = a
            hi[t] = b
    return lo.min(), hi.max()


@numba.njit(cache=True)
def _min_max_rows(raw, r0, r1, nodata, has_nodata, lo0, hi0):  # pragma: no cover - compiled
    """Selects in the raster's dtype (nodata too, see native_nodata); no float64 copy of the band."""
    a = lo0
    b = hi0
    n = 0
    for i in range(r0, r1):
        for j in range(raw.shape[1]):
            x = raw[i, j]
            ok = (x == x) & ((not has_nodata) | (x != nodata))  # NaN is never ok
            n += ok
            a = x if ok & (x < a) else a
            b = x if ok & (x > b) else b
    return np.float64(a), np.float64(b), n


def dtype_range(dtype) -> tuple:
    """(largest, smallest) value of a dtype, in it: the start of a running min / max."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return dtype.type(info.max), dtype.type(info.min)
    return dtype.type(np.inf), dtype.type(-np.inf)


def native_nodata(raw: np.ndarray, nodata, has_nodata: bool):
    """NoData in the raster's own dtype, for exact comparisons the compiler can vectorize: (value, has_nodata).
    A NoData the dtype cannot hold (e.g. -9999 on uint8) matches no cell."""
    none = (raw.dtype.type(0), False)
    if not has_nodata or nodata is None or math.isnan(float(nodata)):
        return none
    v = float(nodata)
    if raw.dtype.kind in "iu":
        info = np.iinfo(raw.dtype)
        return (raw.dtype.type(int(v)), True) if v.is_integer() and info.min <= v <= info.max else none
    nd = raw.dtype.type(v)
    return (nd, True) if float(nd) == v else none


class Source:
    """One input raster → class layers (int16, -1 = no data) and value layers (float32, NaN = no data)."""

    name = ""
    n_classes: tuple = ()
    n_values = 0
    dem: Dem | None = None  # a slope source's DEM: the pass computes the slope band by band

    def __init__(self, path, layer: str, crs_cache: dict | None = None):
        self.path, self.layer = str(path), layer
        self.grid = open_grid(path, layer, crs_cache)
        self._cache: tuple | None = None
        self.nodata = self.grid.nodata

    def check(self) -> None:
        pass

    def open(self):
        self._src = rasterio.open(self.path)

    def close(self):
        self._src.close()
        self._cache = self._vcache = None

    def raw(self, row0, row1, src=None) -> np.ndarray:
        """Rows as stored; the last band read is kept, so a check before the pass costs no second read."""
        if self._cache is not None and self._cache[0] == (row0, row1):
            return self._cache[1]
        with read_env():
            data = (src or self._src).read(1, window=Window(0, row0, self.grid.width, row1 - row0))
        self._cache = ((row0, row1), data)
        return data

    def bands(self):
        step = self.grid.band_rows()
        return [(r0, min(self.grid.height, r0 + step)) for r0 in range(0, self.grid.height, step)]

    def has_nodata(self) -> bool:
        return self.nodata is not None and not math.isnan(self.nodata)

    def nodata_value(self) -> float:
        """NoData as float64 for the kernels (0.0 when there is none: has_nodata() says so)."""
        return float(self.nodata) if self.nodata is not None and not math.isnan(self.nodata) else 0.0

    def values(self, row0, row1, scale=1.0, src=None, out=None) -> np.ndarray:
        """float32 rows × scale, NaN for NoData, into ``out`` if given; the check's result is reused by the pass."""
        key = (row0, row1, scale)
        cached = getattr(self, "_vcache", None)
        if cached is not None and cached[0] == key:
            if out is None:
                return cached[1]
            np.copyto(out, cached[1])
            self._vcache = None  # handed over: free it
            return out
        raw = self.raw(row0, row1, src)
        keep = out is None
        out = np.empty(raw.shape, np.float32) if out is None else out
        _to_float(raw, self.nodata_value(), self.has_nodata(), np.float32(scale), out)
        if keep:
            self._vcache = (key, out)
        return out

    def scan_min_max(self):
        """(min, max) of the valid values, band by band in the stored dtype; the last band stays cached for the pass."""
        lo, hi = np.inf, -np.inf
        with read_env(), rasterio.open(self.path) as src:
            for r0, r1 in self.bands():
                raw = self.raw(r0, r1, src)
                a, b = _min_max(
                    raw,
                    *native_nodata(raw, self.nodata, self.has_nodata()),
                    *dtype_range(raw.dtype),
                    n_chunks_for(raw.shape[0]),
                )
                lo, hi = min(lo, float(a)), max(hi, float(b))
        return lo, hi

    def spec(self, row0, row1, slope) -> tuple:
        """(raw rows, scale, mode, breaks spec, cmap, other, with_value) for _count_kernel."""
        raise NotImplementedError

    def count(self, row0, row1, slope, runs, area, with_cover: bool, n_units: int):
        """Label counting of this raster on a band over label_runs' runs (see _count_kernel).

        Returns (hist, vsum, vw, cover)."""
        raw, scale, mode, brk, cmap, other, with_value = self.spec(row0, row1, slope)
        nodata, has_nodata = native_nodata(raw, self.nodata, self.has_nodata())
        return _count_kernel(
            *runs,
            area,
            raw,
            nodata,
            has_nodata,
            np.float32(scale),
            mode,
            *brk,
            cmap,
            np.int16(other),
            with_value,
            with_cover,
            n_units,
            int(sum(self.n_classes)),
            n_chunks_for(runs[0].shape[0]),
        )

    def block(self, row0, row1, slope, cls, val) -> None:
        """Write the band's class codes into cls[0..len(n_classes)) and values into val[0..n_values)."""
        raise NotImplementedError

    def finish(self, hist: list, vsum, vw, cover) -> dict:
        raise NotImplementedError

    def valid_m2(self, hist: list, vw) -> np.ndarray:
        """Ground area with valid data in each unit: the cells of its first class layer."""
        return hist[0].sum(axis=1)


class SlopeSource(Source):
    name = "slope"
    n_values = 1
    nodata = SLOPE_NODATA

    def __init__(self, path, layer: str, steep_deg: float, breaks: tuple, keys: tuple):
        """``breaks``: the slope classes' upper bounds (°, inclusive), ``keys`` their column stems."""
        self.path, self.layer = str(path), layer
        self.dem = dem = open_dem(path, layer)
        self.grid = Grid(dem.transform, dem.width, dem.height, dem.crs, dem.rio_crs)
        self.steep = float(steep_deg)
        self.breaks, self.keys = breaks, keys
        self.n_classes = (len(keys), 2)

    def open(self):
        pass

    def close(self):
        pass

    def block(self, row0, row1, slope, cls, val) -> None:
        _to_float(slope, SLOPE_NODATA, True, np.float32(1.0), val[0])
        _classify(
            val[0], np.asarray(self.breaks, np.float32), True, cls[0]
        )  # land-survey classes: ≤2, 2–6 … (upper bound inclusive)
        _classify(val[0], np.asarray([self.steep], np.float32), False, cls[1])  # steep: ≥ threshold

    def spec(self, row0, row1, slope):
        brk = _breaks_spec([(self.breaks, True), ((self.steep,), False)])
        return slope, 1.0, 1, brk, _NO_CMAP, -1, True

    def finish(self, hist, vsum, vw, cover):
        cl, st = hist
        valid = cl.sum(axis=1)
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for i, key in enumerate(self.keys):
                out[key + "_pct"] = 100.0 * cl[:, i] / valid
            out["steep_pct"] = 100.0 * st[:, 1] / valid
            out["steep_km2"] = st[:, 1] / 1e6
            out["slope_mean_deg"] = vsum[:, 0] / vw[:, 0]
        return out


class ErosionSource(Source):
    """Erosion modulus t/(km²·a) classified by SL 190-2007, or a ready class raster (codes 1..6)."""

    name = "erosion"

    def __init__(self, path, layer: str, kind: str, classes: dict, crs_cache: dict | None = None):
        """``kind``: "modulus" or "classes"; ``classes``: the SL 190 classes (compute.load_erosion_classes)."""
        super().__init__(path, layer, crs_cache)
        self.kind = kind
        self.classes = classes
        self.ids = [c["id"] for c in self.classes["classes"]]
        self.n_classes = (len(self.ids),)
        self.n_values = 1 if kind == "modulus" else 0
        lowers = [float(c["lower"]) for c in self.classes["classes"]]
        self.breaks = np.asarray(lowers[1:], np.float32)
        self.codes = {int(c["raster_code"]): i for i, c in enumerate(self.classes["classes"])}
        self.lut = np.full(max(self.codes) + 1, -1, np.int16)
        for code, i in self.codes.items():
            self.lut[code] = i
        self.loss_from = self.ids.index(self.classes["loss_from_class"]["id"])

    def check(self) -> None:
        """Negative moduli and unknown class codes are input errors, found before the heavy pass."""
        if self.kind == "modulus":
            lo, _ = self.scan_min_max()
            if lo < 0:
                raise InputError(
                    self.layer,
                    f"侵蚀模数栅格含负值(最小 {lo:g})，侵蚀模数不能为负",
                    f"the erosion-modulus raster holds negative values (min {lo:g}); a modulus cannot be negative",
                )
            return
        with rasterio.open(self.path) as src:
            for r0, r1 in self.bands():
                vals = self.values(r0, r1, 1.0, src)
                found = np.unique(vals[np.isfinite(vals)])
                bad = np.setdiff1d(found, list(self.codes) + [0])
                if bad.size:
                    raise InputError(
                        self.layer,
                        f"侵蚀强度分级栅格含未知代码 {bad[:5].tolist()}(应为 1–6: 微度…剧烈)",
                        f"the erosion class raster holds unknown codes {bad[:5].tolist()} (expected 1–6: 微度…剧烈)",
                    )

    def block(self, row0, row1, slope, cls, val) -> None:
        data = self.values(row0, row1, out=val[0] if self.n_values else None)
        if self.kind == "modulus":
            _classify(data, self.breaks, False, cls[0])
        else:
            _lookup(data, 0.0, False, self.lut, np.int16(-1), cls[0])

    def spec(self, row0, row1, slope):
        if self.kind == "modulus":
            return self.raw(row0, row1), 1.0, 1, _breaks_spec([(self.breaks, False)]), _NO_CMAP, -1, True
        return self.raw(row0, row1), 1.0, 2, _NO_BREAKS, self.lut, -1, False

    def finish(self, hist, vsum, vw, cover):
        h = hist[0]
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for i, key in enumerate(self.ids):
                out[f"eros_{key}_km2"] = h[:, i] / 1e6
            loss = h[:, self.loss_from :].sum(axis=1)
            out["loss_km2"] = loss / 1e6
            out["loss_pct"] = 100.0 * loss / cover
            out["moderate_plus_pct"] = 100.0 * h[:, self.ids.index("moderate") :].sum(axis=1) / cover
            out["intense_plus_pct"] = 100.0 * h[:, self.ids.index("intense") :].sum(axis=1) / cover
            out["conservation_rate_pct"] = 100.0 * (cover - loss) / cover
            out["eros_nodata_pct"] = 100.0 * (cover - h.sum(axis=1)) / cover
            if self.n_values:
                out["erosion_modulus_mean"] = vsum[:, 0] / vw[:, 0]
        return out


class LanduseSource(Source):
    name = "landuse"

    def __init__(self, path, layer: str, mapping: dict, crs_cache: dict | None = None):
        """``mapping``: land-use codes → groups (compute.load_landuse_mapping)."""
        super().__init__(path, layer, crs_cache)
        self.mapping = mapping
        self.groups = [g["id"] for g in self.mapping["groups"]]
        if "other" not in self.groups:
            self.groups.append("other")
        self.n_classes = (len(self.groups),)
        codes = {int(code): self.groups.index(g["id"]) for g in self.mapping["groups"] for code in g["codes"]}
        self.other = self.groups.index("other")
        self.lut = np.full(
            max(max(codes, default=0), max(self.mapping.get("nodata_codes", [0]), default=0)) + 1, self.other, np.int16
        )
        for code, i in codes.items():
            self.lut[code] = i
        for code in self.mapping.get("nodata_codes", []):
            if 0 <= int(code) < self.lut.size:
                self.lut[int(code)] = -1

    def block(self, row0, row1, slope, cls, val) -> None:
        raw = self.raw(row0, row1)
        _lookup(
            raw,
            self.nodata_value(),
            self.has_nodata(),
            self.lut,
            np.int16(self.other),
            cls[0],
        )

    def spec(self, row0, row1, slope):
        return self.raw(row0, row1), 1.0, 2, _NO_BREAKS, self.lut, self.other, False

    def finish(self, hist, vsum, vw, cover):
        h = hist[0]
        valid = h.sum(axis=1)
        idx = {g: i for i, g in enumerate(self.groups)}
        out = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for g in self.groups:
                out[f"lu_{g}_pct"] = 100.0 * h[:, idx[g]] / valid
            out["forest_grass_pct"] = 100.0 * sum(h[:, idx[g]] for g in self.mapping["forest_grass_groups"]) / valid
            out["cropland_pct"] = 100.0 * sum(h[:, idx[g]] for g in self.mapping["cropland_groups"]) / valid
        return out


class FvcSource(Source):
    """Vegetation cover; values above 1.5 anywhere mean the raster is in percent (divided by 100)."""

    name = "fvc"
    n_values = 1
    scale = 1.0

    def check(self) -> None:
        vmin, vmax = self.scan_min_max()
        if vmin < 0 or vmax > 100:
            raise InputError(
                self.layer,
                f"植被覆盖度超出 0–1 或 0–100 范围({vmin:g}–{vmax:g})",
                f"vegetation cover outside 0–1 or 0–100 ({vmin:g}–{vmax:g})",
            )
        self.scale = 0.01 if vmax > 1.5 else 1.0

    def block(self, row0, row1, slope, cls, val) -> None:
        self.values(row0, row1, self.scale, out=val[0])

    def spec(self, row0, row1, slope):
        return self.raw(row0, row1), self.scale, 0, _NO_BREAKS, _NO_CMAP, -1, True

    def finish(self, hist, vsum, vw, cover):
        with np.errstate(invalid="ignore", divide="ignore"):
            return {"fvc_mean": vsum[:, 0] / vw[:, 0]}

    def valid_m2(self, hist: list, vw) -> np.ndarray:
        return vw[:, 0]  # FVC has no classes: its weighted cells
