"""The quality of the dense engines with several channels (orientation images): each
channel's window covariance and variances are summed, so a channel stacked twice gives
the quality and the windows of that channel alone.

Real data: a Yahtse crop (demo) and the same crop shifted by a known sub-pixel amount.
"""
import numpy as np

from glacvel_plugin.core import correlation
from glacvel_plugin.core.filters import prefilter
from tests.helpers import DEMO_YAHTSE_REF as REF, fourier_shift, read_band

N, STEP = 32, 2


def _pair():
    a = read_band(REF)[200:360, 150:330].astype(np.float64)
    b = fourier_shift(a, 1.3, -0.7)
    return (prefilter(a.astype(np.float32), "highpass"),
            prefilter(b.astype(np.float32), "highpass"))


def test_a_channel_stacked_twice_gives_the_quality_of_one():
    a, b = _pair()
    rows_out, cols_out = (a.shape[0] - N) // STEP + 1, (a.shape[1] - N) // STEP + 1
    zero = np.zeros((rows_out, cols_out), np.float32)
    one = correlation.dense_lucas_kanade(a, b, 0, 0, rows_out, cols_out, N, STEP, zero, zero)
    two = correlation.dense_lucas_kanade(np.stack([a, a]), np.stack([b, b]), 0, 0, rows_out,
                                         cols_out, N, STEP, zero, zero)
    ok = np.isfinite(one.dr)
    assert ok.mean() > 0.8
    np.testing.assert_array_equal(np.isfinite(two.dr), ok)
    np.testing.assert_allclose(two.quality[ok], one.quality[ok], atol=1e-4)
    # the shift is recovered
    assert abs(np.nanmedian(one.dr) - 1.3) < 0.05 and abs(np.nanmedian(one.dc) + 0.7) < 0.05
    # a channel and its negative: the same covariances and variances, the same quality
    c = -a
    d = -b
    mixed = correlation.dense_lucas_kanade(np.stack([a, c]), np.stack([b, d]), 0, 0, rows_out,
                                           cols_out, N, STEP, zero, zero)
    np.testing.assert_allclose(mixed.quality[ok], one.quality[ok], atol=1e-4)


def test_translated_ncc_sums_the_channels():
    a, b = _pair()
    rng = np.random.default_rng(2)
    rows = rng.integers(0, a.shape[0] - N - 3, 200)
    cols = rng.integers(3, a.shape[1] - N - 3, 200)
    dr, dc = np.full(200, 1.3), np.full(200, -0.7)
    q1 = correlation._translated_ncc(a[None], b[None], rows, cols, dr, dc, N)
    q2 = correlation._translated_ncc(np.stack([a, a + 50.0]), np.stack([b, b - 20.0]), rows,
                                     cols, dr, dc, N)
    np.testing.assert_allclose(q2, q1, atol=1e-5)
    assert np.median(q1) > 0.8
