"""Spatial lookups of the disturbance check (areas and polygon parts come from core.common.geo)."""

from __future__ import annotations

M2_PER_HA = 10_000.0


class SpatialIndex:
    """Indices of the geometries intersecting a query geometry (shapely 1.8 and 2.x spell STRtree differently)."""

    def __init__(self, geoms):
        import warnings

        from shapely.strtree import STRtree

        self.geoms = list(geoms)
        with warnings.catch_warnings():  # shapely 1.8 warns that STRtree changes in 2.0: handled below
            warnings.simplefilter("ignore")
            self.tree = STRtree(self.geoms) if self.geoms else None

    def intersecting(self, geom) -> list[int]:
        if self.tree is None:
            return []
        # shapely 1.8: query() gives geometries, query_items() indices; shapely 2: query() gives indices
        found = self.tree.query_items(geom) if hasattr(self.tree, "query_items") else self.tree.query(geom)
        return sorted(int(i) for i in found if self.geoms[int(i)].intersects(geom))
