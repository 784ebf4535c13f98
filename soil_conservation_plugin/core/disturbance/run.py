"""The disturbance check as one call: read and check every input, overlay, rate, match last year,
carry the 销号 statuses over, then write the GeoPackage, the 核查清单, the HTML report and the run
metadata."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyproj import CRS

from ..common.errors import InputError
from ..common.feedback import Feedback
from ..common.geo import AreaCalc
from ..common.metadata import run_metadata, write_run_metadata
from .checklist import ChecklistFiles, write_checklists
from .fields import FieldMapping, absent_field_notes, load_field_mapping
from .landuse import group_names, load_landuse_mapping, open_landuse
from .layers import PatchLayer, read_areas, read_divisions, read_patches, read_zones
from .overlay import ZONE_KINDS, Index, PatchOverlay, measures, overlay_patch
from .report import REPORT_NAME, write_report
from .risk import RiskResult, RiskRules, evaluate, load_risk_rules
from .status import StatusRecord, carry_over, records_from_rows, stored_table
from .store import LOG_TABLE, STATUS_TABLE, read_tables, write_result
from .yoy import YoyMatch, YoyMatcher, read_previous

PREFIX = {
    "steep": "steep",
    "key_prevention": "kp",
    "key_treatment": "kt",
    "severe": "severe",
    "fragile": "fragile",
    "redline": "red",
}
NAN = float("nan")


@dataclass
class DisturbanceInputs:
    """Paths (``file|layername=x`` allowed) and the names the user knows them by."""

    patches: str
    counties: str
    steep: str | None = None
    zones: str | None = None
    redline: str | None = None
    units: str | None = None
    townships: str | None = None
    landuse: str | None = None
    previous: str | None = None
    fields_file: str | None = None
    rules_file: str | None = None
    landuse_mapping: str | None = None
    encoding: str | None = None
    labels: dict = field(default_factory=dict)

    def label(self, key: str) -> str:
        return self.labels.get(key, DEFAULT_LABELS[key])

    def paths(self) -> dict:
        return {k: getattr(self, k) for k in DEFAULT_LABELS if getattr(self, k)}


DEFAULT_LABELS = {
    "patches": "扰动图斑 disturbance patches",
    "counties": "县界 counties",
    "steep": "禁止开垦陡坡地 steep slopes",
    "zones": "重点区域 zones",
    "redline": "生态保护红线 red line",
    "units": "小流域 small watersheds",
    "townships": "乡镇 townships",
    "landuse": "土地利用 land use",
    "previous": "上年图斑 last year's patches",
}


@dataclass
class Prepared:
    """Every input read and checked; nothing computed yet."""

    patches: PatchLayer
    mapping: FieldMapping
    rules: RiskRules
    landuse_mapping: dict
    zones: dict  # kind → Index | None
    divisions: dict  # county / township / unit → Index | None
    landuse: Any
    previous: Any  # PreviousLayer | None
    notes: list = field(default_factory=list)  # what reading found (repairs, unknown zone values)


@dataclass
class DisturbanceResult:
    crs: CRS
    rows: list  # one dict per patch, the fields of store.PATCH_FIELDS
    geoms: list
    status: list  # StatusRecord to store
    log: list
    prepared: Prepared
    counts: dict
    carried: int  # statuses carried over from the existing GeoPackage


def prepare(inputs: DisturbanceInputs) -> Prepared:
    """Rule files first, then every layer: each bad input refused before any overlay."""
    mapping = load_field_mapping(inputs.fields_file)
    rules = load_risk_rules(inputs.rules_file)
    lu_mapping = load_landuse_mapping(inputs.landuse_mapping)
    groups = {g["id"] for g in lu_mapping["groups"]} | {"other"}
    unknown = sorted(rules.landuse_groups() - groups)
    if unknown:
        raise InputError(
            f"风险规则 risk rules {Path(rules.path).name}",
            f"规则引用的地类分组不在土地利用映射中: {', '.join(unknown)}",
            f"the rules name land-use groups the land-use mapping lacks: {', '.join(unknown)}",
        )
    enc = inputs.encoding
    patches = read_patches(inputs.patches, inputs.label("patches"), mapping, enc)
    crs = patches.crs
    notes = absent_field_notes(patches.columns, mapping, rules, patches.label)
    zones: dict = dict.fromkeys(ZONE_KINDS)
    if inputs.steep:
        zones["steep"] = Index(read_areas(inputs.steep, inputs.label("steep"), crs, ("steep_slope",), enc))
    if inputs.redline:
        red_layers = ("生态保护红线", "陆域生态保护红线", "STBHHX")
        zones["redline"] = Index(read_areas(inputs.redline, inputs.label("redline"), crs, red_layers, enc))
    if inputs.zones:
        kinds, unknown_values = read_zones(inputs.zones, inputs.label("zones"), crs, mapping, enc)
        zones.update({k: Index(layer) for k, layer in kinds.items()})
        if unknown_values:
            notes.append(
                f"{inputs.label('zones')}: zone values not recognised 未识别的区类型: {', '.join(unknown_values)}"
            )
    divisions: dict = {
        "county": Index(read_divisions(inputs.counties, inputs.label("counties"), crs, "county", mapping, (), enc))
    }
    for key, attr, preferred in (("township", "townships", ("townships",)), ("unit", "units", ("units",))):
        path = getattr(inputs, attr)
        divisions[key] = (
            Index(read_divisions(path, inputs.label(attr), crs, key, mapping, preferred, enc)) if path else None
        )
    for _kind, idx in [*zones.items(), *divisions.items()]:
        if idx is not None and idx.layer.repaired:
            notes.append(f"{idx.layer.label}: {idx.layer.repaired} invalid geometries repaired 个无效几何已修复")
    landuse = (
        open_landuse(inputs.landuse, inputs.label("landuse"), crs, mapping, lu_mapping, enc) if inputs.landuse else None
    )
    previous = read_previous(inputs.previous, inputs.label("previous"), crs, mapping, enc) if inputs.previous else None
    if previous is not None and not previous.has_status:
        notes.append(f"{previous.label}: no status field, so no patch counts as closed 无核查状态字段")
    return Prepared(patches, mapping, rules, lu_mapping, zones, divisions, landuse, previous, notes)


def in_crs(geoms: list, source: CRS | None, target: CRS) -> list:
    """Geometries taken from ``source`` to ``target`` (as they are when either is unknown or both agree)."""
    if source is None or source.equals(target):
        return geoms
    from pyproj import Transformer

    from ..common.compat import transform_xy

    to_target = Transformer.from_crs(source, target, always_xy=True)
    return [transform_xy(to_target.transform, g) if g is not None else None for g in geoms]


def _r2(x: float) -> float:
    return round(float(x), 2) if x == x else NAN


def _row(p, ov: PatchOverlay, risk: RiskResult, yoy: YoyMatch | None, st: StatusRecord, prep: Prepared) -> dict:
    names = group_names(prep.landuse_mapping)
    row = {k: p[k] for k in ("patch_id", "year", "dist_type", "project", "builder", "approval")}
    row.update(appr_state=p["approval_state"], issued_ha=_r2(p["area_issued_ha"]), area_ha=_r2(ov.area_ha))
    row.update(cnty_code=ov.county.code, cnty_name=ov.county.name, cnty_pct=_r2(ov.county.pct))
    for key, prefix in (("township", "twn"), ("unit", "unit")):
        d = getattr(ov, key)
        row[f"{prefix}_code"], row[f"{prefix}_name"] = (d.code, d.name) if d is not None else ("", "")
    for kind, o in ov.zones.items():
        row[f"{PREFIX[kind]}_ha"] = _r2(o.ha) if o is not None else NAN
        row[f"{PREFIX[kind]}_pct"] = _r2(o.pct) if o is not None else NAN
    lu = ov.landuse
    row["lu_main"] = names.get(lu.main, lu.main) if lu is not None else ""
    row["crop_pct"] = _r2(lu.pct.get("cropland", 0.0)) if lu is not None else NAN
    row["lu_shares"] = json.dumps({k: round(v, 2) for k, v in lu.pct.items()}, ensure_ascii=False) if lu else ""
    rule = next((r for r in prep.rules.rules if r.id == risk.rule), None)
    row.update(risk=risk.cls.id, risk_zh=risk.cls.zh, risk_rank=risk.cls.rank, rule=risk.rule)
    row.update(rule_zh=rule.zh if rule else "未触发规则（默认等级）", rules_all=";".join(risk.fired))
    row["risk_audit"] = risk.audit_json()
    if yoy is not None:
        row.update(yoy=yoy.kind, yoy_zh=yoy.zh, prev_id=yoy.prev_id, prev_year=yoy.prev_year)
        row.update(prev_stat=yoy.prev_status, prev_pct=_r2(yoy.overlap_pct))
    else:
        row.update(yoy="", yoy_zh="", prev_id="", prev_year="", prev_stat="", prev_pct=NAN)
    row.update({k: getattr(st, k) for k in ("status", "verdict", "checked_on", "rectify_on", "closed_on")})
    row.update(comment=st.comment, reviewer=st.reviewer, rules_ver=prep.rules.version)
    return row


def _counts(rows: list[dict], prep: Prepared) -> dict:
    counts: dict = {"patches": len(rows), "risk": {}, "yoy_per_county": {}}
    for c in prep.rules.classes.values():
        counts["risk"][c.id] = sum(1 for r in rows if r["risk"] == c.id)
    if prep.previous is not None:
        for r in rows:
            county = counts["yoy_per_county"].setdefault(r["cnty_code"], {"new": 0, "same": 0, "closed": 0})
            county[r["yoy"]] += 1
    return counts


def run_check(inputs: DisturbanceInputs, existing_output=None, feedback: Feedback | None = None) -> DisturbanceResult:
    """The whole check in memory; ``existing_output``: the GeoPackage whose statuses are carried over."""
    feedback = feedback or Feedback()
    prep = prepare(inputs)
    feedback.progress(10)
    gdf = prep.patches.gdf
    crs = prep.patches.crs
    area = AreaCalc(crs)
    matcher = YoyMatcher(prep.previous, area, prep.rules.min_overlap_pct) if prep.previous is not None else None
    groups = tuple(g["id"] for g in prep.landuse_mapping["groups"])
    tables = read_tables(existing_output) if existing_output else {}
    old_rows, old_geoms, old_crs = tables.get(STATUS_TABLE, ([], [], None))
    old_geoms = in_crs(old_geoms, old_crs, crs)  # the patches may come in another CRS this year
    keys = list(zip(gdf["patch_id"], gdf["year"]))
    statuses, left = carry_over(keys, list(gdf.geometry.values), records_from_rows(old_rows, old_geoms), crs)
    rows = []
    n = len(gdf)
    for i, (p, geom) in enumerate(zip(gdf.to_dict("records"), gdf.geometry.values)):
        feedback.check()
        ov = overlay_patch(geom, area, prep.zones, prep.divisions, prep.landuse)
        yoy = matcher.match(geom, ov.area_ha * 10_000.0) if matcher is not None else None
        values = measures(ov, p["approval_state"], p["dist_type"], yoy.kind if yoy else None, groups)
        rows.append(_row(p, ov, evaluate(prep.rules, values), yoy, statuses[i], prep))
        feedback.progress(10 + 80 * (i + 1) / n)
    if hasattr(prep.landuse, "close"):
        prep.landuse.close()
    carried = sum(1 for s in statuses if s.updated_at)
    log = tables.get(LOG_TABLE, ([], [], None))[0]
    return DisturbanceResult(
        crs, rows, list(gdf.geometry.values), stored_table(statuses, left), log, prep, _counts(rows, prep), carried
    )


def _notes(result: DisturbanceResult) -> list[list]:
    prep = result.prepared
    return [
        [
            "风险规则 risk rules",
            f"{prep.rules.path} version {prep.rules.version} ({prep.rules.tag}): {prep.rules.source}",
        ],
        ["字段映射 field mapping", f"{prep.mapping.path} version {prep.mapping.version} ({prep.mapping.tag})"],
        [
            "面积 area",
            "椭球面积（pyproj Geod，图层自身椭球），公顷，保留两位小数 / "
            "ellipsoidal area on the layer's ellipsoid, ha, 0.01",
        ],
        ["默认值 defaults", "规则与阈值为默认值，不是标准 / the rules and thresholds are defaults, not a standard"],
        *[["说明 note", n] for n in prep.notes],
    ]


def write_outputs(result: DisturbanceResult, gpkg, checklist_dir, inputs: DisturbanceInputs) -> dict:
    """GeoPackage, 核查清单, HTML report (in the 核查清单 folder) and run metadata, each through
    atomic_path (committed with the run's set)."""
    write_result(gpkg, result.crs, result.rows, result.geoms, result.status, result.log)
    prep = result.prepared
    classes = sorted(prep.rules.classes.values(), key=lambda c: c.rank)
    notes = _notes(result)
    files: ChecklistFiles = write_checklists(checklist_dir, result.rows, classes, prep.previous is not None, notes)
    report = write_report(Path(checklist_dir) / REPORT_NAME, result.rows, classes, notes)
    meta = run_metadata(
        "disturbance_check",
        {k: str(v).split("|")[0] for k, v in inputs.paths().items()}
        | {"fields_file": prep.mapping.path, "rules_file": prep.rules.path},
        {
            "inputs": {k: str(v) for k, v in inputs.paths().items()},
            "crs": result.crs.to_string(),
            "patch_encoding": prep.patches.encoding,
            "patch_fields": prep.patches.columns,
            "area_method": "pyproj Geod on the patch layer's ellipsoid",
        },
        {**result.counts, "statuses_carried_over": result.carried, "notes": prep.notes},
        {
            "disturbance_fields": prep.mapping.citation(),
            "disturbance_risk": prep.rules.citation(),
            "landuse_mapping": {
                "version": prep.landuse_mapping.get("version"),
                "source": prep.landuse_mapping.get("source"),
            },
        },
        encoding=inputs.encoding,
    )
    meta["outputs"] = {
        "gpkg": str(gpkg),
        "checklists": files.counties,
        "summary": files.summary_csv,
        "report": report,
    }
    meta_path = write_run_metadata(gpkg, meta)
    return {"gpkg": str(gpkg), "checklists": files, "report": report, "metadata": str(meta_path)}
