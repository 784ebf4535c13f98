"""Found in the trial (branch trial): a typo in an optional field of an own field-mapping file
(批复情况 written 批复情形) is taken silently. The layer's 批复情况 column is then ignored, every
patch's approval becomes 'unknown', and the risk rules that need "无批复" (DR-003 重点预防区且无批复,
DR-006) no longer fire: on the demo region 重点核查 drops from 7 to 4 with no word in the log.

Reproduction through qgis_process (demo region, /tmp/trial-bad/map_opt.json = the shipped
disturbance_fields.json with fields/approval/candidates = ["批复情形"]):
    qgis_process run soil_conservation:disturbance_check -- PATCHES=".../disturbance_2025.gpkg|layername=扰动图斑" \
        ... FIELDS_FILE=/tmp/trial-bad/map_opt.json OUTPUT=... CHECKLIST=...
prints KEY_CHECK 4 (7 with the shipped mapping) and nothing about 批复情况.

Expected: the run tells the user which optional fields were not found (naming the field and the
candidates tried), as the notes of the prepared run, before any result is written.
"""

from __future__ import annotations

import json

from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.common.paths import resources_path
from soil_conservation_plugin.core.disturbance.run import run_check

from .disturbance_layers import scene


def test_an_optional_field_the_mapping_misses_is_reported(tmp_path):
    data = json.loads(resources_path("rules", "disturbance_fields.json").read_text(encoding="utf-8"))
    data["fields"]["approval"]["candidates"] = ["批复情形"]  # typo: the layer's field is 批复情况
    mapping = tmp_path / "fields_typo.json"
    mapping.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    inputs = scene(tmp_path)
    inputs.fields_file = str(mapping)
    with output_set():
        result = run_check(inputs)
    notes = " ".join(str(n) for n in result.prepared.notes)
    assert "批复情况" in notes or "批复情形" in notes, result.prepared.notes
