"""Year over year: each new patch against last year's checked patches.

A new patch is at the same place as a patch of last year when their overlap is at least
``min_overlap_pct`` of the smaller of the two (ellipsoidal areas); of several such patches the one
with the largest overlap counts. Then: 'closed' when that patch was 已销号, else 'same'; 'new'
when no patch of last year overlaps enough.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyproj import CRS

from ..common.geo import AreaCalc
from .fields import FieldMapping, find_field
from .geodesy import SpatialIndex
from .layers import _read_in, _text
from .status import CLOSED

KINDS = {
    "new": ("新增", "new"),
    "same": ("同位置（上年已下发）", "same place as last year"),
    "closed": ("上年已销号", "already closed last year"),
}


@dataclass
class PreviousPatch:
    patch_id: str
    year: str
    status: str
    geometry: object


@dataclass
class YoyMatch:
    kind: str  # new / same / closed
    prev_id: str = ""
    prev_year: str = ""
    prev_status: str = ""
    overlap_pct: float = 0.0  # of the smaller of the two patches

    @property
    def zh(self) -> str:
        return KINDS[self.kind][0]


@dataclass
class PreviousLayer:
    label: str
    path: str
    patches: list
    has_status: bool
    encoding: str = ""


def read_previous(path, label: str, crs: CRS, mapping: FieldMapping, encoding: str | None = None) -> PreviousLayer:
    """Last year's patches (this algorithm's output layer, or any patch layer with a status field)."""
    from .layers import _column

    gdf, _, enc = _read_in(path, label, crs, ("disturbance_patches",), encoding)
    columns = [c for c in gdf.columns if c != "geometry"]
    id_col = _column(gdf, mapping.fields["patch_id"]["candidates"], label, "图斑编号", "patch id")
    year_col = find_field(columns, mapping.fields.get("year", {}).get("candidates", ["year"]))
    status_col = find_field(columns, mapping.layers["previous"]["status"])
    patches = [
        PreviousPatch(
            _text(row[id_col]),
            _text(row[year_col]) if year_col else "",
            _text(row[status_col]) if status_col else "",
            geom,
        )
        for (_, row), geom in zip(gdf.iterrows(), gdf.geometry.values)
    ]
    return PreviousLayer(label, str(path), patches, status_col is not None, enc)


class YoyMatcher:
    def __init__(self, previous: PreviousLayer, area: AreaCalc, min_overlap_pct: float):
        self.previous = previous.patches
        self.area = area
        self.min_overlap_pct = min_overlap_pct
        self.tree = SpatialIndex([p.geometry for p in self.previous])
        self._prev_m2: dict[int, float] = {}

    def _m2(self, i: int) -> float:
        if i not in self._prev_m2:
            self._prev_m2[i] = self.area(self.previous[i].geometry)
        return self._prev_m2[i]

    def match(self, patch, patch_m2: float) -> YoyMatch:
        best, best_pct = None, 0.0
        for i in self.tree.intersecting(patch):
            smaller = min(patch_m2, self._m2(i))
            if smaller <= 0:
                continue
            pct = 100.0 * self.area(patch.intersection(self.previous[i].geometry)) / smaller
            if pct > best_pct:
                best, best_pct = i, min(pct, 100.0)
        if best is None or best_pct < self.min_overlap_pct:
            return YoyMatch("new", overlap_pct=best_pct)
        prev = self.previous[best]
        kind = "closed" if prev.status == CLOSED else "same"
        return YoyMatch(kind, prev.patch_id, prev.year, prev.status, best_pct)
