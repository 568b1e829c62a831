"""glacvel: glacier surface velocity from satellite and UAV imagery, as a QGIS plugin.

QGIS calls :func:`classFactory` with the desktop interface, or with ``None``
from ``qgis_process`` (which then calls ``initProcessing`` only).
"""

__version__ = "0.1.0"


def classFactory(iface):  # noqa: N802 (QGIS API name)
    """Entry point QGIS calls to create the plugin.

    Parameters
    ----------
    iface : qgis.gui.QgisInterface or None
        The desktop interface; None under ``qgis_process`` (headless).

    Returns
    -------
    glacvel_plugin.plugin.GlacVelPlugin
    """
    from .plugin import GlacVelPlugin
    return GlacVelPlugin(iface)
