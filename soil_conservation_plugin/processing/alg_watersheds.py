"""小流域 delineation from a DEM: units, outlets, topology, unit raster, run metadata."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputNumber,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterDestination,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.io import write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from ..core.watersheds.coding import RULES_FILE, load_coding_rules, rule_value
from .base import AlgorithmBase, StylePostProcessor
from .input_guard import LocalRasterInputs


class DelineateWatershedsAlgorithm(LocalRasterInputs, AlgorithmBase):
    NAME = "watersheds"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "numba", "scipy", "pyflwdir", "pyproj", "shapely", "geopandas")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Delineate small watersheds (小流域) from a DEM")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Small watersheds (小流域)")
    GROUP_ID = "watersheds"

    INPUT = "INPUT"
    COUNTIES = "COUNTIES"
    COUNTY_CODES = "COUNTY_CODES"
    COUNTY_CODE_FIELD = "COUNTY_CODE_FIELD"
    COUNTY_NAME_FIELD = "COUNTY_NAME_FIELD"
    MIN_AREA = "MIN_AREA"
    MAX_AREA = "MAX_AREA"
    MERGE_BELOW = "MERGE_BELOW"
    STREAM_AREA = "STREAM_AREA"
    OUTPUT = "OUTPUT"
    TOPOLOGY = "TOPOLOGY"
    RASTER = "RASTER"
    FLOW_DIRECTIONS = "FLOW_DIRECTIONS"
    METADATA = "METADATA"
    UNITS = "UNITS"
    OUTLETS = "OUTLETS"
    UNIT_COUNT = "UNIT_COUNT"  # features of the 'units' layer (亚单元 with a county layer)
    WATERSHEDS = "WATERSHEDS"
    WATERSHED_COUNT = "WATERSHED_COUNT"

    def initAlgorithm(self, config=None):  # noqa: N802
        rules = load_coding_rules()
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("DEM")))
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.COUNTIES, self.tr("County polygons"), [QgsProcessing.SourceType.TypeVectorPolygon], optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_CODE_FIELD,
                self.tr("County code field (empty: adcode / county_code / XZQDM)"),
                None,
                self.COUNTIES,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_NAME_FIELD,
                self.tr("County name field (empty: name / county_name / XZQMC)"),
                None,
                self.COUNTIES,
                optional=True,
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
        for name, key, label in (
            (self.MIN_AREA, "target_min_km2", QT_TRANSLATE_NOOP("SoilConservation", "Target minimum unit area (km²)")),
            (self.MAX_AREA, "max_km2", QT_TRANSLATE_NOOP("SoilConservation", "Maximum unit area (km²)")),
            (
                self.MERGE_BELOW,
                "merge_below_km2",
                QT_TRANSLATE_NOOP("SoilConservation", "Merge edge units smaller than (km²)"),
            ),
            (self.STREAM_AREA, "stream_min_km2", QT_TRANSLATE_NOOP("SoilConservation", "Stream initiation area (km²)")),
        ):
            self.addParameter(
                QgsProcessingParameterNumber(
                    name,
                    self.tr(label),
                    QgsProcessingParameterNumber.Type.Double,
                    float(rule_value(rules, "area", key)),
                    minValue=0.0,
                )
            )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Units GeoPackage (layers units, watersheds, outlets)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.TOPOLOGY, self.tr("Topology table (unit → downstream)"), "CSV (*.csv)"
            )
        )
        self.addParameter(QgsProcessingParameterRasterDestination(self.RASTER, self.tr("Unit raster (int32 labels)")))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.FLOW_DIRECTIONS, self.tr("D8 flow directions used"), optional=True, createByDefault=False
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
                self.WATERSHEDS,
                self.tr("Small watersheds as the water defines them (小流域, with a county layer)"),
                QgsProcessing.SourceType.TypeVectorPolygon,
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(self.OUTLETS, self.tr("Outlets"), QgsProcessing.SourceType.TypeVectorPoint)
        )
        self.addOutput(QgsProcessingOutputNumber(self.UNIT_COUNT, self.tr("Number of units")))
        self.addOutput(QgsProcessingOutputNumber(self.WATERSHED_COUNT, self.tr("Number of 小流域")))

    def help(self) -> str:
        return self.tr(
            "Delineates small watersheds (小流域) on a DEM and writes the unit layer the zoning steps use.\n"
            "Conditioning: pyflwdir fills every depression (priority flood, Wang & Liu 2006) with outlets on the edge "
            "of the valid data, tile by tile (256 × 256 cells) on all cores; the tiles are joined exactly (Barnes "
            "2016), so the filled levels equal a whole-DEM fill and a large DEM needs only a tile's working memory for "
            "it. D8 is the steepest descent over ground distances on the filled DEM. Upstream areas are true ground "
            "km²: on a geographic DEM each cell's area is its exact area on the ellipsoid.\n"
            "Flat areas: a flat (or a filled depression) has no slope, so each flat cell drains along the shortest "
            "cell path across the flat to where it leaves it (its spill point or a lower edge), straight steps before "
            "diagonal ones, as GRASS r.watershed does; a flat stretch of the DEM's edge drains out at its first cell. "
            "Divides drawn inside plains are therefore not hydrological facts: treat units in flat land as areal "
            "divisions. Isolated hills (孤丘) in plains get no divide of their own; they stay inside a unit.\n"
            "Units: cut at confluences where two streams (upstream area ≥ the stream initiation area) each already "
            "drain at least the target minimum; a unit that would exceed the maximum is closed at its largest inflow; "
            "county lines play no part (the 小流域 follow the water alone). Units below the minimum join their "
            "downstream unit when the sum stays within the maximum. Units smaller than the merge threshold that drain "
            "out of the region join a neighbour and keep their own outlet as a further outlet of it: flow directions "
            "are never rewritten, the D8 written is the true one. A small unit stays as it is where every such join "
            "would exceed the maximum (the area distribution in the log shows it).\n"
            "Defaults (from resources/rules/unit_coding.json): maximum 50 km² ('一般不超过50 km²' [S]); target minimum "
            "30 km², merge threshold 10 km², stream initiation 1 km² are defaults, not SL 653 (NOT FOUND).\n"
            "Codes: county code + drainage tree number + Pfafstetter-like basin number, from a template in the rules "
            "file: a default, not the SL 653 structure (unknown).\n"
            "County polygons (optional): the region is the counties' union within the DEM's valid area (without a "
            "county layer, the DEM's valid area); the 小流域 are the same as without counties on that region. Each "
            "小流域 is then split along the county lines into 小流域亚单元 (SL 653 [S]): one per county it has cells "
            "in, however small, never merged into another 小流域; one 亚单元 for a 小流域 inside one county. "
            "A 小流域's county (code prefix) is that of its main outlet. 亚单元 code: the parent's code + part "
            "number (1 = the largest), from a template in the rules file: a default, not SL 653 (NOT FOUND).\n"
            "Outputs: GeoPackage with layers 'units' – the layer the later steps use (indicators, zoning, steep-slope "
            "tables, export, all per county): with a county layer the 小流域亚单元, each in ONE county (unit_code, "
            "unit_name, down_code, up_codes, area_km2 on the ellipsoid, county_code, county_name, outlet_x, outlet_y "
            "at its cell of the largest upstream area, down_code the 亚单元 that cell drains into; parent_code, "
            "parent_name, subunit_part); without one the 小流域 themselves; 'watersheds' (with a county layer only) – "
            "the 小流域 as the water defines them (the same fields, outlet of the main outlet, unit_kind: complete / "
            "interbasin / boundary, outlet_count, county_codes and county_names it touches, subunit_count; area = the "
            "sum of its 亚单元); 'outlets' (every outlet of the 小流域, outlet_rank 1 = main, its D8 upstream area). "
            "Topology CSV and int32 unit raster with a .codes.csv label table: of the 'units' layer (the 小流域's "
            "raster is written beside it as <name>.watersheds.tif); optional D8 raster; run metadata JSON. Polygons "
            "follow cell edges (and county lines) and are not simplified, so neighbours share their edges exactly."
        )

    def check_raster_header(self, name: str, path: str, label: str) -> None:
        if name == self.INPUT:
            from ..core.watersheds.delineation import check_memory_of

            check_memory_of(path, label)

    def process(self, parameters, context, feedback):
        from ..core.watersheds.delineation import UnitParams, delineate_to_files, summary

        rules = load_coding_rules()
        dem = self.raster_file(parameters, self.INPUT, context, self.tr("DEM"))
        counties = self.vector_file(
            parameters,
            self.COUNTIES,
            context,
            feedback.qgs if hasattr(feedback, "qgs") else None,
            self.tr("County polygons"),
        )
        from ..core.common.counties import parse_codes

        chosen = tuple(parse_codes(self.parameterAsString(parameters, self.COUNTY_CODES, context)))
        if counties and chosen:
            counties = (*counties, chosen)
        code_field = self.parameterAsString(parameters, self.COUNTY_CODE_FIELD, context) or None
        name_field = self.parameterAsString(parameters, self.COUNTY_NAME_FIELD, context) or None
        params = UnitParams(
            target_min_km2=self.parameterAsDouble(parameters, self.MIN_AREA, context),
            max_km2=self.parameterAsDouble(parameters, self.MAX_AREA, context),
            merge_below_km2=self.parameterAsDouble(parameters, self.MERGE_BELOW, context),
            stream_min_km2=self.parameterAsDouble(parameters, self.STREAM_AREA, context),
        )
        gpkg = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        topo = self.parameterAsFileOutput(parameters, self.TOPOLOGY, context)
        raster = self.parameterAsOutputLayer(parameters, self.RASTER, context)
        d8 = (
            self.parameterAsOutputLayer(parameters, self.FLOW_DIRECTIONS, context)
            if parameters.get(self.FLOW_DIRECTIONS)
            else None
        )
        meta_path = self.parameterAsFileOutput(parameters, self.METADATA, context)

        res, written = delineate_to_files(
            dem,
            gpkg,
            topo,
            raster,
            d8,
            counties=counties,
            county_code_field=code_field if counties else None,
            county_name_field=name_field if counties else None,
            params=params,
            rules=rules,
            feedback=feedback,
            layer=self.tr("DEM"),
        )
        stats = summary(res)
        defaults = UnitParams.from_rules(rules)
        meta = run_metadata(
            "watersheds",
            {"dem": dem, "counties": counties[0] if counties else None},
            {
                "params": stats.pop("params"),
                "is_default": {
                    k: getattr(params, k) == getattr(defaults, k)
                    for k in ("target_min_km2", "max_km2", "merge_below_km2", "stream_min_km2")
                },
                "county_code_field": code_field,
                "county_name_field": name_field,
            },
            stats,
            {
                "unit_coding": {
                    "file": str(resources_path("rules", RULES_FILE)),
                    "version": rules["version"],
                    "note": rules["note"],
                    "code_template": rule_value(rules, "code_template"),
                    "name_template": rule_value(rules, "name_template"),
                    "area": rules["area"],
                }
            },
        )
        meta["outputs"] = written
        write_json(meta_path, meta)

        sheds = written.get("watersheds")
        if sheds:
            self._load(context, sheds, self.tr("Small watersheds (小流域)"), self.WATERSHEDS, "units.qml")
        units_name = (
            self.tr("Small watershed sub-units (小流域亚单元)") if sheds else self.tr("Small watersheds (小流域)")
        )
        self._load(context, written["units"], units_name, self.UNITS, "units.qml")
        self._load(context, written["outlets"], self.tr("Outlets"), self.OUTLETS, None)
        return {
            self.OUTPUT: gpkg,
            self.UNITS: written["units"],
            self.WATERSHEDS: sheds,
            self.WATERSHED_COUNT: len(res.codes),
            self.OUTLETS: written["outlets"],
            self.TOPOLOGY: topo,
            self.RASTER: raster,
            self.FLOW_DIRECTIONS: d8,
            self.METADATA: meta_path,
            self.UNIT_COUNT: res.stats["units"],
        }

    def _load(self, context, uri, name, output_name, qml):
        if context.project() is None:
            return
        details = QgsProcessingContext.LayerDetails(name, context.project(), output_name)
        if qml:
            details.setPostProcessor(StylePostProcessor.create(resources_path("styles", qml), name))
        context.addLayerToLoadOnCompletion(uri, details)
