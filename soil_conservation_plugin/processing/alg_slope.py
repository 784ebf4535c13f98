"""Slope in degrees, in true ground units, from a projected or geographic DEM."""

from qgis.core import QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..core.common.metadata import run_metadata, write_run_metadata
from .base import AlgorithmBase
from .input_guard import LocalRasterInputs


class SlopeAlgorithm(LocalRasterInputs, AlgorithmBase):
    NAME = "slope"
    REQUIRES = ("numpy", "osgeo.gdal", "rasterio", "numba", "pyproj")
    DISPLAY = QT_TRANSLATE_NOOP("SoilConservation", "Slope (degrees, ground units)")
    GROUP = QT_TRANSLATE_NOOP("SoilConservation", "Terrain")
    GROUP_ID = "terrain"

    INPUT = "INPUT"
    OUTPUT = "OUTPUT"

    def initAlgorithm(self, config=None):  # noqa: N802
        self.addParameter(QgsProcessingParameterRasterLayer(self.INPUT, self.tr("DEM")))
        self.addParameter(QgsProcessingParameterRasterDestination(self.OUTPUT, self.tr("Slope (degrees)")))

    def help(self) -> str:
        return self.tr(
            "Slope in degrees by Horn's method (as gdaldem slope), always in true ground units.\n"
            "DEM: projected in metres (e.g. CGCS2000 Gauss-Krüger EPSG:4530) or geographic "
            "(EPSG:4490/4326); on a geographic DEM each row uses its own ellipsoidal cell size, "
            "so no z-factor is needed. A DEM in Web Mercator or with no CRS is refused.\n"
            "NoData rule: a cell gets a slope only when its whole 3×3 window is valid; raster "
            "edges and cells next to NoData are NoData, as in gdaldem without -compute_edges.\n"
            "The DEM is processed in row bands, so memory stays bounded for any size."
        )

    def process(self, parameters, context, feedback):
        from ..core.terrain.slope import compute_slope

        dem = self.raster_file(parameters, self.INPUT, context, self.tr("DEM"))
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        stats = compute_slope(dem, out, feedback, layer=self.tr("DEM"))
        feedback.info(
            self.tr("Slope: {n} valid cells, min {lo:.2f}°, mean {mean:.2f}°, max {hi:.2f}°").format(
                n=stats.valid_cells, lo=stats.min, mean=stats.mean, hi=stats.max
            )
        )
        write_run_metadata(out, run_metadata("slope", {"dem": dem}, {}, stats.as_dict()))
        self.style_output(context, out, "slope.qml", self.tr("Slope (°)"))
        return {self.OUTPUT: out}
