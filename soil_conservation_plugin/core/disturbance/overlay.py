"""Each patch against each zone kind and the divisions it lies in; all areas ellipsoidal.

Zone kinds: steep (禁止开垦陡坡地), key_prevention, key_treatment, severe, fragile (the zoning
output) and redline (生态保护红线). The share of a patch inside a kind is area(patch ∩ ⋃ kind) /
area(patch): the features of one kind are united first, so overlapping features count once.
County, 乡镇 and 小流域: the feature holding the largest part of the patch, with that share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shapely.ops import unary_union

from ..common.geo import AreaCalc
from .geodesy import M2_PER_HA, SpatialIndex
from .layers import OverlayLayer

ZONE_KINDS = ("steep", "key_prevention", "key_treatment", "severe", "fragile", "redline")
ZONE_NAMES = {
    "steep": ("禁止开垦陡坡地", "steep slopes, reclamation prohibited"),
    "key_prevention": ("重点预防区", "key prevention zone"),
    "key_treatment": ("重点治理区", "key treatment zone"),
    "severe": ("水土流失严重区域", "severe-erosion area"),
    "fragile": ("生态脆弱区域", "ecologically fragile area"),
    "redline": ("生态保护红线", "ecological protection red line"),
}
OUTSIDE = ("", "")


@dataclass
class Overlap:
    """Part of a patch inside one zone kind."""

    ha: float
    pct: float


@dataclass
class Division:
    """The county / 乡镇 / 小流域 holding the largest part of a patch ('' outside all)."""

    code: str
    name: str
    pct: float


class Index:
    """An STRtree over one overlay layer."""

    def __init__(self, layer: OverlayLayer):
        self.layer = layer
        self.tree = SpatialIndex(layer.geoms)

    def pieces(self, patch) -> list[tuple[int, Any]]:
        return [(i, patch.intersection(self.layer.geoms[i])) for i in self.tree.intersecting(patch)]

    def overlap(self, patch, patch_m2: float, area: AreaCalc) -> Overlap:
        pieces = [g for _, g in self.pieces(patch) if not g.is_empty]
        if not pieces:
            return Overlap(0.0, 0.0)
        m2 = area(pieces[0] if len(pieces) == 1 else unary_union(pieces))
        m2 = min(m2, patch_m2)  # the union of pieces of the patch cannot exceed it (rounding of the transform)
        return Overlap(m2 / M2_PER_HA, 100.0 * m2 / patch_m2 if patch_m2 > 0 else 0.0)

    def division(self, patch, patch_m2: float, area: AreaCalc) -> Division:
        best, best_m2 = None, 0.0
        for i, piece in self.pieces(patch):
            m2 = area(piece)
            if m2 > best_m2:
                best, best_m2 = i, m2
        if best is None:
            return Division(*OUTSIDE, 0.0)
        pct = min(100.0, 100.0 * best_m2 / patch_m2) if patch_m2 > 0 else 0.0
        return Division(self.layer.codes[best], self.layer.names[best], pct)


@dataclass
class PatchOverlay:
    """Everything one patch is measured against. A zone kind or division whose layer was not given is None."""

    area_ha: float
    zones: dict  # kind → Overlap | None
    county: Division
    township: Division | None
    unit: Division | None
    landuse: Any  # LandUseShares | None


def overlay_patch(patch, area: AreaCalc, zones: dict, divisions: dict, landuse) -> PatchOverlay:
    """``zones``: kind → Index | None; ``divisions``: county / township / unit → Index | None."""
    m2 = area(patch)
    measured = {k: (idx.overlap(patch, m2, area) if idx is not None else None) for k, idx in zones.items()}
    found = {k: (idx.division(patch, m2, area) if idx is not None else None) for k, idx in divisions.items()}
    county = found.get("county") or Division(*OUTSIDE, 0.0)
    return PatchOverlay(
        area_ha=m2 / M2_PER_HA,
        zones=measured,
        county=county,
        township=found.get("township"),
        unit=found.get("unit"),
        landuse=landuse.shares(patch, area) if landuse is not None else None,
    )


def measures(ov: PatchOverlay, approval_state: str, dist_type: str, yoy: str | None, groups=()) -> dict:
    """The values the risk rules read; a measure whose layer was not given is absent. ``groups``:
    the land-use group ids of the mapping (0 % when the patch holds none of a group)."""
    out: dict = {"area_ha": ov.area_ha, "approval": approval_state, "dist_type": dist_type}
    for kind, o in ov.zones.items():
        if o is not None:
            out[f"{kind}_pct"] = o.pct
            out[f"{kind}_ha"] = o.ha
    if ov.landuse is not None:
        for group in (*groups, *ov.landuse.pct):
            out[f"lu_{group}_pct"] = ov.landuse.pct.get(group, 0.0)
    if yoy is not None:
        out["yoy"] = yoy
    return out
