"""CRS checks and true ground cell sizes.

Slope and areas must be computed in ground units. A projected DEM gives metres
directly; a geographic DEM (EPSG:4490/4326) gets per-row metre spacing from the
ellipsoid's radii of curvature. Web Mercator is refused: its cell sizes are
inflated by 1/cos(latitude) (≈ 1.33 in 吉林), so any slope or area would be wrong.
"""

from __future__ import annotations

import math

import numpy as np
from pyproj import CRS

from .errors import InputError

WEB_MERCATOR_EPSG = {3857, 3785, 900913, 102100, 102113, 54004}


def to_pyproj(crs) -> CRS | None:
    """Accept rasterio/pyproj CRS objects, WKT, 'EPSG:n' strings; None when there is none."""
    if crs is None:
        return None
    if isinstance(crs, CRS):
        return crs
    if hasattr(crs, "to_wkt"):
        wkt = crs.to_wkt()
        return CRS.from_wkt(wkt) if wkt else None
    text = str(crs).strip()
    return CRS.from_user_input(text) if text else None


def is_web_mercator(crs: CRS) -> bool:
    epsg = crs.to_epsg(min_confidence=70)
    if epsg in WEB_MERCATOR_EPSG:
        return True
    op = crs.coordinate_operation
    method = (op.method_name if op is not None else "").lower()
    return "pseudo mercator" in method or "popular visualisation" in method


def check_ground_crs(crs, layer: str, polygons: bool = False) -> CRS:
    """Return the pyproj CRS when it can give true ground distances, else raise InputError.

    ``polygons``: the layer is a vector (polygon) layer, and the Web Mercator refusal says so
    (raster wording otherwise: cell sizes, slope).
    """
    pcrs = to_pyproj(crs)
    if pcrs is None:
        raise InputError(
            layer,
            "没有坐标参考系(CRS)，无法计算真实地面距离",
            "has no coordinate reference system (CRS); ground distances cannot be computed",
        )
    if is_web_mercator(pcrs) and polygons:
        raise InputError(
            layer,
            "坐标系为 Web 墨卡托(EPSG:3857)，其中的长度和面积随纬度放大(吉林一带面积约大 1.7 至 2.1 倍)，"
            "图斑的面积和叠加结果会出错；请先投影到 CGCS2000 高斯-克吕格(如 EPSG:4530)或使用 EPSG:4490",
            "is in Web Mercator (EPSG:3857), whose lengths and areas grow with latitude (areas about 1.7 to 2.1 times "
            "too large in Jilin) and would falsify the polygons' areas and overlays; reproject to a CGCS2000 "
            "Gauss-Krüger zone (e.g. EPSG:4530) or use EPSG:4490",
        )
    if is_web_mercator(pcrs):
        raise InputError(
            layer,
            "坐标系为 Web 墨卡托(EPSG:3857)，其像元尺寸随纬度放大，坡度和面积会出错；"
            "请先投影到 CGCS2000 高斯-克吕格(如 EPSG:4530)或使用 EPSG:4490",
            "is in Web Mercator (EPSG:3857), whose cell sizes grow with latitude and would falsify slope and area; "
            "reproject to a CGCS2000 Gauss-Krüger zone (e.g. EPSG:4530) or use EPSG:4490",
        )
    if not (pcrs.is_geographic or pcrs.is_projected):
        raise InputError(layer, f"不支持的坐标系类型: {pcrs.name}", f"unsupported kind of CRS: {pcrs.name}")
    return pcrs


def metres_per_unit(crs: CRS) -> float:
    """Linear unit of a projected CRS, in metres."""
    return float(crs.axis_info[0].unit_conversion_factor)


def ellipsoid_radii(crs: CRS, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Prime-vertical (N) and meridional (M) radii of curvature, metres, at the given latitudes."""
    ell = crs.ellipsoid
    if ell is None:  # check_ground_crs lets no geographic CRS without an ellipsoid through
        raise ValueError(f"the CRS {crs.name} has no ellipsoid")
    a = ell.semi_major_metre
    inv_f = ell.inverse_flattening
    f = 0.0 if not inv_f else 1.0 / inv_f
    e2 = f * (2.0 - f)
    s2 = np.sin(np.radians(lat_deg)) ** 2
    w = np.sqrt(1.0 - e2 * s2)
    return a / w, a * (1.0 - e2) / w**3


def row_spacing(crs: CRS, transform, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ground cell width (dx) and height (dy) in metres for each given row index.

    ``transform`` is an affine (a, b, c, d, e, f) with no rotation.
    """
    rows = np.asarray(rows, dtype=np.float64)
    res_x, res_y = abs(transform.a), abs(transform.e)
    if crs.is_geographic:
        lat = transform.f + (rows + 0.5) * transform.e
        n, m = ellipsoid_radii(crs, lat)
        dx = n * np.cos(np.radians(lat)) * math.radians(res_x)
        dy = m * math.radians(res_y)
        return dx, dy
    k = metres_per_unit(crs)
    return np.full(rows.shape, res_x * k), np.full(rows.shape, res_y * k)
