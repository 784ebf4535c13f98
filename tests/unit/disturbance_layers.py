"""Synthetic 扰动图斑 scenes for the disturbance tests: two counties, zones, red line, 地类图斑, patches.

Everything is built in EPSG:4530 (CGCS2000 3° GK zone 42); the patches are issued in EPSG:4490.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import Geod, Transformer
from shapely.geometry import box
from shapely.ops import transform

from soil_conservation_plugin.core.disturbance.run import DisturbanceInputs

X0, Y0 = 42500000.0, 4600000.0  # CGCS2000 3° GK zone 42 (EPSG:4530), about 126° E 41.5° N
GK = "EPSG:4530"
CGCS2000_GEOD = Geod(a=6378137.0, rf=298.257222101)  # the CGCS2000 ellipsoid, given by hand
TO_LONLAT = Transformer.from_crs(GK, "EPSG:4490", always_xy=True)


def b(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def lonlat(geom):
    return transform(TO_LONLAT.transform, geom)


def geod_ha(geom_lonlat) -> float:
    area, _ = CGCS2000_GEOD.geometry_area_perimeter(geom_lonlat)
    return abs(area) / 10_000.0


def save(path, rows, geoms, crs=GK, layer=None):
    gdf = gpd.GeoDataFrame(rows, geometry=geoms, crs=crs)
    gdf.to_file(str(path), layer=layer or path.stem, driver="GPKG")
    return str(path)


STEEP = [b(0, 0, 600, 600), b(500, 0, 800, 600)]  # two features that overlap: counted once
ZONES = {
    "key_prevention": b(1000, 1000, 2000, 2000),
    "key_treatment": b(2000, 0, 4000, 1000),
    "severe": b(3000, 1000, 4000, 2000),
    "fragile": b(0, 1500, 500, 2000),
}
REDLINE = b(1500, 1500, 1800, 1800)
CROPLAND = b(0, 0, 1000, 2000)
PATCHES = {
    "P1": (b(400, 100, 700, 300), "未批复"),  # steep + cropland → 疑似陡坡开垦
    "P2": (b(1600, 1600, 1900, 1900), "未批复"),  # red line + 重点预防区 without approval
    "P3": (b(1900, 200, 2300, 400), "已批复"),  # across the county line, mostly in county B, in 重点治理区
    "P4": (b(3600, 1100, 3700, 1200).union(b(3720, 1100, 3760, 1140)), "已批复"),  # multipart, 严重 only
    "P5": (b(1200, 100, 1300, 200), "已批复"),  # nothing → the default class
}


def scene(tmp_path, patches=None, year="2025", landuse=True, patch_crs="EPSG:4490"):
    d = tmp_path
    save(
        d / "counties.gpkg",
        {"county_code": ["220521", "220502"], "county_name": ["通化县", "东昌区"]},
        [b(0, 0, 2000, 2000), b(2000, 0, 4000, 2000)],
    )
    save(
        d / "townships.gpkg",
        {"township_code": ["220521100", "220521101", "220502001", "220502002"], "township_name": list("甲乙丙丁")},
        [b(0, 0, 2000, 1000), b(0, 1000, 2000, 2000), b(2000, 0, 4000, 1000), b(2000, 1000, 4000, 2000)],
    )
    save(
        d / "units.gpkg",
        {"unit_code": ["U1", "U2"], "unit_name": ["一号", "二号"]},
        [b(0, 0, 1000, 2000), b(1000, 0, 4000, 2000)],
        layer="units",
    )
    save(d / "steep.gpkg", {"patch_id": ["S1", "S2"], "area_ha": [36.0, 18.0]}, STEEP, layer="steep_slope")
    save(
        d / "zoning.gpkg", {"zone_id": list(ZONES), "county_code": ["220521"] * 4}, list(ZONES.values()), layer="zones"
    )
    save(d / "redline.gpkg", {"HXMC": ["红线"]}, [REDLINE], layer="生态保护红线")
    save(d / "dltb.gpkg", {"DLBM": ["0101", "0301"]}, [CROPLAND, b(1000, 0, 4000, 2000)], layer="DLTB")
    patches = patches or PATCHES
    gdf = gpd.GeoDataFrame(
        {
            "图斑编号": list(patches),
            "扰动面积": [round(g.area / 10_000.0, 2) for g, _ in patches.values()],
            "扰动类型": ["开挖"] * len(patches),
            "批复情况": [a for _, a in patches.values()],
            "下发年度": [year] * len(patches),
        },
        geometry=[g for g, _ in patches.values()],
        crs=GK,
    ).to_crs(patch_crs)
    gdf.to_file(str(d / f"patches_{year}.gpkg"), layer="patches", driver="GPKG")
    return DisturbanceInputs(
        patches=str(d / f"patches_{year}.gpkg"),
        counties=str(d / "counties.gpkg"),
        steep=str(d / "steep.gpkg"),
        zones=f"{d / 'zoning.gpkg'}|layername=zones",
        redline=str(d / "redline.gpkg"),
        units=str(d / "units.gpkg"),
        townships=str(d / "townships.gpkg"),
        landuse=str(d / "dltb.gpkg") if landuse else None,
    )
