"""Import an official 小流域 layer: validate it, report, and write it as the unit layer."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.errors import ChecksFailed, InputError
from ..core.common.io import write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from ..core.watersheds.coding import RULES_FILE, load_coding_rules, rule_value
from .base import AlgorithmBase, StylePostProcessor


class ImportUnitsAlgorithm(AlgorithmBase):
    NAME = "import_units"
    REQUIRES = (
        "numpy",
        "osgeo.gdal",
        "rasterio",
        "numba",
        "scipy",
        "pyflwdir",
        "pyproj",
        "shapely",
        "geopandas",
        "rtree",
    )
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Import and validate an official small-watershed (小流域) layer")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Small watersheds (小流域)")
    GROUP_ID = "watersheds"

    INPUT = "INPUT"
    CODE_FIELD = "CODE_FIELD"
    NAME_FIELD = "NAME_FIELD"
    DOWN_FIELD = "DOWN_FIELD"
    COUNTIES = "COUNTIES"
    COUNTY_CODES = "COUNTY_CODES"
    COUNTY_CODE_FIELD = "COUNTY_CODE_FIELD"
    COUNTY_NAME_FIELD = "COUNTY_NAME_FIELD"
    MIN_AREA = "MIN_AREA"
    MAX_AREA = "MAX_AREA"
    CODE_REGEX = "CODE_REGEX"
    STRICT = "STRICT"
    OUTPUT = "OUTPUT"
    REPORT = "REPORT"
    TOPOLOGY = "TOPOLOGY"
    METADATA = "METADATA"
    UNITS = "UNITS"
    ISSUES = "ISSUES"
    ERRORS = "ERRORS"
    WARNINGS = "WARNINGS"

    def initAlgorithm(self, config=None):  # noqa: N802
        rules = load_coding_rules()
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.INPUT, self.tr("Official small-watershed layer"), [QgsProcessing.SourceType.TypeVectorPolygon]
            )
        )
        self.addParameter(QgsProcessingParameterField(self.CODE_FIELD, self.tr("Code field"), None, self.INPUT))
        self.addParameter(
            QgsProcessingParameterField(self.NAME_FIELD, self.tr("Name field"), None, self.INPUT, optional=True)
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.DOWN_FIELD, self.tr("Downstream code field"), None, self.INPUT, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.COUNTIES,
                self.tr("County polygons (coverage check)"),
                [QgsProcessing.SourceType.TypeVectorPolygon],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_CODE_FIELD, self.tr("County code field"), None, self.COUNTIES, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_NAME_FIELD, self.tr("County name field"), None, self.COUNTIES, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.COUNTY_CODES,
                self.tr("Only these counties (codes, comma-separated; blank = every county of the layer)"),
                "",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_AREA,
                self.tr("Target minimum unit area (km²)"),
                QgsProcessingParameterNumber.Type.Double,
                float(rule_value(rules, "area", "target_min_km2")),
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MAX_AREA,
                self.tr("Maximum unit area (km²)"),
                QgsProcessingParameterNumber.Type.Double,
                float(rule_value(rules, "area", "max_km2")),
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.CODE_REGEX, self.tr("Code format (regular expression)"), str(rule_value(rules, "code_regex"))
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.STRICT, self.tr("Fail when errors are found (after writing the report)"), False
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Units GeoPackage (layers units, outlets, issues)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(self.REPORT, self.tr("Validation report"), "CSV (*.csv)")
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.TOPOLOGY, self.tr("Topology table (unit → downstream)"), "CSV (*.csv)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(self.METADATA, self.tr("Run metadata"), "JSON (*.json)")
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.UNITS, self.tr("Small watersheds (小流域)"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.ISSUES, self.tr("Validation issues"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.ERRORS, self.tr("Errors")))
        self.addOutput(QgsProcessingOutputNumber(self.WARNINGS, self.tr("Warnings")))

    def help(self) -> str:
        return self.tr(
            "Checks an existing 小流域 layer (e.g. the national 小流域划分成果) and writes it as the unit layer the "
            "zoning steps use (fields unit_code, unit_name, down_code, up_codes, area_km2, county_code, county_name, "
            "outlet_x, outlet_y).\n"
            "Map the code field, and the name and downstream-code fields where the layer has them.\n"
            "Checks: geometry validity (invalid ones are repaired and reported), empty geometries, missing, duplicate "
            "(renamed code_2, …) and badly formatted codes, area range, overlaps, gaps and coverage of the county "
            "polygons (or holes in the layer without them), units crossing a county line (SL 653 splits them into "
            "小流域亚单元 [S]), and with a downstream field: unknown codes, self-loops, cycles, non-adjacent "
            "downstream units.\n"
            "Areas are on the ellipsoid. Defaults (rules file unit_coding.json): maximum 50 km² ('一般不超过50 km²' "
            "[S]); target minimum 30 km² and the code format are defaults, not SL 653 (NOT FOUND).\n"
            "Outlets: an imported layer has no DEM, so a unit's outlet is the midpoint of the edge it shares with its "
            "downstream unit, and empty where there is none.\n"
            "Outputs: the report CSV and an 'issues' polygon layer; 'units' and 'outlets' layers; topology CSV; run "
            "metadata. With 'Fail when errors are found' the run stops with an error after writing the report."
        )

    def process(self, parameters, context, feedback):
        from ..core.watersheds.delineation import UnitParams
        from ..core.watersheds.import_units import import_units, write_import

        rules = load_coding_rules()
        qgs_feedback = getattr(feedback, "qgs", None)
        src = self.vector_file(parameters, self.INPUT, context, qgs_feedback, self.tr("Official small-watershed layer"))
        if src is None:
            raise InputError(self.tr("Official small-watershed layer"), "未提供图层", "no layer was given")
        counties = self.vector_file(parameters, self.COUNTIES, context, qgs_feedback, self.tr("County polygons"))
        from ..core.common.counties import parse_codes

        chosen = tuple(parse_codes(self.parameterAsString(parameters, self.COUNTY_CODES, context)))
        if counties and chosen:
            counties = (*counties, chosen)
        params = UnitParams.from_rules(
            rules,
            target_min_km2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
            max_km2=self.parameterAsDouble(parameters, self.MAX_AREA, context),
        )
        fields = {
            k: (self.parameterAsString(parameters, k, context) or None)
            for k in (self.CODE_FIELD, self.NAME_FIELD, self.DOWN_FIELD, self.COUNTY_CODE_FIELD, self.COUNTY_NAME_FIELD)
        }
        pattern = self.parameterAsString(parameters, self.CODE_REGEX, context) or None
        gpkg = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        report = self.parameterAsFileOutput(parameters, self.REPORT, context)
        topo = self.parameterAsFileOutput(parameters, self.TOPOLOGY, context)
        meta_path = self.parameterAsFileOutput(parameters, self.METADATA, context)

        res = import_units(
            src[0],
            src[1],
            fields[self.CODE_FIELD] or "",
            fields[self.NAME_FIELD],
            fields[self.DOWN_FIELD],
            counties=counties,
            county_code_field=fields[self.COUNTY_CODE_FIELD] if counties else None,
            county_name_field=fields[self.COUNTY_NAME_FIELD] if counties else None,
            params=params,
            code_pattern=pattern,
            rules=rules,
            feedback=feedback,
            label=self.tr("Official small-watershed layer"),
        )
        written = write_import(res, gpkg, report, topo)
        meta = run_metadata(
            "import_units",
            {"units": src[0], "counties": counties[0] if counties else None},
            {
                "fields": fields,
                "params": {"target_min_km2": params.target_min_km2, "max_km2": params.max_km2},
                "code_regex": pattern,
            },
            res.stats,
            {
                "unit_coding": {
                    "file": str(resources_path("rules", RULES_FILE)),
                    "version": rules["version"],
                    "note": rules["note"],
                }
            },
        )
        meta["outputs"] = written
        write_json(meta_path, meta)
        feedback.info(
            self.tr("{e} errors, {w} warnings; report: {r}").format(
                e=res.stats["errors"], w=res.stats["warnings"], r=report
            )
        )
        if context.project() is not None:
            details = QgsProcessingContext.LayerDetails(
                self.tr("Small watersheds (小流域)"), context.project(), self.UNITS
            )
            details.setPostProcessor(
                StylePostProcessor.create(resources_path("styles", "units.qml"), self.tr("Small watersheds (小流域)"))
            )
            context.addLayerToLoadOnCompletion(written["units"], details)
            if written["issues"]:
                context.addLayerToLoadOnCompletion(
                    written["issues"],
                    QgsProcessingContext.LayerDetails(self.tr("Validation issues"), context.project(), self.ISSUES),
                )
        if self.parameterAsBool(parameters, self.STRICT, context) and res.n_errors:
            raise ChecksFailed(
                self.tr("Official small-watershed layer"),
                f"校验发现 {res.n_errors} 个错误，见报告 {report}",
                f"validation found {res.n_errors} errors; see the report {report}",
            )
        return {
            self.OUTPUT: gpkg,
            self.UNITS: written["units"],
            self.ISSUES: written["issues"],
            self.REPORT: report,
            self.TOPOLOGY: topo,
            self.METADATA: meta_path,
            self.ERRORS: res.stats["errors"],
            self.WARNINGS: res.stats["warnings"],
        }
