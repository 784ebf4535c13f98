"""Strict checks of the inputs, run before any work, each refusing with a bilingual InputError.

Results are published as legal announcements: they must rest on local files whose hashes are
recorded, read completely, with codes that name one place each.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from .errors import InputError

# GDAL virtual file systems and URLs that fetch data over a network
NETWORK_MARKERS = (
    "/vsicurl",
    "/vsis3",
    "/vsigs",
    "/vsiaz",
    "/vsiadls",
    "/vsioss",
    "/vsiswift",
    "/vsihdfs",
    "/vsiwebhdfs",
    "http://",
    "https://",
    "ftp://",
    "ftps://",
)
_ARCHIVES = ("/vsizip/", "/vsigzip/", "/vsitar/", "/vsi7z/", "/vsirar/")
# the smallest DEM with one full 3×3 window (Horn's slope, D8)
MIN_DEM_SIZE = 3


def is_network(path) -> bool:
    text = str(path).strip().lower()
    return any(marker in text for marker in NETWORK_MARKERS)


def _refuse_network(label: str, path, via: str | None = None) -> None:
    if is_network(path):
        where_zh = f"（由 {via} 引用）" if via else ""
        where_en = f" (referenced by {via})" if via else ""
        raise InputError(
            label,
            f"数据位于网络上: {path}{where_zh}；结果必须基于本地文件（其哈希值记入元数据），请先下载",
            f"the data is on a network: {path}{where_en}; "
            "results must rest on local files (hashed in the metadata), download it first",
        )


def _archive_file(path: str) -> Path | None:
    """The local archive behind '/vsizip/dir/a.zip/x.tif'."""
    for prefix in _ARCHIVES:
        if path.startswith(prefix):
            p = Path(path[len(prefix) :])
            for candidate in (p, *p.parents):
                if candidate.is_file():
                    return candidate
    return None


def _vrt_sources(vrt: Path) -> list[str]:
    """Source file names of a VRT, read from its XML (GDAL is not asked: it would open them)."""
    try:
        root = ET.parse(vrt).getroot()
    except (ET.ParseError, OSError) as exc:
        raise InputError(vrt.name, f"VRT 文件无法解析: {exc}", f"the VRT file cannot be parsed: {exc}") from exc
    out = []
    for tag in ("SourceFilename", "SourceDataset", "OverviewFilename"):
        for el in root.iter(tag):
            name = (el.text or "").strip()
            if not name:
                continue
            if el.get("relativeToVRT", "0") == "1" and not name.startswith("/"):
                name = str(vrt.parent / name)
            out.append(name)
    return out


def raster_files(path, label: str, _seen: set | None = None) -> list[Path]:
    """Every local file a raster reads (itself, a VRT's sources, recursively); refuses network ones.

    Runs before GDAL opens the raster, so a network source is never touched.
    """
    _refuse_network(label, path)
    text = str(path).split("|")[0]
    seen = _seen if _seen is not None else set()
    archive = _archive_file(text)
    p = archive or Path(text)
    if not p.is_file():
        raise InputError(label, f"栅格文件不存在: {text}", f"raster file not found: {text}")
    if p.resolve() in seen:
        return []
    seen.add(p.resolve())
    files = [p]
    if p.suffix.lower() == ".vrt" and archive is None:
        for src in _vrt_sources(p):
            _refuse_network(label, src, p.name)
            if src.startswith("<") or src.upper().startswith(("MEM:", "NETCDF:", "HDF")):
                continue  # inline or driver-prefixed sources: nothing more on disk to hash
            files.extend(raster_files(src, label, seen))
    return files


def check_raster_readable(path, label: str) -> None:
    """Read every block of every band once (GDAL band checksums): a truncated or corrupt file is refused here."""
    from osgeo import gdal

    gdal.UseExceptions()
    gdal.ErrorReset()
    try:
        ds = gdal.Open(str(path))
        for i in range(1, ds.RasterCount + 1):
            ds.GetRasterBand(i).Checksum()
        ds = None
    except RuntimeError as exc:
        raise InputError(
            label,
            f"栅格文件不完整或已损坏，无法完整读取: {exc}",
            f"the raster is truncated or corrupt and cannot be read completely: {exc}",
        ) from exc
    # some drivers report a failed block read as a logged error only
    if gdal.GetLastErrorType() >= gdal.CE_Failure and gdal.GetLastErrorMsg():
        msg = gdal.GetLastErrorMsg()
        gdal.ErrorReset()
        raise InputError(label, f"栅格文件不完整或已损坏: {msg}", f"the raster is truncated or corrupt: {msg}")


# Files proven complete in this process, by (path, size, mtime) of every file behind the raster:
# Processing checks a raster parameter, then the algorithm opens it again; one complete read is enough.
_READ_COMPLETE: set[tuple] = set()


def check_raster(path, label: str) -> list[Path]:
    """Local, complete and readable; returns the files behind it (for the hashes)."""
    files = raster_files(path, label)
    key = tuple((str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns) for f in files)
    if key not in _READ_COMPLETE:
        check_raster_readable(path, label)
        _READ_COMPLETE.add(key)
    return files


def check_dem_size(width: int, height: int, label: str) -> None:
    if width < MIN_DEM_SIZE or height < MIN_DEM_SIZE:
        raise InputError(
            label,
            f"DEM 只有 {width}×{height} 个像元，至少需要 {MIN_DEM_SIZE}×{MIN_DEM_SIZE} 才能计算坡度",
            f"the DEM is only {width}×{height} cells; slope needs at least {MIN_DEM_SIZE}×{MIN_DEM_SIZE}",
        )


def check_geographic_extent(crs, bounds, label: str) -> None:
    """A geographic CRS whose coordinates fall outside ±180/±90 is mislabelled (e.g. metres as EPSG:4326)."""
    if crs is None or not getattr(crs, "is_geographic", False) or bounds is None:
        return
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    if not all(np.isfinite([xmin, ymin, xmax, ymax])):
        return
    eps = 1e-6
    if xmin < -180 - eps or xmax > 180 + eps or ymin < -90 - eps or ymax > 90 + eps:
        raise InputError(
            label,
            f"坐标系 {crs.name} 是经纬度，但坐标范围 ({xmin:.6g}, {ymin:.6g}, {xmax:.6g}, {ymax:.6g}) 超出 ±180/±90："
            "坐标系标注有误（可能是投影坐标，单位为米）",
            f"the CRS {crs.name} is geographic but the coordinates ({xmin:.6g}, {ymin:.6g}, {xmax:.6g}, {ymax:.6g}) "
            "fall outside ±180/±90: the CRS label is wrong (projected metres?)",
        )


def check_unique_codes(codes, names, label: str, what_zh: str = "代码", what_en: str = "code") -> None:
    """One code, one name: parts of a multipart place share code and name; different names under one code are
    refused."""
    seen: dict = {}
    for code, name in zip(codes, names):
        code, name = str(code).strip(), str(name or "").strip()
        if code:
            seen.setdefault(code, [])
            if name not in seen[code]:
                seen[code].append(name)
    clashes = {c: n for c, n in seen.items() if len(n) > 1}
    if clashes:
        shown = "; ".join(f"{c}: {' / '.join(n)}" for c, n in list(clashes.items())[:10])
        more = f" …(+{len(clashes) - 10})" if len(clashes) > 10 else ""
        raise InputError(
            label,
            f"{len(clashes)} 个{what_zh}对应不同名称，请先改正: {shown}{more}",
            f"{len(clashes)} {what_en}(s) carry different names; fix them first: {shown}{more}",
        )


def zones_without_data(dem, zones, src) -> list[int]:
    """Zone indices (1-based) of ``zones`` that the DEM covers but where it holds no valid cell.

    Zones wholly outside the grid are not counted here (a province layer over a one-county DEM).
    """
    from rasterio.windows import Window
    from rasterio.windows import transform as window_transform

    touched, valid = set(), set()
    step = dem.band_rows()
    for row0 in range(0, dem.height, step):
        row1 = min(dem.height, row0 + step)
        z = dem.read_rows(src, row0, row1)
        labels = zones.rasterize(
            window_transform(Window(0, row0, dem.width, row1 - row0), dem.transform), z.shape, all_touched=True
        )
        touched |= set(np.unique(labels).tolist())
        valid |= set(np.unique(labels[np.isfinite(z)]).tolist())
    return sorted(touched - valid - {0})


def check_data_inside(dem, zones, what_label: str) -> None:
    """Refuse a raster entirely NoData inside one of the zones (e.g. a county)."""
    import rasterio

    with rasterio.open(dem.path) as src:
        missing = zones_without_data(dem, zones, src)
    if missing:
        shown = ", ".join(f"{zones.codes[i - 1]} {zones.names[i - 1]}".strip() for i in missing[:10])
        raise InputError(
            dem.layer,
            f"在{what_label}范围内全部为无数据(NoData): {shown}",
            f"holds only NoData inside {what_label}: {shown}",
        )
