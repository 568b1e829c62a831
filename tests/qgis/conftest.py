"""Fixtures shared by several QGIS test files (the session-wide ones are in tests/conftest.py)."""
import os
import shutil

import pytest

from tests.conftest import test_data as data_path
from tests.helpers import KASK_BEDROCK as BEDROCK, KASK_DEMO as KASK, KASK_L8_FILE as L8
from tests.helpers import KASK_S2_FILE as S2


@pytest.fixture(scope="module")
def kask(glacvel_processing, tmp_path_factory):
    """Private copies of the Kaskawulsh inputs and two imported velocity products."""
    import processing
    d = tmp_path_factory.mktemp("kask_in")
    for q in ("vx", "vy", "errx", "erry"):
        shutil.copy(os.path.join(KASK, L8.format(q)), d / L8.format(q))
    for q in ("vx", "vy"):
        shutil.copy(os.path.join(KASK, S2.format(q)), d / S2.format(q))
    for name in BEDROCK:
        shutil.copy(os.path.join(KASK, "stable_ground", name), d / name)
    for name in os.listdir(os.path.join(KASK, "gps")):
        shutil.copy(os.path.join(KASK, "gps", name), d / name)
    shutil.copy(data_path("kaskawulsh_flowline", "kaskawulsh_trunk.geojson"),
                d / "trunk.geojson")
    out = {}
    for key, pattern, start, end, sensor in (
            ("L8", L8, "2018-03-04T00:00:00", "2018-04-05T00:00:00", "Landsat-8"),
            ("S2", S2, "2018-03-04T00:00:00", "2018-03-14T00:00:00", "Sentinel-2")):
        params = {"VX": str(d / pattern.format("vx")), "VY": str(d / pattern.format("vy")),
                  "START_DATE": start, "END_DATE": end, "SENSOR": sensor,
                  "OUTPUT": str(d / f"{key}.tif")}
        if key == "L8":
            params.update(VX_ERROR=str(d / pattern.format("errx")),
                          VY_ERROR=str(d / pattern.format("erry")))
        out[key] = processing.run("glacvel:import_velocity", params)["OUTPUT"]
    out["folder"] = str(d)
    out["bedrock"] = str(d / "bedrock_V1.shp")
    out["trunk"] = str(d / "trunk.geojson")
    return out


@pytest.fixture
def qgis_in_chinese(qgis_app):
    """QGIS's options set to 简体中文 as QGIS stores it: locale/userLocale = zh-Hans."""
    from qgis.PyQt.QtCore import QSettings

    from glacvel_plugin.i18n import install_translator, remove_translator
    s = QSettings()
    old = {k: s.value(k) for k in ("locale/userLocale", "locale/overrideFlag")}
    s.setValue("locale/userLocale", "zh-Hans")
    s.setValue("locale/overrideFlag", True)
    try:
        yield install_translator()
    finally:
        for k, v in old.items():
            if v is None:
                s.remove(k)
            else:
                s.setValue(k, v)
        remove_translator()
