"""Monthly products from image-pair velocities: month assignment and composites.

Month assignment — :func:`month_overlaps`, :func:`assign_months`
    A pair measured between ``start`` and ``end`` (Δt days) overlaps calendar month
    M by ``overlap`` days. Its *overlap fraction* is ``overlap / Δt``: the share of
    the pair's displacement accumulated during M. A pair contributes to every
    month where the fraction reaches ``min_fraction`` (default 0.25, so a 32-day
    pair 2018-03-04 → 04-05 with 27 days in March and 5 in April counts for
    March only; a 36-day pair split 18/18 counts for both months).

Composites — :func:`composite_stack`
    Per source and month, the pairs are averaged per pixel with weights
    ``w_k = overlap_k / (σ_k · Δt_k)`` (overlap in days with the month, σ_k the
    pair's error, Δt_k its time baseline) — the weighting METHODS.md gives for
    ITS_LIVE composites, 1/(error·Δt) per unit of overlap. A pair thus counts in
    proportion to the share of its baseline inside the month and inversely to its
    error. σ_k = √((σx² + σy²)/2) per pixel when known; where any contributing
    pair has no error, all pairs there are weighted by their overlap fractions
    only. vx and vy share the weights, so the composite is a weighted mean of
    vectors; speed is formed afterwards.
    Composite errors, independent pairs: σ_c,x = √(Σ w_k² σ_x,k²) / Σ w_k (and y).

Time: naive ``datetime`` in UTC. Velocities m/d, NaN = no data.
"""
from __future__ import annotations

import calendar
import datetime as _dt
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .fusion import _stack_with_sigma
from .velocity import baseline_days

Month = Tuple[int, int]
"""(year, month)."""

DEFAULT_MIN_FRACTION = 0.25


def month_start(year: int, month: int) -> _dt.datetime:
    return _dt.datetime(year, month, 1)


def month_end(year: int, month: int) -> _dt.datetime:
    """First instant of the following month (months are half-open [start, end))."""
    return _dt.datetime(year + month // 12, month % 12 + 1, 1)


def month_label(month: Month) -> str:
    """``(2018, 3)`` → ``"201803"`` (the product file stem)."""
    return f"{month[0]:04d}{month[1]:02d}"


def months_between(first: Month, last: Month) -> List[Month]:
    """Every calendar month from ``first`` to ``last`` inclusive."""
    out = []
    y, m = first
    while (y, m) <= tuple(last):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class Overlap:
    """Overlap of one pair with one calendar month."""
    month: Month
    days: float            # overlap in days
    fraction: float        # days / Δt: share of the pair inside the month
    month_fraction: float  # days / month length: share of the month covered


def month_overlaps(start: _dt.datetime, end: _dt.datetime) -> List[Overlap]:
    """Overlap of the pair [start, end] with every calendar month it touches.

    Raises ``ValueError`` if ``end`` is not after ``start``.
    """
    dt = baseline_days(start, end)
    if not dt > 0:
        raise ValueError(f"pair end {end} is not after its start {start}; check the "
                         "START_TIME/END_TIME tags")
    out = []
    for ym in months_between((start.year, start.month), (end.year, end.month)):
        a, b = month_start(*ym), month_end(*ym)
        days = baseline_days(max(a, start), min(b, end))
        if days <= 0:
            continue
        out.append(Overlap(ym, days, days / dt, days / calendar.monthrange(*ym)[1]))
    return out


def assign_months(periods: Sequence[Tuple[_dt.datetime, _dt.datetime]],
                  min_fraction: float = DEFAULT_MIN_FRACTION) -> Dict[Month, List[Tuple[int, float]]]:
    """Months → [(pair index, overlap fraction)] for every pair reaching ``min_fraction``.

    ``periods``: (start, end) per pair. Months are returned in calendar order.
    Raises ``ValueError`` for ``min_fraction`` outside (0, 1] or a bad period.
    """
    if not 0 < min_fraction <= 1:
        raise ValueError(f"minimum overlap fraction must be in (0, 1], got {min_fraction}")
    out: Dict[Month, List[Tuple[int, float]]] = {}
    for i, (s, e) in enumerate(periods):
        for ov in month_overlaps(s, e):
            if ov.fraction >= min_fraction - 1e-12:
                out.setdefault(ov.month, []).append((i, ov.fraction))
    return dict(sorted(out.items()))


def composite_stack(vx: np.ndarray, vy: np.ndarray, fractions: Sequence[float],
                    sigma_x: Optional[np.ndarray] = None,
                    sigma_y: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """Monthly composite of ``n`` pairs of one source on one block.

    Parameters
    ----------
    vx, vy : float (n, rows, cols), m/d, NaN = no data
    fractions : (n,) overlap fractions (overlap days / Δt) of the pairs with the month
    sigma_x, sigma_y : float (n, rows, cols) or broadcastable (n, 1, 1) 1-σ errors
        (m/d), NaN = unknown; None = unknown for every pair

    Weights ``w = fraction / σ`` with σ = √((σx²+σy²)/2). If any pair lacks σ at
    a pixel, all pairs at that pixel are weighted by their fractions only (mixing
    1/σ with an invented σ would make the unknown pair's weight arbitrary).

    Returns float32 (rows, cols): ``vx``, ``vy``, ``v``, ``vx_error``, ``vy_error``
    (NaN when unknown), ``count`` (pairs with data).
    Raises ``ValueError`` for non-positive fractions or vx, vy of different shapes.
    """
    vx, vy, sx, sy, m = _stack_with_sigma(vx, vy, sigma_x, sigma_y)
    n = vx.shape[0]
    f = np.asarray(fractions, dtype=float).reshape(n, 1, 1)
    if not np.all(f > 0):
        raise ValueError("overlap fractions must be positive")
    s = np.sqrt(0.5 * (sx ** 2 + sy ** 2))
    known = np.isfinite(s) & (s > 0)
    all_known = np.all(known | ~m, axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(all_known[None], f / np.where(known, s, 1.0), f)
    w = np.where(m, w, 0.0)
    W = w.sum(axis=0)
    ok = W > 0
    Wd = np.where(ok, W, 1.0)
    cx = np.where(ok, (w * np.where(m, vx, 0.0)).sum(axis=0) / Wd, np.nan)
    cy = np.where(ok, (w * np.where(m, vy, 0.0)).sum(axis=0) / Wd, np.nan)
    ex = np.sqrt((w ** 2 * np.where(m, sx, 0.0) ** 2).sum(axis=0)) / Wd
    ey = np.sqrt((w ** 2 * np.where(m, sy, 0.0) ** 2).sum(axis=0)) / Wd
    ex[~ok | (m & ~np.isfinite(sx)).any(axis=0)] = np.nan
    ey[~ok | (m & ~np.isfinite(sy)).any(axis=0)] = np.nan
    f32 = np.float32
    return {"vx": cx.astype(f32), "vy": cy.astype(f32), "v": np.hypot(cx, cy).astype(f32),
            "vx_error": ex.astype(f32), "vy_error": ey.astype(f32),
            "count": m.sum(axis=0).astype(f32)}
