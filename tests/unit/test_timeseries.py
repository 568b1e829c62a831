"""Month assignment by overlap fraction and per-source monthly composites."""
import datetime as dt

import numpy as np
import pytest

from glacvel_plugin.core.timeseries import (assign_months, composite_stack, month_label,
                                            month_overlaps, months_between)

D = dt.datetime


def test_overlaps_of_the_kaskawulsh_pairs():
    l8 = month_overlaps(D(2018, 3, 4), D(2018, 4, 5))   # Landsat-8, 32 days
    assert [o.month for o in l8] == [(2018, 3), (2018, 4)]
    assert l8[0].days == pytest.approx(28) and l8[1].days == pytest.approx(4)
    assert l8[0].fraction == pytest.approx(28 / 32) and l8[1].fraction == pytest.approx(4 / 32)
    assert l8[0].month_fraction == pytest.approx(28 / 31)
    s2 = month_overlaps(D(2018, 3, 4), D(2018, 3, 14))  # Sentinel-2, 10 days
    assert len(s2) == 1 and s2[0].fraction == pytest.approx(1.0)
    # across a year end
    ye = month_overlaps(D(2017, 12, 20), D(2018, 1, 13))
    assert [o.month for o in ye] == [(2017, 12), (2018, 1)]
    assert sum(o.fraction for o in ye) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="not after"):
        month_overlaps(D(2018, 3, 14), D(2018, 3, 4))


def test_assign_months_threshold():
    periods = [(D(2018, 3, 4), D(2018, 4, 5)), (D(2018, 3, 4), D(2018, 3, 14)),
               (D(2018, 5, 13), D(2018, 6, 18))]   # 36-day S1 pair: 19 d May, 17 d June
    m = assign_months(periods)
    assert list(m) == [(2018, 3), (2018, 5), (2018, 6)]
    assert [i for i, _ in m[(2018, 3)]] == [0, 1]
    assert m[(2018, 5)][0][1] == pytest.approx(19 / 36)
    assert m[(2018, 6)][0][1] == pytest.approx(17 / 36)
    # any overlap at all
    m_any = assign_months(periods, min_fraction=0.01)
    assert (2018, 4) in m_any and m_any[(2018, 4)][0][1] == pytest.approx(4 / 32)
    with pytest.raises(ValueError):
        assign_months(periods, min_fraction=0)


def test_month_helpers():
    assert month_label((2018, 3)) == "201803"
    assert months_between((2017, 11), (2018, 2)) == [(2017, 11), (2017, 12), (2018, 1), (2018, 2)]


def test_composite_weights_overlap_over_error():
    vx = np.stack([np.full((2, 2), 1.0), np.full((2, 2), 2.0)])
    vy = np.zeros_like(vx)
    s = np.array([0.1, 0.2])[:, None, None]
    out = composite_stack(vx, vy, [1.0, 0.5], sigma_x=s, sigma_y=s)
    w = np.array([1.0 / 0.1, 0.5 / 0.2])
    assert out["vx"][0, 0] == pytest.approx((w * [1, 2]).sum() / w.sum())
    assert out["vx_error"][0, 0] == pytest.approx(np.sqrt((w ** 2 * [0.01, 0.04]).sum()) / w.sum())
    assert out["count"][0, 0] == 2
    # no error known: weights are the overlap fractions
    out2 = composite_stack(vx, vy, [1.0, 0.5])
    assert out2["vx"][0, 0] == pytest.approx((1 * 1 + 2 * 0.5) / 1.5)
    assert np.isnan(out2["vx_error"][0, 0])
    # a pair missing at a pixel: the other one alone
    vx[0, 1, 1] = np.nan
    out3 = composite_stack(vx, vy, [1.0, 0.5], sigma_x=s, sigma_y=s)
    assert out3["vx"][1, 1] == pytest.approx(2.0) and out3["count"][1, 1] == 1
    assert out3["vx_error"][1, 1] == pytest.approx(0.2)


def test_composite_error_matches_monte_carlo():
    rng = np.random.default_rng(0)
    n, shape = 4, (100, 100)
    sig = np.array([0.05, 0.1, 0.1, 0.2])[:, None, None]
    frac = [1.0, 0.6, 0.8, 0.3]
    vx = 0.5 + rng.normal(0, 1, (n,) + shape) * sig
    vy = -0.2 + rng.normal(0, 1, (n,) + shape) * sig
    out = composite_stack(vx, vy, frac, sigma_x=sig, sigma_y=sig)
    assert np.std(out["vx"]) == pytest.approx(out["vx_error"][0, 0], rel=0.05)
    assert np.mean(out["vx"]) == pytest.approx(0.5, abs=0.003)
    with pytest.raises(ValueError):
        composite_stack(vx, vy, [1.0, 0.0, 1.0, 1.0])


def test_composite_refuses_mismatched_components_and_takes_one_layer():
    with pytest.raises(ValueError, match="vx and vy must both be"):
        composite_stack(np.ones((2, 3, 3)), np.ones((2, 3, 4)), [0.5, 0.5])
    # one (rows, cols) pair: the composite is that pair, its error passed through
    out = composite_stack(np.full((2, 2), 0.3), np.full((2, 2), 0.4), [1.0],
                          sigma_x=np.full((1, 1, 1), 0.02), sigma_y=np.full((1, 1, 1), 0.05))
    assert np.allclose(out["v"], 0.5) and np.allclose(out["vx_error"], 0.02)
    assert np.allclose(out["vy_error"], 0.05) and np.all(out["count"] == 1)
