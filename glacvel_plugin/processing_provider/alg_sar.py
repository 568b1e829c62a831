"""``glacvel:sar_offset_tracking``: Sentinel-1 GRD amplitude offset tracking → velocity product.

Parameter glue: the work is done by :func:`glacvel_plugin.io.sar.track_sar_files`.
"""
from __future__ import annotations

from qgis.core import (QgsProcessingParameterDateTime, QgsProcessingParameterDefinition,
                       QgsProcessingParameterEnum, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer)

from ..core import offset_tracking as ot
from ..io.sar import track_sar_files
from .base import GlacvelAlgorithm, callbacks, layer_path, optional_datetime


class SarOffsetTracking(GlacvelAlgorithm):
    """Sentinel-1 GRD amplitude offset tracking (NCC on log amplitude, SNAP-like options)."""

    ALG_ID = "sar_offset_tracking"
    GROUP_ID = "correlation"

    REFERENCE, SECONDARY, INPUT_SCALE = "REFERENCE", "SECONDARY", "INPUT_SCALE"
    REFERENCE_TIME, SECONDARY_TIME = "REFERENCE_TIME", "SECONDARY_TIME"
    WINDOW, OUTPUT_RESOLUTION, STEP, MAX_SPEED = "WINDOW", "OUTPUT_RESOLUTION", "STEP", "MAX_SPEED"
    CC_THRESHOLD, AVERAGE_BOX, FILL_RADIUS = "CC_THRESHOLD", "AVERAGE_BOX", "FILL_RADIUS"
    MEDIAN_TEST, SPECKLE_SIGMA, OUTPUT = "MEDIAN_TEST", "SPECKLE_SIGMA", "OUTPUT"
    PEAK_RATIO = "PEAK_RATIO"

    SCALES = (None, ot.SCALE_POWER, ot.SCALE_AMPLITUDE, ot.SCALE_DB)

    def displayName(self):
        return self.tr("SAR offset tracking (Sentinel-1 GRD)")

    def shortHelpString(self):
        return self.tr(
            "Amplitude offset tracking of two geocoded (terrain-corrected) Sentinel-1 GRD images "
            "of the same track, as in ESA SNAP's Offset Tracking, giving a glacvel velocity "
            "product.\n\n"
            "The backscatter (linear power, linear amplitude or dB; detected from tags, names or "
            "values when set to Detect) is converted to log amplitude and lightly low-passed "
            "against speckle (SPECKLE_SIGMA px). Matching windows of WINDOW px (128 as in the "
            "published chain) centred on nodes every STEP px are matched by normalised "
            "cross-correlation within a search range of MAX_SPEED x time baseline; sub-pixel by "
            "16x oversampling of the correlation peak.\n"
            "Rejected: correlation peak below CC_THRESHOLD (SNAP 0.1), faster than MAX_SPEED, "
            "normalised-median-test outliers (MEDIAN_TEST, 0 = off), and, optionally, a peak ratio "
            "(peak / mean |NCC| over the search area) below PEAK_RATIO. Optional SNAP-like "
            "averaging "
            "over AVERAGE_BOX x AVERAGE_BOX nodes (1 = off; SNAP uses 5) and hole filling within "
            "FILL_RADIUS nodes (0 = off; SNAP uses 4). Both are off by default so that the "
            "product holds measurements only.\n"
            "Output grid: OUTPUT_RESOLUTION m (default 30 m). Nodes every STEP px; STEP 0 = "
            "the output resolution but at least WINDOW/8 px (128 px windows 3 px apart would "
            "overlap by 98 % and only multiply the run time); output cells between nodes are "
            "interpolated bilinearly (flag +4).\n"
            "Bands: v, vx, vy (m/d, x east, y north), dx, dy (m over the baseline), quality (NCC "
            "peak of the measurement; empty for filled cells) and flag: 0 = measurement, "
            "1 = averaged, 2 = hole-filled, +4 = interpolated between nodes. Only flag 0 is a "
            "raw measurement.\n"
            "Times come from REFERENCE_TIME/SECONDARY_TIME or from Sentinel-1 names "
            "(S1A_IW_GRDH_1SDV_YYYYMMDDTHHMMSS_...). Orbit/terrain residual offsets are not "
            "removed: apply a stable-ground correction afterwards.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, self.tr("Reference (earlier) Sentinel-1 GRD image")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.SECONDARY, self.tr("Secondary (later) Sentinel-1 GRD image")))
        self.addParameter(QgsProcessingParameterEnum(
            self.INPUT_SCALE, self.tr("Backscatter scale"),
            options=[self.tr("Detect from tags, names or values"), self.tr("Linear power"),
                     self.tr("Linear amplitude"), self.tr("dB")], defaultValue=0))
        self.addParameter(QgsProcessingParameterDateTime(
            self.REFERENCE_TIME, self.tr("Reference acquisition time, UTC (empty: from name/tags)"),
            optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.SECONDARY_TIME, self.tr("Secondary acquisition time, UTC (empty: from name/tags)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.WINDOW, self.tr("Matching window (px)"), QgsProcessingParameterNumber.Integer,
            defaultValue=128, minValue=8))
        self.addParameter(QgsProcessingParameterNumber(
            self.OUTPUT_RESOLUTION, self.tr("Output grid resolution (m)"),
            QgsProcessingParameterNumber.Double, defaultValue=30.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SPEED, self.tr("Maximum speed (m/d)"), QgsProcessingParameterNumber.Double,
            defaultValue=5.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.CC_THRESHOLD, self.tr("Cross-correlation threshold"),
            QgsProcessingParameterNumber.Double, defaultValue=0.1, minValue=-1.0, maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.AVERAGE_BOX, self.tr("Averaging box (nodes, odd; 1 = off)"),
            QgsProcessingParameterNumber.Integer, defaultValue=1, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.FILL_RADIUS, self.tr("Hole-filling radius (nodes; 0 = off)"),
            QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0))
        adv = [
            QgsProcessingParameterNumber(
                self.STEP, self.tr("Node spacing (px; 0 = auto)"),
                QgsProcessingParameterNumber.Integer, defaultValue=0, minValue=0),
            QgsProcessingParameterNumber(
                self.MEDIAN_TEST, self.tr("Normalised median test threshold (0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=2.0, minValue=0.0),
            QgsProcessingParameterNumber(
                self.PEAK_RATIO, self.tr("Minimum peak ratio (peak / mean |NCC|; 0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0),
            QgsProcessingParameterNumber(
                self.SPECKLE_SIGMA, self.tr("Speckle low-pass sigma (px; 0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=0.7, minValue=0.0),
        ]
        for p in adv:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Velocity product")))

    def process(self, parameters, context, feedback):
        ref_path = layer_path(self, parameters, self.REFERENCE, context)
        sec_path = layer_path(self, parameters, self.SECONDARY, context)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        progress, is_canceled = callbacks(feedback)
        res = track_sar_files(
            ref_path, sec_path, out_path,
            optional_datetime(self, parameters, self.REFERENCE_TIME, context),
            optional_datetime(self, parameters, self.SECONDARY_TIME, context),
            scale=self.SCALES[self.parameterAsEnum(parameters, self.INPUT_SCALE, context)],
            window=self.parameterAsInt(parameters, self.WINDOW, context),
            resolution=self.parameterAsDouble(parameters, self.OUTPUT_RESOLUTION, context),
            step=self.parameterAsInt(parameters, self.STEP, context),
            max_speed=self.parameterAsDouble(parameters, self.MAX_SPEED, context),
            cc_threshold=self.parameterAsDouble(parameters, self.CC_THRESHOLD, context),
            average_box=self.parameterAsInt(parameters, self.AVERAGE_BOX, context),
            fill_radius=self.parameterAsInt(parameters, self.FILL_RADIUS, context),
            median_test=self.parameterAsDouble(parameters, self.MEDIAN_TEST, context),
            peak_ratio=self.parameterAsDouble(parameters, self.PEAK_RATIO, context),
            speckle_sigma=self.parameterAsDouble(parameters, self.SPECKLE_SIGMA, context),
            progress=progress, is_canceled=is_canceled)
        for note in res.info.get("fill", []):
            feedback.pushWarning(note)
        for name, scale, why in res.info["scales"]:
            feedback.pushInfo(self.tr("Backscatter scale of {}: {} ({})").format(name, scale, why))
        feedback.pushInfo(self.tr("Δt = {:.3f} d; search range ±{} px; node spacing {} px "
                                  "({:.1f} m); window {} px").format(
            res.dt_days, res.search, res.step, res.step * max(res.pixel),
            res.window))
        for k, v in res.rejected.items():
            feedback.pushInfo(self.tr("Rejected ({}): {} of {} nodes").format(k, v, res.n_points))
        return {self.OUTPUT: out_path}


ALGORITHMS = [SarOffsetTracking]
