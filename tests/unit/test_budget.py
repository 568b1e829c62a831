"""glacvel_plugin.io.budget: search-range and memory refusals name the parameter and a
value that works."""
import pytest

from glacvel_plugin.io import budget


def test_search_larger_than_the_images():
    with pytest.raises(ValueError, match=r"MAX_SPEED 100000 m/d over Δt 16.0 d at 15 m pixels "
                       r"needs a ±106,667 px search .*larger than the images \(400 × 400 px\).*"
                       r"MAX_SPEED at most 375 m/d"):
        budget.check_search(100000, 16.0, 15.0, (400, 400), 32)
    budget.check_search(20, 16.0, 15.0, (400, 400), 32)   # a usual search passes


def test_search_that_does_not_fit_in_memory():
    # 300 m/d x 16 d / 15 m = 320 px; (32 + 642)^2 x 24 bytes x 2 workers = 21.8 MB
    need = budget.search_area_bytes(320, 32, 2)
    assert need == (32 + 2 * 320) ** 2 * 24 * 2
    with pytest.raises(ValueError, match=r"more than this machine can spare \(16 MiB available\)"
                       r"; lower MAX_SPEED to at most [0-9.]+ m/d or use a smaller WINDOW"):
        budget.check_search(300, 16.0, 15.0, (10000, 10000), 32, workers=2,
                            available=16 * 2 ** 20)
    budget.check_search(300, 16.0, 15.0, (10000, 10000), 32, workers=2,
                        available=64 * 2 ** 20)


def test_points_refusal():
    with pytest.raises(ValueError, match=r"SPACING 0.01 m over x gives 1,000,000 points and "
                       r"needs 95.4 MiB of memory \(100 MiB available\); use more"):
        budget.check_points(1e6, 100, "SPACING 0.01 m over x", "use more",
                            available=100 * 2 ** 20)
    budget.check_points(1e5, 100, "x", "y", available=100 * 2 ** 20)
    assert budget.available_memory() > 2 ** 20
