"""Optical image pairs from files: alignment on the reference grid and strip-wise correlation.

:func:`open_pair` / :class:`RasterPair` open a reference and a secondary raster (one
chosen band each), check them and expose them on the reference image's pixel grid
over the overlap through the :class:`glacvel_plugin.core.pipeline.ImagePair`
protocol; the secondary is read directly when its grid coincides with the
reference grid, otherwise through a ``rasterio.vrt.WarpedVRT``.

:func:`correlate_files` (the work of ``glacvel:optical_correlation`` and of the
dataset job's optical pairs) runs :func:`glacvel_plugin.core.pipeline.correlate_pair`
strip by strip on such a pair and writes the glacvel velocity product atomically
(:mod:`glacvel_plugin.io.product`), with the bands of
:func:`glacvel_plugin.core.velocity.velocity_bands` (``dy`` north-positive, the
convention SAR and UAV tracking share).

SAR and UAV tracking read their pairs through
:class:`glacvel_plugin.io.tracking.AlignedPair`, which opens files with this
module's ``_open`` (same error messages).
"""
from __future__ import annotations

import datetime as _dt
import os
from typing import Callable, Dict, Optional

import numpy as np
import rasterio
import rasterio.warp
import rasterio.windows
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window
from affine import Affine

from ..core.filters import PREFILTERS
from ..core.pipeline import (DEFAULT_METHOD, ImagePair, correlate_pair, level_shape,
                             output_shape)
from ..core.velocity import time_baseline_days, velocity_bands
from .product import VELOCITY_BANDS, ProductWriter, standard_tags

TARGET_GRID_M = 30.0
"""Output grid spacing the automatic step aims at (metres)."""

QUALITY_DOC = {
    "phase": ("weighted mean phase coherence at the correlation peak, 0..1 "
              "(1 = identical windows)"),
    "ncc": "normalised cross-correlation at the integer peak, -1..1",
    "lk": "normalised cross-correlation of the reference and the deformed secondary windows, -1..1",
    "lk_phase": ("normalised cross-correlation of the reference and the matched secondary window "
                 "(deformed by Lucas-Kanade, or translated by the phase-correlation fallback), "
                 "-1..1"),
}

METHOD_NAMES = {
    "phase": "phase correlation (glacvel phase)",
    "ncc": "normalised cross-correlation (glacvel ncc)",
    "lk": "dense Lucas-Kanade with window deformation (glacvel lk)",
    "lk_phase": ("coarse NCC search, dense Lucas-Kanade with window deformation, phase "
                 "correlation where it is rejected (glacvel lk_phase)"),
}


def auto_step(pixel_size: float, target: float = TARGET_GRID_M) -> int:
    """Step giving an output grid closest to a target spacing.

    Parameters
    ----------
    pixel_size : float
        Image pixel size (m).
    target : float, default TARGET_GRID_M
        Output grid spacing aimed at (m; 30).

    Returns
    -------
    int
        round(target / pixel_size) px, at least 1 (2 on 15 m Landsat-8 B8, 3 on 10 m
        Sentinel-2 B8).
    """
    return max(1, int(round(target / float(pixel_size))))


def _open(path: str, role: str):
    if not path:
        raise ValueError(f"no {role} image given")
    try:
        return rasterio.open(path)
    except Exception as exc:  # rasterio raises RasterioIOError, CPLE_* ...
        raise ValueError(f"cannot read the {role} image {path}: {exc}; give a GeoTIFF/JP2 raster "
                         "that GDAL can open") from exc


def _band(ds, band, role: str) -> int:
    if band in (None, 0, "", "0"):
        if ds.count == 1:
            return 1
        raise ValueError(
            f"the {role} image {os.path.basename(ds.name)} has {ds.count} bands; choose the band "
            f"to correlate (e.g. the red or NIR band, or a panchromatic band)")
    band = int(band)
    if not 1 <= band <= ds.count:
        raise ValueError(f"the {role} image has {ds.count} band(s); band {band} does not exist")
    return band


class RasterPair(ImagePair):
    """Reference and secondary rasters exposed on the reference grid over the overlap.

    Both rasters are checked (readable, band chosen for multi-band files, CRS, the
    reference projected and not rotated, overlap, not all no-data, not constant) and
    exposed through the :class:`glacvel_plugin.core.pipeline.ImagePair` protocol. The
    secondary is read directly when its grid coincides with the reference grid (same
    CRS, pixel size and pixel-aligned origin), otherwise through a
    ``rasterio.vrt.WarpedVRT`` onto the reference grid. Every read is windowed;
    pyramid levels are decimated reads (average resampling). Use as a context manager
    or call :meth:`close`.

    Parameters
    ----------
    reference, secondary : str
        The earlier and the later image: GeoTIFF, JP2 or any raster GDAL reads. The
        reference must be in a projected CRS (m) on a grid without rotation; the secondary in
        any CRS overlapping it.
    ref_band, sec_band : int, default 1
        Bands correlated (1-based); 0, None or "" = the only band of a single-band file.
    preprocess : callable, optional
        ``preprocess(array) -> array`` (float32 in, float32 out, NaN kept), applied to
        every array :meth:`read` returns (e.g. :func:`glacvel_plugin.io.fill.fill_preprocess`).
    resampling : str, default "cubic"
        rasterio ``Resampling`` name of the secondary's warp onto the reference grid.

    Attributes
    ----------
    shape : (int, int)
        Rows and columns of the working grid (the overlap on the reference grid).
    transform : affine.Affine
        Affine of the working grid (pixel corners).
    crs : rasterio.crs.CRS
        The reference's CRS.
    pixel_size : (float, float)
        Pixel width and height (m).
    window : rasterio.windows.Window
        The working grid as a window of the reference raster.
    aligned : bool
        True when the secondary is read without resampling.

    Raises
    ------
    ValueError
        A missing or unreadable file, a band to choose or out of range, no CRS, a
        geographic reference, a rotated reference grid, no overlap (or less than one
        pixel), an image all no-data or constant in the overlap; the message names the
        image and what to change.
    """

    def __init__(self, reference: str, secondary: str, ref_band=1, sec_band=1,
                 preprocess: Optional[Callable] = None, resampling: str = "cubic"):
        self.paths = (reference, secondary)
        self.preprocess = preprocess
        self._reference = _open(reference, "reference")
        try:
            self._secondary = _open(secondary, "secondary")
        except ValueError:
            self._reference.close()
            raise
        try:
            self._setup(ref_band, sec_band, resampling)
        except Exception:
            self.close()
            raise

    def _setup(self, ref_band, sec_band, resampling):
        reference, secondary = self._reference, self._secondary
        self.ref_band = _band(reference, ref_band, "reference")
        self.sec_band = _band(secondary, sec_band, "secondary")
        if reference.crs is None:
            raise ValueError(f"the reference image {os.path.basename(reference.name)} has no "
                             "coordinate reference system; georeference it first")
        if secondary.crs is None:
            raise ValueError(f"the secondary image {os.path.basename(secondary.name)} has no "
                             "coordinate reference system; georeference it first")
        if not reference.crs.is_projected:
            raise ValueError("the reference image is not in a projected CRS (metres); reproject it "
                             "to UTM (e.g. with gdalwarp) first")
        t = reference.transform
        if t.b != 0 or t.d != 0:
            raise ValueError("the reference image grid is rotated; warp it to a north-up grid first")
        # overlap of the secondary footprint with the reference grid
        sb = rasterio.warp.transform_bounds(secondary.crs, reference.crs, *secondary.bounds,
                                            densify_pts=21)
        rb = reference.bounds
        left, right = max(rb.left, sb[0]), min(rb.right, sb[2])
        bottom, top = max(rb.bottom, sb[1]), min(rb.top, sb[3])
        if not (right > left and top > bottom):
            raise ValueError(
                f"the reference and secondary images do not overlap "
                f"({os.path.basename(reference.name)} and {os.path.basename(secondary.name)}); "
                "choose two images of the same area")
        win = rasterio.windows.from_bounds(left, bottom, right, top, transform=t)
        c0 = int(np.ceil(win.col_off - 1e-6))
        r0 = int(np.ceil(win.row_off - 1e-6))
        c1 = int(np.floor(win.col_off + win.width + 1e-6))
        r1 = int(np.floor(win.row_off + win.height + 1e-6))
        c0, r0 = max(c0, 0), max(r0, 0)
        c1, r1 = min(c1, reference.width), min(r1, reference.height)
        if c1 - c0 < 1 or r1 - r0 < 1:
            raise ValueError("the reference and secondary images do not overlap by a whole pixel; "
                             "choose two images of the same area")
        self.window = Window(c0, r0, c1 - c0, r1 - r0)
        self.shape = (r1 - r0, c1 - c0)
        self.transform = reference.window_transform(self.window)
        self.crs = reference.crs
        self.pixel_size = (abs(t.a), abs(t.e))
        # is the secondary on the same pixel grid?
        st = secondary.transform
        same = (secondary.crs == reference.crs and np.isclose(st.a, t.a) and np.isclose(st.e, t.e)
                and st.b == 0 and st.d == 0)
        if same:
            ox = (self.transform.c - st.c) / st.a
            oy = (self.transform.f - st.f) / st.e
            same = abs(ox - round(ox)) < 1e-3 and abs(oy - round(oy)) < 1e-3
        self.aligned = bool(same)
        if same:
            self._secondary_off = (int(round(oy)), int(round(ox)))
            self._secondary_src = secondary
        else:
            self._secondary_off = (0, 0)
            self._secondary_src = WarpedVRT(secondary, crs=reference.crs,
                                            transform=self.transform,
                                            width=self.shape[1], height=self.shape[0],
                                            resampling=Resampling[resampling], dtype="float32",
                                            src_nodata=secondary.nodata, nodata=np.nan,
                                            add_alpha=False)
        self._check_content()

    # -- reading -------------------------------------------------------------------
    def _read(self, role, level, r0, r1, c0, c1, resampling=Resampling.average):
        """float32 (r1-r0, c1-c0) of ``role`` at ``level`` with NaN outside/no data."""
        f = 2 ** level
        hL, wL = level_shape(self.shape, level)
        out = np.full((r1 - r0, c1 - c0), np.nan, np.float32)
        rr0, rr1, cc0, cc1 = max(r0, 0), min(r1, hL), max(c0, 0), min(c1, wL)
        if rr1 <= rr0 or cc1 <= cc0:
            return out
        if role == "ref":
            ds, band = self._reference, self.ref_band
            oy, ox = int(self.window.row_off), int(self.window.col_off)
        else:
            ds, band = self._secondary_src, self.sec_band
            oy, ox = self._secondary_off
        win = Window(ox + cc0 * f, oy + rr0 * f, (cc1 - cc0) * f, (rr1 - rr0) * f)
        shape = (rr1 - rr0, cc1 - cc0)
        a = ds.read(band, window=win, out_shape=shape if f > 1 else None, masked=True,
                    boundless=False, resampling=resampling)
        data = np.asarray(a.data, dtype=np.float32)
        mask = np.ma.getmaskarray(a)
        data[mask] = np.nan
        out[rr0 - r0:rr1 - r0, cc0 - c0:cc1 - c0] = data
        return out

    def read(self, role, level, r0, r1, c0, c1):
        """One role's pixels on the working grid (the ``ImagePair`` protocol).

        Parameters
        ----------
        role : {"ref", "sec"}
            Reference or secondary.
        level : int
            Pyramid level (0 = full resolution; level L reads 2^L × 2^L blocks averaged).
        r0, r1, c0, c1 : int
            Rows and columns of the level's grid (end exclusive); parts outside it are NaN.

        Returns
        -------
        ndarray
            float32 (r1 − r0, c1 − c0), NaN for no data, after ``preprocess``.
        """
        a = self._read(role, level, r0, r1, c0, c1)
        if self.preprocess is not None:
            a = np.asarray(self.preprocess(a), dtype=np.float32)
        return a

    def _check_content(self):
        """All-no-data and constant images fail here, before any output exists."""
        level = 0
        while max(level_shape(self.shape, level)) > 1024 and min(level_shape(self.shape, level + 1)) >= 16:
            level += 1
        h, w = level_shape(self.shape, level)
        for role, name in (("ref", "reference"), ("sec", "secondary")):
            a = self._read(role, level, 0, h, 0, w, resampling=Resampling.nearest)
            valid = np.isfinite(a)
            if not valid.any():
                raise ValueError(f"the {name} image has no valid data in the overlap (all no-data); "
                                 "check the band, the nodata value and the image footprint")
            if float(np.nanmax(a) - np.nanmin(a)) == 0.0:
                raise ValueError(f"the {name} image is constant in the overlap (value "
                                 f"{float(np.nanmax(a)):g}); it has no texture to correlate")

    def close(self):
        """Close both rasters (and the warped view of the secondary)."""
        for ds in (getattr(self, "_secondary_src", None), getattr(self, "_secondary", None),
                   getattr(self, "_reference", None)):
            if ds is not None and not ds.closed:
                ds.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def open_pair(reference: str, secondary: str, ref_band=1, sec_band=1,
              preprocess: Optional[Callable] = None, resampling: str = "cubic") -> RasterPair:
    """Open and check a pair of rasters.

    Parameters
    ----------
    reference, secondary : str
        The earlier and the later image.
    ref_band, sec_band : int, default 1
        Bands correlated.
    preprocess : callable, optional
        Applied to every array read.
    resampling : str, default "cubic"
        Resampling of the secondary onto the reference grid.

    Returns
    -------
    RasterPair
        See :class:`RasterPair` for the parameters and checks.

    Raises
    ------
    ValueError
        As :class:`RasterPair`.
    """
    return RasterPair(reference, secondary, ref_band, sec_band, preprocess, resampling)


def output_transform(transform: Affine, window: int, step: int) -> Affine:
    """Affine of the output grid: pixel centres at window centres, pixel = step px.

    Parameters
    ----------
    transform : affine.Affine
        The working grid's transform (pixel corners).
    window : int
        Window side (px).
    step : int
        Step between window centres (px).

    Returns
    -------
    affine.Affine
        Output pixel (i, j) covers the step × step px centred on the window of
        output row i, column j.
    """
    off = window / 2.0 - step / 2.0
    return transform * Affine.translation(off, off) * Affine.scale(step)


def correlate_files(reference: str, secondary: str, output: str, start: _dt.datetime,
                    end: _dt.datetime, *, ref_band=1, sec_band=1, window: int = 32,
                    step: Optional[int] = None, max_speed: float = 20.0,
                    method: str = DEFAULT_METHOD, prefilter: str = "highpass", min_quality: Optional[float] = None,
                    median_test: float = 2.0,
                    preprocess: Optional[Callable] = None, sensor: Optional[str] = None,
                    extra_tags: Optional[Dict] = None,
                    progress: Optional[Callable] = None, is_canceled: Optional[Callable] = None,
                    workers: Optional[int] = None, budget_bytes: int = 512 * 2 ** 20,
                    resampling: str = "cubic", overviews: bool = True) -> dict:
    """Correlate two optical rasters into a velocity product.

    Runs :func:`glacvel_plugin.core.pipeline.correlate_pair` strip by strip on a
    :class:`RasterPair` and writes the glacvel velocity product (:mod:`glacvel_plugin.io.product`)
    atomically through :class:`~glacvel_plugin.io.product.ProductWriter`: bands ``v``,
    ``vx``, ``vy`` (m/d; x east, y north), ``dx``, ``dy`` (metres over Δt),
    ``quality``; output pixel centres = window centres, pixel size = step × image pixel
    size. ``dy`` is north-positive: the image-row displacement negated (rows grow
    southwards); the bands come from :func:`glacvel_plugin.core.velocity.velocity_bands`
    (the convention SAR and UAV tracking share). Tags: the standard product tags
    plus ``WINDOW``, ``STEP``, ``MAX_SPEED``, ``PREFILTER``, ``MEDIAN_TEST``,
    ``MIN_QUALITY``, ``REFERENCE``, ``SECONDARY``, ``SEARCH_PX``, ``VALID_FRACTION``.

    Parameters
    ----------
    reference, secondary : str
        The earlier and the later image (see :class:`RasterPair`): the reference in a
        projected CRS on a grid without rotation.
    output : str
        Velocity product GeoTIFF to write (never one of the inputs).
    start, end : datetime.datetime
        Acquisition times of reference and secondary (naive = UTC); Δt = end − start
        must be positive.
    ref_band, sec_band : int, default 1
        Bands correlated (1-based).
    window : int, default 32
        Matching window side (px, at least 8).
    step : int, optional
        Step between window centres (px); None = :func:`auto_step` (a 30 m grid).
    max_speed : float, default 20.0
        Fastest speed expected (m/d): sets the search range ``max_speed·Δt / pixel
        size`` px and rejects faster vectors.
    method : {"lk_phase", "phase", "ncc", "lk"}
        Full-resolution engine (:data:`METHOD_NAMES`); default
        ``core.pipeline.DEFAULT_METHOD``.
    prefilter : str, default "highpass"
        One of :data:`glacvel_plugin.core.filters.PREFILTERS`.
    min_quality : float, optional
        Windows of lower quality (:data:`QUALITY_DOC`) are rejected; None = no threshold.
    median_test : float, default 2.0
        Normalised median test threshold (0 = off; dense-grid neighbour rule).
    preprocess : callable, optional
        Applied to every array read (e.g. :func:`glacvel_plugin.io.fill.fill_preprocess`).
    sensor : str, optional
        ``SENSOR`` tag; None = from the reference's name or metadata
        (:func:`glacvel_plugin.io.scenes.scene_info`), ``"unknown"`` when none.
    extra_tags : dict, optional
        Further product tags.
    progress : callable, optional
        ``progress(fraction)``, fraction in [0, 1].
    is_canceled : callable, optional
        ``is_canceled()`` → True stops with ``core.Canceled``.
    workers : int, optional
        Threads matching windows: the strips of each pass run that many at a time
        (:func:`glacvel_plugin.core.pipeline.correlate_pair`); None = min(2, CPU count)
        (more than two threads were not measured).
    budget_bytes : int, default 512 MiB
        Memory budget of the strips in flight, shared by the ``workers`` strips
        (:func:`glacvel_plugin.core.pipeline.plan_blocks`).
    resampling : str, default "cubic"
        Resampling of the secondary onto the reference grid when the grids differ.
    overviews : bool, default True
        Build the product's averaged overviews (False for an intermediate product that
        is only read back at full resolution, e.g. the dataset job's raw product before
        its stable-ground correction).

    Returns
    -------
    dict
        ``path``, ``valid_fraction`` (share of output cells with a velocity),
        ``dt_days``, ``step``, ``window``, ``search_px``, ``levels`` (pyramid levels),
        ``shape`` (rows, cols of the product).

    Raises
    ------
    ValueError
        With an actionable message for bad input: unknown pre-filter or method,
        non-positive ``max_speed``, Δt ≤ 0, output equal to an input, and every check of
        :class:`RasterPair`; nothing is written.
    core.Canceled
        When cancelled; nothing is left.
    OSError
        A write error of the product (full disk, vanished folder), naming ``output``.

    References
    ----------
    Leprince, S., Barbot, S., Ayoub, F. and Avouac, J.-P. (2007). Automatic and precise
    orthorectification, coregistration, and subpixel correlation of satellite images,
    application to ground deformation measurements. IEEE TGRS 45, 1529–1558 (phase
    correlation, COSI-Corr).

    Lucas, B. D. and Kanade, T. (1981). An iterative image registration technique with
    an application to stereo vision. IJCAI (Lucas-Kanade refinement).

    Westerweel, J. and Scarano, F. (2005). Universal outlier detection for PIV data.
    Experiments in Fluids 39, 1096–1100 (normalised median test).

    See docs/correlation.md for the chain and the other sources.
    """
    if prefilter not in PREFILTERS:
        raise ValueError(f"unknown pre-filter {prefilter!r}; use one of {', '.join(PREFILTERS)}")
    if not max_speed or max_speed <= 0:
        raise ValueError(f"maximum speed must be positive (got {max_speed} m/d)")
    dt_days = time_baseline_days(start, end)
    for p in (reference, secondary):
        if p and os.path.exists(output) and os.path.abspath(p) == os.path.abspath(output):
            raise ValueError(f"output {output} is one of the inputs; choose another file name")
    if workers is None:
        workers = max(1, min(2, os.cpu_count() or 1))
    with open_pair(reference, secondary, ref_band, sec_band, preprocess, resampling) as pair:
        px, py = pair.pixel_size
        if step is None:
            step = auto_step(px)
        window, step = int(window), int(step)
        rows_out, cols_out = output_shape(pair.shape, window, step)
        search_px = max_speed * dt_days / min(px, py)
        if sensor is None:
            from .scenes import scene_info
            sensor = scene_info(reference).sensor or "unknown"
        tags = standard_tags(
            sensor, start, end, METHOD_NAMES.get(method, method), WINDOW=window, STEP=step, MAX_SPEED=max_speed,
            PREFILTER=prefilter, MEDIAN_TEST=median_test, MIN_QUALITY="" if min_quality is None else min_quality,
            REFERENCE=os.path.basename(reference), SECONDARY=os.path.basename(secondary),
            SEARCH_PX=f"{search_px:.2f}", **(extra_tags or {}))
        band_tags = {"quality": {"DESCRIPTION": QUALITY_DOC.get(method, "")},
                     "dx": {"UNITS": "m"}, "dy": {"UNITS": "m"},
                     "v": {"UNITS": "m/d"}, "vx": {"UNITS": "m/d"}, "vy": {"UNITS": "m/d"}}
        T = pair.transform
        out_T = output_transform(T, window, step)
        stats = {"valid": 0}
        with ProductWriter(output, VELOCITY_BANDS, rows_out, cols_out, out_T, pair.crs, tags,
                           band_tags=band_tags, protect=[reference, secondary],
                           overviews=overviews) as writer:
            def sink(i0, i1, dr, dc, q):
                bands = velocity_bands(dr, dc, pair.pixel_size, dt_days)  # dy north-positive
                bands["quality"] = q
                writer.write(bands, Window(0, i0, cols_out, i1 - i0))
                stats["valid"] += int(np.isfinite(bands["dx"]).sum())

            correlate_pair(pair, window, step, search_px, method=method, prefilter_kind=prefilter,
                           min_quality=min_quality, max_displacement=search_px,
                           median_test=median_test, workers=workers,
                           sink=sink, progress=progress, is_canceled=is_canceled,
                           budget_bytes=budget_bytes)
            frac = stats["valid"] / float(rows_out * cols_out)
            writer.update_tags(VALID_FRACTION=f"{frac:.4f}")
    from ..core.pipeline import pyramid_levels
    return dict(path=output, valid_fraction=frac, dt_days=dt_days, step=step, window=window,
                search_px=search_px, levels=pyramid_levels(search_px, window, pair.shape),
                shape=(rows_out, cols_out))
