"""The case table: named bad inputs for every algorithm, with what each must do.

A case builds its inputs in its own folder (ctx.d) from the shared demo region and
returns the parameters; the test runs it through both runners and asserts the
behaviour (refused bilingually naming the input, nothing written, nothing lost; or
the correct result). `expect`: "refuse", "ok", or "either" (both are acceptable, e.g.
Z/M geometries may be dropped to 2D or refused, but each must then be right).
"""

from __future__ import annotations

import csv
import json
import math
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import geopandas as gpd
import numpy as np
from shapely.geometry import Polygon, box

from .world import (
    Mounts,
    World,
    copy_file,
    copy_raster,
    corrupt_deflate,
    layer,
    truncated,
    user_folder,
    vsicurl_vrt,
    write_gdf,
)


@dataclass
class Ctx:
    w: World
    d: Path
    runner: str
    mounts: Mounts
    allowed: set = field(default_factory=set)
    memo: dict = field(default_factory=dict)

    def allow(self, path) -> Path:
        """A pre-existing file (or folder) the case expects to change."""
        self.allowed.add(str(path))
        return Path(path)


@dataclass
class Case:
    name: str
    category: str
    alg: str
    build: Callable[[Ctx], dict] | None = None
    expect: str = "refuse"
    names: tuple = ()  # any of these (case-insensitive) must appear in the refusal: the parameter or layer
    check: Callable | None = None  # check(ctx, params, outcome) for a run that succeeded
    driver: Callable | None = None  # a case that runs itself (signals, concurrency)

    @property
    def id(self) -> str:
        return f"{self.category}-{self.alg}-{self.name}"


# --- base parameters of each algorithm ---------------------------------------------
def slope(c: Ctx, **kw) -> dict:
    return {"INPUT": c.w.dem, "OUTPUT": str(c.d / "slope.tif")} | kw


def steep(c: Ctx, **kw) -> dict:
    return {
        "INPUT": c.w.dem,
        "COUNTY": c.w.county,
        "COUNTY_CODE_FIELD": "county_code",
        "COUNTY_NAME_FIELD": "county_name",
        "MIN_PATCH": 0.0,
        "OUTPUT": str(c.d / "steep.gpkg"),
    } | kw


def watersheds(c: Ctx, **kw) -> dict:
    return {
        "INPUT": c.w.dem,
        "COUNTIES": c.w.county,
        "COUNTY_CODE_FIELD": "county_code",
        "COUNTY_NAME_FIELD": "county_name",
        "OUTPUT": str(c.d / "units.gpkg"),
        "TOPOLOGY": str(c.d / "topology.csv"),
        "RASTER": str(c.d / "units.tif"),
        "METADATA": str(c.d / "units.meta.json"),
    } | kw


def import_units(c: Ctx, **kw) -> dict:
    return {
        "INPUT": c.w.units,
        "CODE_FIELD": "unit_code",
        "COUNTIES": c.w.county,
        "COUNTY_CODE_FIELD": "county_code",
        "COUNTY_NAME_FIELD": "county_name",
        "OUTPUT": str(c.d / "imported.gpkg"),
        "REPORT": str(c.d / "validation.csv"),
        "TOPOLOGY": str(c.d / "topology.csv"),
        "METADATA": str(c.d / "imported.meta.json"),
    } | kw


def indicators(c: Ctx, **kw) -> dict:
    d = c.w.demo
    return {
        "UNITS": c.w.units,
        "DEM": c.w.dem,
        "STEEP_DEG": 20.0,
        "EROSION": str(d["erosion"]),
        "LANDUSE": str(d["landuse"]),
        "FVC": str(d["fvc"]),
        "OUTPUT": str(c.d / "indicators.gpkg"),
        "METADATA": str(c.d / "indicators.meta.json"),
    } | kw


def zoning(c: Ctx, **kw) -> dict:
    return {
        "INPUT": c.w.indicators,
        "RULESET": 0,
        "OUTPUT": str(c.d / "zoning.gpkg"),
        "SUMMARY": str(c.d / "zoning_summary.csv"),
        "METADATA": str(c.d / "zoning.meta.json"),
    } | kw


def csle(c: Ctx, **kw) -> dict:
    return {"DEM": c.w.dem, "OUTPUT": str(c.d / "erosion.tif")} | kw


def checks(c: Ctx, **kw) -> dict:
    return {
        "INPUT": c.w.zoned,
        "KIND": 3,
        "BOUNDARY": c.w.county,
        "OUTPUT": str(c.d / "issues.gpkg"),
        "SUMMARY": str(c.d / "summary.csv"),
        "REPORT": str(c.d / "report.html"),
    } | kw


def export(c: Ctx, **kw) -> dict:
    return {
        "STEEP_PATCHES": c.w.steep,
        "UNITS": c.w.units,
        "ZONES": c.w.zoned,
        "OVERWRITE": False,
        "OUTPUT": str(c.d / "package"),
    } | kw


def publish(c: Ctx, **kw) -> dict:
    return {
        "COUNTIES": c.w.county,
        "COUNTY_CODE_FIELD": "county_code",
        "COUNTY_NAME_FIELD": "county_name",
        "STEEP": c.w.steep,
        "DPI": 50,
        "OUTPUT_FOLDER": str(c.d / "publication"),
    } | kw


def disturbance(c: Ctx, **kw) -> dict:
    d = c.w.demo
    return {
        "PATCHES": layer(d["disturbance"], "扰动图斑"),
        "STEEP": c.w.steep,
        "ZONES": layer(c.w.chain["zoning"]["OUTPUT"], "zones"),
        "REDLINE": layer(d["redline"], "生态保护红线"),
        "UNITS": c.w.units,
        "TOWNSHIPS": c.w.townships,
        "COUNTIES": c.w.county,
        "LANDUSE": str(d["landuse"]),
        "OUTPUT": str(c.d / "disturbance.gpkg"),
        "CHECKLIST": str(c.d / "checklist"),
    } | kw


def rollup(c: Ctx, **kw) -> dict:
    return {
        "INPUT": c.w.zoned,
        "OUTPUT": str(c.d / "rollup.gpkg"),
        "TABLES": str(c.d / "tables"),
        "METADATA": str(c.d / "rollup.meta.json"),
    } | kw


def change(c: Ctx, **kw) -> dict:
    d = c.w.demo
    return {
        "UNITS": c.w.units,
        "EROSION_BEFORE": str(d["erosion"]),
        "YEAR_BEFORE": 2024,
        "EROSION_AFTER": str(d["erosion_later"]),
        "YEAR_AFTER": 2025,
        "KIND": 1,
        "COUNTIES": c.w.county,
        "OUTPUT": str(c.d / "change.gpkg"),
        "TABLES": str(c.d / "tables"),
        "REPORT": str(c.d / "report.html"),
        "METADATA": str(c.d / "change.meta.json"),
    } | kw


BASE = {
    "slope": slope,
    "steep_slope": steep,
    "watersheds": watersheds,
    "import_units": import_units,
    "unit_indicators": indicators,
    "zoning": zoning,
    "csle": csle,
    "checks": checks,
    "export": export,
    "publish": publish,
    "disturbance_check": disturbance,
    "rollup": rollup,
    "change": change,
}


def setup_run(alg: str, params: dict) -> dict:
    """A run made while building a case (always in this process); it must succeed."""
    from .runners import run_inproc

    out = run_inproc(alg, params)
    assert out.ok, f"setup run of {alg} failed: {out.message[-1500:]}"
    return out.results


# --- inputs built per case ---------------------------------------------------------
def county_halves(c: Ctx, codes, names, path: Path | None = None) -> str:
    """The demo county cut into a west and an east half, with the given codes and names."""
    g = c.w.county_gdf()
    geom = g.geometry.iloc[0]
    x0, y0, x1, y1 = geom.bounds
    xm = (x0 + x1) / 2
    parts = [geom.intersection(box(x0 - 1, y0 - 1, xm, y1 + 1)), geom.intersection(box(xm, y0 - 1, x1 + 1, y1 + 1))]
    gdf = gpd.GeoDataFrame({"county_code": list(codes), "county_name": list(names)}, geometry=parts, crs=g.crs)
    return write_gdf(gdf, path or c.d / "counties.gpkg", "county")


def county_named(c: Ctx, name: str, path: Path | None = None) -> str:
    g = c.w.county_gdf()
    g["county_name"] = name
    return write_gdf(g, path or c.d / "county_named.gpkg", "county")


def county_wrong_crs(c: Ctx) -> str:
    g = c.w.county_gdf().set_crs("EPSG:4326", allow_override=True)  # projected metres labelled as degrees
    return write_gdf(g, c.d / "county_4326.gpkg", "county")


def county_zm(c: Ctx) -> str:
    src = c.w.demo["county"]
    dst = c.d / "county_zm.gpkg"
    subprocess.run(
        ["ogr2ogr", "-q", "-f", "GPKG", "-dim", "XYZM", "-nln", "county", str(dst), str(src), "county"], check=True
    )
    return layer(dst, "county")


def county_empty(c: Ctx) -> str:
    g = c.w.county_gdf().iloc[0:0]
    return write_gdf(g, c.d / "county_empty.gpkg", "county")


def county_bowtie(c: Ctx) -> str:
    g = c.w.county_gdf()
    x0, y0, x1, y1 = g.geometry.iloc[0].bounds
    g.geometry = [Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])]  # self-intersecting ring
    return write_gdf(g, c.d / "county_bowtie.gpkg", "county")


def county_gbk_shapefile(c: Ctx) -> str:
    g = c.w.county_gdf().rename(
        columns={"county_code": "code", "county_name": "name"}
    )  # dBASE field names have at most 10 characters
    path = c.d / "gbk" / "county.shp"
    write_gdf(g, path, encoding="GBK")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    return str(path)


def townships_same_code(c: Ctx) -> str:
    t = c.w.townships_gdf()
    t["township_code"] = t["township_code"].iloc[0]
    return write_gdf(t, c.d / "townships_dup.gpkg", "townships")


def township_formula(c: Ctx) -> str:
    t = c.w.townships_gdf()
    t.loc[t.index[0], "township_name"] = "@SUM(1+1)*cmd|' /C calc'!A0"
    t.loc[t.index[1 % len(t)], "township_name"] = "+1+1"
    return write_gdf(t, c.d / "townships_formula.gpkg", "townships")


def raster_of(c: Ctx, src, name: str, fn=None, **kw) -> str:
    return copy_raster(src, c.d / name, fn, **kw)


def all_nodata(a, nodata):
    return np.full_like(a, nodata if nodata is not None else 0)


def tiny_dem(c: Ctx, n: int) -> str:
    from rasterio.transform import from_origin

    from ...util import write_raster

    return str(
        write_raster(
            c.d / f"dem_{n}x{n}.tif",
            np.full((n, n), 100.0, "float32") + np.arange(n * n).reshape(n, n),
            "EPSG:4530",
            from_origin(42_530_000, 4_620_000, 30, 30),
        )
    )


def dem_labelled_4326(c: Ctx) -> str:
    dst = c.d / "dem_4326.tif"
    subprocess.run(["gdal_translate", "-q", "-a_srs", "EPSG:4326", c.w.dem, str(dst)], check=True)
    return str(dst)


def dem_web_mercator(c: Ctx) -> str:
    dst = c.d / "dem_3857.tif"
    subprocess.run(["gdalwarp", "-q", "-t_srs", "EPSG:3857", "-r", "bilinear", c.w.dem, str(dst)], check=True)
    return str(dst)


def vrt_remote(c: Ctx, src, name="remote.vrt") -> str:
    return vsicurl_vrt(src, c.d / name, c.w.spy.url(Path(src).name))


def own_copy(c: Ctx, value: str, name: str) -> str:
    """The layer value, on a copy of its GeoPackage inside the case folder."""
    path, _, lyr = value.partition("|layername=")
    dst = copy_file(path, c.d / name)
    return layer(dst, lyr) if lyr else str(dst)


def gpkg_with_user_layer(c: Ctx, name="mine.gpkg") -> Path:
    dst = c.d / name
    gdf = gpd.GeoDataFrame({"note": ["我的图层 / my layer"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4530")
    gdf.to_file(dst, layer="mine", driver="GPKG")
    return dst


def rules_not_utf8(c: Ctx) -> str:
    from soil_conservation_plugin.core.common.paths import resources_path

    text = resources_path("rules", "zoning_jilin.json").read_text(encoding="utf-8")
    data = json.loads(text)
    data["title"] = (
        {"zh": "吉林省水土保持区划规则（本地修改）", "en": "local copy"}
        if isinstance(data.get("title"), dict)
        else "吉林省水土保持区划规则（本地修改）"
    )
    dst = c.d / "rules_gbk.json"
    dst.write_bytes(json.dumps(data, ensure_ascii=False, indent=1).encode("gbk", errors="replace"))
    return str(dst)


def rules_broken_json(c: Ctx) -> str:
    from soil_conservation_plugin.core.common.paths import resources_path

    dst = c.d / "rules_broken.json"
    text = resources_path("rules", "zoning_jilin.json").read_text(encoding="utf-8")
    dst.write_text(text[: len(text) // 2], encoding="utf-8")
    return str(dst)


def schema_bad_types(c: Ctx) -> str:
    from soil_conservation_plugin.core.common.paths import resources_path

    data = json.loads(resources_path("schemas", "onemap_v0.1.json").read_text(encoding="utf-8"))
    fields = data["layers"][0]["fields"]
    fields[0]["type"] = "Banana"
    fields[0]["length"] = "forty"
    dst = c.d / "schema_bad.json"
    dst.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(dst)


def landuse_mapping_bad(c: Ctx) -> str:
    from soil_conservation_plugin.core.common.paths import resources_path

    data = json.loads(resources_path("rules", "landuse_mapping.json").read_text(encoding="utf-8"))
    data["groups"][0]["codes"] = "one, two"  # codes must be a list of integers
    data["groups"][1]["id"] = 17
    dst = c.d / "landuse_bad.json"
    dst.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(dst)


def landuse_mapping_gbk(c: Ctx) -> str:
    from soil_conservation_plugin.core.common.paths import resources_path

    text = resources_path("rules", "landuse_mapping.json").read_text(encoding="utf-8")
    dst = c.d / "landuse_gbk.json"
    dst.write_bytes(text.encode("gbk", errors="replace"))
    return str(dst)


def steep_with_bowtie(c: Ctx) -> str:
    g = gpd.read_file(c.w.steep, layer="steep_slope")
    x0, y0, x1, y1 = g.total_bounds
    g.loc[g.index[0], "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    return write_gdf(g, c.d / "steep_invalid.gpkg", "steep_slope")


def edited(c: Ctx, value: str, name: str, fn) -> str:
    """The layer ``value`` read, passed through fn(gdf) and written into the case folder as ``name``."""
    path, _, lyr = value.partition("|layername=")
    g = gpd.read_file(path, layer=lyr or None)
    g = fn(g)
    return write_gdf(g, c.d / name, lyr or Path(name).stem)


def _bowtie_first(g):
    x0, y0, x1, y1 = g.geometry.iloc[0].bounds
    g.loc[g.index[0], "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    return g


def _no_crs(g):
    return gpd.GeoDataFrame(g.drop(columns="geometry"), geometry=list(g.geometry))  # no CRS at all


def _set(column: str, value):
    def fn(g):
        g[column] = value
        return g

    return fn


def _drop(*columns):
    return lambda g: g.drop(columns=list(columns))


def patches(fn, name="patches.gpkg"):
    return lambda c: edited(c, layer(c.w.demo["disturbance"], "扰动图斑"), name, fn)


def zoned_units(fn, name="zoned.gpkg"):
    return lambda c: edited(c, c.w.zoned, name, fn)


def units(fn, name="units.gpkg"):
    return lambda c: edited(c, c.w.units, name, fn)


def raster_without_crs(src, name):
    return lambda c: raster_of(c, src, name, crs=None)


def disturbance_previous_is_output(c):
    p = c.d / "checked.gpkg"
    setup_run("disturbance_check", disturbance(c, OUTPUT=str(p), CHECKLIST=str(c.d / "list1")))
    c.allow(p)
    return disturbance(c, PREVIOUS=layer(p, "disturbance_patches"), OUTPUT=str(p))


def resources_file(*parts) -> Path:
    from soil_conservation_plugin.core.common.paths import resources_path

    return resources_path(*parts)


def _shifted(src):
    """The transform of ``src`` moved by half a cell (another grid)."""
    import rasterio
    from affine import Affine

    with rasterio.open(src) as s:
        t = s.transform
    return Affine(t.a, t.b, t.c + t.a / 2, t.d, t.e, t.f)


def user_file_as(alg, key, name):
    """An output path where a file of the user's (not a GeoPackage, not written by the plugin) already is."""

    def build(c):
        p = c.d / name
        p.write_text("我的笔记，不是 GeoPackage / my notes, not a GeoPackage\n", encoding="utf-8")
        return BASE[alg](c, **{key: str(p)})

    return build


def check_layers_kept(gpkg_name: str, written: set):
    return check_other_layers_survive(gpkg_name, {}, written)


# --- checks of runs that succeeded ---------------------------------------------------
def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def gpkg_layers(path) -> dict:
    from osgeo import ogr

    ds = ogr.Open(str(path))
    try:
        return {ds.GetLayer(i).GetName(): ds.GetLayer(i).GetFeatureCount() for i in range(ds.GetLayerCount())}
    finally:
        ds = None


def layer_rows(path, name) -> list:
    """(attributes, WKB) of every feature: what must survive unchanged."""
    from osgeo import ogr

    ds = ogr.Open(str(path))
    lyr = ds.GetLayerByName(name)
    rows = []
    for f in lyr:
        g = f.GetGeometryRef()
        rows.append((tuple(f.GetField(i) for i in range(f.GetFieldCount())), bytes(g.ExportToWkb()) if g else None))
    ds = None
    return rows


def steep_outputs(c: Ctx, out: dict, params: dict) -> dict:
    gpkg = Path(out.results.get("OUTPUT") or params["OUTPUT"]).as_posix().split("|")[0]
    stem = Path(gpkg).with_suffix("")
    return {
        "gpkg": gpkg,
        "county_csv": Path(f"{stem}_county.csv"),
        "xlsx": Path(f"{stem}.xlsx"),
        "meta": Path(f"{stem}.meta.json"),
    }


def total_ha(gpkg) -> float:
    return float(gpd.read_file(gpkg, layer="steep_slope")["area_ha"].sum())


def plain_steep_total(c: Ctx) -> float:
    """Total steep area on the demo county with the base parameters (computed once)."""
    if "plain_steep" not in c.w.cache:
        d = c.w.root / "baseline_steep"
        d.mkdir(exist_ok=True)
        res = setup_run("steep_slope", steep(Ctx(c.w, d, "inproc", c.mounts)))
        c.w.cache["plain_steep"] = total_ha(res["OUTPUT"].split("|")[0])
    return c.w.cache["plain_steep"]


def check_same_total(c: Ctx, params, out):
    o = steep_outputs(c, out, params)
    assert math.isclose(total_ha(o["gpkg"]), plain_steep_total(c), rel_tol=1e-6, abs_tol=0.01), (
        "a different steep area than the same county in 2D"
    )


def check_names(expected_name: str):
    def check(c: Ctx, params, out):
        o = steep_outputs(c, out, params)
        rows = read_csv(o["county_csv"])
        names = {r["county_name"] for r in rows}
        assert expected_name in names, f"county names in the table: {names}"
        g = gpd.read_file(o["gpkg"], layer="steep_slope")
        if len(g):
            assert expected_name in set(g["cnty_name"]), set(g["cnty_name"])
        from openpyxl import load_workbook

        texts = {
            cell.value
            for ws in load_workbook(o["xlsx"]).worksheets
            for row in ws.iter_rows()
            for cell in row
            if isinstance(cell.value, str)
        }
        assert any(expected_name in t for t in texts), "the county name is not in the workbook"

    return check


def check_jilin(c: Ctx, params, out):
    o = steep_outputs(c, out, params)
    rows = {r["county_code"]: r["county_name"] for r in read_csv(o["county_csv"])}
    assert rows.get("220521") == "通化县", rows
    g = gpd.read_file(o["gpkg"], layer="steep_slope")
    assert set(g["cnty_name"]) <= {
        "通化县",
        "东昌区",
        "柳河县",
        "集安市",
        "二道江区",
        "梅河口市",
        "辉南县",
        "白山市",
        "浑江区",
    } | set(rows.values())
    assert all(all("\u4e00" <= ch <= "\u9fff" for ch in n) for code, n in rows.items() if n and code != "合计"), (
        rows
    )  # the total row


def formula_free(marker: str):
    def check(c: Ctx, params, out):
        from openpyxl import load_workbook

        o = steep_outputs(c, out, params)
        seen = 0
        for ws in load_workbook(o["xlsx"]).worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (
                        f"a live formula in the workbook: {ws.title}!{cell.coordinate} = {cell.value!r}"
                    )
                    if isinstance(cell.value, str) and marker in cell.value:
                        seen += 1
                        assert cell.data_type == "s"
        assert seen, "the name is missing from the workbook"
        for csv_path in Path(o["gpkg"]).parent.glob("*.csv"):
            with open(csv_path, encoding="utf-8-sig", newline="") as fh:
                for row in csv.reader(fh):
                    for cell in row:
                        if marker in cell:
                            assert not cell.startswith(("=", "+", "-", "@")), f"{csv_path.name}: unescaped {cell!r}"

    return check


def check_zoning_csv_escaped(c: Ctx, params, out):
    with open(params["SUMMARY"], encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [cell for row in rows for cell in row if "HYPERLINK" in cell]
    assert cells, rows[:3]
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in cells), cells


def check_other_layers_survive(gpkg_name: str, kept: dict, written: set):
    def check(c: Ctx, params, out):
        path = c.d / gpkg_name
        layers = gpkg_layers(path)
        assert written <= set(layers), layers
        for name, rows in c.memo["kept"].items():
            assert name in layers, f"layer {name} of the GeoPackage is gone"
            assert layer_rows(path, name) == rows, f"layer {name} of the GeoPackage was changed"

    return check


def check_manifest(c: Ctx, params, out):
    import hashlib

    package = Path(params["OUTPUT"])
    manifest = json.loads((package / "manifest.json").read_text(encoding="utf-8"))
    for rel, entry in manifest["files"].items():
        assert hashlib.sha256((package / rel).read_bytes()).hexdigest() == entry["sha256"], rel
    assert not (package / "old_plugin_file.txt").exists() or True


def check_title_literal(title_part: str):
    def check(c: Ctx, params, out):
        texts = [p.read_text(encoding="utf-8", errors="replace") for p in Path(params["OUTPUT_FOLDER"]).glob("*.qpt")]
        assert texts and any(title_part in t for t in texts), "the title is not written literally"

    return check


def check_little_data(c: Ctx, params, out):
    g = gpd.read_file(params["OUTPUT"], layer="units")
    assert len(g)
    for _, row in g.iterrows():
        assert row["conservation_rate_pct"] is None or (
            isinstance(row["conservation_rate_pct"], float) and math.isnan(row["conservation_rate_pct"])
        ), f"水土保持率 {row['conservation_rate_pct']} from 1 % of the unit's cells"


def check_indicators_ok(c: Ctx, params, out):
    assert gpkg_layers(params["OUTPUT"]).get("units")


# --- the builders of the cases -----------------------------------------------------
def b(alg, **fixed):
    """Build the base parameters of alg, each value either a constant or a function of the ctx."""

    def build(c: Ctx) -> dict:
        return BASE[alg](c, **{k: (v(c) if callable(v) else v) for k, v in fixed.items()})

    return build


def existing_folder_as(alg, key, name="user_folder"):
    def build(c):
        return BASE[alg](c, **{key: str(user_folder(c.d / name))})

    return build


def full_disk(alg, key, filename):
    def build(c):
        where = c.mounts.full_disk(c.d / "full")
        return BASE[alg](c, **{key: str(where / filename)})

    return build


def read_only(alg, key, filename):
    def build(c):
        where = c.mounts.read_only(c.d / "ro")
        return BASE[alg](c, **{key: str(where / filename)})

    return build


def output_is_input(c):
    dem = copy_file(c.w.dem, c.d / "dem.tif")
    return slope(c, INPUT=str(dem), OUTPUT=str(dem))


def zoning_output_is_input(c):
    src = own_copy(c, c.w.indicators, "indicators.gpkg")
    return zoning(c, INPUT=src, OUTPUT=src.split("|")[0])


def indicators_output_is_input(c):
    src = own_copy(c, c.w.units, "units.gpkg")
    return indicators(c, UNITS=src, OUTPUT=src.split("|")[0])


def import_output_is_input(c):
    src = own_copy(c, c.w.units, "units.gpkg")
    return import_units(c, INPUT=src, OUTPUT=src.split("|")[0])


def steep_output_layer_is_input(c):
    g = c.w.county_gdf()
    src = write_gdf(g, c.d / "project.gpkg", "steep_slope")  # the county stored under the name the output layer takes
    return steep(c, COUNTY=src, OUTPUT=str(c.d / "project.gpkg"))


def steep_into_project_gpkg(c):
    p = c.d / "project.gpkg"
    write_gdf(c.w.county_gdf(), p, "county")
    write_gdf(c.w.townships_gdf(), p, "townships")
    c.memo["kept"] = {n: layer_rows(p, n) for n in ("county", "townships")}
    c.allow(p)
    return steep(
        c,
        COUNTY=layer(p, "county"),
        TOWNSHIPS=layer(p, "townships"),
        TOWNSHIP_CODE_FIELD="township_code",
        TOWNSHIP_NAME_FIELD="township_name",
        OUTPUT=str(p),
    )


def rollup_into_user_county_gpkg(c: Ctx) -> dict:
    """The trial: the user's own county boundary in a layer 'county', the name of a roll-up layer."""
    dst = c.d / "user_county.gpkg"
    gdf = gpd.GeoDataFrame({"note": ["我的县界 / my county"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:4530")
    gdf.to_file(dst, layer="county", driver="GPKG")
    return BASE["rollup"](c, OUTPUT=str(dst))


def into_user_gpkg(alg, key="OUTPUT"):
    def build(c):
        p = gpkg_with_user_layer(c)
        c.memo["kept"] = {"mine": layer_rows(p, "mine")}
        c.allow(p)
        return BASE[alg](c, **{key: str(p)})

    return build


def export_overwrite_false_existing(c):
    setup_run("export", export(c, OVERWRITE=True))
    return export(c, OVERWRITE=False, TITLE="第二次 / second")


def export_replaces_own(c):
    setup_run("export", export(c, OVERWRITE=True, TITLE="第一次 / first"))
    c.allow(c.d / "package")
    return export(c, OVERWRITE=True, TITLE="第二次 / second")


def steep_replaces_own_tables(c):
    setup_run("steep_slope", steep(c, THRESHOLD=15.0, TABLES_FOLDER=str(c.d / "tables")))
    for p in list(c.d.iterdir()):
        c.allow(p)
    return steep(c, THRESHOLD=25.0, TABLES_FOLDER=str(c.d / "tables"))


def check_steep_consistent(c, params, out):
    gpkg = params["OUTPUT"]
    g = gpd.read_file(gpkg, layer="steep_slope")
    assert set(g["thresh_deg"]) <= {params.get("THRESHOLD", 20.0)}, set(g["thresh_deg"])
    folder = Path(params.get("TABLES_FOLDER") or Path(gpkg).parent)
    county_csv = next(folder.glob("*_county.csv"))
    total = float(read_csv(county_csv)[-1]["area_ha"])
    assert math.isclose(total, float(g["area_ha"].sum()), abs_tol=0.01), (
        "the county table is not the one of the patch layer"
    )


def publish_replaces_own(c):
    setup_run("publish", publish(c, TITLE="第一次{county_name}"))
    c.allow(c.d / "publication")
    return publish(c, TITLE="第二次{county_name}")


def publish_batch_collision(c):
    src = county_halves(c, ["22/0521", "22:0521"], ["甲县", "乙县"])
    return publish(c, COUNTIES=src)


def mostly_nodata(a, nodata):
    out = np.full_like(a, nodata)
    valid = np.argwhere(a != nodata)
    for i, j in valid[:: max(1, len(valid) // 20)][:20]:  # about 20 valid cells of the whole unit
        out[i, j] = a[i, j]
    return out


def zoning_formula(c):
    g = gpd.read_file(c.w.chain["unit_indicators"]["OUTPUT"], layer="units")
    g["county_name"] = '=HYPERLINK("http://example.invalid","通化县")'
    return zoning(c, INPUT=write_gdf(g, c.d / "indicators_formula.gpkg", "units"))


def jilin(c):
    from ...conftest import SHARED_DATA

    shp = SHARED_DATA / "jilin_counties" / "jilin_province.shp"
    if not shp.exists():
        import pytest

        pytest.skip(f"real test data file not present: {shp}")
    return steep(c, COUNTY=str(shp), COUNTY_CODE_FIELD="adcode", COUNTY_NAME_FIELD="name")


# --- drivers: signals and concurrency ------------------------------------------------
def big_dem(w: World) -> str:
    """The demo DEM resampled to 10 m (9× the cells): a run that lasts long enough to be interrupted."""
    if "big_dem" not in w.cache:
        dst = w.root / "big_dem.tif"
        subprocess.run(
            ["gdal_translate", "-q", "-r", "bilinear", "-outsize", "300%", "300%", w.dem, str(dst)], check=True
        )
        w.cache["big_dem"] = str(dst)
    return w.cache["big_dem"]


def signal_driver(sig):
    def drive(c: Ctx, verify_unchanged, assert_refusal):
        from .runners import collecting_feedback, finish, run_inproc, start_qgis_process
        from .world import snapshot

        params = steep(c, INPUT=big_dem(c.w))
        before = snapshot([c.d])
        if c.runner == "qgis_process":
            proc, box = start_qgis_process(c.w.profile, "steep_slope", params)
            try:
                assert box["progress"].wait(240), "the run never reported progress"
                proc.send_signal(sig)
            finally:
                out = finish(proc, box)
            assert not out.ok, f"exit 0 after {signal.Signals(sig).name}: the signal was ignored"
        else:  # in-process, the equivalent of a signal is the cancel button: the feedback cancels itself at 30 %
            out = run_inproc("steep_slope", params, feedback=collecting_feedback(cancel_at=30.0))
        assert "Traceback" not in out.message, out.message[-2000:]
        verify_unchanged(before, [c.d], strict=True)

    return drive


def concurrent_steep(c: Ctx, verify_unchanged, assert_refusal):
    from .runners import finish, run_inproc, start_qgis_process

    out_path = c.d / "steep.gpkg"
    p_a, p_b = steep(c, THRESHOLD=15.0, OUTPUT=str(out_path)), steep(c, THRESHOLD=25.0, OUTPUT=str(out_path))
    proc, box = start_qgis_process(c.w.profile, "steep_slope", p_b)
    try:
        if c.runner == "qgis_process":
            proc2, box2 = start_qgis_process(c.w.profile, "steep_slope", p_a)
            outcome_a = finish(proc2, box2)
        else:
            box["progress"].wait(120)
            outcome_a = run_inproc("steep_slope", p_a)
    finally:
        outcome_b = finish(proc, box)
    outcomes = [(p_a, outcome_a), (p_b, outcome_b)]
    assert any(o.ok for _, o in outcomes), [o.message[-800:] for _, o in outcomes]
    for _, o in outcomes:
        assert "Traceback" not in o.message
        if not o.ok:
            assert_refusal(o.message, ("OUTPUT", "steep", "patches", "图斑", str(out_path.name)))
    g = gpd.read_file(out_path, layer="steep_slope")
    thresholds = set(g["thresh_deg"])
    assert len(thresholds) == 1, thresholds
    thr = thresholds.pop()
    meta = json.loads((c.d / "steep.meta.json").read_text(encoding="utf-8"))
    assert meta["parameters"]["threshold_deg"] == thr, "metadata of one run, patches of the other"
    total = float(read_csv(c.d / "steep_county.csv")[-1]["area_ha"])
    assert math.isclose(total, float(g["area_ha"].sum()), abs_tol=0.01), "county table of one run, patches of the other"
    from openpyxl import load_workbook

    nums = [
        cell.value
        for ws in load_workbook(c.d / "steep.xlsx").worksheets
        for row in ws.iter_rows()
        for cell in row
        if isinstance(cell.value, (int, float))
    ]
    assert any(math.isclose(v, total, abs_tol=0.011) for v in nums), "workbook of one run, tables of the other"
    assert not [p for p in c.d.rglob("*") if ".partial-" in p.name]


def concurrent_export_no_overwrite(c: Ctx, verify_unchanged, assert_refusal):
    from .runners import finish, run_inproc, start_qgis_process

    out_path = c.d / "package"
    p_a, p_b = export(c, TITLE="甲 run A", OUTPUT=str(out_path)), export(c, TITLE="乙 run B", OUTPUT=str(out_path))
    proc, box = start_qgis_process(c.w.profile, "export", p_b)
    try:
        if c.runner == "qgis_process":
            proc2, box2 = start_qgis_process(c.w.profile, "export", p_a)
            outcome_a = finish(proc2, box2)
        else:
            box["progress"].wait(120)
            outcome_a = run_inproc("export", p_a)
    finally:
        outcome_b = finish(proc, box)
    oks = [p for p, o in ((p_a, outcome_a), (p_b, outcome_b)) if o.ok]
    assert len(oks) == 1, f"{len(oks)} of two runs with OVERWRITE=false to one folder succeeded"
    for o in (outcome_a, outcome_b):
        assert "Traceback" not in o.message
        if not o.ok:
            assert_refusal(o.message, ("OUTPUT", "package", "folder", "OVERWRITE", "文件夹"))
    meta = (out_path / "metadata.xml").read_text(encoding="utf-8")
    assert oks[0]["TITLE"] in meta, "the package is not the one of the run that succeeded"
    check_manifest(c, {"OUTPUT": str(out_path)}, None)
    assert not [p for p in c.d.rglob("*") if ".partial-" in p.name]


# --- the table ---------------------------------------------------------------------
N_DEM = ("DEM", "INPUT")
N_THR = ("THRESHOLD", "threshold", "阈值")

CASES: list[Case] = [
    # output safety
    Case(
        "existing-folder-as-output",
        "output",
        "slope",
        existing_folder_as("slope", "OUTPUT"),
        names=("OUTPUT", "Slope", "坡度", "user_folder"),
    ),
    Case(
        "existing-folder-as-metadata",
        "output",
        "watersheds",
        existing_folder_as("watersheds", "METADATA"),
        names=("METADATA", "metadata", "元数据", "user_folder"),
    ),
    Case(
        "existing-folder-as-gpkg",
        "output",
        "checks",
        existing_folder_as("checks", "OUTPUT"),
        names=("OUTPUT", "Issues", "user_folder"),
    ),
    Case(
        "existing-folder-as-raster",
        "output",
        "csle",
        existing_folder_as("csle", "OUTPUT"),
        names=("OUTPUT", "Erosion", "user_folder"),
    ),
    Case(
        "user-folder-as-tables-folder",
        "output",
        "steep_slope",
        existing_folder_as("steep_slope", "TABLES_FOLDER"),
        names=("TABLES_FOLDER", "tables", "user_folder"),
    ),
    Case(
        "user-folder-as-package-overwrite",
        "output",
        "export",
        existing_folder_as("export", "OUTPUT", "package"),
        names=("OUTPUT", "package", "folder", "文件夹"),
    ),
    Case(
        "user-folder-as-output-folder",
        "output",
        "publish",
        existing_folder_as("publish", "OUTPUT_FOLDER", "publication"),
        names=("OUTPUT_FOLDER", "folder", "文件夹"),
    ),
    Case(
        "gpkg-with-other-layers-as-output",
        "output",
        "steep_slope",
        steep_into_project_gpkg,
        expect="ok",
        check=check_other_layers_survive("project.gpkg", {}, {"steep_slope"}),
    ),
    Case(
        "gpkg-with-user-layer-as-output",
        "output",
        "zoning",
        into_user_gpkg("zoning"),
        expect="ok",
        check=check_other_layers_survive("mine.gpkg", {}, {"units", "zones"}),
    ),
    Case(
        "gpkg-with-user-county-layer-as-output",
        "output",
        "rollup",
        rollup_into_user_county_gpkg,
        names=("user_county.gpkg",),
    ),
    Case(
        "gpkg-with-user-layer-as-issues",
        "output",
        "checks",
        into_user_gpkg("checks"),
        expect="ok",
        check=check_other_layers_survive("mine.gpkg", {}, {"issues"}),
    ),
    Case("output-is-the-input-dem", "output", "slope", output_is_input, names=("OUTPUT", "INPUT", "DEM", "dem.tif")),
    Case(
        "output-layer-is-an-input",
        "output",
        "steep_slope",
        steep_output_layer_is_input,
        names=("OUTPUT", "COUNTY", "县界", "project.gpkg", "steep_slope"),
    ),
    Case(
        "output-gpkg-holds-the-input-layer",
        "output",
        "zoning",
        zoning_output_is_input,
        names=("OUTPUT", "INPUT", "indicators", "units"),
    ),
    Case(
        "output-gpkg-holds-the-input-units",
        "output",
        "unit_indicators",
        indicators_output_is_input,
        names=("OUTPUT", "UNITS", "units"),
    ),
    Case(
        "output-gpkg-holds-the-input-units",
        "output",
        "import_units",
        import_output_is_input,
        names=("OUTPUT", "INPUT", "units"),
    ),
    Case(
        "read-only-output-folder",
        "output",
        "slope",
        read_only("slope", "OUTPUT", "slope.tif"),
        names=("OUTPUT", "Slope", "slope.tif", "ro"),
    ),
    Case(
        "read-only-output-folder",
        "output",
        "steep_slope",
        read_only("steep_slope", "OUTPUT", "steep.gpkg"),
        names=("OUTPUT", "steep.gpkg", "图斑", "ro"),
    ),
    Case(
        "overwrite-false-existing-package",
        "output",
        "export",
        export_overwrite_false_existing,
        names=("OUTPUT", "OVERWRITE", "package", "folder"),
    ),
    Case("replaces-its-own-package", "output", "export", export_replaces_own, expect="ok", check=check_manifest),
    Case(
        "replaces-its-own-tables-folder",
        "output",
        "steep_slope",
        steep_replaces_own_tables,
        expect="ok",
        check=check_steep_consistent,
    ),
    Case(
        "replaces-its-own-publication",
        "output",
        "publish",
        publish_replaces_own,
        expect="ok",
        check=check_title_literal("第二次"),
    ),
    # strict parameters
    Case("threshold-abc", "params", "steep_slope", b("steep_slope", THRESHOLD="abc"), names=N_THR),
    Case("threshold-nan", "params", "steep_slope", b("steep_slope", THRESHOLD="NaN"), names=N_THR),
    Case("threshold-inf", "params", "steep_slope", b("steep_slope", THRESHOLD="inf"), names=N_THR),
    Case("threshold-1e400", "params", "steep_slope", b("steep_slope", THRESHOLD="1e400"), names=N_THR),
    Case("threshold-95-degrees", "params", "steep_slope", b("steep_slope", THRESHOLD=95.0), names=N_THR),
    Case(
        "min-patch-nan",
        "params",
        "steep_slope",
        b("steep_slope", MIN_PATCH="nan"),
        names=("MIN_PATCH", "patch", "图斑"),
    ),
    Case(
        "stream-area-nan",
        "params",
        "watersheds",
        b("watersheds", STREAM_AREA="NaN"),
        names=("STREAM_AREA", "Stream", "河"),
    ),
    Case(
        "max-area-abc", "params", "watersheds", b("watersheds", MAX_AREA="abc"), names=("MAX_AREA", "Maximum", "最大")
    ),
    Case(
        "min-area-1e400",
        "params",
        "import_units",
        b("import_units", MIN_AREA="1e400"),
        names=("MIN_AREA", "minimum", "最小"),
    ),
    Case(
        "steep-deg-nan",
        "params",
        "unit_indicators",
        b("unit_indicators", STEEP_DEG="NaN"),
        names=("STEEP_DEG", "threshold", "阈值"),
    ),
    Case(
        "steep-deg-inf",
        "params",
        "unit_indicators",
        b("unit_indicators", STEEP_DEG="inf"),
        names=("STEEP_DEG", "threshold", "阈值"),
    ),
    Case("k-factor-nan", "params", "csle", b("csle", K="NaN"), names=("K",)),
    Case(
        "slope-length-inf",
        "params",
        "csle",
        b("csle", SLOPE_LENGTH="inf"),
        names=("SLOPE_LENGTH", "Slope length", "坡长"),
    ),
    Case("min-patch-nan", "params", "checks", b("checks", MIN_PATCH_HA="NaN"), names=("MIN_PATCH_HA", "patch", "图斑")),
    Case("dpi-abc", "params", "publish", b("publish", DPI="abc"), names=("DPI", "resolution", "分辨率")),
    # raster inputs
    Case(
        "truncated-geotiff",
        "raster",
        "slope",
        b("slope", INPUT=lambda c: truncated(c.w.dem, c.d / "dem_cut.tif")),
        names=N_DEM + ("dem_cut",),
    ),
    Case(
        "truncated-geotiff",
        "raster",
        "watersheds",
        b("watersheds", INPUT=lambda c: truncated(c.w.dem, c.d / "dem_cut.tif")),
        names=N_DEM + ("dem_cut",),
    ),
    Case(
        "corrupt-deflate-geotiff",
        "raster",
        "steep_slope",
        b("steep_slope", INPUT=lambda c: corrupt_deflate(c.w.dem, c.d / "dem_bad.tif")),
        names=N_DEM + ("dem_bad",),
    ),
    Case(
        "truncated-dem",
        "raster",
        "csle",
        b("csle", DEM=lambda c: truncated(c.w.dem, c.d / "dem_cut.tif")),
        names=N_DEM + ("dem_cut",),
    ),
    Case(
        "truncated-landuse",
        "raster",
        "unit_indicators",
        b("unit_indicators", LANDUSE=lambda c: truncated(c.w.demo["landuse"], c.d / "lu_cut.tif", 0.4)),
        names=("LANDUSE", "Land use", "土地利用", "lu_cut"),
    ),
    Case("dem-1x1", "raster", "slope", b("slope", INPUT=lambda c: tiny_dem(c, 1)), names=N_DEM),
    Case("dem-2x2", "raster", "slope", b("slope", INPUT=lambda c: tiny_dem(c, 2)), names=N_DEM),
    Case(
        "dem-2x2", "raster", "watersheds", b("watersheds", INPUT=lambda c: tiny_dem(c, 2), COUNTIES=None), names=N_DEM
    ),
    Case("metres-labelled-4326", "raster", "slope", b("slope", INPUT=dem_labelled_4326), names=N_DEM),
    Case("metres-labelled-4326", "raster", "steep_slope", b("steep_slope", INPUT=dem_labelled_4326), names=N_DEM),
    Case("web-mercator", "raster", "watersheds", b("watersheds", INPUT=dem_web_mercator), names=N_DEM),
    Case(
        "erosion-all-nodata",
        "raster",
        "unit_indicators",
        b("unit_indicators", EROSION=lambda c: raster_of(c, c.w.demo["erosion"], "eros_nd.tif", all_nodata)),
        names=("EROSION", "erosion", "侵蚀"),
    ),
    Case(
        "fvc-all-nodata",
        "raster",
        "unit_indicators",
        b("unit_indicators", FVC=lambda c: raster_of(c, c.w.demo["fvc"], "fvc_nd.tif", all_nodata)),
        names=("FVC", "Vegetation", "植被"),
    ),
    Case(
        "dem-all-nodata",
        "raster",
        "steep_slope",
        b("steep_slope", INPUT=lambda c: raster_of(c, c.w.dem, "dem_nd.tif", all_nodata)),
        names=N_DEM,
    ),
    Case(
        "erosion-on-too-few-cells",
        "raster",
        "unit_indicators",
        b("unit_indicators", EROSION=lambda c: raster_of(c, c.w.demo["erosion"], "eros_few.tif", mostly_nodata)),
        expect="ok",
        check=check_little_data,
    ),
    Case(
        "vrt-of-vsicurl",
        "raster",
        "slope",
        b("slope", INPUT=lambda c: vrt_remote(c, c.w.dem)),
        names=N_DEM + ("vsicurl", "remote.vrt"),
    ),
    Case(
        "vrt-of-vsicurl",
        "raster",
        "steep_slope",
        b("steep_slope", INPUT=lambda c: vrt_remote(c, c.w.dem)),
        names=N_DEM + ("vsicurl", "remote.vrt"),
    ),
    Case(
        "vrt-of-vsicurl-erosion",
        "raster",
        "unit_indicators",
        b("unit_indicators", EROSION=lambda c: vrt_remote(c, c.w.demo["erosion"])),
        names=("EROSION", "erosion", "侵蚀", "vsicurl", "remote.vrt"),
    ),
    # vector inputs
    Case(
        "gbk-shapefile-without-cpg",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY=county_gbk_shapefile, COUNTY_CODE_FIELD="code", COUNTY_NAME_FIELD="name"),
        expect="ok",
        check=lambda c, p, o: check_names(c.w.county_gdf()["county_name"].iloc[0])(c, p, o),
    ),
    Case("real-jilin-shapefile", "vector", "steep_slope", jilin, expect="ok", check=check_jilin),
    Case(
        "county-with-zm",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY=county_zm),
        expect="either",
        names=("COUNTY", "县界", "county"),
        check=check_same_total,
    ),
    Case(
        "county-with-zm",
        "vector",
        "publish",
        b("publish", COUNTIES=county_zm),
        expect="either",
        names=("COUNTIES", "县界", "count"),
    ),
    Case(
        "duplicate-county-codes",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY=lambda c: county_halves(c, ["220521", "220521"], ["通化县", "柳河县"])),
        names=("COUNTY", "县界", "county", "220521"),
    ),
    Case(
        "duplicate-county-codes",
        "vector",
        "publish",
        b("publish", COUNTIES=lambda c: county_halves(c, ["220521", "220521"], ["通化县", "柳河县"])),
        names=("COUNTIES", "县界", "county", "220521"),
    ),
    Case(
        "duplicate-county-codes",
        "vector",
        "watersheds",
        b("watersheds", COUNTIES=lambda c: county_halves(c, ["220521", "220521"], ["通化县", "柳河县"])),
        names=("COUNTIES", "县", "count", "220521"),
    ),
    Case(
        "duplicate-township-codes",
        "vector",
        "steep_slope",
        b(
            "steep_slope",
            TOWNSHIPS=townships_same_code,
            TOWNSHIP_CODE_FIELD="township_code",
            TOWNSHIP_NAME_FIELD="township_name",
        ),
        names=("TOWNSHIPS", "乡镇", "township"),
    ),
    Case(
        "self-intersecting-county",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY=county_bowtie),
        expect="either",
        names=("COUNTY", "县界", "county"),
    ),
    Case(
        "invalid-patch-without-repair",
        "vector",
        "export",
        b("export", STEEP_PATCHES=steep_with_bowtie, REPAIR=False),
        names=("STEEP_PATCHES", "Steep", "陡坡"),
    ),
    Case(
        "missing-code-field",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY_CODE_FIELD="no_such_field"),
        names=("COUNTY", "县界", "no_such_field"),
    ),
    Case(
        "missing-name-field",
        "vector",
        "publish",
        b("publish", COUNTY_NAME_FIELD="no_such_field"),
        names=("COUNTIES", "县界", "no_such_field"),
    ),
    Case(
        "units-without-indicators",
        "vector",
        "zoning",
        b("zoning", INPUT=lambda c: c.w.units),
        names=("INPUT", "indicators", "指标"),
    ),
    Case(
        "empty-county-layer",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY=county_empty),
        names=("COUNTY", "县界", "county"),
    ),
    Case(
        "empty-unit-layer",
        "vector",
        "import_units",
        b(
            "import_units",
            INPUT=lambda c: write_gdf(
                gpd.read_file(c.w.units.split("|")[0], layer="units").iloc[0:0], c.d / "empty.gpkg", "units"
            ),
        ),
        names=("INPUT", "small-watershed", "小流域"),
    ),
    Case(
        "county-metres-labelled-4326",
        "vector",
        "steep_slope",
        b("steep_slope", COUNTY=county_wrong_crs),
        names=("COUNTY", "县界", "county"),
    ),
    Case(
        "boundary-metres-labelled-4326",
        "vector",
        "checks",
        b("checks", BOUNDARY=county_wrong_crs),
        names=("BOUNDARY", "boundary", "县界"),
    ),
    # files
    Case(
        "rule-file-not-utf8",
        "files",
        "zoning",
        b("zoning", RULES_FILE=rules_not_utf8),
        names=("RULES_FILE", "rule", "规则", "rules_gbk"),
    ),
    Case(
        "rule-file-broken-json",
        "files",
        "zoning",
        b("zoning", RULES_FILE=rules_broken_json),
        names=("RULES_FILE", "rule", "规则", "rules_broken"),
    ),
    Case(
        "schema-bad-field-types",
        "files",
        "export",
        b("export", SCHEMA=schema_bad_types),
        names=("SCHEMA", "schema", "模式", "schema_bad"),
    ),
    Case(
        "landuse-mapping-bad",
        "files",
        "unit_indicators",
        b("unit_indicators", LANDUSE_MAPPING=landuse_mapping_bad),
        names=("LANDUSE_MAPPING", "mapping", "映射", "landuse_bad"),
    ),
    Case(
        "landuse-mapping-not-utf8",
        "files",
        "unit_indicators",
        b("unit_indicators", LANDUSE_MAPPING=landuse_mapping_gbk),
        names=("LANDUSE_MAPPING", "mapping", "映射", "landuse_gbk"),
    ),
    # tables
    Case(
        "county-name-formula",
        "tables",
        "steep_slope",
        b("steep_slope", COUNTY=lambda c: county_named(c, '=HYPERLINK("http://example.invalid","通化县")')),
        expect="ok",
        check=formula_free("HYPERLINK"),
    ),
    Case(
        "township-name-formula",
        "tables",
        "steep_slope",
        b(
            "steep_slope",
            TOWNSHIPS=township_formula,
            TOWNSHIP_CODE_FIELD="township_code",
            TOWNSHIP_NAME_FIELD="township_name",
        ),
        expect="ok",
        check=formula_free("SUM(1+1)"),
    ),
    Case("county-name-formula", "tables", "zoning", zoning_formula, expect="ok", check=check_zoning_csv_escaped),
    # publish
    Case(
        "title-with-brace",
        "publish",
        "publish",
        b("publish", TITLE="{county_name}水土保持{草案"),
        expect="ok",
        check=check_title_literal("水土保持{草案"),
    ),
    Case(
        "batch-codes-one-file-name",
        "publish",
        "publish",
        publish_batch_collision,
        names=("COUNTY_CODE_FIELD", "county_code", "22/0521", "22:0521", "县界"),
    ),
    # concurrency, disk full, signals
    Case("two-runs-one-output", "concurrency", "steep_slope", driver=concurrent_steep),
    Case("two-runs-overwrite-false", "concurrency", "export", driver=concurrent_export_no_overwrite),
    Case(
        "full-disk",
        "disk",
        "slope",
        full_disk("slope", "OUTPUT", "slope.tif"),
        names=("OUTPUT", "slope.tif", "Slope", "disk", "磁盘"),
    ),
    Case(
        "full-disk",
        "disk",
        "csle",
        full_disk("csle", "OUTPUT", "erosion.tif"),
        names=("OUTPUT", "erosion.tif", "Erosion", "disk", "磁盘"),
    ),
    Case(
        "full-disk",
        "disk",
        "publish",
        full_disk("publish", "OUTPUT_FOLDER", "publication"),
        names=("OUTPUT_FOLDER", "publication", "disk", "磁盘"),
    ),
    Case(
        "full-disk",
        "disk",
        "steep_slope",
        full_disk("steep_slope", "OUTPUT", "steep.gpkg"),
        names=("OUTPUT", "steep.gpkg", "disk", "磁盘"),
    ),
    # supervision, roll-up and change (issue 17 item 5, issue 18 item 4)
    *[
        Case(
            "existing-folder-as-output",
            "output",
            alg,
            existing_folder_as(alg, "OUTPUT"),
            names=("OUTPUT", "GeoPackage", "user_folder"),
        )
        for alg in ("disturbance_check", "rollup", "change")
    ],
    Case(
        "existing-folder-as-report",
        "output",
        "change",
        existing_folder_as("change", "REPORT"),
        names=("REPORT", "HTML report", "user_folder"),
    ),
    Case(
        "existing-folder-as-metadata",
        "output",
        "rollup",
        existing_folder_as("rollup", "METADATA"),
        names=("METADATA", "metadata", "user_folder"),
    ),
    *[
        Case(
            "gpkg-with-user-layer-as-output",
            "output",
            alg,
            into_user_gpkg(alg),
            expect="ok",
            check=check_layers_kept("mine.gpkg", written),
        )
        for alg, written in (
            ("disturbance_check", {"disturbance_patches"}),
            ("rollup", {"county", "province"}),
            ("change", {"unit_change", "county_change"}),
        )
    ],
    *[
        Case(
            "user-file-as-output",
            "output",
            alg,
            user_file_as(alg, "OUTPUT", "mine.gpkg"),
            names=("OUTPUT", "GeoPackage", "mine.gpkg"),
        )
        for alg in ("disturbance_check", "rollup", "change")
    ],
    Case(
        "previous-year-is-the-output",
        "output",
        "disturbance_check",
        disturbance_previous_is_output,
        names=("Last year", "PREVIOUS", "checked.gpkg"),
    ),
    Case(
        "patches-invalid-geometry",
        "vector",
        "disturbance_check",
        b("disturbance_check", PATCHES=patches(_bowtie_first)),
        names=("PATCHES", "扰动图斑", "Disturbance patches", "patches"),
    ),
    Case(
        "patches-without-id-field",
        "vector",
        "disturbance_check",
        b("disturbance_check", PATCHES=patches(_drop("图斑编号"))),
        names=("PATCHES", "扰动图斑", "Disturbance patches", "patches"),
    ),
    Case(
        "patches-repeated-ids",
        "vector",
        "disturbance_check",
        b("disturbance_check", PATCHES=patches(_set("图斑编号", "220521-2025-001"))),
        names=("PATCHES", "扰动图斑", "Disturbance patches", "patches"),
    ),
    Case(
        "patches-without-crs",
        "vector",
        "disturbance_check",
        b("disturbance_check", PATCHES=patches(_no_crs)),
        names=("PATCHES", "扰动图斑", "Disturbance patches", "patches"),
    ),
    Case(
        "zones-without-zone-id",
        "vector",
        "disturbance_check",
        b(
            "disturbance_check",
            ZONES=lambda c: edited(c, layer(c.w.chain["zoning"]["OUTPUT"], "zones"), "zones.gpkg", _drop("zone_id")),
        ),
        names=("ZONES", "Zones", "zones"),
    ),
    Case(
        "counties-wrong-codes",
        "vector",
        "disturbance_check",
        b("disturbance_check", COUNTIES=lambda c: edited(c, c.w.county, "county.gpkg", _set("county_code", "通化"))),
        names=("COUNTIES", "Counties", "county"),
    ),
    Case(
        "units-invalid-geometry",
        "vector",
        "rollup",
        b("rollup", INPUT=zoned_units(_bowtie_first)),
        names=("INPUT", "Unit indicators", "zoned"),
    ),
    Case(
        "units-without-county-code",
        "vector",
        "rollup",
        b("rollup", INPUT=zoned_units(_drop("county_code"))),
        names=("INPUT", "Unit indicators", "zoned", "county_code"),
    ),
    Case(
        "units-unknown-county-code",
        "vector",
        "rollup",
        b("rollup", INPUT=zoned_units(_set("county_code", "229999"))),
        names=("INPUT", "Unit indicators", "zoned", "229999"),
    ),
    Case(
        "units-without-crs",
        "vector",
        "rollup",
        b("rollup", INPUT=zoned_units(_no_crs)),
        names=("INPUT", "Unit indicators", "zoned"),
    ),
    Case(
        "targets-broken-json",
        "files",
        "rollup",
        b("rollup", TARGETS=lambda c: str(truncated(resources_file("rules", "targets_jilin.json"), c.d / "t.json"))),
        names=("TARGETS", "targets", "目标", "t.json"),
    ),
    Case(
        "units-invalid-geometry",
        "vector",
        "change",
        b("change", UNITS=units(_bowtie_first)),
        names=("UNITS", "Small watersheds", "units"),
    ),
    Case(
        "units-without-unit-code",
        "vector",
        "change",
        b("change", UNITS=units(_drop("unit_code"))),
        names=("UNITS", "Small watersheds", "units", "unit_code"),
    ),
    Case(
        "units-without-crs",
        "vector",
        "change",
        b("change", UNITS=units(_no_crs)),
        names=("UNITS", "Small watersheds", "units"),
    ),
    Case(
        "counties-wrong-codes",
        "vector",
        "change",
        b("change", COUNTIES=lambda c: edited(c, c.w.county, "county.gpkg", _set("county_code", "通化"))),
        names=("COUNTIES", "County polygons", "county"),
    ),
    Case(
        "later-erosion-without-crs",
        "raster",
        "change",
        b("change", EROSION_AFTER=lambda c: raster_without_crs(c.w.demo["erosion_later"], "ero_nocrs.tif")(c)),
        names=("EROSION_AFTER", "Erosion, later year", "ero_nocrs"),
    ),
    Case(
        "later-erosion-other-grid",
        "raster",
        "change",
        b(
            "change",
            EROSION_AFTER=lambda c: raster_of(
                c, c.w.demo["erosion_later"], "ero_shifted.tif", transform=_shifted(c.w.demo["erosion_later"])
            ),
        ),
        names=("EROSION_AFTER", "Erosion, later year", "ero_shifted"),
    ),
    Case("sigint-while-working", "signals", "steep_slope", driver=signal_driver(signal.SIGINT)),
    Case("sigterm-while-working", "signals", "steep_slope", driver=signal_driver(signal.SIGTERM)),
]

assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"
_ = shutil  # (kept for builders that copy folders)
