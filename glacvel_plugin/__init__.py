"""glacvel: glacier surface velocity from satellite and UAV imagery, as a QGIS plugin.

QGIS calls :func:`classFactory` with the desktop interface, or with ``None``
from ``qgis_process`` (which then calls ``initProcessing`` only).
"""

__version__ = "0.1.0"


def classFactory(iface):  # noqa: N802 (QGIS API name)
    """Entry point QGIS calls to create the plugin (``iface`` may be None headless)."""
    from .plugin import GlacVelPlugin
    return GlacVelPlugin(iface)
