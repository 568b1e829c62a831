"""SAR amplitude offset tracking: log-amplitude scales, speckle robustness, SNAP-like options,
and the real Sentinel-1 EW pair over drifting sea ice (tests/data/s1_seaice_pair)."""

import numpy as np
import pytest
import rasterio

from glacvel_plugin.core.feature_tracking import MatchResult
from glacvel_plugin.core.offset_tracking import (FLAG_AVERAGED, FLAG_FILLED, FLAG_INTERPOLATED,
                                                 FLAG_MEASURED, detect_scale,
                                                 normalised_median_test, postprocess_nodes,
                                                 resample_nodes, to_log_amplitude, track_nodes)
from tests.conftest import YAHTSE_REF, s1_pair, test_data


def fourier_shift(img, dy, dx):
    ky = np.fft.fftfreq(img.shape[0])[:, None]
    kx = np.fft.fftfreq(img.shape[1])[None, :]
    return np.real(np.fft.ifft2(np.fft.fft2(img) * np.exp(-2j * np.pi * (ky * dy + kx * dx))))


def test_scales_give_the_same_log_amplitude():
    amp = np.array([[0.1, 0.5], [2.0, 0.0]])
    la = to_log_amplitude(amp, "amplitude")
    assert np.allclose(to_log_amplitude(amp ** 2, "power")[:, :2][0], la[0])
    db = 10 * np.log10(np.array([[0.01, 0.25], [4.0, 1.0]]))
    assert np.allclose(to_log_amplitude(db, "db")[0], la[0])
    assert np.isnan(la[1, 1])  # zero = GRD border fill
    with pytest.raises(ValueError, match="dB"):
        to_log_amplitude(-np.abs(db) - 1, "power")
    with pytest.raises(ValueError, match="scale"):
        to_log_amplitude(amp, "sigma")


def test_auto_node_spacing():
    from glacvel_plugin.core.offset_tracking import auto_step
    assert auto_step(30.0, 10.0, 128) == 16   # 3 px would be 98 % window overlap
    assert auto_step(400.0, 10.0, 128) == 40
    assert auto_step(30.0, 100.0, 32) == 4


def test_scale_detection_from_tags_names_and_values():
    assert detect_scale({"UNITS": "dB"})[0] == "db"
    assert detect_scale({"units": "Intensity"})[0] == "power"
    assert detect_scale({}, "S1A_IW_GRDH_..._Sigma0_VV_db.tif")[0] == "db"
    assert detect_scale({}, "Amplitude_VV.tif")[0] == "amplitude"
    assert detect_scale({}, "subset_0_of_S1A.tif Sigma0_VV_db")[0] == "db"  # band description
    assert detect_scale({}, "x.tif", np.array([-15.0, -12.0, -20.0]))[0] == "db"
    assert detect_scale({}, "x.tif", np.array([0.1, 0.02]))[0] == "amplitude"
    assert detect_scale({}, "x.tif")[0] is None


@pytest.fixture(scope="module")
def reflectivity():
    """512×512 crop of the real Landsat 8 B8 Yahtse image (rows 500-1011, cols 900-1411:
    glacier and moraine, amplitude contrast std/mean 0.50) used as the SAR amplitude texture."""
    path = test_data(*YAHTSE_REF)
    with rasterio.open(path) as ds:
        return ds.read(1, window=((404, 916), (200, 712))).astype(np.float64)


def test_four_look_speckle_subpixel_rmse_below_a_tenth_pixel(reflectivity):
    """Intensity = amplitude² × Gamma(L=4, 1/L) speckle, independent in both images; the
    secondary texture is Fourier-shifted by a known sub-pixel offset before speckling."""
    rng = np.random.default_rng(2024)
    L = 4
    nodes = np.arange(128, 512 - 128 + 1, 64)
    errs = []
    for dy, dx in [(0.25, -0.4), (0.5, 0.5), (-0.3, 0.8), (1.7, -2.35), (-0.9, 0.1)]:
        i1 = reflectivity ** 2 * rng.gamma(L, 1.0 / L, reflectivity.shape)
        i2 = np.maximum(fourier_shift(reflectivity, dy, dx), 1.0) ** 2 * \
            rng.gamma(L, 1.0 / L, reflectivity.shape)
        res = track_nodes(i1, i2, nodes, nodes, 128, 6, scale="power")
        assert np.all(res.status == 0)
        errs.append(np.concatenate([res.dr - dy, res.dc - dx]))
    e = np.concatenate(errs)
    rmse = np.sqrt(np.mean(e ** 2))
    assert rmse < 0.1, rmse  # measured 0.05 px with the 0.7 px speckle low-pass
    # the same pair in dB gives the same offsets (NCC of log amplitude)
    db1, db2 = 10 * np.log10(i1), 10 * np.log10(i2)
    res_db = track_nodes(db1, db2, nodes, nodes, 128, 6, scale="db")
    res_p = track_nodes(i1, i2, nodes, nodes, 128, 6, scale="power")
    assert np.allclose(res_db.dr, res_p.dr, atol=1e-6)
    # the optical chain's batched NCC engine on the same last pair: valid, less precise
    # (measured 0.097-0.10 px RMSE over all five shifts against 0.045 px)
    res_c = track_nodes(i1, i2, nodes, nodes, 128, 6, scale="power", engine="correlation")
    e_c = np.concatenate([res_c.dr - dy, res_c.dc - dx])
    assert np.all(res_c.status == 0) and np.sqrt(np.mean(e_c ** 2)) < 0.2


def test_speckle_filter_keeps_no_data_from_growing():
    from glacvel_plugin.core.offset_tracking import speckle_smooth
    a = np.random.default_rng(0).normal(size=(20, 20))
    a[:5] = np.nan
    out = speckle_smooth(a, 0.7)
    assert np.isnan(out[:5]).all() and np.isfinite(out[5:]).all()
    assert abs(np.std(out[8:]) - np.std(a[8:])) > 0.1  # it does smooth


def test_without_speckle_filter_it_is_worse_but_unbiased(reflectivity):
    rng = np.random.default_rng(7)
    nodes = np.arange(128, 512 - 128 + 1, 128)
    i1 = reflectivity ** 2 * rng.gamma(4, 0.25, reflectivity.shape)
    i2 = (np.maximum(fourier_shift(reflectivity, 0.5, -0.5), 1.0) ** 2
          * rng.gamma(4, 0.25, reflectivity.shape))
    res = track_nodes(i1, i2, nodes, nodes, 128, 6, scale="power", speckle_sigma=0)
    assert abs(np.mean(res.dr) - 0.5) < 0.1 and abs(np.mean(res.dc) + 0.5) < 0.1


def _result(dr, dc, peak):
    dr, dc, peak = (np.asarray(a, dtype=float).ravel() for a in (dr, dc, peak))
    status = np.where(np.isfinite(dr), 0, 1).astype(np.int8)
    return MatchResult(dr, dc, peak, peak * 3, status)


def test_snap_like_postprocessing_flags_averaged_and_filled_nodes():
    n = 7
    dr = np.full((n, n), 2.0)
    dc = np.full((n, n), -1.0)
    peak = np.full((n, n), 0.5)
    dr[3, 3] = 2.6             # a measured node a bit off: averaging pulls it in
    peak[1, 1] = 0.05          # below the 0.1 cross-correlation threshold
    dr[5, 5] = dc[5, 5] = np.nan   # no match at all
    dr[0, 6] = 40.0            # faster than the maximum velocity
    res = _result(dr, dc, peak)
    raw = postprocess_nodes(res, (n, n), threshold=0.1, max_offset_px=10.0)
    assert raw.rejected["below correlation threshold"] == 1
    assert raw.rejected["above maximum velocity"] == 1
    assert raw.flag[2, 2] == FLAG_MEASURED and raw.flag[1, 1] == -1 and np.isnan(raw.dr[1, 1])
    assert raw.dr[3, 3] == pytest.approx(2.6)
    pp = postprocess_nodes(res, (n, n), threshold=0.1, max_offset_px=10.0, average_box=3,
                           fill_radius=2)
    assert pp.flag[3, 3] == FLAG_AVERAGED
    assert pp.dr[3, 3] == pytest.approx((2.6 + 8 * 2.0) / 9, abs=1e-6)
    for hole in [(1, 1), (5, 5), (0, 6)]:
        assert pp.flag[hole] == FLAG_FILLED
        assert np.isnan(pp.peak[hole])
    assert pp.dr[5, 5] == pytest.approx(2.0, abs=0.05) and pp.dc[0, 6] == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="odd"):
        postprocess_nodes(res, (n, n), average_box=4)


def test_median_test_finds_the_outlier_only():
    y, x = np.mgrid[0:9, 0:9]
    dr = 0.2 * x + 0.1 * y
    dc = 0.05 * x - 0.03 * y
    dr[4, 4] += 3
    bad = normalised_median_test(dr, dc, 2.0)
    assert bad[4, 4] and bad.sum() == 1


def test_resample_nodes_exact_at_nodes_and_bilinear_between():
    vals = np.array([[0.0, 1.0], [2.0, 3.0]], dtype=np.float32)
    flag = np.array([[0, 1], [0, -1]], dtype=np.int8)
    fr = np.array([[0.0, 0.5, 0.0]])
    fc = np.array([[0.0, 0.5, 0.5]])
    q = np.array([[0.5, np.nan], [0.7, 0.9]], dtype=np.float32)
    out, fl = resample_nodes({"v": vals, "q": q}, flag, fr, fc, required=("v",))
    assert out["v"][0, 0] == 0 and fl[0, 0] == 0 and out["q"][0, 0] == 0.5
    assert np.isnan(out["q"][0, 2])  # not required: NaN propagates, the cell stays valid
    assert np.isnan(out["v"][0, 1]) and fl[0, 1] == -1   # needs the empty node (1, 1)
    assert out["v"][0, 2] == pytest.approx(0.5) and fl[0, 2] == FLAG_AVERAGED | FLAG_INTERPOLATED


def coarse_drift_px(a, b, factor=4):
    """Coarse drift of the whole scene by phase correlation of 4×-averaged images (px)."""
    def down(x):
        h, w = (s // factor * factor for s in x.shape)
        return x[:h, :w].reshape(h // factor, factor, w // factor, factor).mean(axis=(1, 3))
    x, y = down(a), down(b)
    x, y = x - x.mean(), y - y.mean()
    win = np.outer(np.hanning(x.shape[0]), np.hanning(x.shape[1]))
    X, Y = np.fft.fft2(x * win), np.fft.fft2(y * win)
    c = np.real(np.fft.ifft2(np.conj(X) * Y / (np.abs(X * Y) + 1e-12)))
    i, j = np.unravel_index(np.argmax(c), c.shape)
    i = i - c.shape[0] if i > c.shape[0] // 2 else i
    j = j - c.shape[1] if j > c.shape[1] // 2 else j
    return i * factor, j * factor


def test_real_sentinel1_sea_ice_pair_gives_a_coherent_drift_field():
    files = s1_pair()
    with rasterio.open(files[0]) as ds:
        a = ds.read(1)
    with rasterio.open(files[1]) as ds:
        b = ds.read(1)
    assert detect_scale({}, files[0], a[::10, ::10])[0] == "db"
    # look at the data first: the whole scene drifted by ≈(36, -28) px (≈4.6 km in 23 h)
    cr, cc = coarse_drift_px(a, b)
    assert 30 <= cr <= 42 and -34 <= cc <= -22
    search = int(1.5 * np.hypot(cr, cc))  # 50 % margin for spatial variation of the drift
    rows = np.arange(64, a.shape[0] - 64 + 1, 48)
    cols = np.arange(64, a.shape[1] - 64 + 1, 48)
    res = track_nodes(a, b, rows, cols, 128, search, scale="db")
    nf = postprocess_nodes(res, (len(rows), len(cols)), threshold=0.1,
                           max_offset_px=search, median_test=2.0)
    ok = nf.flag == FLAG_MEASURED
    # nodes whose secondary window left the scene (west column, south row) are rejected,
    # all but the south-west corner, which has too few neighbours for the median test;
    # every other node is measured
    inner = np.zeros_like(ok)
    inner[:-1, 1:] = True
    assert ok[inner].mean() > 0.95, nf.rejected
    assert ok[~inner].mean() < 0.1, nf.rejected
    ok &= inner
    dr, dc = nf.dr[ok], nf.dc[ok]
    assert 33 < np.median(dr) < 39 and -31 < np.median(dc) < -25
    # spatially coherent: every vector is close to the median of its 8 neighbours ...
    pad_r = np.pad(np.where(ok, nf.dr, np.nan), 1, constant_values=np.nan)
    pad_c = np.pad(np.where(ok, nf.dc, np.nan), 1, constant_values=np.nan)
    n_r, n_c = ok.shape
    nb = [(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1) if (i, j) != (0, 0)]
    med_r = np.nanmedian([pad_r[1 + i:1 + i + n_r, 1 + j:1 + j + n_c] for i, j in nb], axis=0)
    med_c = np.nanmedian([pad_c[1 + i:1 + i + n_r, 1 + j:1 + j + n_c] for i, j in nb], axis=0)
    dev = np.hypot(nf.dr - med_r, nf.dc - med_c)[ok]
    assert np.nanpercentile(dev, 95) < 0.6, np.nanpercentile(dev, 95)
    # ... and points the same way (drift direction within 10° of the scene median)
    ang = np.degrees(np.arctan2(dr, dc))
    assert np.all(np.abs(ang - np.median(ang)) < 10)
    # and agrees with independent phase correlation of 256 px blocks at integer precision
    for r0, c0 in [(150, 300), (40, 440), (180, 60)]:
        x = a[r0:r0 + 256, c0:c0 + 256]
        y = b[r0:r0 + 256, c0:c0 + 256]
        br, bc = coarse_drift_px(x, y, factor=1)
        k = np.argmin(np.abs(rows - (r0 + 128))), np.argmin(np.abs(cols - (c0 + 128)))
        assert abs(nf.dr[k] - br) <= 2.0 and abs(nf.dc[k] - bc) <= 2.0
    assert np.median(nf.peak[ok]) > 0.3
