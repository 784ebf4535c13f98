"""Declarative zoning: rule files → 重点预防区 / 重点治理区 / 严重 / 脆弱 per small watershed.

A rule file (resources/rules/zoning_*.json, schema zoning_schema.json) holds, per
zone type, one base indicator and N regional indicators, each ``indicator op
threshold`` with its source and tag, combined by any-one-hit ("any") or all-of
("all"). Exclusive sets with a precedence settle units meeting two zone types;
a county list may restrict a zone type; the red-line rule flags (default) or
includes. Every unit records which conditions fired, with values and thresholds.
"""

from __future__ import annotations

import json
import math
import operator
from pathlib import Path

import numpy as np

from ..common.errors import InputError
from ..common.paths import resources_path
from ..common.rules import zoning_rule_sets
from ..common.tables import write_dict_csv
from ..indicators.compute import geodesic_areas, indicator_registry

OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq, "!=": operator.ne}
LABEL = "规则文件 rule file"


def rule_file_path(name_or_path) -> Path:
    """A province code with its own rules ('220000') or 'national' → the shipped file
    (resources/rules/provinces.json, zoning_rules); anything else is a path."""
    shipped = dict(zoning_rule_sets())
    if str(name_or_path) in shipped:
        return resources_path("rules", shipped[str(name_or_path)])
    return Path(name_or_path)


def _load_text(path: Path) -> dict:
    from ..common.rules import load_json_rules

    if path.suffix.lower() not in (".yaml", ".yml"):
        return load_json_rules(path, f"{LABEL} {path.name}")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(LABEL, f"无法读取规则文件 {path}: {exc}", f"cannot read rule file {path}: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{LABEL} {path.name}",
            "规则文件不是 UTF-8 编码；请另存为 UTF-8",
            "the rule file is not UTF-8; save it as UTF-8",
        ) from exc
    try:
        import yaml

        return yaml.safe_load(text)
    except Exception as exc:
        raise InputError(
            LABEL,
            f"规则文件 {path.name} 不是有效的 JSON/YAML: {exc}",
            f"rule file {path.name} is not valid JSON/YAML: {exc}",
        ) from exc


def load_zoning_rules(name_or_path) -> dict:
    """Load, schema-validate and check a rule file. Raises InputError (zh/en) on any problem."""
    import jsonschema

    path = rule_file_path(name_or_path)
    rules = _load_text(path)
    schema = json.loads(resources_path("rules", "zoning_schema.json").read_text(encoding="utf-8"))
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(rules), key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        raise InputError(
            LABEL,
            f"{path.name} 不符合规则格式，位置 {where}: {err.message}",
            f"{path.name} does not match the rule schema at {where}: {err.message}",
        )
    ids = [z["id"] for z in rules["zone_types"]]
    if len(set(ids)) != len(ids):
        raise InputError(LABEL, f"{path.name}: 区类型重复 {ids}", f"{path.name}: duplicate zone types {ids}")
    for z in rules["zone_types"]:
        for i, cond in enumerate([z["base"]] + z["regional"]):
            _check_condition(cond, f"zone_types/{z['id']}/{'base' if i == 0 else f'regional/{i - 1}'}", path.name)
    for group in rules["precedence"]["exclusive"]:
        for zid in group:
            if zid not in ids:
                raise InputError(
                    LABEL,
                    f"{path.name}: 优先级中的区类型 {zid} 未定义",
                    f"{path.name}: precedence names zone type {zid}, which is not defined",
                )
    red = rules["redline"]
    red.setdefault("indicator", "redline_pct")
    _check_indicator(red["indicator"], "redline", path.name)
    if red["mode"] == "include" and red["zone"] not in ids:
        raise InputError(
            LABEL,
            f"{path.name}: 红线纳入的区类型 {red['zone']} 未定义",
            f"{path.name}: red-line zone {red['zone']} is not defined",
        )
    rules["_path"] = str(path)
    return rules


def _check_indicator(name: str, where: str, fname: str) -> None:
    known = indicator_registry()
    if name not in known:
        raise InputError(
            LABEL,
            f"{fname} 位置 {where}: 未知指标 '{name}'。可用指标: {', '.join(sorted(known))}",
            f"{fname} at {where}: unknown indicator '{name}'. Known indicators: {', '.join(sorted(known))}",
        )


def _check_condition(cond: dict, where: str, fname: str) -> None:
    name = cond["indicator"]
    _check_indicator(name, where, fname)
    zh, en, unit, lo, hi = indicator_registry()[name]
    thr = float(cond["threshold"])
    if not math.isfinite(thr) or (lo is not None and thr < lo) or (hi is not None and thr > hi):
        rng = f"[{lo if lo is not None else '-∞'}, {hi if hi is not None else '∞'}] {unit}"
        raise InputError(
            LABEL,
            f"{fname} 位置 {where}: 指标 {name}({zh})的阈值 {cond['threshold']} 超出取值范围 {rng}",
            f"{fname} at {where}: threshold {cond['threshold']} of {name} ({en}) is outside its range {rng}",
        )


def rules_citation(rules: dict) -> dict:
    """What the run metadata records about a rule file."""
    return {
        "id": rules["id"],
        "version": rules["version"],
        "path": rules.get("_path", ""),
        "source": rules["source"],
        "steep_slope_deg": rules.get("steep_slope_deg"),
        "zone_types": {
            z["id"]: {
                "combine": z["combine"],
                "conditions": [
                    dict(c, role="base" if i == 0 else "regional") for i, c in enumerate([z["base"]] + z["regional"])
                ],
                "counties": z.get("counties"),
            }
            for z in rules["zone_types"]
        },
        "precedence": rules["precedence"],
        "redline": rules["redline"],
        "all_thresholds_verified": all(
            not c["default"] for z in rules["zone_types"] for c in [z["base"]] + z["regional"]
        ),
    }


def _county_match(df, counties) -> np.ndarray:
    wanted = {str(c).strip() for c in counties if str(c).strip()}
    hit = np.zeros(len(df), bool)
    for fld in ("county_code", "county_name"):
        if fld in df.columns:
            hit |= df[fld].astype(str).str.strip().isin(wanted).values
    return hit


def evaluate(units, rules: dict, restrict: dict | None = None):
    """Zone fields for each unit. ``restrict``: zone id → county codes/names (overrides the rule file's list).

    Adds: zone_<id> (0/1 after restriction and precedence), zones (zh names), zone_ids, zone_main,
    zone_audit (JSON), fired (readable), redline_flag, rules_id, rules_version.
    """
    df = units.copy()
    n = len(df)
    restrict = _checked_restrict(restrict, rules)
    # indicators needed but not computed → clear error before anything else
    _require_indicators(df, rules)
    _require_steep_threshold(df, rules)
    audit: list[dict[str, dict]] = [{} for _ in range(n)]
    qualified = {z["id"]: _qualify(df, z, audit) for z in rules["zone_types"]}
    # red line
    df["redline_flag"] = _redline(df, rules["redline"], qualified, audit).astype(int)
    # county restriction
    assigned = _restrict_counties(df, rules, restrict, qualified, audit)
    # precedence among exclusive sets
    _apply_precedence(rules["precedence"]["exclusive"], assigned, audit, n)
    _zone_columns(df, rules, qualified, assigned, audit)
    df["rules_id"] = rules["id"]
    df["rules_version"] = rules["version"]
    return df


def _conditions(zone: dict) -> list:
    """The base condition, then the regional ones."""
    return [zone["base"]] + zone["regional"]


def _audit_entry(unit_audit: dict, zid: str) -> dict:
    return unit_audit.setdefault(zid, {"fired": [], "missing": []})


def _fired_record(indicator: str, role: str, value: float, op: str, cond: dict, threshold) -> dict:
    """One fired condition as the audit records it."""
    return {
        "indicator": indicator,
        "role": role,
        "value": round(float(value), 6),
        "op": op,
        "threshold": threshold,
        "default": cond["default"],
        "source": cond["source"],
    }


def _checked_restrict(restrict: dict | None, rules: dict) -> dict:
    """The non-empty county restrictions, each naming a zone type of the rule file."""
    restrict = {k: v for k, v in (restrict or {}).items() if v}
    for zid in restrict:
        if zid not in [z["id"] for z in rules["zone_types"]]:
            raise InputError(
                LABEL,
                f"县域限制指定的区类型 {zid} 不在规则文件中",
                f"county restriction names zone type {zid}, which the rule file does not define",
            )
    return restrict


def _require_indicators(df, rules: dict) -> None:
    for z in rules["zone_types"]:
        for cond in _conditions(z):
            if cond["indicator"] not in df.columns and not cond.get("optional", False):
                zh, en = indicator_registry()[cond["indicator"]][:2]
                raise InputError(
                    "小流域指标 unit indicators",
                    f"规则 {z['id']} 需要指标 {cond['indicator']}({zh})，但指标图层中没有；请在指标计算中提供相应输入",
                    f"rule {z['id']} needs indicator {cond['indicator']} ({en}), which the indicator layer lacks; "
                    "give the matching input to the indicator step",
                )


def _require_steep_threshold(df, rules: dict) -> None:
    """Steep-slope indicators computed with another threshold than the rule file's are refused."""
    steep = rules.get("steep_slope_deg")
    uses_steep = any(c["indicator"] in ("steep_pct", "steep_km2") for z in rules["zone_types"] for c in _conditions(z))
    if steep and uses_steep and "steep_deg" in df.columns:
        used = set(np.round(df["steep_deg"].astype(float).dropna().unique(), 6))
        if used and used != {round(float(steep["value"]), 6)}:
            raise InputError(
                "小流域指标 unit indicators",
                f"指标图层的陡坡阈值为 {sorted(used)}°，而规则文件要求 {steep['value']}°；请用该阈值重新计算指标",
                f"the indicator layer's steep-slope threshold is {sorted(used)}° but the rule file requires "
                f"{steep['value']}°; recompute the indicators with it",
            )


def _qualify(df, z: dict, audit: list) -> np.ndarray:
    """Which units meet zone type ``z`` (its conditions combined by any/all); fired and missing
    conditions go into ``audit``."""
    zid = z["id"]
    n = len(df)
    hits: list[tuple[np.ndarray, np.ndarray] | None] = []  # (fired, has a value) per condition; None: missing
    for role_i, cond in enumerate(_conditions(z)):
        name = cond["indicator"]
        if name not in df.columns:
            hits.append(None)
            for a in audit:
                _audit_entry(a, zid)["missing"].append(name)
            continue
        vals = df[name].astype(float).values
        ok = np.isfinite(vals)
        fired = np.zeros(n, bool)
        fired[ok] = OPS[cond["op"]](vals[ok], float(cond["threshold"]))
        hits.append((fired, ok))
        role = "base" if role_i == 0 else "regional"
        for i in range(n):
            entry = _audit_entry(audit[i], zid)
            if not ok[i]:
                entry["missing"].append(name)
            elif fired[i]:
                entry["fired"].append(_fired_record(name, role, vals[i], cond["op"], cond, cond["threshold"]))
    present = [h for h in hits if h is not None]
    if not present:
        return np.zeros(n, bool)
    if z["combine"] == "any":
        return np.logical_or.reduce([f for f, _ in present])
    # all-of: every available condition fires, and none is missing for the unit
    return np.logical_and.reduce([f & ok for f, ok in present])


def _redline(df, red: dict, qualified: dict, audit: list) -> np.ndarray:
    """The red-line flag per unit; in "include" mode the flagged units also qualify for the red line's zone."""
    if red["indicator"] not in df.columns:
        return np.zeros(len(df), bool)
    rv = df[red["indicator"]].astype(float).values
    flag = np.isfinite(rv) & (rv > float(red["min_overlap_pct"]))
    if red["mode"] == "include":
        zid = red["zone"]
        for i in np.nonzero(flag & ~qualified[zid])[0]:
            audit[i][zid]["fired"].append(
                _fired_record(red["indicator"], "redline", rv[i], ">", red, red["min_overlap_pct"])
            )
        qualified[zid] = qualified[zid] | flag
    return flag


def _restrict_counties(df, rules: dict, restrict: dict, qualified: dict, audit: list) -> dict:
    """Zone id → assigned units: the qualified ones inside the zone type's counties (if it has a list)."""
    assigned = {k: v.copy() for k, v in qualified.items()}
    for z in rules["zone_types"]:
        zid = z["id"]
        counties = restrict.get(zid) or (z.get("counties") or {}).get("list")
        if not counties:
            continue
        if "county_code" not in df.columns and "county_name" not in df.columns:
            raise InputError(
                "小流域单元 units",
                "按县限制区类型需要 county_code 或 county_name 字段",
                "restricting a zone type by county needs a county_code or county_name field",
            )
        inside = _county_match(df, counties)
        for i in np.nonzero(assigned[zid] & ~inside)[0]:
            audit[i][zid]["excluded_by"] = "counties"
        assigned[zid] &= inside
    return assigned


def _apply_precedence(exclusive: list, assigned: dict, audit: list, n: int) -> None:
    """Within each exclusive set a unit keeps only its first zone type (in the set's order)."""
    for group in exclusive:
        taken = np.zeros(n, bool)
        for zid in group:
            lost = assigned[zid] & taken
            for i in np.nonzero(lost)[0]:
                winner = next(w for w in group if assigned[w][i] and w != zid and group.index(w) < group.index(zid))
                audit[i][zid]["excluded_by"] = f"precedence:{winner}"
            assigned[zid] = assigned[zid] & ~taken
            taken |= assigned[zid]


def _zone_columns(df, rules: dict, qualified: dict, assigned: dict, audit: list) -> None:
    """zone_<id>, zone_ids, zones, zone_main, fired and zone_audit of each unit."""
    names = {z["id"]: z["name"]["zh"] for z in rules["zone_types"]}
    order = [z["id"] for z in rules["zone_types"]]
    for zid in order:
        df[f"zone_{zid}"] = assigned[zid].astype(int)
    zone_ids, zones, main, fired_txt, audit_txt = [], [], [], [], []
    for i in range(len(df)):
        got = [zid for zid in order if assigned[zid][i]]
        zone_ids.append(";".join(got))
        zones.append("、".join(names[z] for z in got))
        main.append(names[got[0]] if got else "")
        fired_txt.append("; ".join(_fired_text(names[zid], f) for zid in got for f in audit[i][zid]["fired"]))
        for zid in order:
            _audit_entry(audit[i], zid)["qualified"] = bool(qualified[zid][i])
            audit[i][zid]["assigned"] = bool(assigned[zid][i])
        audit_txt.append(json.dumps(audit[i], ensure_ascii=False))
    df["zone_ids"] = zone_ids
    df["zones"] = zones
    df["zone_main"] = main
    df["fired"] = fired_txt
    df["zone_audit"] = audit_txt


def _fired_text(zone_name: str, f: dict) -> str:
    return (
        f"{zone_name}: {f['indicator']}={f['value']:g}{f['op']}{f['threshold']}"
        f"{'(默认值 default)' if f['default'] else ''}"
    )


def dissolve_zones(zoned, rules: dict):
    """One feature per (county, zone type): dissolved geometry, unit count, ellipsoidal area."""
    import geopandas as gpd
    import shapely.ops

    rows = []
    has_code = "county_code" in zoned.columns
    has_name = "county_name" in zoned.columns
    for z in rules["zone_types"]:
        zid = z["id"]
        sub = zoned[zoned[f"zone_{zid}"] == 1]
        if sub.empty:
            continue
        keys = sub["county_code"].astype(str) if has_code else (sub["county_name"].astype(str) if has_name else None)
        for _key, part in sub.groupby(keys.values) if keys is not None else [("", sub)]:
            geom = shapely.ops.unary_union([g if g.is_valid else g.buffer(0) for g in part.geometry.values])
            rows.append(
                {
                    "county_code": str(part["county_code"].iloc[0]) if has_code else "",
                    "county_name": str(part["county_name"].iloc[0]) if has_name else "",
                    "zone_id": zid,
                    "zone": z["name"]["zh"],
                    "zone_main": z["name"]["zh"],
                    "zone_en": z["name"]["en"],
                    "n_units": int(len(part)),
                    "unit_codes": ";".join(part["unit_code"].astype(str)),
                    "rules_version": rules["version"],
                    "geometry": geom,
                }
            )
    out = (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=zoned.crs)
        if rows
        else gpd.GeoDataFrame(
            {
                "county_code": [],
                "county_name": [],
                "zone_id": [],
                "zone": [],
                "zone_main": [],
                "zone_en": [],
                "n_units": [],
                "unit_codes": [],
                "rules_version": [],
            },
            geometry=gpd.GeoSeries([], crs=zoned.crs),
        )
    )
    out["area_km2"] = geodesic_areas(out) / 1e6 if len(out) else []
    return out


def county_summary(zoned, rules: dict) -> list[dict]:
    """Per county: units, area, 水土流失面积, 水土保持率, and per zone type count / area / share; a total row last."""
    area = zoned["unit_area_km2"].astype(float) if "unit_area_km2" in zoned.columns else geodesic_areas(zoned) / 1e6
    df = zoned.assign(_area=area.values if hasattr(area, "values") else area)
    if "county_code" in df.columns:
        keys = df["county_code"].astype(str)
    elif "county_name" in df.columns:
        keys = df["county_name"].astype(str)
    else:
        keys = df["unit_code"].astype(str).str.slice(0, 0)
    rows = []
    groups = list(df.groupby(keys.values, sort=True)) + [("合计 total", df)]
    for key, part in groups:
        a = float(part["_area"].sum())
        row = {
            "county_code": key if key != "合计 total" or "county_code" not in df.columns else "合计 total",
            "county_name": (
                str(part["county_name"].iloc[0]) if "county_name" in part.columns and key != "合计 total" else ""
            ),
            "n_units": int(len(part)),
            "unit_area_km2": round(a, 6),
        }
        if "loss_km2" in part.columns:
            loss = float(part["loss_km2"].astype(float).fillna(0).sum())
            row["loss_km2"] = round(loss, 6)
            row["conservation_rate_pct"] = round(100.0 * (a - loss) / a, 4) if a > 0 else None
        for z in rules["zone_types"]:
            sel = part[f"zone_{z['id']}"] == 1
            za = float(part.loc[sel, "_area"].sum())
            row[f"{z['id']}_units"] = int(sel.sum())
            row[f"{z['id']}_km2"] = round(za, 6)
            row[f"{z['id']}_pct"] = round(100.0 * za / a, 4) if a > 0 else None
        row["redline_flag_units"] = int(part["redline_flag"].sum()) if "redline_flag" in part.columns else 0
        row["rules_version"] = rules["version"]
        rows.append(row)
    return rows


def write_csv(rows: list[dict], path) -> None:
    """UTF-8 with BOM so that Excel opens the Chinese text correctly."""
    write_dict_csv(path, rows)


def run_zoning(units, rules_name_or_path, restrict: dict | None = None):
    """units (GeoDataFrame with indicators) → (zoned units, dissolved zones, county summary rows, rules)."""
    rules = load_zoning_rules(rules_name_or_path)
    zoned = evaluate(units, rules, restrict)
    return zoned, dissolve_zones(zoned, rules), county_summary(zoned, rules), rules
