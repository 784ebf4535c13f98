<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_Hans">
<context>
    <name>@default</name>
    <message>
        <location filename="../soil_conservation_plugin/plugin.py" line="76"/>
        <source>Soil conservation zoning</source>
        <translation>水土保持区划</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/plugin.py" line="49"/>
        <source>&amp;Soil conservation zoning</source>
        <translation>水土保持重点区域划定(&amp;S)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/provider.py" line="37"/>
        <source>Soil conservation zoning (水土保持)</source>
        <translation>水土保持重点区域划定</translation>
    </message>
</context>
<context>
    <name>ChecksAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="81"/>
        <source>Result layer to check</source>
        <translation>待校核成果图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="82"/>
        <source>Kind of layer</source>
        <translation>图层类型</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="83"/>
        <source>生态保护红线 layer</source>
        <translation>生态保护红线图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="84"/>
        <source>Red-line rule</source>
        <translation>生态保护红线规则</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="85"/>
        <source>County boundary</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="86"/>
        <source>The layer is meant to cover the boundary (no gaps)</source>
        <translation>该图层应完整覆盖边界范围（无缝隙）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="86"/>
        <source>as the kind says (units: yes)</source>
        <translation>按图层类型（小流域：是）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="86"/>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="86"/>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="94"/>
        <source>Code format</source>
        <translation>代码格式</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="95"/>
        <source>Code template, e.g. {county_code}{seq:04d}</source>
        <translation>代码模板，例如 {county_code}{seq:04d}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="96"/>
        <source>Unit of the stored area</source>
        <translation>存储面积的单位</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="96"/>
        <source>as the kind says (patches: ha, units/zones: km²)</source>
        <translation>按图层类型（图斑：ha，小流域/分区：km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="99"/>
        <source>Zone values meaning 预防区 (comma-separated)</source>
        <translation>表示预防区的分区值（逗号分隔）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="100"/>
        <source>Minimum patch (ha, 0 = off)</source>
        <translation>最小图斑面积（ha，0 = 不设）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="101"/>
        <source>Overlap/gap tolerance (m²)</source>
        <translation>重叠/缝隙容差（m²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="102"/>
        <source>Sliver part under (m²)</source>
        <translation>碎片部分面积阈值（小于此值，m²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="103"/>
        <source>Text encoding of shapefiles without .cpg (e.g. GBK)</source>
        <translation>无 .cpg 文件的 Shapefile 文本编码（如 GBK）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="104"/>
        <source>Fail when errors are found (CI / qgis_process)</source>
        <translation>发现错误时失败（CI / qgis_process）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="105"/>
        <source>Issues GeoPackage</source>
        <translation>问题 GeoPackage</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="106"/>
        <source>Summary by rule (CSV)</source>
        <translation>按规则汇总（CSV）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="107"/>
        <source>HTML report</source>
        <translation>HTML 报告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="112"/>
        <source>Checks any result layer (steep-slope patches, small-watershed units, zones) and writes a coded issue list. Each issue has a stable rule id (resources/rules/checks.json), a severity and a zh/en message naming the layer, the feature and the measured value.
Red line (optional layer, e.g. 陆域生态保护红线 from a 三区三线 FileGDB): overlap area and share per feature (RL-001, info; RL-004 for steep-slope patches); with a zone field, features at least 50 % inside whose zone contradicts the rule (RL-002: 'include' = must be 预防区, 'exclude' = must not be; 'flag', the default, only reports) and red-line areas left unzoned (RL-003). The 衔接 rule is not known: a default, not the standard.
Geometry: invalid, empty, sliver parts (&lt; 100 m²), parts under the minimum patch. Topology: overlaps and, for a layer meant to cover, gaps, each as its own polygon (tolerance 1 m²). Boundary: parts outside the county, sum of areas against the county area (0.1 %). Attributes: required fields and types, unique codes and their format, county codes in the 吉林 NBS 2023 list (220381 accepted as the old 220184), stored areas to 0.01 ha. CRS: not CGCS2000 gives a warning; inputs in other CRSs are reprojected and reported.
All areas are geodesic on the layer's ellipsoid. All tolerances are project defaults, not standards.
Outputs: the issues GeoPackage (layer 'issues'; review decisions in table 'review_decisions' are kept when the checks run again), a summary CSV, a self-contained HTML report with overview maps. 'Fail when errors are found' makes qgis_process exit non-zero for CI.</source>
        <translation>校核任意成果图层（陡坡地图斑、小流域、分区），并输出带编码的问题清单。每个问题都有固定的规则 ID（resources/rules/checks.json）、严重程度和中/英文说明，注明图层、要素和实测值。
生态保护红线（可选图层，如三区三线 FileGDB 中的陆域生态保护红线）：每个要素与红线的重叠面积及占比（RL-001，提示；陡坡地图斑为 RL-004）；指定分区字段时，检查至少 50 % 位于红线内、但分区与规则矛盾的要素（RL-002：'include' = 必须为预防区，'exclude' = 必须不是；默认的 'flag' 仅报告），以及未划入分区的红线区域（RL-003）。衔接规则未知：为默认值，非标准规定。
几何：无效几何、空几何、碎片部分（&lt; 100 m²）、小于最小图斑的部分。拓扑：重叠以及（对应全覆盖的图层）缝隙，各自输出为独立的面（容差 1 m²）。边界：超出县界的部分、面积之和与县面积的比较（0.1 %）。属性：必填字段及其类型、代码唯一性及格式、县代码是否在吉林 NBS 2023 代码表中（旧代码 220381 按 220184 接受）、存储面积精确到 0.01 ha。坐标参考系：非 CGCS2000 时给出警告；其他坐标参考系的输入将被重投影并报告。
所有面积均为图层椭球上的大地测量面积。所有容差均为项目默认值，非标准规定。
输出：问题 GeoPackage（图层 'issues'；再次运行校核时保留表 'review_decisions' 中的审核结论）、汇总 CSV、含概览图的独立 HTML 报告。“发现错误时失败”使 qgis_process 以非零状态退出，供 CI 使用。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="156"/>
        <source>Result layer</source>
        <translation>成果图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="158"/>
        <source>生态保护红线</source>
        <translation>生态保护红线</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="159"/>
        <source>County boundary</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="187"/>
        <source>Issues: {e} errors, {w} warnings, {i} infos; {m} review decisions carried over</source>
        <translation>问题：错误 {e} 个，警告 {w} 个，提示 {i} 个；沿用审核结论 {m} 条</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="210"/>
        <source>Check issues</source>
        <translation>校核问题</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="253"/>
        <source>Overview: result layer (grey), red line (green dashes), issues (red error / orange warning / blue info)</source>
        <translation>概览：成果图层（灰色）、生态保护红线（绿色虚线）、问题（红色为错误/橙色为警告/蓝色为提示）</translation>
    </message>
</context>
<context>
    <name>ChecksPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="9"/>
        <source>Red-line and quality checks</source>
        <translation>生态保护红线与质量校核</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="18"/>
        <source>Result layer to check</source>
        <translation>待校核成果图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="31"/>
        <source>Layer kind</source>
        <translation>图层类型</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="46"/>
        <source>Run checks</source>
        <translation>运行校核</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="53"/>
        <source>Open issue file…</source>
        <translation>打开问题文件…</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="65"/>
        <source>Review</source>
        <translation>校核</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="103"/>
        <source>Decision</source>
        <translation>审核结论</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="116"/>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="126"/>
        <source>Why (optional)</source>
        <translation>理由（可选）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="133"/>
        <source>Save decision</source>
        <translation>保存结论</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="156"/>
        <source>Overlay view</source>
        <translation>叠加查看</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="165"/>
        <source>Result layer</source>
        <translation>成果图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="178"/>
        <source>Transparency</source>
        <translation>透明度</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_checks.ui" line="204"/>
        <source>Show with the red line</source>
        <translation>与生态保护红线叠加显示</translation>
    </message>
</context>
<context>
    <name>CsleAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="187"/>
        <source>DEM</source>
        <translation>数字高程模型(DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="164"/>
        <source>{name} factor raster (on the DEM grid)</source>
        <translation>{name} 因子栅格（与 DEM 网格一致）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="165"/>
        <source>{name} factor constant (used without a raster)</source>
        <translation>{name} 因子常数（无栅格时使用）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="167"/>
        <source>Slope length λ (m)</source>
        <translation>坡长 λ（m）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="169"/>
        <source>Slope length raster (m, on the DEM grid)</source>
        <translation>坡长栅格（m，与 DEM 网格一致）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="170"/>
        <source>Erosion modulus t/(km²·a)</source>
        <translation>土壤侵蚀模数 t/(km²·a)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="171"/>
        <source>SL 190 classes (1 微度 … 6 剧烈)</source>
        <translation>SL 190 强度分级（1 微度 … 6 剧烈）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="175"/>
        <source>CSLE A = R·K·L·S·B·E·T (t·hm⁻²·a⁻¹), written ×100 as an erosion modulus in t/(km²·a) and optionally as SL 190-2007 class codes. S from the DEM slope by McCool (θ &lt; 5°: 10.8 sinθ + 0.03; 5–10°: 16.8 sinθ − 0.50) and Liu et al. (θ ≥ 10°: 21.91 sinθ − 0.96); L = (λ/22.13)^m, m 0.2/0.3/0.4/0.5 by slope. These formulas are unverified [M]: configurable defaults in resources/rules/erosion_classes.json, not the standard. The default slope length 20 m is a default (NOT FOUND). CSLE uses T on cropland and B elsewhere: give B = 1 on cropland and T = 1 off it. Factor rasters must lie on the DEM grid (no resampling is done).</source>
        <translation>CSLE A = R·K·L·S·B·E·T（t·hm⁻²·a⁻¹），乘以 100 后写为土壤侵蚀模数 t/(km²·a)，并可选输出 SL 190-2007 强度分级代码。S 由 DEM 坡度计算，采用 McCool 公式（θ &lt; 5°：10.8 sinθ + 0.03；5–10°：16.8 sinθ − 0.50）和 Liu 等的公式（θ ≥ 10°：21.91 sinθ − 0.96）；L = (λ/22.13)^m，m 按坡度取 0.2/0.3/0.4/0.5。这些公式未经核实 [M]：为 resources/rules/erosion_classes.json 中可配置的默认值，非标准规定。默认坡长 20 m 为默认值（未找到(NOT FOUND)）。CSLE 在耕地上使用 T 因子、在其他用地上使用 B 因子：耕地上 B 取 1，非耕地上 T 取 1。因子栅格必须与 DEM 网格一致（不进行重采样）。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="194"/>
        <source>Slope length</source>
        <translation>坡长</translation>
    </message>
</context>
<context>
    <name>DataPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="9"/>
        <source>Rules</source>
        <translation>规则</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="18"/>
        <source>Province rules</source>
        <translation>省级规定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="47"/>
        <source>Terrain and boundaries</source>
        <translation>地形与边界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="56"/>
        <source>DEM</source>
        <translation>数字高程模型(DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="82"/>
        <source>County boundary</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="95"/>
        <source>County code field</source>
        <translation>县代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="108"/>
        <source>County name field</source>
        <translation>县名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="134"/>
        <source>Townships</source>
        <translation>乡镇</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="147"/>
        <source>Township code field</source>
        <translation>乡镇代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="160"/>
        <source>Township name field</source>
        <translation>乡镇名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="189"/>
        <source>Protection and land</source>
        <translation>保护红线与用地</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="198"/>
        <source>Ecological protection red line</source>
        <translation>生态保护红线</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="224"/>
        <source>Farmland</source>
        <translation>耕地(永久基本农田)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="250"/>
        <source>Construction land</source>
        <translation>建设用地</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="276"/>
        <source>Water bodies</source>
        <translation>水域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="305"/>
        <source>Rasters for the indicators</source>
        <translation>指标栅格</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="314"/>
        <source>Land use</source>
        <translation>土地利用</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="340"/>
        <source>Vegetation cover (FVC)</source>
        <translation>植被覆盖度(FVC)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_data.ui" line="366"/>
        <source>Soil erosion</source>
        <translation>土壤侵蚀</translation>
    </message>
</context>
<context>
    <name>DelineateWatershedsAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="128"/>
        <source>DEM</source>
        <translation>数字高程模型(DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="52"/>
        <source>County polygons</source>
        <translation>县界面图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="55"/>
        <source>County code field (empty: adcode / county_code / XZQDM)</source>
        <translation>县代码字段（留空：adcode / county_code / XZQDM）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="56"/>
        <source>County name field (empty: name / county_name / XZQMC)</source>
        <translation>县名称字段（留空：name / county_name / XZQMC）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="66"/>
        <source>Units GeoPackage (layers units, watersheds, outlets)</source>
        <translation>小流域 GeoPackage（图层 units、watersheds、outlets）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="67"/>
        <source>Topology table (unit → downstream)</source>
        <translation>拓扑关系表（小流域 → 下游）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="68"/>
        <source>Unit raster (int32 labels)</source>
        <translation>小流域栅格（int32 标签）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="69"/>
        <source>D8 flow directions used</source>
        <translation>所用 D8 流向</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="72"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="151"/>
        <source>Small watersheds (小流域)</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="152"/>
        <source>Outlets</source>
        <translation>出口点</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="75"/>
        <source>Number of units</source>
        <translation>单元数量（有县界图层时为小流域亚单元数）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="137"/>
        <source>Number of 小流域</source>
        <translation>小流域数量</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="126"/>
        <source>Small watersheds as the water defines them (小流域, with a county layer)</source>
        <translation>按水流划分的小流域（有县界图层时）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="259"/>
        <source>Small watershed sub-units (小流域亚单元)</source>
        <translation>小流域亚单元</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="113"/>
        <source>County polygons</source>
        <translation>县界面图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="78"/>
        <source>Delineates small watersheds (小流域) on a DEM and writes the unit layer the zoning steps use.
Conditioning: pyflwdir fills every depression (priority flood, Wang &amp; Liu 2006) with outlets on the edge of the valid data, tile by tile (256 × 256 cells) on all cores; the tiles are joined exactly (Barnes 2016), so the filled levels equal a whole-DEM fill and a large DEM needs only a tile's working memory for it. D8 is the steepest descent over ground distances on the filled DEM. Upstream areas are true ground km²: on a geographic DEM each cell's area is its exact area on the ellipsoid.
Flat areas: a flat (or a filled depression) has no slope, so each flat cell drains along the shortest cell path across the flat to where it leaves it (its spill point or a lower edge), straight steps before diagonal ones, as GRASS r.watershed does; a flat stretch of the DEM's edge drains out at its first cell. Divides drawn inside plains are therefore not hydrological facts: treat units in flat land as areal divisions. Isolated hills (孤丘) in plains get no divide of their own; they stay inside a unit.
Units: cut at confluences where two streams (upstream area ≥ the stream initiation area) each already drain at least the target minimum; a unit that would exceed the maximum is closed at its largest inflow; county lines play no part (the 小流域 follow the water alone). Units below the minimum join their downstream unit when the sum stays within the maximum. Units smaller than the merge threshold that drain out of the region join a neighbour and keep their own outlet as a further outlet of it: flow directions are never rewritten, the D8 written is the true one. A small unit stays as it is where every such join would exceed the maximum (the area distribution in the log shows it).
Defaults (from resources/rules/unit_coding.json): maximum 50 km² ('一般不超过50 km²' [S]); target minimum 30 km², merge threshold 10 km², stream initiation 1 km² are defaults, not SL 653 (NOT FOUND).
Codes: county code + drainage tree number + Pfafstetter-like basin number, from a template in the rules file: a default, not the SL 653 structure (unknown).
County polygons (optional): the region is the counties' union within the DEM's valid area (without a county layer, the DEM's valid area); the 小流域 are the same as without counties on that region. Each 小流域 is then split along the county lines into 小流域亚单元 (SL 653 [S]): one per county it has cells in, however small, never merged into another 小流域; one 亚单元 for a 小流域 inside one county. A 小流域's county (code prefix) is that of its main outlet. 亚单元 code: the parent's code + part number (1 = the largest), from a template in the rules file: a default, not SL 653 (NOT FOUND).
Outputs: GeoPackage with layers 'units' – the layer the later steps use (indicators, zoning, steep-slope tables, export, all per county): with a county layer the 小流域亚单元, each in ONE county (unit_code, unit_name, down_code, up_codes, area_km2 on the ellipsoid, county_code, county_name, outlet_x, outlet_y at its cell of the largest upstream area, down_code the 亚单元 that cell drains into; parent_code, parent_name, subunit_part); without one the 小流域 themselves; 'watersheds' (with a county layer only) – the 小流域 as the water defines them (the same fields, outlet of the main outlet, unit_kind: complete / interbasin / boundary, outlet_count, county_codes and county_names it touches, subunit_count; area = the sum of its 亚单元); 'outlets' (every outlet of the 小流域, outlet_rank 1 = main, its D8 upstream area). Topology CSV and int32 unit raster with a .codes.csv label table: of the 'units' layer (the 小流域's raster is written beside it as &lt;name&gt;.watersheds.tif); optional D8 raster; run metadata JSON. Polygons follow cell edges (and county lines) and are not simplified, so neighbours share their edges exactly.</source>
        <translation>基于 DEM 划分小流域，并写出分区各步骤使用的小流域图层。
地形预处理：pyflwdir 填平所有洼地（优先淹没法，Wang &amp;amp; Liu 2006），出口位于有效数据边缘；按 256 × 256 像元分块在所有 CPU 核上并行计算，各块按 Barnes 2016 的方法精确拼接，因此填洼高程与整幅 DEM 一次填洼完全相同，大范围 DEM 填洼只需一个分块的工作内存。D8 流向为填洼后 DEM 上按地面距离计算的最陡下降方向。上游汇水面积为真实地面面积（km²）：地理坐标 DEM 上每个像元的面积取其在椭球面上的精确面积。
平坦区域：平地（或填平的洼地）没有坡度，因此每个平地像元沿穿越该平地的最短像元路径流向其流出处（溢出点或更低的边缘），与 GRASS r.watershed 相同，先走正向步、后走对角步；DEM 边缘上的一段平地从其第一个像元流出。因此在平原内划出的分水线并非水文事实：平地中的小流域应视为面积划分单元。平原中的孤丘不单独形成分水线，仍位于某个小流域内。
小流域：在两条河道（上游汇水面积 ≥ 河道起始汇水面积）各自已至少达到目标最小面积的汇流点处切分；将超过最大面积的小流域在其最大入流处截断；县界不参与切分（小流域只依水流划分）。小于最小面积的小流域在合计面积不超过最大面积时并入其下游小流域。小于合并阈值且流出区域的小流域并入相邻的小流域，其自身出口保留为合并后小流域的另一个出口：流向从不改写，写出的 D8 即为真实流向。若每种合并都会超过最大面积，该小流域保持不变（日志中的面积分布会显示它）。
默认值（取自 resources/rules/unit_coding.json）：最大 50 km²（'一般不超过50 km²' [S]）；目标最小面积 30 km²、合并阈值 10 km²、河道起始汇水面积 1 km² 为默认值，非 SL 653 规定（未找到(NOT FOUND)）。
编码：县代码 + 水系树编号 + 类 Pfafstetter 流域编号，按规则文件中的模板生成：为默认值，非 SL 653 规定的编码结构（未知）。
县界面图层（可选）：区域为各县并集与 DEM 有效数据范围的交集（无县界图层时为 DEM 的有效数据范围）；小流域与该区域上不用县界划分的结果相同。随后每个小流域沿县界分割为小流域亚单元（SL 653 [S]）：所涉及的每个县一个，无论多小，从不并入其他小流域；位于一个县内的小流域只有一个亚单元。小流域的县（编码前缀）取其主出口所在的县。亚单元编码：上级小流域编码 + 部分序号（1 为面积最大者），按规则文件中的模板生成：为默认值，非 SL 653 规定（未找到(NOT FOUND)）。
输出：GeoPackage，含图层 'units'——后续各步骤（指标、分区、陡坡地表、导出，均按县）使用的图层：有县界图层时为小流域亚单元，每个要素只属于一个县（unit_code、unit_name、down_code、up_codes、按椭球计算的 area_km2、county_code、county_name、位于上游汇水面积最大像元处的 outlet_x、outlet_y，down_code 为该像元流入的亚单元；parent_code、parent_name、subunit_part）；无县界图层时即为小流域本身；'watersheds'（仅有县界图层时）——按水流划分的小流域（相同字段，主出口，unit_kind：complete 完整小流域 / interbasin 区间小流域 / boundary 沿边出境，outlet_count 出口数，所涉及县的 county_codes 与 county_names，subunit_count 亚单元数；面积为其各亚单元之和）；'outlets'（小流域的全部出口，outlet_rank 1 为主出口，及其 D8 上游汇水面积）。拓扑关系 CSV 与 int32 单元栅格及 .codes.csv 标签表：均对应 'units' 图层（小流域栅格另写在其旁，名为 &lt;名称&gt;.watersheds.tif）；可选的 D8 栅格；运行元数据 JSON。面沿像元边界（及县界）生成且不做简化，因此相邻单元的公共边完全一致。</translation>
    </message>
</context>
<context>
    <name>DisturbanceCheckAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="74"/>
        <source>Land use: 三调 地类图斑 or a land-use raster</source>
        <translation>土地利用：三调地类图斑或土地利用栅格</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="187"/>
        <source>Last year&apos;s checked patches</source>
        <translation>上年已核查图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="91"/>
        <source>Text encoding of shapefiles without .cpg (e.g. GBK)</source>
        <translation>无 .cpg 的 Shapefile 的文本编码（如 GBK）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="176"/>
        <source>Checked patches GeoPackage (statuses kept)</source>
        <translation>图斑核查结果 GeoPackage（保留销号状态）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="101"/>
        <source>核查清单 folder</source>
        <translation>核查清单文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="224"/>
        <source>Checked patches</source>
        <translation>已核查扰动图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="112"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="113"/>
        <source>HTML report</source>
        <translation>HTML 报告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="115"/>
        <source>For each 疑似违法违规扰动图斑 issued by the ministry or the province: its county, 乡镇 and 小流域 (the one holding the largest part, with that share); the area and share of the patch inside 禁止开垦陡坡地 (the steep-slope output), 重点预防区, 重点治理区, 水土流失严重 and 生态脆弱区域 (the zoning output's layer 'zones', field zone_id) and the 生态保护红线; the land use under it (三调 地类图斑 with DLBM, or a raster of GB/T 21010 codes: cells whose centre lies in the patch); a risk class from the rule file, with the rule that fired and an audit of every rule (values, thresholds, conditions that could not be evaluated).
All areas are ellipsoidal (pyproj Geod on the patch layer's ellipsoid), in 公顷 to 0.01.
Field mapping: field names vary by year and issuer; resources/rules/disturbance_fields.json lists candidate names for 图斑编号 (required), 扰动面积, 扰动类型, 项目名称, 建设单位, 批复情况 and 下发年度. The official schema was NOT FOUND: the names are defaults. Copy the file, add your names, give it as 'Own field-mapping file'.
Risk rules: resources/rules/disturbance_risk.json (e.g. in 禁止开垦陡坡地 and cultivated → 疑似陡坡开垦; in the 生态保护红线 → 重点核查; in a 重点预防区 without approval → 重点核查). Every rule and threshold is a default, not the standard.
Last year's patches (optional, e.g. last year's output): each patch is marked new, same place (overlap of at least half of the smaller patch, a default) or closed last year (已销号); the counts per county are reported.
Refused before any work: a missing 图斑编号 field, empty or repeated 图斑编号, empty, non-polygon or invalid geometries, no CRS or Web Mercator.
Outputs: the GeoPackage (layer disturbance_patches; polygon layer disturbance_status, one feature per patch whose status was set, so empty after a first check, its geometry matching the status to its patch in a re-issued layer, with the 销号 status 待核查 → 已核查 (合规/违规) → 整改中 → 已销号, dates and comments, kept when the check runs again into the same file; table disturbance_status_log); the 核查清单 folder: per county an XLSX and a CSV (Chinese headers, ordered by risk, 合计 row equal to the layer's sums), a summary per county, and 核查报告.html (output REPORT: per county a figure of patches and area by risk class and by zone kind, inline SVG, with the 核查清单's numbers); run metadata JSON citing the rule files and their versions.</source>
        <translation>对部或省下发的每个疑似违法违规扰动图斑：所在县、乡镇和小流域（取占图斑面积最大者，并给出该占比）；图斑位于禁止开垦陡坡地（陡坡地成果）、重点预防区、重点治理区、水土流失严重区域和生态脆弱区域（区划成果的 &apos;zones&apos; 图层，字段 zone_id）以及生态保护红线内的面积和占比；图斑下的土地利用（带 DLBM 的三调地类图斑，或 GB/T 21010 代码栅格：像元中心落在图斑内的像元）；按规则文件判定的风险等级，记录触发的规则及每条规则的判定依据（数值、阈值、无法判定的条件）。
所有面积均为椭球面积（pyproj Geod，图斑图层自身的椭球），单位公顷，保留两位小数。
字段映射：字段名随年度和下发单位而变；resources/rules/disturbance_fields.json 列出图斑编号（必需）、扰动面积、扰动类型、项目名称、建设单位、批复情况和下发年度的候选字段名。未找到官方字段结构：这些名称均为默认值。复制该文件，加入你的字段名，作为“自定义字段映射文件”给出。
风险规则：resources/rules/disturbance_risk.json（例如：位于禁止开垦陡坡地且为耕地 → 疑似陡坡开垦；位于生态保护红线内 → 重点核查；位于重点预防区且无批复 → 重点核查）。所有规则和阈值均为默认值，不是标准。
上年图斑（可选，例如上年的输出）：每个图斑标为新增、同位置（重叠至少为较小图斑的一半，默认值）或上年已销号；按县统计数量。
开始计算前即拒绝：缺少图斑编号字段、图斑编号为空或重复、几何为空、不是面或无效、没有坐标系或为 Web 墨卡托。
输出：GeoPackage（图层 disturbance_patches；面图层 disturbance_status，每个已设置状态的图斑一个要素（首次核查后为空；其几何用于在重新下发的图层中将状态对应到图斑），记录销号状态 待核查 → 已核查（合规/违规）→ 整改中 → 已销号、日期和备注，再次运行写入同一文件时保留；表 disturbance_status_log）；核查清单文件夹：每县一个 XLSX 和一个 CSV（中文表头，按风险排序，合计行等于图层之和）、按县汇总表，以及 核查报告.html（输出 REPORT：每县一幅按风险等级和按区域类型统计图斑数与面积的图，内嵌 SVG，数值与核查清单一致）；运行元数据 JSON，注明所用规则文件及其版本。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="193"/>
        <source>Land use</source>
        <translation>土地利用</translation>
    </message>
</context>
<context>
    <name>DisturbanceStatusAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="266"/>
        <source>Checked patches GeoPackage (statuses kept)</source>
        <translation>图斑核查结果 GeoPackage（保留销号状态）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="271"/>
        <source>图斑编号</source>
        <translation>图斑编号（必填）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="272"/>
        <source>下发年度 (when the id repeats)</source>
        <translation>下发年度（图斑编号重复时填写）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="275"/>
        <source>New status</source>
        <translation>新状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="280"/>
        <source>Verdict (with 已核查)</source>
        <translation>核查结论（已核查时填写）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="288"/>
        <source>Date (YYYY-MM-DD, blank = today)</source>
        <translation>日期（YYYY-MM-DD，留空为今天）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="291"/>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="292"/>
        <source>Reviewer</source>
        <translation>核查人</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="293"/>
        <source>Status now</source>
        <translation>当前状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="296"/>
        <source>Sets the 销号 status of one patch in the GeoPackage written by 'Disturbance patches against the zones': 待核查 → 已核查 (合规 or 违规) → 整改中 → 已销号. A 合规 patch may be closed right after the check, a 违规 one only after 整改中; going back to 待核查 needs a comment. The patch layer, the status table and the log are rewritten together; the status stays when the check runs again into the same file. The 核查清单 shows it from the next run of the check.</source>
        <translation>在“扰动图斑核查”写出的 GeoPackage 中设置一个图斑的销号状态：待核查 → 已核查（合规 或 违规）→ 整改中 → 已销号。合规图斑核查后即可销号，违规图斑须先经整改中；退回待核查须写明备注。图斑图层、状态表和日志一并重写；再次运行核查写入同一文件时状态保留。核查清单在下次运行核查时显示该状态。</translation>
    </message>
</context>
<context>
    <name>ExportAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="57"/>
        <source>Steep-slope patches (禁止开垦陡坡地图斑)</source>
        <translation>禁止开垦陡坡地图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="58"/>
        <source>Small-watershed units (小流域)</source>
        <translation>小流域单元</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="59"/>
        <source>Zones (split by zone_type into the four zone layers)</source>
        <translation>分区（按 zone_type 拆分为四个分区图层）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="60"/>
        <source>Red-line check issues (红线校核问题)</source>
        <translation>红线校核问题</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="62"/>
        <source>Checked disturbance patches (扰动图斑核查, layer disturbance_patches)</source>
        <translation>已核查的扰动图斑（扰动图斑核查，图层 disturbance_patches）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="63"/>
        <source>County roll-up (县级统计, rollup layer county)</source>
        <translation>县级汇总（县级统计，汇总输出的 county 图层）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="61"/>
        <source>Area tables to include (CSV; computed from the patches when empty)</source>
        <translation>要包含的面积统计表（CSV；留空时由图斑计算）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="62"/>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="63"/>
        <source>Shapefile encoding</source>
        <translation>Shapefile 编码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="64"/>
        <source>Target CRS (empty: the schema&apos;s, EPSG:4490)</source>
        <translation>目标坐标参考系（留空：采用结构定义中的 EPSG:4490）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="65"/>
        <source>Export schema file (empty: bundled onemap schema)</source>
        <translation>导出结构定义文件（留空：插件自带的一张图结构定义）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="66"/>
        <source>Repair invalid geometries (and report them)</source>
        <translation>修复无效几何（并报告）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="67"/>
        <source>Partial export: write valid records and an error list</source>
        <translation>部分导出：写出有效记录及错误清单</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="68"/>
        <source>Also write a zip of the package</source>
        <translation>同时输出成果包的 zip 压缩文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="69"/>
        <source>Replace an existing package folder</source>
        <translation>替换已有的成果包文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="70"/>
        <source>Title (metadata)</source>
        <translation>标题（元数据）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="71"/>
        <source>Producer (metadata)</source>
        <translation>生产单位（元数据）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="72"/>
        <source>Package folder</source>
        <translation>成果包文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="73"/>
        <source>Manifest</source>
        <translation>文件清单</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="74"/>
        <source>Zip file</source>
        <translation>zip 压缩文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="75"/>
        <source>Features exported</source>
        <translation>已导出要素数</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="78"/>
        <source>Writes one package folder for 上图入库: the data layers, the per-county/township area tables, fields.csv (field names and Chinese aliases), metadata.xml (GB/T 19710 core elements, with the schema and rule versions and the run parameters in the lineage) and manifest.json (SHA-256 and feature counts per file).
Layers and fields come from the versioned schema file resources/schemas/onemap_v*.json. The official One-Map schema was NOT FOUND: every name, type and code list there is a plugin default, not the standard, and is cited as such in the metadata.
Inputs: the plugin's steep-slope patches, small-watershed units, zones (one layer; each feature goes to the layer(s) named by its zone_type: give the per-unit layer units of the zoning GeoPackage, as the dock's chain does, not its layer zones, which holds one dissolved feature per zone type) and red-line check issues; from schema 0.2 (the default) also the checked disturbance patches (the GeoPackage of 'Disturbance patches against the zones', layer disturbance_patches: areas to 0.01 ha as in the 核查清单, risk class and 销号 status and dates) and the county layer of the roll-up (layer county of its GeoPackage, exported with the county geometry: land, erosion-class, 水土流失 and zone areas, 水土保持率). Give any subset; without the last two the package is as before. Schema 0.1 (resources/schemas/onemap_v0.1.json) can still be chosen as the schema file; it has neither of the two new layers.
Format: GeoPackage (UTF-8; aliases in gpkg_data_columns), Shapefile with a .cpg (GBK by default, UTF-8 on request; every text is checked to be encodable, aliases in fields.csv) or File Geodatabase (GDAL ≥ 3.6).
Target CRS: EPSG:4490 (default); the CGCS2000 Gauss-Krüger zones of 吉林 (EPSG:4529-4532, 4550-4553) on request. Coordinates are rounded to the schema's precision, rings wound counter-clockwise, areas recomputed on the ellipsoid.
Every record is validated first; if any fails, nothing is written (all problems are listed), unless Partial export is on. The package is written to a temporary folder and renamed into place at the end: a cancel or a failure leaves the target as it was.</source>
        <translation>为上图入库写出一个成果包文件夹：数据图层、分县/分乡镇面积统计表、fields.csv（字段名及中文别名）、metadata.xml（GB/T 19710 核心元素，数据志中记录结构定义和规则版本以及运行参数）和 manifest.json（每个文件的 SHA-256 和要素数）。
图层和字段取自带版本号的结构定义文件 resources/schemas/onemap_v*.json。官方全国水利一张图数据结构未找到(NOT FOUND)：其中所有名称、类型和代码表均为插件默认值，非标准规定，并在元数据中如实注明。
输入：插件生成的陡坡地图斑、小流域单元、分区（一个图层；每个要素按其 zone_type 写入对应的图层：请提供分区输出 GeoPackage 中逐小流域的 units 图层（面板的一键流程即如此），而不是其 zones 图层，后者每个分区类型只有一个融合后的要素）和红线校核问题；自结构定义 0.2（默认）起还可输入已核查的扰动图斑（“扰动图斑核查”输出的 GeoPackage，图层 disturbance_patches：面积精确到 0.01 公顷，与核查清单一致，以及风险等级、销号状态和日期）和汇总的县级图层（汇总输出 GeoPackage 的 county 图层，连同县域几何导出：土地、各侵蚀强度、水土流失和各分区面积及水土保持率）。可提供其中任意子集；不提供后两者时成果包与以前相同。仍可选择结构定义 0.1（resources/schemas/onemap_v0.1.json）作为结构定义文件，其中没有这两个新图层。
格式：GeoPackage（UTF-8；别名写入 gpkg_data_columns）、带 .cpg 的 Shapefile（默认 GBK，可选 UTF-8；检查所有文本均可编码，别名写入 fields.csv）或 File Geodatabase（GDAL ≥ 3.6）。
目标坐标参考系：EPSG:4490（默认）；可选吉林所在的 CGCS2000 高斯-克吕格投影带（EPSG:4529-4532、4550-4553）。坐标按结构定义的精度取舍，多边形环按逆时针方向排列，面积在椭球面上重新计算。
所有记录先经校验；只要有一条未通过，就不写出任何内容（列出全部问题），除非开启部分导出。成果包先写入临时文件夹，最后重命名到目标位置：取消或失败时目标保持原样。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="101"/>
        <source>Steep-slope patches</source>
        <translation>陡坡地图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="101"/>
        <source>Small-watershed units</source>
        <translation>小流域单元</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="101"/>
        <source>Zones</source>
        <translation>分区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="101"/>
        <source>Issues</source>
        <translation>问题</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="101"/>
        <source>Checked disturbance patches</source>
        <translation>已核查的扰动图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="101"/>
        <source>County roll-up</source>
        <translation>县级汇总</translation>
    </message>
</context>
<context>
    <name>ImportUnitsAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="141"/>
        <source>Official small-watershed layer</source>
        <translation>官方小流域图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="57"/>
        <source>Code field</source>
        <translation>代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="58"/>
        <source>Name field</source>
        <translation>名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="59"/>
        <source>Downstream code field</source>
        <translation>下游代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="60"/>
        <source>County polygons (coverage check)</source>
        <translation>县界面图层（覆盖检查）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="63"/>
        <source>County code field</source>
        <translation>县代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="64"/>
        <source>County name field</source>
        <translation>县名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="65"/>
        <source>Target minimum unit area (km²)</source>
        <translation>小流域目标最小面积（km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="67"/>
        <source>Maximum unit area (km²)</source>
        <translation>小流域最大面积（km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="69"/>
        <source>Code format (regular expression)</source>
        <translation>代码格式（正则表达式）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="70"/>
        <source>Fail when errors are found (after writing the report)</source>
        <translation>发现错误时失败（写出报告后）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="71"/>
        <source>Units GeoPackage (layers units, outlets, issues)</source>
        <translation>小流域 GeoPackage（图层 units、outlets、issues）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="72"/>
        <source>Validation report</source>
        <translation>检查报告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="73"/>
        <source>Topology table (unit → downstream)</source>
        <translation>拓扑关系表（小流域 → 下游）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="74"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="136"/>
        <source>Small watersheds (小流域)</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="139"/>
        <source>Validation issues</source>
        <translation>检查问题</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="77"/>
        <source>Errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="78"/>
        <source>Warnings</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="81"/>
        <source>Checks an existing 小流域 layer (e.g. the national 小流域划分成果) and writes it as the unit layer the zoning steps use (fields unit_code, unit_name, down_code, up_codes, area_km2, county_code, county_name, outlet_x, outlet_y).
Map the code field, and the name and downstream-code fields where the layer has them.
Checks: geometry validity (invalid ones are repaired and reported), empty geometries, missing, duplicate (renamed code_2, …) and badly formatted codes, area range, overlaps, gaps and coverage of the county polygons (or holes in the layer without them), units crossing a county line (SL 653 splits them into 小流域亚单元 [S]), and with a downstream field: unknown codes, self-loops, cycles, non-adjacent downstream units.
Areas are on the ellipsoid. Defaults (rules file unit_coding.json): maximum 50 km² ('一般不超过50 km²' [S]); target minimum 30 km² and the code format are defaults, not SL 653 (NOT FOUND).
Outlets: an imported layer has no DEM, so a unit's outlet is the midpoint of the edge it shares with its downstream unit, and empty where there is none.
Outputs: the report CSV and an 'issues' polygon layer; 'units' and 'outlets' layers; topology CSV; run metadata. With 'Fail when errors are found' the run stops with an error after writing the report.</source>
        <translation>检查现有小流域图层（如全国小流域划分成果），并写出为分区各步骤使用的小流域图层（字段 unit_code、unit_name、down_code、up_codes、area_km2、county_code、county_name、outlet_x、outlet_y）。
请指定代码字段；图层有名称字段和下游代码字段时一并指定。
检查内容：几何有效性（无效几何将被修复并报告）、空几何，代码缺失、重复（重命名为 code_2, …）和格式错误，面积范围，重叠、缝隙及对县界面的覆盖（无县界时检查图层内部的空洞），跨县界的小流域（SL 653 将其分为小流域亚单元 [S]）；有下游字段时还检查：未知代码、自环、环路、不相邻的下游小流域。
面积按椭球面计算。默认值（规则文件 unit_coding.json）：最大 50 km²（'一般不超过50 km²' [S]）；目标最小面积 30 km² 和代码格式为默认值，非 SL 653 规定（未找到(NOT FOUND)）。
出口点：导入的图层没有 DEM，因此小流域的出口点取其与下游小流域公共边的中点，无下游小流域时为空。
输出：检查报告 CSV 和 'issues' 面图层；'units' 和 'outlets' 图层；拓扑关系 CSV；运行元数据。勾选“发现错误时失败”时，写出报告后运行将以错误终止。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="104"/>
        <source>County polygons</source>
        <translation>县界面图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="133"/>
        <source>{e} errors, {w} warnings; report: {r}</source>
        <translation>错误 {e} 个，警告 {w} 个；报告：{r}</translation>
    </message>
</context>
<context>
    <name>PublishPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="9"/>
        <source>National water One Map package (全国水利一张图)</source>
        <translation>全国水利一张图成果包</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="18"/>
        <source>Small watersheds</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="31"/>
        <source>Zones</source>
        <translation>分区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="76"/>
        <source>Steep-slope patches</source>
        <translation>陡坡地图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="57"/>
        <source>Export package</source>
        <translation>导出成果包</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="67"/>
        <source>Publication (公告)</source>
        <translation>公告发布</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="89"/>
        <source>County</source>
        <translation>县(市、区)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="102"/>
        <source>Data source</source>
        <translation>数据来源</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="117"/>
        <source>Publish this county</source>
        <translation>发布本县</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_publish.ui" line="124"/>
        <source>Publish all counties</source>
        <translation>发布全部县</translation>
    </message>
</context>
<context>
    <name>SlopeAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="37"/>
        <source>DEM</source>
        <translation>数字高程模型(DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="21"/>
        <source>Slope (degrees)</source>
        <translation>坡度 (度)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="24"/>
        <source>Slope in degrees by Horn's method (as gdaldem slope), always in true ground units.
DEM: projected in metres (e.g. CGCS2000 Gauss-Krüger EPSG:4530) or geographic (EPSG:4490/4326); on a geographic DEM each row uses its own ellipsoidal cell size, so no z-factor is needed. A DEM in Web Mercator or with no CRS is refused.
NoData rule: a cell gets a slope only when its whole 3×3 window is valid; raster edges and cells next to NoData are NoData, as in gdaldem without -compute_edges.
The DEM is processed in row bands, so memory stays bounded for any size.</source>
        <translation>按 Horn 方法（与 gdaldem slope 相同）计算坡度（度），始终采用真实地面单位。
DEM：以米为单位的投影坐标（如 CGCS2000 高斯-克吕格 EPSG:4530）或地理坐标（EPSG:4490/4326）；地理坐标 DEM 的每一行使用其椭球面上的实际像元尺寸，无需 z 因子。Web 墨卡托或无坐标系的 DEM 将被拒绝。
无数据规则：仅当 3×3 窗口全部有效时像元才有坡度；栅格边缘及与无数据相邻的像元为无数据，与 gdaldem 不加 -compute_edges 时一致。
DEM 按行带分块处理，任意大小下内存占用均有上限。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="38"/>
        <source>Slope: {n} valid cells, min {lo:.2f}°, mean {mean:.2f}°, max {hi:.2f}°</source>
        <translation>坡度：有效像元 {n} 个，最小 {lo:.2f}°，平均 {mean:.2f}°，最大 {hi:.2f}°</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="44"/>
        <source>Slope (°)</source>
        <translation>坡度 (°)</translation>
    </message>
</context>
<context>
    <name>SoilConservation</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="12"/>
        <source>Slope (degrees, ground units)</source>
        <translation>坡度 (度，真实地面单位)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="13"/>
        <source>Terrain</source>
        <translation>地形</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="29"/>
        <source>Soil conservation zoning</source>
        <translation>水土保持区划</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="172"/>
        <source>Another run is in progress; wait for it or cancel it.</source>
        <translation>另一项运行正在进行，请等待其完成或取消。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="569"/>
        <source>The algorithm {name} is not available.</source>
        <translation>算法 {name} 不可用。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="160"/>
        <source>Missing input: {names}</source>
        <translation>缺少输入：{names}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="179"/>
        <source>Run all steps</source>
        <translation>运行全部步骤</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="183"/>
        <source>All steps</source>
        <translation>全部步骤</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="202"/>
        <source>Running: {title} …</source>
        <translation>正在运行：{title} …</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="211"/>
        <source>Cancelling …</source>
        <translation>正在取消 …</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="224"/>
        <source>Cancelled; nothing was written.</source>
        <translation>已取消，未写入任何结果。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="227"/>
        <source>The run failed.</source>
        <translation>运行失败。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="228"/>
        <source>Failed: {title}</source>
        <translation>失败：{title}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="232"/>
        <source>Done: {title} → {path}</source>
        <translation>完成：{title} → {path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="257"/>
        <source>All steps done; results in {path}</source>
        <translation>全部步骤已完成，结果位于 {path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="86"/>
        <source>1 Data</source>
        <translation>1 数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="113"/>
        <source>Auto: from the county codes</source>
        <translation>自动：按县级行政区划代码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="116"/>
        <source>National rule ({v:g}°)</source>
        <translation>国家规定（{v:g}°）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="145"/>
        <source>county code</source>
        <translation>县代码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="148"/>
        <source>township code</source>
        <translation>乡镇代码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="148"/>
        <source>township name</source>
        <translation>乡镇名称</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="170"/>
        <source>Steep-slope threshold {v:g}° – {scope}</source>
        <translation>陡坡地坡度阈值 {v:g}° – {scope}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="206"/>
        <source>2 Small watersheds</source>
        <translation>2 小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="235"/>
        <source>unit code</source>
        <translation>小流域代码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="246"/>
        <source>Choose the official unit layer.</source>
        <translation>请选择官方小流域图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="249"/>
        <source>Import small watersheds</source>
        <translation>导入小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="29"/>
        <source>Small watersheds (小流域)</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="285"/>
        <source>Outlets</source>
        <translation>出口点</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="290"/>
        <source>Validation issues</source>
        <translation>检查问题</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="295"/>
        <source>{n} small watersheds in {path}</source>
        <translation>{n} 个小流域，位于 {path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="297"/>
        <source>Validation: {e} errors, {w} warnings.</source>
        <translation>检查：错误 {e} 个，警告 {w} 个。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="304"/>
        <source>3 Steep slopes</source>
        <translation>3 禁止开垦陡坡地</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="309"/>
        <source>8 neighbours</source>
        <translation>8 邻域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="310"/>
        <source>4 neighbours</source>
        <translation>4 邻域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="313"/>
        <source>{v:g} ha is a default, not a national rule; 0 means no minimum.</source>
        <translation>{v:g} 公顷为默认值，并非国家规定；0 表示不设最小面积。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="336"/>
        <source>From the rules of {scope}: {source} [{tag}]</source>
        <translation>取自 {scope} 的规定：{source} [{tag}]</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="338"/>
        <source>Set by the user (the rules of {scope} say {v:g}°).</source>
        <translation>由用户设定（{scope} 的规定为 {v:g}°）。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="375"/>
        <source>No-reclamation steep slopes ≥ {t:g}°</source>
        <translation>禁止开垦陡坡地（坡度 ≥ {t:g}°）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="386"/>
        <source>{n} patches, {ha} ha; tables in {path}</source>
        <translation>图斑 {n} 个，{ha} 公顷；统计表位于 {path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="396"/>
        <source>4 Zoning</source>
        <translation>4 重点防治区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="401"/>
        <source>Rule files (*.json *.yaml *.yml)</source>
        <translation>规则文件 (*.json *.yaml *.yml)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="445"/>
        <source>Choose a rule file first.</source>
        <translation>请先选择规则文件。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="459"/>
        <source>Run or import the small watersheds first (page 2).</source>
        <translation>请先划分或导入小流域（第 2 页）。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="462"/>
        <source>Indicators</source>
        <translation>指标计算</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="480"/>
        <source>Zoning</source>
        <translation>重点防治区划定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="493"/>
        <source>Zoned small watersheds</source>
        <translation>小流域划定结果</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="498"/>
        <source>Zones per county</source>
        <translation>各县分区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="504"/>
        <source>Key prevention</source>
        <translation>重点预防区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="504"/>
        <source>Key treatment</source>
        <translation>重点治理区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="504"/>
        <source>Severe soil loss</source>
        <translation>水土流失严重区域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="504"/>
        <source>Ecologically fragile</source>
        <translation>生态脆弱区域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="515"/>
        <source>Unit code</source>
        <translation>小流域代码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="515"/>
        <source>Unit name</source>
        <translation>小流域名称</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="515"/>
        <source>Indicators that fired</source>
        <translation>满足的指标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="537"/>
        <source>{n} units</source>
        <translation>{n} 个小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="543"/>
        <source>6 Export and publish</source>
        <translation>6 导出与发布</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="557"/>
        <source>e.g. county water resources bureau, 2025 survey</source>
        <translation>例如：县水利局，2025 年调查</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="593"/>
        <source>Export package written to {path} ({n} features)</source>
        <translation>成果包已写入 {path}（{n} 个要素）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="614"/>
        <source>Choose a county.</source>
        <translation>请选择县(市、区)。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="399"/>
        <source>Publication</source>
        <translation>成果发布</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="624"/>
        <source>{n} county maps (PDF and PNG) written to {path}</source>
        <translation>{n} 个县的图件（PDF 和 PNG）已写入 {path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="33"/>
        <source>the layer has no CRS</source>
        <translation>图层没有坐标参考系</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="35"/>
        <source>the layer is in Web Mercator; reproject it to CGCS2000</source>
        <translation>图层为 Web 墨卡托投影，请重投影到 CGCS2000</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="59"/>
        <source>could not compare with the county boundary</source>
        <translation>无法与县界比较</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="62"/>
        <source>it does not overlap the county boundary</source>
        <translation>与县界不重叠</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="64"/>
        <source>it covers only part of the county boundary</source>
        <translation>仅覆盖县界的一部分</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="70"/>
        <source>Choose a raster layer.</source>
        <translation>请选择栅格图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="87"/>
        <source>Not used.</source>
        <translation>未使用。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="72"/>
        <source>The layer is not a valid raster.</source>
        <translation>该图层不是有效的栅格。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="77"/>
        <source>The raster must be a local file (GDAL).</source>
        <translation>栅格必须是本地文件（GDAL）。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="79"/>
        <source>{crs}, {w}×{h} cells</source>
        <translation>{crs}，{w}×{h} 个像元</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="87"/>
        <source>Choose a polygon layer.</source>
        <translation>请选择面图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="89"/>
        <source>The layer is not a valid vector layer.</source>
        <translation>该图层不是有效的矢量图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="91"/>
        <source>The layer must have polygons.</source>
        <translation>图层必须为面要素。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="97"/>
        <source>The layer has no features.</source>
        <translation>图层没有要素。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="101"/>
        <source>Choose the {role} field.</source>
        <translation>请选择{role}字段。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="103"/>
        <source>Field {field} is missing.</source>
        <translation>缺少字段 {field}。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="104"/>
        <source>{crs}, {n} features</source>
        <translation>{crs}，{n} 个要素</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="110"/>
        <source>Field {field} is empty.</source>
        <translation>字段 {field} 为空。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/readiness.py" line="112"/>
        <source>{text}; codes that are not 6-digit county codes, e.g. {code}</source>
        <translation>{text}；存在非 6 位县级代码，例如 {code}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="32"/>
        <source>Any polygon layer</source>
        <translation>任意面图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="215"/>
        <source>Steep-slope patches</source>
        <translation>陡坡地图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="34"/>
        <source>Small watersheds</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="35"/>
        <source>Zones</source>
        <translation>分区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="38"/>
        <source>Open</source>
        <translation>待审</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="39"/>
        <source>Accepted</source>
        <translation>接受</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="40"/>
        <source>Needs fix</source>
        <translation>需修改</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="41"/>
        <source>False positive</source>
        <translation>误报</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="44"/>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="45"/>
        <source>Warning</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="46"/>
        <source>Info</source>
        <translation>提示</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="58"/>
        <source>5 Red-line checks</source>
        <translation>5 红线校核</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="77"/>
        <source>Rule</source>
        <translation>规则</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="77"/>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="77"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="77"/>
        <source>Message</source>
        <translation>说明</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="77"/>
        <source>Feature</source>
        <translation>要素</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="77"/>
        <source>Value</source>
        <translation>数值</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="120"/>
        <source>Choose the result layer to check.</source>
        <translation>请选择要校核的成果图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="145"/>
        <source>Open issue file</source>
        <translation>打开问题文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="162"/>
        <source>Check issues</source>
        <translation>校核问题</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="195"/>
        <source>All rules</source>
        <translation>全部规则</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="195"/>
        <source>All severities</source>
        <translation>全部严重程度</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="195"/>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="237"/>
        <source>{n} issues shown of {total}; open {open}, accepted {acc}, needs fix {fix}, false positive {fp}</source>
        <translation>显示 {n} / {total} 个问题；待审 {open}，接受 {acc}，需修改 {fix}，误报 {fp}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="263"/>
        <source>This issue concerns the whole layer; it has no place on the map.</source>
        <translation>该问题针对整个图层，地图上没有对应位置。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="301"/>
        <source>Choose an issue in the list first.</source>
        <translation>请先在列表中选择一个问题。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="322"/>
        <source>Decision saved: {d}.</source>
        <translation>审核结论已保存：{d}。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="330"/>
        <source>Choose a result layer here and the red line on page 1.</source>
        <translation>请在此选择成果图层，并在第 1 页选择生态保护红线。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="145"/>
        <source>Publish county maps (公告: PDF and PNG)</source>
        <translation>发布县级图件（公告：PDF 和 PNG）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="167"/>
        <source>County boundaries (县界)</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="168"/>
        <source>County code field</source>
        <translation>县代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="169"/>
        <source>County name field</source>
        <translation>县名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="170"/>
        <source>Steep-slope patches (from &apos;steep_slope&apos;)</source>
        <translation>陡坡地图斑（steep_slope 的输出）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="171"/>
        <source>Townships (乡镇) for the map (optional)</source>
        <translation>图中显示的乡镇（可选）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="172"/>
        <source>Township name field (labels)</source>
        <translation>乡镇名称字段（注记）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="173"/>
        <source>County code (blank = every county: batch)</source>
        <translation>县代码（留空 = 全部县，批量）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="174"/>
        <source>Layout template (.qpt; blank = the plugin&apos;s)</source>
        <translation>布局模板（.qpt；留空 = 插件自带）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="175"/>
        <source>Title ({county_name} and {county_code} are replaced)</source>
        <translation>标题（{county_name} 和 {county_code} 将被替换）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="176"/>
        <source>Data source note</source>
        <translation>数据来源说明</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="177"/>
        <source>Date (blank = today)</source>
        <translation>日期（留空 = 今天）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="178"/>
        <source>PNG resolution (dpi)</source>
        <translation>PNG 分辨率（dpi）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="179"/>
        <source>Output folder</source>
        <translation>输出文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="180"/>
        <source>Counties published</source>
        <translation>已发布的县数</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="181"/>
        <source>Index of the files (JSON)</source>
        <translation>文件索引（JSON）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="184"/>
        <source>Makes the county publication of the no-reclamation steep slopes (禁止开垦陡坡地) from a print layout template: title, map (county boundary, 乡镇, patches), legend naming the slope threshold, scale bar, north arrow, the 公告 table (patches and area in hectares per 乡镇, with the total), the date and the data source; exported to PDF and PNG, one county or all of them.
County boundaries and their code field; the steep-slope patch layer of the 'steep_slope' algorithm (fields cnty_code, twn_code, twn_name, parent_id, area_ha, thresh_deg). Areas in the table are the sums of the patches' area_ha (ellipsoidal areas), rounded to 0.01 ha.
Template: resources/layouts/county_announcement.qpt (A3 landscape) or your own .qpt with the item ids title, subtitle, map, legend, scalebar, north_arrow, announcement_table (the frame of a text table), date and source. Each county's filled layout is saved as a .qpt beside its PDF and PNG. Chinese text needs a font with Chinese glyphs (Noto Sans CJK SC, WenQuanYi Micro Hei, Microsoft YaHei or SimHei).</source>
        <translation>由打印布局模板生成县级禁止开垦陡坡地公告图件：标题、地图（县界、乡镇、图斑）、注明坡度阈值的图例、比例尺、指北针、公告表（各乡镇图斑数及面积(公顷)，含合计）、制图日期和数据来源；导出为 PDF 和 PNG，可发布单个县或全部县。
输入县界及其代码字段，以及 steep_slope 算法输出的陡坡地图斑图层（字段 cnty_code、twn_code、twn_name、parent_id、area_ha、thresh_deg）。表中面积为图斑 area_ha（椭球面积）之和，保留 0.01 公顷。
模板：resources/layouts/county_announcement.qpt（A3 横向），或含以下图元 ID 的自定义 .qpt：title、subtitle、map、legend、scalebar、north_arrow、announcement_table（文本表格的框架）、date、source。每个县填好的布局另存为 .qpt，与 PDF、PNG 放在一起。中文需要含中文字形的字体（Noto Sans CJK SC、文泉驿微米黑、微软雅黑或黑体）。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="204"/>
        <source>Title: literal text; only {county_name} and {county_code} are replaced, any other brace stays as it is. Title, source and date must not hold the QGIS expression marker [% (a layout label would evaluate it). Files are named &lt;county code&gt;_steep_slope_announcement.pdf/.png/.qpt; two county codes that would get the same file name are refused before any work. Each PDF and PNG is checked (complete PDF, decodable PNG) before it takes its final name.</source>
        <translation>标题：按原文输出；只替换 {county_name} 和 {county_code}，其他花括号原样保留。标题、数据来源和日期不得含有 QGIS 表达式标记 [%（布局标签会把它当作表达式求值）。文件名为 &lt;县代码&gt;_steep_slope_announcement.pdf/.png/.qpt；两个县代码会得到同一文件名时，在开始任何工作之前拒绝运行。每个 PDF 和 PNG 在改为最终文件名之前都会检查（PDF 完整、PNG 可解码）。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="215"/>
        <source>County boundaries</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_publish.py" line="362"/>
        <source>Layout template</source>
        <translation>布局模板</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="48"/>
        <source>Check results (生态保护红线, geometry, topology, attributes)</source>
        <translation>成果校核（生态保护红线、几何、拓扑、属性）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="49"/>
        <source>Review</source>
        <translation>校核</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="89"/>
        <source>Code field (unique)</source>
        <translation>代码字段（唯一）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="89"/>
        <source>Township code field</source>
        <translation>乡镇代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="89"/>
        <source>Stored area field</source>
        <translation>已存面积字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="89"/>
        <source>Zone field</source>
        <translation>分区字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="108"/>
        <source>Errors</source>
        <translation>错误</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="108"/>
        <source>Warnings</source>
        <translation>警告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_checks.py" line="108"/>
        <source>Infos</source>
        <translation>提示</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="28"/>
        <source>Export package for the water One Map (全国水利一张图)</source>
        <translation>导出全国水利一张图成果包</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_export.py" line="29"/>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_import_units.py" line="30"/>
        <source>Import and validate an official small-watershed (小流域) layer</source>
        <translation>导入并校验正式小流域图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="27"/>
        <source>Indicators per small watershed (小流域指标)</source>
        <translation>小流域指标计算</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="28"/>
        <source>Zoning (重点区域划定)</source>
        <translation>重点区域划定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="148"/>
        <source>Soil loss by CSLE (中国土壤流失方程)</source>
        <translation>中国土壤流失方程(CSLE)土壤流失量</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="28"/>
        <source>Delineate small watersheds (小流域) from a DEM</source>
        <translation>基于 DEM 划分小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="57"/>
        <source>Target minimum unit area (km²)</source>
        <translation>小流域目标最小面积（km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="57"/>
        <source>Maximum unit area (km²)</source>
        <translation>小流域最大面积（km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="57"/>
        <source>Merge edge units smaller than (km²)</source>
        <translation>合并小于此面积的边缘小流域（km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_watersheds.py" line="57"/>
        <source>Stream initiation area (km²)</source>
        <translation>河道起始汇水面积（km²）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="27"/>
        <source>Zoning by rule file (重点预防区/重点治理区/严重/脆弱)</source>
        <translation>按规则文件划定（重点预防区/重点治理区/严重/脆弱）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="31"/>
        <source>No-reclamation steep slopes (禁止开垦陡坡地)</source>
        <translation>禁止开垦陡坡地划定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="106"/>
        <source>County table (CSV)</source>
        <translation>分县统计表（CSV）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="106"/>
        <source>Township table (CSV)</source>
        <translation>分乡镇统计表（CSV）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="106"/>
        <source>Small-watershed table (CSV)</source>
        <translation>分小流域统计表（CSV）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="106"/>
        <source>Patch list 图斑清单 (CSV)</source>
        <translation>图斑清单（CSV）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="106"/>
        <source>Announcement workbook (XLSX)</source>
        <translation>公告统计工作簿（XLSX）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="106"/>
        <source>Run metadata (JSON)</source>
        <translation>运行元数据（JSON）</translation>
    </message>
    <message>
        <source>Only these counties (codes, comma-separated; blank = every county of the layer)</source>
        <translation>仅这些县（代码，逗号分隔；留空 = 图层中所有县）</translation>
    </message>
    <message>
        <source>Only these counties (codes, comma-separated; blank = the county above or every county)</source>
        <translation>仅这些县（代码，逗号分隔；留空 = 上面的县或所有县）</translation>
    </message>
    <message>
        <source>Zones per county (layer 'zones' of the zoning step) for the zoning map</source>
        <translation>各县重点区域（划定步骤的 zones 图层），用于重点区域分布图</translation>
    </message>
    <message>
        <source>Zoning map title ({county_name} and {county_code} are replaced)</source>
        <translation>重点区域分布图标题（{county_name} 和 {county_code} 将被替换）</translation>
    </message>
    <message>
        <source>DEM used (to measure the share of each county it covers)</source>
        <translation>所用 DEM（用于量算其覆盖各县的比例）</translation>
    </message>
    <message>
        <source>Allow publishing a partial result (DEM covers only part of a county)</source>
        <translation>允许发布部分覆盖的结果（DEM 只覆盖部分县域）</translation>
    </message>
    <message>
        <source>Land use as 三调 地类图斑 (DLTB polygons, instead of a raster)</source>
        <translation>以三调地类图斑作土地利用（DLTB 面图层，代替栅格）</translation>
    </message>
    <message>
        <source>Land-use code field of the 地类图斑 (DLBM)</source>
        <translation>地类图斑的地类编码字段（DLBM）</translation>
    </message>
    <message>
        <source>Allow publishing a partial result (coverage printed on the map)</source>
        <translation>允许发布部分覆盖的结果（图上注明覆盖率）</translation>
    </message>
    <message>
        <source>The DEM covers only part of a county: without this choice the publication is refused and names the share; with it the share is printed on the map.</source>
        <translation>DEM 只覆盖部分县域：不勾选时拒绝发布并给出覆盖率；勾选后发布，并在图上注明覆盖率。</translation>
    </message>
    <message>
        <source>Counties for every step</source>
        <translation>各步骤所用的县</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全选</translation>
    </message>
    <message>
        <source>None</source>
        <translation>全不选</translation>
    </message>
    <message>
        <source>Erosion</source>
        <translation>土壤侵蚀</translation>
    </message>
    <message>
        <source>Land use</source>
        <translation>土地利用</translation>
    </message>
    <message>
        <source>Land use as 三调 地类图斑 (DLTB)</source>
        <translation>以三调地类图斑作土地利用（DLTB）</translation>
    </message>
    <message>
        <source>Land-use code field (DLBM)</source>
        <translation>地类编码字段（DLBM）</translation>
    </message>
    <message>
        <source>Layouts added to the project's Layout Manager: {names}</source>
        <translation>布局已加入项目的布局管理器：{names}</translation>
    </message>
    <message>
        <source>No county chosen: tick at least one.</source>
        <translation>未选择县：请至少勾选一个。</translation>
    </message>
    <message>
        <source>No layer has a usual name (XZQDM, STBHHX, YJJBNTTB, DLTB/DLBM, …); choose them below.</source>
        <translation>没有图层使用常见名称（XZQDM、STBHHX、YJJBNTTB、DLTB/DLBM 等）；请在下面选择。</translation>
    </message>
    <message>
        <source>Nothing left to pre-fill: every recognised layer is already chosen.</source>
        <translation>无需预填：识别到的图层均已选定。</translation>
    </message>
    <message>
        <source>Pre-fill empty choices from layer and field names</source>
        <translation>按图层名和字段名预填空白选项</translation>
    </message>
    <message>
        <source>Pre-fill</source>
        <translation>预填</translation>
    </message>
    <message>
        <source>Pre-filled from the usual names (check them): {list}</source>
        <translation>已按常见名称预填（请核对）：{list}</translation>
    </message>
    <message>
        <source>{label} covers only part of the county: {list}. The result would be partial; publishing it needs an explicit choice.</source>
        <translation>{label} 只覆盖部分县域：{list}。结果将不完整；发布需明确选择。</translation>
    </message>
    <message>
        <source>{n} of {total} counties chosen; every step runs on these.</source>
        <translation>已选 {n}/{total} 个县；各步骤都对这些县运行。</translation>
    </message>
    <message>
        <source>{n} townships lie outside the chosen counties (code prefix or geometry): {list}</source>
        <translation>{n} 个乡镇不在所选县内（按代码前缀或几何）：{list}</translation>
    </message>
    <message>
        <source>Counties: COUNTY_CODES takes the codes of the counties to delineate (comma-separated), e.g. two of the 60 counties of a province layer; blank = every county of the layer. Before the run the share of each county the DEM covers with valid cells is measured (cell centres in the county × cell area / county area); a partial cover is logged and written to the county table (dem_cover_pct), the workbook notes, the metadata and the patch layer's metadata (DEM_COVER_PCT), which the publication reads. 乡镇 whose code does not start with their county's code, or that lie mostly outside the counties, are listed in a warning.</source>
        <translation>县：COUNTY_CODES 为要划定的县代码（逗号分隔），如省级图层 60 个县中的两个；留空 = 图层中所有县。运行前量算 DEM 有效像元覆盖各县的比例（县内像元中心数 × 像元面积 / 县面积）；部分覆盖时记入日志，并写入县表（dem_cover_pct）、工作簿说明、元数据和图斑图层的元数据（DEM_COVER_PCT），供公告读取。代码不以所属县代码开头、或大部分位于所选县外的乡镇，将在警告中列出。</translation>
    </message>
    <message>
        <source>Counties: COUNTY (one code) or COUNTY_CODES (several, comma-separated); blank = every county. Zoning map: with the zones layer of the zoning step (fields county_code, zone_id, zone, n_units, area_km2), each county also gets &lt;code&gt;_zoning_announcement.pdf/.png/.qpt: 重点预防区/重点治理区 as fills, 严重/脆弱 areas as hatching, and a table of the number of 小流域, the area (ha) and the share of the county per zone type. Coverage: the share of each county the DEM covers is measured on the DEM when one is given, else read from the steep-slope layer (DEM_COVER_PCT). A county covered only in part is refused with its share unless ALLOW_PARTIAL is on; then the share is printed on the map and in the index. Township labels have a white halo; the 乡镇 boundary dash pattern is in millimetres, so the legend shows the map's dashes; table columns take the width of their text and the font shrinks until the table fits its frame.</source>
        <translation>县：COUNTY（一个代码）或 COUNTY_CODES（多个，逗号分隔）；留空 = 所有县。重点区域分布图：给出划定步骤的 zones 图层（字段 county_code、zone_id、zone、n_units、area_km2）时，每县另出 &lt;code&gt;_zoning_announcement.pdf/.png/.qpt：重点预防区/重点治理区以填充表示，严重/脆弱区域以晕线表示，并附按区类型的小流域数、面积（公顷）及占县域比例表。覆盖率：给出 DEM 时直接量算 DEM 覆盖各县的比例，否则读取陡坡图层记录的 DEM_COVER_PCT。部分覆盖的县默认拒绝发布并给出覆盖率；勾选 ALLOW_PARTIAL 后发布，并在图上和索引中注明覆盖率。乡镇注记带白色光晕；乡镇界虚线以毫米为单位，图例与图面虚线一致；表格列宽按文字宽度，字号缩小直至表格放入图框。</translation>
    </message>
    <message>
        <source>Small watersheds {min:g}–{max:g} km² {time}</source>
        <translation>小流域 {min:g}–{max:g} 平方千米 {time}</translation>
    </message>
    <message>
        <source>No-reclamation steep slopes ≥{t:g}° ({scope}) {time}</source>
        <translation>禁止开垦陡坡地 ≥{t:g}°（{scope}）{time}</translation>
    </message>
    <message>
        <source>national rule</source>
        <translation>全国规定</translation>
    </message>
    <message>
        <source>Zoned small watersheds ({rules}) {time}</source>
        <translation>小流域分区（{rules}）{time}</translation>
    </message>
    <message>
        <source>default, not the standard; source: {source}</source>
        <translation>默认值，非标准；依据：{source}</translation>
    </message>
    <message>
        <source>source: {source}</source>
        <translation>依据：{source}</translation>
    </message>
    <message>
        <source> (the article number is still to be confirmed)</source>
        <translation>（条款号待核实）</translation>
    </message>
    <message>
        <source>{v:g}° for {scope}; {provenance}</source>
        <translation>{scope}：{v:g}°；{provenance}</translation>
    </message>
    <message>
        <source>Also write a zip of the package</source>
        <translation>同时输出成果包的 zip 压缩文件</translation>
    </message>
    <message>
        <source>Format</source>
        <translation>格式</translation>
    </message>
    <message>
        <source>User guide</source>
        <translation>使用指南</translation>
    </message>
    <message>
        <source>Red line (overlay view)</source>
        <translation>生态保护红线（叠加显示）</translation>
    </message>
    <message>
        <source>{province} rules</source>
        <translation>{province}规则</translation>
    </message>
    <message>
        <source>national rules</source>
        <translation>全国规则</translation>
    </message>
    <message>
        <source>({p:.2f} % of the feature)</source>
        <translation>（占该要素 {p:.2f} %）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="35"/>
        <source>Disturbance patches against the zones (扰动图斑核查)</source>
        <translation>扰动图斑核查（对照重点区域）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="250"/>
        <source>Supervision (监管)</source>
        <translation>监管</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="61"/>
        <source>Disturbance patches as issued (扰动图斑)</source>
        <translation>下发的扰动图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="61"/>
        <source>Steep-slope patches (禁止开垦陡坡地)</source>
        <translation>禁止开垦陡坡地图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="61"/>
        <source>Zones (zoning output, layer &apos;zones&apos;)</source>
        <translation>重点区域（区划成果的 &apos;zones&apos; 图层）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="61"/>
        <source>生态保护红线 layer</source>
        <translation>生态保护红线图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="61"/>
        <source>Townships (乡镇)</source>
        <translation>乡镇</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="61"/>
        <source>Counties (县)</source>
        <translation>县</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="84"/>
        <source>Own field-mapping file (JSON)</source>
        <translation>自定义字段映射文件（JSON）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="84"/>
        <source>Own risk rule file (JSON)</source>
        <translation>自定义风险规则文件（JSON）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="103"/>
        <source>Number of patches</source>
        <translation>图斑数</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="103"/>
        <source>Suspected steep-slope reclamation</source>
        <translation>疑似陡坡开垦</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="103"/>
        <source>Priority checks</source>
        <translation>重点核查</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="103"/>
        <source>New since last year</source>
        <translation>新增（上年无）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="103"/>
        <source>Same place as last year</source>
        <translation>同位置（上年已下发）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="103"/>
        <source>Closed last year, issued again</source>
        <translation>上年已销号又下发</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_disturbance.py" line="249"/>
        <source>Set a disturbance patch&apos;s status (销号)</source>
        <translation>设置扰动图斑销号状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Roll-up to 乡镇, 县, 市 and 省 with targets (水土保持率)</source>
        <translation>汇总到乡镇、县、市和省及目标分解（水土保持率）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Roll-up and change (汇总与动态)</source>
        <translation>汇总与动态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Change between two erosion years (水土流失动态)</source>
        <translation>两期侵蚀变化（水土流失动态）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>7 Disturbance check</source>
        <translation>7 扰动图斑核查</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>8 Roll-up and targets</source>
        <translation>8 汇总与目标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Area (ha)</source>
        <translation>面积（公顷）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Assessed area (ha)</source>
        <translation>评价面积（公顷）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Change</source>
        <translation>水土流失动态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Change per county</source>
        <translation>县级变化</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Change per small watershed</source>
        <translation>小流域变化</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Change report: {link}</source>
        <translation>动态变化报告：{link}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Checked disturbance patches</source>
        <translation>扰动图斑核查结果</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Choose a patch in the list first.</source>
        <translation>请先在列表中选择一个图斑。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Choose the disturbance patch layer.</source>
        <translation>请选择扰动图斑图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Choose the erosion rasters of both years.</source>
        <translation>请选择前后两期的土壤侵蚀栅格。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Closed</source>
        <translation>已销号</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Comment</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Conservation rate (%)</source>
        <translation>水土保持率（%）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Counties (roll-up)</source>
        <translation>县级汇总</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>County</source>
        <translation>县</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>County code</source>
        <translation>县代码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>County name</source>
        <translation>县名称</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Disturbance patches: status (销号)</source>
        <translation>扰动图斑核查状态（销号）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>From pages 1 and 2: {names}.</source>
        <translation>取自第 1、2 页：{names}。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Land area (ha)</source>
        <translation>土地面积（公顷）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>New status</source>
        <translation>新状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Not a disturbance check result: {path}</source>
        <translation>不是扰动图斑核查结果：{path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Open checked patches</source>
        <translation>打开扰动图斑核查结果</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Open checked patches…</source>
        <translation>打开核查结果…</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Patch</source>
        <translation>图斑编号</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Patch status</source>
        <translation>图斑核查状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Patch {id}: {status}</source>
        <translation>图斑 {id}：{status}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Patches</source>
        <translation>图斑数</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Reviewer</source>
        <translation>核查人</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Risk</source>
        <translation>风险等级</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Roll-up tables in {path}</source>
        <translation>汇总表已写入 {path}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Run the check first.</source>
        <translation>请先运行核查。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Run the zoning first (page 4) or choose the unit layer.</source>
        <translation>请先运行区划（第 4 页）或选择小流域图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>SL 190 class codes 1–6</source>
        <translation>SL 190 侵蚀强度等级代码 1–6</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Save status</source>
        <translation>保存状态</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Soil loss area (ha)</source>
        <translation>水土流失面积（公顷）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Status saved: {s}.</source>
        <translation>状态已保存：{s}。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Still missing: {names}.</source>
        <translation>尚缺：{names}。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Target {year} (%)</source>
        <translation>{year}年目标（%）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Targets files (*.json)</source>
        <translation>目标文件 (*.json)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>Rule files (*.json)</source>
        <translation>规则文件 (*.json)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>automatic (the .cpg file, else read from the text)</source>
        <translation>自动（按 .cpg 文件，没有则按文本内容判断）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>✗ choose a file</source>
        <translation>✗ 请选择文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>✓ {name}, version {v}</source>
        <translation>✓ {name}，版本 {v}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source> (defaults, not an official schema or standard)</source>
        <translation>（默认值，不是官方字段规范或标准）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>To check</source>
        <translation>待核查</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>Year</source>
        <translation>下发年度</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>counties</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>erosion modulus t/(km²·a)</source>
        <translation>土壤侵蚀模数 t/(km²·a)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>land use</source>
        <translation>土地利用</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>outside the counties</source>
        <translation>县界之外</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>required when reopening a patch</source>
        <translation>退回待核查时必填</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>small watersheds</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>townships</source>
        <translation>乡镇</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/review_panel.py" line="1"/>
        <source>{n} patches; {counts}</source>
        <translation>共 {n} 个图斑；{counts}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>✓ version {v}; province targets {years}; a default decomposition</source>
        <translation>✓ 版本 {v}；省级目标 {years}；分解方法为默认方法（非官方分解）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/pages.py" line="1"/>
        <source>{n} patches: {steep} suspected steep-slope reclamation, {key} priority checks; checklists per county in {path}</source>
        <translation>共 {n} 个图斑：疑似陡坡开垦 {steep} 个，重点核查 {key} 个；各县核查清单已写入 {path}</translation>
    </message>
</context>
<context>
    <name>SoilConservationDock</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="6"/>
        <source>Soil conservation zoning</source>
        <translation>水土保持区划</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="66"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="18"/>
        <source>Results folder</source>
        <translation>成果文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="28"/>
        <source>Every run writes into its own sub-folder here.</source>
        <translation>每次运行都写入此处的独立子文件夹。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="49"/>
        <source>Run all steps</source>
        <translation>运行全部步骤</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="52"/>
        <source>Units → slope → steep slopes → zoning → checks → export, the same chain as 'make demo'.</source>
        <translation>小流域 → 坡度 → 禁止开垦陡坡地 → 重点防治区 → 校核 → 导出，与 'make demo' 相同的流程。</translation>
    </message>
</context>
<context>
    <name>SteepPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="9"/>
        <source>No-reclamation steep slopes (禁止开垦陡坡地)</source>
        <translation>禁止开垦陡坡地划定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="18"/>
        <source>Slope threshold</source>
        <translation>坡度阈值</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="63"/>
        <source>Minimum patch</source>
        <translation>最小图斑面积</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="108"/>
        <source>Connectivity</source>
        <translation>连通方式</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="121"/>
        <source>Exclude from the patches:</source>
        <translation>从图斑中扣除：</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="131"/>
        <source>Construction land</source>
        <translation>建设用地</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="141"/>
        <source>Water bodies</source>
        <translation>水域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="151"/>
        <source>Farmland (basic farmland)</source>
        <translation>耕地（永久基本农田）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="158"/>
        <source>Split patches by small watershed (小流域)</source>
        <translation>按小流域分割图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_steep.ui" line="168"/>
        <source>Run</source>
        <translation>运行</translation>
    </message>
</context>
<context>
    <name>SteepSlopeAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="69"/>
        <source>Auto: from the county codes (省 of the county)</source>
        <translation>自动：按县级行政区划代码（所属省）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="72"/>
        <source>National 全国 (水土保持法 第二十条, {v:g}°)</source>
        <translation>全国（水土保持法 第二十条，{v:g}°）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="77"/>
        <source>DEM (projected or geographic)</source>
        <translation>数字高程模型 DEM（投影或地理坐标）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="78"/>
        <source>County boundary (县界)</source>
        <translation>县界</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="79"/>
        <source>County code field</source>
        <translation>县代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="80"/>
        <source>County name field</source>
        <translation>县名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="81"/>
        <source>Townships (乡镇)</source>
        <translation>乡镇</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="82"/>
        <source>Township code field</source>
        <translation>乡镇代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="83"/>
        <source>Township name field</source>
        <translation>乡镇名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="84"/>
        <source>Small watersheds (小流域, fields unit_code, unit_name)</source>
        <translation>小流域（字段 unit_code、unit_name）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="85"/>
        <source>Province rule for the default threshold</source>
        <translation>默认阈值采用的省级规定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="86"/>
        <source>Slope threshold (°), blank = province rule</source>
        <translation>坡度阈值（°），留空 = 省级规定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="89"/>
        <source>Minimum contiguous patch (ha), 0 = none (default 5 ha: a default, not a national rule)</source>
        <translation>最小连片图斑面积（ha），0 = 不设（默认 5 ha：默认值，非国家规定）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="92"/>
        <source>Pixel connectivity of patches</source>
        <translation>图斑像元连通方式</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="98"/>
        <source>Exclude: {l}</source>
        <translation>扣除：{l}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="99"/>
        <source>Erase {l}</source>
        <translation>扣除{l}</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="100"/>
        <source>Exclude: other polygon layers</source>
        <translation>扣除：其他面图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="101"/>
        <source>Erase the other polygon layers</source>
        <translation>扣除其他面图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="102"/>
        <source>Steep-slope patches (图斑, GeoPackage)</source>
        <translation>陡坡地图斑（GeoPackage）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="103"/>
        <source>Folder for tables (default: beside the patch layer)</source>
        <translation>统计表文件夹（默认：与图斑图层同目录）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="115"/>
        <source>Number of patches before the split along county, township and unit lines</source>
        <translation>按县界、乡镇界和小流域界分割前的图斑数量</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="116"/>
        <source>Total area (ha)</source>
        <translation>总面积（ha）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="202"/>
        <source>DEM</source>
        <translation>数字高程模型(DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_steep_slope.py" line="122"/>
        <source>Delineates the steep-slope land where reclamation for crops is forbidden (禁止开垦陡坡地, 水土保持法 第二十条), per county, split by 乡镇 (and 小流域 where a unit layer is given), with announcement tables.
DEM: projected in metres or geographic (EPSG:4490/4326); slope is Horn's method in true ground units. A DEM without CRS or in Web Mercator is refused. NoData rule: a cell has a slope only when its whole 3×3 window is valid; cells on the NoData boundary and the raster edge are never steep (no slope is invented).
County boundary (required) and its code field; township polygons (optional) with code and name fields; small watersheds (optional, fields unit_code/unit_name/county_code). Layers in another CRS are reprojected to the DEM's; invalid polygons are repaired and counted in the log.
Threshold: blank = the province rule (resources/rules/provinces.json): {provinces}; national {nat:g}° ({nats}). Range 0–90°.
Minimum contiguous patch: default {mp:g} ha — a default, not a national rule ({mps}); 0 = none. It applies to the whole patch's final ellipsoidal area: after clipping to the county and erasing the exclusions (before the 乡镇/小流域 split).
Exclusions (耕地保护红线/永久基本农田, 建设用地, 水域, any polygon layers): each can be switched off; cells wholly inside an exclusion are erased before patches are formed, and the exclusion polygons are erased exactly from the rest.
Boundary rule: inside the county, patch boundaries follow the cell edges of the slope raster. Along the county, 乡镇, 小流域 and exclusion boundaries, the steep cells a polygon touches are candidates, and the patch is clipped exactly by the polygons: intersected with the county, the exclusions erased, and split into pieces by exact intersection with the 乡镇 and 小流域 polygons — no piece sticks out of its county, 乡镇 or 小流域. A patch cut into parts by a boundary keeps one id.
Areas (ha) are the ellipsoidal areas of the final piece polygons (exact cell areas inside, pyproj Geod on the clipped boundary parts); table totals are sums of the pieces. slope_mean/slope_max are taken over the cells whose centre lies in the piece (a sliver holding no cell centre: over the cells it overlaps).
Connectivity: 8 (default) or 4 neighbours join cells into one patch.
Outputs: patch layer (patch_id, parent_id, county/township/unit code and name, area_ha, slope_mean, slope_max, thresh_deg); CSV tables per county, 乡镇 and 小流域 and the patch list (UTF-8 with BOM), an XLSX workbook, and run metadata (.meta.json) with the threshold and its source, the minimum patch and its default status, exclusions, input hashes and the plugin version. Table totals equal the sum of patch areas to 0.01 ha. Patch ids are county code + sequence of the patch's first cell (row-major), stable for the same inputs; pieces split by 乡镇 keep the parent id.
Output files: the county, 乡镇 and 小流域 tables, the patch list, the workbook and the metadata can each be given a file (COUNTY_TABLE, TOWNSHIP_TABLE, UNIT_TABLE, PATCH_LIST, XLSX, METADATA), which is used as given; those not given go beside the patch layer (the tables into the tables folder when one is given) as &lt;layer&gt;_county.csv, &lt;layer&gt;_township.csv, &lt;layer&gt;_unit.csv, &lt;layer&gt;_patches.csv, &lt;layer&gt;.xlsx and &lt;layer&gt;.meta.json. Two outputs on one file are refused. A text cell beginning with = + - @ is written as text, never as a formula: in the CSVs with a leading ' (the usual escape against formula injection), in the workbook as a text cell.</source>
        <translation>按县划定禁止种植农作物的禁止开垦陡坡地（水土保持法 第二十条），按乡镇（给定小流域图层时还按小流域）分割，并输出公告统计表。
DEM：以米为单位的投影坐标或地理坐标（EPSG:4490/4326）；坡度按 Horn 方法以真实地面单位计算。无坐标参考系或 Web 墨卡托的 DEM 将被拒绝。无数据规则：仅当 3×3 窗口全部有效时像元才有坡度；无数据边界和栅格边缘的像元不会被判为陡坡（不臆造坡度）。
县界（必需）及其代码字段；乡镇面图层（可选）及代码、名称字段；小流域（可选，字段 unit_code/unit_name/county_code）。其他坐标系的图层会重投影到 DEM 的坐标系；无效多边形会被修复并在日志中计数。
阈值：留空 = 省级规定（resources/rules/provinces.json）：{provinces}；全国 {nat:g}°（{nats}）。取值范围 0–90°。
最小连片图斑面积：默认 {mp:g} ha——默认值，非国家规定（{mps}）；0 = 不设。适用于整个图斑的最终椭球面积：裁切到县界并扣除扣除图层之后（按乡镇/小流域分割之前）。
扣除图层（耕地保护红线/永久基本农田、建设用地、水域及任意面图层）：均可单独关闭；完全位于扣除范围内的像元在形成图斑前扣除，其余部分再按扣除多边形精确擦除。
边界规则：县内图斑边界沿坡度栅格的像元边线。沿县界、乡镇、小流域及扣除图层边界，多边形所触及的陡坡像元均为候选，图斑再按多边形精确裁切：与县界求交、擦除扣除图层，并与乡镇和小流域多边形精确求交分割成块——任何图斑块都不会超出其所在县、乡镇或小流域。被边界分割成多块的图斑保留同一编号。
面积（ha）为最终图斑块多边形的椭球面积（内部为精确像元面积，裁切的边界部分用 pyproj Geod 计算）；统计表合计为各图斑块之和。slope_mean/slope_max 按中心位于图斑块内的像元统计（不含像元中心的碎片：按其覆盖的像元统计）。
连通方式：8 邻域（默认）或 4 邻域将像元连成一个图斑。
输出：图斑图层（patch_id、parent_id、县/乡镇/小流域代码和名称、area_ha、slope_mean、slope_max、thresh_deg）；分县、分乡镇、分小流域统计表及图斑清单 CSV（带 BOM 的 UTF-8）、XLSX 工作簿，以及运行元数据（.meta.json），记录阈值及其来源、最小图斑面积及其是否为默认值、扣除图层、输入文件哈希和插件版本。统计表合计与图斑面积之和相差不超过 0.01 ha。图斑编号 = 县代码 + 按图斑首个像元（行优先）排序的序号，相同输入下保持不变；按乡镇分割的图斑块保留上级图斑编号。
输出文件：县、乡镇、小流域统计表、图斑清单、工作簿和元数据均可各自指定文件（COUNTY_TABLE、TOWNSHIP_TABLE、UNIT_TABLE、PATCH_LIST、XLSX、METADATA），按指定路径写出；未指定的写在图斑图层旁（给定统计表文件夹时统计表写入该文件夹），文件名为 &lt;图层&gt;_county.csv、&lt;图层&gt;_township.csv、&lt;图层&gt;_unit.csv、&lt;图层&gt;_patches.csv、&lt;图层&gt;.xlsx 和 &lt;图层&gt;.meta.json。两个输出指向同一文件时拒绝运行。以 = + - @ 开头的文本单元格按文本写出，绝不作为公式：CSV 中前加 '（防公式注入的通用转义），工作簿中为文本单元格。</translation>
    </message>
</context>
<context>
    <name>UnitIndicatorsAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="54"/>
        <source>Small watersheds (小流域, field unit_code)</source>
        <translation>小流域（字段 unit_code）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="55"/>
        <source>DEM (slope classes)</source>
        <translation>数字高程模型 DEM（坡度分级）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="56"/>
        <source>Steep-slope threshold (°)</source>
        <translation>陡坡地坡度阈值（°）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="58"/>
        <source>Soil erosion raster (土壤侵蚀)</source>
        <translation>土壤侵蚀栅格</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="59"/>
        <source>Erosion raster holds</source>
        <translation>土壤侵蚀栅格内容</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="59"/>
        <source>erosion modulus t/(km²·a)</source>
        <translation>土壤侵蚀模数 t/(km²·a)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="59"/>
        <source>SL 190 class codes 1–6 (微度…剧烈)</source>
        <translation>SL 190 分级代码 1–6（微度…剧烈）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="61"/>
        <source>Land use raster (GB/T 21010 codes)</source>
        <translation>土地利用栅格（GB/T 21010 代码）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="62"/>
        <source>Land-use class mapping (JSON, optional)</source>
        <translation>土地利用类别对应关系（JSON，可选）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="63"/>
        <source>Vegetation cover FVC (0–1 or %)</source>
        <translation>植被覆盖度 FVC（0–1 或 %）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="64"/>
        <source>Ecological protection red line (生态保护红线)</source>
        <translation>生态保护红线</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="65"/>
        <source>Water-source protection zones (水源保护区)</source>
        <translation>水源保护区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="66"/>
        <source>Nature reserves (自然保护区)</source>
        <translation>自然保护区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="67"/>
        <source>Zonal method</source>
        <translation>分区统计方法</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="67"/>
        <source>auto</source>
        <translation>自动</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="67"/>
        <source>exact coverage fractions</source>
        <translation>精确覆盖比例</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="67"/>
        <source>label counting (cell centres)</source>
        <translation>标签计数（像元中心）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="69"/>
        <source>Unit raster of the watershed step (int32 labels + .codes.csv, optional)</source>
        <translation>小流域划分步骤输出的小流域栅格（int32 标签 + .codes.csv，可选）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="71"/>
        <source>Unit indicators GeoPackage (layer units)</source>
        <translation>小流域指标 GeoPackage（图层 units）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="72"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="139"/>
        <source>Unit indicators</source>
        <translation>小流域指标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="76"/>
        <source>Computes indicators for every small watershed (小流域) of a unit layer with a unique field unit_code.
DEM: shares of slope classes ≤2, 2–6, 6–15, 15–25, &gt;25° (land-survey classes) and of steep slope at the threshold (default 20°: 吉林, 通化县 公告 2025 citing 《吉林省水土保持条例》 [V]; national 25°). Slope is Horn in ground units; shares are of the valid slope area.
Erosion: a modulus raster t/(km²·a) is classed by SL 190-2007 (NE black-soil region: 微度 &lt;200, 轻度 200–2 500, 中度 2 500–5 000, 强烈 5 000–8 000, 极强烈 8 000–15 000, 剧烈 &gt;15 000; resources/rules/erosion_classes.json), or a ready class raster with codes 1–6. Gives area per class, 水土流失面积 (轻度 and above) and its share, the share of 中度 and above, and 水土保持率 = (unit area − 水土流失面积) / unit area. Negative moduli are refused.
Land use: forest/grass and cropland shares with a configurable mapping (default: GB/T 21010 first-level codes, resources/rules/landuse_mapping.json). A 三调 地类图斑 layer (DLTB, DLBM codes as text such as 0101, 0301, 1101) can be given instead of a raster: it is burnt onto the unit grid (the unit raster's when given, else the DEM's) by the cell-centre rule and written beside the output as &lt;output&gt;_landuse_dltb.tif; codes that are not digits go through the mapping's text_codes (0201K, 1104A, …), unknown ones count as 'other' and are listed. The second-level and 三调 codes of the mapping are defaults from recollection [M], not the standard. FVC: area-weighted mean (a raster in percent is detected and divided by 100).
Overlaps: area and share of each unit inside the red line, water-source zones or nature reserves, on the ellipsoid.
Method: when the units lie on the raster's grid (e.g. delineated from the same DEM) cells are counted by label (exact); otherwise every cell is weighted by the exact area of polygon ∩ cell. Cell areas are true ground areas. Rasters in another CRS: the units are reprojected on the fly to the raster's CRS (rasters are never resampled).
Unit raster (optional): the int32 label raster written by the watershed step, with its &lt;name&gt;.codes.csv (label,unit_code); rasters on its grid are then counted on those labels directly.</source>
        <translation>为小流域图层（具有唯一字段 unit_code）中的每个小流域计算指标。
DEM：坡度分级 ≤2、2–6、6–15、15–25、&gt;25°（国土调查分级）的面积占比，以及达到阈值的陡坡地占比（默认 20°：吉林，通化县 2025 年公告引用《吉林省水土保持条例》[V]；全国 25°）。坡度按 Horn 方法以真实地面单位计算；占比以有效坡度面积为基数。
土壤侵蚀：土壤侵蚀模数栅格 t/(km²·a) 按 SL 190-2007 分级（东北黑土区：微度 &lt;200，轻度 200–2 500，中度 2 500–5 000，强烈 5 000–8 000，极强烈 8 000–15 000，剧烈 &gt;15 000；resources/rules/erosion_classes.json），或使用代码为 1–6 的现成分级栅格。输出各级面积、水土流失面积（轻度及以上）及其占比、中度及以上的占比，以及水土保持率 = (小流域面积 − 水土流失面积) / 小流域面积。负的土壤侵蚀模数将被拒绝。
土地利用：林草地和耕地占比，类别对应关系可配置（默认：GB/T 21010 一级类代码，resources/rules/landuse_mapping.json）。也可用三调地类图斑图层（DLTB，DLBM 为文本代码，如 0101、0301、1101）代替栅格：按像元中心规则烧录到单元网格（给出小流域栅格时用其网格，否则用 DEM 网格），并在输出旁写为 &lt;output&gt;_landuse_dltb.tif；非纯数字的代码按映射文件的 text_codes 换算（0201K、1104A 等），无法识别的代码计为“其他土地”并列出。映射文件中的二级类及三调代码为凭记忆整理的默认值 [M]，非标准。植被覆盖度(FVC)：面积加权平均值（自动识别以百分数表示的栅格并除以 100）。
叠加：每个小流域位于生态保护红线、水源保护区或自然保护区内的面积及占比，按椭球面计算。
方法：小流域与栅格网格一致时（如由同一 DEM 划分），按标签计数像元（精确）；否则每个像元按面与像元交集的精确面积加权。像元面积为真实地面面积。栅格为其他坐标参考系时，小流域将即时重投影到栅格的坐标参考系（栅格从不重采样）。
小流域栅格（可选）：小流域划分步骤输出的 int32 标签栅格及其 &lt;name&gt;.codes.csv（label,unit_code）；与其网格一致的栅格将直接按这些标签计数。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_indicators.py" line="97"/>
        <source>Small watersheds</source>
        <translation>小流域</translation>
    </message>
</context>
<context>
    <name>UnitsPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="9"/>
        <source>Small watersheds (小流域)</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="18"/>
        <source>Delineate from the DEM</source>
        <translation>由 DEM 划分</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="28"/>
        <source>Target area, minimum</source>
        <translation>目标面积下限</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="60"/>
        <source>Target area, maximum</source>
        <translation>目标面积上限</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="92"/>
        <source>Import official units</source>
        <translation>导入官方小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="99"/>
        <source>Unit layer</source>
        <translation>小流域图层</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="112"/>
        <source>Unit code field</source>
        <translation>小流域代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="125"/>
        <source>Unit name field</source>
        <translation>小流域名称字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_units.ui" line="151"/>
        <source>Run</source>
        <translation>运行</translation>
    </message>
</context>
<context>
    <name>ZoningAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="46"/>
        <source>Unit indicators (from &apos;Indicators per small watershed&apos;)</source>
        <translation>小流域指标（来自 'Indicators per small watershed' 小流域指标计算）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="48"/>
        <source>Shipped rule file</source>
        <translation>插件自带规则文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="48"/>
        <source>{code} {name} (defaults)</source>
        <translation>{code} {name}（默认值）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="48"/>
        <source>全国 national defaults</source>
        <translation>全国默认值</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="50"/>
        <source>Own rule file (JSON/YAML; overrides the shipped one)</source>
        <translation>自定义规则文件（JSON/YAML；覆盖插件自带的规则文件）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="52"/>
        <source>Restrict zone type to listed counties</source>
        <translation>将分区类型限定于所列县(市、区)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="52"/>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="55"/>
        <source>Counties (codes or names, comma separated)</source>
        <translation>县(市、区)（代码或名称，逗号分隔）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="56"/>
        <source>Zoning GeoPackage (layers units, zones)</source>
        <translation>分区 GeoPackage（图层 units、zones）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="57"/>
        <source>Per-county summary</source>
        <translation>分县汇总</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="58"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="121"/>
        <source>Zoned units</source>
        <translation>已划定分区的小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="121"/>
        <source>Zones per county</source>
        <translation>各县分区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="63"/>
        <source>Assigns each small watershed to 水土流失重点预防区 / 重点治理区 (水土保持法 第十二条) and to 水土流失严重 / 生态脆弱区域 (第十八条) by a rule file: per zone type one base indicator and N regional indicators (indicator, operator, threshold, source), combined by any-one-hit or all-of ('1 + N', 长汀 practice [V]); a precedence settles units meeting two exclusive types (default: 治理 before 预防).
The official thresholds were NOT FOUND: every threshold of the shipped files (resources/rules/zoning_jilin.json, zoning_national.json) is a default, not the standard. Copy a file, edit it, and give it as 'Own rule file'; it is checked against resources/rules/zoning_schema.json, and unknown indicators or thresholds out of range are refused.
County restriction: limit one zone type to the units of listed counties (e.g. the counties of 长白山 国家级重点预防区, a list you supply: it was not found).
Red line (生态保护红线): by default units overlapping the red line are only flagged (redline_flag); a rule file may include them in a zone type instead.
Outputs: GeoPackage layer 'units' with every indicator, zone_&lt;type&gt; 0/1, zones, zone_main, fired (readable audit), zone_audit (JSON: fired indicators with values, thresholds and sources, missing values, exclusions) and rules_version; layer 'zones' dissolved per county and zone type with ellipsoidal areas; a per-county CSV (UTF-8 with BOM); run metadata JSON citing the rule file and its version.</source>
        <translation>按规则文件将每个小流域划入水土流失重点预防区/重点治理区（水土保持法 第十二条）以及水土流失严重区域/生态脆弱区域（第十八条）：每种分区类型设一项基本指标和 N 项区域指标（指标、运算符、阈值、来源），按“任一满足”或“全部满足”组合（'1 + N'，长汀做法 [V]）；同时满足两种互斥类型的小流域按优先顺序确定（默认：治理优先于预防）。
官方阈值未找到(NOT FOUND)：随插件提供的规则文件（resources/rules/zoning_jilin.json、zoning_national.json）中的所有阈值均为默认值，非标准规定。请复制文件并编辑，作为“自定义规则文件”输入；该文件将按 resources/rules/zoning_schema.json 校验，未知指标或超出范围的阈值将被拒绝。
县限制：将某一分区类型限定于所列县(市、区)的小流域（例如长白山国家级重点预防区所涉各县，该名单需自行提供：未找到）。
生态保护红线：默认情况下，与生态保护红线重叠的小流域仅作标记（redline_flag）；规则文件也可将其划入某一分区类型。
输出：GeoPackage 图层 'units'，包含全部指标、zone_&lt;type&gt; 0/1、zones、zone_main、fired（可读的判定记录）、zone_audit（JSON：满足的指标及其数值、阈值和来源、缺失值、排除项）和 rules_version；图层 'zones'，按县和分区类型融合，含椭球面积；分县 CSV（带 BOM 的 UTF-8）；引用规则文件及其版本的运行元数据 JSON。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="95"/>
        <source>Unit indicators</source>
        <translation>小流域指标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_zoning.py" line="89"/>
        <source>Counties</source>
        <translation>县(市、区)</translation>
    </message>
</context>
<context>
    <name>ZoningPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_zoning.ui" line="9"/>
        <source>Key prevention / treatment, severe / fragile areas</source>
        <translation>重点预防区/重点治理区，水土流失严重区域/生态脆弱区域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_zoning.ui" line="18"/>
        <source>Rule file</source>
        <translation>规则文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_zoning.ui" line="46"/>
        <source>Edit a copy…</source>
        <translation>编辑副本…</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_zoning.ui" line="49"/>
        <source>Copies the rule file into the results folder and opens it for editing.</source>
        <translation>将规则文件复制到成果文件夹并打开编辑。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_zoning.ui" line="56"/>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_zoning.ui" line="68"/>
        <source>Indicators that fired, per small watershed:</source>
        <translation>各小流域满足的指标：</translation>
    </message>
</context>
<context>
    <name>RollupAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Sums the indicators of every small watershed (小流域) to 乡镇 (when known), 县, 市(州) and 省 of 吉林, with the codes and names of resources/divisions (NBS 2023): land area, 评价面积 (the land with erosion data: the land less its 无侵蚀数据 area), area per SL 190 erosion class, 水土流失面积 (轻度 and above), 水土保持率 = (评价面积 − 水土流失面积) / 评价面积, and the area of each zone type when the input is the zoning output. Areas are integers of 0.01 ha: every parent is the exact sum of its children.
Units and counties: by default each feature lies wholly in the county of its county code field (and the 乡镇 of the township code field, if given): 小流域亚单元 already split along county lines are each counted once. With county or township polygons, every unit is instead split by the share of its area (on the ellipsoid) inside each polygon; class and zone areas follow that share; what lies outside every polygon is reported and left out.
Targets: the province's 水土保持率 for each target year from the targets file (default resources/rules/targets_jilin.json: 80.21 % in 2025 and 83.66 % in 2035, from the 吉林 work plan as given in the plugin's requirements, not verified against the original), decomposed to every county by the method the file names (default: each county closes the same share of its gap to a ceiling). The land-area-weighted sum of the county targets reproduces the province target exactly. The method is a default of this plugin, NOT an official allocation, and the tables say so. Units outside the targets file&apos;s province are refused. A run with only some counties of the province marks its province and prefecture rows (coverage column, names like 吉林省（本次范围 1/60 县，非全省）) and flags every target: they depend on the counties included and are not for publication.
Outputs: GeoPackage with layers township, county, prefecture and province (dissolved by code, target rates per year); in the tables folder rollup.csv (every level), rollup_&lt;level&gt;.csv, targets.csv and rollup.xlsx, with Chinese headers; run metadata citing the targets file and its version.</source>
        <translation>把每个小流域的指标按吉林省的区划代码和名称（resources/divisions，国家统计局 2023）汇总到乡镇（已知时）、县、市(州)和省：土地面积、评价面积（有侵蚀数据的土地面积：土地面积减去无侵蚀数据面积）、各 SL 190 侵蚀强度级别面积、水土流失面积（轻度及以上）、水土保持率 = (评价面积 − 水土流失面积) / 评价面积；输入为区划结果时还有各类重点区域面积。面积以 0.01 公顷为整数单位计算：每个上级都精确等于其下级之和。
小流域与县：默认每个要素整体属于其县代码字段（以及给出时的乡镇代码字段）所指的县（乡镇）：已沿县界拆分的小流域亚单元各计一次。给出县界或乡镇界面时，每个小流域按其落在各面内的面积比例（椭球面积）拆分，侵蚀级别和重点区域面积按同一比例分配；落在所有面之外的部分单独报告，不计入汇总。
目标：目标文件给出各目标年份的全省水土保持率（默认 resources/rules/targets_jilin.json：2025 年 80.21 %、2035 年 83.66 %，取自本插件需求中给出的吉林工作方案，未经原文核实），按文件指定的方法分解到每个县（默认：各县把与上限之间的差距缩小同一比例）。各县目标按土地面积加权之和精确等于省目标。该方法是本插件的默认方法，不是官方分配，表中注明。不属于目标文件所在省的小流域会被拒绝。只含全省部分县的运行会标明其省、市(州)行（覆盖县数列，名称如“吉林省（本次范围 1/60 县，非全省）”），并标记每个目标：目标取决于本次包含的县，不可发布。
输出：GeoPackage，含 township、county、prefecture、province 图层（按代码融合，含各年目标）；表格文件夹中有 rollup.csv（所有级别）、rollup_&lt;级别&gt;.csv、targets.csv 和 rollup.xlsx，中文表头；运行元数据注明目标文件及其版本。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Unit indicators</source>
        <translation>小流域指标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Division polygons</source>
        <translation>区划面</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Unit indicators (from 'Indicators per small watershed' or zoning)</source>
        <translation>小流域指标（“小流域指标”或区划的结果）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>County code field of the units</source>
        <translation>小流域的县代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Township code field of the units</source>
        <translation>小流域的乡镇代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>County or township polygons (split units crossing their lines, optional)</source>
        <translation>县界或乡镇界面（按界线拆分跨界小流域，可选）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Code field of the division polygons</source>
        <translation>区划面的代码字段</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Roll-up GeoPackage (a layer per level)</source>
        <translation>汇总 GeoPackage（每个级别一个图层）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Counties (roll-up)</source>
        <translation>县（汇总）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Townships (roll-up)</source>
        <translation>乡镇（汇总）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Prefectures (roll-up)</source>
        <translation>市(州)（汇总）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Province (roll-up)</source>
        <translation>省（汇总）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Folder for the tables</source>
        <translation>表格输出文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_rollup.py" line="1"/>
        <source>Targets file (JSON; default: the shipped 吉林 targets)</source>
        <translation>目标文件（JSON；默认：随插件提供的吉林目标）</translation>
    </message>
</context>
<context>
    <name>ChangeAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Compares two years of erosion (水土流失动态监测): two rasters on the same grid (same CRS, origin, cell size and size; nothing is resampled), holding SL 190-2007 class codes 1–6 or erosion moduli in t/(km²·a) such as the CSLE step writes (classed by resources/rules/erosion_classes.json).
Per small watershed and per county: 水土流失面积 and 水土保持率 of each year and their change (percentage points). Each year is measured over all its cells with data by the engine and rules of 'Indicators per small watershed' and the roll-up (label counting on units on the grid, else exact cell-coverage fractions; true ground cell areas; class areas scaled to the unit's ellipsoidal area, 0.01 ha), so the earlier year equals the roll-up of the same raster. Cells with data in one year only are reported apart; the paired columns, the areas whose class fell or rose and the transition matrix hold the cells with data in both years. Counties: from the division polygons (county or 乡镇) when given, each unit split by area share as in the roll-up, else from the units' county_code field (each 亚单元 counted once in its county). Give the unit raster of the watershed step when the indicators were computed with it.
Transition matrix: area from each class of the earlier year to each class of the later year, with a 无数据 row and column (data in one year only), for all units and per county.
Progress: with the targets file (default resources/rules/targets_jilin.json, 吉林 work plan as given in the plugin's requirements, not verified), the province target of the target year is decomposed to the counties from the earlier year (a default method, not an official allocation) and each county's change is compared with its target.
Outputs: GeoPackage layers unit_change and county_change (the map of change), CSV and XLSX tables with Chinese headers, an HTML report with bar charts per county and a transition chart (inline SVG), optionally a raster of the class change, and run metadata citing the rule files and their versions.</source>
        <translation>比较两期土壤侵蚀（水土流失动态监测）：两个位于同一网格（坐标系、原点、像元大小和行列数相同，不做重采样）的栅格，内容为 SL 190-2007 强度级别代码 1–6，或侵蚀模数 t/(km²·a)（如 CSLE 步骤的结果，按 resources/rules/erosion_classes.json 分级）。
按小流域和按县：每期的水土流失面积和水土保持率及其变化（百分点）。每期按该期全部有效像元统计，方法和规则与“小流域指标”和汇总相同（小流域与网格对齐时按标签计数，否则按精确覆盖比例；像元按真实地面面积；侵蚀级别面积缩放到小流域椭球面积，精确到 0.01 公顷），因此前一期等于同一栅格的汇总结果。只有一期有数据的像元单独报告；“两期均有数据”各列、侵蚀强度降低和升高的面积及转移矩阵只含两期都有数据的像元。县：给出区划面（县或乡镇）时按面积比例拆分小流域，与汇总相同；否则按小流域的 county_code 字段（每个亚单元在其县内计一次）。小流域指标用了分水岭步骤的小流域栅格时，这里也请给出。
转移矩阵：前一期每个级别到后一期每个级别的面积（含“无数据”行和列，即只有一期有数据），全部小流域合计及按县。
进度：给出目标文件时（默认 resources/rules/targets_jilin.json，本插件需求中给出的吉林工作方案，未经核实），以前一期为基础把目标年份的省目标分解到各县（默认方法，非官方分配），并把各县的变化与其目标比较。
输出：GeoPackage 图层 unit_change 和 county_change（变化图）、中文表头的 CSV 和 XLSX 表格、含按县柱状图和转移图（内嵌 SVG）的 HTML 报告、可选的级别变化栅格，以及注明规则文件及其版本的运行元数据。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Small watersheds</source>
        <translation>小流域</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>County polygons</source>
        <translation>县界面</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Small watersheds (小流域, field unit_code)</source>
        <translation>小流域（字段 unit_code）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Erosion, earlier year</source>
        <translation>前一期土壤侵蚀</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Earlier year</source>
        <translation>前一期年份</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Erosion, later year</source>
        <translation>后一期土壤侵蚀</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Later year</source>
        <translation>后一期年份</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Erosion rasters hold</source>
        <translation>侵蚀栅格内容</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>SL 190 class codes 1–6 (微度…剧烈)</source>
        <translation>SL 190 强度级别代码 1–6（微度…剧烈）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>erosion modulus t/(km²·a), e.g. from CSLE</source>
        <translation>侵蚀模数 t/(km²·a)，如 CSLE 的结果</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>County or township polygons (optional; else the units' county code)</source>
        <translation>县界或乡镇界面（可选；否则用小流域的县代码）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Unit raster of the watershed step (int32 labels + .codes.csv, optional)</source>
        <translation>小流域划分步骤输出的小流域栅格（int32 标签 + .codes.csv，可选）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Code field of the division polygons (county or township code)</source>
        <translation>区划面的代码字段（县代码或乡镇代码）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Target year for the progress (0: none)</source>
        <translation>进度的目标年份（0：不计算）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Change GeoPackage (layers unit_change, county_change)</source>
        <translation>变化 GeoPackage（图层 unit_change、county_change）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>HTML report with charts</source>
        <translation>含图表的 HTML 报告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Class change raster (later − earlier class)</source>
        <translation>级别变化栅格（后期级别 − 前期级别）</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Change per small watershed</source>
        <translation>小流域变化</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Run metadata</source>
        <translation>运行元数据</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Folder for the tables</source>
        <translation>表格输出文件夹</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_change.py" line="1"/>
        <source>Targets file (JSON; default: the shipped 吉林 targets)</source>
        <translation>目标文件（JSON；默认：随插件提供的吉林目标）</translation>
    </message>
</context>
<context>
    <name>DisturbancePage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Disturbance patches against the zones and the red line</source>
        <translation>扰动图斑与区划、生态保护红线叠加核查</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Disturbance patches</source>
        <translation>扰动图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Last year's checked patches</source>
        <translation>上年核查图斑</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Ecological red line</source>
        <translation>生态保护红线</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Steep-slope patches</source>
        <translation>禁止开垦陡坡地</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Zones</source>
        <translation>分区</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Review statuses</source>
        <translation>核查销号</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Opens the checked patches in the reviewer panel (page 5), where each patch's status is set.</source>
        <translation>在校核面板（第 5 页）中打开核查结果，逐个设置图斑的核查状态。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Run check</source>
        <translation>运行核查</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Per county:</source>
        <translation>按县汇总：</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Field mapping</source>
        <translation>字段映射</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Which field of the patch layer holds the patch id, the area, the approval …: issued layers name their fields differently by year and issuer. Copy the file, add your layer's field names and choose the copy.</source>
        <translation>图斑图层中哪个字段是图斑编号、扰动面积、批复情况等：不同年度、不同下发单位的图层字段名不同。请复制该文件，加入本图层的字段名，再选择复制后的文件。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Risk rules</source>
        <translation>风险规则</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>Text encoding</source>
        <translation>文本编码</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_disturbance.ui" line="1"/>
        <source>For shapefiles without a .cpg file, e.g. GBK for older 扰动图斑 issued by the ministry.</source>
        <translation>用于没有 .cpg 文件的 Shapefile，例如较早下发的扰动图斑常为 GBK 编码。</translation>
    </message>
</context>
<context>
    <name>RollupPage</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Roll-up to township, county, city and province, with the targets</source>
        <translation>按乡镇、县、市、省汇总，并分解目标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Unit indicators</source>
        <translation>小流域指标</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Targets file</source>
        <translation>目标文件</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Change between two erosion years</source>
        <translation>两期水土流失动态变化</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Also compare two erosion years</source>
        <translation>同时对比两期土壤侵蚀</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Erosion, earlier year</source>
        <translation>前期土壤侵蚀</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Earlier year</source>
        <translation>前期年份</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Erosion, later year</source>
        <translation>后期土壤侵蚀</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Later year</source>
        <translation>后期年份</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Erosion rasters hold</source>
        <translation>侵蚀栅格内容</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Target year for the progress</source>
        <translation>目标进度年份</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Open the report</source>
        <translation>打开报告</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/page_rollup.ui" line="1"/>
        <source>Counties:</source>
        <translation>各县：</translation>
    </message>
</context>
</TS>
