"""Product metadata and small reads for analysis, styling and dialogs.

Everything here opens files with rasterio so that ``processing_provider/``, ``gui/``
and ``styling.py`` do not: a product's grid, bands and tags without its pixels
(:class:`ProductInfo`), windows and point transforms on that grid, the band
descriptions and tags of any raster, band 1 of any raster with its grid, a
decimated band median for noise levels, block means of ``vx``/``vy`` for flow arrows,
what GDAL/OGR can open a path as, and valid-pixel counts inside polygons.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import rasterio
import rasterio.features
import rasterio.warp
import rasterio.windows
from rasterio.windows import Window, from_bounds

from .grid import DAYS_PER_YEAR, units_factor
from .product import ProductError, band_names, parse_time, read_product
from .raster import rasterize_mask


# ---------------------------------------------------------------------------------------
# velocity products


@dataclass
class ProductInfo:
    """One input product: where it is, its grid and its label (month or dates).

    Attributes
    ----------
    path : str
    crs : rasterio.crs.CRS
        Projected (checked by :func:`open_product_info`).
    transform : affine.Affine
        Pixel corners.
    shape : (int, int)
        Rows and columns.
    bands : list of str
        Band descriptions (``band<i>`` where none).
    tags : dict
        Dataset tags.
    label : str
        Set by the caller (a ``YYYYMM`` month or dates).
    start, end : datetime.datetime or None
        ``START_TIME``/``END_TIME`` (naive UTC); None when missing or unreadable.
    factor : float
        Factor to m/d from the ``UNITS`` tag.
    notes : list of str
        Messages for the log (a unit conversion).
    """
    path: str
    crs: object
    transform: object
    shape: tuple
    bands: List[str]
    tags: Dict[str, str]
    label: str = ""
    start: Optional[_dt.datetime] = None
    end: Optional[_dt.datetime] = None
    factor: float = 1.0
    notes: List[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def month(self) -> Optional[str]:
        """``YYYYMM``: the label when it is a month, else the month of the middle of
        START_TIME–END_TIME, else None."""
        if re.fullmatch(r"(?:19|20)\d{2}(?:0[1-9]|1[0-2])", self.label or ""):
            return self.label
        if self.start is not None and self.end is not None:
            return (self.start + (self.end - self.start) / 2).strftime("%Y%m")
        return None

    @property
    def resolution(self) -> float:
        return min(abs(self.transform.a), abs(self.transform.e))


def _time_tag(tags, key):
    s = tags.get(key)
    if not s:
        return None
    try:
        return parse_time(s)
    except ProductError:
        return None


def open_product_info(path: str) -> ProductInfo:
    """Grid, bands and tags of a product, without reading pixels.

    Parameters
    ----------
    path : str
        A velocity product GeoTIFF (bands found by description, projected CRS,
        ``UNITS`` tag).

    Returns
    -------
    ProductInfo
        With ``start``/``end`` from the time tags and ``factor`` to m/d.

    Raises
    ------
    ValueError
        If the file cannot be opened, has neither a ``v`` band nor ``vx`` and ``vy``,
        is not in a projected CRS (distances and spacing need metres), or has no or an
        unknown ``UNITS`` tag (:func:`glacvel_plugin.io.grid.units_factor`: m/d or
        m/yr; a velocity of unknown units is refused, as in fusion).
    """
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise ValueError(f"cannot open velocity product {path}: {exc}") from exc
    with ds:
        info = ProductInfo(path, ds.crs, ds.transform, (ds.height, ds.width), band_names(ds),
                           dict(ds.tags()))
    if "v" not in info.bands and not {"vx", "vy"} <= set(info.bands):
        raise ValueError(
            f"{info.name} has no band 'v' nor bands 'vx' and 'vy' (bands: "
            f"{', '.join(info.bands)}); give a glacvel velocity product or import the raster "
            "with glacvel:import_velocity")
    if info.crs is None or not info.crs.is_projected:
        raise ValueError(f"{info.name} is not in a projected CRS (metres); reproject it, e.g. "
                         "with glacvel:import_velocity, before extracting profiles or statistics")
    info.start = _time_tag(info.tags, "START_TIME")
    info.end = _time_tag(info.tags, "END_TIME")
    info.factor = units_factor(info.tags.get("UNITS"), info.name)
    if info.factor != 1.0:
        info.notes.append(f"{info.name} is in {info.tags['UNITS']}; converted to m/d "
                          f"(÷ {DAYS_PER_YEAR})")
    return info


def read_bands(info: ProductInfo, wanted, window=None) -> Dict[str, np.ndarray]:
    """The wanted bands that exist, in m/d.

    Parameters
    ----------
    info : ProductInfo
        The product.
    wanted : sequence of str
        Band names; ``v`` is computed as hypot(vx, vy) when the product has no ``v``.
    window : rasterio.windows.Window, optional
        Pixel window to read (default the whole product).

    Returns
    -------
    dict
        Band name → float32 (rows, cols), NaN for no data, multiplied by
        ``info.factor``; bands absent from the product are left out.
    """
    names = [b for b in wanted if b in info.bands]
    need_v = "v" in wanted and "v" not in info.bands
    if need_v:
        names = list(dict.fromkeys(names + ["vx", "vy"]))
    prod = read_product(info.path, names, window=window)
    out = {k: a * np.float32(info.factor) for k, a in prod.bands.items()}
    if need_v:
        out["v"] = np.hypot(out["vx"], out["vy"])
    return {k: out[k] for k in wanted if k in out}


def window_for(info: ProductInfo, xmin, ymin, xmax, ymax, margin: int = 2):
    """Pixel window of the product covering a map box.

    Parameters
    ----------
    info : ProductInfo
        The product.
    xmin, ymin, xmax, ymax : float
        The box in the product's CRS (m).
    margin : int, default 2
        Pixels added on every side.

    Returns
    -------
    rasterio.windows.Window or None
        Clipped to the product; None when the box and the product are disjoint.
    """
    rows, cols = info.shape
    w = from_bounds(xmin, ymin, xmax, ymax, transform=info.transform)
    c0 = int(np.floor(min(w.col_off, w.col_off + w.width))) - margin
    r0 = int(np.floor(min(w.row_off, w.row_off + w.height))) - margin
    c1 = int(np.ceil(max(w.col_off, w.col_off + w.width))) + margin
    r1 = int(np.ceil(max(w.row_off, w.row_off + w.height))) + margin
    c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, cols), min(r1, rows)
    if c1 <= c0 or r1 <= r0:
        return None
    return Window(c0, r0, c1 - c0, r1 - r0)


def pixel_window(col_off: int, row_off: int, width: int, height: int) -> Window:
    """A rasterio pixel window.

    Parameters
    ----------
    col_off, row_off : int
        Upper-left corner (px; columns right, rows down).
    width, height : int
        Size (px).

    Returns
    -------
    rasterio.windows.Window
    """
    return Window(col_off, row_off, width, height)


def unclipped_box(bounds, transform) -> Tuple[int, int, int, int]:
    """Pixel box of a map box on a grid, one pixel wider on every side, not clipped.

    Parameters
    ----------
    bounds : (float, float, float, float)
        (left, bottom, right, top) in the grid's CRS.
    transform : affine.Affine
        The grid's transform.

    Returns
    -------
    (c0, r0, c1, r1) : tuple of int
        Columns and rows, end exclusive; may lie outside the raster.
    """
    w = from_bounds(*bounds, transform=transform)
    c0 = int(np.floor(min(w.col_off, w.col_off + w.width))) - 1
    r0 = int(np.floor(min(w.row_off, w.row_off + w.height))) - 1
    c1 = int(np.ceil(max(w.col_off, w.col_off + w.width))) + 1
    r1 = int(np.ceil(max(w.row_off, w.row_off + w.height))) + 1
    return c0, r0, c1, r1


def window_transform(window: Window, transform):
    """Affine transform of a window on a grid.

    Parameters
    ----------
    window : rasterio.windows.Window
        Pixel window.
    transform : affine.Affine
        The grid's transform.

    Returns
    -------
    affine.Affine
    """
    return rasterio.windows.transform(window, transform)


def transform_points(src_crs, dst_crs, xs, ys) -> Tuple[np.ndarray, np.ndarray]:
    """Map coordinates from one CRS to another.

    Parameters
    ----------
    src_crs, dst_crs : rasterio.crs.CRS, str or dict
        Source and destination CRS (anything ``rasterio.warp.transform`` takes, e.g.
        WKT).
    xs, ys : sequence of float
        Coordinates in ``src_crs``.

    Returns
    -------
    (ndarray, ndarray)
        float64 x and y in ``dst_crs``.
    """
    tx, ty = rasterio.warp.transform(src_crs, dst_crs, xs, ys)
    return np.asarray(tx), np.asarray(ty)


def geometry_bounds(geometry: dict) -> tuple:
    """Bounds of a GeoJSON-like geometry.

    Parameters
    ----------
    geometry : dict
        GeoJSON-like geometry mapping.

    Returns
    -------
    (xmin, ymin, xmax, ymax) : tuple of float
    """
    return rasterio.features.bounds(geometry)


def transform_bounds(src_crs, dst_crs, bounds) -> tuple:
    """A box in another CRS.

    Parameters
    ----------
    src_crs, dst_crs : rasterio.crs.CRS, str or dict
        Source and destination CRS.
    bounds : (float, float, float, float)
        (left, bottom, right, top) in ``src_crs``.

    Returns
    -------
    (left, bottom, right, top) : tuple of float
        The box in ``dst_crs`` enclosing ``bounds`` (edges densified).
    """
    return rasterio.warp.transform_bounds(src_crs, dst_crs, *bounds)


def geometry_inside(geometry: dict, shape: Tuple[int, int], transform) -> np.ndarray:
    """Pixels whose centre lies inside a geometry.

    Parameters
    ----------
    geometry : dict
        GeoJSON-like geometry in the grid's CRS.
    shape : (int, int)
        Rows and columns of the grid.
    transform : affine.Affine
        The grid's transform.

    Returns
    -------
    ndarray
        bool (rows, cols), True inside.
    """
    return rasterio.features.geometry_mask([geometry], out_shape=shape, transform=transform,
                                           invert=True)


# ---------------------------------------------------------------------------------------
# any raster


def read_single_band(path, nodata, label):
    """Band 1 of a raster as float32 with NaN for no data.

    No data: the file's own nodata value, ``nodata`` (when not None) and NaN.

    Parameters
    ----------
    path : str
        A raster file.
    nodata : float or None
        A further no-data value given by the user.
    label : str
        What the messages call the raster (``"reference"``).

    Returns
    -------
    array : ndarray
        float32 (rows, cols).
    transform : affine.Affine
    crs : rasterio.crs.CRS

    Raises
    ------
    ValueError
        If the file cannot be opened or has no CRS.
    """
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise ValueError(f"cannot open {label} raster {path}: {exc}") from exc
    with ds:
        if ds.crs is None:
            raise ValueError(f"{label} raster {os.path.basename(path)} has no coordinate "
                             "reference system; assign one (projected, metres) first")
        a = ds.read(1).astype(np.float32)
        for nd in (ds.nodata, nodata):
            if nd is not None and np.isfinite(nd):
                a[a == np.float32(nd)] = np.nan
        return a, ds.transform, ds.crs


def raster_band_descriptions(path: str) -> List[str]:
    """Band descriptions of a raster file.

    Parameters
    ----------
    path : str
        A raster file.

    Returns
    -------
    list of str
        One per band, ``band<i>`` for bands without one.

    Raises
    ------
    rasterio.errors.RasterioIOError
        When the file cannot be opened.
    """
    with rasterio.open(path) as ds:
        return [d if d else f"band{i + 1}" for i, d in enumerate(ds.descriptions)]


def raster_tags(path: str) -> dict:
    """GDAL dataset tags of a raster file.

    Parameters
    ----------
    path : str
        A raster file (or any layer source).

    Returns
    -------
    dict
        Tag → value; empty when rasterio cannot read it (a provider URI, a deleted
        file).
    """
    try:
        with rasterio.open(path) as ds:
            return dict(ds.tags())
    except Exception:  # not a file rasterio reads (a provider URI, a deleted file)
        return {}


def median_band_value(path: str, band: str) -> Optional[float]:
    """Median of the valid values of a band, read decimated.

    Parameters
    ----------
    path : str
        A raster file.
    band : str
        Band description (``"v_error"``).

    Returns
    -------
    float or None
        Median of the band read decimated to at most about 1024 pixels on the longer
        side (no data, NaN and -9999 left out); None when the file cannot be read, has
        no such band or no valid value.
    """
    try:
        with rasterio.open(path) as ds:
            names = [d or "" for d in ds.descriptions]
            if band not in names:
                return None
            k = max(1, int(math.ceil(max(ds.width, ds.height) / 1024.0)))
            a = ds.read(names.index(band) + 1,
                        out_shape=(max(1, ds.height // k), max(1, ds.width // k)),
                        masked=True).astype(np.float64).filled(np.nan)
            a = a[np.isfinite(a) & (a != -9999.0)]
            return float(np.median(a)) if a.size else None
    except Exception:  # not readable: no value
        return None


def block_nanmean(a: np.ndarray, step: int, oh: int, ow: int) -> np.ndarray:
    """Mean of the finite values of each ``step`` × ``step`` block.

    Parameters
    ----------
    a : ndarray
        2-D array (rows, cols), NaN for no data.
    step : int
        Block side (px).
    oh, ow : int
        Output rows and columns; ``a`` is cropped or NaN-padded to
        (``oh·step``, ``ow·step``).

    Returns
    -------
    ndarray
        float64 (oh, ow), NaN where a block has no finite value.
    """
    h, w = a.shape
    pad = np.full((oh * step, ow * step), np.nan)
    pad[:min(h, oh * step), :min(w, ow * step)] = a[:oh * step, :ow * step]
    blocks = pad.reshape(oh, step, ow, step)
    ok = np.isfinite(blocks)
    n = ok.sum(axis=(1, 3))
    total = np.where(ok, blocks, 0.0).sum(axis=(1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def block_mean_components(path: str, step: Optional[int], target: int):
    """Block means of the ``vx`` and ``vy`` bands of a product, for flow arrows.

    Parameters
    ----------
    path : str
        A velocity product (bands found by description).
    step : int or None
        Block side (px); None = about ``target`` blocks across the longer side.
    target : int
        Blocks across the longer side when ``step`` is None.

    Returns
    -------
    vx, vy : ndarray
        float64 block means in the product's units (NaN where a block has no valid
        value; no data and -9999 are invalid).
    transform : affine.Affine
        Transform of the block grid.
    crs_wkt : str
        The CRS as WKT ('' when none).
    left, bottom : float
        Lower-left corner of the raster.
    step : int
        The step used.

    Raises
    ------
    ValueError
        If the product has no ``vx``/``vy`` bands.
    rasterio.errors.RasterioIOError
        If the file cannot be opened.
    """
    with rasterio.open(path) as ds:
        names = [d or "" for d in ds.descriptions]
        if "vx" not in names or "vy" not in names:
            raise ValueError(f"{os.path.basename(path)} has no vx/vy bands "
                             f"(bands: {', '.join(names)}); arrows need a velocity product")
        if step is None:
            step = max(1, int(math.ceil(max(ds.width, ds.height) / float(target))))
        oh, ow = max(1, ds.height // step), max(1, ds.width // step)
        comps = []
        for b in ("vx", "vy"):
            a = ds.read(names.index(b) + 1, window=((0, min(ds.height, oh * step)),
                                                    (0, min(ds.width, ow * step))))
            a = a.astype(np.float64)
            nd = ds.nodatavals[names.index(b)]
            if nd is not None:
                a[a == nd] = np.nan
            a[a == -9999.0] = np.nan
            comps.append(block_nanmean(a, step, oh, ow))
        tr = ds.transform * ds.transform.scale(step, step)
        crs_wkt = ds.crs.to_wkt() if ds.crs else ""
        left, bottom = ds.bounds.left, ds.bounds.bottom
    return comps[0], comps[1], tr, crs_wkt, left, bottom, step


def open_kinds(path: str) -> List[str]:
    """What GDAL/OGR can open a path as.

    Parameters
    ----------
    path : str
        A file path or GDAL/OGR source.

    Returns
    -------
    list of str
        ``'raster'`` and/or ``'vector'``; empty when neither.
    """
    from osgeo import gdal
    kinds = []
    for flag, kind in ((gdal.OF_RASTER, "raster"), (gdal.OF_VECTOR, "vector")):
        gdal.PushErrorHandler("CPLQuietErrorHandler")
        try:
            ds = gdal.OpenEx(path, flag)
        finally:
            gdal.PopErrorHandler()
        if ds is not None:
            kinds.append(kind)
            ds = None
    return kinds


class ValidPixelCounter:
    """An open raster that counts valid pixels of one band inside polygons.

    Use as a context manager or call :meth:`close`.

    Parameters
    ----------
    path : str
        A raster file (a reference velocity raster).
    label : str, default "reference"
        What the message calls the raster.

    Raises
    ------
    ValueError
        Naming the file when it cannot be opened.
    """

    def __init__(self, path: str, label: str = "reference"):
        try:
            self.ds = rasterio.open(path)
        except Exception as exc:
            raise ValueError(f"cannot open {label} raster {path}: {exc}") from exc

    @property
    def crs_wkt(self) -> str:
        return self.ds.crs.to_wkt()

    @property
    def transform(self):
        return self.ds.transform

    @property
    def width(self) -> int:
        return self.ds.width

    @property
    def height(self) -> int:
        return self.ds.height

    def count(self, band: str, box: Tuple[int, int, int, int], geojson: str) -> int:
        """Valid pixels of a window inside a polygon.

        Parameters
        ----------
        band : str
            Band description; band 1 when no band has it.
        box : (int, int, int, int)
            The window ``(c0, r0, c1, r1)`` in pixels (end exclusive).
        geojson : str
            A GeoJSON polygon in the raster's CRS.

        Returns
        -------
        int
            Pixels whose centre lies inside the polygon and whose value is finite, not no
            data and not -9999.
        """
        names = [d or "" for d in self.ds.descriptions]
        bidx = names.index(band) + 1 if band in names else 1
        c0, r0, c1, r1 = box
        win = Window(c0, r0, c1 - c0, r1 - r0)
        a = self.ds.read(bidx, window=win).astype(np.float64)
        nd = self.ds.nodatavals[bidx - 1]
        valid = np.isfinite(a) & (a != -9999.0)
        if nd is not None and not np.isnan(nd):
            valid &= a != nd
        mask = rasterize_mask([json.loads(geojson)], self.ds.window_transform(win),
                              (int(win.height), int(win.width)))
        return int(np.count_nonzero(mask & valid))

    def close(self):
        """Close the raster."""
        self.ds.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
