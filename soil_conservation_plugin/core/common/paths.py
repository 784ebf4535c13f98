"""One place that finds the plugin's files, in the repo and in an installed plugin.

In the repo, metadata.txt, resources/ and i18n/ sit beside the package; in an
installed plugin (make package / make deploy) they sit inside it.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parents[2]


def plugin_file(*parts: str) -> Path:
    """Path of a plugin file, looked up inside the package first, then at the repo root."""
    for base in (PACKAGE_DIR, PACKAGE_DIR.parent):
        candidate = base.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError("/".join(parts))


def resources_path(*parts: str) -> Path:
    return plugin_file("resources", *parts)
