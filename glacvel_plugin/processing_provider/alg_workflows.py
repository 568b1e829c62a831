"""Processing models shipped with glacvel (``resources/models/*.model3``).

Each ``.model3`` becomes an algorithm of the ``glacvel`` provider (group *Fusion*, the step the chain ends with),
so it shows in the toolbox and in the Graphical Modeler's algorithm list and runs
with ``processing.run('glacvel:velocity_chain', …)`` or ``qgis_process``. To change a
model, open the ``.model3`` file in the Graphical Modeler (Model → Open Model…) and
save a copy in your own models folder.

The module is named so that it sorts after the other ``alg_*`` modules: the provider
loads modules in name order, and a model resolves its child algorithms (and so its
outputs) when it is read, which needs them registered first. ``createInstance``
re-reads the file, so every run sees the complete provider anyway.
"""
from qgis.core import QgsProcessingModelAlgorithm
from qgis.PyQt.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ..resources import resource_path
from .base import GROUPS, GlacvelAlgorithm


def model_path(name: str = "glacvel_chain.model3") -> str:
    """Path of a shipped model file (FileNotFoundError if missing)."""
    return resource_path("models", name)


class GlacvelChainModel(QgsProcessingModelAlgorithm):
    """correlate → stable-ground correct → fuse, loaded from ``glacvel_chain.model3``.

    Served as ``glacvel:velocity_chain`` under a translated display name; its inputs
    are listed in the order of their boxes in the model (top to bottom, left to right:
    reference image, secondary image, maximum speed, stable ground, …; the file stores
    that order too, so a copy opened in the Graphical Modeler keeps it), with
    translated labels.
    Raises ``ValueError`` if the file cannot be read as a Processing model.
    """

    MODEL_FILE = "glacvel_chain.model3"
    MODEL_ID = "velocity_chain"
    LABELS = {
        "reference_image": QT_TRANSLATE_NOOP("GlacvelChainModel", "Reference (earlier) image"),
        "secondary_image": QT_TRANSLATE_NOOP("GlacvelChainModel", "Secondary (later) image"),
        "max_speed": QT_TRANSLATE_NOOP("GlacvelChainModel", "Maximum speed (m/d)"),
        "stable_ground": QT_TRANSLATE_NOOP("GlacvelChainModel", "Stable-ground polygons"),
        "other_products": QT_TRANSLATE_NOOP("GlacvelChainModel", "Other velocity products"),
        "weights": QT_TRANSLATE_NOOP("GlacvelChainModel", "Fusion weights (e.g. L8=0.6,S2=0.4)"),
        "correct:corrected": QT_TRANSLATE_NOOP("GlacvelChainModel", "Corrected pair velocity"),
        "fuse:fused": QT_TRANSLATE_NOOP("GlacvelChainModel", "Fused velocity"),
    }

    def __init__(self):
        super().__init__()
        path = model_path(self.MODEL_FILE)
        if not self.fromFile(path):
            raise ValueError(QCoreApplication.translate(
                "GlacvelMessages", "cannot read the Processing model {}").format(path))
        self.setSourceFilePath(path)
        self._order_inputs()

    def tr(self, text):
        return QCoreApplication.translate("GlacvelChainModel", text)

    def _order_inputs(self):
        """Re-add the parameters: inputs by box position, then the outputs; labels translated."""
        comps = self.parameterComponents()

        def key(d):
            c = comps.get(d.name())
            pos = c.position() if c is not None else None
            return (d.isDestination(), pos.y() if pos else 1e9, pos.x() if pos else 1e9)
        defs = sorted((d.clone() for d in self.parameterDefinitions()), key=key)
        for d in defs:
            self.removeParameter(d.name())
        for d in defs:
            if d.name() in self.LABELS:
                d.setDescription(self.tr(self.LABELS[d.name()]))
            self.addParameter(d)

    def name(self):
        return self.MODEL_ID

    def postProcessAlgorithm(self, context, feedback):  # noqa: N802 (QGIS API)
        """The model's loaded outputs get glacvel's name, style, legend label and arrows."""
        GlacvelAlgorithm.attach_output_styles(self, context)
        return {}

    def displayName(self):  # noqa: N802 (QGIS API)
        return self.tr("Velocity chain: correlate, correct, fuse")

    def shortHelpString(self):  # noqa: N802 (QGIS API)
        return self.tr(
            "Correlates an optical image pair (Landsat-8/9 B8 or Sentinel-2 B8), removes the "
            "stable-ground (co-registration) offset, then fuses the corrected velocity with "
            "products of other sensors. Velocities in m/d, x east, y north.\n\n"
            "Reference (earlier) image, Secondary (later) image: GeoTIFF/JP2 of the same "
            "sensor; times from the Landsat/Sentinel names, MTL files or tags. Maximum speed "
            "(m/d) sets the search range. Stable-ground polygons: ice-free ground; empty = "
            "automatic stable ground. Other velocity products: products of other sensors to "
            "fuse with (optional). Fusion weights by sensor, e.g. L8=0.6,S2=0.4; empty = "
            "inverse variance from the products' errors.\n\n"
            "Open the model in the Graphical Modeler (Model → Open Model…) and save a copy "
            "to change the steps or their settings.")

    def group(self):
        return QCoreApplication.translate("GlacvelAlgorithm", GROUPS["fusion"])

    def groupId(self):  # noqa: N802 (QGIS API)
        return "fusion"

    def createInstance(self):  # noqa: N802 (QGIS API)
        return type(self)()


ALGORITHMS = [GlacvelChainModel]
