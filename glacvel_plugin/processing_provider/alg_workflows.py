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
from qgis.PyQt.QtCore import QCoreApplication

from ..resources import resource_path
from .base import GROUPS


def model_path(name: str = "glacvel_chain.model3") -> str:
    """Path of a shipped model file (FileNotFoundError if missing)."""
    return resource_path("models", name)


class GlacvelChainModel(QgsProcessingModelAlgorithm):
    """correlate → stable-ground correct → fuse, loaded from ``glacvel_chain.model3``.

    Raises ``ValueError`` if the file cannot be read as a Processing model.
    """

    MODEL_FILE = "glacvel_chain.model3"

    def __init__(self):
        super().__init__()
        path = model_path(self.MODEL_FILE)
        if not self.fromFile(path):
            raise ValueError(f"cannot read the Processing model {path}")
        self.setSourceFilePath(path)

    def group(self):
        return QCoreApplication.translate("GlacvelAlgorithm", GROUPS["fusion"])

    def groupId(self):  # noqa: N802 (QGIS API)
        return "fusion"

    def createInstance(self):  # noqa: N802 (QGIS API)
        return type(self)()


ALGORITHMS = [GlacvelChainModel]
