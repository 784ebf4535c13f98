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
import re
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


# where an encoding came from, as the messages say it (the tokens stay in 'GBK (DBF bytes)')
_SOURCE_ZH = {
    "user": "您选择的编码",
    ".cpg": "来自 .cpg 文件",
    "LDID": "来自 DBF 文件头的语言标识 LDID",
    "DBF bytes": "按 DBF 字节判断",
}
_SOURCE_EN = {
    "user": "the encoding you chose",
    ".cpg": "from the .cpg file",
    "LDID": "from the DBF header's language id, LDID",
    "DBF bytes": "guessed from the DBF bytes",
}

# CJK ideographs; their presence means Chinese text decoded right
CJK_RE = re.compile(r"[\u3400-\u9fff]")
# Latin-1 letters, box drawing, replacement char and lone surrogates: typical of GBK bytes decoded
# as Latin-1/CP1252 ("Í¨»¯"), as UTF-8 with errors ("\ufffd") or by Python's surrogateescape
_GARBLE = re.compile(r"[\u00c0-\u00ff\u2500-\u257f\ufffd\udc80-\udcff]")
# punctuation of Chinese text: CJK symbols (、。《》【】…), full-width forms (（），：), dashes and quotes
_PUNCT = re.compile(r"[\u3000-\u303f\uff01-\uff5e\u2014\u2018\u2019\u201c\u201d\u2026]")


def looks_garbled(text: str) -> bool:
    """True when a string looks like text decoded with the wrong encoding."""
    if not text:
        return False
    if CJK_RE.search(text):
        if re.search(r"[\ufffd\udc80-\udcff]", text):
            return True
        # UTF-8 bytes decoded as GBK still look Chinese ("閫氬寲"): they re-encode to valid UTF-8
        try:
            back = text.encode("gbk").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return False
        return back != text and bool(CJK_RE.search(back))
    return len(_GARBLE.findall(text)) >= 2 or bool(re.search(r"[\ufffd\udc80-\udcff]", text))


def _common_char(ch: str) -> bool:
    """A character of ordinary Chinese text: a common ideograph (GB2312 level 1, simplified, or Big5
    level 1, traditional) or Chinese punctuation. Latin-1 letters, bopomofo, kana, box drawing and
    rare ideographs are what text decoded with the wrong code page is made of."""
    if _PUNCT.match(ch):
        return True
    if not CJK_RE.match(ch):
        return False
    for codec, low, high in (("gb2312", 0xB0, 0xD7), ("big5", 0xA4, 0xC6)):
        try:
            raw = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        if len(raw) == 2 and low <= raw[0] <= high:
            return True
    return False


def plain_text_share(texts: list[str]) -> tuple[float, int]:
    """(share of the non-ASCII characters that belong to ordinary Chinese text, their number)."""
    chars = [c for t in texts for c in t if ord(c) >= 0x80]
    if not chars:
        return 0.0, 0
    return sum(1 for c in chars if _common_char(c)) / len(chars), len(chars)


def _garbled_against(values: list[bytes], encoding: str) -> tuple[str, list[str], list[str]] | None:
    """(the better encoding, its reading, the reading with ``encoding``) when another encoding
    (UTF-8, GBK, CP950) reads the values as ordinary Chinese and ``encoding`` reads them as mojibake."""
    given = decode_text(values, encoding)
    if given is None:
        return None
    share, count = plain_text_share(given)
    if count < 2:
        return None
    garbled = sum(1 for t in given if looks_garbled(t))
    for other in ("UTF-8", "GBK", "CP950"):
        if _python_codec(other) == _python_codec(encoding):
            continue
        texts = decode_text(values, other)
        if texts is None:
            continue
        other_share, _ = plain_text_share(texts)
        other_garbled = sum(1 for t in texts if looks_garbled(t))
        if other_share >= 0.9 and other_share > share and (other_share - share >= 0.2 or garbled > other_garbled):
            return other, texts, given
    return None


def _sample(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")[:30]


def _advice(source: str, encoding: str) -> tuple[str, str]:
    """How to name ``encoding``, according to where the wrong one came from."""
    if source == "user":
        return (
            f"请把文本编码（ENCODING 参数）改为 {encoding}",
            f"set the text encoding (parameter ENCODING) to {encoding}",
        )
    if source == ".cpg":
        return (
            f"请改正 .cpg 文件，写明 {encoding}（或把文本编码 ENCODING 参数设为 {encoding}）",
            f"fix the .cpg file to say {encoding} (or set the text encoding, parameter ENCODING, to {encoding})",
        )
    return (
        f"请用 .cpg 文件或文本编码（ENCODING 参数）注明 {encoding}",
        f"name {encoding} in a .cpg file or in the text encoding (parameter ENCODING)",
    )


def shapefile_encoding(path, label: str = "", given: str | None = None) -> tuple[str, str]:
    """(encoding for OGR, where it came from: 'user' / '.cpg' / 'DBF bytes' / 'LDID' / 'ASCII') of a shapefile.

    Refuses (InputError) when the text does not decode with the encoding found, or decodes to
    mojibake where another encoding (UTF-8, GBK, CP950) reads ordinary Chinese: garbled names must
    never reach an announcement.
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
    src_zh, src_en = _SOURCE_ZH.get(source, source), _SOURCE_EN.get(source, source)
    codec = _python_codec(encoding)
    if codec is None:
        raise InputError(
            label,
            f"不认识的文本编码 “{encoding}”（{src_zh}），请改为 UTF-8 或 GBK",
            f"unknown text encoding '{encoding}' ({src_en}); use UTF-8 or GBK",
        )
    if not _decodes(values, codec):
        other = next((e for e in ("UTF-8", "GBK") if e != encoding and _decodes(values, _python_codec(e))), None)
        if other:
            advice_zh, advice_en = _advice(source, other)
            hint_zh, hint_en = f"；文本看起来是 {other}，{advice_zh}", f"; the text looks like {other}, {advice_en}"
        elif source == "user":
            hint_zh, hint_en = (
                "；请选择正确的文本编码（ENCODING 参数）",
                "; choose the right text encoding (parameter ENCODING)",
            )
        else:
            hint_zh, hint_en = "；请用正确的 .cpg 文件注明编码", "; name the right encoding in a .cpg file"
        raise InputError(
            label,
            f"属性文本不是 {encoding} 编码（{src_zh}）{hint_zh}",
            f"the attribute text is not {encoding} ({src_en}){hint_en}",
        )
    found = _garbled_against(values, encoding)
    if found is not None:
        better, right, wrong = found
        # the sample: of the first values, the one with the most non-ASCII text
        i = max(range(min(len(right), 50)), key=lambda k: sum(ord(c) >= 0x80 for c in right[k]))
        advice_zh, advice_en = _advice(source, better)
        raise InputError(
            label,
            f"属性文本按 {encoding}（{src_zh}）读出来是乱码，按 {better} 读才是正常中文："
            f"{encoding} 读作 “{_sample(wrong[i])}”，{better} 读作 “{_sample(right[i])}”；{advice_zh}",
            f"the attribute text read as {encoding} ({src_en}) is garbled, read as {better} it is ordinary "
            f"Chinese: {encoding} reads '{_sample(wrong[i])}', {better} reads '{_sample(right[i])}'; {advice_en}",
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
