"""slope_block with skip_below_deg (the steep-slope step) keeps every value and the steep mask
of the full computation."""

import numpy as np
import pytest

from soil_conservation_plugin.core.terrain.slope import GENTLE, SLOPE_NODATA, slope_block


@pytest.mark.parametrize("threshold", [0.0, 5.0, 20.0, 25.0, 44.9, 90.0])
def test_matches_slope_block(threshold):
    rng = np.random.default_rng(3)
    z = rng.normal(size=(202, 180)).cumsum(0).cumsum(1) * 3.0
    z[50:55, 60:64] = np.nan  # NoData hole
    dx = np.linspace(70.0, 72.0, 202)  # geographic-like per-row spacing
    dy = np.full(202, 92.6)
    ref = slope_block(z, dx, dy)
    ours = slope_block(z, dx, dy, skip_below_deg=threshold)
    assert np.array_equal(ref == SLOPE_NODATA, ours == SLOPE_NODATA)
    steep_ref = (ref != SLOPE_NODATA) & (ref >= threshold)
    steep_ours = (ours != SLOPE_NODATA) & (ours >= threshold)
    near = np.abs(ref - threshold) < 1e-4  # the two arctangents may round apart only here
    assert np.array_equal(steep_ref & ~near, steep_ours & ~near)
    both = steep_ref & steep_ours
    np.testing.assert_allclose(ours[both], ref[both], rtol=0, atol=1e-4)  # degrees
    gentle = (ours == GENTLE) & (ref != SLOPE_NODATA)
    assert (ref[gentle] < threshold).all()
    if 0 < threshold < 90:
        assert steep_ref.any() and (~steep_ref & (ref != SLOPE_NODATA)).any()
