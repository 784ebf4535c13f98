"""What a steep-slope run produces: its pieces (patch ∩ county ∩ 乡镇 ∩ 小流域) and their context.

Shared by the delineation that fills it and the outputs that write it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..common.rules import RuleValue
from ..terrain.dem import DEFAULT_BAND_CELLS, Dem
from .inputs import Zones

# 4 M cells per band: ~300 MB working set; the per-band cost is small, so smaller bands only cut memory
BAND_CELLS = min(DEFAULT_BAND_CELLS, 1 << 22)
OUTSIDE_TOWNSHIP = ("", "(乡镇外 outside townships)")
OUTSIDE_UNIT = ("", "(小流域外 outside units)")


@dataclass
class SteepOptions:
    threshold: float | None = None  # None → province rule
    province: str | None = None  # None → from the county codes; "national" → 25°
    min_patch_ha: float | None = None  # None → rules default (5 ha); 0 = no minimum
    connectivity: int = 8
    band_cells: int = BAND_CELLS


@dataclass
class Piece:
    patch_id: str
    parent_id: str
    county: int
    township: int
    unit: int
    area_ha: float
    slope_mean: float
    slope_max: float
    cells: int
    wkb: bytes = b""  # MultiPolygon, little-endian WKB, in the DEM CRS
    key: int = field(default=-1, repr=False, compare=False)  # the delineation's piece key (component, zones)

    @property
    def geometry(self):
        from shapely import wkb

        return wkb.loads(bytes(self.wkb))


@dataclass
class SteepResult:
    pieces: list
    counties: Zones
    townships: Zones | None
    units: Zones | None
    threshold: RuleValue
    min_patch: RuleValue
    connectivity: int
    dem: Dem
    stats: dict = field(default_factory=dict)
    messages: list = field(default_factory=list)
    counties_on_dem: list = field(default_factory=list)  # county indices with cells on the DEM grid
    county_township: dict = field(default_factory=dict)  # county idx → [township idx with cells in it]
    county_unit: dict = field(default_factory=dict)

    @property
    def patch_count(self) -> int:
        return len({p.parent_id for p in self.pieces})

    @property
    def total_ha(self) -> float:
        return round(sum(p.area_ha for p in self.pieces), 4)
