"""Found in the trial (branch trial): an output GeoPackage that holds the user's own layer named like
one of the plugin's layers loses it without a word. The roll-up writes a layer "county"; a user who
gives as OUTPUT their own GeoPackage with their county boundary in a layer "county" (the name the
demo itself uses) gets it replaced by the roll-up's county table. Layers with other names survive;
whole folders not written by the plugin are refused ("不是本插件写的") – a layer is not protected the same way.

Reproduction through qgis_process (demo region):
    ogr2ogr -f GPKG /tmp/user_county.gpkg inputs/county.gpkg county -nln county
    qgis_process run soil_conservation:rollup -- INPUT="results/zoning/zoning.gpkg|layername=units" \
        COUNTY_FIELD=county_code OUTPUT=/tmp/user_county.gpkg TABLES=/tmp/user_county_t
    ogrinfo -so /tmp/user_county.gpkg county     # fields level, code, name, ...: the user's layer is gone

Expected: the run refuses (naming the GeoPackage and the layer) or leaves the user's layer as it was.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.rollup import aggregate, assign, outputs

from .test_rollup import unit_layer


def test_a_users_own_layer_named_like_an_output_layer_survives(tmp_path):
    units = unit_layer(np.random.default_rng(3))
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units"))
    path = tmp_path / "my_project.gpkg"
    gpd.GeoDataFrame(
        {"county_code": ["220521"], "note": ["我的县界，勿删"]}, geometry=[box(0, 0, 1, 1)], crs=units.crs
    ).to_file(str(path), layer="county", driver="GPKG")
    try:
        with output_set():
            outputs.write_rollup_layers(result, None, path, units.crs)
    except InputError:
        pass  # a refusal is fine
    mine = gpd.read_file(str(path), layer="county")
    assert "note" in mine.columns and list(mine["note"]) == ["我的县界，勿删"]
