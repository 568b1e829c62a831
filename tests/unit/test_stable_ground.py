"""Unit tests of glacvel_plugin.core.stable_ground (numpy/scipy only, plus the GLAFT peer)."""
import math

import numpy as np
import pytest

from glacvel_plugin.core import stable_ground as sg

# The peer check against the glaft package on its Kaskawulsh demo (metrics 1 and 2)
# runs end to end through the algorithm: tests/qgis/test_stable_ground_algs.py.


# ----------------------------------------------------------------------------- statistics
def test_nmad_of_normal_sample_is_sigma_and_ignores_outliers():
    rng = np.random.default_rng(0)
    x = rng.normal(3.0, 0.5, 200_000)
    assert sg.nmad(x) == pytest.approx(0.5, rel=0.01)
    x[:5000] = 1e3            # 2.5 % gross outliers barely move NMAD, ruin the std
    assert sg.nmad(x) == pytest.approx(0.5, rel=0.05)
    assert np.std(x) > 100


def test_component_stats_values_and_normality():
    rng = np.random.default_rng(1)
    x = rng.normal(0.2, 0.1, 10_000)
    s = sg.component_stats(np.concatenate([x, [np.nan] * 7]))
    assert s.n == 10_000
    assert s.mean == pytest.approx(0.2, abs=0.005)
    assert s.median == pytest.approx(0.2, abs=0.005)
    assert s.std == pytest.approx(0.1, rel=0.03)
    assert s.rmse == pytest.approx(math.hypot(0.2, 0.1), rel=0.02)
    assert s.normality_p > 0.001
    skewed = sg.component_stats(rng.exponential(1.0, 10_000))
    assert skewed.normality_p < 1e-6
    with pytest.raises(ValueError, match="no valid"):
        sg.component_stats(np.array([np.nan]))


def test_holdout_split_is_a_block_checkerboard():
    fit = sg.holdout_split((40, 50), block=16)
    assert fit[0, 0] and fit[15, 15] and not fit[0, 16] and not fit[16, 0] and fit[16, 16]
    # every fit pixel's 4-neighbours inside the same block are fit pixels too
    assert abs(fit.mean() - 0.5) < 0.1
    assert np.array_equal(fit, sg.holdout_split((40, 50), block=16))   # deterministic


# ----------------------------------------------------------------------------- offsets
def _scene(shape=(200, 240), seed=2):
    rng = np.random.default_rng(seed)
    rows, cols = shape
    stable = np.ones(shape, dtype=bool)
    stable[60:140, 70:170] = False                  # a "glacier" in the middle
    return rng, stable


def test_constant_offset_recovered_within_a_tenth_sigma_and_std_within_5_percent():
    rng, stable = _scene()
    sigma, ox, oy = 0.05, 0.31, -0.17
    vx = ox + rng.normal(0, sigma, stable.shape)
    vy = oy + rng.normal(0, sigma, stable.shape)
    vx[~stable] += 1.5                              # the glacier moves; must not matter
    vx[5:9, 5:9] = np.nan
    res = sg.estimate_correction(vx, vy, stable, "constant")
    assert abs(res.offset_x.coef[0] - ox) < 0.1 * sigma
    assert abs(res.offset_y.coef[0] - oy) < 0.1 * sigma
    # held-out statistics describe the corrected field
    assert res.heldout_x.std == pytest.approx(sigma, rel=0.05)
    assert res.heldout_y.std == pytest.approx(sigma, rel=0.05)
    assert abs(res.heldout_x.mean) < 0.1 * sigma
    assert res.n_fit > 1000 and res.n_eval > 1000
    fit = sg.holdout_split(stable.shape)
    assert res.n_fit == int((stable & fit & np.isfinite(vx)).sum())


def test_plane_recovered_by_the_plane_model():
    rng, stable = _scene(seed=3)
    rows, cols = np.mgrid[0:200, 0:240]
    plane = 0.1 + 0.002 * cols - 0.0015 * rows
    vx = plane + rng.normal(0, 0.02, stable.shape)
    vy = -plane + rng.normal(0, 0.02, stable.shape)
    vx[~stable] += 2.0
    res = sg.estimate_correction(vx, vy, stable, "plane")
    assert res.offset_x.model == "plane"
    tol = np.array([0.005, 3e-5, 3e-5])
    assert np.all(np.abs(res.offset_x.coef - [0.1, 0.002, -0.0015]) < tol)
    assert np.all(np.abs(res.offset_y.coef - [-0.1, -0.002, 0.0015]) < tol)
    assert res.heldout_x.std == pytest.approx(0.02, rel=0.05)
    # the constant model leaves the tilt in the held-out residuals
    const = sg.estimate_correction(vx, vy, stable, "constant")
    assert const.heldout_x.std > 3 * res.heldout_x.std


def test_plane_refused_when_stable_ground_is_a_strip():
    rng = np.random.default_rng(4)
    vx = rng.normal(0, 0.02, (200, 200))
    strip = np.zeros(vx.shape, dtype=bool)
    strip[:, :20] = True                            # one narrow band along the west edge
    assert sg.plane_span(strip) < sg.PLANE_MIN_SPAN
    with pytest.raises(ValueError, match="does not span the scene"):
        sg.fit_offset(vx, strip, "plane")
    corners = np.zeros(vx.shape, dtype=bool)
    corners[:30, :30] = corners[-30:, :30] = corners[:30, -30:] = corners[-30:, -30:] = True
    assert sg.plane_span(corners) > 1.0             # corners spread more than a full cover
    assert sg.fit_offset(vx, corners, "plane").model == "plane"
    assert sg.plane_span(np.ones((50, 80), bool)) == pytest.approx(1.0, abs=0.01)


def test_too_few_stable_pixels_is_a_clear_error():
    vx = np.zeros((100, 100))
    few = np.zeros(vx.shape, dtype=bool)
    few[10:14, 10:20] = True                        # 40 pixels, all in one block
    with pytest.raises(ValueError, match="too few stable-ground pixels.*at least 30"):
        sg.estimate_correction(vx, vx, few)
    with pytest.raises(ValueError, match="only 0 valid"):
        sg.fit_offset(vx, np.zeros_like(few))


def test_auto_stable_mask_finds_stable_ground_and_an_unbiased_offset():
    rng = np.random.default_rng(5)
    shape = (120, 150)
    stable = np.zeros(shape, dtype=bool)
    stable[:, :60] = True                           # 40 % of the scene is rock
    sigma, ox, oy = 0.1, 0.4, -0.35                 # rock shows the co-registration offset
    vx = np.where(stable, ox, 1.0 + rng.uniform(0, 2, shape)) + rng.normal(0, sigma, shape)
    vy = np.where(stable, oy, -1.0) + rng.normal(0, sigma, shape)
    auto = sg.auto_stable_mask(vx, vy)
    assert auto.sum() == pytest.approx(0.25 * vx.size, rel=0.01)
    assert (auto & stable).sum() / auto.sum() > 0.99
    assert abs(np.median(vx[auto]) - ox) < 0.1 * sigma
    assert abs(np.median(vy[auto]) - oy) < 0.1 * sigma
    # the plain "slowest 25 % of speed" keeps rock pixels whose noise points back to
    # zero: its offset is biased towards zero by a good part of sigma
    speed = np.hypot(vx, vy)
    plain = speed <= np.quantile(speed, 0.25)
    assert np.hypot(np.median(vx[plain]), np.median(vy[plain])) < math.hypot(ox, oy) - 0.3 * sigma
    quality = np.where(np.arange(shape[1])[None, :] < 30, 0.2, 0.9) * np.ones(shape)
    auto_q = sg.auto_stable_mask(vx, vy, quality)
    assert not auto_q[:, :30].any()                 # low-quality pixels are never chosen
    assert (auto_q & stable).sum() / auto_q.sum() > 0.99


def test_velocity_error_propagation():
    e = sg.velocity_error(np.array([[3.0, 0.0, np.nan]]), np.array([[4.0, 0.0, 1.0]]), 0.1, 0.2)
    assert e[0, 0] == pytest.approx(math.hypot(0.3, 0.8) / 5.0)
    assert e[0, 1] == pytest.approx(math.sqrt((0.01 + 0.04) / 2))
    assert np.isnan(e[0, 2]) and e.dtype == np.float32


# ----------------------------------------------------------------------------- GLAFT metrics
def test_kde_matches_an_independent_epanechnikov_kde_and_gaussian_2sigma():
    sklearn = pytest.importorskip("sklearn.neighbors")
    rng = np.random.default_rng(6)
    s = rng.normal(0, 1, (3000, 2))
    pts = rng.uniform(-2, 2, (400, 2))
    ours = sg.epanechnikov_density(s, pts, 0.7)
    ref = np.exp(sklearn.KernelDensity(kernel="epanechnikov", bandwidth=0.7).fit(s)
                 .score_samples(pts))
    np.testing.assert_allclose(ours / ours.max(), ref / ref.max(), rtol=1e-9, atol=1e-12)
    # For a normal sample the 2σ contour half-range is ≈ 2σ (slightly more: KDE smooths)
    big = rng.normal(0, [0.1, 0.2], (20_000, 2))
    m = sg.kde_half_ranges(big[:, 0], big[:, 1])
    assert m.half_x == pytest.approx(0.2, rel=0.15)
    assert m.half_y == pytest.approx(0.4, rel=0.15)
    assert m.mesh_x.shape == m.density.shape == (60, 60)
