"""Files of multi-source fusion: the common grid, the reference samples, fused products
and the fusion/validation reports.

What ``glacvel:fit_fusion_weights``, ``glacvel:fuse_velocity``,
``glacvel:monthly_velocity`` and ``glacvel:validate_velocity`` do once their
parameters are read (:mod:`glacvel_plugin.processing_provider.alg_fusion`). The
reference comes in as plain values: :class:`PointRecords` (GNSS stations already in
the grid's CRS) or :class:`RasterRecords` (a reference velocity product and GeoJSON
polygons in the grid's CRS). Maths: :mod:`glacvel_plugin.core.fusion`,
:mod:`glacvel_plugin.core.reference`; monthly products: :mod:`glacvel_plugin.io.monthly`.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..core import check_canceled
from ..core import fusion as cf
from ..core.reference import Reference, unique_labels, validation_stats
from . import budget, monthly
from .grid import (DEFAULT_BLOCK, SourceReader, TargetGrid, open_sources, sample_points,
                   target_grid)
from .info import geometry_bounds, pixel_window, transform_bounds
from .product import ProductWriter, standard_tags
from .raster import rasterize_labels
from .report import HtmlReport

FUSED_BANDS = ("v", "vx", "vy", "v_error", "count", "vx_error", "vy_error")
"""Bands of a fused product (m/d; ``count`` = sources present)."""


def _noop(*_a, **_k):
    return None


# --------------------------------------------------------------------------- grid
def checked_grid(paths: Sequence[str], crs=None, resolution: Optional[float] = None,
                 extent=None, extent_crs=None, folder: Optional[str] = None) -> TargetGrid:
    """The common grid of ``paths`` (:func:`glacvel_plugin.io.grid.target_grid`), refused
    when its fused products would not fit in memory or on the disk of ``folder``.

    Parameters
    ----------
    paths : sequence of str
        Velocity products.
    crs : WKT str or None
        Target CRS; None = the UTM zone of the data.
    resolution : float
        Pixel size in metres.
    extent : (xmin, ymin, xmax, ymax) or None
        Extent in ``extent_crs``; None = union of the sources.
    extent_crs : WKT str or None
        CRS of ``extent``; None = the target CRS.
    folder : str or None
        Where the products are written (its free disk is checked; None: not checked).

    Returns
    -------
    TargetGrid
        North-up grid with square pixels of ``resolution`` m.

    Raises
    ------
    ValueError
        From :func:`glacvel_plugin.io.grid.target_grid`: no input, an unreadable input
        or one without CRS, a non-positive resolution, a geographic target CRS or an
        empty extent. From :func:`glacvel_plugin.io.budget.check_grid`: a grid too
        large for memory or for the free space of ``folder`` (one product of
        :data:`glacvel_plugin.io.monthly.FUSED_BANDS`), with the TARGET_RESOLUTION that
        would fit.
    """
    grid = target_grid(paths, crs=crs, resolution=resolution, extent=extent,
                       extent_crs=extent_crs)
    budget.check_grid(grid.width, grid.height, grid.resolution, len(monthly.FUSED_BANDS),
                      folder=folder)
    return grid


def validation_grid(path: str) -> TargetGrid:
    """The grid of the product ``path`` (resampled to square pixels if they are not).

    Parameters
    ----------
    path : str
        A velocity product (``vx``, ``vy`` bands, projected CRS).

    Returns
    -------
    TargetGrid
        The product's own CRS, transform and size when its pixels are square (to a
        relative 1e-6); otherwise :func:`glacvel_plugin.io.grid.target_grid` of the
        product in its CRS at its x pixel size (m).

    Raises
    ------
    ValueError, ProductError
        As :class:`~glacvel_plugin.io.grid.SourceReader` (unreadable file, no or
        geographic CRS, missing or unknown ``UNITS``, missing ``vx``/``vy`` band).
    """
    with SourceReader(path) as reader:
        ds = reader.ds
        res = abs(ds.transform.a)
        grid = TargetGrid(ds.crs, ds.transform, ds.width, ds.height)
        if abs(abs(ds.transform.e) - res) > 1e-6 * res:
            grid = target_grid([path], crs=ds.crs, resolution=res)
    return grid


# --------------------------------------------------------------------------- reference
@dataclass
class PointRecords:
    """Reference points (e.g. GNSS stations) read from a layer, in the grid's CRS.

    The fields are also the constructor's parameters; every list has one entry per
    point (n).

    Attributes
    ----------
    xy : list of (float, float)
        Point coordinates (x, y) in the grid CRS (m).
    vx, vy : list of float
        Reference velocity along the grid's x (east) and y (north) axes (m/d).
    groups : list of str
        Station labels (the samples of a station are held out together).
    start, end : list of datetime.datetime or None
        Period of each point (naive UTC; None when the layer gives none).
    skipped : int
        Points of the layer without a velocity (reported as a note).
    """
    xy: List[Tuple[float, float]] = field(default_factory=list)
    vx: List[float] = field(default_factory=list)
    vy: List[float] = field(default_factory=list)
    groups: List[str] = field(default_factory=list)
    start: list = field(default_factory=list)
    end: list = field(default_factory=list)
    skipped: int = 0


@dataclass
class RasterRecords:
    """A reference velocity product and the polygons (GeoJSON in the grid's CRS, empty =
    every valid pixel as one group) where it is used.

    Attributes
    ----------
    path : str
        Reference velocity product (``vx``, ``vy`` bands in m/d or another known
        ``UNITS``; e.g. UAV velocity), in any projected CRS.
    polygons : list of dict, optional
        GeoJSON polygon geometries in the grid's CRS; polygon ``i`` (1-based) is
        held-out group ``"i"``.
    """
    path: str
    polygons: list = field(default_factory=list)


def points_reference(readers: Sequence[SourceReader], grid: TargetGrid,
                     points: PointRecords) -> Reference:
    """:class:`~glacvel_plugin.core.reference.Reference` of reference points: each source
    on the grid pixel of each point (:func:`glacvel_plugin.io.grid.sample_points`).

    Parameters
    ----------
    readers : sequence of SourceReader
        The k sources (may be empty: the samples then carry only the reference).
    grid : TargetGrid
        The common grid.
    points : PointRecords
        The n reference points, in the grid's CRS.

    Returns
    -------
    Reference
        Kind ``"points"``: reference ``vx``/``vy`` (n,) and the sources' (k, n), m/d
        (NaN where a source has no data or the point is off the grid), groups = station
        labels, ``rows``/``cols`` the grid pixel of each point, ``start``/``end`` the
        points' periods, and a note when points were skipped.

    Raises
    ------
    ValueError
        When no point has a reference velocity.
    """
    if not points.xy:
        raise ValueError("REFERENCE_POINTS has no point with a reference velocity")
    values, rows, cols = sample_points(readers, grid, np.array(points.xy))
    notes = ([f"{points.skipped} reference point(s) without velocity skipped"]
             if points.skipped else [])
    ref = Reference(points.vx, points.vy, values["vx"], values["vy"], points.groups, "points",
                    notes)
    ref.rows, ref.cols, ref.start, ref.end = rows, cols, points.start, points.end
    return ref


def raster_reference(readers: Sequence[SourceReader], grid: TargetGrid, raster: RasterRecords,
                     is_canceled: Optional[Callable[[], bool]] = None) -> Reference:
    """:class:`~glacvel_plugin.core.reference.Reference` of a reference velocity raster:
    every valid reference pixel of the grid inside the polygons (one group per polygon),
    with each source read there, block by block.

    Without polygons the reference raster's bounds (moved to the grid's CRS) are used
    and every valid pixel is one group ``"1"`` (a note says there is no
    cross-validation). A pixel counts when its label is > 0 and the reference ``vx``
    and ``vy`` are finite there; the sources may be NaN.

    Parameters
    ----------
    readers : sequence of SourceReader
        The k sources, read onto ``grid``.
    grid : TargetGrid
        The common grid.
    raster : RasterRecords
        The reference product and its polygons.
    is_canceled : callable, optional
        ``is_canceled() -> bool``, polled before every block.

    Returns
    -------
    Reference
        Kind ``"raster"``: reference ``vx``/``vy`` (n,) and the sources' (k, n) in m/d,
        groups = polygon numbers as str, ``rows``/``cols`` grid pixels, and every
        sample's ``start``/``end`` = the raster's ``START_TIME``/``END_TIME`` (or None).

    Raises
    ------
    ValueError
        When the polygons/raster lie outside the grid or hold no valid pixel; as
        :class:`~glacvel_plugin.io.grid.SourceReader` when the raster is not a readable
        velocity product.
    core.Canceled
        When ``is_canceled()`` turns true between blocks.
    """
    ref = SourceReader(raster.path)
    try:
        geoms = raster.polygons
        notes = []
        if geoms:
            bb = [geometry_bounds(g) for g in geoms]
            l, b = min(x[0] for x in bb), min(x[1] for x in bb)
            r, t = max(x[2] for x in bb), max(x[3] for x in bb)
        else:
            notes.append("no REFERENCE_POLYGONS: every valid reference pixel is used as one "
                         "group, so there is no cross-validation")
            l, b, r, t = transform_bounds(ref.crs, grid.crs, ref.ds.bounds)
        inv = ~grid.transform
        c0, r0 = inv * (l, t)
        c1, r1 = inv * (r, b)
        c0, r0 = max(int(math.floor(c0)), 0), max(int(math.floor(r0)), 0)
        c1, r1 = min(int(math.ceil(c1)), grid.width), min(int(math.ceil(r1)), grid.height)
        if c1 <= c0 or r1 <= r0:
            raise ValueError("the reference polygons/raster lie outside every source; use a "
                             "reference over the velocity products")
        k = len(readers)
        out = {"rvx": [], "rvy": [], "svx": [], "svy": [], "g": [], "r": [], "c": []}
        for rr in range(r0, r1, DEFAULT_BLOCK):
            for cc in range(c0, c1, DEFAULT_BLOCK):
                check_canceled(is_canceled)
                w = pixel_window(cc, rr, min(DEFAULT_BLOCK, c1 - cc), min(DEFAULT_BLOCK, r1 - rr))
                shape = (int(w.height), int(w.width))
                if geoms:
                    labels = rasterize_labels(geoms, grid.window_transform(w), shape)
                else:
                    labels = np.ones(shape, dtype=np.int32)
                d = ref.read(("vx", "vy"), grid, w)
                sel = (labels > 0) & np.isfinite(d["vx"]) & np.isfinite(d["vy"])
                if not sel.any():
                    continue
                out["rvx"].append(d["vx"][sel])
                out["rvy"].append(d["vy"][sel])
                out["g"].append(labels[sel])
                rr_, cc_ = np.nonzero(sel)
                out["r"].append(rr_ + int(w.row_off))
                out["c"].append(cc_ + int(w.col_off))
                sx = np.empty((k, sel.sum()))
                sy = np.empty((k, sel.sum()))
                for i, rd in enumerate(readers):
                    s = rd.read(("vx", "vy"), grid, w)
                    sx[i], sy[i] = s["vx"][sel], s["vy"][sel]
                out["svx"].append(sx)
                out["svy"].append(sy)
        if not out["rvx"]:
            raise ValueError("the reference raster has no valid pixel inside the reference "
                             "polygons on the target grid; check the polygons and the raster")
        res = Reference(np.concatenate(out["rvx"]), np.concatenate(out["rvy"]),
                        np.concatenate(out["svx"], axis=1), np.concatenate(out["svy"], axis=1),
                        np.concatenate(out["g"]).astype(str), "raster", notes)
        res.rows, res.cols = np.concatenate(out["r"]), np.concatenate(out["c"])
        n = len(res.rows)
        res.start, res.end = [ref.start] * n, [ref.end] * n
        return res
    finally:
        ref.close()


def sample_reference(readers: Sequence[SourceReader], grid: TargetGrid, reference,
                     is_canceled: Optional[Callable[[], bool]] = None) -> Reference:
    """The sources sampled at a :class:`PointRecords` or :class:`RasterRecords` reference.

    Parameters
    ----------
    readers : sequence of SourceReader
        The k sources, read onto ``grid``.
    grid : TargetGrid
        The common grid.
    reference : PointRecords or RasterRecords
        The reference (:func:`points_reference` or :func:`raster_reference`).
    is_canceled : callable, optional
        ``is_canceled() -> bool`` (raster references only, polled per block).

    Returns
    -------
    Reference
        The samples, with at least one finite source value.

    Raises
    ------
    ValueError
        When no source has data at any reference point/pixel, and as
        :func:`points_reference` / :func:`raster_reference`.
    core.Canceled
        When ``is_canceled()`` returns True.
    """
    if isinstance(reference, PointRecords):
        ref = points_reference(readers, grid, reference)
    else:
        ref = raster_reference(readers, grid, reference, is_canceled)
    inside = np.isfinite(ref.src_vx) & np.isfinite(ref.src_vy)
    if not inside.any():
        raise ValueError("the reference lies outside every source (no source has data at any "
                         "reference point/pixel); use a reference over the velocity products, "
                         "in the right CRS")
    return ref


def period_reference(grid: TargetGrid, reference, min_groups: int,
                     is_canceled: Optional[Callable[[], bool]] = None):
    """The reference of a monthly run: every sample on the grid with its period.

    Parameters
    ----------
    grid : TargetGrid
        Target grid of the monthly products.
    reference : PointRecords or RasterRecords
        Points with periods, or a raster with ``START_TIME``/``END_TIME`` tags read in
        its polygons (:func:`glacvel_plugin.io.monthly.raster_reference`).
    min_groups : int
        MIN_REFERENCE_GROUPS: stations/polygons a month needs for its own weights
        (fewer groups in all gives a warning).
    is_canceled : callable, optional
        ``is_canceled() -> bool`` (raster references only, polled per block).

    Returns
    -------
    (monthly.ReferenceSamples, list of str)
        The samples and the warnings for the user (notes of the reference, too few groups).

    Raises
    ------
    ValueError
        When a sample has no period (points without start_date/end_date, a raster
        without START_TIME/END_TIME tags), when ``reference`` has no point, and as
        :func:`glacvel_plugin.io.monthly.raster_reference` (no valid pixel in the
        polygons, unreadable raster).
    core.Canceled
        When ``is_canceled()`` returns True.
    """
    if not isinstance(reference, PointRecords):
        # the reader of the dataset job: rasters in polygons with their periods
        warnings = ([] if reference.polygons else
                    ["no REFERENCE_POLYGONS: every valid reference pixel is used as one "
                     "group, so there is no cross-validation"])
        samples = monthly.raster_reference([reference.path], grid, reference.polygons,
                                           is_canceled=is_canceled)
        return samples, warnings + _few_groups(samples.groups, min_groups)
    ref = points_reference([], grid, reference)
    undated = [str(g) for g, a, b in zip(ref.groups, ref.start, ref.end) if a is None or b is None]
    if undated:
        what = "features " + ", ".join(sorted(set(undated))[:5]) + " have no start_date/end_date"
        raise ValueError(f"weights per month need the period of every reference sample: {what}; "
                         "import GNSS files with Import GNSS stations, or give fixed WEIGHTS")
    warnings = list(ref.notes) + _few_groups(ref.groups, min_groups)
    samples = monthly.ReferenceSamples(np.asarray(ref.rows), np.asarray(ref.cols), ref.ref_vx,
                                       ref.ref_vy, ref.groups, ref.start, ref.end, ref.kind)
    return samples, warnings


def _few_groups(groups, min_groups: int) -> List[str]:
    """The warning when the reference has fewer groups than MIN_REFERENCE_GROUPS."""
    warnings = []
    n_groups = len(set(map(str, groups)))
    if n_groups < min_groups:
        warnings.append(
            f"the reference has {n_groups} station(s)/polygon(s), fewer than "
            f"MIN_REFERENCE_GROUPS ({min_groups}): no month can fit its own weights, so they "
            "fall back to per-pixel inverse variance; give more stations or polygons, or "
            "lower MIN_REFERENCE_GROUPS")
    return warnings


# --------------------------------------------------------------------------- weights
def fit_fusion_weights(paths: Sequence[str], grid: TargetGrid, reference, method: str,
                       log: Callable[[str], None] = _noop,
                       is_canceled: Optional[Callable[[], bool]] = None):
    """Weights of each source fitted to a reference (:func:`glacvel_plugin.core.fusion.fit_weights`).

    Parameters
    ----------
    paths : sequence of str
        One velocity product per source (SENSOR tag).
    grid : TargetGrid
        The common grid.
    reference : PointRecords or RasterRecords
        The reference velocities (m/d, grid axes: x east, y north).
    method : str
        One of :data:`glacvel_plugin.core.fusion.METHODS`.
    log : callable, optional
        ``log(message)``; receives the grid size, resolution and CRS.
    is_canceled : callable, optional
        ``is_canceled() -> bool``, polled while sampling and fitting.

    Returns
    -------
    (names, Reference, core.fusion fit result)
        Source names (SENSOR tags, in the order of ``paths``), the samples
        (:func:`sample_reference`) and the result of
        :func:`~glacvel_plugin.core.fusion.fit_weights` on their vx and vy components,
        grouped by station/polygon for the cross-validation.

    Raises
    ------
    ValueError
        Two products of one SENSOR, an unreadable product, a reference outside the
        sources, and as :func:`~glacvel_plugin.core.fusion.fit_weights` (a source with
        no data at any sample, too few complete samples).
    core.Canceled
        When ``is_canceled()`` returns True.
    """
    with open_sources(paths) as readers:
        names = [r.name for r in readers]
        if len(set(names)) != len(names):
            raise ValueError(f"two products have the same SENSOR ({', '.join(names)}); fit "
                             "weights with one product per source: per-sensor monthly "
                             "composites (Monthly velocity with SOURCE_COMPOSITES writes "
                             "YYYYMM_<SENSOR>.tif), or let Monthly velocity fit the "
                             "weights of every month from the reference")
        log(f"Grid: {grid.width}×{grid.height} px of {grid.resolution:g} m, "
            f"{grid.crs.to_string()}")
        ref = sample_reference(readers, grid, reference, is_canceled)
    vals, b, groups = ref.components()
    fit = cf.fit_weights(vals, b, names, method=method, groups=groups, is_canceled=is_canceled)
    return names, ref, fit


def weights_report(path: str, fit, ref: Reference, title: str) -> str:
    """HTML report of fitted weights: per source, held-out groups, notes.

    Parameters
    ----------
    path : str
        Destination ``.html`` file (written atomically).
    fit : core.fusion fit result
        From :func:`~glacvel_plugin.core.fusion.fit_weights`: method, weights and their
        bootstrap spread, samples, RMSE and bias alone, held-out RMSE per source (m/d),
        the fused RMSE, the leave-one-group-out folds and notes.
    ref : Reference
        The samples (its kind and notes are reported).
    title : str
        Report title.

    Returns
    -------
    str
        ``path``.
    """
    rep = HtmlReport(title)
    rep.paragraph(f"Method: {fit.method}; reference: {ref.kind}; samples (vx and vy "
                  f"components) with every source: {fit.n_samples}.")
    rep.table(["source", "weight", "± (bootstrap)", "samples", "RMSE alone (m/d)",
               "bias (m/d)", "held-out RMSE (m/d)"],
              [[n, float(fit.weights[i]), float(fit.weight_std[i]), int(fit.n_per_source[i]),
                float(fit.source_rmse[i]), float(fit.source_bias[i]),
                float(fit.cv_source_rmse[i]) if fit.cv_source_rmse is not None else "—"]
               for i, n in enumerate(fit.names)])
    rep.paragraph(f"Fused: RMSE {fit.rmse:.4g} m/d in the fit; "
                  + (f"{fit.cv_rmse:.4g} m/d leaving one group out."
                     if fit.cv_rmse is not None else "no cross-validation (one group)."))
    if fit.cv_folds:
        rep.table(["held-out group", "n", "fused RMSE"] + list(fit.names),
                  [[f["group"], f["n"], f["rmse"]] + [f["source_rmse"][n] for n in fit.names]
                   for f in fit.cv_folds])
    for n in fit.notes + ref.notes:
        rep.paragraph(n, "note")
    return rep.save(path)


# --------------------------------------------------------------------------- fused products
def fused_tags(readers, method, start=None, end=None, **extra) -> Dict[str, str]:
    """Tags of a fused product: SENSOR (the one name, else FUSED), the period spanned by
    the sources (unless ``start``/``end``), SOURCES, INPUTS and ``extra``.

    Parameters
    ----------
    readers : sequence of SourceReader
        The fused sources (their names, paths and periods).
    method : str
        ``METHOD`` tag (e.g. ``glacvel:fuse_velocity``).
    start, end : datetime.datetime, optional
        Period of the product (naive UTC); default the earliest source start and the
        latest source end.
    **extra
        Further tags (keys upper-cased, values as str).

    Returns
    -------
    dict of str to str
        :func:`glacvel_plugin.io.product.standard_tags` (``UNITS`` m/d, ``SENSOR``,
        ``START_TIME``, ``END_TIME``, ``DT_DAYS``, ``METHOD``, version) plus ``SOURCES``
        (distinct source names, comma-separated), ``INPUTS`` (file names,
        ``;``-separated) and ``extra``. Without a period with ``end > start``: only
        ``UNITS``, ``SENSOR``, ``METHOD`` and the extras.
    """
    starts = [r.start for r in readers if r.start is not None]
    ends = [r.end for r in readers if r.end is not None]
    start = start or (min(starts) if starts else None)
    end = end or (max(ends) if ends else None)
    names = list(dict.fromkeys(r.name for r in readers))
    extra.update(SOURCES=",".join(names),
                 INPUTS=";".join(os.path.basename(r.path) for r in readers))
    # products of one sensor keep its name (several L8 pairs fused are still L8)
    sensor = names[0] if len(names) == 1 else "FUSED"
    if start is not None and end is not None and end > start:
        return standard_tags(sensor, start, end, method, **extra)
    tags = {"UNITS": "m/d", "SENSOR": sensor, "METHOD": method}
    tags.update({k.upper(): str(v) for k, v in extra.items()})
    return tags


def write_fused(path, grid, tags, protect, make_block, progress,
                is_canceled: Optional[Callable[[], bool]] = None, outliers=None) -> int:
    """Write one fused product (:data:`FUSED_BANDS`) block by block; returns its valid pixels.

    The product is written atomically with :class:`ProductWriter` and tagged
    ``VALID_PIXELS``; a cancel between blocks, an error, or a product without any
    valid pixel (the return value is then 0) leaves no file.

    Parameters
    ----------
    path : str
        Destination GeoTIFF.
    grid : TargetGrid
        Grid of the product (CRS, transform, size, blocks).
    tags : dict of str to str
        Dataset tags (e.g. from :func:`fused_tags`).
    protect : iterable of str
        Paths the product must not overwrite (the inputs).
    make_block : callable
        ``make_block(window)`` → dict of every band of :data:`FUSED_BANDS`, float32
        (window rows, window cols), m/d (``count``: sources present), NaN = no data.
    progress : callable
        ``progress(j)``, called after block ``j`` (0-based).
    is_canceled : callable, optional
        ``is_canceled() -> bool``, polled before every block.
    outliers : (sequence of str, sequence of int), optional
        (source names, pixels dropped by the robust test) for the ``OUTLIERS`` tag
        (``NAME=count`` entries, comma-separated).

    Returns
    -------
    int
        Pixels with a finite ``vx`` in the product (0: nothing was written).

    Raises
    ------
    ValueError
        When ``path`` is one of ``protect``.
    OSError
        GDAL's write errors (full disk, vanished folder), as :class:`ProductWriter`.
    core.Canceled
        When ``is_canceled()`` returns True.
    """
    valid = 0
    with ProductWriter(path, FUSED_BANDS, grid.height, grid.width, grid.transform,
                       grid.crs, tags, protect=protect) as w:
        for j, win in enumerate(grid.blocks()):
            check_canceled(is_canceled)      # the writer aborts on the exception
            block = make_block(win)
            valid += int(np.isfinite(block["vx"]).sum())
            w.write({b: block[b] for b in FUSED_BANDS}, win)
            progress(j)
        if valid == 0:
            w.abort()
        else:
            w.update_tags(VALID_PIXELS=valid)
            if outliers is not None:
                w.update_tags(OUTLIERS=",".join(f"{n}={int(c)}" for n, c in zip(*outliers)))
    return valid


def fuse_velocity(paths: Sequence[str], output: str, grid: TargetGrid,
                  weights: Optional[Dict[str, float]] = None,
                  source_errors: Optional[Dict[str, float]] = None,
                  robust: Optional[float] = None, scatter: int = 0,
                  log: Callable[[str], None] = _noop, warn: Callable[[str], None] = _noop,
                  progress: Callable[[float], None] = _noop,
                  is_canceled: Optional[Callable[[], bool]] = None) -> dict:
    """Masked weighted fusion of vx and vy (:func:`glacvel_plugin.core.fusion.fuse_stack`)
    of the products ``paths`` on ``grid``, written to ``output``.

    Parameters
    ----------
    paths : sequence of str
        Velocity products (never overwritten).
    output : str
        The fused product (bands :data:`FUSED_BANDS`, m/d), written atomically.
    grid : TargetGrid
        The common grid (e.g. :func:`checked_grid`); the sources are read onto it.
    weights : {SENSOR: weight} or None
        Fixed weights; None = per-pixel inverse variance of the sources' errors.
    source_errors : {SENSOR: σ m/d} or None
        1-σ errors of sources without an error band (SOURCE_ERRORS).
    robust : float or None
        χ² threshold of the per-pixel outlier test; None = off.
    scatter : int
        Local-scatter window in source pixels (odd ≥ 3; 0 = off).
    log : callable, optional
        ``log(message)``; receives the grid and the weights used.
    warn : callable, optional
        ``warn(message)``; called when no WEIGHTS are given and some sources have no
        error (they take the mean weight of the others at each pixel).
    progress : callable
        ``progress(fraction)`` in [0, 1] after every block.
    is_canceled : callable, optional
        ``is_canceled() -> bool``, polled before every block.

    Returns
    -------
    dict
        ``valid`` (valid pixels), ``weights_text`` and, with ``robust``, ``outliers``
        ({SENSOR: pixels dropped}).

    Raises
    ------
    ValueError
        When the sources have no data on the grid (no file is left), a product cannot
        be read as a velocity source, ``weights`` miss a source, name no source or sum
        to ≤ 0 (:func:`~glacvel_plugin.core.fusion.weights_for`), or ``output`` is one
        of ``paths``.
    OSError
        GDAL's write errors, as :class:`ProductWriter`.
    core.Canceled
        When ``is_canceled()`` returns True (no file is left).
    """
    with open_sources(paths) as readers:
        monthly.apply_source_errors(readers, source_errors or {})
        names = [r.name for r in readers]
        W = cf.weights_for(names, weights) if weights else None
        if W is None:
            no_err = [r.name for r in readers if not r.has_error()]
            if no_err:
                warn(f"no WEIGHTS and no error for {', '.join(no_err)}: those sources take "
                     "the mean weight of the others at each pixel (equal weights where no "
                     "source has an error)")
            wtext = "inverse-variance per pixel"
        else:
            wtext = cf.format_weights(dict(zip(names, W)))
        log(f"Grid {grid.width}×{grid.height} px of {grid.resolution:g} m "
            f"({grid.crs.to_string()}); weights {wtext}")
        tags = fused_tags(readers, "glacvel:fuse_velocity", WEIGHTS=wtext,
                          TARGET_RESOLUTION=f"{grid.resolution:g}",
                          ROBUST_CHI2=f"{robust:g}" if robust else "off",
                          UNCERTAINTY=(f"max(error band/tag, local scatter {scatter}×"
                                       f"{scatter} source px)" if scatter
                                       else "error bands/tags"))
        n = grid.n_blocks()
        rejected = np.zeros(len(readers), np.int64)

        def fuse_block(win):
            vx, vy, sx, sy = monthly._read_stack(readers, grid, win, scatter)
            f = cf.fuse_stack(vx, vy, W, sx, sy, robust=robust)
            if "rejected_by_source" in f:
                rejected[:] += f["rejected_by_source"]
            return f

        valid = write_fused(output, grid, tags, paths, fuse_block,
                            lambda j: progress((j + 1) / n), is_canceled,
                            outliers=(names, rejected) if robust else None)
        if valid == 0:
            raise ValueError("the sources have no data on the target grid/extent; "
                             "check EXTENT and TARGET_CRS")
    res = {"valid": valid, "weights_text": wtext}
    if robust:
        res["outliers"] = dict(zip(names, map(int, rejected)))
    return res


# --------------------------------------------------------------------------- monthly report
def monthly_report(path: str, res, title: str, validation_heading: str) -> str:
    """HTML report of a monthly run (:class:`glacvel_plugin.io.monthly.MonthlyResult`):
    weights, error scales and outliers per month, and the held-out validation.

    Parameters
    ----------
    path : str
        Destination ``.html`` file (written atomically).
    res : MonthlyResult
        The run's result: every month of ``res.written`` needs ``res.weights``; the
        validation section is written only when ``res.validation`` has rows (vector
        RMSE in m/d and z-scores of the fused product and of each source).
    title : str
        Report title.
    validation_heading : str
        Heading of the validation section.

    Returns
    -------
    str
        ``path``.
    """
    rep = HtmlReport(title)
    names = list(dict.fromkeys(n for pw in res.weights.values() for n in pw.names))
    rep.paragraph("Weights of every month and how they were obtained (WEIGHTS_BASIS): "
                  "month, month+shrinkage, neighbours, all-period, inverse-variance, "
                  "single-source or given. Error scales multiply each source's σ "
                  "(error-calibrated method). Outliers: pixels where the robust test "
                  "dropped the source.")
    rows = []
    for m in res.written:
        pw = res.weights[m]
        wd, sc, rj = pw.as_dict(), pw.scale_dict(), res.rejected.get(m, {})
        rows.append([m, pw.basis] + [wd.get(n, "—") for n in names] +
                    [sc.get(n, "—") for n in names] + [rj.get(n, "—") for n in names] +
                    [res.valid.get(m, 0), pw.note])
    rep.table(["month", "basis"] + [f"W {n}" for n in names] +
              [f"σ scale {n}" for n in names] + [f"outliers {n}" for n in names] +
              ["valid pixels", "note"], rows)
    if res.validation:
        rep.heading(validation_heading)
        rep.paragraph("Vector RMSE √mean(Δvx² + Δvy²) in m/d at the held-out reference, "
                      "weights refitted without it; each source alone at the same places; "
                      "z = RMS of residual/σ (≈ 1 when the error band is right).")
        rep.table(["month", "groups", "fused RMSE"] + [f"{n} RMSE" for n in names] +
                  ["z fused"] + [f"z {n}" for n in names],
                  [[v["month"], v["groups"], v["fused_rmse"]] +
                   [v["source_rmse"].get(n, "—") for n in names] + [v["fused_z"]] +
                   [v["source_z"].get(n, "—") for n in names] for v in res.validation])
    for n in res.notes:
        rep.paragraph(n, "note")
    return rep.save(path)


# --------------------------------------------------------------------------- validation
def validate_velocity(paths: Sequence[str], grid: TargetGrid, reference,
                      is_canceled: Optional[Callable[[], bool]] = None):
    """Products against a reference, sampled on ``grid`` (:func:`validation_grid` of the
    first product).

    Parameters
    ----------
    paths : sequence of str
        Velocity products to assess (m/d or another known ``UNITS``).
    grid : TargetGrid
        Grid on which products and reference are sampled.
    reference : PointRecords or RasterRecords
        The reference velocities (m/d, grid axes: x east, y north).
    is_canceled : callable, optional
        ``is_canceled() -> bool`` (raster references, polled per block).

    Returns
    -------
    (labels, stats, Reference)
        Labels of the products (:func:`glacvel_plugin.core.reference.unique_labels`),
        their statistics (:func:`glacvel_plugin.core.reference.validation_stats`: per
        label, ``speed`` and ``components`` differences product − reference with n,
        mean, std, RMSE, NMAD in m/d) and the samples.

    Raises
    ------
    ValueError
        A product cannot be read as a velocity source, or as :func:`sample_reference`.
    core.Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Höhle, J. and Höhle, M. (2009). Accuracy assessment of digital elevation models by
    means of robust statistical methods. ISPRS J. Photogramm. Remote Sens. 64, 398–406
    (NMAD = 1.4826·median absolute deviation).
    """
    with open_sources(paths) as readers:
        ref = sample_reference(readers, grid, reference, is_canceled)
        labels = unique_labels([r.name for r in readers])
    return labels, validation_stats(ref, labels), ref


def validation_report(path: str, labels, stats, ref: Reference, title: str) -> str:
    """HTML report of :func:`validate_velocity`: the statistics table, a scatter plot of
    product against reference speed and histograms of the differences.

    Parameters
    ----------
    path : str
        Destination ``.html`` file (written atomically).
    labels : sequence of str
        Product labels, in the order of the sources in ``ref``.
    stats : dict
        Label → ``{"speed": ..., "components": ...}`` statistics (``n``, ``mean``,
        ``std``, ``rmse``, ``nmad``; m/d) from :func:`validate_velocity`.
    ref : Reference
        The samples: reference ``vx``/``vy`` (n,) and the products' (k, n), m/d.
    title : str
        Report title.

    Returns
    -------
    str
        ``path``.
    """
    ref_v = np.hypot(ref.ref_vx, ref.ref_vy)
    rep = HtmlReport(title)
    rep.paragraph(f"Reference: {ref.kind}, {len(ref_v)} samples. Differences are product − "
                  "reference in m/d.")
    rows = []
    for lab in labels:
        for what in ("speed", "components"):
            s = stats[lab][what]
            rows.append([lab, what, s["n"], s["mean"], s["std"], s["rmse"], s["nmad"]])
    rep.table(["product", "quantity", "n", "bias (mean)", "std", "RMSE", "NMAD"], rows)
    import matplotlib.pyplot as plt  # Agg backend, set by io.report
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    lim = [0, float(np.nanmax(ref_v)) * 1.2 if np.isfinite(ref_v).any() else 1]
    for i, lab in enumerate(labels):
        v = np.hypot(ref.src_vx[i], ref.src_vy[i])
        ax1.scatter(ref_v, v, s=12, label=lab)
        d = v - ref_v
        d = d[np.isfinite(d)]
        if d.size:
            ax2.hist(d, bins=min(30, max(5, d.size // 3)), alpha=0.5, label=lab)
    ax1.plot(lim, lim, "k--", lw=0.8)
    ax1.set_xlabel("reference speed (m/d)")
    ax1.set_ylabel("product speed (m/d)")
    ax1.legend(fontsize=8)
    ax2.set_xlabel("speed difference (m/d)")
    ax2.set_ylabel("samples")
    rep.figure(fig, "scatter and histogram of the differences")
    for n in ref.notes:
        rep.paragraph(n, "note")
    return rep.save(path)
