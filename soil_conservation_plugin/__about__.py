"""Plugin identity, read from metadata.txt (the single source of truth)."""

import configparser
from pathlib import Path

from .core.common.paths import plugin_file

PLUGIN_ID = "soil_conservation_plugin"


def _metadata():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(plugin_file("metadata.txt"), encoding="utf-8")
    return parser["general"]


_META = _metadata()
__version__ = _META.get("version", "0.0.0")
__title__ = _META.get("name", PLUGIN_ID)
QGIS_MINIMUM_VERSION = _META.get("qgisMinimumVersion", "3.22")
PLUGIN_DIR = Path(__file__).resolve().parent
