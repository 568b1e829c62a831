"""Reference layers of the fusion algorithms read into plain values.

The REFERENCE_POINTS layer (GNSS stations: vx/vy fields in m/d, or start/end
positions and dates) becomes :class:`glacvel_plugin.io.fusion_files.PointRecords` in
the target grid's CRS; REFERENCE_RASTER with REFERENCE_POLYGONS becomes
:class:`glacvel_plugin.io.fusion_files.RasterRecords`. QGIS reads the features and
transforms their coordinates; the velocity arithmetic is in
:mod:`glacvel_plugin.core.reference`.
"""
from __future__ import annotations

import datetime as _dt
import math

from qgis.core import QgsCoordinateTransform, QgsFeatureRequest, QgsPointXY
from qgis.PyQt.QtCore import QDate, QDateTime

from ..core.reference import axes_to_grid, east_north_to_grid, velocity_from_positions
from ..core.velocity import baseline_days
from ..i18n import translate
from ..io.fusion_files import PointRecords, RasterRecords
from .base import field_number, qdatetime_utc, source_label
from .vector import check_geometry_type, qgs_crs, source_geometries

START_X, START_Y, END_X, END_Y = "start_x", "start_y", "end_x", "end_y"
START_DATE, END_DATE = "start_date", "end_date"
"""Fields of a reference point layer given as positions (Import GNSS stations)."""



def to_datetime(value, label) -> _dt.datetime:
    """A naive UTC datetime from a date attribute (QDateTime, QDate, datetime, ISO text).

    Raises ``ValueError`` naming ``label`` when the value is empty or not a date."""
    if isinstance(value, QDateTime):
        if not value.isValid():
            raise ValueError(translate("GlacvelMessages", "{} is empty").format(label))
        return qdatetime_utc(value)
    if isinstance(value, QDate):
        if not value.isValid():
            raise ValueError(translate("GlacvelMessages", "{} is empty").format(label))
        return _dt.datetime(value.year(), value.month(), value.day())
    if isinstance(value, _dt.datetime):
        return value
    if isinstance(value, _dt.date):
        return _dt.datetime(value.year, value.month, value.day)
    s = str(value).strip().rstrip("Z")
    try:
        return _dt.datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(translate("GlacvelMessages",
                                   "{} {} is not a date (use YYYY-MM-DD)").format(
                                       label, repr(value))) from None


def _cell(where, label, i, field) -> str:
    """``'REFERENCE_POINTS (file.csv): feature S01 (row 2), field 'start_date''`` for
    messages about one attribute (``i`` 0-based)."""
    return f"{where}: feature {label} (row {i + 1}), field '{field}'"


def is_null(v) -> bool:
    """Whether an attribute value is missing (None, NULL QVariant, NaN, '' or 'NULL')."""
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


def point_records(alg, parameters, context, grid_crs) -> PointRecords:
    """REFERENCE_POINTS (with VX_FIELD, VY_FIELD, ID_FIELD) as reference velocities in
    ``grid_crs``: one record per point with a velocity, from vx/vy fields or from
    start/end positions and dates.

    Raises
    ------
    ValueError
        When the layer has neither set of fields, a number or date field holds text,
        or an end date is not after its start date.
    """
    source = alg.parameterAsSource(parameters, alg.REFERENCE_POINTS, context)
    check_geometry_type(source, "point", alg.REFERENCE_POINTS)
    names = source.fields().names()
    lower = {n.lower(): n for n in names}
    fx = alg.parameterAsString(parameters, alg.VX_FIELD, context) or "vx"
    fy = alg.parameterAsString(parameters, alg.VY_FIELD, context) or "vy"
    fid_field = alg.parameterAsString(parameters, alg.ID_FIELD, context) or ""
    if not fid_field and "station" in lower:
        # the station of every row (Import GNSS stations): one group per station, so
        # a station's several GNSS intervals are held out together
        fid_field = lower["station"]
    fx, fy = lower.get(fx.lower(), fx), lower.get(fy.lower(), fy)
    use_v = fx in names and fy in names
    pos = [lower.get(n) for n in (START_X, START_Y, END_X, END_Y, START_DATE, END_DATE)]
    use_pos = not use_v and all(p is not None for p in pos)
    if not use_v and not use_pos:
        raise ValueError(translate(
            "GlacvelMessages",
            "REFERENCE_POINTS needs fields '{}' and '{}' (velocity in m/d) or the fields "
            "{}, {}, {}, {} (positions in the layer CRS) and {}, {}; the layer has {}").format(
                fx, fy, START_X, START_Y, END_X, END_Y, START_DATE, END_DATE,
                ", ".join(names) or translate("GlacvelMessages", "no fields")))
    grid_qcrs = qgs_crs(grid_crs)
    to_grid = QgsCoordinateTransform(source.sourceCrs(), grid_qcrs, context.transformContext())
    rec = PointRecords()
    date_fields = [lower.get(START_DATE), lower.get(END_DATE)]
    where = source_label(alg, parameters, alg.REFERENCE_POINTS, context)

    def xy(p):
        return p.x(), p.y()

    for i, f in enumerate(source.getFeatures(QgsFeatureRequest())):
        g = f.geometry()
        if g is None or g.isEmpty():
            rec.skipped += 1
            continue
        label = f[fid_field] if fid_field else f.id()
        if use_v:
            vx, vy = f[fx], f[fy]
            if is_null(vx) or is_null(vy):
                rec.skipped += 1
                continue
            vx, vy = (field_number(v, n, i + 1, label, where) for v, n in ((vx, fx), (vy, fy)))
            pt = g.asPoint()
            p = to_grid.transform(pt)
            if source.sourceCrs().isGeographic():
                # vx, vy are true east/north components: the local east and north
                # directions in grid axes from 1e-5° steps
                e = to_grid.transform(QgsPointXY(pt.x() + 1e-5, pt.y()))
                n = to_grid.transform(QgsPointXY(pt.x(), pt.y() + 1e-5))
                vx, vy = east_north_to_grid(vx, vy, xy(p), xy(e), xy(n))
            elif source.sourceCrs() != grid_qcrs:
                # vx, vy along the layer CRS's axes: map them into the grid's
                q = to_grid.transform(QgsPointXY(pt.x() + float(vx) * 1000.0,
                                                 pt.y() + float(vy) * 1000.0))
                vx, vy = axes_to_grid(xy(p), xy(q), 1000.0)
            rec.xy.append((p.x(), p.y()))
            rec.vx.append(float(vx))
            rec.vy.append(float(vy))
            t0 = t1 = None
            if None not in date_fields and not any(is_null(f[d]) for d in date_fields):
                t0 = to_datetime(f[date_fields[0]], _cell(where, label, i, date_fields[0]))
                t1 = to_datetime(f[date_fields[1]], _cell(where, label, i, date_fields[1]))
                if not t1 > t0:
                    raise ValueError(translate("GlacvelMessages",
                                           "feature {}: {} must be after {}").format(
                                               label, END_DATE, START_DATE))
            rec.start.append(t0)
            rec.end.append(t1)
        else:
            vals = [f[p] for p in pos]
            if any(is_null(v) for v in vals):
                rec.skipped += 1
                continue
            vals[:4] = [field_number(v, n, i + 1, label, where) for v, n in zip(vals, pos[:4])]
            t0 = to_datetime(vals[4], _cell(where, label, i, pos[4]))
            t1 = to_datetime(vals[5], _cell(where, label, i, pos[5]))
            days = baseline_days(t0, t1)
            if not days > 0:
                raise ValueError(translate("GlacvelMessages",
                                           "feature {}: {} must be after {}").format(
                                               label, END_DATE, START_DATE))
            a = to_grid.transform(QgsPointXY(float(vals[0]), float(vals[1])))
            b = to_grid.transform(QgsPointXY(float(vals[2]), float(vals[3])))
            x, y, vx, vy = velocity_from_positions(xy(a), xy(b), days)
            rec.xy.append((x, y))
            rec.vx.append(vx)
            rec.vy.append(vy)
            rec.start.append(t0)
            rec.end.append(t1)
        rec.groups.append(str(label))
    return rec


def raster_records(alg, parameters, context, grid_crs) -> RasterRecords:
    """REFERENCE_RASTER and the REFERENCE_POLYGONS (GeoJSON in ``grid_crs``) where it is used."""
    layer = alg.parameterAsRasterLayer(parameters, alg.REFERENCE_RASTER, context)
    geoms = []
    if parameters.get(alg.REFERENCE_POLYGONS) not in (None, ""):
        src = alg.parameterAsSource(parameters, alg.REFERENCE_POLYGONS, context)
        if src is not None:
            geoms = source_geometries(src, grid_crs, context, "polygon", alg.REFERENCE_POLYGONS)
    return RasterRecords(layer.source(), geoms)


def reference_records(alg, parameters, context, grid_crs):
    """The reference of REFERENCE_POINTS, or REFERENCE_RASTER (inside REFERENCE_POLYGONS).

    Raises ``ValueError`` unless exactly one of the two is given."""
    has_pts = parameters.get(alg.REFERENCE_POINTS) not in (None, "")
    has_ras = parameters.get(alg.REFERENCE_RASTER) not in (None, "")
    if has_pts == has_ras:
        raise ValueError(translate("GlacvelMessages",
                                   "give exactly one reference: REFERENCE_POINTS (GNSS) or "
                                   "REFERENCE_RASTER (e.g. UAV velocity, with "
                                   "REFERENCE_POLYGONS)"))
    return (point_records if has_pts else raster_records)(alg, parameters, context, grid_crs)
