"""``glacvel:import_velocity``: external vx/vy rasters → a glacvel velocity product."""
import datetime as _dt
import os
import re

import numpy as np
from qgis.core import (QgsProcessingParameterDateTime, QgsProcessingParameterEnum,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString)

from ..core.stable_ground import velocity_error
from ..io.grid import units_factor
from ..io.info import read_single_band
from ..io.product import standard_tags, write_product
from .base import GlacvelAlgorithm, check_canceled, optional_datetime

UNITS = ("m/d", "m/yr", "m")
"""Units of the input rasters: velocity in m/d, velocity in m/yr, displacement in m over Δt."""

_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})(\d{2})(\d{2})(?!\d)")


def dates_from_name(path):
    """The first two valid ``YYYYMMDD`` dates in a file name, earlier first, or None.

    Matches CARST/GLAFT names (``20180304-20180405_velo-raw_vx.tif``), ITS_LIVE
    pair names and similar. Times are taken as 00:00 UTC.
    """
    found = []
    for y, m, d in _DATE.findall(os.path.basename(path)):
        try:
            found.append(_dt.datetime(int(y), int(m), int(d)))
        except ValueError:
            continue
    if len(found) < 2 or found[0] == found[1]:
        return None
    return tuple(sorted(found[:2]))


class ImportVelocity(GlacvelAlgorithm):
    """Separate vx/vy (and error) rasters → a glacvel velocity product (m/d)."""

    ALG_ID = "import_velocity"
    GROUP_ID = "products"

    VX, VY, VX_ERROR, VY_ERROR = "VX", "VY", "VX_ERROR", "VY_ERROR"
    UNITS, START_DATE, END_DATE, SENSOR, NODATA, OUTPUT = (
        "UNITS", "START_DATE", "END_DATE", "SENSOR", "NODATA", "OUTPUT")

    def displayName(self):
        return self.tr("Import velocity rasters")

    def shortHelpString(self):
        return self.tr(
            "Builds a glacvel velocity product from external rasters (CARST, GLAFT, ITS_LIVE, "
            "COSI-Corr, SNAP exports) so every glacvel algorithm accepts them.\n\n"
            "VX, VY: east and north components (north-positive), one band each, on the same "
            "grid. VX_ERROR, VY_ERROR (optional): their 1-sigma errors in the same units.\n"
            "UNITS: m/d, m/yr (ITS_LIVE; divided by 365.25 d) or metres of displacement over "
            "the time baseline (divided by END_DATE - START_DATE).\n"
            "START_DATE, END_DATE: acquisition times of the earlier and later image; when left "
            "empty they are read from two YYYYMMDD dates in the VX file name.\n"
            "NODATA: no-data value of the inputs (the files' own no-data value is also used).\n\n"
            "The output has bands v, vx, vy (m/d), dx, dy (metres over the baseline) and, when "
            "errors are given, vx_error, vy_error and v_error (m/d; v_error = "
            "sqrt((sx*vx)^2 + (sy*vy)^2)/|v|). The grid is kept as it is: algorithms that need "
            "a common grid reproject.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(self.VX, self.tr("East velocity vx")))
        self.addParameter(QgsProcessingParameterRasterLayer(self.VY,
                                                            self.tr("North velocity vy")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.VX_ERROR, self.tr("Error of vx (1 sigma)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.VY_ERROR, self.tr("Error of vy (1 sigma)"), optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.UNITS, self.tr("Units of the inputs"),
            options=[self.tr("m/d"), self.tr("m/yr"), self.tr("m over the time baseline")],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterDateTime(
            self.START_DATE, self.tr("Start (earlier image) time, UTC"), optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.END_DATE, self.tr("End (later image) time, UTC"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.SENSOR, self.tr("Sensor"), defaultValue="unknown"))
        self.addParameter(QgsProcessingParameterNumber(
            self.NODATA, self.tr("No-data value of the inputs"),
            QgsProcessingParameterNumber.Double, defaultValue=-9999.0))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Velocity product")))

    def _layer_path(self, parameters, name, context):
        layer = self.parameterAsRasterLayer(parameters, name, context)
        if layer is None:
            return None
        return layer.source()

    def process(self, parameters, context, feedback):
        vx_path = self._layer_path(parameters, self.VX, context)
        vy_path = self._layer_path(parameters, self.VY, context)
        if not vx_path or not vy_path:
            raise ValueError("give both VX and VY rasters")
        ex_path = self._layer_path(parameters, self.VX_ERROR, context)
        ey_path = self._layer_path(parameters, self.VY_ERROR, context)
        if bool(ex_path) != bool(ey_path):
            raise ValueError("give both VX_ERROR and VY_ERROR, or neither")
        units = UNITS[self.parameterAsEnum(parameters, self.UNITS, context)]
        nodata = self.parameterAsDouble(parameters, self.NODATA, context)
        sensor = self.parameterAsString(parameters, self.SENSOR, context) or "unknown"
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)

        start = optional_datetime(self, parameters, self.START_DATE, context)
        end = optional_datetime(self, parameters, self.END_DATE, context)
        if start is None or end is None:
            named = dates_from_name(vx_path)
            if named is None:
                raise ValueError(
                    "set START_DATE and END_DATE: the VX file name "
                    f"{os.path.basename(vx_path)} holds no pair of YYYYMMDD dates")
            start = start or named[0]
            end = end or named[1]
            feedback.pushInfo(self.tr("Time baseline from the file name: {} to {}").format(
                start.isoformat(), end.isoformat()))
        tags = standard_tags(sensor, start, end, "import", SOURCE_UNITS=units,
                             SOURCE_VX=os.path.basename(vx_path),
                             SOURCE_VY=os.path.basename(vy_path))
        dt_days = float(tags["DT_DAYS"])
        # displacement over Δt, else velocity converted as for every product (÷ 365.25 for m/yr)
        factor = 1.0 / dt_days if units == "m" else units_factor(units)

        inputs = [(self.VX, vx_path), (self.VY, vy_path)]
        if ex_path:
            inputs += [(self.VX_ERROR, ex_path), (self.VY_ERROR, ey_path)]
        arrays = {}
        grid = None
        for label, path in inputs:
            check_canceled(feedback)
            a, transform, crs = read_single_band(path, nodata, label)
            if grid is None:
                grid = (a.shape, transform, crs)
            elif (a.shape != grid[0] or not transform.almost_equals(grid[1])
                  or crs != grid[2]):
                raise ValueError(
                    f"{label} ({os.path.basename(path)}, {a.shape[1]}x{a.shape[0]}) is not on "
                    f"the grid of VX ({grid[0][1]}x{grid[0][0]}, same transform and CRS "
                    "needed); warp it onto the VX grid first")
            arrays[label] = a * np.float32(factor)
        shape, transform, crs = grid
        if not crs.is_projected:
            raise ValueError("VX is in a geographic CRS; velocity grids must be projected "
                             "(metres): warp the rasters to UTM first")
        vx, vy = arrays[self.VX], arrays[self.VY]
        both = np.isfinite(vx) & np.isfinite(vy)
        vx = np.where(both, vx, np.nan).astype(np.float32)
        vy = np.where(both, vy, np.nan).astype(np.float32)
        if not both.any():
            raise ValueError("VX and VY have no pixel with data in both; check NODATA")
        bands = {"v": np.hypot(vx, vy), "vx": vx, "vy": vy,
                 "dx": vx * np.float32(dt_days), "dy": vy * np.float32(dt_days)}
        if ex_path:
            sx = np.where(both, np.abs(arrays[self.VX_ERROR]), np.nan)
            sy = np.where(both, np.abs(arrays[self.VY_ERROR]), np.nan)
            bands.update(vx_error=sx.astype(np.float32), vy_error=sy.astype(np.float32),
                         v_error=velocity_error(vx, vy, sx, sy))
        check_canceled(feedback)
        band_tags = {name: {"UNITS": "m" if name in ("dx", "dy") else "m/d"} for name in bands}
        write_product(out, bands, transform, crs, tags, band_tags=band_tags,
                      protect=[p for _, p in inputs])
        feedback.pushInfo(self.tr("Imported {} valid pixels, {} to m/d with factor {}").format(
            int(both.sum()), units, f"{factor:.6g}"))
        return {self.OUTPUT: out}


ALGORITHMS = [ImportVelocity]
