"""The demo (make demo) end to end on the bundled real data, checked by its outputs."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest
import rasterio

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("QGIS_CUSTOM_CONFIG_PATH", None)
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "demo.py"), str(out)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return out, proc.stdout


def _bands(path):
    with rasterio.open(path) as ds:
        return list(ds.descriptions), ds.tags(), ds.crs.to_epsg(), ds.res


def test_yahtse_velocity_product(demo_out):
    out, _ = demo_out
    path = out / "yahtse" / "yahtse_velocity.tif"
    names, tags, epsg, res = _bands(path)
    assert names[:6] == ["v", "vx", "vy", "dx", "dy", "quality"] and "v_error" in names
    assert epsg == 32607 and res == (30.0, 30.0)
    assert tags["SENSOR"] == "L8" and tags["UNITS"] == "m/d"
    assert tags["START_TIME"] == "2016-07-18T20:37:06Z" and tags["END_TIME"] == "2016-08-03T20:37:09Z"
    assert abs(float(tags["DT_DAYS"]) - 16.0) < 0.01
    assert tags["SG_SOURCE"] == "polygons"
    results = json.load(open(out / "results.json"))
    trunk = results["yahtse_speed"]
    assert 10.0 <= trunk["trunk_median_v"] <= 16.0
    assert trunk["trunk_direction_text"] in ("S", "SSW")
    # co-registration offset measured on the digitised bedrock, and removed
    corr = results["yahtse_correction"]
    assert -0.25 < corr["OFFSET_VY"] < -0.05
    err = results["yahtse_error"]
    assert abs(err["MEDIAN_VX"]) < 0.03 and abs(err["MEDIAN_VY"]) < 0.03
    assert 0.02 < err["NMAD_VX"] < 0.3 and err["N_PIXELS"] > 5000


def test_kaskawulsh_weights_monthly_product_and_validation(demo_out):
    out, _ = demo_out
    results = json.load(open(out / "results.json"))
    w = results["weights"]["WEIGHTS"]
    assert set(w) == {"L8", "S2"} and abs(sum(w.values()) - 1.0) < 1e-9
    assert all(0.0 <= x <= 1.0 for x in w.values())
    assert len(results["weights"]["CV_FOLDS"]) == 3        # each GNSS station held out once
    monthly = out / "kaskawulsh" / "monthly" / "201803.tif"
    names, tags, epsg, res = _bands(monthly)
    assert {"v", "vx", "vy", "v_error", "count"} <= set(names)
    assert epsg == 32607 and res == (30.0, 30.0)
    with rasterio.open(monthly) as ds:
        v = ds.read(names.index("v") + 1, masked=True)
    assert 0.5 < float(np.percentile(v.compressed(), 99)) < 1.5   # Kaskawulsh trunk, m/d
    val = results["validation"]
    assert val["N"] == 3 and val["RMSE"] < 0.3


def test_project_maps_and_report(demo_out, qgis_app):
    from qgis.core import QgsProject, QgsRasterLayer, QgsSingleBandPseudoColorRenderer
    out, stdout = demo_out
    pngs = sorted((out / "maps").glob("*.png"))
    assert len(pngs) == 4
    from qgis.PyQt.QtGui import QImage
    img = QImage(str(pngs[0]))
    assert img.width() > 800 and img.height() > 500
    # not a blank page: many distinct colours from the ramp
    colours = {img.pixel(x, y) for x in range(0, img.width(), 7) for y in range(0, img.height(), 7)}
    assert len(colours) > 50
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "Fusion weights" in report and "maps/" in report and "Stable-ground error" in report
    assert "Trunk" in stdout and "done. Outputs in" in stdout
    project = QgsProject()
    assert project.read(str(out / "glacvel_demo.qgz"))
    rasters = [lyr for lyr in project.mapLayers().values() if isinstance(lyr, QgsRasterLayer)]
    assert len(rasters) == 4
    assert all(isinstance(r.renderer(), QgsSingleBandPseudoColorRenderer) for r in rasters)
    arrows = [lyr for lyr in project.mapLayers().values() if lyr.name().endswith("arrows")]
    assert len(arrows) == 4 and all(a.isValid() and a.featureCount() > 10 for a in arrows)
