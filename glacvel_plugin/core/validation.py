"""Outlier tests of displacement fields on a regular grid.

:func:`normalized_median_test` is the one normalised median test of glacvel, used by
optical correlation (``core.pipeline``), Sentinel-1 offset tracking (node grid,
``core.offset_tracking``) and UAV feature tracking (point grid, ``io.uav``). The rule
for vectors with few valid neighbours is a parameter, because the sensors differ:

* optical correlation rejects a vector with fewer than 3 valid neighbours
  (``min_neighbours=3, few_neighbours="reject"``, isolated vectors on a dense grid
  are rarely right);
* the SAR node grid and the UAV point grid keep a vector with fewer than 2 valid
  neighbours, which cannot be judged (``min_neighbours=2, few_neighbours="keep"``;
  nodes are far apart and edges are common), see :data:`NODE_GRID_RULE`.
"""
from __future__ import annotations

import numpy as np

from .filters import _neighbours, _stack_nanmedian

FEW_NEIGHBOURS = ("reject", "keep")

DENSE_GRID_RULE = dict(min_neighbours=3, few_neighbours="reject")
"""Neighbour rule of the optical correlation grid."""

NODE_GRID_RULE = dict(min_neighbours=2, few_neighbours="keep")
"""Neighbour rule of the SAR node grid and the UAV point grid."""


def normalized_median_test(u: np.ndarray, v: np.ndarray, threshold: float = 2.0, *,
                           eps: float = 0.1, min_neighbours: int = 3,
                           few_neighbours: str = "reject") -> np.ndarray:
    """Normalised median test (Westerweel & Scarano 2005) of a 2-D vector field.

    For each component the residual ``|x0 − median(N)|`` of a vector from the median
    of its valid 8-neighbours N is divided by ``median(|x_i − median(N)|) + eps``; the
    vector is an outlier when either normalised residual exceeds ``threshold``.

    Parameters
    ----------
    u, v : ndarray, float32 or float64, (rows, cols)
        Displacement components (pixels) on a regular grid. A vector is missing when
        either component is NaN; missing vectors are never outliers and are not
        neighbours.
    threshold : float
        Normalised residual above which a vector is rejected (2 is usual).
    eps : float
        Residual floor ε (pixels) for the noise of sub-pixel matching (0.1 px).
    min_neighbours : int
        Vectors with fewer valid neighbours than this are treated by
        ``few_neighbours``.
    few_neighbours : {'reject', 'keep'}
        ``'reject'``: such vectors are outliers; ``'keep'``: they are never outliers
        (they cannot be judged).

    Returns
    -------
    ndarray, bool, (rows, cols)
        True = outlier.

    Raises
    ------
    ValueError
        For an unknown ``few_neighbours``.

    References
    ----------
    Westerweel, J. & Scarano, F. (2005). Universal outlier detection for PIV data.
    Experiments in Fluids 39, 1096-1100.
    """
    if few_neighbours not in FEW_NEIGHBOURS:
        raise ValueError(f"unknown rule {few_neighbours!r} for vectors with few neighbours; "
                         f"use one of {', '.join(FEW_NEIGHBOURS)}")
    ok = np.isfinite(u) & np.isfinite(v)
    bad = np.zeros(ok.shape, dtype=bool)
    count = None
    with np.errstate(invalid="ignore"):
        for comp in (u, v):
            nb = _neighbours(np.where(ok, comp, np.nan))
            med, k = _stack_nanmedian(nb)
            count = k if count is None else count
            rm, _ = _stack_nanmedian(np.abs(nb - med[None]))
            bad |= np.abs(comp - med) / (rm + eps) > threshold
    few = count < int(min_neighbours)
    if few_neighbours == "reject":
        bad |= few
    else:
        bad &= ~few
    return bad & ok
