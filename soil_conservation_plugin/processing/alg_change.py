"""Change between two erosion years (水土流失动态监测): per 小流域 and per 县, transitions, progress to targets."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.io import write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from .base import AlgorithmBase, StylePostProcessor
from .input_guard import LocalRasterInputs


class ChangeAlgorithm(LocalRasterInputs, AlgorithmBase):
    NAME = "change"
    REQUIRES = ("numpy", "osgeo.gdal", "pyproj", "shapely", "geopandas")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Change between two erosion years (水土流失动态)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Roll-up and change (汇总与动态)")
    GROUP_ID = "rollup"
    OUTPUT_LAYERS = {"OUTPUT": ("unit_change", "county_change")}

    UNITS = "UNITS"
    EROSION_BEFORE = "EROSION_BEFORE"
    YEAR_BEFORE = "YEAR_BEFORE"
    EROSION_AFTER = "EROSION_AFTER"
    YEAR_AFTER = "YEAR_AFTER"
    KIND = "KIND"
    COUNTIES = "COUNTIES"
    COUNTY_FIELD = "COUNTY_FIELD"
    TARGETS = "TARGETS"
    TARGET_YEAR = "TARGET_YEAR"
    OUTPUT = "OUTPUT"
    TABLES = "TABLES"
    REPORT = "REPORT"
    CHANGE_RASTER = "CHANGE_RASTER"
    METADATA = "METADATA"
    UNITS_OUT = "UNITS_OUT"
    LABELS = "LABELS"

    KINDS = ["classes", "modulus"]

    def initAlgorithm(self, config=None):  # noqa: N802
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        integer = QgsProcessingParameterNumber.Type.Integer
        self.addParameter(
            QgsProcessingParameterVectorLayer(self.UNITS, self.tr("Small watersheds (小流域, field unit_code)"), poly)
        )
        self.addParameter(QgsProcessingParameterRasterLayer(self.EROSION_BEFORE, self.tr("Erosion, earlier year")))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.YEAR_BEFORE, self.tr("Earlier year"), integer, 2024, minValue=1900, maxValue=2100
            )
        )
        self.addParameter(QgsProcessingParameterRasterLayer(self.EROSION_AFTER, self.tr("Erosion, later year")))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.YEAR_AFTER, self.tr("Later year"), integer, 2025, minValue=1900, maxValue=2100
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.KIND,
                self.tr("Erosion rasters hold"),
                [self.tr("SL 190 class codes 1–6 (微度…剧烈)"), self.tr("erosion modulus t/(km²·a), e.g. from CSLE")],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.COUNTIES,
                self.tr("County or township polygons (optional; else the units' county code)"),
                poly,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_FIELD,
                self.tr("Code field of the division polygons (county or township code)"),
                "county_code",
                self.COUNTIES,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.LABELS,
                self.tr("Unit raster of the watershed step (int32 labels + .codes.csv, optional)"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.TARGETS,
                self.tr("Targets file (JSON; default: the shipped 吉林 targets)"),
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.TARGET_YEAR,
                self.tr("Target year for the progress (0: none)"),
                integer,
                2025,
                minValue=0,
                maxValue=2100,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Change GeoPackage (layers unit_change, county_change)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(QgsProcessingParameterFolderDestination(self.TABLES, self.tr("Folder for the tables")))
        self.addParameter(
            QgsProcessingParameterFileDestination(self.REPORT, self.tr("HTML report with charts"), "HTML (*.html)")
        )
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.CHANGE_RASTER,
                self.tr("Class change raster (later − earlier class)"),
                optional=True,
                createByDefault=False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.METADATA, self.tr("Run metadata"), "JSON (*.json)", optional=True
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.UNITS_OUT, self.tr("Change per small watershed"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )

    def help(self) -> str:
        return self.tr(
            "Compares two years of erosion (水土流失动态监测): two rasters on the same grid (same CRS, origin, cell "
            "size and size; nothing is resampled), holding SL 190-2007 class codes 1–6 or erosion moduli in "
            "t/(km²·a) such as the CSLE step writes (classed by resources/rules/erosion_classes.json).\nPer small "
            "watershed and per county: 水土流失面积 and 水土保持率 of each year and their change (percentage "
            "points). Each year is measured over all its cells with data by the engine and rules of 'Indicators per "
            "small watershed' and the roll-up (label counting on units on the grid, else exact cell-coverage "
            "fractions; true ground cell areas; class areas scaled to the unit's ellipsoidal area, 0.01 ha), so the "
            "earlier year equals the roll-up of the same raster. Cells with data in one year only are reported "
            "apart; the paired columns, the areas whose class fell or rose and the transition matrix hold the cells "
            "with data in both years. Counties: from the division polygons (county or 乡镇) when given, each unit "
            "split by area share as in the roll-up, else from the units' county_code field (each 亚单元 counted once "
            "in its county). Give the unit raster of the watershed step when the indicators were computed with it.\n"
            "Transition matrix: area from each class of the earlier year to each class of the later "
            "year, with a 无数据 row and column (data in one year only), for all units and per county.\nProgress: "
            "with the targets file (default resources/rules/targets_jilin.json, 吉林 work plan as given in the "
            "plugin's requirements, not verified), the province target of the target year is decomposed to the "
            "counties from the "
            "earlier year (a default method, not an official allocation) and each county's change is compared with "
            "its target.\nOutputs: GeoPackage layers unit_change and county_change (the map of change), CSV and XLSX "
            "tables with Chinese headers, an HTML report with bar charts per county and a transition chart (inline "
            "SVG), optionally a raster of the class change, and run metadata citing the rule files and their "
            "versions."
        )

    def process(self, parameters, context, feedback):
        from ..core.common.vector import read_vector
        from ..core.rollup import change as ch
        from ..core.rollup import outputs, report
        from ..core.rollup import targets as tg

        label = self.layer_label(parameters, self.UNITS, context, self.tr("Small watersheds"))
        src = self.vector_file(parameters, self.UNITS, context, getattr(feedback, "qgs", None), label)
        before_label = self.layer_label(parameters, self.EROSION_BEFORE, context, self.tr("Erosion, earlier year"))
        after_label = self.layer_label(parameters, self.EROSION_AFTER, context, self.tr("Erosion, later year"))
        before = self.raster_file(parameters, self.EROSION_BEFORE, context, before_label)
        after = self.raster_file(parameters, self.EROSION_AFTER, context, after_label)
        year_before = self.parameterAsInt(parameters, self.YEAR_BEFORE, context)
        year_after = self.parameterAsInt(parameters, self.YEAR_AFTER, context)
        kind = self.KINDS[self.parameterAsEnum(parameters, self.KIND, context)]
        target_year = self.parameterAsInt(parameters, self.TARGET_YEAR, context) or None
        targets_path = self.parameterAsFile(parameters, self.TARGETS, context) or None
        targets = tg.load_targets(targets_path) if target_year else None
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        tables = self.parameterAsFileOutput(parameters, self.TABLES, context)
        report_path = self.parameterAsFileOutput(parameters, self.REPORT, context)
        raster_out = (
            self.parameterAsOutputLayer(parameters, self.CHANGE_RASTER, context)
            if parameters.get(self.CHANGE_RASTER)
            else None
        )
        meta_path = (
            self.parameterAsFileOutput(parameters, self.METADATA, context) or out.rsplit(".", 1)[0] + ".meta.json"
        )
        units = read_vector(src[0], label, src[1])
        county_label = self.layer_label(parameters, self.COUNTIES, context, self.tr("County polygons"))
        county_src = self.vector_file(parameters, self.COUNTIES, context, getattr(feedback, "qgs", None), county_label)
        divisions = read_vector(county_src[0], county_label, county_src[1]) if county_src else None
        county_field = self.parameterAsString(parameters, self.COUNTY_FIELD, context) or "county_code"
        labels = (
            self.raster_file(parameters, self.LABELS, context, self.LABELS) if parameters.get(self.LABELS) else None
        )
        result = ch.compute_change(
            units,
            before,
            after,
            year_before=year_before,
            year_after=year_after,
            kind=kind,
            units_label=label,
            before_label=before_label,
            after_label=after_label,
            divisions=divisions,
            division_field=county_field,
            divisions_label=county_label,
            targets=targets,
            target_year=target_year,
            labels=labels,
            feedback=feedback,
        )
        notes = [
            ("年份 years", f"{year_before} → {year_after}"),
            ("侵蚀栅格 rasters", f"{before} ; {after} ({kind})"),
            ("侵蚀分级 classes", f"erosion_classes.json version {result.classes.version}"),
            ("按县 counties from", result.county_method),
            (
                "统计规则 counting",
                f"each year over all its cells with data, as the unit indicators and the roll-up ({result.method}); "
                "paired cells (data in both years) and one-year-only cells apart",
            ),
        ]
        if targets is not None:
            notes += [
                ("目标文件 targets file", f"{targets.path} (version {targets.version})"),
                ("分解方法 method", tg.method_note(targets)),
            ]
        outputs.write_change_tables(result, tables, notes)
        outputs.write_change_layers(result, units, result.county_geoms or {}, out)
        report.write_report(result, report_path, notes)
        if raster_out:
            ch.write_change_raster(result, raster_out)
        total = result.counties  # the roll-up's figures of each year (units split by the divisions, when given)
        feedback.info(
            f"{year_before}→{year_after}: 水土流失面积 {total['loss_before_ha'].sum():.2f} → "
            f"{total['loss_after_ha'].sum():.2f} 公顷, 两期均有数据 {total['paired_ha'].sum():.2f} 公顷 / "
            f"soil-loss area in ha over {len(total)} counties ({len(result.units)} units), paired area"
        )
        meta = run_metadata(
            "change",
            {
                "units": src[0],
                "erosion_before": before,
                "erosion_after": after,
                **({"counties": county_src[0]} if county_src else {}),
                **({"unit_raster": labels} if labels else {}),
                **({"targets_file": targets.path} if targets is not None else {}),
            },
            {
                "year_before": year_before,
                "year_after": year_after,
                "kind": kind,
                "county_field": county_field,
                "target_year": target_year,
            },
            {
                "units": len(result.units),
                "counties": len(result.counties),
                "county_method": result.county_method,
                "counting_method": result.method,
                "loss_before_ha": float(total["loss_before_ha"].sum()),
                "loss_after_ha": float(total["loss_after_ha"].sum()),
                "transition_matrix_ha": result.matrix.round(4).to_dict(),
            },
            {
                "erosion_classes": {"version": result.classes.version, "source": result.classes.source},
                **({"targets": targets.citation()} if targets is not None else {}),
            },
        )
        write_json(meta_path, meta)
        feedback.progress(100)
        uri = f"{out}|layername=unit_change"
        if context.project() is not None:
            details = QgsProcessingContext.LayerDetails(
                self.tr("Change per small watershed"), context.project(), self.UNITS_OUT
            )
            details.setPostProcessor(
                StylePostProcessor.create(resources_path("styles", "change.qml"), self.tr("Change per small watershed"))
            )
            context.addLayerToLoadOnCompletion(uri, details)
        return {
            self.OUTPUT: out,
            self.TABLES: tables,
            self.REPORT: report_path,
            self.CHANGE_RASTER: raster_out,
            self.METADATA: meta_path,
            self.UNITS_OUT: uri,
        }
