"""Sentinel-1 GRD amplitude offset tracking from files: ``track_sar_files``.

Call chain: ``processing_provider.alg_sar`` (parameters) → :func:`track_sar_files` →
``io.tracking.AlignedPair`` (windowed reads on the work grid) and
``io.tracking.match_grid`` (tiles of nodes) → ``core.offset_tracking`` (log amplitude,
speckle low-pass, NCC matching by ``core.feature_tracking.track_windows``, SNAP-like
post-processing, resampling of the node grid) → ``core.velocity`` (Δt, sign
convention, velocity) → ``io.product.write_product`` (atomic GeoTIFF).

Needs no QGIS: a Dask worker can call it with file paths and times.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
from typing import Callable, List, Optional, Tuple

import numpy as np
from affine import Affine

from ..core import check_canceled
from ..core import offset_tracking as ot
from ..core.feature_tracking import grid_centres, search_from_speed
from ..core.velocity import velocity_bands
from .budget import check_search
from .fill import detect_fill, fill_preprocess
from .product import standard_tags, write_product
from .sensor import check_sar_input
from .scenes import scene_info
from .tracking import AlignedPair, TrackingResult, match_grid, pair_times

OVERSAMPLE = 16
"""Oversampling factor of the correlation peak (SNAP's default)."""

FLAG_VALUES = "0=measurement,1=averaged,2=hole-filled,+4=interpolated between nodes"


def detect_pair_scale(pair: AlignedPair) -> Tuple[str, List[Tuple[str, str, str]]]:
    """Backscatter scale of both images of ``pair`` from tags, names or values.

    Parameters
    ----------
    pair : AlignedPair
        The open pair; a decimated read of band 1 (≤ 256 px a side) of each image
        gives the values.

    Returns
    -------
    scale : str
        ``'power'``, ``'amplitude'`` or ``'db'`` (``core.offset_tracking``).
    found : list of (file name, scale, reason)

    Raises
    ------
    ValueError
        When a scale cannot be told, or the two images are in different scales one of
        which is dB: the user must set the backscatter scale.
    """
    found = []
    for i, ds in enumerate((pair.reference, pair.secondary)):
        step = max(1, int(max(ds.width, ds.height) // 256))
        sample = ds.read(1, out_shape=(max(ds.height // step, 1), max(ds.width // step, 1)),
                         masked=True).filled(np.nan)
        # SNAP exports name the band (Sigma0_VV_db) rather than the file
        name = f"{os.path.basename(ds.name)} {ds.descriptions[0] or ''}".strip()
        scale, why = ot.detect_scale(pair.tags(i), name, sample)
        if scale is None:
            raise ValueError("cannot tell the backscatter scale of "
                             f"{os.path.basename(ds.name)}; set the backscatter scale")
        found.append((os.path.basename(ds.name), scale, why))
    scales = [f[1] for f in found]
    if (ot.SCALE_DB in scales) and scales[0] != scales[1]:
        raise ValueError(f"the reference looks {scales[0]} and the secondary {scales[1]}; "
                         "give both in the same scale or set the backscatter scale")
    return scales[0], found


def track_sar_files(reference: str, secondary: str, output: str,
                    start: Optional[_dt.datetime] = None, end: Optional[_dt.datetime] = None,
                    *, scale: Optional[str] = None, window: int = 128, resolution: float = 30.0,
                    step: Optional[int] = None, max_speed: float = 5.0,
                    cc_threshold: float = 0.1, average_box: int = 1, fill_radius: int = 0,
                    median_test: float = 2.0, peak_ratio: float = 0.0,
                    speckle_sigma: float = 0.7, progress: Optional[Callable] = None,
                    is_canceled: Optional[Callable] = None,
                    extra_tags: Optional[dict] = None) -> TrackingResult:
    """Offset tracking of two geocoded Sentinel-1 GRD images into a velocity product.

    Parameters
    ----------
    reference, secondary : str
        Paths of the earlier and later backscatter image (GeoTIFF or any GDAL raster,
        band 1) of the same track, geocoded (projected or lat/lon; lat/lon is worked
        on in the WGS 84 / UTM zone of the scene centre). The secondary is warped onto
        the reference grid on the fly when the grids differ.
    output : str
        Path of the velocity product (GeoTIFF, written atomically; never an input).
    start, end : datetime.datetime, optional
        Acquisition times (naive UTC); None = from the Sentinel-1 names or date tags.
    scale : {'power', 'amplitude', 'db'}, optional
        Backscatter scale; None = detected (:func:`detect_pair_scale`).
    window : int
        Matching window (px; 128 as in the published chain).
    resolution : float
        Output grid resolution (metres).
    step : int, optional
        Node spacing (px); None or 0 = ``core.offset_tracking.auto_step`` (the output
        resolution, but at least window/8).
    max_speed : float
        Maximum speed (m/d): sets the search range ``ceil(max_speed · Δt / pixel) + 1``
        px and rejects faster offsets.
    cc_threshold : float
        Minimum NCC peak (SNAP's cross-correlation threshold 0.1).
    average_box : int
        Odd averaging box in nodes (1 = off; SNAP uses 5).
    fill_radius : int
        Hole-filling radius in nodes (0 = off; SNAP uses 4).
    median_test : float
        Normalised median test threshold (0 = off), node-grid neighbour rule.
    peak_ratio : float
        Minimum peak / mean |NCC| (0 = off).
    speckle_sigma : float
        Gaussian low-pass of log amplitude against speckle (px; 0 = off).
    progress, is_canceled : callable, optional
        ``progress(fraction 0..1)``; ``is_canceled()`` → True stops with
        ``core.Canceled`` and nothing written.
    extra_tags : dict, optional
        Further product tags (e.g. the dataset job's key).

    Returns
    -------
    TrackingResult
        ``info`` holds ``scale``, ``scales`` (file, scale, reason per image),
        ``fill`` (a sentence per untagged ``uint16`` image holding 0/65535, which are
        treated as no data by :func:`glacvel_plugin.io.fill.fill_preprocess`),
        ``measured_nodes``, ``filled_nodes``; ``rejected`` the node counts per cause.

    Raises
    ------
    ValueError
        Unreadable file, no CRS, rotated grid, no overlap, Δt ≤ 0, unknown scale,
        even averaging box, window larger than the overlap, no window matched (empty,
        constant or unrelated images); the message names what to change. Nothing is
        written.
    core.Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Strozzi, T., Luckman, A., Murray, T., Wegmüller, U. & Werner, C. L. (2002). Glacier
    motion estimation using SAR offset-tracking procedures. IEEE TGRS 40(11), 2384-2391.
    """
    def report(f):
        if progress is not None:
            progress(f)

    window, average_box = int(window), int(average_box)
    if average_box % 2 == 0:
        raise ValueError(f"averaging box {average_box} must be odd (1 = off, SNAP uses 5)")
    check_sar_input(reference, "REFERENCE")
    check_sar_input(secondary, "SECONDARY")
    # untagged uint16 GRD DN: 0 outside the swath (and 65535) are no data, not texture
    fills = [detect_fill(p) for p in (reference, secondary)]
    pre = [fill_preprocess() if f is not None else None for f in fills]
    fill_notes = [f"{role} {os.path.basename(p)} has no nodata value and {f.describe()}; "
                  "0 and 65535 are treated as no data"
                  for role, p, f in zip(("REFERENCE", "SECONDARY"), (reference, secondary), fills)
                  if f is not None]
    with AlignedPair(reference, secondary) as pair:
        t0, t1, dt = pair_times(reference, secondary, start, end)
        if scale is None:
            scale, scales = detect_pair_scale(pair)
        else:
            scales = []
        px, py = pair.pixel
        pix = max(px, py)
        search = search_from_speed(max_speed, dt, min(px, py))
        if not step or step <= 0:
            step = ot.auto_step(resolution, pix, window)
        ow = pair.overlap_window()
        check_search(max_speed, dt, min(px, py), (int(ow.height), int(ow.width)), window)
        if window > min(ow.height, ow.width):
            raise ValueError(
                f"the matching window ({window} px) is larger than the overlap of the images "
                f"({int(ow.height)}×{int(ow.width)} px); use a smaller window or larger "
                "images")
        node_rows, node_cols = grid_centres(
            (ow.row_off + ow.height, ow.col_off + ow.width), window, step,
            origin=(ow.row_off, ow.col_off))
        nr, nc = len(node_rows), len(node_cols)

        def match(reference_tile, secondary_tile, rows, cols, prog):
            reference_tile = pre[0](reference_tile) if pre[0] is not None else reference_tile
            secondary_tile = pre[1](secondary_tile) if pre[1] is not None else secondary_tile
            return ot.track_nodes(reference_tile, secondary_tile, rows, cols, window, search,
                                  scale=scale, speckle_sigma=speckle_sigma,
                                  oversample=OVERSAMPLE, is_canceled=is_canceled, progress=prog)

        # tiles of nodes covering ~1024 px a side: each read holds two tiles of
        # (1024 + window + 2·search)² px, whatever the scene size
        raw = match_grid(pair, node_rows, node_cols, window, search, match,
                         max(1, 1024 // max(step, 1)), lambda f: report(0.9 * f), is_canceled)
        if not np.any(raw.status == 0):
            raise ValueError(
                "no window could be matched: the images are empty (no data), constant or do "
                "not share texture in their overlap; check the inputs, the times and "
                "MAX_SPEED")
        flat = ot.MatchResult(*(getattr(raw, f).ravel()
                                for f in ("dr", "dc", "peak", "peak_ratio", "status")))
        nf = ot.postprocess_nodes(flat, (nr, nc), threshold=cc_threshold,
                                  max_offset_px=max_speed * dt / min(px, py),
                                  median_test=median_test, average_box=average_box,
                                  fill_radius=fill_radius, min_peak_ratio=peak_ratio)
        check_canceled(is_canceled)
        # output grid: cell (0, 0) centred on node (0, 0), the centre of the window
        # spanning pixels n - half .. n - half + window - 1
        centre = window / 2.0 - window // 2
        x_n0, y_n0 = pair.transform * (node_cols[0] + centre, node_rows[0] + centre)
        res = float(resolution)
        out_cols = int(math.floor((node_cols[-1] - node_cols[0]) * px / res + 1e-9)) + 1
        out_rows = int(math.floor((node_rows[-1] - node_rows[0]) * py / res + 1e-9)) + 1
        transform = Affine(res, 0, x_n0 - res / 2, 0, -res, y_n0 + res / 2)
        yy, xx = np.mgrid[0:out_rows, 0:out_cols]
        grid, flag = ot.resample_nodes({"dr": nf.dr, "dc": nf.dc, "quality": nf.peak},
                                       nf.flag, yy * res / (step * py), xx * res / (step * px))
        bands = velocity_bands(grid["dr"], grid["dc"], pair.pixel, dt)
        quality = np.where(flag >= 0, grid["quality"], np.nan)
        quality[(flag >= 0) & ((flag & ot.FLAG_FILLED) > 0)] = np.nan
        bands.update(quality=quality, flag=np.where(flag >= 0, flag, np.nan))
        info = dict(scale=scale, scales=scales, fill=fill_notes,
                    measured_nodes=int(np.count_nonzero(nf.flag == ot.FLAG_MEASURED)),
                    filled_nodes=int(np.count_nonzero(nf.flag == ot.FLAG_FILLED)))
        tags = standard_tags(
            scene_info(reference).sensor or "S1", t0, t1,
            "sar_offset_tracking: NCC of log amplitude",
            WINDOW=window, STEP=step, SEARCH_PX=search, MAX_SPEED=max_speed,
            INPUT_SCALE=scale, CC_THRESHOLD=cc_threshold, AVERAGE_BOX=average_box,
            FILL_RADIUS=fill_radius, MEDIAN_TEST=median_test, PEAK_RATIO=peak_ratio,
            SPECKLE_SIGMA=speckle_sigma, OVERSAMPLE=OVERSAMPLE,
            REFERENCE=os.path.basename(reference), SECONDARY=os.path.basename(secondary),
            FLAG_VALUES=FLAG_VALUES, MEASURED_NODES=info["measured_nodes"],
            FILLED_NODES=info["filled_nodes"], **(extra_tags or {}))
        band_tags = {"v": {"UNITS": "m/d"}, "vx": {"UNITS": "m/d"}, "vy": {"UNITS": "m/d"},
                     "dx": {"UNITS": "m"}, "dy": {"UNITS": "m"},
                     "quality": {"DESCRIPTION": "NCC peak"},
                     "flag": {"DESCRIPTION": FLAG_VALUES}}
        check_canceled(is_canceled)
        write_product(output, bands, transform, pair.crs, tags, band_tags=band_tags,
                      protect=[reference, secondary])
        report(1.0)
        return TrackingResult(
            path=output, start=t0, end=t1, dt_days=dt, shape=(out_rows, out_cols),
            valid_fraction=float(np.isfinite(bands["v"]).mean()), search=search,
            window=window, step=step, pixel=pair.pixel, crs_wkt=pair.crs.to_wkt(),
            rejected=dict(nf.rejected), n_points=nr * nc, info=info)
