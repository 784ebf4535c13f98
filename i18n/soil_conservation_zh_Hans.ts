<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_Hans">
<context>
    <name>@default</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="39" />
        <source>✗ Choose a DEM raster layer.</source>
        <translation>✗ 请选择 DEM 栅格图层。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="44" />
        <source>✗ The DEM has no CRS.</source>
        <translation>✗ DEM 没有坐标参考系。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="46" />
        <source>✗ The DEM is in Web Mercator; reproject it to CGCS2000.</source>
        <translation>✗ DEM 为 Web 墨卡托投影，请先投影到 CGCS2000。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="48" />
        <source>✓ {crs}, {w}×{h} cells</source>
        <translation>✓ {crs}，{w}×{h} 个像元</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/plugin.py" line="71" />
        <source>Soil conservation zoning</source>
        <translation>水土保持重点区域划定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="79" />
        <source>Cancelled; nothing was written.</source>
        <translation>已取消，未写出任何结果。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="83" />
        <source>The run failed.</source>
        <translation>运行失败。</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.py" line="88" />
        <source>Slope (°)</source>
        <translation>坡度 (°)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/plugin.py" line="44" />
        <source>&amp;Soil conservation zoning</source>
        <translation>水土保持重点区域划定(&amp;S)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/provider.py" line="37" />
        <source>Soil conservation zoning (水土保持)</source>
        <translation>水土保持重点区域划定</translation>
    </message>
</context>
<context>
    <name>SlopeAlgorithm</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="37" />
        <source>DEM</source>
        <translation>数字高程模型 (DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="21" />
        <source>Slope (degrees)</source>
        <translation>坡度 (度)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="24" />
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
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="38" />
        <source>Slope: {n} valid cells, min {lo:.2f}°, mean {mean:.2f}°, max {hi:.2f}°</source>
        <translation>坡度：有效像元 {n} 个，最小 {lo:.2f}°，平均 {mean:.2f}°，最大 {hi:.2f}°</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="44" />
        <source>Slope (°)</source>
        <translation>坡度 (°)</translation>
    </message>
</context>
<context>
    <name>SoilConservation</name>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="12" />
        <source>Slope (degrees, ground units)</source>
        <translation>坡度 (度，真实地面单位)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/processing/alg_slope.py" line="13" />
        <source>Terrain</source>
        <translation>地形</translation>
    </message>
</context>
<context>
    <name>SoilConservationDock</name>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="6" />
        <source>Soil conservation zoning</source>
        <translation>水土保持重点区域划定</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="14" />
        <source>Slope</source>
        <translation>坡度</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="20" />
        <source>DEM</source>
        <translation>数字高程模型 (DEM)</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="37" />
        <source>Compute slope</source>
        <translation>计算坡度</translation>
    </message>
    <message>
        <location filename="../soil_conservation_plugin/gui/dock.ui" line="60" />
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
</context>
</TS>