"""The QGIS plugin object: registers the Processing provider and the desktop entries."""
from qgis.core import QgsApplication

from .i18n import install_translator, remove_translator
from .processing_provider.provider import GlacvelProvider


class GlacVelPlugin:
    """The glacvel plugin object; installs the interface-language translation on creation.

    Parameters
    ----------
    iface : qgis.gui.QgisInterface or None
        The desktop interface; None when loaded by ``qgis_process``.
    """

    def __init__(self, iface):
        self.iface = iface
        self.provider = None
        self.gui = None
        install_translator()

    def initProcessing(self):  # noqa: N802 (QGIS API)
        """Register the ``glacvel`` provider; needs no ``iface`` (qgis_process)."""
        if self.provider is None:
            self.provider = GlacvelProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 (QGIS API)
        """Desktop start: provider, then menu and toolbar entries."""
        self.initProcessing()
        if self.iface is not None:
            try:
                from .gui.menus import GlacvelMenus
            except ImportError:
                return
            self.gui = GlacvelMenus(self.iface)
            self.gui.add()

    def unload(self):
        """Remove everything initGui/initProcessing added."""
        if self.gui is not None:
            self.gui.remove()
            self.gui = None
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
        remove_translator()
