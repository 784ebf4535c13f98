"""The one vector reader of the plugin: any OGR source, with the text encoding under our control.

Shapefiles: the encoding comes from the user, else the .cpg, else the DBF bytes (UTF-8 when every
text value decodes as UTF-8, else the code page named by the DBF's LDID byte, else GBK), and is
passed to OGR as the ENCODING open option. That option beats the SHAPE_ENCODING config QGIS sets
process-wide (which otherwise turns UTF-8 names into "éåå¿" or GBK ones into raw bytes). Other
formats (GeoPackage, FileGDB, …) are UTF-8 by definition.

Read through osgeo.ogr (not fiona/pyogrio): Debian's GDAL, the same inside and outside QGIS.
"""

from __future__ import annotations

import codecs
import struct
from pathlib import Path

from .errors import InputError
from .input_checks import check_geographic_extent

# .cpg spellings → the name passed to OGR (iconv); GB2312 files are read as GBK, its superset
_CPG_NAMES = {
    "UTF8": "UTF-8",
    "UTF-8": "UTF-8",
    "65001": "UTF-8",
    "936": "GBK",
    "CP936": "GBK",
    "GBK": "GBK",
    "GB2312": "GBK",
    "ANSI 936": "GBK",
    "EUC-CN": "GBK",
    "GB18030": "GB18030",
    "54936": "GB18030",
    "950": "CP950",
    "CP950": "CP950",
    "BIG5": "CP950",
    "1252": "CP1252",
    "CP1252": "CP1252",
    "ANSI 1252": "CP1252",
    "ISO-8859-1": "ISO-8859-1",
    "ISO88591": "ISO-8859-1",
    "LATIN1": "ISO-8859-1",
}
# DBF language driver ids that name one code page (0x57 "ANSI" means the writer's system code page:
# not meaningful, so the bytes decide)
_LDID = {0x4D: "GBK", 0x7A: "GBK", 0x4F: "CP950", 0x78: "CP950", 0x03: "CP1252", 0x01: "CP437", 0x02: "CP850"}


def _ogr():
    from osgeo import gdal, ogr

    gdal.UseExceptions()
    ogr.UseExceptions()
    return gdal, ogr


def normalise_encoding(name: str) -> str:
    """'936' / 'cp936' / 'GB2312' → 'GBK', 'utf8' / '65001' → 'UTF-8'; unknown names upper-cased."""
    key = " ".join(str(name).strip().upper().split())
    if key.startswith("CP") and key[2:].strip().isdigit():
        key = key[2:].strip()
    return _CPG_NAMES.get(key, _CPG_NAMES.get("CP" + key, ("CP" + key) if key.isdigit() else key))


def _python_codec(encoding: str):
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def dbf_text_values(dbf: Path, limit_bytes: int = 64 << 20) -> tuple[int, list[bytes]]:
    """(LDID byte, the non-ASCII character-field values) of a DBF file, from its header and records."""
    with open(dbf, "rb") as fh:
        head = fh.read(32)
        if len(head) < 32:
            return 0, []
        count, header_len, record_len = struct.unpack("<IHH", head[4:12])
        ldid = head[29]
        desc = fh.read(max(0, header_len - 32))
        fields, offset = [], 1  # each record starts with its deletion flag
        for i in range(0, len(desc) - 31, 32):
            if desc[i] == 0x0D:
                break
            ftype, flen = chr(desc[i + 11]), desc[i + 16]
            if ftype == "C":
                fields.append((offset, flen))
            offset += flen
        fh.seek(header_len)
        body = fh.read(min(count * record_len, limit_bytes))
    values = []
    for r in range(0, len(body) - record_len + 1, record_len):
        for off, flen in fields:
            raw = body[r + off : r + off + flen].rstrip(b" \x00")
            if any(b >= 0x80 for b in raw):
                values.append(raw)
    return ldid, values


def decode_text(values: list[bytes], encoding: str) -> list[str] | None:
    """The values decoded with ``encoding`` (any spelling normalise_encoding knows), or None when
    one does not decode; a multi-byte character cut off at the field's width is allowed."""
    codec = _python_codec(normalise_encoding(encoding))
    if codec is None:
        return None
    out = []
    for raw in values:
        try:
            out.append(codecs.getincrementaldecoder(codec)().decode(raw, final=False))
        except UnicodeDecodeError:
            return None
    return out


def _decodes(values: list[bytes], codec: str) -> bool:
    """Every value decodes; a multi-byte character cut off at the field's width is allowed."""
    return decode_text(values, codec) is not None


def shapefile_encoding(path, label: str = "", given: str | None = None) -> tuple[str, str]:
    """(encoding for OGR, where it came from: 'user' / '.cpg' / 'DBF bytes' / 'LDID' / 'ASCII') of a shapefile.

    Refuses (InputError) when the text does not decode with the encoding found: garbled names
    must never reach an announcement.
    """
    p = Path(str(path))
    label = label or p.name
    dbf = p.with_suffix(".dbf")
    if not dbf.is_file():
        dbf = p.with_suffix(".DBF")
    ldid, values = dbf_text_values(dbf) if dbf.is_file() else (0, [])
    cpg = next((c for c in (p.with_suffix(".cpg"), p.with_suffix(".CPG")) if c.is_file()), None)
    if given:
        encoding, source = normalise_encoding(given), "user"
    elif cpg is not None and cpg.read_bytes().strip():
        encoding, source = normalise_encoding(cpg.read_bytes().decode("ascii", "replace")), ".cpg"
    elif not values:
        return "UTF-8", "ASCII"
    elif _decodes(values, "utf-8"):
        return "UTF-8", "DBF bytes"
    elif ldid in _LDID:
        encoding, source = _LDID[ldid], "LDID"
    else:
        encoding, source = "GBK", "DBF bytes"
    codec = _python_codec(encoding)
    if codec is None:
        raise InputError(
            label,
            f"不认识的文本编码 “{encoding}”（{source}），请改为 UTF-8 或 GBK",
            f"unknown text encoding '{encoding}' ({source}); use UTF-8 or GBK",
        )
    if not _decodes(values, codec):
        other = next((e for e in ("UTF-8", "GBK") if e != encoding and _decodes(values, _python_codec(e))), None)
        hint_zh = f"；文本看起来是 {other}，请改正 .cpg 文件" if other else "；请用正确的 .cpg 文件注明编码"
        hint_en = (
            f"; the text looks like {other}, fix the .cpg file" if other else "; name the right encoding in a .cpg file"
        )
        raise InputError(
            label,
            f"属性文本不是 {encoding} 编码（来自 {source}）{hint_zh}",
            f"the attribute text is not {encoding} (from {source}){hint_en}",
        )
    return encoding, source


def split_source(path, layer: str | None = None) -> tuple[str, str | None]:
    """'file.gpkg|layername=x' → ('file.gpkg', 'x'); an explicit layer wins."""
    text = str(path)
    base, _, rest = text.partition("|")
    for part in rest.split("|"):
        if part.startswith("layername=") and not layer:
            layer = part[len("layername=") :]
    return base, layer


def is_shapefile(path) -> bool:
    return Path(str(path)).suffix.lower() in (".shp", ".dbf")


def open_layer(
    path,
    label: str,
    layer: str | None = None,
    encoding: str | None = None,
    preferred_layers: tuple = (),
    first: bool = False,
):
    """(dataset, layer, encoding used) of a vector source, with bilingual errors before any work.

    Without a layer name: the only layer, a preferred one, or (``first``) the first, as QGIS does.
    Keep the dataset alive while the layer is used.
    """
    gdal, _ = _ogr()
    path, layer = split_source(path, layer)
    p = Path(path)
    if not p.exists():
        raise InputError(label, f"文件不存在: {path}", f"file not found: {path}")
    options, used = [], "UTF-8"
    if is_shapefile(p):
        used, source = shapefile_encoding(p, label, encoding)
        options = [f"ENCODING={used}"]
        used = f"{used} ({source})"
    try:
        ds = gdal.OpenEx(str(p), gdal.OF_VECTOR, open_options=options)
    except RuntimeError as exc:
        raise InputError(
            label, f"无法读取矢量数据 {path}: {exc}", f"cannot read the vector data {path}: {exc}"
        ) from exc
    if ds is None:
        raise InputError(label, f"无法读取矢量数据: {path}", f"cannot read the vector data: {path}")
    names = [ds.GetLayer(i).GetName() for i in range(ds.GetLayerCount())]
    if not names:
        raise InputError(label, "数据源中没有图层", "the data source holds no layer")
    if layer and not is_shapefile(p):  # a shapefile holds one layer, whatever name the caller used
        if layer not in names:
            raise InputError(
                label,
                f"没有名为“{layer}”的图层；现有图层: {', '.join(names)}",
                f"no layer named '{layer}'; layers: {', '.join(names)}",
            )
        return ds, ds.GetLayerByName(layer), used
    if len(names) == 1 or first:
        return ds, ds.GetLayer(0), used
    for want in preferred_layers:
        for name in names:
            if name.upper() == str(want).upper():
                return ds, ds.GetLayerByName(name), used
    raise InputError(
        label,
        f"数据源有多个图层，请指定其一: {', '.join(names)}",
        f"the data source holds several layers, name one of: {', '.join(names)}",
    )


def layer_crs(lyr):
    """pyproj CRS of an OGR layer, None without one (GeoPackage's 'Undefined' SRS counts as none)."""
    from .crs import to_pyproj

    srs = lyr.GetSpatialRef()
    if srs is None or (srs.GetName() or "").startswith("Undefined"):
        return None
    return to_pyproj(srs.ExportToWkt())


def shapely_2d(geom, ogr):
    """A shapely geometry from an OGR one: curves linearised, Z and M dropped."""
    from shapely import wkb

    if geom is None:
        return None
    g = geom.Clone()
    if g.HasCurveGeometry():
        g = g.GetLinearGeometry()
    g.FlattenTo2D()
    return wkb.loads(bytes(g.ExportToIsoWkb()))


def read_vector(path, label: str, layer: str | None = None, encoding: str | None = None, preferred_layers: tuple = ()):
    """GeoDataFrame of one layer (path may be 'file|layername=x'), geometries 2D.

    ``gdf.attrs`` holds 'encoding' (e.g. 'GBK (DBF bytes)'), 'layer' and 'path'; read them
    right away (pandas does not carry attrs through every operation).
    """
    import geopandas as gpd
    import pandas as pd

    _, ogr = _ogr()
    ds, lyr, used = open_layer(path, label, layer, encoding, preferred_layers)
    defn = lyr.GetLayerDefn()
    fields = [(defn.GetFieldDefn(i).GetName(), defn.GetFieldDefn(i).GetType()) for i in range(defn.GetFieldCount())]
    ints = (ogr.OFTInteger, ogr.OFTInteger64)
    columns: dict[str, list] = {name: [] for name, _ in fields}
    geoms = []
    lyr.ResetReading()
    for feat in lyr:
        geoms.append(shapely_2d(feat.GetGeometryRef(), ogr))
        for i, (name, ftype) in enumerate(fields):
            if not feat.IsFieldSetAndNotNull(i):
                value = None
            elif ftype in ints:
                value = feat.GetFieldAsInteger64(i)
            elif ftype == ogr.OFTReal:
                value = feat.GetFieldAsDouble(i)
            else:
                value = feat.GetFieldAsString(i)
            columns[name].append(value)
    crs = layer_crs(lyr)
    name = lyr.GetName()
    del ds  # closes the OGR dataset: the file is not held open while the frame is built
    frame = pd.DataFrame(columns, columns=[n for n, _ in fields])
    gdf = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=crs.to_wkt() if crs is not None else None))
    gdf.attrs.update({"encoding": used, "layer": name, "path": split_source(path)[0]})
    if crs is not None and gdf.geometry.notna().any():
        check_geographic_extent(crs, gdf.total_bounds, label)
    return gdf


def source_encoding(path, label: str = "", encoding: str | None = None) -> str:
    """The encoding read_vector uses for a source, as reported in feedback and run metadata."""
    base, _ = split_source(path)
    if not is_shapefile(base):
        return "UTF-8"
    used, source = shapefile_encoding(base, label, encoding)
    return f"{used} ({source})"
