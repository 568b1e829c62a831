"""Build resources/models/glacvel_chain.model3 with the QGIS model API.

Run: ``QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/make_model.py``

The model chains three glacvel algorithms, as the published monthly workflow does for
one optical pair:

    glacvel:optical_correlation (REFERENCE, SECONDARY, MAX_SPEED)
      → glacvel:stable_ground_correction (INPUT = the pair product, STABLE_GROUND)
        → glacvel:fuse_velocity (SOURCES = corrected pair + other products, WEIGHTS)

Model inputs: ``reference_image``, ``secondary_image`` (rasters), ``stable_ground``
(polygons, optional: the correction then finds stable ground automatically),
``other_products`` (velocity products of other sensors, optional), ``weights`` (text,
e.g. ``L8=0.6,S2=0.4``; empty = inverse variance), ``max_speed`` (m/d).
Model outputs: ``corrected`` (the corrected pair product) and ``fused``.
"""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

MODEL_PATH = os.path.join(ROOT, "resources", "models", "glacvel_chain.model3")
MODEL_NAME = "Velocity chain: correlate, correct, fuse"
"""The model's name as the Graphical Modeler shows it (the provider serves it as
``glacvel:velocity_chain``)."""


def child_algorithm_classes():
    """``{algorithm id: class}`` of the algorithms the model chains."""
    from glacvel_plugin.processing_provider.alg_correlation import OpticalCorrelationAlgorithm
    from glacvel_plugin.processing_provider.alg_fusion import FuseVelocity
    from glacvel_plugin.processing_provider.alg_stable_ground import StableGroundCorrection
    return {"glacvel:optical_correlation": OpticalCorrelationAlgorithm,
            "glacvel:stable_ground_correction": StableGroundCorrection,
            "glacvel:fuse_velocity": FuseVelocity}


def store_defaults(child):
    """Give every parameter of ``child`` that has no source its algorithm's default value.

    The Graphical Modeler (``QgsProcessingModelAlgorithm.validate``) treats a mandatory
    child parameter without a stored value as missing, even when the algorithm has a
    default, and draws the child red. Destination parameters and parameters without a
    default (optional inputs left empty) get nothing.
    """
    from qgis.core import QgsProcessingModelChildParameterSource as Src
    alg = child_algorithm_classes()[child.algorithmId()]()
    alg.initAlgorithm()
    sources = child.parameterSources()
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.name() in sources or d.defaultValue() is None:
            continue
        child.addParameterSources(d.name(), [Src.fromStaticValue(d.defaultValue())])


def build_model():
    """The chain as a ``QgsProcessingModelAlgorithm`` (needs a running QgsApplication)."""
    from qgis.core import (QgsProcessing, QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildAlgorithm,
                           QgsProcessingModelChildParameterSource as Src,
                           QgsProcessingModelOutput, QgsProcessingModelParameter,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                           QgsProcessingParameterRasterLayer, QgsProcessingParameterString,
                           QgsProcessingParameterVectorLayer)
    from qgis.PyQt.QtCore import QPointF

    model = QgsProcessingModelAlgorithm(MODEL_NAME, "Fusion", "fusion")
    model.setHelpContent({
        "ALG_DESC": "Correlate an optical image pair (Landsat-8/9 B8 or Sentinel-2 B8), remove "
                    "the stable-ground (co-registration) offset, then fuse the corrected "
                    "velocity with products of other sensors. Velocities in m/d, x east, "
                    "y north. Edit a copy in the Graphical Modeler to change the steps.",
        "reference_image": "Earlier image of the pair (GeoTIFF/JP2; time from the Landsat/"
                           "Sentinel name, MTL file or tags).",
        "secondary_image": "Later image, same sensor and grid.",
        "stable_ground": "Ice-free ground polygons; empty = automatic stable ground.",
        "other_products": "Velocity products of other sensors to fuse with (optional).",
        "weights": "Fusion weights by SENSOR tag, e.g. L8=0.6,S2=0.4; empty = inverse "
                   "variance from the products' errors.",
        "max_speed": "Fastest expected speed (m/d); sets the search range.",
        "ALG_CREATOR": "glacvel", "ALG_VERSION": "1"})

    # inputs placed row by row in the order a user fills them: the provider's model
    # lists its inputs by position (top to bottom, left to right)
    def add_input(defn, x, y):
        p = QgsProcessingModelParameter(defn.name())
        p.setPosition(QPointF(x, y))
        model.addModelParameter(defn, p)

    add_input(QgsProcessingParameterRasterLayer("reference_image", "Reference (earlier) image"), 120, 60)
    add_input(QgsProcessingParameterRasterLayer("secondary_image", "Secondary (later) image"), 340, 60)
    speed = QgsProcessingParameterNumber("max_speed", "Maximum speed (m/d)",
                                         QgsProcessingParameterNumber.Double, 20.0, minValue=0.01)
    speed.setMetadata({"widget_wrapper": {"decimals": 2}})  # not six decimals in the dialog
    add_input(speed, 560, 60)
    add_input(QgsProcessingParameterVectorLayer("stable_ground", "Stable-ground polygons",
                                                [QgsProcessing.TypeVectorPolygon], optional=True),
              120, 260)
    add_input(QgsProcessingParameterMultipleLayers("other_products", "Other velocity products",
                                                   QgsProcessing.TypeRaster, optional=True),
              120, 440)
    add_input(QgsProcessingParameterString("weights", "Fusion weights (e.g. L8=0.6,S2=0.4)",
                                           optional=True), 560, 440)

    model.setParameterOrder(["reference_image", "secondary_image", "max_speed", "stable_ground",
                             "other_products", "weights"])

    corr = QgsProcessingModelChildAlgorithm("glacvel:optical_correlation")
    corr.setChildId("correlate")
    corr.setDescription("Optical correlation")
    corr.addParameterSources("REFERENCE", [Src.fromModelParameter("reference_image")])
    corr.addParameterSources("SECONDARY", [Src.fromModelParameter("secondary_image")])
    corr.addParameterSources("MAX_SPEED", [Src.fromModelParameter("max_speed")])
    corr.addParameterSources("OUTPUT", [Src.fromStaticValue("TEMPORARY_OUTPUT")])
    corr.setPosition(QPointF(340, 170))
    store_defaults(corr)
    model.addChildAlgorithm(corr)

    sg = QgsProcessingModelChildAlgorithm("glacvel:stable_ground_correction")
    sg.setChildId("correct")
    sg.setDescription("Stable-ground correction")
    sg.addParameterSources("INPUT", [Src.fromChildOutput("correlate", "OUTPUT")])
    sg.addParameterSources("STABLE_GROUND", [Src.fromModelParameter("stable_ground")])
    out = QgsProcessingModelOutput("corrected", "Corrected pair velocity")
    out.setChildOutputName("OUTPUT")
    out.setChildId("correct")
    out.setPosition(QPointF(560, 300))
    sg.setModelOutputs({"corrected": out})
    sg.setPosition(QPointF(340, 300))
    sg.setDependencies([])
    store_defaults(sg)
    model.addChildAlgorithm(sg)

    fuse = QgsProcessingModelChildAlgorithm("glacvel:fuse_velocity")
    fuse.setChildId("fuse")
    fuse.setDescription("Fuse velocity")
    fuse.addParameterSources("SOURCES", [Src.fromChildOutput("correct", "OUTPUT"),
                                         Src.fromModelParameter("other_products")])
    fuse.addParameterSources("WEIGHTS", [Src.fromModelParameter("weights")])
    fout = QgsProcessingModelOutput("fused", "Fused velocity")
    fout.setChildOutputName("OUTPUT")
    fout.setChildId("fuse")
    fout.setPosition(QPointF(560, 540))
    fuse.setModelOutputs({"fused": fout})
    fuse.setPosition(QPointF(340, 540))
    store_defaults(fuse)
    model.addChildAlgorithm(fuse)
    return model


def main():
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    model = build_model()
    os.makedirs(os.path.dirname(MODEL_PATH), exist_ok=True)
    if not model.toFile(MODEL_PATH):
        raise SystemExit(f"cannot write {MODEL_PATH}")
    print("wrote", os.path.relpath(MODEL_PATH, ROOT))
    app.exitQgis()


if __name__ == "__main__":
    main()
