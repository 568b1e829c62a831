"""glacvel:velocity_dataset with REFERENCE_RASTER + REFERENCE_POLYGONS through processing.run:
four months of the synthetic year (real Yahtse Landsat-8 texture, known field), the known
field as one UAV-like raster per month, seven polygons (a GeoJSON layer)."""
import csv
import os

import pytest
from qgis.core import (QgsProcessingContext, QgsProcessingException, QgsProcessingFeedback,
                       QgsProject)

from tests.synthetic_dataset import (SHIFTS, SIZE, _base, make_scene, reference_polygons_geojson,
                                     reference_rasters, scene_times, stable_geojson,
                                     velocity_field)


@pytest.fixture(scope="module")
def spring(tmp_path_factory):
    root = tmp_path_factory.mktemp("spring_ref")
    scenes = root / "scenes"
    os.makedirs(scenes)
    base, transform, crs = _base()
    field = velocity_field(transform, (SIZE, SIZE))
    times = scene_times()[:4]
    for t, s in zip(times, SHIFTS):
        make_scene(str(scenes), base, transform, crs, t, times[0], s, field)
    desc = {"transform": transform, "field": field, "crs": crs, "root": str(root),
            "scenes": str(scenes)}
    desc["stable"] = stable_geojson(str(root / "stable.geojson"))
    desc["refs"] = reference_rasters(str(root / "ref"), desc, months=range(1, 5))
    desc["polygons"] = reference_polygons_geojson(str(root / "polygons.geojson"), desc)
    return desc


def _run(params):
    import processing
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    return processing.run("glacvel:velocity_dataset", params, context=context,
                          feedback=QgsProcessingFeedback())


def test_reference_raster_parameters_validate_the_months(glacvel_processing, spring, tmp_path):
    out = str(tmp_path / "out")
    res = _run({"SCENES": spring["scenes"], "OUTPUT_FOLDER": out, "MAX_SPEED": 3.0,
                "STABLE_GROUND": spring["stable"], "WORKERS": 2, "METHOD": 0,
                "REFERENCE_RASTER": spring["refs"], "REFERENCE_POLYGONS": spring["polygons"]})
    assert res["PAIRS_DONE"] == 3 and res["MONTHS"] == "202301,202302,202303,202304"
    with open(os.path.join(out, "monthly", "monthly_weights.csv"), newline="") as f:
        rows = {r["month"]: r for r in csv.DictReader(f)}
    assert sorted(rows) == res["MONTHS"].split(",")
    for r in rows.values():         # one source: weight 1; validated on the 7 polygons
        assert r["basis"] == "single-source" and r["W_L8"] == "1"
        assert r["heldout_groups"] == "7"
        assert 0 < float(r["heldout_fused_rmse"]) == pytest.approx(float(r["heldout_L8_rmse"]))
    html = open(res["REPORT"], encoding="utf-8").read()
    assert "<h2>Validation</h2>" in html


def test_reference_polygons_alone_are_refused(glacvel_processing, spring, tmp_path):
    with pytest.raises(QgsProcessingException, match="REFERENCE_POLYGONS are given without"):
        _run({"SCENES": spring["scenes"], "OUTPUT_FOLDER": str(tmp_path / "out"),
              "MAX_SPEED": 3.0, "WORKERS": 1, "REFERENCE_POLYGONS": spring["polygons"]})
    assert not os.path.exists(str(tmp_path / "out" / "pairs"))
