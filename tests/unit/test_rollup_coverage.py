"""The roll-up of a subset of the province says so everywhere; 评价面积 is the land with erosion data;
units outside the targets file's province and bad county codes are refused, all listed."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.rollup import aggregate, assign
from soil_conservation_plugin.core.rollup import targets as tg
from soil_conservation_plugin.core.rollup.levels import PARTIAL_FLAG

from .test_rollup import CLASSES, unit_layer


def _targets(result):
    county = result.table("county").frame
    bases = [tg.CountyBase(r.code, r.name, r.parent_code, int(r.assessed), int(r.loss)) for r in county.itertuples()]
    return tg.decompose(bases, tg.load_targets())


def test_a_subset_of_the_province_is_marked_partial_in_the_levels_and_the_targets():
    units = unit_layer(np.random.default_rng(1), n_per_county=1, counties=("220521",))
    result = aggregate.rollup(assign.pieces_by_attribute(units, "units"))
    province = result.table("province").frame.iloc[0]
    assert province["name"] == "吉林省（本次范围 1/60 县，非全省）" and province["coverage"] == "1/60"
    assert result.partial and result.coverage()["220500"] == "1/7"
    table = _targets(result)
    assert (table["flag"].str.contains(PARTIAL_FLAG, regex=False)).all()
    assert "not for publication" in PARTIAL_FLAG
    assert table.loc[table["level"] == "province", "name"].str.contains("非全省").all()
    assert table.loc[table["level"] == "prefecture", "name"].str.contains("非全市").all()


def test_the_assessed_area_is_the_land_with_erosion_data():
    units = unit_layer(np.random.default_rng(2), n_per_county=2, counties=("220521",))
    cols = [f"eros_{k}_km2" for k in CLASSES.ids]
    units.loc[0, cols] = units.loc[0, cols] * 0.9  # a tenth of the unit has no erosion data
    county = aggregate.rollup(assign.pieces_by_attribute(units, "units")).table("county").frame.iloc[0]
    assert county["nodata"] > 0
    assert county["assessed"] == county["land"] - county["nodata"]
    assert county["assessed"] == sum(county[f"cls_{k}"] for k in CLASSES.ids)


def test_units_outside_the_targets_province_are_refused():
    units = unit_layer(np.random.default_rng(3), n_per_county=1)
    pieces = assign.pieces_by_attribute(units, "units")
    other = dataclasses.replace(tg.load_targets(), province_code="210000", province_name="辽宁省")
    with pytest.raises(InputError, match="210000") as err:
        assign.check_province(pieces, other.province_code, "units", "targets.json")
    assert "另" in err.value.zh or "别省" in err.value.zh
    assign.check_province(pieces, "220000", "units", "targets.json")  # 吉林's own units pass


def test_every_bad_county_code_is_listed():
    units = unit_layer(np.random.default_rng(4), n_per_county=3, counties=("220521",))
    units["county_code"] = ["999999", "110101", "220521"]
    with pytest.raises(InputError) as err:
        assign.pieces_by_attribute(units, "units")
    assert "2 " in err.value.en and "999999" in err.value.en and "110101" in err.value.en
