"""core.common.compat: the same results as the old spellings, and no deprecation warning on any affine/shapely."""

from __future__ import annotations

import warnings

import numpy as np
from affine import Affine
from shapely.geometry import MultiPolygon, Polygon

from soil_conservation_plugin.core.common.compat import affine_mul, transform_xy

T = Affine(30.0, 0.0, 500_000.0, 0.0, -30.0, 4_600_000.0)


def test_affine_mul_composes_and_applies_like_the_product():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shifted = affine_mul(T, Affine.translation(2, 5))
        assert tuple(shifted)[:6] == (30.0, 0.0, 500_060.0, 0.0, -30.0, 4_599_850.0)
        assert affine_mul(T, (2, 5)) == (500_060.0, 4_599_850.0)
        assert affine_mul(~T, (500_060.0, 4_599_850.0)) == (2.0, 5.0)
        xs, ys = affine_mul(T, (np.array([0.5, 1.5]), np.array([0.5, 2.5])))
    np.testing.assert_array_equal(xs, [500_015.0, 500_045.0])
    np.testing.assert_array_equal(ys, [4_599_985.0, 4_599_925.0])


def test_transform_xy_moves_every_ring_and_part():
    shell = [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    hole = [(2, 2), (4, 2), (4, 4), (2, 4), (2, 2)]
    geom = MultiPolygon([Polygon(shell, [hole]), Polygon([(20, 0), (30, 0), (30, 5), (20, 0)])])

    def func(x, y):
        return np.asarray(x) * 2.0 + 1.0, np.asarray(y) - 3.0

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = transform_xy(func, geom)
    assert out.geom_type == "MultiPolygon" and len(out.geoms) == 2
    first = out.geoms[0]
    assert list(first.exterior.coords) == [(2 * x + 1.0, y - 3.0) for x, y in shell]
    assert list(first.interiors[0].coords) == [(2 * x + 1.0, y - 3.0) for x, y in hole]
    assert out.area == geom.area * 2.0
