"""``glacvel:import_gnss``: GNSS station files → the reference point layer of the fusion.

The files are read by :mod:`glacvel_plugin.io.gnss` (no QGIS); this module only
turns the records into point features with the fields that
``glacvel:fit_fusion_weights``, ``glacvel:validate_velocity`` and
``glacvel:monthly_velocity`` take (``vx``, ``vy`` in m/d, ``start_date``,
``end_date``, ``start_x`` … ``end_y``, ``station``).
"""
from qgis.core import (QgsCoordinateReferenceSystem, QgsFeature, QgsFeatureSink, QgsField, QgsFields, QgsGeometry,
                       QgsPointXY, QgsProcessing, QgsProcessingOutputNumber,
                       QgsProcessingParameterCrs, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSink,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterString,
                       QgsWkbTypes)
from qgis.PyQt.QtCore import QDateTime, QVariant, Qt

from ..io.gnss import LAYOUTS, parse_columns, read_gnss_files
from .base import GlacvelAlgorithm, check_canceled

LAYOUT_KEYS = list(LAYOUTS)
FIELDS = (("station", QVariant.String), ("start_date", QVariant.DateTime),
          ("end_date", QVariant.DateTime), ("days", QVariant.Double),
          ("vx", QVariant.Double), ("vy", QVariant.Double), ("v", QVariant.Double),
          ("start_x", QVariant.Double), ("start_y", QVariant.Double),
          ("end_x", QVariant.Double), ("end_y", QVariant.Double),
          ("file", QVariant.String), ("line", QVariant.Int))


def _qdt(t):
    q = QDateTime(t.year, t.month, t.day, t.hour, t.minute, t.second)
    q.setTimeSpec(Qt.UTC)
    return q


class ImportGnss(GlacvelAlgorithm):
    ALG_ID = "import_gnss"
    GROUP_ID = "products"

    # parameter and output keys
    INPUT = "INPUT"
    LAYOUT = "LAYOUT"
    COLUMNS = "COLUMNS"
    DELIMITER = "DELIMITER"
    CRS = "CRS"
    OUTPUT = "OUTPUT"
    N_STATIONS = "N_STATIONS"
    N_SKIPPED = "N_SKIPPED"

    def displayName(self):
        return self.tr("Import GNSS stations")

    def shortHelpString(self):
        return self.tr(
            "Reads GNSS station files (CSV with a header row) into the point layer that Fit "
            "fusion weights, Validate velocity and Monthly velocity take as REFERENCE_POINTS. "
            "Every row is one station observed at two dates: positions at a start and an end "
            "date give the velocity (end − start)/Δt in m/d at the midpoint, or a location "
            "with a velocity in m/d is given directly. LAYOUT: 'kaskawulsh' (the GLAFT *_GPS "
            "files: date1 is the later date, start_easting/start_northing the position at "
            "date1), 'positions' (station, start_date, end_date, start_x, start_y, end_x, "
            "end_y) or 'velocity' (station, start_date, end_date, x, y, vx, vy). COLUMNS "
            "renames columns of the layout, e.g. 'station=id,start_x=e0'. Rows of a station "
            "not observed on one of the dates are skipped and counted; text in a numeric "
            "column, a missing column or an end date not after the start date stop with the "
            "file, line and column named. CRS: the coordinate system of the positions "
            "(projected, metres; default EPSG:32607 for the kaskawulsh layout).")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            self.INPUT, self.tr("GNSS files (CSV)"), QgsProcessing.TypeFile))
        self.addParameter(QgsProcessingParameterEnum(
            self.LAYOUT, self.tr("Layout"), LAYOUT_KEYS, defaultValue=0))
        self.addParameter(QgsProcessingParameterString(
            self.COLUMNS, self.tr("Column names (ROLE=COLUMN, overriding the layout)"),
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            self.DELIMITER, self.tr("Field separator"), ","))
        self.addParameter(QgsProcessingParameterCrs(
            self.CRS, self.tr("CRS of the positions (projected, metres; empty: EPSG:32607 for the "
                           "kaskawulsh layout)"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            self.OUTPUT, self.tr("GNSS stations"), QgsProcessing.TypeVectorPoint))
        self.addOutput(QgsProcessingOutputNumber(self.N_STATIONS, self.tr("Station velocities")))
        self.addOutput(QgsProcessingOutputNumber(self.N_SKIPPED, self.tr("Rows without data")))

    def process(self, parameters, context, feedback):
        paths = parameters.get(self.INPUT) or []
        if isinstance(paths, str):
            paths = [p for p in paths.split(";") if p]
        paths = [p.source() if hasattr(p, "source") else str(p) for p in paths]
        if not paths:
            raise ValueError(self.tr("INPUT is empty; give one or more GNSS CSV files"))
        layout = LAYOUT_KEYS[self.parameterAsEnum(parameters, self.LAYOUT, context)]
        columns = parse_columns(self.parameterAsString(parameters, self.COLUMNS, context), layout)
        delim = self.parameterAsString(parameters, self.DELIMITER, context) or ","
        delim = "\t" if delim in ("\\t", "tab") else delim
        crs = self.parameterAsCrs(parameters, self.CRS, context)
        if not crs.isValid() and parameters.get(self.CRS) in (None, "") and layout == "kaskawulsh":
            crs = QgsCoordinateReferenceSystem("EPSG:32607")   # UTM 7N of the GLAFT files
        if not crs.isValid():
            raise ValueError(self.tr(
                "CRS is not valid; give the CRS of the positions (e.g. EPSG:32607)"))
        if crs.isGeographic():
            raise ValueError(self.tr(
                "CRS {} is geographic (degrees); GNSS positions must be projected coordinates "
                "in metres (e.g. UTM), or use the 'velocity' layout with vx, vy in m/d")
                .format(crs.authid()))
        records, skipped = read_gnss_files(paths, columns, delim)
        fields = QgsFields()
        for name, typ in FIELDS:
            fields.append(QgsField(name, typ))
        sink, dest = self.parameterAsSink(parameters, self.OUTPUT, context, fields,
                                          QgsWkbTypes.Point, crs)
        for rec in records:
            check_canceled(feedback)
            f = QgsFeature(fields)
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(rec.x, rec.y)))
            f.setAttributes([rec.station, _qdt(rec.start), _qdt(rec.end), rec.days, rec.vx,
                             rec.vy, (rec.vx ** 2 + rec.vy ** 2) ** 0.5, rec.start_x,
                             rec.start_y, rec.end_x, rec.end_y, rec.file, rec.line])
            sink.addFeature(f, QgsFeatureSink.FastInsert)
        feedback.pushInfo(self.tr(
            "{} station velocities from {} file(s); {} row(s) without data skipped").format(
                len(records), len(paths), skipped))
        if not records:
            raise ValueError(self.tr(
                "the GNSS files hold no station with positions at both dates"))
        return {self.OUTPUT: dest, self.N_STATIONS: len(records), self.N_SKIPPED: skipped}


ALGORITHMS = [ImportGnss]
