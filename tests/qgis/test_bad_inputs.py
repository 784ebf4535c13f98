"""The permanent bad-input suite (issue 12 item 7).

Every case of bad_inputs/cases.py runs through processing.run (in this process) and through
qgis_process on the packaged plugin. Each asserts the behaviour, not the wording: a refusal
is not a success, has a Chinese and an English part and names the input; no Python
traceback reaches the user; no file appears under a final name (nor a `.partial-*`
orphan); every file that was there before is byte-identical afterwards (sha256), except
the outputs the case expects to change; no network connection is made; and a run that
must succeed gives the right values.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from .bad_inputs.cases import CASES, Ctx
from .bad_inputs.runners import RUNNERS, build_profile, run_inproc, run_qgis_process
from .bad_inputs.world import Mounts, Spy, build_world, file_of, snapshot

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{2,}(?:[ ,'’-]+[A-Za-z]+)+")  # two English words or more
# qgis_process's own chatter, which is neither the refusal nor part of it
NOISE = re.compile(
    r"^(QGIS version|QGIS code revision|Qt version|Python version|GDAL version|GEOS version|PROJ version|PDAL version"
    r"|Algorithm|Input parameters|Results|--|\{|\}|\s*$)"
)


def assert_refusal(message: str, names) -> None:
    """One line of the message names the input and says what is wrong in Chinese and in English."""
    lines = [ln for ln in message.splitlines() if not NOISE.match(ln)]
    naming = [ln for ln in lines if any(n.lower() in ln.lower() for n in names)]
    assert naming, f"no line of the refusal names the input (any of {names}):\n" + "\n".join(lines)[-1500:]
    for ln in naming:
        rest = ln
        for n in names:
            rest = re.sub(re.escape(n), " ", rest, flags=re.IGNORECASE)
        if CJK.search(rest) and ENGLISH.search(rest):
            return
    raise AssertionError(
        "the refusal is not bilingual (a Chinese and an English part beside the input's name):\n"
        + "\n".join(naming)[-1500:]
    )


def _case_param(case):
    return pytest.param(case, id=case.id)


@pytest.fixture(scope="module")
def world(tmp_path_factory, qgis_app, processing_ready):
    root = tmp_path_factory.mktemp("bad_inputs")
    w = build_world(root)
    w.profile = build_profile(root / "profile")
    w.spy = Spy()
    return w


@pytest.fixture(scope="module")
def provider(world):
    from .conftest import provider_registered

    with provider_registered() as p:
        yield p


def _values(params):
    for v in params.values():
        yield from (v if isinstance(v, (list, tuple)) else [v])


def _under(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def test_case_table_covers_every_algorithm_and_category():
    algs = {c.alg for c in CASES}
    assert {
        "slope",
        "watersheds",
        "import_units",
        "steep_slope",
        "unit_indicators",
        "zoning",
        "csle",
        "checks",
        "export",
        "publish",
        "disturbance_check",
        "rollup",
        "change",
    } <= algs
    assert len(CASES) >= 60
    print(dict(Counter(c.category for c in CASES)))


@pytest.mark.parametrize("runner", RUNNERS)
@pytest.mark.parametrize("case", [_case_param(c) for c in CASES])
def test_bad_input(case, runner, world, provider, tmp_path):
    ctx = Ctx(world, tmp_path / "case", runner, Mounts())
    ctx.d.mkdir()

    def verify_unchanged(before, watched, strict: bool):
        after = snapshot(watched)
        orphans = sorted(p for p in after if ".partial-" in p)
        assert not orphans, f"orphan temporaries: {orphans}"
        changed = sorted(
            p
            for p in before
            if after.get(p) != before[p] and not any(p == a or p.startswith(a + "/") for a in ctx.allowed)
        )
        assert not changed, f"pre-existing files changed or deleted: {changed}"
        if strict:
            new = sorted(set(after) - set(before))
            assert not new, f"files written although the run did not succeed: {new}"

    try:
        if case.driver is not None:
            case.driver(ctx, verify_unchanged, assert_refusal)
            return
        params = case.build(ctx)
        outside = [f for f in map(file_of, _values(params)) if f is not None and f.exists() and not _under(f, ctx.d)]
        watched = [ctx.d, *outside]
        before = snapshot(watched)
        hits = world.spy.hits
        if runner == "inproc":
            outcome = run_inproc(case.alg, params)
        else:
            outcome = run_qgis_process(world.profile, case.alg, params)
        assert world.spy.hits == hits, "the run connected to the network"
        assert "Traceback" not in outcome.message, "a Python traceback reached the user:\n" + outcome.message[-3000:]
        expect = case.expect if case.expect != "either" else ("ok" if outcome.ok else "refuse")
        if expect == "refuse":
            assert not outcome.ok, f"the run succeeded although it must refuse; results: {outcome.results}"
            try:
                assert_refusal(outcome.message, case.names)
            except AssertionError as exc:
                raise AssertionError(f"(exit status {outcome.returncode}) {exc}") from None
            verify_unchanged(before, watched, strict=True)
        else:
            assert outcome.ok, "the run must succeed but failed:\n" + outcome.message[-3000:]
            verify_unchanged(before, watched, strict=False)
            if case.check is not None:
                case.check(ctx, params, outcome)
    finally:
        ctx.mounts.close()
