"""Base class and shared parameter helpers of the glacvel Processing algorithms."""
import configparser as _configparser
import datetime as _dt
import re as _re

from qgis.core import (QgsProcessingAlgorithm, QgsProcessingException)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, Qt
from qgis.PyQt.QtGui import QIcon

from ..core import Canceled
from ..resources import icon_path, metadata_path

GROUPS = {
    "correlation": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Correlation"),
    "stableground": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Stable ground"),
    "fusion": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Fusion"),
    "products": QT_TRANSLATE_NOOP("GlacvelAlgorithm", "Products"),
}

HELP_PAGES = {"correlation": "correlation.md", "stableground": "stable_ground.md",
              "fusion": "fusion.md", "products": "analysis.md"}
"""Documentation page (``docs/``) of each group: the Help button of an algorithm opens it."""


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

    # ---- help: Help button, labels instead of parameter ids, readable numbers ----------
    HELP_PAGE = ""
    """Documentation page of the algorithm (default: its group's, :data:`HELP_PAGES`)."""

    def helpUrl(self):  # noqa: N802 (QGIS API)
        """The algorithm's documentation page in the repository named in metadata.txt."""
        page = self.HELP_PAGE or HELP_PAGES.get(self.GROUP_ID, "")
        return f"{repository_url()}/blob/main/docs/{page}" if page else repository_url()

    def __init_subclass__(cls, **kwargs):
        """Wrap each subclass's ``shortHelpString`` and ``initAlgorithm`` (see below)."""
        super().__init_subclass__(**kwargs)
        own_help = cls.__dict__.get("shortHelpString")
        if own_help is not None and not getattr(own_help, "_glacvel_wrapped", False):
            def shortHelpString(self, _own=own_help):  # noqa: N802 (QGIS API)
                return self.help_with_labels(_own(self))
            shortHelpString._glacvel_wrapped = True
            shortHelpString.__doc__ = own_help.__doc__
            cls.shortHelpString = shortHelpString
        own_init = cls.__dict__.get("initAlgorithm")
        if own_init is not None and not getattr(own_init, "_glacvel_wrapped", False):
            def initAlgorithm(self, config=None, _own=own_init):  # noqa: N802 (QGIS API)
                _own(self, config)
                self.set_number_decimals()
            initAlgorithm._glacvel_wrapped = True
            initAlgorithm.__doc__ = own_init.__doc__
            cls.initAlgorithm = initAlgorithm

    def parameter_labels(self):
        """``{parameter or output id: label}``: the label is the description up to its
        first parenthesis or bracket (``"Maximum speed [m/d] (sets…)"`` → ``Maximum
        speed``), as the dialog shows it. Only upper-case ids (``STABLE_GROUND``)."""
        labels = {}
        defs = list(self.parameterDefinitions()) + list(self.outputDefinitions())
        for d in defs:
            name = d.name()
            if not _re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", name) or name in labels:
                continue
            label = _re.split(r"\s[(\[]", d.description() or "", maxsplit=1)[0].strip()
            if label:
                labels[name] = label
        return labels

    def help_with_labels(self, text):
        """``text`` with parameter ids replaced by the labels the user sees (“Buffer …”)."""
        if not text:
            return text
        labels = self.parameter_labels()
        for name in sorted(labels, key=len, reverse=True):
            text = _re.sub(rf"(?<![A-Za-z0-9_“]){name}(?![A-Za-z0-9_”])", f"“{labels[name]}”", text)
        return text

    def set_number_decimals(self):
        """Give decimal parameters a widget with as many decimals as they need (≤ 4).

        Without it the dialog's spin boxes show six decimals (``25.000000``). The number
        of decimals is the smallest that shows the default value and a positive minimum
        exactly, at least 2.
        """
        from qgis.core import QgsProcessingParameterNumber
        for d in self.parameterDefinitions():
            if not isinstance(d, QgsProcessingParameterNumber) or \
                    d.dataType() != QgsProcessingParameterNumber.Double:
                continue
            meta = dict(d.metadata() or {})
            wrapper = dict(meta.get("widget_wrapper") or {})
            if "decimals" in wrapper:
                continue
            values = [d.defaultValue()] + ([d.minimum()] if d.minimum() > 0 else [])
            wrapper["decimals"] = max([2] + [_decimals(v) for v in values])
            meta["widget_wrapper"] = wrapper
            d.setMetadata(meta)

    # ---- outputs loaded by Processing: name, style, legend label, arrows --------------
    def postProcessAlgorithm(self, context, feedback):  # noqa: N802 (QGIS API)
        """Give the outputs Processing will load a glacvel layer post-processor.

        Toolbox, modeler and chooser runs then load every glacvel product with its
        name (sensor and dates), style, legend label and, for velocity products when
        the setting ``glacvel/arrows_on_load`` is on (default), flow arrows.
        """
        self.attach_output_styles(context)
        return {}

    def attach_output_styles(self, context):
        """Attach :class:`~glacvel_plugin.styling.GlacvelLayerPostProcessor` to the layers
        ``context`` will load (those that have none yet). Returns how many got one."""
        from qgis.core import QgsSettings

        from ..styling import attach_postprocessors
        arrows = str(QgsSettings().value("glacvel/arrows_on_load", True)).lower() in ("true", "1")
        return attach_postprocessors(context, arrows=arrows)


def _decimals(value, most=4):
    """Decimals needed to show ``value`` exactly (at most ``most``)."""
    try:
        v = abs(float(value))
    except (TypeError, ValueError):
        return 0
    for n in range(most + 1):
        if abs(round(v, n) - v) < 1e-9:
            return n
    return most


def repository_url():
    """The ``repository`` of metadata.txt (``https://github.com/...``)."""
    cp = _configparser.ConfigParser(interpolation=None)
    try:
        cp.read(metadata_path(), encoding="utf-8")
        return cp.get("general", "repository").rstrip("/")
    except (FileNotFoundError, _configparser.Error):
        return "https://github.com/glacvel/glacvel"


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


class ProgressLog:
    """Progress bar and log lines of a long core routine (``progress``/``is_canceled``).

    ``progress(f)`` forwards every fraction to the feedback's bar (``start``..``end``
    percent) and writes a log line at each tenth (``40 % done after 12 s, about 18 s
    left``); ``is_canceled()`` asks the feedback and, when nothing was logged for
    ``heartbeat`` seconds, logs that the step is still running at its last percentage,
    so a long strip is never minutes of silence. ``stage(text)`` logs a stage with the
    elapsed time. Messages are translated (context ``GlacvelAlgorithm``).
    """

    def __init__(self, feedback, start=0.0, end=100.0, heartbeat=10.0, clock=None):
        import time
        self.feedback, self.start, self.end = feedback, float(start), float(end)
        self.heartbeat = float(heartbeat)
        self.clock = clock or time.monotonic
        self.t0 = self.last_log = self.clock()
        self.fraction = 0.0
        self.tenth = 0
        self.updates = 0

    def _log(self, text):
        self.last_log = self.clock()
        if self.feedback is not None:
            self.feedback.pushInfo(text)

    def stage(self, text):
        """Log the start of a stage (``[3 s] aligning …``)."""
        self._log(f"[{self.clock() - self.t0:.0f} s] {text}")

    def progress(self, f):
        f = max(0.0, min(1.0, float(f)))
        self.fraction = max(self.fraction, f)
        self.updates += 1
        if self.feedback is not None:
            self.feedback.setProgress(self.start + (self.end - self.start) * f)
        tenth = int(f * 10 + 1e-9)
        if tenth > self.tenth:
            self.tenth = tenth
            el = self.clock() - self.t0
            if tenth < 10 and f > 0:
                self._log(QCoreApplication.translate(
                    "GlacvelAlgorithm", "{} % done after {} s, about {} s left").format(
                    tenth * 10, f"{el:.0f}", f"{el * (1 - f) / f:.0f}"))
            else:
                self._log(QCoreApplication.translate("GlacvelAlgorithm", "{} % done after {} s")
                          .format(tenth * 10, f"{el:.0f}"))

    def is_canceled(self):
        if self.clock() - self.last_log >= self.heartbeat:
            self._log(QCoreApplication.translate("GlacvelAlgorithm", "still working: {} % after {} s").format(
                f"{100 * self.fraction:.0f}", f"{self.clock() - self.t0:.0f}"))
        return self.feedback is not None and self.feedback.isCanceled()


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
