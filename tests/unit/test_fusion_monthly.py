"""Weights per period, robust fusion, local scatter and held-out validation (core only)."""
import numpy as np
import pytest

from glacvel_plugin.core import fusion as cf
from glacvel_plugin.core import timeseries as ts


# --------------------------------------------------------------------------- robust fusion
def test_robust_drops_the_disagreeing_source_and_counts_it():
    rng = np.random.default_rng(0)
    shape = (3, 40, 50)
    truth = np.full(shape[1:], 0.5)
    sig = np.array([0.03, 0.05, 0.08])
    vx = truth + rng.normal(0, sig[:, None, None], shape)
    vy = 0.2 + rng.normal(0, sig[:, None, None], shape)
    vx[1, :, :10] += 0.6                      # source 1 is 0.6 m/d off in a band of 10 cols
    sx = np.broadcast_to(sig[:, None, None], shape)
    plain = cf.fuse_stack(vx, vy, None, sx, sx)
    rob = cf.fuse_stack(vx, vy, None, sx, sx, robust=cf.ROBUST_CHI2)
    # the band is wrong in the plain fusion by ≈ w1·0.6 and right after the test
    w1 = sig[1] ** -2 / np.sum(sig ** -2)
    assert np.mean(plain["vx"][:, :10]) - 0.5 == pytest.approx(w1 * 0.6, abs=0.01)
    assert abs(np.mean(rob["vx"][:, :10]) - 0.5) < 0.005
    assert rob["rejected_by_source"][1] >= 0.99 * 400          # nearly all band pixels
    assert rob["rejected"][:, :10].mean() >= 0.99
    # outside the band: false alarms at the 1 % level of a χ²(2) test, no bias
    n_out = rob["rejected"][:, 10:].sum()
    assert n_out <= 0.03 * 3 * 1600
    assert np.all(rob["count"] == 3)                             # count: sources present


def test_robust_with_two_sources_drops_the_larger_sigma():
    vx = np.array([[[1.0]], [[2.0]]])
    vy = np.zeros_like(vx)
    sx = np.array([[[0.05]], [[0.2]]])
    r = cf.fuse_stack(vx, vy, [0.5, 0.5], sx, sx, robust=cf.ROBUST_CHI2)
    assert r["vx"][0, 0] == pytest.approx(1.0) and r["rejected_by_source"].tolist() == [0, 1]
    sx2 = sx[::-1].copy()
    r2 = cf.fuse_stack(vx, vy, [0.5, 0.5], sx2, sx2, robust=cf.ROBUST_CHI2)
    assert r2["vx"][0, 0] == pytest.approx(2.0)
    # within the errors nothing is dropped: the 50/50 mean
    r3 = cf.fuse_stack(vx * 0.1, vy, [0.5, 0.5], sx * 10, sx * 10, robust=cf.ROBUST_CHI2)
    assert r3["vx"][0, 0] == pytest.approx(0.15) and r3["rejected"][0, 0] == 0


def test_local_scatter_measures_noise_not_flow_gradients():
    y, x = np.mgrid[0:60, 0:80].astype(float)
    vx, vy = 0.01 * x + 0.004 * y, 0.3 - 0.002 * x
    s = cf.local_scatter(vx, vy)
    assert np.nanmax(s[3:-3, 3:-3]) < 1e-9                      # linear flow: 0
    rng = np.random.default_rng(1)
    noisy = cf.local_scatter(vx + rng.normal(0, 0.1, vx.shape), vy + rng.normal(0, 0.1, vx.shape))
    # white noise σ: residual from the 3×3 median ≈ 0.95 σ
    assert 0.085 < np.nanmedian(noisy) < 0.105
    vx[5, 5] = np.nan
    assert np.isnan(cf.local_scatter(vx, vy)[5, 5])
    with pytest.raises(ValueError, match="odd"):
        cf.local_scatter(vx, vy, 4)


# --------------------------------------------------------------------------- period weights
def _samples(names, sig, bias, n_st, rng, month_shift=0.0):
    n = n_st * 3                               # three reference periods per station
    ref_vx, ref_vy = 0.4 + 0.1 * rng.standard_normal(n), 0.1 * rng.standard_normal(n)
    sig = np.asarray(sig, float)
    vx = ref_vx[:, None] + bias + rng.normal(0, 1, (n, len(names))) * sig
    vy = ref_vy[:, None] + rng.normal(0, 1, (n, len(names))) * sig
    s = np.broadcast_to(sig, (n, len(names))).copy()
    g = np.repeat([f"st{i}" for i in range(n_st)], 3)
    return ts.MonthSamples(list(names), vx, vy, s, s.copy(), ref_vx, ref_vy, g)


def test_weights_follow_each_month_and_fall_back_with_a_tag():
    rng = np.random.default_rng(3)
    names = ["L8", "S2"]
    samples = {(2018, 3): _samples(names, [0.02, 0.08], 0.0, 8, rng),    # L8 good
               (2018, 4): _samples(names, [0.08, 0.02], 0.0, 8, rng),    # S2 good
               (2018, 6): _samples(names, [0.02, 0.08], 0.0, 1, rng)}    # one station
    months = {m: names for m in [(2018, 3), (2018, 4), (2018, 6), (2018, 9)]}
    fits = ts.fit_period_weights(samples, months, method="constrained", shrinkage=0.0,
                                 min_groups=2)
    w3, w4 = fits[(2018, 3)].weights, fits[(2018, 4)].weights
    # inverse-variance optimum 0.941 / 0.059 and mirrored
    assert w3[0] > 0.85 and w4[1] > 0.85
    assert fits[(2018, 3)].basis == "month" and fits[(2018, 3)].n_groups == 8
    # June: one station → May–July has none either → all-period fit
    assert fits[(2018, 6)].basis == "all-period"
    assert fits[(2018, 9)].basis == "all-period"
    # with a ±1 month window, June finds nothing; May with window 1 pools April+June
    fits_w = ts.fit_period_weights(samples, {(2018, 5): names}, method="constrained",
                                   shrinkage=0.0, min_groups=2)
    assert fits_w[(2018, 5)].basis == "neighbours"
    assert fits_w[(2018, 5)].months == [(2018, 4), (2018, 6)]
    # shrinkage pulls a month towards the all-period fit by n/(n + n0)
    shr = ts.fit_period_weights(samples, {(2018, 3): names}, method="constrained",
                                shrinkage=48.0, min_groups=2)[(2018, 3)]
    allp = fits[(2018, 9)].weights
    nc = fits[(2018, 3)].n_samples
    np.testing.assert_allclose(shr.weights, (nc * w3 + 48 * allp) / (nc + 48), atol=1e-9)
    assert shr.basis == "month+shrinkage"
    # too few stations anywhere → per-pixel inverse variance
    none = ts.fit_period_weights(samples, months, method="constrained", min_groups=20)
    assert {p.basis for p in none.values()} == {"inverse-variance"}
    assert all(p.weights is None for p in none.values())
    single = ts.fit_period_weights(samples, {(2018, 3): ["L8"]})
    assert single[(2018, 3)].basis == "single-source"


def test_error_calibration_scales_each_sigma_by_its_misfit():
    rng = np.random.default_rng(4)
    names = ["L8", "S2"]
    s = _samples(names, [0.03, 0.03], 0.0, 30, rng)
    s.vx[:, 1] = s.ref_vx + rng.normal(0, 0.09, len(s.ref_vx))    # S2 3× worse than its band
    s.vy[:, 1] = s.ref_vy + rng.normal(0, 0.09, len(s.ref_vx))
    pw = ts.fit_period_weights({(2018, 3): s}, {(2018, 3): names}, method=ts.CALIBRATED)[
        (2018, 3)]
    assert pw.weights is None and pw.basis == "month"
    assert pw.error_scale[0] == pytest.approx(1.0, abs=0.12)
    assert pw.error_scale[1] == pytest.approx(3.0, abs=0.35)


def test_heldout_validation_refits_without_the_station():
    rng = np.random.default_rng(5)
    names = ["L8", "S2"]
    s = _samples(names, [0.02, 0.06], 0.0, 6, rng)
    # station st0 is where S2 is 0.5 m/d off (its band does not show it)
    bad = s.groups == "st0"
    s.vx[bad, 1] += 0.5
    rows = ts.heldout_validation({(2018, 3): s}, {(2018, 3): names}, robust=None,
                                 method="constrained", min_groups=2, shrinkage=0.0)
    (row,) = rows
    assert row["month"] == "201803" and row["groups"] == 6 and row["n"] == 18
    # every fold's weights come from five stations; st0's fold never sees st0's S2 error
    assert set(row["weights"]) == {f"st{i}" for i in range(6)}
    # st0's fold never sees st0's S2 error: without the outlier test the fused
    # product is worse than Landsat alone there (the transfer problem of few stations)
    assert row["fused_rmse"] > 1.1 * row["source_rmse"]["L8"]
    rob = ts.heldout_validation({(2018, 3): s}, {(2018, 3): names}, robust=cf.ROBUST_CHI2,
                                method="constrained", min_groups=2, shrinkage=0.0)[0]
    assert rob["fused_rmse"] <= min(rob["source_rmse"].values())
    d_s2 = np.hypot(s.vx[:, 1] - s.ref_vx, s.vy[:, 1] - s.ref_vy)
    assert row["source_rmse"]["S2"] == pytest.approx(float(np.sqrt(np.mean(d_s2 ** 2))))
    assert row["source_z"]["S2"] > 2 > 1.3 > row["source_z"]["L8"]   # σ check flags S2


def test_local_scatter_strips_equal_the_whole_array():
    import warnings

    from numpy.lib.stride_tricks import sliding_window_view
    rng = np.random.default_rng(2)
    a = rng.normal(0, 0.1, (700, 300))          # 700 rows: several strips of rows
    b = rng.normal(0, 0.1, (700, 300))
    a[100:200, 30:40] = np.nan
    b[np.isnan(a)] = np.nan

    def win(x, n):
        return sliding_window_view(np.pad(x, n // 2, constant_values=np.nan), (n, n))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        dx = a - np.nanmedian(win(a, 3), axis=(-2, -1))
        dy = b - np.nanmedian(win(b, 3), axis=(-2, -1))
        ref = np.sqrt(np.nanmean(win(0.5 * (dx ** 2 + dy ** 2), 5), axis=(-2, -1)))
    ref[np.isnan(a)] = np.nan
    np.testing.assert_allclose(cf.local_scatter(a, b), ref, rtol=1e-6, atol=1e-9)
