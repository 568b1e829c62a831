"""UAV orthomosaic feature tracking from files: ``track_uav_files``.

Call chain: ``processing_provider.alg_uav`` (parameters, tracked-points layer) →
:func:`track_uav_files` → ``io.tracking.AlignedPair`` (windowed reads on the work
grid) and ``io.tracking.match_grid`` (tiles of templates) →
``core.feature_tracking`` (grid in map metres, NCC or orientation correlation,
block aggregation) → ``core.validation`` (normalised median test) →
``core.velocity`` (Δt, sign convention, velocity) → ``io.product.write_product``.

Needs no QGIS: a Dask worker can call it with file paths and times.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
from typing import Callable, Optional

import numpy as np
from affine import Affine

from ..core import check_canceled
from ..core import feature_tracking as ft
from ..core.validation import NODE_GRID_RULE, normalized_median_test
from ..core.velocity import velocity_bands
from .budget import MEMORY_SHARE, available_memory, check_points, check_search
from .product import standard_tags, write_product
from .tracking import AlignedPair, TrackingResult, match_grid, pair_times

METHODS = ft.METHODS
"""Similarity measures: ``'ncc'`` (normalised cross-correlation), ``'oc'`` (orientation
correlation)."""

POINT_FIELDS = ("vx", "vy", "v", "dx", "dy", "quality", "peak_ratio")
"""Attributes of a tracked point (besides its map coordinates ``x``, ``y``)."""


def track_uav_files(reference: str, secondary: str, output: str,
                    start: Optional[_dt.datetime] = None, end: Optional[_dt.datetime] = None,
                    *, window_m: float = 20.0, step_m: float = 10.0,
                    max_speed: float = 3.0, method: str = "ncc", min_peak: float = 0.3,
                    min_peak_ratio: float = 0.0, median_test: float = 2.0,
                    work_resolution: Optional[float] = None, resolution: float = 30.0,
                    progress: Optional[Callable] = None,
                    is_canceled: Optional[Callable] = None,
                    extra_tags: Optional[dict] = None) -> TrackingResult:
    """ImGRAFT-style feature tracking of two orthomosaics into a velocity product.

    Parameters
    ----------
    reference, secondary : str
        Paths of the earlier and later orthomosaic (RGB(A) → luminance, or single
        band), any grids and extents in any CRS (lat/lon is worked on in UTM); the
        secondary is warped onto the work grid on the fly.
    output : str
        Path of the velocity product (GeoTIFF, written atomically; never an input).
    start, end : datetime.datetime, optional
        Acquisition times (naive UTC); None = from the files' date tags (EXIF
        DateTimeOriginal, TIFFTAG_DATETIME) or names.
    window_m : float
        Window side (metres; the TEMPLATE_SIZE key); at least 4 work pixels.
    step_m : float
        Distance between the window centres (metres; the SPACING key); points lie on
        multiples of it.
    max_speed : float
        Maximum speed (m/d): sets the search range ``ceil(max_speed · Δt / pixel) + 1``.
    method : {'ncc', 'oc'}
        Normalised cross-correlation or orientation correlation.
    min_peak : float
        Minimum correlation peak.
    min_peak_ratio : float
        Minimum peak / mean |correlation| (0 = off).
    median_test : float
        Normalised median test threshold on the point grid (0 = off; points with
        fewer than 2 valid neighbours are kept).
    work_resolution : float, optional
        Work grid pixel (metres; None or 0 = the reference pixels). Coarser work
        pixels average the images and make centimetre mosaics faster.
    resolution : float
        Velocity product cell size (metres): median of the valid points per cell.
    progress, is_canceled : callable, optional
        ``progress(fraction 0..1)``; ``is_canceled()`` → True stops with
        ``core.Canceled`` and nothing written.
    extra_tags : dict, optional
        Further product tags (e.g. the dataset job's key).

    Returns
    -------
    TrackingResult
        ``points`` holds the valid tracked points (see :class:`TrackingResult`);
        ``rejected`` the point counts per cause; ``info`` ``method``,
        ``points_valid``.

    Raises
    ------
    ValueError
        Unreadable file, no CRS, rotated grid, no overlap, Δt ≤ 0, unknown method,
        window larger than the overlap, no window matched; the message names
        what to change. Nothing is written.
    core.Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Messerli, A. & Grinsted, A. (2015). Image georectification and feature tracking
    toolbox: ImGRAFT. Geosci. Instrum. Method. Data Syst. 4, 23-34.
    """
    def report(f):
        if progress is not None:
            progress(f)

    if method not in METHODS:
        raise ValueError(f"unknown similarity {method!r}; use one of {', '.join(METHODS)}")
    with AlignedPair(reference, secondary, resolution=work_resolution or None) as pair:
        t0, t1, dt = pair_times(reference, secondary, start, end)
        px = pair.pixel[0]
        window = max(int(round(window_m / px)), 4)
        search = ft.search_from_speed(max_speed, dt, px)
        ow = pair.overlap_window()
        check_search(max_speed, dt, px, (int(ow.height), int(ow.width)), window,
                     window_param="TEMPLATE_SIZE")
        if window > min(ow.width, ow.height):
            raise ValueError(
                f"the window (TEMPLATE_SIZE {window_m:g} m = {window} px) is larger than the overlap "
                f"of the orthomosaics ({int(ow.width)}×{int(ow.height)} px); use a smaller "
                "window or larger images")
        x0, y0, x1, y1 = pair.overlap
        half_m = window * px / 2.0
        n_pts = max(x1 - x0 - 2 * half_m, 0) * max(y1 - y0 - 2 * half_m, 0) / step_m ** 2
        # dr, dc, peak, ratio (float64), status, then the points layer and the product
        check_points(n_pts, POINT_BYTES,
                     f"SPACING {step_m:g} m over the {x1 - x0:,.0f} × {y1 - y0:,.0f} m overlap",
                     f"use a SPACING of at least {_min_spacing(n_pts, step_m):.3g} m (about "
                     f"the window size, {window_m:g} m, is usual)")
        gx, gy = ft.map_grid(pair.overlap, half_m, step_m)
        if gx.size == 0 or gy.size == 0:
            raise ValueError("no window fits in the overlap of the orthomosaics; use a "
                             "smaller TEMPLATE_SIZE or SPACING")
        inv = ~pair.transform
        cols = np.array([int(math.floor((inv * (x, gy[0]))[0])) for x in gx])
        rows = np.array([int(math.floor((inv * (gx[0], y))[1])) for y in gy])

        def match(ref, sec, rr, cc, prog):
            R, C = np.meshgrid(rr, cc, indexing="ij")
            return ft.track_windows(ref, sec, np.stack([R.ravel(), C.ravel()], 1), window,
                                    search, method=method, min_peak=min_peak,
                                    min_peak_ratio=min_peak_ratio, is_canceled=is_canceled,
                                    progress=prog)

        raw = match_grid(pair, rows, cols, window, search, match,
                         max(1, int(2048 // max(int(round(step_m / px)), 1))),
                         lambda f: report(0.9 * f), is_canceled)
        ok = raw.status == ft.OK
        rejected = {text: int(np.count_nonzero(raw.status == code))
                    for code, text in ft.STATUS_TEXT.items() if code != ft.OK}
        if not ok.any():
            raise ValueError(
                "no window could be matched: the orthomosaics are empty (no data), "
                "constant or share no texture in their overlap; check the inputs, the times "
                "and MAX_SPEED")
        if median_test > 0:
            bad = normalized_median_test(np.where(ok, raw.dr, np.nan),
                                         np.where(ok, raw.dc, np.nan), median_test,
                                         **NODE_GRID_RULE)
            rejected["median test outlier"] = int(bad.sum())
            ok &= ~bad
        # map coordinates of the window centres (pixel centres); the window spans
        # pixels c - half .. c - half + window - 1
        centre = window / 2.0 - window // 2
        X = np.array([(pair.transform * (c + centre, 0))[0] for c in cols])[None, :]
        Y = np.array([(pair.transform * (0, r + centre))[1] for r in rows])[:, None]
        X, Y = X.repeat(len(rows), 0), Y.repeat(len(cols), 1)
        vel = velocity_bands(raw.dr, raw.dc, pair.pixel, dt)
        check_canceled(is_canceled)

        # velocity product: median of the valid points per cell
        sel = ok.ravel()
        xs, ys = X.ravel()[sel], Y.ravel()[sel]
        gx0, gy1, shape = ft.aggregation_grid(xs, ys, resolution)
        meds, count = ft.aggregate_to_grid(
            xs, ys, [vel[k].ravel()[sel] for k in ("vx", "vy", "dx", "dy")]
            + [raw.peak.ravel()[sel]], np.ones(sel.sum(), bool), gx0, gy1, resolution, shape)
        mvx, mvy, mdx, mdy, mq = meds
        bands = {"v": np.hypot(mvx, mvy), "vx": mvx, "vy": mvy, "dx": mdx, "dy": mdy,
                 "quality": mq, "count": np.where(count > 0, count, np.nan)}
        tags = standard_tags(
            "UAV", t0, t1, f"uav_feature_tracking: {method.upper()} template matching, median "
            "block aggregation", TEMPLATE_SIZE_M=window_m, SPACING_M=step_m,
            TEMPLATE_PX=window, SEARCH_PX=search, WORK_PIXEL_M=f"{px:.4f}",
            MAX_SPEED=max_speed, MIN_PEAK=min_peak, MIN_PEAK_RATIO=min_peak_ratio,
            MEDIAN_TEST=median_test, POINTS_VALID=int(sel.sum()), POINTS_TOTAL=int(ok.size),
            REFERENCE=os.path.basename(reference), SECONDARY=os.path.basename(secondary),
            **(extra_tags or {}))
        band_tags = {"v": {"UNITS": "m/d"}, "vx": {"UNITS": "m/d"}, "vy": {"UNITS": "m/d"},
                     "dx": {"UNITS": "m"}, "dy": {"UNITS": "m"},
                     "quality": {"DESCRIPTION": "median correlation peak of the points"},
                     "count": {"DESCRIPTION": "valid points aggregated in the cell"}}
        write_product(output, bands, Affine(resolution, 0, gx0, 0, -resolution, gy1), pair.crs,
                      tags, band_tags=band_tags, protect=[reference, secondary])
        points = {"x": X[ok], "y": Y[ok], "vx": vel["vx"][ok], "vy": vel["vy"][ok],
                  "v": vel["v"][ok], "dx": vel["dx"][ok], "dy": vel["dy"][ok],
                  "quality": raw.peak[ok], "peak_ratio": raw.peak_ratio[ok]}
        report(1.0)
        return TrackingResult(
            path=output, start=t0, end=t1, dt_days=dt, shape=shape,
            valid_fraction=float(np.isfinite(bands["v"]).mean()), search=search,
            window=window, step=step_m / px, pixel=pair.pixel,
            crs_wkt=pair.crs.to_wkt(), rejected=rejected, n_points=int(ok.size),
            info=dict(method=method, points_valid=int(sel.sum())), points=points)


POINT_BYTES = 4 * 8 + 1 + 64
"""Memory per tracked point: dr, dc, peak, ratio (float64), status, the point feature."""


def _min_spacing(n_pts, spacing):
    """Smallest SPACING (m) whose point grid fits in the memory budget of io.budget."""
    fit = MEMORY_SHARE * available_memory() / POINT_BYTES
    return spacing * math.sqrt(max(n_pts, 1.0) / max(fit, 1.0))
