"""Unit tests of core.profiles: points along lines, grid sampling, gaps, zonal statistics."""
import numpy as np
import pytest

from glacvel_plugin.core.profiles import (find_gaps, map_to_pixel, points_along,
                                          profile_summary, sample_grid, zonal_statistics)

# a 60 m north-up grid like the Kaskawulsh demo (EPSG:32607)
T60 = (60.0, 0.0, 585000.0, 0.0, -60.0, 6754000.0)


def linear_field(transform, shape, a=0.3, bx=2e-4, by=-1e-4, x0=585000.0, y0=6754000.0):
    """Field v = a + bx (x - x0) + by (y - y0) evaluated at pixel centres."""
    rows, cols = shape
    jj, ii = np.meshgrid(np.arange(cols) + 0.5, np.arange(rows) + 0.5)
    ta, tb, tc, td, te, tf = transform
    x = ta * jj + tb * ii + tc
    y = td * jj + te * ii + tf
    return (a + bx * (x - x0) + by * (y - y0)).astype(np.float32), \
        (lambda X, Y: a + bx * (np.asarray(X) - x0) + by * (np.asarray(Y) - y0))


def test_points_along_straight_line_spacing_and_end():
    p = points_along([(0, 0), (1000, 0)], 300)
    np.testing.assert_allclose(p.distance, [0, 300, 600, 900, 1000])
    np.testing.assert_allclose(p.x, [0, 300, 600, 900, 1000])
    np.testing.assert_allclose(p.y, 0)
    assert (p.part == 0).all()
    q = points_along([(0, 0), (1000, 0)], 300, include_end=False)
    np.testing.assert_allclose(q.distance, [0, 300, 600, 900])
    # exact multiple: no duplicated end point
    np.testing.assert_allclose(points_along([(0, 0), (900, 0)], 300).distance, [0, 300, 600, 900])


def test_points_along_bends_follow_the_line():
    # L shape: 400 m east then 300 m north; a point at d=500 is 100 m up the second leg
    p = points_along([(10, 20), (410, 20), (410, 320)], 100)
    np.testing.assert_allclose(p.distance, np.arange(0, 701, 100))
    k = list(p.distance).index(500)
    assert p.x[k] == pytest.approx(410) and p.y[k] == pytest.approx(120)
    # consecutive points are never further apart (straight) than the spacing
    assert np.all(np.hypot(np.diff(p.x), np.diff(p.y)) <= 100 + 1e-9)


def test_points_along_multipart_distance_continues_without_the_jump():
    p = points_along([[(0, 0), (250, 0)], [(1000, 1000), (1000, 1100)]], 100)
    np.testing.assert_allclose(p.distance, [0, 100, 200, 250, 250, 350])
    np.testing.assert_array_equal(p.part, [0, 0, 0, 0, 1, 1])
    assert p.y[-1] == pytest.approx(1100) and p.x[4] == pytest.approx(1000)


def test_points_along_repeated_vertex_and_bad_spacing():
    p = points_along([(0, 0), (0, 0), (0, 200)], 100)
    np.testing.assert_allclose(p.y, [0, 100, 200])
    for bad in (0, -5, float("nan")):
        with pytest.raises(ValueError, match="spacing"):
            points_along([(0, 0), (10, 0)], bad)
    with pytest.raises(ValueError, match="no vertices"):
        points_along([], 10)


def test_bilinear_reproduces_a_linear_field_exactly():
    band, truth = linear_field(T60, (40, 50))
    rng = np.random.default_rng(1)
    # random points anywhere inside the pixel-centre hull
    x = rng.uniform(585000 + 30, 585000 + 50 * 60 - 30, 500)
    y = rng.uniform(6754000 - 40 * 60 + 30, 6754000 - 30, 500)
    out = sample_grid({"v": band}, T60, x, y)
    np.testing.assert_allclose(out["v"], truth(x, y), atol=2e-6)


def test_bilinear_with_rotated_affine_is_exact_too():
    # 30 m pixels rotated by 20 degrees: the inverse transform must be general
    th = np.radians(20)
    t = (30 * np.cos(th), -30 * np.sin(th), 500000.0, 30 * np.sin(th), 30 * np.cos(th), 100000.0)
    band, truth = linear_field(t, (30, 30), x0=500000, y0=100000)
    col = np.array([5.3, 12.75, 20.5, 0.5])
    row = np.array([7.1, 15.5, 3.25, 0.5])
    x = t[0] * col + t[1] * row + t[2]
    y = t[3] * col + t[4] * row + t[5]
    c2, r2 = map_to_pixel(t, x, y)
    np.testing.assert_allclose(c2, col, atol=1e-9)
    np.testing.assert_allclose(r2, row, atol=1e-9)
    np.testing.assert_allclose(sample_grid({"v": band}, t, x, y)["v"], truth(x, y), atol=2e-6)


def test_nearest_returns_the_containing_pixel():
    band = np.arange(12, dtype=np.float32).reshape(3, 4)
    t = (10.0, 0.0, 0.0, 0.0, -10.0, 30.0)
    x = np.array([1.0, 19.9, 39.9, 5.0])
    y = np.array([29.0, 15.0, 0.1, 30.0])
    np.testing.assert_array_equal(sample_grid({"b": band}, t, x, y, "nearest")["b"],
                                  [0, 5, 11, 0])
    with pytest.raises(ValueError, match="bilinear"):
        sample_grid({"b": band}, t, x, y, "cubic")


def test_nodata_is_never_zero_filled_and_outside_is_nan():
    band = np.full((5, 5), 2.0, dtype=np.float32)
    band[2, 2] = np.nan
    t = (10.0, 0.0, 0.0, 0.0, -10.0, 50.0)
    # centre of the NaN pixel, half-way to its neighbour, exactly on the neighbour's
    # centre, a pixel corner next to it, outside the raster on both sides, and on the edge
    x = np.array([25.0, 30.0, 35.0, 20.0, -1.0, 51.0, 0.0, 50.0])
    y = np.array([25.0, 25.0, 25.0, 30.0, 25.0, 25.0, 50.0, 0.0])
    for method in ("bilinear", "nearest"):
        out = sample_grid({"v": band}, t, x, y, method)["v"]
        assert np.isnan(out[0]) and np.isnan(out[4]) and np.isnan(out[5])
        assert out[2] == 2.0 and out[6] == 2.0 and out[7] == 2.0
    bil = sample_grid({"v": band}, t, x, y)["v"]
    assert np.isnan(bil[1]) and np.isnan(bil[3])   # NaN pixel carries weight there


def test_find_gaps_reports_runs_with_distances():
    v = np.array([1, np.nan, np.nan, 2, 3, np.nan, 4, np.nan])
    d = np.arange(8) * 60.0
    g = find_gaps(v, d)
    assert [(x.first, x.last) for x in g] == [(1, 2), (5, 5), (7, 7)]
    assert g[0].start == 60 and g[0].end == 120 and g[0].samples == 2 and g[0].length == 60
    assert find_gaps(np.ones(4), np.arange(4.0)) == []
    s = profile_summary(v, d)
    assert s["max"] == 4 and s["max_at"] == 360 and s["valid"] == pytest.approx(4 / 8)
    assert s["mean"] == pytest.approx(2.5)


def test_zonal_statistics_match_direct_numpy():
    rng = np.random.default_rng(3)
    v = rng.gamma(2.0, 0.2, (60, 80)).astype(np.float32)
    labels = np.zeros((60, 80), dtype=np.int32)
    labels[5:30, 10:40] = 1
    labels[35:55, 20:70] = 2
    labels[0:2, 0:2] = 4           # zone 3 has no pixel at all
    v[40:45, 20:70] = np.nan       # 250 of zone 2's 1000 pixels have no data
    v[0:2, 0:2] = np.nan           # zone 4 is all no data
    st = zonal_statistics(v, labels, 4)
    assert [s.label for s in st] == [1, 2, 3, 4]
    for s, k in zip(st[:2], (1, 2)):
        z = v[(labels == k) & np.isfinite(v)].astype(np.float64)
        assert s.mean == pytest.approx(z.mean())
        assert s.median == pytest.approx(np.median(z))
        assert s.p95 == pytest.approx(np.percentile(z, 95))
        assert s.count == z.size
    assert st[0].coverage == 1.0 and st[0].total == 750
    assert st[1].count == 750 and st[1].total == 1000 and st[1].coverage == pytest.approx(0.75)
    assert st[2].total == 0 and np.isnan(st[2].coverage) and np.isnan(st[2].mean)
    assert st[3].count == 0 and st[3].coverage == 0.0 and np.isnan(st[3].p95)
    with pytest.raises(ValueError, match="shape"):
        zonal_statistics(v, labels[:10], 4)
    with pytest.raises(ValueError, match="0..1"):
        zonal_statistics(v, labels, 1)
