"""Multi-source velocity fusion: weights fitted to a reference, masked weighted fusion.

Method (after the published monthly multi-source chain: weights W_L8, W_S1, W_S2
fitted by weighted least squares against UAV velocity, a mask function that
re-distributes weight where a source has no data; see docs/fusion.md):

Weight fitting — :func:`fit_weights`
    Samples are reference velocity components (vx and vy of every reference pixel or
    GNSS station, stacked) with the co-located source components. Three methods:

    ``constrained`` (default)
        minimise Σ_s (Σ_i W_i v_is − r_s)² subject to W_i ≥ 0 and Σ W_i = 1
        (``scipy.optimize.minimize``, SLSQP). Because Σ W_i = 1 this equals
        minimising the squared weighted sum of the source residuals v_is − r_s, so
        a source's bias and noise both cost weight. With independent noise of
        variance σ_i² and enough samples the solution tends to the inverse-variance
        weights σ_i⁻² / Σ σ_j⁻².
    ``unconstrained``
        the same objective with Σ W_i = 1 only (weights may be negative; closed
        form). Kept to show the pitfall named in the literature: on small samples
        it gives negative weights that amplify noise. A free-sum regression is not
        offered because it would rescale speeds, which a fusion must not do.
    ``inverse-variance``
        W_i ∝ 1 / MSE_i, the mean squared residual of source i against the
        reference over the samples where it has data.

    Ill-posed cases. A source with no data at any reference sample, fewer
    samples where every source has data than sources (k weights with Σ W = 1 have
    k − 1 free parameters; k samples leave one degree of freedom), or a reference
    of zero samples raise ``ValueError`` naming what to change. Collinear sources
    (identical or proportional residuals) make the least-squares minimum flat; a
    small ridge term λ‖W − W_iv‖² (λ = 10⁻⁶ × mean squared residual) pulls the
    solution to the inverse-variance weights along the flat direction, so the
    weights are always unique and finite, and a note says so. A single source
    gets weight 1. Weights are never NaN.

    Uncertainty: bootstrap over reference groups (polygons / stations; single
    samples when no groups are given), 200 resamples, standard deviation of
    each weight. Cross-validation: leave one group out, refit, predict the
    held-out group; RMSE over all held-out samples (``cv_rmse``), together with
    each single source's RMSE on the same samples.

Fusion — :func:`fuse_stack`
    w′_i = m_i W_i / Σ_j m_j W_j with m_i = 1 where source i has both vx and vy;
    a source of weight 0 is used only where no source of positive weight has data
    (gap filling); with negative (unconstrained) weights, pixels where the present
    weights sum to ≤ 0 get no value;
    vx_f = Σ w′_i vx_i and vy_f likewise; speed v_f = √(vx_f² + vy_f²) formed
    afterwards (fusing speeds would bias them: |mean vector| ≤ mean |vector|).
    Errors (independent sources, covariances neglected):
    σ_fx = √(Σ w′_i² σ_xi²) and σ_fy likewise; the speed error follows ITS_LIVE,
    v_error = √((σ_fx vx_f)² + (σ_fy vy_f)²) / v_f. ``count`` = Σ m_i.
    With ``weights=None`` the weights are per pixel inverse-variance,
    W_i = 1/σ_i² with σ_i² = (σ_xi² + σ_yi²)/2. Optionally (``robust``) a χ² test
    drops, pixel by pixel, a source that disagrees with the fusion of the others.

Helpers — :func:`parse_weights`/:func:`format_weights` (the WEIGHTS text),
:func:`weights_for` (weights of products by SENSOR name), :func:`difference_stats`
(product − reference statistics), :func:`local_scatter` (an error term from the
local scatter of a source's own field).

All velocities are m/d (x east-positive, y north-positive); arrays float, NaN = no data.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Mapping, Optional, Sequence

import numpy as np
from scipy import optimize

from . import check_canceled
from .filters import nan_median_filter

METHODS = ("constrained", "unconstrained", "inverse-variance")
N_BOOTSTRAP = 200


# --------------------------------------------------------------------------- weights text
def parse_weights(text: str) -> Dict[str, float]:
    """Parse weights text: ``"L8=0.6,S2=0.4"`` → ``{"L8": 0.6, "S2": 0.4}``.

    Parameters
    ----------
    text : str or None
        ``NAME=VALUE`` (or ``NAME:VALUE``) entries separated by ``,`` or ``;``; names are
        the products' SENSOR tags.

    Returns
    -------
    dict
        Name → weight (float), in the text's order; ``{}`` for empty text or None.

    Raises
    ------
    ValueError
        For an entry that is not NAME=VALUE, a value that is not a finite number, or a
        name given twice.
    """
    out: Dict[str, float] = {}
    if text is None:
        return out
    for part in str(text).replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if "=" not in part and ":" not in part:
            raise ValueError(f"weight entry {part!r} is not NAME=VALUE; write e.g. "
                             "'L8=0.6,S2=0.4' with the SENSOR names of the sources")
        name, _, val = part.replace(":", "=").partition("=")
        name = name.strip()
        try:
            w = float(val)
        except ValueError:
            raise ValueError(f"weight of {name!r} is not a number: {val.strip()!r}") from None
        if not math.isfinite(w):
            raise ValueError(f"weight of {name!r} must be finite")
        if name in out:
            raise ValueError(f"source {name!r} is given two weights")
        out[name] = w
    return out


def format_weights(weights: Mapping[str, float]) -> str:
    """Weights as text: ``{"L8": 0.6, "S2": 0.4}`` → ``"L8=0.6,S2=0.4"``.

    Parameters
    ----------
    weights : mapping of str to float
        Name → weight.

    Returns
    -------
    str
        Comma-separated ``NAME=VALUE`` (6 significant digits), readable by
        :func:`parse_weights`.
    """
    return ",".join(f"{k}={float(v):.6g}" for k, v in weights.items())


# --------------------------------------------------------------------------- fitting
@dataclass
class WeightFit:
    """Result of :func:`fit_weights`.

    Attributes
    ----------
    names : list of str
        Source names, in input order.
    weights : numpy.ndarray
        float64 (n_sources,), Σ = 1, never NaN.
    weight_std : numpy.ndarray
        float64 (n_sources,): bootstrap standard deviation (0 when not estimable).
    method : str
        One of :data:`METHODS`.
    n_samples : int
        Samples (components) where every source has data (used by the least-squares fits).
    n_per_source : numpy.ndarray
        int (n_sources,): samples where each source has data.
    rmse : float
        In-sample RMSE of the fused prediction, m/d.
    source_rmse, source_bias : numpy.ndarray
        float64 (n_sources,): each source alone against the reference (m/d), over the
        samples where it has data.
    cv_rmse : float or None
        Leave-one-group-out RMSE of the fused prediction (m/d); None with fewer than 2
        groups.
    cv_source_rmse : numpy.ndarray or None
        float64 (n_sources,): each source on the same held-out samples.
    cv_folds : list of dict
        Per held-out group: ``group``, ``weights``, ``rmse``, ``source_rmse``, ``n``.
    notes : list of str
        Fallbacks applied and warnings, as sentences.
    """
    names: List[str]
    weights: np.ndarray
    weight_std: np.ndarray
    method: str
    n_samples: int
    n_per_source: np.ndarray
    rmse: float
    source_rmse: np.ndarray
    source_bias: np.ndarray
    cv_rmse: Optional[float] = None
    cv_source_rmse: Optional[np.ndarray] = None
    cv_folds: list = field(default_factory=list)
    notes: List[str] = field(default_factory=list)

    def as_dict(self) -> Dict[str, float]:
        """The weights by source name.

        Returns
        -------
        dict
            Name → weight (float).
        """
        return {n: float(w) for n, w in zip(self.names, self.weights)}


def _solve(R: np.ndarray, method: str, notes: Optional[list] = None) -> np.ndarray:
    """Weights from complete residual samples R (n, k) = source − reference."""
    n, k = R.shape
    if k == 1:
        return np.ones(1)
    mse = np.mean(R ** 2, axis=0)
    w_iv = _inverse_variance(mse)
    if method == "inverse-variance":
        return w_iv
    scale = float(np.mean(mse))
    if scale <= 0:
        # every source equals the reference on every sample: any convex weights are exact
        if notes is not None:
            notes.append("all sources match the reference exactly; equal weights used")
        return np.full(k, 1.0 / k)
    Rs = R / math.sqrt(scale)
    Q = Rs.T @ Rs / n
    lam = 1e-6
    # collinearity: the quadratic form restricted to Σ W = 1 (differences to the last source)
    D = Rs[:, :-1] - Rs[:, -1:]
    sv = np.linalg.svd(D, compute_uv=False) if D.size else np.zeros(1)
    if sv.size == 0 or sv.min() <= 1e-6 * max(sv.max(), 1e-300) or n < k:
        if notes is not None:
            notes.append("sources are collinear over the reference (their residuals are "
                         "proportional); weights taken closest to inverse-variance among "
                         "the equally good solutions")
        lam = 1e-3
    H = 2.0 * (Q + lam * np.eye(k))
    g0 = -2.0 * lam * w_iv
    if method == "unconstrained":
        # minimise ½WᵀHW + g0ᵀW s.t. 1ᵀW = 1 (KKT system)
        K = np.zeros((k + 1, k + 1))
        K[:k, :k] = H
        K[:k, k] = 1.0
        K[k, :k] = 1.0
        rhs = np.concatenate([-g0, [1.0]])
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
        w = sol[:k]
    elif method == "constrained":
        res = optimize.minimize(
            lambda w: 0.5 * w @ H @ w + g0 @ w, w_iv, jac=lambda w: H @ w + g0,
            method="SLSQP", bounds=[(0.0, 1.0)] * k,
            constraints=[{"type": "eq", "fun": lambda w: np.sum(w) - 1.0,
                          "jac": lambda w: np.ones_like(w)}],
            options={"ftol": 1e-12, "maxiter": 500})
        w = np.clip(res.x, 0.0, None)
        w[w < 1e-10] = 0.0
        if not res.success or not np.all(np.isfinite(w)) or w.sum() <= 0:
            if notes is not None:
                notes.append(f"the constrained fit did not converge ({res.message}); "
                             "inverse-variance weights used")
            w = w_iv
        w = w / w.sum()
    else:
        raise ValueError(f"unknown fusion method {method!r}; choose one of {', '.join(METHODS)}")
    if not np.all(np.isfinite(w)):  # pragma: no cover - defensive, never NaN
        w = w_iv
    return w


def _inverse_variance(mse: np.ndarray) -> np.ndarray:
    mse = np.asarray(mse, dtype=float)
    zero = mse <= 0
    if zero.any():  # a perfect source takes all the weight (shared if several)
        return zero / zero.sum()
    w = 1.0 / mse
    return w / w.sum()


def predict(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Fused prediction with the weights renormalised over the sources present.

    Parameters
    ----------
    values : numpy.ndarray
        float (n, k): source values (m/d) per sample, NaN = no data.
    weights : numpy.ndarray
        float (k,) source weights.

    Returns
    -------
    numpy.ndarray
        float64 (n,): Σ w′_i v_i with w′ = present weights / their sum; NaN where the
        present weights sum to (almost) 0.
    """
    values = np.asarray(values, dtype=float)
    m = np.isfinite(values)
    w = np.where(m, weights[None, :], 0.0)
    s = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (np.where(m, values, 0.0) * w).sum(axis=1) / s
    out[~(np.abs(s) > 1e-9)] = np.nan
    return out


def fit_weights(values: np.ndarray, reference: np.ndarray, names: Sequence[str],
                method: str = "constrained", groups: Optional[Sequence] = None,
                n_bootstrap: int = N_BOOTSTRAP, seed: int = 0,
                is_canceled: Optional[Callable[[], bool]] = None) -> WeightFit:
    """Fit fusion weights of ``k`` sources to a reference (see the module doc).

    Parameters
    ----------
    values : numpy.ndarray
        float (n_samples, k), m/d: source velocity components at the reference samples
        (vx and vy of each pixel or station stacked as two samples); NaN = no data. A
        1-D array is one source.
    reference : numpy.ndarray
        float (n_samples,), m/d: reference components; NaN samples are dropped.
    names : sequence of str
        The k source names (unique).
    method : {'constrained', 'unconstrained', 'inverse-variance'}, optional
        Fitting method (module doc).
    groups : sequence, optional
        (n_samples,) labels (polygon or station id) for the bootstrap and the
        leave-one-group-out cross-validation; default one group per sample.
    n_bootstrap : int, optional
        Bootstrap resamples for the weight uncertainty (0 = none).
    seed : int, optional
        Seed of the bootstrap's random generator (results are reproducible).
    is_canceled : callable, optional
        Asked before every bootstrap resample and every cross-validation fold.

    Returns
    -------
    WeightFit
        Weights, their bootstrap spread, in-sample and cross-validated RMSE, notes.

    Raises
    ------
    ValueError
        For an unknown method, a shape mismatch, repeated names, no valid sample, a
        source with no data at any sample, or too few complete samples (< k; < 2 per
        source for inverse-variance).
    Canceled
        When ``is_canceled()`` returns True.
    """
    if method not in METHODS:
        raise ValueError(f"unknown fusion method {method!r}; choose one of {', '.join(METHODS)}")
    A = np.asarray(values, dtype=float)
    if A.ndim == 1:
        A = A[:, None]
    b = np.asarray(reference, dtype=float).ravel()
    names = [str(n) for n in names]
    if A.shape != (b.size, len(names)):
        raise ValueError(f"values must be (n_samples, n_sources) = ({b.size}, {len(names)}); "
                         f"got {A.shape}")
    if len(set(names)) != len(names):
        raise ValueError(f"source names must be unique (got {', '.join(names)}); give each "
                         "product a distinct SENSOR tag")
    g = np.asarray(groups) if groups is not None else np.arange(b.size)
    keep = np.isfinite(b)
    A, b, g = A[keep], b[keep], g[keep]
    k = len(names)
    if b.size == 0:
        raise ValueError("the reference has no valid sample inside the sources' grid; check "
                         "that the reference lies over the velocity products (same area, CRS)")
    present = np.isfinite(A)
    n_per = present.sum(axis=0)
    empty = [names[i] for i in range(k) if n_per[i] == 0]
    if empty:
        raise ValueError(f"source(s) {', '.join(empty)} have no data at any reference sample; "
                         "remove them from SOURCES or use a reference that overlaps them")
    R = A - b[:, None]
    src_rmse = _nanrms(R)
    src_bias = np.nansum(R, axis=0) / n_per
    complete = present.all(axis=1)
    nc = int(complete.sum())
    notes: List[str] = []
    if k == 1:
        w = np.ones(1)
        notes.append("a single source: its weight is 1 and fusion returns it unchanged")
    elif method == "inverse-variance":
        if (n_per < 2).any():
            few = [names[i] for i in range(k) if n_per[i] < 2]
            raise ValueError(f"source(s) {', '.join(few)} have fewer than 2 reference samples; "
                             "inverse-variance weights need at least 2 per source")
        w = _inverse_variance(src_rmse ** 2)
    else:
        if nc < k:
            raise ValueError(
                f"only {nc} reference samples have data from every source, too few to fit "
                f"{k} weights (need at least {k}); add reference polygons/stations where "
                "all sources overlap, or use METHOD inverse-variance")
        w = _solve(R[complete], method, notes)
    pred = predict(A, w)
    rmse = float(np.sqrt(np.nanmean((pred - b) ** 2)))

    # bootstrap over groups
    rng = np.random.default_rng(seed)
    ug = np.unique(g)
    boots = []
    if k > 1 and n_bootstrap > 0 and ug.size >= 2:
        idx_by_g = [np.flatnonzero(g == u) for u in ug]
        for _ in range(n_bootstrap):
            check_canceled(is_canceled)
            pick = rng.integers(0, ug.size, ug.size)
            ii = np.concatenate([idx_by_g[j] for j in pick])
            try:
                boots.append(_fit_subset(A[ii], b[ii], method))
            except ValueError:
                continue
    wstd = np.std(boots, axis=0) if len(boots) >= 10 else np.zeros(k)
    if k > 1 and len(boots) < 10:
        notes.append("too few reference groups for a bootstrap; weight uncertainties set to 0")

    fit = WeightFit(names, w, wstd, method, nc, n_per, rmse, src_rmse, src_bias, notes=notes)
    if ug.size >= 2:
        held_pred, held_b, held_src = [], [], []
        for u in ug:
            check_canceled(is_canceled)
            test = g == u
            try:
                wf = np.ones(1) if k == 1 else _fit_subset(A[~test], b[~test], method)
            except ValueError as exc:
                notes.append(f"cross-validation fold '{u}' skipped: {exc}")
                continue
            p = predict(A[test], wf)
            ok = np.isfinite(p)
            if not ok.any():
                continue
            held_pred.append(p[ok])
            held_b.append(b[test][ok])
            held_src.append(R[test][ok])
            fit.cv_folds.append({"group": u.item() if hasattr(u, "item") else u,
                                 "weights": dict(zip(names, map(float, wf))),
                                 "rmse": float(np.sqrt(np.mean((p[ok] - b[test][ok]) ** 2))),
                                 "source_rmse": dict(zip(names, map(float, _nanrms(
                                     R[test][ok])))),
                                 "n": int(ok.sum())})
        if held_pred:
            hp, hb, hs = map(np.concatenate, (held_pred, held_b, held_src))
            fit.cv_rmse = float(np.sqrt(np.mean((hp - hb) ** 2)))
            fit.cv_source_rmse = _nanrms(hs)
    return fit


def _nanrms(R: np.ndarray) -> np.ndarray:
    """Column RMS ignoring NaN; NaN for a column without data (no warning)."""
    n = np.isfinite(R).sum(axis=0)
    ss = np.nansum(R ** 2, axis=0)
    return np.where(n > 0, np.sqrt(ss / np.maximum(n, 1)), np.nan)


def _fit_subset(A: np.ndarray, b: np.ndarray, method: str) -> np.ndarray:
    k = A.shape[1]
    present = np.isfinite(A)
    R = A - b[:, None]
    if method == "inverse-variance":
        n_per = present.sum(axis=0)
        if (n_per < 2).any():
            raise ValueError("a source has fewer than 2 samples")
        return _inverse_variance(_nanrms(R) ** 2)
    complete = present.all(axis=1)
    if complete.sum() < k:
        raise ValueError(f"fewer than {k} samples with every source")
    return _solve(R[complete], method)


# --------------------------------------------------------------------------- fusion
def _stack_with_sigma(vx, vy, sigma_x=None, sigma_y=None):
    """Velocity stacks, their 1-σ errors and the data mask, for per-pixel averaging.

    ``vx``, ``vy``: (k, rows, cols) or one (rows, cols) layer, m/d, NaN = no data.
    ``sigma_x``, ``sigma_y``: broadcastable to that shape (e.g. (k, 1, 1)), NaN or
    None = unknown. Returns float64 ``(vx, vy, sx, sy, m)``, all (k, rows, cols);
    ``m`` is True where both components are finite. Raises ``ValueError`` when vx
    and vy differ in shape or are not 3-D. Shared by :func:`fuse_stack` and
    :func:`glacvel_plugin.core.timeseries.composite_stack`.
    """
    vx = np.asarray(vx, dtype=np.float64)
    vy = np.asarray(vy, dtype=np.float64)
    if vx.ndim == 2:
        vx, vy = vx[None], vy[None]
    if vx.shape != vy.shape or vx.ndim != 3:
        raise ValueError(f"vx and vy must both be (k, rows, cols); got {vx.shape} and {vy.shape}")
    shape = vx.shape
    sx = np.broadcast_to(np.asarray(sigma_x, dtype=float), shape) if sigma_x is not None \
        else np.full(shape, np.nan)
    sy = np.broadcast_to(np.asarray(sigma_y, dtype=float), shape) if sigma_y is not None \
        else np.full(shape, np.nan)
    return vx, vy, sx, sy, np.isfinite(vx) & np.isfinite(vy)


def fuse_stack(vx: np.ndarray, vy: np.ndarray, weights: Optional[Sequence[float]] = None,
               sigma_x: Optional[np.ndarray] = None, sigma_y: Optional[np.ndarray] = None,
               min_weight_sum: float = 1e-6,
               robust: Optional[float] = None) -> Dict[str, np.ndarray]:
    """Masked weighted fusion of ``k`` sources on one block (see the module doc).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (k, rows, cols) (or one (rows, cols) layer), m/d, x east, y north, NaN =
        no data; all sources on one grid.
    weights : sequence of float, optional
        (k,) source weights (need not be normalised; may be negative for the
        unconstrained fit). None = per-pixel inverse variance from ``sigma_x``/``sigma_y``
        (a source with unknown σ at a pixel gets the mean weight of the known ones
        there, equal weights if none is known).
    sigma_x, sigma_y : numpy.ndarray, optional
        float 1σ errors (m/d), (k, rows, cols) or broadcastable (e.g. (k, 1, 1) for
        per-source constants); NaN or None = unknown.
    min_weight_sum : float, optional
        Pixels where the present sources' weights sum to ≤ ``min_weight_sum`` × max|W|
        get no value (only possible with negative weights).
    robust : float, optional
        χ² threshold (2 degrees of freedom, e.g. :data:`ROBUST_CHI2` = 9.21, the 99 %
        point) of the outlier test; None or ≤ 0 = no test. At every pixel with ≥ 2
        contributing sources, source i is compared with the fusion of the others,
        z_i² = Δvx²/(σx_i² + σx_−i²) + Δvy²/(σy_i² + σy_−i²) (σ_−i = error of the others'
        fusion). If the largest z² exceeds the threshold that source is dropped at that
        pixel (with two sources, whose z² are equal, the one with the larger σ), and the
        test is repeated on the remaining sources while ≥ 2 remain. Sources of unknown σ
        are never tested.

    Returns
    -------
    dict
        float32 (rows, cols) arrays ``vx``, ``vy``, ``v``, ``vx_error``, ``vy_error``,
        ``v_error`` (m/d; errors NaN where an error of a contributing source is unknown)
        and ``count`` (sources present, 0 = no data); with ``robust`` also ``rejected``
        (float32 (rows, cols), sources dropped there) and ``rejected_by_source`` (int64
        (k,), pixels where each source was dropped).

    Raises
    ------
    ValueError
        For mismatched shapes, a weight count ≠ k or non-finite weights.
    """
    vx, vy, sx, sy, m = _stack_with_sigma(vx, vy, sigma_x, sigma_y)
    k = vx.shape[0]
    if robust is not None and robust > 0 and k >= 2:
        m_all = m.copy()
        m = m.copy()
        for _ in range(k - 1):
            drop = _outlier_pass(vx, vy, sx, sy, m, weights, min_weight_sum, robust)
            if not drop.any():
                break
            m &= ~drop
        out = _fuse(vx, vy, sx, sy, m, weights, min_weight_sum)
        rej = m_all & ~m
        out["count"] = m_all.sum(axis=0).astype(np.float32)
        out["rejected"] = rej.sum(axis=0).astype(np.float32)
        out["rejected_by_source"] = rej.reshape(k, -1).sum(axis=1).astype(np.int64)
        return out
    return _fuse(vx, vy, sx, sy, m, weights, min_weight_sum)


ROBUST_CHI2 = 9.21
"""99 % point of χ² with 2 degrees of freedom: default outlier threshold of the fusion."""


def _outlier_pass(vx, vy, sx, sy, m, weights, min_weight_sum, thr) -> np.ndarray:
    """(k, rows, cols) True where a source is the outlier to drop (one per pixel at most)."""
    k = vx.shape[0]
    W = _pixel_weights(sx, sy, m, weights, vx.shape)
    Wm = np.where(m, W, 0.0)
    Wm = np.where(m & (Wm <= 0) & ~(Wm > 0).any(axis=0)[None], 1.0, Wm)
    z2 = np.full(vx.shape, np.nan)
    s2 = 0.5 * (sx ** 2 + sy ** 2)
    for i in range(k):
        others = Wm.copy()
        others[i] = 0.0
        S = others.sum(axis=0)
        ok = m[i] & (S > min_weight_sum) & (m.sum(axis=0) >= 2) & (Wm[i] > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            wn = others / np.where(S > 0, S, 1.0)[None]
            ox = (wn * np.where(m, vx, 0.0)).sum(axis=0)
            oy = (wn * np.where(m, vy, 0.0)).sum(axis=0)
            ex2 = (wn ** 2 * np.where(others > 0, sx, 0.0) ** 2).sum(axis=0)
            ey2 = (wn ** 2 * np.where(others > 0, sy, 0.0) ** 2).sum(axis=0)
            z = (vx[i] - ox) ** 2 / (sx[i] ** 2 + ex2) + (vy[i] - oy) ** 2 / (sy[i] ** 2 + ey2)
        z2[i] = np.where(ok, z, np.nan)
    # ties (two sources): prefer dropping the larger σ
    score = z2 * (1.0 + 1e-9 * np.where(np.isfinite(s2), s2, 0.0) /
                  max(float(np.nanmax(s2)) if np.isfinite(s2).any() else 1.0, 1e-300))
    valid = np.isfinite(score)
    best = np.argmax(np.where(valid, score, -np.inf), axis=0)
    bad = np.take_along_axis(np.where(valid, z2, -np.inf), best[None], axis=0)[0] > thr
    drop = np.zeros(vx.shape, dtype=bool)
    rr, cc = np.nonzero(bad)
    drop[best[rr, cc], rr, cc] = True
    return drop


def _pixel_weights(sx, sy, m, weights, shape):
    """Weights per source and pixel: the given ``weights`` or per-pixel inverse variance."""
    k = shape[0]
    if weights is None:
        s2 = 0.5 * (sx ** 2 + sy ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            wpix = np.where(np.isfinite(s2) & (s2 > 0), 1.0 / s2, np.nan)
        known = m & np.isfinite(wpix)
        nk = known.sum(axis=0)
        with np.errstate(invalid="ignore"):
            fill = np.where(nk > 0, np.nansum(np.where(known, wpix, 0.0), axis=0) / np.maximum(nk, 1),
                            1.0)
        W = np.where(np.isfinite(wpix), wpix, fill[None])
        # a perfect source (σ = 0) is taken alone where present
        zero = m & np.isfinite(s2) & (s2 == 0)
        if zero.any():
            anyzero = zero.any(axis=0)
            W = np.where(anyzero[None], zero.astype(float), W)
        return W
    w = np.asarray(weights, dtype=float).ravel()
    if w.size != k:
        raise ValueError(f"{w.size} weights given for {k} sources")
    if not np.all(np.isfinite(w)):
        raise ValueError("fusion weights must be finite numbers")
    return np.broadcast_to(w[:, None, None], shape)


def _fuse(vx, vy, sx, sy, m, weights, min_weight_sum) -> Dict[str, np.ndarray]:
    """The masked weighted fusion of :func:`fuse_stack` for a given data mask ``m``."""
    W = _pixel_weights(sx, sy, m, weights, vx.shape)
    Wm = np.where(m, W, 0.0)
    # a source of weight 0 still fills pixels where no weighted source has data:
    # where every present source has weight exactly 0 they are averaged equally
    gap = m.any(axis=0) & np.all(~m | (W == 0), axis=0)
    Wm = np.where(gap[None] & m, 1.0, Wm)
    S = Wm.sum(axis=0)
    scale = float(np.max(np.abs(W))) if np.size(W) else 1.0
    ok = S > min_weight_sum * max(scale, 1e-300)
    with np.errstate(invalid="ignore", divide="ignore"):
        wn = np.where(ok[None], Wm / np.where(ok, S, 1.0)[None], 0.0)
    fx = np.where(ok, (wn * np.where(m, vx, 0.0)).sum(axis=0), np.nan)
    fy = np.where(ok, (wn * np.where(m, vy, 0.0)).sum(axis=0), np.nan)
    contrib = m & (wn != 0)
    ex = np.sqrt((wn ** 2 * np.where(contrib, sx, 0.0) ** 2).sum(axis=0))
    ey = np.sqrt((wn ** 2 * np.where(contrib, sy, 0.0) ** 2).sum(axis=0))
    ex[~ok | (contrib & ~np.isfinite(sx)).any(axis=0)] = np.nan
    ey[~ok | (contrib & ~np.isfinite(sy)).any(axis=0)] = np.nan
    v = np.hypot(fx, fy)
    ve = speed_error(fx, fy, ex, ey)
    count = m.sum(axis=0).astype(np.float32)
    f32 = np.float32
    return {"vx": fx.astype(f32), "vy": fy.astype(f32), "v": v.astype(f32),
            "vx_error": ex.astype(f32), "vy_error": ey.astype(f32), "v_error": ve.astype(f32),
            "count": count}


def speed_error(vx, vy, sx, sy) -> np.ndarray:
    """1σ error of the speed from component errors (ITS_LIVE): √((σx vx)² + (σy vy)²) / v.

    Parameters
    ----------
    vx, vy : array_like
        Velocity components, m/d, any matching shape.
    sx, sy : array_like
        Their 1σ errors, m/d, same shape.

    Returns
    -------
    numpy.ndarray
        float64, m/d; where the speed is 0 the RMS of the component errors.
    """
    vx, vy, sx, sy = (np.asarray(a, dtype=float) for a in (vx, vy, sx, sy))
    v = np.hypot(vx, vy)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.sqrt((sx * vx) ** 2 + (sy * vy) ** 2) / v
    return np.where(v > 0, e, np.sqrt(0.5 * (sx ** 2 + sy ** 2)))


def weights_for(names: Sequence[str], weights: Mapping[str, float]) -> np.ndarray:
    """Weights of ``names`` from a name → weight mapping (e.g. :func:`parse_weights`).

    Several products may share a name (e.g. two L8 pairs of one period); they share the
    name's weight equally (W/n each), so a sensor's total weight does not grow with its
    number of products.

    Parameters
    ----------
    names : sequence of str
        SENSOR name of each source product.
    weights : mapping of str to float
        Name → weight.

    Returns
    -------
    numpy.ndarray
        float64 (len(names),) weights.

    Raises
    ------
    ValueError
        For a source without a weight, a weight naming no source, or weights whose sum
        over the sources is not positive.
    """
    missing = sorted({n for n in names if n not in weights})
    if missing:
        raise ValueError(f"no weight for source(s) {', '.join(missing)} (weights given for "
                         f"{', '.join(weights) or 'none'}); add them to WEIGHTS, e.g. "
                         + ",".join(f"{n}=0.5" for n in dict.fromkeys(names)))
    unused = sorted(set(weights) - set(names))
    if unused:
        raise ValueError(f"WEIGHTS names {', '.join(unused)}, which is not the SENSOR of any "
                         f"source (sources: {', '.join(dict.fromkeys(names))})")
    counts = {n: list(names).count(n) for n in names}
    w = np.array([float(weights[n]) / counts[n] for n in names])
    if not w.sum() > 0:
        raise ValueError("the fusion weights must have a positive sum")
    return w


# --------------------------------------------------------------------------- statistics
def difference_stats(product: np.ndarray, reference: np.ndarray) -> Dict[str, float]:
    """n, mean (bias), std, RMSE and NMAD (1.4826·MAD) of product − reference.

    Parameters
    ----------
    product, reference : array_like
        Velocities (m/d), any matching shape; pairs where either is NaN are ignored.

    Returns
    -------
    dict
        ``n`` (int), ``mean``, ``std`` (ddof = 1; 0 for n = 1), ``rmse``, ``nmad`` (m/d);
        NaN statistics with n = 0.
    """
    d = np.asarray(product, dtype=float) - np.asarray(reference, dtype=float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return {"n": 0, "mean": math.nan, "std": math.nan, "rmse": math.nan, "nmad": math.nan}
    med = np.median(d)
    return {"n": int(d.size), "mean": float(d.mean()),
            "std": float(d.std(ddof=1)) if d.size > 1 else 0.0,
            "rmse": float(np.sqrt(np.mean(d ** 2))),
            "nmad": float(1.4826 * np.median(np.abs(d - med)))}


# --------------------------------------------------------------------------- local scatter
LOCAL_SCATTER_SIZE = 5
"""Window (pixels of the source's own grid) of :func:`local_scatter`."""


def local_scatter(vx: np.ndarray, vy: np.ndarray, size: int = LOCAL_SCATTER_SIZE) -> np.ndarray:
    """Per-pixel local scatter of a velocity field (m/d), an error term beyond stable ground.

    d = v − nanmedian₃ₓ₃(v) per component (the median keeps smooth flow and removes it:
    a linear gradient gives d = 0), and s = √(mean over the ``size`` × ``size`` window of
    (d_x² + d_y²)/2). Noisy correlation (e.g. near a footprint's edge or on crevasse
    fields) raises s; smooth flow leaves it ≈ 0. Computed on the source's own pixels,
    before any resampling, in strips of rows (≈ 8 MB of temporaries whatever the size).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d, NaN = no data.
    size : int, optional
        Odd window size ≥ 3, source pixels.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols), m/d; NaN where the pixel has no data.

    Raises
    ------
    ValueError
        For an even or too small ``size`` or mismatched shapes.
    """
    vx = np.asarray(vx, dtype=np.float64)
    vy = np.asarray(vy, dtype=np.float64)
    if vx.shape != vy.shape or vx.ndim != 2:
        raise ValueError("vx and vy must be 2-D arrays of one shape")
    if size < 3 or size % 2 == 0:
        raise ValueError(f"local scatter window must be odd and ≥ 3, got {size}")
    from numpy.lib.stride_tricks import sliding_window_view

    def win(a, n):
        h = n // 2
        return sliding_window_view(np.pad(a, h, constant_values=np.nan), (n, n))

    import warnings
    halo = 1 + size // 2
    rows = vx.shape[0]
    s = np.full(vx.shape, np.nan, dtype=np.float32)
    strip = max(8, 2 ** 20 // max(1, vx.shape[1] * size * size))   # ≈ 8 MB temporaries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # all-NaN windows
        for r0 in range(0, rows, strip):
            r1 = min(rows, r0 + strip)
            a0, a1 = max(0, r0 - halo), min(rows, r1 + halo)
            bx, by = vx[a0:a1], vy[a0:a1]
            dx = bx - nan_median_filter(bx, 3)
            dy = by - nan_median_filter(by, 3)
            d2 = 0.5 * (dx ** 2 + dy ** 2)
            part = np.sqrt(np.nanmean(win(d2, size), axis=(-2, -1)))
            s[r0:r1] = part[r0 - a0:r1 - a0]
    s[~(np.isfinite(vx) & np.isfinite(vy))] = np.nan
    return s
