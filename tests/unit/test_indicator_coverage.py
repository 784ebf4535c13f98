"""小流域 whose indicators rest on too little data: NULL plus the lacks_data flag, never a made-up
100 % 水土保持率; zoning does not fire on a NULL indicator and says so in the audit."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
from rasterio.transform import from_origin
from shapely.geometry import box

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.indicators import compute as ind
from soil_conservation_plugin.core.zoning.zones import evaluate, load_zoning_rules

from ..util import write_raster

X0, Y0 = 42_510_000.0, 4_620_000.0
T = from_origin(X0, Y0 + 1000, 10, 10)


def units():
    # a: west half (all NoData below), b: east half (all data), c: straddles (50 % data), d: 85 % data
    boxes = [(0, 400), (600, 1000), (300, 700), (440, 1000)]
    return gpd.GeoDataFrame(
        {"unit_code": list("abcd")}, geometry=[box(X0 + a, Y0, X0 + b, Y0 + 1000) for a, b in boxes], crs="EPSG:4530"
    )


def erosion(tmp_path, nodata_cols):
    z = np.full((100, 100), 3000, np.float32)  # 中度 everywhere there is data
    z[:, :nodata_cols] = -9999
    return write_raster(tmp_path / "erosion.tif", z, "EPSG:4530", T)


def test_an_erosion_raster_nodata_in_every_unit_is_refused_not_100_percent(tmp_path):
    """No valid cell in any 小流域: a wrong or empty raster; refused, never 水土保持率 100 %."""
    with pytest.raises(InputError, match="NoData inside every small watershed") as err:
        ind.compute_indicators(units(), erosion=erosion(tmp_path, 100))
    assert "无数据" in str(err.value)


def test_units_below_the_minimum_share_are_null(tmp_path):
    min_share = ind.load_data_coverage()["min_valid_share"]["value"]
    assert min_share == 0.8
    out, _ = ind.compute_indicators(units(), erosion=erosion(tmp_path, 50))
    by = out.set_index("unit_code")
    assert np.isnan(by.loc["a", "conservation_rate_pct"]) and np.isnan(by.loc["c", "loss_km2"])  # 0 % and 50 % data
    assert by.loc["b", "conservation_rate_pct"] == 0.0 and abs(by.loc["b", "loss_km2"] - 0.4) < 1e-9
    assert abs(by.loc["d", "loss_km2"] - 0.5) < 1e-9  # 50/56 ≈ 89 % data: computed on the data there is
    assert by.loc["a", ind.LACKS_DATA] == "erosion" and by.loc["c", ind.LACKS_DATA] == "erosion"
    assert by.loc["b", ind.LACKS_DATA] is None and by.loc["d", ind.LACKS_DATA] is None


def test_zoning_does_not_fire_on_a_null_indicator(tmp_path):
    out, _ = ind.compute_indicators(units(), erosion=erosion(tmp_path, 50))
    rules = load_zoning_rules("national")
    for name in (
        "steep_pct",
        "cropland_pct",
        "forest_grass_pct",
        "fvc_mean",
        "water_source_pct",
        "reserve_pct",
        "slope_gt25_pct",
        "redline_pct",
    ):
        out[name] = np.nan
    zoned = evaluate(out, rules)
    by = zoned.set_index("unit_code")
    assert by.loc["b", "zone_key_treatment"] == 1  # 100 % 中度 ≥ 30 % loss
    assert by.loc["a", "zone_key_treatment"] == 0 and by.loc["a", "zone_severe"] == 0
    audit = json.loads(by.loc["a", "zone_audit"])
    assert "loss_pct" in audit["key_treatment"]["missing"] and audit["key_treatment"]["fired"] == []
