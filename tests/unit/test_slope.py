"""Slope: against gdaldem on projected DEMs, against a Gauss-Krüger reference on geographic DEMs."""

from __future__ import annotations

import math
import subprocess

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from soil_conservation_plugin.core.common.errors import CancelledError, InputError
from soil_conservation_plugin.core.common.feedback import Feedback
from soil_conservation_plugin.core.terrain.slope import SLOPE_NODATA, compute_slope

from ..conftest import shared_file
from ..util import gdaldem_slope, read_raster, write_raster

GK = "EPSG:4530"  # CGCS2000 3° Gauss-Krüger zone 42 (CM 126°E), central 吉林


def rough_dem(shape=(300, 400), seed=1):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=shape).cumsum(0).cumsum(1)
    z = z - z.min()
    return (z * 400.0 / z.max()).astype("float32")


def test_matches_gdaldem_on_projected_dem_with_nodata(tmp_path):
    z = rough_dem()
    z[100:120, 200:230] = -9999  # an interior NoData hole
    dem = write_raster(tmp_path / "dem.tif", z, GK, from_origin(42_500_000, 4_600_000, 30, 30))
    stats = compute_slope(dem, tmp_path / "ours.tif", band_cells=400 * 37)  # many bands: seams must not show
    ours = read_raster(tmp_path / "ours.tif")[0]
    ref = gdaldem_slope(dem, tmp_path / "ref.tif")
    ref_nodata = ref == -9999
    # Same NoData rule as gdaldem: identical masks, and matching values everywhere else.
    assert np.array_equal(ours == SLOPE_NODATA, ref_nodata)
    assert np.abs(ours[~ref_nodata] - ref[~ref_nodata]).max() < 0.01
    assert stats.valid_cells == int((~ref_nodata).sum())
    assert ref[~ref_nodata].max() > 30  # the surface is steep enough to be a real check


def test_plane_of_known_slope_in_feet_crs(tmp_path):
    # A plane rising 1 m per 1 m east is 45°; in a CRS in US feet the cell size converts to metres.
    crs = "EPSG:2277"  # NAD83 / Texas Central (ftUS)
    ft = 1200 / 3937  # metres per US survey foot
    cell_ft = 100.0
    cols = np.arange(50) * cell_ft * ft
    z = np.tile(cols * math.tan(math.radians(30)), (40, 1)).astype("float32")
    dem = write_raster(tmp_path / "plane.tif", z, crs, from_origin(2_000_000, 10_000_000, cell_ft, cell_ft))
    compute_slope(dem, tmp_path / "s.tif")
    s = read_raster(tmp_path / "s.tif")[0]
    inner = s[1:-1, 1:-1]
    assert np.allclose(inner, 30.0, atol=1e-3)


def _gk_surface(x, y):
    """A smooth hill-and-valley surface in Gauss-Krüger metres (wavelengths ≥ 3 km)."""
    return 400 + 180 * np.sin(x / 900.0) * np.cos(y / 1300.0) + 0.08 * (x - x.min())


def test_geographic_dem_matches_gauss_kruger_reference(tmp_path):
    """A geographic (EPSG:4490) DEM sampled from a surface defined in GK metres.

    Reference: gdaldem slope of the same surface on a 30 m GK grid, read at the GK position
    of each geographic cell centre. Both grids sample one analytic surface, so there is no
    resampling error in the DEMs; what remains is finite differences on two grids (≈30 m and
    1″), bilinear reading of the reference slope between its cell centres, and the GK scale
    factor (≤1.00001 at 0.2° from the central meridian). For this surface that stays under
    0.02° wherever the slope exceeds 1°; against the analytic slope it stays under 0.01°.
    """
    to_gk = Transformer.from_crs("EPSG:4490", GK, always_xy=True)
    res = 1.0 / 3600.0  # 1″ ≈ 31 m N-S, 23 m E-W at 41.7°N
    lon0, lat0 = 125.80, 41.80
    rows, cols = 240, 300
    lons = lon0 + (np.arange(cols) + 0.5) * res
    lats = lat0 - (np.arange(rows) + 0.5) * res
    lon_g, lat_g = np.meshgrid(lons, lats)
    x, y = to_gk.transform(lon_g, lat_g)
    geo = write_raster(
        tmp_path / "geo.tif",
        _gk_surface(x, y).astype("float64"),
        "EPSG:4490",
        from_origin(lon0, lat0, res, res),
        dtype="float64",
    )
    compute_slope(geo, tmp_path / "geo_slope.tif")
    ours = read_raster(tmp_path / "geo_slope.tif")[0]

    # GK reference grid covering the same ground, 30 m
    x0, y1 = x.min() - 300, y.max() + 300
    gx = x0 + (np.arange(int((x.max() - x0 + 300) / 30)) + 0.5) * 30
    gy = y1 - (np.arange(int((y1 - y.min() + 300) / 30)) + 0.5) * 30
    GX, GY = np.meshgrid(gx, gy)
    gk = write_raster(
        tmp_path / "gk.tif",
        _gk_surface(GX, GY) + 0.08 * (GX.min() - x.min()),
        GK,
        from_origin(x0, y1, 30, 30),
        dtype="float64",
    )
    ref = gdaldem_slope(gk, tmp_path / "gk_slope.tif")
    # bilinear read of the reference at each geographic cell centre
    fc = (x - x0) / 30 - 0.5
    fr = (y1 - y) / 30 - 0.5
    c0, r0 = np.floor(fc).astype(int), np.floor(fr).astype(int)
    wc, wr = fc - c0, fr - r0
    ref_at = (
        ref[r0, c0] * (1 - wc) * (1 - wr)
        + ref[r0, c0 + 1] * wc * (1 - wr)
        + ref[r0 + 1, c0] * (1 - wc) * wr
        + ref[r0 + 1, c0 + 1] * wc * wr
    )
    inner = (slice(1, -1), slice(1, -1))
    assert ours[inner].max() > 10  # real relief, not a flat test
    # Where the slope is under 1° (peaks, saddles) |∇z| has a cone-shaped minimum that
    # bilinear reading of the reference cannot follow, so the comparison starts at 1°.
    sloped = ref_at[inner] > 1.0
    assert sloped.mean() > 0.9
    assert np.abs(ours[inner] - ref_at[inner])[sloped].max() < 0.02
    # Independent of any reference grid: the analytic slope of the surface at each cell centre.
    gx = 180 * np.cos(x / 900.0) * np.cos(y / 1300.0) / 900.0 + 0.08
    gy = -180 * np.sin(x / 900.0) * np.sin(y / 1300.0) / 1300.0
    analytic = np.degrees(np.arctan(np.hypot(gx, gy)))
    assert np.abs(ours[inner] - analytic[inner]).max() < 0.01
    # and the naive degree-as-metre slope would be absurd: the ground handling matters.
    # `-s 1` asks for it on every GDAL: it was gdaldem's default before 3.11 (Debian 12: 3.6,
    # Debian 13: 3.10); from 3.11 (Debian sid: 3.13) gdaldem converts geographic units itself.
    naive = gdaldem_slope(geo, tmp_path / "naive.tif", "-s", "1")
    assert np.nanmedian(naive[inner]) > 80
    if _gdal_cli_version() >= (3, 11):
        # gdaldem's own conversion (one cos(mean latitude) for the grid, a spherical degree) is a
        # second reference: it agrees with ours (0.028° measured), and ours is nearer the analytic
        # slope (0.003° vs 0.025° measured, GDAL 3.13).
        auto = gdaldem_slope(geo, tmp_path / "auto.tif")
        assert np.abs(ours[inner] - auto[inner]).max() < 0.05
        assert np.abs(ours[inner] - analytic[inner]).max() < np.abs(auto[inner] - analytic[inner]).max()


def _gdal_cli_version() -> tuple[int, int]:
    """(major, minor) of the GDAL the gdaldem command runs on ("GDAL 3.13.3, released …")."""
    out = subprocess.run(["gdalinfo", "--version"], check=True, capture_output=True, text=True).stdout
    major, minor = out.split()[1].rstrip(",").split(".")[:2]
    return int(major), int(minor)


def test_real_geographic_dems_against_reprojected_reference(tmp_path, shared_data):
    """Texas 3″ and Rhine 30″ (EPSG:4326) vs the same DEM warped to a local transverse Mercator.

    Real terrain has relief at the cell scale, so warping (bilinear) smooths it and per-cell
    values differ; the ground-truth check is on the area-wide distribution: the mean slope
    agrees within 5 % and the median within 0.1°/8 %. Treating degrees as metres would be off
    by orders of magnitude, and ignoring cos φ (gdaldem -s 111120) biases the mean down by 8–17 % on these two DEMs.
    """
    for rel, lon0 in (("dem_texas_3arcsec/dem.tif", -97.33), ("dem_rhine_30arcsec/rhine_elv0.tif", 7.7)):
        src = shared_file(shared_data, *rel.split("/"))
        name = src.parent.name
        compute_slope(src, tmp_path / f"{name}_ours.tif")
        ours = read_raster(tmp_path / f"{name}_ours.tif")[0]
        with rasterio.open(src) as ds:
            res_deg = ds.res[1]
            lat_mid = (ds.bounds.top + ds.bounds.bottom) / 2
        tm = f"+proj=tmerc +lat_0=0 +lon_0={lon0} +k=1 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m"
        cell = res_deg * 111_000 * math.cos(math.radians(lat_mid))
        subprocess.run(
            [
                "gdalwarp",
                "-q",
                "-t_srs",
                tm,
                "-tr",
                str(cell),
                str(cell),
                "-r",
                "bilinear",
                str(src),
                str(tmp_path / f"{name}_tm.tif"),
            ],
            check=True,
        )
        ref = gdaldem_slope(tmp_path / f"{name}_tm.tif", tmp_path / f"{name}_tm_slope.tif")
        a, b = ours[ours != SLOPE_NODATA], ref[ref != -9999]
        assert abs(a.mean() - b.mean()) / b.mean() < 0.05, (rel, a.mean(), b.mean())
        assert abs(np.median(a) - np.median(b)) < max(0.1, 0.08 * np.median(b)), (rel, np.median(a), np.median(b))


def test_ne_china_utm_dem_matches_gdaldem(tmp_path, shared_data):
    src = shared_file(shared_data, "dem_ne_china_90m", "dem.tif")
    compute_slope(src, tmp_path / "ours.tif")
    ours = read_raster(tmp_path / "ours.tif")[0]
    ref = gdaldem_slope(src, tmp_path / "ref.tif")
    valid = ref != -9999
    assert np.array_equal(ours == SLOPE_NODATA, ~valid)
    assert np.abs(ours[valid] - ref[valid]).max() < 0.01


@pytest.mark.parametrize(
    "crs, message",
    [(None, "no coordinate reference system"), ("EPSG:3857", "Web Mercator")],
)
def test_refuses_dem_without_ground_crs(tmp_path, crs, message):
    dem = write_raster(tmp_path / "bad.tif", rough_dem((20, 20)), crs, from_origin(0, 0, 30, 30))
    with pytest.raises(InputError) as err:
        compute_slope(dem, tmp_path / "s.tif", layer="DEM")
    assert message in err.value.en and err.value.zh and err.value.layer == "DEM"
    assert not (tmp_path / "s.tif").exists()


def test_refuses_all_nodata_dem(tmp_path):
    dem = write_raster(tmp_path / "empty.tif", np.full((30, 30), -9999, "float32"), GK, from_origin(0, 0, 30, 30))
    with pytest.raises(InputError, match="NoData"):
        compute_slope(dem, tmp_path / "s.tif")


class CancelAfter(Feedback):
    def __init__(self, calls):
        self.calls = calls

    def cancelled(self):
        self.calls -= 1
        return self.calls < 0


def test_cancel_leaves_no_output_and_keeps_existing(tmp_path):
    dem = write_raster(tmp_path / "dem.tif", rough_dem(), GK, from_origin(0, 0, 30, 30))
    out = tmp_path / "s.tif"
    out.write_bytes(b"previous result")
    with pytest.raises(CancelledError):
        compute_slope(dem, out, feedback=CancelAfter(2), band_cells=400 * 20)
    assert out.read_bytes() == b"previous result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dem.tif", "s.tif"]
