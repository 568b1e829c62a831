"""The structure-preserving predictor filter of the default engine's last warp.

A wide Gaussian predictor filter (σ = window/2) on the last warp lowers the spread on
stable ground but spreads the displacement over about a window on each side of an
abrupt rock/ice edge. ``core.correlation.predictor_filter`` keeps the wide filter where
it only removes noise and takes a Gaussian of a quarter of its σ where the field has
structure at the filter's scale; the deformed windows then follow shear margins, and
the default engine hands a window to phase correlation only where its field changes by
more than ``SUSPECT_RANGE`` (6 px) across it.
"""
import numpy as np
from scipy import ndimage

from glacvel_plugin.core.correlation import predictor_filter


def _step_field(rng, shape=(80, 120), edge=60, jump=2.0, noise=0.03):
    ur = rng.normal(0.0, noise, shape).astype(np.float32)
    uc = (np.where(np.arange(shape[1]) >= edge, jump, 0.0)[None, :]
          + rng.normal(0.0, noise, shape)).astype(np.float32)
    return ur, uc


def test_a_step_stays_sharp_and_the_noise_is_removed():
    """A 2 px step (rock beside ice) under 0.03 px of window noise, σ = 8 grid cells."""
    rng = np.random.default_rng(11)
    ur, uc = _step_field(rng)
    fr, fc = predictor_filter(ur, uc, 8.0)
    assert fr.dtype == np.float32 and fc.shape == uc.shape
    rock_near = fc[:, 48:56]            # 4 to 12 cells from the edge, on the rock side
    ice_near = fc[:, 64:72]
    # a plain Gaussian of the same σ moves both sides by tenths of a pixel there
    plain = ndimage.gaussian_filter(uc, 8.0, mode="nearest")
    assert np.median(np.abs(plain[:, 48:56])) > 0.2
    assert np.median(np.abs(rock_near)) < 0.05
    assert np.median(np.abs(ice_near - 2.0)) < 0.05
    # far from the edge the wide filter is kept: white noise of 0.03 px falls to about
    # 0.03 / (2 √π σ) = 0.001 px (the narrow filter alone would leave 0.004 px)
    far = np.s_[10:-10, 10:25]
    assert np.std(fc[far]) < 0.002 and np.std(fr[10:-10, 10:-10]) < 0.002


def test_a_linear_field_passes_unchanged():
    """Uniform shear (a linear field) is not structure: both Gaussians leave it as it is
    away from the grid edges, whatever its size."""
    rows, cols = np.mgrid[0:90, 0:90].astype(np.float32)
    ur = 0.05 * rows - 0.03 * cols + 4.0
    uc = 0.2 * cols + 1.0
    fr, fc = predictor_filter(ur, uc, 8.0)
    inner = np.s_[34:-34, 34:-34]
    np.testing.assert_allclose(fr[inner], ur[inner], atol=1e-4)
    np.testing.assert_allclose(fc[inner], uc[inner], atol=1e-4)


def test_default_engine_keeps_stable_rock_still_beside_moving_ice():
    """Real Landsat-8 texture (the dataset tests' 200 px crop of Yahtse) advected for 32 d
    by the known field: 0 on the rock massif, 0.45-0.75 m/d on the ice after a 15 px
    taper. The default engine measured the rock 8-16 px from the ice at a median of
    0.059 m/d and the ice 0.107 m/d off with a plain Gaussian on its last warp; phase
    correlation 0.000 and 0.034 m/d."""
    from glacvel_plugin.core.pipeline import ArrayPair, correlate_pair
    from tests.synthetic_dataset import PIXEL, SIZE, _base, velocity_field
    base, transform, _ = _base()
    vx, vy = velocity_field(transform, base.shape)
    days = 32.0
    rr, cc = np.mgrid[0:SIZE, 0:SIZE].astype(np.float64)

    def advected(d):
        return ndimage.map_coordinates(base, [rr + vy * d / PIXEL, cc - vx * d / PIXEL],
                                       order=3, mode="reflect").astype(np.float32)
    f = correlate_pair(ArrayPair(advected(0.0), advected(days)), 32, 2, search=4.0)
    centres = 15.5 + 2 * np.arange(f.dr.shape[0])
    grid = np.meshgrid(centres, centres, indexing="ij")
    tvx = ndimage.map_coordinates(vx, grid, order=1)
    tvy = ndimage.map_coordinates(vy, grid, order=1)
    err = np.hypot(f.dc * PIXEL / days - tvx, -f.dr * PIXEL / days - tvy)
    rock = tvx == 0
    dist = ndimage.distance_transform_edt(rock)      # grid cells (2 px) from the ice
    ring = rock & (dist >= 4) & (dist < 8)
    assert ring.sum() > 500 and np.isfinite(err[ring]).mean() > 0.95
    assert np.nanmedian(err[ring]) < 0.035
    assert np.nanmedian(err[tvx > 0.3]) < 0.09
    assert np.nanmedian(err[rock & (dist >= 16)]) < 0.005


def test_default_engine_follows_sheared_margins():
    """Known truth: real Yahtse texture (tests/data) warped by a narrow glacier field (15
    px in the centre, a Gaussian of 60 px across: the margins shear by up to 0.2 px/px).
    With a plain Gaussian on the last warp and windows sent to phase correlation where
    the field changed by more than 3 px across them, the median error was 0.160 px where
    the shear is 0.03-0.1 px/px and 0.239 px above 0.1 px/px (phase correlation: 0.078
    and 0.232 px, biased by the shear inside its windows)."""
    from glacvel_plugin.core.pipeline import ArrayPair, correlate_pair
    from tests.helpers import glacier_field, warp, yahtse_crop
    crop = yahtse_crop(4, 230, 320, 400)
    u_r, u_c = glacier_field(*crop.shape, 15.0, 60.0)
    f = correlate_pair(ArrayPair(crop, warp(crop, u_r, u_c)), 32, 2, search=20)
    ci, cj = np.meshgrid(np.arange(f.dr.shape[0]) * 2 + 15.5,
                         np.arange(f.dr.shape[1]) * 2 + 15.5, indexing="ij")
    err = np.hypot(f.dr - u_r(ci, cj), f.dc - u_c(ci, cj))
    d = 1e-3     # shear: the field's change per px across the flow
    shear = np.hypot(u_r(ci, cj + d) - u_r(ci, cj - d),
                     u_c(ci, cj + d) - u_c(ci, cj - d)) / (2 * d)
    inner = (ci > 40) & (ci < crop.shape[0] - 40)
    moderate = inner & (shear > 0.03) & (shear <= 0.1)
    steep = inner & (shear > 0.1)
    assert moderate.sum() > 3000 and steep.sum() > 6000
    assert np.isfinite(err[moderate]).mean() > 0.99 and np.isfinite(err[steep]).mean() > 0.97
    assert np.nanmedian(err[moderate]) < 0.09
    assert np.nanmedian(err[steep]) < 0.2
    assert np.nanmean(err[steep] > 1.0) < 0.05
