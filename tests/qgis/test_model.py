"""The shipped Processing model (correlate → stable-ground correct → fuse) and the help texts."""
import os

import numpy as np
import pytest
import rasterio

from tests import conftest
from tests.conftest import ROOT

YAHTSE = os.path.join(ROOT, "demo", "data", "yahtse")


def _structure(model):
    """What a model does: inputs (name, type, optional), children (id, alg, sources), outputs."""
    from qgis.core import QgsProcessingParameterDefinition
    inputs = sorted((d.name(), d.type(), bool(d.flags() & QgsProcessingParameterDefinition.FlagOptional))
                    for d in model.parameterDefinitions() if not d.isDestination())
    children = {}
    for cid, child in model.childAlgorithms().items():
        sources = {k: [(s.source(), s.parameterName(), s.outputChildId(), s.outputName(),
                        str(s.staticValue())) for s in v]
                   for k, v in child.parameterSources().items()}
        children[cid] = (child.algorithmId(), sources, sorted(child.modelOutputs()))
    return inputs, children, model.name(), model.helpContent()


def test_model_file_is_the_generated_one(qgis_app):
    """resources/models/glacvel_chain.model3 does what scripts/make_model.py builds."""
    from qgis.core import QgsProcessingModelAlgorithm

    from glacvel_plugin.processing_provider.alg_workflows import model_path
    from scripts.make_model import build_model
    shipped = QgsProcessingModelAlgorithm()
    assert shipped.fromFile(model_path())
    assert _structure(shipped) == _structure(build_model())


def test_model_registered_visible_in_modeler(glacvel_processing):
    from qgis.core import QgsApplication, QgsProcessingAlgorithm
    alg = QgsApplication.processingRegistry().createAlgorithmById("glacvel:velocity_chain")
    assert alg is not None and alg.group() == "Fusion" and alg.groupId() == "fusion"
    assert not alg.flags() & QgsProcessingAlgorithm.FlagHideFromModeler
    assert not alg.flags() & QgsProcessingAlgorithm.FlagHideFromToolbox
    names = {d.name() for d in alg.parameterDefinitions()}
    assert {"reference_image", "secondary_image", "max_speed", "stable_ground", "other_products",
            "weights", "correct:corrected", "fuse:fused"} <= names
    children = alg.childAlgorithms()
    assert [children[c].algorithmId() for c in ("correlate", "correct", "fuse")] == \
        ["glacvel:optical_correlation", "glacvel:stable_ground_correction", "glacvel:fuse_velocity"]
    assert all(children[c].algorithm() is not None for c in children)  # all resolved
    assert "stable-ground" in alg.shortHelpString()


def test_model_runs_on_real_yahtse_crop(run_alg, tmp_path):
    """processing.run of the model on the tiny Yahtse Landsat-8 pair (2016-07-18 → 08-03):
    the corrected product has a near-zero median on the digitised bedrock, and the fused
    product (one source) equals it on the 30 m grid."""
    from glacvel_plugin.io.product import read_product
    from glacvel_plugin.io.raster import rasterize_mask
    d = conftest.test_data("desktop", "yahtse_tiny")
    res = run_alg("glacvel:velocity_chain", {
        "reference_image": os.path.join(d, "LC80630182016200LGN00_B8_tiny.TIF"),
        "secondary_image": os.path.join(d, "LC80630182016216LGN00_B8_tiny.TIF"),
        "max_speed": 25.0,
        "stable_ground": os.path.join(YAHTSE, "stable_ground.geojson"),
        "correct:corrected": str(tmp_path / "corrected.tif"),
        "fuse:fused": str(tmp_path / "fused.tif")})
    corrected, fused = res["correct:corrected"], res["fuse:fused"]
    assert os.path.exists(corrected) and os.path.exists(fused)
    c = read_product(corrected)
    assert c.sensor == "L8" and c.dt_days == pytest.approx(16.0, abs=1e-3)
    assert c.resolution == (30.0, 30.0)
    import json
    with open(os.path.join(YAHTSE, "stable_ground.geojson")) as f:
        geoms = [ft["geometry"] for ft in json.load(f)["features"]]
    stable = rasterize_mask(geoms, c.transform, c.shape)
    vx, vy = c.band("vx"), c.band("vy")
    ok = stable & np.isfinite(vx)
    assert ok.sum() > 200
    assert abs(np.median(vx[ok])) < 0.05 and abs(np.median(vy[ok])) < 0.05  # m/d after correction
    f = read_product(fused)
    with rasterio.open(fused) as ds:
        assert ds.tags()["SOURCES"] == "L8"
    # one source: the fused product is the corrected one on the fusion's 30 m grid
    # (snapped to whole multiples of 30 m, so resampled by half a pixel)
    assert np.nanmax(f.band("count")) == 1
    vc, vf = c.band("v"), f.band("v")
    assert np.isfinite(vf).sum() == pytest.approx(np.isfinite(vc).sum(), rel=0.05)
    assert np.nanmedian(vf) == pytest.approx(np.nanmedian(vc), rel=0.05)
    assert np.nanpercentile(vf, 95) == pytest.approx(np.nanpercentile(vc, 95), rel=0.05)


def test_every_algorithm_has_useful_help(glacvel_processing):
    """Each glacvel algorithm explains itself: a help text of some length with units."""
    short = []
    for alg in glacvel_processing.algorithms():
        text = alg.shortHelpString() or ""
        if len(text) < 300 or not any(u in text for u in ("m/d", " m ", "metres", "px")):
            short.append(alg.id())
    assert short == []
