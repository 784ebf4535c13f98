"""The shared inputs of the suite (a small demo region and the chain's results on it) and per-case helpers."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio


def layer(path, name: str) -> str:
    return f"{path}|layername={name}"


def file_of(value) -> Path | None:
    """The local file behind a parameter value ('x.gpkg|layername=y' → x.gpkg), if it is one."""
    if not isinstance(value, str) or not value or "://" in value:
        return None
    p = Path(value.split("|")[0])
    return p if p.is_absolute() else None


def sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def snapshot(paths) -> dict[str, str]:
    """sha256 of every file under the given files/folders."""
    out = {}
    for root in paths:
        root = Path(root)
        if root.is_file():
            out[str(root)] = sha(root)
        elif root.is_dir():
            for p in root.rglob("*"):
                if p.is_file() and not p.is_symlink():
                    out[str(p)] = sha(p)
    return out


class Spy:
    """A local TCP listener standing in for a web server: counts every connection (none may ever arrive)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.hits = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.hits += 1
            conn.close()

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"


@dataclass
class World:
    root: Path
    demo: dict  # role → path of the demo region's inputs
    chain: dict  # step → results
    profile: Path | None = None
    spy: Spy | None = None
    cache: dict = field(default_factory=dict)

    @property
    def dem(self) -> str:
        return str(self.demo["dem"])

    @property
    def county(self) -> str:
        return layer(self.demo["county"], "county")

    @property
    def townships(self) -> str:
        return layer(self.demo["townships"], "townships")

    @property
    def units(self) -> str:
        return layer(self.chain["watersheds"]["OUTPUT"], "units")

    @property
    def steep(self) -> str:
        return self.chain["steep_slope"]["OUTPUT"]

    @property
    def indicators(self) -> str:
        return layer(self.chain["unit_indicators"]["OUTPUT"], "units")

    @property
    def zoned(self) -> str:
        return self.chain["zoning"]["UNITS_OUT"]

    def county_gdf(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.demo["county"], layer="county")

    def townships_gdf(self) -> gpd.GeoDataFrame:
        return gpd.read_file(self.demo["townships"], layer="townships")


def build_world(root: Path) -> World:
    """The demo region at its smallest scale, and the chain (units → slope → steep → indicators → zoning) on it."""
    from soil_conservation_plugin.demo.region import generate_demo_region
    from soil_conservation_plugin.processing import pipeline

    from ..conftest import provider_registered

    demo = generate_demo_region(root / "demo", scale=0.1)
    inputs = {k: str(v) for k, v in demo.items()} | {"province": "220000"}
    done: dict = {}
    out = root / "chain"
    with provider_registered():
        from soil_conservation_plugin.core.common.feedback import Feedback

        for name, algorithm, params in pipeline.chain_steps(inputs, out, done):  # the chain's own parameters
            if name in ("checks", "checks_steep", "export", "publish"):
                break
            done[name] = pipeline.run_step(algorithm, params(), Feedback())
    return World(root, demo, done)


# --- per-case file builders ---------------------------------------------------
def write_gdf(gdf: gpd.GeoDataFrame, path: Path, layer_name: str | None = None, **kw) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gpkg":
        gdf.to_file(path, layer=layer_name, driver="GPKG", **kw)
        return layer(path, layer_name)
    gdf.to_file(path, driver="ESRI Shapefile", **kw)
    return str(path)


def copy_raster(src, dst: Path, fn=None, **profile_changes) -> str:
    """A copy of a raster, its band passed through fn(array, nodata) and its profile changed."""
    with rasterio.open(src) as s:
        arr = s.read(1)
        profile = s.profile.copy()
    profile.update(profile_changes)
    if fn is not None:
        arr = fn(arr, profile.get("nodata"))
    dst.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(dst, "w", **profile) as d:
        d.write(arr.astype(profile["dtype"]), 1)
    return str(dst)


def truncated(src, dst: Path, keep: float = 0.5) -> str:
    data = Path(src).read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return str(dst)


def corrupt_deflate(src, dst: Path) -> str:
    """A DEFLATE-compressed GeoTIFF whose compressed tiles are overwritten with garbage in the middle."""
    tmp = dst.with_suffix(".ok.tif")
    subprocess.run(
        [
            "gdal_translate",
            "-q",
            "-co",
            "COMPRESS=DEFLATE",
            "-co",
            "TILED=YES",
            "-co",
            "BLOCKXSIZE=32",
            "-co",
            "BLOCKYSIZE=32",
            str(src),
            str(tmp),
        ],
        check=True,
    )
    data = bytearray(tmp.read_bytes())
    tmp.unlink()
    mid = len(data) // 2
    data[mid : mid + len(data) // 4] = (
        np.random.default_rng(1).integers(0, 256, len(data) // 4, dtype=np.uint8).tobytes()
    )
    dst.write_bytes(bytes(data))
    return str(dst)


def vsicurl_vrt(src, dst: Path, url: str) -> str:
    """A local VRT whose only source is /vsicurl/<url>
    (written by hand: building it must not touch the network either)."""
    subprocess.run(["gdal_translate", "-q", "-of", "VRT", str(src), str(dst)], check=True)
    text = dst.read_text(encoding="utf-8")
    import re

    text = re.sub(
        r'<SourceFilename relativeToVRT="\d">[^<]*</SourceFilename>',
        f'<SourceFilename relativeToVRT="0">/vsicurl/{url}</SourceFilename>',
        text,
    )
    assert "/vsicurl/" in text
    dst.write_text(text, encoding="utf-8")
    return str(dst)


class Mounts:
    """tmpfs mounts of one case, unmounted at teardown."""

    def __init__(self):
        self.points: list[Path] = []

    def tmpfs(self, where: Path, size: str = "256k") -> Path:
        where.mkdir(parents=True, exist_ok=True)
        try:
            subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            pytest.skip(
                f"cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): {getattr(exc, 'stderr', exc)}".strip()
            )
        self.points.append(where)
        return where

    def full_disk(self, where: Path, free: int = 24 * 1024) -> Path:
        """A 256 KiB tmpfs holding a user's file that leaves only `free` bytes."""
        self.tmpfs(where)
        st = os.statvfs(where)
        (where / "user_file.bin").write_bytes(os.urandom(max(0, st.f_bavail * st.f_frsize - free)))
        return where

    def read_only(self, where: Path) -> Path:
        """A folder no one can write to, holding one user's file."""
        if os.geteuid() != 0:
            where.mkdir(parents=True)
            (where / "user_file.txt").write_text("mine\n")
            where.chmod(0o555)
            self.points.append(where)
            return where
        self.tmpfs(where, "1m")
        (where / "user_file.txt").write_text("mine\n")
        subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        return where

    def close(self):
        for p in reversed(self.points):
            if os.path.ismount(p):
                subprocess.run(["umount", "-l", str(p)], check=False)
            else:
                p.chmod(0o755)
        self.points.clear()


def user_folder(where: Path) -> Path:
    """A folder of someone's own files (not written by the plugin)."""
    (where / "sub").mkdir(parents=True)
    (where / "notes.txt").write_text("我的笔记 / my notes\n", encoding="utf-8")
    (where / "sub" / "data.csv").write_text("a,b\n1,2\n")
    return where


def copy_file(src, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return dst
