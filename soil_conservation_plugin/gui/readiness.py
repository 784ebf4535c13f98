"""Readiness of each input at once: CRS, fields, overlap with the county. Cheap checks only (UI thread)."""

from __future__ import annotations

from dataclasses import dataclass

from qgis.core import QgsCoordinateTransform, QgsProject, QgsRasterLayer, QgsRectangle, QgsVectorLayer, QgsWkbTypes

from ..translation import translate

OK, WARN, BAD, EMPTY = "ok", "warn", "bad", "empty"
MARKS = {OK: "✓", WARN: "⚠", BAD: "✗", EMPTY: "–"}
COLOURS = {OK: "#1a7f37", WARN: "#9a6700", BAD: "#cf222e", EMPTY: "#57606a"}
WEB_MERCATOR = ("EPSG:3857", "EPSG:900913", "EPSG:3785", "EPSG:102100")
SAMPLE = 200  # features looked at for code checks


@dataclass
class Readiness:
    state: str
    message: str

    @property
    def ok(self) -> bool:
        return self.state in (OK, WARN)

    def html(self) -> str:
        return f'<span style="color:{COLOURS[self.state]}"><b>{MARKS[self.state]}</b> {self.message}</span>'


def _crs_problem(layer) -> str | None:
    crs = layer.crs()
    if not crs.isValid():
        return translate("SoilConservation", "the layer has no CRS")
    if crs.authid() in WEB_MERCATOR:
        return translate("SoilConservation", "the layer is in Web Mercator; reproject it to CGCS2000")
    return None


def _crs_text(layer) -> str:
    crs = layer.crs()
    return crs.authid() or crs.description()


def extent_in(layer, target) -> QgsRectangle | None:
    """The layer's extent in ``target``'s CRS (None when it cannot be transformed)."""
    try:
        transform = QgsCoordinateTransform(layer.crs(), target.crs(), QgsProject.instance())
        return transform.transformBoundingBox(layer.extent())
    except Exception:  # noqa: BLE001 - a CRS QGIS cannot transform shows as "no overlap check"
        return None


def _overlap(layer, county, must_cover: bool) -> Readiness | None:
    """None when it overlaps well; a warning/error otherwise."""
    if county is None or not county.isValid() or county.extent().isEmpty():
        return None
    ext = extent_in(layer, county)
    if ext is None:
        return Readiness(WARN, translate("SoilConservation", "could not compare with the county boundary"))
    ce = county.extent()
    if not ext.intersects(ce):
        return Readiness(BAD, translate("SoilConservation", "it does not overlap the county boundary"))
    if must_cover and not ext.contains(ce):
        return Readiness(WARN, translate("SoilConservation", "it covers only part of the county boundary"))
    return None


def check_raster(layer, county, label: str, required: bool) -> Readiness:
    if layer is None:
        return (
            Readiness(BAD, translate("SoilConservation", "Choose a raster layer."))
            if required
            else Readiness(EMPTY, translate("SoilConservation", "Not used."))
        )
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        return Readiness(BAD, translate("SoilConservation", "The layer is not a valid raster."))
    problem = _crs_problem(layer)
    if problem:
        return Readiness(BAD, problem)
    if layer.providerType() != "gdal":
        return Readiness(BAD, translate("SoilConservation", "The raster must be a local file (GDAL)."))
    over = _overlap(layer, county, must_cover=True)
    text = translate("SoilConservation", "{crs}, {w}×{h} cells").format(
        crs=_crs_text(layer), w=layer.width(), h=layer.height()
    )
    if over is not None:
        return Readiness(over.state, f"{text}; {over.message}")
    return Readiness(OK, text)


def check_polygons(layer, county, required: bool, fields: tuple = (), is_county: bool = False) -> Readiness:
    if layer is None:
        return (
            Readiness(BAD, translate("SoilConservation", "Choose a polygon layer."))
            if required
            else Readiness(EMPTY, translate("SoilConservation", "Not used."))
        )
    if not isinstance(layer, QgsVectorLayer) or not layer.isValid():
        return Readiness(BAD, translate("SoilConservation", "The layer is not a valid vector layer."))
    if layer.geometryType() != QgsWkbTypes.GeometryType.PolygonGeometry:
        return Readiness(BAD, translate("SoilConservation", "The layer must have polygons."))
    problem = _crs_problem(layer)
    if problem:
        return Readiness(BAD, problem)
    count = layer.featureCount()
    if count == 0:
        return Readiness(BAD, translate("SoilConservation", "The layer has no features."))
    names = layer.fields().names()
    for role, field in fields:
        if not field:
            return Readiness(BAD, translate("SoilConservation", "Choose the {role} field.").format(role=role))
        if field not in names:
            return Readiness(BAD, translate("SoilConservation", "Field {field} is missing.").format(field=field))
    text = translate("SoilConservation", "{crs}, {n} features").format(
        crs=_crs_text(layer), n=count if count >= 0 else "?"
    )
    if is_county and fields:
        code_field = fields[0][1]
        codes = _sample(layer, code_field)
        bad = [c for c in codes if not (len(c) == 6 and c.isdigit())]
        if not codes:
            return Readiness(BAD, translate("SoilConservation", "Field {field} is empty.").format(field=code_field))
        if bad:
            return Readiness(
                WARN,
                translate("SoilConservation", "{text}; codes that are not 6-digit county codes, e.g. {code}").format(
                    text=text, code=bad[0]
                ),
            )
        return Readiness(OK, text)
    over = _overlap(layer, county, must_cover=False) if not is_county else None
    if over is not None:
        return Readiness(over.state, f"{text}; {over.message}")
    return Readiness(OK, text)


def _sample(layer, field: str) -> list[str]:
    from qgis.core import QgsFeatureRequest

    request = (
        QgsFeatureRequest()
        .setFlags(QgsFeatureRequest.Flag.NoGeometry)
        .setSubsetOfAttributes([field], layer.fields())
        .setLimit(SAMPLE)
    )
    out = []
    for f in layer.getFeatures(request):
        value = f[field]
        if value is None or str(value) in ("", "NULL"):
            continue
        text = str(value)
        if text.endswith(".0") and text[:-2].isdigit():
            text = text[:-2]
        out.append(text)
    return out


def county_codes(layer, code_field: str, name_field: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of the county layer's features, sorted and unique."""
    if layer is None or not code_field or code_field not in layer.fields().names():
        return []
    out = {}
    for f in layer.getFeatures():
        code = str(f[code_field]) if f[code_field] is not None else ""
        if code.endswith(".0") and code[:-2].isdigit():
            code = code[:-2]
        name = (
            str(f[name_field])
            if name_field and name_field in layer.fields().names() and f[name_field] is not None
            else ""
        )
        if code and code != "NULL":
            out.setdefault(code, name)
    return sorted(out.items())
