"""Shared test fixtures: paths to the real sample data and the QGIS Processing setup.

pytest-qgis starts one offscreen QgsApplication for the session. Unit tests of
``glacvel_plugin.core`` never import QGIS themselves.
"""
import os
import sys

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# QGIS writes .aux.xml statistics beside rasters it reads; keep the (shared) data untouched
os.environ.setdefault("GDAL_PAM_ENABLED", "NO")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED_DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
TEST_DATA = os.path.join(ROOT, "tests", "data")


def shared_data(*parts):
    """Path in ../shared/data; skips nothing: the data are required (CI has them)."""
    p = os.path.join(SHARED_DATA, *parts)
    assert os.path.exists(p), f"missing real sample data {p} (../shared must sit beside the repo)"
    return p


def test_data(*parts):
    """Path in tests/data (small real crops shipped with the repo)."""
    p = os.path.join(TEST_DATA, *parts)
    assert os.path.exists(p), f"missing test data {p}"
    return p


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
