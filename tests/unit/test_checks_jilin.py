"""The checks on the real 吉林 county layer (../shared/data), as a layer meant to cover the province.

What the checks can and cannot see there:
- its coordinates are GCJ-02 labelled WGS 84 (~0.5 km offset): NOT detectable from the polygons
  alone (a near-uniform shift keeps validity, topology and areas); only the CRS label is reported
  (CRS-001, WGS 84 is not CGCS2000);
- 公主岭市 carries the old code 220381 (ATTR-006, info);
- no invalid or empty geometry, no overlap ≥ 1 m², no gap: verified here independently with OGR.
"""

from __future__ import annotations

import pytest
from osgeo import ogr
from pyproj import CRS, Transformer
from shapely import wkb

from soil_conservation_plugin.core.checks.inputs import read_vector
from soil_conservation_plugin.core.checks.quality import CheckOptions, run_checks
from soil_conservation_plugin.core.common.compat import transform_xy

from ..conftest import shared_file

ALBERS = CRS.from_proj4("+proj=aea +lat_1=25 +lat_2=47 +lon_0=105 +ellps=GRS80 +units=m")


def ogr_facts(path):
    """Validity counts and union holes by OGR/GEOS, and the Albers area (as in data/README.md)."""
    ds = ogr.Open(str(path))
    lyr = ds.GetLayer(0)
    valid = invalid = empty = 0
    union = None
    albers_area = 0.0
    to_albers = Transformer.from_crs(CRS.from_epsg(4326), ALBERS, always_xy=True).transform
    for f in lyr:
        g = f.GetGeometryRef()
        if g is None or g.IsEmpty():
            empty += 1
            continue
        if g.IsValid():
            valid += 1
        else:
            invalid += 1
        union = g.Clone() if union is None else union.Union(g)
        albers_area += transform_xy(to_albers, wkb.loads(bytes(g.ExportToWkb()))).area
    holes = 0
    parts = (
        [union]
        if union.GetGeometryType() == ogr.wkbPolygon
        else [union.GetGeometryRef(i) for i in range(union.GetGeometryCount())]
    )
    for p in parts:
        holes += p.GetGeometryCount() - 1
    return {
        "valid": valid,
        "invalid": invalid,
        "empty": empty,
        "union_parts": len(parts),
        "union_holes": holes,
        "albers_m2": albers_area,
    }


def test_jilin_counties_as_a_covering_layer(shared_data):
    path = shared_file(shared_data, "jilin_counties", "jilin_province.shp")
    facts = ogr_facts(path)
    assert facts["invalid"] == 0 and facts["empty"] == 0 and facts["valid"] == 60
    assert facts["union_holes"] == 0

    layer = read_vector(path, "jilin_province")
    result = run_checks(
        layer,
        CheckOptions(kind="generic", code_field="adcode", code_format="county", county_field="adcode", covers=True),
    )
    rules = sorted((i.rule_id, i.feature_id, i.value_text) for i in result.issues)
    valid_count = len(layer) - sum(1 for i in result.issues if i.rule_id in ("GEOM-001", "GEOM-002"))
    assert valid_count == facts["valid"]
    assert not [
        i
        for i in result.issues
        if i.rule_id in ("TOPO-001", "TOPO-002", "GEOM-003", "ATTR-003", "ATTR-004", "ATTR-005")
    ]
    # FID 35 is 公主岭市 with its old code; the layer says WGS 84, not CGCS2000
    assert rules == [("ATTR-006", "35", "220381"), ("CRS-001", None, "EPSG:4326 WGS 84")]
    assert result.counts() == {"error": 0, "warning": 1, "info": 1}
    # ellipsoidal total vs the independent Albers equal-area total: same to 0.1 km² (README: 189 966.5 km²)
    assert result.stats["area_m2"] == pytest.approx(facts["albers_m2"], abs=1e5)
    assert result.stats["area_m2"] / 1e6 == pytest.approx(189_966.5, abs=0.1)
    # sub-1 m² slivers between counties exist and are below the tolerance, not reported
    assert result.stats["gap_slivers_ignored"] == 0
