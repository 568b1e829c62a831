"""glacvel:import_gnss and per-month fusion weights, on the real Kaskawulsh data in the repo.

Data: demo/data/kaskawulsh (CARST bedrock-corrected Landsat-8 2018-03-04→04-05 and
Sentinel-2 2018-03-04→03-14 vx/vy/errx/erry, 120 m, EPSG:32607, and the GNSS CSVs of
those two periods; whyjz/glacier-ft-test at commit c438a25, GPL-3.0 at that commit).
"""
import os

import pytest

from tests.conftest import ROOT

DEMO = os.path.join(ROOT, "demo", "data", "kaskawulsh")
GPS = os.path.join(DEMO, "gps")
GPS_FILES = sorted(os.path.join(GPS, f) for f in os.listdir(GPS))


def _layer(path):
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(path, "gnss", "ogr")
    assert lyr.isValid()
    return lyr


def test_import_gnss_kaskawulsh(run_alg, tmp_path):
    out = str(tmp_path / "gnss.gpkg")
    res = run_alg("glacvel:import_gnss", {"INPUT": GPS_FILES, "LAYOUT": 0, "OUTPUT": out})
    assert res["N_STATIONS"] == 5 and res["N_SKIPPED"] == 1
    lyr = _layer(res["OUTPUT"])
    assert lyr.crs().authid() == "EPSG:32607"
    feats = {(f["station"], f["days"]): f for f in lyr.getFeatures()}
    f = feats[("0", 32.0)]
    assert f["vx"] == pytest.approx(8.6812777086 / 32, abs=1e-6)
    assert f["vy"] == pytest.approx(10.9927393771 / 32, abs=1e-6)
    assert f["start_date"].date().toString("yyyy-MM-dd") == "2018-03-04"
    assert f["end_date"].date().toString("yyyy-MM-dd") == "2018-04-05"
    p = f.geometry().asPoint()
    assert p.x() == pytest.approx((621315.1008197918 + 621306.4195420832) / 2, abs=1e-3)


def test_import_gnss_errors_name_file_line_column(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    bad = tmp_path / "stations.csv"
    bad.write_text(",date1,date2,start_easting,start_northing,end_easting,end_northing\n"
                   "0,2018-04-05,2018-03-04,621315.1,6738840.4,621306.4,abc\n")
    with pytest.raises(QgsProcessingException,
                       match=r"stations.csv, line 2, column 'end_northing': 'abc' is not a number"):
        run_alg("glacvel:import_gnss", {"INPUT": [str(bad)], "OUTPUT": "memory:"})
    with pytest.raises(QgsProcessingException, match="geographic"):
        run_alg("glacvel:import_gnss", {"INPUT": GPS_FILES, "CRS": "EPSG:4326",
                                        "OUTPUT": "memory:"})
