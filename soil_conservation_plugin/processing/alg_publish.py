"""Publication: the per-county 禁止开垦陡坡地 map with its 公告 table, from a print layout template, as PDF and PNG.

One county (COUNTY = its code) or a batch over every county of the boundary layer.
The layout comes from resources/layouts/county_announcement.qpt (or the user's own
template with the same item ids): title, map, legend, scale bar, north arrow, the
公告 table (patches and area per 乡镇), date and source. Each county's filled layout
is also saved as a .qpt beside its PDF, so staff can adjust it in QGIS.
"""
from __future__ import annotations

import datetime as _dt
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCoordinateTransform,
    QgsFeature,
    QgsFeatureRequest,
    QgsFillSymbol,
    QgsLayoutExporter,
    QgsLayoutItemLabel,
    QgsLayoutItemLegend,
    QgsLayoutItemMap,
    QgsLayoutItemPicture,
    QgsLayoutItemScaleBar,
    QgsLayoutItemTextTable,
    QgsLayoutSize,
    QgsLayoutTableColumn,
    QgsLegendStyle,
    QgsPalLayerSettings,
    QgsPrintLayout,
    QgsProcessing,
    QgsProcessingOutputFile,
    QgsProcessingOutputNumber,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsProject,
    QgsReadWriteContext,
    QgsRectangle,
    QgsSingleSymbolRenderer,
    QgsTextFormat,
    QgsUnitTypes,
    QgsVectorLayer,
    QgsVectorLayerSimpleLabeling,
)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from qgis.PyQt.QtGui import QFont, QImage
from qgis.PyQt.QtXml import QDomDocument

from ..core.errors import InputError
from ..core.io import atomic_path, write_json
from ..core.metadata import run_metadata
from ..core.paths import resources_path
from ..core.publication import check_layout_text, file_stems, fill_title, pdf_complete
from ..qt_compat import font_families
from .base import AlgorithmBase

translate = QCoreApplication.translate  # translate("SoilConservation", ...): the context pylupdate5 and run time share
TEMPLATE = ("layouts", "county_announcement.qpt")
ITEM_IDS = ("title", "subtitle", "map", "legend", "scalebar", "north_arrow", "announcement_table", "date", "source")
TABLE_HEADERS = ("乡镇代码", "乡镇名称", "图斑数(个)", "面积(公顷)")
COLUMN_SHARES = (0.27, 0.29, 0.2, 0.24)
TOTAL = "合计"
OUTSIDE = "乡镇以外"
# fonts with Chinese glyphs, most preferred first (Debian: fonts-wqy-microhei / fonts-noto-cjk; Windows: YaHei, SimHei)
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC")
STEEP_FIELDS = ("cnty_code", "area_ha")


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
        key = (code_text(f["twn_code"]) if "twn_code" in names else "", str(f["twn_name"] or "") if "twn_name" in names else "")
        parent = f["parent_id"] if "parent_id" in names else f.id()
        row = by_twn.setdefault(key, {"parents": set(), "ha": 0.0})
        row["parents"].add(parent)
        row["ha"] += float(f["area_ha"] or 0.0)
        parents_all.add(parent)
        total += float(f["area_ha"] or 0.0)
    # 乡镇 in code order; patches outside every 乡镇 last
    keys = sorted(by_twn, key=lambda k: (k[0] == "" or k[1] == OUTSIDE, k[0], k[1]))
    rows = [[code, name or OUTSIDE, str(len(by_twn[(code, name)]["parents"])), f"{by_twn[(code, name)]['ha']:.2f}"] for code, name in keys]
    rows.append(["", TOTAL, str(len(parents_all)), f"{total:.2f}"])
    return rows, total, len(parents_all)


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
        self.addParameter(QgsProcessingParameterVectorLayer(self.COUNTIES, translate("SoilConservation", "County boundaries (县界)"), poly))
        self.addParameter(QgsProcessingParameterField(self.COUNTY_CODE_FIELD, translate("SoilConservation", "County code field"), "county_code", self.COUNTIES))
        self.addParameter(QgsProcessingParameterField(self.COUNTY_NAME_FIELD, translate("SoilConservation", "County name field"), "county_name", self.COUNTIES, optional=True))
        self.addParameter(QgsProcessingParameterVectorLayer(self.STEEP, translate("SoilConservation", "Steep-slope patches (from 'steep_slope')"), poly))
        self.addParameter(QgsProcessingParameterVectorLayer(self.TOWNSHIPS, translate("SoilConservation", "Townships (乡镇) for the map (optional)"), poly, optional=True))
        self.addParameter(QgsProcessingParameterField(self.TOWNSHIP_NAME_FIELD, translate("SoilConservation", "Township name field (labels)"), None, self.TOWNSHIPS, optional=True))
        self.addParameter(QgsProcessingParameterString(self.COUNTY, translate("SoilConservation", "County code (blank = every county: batch)"), optional=True))
        self.addParameter(QgsProcessingParameterFile(self.TEMPLATE, translate("SoilConservation", "Layout template (.qpt; blank = the plugin's)"), extension="qpt", optional=True))
        self.addParameter(QgsProcessingParameterString(self.TITLE, translate("SoilConservation", "Title ({county_name} and {county_code} are replaced)"), "{county_name}禁止开垦陡坡地分布图", optional=True))
        self.addParameter(QgsProcessingParameterString(self.SOURCE, translate("SoilConservation", "Data source note"), "", optional=True))
        self.addParameter(QgsProcessingParameterString(self.DATE, translate("SoilConservation", "Date (blank = today)"), "", optional=True))
        self.addParameter(QgsProcessingParameterNumber(self.DPI, translate("SoilConservation", "PNG resolution (dpi)"), QgsProcessingParameterNumber.Type.Integer, 150, minValue=50, maxValue=600))
        self.addParameter(QgsProcessingParameterFolderDestination(self.OUTPUT_FOLDER, translate("SoilConservation", "Output folder")))
        self.addOutput(QgsProcessingOutputNumber(self.COUNT, translate("SoilConservation", "Counties published")))
        self.addOutput(QgsProcessingOutputFile(self.INDEX, translate("SoilConservation", "Index of the files (JSON)")))

    def help(self) -> str:
        return translate(
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
            "needs a font with Chinese glyphs (Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei or SimHei)."
        ) + "\n" + translate(
            "SoilConservation",
            "Title: literal text; only {county_name} and {county_code} are replaced, any other brace stays as it is. "
            "Title, source and date must not hold the QGIS expression marker [% (a layout label would evaluate it). "
            "Files are named <county code>_steep_slope_announcement.pdf/.png/.qpt; two county codes that would get the "
            "same file name are refused before any work. Each PDF and PNG is checked (complete PDF, decodable PNG) "
            "before it takes its final name."
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
        template = self.parameterAsFile(parameters, self.TEMPLATE, context) or str(resources_path(*TEMPLATE))
        title = self.parameterAsString(parameters, self.TITLE, context) or "{county_name}禁止开垦陡坡地分布图"
        source = self.parameterAsString(parameters, self.SOURCE, context)
        date = self.parameterAsString(parameters, self.DATE, context) or _dt.date.today().isoformat()
        dpi = self.parameterAsInt(parameters, self.DPI, context)
        out_dir = Path(self.parameterAsString(parameters, self.OUTPUT_FOLDER, context))

        label_c, label_s = translate("SoilConservation", "County boundaries"), translate("SoilConservation", "Steep-slope patches")
        for layer, label in ((counties, label_c), (steep, label_s)):
            if layer is None or not layer.isValid():
                raise InputError(label, "未提供有效的矢量图层", "no valid vector layer was given")
        if code_field not in counties.fields().names():
            raise InputError(label_c, f"缺少代码字段 {code_field}", f"the code field {code_field} is missing")
        if name_field and name_field not in counties.fields().names():
            raise InputError(label_c, f"缺少名称字段 {name_field}", f"the name field {name_field} is missing")
        if townships is not None and twn_name_field and twn_name_field not in townships.fields().names():
            raise InputError(translate("SoilConservation", "Townships"), f"缺少名称字段 {twn_name_field}", f"the name field {twn_name_field} is missing")
        missing = [f for f in STEEP_FIELDS if f not in steep.fields().names()]
        if missing:
            raise InputError(label_s, f"缺少字段 {', '.join(missing)}（应为 steep_slope 的输出）", f"fields {', '.join(missing)} are missing (expected the output of steep_slope)")
        if not Path(template).is_file():
            raise InputError(translate("SoilConservation", "Layout template"), f"找不到模板 {template}", f"template not found: {template}")
        for key, text in ((self.TITLE, title), (self.SOURCE, source), (self.DATE, date)):
            check_layout_text(key, text)
        doc = QDomDocument()
        if not doc.setContent(Path(template).read_text(encoding="utf-8")):
            raise InputError(translate("SoilConservation", "Layout template"), f"模板不是有效的 XML: {template}", f"the template is not valid XML: {template}")

        chosen = []
        for f in counties.getFeatures():
            code = code_text(f[code_field])
            if code and (not only or code == only):
                chosen.append((code, str(f[name_field]) if name_field and f[name_field] not in (None, "NULL") else "", QgsFeature(f)))
        if not chosen:
            raise InputError(label_c, f"没有代码为 {only} 的县" if only else "图层中没有县", f"no county with code {only}" if only else "the layer holds no county")
        chosen.sort(key=lambda c: c[0])
        for code, name, _ in chosen:
            check_layout_text(label_c, f"{code} {name}")
        stems = file_stems([code for code, _, _ in chosen], label_c)  # refuses two codes → one file name

        out_dir.mkdir(parents=True, exist_ok=True)
        index = []
        for i, (code, name, feature) in enumerate(chosen):
            feedback.check()
            feedback.info(f"{code} {name}")
            files = self.publish_county(doc, counties, feature, code, name, steep, townships, twn_name_field, title, source, date, dpi, out_dir, stems[code])
            index.append({"county_code": code, "county_name": name, **files})
            feedback.progress(100.0 * (i + 1) / len(chosen))
        index_path = out_dir / "publication.json"
        write_json(index_path, run_metadata(
            "publish",
            {"counties": counties.source().split("|")[0], "steep": steep.source().split("|")[0], "template": template},
            {"county": only or "all", "title": title, "source": source, "date": date, "dpi": dpi},
            {"counties": index},
        ))
        return {self.OUTPUT_FOLDER: str(out_dir), self.COUNT: len(index), self.INDEX: str(index_path)}

    # --- one county -----------------------------------------------------------------------------
    def publish_county(self, doc, counties, feature, code, name, steep, townships, twn_name_field, title, source, date, dpi, out_dir, stem) -> dict:
        project = QgsProject()  # this county's own: layers and layout never touch the user's project
        font = cjk_font()
        crs = steep.crs() if steep.crs().isValid() else counties.crs()

        county = QgsVectorLayer(f"MultiPolygon?crs={counties.crs().authid() or 'EPSG:4490'}", "县界", "memory")
        if not counties.crs().authid():
            county.setCrs(counties.crs())
        county.dataProvider().addAttributes(counties.fields().toList())
        county.updateFields()
        county.dataProvider().addFeatures([feature])
        county.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple({"color": "0,0,0,0", "outline_color": "0,0,0", "outline_width": "0.8"})))

        patches = QgsVectorLayer(f"MultiPolygon?crs={crs.authid()}", "patches", "memory")
        if not crs.authid():
            patches.setCrs(crs)
        patches.dataProvider().addAttributes(steep.fields().toList())
        patches.updateFields()
        mine = [f for f in steep.getFeatures() if code_text(f["cnty_code"]) == code]
        patches.dataProvider().addFeatures(mine)
        thresholds = sorted({float(f["thresh_deg"]) for f in mine if "thresh_deg" in steep.fields().names() and f["thresh_deg"] is not None})
        threshold = thresholds[0] if len(thresholds) == 1 else None
        patches.setName(f"禁止开垦陡坡地（坡度 ≥ {threshold:g}°）" if threshold is not None else "禁止开垦陡坡地")
        patches.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple({"color": "215,48,39,200", "outline_color": "150,20,20", "outline_width": "0.1"})))

        layers = [patches]
        if townships is not None and townships.isValid():
            twn = townships.clone()
            twn.setName("乡镇界")
            twn.setRenderer(QgsSingleSymbolRenderer(QgsFillSymbol.createSimple({"color": "0,0,0,0", "outline_color": "90,90,90", "outline_width": "0.3", "outline_style": "dash"})))
            if twn_name_field and twn_name_field in twn.fields().names():
                settings = QgsPalLayerSettings()
                settings.fieldName = twn_name_field
                fmt = QgsTextFormat()
                fmt.setFont(QFont(font))
                fmt.setSize(9)
                settings.setFormat(fmt)
                twn.setLabeling(QgsVectorLayerSimpleLabeling(settings))
                twn.setLabelsEnabled(True)
            layers.append(twn)
        layers.append(county)
        project.addMapLayers(layers)
        project.setCrs(crs)

        layout = QgsPrintLayout(project)
        items, ok = layout.loadFromTemplate(doc, QgsReadWriteContext(), True)
        if not ok:
            raise InputError(translate("SoilConservation", "Layout template"), "无法读取布局模板", "the layout template could not be read")
        layout.setName(f"{code} {name}")
        found = {i.id(): i for i in layout.items() if hasattr(i, "id") and callable(i.id)}
        missing = [i for i in ITEM_IDS if i not in found]
        if missing:
            raise InputError(translate("SoilConservation", "Layout template"), f"模板缺少图元: {', '.join(missing)}", f"the template lacks the items: {', '.join(missing)}")
        rows, total, n_patches = announcement_rows(steep, code)
        self._text(found["title"], fill_title(title, name or code, code), font)
        rule = f"坡度阈值 {threshold:g}°" if threshold is not None else "坡度阈值见图斑属性"
        self._text(found["subtitle"], f"{code} {name}　{rule}　图斑 {n_patches} 个，合计 {total:.2f} 公顷", font)
        self._text(found["date"], f"制图日期：{date}", font)
        self._text(found["source"], f"数据来源：{source}" if source else "数据来源：", font)

        extent = QgsCoordinateTransform(county.crs(), crs, project).transformBoundingBox(feature.geometry().boundingBox())
        extent.scale(1.06)
        m = found["map"]
        assert isinstance(m, QgsLayoutItemMap)
        m.setCrs(crs)
        m.setLayers(layers)
        m.setKeepLayerSet(True)
        m.setExtent(fit_aspect(extent, m.rect().width(), m.rect().height()))  # keeps the frame's size
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
            for layer in layers:
                root.addLayer(layer)
            legend.setTitle("图例")
            for style, size in ((QgsLegendStyle.Style.Title, 14), (QgsLegendStyle.Style.SymbolLabel, 10)):
                fmt = QgsTextFormat()
                fmt.setFont(QFont(font))
                fmt.setSize(size)
                if hasattr(legend.rstyle(style), "setTextFormat"):  # QGIS ≥ 3.30
                    legend.rstyle(style).setTextFormat(fmt)
                else:
                    legend.setStyleFont(style, QFont(font, size))
            legend.adjustBoxSize()
        table = next((mf for mf in layout.multiFrames() if isinstance(mf, QgsLayoutItemTextTable)), None)
        if table is None:
            raise InputError(translate("SoilConservation", "Layout template"), "模板缺少公告表(文本表格)", "the template lacks the announcement table (a text table)")
        columns = []
        frame = table.frame(0)
        # the frame shrinks to its old content on loading: give it the width of the column it sits in
        width = found["table_title"].rect().width() if "table_title" in found else frame.rect().width()
        frame.attemptResize(QgsLayoutSize(width, frame.rect().height(), QgsUnitTypes.LayoutUnit.LayoutMillimeters))
        for heading, share in zip(TABLE_HEADERS, COLUMN_SHARES):
            column = QgsLayoutTableColumn(heading)
            column.setWidth(share * width * 0.9)  # leave room for the cell margins
            columns.append(column)
        table.setColumns(columns)
        table.setContents(rows)
        size = 9 if len(rows) <= 18 else max(5, int(9 * 18 / len(rows)))
        for setter in ("setHeaderTextFormat", "setContentTextFormat"):
            fmt = QgsTextFormat()
            f = QFont(font)
            f.setBold(setter == "setHeaderTextFormat")
            fmt.setFont(f)
            fmt.setSize(size)
            getattr(table, setter)(fmt)
        table.refresh()

        pdf, png, qpt = out_dir / f"{stem}.pdf", out_dir / f"{stem}.png", out_dir / f"{stem}.qpt"
        exporter = QgsLayoutExporter(layout)
        label = translate("SoilConservation", "Publication")
        with atomic_path(pdf) as tmp:
            result = exporter.exportToPdf(str(tmp), pdf_settings())
            if result != QgsLayoutExporter.ExportResult.Success or not pdf_complete(tmp):
                raise InputError(label, f"PDF 导出失败或文件不完整 ({result}): {pdf}", f"PDF export failed or the file is incomplete ({result}): {pdf}")
        settings = QgsLayoutExporter.ImageExportSettings()
        settings.dpi = dpi
        with atomic_path(png) as tmp:
            result = exporter.exportToImage(str(tmp), settings)
            if result != QgsLayoutExporter.ExportResult.Success or QImage(str(tmp)).isNull():
                raise InputError(label, f"PNG 导出失败或无法解码 ({result}): {png}", f"PNG export failed or the file cannot be decoded ({result}): {png}")
        with atomic_path(qpt) as tmp:
            if not layout.saveAsTemplate(str(tmp), QgsReadWriteContext()):
                raise InputError(label, f"无法保存布局: {qpt}", f"could not save the layout: {qpt}")
        project.removeAllMapLayers()
        return {"pdf": str(pdf), "png": str(png), "layout": str(qpt), "patches": n_patches, "area_ha": round(total, 2), "table": rows}

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
