"""Found in the trial (branch trial): a typo in an optional field of an own field-mapping file
(批复情况 written 批复情形) is taken silently. The layer's 批复情况 column is then ignored, every
patch's approval becomes 'unknown', and the risk rules that need "无批复" (DR-003 重点预防区且无批复,
DR-006) no longer fire: on the demo region 重点核查 drops from 7 to 4 with no word in the log.

Reproduction through qgis_process (demo region, /tmp/trial-bad/map_opt.json = the shipped
disturbance_fields.json with fields/approval/candidates = ["批复情形"]):
    qgis_process run soil_conservation:disturbance_check -- PATCHES=".../disturbance_2025.gpkg|layername=扰动图斑" \
        ... FIELDS_FILE=/tmp/trial-bad/map_opt.json OUTPUT=... CHECKLIST=...
prints KEY_CHECK 4 (7 with the shipped mapping) and nothing about 批复情况.

Expected: the run tells the user which fields were not found (naming the field and the candidates
tried) before any result is written. In the user's own mapping file every field it lists must be
found: a miss is refused, naming the field, its candidates and the layer's fields. With the shipped
mapping an absent optional field that a risk rule reads is a warning in the notes (log, report,
metadata), naming the rules that cannot be decided; so is a missing 扰动面积.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from soil_conservation_plugin.core.common.errors import InputError
from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.disturbance.run import run_check, write_outputs

from .disturbance_layers import scene


def test_an_optional_field_the_mapping_misses_is_reported(tmp_path):
    data = json.loads(resources_path("rules", "disturbance_fields.json").read_text(encoding="utf-8"))
    data["fields"]["approval"]["candidates"] = ["批复情形"]  # typo: the layer's field is 批复情况
    for name in ("project", "builder"):  # fields the scene's layer does not have: not listed
        del data["fields"][name]
    mapping = tmp_path / "fields_typo.json"
    mapping.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    inputs = scene(tmp_path)
    inputs.fields_file = str(mapping)
    out = tmp_path / "check.gpkg"
    with pytest.raises(InputError) as err, output_set():
        result = run_check(inputs)
        write_outputs(result, out, tmp_path / "清单", inputs)
    e = err.value
    assert e.layer == inputs.label("patches")
    assert "批复情况" in e.zh and "批复情形" in e.zh and "fields_typo.json" in e.zh
    assert "批复情形" in e.en and "图斑编号" in e.en and "扰动类型" in e.en  # the candidates and the layer's fields
    assert not out.exists()


def test_an_absent_field_a_rule_reads_is_a_warning_with_the_shipped_mapping(tmp_path):
    import geopandas as gpd

    inputs = scene(tmp_path)
    gdf = gpd.read_file(inputs.patches, layer="patches").drop(columns=["批复情况", "扰动面积"])
    path = tmp_path / "no_approval.gpkg"
    gdf.to_file(str(path), layer="patches", driver="GPKG")
    inputs.patches = str(path)
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    with output_set():
        result = run_check(inputs)
        written = write_outputs(result, out, folder, inputs)
    warnings = [n for n in result.prepared.notes if n.startswith("警告")]
    assert len(warnings) == 2, result.prepared.notes
    approval = next(w for w in warnings if "批复情况" in w)
    assert "DR-003" in approval and "DR-006" in approval and "cannot be decided" in approval
    area = next(w for w in warnings if "扰动面积" in w)
    assert "issued_ha" in area
    report = Path(written["report"]).read_text(encoding="utf-8")
    assert "DR-003, DR-006" in report and "issued_ha is left empty" in report
    meta = json.loads(Path(written["metadata"]).read_text(encoding="utf-8"))
    assert set(warnings) <= set(meta["results"]["notes"])


def test_the_shipped_mapping_given_by_path_is_the_shipped_mapping(tmp_path):
    """The dock passes the shipped file by path: it is not an own mapping (no refusal of absent fields)."""
    inputs = scene(tmp_path)
    inputs.fields_file = str(resources_path("rules", "disturbance_fields.json"))
    with output_set():
        result = run_check(inputs)
    assert not result.prepared.mapping.own and len(result.rows) == 5
