"""``glacvel:uav_feature_tracking``: ImGRAFT-style feature tracking of UAV orthomosaics.

Parameter glue: the work is done by :func:`glacvel_plugin.io.uav.track_uav_files`; this
file turns its tracked points into the optional points layer.
"""
from __future__ import annotations

from qgis.core import (QgsCoordinateReferenceSystem, QgsFeature, QgsFeatureSink, QgsField,
                       QgsFields, QgsGeometry, QgsPointXY, QgsProcessingParameterDateTime,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer,
                       QgsWkbTypes)
from qgis.PyQt.QtCore import QVariant

from ..io.uav import METHODS, POINT_FIELDS, track_uav_files
from .base import GlacvelAlgorithm, callbacks, layer_path, optional_datetime


class UavFeatureTracking(GlacvelAlgorithm):
    """Template matching of two UAV orthomosaics on a regular grid in metres."""

    ALG_ID = "uav_feature_tracking"
    GROUP_ID = "correlation"

    REFERENCE, SECONDARY = "REFERENCE", "SECONDARY"
    REFERENCE_TIME, SECONDARY_TIME = "REFERENCE_TIME", "SECONDARY_TIME"
    TEMPLATE_SIZE, SPACING, MAX_SPEED, METHOD = "TEMPLATE_SIZE", "SPACING", "MAX_SPEED", "METHOD"
    MIN_PEAK, MIN_PEAK_RATIO, MEDIAN_TEST = "MIN_PEAK", "MIN_PEAK_RATIO", "MEDIAN_TEST"
    WORK_RESOLUTION, TARGET_RESOLUTION = "WORK_RESOLUTION", "TARGET_RESOLUTION"
    OUTPUT_POINTS, OUTPUT = "OUTPUT_POINTS", "OUTPUT"

    def displayName(self):
        return self.tr("UAV feature tracking (orthomosaics)")

    def shortHelpString(self):
        return self.tr(
            "Feature tracking of two UAV orthomosaics as in ImGRAFT (Messerli & Grinsted 2015): "
            "square templates of TEMPLATE_SIZE metres cut from the reference on a regular grid "
            "every SPACING metres are searched for in the secondary within MAX_SPEED x time "
            "baseline, by normalised cross-correlation (NCC) or orientation correlation; "
            "sub-pixel by 16x oversampling of the correlation peak.\n\n"
            "Inputs may be RGB (converted to luminance) or single band, on different grids and "
            "extents (the secondary is warped onto the reference grid, or onto a coarser work "
            "grid of WORK_RESOLUTION metres, which makes large centimetre mosaics faster). "
            "Times come from REFERENCE_TIME/SECONDARY_TIME or the files' date tags (EXIF "
            "DateTimeOriginal, TIFFTAG_DATETIME).\n"
            "Rejected: correlation below MIN_PEAK, peak ratio (peak / mean |correlation|) below "
            "MIN_PEAK_RATIO, peaks at the limit of the search area, normalised-median-test "
            "outliers on the point grid (MEDIAN_TEST, 0 = off).\n"
            "Outputs: the tracked points (vx, vy, v in m/d, x east, y north; dx, dy in metres; "
            "quality = correlation peak; peak_ratio) and a velocity product on a "
            "TARGET_RESOLUTION grid (default 30 m): the median of the valid points in each cell "
            "(robust block aggregation) with a count band. Images are read window by window, "
            "so memory stays bounded for large orthomosaics.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.REFERENCE, self.tr("Reference (earlier) orthomosaic")))
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.SECONDARY, self.tr("Secondary (later) orthomosaic")))
        self.addParameter(QgsProcessingParameterDateTime(
            self.REFERENCE_TIME, self.tr("Reference acquisition time, UTC (empty: from tags)"),
            optional=True))
        self.addParameter(QgsProcessingParameterDateTime(
            self.SECONDARY_TIME, self.tr("Secondary acquisition time, UTC (empty: from tags)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.TEMPLATE_SIZE, self.tr("Template size (m)"), QgsProcessingParameterNumber.Double,
            defaultValue=20.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            self.SPACING, self.tr("Grid spacing of the templates (m)"),
            QgsProcessingParameterNumber.Double, defaultValue=10.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            self.MAX_SPEED, self.tr("Maximum speed (m/d)"), QgsProcessingParameterNumber.Double,
            defaultValue=3.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Similarity"),
            options=[self.tr("Normalised cross-correlation"), self.tr("Orientation correlation")],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            self.TARGET_RESOLUTION, self.tr("Velocity product resolution (m)"),
            QgsProcessingParameterNumber.Double, defaultValue=30.0, minValue=0.01))
        adv = [
            QgsProcessingParameterNumber(
                self.MIN_PEAK, self.tr("Minimum correlation peak"),
                QgsProcessingParameterNumber.Double, defaultValue=0.3, minValue=-1.0,
                maxValue=1.0),
            QgsProcessingParameterNumber(
                self.MIN_PEAK_RATIO, self.tr("Minimum peak ratio (0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0),
            QgsProcessingParameterNumber(
                self.MEDIAN_TEST, self.tr("Normalised median test threshold (0 = off)"),
                QgsProcessingParameterNumber.Double, defaultValue=2.0, minValue=0.0),
            QgsProcessingParameterNumber(
                self.WORK_RESOLUTION, self.tr("Work grid resolution (m; 0 = reference pixels)"),
                QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0),
        ]
        for p in adv:
            p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
            self.addParameter(p)
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_POINTS, self.tr("Tracked points"), optional=True, createByDefault=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Velocity product")))

    def process(self, parameters, context, feedback):
        ref_path = layer_path(self, parameters, self.REFERENCE, context)
        sec_path = layer_path(self, parameters, self.SECONDARY, context)
        out_path = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        progress, is_canceled = callbacks(feedback)
        res = track_uav_files(
            ref_path, sec_path, out_path,
            optional_datetime(self, parameters, self.REFERENCE_TIME, context),
            optional_datetime(self, parameters, self.SECONDARY_TIME, context),
            window_m=self.parameterAsDouble(parameters, self.TEMPLATE_SIZE, context),
            step_m=self.parameterAsDouble(parameters, self.SPACING, context),
            max_speed=self.parameterAsDouble(parameters, self.MAX_SPEED, context),
            method=METHODS[self.parameterAsEnum(parameters, self.METHOD, context)],
            min_peak=self.parameterAsDouble(parameters, self.MIN_PEAK, context),
            min_peak_ratio=self.parameterAsDouble(parameters, self.MIN_PEAK_RATIO, context),
            median_test=self.parameterAsDouble(parameters, self.MEDIAN_TEST, context),
            work_resolution=self.parameterAsDouble(parameters, self.WORK_RESOLUTION, context),
            resolution=self.parameterAsDouble(parameters, self.TARGET_RESOLUTION, context),
            progress=progress, is_canceled=is_canceled)
        feedback.pushInfo(self.tr(
            "Δt = {:.3f} d; work pixel {:.3f} m; template {} px; search range ±{} px").format(
            res.dt_days, res.pixel[0], res.window, res.search))
        for k, v in res.rejected.items():
            feedback.pushInfo(self.tr("Rejected ({}): {} of {} points").format(k, v, res.n_points))

        fields = QgsFields()
        for name in POINT_FIELDS:
            fields.append(QgsField(name, QVariant.Double))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT_POINTS, context, fields,
                                          QgsWkbTypes.Point,
                                          QgsCoordinateReferenceSystem.fromWkt(res.crs_wkt))
        results = {self.OUTPUT: out_path}
        if sink is not None:  # the points output is optional
            pts = res.points
            for i in range(len(pts["x"])):
                f = QgsFeature(fields)
                f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(pts["x"][i]),
                                                                 float(pts["y"][i]))))
                f.setAttributes([float(pts[name][i]) for name in POINT_FIELDS])
                sink.addFeature(f, QgsFeatureSink.FastInsert)
            results[self.OUTPUT_POINTS] = dest
        feedback.setProgress(100)
        return results


def _min_spacing(n_pts, spacing):
    """Smallest SPACING (m) whose grid fits in the memory budget of io.budget."""
    from ..io.budget import MEMORY_SHARE, available_memory
    fit = MEMORY_SHARE * available_memory() / (4 * 8 + 1 + 64)
    return spacing * math.sqrt(max(n_pts, 1.0) / max(fit, 1.0))


ALGORITHMS = [UavFeatureTracking]
