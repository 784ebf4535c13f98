"""The whole chain, units → slope → steep slopes → indicators → zoning → checks → export → publication.

`make demo` and the dock's "run all" both call run_chain, so the headless pipeline
and the panels run exactly the same Processing algorithms with the same parameters.
Each step writes its own outputs atomically; the demo's results folder as a whole
appears only when every step has succeeded.
"""

from __future__ import annotations

import json
from pathlib import Path

from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

from ..core.common.feedback import Feedback, SubFeedback
from ..core.common.io import atomic_path, write_json
from ..core.common.rules import provinces, steep_slope_threshold
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


def _steps(inputs: dict, out: Path, done: dict):
    """(name, params) of each step, in order; params may use the results of earlier steps."""
    county = inputs.get("county")
    code_field = inputs.get("county_code_field", "county_code")
    name_field = inputs.get("county_name_field", "county_name")

    if inputs.get("units"):
        yield (
            "import_units",
            lambda: {
                "INPUT": inputs["units"],
                "CODE_FIELD": inputs.get("unit_code_field", "unit_code"),
                "NAME_FIELD": inputs.get("unit_name_field", ""),
                "DOWN_FIELD": inputs.get("unit_down_field", ""),
                "COUNTIES": county,
                "COUNTY_CODE_FIELD": code_field,
                "COUNTY_NAME_FIELD": name_field,
                "OUTPUT": str(out / "units" / "units.gpkg"),
                "REPORT": str(out / "units" / "validation.csv"),
                "TOPOLOGY": str(out / "units" / "topology.csv"),
                "METADATA": str(out / "units" / "units.meta.json"),
            },
        )
    else:
        yield (
            "watersheds",
            lambda: {
                "INPUT": inputs["dem"],
                "COUNTIES": county,
                "COUNTY_CODE_FIELD": code_field,
                "COUNTY_NAME_FIELD": name_field,
                "OUTPUT": str(out / "units" / "units.gpkg"),
                "TOPOLOGY": str(out / "units" / "topology.csv"),
                "RASTER": str(out / "units" / "units.tif"),
                "METADATA": str(out / "units" / "units.meta.json"),
            },
        )

    def units_layer():
        result = done.get("watersheds") or done.get("import_units") or {}
        return _layer(result["OUTPUT"], "units")

    yield "slope", lambda: {"INPUT": inputs["dem"], "OUTPUT": str(out / "slope" / "slope.tif")}

    province = inputs.get("province") or None  # None: the steep-slope step takes it from the county code
    province_index = _province_index(province)

    def steep():
        params = {
            "INPUT": inputs["dem"],
            "COUNTY": county,
            "COUNTY_CODE_FIELD": code_field,
            "COUNTY_NAME_FIELD": name_field,
            "UNITS": units_layer(),
            "PROVINCE": province_index,
            "OUTPUT": str(out / "steep_slope" / "steep_slope.gpkg"),
            "TABLES_FOLDER": str(out / "steep_slope"),
        }
        if inputs.get("townships"):
            params.update(
                TOWNSHIPS=inputs["townships"],
                TOWNSHIP_CODE_FIELD=inputs.get("township_code_field", "township_code"),
                TOWNSHIP_NAME_FIELD=inputs.get("township_name_field", "township_name"),
            )
        for key, role in (("FARMLAND", "farmland"), ("CONSTRUCTION", "construction"), ("WATER", "water")):
            if inputs.get(role):
                params[key] = inputs[role]
        return params

    yield "steep_slope", steep

    def indicators():
        params = {
            "UNITS": units_layer(),
            "DEM": inputs["dem"],
            "STEEP_DEG": steep_slope_threshold(None if province in (None, "national") else province).value,
            "OUTPUT": str(out / "zoning" / "indicators.gpkg"),
            "METADATA": str(out / "zoning" / "indicators.meta.json"),
        }
        if done.get("watersheds", {}).get("RASTER"):
            params["LABELS"] = done["watersheds"]["RASTER"]
        for key, role in (("EROSION", "erosion"), ("LANDUSE", "landuse"), ("FVC", "fvc"), ("REDLINE", "redline")):
            if inputs.get(role):
                params[key] = inputs[role]
        return params

    yield "unit_indicators", indicators

    def zoning():
        params = {
            "INPUT": _layer(done["unit_indicators"]["OUTPUT"], "units"),
            "RULESET": 1 if province == "national" else 0,
            "OUTPUT": str(out / "zoning" / "zoning.gpkg"),
            "SUMMARY": str(out / "zoning" / "zoning_summary.csv"),
            "METADATA": str(out / "zoning" / "zoning.meta.json"),
        }
        if inputs.get("rules_file"):
            params["RULES_FILE"] = inputs["rules_file"]
        return params

    yield "zoning", zoning

    def checks(kind: str, layer_fn, folder: str):
        def params():
            p = {
                "INPUT": layer_fn(),
                "KIND": ["generic", "steep_slope", "units", "zones"].index(kind),
                "BOUNDARY": county,
                "OUTPUT": str(out / folder / "issues.gpkg"),
                "SUMMARY": str(out / folder / "summary.csv"),
                "REPORT": str(out / folder / "report.html"),
            }
            if inputs.get("redline"):
                p["REDLINE"] = inputs["redline"]
            return p

        return params

    yield "checks", checks("zones", lambda: done["zoning"]["UNITS_OUT"], "checks")
    yield "checks_steep", checks("steep_slope", lambda: done["steep_slope"]["OUTPUT"], "checks_steep")

    def export():
        steep_result = done["steep_slope"]
        tables = [steep_result[k] for k in ("COUNTY_TABLE", "TOWNSHIP_TABLE", "UNIT_TABLE") if steep_result.get(k)]
        return {
            "STEEP_PATCHES": steep_result["OUTPUT"],
            "UNITS": units_layer(),
            "ZONES": done["zoning"]["UNITS_OUT"],
            "ISSUES": _layer(done["checks"]["OUTPUT"], "issues"),
            "AREA_TABLES": tables,
            "FORMAT": 0,
            "ZIP": True,
            "OVERWRITE": True,
            "OUTPUT": str(out / "onemap_package"),
        }

    yield "export", export

    def publish():
        params = {
            "COUNTIES": county,
            "COUNTY_CODE_FIELD": code_field,
            "COUNTY_NAME_FIELD": name_field,
            "STEEP": done["steep_slope"]["OUTPUT"],
            "ZONES": _layer(done["zoning"]["OUTPUT"], "zones") if done.get("zoning", {}).get("OUTPUT") else "",
            "SOURCE": inputs.get("source", ""),
            "OUTPUT_FOLDER": str(out / "publication"),
        }
        if inputs.get("townships"):
            params.update(
                TOWNSHIPS=inputs["townships"], TOWNSHIP_NAME_FIELD=inputs.get("township_name_field", "township_name")
            )
        return params

    yield "publish", publish


def _province_index(province: str | None) -> int:
    """Index of the steep-slope algorithm's PROVINCE choice: 0 auto, then provinces, then national."""
    codes = list(provinces())
    if province == "national":
        return len(codes) + 1
    return codes.index(province) + 1 if province in codes else 0


ALGORITHM_OF = {"checks_steep": "checks"}  # chain step name → algorithm, where they differ


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


def run_steps(steps: list, out_dir, feedback: Feedback | None = None, inputs: dict | None = None) -> dict:
    """Run ``steps`` [(step name, algorithm, params)] in order; params may hold chain_ref() values.

    The dock's "Run all" builds these from its pages (the same parameters its Run buttons use),
    so the chain runs exactly what the pages would run. Returns {step: results}.
    """
    feedback = feedback or Feedback()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    done: dict = {}
    used: dict = {}
    for i, (name, algorithm, params) in enumerate(steps):
        if not has_algorithm(algorithm):
            feedback.info(f"== {algorithm}: not available, skipped")
            continue
        sub = SubFeedback(feedback, 100.0 * i / len(steps), 100.0 * (i + 1) / len(steps))
        params = {k: resolve(v, done) for k, v in params.items()}
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
    layer, imported instead of delineated) – plus county/township code and name fields,
    province ('220000', 'national'), rules_file and source (the data-source note of the published map).
    """
    feedback = feedback or Feedback()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for role in ("dem", "county"):
        if not inputs.get(role):
            from ..core.common.errors import InputError

            raise InputError(role, "整套流程需要该输入", "the whole chain needs this input")
    done: dict = {}
    steps = list(_steps(inputs, out, done))
    for i, (name, make_params) in enumerate(steps):
        algorithm = ALGORITHM_OF.get(name, name)
        if not has_algorithm(algorithm):
            feedback.info(f"== {algorithm}: not available, skipped")
            continue
        sub = SubFeedback(feedback, 100.0 * i / len(steps), 100.0 * (i + 1) / len(steps))
        params = make_params()
        for value in params.values():
            if isinstance(value, str) and value.startswith(str(out)):
                Path(value.split("|")[0]).parent.mkdir(parents=True, exist_ok=True)
        done[name] = run_step(algorithm, params, sub)
    write_json(out / "chain.json", {"inputs": {k: str(v) for k, v in inputs.items()}, "steps": done})
    return done


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
    "province": "220000",
    "source": "插件内置演示区域（合成数据，县界非真实县界）/ built-in synthetic demo region",
}


def run_demo(out_dir, scale: float = 1.0, feedback: Feedback | None = None) -> Path:
    """Generate the demo region under out_dir/inputs and write the chain's results to out_dir/results."""
    from ..demo.region import generate_demo_region

    feedback = feedback or Feedback()
    out_dir = Path(out_dir).resolve()
    feedback.info(f"Generating the demo region (scale {scale}) …")
    files = generate_demo_region(out_dir / "inputs", scale=scale, feedback=SubFeedback(feedback, 0, 10))
    inputs = {role: str(path) for role, path in files.items()}
    inputs["redline"] = _layer(files["redline"], "生态保护红线")
    inputs.update(DEMO_FIELDS)
    target = out_dir / "results"
    with atomic_path(target, folder=True) as tmp:
        done = run_chain(inputs, tmp, SubFeedback(feedback, 10, 100))
        summary = {
            step: {k: v for k, v in res.items() if not isinstance(v, (dict, list))} for step, res in done.items()
        }
        write_json(tmp / "summary.json", summary)
    _relocate(target, str(tmp), str(target))
    return target


def describe(results: Path) -> str:
    """A short text of what the demo wrote, for the console."""
    lines = []
    chain = json.loads((results / "chain.json").read_text(encoding="utf-8"))
    for step, res in chain["steps"].items():
        numbers = {k: v for k, v in res.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        lines.append(f"  {step}: {numbers}" if numbers else f"  {step}")
    manifest = results / "onemap_package" / "manifest.json"
    if manifest.exists():
        from ..core.export.package import manifest_summary

        zip_path = results / "onemap_package.zip"
        lines.append(manifest_summary(results / "onemap_package", zip_path if zip_path.exists() else None))
    return "\n".join(lines)
