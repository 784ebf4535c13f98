"""Coverage honesty: how much of each county a raster covers with valid data, and 乡镇 outside their county.

Covered share of a county = (valid cells whose centre lies in the county × cell area) / county area,
both in the raster's CRS (the county is reprojected to it); cells outside the raster count as not
covered. A share below 1 is reported before the run, in the tables, the metadata and on the 公告
map; publishing it is an explicit choice (``partial_refusal``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

FULL = 0.995  # at or above: covered (cell-centre sampling of the boundary cells is not a gap)


@dataclass
class Cover:
    code: str
    name: str
    share: float  # 0…1

    @property
    def pct(self) -> float:
        return round(100.0 * self.share, 1)

    @property
    def full(self) -> bool:
        return self.share >= FULL


def raster_coverage(raster_path, counties: list, counties_crs) -> list[Cover]:
    """``counties``: (code, name, shapely geometry) in ``counties_crs``. One Cover per county."""
    import rasterio
    from pyproj import CRS, Transformer
    from rasterio import features, windows

    from .compat import transform_xy

    out = []
    with rasterio.open(str(raster_path)) as src:
        r_crs = CRS.from_user_input(src.crs.to_wkt()) if src.crs else None
        c_crs = CRS.from_user_input(counties_crs) if counties_crs is not None else None
        tf = None
        if r_crs is not None and c_crs is not None and not r_crs.equals(c_crs):
            tf = Transformer.from_crs(c_crs, r_crs, always_xy=True).transform
        cell = abs(src.transform.a * src.transform.e)
        for code, name, geom in counties:
            g = transform_xy(tf, geom) if tf else geom
            area = g.area
            if area <= 0:
                out.append(Cover(code, name, 0.0))
                continue
            full = windows.Window(0, 0, src.width, src.height)
            try:
                w = windows.from_bounds(*g.bounds, transform=src.transform)
                c0, r0 = int(np.floor(w.col_off)), int(np.floor(w.row_off))
                c1, r1 = int(np.ceil(w.col_off + w.width)), int(np.ceil(w.row_off + w.height))
                win = windows.Window(c0, r0, c1 - c0, r1 - r0).intersection(full)
            except Exception:  # rasterio.errors.WindowError: no overlap
                out.append(Cover(code, name, 0.0))
                continue
            if win.width <= 0 or win.height <= 0:
                out.append(Cover(code, name, 0.0))
                continue
            wt = windows.transform(win, src.transform)
            shape = (int(win.height), int(win.width))
            inside = features.rasterize(
                [(g, 1)], out_shape=shape, transform=wt, all_touched=False, dtype=np.uint8
            ).astype(bool)
            valid = src.read_masks(1, window=win) > 0
            covered = float(np.count_nonzero(inside & valid)) * cell
            out.append(Cover(code, name, min(1.0, covered / area)))
    return out


def partial_refusal(label: str, covers: list[Cover], what_zh: str = "DEM", what_en: str = "the DEM") -> None:
    """Refuse (bilingual, giving the shares) when a county is covered only in part."""
    partial = [c for c in covers if not c.full]
    if not partial:
        return
    listed = ", ".join(f"{c.code} {c.name} {c.pct:.1f}%".replace("  ", " ") for c in partial)
    raise InputError(
        label,
        f"{what_zh} 只覆盖部分县域（{listed}），结果不完整；确认要发布不完整的结果时请勾选“允许发布部分覆盖的结果”",
        f"{what_en} covers only part of the county ({listed}), so the result is partial; "
        "tick 'allow publishing a partial result' to publish it anyway",
    )


def cover_note(share: float | None) -> tuple[str, str]:
    """(zh, en) line printed on the 公告 map and in the tables for a partial result; ('', '') when covered."""
    if share is None or share >= FULL:
        return "", ""
    pct = f"{100.0 * share:.1f}"
    return (
        f"注意：DEM 仅覆盖县域的 {pct}%，本图为部分成果",
        f"Note: the DEM covers only {pct}% of the county; this map is a partial result",
    )


def townships_outside(townships: list, counties: list, min_inside: float = 0.5) -> list[dict]:
    """乡镇 that do not belong to the chosen counties: by code (first 6 digits not a county code) or by
    geometry (less than ``min_inside`` of its area inside the counties). ``townships``/``counties``:
    (code, name, geometry) in one CRS. Returns [{code, name, reason: 'code'|'geometry'|'code+geometry', inside_pct}]."""
    from shapely.ops import unary_union

    county_codes = {str(c) for c, _, _ in counties if str(c).isdigit() and len(str(c)) == 6}
    union = unary_union([g for _, _, g in counties if g is not None and not g.is_empty])
    out = []
    for code, name, geom in townships:
        code = str(code or "")
        by_code = bool(county_codes) and code.isdigit() and len(code) in (9, 12) and code[:6] not in county_codes
        share = None
        if geom is not None and not geom.is_empty and geom.area > 0:
            share = geom.intersection(union).area / geom.area
        by_geom = share is not None and share < min_inside
        if by_code or by_geom:
            reason = "code+geometry" if by_code and by_geom else ("code" if by_code else "geometry")
            out.append(
                {
                    "code": code,
                    "name": str(name or ""),
                    "reason": reason,
                    "inside_pct": None if share is None else round(100 * share, 1),
                }
            )
    return out


def outside_message(outside: list[dict], label: str = "乡镇 townships") -> str:
    """One bilingual warning listing the 乡镇 outside their county ('' when none)."""
    if not outside:
        return ""
    shown = ", ".join(f"{t['code']} {t['name']}".strip() for t in outside[:15]) + (" …" if len(outside) > 15 else "")
    return (
        f"{label}: {len(outside)} 个乡镇不在所选县内（代码前 6 位不是县代码，或一半以上面积在县外）: {shown} / "
        f"{len(outside)} township(s) lie outside the chosen counties "
        f"(code prefix not a county code, or most of the area outside): {shown}"
    )
