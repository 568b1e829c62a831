"""The ``glacvel`` Processing provider."""
import importlib
import pkgutil

from qgis.core import Qgis, QgsMessageLog, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

from .. import __version__
from ..resources import icon_path

PROVIDER_ID = "glacvel"


def algorithm_classes(strict: bool = False):
    """All algorithm classes of the ``alg_*`` modules, in module order.

    A module that fails to import is reported in the QGIS message log and skipped
    (``strict=True`` re-raises instead, for tests).
    """
    from . import __path__ as pkg_path
    classes = []
    for mod in sorted(m.name for m in pkgutil.iter_modules(pkg_path)):
        if not mod.startswith("alg_"):
            continue
        try:
            module = importlib.import_module(f"{__package__}.{mod}")
        except Exception as exc:  # one broken module must not hide the others
            if strict:
                raise
            QgsMessageLog.logMessage(f"glacvel: cannot load {mod}: {exc!r}", "glacvel",
                                     Qgis.Critical)
            continue
        classes.extend(getattr(module, "ALGORITHMS", []))
    return classes


class GlacvelProvider(QgsProcessingProvider):
    """Processing provider ``glacvel`` ("Glacier velocity")."""

    def id(self):  # noqa: A003 (QGIS API)
        return PROVIDER_ID

    def name(self):
        return self.tr("Glacier velocity")

    def longName(self):
        return self.tr("Glacier velocity (glacvel {})").format(__version__)

    def versionInfo(self):
        return __version__

    def icon(self):
        return QIcon(icon_path())

    def svgIconPath(self):
        return icon_path()

    def loadAlgorithms(self):
        for cls in algorithm_classes():
            self.addAlgorithm(cls())
