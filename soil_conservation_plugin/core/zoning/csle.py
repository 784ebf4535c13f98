"""CSLE (中国土壤流失方程) where no erosion raster exists: A = R·K·L·S·B·E·T, classed by SL 190-2007.

L and S come from the DEM slope (Horn, ground units, ``core/terrain/slope``):

* S: McCool (θ < 5°: 10.8 sinθ + 0.03; 5–10°: 16.8 sinθ − 0.50) and Liu et al. (θ ≥ 10°:
  21.91 sinθ − 0.96). These formulas are [M] in REFERENCE.md §5: configurable defaults
  in resources/rules/erosion_classes.json ("csle"), not the standard.
* L = (λ / 22.13)^m with m by slope class (0.2 / 0.3 / 0.4 / 0.5, [M]); λ is a constant
  slope length (default 20 m, NOT FOUND) or a slope-length raster on the DEM grid.

R, K, B, E, T are rasters on the DEM grid or constants. CSLE applies T on cropland and B
elsewhere: give B = 1 on cropland and T = 1 off it. A is in t·hm⁻²·a⁻¹ and is written
×100 as a modulus in t/(km²·a), so it feeds the indicator step like any erosion raster.
Factor rasters on another grid are refused (resample them onto the DEM grid first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import rasterio
from rasterio.windows import Window

from ..common.errors import InputError
from ..common.feedback import Feedback
from ..common.input_checks import check_raster
from ..common.io import atomic_path
from ..indicators.compute import load_erosion_classes
from ..terrain.dem import open_dem
from ..terrain.slope import SLOPE_NODATA, slope_bands

FACTORS = ("R", "K", "B", "E", "T")
MODULUS_NODATA = -9999.0


def s_factor(theta_deg: np.ndarray, pieces: list[dict]) -> np.ndarray:
    """Slope-steepness factor S = a·sinθ + b on the slope interval of each piece."""
    theta = np.asarray(theta_deg, dtype=np.float64)
    s = np.full(theta.shape, np.nan)
    sin = np.sin(np.radians(theta))
    for p in pieces:
        lo = float(p["min_deg"])
        hi = math.inf if p.get("max_deg") is None else float(p["max_deg"])
        sel = (theta >= lo) & (theta < hi)
        s[sel] = float(p["a"]) * sin[sel] + float(p["b"])
    return np.maximum(s, 0.0)


def l_factor(theta_deg: np.ndarray, length_m, exponents: list[dict], unit_length: float = 22.13) -> np.ndarray:
    """Slope-length factor (λ / 22.13)^m; m by slope class (upper bounds inclusive)."""
    theta = np.asarray(theta_deg, dtype=np.float64)
    m = np.full(theta.shape, np.nan)
    lower = -math.inf
    for e in exponents:
        hi = math.inf if e.get("max_deg") is None else float(e["max_deg"])
        m[(theta > lower) & (theta <= hi)] = float(e["m"])
        lower = hi
    m[theta <= 0] = float(exponents[0]["m"])
    return (np.asarray(length_m, dtype=np.float64) / unit_length) ** m


@dataclass
class CsleResult:
    cells: int = 0
    class_area_m2: dict = field(default_factory=dict)
    mean_modulus: float = float("nan")

    def as_dict(self) -> dict:
        return {
            "valid_cells": self.cells,
            "class_area_km2": {k: v / 1e6 for k, v in self.class_area_m2.items()},
            "mean_modulus": self.mean_modulus,
        }


def _factor_source(value, name: str, dem):
    """A constant, or an open raster on the DEM grid."""
    if value is None:
        return 1.0
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)) or float(value) < 0:
            raise InputError(
                f"CSLE {name}", f"因子 {name} 必须是非负数", f"factor {name} must be a non-negative number"
            )
        return float(value)
    check_raster(value, f"CSLE {name}")
    try:
        src = rasterio.open(str(value))
    except Exception as exc:
        raise InputError(
            f"CSLE {name}", f"无法读取因子栅格 {value}: {exc}", f"cannot read factor raster {value}: {exc}"
        ) from exc
    same = (
        src.width == dem.width
        and src.height == dem.height
        and all(abs(a - b) < 1e-6 * max(1.0, abs(b)) for a, b in zip(src.transform[:6], dem.transform[:6]))
    )
    if not same:
        src.close()
        raise InputError(
            f"CSLE {name}",
            f"因子 {name} 栅格与 DEM 网格不一致(不自动重采样)，请先重采样到 DEM 网格",
            f"factor raster {name} is not on the DEM grid (no automatic resampling); resample it onto the DEM grid "
            "first",
        )
    return src


def compute_csle(
    dem_path,
    out_path,
    factors: dict | None = None,
    slope_length=None,
    class_path=None,
    params: dict | None = None,
    feedback: Feedback | None = None,
) -> CsleResult:
    """Write the CSLE modulus t/(km²·a) (float32) and optionally SL 190 class codes 1–6 (uint8, 0 = NoData)."""
    feedback = feedback or Feedback()
    classes = load_erosion_classes()
    params = params or classes["csle"]
    dem = open_dem(dem_path, "DEM")
    factors = factors or {}
    unknown = set(factors) - set(FACTORS)
    if unknown:
        raise InputError("CSLE", f"未知因子 {sorted(unknown)}", f"unknown factors {sorted(unknown)}")
    opened = {name: _factor_source(factors.get(name), name, dem) for name in FACTORS}
    length = _factor_source(
        slope_length if slope_length is not None else float(params["slope_length_m"]["value"]), "slope length", dem
    )
    lows = np.asarray([float(c["lower"]) for c in classes["classes"]][1:])
    codes = np.asarray([int(c["raster_code"]) for c in classes["classes"]], np.uint8)
    to_modulus = float(params["a_to_modulus_factor"]["value"])
    result = CsleResult()
    total = 0.0
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "width": dem.width,
        "height": dem.height,
        "crs": dem.rio_crs,
        "transform": dem.transform,
        "nodata": MODULUS_NODATA,
        "compress": "deflate",
        "BIGTIFF": "IF_SAFER",
    }
    try:
        # atomic_path raises on GDAL write failures (disk full …), so no truncated raster takes the final name
        with atomic_path(out_path) as tmp, atomic_path(class_path) if class_path else _null() as ctmp:
            dst = rasterio.open(tmp, "w", **profile)
            cdst = rasterio.open(ctmp, "w", **dict(profile, dtype="uint8", nodata=0)) if class_path else None
            try:
                for row0, row1, slope in slope_bands(dem, feedback):
                    win = Window(0, row0, dem.width, row1 - row0)
                    valid = slope != SLOPE_NODATA
                    theta = np.where(valid, slope, 0.0).astype(np.float64)
                    a = s_factor(theta, params["s_pieces"])
                    lam = (
                        length
                        if isinstance(length, float)
                        else length.read(1, window=win, masked=True).astype(np.float64).filled(np.nan)
                    )
                    a = a * l_factor(theta, lam, params["l_exponent"], float(params["l_unit_length_m"]["value"]))
                    for name, src in opened.items():
                        if isinstance(src, float):
                            a = a * src
                        else:
                            f = src.read(1, window=win, masked=True).astype(np.float64).filled(np.nan)
                            if np.nanmin(f, initial=0.0) < 0:
                                raise InputError(
                                    f"CSLE {name}",
                                    f"因子 {name} 栅格含负值",
                                    f"factor raster {name} holds negative values",
                                )
                            a = a * f
                    modulus = a * to_modulus
                    ok = valid & np.isfinite(modulus)
                    out = np.where(ok, modulus, MODULUS_NODATA).astype(np.float32)
                    dst.write(out, 1, window=win)
                    cls = np.zeros(out.shape, np.uint8)
                    cls[ok] = codes[np.searchsorted(lows, modulus[ok], side="right")]
                    if cdst is not None:
                        cdst.write(cls, 1, window=win)
                    area = (dem.spacing(np.arange(row0, row1))[0] * dem.spacing(np.arange(row0, row1))[1])[:, None]
                    area = np.broadcast_to(area, out.shape)
                    for c in classes["classes"]:
                        result.class_area_m2[c["id"]] = result.class_area_m2.get(c["id"], 0.0) + float(
                            area[cls == c["raster_code"]].sum()
                        )
                    result.cells += int(ok.sum())
                    total += float(modulus[ok].sum())
                dst.update_tags(
                    UNITS="t/(km2*a)",
                    METHOD="CSLE A=R*K*L*S*B*E*T x100; S McCool/Liu [M] defaults",
                    SOURCE="resources/rules/erosion_classes.json csle",
                )
            finally:
                dst.close()
                if cdst is not None:
                    cdst.close()
    finally:
        for src in list(opened.values()) + [length]:
            if not isinstance(src, float):
                src.close()
    result.mean_modulus = total / result.cells if result.cells else float("nan")
    return result


class _null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
