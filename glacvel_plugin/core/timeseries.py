"""Monthly products from image-pair velocities: month assignment, composites and
monthly fusion weights.

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
    pair's error, Δt_k its Δt), i.e. ``fraction_k / σ_k`` — the ITS_LIVE composite
    weighting 1/(error·Δt) per unit of overlap. A pair thus counts in proportion to
    the share of its Δt inside the month and inversely to its error. σ_k =
    √((σx² + σy²)/2) per pixel when known; where any contributing pair has no error,
    all pairs there are weighted by their overlap fractions only. vx and vy share
    the weights, so the composite is a weighted mean of vectors; speed is formed
    afterwards. Composite errors, independent pairs:
    σ_c,x = √(Σ w_k² σ_x,k²) / Σ w_k (and y).

Monthly weights — :func:`fit_period_weights`, :func:`heldout_validation`
    Fusion weights per month fitted on the reference (UAV polygons or GNSS stations)
    falling in that month or its neighbours, with shrinkage towards the all-period fit
    and fallbacks (all-period, per-pixel inverse variance); the ``error-calibrated``
    method scales each source's σ instead. Leave-one-station-out validation reports
    the fused and single-source RMSE and z-scores per month.

Time: naive ``datetime`` in UTC. Velocities m/d, NaN = no data.
"""
from __future__ import annotations

import calendar
import math
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
    """First instant of a calendar month.

    Parameters
    ----------
    year, month : int
        Calendar year and month (1-12).

    Returns
    -------
    datetime.datetime
        ``year-month-01 00:00`` (naive UTC).
    """
    return _dt.datetime(year, month, 1)


def month_end(year: int, month: int) -> _dt.datetime:
    """First instant of the following month (months are half-open [start, end)).

    Parameters
    ----------
    year, month : int
        Calendar year and month (1-12).

    Returns
    -------
    datetime.datetime
        The first instant of the next month (naive UTC).
    """
    return _dt.datetime(year + month // 12, month % 12 + 1, 1)


def month_label(month: Month) -> str:
    """Product file stem of a month: ``(2018, 3)`` → ``"201803"``.

    Parameters
    ----------
    month : (int, int)
        (year, month).

    Returns
    -------
    str
        ``YYYYMM``.
    """
    return f"{month[0]:04d}{month[1]:02d}"


def months_between(first: Month, last: Month) -> List[Month]:
    """Every calendar month from ``first`` to ``last`` inclusive.

    Parameters
    ----------
    first, last : (int, int)
        (year, month) of the first and last month.

    Returns
    -------
    list of (int, int)
        The months in calendar order (empty when ``last`` is before ``first``).
    """
    out = []
    y, m = first
    while (y, m) <= tuple(last):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


@dataclass
class Overlap:
    """Overlap of one pair with one calendar month.

    Attributes
    ----------
    month : (int, int)
        (year, month).
    days : float
        Overlap in days.
    fraction : float
        ``days / Δt``: share of the pair inside the month.
    month_fraction : float
        ``days / month length``: share of the month covered.
    """
    month: Month
    days: float            # overlap in days
    fraction: float        # days / Δt: share of the pair inside the month
    month_fraction: float  # days / month length: share of the month covered


def month_overlaps(start: _dt.datetime, end: _dt.datetime) -> List[Overlap]:
    """Overlap of the pair [start, end] with every calendar month it touches.

    Parameters
    ----------
    start, end : datetime.datetime
        Reference and secondary acquisition times (naive UTC).

    Returns
    -------
    list of Overlap
        One per month with a positive overlap, in calendar order.

    Raises
    ------
    ValueError
        If ``end`` is not after ``start``.
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

    Parameters
    ----------
    periods : sequence of (datetime.datetime, datetime.datetime)
        (start, end) per pair, naive UTC.
    min_fraction : float, optional
        Lowest overlap fraction (overlap days / Δt) for a pair to count in a month, in
        (0, 1].

    Returns
    -------
    dict
        (year, month) → list of (pair index, fraction), months in calendar order.

    Raises
    ------
    ValueError
        For ``min_fraction`` outside (0, 1] or a period whose end is not after its start.
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

    Weights ``w = fraction / σ`` with σ = √((σx² + σy²)/2). If any pair lacks σ at a
    pixel, all pairs at that pixel are weighted by their fractions only (mixing 1/σ with
    an invented σ would make the unknown pair's weight arbitrary).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (n, rows, cols), m/d (x east, y north), NaN = no data.
    fractions : sequence of float
        (n,) overlap fractions (overlap days / Δt) of the pairs with the month, > 0.
    sigma_x, sigma_y : numpy.ndarray, optional
        float 1σ errors (m/d), (n, rows, cols) or broadcastable (n, 1, 1); NaN =
        unknown; None = unknown for every pair.

    Returns
    -------
    dict
        float32 (rows, cols): ``vx``, ``vy``, ``v``, ``vx_error``, ``vy_error`` (NaN when
        unknown), ``count`` (pairs with data).

    Raises
    ------
    ValueError
        For non-positive fractions or vx, vy of different shapes.

    References
    ----------
    Gardner, A. S., Fahnestock, M. A. & Scambos, T. A. (2019, updated). ITS_LIVE
    regional glacier and ice sheet surface velocities. NSIDC (annual composites
    weighted by 1/(error·Δt)).
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


# --------------------------------------------------------------------------- weights per period
DEFAULT_MIN_SAMPLES = 4
"""Reference samples (vx and vy components) a period needs for its own fit (2 stations)."""
DEFAULT_MIN_GROUPS = 4
"""Distinct stations / polygons a fit needs: with fewer, the weights fitted on some
stations do not transfer to the others (measured on Kaskawulsh, docs/fusion.md)."""
DEFAULT_SHRINKAGE = 4.0
"""Prior strength n0 (in samples) of the all-period weights in the shrunk monthly fit."""


@dataclass
class MonthSamples:
    """Reference locations falling in one month, with that month's source composites there.

    Attributes
    ----------
    names : list of str
        The k source names present in the month.
    vx, vy : numpy.ndarray
        float (n, k): composites at the n locations (m/d, NaN = no data).
    sx, sy : numpy.ndarray
        float (n, k): their 1σ errors (m/d, NaN = unknown).
    ref_vx, ref_vy : numpy.ndarray
        float (n,): reference velocity (m/d).
    groups : numpy.ndarray
        (n,) station / polygon labels.
    """
    names: List[str]
    vx: np.ndarray
    vy: np.ndarray
    sx: np.ndarray
    sy: np.ndarray
    ref_vx: np.ndarray
    ref_vy: np.ndarray
    groups: np.ndarray

    def columns(self, names: Sequence[str], keep: Optional[np.ndarray] = None):
        """The samples as fit columns for ``m = len(names)`` sources.

        Parameters
        ----------
        names : sequence of str
            Sources wanted, in order; a source absent from the month gives NaN columns.
        keep : numpy.ndarray, optional
            bool (n,): locations to use (default all).

        Returns
        -------
        values : numpy.ndarray
            float (2n, m): vx rows then vy rows.
        reference : numpy.ndarray
            float (2n,).
        groups : numpy.ndarray
            (2n,) labels.
        sigma : numpy.ndarray
            float (2n, m) 1σ errors.
        """
        keep = np.ones(len(self.ref_vx), bool) if keep is None else keep
        nk = 2 * int(keep.sum())
        cols, sig = [], []
        for nm in names:
            if nm in self.names:
                j = self.names.index(nm)
                cols.append(np.concatenate([self.vx[keep, j], self.vy[keep, j]]))
                sig.append(np.concatenate([self.sx[keep, j], self.sy[keep, j]]))
            else:
                cols.append(np.full(nk, np.nan))
                sig.append(np.full(nk, np.nan))
        vals = np.stack(cols, axis=1) if cols else np.zeros((nk, 0))
        sigma = np.stack(sig, axis=1) if sig else np.zeros((nk, 0))
        ref = np.concatenate([self.ref_vx[keep], self.ref_vy[keep]])
        g = np.concatenate([self.groups[keep], self.groups[keep]])
        return vals, ref, g, sigma


@dataclass
class PeriodWeights:
    """Fusion weights of one month and how they were obtained.

    Attributes
    ----------
    names : list of str
        Source names.
    weights : numpy.ndarray or None
        float (k,); None means per-pixel inverse variance.
    basis : str
        ``single-source``, ``month``, ``month+shrinkage``, ``neighbours``,
        ``all-period`` or ``inverse-variance`` (the ``WEIGHTS_BASIS`` tag).
    note : str
        A sentence with the sample counts.
    n_samples : int
        Complete samples (components with every source) of the fit used.
    n_groups : int
        Stations / polygons of the fit used.
    months : list of (int, int)
        Months pooled.
    error_scale : numpy.ndarray or None
        (k,) factors multiplying each source's per-pixel σ first (method
        ``error-calibrated``).
    """
    names: List[str]
    weights: Optional[np.ndarray]
    basis: str
    note: str
    n_samples: int = 0
    n_groups: int = 0
    months: List[Month] = None
    error_scale: Optional[np.ndarray] = None

    def scale_dict(self) -> Dict[str, float]:
        """The error scales by source name.

        Returns
        -------
        dict
            Name → factor; ``{}`` when there is no error scale.
        """
        return {} if self.error_scale is None else {
            n: float(c) for n, c in zip(self.names, self.error_scale)}

    def as_dict(self) -> Dict[str, float]:
        """The weights by source name.

        Returns
        -------
        dict
            Name → weight; ``{}`` for per-pixel inverse variance.
        """
        return {} if self.weights is None else {n: float(w) for n, w in zip(self.names,
                                                                          self.weights)}


def _pool(samples: Dict[Month, MonthSamples], months: Sequence[Month], names, exclude):
    parts = []
    for mo in months:
        s = samples.get(mo)
        if s is None or len(s.ref_vx) == 0:
            continue
        keep = np.ones(len(s.ref_vx), bool) if exclude is None else (s.groups != exclude)
        if keep.any():
            parts.append(s.columns(names, keep))
    if not parts:
        return None
    return tuple(np.concatenate(p) for p in zip(*parts))


CALIBRATED = "error-calibrated"
"""Method of :func:`fit_period_weights`: per-pixel inverse variance with each source's σ
scaled by its reference-fitted factor c_i = max(1, median|(v_i − r)/σ_i| / 0.6745)."""
PERIOD_METHODS = ("constrained", "unconstrained", "inverse-variance", CALIBRATED)


def _try_fit(pool, names, method, min_samples, min_groups=1):
    from .fusion import fit_weights
    if pool is None:
        return None
    vals, ref, g, sig = pool
    if method == CALIBRATED:
        c = np.empty(len(names))
        ns = []
        for i in range(len(names)):
            with np.errstate(invalid="ignore", divide="ignore"):
                z = (vals[:, i] - ref) / sig[:, i]
            ok = np.isfinite(z) & (sig[:, i] > 0)
            if ok.sum() < min_samples or np.unique(g[ok]).size < min_groups:
                return None
            # robust scale of z (median |z| / 0.6745 = 1 for Gaussian errors of the
            # stated σ): a few reference samples where the source blunders (which the
            # per-pixel outlier test handles) do not down-weight it everywhere
            # (floored at 1: a reference of a few stations may only inflate a source's
            # errors, never make it more confident than its own error band)
            c[i] = max(1.0, float(np.median(np.abs(z[ok]))) / 0.6745)
            ns.append(int(ok.sum()))
        if not np.all(c > 0):
            return None
        used = np.isfinite(vals).any(axis=1) & np.isfinite(ref)
        return c, min(ns), int(np.unique(g[used]).size)
    complete = np.isfinite(vals).all(axis=1) & np.isfinite(ref)
    nc = int(complete.sum())
    if nc < max(len(names), min_samples) or np.unique(g[complete]).size < min_groups:
        return None
    try:
        fit = fit_weights(vals, ref, names, method=method, groups=g, n_bootstrap=0)
    except ValueError:
        return None
    return fit.weights, nc, int(np.unique(g[complete]).size)


def fit_period_weights(samples: Dict[Month, MonthSamples], month_names: Dict[Month, List[str]],
                       method: str = "constrained", window: int = 0,
                       min_samples: int = DEFAULT_MIN_SAMPLES,
                       shrinkage: float = DEFAULT_SHRINKAGE,
                       exclude_group=None,
                       min_groups: int = DEFAULT_MIN_GROUPS) -> Dict[Month, PeriodWeights]:
    """Fusion weights for every month, fitted on the reference falling in it.

    Fallback, in this order, for a month with k ≥ 2 sources (``basis``): its own period
    (``month``, or ``month+shrinkage`` when shrunk); the period widened by one month on
    each side (``neighbours``); every month of reference pooled, each sample against its
    own month's composites (``all-period``); per-pixel inverse variance
    (``inverse-variance``). One source: weight 1 (``single-source``).

    Parameters
    ----------
    samples : dict
        (year, month) → :class:`MonthSamples` (reference of that month with the month's
        composites); months without reference may be absent.
    month_names : dict
        (year, month) → names of the sources present in it (every month to weigh).
    method : str, optional
        Fit method of :func:`glacvel_plugin.core.fusion.fit_weights`, or
        ``error-calibrated`` (:data:`CALIBRATED`): no fixed weights; each source's σ is
        scaled by c_i = median|(v_i − r)/σ_i| / 0.6745 over the period's reference (a
        robust z-score scale, 1 when the errors are Gaussian with the stated σ; bias and
        noise both raise it, a few blunders do not; floored at 1, so the reference only
        inflates errors) and the sources are fused with per-pixel inverse variance of the
        scaled σ. ``min_samples`` then counts per source; shrinkage acts on c_i².
    window : int, optional
        Months on each side pooled into a month's fit (0 = the month alone, 1 = a
        3-month moving period, …): a time window, not a correlation window.
    min_samples : int, optional
        Complete samples (vx and vy components where every source of the month has data)
        a fit needs, at least the number of sources.
    shrinkage : float, optional
        n0: a period fit F on n samples is shrunk towards the all-period fit A as
        (n F + n0 A)/(n + n0) (0 = no shrinkage).
    exclude_group : optional
        A station / polygon label left out of every fit (held-out validation).
    min_groups : int, optional
        Distinct stations / polygons a fit needs (per source for ``error-calibrated``);
        fewer → the next fallback.

    Returns
    -------
    dict
        (year, month) → :class:`PeriodWeights`, for every month of ``month_names``.
    """
    out: Dict[Month, PeriodWeights] = {}
    all_months = sorted(samples)
    for month, names in month_names.items():
        names = list(names)
        k = len(names)
        if k == 1:
            out[month] = PeriodWeights(names, np.ones(1), "single-source",
                                       "one source this month: weight 1", months=[month])
            continue
        allfit = _try_fit(_pool(samples, all_months, names, exclude_group), names, method,
                          min_samples, min_groups)
        idx = _month_index(month)
        chosen = None
        for w, basis in ((window, "month"), (window + 1, "neighbours")):
            near = [m for m in all_months if abs(_month_index(m) - idx) <= w]
            f = _try_fit(_pool(samples, near, names, exclude_group), names, method, min_samples,
                         min_groups)
            if f is not None:
                chosen = (f, basis, near)
                break
        if chosen is not None:
            (W, nc, ng), basis, near = chosen
            span = (f"{month_label(near[0])}–{month_label(near[-1])}" if len(near) > 1
                    else month_label(near[0]))
            note = f"fitted on {nc} reference samples of {ng} station(s)/polygon(s) in {span}"
            if shrinkage > 0 and allfit is not None and allfit[1] > nc:
                if method == CALIBRATED:
                    W = np.sqrt((nc * W ** 2 + shrinkage * allfit[0] ** 2) / (nc + shrinkage))
                else:
                    W = (nc * W + shrinkage * allfit[0]) / (nc + shrinkage)
                    W = W / W.sum()
                note += (f", shrunk towards the all-period fit ({allfit[1]} samples) with "
                         f"n0 = {shrinkage:g}")
                if basis == "month":
                    basis = "month+shrinkage"
            out[month] = _period(names, W, basis, note, nc, ng, near, method)
        elif allfit is not None:
            W, nc, ng = allfit
            out[month] = _period(
                names, W, "all-period",
                f"too few reference samples or stations in and around the month (need "
                f"{max(k, min_samples)} samples of {min_groups} stations/polygons); "
                f"all-period fit on {nc} samples of {ng} station(s)/polygon(s)", nc, ng,
                all_months, method)
        else:
            out[month] = PeriodWeights(
                names, None, "inverse-variance",
                f"no usable reference for these sources (fewer than {max(k, min_samples)} "
                f"samples of {min_groups} stations/polygons in every period tried); "
                "per-pixel inverse-variance weights",
                months=[])
    return out


def _period(names, W, basis, note, nc, ng, months, method) -> PeriodWeights:
    if method == CALIBRATED:
        return PeriodWeights(names, None, basis, note, nc, ng, months, error_scale=W)
    return PeriodWeights(names, W, basis, note, nc, ng, months)


def _month_index(m: Month) -> int:
    return m[0] * 12 + m[1] - 1


def predict_samples(s: MonthSamples, weights: Optional[np.ndarray], robust=None,
                    keep: Optional[np.ndarray] = None, errors: bool = False,
                    error_scale: Optional[np.ndarray] = None):
    """Fused (vx, vy) at the reference locations of ``s`` by the product's fusion rule.

    Parameters
    ----------
    s : MonthSamples
        Composites and reference of one month.
    weights : numpy.ndarray or None
        (k,) weights in the order of ``s.names``; None = per-pixel inverse variance.
    robust : float, optional
        χ² threshold of the outlier test of :func:`.fusion.fuse_stack`.
    keep : numpy.ndarray, optional
        bool (n,): locations to predict (default all).
    errors : bool, optional
        Also return the fused 1σ errors.
    error_scale : numpy.ndarray, optional
        (k,) factors applied to the sources' σ first.

    Returns
    -------
    tuple of numpy.ndarray
        (vx, vy), or (vx, vy, σx, σy) with ``errors``; float64 (number kept,), m/d.
    """
    from .fusion import fuse_stack
    keep = np.ones(len(s.ref_vx), bool) if keep is None else keep
    c = np.ones(len(s.names)) if error_scale is None else np.asarray(error_scale, float)
    f = fuse_stack(s.vx[keep].T[:, :, None], s.vy[keep].T[:, :, None], weights,
                   (s.sx[keep] * c).T[:, :, None], (s.sy[keep] * c).T[:, :, None],
                   robust=robust)
    out = (f["vx"][:, 0].astype(float), f["vy"][:, 0].astype(float))
    if errors:
        out += (f["vx_error"][:, 0].astype(float), f["vy_error"][:, 0].astype(float))
    return out


def z_rms(dx, dy, sx, sy) -> float:
    """RMS z-score √(mean((Δx/σx)² + (Δy/σy)²)/2): ≈ 1 when the error bands are right.

    Parameters
    ----------
    dx, dy : numpy.ndarray
        Residuals against the reference, m/d.
    sx, sy : numpy.ndarray
        Their stated 1σ errors, m/d.

    Returns
    -------
    float
        Over samples with finite values; NaN when there are none.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        z2 = 0.5 * ((dx / sx) ** 2 + (dy / sy) ** 2)
    z2 = z2[np.isfinite(z2)]
    return float(np.sqrt(np.mean(z2))) if z2.size else float("nan")


def heldout_validation(samples: Dict[Month, MonthSamples], month_names: Dict[Month, List[str]],
                       robust=None, **fit_kw) -> List[Dict[str, object]]:
    """Leave-one-station/polygon-out validation of every month with ≥ 2 reference groups.

    For each month and each of its groups g, the weights of every month are refitted by
    :func:`fit_period_weights` without g (g is left out of all months, so no station
    validates itself), the month is fused at g's locations (same rule as the product,
    including the ``robust`` test) and compared with the reference; each single source
    is compared at the same locations.

    Parameters
    ----------
    samples : dict
        (year, month) → :class:`MonthSamples`.
    month_names : dict
        (year, month) → names of the sources present.
    robust : float, optional
        χ² threshold of the fusion's outlier test.
    **fit_kw
        Further arguments of :func:`fit_period_weights` (method, window, ...).

    Returns
    -------
    list of dict
        One per month: ``month``, ``groups``, ``n`` (held-out locations), ``fused_rmse``
        (vector RMSE √mean(Δvx² + Δvy²), m/d), ``fused_n``, ``source_rmse`` {name: RMSE},
        ``source_n`` {name: locations with data}, ``fused_z``, ``source_z`` {name: z}:
        :func:`z_rms` of the residuals over the errors (≈ 1 when the error bands are
        right, ≫ 1 when too small), ``weights`` {group: {name: weight}}, ``basis``
        {group: basis}.
    """
    rows = []
    for month, s in sorted(samples.items()):
        if month not in month_names:
            continue
        ug = np.unique(s.groups)
        if ug.size < 2:
            continue
        names = list(month_names[month])
        fx, fy, rx, ry, ex, ey = [], [], [], [], [], []
        src = {n: [] for n in names}
        wts, basis = {}, {}
        for g in ug:
            fits = fit_period_weights(samples, {month: names}, exclude_group=g, **fit_kw)
            pw = fits[month]
            test = s.groups == g
            sub = MonthSamples(s.names, s.vx, s.vy, s.sx, s.sy, s.ref_vx, s.ref_vy, s.groups)
            W = None if pw.weights is None else np.array(
                [pw.weights[names.index(n)] for n in s.names])
            C = None if pw.error_scale is None else np.array(
                [pw.error_scale[names.index(n)] for n in s.names])
            px, py, qx, qy = predict_samples(sub, W, robust, test, errors=True, error_scale=C)
            fx.append(px), fy.append(py), rx.append(s.ref_vx[test]), ry.append(s.ref_vy[test])
            ex.append(qx), ey.append(qy)
            for n in names:
                j = s.names.index(n)
                src[n].append(np.hypot(s.vx[test, j] - s.ref_vx[test],
                                       s.vy[test, j] - s.ref_vy[test]))
            key = g.item() if hasattr(g, "item") else g
            wts[str(key)] = pw.as_dict() or pw.scale_dict()
            basis[str(key)] = pw.basis
        dx = np.concatenate(fx) - np.concatenate(rx)
        dy = np.concatenate(fy) - np.concatenate(ry)
        d = np.hypot(dx, dy)
        row = {"month": month_label(month), "groups": int(ug.size), "n": int(d.size),
               "fused_rmse": _rms(d), "fused_n": int(np.isfinite(d).sum()),
               "fused_z": z_rms(dx, dy, np.concatenate(ex), np.concatenate(ey)),
               "source_rmse": {}, "source_n": {}, "source_z": {}, "weights": wts,
               "basis": basis}
        for n in names:
            e = np.concatenate(src[n])
            j = s.names.index(n)
            row["source_rmse"][n] = _rms(e)
            row["source_n"][n] = int(np.isfinite(e).sum())
            row["source_z"][n] = z_rms(s.vx[:, j] - s.ref_vx, s.vy[:, j] - s.ref_vy,
                                       s.sx[:, j], s.sy[:, j])
        rows.append(row)
    return rows


def _rms(d: np.ndarray) -> float:
    d = d[np.isfinite(d)]
    return float(np.sqrt(np.mean(d ** 2))) if d.size else float("nan")
