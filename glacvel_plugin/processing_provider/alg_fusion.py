"""Multi-source fusion, monthly YYYYMM products and validation (thin Processing glue).

* ``glacvel:fit_fusion_weights`` — weights of each source (SENSOR tag) fitted to a
  reference: a UAV velocity raster inside polygons, or GNSS points.
* ``glacvel:fuse_velocity`` — masked weighted fusion of vx and vy on a common grid.
* ``glacvel:monthly_velocity`` — per-month composites of pair products, fused across
  sources, one ``YYYYMM.tif`` per month with data.
* ``glacvel:validate_velocity`` — a product (fused or single) against the reference.

This module reads the parameters, hands the reference layers to
:mod:`.reference_layers`, calls one function of :mod:`glacvel_plugin.io.fusion_files`
(grid, reference samples, fused product, reports) or :mod:`glacvel_plugin.io.monthly`
and reports the results. Maths: :mod:`glacvel_plugin.core.fusion`,
:mod:`glacvel_plugin.core.reference`, :mod:`glacvel_plugin.core.timeseries`. See
docs/fusion.md.
"""
from __future__ import annotations

import os
from typing import List

from qgis.core import (QgsProcessing, QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterBoolean, QgsProcessingParameterCrs,
                       QgsProcessingParameterEnum, QgsProcessingParameterExtent,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString)

from ..core import fusion as cf
from ..core import timeseries as ts
from ..i18n import translate
from ..io import fusion_files, monthly
from ..io.grid import DEFAULT_RESOLUTION, TargetGrid
from ..io.monthly import DEFAULT_REFERENCE_MIN_OVERLAP
from .base import GlacvelAlgorithm, callbacks
from .reference_layers import reference_records

METHOD_KEYS = list(cf.METHODS)
FUSED_BANDS = fusion_files.FUSED_BANDS


# --------------------------------------------------------------------------- helpers


def _source_paths(alg, parameters, context) -> List[str]:
    name = alg.SOURCES
    layers = alg.parameterAsLayerList(parameters, name, context) or []
    paths = [lyr.source() for lyr in layers]
    if not paths:
        raise ValueError(translate("GlacvelMessages",
                                   "{} is empty; give one or more glacvel velocity products")
                         .format(name))
    return paths


def _grid(alg, parameters, context, paths, folder=None) -> TargetGrid:
    crs = None
    if parameters.get(alg.TARGET_CRS) not in (None, ""):
        qcrs = alg.parameterAsCrs(parameters, alg.TARGET_CRS, context)
        if qcrs.isValid():
            crs = qcrs.toWkt()
    res = alg.parameterAsDouble(parameters, alg.TARGET_RESOLUTION, context) or DEFAULT_RESOLUTION
    extent = None
    extent_crs = None
    if parameters.get(alg.EXTENT) not in (None, ""):
        rect = alg.parameterAsExtent(parameters, alg.EXTENT, context)
        if not rect.isNull() and rect.width() > 0 and rect.height() > 0:
            extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
            ecrs = alg.parameterAsExtentCrs(parameters, alg.EXTENT, context)
            extent_crs = ecrs.toWkt() if ecrs.isValid() else None
    return fusion_files.checked_grid(paths, crs=crs, resolution=res, extent=extent,
                                     extent_crs=extent_crs, folder=folder)


class GridKeys:
    """Keys of the common-grid parameters (:func:`_add_grid_params`, :func:`_grid`)."""
    TARGET_CRS = "TARGET_CRS"
    TARGET_RESOLUTION = "TARGET_RESOLUTION"
    EXTENT = "EXTENT"


class ReferenceKeys:
    """Keys of the reference parameters (:func:`_add_reference_params`)."""
    REFERENCE_RASTER = "REFERENCE_RASTER"
    REFERENCE_POLYGONS = "REFERENCE_POLYGONS"
    REFERENCE_POINTS = "REFERENCE_POINTS"
    VX_FIELD = "VX_FIELD"
    VY_FIELD = "VY_FIELD"
    ID_FIELD = "ID_FIELD"


def _add_grid_params(alg):
    alg.addParameter(QgsProcessingParameterCrs(
        alg.TARGET_CRS, translate("FusionParameters", "Target CRS (default: UTM zone of the data)"), optional=True))
    alg.addParameter(QgsProcessingParameterNumber(
        alg.TARGET_RESOLUTION, translate("FusionParameters", "Target resolution (m)"),
        QgsProcessingParameterNumber.Double, DEFAULT_RESOLUTION, minValue=0.001))
    alg.addParameter(QgsProcessingParameterExtent(
        alg.EXTENT, translate("FusionParameters", "Extent (default: union of the sources)"), optional=True))


def _add_reference_params(alg):
    alg.addParameter(QgsProcessingParameterRasterLayer(
        alg.REFERENCE_RASTER, translate("FusionParameters", "Reference velocity product (e.g. UAV, m/d or m/yr)"),
        optional=True))
    alg.addParameter(QgsProcessingParameterFeatureSource(
        alg.REFERENCE_POLYGONS, translate("FusionParameters", "Reference polygons (where the reference raster is used)"),
        [QgsProcessing.TypeVectorPolygon], optional=True))
    alg.addParameter(QgsProcessingParameterFeatureSource(
        alg.REFERENCE_POINTS, translate("FusionParameters", "Reference points (GNSS: vx/vy in m/d, or start/end "
                                   "positions and dates)"),
        [QgsProcessing.TypeVectorPoint], optional=True))
    alg.addParameter(QgsProcessingParameterField(
        alg.VX_FIELD, translate("FusionParameters", "Field of the east velocity vx (m/d)"), "vx", alg.REFERENCE_POINTS,
        optional=True))
    alg.addParameter(QgsProcessingParameterField(
        alg.VY_FIELD, translate("FusionParameters", "Field of the north velocity vy (m/d)"), "vy", alg.REFERENCE_POINTS,
        optional=True))
    alg.addParameter(QgsProcessingParameterField(
        alg.ID_FIELD, translate("FusionParameters", "Station / polygon id field (cross-validation groups; "
                                                    "default: 'station' if present)"), None,
        alg.REFERENCE_POINTS, optional=True))


def _source_errors(alg, parameters, context):
    """SOURCE_ERRORS as {SENSOR: σ m/d}, or None when empty."""
    text = alg.parameterAsString(parameters, alg.SOURCE_ERRORS, context) \
        if alg.SOURCE_ERRORS in parameters else ""
    return cf.parse_weights(text) if text else None


def _add_error_param(alg):
    alg.addParameter(QgsProcessingParameterString(
        alg.SOURCE_ERRORS, translate("FusionParameters", "1-σ error per source in m/d for sources without an error "
                                "band, e.g. L8=0.05,S2=0.09 (overrides bands and tags)"),
        optional=True))


def _add_robust_params(alg, robust=cf.ROBUST_CHI2, scatter=cf.LOCAL_SCATTER_SIZE):
    alg.addParameter(QgsProcessingParameterNumber(
        alg.ROBUST, translate("FusionParameters", "Outlier test χ² threshold (2 d.o.f., 9.21 = "
                                                "99 %; 0 = off)"),
        QgsProcessingParameterNumber.Double, robust, minValue=0.0))
    alg.addParameter(QgsProcessingParameterNumber(
        alg.LOCAL_SCATTER, translate("FusionParameters", "Local-scatter error window in source "
                                                       "pixels (odd; 0 = off)"),
        QgsProcessingParameterNumber.Integer, scatter, minValue=0, maxValue=15))


def _robust_values(alg, parameters, context):
    scatter = alg.parameterAsInt(parameters, alg.LOCAL_SCATTER, context)
    if scatter and (scatter < 3 or scatter % 2 == 0):
        raise ValueError(translate("GlacvelMessages",
                                   "LOCAL_SCATTER must be 0 or an odd window ≥ 3, got {}")
                         .format(scatter))
    return alg.parameterAsDouble(parameters, alg.ROBUST, context) or None, scatter


# --------------------------------------------------------------------------- algorithms
class FitFusionWeights(GridKeys, ReferenceKeys, GlacvelAlgorithm):
    ALG_ID = "fit_fusion_weights"
    GROUP_ID = "fusion"

    # parameter and output keys
    SOURCES = "SOURCES"
    METHOD = "METHOD"
    OUTPUT_HTML = "OUTPUT_HTML"
    WEIGHTS_TEXT = "WEIGHTS_TEXT"
    CV_RMSE = "CV_RMSE"
    RMSE = "RMSE"

    def displayName(self):
        return self.tr("Fit fusion weights to a reference")

    def shortHelpString(self):
        return self.tr(
            "Fits one weight per source (SENSOR tag of each product: L8, S2, S1, UAV, ...) so "
            "that the weighted mean of the sources' vx and vy best matches a reference: a UAV "
            "velocity raster inside reference polygons, or GNSS points (fields vx, vy in m/d, or "
            "start_x, start_y, end_x, end_y in the layer CRS with start_date, end_date). All "
            "inputs are first brought to one grid (TARGET_CRS, TARGET_RESOLUTION, EXTENT). "
            "METHOD: constrained least squares (weights ≥ 0, sum 1; default), unconstrained "
            "(sum 1, weights may be negative — unstable on small samples), or inverse-variance "
            "(1/mean squared residual of each source). Reports the weights with bootstrap "
            "uncertainties, the leave-one-polygon-out (leave-one-station-out) cross-validated "
            "RMSE, the RMSE of each source and the number of samples per source. The reference "
            "should cover the same period as the products. Output WEIGHTS_TEXT (e.g. "
            "'L8=0.62,S2=0.38') can be typed into Fuse velocity.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SOURCES, self.tr("Velocity products (one per source)"),
            QgsProcessing.TypeRaster))
        _add_reference_params(self)
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Method"),
            [self.tr("Constrained least squares (W ≥ 0, ΣW = 1)"),
             self.tr("Unconstrained least squares (ΣW = 1)"),
             self.tr("Inverse variance")], defaultValue=0))
        _add_grid_params(self)
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_HTML, self.tr("Report"), self.tr("HTML files (*.html)"), optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputString(self.WEIGHTS_TEXT, self.tr("Weights")))
        self.addOutput(QgsProcessingOutputNumber(self.CV_RMSE, self.tr("Cross-validated RMSE (m/d)")))
        self.addOutput(QgsProcessingOutputNumber(self.RMSE, self.tr("RMSE of the fit (m/d)")))

    def process(self, parameters, context, feedback):
        paths = _source_paths(self, parameters, context)
        method = METHOD_KEYS[self.parameterAsEnum(parameters, self.METHOD, context)]
        grid = _grid(self, parameters, context, paths)
        reference = reference_records(self, parameters, context, grid.crs)
        _, is_canceled = callbacks(feedback)
        names, ref, fit = fusion_files.fit_fusion_weights(paths, grid, reference, method,
                                                          log=feedback.pushInfo,
                                                          is_canceled=is_canceled)
        for note in ref.notes + fit.notes:
            feedback.pushWarning(note)
        text = cf.format_weights(fit.as_dict())
        for i, n in enumerate(names):
            feedback.pushInfo(self.tr(
                "{}: W = {:.3f} ± {:.3f}, samples {}, RMSE alone {:.4f} m/d, bias {:+.4f}")
                .format(n, fit.weights[i], fit.weight_std[i], int(fit.n_per_source[i]),
                        fit.source_rmse[i], fit.source_bias[i]))
        cv = fit.cv_rmse if fit.cv_rmse is not None else float("nan")
        feedback.pushInfo(self.tr(
            "Weights {}; fit RMSE {:.4f} m/d; cross-validated RMSE {:.4f} m/d over {} held-out "
            "groups").format(text, fit.rmse, cv, len(fit.cv_folds)))
        html = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context)
        if html:
            fusion_files.weights_report(html, fit, ref, self.tr("Fusion weights"))
        res = {"WEIGHTS": fit.as_dict(), self.WEIGHTS_TEXT: text,
               "WEIGHT_STD": dict(zip(names, map(float, fit.weight_std))),
               self.CV_RMSE: cv, self.RMSE: fit.rmse, "N_SAMPLES": fit.n_samples,
               "N_PER_SOURCE": dict(zip(names, map(int, fit.n_per_source))),
               "SOURCE_RMSE": dict(zip(names, map(float, fit.source_rmse))),
               "CV_SOURCE_RMSE": (dict(zip(names, map(float, fit.cv_source_rmse)))
                                  if fit.cv_source_rmse is not None else {}),
               "CV_FOLDS": fit.cv_folds, "NOTES": ref.notes + fit.notes}
        if html:
            res[self.OUTPUT_HTML] = html
        return res


class FuseVelocity(GridKeys, GlacvelAlgorithm):
    ALG_ID = "fuse_velocity"
    GROUP_ID = "fusion"

    # parameter and output keys
    SOURCES = "SOURCES"
    WEIGHTS = "WEIGHTS"
    OUTPUT = "OUTPUT"
    SOURCE_ERRORS = "SOURCE_ERRORS"
    ROBUST = "ROBUST"
    LOCAL_SCATTER = "LOCAL_SCATTER"

    def displayName(self):
        return self.tr("Fuse velocity")

    def shortHelpString(self):
        return self.tr(
            "Weighted fusion of velocity products from several sources on a common grid "
            "(TARGET_CRS, default the UTM zone of the data; TARGET_RESOLUTION, default 30 m; "
            "EXTENT, default the union of the sources). vx and vy are fused, speed formed "
            "afterwards. Where a source has no data its weight is re-distributed over the "
            "sources present: w'_i = m_i W_i / Σ m_j W_j. WEIGHTS: 'L8=0.6,S2=0.4' by SENSOR "
            "name (e.g. from Fit fusion weights); empty = per-pixel inverse-variance from the "
            "sources' errors. Errors: σ_f = √(Σ w'_i² σ_i²) per component, v_error as in "
            "ITS_LIVE; σ_i from the vx_error/vy_error (or v_error) bands, else the "
            "stable-ground tags, else SOURCE_ERRORS, raised to the local scatter of each "
            "source where that is larger (LOCAL_SCATTER, window in source pixels, e.g. 5; "
            "default 0 = off). ROBUST (χ², e.g. 9.21; default 0 = off): at each pixel a source that disagrees with the others "
            "beyond their errors is dropped (counted in the OUTLIERS tag). Bands: v, vx, vy, v_error, count, "
            "vx_error, vy_error (m/d). Coarser grids are resampled by averaging, finer by "
            "bilinear interpolation; m/yr inputs are converted to m/d.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SOURCES, self.tr("Velocity products"), QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterString(
            self.WEIGHTS, self.tr("Weights by source, e.g. L8=0.6,S2=0.4 (empty: inverse variance)"),
            optional=True))
        _add_error_param(self)
        _add_grid_params(self)
        _add_robust_params(self, robust=0.0, scatter=0)   # off: the user's weights as given
        self.addParameter(QgsProcessingParameterRasterDestination(
            self.OUTPUT, self.tr("Fused velocity")))

    def process(self, parameters, context, feedback):
        paths = _source_paths(self, parameters, context)
        out = self.parameterAsOutputLayer(parameters, self.OUTPUT, context)
        grid = _grid(self, parameters, context, paths, os.path.dirname(out) or ".")
        weights = cf.parse_weights(self.parameterAsString(parameters, self.WEIGHTS, context))
        robust, scatter = _robust_values(self, parameters, context)
        progress, is_canceled = callbacks(feedback)
        res = fusion_files.fuse_velocity(
            paths, out, grid, weights=weights or None,
            source_errors=_source_errors(self, parameters, context), robust=robust,
            scatter=scatter, log=feedback.pushInfo, warn=feedback.pushWarning,
            progress=progress, is_canceled=is_canceled)
        result = {self.OUTPUT: out, "VALID_PIXELS": res["valid"],
                  "WEIGHTS_TEXT": res["weights_text"]}
        if robust:
            result["OUTLIERS"] = res["outliers"]
        return result


class MonthlyVelocity(GridKeys, ReferenceKeys, GlacvelAlgorithm):
    ALG_ID = "monthly_velocity"
    GROUP_ID = "products"

    # parameter and output keys
    SOURCES = "SOURCES"
    WEIGHTS = "WEIGHTS"
    MIN_OVERLAP = "MIN_OVERLAP"
    YEAR = "YEAR"
    METHOD = "METHOD"
    WEIGHT_WINDOW = "WEIGHT_WINDOW"
    MIN_REFERENCE_SAMPLES = "MIN_REFERENCE_SAMPLES"
    MIN_REFERENCE_GROUPS = "MIN_REFERENCE_GROUPS"
    SHRINKAGE = "SHRINKAGE"
    REFERENCE_MIN_OVERLAP = "REFERENCE_MIN_OVERLAP"
    SOURCE_COMPOSITES = "SOURCE_COMPOSITES"
    OUTPUT_FOLDER = "OUTPUT_FOLDER"
    OUTPUT_TABLE = "OUTPUT_TABLE"
    OUTPUT_HTML = "OUTPUT_HTML"
    MONTHS_WRITTEN = "MONTHS_WRITTEN"
    MONTHS_WITHOUT_DATA = "MONTHS_WITHOUT_DATA"
    SOURCE_ERRORS = "SOURCE_ERRORS"
    ROBUST = "ROBUST"
    LOCAL_SCATTER = "LOCAL_SCATTER"

    def displayName(self):
        return self.tr("Monthly velocity (YYYYMM.tif)")

    def shortHelpString(self):
        return self.tr(
            "Monthly products from pair products spanning any period. Each pair is assigned to "
            "the calendar months it overlaps, if the overlap is at least MIN_OVERLAP of its "
            "time baseline. Per source (SENSOR tag) and month the pairs are averaged with "
            "weights overlap/(error·Δt) (ITS_LIVE-style), then the sources are fused. Weights: "
            "fixed WEIGHTS ('L8=0.6,S2=0.4'); or fitted per month against a reference "
            "(REFERENCE_POINTS with start_date/end_date per feature, e.g. from Import GNSS "
            "stations, or REFERENCE_RASTER inside REFERENCE_POLYGONS), using the reference "
            "falling in the month (WEIGHT_WINDOW months on each side widen the period). "
            "METHOD: error-calibrated (default: each source's per-pixel error is scaled by "
            "its misfit to the month's reference, then per-pixel inverse variance), or fixed "
            "weights by constrained/unconstrained least squares or inverse variance. A "
            "month with fewer than MIN_REFERENCE_SAMPLES samples of MIN_REFERENCE_GROUPS "
            "stations/polygons falls back to the neighbouring "
            "months, then to the fit over all months, then to inverse variance, and the "
            "month fit is shrunk towards the all-month fit with strength SHRINKAGE (tag "
            "WEIGHTS_BASIS names what was used); empty = per-pixel inverse variance. "
            "LOCAL_SCATTER raises each pair's error to its local scatter where that is larger "
            "(window in source pixels; default 5, 0 = off); ROBUST (χ², default 9.21) drops at each pixel a source that disagrees "
            "with the others beyond their errors (counted in the OUTLIERS tag). One "
            "YYYYMM.tif (bands v, vx, vy, v_error, count, vx_error, vy_error in m/d; count = "
            "pairs; SENSOR = the source's name when only one source has pairs that month, "
            "else FUSED) per month with data in OUTPUT_FOLDER; SOURCE_COMPOSITES also writes "
            "YYYYMM_<SENSOR>.tif per source. With a reference, the weights of every month "
            "and a leave-one-station/polygon-out validation (fused and each source) go to "
            "OUTPUT_TABLE (CSV). YEAR (optional) asks for the twelve months of a year; "
            "months without data are reported.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SOURCES, self.tr("Pair velocity products"), QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterString(
            self.WEIGHTS, self.tr("Weights by source, e.g. L8=0.6,S2=0.4 (empty: fitted to the "
                               "reference, or inverse variance)"),
            optional=True))
        _add_error_param(self)
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_OVERLAP, self.tr("Minimum share of a pair's time baseline inside a month"),
            QgsProcessingParameterNumber.Double, ts.DEFAULT_MIN_FRACTION, minValue=0.01,
            maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.YEAR, self.tr("Year (0 = the months spanned by the pairs)"),
            QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=2200))
        _add_grid_params(self)
        _add_reference_params(self)
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Weight fit method (with a reference)"),
            [self.tr("Constrained least squares (W ≥ 0, ΣW = 1)"),
             self.tr("Unconstrained least squares (ΣW = 1)"),
             self.tr("Inverse variance"),
             self.tr("Error-calibrated per-pixel inverse variance")], defaultValue=3))
        self.addParameter(QgsProcessingParameterNumber(
            self.WEIGHT_WINDOW, self.tr("Months on each side pooled into a month's weight fit"),
            QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=12))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_REFERENCE_SAMPLES, self.tr("Reference samples (vx, vy components) a month "
                                             "needs for its own weights"),
            QgsProcessingParameterNumber.Integer, ts.DEFAULT_MIN_SAMPLES, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.MIN_REFERENCE_GROUPS, self.tr("Stations / polygons a month needs for its own "
                                            "weights"),
            QgsProcessingParameterNumber.Integer, ts.DEFAULT_MIN_GROUPS, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            self.SHRINKAGE, self.tr("Shrinkage towards the all-month weights (prior samples n0; "
                                 "0 = none)"),
            QgsProcessingParameterNumber.Double, ts.DEFAULT_SHRINKAGE, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            self.REFERENCE_MIN_OVERLAP, self.tr("Minimum share of a reference period inside a "
                                             "month"),
            QgsProcessingParameterNumber.Double, DEFAULT_REFERENCE_MIN_OVERLAP, minValue=0.01,
            maxValue=1.0))
        _add_robust_params(self)
        self.addParameter(QgsProcessingParameterBoolean(
            self.SOURCE_COMPOSITES, self.tr("Also write per-source composites YYYYMM_<SENSOR>.tif"),
            False))
        self.addParameter(QgsProcessingParameterFolderDestination(
            self.OUTPUT_FOLDER, self.tr("Output folder")))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_TABLE, self.tr("Weights and validation per month (CSV)"),
            self.tr("CSV files (*.csv)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_HTML, self.tr("Report: weights and held-out validation per month"),
            self.tr("HTML files (*.html)"), optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputString(self.MONTHS_WRITTEN, self.tr("Months written")))
        self.addOutput(QgsProcessingOutputString(self.MONTHS_WITHOUT_DATA,
                                                 self.tr("Months without data")))

    def process(self, parameters, context, feedback):
        paths = _source_paths(self, parameters, context)
        folder = self.parameterAsString(parameters, self.OUTPUT_FOLDER, context)
        grid = _grid(self, parameters, context, paths, folder)
        weights = cf.parse_weights(self.parameterAsString(parameters, self.WEIGHTS, context))
        errs_text = self.parameterAsString(parameters, self.SOURCE_ERRORS, context)
        has_ref = any(parameters.get(k) not in (None, "")
                      for k in (self.REFERENCE_POINTS, self.REFERENCE_RASTER))
        progress, is_canceled = callbacks(feedback)
        reference = None
        if has_ref:
            if weights:
                raise ValueError(self.tr(
                    "give either WEIGHTS or a reference (REFERENCE_POINTS / REFERENCE_RASTER) "
                    "to fit weights per month, not both"))
            records = reference_records(self, parameters, context, grid.crs)
            reference, warnings = fusion_files.period_reference(
                grid, records, self.parameterAsInt(parameters, self.MIN_REFERENCE_GROUPS, context),
                is_canceled)
            for w in warnings:
                feedback.pushWarning(w)
        robust, scatter = _robust_values(self, parameters, context)
        table = self.parameterAsFileOutput(parameters, self.OUTPUT_TABLE, context) or None
        res = monthly.monthly_velocity(
            paths, folder, grid, weights=weights or None,
            source_errors=cf.parse_weights(errs_text) if errs_text else None,
            min_overlap=self.parameterAsDouble(parameters, self.MIN_OVERLAP, context),
            year=self.parameterAsInt(parameters, self.YEAR, context), reference=reference,
            method=ts.PERIOD_METHODS[self.parameterAsEnum(parameters, self.METHOD, context)],
            min_groups=self.parameterAsInt(parameters, self.MIN_REFERENCE_GROUPS, context),
            window=self.parameterAsInt(parameters, self.WEIGHT_WINDOW, context),
            min_samples=self.parameterAsInt(parameters, self.MIN_REFERENCE_SAMPLES, context),
            shrinkage=self.parameterAsDouble(parameters, self.SHRINKAGE, context),
            reference_min_overlap=self.parameterAsDouble(parameters, self.REFERENCE_MIN_OVERLAP,
                                                         context),
            robust=robust, scatter=scatter,
            source_composites=self.parameterAsBool(parameters, self.SOURCE_COMPOSITES, context),
            table=table, log=feedback.pushInfo, warn=feedback.pushWarning,
            progress=progress, is_canceled=is_canceled)
        for n in res.notes:
            feedback.pushWarning(n)
        for v in res.validation:
            srcs = ", ".join(f"{n} {r:.4f}" for n, r in v["source_rmse"].items())
            feedback.pushInfo(self.tr(
                "{}: held-out vector RMSE over {} stations/polygons: fused {:.4f} m/d; {}")
                .format(v["month"], v["groups"], v["fused_rmse"], srcs))
        if res.empty:
            feedback.pushWarning(self.tr("Months without data: {}").format(", ".join(res.empty)))
        out = {self.OUTPUT_FOLDER: folder, self.MONTHS_WRITTEN: ",".join(res.written),
               self.MONTHS_WITHOUT_DATA: ",".join(res.empty), "FILES": res.files,
               "SOURCE_FILES": res.source_files,
               "MONTH_WEIGHTS": {m: pw.as_dict() for m, pw in res.weights.items()},
               "WEIGHTS_BASIS": {m: pw.basis for m, pw in res.weights.items()},
               "OUTLIERS": res.rejected, "VALIDATION": res.validation}
        if res.table:
            out[self.OUTPUT_TABLE] = res.table
        html = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context)
        if html:
            fusion_files.monthly_report(
                html, res, self.tr("Monthly velocity: weights and validation"),
                self.tr("Held-out validation (leave one station/polygon out)"))
            out[self.OUTPUT_HTML] = html
        return out


class ValidateVelocity(ReferenceKeys, GlacvelAlgorithm):
    ALG_ID = "validate_velocity"
    GROUP_ID = "products"

    # parameter and output keys
    INPUT = "INPUT"
    SOURCES = "SOURCES"
    OUTPUT_HTML = "OUTPUT_HTML"

    def displayName(self):
        return self.tr("Validate velocity against a reference")

    def shortHelpString(self):
        return self.tr(
            "Compares a velocity product (fused or single source) and, optionally, further "
            "products (SOURCES) with a reference: a UAV velocity raster inside polygons, or "
            "GNSS points (vx/vy in m/d, or start/end positions and dates). Every product is "
            "sampled on the grid of INPUT. Reports n, bias (mean), standard deviation, RMSE "
            "and NMAD of the speed difference (product − reference) and of the vx/vy "
            "components, as a table and scatter/histogram figures in the HTML report.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            self.INPUT, self.tr("Velocity product to validate")))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.SOURCES, self.tr("Further products to compare (e.g. the single sources)"),
            QgsProcessing.TypeRaster, optional=True))
        _add_reference_params(self)
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_HTML, self.tr("Validation report"), self.tr("HTML files (*.html)"),
            optional=True, createByDefault=False))

    def process(self, parameters, context, feedback):
        main = self.parameterAsRasterLayer(parameters, self.INPUT, context)
        if main is None:
            raise ValueError(self.tr("INPUT is not a raster layer; give a velocity product"))
        paths = [main.source()]
        if parameters.get(self.SOURCES):
            paths += [p for p in _source_paths(self, parameters, context) if p != main.source()]
        grid = fusion_files.validation_grid(paths[0])
        reference = reference_records(self, parameters, context, grid.crs)
        _, is_canceled = callbacks(feedback)
        labels, stats, ref = fusion_files.validate_velocity(paths, grid, reference, is_canceled)
        for lab in labels:
            s, comp = stats[lab]["speed"], stats[lab]["components"]
            feedback.pushInfo(self.tr(
                "{}: n={}, bias {:+.4f}, std {:.4f}, RMSE {:.4f}, NMAD {:.4f} m/d (speed); "
                "components RMSE {:.4f} m/d").format(lab, s["n"], s["mean"], s["std"],
                                                     s["rmse"], s["nmad"], comp["rmse"]))
        html = self.parameterAsFileOutput(parameters, self.OUTPUT_HTML, context)
        if html:
            fusion_files.validation_report(html, labels, stats, ref,
                                           self.tr("Velocity validation"))
        out = {"STATS": stats, "N": stats[labels[0]]["speed"]["n"],
               "BIAS": stats[labels[0]]["speed"]["mean"], "RMSE": stats[labels[0]]["speed"]["rmse"]}
        if html:
            out[self.OUTPUT_HTML] = html
        return out


ALGORITHMS = [FitFusionWeights, FuseVelocity, MonthlyVelocity, ValidateVelocity]
