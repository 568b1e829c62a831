"""Template matching (ImGRAFT-style) and block aggregation on a real Landsat 8 texture.

Shifted copies are made by Fourier phase ramps (exact for a band-limited image), so the
true offset is known to machine precision; tests assert the recovered offsets.
"""
import numpy as np
import pytest
import rasterio

from glacvel_plugin.core import Canceled
from glacvel_plugin.core.feature_tracking import (AT_BORDER, LOW_CONTRAST, NODATA, OK,
                                                  aggregate_to_grid, grid_centres, ncc_surface,
                                                  orientation_image, search_from_speed,
                                                  subpixel_peak, track_windows)
from tests.conftest import YAHTSE_REF, test_data


@pytest.fixture(scope="module")
def texture():
    """256×256 crop of the real Landsat 8 B8 Yahtse image (glacier + rock, float64 DN)."""
    path = test_data(*YAHTSE_REF)
    with rasterio.open(path) as ds:
        return ds.read(1, window=((204, 460), (0, 256))).astype(np.float64)


def fourier_shift(img, dy, dx):
    """``img`` moved by (dy rows down, dx cols right), periodic band-limited shift."""
    ky = np.fft.fftfreq(img.shape[0])[:, None]
    kx = np.fft.fftfreq(img.shape[1])[None, :]
    return np.real(np.fft.ifft2(np.fft.fft2(img) * np.exp(-2j * np.pi * (ky * dy + kx * dx))))


CENTRES = np.array([[128, 128], [100, 150], [150, 100], [90, 90], [165, 165]])


def test_ncc_recovers_subpixel_shifts_without_integer_locking(texture):
    errs = []
    shifts = [(f * 0.7 - 2.0, f + 1.0) for f in np.linspace(0, 1, 11)]
    for dy, dx in shifts:
        res = track_windows(texture, fourier_shift(texture, dy, dx), CENTRES, 64, 8)
        assert np.all(res.status == OK)
        errs.append(np.stack([res.dr - dy, res.dc - dx]))
    e = np.concatenate(errs, axis=1)
    # quintic-spline oversampling: measured RMS 0.017 px, max < 0.05 px;
    # a 3-point parabola on integers would err up to ~0.1-0.36 px near half pixels
    assert np.sqrt(np.mean(e ** 2)) < 0.03
    assert np.abs(e).max() < 0.08
    # NCC of an exact copy at the peak is ~1
    assert np.all(res.peak > 0.95) and np.all(res.peak_ratio > 1.2)


def test_orientation_correlation_recovers_shift(texture):
    dy, dx = -3.3, 4.6
    res = track_windows(texture, fourier_shift(texture, dy, dx), CENTRES, 64, 8, method="oc")
    assert np.all(res.status == OK)
    assert np.abs(res.dr - dy).max() < 0.15 and np.abs(res.dc - dx).max() < 0.15
    o = orientation_image(texture)
    assert np.allclose(np.abs(o[np.abs(o) > 0]), 1.0)


def test_prior_offset_centres_the_search(texture):
    big = np.pad(texture, 20, mode="reflect")
    sec = fourier_shift(big, 14.25, -12.5)
    c = CENTRES + 20
    far = track_windows(big, sec, c, 64, 4)
    # the true offset is beyond ±4 px: nothing near it can be found
    assert not np.any(far.valid & (np.abs(far.dr - 14.25) < 1))
    near = track_windows(big, sec, c, 64, 4, prior=np.tile([14, -12], (len(c), 1)))
    assert np.all(near.status == OK)
    assert np.allclose(near.dr, 14.25, atol=0.06) and np.allclose(near.dc, -12.5, atol=0.06)


def test_status_codes_nodata_flat_border_and_threshold(texture):
    ref = texture.copy()
    ref[0:70, 0:70] = np.nan
    flat = texture.copy()
    flat[180:256, 180:256] = 7.0
    cen = np.array([[32, 32], [220, 220], [128, 128], [5, 128]])
    res = track_windows(ref, flat, cen, 40, 6)
    assert res.status[0] == NODATA  # template in no data
    assert res.status[1] == LOW_CONTRAST  # secondary flat: no NCC anywhere
    assert res.status[2] == OK
    assert res.status[3] == NODATA  # template sticks out of the image
    # a shift larger than the search range puts the best match on the border
    res2 = track_windows(texture, fourier_shift(texture, 9.0, 0.0), CENTRES[:1], 64, 4)
    assert res2.status[0] == AT_BORDER and np.isnan(res2.dr[0])
    res3 = track_windows(texture, fourier_shift(texture, 1.0, 0.0), CENTRES[:1], 64, 4,
                           min_peak=1.01)
    assert res3.status[0] == 4 and np.isnan(res3.dr[0])


def test_ncc_surface_matches_direct_formula(texture):
    rng = np.random.default_rng(0)
    t = texture[50:70, 60:84]
    s = texture[40:80, 50:94] + rng.normal(0, 5, (40, 44))
    c = ncc_surface(t, s)
    i, j = 7, 9
    w = s[i:i + 20, j:j + 24]
    direct = np.corrcoef(t.ravel(), w.ravel())[0, 1]
    assert c.shape == (21, 21) and abs(c[i, j] - direct) < 1e-9


def test_subpixel_peak_of_a_known_smooth_surface():
    y, x = np.mgrid[0:25, 0:25]
    surf = np.exp(-((y - 12.3) ** 2 + (x - 11.8) ** 2) / (2 * 2.0 ** 2))
    r, c, v = subpixel_peak(surf, 12, 12)
    assert abs(r - 12.3) < 0.005 and abs(c - 11.8) < 0.005 and abs(v - 1) < 0.005


def test_bad_arguments_raise_value_error(texture):
    with pytest.raises(ValueError, match="same grid"):
        track_windows(texture, texture[:100], CENTRES, 64, 4)
    with pytest.raises(ValueError, match="larger than the image"):
        track_windows(texture, texture, CENTRES, 300, 4)
    with pytest.raises(ValueError, match="method"):
        track_windows(texture, texture, CENTRES, 64, 4, method="phase")
    with pytest.raises(ValueError, match="positive"):
        search_from_speed(1.0, 0.0, 0.5)
    with pytest.raises(Canceled):
        track_windows(texture, texture, CENTRES, 64, 4, is_canceled=lambda: True)


def test_search_range_and_grid():
    assert search_from_speed(2.0, 10.0, 0.5) == 41  # 20 m over 0.5 m pixels, +1
    r, c = grid_centres((100, 80), 20, 30)
    assert list(r) == [10, 40, 70] and list(c) == [10, 40, 70]


def test_block_aggregation_median_and_count():
    # 2×2 grid of 30 m cells with origin (1000, 2000)
    x = np.array([1005, 1010, 1020, 1040, 1045, 1005, 1050, 2000.0])
    y = np.array([1995, 1990, 1985, 1990, 1980, 1965, 1940, 1990.0])
    vx = np.array([1.0, 2.0, 100.0, 5.0, 7.0, 3.0, 4.0, 9.0])
    valid = np.array([True, True, True, True, True, True, False, True])
    (mx,), count = aggregate_to_grid(x, y, [vx], valid, 1000.0, 2000.0, 30.0, (2, 2))
    assert count.tolist() == [[3, 2], [1, 0]]
    # the median ignores the 100 m/d outlier of the first cell
    assert mx[0, 0] == 2.0 and mx[0, 1] == 6.0 and mx[1, 0] == 3.0 and np.isnan(mx[1, 1])
