"""Two ways to run a case: processing.run in this process, and qgis_process on the packaged plugin."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sysconfig
import threading
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
# Debian 12's /usr/bin/qgis_process wrapper passes a flag its binary rejects; the .bin is the real program.
QGIS_PROCESS = next(
    (p for p in ("/usr/bin/qgis_process.bin", "/usr/bin/qgis_process") if Path(p).exists()), "qgis_process"
)
RUNNERS = ("inproc", "qgis_process")


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    results: dict = field(default_factory=dict)
    returncode: int | None = None


def build_profile(root: Path) -> Path:
    """`make package`, unzipped into a fresh QGIS profile under root with the plugin enabled."""
    build = root / "package"
    build.mkdir(parents=True)
    subprocess.run(["make", "-s", "-C", str(REPO), "package", f"PACKAGE_DIR={build}"], check=True, capture_output=True)
    profile = root / "qgis_config"
    plugins = profile / "profiles" / "default" / "python" / "plugins"
    plugins.mkdir(parents=True)
    with zipfile.ZipFile(build / "soil_conservation_plugin.zip") as zf:
        zf.extractall(plugins)
        self_contained = any("/pyflwdir/" in n for n in zf.namelist())
    ini = profile / "profiles" / "default" / "QGIS" / "QGIS3.ini"
    ini.parent.mkdir(parents=True)
    ini.write_text("[PythonPlugins]\nsoil_conservation_plugin=true\n")
    (profile / ".self_contained").write_text("1" if self_contained else "0")
    return profile


def qgis_env(profile: Path) -> dict:
    env = dict(os.environ, QGIS_CUSTOM_CONFIG_PATH=str(profile), QT_QPA_PLATFORM="offscreen", GDAL_PAM_ENABLED="NO")
    env.pop("PYTHONHOME", None)
    if (profile / ".self_contained").read_text() != "1":
        # qgis_process runs /usr/bin/python3; until the zip carries pyflwdir, give it the venv's
        # as a user would install it
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [sysconfig.get_paths()["purelib"], env.get("PYTHONPATH")]))
    return env


def cli_args(params: dict) -> list[str]:
    args = []
    for key, value in params.items():
        if value is None:
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, bool):
                v = "true" if v else "false"
            args.append(f"{key}={v}")
    return args


def qgis_process_cmd(alg: str, params: dict, json_out: bool = True) -> list[str]:
    return [QGIS_PROCESS, "run", f"soil_conservation:{alg}", *(["--json"] if json_out else []), "--", *cli_args(params)]


def run_qgis_process(profile: Path, alg: str, params: dict, timeout: float = 300) -> Outcome:
    proc = subprocess.run(
        qgis_process_cmd(alg, params), env=qgis_env(profile), capture_output=True, text=True, timeout=timeout
    )
    return outcome_of(proc.returncode, proc.stdout, proc.stderr)


def outcome_of(returncode: int, stdout: str, stderr: str) -> Outcome:
    results = {}
    with contextlib.suppress(ValueError):
        results = json.loads(stdout[stdout.index("{") :]).get("results", {})
    return Outcome(returncode == 0, (stderr or "") + "\n" + (stdout or ""), results, returncode)


def start_qgis_process(profile: Path, alg: str, params: dict) -> tuple[subprocess.Popen, dict]:
    """A qgis_process run in the background (plain output, which shows progress as '0...10...');
    box['progress'] is set once the run reports progress, i.e. once it is working."""
    proc = subprocess.Popen(
        qgis_process_cmd(alg, params, json_out=False),
        env=qgis_env(profile),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    box = {"out": [], "err": [], "progress": threading.Event(), "threads": []}

    def read(fd, key):
        while True:
            chunk = os.read(fd, 4096)
            if not chunk:
                return
            box[key].append(chunk.decode("utf-8", "replace"))
            if key == "out" and "..." in "".join(box["out"]):
                box["progress"].set()

    for stream, key in ((proc.stdout, "out"), (proc.stderr, "err")):
        t = threading.Thread(target=read, args=(stream.fileno(), key), daemon=True)
        t.start()
        box["threads"].append(t)
    return proc, box


def finish(proc: subprocess.Popen, box: dict, timeout: float = 300) -> Outcome:
    proc.wait(timeout=timeout)
    for t in box["threads"]:
        t.join(10)
    return outcome_of(proc.returncode, "".join(box["out"]), "".join(box["err"]))


def collecting_feedback(cancel_at: float | None = None):
    """A QgsProcessingFeedback that keeps every error and warning it reports
    (and optionally cancels itself at a progress)."""
    from qgis.core import QgsProcessingFeedback

    class Collect(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.errors: list[str] = []
            if cancel_at is not None:
                self.progressChanged.connect(self._maybe_cancel)

        def _maybe_cancel(self, p):
            if p >= cancel_at and not self.isCanceled():
                self.cancel()

        def reportError(self, error, fatalError=False):  # noqa: N802, N803 (QGIS API)
            self.errors.append(error)
            super().reportError(error, fatalError)

        def pushWarning(self, warning):  # noqa: N802
            self.errors.append(warning)
            super().pushWarning(warning)

    return Collect()


def run_inproc(alg: str, params: dict, feedback=None) -> Outcome:
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException

    feedback = feedback or collecting_feedback()
    try:
        results = processing.run(f"soil_conservation:{alg}", params, context=QgsProcessingContext(), feedback=feedback)
    except QgsProcessingException as exc:
        return Outcome(False, str(exc) + "\n" + "\n".join(feedback.errors))
    except Exception as exc:  # noqa: BLE001 - a Python error reaching the caller is the traceback the user must never see
        return Outcome(
            False,
            "Traceback (an uncaught Python exception reached processing.run):\n"
            + "".join(traceback.format_exception(exc)),
        )
    return Outcome(True, "\n".join(feedback.errors), dict(results))
