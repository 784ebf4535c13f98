"""The data page pre-fills from the names real data use, picks counties for every step, warns about partial
coverage and 乡镇 outside their county before a run, and the 公告 layouts land in the Layout Manager."""

from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import gdal, ogr
from qgis.core import QgsLayoutItemMap, QgsProject, QgsRasterLayer, QgsVectorLayer

from tests.qgis.conftest import run_alg, wait_idle

gdal.UseExceptions()
ogr.UseExceptions()
JILIN = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "jilin_counties" / "jilin_province.shp"


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from soil_conservation_plugin.demo.region import generate_demo_region

    return {k: str(v) for k, v in generate_demo_region(tmp_path_factory.mktemp("demo"), scale=0.25).items()}


@pytest.fixture()
def project():
    p = QgsProject.instance()
    p.clear()
    yield p
    p.clear()


@pytest.fixture()
def make_dock(qgis_iface, plugin, tmp_path):
    docks = []

    def make():
        from soil_conservation_plugin.gui.dock import SoilConservationDock

        d = SoilConservationDock(qgis_iface, qgis_iface.mainWindow())
        d.outputDir.setFilePath(str(tmp_path / "results"))
        docks.append(d)
        return d

    yield make
    for d in docks:
        d.shutdown()
        d.deleteLater()


def add(project, path, name=None):
    name = name or Path(path.split("|")[0]).stem
    layer = QgsRasterLayer(path, name) if path.endswith(".tif") else QgsVectorLayer(path, name, "ogr")
    assert layer.isValid(), path
    project.addMapLayer(layer)
    return layer


def test_demo_names_pre_fill_every_input_and_its_fields(demo, project, make_dock):
    from soil_conservation_plugin.gui.prefill import ROLE_COMBOS

    # every demo layer is in the project (also the supervision ones the data page has no combo for:
    # erosion_2025, the 扰动图斑 of two years), and each combo still gets its own layer
    layers = {role: add(project, path) for role, path in demo.items()}
    assert set(ROLE_COMBOS) < set(layers)
    dock = make_dock()
    data = dock.data
    for role in ROLE_COMBOS:
        assert data.combo(role).currentLayer() is layers[role], role
    assert (data.countyCodeField.currentField(), data.countyNameField.currentField()) == ("county_code", "county_name")
    assert (data.townshipCodeField.currentField(), data.townshipNameField.currentField()) == (
        "township_code",
        "township_name",
    )
    assert "county" in data.prefill_inputs.prefillStatus.text()
    # a user's choice is never replaced: the red line changed by hand stays when pre-fill runs again
    data.combo("redline").setLayer(layers["water"])
    data.prefill_inputs.prefill()
    assert data.combo("redline").currentLayer() is layers["water"]
    assert data.inputs()["redline"].startswith(demo["water"])


def _write(path: Path, layer_name: str, rows: list[dict], driver="GPKG", epsg=4530):
    from osgeo import osr

    drv = ogr.GetDriverByName(driver)
    ds = drv.Open(str(path), 1) if path.exists() else drv.CreateDataSource(str(path))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(epsg)
    lyr = ds.CreateLayer(layer_name, srs, ogr.wkbMultiPolygon)
    for name in rows[0]:
        if name != "wkt":
            lyr.CreateField(ogr.FieldDefn(name, ogr.OFTString))
    for row in rows:
        f = ogr.Feature(lyr.GetLayerDefn())
        for k, v in row.items():
            if k != "wkt":
                f.SetField(k, v)
        f.SetGeometry(ogr.ForceToMultiPolygon(ogr.CreateGeometryFromWkt(row["wkt"])))
        lyr.CreateFeature(f)
    f = lyr = ds = None


SQ = "POLYGON((42500000 4600000,42510000 4600000,42510000 4610000,42500000 4610000,42500000 4600000))"
SMALL = "POLYGON((42501000 4601000,42504000 4601000,42504000 4604000,42501000 4604000,42501000 4601000))"
AWAY = "POLYGON((42530000 4600000,42534000 4600000,42534000 4604000,42530000 4604000,42530000 4600000))"


def test_三调_and_国土空间_names(project, make_dock, tmp_path):
    gdb = tmp_path / "三区三线下发版.gdb"
    try:
        _write(gdb, "陆域生态保护红线", [{"HXMC": "红线一", "wkt": SMALL}], driver="OpenFileGDB")
    except Exception:  # noqa: BLE001 - a GDAL without FileGDB writing: a GeoPackage with the same layer name
        gdb = tmp_path / "三区三线.gpkg"
        _write(gdb, "陆域生态保护红线", [{"HXMC": "红线一", "wkt": SMALL}])
    db = tmp_path / "tdsc.gpkg"
    _write(db, "XZQ", [{"XZQDM": "220521", "XZQMC": "通化县", "wkt": SQ}])
    town = tmp_path / "town.gpkg"
    _write(
        town,
        "XZQ",
        [
            {"XZQDM": "220521100", "XZQMC": "快大茂镇", "wkt": SMALL},
            {"XZQDM": "220581100", "XZQMC": "别县镇", "wkt": AWAY},
        ],
    )
    _write(db, "YJJBNTTB", [{"BSM": "1", "wkt": SMALL}])
    _write(db, "DLTB", [{"DLBM": "0101", "DLMC": "水田", "wkt": SMALL}])
    red = add(project, f"{gdb}|layername=陆域生态保护红线", "陆域生态保护红线")
    county = add(project, f"{db}|layername=XZQ", "XZQ")
    towns = add(project, f"{town}|layername=XZQ", "XZQ")
    farm = add(project, f"{db}|layername=YJJBNTTB", "YJJBNTTB")
    dltb = add(project, f"{db}|layername=DLTB", "DLTB")
    dock = make_dock()
    data = dock.data
    assert (
        data.combo("county").currentLayer() is county
        and data.countyCodeField.currentField() == "XZQDM"
        and data.countyNameField.currentField() == "XZQMC"
    )
    assert data.combo("townships").currentLayer() is towns and data.townshipCodeField.currentField() == "XZQDM"
    assert data.combo("redline").currentLayer() is red and data.combo("farmland").currentLayer() is farm
    assert (
        data.prefill_inputs.landuseVectorCombo.currentLayer() is dltb
        and data.prefill_inputs.landuseField.currentField() == "DLBM"
    )
    assert data.landuse_vector() == (data.inputs()["landuse_vector"], "DLBM")
    # the 乡镇 of another county is flagged before any run, in both languages' words (here the English UI)
    text = data.townshipsStatus.text()
    assert "220581100" in text and "outside" in text
    assert "220521100" not in text
    wanted = dock.zoning.wanted_indicators()
    assert wanted["LANDUSE_VECTOR"] and wanted["LANDUSE_FIELD"] == "DLBM"


def test_partial_dem_is_shown_before_the_run(demo, project, make_dock, tmp_path):
    part = tmp_path / "dem_part.tif"
    src = gdal.Open(demo["dem"])
    gdal.Translate(str(part), src, srcWin=[0, 0, src.RasterXSize, int(src.RasterYSize * 0.3)])
    src = None
    add(project, str(part), "dem")
    add(project, demo["county"])
    dock = make_dock()
    text = dock.data.demStatus.text()
    assert "220521" in text and "%" in text and "only part of the county" in text
    # the publish page asks for an explicit choice, off by default
    assert not dock.publish.allowPartial.isChecked()
    assert dock.publish.wanted_publish("220521")["ALLOW_PARTIAL"] is False


@pytest.mark.skipif(not JILIN.is_file(), reason="shared/data/jilin_counties is absent")
def test_county_picker_on_the_60_jilin_counties(project, make_dock):
    layer = add(project, str(JILIN))
    dock = make_dock()
    data = dock.data
    assert data.combo("county").currentLayer() is layer and data.countyCodeField.currentField() == "adcode"
    picker = data.prefill_inputs
    assert picker.countyList.count() == 60 and data.county_codes() == ""  # all chosen: the layer as it is
    picker.set_chosen(["220521", "220581"])
    assert data.county_codes() == "220521,220581"
    assert dock.steep.wanted()["COUNTY_CODES"] == "220521,220581"
    assert dock.units.wanted()["COUNTY_CODES"] == "220521,220581"
    assert dock.units.wanted_import()["COUNTY_CODES"] == "220521,220581"
    assert dock.publish.wanted_publish("")["COUNTY_CODES"] == "220521,220581"
    assert [dock.publish.countyChoice.itemData(i) for i in range(dock.publish.countyChoice.count())] == [
        "220521",
        "220581",
    ]
    assert "2 of 60" in picker.countyStatusPick.text()
    picker._check_all(False)
    assert "No county chosen" in picker.countyStatusPick.text()


def test_published_layouts_are_in_the_layout_manager(demo, project, make_dock, tmp_path):
    steep = tmp_path / "steep.gpkg"
    run_alg(
        "steep_slope",
        {
            "INPUT": demo["dem"],
            "COUNTY": demo["county"],
            "COUNTY_CODE_FIELD": "county_code",
            "COUNTY_NAME_FIELD": "county_name",
            "MIN_PATCH": 1.0,
            "OUTPUT": str(steep),
        },
    )
    for role in ("dem", "county", "townships"):
        add(project, demo[role])
    steep_layer = add(project, str(steep), "steep")
    dock = make_dock()
    dock.publish.publishSteepCombo.setLayer(steep_layer)
    dock.publish.publishAll.click()
    wait_idle(dock)
    manager = project.layoutManager()
    layout = manager.layoutByName("220521_steep_slope_announcement")
    assert layout is not None, [x.name() for x in manager.layouts()]
    maps = [i for i in layout.items() if isinstance(i, QgsLayoutItemMap)]
    assert maps and {lyr.name() for lyr in maps[0].layers()} >= {"县界", "乡镇界"}
    assert all(lyr.id() in project.mapLayers() for lyr in maps[0].layers())  # editable: the layers are the project's
    group = project.layerTreeRoot().findGroup("公告 220521 通化县")
    assert group is not None
    # published again: replaced, not duplicated
    dock.publish.publishAll.click()
    wait_idle(dock)
    assert [x.name() for x in manager.layouts()].count("220521_steep_slope_announcement") == 1
    assert [g.name() for g in project.layerTreeRoot().findGroups()].count("公告 220521 通化县") == 1
    assert "Layout Manager" in dock.publish.resultLabel.text()


@pytest.mark.skipif(not JILIN.is_file(), reason="shared/data/jilin_counties is absent")
def test_chosen_counties_come_back_with_the_project(project, make_dock, tmp_path):
    add(project, str(JILIN))
    dock = make_dock()
    items = [dock.data.prefill_inputs.countyList.item(i).text() for i in range(3)]
    assert all(len(t.split()) == 2 for t in items)  # code and name
    dock.data.prefill_inputs.set_chosen(["220521"])
    path = tmp_path / "p.qgz"
    assert project.write(str(path))
    project.clear()
    assert project.read(str(path))
    again = make_dock()
    assert again.data.county_codes() == "220521" and dock.data.county_codes() == "220521"
