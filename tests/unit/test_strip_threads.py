"""Both cores on one pair: the strips of a pass run in a thread pool (core.pipeline)."""
import threading

import numpy as np
import pytest

from glacvel_plugin.core import Canceled
from glacvel_plugin.core.pipeline import (MIN_STRIP_HALOS, ArrayPair, correlate_pair,
                                          lk_halo_rows, strip_rows)
from glacvel_plugin.core.correlation import DEFAULT_SMOOTH
from tests.conftest import YAHTSE_SEC as SEC
from tests.helpers import yahtse_crop


@pytest.fixture(scope="module")
def trunk():
    """Real Yahtse pair over the lower trunk, its margin and rock (the default engine's
    fallback runs there)."""
    a = yahtse_crop(300, 250, 440, 320).astype(np.float32)
    b = yahtse_crop(300, 250, 440, 320, SEC).astype(np.float32)
    return a, b


class _WatchedPair(ArrayPair):
    """An ArrayPair that records how many reads overlap in time."""

    def __init__(self, a, b):
        super().__init__(a, b)
        self._lock = threading.Lock()
        self.inside = 0
        self.most = 0

    def read(self, *args):
        with self._lock:
            self.inside += 1
            self.most = max(self.most, self.inside)
        try:
            threading.Event().wait(0.001)     # a slow read: overlaps would show
            return super().read(*args)
        finally:
            with self._lock:
                self.inside -= 1


def test_strip_rows_gives_every_thread_equal_strips():
    halo = lk_halo_rows(32, 2, DEFAULT_SMOOTH)
    assert halo == 24 and MIN_STRIP_HALOS * halo == 96
    # the 512 px crop: one planned strip of 241 rows, cut in two
    assert strip_rows(241, 1087, 2, 96) == 121
    # the whole Yahtse pair: three planned strips made four equal ones
    assert strip_rows(834, 314, 2, 96) == 209
    assert strip_rows(834, 314, 1, 96) == 314            # one thread: as planned
    assert strip_rows(150, 1000, 2, 96) == 150            # two would be below the floor
    assert strip_rows(40, 1000, 2, 96) == 40              # a short pass stays one strip
    assert strip_rows(300, 100, 2, 96) == 100             # 4 × 75 rows: 3 × 100 instead
    assert strip_rows(1000, 100, 2, 8) == 100             # ten strips already
    assert strip_rows(1000, 100, 3, 8) == 84              # 12 strips for 3 threads


@pytest.mark.parametrize("method", ["lk_phase", "phase"])
def test_threaded_strips_equal_the_serial_strips(trunk, method):
    """With the same strips, two threads give exactly the field of one: each strip is
    computed on one thread either way, its result does not depend on which."""
    a, b = trunk
    step = 2 if method == "lk_phase" else 4
    rows = 60 if method == "lk_phase" else 24
    one = correlate_pair(ArrayPair(a, b), 32, step, search=18.0, method=method,
                         block_rows=rows, workers=1)
    names = set()

    def progress(f, seen=[]):
        names.add(threading.current_thread().name)
        seen.append(f)
        assert f >= max(seen[:-1], default=0.0)           # monotonic across the threads
    two = correlate_pair(ArrayPair(a, b), 32, step, search=18.0, method=method,
                         block_rows=rows, workers=2, progress=progress)
    assert one.dr.shape[0] > 2 * rows                    # three strips or more
    for x, y in ((one.dr, two.dr), (one.dc, two.dc), (one.quality, two.quality)):
        np.testing.assert_array_equal(x, y)
    assert np.isfinite(two.dr).mean() > 0.9
    # the strips ran on the pool's threads (their progress came from there)
    assert len({n for n in names if n.startswith("glacvel-strip")}) == 2, names


def test_planned_threaded_strips_agree_with_one_strip(trunk):
    """Without ``block_rows`` two threads cut the default engine's single strip in two;
    the strip edge leaves no seam (its halo covers three σ of the predictor filter)."""
    a, b = trunk
    one = correlate_pair(ArrayPair(a, b), 32, 2, search=18.0, workers=1)
    two = correlate_pair(ArrayPair(a, b), 32, 2, search=18.0, workers=2)
    assert one.info["block_rows"] >= one.dr.shape[0]          # one strip
    assert two.info["block_rows"] == -(-two.dr.shape[0] // 2)  # two equal strips
    d = np.hypot(one.dr - two.dr, one.dc - two.dc)
    assert np.isfinite(d).mean() > 0.9
    assert np.nanmedian(d) < 0.01 and np.nanpercentile(d, 99) < 0.1
    edge = two.info["block_rows"]
    assert np.nanpercentile(d[edge - 3:edge + 3], 95) < 0.1


def test_threaded_strips_serialise_reads_deliver_in_order_and_cancel(trunk):
    a, b = trunk
    pair = _WatchedPair(a, b)
    seen = []
    correlate_pair(pair, 32, 4, search=18.0, method="phase", block_rows=12, workers=2,
                   sink=lambda i0, i1, *x: seen.append((i0, i1, threading.current_thread())))
    assert pair.most == 1                   # a raster handle is never read by two threads
    assert [s[0] for s in seen] == list(range(0, seen[-1][1], 12))     # in strip order
    assert {s[2] for s in seen} == {threading.main_thread()}           # from the caller
    # cancel: Canceled reaches the caller, the strips delivered before it are whole
    calls, got = [], []
    with pytest.raises(Canceled):
        correlate_pair(ArrayPair(a, b), 32, 4, search=18.0, method="phase", block_rows=12,
                       workers=2, sink=lambda i0, i1, dr, *x: got.append((i0, i1, dr.shape)),
                       is_canceled=lambda: calls.append(1) or len(calls) > 12)
    assert all(shape[0] == i1 - i0 for i0, i1, shape in got)
    assert [g[0] for g in got] == list(range(0, 12 * len(got), 12))
