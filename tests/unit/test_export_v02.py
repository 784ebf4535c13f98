"""Schema v0.2 of the One-Map package: the checked 扰动图斑 and the county table of the roll-up.

Real files: the disturbance check and the roll-up write their GeoPackages, a reviewer sets 销号
statuses, the export reads them; the package is read back with OGR and compared value by value.
Schema v0.1 still loads and writes the packages it wrote before.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from osgeo import ogr

from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.disturbance.run import run_check, write_outputs
from soil_conservation_plugin.core.disturbance.status import CHECKED, CLOSED, COMPLIANT, VIOLATION, record_status
from soil_conservation_plugin.core.disturbance.store import PATCH_FIELDS, PATCHES_LAYER, read_tables
from soil_conservation_plugin.core.export import package as ex
from soil_conservation_plugin.core.export.schema import DEFAULT_SCHEMA, load_schema
from soil_conservation_plugin.core.rollup import aggregate, assign, outputs

from .disturbance_layers import scene
from .test_export import sources  # noqa: F401 (fixture)
from .test_rollup import COUNTIES, unit_layer

V01 = resources_path("schemas", "onemap_v0.1.json")


def disturbance_gpkg(tmp_path):
    """The check's GeoPackage with three reviewed patches: P1 违规, P2 合规 and closed, P3 being checked."""
    d = tmp_path / "scene"
    d.mkdir()
    inputs = scene(d)
    out = tmp_path / "check" / "check.gpkg"
    with output_set():
        write_outputs(run_check(inputs, existing_output=out), out, tmp_path / "核查清单", inputs)
    record_status(out, "P1", CHECKED, VIOLATION, on="2026-03-01", comment="陡坡开垦, 需整改", reviewer="张三")
    record_status(out, "P2", CHECKED, COMPLIANT, on="2026-03-02", reviewer="李四")
    record_status(out, "P2", CLOSED, on="2026-03-05", comment="合规销号", reviewer="李四")
    return out


def rollup_gpkg(tmp_path):
    units = unit_layer(np.random.default_rng(3))
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units"))
    path = tmp_path / "rollup" / "rollup.gpkg"
    path.parent.mkdir()
    assert "county" in outputs.write_rollup_layers(result, None, path, units.crs)
    return path


def ogr_rows(path, layer: str) -> dict:
    ds = ogr.Open(str(path))
    lyr = ds.GetLayerByName(layer) if layer else ds.GetLayer(0)
    defn = lyr.GetLayerDefn()
    names = [defn.GetFieldDefn(i).GetName() for i in range(defn.GetFieldCount())]
    rows = []
    for f in lyr:
        rows.append({n: (f.GetField(n) if f.IsFieldSetAndNotNull(n) else None) for n in names})
    ds = None
    return rows


def _day(value):
    """An OGR date as ISO text (GPKG: '2026/03/01' or '2026-03-01')."""
    return None if value is None else str(value).replace("/", "-")[:10]


def test_long_comments_are_one_warning_per_field_naming_the_patches_and_the_limit(tmp_path):
    gpkg = disturbance_gpkg(tmp_path)
    long = "陡坡开垦需整改" * 40  # 280 characters: over the 254 bytes of a GBK DBF field
    record_status(gpkg, "P1", CHECKED, VIOLATION, on="2026-03-01", comment=long, reviewer="张三")
    record_status(gpkg, "P3", CHECKED, VIOLATION, on="2026-03-01", comment=long, reviewer="张三")
    out = tmp_path / "package"
    given = {"disturbance": f"{gpkg}|layername={PATCHES_LAYER}"}
    result = ex.export_package(out, given, options=ex.ExportOptions(format="ESRI Shapefile", encoding="GBK"))
    cut = [w for w in result.warnings if "截断" in w]
    assert len(cut) == 1 and " BZ: 2 " in cut[0], cut
    assert "P1" in cut[0] and "P3" in cut[0] and "254 字节" in cut[0] and "254 bytes" in cut[0]
    assert result.manifest["text_warnings"] == cut
    assert (out / "manifest.json").read_text(encoding="utf-8").count("254 bytes") == 1


@pytest.mark.parametrize("fmt", ["GPKG", "ESRI Shapefile"])
def test_disturbance_and_county_layers_equal_their_inputs(tmp_path, fmt):
    gpkg, rollup = disturbance_gpkg(tmp_path), rollup_gpkg(tmp_path)
    given = {"disturbance": f"{gpkg}|layername={PATCHES_LAYER}", "rollup": f"{rollup}|layername=county"}
    out = tmp_path / "package"
    result = ex.export_package(out, given, options=ex.ExportOptions(format=fmt))
    assert result.manifest["schema"]["version"] == "0.2.0" and result.manifest["schema"]["file"] == DEFAULT_SCHEMA
    assert [e["code"] for e in result.manifest["layers"]] == ["RDTBHC", "XJSTBC"]
    data = out / "data" / ("onemap.gpkg" if fmt == "GPKG" else "")
    path = (lambda code: data) if fmt == "GPKG" else (lambda code: out / "data" / f"{code}.shp")
    # 扰动图斑: every patch, its areas to 0.01 ha and its 销号 status as the check's GeoPackage holds them
    patches = {r["patch_id"]: r for r in read_tables(gpkg)[PATCHES_LAYER][0]}
    got = {r["TBBH"]: r for r in ogr_rows(path("RDTBHC"), "RDTBHC" if fmt == "GPKG" else "")}
    assert set(got) == set(patches) == {"P1", "P2", "P3", "P4", "P5"}
    for pid, p in patches.items():
        row = got[pid]
        assert row["MJ"] == pytest.approx(p["area_ha"], abs=0.005)
        assert row["XFMJ"] == pytest.approx(p["issued_ha"], abs=0.005)
        for field, key in (("DPMJ", "steep_ha"), ("YFQMJ", "kp_ha"), ("ZLQMJ", "kt_ha"), ("HXMJ", "red_ha")):
            assert row[field] == pytest.approx(p[key], abs=0.005), (pid, field)
        assert row["XZQDM"] == p["cnty_code"] and row["XZQMC"] == p["cnty_name"]
        assert row["XZDM"] == p["twn_code"] + "000" and row["FXDJ"] == p["risk_zh"]
        assert row["HCZT"] == p["status"] and (row["HCJL"] or "") == p["verdict"]
        assert _day(row["HCRQ"]) == (p["checked_on"] or None) and _day(row["XHRQ"]) == (p["closed_on"] or None)
    assert (got["P1"]["HCZT"], got["P1"]["HCJL"], got["P1"]["HCR"]) == ("已核查", "违规", "张三")
    assert got["P1"]["BZ"] == "陡坡开垦, 需整改" and _day(got["P1"]["HCRQ"]) == "2026-03-01"
    assert (got["P2"]["HCZT"], got["P2"]["HCJL"], _day(got["P2"]["XHRQ"])) == ("已销号", "合规", "2026-03-05")
    assert got["P3"]["HCZT"] == "待核查" and got["P3"]["HCJL"] is None and got["P3"]["XHRQ"] is None
    # county table: the roll-up's values, to 0.01 ha (and the rate to 4 decimals)
    counties = {r["code"]: r for r in ogr_rows(rollup, "county")}
    got = {r["XZQDM"]: r for r in ogr_rows(path("XJSTBC"), "XJSTBC" if fmt == "GPKG" else "")}
    assert sorted(got) == sorted(counties) == sorted(COUNTIES)
    for code, c in counties.items():
        row = got[code]
        assert row["XZQMC"] == c["name"] and row["SJDM"] == c["parent"] and row["XLYS"] == c["n_units"]
        for field, key in (
            ("TDMJ", "land_ha"),
            ("PJMJ", "assess_ha"),
            ("STLSMJ", "loss_ha"),
            ("QDMJ", "light_ha"),
            ("JLMJ", "severe_ha"),
            ("ZLQMJ", "z_key_treatment_ha"),
        ):
            assert row[field] == pytest.approx(c[key], abs=0.005), (code, field)
        assert row["STBCL"] == pytest.approx(c["rate_pct"], abs=5e-5)
        assert row["TXMJ"] == pytest.approx(c["land_ha"], abs=0.05)  # the county geometry, on the ellipsoid
    assert result.counts == {"RDTBHC": 5, "XJSTBC": len(COUNTIES)}


def test_without_the_new_sources_the_package_is_as_before(tmp_path, sources):  # noqa: F811
    new = ex.export_package(tmp_path / "v02", sources)
    old = ex.export_package(tmp_path / "v01", sources, schema=V01)
    assert old.manifest["schema"]["version"] == "0.1.0" and old.manifest["schema"]["file"] == "onemap_v0.1.json"
    assert new.counts == old.counts and "RDTBHC" not in new.counts and "XJSTBC" not in new.counts
    for code in new.counts:
        a = ogr_rows(tmp_path / "v02" / "data" / "onemap.gpkg", code)
        b = ogr_rows(tmp_path / "v01" / "data" / "onemap.gpkg", code)
        assert a == b, code
    assert (tmp_path / "v02" / "fields.csv").read_bytes() == (tmp_path / "v01" / "fields.csv").read_bytes()
    for name in ("area_by_county.csv", "area_by_township.csv"):
        assert (tmp_path / "v02" / "tables" / name).read_bytes() == (tmp_path / "v01" / "tables" / name).read_bytes()


def test_v0_1_keeps_its_layers_and_refuses_the_new_sources(tmp_path):
    v01, v02 = load_schema(V01), load_schema()
    assert [s.code for s in v01.layers] == ["JZKKDPTB", "XLY", "ZDYFQ", "ZDZLQ", "YZQY", "STCRQY", "HXJHWT"]
    shared = [s for s in v02.layers if s.code in {x.code for x in v01.layers}]
    assert [(s.code, s.fields) for s in shared] == [(s.code, s.fields) for s in v01.layers]
    with pytest.raises(ex.InputError) as err:
        ex.export_package(tmp_path / "p", {"disturbance": str(tmp_path / "x.gpkg")}, schema=V01)
    assert "disturbance" in err.value.layer


def test_v0_2_documents_its_new_layers():
    schema = load_schema()
    raw = schema.raw
    assert raw["changelog"][-1]["version"] == "0.2.0" == schema.version
    for code in ("RDTBHC", "XJSTBC"):
        spec = schema.layer(code)
        assert "NOT FOUND" in spec.source and spec.default
        for f in spec.fields:  # not from an official standard → a default, tagged NOT FOUND unless sourced
            assert f.default or f.tag in ("[V]", "[S]"), (code, f.name)
            if f.default:
                assert f.tag == "NOT FOUND", (code, f.name)
    assert schema.layer("RDTBHC").field("HCZT").codes.keys() == {"待核查", "已核查", "整改中", "已销号"}
    assert dt.date.fromisoformat(schema.date)
    # every internal name is one the producers write (a typo would export an empty column)
    patch_fields = {name for name, _, _ in PATCH_FIELDS}
    assert {n for f in schema.layer("RDTBHC").fields for n in f.sources} <= patch_fields
    county = {c.field for c in outputs.rollup_columns(aggregate.rollup(assign.pieces_by_attribute(units(), "units")))}
    zones = {f"z_{z}_ha" for z in assign.zone_names()}  # the test units carry one zone only
    assert {n for f in schema.layer("XJSTBC").fields for n in f.sources} <= county | zones


def units():
    return unit_layer(np.random.default_rng(1))
