<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.22.0" styleCategories="AllStyleCategories">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" classificationMin="0" classificationMax="45">
      <rasterTransparency/>
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.02</cumulativeCutLower>
        <cumulativeCutUpper>0.98</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" minimumValue="0" maximumValue="45">
            <item alpha="255" value="0" label="0°" color="#1a9641"/>
            <item alpha="255" value="2" label="2°" color="#66bd63"/>
            <item alpha="255" value="6" label="6°" color="#a6d96a"/>
            <item alpha="255" value="15" label="15°" color="#fee08b"/>
            <item alpha="255" value="20" label="20°" color="#fdae61"/>
            <item alpha="255" value="25" label="25°" color="#f46d43"/>
            <item alpha="255" value="35" label="35°" color="#d73027"/>
            <item alpha="255" value="45" label="45°" color="#7f0000"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <huesaturation saturation="0" colorizeOn="0" grayscaleMode="0"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
