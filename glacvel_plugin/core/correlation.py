"""Window correlation engines: phase correlation and NCC, batched over many windows, and
the dense Lucas-Kanade engines (``lk``, and ``lk_phase``, the default of the pipeline:
:func:`deformable_search`).

Engine API (used by :mod:`glacvel_plugin.core.pipeline` and by the SAR offset tracker's
``'correlation'`` engine)
---------------------------------------------------------------------------------
``match_windows(ref, sec, rows, cols, window, prior_dr, prior_dc, method, search, ...)``
    measures, for every reference window, where its content lies in the secondary
    image. Both images are 2-D float32 arrays on the *same* pixel grid (pixel (i, j) is
    the same ground position in both), NaN = no data. ``rows``/``cols`` (int, shape
    (n,)) are the top-left corners of the reference windows (``window`` × ``window``
    px). The secondary window is taken at the same corner plus the integer prior offset
    (``prior_dr``, ``prior_dc``), and the peak is searched within ``radius`` px of it
    (the search range).
    The result (:class:`Match`) holds the total displacement (prior + measured) in
    pixels, ``dr`` down the rows and ``dc`` along the columns (secondary position minus
    reference position), and a ``quality`` in [-1, 1]; NaN where a window touches no
    data, leaves the secondary array, is flat, or no peak was found within ``radius``.

Methods
-------
``phase``
    Frequency-domain phase correlation: per-window mean removal and a 2-D Hann taper,
    the normalised cross-power spectrum P(k) = S(k) R*(k) / |S(k) R*(k)|, a smooth
    low-pass weight on |k|, the Nyquist row/column dropped. The integer peak of the
    inverse transform (inside ``radius``) starts a Newton search for the maximum of the
    continuous correlation surface c(x) = Σ_k W(k) P(k) exp(iω·x) (the trigonometric
    interpolant of the correlation, i.e. the limit of the upsampled-DFT refinement of
    Guizar-Sicairos et al., 2008, Opt. Lett. 33:156, evaluated exactly with analytic
    gradient and Hessian instead of on an upsampled grid). For a pure translation c is
    maximal exactly at the shift, so there is no pull towards integer pixels (no peak
    locking). ``quality`` = c(d) / Σ W, the weighted mean phase coherence at the peak:
    1 for identical windows, ≈0 for unrelated ones (same idea as the COSI-Corr SNR,
    Leprince et al., 2007, IEEE TGRS 45:1529, but not the same number).
``ncc``
    Normalised cross-correlation (autoRIFT, ImGRAFT, SNAP practice): the reference
    window (no taper) is slid over the secondary search area (window + 2·radius) with
    FFTs; the denominator uses running sums of the search area (Lewis, 1995). The
    integer NCC peak is refined to sub-pixel by the same Newton search on the
    trigonometric interpolant of the (un-whitened) cross-correlation of the tapered
    windows re-extracted at the integer peak (the continuous version of "upsample the
    NCC peak"). ``quality`` = the NCC value at the integer peak, in [-1, 1].

Speed: all windows of a batch go through one ``scipy.fft.rfft2`` call in float32
(``workers`` threads); there is no Python loop per window. Memory per batch is about
``batch × window² × 40`` bytes (phase) or ``batch × (window + 2·radius)² × 40`` bytes
(NCC); :func:`batch_size_for` picks ``batch`` for a memory budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np
import scipy.fft as sfft

from .filters import window_sums

METHODS = ("phase", "ncc")
"""Engines of :func:`match_windows`; the dense engines ``lk`` (:func:`lucas_kanade_search`)
and the default ``lk_phase`` (:func:`deformable_search`) work on a grid of windows."""

_DEFAULT_BUDGET = 256 * 2 ** 20  # bytes of temporary arrays per batch


@dataclass
class Match:
    """Result of :func:`match_windows` and the dense engines.

    Attributes
    ----------
    dr, dc : numpy.ndarray
        float32 (n,): displacement in px, secondary minus reference position, along rows
        (down) and columns (right), prior included; NaN where no measurement was possible.
    quality : numpy.ndarray
        float32 (n,): match quality (see the module doc), NaN with ``dr``.
    no_data : numpy.ndarray or None
        bool (n,), set by the dense engines only (else None): the windows that are NaN
        because they touch no data or their secondary leaves it.
    """
    dr: np.ndarray
    dc: np.ndarray
    quality: np.ndarray
    no_data: Optional[np.ndarray] = None


def batch_size_for(window: int, search: int = 0, method: str = "phase",
                   budget_bytes: int = _DEFAULT_BUDGET) -> int:
    """Number of windows per FFT batch that keeps temporaries under ``budget_bytes``.

    Parameters
    ----------
    window : int
        Window size, px.
    search : int, optional
        Search range, px each side (widens the NCC search area; ignored by phase).
    method : {'phase', 'ncc'}, optional
        Engine.
    budget_bytes : int, optional
        Memory budget of the batch's temporary arrays, bytes.

    Returns
    -------
    int
        Windows per batch, between 64 and 65536.
    """
    side = window + (2 * search if method == "ncc" else 0)
    side = sfft.next_fast_len(side, real=True) if method == "ncc" else side
    per_window = 48 * side * side + 64 * window * window
    return int(max(64, min(65536, budget_bytes // per_window)))


def _freqs(n: int):
    """Signed integer frequencies along the full axis and along the rfft axis."""
    fy = np.fft.fftfreq(n, 1.0 / n)
    fx = np.arange(n // 2 + 1, dtype=np.float64)
    return fy, fx


def spectral_weight(n: int, lowpass: float = 0.6) -> np.ndarray:
    """Spectral weight W(k) of phase correlation on the rfft half-plane.

    Gaussian low-pass exp(−(|f| / (lowpass · n/2))²) on the radial frequency, zero on the
    Nyquist row and column, and the factor 2 for the columns that stand for their
    conjugate twins (so that Σ over the half plane = Σ over the full plane).

    Parameters
    ----------
    n : int
        Window size, px.
    lowpass : float, optional
        Width of the Gaussian as a fraction of Nyquist; ≤ 0 disables it.

    Returns
    -------
    numpy.ndarray
        float32 (n, n // 2 + 1).
    """
    fy, fx = _freqs(n)
    r2 = fy[:, None] ** 2 + fx[None, :] ** 2
    if lowpass and lowpass > 0:
        w = np.exp(-r2 / (lowpass * n / 2.0) ** 2)
    else:
        w = np.ones_like(r2)
    if n % 2 == 0:
        w[n // 2, :] = 0.0
        w[:, n // 2] = 0.0
    twin = np.full(fx.shape, 2.0)
    twin[0] = 1.0
    if n % 2 == 0:
        twin[-1] = 1.0
    return (w * twin[None, :]).astype(np.float32)


def _gather(img: np.ndarray, r0: np.ndarray, c0: np.ndarray, n: int) -> np.ndarray:
    """Stack (b, channels, n, n) float32 of n×n windows with top-left corners (r0, c0).

    ``img`` is (channels, rows, cols). Windows reaching outside ``img`` are all NaN.
    """
    ch, h, w = img.shape
    b = len(r0)
    if h < n or w < n:
        return np.full((b, ch, n, n), np.nan, dtype=np.float32)
    ok = (r0 >= 0) & (c0 >= 0) & (r0 + n <= h) & (c0 + n <= w)
    view = np.lib.stride_tricks.sliding_window_view(img, (n, n), axis=(1, 2))
    if ok.all():
        return np.ascontiguousarray(view[:, r0, c0].transpose(1, 0, 2, 3), dtype=np.float32)
    out = np.full((b, ch, n, n), np.nan, dtype=np.float32)
    if ok.any():
        out[ok] = view[:, r0[ok], c0[ok]].transpose(1, 0, 2, 3)
    return out


def _hann_shifted(n: int, frac: np.ndarray) -> np.ndarray:
    """Hann tapers (b, n) sampled at k + 0.5 - frac: the taper moved by ``frac`` px."""
    u = np.arange(n)[None, :] + 0.5 - np.asarray(frac, np.float64)[:, None]
    t = 0.5 - 0.5 * np.cos(2.0 * np.pi * u / n)
    t[(u < 0) | (u > n)] = 0.0
    return t.astype(np.float32)


def _prepare_tapered(stack: np.ndarray, ty: Optional[np.ndarray], tx: Optional[np.ndarray]):
    """Remove the (taper-weighted) mean and apply the tapers, in place.

    ``stack``: (b, ch, n, n) float32; ``ty``, ``tx``: per-window tapers (b, n), a shared
    taper (n,), or None (no taper). Returns the stack and a bool (b,) flag: NaN inside
    or no contrast.
    """
    bad = ~np.isfinite(stack).all(axis=(1, 2, 3))
    if bad.any():
        stack[bad] = 0.0
    n2 = stack.shape[2] * stack.shape[3]
    if ty is None:
        mean = stack.mean(axis=(2, 3), dtype=np.float64).astype(np.float32)
        stack -= mean[:, :, None, None]
        tsum = float(n2)
    elif ty.ndim == 1:
        t = np.outer(ty, tx).astype(np.float32)
        tsum = float(t.sum())
        mean = np.einsum("bcij,ij->bc", stack, t) / tsum
        stack -= mean[:, :, None, None]
        stack *= t
    else:
        t = ty[:, None, :, None] * tx[:, None, None, :]
        tsum = t.sum(axis=(2, 3))
        mean = np.einsum("bcij,bcij->bc", stack, t) / tsum
        stack -= mean[:, :, None, None]
        stack *= t
    power = np.einsum("bcij,bcij->bc", stack, stack)
    bad |= ~(power > 1e-10 * (np.abs(mean) + 1.0) ** 2 * tsum).any(axis=1)
    return stack, bad


def _cross_power(Fa_conj: np.ndarray, Fb: np.ndarray) -> np.ndarray:
    """Σ over channels of Fb · conj(Fa): (b, ch, n, h) → (b, n, h) complex64
    (:func:`~glacvel_plugin.core.phase_kernels.cross_power`)."""
    from . import phase_kernels
    return phase_kernels.cross_power(Fa_conj, Fb)


WHITEN_FLOOR = 1.0
"""Regularisation λ of the phase normalisation Q / (|Q| + λ·mean|Q|)."""


def _whiten(Q: np.ndarray, W: np.ndarray):
    """Regularised phase normalisation of the cross-power spectrum (in place).

    P = W · Q / (|Q| + λ·mean|Q|): frequencies much stronger than the mean are
    whitened (phase correlation proper), weak ones, mostly noise in low-contrast windows,
    keep a weight proportional to their power instead of being lifted to full weight
    (λ = 1 cut gross errors on the Yahtse crops 3× at the same sub-pixel precision).
    Returns (P, norm) with norm (b,) = Σ W|P|/|Q|·|Q|, the value c would have at a
    perfect match, used to scale the quality to 1 for identical windows.
    """
    from . import phase_kernels
    return phase_kernels.whiten(Q, W, WHITEN_FLOOR)


def _newton(P: np.ndarray, y0: np.ndarray, x0: np.ndarray, n: int, iters: int = 5,
            max_move: float = 1.0, need_c: bool = True):
    """Maximise c(y, x) = Re Σ P(k) exp(i(ωy y + ωx x)) for each window.

    ``P``: complex64 (b, n, n//2+1) weighted cross-power (half plane, twins weighted);
    ``y0``, ``x0``: float (b,) start points within ~0.5 px of the maximum. Newton steps
    use the analytic gradient and Hessian of c; a step is capped at 0.5 px. Returns
    (y, x, c) float64 and a boolean ``ok`` that is False where c is not concave at the
    solution or the solution moved more than ``max_move`` px from the start
    (:func:`~glacvel_plugin.core.phase_kernels.newton`).
    """
    from . import phase_kernels
    return phase_kernels.newton(P, y0, x0, n, iters=iters, max_move=max_move, need_c=need_c)


def _parabolic(cm: np.ndarray, c0: np.ndarray, cp: np.ndarray) -> np.ndarray:
    """Three-point parabola vertex offset in [-0.5, 0.5] (start value for Newton)."""
    den = cm - 2.0 * c0 + cp
    off = np.where(den < 0, 0.5 * (cm - cp) / np.where(den < 0, den, -1.0), 0.0)
    return np.clip(off, -0.5, 0.5)


def _peak_in_radius(surf: np.ndarray, radius: int):
    """Integer argmax of circular surfaces (b, n, n) within |shift| <= radius.

    Returns (sy, sx) signed integer shifts, the peak values and a parabolic sub-pixel
    start (fy, fx) in pixels.
    """
    b, n, _ = surf.shape
    r = int(min(radius, n // 2 - 1))
    if 2 * r + 2 >= n:
        # every shift but the Nyquist row/column (n even): argmax of the whole surface
        # with those masked, no gather of a sub-surface
        full = surf
        if n % 2 == 0:
            full = surf.copy()
            full[:, n // 2, :] = -np.inf
            full[:, :, n // 2] = -np.inf
        iy, ix = np.unravel_index(full.reshape(b, -1).argmax(axis=1), (n, n))
    else:
        idx = np.r_[0:r + 1, n - r:n] if r > 0 else np.array([0])
        sub = surf[:, idx[:, None], idx[None, :]]
        flat = sub.reshape(b, -1).argmax(axis=1)
        iy_i, ix_i = np.unravel_index(flat, sub.shape[1:])
        iy = idx[iy_i]
        ix = idx[ix_i]
    rows = np.arange(b)
    peak = surf[rows, iy, ix]
    fy = _parabolic(surf[rows, (iy - 1) % n, ix], peak, surf[rows, (iy + 1) % n, ix])
    fx = _parabolic(surf[rows, iy, (ix - 1) % n], peak, surf[rows, iy, (ix + 1) % n])
    sy = np.where(iy > n // 2, iy - n, iy)
    sx = np.where(ix > n // 2, ix - n, ix)
    return sy, sx, peak, fy, fx


class _Kernels:
    """Per-window-size spectral weights, cached."""
    _cache = {}

    @classmethod
    def get(cls, n: int, lowpass: float):
        key = (n, round(float(lowpass), 6))
        if key not in cls._cache:
            W = spectral_weight(n, lowpass)
            cls._cache[key] = (W, float(W.sum()))
        return cls._cache[key]


def _refine(Fa_conj, sec, rows, cols, y, x, n, W, workers, rounds, spectrum, first_iters=2):
    """Move the secondary window and its taper onto the current estimate and re-measure.

    Integer part by extraction, fraction by sampling the continuous Hann taper
    off-centre: the two tapered windows then cover the same ground patch, which removes
    the pull of a fixed taper towards zero shift. Only the secondary spectrum is
    recomputed. ``spectrum(Q)`` turns the cross-power into the surface to maximise.
    """
    c = np.zeros(len(y))
    norm = np.ones(len(y))
    ok = np.ones(len(y), bool)
    bad = np.zeros(len(y), bool)
    for it in range(rounds):
        iy = np.round(y).astype(np.int64)
        ix = np.round(x).astype(np.int64)
        fy, fx = y - iy, x - ix
        b, bad = _prepare_tapered(_gather(sec, rows + iy, cols + ix, n),
                                  _hann_shifted(n, fy), _hann_shifted(n, fx))
        Q, norm = spectrum(_cross_power(Fa_conj, sfft.rfft2(b, workers=workers)), W)
        del b
        ry, rx, c, ok = _newton(Q, fy, fx, n, iters=first_iters if it == 0 else 2,
                                max_move=1.0 if it == 0 else 0.5)
        y, x = iy + ry, ix + rx
    return y, x, c, ok, bad, norm


def _phase_batch(ref, sec, rows, cols, pr, pc, n, radius, lowpass, workers, refine=1,
                 ctx=None):
    W, _ = _Kernels.get(n, lowpass)
    t0 = _hann_shifted(n, np.zeros(1))[0]
    a, bad_a = _prepare_tapered(_gather(ref, rows, cols, n), t0, t0)
    Fa = np.conj(sfft.rfft2(a, workers=workers))
    del a
    b, bad_b = _prepare_tapered(_gather(sec, rows + pr, cols + pc, n), t0, t0)
    Q = _cross_power(Fa, sfft.rfft2(b, workers=workers))
    del b
    # integer peak on the plain (un-whitened) cross-correlation: whitening lifts noise
    # in low-contrast windows to full weight and gives false peaks there
    surf = sfft.irfft2(Q, s=(n, n), workers=workers)
    sy, sx, _, fy, fx = _peak_in_radius(surf, radius)
    del surf
    Q, norm = _whiten(Q, W)
    # first sub-pixel estimate with the centred taper, then re-centre the taper on it
    y, x, c, ok = _newton(Q, sy + fy, sx + fx, n, iters=2, max_move=1.0,
                          need_c=not refine)
    del Q
    bad = bad_a | bad_b | ~ok
    if refine:
        y = np.where(ok, y, sy + fy)
        x = np.where(ok, x, sx + fx)
        y, x, c, ok, bad_r, norm = _refine(Fa, sec, rows + pr, cols + pc, y, x, n, W,
                                           workers, refine, _whiten)
        bad = bad_a | bad_b | bad_r | ~ok
    q = (c / np.maximum(norm, 1e-30)).astype(np.float32)
    return y, x, q, bad


def _unwhitened(Q, W):
    """Plain cross-correlation spectrum, weighted and scaled to a mean magnitude of 1."""
    Q *= W / (np.abs(Q).mean(axis=(1, 2), keepdims=True) + 1e-30)
    return Q


def _unwhitened_pair(Q, W):
    Q = _unwhitened(Q, W)
    return Q, np.abs(Q).sum(axis=(1, 2), dtype=np.float64)


def _box_variance(sec: np.ndarray, n: int) -> np.ndarray:
    """Σ over channels of the variance·n² of every n×n window of ``sec`` (ch, H, W).

    float64 (H−n+1, W−n+1), from summed-area tables (Lewis, 1995); NaN pixels count 0
    (windows holding them are rejected elsewhere).
    """
    ch, h, w = sec.shape
    out = np.zeros((max(h - n + 1, 0), max(w - n + 1, 0)))
    if out.size == 0:
        return out
    for c in range(ch):
        x = np.nan_to_num(sec[c].astype(np.float64), nan=0.0)
        x -= x.mean()
        for power, sign in ((2, 1.0), (1, None)):
            box = window_sums(x ** power, n, n)
            if sign is not None:
                out += box
            else:
                out -= box * box / (n * n)
    return np.maximum(out, 0.0)


def _ncc_batch(ref, sec, rows, cols, pr, pc, n, radius, lowpass, workers, refine=1,
               ctx=None):
    b_ = len(rows)
    m = n + 2 * radius
    k = 2 * radius + 1
    a, bad_a = _prepare_tapered(_gather(ref, rows, cols, n), None, None)
    r0, c0 = rows + pr - radius, cols + pc - radius
    s = _gather(sec, r0, c0, m)
    bad_s = ~np.isfinite(s).all(axis=(1, 2, 3))
    s[bad_s] = 0.0
    L = sfft.next_fast_len(m, real=True)
    Fa = sfft.rfft2(a, s=(L, L), workers=workers)
    Fs = sfft.rfft2(s, s=(L, L), workers=workers)
    del s
    cc = sfft.irfft2(_cross_power(np.conj(Fa), Fs), s=(L, L), workers=workers)[:, :k, :k]
    del Fa, Fs
    var_img = ctx["var"] if ctx is not None and "var" in ctx else _box_variance(sec, n)
    var_s = _gather(var_img[None], np.where(bad_s, 0, r0), np.where(bad_s, 0, c0), k)[:, 0]
    norm_a = np.sqrt((a.astype(np.float64) ** 2).sum(axis=(1, 2, 3)))
    den = norm_a[:, None, None] * np.sqrt(np.nan_to_num(var_s, nan=0.0))
    ncc = np.where(den > 1e-12 * (den.max(axis=(1, 2), keepdims=True) + 1e-30),
                   cc / np.where(den > 0, den, 1.0), -2.0)
    flat = ncc.reshape(b_, -1).argmax(axis=1)
    iy, ix = np.unravel_index(flat, (k, k))
    peak = ncc.reshape(b_, -1)[np.arange(b_), flat]
    edge = (iy == 0) | (ix == 0) | (iy == k - 1) | (ix == k - 1)
    del a, cc, ncc
    # sub-pixel: continuous cross-correlation of the tapered windows at the integer peak
    W, _ = _Kernels.get(n, lowpass)
    t0 = _hann_shifted(n, np.zeros(1))[0]
    a, _ = _prepare_tapered(_gather(ref, rows, cols, n), t0, t0)
    Fa = np.conj(sfft.rfft2(a, workers=workers))
    del a
    y, x, _, ok, bad_b, _ = _refine(Fa, sec, rows + pr, cols + pc, (iy - radius).astype(float),
                                    (ix - radius).astype(float), n, W, workers, refine + 1,
                                    _unwhitened_pair, first_iters=3)
    bad = bad_a | bad_s | bad_b | edge | ~ok | (peak < -1.5)
    return y, x, np.minimum(peak, 1.0).astype(np.float32), bad


FFT_THREAD_BATCH = 512
"""Fewest windows in an FFT batch for ``scipy.fft`` to use more than one thread: on
stacks of 32 px windows two threads take 0.84× (64 windows) to 1.12× (128–256) the time
of one and 1.75× at 512, and inside the engine, between the compiled kernels' threads,
small stacks on two threads made the default engine 20–50 % slower on the 512 px
crop (whose fallback batches hold about 120 windows)."""


def match_windows(ref: np.ndarray, sec: np.ndarray, rows, cols, window: int,
                  prior_dr=None, prior_dc=None, method: str = "phase",
                  search: Optional[int] = None, lowpass: float = 0.6, workers: int = 1,
                  batch: Optional[int] = None, refine: int = 1, is_canceled=None,
                  progress: Optional[Callable[[float], None]] = None) -> Match:
    """Displacement of each reference window in the secondary image (see the module doc).

    Parameters
    ----------
    ref, sec : numpy.ndarray
        (rows, cols) or (channels, rows, cols) on the same grid, any real dtype, NaN = no
        data. Channels (e.g. the two orientation-image components) are correlated
        together: their cross-spectra are summed.
    rows, cols : array_like
        int (n,): top-left corners of the reference windows.
    window : int
        Window size, px, ≥ 8.
    prior_dr, prior_dc : array_like, optional
        int (n,): integer offset (rows, columns, px) of the secondary window; the search
        is centred there. None = 0.
    method : {'phase', 'ncc'}, optional
        Engine (module doc).
    search : int, optional
        Search range, px around the prior. Phase: peaks farther away are ignored (default
        and maximum window//2 − 1; keep displacements within window//4 of the prior for
        reliable results). NCC: the search area is window + 2·search (default
        window//4); peaks on its border are rejected.
    lowpass : float, optional
        Width of the Gaussian spectral weight as a fraction of Nyquist.
    workers : int, optional
        Threads for ``scipy.fft`` and the spectral kernels
        (:mod:`~glacvel_plugin.core.phase_kernels`).
    batch : int, optional
        Windows per FFT batch (default from :func:`batch_size_for`).
    refine : int, optional
        Rounds of taper re-centring (0 = none; 1 brings the bias below 0.01 px).
    is_canceled : callable, optional
        Checked between batches.
    progress : callable, optional
        Given the fraction of windows done (0..1] after every batch.

    Returns
    -------
    Match
        float32 arrays (n,), total displacement (prior included) in px.

    Raises
    ------
    ValueError
        For an unknown method, a window below 8 px, or arrays of different shapes.
    Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Guizar-Sicairos, M., Thurman, S. T. & Fienup, J. R. (2008). Efficient subpixel image
    registration algorithms. Opt. Lett. 33, 156-158.

    Leprince, S., Barbot, S., Ayoub, F. & Avouac, J.-P. (2007). Automatic and precise
    orthorectification, coregistration, and subpixel correlation of satellite images,
    application to ground deformation measurements. IEEE Trans. Geosci. Remote Sens. 45,
    1529-1558.

    Lewis, J. P. (1995). Fast normalized cross-correlation. Vision Interface, 120-123.
    """
    from . import check_canceled

    if method not in METHODS:
        raise ValueError(f"unknown correlation method {method!r}; use one of {', '.join(METHODS)}")
    n = int(window)
    if n < 8:
        raise ValueError(f"window {window} px is too small; use at least 8 px (32 is usual)")
    ref = np.asarray(ref, dtype=np.float32)
    sec = np.asarray(sec, dtype=np.float32)
    if ref.shape != sec.shape:
        raise ValueError(f"reference {ref.shape} and secondary {sec.shape} arrays differ in shape; "
                         "align the secondary image on the reference grid first")
    if ref.ndim == 2:
        ref, sec = ref[None], sec[None]
    rows = np.asarray(rows, dtype=np.int64).ravel()
    cols = np.asarray(cols, dtype=np.int64).ravel()
    count = rows.size
    pr = np.zeros(count, np.int64) if prior_dr is None else np.asarray(prior_dr, np.int64).ravel()
    pc = np.zeros(count, np.int64) if prior_dc is None else np.asarray(prior_dc, np.int64).ravel()
    radius = search
    if radius is None:
        radius = n // 4 if method == "ncc" else n // 2 - 1
    radius = int(max(1, radius))
    if method == "phase":
        radius = min(radius, n // 2 - 1)
    if batch is None:
        batch = batch_size_for(n, radius, method) // max(1, ref.shape[0])
    dr = np.full(count, np.nan, np.float32)
    dc = np.full(count, np.nan, np.float32)
    q = np.full(count, np.nan, np.float32)
    from .threads import set_threads
    previous = set_threads(workers)
    try:
        fn = _phase_batch if method == "phase" else _ncc_batch
        ctx = {"var": _box_variance(sec, n)} if method == "ncc" else None
        for s0 in range(0, count, batch):
            check_canceled(is_canceled)
            sl = slice(s0, min(count, s0 + batch))
            # FFT threads only pay off on large stacks (see FFT_THREAD_BATCH)
            fft_workers = workers if sl.stop - sl.start >= FFT_THREAD_BATCH else 1
            y, x, qq, bad = fn(ref, sec, rows[sl], cols[sl], pr[sl], pc[sl], n, radius, lowpass,
                               fft_workers, refine, ctx)
            y = (y + pr[sl]).astype(np.float32)
            x = (x + pc[sl]).astype(np.float32)
            qq = np.asarray(qq, np.float32)
            for arr in (y, x, qq):
                arr[bad] = np.nan
            dr[sl], dc[sl], q[sl] = y, x, qq
            if progress is not None:
                progress(sl.stop / count)
    finally:
        set_threads(previous)
    return Match(dr, dc, q)


# ---------------------------------------------------------------------------------------
# Dense gradient matching (Lucas-Kanade) with window deformation: the fast engine
# ---------------------------------------------------------------------------------------

_DERIV = np.array([1.0, -8.0, 0.0, 8.0, -1.0], np.float32) / 12.0   # 5-tap central difference


LK_CHUNKS = 8
"""Row (and column) chunks of one Lucas-Kanade pass over a strip: the warp, the
products and the window sums run chunk by chunk (the same values as on the whole strip)
and progress is reported after every chunk, so that a strip of a whole scene is not
silent for a whole pass."""


SETUP_SHARE = 0.3
"""Share of the first Lucas-Kanade pass's progress given to a strip's set-up (spline
coefficients of the secondary image, reference gradients, no-data sums)."""


def _chunks(size: int, count: int):
    """(start, stop) of ``count`` near-equal consecutive chunks of range(size)."""
    edges = np.unique(np.linspace(0, size, max(1, count) + 1).astype(np.int64))
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def _deriv(x: np.ndarray):
    """(d/drow, d/dcol) of a 2-D image with a 5-tap central difference."""
    from scipy import ndimage
    return (ndimage.correlate1d(x, _DERIV, axis=0, mode="nearest"),
            ndimage.correlate1d(x, _DERIV, axis=1, mode="nearest"))


def _box_means_axis(x: np.ndarray, n: int, centres: np.ndarray, axis: int) -> np.ndarray:
    """Means of ``x`` over runs of n samples along ``axis`` (-1 or -2) starting at
    ``centres`` − n/2 (>= 0, increasing); samples past the end count as zero.

    The samples are first summed in blocks of g = gcd(n, steps between the centres) (g
    consecutive rows or columns: every run starts and ends on a block edge), so that
    the box filter runs on g times fewer samples: at window 32 / step 2 half the cost
    of filtering every sample, the same sums.
    """
    from scipy import ndimage
    s = np.asarray(centres) - n // 2
    g = int(np.gcd.reduce(np.append(np.diff(s), n))) if len(s) > 1 else 1
    lo = int(s[0])
    nb = (x.shape[axis] - lo) // g
    tail = (slice(None),) if axis == -2 else ()

    def part(k, stop):
        return x[(Ellipsis, slice(lo + k, stop, g)) + tail]
    blocks = part(0, lo + g * nb).copy() if g > 1 else part(0, None)
    for k in range(1, g):
        blocks += part(k, lo + k + g * nb)
    m = n // g
    y = ndimage.uniform_filter1d(blocks, m, axis=axis, mode="constant")
    y = np.take(y, m // 2 + (s - lo) // g, axis=axis)
    if g > 1:
        y /= g
    return y


def _window_means(x: np.ndarray, n: int, si: np.ndarray, sj: np.ndarray) -> np.ndarray:
    """Means of ``x`` over the n×n windows centred (pixel-edge convention) at rows
    ``si`` − 0.5 and columns ``sj`` − 0.5, i.e. rows si − n/2 … si + n/2 − 1.

    ``x``: (..., H, W) float32; returns (..., len(si), len(sj)). Two separable box
    passes (:func:`_box_means_axis`), the second only on the ``si`` rows: the cost per
    output window falls with the overlap (O(H·W + len(si)·W) for any n). Requires
    ``si``, ``sj`` >= n/2; past the array's end counts as zero.
    """
    return _box_means_axis(_box_means_axis(x, n, si, -2), n, sj, -1)


def _lerp_weights(pos: np.ndarray, size: int):
    """Indices and weights of linear interpolation at ``pos`` on 0..size-1 (clamped)."""
    p = np.clip(pos, 0, size - 1)
    i0 = np.minimum(np.floor(p).astype(np.int64), max(size - 2, 0))
    w = (p - i0).astype(np.float32)
    i1 = np.minimum(i0 + 1, size - 1)
    return i0, i1, w


PREDICTOR_FINE = 0.25
"""σ of the predictor filter's narrow Gaussian, as a fraction of its wide σ."""

PREDICTOR_STRUCTURE = (0.1, 0.2)
"""Difference (px) between the wide and the narrow Gaussian of the field from which the
predictor filter starts to take the narrow one, and at which it takes it alone."""


def predictor_filter(ur: np.ndarray, uc: np.ndarray, sigma: float):
    """Structure-preserving predictor filter of a displacement field on the window grid.

    The field is smoothed by a Gaussian of σ = ``sigma`` grid cells (the predictor
    filter of iterative window deformation) and by a narrow one of σ ·
    :data:`PREDICTOR_FINE`. Where the two differ by less than
    ``PREDICTOR_STRUCTURE[0]`` (0.1 px, length of the difference vector) the wide one is
    kept: there the difference is the noise of the windows, which the wide filter
    removes. Where they differ by more than ``PREDICTOR_STRUCTURE[1]`` (0.2 px) the
    field has structure at the scale of the filter (a rock/ice edge, a shear margin, the
    fastest ice at a terminus), which the wide filter would spread over a window or more
    on each side; there the narrow one is taken, and in between a linear blend of the
    two. A linear field passes both unchanged (symmetric kernels), so the blend only
    acts where the field curves. Edges of the grid: nearest value.

    Parameters
    ----------
    ur, uc : numpy.ndarray
        float32 (rows_out, cols_out): displacement along rows and columns, px.
    sigma : float
        σ of the wide Gaussian, grid cells (> 0).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        float32 (rows_out, cols_out): the filtered rows and columns displacement, px.

    References
    ----------
    Schrijer, F. F. J. & Scarano, F. (2008). Effect of predictor-corrector filtering on
    the stability and spatial resolution of iterative PIV interrogation. Exp. Fluids 45,
    927-941.
    """
    from scipy import ndimage
    wide = [ndimage.gaussian_filter(x, sigma, mode="nearest") for x in (ur, uc)]
    fine = [ndimage.gaussian_filter(x, sigma * PREDICTOR_FINE, mode="nearest")
            for x in (ur, uc)]
    t0, t1 = PREDICTOR_STRUCTURE
    w = np.clip((np.hypot(wide[0] - fine[0], wide[1] - fine[1]) - t0) / (t1 - t0), 0.0, 1.0)
    return tuple((g + w * (f - g)).astype(np.float32) for g, f in zip(wide, fine))


def dense_lucas_kanade(ref: np.ndarray, sec: np.ndarray, row0: int, col0: int,
                       rows_out: int, cols_out: int, window: int, step: int,
                       prior_r: np.ndarray, prior_c: np.ndarray, iters: int = 5,
                       robust: float = 0.5, tol: float = 0.05,
                       max_change: Optional[float] = None, min_ncc: float = 0.3,
                       smooth: float = 0.25, final_smooth: Optional[float] = None,
                       progress: Optional[Callable[[float], None]] = None,
                       workers: int = 1) -> Match:
    """Dense window matching by iterated Lucas-Kanade with window deformation.

    The fast engine (method ``'lk'``): for a regular grid of windows, start from the
    real-valued displacement field ``prior_r``, ``prior_c``, warp the secondary image by
    that field (bilinear field, cubic-spline image interpolation: the windows deform with
    the flow, as in PIV window deformation), and solve per window the 2×2 least-squares
    system Σ w g gᵀ δ = −Σ w g (s̃ − r) over the window (box weights, as in the
    correlation engines) with the symmetric gradient g = (∇r + ∇s̃)/2. The field is
    updated by δ (at most 1 px per iteration) and the warp repeated:

    * before each new warp the field is smoothed with a Gaussian of σ = ``smooth`` ×
      window px (default window/4) and the next update is measured against the smoothed
      field (predictor filtering): without it the iteration deconvolves the window
      average and amplifies grid-scale noise (``smooth`` = 0 switches it off: for a few
      iterations from a prior that is already right, as :func:`lucas_kanade_search` does);
    * ``final_smooth`` (windows, None = ``smooth``): σ of the filter before the last
      (robust) iteration only (:func:`deformable_search` uses window/2 there). When it
      is given, that filter keeps the field's structure (:func:`predictor_filter`: a
      Gaussian of σ/4 where the wide one would move the field by more than 0.1–0.2 px,
      at rock/ice edges and shear margins);
    * the first warp, from the prior, is bilinear (three times cheaper; the prior is
      tenths of a pixel off anyway), the later ones cubic-spline;
    * plain iterations run until the field changes by at most ``tol`` px at the 90th
      percentile of the windows (converged), or until ``iters`` − 1 of them have run;
    * then one robust iteration (``robust`` > 0): pixel weights w = 1 / (1 + (e / c)²)
      (Cauchy) on the residual e = s̃ − r, with c = ``robust`` × 1.4826 × median |e| of the
      strip, so that pixels that changed between the dates (moving shadow edges, fresh
      snow) do not pull the window. It starts from the converged field, so the result
      does not depend on the prior. With ``robust`` = 0, up to ``iters`` plain
      iterations.

    Every window sum is a separable box filter of a product image, so the cost per window
    does not grow with the window size and shrinks with overlap: a few µs per window at
    window 32 / step 2. The warp (with the per-pixel field) and the derivatives, residual,
    robust weight and products of each pass run in compiled kernels
    (:mod:`~glacvel_plugin.core.lk_kernels`, numba, rows in parallel on ``workers``
    threads) that give the values of the scipy/numpy operations they replace. Accuracy on Landsat texture: 0.004–0.025 px RMS for constant
    shifts (a cubic-spline bias of ≈0.02 px at quarter-pixel shifts); see
    docs/correlation.md.

    Parameters
    ----------
    ref, sec : numpy.ndarray
        (rows, cols) or (channels, rows, cols), same grid, NaN = no data.
    row0, col0 : int
        Top-left corner of window (0, 0), px; window (i, j) has its corner at
        ``(row0 + i·step, col0 + j·step)``.
    rows_out, cols_out : int
        Windows along rows and columns.
    window : int
        Window size, px.
    step : int
        Distance between window centres, px.
    prior_r, prior_c : numpy.ndarray
        float (rows_out, cols_out): starting displacement, px (rows down, columns right).
    iters : int, optional
        Most iterations (plain ones plus the robust one).
    robust : float, optional
        Cauchy scale of the robust iteration in NMADs of the residual (0 = none).
    tol : float, optional
        Convergence: 90th percentile of the field change, px.
    max_change : float, optional
        Windows that moved farther than this from the prior (px) are rejected.
    min_ncc : float, optional
        Lowest accepted ``quality``.
    smooth : float, optional
        Predictor-filter σ in windows.
    final_smooth : float, optional
        Predictor-filter σ (windows) before the robust iteration; None = ``smooth``.
    progress : callable, optional
        Given the fraction of the at most ``iters`` passes done after every pass.
    workers : int, optional
        Threads of the compiled kernels (rows of the strip in parallel), clamped to
        1 … ``numba.config.NUMBA_NUM_THREADS``; the result does not depend on it. The
        calling thread's numba setting is restored on return.

    Returns
    -------
    Match
        Flattened (rows_out·cols_out,) total displacement in px; ``quality`` = NCC of the
        reference windows and the secondary windows warped for the last iteration, in
        [-1, 1]; ``no_data`` set. NaN where a window touches no data, is ill-conditioned
        (aperture problem: smallest eigenvalue of Σ w g gᵀ below 2 % of the largest or
        below 1e-3 of the strip median), whose field still changed by > 0.2 px in the
        last plain iteration, moved farther than ``max_change`` px from the prior, or
        whose ``quality`` is below ``min_ncc``: the iteration can settle on a wrong but
        stable field where the prior was several pixels off (fast, strongly deforming
        ice), and the deformed windows then no longer resemble the reference (on the
        Yahtse pair windows that disagree with phase correlation by > 2 px have median NCC
        0.06, those that agree within 0.5 px 0.83; 0.3 rejects 92 % of the former and
        0.8 % of the latter).

    References
    ----------
    Lucas, B. D. & Kanade, T. (1981). An iterative image registration technique with an
    application to stereo vision. Proc. 7th IJCAI, 674-679.

    Baker, S. & Matthews, I. (2004). Lucas-Kanade 20 years on: a unifying framework.
    Int. J. Comput. Vis. 56, 221-255.

    Schrijer, F. F. J. & Scarano, F. (2008). Effect of predictor-corrector filtering on
    the stability and spatial resolution of iterative PIV interrogation. Exp. Fluids 45,
    927-941.
    """
    from .threads import set_threads
    previous = set_threads(workers)
    try:
        return _dense_lucas_kanade(ref, sec, row0, col0, rows_out, cols_out, window, step,
                                   prior_r, prior_c, iters, robust, tol, max_change,
                                   min_ncc, smooth, final_smooth, progress)
    finally:
        set_threads(previous)


def _dense_lucas_kanade(ref, sec, row0, col0, rows_out, cols_out, window, step, prior_r,
                        prior_c, iters, robust, tol, max_change, min_ncc, smooth,
                        final_smooth, progress) -> Match:
    """:func:`dense_lucas_kanade` in the calling thread's numba thread setting."""
    from scipy import ndimage
    from .lk_kernels import (box_means_cols, box_means_rows, coverage, product_rows,
                             warp_rows)
    n = int(window)
    a = np.asarray(ref, np.float32)
    b = np.asarray(sec, np.float32)
    if a.ndim == 2:
        a, b = a[None], b[None]
    ch, H, W = a.shape
    valid_a = np.isfinite(a).all(axis=0)
    valid_b = np.isfinite(b).all(axis=0).astype(np.float32)
    a = np.where(np.isfinite(a), a, 0.0).astype(np.float32)
    b0 = [np.where(np.isfinite(b[k]), b[k], 0.0).astype(np.float32) for k in range(ch)]
    setup = [0]

    def setup_tick():   # the strip's set-up counts as part of the first pass
        setup[0] += 1
        if progress is not None:
            progress(setup[0] / (2 * ch + 1) * SETUP_SHARE / iters)
    bs = []
    for x in b0:
        bs.append(ndimage.spline_filter(x, order=3, output=np.float32))
        setup_tick()
    # work on the pixels the windows cover (+2 px for the 5-tap derivative) only; the
    # secondary image is sampled anywhere in the strip
    R0, R1 = max(0, row0 - 2), min(H, row0 + (rows_out - 1) * step + n + 2)
    C0, C1 = max(0, col0 - 2), min(W, col0 + (cols_out - 1) * step + n + 2)
    ga = []
    for k in range(ch):
        ga.append(tuple(np.ascontiguousarray(g[R0:R1, C0:C1]) for g in _deriv(a[k])))
        setup_tick()
    a = np.ascontiguousarray(a[:, R0:R1, C0:C1])
    valid_a = valid_a[R0:R1, C0:C1]
    prior_r = np.asarray(prior_r, np.float32)
    prior_c = np.asarray(prior_c, np.float32)
    ur, uc = prior_r.copy(), prior_c.copy()
    # pixel grid (strip coordinates) and its position in the window-centre grid
    rr = np.arange(R0, R1, dtype=np.float32)
    cc = np.arange(C0, C1, dtype=np.float32)
    lerp_r = _lerp_weights((rr - (row0 + n / 2.0 - 0.5)) / step, rows_out)
    lerp_c = _lerp_weights((cc - (col0 + n / 2.0 - 0.5)) / step, cols_out)
    si = row0 - R0 + n // 2 + step * np.arange(rows_out)      # window rows in the crop
    sj = col0 - C0 + n // 2 + step * np.arange(cols_out)
    sigma = smooth * n / step    # predictor filter σ (default window/4 px), grid cells

    bad = _window_means((~valid_a).astype(np.float32), n, si, sj) > 0
    setup_tick()
    no_data = bad.copy()
    prod = np.empty((5,) + a.shape[1:], np.float32)   # the five product images
    Hs, Ws = a.shape[1:]
    row_chunks = _chunks(Hs, LK_CHUNKS)
    col_chunks = _chunks(Ws, LK_CHUNKS)
    units = [ch * (2 * len(row_chunks) + len(col_chunks))]   # progress units of one pass
    span = [SETUP_SHARE / iters, 1.0 / iters]               # progress range of the pass

    def tick(u):
        if progress is not None:
            progress(span[0] + (span[1] - span[0]) * u / units[0])

    def window_means(x, u0):
        """:func:`_window_means` of the (5, Hs, Ws) product images, its first (row)
        pass in column chunks (lk_kernels: the same values)."""
        first = np.empty(x.shape[:-2] + (len(si), Ws), np.float32)
        for j, (c0, c1) in enumerate(col_chunks):
            box_means_rows(x, n, si, c0, c1, first)
            tick(u0 + j + 1)
        return box_means_cols(first, n, sj)

    robust_pass = False
    it = 0
    while True:
        old_r, old_c = ur, uc
        final = robust_pass and final_smooth is not None
        sig = final_smooth * n / step if final else sigma
        if it > 0 and sig > 0:
            if final:   # the wide filter of the last warp keeps the field's structure
                ur, uc = predictor_filter(ur, uc, sig)
            else:
                ur = ndimage.gaussian_filter(ur, sig, mode="nearest")
                uc = ndimage.gaussian_filter(uc, sig, mode="nearest")
        warp_r, warp_c = ur, uc      # the field of this pass's warp
        sums = 0.0
        u = 0
        warped = []
        for k in range(ch):
            # the warp in row chunks: the field at every pixel (bilinear on the grid) and
            # the secondary image there, bilinear on the first pass (far from converged:
            # enough and 3× cheaper), cubic spline after (lk_kernels.warp_rows: the
            # values of ndimage.map_coordinates)
            wk_all = np.empty((Hs, Ws), np.float32)
            warped.append(wk_all)
            for p0, p1 in row_chunks:
                warp_rows(b0[k] if it == 0 else bs[k], 1 if it == 0 else 3, ur, uc,
                          lerp_r, lerp_c, rr, cc, p0, p1, wk_all)
                u += 1
                tick(u)
            c = 0.0     # Cauchy scale of the robust pass (0: no weight)
            if robust_pass:
                e_all = wk_all - a[k]
                c = robust * 1.4826 * float(np.median(np.abs(e_all[::2, ::2]))) + 1e-12
                del e_all
            # gradients and the five products in row chunks (the derivatives read the
            # rows around a chunk: the same values as on the whole strip)
            for p0, p1 in row_chunks:
                product_rows(wk_all, a[k], ga[k][0], ga[k][1], _DERIV, c, p0, p1, prod)
                u += 1
                tick(u)
            sums = sums + window_means(prod, u)
            u += len(col_chunks)
        Mxx, Mxy, Myy, Vx, Vy = sums
        det = Mxx * Myy - Mxy * Mxy
        safe = np.where(det > 0, det, 1.0)
        dx = np.where(det > 0, -(Myy * Vx - Mxy * Vy) / safe, 0.0)
        dy = np.where(det > 0, -(Mxx * Vy - Mxy * Vx) / safe, 0.0)
        step_len = np.hypot(dx, dy)
        lim = np.where(step_len > 1.0, 1.0 / np.maximum(step_len, 1e-12), 1.0)
        ur = (ur + dy * lim).astype(np.float32)
        uc = (uc + dx * lim).astype(np.float32)
        if robust_pass:
            break
        it += 1
        change = np.hypot(ur - old_r, uc - old_c)
        moved = change[(det > 0) & ~bad]
        converged = moved.size == 0 or float(np.percentile(moved, 90)) <= tol
        if not robust and (converged or it >= iters):
            break
        robust_pass = bool(robust) and (converged or it >= iters - 1)
        # the next pass: one of at most ``iters``; the robust one (and the quality
        # measurement after it) takes whatever remains
        span = [span[1], 1.0 if robust_pass else min(it + 1, iters) / iters]
        if robust_pass:
            span[1] = span[0] + (1.0 - span[0]) * 0.8
    # conditioning of the last system (aperture problem, no texture)
    tr = Mxx + Myy
    disc = np.sqrt(np.maximum((Mxx - Myy) ** 2 / 4.0 + Mxy ** 2, 0.0))
    lmin, lmax = tr / 2.0 - disc, tr / 2.0 + disc
    med = np.nanmedian(lmin) if np.isfinite(lmin).any() else 0.0
    bad |= ~(lmin > 0.02 * lmax) | ~(lmin > 1e-3 * med)
    bad |= ~(change <= 0.2)
    if max_change is not None:
        bad |= np.hypot(ur - prior_r, uc - prior_c) > max_change
    # share of valid secondary data under the last warp (0 off the strip: only the strip
    # border can bring in no data where the secondary image is valid everywhere)
    vb = np.empty((Hs, Ws), np.float32)
    coverage(None if valid_b.all() else valid_b, (H, W), warp_r, warp_c, lerp_r, lerp_c,
             rr, cc, vb)
    # quality: NCC of the reference and the last warped windows; no-data coverage
    span = [span[1], 1.0]
    units[0] = ch * len(col_chunks)
    # each channel's window covariance and variances, summed over the channels (the
    # NCC of the channels stacked, each centred on its own window mean)
    num = var_a = var_b = 0.0
    for k in range(ch):
        # centred on the strip means first: float32 moments of raw DN would cancel
        ak = np.subtract(a[k], np.float32(a[k].mean()), out=prod[0])
        bk = np.subtract(warped[k], np.float32(warped[k].mean()), out=prod[1])
        for out, (x, y) in zip(prod[2:], ((ak, bk), (ak, ak), (bk, bk))):
            np.multiply(x, y, out=out)
        ma, mb, mab, maa, mbb = window_means(prod, k * len(col_chunks))
        num = num + (mab - ma * mb)
        var_a = var_a + np.maximum(maa - ma * ma, 0)
        var_b = var_b + np.maximum(mbb - mb * mb, 0)
    den = np.sqrt(var_a * var_b)
    q = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan).astype(np.float32)
    no_data |= _window_means((vb < 0.999).astype(np.float32), n, si, sj) > 0
    bad |= no_data
    bad |= ~(q >= min_ncc)
    ur, uc = ur.astype(np.float32), uc.astype(np.float32)
    for x in (ur, uc, q):
        x[bad] = np.nan
    return Match(ur.ravel(), uc.ravel(), q.ravel(), no_data.ravel())


def lucas_kanade_search(ref: np.ndarray, sec: np.ndarray, row0: int, col0: int,
                        rows_out: int, cols_out: int, window: int, step: int,
                        prior_r: np.ndarray, prior_c: np.ndarray, search: int,
                        spacing: int = 4, max_change: Optional[float] = None,
                        min_ncc: float = 0.3, grid_origin=(0, 0), workers: int = 1) -> Match:
    """The ``lk`` engine: :func:`dense_lucas_kanade`, searched again where it fails.

    Lucas-Kanade refines and cannot search, and its predictor filter cannot follow the
    steep velocity gradients of fast, strongly sheared ice; where its windows are
    rejected there:

    1. phase correlation (:func:`match_windows`, ``search`` px around the prior) measures
       every ``spacing``-th window (rows and columns) within ``spacing``/2 windows of a
       rejected one: a search on a grid ``spacing``² times sparser than the output;
    2. that sparse field (nearest-filled, bilinear between its nodes; the converged
       Lucas-Kanade field wherever that passed) is the new prior of a second Lucas-Kanade
       run without predictor filter (``smooth`` = 0: a window follows its own
       displacement) and with ``iters`` = 3, over the box around each cluster of rejected
       windows (dilated by two windows);
    3. a rejected window takes the second run's result where that passes every test of
       :func:`dense_lucas_kanade` (NCC ≥ ``min_ncc`` included); the others keep the first
       result.

    Windows rejected because they touch no data (or their secondary leaves it) are not
    searched again. Where nothing is rejected the cost is that of
    :func:`dense_lucas_kanade`; on the whole Yahtse pair the search adds about a fifth and
    raises the coverage of the fastest ice near the terminus from 62 % to 89 %
    (docs/correlation.md).

    Parameters
    ----------
    ref, sec, row0, col0, rows_out, cols_out, window, step, prior_r, prior_c
        As :func:`dense_lucas_kanade`.
    search : int
        Search range of the phase-correlation search, px around the prior; ≤ 0 disables
        the search.
    spacing : int, optional
        Sparse-search subsampling: every ``spacing``-th window (in windows, ≥ 1).
    max_change : float, optional
        As :func:`dense_lucas_kanade`.
    min_ncc : float, optional
        As :func:`dense_lucas_kanade`.
    grid_origin : (int, int), optional
        (row, column) index of window (0, 0) in the whole output grid: the search nodes
        are the windows whose global indices are multiples of ``spacing``, so that strips
        of one image give the field of a single block.
    workers : int, optional
        Threads of the Lucas-Kanade kernels and of the FFTs of the phase search.

    Returns
    -------
    Match
        As :func:`dense_lucas_kanade`.

    References
    ----------
    Lucas, B. D. & Kanade, T. (1981). An iterative image registration technique with an
    application to stereo vision. Proc. 7th IJCAI, 674-679.

    Baker, S. & Matthews, I. (2004). Lucas-Kanade 20 years on: a unifying framework.
    Int. J. Comput. Vis. 56, 221-255.

    Schrijer, F. F. J. & Scarano, F. (2008). Effect of predictor-corrector filtering on
    the stability and spatial resolution of iterative PIV interrogation. Exp. Fluids 45,
    927-941.
    """
    from scipy import ndimage
    from .filters import fill_nearest
    n, shape = int(window), (int(rows_out), int(cols_out))
    first = dense_lucas_kanade(ref, sec, row0, col0, rows_out, cols_out, window, step,
                               prior_r, prior_c, max_change=max_change, min_ncc=min_ncc,
                               workers=workers)
    dr, dc, q = (x.reshape(shape).copy() for x in (first.dr, first.dc, first.quality))
    failed = ~np.isfinite(dr) & ~first.no_data.reshape(shape)
    if search <= 0 or not failed.any():
        return first
    k = max(1, int(spacing))
    # 1. sparse search: nodes every k windows that have a rejected window within k/2
    o_r, o_c = (-int(grid_origin[0])) % k, (-int(grid_origin[1])) % k
    near = ndimage.maximum_filter(failed, size=k + 1, mode="constant")
    ii, jj = np.nonzero(near[o_r::k, o_c::k])
    ii, jj = ii * k + o_r, jj * k + o_c         # window indices of the search nodes
    pr = np.asarray(prior_r, np.float32)[ii, jj]
    pc = np.asarray(prior_c, np.float32)[ii, jj]
    m = match_windows(ref, sec, row0 + ii * step, col0 + jj * step, n,
                      np.round(pr).astype(np.int64), np.round(pc).astype(np.int64),
                      method="phase", search=search, workers=workers)
    sub_r, sub_c = dr[o_r::k, o_c::k].copy(), dc[o_r::k, o_c::k].copy()
    sub_r[(ii - o_r) // k, (jj - o_c) // k] = m.dr
    sub_c[(ii - o_r) // k, (jj - o_c) // k] = m.dc
    if not np.isfinite(sub_r).any():
        return first
    sub_r, sub_c = fill_nearest(sub_r), fill_nearest(sub_c)
    gi, gj = np.meshgrid((np.arange(shape[0]) - o_r) / k, (np.arange(shape[1]) - o_c) / k,
                         indexing="ij")
    new_r = np.where(np.isfinite(dr), dr,
                     ndimage.map_coordinates(sub_r, [gi, gj], order=1, mode="nearest"))
    new_c = np.where(np.isfinite(dc), dc,
                     ndimage.map_coordinates(sub_c, [gi, gj], order=1, mode="nearest"))
    # 2. Lucas-Kanade without predictor filter on the box around each rejected cluster
    a = np.asarray(ref, np.float32)
    b = np.asarray(sec, np.float32)
    H, W = a.shape[-2:]
    labels, _ = ndimage.label(ndimage.binary_dilation(failed, iterations=2))
    for box in ndimage.find_objects(labels):
        i0, i1, j0, j1 = box[0].start, box[0].stop, box[1].start, box[1].stop
        pr_box, pc_box = new_r[i0:i1, j0:j1], new_c[i0:i1, j0:j1]
        reach = int(np.ceil(max(np.abs(pr_box).max(), np.abs(pc_box).max()))) + 6
        r_lo = max(0, row0 + i0 * step - reach)
        r_hi = min(H, row0 + (i1 - 1) * step + n + reach)
        c_lo = max(0, col0 + j0 * step - reach)
        c_hi = min(W, col0 + (j1 - 1) * step + n + reach)
        again = dense_lucas_kanade(a[..., r_lo:r_hi, c_lo:c_hi], b[..., r_lo:r_hi, c_lo:c_hi],
                                   row0 + i0 * step - r_lo, col0 + j0 * step - c_lo,
                                   i1 - i0, j1 - j0, n, step, pr_box, pc_box,
                                   max_change=max_change, min_ncc=min_ncc, smooth=0.0,
                                   iters=3, workers=workers)
        # 3. rejected windows take the second result
        take = failed[i0:i1, j0:j1]
        for out, x in ((dr, again.dr), (dc, again.dc), (q, again.quality)):
            out[i0:i1, j0:j1][take] = x.reshape(i1 - i0, j1 - j0)[take]
    return Match(dr.ravel(), dc.ravel(), q.ravel(), first.no_data)


DEFAULT_SMOOTH = 0.5
"""Predictor-filter σ, in windows (σ = 16 px at window 32), of the warp before the
default engine's last (robust) Lucas-Kanade iteration; the iterations before it use
window/4 as ``lk`` does. On the Yahtse bedrock polygons it lowers the spread of the
stable-ground velocities by a fifth against window/4 throughout (docs/correlation.md)."""

SUSPECT_NCC = 0.5
"""Deformed-window NCC below which the default engine re-measures a window by phase
correlation (rejected windows always are)."""

SUSPECT_RANGE = 6.0
"""Change of the Lucas-Kanade field across one window footprint (px) above which the
default engine re-measures the window by phase correlation (0.19 px per px at window
32). Below it the deformed windows follow the shear, since the last warp's predictor
filter keeps the field's structure (:func:`predictor_filter`), and they are more
accurate there than a translation: on real texture warped by a glacier field whose
margins shear by up to 0.2 px/px (7 px across a window), a median error of 0.069 px
where the shear exceeds 0.1 px/px, against 0.26 px with 3 px and phase correlation's
0.27 px. It was 3 px while the last warp was a plain Gaussian, which spread such a
margin over a window. Larger limits lower that error further (0.056 px at 8 px) but
move the calving front of the Yahtse pair below the goal of 95 % of its windows within
1 px of phase correlation (96.5 % at 3 px, 96.0 % at 6 px, 95.4 % at 8 px; the tests'
front 95.8, 95.4 and 94.5 %), docs/correlation.md."""


LK_PROGRESS_SHARE = 0.5
"""Share of :func:`deformable_search`'s progress reported once its Lucas-Kanade
refinement is done (the phase fallback takes about as long on fast ice)."""

FALLBACK_BATCH = 512
"""Windows per FFT batch of the default engine's phase-correlation fallback: a batch
of 512 windows of 32 px keeps each spectrum stack (2.2 MB) near the core's cache. Per
window, against the memory-bounded batches of :func:`batch_size_for` (2,340 windows at
window 32): 18.6–21.0 against 27.5 µs on 12,000 windows in isolation, 20.2–20.6 against
23.5–23.8 µs on the whole Yahtse pair (docs/performance.md). The result of a window
does not depend on the batch it is in."""


FALLBACK_UPDATES = 48
"""The fallback of a strip is split into at least this many batches (of at least 64
windows) when it has fewer than 48 × :data:`FALLBACK_BATCH` windows, each followed by a
progress update."""


FALLBACK_SPACING = 2
"""Spacing (windows, along rows and columns) of the phase-correlation nodes of the
default engine's fallback; 1 = every suspect window measured."""

NODE_SPREAD = 1.0
"""Largest spread (px, per component) of the nodes around a suspect window for it to
take their bilinear interpolation instead of its own measurement."""

NODE_PICK_SPREAD = 5.0
"""Spread (px, largest component) of the nodes around a suspect window above which it
takes the displacement of the node of the highest phase-correlation quality instead of
its own measurement. Nodes 2 windows apart (4–6 px at step 2–3, 8.5 px across the
diagonal at step 3) that differ by more than 5 px would mean a strain of 0.6 px/px or
more, several times the steepest shear of a glacier margin (≈ 0.2 px/px): at least one
of them is a mismatch, in decorrelated ice (crevasses, melange, the calving front), and
there the window's own measurement is hardly more often right than the best node. On the
demo's calving front (FRONT_BOX of the tests) 52 % of such windows measured themselves
lie within 1 px of phase correlation and 46 % of the best nodes; on the whole box 31 and
30 %. Below 5 px the window's own measurement is clearly better (69 against 57 % at
3-5 px) (docs/correlation.md)."""


def _translated_ncc(ref, sec, rows, cols, dr, dc, n, batch=FALLBACK_BATCH, progress=None):
    """NCC of each reference window and the secondary window at the nearest-pixel
    displacement (float32 (len(rows),), NaN where a window touches no data or is flat):
    each channel centred on its own window mean, covariance and variances summed over
    the channels (as the Lucas-Kanade quality). ``progress`` (optional) is given the
    fraction done after every batch."""
    out = np.full(len(rows), np.nan, np.float32)
    ir = np.round(dr).astype(np.int64)
    ic = np.round(dc).astype(np.int64)
    ch = ref.shape[0]
    for s0 in range(0, len(rows), batch):
        sl = slice(s0, s0 + batch)
        a = _gather(ref, rows[sl], cols[sl], n).reshape(len(rows[sl]), ch, -1)
        b = _gather(sec, rows[sl] + ir[sl], cols[sl] + ic[sl], n).reshape(len(rows[sl]), ch, -1)
        a -= a.mean(axis=2, keepdims=True)
        b -= b.mean(axis=2, keepdims=True)
        num = np.einsum("icj,icj->i", a, b)
        den = np.sqrt(np.einsum("icj,icj->i", a, a) * np.einsum("icj,icj->i", b, b))
        with np.errstate(invalid="ignore", divide="ignore"):
            out[sl] = np.where(den > 0, num / den, np.nan)
        if progress is not None:
            progress(min(len(rows), s0 + batch) / len(rows))
    return out


def deformable_search(ref: np.ndarray, sec: np.ndarray, row0: int, col0: int,
                      rows_out: int, cols_out: int, window: int, step: int,
                      prior_r: np.ndarray, prior_c: np.ndarray,
                      max_change: Optional[float] = None, min_ncc: float = 0.3,
                      smooth: float = 0.25, final_smooth: Optional[float] = DEFAULT_SMOOTH,
                      suspect_ncc: float = SUSPECT_NCC,
                      suspect_range: float = SUSPECT_RANGE, workers: int = 1,
                      measure_rows: Optional[Tuple[int, int]] = None,
                      progress: Optional[Callable[[float], None]] = None,
                      measure_cols: Optional[Tuple[int, int]] = None,
                      spacing: int = None, grid_origin=(0, 0)) -> Match:
    """The default engine: deformable Lucas-Kanade refinement, phase correlation where
    that refinement is rejected or cannot be trusted.

    Same grid, arrays and prior as :func:`dense_lucas_kanade` (``prior_r``,
    ``prior_c``: real-valued displacement (rows_out, cols_out) px from the coarse NCC
    search of the pyramid). Steps:

    1. :func:`dense_lucas_kanade` from the prior with a predictor filter of σ =
       ``smooth`` × window px (window/4) while it iterates and ``final_smooth`` × window
       px (window/2) before its last, robust iteration: the warp of the final
       measurement is smoother, which lowers the spread on stable ground;
    2. a window is *suspect* when it was rejected (not for lack of data), its
       deformed-window NCC is below ``suspect_ncc`` (0.5), or the Lucas-Kanade field
       changes by more than ``suspect_range`` px (6) across its footprint (range of
       each component over the window-size neighbourhood of the grid, nearest-filled);
    3. the suspect windows are measured by phase correlation (:func:`match_windows`,
       method ``'phase'``, the whole window-size correlation surface searched, radius
       window/2 − 1, centred on the rounded prior, no taper re-centring): first at the
       *nodes*, every ``spacing``-th window of the whole grid along rows and columns
       (:data:`FALLBACK_SPACING` = 2), that are suspect or neighbour a suspect window;
       a suspect window between nodes takes the bilinear interpolation of the 2 or 4
       nodes around it (renormalised over those that were measured: a node that failed
       or lies beyond the grid is left out, but at least two must have been measured
       unless the window is a node itself) when they agree within :data:`NODE_SPREAD`
       (1 px per component), and the displacement of the node of the highest
       phase-correlation quality when they differ by more than
       :data:`NODE_PICK_SPREAD` (5 px, a mismatch among them); every other suspect
       window is measured itself. Windows 2 × step apart overlap by 7/8 at window 32 /
       step 2, and the field a window measures is its average over the window, so the
       interpolation changes the product by a few hundredths of a pixel
       (docs/correlation.md) for well under half the phase measurements. Where phase
       correlation fails too the window is NaN.

    ``quality`` is one measure for both kinds of window: the NCC of the reference
    window and the matched secondary window, deformed by the Lucas-Kanade field where
    that was kept, translated to the nearest pixel of the phase displacement elsewhere
    (−1..1). Returns :class:`Match` (flattened, ``no_data`` set). ``workers``: threads
    of the Lucas-Kanade kernels and of the FFTs of the phase search. ``measure_rows`` = (first, stop) output rows
    (0 <= first < stop <= rows_out) or None (all): only suspect windows in those rows are
    re-measured, the others keep the Lucas-Kanade result. A strip passes the rows it
    delivers and one on each side (the median test's neighbours): its halo rows are
    needed for the predictor filter and the field-range test, but their phase results
    would be thrown away; ``measure_cols`` does the same for the columns of a column
    block. ``progress`` (optional) is given the fraction done (0..1]:
    :data:`LK_PROGRESS_SHARE` after the Lucas-Kanade refinement, then after every
    fallback batch.

    Parameters
    ----------
    ref, sec, row0, col0, rows_out, cols_out, window, step
        As :func:`dense_lucas_kanade`.
    prior_r, prior_c : numpy.ndarray
        float (rows_out, cols_out): real-valued displacement, px, from the coarse NCC
        search of the pyramid.
    max_change, min_ncc, smooth, final_smooth
        As :func:`dense_lucas_kanade`.
    suspect_ncc : float, optional
        Deformed-window NCC below which a window is re-measured.
    suspect_range : float, optional
        Field change across a window footprint (px) above which it is re-measured
        (0 = off).
    workers : int, optional
        Threads of the Lucas-Kanade kernels and of the FFTs of the phase search.
    measure_rows : (int, int), optional
        (first, stop) output rows whose suspect windows are re-measured (see above);
        None = all.
    progress : callable, optional
        Given the fraction done (0..1], see above.
    measure_cols : (int, int), optional
        (first, stop) output columns whose suspect windows are re-measured: a column
        block of a wide strip (:func:`~glacvel_plugin.core.pipeline.plan_columns`)
        passes the columns it delivers and one on each side; None = all.
    spacing : int, optional
        Node spacing of step 3, windows; None = :data:`FALLBACK_SPACING`, 1 = every
        suspect window measured itself.
    grid_origin : (int, int), optional
        Index (row, column) of window (0, 0) in the whole output grid, so that strips and
        column blocks place their nodes on the same windows.

    Returns
    -------
    Match
        Flattened (rows_out·cols_out,), ``no_data`` set.

    References
    ----------
    Lucas, B. D. & Kanade, T. (1981). An iterative image registration technique with an
    application to stereo vision. Proc. 7th IJCAI, 674-679.

    Baker, S. & Matthews, I. (2004). Lucas-Kanade 20 years on: a unifying framework.
    Int. J. Comput. Vis. 56, 221-255.

    Schrijer, F. F. J. & Scarano, F. (2008). Effect of predictor-corrector filtering on
    the stability and spatial resolution of iterative PIV interrogation. Exp. Fluids 45,
    927-941.

    Guizar-Sicairos, M., Thurman, S. T. & Fienup, J. R. (2008). Efficient subpixel image
    registration algorithms. Opt. Lett. 33, 156-158.

    Leprince, S., Barbot, S., Ayoub, F. & Avouac, J.-P. (2007). Automatic and precise
    orthorectification, coregistration, and subpixel correlation of satellite images,
    application to ground deformation measurements. IEEE Trans. Geosci. Remote Sens. 45,
    1529-1558.
    """
    from scipy import ndimage
    from .filters import fill_nearest
    n, shape = int(window), (int(rows_out), int(cols_out))
    spacing = FALLBACK_SPACING if spacing is None else spacing
    first = dense_lucas_kanade(ref, sec, row0, col0, rows_out, cols_out, window, step,
                               prior_r, prior_c, max_change=max_change, min_ncc=min_ncc,
                               smooth=smooth, final_smooth=final_smooth, workers=workers,
                               progress=None if progress is None else
                               (lambda f: progress(LK_PROGRESS_SHARE * f)))
    dr, dc, q = (x.reshape(shape).copy() for x in (first.dr, first.dc, first.quality))
    no_data = first.no_data.reshape(shape)
    suspect = ~np.isfinite(dr) | ~(q >= suspect_ncc)
    if suspect_range and np.isfinite(dr).any():
        k = n // step + 1
        span = [ndimage.maximum_filter(x, k, mode="nearest")
                - ndimage.minimum_filter(x, k, mode="nearest")
                for x in (fill_nearest(dr), fill_nearest(dc))]
        suspect |= np.hypot(*span) > suspect_range
    suspect &= ~no_data
    if measure_rows is not None:
        suspect[:max(0, int(measure_rows[0]))] = False
        suspect[max(0, int(measure_rows[1])):] = False
    if measure_cols is not None:
        suspect[:, :max(0, int(measure_cols[0]))] = False
        suspect[:, max(0, int(measure_cols[1])):] = False
    if not suspect.any():
        return first
    if progress is not None:
        progress(LK_PROGRESS_SHARE)
    a = np.asarray(ref, np.float32)
    b = np.asarray(sec, np.float32)
    if a.ndim == 2:
        a, b = a[None], b[None]
    prior_r = np.asarray(prior_r, np.float32)
    prior_c = np.asarray(prior_c, np.float32)

    def measure(sel, share0, share1):
        """Phase correlation of the windows ``sel`` (bool grid): their grid indices
        (rows, columns), displacements (dr, dc, NaN where it failed) and phase-correlation
        quality."""
        i_, j_ = np.nonzero(sel)
        if not len(i_):
            empty = np.zeros(0, np.float32)
            return i_, j_, empty, empty, empty
        batch = min(FALLBACK_BATCH, max(64, -(-len(i_) // FALLBACK_UPDATES)))
        m = match_windows(a, b, row0 + i_ * step, col0 + j_ * step, n,
                          np.round(prior_r[i_, j_]).astype(np.int64),
                          np.round(prior_c[i_, j_]).astype(np.int64),
                          method="phase", search=n // 2 - 1, refine=0, workers=workers,
                          batch=batch,
                          progress=None if progress is None else
                          (lambda f: progress(share0 + (share1 - share0) * f)))
        return i_, j_, m.dr, m.dc, m.quality
    fallback_share = (1 - LK_PROGRESS_SHARE) * 0.9     # the rest: the quality NCC
    # the windows measured themselves (none on most strips, up to a fifth of the phase
    # measurements on a calving front) report within the last 2 %: progress slows there
    # instead of jumping by their share where there are none
    mid = LK_PROGRESS_SHARE + 0.98 * fallback_share
    new_r = np.full(shape, np.nan, np.float32)
    new_c = np.full(shape, np.nan, np.float32)
    k = int(spacing)
    if k > 1:
        # 1. phase correlation at the nodes (every k-th window of the whole grid along
        #    rows and columns) that are suspect or neighbour a suspect window
        gi = (np.arange(shape[0]) + int(grid_origin[0])) % k
        gj = (np.arange(shape[1]) + int(grid_origin[1])) % k
        node = (gi == 0)[:, None] & (gj == 0)[None, :]
        near = ndimage.maximum_filter(suspect, size=2 * k - 1, mode="constant")
        measured = near & node & ~no_data
        i_, j_, mr, mc, mq = measure(measured, LK_PROGRESS_SHARE, mid)
        node_r = np.full(shape, np.nan, np.float32)
        node_c, node_q = node_r.copy(), node_r.copy()
        node_r[i_, j_], node_c[i_, j_], node_q[i_, j_] = mr, mc, mq
        # 2. every suspect window from the measured nodes around it (2 or 4 of them, 1
        #    on a node; nodes that failed or lie beyond the grid left out, at least 2
        #    measured where there are 2 or more): their bilinear interpolation where
        #    they agree within NODE_SPREAD px, the node of the highest phase-correlation
        #    quality where they differ by more than NODE_PICK_SPREAD px
        si, sj = np.nonzero(suspect)
        fi, fj = gi[si], gj[sj]
        lo_i, lo_j = si - fi, sj - fj
        wsum = np.zeros(len(si))
        acc_r, acc_c = np.zeros(len(si)), np.zeros(len(si))
        lo_r, lo_c = np.full(len(si), np.inf), np.full(len(si), np.inf)
        hi_r, hi_c = np.full(len(si), -np.inf), np.full(len(si), -np.inf)
        best_q = np.full(len(si), -np.inf, np.float32)
        best_r = np.full(len(si), np.nan, np.float32)
        best_c = np.full(len(si), np.nan, np.float32)
        n_nodes = np.zeros(len(si), np.int64)     # nodes around the window in the grid
        n_got = np.zeros(len(si), np.int64)       # those measured
        for di, wi in ((0, 1.0 - fi / k), (k, fi / k)):
            for dj, wj in ((0, 1.0 - fj / k), (k, fj / k)):
                w = wi * wj
                ni, nj = lo_i + di, lo_j + dj
                inside = ((w > 0) & (ni >= 0) & (nj >= 0) & (ni < shape[0])
                          & (nj < shape[1]))
                vr = np.full(len(si), np.nan, np.float32)
                vc, vq = vr.copy(), vr.copy()
                vr[inside] = node_r[ni[inside], nj[inside]]
                vc[inside] = node_c[ni[inside], nj[inside]]
                vq[inside] = node_q[ni[inside], nj[inside]]
                got = np.isfinite(vr)
                n_nodes += inside
                n_got += got
                wsum += np.where(got, w, 0.0)
                acc_r += np.where(got, w * np.nan_to_num(vr), 0.0)
                acc_c += np.where(got, w * np.nan_to_num(vc), 0.0)
                for lo, hi, v in ((lo_r, hi_r, vr), (lo_c, hi_c, vc)):
                    np.minimum(lo, np.where(got, v, np.inf), out=lo)
                    np.maximum(hi, np.where(got, v, -np.inf), out=hi)
                qv = np.where(got, vq, -np.inf)       # NaN quality only where vr is NaN
                better = qv > best_q
                best_q[better], best_r[better], best_c[better] = qv[better], vr[better], vc[better]
        # at least two measured nodes to agree (one where the window is a node itself)
        found = n_got >= np.clip(n_nodes, 1, 2)
        spread = np.maximum(hi_r - lo_r, hi_c - lo_c)     # -inf where none was measured
        agree = found & (spread <= NODE_SPREAD)
        pick = found & (spread > NODE_PICK_SPREAD)
        new_r[si[agree], sj[agree]] = acc_r[agree] / wsum[agree]
        new_c[si[agree], sj[agree]] = acc_c[agree] / wsum[agree]
        new_r[si[pick], sj[pick]] = best_r[pick]
        new_c[si[pick], sj[pick]] = best_c[pick]
        # 3. every other suspect window is measured itself (a node that failed is not
        #    measured again)
        direct = suspect & ~measured
        direct[si[agree | pick], sj[agree | pick]] = False
    else:
        direct, mid = suspect, LK_PROGRESS_SHARE + fallback_share
    i_, j_, mr, mc, _ = measure(direct, mid, LK_PROGRESS_SHARE + fallback_share)
    new_r[i_, j_], new_c[i_, j_] = mr, mc
    ii, jj = np.nonzero(suspect)
    rows, cols = row0 + ii * step, col0 + jj * step
    mdr, mdc = new_r[ii, jj], new_c[ii, jj]
    ok = np.isfinite(mdr)
    qm = np.full(len(ii), np.nan, np.float32)
    if ok.any():
        done = LK_PROGRESS_SHARE + fallback_share
        qm[ok] = _translated_ncc(a, b, rows[ok], cols[ok], mdr[ok], mdc[ok], n,
                                 progress=None if progress is None else
                                 (lambda f: progress(done + (1 - done) * f)))
    ok &= np.isfinite(qm)    # the matched window leaves the data: no measurement
    dr[ii, jj] = np.where(ok, mdr, np.nan)
    dc[ii, jj] = np.where(ok, mdc, np.nan)
    q[ii, jj] = np.where(ok, qm, np.nan)
    return Match(dr.ravel(), dc.ravel(), q.ravel(), first.no_data)
