"""Weight fitting and masked weighted fusion (core/fusion.py) on synthetic fields.

The synthetic truth is a smooth glacier-like flow field; three sources see it with
known independent Gaussian noise σ = 0.03, 0.06, 0.12 m/d, so the optimal convex
weights are the inverse-variance weights σ⁻²/Σσ⁻² = (0.762, 0.190, 0.048).
"""
import numpy as np
import pytest

from glacvel_plugin.core.fusion import (difference_stats, fit_weights, format_weights,
                                        fuse_stack, parse_weights, predict, speed_error,
                                        weights_for)

SIGMA = np.array([0.03, 0.06, 0.12])
IV = SIGMA ** -2 / np.sum(SIGMA ** -2)


def truth_field(rows=160, cols=200):
    """Flow to the east along a valley, 0 at the margins, 1 m/d in the centre line."""
    y, x = np.mgrid[0:rows, 0:cols].astype(float)
    centre = rows / 2 + 10 * np.sin(x / 40)
    speed = np.clip(1.0 - ((y - centre) / (rows / 2.5)) ** 2, 0.05, None) * (0.6 + 0.4 * x / cols)
    angle = np.arctan2(np.gradient(centre, axis=1), 1.0)
    return speed * np.cos(angle), speed * np.sin(angle)


def noisy_sources(tx, ty, seed=0):
    rng = np.random.default_rng(seed)
    vx = np.stack([tx + rng.normal(0, s, tx.shape) for s in SIGMA])
    vy = np.stack([ty + rng.normal(0, s, ty.shape) for s in SIGMA])
    return vx, vy


def reference_samples(vx, vy, tx, ty, boxes, seed=1, ref_noise=0.005):
    """Stack vx and vy of every pixel in the reference boxes (a UAV-like reference)."""
    rng = np.random.default_rng(seed)
    vals, ref, groups = [], [], []
    for gid, (r0, r1, c0, c1) in enumerate(boxes):
        for comp, t in ((vx, tx), (vy, ty)):
            a = comp[:, r0:r1, c0:c1].reshape(comp.shape[0], -1).T
            vals.append(a)
            ref.append(t[r0:r1, c0:c1].ravel() + rng.normal(0, ref_noise, a.shape[0]))
            groups.append(np.full(a.shape[0], gid))
    return np.concatenate(vals), np.concatenate(ref), np.concatenate(groups)


BOXES = [(r, r + 10, c, c + 10) for r in (30, 60, 90, 120) for c in (20, 80, 140)]


def test_constrained_weights_match_inverse_variance_optimum():
    tx, ty = truth_field()
    vx, vy = noisy_sources(tx, ty)
    A, b, g = reference_samples(vx, vy, tx, ty, BOXES)
    fit = fit_weights(A, b, ["L8", "S2", "S1"], method="constrained", groups=g)
    assert fit.weights.sum() == pytest.approx(1.0)
    assert np.all(fit.weights >= 0)
    np.testing.assert_allclose(fit.weights, IV, atol=0.05)
    # the bootstrap spread is small but not zero; the weights lie within ~3 std of the optimum
    assert np.all(fit.weight_std > 0) and np.all(fit.weight_std < 0.05)
    assert np.all(np.abs(fit.weights - IV) < 4 * fit.weight_std + 0.01)
    # leave-one-polygon-out: 12 folds, fused RMSE below the best single source on held-out pixels
    assert len(fit.cv_folds) == len(BOXES)
    assert fit.cv_rmse < fit.cv_source_rmse.min()
    # fused error of inverse-variance weights: (Σσ⁻²)^-½ = 0.0262 m/d (+ reference noise 0.005)
    assert fit.cv_rmse == pytest.approx(np.sqrt(1 / np.sum(SIGMA ** -2) + 0.005 ** 2), rel=0.1)
    np.testing.assert_allclose(fit.source_rmse, np.hypot(SIGMA, 0.005), rtol=0.1)
    assert fit.as_dict().keys() == {"L8", "S2", "S1"}


def test_other_methods_and_the_negative_weight_pitfall():
    tx, ty = truth_field()
    vx, vy = noisy_sources(tx, ty)
    A, b, g = reference_samples(vx, vy, tx, ty, BOXES)
    iv = fit_weights(A, b, ["a", "b", "c"], method="inverse-variance", groups=g)
    np.testing.assert_allclose(iv.weights, IV, atol=0.03)
    # unconstrained (Σ W = 1 only): source 2 = truth + 2e, source 1 = truth + e → W = (2, −1)
    rng = np.random.default_rng(3)
    truth = rng.uniform(-1, 1, 12)
    e = rng.normal(0, 0.1, 12)
    A2 = np.c_[truth + e, truth + 2 * e + rng.normal(0, 1e-4, 12)]
    un = fit_weights(A2, truth, ["a", "b"], method="unconstrained", n_bootstrap=0)
    np.testing.assert_allclose(un.weights, [2.0, -1.0], atol=0.02)
    con = fit_weights(A2, truth, ["a", "b"], method="constrained", n_bootstrap=0)
    np.testing.assert_allclose(con.weights, [1.0, 0.0], atol=1e-6)


def test_fused_rmse_below_best_single_source_and_error_band_matches_empirical():
    tx, ty = truth_field()
    vx, vy = noisy_sources(tx, ty, seed=5)
    A, b, g = reference_samples(vx, vy, tx, ty, BOXES)
    fit = fit_weights(A, b, ["a", "b", "c"], groups=g)
    s = SIGMA[:, None, None]
    out = fuse_stack(vx, vy, fit.weights, sigma_x=s, sigma_y=s)
    tv = np.hypot(tx, ty)
    rmse_fused = np.sqrt(np.mean((out["vx"] - tx) ** 2 + (out["vy"] - ty) ** 2) / 2)
    rmse_single = [np.sqrt(np.mean((vx[i] - tx) ** 2 + (vy[i] - ty) ** 2) / 2) for i in range(3)]
    assert rmse_fused < 0.9 * min(rmse_single)
    fast = tv > 0.4  # speed ≫ noise: the linearised speed error applies
    emp = np.std(out["v"][fast] - tv[fast])
    assert np.median(out["v_error"][fast]) == pytest.approx(emp, rel=0.2)
    emp_x = np.std(out["vx"] - tx)
    assert np.median(out["vx_error"]) == pytest.approx(emp_x, rel=0.2)
    assert np.all(out["count"] == 3)


def test_holes_in_one_source_leave_no_seam():
    tx, ty = truth_field()
    vx, vy = noisy_sources(tx, ty, seed=7)
    vx[0, 40:120, 60:140] = np.nan  # the best source has a hole (cloud)
    vy[0, 40:120, 60:140] = np.nan
    s = SIGMA[:, None, None]
    out = fuse_stack(vx, vy, IV, sigma_x=s, sigma_y=s)
    assert np.all(np.isfinite(out["vx"]))
    assert np.all(out["count"][40:120, 60:140] == 2) and out["count"][0, 0] == 3
    d = out["vx"] - tx
    # mean error in 5-pixel strips just inside and just outside the hole's west edge
    inside = d[40:120, 60:65].mean()
    outside = d[40:120, 55:60].mean()
    se = np.hypot(d[40:120, 60:65].std(), d[40:120, 55:60].std()) / np.sqrt(400)
    assert abs(inside - outside) < 4 * se
    # without re-normalising (missing source taken as 0) the step would be ≈ W_0 · vx
    naive = np.nansum(np.where(np.isfinite(vx), vx, 0) * IV[:, None, None], axis=0) - tx
    assert abs(naive[40:120, 60:65].mean() - naive[40:120, 55:60].mean()) > 0.3
    # inside the hole the error band grows to the two remaining sources' error
    w = IV[1:] / IV[1:].sum()
    assert np.median(out["vx_error"][40:120, 60:140]) == pytest.approx(
        np.sqrt(np.sum(w ** 2 * SIGMA[1:] ** 2)), rel=1e-4)
    emp = np.std(d[40:120, 60:140])
    assert np.median(out["vx_error"][40:120, 60:140]) == pytest.approx(emp, rel=0.2)


def test_single_source_degenerates_to_itself():
    tx, ty = truth_field(40, 50)
    vx, vy = noisy_sources(tx, ty)
    A, b, g = reference_samples(vx[:1], vy[:1], tx, ty, [(0, 10, 0, 10), (20, 30, 20, 30)])
    fit = fit_weights(A, b, ["L8"], groups=g)
    assert fit.weights.tolist() == [1.0] and fit.weight_std.tolist() == [0.0]
    assert fit.cv_rmse == pytest.approx(fit.source_rmse[0], rel=1e-6)
    out = fuse_stack(vx[:1], vy[:1], fit.weights, sigma_x=0.03, sigma_y=0.03)
    np.testing.assert_allclose(out["vx"], vx[0], rtol=1e-6)
    np.testing.assert_allclose(out["v"], np.hypot(vx[0], vy[0]), rtol=1e-5)
    np.testing.assert_allclose(out["vx_error"], 0.03, rtol=1e-6)


def test_per_pixel_inverse_variance_when_no_weights_are_given():
    vx = np.stack([np.full((3, 3), 1.0), np.full((3, 3), 2.0)])
    vy = np.zeros_like(vx)
    sx = np.stack([np.full((3, 3), 0.1), np.full((3, 3), 0.2)])
    sx[1, 0, 0] = np.nan  # σ unknown there: takes the mean weight of the known source
    out = fuse_stack(vx, vy, None, sigma_x=sx, sigma_y=sx)
    assert out["vx"][1, 1] == pytest.approx((1 / 0.01 + 2 / 0.04) / (1 / 0.01 + 1 / 0.04))
    assert out["vx"][0, 0] == pytest.approx(1.5)
    assert np.isnan(out["vx_error"][0, 0]) and np.isfinite(out["vx_error"][1, 1])


def test_ill_posed_fits_raise_or_fall_back_never_nan():
    rng = np.random.default_rng(0)
    truth = rng.uniform(-1, 1, 50)
    a = truth + rng.normal(0, 0.05, 50)
    b = truth + rng.normal(0, 0.1, 50)
    with pytest.raises(ValueError, match="S1 have no data"):
        fit_weights(np.c_[a, b, np.full(50, np.nan)], truth, ["L8", "S2", "S1"])
    with pytest.raises(ValueError, match="too few"):
        fit_weights(np.c_[a, b][:1], truth[:1], ["L8", "S2"])
    with pytest.raises(ValueError, match="no valid sample"):
        fit_weights(np.c_[a, b], np.full(50, np.nan), ["L8", "S2"])
    with pytest.raises(ValueError, match="unknown fusion method"):
        fit_weights(np.c_[a, b], truth, ["L8", "S2"], method="median")
    # collinear: two copies of one source → finite, unique weights with a note
    fit = fit_weights(np.c_[a, a, b], truth, ["L8", "L8b", "S2"])
    assert np.all(np.isfinite(fit.weights)) and fit.weights.sum() == pytest.approx(1)
    assert fit.weights[0] == pytest.approx(fit.weights[1], abs=1e-3)
    assert any("collinear" in n for n in fit.notes)
    # a perfect source takes every weight, no division by zero
    iv = fit_weights(np.c_[truth, b], truth, ["UAV", "S2"], method="inverse-variance")
    assert iv.weights.tolist() == [1.0, 0.0]


def test_weights_text_and_mapping():
    assert parse_weights("L8=0.6, S2=0.4") == {"L8": 0.6, "S2": 0.4}
    assert parse_weights("L8:1;S1=0") == {"L8": 1.0, "S1": 0.0}
    assert parse_weights("") == {}
    assert parse_weights(format_weights({"L8": 0.25, "S2": 0.75})) == {"L8": 0.25, "S2": 0.75}
    for bad in ("L8", "L8=x", "L8=1,L8=2", "L8=nan"):
        with pytest.raises(ValueError):
            parse_weights(bad)
    np.testing.assert_allclose(weights_for(["L8", "S2", "L8"], {"L8": 0.6, "S2": 0.4}),
                               [0.3, 0.4, 0.3])
    with pytest.raises(ValueError, match="no weight for source"):
        weights_for(["L8", "S1"], {"L8": 1})
    with pytest.raises(ValueError, match="not the SENSOR"):
        weights_for(["L8"], {"L8": 1, "S2": 0.5})


def test_predict_renormalises_and_stats():
    vals = np.array([[1.0, 3.0], [np.nan, 3.0], [np.nan, np.nan]])
    p = predict(vals, np.array([0.75, 0.25]))
    assert p[0] == pytest.approx(1.5) and p[1] == pytest.approx(3.0) and np.isnan(p[2])
    st = difference_stats(np.array([1.0, 2.0, 3.0, np.nan]), np.array([0.0, 1.0, 1.0, 0.0]))
    assert st["n"] == 3 and st["mean"] == pytest.approx(4 / 3)
    assert st["rmse"] == pytest.approx(np.sqrt(6 / 3))
    assert st["nmad"] == pytest.approx(0.0)
    assert speed_error(3.0, 4.0, 0.1, 0.2) == pytest.approx(np.sqrt(0.09 + 0.64) / 5)
    assert speed_error(0.0, 0.0, 0.1, 0.1) == pytest.approx(0.1)


def test_zero_weight_fills_gaps_and_negative_sums_give_no_value():
    vx = np.array([[[1.0, np.nan]], [[3.0, 3.0]]])
    vy = np.zeros_like(vx)
    out = fuse_stack(vx, vy, [1.0, 0.0])
    assert out["vx"][0, 0] == pytest.approx(1.0)       # weight 0: ignored where L8 is present
    assert out["vx"][0, 1] == pytest.approx(3.0)       # ... but fills L8's gap
    neg = fuse_stack(vx, vy, [2.0, -1.0])               # an unconstrained fit
    assert neg["vx"][0, 0] == pytest.approx(2 * 1 - 3)
    assert np.isnan(neg["vx"][0, 1]) and neg["count"][0, 1] == 1


def test_cancel_during_the_bootstrap_raises_canceled():
    from glacvel_plugin.core import Canceled
    tx, ty = truth_field()
    vx, vy = noisy_sources(tx, ty)
    A, b, g = reference_samples(vx, vy, tx, ty, BOXES)
    calls = []

    def cancel_at_5th_resample():
        calls.append(1)
        return len(calls) >= 5
    with pytest.raises(Canceled):
        fit_weights(A, b, ["L8", "S2", "S1"], groups=g, n_bootstrap=50,
                    is_canceled=cancel_at_5th_resample)
    assert len(calls) == 5          # stopped inside the bootstrap, before cross-validation
    # a callable that never cancels is asked once per resample and once per held-out group
    # and changes nothing in the result
    calls.clear()
    asked = fit_weights(A, b, ["L8", "S2", "S1"], groups=g, n_bootstrap=50,
                        is_canceled=lambda: bool(calls.append(1)))
    plain = fit_weights(A, b, ["L8", "S2", "S1"], groups=g, n_bootstrap=50)
    assert len(calls) == 50 + len(BOXES)
    np.testing.assert_array_equal(asked.weights, plain.weights)
    np.testing.assert_array_equal(asked.weight_std, plain.weight_std)
    assert asked.cv_rmse == plain.cv_rmse
