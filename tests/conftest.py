"""Shared test fixtures: paths to the real sample data and the QGIS Processing setup.

Every test reads only what ships in the repository: the real crops in ``tests/data``
(each folder's SOURCE.txt says where they come from; ``scripts/make_test_data.py`` cuts
them) and the demo inputs in ``demo/data``. Nothing beside the checkout is needed.

pytest-qgis starts one offscreen QgsApplication for the session. Unit tests of
``glacvel_plugin.core`` never import QGIS themselves.
"""
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QGIS writes .aux.xml statistics beside rasters it reads; keep the sample data untouched
os.environ.setdefault("GDAL_PAM_ENABLED", "NO")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_DATA = os.path.join(ROOT, "tests", "data")
DEMO_DATA = os.path.join(ROOT, "demo", "data")

# The Yahtse Landsat-8 B8 pair in tests/data: rows 96-1087, cols 700-1698 of the full
# 1087 x 1698 px scenes (EPSG:32607, 15 m), with their MTL files in mtl/.
YAHTSE_REF = ("yahtse_landsat8", "LC80630182016200LGN00_B8_yahtse_tests.TIF")
YAHTSE_SEC = ("yahtse_landsat8", "LC80630182016216LGN00_B8_yahtse_tests.TIF")
# The Sentinel-1B EW HH pair (dB, 100 m, EPSG:5041): rows 0-448, cols 0-704 of the scenes.
S1_PAIR = "s1_seaice_pair"


def test_data(*parts):
    """Path in tests/data (small real crops shipped with the repo)."""
    p = os.path.join(TEST_DATA, *parts)
    assert os.path.exists(p), f"missing test data {p}"
    return p


test_data.__test__ = False  # a path helper, not a test


def carst_velocity(stem, component):
    """Path of a CARST Kaskawulsh raster (``stem`` e.g. ``LS8-061018_20180304-20180405``,
    ``component`` vx, vy, errx or erry): the March pair ships with the demo, the August
    Landsat-8 and May Sentinel-2 pairs in tests/data/kaskawulsh_multisensor."""
    name = f"{stem}_velo-corrected_{component}_SNT-GAU-RSO.tif"
    demo = os.path.join(DEMO_DATA, "kaskawulsh", name)
    if os.path.exists(demo):
        return demo
    return test_data("kaskawulsh_multisensor", "carst_velocity", name)


def s1_pair():
    """The two Sentinel-1 scenes of tests/data/s1_seaice_pair, earlier first."""
    folder = test_data(S1_PAIR)
    return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                  if n.startswith("clip_HH_S1B_") and n.endswith(".tif"))


_PROVIDERS = []  # Python references to the providers registered here, or they vanish


def _ensure_glacvel_provider():
    """The registered glacvel provider, registering a new one when none is."""
    from qgis.core import QgsApplication

    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    registry = QgsApplication.processingRegistry()
    provider = registry.providerById("glacvel")
    if provider is None:
        provider = GlacvelProvider()
        assert registry.addProvider(provider)
        _PROVIDERS.append(provider)
    return provider


@pytest.fixture(scope="session")
def glacvel_processing(qgis_app, qgis_processing):
    """QGIS Processing initialised with the glacvel provider registered.

    Yields the provider; tests call ``processing.run('glacvel:...', params)``.
    """
    provider = _ensure_glacvel_provider()
    _PROVIDERS.append(provider)
    yield provider


@pytest.fixture(autouse=True)
def _glacvel_provider_stays_registered():
    """Put the provider back after a test that unloads the plugin (tests/qgis/test_plugin.py)."""
    yield
    if _PROVIDERS:  # Processing was set up in this session
        _ensure_glacvel_provider()


@pytest.fixture
def run_alg(glacvel_processing):
    """``run_alg(alg_id, params) -> results`` through ``processing.run`` with a fresh context."""
    if "/usr/share/qgis/python/plugins" not in sys.path:
        sys.path.append("/usr/share/qgis/python/plugins")
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def _run(alg_id, params, feedback=None):
        context = QgsProcessingContext()
        context.setProject(QgsProject.instance())
        return processing.run(alg_id, params, context=context,
                              feedback=feedback or QgsProcessingFeedback())
    return _run


@pytest.fixture(autouse=True)
def _collect_garbage_after_each_test():
    """Free Processing contexts kept alive by tracebacks while QGIS still runs.

    A ``pytest.raises`` around ``processing.run`` keeps the context in the traceback;
    collected after QGIS has exited, it crashes the interpreter at session end.
    """
    yield
    import gc
    gc.collect()
