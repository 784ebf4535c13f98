"""CSLE on planes of known slope with constant factors: S (McCool/Liu), L, A and the SL 190 class."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from pyproj import CRS
from rasterio.transform import from_origin

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.indicators import compute as ind
from soil_conservation_plugin.core.zoning.csle import compute_csle, s_factor

T = from_origin(42500000.0, 4800000.0, 30.0, 30.0)


def plane(path, theta_deg, n=20, nodata=-9999.0):
    cols = np.arange(n)[None, :].repeat(n, 0)
    z = (cols * 30.0 * math.tan(math.radians(theta_deg)) + 100.0).astype("float64")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float64",
        crs=CRS.from_epsg(4530).to_wkt(),
        transform=T,
        nodata=nodata,
    ) as dst:
        dst.write(z, 1)
    return path


def const_raster(path, value, n=20):
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs=CRS.from_epsg(4530).to_wkt(),
        transform=T,
    ) as dst:
        dst.write(np.full((n, n), value, "float32"), 1)
    return path


# hand-written expectations (formulas of REFERENCE.md §5, m classes of erosion_classes.json)
CASES = [  # theta, S, m
    (2.5, 10.8 * math.sin(math.radians(2.5)) + 0.03, 0.4),
    (7.0, 16.8 * math.sin(math.radians(7.0)) - 0.50, 0.5),
    (15.0, 21.91 * math.sin(math.radians(15.0)) - 0.96, 0.5),
    (30.0, 21.91 * math.sin(math.radians(30.0)) - 0.96, 0.5),
]


@pytest.mark.parametrize("theta,s_expected,m", CASES)
def test_plane_of_known_slope(tmp_path, theta, s_expected, m):
    dem = plane(tmp_path / "dem.tif", theta)
    r, k, b = 3000.0, 0.004, 0.3
    res = compute_csle(
        dem,
        tmp_path / "a.tif",
        factors={"R": r, "K": const_raster(tmp_path / "k.tif", k), "B": b},
        slope_length=40.0,
        class_path=tmp_path / "cls.tif",
    )
    expected = r * k * (40.0 / 22.13) ** m * s_expected * b * 100.0
    with rasterio.open(tmp_path / "a.tif") as src:
        a = src.read(1, masked=True)
    with rasterio.open(tmp_path / "cls.tif") as src:
        cls = src.read(1)
    inner = a[1:-1, 1:-1]
    assert not inner.mask.any() and a.mask[0].all()  # edges NoData like the slope
    np.testing.assert_allclose(inner.data, expected, rtol=1e-4)
    lows = [0, 200, 2500, 5000, 8000, 15000]
    assert (cls[1:-1, 1:-1] == np.searchsorted(lows, expected, side="right")).all()
    assert res.cells == 18 * 18
    assert res.mean_modulus == pytest.approx(expected, rel=1e-4)


def test_s_pieces_meet_the_documented_breaks():
    pieces = ind.load_erosion_classes()["csle"]["s_pieces"]
    s = s_factor(np.array([4.999, 5.0, 9.999, 10.0]), pieces)
    assert s[0] == pytest.approx(10.8 * math.sin(math.radians(4.999)) + 0.03)
    assert s[1] == pytest.approx(16.8 * math.sin(math.radians(5.0)) - 0.5)
    assert s[3] == pytest.approx(21.91 * math.sin(math.radians(10.0)) - 0.96)


def test_csle_output_feeds_the_indicators(tmp_path):
    import geopandas as gpd
    from shapely.geometry import box

    dem = plane(tmp_path / "dem.tif", 15.0)
    compute_csle(dem, tmp_path / "a.tif", factors={"R": 3000.0, "K": 0.004, "B": 0.3}, slope_length=40.0)
    units = gpd.GeoDataFrame(
        {"unit_code": ["A"]}, geometry=[box(T.c + 30, T.f - 19 * 30, T.c + 19 * 30, T.f - 30)], crs="EPSG:4530"
    )
    gdf, _ = ind.compute_indicators(units, erosion=tmp_path / "a.tif")
    # 15°: A = 3000·0.004·1.344·4.71·0.3·100 ≈ 2 280 t/(km²·a): 轻度 everywhere
    assert gdf.loc[0, "loss_pct"] == pytest.approx(100.0)
    assert gdf.loc[0, "moderate_plus_pct"] == pytest.approx(0.0)


def test_factor_raster_off_grid_is_refused(tmp_path):
    dem = plane(tmp_path / "dem.tif", 7.0)
    with rasterio.open(
        tmp_path / "r.tif",
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs=CRS.from_epsg(4530).to_wkt(),
        transform=from_origin(42500000.0, 4800000.0, 60.0, 60.0),
    ) as dst:
        dst.write(np.ones((10, 10), "float32"), 1)
    with pytest.raises(InputError, match="not on the DEM grid"):
        compute_csle(dem, tmp_path / "a.tif", factors={"R": tmp_path / "r.tif"})
    assert not (tmp_path / "a.tif").exists()


FULL_DISK = """
import resource, signal, sys
from soil_conservation_plugin.core.zoning.csle import compute_csle
from soil_conservation_plugin.core.common.errors import InputError
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG, as on a full disk
limit = int(sys.argv[4])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
try:
    compute_csle(sys.argv[1], sys.argv[2], class_path=sys.argv[3], factors={"R": 3000.0, "K": 0.004})
except InputError as exc:
    print("INPUT_ERROR", exc)
"""


def test_a_write_that_fails_leaves_no_truncated_raster(tmp_path):
    """A full disk (here: a file-size limit in a child process) is an error, and the old outputs stay as they were."""
    import subprocess
    import sys
    from pathlib import Path

    n, limit = 700, 256 * 1024
    z = np.random.default_rng(3).random((n, n)) * 400.0  # rough terrain: the modulus does not compress below the limit
    dem = tmp_path / "dem.tif"
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float64",
        crs=CRS.from_epsg(4530).to_wkt(),
        transform=T,
    ) as dst:
        dst.write(z, 1)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out, cls = out_dir / "a.tif", out_dir / "cls.tif"
    out.write_bytes(b"the previous run's modulus")
    repo = Path(__file__).resolve().parents[2]
    run = subprocess.run(
        [sys.executable, "-c", FULL_DISK, str(dem), str(out), str(cls), str(limit)],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.startswith("INPUT_ERROR ["), run.stdout + run.stderr[-2000:]
    # the error names the file whose write failed (both rasters are written band by band together)
    assert "写入" in run.stdout and "writing" in run.stdout and (str(out) in run.stdout or str(cls) in run.stdout)
    assert out.read_bytes() == b"the previous run's modulus"  # unchanged
    assert sorted(p.name for p in out_dir.iterdir()) == ["a.tif"]  # no class raster, no temporary left
    # without the limit the same run succeeds: the failure above is the write, not the inputs
    compute_csle(dem, out, class_path=cls, factors={"R": 3000.0, "K": 0.004})
    assert out.stat().st_size > limit
    with rasterio.open(out) as src:
        assert src.read(1).shape == (n, n)
