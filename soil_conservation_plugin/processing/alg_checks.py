"""Checks of a result layer against 生态保护红线 and for data quality: issue layer, summary, HTML report."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsFillSymbol,
    QgsMapRendererCustomPainterJob,
    QgsMapSettings,
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QBuffer, QByteArray, QIODevice, QSize
from qgis.PyQt.QtGui import QColor, QImage, QPainter

from ..core.common.errors import ChecksFailed, InputError
from ..core.common.feedback import SubFeedback
from ..core.common.io import write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from .base import AlgorithmBase, StylePostProcessor
from .defaults import guess_layer

CODE_FORMATS = ["none", "county", "township", "template"]
AREA_UNITS = [None, "ha", "km2", "m2"]  # None: the layer kind's default (checks.json)
COVER_CHOICES = [None, True, False]


class ChecksAlgorithm(AlgorithmBase):
    NAME = "checks"
    REQUIRES = ("numpy", "osgeo.gdal", "pyproj", "shapely")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Check results (生态保护红线, geometry, topology, attributes)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Review")
    GROUP_ID = "review"

    INPUT = "INPUT"
    KIND = "KIND"
    REDLINE = "REDLINE"
    REDLINE_RULE = "REDLINE_RULE"
    BOUNDARY = "BOUNDARY"
    COVERS = "COVERS"
    CODE_FIELD = "CODE_FIELD"
    CODE_FORMAT = "CODE_FORMAT"
    CODE_TEMPLATE = "CODE_TEMPLATE"
    COUNTY_FIELD = "COUNTY_FIELD"
    TOWNSHIP_FIELD = "TOWNSHIP_FIELD"
    AREA_FIELD = "AREA_FIELD"
    AREA_UNIT = "AREA_UNIT"
    ZONE_FIELD = "ZONE_FIELD"
    PREVENTION_VALUES = "PREVENTION_VALUES"
    MIN_PATCH_HA = "MIN_PATCH_HA"
    OVERLAP_SLIVER_M2 = "OVERLAP_SLIVER_M2"
    PART_SLIVER_M2 = "PART_SLIVER_M2"
    ENCODING = "ENCODING"
    FAIL_ON_ERROR = "FAIL_ON_ERROR"
    OUTPUT = "OUTPUT"
    SUMMARY = "SUMMARY"
    REPORT = "REPORT"
    ERRORS, WARNINGS, INFOS = "ERRORS", "WARNINGS", "INFOS"

    KINDS = ("generic", "steep_slope", "units", "zones")  # the KIND enum's options (checks.json layer_kinds)

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..core.checks.quality import load_check_rules

        rules = load_check_rules()
        tol = rules["tolerances"]
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterVectorLayer(self.INPUT, self.tr("Result layer to check"), poly))
        self.addParameter(
            QgsProcessingParameterEnum(self.KIND, self.tr("Kind of layer"), list(self.KINDS), defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(self.REDLINE, self.tr("生态保护红线 layer"), poly, optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.REDLINE_RULE, self.tr("Red-line rule"), rules["redline"]["rules"], defaultValue=0
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.BOUNDARY, self.tr("County boundary"), poly, defaultValue=guess_layer(), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.COVERS,
                self.tr("The layer is meant to cover the boundary (no gaps)"),
                [self.tr("as the kind says (units: yes)"), self.tr("yes"), self.tr("no")],
                defaultValue=0,
            )
        )
        for name, label in (
            (self.CODE_FIELD, QT_TRANSLATE_NOOP("SoilConservation", "Code field (unique)")),
            (self.COUNTY_FIELD, QT_TRANSLATE_NOOP("SoilConservation", "County code field")),
            (self.TOWNSHIP_FIELD, QT_TRANSLATE_NOOP("SoilConservation", "Township code field")),
            (self.AREA_FIELD, QT_TRANSLATE_NOOP("SoilConservation", "Stored area field")),
            (self.ZONE_FIELD, QT_TRANSLATE_NOOP("SoilConservation", "Zone field")),
        ):
            self.addParameter(QgsProcessingParameterField(name, self.tr(label), None, self.INPUT, optional=True))
        self.addParameter(
            QgsProcessingParameterEnum(self.CODE_FORMAT, self.tr("Code format"), CODE_FORMATS, defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.CODE_TEMPLATE, self.tr("Code template, e.g. {county_code}{seq:04d}"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.AREA_UNIT,
                self.tr("Unit of the stored area"),
                [self.tr("as the kind says (patches: ha, units/zones: km²)"), "ha", "km²", "m²"],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.PREVENTION_VALUES,
                self.tr("Zone values meaning 预防区 (comma-separated)"),
                ",".join(rules["redline"]["prevention_values"]),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_PATCH_HA,
                self.tr("Minimum patch (ha, 0 = off)"),
                QgsProcessingParameterNumber.Type.Double,
                tol["min_patch_ha"]["value"],
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.OVERLAP_SLIVER_M2,
                self.tr("Overlap/gap tolerance (m²)"),
                QgsProcessingParameterNumber.Type.Double,
                tol["overlap_sliver_m2"]["value"],
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.PART_SLIVER_M2,
                self.tr("Sliver part under (m²)"),
                QgsProcessingParameterNumber.Type.Double,
                tol["part_sliver_m2"]["value"],
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.ENCODING, self.tr("Text encoding of shapefiles without .cpg (e.g. GBK)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.FAIL_ON_ERROR, self.tr("Fail when errors are found (CI / qgis_process)"), False
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(self.OUTPUT, self.tr("Issues GeoPackage"), "GeoPackage (*.gpkg)")
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(self.SUMMARY, self.tr("Summary by rule (CSV)"), "CSV (*.csv)")
        )
        self.addParameter(QgsProcessingParameterFileDestination(self.REPORT, self.tr("HTML report"), "HTML (*.html)"))
        for name, label in (
            (self.ERRORS, QT_TRANSLATE_NOOP("SoilConservation", "Errors")),
            (self.WARNINGS, QT_TRANSLATE_NOOP("SoilConservation", "Warnings")),
            (self.INFOS, QT_TRANSLATE_NOOP("SoilConservation", "Infos")),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))

    def help(self) -> str:
        return self.tr(
            "Checks any result layer (steep-slope patches, small-watershed units, zones) and writes a coded issue "
            "list. Each issue has a stable rule id (resources/rules/checks.json), a severity and a zh/en message "
            "naming the layer, the feature and the measured value.\n"
            "Red line (optional layer, e.g. 陆域生态保护红线 from a 三区三线 FileGDB): overlap area and share per "
            "feature (RL-001, info; RL-004 for steep-slope patches); with a zone field, features at least 50 % inside "
            "whose zone contradicts the rule (RL-002: 'include' = must be 预防区, 'exclude' = must not be; 'flag', the "
            "default, only reports) and red-line areas left unzoned (RL-003). The 衔接 rule is not known: a default, "
            "not the standard.\n"
            "Geometry: invalid, empty, sliver parts (< 100 m²), parts under the minimum patch. Topology: overlaps and, "
            "for a layer meant to cover, gaps, each as its own polygon (tolerance 1 m²). Boundary: parts outside the "
            "county, sum of areas against the county area (0.1 %). Attributes: required fields and types, unique codes "
            "and their format, county codes in the 吉林 NBS 2023 list (220381 accepted as the old 220184), stored "
            "areas to 0.01 ha. CRS: not CGCS2000 gives a warning; inputs in other CRSs are reprojected and reported.\n"
            "All areas are geodesic on the layer's ellipsoid. All tolerances are project defaults, not standards.\n"
            "Outputs: the issues GeoPackage (layer 'issues'; review decisions in table 'review_decisions' are kept "
            "when the checks run again), a summary CSV, a self-contained HTML report with overview maps. 'Fail when "
            "errors are found' makes qgis_process exit non-zero for CI."
        )

    # --- parameters ----------------------------------------------------------------------------
    def _source(self, parameters, name, context, feedback, label, encoding):
        """(path, layer name) of a vector input, read by OGR itself so invalid geometries are seen."""
        from ..core.checks.inputs import read_vector
        from ..core.checks.quality import load_check_rules

        if parameters.get(name) in (None, ""):
            return None
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if layer is None or not layer.isValid():
            raise InputError(label, "未提供有效的矢量图层", "no valid vector layer was given")
        # a filtered layer is exported by QGIS (so the filter holds); a plain file is read as it is
        if layer.providerType() == "ogr" and not layer.subsetString():
            parts = layer.source().split("|")
            layer_name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
            if Path(parts[0]).exists():
                return read_vector(
                    parts[0],
                    label,
                    layer_name=layer_name,
                    encoding=encoding,
                    preferred_layers=tuple(load_check_rules()["redline"]["layer_names"]),
                )
        path, layer_name = self.vector_file(parameters, name, context, feedback, label)
        return read_vector(path, label, layer_name=layer_name)

    def _field(self, parameters, name, context):
        value = self.parameterAsString(parameters, name, context)
        return value or None

    def process(self, parameters, context, feedback):
        from ..core.checks.quality import CheckOptions, load_check_rules, rules_citation, run_checks, write_summary_csv
        from ..core.checks.report import write_report
        from ..core.checks.review import ISSUES_LAYER, write_issue_gpkg

        qgs_feedback = getattr(feedback, "qgs", None)
        encoding = self.parameterAsString(parameters, self.ENCODING, context) or None
        input_layer = self.parameterAsVectorLayer(parameters, self.INPUT, context)
        label = input_layer.name() if input_layer is not None else self.tr("Result layer")
        layer = self._source(parameters, self.INPUT, context, qgs_feedback, label, encoding)
        redline = self._source(parameters, self.REDLINE, context, qgs_feedback, self.tr("生态保护红线"), encoding)
        boundary = self._source(parameters, self.BOUNDARY, context, qgs_feedback, self.tr("County boundary"), encoding)
        rules = load_check_rules()
        prevention = tuple(
            v.strip()
            for v in (self.parameterAsString(parameters, self.PREVENTION_VALUES, context) or "").split(",")
            if v.strip()
        )
        options = CheckOptions(
            kind=self.KINDS[self.parameterAsEnum(parameters, self.KIND, context)],
            code_field=self._field(parameters, self.CODE_FIELD, context),
            code_format=CODE_FORMATS[self.parameterAsEnum(parameters, self.CODE_FORMAT, context)],
            code_template=self.parameterAsString(parameters, self.CODE_TEMPLATE, context) or "",
            county_field=self._field(parameters, self.COUNTY_FIELD, context),
            township_field=self._field(parameters, self.TOWNSHIP_FIELD, context),
            area_field=self._field(parameters, self.AREA_FIELD, context),
            area_unit=AREA_UNITS[self.parameterAsEnum(parameters, self.AREA_UNIT, context)],
            zone_field=self._field(parameters, self.ZONE_FIELD, context),
            covers=COVER_CHOICES[self.parameterAsEnum(parameters, self.COVERS, context)],
            redline_rule=rules["redline"]["rules"][self.parameterAsEnum(parameters, self.REDLINE_RULE, context)],
            prevention_values=prevention,
            min_patch_ha=self.parameterAsDouble(parameters, self.MIN_PATCH_HA, context),
            overlap_sliver_m2=self.parameterAsDouble(parameters, self.OVERLAP_SLIVER_M2, context),
            part_sliver_m2=self.parameterAsDouble(parameters, self.PART_SLIVER_M2, context),
        )
        gpkg = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        summary = self.parameterAsFileOutput(parameters, self.SUMMARY, context)
        report = self.parameterAsFileOutput(parameters, self.REPORT, context)

        result = run_checks(layer, options, redline=redline, boundary=boundary, feedback=SubFeedback(feedback, 0, 80))
        matched = write_issue_gpkg(gpkg, result.issues, result.crs)
        write_summary_csv(summary, result.issues)
        counts = result.counts()
        feedback.info(
            self.tr("Issues: {e} errors, {w} warnings, {i} infos; {m} review decisions carried over").format(
                e=counts["error"], w=counts["warning"], i=counts["info"], m=matched
            )
        )
        feedback.check()

        images = self._render(gpkg, layer, redline, result, feedback)
        feedback.progress(95)
        resolved = result.options
        meta = run_metadata(
            "checks",
            {
                "layer": layer.path,
                "redline": redline.path if redline else None,
                "boundary": boundary.path if boundary else None,
            },
            {
                "layer": layer.label,
                "layer_name": layer.layer_name,
                "encoding": layer.encoding,
                "options": {k: (list(v) if isinstance(v, tuple) else v) for k, v in resolved.__dict__.items()},
                "tolerance_sources": {
                    k: {"source": v["source"], "tag": v["tag"], "default": v["default"]}
                    for k, v in rules["tolerances"].items()
                },
            },
            {"counts": counts, "review_decisions_matched": matched, "stats": result.stats},
            rules_citation(),
            encoding=encoding,
        )
        meta["outputs"] = {"issues": gpkg, "summary": summary, "report": report}
        write_report(report, result.issues, meta, images)
        write_json(Path(gpkg).with_suffix(".meta.json"), meta)

        if context.project() is not None:
            name = self.tr("Check issues")
            details = QgsProcessingContext.LayerDetails(name, context.project(), self.OUTPUT)
            details.setPostProcessor(StylePostProcessor.create(resources_path("styles", "check_issues.qml"), name))
            context.addLayerToLoadOnCompletion(f"{gpkg}|layername={ISSUES_LAYER}", details)
        if self.parameterAsBool(parameters, self.FAIL_ON_ERROR, context) and counts["error"] > 0:
            raise ChecksFailed(
                label, f"发现 {counts['error']} 个错误(见 {report})", f"{counts['error']} errors found (see {report})"
            )
        return {
            self.OUTPUT: gpkg,
            self.SUMMARY: summary,
            self.REPORT: report,
            self.ERRORS: counts["error"],
            self.WARNINGS: counts["warning"],
            self.INFOS: counts["info"],
        }

    # --- overview images -----------------------------------------------------------------------
    def _render(self, gpkg, layer, redline, result, feedback) -> list:
        """PNG overview of the layer with the red line and the issues, plus close-ups of the worst issues."""
        from ..core.checks.quality import worst_issues
        from ..core.checks.review import ISSUES_LAYER

        # drawing order, top first: red line outline, issues, the result layer in grey
        layers = []
        issues = QgsVectorLayer(f"{gpkg}|layername={ISSUES_LAYER}", "issues", "ogr")
        styles = {
            "redline": {
                "color": "0,0,0,0",
                "outline_color": "#1a9850",
                "outline_width": "0.8",
                "outline_style": "dash",
            },
            "layer": {"color": "#d9d9d9", "outline_color": "#737373", "outline_width": "0.3"},
        }
        for key, data in (("redline", redline), ("issues", None), ("layer", layer)):
            if key == "issues":
                if issues.isValid():
                    issues.loadNamedStyle(str(resources_path("styles", "check_issues.qml")))
                    layers.append(issues)
                continue
            if data is None:
                continue
            uri = data.path + (f"|layername={data.layer_name}" if not data.path.lower().endswith(".shp") else "")
            lyr = QgsVectorLayer(uri, data.label, "ogr")
            if lyr.isValid():
                lyr.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple(styles[key])))
                layers.append(lyr)
        if not layers:
            return []
        crs = QgsCoordinateReferenceSystem(result.crs.to_wkt()) if result.crs is not None else layers[-1].crs()
        # extent in the result CRS, from the result's own geometries and the issues
        boxes = [
            g.bounds
            for g in list(layer.geoms) + [i.geometry for i in result.issues]
            if g is not None and not g.is_empty
        ]
        if not boxes:
            return []
        extent = QgsRectangle(
            min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes)
        )
        extent.grow(max(extent.width(), extent.height()) * 0.05)
        images = [
            (
                self.tr(
                    "Overview: result layer (grey), red line (green dashes), issues (red error / orange warning / blue "
                    "info)"
                ),
                self._png(layers, crs, extent),
            )
        ]
        for n, issue in enumerate([i for i in worst_issues(result.issues, 50) if i.geometry is not None][:3], start=1):
            b = issue.geometry.bounds
            rect = QgsRectangle(*b)
            rect.grow(max(rect.width(), rect.height(), 1.0) * 0.6)
            images.append((f"{n}. {issue.rule_id} {issue.message_en}", self._png(layers, crs, rect)))
        del layers, issues
        return images

    @staticmethod
    def _png(layers, crs, extent, size=(800, 560)) -> bytes:
        settings = QgsMapSettings()
        settings.setLayers(layers)
        settings.setDestinationCrs(crs)
        settings.setOutputSize(QSize(*size))
        settings.setBackgroundColor(QColor("white"))
        settings.setExtent(extent)
        image = QImage(QSize(*size), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QColor("white"))
        painter = QPainter(image)
        job = QgsMapRendererCustomPainterJob(settings, painter)
        job.start()
        job.waitForFinished()
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        return bytes(data)
