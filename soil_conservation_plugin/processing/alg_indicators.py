"""Indicators per small watershed (小流域): slope classes, SL 190 erosion, vegetation, overlaps."""

from __future__ import annotations

from qgis.core import (
    QgsProcessing,
    QgsProcessingContext,
    QgsProcessingOutputVectorLayer,
    QgsProcessingParameterEnum,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterVectorLayer,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.io import write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from ..core.common.rules import default_province, steep_slope_threshold
from ..core.terrain.slope_classes import slope_classes
from .base import AlgorithmBase, StylePostProcessor
from .input_guard import LocalRasterInputs


class UnitIndicatorsAlgorithm(LocalRasterInputs, AlgorithmBase):
    NAME = "unit_indicators"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "numba", "pyproj", "shapely", "geopandas", "rtree")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Indicators per small watershed (小流域指标)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Zoning (重点区域划定)")
    GROUP_ID = "zoning"

    UNITS = "UNITS"
    DEM = "DEM"
    STEEP_DEG = "STEEP_DEG"
    EROSION = "EROSION"
    EROSION_KIND = "EROSION_KIND"
    LANDUSE = "LANDUSE"
    LANDUSE_MAPPING = "LANDUSE_MAPPING"
    LANDUSE_VECTOR = "LANDUSE_VECTOR"
    LANDUSE_FIELD = "LANDUSE_FIELD"
    FVC = "FVC"
    REDLINE = "REDLINE"
    WATER_SOURCE = "WATER_SOURCE"
    RESERVE = "RESERVE"
    METHOD = "METHOD"
    LABELS = "LABELS"
    OUTPUT = "OUTPUT"
    METADATA = "METADATA"
    UNITS_OUT = "UNITS_OUT"

    KINDS = ["modulus", "classes"]
    METHODS = ["auto", "coverage", "label"]
    OVERLAYS = (("REDLINE", "redline"), ("WATER_SOURCE", "water_source"), ("RESERVE", "reserve"))

    def initAlgorithm(self, config=None):  # noqa: N802
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(
            QgsProcessingParameterVectorLayer(self.UNITS, self.tr("Small watersheds (小流域, field unit_code)"), poly)
        )
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM (slope classes)"), optional=True))
        self.addParameter(
            QgsProcessingParameterNumber(
                self.STEEP_DEG,
                self.tr("Steep-slope threshold (°)"),
                QgsProcessingParameterNumber.Type.Double,
                steep_slope_threshold(default_province().value).value,
                minValue=0.1,
                maxValue=89.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.EROSION, self.tr("Soil erosion raster (土壤侵蚀)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.EROSION_KIND,
                self.tr("Erosion raster holds"),
                [self.tr("erosion modulus t/(km²·a)"), self.tr("SL 190 class codes 1–6 (微度…剧烈)")],
                defaultValue=0,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.LANDUSE, self.tr("Land use raster (GB/T 21010 codes)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.LANDUSE_VECTOR,
                self.tr("Land use as 三调 地类图斑 (DLTB polygons, instead of a raster)"),
                poly,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.LANDUSE_FIELD,
                self.tr("Land-use code field of the 地类图斑 (DLBM)"),
                "DLBM",
                self.LANDUSE_VECTOR,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.LANDUSE_MAPPING,
                self.tr("Land-use class mapping (JSON, optional)"),
                extension="json",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(self.FVC, self.tr("Vegetation cover FVC (0–1 or %)"), optional=True)
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.REDLINE, self.tr("Ecological protection red line (生态保护红线)"), poly, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.WATER_SOURCE, self.tr("Water-source protection zones (水源保护区)"), poly, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.RESERVE, self.tr("Nature reserves (自然保护区)"), poly, optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterEnum(
                self.METHOD,
                self.tr("Zonal method"),
                [self.tr("auto"), self.tr("exact coverage fractions"), self.tr("label counting (cell centres)")],
                defaultValue=0,
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
            QgsProcessingParameterFileDestination(
                self.OUTPUT, self.tr("Unit indicators GeoPackage (layer units)"), "GeoPackage (*.gpkg)"
            )
        )
        self.addParameter(
            QgsProcessingParameterFileDestination(
                self.METADATA, self.tr("Run metadata"), "JSON (*.json)", optional=True
            )
        )
        self.addOutput(
            QgsProcessingOutputVectorLayer(
                self.UNITS_OUT, self.tr("Unit indicators"), QgsProcessing.SourceType.TypeVectorPolygon
            )
        )

    def help(self) -> str:
        return self.tr(
            "Computes indicators for every small watershed (小流域) of a unit layer with a unique field unit_code.\n"
            "DEM: shares of slope classes ≤2, 2–6, 6–15, 15–25, >25° (land-survey classes) and of steep slope at the "
            "threshold (default 20°: 吉林, 通化县 公告 2025 citing 《吉林省水土保持条例》 [V]; national 25°). Slope is "
            "Horn in ground units; shares are of the valid slope area.\n"
            "Erosion: a modulus raster t/(km²·a) is classed by SL 190-2007 (NE black-soil region: 微度 <200, 轻度 "
            "200–2 500, 中度 2 500–5 000, 强烈 5 000–8 000, 极强烈 8 000–15 000, 剧烈 >15 000; "
            "resources/rules/erosion_classes.json), or a ready class raster with codes 1–6. Gives area per class, "
            "水土流失面积 (轻度 and above) and its share, the share of 中度 and above, and 水土保持率 = (unit area − "
            "水土流失面积) / unit area. Negative moduli are refused.\n"
            "Land use: forest/grass and cropland shares with a configurable mapping (default: GB/T 21010 first-level "
            "codes, resources/rules/landuse_mapping.json). A 三调 地类图斑 layer (DLTB, DLBM codes as text such as "
            "0101, 0301, 1101) can be given instead of a raster: it is burnt onto the unit grid (the unit raster's "
            "when given, else the DEM's) by the cell-centre rule and written beside the output as "
            "<output>_landuse_dltb.tif; codes that are not digits go through the mapping's text_codes (0201K, 1104A, "
            "…), unknown ones count as 'other' and are listed. The second-level and 三调 codes of the mapping are "
            "defaults from recollection [M], not the standard. FVC: area-weighted mean (a raster in percent is "
            "detected and divided by 100).\n"
            "Overlaps: area and share of each unit inside the red line, water-source zones or nature reserves, on the "
            "ellipsoid.\n"
            "Method: when the units lie on the raster's grid (e.g. delineated from the same DEM) cells are counted by "
            "label (exact); otherwise every cell is weighted by the exact area of polygon ∩ cell. Cell areas are true "
            "ground areas. Rasters in another CRS: the units are reprojected on the fly to the raster's CRS (rasters "
            "are never resampled).\n"
            "Unit raster (optional): the int32 label raster written by the watershed step, with its <name>.codes.csv "
            "(label,unit_code); rasters on its grid are then counted on those labels directly."
        )

    def process(self, parameters, context, feedback):
        from ..core.indicators import compute as ind

        units = self.vector_file(
            parameters, self.UNITS, context, getattr(feedback, "qgs", None), self.tr("Small watersheds")
        )
        rasters = {}
        for key in (self.DEM, self.EROSION, self.LANDUSE, self.FVC, self.LABELS):
            if parameters.get(key) not in (None, ""):
                rasters[key] = self.raster_file(parameters, key, context, key)
        overlays = {}
        for key, kind in self.OVERLAYS:
            spec = self.vector_file(
                parameters, key, context, getattr(feedback, "qgs", None), ind.OVERLAY_KINDS[kind][0]
            )
            if spec:
                overlays[kind] = spec
        mapping_path = self.parameterAsFile(parameters, self.LANDUSE_MAPPING, context) or None
        out = self.parameterAsFileOutput(parameters, self.OUTPUT, context)
        landuse_vector = None
        dltb = self.vector_file(
            parameters, self.LANDUSE_VECTOR, context, getattr(feedback, "qgs", None), self.tr("Land use (地类图斑)")
        )
        if dltb and self.LANDUSE not in rasters:
            from ..core.common.errors import InputError
            from ..core.indicators.landuse_vector import rasterize_dltb

            grid = rasters.get(self.LABELS) or rasters.get(self.DEM)
            label = "地类图斑 DLTB"
            if not grid:
                raise InputError(
                    label,
                    "地类图斑需要栅格网格：请给出 DEM 或小流域栅格",
                    "a 地类图斑 layer needs a grid to be burnt on: give the DEM or the unit raster",
                )
            field = self.parameterAsString(parameters, self.LANDUSE_FIELD, context) or "DLBM"
            target = out.rsplit(".", 1)[0] + "_landuse_dltb.tif"
            landuse_vector = rasterize_dltb(
                dltb[0], dltb[1], field, grid, target, ind.load_landuse_mapping(mapping_path), label, feedback
            )
            landuse_vector.update(source=dltb[0], layer=dltb[1], code_field=field, grid=grid)
            rasters[self.LANDUSE] = landuse_vector.pop("read_path")
            feedback.info(
                f"{label}: {landuse_vector['features']} 个图斑 → {target} / features burnt on the unit grid (cell "
                "centres)"
            )
        steep = self.parameterAsDouble(parameters, self.STEEP_DEG, context)
        kind = self.KINDS[self.parameterAsEnum(parameters, self.EROSION_KIND, context)]
        method = self.METHODS[self.parameterAsEnum(parameters, self.METHOD, context)]
        meta_path = (
            self.parameterAsFileOutput(parameters, self.METADATA, context) or out.rsplit(".", 1)[0] + ".meta.json"
        )

        gdf = ind.read_units(units[0], units[1])
        cover = self.raster_cover(gdf, rasters, feedback)
        gdf, info = ind.compute_indicators(
            gdf,
            dem=rasters.get(self.DEM),
            erosion=rasters.get(self.EROSION),
            erosion_kind=kind,
            landuse=rasters.get(self.LANDUSE),
            fvc=rasters.get(self.FVC),
            overlays=overlays,
            steep_deg=steep,
            landuse_mapping=ind.load_landuse_mapping(mapping_path) if mapping_path else None,
            method=method,
            labels=rasters.get(self.LABELS),
            feedback=feedback,
        )
        ind.write_units(gdf, out)
        province = default_province()
        default_steep = steep_slope_threshold(province.value)
        erosion_rules = ind.load_erosion_classes()
        landuse_rules = ind.load_landuse_mapping(mapping_path)
        meta = run_metadata(
            "unit_indicators",
            {
                "units": units[0],
                **{k.lower(): v for k, v in rasters.items() if not (landuse_vector and k == self.LANDUSE)},
                **({"landuse_vector": landuse_vector["source"]} if landuse_vector else {}),
                **{k: v[0] for k, v in overlays.items()},
            },
            {
                "steep_deg": steep,
                "steep_deg_is_default": steep == default_steep.value,
                "steep_default": default_steep.as_dict(),
                "erosion_kind": kind,
                "method": method,
                "landuse_mapping": mapping_path or str(resources_path("rules", "landuse_mapping.json")),
            },
            {
                "units": len(gdf),
                **info,
                **({"landuse_vector": landuse_vector} if landuse_vector else {}),
                "raster_cover_pct": cover,
            },
            {
                "erosion_classes": {
                    "version": erosion_rules["version"],
                    "source": erosion_rules["source"],
                    "classes": erosion_rules["classes"],
                    "loss_from_class": erosion_rules["loss_from_class"],
                },
                "landuse_mapping": {
                    "version": landuse_rules["version"],
                    "source": landuse_rules["source"],
                    "default": landuse_rules.get("default"),
                },
                "slope_classes": slope_classes().citation(),
                "default_province": province.as_dict(),
            },
        )
        write_json(meta_path, meta)
        uri = f"{out}|layername=units"
        if context.project() is not None:
            details = QgsProcessingContext.LayerDetails(self.tr("Unit indicators"), context.project(), self.UNITS_OUT)
            details.setPostProcessor(
                StylePostProcessor.create(resources_path("styles", "units.qml"), self.tr("Unit indicators"))
            )
            context.addLayerToLoadOnCompletion(uri, details)
        return {self.OUTPUT: out, self.METADATA: meta_path, self.UNITS_OUT: uri}

    def raster_cover(self, gdf, rasters: dict, feedback) -> dict:
        """Before the work: the share of the units' area each input raster covers with valid cells
        (logged when partial)."""
        from shapely.ops import (
            unary_union,
        )  # GeoSeries.unary_union is deprecated in geopandas 1.x, union_all() absent in 0.12

        from ..core.common.coverage import raster_coverage

        region = unary_union(list(gdf.geometry.values))
        out = {}
        for key in (self.DEM, self.EROSION, self.LANDUSE, self.FVC):
            if key not in rasters:
                continue
            (c,) = raster_coverage(rasters[key], [("units", "", region)], gdf.crs)
            out[key.lower()] = c.pct
            if not c.full:
                feedback.info(
                    f"⚠ {key}: 只覆盖小流域范围的 {c.pct:.1f}%，覆盖不足的小流域指标为空 / covers only {c.pct:.1f}% "
                    "of the units' area; units with too little data get NULL indicators"
                )
        return out


class CsleAlgorithm(LocalRasterInputs, AlgorithmBase):
    """CSLE erosion modulus where no erosion raster exists; feeds 'Indicators per small watershed'."""

    NAME = "csle"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "numba", "pyproj")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Soil loss by CSLE (中国土壤流失方程)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Zoning (重点区域划定)")
    GROUP_ID = "zoning"

    DEM = "DEM"
    SLOPE_LENGTH = "SLOPE_LENGTH"
    SLOPE_LENGTH_RASTER = "SLOPE_LENGTH_RASTER"
    OUTPUT = "OUTPUT"
    CLASSES = "CLASSES"

    def initAlgorithm(self, config=None):  # noqa: N802
        from qgis.core import QgsProcessingParameterRasterDestination

        from ..core.indicators import compute as ind

        params = ind.load_erosion_classes()["csle"]
        self.addParameter(QgsProcessingParameterRasterLayer(self.DEM, self.tr("DEM")))
        for name in ("R", "K", "B", "E", "T"):
            self.addParameter(
                QgsProcessingParameterRasterLayer(
                    f"{name}_RASTER", self.tr("{name} factor raster (on the DEM grid)").format(name=name), optional=True
                )
            )
            self.addParameter(
                QgsProcessingParameterNumber(
                    name,
                    self.tr("{name} factor constant (used without a raster)").format(name=name),
                    QgsProcessingParameterNumber.Type.Double,
                    1.0,
                    minValue=0.0,
                )
            )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.SLOPE_LENGTH,
                self.tr("Slope length λ (m)"),
                QgsProcessingParameterNumber.Type.Double,
                float(params["slope_length_m"]["value"]),
                minValue=0.0,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.SLOPE_LENGTH_RASTER, self.tr("Slope length raster (m, on the DEM grid)"), optional=True
            )
        )
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Erosion modulus t/(km²·a)")))
        self.addParameter(
            QgsProcessingParameterRasterDestination(
                self.CLASSES, self.tr("SL 190 classes (1 微度 … 6 剧烈)"), optional=True, createByDefault=False
            )
        )

    def help(self) -> str:
        return self.tr(
            "CSLE A = R·K·L·S·B·E·T (t·hm⁻²·a⁻¹), written ×100 as an erosion modulus in t/(km²·a) and optionally as SL "
            "190-2007 class codes. S from the DEM slope by McCool (θ < 5°: 10.8 sinθ + 0.03; 5–10°: 16.8 sinθ − 0.50) "
            "and Liu et al. (θ ≥ 10°: 21.91 sinθ − 0.96); L = (λ/22.13)^m, m 0.2/0.3/0.4/0.5 by slope. These formulas "
            "are unverified [M]: configurable defaults in resources/rules/erosion_classes.json, not the standard. The "
            "default slope length 20 m is a default (NOT FOUND). CSLE uses T on cropland and B elsewhere: give B = 1 "
            "on cropland and T = 1 off it. Factor rasters must lie on the DEM grid (no resampling is done)."
        )

    def process(self, parameters, context, feedback):
        from ..core.indicators import compute as ind
        from ..core.zoning.csle import compute_csle

        dem = self.raster_file(parameters, self.DEM, context, self.tr("DEM"))
        factors = {}
        for name in ("R", "K", "B", "E", "T"):
            if parameters.get(f"{name}_RASTER") not in (None, ""):
                factors[name] = self.raster_file(parameters, f"{name}_RASTER", context, f"CSLE {name}")
            else:
                factors[name] = self.parameterAsDouble(parameters, name, context)
        length = (
            self.raster_file(parameters, self.SLOPE_LENGTH_RASTER, context, self.tr("Slope length"))
            if parameters.get(self.SLOPE_LENGTH_RASTER) not in (None, "")
            else self.parameterAsDouble(parameters, self.SLOPE_LENGTH, context)
        )
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        classes = (
            self.parameterAsOutputLayer(parameters, self.CLASSES, context) if parameters.get(self.CLASSES) else None
        )
        res = compute_csle(dem, out, factors, length, classes, feedback=feedback)
        params = ind.load_erosion_classes()
        write_json(
            out.rsplit(".", 1)[0] + ".meta.json",
            run_metadata(
                "csle",
                {"dem": dem, **{k: v for k, v in factors.items() if isinstance(v, str)}},
                {"factors": factors, "slope_length": length},
                res.as_dict(),
                {"csle": {"version": params["version"], "csle": params["csle"]}},
            ),
        )
        feedback.info(f"CSLE: {res.cells} cells, mean modulus {res.mean_modulus:.1f} t/(km²·a)")
        return {self.OUTPUT: out, self.CLASSES: classes}
