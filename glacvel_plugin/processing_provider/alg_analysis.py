"""Glacier analysis: velocity along flowlines and per-glacier statistics.

``glacvel:flowline_profile`` samples velocity products (e.g. the twelve monthly
``YYYYMM.tif``) at fixed spacing along centre flowlines; ``glacvel:glacier_statistics``
summarises speed inside glacier outlines. This module reads the parameters, brings
the vectors into each product's CRS (QGIS) and writes the output layers; labelling,
sampling, statistics, the CSV and the report are in :mod:`glacvel_plugin.io.analysis`
(numbers from :mod:`glacvel_plugin.core.profiles`).
"""
from __future__ import annotations

import json
from typing import List

import numpy as np
from qgis.core import (QgsFeature, QgsFeatureRequest, QgsFeatureSink, QgsField, QgsFields,
                       QgsGeometry, QgsPointXY, QgsProcessing, QgsProcessingParameterNumber,
                       QgsProcessingParameterEnum, QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterMultipleLayers, QgsWkbTypes)
from qgis.PyQt.QtCore import QVariant

from ..core import profiles
from ..i18n import translate
from ..io import analysis
from ..io.analysis import STAT_SUFFIXES, stat_field_prefix
from ..io.info import ProductInfo
from .base import GlacvelAlgorithm, check_canceled
from .vector import check_geometry_type, qgs_crs


def product_infos(alg, parameters, context) -> List[ProductInfo]:
    """The INPUT products, opened and labelled; ``ValueError`` if none."""
    layers = alg.parameterAsLayerList(parameters, alg.INPUT, context) or []
    paths = [lyr.source() for lyr in layers]
    if not paths:
        raise ValueError(translate("GlacvelMessages",
                                   "INPUT has no velocity product; give one or more glacvel "
                                   "products (e.g. the monthly YYYYMM.tif files)"))
    return analysis.open_products(paths)


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


class FlowlineProfile(GlacvelAlgorithm):
    """``glacvel:flowline_profile`` — velocity along flowlines for one or more products."""

    ALG_ID = "flowline_profile"
    GROUP_ID = "products"

    # parameter and output keys
    INPUT = "INPUT"
    FLOWLINES = "FLOWLINES"
    LINE_ID_FIELD = "LINE_ID_FIELD"
    SPACING = "SPACING"
    METHOD = "METHOD"
    OUTPUT = "OUTPUT"
    OUTPUT_CSV = "OUTPUT_CSV"
    OUTPUT_REPORT = "OUTPUT_REPORT"

    METHODS = profiles.SAMPLING_METHODS

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
            self.INPUT, self.tr("Velocity products (e.g. monthly YYYYMM.tif)"),
            QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.FLOWLINES, self.tr("Flowlines (line layer, drawn upstream → terminus)"),
            [QgsProcessing.TypeVectorLine]))
        self.addParameter(QgsProcessingParameterField(
            self.LINE_ID_FIELD, self.tr("Line id field (default: feature id)"),
            parentLayerParameterName=self.FLOWLINES, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            self.SPACING, self.tr("Point spacing in metres (0 = the first product's pixel size)"),
            QgsProcessingParameterNumber.Double, defaultValue=0.0, minValue=0.0, optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            self.METHOD, self.tr("Sampling"),
            options=[self.tr("Bilinear"), self.tr("Nearest pixel")], defaultValue=0))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Profile points"), QgsProcessing.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_CSV, self.tr("Profile table (CSV)"), self.tr("CSV files (*.csv)"),
            optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination(
            self.OUTPUT_REPORT, self.tr("Profile report (HTML)"), self.tr("HTML files (*.html)"),
            optional=True, createByDefault=False))

    # -- steps ---------------------------------------------------------------------------
    def _lines(self, parameters, context, ref, spacing):
        source = self.parameterAsSource(parameters, self.FLOWLINES, context)
        if source is None:
            raise ValueError(self.tr(
                "FLOWLINES is missing; give a line layer of glacier flowlines"))
        id_field = self.parameterAsString(parameters, self.LINE_ID_FIELD, context) or ""
        feats = features_in_crs(source, ref.crs, context, "line", self.FLOWLINES, id_field)
        return analysis.profile_lines(feats, spacing)

    def process(self, parameters, context, feedback):
        infos = product_infos(self, parameters, context)
        ref = infos[0]
        spacing = self.parameterAsDouble(parameters, self.SPACING, context)
        if not spacing or spacing <= 0:
            spacing = ref.resolution
        method = self.METHODS[self.parameterAsEnum(parameters, self.METHOD, context)]
        csv_path = self.parameterAsFileOutput(parameters, self.OUTPUT_CSV, context)
        report_path = self.parameterAsFileOutput(parameters, self.OUTPUT_REPORT, context)
        analysis.check_not_input(csv_path, infos, self.OUTPUT_CSV)
        analysis.check_not_input(report_path, infos, self.OUTPUT_REPORT)
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
            analysis.sample_profiles(info, ref, lines, method)
            feedback.setProgress(80.0 * (k + 1) / len(infos))

        # lines outside every product: an error when none crosses any product
        for ln in analysis.lines_outside(lines, infos):
            feedback.pushWarning(self.tr(
                "line {} lies outside every product; its values are NULL").format(ln.line_id))

        gaps, messages = analysis.profile_gaps(lines, infos)
        for m in messages:
            feedback.pushInfo(m)
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
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields,
                                          QgsWkbTypes.Point, qgs_crs(ref.crs))
        if sink is None:
            raise ValueError(self.tr(
                "cannot create the OUTPUT point layer; choose another destination"))
        rows = list(analysis.profile_rows(lines, infos, has_error))
        for r in rows:
            f = QgsFeature(fields)
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(r["x"], r["y"])))
            f.setAttributes([r[n] for n in fields.names()])
            sink.addFeature(f, QgsFeatureSink.FastInsert)
        results = {self.OUTPUT: dest}
        if csv_path:
            analysis.write_profile_csv(csv_path, fields.names() + ["x", "y"], rows)
            results[self.OUTPUT_CSV] = csv_path
        if report_path:
            analysis.profile_report(report_path, lines, infos, gaps, spacing, method, has_error)
            results[self.OUTPUT_REPORT] = report_path
        feedback.setProgress(100.0)
        return results


# ---------------------------------------------------------------------------------------
# glacier statistics


class GlacierStatistics(GlacvelAlgorithm):
    """``glacvel:glacier_statistics`` — per-glacier speed statistics for each product."""

    ALG_ID = "glacier_statistics"
    GROUP_ID = "products"

    # parameter and output keys
    INPUT = "INPUT"
    GLACIERS = "GLACIERS"
    OUTPUT = "OUTPUT"

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
            self.INPUT, self.tr("Velocity products (e.g. monthly YYYYMM.tif)"),
            QgsProcessing.TypeRaster))
        self.addParameter(QgsProcessingParameterFeatureSource(
            self.GLACIERS, self.tr("Glacier outlines (polygon layer)"),
            [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("Glacier statistics"), QgsProcessing.TypeVectorPolygon))

    def _product_stats(self, info, source, context):
        """fid -> ZoneStats for one product, and whether any outline overlaps it."""
        feats = features_in_crs(source, info.crs, context, "polygon", self.GLACIERS)
        return analysis.glacier_statistics(info, feats)

    def process(self, parameters, context, feedback):
        infos = product_infos(self, parameters, context)
        source = self.parameterAsSource(parameters, self.GLACIERS, context)
        if source is None:
            raise ValueError(self.tr(
                "GLACIERS is missing; give a polygon layer of glacier outlines"))
        check_geometry_type(source, "polygon", self.GLACIERS)
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
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields,
                                          source.wkbType(), source.sourceCrs())
        if sink is None:
            raise ValueError(self.tr("cannot create the OUTPUT layer; choose another destination"))
        for f in source.getFeatures():
            check_canceled(feedback)
            attrs = list(f.attributes())
            for info in infos:
                attrs += analysis.statistics_attributes(stats[info.label].get(f.id()))
            out = QgsFeature(fields)
            out.setGeometry(f.geometry())
            out.setAttributes(attrs)
            sink.addFeature(out, QgsFeatureSink.FastInsert)
        feedback.setProgress(100.0)
        return {self.OUTPUT: dest}


ALGORITHMS = [FlowlineProfile, GlacierStatistics]
