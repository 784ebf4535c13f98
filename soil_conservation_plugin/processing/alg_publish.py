"""Publication: the per-county 禁止开垦陡坡地 map with its 公告 table, from a print layout template, as PDF and PNG.

One county (COUNTY = its code) or a batch over every county of the boundary layer.
The layout comes from resources/layouts/county_announcement.qpt (or the user's own
template with the same item ids): title, map, legend, scale bar, north arrow, the
公告 table (patches and area per 乡镇), date and source. Each county's filled layout
is also saved as a .qpt beside its PDF, so staff can adjust it in QGIS.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsCoordinateTransform,
    QgsDistanceArea,
    QgsFeature,
    QgsFeatureRequest,
    QgsFillSymbol,
    QgsGeometry,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutItemTextTable,
    QgsLayoutPoint,
    QgsLayoutSize,
    QgsLayoutTableColumn,
    QgsLegendStyle,
    QgsLinePatternFillSymbolLayer,
    QgsLineSymbol,
    QgsNullSymbolRenderer,
    QgsPalLayerSettings,
    QgsPrintLayout,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterRasterLayer,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProject,
    QgsReadWriteContext,
    QgsRectangle,
    QgsRendererCategory,
    QgsSimpleFillSymbolLayer,
    QgsSimpleLineSymbolLayer,
    QgsSingleSymbolRenderer,
    QgsTextBufferSettings,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QSize
from qgis.PyQt.QtGui import QColor, QFont, QImage
from qgis.PyQt.QtXml import QDomDocument

from ..core.common.coverage import FULL as FULL_COVER
from ..core.common.coverage import cover_note
from ..core.common.errors import InputError
from ..core.common.headers import table_columns
from ..core.common.io import atomic_path, write_json
from ..core.common.metadata import run_metadata
from ..core.common.paths import resources_path
from ..core.export.publication import FILE_SUFFIX, check_layout_text, file_stems, fill_title, pdf_complete
from ..qt_compat import font_families
from ..translation import translate
from .base import AlgorithmBase

TEMPLATE = ("layouts", "county_announcement.qpt")
ITEM_IDS = ("title", "subtitle", "map", "legend", "scalebar", "north_arrow", "announcement_table", "date", "source")
COLUMN_SHARES = (0.27, 0.29, 0.2, 0.24)
TOTAL = "合计"
OUTSIDE = "乡镇以外"
# fonts with Chinese glyphs, most preferred first (Debian: fonts-wqy-microhei / fonts-noto-cjk; Windows: YaHei, SimHei)
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
)
STEEP_FIELDS = ("cnty_code", "area_ha")
ZONE_FIELDS = ("county_code", "zone_id", "n_units", "area_km2")
ZONING_SUFFIX = "_zoning_announcement"
LEGEND_SYMBOL_MM = (10.0, 5.0)
TOWNSHIP_DASH_MM = "2.5;1.2"  # one mm pattern for the map and the legend patch
# zone id → (legend label, symbol properties); fills first, hatches (which may overlap them) after
ZONE_STYLES = (
    ("key_prevention", "水土流失重点预防区", {"kind": "fill", "color": "77,175,74,150", "outline_color": "40,110,40"}),
    ("key_treatment", "水土流失重点治理区", {"kind": "fill", "color": "255,127,0,160", "outline_color": "170,80,0"}),
    ("severe", "水土流失严重区域", {"kind": "hatch", "color": "200,0,0", "angle": "45"}),
    ("fragile", "生态脆弱区域", {"kind": "hatch", "color": "110,40,160", "angle": "135"}),
)


def table_headers(table: str) -> tuple:
    """Headers of a 公告 table ('announcement': per 乡镇; 'zoning_announcement': per zone type), from
    resources/rules/table_headers.json (read once)."""
    return tuple(heading for _, heading in table_columns(table))


def cjk_font() -> str:
    families = set(font_families())
    return next((f for f in CJK_FONTS if f in families), QFont().defaultFamily())


def code_text(value) -> str:
    if value is None:
        return ""
    text = str(value)
    if text == "NULL":
        return ""
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def announcement_rows(steep, county_code: str) -> tuple[list[list[str]], float, int]:
    """公告 table rows for one county: per 乡镇 the number of patches and the area (ha); a total row last.

    Patches split by 乡镇 keep their parent id, so a patch crossing two 乡镇 counts in
    both rows but once in the total (as in the steep-slope algorithm's own tables).
    """
    names = steep.fields().names()
    by_twn: dict = {}
    parents_all = set()
    total = 0.0
    for f in steep.getFeatures(QgsFeatureRequest().setFlags(QgsFeatureRequest.Flag.NoGeometry)):
        if code_text(f["cnty_code"]) != county_code:
            continue
        key = (
            code_text(f["twn_code"]) if "twn_code" in names else "",
            str(f["twn_name"] or "") if "twn_name" in names else "",
        )
        parent = f["parent_id"] if "parent_id" in names else f.id()
        row = by_twn.setdefault(key, {"parents": set(), "ha": 0.0})
        row["parents"].add(parent)
        row["ha"] += float(f["area_ha"] or 0.0)
        parents_all.add(parent)
        total += float(f["area_ha"] or 0.0)
    # 乡镇 in code order; patches outside every 乡镇 last
    keys = sorted(by_twn, key=lambda k: (k[0] == "" or k[1] == OUTSIDE, k[0], k[1]))
    rows = [
        [code, name or OUTSIDE, str(len(by_twn[(code, name)]["parents"])), f"{by_twn[(code, name)]['ha']:.2f}"]
        for code, name in keys
    ]
    rows.append(["", TOTAL, str(len(parents_all)), f"{total:.2f}"])
    return rows, total, len(parents_all)


def county_renderer():
    return QgsSingleSymbolRenderer(
        QgsFillSymbol.createSimple({"color": "0,0,0,0", "outline_color": "0,0,0", "outline_width": "0.8"})
    )


def steep_renderer():
    return QgsSingleSymbolRenderer(
        QgsFillSymbol.createSimple({"color": "215,48,39,200", "outline_color": "150,20,20", "outline_width": "0.1"})
    )


def township_symbol():
    """乡镇界: a dashed line with its dash pattern in millimetres,
    so the legend patch shows the very dashes of the map."""
    line = QgsSimpleLineSymbolLayer.create(
        {
            "line_color": "90,90,90",
            "line_width": "0.35",
            "line_width_unit": "MM",
            "line_style": "dash",
            "use_custom_dash": "1",
            "customdash": TOWNSHIP_DASH_MM,
            "customdash_unit": "MM",
        }
    )
    symbol = QgsLineSymbol.createSimple({})
    symbol.deleteSymbolLayer(0)
    symbol.appendSymbolLayer(line)
    return symbol


def township_layers(townships, name_field: str, font: str):
    """(boundary lines, name labels) of the 乡镇: each shared boundary once as a dashed line (two polygons
    drawing one edge in opposite directions would put their dashes out of step, which reads as a solid
    line), and the polygons without symbol carrying the names with a halo."""
    geoms = [QgsGeometry(f.geometry()) for f in townships.getFeatures() if f.hasGeometry()]
    boundaries = [QgsGeometry(g.constGet().boundary()) for g in geoms if g.constGet() is not None]
    crs = townships.crs()
    lines = QgsVectorLayer(
        f"MultiLineString?crs={crs.authid()}" if crs.authid() else "MultiLineString", "乡镇界", "memory"
    )
    if not crs.authid():
        lines.setCrs(crs)
    if boundaries:
        feat = QgsFeature()
        # union nodes the shared edges (each drawn once); mergeLines joins the pieces again, so a dash pattern
        # runs along the whole boundary instead of restarting (solid-looking) at every tiny piece
        feat.setGeometry(QgsGeometry.unaryUnion(boundaries).mergeLines())
        lines.dataProvider().addFeatures([feat])
    lines.setRenderer(QgsSingleSymbolRenderer(township_symbol()))
    labels = townships.clone()
    style_townships(labels, name_field, font)
    return lines, labels


def _fill_of(symbol_layers):
    """A fill symbol owning ``symbol_layers`` (appendSymbolLayer takes ownership; a Python list given to the
    constructor does not, and the layers would be freed under QGIS)."""
    symbol = QgsFillSymbol.createSimple({})
    symbol.deleteSymbolLayer(0)
    for layer in symbol_layers:
        symbol.appendSymbolLayer(layer)
    return symbol


def style_townships(layer, name_field: str, font: str) -> None:
    """乡镇 name labels with a white halo (buffer), so names stay readable over patches and zones; the
    polygons themselves are not drawn (their boundaries come from ``township_layers``)."""
    layer.setName("乡镇名称")
    layer.setRenderer(QgsNullSymbolRenderer())
    if name_field and name_field in layer.fields().names():
        settings = QgsPalLayerSettings()
        settings.fieldName = name_field
        fmt = QgsTextFormat()
        fmt.setFont(QFont(font))
        fmt.setSize(9)
        buffer = QgsTextBufferSettings()
        buffer.setEnabled(True)
        buffer.setSize(0.8)
        buffer.setSizeUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
        buffer.setColor(QColor(255, 255, 255))
        fmt.setBuffer(buffer)
        settings.setFormat(fmt)
        layer.setLabeling(QgsVectorLayerSimpleLabeling(settings))
        layer.setLabelsEnabled(True)
    else:
        layer.setLabelsEnabled(False)


def zone_symbol(props: dict):
    if props["kind"] == "fill":
        return QgsFillSymbol.createSimple(
            {"color": props["color"], "outline_color": props["outline_color"], "outline_width": "0.2"}
        )
    hatch = QgsLinePatternFillSymbolLayer()
    hatch.setLineAngle(float(props["angle"]))
    hatch.setDistance(2.0)
    hatch.setDistanceUnit(QgsUnitTypes.RenderUnit.RenderMillimeters)
    hatch.setColor(QColor(*[int(v) for v in props["color"].split(",")]))
    hatch.setLineWidth(0.3)
    border = QgsSimpleFillSymbolLayer.create(
        {"color": "0,0,0,0", "outline_color": props["color"], "outline_width": "0.3"}
    )
    return _fill_of([hatch, border])


def zone_renderer(present=None):
    """Categories of zone_id in ZONE_STYLES order; only the zone types present when ``present`` is given."""
    cats = [
        QgsRendererCategory(zid, zone_symbol(props), label)
        for zid, label, props in ZONE_STYLES
        if present is None or zid in present
    ]
    return QgsCategorizedSymbolRenderer("zone_id", cats)


def county_area_ha(feature, crs, project) -> float:
    da = QgsDistanceArea()
    da.setSourceCrs(crs, project.transformContext())
    da.setEllipsoid(crs.ellipsoidAcronym() or "EPSG:7019")
    return da.convertAreaMeasurement(da.measureArea(feature.geometry()), QgsUnitTypes.AreaUnit.AreaHectares)


def zoning_rows(zone_features, county_feature, county_crs, project) -> tuple[list[list[str]], float]:
    """公告 rows of the zoning map: per zone type (ZONE_STYLES order) the number of 小流域, the area
    (ha) and the share of the county."""
    county_ha = county_area_ha(county_feature, county_crs, project)
    by_id: dict = {}
    for f in zone_features:
        acc = by_id.setdefault(
            str(f["zone_id"]), [str(f["zone"]) if f.fields().indexOf("zone") >= 0 and f["zone"] else "", 0, 0.0]
        )
        acc[1] += int(f["n_units"] or 0)
        acc[2] += 100.0 * float(f["area_km2"] or 0.0)
    rows = []
    for zid, label, _ in ZONE_STYLES:
        if zid in by_id:
            name, n, ha = by_id.pop(zid)
            rows.append([label, str(n), f"{ha:.2f}", f"{100.0 * ha / county_ha:.2f}" if county_ha > 0 else ""])
    for zid, (name, n, ha) in sorted(by_id.items()):  # zone types of a user's rule file
        rows.append([name or zid, str(n), f"{ha:.2f}", f"{100.0 * ha / county_ha:.2f}" if county_ha > 0 else ""])
    if not rows:
        rows.append(["（未划定重点区域）", "0", "0.00", "0.00"])
    return rows, county_ha


def fit_table(table, headers, rows, font: str, width: float, height: float) -> float:
    """Columns sized to their content (no cell cut); the font shrinks (9 pt down to 5 pt) until the whole
    table fits the frame. Returns the font size used."""
    columns = []
    for heading in headers:
        column = QgsLayoutTableColumn(heading)
        column.setWidth(0)  # automatic: as wide as the widest cell
        columns.append(column)
    table.setColumns(columns)
    table.setContents(rows)
    size = 9.0
    while True:
        for setter in ("setHeaderTextFormat", "setContentTextFormat"):
            fmt = QgsTextFormat()
            f = QFont(font)
            f.setBold(setter == "setHeaderTextFormat")
            fmt.setFont(f)
            fmt.setSize(size)
            getattr(table, setter)(fmt)
        table.refresh()
        total = table.totalSize()
        if (total.width() <= width and total.height() <= height) or size <= 5.0:
            return size
        size -= 0.5


def fit_aspect(extent, width: float, height: float):
    """``extent`` grown around its centre to the frame's width/height ratio."""
    ratio = width / height if height > 0 else 1.0
    cx, cy = extent.center().x(), extent.center().y()
    w, h = extent.width(), extent.height()
    if h <= 0 or w / h > ratio:
        h = w / ratio
    else:
        w = h * ratio
    out = QgsRectangle(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    return out


def pdf_settings():
    """Text stays text (searchable, copyable 公告 numbers) instead of QGIS's default outlines."""
    settings = QgsLayoutExporter.PdfExportSettings()
    always_text = getattr(getattr(Qgis, "TextRenderFormat", None), "AlwaysText", None)
    if always_text is None:  # QGIS < 3.28
        always_text = Qgis.TextRenderFormat.AlwaysText
    settings.textRenderFormat = always_text
    return settings


class PublishAlgorithm(AlgorithmBase):
    NAME = "publish"
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Publish county maps (公告: PDF and PNG)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Publication")
    GROUP_ID = "publication"

    COUNTIES = "COUNTIES"
    COUNTY_CODE_FIELD = "COUNTY_CODE_FIELD"
    COUNTY_NAME_FIELD = "COUNTY_NAME_FIELD"
    STEEP = "STEEP"
    TOWNSHIPS = "TOWNSHIPS"
    TOWNSHIP_NAME_FIELD = "TOWNSHIP_NAME_FIELD"
    COUNTY = "COUNTY"
    COUNTY_CODES = "COUNTY_CODES"
    DEM = "DEM"
    ALLOW_PARTIAL = "ALLOW_PARTIAL"
    ZONES = "ZONES"
    ZONING_TITLE = "ZONING_TITLE"
    TEMPLATE = "TEMPLATE"
    TITLE = "TITLE"
    SOURCE = "SOURCE"
    DATE = "DATE"
    DPI = "DPI"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    COUNT = "COUNT"
    INDEX = "INDEX"

    def initAlgorithm(self, config=None):  # noqa: N802
        poly = [QgsProcessing.SourceType.TypeVectorPolygon]
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.COUNTIES, translate("SoilConservation", "County boundaries (县界)"), poly
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_CODE_FIELD, translate("SoilConservation", "County code field"), "county_code", self.COUNTIES
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.COUNTY_NAME_FIELD,
                translate("SoilConservation", "County name field"),
                "county_name",
                self.COUNTIES,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.STEEP, translate("SoilConservation", "Steep-slope patches (from 'steep_slope')"), poly
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.TOWNSHIPS,
                translate("SoilConservation", "Townships (乡镇) for the map (optional)"),
                poly,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterField(
                self.TOWNSHIP_NAME_FIELD,
                translate("SoilConservation", "Township name field (labels)"),
                None,
                self.TOWNSHIPS,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.COUNTY, translate("SoilConservation", "County code (blank = every county: batch)"), optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.COUNTY_CODES,
                translate(
                    "SoilConservation",
                    "Only these counties (codes, comma-separated; blank = the county above or every county)",
                ),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterVectorLayer(
                self.ZONES,
                translate("SoilConservation", "Zones per county (layer 'zones' of the zoning step) for the zoning map"),
                poly,
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.ZONING_TITLE,
                translate("SoilConservation", "Zoning map title ({county_name} and {county_code} are replaced)"),
                "{county_name}水土流失重点预防区和重点治理区分布图",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterRasterLayer(
                self.DEM,
                translate("SoilConservation", "DEM used (to measure the share of each county it covers)"),
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterBoolean(
                self.ALLOW_PARTIAL,
                translate("SoilConservation", "Allow publishing a partial result (DEM covers only part of a county)"),
                False,
            )
        )
        self.addParameter(
            QgsProcessingParameterFile(
                self.TEMPLATE,
                translate("SoilConservation", "Layout template (.qpt; blank = the plugin's)"),
                extension="qpt",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.TITLE,
                translate("SoilConservation", "Title ({county_name} and {county_code} are replaced)"),
                "{county_name}禁止开垦陡坡地分布图",
                optional=True,
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.SOURCE, translate("SoilConservation", "Data source note"), "", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterString(
                self.DATE, translate("SoilConservation", "Date (blank = today)"), "", optional=True
            )
        )
        self.addParameter(
            QgsProcessingParameterNumber(
                self.DPI,
                translate("SoilConservation", "PNG resolution (dpi)"),
                QgsProcessingParameterNumber.Type.Integer,
                150,
                minValue=50,
                maxValue=600,
            )
        )
        self.addParameter(
            QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, translate("SoilConservation", "Output folder"))
        )
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, translate("SoilConservation", "Counties published")))
        self.addOutput(QgsProcessingOutputFile(self.INDEX, translate("SoilConservation", "Index of the files (JSON)")))

    def help(self) -> str:
        return (
            translate(
                "SoilConservation",
                "Makes the county publication of the no-reclamation steep slopes (禁止开垦陡坡地) from a print layout "
                "template: title, map (county boundary, 乡镇, patches), legend naming the slope threshold, scale bar, "
                "north arrow, the 公告 table (patches and area in hectares per 乡镇, with the total), the date and the "
                "data source; exported to PDF and PNG, one county or all of them.\n"
                "County boundaries and their code field; the steep-slope patch layer of the 'steep_slope' algorithm "
                "(fields cnty_code, twn_code, twn_name, parent_id, area_ha, thresh_deg). Areas in the table are the "
                "sums of the patches' area_ha (ellipsoidal areas), rounded to 0.01 ha.\n"
                "Template: resources/layouts/county_announcement.qpt (A3 landscape) or your own .qpt with the item ids "
                "title, subtitle, map, legend, scalebar, north_arrow, announcement_table (the frame of a text table), "
                "date and source. Each county's filled layout is saved as a .qpt beside its PDF and PNG. Chinese text "
                "needs a font with Chinese glyphs (Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei or SimHei).",
            )
            + "\n"
            + translate(
                "SoilConservation",
                "Title: literal text; only {county_name} and {county_code} are replaced, any other brace stays as it "
                "is. Title, source and date must not hold the QGIS expression marker [% (a layout label would evaluate "
                "it). Files are named <county code>_steep_slope_announcement.pdf/.png/.qpt; two county codes that "
                "would get the same file name are refused before any work. Each PDF and PNG is checked (complete PDF, "
                "decodable PNG) before it takes its final name.",
            )
            + "\n"
            + translate(
                "SoilConservation",
                "Counties: COUNTY (one code) or COUNTY_CODES (several, comma-separated); blank = every county. Zoning "
                "map: with the zones layer of the zoning step (fields county_code, zone_id, zone, n_units, area_km2), "
                "each county also gets <code>_zoning_announcement.pdf/.png/.qpt: 重点预防区/重点治理区 as fills, "
                "严重/脆弱 areas as hatching, and a table of the number of 小流域, the area (ha) and the share of the "
                "county per zone type. Coverage: the share of each county the DEM covers is measured on the DEM when "
                "one is given, else read from the steep-slope layer (DEM_COVER_PCT). A county covered only in part is "
                "refused with its share unless ALLOW_PARTIAL is on; then the share is printed on the map and in the "
                "index. Township labels have a white halo; the 乡镇 boundary dash pattern is in millimetres, so the "
                "legend shows the map's dashes; table columns take the width of their text and the font shrinks until "
                "the table fits its frame.",
            )
        )

    # --- parameters --------------------------------------------------------------------------
    def process(self, parameters, context, feedback):
        counties = self.parameterAsVectorLayer(parameters, self.COUNTIES, context)
        steep = self.parameterAsVectorLayer(parameters, self.STEEP, context)
        townships = self.parameterAsVectorLayer(parameters, self.TOWNSHIPS, context)
        code_field = self.parameterAsString(parameters, self.COUNTY_CODE_FIELD, context)
        name_field = self.parameterAsString(parameters, self.COUNTY_NAME_FIELD, context)
        twn_name_field = self.parameterAsString(parameters, self.TOWNSHIP_NAME_FIELD, context)
        only = self.parameterAsString(parameters, self.COUNTY, context).strip()
        from ..core.common.counties import parse_codes

        wanted = parse_codes(only) + [
            c
            for c in parse_codes(self.parameterAsString(parameters, self.COUNTY_CODES, context))
            if c not in parse_codes(only)
        ]
        zones = (
            self.parameterAsVectorLayer(parameters, self.ZONES, context)
            if parameters.get(self.ZONES) not in (None, "")
            else None
        )
        zoning_title = (
            self.parameterAsString(parameters, self.ZONING_TITLE, context)
            or "{county_name}水土流失重点预防区和重点治理区分布图"
        )
        allow_partial = self.parameterAsBoolean(parameters, self.ALLOW_PARTIAL, context)
        dem = (
            self.raster_file(parameters, self.DEM, context, translate("SoilConservation", "DEM"))
            if parameters.get(self.DEM) not in (None, "")
            else None
        )
        template = self.parameterAsFile(parameters, self.TEMPLATE, context) or str(resources_path(*TEMPLATE))
        title = self.parameterAsString(parameters, self.TITLE, context) or "{county_name}禁止开垦陡坡地分布图"
        source = self.parameterAsString(parameters, self.SOURCE, context)
        date = self.parameterAsString(parameters, self.DATE, context) or _dt.date.today().isoformat()
        dpi = self.parameterAsInt(parameters, self.DPI, context)
        out_dir = Path(self.parameterAsString(parameters, self.OUTPUT_FOLDER, context))

        label_c, label_s = (
            translate("SoilConservation", "County boundaries"),
            translate("SoilConservation", "Steep-slope patches"),
        )
        for layer, label in ((counties, label_c), (steep, label_s)):
            if layer is None or not layer.isValid():
                raise InputError(label, "未提供有效的矢量图层", "no valid vector layer was given")
        if code_field not in counties.fields().names():
            raise InputError(label_c, f"缺少代码字段 {code_field}", f"the code field {code_field} is missing")
        if name_field and name_field not in counties.fields().names():
            raise InputError(label_c, f"缺少名称字段 {name_field}", f"the name field {name_field} is missing")
        if townships is not None and twn_name_field and twn_name_field not in townships.fields().names():
            raise InputError(
                translate("SoilConservation", "Townships"),
                f"缺少名称字段 {twn_name_field}",
                f"the name field {twn_name_field} is missing",
            )
        missing = [f for f in STEEP_FIELDS if f not in steep.fields().names()]
        if missing:
            raise InputError(
                label_s,
                f"缺少字段 {', '.join(missing)}（应为 steep_slope 的输出）",
                f"fields {', '.join(missing)} are missing (expected the output of steep_slope)",
            )
        if not Path(template).is_file():
            raise InputError(
                translate("SoilConservation", "Layout template"),
                f"找不到模板 {template}",
                f"template not found: {template}",
            )
        for key, text in ((self.TITLE, title), (self.SOURCE, source), (self.DATE, date)):
            check_layout_text(key, text)
        doc = QDomDocument()
        if not doc.setContent(Path(template).read_text(encoding="utf-8")):
            raise InputError(
                translate("SoilConservation", "Layout template"),
                f"模板不是有效的 XML: {template}",
                f"the template is not valid XML: {template}",
            )

        if zones is not None:
            lacking = [f for f in ZONE_FIELDS if f not in zones.fields().names()]
            if not zones.isValid() or lacking:
                raise InputError(
                    translate("SoilConservation", "Zones per county"),
                    f"缺少字段 {', '.join(lacking)}（应为 zoning 的 zones 图层）",
                    f"fields {', '.join(lacking)} are missing (expected the zones layer of zoning)",
                )
        chosen = []
        for f in counties.getFeatures():
            code = code_text(f[code_field])
            if code and (not wanted or code in wanted):
                chosen.append(
                    (
                        code,
                        str(f[name_field]) if name_field and f[name_field] not in (None, "NULL") else "",
                        QgsFeature(f),
                    )
                )
        absent = [c for c in wanted if c not in {code for code, _, _ in chosen}]
        if absent:
            raise InputError(
                label_c, f"没有代码为 {', '.join(absent)} 的县", f"no county with code {', '.join(absent)}"
            )
        if not chosen:
            raise InputError(label_c, "图层中没有县", "the layer holds no county")
        covers = self.coverage(dem, steep, counties, chosen, feedback)
        partial = [
            (code, name, covers[code])
            for code, name, _ in chosen
            if covers.get(code) is not None and covers[code] < FULL_COVER
        ]
        if partial and not allow_partial:
            listed = ", ".join(f"{code} {name} {100.0 * share:.1f}%" for code, name, share in partial)
            raise InputError(
                translate("SoilConservation", "Publication"),
                f"DEM 只覆盖部分县域（{listed}），结果不完整，默认不发布；"
                "确需发布部分成果时请勾选“允许发布部分覆盖的结果”(ALLOW_PARTIAL)，图上将注明覆盖率",
                f"the DEM covers only part of the county ({listed}): the result is partial and is not published by "
                "default; tick 'Allow publishing a partial result' (ALLOW_PARTIAL) to publish it with the coverage "
                "printed on the map",
            )
        for code, name, share in partial:
            feedback.info(
                f"⚠ {code} {name}: DEM 只覆盖县域的 {100.0 * share:.1f}%，按要求发布部分成果，图上注明 / the DEM "
                f"covers only {100.0 * share:.1f}% of the county; published as a partial result, noted on the map"
            )
        chosen.sort(key=lambda c: c[0])
        for code, name, _ in chosen:
            check_layout_text(label_c, f"{code} {name}")
        stems = file_stems([code for code, _, _ in chosen], label_c)  # refuses two codes → one file name

        out_dir.mkdir(parents=True, exist_ok=True)
        index = []
        for i, (code, name, feature) in enumerate(chosen):
            feedback.check()
            feedback.info(f"{code} {name}")
            files = self.publish_county(
                doc,
                counties,
                feature,
                code,
                name,
                steep,
                townships,
                twn_name_field,
                title,
                source,
                date,
                dpi,
                out_dir,
                stems[code],
                covers.get(code),
                zones,
                zoning_title,
                stems[code].replace(FILE_SUFFIX, ZONING_SUFFIX),
            )
            index.append({"county_code": code, "county_name": name, **files})
            feedback.progress(100.0 * (i + 1) / len(chosen))
        index_path = out_dir / "publication.json"
        write_json(
            index_path,
            run_metadata(
                "publish",
                {
                    "counties": counties.source().split("|")[0],
                    "steep": steep.source().split("|")[0],
                    "template": template,
                },
                {
                    "county": ",".join(wanted) or "all",
                    "title": title,
                    "zoning_title": zoning_title if zones is not None else None,
                    "source": source,
                    "date": date,
                    "dpi": dpi,
                    "allow_partial": allow_partial,
                    "zones": zones.source().split("|")[0] if zones is not None else None,
                    "dem": dem,
                    "coverage_from": "DEM"
                    if dem
                    else ("DEM_COVER_PCT of the steep-slope layer" if covers else "unknown"),
                },
                {"counties": index},
            ),
        )
        return {self.OUTPUT_FOLDER: str(out_dir), self.COUNT: len(index), self.INDEX: str(index_path)}

    @staticmethod
    def coverage(dem, steep, counties, chosen, feedback) -> dict:
        """code → share of the county the DEM covers: measured on the DEM when given, else read from the
        DEM_COVER_PCT metadata the steep-slope step writes on its layer; {} (and a note) when unknown."""
        if dem:
            from shapely import wkb

            from ..core.common.coverage import raster_coverage

            geoms = [(code, name, wkb.loads(bytes(f.geometry().asWkb()))) for code, name, f in chosen]
            return {c.code: c.share for c in raster_coverage(dem, geoms, counties.crs().toWkt())}
        from osgeo import ogr

        from ..core.steep.outputs import COVERAGE_KEY

        parts = steep.source().split("|")
        layer_name = next((p.split("=", 1)[1] for p in parts[1:] if p.startswith("layername=")), None)
        ds = ogr.Open(parts[0]) if parts[0].lower().endswith(".gpkg") else None
        text = None
        if ds is not None:
            lyr = ds.GetLayerByName(layer_name) if layer_name else ds.GetLayer(0)
            text = lyr.GetMetadataItem(COVERAGE_KEY) if lyr is not None else None
            lyr = ds = None
        if text:
            return {code: float(pct) / 100.0 for code, pct in json.loads(text).items()}
        feedback.info(
            "DEM 覆盖率未知（未给 DEM，陡坡图层也未记录）/ DEM coverage unknown (no DEM given, and the steep-slope "
            "layer does not record it)"
        )
        return {}

    # --- one county -----------------------------------------------------------------------------
    def publish_county(
        self,
        doc,
        counties,
        feature,
        code,
        name,
        steep,
        townships,
        twn_name_field,
        title,
        source,
        date,
        dpi,
        out_dir,
        stem,
        cover=None,
        zones=None,
        zoning_title="",
        zoning_stem="",
    ) -> dict:
        project = QgsProject()  # this county's own: layers and layout never touch the user's project
        font = cjk_font()
        crs = steep.crs() if steep.crs().isValid() else counties.crs()

        county = QgsVectorLayer(f"MultiPolygon?crs={counties.crs().authid() or 'EPSG:4490'}", "县界", "memory")
        if not counties.crs().authid():
            county.setCrs(counties.crs())
        county.dataProvider().addAttributes(counties.fields().toList())
        county.updateFields()
        county.dataProvider().addFeatures([feature])
        county.setRenderer(county_renderer())

        patches = QgsVectorLayer(f"MultiPolygon?crs={crs.authid()}", "patches", "memory")
        if not crs.authid():
            patches.setCrs(crs)
        patches.dataProvider().addAttributes(steep.fields().toList())
        patches.updateFields()
        mine = [f for f in steep.getFeatures() if code_text(f["cnty_code"]) == code]
        patches.dataProvider().addFeatures(mine)
        thresholds = sorted(
            {
                float(f["thresh_deg"])
                for f in mine
                if "thresh_deg" in steep.fields().names() and f["thresh_deg"] is not None
            }
        )
        threshold = thresholds[0] if len(thresholds) == 1 else None
        patches.setName(f"禁止开垦陡坡地（坡度 ≥ {threshold:g}°）" if threshold is not None else "禁止开垦陡坡地")
        patches.setRenderer(steep_renderer())

        twn = twn_labels = None
        if townships is not None and townships.isValid():
            twn, twn_labels = township_layers(townships, twn_name_field, font)
        project.addMapLayers([x for x in (patches, twn, twn_labels, county) if x is not None])
        project.setCrs(crs)
        extent = QgsCoordinateTransform(county.crs(), crs, project).transformBoundingBox(
            feature.geometry().boundingBox()
        )
        extent.scale(1.06)
        note_zh, _ = cover_note(cover)
        cover_text = "" if cover is None else f"　DEM 覆盖县域 {100.0 * cover:.1f}%"

        rows, total, n_patches = announcement_rows(steep, code)
        rule = f"坡度阈值 {threshold:g}°" if threshold is not None else "坡度阈值见图斑属性"
        layout = self.fill_layout(
            doc,
            project,
            [x for x in (patches, twn, twn_labels, county) if x is not None],
            crs,
            extent,
            font,
            fill_title(title, name or code, code),
            f"{code} {name}　{rule}　图斑 {n_patches} 个，合计 {total:.2f} 公顷{cover_text}",
            date,
            source,
            table_headers("announcement"),
            rows,
            note_zh,
            f"{code} {name}",
            legend_layers=[x for x in (patches, twn, county) if x is not None],
        )
        files = {
            "patches": n_patches,
            "area_ha": round(total, 2),
            "table": rows,
            "dem_cover_pct": None if cover is None else round(100.0 * cover, 1),
        }
        files.update(self.export(layout, out_dir, stem, dpi))
        if zones is not None:
            zl = QgsVectorLayer(f"MultiPolygon?crs={zones.crs().authid()}", "zones", "memory")
            if not zones.crs().authid():
                zl.setCrs(zones.crs())
            zl.dataProvider().addAttributes(zones.fields().toList())
            zl.updateFields()
            zmine = [f for f in zones.getFeatures() if code_text(f["county_code"]) == code]
            zl.dataProvider().addFeatures(zmine)
            zl.setName("重点区域")
            present = [zid for zid, _, _ in ZONE_STYLES if any(str(f["zone_id"]) == zid for f in zmine)]
            zl.setRenderer(zone_renderer(present))
            zproject = QgsProject()  # a second layout in one project crashes QGIS 3.22 on loading the template
            zcounty = county.clone()
            zcounty.setRenderer(county_renderer())
            ztwn = ztwn_labels = None
            if twn is not None:
                ztwn, ztwn_labels = township_layers(townships, twn_name_field, font)
            zlayers = [x for x in (zl, ztwn, ztwn_labels, zcounty) if x is not None]
            zproject.addMapLayers(zlayers)
            zproject.setCrs(crs)
            zrows, county_ha = zoning_rows(zmine, feature, county.crs(), zproject)
            zlayout = self.fill_layout(
                doc,
                zproject,
                zlayers,
                crs,
                extent,
                font,
                fill_title(zoning_title, name or code, code),
                f"{code} {name}　县域面积 {county_ha:.2f} 公顷　以小流域为单元划定{cover_text}",
                date,
                source,
                table_headers("zoning_announcement"),
                zrows,
                note_zh,
                f"{code} {name} 重点区域",
                table_title="重点区域面积统计表（按区类型）",
                legend_layers=[x for x in (zl, ztwn, zcounty) if x is not None],
                note="区域由小流域单元组成；面积为椭球面积；一个小流域可同时属于严重区/脆弱区与预防区/治理区。",
            )
            zfiles = self.export(zlayout, out_dir, zoning_stem, dpi)
            files.update({f"zoning_{k}": v for k, v in zfiles.items()})
            files["zoning_table"] = zrows
            del zlayout
            zproject.removeAllMapLayers()
        project.removeAllMapLayers()
        return files

    def fill_layout(
        self,
        doc,
        project,
        layers,
        crs,
        extent,
        font,
        title,
        subtitle,
        date,
        source,
        headers,
        rows,
        cover_note_zh,
        layout_name,
        table_title=None,
        note=None,
        legend_layers=None,
    ):
        layout = QgsPrintLayout(project)
        items, ok = layout.loadFromTemplate(doc, QgsReadWriteContext(), True)
        if not ok:
            raise InputError(
                translate("SoilConservation", "Layout template"),
                "无法读取布局模板",
                "the layout template could not be read",
            )
        layout.setName(layout_name)
        found = {i.id(): i for i in layout.items() if hasattr(i, "id") and callable(i.id)}
        missing = [i for i in ITEM_IDS if i not in found]
        if missing:
            raise InputError(
                translate("SoilConservation", "Layout template"),
                f"模板缺少图元: {', '.join(missing)}",
                f"the template lacks the items: {', '.join(missing)}",
            )
        self._text(found["title"], title, font)
        self._text(found["subtitle"], subtitle, font)
        self._text(found["date"], f"制图日期：{date}", font)
        self._text(found["source"], f"数据来源：{source}" if source else "数据来源：", font)
        if table_title is not None and "table_title" in found:
            self._text(found["table_title"], table_title, font)
        if note is not None and "note" in found:
            self._text(found["note"], note, font)

        m = found["map"]
        assert isinstance(m, QgsLayoutItemMap)
        m.setCrs(crs)
        m.setLayers(layers)
        m.setKeepLayerSet(True)
        m.setExtent(fit_aspect(extent, m.rect().width(), m.rect().height()))  # keeps the frame's size
        if cover_note_zh:
            self.coverage_label(layout, m, cover_note_zh, font)
        arrow = found["north_arrow"]
        if isinstance(arrow, QgsLayoutItemPicture):
            arrow.setLinkedMap(m)
            arrow.setPicturePath(self._north_arrow(arrow.picturePath()))
        bar = found["scalebar"]
        if isinstance(bar, QgsLayoutItemScaleBar):
            bar.setLinkedMap(m)
            bar.setUnits(QgsUnitTypes.DistanceUnit.DistanceKilometers)
            bar.setUnitLabel("公里")
            bar.applyDefaultSize(QgsUnitTypes.DistanceUnit.DistanceKilometers)
            bar.setUnitLabel("公里")
            fmt = QgsTextFormat()
            fmt.setFont(QFont(font))
            fmt.setSize(8)
            if hasattr(bar, "setTextFormat"):
                bar.setTextFormat(fmt)
        legend = found["legend"]
        if isinstance(legend, QgsLayoutItemLegend):
            legend.setLinkedMap(m)
            legend.setAutoUpdateModel(False)
            root = legend.model().rootGroup()
            root.removeAllChildren()
            for layer in legend_layers if legend_layers is not None else layers:
                root.addLayer(layer)
            legend.setTitle("图例")
            legend.setSymbolWidth(
                LEGEND_SYMBOL_MM[0]
            )  # room for the boundary dashes (the same mm pattern as on the map)
            legend.setSymbolHeight(LEGEND_SYMBOL_MM[1])
            for style, size in ((QgsLegendStyle.Style.Title, 14), (QgsLegendStyle.Style.SymbolLabel, 10)):
                fmt = QgsTextFormat()
                fmt.setFont(QFont(font))
                fmt.setSize(size)
                if hasattr(legend.rstyle(style), "setTextFormat"):  # QGIS ≥ 3.30
                    legend.rstyle(style).setTextFormat(fmt)
                else:
                    legend.setStyleFont(style, QFont(font, size))
            legend.setResizeToContents(True)
            legend.adjustBoxSize()
        table = next((mf for mf in layout.multiFrames() if isinstance(mf, QgsLayoutItemTextTable)), None)
        if table is None:
            raise InputError(
                translate("SoilConservation", "Layout template"),
                "模板缺少公告表(文本表格)",
                "the template lacks the announcement table (a text table)",
            )
        frame = table.frame(0)
        # the frame shrinks to its old content on loading: give it the width of the column it sits in
        width = found["table_title"].rect().width() if "table_title" in found else frame.rect().width()
        height = frame.rect().height()
        if isinstance(legend, QgsLayoutItemLegend):
            # a legend taller than its frame (four zone types) pushes the table down instead of being cut
            legend_bottom = legend.positionWithUnits().y() + legend.sizeWithUnits().height()
            top = (
                found["table_title"].positionWithUnits().y()
                if "table_title" in found
                else frame.positionWithUnits().y()
            )
            shift = legend_bottom + 2.0 - top
            if shift > 0:
                for item in ([found["table_title"]] if "table_title" in found else []) + [frame]:
                    pos = item.positionWithUnits()
                    item.attemptMove(
                        QgsLayoutPoint(pos.x(), pos.y() + shift, QgsUnitTypes.LayoutUnit.LayoutMillimeters)
                    )
                height -= shift
        frame.attemptResize(QgsLayoutSize(width, height, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
        fit_table(table, headers, rows, font, width, height)
        return layout

    @staticmethod
    def coverage_label(layout, m, text: str, font: str) -> None:
        """The partial-coverage note printed on the map (bottom left inside the frame), red on white."""
        label = QgsLayoutItemLabel(layout)
        label.setId("coverage")
        layout.addLayoutItem(label)
        label.setText(text)
        fmt = QgsTextFormat()
        f = QFont(font)
        f.setBold(True)
        fmt.setFont(f)
        fmt.setSize(12)
        fmt.setColor(QColor(200, 0, 0))
        if hasattr(label, "setTextFormat"):
            label.setTextFormat(fmt)
        else:
            label.setFont(f)
            label.setFontColor(QColor(200, 0, 0))
        label.setBackgroundEnabled(True)
        label.setBackgroundColor(QColor(255, 255, 255, 230))
        label.setFrameEnabled(True)
        label.setFrameStrokeColor(QColor(200, 0, 0))
        label.setMarginX(2)
        label.setMarginY(1.5)
        pos = m.positionWithUnits()
        label.attemptMove(QgsLayoutPoint(pos.x() + 4, pos.y() + 4, QgsUnitTypes.LayoutUnit.LayoutMillimeters))
        label.adjustSizeToText()

    def export(self, layout, out_dir, stem, dpi) -> dict:
        pdf, png, qpt = out_dir / f"{stem}.pdf", out_dir / f"{stem}.png", out_dir / f"{stem}.qpt"
        exporter = QgsLayoutExporter(layout)
        label = translate("SoilConservation", "Publication")
        with atomic_path(pdf) as tmp:
            result = exporter.exportToPdf(str(tmp), pdf_settings())
            if result != QgsLayoutExporter.ExportResult.Success or not pdf_complete(tmp):
                raise InputError(
                    label,
                    f"PDF 导出失败或文件不完整 ({result}): {pdf}",
                    f"PDF export failed or the file is incomplete ({result}): {pdf}",
                )
        with atomic_path(png) as tmp:
            # rendered and saved by Qt: exportToImage then reopens the PNG through GDAL in update mode to
            # georeference it, which the PNG driver refuses (a GDAL error atomic_path rightly treats as a failure)
            image = exporter.renderPageToImage(0, QSize(), dpi)
            ok = not image.isNull() and image.save(str(tmp), "PNG")
            result = QgsLayoutExporter.ExportResult.Success if ok else QgsLayoutExporter.ExportResult.FileError
            if result != QgsLayoutExporter.ExportResult.Success or QImage(str(tmp)).isNull():
                raise InputError(
                    label,
                    f"PNG 导出失败或无法解码 ({result}): {png}",
                    f"PNG export failed or the file cannot be decoded ({result}): {png}",
                )
        with atomic_path(qpt) as tmp:
            if not layout.saveAsTemplate(str(tmp), QgsReadWriteContext()):
                raise InputError(label, f"无法保存布局: {qpt}", f"could not save the layout: {qpt}")
        return {"pdf": str(pdf), "png": str(png), "layout": str(qpt), "layout_name": layout.name()}

    @staticmethod
    def _text(item, text: str, font: str) -> None:
        if not isinstance(item, QgsLayoutItemLabel):
            return
        item.setText(text)
        if hasattr(item, "textFormat"):
            fmt = item.textFormat()
            f = fmt.font()
            f.setFamily(font)
            fmt.setFont(f)
            item.setTextFormat(fmt)
        else:
            f = item.font()
            f.setFamily(font)
            item.setFont(f)

    @staticmethod
    def _north_arrow(current: str) -> str:
        """An absolute path of the template's SVG (QGIS's own arrows), whatever the install prefix."""
        if current and Path(current).is_file():
            return current
        name = current or "arrows/NorthArrow_02.svg"
        for base in QgsApplication.svgPaths():
            candidate = Path(base) / name
            if candidate.is_file():
                return str(candidate)
        return current
