"""Zoning by a declarative rule file: 重点预防区 / 重点治理区 / 严重 / 脆弱 per small watershed."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.errors import InputError
from ..core.common.io import atomic_path, write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from ..core.common.rules import provinces, zoning_rule_sets, zoning_rules_file
from .base import AlgorithmBase, StylePostProcessor


class ZoningAlgorithm(AlgorithmBase):
    NAME = "zoning"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "numba", "pyproj", "shapely", "geopandas", "jsonschema")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Zoning by rule file (重点预防区/重点治理区/严重/脆弱)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Zoning (重点区域划定)")
    GROUP_ID = "zoning"

    INPUT = "INPUT"
    RULESET = "RULESET"
    RULES_FILE = "RULES_FILE"
    RESTRICT_ZONE = "RESTRICT_ZONE"
    RESTRICT_COUNTIES = "RESTRICT_COUNTIES"
    OUTPUT = "OUTPUT"
    SUMMARY = "SUMMARY"
    METADATA = "METADATA"
    UNITS_OUT = "UNITS_OUT"
    ZONES_OUT = "ZONES_OUT"

    ZONES = ["", "key_prevention", "key_treatment", "severe", "fragile"]

    @staticmethod
    def rulesets() -> tuple[str, ...]:
        """The RULESET enum's options in order: the provinces with their own shipped rule file, then 'national'
        (resources/rules/provinces.json, zoning_rules)."""
        return tuple(key for key, _ in zoning_rule_sets())

    @classmethod
    def ruleset_index(cls, province: str | None) -> int:
        """Index in RULESET of the shipped rule file for ``province`` (a code, 'national' or None)."""
        wanted = zoning_rules_file(province).value
        return [name for _, name in zoning_rule_sets()].index(wanted)

    def _ruleset_labels(self) -> list[str]:
        labels = []
        for key in self.rulesets():
            if key == "national":
                labels.append(self.tr("全国 national defaults"))
            else:
                labels.append(self.tr("{code} {name} (defaults)").format(code=key, name=provinces().get(key, "")))
        return labels

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.INPUT,
                self.tr("Unit indicators (from 'Indicators per small watershed')"),
                [QgsProcessing.SourceType.TypeVectorPolygon],
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.RULESET,
                self.tr("Shipped rule file"),
                self._ruleset_labels(),
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.RULES_FILE,
                self.tr("Own rule file (JSON/YAML; overrides the shipped one)"),
                optional=True,
                fileFilter="Rule files (*.json *.yaml *.yml)",
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.RESTRICT_ZONE,
                self.tr("Restrict zone type to listed counties"),
                [
                    self.tr("none"),
                    "重点预防区 key_prevention",
                    "重点治理区 key_treatment",
                    "严重 severe",
                    "脆弱 fragile",
                ],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.RESTRICT_COUNTIES, self.tr("Counties (codes or names, comma separated)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Zoning GeoPackage (layers units, zones)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(self.SUMMARY, self.tr("Per-county summary"), "CSV (*.csv)")
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.METADATA, self.tr("Run metadata"), "JSON (*.json)", optional=True
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.UNITS_OUT, self.tr("Zoned units"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.ZONES_OUT, self.tr("Zones per county"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )

    def help(self) -> str:
        return self.tr(
            "Assigns each small watershed to 水土流失重点预防区 / 重点治理区 (水土保持法 第十二条) and to 水土流失严重 "
            "/ 生态脆弱区域 (第十八条) by a rule file: per zone type one base indicator and N regional indicators "
            "(indicator, operator, threshold, source), combined by any-one-hit or all-of ('1 + N', 长汀 practice [V]); "
            "a precedence settles units meeting two exclusive types (default: 治理 before 预防).\n"
            "The official thresholds were NOT FOUND: every threshold of the shipped files "
            "(resources/rules/zoning_jilin.json, zoning_national.json) is a default, not the standard. Copy a file, "
            "edit it, and give it as 'Own rule file'; it is checked against resources/rules/zoning_schema.json, and "
            "unknown indicators or thresholds out of range are refused.\n"
            "County restriction: limit one zone type to the units of listed counties (e.g. the counties of 长白山 "
            "国家级重点预防区, a list you supply: it was not found).\n"
            "Red line (生态保护红线): by default units overlapping the red line are only flagged (redline_flag); a "
            "rule file may include them in a zone type instead.\n"
            "Outputs: GeoPackage layer 'units' with every indicator, zone_<type> 0/1, zones, zone_main, fired "
            "(readable audit), zone_audit (JSON: fired indicators with values, thresholds and sources, missing values, "
            "exclusions) and rules_version; layer 'zones' dissolved per county and zone type with ellipsoidal areas; a "
            "per-county CSV (UTF-8 with BOM); run metadata JSON citing the rule file and its version."
        )

    def process(self, parameters, context, feedback):
        from ..core.indicators import compute as ind
        from ..core.zoning import zones as zoning

        src = self.vector_file(
            parameters, self.INPUT, context, getattr(feedback, "qgs", None), self.tr("Unit indicators")
        )
        own = self.parameterAsFile(parameters, self.RULES_FILE, context)
        rules_ref = own or self.rulesets()[self.parameterAsEnum(parameters, self.RULESET, context)]
        rules = zoning.load_zoning_rules(rules_ref)  # fails before reading anything heavy
        zone = self.ZONES[self.parameterAsEnum(parameters, self.RESTRICT_ZONE, context)]
        counties = [
            c.strip()
            for c in (self.parameterAsString(parameters, self.RESTRICT_COUNTIES, context) or "")
            .replace("，", ",")
            .split(",")
            if c.strip()
        ]
        if zone and not counties:
            raise InputError(
                self.tr("Counties"),
                "选择了按县限制的区类型，但没有给出县列表",
                "a zone type is restricted by county but no counties were given",
            )
        restrict = {zone: counties} if zone else {}
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        summary_path = self.parameterAsFileOutput(parameters, self.SUMMARY, context)
        meta_path = (
            self.parameterAsFileOutput(parameters, self.METADATA, context) or out.rsplit(".", 1)[0] + ".meta.json"
        )

        units = ind.read_units(src[0], src[1], self.tr("Unit indicators"))
        feedback.progress(10)
        zoned = zoning.evaluate(units, rules, restrict)
        feedback.check()
        feedback.progress(40)
        zones = zoning.dissolve_zones(zoned, rules)
        summary = zoning.county_summary(zoned, rules)
        feedback.progress(70)
        with atomic_path(out) as tmp:
            zoned.to_file(str(tmp), layer="units", driver="GPKG")
            zones.to_file(str(tmp), layer="zones", driver="GPKG")
        zoning.write_csv(summary, summary_path)
        counts = {z["id"]: int(zoned[f"zone_{z['id']}"].sum()) for z in rules["zone_types"]}
        for z in rules["zone_types"]:
            feedback.info(f"{z['name']['zh']} {z['id']}: {counts[z['id']]} units")
        feedback.info(
            f"rules {rules['id']} version {rules['version']}; red line mode {rules['redline']['mode']}: "
            f"{int(zoned['redline_flag'].sum())} units flagged"
        )
        meta = run_metadata(
            "zoning",
            {"unit_indicators": src[0], "rules_file": rules["_path"]},
            {"rules": str(rules_ref), "restrict": restrict},
            {
                "units": len(zoned),
                "units_per_zone": counts,
                "redline_flagged": int(zoned["redline_flag"].sum()),
                "summary_total": summary[-1],
            },
            {"zoning": zoning.rules_citation(rules)},
        )
        write_json(meta_path, meta)
        feedback.progress(100)
        units_uri, zones_uri = f"{out}|layername=units", f"{out}|layername=zones"
        if context.project() is not None:
            for uri, name, key in (
                (zones_uri, self.tr("Zones per county"), self.ZONES_OUT),
                (units_uri, self.tr("Zoned units"), self.UNITS_OUT),
            ):
                details = QgsProcessingContext.LayerDetails(name, context.project(), key)
                details.setPostProcessor(StylePostProcessor.create(resources_path("styles", "zones.qml"), name))
                context.addLayerToLoadOnCompletion(uri, details)
        return {
            self.OUTPUT: out,
            self.SUMMARY: summary_path,
            self.METADATA: meta_path,
            self.UNITS_OUT: units_uri,
            self.ZONES_OUT: zones_uri,
        }
