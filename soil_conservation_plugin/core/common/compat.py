"""The two library calls whose spelling changed between Debian 12 and Debian sid, in one place.

- affine: ``a * b`` (a transform applied to another or to a point) warns from affine 3.0.1
  (Debian sid), which wants ``a @ b``; affine 2.4 (Debian 12) has no ``@``.
- shapely: ``shapely.ops.transform`` is deprecated from shapely 2.2 (Debian sid) in favour of
  the vectorised ``shapely.transform``, which shapely 1.8 (Debian 12) does not have.
"""

from __future__ import annotations

import numpy as np
from affine import Affine

_MATMUL = hasattr(Affine, "__matmul__")


def affine_mul(a: Affine, b):
    """``a @ b`` where affine has it, else ``a * b`` (the same product): ``b`` an Affine,
    or a point ``(x, y)`` of floats or arrays."""
    return a @ b if _MATMUL else a * b


def transform_xy(func, geom):
    """``geom`` with every coordinate through ``func(x, y) -> (x, y)`` (vectorised, e.g. a pyproj
    ``Transformer.transform``). The result is 2D, as the callers need."""
    import shapely

    if hasattr(shapely, "transform"):  # shapely ≥ 2.0
        return shapely.transform(geom, lambda xy: np.column_stack(func(xy[:, 0], xy[:, 1])))
    from shapely.ops import transform  # shapely 1.8

    return transform(func, geom)
