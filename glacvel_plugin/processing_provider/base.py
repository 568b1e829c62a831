"""Base class and shared helpers of the glacvel Processing algorithms.

:class:`GlacvelAlgorithm` gives every algorithm its group, ``tr``, help page and the
styling of its outputs on load, and runs its ``process`` through
:func:`guarded_run`: the output guard and run-level output transaction of
:mod:`glacvel_plugin.io.guard`, with ``ValueError``, ``OSError``, ``MemoryError`` and
``core.Canceled`` turned into ``QgsProcessingException`` messages that name the
user's files (docs/architecture.md). Helpers: :func:`callbacks` and
:class:`ProgressLog` (``progress``/``is_canceled`` callables for ``core`` and
``io``), parameter readers (:func:`optional_datetime`, :func:`layer_path`,
:func:`field_number`, :func:`source_label`) and :func:`describe_bad_inputs`
(messages for unreadable inputs).
"""
import configparser as _configparser
import datetime as _dt
import gc
import os
import re
import traceback

from qgis.core import (QgsMapLayer, QgsProcessingAlgorithm, QgsProcessingException,
                       QgsProcessingFeatureSourceDefinition, QgsProcessingOutputLayerDefinition,
                       QgsProcessingUtils, QgsProperty, QgsVectorFileWriter)
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QDateTime, Qt
from qgis.PyQt.QtGui import QIcon

from ..core import Canceled
from ..i18n import translate
from ..io import guard
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

    Every run goes through the output guard and transaction of
    :mod:`glacvel_plugin.io.guard` (:func:`guarded_run`): each destination parameter
    is checked against every source and file parameter and against its format, the
    algorithm writes into hidden staging folders, and its outputs are published
    together only when ``process`` returns without a cancel.
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
        return guarded_run(self, parameters, context, feedback)

    def checkParameterValues(self, parameters, context):
        """QGIS's checks, with "not found" for an existing file replaced by what is wrong
        with it (not a raster, not a vector layer) and the parameter named."""
        ok, msg = super().checkParameterValues(parameters, context)
        if not ok:
            msg = describe_bad_inputs(self, parameters, context) or msg
        return ok, msg

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
            if not re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", name) or name in labels:
                continue
            label = re.split(r"\s[(\[]", d.description() or "", maxsplit=1)[0].strip()
            if label:
                labels[name] = label
        return labels

    def help_with_labels(self, text):
        """``text`` with parameter ids replaced by the labels the user sees (“Buffer …”)."""
        if not text:
            return text
        labels = self.parameter_labels()
        for name in sorted(labels, key=len, reverse=True):
            text = re.sub(rf"(?<![A-Za-z0-9_“]){name}(?![A-Za-z0-9_”])", f"“{labels[name]}”", text)
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
    raise ValueError(translate("GlacvelMessages", "no {} image given").format(name.lower()))
# ----------------------------------------------------------------------------- output guard
_SOURCE_TYPES = {"raster", "source", "vector", "multilayer", "file", "layer", "mesh",
                 "pointcloud"}
_DEST_KINDS = {"rasterDestination": "raster", "sink": "vector",
               "vectorDestination": "vector", "fileDestination": "file",
               "folderDestination": "folder"}
_FILTER_EXT = re.compile(r"\*(\.[A-Za-z0-9_.]+)")


def _value_sources(value, context):
    """File paths (or layer sources) named by one input parameter value."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [p for v in value for p in _value_sources(v, context)]
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        value = value.source.staticValue()
    if isinstance(value, QgsProperty):
        value = value.staticValue()
    if isinstance(value, QgsMapLayer):
        return [value.source()]
    if not isinstance(value, str) or not value:
        return []
    out = [value]
    if not os.path.exists(guard._split_source(value)):  # a project layer id or name
        try:
            layer = QgsProcessingUtils.mapLayerFromString(value, context, False)
        except Exception:  # noqa: BLE001 - an unknown string is not a file anyway
            layer = None
        if layer is not None:
            out.append(layer.source())
    return out


def input_files(alg, parameters, context):
    """``[(parameter name, path)]`` of every file a run reads (source and file parameters)."""
    out = []
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.type() not in _SOURCE_TYPES:
            continue
        for src in _value_sources(parameters.get(d.name()), context):
            path = guard._split_source(src)
            if guard.looks_like_file(path) and os.path.exists(path):
                out.append((d.name(), path))
    return out


def _destination_path(alg, d, parameters, context):
    """The file (or folder) a destination parameter names, without side effects."""
    if parameters.get(d.name()) in (None, ""):
        return None
    saved = context.layersToLoadOnCompletion()
    try:
        if d.type() in ("fileDestination", "folderDestination"):
            path = alg.parameterAsFileOutput(parameters, d.name(), context)
        else:
            path = alg.parameterAsOutputLayer(parameters, d.name(), context)
    finally:
        context.setLayersToLoadOnCompletion(saved)
    return path or None


def _output_spec(d, path):
    kind = _DEST_KINDS[d.type()]
    if kind == "raster":
        return guard.Output(d.name(), path, kind, guard.RASTER_EXTENSIONS, "a GeoTIFF")
    if kind == "vector":
        exts = tuple("." + e.lower() for e in QgsVectorFileWriter.supportedFormatExtensions())
        return guard.Output(d.name(), path, kind, exts, "a vector layer")
    if kind == "file":
        filt = d.fileFilter() or ""
        exts = tuple(dict.fromkeys(e.lower() for e in _FILTER_EXT.findall(filt)
                                   if e not in (".*",)))
        if "*.*" in filt or not exts:
            exts = ()
        fmt = filt.split("(")[0].strip() or "this format"
        return guard.Output(d.name(), path, kind, exts, fmt)
    return guard.Output(d.name(), path, kind)


def _staged_value(value, staged):
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        new = QgsProcessingOutputLayerDefinition(value)
        new.sink = QgsProperty.fromValue(staged)
        return new
    return staged


def prepare_outputs(alg, parameters, context, inputs=None):
    """Check a run's outputs and stage them; returns ``(parameters, transaction)``.

    The returned parameters name staged paths (same file names, hidden folders beside
    the outputs); non-file destinations (memory layers, databases) are left alone, and
    so are the destinations an algorithm lists in ``WRITES_IN_PLACE`` (checked like the
    others, but written in place: the dataset job writes every product atomically and
    keeps finished pairs for the next run, which a staged folder would lose on a kill).
    Raises ``guard.OutputGuardError`` (a ``ValueError``) naming the parameter and the
    file when an output would overwrite an input or another output, or when its
    extension does not match its format.
    """
    if inputs is None:
        inputs = input_files(alg, parameters, context)
    specs, dests = [], []
    for d in alg.destinationParameterDefinitions():
        if d.type() not in _DEST_KINDS:
            continue
        path = _destination_path(alg, d, parameters, context)
        if not path or not guard.looks_like_file(path):
            continue
        specs.append(_output_spec(d, path))
        dests.append((d, path))
    guard.check_outputs(specs, inputs)
    tx = guard.OutputTransaction(protect=inputs)
    staged_params = dict(parameters)
    in_place = set(getattr(alg, "WRITES_IN_PLACE", ()))
    try:
        for d, path in dests:
            if d.name() in in_place:
                continue
            file_part, sep, rest = path.partition("|")
            if d.type() == "folderDestination":
                staged = tx.stage_folder(d.name(), file_part)
            else:
                staged = tx.stage_file(d.name(), file_part) + sep + rest
            staged_params[d.name()] = _staged_value(parameters.get(d.name()), staged)
    except BaseException:
        tx.rollback()
        raise
    return staged_params, tx


def _publish_layer_details(context, tx):
    details = context.layersToLoadOnCompletion()
    if not any(isinstance(k, str) and tx.final_text(k) != k for k in details):
        return
    context.setLayersToLoadOnCompletion({tx.final_text(k): v for k, v in details.items()})


def _drop_layer_details(context, tx):
    details = context.layersToLoadOnCompletion()
    kept = {k: v for k, v in details.items() if tx.final_text(k) == k}
    if len(kept) != len(details):
        context.setLayersToLoadOnCompletion(kept)


def _cancel_message():
    return QCoreApplication.translate("GlacvelAlgorithm", "Canceled; no output was written.")


def guarded_run(alg, parameters, context, feedback):
    """Run ``alg.process`` inside the output guard and the run-level transaction.

    On success every staged output is moved into place and the results (and the
    layers to load) name the final paths; on an exception or a cancel nothing new is
    left in any output folder. ``ValueError``/``OSError`` become
    ``QgsProcessingException`` with the message unchanged except that staged paths
    read as the user's; ``Canceled`` (or a cancel noticed after ``process``
    returned) becomes the cancel message.
    """
    ok, value = _run_in_transaction(alg, parameters, context, feedback)
    if ok:
        return value
    error, cause = value
    # nothing of the run (context, layers, parameters) may stay alive through the
    # traceback: Processing keeps failed runs' exceptions, and layers freed after QGIS
    # exits crash the interpreter
    alg = parameters = context = feedback = value = None
    if cause is not None and cause.__traceback__ is not None:
        traceback.clear_frames(cause.__traceback__)
    if cause is error:
        raise error
    raise error from cause


def _run_in_transaction(alg, parameters, context, feedback):
    """``(True, results)`` or ``(False, (exception to raise, its cause))``; see
    :func:`guarded_run`."""
    tx, inputs = None, []
    try:
        inputs = input_files(alg, parameters, context)
        staged, tx = prepare_outputs(alg, parameters, context, inputs)
        results = alg.process(staged, context, feedback)
        staged = None
        gc.collect()  # close feature sinks still referenced by the finished frame
        if feedback is not None and feedback.isCanceled():
            raise Canceled()
        tx.commit()
        _publish_layer_details(context, tx)
        return True, tx.final_value(results)
    except Canceled as exc:
        _abandon(context, tx, exc)
        return False, (QgsProcessingException(_cancel_message()), None)
    except (ValueError, OSError) as exc:
        _abandon(context, tx, exc)
        msg = _error_text(exc, inputs)
        return False, (QgsProcessingException(tx.final_text(msg) if tx else msg), exc)
    except MemoryError as exc:
        _abandon(context, tx, exc)
        return False, (QgsProcessingException(
            "not enough memory for these parameters and inputs; use a smaller area, a "
            "coarser grid (STEP, SPACING, TARGET_RESOLUTION) or a smaller search "
            "(MAX_SPEED)"), exc)
    except BaseException as exc:
        _abandon(context, tx, exc)
        if isinstance(exc, QgsProcessingException) and tx is not None:
            return False, (QgsProcessingException(tx.final_text(str(exc))), exc)
        return False, (exc, exc)


_READ_FAILURE = re.compile(r"IReadBlock|TIFFRead|Read error|Read or write failed|"
                           r"TIFFFillStrip|TIFFFillTile|ZIPDecode|LZWDecode|short read",
                           re.IGNORECASE)


def _read_error_text(text, inputs):
    """A message for GDAL's read failures on a damaged input, naming the parameter."""
    if not _READ_FAILURE.search(text):
        return None
    hit = None
    for pname, path in inputs:
        if path in text or os.path.basename(path) in text:
            hit = (pname, path)
            break
    row = re.search(r"Y offset (\d+)", text) or re.search(r"scanline (\d+)", text)
    where = f" beyond row {row.group(1)}" if row else ""
    what = f"{hit[0]}: {hit[1]}" if hit else "an input file"
    return (f"{what} cannot be read{where}: the file is truncated or damaged; copy or "
            f"download it again (GDAL: {text.replace('Read or write failed. ', '')})")


def _error_text(exc, inputs=()):
    """A user-facing message for an exception (an ``OSError`` names its file and cause)."""
    read = _read_error_text(str(exc), inputs)
    if read:
        return read
    if not isinstance(exc, OSError):
        return str(exc)
    if exc.filename is not None:
        folder = os.path.dirname(os.path.abspath(str(exc.filename)))
        free = ""
        if exc.errno == guard.errno.ENOSPC:
            free = f" ({guard.free_space_text(folder)})"
        return (f"{exc.filename}: {guard._describe_oserror(exc)}{free}; check that the file "
                "exists, that its folder exists and that you can write to it")
    return exc.strerror or str(exc)


def _abandon(context, tx, exc=None):
    """Roll the run's outputs back. The traceback's frames are cleared first: they hold
    the algorithm's open feature sinks, which must close before their files go."""
    if tx is None:
        return
    if exc is not None and exc.__traceback__ is not None:
        traceback.clear_frames(exc.__traceback__)
    gc.collect()
    tx.rollback()
    _drop_layer_details(context, tx)


_WANTS = {"raster": "raster", "source": "vector", "vector": "vector"}


def describe_bad_inputs(alg, parameters, context):
    """A message naming the first input parameter whose file is missing or of the wrong
    kind (a text file given as a raster, a raster as polygons), or ``None``."""
    for d in alg.parameterDefinitions():
        if d.isDestination():
            continue
        kind = _WANTS.get(d.type())
        if d.type() == "multilayer":
            # QgsProcessing.SourceType: 3 raster; -1, 0, 1, 2, 5 vector layers
            kind = "raster" if d.layerType() == 3 else ("vector" if d.layerType() in
                                                       (-1, 0, 1, 2, 5) else None)
        if kind is None:
            continue
        value = parameters.get(d.name())
        values = value if isinstance(value, (list, tuple)) else [value]
        for v in values:
            if isinstance(v, QgsProcessingFeatureSourceDefinition):
                v = v.source.staticValue()
            if not isinstance(v, str) or not v:
                continue
            path = guard._split_source(v)
            if not guard.looks_like_file(path):
                continue
            if QgsProcessingUtils.mapLayerFromString(v, context, False) is not None:
                continue  # a layer of the project
            if not os.path.exists(path):
                if os.path.sep in path or "." in os.path.basename(path):
                    return translate("GlacvelMessages",
                                     "{}: {} does not exist; check the path (or pick the "
                                     "layer from the project)").format(d.name(), path)
                continue
            if os.path.isdir(path):
                continue
            from ..io.info import open_kinds
            kinds = open_kinds(path)
            if kind in kinds:
                continue
            if not kinds:
                if kind == "raster":
                    text = translate("GlacvelMessages",
                                     "{}: {} exists but is neither a raster nor a vector file "
                                     "GDAL can read (damaged, or another format); give a "
                                     "GeoTIFF raster")
                else:
                    text = translate("GlacvelMessages",
                                     "{}: {} exists but is neither a raster nor a vector file "
                                     "GDAL can read (damaged, or another format); give a "
                                     "vector layer")
                return text.format(d.name(), path)
            if kind == "raster":
                return translate("GlacvelMessages",
                                 "{}: {} is a vector file, not a raster layer; give a raster "
                                 "(GeoTIFF) here").format(d.name(), path)
            return translate("GlacvelMessages",
                             "{}: {} is a raster file, not a vector layer; give a vector layer "
                             "here").format(d.name(), path)
    return None


def field_number(value, field, row, label, layer="REFERENCE_POINTS"):
    """``float(value)`` of an attribute, or ``ValueError`` naming the layer, the feature
    (``label``, 1-based ``row``), the field and the text that is not a number."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(translate(
            "GlacvelMessages",
            "{}: feature {} (row {}), field '{}': {} is not a number; correct the value, or "
            "leave it empty to skip the row").format(layer, label, row, field,
                                                    repr(value))) from None


def source_label(alg, parameters, name, context):
    """``'NAME (file.csv)'`` for messages about a source parameter (``'NAME'`` when it is
    not a file, e.g. a memory layer)."""
    for src in _value_sources(parameters.get(name), context):
        path = guard._split_source(src)
        if guard.looks_like_file(path) and os.path.exists(path):
            return f"{name} ({path})"
    return name
