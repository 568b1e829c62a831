"""Glacier analysis: velocity along flowlines and per-glacier statistics.

``glacvel:flowline_profile`` samples velocity products (e.g. the twelve monthly
``YYYYMM.tif``) at fixed spacing along centre flowlines; ``glacvel:glacier_statistics``
summarises speed inside glacier outlines. The numbers come from
:mod:`glacvel_plugin.core.profiles`; the products are opened and read through
:mod:`glacvel_plugin.io.info`; this module brings the vectors into each product's CRS
and writes the outputs.
"""
from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List

import numpy as np
from qgis.core import (QgsFeature, QgsFeatureRequest, QgsFeatureSink, QgsField, QgsFields,
                       QgsGeometry, QgsPointXY, QgsProcessing, QgsProcessingParameterNumber,
                       QgsProcessingParameterEnum, QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterMultipleLayers, QgsWkbTypes)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QVariant

from ..core import profiles
from ..i18n import translate
from ..io.files import atomic_write_text
from ..io.info import (ProductInfo, geometry_bounds, geometry_inside, open_product_info,
                       pixel_window, read_bands, transform_points, unclipped_box, window_for,
                       window_transform)
from ..io.report import HtmlReport, new_figure
from .base import GlacvelAlgorithm, check_canceled
from .vector import check_geometry_type, qgs_crs

PROFILE_BANDS = ("v", "vx", "vy", "v_error")
"""Bands sampled along flowlines (``v_error`` when the product has it)."""

_MONTH_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(?!\d)")


# ---------------------------------------------------------------------------------------
# products


def product_label(path: str, start=None, end=None) -> str:
    """Label of a product: ``YYYYMM`` from its file name (``201803.tif``,
    ``kaskawulsh_201803_fused.tif``), else the month of the middle of its
    ``START_TIME``–``END_TIME`` interval, else the file name without extension."""
    stem = os.path.splitext(os.path.basename(path))[0]
    m = _MONTH_IN_NAME.search(stem)
    if m:
        return m.group(1) + m.group(2)
    if start is not None and end is not None:
        mid = start + (end - start) / 2
        return mid.strftime("%Y%m")
    return stem


def assign_labels(infos: List[ProductInfo]):
    """Give every product a unique label (month, else dates, else file name)."""
    labels = [product_label(p.path, p.start, p.end) for p in infos]
    for i, p in enumerate(infos):
        if labels.count(labels[i]) > 1:
            if p.start is not None and p.end is not None:
                labels[i] = f"{p.start:%Y%m%d}-{p.end:%Y%m%d}"
            else:
                labels[i] = os.path.splitext(p.name)[0]
    seen = {}
    for i, p in enumerate(infos):
        base = labels[i]
        n = seen.get(base, 0) + 1
        seen[base] = n
        p.label = base if n == 1 else f"{base}_{n}"


def product_infos(alg, parameters, context) -> List[ProductInfo]:
    """The INPUT products, opened and labelled; ``ValueError`` if none."""
    layers = alg.parameterAsLayerList(parameters, "INPUT", context) or []
    paths = [lyr.source() for lyr in layers]
    if not paths:
        raise ValueError(translate("GlacvelMessages",
                                   "INPUT has no velocity product; give one or more glacvel "
                                   "products (e.g. the monthly YYYYMM.tif files)"))
    infos = [open_product_info(p) for p in paths]
    assign_labels(infos)
    return infos


def features_in_crs(source, crs, context, kind, label, id_field=""):
    """``[(feature id, line/glacier id, GeoJSON geometry or None)]`` in ``crs``.

    Like :func:`vector.source_features` but keeps the feature id (the outputs join
    back to the input features) and features with empty geometry (as None).
    """
    check_geometry_type(source, kind, label)
    request = QgsFeatureRequest()
    request.setDestinationCrs(qgs_crs(crs), context.transformContext())
    out = []
    for f in source.getFeatures(request):
        g = f.geometry()
        ident = f[id_field] if id_field else f.id()
        ident = str(f.id()) if ident is None or str(ident) == "NULL" else str(ident)
        geom = None if g is None or g.isEmpty() else json.loads(g.asJson())
        out.append((f.id(), ident, geom))
    return out


def line_parts(geom) -> list:
    """Coordinate lists of the parts of a GeoJSON (Multi)LineString."""
    if geom is None:
        return []
    if geom["type"] == "LineString":
        return [geom["coordinates"]]
    if geom["type"] == "MultiLineString":
        return [p for p in geom["coordinates"] if len(p)]
    if geom["type"] == "GeometryCollection":
        return [p for g in geom["geometries"] for p in line_parts(g)]
    return []


def _num(x):
    """A float for an attribute, or None (NULL) for NaN."""
    return None if x is None or not np.isfinite(x) else float(x)


def _check_not_input(path: str, infos, parameter: str):
    if path and any(os.path.abspath(path) == os.path.abspath(p.path) for p in infos):
        raise ValueError(translate("GlacvelMessages",
                                   "{} {} is one of the inputs; choose another file name")
                         .format(parameter, path))


# ---------------------------------------------------------------------------------------
# flowline profiles


@dataclass
class LineProfile:
    """Samples of all products along one line (arrays over the points)."""
    fid: int
    line_id: str
    points: profiles.ProfilePoints
    values: Dict[str, Dict[str, np.ndarray]] = field(default_factory=dict)  # label -> band -> (n,)
    inside: Dict[str, np.ndarray] = field(default_factory=dict)             # label -> bool (n,)


GAP_KINDS = (QT_TRANSLATE_NOOP("FlowlineProfile", "outside the product"),
             QT_TRANSLATE_NOOP("FlowlineProfile", "no data"))
"""Why a run of profile points has no value (table column, translated in the log)."""


class FlowlineProfile(GlacvelAlgorithm):
    """``glacvel:flowline_profile`` — velocity along flowlines for one or more products."""

    ALG_ID = "flowline_profile"
    GROUP_ID = "products"

    METHODS = ("bilinear", "nearest")

    def displayName(self):
        return self.tr("Flowline velocity profiles")

    def shortHelpString(self):
        return self.tr(
            "Samples velocity products (e.g. the twelve monthly YYYYMM.tif) at points every "
            "SPACING metres along glacier flowlines (RGI 7.0 centerlines or lines you draw, "
            "digitised from upstream to the terminus), and reports speed v, vx, vy and v_error "
            "(m/d) against distance from the line start.\n\n"
            "Products are labelled by the month in their file name (YYYYMM), else by the middle "
            "of their START_TIME–END_TIME tags. Lines are moved into the first product's CRS "
            "(any layer CRS works); the same points are sampled in every product, transformed "
            "to its CRS when it differs. SPACING defaults to the first product's pixel size.\n\n"
            "Where a line crosses no data the values are NULL, never zero; these gaps are listed "
            "in the log and the report. Multi-part lines keep one distance axis (parts in "
            "order, the jumps between parts not counted) and a 'part' number.\n\n"
            "Outputs: a point layer (one point per line, distance and product), a CSV with the "
            "same columns plus x, y, and an HTML report with a speed–distance plot per line "
            "(one curve per product, ±v_error shaded when present).")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "INPUT", self.tr("Velocity products (e.g. monthly YYYYMM.tif)"),
            QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "FLOWLINES", self.tr("Flowlines (line layer, drawn upstream → terminus)"),
            [QgsProcessing.TypeVectorLine]))
        self.addParameter(QgsProcessingParameterField(
            "LINE_ID_FIELD", self.tr("Line id field (default: feature id)"),
            parentLayerParameterName="FLOWLINES", optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "SPACING", self.tr("Point spacing in metres (0 = the first product's pixel size)"),
            QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0, optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "METHOD", self.tr("Sampling"), options=[self.tr("Bilinear"), self.tr("Nearest pixel")],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Profile points"), QgsProcessing.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_CSV", self.tr("Profile table (CSV)"), self.tr("CSV files (*.csv)"),
            optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_REPORT", self.tr("Profile report (HTML)"), self.tr("HTML files (*.html)"),
            optional=True, createByDefault=False))

    # -- steps ---------------------------------------------------------------------------
    def _lines(self, parameters, context, ref, spacing):
        source = self.parameterAsSource(parameters, "FLOWLINES", context)
        if source is None:
            raise ValueError(self.tr(
                "FLOWLINES is missing; give a line layer of glacier flowlines"))
        id_field = self.parameterAsString(parameters, "LINE_ID_FIELD", context) or ""
        feats = features_in_crs(source, ref.crs, context, "line", "FLOWLINES", id_field)
        lines = []
        for fid, ident, geom in feats:
            parts = line_parts(geom)
            if not parts:
                continue
            lines.append(LineProfile(fid, ident, profiles.points_along(parts, spacing)))
        if not lines:
            raise ValueError(self.tr(
                "FLOWLINES has no line with a geometry; draw or choose flowlines"))
        return lines

    def _sample(self, info, ref, lines, method):
        """Sample one product along every line (values NaN outside it / in no data)."""
        xs = np.concatenate([ln.points.x for ln in lines])
        ys = np.concatenate([ln.points.y for ln in lines])
        if info.crs != ref.crs:
            xs, ys = transform_points(ref.crs, info.crs, xs, ys)
        col, row = profiles.map_to_pixel(tuple(info.transform)[:6], xs, ys)
        rows, cols = info.shape
        inside = (col >= 0) & (col <= cols) & (row >= 0) & (row <= rows)
        wanted = [b for b in PROFILE_BANDS if b in info.bands or b == "v"]
        values = {b: np.full(xs.shape, np.nan) for b in wanted}
        if inside.any():
            win = window_for(info, xs[inside].min(), ys[inside].min(), xs[inside].max(),
                             ys[inside].max())
            if win is not None:
                bands = read_bands(info, wanted, win)
                t = window_transform(win, info.transform)
                values = profiles.sample_grid(bands, tuple(t)[:6], xs, ys, method)
                for b in values:
                    values[b][~inside] = np.nan
        start = 0
        for ln in lines:
            n = len(ln.points)
            ln.values[info.label] = {b: a[start:start + n] for b, a in values.items()}
            ln.inside[info.label] = inside[start:start + n]
            start += n

    def process(self, parameters, context, feedback):
        infos = product_infos(self, parameters, context)
        ref = infos[0]
        spacing = self.parameterAsDouble(parameters, "SPACING", context)
        if not spacing or spacing <= 0:
            spacing = ref.resolution
        method = self.METHODS[self.parameterAsEnum(parameters, "METHOD", context)]
        csv_path = self.parameterAsFileOutput(parameters, "OUTPUT_CSV", context)
        report_path = self.parameterAsFileOutput(parameters, "OUTPUT_REPORT", context)
        _check_not_input(csv_path, infos, "OUTPUT_CSV")
        _check_not_input(report_path, infos, "OUTPUT_REPORT")
        for p in infos:
            for note in p.notes:
                feedback.pushInfo(note)

        lines = self._lines(parameters, context, ref, spacing)
        feedback.pushInfo(self.tr(
            "{} line(s), {} points every {} m ({}), {} product(s), {} sampling").format(
                len(lines), sum(len(ln.points) for ln in lines), f"{spacing:g}",
                ref.crs.to_string(), len(infos), method))
        for k, info in enumerate(infos):
            check_canceled(feedback)
            self._sample(info, ref, lines, method)
            feedback.setProgress(80.0 * (k + 1) / len(infos))

        # lines outside every product: an error when none crosses any product
        crossing = [ln for ln in lines if any(a.any() for a in ln.inside.values())]
        if not crossing:
            raise ValueError(self.tr(
                "none of the FLOWLINES crosses any INPUT product (products: {}); check that "
                "the lines lie over the velocity maps (layer CRS, extent)").format(
                    ", ".join(p.name for p in infos)))
        for ln in lines:
            if ln not in crossing:
                feedback.pushWarning(self.tr(
                    "line {} lies outside every product; its values are NULL").format(
                        ln.line_id))

        gaps = self._report_gaps(lines, infos, feedback)
        has_error = any("v_error" in p.bands for p in infos)
        check_canceled(feedback)
        fields = QgsFields()
        for name, typ in (("line_id", QVariant.String), ("part", QVariant.Int),
                          ("distance", QVariant.Double), ("label", QVariant.String),
                          ("month", QVariant.String),
                          ("start", QVariant.String), ("end", QVariant.String),
                          ("v", QVariant.Double), ("vx", QVariant.Double),
                          ("vy", QVariant.Double)) + ((("v_error", QVariant.Double),)
                                                      if has_error else ()):
            fields.append(QgsField(name, typ))
        sink, dest = self.parameterAsSink(parameters, "OUTPUT", context, fields,
                                          QgsWkbTypes.Point, qgs_crs(ref.crs))
        if sink is None:
            raise ValueError(self.tr(
                "cannot create the OUTPUT point layer; choose another destination"))
        rows = list(self._rows(lines, infos, has_error))
        for r in rows:
            f = QgsFeature(fields)
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(r["x"], r["y"])))
            f.setAttributes([r[n] for n in fields.names()])
            sink.addFeature(f, QgsFeatureSink.FastInsert)
        results = {"OUTPUT": dest}
        if csv_path:
            names = fields.names() + ["x", "y"]

            def write(fh):
                w = csv.writer(fh)
                w.writerow(names)
                for r in rows:
                    w.writerow(["" if r[n] is None else
                                (f"{r[n]:.6g}" if isinstance(r[n], float) and n not in ("x", "y")
                                 else (f"{r[n]:.2f}" if n in ("x", "y") else r[n]))
                                for n in names])
            atomic_write_text(csv_path, write, newline="")
            results["OUTPUT_CSV"] = csv_path
        if report_path:
            self._report(report_path, lines, infos, gaps, spacing, method, has_error)
            results["OUTPUT_REPORT"] = report_path
        feedback.setProgress(100.0)
        return results

    @staticmethod
    def _rows(lines, infos, has_error):
        for ln in lines:
            p = ln.points
            for info in infos:
                vals = ln.values[info.label]
                for i in range(len(p)):
                    r = {"line_id": ln.line_id, "part": int(p.part[i]),
                         "distance": float(p.distance[i]), "label": info.label,
                         "month": info.month,
                         "start": f"{info.start:%Y-%m-%dT%H:%M:%SZ}" if info.start else None,
                         "end": f"{info.end:%Y-%m-%dT%H:%M:%SZ}" if info.end else None,
                         "x": float(p.x[i]), "y": float(p.y[i])}
                    for b in ("v", "vx", "vy") + (("v_error",) if has_error else ()):
                        a = vals.get(b)
                        r[b] = _num(a[i]) if a is not None else None
                    yield r

    def _report_gaps(self, lines, infos, feedback):
        """Log the runs of missing speed per line and product; returns table rows."""
        rows = []
        for ln in lines:
            for info in infos:
                inside = ln.inside[info.label]
                if not inside.any():
                    continue
                v = ln.values[info.label]["v"]
                for g in profiles.find_gaps(v, ln.points.distance):
                    where = "outside the product" if not inside[g.first:g.last + 1].any() \
                        else "no data"
                    rows.append((ln.line_id, info.label, round(g.start / 1000.0, 3),
                                 round(g.end / 1000.0, 3), g.samples, where))
                n_gap = sum(1 for r in rows if r[0] == ln.line_id and r[1] == info.label)
                if n_gap:
                    missing = int(np.count_nonzero(~np.isfinite(v)))
                    runs = "; ".join(
                        f"{r[2]:.2f}–{r[3]:.2f} km ({self.tr(r[5])})"
                        for r in rows if r[0] == ln.line_id and r[1] == info.label)
                    feedback.pushInfo(self.tr(
                        "line {}, {}: {} gap(s), {} of {} points without data (values NULL): "
                        "{}").format(ln.line_id, info.label, n_gap, missing, len(v), runs))
        return rows

    def _report(self, path, lines, infos, gaps, spacing, method, has_error):
        rep = HtmlReport("glacvel flowline velocity profiles")
        rep.paragraph(f"{len(infos)} product(s), {len(lines)} line(s); points every {spacing:g} m "
                      f"along each line in {infos[0].crs.to_string()}, {method} sampling. "
                      "Speed v in m/d; gaps (no data) are left empty, never zero-filled.")
        rep.table(["product", "file", "start", "end"],
                  [(p.label, p.name, f"{p.start:%Y-%m-%d}" if p.start else "",
                    f"{p.end:%Y-%m-%d}" if p.end else "") for p in infos])
        import matplotlib.cm as cm
        colours = cm.viridis(np.linspace(0.0, 0.9, max(len(infos), 1)))
        summary = []
        for ln in lines:
            rep.heading(f"Line {ln.line_id}")
            fig, ax = new_figure(8.0, 4.0)
            d_km = ln.points.distance / 1000.0
            for c, info in zip(colours, infos):
                vals = ln.values[info.label]
                v = vals["v"]
                ax.plot(d_km, v, color=c, lw=1.2, label=info.label)
                if "v_error" in vals:
                    e = vals["v_error"]
                    ax.fill_between(d_km, v - e, v + e, color=c, alpha=0.2, lw=0)
                s = profiles.profile_summary(v, ln.points.distance)
                summary.append((ln.line_id, info.label, s["mean"], s["max"],
                                s["max_at"] / 1000.0, 100.0 * s["valid"]))
            ax.set_xlabel("distance along flowline (km)")
            ax.set_ylabel("speed v (m/d)")
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7, ncol=max(1, min(len(infos), 6)))
            rep.figure(fig, alt=f"speed against distance, line {ln.line_id}")
        rep.heading("Summary")
        rep.table(["line", "product", "mean v (m/d)", "max v (m/d)", "max at (km)",
                   "valid points (%)"], summary)
        rep.heading("Gaps (no data along the line)")
        if gaps:
            rep.table(["line", "product", "from (km)", "to (km)", "points", "cause"], gaps)
        else:
            rep.paragraph("No gaps: every point has a value in every product.")
        rep.save(path)


# ---------------------------------------------------------------------------------------
# glacier statistics


STAT_SUFFIXES = ("mean", "median", "p95", "count", "cover")


def stat_field_prefix(label: str) -> str:
    """Field prefix of a product label: ``v`` + label with non-alphanumerics as ``_``."""
    return "v" + re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_") + "_"


class GlacierStatistics(GlacvelAlgorithm):
    """``glacvel:glacier_statistics`` — per-glacier speed statistics for each product."""

    ALG_ID = "glacier_statistics"
    GROUP_ID = "products"

    def displayName(self):
        return self.tr("Glacier velocity statistics")

    def shortHelpString(self):
        return self.tr(
            "Per glacier outline (e.g. RGI) and per velocity product: mean, median and 95th "
            "percentile (the robust maximum) of speed v in m/d over the pixels whose centre "
            "lies inside the outline, the count of valid pixels and the coverage of the "
            "outline (valid pixels / pixel centres inside the whole outline, also where the "
            "product has no footprint; NULL for an outline entirely off the product). Outlines are moved into each product's CRS; "
            "overlapping outlines each get all their pixels; multi-part outlines count as one "
            "glacier.\n\nThe output is the outline layer with its attributes plus five fields "
            "per product, named v<label>_mean, _median, _p95, _count, _cover, where <label> is "
            "the month YYYYMM from the file name or the START/END tags. Glaciers without a "
            "valid pixel get NULL statistics and count 0.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "INPUT", self.tr("Velocity products (e.g. monthly YYYYMM.tif)"),
            QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "GLACIERS", self.tr("Glacier outlines (polygon layer)"),
            [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterFeatureSink(
            "OUTPUT", self.tr("Glacier statistics"), QgsProcessing.TypeVectorPolygon))

    def _product_stats(self, info, source, context):
        """fid -> ZoneStats for one product."""
        feats = features_in_crs(source, info.crs, context, "polygon", "GLACIERS")
        out = {}
        geoms = [(fid, g) for fid, _, g in feats if g is not None]
        if not geoms:
            return out, False
        bounds = [geometry_bounds(g) for _, g in geoms]
        box = (min(b[0] for b in bounds), min(b[1] for b in bounds),
               max(b[2] for b in bounds), max(b[3] for b in bounds))
        win = window_for(info, *box, margin=1)
        if win is None:
            return out, False
        v = read_bands(info, ["v"], win)["v"]
        rows, cols = info.shape
        wr0, wc0 = int(win.row_off), int(win.col_off)
        any_inside = False
        for (fid, g), b in zip(geoms, bounds):
            # the outline's box on the product's grid, NOT clipped to the raster: pixel
            # centres of the outline outside the product's footprint count as not covered
            c0, r0, c1, r1 = unclipped_box(b, info.transform)
            if c1 <= 0 or r1 <= 0 or c0 >= cols or r0 >= rows:
                out[fid] = profiles.ZoneStats(1, np.nan, np.nan, np.nan, 0, 0, np.nan)
                continue
            sub_t = window_transform(pixel_window(c0, r0, c1 - c0, r1 - r0), info.transform)
            mask = geometry_inside(g, (r1 - r0, c1 - c0), sub_t)
            sub = np.full((r1 - r0, c1 - c0), np.nan, dtype=np.float32)
            inside = np.zeros(sub.shape, dtype=bool)
            a0, a1 = max(r0, wr0), min(r1, wr0 + v.shape[0])
            b0, b1 = max(c0, wc0), min(c1, wc0 + v.shape[1])
            if a1 > a0 and b1 > b0:
                sub[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = v[a0 - wr0:a1 - wr0, b0 - wc0:b1 - wc0]
                inside[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = True
            if not (mask & inside).any():
                out[fid] = profiles.ZoneStats(1, np.nan, np.nan, np.nan, 0, 0, np.nan)
                continue
            st = profiles.zonal_statistics(sub, mask.astype(np.int32), 1)[0]
            any_inside = True
            out[fid] = st
        return out, any_inside

    def process(self, parameters, context, feedback):
        infos = product_infos(self, parameters, context)
        source = self.parameterAsSource(parameters, "GLACIERS", context)
        if source is None:
            raise ValueError(self.tr(
                "GLACIERS is missing; give a polygon layer of glacier outlines"))
        check_geometry_type(source, "polygon", "GLACIERS")
        for p in infos:
            for note in p.notes:
                feedback.pushInfo(note)
        fields = QgsFields(source.fields())
        existing = set(fields.names())
        for info in infos:
            prefix = stat_field_prefix(info.label)
            for s in STAT_SUFFIXES:
                name = prefix + s
                if name in existing:
                    raise ValueError(self.tr(
                        "GLACIERS already has a field '{}'; rename it or remove it before "
                        "adding the statistics").format(name))
                fields.append(QgsField(name, QVariant.Int if s == "count" else QVariant.Double))
        stats = {}
        any_inside = False
        for k, info in enumerate(infos):
            check_canceled(feedback)
            stats[info.label], inside = self._product_stats(info, source, context)
            any_inside |= inside
            valid = [s for s in stats[info.label].values() if s.count > 0]
            cover = (self.tr(", median coverage {:.2f}").format(
                np.median([s.coverage for s in valid])) if valid else "")
            feedback.pushInfo(self.tr("{} ({}): {} of {} glacier(s) with valid pixels{}").format(
                info.label, info.name, len(valid), len(stats[info.label]), cover))
            feedback.setProgress(90.0 * (k + 1) / len(infos))
        if not any_inside:
            raise ValueError(self.tr(
                "no GLACIERS outline overlaps any pixel of the INPUT products (products: {}); "
                "check that the outlines lie over the velocity maps (layer CRS, extent)")
                .format(", ".join(p.name for p in infos)))
        sink, dest = self.parameterAsSink(parameters, "OUTPUT", context, fields,
                                          source.wkbType(), source.sourceCrs())
        if sink is None:
            raise ValueError(self.tr("cannot create the OUTPUT layer; choose another destination"))
        for f in source.getFeatures():
            check_canceled(feedback)
            attrs = list(f.attributes())
            for info in infos:
                st = stats[info.label].get(f.id())
                if st is None:
                    attrs += [None, None, None, 0, None]
                else:
                    attrs += [_num(st.mean), _num(st.median), _num(st.p95), int(st.count),
                              _num(st.coverage)]
            out = QgsFeature(fields)
            out.setGeometry(f.geometry())
            out.setAttributes(attrs)
            sink.addFeature(out, QgsFeatureSink.FastInsert)
        feedback.setProgress(100.0)
        return {"OUTPUT": dest}


ALGORITHMS = [FlowlineProfile, GlacierStatistics]
