"""Monthly ``YYYYMM.tif`` products from pair products, with weights fitted per month.

The QGIS-free entry point of ``glacvel:monthly_velocity`` (and of batch jobs):
:func:`monthly_velocity`. Maths in :mod:`glacvel_plugin.core.timeseries` (month
assignment, composites, weights per period, held-out validation) and
:mod:`glacvel_plugin.core.fusion` (fusion, robust test, local scatter). See
docs/fusion.md.
"""
from __future__ import annotations

import csv
import datetime as _dt
import os
from dataclasses import dataclass, field
from typing import Callable, Collection, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from rasterio.windows import Window

from ..core import check_canceled
from ..core import fusion as cf
from ..core import timeseries as ts
from . import budget
from .grid import DEFAULT_BLOCK, NODATA, TargetGrid, open_sources, target_grid
from .product import ProductWriter, standard_tags
from .raster import reproject_to_grid

FUSED_BANDS = ("v", "vx", "vy", "v_error", "count", "vx_error", "vy_error")
DEFAULT_REFERENCE_MIN_OVERLAP = 0.5


@dataclass
class ReferenceSamples:
    """Reference velocities on pixels of the target grid, each with its own period.

    Attributes
    ----------
    rows, cols : ndarray
        int (n,), pixel of the target grid holding each sample.
    vx, vy : ndarray
        float (n,), reference velocity in m/d along the grid's axes.
    groups : ndarray
        (n,) station / polygon labels (the held-out units).
    start, end : sequence of datetime.datetime
        n naive UTC datetimes (period of each sample).
    kind : {"points", "raster"}
        GNSS points or UAV raster pixels.
    """
    rows: np.ndarray
    cols: np.ndarray
    vx: np.ndarray
    vy: np.ndarray
    groups: np.ndarray
    start: Sequence[_dt.datetime]
    end: Sequence[_dt.datetime]
    kind: str = "points"


def gnss_reference(records, grid: TargetGrid, crs=None) -> ReferenceSamples:
    """:class:`ReferenceSamples` of GNSS records (:func:`glacvel_plugin.io.gnss.read_gnss_files`).

    Groups are the station ids; every sample keeps its own start and end.

    Parameters
    ----------
    records : sequence of glacvel_plugin.io.gnss.GnssRecord
        The station velocities (m/d).
    grid : TargetGrid
        The target grid of the monthly products.
    crs : optional
        CRS of the records' coordinates (anything ``rasterio.crs.CRS.from_user_input``
        takes); default the grid's CRS. Records in another CRS are moved into the grid's:
        positions at both dates are transformed and the velocity recomputed along the
        grid's axes (records of the ``velocity`` layout: the vector is mapped with the
        local derivative of the transformation, from a 1000-day step).

    Returns
    -------
    ReferenceSamples
        ``kind`` ``"points"``; rows/cols may lie outside the grid.

    Raises
    ------
    ValueError
        When ``records`` is empty.
    """
    import rasterio.crs
    import rasterio.warp
    recs = list(records)
    if not recs:
        raise ValueError("no GNSS record given")
    src = rasterio.crs.CRS.from_user_input(crs) if crs is not None else grid.crs
    x = np.array([r.x for r in recs], float)
    y = np.array([r.y for r in recs], float)
    vx = np.array([r.vx for r in recs], float)
    vy = np.array([r.vy for r in recs], float)
    if src != grid.crs:
        days = np.array([r.days for r in recs], float)
        have_pos = np.array([np.isfinite(r.start_x) for r in recs])
        x0 = np.where(have_pos, [r.start_x for r in recs], x - vx * 500.0)
        y0 = np.where(have_pos, [r.start_y for r in recs], y - vy * 500.0)
        x1 = np.where(have_pos, [r.end_x for r in recs], x + vx * 500.0)
        y1 = np.where(have_pos, [r.end_y for r in recs], y + vy * 500.0)
        dt_ = np.where(have_pos, days, 1000.0)
        a = np.array(rasterio.warp.transform(src, grid.crs, x0, y0))
        b = np.array(rasterio.warp.transform(src, grid.crs, x1, y1))
        x, y = (a[0] + b[0]) / 2, (a[1] + b[1]) / 2
        vx, vy = (b[0] - a[0]) / dt_, (b[1] - a[1]) / dt_
    rc = np.array([grid.index(xx, yy) for xx, yy in zip(x, y)], dtype=int).reshape(-1, 2)
    return ReferenceSamples(rc[:, 0], rc[:, 1], vx, vy, np.array([r.station for r in recs]),
                            [r.start for r in recs], [r.end for r in recs], "points")


def raster_reference(paths: Sequence[str], grid: TargetGrid,
                     polygons: Optional[Sequence[dict]] = None,
                     param: str = "REFERENCE_RASTER",
                     is_canceled: Optional[Callable[[], bool]] = None) -> ReferenceSamples:
    """:class:`ReferenceSamples` of reference velocity rasters (e.g. UAV) inside polygons.

    The reference of ``glacvel:monthly_velocity``'s REFERENCE_RASTER /
    REFERENCE_POLYGONS and of the dataset job. Each raster is read block by block onto
    the target grid as the sources are (:class:`~glacvel_plugin.io.grid.SourceReader`);
    every pixel with finite ``vx`` and ``vy`` inside a polygon is one sample.

    Parameters
    ----------
    paths : sequence of str
        Reference velocity products: ``vx``, ``vy`` bands (m/d, x east-positive, y
        north-positive on north-up rasters), ``START_TIME`` and ``END_TIME`` tags giving
        the period the velocity stands for (e.g. between two UAV surveys). Several
        rasters (one per survey period) are allowed; any CRS (read onto ``grid``).
    grid : glacvel_plugin.io.grid.TargetGrid
        Target grid of the monthly products; sample rows/columns are pixel indices of it.
    polygons : sequence of dict, optional
        GeoJSON geometries in the grid's CRS where the reference is used; polygon ``i``
        (1-based) is the held-out group ``"i"`` of the validation (the same polygon in
        several rasters is one group). None or empty: every valid pixel of a raster, one
        group ``"1"`` (no cross-validation). Empty geometries are ignored.
    param : str, optional
        Parameter named in error messages (default ``REFERENCE_RASTER``).
    is_canceled : callable, optional
        ``is_canceled() -> bool``, polled once per grid block.

    Returns
    -------
    ReferenceSamples
        Kind ``"raster"``: grid rows and columns (int), ``vx``, ``vy`` (float64, m/d),
        the group label (str) of each sample, and each sample's raster period
        (``start``, ``end`` datetimes).

    Raises
    ------
    ValueError
        ``paths`` is empty; a raster cannot be read as a velocity product; a raster has
        no ``START_TIME``/``END_TIME`` tags; or a raster has no valid pixel inside the
        polygons on the grid. Messages name ``param`` and the file.
    glacvel_plugin.core.Canceled
        When ``is_canceled()`` returns True.
    """
    from .grid import SourceReader
    from .raster import rasterize_labels
    if not paths:
        raise ValueError(f"{param}: no reference raster given")
    polys = [g for g in (polygons or []) if g]
    out = {k: [] for k in ("r", "c", "vx", "vy", "g", "start", "end")}
    for path in paths:
        base = os.path.basename(path)
        try:
            ref = SourceReader(path)
        except ValueError as exc:
            raise ValueError(f"{param} {base}: {exc}") from exc
        try:
            if ref.start is None or ref.end is None:
                raise ValueError(f"{param} {base} has no START_TIME/END_TIME tags; weights per "
                                 "month need the period of the reference velocity (tag the "
                                 "raster, e.g. with glacvel:import_velocity)")
            n0 = sum(len(a) for a in out["r"])
            for win in grid.blocks():
                check_canceled(is_canceled)
                if ref.source_window(grid, win, margin=0) is None:
                    continue
                shape = (int(win.height), int(win.width))
                labels = (rasterize_labels(polys, grid.window_transform(win), shape) if polys
                          else np.ones(shape, np.int32))
                if not labels.any():
                    continue
                d = ref.read(("vx", "vy"), grid, win)
                sel = (labels > 0) & np.isfinite(d["vx"]) & np.isfinite(d["vy"])
                if not sel.any():
                    continue
                rr, cc = np.nonzero(sel)
                out["r"].append(rr + int(win.row_off))
                out["c"].append(cc + int(win.col_off))
                out["vx"].append(d["vx"][sel].astype(float))
                out["vy"].append(d["vy"][sel].astype(float))
                out["g"].append(labels[sel].astype(str))
                out["start"] += [ref.start] * len(rr)
                out["end"] += [ref.end] * len(rr)
            if sum(len(a) for a in out["r"]) == n0:
                raise ValueError(f"{param} {base} has no valid pixel "
                                 + ("inside the reference polygons " if polys else "")
                                 + "on the monthly grid; check the raster, the polygons and "
                                 "their CRS")
        finally:
            ref.close()
    return ReferenceSamples(np.concatenate(out["r"]), np.concatenate(out["c"]),
                            np.concatenate(out["vx"]), np.concatenate(out["vy"]),
                            np.concatenate(out["g"]), out["start"], out["end"], "raster")


@dataclass
class MonthlyResult:
    """What :func:`monthly_velocity` wrote and fitted.

    ``written``/``empty``: month labels; ``files``: paths of the YYYYMM.tif;
    ``source_files``: label → {source: path} of per-source composites;
    ``weights``: label → :class:`~glacvel_plugin.core.timeseries.PeriodWeights`;
    ``rejected``: label → {source: pixels dropped by the robust test};
    ``valid``: label → valid pixels; ``validation``: rows of
    :func:`~glacvel_plugin.core.timeseries.heldout_validation`; ``table``: CSV path;
    ``kept``: months with pairs left as they were (not in ``months_to_write``).
    """
    written: List[str] = field(default_factory=list)
    empty: List[str] = field(default_factory=list)
    files: List[str] = field(default_factory=list)
    source_files: Dict[str, Dict[str, str]] = field(default_factory=dict)
    weights: Dict[str, ts.PeriodWeights] = field(default_factory=dict)
    rejected: Dict[str, Dict[str, int]] = field(default_factory=dict)
    valid: Dict[str, int] = field(default_factory=dict)
    validation: List[dict] = field(default_factory=list)
    table: Optional[str] = None
    notes: List[str] = field(default_factory=list)
    kept: List[str] = field(default_factory=list)


def _noop(*_a, **_k):
    return None


def read_scatter(reader, grid: TargetGrid, window: Window,
                 size: int = cf.LOCAL_SCATTER_SIZE) -> np.ndarray:
    """Local scatter of one product on a block of the target grid.

    Computed (:func:`~glacvel_plugin.core.fusion.local_scatter`) on the product's own
    pixels around the block, then brought onto the block like vx.

    Parameters
    ----------
    reader : glacvel_plugin.io.grid.SourceReader
        The product.
    grid : TargetGrid
        The target grid.
    window : rasterio.windows.Window
        A block of ``grid``.
    size : int, default core.fusion.LOCAL_SCATTER_SIZE
        Scatter window (source pixels, odd).

    Returns
    -------
    ndarray
        float32 (h, w), m/d, NaN where the product has no data.
    """
    shape = (int(window.height), int(window.width))
    sw = reader.source_window(grid, window, margin=size // 2 + 2)
    if sw is None:
        return np.full(shape, np.nan, np.float32)
    comps = []
    for b in ("vx", "vy"):
        idx = reader.bands.index(b) + 1
        a = reader.ds.read(idx, window=sw).astype(np.float32)
        nd = reader.ds.nodatavals[idx - 1]
        if nd is not None and not np.isnan(nd):
            a[a == nd] = np.nan
        a[a == NODATA] = np.nan
        comps.append(a * np.float32(reader.factor))
    s = cf.local_scatter(comps[0], comps[1], size)
    return reproject_to_grid(s, reader.ds.window_transform(sw), reader.crs,
                             grid.window_transform(window), grid.crs, shape,
                             resampling=reader.resampling_for(grid, "vx"))


def _read_stack(readers, grid, window, scatter):
    k = len(readers)
    shape = (k, int(window.height), int(window.width))
    vx, vy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    sx, sy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    for i, r in enumerate(readers):
        d = r.read(("vx", "vy"), grid, window)
        vx[i], vy[i] = d["vx"], d["vy"]
        if np.isfinite(vx[i]).any():
            sx[i], sy[i] = r.read_sigma(grid, window)
            if scatter and r.sigma_override is None:   # SOURCE_ERRORS: the user's σ
                # the larger of the error band and the local scatter: a right band
                # (white noise of that σ) gives a scatter ≈ σ and stays; a band that
                # misses noisy correlation (e.g. near a footprint's edge) is raised
                s = read_scatter(r, grid, window, scatter)
                s = np.where(np.isfinite(s), s, 0.0)
                sx[i] = np.where(np.isfinite(sx[i]), np.maximum(sx[i], s), sx[i])
                sy[i] = np.where(np.isfinite(sy[i]), np.maximum(sy[i], s), sy[i])
    return vx, vy, sx, sy


def _composites(by_source, present, grid, win, scatter):
    """Per-source monthly composites on one block: (k, h, w) vx, vy, σx, σy, pair count."""
    shape = (len(present), int(win.height), int(win.width))
    cvx, cvy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    csx, csy = np.full(shape, np.nan, np.float32), np.full(shape, np.nan, np.float32)
    counts = np.zeros(shape, np.float32)
    for j, name in enumerate(present):
        readers = [r for r, _ in by_source[name]]
        fracs = [f for _, f in by_source[name]]
        vx, vy, sx, sy = _read_stack(readers, grid, win, scatter)
        c = ts.composite_stack(vx, vy, fracs, sx, sy)
        cvx[j], cvy[j], csx[j], csy[j], counts[j] = (c["vx"], c["vy"], c["vx_error"],
                                                     c["vy_error"], c["count"])
    return cvx, cvy, csx, csy, counts


def _sample_composites(by_source, present, grid, rows, cols, scatter):
    """Composites of the month's sources at target pixels (rows, cols): (n, k) arrays."""
    n, k = len(rows), len(present)
    out = [np.full((n, k), np.nan) for _ in range(4)]
    inside = (rows >= 0) & (rows < grid.height) & (cols >= 0) & (cols < grid.width)
    tiles: Dict[tuple, list] = {}
    for i in np.flatnonzero(inside):
        tiles.setdefault((rows[i] // DEFAULT_BLOCK, cols[i] // DEFAULT_BLOCK), []).append(i)
    for idx in tiles.values():
        idx = np.array(idx)
        r0, r1 = rows[idx].min(), rows[idx].max() + 1
        c0, c1 = cols[idx].min(), cols[idx].max() + 1
        win = Window(int(c0), int(r0), int(c1 - c0), int(r1 - r0))
        comp = _composites(by_source, present, grid, win, scatter)
        for a, o in zip(comp[:4], out):
            o[idx] = a[:, rows[idx] - r0, cols[idx] - c0].T
    return out


def _tags(readers, start, end, sensor, **extra):
    names = list(dict.fromkeys(r.name for r in readers))
    extra.update(SOURCES=",".join(names),
                 INPUTS=";".join(os.path.basename(r.path) for r in readers))
    return standard_tags(sensor, start, end, "glacvel:monthly_velocity", **extra)


def _write(path, grid, tags, protect, make_block, is_canceled, progress, outlier_names=None):
    valid = 0
    extra: Dict[str, np.ndarray] = {}
    with ProductWriter(path, FUSED_BANDS, grid.height, grid.width, grid.transform,
                       grid.crs, tags, protect=protect) as w:
        for j, win in enumerate(grid.blocks()):
            check_canceled(is_canceled)
            block = make_block(win)
            valid += int(np.isfinite(block["vx"]).sum())
            if "rejected_by_source" in block:
                extra["rejected"] = extra.get("rejected", 0) + block["rejected_by_source"]
            w.write({b: block[b] for b in FUSED_BANDS}, win)
            progress(j)
        if valid == 0:
            w.abort()
        else:
            w.update_tags(VALID_PIXELS=valid)
            if "rejected" in extra and outlier_names:
                w.update_tags(OUTLIERS=",".join(f"{n}={int(c)}" for n, c in
                                                zip(outlier_names, extra["rejected"])))
    return valid, extra.get("rejected")


def apply_source_errors(readers, errors: Optional[Mapping[str, float]]):
    """Give the readers of the named sources a fixed σ instead of their bands and tags.

    Parameters
    ----------
    readers : sequence of glacvel_plugin.io.grid.SourceReader
        The sources; their :attr:`~glacvel_plugin.io.grid.SourceReader.sigma_override`
        is set.
    errors : mapping or None
        SENSOR → 1-σ in m/d (the SOURCE_ERRORS parameter); None or empty changes nothing.

    Raises
    ------
    ValueError
        For a name that is no source's SENSOR or a negative σ.
    """
    errs = dict(errors or {})
    unknown = sorted(set(errs) - {r.name for r in readers})
    if unknown:
        raise ValueError(f"SOURCE_ERRORS names {', '.join(unknown)}, which is not the "
                         "SENSOR of any source")
    for r in readers:
        if r.name in errs:
            if errs[r.name] < 0:
                raise ValueError(f"SOURCE_ERRORS of {r.name} must not be negative")
            r.sigma_override = (errs[r.name], errs[r.name])


def _pairs_tag(by_source) -> str:
    """The ``PAIRS`` tag of a month: ``name:overlap fraction`` of every pair, by source."""
    return ";".join(f"{os.path.basename(r.path)}:{f:.3f}" for s in by_source.values()
                    for r, f in s)


def _assign(readers, min_overlap: float, year: int):
    """(months asked for, month → {source name: [(reader, overlap fraction)]})."""
    undated = [os.path.basename(r.path) for r in readers if r.start is None or r.end is None]
    if undated:
        raise ValueError(f"{', '.join(undated)} lack START_TIME/END_TIME tags; monthly "
                         "products need the acquisition times of every pair")
    assigned = ts.assign_months([(r.start, r.end) for r in readers], min_overlap)
    if year:
        months = ts.months_between((year, 1), (year, 12))
    elif assigned:
        months = ts.months_between(next(iter(assigned)), list(assigned)[-1])
    else:
        months = []
    if not assigned or not any(m in assigned for m in months):
        raise ValueError(
            "no pair overlaps " + (f"any month of {year}" if year else "a month") +
            f" by at least {min_overlap:g} of its time baseline; lower MIN_OVERLAP or "
            "choose another YEAR")
    by_month: Dict[ts.Month, Dict[str, list]] = {}
    for month in months:
        for i, frac in assigned.get(month, []):
            by_month.setdefault(month, {}).setdefault(readers[i].name, []).append(
                (readers[i], frac))
    return months, by_month


def plan_months(paths: Sequence[str], min_overlap: float = ts.DEFAULT_MIN_FRACTION,
                year: int = 0) -> Tuple[List[str], Dict[str, str]]:
    """Which pairs :func:`monthly_velocity` puts into which month, without writing anything.

    Parameters
    ----------
    paths : glacvel pair products (START_TIME/END_TIME tags)
    min_overlap, year : as in :func:`monthly_velocity`

    Returns
    -------
    (labels, pairs) : every month asked for (``YYYYMM``) and, for the months with pairs,
        the ``PAIRS`` tag their product will carry (``name:fraction;…``); a product whose
        tag differs was made from other pairs.

    Raises
    ------
    ValueError
        undated products, or no pair in any requested month.
    """
    with open_sources(list(paths)) as readers:
        months, by_month = _assign(readers, min_overlap, year)
        return ([ts.month_label(m) for m in months],
                {ts.month_label(m): _pairs_tag(bs) for m, bs in by_month.items()})


def monthly_velocity(paths: Sequence[str], output_folder: str,
                     grid: Optional[TargetGrid] = None, *,
                     weights: Optional[Mapping[str, float]] = None,
                     source_errors: Optional[Mapping[str, float]] = None,
                     min_overlap: float = ts.DEFAULT_MIN_FRACTION, year: int = 0,
                     reference: Optional[ReferenceSamples] = None,
                     method: str = ts.CALIBRATED, window: int = 0,
                     min_samples: int = ts.DEFAULT_MIN_SAMPLES,
                     min_groups: int = ts.DEFAULT_MIN_GROUPS,
                     shrinkage: float = ts.DEFAULT_SHRINKAGE,
                     reference_min_overlap: float = DEFAULT_REFERENCE_MIN_OVERLAP,
                     robust: Optional[float] = cf.ROBUST_CHI2,
                     scatter: int = cf.LOCAL_SCATTER_SIZE,
                     source_composites: bool = False, validate: bool = True,
                     table: Optional[str] = None,
                     months_to_write: Optional[Collection[str]] = None,
                     extra_tags: Optional[Mapping[str, str]] = None,
                     grid_param: str = "TARGET_RESOLUTION",
                     cell_mask: Optional[Callable[[Window], np.ndarray]] = None,
                     log: Callable[[str], None] = _noop, warn: Callable[[str], None] = _noop,
                     progress: Callable[[float], None] = _noop,
                     is_canceled: Optional[Callable[[], bool]] = None) -> MonthlyResult:
    """Write one ``YYYYMM.tif`` per month with data, fusing the sources with per-month weights.

    Parameters
    ----------
    paths : glacvel pair products (SENSOR, START_TIME, END_TIME, UNITS tags; vx, vy
        bands, errors as bands or tags)
    output_folder : where ``YYYYMM.tif`` (and ``YYYYMM_<SENSOR>.tif``, the table) go
    grid : target grid; default :func:`glacvel_plugin.io.grid.target_grid` of the inputs
        (UTM zone of the data, 30 m)
    weights : fixed weights by source name for every month (``{"L8": 0.6, "S2": 0.4}``);
        mutually exclusive with ``reference``. Neither: per-pixel inverse variance.
    source_errors : 1-σ (m/d) per source name, overriding bands and tags
    min_overlap : share of a pair's Δt inside a month for it to count there
    year : the twelve months of a year (0 = the months spanned by the pairs)
    reference : :class:`ReferenceSamples` (GNSS stations or UAV pixels with their own
        periods); a sample counts for the months where its period's overlap fraction
        is ≥ ``reference_min_overlap``. Weights are then fitted per month
        (:func:`glacvel_plugin.core.timeseries.fit_period_weights`), with the
        documented fallbacks.
    method : str
        Fit method, one of ``core.timeseries.PERIOD_METHODS`` (default
        ``"error-calibrated"``).
    window : int
        Months on each side pooled into a month's fit (0 = the month alone).
    min_samples, min_groups : int
        Complete samples and distinct stations / polygons a month's fit needs.
    shrinkage : float
        n0 of the shrinkage of a month's fit towards the all-period fit (0 = none).
    reference_min_overlap : float
        Overlap fraction of a reference sample's period with a month for it to count
        there.
    robust : χ² threshold of the per-pixel outlier test (default 9.21); None/0 = off
    scatter : window (source pixels, odd ≥ 3) of the local scatter
        (:func:`~glacvel_plugin.core.fusion.local_scatter`); every pair's σ becomes
        max(σ, scatter) per pixel (σ unknown stays unknown); 0 = off
    source_composites : also write each source's composite ``YYYYMM_<SENSOR>.tif``
        (SENSOR = that source) for months with ≥ 2 sources
    validate : with ``reference``, leave-one-station/polygon-out validation per month
    table : CSV path of the per-month weights and validation (default
        ``output_folder/monthly_weights.csv`` when there is something to tabulate)
    months_to_write : labels (``YYYYMM``) of the months to write; the others are planned
        and their weights fitted as usual but their products are left as they are
        (None = every month); the dataset job rebuilds only the months its pairs touched
    extra_tags : further tags of every monthly product (e.g. the dataset's key)
    grid_param : the parameter that set the grid's resolution, named when the grid is
        refused (:func:`glacvel_plugin.io.budget.check_grid`: absurd size, or the
        months would not fit in the free space of ``output_folder``)
    cell_mask : ``f(window) -> bool (rows, cols)`` of the grid cells to keep; the others
        become no data (e.g. the cells inside glacier outlines)
    log, warn, progress, is_canceled : callables for messages, progress in [0, 1] and
        cancel (raises :class:`glacvel_plugin.core.Canceled`)

    Returns
    -------
    :class:`MonthlyResult`

    Raises
    ------
    ValueError
        undated products, no pair in any requested month, both ``weights`` and
        ``reference``, bad weights/errors, a reference outside every month, a grid
        too large (see ``grid_param``).
    """
    if weights and reference is not None:
        raise ValueError("give either fixed WEIGHTS or a reference to fit them per month, "
                         "not both")
    grid = grid or target_grid(list(paths))
    budget.check_grid(grid.width, grid.height, grid.resolution, len(FUSED_BANDS),
                      folder=output_folder, param=grid_param)
    res = MonthlyResult()
    with open_sources(list(paths)) as readers:
        apply_source_errors(readers, source_errors)
        months, by_month = _assign(readers, min_overlap, year)
        n_products = sum(1 + (len(bs) if source_composites and len(bs) >= 2 else 0)
                         for m, bs in by_month.items()
                         if months_to_write is None or ts.month_label(m) in months_to_write)
        budget.check_grid(grid.width, grid.height, grid.resolution, len(FUSED_BANDS),
                          n_products, folder=output_folder, param=grid_param)
        os.makedirs(output_folder, exist_ok=True)
        names = list(dict.fromkeys(r.name for r in readers))
        W_fixed = cf.weights_for(names, weights) if weights else None
        present = {m: [n for n in names if n in bs] for m, bs in by_month.items()}

        # ---- per-month weights from the reference
        fits: Dict[ts.Month, ts.PeriodWeights] = {}
        samples: Dict[ts.Month, ts.MonthSamples] = {}
        if reference is not None:
            periods = list(zip(reference.start, reference.end))
            ref_months = ts.assign_months(periods, reference_min_overlap)
            for month, members in ref_months.items():
                if month not in by_month:
                    continue
                check_canceled(is_canceled)
                idx = np.array([i for i, _ in members])
                vals = _sample_composites(by_month[month], present[month], grid,
                                          np.asarray(reference.rows)[idx],
                                          np.asarray(reference.cols)[idx], scatter)
                samples[month] = ts.MonthSamples(
                    present[month], vals[0], vals[1], vals[2], vals[3],
                    np.asarray(reference.vx, float)[idx], np.asarray(reference.vy, float)[idx],
                    np.asarray(reference.groups).astype(str)[idx])
            if not samples:
                res.notes.append("no reference sample falls in a month with pairs (overlap "
                                 f"fraction ≥ {reference_min_overlap:g}); weights of every "
                                 "month fall back to per-pixel inverse variance")
            fit_kw = dict(method=method, window=window, min_samples=min_samples,
                          shrinkage=shrinkage, min_groups=min_groups)
            fits = ts.fit_period_weights(samples, present, **fit_kw)
            if validate and samples:
                res.validation = ts.heldout_validation(samples, present, robust=robust,
                                                       **fit_kw)

        # ---- products
        n_steps = max(1, len(by_month) * grid.n_blocks())
        step = 0
        for month in months:
            label = ts.month_label(month)
            check_canceled(is_canceled)
            if month not in by_month:
                res.empty.append(label)
                log(f"{label}: no pair")
                continue
            by_source = by_month[month]
            here = present[month]
            if reference is not None:
                pw = fits[month]
            elif W_fixed is not None:
                pw = ts.PeriodWeights(here, np.array([W_fixed[names.index(n)] for n in here]),
                                      "given", "WEIGHTS parameter", months=[month])
            else:
                pw = ts.PeriodWeights(here, None, "inverse-variance",
                                      "per-pixel inverse variance (no WEIGHTS, no reference)")
            res.weights[label] = pw
            wtext = cf.format_weights(pw.as_dict()) if pw.weights is not None \
                else "inverse-variance per pixel"
            if pw.error_scale is not None:
                wtext += ", errors scaled by " + cf.format_weights(pw.scale_dict())
            members = [r for s in by_source.values() for r, _ in s]
            sensor = here[0] if len(here) == 1 else "FUSED"
            extra = dict(WEIGHTS=wtext, WEIGHTS_BASIS=pw.basis, WEIGHTS_NOTE=pw.note,
                         WEIGHTS_METHOD=method if reference is not None else
                         ("given" if W_fixed is not None else "inverse-variance"),
                         WEIGHTS_N_SAMPLES=pw.n_samples, MONTH=label,
                         PAIRS=_pairs_tag(by_source),
                         MIN_OVERLAP=f"{min_overlap:g}",
                         TARGET_RESOLUTION=f"{grid.resolution:g}",
                         UNCERTAINTY=("max(error band/tag, local scatter "
                                      f"{scatter}×{scatter} source px)" if scatter
                                      else "error bands/tags"),
                         ROBUST_CHI2=f"{robust:g}" if robust else "off",
                         **dict(extra_tags or {}))
            if months_to_write is not None and label not in months_to_write:
                step += grid.n_blocks()
                res.kept.append(label)
                continue
            path = os.path.join(output_folder, f"{label}.tif")
            tags = _tags(members, ts.month_start(*month), ts.month_end(*month), sensor, **extra)
            if pw.error_scale is not None:
                extra["ERROR_SCALE"] = cf.format_weights(pw.scale_dict())
                tags["ERROR_SCALE"] = extra["ERROR_SCALE"]
            Wm = pw.weights
            C = None if pw.error_scale is None else \
                np.asarray(pw.error_scale, np.float32)[:, None, None]

            def block(win, by_source=by_source, here=here, Wm=Wm, C=C):
                cvx, cvy, csx, csy, counts = _composites(by_source, here, grid, win, scatter)
                if C is not None:
                    csx, csy = csx * C, csy * C
                f = cf.fuse_stack(cvx, cvy, Wm, csx, csy, robust=robust)
                f["count"] = counts.sum(axis=0)
                if cell_mask is not None:
                    outside = ~cell_mask(win)
                    for k in FUSED_BANDS:
                        f[k] = np.where(outside, np.float32(np.nan), f[k]).astype(np.float32)
                return f

            valid, rejected = _write(
                path, grid, tags, list(paths), block, is_canceled,
                lambda j, done=step: progress((done + j + 1) / n_steps),
                outlier_names=here if robust and len(here) > 1 else None)
            step += grid.n_blocks()
            if not valid:
                res.empty.append(label)
                warn(f"{label}: pairs assigned but no valid pixel on the grid")
                continue
            res.written.append(label)
            res.files.append(path)
            res.valid[label] = valid
            if rejected is not None:
                res.rejected[label] = dict(zip(here, map(int, rejected)))
            log(f"{label}: {len(members)} pair(s) from {', '.join(here)}; weights {wtext} "
                f"({pw.basis}); {valid} valid pixels → {path}")
            if source_composites and len(here) > 1:
                res.source_files[label] = {}
                for j, name in enumerate(here):
                    sp = os.path.join(output_folder, f"{label}_{name}.tif")
                    rs = [r for r, _ in by_source[name]]
                    stags = _tags(rs, ts.month_start(*month), ts.month_end(*month), name,
                                  MONTH=label, MIN_OVERLAP=f"{min_overlap:g}",
                                  PAIRS=";".join(f"{os.path.basename(r.path)}:{f:.3f}"
                                                 for r, f in by_source[name]),
                                  TARGET_RESOLUTION=f"{grid.resolution:g}",
                                  UNCERTAINTY=extra["UNCERTAINTY"])

                    def sblock(win, name=name, by_source=by_source):
                        cvx, cvy, csx, csy, counts = _composites(
                            {name: by_source[name]}, [name], grid, win, scatter)
                        f = cf.fuse_stack(cvx, cvy, None, csx, csy)
                        f["count"] = counts[0]
                        return f

                    v, _ = _write(sp, grid, stags, list(paths), sblock, is_canceled, _noop)
                    if v:
                        res.source_files[label][name] = sp
    if reference is not None or table:
        res.table = table or os.path.join(output_folder, "monthly_weights.csv")
        write_table(res, names, res.table)
    return res


def _kept_valid(folder: str, label: str) -> int:
    """VALID_PIXELS tag of a month's product left as it was (0 when unreadable)."""
    import rasterio
    try:
        with rasterio.open(os.path.join(folder, f"{label}.tif")) as ds:
            return int(ds.tags().get("VALID_PIXELS", 0))
    except Exception:
        return 0


def write_table(res: MonthlyResult, names: Sequence[str], path: str) -> str:
    """The per-month table (weights, basis, outliers, held-out RMSE) as CSV, atomically.

    One row per month written, and per month kept as it was (:attr:`MonthlyResult.kept`:
    its weights are fitted again, its valid pixels read from its ``VALID_PIXELS`` tag,
    its outlier counts are not known), in month order.

    Columns: ``month``, ``basis``, ``W_<source>``, ``error_scale_<source>``,
    ``n_samples``, ``n_groups``, ``valid_pixels``, ``outliers_<source>``,
    ``heldout_groups``, ``heldout_fused_rmse`` (m/d), ``heldout_<source>_rmse`` (m/d),
    ``note``. Numbers are written with 6 significant digits; missing or non-finite
    values are empty cells.

    Parameters
    ----------
    res : MonthlyResult
        Result of :func:`monthly_velocity`. Every month in ``res.written`` and
        ``res.kept`` must have an entry in ``res.weights``. ``res.valid`` gains the
        ``VALID_PIXELS`` count of each kept month not already in it (0 when its
        ``YYYYMM.tif`` in the folder of ``path`` is unreadable).
    names : sequence of str
        Source names, in column order.
    path : str
        Destination CSV (``monthly_weights.csv`` beside the monthly products); written
        through a temporary file and renamed when complete.

    Returns
    -------
    str
        ``path``.
    """
    from .files import atomic_write_text
    val = {v["month"]: v for v in res.validation}
    labels = sorted(set(res.written) | set(res.kept))
    for label in res.kept:
        res.valid.setdefault(label, _kept_valid(os.path.dirname(path), label))
    head = (["month", "basis"] + [f"W_{n}" for n in names] + [f"error_scale_{n}" for n in names] +
            ["n_samples", "n_groups", "valid_pixels"] + [f"outliers_{n}" for n in names] +
            ["heldout_groups", "heldout_fused_rmse"] + [f"heldout_{n}_rmse" for n in names] +
            ["note"])

    def write(f):
        w = csv.writer(f)
        w.writerow(head)
        for label in labels:
            pw = res.weights[label]
            wd = pw.as_dict()
            v = val.get(label, {})
            rej = res.rejected.get(label, {})
            sc = pw.scale_dict()
            w.writerow([label, pw.basis] + [_fmt(wd.get(n)) for n in names] +
                       [_fmt(sc.get(n)) for n in names] +
                       [pw.n_samples, pw.n_groups, res.valid.get(label, 0)] +
                       [rej.get(n, "") for n in names] +
                       [v.get("groups", ""), _fmt(v.get("fused_rmse"))] +
                       [_fmt(v.get("source_rmse", {}).get(n)) for n in names] + [pw.note])
    return atomic_write_text(path, write, newline="")


def _fmt(x):
    if x is None:
        return ""
    try:
        return "" if not np.isfinite(x) else f"{float(x):.6g}"
    except TypeError:
        return str(x)
