"""Atomic text-file writes (CSV tables, HTML reports).

A text output is written to a temporary file in the destination folder and
renamed over the destination only when the writing succeeded (``os.replace`` is
atomic on one file system), so a failed or cancelled run never leaves a
half-written file and never truncates an older one. Raster products go through
:class:`glacvel_plugin.io.product.ProductWriter`, which follows the same rule.
"""
from __future__ import annotations

import os
import tempfile
from typing import Callable, Optional, TextIO

from .guard import remove_stale_temporaries, temp_prefix


def publish(tmp: str, path: str) -> str:
    """Rename a finished temporary file over its destination with the usual permissions.

    ``tempfile.mkstemp`` creates files readable by their owner only; the output gets
    the permissions a plain ``open()`` would give (0666 less the process umask).

    Parameters
    ----------
    tmp : str
        The finished temporary file (in the destination's folder).
    path : str
        The destination; replaced atomically (``os.replace``).

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    OSError
        From ``os.chmod``/``os.replace`` (e.g. ``tmp`` on another file system).
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
    return path


def atomic_write_text(path: str, write: Callable[[TextIO], None],
                      newline: Optional[str] = None, encoding: str = "utf-8") -> str:
    """Write a text file atomically.

    The destination folder is created if needed. If ``write`` raises (including a
    cancel), the temporary file is removed, the destination is left as it was and
    the exception propagates.

    Parameters
    ----------
    path : str
        Destination file (CSV, HTML, ...).
    write : callable
        ``write(f)`` receives the open temporary file (text mode) and writes the content.
    newline : str, optional
        As for :func:`open`: ``""`` for the :mod:`csv` module.
    encoding : str, default "utf-8"
        Text encoding.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    OSError
        A full disk, a vanished folder or a missing permission, with a message naming
        ``path`` (not the hidden temporary file) and what to change.
    """
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(), suffix=os.path.splitext(path)[1],
                                   dir=folder)
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        with os.fdopen(fd, "w", newline=newline, encoding=encoding) as f:
            write(f)
        publish(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.remove(tmp)
        if isinstance(exc, OSError) and (exc.filename in (tmp, None)):
            raise _named(exc, path) from None
        raise
    return path


def _named(exc: OSError, path: str) -> OSError:
    """``exc`` as an OSError whose message names the user's ``path`` and what to change."""
    from .guard import _describe_oserror, free_space_text
    import errno
    cause = _describe_oserror(exc)
    if exc.errno == errno.ENOSPC:
        free = free_space_text(os.path.dirname(os.path.abspath(path)))
        cause += f" ({free})" if free else ""
        hint = "free some space or choose a folder on another disk"
    else:
        hint = "check that the folder exists and that you can write to it"
    return OSError(exc.errno, f"cannot write {path}: {cause}; {hint}")
