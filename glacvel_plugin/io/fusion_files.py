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
        Extent in ``extent_crs`` (WKT, None = the target CRS); None = union of the sources.
    folder : str or None
        Where the products are written (its free disk is checked).

    Returns
    -------
    TargetGrid

    Raises
    ------
    ValueError
        From :func:`glacvel_plugin.io.budget.check_grid`: a grid too large, with the
        TARGET_RESOLUTION that would fit.
    """
    grid = target_grid(paths, crs=crs, resolution=resolution, extent=extent,
                       extent_crs=extent_crs)
    budget.check_grid(grid.width, grid.height, grid.resolution, len(monthly.FUSED_BANDS),
                      folder=folder)
    return grid


def validation_grid(path: str) -> TargetGrid:
    """The grid of the product ``path`` (resampled to square pixels if they are not)."""
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

    Attributes (n points)
    ----------
    xy : list of (x, y) in the grid CRS (m)
    vx, vy : lists of float, velocity along the grid's axes (m/d)
    groups : list of str, station labels (held out together)
    start, end : lists of datetimes or None, period of each point
    skipped : int, points without a velocity (reported as a note)
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
    every valid pixel as one group) where it is used."""
    path: str
    polygons: list = field(default_factory=list)


def points_reference(readers: Sequence[SourceReader], grid: TargetGrid,
                     points: PointRecords) -> Reference:
    """:class:`~glacvel_plugin.core.reference.Reference` of reference points: each source
    on the grid pixel of each point (:func:`glacvel_plugin.io.grid.sample_points`).

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

    Raises
    ------
    ValueError
        When the polygons/raster lie outside the grid or hold no valid pixel.
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

    Raises
    ------
    ValueError
        When no source has data at any reference point/pixel.
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
    reference : PointRecords or RasterRecords
    min_groups : int
        MIN_REFERENCE_GROUPS: stations/polygons a month needs for its own weights.

    Returns
    -------
    (monthly.ReferenceSamples, list of str)
        The samples and the warnings for the user (notes of the reference, too few groups).

    Raises
    ------
    ValueError
        When a sample has no period (points without start_date/end_date, a raster
        without START_TIME/END_TIME tags).
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
    method : str
        One of :data:`glacvel_plugin.core.fusion.METHODS`.

    Returns
    -------
    (names, Reference, core.fusion fit result)

    Raises
    ------
    ValueError
        Two products of one SENSOR, or a reference outside the sources.
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
    """HTML report of fitted weights: per source, held-out groups, notes."""
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
    the sources (unless ``start``/``end``), SOURCES, INPUTS and ``extra``."""
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

    ``make_block(window)`` gives the bands of one block of ``grid``; ``progress(j)`` is
    called after block ``j``. The product is written atomically with
    :class:`ProductWriter` (never over a path in ``protect``) and tagged
    ``VALID_PIXELS``; a cancel between blocks, an error, or a product without any
    valid pixel (the return value is then 0) leaves no file. ``outliers`` =
    (names, counts) adds the OUTLIERS tag.
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
        The fused product (bands :data:`FUSED_BANDS`, m/d).
    weights : {SENSOR: weight} or None
        Fixed weights; None = per-pixel inverse variance of the sources' errors.
    source_errors : {SENSOR: σ m/d} or None
        1-σ errors of sources without an error band (SOURCE_ERRORS).
    robust : float or None
        χ² threshold of the per-pixel outlier test; None = off.
    scatter : int
        Local-scatter window in source pixels (odd ≥ 3; 0 = off).
    progress : callable
        ``progress(fraction)`` in [0, 1] after every block.

    Returns
    -------
    dict
        ``valid`` (valid pixels), ``weights_text`` and, with ``robust``, ``outliers``
        ({SENSOR: pixels dropped}).

    Raises
    ------
    ValueError
        When the sources have no data on the grid (no file is left).
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
    weights, error scales and outliers per month, and the held-out validation."""
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

    Returns
    -------
    (labels, stats, Reference)
        Labels of the products (:func:`glacvel_plugin.core.reference.unique_labels`),
        their statistics (:func:`glacvel_plugin.core.reference.validation_stats`) and the
        samples.
    """
    with open_sources(paths) as readers:
        ref = sample_reference(readers, grid, reference, is_canceled)
        labels = unique_labels([r.name for r in readers])
    return labels, validation_stats(ref, labels), ref


def validation_report(path: str, labels, stats, ref: Reference, title: str) -> str:
    """HTML report of :func:`validate_velocity`: the statistics table, a scatter plot of
    product against reference speed and histograms of the differences."""
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
