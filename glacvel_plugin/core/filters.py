"""Pre-filters for image correlation, NaN-aware smoothing and window sums, and simple
outlier tests and fills of displacement fields.

Pre-filters (applied to each image before correlation; NaN = no data is kept)
------------------------------------------------------------------------------
* ``none``: the image as float32.
* ``highpass``: image minus its NaN-aware Gaussian blur (σ = ``sigma`` px, default
  1.5): removes illumination gradients and shading differences between dates.
* ``wallis``: local contrast normalisation (x − local mean) / (local std + c) over a
  ``size`` × ``size`` box (default 21 px), c = 5 % of the median local std; a
  Wallis-type filter that equalises contrast between snow and rock and between dates.
* ``orientation``: orientation images (Fitch et al., 2002; Heid & Kääb, 2012, Remote
  Sens. Environ. 118:339): the unit vector of the image gradient (Sobel), returned
  as two channels (cos θ, sin θ) of shape (2, rows, cols). Correlating the channel
  pair is the real form of correlating the complex image exp(iθ).

Shared building blocks
----------------------
* :func:`nan_gaussian_filter`: Gaussian low-pass ignoring no data (normalised
  convolution), used by the high-pass pre-filter and the SAR speckle low-pass.
* :func:`window_sums`: sums of every h × w window from a summed-area table (Lewis
  1995), used for the NCC denominators of feature tracking and correlation.
* the neighbour stack (:func:`_neighbours`, :func:`_stack_nanmedian`) of the
  normalised median test, which is
  :func:`glacvel_plugin.core.validation.normalized_median_test`.

Outlier tests (boolean masks, True = reject; callers set NaN, never 0) and fills
--------------------------------------------------------------------------------
* :func:`speed_limit`: displacement longer than a maximum (from a maximum speed).
* :func:`quality_below`: quality below a threshold (or NaN).
* :func:`fill_nearest`: NaN replaced by the nearest valid value (priors, not products).
* :func:`nan_median_filter`: box median ignoring NaN (smoothing of priors, the local
  scatter of core.fusion).
"""
from __future__ import annotations

import numpy as np
from scipy import ndimage

PREFILTERS = ("none", "highpass", "wallis", "orientation")


def nan_gaussian_filter(a: np.ndarray, sigma: float, mode: str = "reflect",
                        truncate: float = 4.0) -> np.ndarray:
    """Gaussian low-pass that ignores no data (normalised convolution).

    The image with no data set to 0 and the validity mask are both blurred, and the
    first is divided by the second, so no-data pixels neither pull the mean towards 0
    nor spread: NaN stays NaN and no new NaN appear.

    Parameters
    ----------
    a : numpy.ndarray
        Image, float (rows, cols); NaN (or ±inf) = no data. The output keeps its
        dtype (float32 stays float32).
    sigma : float
        Standard deviation of the Gaussian, px.
    mode : str, optional
        Edge handling of :func:`scipy.ndimage.gaussian_filter` (``"reflect"``,
        ``"nearest"``, ...).
    truncate : float, optional
        Kernel half-width in standard deviations.

    Returns
    -------
    numpy.ndarray
        Smoothed image, same shape and dtype as ``a``; NaN where ``a`` is not finite.

    References
    ----------
    Knutsson, H. & Westin, C.-F. (1993). Normalized and differential convolution.
    Proc. IEEE CVPR, 515-523.
    """
    valid = np.isfinite(a)
    if valid.all():
        return ndimage.gaussian_filter(a, sigma, mode=mode, truncate=truncate)
    filled = np.where(valid, a, 0.0).astype(a.dtype)
    num = ndimage.gaussian_filter(filled, sigma, mode=mode, truncate=truncate)
    rows = cols = None
    if a.ndim == 2:
        rows, cols = valid.any(axis=1), valid.any(axis=0)
    if rows is not None and np.array_equal(valid, rows[:, None] & cols[None, :]):
        # no data only in whole rows and columns (a region read beyond the image): the
        # blurred mask is the outer product of the two blurred 1-D masks
        den = np.multiply.outer(
            *(ndimage.gaussian_filter1d(m.astype(a.dtype), sigma, mode=mode, truncate=truncate)
              for m in (rows, cols)))
    else:
        den = ndimage.gaussian_filter(valid.astype(a.dtype), sigma, mode=mode, truncate=truncate)
    out = num / np.maximum(den, 1e-6)
    out[~valid] = np.nan
    return out


def window_sums(a: np.ndarray, h: int, w: int) -> np.ndarray:
    """Sum of every ``h`` × ``w`` window of ``a``, from a summed-area table.

    The cost is two cumulative sums and four look-ups per output, whatever the window
    size (the denominators of fast normalised cross-correlation).

    Parameters
    ----------
    a : numpy.ndarray
        Real array (rows, cols), finite (set no data to 0 first).
    h, w : int
        Window height and width, px, ``1 <= h <= rows``, ``1 <= w <= cols``.

    Returns
    -------
    numpy.ndarray
        float64 (rows − h + 1, cols − w + 1): element ``[i, j]`` is
        ``a[i:i+h, j:j+w].sum()`` ('valid' positions only).

    References
    ----------
    Lewis, J. P. (1995). Fast normalized cross-correlation. Vision Interface, 120-123.
    """
    s = np.zeros((a.shape[0] + 1, a.shape[1] + 1), dtype=np.float64)
    np.cumsum(np.cumsum(a, axis=0), axis=1, out=s[1:, 1:])
    return s[h:, w:] - s[:-h, w:] - s[h:, :-w] + s[:-h, :-w]


def _nan_box(a: np.ndarray, size: int) -> np.ndarray:
    valid = np.isfinite(a)
    filled = np.where(valid, a, 0.0).astype(np.float32)
    num = ndimage.uniform_filter(filled, size, mode="reflect")
    den = ndimage.uniform_filter(valid.astype(np.float32), size, mode="reflect")
    return num / np.maximum(den, 1e-6)


def prefilter_halo(kind: str, sigma: float = 1.5, size: int = 21) -> int:
    """Pixels of context a pre-filter needs on each side (for block-wise reading).

    Parameters
    ----------
    kind : str
        One of :data:`PREFILTERS`.
    sigma : float, optional
        Gaussian σ of ``highpass``, px.
    size : int, optional
        Box size of ``wallis``, px.

    Returns
    -------
    int
        Halo in px: ``ceil(4σ) + 1`` (highpass), ``size // 2 + 1`` (wallis), 2
        (orientation), 0 (none).
    """
    if kind == "highpass":
        return int(np.ceil(4 * sigma)) + 1
    if kind == "wallis":
        return size // 2 + 1
    if kind == "orientation":
        return 2
    return 0


def prefilter(image: np.ndarray, kind: str = "highpass", sigma: float = 1.5,
              size: int = 21) -> np.ndarray:
    """Apply a pre-filter (see the module doc) to a 2-D image.

    Parameters
    ----------
    image : numpy.ndarray
        Image (rows, cols), any real dtype, NaN = no data.
    kind : str, optional
        ``'none'``, ``'highpass'``, ``'wallis'`` or ``'orientation'``.
    sigma : float, optional
        Gaussian σ of the high-pass, px.
    size : int, optional
        Box size of the Wallis filter, px.

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols) for ``none``/``highpass``/``wallis``; float32
        (2, rows, cols) (cos θ, sin θ) for ``orientation``. NaN where the input was NaN
        (orientation: also next to no data).

    Raises
    ------
    ValueError
        For an unknown ``kind``.

    References
    ----------
    Fitch, A. J., Kadyrov, A., Christmas, W. J. & Kittler, J. (2002). Orientation
    correlation. Proc. British Machine Vision Conference, 133-142.

    Heid, T. & Kääb, A. (2012). Evaluation of existing image matching methods for
    deriving glacier surface displacements globally from optical satellite imagery.
    Remote Sens. Environ. 118, 339-355.
    """
    a = np.asarray(image, dtype=np.float32)
    if kind == "none":
        return a.copy()
    if kind == "highpass":
        return (a - nan_gaussian_filter(a, sigma)).astype(np.float32)
    if kind == "wallis":
        m = _nan_box(a, size)
        v = np.maximum(_nan_box(a * a, size) - m * m, 0.0)
        s = np.sqrt(v)
        c = 0.05 * np.nanmedian(s) + 1e-6 if np.isfinite(s).any() else 1e-6
        out = (a - m) / (s + c)
        out[~np.isfinite(a)] = np.nan
        return out.astype(np.float32)
    if kind == "orientation":
        valid = np.isfinite(a)
        f = np.where(valid, a, np.nan_to_num(np.nanmean(a) if valid.any() else 0.0))
        gy = ndimage.sobel(f, axis=0, mode="reflect")
        gx = ndimage.sobel(f, axis=1, mode="reflect")
        mag = np.hypot(gx, gy)
        tiny = 1e-6 * (np.nanmax(mag) if np.isfinite(mag).any() else 1.0) + 1e-12
        out = np.stack([gx, gy]) / np.maximum(mag, tiny)
        out[:, mag <= tiny] = 0.0
        bad = ~valid | ~ndimage.binary_erosion(valid, iterations=1, border_value=1)
        out[:, bad] = np.nan
        return out.astype(np.float32)
    raise ValueError(f"unknown pre-filter {kind!r}; use one of {', '.join(PREFILTERS)}")


def _neighbours(a: np.ndarray) -> np.ndarray:
    """The 8 neighbours of every cell, shape (8, rows, cols), float32 or float64 as ``a``;
    NaN beyond the edges."""
    p = np.pad(a.astype(np.result_type(a.dtype, np.float32)), 1, constant_values=np.nan)
    r, c = a.shape
    out = [p[1 + dy:1 + dy + r, 1 + dx:1 + dx + c]
           for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)]
    return np.stack(out)


# Batcher's odd-even merge sort of 8 values: 19 compare-exchanges (Knuth, TAOCP vol. 3,
# 5.3.4); on (8, rows, cols) stacks ten times faster than np.sort along the first axis
_SORT8 = ((0, 1), (2, 3), (4, 5), (6, 7), (0, 2), (1, 3), (4, 6), (5, 7), (1, 2), (5, 6),
          (0, 4), (1, 5), (2, 6), (3, 7), (2, 4), (3, 5), (1, 2), (3, 4), (5, 6))


def _stack_nanmedian(stack: np.ndarray):
    """Median over axis 0 of an (8, rows, cols) stack ignoring NaN, and the count of
    valid values per cell.

    NaN become +inf and the stack is sorted by the network :data:`_SORT8`, so the valid
    values come first; the median is the mean of the two middle valid values (NaN where
    none is valid).
    """
    k = np.isfinite(stack).sum(axis=0)
    s = list(np.where(np.isnan(stack), np.inf, stack))
    for i, j in _SORT8:
        s[i], s[j] = np.minimum(s[i], s[j]), np.maximum(s[i], s[j])
    s = np.stack(s)
    lo = np.clip((k - 1) // 2, 0, 7)
    hi = np.clip(k // 2, 0, 7)
    med = 0.5 * (np.take_along_axis(s, lo[None], 0)[0] + np.take_along_axis(s, hi[None], 0)[0])
    med[k == 0] = np.nan
    return med, k


def speed_limit(u: np.ndarray, v: np.ndarray, max_length: float) -> np.ndarray:
    """Mask of displacements longer than a maximum.

    Parameters
    ----------
    u, v : numpy.ndarray
        Displacement components, same shape, any one unit (px or m); NaN = none.
    max_length : float
        Longest accepted displacement, same unit (e.g. MAX_SPEED · Δt / pixel size).

    Returns
    -------
    numpy.ndarray
        bool, shape of ``u``: True where ``hypot(u, v) > max_length`` (False at NaN).
    """
    with np.errstate(invalid="ignore"):
        return np.hypot(u, v) > max_length


def quality_below(quality: np.ndarray, threshold: float) -> np.ndarray:
    """Mask of matches whose quality is below a threshold.

    Parameters
    ----------
    quality : numpy.ndarray
        Match quality (e.g. the ``quality`` band), any shape.
    threshold : float
        Lowest accepted quality.

    Returns
    -------
    numpy.ndarray
        bool, shape of ``quality``: True where ``quality < threshold`` or NaN.
    """
    with np.errstate(invalid="ignore"):
        return ~(quality >= threshold)


def fill_nearest(a: np.ndarray) -> np.ndarray:
    """Replace NaN by the value of the nearest valid cell (Euclidean distance).

    Parameters
    ----------
    a : numpy.ndarray
        2-D float array, NaN = no value.

    Returns
    -------
    numpy.ndarray
        Same shape and dtype, no NaN; all zeros when ``a`` has no valid cell.
    """
    valid = np.isfinite(a)
    if valid.all():
        return a.copy()
    if not valid.any():
        return np.zeros_like(a)
    idx = ndimage.distance_transform_edt(~valid, return_distances=False, return_indices=True)
    return a[tuple(idx)]


def nan_median_filter(a: np.ndarray, size: int = 3) -> np.ndarray:
    """Median over a ``size`` × ``size`` box ignoring NaN.

    The values of ``numpy.nanmedian`` over each box (the mean of the two middle valid
    values for an even count), from one sort of the box stack (NaN sort last), without
    numpy's masked-array path for short axes, which is 3× slower.

    Parameters
    ----------
    a : numpy.ndarray
        2-D array, NaN = no value; edges are padded with NaN.
    size : int, optional
        Box size (odd, px or grid cells); ≤ 1 returns a copy.

    Returns
    -------
    numpy.ndarray
        float64 for float64 ``a``, else float32 (``a``'s dtype when ``size`` ≤ 1), shape
        of ``a``; NaN only where the whole box is NaN.
    """
    if size <= 1:
        return a.copy()
    h = size // 2
    p = np.pad(a.astype(np.result_type(a.dtype, np.float32)), h, constant_values=np.nan)
    r, c = a.shape
    stack = np.sort(np.stack([p[dy:dy + r, dx:dx + c]
                              for dy in range(size) for dx in range(size)]), axis=0)
    k = np.isfinite(stack).sum(axis=0)
    lo = np.take_along_axis(stack, np.maximum((k - 1) // 2, 0)[None], 0)[0]
    hi = np.take_along_axis(stack, np.maximum(k // 2, 0)[None], 0)[0]
    with np.errstate(invalid="ignore"):
        med = np.where(k % 2 == 1, lo, (lo + hi) / 2)
    med[k == 0] = np.nan
    return med
