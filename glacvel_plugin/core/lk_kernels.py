"""Compiled (numba) kernels of the dense Lucas-Kanade passes
(:func:`~glacvel_plugin.core.correlation.dense_lucas_kanade`).

Two kernels per pass and channel, each run over a range of rows of the strip the
windows cover, rows in parallel (``numba.prange``; the number of threads is the
caller's ``numba.set_num_threads``):

:func:`warp_rows`
    the warp: the displacement field of every pixel (the grid field interpolated
    bilinearly, rows first then columns, in float32) and the secondary
    image sampled at (row + fr, column + fc), bilinearly on the raw image or by a cubic
    B-spline on its ``scipy.ndimage.spline_filter(order=3)`` coefficients. The same
    arithmetic as ``scipy.ndimage.map_coordinates(..., prefilter=False, mode="nearest")``
    (taps past the image edge clamped to it, float64 weights and sums, float32 result):
    the same values, border included (bit for bit on every pixel of the tests; the cubic
    sums are separable, in another order than scipy's, which changes the float64 sum
    by ~1e-16 relative and the float32 result almost never).
:func:`product_rows`
    everything between the warp and the window sums, fused: the 5-tap derivatives of the
    warped image (``nearest`` edges), the symmetric gradient, the residual, the optional
    Cauchy weight and the five product images of the normal equations, with the float32
    arithmetic of the numpy expressions they replace; no intermediate image is made.
:func:`box_means_rows`, :func:`box_means_cols`
    the window means of the product images, the two separable box passes of
    :func:`~glacvel_plugin.core.correlation._box_means_axis` with its arithmetic.

Compiled on first use and cached next to this module (``__pycache__``) or in
``NUMBA_CACHE_DIR``; no fast-math.
"""
from __future__ import annotations

import numpy as np
from .threads import set_threads  # noqa: F401  (re-exported; imports numba first)
from numba import njit, prange  # noqa: E402

__all__ = ["warp_rows", "coverage", "product_rows", "box_means_rows", "box_means_cols", "set_threads"]

_ONE = np.float32(1.0)
_HALF = np.float32(0.5)


@njit(cache=True, nogil=True, inline="always")
def _cubic(x):
    """Cubic B-spline weights at the four knots around ``x`` and the first knot: the
    formulas of scipy, the last weight 1 − the others."""
    f = np.floor(x)
    t = x - f                     # 0 <= t < 1: offset from the knot left of x
    z = 1.0 - t
    w1 = (t * t * (t - 2.0) * 3.0 + 4.0) / 6.0
    w2 = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0
    w0 = z * z * z / 6.0
    w3 = 1.0
    w3 -= w0
    w3 -= w1
    w3 -= w2
    return np.int64(f) - 1, w0, w1, w2, w3


@njit(cache=True, nogil=True, inline="always")
def _field_row(ur, uc, a0, a1, wa, row_r, row_c):
    """The grid field interpolated to one pixel row (float32: rows first, then columns)."""
    wa0 = _ONE - wa
    for c in range(ur.shape[1]):
        row_r[c] = ur[a0, c] * wa0 + ur[a1, c] * wa
        row_c[c] = uc[a0, c] * wa0 + uc[a1, c] * wa


@njit(cache=True, nogil=True, inline="always")
def _position(r, c, row_r, row_c, b0, b1, wb):
    """Sampling position (float64 row, column) of the pixel (r, c): the pixel plus the
    field of its row (:func:`_field_row`) interpolated between grid columns b0 and b1
    (float32)."""
    wb0 = _ONE - wb
    return (np.float64(r + (row_r[b0] * wb0 + row_r[b1] * wb)),
            np.float64(c + (row_c[b0] * wb0 + row_c[b1] * wb)))


@njit(cache=True, nogil=True, parallel=True)
def _warp1(img, ur, uc, ri0, ri1, rw, cj0, cj1, cw, rr, cc, p0, p1, out):
    H, W = img.shape
    Ws = out.shape[1]
    for i in prange(p0, p1):
        row_r = np.empty(ur.shape[1], np.float32)
        row_c = np.empty(ur.shape[1], np.float32)
        _field_row(ur, uc, ri0[i], ri1[i], rw[i], row_r, row_c)
        for j in range(Ws):
            y, x = _position(rr[i], cc[j], row_r, row_c, cj0[j], cj1[j], cw[j])
            fy, fx = np.floor(y), np.floor(x)
            wy0 = 1.0 - (y - fy)
            wy1 = 1.0 - wy0
            wx0 = 1.0 - (x - fx)
            wx1 = 1.0 - wx0
            y0, x0 = np.int64(fy), np.int64(fx)
            ya, yb = min(max(y0, 0), H - 1), min(max(y0 + 1, 0), H - 1)
            xa, xb = min(max(x0, 0), W - 1), min(max(x0 + 1, 0), W - 1)
            t = img[ya, xa] * wy0 * wx0
            t += img[ya, xb] * wy0 * wx1
            t += img[yb, xa] * wy1 * wx0
            t += img[yb, xb] * wy1 * wx1
            out[i, j] = np.float32(t)


@njit(cache=True, nogil=True, parallel=True)
def _coverage(valid, H, W, all_valid, ur, uc, ri0, ri1, rw, cj0, cj1, cw, rr, cc, out):
    Hs, Ws = out.shape
    for i in prange(Hs):
        row_r = np.empty(ur.shape[1], np.float32)
        row_c = np.empty(ur.shape[1], np.float32)
        _field_row(ur, uc, ri0[i], ri1[i], rw[i], row_r, row_c)
        for j in range(Ws):
            y, x = _position(rr[i], cc[j], row_r, row_c, cj0[j], cj1[j], cw[j])
            if y < 0.0 or y > H - 1.0 or x < 0.0 or x > W - 1.0:
                out[i, j] = 0.0
                continue
            if all_valid:
                out[i, j] = 1.0
                continue
            fy, fx = np.floor(y), np.floor(x)
            wy0 = 1.0 - (y - fy)
            wy1 = 1.0 - wy0
            wx0 = 1.0 - (x - fx)
            wx1 = 1.0 - wx0
            y0, x0 = np.int64(fy), np.int64(fx)
            yb, xb = min(y0 + 1, H - 1), min(x0 + 1, W - 1)
            t = valid[y0, x0] * wy0 * wx0
            t += valid[y0, xb] * wy0 * wx1
            t += valid[yb, x0] * wy1 * wx0
            t += valid[yb, xb] * wy1 * wx1
            out[i, j] = np.float32(t)


def coverage(valid: np.ndarray, shape, ur: np.ndarray, uc: np.ndarray, lerp_r, lerp_c,
             rr: np.ndarray, cc: np.ndarray, out: np.ndarray) -> None:
    """Share of valid secondary data under every warped pixel of the strip.

    The coordinates of :func:`warp_rows` (same field, same float32 arithmetic); the
    value is ``scipy.ndimage.map_coordinates(valid, [y, x], order=1, mode="constant",
    cval=0)``: 0 where the coordinate leaves 0 … H − 1 or 0 … W − 1, else ``valid``
    interpolated bilinearly (1 without computing when ``valid`` is None: all valid).

    Parameters
    ----------
    valid : numpy.ndarray or None
        float32 (H, W): 1 where the secondary image has data, 0 elsewhere; None when it
        has data everywhere.
    shape : (int, int)
        (H, W) of the secondary image.
    ur, uc, lerp_r, lerp_c, rr, cc
        As :func:`warp_rows`.
    out : numpy.ndarray
        float32 (Hs, Ws), C-contiguous: written.
    """
    all_valid = valid is None
    if all_valid:
        valid = np.ones((1, 1), np.float32)
    _coverage(valid, int(shape[0]), int(shape[1]), all_valid, ur, uc, lerp_r[0], lerp_r[1], lerp_r[2], lerp_c[0],
              lerp_c[1], lerp_c[2], rr, cc, out)


@njit(cache=True, nogil=True, parallel=True)
def _warp3(img, ur, uc, ri0, ri1, rw, cj0, cj1, cw, rr, cc, p0, p1, out):
    H, W = img.shape
    Ws = out.shape[1]
    for i in prange(p0, p1):
        row_r = np.empty(ur.shape[1], np.float32)
        row_c = np.empty(ur.shape[1], np.float32)
        _field_row(ur, uc, ri0[i], ri1[i], rw[i], row_r, row_c)
        for j in range(Ws):
            y, x = _position(rr[i], cc[j], row_r, row_c, cj0[j], cj1[j], cw[j])
            sy, wy0, wy1, wy2, wy3 = _cubic(y)
            sx, wx0, wx1, wx2, wx3 = _cubic(x)
            x0, x1 = min(max(sx, 0), W - 1), min(max(sx + 1, 0), W - 1)
            x2, x3 = min(max(sx + 2, 0), W - 1), min(max(sx + 3, 0), W - 1)
            r0, r1 = min(max(sy, 0), H - 1), min(max(sy + 1, 0), H - 1)
            r2, r3 = min(max(sy + 2, 0), H - 1), min(max(sy + 3, 0), H - 1)
            h0 = img[r0, x0] * wx0 + img[r0, x1] * wx1 + (img[r0, x2] * wx2 + img[r0, x3] * wx3)
            h1 = img[r1, x0] * wx0 + img[r1, x1] * wx1 + (img[r1, x2] * wx2 + img[r1, x3] * wx3)
            h2 = img[r2, x0] * wx0 + img[r2, x1] * wx1 + (img[r2, x2] * wx2 + img[r2, x3] * wx3)
            h3 = img[r3, x0] * wx0 + img[r3, x1] * wx1 + (img[r3, x2] * wx2 + img[r3, x3] * wx3)
            t = (h0 * wy0 + h1 * wy1) + (h2 * wy2 + h3 * wy3)
            out[i, j] = np.float32(t)


def warp_rows(img: np.ndarray, order: int, ur: np.ndarray, uc: np.ndarray,
              lerp_r, lerp_c, rr: np.ndarray, cc: np.ndarray, p0: int, p1: int,
              out: np.ndarray) -> None:
    """Warp rows ``p0`` … ``p1`` − 1 of the strip by the grid displacement field.

    Pixel (i, j) of the strip samples ``img`` at (``rr[i]`` + fr, ``cc[j]`` + fc), where
    (fr, fc) is the grid field (``ur``, ``uc``) interpolated bilinearly at the pixel
    (row weights ``lerp_r``, column weights ``lerp_c``; float32 arithmetic, rows first,
    then columns). Order 1 is bilinear on the
    image, order 3 a cubic B-spline on its spline coefficients; taps past the image edge
    take the edge sample (``mode="nearest"``). Weights (scipy's formulas) and sums are
    float64 (bilinear: in scipy's order; cubic: four row sums, then the column), so the
    result equals ``scipy.ndimage.map_coordinates(img, [y, x], order=order,
    prefilter=False, mode="nearest", output=np.float32)`` to float32 rounding (bit for
    bit on every pixel of the Yahtse tests, scipy 1.10), at the border too.

    Parameters
    ----------
    img : numpy.ndarray
        float32 (H, W) C-contiguous: the secondary image (order 1) or its cubic spline
        coefficients (order 3), NaN-free.
    order : int
        1 (bilinear) or 3 (cubic B-spline).
    ur, uc : numpy.ndarray
        float32 (rows_out, cols_out): grid displacement field, px (rows, columns).
    lerp_r, lerp_c : tuple of numpy.ndarray
        (i0 int64, i1 int64, w float32) per strip row / column: the grid rows (columns)
        around each pixel and the weight of the second
        (:func:`~glacvel_plugin.core.correlation._lerp_weights`).
    rr, cc : numpy.ndarray
        float32 (Hs,), (Ws,): image row and column of the strip's pixels.
    p0, p1 : int
        Strip rows to warp (0 <= p0 <= p1 <= Hs).
    out : numpy.ndarray
        float32 (Hs, Ws), C-contiguous: rows p0 … p1 − 1 are written.

    Raises
    ------
    ValueError
        When ``order`` is neither 1 nor 3.
    """
    if order not in (1, 3):
        raise ValueError(f"warp order must be 1 or 3, not {order}")
    kernel = _warp1 if order == 1 else _warp3
    kernel(img, ur, uc, lerp_r[0], lerp_r[1], lerp_r[2], lerp_c[0], lerp_c[1], lerp_c[2],
           rr, cc, int(p0), int(p1), out)


@njit(cache=True, nogil=True, parallel=True)
def _products(wk, a, gay, gax, taps, c, weighted, p0, p1, prod):
    Hs, Ws = wk.shape
    f0, f1, f2 = taps[2], taps[1], taps[0]      # centre, -1, -2 (antisymmetric)
    cf = np.float32(c)
    for i in prange(p0, p1):
        im1, ip1 = max(i - 1, 0), min(i + 1, Hs - 1)
        im2, ip2 = max(i - 2, 0), min(i + 2, Hs - 1)
        for j in range(Ws):
            jm1, jp1 = max(j - 1, 0), min(j + 1, Ws - 1)
            jm2, jp2 = max(j - 2, 0), min(j + 2, Ws - 1)
            w0 = np.float64(wk[i, j])
            # scipy's antisymmetric correlate1d: x0·f0 + (x₋₂ − x₂)·f₋₂ + (x₋₁ − x₁)·f₋₁
            gyb = w0 * f0
            gyb += (np.float64(wk[im2, j]) - np.float64(wk[ip2, j])) * f2
            gyb += (np.float64(wk[im1, j]) - np.float64(wk[ip1, j])) * f1
            gxb = w0 * f0
            gxb += (np.float64(wk[i, jm2]) - np.float64(wk[i, jp2])) * f2
            gxb += (np.float64(wk[i, jm1]) - np.float64(wk[i, jp1])) * f1
            gy = _HALF * (gay[i, j] + np.float32(gyb))
            gx = _HALF * (gax[i, j] + np.float32(gxb))
            e = wk[i, j] - a[i, j]
            if weighted:
                r = e / cf
                wgt = _ONE / (_ONE + r * r)
                gxw = gx * wgt
                gyw = gy * wgt
            else:
                gxw = gx
                gyw = gy
            prod[0, i, j] = gxw * gx
            prod[1, i, j] = gxw * gy
            prod[2, i, j] = gyw * gy
            prod[3, i, j] = gxw * e
            prod[4, i, j] = gyw * e


def product_rows(wk: np.ndarray, a: np.ndarray, gay: np.ndarray, gax: np.ndarray,
                 taps: np.ndarray, c: float, p0: int, p1: int, prod: np.ndarray) -> None:
    """The five product images of the Lucas-Kanade normal equations, rows ``p0`` … ``p1`` − 1.

    With the derivatives of the warped image ``wk`` (5-tap ``taps`` along rows and along
    columns, ``nearest`` edges at the strip border, computed as
    ``scipy.ndimage.correlate1d`` does for an antisymmetric filter), the symmetric
    gradient gy = (``gay`` + ∂wk/∂row) / 2, gx = (``gax`` + ∂wk/∂col) / 2, the residual
    e = ``wk`` − ``a`` and, when ``c`` > 0, the Cauchy weight w = 1 / (1 + (e / c)²)
    (else w = 1): ``prod`` = (w gx gx, w gx gy, w gy gy, w gx e, w gy e), each in the
    float32 arithmetic of the numpy expressions.

    Parameters
    ----------
    wk : numpy.ndarray
        float32 (Hs, Ws): the warped secondary image of the strip.
    a : numpy.ndarray
        float32 (Hs, Ws): the reference image of the strip.
    gay, gax : numpy.ndarray
        float32 (Hs, Ws): row and column derivatives of the reference image.
    taps : numpy.ndarray
        float (5,): antisymmetric derivative taps (taps[k] = −taps[4 − k]), e.g.
        ``correlation._DERIV``.
    c : float
        Cauchy scale of the residual (same unit as the images); <= 0: no weight.
    p0, p1 : int
        Strip rows to compute (0 <= p0 <= p1 <= Hs).
    prod : numpy.ndarray
        float32 (5, Hs, Ws), C-contiguous: rows p0 … p1 − 1 are written.

    Raises
    ------
    ValueError
        When ``taps`` is not an antisymmetric 5-tap filter.
    """
    t = np.asarray(taps, np.float64)
    if t.shape != (5,) or t[2] != 0 or t[0] != -t[4] or t[1] != -t[3]:
        raise ValueError("the derivative taps must be an antisymmetric 5-tap filter")
    _products(wk, a, gay, gax, t, float(c), bool(c > 0), int(p0), int(p1), prod)


@njit(cache=True, nogil=True, inline="always")
def _block_row(x, p, k, lo, g, nb, a, b, buf):
    """Line sample k (zero-padded) of the g-row sums, columns a … b − 1, into ``buf``
    (float32 sums in row order); False where the sample is padding."""
    if k < 0 or k >= nb:
        return False
    i = lo + g * k
    src = x[p, i, a:b]
    for j in range(b - a):
        buf[j] = src[j]
    for q in range(1, g):
        src = x[p, i + q, a:b]
        for j in range(b - a):
            buf[j] += src[j]
    return True


@njit(cache=True, nogil=True, parallel=True)
def _box_rows(x, lo, g, nb, m, take, c0, c1, out):
    P = x.shape[0]
    size1 = m // 2
    width = c1 - c0
    nseg = max(1, min(width // 64, 64))
    last = take[-1]
    for task in prange(P * nseg):
        p = task // nseg
        s = task % nseg
        a = c0 + (width * s) // nseg
        b = c0 + (width * (s + 1)) // nseg
        w = b - a
        tmp = np.zeros(w)
        ring = np.zeros((m, w), np.float32)     # the last m line samples (padding: 0)
        for k in range(m):
            if _block_row(x, p, k - size1, lo, g, nb, a, b, ring[k]):
                for j in range(w):
                    tmp[j] += ring[k, j]
        bin_ = np.empty(w, np.float32)
        t = 0
        for ll in range(last + 1):
            if ll > 0:
                slot = (ll - 1) % m      # sample ll - 1 leaves, sample ll + m - 1 enters
                if not _block_row(x, p, ll + m - 1 - size1, lo, g, nb, a, b, bin_):
                    bin_[:] = 0.0
                for j in range(w):
                    tmp[j] += np.float64(bin_[j]) - np.float64(ring[slot, j])
                    ring[slot, j] = bin_[j]
            while t < take.shape[0] and take[t] == ll:
                for j in range(w):
                    v = np.float32(tmp[j] / m)
                    out[p, t, a + j] = v / np.float32(g) if g > 1 else v
                t += 1


@njit(cache=True, nogil=True, parallel=True)
def _box_cols(x, lo, g, nb, m, take, out):
    P, R = x.shape[0], x.shape[1]
    size1 = m // 2
    last = take[-1]
    for task in prange(P * R):
        p = task // R
        r = task % R
        line = np.zeros(nb + m, np.float64)      # the zero-padded line of g-sums
        for k in range(nb):
            i = lo + g * k
            v = x[p, r, i]
            for q in range(1, g):
                v += x[p, r, i + q]
            line[size1 + k] = v
        tmp = 0.0
        for k in range(m):
            tmp += line[k]
        t = 0
        for ll in range(last + 1):
            if ll > 0:
                tmp += line[ll + m - 1] - line[ll - 1]
            while t < take.shape[0] and take[t] == ll:
                v = np.float32(tmp / m)
                out[p, r, t] = v / np.float32(g) if g > 1 else v
                t += 1


def _box_plan(size: int, n: int, centres: np.ndarray):
    """First sample, block size g, number of blocks, blocks per window and the line
    index of every output of :func:`~glacvel_plugin.core.correlation._box_means_axis`."""
    s = np.asarray(centres, np.int64) - n // 2
    g = int(np.gcd.reduce(np.append(np.diff(s), n))) if len(s) > 1 else 1
    lo = int(s[0])
    nb = (size - lo) // g
    m = n // g
    return lo, g, nb, m, (m // 2 + (s - lo) // g).astype(np.int64)


def box_means_rows(x: np.ndarray, n: int, centres: np.ndarray, c0: int, c1: int,
                   out: np.ndarray) -> None:
    """Means of ``x`` over runs of ``n`` rows starting at ``centres`` − n/2, columns
    ``c0`` … ``c1`` − 1: :func:`~glacvel_plugin.core.correlation._box_means_axis` along
    rows (axis −2), with its arithmetic (float32 sums of g = gcd(n, steps) rows, scipy's
    running mean of ``uniform_filter1d`` in float64 on the zero-padded line of those
    sums, float32 result divided by g), so the same values.

    Parameters
    ----------
    x : numpy.ndarray
        float32 (P, H, W), C-contiguous: P images.
    n : int
        Run length, samples (a multiple of g).
    centres : numpy.ndarray
        int (K,): increasing run centres, >= n/2.
    c0, c1 : int
        Columns to compute.
    out : numpy.ndarray
        float32 (P, K, W): columns c0 … c1 − 1 are written.
    """
    lo, g, nb, m, take = _box_plan(x.shape[-2], n, centres)
    _box_rows(x, lo, g, nb, m, take, int(c0), int(c1), out)


def box_means_cols(x: np.ndarray, n: int, centres: np.ndarray) -> np.ndarray:
    """Means of ``x`` over runs of ``n`` columns starting at ``centres`` − n/2: the column
    pass of :func:`~glacvel_plugin.core.correlation._box_means_axis` (axis −1), with its
    arithmetic (see :func:`box_means_rows`).

    Parameters
    ----------
    x : numpy.ndarray
        float32 (P, R, W), C-contiguous.
    n : int
        Run length, samples.
    centres : numpy.ndarray
        int (K,): increasing run centres, >= n/2.

    Returns
    -------
    numpy.ndarray
        float32 (P, R, K).
    """
    lo, g, nb, m, take = _box_plan(x.shape[-1], n, centres)
    out = np.empty(x.shape[:2] + (len(take),), np.float32)
    _box_cols(x, lo, g, nb, m, take, out)
    return out
