"""The compiled spectral kernels (core.phase_kernels) against the numpy formulas they
replace, on spectra of real Yahtse windows (demo crop), and with one and two threads."""
import numpy as np
import pytest
import scipy.fft as sfft

from glacvel_plugin.core import correlation, phase_kernels
from tests.helpers import DEMO_YAHTSE_REF as REF, DEMO_YAHTSE_SEC as SEC, read_band

N = 32


def _spectra(count=600, channels=1, seed=5):
    a = read_band(REF).astype(np.float32)
    b = read_band(SEC).astype(np.float32)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, a.shape[0] - N - 8, count)
    cols = rng.integers(0, a.shape[1] - N - 8, count)
    t = correlation._hann_shifted(N, np.zeros(1))[0]
    stack_a = np.stack([a, a[::-1]][:channels])
    stack_b = np.stack([b, b[::-1]][:channels])
    A, _ = correlation._prepare_tapered(correlation._gather(stack_a, rows, cols, N), t, t)
    B, _ = correlation._prepare_tapered(correlation._gather(stack_b, rows + 2, cols - 1, N), t, t)
    return np.conj(sfft.rfft2(A)), sfft.rfft2(B)


def _numpy_whiten(Q, W, lam):
    mag = np.abs(Q).astype(np.float64)
    floor = lam * mag.mean(axis=(1, 2), keepdims=True) + 1e-30
    scale = W / (mag + floor)
    return Q * scale, (mag * scale).sum(axis=(1, 2))


def _numpy_newton(P, y0, x0, n, iters):
    """Newton's method on c(y, x) = Re Σ P exp(i(ωy y + ωx x)), written out in numpy."""
    wy = 2 * np.pi / n * np.fft.fftfreq(n, 1.0 / n)
    wx = 2 * np.pi / n * np.arange(n // 2 + 1)
    y, x = np.array(y0, float), np.array(x0, float)
    P = P.astype(np.complex128)
    concave = np.ones(len(y), bool)
    for _ in range(iters):
        e = P * np.exp(1j * (y[:, None, None] * wy[None, :, None] + x[:, None, None] * wx[None, None, :]))
        gy = np.real(e * 1j * wy[None, :, None]).sum(axis=(1, 2))
        gx = np.real(e * 1j * wx[None, None, :]).sum(axis=(1, 2))
        hyy = -np.real(e * wy[None, :, None] ** 2).sum(axis=(1, 2))
        hxx = -np.real(e * wx[None, None, :] ** 2).sum(axis=(1, 2))
        hxy = -np.real(e * wy[None, :, None] * wx[None, None, :]).sum(axis=(1, 2))
        det = hxx * hyy - hxy ** 2
        concave = (hxx < 0) & (det > 0)
        dy = np.where(concave, -(hxx * gy - hxy * gx) / np.where(concave, det, 1), 0)
        dx = np.where(concave, -(hyy * gx - hxy * gy) / np.where(concave, det, 1), 0)
        step = np.hypot(dy, dx)
        lim = np.where(step > 0.5, 0.5 / np.maximum(step, 1e-12), 1.0)
        y, x = y + dy * lim, x + dx * lim
    c = np.real(P * np.exp(1j * (y[:, None, None] * wy[None, :, None]
                                 + x[:, None, None] * wx[None, None, :]))).sum(axis=(1, 2))
    return y, x, c, concave


@pytest.mark.parametrize("channels", [1, 2])
def test_cross_power_sums_the_channels(channels):
    Fa_conj, Fb = _spectra(channels=channels)
    Q = phase_kernels.cross_power(Fa_conj, Fb)
    expected = (Fb * Fa_conj).sum(axis=1)
    assert Q.shape == expected.shape and Q.dtype == np.complex64
    np.testing.assert_allclose(Q, expected, rtol=0, atol=2e-5 * np.abs(expected).max())


def _cross_power_and_weight(threads):
    """Single-channel cross-power spectra of real windows and the spectral weight, with
    the kernels set to ``threads`` threads."""
    phase_kernels.set_threads(threads)
    Fa_conj, Fb = _spectra()
    W, _ = correlation._Kernels.get(N, 0.6)
    return (Fb * Fa_conj)[:, 0], W


@pytest.mark.parametrize("threads", [1, 2])
def test_whitening_matches_the_formula(threads):
    Q, W = _cross_power_and_weight(threads)
    P_ref, norm_ref = _numpy_whiten(Q, W, correlation.WHITEN_FLOOR)
    P, norm = phase_kernels.whiten(Q.copy(), W, correlation.WHITEN_FLOOR)
    np.testing.assert_allclose(P, P_ref, rtol=0, atol=1e-5 * np.abs(P_ref).max())
    np.testing.assert_allclose(norm, norm_ref, rtol=1e-5)
    # whitened: strong frequencies have magnitude near their weight, not their power
    assert np.abs(P).max() <= W.max() * 1.0001


@pytest.mark.parametrize("threads", [1, 2])
def test_newton_finds_the_maximum_of_the_fourier_series(threads):
    Q, W = _cross_power_and_weight(threads)
    sy, sx, _, fy, fx = correlation._peak_in_radius(sfft.irfft2(Q, s=(N, N)), N // 2 - 1)
    P, _ = phase_kernels.whiten(Q, W, correlation.WHITEN_FLOOR)
    # start 0.3 px off the maximum found from the integer peak
    ry, rx, rc, rok = _numpy_newton(P, sy + fy, sx + fx, N, 8)
    y0, x0 = ry + 0.3, rx - 0.25
    y, x, c, ok = phase_kernels.newton(P, y0, x0, N, iters=5)
    yr, xr, cr, okr = _numpy_newton(P, y0, x0, N, 5)
    good = okr & ok
    assert good.mean() > 0.8
    np.testing.assert_allclose(y[good], yr[good], atol=1e-4)
    np.testing.assert_allclose(x[good], xr[good], atol=1e-4)
    np.testing.assert_allclose(c[good], cr[good], rtol=1e-4)
    # and the result is a maximum: the gradient vanishes there
    eps = 1e-3
    for dy, dx in ((eps, 0), (-eps, 0), (0, eps), (0, -eps)):
        _, _, c2, _ = _numpy_newton(P[good], y[good] + dy, x[good] + dx, N, 0)
        assert np.median(c[good] - c2) >= 0
    # need_c=False leaves c at 0; max_move rejects solutions far from the start
    _, _, c0, _ = phase_kernels.newton(P, y0, x0, N, iters=5, need_c=False)
    assert not c0.any()
    _, _, _, near = phase_kernels.newton(P, y0 + 3.0, x0, N, iters=5, max_move=0.5)
    assert near.mean() < 0.2


@pytest.mark.parametrize("batch", [100, 700])
def test_phase_windows_do_not_depend_on_the_threads(batch):
    """Real Yahtse windows measured by phase correlation with one and two threads, in
    FFT batches below and above correlation.FFT_THREAD_BATCH (one-threaded FFTs and
    two-threaded FFTs): the same displacements and qualities, bit for bit."""
    a = read_band(REF).astype(np.float32)[None]
    b = read_band(SEC).astype(np.float32)[None]
    rng = np.random.default_rng(2)
    rows = rng.integers(30, a.shape[1] - N - 30, 1400)
    cols = rng.integers(30, a.shape[2] - N - 30, 1400)
    zero = np.zeros(len(rows), np.int64)
    out = [correlation.match_windows(a, b, rows, cols, N, zero, zero, method="phase",
                                     search=8, workers=w, batch=batch) for w in (1, 2)]
    assert np.isfinite(out[0].dr).mean() > 0.9
    for k in ("dr", "dc", "quality"):
        np.testing.assert_array_equal(getattr(out[0], k), getattr(out[1], k))
