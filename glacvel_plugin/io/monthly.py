"""Monthly ``YYYYMM.tif`` products from pair products (files; the maths is in ``core``).

:func:`plan_months` assigns pair products to calendar months
(:func:`glacvel_plugin.core.timeseries.assign_months`) and :func:`write_month` writes
one month: per source (SENSOR tag) the pairs are composited with
:func:`glacvel_plugin.core.timeseries.composite_stack`, then the sources are fused
with :func:`glacvel_plugin.core.fusion.fuse_stack`. ``glacvel:monthly_velocity`` and
the dataset job (:mod:`glacvel_plugin.io.dataset`, on Dask workers without QGIS)
both call these functions, so the two write the same products.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..core import Canceled
from ..core import fusion as cf
from ..core import timeseries as ts
from .grid import TargetGrid
from .product import ProductWriter, standard_tags

FUSED_BANDS = ("v", "vx", "vy", "v_error", "count", "vx_error", "vy_error")
"""Bands of a fused or monthly product, in this order (m/d; ``count`` = pairs)."""


def fused_tags(readers, method, start=None, end=None, **extra) -> Dict[str, str]:
    """Tags of a fused product: FUSED sensor, the sources' period, SOURCES and INPUTS."""
    starts = [r.start for r in readers if r.start is not None]
    ends = [r.end for r in readers if r.end is not None]
    start = start or (min(starts) if starts else None)
    end = end or (max(ends) if ends else None)
    names = list(dict.fromkeys(r.name for r in readers))
    extra.update(SOURCES=",".join(names),
                 INPUTS=";".join(os.path.basename(r.path) for r in readers))
    if start is not None and end is not None and end > start:
        return standard_tags("FUSED", start, end, method, **extra)
    tags = {"UNITS": "m/d", "SENSOR": "FUSED", "METHOD": method}
    tags.update({k.upper(): str(v) for k, v in extra.items()})
    return tags


def read_stack(readers, grid: TargetGrid, window):
    """(vx, vy, σx, σy), float32 (k, rows, cols) m/d, of ``readers`` on one block of ``grid``."""
    k = len(readers)
    shape = (k, int(window.height), int(window.width))
    vx, vy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    sx, sy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    for i, r in enumerate(readers):
        d = r.read(("vx", "vy"), grid, window)
        vx[i], vy[i] = d["vx"], d["vy"]
        if np.isfinite(vx[i]).any():
            sx[i], sy[i] = r.read_sigma(grid, window)
    return vx, vy, sx, sy


def write_fused(path: str, grid: TargetGrid, tags: Dict[str, str], protect: Sequence[str],
                make_block: Callable, progress: Callable[[int], None],
                is_canceled: Optional[Callable[[], bool]] = None) -> int:
    """Write one fused product (:data:`FUSED_BANDS`) block by block; returns its valid pixels.

    ``make_block(window)`` gives the bands of one block of ``grid``; ``progress(j)`` is
    called after block ``j``; ``is_canceled()`` is asked before every block (a cancel
    raises ``core.Canceled``). The product is written atomically with
    :class:`ProductWriter` (never over a path in ``protect``) and tagged
    ``VALID_PIXELS``; a cancel, an error, or a product without any valid pixel (the
    return value is then 0) leaves no file.
    """
    valid = 0
    with ProductWriter(path, FUSED_BANDS, grid.height, grid.width, grid.transform,
                       grid.crs, tags, protect=protect) as w:
        for j, win in enumerate(grid.blocks()):
            if is_canceled is not None and is_canceled():
                raise Canceled()          # the writer aborts on the exception
            block = make_block(win)
            valid += int(np.isfinite(block["vx"]).sum())
            w.write({b: block[b] for b in FUSED_BANDS}, win)
            progress(j)
        if valid == 0:
            w.abort()
        else:
            w.update_tags(VALID_PIXELS=valid)
    return valid


def month_block(by_source: Dict[str, list], present: Sequence[str], weights, grid: TargetGrid,
                window) -> Dict[str, np.ndarray]:
    """One block of a monthly product: every source's pairs composited, then fused.

    Parameters
    ----------
    by_source : dict source name → [(SourceReader, overlap fraction)]
    present : source names in fusion order
    weights : (len(present),) fusion weights, or None for per-pixel inverse variance
    grid, window : the target grid and the block (rasterio ``Window``)

    Returns
    -------
    dict band → float32 (rows, cols): the :data:`FUSED_BANDS` (``count`` = pairs).
    """
    shape = (len(present), int(window.height), int(window.width))
    cvx, cvy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    csx, csy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    pair_count = np.zeros(shape[1:], np.float32)
    for j, name in enumerate(present):
        readers = [r for r, _ in by_source[name]]
        fracs = [f for _, f in by_source[name]]
        vx, vy, sx, sy = read_stack(readers, grid, window)
        c = ts.composite_stack(vx, vy, fracs, sx, sy)
        cvx[j], cvy[j], csx[j], csy[j] = c["vx"], c["vy"], c["vx_error"], c["vy_error"]
        pair_count += c["count"]
    fused = cf.fuse_stack(cvx, cvy, weights, csx, csy)
    fused["count"] = pair_count
    return fused


@dataclass
class MonthPlan:
    """What goes into one monthly product.

    ``month`` (year, month); ``members`` [(index into the readers, overlap fraction)];
    ``pairs_tag`` the product's ``PAIRS`` tag (``name:fraction;...``) that names its
    inputs, used to decide whether an existing product is still current.
    """
    month: ts.Month
    members: List[Tuple[int, float]] = field(default_factory=list)
    pairs_tag: str = ""

    @property
    def label(self) -> str:
        return ts.month_label(self.month)


def check_dated(readers):
    """Raise ``ValueError`` naming the products without START_TIME/END_TIME tags."""
    undated = [os.path.basename(r.path) for r in readers if r.start is None or r.end is None]
    if undated:
        raise ValueError(f"{', '.join(undated)} lack START_TIME/END_TIME tags; monthly "
                         "products need the acquisition times of every pair")


def plan_months(readers, min_fraction: float = ts.DEFAULT_MIN_FRACTION,
                year: int = 0) -> Tuple[List[ts.Month], Dict[ts.Month, MonthPlan]]:
    """(months asked for, month → :class:`MonthPlan` for the months with pairs).

    ``year`` > 0 asks for its twelve months; 0 for every month from the first to the
    last month a pair is assigned to. Raises ``ValueError`` when no pair reaches
    ``min_fraction`` in any of those months.
    """
    check_dated(readers)
    assigned = ts.assign_months([(r.start, r.end) for r in readers], min_fraction)
    if year:
        months = ts.months_between((year, 1), (year, 12))
    elif assigned:
        months = ts.months_between(next(iter(assigned)), list(assigned)[-1])
    else:
        months = []
    if not assigned or not any(m in assigned for m in months):
        raise ValueError(
            "no pair overlaps " + (f"any month of {year}" if year else "a month") +
            f" by at least {min_fraction:g} of its time baseline; lower MIN_OVERLAP or "
            "choose another YEAR")
    plans = {}
    for m in months:
        members = assigned.get(m, [])
        if members:
            tag = ";".join(f"{os.path.basename(readers[i].path)}:{f:.3f}" for i, f in members)
            plans[m] = MonthPlan(m, list(members), tag)
    return months, plans


def write_month(folder: str, plan: MonthPlan, readers, names: Sequence[str], weights,
                weights_text: str, grid: TargetGrid, min_fraction: float,
                protect: Sequence[str], progress: Callable[[int], None] = lambda j: None,
                is_canceled: Optional[Callable[[], bool]] = None,
                method: str = "glacvel:monthly_velocity", extra_tags: Optional[dict] = None,
                cell_mask: Optional[Callable] = None) -> Tuple[str, int, List[str]]:
    """Write ``folder/YYYYMM.tif`` for one month; returns (path, valid pixels, sources).

    Parameters
    ----------
    folder : output folder (created if needed)
    plan : the month's :class:`MonthPlan` (from :func:`plan_months`)
    readers : the opened pair products (``io.grid.SourceReader``), indexed by the plan
    names : every source name (SENSOR) in fusion order; ``weights`` (len(names),) or None
    weights_text : how the weights were chosen, written in the ``WEIGHTS`` tag
    grid : the common target grid of every month
    min_fraction : the MIN_OVERLAP used for the assignment (tag)
    protect : paths never to write over (the inputs)
    progress(j) : called after block ``j``; ``is_canceled()`` asked before every block
    method : the product's METHOD tag; ``extra_tags`` further tags
    cell_mask : optional ``f(window) -> bool (rows, cols)`` of the cells to keep (the
        others become no data), e.g. the cells inside glacier outlines

    A month whose pairs give no valid pixel on the grid leaves no file (0 returned).
    """
    by_source: Dict[str, list] = {}
    for i, frac in plan.members:
        by_source.setdefault(readers[i].name, []).append((readers[i], frac))
    present = [n for n in names if n in by_source]
    Wm = None if weights is None else np.array([weights[list(names).index(n)] for n in present])
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"{plan.label}.tif")
    tags = fused_tags([r for r, _ in sum(by_source.values(), [])], method,
                      start=ts.month_start(*plan.month), end=ts.month_end(*plan.month),
                      WEIGHTS=weights_text, MONTH=plan.label, PAIRS=plan.pairs_tag,
                      MIN_OVERLAP=f"{min_fraction:g}",
                      TARGET_RESOLUTION=f"{grid.resolution:g}", **(extra_tags or {}))

    def block(win):
        b = month_block(by_source, present, Wm, grid, win)
        if cell_mask is not None:
            keep = cell_mask(win)
            for k in FUSED_BANDS:
                b[k] = np.where(keep, b[k], np.float32(np.nan)).astype(np.float32)
        return b

    valid = write_fused(path, grid, tags, protect, block, progress, is_canceled)
    return path, valid, present
