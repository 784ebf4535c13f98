"""The whole chain, units → slope → steep slopes → indicators → zoning → checks → disturbance patches →
roll-up → change between erosion years → export → publication.

`make demo` and the dock's "run all" both call run_chain, so the headless pipeline
and the panels run exactly the same Processing algorithms with the same parameters.
Each step writes its own outputs atomically; the demo's results folder as a whole
appears only when every step has succeeded.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

from ..core.common.feedback import Feedback, SubFeedback
from ..core.common.io import atomic_path, write_json
from ..core.common.paths import resources_path
from ..core.common.rules import province_code, steep_slope_threshold
from .alg_change import ChangeAlgorithm as Change
from .alg_checks import ChecksAlgorithm as Checks
from .alg_disturbance import DisturbanceCheckAlgorithm as Disturbance
from .alg_export import ExportAlgorithm as Export
from .alg_import_units import ImportUnitsAlgorithm as ImportUnits
from .alg_indicators import UnitIndicatorsAlgorithm as Indicators
from .alg_publish import PublishAlgorithm as Publish
from .alg_rollup import RollupAlgorithm as Rollup
from .alg_slope import SlopeAlgorithm as Slope
from .alg_steep_slope import SteepSlopeAlgorithm as Steep
from .alg_watersheds import DelineateWatershedsAlgorithm as Watersheds
from .alg_zoning import ZoningAlgorithm as Zoning
from .provider import PROVIDER_ID


class _Relay(QgsProcessingFeedback):
    """Forwards a step's Processing feedback to the chain's core Feedback."""

    def __init__(self, feedback: Feedback):
        super().__init__()
        self.core = feedback
        self.progressChanged.connect(lambda p: self.core.progress(p))

    def pushInfo(self, info):  # noqa: N802
        self.core.info("    " + info)

    def isCanceled(self):  # noqa: N802
        return self.core.cancelled() or super().isCanceled()


def has_algorithm(name: str) -> bool:
    return QgsApplication.processingRegistry().algorithmById(f"{PROVIDER_ID}:{name}") is not None


def run_step(name: str, params: dict, feedback: Feedback) -> dict:
    import processing  # QGIS's Processing plugin, there once QGIS has initialised it

    feedback.check()
    feedback.info(f"== {PROVIDER_ID}:{name}")
    relay = _Relay(feedback)
    result = processing.run(f"{PROVIDER_ID}:{name}", params, context=QgsProcessingContext(), feedback=relay)
    feedback.check()  # an algorithm that noticed the cancel returns early; stop the chain there
    return result


def _layer(path, name: str) -> str:
    return f"{path}|layername={name}"


@dataclass
class _Chain:
    """What the steps of run_chain share: the inputs by role, the results folder and the results so far."""

    inputs: dict
    out: Path
    done: dict

    def path(self, *parts: str) -> str:
        return str(self.out.joinpath(*parts))

    def get(self, role: str, default=None):
        return self.inputs.get(role, default)

    @property
    def county_fields(self) -> tuple[str, str]:
        return self.get("county_code_field", "county_code"), self.get("county_name_field", "county_name")

    @property
    def province(self) -> str | None:
        """'220000', 'national', or None: the steep-slope step takes it from the county codes."""
        return self.get("province") or None

    def units_layer(self) -> str:
        result = self.done.get(Watersheds.NAME) or self.done.get(ImportUnits.NAME) or {}
        return _layer(result[Watersheds.OUTPUT], "units")

    def given(self, roles: dict[str, str]) -> dict:
        """{parameter: input} for the optional inputs (role → parameter) the chain was given."""
        return {param: self.inputs[role] for role, param in roles.items() if self.inputs.get(role)}


def _import_units(c: _Chain) -> dict:
    a, (code_field, name_field) = ImportUnits, c.county_fields
    return {
        a.INPUT: c.get("units"),
        a.CODE_FIELD: c.get("unit_code_field", "unit_code"),
        a.NAME_FIELD: c.get("unit_name_field", ""),
        a.DOWN_FIELD: c.get("unit_down_field", ""),
        a.COUNTIES: c.get("county"),
        a.COUNTY_CODE_FIELD: code_field,
        a.COUNTY_NAME_FIELD: name_field,
        a.OUTPUT: c.path("units", "units.gpkg"),
        a.REPORT: c.path("units", "validation.csv"),
        a.TOPOLOGY: c.path("units", "topology.csv"),
        a.METADATA: c.path("units", "units.meta.json"),
    }


def _watersheds(c: _Chain) -> dict:
    a, (code_field, name_field) = Watersheds, c.county_fields
    return {
        a.INPUT: c.get("dem"),
        a.COUNTIES: c.get("county"),
        a.COUNTY_CODE_FIELD: code_field,
        a.COUNTY_NAME_FIELD: name_field,
        a.OUTPUT: c.path("units", "units.gpkg"),
        a.TOPOLOGY: c.path("units", "topology.csv"),
        a.RASTER: c.path("units", "units.tif"),
        a.METADATA: c.path("units", "units.meta.json"),
    }


def _slope(c: _Chain) -> dict:
    return {Slope.INPUT: c.get("dem"), Slope.OUTPUT: c.path("slope", "slope.tif")}


def _steep_slope(c: _Chain) -> dict:
    a, (code_field, name_field) = Steep, c.county_fields
    params = {
        a.INPUT: c.get("dem"),
        a.COUNTY: c.get("county"),
        a.COUNTY_CODE_FIELD: code_field,
        a.COUNTY_NAME_FIELD: name_field,
        a.UNITS: c.units_layer(),
        a.PROVINCE: a.province_index(c.province),
        a.OUTPUT: c.path("steep_slope", "steep_slope.gpkg"),
        a.TABLES_FOLDER: c.path("steep_slope"),
    }
    if c.get("townships"):
        params.update(
            {
                a.TOWNSHIPS: c.get("townships"),
                a.TOWNSHIP_CODE_FIELD: c.get("township_code_field", "township_code"),
                a.TOWNSHIP_NAME_FIELD: c.get("township_name_field", "township_name"),
            }
        )
    return params | c.given({"farmland": a.FARMLAND, "construction": a.CONSTRUCTION, "water": a.WATER})


def _unit_indicators(c: _Chain) -> dict:
    a = Indicators
    province = c.province
    params = {
        a.UNITS: c.units_layer(),
        a.DEM: c.get("dem"),
        a.STEEP_DEG: steep_slope_threshold(None if province in (None, "national") else province).value,
        a.OUTPUT: c.path("zoning", "indicators.gpkg"),
        a.METADATA: c.path("zoning", "indicators.meta.json"),
    }
    raster = c.done.get(Watersheds.NAME, {}).get(Watersheds.RASTER)
    if raster:
        params[a.LABELS] = raster
    return params | c.given({"erosion": a.EROSION, "landuse": a.LANDUSE, "fvc": a.FVC, "redline": a.REDLINE})


def _zoning(c: _Chain) -> dict:
    a = Zoning
    return {
        a.INPUT: _layer(c.done[Indicators.NAME][Indicators.OUTPUT], "units"),
        a.RULESET: a.ruleset_index(c.province),
        a.OUTPUT: c.path("zoning", "zoning.gpkg"),
        a.SUMMARY: c.path("zoning", "zoning_summary.csv"),
        a.METADATA: c.path("zoning", "zoning.meta.json"),
    } | c.given({"rules_file": a.RULES_FILE})


def _checks(kind: str, checked, folder: str):
    """The checks of the layer ``checked(chain)`` as ``kind`` (ChecksAlgorithm.KINDS), into out/<folder>."""

    def params(c: _Chain) -> dict:
        a = Checks
        return {
            a.INPUT: checked(c),
            a.KIND: a.KINDS.index(kind),
            a.BOUNDARY: c.get("county"),
            a.OUTPUT: c.path(folder, "issues.gpkg"),
            a.SUMMARY: c.path(folder, "summary.csv"),
            a.REPORT: c.path(folder, "report.html"),
        } | c.given({"redline": a.REDLINE})

    return params


def _disturbance_check(c: _Chain) -> dict:
    """The issued 扰动图斑 against the steep-slope result, the zones and the red line (earlier outputs by chain_ref)."""
    a = Disturbance
    return {
        a.PATCHES: c.get("disturbance"),
        a.STEEP: chain_ref(Steep.NAME, Steep.OUTPUT),
        a.ZONES: chain_ref(Zoning.NAME, Zoning.OUTPUT, "zones"),
        a.REDLINE: c.get("redline"),
        a.UNITS: chain_ref("units", Watersheds.OUTPUT, "units"),
        a.TOWNSHIPS: c.get("townships"),
        a.COUNTIES: c.get("county"),
        a.OUTPUT: c.path("disturbance", "disturbance.gpkg"),
        a.CHECKLIST: c.path("disturbance", "checklist"),
    } | c.given({"landuse": a.LANDUSE, "disturbance_previous": a.PREVIOUS})


def _rollup(c: _Chain) -> dict:
    """The zoning's unit layer summed to 乡镇 (split along the township polygons), 县, 市 and 省, with targets."""
    a = Rollup
    params = {
        a.INPUT: chain_ref(Zoning.NAME, Zoning.UNITS_OUT),
        a.COUNTY_FIELD: c.county_fields[0],
        a.TARGETS: str(resources_path("rules", "targets_jilin.json")),
        a.OUTPUT: c.path("rollup", "rollup.gpkg"),
        a.TABLES: c.path("rollup", "tables"),
        a.METADATA: c.path("rollup", "rollup.meta.json"),
    }
    if c.get("townships"):
        params.update(
            {a.DIVISIONS: c.get("townships"), a.DIVISION_FIELD: c.get("township_code_field", "township_code")}
        )
    return params


def _change(c: _Chain) -> dict:
    """水土流失 change between the two erosion years, per small watershed and county; the units are split
    along the same division polygons as the roll-up's (乡镇 when given), so the earlier year equals it."""
    a = Change
    params = {
        a.UNITS: chain_ref("units", Watersheds.OUTPUT, "units"),
        a.EROSION_BEFORE: c.get("erosion"),
        a.YEAR_BEFORE: int(c.get("erosion_year", 2024)),
        a.EROSION_AFTER: c.get("erosion_later"),
        a.YEAR_AFTER: int(c.get("erosion_later_year", 2025)),
        a.KIND: a.KINDS.index("modulus"),
        a.COUNTIES: c.get("county"),
        a.COUNTY_FIELD: c.county_fields[0],
        a.TARGETS: str(resources_path("rules", "targets_jilin.json")),
        a.TARGET_YEAR: int(c.get("erosion_later_year", 2025)),
        a.OUTPUT: c.path("change", "change.gpkg"),
        a.TABLES: c.path("change", "tables"),
        a.REPORT: c.path("change", "report.html"),
        a.METADATA: c.path("change", "change.meta.json"),
    }
    if c.get("townships"):
        params.update({a.COUNTIES: c.get("townships"), a.COUNTY_FIELD: c.get("township_code_field", "township_code")})
    raster = c.done.get(Watersheds.NAME, {}).get(Watersheds.RASTER)
    if raster:  # the indicators counted the units by it: so does the change
        params[a.LABELS] = raster
    return params


def _export(c: _Chain) -> dict:
    a, steep = Export, c.done[Steep.NAME]
    tables = [steep[k] for k in (Steep.COUNTY_TABLE, Steep.TOWNSHIP_TABLE, Steep.UNIT_TABLE) if steep.get(k)]
    return {
        a.STEEP: steep[Steep.OUTPUT],
        a.UNITS: c.units_layer(),
        a.ZONES: c.done[Zoning.NAME][Zoning.UNITS_OUT],
        a.ISSUES: _layer(c.done[Checks.NAME][Checks.OUTPUT], "issues"),
        a.TABLES: tables,
        a.FORMAT: a.FORMATS.index("GPKG"),
        a.ZIP: True,
        a.OVERWRITE: True,
        a.OUTPUT: c.path("onemap_package"),
        # schema 0.2 layers, where the chain checked patches and rolled up
        a.DISTURBANCE: c.done.get(Disturbance.NAME, {}).get(Disturbance.PATCHES_OUT),
        a.ROLLUP: c.done.get(Rollup.NAME, {}).get(Rollup.COUNTY_OUT),
    }


def _publish(c: _Chain) -> dict:
    a, (code_field, name_field) = Publish, c.county_fields
    zoning = c.done.get(Zoning.NAME, {})
    params = {
        a.COUNTIES: c.get("county"),
        a.COUNTY_CODE_FIELD: code_field,
        a.COUNTY_NAME_FIELD: name_field,
        a.STEEP: c.done[Steep.NAME][Steep.OUTPUT],
        a.ZONES: _layer(zoning[Zoning.OUTPUT], "zones") if zoning.get(Zoning.OUTPUT) else "",
        a.SOURCE: c.get("source", ""),
        a.OUTPUT_FOLDER: c.path("publication"),
    }
    if c.get("townships"):
        params.update(
            {a.TOWNSHIPS: c.get("townships"), a.TOWNSHIP_NAME_FIELD: c.get("township_name_field", "township_name")}
        )
    return params


def chain_steps(inputs: dict, out: Path, done: dict) -> list[tuple[str, str, Callable[[], dict]]]:
    """(step, algorithm name, parameters) of each step, in order; the parameters are built when
    called, from the results of the earlier steps in ``done``."""
    chain = _Chain(inputs, Path(out), done)
    official = inputs.get("units")  # an official unit layer is imported instead of delineating units
    jilin = inputs.get("province") == "220000"  # the targets (resources/rules/targets_jilin.json) are 吉林's
    steps: list[tuple[str, str, Callable[[_Chain], dict]]] = [
        (ImportUnits.NAME, ImportUnits.NAME, _import_units)
        if official
        else (Watersheds.NAME, Watersheds.NAME, _watersheds),
        (Slope.NAME, Slope.NAME, _slope),
        (Steep.NAME, Steep.NAME, _steep_slope),
        (Indicators.NAME, Indicators.NAME, _unit_indicators),
        (Zoning.NAME, Zoning.NAME, _zoning),
        ("checks", Checks.NAME, _checks("zones", lambda c: c.done[Zoning.NAME][Zoning.UNITS_OUT], "checks")),
        (
            "checks_steep",
            Checks.NAME,
            _checks("steep_slope", lambda c: c.done[Steep.NAME][Steep.OUTPUT], "checks_steep"),
        ),
        *([(Disturbance.NAME, Disturbance.NAME, _disturbance_check)] if inputs.get("disturbance") else []),
        *([(Rollup.NAME, Rollup.NAME, _rollup)] if jilin else []),
        *(
            [(Change.NAME, Change.NAME, _change)]
            if jilin and inputs.get("erosion") and inputs.get("erosion_later")
            else []
        ),
        (Export.NAME, Export.NAME, _export),
        (Publish.NAME, Publish.NAME, _publish),
    ]
    return [(step, alg, functools.partial(make, chain)) for step, alg, make in steps]


REF = "@@"  # a parameter value "@@step:KEY[|layername=x]": that output of an earlier step of the chain


def chain_ref(step: str, key: str = "OUTPUT", layername: str | None = None) -> str:
    """A placeholder for an output of an earlier step (``step`` 'units' = whichever unit step ran)."""
    return f"{REF}{step}:{key}" + (f"|layername={layername}" if layername else "")


def resolve(value, done: dict):
    """``value`` with chain references replaced by the outputs of the steps in ``done``."""
    if isinstance(value, list):
        return [v for v in (resolve(v, done) for v in value) if v not in ("", None)]
    if not (isinstance(value, str) and value.startswith(REF)):
        return value
    ref, _, layer = value[len(REF) :].partition("|")
    step, _, key = ref.partition(":")
    results = (done.get("watersheds") or done.get("import_units") or {}) if step == "units" else done.get(step, {})
    found = results.get(key) or ""
    if not found:
        return ""
    return f"{str(found).split('|')[0]}|{layer}" if layer else found


def run_steps(
    steps: list, out_dir, feedback: Feedback | None = None, inputs: dict | None = None, done: dict | None = None
) -> dict:
    """Run ``steps`` [(step name, algorithm, params)] in order; params (a dict, or a call that builds
    one from the results so far in ``done``) may hold chain_ref() values.

    The dock's "Run all" builds these from its pages (the same parameters its Run buttons use),
    so the chain runs exactly what the pages would run. Returns {step: results}.
    """
    feedback = feedback or Feedback()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done = {} if done is None else done
    used: dict = {}
    for i, (name, algorithm, params) in enumerate(steps):
        if not has_algorithm(algorithm):
            feedback.info(f"== {algorithm}: not available, skipped")
            continue
        sub = SubFeedback(feedback, 100.0 * i / len(steps), 100.0 * (i + 1) / len(steps))
        params = {k: resolve(v, done) for k, v in (params() if callable(params) else params).items()}
        for value in params.values():
            if isinstance(value, str) and value.startswith(str(out)):
                Path(value.split("|")[0]).parent.mkdir(parents=True, exist_ok=True)
        used[name] = params
        done[name] = run_step(algorithm, params, sub)
    write_json(
        out / "chain.json",
        {"inputs": {k: str(v) for k, v in (inputs or {}).items()}, "parameters": used, "steps": done},
    )
    return done


def run_chain(inputs: dict, out_dir, feedback: Feedback | None = None) -> dict:
    """Run every step on ``inputs`` into out_dir; returns {step: results}.

    ``inputs``: file paths (optionally 'path|layername=x') by role – dem, county, townships,
    redline, farmland, construction, water, landuse, fvc, erosion, units (an official unit
    layer, imported instead of delineated), disturbance and disturbance_previous (the issued
    扰动图斑 of this year and last year's), erosion_later (a second erosion year; erosion_year and
    erosion_later_year, default 2024 and 2025) – plus county/township code and name fields,
    province ('220000', 'national'), rules_file and source (the data-source note of the published map).
    """
    for role in ("dem", "county"):
        if not inputs.get(role):
            from ..core.common.errors import InputError

            raise InputError(role, "整套流程需要该输入", "the whole chain needs this input")
    done: dict = {}  # the steps' parameters are built from it as the chain runs
    return run_steps(chain_steps(inputs, Path(out_dir), done), out_dir, feedback, inputs, done)


def _relocate(folder: Path, old: str, new: str) -> None:
    """After the results folder is renamed into place, make the paths recorded in its JSON point there."""
    for path in folder.rglob("*.json"):
        text = path.read_text(encoding="utf-8")
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")


DEMO_FIELDS = {
    "county_code_field": "county_code",
    "county_name_field": "county_name",
    "township_code_field": "township_code",
    "township_name_field": "township_name",
    "source": "插件内置演示区域（合成数据，县界非真实县界）/ built-in synthetic demo region",
}


def demo_province() -> str | None:
    """The province of the demo region's county (resources/demo/region.json): its rules apply to the demo."""
    recipe = json.loads(resources_path("demo", "region.json").read_text(encoding="utf-8"))
    return province_code(recipe["county"]["code"])


def run_demo(out_dir, scale: float = 1.0, feedback: Feedback | None = None) -> Path:
    """Generate the demo region under out_dir/inputs and write the chain's results to out_dir/results."""
    from ..demo.region import generate_demo_region

    feedback = feedback or Feedback()
    out_dir = Path(out_dir).resolve()
    feedback.info(f"Generating the demo region (scale {scale}) …")
    files = generate_demo_region(out_dir / "inputs", scale=scale, feedback=SubFeedback(feedback, 0, 10))
    inputs = {role: str(path) for role, path in files.items()}
    recipe = json.loads(resources_path("demo", "region.json").read_text(encoding="utf-8"))
    inputs["redline"] = _layer(files["redline"], "生态保护红线")
    for role in ("disturbance", "disturbance_previous"):
        inputs[role] = _layer(files[role], recipe["files"][role]["layer"])
    years = recipe["erosion_later"]
    inputs.update(erosion_year=str(years["earlier_year"]), erosion_later_year=str(years["year"]))
    inputs.update(DEMO_FIELDS, province=demo_province() or "national")
    target = out_dir / "results"
    with atomic_path(target, folder=True) as tmp:
        done = run_chain(inputs, tmp, SubFeedback(feedback, 10, 100))
        summary = {
            step: {k: v for k, v in res.items() if not isinstance(v, (dict, list))} for step, res in done.items()
        }
        write_json(tmp / "summary.json", summary)
    _relocate(target, str(tmp), str(target))
    return target


def _csv_rows(path) -> list[dict]:
    import csv

    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _describe_disturbance(res: dict) -> list[str]:
    """Patches per risk class, most serious first, from the checked patch layer."""
    import sqlite3

    con = sqlite3.connect(f"file:{res[Disturbance.OUTPUT]}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT risk_zh, risk, count(*) FROM disturbance_patches GROUP BY risk, risk_zh ORDER BY min(risk_rank)"
        ).fetchall()
    finally:
        con.close()
    return ["    " + ", ".join(f"{zh} {key}: {n}" for zh, key, n in rows)]


def _describe_rollup(res: dict) -> list[str]:
    """Each county's 水土保持率 now and its targets."""
    tables = Path(res[Rollup.TABLES])
    targets: dict = {}
    for r in _csv_rows(tables / "targets.csv"):
        if r["级别"] == "县":
            targets.setdefault(r["代码"], []).append(f"{r['目标年份']} {float(r['目标水土保持率(%)']):.2f}%")
    return [
        f"    {r['名称']} {r['代码']}: 水土保持率 conservation rate {float(r['水土保持率(%)']):.2f}%, "
        f"水土流失面积 {r['水土流失面积(公顷)']} ha; 目标 targets {', '.join(targets.get(r['代码'], []))}"
        for r in _csv_rows(tables / "rollup_county.csv")
    ]


def _describe_change(res: dict) -> list[str]:
    """Each county's 水土流失面积 in both years (each over all its data, as the roll-up) and the paired cells."""
    from ..core.rollup.outputs import CHANGE_COLUMNS

    h = {c.key: c.zh for c in CHANGE_COLUMNS}
    return [
        f"    {r['县名称']} {r['县代码']}: 水土流失面积 soil-loss area {r[h['loss_before_ha']]} → "
        f"{r[h['loss_after_ha']]} ha ({float(r[h['d_loss_ha']]):+.2f}), 水土保持率 "
        f"{float(r[h['rate_before_pct']]):.2f}% → {float(r[h['rate_after_pct']]):.2f}%; "
        f"两期均有数据 paired {r[h['paired_ha']]} ha, 仅前期 only earlier {r[h['only_before_ha']]} ha, "
        f"仅后期 only later {r[h['only_after_ha']]} ha"
        for r in _csv_rows(Path(res[Change.TABLES]) / "county_change.csv")
    ]


_DESCRIBE = {Disturbance.NAME: _describe_disturbance, Rollup.NAME: _describe_rollup, Change.NAME: _describe_change}


def describe(results: Path) -> str:
    """A short text of what the demo wrote, for the console."""
    lines = []
    chain = json.loads((results / "chain.json").read_text(encoding="utf-8"))
    for step, res in chain["steps"].items():
        numbers = {k: v for k, v in res.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        lines.append(f"  {step}: {numbers}" if numbers else f"  {step}")
        if step in _DESCRIBE:
            lines += _DESCRIBE[step](res)
    manifest = results / "onemap_package" / "manifest.json"
    if manifest.exists():
        from ..core.export.package import manifest_summary

        zip_path = results / "onemap_package.zip"
        lines.append(manifest_summary(results / "onemap_package", zip_path if zip_path.exists() else None))
    return "\n".join(lines)
