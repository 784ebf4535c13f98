"""Builders of small real GDAL vector files with known defects, and independent area references.

Coordinates are metres in EPSG:4530 (CGCS2000 3° Gauss-Krüger zone 42, CM 126°E) offset to the
middle of 吉林; the reference areas are geodesic (pyproj Geod on CGCS2000) of the analytic shapes,
computed here without the plugin's code. ``ramp`` writes a 45° DEM over gbox(0, 0, 1000, 1000).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from osgeo import gdal, ogr, osr
from pyproj import CRS, Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import MultiPolygon, Polygon, box

from ..util import write_raster

gdal.UseExceptions()
ogr.UseExceptions()

X0, Y0 = 42_510_000.0, 4_620_000.0  # ≈126.1°E, 41.7°N
GK = 4530
_geod = Geod(ellps="GRS80")  # CGCS2000 ellipsoid differs from GRS80 by 1e-10 in flattening only
_to_ll = Transformer.from_crs(CRS.from_epsg(GK), CRS.from_epsg(4490), always_xy=True)
T = from_origin(X0, Y0 + 1000, 10, 10)  # 100×100 cells of 10 m over gbox(0, 0, 1000, 1000)


def gbox(x0, y0, x1, y1):
    """A box in local metres (offset to X0, Y0)."""
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def ramp(path, shape=(100, 100), nodata_cols=0):
    z = np.tile(np.arange(shape[1], dtype=np.float32) * 10.0, (shape[0], 1))  # 45°
    z[:, :nodata_cols] = -9999
    return write_raster(path, z, "EPSG:4530", T)


def geod_area(geom) -> float:
    """Geodesic area (m²) of a shapely geometry in EPSG:4530."""
    polys = [geom] if isinstance(geom, Polygon) else list(geom.geoms)
    total = 0.0
    for p in polys:
        rings = [p.exterior] + list(p.interiors)
        for n, ring in enumerate(rings):
            xs, ys = zip(*ring.coords)
            lon, lat = _to_ll.transform(xs, ys)
            a = abs(_geod.polygon_area_perimeter(lon, lat)[0])
            total += a if n == 0 else -a
    return total


def to_4490(geom):
    if isinstance(geom, MultiPolygon):
        return MultiPolygon([to_4490(p) for p in geom.geoms])
    ext = list(zip(*_to_ll.transform(*zip(*geom.exterior.coords))))
    return Polygon(ext, [list(zip(*_to_ll.transform(*zip(*r.coords)))) for r in geom.interiors])


def write_layer(path, features, epsg=GK, fields=None, driver="GPKG", layer_name=None, options=None):
    """features: list of (geometry or WKT or None, {field: value}); fields: [(name, ogr type)]."""
    drv = ogr.GetDriverByName(driver)
    if Path(path).exists():
        drv.DeleteDataSource(str(path))
    # QGIS sets SHAPE_ENCODING="" process-wide, which would make the writer ignore ENCODING=…
    saved = gdal.GetConfigOption("SHAPE_ENCODING")
    gdal.SetConfigOption("SHAPE_ENCODING", None)
    try:
        return _write(drv, path, features, epsg, fields, driver, layer_name, options)
    finally:
        gdal.SetConfigOption("SHAPE_ENCODING", saved)


def _write(drv, path, features, epsg, fields, driver, layer_name, options):
    ds = drv.CreateDataSource(str(path))
    srs = None
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    name = layer_name or str(path).rsplit("/", 1)[-1].split(".")[0]
    lyr = ds.CreateLayer(
        name,
        srs,
        {"ESRI Shapefile": ogr.wkbPolygon, "OpenFileGDB": ogr.wkbMultiPolygon}.get(driver, ogr.wkbUnknown),
        options=options or [],
    )
    for fname, ftype in fields or []:
        fd = ogr.FieldDefn(fname, ftype)
        if ftype == ogr.OFTString:
            fd.SetWidth(64)
        lyr.CreateField(fd)
    for geom, attrs in features:
        f = ogr.Feature(lyr.GetLayerDefn())
        for k, v in attrs.items():
            if v is not None:
                f.SetField(k, v)
        if geom is not None:
            g = ogr.CreateGeometryFromWkt(geom if isinstance(geom, str) else geom.wkt)
            f.SetGeometry(ogr.ForceToMultiPolygon(g) if driver == "OpenFileGDB" else g)
        lyr.CreateFeature(f)
    ds = None
    return path
