"""Scene and pair chooser: scan a folder, tick scenes, edit proposed pairs, run the dataset job.

The folder is scanned with :func:`glacvel_plugin.io.catalogue.scan_folder` and pairs
are proposed by :mod:`glacvel_plugin.core.pairing`. Run writes the chosen pairs to
``chooser_pairs.csv`` and runs ``glacvel:velocity_dataset`` by id (the same code path
as the toolbox, the modeler and the Python console) in a background
:class:`DatasetTask`; its products are loaded styled into one layer group per run.
:class:`ChainTask` (Processing steps run one after another in a background task) is
used by the reference dialog.
"""
from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional

from qgis.core import (Qgis, QgsApplication, QgsCoordinateReferenceSystem,
                       QgsCoordinateTransform, QgsMapLayerProxyModel, QgsMessageLog,
                       QgsProcessingContext, QgsProcessingFeedback, QgsProject, QgsRectangle,
                       QgsTask)
from qgis.gui import QgsFileWidget, QgsMapLayerComboBox
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, pyqtSignal
from qgis.PyQt.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog,
                                 QDoubleSpinBox, QFormLayout, QSpinBox, QGroupBox, QHBoxLayout,
                                 QHeaderView, QLabel, QProgressBar, QPushButton, QSplitter,
                                 QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..i18n import translate
from ..core.pairing import Scene, Pair, check_pair, months_covered, propose_pairs
from ..io.catalogue import (RASTER_EXT, SceneRecord, _is_other_band, read_scene,  # noqa: F401
                             scan_folder)

CORRELATION_ALG = {"L8": "glacvel:optical_correlation", "L9": "glacvel:optical_correlation",
                   "S2": "glacvel:optical_correlation", "S1": "glacvel:sar_offset_tracking",
                   "UAV": "glacvel:uav_feature_tracking"}
"""Processing algorithm that correlates a pair of each sensor."""


def overlap_percent(rec: SceneRecord, extent: QgsRectangle, extent_crs: QgsCoordinateReferenceSystem) -> Optional[float]:
    """Percent of the scene's bounding box inside ``extent`` (canvas CRS); None if unknown."""
    if rec.bounds is None or not rec.crs_wkt or extent is None or extent.isEmpty():
        return None
    crs = QgsCoordinateReferenceSystem.fromWkt(rec.crs_wkt)
    rect = QgsRectangle(*rec.bounds)
    try:
        xf = QgsCoordinateTransform(extent_crs, crs, QgsProject.instance())
        ext = xf.transformBoundingBox(extent)
    except Exception:
        return None
    inter = rect.intersect(ext)
    if rect.area() <= 0:
        return None
    return 100.0 * max(0.0, inter.area()) / rect.area()


def algorithm_default(alg_id: str, name: str):
    """Default value of parameter ``name`` of a registered Processing algorithm (or None)."""
    d = algorithm_parameter(alg_id, name)
    return d.defaultValue() if d is not None else None


_UNREGISTERED = {}  # algorithms built here when the provider is not registered: a
# parameter definition lives only as long as its algorithm


def algorithm_parameter(alg_id: str, name: str):
    """Definition of parameter ``name`` of a registered Processing algorithm (or None)."""
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    if alg is None:  # provider not registered (yet): ask the algorithm class itself
        alg = _UNREGISTERED.get(alg_id)
    if alg is None:
        from ..processing_provider.provider import PROVIDER_ID, algorithm_classes
        cls = next((c for c in algorithm_classes() if f"{PROVIDER_ID}:{getattr(c, 'ALG_ID', '')}" == alg_id), None)
        if cls is not None:
            alg = cls()
            alg.initAlgorithm()
            _UNREGISTERED[alg_id] = alg
    return alg.parameterDefinition(name) if alg is not None else None


_REASONS = [
    (re.compile(r"^first and last scene of (\d{4}-\d{2})$"),
     QT_TRANSLATE_NOOP("SceneChooserDialog", "first and last scene of {}")),
    (re.compile(r"^only usable scene of (\d{4}-\d{2}); bridged to the next$"),
     QT_TRANSLATE_NOOP("SceneChooserDialog", "only usable scene of {}; bridged to the next")),
    (re.compile(r"^Sentinel-1 (\d+)-day baseline$"),
     QT_TRANSLATE_NOOP("SceneChooserDialog", "Sentinel-1 {}-day baseline")),
    (re.compile(r"^consecutive UAV surveys$"),
     QT_TRANSLATE_NOOP("SceneChooserDialog", "consecutive UAV surveys")),
]


def translate_reason(reason: str) -> str:
    """The pairing rule's reason (``core.pairing``, English) in the interface language."""
    for rx, template in _REASONS:
        m = rx.match(reason or "")
        if m:
            return translate("SceneChooserDialog", template).format(*m.groups())
    return reason


def excluded_scenes(cands: List[Scene], max_cloud: Optional[float],
                    pairs: List[Pair]) -> List[tuple]:
    """Why each ticked scene is in no proposed pair: ``[(candidate, rule, reason), ...]``.

    ``rule`` is ``'cloud'``, ``'alone'``, ``'s1_baseline'``, ``'gap'`` or ``'uav'``;
    ``reason`` the sentence shown to the user.

    The rules are those of :func:`glacvel_plugin.core.pairing.propose_pairs`: optical
    scenes above the cloud limit are left out first; then a scene needs a partner of the
    same sensor family and footprint (optical: a later usable scene within 48 days;
    Sentinel-1: one 24 or 36 ± 1 days later or earlier; UAV: another survey).
    """
    from ..core.pairing import OPTICAL_FAMILIES, S1_DT_DAYS, baseline_days
    used = {p.reference.key for p in pairs} | {p.secondary.key for p in pairs}
    def fam(c):
        return OPTICAL_FAMILIES.get(c.sensor, c.sensor)
    out = []
    for c in cands:
        if c.key in used:
            continue
        optical = c.sensor in OPTICAL_FAMILIES
        if optical and max_cloud is not None and c.cloud_cover is not None \
                and c.cloud_cover > max_cloud:
            out.append((c, "cloud", translate("SceneChooserDialog", "cloud cover {} % is above the limit of {} %")
                        .format(f"{c.cloud_cover:.0f}", f"{max_cloud:g}")))
            continue
        mates = [o for o in cands if o.key != c.key and fam(o) == fam(c)
                 and o.footprint == c.footprint]
        if optical:
            mates = [o for o in mates if max_cloud is None or o.cloud_cover is None
                     or o.cloud_cover <= max_cloud]
        if not mates:
            out.append((c, "alone", translate("SceneChooserDialog", "no other usable {} scene of footprint {}")
                        .format(c.sensor, c.footprint or "–")))
        elif c.sensor == "S1":
            out.append((c, "s1_baseline", translate("SceneChooserDialog", "no Sentinel-1 scene of the same orbit {} days apart (± 1 day)")
                        .format(" / ".join(f"{b:g}" for b in S1_DT_DAYS))))
        elif optical:
            gaps = [abs(baseline_days(c.time, o.time)) for o in mates]
            out.append((c, "gap", translate("SceneChooserDialog", "the nearest usable scene is {} days away (bridges reach 48 days)")
                        .format(f"{min(gaps):.0f}")))
        else:
            out.append((c, "uav", translate("SceneChooserDialog", "no later survey of the same site")))
    return out


# --------------------------------------------------------------------------- the chain
@dataclass
class Step:
    """One Processing call of the chain: ``params`` may hold callables ``f(results)``
    that resolve to earlier steps' outputs when the step runs."""
    alg_id: str
    params: Dict[str, object]
    label: str
    load: List[str] = field(default_factory=list)  # output keys to load into the project


def pair_output_name(pair: Pair) -> str:
    """File stem of a pair product: ``L8_20160718_20160803``."""
    return f"{pair.sensor}_{pair.reference.time:%Y%m%d}_{pair.secondary.time:%Y%m%d}"


def build_chain(pairs: List[Pair], out_dir: str, stable_ground: Optional[str] = None,
                months: bool = True, max_speed: Optional[float] = None,
                method: Optional[int] = None, window: Optional[int] = None) -> List[Step]:
    """The chain for ``pairs``: correlate each → stable-ground correct → monthly fusion.

    * correlation: ``glacvel:optical_correlation`` (Landsat-8/9, Sentinel-2),
      ``glacvel:sar_offset_tracking`` (Sentinel-1) or ``glacvel:uav_feature_tracking``;
      ``MAX_SPEED`` (m/d, sets the search range) when given; for optical pairs also
      ``METHOD`` (index of ``glacvel:optical_correlation``'s METHOD: 0 phase, 1 NCC,
      2 Lucas-Kanade) and ``WINDOW`` (px) when given;
    * ``glacvel:stable_ground_correction`` with the ``stable_ground`` polygons (a layer
      source), or its automatic stable ground (slowest 25 %) when None;
    * ``glacvel:monthly_velocity`` over all corrected products: assigns pairs to
      calendar months, fuses sources, writes ``YYYYMM.tif`` into ``out_dir/monthly``.

    Raises ``ValueError`` for an empty pair list, Δt ≤ 0, or no output folder.
    """
    if not pairs:
        raise ValueError(translate("SceneChooserDialog", "no pairs: tick scenes and press Propose pairs, or add pairs"))
    if not out_dir:
        raise ValueError(translate("SceneChooserDialog", "choose an output folder"))
    steps: List[Step] = []
    finals = []
    for pair in pairs:
        check_pair(pair.reference, pair.secondary)
        stem = pair_output_name(pair)
        alg = CORRELATION_ALG.get(pair.sensor)
        if alg is None:
            raise ValueError(translate("SceneChooserDialog", "no correlation algorithm for sensor {}").format(pair.sensor))
        raw = os.path.join(out_dir, stem + "_raw.tif")
        params = {"REFERENCE": pair.reference.key, "SECONDARY": pair.secondary.key, "OUTPUT": raw}
        if max_speed:
            params["MAX_SPEED"] = float(max_speed)
        if alg == "glacvel:optical_correlation":
            if method is not None:
                params["METHOD"] = int(method)
            if window:
                params["WINDOW"] = int(window)
        steps.append(Step(alg, params, translate("SceneChooserDialog", "correlate {}").format(stem), []))
        final = os.path.join(out_dir, stem + ".tif")
        params = {"INPUT": raw, "OUTPUT": final}
        if stable_ground:
            params["STABLE_GROUND"] = stable_ground
        steps.append(Step("glacvel:stable_ground_correction", params,
                          translate("SceneChooserDialog", "stable-ground correction {}").format(stem), ["OUTPUT"]))
        finals.append(final)
    if months:
        steps.append(Step("glacvel:monthly_velocity",
                          {"SOURCES": finals, "OUTPUT_FOLDER": os.path.join(out_dir, "monthly")},
                          translate("SceneChooserDialog", "monthly products"), ["OUTPUT_FOLDER"]))
    return steps


def monthly_files(folder: str) -> List[str]:
    """The ``YYYYMM.tif`` files of a monthly output folder, sorted by month."""
    if not folder or not os.path.isdir(folder):
        return []
    return [os.path.join(folder, n) for n in sorted(os.listdir(folder))
            if re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])\.tif", n)]


class ChainFeedback(QgsProcessingFeedback):
    """Feedback of one chain step that passes each log line on as ``logged(text)``."""

    logged = pyqtSignal(str)

    def pushInfo(self, text):  # noqa: N802 (QGIS API)
        super().pushInfo(text)
        self.logged.emit(text)


class FeedbackTask(QgsTask):
    """A task that runs Processing algorithms through a :class:`ChainFeedback` kept as
    ``feedback``, which its ``cancel`` reaches: :class:`ChainTask` and
    :class:`DatasetTask`."""

    def start_feedback(self) -> ChainFeedback:
        """A new :class:`ChainFeedback` for the running step, kept as ``self.feedback``:
        canceled at once if the task was canceled before it existed (``cancel`` sets the
        task's flag before it looks for the feedback, so a cancel is never lost between
        the two)."""
        feedback = ChainFeedback()
        self.feedback = feedback
        if self.isCanceled():
            feedback.cancel()
        return feedback

    def cancel(self):
        self.error = self.error or translate("SceneChooserDialog", "canceled")
        super().cancel()        # first: a feedback made after this sees the flag
        if self.feedback is not None:
            self.feedback.cancel()


class ChainTask(FeedbackTask):
    """Runs :class:`Step` s with ``processing.run`` in a background thread.

    Progress = completed steps plus the running step's own progress; cancel stops the
    running algorithm (through its feedback) and skips the rest. Each step's start and
    each of its log lines (stages, ``40 % done after 12 s…``) is emitted as
    ``stepMessage("step 1/3 (correlate …): …")``, kept in ``log`` and written to the
    QGIS message log (tab *glacvel*). Outputs named in ``Step.load`` are loaded, styled
    and grouped in ``group_name`` on the main thread when the task finishes.
    ``results``: list of (step label, result dict); ``error``: message of the failing
    step, or None.
    """

    stepMessage = pyqtSignal(str)

    def __init__(self, steps: List[Step], group_name: str, arrows: bool = True,
                 on_done: Optional[Callable[["ChainTask"], None]] = None):
        super().__init__(translate("SceneChooserDialog", "Glacier velocity: {} steps").format(len(steps)), QgsTask.CanCancel)
        self.steps = steps
        self.group_name = group_name
        self.arrows = arrows
        self.on_done = on_done
        self.results = []
        self.error = None
        self.loaded = []
        self.feedback = None
        self.log: List[str] = []

    def _step_message(self, i: int, step: Step, text: str):
        msg = translate("SceneChooserDialog", "step {}/{} ({}): {}").format(
            i + 1, len(self.steps), step.label, text)
        self.log.append(msg)
        QgsMessageLog.logMessage(msg, "glacvel", Qgis.Info)
        self.stepMessage.emit(msg)

    def run(self):
        import processing
        n = len(self.steps)
        for i, step in enumerate(self.steps):
            if self.isCanceled():
                self.error = translate("SceneChooserDialog", "canceled")
                return False
            self.start_feedback()
            self.feedback.progressChanged.connect(
                lambda p, i=i: self.setProgress(100.0 * (i + p / 100.0) / n))
            self.feedback.logged.connect(lambda t, i=i, step=step: self._step_message(i, step, t))
            self._step_message(i, step, translate("SceneChooserDialog", "started"))
            context = QgsProcessingContext()
            params = {k: (v(self.results) if callable(v) else v) for k, v in step.params.items()}
            try:
                res = processing.run(step.alg_id, params, context=context, feedback=self.feedback)
            except Exception as exc:  # QgsProcessingException carries the user message
                self.error = f"{step.label}: {exc}"
                return False
            self.results.append((step, res))
            self.setProgress(100.0 * (i + 1) / n)
        return True

    def finished(self, result):
        if result:
            for step, res in self.results:
                for key in step.load:
                    path = res.get(key) or step.params.get(key)
                    if not isinstance(path, str):
                        continue
                    paths = monthly_files(path) if os.path.isdir(path) else [path]
                    self.loaded.extend(load_all(paths, self.group_name, self.arrows))
        elif self.error:
            QgsMessageLog.logMessage(self.error, "glacvel", Qgis.Critical)
        if self.on_done is not None:
            self.on_done(self)


def write_pair_list(pairs: List[Pair], path: str) -> str:
    """Write the pairs as the dataset job's pair list (CSV: reference, secondary paths)."""
    import csv

    from ..io.files import atomic_write_text

    def write(f):
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["reference", "secondary"])
        for p in pairs:
            w.writerow([p.reference.key, p.secondary.key])
    return atomic_write_text(path, write, newline="")


def dataset_params(pairs: List[Pair], scenes: str, out_dir: str,
                   stable_ground: Optional[str] = None,
                   max_speed: Optional[float] = None, method: Optional[int] = None,
                   window: Optional[int] = None) -> Dict[str, object]:
    """Parameters of ``glacvel:velocity_dataset`` for the chooser's pairs.

    The pairs are written to ``out_dir/chooser_pairs.csv`` and given as ``PAIRS`` (the
    user chose them, so ``MAX_CLOUD`` is 100). Raises ``ValueError`` for an empty pair
    list, a pair with Δt ≤ 0, or no output folder.
    """
    if not pairs:
        raise ValueError(translate("SceneChooserDialog", "no pairs: tick scenes and press Propose pairs, or add pairs"))
    if not out_dir:
        raise ValueError(translate("SceneChooserDialog", "choose an output folder"))
    for pair in pairs:
        check_pair(pair.reference, pair.secondary)
    os.makedirs(out_dir, exist_ok=True)
    params: Dict[str, object] = {
        "SCENES": scenes, "OUTPUT_FOLDER": out_dir, "MAX_CLOUD": 100.0,
        "PAIRS": write_pair_list(pairs, os.path.join(out_dir, "chooser_pairs.csv"))}
    if stable_ground:
        params["STABLE_GROUND"] = stable_ground
    if max_speed:
        params["MAX_SPEED"] = float(max_speed)
    if method is not None:
        params["METHOD"] = int(method)
    if window:
        params["WINDOW"] = int(window)
    return params


class DatasetTask(FeedbackTask):
    """Runs ``glacvel:velocity_dataset`` in a background thread (the chooser's Run).

    Progress = pairs done / total (the algorithm's progress); cancel stops the job
    through its feedback (no partial product is left). Each log line of the job (pairs
    done, failures, months) is emitted as ``stepMessage(text)``, kept in ``log`` and
    written to the QGIS message log (tab *glacvel*). When it finishes, the pair
    products and (``load_monthly``) the monthly products are loaded styled into ``group_name``.
    ``results``: the algorithm's result dict; ``error``: message, or None.
    """

    ALG_ID = "glacvel:velocity_dataset"
    stepMessage = pyqtSignal(str)

    def __init__(self, params: Dict[str, object], group_name: str, arrows: bool = True,
                 on_done: Optional[Callable[["DatasetTask"], None]] = None,
                 load_monthly: bool = True):
        super().__init__(translate("SceneChooserDialog", "Glacier velocity dataset"), QgsTask.CanCancel)
        self.params = params
        self.load_monthly = load_monthly
        self.group_name = group_name
        self.arrows = arrows
        self.on_done = on_done
        self.results: Dict[str, object] = {}
        self.error = None
        self.loaded = []
        self.feedback = None
        self.log: List[str] = []

    def _message(self, text: str):
        self.log.append(text)
        QgsMessageLog.logMessage(text, "glacvel", Qgis.Info)
        self.stepMessage.emit(text)

    def run(self):
        import processing
        if self.isCanceled():
            self.error = translate("SceneChooserDialog", "canceled")
            return False
        self.start_feedback()
        self.feedback.progressChanged.connect(self.setProgress)
        self.feedback.logged.connect(self._message)
        try:
            self.results = processing.run(self.ALG_ID, self.params, context=QgsProcessingContext(),
                                          feedback=self.feedback)
        except Exception as exc:  # QgsProcessingException carries the user message
            self.error = str(exc)
            return False
        return True

    def outputs(self) -> List[str]:
        """Pair products done (from the manifest), then the monthly products."""
        from ..io.dataset import read_manifest
        out = []
        manifest = self.results.get("MANIFEST")
        if manifest:
            for r in read_manifest(manifest):
                if r.get("kind") == "pair" and r.get("status") == "done":
                    out.append(os.path.join(str(self.params["OUTPUT_FOLDER"]), r["product"]))
        return out + (list(self.results.get("FILES") or []) if self.load_monthly else [])

    def finished(self, result):
        if result:
            self.loaded.extend(load_all(self.outputs(), self.group_name, self.arrows))
        elif self.error:
            QgsMessageLog.logMessage(self.error, "glacvel", Qgis.Critical)
        if self.on_done is not None:
            self.on_done(self)


def load_all(paths, group_name: str, arrows: bool) -> list:
    """:func:`load_styled` of every existing file of ``paths``; a file that cannot be
    loaded is reported in the QGIS message log and skipped. Returns the layers."""
    layers = []
    for p in paths:
        if not os.path.exists(p):
            continue
        try:
            layers.extend(load_styled(p, group_name, arrows))
        except ValueError as exc:
            QgsMessageLog.logMessage(str(exc), "glacvel", Qgis.Warning)
    return layers


def load_styled(path: str, group_name: str, arrows: bool):
    """Load a product styled into the run group (arrows only for monthly products)."""
    from ..styling import load_output, month_of
    return load_output(path, group_name, arrows=arrows and month_of(path) is not None)


# --------------------------------------------------------------------------- the dialog
class SceneChooserDialog(QDialog):
    """Scan a folder, tick scenes, propose/edit pairs and run the velocity chain."""

    COLUMNS = ("use", "sensor", "time", "footprint", "cloud", "crs", "overlap", "status", "file")
    PAIR_COLUMNS = ("reference", "secondary", "dt", "sensor", "reason")

    taskFinished = pyqtSignal(object)

    def __init__(self, iface=None, parent=None):
        super().__init__(parent)
        self.iface = iface
        self.records: List[SceneRecord] = []
        self.pairs: List[Pair] = []
        self.task: Optional[DatasetTask] = None
        self.setWindowTitle(self.tr("Glacier velocity — scenes and pairs"))
        self.resize(1100, 720)
        self._build()

    def tr(self, text):
        return QCoreApplication.translate("SceneChooserDialog", text)

    # ---- widgets
    def _build(self):
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("Scene folder")))
        self.folder = QgsFileWidget()
        self.folder.setStorageMode(QgsFileWidget.GetDirectory)
        top.addWidget(self.folder, 1)
        self.scan_button = QPushButton(self.tr("Scan"))
        self.scan_button.clicked.connect(self.scan)
        top.addWidget(self.scan_button)
        lay.addLayout(top)

        split = QSplitter(Qt.Vertical)
        scenes_box = QGroupBox(self.tr("Scenes (tick the ones to use)"))
        sl = QVBoxLayout(scenes_box)
        self.table = QTableWidget(0, len(self.COLUMNS))
        self.table.setHorizontalHeaderLabels([
            "", self.tr("Sensor"), self.tr("Acquired (UTC)"), self.tr("Path/row or tile"),
            self.tr("Cloud %"), self.tr("CRS"), self.tr("Overlap with map %"), self.tr("Status"),
            self.tr("File")])
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(7, QHeaderView.Interactive)
        self.table.horizontalHeader().resizeSection(7, 240)
        self.table.horizontalHeader().setStretchLastSection(True)
        sl.addWidget(self.table)
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Maximum cloud cover %")))
        self.max_cloud = QDoubleSpinBox()
        self.max_cloud.setRange(0, 100)
        self.max_cloud.setValue(30)
        row.addWidget(self.max_cloud)
        self.tick_all = QPushButton(self.tr("Tick all usable"))
        self.tick_all.clicked.connect(lambda: self.set_all_checked(True))
        row.addWidget(self.tick_all)
        row.addStretch(1)
        self.propose_button = QPushButton(self.tr("Propose pairs"))
        self.propose_button.clicked.connect(self.propose)
        row.addWidget(self.propose_button)
        sl.addLayout(row)
        split.addWidget(scenes_box)

        pairs_box = QGroupBox(self.tr("Pairs"))
        pl = QVBoxLayout(pairs_box)
        self.pair_table = QTableWidget(0, len(self.PAIR_COLUMNS))
        self.pair_table.setHorizontalHeaderLabels([
            self.tr("First scene"), self.tr("Second scene"), self.tr("Δt (days)"),
            self.tr("Sensor"), self.tr("Why")])
        self.pair_table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.pair_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        self.pair_table.horizontalHeader().setStretchLastSection(True)
        pl.addWidget(self.pair_table)
        edit = QHBoxLayout()
        self.first_combo = QComboBox()
        self.second_combo = QComboBox()
        edit.addWidget(QLabel(self.tr("First")))
        edit.addWidget(self.first_combo, 1)
        edit.addWidget(QLabel(self.tr("Second")))
        edit.addWidget(self.second_combo, 1)
        self.add_pair_button = QPushButton(self.tr("Add pair"))
        self.add_pair_button.clicked.connect(self.add_pair_from_combos)
        edit.addWidget(self.add_pair_button)
        self.remove_pair_button = QPushButton(self.tr("Remove selected pairs"))
        self.remove_pair_button.clicked.connect(self.remove_selected_pairs)
        edit.addWidget(self.remove_pair_button)
        pl.addLayout(edit)
        split.addWidget(pairs_box)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        lay.addWidget(split, 1)

        run_box = QGroupBox(self.tr("Run"))
        form = QFormLayout(run_box)
        self.out_dir = QgsFileWidget()
        self.out_dir.setStorageMode(QgsFileWidget.GetDirectory)
        form.addRow(self.tr("Output folder"), self.out_dir)
        self.stable = QgsMapLayerComboBox()
        self.stable.setFilters(QgsMapLayerProxyModel.PolygonLayer)
        self.stable.setAllowEmptyLayer(True)
        self.stable.setLayer(None)
        form.addRow(self.tr("Stable-ground polygons (optional)"), self.stable)
        self.max_speed = QDoubleSpinBox()
        self.max_speed.setRange(0, 100)
        self.max_speed.setDecimals(1)
        self.max_speed.setValue(0)
        default_speed = algorithm_default("glacvel:optical_correlation", "MAX_SPEED")
        self.max_speed.setSpecialValueText(
            self.tr("algorithm default ({} m/d)").format(f"{float(default_speed):g}")
            if default_speed is not None else self.tr("algorithm default"))
        self.max_speed.setSuffix(" m/d")
        self.max_speed.setToolTip(self.tr("Fastest expected speed; sets the search range of the correlation"))
        form.addRow(self.tr("Maximum speed"), self.max_speed)
        corr_row = QHBoxLayout()
        self.method = QComboBox()
        methods = algorithm_parameter("glacvel:optical_correlation", "METHOD")
        for i, label in enumerate(methods.options() if methods is not None else []):
            self.method.addItem(label, i)
        if methods is not None:
            self.method.setCurrentIndex(int(methods.defaultValue()))
        self.method.setToolTip(self.tr("Correlation method of optical pairs (glacvel:optical_correlation METHOD)"))
        corr_row.addWidget(self.method, 1)
        corr_row.addWidget(QLabel(self.tr("Window")))
        self.window = QSpinBox()
        self.window.setRange(8, 1024)
        default_window = algorithm_default("glacvel:optical_correlation", "WINDOW")
        self.window.setValue(int(default_window) if default_window is not None else 32)
        self.window.setSuffix(" px")
        self.window.setToolTip(self.tr("Window (chip) size of optical pairs; Sentinel-1 and UAV pairs keep their algorithm's window"))
        corr_row.addWidget(self.window)
        form.addRow(self.tr("Optical correlation"), corr_row)
        self.monthly = QCheckBox(self.tr("Load the monthly products (YYYYMM.tif)"))
        self.monthly.setChecked(True)
        self.arrows = QCheckBox(self.tr("Add flow arrows to monthly products"))
        self.arrows.setChecked(True)
        opts = QWidget()
        ol = QHBoxLayout(opts)
        ol.setContentsMargins(0, 0, 0, 0)
        ol.addWidget(self.monthly)
        ol.addWidget(self.arrows)
        ol.addStretch(1)
        form.addRow(opts)
        lay.addWidget(run_box)

        self.message = QLabel("")
        self.message.setWordWrap(True)
        lay.addWidget(self.message)
        bottom = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        bottom.addWidget(self.progress, 1)
        self.run_button = QPushButton(self.tr("Run"))
        self.run_button.clicked.connect(self.run_chain)
        bottom.addWidget(self.run_button)
        self.cancel_button = QPushButton(self.tr("Cancel run"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel_chain)
        bottom.addWidget(self.cancel_button)
        self.close_button = QPushButton(self.tr("Close"))
        self.close_button.clicked.connect(self.close)
        bottom.addWidget(self.close_button)
        lay.addLayout(bottom)

    # ---- messages
    def show_message(self, text: str, error: bool = False):
        self.message.setText(text)
        self.message.setStyleSheet("color: #b00020;" if error else "")

    # ---- scanning
    def _canvas_extent(self):
        if self.iface is None:
            return None, None
        canvas = self.iface.mapCanvas()
        return canvas.extent(), canvas.mapSettings().destinationCrs()

    def scan(self, folder: Optional[str] = None):
        """Scan the folder (the widget's, or ``folder``) and fill the scene table."""
        folder = folder if isinstance(folder, str) else self.folder.filePath()
        if isinstance(folder, str) and folder != self.folder.filePath():
            self.folder.setFilePath(folder)
        try:
            self.records = scan_folder(folder, lambda f: self.progress.setValue(int(100 * f)))
        except ValueError as exc:
            self.records = []
            self.fill_table()
            self.show_message(str(exc), error=True)
            return self.records
        self.fill_table()
        self.progress.setValue(0)
        usable = sum(r.usable for r in self.records)
        bad = len(self.records) - usable
        if not self.records:
            self.show_message(self.tr("No raster files found in {}.").format(folder), error=True)
        else:
            self.show_message(self.tr("{} scenes found, {} usable, {} cannot be used (see Status).")
                              .format(len(self.records), usable, bad), error=usable == 0)
        return self.records

    def fill_table(self):
        extent, crs = self._canvas_extent()
        self.table.setSortingEnabled(False)
        self.table.setRowCount(len(self.records))
        for row, rec in enumerate(self.records):
            use = QTableWidgetItem()
            use.setFlags(Qt.ItemIsUserCheckable | Qt.ItemIsEnabled | Qt.ItemIsSelectable
                         if rec.usable else Qt.ItemIsSelectable)
            use.setCheckState(Qt.Unchecked)
            use.setData(Qt.UserRole, rec.path)
            self.table.setItem(row, 0, use)
            time_txt = ""
            if rec.time is not None:
                time_txt = rec.time.strftime("%Y-%m-%d" if rec.extra.get("date_only") else "%Y-%m-%d %H:%M:%S")
            ov = overlap_percent(rec, extent, crs) if extent is not None else None
            vals = [rec.sensor or "", time_txt, rec.footprint or "",
                    rec.cloud_cover, rec.crs_authid, ov,
                    self.tr("usable") if rec.usable else rec.error, os.path.basename(rec.path)]
            for col, val in enumerate(vals, start=1):
                item = QTableWidgetItem()
                if isinstance(val, float):
                    item.setData(Qt.DisplayRole, round(val, 1))
                else:
                    item.setText("" if val is None else str(val))
                if col == 8:
                    item.setToolTip(rec.path)
                if col == 7:
                    item.setToolTip(item.text())
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)

    def record(self, path: str) -> Optional[SceneRecord]:
        return next((r for r in self.records if r.path == path), None)

    def set_all_checked(self, checked: bool = True):
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item.flags() & Qt.ItemIsUserCheckable:
                item.setCheckState(Qt.Checked if checked else Qt.Unchecked)

    def set_checked(self, paths, checked: bool = True):
        """Tick the scenes whose path is in ``paths``."""
        paths = set(paths)
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item.data(Qt.UserRole) in paths and item.flags() & Qt.ItemIsUserCheckable:
                item.setCheckState(Qt.Checked if checked else Qt.Unchecked)

    def checked_records(self) -> List[SceneRecord]:
        out = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item.checkState() == Qt.Checked:
                rec = self.record(item.data(Qt.UserRole))
                if rec is not None and rec.usable:
                    out.append(rec)
        return out

    # ---- pairs
    def propose(self):
        """Propose pairs from the ticked scenes (replaces the pair list)."""
        recs = self.checked_records()
        self._fill_combos(recs)
        if len(recs) < 2:
            self.pairs = []
            self.fill_pairs()
            self.show_message(self.tr("Tick at least two usable scenes to propose pairs."), error=True)
            return self.pairs
        cands = [r.candidate() for r in recs]
        self.pairs = propose_pairs(cands, self.max_cloud.value())
        self.fill_pairs()
        excluded = excluded_scenes(cands, self.max_cloud.value(), self.pairs)
        why = "; ".join(f"{os.path.basename(str(c.key))}: {reason}" for c, _, reason in excluded)
        if not self.pairs:
            text = self.tr("No pair matches the rules (optical: first and last usable scene of a "
                           "month, cloud cover ≤ {} %; Sentinel-1: 24 or 36 days).").format(
                f"{self.max_cloud.value():g}")
            if why:
                text += " " + self.tr("Left out: {}.").format(why)
            if any(rule == "cloud" for _, rule, _ in excluded):
                text += " " + self.tr("Raise Maximum cloud cover % or add pairs by hand.")
            else:
                text += " " + self.tr("Add pairs by hand.")
            self.show_message(text, error=True)
        else:
            text = self.tr("{} pairs proposed; edit them below.").format(len(self.pairs))
            if why:
                text += " " + self.tr("Left out: {}.").format(why)
            self.show_message(text)
        return self.pairs

    def _fill_combos(self, recs):
        for combo in (self.first_combo, self.second_combo):
            combo.clear()
            for r in recs:
                combo.addItem(f"{r.sensor} {r.time:%Y-%m-%d %H:%M} {os.path.basename(r.path)}", r.path)
        if len(recs) > 1:
            self.second_combo.setCurrentIndex(1)

    def add_pair(self, first_path: str, second_path: str) -> Optional[Pair]:
        """Add a user pair; refuses (message, returns None) when Δt ≤ 0 or sensors differ."""
        a, b = self.record(first_path), self.record(second_path)
        if a is None or b is None:
            self.show_message(self.tr("Choose two scanned scenes."), error=True)
            return None
        try:
            check_pair(a.candidate(), b.candidate())
        except ValueError as exc:
            self.show_message(self.tr("Pair refused: {}").format(exc), error=True)
            return None
        if any(p.reference.key == a.path and p.secondary.key == b.path for p in self.pairs):
            self.show_message(self.tr("This pair is already in the list."), error=True)
            return None
        pair = Pair(a.candidate(), b.candidate(), self.tr("added by hand"))
        self.pairs.append(pair)
        self.pairs.sort(key=lambda p: (p.reference.time, p.secondary.time))
        self.fill_pairs()
        self.show_message(self.tr("Pair added (Δt = {:.2f} days).").format(pair.dt_days))
        return pair

    def add_pair_from_combos(self):
        return self.add_pair(self.first_combo.currentData(), self.second_combo.currentData())

    def remove_selected_pairs(self):
        rows = sorted({i.row() for i in self.pair_table.selectedIndexes()}, reverse=True)
        for r in rows:
            del self.pairs[r]
        self.fill_pairs()

    def fill_pairs(self):
        self.pair_table.setRowCount(len(self.pairs))
        for row, p in enumerate(self.pairs):
            vals = [f"{p.reference.time:%Y-%m-%d %H:%M}  {p.reference.footprint or ''}",
                    f"{p.secondary.time:%Y-%m-%d %H:%M}  {p.secondary.footprint or ''}",
                    f"{p.dt_days:.2f}", p.sensor, translate_reason(p.reason)]
            for col, v in enumerate(vals):
                item = QTableWidgetItem(v)
                if col < 2:
                    item.setToolTip(str((p.reference if col == 0 else p.secondary).key))
                item.setFlags(Qt.ItemIsEnabled | Qt.ItemIsSelectable)
                self.pair_table.setItem(row, col, item)

    # ---- running
    def stable_source(self) -> Optional[str]:
        layer = self.stable.currentLayer()
        return layer.source() if layer is not None else None

    def run_chain(self) -> Optional[DatasetTask]:
        """Start the dataset job on the pairs as a background task; returns it (None when refused)."""
        if self.task is not None:
            self.show_message(self.tr("A run is still going; cancel it or wait."), error=True)
            return None
        try:
            params = dataset_params(self.pairs, self.folder.filePath(), self.out_dir.filePath(),
                                    self.stable_source(), self.max_speed.value() or None,
                                    method=self.method.currentData(), window=self.window.value())
        except (ValueError, OSError) as exc:
            self.show_message(str(exc), error=True)
            return None
        if QgsApplication.processingRegistry().algorithmById(DatasetTask.ALG_ID) is None:
            self.show_message(self.tr("Processing algorithm(s) not available: {}")
                              .format(DatasetTask.ALG_ID), error=True)
            return None
        group = self.tr("glacvel run {}").format(_dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        self.task = DatasetTask(params, group, self.arrows.isChecked(), self._done,
                                self.monthly.isChecked())
        self.task.progressChanged.connect(lambda p: self.progress.setValue(int(p)))
        self.task.stepMessage.connect(self.show_message)
        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.show_message(self.tr("Running {} pairs in the background…").format(len(self.pairs)))
        QgsApplication.taskManager().addTask(self.task)
        return self.task

    def cancel_chain(self):
        if self.task is not None:
            self.task.cancel()

    def _done(self, task: DatasetTask):
        self.task = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        if task.error:
            self.show_message(self.tr("Run stopped: {}").format(task.error), error=True)
        else:
            self.progress.setValue(100)
            self.show_message(self.tr("Done: {} layers loaded into group “{}”.")
                              .format(len(task.loaded), task.group_name))
        self.taskFinished.emit(task)
