"""The whole chain, units → slope → zoning → checks → export, as Processing runs.

`make demo` and the dock's "run all" both call this, so the headless pipeline and
the panels run exactly the same algorithms with the same parameters.
"""
from __future__ import annotations

from pathlib import Path

import processing
from qgis.core import QgsApplication, QgsProcessingContext, QgsProcessingFeedback

from ..core.feedback import Feedback, SubFeedback
from ..core.io import atomic_path, write_json
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
    feedback.check()
    feedback.info(f"== {PROVIDER_ID}:{name}")
    return processing.run(f"{PROVIDER_ID}:{name}", params, context=QgsProcessingContext(), feedback=_Relay(feedback))


def run_chain(inputs: dict, out_dir: Path, feedback: Feedback | None = None) -> dict:
    """Run every available step on ``inputs`` (paths by role: dem, county, townships, …) into out_dir."""
    feedback = feedback or Feedback()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = [("slope", _slope_params)]
    done: dict = {}
    for i, (name, make_params) in enumerate(steps):
        if not has_algorithm(name):
            continue
        sub = SubFeedback(feedback, 100.0 * i / len(steps), 100.0 * (i + 1) / len(steps))
        done[name] = run_step(name, make_params(inputs, out_dir, done), sub)
    write_json(out_dir / "chain.json", {"inputs": {k: str(v) for k, v in inputs.items()}, "steps": done})
    return done


def _slope_params(inputs: dict, out_dir: Path, done: dict) -> dict:
    return {"INPUT": str(inputs["dem"]), "OUTPUT": str(out_dir / "slope.tif")}


def run_demo(out_dir, scale: float = 1.0, feedback: Feedback | None = None) -> Path:
    """Generate the demo region under out_dir/inputs and write the chain's results to out_dir/results."""
    from ..core.demo_region import generate_demo_region

    feedback = feedback or Feedback()
    out_dir = Path(out_dir)
    feedback.info(f"Generating the demo region (scale {scale}) …")
    inputs = generate_demo_region(out_dir / "inputs", scale=scale, feedback=SubFeedback(feedback, 0, 10))
    target = out_dir / "results"
    with atomic_path(target) as tmp:
        run_chain(inputs, tmp, SubFeedback(feedback, 10, 100))
    return target
