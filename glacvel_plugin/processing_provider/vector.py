"""Vector inputs for the algorithms: geometries as GeoJSON in a raster's CRS.

QGIS 3.22 does not enforce the geometry filter of a feature-source parameter, so
the geometry type is checked here with a message that names the parameter.
"""
import json

from qgis.core import QgsCoordinateReferenceSystem, QgsFeatureRequest, QgsWkbTypes
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP

from ..i18n import translate

_KINDS = {
    "polygon": QgsWkbTypes.PolygonGeometry,
    "line": QgsWkbTypes.LineGeometry,
    "point": QgsWkbTypes.PointGeometry,
}
_KIND_NAMES = {"polygon": QT_TRANSLATE_NOOP("GlacvelMessages", "polygon"),
               "line": QT_TRANSLATE_NOOP("GlacvelMessages", "line"),
               "point": QT_TRANSLATE_NOOP("GlacvelMessages", "point"),
               "non-spatial": QT_TRANSLATE_NOOP("GlacvelMessages", "non-spatial")}


def _kind(name):
    return translate("GlacvelMessages", _KIND_NAMES.get(name, name))


def qgs_crs(crs):
    """A ``QgsCoordinateReferenceSystem`` from a rasterio CRS, WKT string or QGIS CRS."""
    if isinstance(crs, QgsCoordinateReferenceSystem):
        return crs
    wkt = crs if isinstance(crs, str) else crs.to_wkt()
    return QgsCoordinateReferenceSystem.fromWkt(wkt)


def check_geometry_type(source, kind, parameter_label):
    """Raise ``ValueError`` unless ``source`` holds ``kind`` geometries (polygon/line/point)."""
    want = _KINDS[kind]
    got = QgsWkbTypes.geometryType(source.wkbType())
    if got != want and source.featureCount() == 0:
        raise ValueError(translate("GlacvelMessages",
                                   "{} is empty (the layer has no features); give a layer with "
                                   "{} features").format(parameter_label, _kind(kind)))
    if got != want:
        got_name = {v: k for k, v in _KINDS.items()}.get(got, "non-spatial")
        raise ValueError(translate("GlacvelMessages",
                                   "{} must be a {} layer, but the layer given has {} "
                                   "geometries; choose a {} layer").format(
                                       parameter_label, _kind(kind), _kind(got_name),
                                       _kind(kind)))


def source_features(source, dest_crs, context, kind, parameter_label, fields=()):
    """Features of a feature source transformed to ``dest_crs``.

    Returns a list of ``(geojson_geometry_dict, {field: value})`` for features with a
    non-empty geometry (multi-part geometries kept whole). Layers in another CRS
    are reprojected. Raises ``ValueError`` for the wrong geometry type.
    """
    check_geometry_type(source, kind, parameter_label)
    dest = qgs_crs(dest_crs)
    request = QgsFeatureRequest()
    request.setDestinationCrs(dest, context.transformContext())
    out = []
    for f in source.getFeatures(request):
        g = f.geometry()
        if g is None or g.isEmpty():
            continue
        attrs = {name: f[name] for name in fields}
        out.append((json.loads(g.asJson()), attrs))
    return out


def source_geometries(source, dest_crs, context, kind, parameter_label):
    """Just the GeoJSON geometries of :func:`source_features`."""
    return [g for g, _ in source_features(source, dest_crs, context, kind, parameter_label)]
