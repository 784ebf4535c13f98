"""Indicators per unit against independent references: shapely polygon∩cell areas, gdaldem slope,
equal-area overlaps."""

from __future__ import annotations

import math
import subprocess

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import CRS, Transformer
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Polygon, box
from shapely.ops import unary_union

from soil_conservation_plugin.core.common.compat import transform_xy
from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.feedback import Feedback
from soil_conservation_plugin.core.common.geo import polygon_parts
from soil_conservation_plugin.core.indicators import compute as ind
from soil_conservation_plugin.core.indicators.coverage import unit_coverage, unit_rings
from soil_conservation_plugin.core.indicators.grid import Grid
from soil_conservation_plugin.core.indicators.sources import native_nodata
from soil_conservation_plugin.core.indicators.wkb import _wkb_scan, ring_arrays
from soil_conservation_plugin.core.indicators.zonal import _NO_BREAKS, _NO_CMAP, _breaks_spec, _count_kernel, label_runs
from soil_conservation_plugin.core.terrain.slope_classes import slope_classes

EPSG = 4530
X0, Y0 = 42500000.0, 4800000.0  # CGCS2000 3° GK zone 42 (EPSG:4530, CM 126°E), ~43°N
AEA = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=GRS80 +units=m")


def write_raster(path, data, transform, epsg=EPSG, nodata=None, dtype=None):
    data = np.asarray(data)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[1],
        height=data.shape[0],
        count=1,
        dtype=dtype or data.dtype,
        crs=CRS.from_epsg(epsg).to_wkt(),
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data.astype(dtype or data.dtype), 1)
    return path


def make_units():
    """Units not aligned to any grid: a rotated square, a polygon with a hole, a multipolygon,
    one crossing the raster edge."""
    c = (X0 + 1500, Y0 - 1500)
    rot = Polygon([(c[0] + 700 * math.cos(a), c[1] + 700 * math.sin(a)) for a in np.radians([10, 100, 190, 280])])
    holed = Polygon(
        [(X0 + 2510.3, Y0 - 400.7), (X0 + 4480.1, Y0 - 350.2), (X0 + 4300.9, Y0 - 2200.4), (X0 + 2700.6, Y0 - 2400.8)],
        [[(X0 + 3100.5, Y0 - 900.2), (X0 + 3700.7, Y0 - 1000.9), (X0 + 3400.1, Y0 - 1700.3)]],
    )
    multi = MultiPolygon(
        [
            box(X0 + 300.4, Y0 - 4200.6, X0 + 1400.2, Y0 - 2900.1),
            box(X0 + 1700.7, Y0 - 4300.3, X0 + 2300.9, Y0 - 3600.8),
        ]
    )
    edge = Polygon(
        [(X0 + 4000.2, Y0 - 3000.3), (X0 + 6000.8, Y0 - 2900.6), (X0 + 5900.1, Y0 - 4400.4), (X0 + 3900.5, Y0 - 4300.2)]
    )
    return gpd.GeoDataFrame(
        {
            "unit_code": ["U1", "U2", "U3", "U4"],
            "unit_name": ["a", "b", "c", "d"],
            "county_code": ["220521", "220521", "220621", "220621"],
            "county_name": ["通化县", "通化县", "抚松县", "抚松县"],
        },
        geometry=[rot, holed, multi, edge],
        crs=f"EPSG:{EPSG}",
    )


def cell_fractions(geom, transform, shape):
    """Independent reference: {(row, col): area of geom ∩ cell} by shapely, for every cell of the grid."""
    t = transform
    minx, miny, maxx, maxy = geom.bounds
    c0, c1 = max(0, int((minx - t.c) // t.a)), min(shape[1], int((maxx - t.c) // t.a) + 1)
    r0, r1 = max(0, int((maxy - t.f) // t.e)), min(shape[0], int((miny - t.f) // t.e) + 1)
    out = {}
    for r in range(r0, r1):
        for c in range(c0, c1):
            x, y = t.c + c * t.a, t.f + r * t.e
            a = geom.intersection(box(x, y + t.e, x + t.a, y)).area
            if a > 0:
                out[(r, c)] = a
    return out


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    d = tmp_path_factory.mktemp("ind")
    # DEM 30 m, varying slope along x and y: slopes from ~0° to ~40°
    t30 = from_origin(X0, Y0, 30.0, 30.0)
    rows, cols = np.mgrid[0:160, 0:180]
    x, y = cols * 30.0, rows * 30.0
    z = 0.00012 * x**2 + 0.00004 * y**2 + 100.0
    write_raster(d / "dem.tif", z.astype("float32"), t30, nodata=-9999.0)
    # erosion modulus on another grid (25 m, offset): every SL 190 class present
    t25 = from_origin(X0 - 13.0, Y0 + 7.0, 25.0, 25.0)
    rng = np.random.default_rng(7)
    eros = rng.choice(
        [50, 150, 199.9, 200, 1000, 2499, 2500, 4000, 5000, 7000, 8000, 12000, 15000, 30000], size=(200, 230)
    ).astype("float32")
    eros[5:9, 5:30] = -1  # NoData block
    write_raster(d / "erosion.tif", eros, t25, nodata=-1)
    # land use on the 30 m grid with GB/T 21010 codes
    lu = rng.choice([1, 2, 3, 4, 7, 10, 11, 12, 0], size=(160, 180)).astype("uint8")
    write_raster(d / "landuse.tif", lu, t30, nodata=255)
    # FVC in percent on a 40 m grid
    t40 = from_origin(X0 + 3.0, Y0 - 2.0, 40.0, 40.0)
    fvc = rng.uniform(0, 100, size=(120, 140)).astype("float32")
    write_raster(d / "fvc.tif", fvc, t40, nodata=-9999)
    units = make_units()
    units.to_file(d / "units.gpkg", layer="units", driver="GPKG")
    return {"dir": d, "units": units, "t30": t30, "t25": t25, "t40": t40, "eros": eros, "lu": lu, "fvc": fvc}


def test_coverage_kernel_equals_shapely_on_random_polygons():
    t = from_origin(1000.0, 5000.0, 10.0, 10.0)
    grid = Grid(t, 40, 30, CRS.from_epsg(EPSG))
    rng = np.random.default_rng(3)
    for trial in range(6):
        ang = np.sort(rng.uniform(0, 2 * np.pi, 25))
        rad = rng.uniform(40, 260, 25)
        cx, cy = rng.uniform(1000, 1400), rng.uniform(4700, 5000)  # often crossing the raster edge
        poly = Polygon([(cx + r * np.cos(a), cy + r * np.sin(a)) for a, r in zip(ang, rad)]).buffer(0)
        if trial % 2:
            poly = poly.difference(box(cx - 20, cy - 15, cx + 25, cy + 18))
        rings = unit_rings([poly], grid)
        assert not rings.aligned
        cov = unit_coverage(rings.u, rings.v, rings.ring_start, rings.ring_sign, 0, rings.unit_ring[1], 0, 30, 0, 40)
        ref = np.zeros((30, 40))
        for (r, c), a in cell_fractions(poly, t, (30, 40)).items():
            ref[r, c] = a / 100.0
        assert np.abs(cov - ref).max() < 1e-9


def test_indicators_against_shapely_and_gdaldem(scene):
    d = scene["dir"]
    gdf, info = ind.compute_indicators(
        d / "units.gpkg",
        dem=d / "dem.tif",
        erosion=d / "erosion.tif",
        landuse=d / "landuse.tif",
        fvc=d / "fvc.tif",
        steep_deg=20.0,
    )
    methods = {tuple(g["layers"]): g["method"] for g in info["grids"]}
    assert set(methods.values()) == {"coverage"}
    # slope classes against gdaldem slope (Horn, NoData at the edges), weighted by exact shapely cell fractions
    subprocess.run(["gdaldem", "slope", "-q", str(d / "dem.tif"), str(d / "slope_ref.tif")], check=True)
    with rasterio.open(d / "slope_ref.tif") as src:
        sref = src.read(1, masked=True).filled(np.nan)
    bins = [-1, 2, 6, 15, 25, 91]
    for i, unit in scene["units"].iterrows():
        fr = cell_fractions(unit.geometry, scene["t30"], sref.shape)
        per = np.zeros(5)
        steep = valid = 0.0
        for (r, c), a in fr.items():
            s = sref[r, c]
            if np.isfinite(s):
                k = np.searchsorted(bins, s, side="left") - 1
                per[max(k, 0)] += a
                valid += a
                steep += a if s >= 20 else 0
        for k, key in enumerate(slope_classes().ids):
            assert gdf.loc[i, key + "_pct"] == pytest.approx(
                100 * per[k] / valid, abs=0.1 * max(1, 100 * per[k] / valid) / 100 + 1e-6
            )
        assert gdf.loc[i, "steep_km2"] == pytest.approx(steep / 1e6, rel=1e-3, abs=1e-9)
    # erosion classes on the 25 m grid
    eros = scene["eros"]
    lows = [0, 200, 2500, 5000, 8000, 15000]
    ids = ["micro", "light", "moderate", "intense", "extreme", "severe"]
    for i, unit in scene["units"].iterrows():
        fr = cell_fractions(unit.geometry, scene["t25"], eros.shape)
        cover = sum(fr.values())
        per = np.zeros(6)
        for (r, c), a in fr.items():
            if eros[r, c] >= 0:
                per[np.searchsorted(lows, eros[r, c], side="right") - 1] += a
        for k, key in enumerate(ids):
            assert gdf.loc[i, f"eros_{key}_km2"] == pytest.approx(per[k] / 1e6, rel=1e-3, abs=1e-9)
        loss = per[1:].sum()
        assert gdf.loc[i, "loss_km2"] == pytest.approx(loss / 1e6, rel=1e-3)
        assert gdf.loc[i, "loss_pct"] == pytest.approx(100 * loss / cover, rel=1e-3)
        assert gdf.loc[i, "moderate_plus_pct"] == pytest.approx(100 * per[2:].sum() / cover, rel=1e-3)
        assert gdf.loc[i, "conservation_rate_pct"] == pytest.approx(100 * (cover - loss) / cover, rel=1e-3)
        assert gdf.loc[i, "conservation_rate_pct"] + gdf.loc[i, "loss_pct"] == pytest.approx(100)
        # the unit's area on the grid equals its polygon area where the raster covers it (U1–U3)
        if i < 3:
            assert cover == pytest.approx(unit.geometry.area, rel=1e-9)
    # land use and FVC
    lu, fvc = scene["lu"], scene["fvc"]
    for i, unit in scene["units"].iterrows():
        fr = cell_fractions(unit.geometry, scene["t30"], lu.shape)
        valid = sum(a for (r, c), a in fr.items() if lu[r, c] != 0)
        fg = sum(a for (r, c), a in fr.items() if lu[r, c] in (3, 4))
        crop = sum(a for (r, c), a in fr.items() if lu[r, c] == 1)
        assert gdf.loc[i, "forest_grass_pct"] == pytest.approx(100 * fg / valid, rel=1e-3)
        assert gdf.loc[i, "cropland_pct"] == pytest.approx(100 * crop / valid, rel=1e-3)
        fr = cell_fractions(unit.geometry, scene["t40"], fvc.shape)
        mean = sum(a * fvc[r, c] for (r, c), a in fr.items()) / sum(fr.values()) / 100.0
        assert gdf.loc[i, "fvc_mean"] == pytest.approx(mean, rel=1e-3)
    # ellipsoidal unit areas against an equal-area projection
    ea = scene["units"].to_crs(AEA).area.values / 1e6
    np.testing.assert_allclose(gdf["unit_area_km2"].values, ea, rtol=1e-3)
    assert (gdf["steep_deg"] == 20.0).all()


def test_label_counting_on_aligned_units_equals_coverage(scene, tmp_path):
    d = scene["dir"]
    t = scene["t30"]
    squares = []
    for r0, c0 in [(10, 10), (10, 60), (70, 30), (100, 120)]:
        squares.append(box(t.c + c0 * 30, t.f - (r0 + 40) * 30, t.c + (c0 + 45) * 30, t.f - r0 * 30))
    units = gpd.GeoDataFrame({"unit_code": [f"S{k}" for k in range(4)]}, geometry=squares, crs=f"EPSG:{EPSG}")
    a, info_a = ind.compute_indicators(units, dem=d / "dem.tif", landuse=d / "landuse.tif", steep_deg=20)
    b, info_b = ind.compute_indicators(
        units, dem=d / "dem.tif", landuse=d / "landuse.tif", steep_deg=20, method="coverage"
    )
    assert info_a["grids"][0]["method"] == "label" and info_b["grids"][0]["method"] == "coverage"
    for col in [
        "slope_0_2_pct",
        "slope_gt25_pct",
        "steep_pct",
        "steep_km2",
        "forest_grass_pct",
        "cropland_pct",
        "slope_mean_deg",
    ]:
        np.testing.assert_allclose(a[col].values, b[col].values, rtol=1e-9)
    # the watershed step's own unit raster (int32 labels + codes table) gives the same, without rasterizing
    lab = np.zeros((160, 180), np.int32)
    for k, (r0, c0) in enumerate([(10, 10), (10, 60), (70, 30), (100, 120)]):
        lab[r0 : r0 + 40, c0 : c0 + 45] = 7 + k
    write_raster(tmp_path / "units.tif", lab, t, nodata=0)
    (tmp_path / "units.codes.csv").write_text(
        "label,unit_code\n" + "".join(f"{7 + k},S{k}\n" for k in range(4)), encoding="utf-8"
    )
    c, info_c = ind.compute_indicators(
        units, dem=d / "dem.tif", landuse=d / "landuse.tif", steep_deg=20, labels=tmp_path / "units.tif"
    )
    assert info_c["grids"][0]["method"] == "label raster"
    for col in ["slope_0_2_pct", "steep_km2", "forest_grass_pct", "slope_mean_deg"]:
        np.testing.assert_allclose(c[col].values, b[col].values, rtol=1e-9)
    # and against a direct count: each square holds whole cells
    lu = scene["lu"]
    for k, (r0, c0) in enumerate([(10, 10), (10, 60), (70, 30), (100, 120)]):
        blk = lu[r0 : r0 + 40, c0 : c0 + 45]
        valid = (blk != 0).sum()
        assert a.loc[k, "forest_grass_pct"] == pytest.approx(100 * np.isin(blk, [3, 4]).sum() / valid, rel=1e-9)


def test_geographic_raster_reprojects_units_on_the_fly(scene, tmp_path):
    """Land use in EPSG:4490 (lon/lat): units reprojected, cells weighted by ellipsoidal row areas."""
    units = scene["units"].iloc[:3].reset_index(drop=True)
    tr = Transformer.from_crs(EPSG, 4490, always_xy=True)
    lon0, lat0 = tr.transform(X0 - 200, Y0 + 200)
    res = 0.0004
    t = from_origin(lon0, lat0, res, res)
    rng = np.random.default_rng(11)
    lu = rng.choice([1, 3, 4, 11], size=(140, 180)).astype("uint8")
    write_raster(tmp_path / "lu4490.tif", lu, t, epsg=4490)
    messages = []

    class Rec(Feedback):
        def info(self, m):
            messages.append(m)

    gdf, info = ind.compute_indicators(units, landuse=tmp_path / "lu4490.tif", feedback=Rec())
    assert any("reprojected" in m for m in messages)
    geod = CRS.from_epsg(4490).get_geod()
    for i, unit in units.iterrows():
        g = transform_xy(tr.transform, unit.geometry)
        fr = cell_fractions(g, t, lu.shape)
        areas = {}
        for (r, c), _ in fr.items():
            x, y = t.c + c * t.a, t.f + r * t.e
            areas[(r, c)] = abs(geod.geometry_area_perimeter(g.intersection(box(x, y + t.e, x + t.a, y)))[0])
        total = sum(areas.values())
        fg = sum(a for (r, c), a in areas.items() if lu[r, c] in (3, 4))
        assert gdf.loc[i, "forest_grass_pct"] == pytest.approx(100 * fg / total, rel=1e-3)


def test_overlay_overlap_in_equal_area(scene, tmp_path):
    units = scene["units"]
    red = gpd.GeoDataFrame(
        {"HXMC": ["a", "b"]},
        geometry=[box(X0 + 1000, Y0 - 3000, X0 + 3500, Y0 - 800), box(X0 + 3000, Y0 - 2000, X0 + 5000, Y0 - 1000)],
        crs=f"EPSG:{EPSG}",
    ).to_crs(4490)  # another CRS, overlapping patches
    red.to_file(tmp_path / "red.gpkg", layer="生态保护红线", driver="GPKG")
    gdf, _ = ind.compute_indicators(units, overlays={"redline": (tmp_path / "red.gpkg", "生态保护红线")})
    union = unary_union(red.to_crs(AEA).geometry.values)
    ua = units.to_crs(AEA)
    for i, g in enumerate(ua.geometry):
        ref = g.intersection(union).area
        assert gdf.loc[i, "redline_km2"] == pytest.approx(ref / 1e6, rel=1e-3, abs=1e-9)
        assert gdf.loc[i, "redline_pct"] == pytest.approx(100 * ref / g.area, rel=1e-3, abs=1e-9)
    assert gdf.loc[3, "redline_km2"] == 0  # U4 lies outside both patches


def test_erosion_class_raster(scene, tmp_path):
    t = scene["t30"]
    cls = np.random.default_rng(5).integers(0, 7, size=(160, 180)).astype("uint8")
    write_raster(tmp_path / "cls.tif", cls, t, nodata=0)
    units = scene["units"]
    gdf, _ = ind.compute_indicators(units, erosion=tmp_path / "cls.tif", erosion_kind="classes")
    for i, unit in units.iterrows():
        fr = cell_fractions(unit.geometry, t, cls.shape)
        cover = sum(fr.values())
        mod = sum(a for (r, c), a in fr.items() if cls[r, c] >= 3)
        assert gdf.loc[i, "moderate_plus_pct"] == pytest.approx(100 * mod / cover, rel=1e-3)


def test_write_units_roundtrip(scene, tmp_path):
    gdf, _ = ind.compute_indicators(scene["units"], dem=scene["dir"] / "dem.tif", steep_deg=20)
    ind.write_units(gdf, tmp_path / "out.gpkg")
    back = gpd.read_file(tmp_path / "out.gpkg", layer="units")
    np.testing.assert_allclose(back["steep_pct"].values, gdf["steep_pct"].values)


# ---- bad input -------------------------------------------------------------
def test_missing_code_field(scene, tmp_path):
    units = scene["units"].drop(columns=["unit_code"])
    units.to_file(tmp_path / "u.gpkg", layer="units", driver="GPKG")
    with pytest.raises(InputError) as exc:
        ind.compute_indicators(tmp_path / "u.gpkg", dem=scene["dir"] / "dem.tif")
    assert "unit_code" in exc.value.zh and "unit_code" in exc.value.en


def test_duplicate_codes(scene):
    units = scene["units"].copy()
    units["unit_code"] = ["A", "A", "B", "C"]
    with pytest.raises(InputError, match="duplicates"):
        ind.compute_indicators(units, dem=scene["dir"] / "dem.tif")


def test_negative_erosion(scene, tmp_path):
    data = np.full((50, 50), 300.0, "float32")
    data[3, 4] = -5
    write_raster(tmp_path / "neg.tif", data, scene["t30"], nodata=-9999)
    with pytest.raises(InputError) as exc:
        ind.compute_indicators(scene["units"], erosion=tmp_path / "neg.tif")
    assert "负值" in exc.value.zh and "negative" in exc.value.en


def test_raster_not_overlapping(scene, tmp_path):
    write_raster(tmp_path / "far.tif", np.ones((20, 20), "float32"), from_origin(X0 + 90000, Y0, 30, 30))
    with pytest.raises(InputError) as exc:
        ind.compute_indicators(scene["units"], fvc=tmp_path / "far.tif")
    assert "重叠" in exc.value.zh and "overlap" in exc.value.en


def test_web_mercator_raster_refused(scene, tmp_path):
    write_raster(tmp_path / "wm.tif", np.ones((20, 20), "uint8"), from_origin(14000000, 5300000, 30, 30), epsg=3857)
    with pytest.raises(InputError, match="Web Mercator"):
        ind.compute_indicators(scene["units"], landuse=tmp_path / "wm.tif")


def test_cancel(scene):
    from soil_conservation_plugin.core.common.errors import CancelledError

    class Stop(Feedback):
        def cancelled(self):
            return True

    with pytest.raises(CancelledError):
        ind.compute_indicators(scene["units"], landuse=scene["dir"] / "landuse.tif", feedback=Stop())


# ---- the fast label-counting path ------------------------------------------
def test_label_runs_and_count_kernel_against_numpy():
    """Runs + fused classification equal a plain numpy bincount over label × class (independent)."""
    rng = np.random.default_rng(21)
    labels = rng.integers(0, 4, size=(37, 53)).astype(np.int32)
    labels[5:20, 10:40] = 9  # long runs too; label 9 is unknown to the table below
    labels[0, :] = 2
    lut = np.array([0, 1, 2, 3, 0, 0, 0, 0, 0, 0], np.int32)  # label → unit + 1 (0: none)
    runs = label_runs(labels, lut, 2)
    unit = lut[labels] - 1
    area = rng.uniform(800, 900, size=37)  # per-row ground area
    cell_area = np.broadcast_to(area[:, None], labels.shape)
    # values with NoData (-1), NaN, +inf and values exactly on the breaks
    raw = rng.choice(
        np.array([-1, np.nan, np.inf, 0, 199.9, 200, 2500, 4999, 5000, 8000, 15000, 20000, 3.5], np.float32),
        size=labels.shape,
    )
    breaks = np.array([200, 2500, 5000, 8000, 15000], np.float32)
    ok = (unit >= 0) & (np.isfinite(raw) | np.isposinf(raw)) & (raw != -1)
    for upper in (False, True):
        brk = _breaks_spec([(breaks, upper)])
        hist, vsum, vw, cover = _count_kernel(
            *runs,
            area,
            raw,
            np.float32(-1),
            True,
            np.float32(1),
            1,
            *brk,
            _NO_CMAP,
            np.int16(-1),
            True,
            True,
            3,
            6,
            2,
        )
        cls = np.searchsorted(breaks, raw, side="left" if upper else "right")
        ref = np.zeros((3, 6))
        np.add.at(ref, (unit[ok], cls[ok]), cell_area[ok])
        np.testing.assert_allclose(hist, ref, rtol=1e-12)
        np.testing.assert_allclose(
            cover, np.bincount(unit[unit >= 0], weights=cell_area[unit >= 0], minlength=3), rtol=1e-12
        )
        np.testing.assert_allclose(vw, np.bincount(unit[ok], weights=cell_area[ok], minlength=3), rtol=1e-12)
    fin = ok & np.isfinite(raw)
    hist, vsum, vw, _ = _count_kernel(
        *runs,
        area,
        np.where(np.isinf(raw), np.float32(7), raw),
        np.float32(-1),
        True,
        np.float32(1),
        0,
        *_NO_BREAKS,
        _NO_CMAP,
        np.int16(-1),
        True,
        True,
        3,
        0,
        1,
    )
    vals = np.where(np.isinf(raw), 7, raw).astype(np.float64)
    np.testing.assert_allclose(vsum, np.bincount(unit[ok], weights=(cell_area * vals)[ok], minlength=3), rtol=1e-12)
    assert fin.sum() < ok.sum()  # +inf cells were in play above
    # more breaks than the unrolled MAX_BREAKS: the general loop
    many = np.arange(1, 13, dtype=np.float32) * 1000
    brk = _breaks_spec([(many, False)])
    hist, *_ = _count_kernel(
        *runs,
        area,
        raw,
        np.float32(-1),
        True,
        np.float32(1),
        1,
        *brk,
        _NO_CMAP,
        np.int16(-1),
        False,
        True,
        3,
        13,
        2,
    )
    ref = np.zeros((3, 13))
    np.add.at(ref, (unit[ok], np.searchsorted(many, raw, side="right")[ok]), cell_area[ok])
    np.testing.assert_allclose(hist, ref, rtol=1e-12)
    # class lookup (land use): codes beyond the table → other, lut −1 = no data
    codes = rng.integers(0, 30, size=labels.shape).astype(np.uint8)
    cmap = np.array([-1, 0, 1, 2, 1, 0], np.int16)
    hist, *_ = _count_kernel(
        *runs,
        area,
        codes,
        np.uint8(0),
        False,
        np.float32(1),
        2,
        *_NO_BREAKS,
        cmap,
        np.int16(3),
        False,
        True,
        3,
        4,
        2,
    )
    cl = np.where(codes < cmap.size, cmap[np.minimum(codes, cmap.size - 1)], 3)
    m = (unit >= 0) & (cl >= 0)
    ref = np.zeros((3, 4))
    np.add.at(ref, (unit[m], cl[m]), cell_area[m])
    np.testing.assert_allclose(hist, ref, rtol=1e-12)


def test_native_nodata():
    assert native_nodata(np.zeros(1, np.uint8), -1.0, True) == (0, False)  # uint8 cannot hold -1: matches nothing
    assert native_nodata(np.zeros(1, np.uint8), 255.0, True) == (255, True)
    assert native_nodata(np.zeros(1, np.float32), 0.1, True)[1] is False  # 0.1 is no float32: no cell equals it
    nd, has = native_nodata(np.zeros(1, np.float32), -9999.0, True)
    assert has and nd.dtype == np.float32 and nd == -9999
    assert native_nodata(np.zeros(1, np.float32), float("nan"), True)[1] is False


def test_grid_runs_overlaps_and_diagonals_fall_back_to_coverage(scene):
    """Units on the grid: label runs from the edges equal exact coverage; overlapping units are counted by
    coverage where they overlap; an edge across cells (diagonal between grid nodes) is not 'on the grid'."""
    d = scene["dir"]
    t = scene["t30"]

    def cells(r0, c0, r1, c1):
        return box(t.c + c0 * 30, t.f - r1 * 30, t.c + c1 * 30, t.f - r0 * 30)

    ring = cells(5, 5, 60, 70).difference(cells(20, 20, 30, 40))  # a hole
    ell = Polygon(
        [
            (t.c + 80 * 30, t.f - 5 * 30),
            (t.c + 120 * 30, t.f - 5 * 30),
            (t.c + 120 * 30, t.f - 50 * 30),
            (t.c + 100 * 30, t.f - 50 * 30),
            (t.c + 100 * 30, t.f - 25 * 30),
            (t.c + 80 * 30, t.f - 25 * 30),
        ]
    )
    beyond = cells(140, 170, 175, 200)  # partly outside the raster
    units = gpd.GeoDataFrame({"unit_code": ["R", "L", "B"]}, geometry=[ring, ell, beyond], crs=f"EPSG:{EPSG}")
    kw = dict(landuse=d / "landuse.tif", dem=d / "dem.tif", steep_deg=20)
    a, ia = ind.compute_indicators(units, **kw)
    b, _ = ind.compute_indicators(units, method="coverage", **kw)
    assert ia["grids"][0]["method"] == "label"
    cols = ["forest_grass_pct", "cropland_pct", "slope_0_2_pct", "steep_km2", "slope_mean_deg"]
    for col in cols:
        np.testing.assert_allclose(a[col].values, b[col].values, rtol=1e-9)
    # direct count on the land-use array for the ring with its hole
    lu = scene["lu"]
    mask = np.zeros(lu.shape, bool)
    mask[5:60, 5:70] = True
    mask[20:30, 20:40] = False
    valid = mask & (lu != 0)
    assert a.loc[0, "forest_grass_pct"] == pytest.approx(
        100 * (np.isin(lu, [3, 4]) & valid).sum() / valid.sum(), rel=1e-12
    )
    # overlapping units: exact by coverage (each unit counts the shared cells)
    over = gpd.GeoDataFrame(
        {"unit_code": ["A", "B"]}, geometry=[cells(10, 10, 50, 50), cells(30, 30, 70, 80)], crs=f"EPSG:{EPSG}"
    )
    c, ic = ind.compute_indicators(over, **kw)
    e, _ = ind.compute_indicators(over, method="coverage", **kw)
    assert ic["grids"][0]["method"] == "label+coverage"
    for col in cols:
        np.testing.assert_allclose(c[col].values, e[col].values, rtol=1e-9)
    # a diagonal edge between grid nodes cuts cells: not aligned, so coverage
    tri = Polygon([(t.c + 10 * 30, t.f - 10 * 30), (t.c + 50 * 30, t.f - 10 * 30), (t.c + 10 * 30, t.f - 50 * 30)])
    f, iff = ind.compute_indicators(gpd.GeoDataFrame({"unit_code": ["T"]}, geometry=[tri], crs=f"EPSG:{EPSG}"), **kw)
    assert iff["grids"][0]["method"] == "coverage"


def test_ring_arrays_against_shapely_coords():
    """The compiled WKB reader gives each polygon's rings as shapely lists them (3D, collections, empty, big-endian)."""
    from shapely import wkb as shp_wkb
    from shapely.geometry import GeometryCollection, LineString, Point

    g3 = Polygon([(0, 0, 1), (1, 0, 2), (1, 1, 3), (0, 0, 1)])
    holed = box(7, 7, 8, 9).difference(box(7.2, 7.2, 7.5, 7.5))
    gc = GeometryCollection(
        [Point(1, 2), LineString([(0, 0), (1, 1)]), box(0, 0, 2, 2), MultiPolygon([box(5, 5, 6, 6), holed])]
    )
    geoms = [g3, gc, Polygon(), None, holed]

    def ref(g):
        polys = [] if g is None else polygon_parts(g)
        return [
            (np.asarray(r.coords)[:, :2], k > 0)
            for p in polys
            for k, r in enumerate([p.exterior, *p.interiors])
            if not p.is_empty
        ]

    got = ring_arrays(geoms)
    for g, rings in zip(geoms, got):
        exp = ref(g)
        assert len(rings) == len(exp)
        for (xy, hole), (xy_ref, hole_ref) in zip(rings, exp):
            assert hole == hole_ref
            np.testing.assert_array_equal(xy, xy_ref)
    # big-endian WKB (the reader's other byte order)
    buf = np.frombuffer(shp_wkb.dumps(gc, big_endian=True), np.uint8)
    starts = np.array([0, buf.size], np.int64)
    n_rings, n_pts = _wkb_scan(
        buf, starts, False, np.zeros((0, 2)), np.zeros(0, np.int64), np.zeros(1, np.int64), np.zeros(0, np.bool_)
    )
    xy = np.empty((n_pts, 2))
    rs = np.empty(n_rings + 1, np.int64)
    _wkb_scan(buf, starts, True, xy, np.empty(n_rings, np.int64), rs, np.empty(n_rings, np.bool_))
    exp = ref(gc)
    assert n_rings == len(exp)
    for r, (xy_ref, _) in enumerate(exp):
        np.testing.assert_array_equal(xy[rs[r] : rs[r + 1]], xy_ref)


def test_float_unit_raster_refused(scene, tmp_path):
    write_raster(tmp_path / "units.tif", np.ones((160, 180), np.float32), scene["t30"])
    (tmp_path / "units.codes.csv").write_text("label,unit_code\n1,U1\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        ind.compute_indicators(scene["units"], landuse=scene["dir"] / "landuse.tif", labels=tmp_path / "units.tif")
    assert "整数" in exc.value.zh and "integer" in exc.value.en
