"""The HTML report of the disturbance check: per county, bars of patches and area by risk class and
zone kind, parsed back from the SVG and compared with the 核查清单 files (not with the code's numbers)."""

from __future__ import annotations

from html.parser import HTMLParser

import numpy as np

from soil_conservation_plugin.core.common.io import output_set
from soil_conservation_plugin.core.common.tables import read_csv
from soil_conservation_plugin.core.disturbance.report import REPORT_NAME
from soil_conservation_plugin.core.disturbance.run import run_check, write_outputs

from .disturbance_layers import b, scene

RISK = ("疑似陡坡开垦", "重点核查", "一般核查")
RISK_IDS = {"steep_reclamation": "疑似陡坡开垦", "key_check": "重点核查", "check": "一般核查"}
ZONE_HEADERS = {
    "steep": "禁止开垦陡坡地(公顷)",
    "key_prevention": "重点预防区(公顷)",
    "key_treatment": "重点治理区(公顷)",
    "severe": "水土流失严重区域(公顷)",
    "fragile": "生态脆弱区域(公顷)",
    "redline": "生态保护红线(公顷)",
}


class Bars(HTMLParser):
    """section data-code → {(data-key, data-measure): data-value} of every bar."""

    def __init__(self):
        super().__init__()
        self.sections: dict = {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.current = self.sections.setdefault(a["data-code"], {})
        elif tag == "rect" and "data-key" in a:
            self.current[(a["data-key"], a["data-measure"])] = a["data-value"]


def many_patches(n=80, seed=23):
    rng = np.random.default_rng(seed)
    out = {}
    for i in range(n):
        x, y = rng.uniform(0, 3900), rng.uniform(0, 1900)
        w, h = rng.uniform(3, 120), rng.uniform(3, 120)
        out[f"R{i:03d}"] = (b(x, y, min(x + w, 4000), min(y + h, 2000)), rng.choice(["已批复", "未批复"]))
    return out


def test_the_report_figures_equal_the_checklist_sums(tmp_path):
    d = tmp_path / "scene"
    d.mkdir()
    inputs = scene(d, many_patches())
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    with output_set():
        written = write_outputs(run_check(inputs, existing_output=out), out, folder, inputs)
    assert written["report"] == str(folder / REPORT_NAME)
    text = (folder / REPORT_NAME).read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 3 * 4  # 2 counties + 合计, 4 charts each
    parser = Bars()
    parser.feed(text)
    summary = {r["县代码"]: r for r in read_csv(folder / "核查清单汇总.csv")}
    assert set(parser.sections) == {"220521", "220502", "合计"} == set(summary)
    for code, name in (("220521", "通化县"), ("220502", "东昌区"), ("合计", None)):
        bars = parser.sections[code]
        row = summary[code]
        for cid, zh in RISK_IDS.items():
            assert int(bars[(f"risk:{cid}", "count")]) == int(row[f"{zh}(个)"]), (code, zh)
            assert float(bars[(f"risk:{cid}", "ha")]) == float(row[f"{zh}(公顷)"]), (code, zh)
        assert sum(int(bars[(f"risk:{c}", "count")]) for c in RISK_IDS) == int(row["图斑数"])
        lists = (
            [read_csv(folder / f"核查清单_{code}_{name}.csv")]
            if name
            else [read_csv(folder / "核查清单_220521_通化县.csv"), read_csv(folder / "核查清单_220502_东昌区.csv")]
        )
        for kind, header in ZONE_HEADERS.items():
            body = [r for rows in lists for r in rows[:-1]]
            totals = [float(rows[-1][header] or 0) for rows in lists]
            assert float(bars[(f"zone:{kind}", "ha")]) == round(sum(totals), 2), (code, kind)
            touching = sum(1 for r in body if r[header] and float(r[header]) > 0)
            assert int(bars[(f"zone:{kind}", "count")]) == touching, (code, kind)
    # the scene has patches in the red line and in 禁止开垦陡坡地: the figures are not all zero
    assert float(parser.sections["合计"][("zone:steep", "ha")]) > 0
    assert int(parser.sections["合计"][("risk:steep_reclamation", "count")]) > 0


def test_a_zone_kind_not_given_has_no_bars(tmp_path):
    d = tmp_path / "scene"
    d.mkdir()
    inputs = scene(d)
    inputs.redline = None
    out, folder = tmp_path / "check.gpkg", tmp_path / "清单"
    with output_set():
        write_outputs(run_check(inputs, existing_output=out), out, folder, inputs)
    parser = Bars()
    text = (folder / REPORT_NAME).read_text(encoding="utf-8")
    parser.feed(text)
    assert all(("zone:redline", "ha") not in bars for bars in parser.sections.values())
    assert ("zone:steep", "ha") in parser.sections["合计"] and "未提供 not given: 生态保护红线" in text
