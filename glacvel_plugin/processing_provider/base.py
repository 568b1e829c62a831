"""Base class and shared parameter helpers of the glacvel Processing algorithms."""
import datetime as _dt

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingException)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, Qt
from qgis.PyQt.QtGui import QIcon

from ..core import Canceled
from ..resources import icon_path

GROUPS = {
    "correlation": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Correlation"),
    "stableground": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Stable ground"),
    "fusion": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Fusion"),
    "products": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Products"),
}


class GlacvelAlgorithm(QgsProcessingAlgorithm):
    """Base of every glacvel algorithm.

    Subclasses set ``ALG_ID`` and ``GROUP_ID`` (a key of :data:`GROUPS`),
    implement ``displayName``, ``shortHelpString``, ``initAlgorithm`` and
    ``process(parameters, context, feedback)``. ``processAlgorithm`` maps
    ``ValueError``/``OSError`` to ``QgsProcessingException`` (the message reaches
    the user unchanged) and core's ``Canceled`` to a cancel message.
    """

    ALG_ID = ""
    GROUP_ID = ""

    def tr(self, text):
        return QCoreApplication.translate(type(self).__name__, text)

    def name(self):
        return self.ALG_ID

    def group(self):
        return QCoreApplication.translate("GlacvelAlgorithm", GROUPS[self.GROUP_ID])

    def groupId(self):
        return self.GROUP_ID

    def icon(self):
        return QIcon(icon_path())

    def createInstance(self):
        return type(self)()

    def processAlgorithm(self, parameters, context, feedback):
        try:
            return self.process(parameters, context, feedback)
        except Canceled:
            raise QgsProcessingException(
                QCoreApplication.translate("GlacvelAlgorithm", "Canceled; no output was written."))
        except (ValueError, OSError) as exc:
            raise QgsProcessingException(str(exc)) from exc

    def process(self, parameters, context, feedback):  # pragma: no cover - abstract
        raise NotImplementedError


def callbacks(feedback, start=0.0, end=100.0):
    """``(progress, is_canceled)`` callables for core routines.

    ``progress(f)`` maps a fraction ``f`` in [0, 1] onto ``start``..``end`` percent of
    the feedback's progress bar; ``is_canceled()`` asks the feedback.
    """
    def progress(f):
        if feedback is not None:
            feedback.setProgress(start + (end - start) * max(0.0, min(1.0, float(f))))

    def is_canceled():
        return feedback is not None and feedback.isCanceled()

    return progress, is_canceled


def check_canceled(feedback):
    """Raise ``Canceled`` if the user pressed cancel (call between steps)."""
    if feedback is not None and feedback.isCanceled():
        raise Canceled()


def qdatetime_utc(qdt):
    """A ``QDateTime`` as a naive UTC ``datetime``.

    A value without a time zone (how Processing parses ``2016-07-18T20:37:06`` and how
    the date-time widget returns it) is taken as UTC, not as the machine's local time;
    one with a zone or offset (``...Z``, ``...+02:00``) is converted to UTC.
    """
    if qdt.timeSpec() == Qt.LocalTime:
        qdt = QDateTime(qdt.date(), qdt.time(), Qt.UTC)
    else:
        qdt = qdt.toUTC()
    d, t = qdt.date(), qdt.time()
    return _dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute(), t.second())


def optional_datetime(alg, parameters, name, context):
    """A datetime parameter as a naive UTC ``datetime`` (see :func:`qdatetime_utc`), or None."""
    if parameters.get(name) in (None, ""):
        return None
    qdt = alg.parameterAsDateTime(parameters, name, context)
    if qdt is None or not qdt.isValid():
        return None
    return qdatetime_utc(qdt)


def layer_path(alg, parameters, name, context):
    """Path of the raster layer parameter ``name`` (a layer's source or a file path).

    Raises ``ValueError`` when the parameter is empty.
    """
    layer = alg.parameterAsRasterLayer(parameters, name, context)
    if layer is not None:
        return layer.source()
    value = parameters.get(name)
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"no {name.lower()} image given")
