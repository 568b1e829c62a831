"""Multi-source fusion, monthly YYYYMM products and validation (thin Processing glue).

* ``glacvel:fit_fusion_weights`` — weights of each source (SENSOR tag) fitted to a
  reference: a UAV velocity raster inside polygons, or GNSS points.
* ``glacvel:fuse_velocity`` — masked weighted fusion of vx and vy on a common grid.
* ``glacvel:monthly_velocity`` — per-month composites of pair products, fused across
  sources, one ``YYYYMM.tif`` per month with data.
* ``glacvel:validate_velocity`` — a product (fused or single) against the reference.

Maths: :mod:`glacvel_plugin.core.fusion`, :mod:`glacvel_plugin.core.timeseries`;
grids and block reads: :mod:`glacvel_plugin.io.grid`. See docs/fusion.md.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
from typing import Dict, List, Optional

import numpy as np
from qgis.core import (QgsCoordinateTransform, QgsFeatureRequest, QgsProcessing,
                       QgsProcessingOutputFolder, QgsProcessingOutputNumber,
                       QgsProcessingOutputString, QgsProcessingParameterBoolean,
                       QgsProcessingParameterCrs,
                       QgsProcessingParameterEnum, QgsProcessingParameterExtent,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString,
                       QgsPointXY)
from qgis.PyQt.QtCore import QDate, QDateTime

from ..core import fusion as cf
from ..i18n import translate
from ..core import timeseries as ts
from ..io import budget, monthly
from ..io.monthly import DEFAULT_REFERENCE_MIN_OVERLAP
from ..io.info import geometry_bounds, pixel_window, transform_bounds
from ..io.grid import (DEFAULT_BLOCK, DEFAULT_RESOLUTION, SourceReader, TargetGrid,
                       open_sources, sample_points, target_grid)
from ..io.product import ProductWriter, format_time, standard_tags
from ..io.raster import rasterize_labels
from ..io.report import HtmlReport
from .base import (GlacvelAlgorithm, callbacks, check_canceled, field_number, qdatetime_utc,
                   source_label)
from .vector import check_geometry_type, qgs_crs, source_geometries

METHOD_KEYS = list(cf.METHODS)
FUSED_BANDS = ("v", "vx", "vy", "v_error", "count", "vx_error", "vy_error")

START_X, START_Y, END_X, END_Y = "start_x", "start_y", "end_x", "end_y"
START_DATE, END_DATE = "start_date", "end_date"


# --------------------------------------------------------------------------- helpers


def _source_paths(alg, parameters, context, name="SOURCES") -> List[str]:
    layers = alg.parameterAsLayerList(parameters, name, context) or []
    paths = [lyr.source() for lyr in layers]
    if not paths:
        raise ValueError(f"{name} is empty; give one or more glacvel velocity products")
    return paths


def _grid(alg, parameters, context, paths, folder=None) -> TargetGrid:
    crs = None
    if parameters.get("TARGET_CRS") not in (None, ""):
        qcrs = alg.parameterAsCrs(parameters, "TARGET_CRS", context)
        if qcrs.isValid():
            crs = qcrs.toWkt()
    res = alg.parameterAsDouble(parameters, "TARGET_RESOLUTION", context) or DEFAULT_RESOLUTION
    extent = None
    extent_crs = None
    if parameters.get("EXTENT") not in (None, ""):
        rect = alg.parameterAsExtent(parameters, "EXTENT", context)
        if not rect.isNull() and rect.width() > 0 and rect.height() > 0:
            extent = (rect.xMinimum(), rect.yMinimum(), rect.xMaximum(), rect.yMaximum())
            ecrs = alg.parameterAsExtentCrs(parameters, "EXTENT", context)
            extent_crs = ecrs.toWkt() if ecrs.isValid() else None
    grid = target_grid(paths, crs=crs, resolution=res, extent=extent, extent_crs=extent_crs)
    budget.check_grid(grid.width, grid.height, grid.resolution, len(monthly.FUSED_BANDS),
                      folder=folder)
    return grid


def _add_grid_params(alg):
    alg.addParameter(QgsProcessingParameterCrs(
        "TARGET_CRS", translate("FusionParameters", "Target CRS (default: UTM zone of the data)"), optional=True))
    alg.addParameter(QgsProcessingParameterNumber(
        "TARGET_RESOLUTION", translate("FusionParameters", "Target resolution (m)"),
        QgsProcessingParameterNumber.Double, DEFAULT_RESOLUTION, minValue=0.001))
    alg.addParameter(QgsProcessingParameterExtent(
        "EXTENT", translate("FusionParameters", "Extent (default: union of the sources)"), optional=True))


def _add_reference_params(alg):
    alg.addParameter(QgsProcessingParameterRasterLayer(
        "REFERENCE_RASTER", translate("FusionParameters", "Reference velocity product (e.g. UAV, m/d or m/yr)"),
        optional=True))
    alg.addParameter(QgsProcessingParameterFeatureSource(
        "REFERENCE_POLYGONS", translate("FusionParameters", "Reference polygons (where the reference raster is used)"),
        [QgsProcessing.TypeVectorPolygon], optional=True))
    alg.addParameter(QgsProcessingParameterFeatureSource(
        "REFERENCE_POINTS", translate("FusionParameters", "Reference points (GNSS: vx/vy in m/d, or start/end "
                                   "positions and dates)"),
        [QgsProcessing.TypeVectorPoint], optional=True))
    alg.addParameter(QgsProcessingParameterField(
        "VX_FIELD", translate("FusionParameters", "Field of the east velocity vx (m/d)"), "vx", "REFERENCE_POINTS",
        optional=True))
    alg.addParameter(QgsProcessingParameterField(
        "VY_FIELD", translate("FusionParameters", "Field of the north velocity vy (m/d)"), "vy", "REFERENCE_POINTS",
        optional=True))
    alg.addParameter(QgsProcessingParameterField(
        "ID_FIELD", translate("FusionParameters", "Station / polygon id field (cross-validation groups; "
                                                    "default: 'station' if present)"), None,
        "REFERENCE_POINTS", optional=True))


def _to_datetime(value, label) -> _dt.datetime:
    if isinstance(value, QDateTime):
        if not value.isValid():
            raise ValueError(f"{label} is empty")
        return qdatetime_utc(value)
    if isinstance(value, QDate):
        if not value.isValid():
            raise ValueError(f"{label} is empty")
        return _dt.datetime(value.year(), value.month(), value.day())
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    s = str(value).strip().rstrip("Z")
    try:
        return _dt.datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(f"{label} {value!r} is not a date (use YYYY-MM-DD)") from None


def _cell(where, label, i, field) -> str:
    """``'REFERENCE_POINTS (file.csv): feature S01 (row 2), field 'start_date''`` for
    messages about one attribute (``i`` 0-based)."""
    return f"{where}: feature {label} (row {i + 1}), field '{field}'"


def _is_null(v) -> bool:
    if v is None:
        return True
    try:
        from qgis.PyQt.QtCore import QVariant
        if isinstance(v, QVariant) and v.isNull():
            return True
    except ImportError:  # pragma: no cover
        pass
    if isinstance(v, float) and math.isnan(v):
        return True
    return str(v) in ("", "NULL")


class Reference:
    """Reference velocities at sample locations, with the sources sampled there.

    ``ref_vx``, ``ref_vy``: (n,) m/d; ``src_vx``, ``src_vy``: (k, n) m/d (NaN = no data);
    ``groups``: (n,) polygon/station labels; ``kind``: 'points' | 'raster'.
    """

    def __init__(self, ref_vx, ref_vy, src_vx, src_vy, groups, kind, notes=()):
        self.ref_vx = np.asarray(ref_vx, float)
        self.ref_vy = np.asarray(ref_vy, float)
        self.src_vx = np.asarray(src_vx, float)
        self.src_vy = np.asarray(src_vy, float)
        self.groups = np.asarray(groups)
        self.kind = kind
        self.notes = list(notes)
        self.rows = self.cols = None      # target-grid pixels of the samples
        self.start = self.end = None      # per-sample periods (datetimes or None)

    def components(self):
        """(values (2n, k), reference (2n,), groups (2n,)): vx then vy of every sample."""
        vals = np.concatenate([self.src_vx.T, self.src_vy.T])
        ref = np.concatenate([self.ref_vx, self.ref_vy])
        groups = np.concatenate([self.groups, self.groups])
        return vals, ref, groups


def _points_reference(alg, parameters, context, readers, grid, feedback) -> Reference:
    source = alg.parameterAsSource(parameters, "REFERENCE_POINTS", context)
    check_geometry_type(source, "point", "REFERENCE_POINTS")
    names = source.fields().names()
    lower = {n.lower(): n for n in names}
    fx = alg.parameterAsString(parameters, "VX_FIELD", context) or "vx"
    fy = alg.parameterAsString(parameters, "VY_FIELD", context) or "vy"
    fid_field = alg.parameterAsString(parameters, "ID_FIELD", context) or ""
    if not fid_field and "station" in lower:
        # the station of every row (Import GNSS stations): one group per station, so
        # a station's several GNSS intervals are held out together
        fid_field = lower["station"]
    fx, fy = lower.get(fx.lower(), fx), lower.get(fy.lower(), fy)
    use_v = fx in names and fy in names
    pos = [lower.get(n) for n in (START_X, START_Y, END_X, END_Y, START_DATE, END_DATE)]
    use_pos = not use_v and all(p is not None for p in pos)
    if not use_v and not use_pos:
        raise ValueError(
            f"REFERENCE_POINTS needs fields '{fx}' and '{fy}' (velocity in m/d) or the fields "
            f"{START_X}, {START_Y}, {END_X}, {END_Y} (positions in the layer CRS) and "
            f"{START_DATE}, {END_DATE}; the layer has {', '.join(names) or 'no fields'}")
    to_grid = QgsCoordinateTransform(source.sourceCrs(), qgs_crs(grid.crs),
                                     context.transformContext())
    xy, rvx, rvy, groups, starts, ends = [], [], [], [], [], []
    date_fields = [lower.get(START_DATE), lower.get(END_DATE)]
    skipped = 0
    where = source_label(alg, parameters, "REFERENCE_POINTS", context)
    for i, f in enumerate(source.getFeatures(QgsFeatureRequest())):
        g = f.geometry()
        if g is None or g.isEmpty():
            skipped += 1
            continue
        label = f[fid_field] if fid_field else f.id()
        if use_v:
            vx, vy = f[fx], f[fy]
            if _is_null(vx) or _is_null(vy):
                skipped += 1
                continue
            vx, vy = (field_number(v, n, i + 1, label, where) for v, n in ((vx, fx), (vy, fy)))
            pt = g.asPoint()
            p = to_grid.transform(pt)
            if source.sourceCrs().isGeographic():
                # vx, vy are true east/north components: unit vectors of the local east
                # and north directions in grid axes from 1e-5° steps
                e = to_grid.transform(QgsPointXY(pt.x() + 1e-5, pt.y()))
                n = to_grid.transform(QgsPointXY(pt.x(), pt.y() + 1e-5))
                ex, ey = e.x() - p.x(), e.y() - p.y()
                nx, ny = n.x() - p.x(), n.y() - p.y()
                le, ln = math.hypot(ex, ey), math.hypot(nx, ny)
                vx, vy = (float(vx) * ex / le + float(vy) * nx / ln,
                          float(vx) * ey / le + float(vy) * ny / ln)
            elif source.sourceCrs() != qgs_crs(grid.crs):
                # vx, vy along the layer CRS's axes: map them into the grid's
                q = to_grid.transform(QgsPointXY(pt.x() + float(vx) * 1000.0,
                                                 pt.y() + float(vy) * 1000.0))
                vx, vy = (q.x() - p.x()) / 1000.0, (q.y() - p.y()) / 1000.0
            xy.append((p.x(), p.y()))
            rvx.append(float(vx))
            rvy.append(float(vy))
            t0 = t1 = None
            if None not in date_fields and not any(_is_null(f[d]) for d in date_fields):
                t0 = _to_datetime(f[date_fields[0]], _cell(where, label, i, date_fields[0]))
                t1 = _to_datetime(f[date_fields[1]], _cell(where, label, i, date_fields[1]))
                if not t1 > t0:
                    raise ValueError(f"feature {label}: {END_DATE} must be after {START_DATE}")
            starts.append(t0)
            ends.append(t1)
        else:
            vals = [f[p] for p in pos]
            if any(_is_null(v) for v in vals):
                skipped += 1
                continue
            vals[:4] = [field_number(v, n, i + 1, label, where) for v, n in zip(vals, pos[:4])]
            t0 = _to_datetime(vals[4], _cell(where, label, i, pos[4]))
            t1 = _to_datetime(vals[5], _cell(where, label, i, pos[5]))
            days = (t1 - t0).total_seconds() / 86400.0
            if not days > 0:
                raise ValueError(f"feature {label}: {END_DATE} must be after {START_DATE}")
            a = to_grid.transform(QgsPointXY(float(vals[0]), float(vals[1])))
            b = to_grid.transform(QgsPointXY(float(vals[2]), float(vals[3])))
            xy.append(((a.x() + b.x()) / 2, (a.y() + b.y()) / 2))
            rvx.append((b.x() - a.x()) / days)
            rvy.append((b.y() - a.y()) / days)
            starts.append(t0)
            ends.append(t1)
        groups.append(str(label))
    if not xy:
        raise ValueError("REFERENCE_POINTS has no point with a reference velocity")
    values, rows, cols = sample_points(readers, grid, np.array(xy))
    notes = [f"{skipped} reference point(s) without velocity skipped"] if skipped else []
    ref = Reference(rvx, rvy, values["vx"], values["vy"], groups, "points", notes)
    ref.rows, ref.cols, ref.start, ref.end = rows, cols, starts, ends
    return ref


def _raster_reference(alg, parameters, context, readers, grid, feedback) -> Reference:
    layer = alg.parameterAsRasterLayer(parameters, "REFERENCE_RASTER", context)
    ref = SourceReader(layer.source())
    try:
        geoms = []
        if parameters.get("REFERENCE_POLYGONS") not in (None, ""):
            src = alg.parameterAsSource(parameters, "REFERENCE_POLYGONS", context)
            if src is not None:
                geoms = source_geometries(src, grid.crs, context, "polygon",
                                          "REFERENCE_POLYGONS")
        notes = []
        if geoms:
            bb = [geometry_bounds(g) for g in geoms]
            l, b = min(x[0] for x in bb), min(x[1] for x in bb)
            r, t = max(x[2] for x in bb), max(x[3] for x in bb)
        else:
            notes.append("no REFERENCE_POLYGONS: every valid reference pixel is used as one "
                         "group, so there is no cross-validation")
            l, b, r, t = transform_bounds(ref.crs, grid.crs, ref.ds.bounds)
        inv = ~grid.transform
        c0, r0 = inv * (l, t)
        c1, r1 = inv * (r, b)
        c0, r0 = max(int(math.floor(c0)), 0), max(int(math.floor(r0)), 0)
        c1, r1 = min(int(math.ceil(c1)), grid.width), min(int(math.ceil(r1)), grid.height)
        if c1 <= c0 or r1 <= r0:
            raise ValueError("the reference polygons/raster lie outside every source; use a "
                             "reference over the velocity products")
        k = len(readers)
        out = {"rvx": [], "rvy": [], "svx": [], "svy": [], "g": [], "r": [], "c": []}
        for rr in range(r0, r1, DEFAULT_BLOCK):
            for cc in range(c0, c1, DEFAULT_BLOCK):
                check_canceled(feedback)
                w = pixel_window(cc, rr, min(DEFAULT_BLOCK, c1 - cc), min(DEFAULT_BLOCK, r1 - rr))
                shape = (int(w.height), int(w.width))
                if geoms:
                    labels = rasterize_labels(geoms, grid.window_transform(w), shape)
                else:
                    labels = np.ones(shape, dtype=np.int32)
                d = ref.read(("vx", "vy"), grid, w)
                sel = (labels > 0) & np.isfinite(d["vx"]) & np.isfinite(d["vy"])
                if not sel.any():
                    continue
                out["rvx"].append(d["vx"][sel])
                out["rvy"].append(d["vy"][sel])
                out["g"].append(labels[sel])
                rr_, cc_ = np.nonzero(sel)
                out["r"].append(rr_ + int(w.row_off))
                out["c"].append(cc_ + int(w.col_off))
                sx = np.empty((k, sel.sum()))
                sy = np.empty((k, sel.sum()))
                for i, rd in enumerate(readers):
                    s = rd.read(("vx", "vy"), grid, w)
                    sx[i], sy[i] = s["vx"][sel], s["vy"][sel]
                out["svx"].append(sx)
                out["svy"].append(sy)
        if not out["rvx"]:
            raise ValueError("the reference raster has no valid pixel inside the reference "
                             "polygons on the target grid; check the polygons and the raster")
        res = Reference(np.concatenate(out["rvx"]), np.concatenate(out["rvy"]),
                        np.concatenate(out["svx"], axis=1), np.concatenate(out["svy"], axis=1),
                        np.concatenate(out["g"]).astype(str), "raster", notes)
        res.rows, res.cols = np.concatenate(out["r"]), np.concatenate(out["c"])
        n = len(res.rows)
        res.start, res.end = [ref.start] * n, [ref.end] * n
        return res
    finally:
        ref.close()


def reference_samples(alg, parameters, context, readers, grid, feedback) -> Reference:
    """The reference of REFERENCE_POINTS, or REFERENCE_RASTER (inside REFERENCE_POLYGONS)."""
    has_pts = parameters.get("REFERENCE_POINTS") not in (None, "")
    has_ras = parameters.get("REFERENCE_RASTER") not in (None, "")
    if has_pts == has_ras:
        raise ValueError("give exactly one reference: REFERENCE_POINTS (GNSS) or "
                         "REFERENCE_RASTER (e.g. UAV velocity, with REFERENCE_POLYGONS)")
    ref = (_points_reference if has_pts else _raster_reference)(
        alg, parameters, context, readers, grid, feedback)
    inside = np.isfinite(ref.src_vx) & np.isfinite(ref.src_vy)
    if not inside.any():
        raise ValueError("the reference lies outside every source (no source has data at any "
                         "reference point/pixel); use a reference over the velocity products, "
                         "in the right CRS")
    return ref


def _source_errors(alg, parameters, context, readers):
    text = alg.parameterAsString(parameters, "SOURCE_ERRORS", context) \
        if "SOURCE_ERRORS" in parameters else ""
    monthly.apply_source_errors(readers, cf.parse_weights(text) if text else {})


def _add_error_param(alg):
    alg.addParameter(QgsProcessingParameterString(
        "SOURCE_ERRORS", translate("FusionParameters", "1-σ error per source in m/d for sources without an error "
                                "band, e.g. L8=0.05,S2=0.09 (overrides bands and tags)"),
        optional=True))


def _add_robust_params(alg, robust=cf.ROBUST_CHI2, scatter=cf.LOCAL_SCATTER_SIZE):
    alg.addParameter(QgsProcessingParameterNumber(
        "ROBUST", translate("FusionParameters", "Outlier test χ² threshold (2 d.o.f., 9.21 = "
                                                "99 %; 0 = off)"),
        QgsProcessingParameterNumber.Double, robust, minValue=0.0))
    alg.addParameter(QgsProcessingParameterNumber(
        "LOCAL_SCATTER", translate("FusionParameters", "Local-scatter error window in source "
                                                       "pixels (odd; 0 = off)"),
        QgsProcessingParameterNumber.Integer, scatter, minValue=0, maxValue=15))


def _robust_values(alg, parameters, context):
    scatter = alg.parameterAsInt(parameters, "LOCAL_SCATTER", context)
    if scatter and (scatter < 3 or scatter % 2 == 0):
        raise ValueError(f"LOCAL_SCATTER must be 0 or an odd window ≥ 3, got {scatter}")
    return alg.parameterAsDouble(parameters, "ROBUST", context) or None, scatter


def _weights_param(alg, parameters, context, names) -> Optional[np.ndarray]:
    text = alg.parameterAsString(parameters, "WEIGHTS", context)
    w = cf.parse_weights(text)
    if not w:
        return None
    return cf.weights_for(names, w)


def _fused_tags(readers, method, start=None, end=None, **extra) -> Dict[str, str]:
    starts = [r.start for r in readers if r.start is not None]
    ends = [r.end for r in readers if r.end is not None]
    start = start or (min(starts) if starts else None)
    end = end or (max(ends) if ends else None)
    names = list(dict.fromkeys(r.name for r in readers))
    extra.update(SOURCES=",".join(names),
                 INPUTS=";".join(os.path.basename(r.path) for r in readers))
    # products of one sensor keep its name (several L8 pairs fused are still L8)
    sensor = names[0] if len(names) == 1 else "FUSED"
    if start is not None and end is not None and end > start:
        return standard_tags(sensor, start, end, method, **extra)
    tags = {"UNITS": "m/d", "SENSOR": sensor, "METHOD": method}
    tags.update({k.upper(): str(v) for k, v in extra.items()})
    return tags


def _write_fused(path, grid, tags, protect, feedback, make_block, progress,
                 outliers=None) -> int:
    """Write one fused product (:data:`FUSED_BANDS`) block by block; returns its valid pixels.

    ``make_block(window)`` gives the bands of one block of ``grid``; ``progress(j)`` is
    called after block ``j``. The product is written atomically with
    :class:`ProductWriter` (never over a path in ``protect``) and tagged
    ``VALID_PIXELS``; a cancel between blocks, an error, or a product without any
    valid pixel (the return value is then 0) leaves no file.
    """
    valid = 0
    with ProductWriter(path, FUSED_BANDS, grid.height, grid.width, grid.transform,
                       grid.crs, tags, protect=protect) as w:
        for j, win in enumerate(grid.blocks()):
            check_canceled(feedback)      # the writer aborts on the exception
            block = make_block(win)
            valid += int(np.isfinite(block["vx"]).sum())
            w.write({b: block[b] for b in FUSED_BANDS}, win)
            progress(j)
        if valid == 0:
            w.abort()
        else:
            w.update_tags(VALID_PIXELS=valid)
            if outliers is not None:
                w.update_tags(OUTLIERS=",".join(f"{n}={int(c)}" for n, c in zip(*outliers)))
    return valid


# --------------------------------------------------------------------------- algorithms
class FitFusionWeights(GlacvelAlgorithm):
    ALG_ID = "fit_fusion_weights"
    GROUP_ID = "fusion"

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
            "SOURCES", self.tr("Velocity products (one per source)"),
            QgsProcessing.TypeRaster))
        _add_reference_params(self)
        self.addParameter(QgsProcessingParameterEnum(
            "METHOD", self.tr("Method"),
            [self.tr("Constrained least squares (W ≥ 0, ΣW = 1)"),
             self.tr("Unconstrained least squares (ΣW = 1)"),
             self.tr("Inverse variance")], defaultValue=0))
        _add_grid_params(self)
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Report"), self.tr("HTML files (*.html)"), optional=True,
            createByDefault=False))
        self.addOutput(QgsProcessingOutputString("WEIGHTS_TEXT", self.tr("Weights")))
        self.addOutput(QgsProcessingOutputNumber("CV_RMSE", self.tr("Cross-validated RMSE (m/d)")))
        self.addOutput(QgsProcessingOutputNumber("RMSE", self.tr("RMSE of the fit (m/d)")))

    def process(self, parameters, context, feedback):
        paths = _source_paths(self, parameters, context)
        method = METHOD_KEYS[self.parameterAsEnum(parameters, "METHOD", context)]
        grid = _grid(self, parameters, context, paths)
        with open_sources(paths) as readers:
            names = [r.name for r in readers]
            if len(set(names)) != len(names):
                raise ValueError(f"two products have the same SENSOR ({', '.join(names)}); fit "
                                 "weights with one product per source: per-sensor monthly "
                                 "composites (Monthly velocity with SOURCE_COMPOSITES writes "
                                 "YYYYMM_<SENSOR>.tif), or let Monthly velocity fit the "
                                 "weights of every month from the reference")
            feedback.pushInfo(f"Grid: {grid.width}×{grid.height} px of {grid.resolution:g} m, "
                              f"{grid.crs.to_string()}")
            ref = reference_samples(self, parameters, context, readers, grid, feedback)
        vals, b, groups = ref.components()
        _, is_canceled = callbacks(feedback)
        fit = cf.fit_weights(vals, b, names, method=method, groups=groups,
                             is_canceled=is_canceled)
        for note in ref.notes + fit.notes:
            feedback.pushWarning(note)
        text = cf.format_weights(fit.as_dict())
        for i, n in enumerate(names):
            feedback.pushInfo(f"{n}: W = {fit.weights[i]:.3f} ± {fit.weight_std[i]:.3f}, "
                              f"samples {int(fit.n_per_source[i])}, RMSE alone "
                              f"{fit.source_rmse[i]:.4f} m/d, bias {fit.source_bias[i]:+.4f}")
        cv = fit.cv_rmse if fit.cv_rmse is not None else float("nan")
        feedback.pushInfo(f"Weights {text}; fit RMSE {fit.rmse:.4f} m/d; cross-validated "
                          f"RMSE {cv:.4f} m/d over {len(fit.cv_folds)} held-out groups")
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        if html:
            self._report(html, fit, ref)
        res = {"WEIGHTS": fit.as_dict(), "WEIGHTS_TEXT": text,
               "WEIGHT_STD": dict(zip(names, map(float, fit.weight_std))),
               "CV_RMSE": cv, "RMSE": fit.rmse, "N_SAMPLES": fit.n_samples,
               "N_PER_SOURCE": dict(zip(names, map(int, fit.n_per_source))),
               "SOURCE_RMSE": dict(zip(names, map(float, fit.source_rmse))),
               "CV_SOURCE_RMSE": (dict(zip(names, map(float, fit.cv_source_rmse)))
                                  if fit.cv_source_rmse is not None else {}),
               "CV_FOLDS": fit.cv_folds, "NOTES": ref.notes + fit.notes}
        if html:
            res["OUTPUT_HTML"] = html
        return res

    def _report(self, path, fit, ref):
        rep = HtmlReport(self.tr("Fusion weights"))
        rep.paragraph(f"Method: {fit.method}; reference: {ref.kind}; samples (vx and vy "
                      f"components) with every source: {fit.n_samples}.")
        rep.table(["source", "weight", "± (bootstrap)", "samples", "RMSE alone (m/d)",
                   "bias (m/d)", "held-out RMSE (m/d)"],
                  [[n, float(fit.weights[i]), float(fit.weight_std[i]), int(fit.n_per_source[i]),
                    float(fit.source_rmse[i]), float(fit.source_bias[i]),
                    float(fit.cv_source_rmse[i]) if fit.cv_source_rmse is not None else "—"]
                   for i, n in enumerate(fit.names)])
        rep.paragraph(f"Fused: RMSE {fit.rmse:.4g} m/d in the fit; "
                      + (f"{fit.cv_rmse:.4g} m/d leaving one group out."
                         if fit.cv_rmse is not None else "no cross-validation (one group)."))
        if fit.cv_folds:
            rep.table(["held-out group", "n", "fused RMSE"] + list(fit.names),
                      [[f["group"], f["n"], f["rmse"]] + [f["source_rmse"][n] for n in fit.names]
                       for f in fit.cv_folds])
        for n in fit.notes + ref.notes:
            rep.paragraph(n, "note")
        rep.save(path)


class FuseVelocity(GlacvelAlgorithm):
    ALG_ID = "fuse_velocity"
    GROUP_ID = "fusion"

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
            "SOURCES", self.tr("Velocity products"), QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterString(
            "WEIGHTS", self.tr("Weights by source, e.g. L8=0.6,S2=0.4 (empty: inverse variance)"),
            optional=True))
        _add_error_param(self)
        _add_grid_params(self)
        _add_robust_params(self, robust=0.0, scatter=0)   # off: the user's weights as given
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT", self.tr("Fused velocity")))

    def process(self, parameters, context, feedback):
        paths = _source_paths(self, parameters, context)
        out = self.parameterAsOutputLayer(parameters, "OUTPUT", context)
        grid = _grid(self, parameters, context, paths, os.path.dirname(out) or ".")
        with open_sources(paths) as readers:
            _source_errors(self, parameters, context, readers)
            names = [r.name for r in readers]
            W = _weights_param(self, parameters, context, names)
            if W is None:
                no_err = [r.name for r in readers if not r.has_error()]
                if no_err:
                    feedback.pushWarning(
                        f"no WEIGHTS and no error for {', '.join(no_err)}: those sources take "
                        "the mean weight of the others at each pixel (equal weights where no "
                        "source has an error)")
                wtext = "inverse-variance per pixel"
            else:
                wtext = cf.format_weights(dict(zip(names, W)))
            feedback.pushInfo(f"Grid {grid.width}×{grid.height} px of {grid.resolution:g} m "
                              f"({grid.crs.to_string()}); weights {wtext}")
            robust, scatter = _robust_values(self, parameters, context)
            tags = _fused_tags(readers, "glacvel:fuse_velocity", WEIGHTS=wtext,
                               TARGET_RESOLUTION=f"{grid.resolution:g}",
                               ROBUST_CHI2=f"{robust:g}" if robust else "off",
                               UNCERTAINTY=(f"max(error band/tag, local scatter {scatter}×"
                                            f"{scatter} source px)" if scatter
                                            else "error bands/tags"))
            n = grid.n_blocks()
            rejected = np.zeros(len(readers), np.int64)

            def fuse_block(win):
                vx, vy, sx, sy = monthly._read_stack(readers, grid, win, scatter)
                f = cf.fuse_stack(vx, vy, W, sx, sy, robust=robust)
                if "rejected_by_source" in f:
                    rejected[:] += f["rejected_by_source"]
                return f

            valid = _write_fused(out, grid, tags, paths, feedback, fuse_block,
                                 lambda j: feedback.setProgress(100.0 * (j + 1) / n),
                                 outliers=(names, rejected) if robust else None)
            if valid == 0:
                raise ValueError("the sources have no data on the target grid/extent; "
                                 "check EXTENT and TARGET_CRS")
        res = {"OUTPUT": out, "VALID_PIXELS": valid, "WEIGHTS_TEXT": wtext}
        if robust:
            res["OUTLIERS"] = dict(zip(names, map(int, rejected)))
        return res


class MonthlyVelocity(GlacvelAlgorithm):
    ALG_ID = "monthly_velocity"
    GROUP_ID = "products"

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
            "SOURCES", self.tr("Pair velocity products"), QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterString(
            "WEIGHTS", self.tr("Weights by source, e.g. L8=0.6,S2=0.4 (empty: fitted to the "
                               "reference, or inverse variance)"),
            optional=True))
        _add_error_param(self)
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_OVERLAP", self.tr("Minimum share of a pair's time baseline inside a month"),
            QgsProcessingParameterNumber.Double, ts.DEFAULT_MIN_FRACTION, minValue=0.01,
            maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "YEAR", self.tr("Year (0 = the months spanned by the pairs)"),
            QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=2200))
        _add_grid_params(self)
        _add_reference_params(self)
        self.addParameter(QgsProcessingParameterEnum(
            "METHOD", self.tr("Weight fit method (with a reference)"),
            [self.tr("Constrained least squares (W ≥ 0, ΣW = 1)"),
             self.tr("Unconstrained least squares (ΣW = 1)"),
             self.tr("Inverse variance"),
             self.tr("Error-calibrated per-pixel inverse variance")], defaultValue=3))
        self.addParameter(QgsProcessingParameterNumber(
            "WEIGHT_WINDOW", self.tr("Months on each side pooled into a month's weight fit"),
            QgsProcessingParameterNumber.Integer, 0, minValue=0, maxValue=12))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_REFERENCE_SAMPLES", self.tr("Reference samples (vx, vy components) a month "
                                             "needs for its own weights"),
            QgsProcessingParameterNumber.Integer, ts.DEFAULT_MIN_SAMPLES, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            "MIN_REFERENCE_GROUPS", self.tr("Stations / polygons a month needs for its own "
                                            "weights"),
            QgsProcessingParameterNumber.Integer, ts.DEFAULT_MIN_GROUPS, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            "SHRINKAGE", self.tr("Shrinkage towards the all-month weights (prior samples n0; "
                                 "0 = none)"),
            QgsProcessingParameterNumber.Double, ts.DEFAULT_SHRINKAGE, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "REFERENCE_MIN_OVERLAP", self.tr("Minimum share of a reference period inside a "
                                             "month"),
            QgsProcessingParameterNumber.Double, DEFAULT_REFERENCE_MIN_OVERLAP, minValue=0.01,
            maxValue=1.0))
        _add_robust_params(self)
        self.addParameter(QgsProcessingParameterBoolean(
            "SOURCE_COMPOSITES", self.tr("Also write per-source composites YYYYMM_<SENSOR>.tif"),
            False))
        self.addParameter(QgsProcessingParameterFolderDestination(
            "OUTPUT_FOLDER", self.tr("Output folder")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_TABLE", self.tr("Weights and validation per month (CSV)"),
            self.tr("CSV files (*.csv)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Report: weights and held-out validation per month"),
            self.tr("HTML files (*.html)"), optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputString("MONTHS_WRITTEN", self.tr("Months written")))
        self.addOutput(QgsProcessingOutputString("MONTHS_WITHOUT_DATA",
                                                 self.tr("Months without data")))

    def _report(self, path, res):
        rep = HtmlReport(self.tr("Monthly velocity: weights and validation"))
        names = list(dict.fromkeys(n for pw in res.weights.values() for n in pw.names))
        rep.paragraph("Weights of every month and how they were obtained (WEIGHTS_BASIS): "
                      "month, month+shrinkage, neighbours, all-period, inverse-variance, "
                      "single-source or given. Error scales multiply each source's σ "
                      "(error-calibrated method). Outliers: pixels where the robust test "
                      "dropped the source.")
        rows = []
        for m in res.written:
            pw = res.weights[m]
            wd, sc, rj = pw.as_dict(), pw.scale_dict(), res.rejected.get(m, {})
            rows.append([m, pw.basis] + [wd.get(n, "—") for n in names] +
                        [sc.get(n, "—") for n in names] + [rj.get(n, "—") for n in names] +
                        [res.valid.get(m, 0), pw.note])
        rep.table(["month", "basis"] + [f"W {n}" for n in names] +
                  [f"σ scale {n}" for n in names] + [f"outliers {n}" for n in names] +
                  ["valid pixels", "note"], rows)
        if res.validation:
            rep.heading(self.tr("Held-out validation (leave one station/polygon out)"))
            rep.paragraph("Vector RMSE √mean(Δvx² + Δvy²) in m/d at the held-out reference, "
                          "weights refitted without it; each source alone at the same places; "
                          "z = RMS of residual/σ (≈ 1 when the error band is right).")
            rep.table(["month", "groups", "fused RMSE"] + [f"{n} RMSE" for n in names] +
                      ["z fused"] + [f"z {n}" for n in names],
                      [[v["month"], v["groups"], v["fused_rmse"]] +
                       [v["source_rmse"].get(n, "—") for n in names] + [v["fused_z"]] +
                       [v["source_z"].get(n, "—") for n in names] for v in res.validation])
        for n in res.notes:
            rep.paragraph(n, "note")
        rep.save(path)

    def process(self, parameters, context, feedback):
        paths = _source_paths(self, parameters, context)
        folder = self.parameterAsString(parameters, "OUTPUT_FOLDER", context)
        grid = _grid(self, parameters, context, paths, folder)
        weights = cf.parse_weights(self.parameterAsString(parameters, "WEIGHTS", context))
        errs_text = self.parameterAsString(parameters, "SOURCE_ERRORS", context)
        has_ref = any(parameters.get(k) not in (None, "")
                      for k in ("REFERENCE_POINTS", "REFERENCE_RASTER"))
        reference = None
        if has_ref:
            if weights:
                raise ValueError("give either WEIGHTS or a reference (REFERENCE_POINTS / "
                                 "REFERENCE_RASTER) to fit weights per month, not both")
            reference = _period_reference(self, parameters, context, grid, feedback)
        robust, scatter = _robust_values(self, parameters, context)
        table = self.parameterAsFileOutput(parameters, "OUTPUT_TABLE", context) or None
        progress, is_canceled = callbacks(feedback)
        res = monthly.monthly_velocity(
            paths, folder, grid, weights=weights or None,
            source_errors=cf.parse_weights(errs_text) if errs_text else None,
            min_overlap=self.parameterAsDouble(parameters, "MIN_OVERLAP", context),
            year=self.parameterAsInt(parameters, "YEAR", context), reference=reference,
            method=ts.PERIOD_METHODS[self.parameterAsEnum(parameters, "METHOD", context)],
            min_groups=self.parameterAsInt(parameters, "MIN_REFERENCE_GROUPS", context),
            window=self.parameterAsInt(parameters, "WEIGHT_WINDOW", context),
            min_samples=self.parameterAsInt(parameters, "MIN_REFERENCE_SAMPLES", context),
            shrinkage=self.parameterAsDouble(parameters, "SHRINKAGE", context),
            reference_min_overlap=self.parameterAsDouble(parameters, "REFERENCE_MIN_OVERLAP",
                                                         context),
            robust=robust, scatter=scatter,
            source_composites=self.parameterAsBool(parameters, "SOURCE_COMPOSITES", context),
            table=table, log=feedback.pushInfo, warn=feedback.pushWarning,
            progress=progress, is_canceled=is_canceled)
        for n in res.notes:
            feedback.pushWarning(n)
        for v in res.validation:
            srcs = ", ".join(f"{n} {r:.4f}" for n, r in v["source_rmse"].items())
            feedback.pushInfo(f"{v['month']}: held-out vector RMSE over {v['groups']} "
                              f"stations/polygons: fused {v['fused_rmse']:.4f} m/d; {srcs}")
        if res.empty:
            feedback.pushWarning(f"Months without data: {', '.join(res.empty)}")
        out = {"OUTPUT_FOLDER": folder, "MONTHS_WRITTEN": ",".join(res.written),
               "MONTHS_WITHOUT_DATA": ",".join(res.empty), "FILES": res.files,
               "SOURCE_FILES": res.source_files,
               "MONTH_WEIGHTS": {m: pw.as_dict() for m, pw in res.weights.items()},
               "WEIGHTS_BASIS": {m: pw.basis for m, pw in res.weights.items()},
               "OUTLIERS": res.rejected, "VALIDATION": res.validation}
        if res.table:
            out["OUTPUT_TABLE"] = res.table
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        if html:
            self._report(html, res)
            out["OUTPUT_HTML"] = html
        return out


def _period_reference(alg, parameters, context, grid, feedback) -> "monthly.ReferenceSamples":
    """The reference of REFERENCE_POINTS / REFERENCE_RASTER with each sample's period."""
    has_pts = parameters.get("REFERENCE_POINTS") not in (None, "")
    has_ras = parameters.get("REFERENCE_RASTER") not in (None, "")
    if has_pts == has_ras:
        raise ValueError("give exactly one reference: REFERENCE_POINTS (GNSS) or "
                         "REFERENCE_RASTER (e.g. UAV velocity, with REFERENCE_POLYGONS)")
    ref = (_points_reference if has_pts else _raster_reference)(
        alg, parameters, context, [], grid, feedback)
    undated = [str(g) for g, a, b in zip(ref.groups, ref.start, ref.end) if a is None or b is None]
    if undated:
        what = ("features " + ", ".join(sorted(set(undated))[:5]) + " have no start_date/end_date"
                if has_pts else "REFERENCE_RASTER has no START_TIME/END_TIME tags")
        raise ValueError(f"weights per month need the period of every reference sample: {what}; "
                         "import GNSS files with Import GNSS stations, or give fixed WEIGHTS")
    for n in ref.notes:
        feedback.pushWarning(n)
    n_groups = len(set(map(str, ref.groups)))
    min_groups = alg.parameterAsInt(parameters, "MIN_REFERENCE_GROUPS", context)
    if n_groups < min_groups:
        feedback.pushWarning(
            f"the reference has {n_groups} station(s)/polygon(s), fewer than "
            f"MIN_REFERENCE_GROUPS ({min_groups}): no month can fit its own weights, so they "
            "fall back to per-pixel inverse variance; give more stations or polygons, or "
            "lower MIN_REFERENCE_GROUPS")
    return monthly.ReferenceSamples(np.asarray(ref.rows), np.asarray(ref.cols), ref.ref_vx,
                                    ref.ref_vy, ref.groups, ref.start, ref.end, ref.kind)


class ValidateVelocity(GlacvelAlgorithm):
    ALG_ID = "validate_velocity"
    GROUP_ID = "products"

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
            "INPUT", self.tr("Velocity product to validate")))
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "SOURCES", self.tr("Further products to compare (e.g. the single sources)"),
            QgsProcessing.TypeRaster, optional=True))
        _add_reference_params(self)
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Validation report"), self.tr("HTML files (*.html)"),
            optional=True, createByDefault=False))

    def process(self, parameters, context, feedback):
        main = self.parameterAsRasterLayer(parameters, "INPUT", context)
        if main is None:
            raise ValueError("INPUT is not a raster layer; give a velocity product")
        paths = [main.source()]
        if parameters.get("SOURCES"):
            paths += [p for p in _source_paths(self, parameters, context) if p != main.source()]
        with open_sources(paths) as readers:
            ds = readers[0].ds
            res = abs(ds.transform.a)
            grid = TargetGrid(ds.crs, ds.transform, ds.width, ds.height)
            if abs(abs(ds.transform.e) - res) > 1e-6 * res:
                grid = target_grid([paths[0]], crs=ds.crs, resolution=res)
            ref = reference_samples(self, parameters, context, readers, grid, feedback)
        labels = []
        for i, r in enumerate(readers):
            lab = r.name if i else f"{r.name} (INPUT)"
            while lab in labels:
                lab += "'"
            labels.append(lab)
        ref_v = np.hypot(ref.ref_vx, ref.ref_vy)
        stats = {}
        for i, lab in enumerate(labels):
            v = np.hypot(ref.src_vx[i], ref.src_vy[i])
            comp = cf.difference_stats(np.concatenate([ref.src_vx[i], ref.src_vy[i]]),
                                       np.concatenate([ref.ref_vx, ref.ref_vy]))
            stats[lab] = {"speed": cf.difference_stats(v, ref_v), "components": comp}
            s = stats[lab]["speed"]
            feedback.pushInfo(f"{lab}: n={s['n']}, bias {s['mean']:+.4f}, std {s['std']:.4f}, "
                              f"RMSE {s['rmse']:.4f}, NMAD {s['nmad']:.4f} m/d (speed); "
                              f"components RMSE {comp['rmse']:.4f} m/d")
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        if html:
            self._report(html, labels, stats, ref, ref_v)
        out = {"STATS": stats, "N": stats[labels[0]]["speed"]["n"],
               "BIAS": stats[labels[0]]["speed"]["mean"], "RMSE": stats[labels[0]]["speed"]["rmse"]}
        if html:
            out["OUTPUT_HTML"] = html
        return out

    def _report(self, path, labels, stats, ref, ref_v):
        rep = HtmlReport(self.tr("Velocity validation"))
        rep.paragraph(f"Reference: {ref.kind}, {len(ref_v)} samples. Differences are product − "
                      "reference in m/d.")
        rows = []
        for lab in labels:
            for what in ("speed", "components"):
                s = stats[lab][what]
                rows.append([lab, what, s["n"], s["mean"], s["std"], s["rmse"], s["nmad"]])
        rep.table(["product", "quantity", "n", "bias (mean)", "std", "RMSE", "NMAD"], rows)
        import matplotlib.pyplot as plt  # Agg backend, set by io.report
        fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
        lim = [0, float(np.nanmax(ref_v)) * 1.2 if np.isfinite(ref_v).any() else 1]
        for i, lab in enumerate(labels):
            v = np.hypot(ref.src_vx[i], ref.src_vy[i])
            ax1.scatter(ref_v, v, s=12, label=lab)
            d = v - ref_v
            d = d[np.isfinite(d)]
            if d.size:
                ax2.hist(d, bins=min(30, max(5, d.size // 3)), alpha=0.5, label=lab)
        ax1.plot(lim, lim, "k--", lw=0.8)
        ax1.set_xlabel("reference speed (m/d)")
        ax1.set_ylabel("product speed (m/d)")
        ax1.legend(fontsize=8)
        ax2.set_xlabel("speed difference (m/d)")
        ax2.set_ylabel("samples")
        rep.figure(fig, "scatter and histogram of the differences")
        for n in ref.notes:
            rep.paragraph(n, "note")
        rep.save(path)


ALGORITHMS = [FitFusionWeights, FuseVelocity, MonthlyVelocity, ValidateVelocity]
