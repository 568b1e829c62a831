"""``glacvel:optical_correlation``: velocity from an optical image pair (thin glue)."""
import os

from qgis.core import (QgsProcessingParameterBand, QgsProcessingParameterDateTime,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer)

from ..core.filters import PREFILTERS
from ..core.pipeline import DEFAULT_METHOD, METHODS
from ..core.velocity import baseline_days
from ..io.budget import check_search_file
from ..io.fill import detect_fill, fill_preprocess, no_match_causes
from ..io.pair import correlate_files
from ..io.scenes import acquisition_time
from ..io.sensor import optical_input_warning
from .base import GlacvelAlgorithm, ProgressLog, optional_datetime

PREFILTER_KEYS = list(PREFILTERS)
METHOD_KEYS = list(METHODS)
DEFAULT_METHOD_INDEX = METHOD_KEYS.index(DEFAULT_METHOD)


class OpticalCorrelationAlgorithm(GlacvelAlgorithm):
    """Dense displacement and velocity (m/d) from two optical images of one area."""

    ALG_ID = "optical_correlation"
    GROUP_ID = "correlation"

    # parameter and output keys
    MEDIAN_TEST = "MEDIAN_TEST"
    REFERENCE = "REFERENCE"
    REFERENCE_BAND = "REFERENCE_BAND"
    SECONDARY = "SECONDARY"
    SECONDARY_BAND = "SECONDARY_BAND"
    REFERENCE_TIME = "REFERENCE_TIME"
    SECONDARY_TIME = "SECONDARY_TIME"
    WINDOW = "WINDOW"
    STEP = "STEP"
    MAX_SPEED = "MAX_SPEED"
    PREFILTER = "PREFILTER"
    METHOD = "METHOD"
    MIN_QUALITY = "MIN_QUALITY"
    OUTPUT = "OUTPUT"

    def displayName(self):
        return self.tr("Optical image correlation (velocity)")

    def shortHelpString(self):
        return self.tr(
            "Measures glacier surface displacement between an earlier (reference) and a later "
            "(secondary) optical image, e.g. Landsat-8 band 8 (15 m) or Sentinel-2 band 8 (10 m), "
            "and writes a glacvel velocity product: bands v, vx, vy (m/d; x east, y north), "
            "dx, dy (metres over the time baseline) and quality, one value per window centre.\n\n"
            "The secondary image is aligned on the reference grid over the overlap. A coarse "
            "NCC search over the range set by the maximum speed finds large displacements. The "
            "default method then refines every window by dense Lucas-Kanade matching with "
            "window deformation (the windows deform with the flow) and measures again by phase "
            "correlation the windows where that refinement is rejected, its quality is below "
            "0.5 or the displacement changes by more than 6 px across the window (shear "
            "margins, calving fronts), at every second window there, the windows between taking "
            "the interpolation of neighbours that agree within 1 px, or the best of them where "
            "they differ by more than 5 px: fast and precise on slow "
            "ice and rock, complete in fast, sheared ice. Its quality is the NCC of the reference window and the matched "
            "secondary window (-1..1); on the Yahtse pair a minimum quality of 0.2 removes 84 % "
            "of the windows that differ from phase correlation by more than 2 px and 4 % of "
            "those within 0.5 px (docs/correlation.md). The other "
            "methods measure every window with one engine: phase correlation (quality = phase "
            "coherence 0..1), normalised cross-correlation (quality = NCC peak) or Lucas-Kanade "
            "alone (quality = NCC of the deformed windows; windows below 0.3 are left out; where "
            "it fails, phase correlation searches on a sparse grid and Lucas-Kanade restarts "
            "from there, but it leaves more no data in fast, sheared ice). "
            "Outliers (quality below the "
            "threshold, normalised median test, faster than the maximum speed) become no data.\n\n"
            "Minimum quality: windows whose quality is below it become no data; exactly 0 "
            "switches the threshold off. Any other value is applied, negative ones too: NCC "
            "and Lucas-Kanade quality lies in -1..1, so e.g. -0.05 removes only clearly "
            "anti-correlated windows (to reject every window with a negative NCC give a "
            "small positive value such as 0.01); phase coherence lies in 0..1, so a negative "
            "threshold removes nothing there.\n"
            "Bands: leave empty for single-band images; multi-band images need a band choice.\n"
            "Times: when empty they are read from Landsat/Sentinel names, MTL files or tags.\n"
            "Step: 0 = automatic, the step giving a 30 m grid (2 px on Landsat-8 B8, 3 px on "
            "Sentinel-2 B8). Pre-filter: high-pass (default), Wallis, orientation images "
            "(Heid & Kääb 2012) or none.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, self.tr("Reference image (earlier)")))
        self.addParameter(QgsProcessingParameterBand(
            self.REFERENCE_BAND, self.tr("Reference band (empty = band 1 of a single-band image)"),
            None, self.REFERENCE, optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.SECONDARY, self.tr("Secondary image (later)")))
        self.addParameter(QgsProcessingParameterBand(
            self.SECONDARY_BAND, self.tr("Secondary band (empty = band 1 of a single-band image)"),
            None, self.SECONDARY, optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.REFERENCE_TIME, self.tr("Reference acquisition time (UTC; empty = from the data)"),
            optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.SECONDARY_TIME, self.tr("Secondary acquisition time (UTC; empty = from the data)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.WINDOW, self.tr("Window (chip) size [px]"), QgsProcessingParameterNumber.Integer,
            32, minValue=8, maxValue=1024))
        self.addParameter(QgsProcessingParameterNumber(
            self.STEP, self.tr("Step [px] (0 = automatic: 30 m output grid)"),
            QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=1024))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SPEED, self.tr("Maximum speed [m/d] (sets the search range)"),
            QgsProcessingParameterNumber.Double, 20.0, minValue=0.001))
        self.addParameter(QgsProcessingParameterEnum(
            self.PREFILTER, self.tr("Pre-filter"),
            [self.tr("None"), self.tr("High-pass"), self.tr("Wallis"),
             self.tr("Orientation images")], defaultValue=1))
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Correlation method"),
            [self.tr("Phase correlation"), self.tr("Normalised cross-correlation (NCC)"),
             self.tr("Fast dense matching (Lucas-Kanade with window deformation)"),
             self.tr("Coarse search, deformable Lucas-Kanade, phase correlation where it is "
                     "rejected (default)")],
            defaultValue=DEFAULT_METHOD_INDEX))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_QUALITY,
            self.tr("Minimum quality (0 = no threshold; negative values apply to NCC/LK, -1..1)"),
            QgsProcessingParameterNumber.Double, 0.0, minValue=-1.0, maxValue=1.0))
        nmt = QgsProcessingParameterNumber(
            self.MEDIAN_TEST, self.tr("Normalised median test threshold (0 = off)"),
            QgsProcessingParameterNumber.Double, 2.0, minValue=0.0)
        nmt.setFlags(nmt.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(nmt)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Velocity product")))

    def process(self, parameters, context, feedback):
        ref_layer = self.parameterAsRasterLayer(parameters, self.REFERENCE, context)
        sec_layer = self.parameterAsRasterLayer(parameters, self.SECONDARY, context)
        if ref_layer is None or not ref_layer.isValid():
            raise ValueError(self.tr("the reference image cannot be read; give a raster file GDAL "
                                     "can open"))
        if sec_layer is None or not sec_layer.isValid():
            raise ValueError(self.tr("the secondary image cannot be read; give a raster file GDAL "
                                     "can open"))
        ref, sec = ref_layer.source(), sec_layer.source()
        for path, name in ((ref, self.REFERENCE), (sec, self.SECONDARY)):
            warning = optical_input_warning(path, name)
            if warning:
                feedback.pushWarning(warning)
        ref_band = self.parameterAsInt(parameters, self.REFERENCE_BAND, context) \
            if parameters.get(self.REFERENCE_BAND) not in (None, "") else 0
        sec_band = self.parameterAsInt(parameters, self.SECONDARY_BAND, context) \
            if parameters.get(self.SECONDARY_BAND) not in (None, "") else 0
        t0 = acquisition_time(
            ref, optional_datetime(self, parameters, self.REFERENCE_TIME, context),
            "reference image")
        t1 = acquisition_time(
            sec, optional_datetime(self, parameters, self.SECONDARY_TIME, context),
            "secondary image")
        step = self.parameterAsInt(parameters, self.STEP, context) or None
        min_q = self.parameterAsDouble(parameters, self.MIN_QUALITY, context)
        output = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        method = METHOD_KEYS[self.parameterAsEnum(parameters, self.METHOD, context)]
        log = ProgressLog(feedback)
        progress, is_canceled = log.progress, log.is_canceled
        dt_days = baseline_days(t0, t1)
        feedback.pushInfo(self.tr("Δt = {} d ({} → {} UTC)").format(
            f"{dt_days:.3f}", f"{t0:%Y-%m-%d %H:%M:%S}", f"{t1:%Y-%m-%d %H:%M:%S}"))
        max_speed = self.parameterAsDouble(parameters, self.MAX_SPEED, context)
        window = self.parameterAsInt(parameters, self.WINDOW, context)
        check_search_file(ref, max_speed, dt_days, window)
        preprocess = None
        for path, band, name in ((ref, ref_band, self.REFERENCE), (sec, sec_band, self.SECONDARY)):
            fill = detect_fill(path, band or 1)
            if fill is not None:
                preprocess = fill_preprocess()
                feedback.pushWarning(self.tr(
                    "{} {} has no nodata value and {}; 0 and 65535 are treated as no data "
                    "(stripes filled from their surroundings)").format(
                        name, os.path.basename(path), fill.describe()))
        log.stage(self.tr("aligning the secondary image on the reference grid, then a coarse "
                          "search on the image pyramid and the full-resolution pass strip by "
                          "strip"))
        try:
            res = self._correlate(ref, sec, output, t0, t1, ref_band, sec_band, window, step,
                                  max_speed, method, min_q, preprocess, parameters, context,
                                  progress, is_canceled)
        except ValueError as exc:
            if "no window could be matched" not in str(exc):
                raise
            causes = no_match_causes(ref, sec, window, step, max_speed, dt_days, ref_band,
                                     sec_band)
            if not causes:
                raise
            raise ValueError(self.tr("no window could be matched: {}").format(
                "; ".join(causes))) from exc
        feedback.pushInfo(self.tr(
            "window {} px, step {} px, search {} px, grid {} × {}, valid {} %").format(
                res['window'], res['step'], f"{res['search_px']:.1f}", res['shape'][1],
                res['shape'][0], f"{100 * res['valid_fraction']:.1f}"))
        return {self.OUTPUT: output}

    def _correlate(self, ref, sec, output, t0, t1, ref_band, sec_band, window, step, max_speed,
                   method, min_q, preprocess, parameters, context, progress, is_canceled):
        return correlate_files(
            ref, sec, output, t0, t1, ref_band=ref_band, sec_band=sec_band,
            window=window, step=step, max_speed=max_speed, method=method,
            prefilter=PREFILTER_KEYS[self.parameterAsEnum(parameters, self.PREFILTER, context)],
            min_quality=None if min_q == 0 else min_q,
            median_test=self.parameterAsDouble(parameters, self.MEDIAN_TEST, context),
            preprocess=preprocess, progress=progress, is_canceled=is_canceled)


ALGORITHMS = [OpticalCorrelationAlgorithm]
