"""Find the plugin's resources both in the source tree and in an installed plugin.

In the source tree ``resources/``, ``i18n/`` and ``metadata.txt`` sit beside the
``glacvel_plugin`` package; ``make package`` copies them inside the plugin folder.
This module looks inside the package first, then beside it. It imports nothing
from QGIS, so core code and tests can use it.
"""
import os

_PKG = os.path.dirname(os.path.abspath(__file__))
_ROOTS = (_PKG, os.path.dirname(_PKG))


def _find(*parts: str, must_exist: bool = True) -> str:
    for root in _ROOTS:
        p = os.path.join(root, *parts)
        if os.path.exists(p):
            return p
    if must_exist:
        raise FileNotFoundError(f"glacvel resource not found: {os.path.join(*parts)} "
                                f"(looked in {', '.join(_ROOTS)})")
    return os.path.join(_ROOTS[0], *parts)


def resource_path(*parts: str) -> str:
    """Absolute path of a file in ``resources/``.

    Parameters
    ----------
    *parts : str
        Path components below ``resources/``.

    Returns
    -------
    str
        Inside the package (installed plugin) or beside it (source tree).

    Raises
    ------
    FileNotFoundError
        When the file is in neither place.
    """
    return _find("resources", *parts)


def i18n_dir() -> str:
    """Folder holding the compiled translations ``glacvel_<locale>.qm``.

    Returns
    -------
    str
        ``i18n/`` inside the package, else beside it; the package's own path when
        neither exists.
    """
    return _find("i18n", must_exist=False)


def metadata_path() -> str:
    """Path of the plugin's ``metadata.txt``.

    Returns
    -------
    str

    Raises
    ------
    FileNotFoundError
        When it is missing.
    """
    return _find("metadata.txt")


def icon_path(name: str = "glacvel.svg") -> str:
    """Path of an icon in ``resources/icons``.

    Parameters
    ----------
    name : str, default "glacvel.svg"
        Icon file name.

    Returns
    -------
    str

    Raises
    ------
    FileNotFoundError
        When the icon is missing.
    """
    return resource_path("icons", name)
