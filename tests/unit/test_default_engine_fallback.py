"""The default engine's phase-correlation fallback: its batching and its restriction to
the rows a strip delivers must not change the product.

Real data: the Yahtse calving front of the demo crop (fast, strongly sheared ice and
mélange, where a large share of the windows go to the fallback).
"""
import numpy as np

from glacvel_plugin.core import correlation, pipeline
from glacvel_plugin.core.pipeline import ArrayPair, correlate_pair
from tests.helpers import DEMO_YAHTSE_REF as REF, DEMO_YAHTSE_SEC as SEC
from tests.helpers import FRONT_BOX, read_band


def _front():
    return read_band(REF)[FRONT_BOX], read_band(SEC)[FRONT_BOX]


def test_strips_skip_the_fallback_on_halo_rows_without_changing_the_product(monkeypatch):
    a, b = _front()
    calls = []
    real = correlation.deformable_search

    def spy(*args, **kw):
        calls.append(kw.get("measure_rows"))
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "deformable_search", spy)
    strips = correlate_pair(ArrayPair(a, b), 32, 2, search=21.4, block_rows=25)
    # every strip limits the fallback to its own rows and one on each side
    assert len(calls) > 3 and all(r is not None and r[1] - r[0] <= 27 for r in calls)

    def everywhere(*args, **kw):
        kw["measure_rows"] = None
        return real(*args, **kw)

    monkeypatch.setattr(pipeline, "deformable_search", everywhere)
    full = correlate_pair(ArrayPair(a, b), 32, 2, search=21.4, block_rows=25)
    assert np.isfinite(strips.dr).mean() > 0.9
    for x, y in ((strips.dr, full.dr), (strips.dc, full.dc), (strips.quality, full.quality)):
        np.testing.assert_array_equal(x, y)


def test_measure_rows_limits_the_fallback_to_those_rows():
    a, b = (x.astype(np.float32) for x in _front())
    f = correlate_pair(ArrayPair(a, b), 32, 2, search=21.4)
    rows_out, cols_out = f.dr.shape
    # prior: the measured field rounded to whole pixels and gap-filled (as a coarse
    # search would give), on the high-pass images the engine works on
    from glacvel_plugin.core.filters import fill_nearest
    from glacvel_plugin.core.filters import prefilter
    ra, rb = prefilter(a, "highpass"), prefilter(b, "highpass")
    pr, pc = np.round(fill_nearest(f.dr)), np.round(fill_nearest(f.dc))
    args = (ra, rb, 0, 0, rows_out, cols_out, 32, 2, pr, pc)
    whole = correlation.deformable_search(*args, max_change=22.4)
    part = correlation.deformable_search(*args, max_change=22.4, measure_rows=(40, 80))
    lk = correlation.deformable_search(*args, max_change=22.4, measure_rows=(0, 0))
    W, P, L = ((m.dr.reshape(rows_out, cols_out), m.dc.reshape(rows_out, cols_out))
               for m in (whole, part, lk))
    inside = slice(40, 80)
    for k in range(2):
        np.testing.assert_array_equal(P[k][inside], W[k][inside])
        np.testing.assert_array_equal(P[k][:40], L[k][:40])
        np.testing.assert_array_equal(P[k][80:], L[k][80:])
    # the fallback does change windows there (else the test would prove nothing)
    changed = ~np.isclose(W[0][inside], L[0][inside], equal_nan=True)
    assert changed.sum() > 100


def test_fallback_batch_size_does_not_change_any_window():
    a, b = (x.astype(np.float32) for x in _front())
    rng = np.random.default_rng(3)
    rows = rng.integers(0, a.shape[0] - 32, 1500)
    cols = rng.integers(0, a.shape[1] - 32, 1500)
    pr, pc = rng.integers(-3, 4, 1500), rng.integers(-3, 4, 1500)
    m1 = correlation.match_windows(a, b, rows, cols, 32, pr, pc, search=15, refine=0,
                                   batch=correlation.FALLBACK_BATCH)
    m2 = correlation.match_windows(a, b, rows, cols, 32, pr, pc, search=15, refine=0,
                                   batch=97)
    assert np.isfinite(m1.dr).mean() > 0.5
    for x, y in ((m1.dr, m2.dr), (m1.dc, m2.dc), (m1.quality, m2.quality)):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-5, equal_nan=True)
