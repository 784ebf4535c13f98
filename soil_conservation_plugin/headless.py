"""Headless entry point: `python -m soil_conservation_plugin.headless demo OUT_DIR`.

Starts a real QGIS application without a screen, registers the plugin's
Processing provider and runs the same chain the dock's "run all" button runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

QGIS_PLUGINS = "/usr/share/qgis/python/plugins"


def start_qgis(gui: bool = False):
    """A running QgsApplication (with widgets when ``gui``), Processing, and the plugin's provider."""
    if not gui:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from qgis.core import QgsApplication

    app = QgsApplication([], gui)
    app.initQgis()
    if QGIS_PLUGINS not in sys.path and Path(QGIS_PLUGINS).is_dir():
        sys.path.append(QGIS_PLUGINS)
    from processing.core.Processing import Processing

    Processing.initialize()
    from .plugin import SoilConservationPlugin

    plugin = SoilConservationPlugin(None)
    plugin.initProcessing()
    if plugin.provider is None or plugin.unavailable:
        from .core.common.dependencies import unavailable_message

        raise SystemExit(
            unavailable_message(plugin.unavailable) if plugin.unavailable else "Processing provider already registered"
        )
    return app, plugin


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m soil_conservation_plugin.headless")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="generate the built-in demo region and run the whole chain on it")
    demo.add_argument("out_dir", type=Path)
    demo.add_argument("--scale", type=float, default=1.0, help="shrink the demo region (tests use 0.25)")
    args = parser.parse_args(argv)

    app, plugin = start_qgis()
    try:
        from qgis.core import QgsProcessingException

        from .core.common.errors import CancelledError, InputError
        from .core.common.feedback import PrintFeedback
        from .processing.pipeline import describe, run_demo

        try:
            results = run_demo(args.out_dir, scale=args.scale, feedback=PrintFeedback())
        except (QgsProcessingException, InputError, CancelledError) as exc:  # one bilingual line, no traceback
            print(f"ERROR: {exc}", file=sys.stderr)
            return 1
        print(describe(results))
        print(f"\nResults folder / 结果目录: {results.resolve()}")
        return 0
    finally:
        plugin.unload()
        app.exitQgis()


if __name__ == "__main__":
    sys.exit(main())
