"""glacvel:optical_correlation end to end on the real Yahtse Landsat-8 pair.

Sample locations (UTM 7N, chosen by looking at the reference image and at a first
speed map, see docs/correlation.md):
* trunk: x 479 800–480 800 m, y 6 670 000–6 672 000 m, the centre of the lower
  Yahtse trunk (a 1 km wide band of crevassed ice flowing S/SSW to Icy Bay);
* rock: x 483 000–489 000 m, y 6 674 000–6 680 000 m, the ice-free mountains east of
  the trunk (no flow structure in the speed map), and there the darker half of the
  windows by mean reference DN: bare rock rather than the melting snow patches.

The pair carries a real co-registration offset: every stable area and every method
(ours, phase or NCC at any window, and scikit-image's phase_cross_correlation on the
whole rock area) gives ≈0.15–0.18 px (2.2–2.7 m) southwards between the dates, i.e.
≈0.15 m/d of apparent speed on rock before any stable-ground correction. The test
asserts that offset, and < 0.1 m/d after removing it.
"""
import os
import shutil
import subprocess

import numpy as np
import pytest
import rasterio
from rasterio.windows import Window

from glacvel_plugin.io.product import VELOCITY_BANDS, read_product
from tests.conftest import ROOT, YAHTSE_REF, YAHTSE_SEC, test_data

QGIS_PROCESS = shutil.which("qgis_process.bin") or "/usr/bin/qgis_process.bin"
REF = test_data(*YAHTSE_REF)
SEC = test_data(*YAHTSE_SEC)
TRUNK = (479800, 480800, 6670000, 6672000)
ROCK = (483000, 489000, 6674000, 6680000)


def _box(p, name, box):
    x0, x1, y0, y1 = box
    T = p.transform
    c0, r0 = ~T * (x0, y1)
    c1, r1 = ~T * (x1, y0)
    return p.band(name)[max(int(r0), 0):int(np.ceil(r1)), max(int(c0), 0):int(np.ceil(c1))]


@pytest.fixture(scope="module")
def provider(qgis_app, qgis_processing):
    """The glacvel provider for this module only.

    Registered here (not through the session fixture) and removed at the end of the
    module when this module added it: tests/qgis/test_plugin.py unloads the provider it
    finds, which would leave a session-wide provider object deleted for later modules.
    """
    from qgis.core import QgsApplication

    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    registry = QgsApplication.processingRegistry()
    existing = registry.providerById("glacvel")
    if existing is not None:
        yield existing
        return
    own = GlacvelProvider()
    assert registry.addProvider(own)
    yield own
    if registry.providerById("glacvel") is own:
        registry.removeProvider(own)


def _run(alg_id, params, feedback=None):
    import sys
    if "/usr/share/qgis/python/plugins" not in sys.path:
        sys.path.append("/usr/share/qgis/python/plugins")
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run(alg_id, params, context=context,
                          feedback=feedback or QgsProcessingFeedback())


@pytest.fixture(scope="module")
def yahtse_product(provider, tmp_path_factory):
    from qgis.core import QgsProcessingFeedback
    out = str(tmp_path_factory.mktemp("yahtse") / "yahtse_v.tif")

    class Feedback(QgsProcessingFeedback):
        values = []

        def setProgress(self, p):
            Feedback.values.append(p)
            super().setProgress(p)
    res = _run("glacvel:optical_correlation",
               {"REFERENCE": REF, "SECONDARY": SEC, "WINDOW": 32, "STEP": 4, "OUTPUT": out},
               feedback=Feedback())
    return read_product(res["OUTPUT"]), Feedback.values


def test_yahtse_trunk_speed_and_direction(yahtse_product):
    p, progress = yahtse_product
    assert list(p.bands) == list(VELOCITY_BANDS)
    assert p.tags["SENSOR"] == "L8" and p.tags["STEP"] == "4" and p.tags["WINDOW"] == "32"
    assert p.tags["START_TIME"] == "2016-07-18T20:37:06Z"
    assert p.tags["END_TIME"] == "2016-08-03T20:37:09Z"
    assert float(p.tags["DT_DAYS"]) == pytest.approx(16.0, abs=0.01)
    assert p.resolution == (60.0, 60.0)
    v = _box(p, "v", TRUNK)
    assert np.isfinite(v).mean() > 0.9
    assert 10.0 <= np.nanmedian(v) <= 16.0
    assert np.nanpercentile(v, 90) <= 18.0
    az = np.degrees(np.arctan2(np.nanmedian(_box(p, "vx", TRUNK)),
                           np.nanmedian(_box(p, "vy", TRUNK)))) % 360
    assert 180.0 <= az <= 215.0, az                   # towards S/SSW
    assert progress and max(progress) == pytest.approx(100.0)


def _bare_rock(p):
    """Darker half (mean DN of the 32-px window in the reference) of the ROCK box."""
    from scipy import ndimage
    with rasterio.open(REF) as ds:
        mean_dn = ndimage.uniform_filter(ds.read(1).astype(np.float64), 32)
    step = int(p.tags["STEP"])
    centres = mean_dn[16::step, 16::step][:p.shape[0], :p.shape[1]]
    from glacvel_plugin.io.product import VelocityProduct
    dn = _box(VelocityProduct({"dn": centres}, p.transform, p.crs), "dn", ROCK)
    return dn <= np.nanmedian(dn)


def test_yahtse_rock_is_stable_up_to_the_pair_coregistration_offset(yahtse_product):
    p, _ = yahtse_product
    vx, vy, v = (_box(p, b, ROCK) for b in ("vx", "vy", "v"))
    assert np.isfinite(v).mean() > 0.95
    # the real co-registration offset of this pair: ≈0.15 px south over 16 d
    assert abs(np.nanmedian(vx)) < 0.06
    assert -0.25 < np.nanmedian(vy) < -0.08
    assert np.nanmedian(v) < 0.25
    # on bare rock, after removing the offset (glacvel's stable-ground step), < 0.1 m/d
    rock = _bare_rock(p)
    vx, vy = vx[rock], vy[rock]
    resid = np.hypot(vx - np.nanmedian(vx), vy - np.nanmedian(vy))
    assert np.nanmedian(resid) < 0.1
    for comp in (vx, vy):
        assert 1.4826 * np.nanmedian(np.abs(comp - np.nanmedian(comp))) < 0.09


def test_outliers_are_nodata_never_zero(yahtse_product):
    p, _ = yahtse_product
    v = p.band("v")
    assert np.isnan(v).any() and (v[np.isfinite(v)] > 0).all()


def test_bad_input_through_processing_leaves_no_output(provider, tmp_path):
    from qgis.core import QgsProcessingException
    with rasterio.open(REF) as ds:
        prof = dict(ds.profile, count=3)
        a = ds.read(1, window=Window(300, 4, 200, 150))
        prof.update(width=200, height=150, transform=ds.window_transform(Window(300, 4, 200, 150)))
    rgb = str(tmp_path / "rgb.tif")
    with rasterio.open(rgb, "w", **prof) as ds:
        ds.write(np.stack([a, a, a]))
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(QgsProcessingException, match="has 3 bands; choose the band"):
        _run("glacvel:optical_correlation",
             {"REFERENCE": rgb, "SECONDARY": SEC, "REFERENCE_TIME": "2016-07-18T20:37:06",
              "OUTPUT": str(out / "v.tif")})
    with pytest.raises(QgsProcessingException, match="time baseline must be positive"):
        _run("glacvel:optical_correlation",
             {"REFERENCE": SEC, "SECONDARY": REF, "OUTPUT": str(out / "v.tif")})
    assert os.listdir(out) == []


@pytest.fixture(scope="module")
def built_plugin(tmp_path_factory):
    build = tmp_path_factory.mktemp("build")
    subprocess.run(["bash", "scripts/package.sh"], cwd=ROOT, check=True, capture_output=True,
                   env=dict(os.environ, GLACVEL_BUILD_DIR=str(build),
                            GLACVEL_DIST_DIR=str(build / "dist")))
    return str(build)


def test_qgis_process_runs_the_algorithm(built_plugin, tmp_path):
    crops = {}
    for name, path in (("ref", REF), ("sec", SEC)):
        with rasterio.open(path) as ds:
            win = Window(100, 404, 320, 320)
            prof = dict(ds.profile, width=320, height=320, transform=ds.window_transform(win))
            crops[name] = str(tmp_path / f"{name}.tif")
            with rasterio.open(crops[name], "w", **prof) as out:
                out.write(ds.read(1, window=win), 1)
    env = dict(os.environ, QGIS_PLUGINPATH=built_plugin, QT_QPA_PLATFORM="offscreen",
               HOME=str(tmp_path), XDG_RUNTIME_DIR=str(tmp_path))
    enable = subprocess.run([QGIS_PROCESS, "plugins", "enable", "glacvel_plugin"], env=env,
                            capture_output=True, text=True, timeout=300)
    assert enable.returncode == 0 or "already enabled" in enable.stderr, \
        enable.stdout + enable.stderr
    out = str(tmp_path / "v.tif")
    run = subprocess.run([QGIS_PROCESS, "run", "glacvel:optical_correlation", "--",
                          f"REFERENCE={crops['ref']}", f"SECONDARY={crops['sec']}",
                          "REFERENCE_TIME=2016-07-18T20:37:06", "SECONDARY_TIME=2016-08-03T20:37:09",
                          "WINDOW=32", "STEP=4", "MAX_SPEED=20", f"OUTPUT={out}"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    p = read_product(out)
    assert list(p.bands) == list(VELOCITY_BANDS)
    assert np.nanmax(p.band("v")) > 10.0                 # the crop holds part of the trunk


@pytest.mark.parametrize("method,threshold,removed", [(2, 0.6, True), (0, -0.05, False)])
def test_negative_min_quality_is_applied_zero_is_off(run_alg, tmp_path, method, threshold,
                                                     removed):
    """MIN_QUALITY 0 = no threshold; any other value, negative too, is a real threshold
    applied on top of the engine's own tests. On the tiny Yahtse crops (300 × 300 px,
    32 px windows, 8 px step) Lucas-Kanade quality (NCC of the deformed windows, which
    the engine already requires to be >= 0.3) spans 0.3..1, so 0.6 removes exactly the
    windows below it; phase coherence is >= 0, so -0.05 is recorded and removes nothing."""
    from tests.conftest import test_data
    ref = test_data("desktop", "yahtse_tiny", "LC80630182016200LGN00_B8_tiny.TIF")
    sec = test_data("desktop", "yahtse_tiny", "LC80630182016216LGN00_B8_tiny.TIF")
    common = dict(REFERENCE=ref, SECONDARY=sec, WINDOW=32, STEP=8, MAX_SPEED=5.0,
                  METHOD=method, MEDIAN_TEST=0)   # median test off: only the threshold acts
    off = read_product(run_alg("glacvel:optical_correlation", dict(
        common, MIN_QUALITY=0.0, OUTPUT=str(tmp_path / "off.tif")))["OUTPUT"])
    thr = read_product(run_alg("glacvel:optical_correlation", dict(
        common, MIN_QUALITY=threshold, OUTPUT=str(tmp_path / "thr.tif")))["OUTPUT"])
    assert off.tags.get("MIN_QUALITY", "") == ""
    assert float(thr.tags["MIN_QUALITY"]) == threshold
    q_off = off.band("quality")
    valid_off, valid_thr = np.isfinite(off.band("vx")), np.isfinite(thr.band("vx"))
    below = valid_off & (q_off < threshold)
    assert bool(below.any()) is removed, np.nanmin(q_off)
    assert bool((valid_off & ~below).any())
    np.testing.assert_array_equal(valid_thr, valid_off & ~below)
    assert not np.any(thr.band("quality") < threshold)
    np.testing.assert_array_equal(thr.band("vx")[valid_thr], off.band("vx")[valid_thr])


def test_default_method_is_the_lk_phase_engine_and_all_engines_are_offered(provider):
    """METHOD left alone gives lk_phase (coarse search, deformable Lucas-Kanade, phase
    correlation where it is rejected); phase, NCC and lk stay selectable by index."""
    from qgis.core import QgsApplication

    from glacvel_plugin.processing_provider.alg_correlation import METHOD_KEYS
    alg = QgsApplication.processingRegistry().algorithmById("glacvel:optical_correlation")
    param = alg.parameterDefinition("METHOD")
    assert METHOD_KEYS[int(param.defaultValue())] == "lk_phase"
    assert METHOD_KEYS[:3] == ["phase", "ncc", "lk"] and len(param.options()) == 4
    assert "phase correlation" in alg.shortHelpString()
