"""Issue 14 items 2, 3, 7 through processing.run: chosen counties, DEM coverage (tables, metadata, refusal,
the note on the map), the zoning 公告 map, and a 三调 地类图斑 as land use of the indicators."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal, ogr
from qgis.core import (
    QgsLayoutItemLegend,
    QgsLayoutItemTextTable,
    QgsPrintLayout,
    QgsProcessingException,
    QgsProject,
    QgsReadWriteContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtXml import QDomDocument

from tests.qgis.conftest import run_alg
from tests.qgis.test_publish import params, pdf_text

gdal.UseExceptions()
ogr.UseExceptions()


def read_csv(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def partial_dem(region, tmp_path_factory):
    """The demo DEM cut to its top 30 % of rows: both counties only partly covered."""
    root = tmp_path_factory.mktemp("partial")
    src = gdal.Open(region["dem"])
    rows = int(src.RasterYSize * 0.3)
    out = root / "dem_part.tif"
    gdal.Translate(str(out), src, srcWin=[0, 0, src.RasterXSize, rows])
    return str(out)


def county_share_reference(county_uri: str, code: str, dem: str) -> float:
    """Independent: valid DEM cells whose centre falls in the county (OGR point-in-polygon)
    × cell area / county area."""
    path, layer = county_uri.split("|layername=")
    ds = ogr.Open(path)
    lyr = ds.GetLayerByName(layer)
    feat = next(f for f in lyr if f["county_code"] == code)
    geom = feat.GetGeometryRef().Clone()
    r = gdal.Open(dem)
    x0, dx, _, y0, _, dy = r.GetGeoTransform()
    band = r.GetRasterBand(1)
    valid = band.GetMaskBand().ReadAsArray() > 0
    env = geom.GetEnvelope()
    c0, c1 = max(0, int((env[0] - x0) / dx)), min(r.RasterXSize, int((env[1] - x0) / dx) + 1)
    r0, r1 = max(0, int((env[3] - y0) / dy)), min(r.RasterYSize, int((env[2] - y0) / dy) + 1)
    prepared = geom
    n = 0
    step = 3  # every third cell in each direction (the share, not the count, is compared)
    total = 0
    for row in range(r0, r1, step):
        for col in range(c0, c1, step):
            p = ogr.Geometry(ogr.wkbPoint)
            p.AddPoint_2D(x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy)
            if prepared.Contains(p):
                total += 1
                n += int(valid[row, col])
    # cells outside the raster but inside the county: the county's area beyond the raster counts as uncovered
    inside_cells_area = total * (dx * step) * (-dy * step)
    return n / total * min(1.0, inside_cells_area / geom.GetArea())


def test_steep_slope_picks_counties_and_reports_coverage(region, partial_dem, plugin, tmp_path):
    out = tmp_path / "steep.gpkg"
    result = run_alg(
        "steep_slope",
        {
            "INPUT": partial_dem,
            "COUNTY": region["counties"],
            "COUNTY_CODE_FIELD": "county_code",
            "COUNTY_NAME_FIELD": "county_name",
            "COUNTY_CODES": "220581",
            "MIN_PATCH": 1.0,
            "OUTPUT": str(out),
        },
    )
    rows = read_csv(result["COUNTY_TABLE"])
    assert [r["county_code"] for r in rows] == ["220581", "合计"]  # only the chosen county
    share = float(rows[0]["dem_cover_pct"]) / 100
    assert 0.05 < share < 0.95
    assert share == pytest.approx(county_share_reference(region["counties"], "220581", partial_dem), abs=0.03)
    meta = json.loads(Path(result["METADATA"]).read_text(encoding="utf-8"))
    assert meta["results"]["dem_cover_pct"] == {"220581": float(rows[0]["dem_cover_pct"])}
    assert meta["parameters"]["county"]["codes"] == ["220581"]
    ds = ogr.Open(str(out))
    assert ds.GetLayerCount() == 1  # consumers open the file without a layer name
    assert json.loads(ds.GetLayer(0).GetMetadataItem("DEM_COVER_PCT")) == {"220581": float(rows[0]["dem_cover_pct"])}
    ds = None
    with pytest.raises(QgsProcessingException, match="999999"):
        run_alg(
            "steep_slope",
            {
                "INPUT": partial_dem,
                "COUNTY": region["counties"],
                "COUNTY_CODE_FIELD": "county_code",
                "COUNTY_CODES": "220581,999999",
                "OUTPUT": str(tmp_path / "x.gpkg"),
            },
        )


def test_publish_refuses_a_partial_result_unless_allowed(region, partial_dem, plugin, tmp_path):
    steep = tmp_path / "steep.gpkg"
    run_alg(
        "steep_slope",
        {
            "INPUT": partial_dem,
            "COUNTY": region["counties"],
            "COUNTY_CODE_FIELD": "county_code",
            "COUNTY_NAME_FIELD": "county_name",
            "MIN_PATCH": 1.0,
            "OUTPUT": str(steep),
        },
    )
    refused = tmp_path / "refused"
    with pytest.raises(QgsProcessingException) as err:
        run_alg("publish", params(region, refused, STEEP=str(steep), COUNTY="220521"))
    message = str(err.value)
    assert "220521" in message and "%" in message and "ALLOW_PARTIAL" in message and "只覆盖部分县域" in message
    assert not refused.exists() or not any(refused.iterdir())  # refused before any work
    allowed = tmp_path / "allowed"
    result = run_alg("publish", params(region, allowed, STEEP=str(steep), COUNTY="220521", ALLOW_PARTIAL=True))
    index = json.loads(Path(result["INDEX"]).read_text(encoding="utf-8"))
    county = index["results"]["counties"][0]
    assert 0 < county["dem_cover_pct"] < 100
    text = pdf_text(Path(county["pdf"]))
    assert f"DEM 仅覆盖县域的 {county['dem_cover_pct']:.1f}%" in text and "部分成果" in text
    assert index["parameters"]["allow_partial"] is True
    # a DEM given to publish is measured directly (the full demo DEM covers the county)
    full = run_alg("publish", params(region, tmp_path / "full", COUNTY="220521", DEM=region["dem"]))
    county = json.loads(Path(full["INDEX"]).read_text(encoding="utf-8"))["results"]["counties"][0]
    assert county["dem_cover_pct"] >= 99.5 and "仅覆盖" not in pdf_text(Path(county["pdf"]))


@pytest.fixture(scope="module")
def zones(region, tmp_path_factory):
    """A zones layer as the zoning step writes it: per county, the west half 重点预防区,
    the east half 重点治理区, a corner 严重."""
    root = tmp_path_factory.mktemp("zones")
    path, layer = region["counties"].split("|layername=")
    src_ds = ogr.Open(path)
    src = src_ds.GetLayerByName(layer)
    out_path = root / "zoning.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(out_path))
    out = ds.CreateLayer("zones", src.GetSpatialRef(), ogr.wkbMultiPolygon)
    for name, kind in (
        ("county_code", ogr.OFTString),
        ("zone_id", ogr.OFTString),
        ("zone", ogr.OFTString),
        ("n_units", ogr.OFTInteger),
        ("area_km2", ogr.OFTReal),
    ):
        out.CreateField(ogr.FieldDefn(name, kind))
    expected = {}
    for f in src:
        g = f.GetGeometryRef()
        x0, x1, y0, y1 = g.GetEnvelope()
        mid = (x0 + x1) / 2
        parts = {
            "key_prevention": (
                "水土流失重点预防区",
                3,
                f"POLYGON(({x0} {y0},{mid} {y0},{mid} {y1},{x0} {y1},{x0} {y0}))",
            ),
            "key_treatment": (
                "水土流失重点治理区",
                5,
                f"POLYGON(({mid} {y0},{x1} {y0},{x1} {y1},{mid} {y1},{mid} {y0}))",
            ),
            "severe": (
                "水土流失严重区域",
                1,
                f"POLYGON(({mid} {y0},{x1} {y0},{x1} {(y0 + y1) / 2},{mid} {(y0 + y1) / 2},{mid} {y0}))",
            ),
        }
        for zid, (zh, n, wkt) in parts.items():
            geom = g.Intersection(ogr.CreateGeometryFromWkt(wkt))
            feat = ogr.Feature(out.GetLayerDefn())
            area_km2 = geom.GetArea() / 1e6  # GK metres: the planar area stands in for the ellipsoidal one here
            for k, v in (
                ("county_code", f["county_code"]),
                ("zone_id", zid),
                ("zone", zh),
                ("n_units", n),
                ("area_km2", area_km2),
            ):
                feat.SetField(k, v)
            feat.SetGeometry(ogr.ForceToMultiPolygon(geom))
            out.CreateFeature(feat)
            expected[(f["county_code"], zid)] = (n, area_km2 * 100)
    ds = src = src_ds = None
    return {"uri": f"{out_path}|layername=zones", "expected": expected}


def test_zoning_map_per_county_with_its_table(region, zones, plugin, tmp_path):
    out = tmp_path / "pub"
    result = run_alg("publish", params(region, out, ZONES=zones["uri"]))
    assert result["COUNT"] == 2
    names = sorted(p.name for p in out.iterdir())
    for code in ("220521", "220581"):
        for suffix in ("steep_slope", "zoning"):
            for ext in ("pdf", "png", "qpt"):
                assert f"{code}_{suffix}_announcement.{ext}" in names
    index = json.loads(Path(result["INDEX"]).read_text(encoding="utf-8"))["results"]["counties"]
    for county in index:
        code = county["county_code"]
        rows = county["zoning_table"]
        assert [r[0] for r in rows] == ["水土流失重点预防区", "水土流失重点治理区", "水土流失严重区域"]
        for row, zid in zip(rows, ("key_prevention", "key_treatment", "severe")):
            n, ha = zones["expected"][(code, zid)]
            assert row[1] == str(n) and float(row[2]) == pytest.approx(ha, abs=0.01)
        # shares of the county: prevention + treatment are the whole county (its two halves)
        assert float(rows[0][3]) + float(rows[1][3]) == pytest.approx(100.0, abs=0.6)
        text = pdf_text(Path(county["zoning_pdf"]))
        assert f"{county['county_name']}水土流失重点预防区和重点治理区分布图" in text
        for row in rows:
            assert row[0] in text and row[2] in text
        for label in ("水土流失重点预防区", "水土流失重点治理区", "水土流失严重区域", "乡镇界", "县界"):
            assert label in text  # legend entries (and nothing cut: the last one is printed)
        assert "生态脆弱区域" not in text  # no fragile zone in this county: no legend entry for it


def _layout(qpt: str):
    project = QgsProject()
    layout = QgsPrintLayout(project)
    doc = QDomDocument()
    assert doc.setContent(Path(qpt).read_text(encoding="utf-8"))
    _, ok = layout.loadFromTemplate(doc, QgsReadWriteContext())
    assert ok
    return project, layout


def test_table_fits_its_frame_and_legend_does_not_overlap(region, zones, plugin, tmp_path):
    out = tmp_path / "pub"
    result = run_alg("publish", params(region, out, ZONES=zones["uri"], COUNTY="220521"))
    county = json.loads(Path(result["INDEX"]).read_text(encoding="utf-8"))["results"]["counties"][0]
    for qpt in (county["layout"], county["zoning_layout"]):
        project, layout = _layout(qpt)
        table = next(mf for mf in layout.multiFrames() if isinstance(mf, QgsLayoutItemTextTable))
        frame = table.frame(0)
        table.refresh()
        size = table.totalSize()
        assert size.width() <= frame.rect().width() + 0.01 and size.height() <= frame.rect().height() + 0.01
        assert all(c.width() == 0 for c in table.columns())  # automatic widths: every cell as wide as its text
        items = {i.id(): i for i in layout.items() if hasattr(i, "id") and callable(i.id) and i.id()}
        legend = items["legend"]
        assert isinstance(legend, QgsLayoutItemLegend)
        legend_bottom = legend.positionWithUnits().y() + legend.sizeWithUnits().height()
        assert legend_bottom <= items["table_title"].positionWithUnits().y() + 0.01
        assert "coverage" not in items  # covered: no partial note
        del layout, project


def test_township_labels_have_a_halo_and_the_legend_dash_is_the_map_dash(plugin, qgis_app):
    from qgis.core import QgsFeature, QgsGeometry, QgsSimpleLineSymbolLayer, QgsUnitTypes

    from soil_conservation_plugin.processing.alg_publish import TOWNSHIP_DASH_MM, township_layers

    layer = QgsVectorLayer("MultiPolygon?crs=EPSG:4530&field=name:string", "t", "memory")
    feats = []
    for wkt in ("POLYGON((0 0,10 0,10 10,0 10,0 0))", "POLYGON((10 0,20 0,20 10,10 10,10 0))"):  # one shared edge
        f = QgsFeature(layer.fields())
        f.setGeometry(QgsGeometry.fromWkt(wkt))
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    lines, labels = township_layers(layer, "name", "Noto Sans CJK SC")
    fmt = labels.labeling().settings().format()
    assert fmt.buffer().enabled() and fmt.buffer().size() > 0
    # every boundary once: the shared edge is not drawn twice (out-of-step dashes would look solid)
    (g,) = [f.geometry() for f in lines.getFeatures()]
    assert g.length() == pytest.approx(2 * 40 - 10)
    symbol = lines.renderer().symbol()
    line = symbol.symbolLayer(0)
    assert isinstance(line, QgsSimpleLineSymbolLayer) and line.useCustomDashPattern()
    assert (
        line.customDashPatternUnit() == QgsUnitTypes.RenderUnit.RenderMillimeters
    )  # same physical dashes in the legend patch
    assert ";".join(f"{v:g}" for v in line.customDashVector()) == TOWNSHIP_DASH_MM
    del layer, lines, labels


def test_indicators_take_a_三调_地类图斑_layer(plugin, tmp_path):
    """DLBM text codes burnt on the DEM grid give the same shares as a raster made independently
    (shapely cell centres)."""
    import geopandas as gpd
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import Point, box

    t = from_origin(42_500_000, 4_600_100, 10, 10)
    dem = tmp_path / "dem.tif"
    z = np.add.outer(np.arange(60) * 3.0, np.arange(80) * 1.0).astype("float32")
    with rasterio.open(
        dem,
        "w",
        driver="GTiff",
        width=80,
        height=60,
        count=1,
        dtype="float32",
        crs="EPSG:4530",
        transform=t,
        nodata=-9999,
    ) as d:
        d.write(z, 1)
    units = gpd.GeoDataFrame(
        {"unit_code": ["U1", "U2"], "unit_name": ["一", "二"]},
        geometry=[box(42_500_000, 4_599_500, 42_500_400, 4_600_100), box(42_500_400, 4_599_500, 42_500_800, 4_600_100)],
        crs="EPSG:4530",
    )
    units.to_file(tmp_path / "units.gpkg", layer="units", driver="GPKG")
    polys = [
        box(42_500_013, 4_599_523, 42_500_377, 4_600_004),
        Point(42_500_555, 4_599_800).buffer(170),
        box(42_500_300, 4_600_004, 42_500_790, 4_600_100),
    ]
    # the rest of the grid is 0404 其他草地: a 地类图斑 layer tiles the county (indicators need enough valid cells)
    from shapely.ops import unary_union

    rest = box(42_500_000, 4_599_500, 42_500_800, 4_600_100).difference(unary_union(polys))
    polys = polys[:1] + [polys[1].difference(polys[0])] + [polys[2].difference(unary_union(polys[:2]))] + [rest]
    dltb = gpd.GeoDataFrame(
        {"DLBM": ["0103", "0301", "1101", "0404"], "DLMC": ["旱地", "乔木林地", "河流水面", "其他草地"]},
        geometry=polys,
        crs="EPSG:4530",
    )
    dltb.to_file(tmp_path / "dltb.gpkg", layer="DLTB", driver="GPKG")
    # independent raster: shapely point-in-polygon of each cell centre
    ref = np.zeros((60, 80), np.uint16)
    for r in range(60):
        for c in range(80):
            x, y = t * (c + 0.5, r + 0.5)
            for g, v in zip(polys, (103, 301, 1101, 404)):
                if g.contains(Point(x, y)):
                    ref[r, c] = v
    lu = tmp_path / "lu_ref.tif"
    with rasterio.open(
        lu, "w", driver="GTiff", width=80, height=60, count=1, dtype="uint16", crs="EPSG:4530", transform=t, nodata=0
    ) as d:
        d.write(ref, 1)
    common = {"UNITS": f"{tmp_path / 'units.gpkg'}|layername=units", "DEM": str(dem)}
    a = run_alg(
        "unit_indicators",
        {
            **common,
            "LANDUSE_VECTOR": f"{tmp_path / 'dltb.gpkg'}|layername=DLTB",
            "LANDUSE_FIELD": "DLBM",
            "OUTPUT": str(tmp_path / "a.gpkg"),
        },
    )
    b = run_alg("unit_indicators", {**common, "LANDUSE": str(lu), "OUTPUT": str(tmp_path / "b.gpkg")})
    with rasterio.open(tmp_path / "a_landuse_dltb.tif") as r:
        assert r.transform == t and (r.read(1) == ref).all()
    fa, fb = gpd.read_file(a["OUTPUT"], layer="units"), gpd.read_file(b["OUTPUT"], layer="units")
    for col in ("lu_cropland_pct", "lu_forest_pct", "lu_water_pct", "lu_grass_pct", "forest_grass_pct", "cropland_pct"):
        assert np.allclose(fa[col].fillna(-1), fb[col].fillna(-1)), col
    assert fa["lu_cropland_pct"].iloc[0] > 50 and fa["lu_forest_pct"].iloc[1] > 30 and fa["lu_water_pct"].notna().all()
    meta = json.loads(Path(a["METADATA"]).read_text(encoding="utf-8"))
    assert (
        meta["results"]["landuse_vector"]["code_field"] == "DLBM"
        and meta["results"]["landuse_vector"]["unknown_codes"] == {}
    )


def test_indicators_log_a_raster_covering_part_of_the_units(region, partial_dem, plugin, tmp_path):
    from qgis.core import QgsProcessingFeedback

    class Log(QgsProcessingFeedback):
        lines: list = []

        def pushInfo(self, info):  # noqa: N802
            self.lines.append(info)

    import geopandas as gpd

    path, layer = region["counties"].split("|layername=")
    units = gpd.read_file(path, layer=layer).rename(columns={"county_code": "unit_code", "county_name": "unit_name"})
    units.to_file(tmp_path / "units.gpkg", layer="units", driver="GPKG")
    log = Log()
    result = run_alg(
        "unit_indicators",
        {
            "UNITS": f"{tmp_path / 'units.gpkg'}|layername=units",
            "DEM": partial_dem,
            "OUTPUT": str(tmp_path / "ind.gpkg"),
        },
        feedback=log,
    )
    meta = json.loads(Path(result["METADATA"]).read_text(encoding="utf-8"))
    pct = meta["results"]["raster_cover_pct"]["dem"]
    assert 5 < pct < 95
    assert any("covers only" in line and f"{pct:.1f}%" in line for line in log.lines)


def test_watersheds_on_the_chosen_county_only(region, plugin, tmp_path):
    result = run_alg(
        "watersheds",
        {
            "INPUT": region["dem"],
            "COUNTIES": region["counties"],
            "COUNTY_CODE_FIELD": "county_code",
            "COUNTY_NAME_FIELD": "county_name",
            "COUNTY_CODES": "220581",
            "OUTPUT": str(tmp_path / "units.gpkg"),
            "TOPOLOGY": str(tmp_path / "topology.csv"),
            "RASTER": str(tmp_path / "units.tif"),
            "METADATA": str(tmp_path / "units.meta.json"),
        },
    )
    layer = QgsVectorLayer(f"{result['OUTPUT']}|layername=units", "u", "ogr")
    codes = {f["county_code"] for f in layer.getFeatures()}
    assert codes == {"220581"}
    del layer
