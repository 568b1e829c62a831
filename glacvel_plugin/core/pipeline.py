"""Dense displacement fields: pyramid search, block-wise refinement, outlier removal.

API
---
``correlate_pair(pair, window, step, search, ...)`` runs the whole chain on an image
pair exposed through the small :class:`ImagePair` protocol (``shape`` and
``read(role, level, r0, r1, c0, c1)``), so that the same code works on in-memory arrays
(:class:`ArrayPair`) and on files read window by window (``glacvel_plugin.io.pair``).
It returns a :class:`DisplacementField`, or, when a ``sink`` callable is given, hands
each finished block of output rows to it and keeps nothing in memory.

The chain
---------
1. Output grid: window top-left corners at ``(i·step, j·step)``, output pixel centres
   at the window centres ``(i·step + window/2, j·step + window/2)`` (pixel-edge
   coordinates of the image grid); ``rows_out = (rows − window) // step + 1``.
2. Pyramid (coarse-to-fine, as in multi-pass PIV and autoRIFT's sparse→dense search):
   with a search range of ``search`` px the top level L is the smallest with
   ``search / 2^L <= MAX_COARSE_RADIUS`` (32 px; at least 1 for ``lk`` and
   ``lk_phase``). Each level ``L >= 1`` works on both images block-averaged by 2^L, on
   a grid of step ``window/2``, centred on the prior from the level above (×2); its field is cleaned
   (quality, normalised median test, speed limit), holes filled from the nearest
   valid vector and median-smoothed 3×3, and becomes the prior of the next level.
3. Full resolution, block by block (``block_rows`` output rows at a time, plus one
   halo row on each side for the median test): secondary windows start at the
   rounded prior; the engine (:func:`glacvel_plugin.core.correlation.match_windows`)
   measures the displacement to sub-pixel precision. The ``lk`` engine
   (:func:`~glacvel_plugin.core.correlation.lucas_kanade_search`) starts from the
   real-valued prior of pyramid level 1 (its coarse passes stop there: it converges
   from within about a pixel) and gets more halo rows for its predictor filter. Where
   that prior is several pixels off (fast, strongly sheared ice) its windows fail the
   NCC test; there phase correlation searches ± the search range on a sparse grid and a
   second Lucas-Kanade run starts from that. The default ``lk_phase`` engine
   (:func:`~glacvel_plugin.core.correlation.deformable_search`) refines the same prior
   by Lucas-Kanade and measures every window it rejects, or cannot trust (deformed NCC
   < 0.5, the field changing > 6 px across the window), by phase correlation over the
   whole window-size correlation surface.
4. Outliers → NaN (never 0): quality below ``min_quality``, normalised median test
   (Westerweel & Scarano 2005; ε = 0.1 px, threshold 2), displacement longer than
   ``max_displacement`` px.

Memory: the coarse levels hold two level-L images (rows·cols/4^L float32 each, L >= 1);
a full-resolution block holds two strips of (block_rows·step + window + 2·margin) rows;
the engine's FFT batches are capped by :func:`~glacvel_plugin.core.correlation.batch_size_for`.
:func:`plan_blocks` computes the block size for a memory budget.

Threads: with ``workers`` > 1 every pass (coarse levels and full resolution) is cut into
strips of equal size, a multiple of ``workers`` in number where each stays long enough
(:func:`strip_rows`; else fewer, or one, whose engine then gets the threads), run that
many at a time in a thread pool, each with ``budget / workers`` of the memory budget; a
strip computes the same field on any thread, so only the strip layout depends on
``workers``.
"""
from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
from scipy import ndimage

from . import check_canceled
from .correlation import (DEFAULT_SMOOTH, batch_size_for, deformable_search,
                          lucas_kanade_search, match_windows)

DEFAULT_METHOD = "lk_phase"
"""The default engine (:func:`~glacvel_plugin.core.correlation.deformable_search`)."""

METHODS = ("phase", "ncc", "lk", "lk_phase")
"""Full-resolution engines: phase correlation, NCC, dense Lucas-Kanade (fast), and the
default: Lucas-Kanade with phase correlation where it is rejected."""

LK_METHODS = ("lk", "lk_phase")
"""Engines that refine the real-valued level-1 prior by Lucas-Kanade (strip halo for
their predictor filter, coarse passes stop at level 1)."""
from .filters import (PREFILTERS, fill_nearest, nan_median_filter, prefilter, prefilter_halo,
                      quality_below, speed_limit)
from .validation import DENSE_GRID_RULE, normalized_median_test


class ImagePair:
    """Protocol of an aligned image pair (documented base; subclass or duck-type).

    Attributes
    ----------
    shape : (int, int)
        (rows, cols) of the common grid at full resolution.
    """
    shape = (0, 0)

    def read(self, role, level, r0, r1, c0, c1):  # pragma: no cover - protocol
        """A region of one image of the pair at one pyramid level.

        Parameters
        ----------
        role : {'ref', 'sec'}
            The reference or the secondary image.
        level : int
            Pyramid level (pixels 2^level times larger: block averages).
        r0, r1, c0, c1 : int
            Rows r0..r1−1 and columns c0..c1−1 of that level's grid (may reach outside).

        Returns
        -------
        numpy.ndarray
            float32 (r1 − r0, c1 − c0); NaN for no data and for any part outside the image.
        """
        raise NotImplementedError


def level_shape(shape, level: int):
    """Shape of a pyramid level (floor division by 2^level).

    Parameters
    ----------
    shape : (int, int)
        Full-resolution (rows, cols).
    level : int
        Pyramid level, ≥ 0.

    Returns
    -------
    (int, int)
        (rows, cols) of the level.
    """
    f = 2 ** level
    return shape[0] // f, shape[1] // f


def _padded(a: np.ndarray, r0, r1, c0, c1) -> np.ndarray:
    """a[r0:r1, c0:c1] with NaN beyond the edges."""
    h, w = a.shape
    out = np.full((r1 - r0, c1 - c0), np.nan, np.float32)
    rr0, rr1, cc0, cc1 = max(r0, 0), min(r1, h), max(c0, 0), min(c1, w)
    if rr1 > rr0 and cc1 > cc0:
        out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = a[rr0:rr1, cc0:cc1]
    return out


def block_average(a: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` × ``factor`` blocks (NaN if any pixel of a block is NaN).

    Parameters
    ----------
    a : numpy.ndarray
        2-D image, NaN = no data; trailing rows/columns that do not fill a block are
        dropped.
    factor : int
        Block size, px.

    Returns
    -------
    numpy.ndarray
        float32 (rows // factor, cols // factor).
    """
    if factor == 1:
        return np.asarray(a, np.float32)
    h, w = a.shape[0] // factor, a.shape[1] // factor
    v = np.asarray(a[:h * factor, :w * factor], np.float32)
    return v.reshape(h, factor, w, factor).mean(axis=(1, 3))


class ArrayPair(ImagePair):
    """An in-memory pair of 2-D arrays on the same grid (an :class:`ImagePair`).

    Parameters
    ----------
    ref, sec : numpy.ndarray
        Reference and secondary image, (rows, cols), float, NaN = no data.

    Raises
    ------
    ValueError
        When the arrays are not 2-D or differ in shape.
    """

    def __init__(self, ref: np.ndarray, sec: np.ndarray):
        ref = np.asarray(ref, np.float32)
        sec = np.asarray(sec, np.float32)
        if ref.shape != sec.shape or ref.ndim != 2:
            raise ValueError(f"reference {ref.shape} and secondary {sec.shape} must be 2-D arrays "
                             "of the same shape")
        self.shape = ref.shape
        self._img = {"ref": ref, "sec": sec}
        self._levels = {}

    def read(self, role, level, r0, r1, c0, c1):
        """A region of one image at one pyramid level (see :meth:`ImagePair.read`).

        Parameters
        ----------
        role : {'ref', 'sec'}
            The reference or the secondary image.
        level : int
            Pyramid level (levels are block-averaged once and kept).
        r0, r1, c0, c1 : int
            Rows and columns of the level's grid (may reach outside: NaN there).

        Returns
        -------
        numpy.ndarray
            float32 (r1 − r0, c1 − c0).
        """
        key = (role, level)
        if key not in self._levels:
            self._levels[key] = block_average(self._img[role], 2 ** level)
        return _padded(self._levels[key], r0, r1, c0, c1)


@dataclass
class DisplacementField:
    """Displacement on the output grid.

    Output pixel (i, j) is centred at image pixel-edge coordinates
    (row0 + i·step, col0 + j·step) with row0 = col0 = window/2.

    Attributes
    ----------
    dr, dc : numpy.ndarray
        float32 (rows_out, cols_out): px of the image grid, secondary minus reference
        position (``dr`` positive down the rows, ``dc`` right); NaN = none.
    quality : numpy.ndarray
        float32 (rows_out, cols_out): engine quality, NaN with ``dr``.
    window : int
        Window size, px.
    step : int
        Distance between window centres, px.
    info : dict
        ``levels``, ``valid``, ``total``, ``block_rows`` and ``radius`` (search range of
        the full-resolution pass, px).
    """
    dr: np.ndarray
    dc: np.ndarray
    quality: np.ndarray
    window: int
    step: int
    info: dict = field(default_factory=dict)


def output_shape(shape, window: int, step: int):
    """(rows_out, cols_out) of the output grid: ``(rows − window) // step + 1`` per axis.

    Parameters
    ----------
    shape : (int, int)
        Image (rows, cols).
    window : int
        Window size, px.
    step : int
        Distance between window centres, px, ≥ 1.

    Returns
    -------
    (int, int)
        Output rows and columns.

    Raises
    ------
    ValueError
        When the window is larger than the image or the step below 1.
    """
    h, w = shape
    if window > h or window > w:
        raise ValueError(f"the window ({window} px) is larger than the overlapping image area "
                         f"({w} × {h} px); use a smaller window or larger images")
    if step < 1:
        raise ValueError(f"step must be at least 1 px (got {step})")
    return (h - window) // step + 1, (w - window) // step + 1


MAX_COARSE_RADIUS = 32
"""Largest NCC search range (px of its level) of a coarse pass; beyond it a level up."""


def pyramid_levels(search: float, window: int, shape) -> int:
    """Top coarse level: smallest L with search/2^L <= MAX_COARSE_RADIUS (capped by size).

    Parameters
    ----------
    search : float
        Search range at full resolution, px.
    window : int
        Window size, px (a level must hold window + 2 px).
    shape : (int, int)
        Full-resolution image (rows, cols).

    Returns
    -------
    int
        Top pyramid level, ≥ 0.
    """
    L = 0
    while search / 2 ** L > MAX_COARSE_RADIUS:
        nxt = level_shape(shape, L + 1)
        if min(nxt) < window + 2:
            break
        L += 1
    return L


def lk_halo_rows(window: int, step: int, smooth: float = 0.25) -> int:
    """Extra output rows on each side of an ``lk`` / ``lk_phase`` strip.

    Three σ of its predictor filter (σ = ``smooth`` × window px: window/4 for ``lk``,
    window/2 for ``lk_phase``), so that strip edges leave no seams (measured on Yahtse
    with ``lk``: strips of 17 rows differ from one block by 0.04 px at the 99th
    percentile with this halo, 0.28 px with a third of it).

    Parameters
    ----------
    window : int
        Window size, px.
    step : int
        Distance between window centres, px.
    smooth : float, optional
        Predictor-filter σ in windows.

    Returns
    -------
    int
        Halo rows, ≥ 1.
    """
    return max(1, int(np.ceil(3.0 * window * smooth / step)))


def _halo_rows(method: str, window: int, step: int) -> int:
    if method == "lk":
        return lk_halo_rows(window, step)
    if method == "lk_phase":
        return lk_halo_rows(window, step, DEFAULT_SMOOTH)
    return 1


def plan_blocks(cols_out: int, window: int, step: int, margin: int, image_cols: int,
                channels: int = 1, budget_bytes: int = 512 * 2 ** 20,
                method: str = "phase") -> int:
    """Output rows per full-resolution block for a memory budget.

    Per block the two image strips hold (block_rows·step + window + 2·margin) rows of
    ``image_cols`` float32 values per channel: ×4 for pre-filter temporaries with the FFT
    engines (whose batches are bounded separately), 160 bytes per pixel and channel with
    ``'lk'``/``'lk_phase'`` (the measured peak of
    :func:`~glacvel_plugin.core.correlation.dense_lucas_kanade`: images, gradients, spline
    coefficients, warps, the five product images); the outputs a few float32 rows. A
    block holds at most ~64k windows with the FFT engines (a few seconds each: progress
    and cancel stay responsive); Lucas-Kanade is about ten times faster per window, so
    its blocks hold up to ~256k windows and at least 8 × :func:`lk_halo_rows` rows, so
    that the halo rows recomputed on both sides stay under a quarter of the work.

    Parameters
    ----------
    cols_out : int
        Output columns.
    window : int
        Window size, px.
    step : int
        Distance between window centres, px.
    margin : int
        Extra image rows read above and below a strip, px.
    image_cols : int
        Image columns read per strip, px.
    channels : int, optional
        Pre-filtered channels (2 for orientation images).
    budget_bytes : int, optional
        Memory budget of one strip, bytes.
    method : str, optional
        Full-resolution engine (:data:`METHODS`).

    Returns
    -------
    int
        Output rows per block, ≥ 1.
    """
    lk = method in LK_METHODS
    per_strip_row = image_cols * channels * (160 if lk else 2 * 4 * 4)
    fixed = (window + 2 * margin) * per_strip_row
    avail = max(budget_bytes - fixed, per_strip_row * step)
    rows = int(avail // (per_strip_row * step + cols_out * 4 * 8))
    cap = max(1, (262144 if lk else 65536) // max(cols_out, 1))
    if lk:
        cap = max(cap, 8 * _halo_rows(method, window, step))
    return max(1, min(rows, cap))


def plan_columns(cols_out: int, window: int, step: int, margin: int, channels: int = 1,
                 budget_bytes: int = 512 * 2 ** 20, method: str = "phase") -> int:
    """Output columns per block of a full-resolution strip (``cols_out`` = one block).

    The Lucas-Kanade engines need :func:`lk_halo_rows` extra rows on each side of a
    strip; on a wide image (a whole Landsat-8 scene, 15,000 px) the budget of
    :func:`plan_blocks` is then used up by the halo rows alone and strips shrink to a few
    output rows, each recomputing 2 × 24 halo rows (50× the work at 15,000 px). Their
    strips are therefore split into column blocks when a strip of 8 × halo rows over
    the whole width would not fit ``budget_bytes`` (160 bytes per pixel and channel, as
    in :func:`plan_blocks`), each block with the same halo in columns: so that a block
    holds 8 × halo rows and at least 8 × halo columns. The FFT engines need no halo:
    one block.

    Parameters
    ----------
    cols_out : int
        Output columns (windows) of the full-resolution grid.
    window, step : int
        Window size and grid step, px.
    margin : int
        Pixels read beyond the windows on each side (prior offsets, search range,
        halo rows × step, pre-filter halo), as for :func:`plan_blocks`.
    channels : int
        Image channels (2 for orientation images).
    budget_bytes : int
        Memory budget of one block, bytes.
    method : str
        The full-resolution engine (:data:`METHODS`).

    Returns
    -------
    int
        Output columns per block, 1 <= columns <= ``cols_out`` (``cols_out``: the whole
        width in one block, the behaviour for images up to 4,000–5,000 px wide).
    """
    if method not in LK_METHODS:
        return cols_out
    h = _halo_rows(method, window, step)
    rows_px = (8 * h + 2 * h) * step + window + 2 * margin
    per_col_px = rows_px * 160 * channels
    cols_px = budget_bytes // per_col_px
    if cols_px >= cols_out * step + window + 2 * margin:
        return cols_out
    cols = int((cols_px - window - 2 * margin) // step) - 2 * h
    return int(min(cols_out, max(8 * h, cols)))


def _clean(dr, dc, q, min_quality, max_disp, median_test, eps):
    bad = ~np.isfinite(dr) | ~np.isfinite(dc)
    if min_quality is not None:
        bad |= quality_below(q, min_quality)
    if max_disp is not None:
        bad |= speed_limit(dc, dr, max_disp)
    dr = np.where(bad, np.nan, dr).astype(np.float32)
    dc = np.where(bad, np.nan, dc).astype(np.float32)
    if median_test:
        out = normalized_median_test(dc, dr, median_test, eps=eps, **DENSE_GRID_RULE)
        dr[out] = np.nan
        dc[out] = np.nan
    q = np.where(np.isfinite(dr), q, np.nan).astype(np.float32)
    return dr, dc, q


def _cache_hit(cache, role, level, r0, r1, c0, c1):
    """The entry (R0, R1, C0, C1, array) of ``cache`` holding the filtered region (role,
    level, rows, columns), or None. One lookup: strips running in threads may replace
    the entry at any time."""
    hit = None if cache is None else cache.get((role, level))
    if hit is not None and hit[0] <= r0 and r1 <= hit[1] and hit[2] <= c0 and c1 <= hit[3]:
        return hit
    return None


def _cached(cache, role, level, r0, r1, c0, c1) -> bool:
    """True if ``cache`` holds the filtered region (role, level, rows, columns)."""
    return _cache_hit(cache, role, level, r0, r1, c0, c1) is not None


def _filtered(pair, role, level, r0, r1, c0, c1, kind, halo, cache=None, tick=None):
    """Pre-filtered (channels, r1-r0, c1-c0) region of an image at a level.

    ``cache`` (a dict) keeps the last filtered region per (role, level); a request
    inside it is sliced instead of read and filtered again (the coarse pass at level 0
    and the first full-resolution strip often cover the same rows). ``tick``
    (optional) is given the fraction of the region read and filtered.
    """
    hit = _cache_hit(cache, role, level, r0, r1, c0, c1)
    if hit is not None:
        R0, R1, C0, C1, arr = hit
        return arr[:, r0 - R0:r1 - R0, c0 - C0:c1 - C0]
    if kind in ROW_LOCAL_PREFILTERS and r1 - r0 >= 2 * READ_CHUNKS:
        # in row chunks, each read with the filter's halo: the same values as one read,
        # and a progress update after every chunk
        edges = np.linspace(r0, r1, READ_CHUNKS + 1).astype(np.int64)
        f = np.empty((1, r1 - r0, c1 - c0), np.float32)
        for k, (s0, s1) in enumerate(zip(edges[:-1], edges[1:])):
            part = prefilter(pair.read(role, level, s0 - halo, s1 + halo, c0 - halo, c1 + halo),
                             kind)
            f[0, s0 - r0:s1 - r0] = part[halo:part.shape[0] - halo, halo:part.shape[1] - halo]
            if tick is not None:
                tick((k + 1) / READ_CHUNKS)
    else:
        a = pair.read(role, level, r0 - halo, r1 + halo, c0 - halo, c1 + halo)
        f = prefilter(a, kind)
        if f.ndim == 2:
            f = f[None]
        if halo:
            f = f[:, halo:-halo, halo:-halo]
        if tick is not None:
            tick(1.0)
    if cache is not None:
        cache[(role, level)] = (r0, r1, c0, c1, f)
    return f


READ_SHARE, CLEAN_SHARE = 0.1, 0.01
"""Shares of a strip's progress given to reading and pre-filtering its two images and
to the outlier tests after the engine (measured: 10–12 % and 1–3 % of a strip's time on
the Yahtse pair with the default engine)."""

READ_CHUNKS = 8
"""Row chunks in which a strip's images are read and pre-filtered (with the filter's
halo each) when the pre-filter is local (:data:`ROW_LOCAL_PREFILTERS`)."""

ROW_LOCAL_PREFILTERS = ("none", "highpass")
"""Pre-filters whose value at a pixel depends only on its neighbourhood: the Wallis
filter's contrast floor and the orientation image's threshold use statistics of the
whole region read, so those regions are read and filtered in one piece."""

PROGRESS_BATCHES = 48
"""A strip of the phase and NCC engines (and of every coarse pass) is correlated in at
least this many FFT batches (of at least :data:`MIN_BATCH` windows), each followed by a
progress update and a cancel check: a single-strip image does not sit at one value while
its only batch runs."""

MIN_BATCH = 8

MIN_STRIP_ROWS = 8
MIN_STRIP_HALOS = 4
"""A pass shared by threads is cut into strips of at least :data:`MIN_STRIP_ROWS` output
rows and at least :data:`MIN_STRIP_HALOS` × its halo rows (:func:`lk_halo_rows` for the
Lucas-Kanade engines, 96 rows at window 32 / step 2): the halo rows a strip recomputes
(both sides) are then at most half as many as its own rows (:func:`strip_rows`)."""


class _SerialReads:
    """An :class:`ImagePair` whose reads are serialised by a lock: the strips of a pass
    run in threads, and a raster dataset (GDAL) handle must not be read from two threads
    at once."""

    def __init__(self, pair):
        self._pair = pair
        self._lock = threading.Lock()
        self.shape = pair.shape

    def read(self, role, level, r0, r1, c0, c1):
        with self._lock:
            return self._pair.read(role, level, r0, r1, c0, c1)


def strip_rows(rows_out: int, block_rows: int, workers: int, min_rows: int) -> int:
    """Output rows per strip when ``workers`` threads share a pass.

    The strips planned for the memory budget (``block_rows`` rows each) are made a
    multiple of ``workers`` in number and equal in size, so that no thread idles while
    the last strip runs; where that would make them shorter than ``min_rows`` rows, as
    many strips of at least ``min_rows`` as fit (or one), so that the halo rows a strip
    recomputes on each side stay a small share of its work.

    Parameters
    ----------
    rows_out : int
        Output rows of the pass.
    block_rows : int
        Rows per strip planned for the memory budget (:func:`plan_blocks`).
    workers : int
        Threads.
    min_rows : int
        Fewest rows of a strip cut for the threads.

    Returns
    -------
    int
        Rows per strip, ≥ 1 and ≤ ``block_rows``.
    """
    rows_out, block_rows, workers = int(rows_out), max(1, int(block_rows)), int(workers)
    if workers <= 1:
        return block_rows
    strips = -(-rows_out // block_rows)
    strips = -(-strips // workers) * workers
    if -(-rows_out // strips) < min_rows:    # fewer, longer strips (one, if need be)
        strips = max(strips - workers, rows_out // max(1, int(min_rows)), 1)
    return max(1, min(block_rows, -(-rows_out // strips)))


def _grid_pass(pair, level, window, step, rows_out, cols_out, prior, radius, method,
               prefilter_kind, halo, block_rows, clean_args, workers, refine, on_block,
               check, progress, cache=None, block_cols=None):
    """Correlate the windows of one grid at one pyramid level, strip by strip.

    Window (i, j) has its top-left corner at (i·step, j·step) of the level's grid.
    Each strip of ``block_rows`` output rows (plus halo rows each side: one for the
    median test, :func:`lk_halo_rows` for the ``lk`` engine's predictor filter) reads
    both images over the rows it needs, margins included (prior offsets of that strip +
    search radius), correlates, cleans, and calls
    ``on_block(i0, i1, dr, dc, quality)`` with level-pixel displacements. With
    ``block_cols`` < ``cols_out`` (Lucas-Kanade engines on wide images,
    :func:`plan_columns`) a strip is correlated in column blocks, each with the same
    halo in columns, and cleaned as one strip.

    With ``workers`` > 1 and more than one strip, the strips run in a thread pool of
    ``workers`` threads (``concurrent.futures``), each engine call on one thread (its
    FFTs and compiled kernels release the GIL); at most ``workers`` strips are in flight,
    ``on_block`` is called in strip order from the calling thread, reads of ``pair``
    are serialised and progress is the sum of the strips' shares. A strip's result does
    not depend on the thread it ran on.
    """
    h_img, w_img = level_shape(pair.shape, level)
    halo_rows = _halo_rows(method, window, step)
    block_cols = cols_out if block_cols is None else max(1, min(int(block_cols), cols_out))
    col_blocks = [(j0, min(cols_out, j0 + block_cols)) for j0 in range(0, cols_out, block_cols)]
    halo_cols = halo_rows if len(col_blocks) > 1 and method in LK_METHODS else 0
    strips = [(i0, min(rows_out, i0 + block_rows)) for i0 in range(0, rows_out, block_rows)]
    parallel = int(workers) > 1 and len(strips) > 1
    threads = 1 if parallel else workers
    if parallel:
        pair = _SerialReads(pair)

    def strip(i0, i1, report):
        """Rows i0..i1−1 of the pass, cleaned: (dr, dc, quality); ``report(f)`` is given
        the fraction of the strip done."""
        check()
        h0, h1 = max(0, i0 - halo_rows), min(rows_out, i1 + halo_rows)
        dr = np.full((h1 - h0, cols_out), np.nan, np.float32)
        dc = np.full((h1 - h0, cols_out), np.nan, np.float32)
        q = np.full((h1 - h0, cols_out), np.nan, np.float32)
        for k, (j0, j1) in enumerate(col_blocks):
            def at(f, k=k):  # progress inside the strip
                report((k + f) / len(col_blocks))

            read = [READ_SHARE]   # the reading share of the block (none if cached)

            def within(f, at=at, read=read):  # the engine's share (FFT batches, passes)
                at(read[0] + (1.0 - read[0] - CLEAN_SHARE) * f)
            g0, g1 = max(0, j0 - halo_cols), min(cols_out, j1 + halo_cols)
            ii, jj = np.meshgrid(np.arange(h0, h1) * step, np.arange(g0, g1) * step,
                                 indexing="ij")
            if prior is None:
                fr_ = np.zeros(ii.shape, np.float32)
                fc_ = np.zeros(ii.shape, np.float32)
            else:
                fr_, fc_ = _interp_prior(prior, ii + window / 2.0, jj + window / 2.0, level,
                                         rounded=False)
            pr, pc = np.round(fr_).astype(np.int64), np.round(fc_).astype(np.int64)
            extra = radius if method == "ncc" else (3 if method in LK_METHODS else 0)
            if method == "lk_phase":
                extra = window // 2
            r_lo = int((ii + np.minimum(pr, 0)).min()) - extra - 1
            r_hi = int((ii + np.maximum(pr, 0)).max()) + window + extra + 1
            c_lo = int((jj + pc).min()) - extra - 1
            c_hi = int((jj + pc).max()) + window + extra + 1
            if len(col_blocks) == 1:   # the whole width (and the no-data margins beyond)
                c_lo, c_hi = min(0, c_lo), max(w_img, c_hi)
            if all(_cached(cache, role, level, r_lo, r_hi, c_lo, c_hi)
                   for role in ("ref", "sec")):
                read[0] = 0.0
            ref = _filtered(pair, "ref", level, r_lo, r_hi, c_lo, c_hi, prefilter_kind, halo,
                            cache, lambda f, at=at, read=read: at(read[0] / 2 * f))
            sec = _filtered(pair, "sec", level, r_lo, r_hi, c_lo, c_hi, prefilter_kind, halo,
                            cache, lambda f, at=at, read=read: at(read[0] / 2 * (1 + f)))
            row0, col0 = int(ii[0, 0]) - r_lo, int(jj[0, 0]) - c_lo
            if method == "lk":
                m = lucas_kanade_search(ref, sec, row0, col0, ii.shape[0], ii.shape[1], window,
                                        step, fr_, fc_, radius, max_change=radius + 1.0,
                                        grid_origin=(h0, g0), workers=threads)
            elif method == "lk_phase":
                m = deformable_search(ref, sec, row0, col0, ii.shape[0], ii.shape[1], window,
                                      step, fr_, fc_, max_change=radius + 1.0, workers=threads,
                                      measure_rows=(i0 - h0 - 1, i1 - h0 + 1),
                                      measure_cols=(j0 - g0 - 1, j1 - g0 + 1),
                                      progress=within, grid_origin=(h0, g0))
            else:
                channels = ref.shape[0] if ref.ndim == 3 else 1
                batch = min(batch_size_for(window, radius, method) // channels,
                            max(MIN_BATCH, -(-ii.size // PROGRESS_BATCHES)))
                m = match_windows(ref, sec, (ii - r_lo).ravel(), (jj - c_lo).ravel(), window,
                                  pr.ravel(), pc.ravel(), method=method, search=radius,
                                  workers=threads, batch=batch, refine=refine,
                                  is_canceled=check, progress=within)
            del ref, sec
            keep = slice(j0 - g0, j1 - g0)
            for out, a in ((dr, m.dr), (dc, m.dc), (q, m.quality)):
                out[:, j0:j1] = a.reshape(ii.shape)[:, keep]
        dr, dc, q = _clean(dr, dc, q, *clean_args)
        s = slice(i0 - h0, i0 - h0 + (i1 - i0))
        return dr[s], dc[s], q[s]

    if not parallel:
        for i0, i1 in strips:
            on_block(i0, i1, *strip(i0, i1, lambda f, i0=i0, i1=i1:
                                    progress((i0 + f * (i1 - i0)) / rows_out)))
            progress(i1 / rows_out)
        return
    lock = threading.Lock()
    done = {}          # strip → rows done (progress)
    shown = [0.0]

    def reporter(i0, i1):
        def report(f):
            with lock:
                done[i0] = max(done.get(i0, 0.0), min(1.0, f) * (i1 - i0))
                total = sum(done.values()) / rows_out
                if total > shown[0]:
                    shown[0] = total
                    progress(total)
        return report
    pending = deque()
    with ThreadPoolExecutor(max_workers=int(workers),
                            thread_name_prefix="glacvel-strip") as pool:
        try:
            for i0, i1 in strips:
                check()
                pending.append((i0, i1, pool.submit(strip, i0, i1, reporter(i0, i1))))
                if len(pending) >= int(workers):
                    j0, j1, fut = pending.popleft()
                    on_block(j0, j1, *fut.result())
            while pending:
                j0, j1, fut = pending.popleft()
                on_block(j0, j1, *fut.result())
        except BaseException:
            for _, _, fut in pending:
                fut.cancel()
            raise
    progress(1.0)


def correlate_pair(pair: ImagePair, window: int = 32, step: int = 2, search: float = 16.0,
                   method: str = DEFAULT_METHOD, prefilter_kind: str = "highpass",
                   min_quality: Optional[float] = None, max_displacement: Optional[float] = None,
                   median_test: float = 2.0, eps: float = 0.1, workers: int = 1,
                   sink: Optional[Callable] = None, progress: Optional[Callable] = None,
                   is_canceled: Optional[Callable] = None, budget_bytes: int = 512 * 2 ** 20,
                   block_rows: Optional[int] = None) -> Optional[DisplacementField]:
    """Dense displacement field of an image pair (see the module doc for the chain).

    Parameters
    ----------
    pair : ImagePair
        E.g. :class:`ArrayPair` or ``io.pair.RasterPair``: both images on one grid, rows
        down (north-up for map products).
    window : int, optional
        Window size, px, ≥ 8.
    step : int, optional
        Distance between window centres of the output grid, px, ≥ 1.
    search : float, optional
        Search range: largest displacement to search for, px (from the maximum speed × Δt
        / pixel size); sets the coarse search range and the pyramid depth.
    method : {'lk_phase', 'phase', 'ncc', 'lk'}, optional
        Full-resolution engine: ``'lk_phase'`` (default: dense Lucas-Kanade with window
        deformation, phase correlation where it is rejected;
        :func:`~glacvel_plugin.core.correlation.deformable_search`), ``'phase'`` (phase
        correlation), ``'ncc'``, or ``'lk'`` (Lucas-Kanade alone, the fastest;
        :func:`~glacvel_plugin.core.correlation.lucas_kanade_search`). Coarse passes
        always use NCC over an explicit search area.
    prefilter_kind : str, optional
        One of :data:`glacvel_plugin.core.filters.PREFILTERS`.
    min_quality : float, optional
        Reject below this quality (None = no threshold).
    max_displacement : float, optional
        Reject longer displacements, px (None = ``search``).
    median_test : float, optional
        Normalised-median-test threshold (0 disables it).
    eps : float, optional
        Residual floor ε of the median test, px.
    workers : int, optional
        Threads. With more than one, each pass is cut into at least ``workers`` strips
        (:func:`strip_rows`) that run in a thread pool, one thread per strip (see
        :func:`_grid_pass`); a pass of one strip gives the threads to its engine (FFTs,
        compiled kernels) instead.
    sink : callable, optional
        ``sink(i0, i1, dr, dc, quality)`` receives output rows i0..i1−1 (float32
        (i1 − i0, cols_out), px); when given, nothing is kept or returned.
    progress : callable, optional
        ``progress(fraction)``, fraction in [0, 1], rising; with ``workers`` > 1 it is
        also called from the pool's threads (one call at a time).
    is_canceled : callable, optional
        ``is_canceled() -> bool``; with ``workers`` > 1 also called from the pool's
        threads.
    budget_bytes : int, optional
        Memory budget of the strips in flight (see :func:`plan_blocks`): each of the
        ``workers`` strips gets ``budget_bytes / workers``.
    block_rows : int, optional
        Output rows per strip of the full-resolution pass (default planned).

    Returns
    -------
    DisplacementField or None
        The field (``sink`` None), or None when the rows went to ``sink``.

    Raises
    ------
    ValueError
        Window below 8 px or larger than the image, step below 1, unknown method or
        pre-filter, nothing matched.
    Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Westerweel, J. & Scarano, F. (2005). Universal outlier detection for PIV data.
    Experiments in Fluids 39, 1096-1100.
    """
    if method not in METHODS:
        raise ValueError(f"unknown correlation method {method!r}; use one of {', '.join(METHODS)}")
    if prefilter_kind not in PREFILTERS:
        raise ValueError(f"unknown pre-filter {prefilter_kind!r}; use one of {', '.join(PREFILTERS)}")
    window, step = int(window), int(step)
    if window < 8:
        raise ValueError(f"window {window} px is too small; use at least 8 px (32 is usual)")
    rows_out, cols_out = output_shape(pair.shape, window, step)
    search = float(max(search, 1.0))
    if max_displacement is None:
        max_displacement = search
    progress = progress or (lambda f: None)

    def check():
        check_canceled(is_canceled)
        return False

    halo = prefilter_halo(prefilter_kind)
    channels = 2 if prefilter_kind == "orientation" else 1
    L = pyramid_levels(search, window, pair.shape)
    last_coarse = 0
    if method in LK_METHODS and min(level_shape(pair.shape, 1)) >= window + 2:
        # Lucas-Kanade refines from within ~1 px: the coarse NCC search only needs the
        # pyramid levels, never a full-resolution pass of its own
        L = max(L, 1)
        last_coarse = 1
    n_coarse = L - last_coarse + 1
    coarse_share = min(0.3, 0.1 * n_coarse)

    workers = max(1, int(workers or 1))
    strip_budget = budget_bytes // workers   # ``workers`` strips in flight
    cache = {}
    # ---- coarse passes: NCC over an explicit search area on a sparse grid ----------
    prior = None  # (field_r, field_c, level, step_c, window) in level pixels
    for level in range(L, last_coarse - 1, -1):
        h, w = level_shape(pair.shape, level)
        if min(h, w) < window:
            continue
        step_c = max(4, window // 2)
        ro, co = (h - window) // step_c + 1, (w - window) // step_c + 1
        if prior is None:
            radius = int(np.ceil(search / 2 ** level)) + 1
        else:
            radius = max(2, window // 4)
        fr = np.full((ro, co), np.nan, np.float32)
        fc = np.full((ro, co), np.nan, np.float32)

        def keep(i0, i1, dr, dc, q, fr=fr, fc=fc):
            fr[i0:i1], fc[i0:i1] = dr, dc
        margin = radius + (0 if prior is None else _prior_extent(prior))
        br = strip_rows(ro, plan_blocks(co, window, step_c, margin + halo, w + 2 * margin,
                                        channels, strip_budget), workers, MIN_STRIP_ROWS)
        done = coarse_share * (L - level) / n_coarse
        _grid_pass(pair, level, window, step_c, ro, co, prior, radius, "ncc", prefilter_kind,
                   halo, br, (None, max_displacement / 2 ** level + 1, median_test, eps),
                   workers, 0, keep, check,
                   lambda f, done=done: progress(done + coarse_share * f / n_coarse), cache)
        if not np.isfinite(fr).any():
            # nothing matched at this level: zero prior; the next pass searches anew
            fr[:] = 0.0
            fc[:] = 0.0
        prior = (nan_median_filter(fill_nearest(fr), 3), nan_median_filter(fill_nearest(fc), 3),
                 level, step_c, window)

    # ---- full resolution, block by block -------------------------------------------
    if prior is None:  # image too small for a coarse pass
        radius_f = int(np.ceil(search)) + 1
    else:
        radius_f = max(2, window // 4)
    if method == "phase":
        radius_f = min(radius_f, window // 2 - 1)
    margin = (0 if prior is None else _prior_extent(prior)) + radius_f + 1
    if method in LK_METHODS:
        margin += _halo_rows(method, window, step) * step
    if method == "lk_phase":
        margin += window // 2
    block_cols = plan_columns(cols_out, window, step, margin + halo, channels, strip_budget,
                              method)
    if block_rows is None:
        block_rows = strip_rows(rows_out, plan_blocks(block_cols, window, step, margin + halo,
                                                      block_cols * step + window + 2 * margin,
                                                      channels, strip_budget, method),
                                workers, max(MIN_STRIP_ROWS,
                                             MIN_STRIP_HALOS * _halo_rows(method, window, step)))
    block_rows = max(1, int(block_rows))
    keep_all = sink is None
    if keep_all:
        out_r = np.full((rows_out, cols_out), np.nan, np.float32)
        out_c = np.full((rows_out, cols_out), np.nan, np.float32)
        out_q = np.full((rows_out, cols_out), np.nan, np.float32)
    counter = {"valid": 0}

    def deliver(i0, i1, dr, dc, q):
        counter["valid"] += int(np.isfinite(dr).sum())
        if keep_all:
            out_r[i0:i1], out_c[i0:i1], out_q[i0:i1] = dr, dc, q
        else:
            sink(i0, i1, dr, dc, q)

    _grid_pass(pair, 0, window, step, rows_out, cols_out, prior, radius_f, method,
               prefilter_kind, halo, block_rows,
               (min_quality, max_displacement, median_test, eps), workers, 1, deliver,
               check, lambda f: progress(coarse_share + (1 - coarse_share) * f), cache,
               block_cols)
    nvalid = counter["valid"]
    info = dict(levels=L, valid=nvalid, total=rows_out * cols_out, block_rows=block_rows,
                radius=radius_f)
    if nvalid == 0:
        raise ValueError("no window could be matched: the images share no texture in the "
                         "overlap (constant, all no-data, or too different); check the inputs, "
                         "the bands and the pre-filter")
    if keep_all:
        return DisplacementField(out_r, out_c, out_q, window, step, info)
    return None


def _prior_extent(prior) -> int:
    """Largest prior offset, px of level 0 (bounds the strip margins)."""
    return int(np.ceil(max(np.abs(prior[0]).max(), np.abs(prior[1]).max()) * 2 ** prior[2])) + 2


def _interp_prior(prior, yc, xc, level, rounded=True):
    """Prior offsets (level pixels; rounded to int unless ``rounded`` is False) at
    centres (yc, xc) given in level pixels.

    ``prior`` = (dr, dc, level_p, step_p, window_p) on the grid of level ``level_p``.
    """
    fr, fc, lp, sp, wp = prior
    scale = 2.0 ** (lp - level)
    # centre positions in the prior's grid index space
    gy = (yc / scale - wp / 2.0) / sp
    gx = (xc / scale - wp / 2.0) / sp
    coords = [np.ravel(gy), np.ravel(gx)]
    vr = ndimage.map_coordinates(fr, coords, order=1, mode="nearest") * scale
    vc = ndimage.map_coordinates(fc, coords, order=1, mode="nearest") * scale
    vr = vr.reshape(np.shape(yc)).astype(np.float32)
    vc = vc.reshape(np.shape(xc)).astype(np.float32)
    if not rounded:
        return vr, vc
    return np.round(vr).astype(np.int64), np.round(vc).astype(np.int64)
