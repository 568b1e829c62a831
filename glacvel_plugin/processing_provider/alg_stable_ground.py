"""Stable-ground algorithms: co-registration correction and error statistics.

``glacvel:stable_ground_correction`` subtracts the offset measured on stable ground;
``glacvel:stable_ground_error`` reports the residual statistics (and GLAFT's
metrics) and writes a copy of the product with per-pixel error bands
(``vx_error``, ``vy_error``, ``v_error``) for fusion. The maths is in
:mod:`glacvel_plugin.core.stable_ground`; the corrected product is written by
:func:`glacvel_plugin.io.stable_ground.correct_product`.
"""
import math
import os

import numpy as np
from qgis.core import (QgsFeature, QgsFeatureSink, QgsField, QgsFields, QgsProcessing,
                       QgsProcessingOutputNumber, QgsProcessingParameterDefinition, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination, QgsProcessingParameterRasterLayer,
                       QgsWkbTypes)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QVariant

from ..core import stable_ground as sg
from ..i18n import translate
from ..io.grid import units_factor
from ..io.product import read_product, write_product
from ..io import stable_ground as sgio
from ..io.raster import rasterize_mask
from .base import GlacvelAlgorithm, check_canceled, callbacks
from .vector import source_geometries

SOURCES = {
    "polygons": QT_TRANSLATE_NOOP("GlacvelMessages", "stable-ground polygons"),
    "outlines": QT_TRANSLATE_NOOP("GlacvelMessages",
                                  "outside the glacier outlines minus the buffer"),
    "automatic": QT_TRANSLATE_NOOP("GlacvelMessages", "automatic: slowest 25 % of good-quality "
                                   "pixels about the stable-ground offset"),
}
"""Where the stable ground came from (log and report; translated in the log)."""


# ----------------------------------------------------------------------------- helpers
def _product_path(alg, parameters, context):
    layer = alg.parameterAsRasterLayer(parameters, alg.INPUT, context)
    if layer is None:
        raise ValueError(translate("GlacvelMessages", "give a velocity product as INPUT"))
    return layer.source()


def _polygon_mask(alg, parameters, name, context, product, label):
    """Boolean mask of pixel centres inside the polygons of parameter ``name``, or None."""
    source = alg.parameterAsSource(parameters, name, context)
    if source is None:
        return None
    geoms = source_geometries(source, product.crs, context, "polygon", label)
    mask = rasterize_mask(geoms, product.transform, product.shape)
    if not mask.any():
        raise ValueError(translate("GlacvelMessages",
                                   "{} covers no pixel of the product: the polygons lie outside "
                                   "the raster (or are smaller than a pixel); choose polygons "
                                   "over the scene").format(label))
    return mask


def stable_mask(alg, parameters, context, product, vx, vy, feedback, auto_message=""):
    """(mask, source key) of stable ground from STABLE_GROUND, GLACIER_OUTLINES or automatic.

    ``auto_message`` (translated by the caller) is shown when stable ground is picked
    automatically.
    """
    mask = _polygon_mask(alg, parameters, alg.STABLE_GROUND, context, product, alg.STABLE_GROUND)
    if mask is not None:
        return mask, "polygons"
    glacier = None
    source = alg.parameterAsSource(parameters, alg.GLACIER_OUTLINES, context)
    if source is not None:
        geoms = source_geometries(source, product.crs, context, "polygon", alg.GLACIER_OUTLINES)
        glacier = rasterize_mask(geoms, product.transform, product.shape, all_touched=True)
        buffer_m = alg.parameterAsDouble(parameters, alg.BUFFER, context)
        mask = sg.outside_outlines(glacier, buffer_m, product.resolution)
        return mask, "outlines"
    quality = product.bands.get("quality")
    if auto_message:
        feedback.pushInfo(auto_message)
    return sg.auto_stable_mask(vx, vy, quality), "automatic"


def _add_stable_parameters(alg, labels):
    """INPUT, STABLE_GROUND, GLACIER_OUTLINES, BUFFER with the caller's translated ``labels``."""
    alg.addParameter(QgsProcessingParameterRasterLayer(alg.INPUT, labels[0]))
    alg.addParameter(QgsProcessingParameterFeatureSource(
        alg.STABLE_GROUND, labels[1], [QgsProcessing.TypeVectorPolygon], optional=True))
    alg.addParameter(QgsProcessingParameterFeatureSource(
        alg.GLACIER_OUTLINES, labels[2], [QgsProcessing.TypeVectorPolygon], optional=True))
    alg.addParameter(QgsProcessingParameterNumber(
        alg.BUFFER, labels[3], QgsProcessingParameterNumber.Double, defaultValue=200.0,
        minValue=0.0))


ERROR_MEASURES = sgio.ERROR_MEASURES


def _add_error_measure(alg, label, options):
    """Advanced ERROR_MEASURE enum (options in the order of :data:`ERROR_MEASURES`)."""
    p = QgsProcessingParameterEnum(alg.ERROR_MEASURE, label, options=options, defaultValue=0)
    p.setFlags(p.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
    alg.addParameter(p)


_velocity_units = sgio.velocity_units
_error_bands = sgio.error_bands
_band_tags = sgio.band_tags
_ordered = sgio.ordered


# ----------------------------------------------------------------------------- correction
class StableGroundCorrection(GlacvelAlgorithm):
    """Subtract the stable-ground offset (median or plane) from vx and vy."""

    ALG_ID = "stable_ground_correction"
    GROUP_ID = "stableground"

    # parameter and output keys
    HOLDOUT_BLOCK = "HOLDOUT_BLOCK"
    MODEL = "MODEL"
    OUTPUT = "OUTPUT"
    ERROR_MEASURE = "ERROR_MEASURE"
    INPUT = "INPUT"
    STABLE_GROUND = "STABLE_GROUND"
    GLACIER_OUTLINES = "GLACIER_OUTLINES"
    BUFFER = "BUFFER"
    MODELS = sg.OFFSET_MODELS

    def displayName(self):
        return self.tr("Stable-ground correction")

    def shortHelpString(self):
        return self.tr(
            "Removes the co-registration offset measured on stable (ice-free) ground from a "
            "velocity product.\n\n"
            "Stable ground: STABLE_GROUND polygons; or, without them, everything outside "
            "GLACIER_OUTLINES farther than BUFFER metres; or, with neither, automatically the "
            "slowest 25 % of good-quality pixels (as autoRIFT), measured about the stable "
            "offset.\n"
            "MODEL: constant = median offset of vx and vy (default); plane = offset varying "
            "linearly across the scene, refused when stable ground does not spread across "
            "the scene (its spread along the narrowest direction must be at least half that "
            "of a scene-filling cover).\n"
            "Honest errors: stable pixels are split by a checkerboard of 16x16-pixel blocks; "
            "the offset is fitted on one colour and the corrected residuals are evaluated on "
            "the other, so the reported mean and spread are not zero by construction.\n\n"
            "Output: the corrected product (v, vx, vy, dx, dy recomputed; other bands kept) "
            "with vx_error, vy_error (held-out RMSE, m/d; ERROR_MEASURE robust: "
            "sqrt(median^2 + NMAD^2)) and v_error bands, and tags "
            "SG_OFFSET_VX/VY, SG_MODEL, SG_SOURCE and the held-out statistics.")

    def initAlgorithm(self, config=None):
        _add_stable_parameters(self, [self.tr("Velocity product"), self.tr("Stable-ground polygons"),
                                      self.tr("Glacier outlines (stable ground = outside, "
                                              "minus buffer)"),
                                      self.tr("Buffer around glacier outlines (m)")])
        self.addParameter(QgsProcessingParameterEnum(
            self.MODEL, self.tr("Offset model"), options=[self.tr("constant (median)"),
                                                       self.tr("plane")], defaultValue=0))
        block = QgsProcessingParameterNumber(
            self.HOLDOUT_BLOCK, self.tr("Hold-out checkerboard block (pixels)"),
            QgsProcessingParameterNumber.Integer, defaultValue=sg.HOLDOUT_BLOCK, minValue=1)
        block.setFlags(block.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(block)
        _add_error_measure(self, self.tr("Per-pixel error from"),
                           [self.tr("RMSE on held-out stable pixels"),
                            self.tr("robust RMSE: sqrt(median^2 + NMAD^2)")])
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Corrected velocity product")))
        for key in ("OFFSET_VX", "OFFSET_VY", "N_FIT", "N_EVAL", "MEAN_VX", "MEAN_VY", "STD_VX",
                    "STD_VY", "NMAD_VX", "NMAD_VY", "RMSE_VX", "RMSE_VY"):
            self.addOutput(QgsProcessingOutputNumber(key, key))

    def process(self, parameters, context, feedback):
        path = _product_path(self, parameters, context)
        product = read_product(path)
        vx, vy = product.band("vx"), product.band("vy")
        units, factor, _ = _velocity_units(product, path)
        model = self.MODELS[self.parameterAsEnum(parameters, self.MODEL, context)]
        block = self.parameterAsInt(parameters, self.HOLDOUT_BLOCK, context)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        mask, source = stable_mask(
            self, parameters, context, product, vx, vy, feedback,
            self.tr("No stable-ground polygons or glacier outlines given: picking stable "
                    "ground automatically"))
        feedback.pushInfo(self.tr("Stable ground: {}").format(
            translate("GlacvelMessages", SOURCES[source])))
        check_canceled(feedback)
        measure = ERROR_MEASURES[self.parameterAsEnum(parameters, self.ERROR_MEASURE, context)]
        res, off_x, off_y = sgio.correct_product(product, path, out, mask, source, model, block,
                                                 measure, callbacks(feedback)[1])
        hx, hy = res.heldout_x, res.heldout_y
        feedback.pushInfo(self.tr(
            "Offset vx {:.4f} {u}, vy {:.4f} {u} ({} model, {} fit pixels); held-out residual "
            "mean {:.4f}/{:.4f}, std {:.4f}/{:.4f}, NMAD {:.4f}/{:.4f} {u} ({} pixels)").format(
                off_x, off_y, model, res.n_fit, hx.mean, hy.mean, hx.std, hy.std, hx.nmad,
                hy.nmad, res.n_eval, u=units))
        return {self.OUTPUT: out, "OFFSET_VX": off_x, "OFFSET_VY": off_y, self.MODEL: model,
                "STABLE_SOURCE": source, "N_FIT": res.n_fit, "N_EVAL": res.n_eval,
                "MEAN_VX": hx.mean, "MEAN_VY": hy.mean, "STD_VX": hx.std, "STD_VY": hy.std,
                "NMAD_VX": hx.nmad, "NMAD_VY": hy.nmad, "RMSE_VX": hx.rmse,
                "RMSE_VY": hy.rmse}


# ----------------------------------------------------------------------------- error
class StableGroundError(GlacvelAlgorithm):
    """Error statistics on stable ground, GLAFT metrics, report and error bands."""

    ALG_ID = "stable_ground_error"
    GROUP_ID = "stableground"

    # parameter and output keys
    THRES_SIGMA = "THRES_SIGMA"
    GLACIER_INTERIOR = "GLACIER_INTERIOR"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_REPORT = "OUTPUT_REPORT"
    OUTPUT_ERROR = "OUTPUT_ERROR"
    ERROR_MEASURE = "ERROR_MEASURE"
    INPUT = "INPUT"
    STABLE_GROUND = "STABLE_GROUND"
    GLACIER_OUTLINES = "GLACIER_OUTLINES"
    BUFFER = "BUFFER"

    def displayName(self):
        return self.tr("Stable-ground error statistics")

    def shortHelpString(self):
        return self.tr(
            "Measures the error of a velocity product on stable (ice-free) ground, where the "
            "true velocity is zero. Stable ground as in Stable-ground correction (polygons, "
            "outside glacier outlines minus a buffer, or automatic).\n\n"
            "Statistics of vx, vy and v (m/d): n, mean, median, standard deviation, NMAD "
            "(1.4826 x median absolute deviation), RMSE and a normality test "
            "(D'Agostino-Pearson). GLAFT metric 1 (Zheng et al. 2023): half-ranges DELTA_U, "
            "DELTA_V of the 2-sigma contour of an Epanechnikov kernel density of (vx, vy), an "
            "about-2-sigma measure. GLAFT metric 2, when GLACIER_INTERIOR (a glacier outline "
            "buffered inward, GLAFT uses 600 m) is given: the same on strain rates rotated "
            "into the flow direction; DELTA_XY_STRAIN is the along-flow shear half-range in "
            "1/d (physical units; GLAFT's own numbers are 8 times larger).\n\n"
            "Outputs: a statistics table, an HTML report (histograms, vx-vy scatter with the "
            "2-sigma contour) and OUTPUT_ERROR, a copy of the product with vx_error, "
            "vy_error (stable-ground RMSE about zero, m/d, which includes outliers and any "
            "uncorrected offset; ERROR_MEASURE robust: sqrt(median^2 + NMAD^2)) and v_error "
            "bands added (replacing any present), for fusion.")

    def initAlgorithm(self, config=None):
        _add_stable_parameters(self, [self.tr("Velocity product"), self.tr("Stable-ground polygons"),
                                      self.tr("Glacier outlines (stable ground = outside, "
                                              "minus buffer)"),
                                      self.tr("Buffer around glacier outlines (m)")])
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.GLACIER_INTERIOR, self.tr("Glacier outline buffered inward (GLAFT metric 2)"),
            [QgsProcessing.TypeVectorPolygon], optional=True))
        thres = QgsProcessingParameterNumber(
            self.THRES_SIGMA, self.tr("KDE contour level (sigma)"),
            QgsProcessingParameterNumber.Double, defaultValue=sg.GLAFT_THRES_SIGMA,
            minValue=0.5, maxValue=5.0)
        thres.setFlags(thres.flags() | QgsProcessingParameterDefinition.FlagAdvanced)
        self.addParameter(thres)
        _add_error_measure(self, self.tr("Per-pixel error from"),
                           [self.tr("RMSE on stable ground (includes outliers and offset)"),
                            self.tr("robust RMSE: sqrt(median^2 + NMAD^2)")])
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT_TABLE, self.tr("Stable-ground statistics"), QgsProcessing.TypeVector,
            optional=True, createByDefault=True))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_REPORT, self.tr("Stable-ground report"), self.tr("HTML files (*.html)"),
            optional=True, createByDefault=True))
        for key in ("N_PIXELS", "MEAN_VX", "MEAN_VY", "MEDIAN_VX", "MEDIAN_VY", "STD_VX",
                    "STD_VY", "NMAD_VX", "NMAD_VY", "RMSE_VX", "RMSE_VY", "MEAN_V", "STD_V",
                    "DELTA_U", "DELTA_V", "DELTA_XY_STRAIN", "SIGMA_VX", "SIGMA_VY"):
            self.addOutput(QgsProcessingOutputNumber(key, key))
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT_ERROR, self.tr("Product with error bands")))

    def process(self, parameters, context, feedback):
        path = _product_path(self, parameters, context)
        product = read_product(path)
        vx, vy = product.band("vx"), product.band("vy")
        units, _, rate = _velocity_units(product, path)
        thres = self.parameterAsDouble(parameters, self.THRES_SIGMA, context)
        mask, source = stable_mask(
            self, parameters, context, product, vx, vy, feedback,
            self.tr("No stable-ground polygons or glacier outlines given: picking stable "
                    "ground automatically"))
        interior = _polygon_mask(self, parameters, self.GLACIER_INTERIOR, context, product,
                                 self.GLACIER_INTERIOR)
        _, is_canceled = callbacks(feedback)
        valid = mask & np.isfinite(vx) & np.isfinite(vy)
        n = int(valid.sum())
        if n < sg.MIN_STABLE_PIXELS:
            raise ValueError(self.tr(
                "only {} stable-ground pixels with valid vx and vy; at least {} are needed: "
                "give larger stable-ground polygons or a smaller buffer").format(
                    n, sg.MIN_STABLE_PIXELS))
        feedback.pushInfo(self.tr("Stable ground: {} ({} pixels)").format(
            translate("GlacvelMessages", SOURCES[source]), n))
        v = np.hypot(vx, vy)
        st = {"vx": sg.component_stats(vx[valid]), "vy": sg.component_stats(vy[valid]),
              "v": sg.component_stats(v[valid])}
        feedback.setProgress(10)
        m1 = sg.glaft_metric1(vx, vy, valid, thres_sigma=thres, is_canceled=is_canceled)
        feedback.setProgress(40)
        m2 = None
        if interior is not None:
            m2 = sg.glaft_metric2(vx, vy, interior, product.resolution, thres_sigma=thres,
                                  is_canceled=is_canceled)
        feedback.setProgress(70)

        results = {
            "N_PIXELS": n, "STABLE_SOURCE": source,
            "MEAN_VX": st["vx"].mean, "MEAN_VY": st["vy"].mean,
            "MEDIAN_VX": st["vx"].median, "MEDIAN_VY": st["vy"].median,
            "STD_VX": st["vx"].std, "STD_VY": st["vy"].std,
            "NMAD_VX": st["vx"].nmad, "NMAD_VY": st["vy"].nmad,
            "RMSE_VX": st["vx"].rmse, "RMSE_VY": st["vy"].rmse,
            "MEAN_V": st["v"].mean, "STD_V": st["v"].std,
            "NORMALITY_P_VX": st["vx"].normality_p, "NORMALITY_P_VY": st["vy"].normality_p,
            "DELTA_U": m1.half_x, "DELTA_V": m1.half_y,
        }
        if m2 is not None:
            results.update(DELTA_XX_STRAIN=m2.half_x, DELTA_XY_STRAIN=m2.half_y)

        # Error bands: per-pixel 1-sigma from the stable-ground RMSE (includes any offset).
        check_canceled(feedback)
        out_err = self.parameterAsOutputLayer(parameters, self.OUTPUT_ERROR, context)
        bands = dict(product.bands)
        measure = ERROR_MEASURES[self.parameterAsEnum(parameters, self.ERROR_MEASURE, context)]
        sigma_x, sigma_y = st["vx"].sigma(measure), st["vy"].sigma(measure)
        bands.update(_error_bands(bands, sigma_x, sigma_y))
        results.update(SIGMA_VX=sigma_x, SIGMA_VY=sigma_y, ERROR_MEASURE=measure)
        tags = dict(product.tags)
        tags.update(SE_SOURCE=source, SE_N_PIXELS=str(n), SE_ERROR_MEASURE=measure,
                    SE_SIGMA_VX=f"{sigma_x:.6g}", SE_SIGMA_VY=f"{sigma_y:.6g}",
                    SE_RMSE_VX=f"{st['vx'].rmse:.6g}", SE_RMSE_VY=f"{st['vy'].rmse:.6g}",
                    SE_MEAN_VX=f"{st['vx'].mean:.6g}", SE_MEAN_VY=f"{st['vy'].mean:.6g}",
                    SE_STD_VX=f"{st['vx'].std:.6g}", SE_STD_VY=f"{st['vy'].std:.6g}",
                    SE_NMAD_VX=f"{st['vx'].nmad:.6g}", SE_NMAD_VY=f"{st['vy'].nmad:.6g}",
                    SE_DELTA_U=f"{m1.half_x:.6g}", SE_DELTA_V=f"{m1.half_y:.6g}")
        if m2 is not None:
            tags.update(SE_DELTA_XY_STRAIN=f"{m2.half_y:.6g}")
        bands = _ordered(bands)
        write_product(out_err, bands, product.transform, product.crs, tags,
                      band_tags=_band_tags(bands, units), protect=[path])
        results[self.OUTPUT_ERROR] = out_err

        check_canceled(feedback)
        report_path = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
        if report_path:
            write_report(report_path, os.path.basename(path), source, st, m1, m2, thres,
                         vx[valid], vy[valid], v[valid], units)
            results[self.OUTPUT_REPORT] = report_path
        feedback.setProgress(90)

        rows = [(c, k, getattr(st[c], k), units if k not in ("n", "normality_stat",
                                                             "normality_p") else "")
                for c in ("vx", "vy", "v")
                for k in ("n", "mean", "median", "std", "nmad", "rmse", "robust_rmse",
                          "normality_stat", "normality_p")]
        rows += [("vx", "glaft_delta_u", m1.half_x, units),
                 ("vy", "glaft_delta_v", m1.half_y, units)]
        if m2 is not None:
            rows += [("strain_x'x'", "glaft_delta", m2.half_x, rate),
                     ("strain_x'y'", "glaft_delta", m2.half_y, rate)]
        fields = QgsFields()
        fields.append(QgsField("component", QVariant.String))
        fields.append(QgsField("statistic", QVariant.String))
        fields.append(QgsField("value", QVariant.Double))
        fields.append(QgsField("units", QVariant.String))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT_TABLE, context, fields,
                                          QgsWkbTypes.NoGeometry)
        if sink is not None:
            for r in rows:
                f = QgsFeature(fields)
                value = float(r[2])
                f.setAttributes([r[0], r[1], value if math.isfinite(value) else None, r[3]])
                sink.addFeature(f, QgsFeatureSink.FastInsert)
            results[self.OUTPUT_TABLE] = dest
        feedback.pushInfo(self.tr(
            "Stable ground: mean vx {:.4f}, vy {:.4f}; std {:.4f}, {:.4f}; NMAD {:.4f}, {:.4f} "
            "{u}; GLAFT delta_u {:.4f}, delta_v {:.4f} {u}").format(
                st["vx"].mean, st["vy"].mean, st["vx"].std, st["vy"].std, st["vx"].nmad,
                st["vy"].nmad, m1.half_x, m1.half_y, u=units))
        return results


def write_report(path, name, source, st, m1, m2, thres, x, y, v, units="m/d"):
    """HTML report: tables, a histogram per component, vx-vy scatter with the KDE contour.

    ``units``: velocity units of the product (m/d or m/yr); strain rates are per day
    or per year accordingly.
    """
    from matplotlib.patches import Rectangle

    from ..io.report import HtmlReport, new_figure

    rate = "1/d" if units_factor(units) == 1.0 else "1/yr"

    rep = HtmlReport(f"Stable-ground error: {name}")
    rep.paragraph(f"Stable ground: {SOURCES[source]}; {st['vx'].n} pixels. Velocities in {units} "
                  "(x east, y north). On stable ground the true velocity is zero, so every "
                  "statistic below is error.")
    keys = ("n", "mean", "median", "std", "nmad", "rmse", "robust_rmse", "normality_p")
    rep.table(["component"] + list(keys),
              [[c] + [getattr(st[c], k) for k in keys] for c in ("vx", "vy", "v")])
    rep.paragraph("NMAD = 1.4826 x median absolute deviation; RMSE about zero; robust_rmse = "
                  "sqrt(median^2 + NMAD^2); normality_p: "
                  "D'Agostino-Pearson test on at most 5000 evenly spaced pixels (p < 0.05 "
                  "rejects a normal distribution).", "note")
    rows = [["delta_u (vx)", m1.half_x, units], ["delta_v (vy)", m1.half_y, units],
            ["KDE bandwidth", m1.bandwidth, units], ["KDE peak vx", m1.peak_x, units],
            ["KDE peak vy", m1.peak_y, units],
            ["pixels outside the contour box", m1.outlier_fraction, "fraction"]]
    if m2 is not None:
        rows += [["delta_x'x' (along-flow normal strain rate)", m2.half_x, rate],
                 ["delta_x'y' (along-flow shear strain rate)", m2.half_y, rate],
                 ["delta_x'y' in GLAFT's units (x8)", m2.half_y * sg.SOBEL_SCALE, f"{rate} x 8"]]
    rep.heading("GLAFT metrics")
    rep.table(["metric", "value", "units"], rows)
    rep.paragraph(f"Metric 1: half-ranges of the {thres:g}-sigma contour (density >= max x "
                  f"exp(-{thres:g}^2/2)) of an Epanechnikov kernel density, bandwidth 2.1991 x "
                  "(var vx var vy)^(1/4) x n^(-1/6) (Zheng et al. 2023, GLAFT); about 2 sigma "
                  "for normal errors, not 1 sigma.", "note")
    fig, axes = new_figure(11, 3.4)
    fig.clf()
    for i, (label, data) in enumerate((("vx", x), ("vy", y), ("v", v))):
        ax = fig.add_subplot(1, 3, i + 1)
        s = st[label]
        half = 8 * s.nmad if s.nmad > 0 else max(float(np.ptp(data)) / 2, 1e-6)
        lo, hi = s.median - half, s.median + half
        outside = int(np.sum((data < lo) | (data > hi)))
        ax.hist(data, bins=80, range=(lo, hi), color="#3b528b")
        ax.axvline(0, color="k", lw=0.8)
        ax.set_xlabel(f"{label} ({units})")
        ax.set_title(f"median ± 8 NMAD; {outside} pixels outside", fontsize=8)
        ax.set_ylabel("pixels" if i == 0 else "")
    rep.heading("Histograms")
    rep.figure(fig, "histograms of vx, vy and v on stable ground")
    fig, ax = new_figure(5.5, 5.5)
    ax.scatter(x, y, s=2, color="0.5", alpha=0.3, linewidths=0)
    ax.contour(m1.mesh_x, m1.mesh_y, m1.density, levels=[m1.threshold], colors="#b5179e")
    ax.add_patch(Rectangle((m1.box[0], m1.box[2]), 2 * m1.half_x, 2 * m1.half_y,
                           fill=False, ls="--", color="#b5179e"))
    pad = 3 * max(m1.half_x, m1.half_y)
    cx, cy = float(np.median(x)), float(np.median(y))
    ax.set_xlim(cx - pad, cx + pad)
    ax.set_ylim(cy - pad, cy + pad)
    ax.set_aspect("equal")
    ax.set_xlabel(f"vx ({units})")
    ax.set_ylabel(f"vy ({units})")
    ax.set_title(f"{thres:g}-sigma KDE contour: delta_u {m1.half_x:.3f}, "
                 f"delta_v {m1.half_y:.3f} {units}", fontsize=9)
    rep.heading("vx-vy scatter")
    rep.figure(fig, "vx-vy scatter with the KDE contour")
    rep.save(path)
    return path


ALGORITHMS = [StableGroundCorrection, StableGroundError]
