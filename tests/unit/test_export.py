"""Export to the One-Map package: round trips through GDAL/OGR for GPKG, Shapefile (GBK/UTF-8) and FileGDB.

Source layers are built here: small polygons in CGCS2000 / 3-degree GK zone 42
(EPSG:4530) with Chinese text. References are independent of the exporter:
areas from an Albers equal-area projection of densified source polygons, DBF
text decoded from raw bytes, GeoPackage aliases read with sqlite3, hashes with
hashlib.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import json
import sqlite3
import struct
import zipfile
from pathlib import Path

import pytest
from osgeo import ogr, osr
from pyproj import CRS, Transformer
from shapely import wkb as shapely_wkb
from shapely.geometry import MultiPolygon, Polygon, box

from soil_conservation_plugin.core.common.compat import transform_xy
from soil_conservation_plugin.core.common.errors import CancelledError, InputError
from soil_conservation_plugin.core.common.feedback import Feedback
from soil_conservation_plugin.core.common.io import MARKER
from soil_conservation_plugin.core.export import package as ex
from soil_conservation_plugin.core.export.metadata_xml import read_core_elements
from soil_conservation_plugin.core.export.schema import load_schema

X0, Y0 = 42_500_000.0, 4_620_000.0  # EPSG:4530 near 通化县 (126°E, 41.7°N)

STEEP = [
    # geometry, attributes
    (
        box(X0, Y0, X0 + 300, Y0 + 300),
        dict(
            patch_id=1,
            parent_id=None,
            county_code="220521",
            county_name="通化县",
            township_code="220521100",
            township_name="快大茂镇",
            unit_code="220521001100000",
            area_ha=9.0,
            slope_mean=23.456,
            slope_max=31.2,
            threshold_deg=20.0,
        ),
    ),
    (
        Polygon(
            [(X0 + 500, Y0), (X0 + 900, Y0), (X0 + 900, Y0 + 400), (X0 + 500, Y0 + 400)],
            [[(X0 + 600, Y0 + 100), (X0 + 700, Y0 + 100), (X0 + 700, Y0 + 200), (X0 + 600, Y0 + 200)]],
        ),
        dict(
            patch_id=2,
            parent_id=2,
            county_code="220521",
            county_name="通化县",
            township_code="220521101000",
            township_name="二密镇",
            unit_code=None,
            area_ha=15.0,
            slope_mean=21.0,
            slope_max=26.0,
            threshold_deg=20.0,
        ),
    ),
    (
        MultiPolygon([box(X0, Y0 + 1000, X0 + 200, Y0 + 1150), box(X0 + 400, Y0 + 1000, X0 + 450, Y0 + 1100)]),
        dict(
            patch_id=3,
            parent_id=None,
            county_code="220521",
            county_name="通化县",
            township_code="220521203",
            township_name="大泉源满族朝鲜族乡",
            unit_code=None,
            area_ha=None,
            slope_mean=None,
            slope_max=None,
            threshold_deg=20.0,
        ),
    ),
    (
        box(X0 + 2000, Y0, X0 + 2100, Y0 + 250),
        dict(
            patch_id=4,
            parent_id=None,
            county_code="220523",
            county_name="辉南县",
            township_code="220523100",
            township_name="朝阳镇",
            unit_code=None,
            area_ha=2.5,
            slope_mean=20.5,
            slope_max=22.0,
            threshold_deg=20.0,
        ),
    ),
]
UNITS = [
    (
        box(X0, Y0, X0 + 1000, Y0 + 1200),
        dict(
            unit_code="220521001100000",
            unit_name="通化县001-1小流域",
            down_code="220521001200000",
            up_codes="",
            area_km2=1.2,
            county_code="220521",
            county_name="通化县",
            outlet_x=X0 + 500,
            outlet_y=Y0,
        ),
    ),
    (
        box(X0 + 1000, Y0, X0 + 2500, Y0 + 1200),
        dict(
            unit_code="220521001200000",
            unit_name="通化县001-2小流域",
            down_code=None,
            up_codes="220521001100000",
            area_km2=1.8,
            county_code="220521",
            county_name="通化县",
            outlet_x=X0 + 2500,
            outlet_y=Y0 + 600,
        ),
    ),
]
ZONES = [
    (
        box(X0, Y0, X0 + 1000, Y0 + 1200),
        dict(
            unit_code="220521001100000",
            zone_type="重点预防区",
            county_code="220521",
            county_name="通化县",
            area_km2=1.2,
            fired="植被覆盖度 0.82 ≥ 0.75",
            rule_version="jilin-0.1.0",
        ),
    ),
    (
        box(X0 + 1000, Y0, X0 + 2500, Y0 + 1200),
        dict(
            unit_code="220521001200000",
            zone_type="重点治理区;严重",
            county_code="220521",
            county_name="通化县",
            area_km2=1.8,
            fired="中度以上侵蚀占比 31% ≥ 25%",
            rule_version="jilin-0.1.0",
        ),
    ),
    (
        box(X0 + 3000, Y0, X0 + 3500, Y0 + 500),
        dict(
            unit_code="220521001300000",
            zone_type="fragile",
            county_code="220521",
            county_name="通化县",
            area_km2=0.25,
            fired="",
            rule_version="jilin-0.1.0",
        ),
    ),
    (
        box(X0 + 4000, Y0, X0 + 4500, Y0 + 500),
        dict(
            unit_code="220521001400000",
            zone_type=None,
            county_code="220521",
            county_name="通化县",
            area_km2=0.25,
            fired="",
            rule_version="jilin-0.1.0",
        ),
    ),
]
ISSUES = [
    (
        box(X0, Y0, X0 + 50, Y0 + 40),
        dict(
            rule_id="RL-003",
            severity="info",
            message_zh="陡坡图斑 1 在生态保护红线内 2000.00 m²",
            message_en="patch 1 inside the red line",
            layer="禁止开垦陡坡地图斑",
            feature_id="1",
            value=2000.0,
            status="open",
        ),
    ),
    (
        box(X0 + 10, Y0 + 10, X0 + 11, Y0 + 11).centroid,
        dict(
            rule_id="ATTR-002",
            severity="错误",
            message_zh="县级代码重复",
            message_en="duplicate county code",
            layer="小流域",
            feature_id="220521001100000",
            value=None,
            status="needs fix",
        ),
    ),
]
FIELD_TYPES = {
    "patch_id": ogr.OFTInteger,
    "parent_id": ogr.OFTInteger,
    "area_ha": ogr.OFTReal,
    "slope_mean": ogr.OFTReal,
    "slope_max": ogr.OFTReal,
    "threshold_deg": ogr.OFTReal,
    "area_km2": ogr.OFTReal,
    "outlet_x": ogr.OFTReal,
    "outlet_y": ogr.OFTReal,
    "value": ogr.OFTReal,
}


def write_source(path: Path, rows, epsg: int = 4530, name: str = "layer") -> str:
    """A GeoPackage source layer (UTF-8) as the plugin's steps write them."""
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    lyr = ds.CreateLayer(name, srs, ogr.wkbUnknown)
    for key in rows[0][1]:
        lyr.CreateField(ogr.FieldDefn(key, FIELD_TYPES.get(key, ogr.OFTString)))
    for geom, attrs in rows:
        feat = ogr.Feature(lyr.GetLayerDefn())
        for key, value in attrs.items():
            if value is None:
                feat.SetFieldNull(key)
            else:
                feat.SetField(key, value)
        feat.SetGeometry(ogr.CreateGeometryFromWkb(bytes(geom.wkb)))
        lyr.CreateFeature(feat)
    ds = None
    return str(path)


@pytest.fixture
def sources(tmp_path):
    d = tmp_path / "src"
    d.mkdir()
    return {
        "steep_slope": write_source(d / "steep.gpkg", STEEP),
        "units": write_source(d / "units.gpkg", UNITS),
        "zones": write_source(d / "zones.gpkg", ZONES),
        "issues": write_source(d / "issues.gpkg", ISSUES),
    }


# --- independent references -------------------------------------------------------

ALBERS = CRS.from_proj4("+proj=aea +lat_1=40 +lat_2=47 +lat_0=41 +lon_0=126 +ellps=GRS80 +units=m +no_defs")


def equal_area_ha(geom, src_epsg: int = 4530) -> float:
    """Area by an Albers equal-area projection of the source polygon densified to 5 m: no pyproj.Geod involved."""
    tr = Transformer.from_crs(CRS.from_epsg(src_epsg), ALBERS, always_xy=True)
    dense = densify(geom, 5.0)
    return transform_xy(tr.transform, dense).area / 1e4


def densify(geom, step: float):
    def ring(coords):
        out = []
        coords = list(coords)
        for (x1, y1), (x2, y2) in zip(coords[:-1], coords[1:]):
            n = max(1, int(((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 // step))
            out += [(x1 + (x2 - x1) * i / n, y1 + (y2 - y1) * i / n) for i in range(n)]
        return out + [coords[-1]]

    polys = list(geom.geoms) if hasattr(geom, "geoms") else [geom]
    return MultiPolygon([Polygon(ring(p.exterior.coords), [ring(r.coords) for r in p.interiors]) for p in polys])


def read_back(path: Path, layer: str | None = None):
    """(field definitions, rows, shapely geometries, EPSG) read with OGR."""
    ds = ogr.Open(str(path))
    lyr = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    defn = lyr.GetLayerDefn()
    fields = [defn.GetFieldDefn(i) for i in range(defn.GetFieldCount())]
    info = [(f.GetName(), f.GetTypeName(), f.GetWidth(), f.GetPrecision(), f.GetAlternativeName()) for f in fields]
    rows, geoms = [], []
    for feat in lyr:
        rows.append({f.GetName(): feat.GetField(f.GetName()) for f in fields})
        g = feat.GetGeometryRef()
        geoms.append(None if g is None else shapely_wkb.loads(bytes(g.ExportToWkb())))
    srs = lyr.GetSpatialRef()
    epsg = CRS.from_wkt(srs.ExportToWkt()).to_epsg()
    ds = None
    return info, rows, geoms, epsg


def geod_area_ha(geoms) -> float:
    from pyproj import Geod

    geod = Geod(ellps="GRS80")  # CGCS2000's ellipsoid differs from GRS80 by < 0.1 mm in b
    return sum(abs(geod.geometry_area_perimeter(g)[0]) for g in geoms) / 1e4


def dbf_rows(path: Path, encoding: str):
    """Decode a DBF file by hand (header, field descriptors, fixed-width records)."""
    data = path.read_bytes()
    nrec, hlen, rlen = struct.unpack("<IHH", data[4:12])
    fields, pos = [], 32
    while data[pos] != 0x0D:
        name = data[pos : pos + 11].split(b"\0")[0].decode("ascii")
        fields.append((name, chr(data[pos + 11]), data[pos + 16]))
        pos += 32
    rows = []
    for i in range(nrec):
        rec = data[hlen + i * rlen : hlen + (i + 1) * rlen]
        off, row = 1, {}
        for name, ftype, width in fields:
            raw = rec[off : off + width]
            row[name] = raw.decode(encoding).strip() if ftype == "C" else raw.decode("ascii").strip()
            off += width
        rows.append(row)
    return fields, rows


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_digest(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def shp_ring_signs(path: Path) -> list:
    """Signed areas (shoelace, + = counter-clockwise) of every ring in a polygon .shp, read from raw bytes."""
    data = path.read_bytes()
    pos, out = 100, []
    while pos < len(data):
        _, length = struct.unpack(">ii", data[pos : pos + 8])
        content = data[pos + 8 : pos + 8 + 2 * length]
        pos += 8 + 2 * length
        if struct.unpack("<i", content[:4])[0] != 5:
            continue
        nparts, npoints = struct.unpack("<ii", content[36:44])
        parts = list(struct.unpack(f"<{nparts}i", content[44 : 44 + 4 * nparts])) + [npoints]
        pts = struct.unpack(f"<{2 * npoints}d", content[44 + 4 * nparts : 44 + 4 * nparts + 16 * npoints])
        for a, b in zip(parts[:-1], parts[1:]):
            xs, ys = pts[2 * a : 2 * b : 2], pts[2 * a + 1 : 2 * b : 2]
            out.append(0.5 * sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(xs) - 1)))
    return out


def parts(geom):
    return list(geom.geoms) if hasattr(geom, "geoms") else [geom]


SOURCE_AREA = {row[1]["patch_id"]: equal_area_ha(row[0]) for row in STEEP}
TO_4490 = Transformer.from_crs(4530, 4490, always_xy=True)


# --- round trips ---------------------------------------------------------------------


def check_steep_layer(info, rows, geoms, epsg, *, aliases: bool):
    schema = load_schema()
    spec = schema.layer("JZKKDPTB")
    assert epsg == 4490
    assert [i[0] for i in info] == [f.name for f in spec.fields]
    types = {"String": "String", "Real": "Real", "Integer": "Integer"}
    assert [i[1] for i in info] == [types[f.type] for f in spec.fields]
    if aliases:
        assert [i[4] for i in info] == [f.alias for f in spec.fields]
    assert len(rows) == len(STEEP)
    by_id = {r["TBBH"]: (r, g) for r, g in zip(rows, geoms)}
    for _, attrs in STEEP:
        row, geom = by_id[str(attrs["patch_id"])]
        assert row["XZQMC"] == attrs["county_name"] and row["XZMC"] == attrs["township_name"]
        code = attrs["township_code"]
        assert row["XZDM"] == (code + "000" if len(code) == 9 else code)
        # area: the stored value and the geometry read back, against the equal-area reference
        ref = SOURCE_AREA[attrs["patch_id"]]
        assert abs(row["MJ"] - ref) < 0.01 and abs(row["MJPFGL"] * 100 - row["MJ"]) < 1e-3  # km² and ha agree
        assert abs(geod_area_ha(parts(geom)) - ref) < 0.01
        assert row["PDYZ"] == 20.0
    total_ref = sum(SOURCE_AREA.values())
    assert abs(sum(r["MJ"] for r in rows) - total_ref) < 0.01
    assert abs(geod_area_ha([p for g in geoms for p in parts(g)]) - total_ref) < 0.01
    # coordinates rounded to the schema's 8 decimals
    for g in geoms:
        for p in parts(g):
            for x, y in p.exterior.coords:
                assert abs(x * 1e8 - round(x * 1e8)) < 1e-3 and abs(y * 1e8 - round(y * 1e8)) < 1e-3


def check_manifest(package: Path):
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    # the plugin's marker ("this folder was written by the plugin") is neither in the manifest nor in the zip
    assert (package / MARKER).is_file()
    on_disk = {p.relative_to(package).as_posix() for p in package.rglob("*") if p.is_file()} - {"manifest.json", MARKER}
    hashed = {rel for rel, e in manifest["files"].items() if not e.get("folder")}
    assert hashed == on_disk
    for rel in hashed:
        assert manifest["files"][rel]["sha256"] == sha256(package / rel), rel
    assert ex.check_manifest(package) == []
    return manifest


def test_gpkg_round_trip(tmp_path, sources):
    out = tmp_path / "包 package"  # non-ASCII target folder
    result = ex.export_package(
        out, sources, options=ex.ExportOptions(format="GPKG", producer="通化县水利局", parameters={"threshold_deg": 20})
    )
    gpkg = out / "data" / "onemap.gpkg"
    info, rows, geoms, epsg = read_back(gpkg, "JZKKDPTB")
    check_steep_layer(info, rows, geoms, epsg, aliases=False)
    # aliases and code lists in the GeoPackage schema extension, read with sqlite3
    con = sqlite3.connect(str(gpkg))
    cols = dict(con.execute("SELECT column_name, name FROM gpkg_data_columns WHERE table_name='JZKKDPTB'").fetchall())
    titles = dict(
        con.execute("SELECT column_name, title FROM gpkg_data_columns WHERE table_name='JZKKDPTB'").fetchall()
    )
    spec = load_schema().layer("JZKKDPTB")
    assert cols == {f.name: f.alias for f in spec.fields} == titles
    enum = dict(
        con.execute(
            "SELECT c.value, c.description FROM gpkg_data_columns d JOIN gpkg_data_column_constraints c "
            "ON c.constraint_name = d.constraint_name WHERE d.table_name='HXJHWT' AND d.column_name='YZCD'"
        ).fetchall()
    )
    assert enum == {"error": "错误", "warning": "警告", "info": "提示"}
    assert con.execute("SELECT COUNT(*) FROM gpkg_extensions WHERE extension_name='gpkg_schema'").fetchone()[0] == 2
    identifiers = dict(con.execute("SELECT table_name, identifier FROM gpkg_contents").fetchall())
    con.close()
    assert identifiers["JZKKDPTB"] == "禁止开垦陡坡地图斑" and identifiers["HXJHWT"] == "红线校核问题"
    # GeoPackage/OGC winding: exterior counter-clockwise, holes clockwise
    for g in geoms:
        for p in parts(g):
            assert p.exterior.is_ccw and all(not r.is_ccw for r in p.interiors)
    manifest = check_manifest(out)
    assert manifest["files"]["data/onemap.gpkg"]["features"]["JZKKDPTB"] == 4
    assert {e["code"]: e["features"] for e in manifest["layers"]} == result.counts
    assert manifest["schema"]["version"] == "0.2.0" and manifest["crs"] == "EPSG:4490"
    summary = result.summary()
    assert "JZKKDPTB 禁止开垦陡坡地图斑: 4 features" in summary and "EPSG:4490" in summary and str(out) in summary
    # no temporary sibling left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["src", "包 package"]


def test_zone_split_units_and_issues(tmp_path, sources):
    out = tmp_path / "pkg"
    result = ex.export_package(out, sources)
    gpkg = out / "data" / "onemap.gpkg"
    counts = {code: read_back(gpkg, code)[1] for code in ("ZDYFQ", "ZDZLQ", "YZQY", "STCRQY")}
    assert {c: [r["XLYDM"] for r in rows] for c, rows in counts.items()} == {
        "ZDYFQ": ["220521001100000"],
        "ZDZLQ": ["220521001200000"],
        "YZQY": ["220521001200000"],
        "STCRQY": ["220521001300000"],
    }
    assert [r["QYLX"] for r in counts["ZDZLQ"]] == ["ZLQ"] and [r["QYLX"] for r in counts["YZQY"]] == ["YZ"]
    zl = counts["ZDZLQ"][0]
    assert zl["ZBYJ"] == "中度以上侵蚀占比 31% ≥ 25%" and zl["GZBB"] == "jilin-0.1.0"
    assert abs(zl["MJ"] * 100 - equal_area_ha(ZONES[1][0])) < 0.01  # km² → ha
    # units: outlet reprojected to CGCS2000 degrees
    info, rows, geoms, epsg = read_back(gpkg, "XLY")
    for (geom, attrs), row in zip(UNITS, rows):
        lon, lat = TO_4490.transform(attrs["outlet_x"], attrs["outlet_y"])
        assert abs(row["CKX"] - lon) < 2e-8 and abs(row["CKY"] - lat) < 2e-8
        assert row["XLYMC"] == attrs["unit_name"] and (row["SYXLYDM"] or "") == attrs["up_codes"]
        assert abs(row["MJ"] * 100 - equal_area_ha(geom)) < 0.01 and abs(row["MJGQ"] - equal_area_ha(geom)) < 0.01
    # issues: polygon issue at a point on its surface; codes normalised
    info, rows, geoms, epsg = read_back(gpkg, "HXJHWT")
    assert [r["YZCD"] for r in rows] == ["info", "error"] and [r["ZT"] for r in rows] == ["open", "needs_fix"]
    src_poly = transform_xy(TO_4490.transform, ISSUES[0][0])
    assert src_poly.buffer(1e-7).contains(geoms[0])
    assert rows[0]["WTMS"] == ISSUES[0][1]["message_zh"]  # UTF-8 keeps m²
    assert result.counts["HXJHWT"] == 2


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_shapefile_round_trip(tmp_path, sources, encoding):
    out = tmp_path / "pkg"
    result = ex.export_package(out, sources, options=ex.ExportOptions(format="shp", encoding=encoding))
    shp = out / "data" / "JZKKDPTB.shp"
    assert shp.with_suffix(".cpg").read_text() == encoding
    info, rows, geoms, epsg = read_back(shp)
    check_steep_layer(info, rows, geoms, epsg, aliases=False)
    spec = load_schema().layer("JZKKDPTB")
    assert [i[2] for i in info] == [f.dbf_width(encoding) if f.type == "String" else f.length for f in spec.fields]
    # the DBF bytes really are in the chosen encoding: decode by hand
    fields, raw_rows = dbf_rows(shp.with_suffix(".dbf"), encoding)
    assert [r["XZMC"] for r in raw_rows] == [a["township_name"] for _, a in STEEP]
    if encoding == "GBK":
        with pytest.raises(UnicodeDecodeError):
            dbf_rows(shp.with_suffix(".dbf"), "utf-8")
        # ² is not in GBK: replaced and reported
        issue_rows = dbf_rows(out / "data" / "HXJHWT.dbf", "gbk")[1]
        assert issue_rows[0]["WTMS"] == ISSUES[0][1]["message_zh"].replace("²", "2")
        replaced = [w for w in result.warnings if "²→2" in w]  # once per field, with the count
        assert len(replaced) == 1 and "WTMS" in replaced[0] and "1 record(s)" in replaced[0], replaced
        assert result.manifest["text_warnings"] == replaced
    # ESRI winding in the .shp: exterior clockwise (negative), the hole counter-clockwise
    signs = shp_ring_signs(shp)
    assert [s > 0 for s in signs] == [False, False, True, False, False, False]
    # aliases live in fields.csv and in the metadata XML
    with open(out / "fields.csv", encoding="utf-8-sig", newline="") as fh:
        cat = [r for r in csv.DictReader(fh) if r["图层代码"] == "JZKKDPTB"]
    assert [(r["字段名"], r["别名"]) for r in cat] == [(f.name, f.alias) for f in spec.fields]
    meta = read_core_elements((out / "metadata.xml").read_bytes())
    assert meta["crs"] == "EPSG:4490" and meta["format"] == "ESRI Shapefile"
    manifest = check_manifest(out)
    assert manifest["files"]["data/JZKKDPTB.shp"]["features"] == {"JZKKDPTB": 4}
    assert manifest["encoding"] == encoding


@pytest.mark.parametrize("given, written", [("cp936", "GBK"), ("936", "GBK"), ("gbk", "GBK"), ("utf8", "UTF-8")])
def test_shapefile_encoding_in_any_cpg_spelling(tmp_path, sources, given, written):
    """The encoding option is read as the shapefile reader reads a .cpg (common.vector.normalise_encoding)."""
    out = tmp_path / "pkg"
    ex.export_package(
        out, {"steep_slope": sources["steep_slope"]}, options=ex.ExportOptions(format="shp", encoding=given)
    )
    assert (out / "data" / "JZKKDPTB.cpg").read_text() == written
    assert check_manifest(out)["encoding"] == written


def test_filegdb_round_trip(tmp_path, sources):
    ok, version = ex.filegdb_support()
    assert ok, f"GDAL {version} is expected to write FileGDB (Debian 12 ships 3.6.2)"
    out = tmp_path / "pkg"
    ex.export_package(out, sources, options=ex.ExportOptions(format="FileGDB"))
    gdb = out / "data" / "onemap.gdb"
    info, rows, geoms, epsg = read_back(gdb, "JZKKDPTB")
    check_steep_layer(info, rows, geoms, epsg, aliases=True)
    # layer aliases: the Chinese layer names in the geodatabase's item definitions
    ds = gdal_open_all(gdb)
    res = ds.ExecuteSQL("SELECT Definition FROM GDB_Items")
    definitions = " ".join(f.GetField(0) or "" for f in res)
    ds.ReleaseResultSet(res)
    assert "<AliasName>禁止开垦陡坡地图斑</AliasName>" in definitions
    # code lists as coded-value domains
    ds = gdal_open_all(gdb)
    lyr = ds.GetLayerByName("HXJHWT")
    fd = lyr.GetLayerDefn().GetFieldDefn(lyr.GetLayerDefn().GetFieldIndex("YZCD"))
    assert ds.GetFieldDomain(fd.GetDomainName()).GetEnumeration() == {
        "error": "错误",
        "warning": "警告",
        "info": "提示",
    }
    lyr = ds = None
    manifest = check_manifest(out)
    assert manifest["files"]["data/onemap.gdb"]["features"]["ZDZLQ"] == 1


def gdal_open_all(path):
    from osgeo import gdal

    return gdal.OpenEx(str(path), gdal.OF_VECTOR, open_options=["LIST_ALL_TABLES=YES"])


def test_tables_metadata_and_zip(tmp_path, sources):
    out = tmp_path / "pkg"
    result = ex.export_package(
        out,
        sources,
        options=ex.ExportOptions(
            zip=True,
            title="通化县水土保持划定成果",
            producer="通化县水利局",
            parameters={"threshold_deg": 20, "min_patch_ha": 5},
        ),
    )
    with open(out / "tables" / "area_by_county.csv", encoding="utf-8-sig", newline="") as fh:
        county = list(csv.reader(fh))
    assert county[0] == ["县级行政区代码", "县级行政区名称", "图斑数", "面积(公顷)"]
    body = {r[0]: (r[1], int(r[2]), float(r[3])) for r in county[1:]}
    ref = {"220521": sum(SOURCE_AREA[i] for i in (1, 2, 3)), "220523": SOURCE_AREA[4]}
    assert body["220521"][0] == "通化县" and body["220521"][1] == 3 and abs(body["220521"][2] - ref["220521"]) < 0.01
    assert abs(body["220523"][2] - ref["220523"]) < 0.01
    assert body["合计"][1] == 4 and abs(body["合计"][2] - sum(ref.values())) < 0.01
    with open(out / "tables" / "area_by_township.csv", encoding="utf-8-sig", newline="") as fh:
        town = list(csv.reader(fh))
    assert [r[2] for r in town[1:-1]] == ["220521100000", "220521101000", "220521203000", "220523100000"]
    assert abs(sum(float(r[5]) for r in town[1:-1]) - float(town[-1][5])) < 0.01
    # metadata XML: GB/T 19710 core elements
    meta = read_core_elements((out / "metadata.xml").read_bytes())
    assert (
        meta["title"] == "通化县水土保持划定成果" and meta["producer"] == "通化县水利局" and meta["crs"] == "EPSG:4490"
    )
    assert "onemap 0.2.0" in meta["lineage"]
    export_step = json.loads(meta["steps"][0])
    assert export_step["parameters"]["threshold_deg"] == 20 and export_step["parameters"]["format"] == "GPKG"
    assert export_step["schema"]["version"] == "0.2.0"
    west, south, east, north = meta["bbox"]
    lons, lats = zip(
        *[TO_4490.transform(x, y) for g, _ in STEEP + UNITS + ZONES[:3] for p in parts(g) for x, y in p.exterior.coords]
    )
    assert (
        west <= min(lons) + 1e-7
        and east >= max(lons) - 1e-7
        and south <= min(lats) + 1e-7
        and north >= max(lats) - 1e-7
    )
    import datetime as dt

    stamp = dt.datetime.fromisoformat(meta["date"])
    assert abs((dt.datetime.now(dt.timezone.utc) - stamp).total_seconds()) < 600 and len(meta["steps"]) == 1 + 4
    # zip: every file of the folder, byte for byte
    zpath = tmp_path / "pkg.zip"
    assert result.zip_path == zpath
    with zipfile.ZipFile(zpath) as zf:
        names = {n: zf.read(n) for n in zf.namelist()}
    assert names == {
        f"pkg/{p.relative_to(out).as_posix()}": p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and p.name != MARKER
    }


def test_upstream_tables_are_copied(tmp_path, sources):
    table = tmp_path / "通化县_面积统计.csv"
    table.write_text("乡镇,面积\n快大茂镇,9.0\n", encoding="utf-8")
    ex.export_package(tmp_path / "pkg", sources, area_table_files=[table])
    assert sorted(p.name for p in (tmp_path / "pkg" / "tables").iterdir()) == ["通化县_面积统计.csv"]
    assert (tmp_path / "pkg" / "tables" / table.name).read_bytes() == table.read_bytes()


def test_projected_target_crs(tmp_path, sources):
    out = tmp_path / "pkg"
    ex.export_package(out, {"steep_slope": sources["steep_slope"]}, options=ex.ExportOptions(crs=4530))
    info, rows, geoms, epsg = read_back(out / "data" / "onemap.gpkg", "JZKKDPTB")
    assert epsg == 4530
    for (geom, attrs), row, g in zip(STEEP, rows, geoms):
        assert abs(row["MJ"] - SOURCE_AREA[attrs["patch_id"]]) < 0.01
        assert g.symmetric_difference(geom).area < 1e-3  # same coordinates to the mm
    with pytest.raises(InputError, match="EPSG:3857"):
        ex.export_package(tmp_path / "x", sources, options=ex.ExportOptions(crs=3857))


# --- validation --------------------------------------------------------------------------


def bad_sources(tmp_path, rows):
    d = tmp_path / "bad"
    d.mkdir(exist_ok=True)
    return {"steep_slope": write_source(d / "steep.gpkg", rows)}


def test_errors_write_nothing_unless_partial(tmp_path):
    rows = [
        STEEP[0],
        (STEEP[1][0], {**STEEP[1][1], "township_name": "𠀀镇"}),
        (STEEP[2][0], {**STEEP[2][1], "county_code": "22052"}),
        (STEEP[3][0], {**STEEP[3][1], "county_code": None}),
    ]
    srcs = bad_sources(tmp_path, rows)
    out = tmp_path / "pkg"
    with pytest.raises(ex.ExportValidationError) as info:
        ex.export_package(out, srcs, options=ex.ExportOptions(format="shp"))
    errors = {(e.fid, e.field) for e in info.value.errors}
    assert errors == {(2, "XZMC"), (3, "XZQDM"), (4, "XZQDM")}
    assert "GBK" in str(info.value) and "nothing was written" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]
    # the same with a partial export: the valid record and an error list
    result = ex.export_package(out, srcs, options=ex.ExportOptions(format="shp", partial=True))
    assert result.counts == {"JZKKDPTB": 1}
    with open(out / "errors.csv", encoding="utf-8-sig", newline="") as fh:
        listed = {(int(r["fid"]), r["field"]) for r in csv.DictReader(fh)}
    assert listed == errors
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["partial"]["errors"] == 3
    # UTF-8 takes the character GBK lacks
    srcs2 = bad_sources(tmp_path, [(STEEP[1][0], {**STEEP[1][1], "township_name": "𠀀镇"})])
    ex.export_package(tmp_path / "utf8", srcs2, options=ex.ExportOptions(format="shp", encoding="UTF-8"))
    assert read_back(tmp_path / "utf8" / "data" / "JZKKDPTB.shp")[1][0]["XZMC"] == "𠀀镇"


def test_invalid_geometry_repaired_or_refused(tmp_path):
    bowtie = Polygon([(X0, Y0), (X0 + 200, Y0 + 200), (X0 + 200, Y0), (X0, Y0 + 200)])
    assert not bowtie.is_valid
    srcs = bad_sources(tmp_path, [(bowtie, STEEP[0][1])])
    with pytest.raises(ex.ExportValidationError, match="invalid geometry"):
        ex.export_package(tmp_path / "a", srcs, options=ex.ExportOptions(repair=False))
    result = ex.export_package(tmp_path / "b", srcs, options=ex.ExportOptions(repair=True))
    repaired = [w for w in result.warnings if "geometry repaired" in w]
    # the bowtie's rings cancel out (0 ha); repaired: two triangles of 2 ha, on the ellipsoid, not in CRS units²
    assert len(repaired) == 1 and "ellipsoidal area 0.0000 ha → 2.00" in repaired[0], repaired
    assert "CRS units" not in repaired[0]
    info, rows, geoms, epsg = read_back(tmp_path / "b" / "data" / "onemap.gpkg", "JZKKDPTB")
    assert geoms[0].is_valid and len(parts(geoms[0])) == 2
    # two triangles of 100 m × 200 m / 2 each = 2 ha
    assert abs(rows[0]["MJ"] - 2.0) < 0.01


def test_clockwise_source_and_other_source_crs(tmp_path):
    cw = Polygon(list(box(126.0, 41.7, 126.01, 41.71).exterior.coords)[::-1])
    assert not cw.exterior.is_ccw
    d = tmp_path / "src"
    d.mkdir()
    src = write_source(d / "steep4490.gpkg", [(cw, STEEP[0][1])], epsg=4490)
    ex.export_package(tmp_path / "pkg", {"禁止开垦陡坡地图斑": src})
    info, rows, geoms, epsg = read_back(tmp_path / "pkg" / "data" / "onemap.gpkg", "JZKKDPTB")
    assert geoms[0].geoms[0].exterior.is_ccw
    from pyproj import Geod

    ref = abs(Geod(ellps="GRS80").geometry_area_perimeter(cw)[0]) / 1e4
    assert abs(rows[0]["MJ"] - ref) < 0.01


def test_bad_inputs_fail_before_work(tmp_path, sources):
    with pytest.raises(InputError, match="unknown export format"):
        ex.export_package(tmp_path / "p", sources, options=ex.ExportOptions(format="kml"))
    with pytest.raises(InputError, match="file not found"):
        ex.export_package(tmp_path / "p", {"units": str(tmp_path / "missing.gpkg")})
    with pytest.raises(InputError, match="no such layer"):
        ex.export_package(tmp_path / "p", {"rivers": sources["units"]})
    with pytest.raises(InputError, match="encoding"):
        ex.export_package(tmp_path / "p", sources, options=ex.ExportOptions(format="shp", encoding="BIG5"))
    # a source without CRS
    nocrs = tmp_path / "nocrs.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(nocrs))
    lyr = ds.CreateLayer("x", None, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("unit_code", ogr.OFTString))
    ds = None
    with pytest.raises(InputError, match="no coordinate reference system"):
        ex.export_package(tmp_path / "p", {"units": str(nocrs)})
    assert not (tmp_path / "p").exists()


# --- atomicity ------------------------------------------------------------------------------


def make_existing(tmp_path, ours: bool = True) -> Path:
    """An existing package folder: one the plugin wrote earlier (with its marker), or a user's own."""
    out = tmp_path / "pkg"
    out.mkdir()
    (out / "old.txt").write_text("旧版本", encoding="utf-8")
    if ours:
        (out / MARKER).write_text("{}", encoding="utf-8")
    return out


def test_existing_target_is_not_overwritten_without_consent(tmp_path, sources):
    out = make_existing(tmp_path)
    before = tree_digest(out)
    with pytest.raises(InputError, match="not overwritten"):
        ex.export_package(out, sources)
    assert tree_digest(out) == before
    ex.export_package(out, sources, options=ex.ExportOptions(overwrite=True))
    assert not (out / "old.txt").exists() and (out / "manifest.json").is_file()


def test_a_folder_the_plugin_did_not_write_is_never_replaced(tmp_path, sources):
    out = make_existing(tmp_path, ours=False)
    before = tree_digest(out)
    with pytest.raises(InputError, match="not written by this plugin"):
        ex.export_package(out, sources, options=ex.ExportOptions(overwrite=True))
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "src"]  # no partial folder, no zip


@pytest.mark.parametrize("stage", ["layer", "file", "zip"])
def test_write_failure_leaves_target_untouched(tmp_path, sources, stage):
    out = make_existing(tmp_path)
    before = tree_digest(out)
    calls = []

    def disk_full(at, path):
        calls.append(at)
        if at == stage and calls.count(stage) == 2 - (stage == "zip"):
            raise OSError(errno.ENOSPC, "No space left on device (simulated)", str(path))

    ex.WRITE_HOOKS.append(disk_full)
    try:
        with pytest.raises(OSError, match="No space left"):
            ex.export_package(out, sources, options=ex.ExportOptions(overwrite=True, zip=True))
    finally:
        ex.WRITE_HOOKS.remove(disk_full)
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "src"]  # no partial folder, no zip


class CancelAfter(Feedback):
    def __init__(self, n):
        self.n = n

    def cancelled(self):
        self.n -= 1
        return self.n < 0


@pytest.mark.parametrize("after", [1, 8, 18, 20])  # reading, writing layers, after the data, just before the rename
def test_cancel_leaves_target_untouched(tmp_path, sources, after):
    out = make_existing(tmp_path)
    before = tree_digest(out)
    with pytest.raises(CancelledError):
        ex.export_package(
            out, sources, options=ex.ExportOptions(overwrite=True, format="shp"), feedback=CancelAfter(after)
        )
    assert tree_digest(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg", "src"]


@pytest.mark.parametrize("fmt", ["GPKG", "shp", "FileGDB"])
def test_real_disk_full_on_tiny_tmpfs(tmp_path, sources, fmt):
    """A real ENOSPC from a 64 KiB tmpfs (needs root to mount); where mounting is not permitted, the same
    failure is raised from the write hook at the first data file, so the assertions always run."""
    import subprocess

    mnt = tmp_path / "tiny"
    mnt.mkdir()
    mounted = (
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True).returncode
        == 0
    )
    hook = None
    if not mounted:

        def hook(at, path):
            raise OSError(errno.ENOSPC, "No space left on device (simulated: tmpfs not mountable)", str(path))

        ex.WRITE_HOOKS.append(hook)
    try:
        out = mnt / "pkg"
        out.mkdir()
        (out / "old.txt").write_text("旧版本", encoding="utf-8")
        (out / MARKER).write_text("{}", encoding="utf-8")  # an earlier package of the plugin's
        before = tree_digest(out)
        with pytest.raises(OSError):
            ex.export_package(out, sources, options=ex.ExportOptions(overwrite=True, format=fmt))
        assert tree_digest(out) == before
        assert sorted(p.name for p in mnt.iterdir()) == ["pkg"]
    finally:
        if hook:
            ex.WRITE_HOOKS.remove(hook)
        if mounted:
            subprocess.run(["umount", str(mnt)], check=True)


def test_gbk_shapefile_when_shape_encoding_is_disabled(tmp_path, sources):
    """QGIS sets SHAPE_ENCODING="" process-wide; GDAL then ignores ENCODING=GBK and writes UTF-8 bytes
    under a GBK .cpg. The export must still write GBK, and read a GBK shapefile source correctly."""
    from osgeo import gdal

    # a GBK shapefile source with the internal field names, written while GDAL recodes normally
    src = tmp_path / "gbk_src.shp"
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4530)
    ds = ogr.GetDriverByName("ESRI Shapefile").CreateDataSource(str(src))
    lyr = ds.CreateLayer("gbk_src", srs, ogr.wkbPolygon, options=["ENCODING=GBK"])
    for key in STEEP[0][1]:
        fd = ogr.FieldDefn(key, FIELD_TYPES.get(key, ogr.OFTString))
        lyr.CreateField(fd)
    for geom, attrs in STEEP[:2]:
        feat = ogr.Feature(lyr.GetLayerDefn())
        for i, value in enumerate(attrs.values()):  # by index: DBF launders names to 10 characters
            if value is not None:
                feat.SetField(i, value)
        feat.SetGeometry(ogr.CreateGeometryFromWkb(bytes(geom.wkb)))
        lyr.CreateFeature(feat)
    ds = None
    assert [r["township_n"] for r in dbf_rows(src.with_suffix(".dbf"), "gbk")[1]] == ["快大茂镇", "二密镇"]

    previous = gdal.GetConfigOption("SHAPE_ENCODING")
    gdal.SetConfigOption("SHAPE_ENCODING", "")
    try:
        ex.export_package(
            tmp_path / "a", {"steep_slope": sources["steep_slope"]}, options=ex.ExportOptions(format="shp")
        )
        ex.export_package(tmp_path / "b", {"steep_slope": str(src)}, options=ex.ExportOptions(format="GPKG"))
    finally:
        gdal.SetConfigOption("SHAPE_ENCODING", previous)
    dbf = tmp_path / "a" / "data" / "JZKKDPTB.dbf"
    assert [r["XZMC"] for r in dbf_rows(dbf, "gbk")[1]] == [a["township_name"] for _, a in STEEP]
    rows = read_back(tmp_path / "b" / "data" / "onemap.gpkg", "JZKKDPTB")[1]
    assert [r["XZMC"] for r in rows] == ["快大茂镇", "二密镇"]


def test_producer_field_names_of_the_plugin_steps(tmp_path):
    """The names the steep-slope and zoning steps really write (Shapefile-safe cnty_code…, zone_ids, rules_version)."""
    d = tmp_path / "src"
    d.mkdir()
    steep = [
        (
            g,
            {
                "patch_id": str(a["patch_id"]),
                "parent_id": "1",
                "cnty_code": a["county_code"],
                "cnty_name": a["county_name"],
                "twn_code": a["township_code"],
                "twn_name": a["township_name"],
                "area_ha": a["area_ha"] or 0.0,
                "slope_mean": 22.0,
                "slope_max": 30.0,
                "thresh_deg": 20.0,
            },
        )
        for g, a in STEEP[:2]
    ]
    zones = [
        (
            ZONES[1][0],
            {
                "unit_code": "220521001200000",
                "zone_ids": "key_treatment;severe",
                "zones": "水土流失重点治理区、水土流失严重区域",
                "county_code": "220521",
                "county_name": "通化县",
                "fired": "x",
                "rules_version": "0.2.0",
            },
        )
    ]
    units = [(UNITS[1][0], {**UNITS[1][1], "up_codes": "220521001100000,220521000900000"})]
    srcs = {
        "steep_slope": write_source(d / "steep.gpkg", steep),
        "zones": write_source(d / "zones.gpkg", zones),
        "units": write_source(d / "units.gpkg", units),
    }
    result = ex.export_package(tmp_path / "pkg", srcs)
    gpkg = tmp_path / "pkg" / "data" / "onemap.gpkg"
    rows = read_back(gpkg, "JZKKDPTB")[1]
    assert [(r["XZQDM"], r["XZMC"], r["PDYZ"], r["FTBBH"]) for r in rows] == [
        ("220521", "快大茂镇", 20.0, "1"),
        ("220521", "二密镇", 20.0, "1"),
    ]
    assert result.counts["ZDZLQ"] == result.counts["YZQY"] == 1 and "ZDYFQ" not in result.counts
    assert read_back(gpkg, "YZQY")[1][0]["GZBB"] == "0.2.0"
    assert read_back(gpkg, "XLY")[1][0]["SYXLYDM"] == "220521001100000;220521000900000"
    # two pieces of one parent patch: one patch in the county table, one per township
    with open(tmp_path / "pkg" / "tables" / "area_by_county.csv", encoding="utf-8-sig", newline="") as fh:
        county = list(csv.reader(fh))
    assert county[1][:3] == ["220521", "通化县", "1"] and county[-1][2] == "1"
    with open(tmp_path / "pkg" / "tables" / "area_by_township.csv", encoding="utf-8-sig", newline="") as fh:
        town = list(csv.reader(fh))
    assert [r[4] for r in town[1:]] == ["1", "1", "1"]


@pytest.mark.parametrize("fmt, victim", [("shp", ".dbf"), ("shp", ".shp")])  # a GeoPackage is still open at that point
def test_silently_short_file_is_caught_by_the_read_back(tmp_path, sources, fmt, victim):
    """A write that 'succeeded' but left a short file (as a full disk can) fails the export's own read-back."""

    def cut(at, path):
        if at == "layer" and path.suffix in (".shp", ".gpkg"):
            target = path.with_suffix(victim)
            if target.exists():
                with open(target, "r+b") as fh:
                    fh.truncate(max(0, target.stat().st_size - 40))

    out = tmp_path / "pkg"
    ex.WRITE_HOOKS.append(cut)
    try:
        with pytest.raises(OSError, match="verification failed|GDAL error|not a database|malformed"):
            ex.export_package(out, {"steep_slope": sources["steep_slope"]}, options=ex.ExportOptions(format=fmt))
    finally:
        ex.WRITE_HOOKS.remove(cut)
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["src"]


def test_an_edited_schema_file_drives_the_export(tmp_path, sources):
    """When the official schema arrives only the file changes: renamed field, single-part layer type, new version."""
    from soil_conservation_plugin.core.common.paths import resources_path

    data = json.loads(resources_path("schemas", "onemap_v0.1.json").read_text(encoding="utf-8"))
    data["version"] = "0.2.0"
    steep = data["layers"][0]
    steep["geometry"] = "Polygon"
    steep["fields"][0]["name"] = "PATCHNO"
    path = tmp_path / "onemap_v0.2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    schema = load_schema(path)
    with pytest.raises(ex.ExportValidationError) as info:
        ex.export_package(tmp_path / "pkg", {"steep_slope": sources["steep_slope"]}, schema=schema)
    assert [(e.fid, e.field) for e in info.value.errors] == [(3, "geometry")]  # the two-part patch
    result = ex.export_package(
        tmp_path / "pkg", {"steep_slope": sources["steep_slope"]}, schema=schema, options=ex.ExportOptions(partial=True)
    )
    info_, rows, geoms, epsg = read_back(tmp_path / "pkg" / "data" / "onemap.gpkg", "JZKKDPTB")
    assert info_[0][0] == "PATCHNO" and [r["PATCHNO"] for r in rows] == ["1", "2", "4"]
    assert all(g.geom_type == "Polygon" for g in geoms)
    assert result.manifest["schema"]["version"] == "0.2.0" and result.manifest["schema"]["file"] == "onemap_v0.2.json"
