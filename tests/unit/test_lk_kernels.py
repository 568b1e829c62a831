"""The compiled Lucas-Kanade kernels (core/lk_kernels.py) on real Landsat-8 texture.

Texture: the Yahtse B8 demo crops (demo/data/yahtse, 15 m). Each kernel is compared
with the scipy/numpy operation it replaces (which the engine used before): the warp
with ``ndimage.map_coordinates`` at random sub-pixel coordinates, the products with
the numpy formulas of the normal equations, the box passes with ``_box_means_axis``,
the coverage with ``map_coordinates(order=1, mode="constant")``. Then
``dense_lucas_kanade`` recovers a known sub-pixel shift and a known glacier-like warp
with one and two threads, with the same result.
"""
import numpy as np
import pytest
from scipy import ndimage

from glacvel_plugin.core import lk_kernels as K
from glacvel_plugin.core.correlation import (_DERIV, _box_means_axis,
                                             _lerp_weights, dense_lucas_kanade)
from tests.helpers import DEMO_YAHTSE_REF as REF, DEMO_YAHTSE_SEC as SEC
from tests.helpers import fourier_shift, glacier_field, read_band, warp


def _bilinear(field, lr, lc):
    """The numpy formula of the kernels' field interpolation: a grid field (R, C)
    bilinear onto pixels (H, W), rows first, then columns."""
    i0, i1, wr = lr
    j0, j1, wc = lc
    rows = field[i0] * (1 - wr)[:, None] + field[i1] * wr[:, None]          # (H, C)
    return rows[:, j0] * (1 - wc)[None, :] + rows[:, j1] * wc[None, :]      # (H, W)


@pytest.fixture(scope="module")
def texture():
    a = read_band(REF)[300:560, 250:570].astype(np.float32)
    b = read_band(SEC)[300:560, 250:570].astype(np.float32)
    assert np.isfinite(a).all() and np.isfinite(b).all() and a.std() > 100
    return a, b


def _field(shape, grid, amplitude, seed):
    """A smooth random grid field (px, largest |component| = ``amplitude``) and its
    strip interpolation weights."""
    rng = np.random.default_rng(seed)
    H, W = shape
    R, C = grid
    ur = ndimage.gaussian_filter(rng.uniform(-1, 1, grid), 2)
    uc = ndimage.gaussian_filter(rng.uniform(-1, 1, grid), 2)
    ur, uc = ur * amplitude / np.abs(ur).max(), uc * amplitude / np.abs(uc).max()
    ur, uc = ur.astype(np.float32), uc.astype(np.float32)
    rr = np.arange(H, dtype=np.float32)
    cc = np.arange(W, dtype=np.float32)
    lr = _lerp_weights(rr * (R - 1) / (H - 1), R)
    lc = _lerp_weights(cc * (C - 1) / (W - 1), C)
    return ur, uc, rr, cc, lr, lc


@pytest.mark.parametrize("order", [1, 3])
def test_warp_matches_map_coordinates_at_random_subpixel_coordinates(texture, order):
    b = texture[1]
    img = b if order == 1 else ndimage.spline_filter(b, order=3, output=np.float32)
    ur, uc, rr, cc, lr, lc = _field(b.shape, (13, 16), 7.0, seed=order)
    coords = [rr[:, None] + _bilinear(ur, lr, lc), cc[None, :] + _bilinear(uc, lr, lc)]
    frac = np.modf(np.abs(coords[0]))[0]
    assert 0.05 < frac.std() < 0.5      # sub-pixel positions all over 0..1
    expected = ndimage.map_coordinates(img, coords, order=order, prefilter=False,
                                       mode="nearest", output=np.float32)
    out = np.full(b.shape, np.nan, np.float32)
    for p0, p1 in ((0, 37), (37, 200), (200, b.shape[0])):    # row chunks
        K.warp_rows(img, order, ur, uc, lr, lc, rr, cc, p0, p1, out)
    inside = ((coords[0] > 2) & (coords[0] < b.shape[0] - 3)
              & (coords[1] > 2) & (coords[1] < b.shape[1] - 3))
    assert inside.mean() > 0.8 and (~inside).sum() > 1000     # the border is exercised
    rel = np.abs(out - expected) / np.abs(expected).max()
    assert rel[inside].max() <= 1e-6
    assert rel.max() <= 1e-6           # border: the taps take the edge sample as scipy's
    # not the identity: the warp moved the texture by up to several pixels
    assert np.abs(coords[0] - rr[:, None]).max() > 5 and np.abs(out - b).mean() > 0.1 * b.std()


def test_warp_rejects_other_orders(texture):
    b = texture[1]
    ur, uc, rr, cc, lr, lc = _field(b.shape, (5, 5), 1.0, seed=0)
    with pytest.raises(ValueError, match="order"):
        K.warp_rows(b, 2, ur, uc, lr, lc, rr, cc, 0, 1, np.empty_like(b))


@pytest.mark.parametrize("c", [0.0, 41.5])
def test_products_match_the_numpy_formulas(texture, c):
    a, b = texture
    ur, uc, rr, cc, lr, lc = _field(b.shape, (9, 9), 3.0, seed=5)
    wk = np.empty_like(b)
    K.warp_rows(ndimage.spline_filter(b, order=3, output=np.float32), 3, ur, uc, lr, lc,
                rr, cc, 0, b.shape[0], wk)
    gay = ndimage.correlate1d(a, _DERIV, axis=0, mode="nearest")
    gax = ndimage.correlate1d(a, _DERIV, axis=1, mode="nearest")
    gy = 0.5 * (gay + ndimage.correlate1d(wk, _DERIV, axis=0, mode="nearest"))
    gx = 0.5 * (gax + ndimage.correlate1d(wk, _DERIV, axis=1, mode="nearest"))
    e = wk - a
    w = 1.0 / (1.0 + (e / c) ** 2) if c > 0 else np.ones_like(e)
    expected = np.stack([w * gx * gx, w * gx * gy, w * gy * gy, w * gx * e, w * gy * e])
    prod = np.full((5,) + b.shape, np.nan, np.float32)
    for p0, p1 in ((0, 1), (1, 90), (90, b.shape[0])):
        K.product_rows(wk, a, gay, gax, _DERIV, c, p0, p1, prod)
    scale = np.abs(expected).max(axis=(1, 2), keepdims=True)
    assert (np.abs(prod - expected) / scale).max() <= 1e-6
    if c > 0:    # the Cauchy weight is on: large residuals count less
        big = np.abs(e) > 3 * c
        assert big.any() and np.abs(prod[3][big]).sum() < np.abs((gx * e)[big]).sum() / 5


def test_product_taps_must_be_antisymmetric(texture):
    a = texture[0]
    with pytest.raises(ValueError, match="antisymmetric"):
        K.product_rows(a, a, a, a, np.array([1, 2, 0, 2, 1], np.float32), 0.0, 0, 1,
                       np.empty((5,) + a.shape, np.float32))


def test_box_passes_match_box_means_axis(texture):
    a, b = texture
    x = np.stack([a, b, a * b / 1e4, a - b, b]).astype(np.float32)
    n, step = 32, 2
    si = 17 + step * np.arange((a.shape[0] - 40) // step)
    sj = 19 + step * np.arange((a.shape[1] - 44) // step)
    first = np.full((5, len(si), a.shape[1]), np.nan, np.float32)
    for c0, c1 in ((0, 50), (50, 51), (51, a.shape[1])):
        K.box_means_rows(x, n, si, c0, c1, first)
    expected = _box_means_axis(x, n, si, -2)
    np.testing.assert_allclose(first, expected, rtol=1e-6, atol=1e-6 * np.abs(x).max())
    out = K.box_means_cols(np.ascontiguousarray(expected), n, sj)
    np.testing.assert_allclose(out, _box_means_axis(expected, n, sj, -1), rtol=1e-6,
                               atol=1e-6 * np.abs(x).max())
    # a real window mean: window (0, 0) covers rows si[0] - 16 .. si[0] + 15
    np.testing.assert_allclose(out[1, 0, 0], b[si[0] - 16:si[0] + 16,
                                               sj[0] - 16:sj[0] + 16].mean(), rtol=1e-5)


def test_coverage_matches_constant_mode_interpolation(texture):
    b = texture[1]
    ur, uc, rr, cc, lr, lc = _field(b.shape, (7, 8), 9.0, seed=2)
    valid = np.ones(b.shape, np.float32)
    valid[100:140, 60:120] = 0.0
    coords = [rr[:, None] + _bilinear(ur, lr, lc), cc[None, :] + _bilinear(uc, lr, lc)]
    out = np.empty_like(b)
    K.coverage(valid, b.shape, ur, uc, lr, lc, rr, cc, out)
    expected = ndimage.map_coordinates(valid, coords, order=1, mode="constant", cval=0.0)
    assert np.abs(out - expected).max() <= 1e-6
    assert (expected == 0).sum() > 1000 and ((expected > 0) & (expected < 1)).any()
    K.coverage(None, b.shape, ur, uc, lr, lc, rr, cc, out)
    inside = ((coords[0] >= 0) & (coords[0] <= b.shape[0] - 1) & (coords[1] >= 0)
              & (coords[1] <= b.shape[1] - 1))
    assert (out == inside).all() and not inside.all()


def test_set_threads_clamps_and_restores():
    import numba
    before = numba.get_num_threads()
    previous = K.set_threads(10 ** 6)
    assert previous == before
    assert numba.get_num_threads() == numba.config.NUMBA_NUM_THREADS
    K.set_threads(0)
    assert numba.get_num_threads() == 1
    K.set_threads(previous)
    assert numba.get_num_threads() == before


def _grid(shape, n, step):
    return (shape[0] - n) // step + 1, (shape[1] - n) // step + 1


def test_dense_lucas_kanade_recovers_a_subpixel_shift_with_one_and_two_threads(texture):
    import numba
    a = texture[0].astype(np.float64)
    dy, dx = 0.37, -0.62
    b = fourier_shift(a, dy, dx)
    crop = (slice(8, -8), slice(8, -8))     # the periodic extension's edge stays out
    a, b = a[crop].astype(np.float32), b[crop].astype(np.float32)
    n, step = 32, 4
    ro, co = _grid(a.shape, n, step)
    zero = np.zeros((ro, co), np.float32)
    before = numba.get_num_threads()
    m1 = dense_lucas_kanade(a, b, 0, 0, ro, co, n, step, zero, zero, workers=1)
    m2 = dense_lucas_kanade(a, b, 0, 0, ro, co, n, step, zero, zero, workers=2)
    assert numba.get_num_threads() == before
    ok = np.isfinite(m1.dr)
    assert ok.mean() > 0.9
    assert abs(np.median(m1.dr[ok]) - dy) < 0.03 and abs(np.median(m1.dc[ok]) - dx) < 0.03
    for x1, x2 in ((m1.dr, m2.dr), (m1.dc, m2.dc), (m1.quality, m2.quality)):
        np.testing.assert_array_equal(x1, x2)


def test_dense_lucas_kanade_follows_a_glacier_warp_on_two_channels(texture):
    a64 = texture[0].astype(np.float64)
    u_r, u_c = glacier_field(*a64.shape, amplitude=4.3, width=110.0)
    b64 = warp(a64, u_r, u_c)
    a, b = a64.astype(np.float32), b64.astype(np.float32)
    n, step = 32, 4
    ro, co = _grid(a.shape, n, step)
    # truth at the window centres, in the reference frame
    rc = np.arange(ro)[:, None] * step + n / 2 - 0.5
    cc = np.arange(co)[None, :] * step + n / 2 - 0.5
    tr, tc = u_r(rc, cc) + 0 * cc, u_c(rc, cc) + 0 * rc
    prior = np.round(tr).astype(np.float32), np.round(tc).astype(np.float32)
    one = dense_lucas_kanade(a, b, 0, 0, ro, co, n, step, *prior, workers=2)
    # the same image twice as two channels: the same normal equations, doubled, so the
    # same displacement
    two = dense_lucas_kanade(np.stack([a, a]), np.stack([b, b]), 0, 0, ro, co, n, step,
                             *prior, workers=1)
    dr, dc = one.dr.reshape(ro, co), one.dc.reshape(ro, co)
    ok = np.isfinite(dr) & (np.abs(tr) > 1)
    assert ok.sum() > 100
    err = np.hypot(dr - tr, dc - tc)[ok]
    assert np.median(err) < 0.1
    # (the windows' quality sums the channels' moments, so fewer windows pass with two)
    both = np.isfinite(two.dr) & np.isfinite(one.dr)
    assert both.sum() > 1000
    np.testing.assert_allclose(two.dr[both], one.dr[both], atol=1e-3)
    np.testing.assert_allclose(two.dc[both], one.dc[both], atol=1e-3)
