"""Desktop behaviour users expect: Chinese that follows QGIS, arrows above their raster,
a model that opens valid, styled toolbox outputs, pair-rule messages, help, progress,
an empty reference dialog and arrows only above the noise level.

Every product here is built from real data shipped in ``demo/data`` (GLAFT's CARST
Kaskawulsh Landsat-8 velocities) or correlated from the tiny Yahtse Landsat-8 pair in
``tests/data/desktop``.
"""
import os
import sys

import numpy as np
import pytest
import rasterio

from tests.conftest import ROOT
from tests.helpers import kaskawulsh_product

YAHTSE = os.path.join(ROOT, "demo", "data", "yahtse")


@pytest.fixture
def clean_project(qgis_app):
    from qgis.core import QgsProject
    project = QgsProject.instance()
    yield project
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()


# --------------------------------------------------------------------------- 2. layer order
def test_load_output_puts_arrows_above_their_raster(clean_project, tmp_path):
    from glacvel_plugin import styling
    path, _ = kaskawulsh_product(tmp_path / "L8_pair.tif")
    first = styling.load_output(path, "run A", arrows=True)
    second = styling.load_output(kaskawulsh_product(tmp_path / "201803.tif")[0], "run A",
                                 arrows=True)
    raster, arrows = first
    assert raster.type() == raster.RasterLayer and arrows.type() == arrows.VectorLayer  # raster first
    assert raster.name() == "L8 2018-03-04 → 2018-04-05" and second[0].name() == "201803"
    group = clean_project.layerTreeRoot().findGroup("run A")
    order = [n.layer() for n in group.children()]
    # each arrows layer directly above (drawn over) its own raster
    assert order.index(arrows) == order.index(raster) - 1
    assert order.index(second[1]) == order.index(second[0]) - 1
    # without a group too
    r3, a3 = styling.load_output(path, None, arrows=True, name="loose")
    top = [n.layer() for n in clean_project.layerTreeRoot().children() if hasattr(n, "layer")]
    assert top.index(a3) == top.index(r3) - 1


# --------------------------------------------------------------------------- 8. arrows
def test_arrows_hidden_below_twice_the_stable_ground_nmad_with_a_scale(clean_project, tmp_path):
    """Arrows only where the speed exceeds 2 × the stable-ground noise; one scale arrow."""
    from glacvel_plugin import styling
    nmad = (0.06, 0.08)  # m/d; noise vector 0.1 m/d → threshold 0.2 m/d
    path, bands = kaskawulsh_product(tmp_path / "L8_nmad.tif", nmad=nmad)
    thr, noise, basis = styling.arrow_threshold(path)
    assert noise == pytest.approx(0.1) and thr == pytest.approx(0.2) and basis == "nmad"
    all_arrows = styling.arrows_layer(path, step=5, min_speed=0.0)
    arrows = styling.arrows_layer(path, step=5)
    grid = [f for f in arrows.getFeatures() if f["scale"] == 0]
    grid_all = [f for f in all_arrows.getFeatures() if f["scale"] == 0]
    assert grid and len(grid) < len(grid_all)
    assert min(f["v"] for f in grid) >= 0.2
    assert sum(f["v"] < 0.2 for f in grid_all) == len(grid_all) - len(grid)
    # the scale arrow: east-pointing, a round speed, labelled, below the product
    scale = [f for f in arrows.getFeatures() if f["scale"] == 1]
    assert len(scale) == 1
    s = scale[0]
    assert s["vy"] == 0 and s["vx"] in (0.5, 1.0, 2.0, 5.0) and s["label"] == f"{s['vx']:g} m/d"
    with rasterio.open(path) as ds:
        assert s.geometry().asPoint().y() < ds.bounds.bottom
    assert arrows.labelsEnabled()
    assert arrows.customProperty("glacvel/min_speed") == pytest.approx(0.2)
    legend = arrows.customProperty("glacvel/legend")
    assert "0.2 m/d" in legend and "NMAD" in legend and f"{s['vx']:g} m/d" in legend
    # the legend shows it once the layer is in the tree
    clean_project.addMapLayer(arrows)
    assert styling.label_legend(arrows)
    from qgis.core import QgsMapLayerLegendUtils
    node = clean_project.layerTreeRoot().findLayer(arrows.id())
    assert QgsMapLayerLegendUtils.legendNodeUserLabel(node, 0) == legend
    # without NMAD tags: 2 × the median v_error (as fused and monthly products carry)
    plain, pb = kaskawulsh_product(tmp_path / "L8_plain.tif")
    thr, noise, basis = styling.arrow_threshold(plain)
    med = float(np.nanmedian(pb["v_error"]))
    assert basis == "v_error" and noise == pytest.approx(med, rel=1e-5) and thr == pytest.approx(2 * med, rel=1e-5)
    assert "2 × median v_error" in styling.arrows_layer(plain, step=5).customProperty("glacvel/legend")
    # neither: nothing hidden
    from glacvel_plugin.io.product import write_product
    with rasterio.open(plain) as ds:
        bare = {n: ds.read(i + 1) for i, n in enumerate(ds.descriptions) if n != "v_error"}
        write_product(str(tmp_path / "bare.tif"), bare, ds.transform, ds.crs, dict(ds.tags()))
    assert styling.arrow_threshold(str(tmp_path / "bare.tif")) == (0.0, None, None)
    # ... then arrows shorter than their head (5 % of the 98th-percentile speed) are left out
    bare = styling.arrows_layer(str(tmp_path / "bare.tif"), step=5)
    v_blocks = [f["v"] for f in styling.arrows_layer(str(tmp_path / "bare.tif"), step=5,
                                                      min_speed=0.0).getFeatures() if f["scale"] == 0]
    cut = 0.05 * np.percentile(v_blocks, 98)
    assert bare.customProperty("glacvel/min_speed") == pytest.approx(cut, rel=1e-6)
    assert sum(f["scale"] == 0 for f in bare.getFeatures()) == sum(x >= cut for x in v_blocks)
    assert "98th-percentile" in bare.customProperty("glacvel/legend")


# --------------------------------------------------------------------------- 5. chooser
def test_no_pair_message_names_the_cloud_limit_and_the_scenes(qgis_iface):
    """The bundled Yahtse pair (MTL: 44.14 % and 51.55 % cloud): the message says the 30 %
    limit left both scenes out, with their cloud cover; at 60 % one pair is proposed."""
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    recs = dlg.scan(YAHTSE)
    assert [r.sensor for r in recs if r.usable] == ["L8", "L8"]
    dlg.set_all_checked(True)
    assert dlg.propose() == []
    msg = dlg.message.text()
    assert "No pair matches" in msg and "≤ 30 %" in msg
    assert "LC80630182016200LGN00_B8_yahtse_crop.TIF: cloud cover 44 % is above the limit of 30 %" in msg
    assert "LC80630182016216LGN00_B8_yahtse_crop.TIF: cloud cover 52 % is above the limit of 30 %" in msg
    assert "Raise Maximum cloud cover %" in msg
    dlg.max_cloud.setValue(50)  # one scene usable: it has no partner
    assert dlg.propose() == []
    msg = dlg.message.text()
    assert "52 % is above the limit of 50 %" in msg and "no other usable L8 scene" in msg
    dlg.max_cloud.setValue(60)
    assert len(dlg.propose()) == 1 and "Left out" not in dlg.message.text()
    assert dlg.pair_table.item(0, 4).text() == "only usable scene of 2016-07; bridged to the next"


def test_chooser_offers_method_window_and_shows_the_speed_default(qgis_iface, glacvel_processing,
                                                                  tmp_path):
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    assert dlg.max_speed.value() == 0 and dlg.max_speed.specialValueText() == "algorithm default (20 m/d)"
    # every METHOD of glacvel:optical_correlation, its default (lk_phase) selected
    assert dlg.window.value() == 32 and dlg.method.count() == 4
    assert dlg.method.currentData() == 3
    dlg.scan(YAHTSE)
    dlg.max_cloud.setValue(60)
    dlg.set_all_checked(True)
    dlg.propose()
    dlg.method.setCurrentIndex(2)
    dlg.window.setValue(24)
    from glacvel_plugin.gui.scene_chooser import build_chain
    steps = build_chain(dlg.pairs, str(tmp_path), None, True, None, method=dlg.method.currentData(),
                        window=dlg.window.value())
    assert steps[0].alg_id == "glacvel:optical_correlation"
    assert steps[0].params["METHOD"] == 2 and steps[0].params["WINDOW"] == 24
    assert "MAX_SPEED" not in steps[0].params


# --------------------------------------------------------------------------- 8. reference dialog
def test_reference_dialog_starts_empty(qgis_iface, clean_project, tmp_path):
    """A stable-ground polygon layer and an arrows layer are loaded: the dialog proposes
    neither as reference polygons nor as GNSS points."""
    from qgis.core import QgsVectorLayer

    from glacvel_plugin import styling
    from glacvel_plugin.gui.reference_dialog import ReferenceDialog
    stable = QgsVectorLayer(os.path.join(YAHTSE, "stable_ground.geojson"), "stable ground", "ogr")
    assert stable.isValid()
    clean_project.addMapLayer(stable)
    path, _ = kaskawulsh_product(tmp_path / "L8.tif")
    clean_project.addMapLayer(styling.arrows_layer(path))
    dlg = ReferenceDialog(qgis_iface)
    assert dlg.polygons.currentLayer() is None
    assert dlg.points.currentLayer() is None
    # the polygon layer is still offered, the arrows are not
    assert dlg.polygons.count() == 2
    assert dlg.points.count() == 1


# --------------------------------------------------------------------------- 3. the model
def test_model_validates_with_display_name_and_inputs_in_order(glacvel_processing):
    """The shipped model validates as the Graphical Modeler checks it (every child
    parameter has a value), shows a name, and lists its inputs in the order of use."""
    from qgis.core import QgsApplication, QgsProcessingModelAlgorithm

    from glacvel_plugin.processing_provider.alg_workflows import model_path
    alg = QgsApplication.processingRegistry().createAlgorithmById("glacvel:velocity_chain")
    ok, errors = alg.validate()
    assert ok, errors
    assert alg.id() == "glacvel:velocity_chain"
    assert alg.displayName() == "Velocity chain: correlate, correct, fuse"
    assert [d.name() for d in alg.parameterDefinitions() if not d.isDestination()] == \
        ["reference_image", "secondary_image", "max_speed", "stable_ground", "other_products",
         "weights"]
    # the file as the Graphical Modeler opens it (Model → Open Model…)
    raw = QgsProcessingModelAlgorithm()
    assert raw.fromFile(model_path())
    ok, errors = raw.validate()
    assert ok, errors
    assert raw.name() == "Velocity chain: correlate, correct, fuse"
    assert [d.name() for d in raw.parameterDefinitions() if not d.isDestination()] == \
        ["reference_image", "secondary_image", "max_speed", "stable_ground", "other_products",
         "weights"]
    assert raw.parameterDefinition("max_speed").metadata()["widget_wrapper"]["decimals"] == 2
    # the children carry their algorithms' defaults, e.g. the 32 px window, phase
    # correlation, high-pass pre-filter, median-test threshold 2
    corr = raw.childAlgorithm("correlate").parameterSources()
    assert corr["WINDOW"][0].staticValue() == 32 and corr["METHOD"][0].staticValue() == 3
    assert corr["PREFILTER"][0].staticValue() == 1 and corr["MEDIAN_TEST"][0].staticValue() == 2.0
    correct = raw.childAlgorithm("correct").parameterSources()
    for name in ("BUFFER", "MODEL", "HOLDOUT_BLOCK", "ERROR_MEASURE"):
        assert name in correct, name
    assert "TARGET_RESOLUTION" in raw.childAlgorithm("fuse").parameterSources()


# --------------------------------------------------------------------------- 4. toolbox outputs
TINY = os.path.join(ROOT, "tests", "data", "desktop", "yahtse_tiny")
TINY_REF = os.path.join(TINY, "LC80630182016200LGN00_B8_tiny.TIF")
TINY_SEC = os.path.join(TINY, "LC80630182016216LGN00_B8_tiny.TIF")


def _toolbox_run(alg_id, params, project):
    """Run as the toolbox does: processing.run with a context, then Processing's own
    loader (``handleAlgorithmResults``), which calls the layer post-processors."""
    if "/usr/share/qgis/python/plugins" not in sys.path:
        sys.path.append("/usr/share/qgis/python/plugins")
    import processing
    from processing.gui.Postprocessing import handleAlgorithmResults
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback
    context = QgsProcessingContext()
    context.setProject(project)
    feedback = QgsProcessingFeedback()
    loaded = []

    def on_finish(alg, ctx, fb):
        loaded.extend(ctx.layersToLoadOnCompletion().keys())
        assert all(ctx.layerToLoadOnCompletionDetails(k).postProcessor() is not None
                   for k in loaded)
        handleAlgorithmResults(alg, ctx, fb, parameters=params)
    res = processing.run(alg_id, params, onFinish=on_finish, feedback=feedback, context=context)
    return res, loaded


def _layers_by_source(project):
    return {os.path.abspath(lyr.source()): lyr for lyr in project.mapLayers().values()
            if lyr.type() == lyr.RasterLayer}


def test_toolbox_output_loads_named_styled_labelled_with_arrows(glacvel_processing, clean_project,
                                                                tmp_path):
    from qgis.core import (QgsMapLayerLegendUtils, QgsProcessingOutputLayerDefinition,
                           QgsSingleBandPseudoColorRenderer, QgsStyle)
    out = str(tmp_path / "corr.tif")
    res, loaded = _toolbox_run("glacvel:optical_correlation", {
        "REFERENCE": TINY_REF, "SECONDARY": TINY_SEC, "MAX_SPEED": 25.0,
        "OUTPUT": QgsProcessingOutputLayerDefinition(out, clean_project)}, clean_project)
    assert loaded == [out]
    layer = _layers_by_source(clean_project)[os.path.abspath(out)]
    assert layer.name() == "L8 2016-07-18 → 2016-08-03"          # not "Velocity product"
    r = layer.renderer()
    assert isinstance(r, QgsSingleBandPseudoColorRenderer) and r.band() == 1
    viridis = QgsStyle.defaultStyle().colorRamp("Viridis")
    assert r.shader().rasterShaderFunction().colorRampItemList()[-1].color.name() == \
        viridis.color(1).name()
    with rasterio.open(out) as ds:
        v = ds.read(1, masked=True).compressed()
    assert r.classificationMax() == pytest.approx(np.percentile(v, 98), rel=0.03)
    node = clean_project.layerTreeRoot().findLayer(layer.id())
    assert QgsMapLayerLegendUtils.legendNodeUserLabel(node, 0) == "speed (m/d)"
    # the arrows layer sits directly above its raster
    parent = node.parent()
    kids = [n.layer() for n in parent.children()]
    arrows = kids[kids.index(layer) - 1]
    assert arrows.customProperty("glacvel/style") == "arrows" and arrows.featureCount() > 10
    assert arrows.name() == "L8 2016-07-18 → 2016-08-03 arrows"


def test_model_outputs_load_styled_too(glacvel_processing, clean_project, tmp_path):
    from qgis.core import QgsProcessingOutputLayerDefinition, QgsSingleBandPseudoColorRenderer
    corrected, fused = str(tmp_path / "corrected.tif"), str(tmp_path / "fused.tif")
    _toolbox_run("glacvel:velocity_chain", {
        "reference_image": TINY_REF, "secondary_image": TINY_SEC, "max_speed": 25.0,
        "stable_ground": os.path.join(YAHTSE, "stable_ground.geojson"),
        "correct:corrected": QgsProcessingOutputLayerDefinition(corrected, clean_project),
        "fuse:fused": QgsProcessingOutputLayerDefinition(fused, clean_project)}, clean_project)
    layers = _layers_by_source(clean_project)
    for path, name in ((corrected, "L8 2016-07-18 → 2016-08-03"),
                       (fused, "fused L8 2016-07-18 → 2016-08-03")):
        layer = layers[os.path.abspath(path)]
        assert layer.name() == name
        assert isinstance(layer.renderer(), QgsSingleBandPseudoColorRenderer)
        assert layer.customProperty("glacvel/style") == "velocity"


# --------------------------------------------------------------------------- 6. help
def test_help_button_labels_and_decimals(glacvel_processing):
    import re

    from qgis.core import QgsApplication, QgsProcessingParameterNumber
    reg = QgsApplication.processingRegistry()
    for alg in glacvel_processing.algorithms():
        if alg.id() == "glacvel:velocity_chain":
            continue
        alg = reg.createAlgorithmById(alg.id())
        url = alg.helpUrl()
        assert url.startswith("https://github.com/glacvel/glacvel/blob/main/docs/"), alg.id()
        assert os.path.exists(os.path.join(ROOT, "docs", url.rsplit("/", 1)[1])), url
        text = alg.shortHelpString()
        ids = [d.name() for d in alg.parameterDefinitions()] + [d.name() for d in alg.outputDefinitions()]
        for name in ids:
            if re.fullmatch(r"[A-Z][A-Z0-9_]{2,}", name):
                assert not re.search(rf"(?<![A-Za-z0-9_“]){name}(?![A-Za-z0-9_”])", text), \
                    (alg.id(), name)
        assert not re.search(r"\d\.\d{6}", text)
        for d in alg.parameterDefinitions():
            if isinstance(d, QgsProcessingParameterNumber) and \
                    d.dataType() == QgsProcessingParameterNumber.Double:
                dec = d.metadata()["widget_wrapper"]["decimals"]
                assert 2 <= dec <= 4
                assert round(float(d.defaultValue()), dec) == pytest.approx(float(d.defaultValue()))
    sg = reg.createAlgorithmById("glacvel:stable_ground_correction")
    text = sg.shortHelpString()
    assert "“Stable-ground polygons”" in text and "“Buffer around glacier outlines”" in text
    assert "STABLE_GROUND" not in text and "BUFFER" not in text
    assert sg.helpUrl().endswith("docs/stable_ground.md")
    assert reg.createAlgorithmById("glacvel:optical_correlation").helpUrl().endswith("docs/correlation.md")


# --------------------------------------------------------------------------- 7. progress
def test_progress_log_every_update_tenths_and_heartbeat():
    from glacvel_plugin.processing_provider.base import ProgressLog

    class Feedback:
        def __init__(self):
            self.values, self.lines = [], []

        def setProgress(self, v):  # noqa: N802
            self.values.append(v)

        def pushInfo(self, t):  # noqa: N802
            self.lines.append(t)

        def isCanceled(self):  # noqa: N802
            return False

    now = [0.0]
    fb = Feedback()
    log = ProgressLog(fb, 0, 100, heartbeat=10.0, clock=lambda: now[0])
    for k in range(1, 201):      # 200 strips, 0.5 s each
        now[0] += 0.5
        log.progress(k / 200)
    assert len(fb.values) == 200 and fb.values[-1] == 100.0   # every update reaches the bar
    assert set(int(v) for v in fb.values) == set(range(101))  # ≥ 1 update per percent
    done = [t for t in fb.lines if "% done" in t]
    assert len(done) == 10 and done[0] == "10 % done after 10 s, about 90 s left"
    assert done[-1] == "100 % done after 100 s"
    # a long silent strip: is_canceled (asked between batches) logs that it still runs
    log2 = ProgressLog(fb, 0, 100, heartbeat=10.0, clock=lambda: now[0])
    log2.progress(0.05)
    now[0] += 11
    assert log2.is_canceled() is False
    assert fb.lines[-1] == "still working: 5 % after 11 s"
    n = len(fb.lines)
    now[0] += 2
    log2.is_canceled()
    assert len(fb.lines) == n   # no flood


def test_correlation_logs_stages_between_start_and_summary(run_alg, tmp_path):
    from qgis.core import QgsProcessingFeedback

    class Recorder(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.lines, self.values = [], []

        def pushInfo(self, t):  # noqa: N802
            self.lines.append(t)
            super().pushInfo(t)

        def setProgress(self, v):  # noqa: N802
            self.values.append(v)
            super().setProgress(v)
    fb = Recorder()
    run_alg("glacvel:optical_correlation", {"REFERENCE": TINY_REF, "SECONDARY": TINY_SEC,
                                             "MAX_SPEED": 25.0, "OUTPUT": str(tmp_path / "c.tif")},
            feedback=fb)
    assert fb.lines[0].startswith("Δt = 16.000 d (2016-07-18")
    assert "aligning the secondary image" in fb.lines[1]
    assert any(t.startswith("100 % done after") for t in fb.lines)
    assert fb.lines[-2].startswith("window 32 px, step 2 px")  # then Processing's "Results"
    assert fb.values == sorted(fb.values) and fb.values[-1] == 100.0
    # at least one update per percent on this one-strip run of the default engine
    assert set(int(v) for v in fb.values) >= set(range(1, 101)), sorted(
        set(range(1, 101)) - set(int(v) for v in fb.values))


# --------------------------------------------------------------------------- 1. Chinese


def test_catalogue_follows_qgis_locale_names():
    from glacvel_plugin.i18n import catalogue_names
    for loc in ("zh-Hans", "zh_Hans", "zh-Hans-CN", "zh_CN", "zh-CN", "zh_SG", "zh"):
        assert catalogue_names(loc)[0] == "zh_CN", loc
    for loc in ("zh-Hant", "zh_TW", "zh_HK"):
        assert catalogue_names(loc) == ["zh_TW"], loc   # never Simplified for Traditional
    assert catalogue_names("de-DE") == ["de_DE", "de"] and catalogue_names("en") == ["en"]
    assert catalogue_names("") == []


def test_zh_hans_translates_algorithms_messages_reasons_and_model(qgis_in_chinese, glacvel_processing,
                                                                   run_alg, tmp_path):
    from qgis.core import QgsApplication, QgsProcessingFeedback

    from glacvel_plugin.gui.scene_chooser import translate_reason
    from glacvel_plugin.i18n import user_locale
    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    assert user_locale() == "zh-Hans" and qgis_in_chinese
    assert GlacvelProvider().name() == "冰川流速"
    reg = QgsApplication.processingRegistry()
    corr = reg.createAlgorithmById("glacvel:optical_correlation")
    assert corr.displayName() == "光学影像相关匹配（流速）"
    model = reg.createAlgorithmById("glacvel:velocity_chain")
    assert model.displayName() == "流速流程：相关匹配、校正、融合"
    assert model.parameterDefinition("reference_image").description() == "参考影像（较早）"
    assert translate_reason("first and last scene of 2016-07") == "2016-07 的首景与末景"
    assert translate_reason("Sentinel-1 24-day baseline") == "Sentinel-1 24 天时间基线"
    # help texts name the parameters by their translated labels
    sg = reg.createAlgorithmById("glacvel:stable_ground_correction")
    label = sg.parameterDefinition("STABLE_GROUND").description()
    assert label != "Stable-ground polygons" and f"“{label.split(' (')[0].split('（')[0]}”" in \
        sg.shortHelpString()

    class Recorder(QgsProcessingFeedback):
        lines = []

        def pushInfo(self, t):  # noqa: N802
            self.lines.append(t)
    fb = Recorder()
    run_alg("glacvel:optical_correlation", {"REFERENCE": TINY_REF, "SECONDARY": TINY_SEC,
                                             "MAX_SPEED": 25.0, "OUTPUT": str(tmp_path / "c.tif")},
            feedback=fb)
    assert fb.lines[0].startswith("Δt = 16.000 天（2016-07-18")
    assert fb.lines[1].endswith("将次影像对齐到参考影像格网，然后在影像金字塔上进行粗搜索，再逐条带进行全分辨率匹配")
    assert any(t.startswith("已完成 100 %") for t in fb.lines)
    assert any(t.startswith("窗口 32 px，步长 2 px") for t in fb.lines)


def test_zh_hans_chooser_message_in_chinese(qgis_in_chinese, qgis_iface):
    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    dlg.scan(YAHTSE)
    dlg.set_all_checked(True)
    assert dlg.propose() == []
    msg = dlg.message.text()
    assert msg.startswith("没有符合规则的像对") and "云量 44 % 超过上限 30 %" in msg
    assert "请提高“最大云量 %”" in msg


def test_chooser_run_reports_each_step_and_its_log_lines(qgis_iface, glacvel_processing, tmp_path):
    """The background dataset job tells the dialog (and the log) what it does while it
    runs: the catalogue, each pair, the months and the summary."""
    import time

    from qgis.PyQt.QtCore import QCoreApplication

    from glacvel_plugin.gui.scene_chooser import SceneChooserDialog
    dlg = SceneChooserDialog(qgis_iface)
    dlg.scan(TINY)
    dlg.max_cloud.setValue(60)
    dlg.set_all_checked(True)
    assert len(dlg.propose()) == 1
    dlg.out_dir.setFilePath(str(tmp_path / "out"))
    dlg.max_speed.setValue(25)
    seen, done = [], []
    dlg.taskFinished.connect(lambda t: done.append((t.error, list(t.log))))
    task = dlg.run_chain()
    task.stepMessage.connect(seen.append)
    t0 = time.monotonic()
    while not done and time.monotonic() - t0 < 600:
        QCoreApplication.processEvents()
        time.sleep(0.02)
    assert done and done[0][0] is None, done
    log = done[0][1]
    assert log[0] == "2 scene(s), 1 pair(s)"
    assert any(m.startswith("L8_20160718T2037_20160803T2037_") and m.endswith(": done")
               for m in log)
    assert "building 1 monthly product(s)" in log
    assert any(m.startswith("201607: 1 pair(s) from L8") for m in log)
    assert any(m.startswith("1 of 1 pairs done") for m in log)
    # the user's folders, never a hidden staging folder, in every message
    assert not any(".glacvel-" in m for m in log), log
    assert seen  # the dialog received them while the run went on
    from qgis.core import QgsProject
    QgsProject.instance().removeAllMapLayers()
    QgsProject.instance().layerTreeRoot().removeAllChildren()
