"""The default engine's fallback measures phase correlation at every second window of
the suspect areas (the nodes) and interpolates the windows between them where the
nodes agree: it must give the product of measuring every suspect window, with fewer
phase measurements.

Real data: the Yahtse calving front of the demo crop, and real Yahtse texture warped by a
known glacier-like field of up to 12 px from a zero prior (every fast window suspect).
"""
import numpy as np
import pytest

from glacvel_plugin.core import correlation
from glacvel_plugin.core.filters import prefilter
from tests.helpers import DEMO_YAHTSE_REF as REF, DEMO_YAHTSE_SEC as SEC
from tests.helpers import FRONT_BOX, glacier_field, read_band, warp

N, STEP = 32, 2


def _counting(monkeypatch):
    """Spy on the fallback's phase measurements: the number of windows measured."""
    count = [0]
    real = correlation.match_windows

    def spy(ref, sec, rows, cols, *args, **kw):
        count[0] += len(rows)
        return real(ref, sec, rows, cols, *args, **kw)
    monkeypatch.setattr(correlation, "match_windows", spy)
    return count


def _front_args():
    a = prefilter(read_band(REF)[FRONT_BOX].astype(np.float32), "highpass")
    b = prefilter(read_band(SEC)[FRONT_BOX].astype(np.float32), "highpass")
    rows_out = (a.shape[0] - N) // STEP + 1
    cols_out = (a.shape[1] - N) // STEP + 1
    # a coarse prior: 12 px down the glacier's flow everywhere, as a coarse search on
    # the trunk would give; off by several px on the slower ice and the mélange
    pr = np.full((rows_out, cols_out), 12.0, np.float32)
    pc = np.full((rows_out, cols_out), -2.0, np.float32)
    return (a, b, 0, 0, rows_out, cols_out, N, STEP, pr, pc)


def test_nodes_give_the_product_of_measuring_every_suspect_window(monkeypatch):
    """Interpolation alone (the best-node rule switched off)."""
    monkeypatch.setattr(correlation, "NODE_PICK_SPREAD", np.inf)
    args = _front_args()
    count = _counting(monkeypatch)
    every = correlation.deformable_search(*args, max_change=22.4, spacing=1)
    n_every = count[0]
    count[0] = 0
    nodes = correlation.deformable_search(*args, max_change=22.4, spacing=2)
    n_nodes = count[0]
    assert n_every > 5000                      # the fallback does most of the work here
    assert n_nodes < 0.6 * n_every             # and the nodes save 40 % of it at least
    shape = args[4], args[5]
    E = [x.reshape(shape) for x in (every.dr, every.dc)]
    M = [x.reshape(shape) for x in (nodes.dr, nodes.dc)]
    valid_e, valid_m = np.isfinite(E[0]), np.isfinite(M[0])
    assert abs(valid_m.mean() - valid_e.mean()) < 0.01
    both = valid_e & valid_m
    d = np.hypot(E[0] - M[0], E[1] - M[1])[both]
    assert np.median(d) < 0.01 and np.percentile(d, 95) < 0.3
    # node windows are measured as before: identical where both measured them
    node = np.zeros(shape, bool)
    node[::2, ::2] = True
    suspect_changed = both & node & ~np.isclose(E[0], M[0], atol=1e-6)
    assert suspect_changed.sum() == 0


def test_interpolated_windows_recover_a_known_warp(monkeypatch):
    a = read_band(REF)[100:420, 150:470].astype(np.float64)
    h, w = a.shape
    u_r, u_c = glacier_field(h, w, 9.0, 150.0)
    b = warp(a, u_r, u_c)
    ra, rb = prefilter(a.astype(np.float32), "highpass"), prefilter(b.astype(np.float32), "highpass")
    rows_out, cols_out = (h - N) // STEP + 1, (w - N) // STEP + 1
    zero = np.zeros((rows_out, cols_out), np.float32)
    args = (ra, rb, 0, 0, rows_out, cols_out, N, STEP, zero, zero)
    count = _counting(monkeypatch)
    every = correlation.deformable_search(*args, max_change=16.0, spacing=1)
    n_every = count[0]
    count[0] = 0
    nodes = correlation.deformable_search(*args, max_change=16.0, spacing=2, grid_origin=(1, 0))
    assert count[0] < 0.6 * n_every and n_every > 2000
    cy = (np.arange(rows_out) * STEP + N / 2 - 0.5)[:, None] * np.ones((1, cols_out))
    cx = (np.arange(cols_out) * STEP + N / 2 - 0.5)[None, :] * np.ones((rows_out, 1))
    tr, tc = u_r(cy, cx), u_c(cy, cx)
    inner = np.zeros((rows_out, cols_out), bool)
    inner[20:-20, 20:-20] = True
    fast = inner & (np.hypot(tr, tc) > 6)         # the windows LK could not reach
    rmse, outliers = [], []
    for m in (every, nodes):
        err = np.hypot(m.dr.reshape(tr.shape) - tr, m.dc.reshape(tr.shape) - tc)[fast]
        assert np.isfinite(err).mean() > 0.97
        outliers.append(np.nanmean(err > 1.0))
        rmse.append(np.sqrt(np.nanmean(err[err <= 1.0] ** 2)))
    print(rmse, outliers, fast.sum())
    assert rmse[0] < 0.2 and outliers[0] < 0.02
    assert rmse[1] < rmse[0] * 1.1 and outliers[1] <= outliers[0] + 0.005


def test_windows_between_disagreeing_nodes_take_the_best_node(monkeypatch):
    """Where the nodes around a suspect window differ by more than NODE_PICK_SPREAD px,
    the window takes the displacement of the node of the highest phase-correlation
    quality, exactly, instead of a phase measurement of its own; the calving front keeps
    as many valid windows, with fewer phase measurements."""
    args = _front_args()
    shape = args[4], args[5]
    calls = []
    real = correlation.match_windows

    def spy(ref, sec, rows, cols, *a, **kw):
        m = real(ref, sec, rows, cols, *a, **kw)
        calls.append((np.asarray(rows) // STEP, np.asarray(cols) // STEP, m))
        return m
    monkeypatch.setattr(correlation, "match_windows", spy)
    monkeypatch.setattr(correlation, "NODE_PICK_SPREAD", np.inf)
    own = correlation.deformable_search(*args, max_change=22.4)
    n_own = sum(len(c[0]) for c in calls)
    calls.clear()
    monkeypatch.setattr(correlation, "NODE_PICK_SPREAD", 5.0)
    quality_of = []                                 # the suspect windows given a value
    real_ncc = correlation._translated_ncc

    def spy_ncc(ref, sec, rows, cols, *a, **kw):
        quality_of.append((np.asarray(rows) // STEP, np.asarray(cols) // STEP))
        return real_ncc(ref, sec, rows, cols, *a, **kw)
    monkeypatch.setattr(correlation, "_translated_ncc", spy_ncc)
    pick = correlation.deformable_search(*args, max_change=22.4)
    n_pick = sum(len(c[0]) for c in calls)
    assert n_pick < 0.9 * n_own, (n_pick, n_own)
    valid_own, valid_pick = np.isfinite(own.dr).mean(), np.isfinite(pick.dr).mean()
    assert valid_pick >= valid_own - 0.002, (valid_pick, valid_own)
    # the nodes: the first batch of phase measurements (every second window)
    ni, nj, m = calls[0]
    assert (ni % 2 == 0).all() and (nj % 2 == 0).all()
    node_r = np.full(shape, np.nan)
    node_c = np.full(shape, np.nan)
    node_q = np.full(shape, -np.inf)
    node_r[ni, nj], node_c[ni, nj] = m.dr, m.dc
    node_q[ni, nj] = np.where(np.isfinite(m.dr), m.quality, -np.inf)
    P = [x.reshape(shape) for x in (pick.dr, pick.dc)]
    O = [x.reshape(shape) for x in (own.dr, own.dc)]
    def measured_nodes(i, j):
        around = [(i + di, j + dj) for di in (0, 1, -1) for dj in (0, 1, -1)
                  if 0 <= i + di < shape[0] and 0 <= j + dj < shape[1]
                  and (i + di) % 2 == 0 and (j + dj) % 2 == 0]
        return [(node_q[a], node_r[a], node_c[a]) for a in around if np.isfinite(node_r[a])]

    def spread(vals):
        return max(max(v[1] for v in vals) - min(v[1] for v in vals),
                   max(v[2] for v in vals) - min(v[2] for v in vals))

    # every window that changed took the best of at least two nodes spread > 5 px apart
    changed = np.isfinite(P[0]) & ~(np.isclose(P[0], O[0]) & np.isclose(P[1], O[1]))
    ci, cj = np.nonzero(changed)
    assert len(ci) > 100
    for i, j in zip(ci, cj):
        vals = measured_nodes(i, j)
        assert len(vals) >= 2 and spread(vals) > 5.0
        best = max(vals, key=lambda v: v[0])
        assert P[0][i, j] == pytest.approx(best[1], abs=1e-6)
        assert P[1][i, j] == pytest.approx(best[2], abs=1e-6)
    # and every suspect window between two or more such nodes took it (none kept its own)
    (si, sj), = quality_of
    between = 0
    for i, j in zip(si, sj):
        if i % 2 == 0 and j % 2 == 0:
            continue
        vals = measured_nodes(i, j)
        if len(vals) >= 2 and spread(vals) > 5.0 and np.isfinite(P[0][i, j]):
            best = max(vals, key=lambda v: v[0])
            assert (P[0][i, j], P[1][i, j]) == (pytest.approx(best[1], abs=1e-6),
                                                pytest.approx(best[2], abs=1e-6))
            between += 1
    assert between >= len(ci)
