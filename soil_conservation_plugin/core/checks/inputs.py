"""Vector input for the checks: features as fids, geometries and attribute dicts, and mojibake
detection (for a user-chosen encoding that decodes but is wrong).

Opened through core.common.vector (the one reader: encoding, layer choice, CRS, 2D geometries).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pyproj import CRS
from shapely.geometry import Polygon

from ..common.errors import InputError
from ..common.input_checks import check_geographic_extent
from ..common.vector import CJK_RE, decode_text, layer_crs, looks_garbled, open_layer, shapely_2d, split_source

NUMBER_TYPES = {"Integer", "Integer64", "Real"}
INTEGER_TYPES = {"Integer", "Integer64"}


def _ogr():
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    ogr.UseExceptions()
    return gdal, ogr


@dataclass
class VectorData:
    """Features of one layer: fids, shapely geometries (None when null), attribute dicts."""

    label: str
    path: str
    layer_name: str
    crs: CRS | None
    fields: dict  # name → OGR type name (String, Integer, Integer64, Real, Date, …)
    fids: list
    geoms: list
    attrs: list
    encoding: str = ""
    garbled_sample: str = ""
    suggested_encoding: str = ""
    warnings: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.fids)


def sniff_encoding(raw_values) -> str:
    """'UTF-8' or 'GBK' (CP936) for raw DBF bytes, or '' when neither decodes to Chinese."""
    raw = [r for r in raw_values if r and any(b >= 0x80 for b in r)]
    if not raw:
        return ""
    for name in ("UTF-8", "GBK"):
        # the shapefile reader's decoding (a character cut off at the field width is no error)
        texts = decode_text([bytes(r) for r in raw], name)
        if texts and any(CJK_RE.search(t) for t in texts):
            return name
    return ""


def list_layers(path: str) -> list[str]:
    gdal, _ = _ogr()
    ds = gdal.OpenEx(str(path), gdal.OF_VECTOR)
    return [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]


def read_vector(
    path,
    label: str,
    layer_name: str | None = None,
    encoding: str | None = None,
    preferred_layers: tuple = (),
    polygons: bool = True,
) -> VectorData:
    """Read a polygon layer (path may be 'file|layername=x'). ``label`` names the input in messages."""
    gdal, ogr = _ogr()
    path, layer_name = split_source(path, layer_name)
    ds, lyr, used = open_layer(path, label, layer_name, encoding, preferred_layers)
    if polygons:
        _require_polygons(lyr, ogr, label)
    fields = _field_types(lyr.GetLayerDefn(), ogr)
    crs = layer_crs(lyr)
    fids: list[int] = []
    geoms: list = []  # shapely geometry or None
    attrs: list[dict] = []
    for feat in lyr:
        fids.append(feat.GetFID())
        geoms.append(_feature_geometry(feat, ogr))
        attrs.append(_feature_row(feat, fields))
    _check_extent(crs, geoms, label)
    data = VectorData(label, path, lyr.GetName(), crs, fields, fids, geoms, attrs, encoding=used)
    # mojibake: look at the strings as decoded; suggest an encoding from the raw bytes
    string_fields = [n for n, t in fields.items() if t == "String"]
    data.garbled_sample = _garbled_sample(attrs, string_fields)
    if data.garbled_sample and path.lower().endswith(".shp"):
        data.suggested_encoding = sniff_encoding(_raw_strings(gdal, path, string_fields))
    return data


def _require_polygons(lyr, ogr, label: str) -> None:
    gtype = ogr.GT_Flatten(lyr.GetGeomType())
    if gtype not in (ogr.wkbPolygon, ogr.wkbMultiPolygon, ogr.wkbUnknown, ogr.wkbCurvePolygon, ogr.wkbMultiSurface):
        raise InputError(
            label,
            f"需要面图层，实际为 {ogr.GeometryTypeToName(gtype)}",
            f"a polygon layer is needed, got {ogr.GeometryTypeToName(gtype)}",
        )


def _field_types(defn, ogr) -> dict:
    """Field name → OGR type name, in layer order."""
    fields = {}
    for i in range(defn.GetFieldCount()):
        fd = defn.GetFieldDefn(i)
        fields[fd.GetName()] = ogr.GetFieldTypeName(fd.GetType())
    return fields


def _feature_geometry(feat, ogr):
    """The feature's shapely geometry: None when null, an empty Polygon when empty, 2D (multi)polygons else."""
    g = feat.GetGeometryRef()
    if g is None:
        return None
    if g.IsEmpty():
        return Polygon()
    if ogr.GT_Flatten(g.GetGeometryType()) not in (ogr.wkbPolygon, ogr.wkbMultiPolygon):
        g = ogr.ForceTo(g.Clone(), ogr.wkbMultiPolygon)
    return shapely_2d(g, ogr)


def _feature_row(feat, fields: dict) -> dict:
    row: dict = {}
    for name, ftype in fields.items():
        if not feat.IsFieldSetAndNotNull(name):
            row[name] = None
        elif ftype in INTEGER_TYPES:
            row[name] = feat.GetFieldAsInteger64(name)
        elif ftype == "Real":
            row[name] = feat.GetFieldAsDouble(name)
        else:
            row[name] = feat.GetFieldAsString(name)
    return row


def _check_extent(crs, geoms: list, label: str) -> None:
    bounds = [g.bounds for g in geoms if g is not None and not g.is_empty]
    if crs is not None and bounds:
        b = list(zip(*bounds))
        check_geographic_extent(crs, (min(b[0]), min(b[1]), max(b[2]), max(b[3])), label)


def _garbled_sample(attrs: list, string_fields: list) -> str:
    """The first string value that looks garbled (UTF-8 safe, 40 characters), or ''."""
    for row in attrs:
        for name in string_fields:
            text = row.get(name)
            if text and looks_garbled(text):
                return text.encode("utf-8", "replace").decode("utf-8")[:40]
    return ""


def _raw_strings(gdal, path: str, string_fields: list) -> list:
    """Raw bytes of the string fields of a shapefile (no decoding), from its first features."""
    raw_ds = gdal.OpenEx(path, gdal.OF_VECTOR, open_options=["ENCODING="])
    raw_lyr = raw_ds.GetLayer(0)
    raw = []
    for feat in raw_lyr:
        for name in string_fields:
            if feat.IsFieldSetAndNotNull(name):
                raw.append(bytes(feat.GetFieldAsBinary(name)))
        if len(raw) > 200:
            break
    return raw
