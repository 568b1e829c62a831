"""Threads of the compiled kernels (:mod:`~glacvel_plugin.core.phase_kernels`,
:mod:`~glacvel_plugin.core.lk_kernels`).

numba runs the kernels' ``prange`` loops on its OpenMP threads. Between kernels those
threads wait passively here (``OMP_WAIT_POLICY=PASSIVE`` unless the user set it, before
libgomp starts): spinning threads take a core from other processes, and a kernel then
waits for a thread that is not scheduled (seen on a busy 2-core machine: two threads 3-4×
slower than one). Importing this module imports numba.
"""
import os
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

with warnings.catch_warnings():
    # Debian's llvmlite 0.39 calls importlib.resources.path, deprecated in Python 3.11
    warnings.simplefilter("ignore", DeprecationWarning)
    import numba  # noqa: E402

__all__ = ["set_threads"]


def set_threads(workers: int) -> int:
    """Set the number of threads of the kernels for the calling thread.

    Parameters
    ----------
    workers : int
        Requested threads; clamped to 1 … ``numba.config.NUMBA_NUM_THREADS`` (the cores
        numba found, or the ``NUMBA_NUM_THREADS`` environment variable).

    Returns
    -------
    int
        The previous setting (give it back to :func:`set_threads` to restore it).
    """
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(workers or 1), int(numba.config.NUMBA_NUM_THREADS))))
    return previous
