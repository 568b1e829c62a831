"""pytest plugin: the QGIS profile of a test session lives in a temporary folder.

pytest-qgis 5 starts QGIS with the profile ``<rootdir>/.qgis-settings``, which QGIS
rewrites on every run (``qgis-auth.db``, ``qgis.db``, ``QGIS3.ini``). Loaded with ``-p``
(pytest.ini), before pytest-qgis starts QGIS, this plugin gives it a fresh folder under
the system's temporary directory instead, removed when the session ends, so a test run
writes nothing into the checkout and never sees a profile left by an earlier run.

It also points numba's cache of compiled kernels (``glacvel_plugin/core/*_kernels.py``,
``cache=True``: by default in ``__pycache__`` beside the module) at the user's cache
folder, ``~/.cache/glacvel/numba``, unless ``NUMBA_CACHE_DIR`` is set: kept between runs
(compiling the kernels takes seconds) and outside the checkout.
"""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("NUMBA_CACHE_DIR",
                      os.path.join(os.path.expanduser("~"), ".cache", "glacvel", "numba"))

import pytest_qgis.plugin as _pytest_qgis

_load_settings = _pytest_qgis._load_qgis_settings
_PROFILE = Path(tempfile.mkdtemp(prefix="glacvel-qgis-profile-"))
atexit.register(shutil.rmtree, _PROFILE, ignore_errors=True)


class _ProfileRoot:
    """The pytest config, except that its ``rootpath`` is the temporary profile's parent."""

    def __init__(self, config):
        self._config = config

    rootpath = _PROFILE

    def __getattr__(self, name):
        return getattr(self._config, name)


def _load_settings_in_temporary_profile(config):
    _load_settings(_ProfileRoot(config))


_pytest_qgis._load_qgis_settings = _load_settings_in_temporary_profile
