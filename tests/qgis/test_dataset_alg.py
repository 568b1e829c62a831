"""glacvel:velocity_dataset through processing.run on four months of the synthetic year
(real Yahtse Landsat-8 texture advected by a known field; tests/synthetic_dataset.py)."""
import glob
import os

import numpy as np
import pytest
import rasterio
from qgis.core import (QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback,
                       QgsProject, QgsVectorLayer)

from tests.synthetic_dataset import (SHIFTS, SIZE, _base, make_scene, scene_times,
                                     stable_geojson, truth_on, velocity_field)


@pytest.fixture(scope="module")
def spring(tmp_path_factory):
    root = tmp_path_factory.mktemp("spring")
    scenes = root / "scenes"
    os.makedirs(scenes)
    base, transform, crs = _base()
    field = velocity_field(transform, (SIZE, SIZE))
    times = scene_times()[:4]
    for t, s in zip(times, SHIFTS):
        make_scene(str(scenes), base, transform, crs, t, times[0], s, field)
    desc = {"transform": transform, "field": field, "root": str(root), "scenes": str(scenes)}
    desc["stable"] = stable_geojson(str(root / "stable.geojson"))
    return desc


def _run(params, feedback=None):
    import processing
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run("glacvel:velocity_dataset", params, context=context,
                          feedback=feedback or QgsProcessingFeedback())


def _params(spring, out, **kw):
    assert QgsVectorLayer(spring["stable"], "stable", "ogr").isValid()
    p = {"SCENES": spring["scenes"], "OUTPUT_FOLDER": out, "MAX_SPEED": 3.0,
         "STABLE_GROUND": spring["stable"], "WORKERS": 2,
         "METHOD": 0}  # phase correlation: checked against the known field (test_dataset.py)
    p.update(kw)
    return p


def test_dataset_algorithm_runs_and_resumes(glacvel_processing, spring, tmp_path):
    out = str(tmp_path / "out")
    res = _run(_params(spring, out))
    assert (res["PAIRS_TOTAL"], res["PAIRS_DONE"], res["PAIRS_FAILED"]) == (3, 3, 0)
    assert res["MONTHS"] == "202301,202302,202303,202304"
    assert os.path.exists(res["MANIFEST"]) and os.path.exists(res["REPORT"])
    for label in res["MONTHS"].split(","):
        with rasterio.open(os.path.join(res["MONTHLY_FOLDER"], label + ".tif")) as ds:
            names = list(ds.descriptions)
            vx = ds.read(names.index("vx") + 1, masked=True).filled(np.nan)
            tx, _ = truth_on(ds.transform, ds.shape, spring)
        ok = np.isfinite(vx - tx)
        assert ok.mean() > 0.9 and np.median(np.abs(vx - tx)[ok]) < 0.02
    again = _run(_params(spring, out))
    assert again["PAIRS_RUN"] == 0 and again["MONTHS_REBUILT"] == ""
    assert again["PAIRS_DONE"] == 3


def test_cancel_from_qgis_leaves_no_partial_product(glacvel_processing, spring, tmp_path):
    out = str(tmp_path / "out")
    feedback = QgsProcessingFeedback()
    feedback.progressChanged.connect(lambda p: feedback.cancel() if p > 0 else None)
    with pytest.raises(QgsProcessingException, match="Canceled"):
        _run(_params(spring, out, WORKERS=1), feedback)
    for p in glob.glob(os.path.join(out, "pairs", "*.tif")):
        with rasterio.open(p) as ds:
            assert "vx" in ds.descriptions and ds.tags().get("DATASET_KEY")
    assert not glob.glob(os.path.join(out, "**", ".glacvel-*"), recursive=True)
    assert not glob.glob(os.path.join(out, "monthly", "*.tif"))


def test_unreachable_scheduler_is_a_clear_processing_error(glacvel_processing, spring,
                                                          tmp_path):
    with pytest.raises(QgsProcessingException, match=r"tcp://127\.0\.0\.1:9 .*dask-scheduler"):
        _run(_params(spring, str(tmp_path / "out"), SCHEDULER="tcp://127.0.0.1:9",
                     CONNECT_TIMEOUT=1.0))


def test_output_inside_scenes_is_refused(glacvel_processing, spring):
    with pytest.raises(QgsProcessingException, match="inside the scene folder"):
        _run(_params(spring, os.path.join(spring["scenes"], "out")))
