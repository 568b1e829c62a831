"""Numerical core of glacvel: numpy/scipy only.

No module here may import qgis, PyQt or osgeo (tests/unit/test_core_imports.py).
Functions take arrays and plain parameters, plus optional ``progress(fraction)``
and ``is_canceled()`` callables, and raise ``ValueError`` with a message a user
can act on.
"""


class Canceled(Exception):
    """Raised by core routines when their ``is_canceled()`` callable returns True."""


def check_canceled(is_canceled) -> None:
    """Raise :class:`Canceled` when the optional ``is_canceled()`` callable returns True.

    Parameters
    ----------
    is_canceled : callable or None
        ``is_canceled() -> bool``, e.g. a Processing feedback's ``isCanceled``; None
        never cancels.

    Raises
    ------
    Canceled
        When ``is_canceled()`` returns True.
    """
    if is_canceled is not None and is_canceled():
        raise Canceled()
