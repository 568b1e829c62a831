"""Image pairs on a common work grid and tiled window matching, for SAR and UAV tracking.

:class:`AlignedPair` reads a reference and a secondary image window by window on one
work grid (RGB → luminance, alpha and no data → NaN, lat/lon → UTM, optional
resampling to a work resolution); :func:`match_grid` matches windows centred on a
grid of work-grid pixels tile by tile, so memory stays bounded whatever the scene
size; :class:`TrackingResult` is what ``io.sar.track_sar_files`` and
``io.uav.track_uav_files`` return; :func:`pair_times` resolves the acquisition times.

Optical correlation uses ``io.pair.RasterPair`` instead (one chosen band of each
image, on the reference grid, read through the ``core.pipeline.ImagePair`` protocol);
both share ``io.pair``'s file opening and error messages.
"""
from __future__ import annotations

import datetime as _dt
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import rasterio
import rasterio.coords
import rasterio.crs
import rasterio.warp
from affine import Affine
from rasterio.enums import ColorInterp, Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window

from ..core import check_canceled
from ..core.feature_tracking import MatchResult
from ..core.velocity import time_baseline_days
from .pair import _open
from .raster import utm_epsg
from .scenes import acquisition_time

LUMA = (0.299, 0.587, 0.114)
"""ITU-R BT.601 luma weights for RGB → luminance."""


def _data_bands(ds):
    """Indexes of the data bands (alpha excluded) and the alpha band index or None."""
    ci = list(ds.colorinterp)
    alpha = [i + 1 for i, c in enumerate(ci) if c == ColorInterp.alpha]
    data = [i + 1 for i in range(ds.count) if (i + 1) not in alpha]
    return data, (alpha[0] if alpha else None)


class AlignedPair:
    """Reference and secondary images read window by window on one work grid.

    The work grid is the reference grid, or — with ``resolution`` — a grid over the
    reference extent with square pixels of ``resolution`` metres (average resampling
    when coarser). A reference in a geographic CRS (lat/lon, SNAP's default output) is
    worked on in the WGS 84 / UTM zone of its centre, with square pixels of the finer
    of its two pixel sides. The secondary is warped onto it on the fly (GDAL warped VRT,
    bilinear; average when coarser), so memory stays bounded by the window read.
    RGB(A) images become luminance (BT.601 weights); alpha bands and no-data values
    become NaN. Arrays are float32 (rows, cols). Use as a context manager or call
    :meth:`close`.

    Parameters
    ----------
    reference, secondary : str
        The earlier and the later image (any raster GDAL reads: one band, or RGB(A)),
        north-up, in any CRS.
    resolution : float, optional
        Work-grid pixel size (m); None = the reference's own grid.

    Attributes
    ----------
    crs : rasterio.crs.CRS
        The work grid's CRS (projected).
    transform : affine.Affine
        The work grid's transform.
    width, height : int
        The work grid's size (px).
    pixel : (float, float)
        Work-grid pixel width and height (m).
    overlap : (float, float, float, float)
        (left, bottom, right, top) of the two images' overlap in ``crs``.

    Raises
    ------
    ValueError
        If a file cannot be read, has no CRS, has a rotated or not north-up grid, or
        if the two images do not overlap.
    """

    def __init__(self, reference, secondary, resolution=None):
        self.paths = (reference, secondary)
        self.reference = _open(reference, "reference")
        try:
            self.secondary = _open(secondary, "secondary")
        except ValueError:
            self.reference.close()
            raise
        self._vrts = []
        try:
            self._setup(resolution)
        except Exception:
            self.close()
            raise

    def _setup(self, resolution):
        for ds, role in ((self.reference, "reference"), (self.secondary, "secondary")):
            if ds.crs is None:
                raise ValueError(f"the {role} image {os.path.basename(ds.name)} has no coordinate "
                                 "reference system; assign one first")
            t = ds.transform
            if t.b != 0 or t.d != 0 or t.e >= 0:
                raise ValueError(f"the {role} image grid is rotated or not north-up; warp it to "
                                 "a north-up grid first")
        t = self.reference.transform
        if self.reference.crs.is_projected:
            self.crs = self.reference.crs
        else:
            # geographic input (SNAP's terrain-correction default is WGS 84 lat/lon):
            # work on the WGS 84 / UTM zone of the scene centre, in metres
            lon, lat = rasterio.warp.transform(
                self.reference.crs, "EPSG:4326",
                [(self.reference.bounds.left + self.reference.bounds.right) / 2],
                [(self.reference.bounds.bottom + self.reference.bounds.top) / 2])
            self.crs = rasterio.crs.CRS.from_epsg(utm_epsg(lon[0], lat[0]))
        if self.crs != self.reference.crs:
            dst_t, width, height = rasterio.warp.calculate_default_transform(
                self.reference.crs, self.crs, self.reference.width, self.reference.height,
                *self.reference.bounds, resolution=float(resolution) if resolution else None)
            if not resolution:  # square pixels of the finer side
                res = min(abs(dst_t.a), abs(dst_t.e))
                dst_t, width, height = rasterio.warp.calculate_default_transform(
                    self.reference.crs, self.crs, self.reference.width, self.reference.height,
                    *self.reference.bounds, resolution=res)
            self.transform = dst_t
        elif resolution:
            res = float(resolution)
            width = max(int(round(self.reference.width * abs(t.a) / res)), 1)
            height = max(int(round(self.reference.height * abs(t.e) / res)), 1)
            self.transform = Affine(res, 0, t.c, 0, -res, t.f)
        else:
            width, height = self.reference.width, self.reference.height
            self.transform = t
        self.width, self.height = width, height
        self.pixel = (abs(self.transform.a), abs(self.transform.e))
        # overlap in the work CRS
        sb = rasterio.warp.transform_bounds(self.secondary.crs, self.crs, *self.secondary.bounds)
        rb = rasterio.warp.transform_bounds(self.reference.crs, self.crs, *self.reference.bounds)
        rb = rasterio.coords.BoundingBox(*rb)
        ix0, iy0 = max(rb.left, sb[0]), max(rb.bottom, sb[1])
        ix1, iy1 = min(rb.right, sb[2]), min(rb.top, sb[3])
        if ix1 <= ix0 or iy1 <= iy0:
            raise ValueError(
                f"the reference {os.path.basename(self.paths[0])} and secondary "
                f"{os.path.basename(self.paths[1])} do not overlap; choose two images of the "
                "same area")
        self.overlap = (ix0, iy0, ix1, iy1)
        self.readers = []
        for ds in (self.reference, self.secondary):
            same = (ds.crs == self.crs and ds.width == self.width and ds.height == self.height
                    and ds.transform.almost_equals(self.transform))
            if same:
                self.readers.append(ds)
                continue
            b = rasterio.warp.transform_bounds(ds.crs, self.crs, *ds.bounds)
            coarser = self.pixel[0] > (b[2] - b[0]) / ds.width * 1.01
            data, alpha = _data_bands(ds)
            kw = dict(crs=self.crs, transform=self.transform, width=self.width,
                      height=self.height, dtype="float32", nodata=np.nan,
                      resampling=Resampling.average if coarser else Resampling.bilinear)
            if alpha:
                kw["src_alpha"] = alpha
            elif ds.nodata is not None:
                kw["src_nodata"] = ds.nodata
            vrt = WarpedVRT(ds, **kw)
            self._vrts.append(vrt)
            self.readers.append(vrt)

    def overlap_window(self, margin=0):
        """Window of the work grid covering the overlap of the two images.

        Parameters
        ----------
        margin : int, default 0
            Pixels added on every side (clipped to the work grid).

        Returns
        -------
        rasterio.windows.Window
            Possibly empty (width or height 0).
        """
        inv = ~self.transform
        x0, y0, x1, y1 = self.overlap
        c0, r0 = inv * (x0, y1)
        c1, r1 = inv * (x1, y0)
        c0, r0 = max(int(math.floor(c0)) - margin, 0), max(int(math.floor(r0)) - margin, 0)
        c1 = min(int(math.ceil(c1)) + margin, self.width)
        r1 = min(int(math.ceil(r1)) + margin, self.height)
        return Window(c0, r0, max(c1 - c0, 0), max(r1 - r0, 0))

    def _read_one(self, ds, window):
        data, _ = _data_bands(ds.src_dataset if isinstance(ds, WarpedVRT) else ds)
        bands = data[:3] if len(data) >= 3 else data[:1]
        h, w = int(window.height), int(window.width)
        out = np.full((h, w), np.nan, dtype=np.float32)
        r0, c0 = int(window.row_off), int(window.col_off)
        a0, a1 = max(r0, 0), min(r0 + h, self.height)
        b0, b1 = max(c0, 0), min(c0 + w, self.width)
        if a1 <= a0 or b1 <= b0:
            return out
        a = ds.read(bands, window=Window(b0, a0, b1 - b0, a1 - a0), masked=True)
        arr = a.astype(np.float32).filled(np.nan)
        if len(bands) == 3:
            arr = LUMA[0] * arr[0] + LUMA[1] * arr[1] + LUMA[2] * arr[2]
        else:
            arr = arr[0]
        out[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = arr
        return out

    def read(self, window):
        """Both images' pixels of a window of the work grid.

        Parameters
        ----------
        window : rasterio.windows.Window
            Pixel window of the work grid; parts outside it are NaN.

        Returns
        -------
        (reference, secondary) : tuple of ndarray
            float32 (height, width) each, luminance for RGB, NaN = no data.
        """
        return tuple(self._read_one(ds, window) for ds in self.readers)

    def tags(self, which):
        """GDAL tags of one image (dataset tags and band 1's tags).

        Parameters
        ----------
        which : {0, 1}
            0 = reference, 1 = secondary.

        Returns
        -------
        dict
            Tag → value (band tags override dataset tags of the same name).
        """
        ds = self.reference if which == 0 else self.secondary
        t = dict(ds.tags())
        t.update(ds.tags(1) or {})
        return t

    def close(self):
        """Close both images and the warped views."""
        for v in self._vrts:
            v.close()
        self.reference.close()
        self.secondary.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def pair_times(reference: str, secondary: str, start: Optional[_dt.datetime] = None,
               end: Optional[_dt.datetime] = None) -> Tuple[_dt.datetime, _dt.datetime, float]:
    """Acquisition times and time baseline of a pair.

    Parameters
    ----------
    reference, secondary : str
        Paths of the earlier and later image.
    start, end : datetime.datetime or None
        Their acquisition times (naive UTC); None = from the file name, an MTL file
        beside it or the date tags (``io.scenes.acquisition_time``).

    Returns
    -------
    (start, end, dt_days)

    Raises
    ------
    ValueError
        When a time cannot be found (set it) or Δt ≤ 0 (swap the images or correct
        the times).
    """
    t0 = acquisition_time(reference, start, "reference")
    t1 = acquisition_time(secondary, end, "secondary")
    return t0, t1, time_baseline_days(t0, t1)


def match_grid(pair: AlignedPair, rows: np.ndarray, cols: np.ndarray, window: int,
               search: int, match: Callable, tile: int,
               progress: Optional[Callable] = None,
               is_canceled: Optional[Callable] = None) -> MatchResult:
    """Window matching on a grid of work-grid pixels, tile by tile.

    Parameters
    ----------
    pair : AlignedPair
        The open image pair.
    rows, cols : ndarray, int (n_rows,), (n_cols,)
        Work-grid pixel rows and columns of the window centres (a window spans
        pixels ``c − window//2 .. c − window//2 + window − 1``).
    window : int
        Matching window side in pixels (the UAV template, the SAR registration
        window).
    search : int
        Search range in pixels each side.
    match : callable
        ``match(reference, secondary, rows, cols, progress) -> MatchResult``: matches
        the windows centred on ``rows`` × ``cols`` (pixel coordinates inside the two
        float32 tile arrays, NaN = no data); returns results in row-major order.
    tile : int
        Grid points per tile side: a read holds two tiles of about
        ``(tile · step + window + 2 · search)²`` float32 pixels (``step`` the grid
        step in pixels).
    progress, is_canceled : callable, optional
        ``progress(fraction)`` and ``is_canceled()``; cancelling raises
        ``core.Canceled`` between tiles.

    Returns
    -------
    MatchResult
        ``dr``, ``dc``, ``peak``, ``peak_ratio`` float64 and ``status`` int8, each
        (n_rows, n_cols); points never matched have status 1 (no data).
    """
    n_r, n_c = len(rows), len(cols)
    fields = {f: np.full((n_r, n_c), np.nan) for f in ("dr", "dc", "peak", "peak_ratio")}
    status = np.full((n_r, n_c), 1, dtype=np.int8)
    tiles = [(a, b) for a in range(0, n_r, tile) for b in range(0, n_c, tile)]
    half = window // 2

    def report(f):
        if progress is not None:
            progress(f)

    for k, (a, b) in enumerate(tiles):
        check_canceled(is_canceled)
        rr, cc = rows[a:a + tile], cols[b:b + tile]
        r_lo, c_lo = int(rr[0]) - half - search, int(cc[0]) - half - search
        r_hi = int(rr[-1]) - half + window + search
        c_hi = int(cc[-1]) - half + window + search
        reference, secondary = pair.read(Window(c_lo, r_lo, c_hi - c_lo, r_hi - r_lo))
        res = match(reference, secondary, rr - r_lo, cc - c_lo,
                    lambda f, k=k: report((k + f) / len(tiles)))
        shp = (len(rr), len(cc))
        sl = (slice(a, a + tile), slice(b, b + tile))
        for f in fields:
            fields[f][sl] = getattr(res, f).reshape(shp)
        status[sl] = res.status.reshape(shp)
        report((k + 1) / len(tiles))
    return MatchResult(fields["dr"], fields["dc"], fields["peak"], fields["peak_ratio"], status)


@dataclass
class TrackingResult:
    """What a SAR or UAV tracking run wrote and measured.

    Attributes
    ----------
    path : str
        The velocity product written.
    start, end : datetime.datetime
        Acquisition times used (naive UTC).
    dt_days : float
        Time baseline Δt (days).
    shape : (int, int)
        Rows and columns of the product.
    valid_fraction : float
        Share of product cells with a velocity.
    search : int
        Search range each side (work-grid pixels).
    window : int
        Matching window side (work-grid pixels; the UAV window, the SAR
        registration window).
    step : float
        Distance between the matched grid points (work-grid pixels).
    pixel : (float, float)
        Work-grid pixel width and height (metres).
    crs_wkt : str
        CRS of the product (and of ``points``) as WKT.
    rejected : dict
        Cause → number of grid points rejected for it.
    n_points : int
        Grid points (SAR nodes, UAV window centres) matched.
    info : dict
        Sensor-specific figures (e.g. backscatter scale, flag counts).
    points : dict or None
        UAV: the valid tracked points, name → float64 (n,) arrays ``x``, ``y``
        (map metres), ``vx``, ``vy``, ``v`` (m/d), ``dx``, ``dy`` (m), ``quality``,
        ``peak_ratio``.
    """
    path: str
    start: _dt.datetime
    end: _dt.datetime
    dt_days: float
    shape: Tuple[int, int]
    valid_fraction: float
    search: int
    window: int
    step: float
    pixel: Tuple[float, float]
    crs_wkt: str
    rejected: Dict[str, int] = field(default_factory=dict)
    n_points: int = 0
    info: Dict[str, object] = field(default_factory=dict)
    points: Optional[Dict[str, np.ndarray]] = None
