"""Reference arithmetic of the fusion algorithms (core.reference), no files."""
import math

import numpy as np
import pytest

from glacvel_plugin.core.reference import (Reference, axes_to_grid, east_north_to_grid,
                                           unique_labels, validation_stats,
                                           velocity_from_positions)


def test_station_velocity_is_displacement_over_days_at_the_mid_point():
    # 32 days, 16 m east and 8 m south: 0.5 m/d east, -0.25 m/d north
    x, y, vx, vy = velocity_from_positions((600000.0, 6700000.0), (600016.0, 6699992.0), 32.0)
    assert (x, y) == (600008.0, 6699996.0)
    assert (vx, vy) == (0.5, -0.25)


def test_east_north_vector_rotated_into_grid_axes():
    # grid axes rotated 30° from east/north (a grid-convergence angle): the local east
    # direction is (cos 30°, -sin 30°) and north (sin 30°, cos 30°) in grid axes, with
    # different step lengths (they are normalised)
    a = math.radians(30.0)
    p = (100.0, 200.0)
    east = (p[0] + 3.0 * math.cos(a), p[1] - 3.0 * math.sin(a))
    north = (p[0] + 5.0 * math.sin(a), p[1] + 5.0 * math.cos(a))
    vx, vy = east_north_to_grid(1.0, 0.0, p, east, north)
    assert (vx, vy) == pytest.approx((math.cos(a), -math.sin(a)), abs=1e-12)
    vx, vy = east_north_to_grid(0.3, 0.4, p, east, north)
    assert math.hypot(vx, vy) == pytest.approx(0.5, abs=1e-12)      # speed kept
    assert vx == pytest.approx(0.3 * math.cos(a) + 0.4 * math.sin(a), abs=1e-12)


def test_layer_axes_velocity_from_the_moved_point():
    assert axes_to_grid((10.0, 20.0), (510.0, -230.0), 1000.0) == (0.5, -0.25)


def test_validation_labels_mark_the_input_and_prime_repeats():
    assert unique_labels(["FUSED", "L8", "S2", "L8"]) == ["FUSED (INPUT)", "L8", "S2", "L8'"]
    assert unique_labels(["L8", "L8"]) == ["L8 (INPUT)", "L8"]


def test_validation_stats_of_known_differences():
    ref = Reference([3.0, 0.0, 0.0], [4.0, 1.0, 2.0],
                    [[3.0, 0.0, np.nan], [3.3, 0.0, 0.0]],
                    [[4.0, 2.0, np.nan], [4.4, 1.0, 2.0]], ["a", "b", "c"], "points")
    st = validation_stats(ref, ["P", "Q"])
    # P: speeds 5, 2 vs 5, 1 (third sample without data) → differences 0, 1
    assert st["P"]["speed"]["n"] == 2
    assert st["P"]["speed"]["mean"] == pytest.approx(0.5)
    assert st["P"]["speed"]["rmse"] == pytest.approx(math.sqrt(0.5))
    # components of P: vx 0, 0 and vy 0, 1
    assert st["P"]["components"]["n"] == 4
    assert st["P"]["components"]["rmse"] == pytest.approx(0.5)
    # Q: speed 5.5 vs 5, the others exact
    assert st["Q"]["speed"]["n"] == 3
    assert st["Q"]["speed"]["mean"] == pytest.approx(0.5 / 3)
    vals, b, groups = ref.components()
    assert vals.shape == (6, 2) and list(groups) == ["a", "b", "c"] * 2
