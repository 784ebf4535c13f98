"""Review decisions on check issues, persisted in the issue GeoPackage (table ``review_decisions``).

A decision (accepted / needs_fix / false_positive + comment) belongs to an issue. When the checks
run again and rewrite the GeoPackage, the decisions table is carried over and each new issue takes
the decision of the old one it matches: same rule id, layer and feature ids, and - when the issue
has a place - geometries overlapping by at least half of the smaller one (geodesic areas).
"""

from __future__ import annotations

import datetime as _dt
import getpass
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pyproj import CRS
from shapely import wkb

from ..common.errors import InputError
from ..common.geo import AreaCalc, polygonal, repaired
from ..common.io import atomic_path

DECISIONS = ("accepted", "needs_fix", "false_positive")
STATUSES = ("open",) + DECISIONS
ISSUES_LAYER = "issues"
DECISIONS_TABLE = "review_decisions"
MIN_OVERLAP = 0.5

ISSUE_FIELDS = [
    ("issue_id", "Integer"),
    ("rule_id", "String"),
    ("severity", "String"),
    ("message_zh", "String"),
    ("message_en", "String"),
    ("layer", "String"),
    ("feature_id", "String"),
    ("other_id", "String"),
    ("value", "Real"),
    ("value_text", "String"),
    ("unit", "String"),
    ("status", "String"),
    ("comment", "String"),
]
DECISION_FIELDS = [
    ("rule_id", "String"),
    ("layer", "String"),
    ("feature_id", "String"),
    ("other_id", "String"),
    ("decision", "String"),
    ("comment", "String"),
    ("reviewer", "String"),
    ("decided_at", "String"),
    ("message_en", "String"),
]


@dataclass
class Decision:
    rule_id: str
    layer: str
    feature_id: str
    other_id: str
    decision: str
    comment: str = ""
    reviewer: str = ""
    decided_at: str = ""
    message_en: str = ""
    geometry: object = None

    def key(self) -> tuple:
        return (self.rule_id, self.layer, self.feature_id or "", self.other_id or "")


def _ogr():
    from osgeo import gdal, ogr, osr

    gdal.UseExceptions()
    ogr.UseExceptions()
    return gdal, ogr, osr


def _srs(crs):
    _, _, osr = _ogr()
    if crs is None:
        return None
    srs = osr.SpatialReference()
    srs.ImportFromWkt(CRS.from_user_input(crs).to_wkt())
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _create_layer(ds, name: str, srs, fields, geom: bool):
    _, ogr, _ = _ogr()
    gtype = ogr.wkbMultiPolygon if geom else ogr.wkbNone
    lyr = ds.CreateLayer(name, srs if geom else None, gtype, options=["FID=fid"])
    types = {"String": ogr.OFTString, "Integer": ogr.OFTInteger, "Real": ogr.OFTReal}
    for fname, ftype in fields:
        lyr.CreateField(ogr.FieldDefn(fname, types[ftype]))
    return lyr


def _ogr_geom(geom):
    _, ogr, _ = _ogr()
    if geom is None or geom.is_empty:
        return None
    g = ogr.CreateGeometryFromWkb(bytes(polygonal(geom).wkb))
    return ogr.ForceToMultiPolygon(g)


def load_decisions(gpkg) -> tuple[list, object]:
    """Decisions stored in ``gpkg`` (empty when the file or the table is missing) and their CRS."""
    gdal, ogr, _ = _ogr()
    if not Path(gpkg).exists():
        return [], None
    ds = gdal.OpenEx(str(gpkg), gdal.OF_VECTOR)
    lyr = ds.GetLayerByName(DECISIONS_TABLE)
    if lyr is None:
        return [], None
    srs = lyr.GetSpatialRef()
    crs = CRS.from_wkt(srs.ExportToWkt()) if srs is not None else None
    out = []
    for f in lyr:
        g = f.GetGeometryRef()
        out.append(
            Decision(
                **{
                    name: (f.GetFieldAsString(name) if f.IsFieldSetAndNotNull(name) else "")
                    for name, _ in DECISION_FIELDS
                },
                geometry=wkb.loads(bytes(g.ExportToIsoWkb())) if g is not None and not g.IsEmpty() else None,
            )
        )
    return out, crs


def _overlap_ok(a, b, area: AreaCalc | None) -> bool:
    if a is None and b is None:
        return True
    if a is None or b is None:
        return False
    a, b = repaired(a), repaired(b)
    if a.is_empty or b.is_empty or not a.intersects(b):
        return False
    measure = area if area is not None else (lambda g: g.area)
    smaller = min(measure(a), measure(b))
    if smaller <= 0:
        return a.equals(b)
    return measure(a.intersection(b)) >= MIN_OVERLAP * smaller


def match_decision(issue, decisions: list, area: AreaCalc | None = None):
    """The decision that belongs to ``issue``, or None."""
    for d in decisions:
        if d.key() == issue.key() and _overlap_ok(issue.geometry, d.geometry, area):
            return d
    return None


def apply_decisions(issues: list, decisions: list, crs=None) -> int:
    """Set status/comment of issues from matching decisions; returns how many matched."""
    area = AreaCalc(CRS.from_user_input(crs)) if crs is not None else None
    n = 0
    for issue in issues:
        d = match_decision(issue, decisions, area)
        if d is not None:
            issue.status, issue.comment = d.decision, d.comment
            n += 1
    return n


def write_issue_gpkg(path, issues: list, crs, decisions: list | None = None) -> int:
    """Write the issue layer and the decisions table atomically. Decisions already in ``path`` are
    kept (unless ``decisions`` is given) and applied to the new issues; returns how many matched."""
    gdal, ogr, _ = _ogr()
    if decisions is None:
        decisions, _old_crs = load_decisions(path)
    matched = apply_decisions(issues, decisions, crs) if decisions else 0
    srs = _srs(crs)
    with atomic_path(path) as tmp:
        drv = ogr.GetDriverByName("GPKG")
        ds = drv.CreateDataSource(str(tmp))
        lyr = _create_layer(ds, ISSUES_LAYER, srs, ISSUE_FIELDS, geom=True)
        ds.StartTransaction()
        defn = lyr.GetLayerDefn()
        for n, issue in enumerate(issues, start=1):
            f = ogr.Feature(defn)
            row = issue.as_row()
            row["issue_id"] = n
            for name, _ in ISSUE_FIELDS:
                v = row.get(name)
                if v is not None and v != "":
                    f.SetField(name, v)
            g = _ogr_geom(issue.geometry)
            if g is not None:
                f.SetGeometry(g)
            lyr.CreateFeature(f)
        ds.CommitTransaction()
        _write_decisions(ds, srs, decisions)
        ds = None
    return matched


def _write_decisions(ds, srs, decisions: list) -> None:
    _, ogr, _ = _ogr()
    lyr = _create_layer(ds, DECISIONS_TABLE, srs, DECISION_FIELDS, geom=True)
    defn = lyr.GetLayerDefn()
    for d in decisions:
        f = ogr.Feature(defn)
        for name, _ in DECISION_FIELDS:
            v = getattr(d, name)
            if v:
                f.SetField(name, v)
        g = _ogr_geom(d.geometry)
        if g is not None:
            f.SetGeometry(g)
        lyr.CreateFeature(f)


def load_issues(gpkg) -> tuple[list, object]:
    """Issues of an issue GeoPackage (as written by write_issue_gpkg) and their CRS."""
    from .quality import Issue

    gdal, _, _ = _ogr()
    ds = gdal.OpenEx(str(gpkg), gdal.OF_VECTOR)
    lyr = ds.GetLayerByName(ISSUES_LAYER)
    if lyr is None:
        raise InputError(str(gpkg), "不是检查结果(缺少 issues 图层)", "is not a check result (no 'issues' layer)")
    srs = lyr.GetSpatialRef()
    crs = CRS.from_wkt(srs.ExportToWkt()) if srs is not None else None
    out = []
    for f in lyr:
        g = f.GetGeometryRef()
        row: dict[str, Any] = {
            name: (f.GetField(name) if f.IsFieldSetAndNotNull(name) else None) for name, _ in ISSUE_FIELDS
        }
        row.pop("issue_id")
        for name in ("unit", "status", "comment"):
            row[name] = row[name] or ("open" if name == "status" else "")
        out.append(
            Issue(**row, geometry=wkb.loads(bytes(g.ExportToIsoWkb())) if g is not None and not g.IsEmpty() else None)
        )
    return out, crs


def record_decision(gpkg, issue, decision: str, comment: str = "", reviewer: str | None = None) -> Decision:
    """Save (or replace) the decision on ``issue`` in ``gpkg`` and set the issue's status there;
    ``decision`` 'open' reopens the issue (its decision is removed)."""
    if decision not in STATUSES:
        raise InputError("review", f"未知的审核结论: {decision}", f"unknown review decision: {decision}")
    gdal, ogr, _ = _ogr()
    decisions, _ = load_decisions(gpkg)
    issues, crs = load_issues(gpkg)
    area = AreaCalc(crs) if crs is not None else None
    decisions = [d for d in decisions if not (d.key() == issue.key() and _overlap_ok(issue.geometry, d.geometry, area))]
    new = Decision(
        issue.rule_id,
        issue.layer,
        issue.feature_id or "",
        issue.other_id or "",
        decision,
        comment,
        reviewer if reviewer is not None else _whoami(),
        _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        issue.message_en,
        issue.geometry,
    )
    if decision != "open":
        decisions.append(new)
    # rewrite the whole file atomically: issues keep their order, statuses follow the decisions
    for i in issues:
        i.status, i.comment = "open", ""
    write_issue_gpkg(gpkg, issues, crs, decisions)
    return new


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no user name in some service environments
        return ""


def adopt_issues(source, review) -> int:
    """Put the issues of ``source`` (a fresh check result) into the review file ``review``, keeping the
    decisions already recorded there (matched by each issue's key); returns how many matched."""
    issues, crs = load_issues(source)
    for i in issues:
        i.status, i.comment = "open", ""
    return write_issue_gpkg(review, issues, crs)
