"""Found in the trial (branch trial): the export takes any layer of the roll-up GeoPackage as the
county roll-up. Given the layer province (or prefecture) as ROLLUP, the One-Map package's 县级水土保持统计
(XJSTBC) holds a "county" 220000 吉林省 (SJDM empty), with no word of warning.

Reproduction through qgis_process (demo region, rollup written by soil_conservation:rollup):
    qgis_process run soil_conservation:export -- ROLLUP="rollup.gpkg|layername=province" OUTPUT=/tmp/pkg_prov
    ogrinfo -q /tmp/pkg_prov/data/onemap.gpkg XJSTBC     # XZQDM = 220000, XZQMC = 吉林省

Expected: refused before anything is written, naming the layer (not a county layer / not county codes).
"""

from __future__ import annotations

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.export import package as ex

from .test_export_v02 import rollup_gpkg


@pytest.mark.parametrize("level", ["province", "prefecture"])
def test_a_roll_up_layer_above_the_county_is_refused_as_county_roll_up(tmp_path, level):
    rollup = rollup_gpkg(tmp_path)
    out = tmp_path / "package"
    with pytest.raises(InputError):
        ex.export_package(out, {"rollup": f"{rollup}|layername={level}"}, options=ex.ExportOptions(format="GPKG"))
    assert not out.exists()
