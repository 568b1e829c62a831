"""``glacvel:uav_feature_tracking``: ImGRAFT-style feature tracking of UAV orthomosaics."""
from __future__ import annotations

import math
import os

import numpy as np
from affine import Affine
from qgis.core import (QgsCoordinateReferenceSystem, QgsFeature, QgsFeatureSink, QgsField,
                       QgsFields, QgsGeometry, QgsPointXY, QgsProcessingParameterDateTime,
                       QgsProcessingParameterDefinition, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer,
                       QgsWkbTypes)
from qgis.PyQt.QtCore import QVariant
from rasterio.windows import Window

from ..core import feature_tracking as ft
from ..core.offset_tracking import normalised_median_test
from ..io.budget import check_points, check_search
from ..io.product import standard_tags, write_product
from .alg_sar import AlignedPair, layer_path, pair_times
from .base import GlacvelAlgorithm, callbacks, check_canceled

POINT_FIELDS = ("vx", "vy", "v", "dx", "dy", "quality", "peak_ratio")


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
        tsize_m = self.parameterAsDouble(parameters, self.TEMPLATE_SIZE, context)
        spacing = self.parameterAsDouble(parameters, self.SPACING, context)
        max_speed = self.parameterAsDouble(parameters, self.MAX_SPEED, context)
        method = ("ncc", "oc")[self.parameterAsEnum(parameters, self.METHOD, context)]
        min_peak = self.parameterAsDouble(parameters, self.MIN_PEAK, context)
        min_ratio = self.parameterAsDouble(parameters, self.MIN_PEAK_RATIO, context)
        median_test = self.parameterAsDouble(parameters, self.MEDIAN_TEST, context)
        work_res = self.parameterAsDouble(parameters, self.WORK_RESOLUTION, context)
        target = self.parameterAsDouble(parameters, self.TARGET_RESOLUTION, context)

        with AlignedPair(ref_path, sec_path, resolution=work_res or None) as pair:
            t0, t1, dt = pair_times(self, parameters, context, ref_path, sec_path)
            px = pair.pixel[0]
            template = max(int(round(tsize_m / px)), 4)
            search = ft.search_range_px(max_speed, dt, px)
            feedback.pushInfo(self.tr(
                "Δt = {:.3f} d; work pixel {:.3f} m; template {} px; search range ±{} px").format(
                dt, px, template, search))
            ow = pair.overlap_window()
            check_search(max_speed, dt, px, (int(ow.height), int(ow.width)), template,
                         window_param=self.TEMPLATE_SIZE)
            if template > min(ow.width, ow.height):
                raise ValueError(
                    f"the template ({tsize_m:g} m = {template} px) is larger than the overlap of "
                    f"the orthomosaics ({int(ow.width)}×{int(ow.height)} px); use a smaller "
                    "template or larger images")
            # regular grid in map metres (multiples of SPACING) inside the overlap
            x0, y0, x1, y1 = pair.overlap
            half_m = template * px / 2.0
            n_pts = max(x1 - x0 - 2 * half_m, 0) * max(y1 - y0 - 2 * half_m, 0) / spacing ** 2
            # dr, dc, peak, ratio (float64), status, then the points layer and the product
            check_points(n_pts, 4 * 8 + 1 + 64,
                         f"{self.SPACING} {spacing:g} m over the {x1 - x0:,.0f} × "
                         f"{y1 - y0:,.0f} m overlap",
                         f"use a {self.SPACING} of at least "
                         f"{_min_spacing(n_pts, spacing):.3g} m (about the template size, "
                         f"{tsize_m:g} m, is usual)")
            gx = np.arange(math.ceil((x0 + half_m) / spacing) * spacing, x1 - half_m + 1e-9,
                           spacing)
            gy = np.arange(math.floor((y1 - half_m) / spacing) * spacing, y0 + half_m - 1e-9,
                           -spacing)
            if gx.size == 0 or gy.size == 0:
                raise ValueError("no template fits in the overlap of the orthomosaics; use a "
                                 "smaller template or spacing")
            inv = ~pair.transform
            cols = np.array([int(math.floor((inv * (x, gy[0]))[0])) for x in gx])
            rows = np.array([int(math.floor((inv * (gx[0], y))[1])) for y in gy])
            n_r, n_c = len(rows), len(cols)
            dr = np.full((n_r, n_c), np.nan)
            dc = np.full((n_r, n_c), np.nan)
            peak = np.full((n_r, n_c), np.nan)
            ratio = np.full((n_r, n_c), np.nan)
            status = np.full((n_r, n_c), ft.NODATA, dtype=np.int8)
            tile = max(1, int(2048 // max(int(round(spacing / px)), 1)))
            tiles = [(a, b) for a in range(0, n_r, tile) for b in range(0, n_c, tile)]
            progress, is_canceled = callbacks(feedback, 0, 90)
            half = template // 2
            for k, (a, b) in enumerate(tiles):
                check_canceled(feedback)
                rr, cc = rows[a:a + tile], cols[b:b + tile]
                r_lo, c_lo = int(rr[0]) - half - search, int(cc[0]) - half - search
                r_hi = int(rr[-1]) - half + template + search
                c_hi = int(cc[-1]) - half + template + search
                ref, sec = pair.read(Window(c_lo, r_lo, c_hi - c_lo, r_hi - r_lo))
                R, C = np.meshgrid(rr - r_lo, cc - c_lo, indexing="ij")
                res = ft.match_templates(ref, sec, np.stack([R.ravel(), C.ravel()], 1),
                                         template, search, method=method, min_peak=min_peak,
                                         min_snr=min_ratio, is_canceled=is_canceled,
                                         progress=lambda f, k=k: progress((k + f) / len(tiles)))
                shp = (len(rr), len(cc))
                sl = (slice(a, a + tile), slice(b, b + tile))
                dr[sl], dc[sl] = res.dr.reshape(shp), res.dc.reshape(shp)
                peak[sl], ratio[sl] = res.peak.reshape(shp), res.snr.reshape(shp)
                status[sl] = res.status.reshape(shp)
                progress((k + 1) / len(tiles))
            ok = status == ft.OK
            for code, text in ft.STATUS_TEXT.items():
                if code != ft.OK:
                    feedback.pushInfo(self.tr("Rejected ({}): {} of {} points").format(
                        text, int(np.count_nonzero(status == code)), status.size))
            if not ok.any():
                raise ValueError(
                    "no template could be matched: the orthomosaics are empty (no data), "
                    "constant or share no texture in their overlap; check the inputs, the times "
                    "and MAX_SPEED")
            if median_test > 0:
                bad = normalised_median_test(np.where(ok, dr, np.nan), np.where(ok, dc, np.nan),
                                             median_test)
                feedback.pushInfo(self.tr("Rejected (median test outlier): {} points").format(
                    int(bad.sum())))
                ok &= ~bad
            # map coordinates of the template centres (pixel centres) and velocities
            # (the template spans pixels c - half .. c - half + template - 1)
            centre = template / 2.0 - half
            X = np.array([(pair.transform * (c + centre, 0))[0] for c in cols])[None, :]
            Y = np.array([(pair.transform * (0, r + centre))[1] for r in rows])[:, None]
            X, Y = X.repeat(n_r, 0), Y.repeat(n_c, 1)
            dxm = dc * px
            dym = -dr * pair.pixel[1]
            vx, vy = dxm / dt, dym / dt
            v = np.hypot(vx, vy)
            check_canceled(feedback)

            # velocity product: median of valid points per target cell
            sel = ok.ravel()
            xs, ys = X.ravel()[sel], Y.ravel()[sel]
            gx0 = math.floor(xs.min() / target) * target
            gy1 = math.ceil(ys.max() / target) * target
            if gy1 == ys.max():
                gy1 += target
            ncols = int(math.floor((xs.max() - gx0) / target)) + 1
            nrows = int(math.floor((gy1 - ys.min()) / target)) + 1
            meds, count = ft.aggregate_to_grid(
                xs, ys, [vx.ravel()[sel], vy.ravel()[sel], dxm.ravel()[sel], dym.ravel()[sel],
                         peak.ravel()[sel]], np.ones(sel.sum(), bool), gx0, gy1, target,
                (nrows, ncols))
            mvx, mvy, mdx, mdy, mq = meds
            bands = {"v": np.hypot(mvx, mvy), "vx": mvx, "vy": mvy, "dx": mdx, "dy": mdy,
                     "quality": mq, "count": np.where(count > 0, count, np.nan)}
            tags = standard_tags(
                "UAV", t0, t1, f"uav_feature_tracking: {method.upper()} template matching, median "
                "block aggregation", TEMPLATE_SIZE_M=tsize_m, SPACING_M=spacing,
                TEMPLATE_PX=template, SEARCH_PX=search, WORK_PIXEL_M=f"{px:.4f}",
                MAX_SPEED=max_speed, MIN_PEAK=min_peak, MIN_PEAK_RATIO=min_ratio,
                MEDIAN_TEST=median_test, POINTS_VALID=int(sel.sum()), POINTS_TOTAL=int(ok.size),
                REFERENCE=os.path.basename(ref_path), SECONDARY=os.path.basename(sec_path))
            band_tags = {"v": {"UNITS": "m/d"}, "vx": {"UNITS": "m/d"}, "vy": {"UNITS": "m/d"},
                         "dx": {"UNITS": "m"}, "dy": {"UNITS": "m"},
                         "quality": {"DESCRIPTION": "median correlation peak of the points"},
                         "count": {"DESCRIPTION": "valid points aggregated in the cell"}}
            write_product(out_path, bands, Affine(target, 0, gx0, 0, -target, gy1), pair.crs,
                          tags, band_tags=band_tags, protect=[ref_path, sec_path])
            crs = QgsCoordinateReferenceSystem.fromWkt(pair.crs.to_wkt())

        fields = QgsFields()
        for name in POINT_FIELDS:
            fields.append(QgsField(name, QVariant.Double))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT_POINTS, context, fields,
                                          QgsWkbTypes.Point, crs)
        results = {self.OUTPUT: out_path}
        if sink is not None:  # the points output is optional
            cols_ = (vx, vy, v, dxm, dym, peak, ratio)
            for i, j in zip(*np.nonzero(ok)):
                f = QgsFeature(fields)
                f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(float(X[i, j]), float(Y[i, j]))))
                f.setAttributes([float(a[i, j]) for a in cols_])
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
