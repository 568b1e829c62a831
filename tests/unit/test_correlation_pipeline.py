"""Pre-filters, outlier tests and the block-wise pipeline (core, no files)."""
import numpy as np
import pytest

from glacvel_plugin.core import Canceled
from glacvel_plugin.core.filters import (fill_nearest, nan_median_filter, prefilter,
                                         prefilter_halo, quality_below, speed_limit)
from glacvel_plugin.core.pipeline import (ArrayPair, block_average, correlate_pair,
                                          output_shape, plan_blocks, pyramid_levels)
from glacvel_plugin.core.validation import DENSE_GRID_RULE, normalized_median_test
from tests.conftest import YAHTSE_SEC as SEC
from tests.helpers import fourier_shift, yahtse_crop


@pytest.fixture(scope="module")
def crop():
    return yahtse_crop(54, 350, 192, 256)


def test_highpass_removes_ramps_and_keeps_nodata():
    r, c = np.mgrid[0:64, 0:64].astype(float)
    a = 100 + 3 * r - 2 * c
    a[10, 10] = np.nan
    f = prefilter(a, "highpass")
    assert f.dtype == np.float32 and np.isnan(f[10, 10])
    assert np.nanmax(np.abs(f[20:44, 20:44])) < 1e-3      # a ramp has no texture
    # the halo covers the Gaussian kernel (4 σ, σ = 1.5 px by default)
    assert prefilter_halo("highpass") >= 6 and prefilter_halo("highpass", sigma=3.0) >= 12
    # block-wise filtering with that halo equals filtering the whole image
    rng = np.random.default_rng(0)
    img = rng.normal(size=(80, 60)).astype(np.float32)
    h = prefilter_halo("highpass")
    whole = prefilter(img, "highpass")
    part = prefilter(img[30 - h:50 + h], "highpass")[h:-h]
    np.testing.assert_allclose(part, whole[30:50], atol=1e-5)


def test_wallis_equalises_contrast(crop):
    a = crop.copy()
    a[:, :128] *= 0.1                                      # dull half
    f = prefilter(a, "wallis")
    s_left, s_right = np.std(f[20:-20, 20:100]), np.std(f[20:-20, 150:-20])
    assert 0.5 < s_left / s_right < 2.0                    # raw ratio is 0.1


def test_orientation_images_are_unit_vectors(crop):
    f = prefilter(crop, "orientation")
    assert f.shape == (2,) + crop.shape
    mag = np.hypot(f[0], f[1])[2:-2, 2:-2]
    assert np.allclose(mag[mag > 0], 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="unknown pre-filter"):
        prefilter(crop, "sobel")


def test_normalized_median_test_flags_planted_outliers_only():
    rng = np.random.default_rng(0)
    r, c = np.mgrid[0:40, 0:50].astype(float)
    u = 5 + 0.05 * c + rng.normal(0, 0.05, r.shape)
    v = -3 + 0.02 * r + rng.normal(0, 0.05, r.shape)
    planted = [(5, 5), (20, 30), (33, 12)]
    for (i, j) in planted:
        u[i, j] += 3.0
    u[0, 0] = np.nan
    bad = normalized_median_test(u, v, **DENSE_GRID_RULE)
    for (i, j) in planted:
        assert bad[i, j]
    assert bad.sum() <= len(planted) + 2 and not bad[0, 0]


def test_neighbour_median_equals_numpy_nanmedian():
    """The sorting network behind the median test: every 0/1 input comes out sorted
    (0-1 principle: then every input does), and the NaN-aware median and valid count of
    (8, rows, cols) stacks equal numpy's, with 0 to 8 valid values per cell."""
    import itertools
    import warnings
    from glacvel_plugin.core.filters import _SORT8, _stack_nanmedian
    s = list(np.array(list(itertools.product((0.0, 1.0), repeat=8))).T)
    for i, j in _SORT8:
        s[i], s[j] = np.minimum(s[i], s[j]), np.maximum(s[i], s[j])
    assert (np.diff(np.stack(s), axis=0) >= 0).all()
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 60, 70)).astype(np.float32)
    x[rng.random(x.shape) < rng.random((60, 70))] = np.nan   # 0-100 % missing per cell
    med, k = _stack_nanmedian(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_allclose(med, np.nanmedian(x, axis=0), rtol=1e-6, equal_nan=True)
    assert (k == np.isfinite(x).sum(axis=0)).all() and (k == 0).any() and (k == 8).any()


def test_speed_quality_fill_and_median_helpers():
    assert speed_limit(np.array([3.0, 0.1]), np.array([4.0, 0.1]), 4.9).tolist() == [True, False]
    assert quality_below(np.array([0.2, np.nan, 0.9]), 0.5).tolist() == [True, True, False]
    a = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan], [7.0, 8.0, 9.0]])
    assert np.isfinite(fill_nearest(a)).all() and fill_nearest(a)[0, 1] in (1.0, 3.0)
    m = nan_median_filter(np.array([[1, 1, 1], [1, 50, 1], [1, 1, 1]], float))
    assert m[1, 1] == 1.0


def test_grid_and_pyramid_and_block_planning():
    assert output_shape((1087, 1698), 32, 2) == (528, 834)
    with pytest.raises(ValueError, match="larger than the overlapping image"):
        output_shape((20, 500), 32, 2)
    assert pyramid_levels(21.0, 32, (1087, 1698)) == 0
    assert pyramid_levels(300.0, 128, (5000, 5000)) == 4
    np.testing.assert_allclose(block_average(np.arange(16.0).reshape(4, 4), 2),
                               [[2.5, 4.5], [10.5, 12.5]])


def test_a_10000_square_pair_stays_under_2_gb():
    """Memory bound of a 10,000 × 10,000 px pair at window 32, step 2, 100 px search.

    Per strip: two float32 image strips (rows = block_rows·step + window + 2·margin) with
    pre-filter temporaries (×4) and the output rows; the FFT batches are capped at
    256 MB by ``batch_size_for``; nothing else scales with the image (coarse passes are
    strip-wise too and keep only their sparse field). The ``lk`` engine needs 160 bytes
    per strip pixel and gets taller strips (halo rows under a quarter of the work).
    """
    from glacvel_plugin.core.correlation import batch_size_for
    from glacvel_plugin.core.pipeline import lk_halo_rows
    cols_img, window, step, margin = 10_000, 32, 2, 100 + 8 + 13
    budget = 512 * 2 ** 20
    cols_out = (cols_img - window) // step + 1
    rows = plan_blocks(cols_out, window, step, margin, cols_img + 2 * margin, 1, budget)
    assert rows >= 1
    strip_rows = rows * step + window + 2 * margin
    strip_bytes = strip_rows * (cols_img + 2 * margin) * 4 * 2 * 4
    out_bytes = rows * cols_out * 4 * 8
    fft_bytes = batch_size_for(window) * (48 * window ** 2 + 64 * window ** 2)
    assert strip_bytes + out_bytes <= budget * 1.05
    assert strip_bytes + out_bytes + fft_bytes < 2 * 2 ** 30 - 400 * 2 ** 20  # room for Python/GDAL
    assert rows * cols_out <= 65536 + cols_out           # progress/cancel every ≤ 64k windows
    halo = lk_halo_rows(window, step)
    margin_lk = 8 + 9 + halo * step
    rows = plan_blocks(cols_out, window, step, margin_lk, cols_img + 2 * margin_lk, 1, budget,
                       "lk")
    strip_rows = rows * step + window + 2 * margin_lk     # margin_lk holds the halo rows
    assert rows >= 8 * halo
    assert strip_rows * (cols_img + 2 * margin_lk) * 160 + rows * cols_out * 32 <= budget * 1.05
    narrow = plan_blocks(834, window, step, margin_lk, 1698 + 2 * margin_lk, 1, budget, "lk")
    assert 262144 - 834 < narrow * 834 <= 262144     # the whole Yahtse pair: two strips


def test_pipeline_sink_blocks_equal_the_in_memory_result_and_cancel(crop):
    # per-window engine: strips give exactly the one-block result (the Lucas-Kanade engines'
    # strips differ by < 0.05 px, tested with them)
    sec = fourier_shift(crop, 1.25, -0.75)
    pair = ArrayPair(crop, sec)
    full = correlate_pair(pair, 32, 4, search=6, method="phase")
    assert abs(np.nanmedian(full.dr) - 1.25) < 0.02 and abs(np.nanmedian(full.dc) + 0.75) < 0.02
    got = np.full(full.dr.shape, np.nan, np.float32)
    seen = []

    def sink(i0, i1, dr, dc, q):
        seen.append((i0, i1))
        got[i0:i1] = dr
    assert correlate_pair(pair, 32, 4, search=6, sink=sink, block_rows=5, method="phase") is None
    assert len(seen) == int(np.ceil(full.dr.shape[0] / 5)) and seen[0] == (0, 5)
    np.testing.assert_allclose(got, full.dr, atol=1e-5, equal_nan=True)
    calls = []
    with pytest.raises(Canceled):
        correlate_pair(pair, 32, 4, search=6, block_rows=5, sink=lambda *a: None,
                       is_canceled=lambda: calls.append(1) or len(calls) > 3)


def test_pipeline_rejects_textureless_pairs_and_bad_arguments(crop):
    flat = np.full(crop.shape, 7.0)
    with pytest.raises(ValueError, match="no window could be matched"):
        correlate_pair(ArrayPair(flat, flat), 32, 8, search=4)
    with pytest.raises(ValueError, match="unknown correlation method"):
        correlate_pair(ArrayPair(crop, crop), method="xcorr")
    with pytest.raises(ValueError, match="unknown pre-filter"):
        correlate_pair(ArrayPair(crop, crop), prefilter_kind="median")
    with pytest.raises(ValueError, match="same shape"):
        ArrayPair(crop, crop[:10])


@pytest.mark.parametrize("kind", ["none", "wallis", "orientation"])
def test_pipeline_with_each_prefilter_recovers_a_shift(crop, kind):
    sec = fourier_shift(crop, -0.6, 2.2)
    f = correlate_pair(ArrayPair(crop, sec), 32, 8, search=5, prefilter_kind=kind)
    tol = 0.06 if kind == "orientation" else 0.02
    assert abs(np.nanmedian(f.dr) + 0.6) < tol and abs(np.nanmedian(f.dc) - 2.2) < tol
    assert np.isfinite(f.dr).mean() > 0.8


def test_fast_engine_strips_leave_no_seams():
    """lk smooths its predictor field: strips need a halo of three σ, or each strip
    edge leaves a seam; its sparse search nodes lie on the global output grid (every
    4th window from row 0), not every 4th row of each strip (p99 0.95 px before).
    Real Yahtse pair (trunk margin and rock): 17-row strips must give the field of one
    single block."""
    a = yahtse_crop(304, 0, 320, 400).astype(np.float32)
    b = yahtse_crop(304, 0, 320, 400, SEC).astype(np.float32)
    one = correlate_pair(ArrayPair(a, b), 32, 2, search=21.4, method="lk", block_rows=10_000)
    strips = correlate_pair(ArrayPair(a, b), 32, 2, search=21.4, method="lk", block_rows=17)
    assert one.info["block_rows"] == 10_000 and strips.info["block_rows"] == 17
    d = np.hypot(one.dr - strips.dr, one.dc - strips.dc)
    assert np.isfinite(d).mean() > 0.8      # the fast trunk too (searched again where lk fails)
    assert np.nanpercentile(d, 99) < 0.1 and np.nanmedian(d) < 0.01
    # the rows on both sides of each strip edge agree as well as the rest
    edges = np.zeros(d.shape[0], bool)
    for k in range(17, d.shape[0], 17):
        edges[k - 2:k + 2] = True
    assert np.nanpercentile(d[edges], 95) < 0.1


@pytest.mark.parametrize("method", ["phase", "lk_phase"])
def test_progress_is_reported_within_strips_up_to_one(method):
    """On the real Yahtse pair the progress rises monotonically to 1 with updates inside
    each strip (FFT batches of the search or of the default engine's fallback), not only
    once per strip: a whole scene must not sit silent between strip ends."""
    import rasterio

    from tests.conftest import DEMO_DATA
    import os
    folder = os.path.join(DEMO_DATA, "yahtse")
    a, b = (rasterio.open(os.path.join(folder, n)).read(1).astype(np.float32)
            for n in ("LC80630182016200LGN00_B8_yahtse_crop.TIF",
                      "LC80630182016216LGN00_B8_yahtse_crop.TIF"))
    a, b = a[300:620, 250:650], b[300:620, 250:650]    # lower trunk and terminus
    seen, strips = [], []
    correlate_pair(ArrayPair(a, b), 32, 2, search=18.0, method=method, block_rows=40,
                   progress=seen.append, sink=lambda *args: strips.append(args[0]))
    assert seen[-1] == pytest.approx(1.0)
    assert all(y >= x for x, y in zip(seen, seen[1:]))
    assert len(set(seen)) > 2 * len(strips), (len(set(seen)), len(strips))
    # small steps even with these narrow strips (the default plans far wider ones)
    assert np.diff([0.0] + seen).max() < 0.02


def test_default_engine_reports_every_percent_on_a_single_strip():
    """The whole demo crop (837 × 850 px) is one strip of the default engine: the coarse
    search, the reading and pre-filtering, every Lucas-Kanade pass (row and column
    chunks), the fallback batches and its quality NCC each report, so that no step of
    the progress bar is 1 % or more."""
    import os

    import rasterio

    from tests.conftest import DEMO_DATA
    folder = os.path.join(DEMO_DATA, "yahtse")
    a, b = (rasterio.open(os.path.join(folder, n)).read(1).astype(np.float32)
            for n in ("LC80630182016200LGN00_B8_yahtse_crop.TIF",
                      "LC80630182016216LGN00_B8_yahtse_crop.TIF"))
    seen = []
    f = correlate_pair(ArrayPair(a, b), 32, 2, search=18.0, progress=seen.append)
    assert f.info["block_rows"] >= f.dr.shape[0]          # one strip
    assert seen[-1] == pytest.approx(1.0)
    assert all(y >= x for x, y in zip(seen, seen[1:]))
    steps = np.diff([0.0] + seen)
    assert steps.max() < 0.01, (steps.max(), seen[int(steps.argmax())])


def test_wide_images_are_split_into_column_blocks_for_the_lucas_kanade_engines():
    """A whole Landsat-8 scene is ~15,000 px wide: a strip of 8 × halo rows over that
    width does not fit the budget, so the default engine correlates strips in column
    blocks (halo columns each side) instead of shrinking to one-row strips that redo 48
    halo rows each. On the demo crop with a budget small enough to force blocks, the
    field equals the one-block field as strips do at their seams."""
    import os

    import rasterio

    from glacvel_plugin.core.pipeline import plan_blocks, plan_columns
    from tests.conftest import DEMO_DATA
    # 15,000 px: one-row strips before; column blocks of 8 × 24 rows now
    cols_out = (15000 - 32) // 2 + 1
    assert plan_blocks(cols_out, 32, 2, 120, 15000 + 240, 1, 512 * 2 ** 20, "lk_phase") == 1
    width = plan_columns(cols_out, 32, 2, 120, 1, 512 * 2 ** 20, "lk_phase")
    assert 192 <= width < cols_out
    assert plan_blocks(width, 32, 2, 120, width * 2 + 272, 1, 512 * 2 ** 20, "lk_phase") >= 192
    assert plan_columns(cols_out, 32, 2, 120, 1, 512 * 2 ** 20, "phase") == cols_out
    assert plan_columns(410, 32, 2, 120, 1, 512 * 2 ** 20, "lk_phase") == 410

    folder = os.path.join(DEMO_DATA, "yahtse")
    a, b = (rasterio.open(os.path.join(folder, n)).read(1).astype(np.float32)
            for n in ("LC80630182016200LGN00_B8_yahtse_crop.TIF",
                      "LC80630182016216LGN00_B8_yahtse_crop.TIF"))
    one = correlate_pair(ArrayPair(a, b), 32, 2, search=18.0)
    seen = []
    blocks = correlate_pair(ArrayPair(a, b), 32, 2, search=18.0, budget_bytes=40 * 2 ** 20,
                            progress=seen.append)
    assert plan_columns(one.dr.shape[1], 32, 2, 120, 1, 40 * 2 ** 20, "lk_phase") < 410
    d = np.hypot(blocks.dr - one.dr, blocks.dc - one.dc)
    assert abs(np.isfinite(blocks.dr).mean() - np.isfinite(one.dr).mean()) < 0.001
    assert np.nanpercentile(d, 99) < 0.05 and np.nanmedian(d) < 0.01
    assert np.nanmean(d > 0.5) < 0.001
    assert seen[-1] == pytest.approx(1.0) and all(y >= x for x, y in zip(seen, seen[1:]))
