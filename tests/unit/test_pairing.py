"""Pair proposal rules: optical first/last per month, Sentinel-1 24/36 d, Δt checks."""
import datetime as dt

import pytest

from glacvel_plugin.core.pairing import (Scene, Pair, check_pair, months_covered,
                                         propose_optical_pairs, propose_pairs,
                                         propose_s1_pairs, propose_uav_pairs)
from glacvel_plugin.core.scenes import parse_scene_name


def _c(key, sensor, y, m, d, hh=10, fp="063018", cloud=None):
    return Scene(key, sensor, dt.datetime(y, m, d, hh), fp, cloud)


def test_optical_first_and_last_of_each_month():
    # Landsat-8 every 16 days plus a Landsat-9 scene 8 days offset, path/row 063/018
    days = [(2016, 7, 2), (2016, 7, 10), (2016, 7, 18), (2016, 8, 3), (2016, 8, 19), (2016, 8, 27)]
    cands = [_c(f"s{i}", "L9" if i == 1 else "L8", *d) for i, d in enumerate(days)]
    pairs = propose_optical_pairs(cands)
    assert [(p.reference.key, p.secondary.key) for p in pairs] == [("s0", "s2"), ("s3", "s5")]
    assert pairs[0].dt_days == pytest.approx(16.0)
    assert pairs[1].dt_days == pytest.approx(24.0)
    assert "2016-07" in pairs[0].reason


def test_cloudy_scenes_are_skipped_and_single_month_bridged():
    cands = [_c("a", "L8", 2016, 7, 2, cloud=5.0), _c("b", "L8", 2016, 7, 18, cloud=80.0),
             _c("c", "L8", 2016, 8, 3, cloud=10.0), _c("d", "L8", 2016, 8, 19, cloud=None)]
    pairs = propose_optical_pairs(cands, max_cloud=30.0)
    # July has only "a" usable → bridged to "c" (32 d); August: c → d
    assert [(p.reference.key, p.secondary.key) for p in pairs] == [("a", "c"), ("c", "d")]
    assert pairs[0].dt_days == pytest.approx(32.0)
    assert "bridged" in pairs[0].reason
    # with no cloud limit July pairs a → b
    keys = [(p.reference.key, p.secondary.key) for p in propose_optical_pairs(cands, None)]
    assert ("a", "b") in keys


def test_bridge_limited_in_time_and_footprints_kept_apart():
    cands = [_c("a", "S2", 2018, 3, 4, fp="07VFH"), _c("b", "S2", 2018, 6, 1, fp="07VFH"),
             _c("c", "S2", 2018, 3, 14, fp="07VEH")]
    assert propose_optical_pairs(cands) == []  # 89 d bridge too long; c alone on its tile
    # Landsat and Sentinel-2 never pair with each other
    mixed = [_c("l", "L8", 2018, 3, 4, fp="X"), _c("s", "S2", 2018, 3, 20, fp="X")]
    assert propose_optical_pairs(mixed) == []


def test_s1_24_and_36_day_baselines_same_orbit():
    t0 = dt.datetime(2020, 3, 1, 8, 32, 41)
    cands = [Scene(f"s{k}", "S1", t0 + dt.timedelta(days=12 * k, seconds=3 * k), "R013")
             for k in range(5)]
    cands.append(Scene("other", "S1", t0 + dt.timedelta(days=24), "R084"))
    pairs = propose_s1_pairs(cands)
    got = sorted((p.reference.key, p.secondary.key, round(p.dt_days)) for p in pairs)
    assert got == [("s0", "s2", 24), ("s0", "s3", 36), ("s1", "s3", 24), ("s1", "s4", 36),
                   ("s2", "s4", 24)]


def test_real_names_yahtse_and_s1():
    l1 = parse_scene_name("LC80630182016200LGN00_B8_yahtse.TIF")
    l2 = parse_scene_name("LC80630182016216LGN00_B8_yahtse.TIF")
    s1a = parse_scene_name("clip_HH_S1B_EW_GRDM_1SDH_20200301T083237_20200301T083346_020496_026D68_5471")
    s1b = parse_scene_name("clip_HH_S1B_EW_GRDM_1SDH_20200302T073529_20200302T073629_020510_026DD5_27F9")
    cands = [Scene(n, i.sensor, i.time, i.footprint_id) for n, i in
             (("l1", l1), ("l2", l2), ("s1a", s1a), ("s1b", s1b))]
    pairs = propose_pairs(cands)
    # Landsat: July and August each hold one scene → one bridged 16-day pair;
    # the S1 scenes are one day apart: no 24/36-day pair
    assert [(p.reference.key, p.secondary.key) for p in pairs] == [("l1", "l2")]
    assert pairs[0].dt_days == pytest.approx(16.0)
    assert months_covered(pairs[0]) == ["201607", "201608"]


def test_uav_consecutive():
    cands = [_c("u2", "UAV", 2023, 8, 1, fp=None), _c("u1", "UAV", 2023, 7, 1, fp=None),
             _c("u3", "UAV", 2023, 9, 1, fp=None)]
    assert [(p.reference.key, p.secondary.key) for p in propose_uav_pairs(cands)] == \
        [("u1", "u2"), ("u2", "u3")]


def test_check_pair_refuses_non_positive_baseline():
    a, b = _c("a", "L8", 2016, 7, 18), _c("b", "L8", 2016, 8, 3)
    assert check_pair(a, b) == pytest.approx(16.0)
    with pytest.raises(ValueError, match="swap"):
        check_pair(b, a)
    same_time = _c("c", "L8", 2016, 7, 18)
    with pytest.raises(ValueError, match="not positive"):
        check_pair(a, same_time)
    with pytest.raises(ValueError, match="itself"):
        check_pair(a, a)
    with pytest.raises(ValueError, match="same sensor family"):
        check_pair(a, _c("s", "S1", 2016, 8, 3))
    assert check_pair(a, _c("l9", "L9", 2016, 7, 26)) == pytest.approx(8.0)
    assert Pair(b, a).dt_days == pytest.approx(-16.0)


def test_months_covered_across_year_end():
    p = Pair(_c("a", "S1", 2019, 12, 20), _c("b", "S1", 2020, 1, 25))
    assert months_covered(p) == ["201912", "202001"]
