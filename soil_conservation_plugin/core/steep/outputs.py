"""Outputs of the steep-slope delineation: patch layer (GPKG), announcement tables (CSV, XLSX), metadata.

Table rows are sums of the layer's piece areas, and each table's total row is
the rounded sum of all piece areas, so totals equal the layer to 0.01 ha.
All files are written atomically.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..common.errors import InputError
from ..common.headers import field_alias, header, headers_citation, table_columns
from ..common.io import atomic_path, write_json
from ..common.metadata import metadata_path, run_metadata
from ..common.tables import save_workbook, xlsx_row
from ..common.tables import write_csv as write_rows_csv
from .result import OUTSIDE_TOWNSHIP, OUTSIDE_UNIT, SteepResult

LAYER_NAME = "steep_slope"
BOUNDARY_RULE = (
    "inside the county, patch edges follow the slope raster's cell edges; along the county, 乡镇, 小流域 and exclusion "
    "boundaries the steep cells a polygon touches are clipped exactly by the polygons (county ∩, exclusions −, split "
    "by 乡镇 and 小流域) / 县内图斑边界沿栅格边；县界、乡镇界、小流域界与排除图层边界处按多边形精确裁切"
)
AREA_RULE = (
    "ellipsoidal area of each final piece polygon "
    "(exact cell areas inside + pyproj Geod area of the clipped boundary parts), 公顷 ha"
)
MIN_PATCH_RULE = (
    "applies to the whole patch's final area: "
    "after clipping to the county and erasing the exclusions, before the 乡镇/小流域 split"
)
SLOPE_RULE = (
    "slope_mean/slope_max over the cells whose centre lies in the piece "
    "(a sliver holding no cell centre: the cells it overlaps)"
)
XLSX_MAX_ROWS = 1_048_575
TOTAL = ("合计", "total")


def layer_fields(res: SteepResult) -> list[tuple[str, str, str]]:
    """(field, OGR type, Chinese alias); names ≤ 10 ASCII characters (Shapefile-safe).

    The aliases are the layer's (resources/styles/field_aliases.json, as the plugin shows them), not table
    headers."""
    fields = [(name, "str") for name in ("patch_id", "parent_id", "cnty_code", "cnty_name", "twn_code", "twn_name")]
    if res.units is not None:
        fields += [("unit_code", "str"), ("unit_name", "str")]
    fields += [(name, "real") for name in ("area_ha", "slope_mean", "slope_max", "thresh_deg")]
    return [(name, kind, field_alias(name)) for name, kind in fields]


def piece_rows(res: SteepResult) -> list[dict]:
    rows = []
    for p in res.pieces:
        t_code, t_name = _zone(res.townships, p.township, OUTSIDE_TOWNSHIP)
        row = {
            "patch_id": p.patch_id,
            "parent_id": p.parent_id,
            "cnty_code": res.counties.codes[p.county - 1],
            "cnty_name": res.counties.names[p.county - 1],
            "twn_code": t_code,
            "twn_name": t_name,
        }
        if res.units is not None:
            row["unit_code"], row["unit_name"] = _zone(res.units, p.unit, OUTSIDE_UNIT)
        row.update(area_ha=p.area_ha, slope_mean=p.slope_mean, slope_max=p.slope_max, thresh_deg=res.threshold.value)
        rows.append(row)
    return rows


def _zone(zones, idx: int, outside) -> tuple[str, str]:
    if zones is None:
        return "", ""
    if idx == 0:
        return outside
    return zones.codes[idx - 1], zones.names[idx - 1]


def _r2(x: float) -> float:
    return round(x + 0.0, 2)


def _aggregate(pieces, key) -> dict:
    """key(piece) → [area_ha sum, set of parent ids], in one pass."""
    out: dict = {}
    for p in pieces:
        acc = out.setdefault(key(p), [0.0, set()])
        acc[0] += p.area_ha
        acc[1].add(p.parent_id)
    return out


COVER_COLUMN = "dem_cover_pct"
COVERAGE_KEY = "DEM_COVER_PCT"  # layer metadata: JSON {county code: percent}


def county_table(res: SteepResult, coverage: dict | None = None) -> list[dict]:
    """``coverage``: county code → covered share 0…1 (core.common.coverage); adds the dem_cover_pct column."""
    agg = _aggregate(res.pieces, lambda p: p.county)
    rows = []
    for c in res.counties_on_dem:  # counties off the DEM were reported, not tabulated as 0 ha
        area, parents = agg.get(c, (0.0, ()))
        code = res.counties.codes[c - 1]
        row = {
            "county_code": code,
            "county_name": res.counties.names[c - 1],
            "patch_count": len(parents),
            "area_ha": _r2(area),
        }
        if coverage is not None:
            share = coverage.get(code)
            row[COVER_COLUMN] = "" if share is None else round(100.0 * share, 1)
        rows.append(row)
    total = {
        "county_code": TOTAL[0],
        "county_name": TOTAL[1],
        "patch_count": res.patch_count,
        "area_ha": _r2(sum(p.area_ha for p in res.pieces)),
    }
    if coverage is not None:
        total[COVER_COLUMN] = ""
    rows.append(total)
    return rows


def _zone_table(res: SteepResult, zones, attr: str, pairs: dict, outside, code_key: str, name_key: str) -> list[dict]:
    agg = _aggregate(res.pieces, lambda p: (p.county, getattr(p, attr)))
    rows = []
    for c in res.counties_on_dem:
        present = set(pairs.get(c, [])) | {z for (cc, z) in agg if cc == c}
        # zones in code order; the part outside every zone last
        ordered = sorted((z for z in present if z), key=lambda z: (zones.codes[z - 1], z)) + (
            [0] if 0 in present else []
        )
        for z in ordered:
            area, parents = agg.get((c, z), (0.0, ()))
            code, name = _zone(zones, z, outside)
            rows.append(
                {
                    "county_code": res.counties.codes[c - 1],
                    "county_name": res.counties.names[c - 1],
                    code_key: code,
                    name_key: name,
                    "patch_count": len(parents),
                    "area_ha": _r2(area),
                }
            )
    rows.append(
        {
            "county_code": TOTAL[0],
            "county_name": TOTAL[1],
            code_key: "",
            name_key: "",
            "patch_count": res.patch_count,
            "area_ha": _r2(sum(p.area_ha for p in res.pieces)),
        }
    )
    return rows


def township_table(res: SteepResult) -> list[dict] | None:
    if res.townships is None:
        return None
    return _zone_table(
        res, res.townships, "township", res.county_township, OUTSIDE_TOWNSHIP, "township_code", "township_name"
    )


def unit_table(res: SteepResult) -> list[dict] | None:
    if res.units is None:
        return None
    return _zone_table(res, res.units, "unit", res.county_unit, OUTSIDE_UNIT, "unit_code", "unit_name")


def write_csv(path: Path, rows: list[dict], columns) -> None:
    # utf-8-sig: Excel opens Chinese text correctly; cells escaped by core.common.tables
    write_rows_csv(path, [c for c, _ in columns], ([row[c] for c, _ in columns] for row in rows))


def write_layer(res: SteepResult, path, coverage: dict | None = None) -> None:
    """The patch layer as a GeoPackage (an empty result still gives a valid, empty layer); with
    ``coverage`` (county code → share) also the layer metadata item DEM_COVER_PCT the 公告 reads."""
    from osgeo import ogr, osr

    path = Path(path)
    if path.suffix.lower() != ".gpkg":
        raise InputError(
            "输出图层 output layer",
            f"输出图层必须是 GeoPackage (.gpkg): {path}",
            f"the output layer must be a GeoPackage (.gpkg): {path}",
        )
    ogr.UseExceptions()
    fields = layer_fields(res)
    with atomic_path(path) as tmp:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(tmp))
        lyr = defn = None
        try:
            srs = osr.SpatialReference()
            srs.ImportFromWkt(res.dem.crs.to_wkt())
            srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
            lyr = ds.CreateLayer(
                LAYER_NAME,
                srs,
                ogr.wkbMultiPolygon,
                options=["GEOMETRY_NAME=geom", f"DESCRIPTION=禁止开垦陡坡地 ≥{res.threshold.value:g}°"],
            )
            if (
                coverage is not None
            ):  # the 公告 reads it (one layer in the file: consumers open it without a layer name)
                lyr.SetMetadataItem(
                    COVERAGE_KEY, json.dumps({code: round(100.0 * share, 1) for code, share in coverage.items()})
                )
            for name, kind, alias in fields:
                fd = ogr.FieldDefn(name, ogr.OFTString if kind == "str" else ogr.OFTReal)
                if kind == "real":
                    fd.SetWidth(18)
                    fd.SetPrecision(4)
                fd.SetAlternativeName(alias)
                lyr.CreateField(fd)
            defn = lyr.GetLayerDefn()
            lyr.StartTransaction()
            setters = [(i, name, feat_setter(kind)) for i, (name, kind, _) in enumerate(fields)]
            for p, row in zip(res.pieces, piece_rows(res)):
                feat = ogr.Feature(defn)
                for i, name, setter in setters:
                    setter(feat, i, row[name])
                feat.SetGeometryDirectly(ogr.CreateGeometryFromWkb(p.wkb))
                lyr.CreateFeature(feat)
            lyr.CommitTransaction()
        finally:
            lyr = defn = ds = None  # close before atomic_path renames or removes the file


def feat_setter(kind: str):
    # SetFieldString skips ogr.Feature.SetField's Python-side type dispatch
    from osgeo import ogr

    return ogr.Feature.SetFieldString if kind == "str" else ogr.Feature.SetField


def write_xlsx(path: Path, tables: list[tuple[str, list[dict], list]], notes: list[tuple[str, str]]) -> bool:
    try:
        from openpyxl import Workbook
    except ImportError:
        return False
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)  # streaming: fast for long patch lists
    for title, rows, columns in tables:
        if len(rows) >= XLSX_MAX_ROWS:  # Excel's sheet limit; the CSV has them all
            notes = [
                *notes,
                (
                    title,
                    f"{len(rows)} 行，超过 Excel 上限，见 CSV / {len(rows)} rows exceed Excel's limit: see the CSV",
                ),
            ]
            continue
        ws = wb.create_sheet(title)
        for i, (en, zh) in enumerate(columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = max(14, len(en) + len(zh) * 2 + 3)
        ws.append(xlsx_row(ws, [f"{zh} {en}" for en, zh in columns]))
        for row in rows:
            ws.append(xlsx_row(ws, [row[c] for c, _ in columns]))
    ws = wb.create_sheet("说明 notes")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    for k, v in notes:
        ws.append(xlsx_row(ws, [k, v]))
    save_workbook(wb, path)
    return True


TABLE_KEYS = ("county_csv", "township_csv", "unit_csv", "patches_csv", "xlsx")


def output_paths(out_layer, tables_dir=None, destinations: dict | None = None) -> dict:
    """Where each output goes: the path the user gave, else beside the layer (tables: in ``tables_dir`` if given).

    Keys: layer, county_csv, township_csv, unit_csv, patches_csv, xlsx, metadata. Two outputs
    on one path are refused (one would silently replace the other).
    """
    out_layer = Path(out_layer)
    tables_dir = Path(tables_dir) if tables_dir else out_layer.parent
    stem = out_layer.stem
    paths = {"layer": out_layer}
    for key in TABLE_KEYS:
        paths[key] = tables_dir / (f"{stem}.xlsx" if key == "xlsx" else f"{stem}_{key[:-4]}.csv")
    paths["metadata"] = metadata_path(out_layer)
    for key, given in (destinations or {}).items():
        if key not in paths or key == "layer":
            raise ValueError(f"unknown steep-slope output {key!r}")
        if given:
            paths[key] = Path(given)
    seen: dict = {}
    for key, path in paths.items():
        resolved = path.resolve()
        if resolved in seen:
            raise InputError(
                "输出 outputs",
                f"输出 {seen[resolved]} 与 {key} 是同一个文件: {path}",
                f"the outputs {seen[resolved]} and {key} are the same file: {path}",
            )
        seen[resolved] = key
    return paths


def write_outputs(
    res: SteepResult,
    out_layer,
    tables_dir=None,
    inputs: dict | None = None,
    parameters: dict | None = None,
    feedback=None,
    destinations: dict | None = None,
    coverage: dict | None = None,
) -> dict:
    """Write the layer, the CSV/XLSX tables and the run metadata; return their paths.

    ``destinations``: paths the user chose, by the keys of ``output_paths``; the others go beside the layer.
    ``coverage``: county code → share of the county the DEM covers (core.common.coverage), in the county table,
    the notes, the metadata and the patch layer's metadata (DEM_COVER_PCT).
    """
    where = output_paths(out_layer, tables_dir, destinations)
    out_layer = where["layer"]
    write_layer(res, out_layer, coverage)
    paths = {"layer": str(out_layer)}
    patch_cols = [(n, a) for n, _, a in layer_fields(res)]
    county_cols = table_columns("county") + ([(COVER_COLUMN, header(COVER_COLUMN))] if coverage is not None else [])
    tables = [("县 county", county_table(res, coverage), county_cols, "county")]
    town_rows, unit_rows = township_table(res), unit_table(res)  # None without 乡镇 / 小流域
    if town_rows is not None:
        tables.append(("乡镇 township", town_rows, table_columns("township"), "township"))
    if unit_rows is not None:
        tables.append(("小流域 unit", unit_rows, table_columns("unit"), "unit"))
    tables.append(("图斑清单 patches", piece_rows(res), patch_cols, "patches"))
    for _, rows, cols, key in tables:
        p = where[f"{key}_csv"]
        write_csv(p, rows, cols)
        paths[f"{key}_csv"] = str(p)
    thr, mp = res.threshold, res.min_patch
    notes = [
        ("坡度阈值 threshold (°)", f"{thr.value:g}"),
        ("阈值来源 threshold source", f"{thr.scope}: {thr.source} [{thr.confidence}]"),
        (
            "最小图斑 minimum patch (ha)",
            f"{mp.value:g}"
            + (" — 默认值，非国家规定 / a default, not a national rule" if mp.default else " — set by the user"),
        ),
        ("最小图斑来源 minimum patch source", f"{mp.source} [{mp.confidence}]"),
        ("连通性 connectivity", str(res.connectivity)),
        ("边界规则 boundary rule", BOUNDARY_RULE),
        ("无数据规则 NoData rule", "cells without a full 3×3 DEM window have no slope and are never steep"),
        ("面积 area", AREA_RULE),
        ("最小图斑规则 minimum patch rule", MIN_PATCH_RULE),
        ("坡度统计 slope statistics", SLOPE_RULE),
        (
            "图斑数 patch count",
            "按原图斑计；跨乡镇/小流域的图斑在每个乡镇/小流域各计一次 / counts parent patches; a patch split by a "
            "border counts once on each side",
        ),
        ("规则版本 rules version", thr.rules_version),
        (
            "图斑清单 patch list",
            f"{where['patches_csv'].name} (UTF-8 带 BOM，可直接用 Excel 打开 / UTF-8 with BOM, opens in Excel)",
        ),
        *[
            (
                "DEM 覆盖率 DEM coverage",
                f"{code}: {100.0 * share:.1f}%"
                + ("" if share >= 0.995 else " — 部分覆盖，结果不完整 / partial coverage, the result is partial"),
            )
            for code, share in (coverage or {}).items()
        ],
        *[("提示 message", m) for m in res.messages],
    ]
    xlsx = where["xlsx"]
    # The workbook holds the announcement tables; the patch list (tens of thousands of rows in a
    # mountain county) stays in its CSV, which Excel opens as it is.
    if write_xlsx(xlsx, [(t, r, c) for t, r, c, key in tables if key != "patches"], notes):
        paths["xlsx"] = str(xlsx)
    meta = run_metadata(
        "steep_slope",
        inputs=inputs or {},
        parameters={
            **(parameters or {}),
            "threshold_deg": thr.value,
            "min_patch_ha": mp.value,
            "min_patch_is_default": mp.default,
            "min_patch_note": "a default, not a national rule" if mp.default else "set by the user",
            "connectivity": res.connectivity,
            "boundary_rule": BOUNDARY_RULE,
            "area_rule": AREA_RULE,
            "min_patch_rule": MIN_PATCH_RULE,
            "slope_statistics": SLOPE_RULE,
        },
        results={
            "patch_count": res.patch_count,
            "piece_count": len(res.pieces),
            "total_ha": round(sum(p.area_ha for p in res.pieces), 2),
            "messages": res.messages,
            **(
                {"dem_cover_pct": {code: round(100.0 * share, 1) for code, share in coverage.items()}}
                if coverage is not None
                else {}
            ),
            **res.stats,
            "outputs": dict(paths),
        },
        rules={"steep_slope_threshold": thr.as_dict(), "min_patch": mp.as_dict(), "table_headers": headers_citation()},
    )
    write_json(where["metadata"], meta)
    paths["metadata"] = str(where["metadata"])
    return paths
