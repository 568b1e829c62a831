"""The algorithms the provider offers, by id: a module that fails to import is only logged
by the provider (so that one broken module does not hide the others), so this list is
what catches an algorithm that silently disappeared or a renamed id that would break
users' models and scripts."""

ALGORITHM_IDS = {
    "optical_correlation", "sar_offset_tracking", "uav_feature_tracking",
    "stable_ground_correction", "stable_ground_error",
    "fit_fusion_weights", "fuse_velocity", "monthly_velocity", "validate_velocity",
    "import_velocity", "import_gnss", "flowline_profile", "glacier_statistics",
    "velocity_dataset", "velocity_chain",
}


def test_the_provider_offers_exactly_the_documented_algorithms(glacvel_processing):
    from qgis.core import QgsApplication

    from glacvel_plugin.processing_provider.provider import algorithm_classes
    assert {cls().name() for cls in algorithm_classes(strict=True)} | {"velocity_chain"} \
        == ALGORITHM_IDS
    provider = QgsApplication.processingRegistry().providerById("glacvel")
    assert {a.id() for a in provider.algorithms()} == {f"glacvel:{i}" for i in ALGORITHM_IDS}


def test_readme_lists_every_algorithm():
    import os
    import re

    from tests.conftest import ROOT
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        listed = set(re.findall(r"^\| `glacvel:([a-z_]+)` \|", f.read(), re.M))
    assert listed == ALGORITHM_IDS
