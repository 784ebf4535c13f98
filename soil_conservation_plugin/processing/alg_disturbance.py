"""Supervision overlays: 疑似违法违规扰动图斑 against the zones, a 核查清单 per county, 销号 tracking."""

from __future__ import annotations

import os

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingOutputString,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMapLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsRasterLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.errors import InputError
from ..core.common.paths import resources_path
from .base import AlgorithmBase, StylePostProcessor

POLYGON = [QgsProcessing.SourceType.TypeVectorPolygon]


class DisturbanceCheckAlgorithm(AlgorithmBase):
    NAME = "disturbance_check"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "pyproj", "shapely", "geopandas", "openpyxl")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Disturbance patches against the zones (扰动图斑核查)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Supervision (监管)")
    GROUP_ID = "supervision"

    PATCHES = "PATCHES"
    STEEP = "STEEP"
    ZONES = "ZONES"
    REDLINE = "REDLINE"
    UNITS = "UNITS"
    TOWNSHIPS = "TOWNSHIPS"
    COUNTIES = "COUNTIES"
    LANDUSE = "LANDUSE"
    PREVIOUS = "PREVIOUS"
    FIELDS_FILE = "FIELDS_FILE"
    RULES_FILE = "RULES_FILE"
    ENCODING = "ENCODING"
    OUTPUT = "OUTPUT"
    CHECKLIST = "CHECKLIST"
    PATCHES_OUT = "PATCHES_OUT"
    PATCH_COUNT = "PATCH_COUNT"
    STEEP_RECLAMATION = "STEEP_RECLAMATION"
    KEY_CHECK = "KEY_CHECK"
    NEW, SAME, CLOSED = "NEW", "SAME", "CLOSED"
    METADATA = "METADATA"
    REPORT = "REPORT"

    # (parameter, description, the core's input name)
    VECTORS = (
        (PATCHES, QT_TRANSLATE_NOOP("SoilConservation", "Disturbance patches as issued (扰动图斑)"), "patches"),
        (STEEP, QT_TRANSLATE_NOOP("SoilConservation", "Steep-slope patches (禁止开垦陡坡地)"), "steep"),
        (ZONES, QT_TRANSLATE_NOOP("SoilConservation", "Zones (zoning output, layer 'zones')"), "zones"),
        (REDLINE, QT_TRANSLATE_NOOP("SoilConservation", "生态保护红线 layer"), "redline"),
        (UNITS, QT_TRANSLATE_NOOP("SoilConservation", "Small watersheds (小流域)"), "units"),
        (TOWNSHIPS, QT_TRANSLATE_NOOP("SoilConservation", "Townships (乡镇)"), "townships"),
        (COUNTIES, QT_TRANSLATE_NOOP("SoilConservation", "Counties (县)"), "counties"),
    )

    def initAlgorithm(self, config=None):  # noqa: N802
        for name, label, _ in self.VECTORS:
            self.addParameter(QgsProcessingParameterVectorLayer(name, self.tr(label), POLYGON))
        self.addParameter(
            QgsProcessingParameterMapLayer(
                self.LANDUSE, self.tr("Land use: 三调 地类图斑 or a land-use raster"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.PREVIOUS, self.tr("Last year's checked patches"), POLYGON, optional=True
            )
        )
        for name, label in (
            (self.FIELDS_FILE, QT_TRANSLATE_NOOP("SoilConservation", "Own field-mapping file (JSON)")),
            (self.RULES_FILE, QT_TRANSLATE_NOOP("SoilConservation", "Own risk rule file (JSON)")),
        ):
            self.addParameter(
                QgsProcessingParameterFile(name, self.tr(label), optional=True, fileFilter="JSON (*.json)")
            )
        self.addParameter(
            QgsProcessingParameterString(
                self.ENCODING, self.tr("Text encoding of shapefiles without .cpg (e.g. GBK)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Checked patches GeoPackage (statuses kept)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(QgsProcessingParameterFolderDestination(self.CHECKLIST, self.tr("核查清单 folder")))
        self.addOutput(QgsProcessingOutputVectorLayer(self.PATCHES_OUT, self.tr("Checked patches"), POLYGON[0]))
        for name, label in (
            (self.PATCH_COUNT, QT_TRANSLATE_NOOP("SoilConservation", "Number of patches")),
            (self.STEEP_RECLAMATION, QT_TRANSLATE_NOOP("SoilConservation", "Suspected steep-slope reclamation")),
            (self.KEY_CHECK, QT_TRANSLATE_NOOP("SoilConservation", "Priority checks")),
            (self.NEW, QT_TRANSLATE_NOOP("SoilConservation", "New since last year")),
            (self.SAME, QT_TRANSLATE_NOOP("SoilConservation", "Same place as last year")),
            (self.CLOSED, QT_TRANSLATE_NOOP("SoilConservation", "Closed last year, issued again")),
        ):
            self.addOutput(QgsProcessingOutputNumber(name, self.tr(label)))
        self.addOutput(QgsProcessingOutputFile(self.METADATA, self.tr("Run metadata")))
        self.addOutput(QgsProcessingOutputFile(self.REPORT, self.tr("HTML report")))

    def help(self) -> str:
        return self.tr(
            "For each 疑似违法违规扰动图斑 issued by the ministry or the province: its county, 乡镇 and 小流域 "
            "(the one holding the largest part, with that share); the area and share of the patch inside "
            "禁止开垦陡坡地 (the steep-slope output), 重点预防区, 重点治理区, 水土流失严重 and 生态脆弱区域 (the "
            "zoning output's layer 'zones', field zone_id) and the 生态保护红线; the land use under it (三调 "
            "地类图斑 with DLBM, or a raster of GB/T 21010 codes: cells whose centre lies in the patch); a risk "
            "class from the rule file, with the rule that fired and an audit of every rule (values, thresholds, "
            "conditions that could not be evaluated).\n"
            "All areas are ellipsoidal (pyproj Geod on the patch layer's ellipsoid), in 公顷 to 0.01.\n"
            "Field mapping: field names vary by year and issuer; resources/rules/disturbance_fields.json lists "
            "candidate names for 图斑编号 (required), 扰动面积, 扰动类型, 项目名称, 建设单位, 批复情况 and "
            "下发年度. The official schema was NOT FOUND: the names are defaults. Copy the file, add your names, "
            "give it as 'Own field-mapping file'.\n"
            "Risk rules: resources/rules/disturbance_risk.json (e.g. in 禁止开垦陡坡地 and cultivated → "
            "疑似陡坡开垦; in the 生态保护红线 → 重点核查; in a 重点预防区 without approval → 重点核查). Every "
            "rule and threshold is a default, not the standard.\n"
            "Last year's patches (optional, e.g. last year's output): each patch is marked new, same place "
            "(overlap of at least half of the smaller patch, a default) or closed last year (已销号); the counts "
            "per county are reported.\n"
            "Refused before any work: a missing 图斑编号 field, empty or repeated 图斑编号, empty, non-polygon "
            "or invalid geometries, no CRS or Web Mercator.\n"
            "Outputs: the GeoPackage (layer disturbance_patches; polygon layer disturbance_status, one feature per "
            "patch whose status was set, so empty after a first check, its geometry matching the status to its "
            "patch in a re-issued layer, with the 销号 "
            "status 待核查 → 已核查 (合规/违规) → 整改中 → 已销号, dates and comments, kept when the check runs "
            "again into the same file; table disturbance_status_log); the 核查清单 folder: per county an XLSX "
            "and a CSV (Chinese headers, ordered by risk, 合计 row equal to the layer's sums), a summary per "
            "county, and 核查报告.html (output REPORT: per county a figure of patches and area by risk class and "
            "by zone kind, inline SVG, with the 核查清单's numbers); run metadata JSON citing the rule files and "
            "their versions."
        )

    def _vector(self, parameters, name: str, description: str, context, feedback) -> tuple[str | None, str]:
        """(``path|layername=x`` of a vector parameter or None when not given, the label errors name it by)."""
        label = self.tr(description)
        if parameters.get(name) in (None, ""):
            return None, label
        layer = self.parameterAsVectorLayer(parameters, name, context)
        if layer is not None:
            label = f"{label}: {layer.name()}"
        spec = self.vector_file(parameters, name, context, feedback, label)
        if spec is None:
            return None, label
        path, layer_name = spec
        uri = f"{path}|layername={layer_name}" if layer_name and not path.lower().endswith(".shp") else path
        return uri, label

    def _landuse(self, parameters, context, feedback) -> str | None:
        if parameters.get(self.LANDUSE) in (None, ""):
            return None
        layer = self.parameterAsLayer(parameters, self.LANDUSE, context)
        label = self.tr("Land use")
        if isinstance(layer, QgsRasterLayer):
            return self.raster_file(parameters, self.LANDUSE, context, label)
        path, layer_name = self.vector_file(parameters, self.LANDUSE, context, feedback, label)
        return f"{path}|layername={layer_name}" if layer_name and not path.lower().endswith(".shp") else path

    def process(self, parameters, context, feedback):
        from ..core.disturbance.run import DisturbanceInputs, run_check, write_outputs
        from ..core.disturbance.store import PATCHES_LAYER

        qgs = getattr(feedback, "qgs", None)
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        folder = self.parameterAsString(parameters, self.CHECKLIST, context)
        if not out.lower().endswith(".gpkg"):
            raise InputError(
                self.tr("Checked patches GeoPackage (statuses kept)"),
                f"输出必须是 GeoPackage (.gpkg): {out}",
                f"the output must be a GeoPackage (.gpkg): {out}",
            )
        given = {key: self._vector(parameters, name, label, context, qgs) for name, label, key in self.VECTORS}
        given["previous"] = self._vector(parameters, self.PREVIOUS, "Last year's checked patches", context, qgs)
        previous = given["previous"][0]
        if previous and os.path.abspath(previous.split("|")[0]) == os.path.abspath(out):
            raise InputError(
                self.tr("Last year's checked patches"),
                f"上年图斑与本次输出是同一个文件，会被覆盖：{out}；请为今年另选输出文件",
                f"last year's patches are in this run's output file and would be replaced: {out}; "
                "choose another output file for this year",
            )
        inputs = DisturbanceInputs(
            **{key: uri for key, (uri, _) in given.items()},
            landuse=self._landuse(parameters, context, qgs),
            fields_file=self.parameterAsFile(parameters, self.FIELDS_FILE, context) or None,
            rules_file=self.parameterAsFile(parameters, self.RULES_FILE, context) or None,
            encoding=self.parameterAsString(parameters, self.ENCODING, context) or None,
            labels={key: label for key, (_, label) in given.items()} | {"landuse": self.tr("Land use")},
        )
        result = run_check(inputs, existing_output=out, feedback=feedback)
        feedback.check()
        written = write_outputs(result, out, folder, inputs)
        counts = result.counts
        rules = result.prepared.rules
        for c in sorted(rules.classes.values(), key=lambda c: c.rank):
            feedback.info(f"{c.zh} {c.en}: {counts['risk'][c.id]}")
        yoy_total = {"new": 0, "same": 0, "closed": 0}
        for code, kinds in counts["yoy_per_county"].items():
            feedback.info(
                f"{code or '县外'}: 新增 new {kinds['new']}, 同位置 same {kinds['same']}, "
                f"已销号 closed {kinds['closed']}"
            )
            for k in yoy_total:
                yoy_total[k] += kinds[k]
        feedback.info(
            f"rules {rules.id} version {rules.version}; field mapping version {result.prepared.mapping.version}; "
            f"{result.carried} statuses carried over 销号状态已沿用"
        )
        for note in result.prepared.notes:
            if note.startswith("警告") and qgs is not None:
                qgs.pushWarning(note)
            else:
                feedback.info(note)
        uri = f"{out}|layername={PATCHES_LAYER}"
        if context.project() is not None:
            name = self.tr("Checked patches")
            details = QgsProcessingContext.LayerDetails(name, context.project(), self.PATCHES_OUT)
            qml = resources_path("styles", "disturbance_patches.qml")
            details.setPostProcessor(StylePostProcessor.create(qml, name))
            context.addLayerToLoadOnCompletion(uri, details)
        return {
            self.OUTPUT: out,
            self.CHECKLIST: folder,
            self.PATCHES_OUT: uri,
            self.PATCH_COUNT: counts["patches"],
            self.STEEP_RECLAMATION: counts["risk"].get("steep_reclamation", 0),
            self.KEY_CHECK: counts["risk"].get("key_check", 0),
            self.NEW: yoy_total["new"],
            self.SAME: yoy_total["same"],
            self.CLOSED: yoy_total["closed"],
            self.METADATA: written["metadata"],
            self.REPORT: written["report"],
        }


class DisturbanceStatusAlgorithm(AlgorithmBase):
    """One step of the 销号 cycle for one patch, in the check's GeoPackage (for qgis_process and models;
    the dock's reviewer page calls the same core function)."""

    NAME = "disturbance_status"
    REQUIRES = ("osgeo.gdal", "pyproj", "shapely")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Set a disturbance patch's status (销号)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Supervision (监管)")
    GROUP_ID = "supervision"

    GEOPACKAGE = "GEOPACKAGE"
    PATCH_ID = "PATCH_ID"
    YEAR = "YEAR"
    STATUS = "STATUS"
    VERDICT = "VERDICT"
    DATE = "DATE"
    COMMENT = "COMMENT"
    REVIEWER = "REVIEWER"
    STATUS_OUT = "STATUS_OUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        from ..core.disturbance.status import STATUS_EN, STATUSES, VERDICT_EN, VERDICTS

        self.addParameter(
            QgsProcessingParameterFile(
                self.GEOPACKAGE, self.tr("Checked patches GeoPackage (statuses kept)"), fileFilter="GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(QgsProcessingParameterString(self.PATCH_ID, self.tr("图斑编号")))
        self.addParameter(
            QgsProcessingParameterString(self.YEAR, self.tr("下发年度 (when the id repeats)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.STATUS, self.tr("New status"), [f"{s} {STATUS_EN[s]}" for s in STATUSES], defaultValue=1
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.VERDICT,
                self.tr("Verdict (with 已核查)"),
                ["", *[f"{v} {VERDICT_EN[v]}" for v in VERDICTS]],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(self.DATE, self.tr("Date (YYYY-MM-DD, blank = today)"), optional=True)
        )
        self.addParameter(QgsProcessingParameterString(self.COMMENT, self.tr("Comment"), optional=True))
        self.addParameter(QgsProcessingParameterString(self.REVIEWER, self.tr("Reviewer"), optional=True))
        self.addOutput(QgsProcessingOutputString(self.STATUS_OUT, self.tr("Status now")))

    def help(self) -> str:
        return self.tr(
            "Sets the 销号 status of one patch in the GeoPackage written by 'Disturbance patches against the "
            "zones': 待核查 → 已核查 (合规 or 违规) → 整改中 → 已销号. A 合规 patch may be closed right after the "
            "check, a 违规 one only after 整改中; going back to 待核查 needs a comment. The patch layer, the "
            "status table and the log are rewritten together; the status stays when the check runs again into "
            "the same file. The 核查清单 shows it from the next run of the check."
        )

    def input_files(self, parameters, context):
        return []  # the GeoPackage is edited in place on purpose (record_status writes it atomically)

    def process(self, parameters, context, feedback):
        from ..core.disturbance.status import STATUSES, VERDICTS, record_status

        verdict_index = self.parameterAsEnum(parameters, self.VERDICT, context)
        after = record_status(
            self.parameterAsFile(parameters, self.GEOPACKAGE, context),
            self.parameterAsString(parameters, self.PATCH_ID, context).strip(),
            STATUSES[self.parameterAsEnum(parameters, self.STATUS, context)],
            VERDICTS[verdict_index - 1] if verdict_index > 0 else "",
            on=self.parameterAsString(parameters, self.DATE, context).strip() or None,
            comment=self.parameterAsString(parameters, self.COMMENT, context),
            reviewer=self.parameterAsString(parameters, self.REVIEWER, context) or None,
            year=self.parameterAsString(parameters, self.YEAR, context).strip() or None,
        )
        text = f"{after.patch_id}: {after.status} {after.verdict}".strip()
        feedback.info(text)
        return {self.STATUS_OUT: text}
