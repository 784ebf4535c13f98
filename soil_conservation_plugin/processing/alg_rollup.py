"""Roll-up from 小流域 to 乡镇, 县, 市(州) and 省, with the 水土保持率 targets decomposed to 县 and 市(州)."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.errors import InputError
from ..core.common.io import check_foreign_layers, write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from .base import AlgorithmBase, StylePostProcessor


class RollupAlgorithm(AlgorithmBase):
    NAME = "rollup"
    REQUIRES = ("numpy", "osgeo.gdal", "pyproj", "shapely", "geopandas")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Roll-up to 乡镇, 县, 市 and 省 with targets (水土保持率)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Roll-up and change (汇总与动态)")
    GROUP_ID = "rollup"
    OUTPUT_LAYERS = {"OUTPUT": ("county", "prefecture", "province")}  # and township when the units name one

    INPUT = "INPUT"
    COUNTY_FIELD = "COUNTY_FIELD"
    TOWNSHIP_FIELD = "TOWNSHIP_FIELD"
    DIVISIONS = "DIVISIONS"
    DIVISION_FIELD = "DIVISION_FIELD"
    TARGETS = "TARGETS"
    OUTPUT = "OUTPUT"
    TABLES = "TABLES"
    METADATA = "METADATA"
    COUNTY_OUT = "COUNTY_OUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.INPUT, self.tr("Unit indicators (from 'Indicators per small watershed' or zoning)"), poly
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_FIELD, self.tr("County code field of the units"), "county_code", self.INPUT, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.TOWNSHIP_FIELD,
                self.tr("Township code field of the units"),
                None,
                self.INPUT,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.DIVISIONS,
                self.tr("County or township polygons (split units crossing their lines, optional)"),
                poly,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.DIVISION_FIELD, self.tr("Code field of the division polygons"), None, self.DIVISIONS, optional=True
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
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Roll-up GeoPackage (a layer per level)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(QgsProcessingParameterFolderDestination(self.TABLES, self.tr("Folder for the tables")))
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.METADATA, self.tr("Run metadata"), "JSON (*.json)", optional=True
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.COUNTY_OUT, self.tr("Counties (roll-up)"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )

    def help(self) -> str:
        return self.tr(
            "Sums the indicators of every small watershed (小流域) to 乡镇 (when known), 县, 市(州) and 省 of 吉林, "
            "with the codes and names of resources/divisions (NBS 2023): land area, 评价面积 (the land with erosion "
            "data: the land less its 无侵蚀数据 area), area per SL 190 erosion class, 水土流失面积 (轻度 and above), "
            "水土保持率 = (评价面积 − 水土流失面积) / 评价面积, and the area of each zone type when the input is the "
            "zoning output. Areas are "
            "integers of 0.01 ha: every parent is the exact sum of its children.\nUnits and counties: by default "
            "each feature lies wholly in the county of its county code field (and the 乡镇 of the township code "
            "field, if given): 小流域亚单元 already split along county lines are each counted once. With county or "
            "township polygons, every unit is instead split by the share of its area (on the ellipsoid) inside each "
            "polygon; class and zone areas follow that share; what lies outside every polygon is reported and left "
            "out.\nTargets: the province's 水土保持率 for each target year from the targets file (default "
            "resources/rules/targets_jilin.json: 80.21 % in 2025 and 83.66 % in 2035, from the 吉林 work plan as "
            "given in the plugin's requirements, not verified against the original), decomposed to every county by "
            "the method the file "
            "names (default: each county closes the same share of its gap to a ceiling). The land-area-weighted sum "
            "of the county targets reproduces the province target exactly. The method is a default of this plugin, "
            "NOT an official allocation, and the tables say so. Units outside the targets file's province are refused. "
            "A run with only some counties of the province marks its province and prefecture rows (coverage column, "
            "names like 吉林省（本次范围 1/60 县，非全省）) and flags every target: they depend on the counties "
            "included and are not for publication.\nOutputs: GeoPackage with layers township, county, "
            "prefecture and province (dissolved by code, target rates per year); in the tables folder rollup.csv "
            "(every level), rollup_<level>.csv, targets.csv and rollup.xlsx, with Chinese headers; run metadata "
            "citing the targets file and its version."
        )

    def process(self, parameters, context, feedback):
        from ..core.common.vector import read_vector
        from ..core.rollup import aggregate, assign, outputs
        from ..core.rollup import targets as tg

        label = self.layer_label(parameters, self.INPUT, context, self.tr("Unit indicators"))
        src = self.vector_file(parameters, self.INPUT, context, getattr(feedback, "qgs", None), label)
        targets_path = self.parameterAsFile(parameters, self.TARGETS, context) or None
        targets = tg.load_targets(targets_path)  # a broken targets file fails before any work
        county_field = self.parameterAsString(parameters, self.COUNTY_FIELD, context) or "county_code"
        township_field = self.parameterAsString(parameters, self.TOWNSHIP_FIELD, context) or None
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        tables = self.parameterAsFileOutput(parameters, self.TABLES, context)
        meta_path = (
            self.parameterAsFileOutput(parameters, self.METADATA, context) or out.rsplit(".", 1)[0] + ".meta.json"
        )
        units = read_vector(src[0], label, src[1])
        div_label = self.layer_label(parameters, self.DIVISIONS, context, self.tr("Division polygons"))
        div_src = self.vector_file(parameters, self.DIVISIONS, context, getattr(feedback, "qgs", None), div_label)
        if div_src:
            divisions = read_vector(div_src[0], div_label, div_src[1])
            field = self.parameterAsString(parameters, self.DIVISION_FIELD, context) or next(
                (f for f in ("township_code", "county_code") if f in divisions.columns), ""
            )
            if not field:
                raise InputError(
                    div_label,
                    "请指定区划面的代码字段(没有 township_code 或 county_code 字段)",
                    "name the code field of the division polygons (no township_code or county_code field)",
                )
            pieces = assign.pieces_by_geometry(units, label, divisions, field, div_label)
        else:
            pieces = assign.pieces_by_attribute(units, label, county_field, township_field)
        # the targets of one province are never decomposed onto another province's counties
        assign.check_province(pieces, targets.province_code, label, str(targets.path))
        if pieces.has_townships:  # the layer township is known only now: refused before the sums
            check_foreign_layers(out, ["township"], self.tr("Roll-up GeoPackage (a layer per level)"))
        feedback.progress(40)
        feedback.check()
        result = aggregate.rollup(pieces)
        county = result.table("county").frame
        bases = [
            tg.CountyBase(r.code, r.name, r.parent_code, int(r.assessed), int(r.loss)) for r in county.itertuples()
        ]
        target_table = tg.decompose(bases, targets)
        feedback.progress(60)
        outside_ha = sum(pieces.outside.values()) / 100.0
        province_row = result.table("province").frame.iloc[0]
        coverage_note = f"{province_row['coverage']} (resources/divisions/jilin_counties.csv)"
        if result.partial:
            coverage_note += (
                "；部分覆盖：省、市(州)行只是本次范围内各县之和，不是全省/全市(州)的数字；"
                "目标取决于本次包含的县，不可发布 / "
                "partial coverage: the province and prefecture rows are the sums of the counties in this run, not "
                "the province's or prefecture's figures; the targets depend on the counties included; not for "
                "publication"
            )
            feedback.info(
                f"⚠ 本次只含全省 {province_row['coverage']} 个县：省、市(州)行与目标分解只代表本次范围，"
                "不可作为全省结果发布 / the run holds only "
                f"{province_row['coverage']} of the province's counties: the province and prefecture rows and the "
                "targets stand for this subset only and are not for publication"
            )
        notes = [
            ("方法 assignment", pieces.method),
            ("目标文件 targets file", f"{targets.path} (version {targets.version})"),
            ("目标来源 source", targets.source),
            ("分解方法 method", tg.method_note(targets)),
            ("覆盖的县 counties covered", coverage_note),
            ("区划面之外 outside the divisions (ha)", f"{outside_ha:.2f}"),
            ("无侵蚀数据的小流域 units without erosion data", ", ".join(pieces.units_without_erosion) or "0"),
        ]
        written = outputs.write_rollup_tables(result, target_table, tables, notes)
        layers = outputs.write_rollup_layers(result, target_table, out, units.crs)
        if "xlsx" not in written:
            feedback.info("openpyxl 不可用，只写了 CSV / openpyxl is missing: CSV only, no XLSX")
        province = result.table("province").frame.iloc[0]
        for t in targets.targets:
            sub = target_table[(target_table["year"] == t.year) & (target_table["level"] == "county")]
            weighted = float((sub["assessed"] * sub["target_pct"]).sum() / sub["assessed"].sum())
            feedback.info(
                f"{t.year}: 省目标 {t.rate_pct:g}% → {len(sub)} 个县, 面积加权 {weighted:.6f}% / province target "
                f"{t.rate_pct:g}% shared to {len(sub)} counties, area-weighted {weighted:.6f}%"
            )
        feedback.info(
            f"省 {province['code']}: 土地面积 {province['land'] / 100:.2f} 公顷, "
            f"水土流失面积 {province['loss'] / 100:.2f} 公顷, 水土保持率 {province['rate_pct']:.4f}% / province totals"
        )
        if outside_ha:
            feedback.info(
                f"⚠ {outside_ha:.2f} 公顷小流域面积在区划面之外，未计入 / "
                "ha of the units lie outside the division polygons"
            )
        meta = run_metadata(
            "rollup",
            {"unit_indicators": src[0], "targets_file": targets.path, **({"divisions": div_src[0]} if div_src else {})},
            {
                "assignment": pieces.method,
                "county_field": county_field,
                "township_field": township_field,
                "division_field": self.parameterAsString(parameters, self.DIVISION_FIELD, context) or None,
            },
            {
                "levels": {k: len(v.frame) for k, v in result.levels.items()},
                "coverage": {
                    "partial": result.partial,
                    "counties": result.coverage(),
                    "note": coverage_note,
                },
                "province": {
                    "land_ha": province["land"] / 100,
                    "loss_ha": province["loss"] / 100,
                    "rate_pct": province["rate_pct"],
                },
                "outside_ha": outside_ha,
                "old_county_codes_replaced": pieces.old_codes,
                "units_without_erosion": pieces.units_without_erosion,
                "layers": layers,
                "tables": written,
            },
            {"targets": targets.citation(), "erosion_classes": {"version": pieces.classes.version}},
        )
        write_json(meta_path, meta)
        feedback.progress(100)
        uri = f"{out}|layername=county"
        if context.project() is not None:  # a map per level, each styled by 水土保持率
            names = {
                "township": self.tr("Townships (roll-up)"),
                "county": self.tr("Counties (roll-up)"),
                "prefecture": self.tr("Prefectures (roll-up)"),
                "province": self.tr("Province (roll-up)"),
            }
            for key in reversed(layers):
                name = names.get(key, key)
                output = self.COUNTY_OUT if key == "county" else f"{self.COUNTY_OUT}_{key}"
                details = QgsProcessingContext.LayerDetails(name, context.project(), output)
                details.setPostProcessor(StylePostProcessor.create(resources_path("styles", "rollup.qml"), name))
                context.addLayerToLoadOnCompletion(f"{out}|layername={key}", details)
        return {self.OUTPUT: out, self.TABLES: tables, self.METADATA: meta_path, self.COUNTY_OUT: uri}
