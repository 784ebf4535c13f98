"""Raster parameters are checked for network sources before QGIS opens them.

QGIS loads a raster parameter's layer while checking the parameter values (before
processAlgorithm), and opening a local VRT opens its sources: a /vsicurl/ source would be
fetched. The VRT's XML is read here first, so such an input is refused untouched.
"""

from __future__ import annotations

from pathlib import Path

from ..core.common.errors import InputError
from ..core.common.input_checks import check_raster, is_network, raster_files


class LocalRasterInputs:
    """Mixin before AlgorithmBase: refuse raster parameters that resolve to network data."""

    def checkParameterValues(self, parameters, context):  # noqa: N802 (QGIS API)
        for definition in self.parameterDefinitions():
            if definition.type() != "raster":
                continue
            value = parameters.get(definition.name())
            if isinstance(value, str) and (is_network(value) or Path(value.split("|")[0]).is_file()):
                # network first, then (local files) a complete read: QGIS 3.44 cannot load a truncated file
                # and says so in English only
                try:
                    raster_files(value, definition.description())
                    if Path(value.split("|")[0]).is_file():
                        self.check_raster_header(definition.name(), value.split("|")[0], definition.description())
                        check_raster(value.split("|")[0], definition.description())
                except InputError as exc:
                    return False, str(exc)
        return super().checkParameterValues(parameters, context)

    def check_raster_header(self, name: str, path: str, label: str) -> None:
        """What the file's header alone can refuse (e.g. a size that cannot fit), before the complete read."""
