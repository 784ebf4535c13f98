"""From 小流域 to 乡镇, 县, 市(州) and 省: roll-up with exact sums, target decomposition, change between years.

- ``levels``: the division hierarchy of 吉林 (resources/divisions) and exact rounding to 0.01 ha;
- ``assign``: which 乡镇/县 each 小流域 (or each part of it) belongs to;
- ``aggregate``: sums per level;
- ``targets``: the versioned targets file and its decomposition to 县 and 市(州);
- ``change``: two erosion years, per 小流域 and per 县, with the class transition matrix;
- ``report``: the HTML report with inline SVG charts; ``outputs``: tables and GeoPackage layers.
"""
