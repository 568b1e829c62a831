"""Reference velocities (GNSS points, a UAV raster) against velocity products.

The arithmetic of ``fit_fusion_weights``, ``validate_velocity`` and
``monthly_velocity`` on their reference: a station velocity from two positions, a
velocity vector moved from east/north or a layer's axes into the target grid's axes,
and the difference statistics of each product against the reference. The samples
themselves are read by :mod:`glacvel_plugin.io.fusion_files`.
"""
from __future__ import annotations

import math
from typing import Dict, List, Sequence, Tuple

import numpy as np

from . import fusion as cf


class Reference:
    """Reference velocities at sample locations, with the sources sampled there.

    Parameters
    ----------
    ref_vx, ref_vy : array_like, float (n,)
        Reference velocity in m/d along the target grid's x (east) and y (north) axes.
    src_vx, src_vy : array_like, float (k, n)
        Velocity of each of the k sources at the samples in m/d (NaN = no data).
    groups : array_like (n,)
        Polygon / station label of every sample (the units held out together).
    kind : str
        ``'points'`` (GNSS) or ``'raster'`` (e.g. a UAV velocity raster).
    notes : sequence of str
        Messages for the user (skipped points, no cross-validation).

    Attributes
    ----------
    rows, cols : int (n,) or None
        Target-grid pixel of every sample.
    start, end : list of n datetimes (or None entries), or None
        Period of every sample.
    """

    def __init__(self, ref_vx, ref_vy, src_vx, src_vy, groups, kind, notes=()):
        self.ref_vx = np.asarray(ref_vx, float)
        self.ref_vy = np.asarray(ref_vy, float)
        self.src_vx = np.asarray(src_vx, float)
        self.src_vy = np.asarray(src_vy, float)
        self.groups = np.asarray(groups)
        self.kind = kind
        self.notes = list(notes)
        self.rows = self.cols = None      # target-grid pixels of the samples
        self.start = self.end = None      # per-sample periods (datetimes or None)

    def components(self):
        """The samples as one least-squares system: vx then vy of every sample.

        Returns
        -------
        values : float ndarray (2n, k)
            The k sources' velocity components (m/d, NaN = no data): the vx of the n
            samples, then their vy.
        reference : float ndarray (2n,)
            The reference components in the same order (m/d).
        groups : ndarray (2n,)
            The station/polygon label of each row (both components of a sample share
            it, so that held-out validation leaves out whole stations).
        """
        vals = np.concatenate([self.src_vx.T, self.src_vy.T])
        ref = np.concatenate([self.ref_vx, self.ref_vy])
        groups = np.concatenate([self.groups, self.groups])
        return vals, ref, groups


def velocity_from_positions(a, b, days: float) -> Tuple[float, float, float, float]:
    """Station velocity from two positions.

    Parameters
    ----------
    a, b : (x, y) float
        Positions at the start and the end of the interval, in the grid CRS (m).
    days : float
        Interval length Δt in days (> 0).

    Returns
    -------
    (x_mid, y_mid, vx, vy) : float
        Mid-point of the two positions (m) and velocity (b − a) / Δt in m/d.
    """
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (b[0] - a[0]) / days, (b[1] - a[1]) / days)


def east_north_to_grid(vx: float, vy: float, p, east, north) -> Tuple[float, float]:
    """A true east/north velocity in the target grid's axes.

    Parameters
    ----------
    vx, vy : float
        East and north velocity components (m/d) at a point of a geographic layer.
    p, east, north : (x, y) float
        Grid coordinates of the point and of the points a small step east and north
        of it (the local east and north directions in grid axes).

    Returns
    -------
    (vx, vy) : float
        The same vector along the grid's x and y axes (m/d).
    """
    ex, ey = east[0] - p[0], east[1] - p[1]
    nx, ny = north[0] - p[0], north[1] - p[1]
    le, ln = math.hypot(ex, ey), math.hypot(nx, ny)
    return (float(vx) * ex / le + float(vy) * nx / ln,
            float(vx) * ey / le + float(vy) * ny / ln)


AXES_STEP_DAYS = 1000.0
"""Days of motion used to move a velocity along a layer CRS's axes into the grid's."""


def axes_to_grid(p, q, step: float = AXES_STEP_DAYS) -> Tuple[float, float]:
    """A velocity along a projected layer CRS's axes in the target grid's axes.

    Parameters
    ----------
    p : (x, y) float
        Grid coordinates of the point.
    q : (x, y) float
        Grid coordinates of the point moved by ``step`` days of the velocity in the
        layer CRS.
    step : float
        That number of days.

    Returns
    -------
    (vx, vy) : float
        Velocity along the grid's x and y axes (m/d).
    """
    return (q[0] - p[0]) / step, (q[1] - p[1]) / step


def unique_labels(names: Sequence[str]) -> List[str]:
    """Report labels of validated products.

    Parameters
    ----------
    names : sequence of str
        The products' SENSOR names, the validated INPUT first.

    Returns
    -------
    list of str
        One label per name: the first marked ``(INPUT)``, repeated names primed
        (``L8``, ``L8'``).
    """
    labels = []
    for i, name in enumerate(names):
        lab = name if i else f"{name} (INPUT)"
        while lab in labels:
            lab += "'"
        labels.append(lab)
    return labels


def validation_stats(ref: Reference, labels: Sequence[str]) -> Dict[str, Dict[str, dict]]:
    """Differences product − reference of every product at the reference samples.

    Parameters
    ----------
    ref : Reference
        The k products (``src_vx``, ``src_vy``, (k, n) m/d) sampled at the reference.
    labels : sequence of k str
        Name of each product in the result.

    Returns
    -------
    dict
        ``{label: {"speed": stats, "components": stats}}`` with the statistics of
        :func:`glacvel_plugin.core.fusion.difference_stats` (n, mean, std, rmse, nmad in
        m/d) of the speed and of the vx, vy components together.
    """
    ref_v = np.hypot(ref.ref_vx, ref.ref_vy)
    stats = {}
    for i, lab in enumerate(labels):
        v = np.hypot(ref.src_vx[i], ref.src_vy[i])
        comp = cf.difference_stats(np.concatenate([ref.src_vx[i], ref.src_vy[i]]),
                                   np.concatenate([ref.ref_vx, ref.ref_vy]))
        stats[lab] = {"speed": cf.difference_stats(v, ref_v), "components": comp}
    return stats
