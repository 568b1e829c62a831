"""A common target grid for several velocity products, read block by block.

Fusion, monthly composites and validation bring every input product onto one
grid before any arithmetic. This module owns that step:

* :class:`TargetGrid` — CRS, affine transform and shape of the output grid, with
  block windows (:meth:`TargetGrid.blocks`) so that callers never hold more than
  one block of every input in memory.
* :func:`target_grid` — builds the grid from the inputs: ``TARGET_CRS`` (default:
  the WGS 84 / UTM zone containing the centre of the data), ``TARGET_RESOLUTION``
  (default 30 m, the published monthly product's pixel), and ``EXTENT`` (default
  the union of the inputs' footprints; ``"intersection"`` on request). The grid
  origin is snapped to a multiple of the resolution so that products made in
  separate runs line up.
* :class:`SourceReader` — one input product, opened once; :meth:`SourceReader.read`
  returns the named bands on one block of the target grid, converted to m/d.

Resampling: ``average`` when the target pixel is coarser than the source pixel
(every source pixel falling in a target cell contributes; no aliasing), ``bilinear``
when it is as fine or finer (smooth upsampling of a smooth field); band ``count``
and ``quality`` always ``nearest``. No-data (NaN) pixels never contribute (GDAL
excludes no-data from both kernels).

Vectors: a product in another CRS has vx/vy along that CRS's axes; they are
rotated (and scaled) into the target CRS with the local Jacobian of the change of
projection at every target pixel (:meth:`SourceReader.jacobian`), e.g. ≈5° of
grid convergence between neighbouring UTM zones at 60° N. Error bands go through
the same map as independent variances.

Units: the ``UNITS`` tag of a product must be ``m/d`` (also ``m/day``, ``m d-1``) or
``m/yr`` (also ``m/a``, ``m/year``, ``m yr-1``); velocity and error bands are
divided by 365.25 for yearly units. A product without ``UNITS`` is refused: a
velocity of unknown units cannot be fused.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
import rasterio
import rasterio.warp
from affine import Affine
from rasterio.crs import CRS
from rasterio.windows import Window

from .product import NODATA, ProductError, band_names, parse_time
from .raster import reproject_to_grid, utm_epsg

DEFAULT_RESOLUTION = 30.0
"""Default target pixel size in metres (the published monthly product)."""

DEFAULT_BLOCK = 512
"""Default block edge in target pixels (512² float32 = 1 MiB per band and input)."""

DAYS_PER_YEAR = 365.25

_PER_DAY = {"m/d", "m/day", "m d-1", "m day-1", "m/d.", "meter/day", "metre/day", "m per day"}
_PER_YEAR = {"m/yr", "m/y", "m/a", "m/year", "m yr-1", "m a-1", "m year-1", "meter/year",
             "metre/year", "m per year"}

VELOCITY_LIKE = ("v", "vx", "vy", "v_error", "vx_error", "vy_error")
"""Bands scaled by the unit conversion (any other ``*_error`` band as well)."""

NEAREST_BANDS = ("count", "quality")


def units_factor(units: Optional[str], name: str = "the product") -> float:
    """Factor that converts a product's velocities to m/d.

    Parameters
    ----------
    units : str or None
        The product's ``UNITS`` tag (case and spacing ignored; see the module doc for
        the spellings known).
    name : str, default "the product"
        What the message calls the product (its file name).

    Returns
    -------
    float
        1.0 for metres per day, 1/365.25 for metres per year.

    Raises
    ------
    ValueError
        For a missing or unknown unit.
    """
    if units is None or not str(units).strip():
        raise ValueError(
            f"{name} has no UNITS tag, so its velocities cannot be converted to m/d; "
            "import it with glacvel:import_velocity and give its units (m/d or m/yr)")
    u = " ".join(str(units).strip().lower().split())
    if u in _PER_DAY:
        return 1.0
    if u in _PER_YEAR:
        return 1.0 / DAYS_PER_YEAR
    raise ValueError(f"{name} has UNITS '{units}', which glacvel does not know; "
                     "velocity products must be in m/d or m/yr")


@dataclass(frozen=True)
class TargetGrid:
    """A north-up output grid.

    Attributes
    ----------
    crs : rasterio.crs.CRS
        Projected CRS (metres).
    transform : affine.Affine
        Affine of the pixel corners (``a`` > 0, ``e`` < 0: rows grow southwards).
    width, height : int
        Pixels.
    """
    crs: CRS
    transform: Affine
    width: int
    height: int

    @property
    def shape(self) -> Tuple[int, int]:
        return self.height, self.width

    @property
    def resolution(self) -> float:
        return abs(self.transform.a)

    @property
    def bounds(self) -> Tuple[float, float, float, float]:
        """(left, bottom, right, top) in grid CRS units."""
        left, top = self.transform.c, self.transform.f
        return (left, top + self.height * self.transform.e,
                left + self.width * self.transform.a, top)

    def window_transform(self, window: Window) -> Affine:
        """Affine of a window of the grid.

        Parameters
        ----------
        window : rasterio.windows.Window
            Pixel window of the grid.

        Returns
        -------
        affine.Affine
            The grid's transform moved to the window's upper-left corner.
        """
        return self.transform * Affine.translation(window.col_off, window.row_off)

    def window_bounds(self, window: Window) -> Tuple[float, float, float, float]:
        """Map bounds of a window of the grid.

        Parameters
        ----------
        window : rasterio.windows.Window
            Pixel window of the grid.

        Returns
        -------
        (float, float, float, float)
            (left, bottom, right, top) in grid CRS units (m).
        """
        t = self.window_transform(window)
        return (t.c, t.f + window.height * t.e, t.c + window.width * t.a, t.f)

    def blocks(self, block: int = DEFAULT_BLOCK) -> Iterator[Window]:
        """Windows tiling the grid exactly once, row of blocks by row of blocks.

        Parameters
        ----------
        block : int, default DEFAULT_BLOCK
            Largest block side (px); edge blocks are smaller.

        Yields
        ------
        rasterio.windows.Window
            Blocks of at most ``block`` × ``block`` pixels.

        Raises
        ------
        ValueError
            When ``block`` < 1.
        """
        if block < 1:
            raise ValueError("block size must be at least 1 pixel")
        for r in range(0, self.height, block):
            for c in range(0, self.width, block):
                yield Window(c, r, min(block, self.width - c), min(block, self.height - r))

    def n_blocks(self, block: int = DEFAULT_BLOCK) -> int:
        """Number of windows :meth:`blocks` yields.

        Parameters
        ----------
        block : int, default DEFAULT_BLOCK
            Largest block side (px).

        Returns
        -------
        int
            ceil(height / block) · ceil(width / block).
        """
        return math.ceil(self.height / block) * math.ceil(self.width / block)

    def index(self, x: float, y: float) -> Tuple[int, int]:
        """Pixel containing a point of the grid CRS.

        Parameters
        ----------
        x, y : float
            Map coordinates in the grid CRS (m).

        Returns
        -------
        (int, int)
            (row, col); may lie outside the grid.
        """
        col, row = ~self.transform * (x, y)
        return int(math.floor(row)), int(math.floor(col))


def _to_crs(value) -> CRS:
    if isinstance(value, CRS):
        return value
    if isinstance(value, int):
        return CRS.from_epsg(value)
    return CRS.from_user_input(value)


def product_footprint(path: str) -> Tuple[CRS, Tuple[float, float, float, float]]:
    """CRS and bounds of a raster.

    Parameters
    ----------
    path : str
        A raster file (a velocity product GeoTIFF).

    Returns
    -------
    crs : rasterio.crs.CRS
        Its CRS.
    bounds : (float, float, float, float)
        (left, bottom, right, top) in that CRS.

    Raises
    ------
    ValueError
        When the file cannot be opened or has no CRS.
    """
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise ValueError(f"{os.path.basename(path)} has no CRS; assign one before fusing")
            return ds.crs, tuple(ds.bounds)
    except rasterio.errors.RasterioIOError as exc:
        raise ValueError(f"cannot open {path}: {exc}") from exc


def target_grid(paths: Sequence[str], crs=None, resolution: Optional[float] = None,
                extent: Optional[Tuple[float, float, float, float]] = None,
                extent_crs=None, mode: str = "union") -> TargetGrid:
    """The common grid of several rasters.

    Parameters
    ----------
    paths : sequence of str
        Input rasters (their footprints define the default extent and CRS).
    crs : int, str or rasterio.crs.CRS, optional
        Target CRS (EPSG code, any string rasterio reads); default the WGS 84 / UTM
        zone containing the centre of the inputs' union footprint.
    resolution : float, optional
        Pixel size in target CRS units (m); default :data:`DEFAULT_RESOLUTION` (30).
    extent : (float, float, float, float), optional
        (xmin, ymin, xmax, ymax) in ``extent_crs``; default the union or intersection
        of the input footprints (``mode``).
    extent_crs : int, str or rasterio.crs.CRS, optional
        CRS of ``extent``; default the target CRS.
    mode : {"union", "intersection"}
        Default extent when ``extent`` is None.

    Returns
    -------
    TargetGrid
        North-up, square pixels, origin and extent snapped outwards to multiples of
        ``resolution``.

    Raises
    ------
    ValueError
        For no inputs, an unreadable input or one without CRS, a non-positive
        resolution, a geographic target CRS, an unknown ``mode``, or an empty extent
        (e.g. inputs that do not overlap).
    """
    if not paths:
        raise ValueError("no input products; give at least one velocity product")
    res = float(resolution) if resolution else DEFAULT_RESOLUTION
    if not res > 0:
        raise ValueError(f"target resolution must be positive (got {resolution})")
    feet = [product_footprint(p) for p in paths]
    if crs is None:
        xs, ys = [], []
        for c, (l, b, r, t) in feet:
            (lon0, lon1), (lat0, lat1) = rasterio.warp.transform(c, "EPSG:4326", [l, r], [b, t])
            xs += [lon0, lon1]
            ys += [lat0, lat1]
        dst = CRS.from_epsg(utm_epsg((min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2))
    else:
        dst = _to_crs(crs)
    if dst.is_geographic:
        raise ValueError("the target CRS is geographic (degrees); choose a projected CRS in "
                         "metres, e.g. the UTM zone of the glacier")
    if extent is not None:
        ecrs = _to_crs(extent_crs) if extent_crs is not None else dst
        left, bottom, right, top = rasterio.warp.transform_bounds(ecrs, dst, *extent)
    else:
        boxes = [rasterio.warp.transform_bounds(c, dst, *b) for c, b in feet]
        if mode == "union":
            left = min(b[0] for b in boxes)
            bottom = min(b[1] for b in boxes)
            right = max(b[2] for b in boxes)
            top = max(b[3] for b in boxes)
        elif mode == "intersection":
            left = max(b[0] for b in boxes)
            bottom = max(b[1] for b in boxes)
            right = min(b[2] for b in boxes)
            top = min(b[3] for b in boxes)
        else:
            raise ValueError(f"extent mode must be 'union' or 'intersection', not {mode!r}")
    left = math.floor(left / res) * res
    bottom = math.floor(bottom / res) * res
    right = math.ceil(right / res) * res
    top = math.ceil(top / res) * res
    width = int(round((right - left) / res))
    height = int(round((top - bottom) / res))
    if width < 1 or height < 1:
        raise ValueError("the target extent is empty (the inputs do not overlap, or EXTENT "
                         "lies outside them); choose another extent or mode 'union'")
    return TargetGrid(dst, Affine(res, 0.0, left, 0.0, -res, top), width, height)


def _error_tag(tags: Dict[str, str], keys: Sequence[str]) -> Optional[float]:
    upper = {k.upper(): v for k, v in tags.items()}
    for k in keys:
        if k in upper:
            try:
                v = float(upper[k])
            except ValueError:
                continue
            if math.isfinite(v) and v >= 0:
                return v
    return None


ERROR_TAGS_X = ("VX_ERROR", "SE_SIGMA_VX", "SG_HELDOUT_NMAD_VX", "NMAD_VX", "STABLE_NMAD_VX",
                "SIGMA_VX")
ERROR_TAGS_Y = ("VY_ERROR", "SE_SIGMA_VY", "SG_HELDOUT_NMAD_VY", "NMAD_VY", "STABLE_NMAD_VY",
                "SIGMA_VY")
ERROR_TAGS_V = ("V_ERROR", "NMAD", "STABLE_NMAD", "SIGMA", "ERROR")


class SourceReader:
    """One velocity product opened for block reads onto a :class:`TargetGrid`.

    Error of a source (σ, m/d, per component): the bands ``vx_error``/``vy_error``
    if present, else ``v_error`` for both components, else the scalar dataset tags
    ``VX_ERROR``/``VY_ERROR`` (also the stable-ground tags ``SE_SIGMA_VX``/``_VY`` of
    glacvel:stable_ground_error, ``SG_HELDOUT_NMAD_VX``/``_VY`` of the co-registration
    correction, ``NMAD_VX``/``NMAD_VY``; in the product's units) or ``V_ERROR``/``NMAD``/``STABLE_NMAD`` for both; else
    unknown (NaN). Callers may override it with :attr:`sigma_override` (x, y).

    Use as a context manager or call :meth:`close`.

    Parameters
    ----------
    path : str
        A velocity product GeoTIFF (bands found by their descriptions, a ``UNITS`` tag;
        any projected CRS).
    require : sequence of str, default ("vx", "vy")
        Bands the product must have.

    Attributes
    ----------
    path : str
    name : str
        ``SENSOR`` tag, else the file stem.
    tags : dict
        Dataset tags.
    bands : list of str
        Band descriptions.
    factor : float
        Factor to m/d (:func:`units_factor`).
    start, end : datetime.datetime or None
        ``START_TIME``/``END_TIME`` (naive UTC).
    crs : rasterio.crs.CRS
    resolution : float
        Source pixel size in its CRS (the larger side).
    sigma_override : (float, float) or None
        (σx, σy) in m/d replacing the product's own error.

    Raises
    ------
    ValueError
        When the file cannot be opened, has no CRS or a geographic one, no ``UNITS``
        tag or an unknown unit.
    ProductError
        When a band of ``require`` is missing.
    """

    def __init__(self, path: str, require=("vx", "vy")):
        self.path = path
        try:
            self.ds = rasterio.open(path)
        except rasterio.errors.RasterioIOError as exc:
            raise ValueError(f"cannot open velocity product {path}: {exc}") from exc
        base = os.path.basename(path)
        self.bands = band_names(self.ds)
        missing = [b for b in require if b not in self.bands]
        if missing:
            self.ds.close()
            raise ProductError(
                f"{base} has no band(s) {', '.join(missing)} (bands: {', '.join(self.bands)}); "
                "give a glacvel velocity product or import the rasters with "
                "glacvel:import_velocity")
        if self.ds.crs is None:
            self.ds.close()
            raise ValueError(f"{base} has no CRS; assign one before fusing")
        if self.ds.crs.is_geographic:
            self.ds.close()
            raise ValueError(f"{base} is in a geographic CRS (degrees); velocity components need "
                             "a projected grid in metres: reproject it (e.g. to its UTM zone) "
                             "first")
        self.tags = dict(self.ds.tags())
        try:
            self.factor = units_factor(self.tags.get("UNITS"), base)
        except ValueError:
            self.ds.close()
            raise
        self.name = self.tags.get("SENSOR") or os.path.splitext(base)[0]
        self.start = parse_time(self.tags["START_TIME"]) if self.tags.get("START_TIME") else None
        self.end = parse_time(self.tags["END_TIME"]) if self.tags.get("END_TIME") else None
        self.crs = self.ds.crs
        self.resolution = max(abs(self.ds.transform.a), abs(self.ds.transform.e))
        self.sigma_override: Optional[Tuple[float, float]] = None

    # -- errors -------------------------------------------------------------
    def error_bands(self) -> Optional[Tuple[str, str]]:
        """Error bands of the product.

        Returns
        -------
        (str, str) or None
            (band for σx, band for σy): ``vx_error``/``vy_error``, else ``v_error`` twice;
            None when the product has no error band.
        """
        if "vx_error" in self.bands and "vy_error" in self.bands:
            return "vx_error", "vy_error"
        if "v_error" in self.bands:
            return "v_error", "v_error"
        return None

    def scalar_sigma(self) -> Tuple[float, float]:
        """Scalar (σx, σy) of the product from :attr:`sigma_override` or its tags.

        Returns
        -------
        (float, float)
            m/d; NaN when unknown.
        """
        if self.sigma_override is not None:
            return tuple(float(s) for s in self.sigma_override)
        sx = _error_tag(self.tags, ERROR_TAGS_X)
        sy = _error_tag(self.tags, ERROR_TAGS_Y)
        sv = _error_tag(self.tags, ERROR_TAGS_V)
        sx = sx if sx is not None else sv
        sy = sy if sy is not None else sv
        return (sx * self.factor if sx is not None else float("nan"),
                sy * self.factor if sy is not None else float("nan"))

    def has_error(self) -> bool:
        """Whether the product has an error: an override, an error band or both scalar tags.

        Returns
        -------
        bool
        """
        return (self.sigma_override is not None or self.error_bands() is not None
                or all(np.isfinite(self.scalar_sigma())))

    # -- reading ------------------------------------------------------------
    def resampling_for(self, grid: TargetGrid, band: str) -> str:
        """Resampling used for a band onto a grid (see the module docstring).

        Parameters
        ----------
        grid : TargetGrid
            The target grid.
        band : str
            Band name.

        Returns
        -------
        str
            ``"nearest"`` for ``count``/``quality``, ``"average"`` when the target pixel is
            coarser than the source pixel, else ``"bilinear"``.
        """
        if band in NEAREST_BANDS:
            return "nearest"
        # compare pixel sizes in metres on the ground; CRS units are metres for
        # projected grids, degrees need conversion (≈111 km per degree)
        src = self.resolution * (111_000.0 if self.crs.is_geographic else 1.0)
        return "average" if grid.resolution > src * 1.0001 else "bilinear"

    def source_window(self, grid: TargetGrid, window: Window, margin: int = 2) -> Optional[Window]:
        """Window of the source covering a target block.

        Parameters
        ----------
        grid : TargetGrid
            The target grid.
        window : rasterio.windows.Window
            A block of ``grid``.
        margin : int, default 2
            Source pixels added on every side.

        Returns
        -------
        rasterio.windows.Window or None
            Clipped to the source; None when the block and the source are disjoint.
        """
        bounds = grid.window_bounds(window)
        if self.crs == grid.crs:
            l, b, r, t = bounds
        else:
            l, b, r, t = rasterio.warp.transform_bounds(grid.crs, self.crs, *bounds, densify_pts=21)
        inv = ~self.ds.transform
        cols, rows = zip(*[inv * (x, y) for x, y in ((l, b), (l, t), (r, b), (r, t))])
        c0 = max(int(math.floor(min(cols))) - margin, 0)
        r0 = max(int(math.floor(min(rows))) - margin, 0)
        c1 = min(int(math.ceil(max(cols))) + margin, self.ds.width)
        r1 = min(int(math.ceil(max(rows))) + margin, self.ds.height)
        if c1 <= c0 or r1 <= r0:
            return None
        return Window(c0, r0, c1 - c0, r1 - r0)

    def read(self, bands: Iterable[str], grid: TargetGrid, window: Window) -> Dict[str, np.ndarray]:
        """The named bands on one block of the target grid, in m/d.

        Only the part of the source under the block (plus a 2-pixel margin) is read and
        resampled (:meth:`resampling_for`). Velocity-like bands (:data:`VELOCITY_LIKE` and
        ``*_error``) are converted to m/d with the ``UNITS`` tag; when the CRSs differ,
        ``vx``/``vy`` are rotated into the target CRS with :meth:`jacobian` (both are then
        read and returned).

        Parameters
        ----------
        bands : iterable of str
            Band names.
        grid : TargetGrid
            The target grid.
        window : rasterio.windows.Window
            A block of ``grid``.

        Returns
        -------
        dict
            Band name → float32 (h, w) array, NaN for no data (all NaN off the source).

        Raises
        ------
        ProductError
            For a missing band, or a missing ``vx``/``vy`` partner when rotating.
        """
        bands = list(bands)
        missing = [b for b in bands if b not in self.bands]
        if missing:
            raise ProductError(f"{os.path.basename(self.path)} has no band(s) "
                               f"{', '.join(missing)} (bands: {', '.join(self.bands)})")
        shape = (int(window.height), int(window.width))
        out = {b: np.full(shape, np.nan, dtype=np.float32) for b in bands}
        sw = self.source_window(grid, window)
        if sw is None:
            return out
        src_t = self.ds.window_transform(sw)
        dst_t = grid.window_transform(window)
        rotate = self.crs != grid.crs and ("vx" in bands or "vy" in bands)
        if rotate:
            bands_in = list(dict.fromkeys(bands + ["vx", "vy"]))
            if not set(bands_in) <= set(self.bands):
                raise ProductError(f"{os.path.basename(self.path)} needs both vx and vy to be "
                                   "brought into another CRS (the vectors are rotated)")
            out.update({b: np.full(shape, np.nan, dtype=np.float32) for b in bands_in})
            bands = bands_in
        for b in bands:
            idx = self.bands.index(b) + 1
            a = self.ds.read(idx, window=sw).astype(np.float32)
            nd = self.ds.nodatavals[idx - 1]
            if nd is not None and not np.isnan(nd):
                a[a == nd] = np.nan
            a[a == NODATA] = np.nan
            r = reproject_to_grid(a, src_t, self.crs, dst_t, grid.crs, shape,
                                  resampling=self.resampling_for(grid, b))
            if b in VELOCITY_LIKE or b.endswith("_error"):
                r *= np.float32(self.factor)
            out[b] = r
        if rotate:
            j = self.jacobian(grid, window)
            vx, vy = out["vx"], out["vy"]
            out["vx"] = (j[0] * vx + j[1] * vy).astype(np.float32)
            out["vy"] = (j[2] * vx + j[3] * vy).astype(np.float32)
        return out

    def jacobian(self, grid: TargetGrid, window: Window):
        """Per-pixel map of source-CRS vector components to target-CRS components.

        The local derivative of the source→target projection change (grid convergence
        and scale), from 1-metre finite differences at every target pixel centre.

        Parameters
        ----------
        grid : TargetGrid
            The target grid.
        window : rasterio.windows.Window
            A block of ``grid``.

        Returns
        -------
        (J00, J01, J10, J11) : tuple of ndarray
            float64 (h, w): ``vx_t = J00 vx_s + J01 vy_s``, ``vy_t = J10 vx_s + J11 vy_s``.
            Identity when the CRSs match. The last block's result is cached.
        """
        h, w = int(window.height), int(window.width)
        if self.crs == grid.crs:
            one, zero = np.ones((h, w)), np.zeros((h, w))
            return one, zero, zero, one
        key = (window.col_off, window.row_off, w, h, grid)
        if getattr(self, "_jkey", None) == key:
            return self._jac
        t = grid.window_transform(window)
        cols, rows = np.meshgrid(np.arange(w) + 0.5, np.arange(h) + 0.5)
        X = t.c + cols * t.a
        Y = t.f + rows * t.e
        xs, ys = rasterio.warp.transform(grid.crs, self.crs, X.ravel(), Y.ravel())
        xs, ys = np.asarray(xs), np.asarray(ys)
        step = 1.0
        ex_x, ex_y = rasterio.warp.transform(self.crs, grid.crs, xs + step, ys)
        ny_x, ny_y = rasterio.warp.transform(self.crs, grid.crs, xs, ys + step)
        Xr, Yr = X.ravel(), Y.ravel()
        jac = tuple(np.asarray(a).reshape(h, w) for a in (
            (np.asarray(ex_x) - Xr) / step, (np.asarray(ny_x) - Xr) / step,
            (np.asarray(ex_y) - Yr) / step, (np.asarray(ny_y) - Yr) / step))
        self._jkey, self._jac = key, jac
        return jac

    def read_sigma(self, grid: TargetGrid, window: Window) -> Tuple[np.ndarray, np.ndarray]:
        """(σx, σy) of the product on one block: error bands, else scalar tags, else NaN.

        In another CRS the component errors go through the rotation as independent
        variances (σ'² = J² σ²).

        Parameters
        ----------
        grid : TargetGrid
            The target grid.
        window : rasterio.windows.Window
            A block of ``grid``.

        Returns
        -------
        (ndarray, ndarray)
            float32 (h, w), m/d.
        """
        shape = (int(window.height), int(window.width))
        if self.sigma_override is None:
            eb = self.error_bands()
            if eb is not None:
                d = self.read(list(dict.fromkeys(eb)), grid, window)
                sx, sy = d[eb[0]], d[eb[1]]
            else:
                sx, sy = (np.full(shape, v, dtype=np.float32) for v in self.scalar_sigma())
        else:
            sx, sy = (np.full(shape, v, dtype=np.float32) for v in self.scalar_sigma())
        if self.crs != grid.crs:
            # independent component errors through the rotation: σ'² = J² σ²
            j = self.jacobian(grid, window)
            sx, sy = (np.sqrt(j[0] ** 2 * sx ** 2 + j[1] ** 2 * sy ** 2).astype(np.float32),
                      np.sqrt(j[2] ** 2 * sx ** 2 + j[3] ** 2 * sy ** 2).astype(np.float32))
        return sx, sy

    def close(self):
        """Close the product file."""
        self.ds.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class SourceList(list):
    """A list of :class:`SourceReader` that closes them all on ``with`` exit or :meth:`close`."""

    def close(self):
        """Close every reader."""
        for r in self:
            r.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def open_sources(paths: Sequence[str]) -> SourceList:
    """Open every product (closing the ones already open if one fails).

    Parameters
    ----------
    paths : sequence of str
        Velocity product files.

    Returns
    -------
    SourceList
        One :class:`SourceReader` per path; use it as ``with open_sources(paths) as
        readers:`` so that every file is closed however the block ends.

    Raises
    ------
    ValueError, ProductError
        As :class:`SourceReader`.
    """
    readers = SourceList()
    try:
        for p in paths:
            readers.append(SourceReader(p))
    except Exception:
        readers.close()
        raise
    return readers


def sample_points(readers: Sequence[SourceReader], grid: TargetGrid, xy: np.ndarray,
                  bands=("vx", "vy"), sigma: bool = False):
    """Values of each source on the target-grid pixel containing each point.

    Each point costs one 1×1 block read per source, so memory does not grow with the
    grid.

    Parameters
    ----------
    readers : sequence of SourceReader
        The sources.
    grid : TargetGrid
        The target grid.
    xy : ndarray
        (n, 2) point coordinates in the grid CRS (m).
    bands : sequence of str, default ("vx", "vy")
        Bands sampled (m/d for velocity-like bands).
    sigma : bool, default False
        Also sample each source's (σx, σy) (:meth:`SourceReader.read_sigma`).

    Returns
    -------
    values : dict
        ``values[band]`` float64 (n_sources, n), NaN where a source has no data or the
        point is off the grid; with ``sigma`` also ``"sigma_x"``, ``"sigma_y"`` (m/d).
    rows, cols : ndarray
        int (n,) pixel indices (may lie outside the grid).
    """
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    n = len(xy)
    keys = list(bands) + (["sigma_x", "sigma_y"] if sigma else [])
    values = {b: np.full((len(readers), n), np.nan) for b in keys}
    rows = np.empty(n, dtype=int)
    cols = np.empty(n, dtype=int)
    for k, (x, y) in enumerate(xy):
        r, c = grid.index(x, y)
        rows[k], cols[k] = r, c
        if not (0 <= r < grid.height and 0 <= c < grid.width):
            continue
        w = Window(c, r, 1, 1)
        for i, rd in enumerate(readers):
            d = rd.read(bands, grid, w)
            for b in bands:
                values[b][i, k] = float(d[b][0, 0])
            if sigma:
                sx, sy = rd.read_sigma(grid, w)
                values["sigma_x"][i, k] = float(sx[0, 0])
                values["sigma_y"][i, k] = float(sy[0, 0])
    return values, rows, cols
