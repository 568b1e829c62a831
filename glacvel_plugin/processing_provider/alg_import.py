"""``glacvel:import_velocity``: external vx/vy rasters or an ITS_LIVE granule → a glacvel
velocity product."""
import datetime as _dt
import os
import re

import numpy as np
from qgis.core import (QgsProcessingParameterDateTime, QgsProcessingParameterEnum,
                       QgsProcessingParameterFile, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString)

from ..core.stable_ground import velocity_error
from ..io.grid import units_factor
from ..io.info import read_single_band
from ..io.itslive import granule_file, is_netcdf, read_itslive_granule
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
    """Separate vx/vy (and error) rasters, or an ITS_LIVE image-pair netCDF granule →
    a glacvel velocity product (m/d)."""

    ALG_ID = "import_velocity"
    GROUP_ID = "products"

    GRANULE = "GRANULE"
    VX, VY, VX_ERROR, VY_ERROR = "VX", "VY", "VX_ERROR", "VY_ERROR"
    UNITS, START_DATE, END_DATE, SENSOR, NODATA, OUTPUT = (
        "UNITS", "START_DATE", "END_DATE", "SENSOR", "NODATA", "OUTPUT")

    def displayName(self):
        return self.tr("Import velocity rasters")

    def shortHelpString(self):
        return self.tr(
            "Builds a glacvel velocity product from external rasters (CARST, GLAFT, ITS_LIVE, "
            "COSI-Corr, SNAP exports) or from an ITS_LIVE image-pair granule, so every "
            "glacvel algorithm (fusion, monthly velocity included) accepts them.\n\n"
            "GRANULE: an ITS_LIVE image-pair netCDF file (autoRIFT layout: variables vx, vy, "
            "v, v_error in meter/year, grid mapping 'mapping', pair dates in img_pair_info). "
            "Velocities are converted to m/d (÷ 365.25 d), the grid and projection are the "
            "granule's (north-up), START_DATE/END_DATE default to its acquisition dates and "
            "SENSOR (when left 'unknown') to its satellite (L8, S2, S1, ...). A netCDF file "
            "given as VX is read the same way. UNITS and NODATA are then not used (the "
            "granule's own units and fill value are).\n\n"
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
        self.addParameter(QgsProcessingParameterFile(
            self.GRANULE, self.tr("ITS_LIVE granule (netCDF)"), optional=True,
            fileFilter=self.tr("ITS_LIVE netCDF granules (*.nc *.nc4)")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.VX, self.tr("East velocity vx"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.VY, self.tr("North velocity vy"), optional=True))
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
        granule = self.parameterAsFile(parameters, self.GRANULE, context)
        vx_path = self._layer_path(parameters, self.VX, context)
        vy_path = self._layer_path(parameters, self.VY, context)
        if not granule and vx_path and is_netcdf(vx_path) and (
                not vy_path or granule_file(vy_path) == granule_file(vx_path)):
            granule = granule_file(vx_path)
        elif granule and (vx_path or vy_path):
            raise ValueError(self.tr(
                "give either an ITS_LIVE granule or VX and VY rasters, not both"))
        if granule:
            return self.import_granule(granule, parameters, context, feedback)
        if not vx_path or not vy_path:
            raise ValueError(self.tr(
                "give both VX and VY rasters, or an ITS_LIVE granule (netCDF)"))
        ex_path = self._layer_path(parameters, self.VX_ERROR, context)
        ey_path = self._layer_path(parameters, self.VY_ERROR, context)
        if bool(ex_path) != bool(ey_path):
            raise ValueError(self.tr("give both VX_ERROR and VY_ERROR, or neither"))
        units = UNITS[self.parameterAsEnum(parameters, self.UNITS, context)]
        nodata = self.parameterAsDouble(parameters, self.NODATA, context)
        sensor = self.parameterAsString(parameters, self.SENSOR, context) or "unknown"
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)

        start = optional_datetime(self, parameters, self.START_DATE, context)
        end = optional_datetime(self, parameters, self.END_DATE, context)
        if start is None or end is None:
            named = dates_from_name(vx_path)
            if named is None:
                raise ValueError(self.tr(
                    "set START_DATE and END_DATE: the VX file name {} holds no pair of "
                    "YYYYMMDD dates").format(os.path.basename(vx_path)))
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
                raise ValueError(self.tr(
                    "{} ({}, {}x{}) is not on the grid of VX ({}x{}, same transform and CRS "
                    "needed); warp it onto the VX grid first").format(
                        label, os.path.basename(path), a.shape[1], a.shape[0], grid[0][1],
                        grid[0][0]))
            arrays[label] = a * np.float32(factor)
        shape, transform, crs = grid
        if not crs.is_projected:
            raise ValueError(self.tr("VX is in a geographic CRS; velocity grids must be "
                                     "projected (metres): warp the rasters to UTM first"))
        vx, vy = arrays[self.VX], arrays[self.VY]
        both = np.isfinite(vx) & np.isfinite(vy)
        vx = np.where(both, vx, np.nan).astype(np.float32)
        vy = np.where(both, vy, np.nan).astype(np.float32)
        if not both.any():
            raise ValueError(self.tr("VX and VY have no pixel with data in both; check NODATA"))
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

    def import_granule(self, path, parameters, context, feedback):
        """An ITS_LIVE image-pair granule → a glacvel product (m/d, the granule's grid)."""
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        name = os.path.basename(path)
        feedback.pushInfo(self.tr("Reading ITS_LIVE granule {}").format(name))
        g = read_itslive_granule(path, is_canceled=feedback.isCanceled)
        check_canceled(feedback)
        start = optional_datetime(self, parameters, self.START_DATE, context) or g.start
        end = optional_datetime(self, parameters, self.END_DATE, context) or g.end
        if start is None or end is None:
            raise ValueError(self.tr(
                "{} has no acquisition dates (img_pair_info attributes acquisition_date_img1 "
                "and acquisition_date_img2): set START_DATE and END_DATE").format(name))
        sensor = self.parameterAsString(parameters, self.SENSOR, context).strip()
        if not sensor or sensor == "unknown":
            sensor = g.sensor
        extra = dict(SOURCE_FORMAT="ITS_LIVE granule", SOURCE_FILE=name,
                     SOURCE_UNITS="meter/year")
        if g.satellite:
            extra["SATELLITE"] = g.satellite
        for key in ("date_center", "date_dt", "roi_valid_percentage"):
            if g.pair_info.get(key) not in (None, ""):
                extra[f"ITSLIVE_{key}"] = g.pair_info[key]
        tags = standard_tags(sensor, start, end, "import", **extra)
        dt_days = float(tags["DT_DAYS"])
        try:
            granule_dt = float(g.pair_info.get("date_dt"))
        except (TypeError, ValueError):
            granule_dt = None
        if granule_dt is not None and abs(granule_dt - dt_days) > 0.01:
            feedback.reportError(self.tr(
                "{}: its date_dt ({:.3f} d) differs from the time baseline of the dates used "
                "({:.3f} d)").format(name, granule_dt, dt_days), False)
        vx, vy = g.bands["vx"], g.bands["vy"]
        both = np.isfinite(vx) & np.isfinite(vy)
        if not both.any():
            raise ValueError(self.tr("{} has no pixel with both vx and vy (all fill "
                                     "values)").format(name))
        vx = np.where(both, vx, np.nan).astype(np.float32)
        vy = np.where(both, vy, np.nan).astype(np.float32)
        bands = {"v": np.hypot(vx, vy), "vx": vx, "vy": vy,
                 "dx": vx * np.float32(dt_days), "dy": vy * np.float32(dt_days)}
        if "vx_error" in g.bands and "vy_error" in g.bands:
            sx = np.where(both, g.bands["vx_error"], np.nan).astype(np.float32)
            sy = np.where(both, g.bands["vy_error"], np.nan).astype(np.float32)
            bands.update(vx_error=sx, vy_error=sy)
        if "v_error" in g.bands:
            bands["v_error"] = np.where(both, g.bands["v_error"], np.nan).astype(np.float32)
        elif "vx_error" in bands:
            bands["v_error"] = velocity_error(vx, vy, bands["vx_error"], bands["vy_error"])
        for note in g.notes:
            feedback.pushInfo(note)
        check_canceled(feedback)
        band_tags = {b: {"UNITS": "m" if b in ("dx", "dy") else "m/d"} for b in bands}
        write_product(out, bands, g.transform, g.crs, tags, band_tags=band_tags,
                      protect=[path])
        feedback.pushInfo(self.tr(
            "Imported {} valid pixels of {} ({} {} to {}), meter/year to m/d").format(
                int(both.sum()), name, sensor, start.strftime("%Y-%m-%d"),
                end.strftime("%Y-%m-%d")))
        return {self.OUTPUT: out}


ALGORITHMS = [ImportVelocity]
