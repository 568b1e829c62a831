"""Time baseline, map displacement and velocity: the conventions every sensor shares.

One place for the three steps that turn a pixel offset into a glacvel velocity:

* Δt (:func:`baseline_days`, :func:`time_baseline_days`): end − start in days, from
  naive UTC datetimes; a product needs Δt > 0.
* the sign convention (:func:`map_displacement`): offsets are measured in image pixels,
  ``dr`` rows down and ``dc`` columns right, on a north-up grid; map displacement is
  ``dx = dc · pixel width`` (east-positive) and ``dy = −dr · pixel height``
  (north-positive, because image rows grow southwards).
* velocity (:func:`velocity_bands`): ``vx = dx / Δt``, ``vy = dy / Δt`` (m/d) and
  ``v = hypot(vx, vy)``.

Used by optical correlation (``io.pair``), Sentinel-1 offset tracking (``io.sar``) and
UAV feature tracking (``io.uav``). The arithmetic keeps the dtype of the offsets
(float32 offsets give float32 velocities, float64 give float64).
"""
from __future__ import annotations

import datetime as _dt
from typing import Dict, Tuple

import numpy as np


def baseline_days(start: _dt.datetime, end: _dt.datetime) -> float:
    """Time baseline Δt = ``end`` − ``start`` in days (float); may be zero or negative.

    Parameters
    ----------
    start, end : datetime.datetime
        Acquisition times of the reference (earlier) and secondary (later) image,
        both naive UTC (or both aware).

    Returns
    -------
    float
        Δt in days.
    """
    return (end - start).total_seconds() / 86400.0


def time_baseline_days(start: _dt.datetime, end: _dt.datetime) -> float:
    """Time baseline Δt in days, checked to be positive.

    Parameters
    ----------
    start, end : datetime.datetime
        Acquisition times of the reference and secondary image (naive UTC).

    Returns
    -------
    float
        Δt = ``end`` − ``start`` in days, > 0.

    Raises
    ------
    ValueError
        When Δt ≤ 0, naming both times and what to change.
    """
    dt = baseline_days(start, end)
    if not dt > 0:
        raise ValueError(
            f"the time baseline must be positive: reference {start:%Y-%m-%d %H:%M:%S} is not "
            f"before secondary {end:%Y-%m-%d %H:%M:%S} (Δt = {dt:g} d); swap the images or "
            "correct the times")
    return dt


def _scalar(a: np.ndarray, value: float):
    """``value`` as a scalar of ``a``'s floating dtype (float64 for other dtypes)."""
    kind = a.dtype.type if a.dtype.kind == "f" else np.float64
    return kind(value)


def map_displacement(dr, dc, pixel: Tuple[float, float]) -> Tuple[np.ndarray, np.ndarray]:
    """Map displacement (east, north) in metres from image offsets on a north-up grid.

    Parameters
    ----------
    dr, dc : ndarray, float, any shape
        Offsets of the secondary relative to the reference in pixels: ``dr`` along
        image rows (positive down = south), ``dc`` along columns (positive right =
        east). NaN = no value.
    pixel : (float, float)
        Pixel width and height of the grid the offsets were measured on (metres,
        positive).

    Returns
    -------
    dx, dy : ndarray, dtype of ``dc``/``dr``
        ``dx = dc · width`` (east-positive), ``dy = −dr · height`` (north-positive).
    """
    dr, dc = np.asarray(dr), np.asarray(dc)
    px, py = abs(float(pixel[0])), abs(float(pixel[1]))
    return dc * _scalar(dc, px), -dr * _scalar(dr, py)


def velocity_bands(dr, dc, pixel: Tuple[float, float], dt_days: float) -> Dict[str, np.ndarray]:
    """The five displacement/velocity bands of a glacvel product from image offsets.

    Parameters
    ----------
    dr, dc : ndarray, float, any shape
        Image offsets in pixels (rows down, columns right), NaN = no value; see
        :func:`map_displacement`.
    pixel : (float, float)
        Pixel width and height (metres).
    dt_days : float
        Time baseline Δt in days (> 0).

    Returns
    -------
    dict
        ``v``, ``vx``, ``vy`` (m/d; x east, y north) and ``dx``, ``dy`` (metres over
        Δt), arrays of the offsets' shape and dtype.

    Raises
    ------
    ValueError
        When ``dt_days`` is not positive.
    """
    if not dt_days > 0:
        raise ValueError(f"the time baseline must be positive (Δt = {dt_days:g} d)")
    dx, dy = map_displacement(dr, dc, pixel)
    vx, vy = dx / _scalar(dx, dt_days), dy / _scalar(dy, dt_days)
    return {"v": np.hypot(vx, vy), "vx": vx, "vy": vy, "dx": dx, "dy": dy}
