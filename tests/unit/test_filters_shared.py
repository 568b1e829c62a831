"""The shared NaN-aware Gaussian and summed-area window sums of ``core.filters`` on a real
Landsat-8 crop (tests/data/yahtse_landsat8)."""
import numpy as np
import pytest
import rasterio
from scipy import ndimage

from glacvel_plugin.core.filters import (nan_gaussian_filter, nan_median_filter, prefilter,
                                         window_sums)
from glacvel_plugin.core.offset_tracking import speckle_smooth
from tests.conftest import YAHTSE_REF, test_data


@pytest.fixture(scope="module")
def crop():
    with rasterio.open(test_data(*YAHTSE_REF)) as ds:
        return ds.read(1, window=((300, 428), (400, 528))).astype(np.float32)


def test_window_sums_equal_direct_sums(crop):
    a = crop.astype(np.float64)
    for h, w in ((1, 1), (7, 5), (32, 32), (128, 3)):
        s = window_sums(a, h, w)
        assert s.shape == (a.shape[0] - h + 1, a.shape[1] - w + 1)
        for i, j in ((0, 0), (s.shape[0] - 1, s.shape[1] - 1), (s.shape[0] // 2, 1)):
            assert s[i, j] == pytest.approx(a[i:i + h, j:j + w].sum(), rel=1e-12)


def test_nan_gaussian_is_gaussian_filter_without_no_data(crop):
    out = nan_gaussian_filter(crop, 1.5)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, ndimage.gaussian_filter(crop, 1.5, mode="reflect"))


def test_nan_gaussian_ignores_no_data_and_keeps_it(crop):
    a = crop.copy()
    a[40:60, 10:90] = np.nan
    out = nan_gaussian_filter(a, 2.0)
    # no data stays no data, and no new no data appears
    np.testing.assert_array_equal(np.isnan(out), np.isnan(a))
    # the no-data pixels do not pull the mean towards zero: beside the hole the result
    # is a weighted mean of valid pixels, so it stays within their local range
    r, c = 38, 50
    box = a[r - 8:r + 9, c - 8:c + 9]
    assert np.nanmin(box) <= out[r, c] <= np.nanmax(box)
    naive = ndimage.gaussian_filter(np.nan_to_num(a), 2.0)
    assert abs(out[r, c] - naive[r, c]) > 1.0   # zero-filling would bias it
    # a constant image with holes stays constant where it has data
    flat = np.where(np.isnan(a), np.nan, 7.0).astype(np.float64)
    np.testing.assert_allclose(nan_gaussian_filter(flat, 3.0)[~np.isnan(a)], 7.0, rtol=1e-12)


@pytest.mark.parametrize("mode, truncate", [("reflect", 4.0), ("nearest", 3.0)])
def test_nan_gaussian_of_a_region_read_beyond_the_image(crop, monkeypatch, mode, truncate):
    """No data in whole rows and columns only (the padding of a read beyond the image
    edge): the mask is blurred as two 1-D masks (one 2-D blur, of the data, instead of
    two), and the result is the normalised convolution of the 2-D mask."""
    from glacvel_plugin.core import filters
    a = np.full((crop.shape[0] + 13, crop.shape[1] + 9), np.nan, np.float32)
    a[7:7 + crop.shape[0], 0:crop.shape[1]] = crop
    a[:, 30] = np.nan                              # a no-data column inside too
    valid = np.isfinite(a)
    num = ndimage.gaussian_filter(np.where(valid, a, 0).astype(np.float32), 1.5, mode=mode,
                                  truncate=truncate)
    den = ndimage.gaussian_filter(valid.astype(np.float32), 1.5, mode=mode, truncate=truncate)
    want = num / np.maximum(den, 1e-6)
    want[~valid] = np.nan
    blurs = []
    real = filters.ndimage.gaussian_filter
    monkeypatch.setattr(filters.ndimage, "gaussian_filter",
                        lambda x, *args, **kw: blurs.append(x.shape) or real(x, *args, **kw))
    out = nan_gaussian_filter(a, 1.5, mode=mode, truncate=truncate)
    assert blurs == [a.shape]                      # the data only: the mask went 1-D
    np.testing.assert_array_equal(np.isnan(out), ~valid)
    np.testing.assert_allclose(out[valid], want[valid], rtol=2e-5, atol=1e-3)
    # a hole that is not whole rows and columns takes the 2-D mask blur
    a[50:60, 50:60] = np.nan
    blurs.clear()
    nan_gaussian_filter(a, 1.5, mode=mode, truncate=truncate)
    assert len(blurs) == 2
    # and a 1-D series with no data is filtered as before
    line = crop[0].astype(np.float32).copy()
    line[10:14] = np.nan
    assert np.isnan(nan_gaussian_filter(line, 1.5)).sum() == 4


def test_highpass_and_speckle_smoothing_use_it(crop):
    a = crop.copy()
    a[a < np.percentile(a, 2)] = np.nan
    np.testing.assert_array_equal(prefilter(a, "highpass", sigma=1.5),
                                  (a - nan_gaussian_filter(a, 1.5)).astype(np.float32))
    b = np.log(a.astype(np.float64))
    np.testing.assert_array_equal(speckle_smooth(b, 0.7),
                                  nan_gaussian_filter(b, 0.7, mode="nearest", truncate=3.0))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [3, 5])
def test_nan_median_filter_is_numpys_nanmedian_of_each_box(crop, dtype, size):
    """Real texture with a third of its pixels and a corner block missing: the box median
    equals numpy.nanmedian over each NaN-padded box, value for value (even counts give the
    mean of the two middle values), in the input's float precision."""
    import warnings
    a = crop.astype(dtype)
    rng = np.random.default_rng(4)
    a[rng.random(a.shape) < 0.33] = np.nan
    a[:6, :6] = np.nan
    m = nan_median_filter(a, size)
    assert m.dtype == dtype and m.shape == a.shape
    h = size // 2
    p = np.pad(a, h, constant_values=np.nan)
    boxes = np.lib.stride_tricks.sliding_window_view(p, (size, size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = np.nanmedian(boxes, axis=(-2, -1))
    np.testing.assert_array_equal(m, expected)
    assert np.isnan(m[:6 - h, :6 - h]).all() and np.isfinite(m[h + 6:, h + 6:]).mean() > 0.99
