"""禁止开垦陡坡地: no-reclamation steep-slope patches with county, 乡镇 and 小流域 announcement tables."""

from __future__ import annotations

from pathlib import Path

from qgis.core import (
    QgsProcessing,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterMultipleLayers,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorDestination,
    QgsProcessingParameterVectorLayer,
    QgsProcessingUtils,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.rules import min_patch_rule, provinces, steep_slope_threshold
from .base import AlgorithmBase
from .defaults import guess_layer
from .input_guard import LocalRasterInputs


class SteepSlopeAlgorithm(LocalRasterInputs, AlgorithmBase):
    NAME = "steep_slope"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "numba", "scipy", "pyproj")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "No-reclamation steep slopes (禁止开垦陡坡地)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Zoning (重点区域划定)")
    GROUP_ID = "zoning"

    INPUT = "INPUT"
    COUNTY = "COUNTY"
    COUNTY_CODE_FIELD = "COUNTY_CODE_FIELD"
    COUNTY_NAME_FIELD = "COUNTY_NAME_FIELD"
    COUNTY_CODES = "COUNTY_CODES"
    TOWNSHIPS = "TOWNSHIPS"
    TOWNSHIP_CODE_FIELD = "TOWNSHIP_CODE_FIELD"
    TOWNSHIP_NAME_FIELD = "TOWNSHIP_NAME_FIELD"
    UNITS = "UNITS"
    PROVINCE = "PROVINCE"
    THRESHOLD = "THRESHOLD"
    MIN_PATCH = "MIN_PATCH"
    CONNECTIVITY = "CONNECTIVITY"
    FARMLAND = "FARMLAND"
    USE_FARMLAND = "USE_FARMLAND"
    CONSTRUCTION = "CONSTRUCTION"
    USE_CONSTRUCTION = "USE_CONSTRUCTION"
    WATER = "WATER"
    USE_WATER = "USE_WATER"
    OTHER = "OTHER_EXCLUSIONS"
    USE_OTHER = "USE_OTHER_EXCLUSIONS"
    OUTPUT = "OUTPUT"
    TABLES_FOLDER = "TABLES_FOLDER"
    COUNTY_TABLE = "COUNTY_TABLE"
    TOWNSHIP_TABLE = "TOWNSHIP_TABLE"
    UNIT_TABLE = "UNIT_TABLE"
    PATCH_LIST = "PATCH_LIST"
    XLSX = "XLSX"
    METADATA = "METADATA"
    PATCH_COUNT = "PATCH_COUNT"
    TOTAL_HA = "TOTAL_HA"

    CONNECTIVITIES = (8, 4)
    # destination parameter → key of core.steep.outputs.output_paths
    DESTINATIONS = {
        COUNTY_TABLE: "county_csv",
        TOWNSHIP_TABLE: "township_csv",
        UNIT_TABLE: "unit_csv",
        PATCH_LIST: "patches_csv",
        XLSX: "xlsx",
        METADATA: "metadata",
    }

    @staticmethod
    def province_choices() -> tuple[str | None, ...]:
        """The PROVINCE enum's options in order: None (auto: from the county codes), each province
        with its own rules (resources/rules/provinces.json), 'national'."""
        return (None, *provinces(), "national")

    @classmethod
    def province_index(cls, province: str | None) -> int:
        """Index of ``province`` ('220000', 'national'; None or a province without rules: auto) in PROVINCE."""
        choices = cls.province_choices()
        return choices.index(province) if province in choices else 0

    def _province_labels(self) -> list[str]:
        labels = []
        for code in self.province_choices():
            if code is None:
                labels.append(self.tr("Auto: from the county codes (省 of the county)"))
            elif code == "national":
                labels.append(
                    self.tr("National 全国 (水土保持法 第二十条, {v:g}°)").format(v=steep_slope_threshold(None).value)
                )
            else:
                labels.append(f"{code} {provinces()[code]} ({steep_slope_threshold(code).value:g}°)")
        return labels

    def initAlgorithm(self, config=None):  # noqa: N802
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("DEM (projected or geographic)")))
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.COUNTY, self.tr("County boundary (县界)"), poly, defaultValue=guess_layer()
            )
        )
        self.addParameter(
            QgsProcessingParameterField(self.COUNTY_CODE_FIELD, self.tr("County code field"), "adcode", self.COUNTY)
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_NAME_FIELD, self.tr("County name field"), "name", self.COUNTY, optional=True
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
            QgsProcessingParameterVectorLayer(self.TOWNSHIPS, self.tr("Townships (乡镇)"), poly, optional=True)
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.TOWNSHIP_CODE_FIELD, self.tr("Township code field"), None, self.TOWNSHIPS, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.TOWNSHIP_NAME_FIELD, self.tr("Township name field"), None, self.TOWNSHIPS, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.UNITS, self.tr("Small watersheds (小流域, fields unit_code, unit_name)"), poly, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.PROVINCE,
                self.tr("Province rule for the default threshold"),
                self._province_labels(),
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.THRESHOLD,
                self.tr("Slope threshold (°), blank = province rule"),
                QgsProcessingParameterNumber.Type.Double,
                None,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.MIN_PATCH,
                self.tr("Minimum contiguous patch (ha), 0 = none (default 5 ha: a default, not a national rule)"),
                QgsProcessingParameterNumber.Type.Double,
                min_patch_rule().value,
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.CONNECTIVITY,
                self.tr("Pixel connectivity of patches"),
                [str(n) for n in self.CONNECTIVITIES],
                defaultValue=0,
            )
        )
        for layer, use, label in (
            (self.FARMLAND, self.USE_FARMLAND, "耕地保护红线/永久基本农田 (farmland protection)"),
            (self.CONSTRUCTION, self.USE_CONSTRUCTION, "建设用地 (construction land)"),
            (self.WATER, self.USE_WATER, "水域 (water)"),
        ):
            self.addParameter(
                QgsProcessingParameterVectorLayer(layer, self.tr("Exclude: {l}").format(l=label), poly, optional=True)
            )
            self.addParameter(QgsProcessingParameterBoolean(use, self.tr("Erase {l}").format(l=label), True))
        self.addParameter(
            QgsProcessingParameterMultipleLayers(
                self.OTHER,
                self.tr("Exclude: other polygon layers"),
                QgsProcessing.SourceType.TypeVectorPolygon,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(self.USE_OTHER, self.tr("Erase the other polygon layers"), True)
        )
        self.addParameter(
            QgsProcessingParameterVectorDestination(
                self.OUTPUT,
                self.tr("Steep-slope patches (图斑, GeoPackage)"),
                QgsProcessing.SourceType.TypeVectorPolygon,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(
                self.TABLES_FOLDER,
                self.tr("Folder for tables (default: beside the patch layer)"),
                optional=True,
                createByDefault=False,
            )
        )
        # optional destinations: a path given is used as it is; none given: beside the patch layer (or in TABLES_FOLDER)
        for name, label, file_filter in (
            (self.COUNTY_TABLE, QT_TRANSLATE_NOOP("SoilConservation", "County table (CSV)"), "CSV (*.csv)"),
            (self.TOWNSHIP_TABLE, QT_TRANSLATE_NOOP("SoilConservation", "Township table (CSV)"), "CSV (*.csv)"),
            (self.UNIT_TABLE, QT_TRANSLATE_NOOP("SoilConservation", "Small-watershed table (CSV)"), "CSV (*.csv)"),
            (self.PATCH_LIST, QT_TRANSLATE_NOOP("SoilConservation", "Patch list 图斑清单 (CSV)"), "CSV (*.csv)"),
            (self.XLSX, QT_TRANSLATE_NOOP("SoilConservation", "Announcement workbook (XLSX)"), "Excel (*.xlsx)"),
            (self.METADATA, QT_TRANSLATE_NOOP("SoilConservation", "Run metadata (JSON)"), "JSON (*.json)"),
        ):
            self.addParameter(
                QgsProcessingParameterFileDestination(
                    name, self.tr(label), file_filter, optional=True, createByDefault=False
                )
            )
        self.addOutput(
            QgsProcessingOutputNumber(
                self.PATCH_COUNT, self.tr("Number of patches before the split along county, township and unit lines")
            )
        )
        self.addOutput(QgsProcessingOutputNumber(self.TOTAL_HA, self.tr("Total area (ha)")))

    def help(self) -> str:
        own = "; ".join(
            f"{name} {steep_slope_threshold(code).value:g}° ({steep_slope_threshold(code).source})"
            for code, name in provinces().items()
        )
        nat = steep_slope_threshold(None)
        mp = min_patch_rule()
        return (
            self.tr(
                "Delineates the steep-slope land where reclamation for crops is forbidden (禁止开垦陡坡地, 水土保持法 "
                "第二十条), per county, split by 乡镇 (and 小流域 where a unit layer is given), with announcement "
                "tables.\n"
                "DEM: projected in metres or geographic (EPSG:4490/4326); slope is Horn's method in true ground units. "
                "A DEM without CRS or in Web Mercator is refused. NoData rule: a cell has a slope only when its whole "
                "3×3 window is valid; cells on the NoData boundary and the raster edge are never steep (no slope is "
                "invented).\n"
                "County boundary (required) and its code field; township polygons (optional) with code and name "
                "fields; small watersheds (optional, fields unit_code/unit_name/county_code). Layers in another CRS "
                "are reprojected to the DEM's; invalid polygons are repaired and counted in the log.\n"
                "Threshold: blank = the province rule (resources/rules/provinces.json): {provinces}; national {nat:g}° "
                "({nats}). Range 0–90°.\n"
                "Minimum contiguous patch: default {mp:g} ha — a default, not a national rule ({mps}); 0 = none. It "
                "applies to the whole patch's final ellipsoidal area: after clipping to the county and erasing the "
                "exclusions (before the 乡镇/小流域 split).\n"
                "Exclusions (耕地保护红线/永久基本农田, 建设用地, 水域, any polygon layers): each can be switched off; "
                "cells wholly inside an exclusion are erased before patches are formed, and the exclusion polygons are "
                "erased exactly from the rest.\n"
                "Boundary rule: inside the county, patch boundaries follow the cell edges of the slope raster. Along "
                "the county, 乡镇, 小流域 and exclusion boundaries, the steep cells a polygon touches are candidates, "
                "and the patch is clipped exactly by the polygons: intersected with the county, the exclusions erased, "
                "and split into pieces by exact intersection with the 乡镇 and 小流域 polygons — no piece sticks out "
                "of its county, 乡镇 or 小流域. A patch cut into parts by a boundary keeps one id.\n"
                "Areas (ha) are the ellipsoidal areas of the final piece polygons (exact cell areas inside, pyproj "
                "Geod on the clipped boundary parts); table totals are sums of the pieces. slope_mean/slope_max are "
                "taken over the cells whose centre lies in the piece (a sliver holding no cell centre: over the cells "
                "it overlaps).\n"
                "Connectivity: 8 (default) or 4 neighbours join cells into one patch.\n"
                "Outputs: patch layer (patch_id, parent_id, county/township/unit code and name, area_ha, slope_mean, "
                "slope_max, thresh_deg); CSV tables per county, 乡镇 and 小流域 and the patch list (UTF-8 with BOM), "
                "an XLSX workbook, and run metadata (.meta.json) with the threshold and its source, the minimum patch "
                "and its default status, exclusions, input hashes and the plugin version. Table totals equal the sum "
                "of patch areas to 0.01 ha. Patch ids are county code + sequence of the patch's first cell "
                "(row-major), stable for the same inputs; pieces split by 乡镇 keep the parent id.\n"
                "Output files: the county, 乡镇 and 小流域 tables, the patch list, the workbook and the metadata can "
                "each be given a file (COUNTY_TABLE, TOWNSHIP_TABLE, UNIT_TABLE, PATCH_LIST, XLSX, METADATA), which is "
                "used as given; those not given go beside the patch layer (the tables into the tables folder when one "
                "is given) as <layer>_county.csv, <layer>_township.csv, <layer>_unit.csv, <layer>_patches.csv, "
                "<layer>.xlsx and <layer>.meta.json. Two outputs on one file are refused. A text cell beginning with = "
                "+ - @ is written as text, never as a formula: in the CSVs with a leading ' (the usual escape against "
                "formula injection), in the workbook as a text cell."
            ).format(provinces=own, nat=nat.value, nats=nat.source, mp=mp.value, mps=mp.source)
            + "\n"
            + self.tr(
                "Counties: COUNTY_CODES takes the codes of the counties to delineate (comma-separated), e.g. two of "
                "the 60 counties of a province layer; blank = every county of the layer. Before the run the share of "
                "each county the DEM covers with valid cells is measured (cell centres in the county × cell area / "
                "county area); a partial cover is logged and written to the county table (dem_cover_pct), the workbook "
                "notes, the metadata and the patch layer's metadata (DEM_COVER_PCT), which the publication reads. 乡镇 "
                "whose code does not start with their county's code, or that lie mostly outside the counties, are "
                "listed in a warning."
            )
        )

    def _vin(self, parameters, name, context, feedback, label, code=None, name_field=None, enabled=True):
        from ..core.steep.inputs import VectorInput

        found = self.vector_file(parameters, name, context, feedback, label)
        if found is None:
            return None
        path, layer = found
        return VectorInput(path, layer, code, name_field, label, enabled)

    def process(self, parameters, context, feedback):
        from ..core.steep.delineation import SteepOptions, run_steep_slope
        from ..core.steep.inputs import VectorInput

        qfb = getattr(feedback, "qgs", None)
        dem = self.raster_file(parameters, self.INPUT, context, self.tr("DEM"))
        county = self._vin(
            parameters,
            self.COUNTY,
            context,
            qfb,
            "县界 county boundary",
            self.parameterAsString(parameters, self.COUNTY_CODE_FIELD, context) or None,
            self.parameterAsString(parameters, self.COUNTY_NAME_FIELD, context) or None,
        )
        from ..core.common.counties import parse_codes

        county.codes = tuple(parse_codes(self.parameterAsString(parameters, self.COUNTY_CODES, context)))
        townships = self._vin(
            parameters,
            self.TOWNSHIPS,
            context,
            qfb,
            "乡镇 townships",
            self.parameterAsString(parameters, self.TOWNSHIP_CODE_FIELD, context) or None,
            self.parameterAsString(parameters, self.TOWNSHIP_NAME_FIELD, context) or None,
        )
        units = self._vin(parameters, self.UNITS, context, qfb, "小流域 units", "unit_code", "unit_name")
        exclusions = []
        for layer, use, label in (
            (self.FARMLAND, self.USE_FARMLAND, "耕地保护红线/永久基本农田 farmland"),
            (self.CONSTRUCTION, self.USE_CONSTRUCTION, "建设用地 construction land"),
            (self.WATER, self.USE_WATER, "水域 water"),
        ):
            vin = self._vin(
                parameters, layer, context, qfb, label, enabled=self.parameterAsBoolean(parameters, use, context)
            )
            if vin is not None:
                exclusions.append(vin)
        use_other = self.parameterAsBoolean(parameters, self.USE_OTHER, context)
        for i, lyr in enumerate(self.parameterAsLayerList(parameters, self.OTHER, context) or []):
            src = lyr.source().split("|")
            layer_name = next((p.split("=", 1)[1] for p in src[1:] if p.startswith("layername=")), None)
            exclusions.append(
                VectorInput(src[0], layer_name, None, None, f"排除图层 exclusion {i + 1}: {lyr.name()}", use_other)
            )
        province = self.province_choices()[self.parameterAsEnum(parameters, self.PROVINCE, context)]
        threshold = (
            None
            if parameters.get(self.THRESHOLD) in (None, "")
            else self.parameterAsDouble(parameters, self.THRESHOLD, context)
        )
        options = SteepOptions(
            threshold=threshold,
            province=province,
            min_patch_ha=self.parameterAsDouble(parameters, self.MIN_PATCH, context),
            connectivity=self.CONNECTIVITIES[self.parameterAsEnum(parameters, self.CONNECTIVITY, context)],
        )
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        if out.startswith(("memory:", "ogr:", "postgres:")) or not Path(out).suffix:
            # the patch layer is written as a GeoPackage file (tables and metadata sit beside it)
            out = QgsProcessingUtils.generateTempFilename("steep_slope.gpkg")
        tables = (
            self.parameterAsString(parameters, self.TABLES_FOLDER, context)
            if parameters.get(self.TABLES_FOLDER)
            else None
        )
        destinations = {
            key: self.parameterAsFileOutput(parameters, name, context) or None
            for name, key in self.DESTINATIONS.items()
        }
        from ..core.steep.outputs import layer_fields, output_paths

        output_paths(out, tables, destinations)  # refuses two outputs on one file before any work
        coverage = self.dem_coverage(dem, county, townships, feedback)
        res, paths = run_steep_slope(
            dem,
            county,
            out,
            townships,
            units,
            exclusions,
            options,
            tables,
            feedback,
            dem_label=self.tr("DEM"),
            destinations=destinations,
            coverage=coverage,
        )
        self.style_output(
            context,
            out,
            "steep_slope.qml",
            f"禁止开垦陡坡地 ≥{res.threshold.value:g}° (steep slopes)",
            aliases={name: alias for name, _, alias in layer_fields(res)},
        )
        return {
            self.OUTPUT: out,
            self.COUNTY_TABLE: paths.get("county_csv"),
            self.TOWNSHIP_TABLE: paths.get("township_csv"),
            self.UNIT_TABLE: paths.get("unit_csv"),
            self.PATCH_LIST: paths.get("patches_csv"),
            self.XLSX: paths.get("xlsx"),
            self.METADATA: paths.get("metadata"),
            self.PATCH_COUNT: int(res.patch_count),
            self.TOTAL_HA: round(float(res.total_ha), 2),
        }

    @staticmethod
    def dem_coverage(dem, county, townships, feedback) -> dict:
        """Before the run: the share of each chosen county the DEM covers (logged when partial), and
        the 乡镇 that lie outside their county (a bilingual warning listing them)."""
        from ..core.common.counties import code_of, select
        from ..core.common.coverage import outside_message, raster_coverage
        from ..core.indicators.landuse_vector import _read_vector

        gdf = select(
            _read_vector(county.path, county.layer, county.label), county.code_field, county.codes, county.label
        )
        rows = [
            (
                code_of(r[county.code_field]) if county.code_field else str(i),
                code_of(r[county.name_field]) if county.name_field else "",
                r.geometry,
            )
            for i, (_, r) in enumerate(gdf.iterrows())
            if r.geometry is not None
        ]
        merged: dict = {}
        for code, name, geom in rows:  # a county drawn as several features
            old = merged.get(code)
            merged[code] = (name, geom if old is None else old[1].union(geom))
        covers = raster_coverage(dem, [(c, n, g) for c, (n, g) in merged.items()], gdf.crs)
        for c in covers:
            if not c.full:
                feedback.info(
                    f"⚠ {county.label} {c.code} {c.name}: DEM 只覆盖县域的 {c.pct:.1f}%，结果不完整 / the DEM covers "
                    "only "
                    f"{c.pct:.1f}% of the county; the result is partial"
                )
        if townships is not None and townships.code_field:
            tg = _read_vector(townships.path, townships.layer, townships.label)
            if tg.crs is not None and gdf.crs is not None and not tg.crs.equals(gdf.crs):
                tg = tg.to_crs(gdf.crs)
            towns = [
                (
                    code_of(r[townships.code_field]),
                    code_of(r[townships.name_field]) if townships.name_field else "",
                    r.geometry,
                )
                for _, r in tg.iterrows()
            ]
            from ..core.common.coverage import townships_outside

            message = outside_message(
                townships_outside(towns, [(c, n, g) for c, (n, g) in merged.items()]), townships.label
            )
            if message:
                feedback.info("⚠ " + message)
        return {c.code: c.share for c in covers}
