"""The check engine: 生态保护红线 overlay, geometry, topology, boundary, attribute and CRS checks of any
result layer (steep-slope patches, 小流域 units, zones).

Every finding is an ``Issue`` with a stable rule id from resources/rules/checks.json, a severity,
zh/en messages naming the layer, the feature and the measured value, and (where it has a place)
a polygon in the result layer's CRS. Areas are geodesic (check_geom.AreaCalc).
"""

from __future__ import annotations

import functools
import re
from dataclasses import asdict, dataclass, field

import numpy as np
from pyproj import Transformer
from shapely.prepared import prep

from ..common.divisions import jilin_divisions
from ..common.errors import InputError
from ..common.feedback import Feedback
from ..common.geo import EMPTY, AreaCalc, invalid_reason, polygon_parts, polygonal, repaired, transform_geom, union
from ..common.paths import resources_path
from ..common.tables import write_dict_csv
from .inputs import INTEGER_TYPES, NUMBER_TYPES, VectorData

SEVERITIES = ("error", "warning", "info")


@functools.lru_cache(maxsize=1)
def load_check_rules() -> dict:
    from ..common.rules import load_json_rules

    path = resources_path("rules", "checks.json")
    rules = load_json_rules(path)
    for rid, rule in rules["rules"].items():
        if not re.fullmatch(r"[A-Z]+-\d{3}", rid) or rule["severity"] not in SEVERITIES:
            raise ValueError(f"checks.json: bad rule {rid}")
    rules["_path"] = str(path)
    return rules


def rules_citation() -> dict:
    r = load_check_rules()
    return {"checks": {"version": r["version"], "path": r["_path"]}}


def read_redline(path, layer_name: str | None = None, encoding: str | None = None, label: str = "生态保护红线"):
    """A red-line layer; in a multi-layer source (a 三区三线 FileGDB) 陆域生态保护红线/STBHHX is taken."""
    from .inputs import read_vector

    return read_vector(
        path,
        label,
        layer_name=layer_name,
        encoding=encoding,
        preferred_layers=tuple(load_check_rules()["redline"]["layer_names"]),
    )


def tolerance(name: str) -> float:
    return float(load_check_rules()["tolerances"][name]["value"])


@dataclass
class Issue:
    rule_id: str
    severity: str
    layer: str
    message_zh: str
    message_en: str
    feature_id: str | None = None
    other_id: str | None = None
    value: float | None = None  # measured number (unit per rule: m², ha, %)
    value_text: str | None = None  # measured text (a code, a validity reason)
    unit: str = ""
    geometry: object = None  # shapely, result layer CRS; None for layer-level issues
    status: str = "open"
    comment: str = ""

    def key(self) -> tuple:
        return (self.rule_id, self.layer, self.feature_id or "", self.other_id or "")

    def as_row(self) -> dict:
        row = asdict(self)
        row.pop("geometry")
        return row


@dataclass
class CheckOptions:
    """What to check. Field names default from the layer kind in checks.json; '' turns a check off."""

    kind: str = "generic"  # generic | steep_slope | units | zones
    code_field: str | None = None
    code_format: str = "none"  # none | county | township | template
    code_template: str = ""  # e.g. "{county_code}{seq:04d}" → ^\d{6}\d{4}$
    county_field: str | None = None
    township_field: str | None = None
    area_field: str | None = None
    area_unit: str | None = None  # m2 | ha | km2
    zone_field: str | None = None
    required_fields: dict | None = None  # name → string | number | integer | any
    covers: bool | None = None  # the layer is meant to cover the boundary (or its own outline) without gaps
    redline_rule: str = "flag"  # flag | include | exclude
    prevention_values: tuple = ()
    min_patch_ha: float | None = None
    overlap_sliver_m2: float | None = None
    part_sliver_m2: float | None = None
    area_tolerance_ha: float | None = None
    coverage_tolerance_pct: float | None = None
    redline_inside_share: float | None = None

    def resolved(self) -> "CheckOptions":
        """Fill unset values from checks.json (kind defaults and tolerances)."""
        rules = load_check_rules()
        if self.kind not in rules["layer_kinds"]:
            raise InputError("checks", f"未知的图层类型: {self.kind}", f"unknown layer kind: {self.kind}")
        if self.redline_rule not in rules["redline"]["rules"]:
            raise InputError(
                "checks", f"未知的红线规则: {self.redline_rule}", f"unknown red-line rule: {self.redline_rule}"
            )
        kind = rules["layer_kinds"][self.kind]
        o = CheckOptions(**asdict(self))
        defaults = kind.get("fields", {})
        for attr, key in (
            ("code_field", "code"),
            ("county_field", "county"),
            ("township_field", "township"),
            ("area_field", "area"),
            ("zone_field", "zone"),
        ):
            if getattr(o, attr) is None:
                setattr(o, attr, defaults.get(key, ""))
        if o.area_unit is None:
            o.area_unit = kind.get("area_unit", "ha")
        if o.required_fields is None:
            o.required_fields = dict(kind.get("required_fields", {}))
        if o.covers is None:
            o.covers = bool(kind.get("covers", False))
        if not o.prevention_values:
            o.prevention_values = tuple(rules["redline"]["prevention_values"])
        for name in ("min_patch_ha", "overlap_sliver_m2", "part_sliver_m2", "coverage_tolerance_pct"):
            if getattr(o, name) is None:
                setattr(o, name, tolerance(name))
        if o.area_tolerance_ha is None:
            o.area_tolerance_ha = tolerance("area_field_tolerance_ha")
        if o.redline_inside_share is None:
            o.redline_inside_share = tolerance("redline_inside_share")
        if o.area_unit not in AREA_UNITS:
            raise InputError("checks", f"未知的面积单位: {o.area_unit}", f"unknown area unit: {o.area_unit}")
        return o


AREA_UNITS = {"m2": 1.0, "ha": 1e4, "km2": 1e6}


def template_regex(template: str) -> str:
    """Regex of a code template: {name:0Nd} → N digits, {name} → one or more non-space characters."""
    out, pos = [], 0
    for m in re.finditer(r"\{(\w+)(?::0?(\d+)d)?\}", template):
        out.append(re.escape(template[pos : m.start()]))
        if m.group(2):
            out.append(r"\d{%d}" % int(m.group(2)))
        elif m.group(1) in ("county", "county_code"):
            out.append(r"\d{6}")
        else:
            out.append(r"\S+?")
        pos = m.end()
    out.append(re.escape(template[pos:]))
    return "^" + "".join(out) + "$"


def is_cgcs2000(crs) -> bool:
    datum = (crs.datum.name if crs is not None and crs.datum is not None else "") or ""
    return "China 2000" in datum or "CGCS2000" in datum.upper()


def crs_label(crs) -> str:
    if crs is None:
        return "none"
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg} {crs.name}" if epsg else crs.name


@dataclass
class CheckResult:
    issues: list
    crs: object
    options: CheckOptions
    stats: dict = field(default_factory=dict)

    def counts(self) -> dict:
        c = {s: 0 for s in SEVERITIES}
        for i in self.issues:
            c[i.severity] += 1
        return c


class _Emitter:
    def __init__(self, layer_label: str):
        self.rules = load_check_rules()["rules"]
        self.layer = layer_label
        self.issues: list[Issue] = []
        self.names: dict = {}  # feature id → how messages name it, e.g. "4 [U1]"

    def number_repeats(self) -> None:
        """Give each issue its own key: a rule firing several times on one feature (a sliver per
        part, an overlap per piece) gets "#1", "#2", … in other_id, in the stable order of the parts,
        so a reviewer's decision on one part is not shown on its siblings."""
        seen: dict = {}
        for issue in self.issues:
            seen.setdefault(issue.key(), []).append(issue)
        for group in seen.values():
            if len(group) > 1:
                for n, issue in enumerate(group, 1):
                    issue.other_id = f"{issue.other_id or ''}#{n}"

    def __call__(self, rule_id: str, *, fid=None, other=None, value=None, text=None, geometry=None, layer=None, **fmt):
        rule = self.rules[rule_id]
        layer = layer or self.layer
        shown = value if value is not None else (text if text is not None else "")
        args = {
            "layer": layer,
            "fid": self.names.get(fid, fid) if fid is not None else "",
            "other": self.names.get(other, other) if other else "",
            "value": shown,
            "extra": "",
            "limit": "",
            "rule": "",
        }
        args.update(fmt)
        geom = None
        if geometry is not None and not geometry.is_empty:
            geom = geometry
        self.issues.append(
            Issue(
                rule_id=rule_id,
                severity=rule["severity"],
                layer=layer,
                message_zh=rule["message_zh"].format(**args),
                message_en=rule["message_en"].format(**args),
                feature_id=None if fid is None else str(fid),
                other_id=None if other is None else str(other),
                value=None if value is None else float(value),
                value_text=None if text is None else str(text),
                unit=rule.get("unit", ""),
                geometry=geom,
            )
        )


def _reproject(data: VectorData, target, emit: _Emitter) -> list:
    """Geometries of an auxiliary input in the result layer's CRS (CRS-002 when it differs)."""
    assert data.crs is not None  # _require_crs ran first
    if data.crs == target or data.crs.equals(target, ignore_axis_order=True):
        return list(data.geoms)
    emit("CRS-002", text=crs_label(data.crs), layer=data.label)
    tr = Transformer.from_crs(data.crs, target, always_xy=True)
    return [None if g is None else (g if g.is_empty else transform_geom(repaired(g), tr)) for g in data.geoms]


def _bbox_candidates(bounds: np.ndarray, i: int) -> np.ndarray:
    """Indices j > i whose bounding boxes intersect that of i."""
    b = bounds[i]
    rest = bounds[i + 1 :]
    hit = (rest[:, 0] <= b[2]) & (rest[:, 2] >= b[0]) & (rest[:, 1] <= b[3]) & (rest[:, 3] >= b[1])
    return np.nonzero(hit)[0] + i + 1


def _require_crs(data: VectorData):
    if data.crs is None:
        raise InputError(
            data.label,
            "没有坐标参考系(CRS)，无法计算面积",
            "has no coordinate reference system (CRS); areas cannot be computed",
        )


def _require_features(data: VectorData):
    if not any(g is not None and not g.is_empty for g in data.geoms):
        raise InputError(
            data.label, "图层没有要素(或只有空几何)", "the layer has no features (or only empty geometries)"
        )


def run_checks(
    layer: VectorData,
    options: CheckOptions | None = None,
    redline: VectorData | None = None,
    boundary: VectorData | None = None,
    feedback: Feedback | None = None,
) -> CheckResult:
    """Run every applicable check of ``layer``; red line and county boundary are optional inputs."""
    fb = feedback or Feedback()
    o = (options or CheckOptions()).resolved()
    # bad input first, before any heavy work
    _require_inputs(layer, redline, boundary)
    emit = _Emitter(layer.label)
    emit.names = _feature_names(layer, o)
    crs = layer.crs
    area = AreaCalc(crs)
    stats: dict = {"features": len(layer), "layer": layer.label, "crs": crs_label(crs)}

    # --- CRS and encoding --------------------------------------------------------------------
    _check_crs_and_encoding(emit, (layer, redline, boundary))
    red_geoms = _reproject(redline, crs, emit) if redline is not None else None
    bnd_geoms = _reproject(boundary, crs, emit) if boundary is not None else None
    fb.progress(5)

    # --- attributes ---------------------------------------------------------------------------
    _check_attributes(layer, o, emit, area, fb)
    fb.check()
    fb.progress(15)

    # --- geometry per feature -------------------------------------------------------------------
    run = _Run(layer, o, emit, area, _feature_labels(layer, o), fb)
    valid = _check_geometries(run)
    fb.progress(30)

    feat_areas = [area(g) for g in valid]
    stats["area_m2"] = float(sum(feat_areas))

    # --- overlaps within the layer ------------------------------------------------------------------
    idx = [k for k, g in enumerate(valid) if not g.is_empty]
    stats["overlap_slivers_ignored"] = _check_overlaps(run, valid, idx)
    fb.progress(55)

    # --- gaps, boundary -----------------------------------------------------------------------------
    need_union = o.covers or redline is not None
    layer_union = union(valid) if need_union else EMPTY
    region = union([repaired(g) for g in bnd_geoms if g is not None]) if bnd_geoms is not None else None
    fb.check()
    if o.covers:
        stats["gap_slivers_ignored"] = _check_gaps(run, layer_union, region)
    if region is not None:
        assert boundary is not None  # region is its union
        _check_boundary(run, valid, idx, region, boundary.label, stats)
    fb.progress(70)

    # --- 生态保护红线 -------------------------------------------------------------------------------
    if red_geoms is not None:
        red = union([repaired(g) for g in red_geoms if g is not None])
        fb.check()
        stats["redline_area_m2"] = area(red)
        _check_redline(layer, o, emit, area, valid, feat_areas, run.labels, red, region, layer_union, fb)
    fb.progress(100)
    emit.number_repeats()
    stats["counts"] = {s: sum(1 for i in emit.issues if i.severity == s) for s in SEVERITIES}
    return CheckResult(emit.issues, crs, o, stats)


@dataclass
class _Run:
    """What the checks of one run share: the layer, the resolved options, the emitter, the geodesic
    area, the feature ids messages use, and the feedback."""

    layer: VectorData
    o: CheckOptions
    emit: _Emitter
    area: AreaCalc
    labels: list
    fb: Feedback


def _require_inputs(layer: VectorData, redline: VectorData | None, boundary: VectorData | None) -> None:
    _require_crs(layer)
    for aux in (redline, boundary):
        if aux is not None:
            _require_crs(aux)
            _require_features(aux)


def _feature_names(layer: VectorData, o: CheckOptions) -> dict:
    """Feature id → how messages name it ("4 [U1]"), when the layer has the code field."""
    if not (o.code_field and o.code_field in layer.fields):
        return {}
    return {
        str(f): f"{f} [{row.get(o.code_field)}]"
        for f, row in zip(layer.fids, layer.attrs)
        if row.get(o.code_field) not in (None, "")
    }


def _check_crs_and_encoding(emit: _Emitter, inputs: tuple) -> None:
    """CRS-001 (not CGCS2000) and ENC-001 (garbled text) per input, the result layer first."""
    for data in inputs:
        if data is None:
            continue
        if not is_cgcs2000(data.crs):
            emit("CRS-001", text=crs_label(data.crs), layer=data.label)
        if data.garbled_sample:
            emit("ENC-001", text=data.garbled_sample, layer=data.label, extra=data.suggested_encoding or "GBK / UTF-8")


def _check_geometries(run: _Run) -> list:
    """GEOM-001..004 per feature; returns the geometries the later checks use (repaired, polygonal,
    EMPTY for a null or empty one)."""
    o, emit, labels = run.o, run.emit, run.labels
    assert o.part_sliver_m2 is not None  # resolved() sets every tolerance
    valid: list = []
    min_patch_m2 = (o.min_patch_ha or 0.0) * 1e4
    for k, g in enumerate(run.layer.geoms):
        if g is None or g.is_empty:
            emit("GEOM-002", fid=labels[k])
            valid.append(EMPTY)
            continue
        if not g.is_valid:
            fixed = repaired(g)
            emit("GEOM-001", fid=labels[k], text=invalid_reason(g), geometry=fixed)
            valid.append(fixed)
            continue  # the parts of a repair are artefacts: not checked as slivers
        g = polygonal(g)
        valid.append(g)
        for part in polygon_parts(g):
            a = run.area(part)
            if a < o.part_sliver_m2:
                emit("GEOM-003", fid=labels[k], value=a, geometry=part, limit=o.part_sliver_m2)
            elif min_patch_m2 > 0 and a < min_patch_m2:
                emit("GEOM-004", fid=labels[k], value=a, geometry=part, limit=o.min_patch_ha)
        if k % 200 == 0:
            run.fb.check()
    return valid


def _check_overlaps(run: _Run, valid: list, idx: list) -> int:
    """TOPO-001 per overlap piece between two features; returns how many slivers were ignored."""
    assert run.o.overlap_sliver_m2 is not None  # resolved() sets every tolerance
    bounds = np.array([valid[k].bounds for k in idx], dtype=np.float64).reshape(-1, 4)
    ignored = 0
    for n, k in enumerate(idx):
        gk = valid[k]
        pk = prep(gk)
        for m in _bbox_candidates(bounds, n):
            j = idx[m]
            gj = valid[j]
            if not pk.intersects(gj):
                continue
            for piece in polygon_parts(gk.intersection(gj)):
                a = run.area(piece)
                if a >= run.o.overlap_sliver_m2:
                    run.emit("TOPO-001", fid=run.labels[k], other=run.labels[j], value=a, geometry=piece)
                else:
                    ignored += 1
        if n % 50 == 0:
            run.fb.check()
            run.fb.progress(30 + 25 * n / max(1, len(idx)))
    return ignored


def _check_gaps(run: _Run, layer_union, region) -> int:
    """TOPO-002 per gap: within the boundary when there is one, else the holes of the layer's outline.
    Returns how many gap slivers were ignored."""
    assert run.o.overlap_sliver_m2 is not None  # resolved() sets every tolerance
    if region is not None:
        holes = polygon_parts(region.difference(layer_union))
    else:
        holes = []
        for poly in polygon_parts(layer_union):
            for ring in poly.interiors:
                holes.extend(polygon_parts(polygonal(type(poly)(ring).difference(layer_union))))
    gap_ignored = 0
    for piece in holes:
        a = run.area(piece)
        if a >= run.o.overlap_sliver_m2:
            run.emit("TOPO-002", value=a, geometry=piece)
        else:
            gap_ignored += 1
    return gap_ignored


def _check_boundary(run: _Run, valid: list, idx: list, region, bname: str, stats: dict) -> None:
    """BND-001 per feature reaching outside the boundary; BND-002 when a covering layer's area differs
    from the boundary's by more than the tolerance. Adds boundary_area_m2 (and coverage_diff_pct) to ``stats``."""
    o, area = run.o, run.area
    assert o.overlap_sliver_m2 is not None and o.coverage_tolerance_pct is not None  # set by resolved()
    pregion = prep(region)
    for k in idx:
        g = valid[k]
        if pregion.contains(g):
            continue
        outside = polygonal(g.difference(region))
        parts = [p for p in polygon_parts(outside) if area(p) >= o.overlap_sliver_m2]
        if parts:
            geom = polygonal(union(parts))
            run.emit("BND-001", fid=run.labels[k], value=area(geom), geometry=geom, extra=bname)
    region_area = area(region)
    stats["boundary_area_m2"] = region_area
    if o.covers and region_area > 0:
        pct = (stats["area_m2"] - region_area) / region_area * 100.0
        stats["coverage_diff_pct"] = pct
        if abs(pct) > o.coverage_tolerance_pct:
            run.emit("BND-002", value=pct, extra=bname, limit=o.coverage_tolerance_pct)


def _feature_labels(layer: VectorData, o: CheckOptions) -> list:
    """FID as the feature id; messages name the feature by FID (codes go into their own messages)."""
    return [str(fid) for fid in layer.fids]


def _type_ok(ogr_type: str, want: str) -> bool:
    if want == "any":
        return True
    if want == "string":
        return ogr_type == "String"
    if want == "number":
        return ogr_type in NUMBER_TYPES
    if want == "integer":
        return ogr_type in INTEGER_TYPES
    return ogr_type.lower() == want.lower()


def _check_attributes(layer: VectorData, o: CheckOptions, emit: _Emitter, area: AreaCalc, fb: Feedback) -> None:
    formats = load_check_rules()["code_formats"]
    fields = layer.fields
    _check_required_fields(fields, o, emit)
    present = _present_fields(fields, o, emit)
    run = _Run(layer, o, emit, area, [str(f) for f in layer.fids], fb)
    code = present.get("code_field")
    if code:
        _check_code(run, code, formats)
    divisions = jilin_divisions()
    county = present.get("county_field")
    if county:
        _check_county(run, county, code, formats, divisions)
    township = present.get("township_field")
    if township:
        _check_township(run, township, code, formats, divisions)
    area_field = present.get("area_field")
    if area_field:
        _check_area_field(run, area_field)


def _check_required_fields(fields: dict, o: CheckOptions, emit: _Emitter) -> None:
    """ATTR-001 for a missing required field, ATTR-002 for one of the wrong type."""
    for name, want in (o.required_fields or {}).items():
        if name not in fields:
            emit("ATTR-001", text=name)
        elif not _type_ok(fields[name], want):
            emit("ATTR-002", text=name, extra=fields[name], limit=want)


def _present_fields(fields: dict, o: CheckOptions, emit: _Emitter) -> dict:
    """Option attribute → field name, for the named fields the layer has (and an area field that is numeric)."""
    present = {}
    # the fields the user named must exist; a missing one is reported once and its check skipped
    reported = set(o.required_fields or {})
    for attr in ("code_field", "county_field", "township_field", "area_field", "zone_field"):
        name = getattr(o, attr)
        if not name:
            continue
        if name in fields:
            present[attr] = name
        elif name not in reported:
            # kind defaults that are absent are simply not checked; a field the user named is required
            if attr in _user_set_fields(o):
                emit("ATTR-001", text=name)
            reported.add(name)
    if (
        o.area_field
        and o.area_field in fields
        and fields[o.area_field] not in NUMBER_TYPES
        and o.area_field not in (o.required_fields or {})
    ):
        emit("ATTR-002", text=o.area_field, extra=fields[o.area_field], limit="number")
        present.pop("area_field", None)
    return present


def _format_label(f: dict) -> str:
    return f"{f['label_en']} / {f['label_zh']}"


def _fmt_check(run: _Run, field_name: str, regex: str, label: str) -> None:
    """ATTR-004 for each value of ``field_name`` that does not match ``regex`` (stripped; None as '')."""
    pattern = re.compile(regex)
    for k, row in enumerate(run.layer.attrs):
        v = row.get(field_name)
        text = "" if v is None else str(v).strip()
        if not pattern.fullmatch(text):
            run.emit(
                "ATTR-004", fid=run.labels[k], text=text, extra=field_name, limit=label, geometry=_geom(run.layer, k)
            )


def _stripped(row: dict, name: str) -> str:
    return "" if row.get(name) is None else str(row.get(name)).strip()


def _check_code(run: _Run, code: str, formats: dict) -> None:
    """ATTR-003 for each feature sharing a code with another; ATTR-004 for codes of the wrong format."""
    o = run.o
    seen: dict = {}
    for k, row in enumerate(run.layer.attrs):
        v = row.get(code)
        if v is not None and str(v).strip() != "":
            seen.setdefault(str(v).strip(), []).append(k)
    for value, ks in seen.items():
        if len(ks) > 1:
            for k in ks:
                run.emit("ATTR-003", fid=run.labels[k], text=value, extra=code, geometry=_geom(run.layer, k))
    if o.code_format not in formats and not (o.code_format == "template" and o.code_template):
        _fmt_check(run, code, r".*\S.*", "non-empty / 非空")
    if o.code_format in formats:
        f = formats[o.code_format]
        _fmt_check(run, code, f["regex"], _format_label(f))
    elif o.code_format == "template" and o.code_template:
        _fmt_check(run, code, template_regex(o.code_template), o.code_template)


def _check_county(run: _Run, county: str, code: str | None, formats: dict, divisions) -> None:
    """ATTR-004 for county codes of the wrong format (unless the code check did it); ATTR-006 for an
    old code, ATTR-005 for an unknown one."""
    if not (code == county and run.o.code_format == "county"):
        _fmt_check(run, county, formats["county"]["regex"], _format_label(formats["county"]))
    for k, row in enumerate(run.layer.attrs):
        text = _stripped(row, county)
        if not re.fullmatch(formats["county"]["regex"], text):
            continue  # already reported as a format error
        status, current = divisions.county_status(text)
        if status == "old":
            run.emit("ATTR-006", fid=run.labels[k], text=text, extra=current, geometry=_geom(run.layer, k))
        elif status == "unknown":
            run.emit("ATTR-005", fid=run.labels[k], text=text, geometry=_geom(run.layer, k))


def _check_township(run: _Run, township: str, code: str | None, formats: dict, divisions) -> None:
    """ATTR-004 for township codes of the wrong format (empty allowed); ATTR-007 for an unknown one."""
    f = formats["township"]
    if not (code == township and run.o.code_format == "township"):
        # an empty township code is allowed: patches outside every township (steep_outputs)
        _fmt_check(run, township, f"({f['regex'][1:-1]})?", _format_label(f))
    for k, row in enumerate(run.layer.attrs):
        text = _stripped(row, township)
        if text and re.fullmatch(f["regex"], text) and not divisions.township_known(text):
            run.emit("ATTR-007", fid=run.labels[k], text=text, geometry=_geom(run.layer, k))


def _check_area_field(run: _Run, area_field: str) -> None:
    """ATTR-008 where the stored area differs from the geodesic one by more than the tolerance (or is empty)."""
    o, layer = run.o, run.layer
    assert o.area_unit is not None and o.area_tolerance_ha is not None  # set by CheckOptions.resolved()
    factor = AREA_UNITS[o.area_unit] / 1e4  # stored unit → ha
    for k, row in enumerate(layer.attrs):
        g = layer.geoms[k]
        if g is None or g.is_empty:
            continue
        stored = row.get(area_field)
        computed_ha = run.area(repaired(g)) / 1e4
        diff = abs((stored or 0.0) * factor - computed_ha) if stored is not None else computed_ha
        if stored is None or diff > o.area_tolerance_ha + 1e-9:
            run.emit(
                "ATTR-008",
                fid=run.labels[k],
                value=diff,
                extra=area_field,
                limit=o.area_tolerance_ha,
                geometry=_geom(layer, k),
            )
        if k % 500 == 0:
            run.fb.check()


def _user_set_fields(o: CheckOptions) -> set:
    kind = load_check_rules()["layer_kinds"][o.kind].get("fields", {})
    out = set()
    for attr, key in (
        ("code_field", "code"),
        ("county_field", "county"),
        ("township_field", "township"),
        ("area_field", "area"),
        ("zone_field", "zone"),
    ):
        if getattr(o, attr) and getattr(o, attr) != kind.get(key):
            out.add(attr)
    return out


def _geom(layer: VectorData, k: int):
    g = layer.geoms[k]
    return None if g is None or g.is_empty else repaired(g)


def _check_redline(layer, o, emit, area, valid, feat_areas, labels, red, region, layer_union, fb) -> None:
    pred = prep(red)
    zone_field = o.zone_field if o.zone_field and o.zone_field in layer.fields else ""
    prevention = set(o.prevention_values)
    rb = red.bounds
    zoned = []
    for k, g in enumerate(valid):
        zone = layer.attrs[k].get(zone_field) if zone_field else None
        zone = "" if zone is None else str(zone).strip()
        if g.is_empty:
            continue
        if not zone_field or zone:
            zoned.append(g)
        b = g.bounds
        if b[0] > rb[2] or b[2] < rb[0] or b[1] > rb[3] or b[3] < rb[1] or not pred.intersects(g):
            continue
        inter = polygonal(g.intersection(red))
        a = area(inter)
        if a < o.overlap_sliver_m2:
            continue
        share = a / feat_areas[k] if feat_areas[k] > 0 else 0.0
        extra = f"{share * 100:.2f}%"
        emit("RL-004" if o.kind == "steep_slope" else "RL-001", fid=labels[k], value=a, geometry=inter, extra=extra)
        if zone_field and o.redline_rule != "flag" and share >= o.redline_inside_share:
            tokens = {t.strip() for t in re.split(r"[;,、，；]", zone) if t.strip()}
            bad = not (tokens & prevention) if o.redline_rule == "include" else bool(tokens & prevention)
            if bad:
                emit(
                    "RL-002",
                    fid=labels[k],
                    value=a,
                    geometry=inter,
                    extra=extra,
                    limit=zone or "—",
                    rule=o.redline_rule,
                )
        if k % 200 == 0:
            fb.check()
    # red line left unzoned: only meaningful for zone results, and not when the rule excludes it
    if (zone_field or o.kind == "zones") and o.redline_rule != "exclude":
        scope = region if region is not None else layer_union
        left = polygonal(red.intersection(scope).difference(union(zoned)))
        for piece in polygon_parts(left):
            a = area(piece)
            if a >= o.overlap_sliver_m2:
                emit("RL-003", value=a, geometry=piece)


# --- outputs -------------------------------------------------------------------------------------

SUMMARY_COLUMNS = [
    "rule_id",
    "severity",
    "title_zh",
    "title_en",
    "count",
    "open",
    "accepted",
    "needs_fix",
    "false_positive",
    "value_sum",
    "unit",
]


def summary_rows(issues: list) -> list[dict]:
    """One row per rule and severity, in rule-file order; value_sum adds the measured values."""
    rules = load_check_rules()["rules"]
    rows: dict = {}
    for i in issues:
        rule = rules[i.rule_id]
        row = rows.setdefault(
            (i.rule_id, i.severity),
            {
                "rule_id": i.rule_id,
                "severity": i.severity,
                "title_zh": rule["title_zh"],
                "title_en": rule["title_en"],
                "count": 0,
                "open": 0,
                "accepted": 0,
                "needs_fix": 0,
                "false_positive": 0,
                "value_sum": 0.0,
                "unit": i.unit,
            },
        )
        row["count"] += 1
        row[i.status if i.status in ("open", "accepted", "needs_fix", "false_positive") else "open"] += 1
        if i.value is not None and i.unit in ("m2", "ha"):
            row["value_sum"] += i.value
    order = list(rules)
    return sorted(rows.values(), key=lambda r: (order.index(r["rule_id"]), SEVERITIES.index(r["severity"])))


def write_summary_csv(path, issues: list) -> None:
    rows = [{**row, "value_sum": f"{row['value_sum']:.2f}"} for row in summary_rows(issues)]
    # utf-8-sig so that Excel on a Chinese Windows opens it right
    write_dict_csv(path, rows, SUMMARY_COLUMNS)


def worst_issues(issues: list, n: int = 20) -> list:
    """Errors before warnings before infos; within a severity the largest measured value first."""
    return sorted(
        issues, key=lambda i: (SEVERITIES.index(i.severity), -(abs(i.value) if i.value is not None else 0.0), i.rule_id)
    )[:n]
