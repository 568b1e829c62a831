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


def publish(tmp: str, path: str) -> str:
    """Rename the finished temporary file ``tmp`` over ``path`` with the usual permissions.

    ``tempfile.mkstemp`` creates files readable by their owner only; the output gets
    the permissions a plain ``open()`` would give (0666 less the process umask).
    """
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)
    return path


def atomic_write_text(path: str, write: Callable[[TextIO], None],
                      newline: Optional[str] = None, encoding: str = "utf-8") -> str:
    """Write a text file atomically; returns ``path``.

    ``write(f)`` receives the open temporary file (text mode, ``encoding``,
    ``newline`` as for :func:`open`: ``""`` for the :mod:`csv` module). The
    destination folder is created if needed. If ``write`` raises (including a
    cancel), the temporary file is removed, the destination is left as it was and
    the exception propagates.
    """
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".glacvel-", suffix=os.path.splitext(path)[1], dir=folder)
    try:
        with os.fdopen(fd, "w", newline=newline, encoding=encoding) as f:
            write(f)
        publish(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path
