"""Export results as one package in the 全国水利一张图 format (versioned schema, CGCS2000)."""

from __future__ import annotations

from qgis.core import (
    QgsCoordinateReferenceSystem,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterCrs,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.errors import InputError
from ..core.export.schema import load_schema
from .base import AlgorithmBase


class ExportAlgorithm(AlgorithmBase):
    NAME = "export"
    REQUIRES = ("numpy", "osgeo.gdal", "pyproj", "shapely")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Export package for the water One Map (全国水利一张图)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Export")
    GROUP_ID = "export"
    FOLDER_OUTPUTS = ("OUTPUT",)

    STEEP = "STEEP_PATCHES"
    UNITS = "UNITS"
    ZONES = "ZONES"
    ISSUES = "ISSUES"
    DISTURBANCE = "DISTURBANCE"
    ROLLUP = "ROLLUP"
    TABLES = "AREA_TABLES"
    FORMAT = "FORMAT"
    ENCODING = "ENCODING"
    CRS = "CRS"
    SCHEMA = "SCHEMA"
    REPAIR = "REPAIR"
    PARTIAL = "PARTIAL"
    ZIP = "ZIP"
    OVERWRITE = "OVERWRITE"
    TITLE = "TITLE"
    PRODUCER = "PRODUCER"
    OUTPUT = "OUTPUT"
    MANIFEST = "MANIFEST"
    ZIP_FILE = "ZIP_FILE"
    FEATURES = "FEATURES"

    FORMATS = ("GPKG", "ESRI Shapefile", "OpenFileGDB")  # the FORMAT enum's options: OGR drivers …
    FORMAT_LABELS = ("GeoPackage (UTF-8)", "Shapefile (.cpg)", "File Geodatabase (GDAL ≥ 3.6)")  # … and their labels
    ENCODINGS = ["GBK", "UTF-8"]

    def initAlgorithm(self, config=None):  # noqa: N802
        polygon = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.STEEP, self.tr("Steep-slope patches (禁止开垦陡坡地图斑)"), polygon, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.UNITS, self.tr("Small-watershed units (小流域)"), polygon, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.ZONES, self.tr("Zones (split by zone_type into the four zone layers)"), polygon, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.ISSUES,
                self.tr("Red-line check issues (红线校核问题)"),
                [QgsProcessing.SourceType.TypeVectorAnyGeometry],
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.DISTURBANCE,
                self.tr("Checked disturbance patches (扰动图斑核查, layer disturbance_patches)"),
                polygon,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.ROLLUP, self.tr("County roll-up (县级统计, rollup layer county)"), polygon, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.TABLES,
                self.tr("Area tables to include (CSV; computed from the patches when empty)"),
                QgsProcessing.SourceType.TypeFile,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.FORMAT,
                self.tr("Format"),
                list(self.FORMAT_LABELS),
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(self.ENCODING, self.tr("Shapefile encoding"), self.ENCODINGS, defaultValue=0)
        )
        self.addParameter(
            QgsProcessingParameterCrs(
                self.CRS,
                self.tr("Target CRS (empty: the schema's, EPSG:4490)"),
                defaultValue="EPSG:4490",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.SCHEMA,
                self.tr("Export schema file (empty: bundled onemap schema)"),
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.REPAIR, self.tr("Repair invalid geometries (and report them)"), defaultValue=True
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.PARTIAL, self.tr("Partial export: write valid records and an error list"), defaultValue=False
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.ZIP, self.tr("Also write a zip of the package"), defaultValue=False)
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.OVERWRITE, self.tr("Replace an existing package folder"), defaultValue=False
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.TITLE, self.tr("Title (metadata)"), defaultValue="水土保持重点区域划定成果"
            )
        )
        self.addParameter(QgsProcessingParameterString(self.PRODUCER, self.tr("Producer (metadata)"), optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT, self.tr("Package folder")))
        self.addOutput(QgsProcessingOutputFile(self.MANIFEST, self.tr("Manifest")))
        self.addOutput(QgsProcessingOutputFile(self.ZIP_FILE, self.tr("Zip file")))
        self.addOutput(QgsProcessingOutputNumber(self.FEATURES, self.tr("Features exported")))

    def help(self) -> str:
        return self.tr(
            "Writes one package folder for 上图入库: the data layers, the per-county/township area tables, "
            "fields.csv (field names and Chinese aliases), metadata.xml (GB/T 19710 core elements, with the "
            "schema and rule versions and the run parameters in the lineage) and manifest.json (SHA-256 and "
            "feature counts per file).\n"
            "Layers and fields come from the versioned schema file resources/schemas/onemap_v*.json. The official "
            "One-Map schema was NOT FOUND: every name, type and code list there is a plugin default, not the "
            "standard, and is cited as such in the metadata.\n"
            "Inputs: the plugin's steep-slope patches, small-watershed units, zones (one layer; each feature goes "
            "to the layer(s) named by its zone_type: give the per-unit layer units of the zoning GeoPackage, as the "
            "dock's chain does, not its layer zones, which holds one dissolved feature per zone type) and red-line "
            "check issues; from schema 0.2 (the default) also "
            "the checked disturbance patches (the GeoPackage of 'Disturbance patches against the zones', layer "
            "disturbance_patches: areas to 0.01 ha as in the 核查清单, risk class and 销号 status and dates) and "
            "the county layer of the roll-up (layer county of its GeoPackage, exported with the county geometry: "
            "land, erosion-class, 水土流失 and zone areas, 水土保持率). Give any subset; without the last two the "
            "package is as before. Schema 0.1 (resources/schemas/onemap_v0.1.json) can still be chosen as the "
            "schema file; it has neither of the two new layers.\n"
            "Format: GeoPackage (UTF-8; aliases in gpkg_data_columns), Shapefile with a .cpg (GBK by default, "
            "UTF-8 on request; every text is checked to be encodable, aliases in fields.csv) or File Geodatabase "
            "(GDAL ≥ 3.6).\n"
            "Target CRS: EPSG:4490 (default); the CGCS2000 Gauss-Krüger zones of 吉林 (EPSG:4529-4532, 4550-4553) "
            "on request. Coordinates are rounded to the schema's precision, rings wound counter-clockwise, areas "
            "recomputed on the ellipsoid.\n"
            "Every record is validated first; if any fails, nothing is written (all problems are listed), unless "
            "Partial export is on. The package is written to a temporary folder and renamed into place at the "
            "end: a cancel or a failure leaves the target as it was."
        )

    def process(self, parameters, context, feedback):
        from ..core.export.package import ExportOptions, ExportValidationError, export_package

        sources = {}
        for key, name, label in (
            ("steep_slope", self.STEEP, self.tr("Steep-slope patches")),
            ("units", self.UNITS, self.tr("Small-watershed units")),
            ("zones", self.ZONES, self.tr("Zones")),
            ("issues", self.ISSUES, self.tr("Issues")),
            ("disturbance", self.DISTURBANCE, self.tr("Checked disturbance patches")),
            ("rollup", self.ROLLUP, self.tr("County roll-up")),
        ):
            found = self.vector_file(parameters, name, context, feedback.qgs, label)
            if found:
                sources[key] = f"{found[0]}|layername={found[1]}"
        schema = load_schema(self.parameterAsFile(parameters, self.SCHEMA, context) or None)
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        epsg = _epsg(crs) if crs is not None and crs.isValid() else None
        fmt = self.FORMATS[self.parameterAsEnum(parameters, self.FORMAT, context)]
        encoding = self.ENCODINGS[self.parameterAsEnum(parameters, self.ENCODING, context)]
        tables = [p for p in (self.parameterAsFileList(parameters, self.TABLES, context) or []) if p]
        options = ExportOptions(
            format=fmt,
            encoding=encoding,
            crs=epsg,
            repair=self.parameterAsBool(parameters, self.REPAIR, context),
            partial=self.parameterAsBool(parameters, self.PARTIAL, context),
            zip=self.parameterAsBool(parameters, self.ZIP, context),
            overwrite=self.parameterAsBool(parameters, self.OVERWRITE, context),
            title=self.parameterAsString(parameters, self.TITLE, context) or "水土保持重点区域划定成果",
            producer=self.parameterAsString(parameters, self.PRODUCER, context) or "未填写 / not given",
            parameters={"inputs": sources, "area_tables": tables, "algorithm": f"soil_conservation:{self.NAME}"},
        )
        out = self.parameterAsString(parameters, self.OUTPUT, context)
        try:
            result = export_package(
                out, sources, options=options, schema=schema, area_table_files=tables, feedback=feedback
            )
        except ExportValidationError as exc:
            for problem in exc.errors[:500]:
                feedback.info(str(problem))
            raise
        for line in result.summary().splitlines():
            feedback.info(line)
        for warning in result.warnings[:200]:
            feedback.info(warning)
        return {
            self.OUTPUT: str(result.package),
            self.MANIFEST: str(result.package / "manifest.json"),
            self.ZIP_FILE: str(result.zip_path) if result.zip_path else None,
            self.FEATURES: sum(result.counts.values()),
        }


def _epsg(crs: QgsCoordinateReferenceSystem) -> int:
    authid = crs.authid() if crs is not None and crs.isValid() else ""
    if not authid.upper().startswith("EPSG:"):
        raise InputError(
            "Target CRS",
            f"目标坐标系必须是 EPSG 代码(如 EPSG:4490), 得到 '{authid or '无'}'",
            f"the target CRS must be an EPSG code (e.g. EPSG:4490), got '{authid or 'none'}'",
        )
    return int(authid.split(":")[1])
