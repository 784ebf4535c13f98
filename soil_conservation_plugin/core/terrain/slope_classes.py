"""Slope classes of the land surveys (resources/rules/slope_classes.json): the indicator step's
shares per class, as versioned data with its source. Loaded and checked once."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from ..common.paths import resources_path
from ..common.rules import load_json_rules

SLOPE_CLASSES_FILE = ("rules", "slope_classes.json")


@dataclass(frozen=True)
class SlopeClasses:
    ids: tuple[str, ...]  # indicator columns <id>_pct
    bounds: tuple[tuple[float, float], ...]  # (lower, upper] in degrees, the first from 0
    version: str
    source: str
    tag: str

    @property
    def breaks(self) -> tuple[float, ...]:
        """The upper bounds of every class but the last (upper bound inclusive)."""
        return tuple(upper for _, upper in self.bounds[:-1])

    def citation(self) -> dict:
        """What the run metadata records about the classes."""
        return {
            "version": self.version,
            "source": self.source,
            "tag": self.tag,
            "classes": {i: list(b) for i, b in zip(self.ids, self.bounds)},
        }


@functools.lru_cache(maxsize=1)
def slope_classes() -> SlopeClasses:
    return read_slope_classes(resources_path(*SLOPE_CLASSES_FILE))


def read_slope_classes(path) -> SlopeClasses:
    """The slope classes in ``path``, checked (slope_classes: the shipped file, read once)."""
    data = load_json_rules(path)
    try:
        assert data["version"] and data["source"]
        classes = data["classes"]
        ids = tuple(str(c["id"]) for c in classes)
        bounds = tuple((float(c["lower_deg"]), float(c["upper_deg"])) for c in classes)
        assert len(ids) >= 2 and len(set(ids)) == len(ids) and all(i.isidentifier() for i in ids)
        assert bounds[0][0] == 0 and bounds[-1][1] == 90
        assert all(lo < hi for lo, hi in bounds)
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:])), "classes must join without gaps"
    except (KeyError, AssertionError, TypeError, ValueError) as exc:
        raise RuntimeError(f"invalid slope-class file {path}: {exc!r}") from exc  # a packaging error
    return SlopeClasses(ids, bounds, str(data["version"]), str(data["source"]), str(data.get("tag", "")))
