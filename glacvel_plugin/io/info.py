"""Product metadata and small reads for analysis, styling and dialogs.

Everything here opens files with rasterio so that ``processing_provider/``, ``gui/``
and ``styling.py`` do not: a product's grid, bands and tags without its pixels
(:class:`ProductInfo`), windows and point transforms on that grid, the band
descriptions and tags of any raster, a decimated band for noise levels, block means
of ``vx``/``vy`` for flow arrows, and valid-pixel counts inside polygons.
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
    """One input product: where it is, its grid and its label (month or dates)."""
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

    Raises ``ValueError`` if the file cannot be opened, has neither a ``v`` band nor
    ``vx`` and ``vy``, is in a geographic CRS (distances and spacing need metres), or
    has no or an unknown ``UNITS`` tag (:func:`glacvel_plugin.io.grid.units_factor`:
    m/d or m/yr; a velocity of unknown units is refused, as in fusion).
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
    """The ``wanted`` bands that exist (``v`` from vx, vy when missing), in m/d."""
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
    """Pixel window of the product covering a map box (+ margin), or None if disjoint."""
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
    """A rasterio pixel window (columns, rows from the upper-left corner)."""
    return Window(col_off, row_off, width, height)


def unclipped_box(bounds, transform) -> Tuple[int, int, int, int]:
    """``(c0, r0, c1, r1)``: pixel box of a map box on a grid, one pixel wider on
    every side and NOT clipped to the raster."""
    w = from_bounds(*bounds, transform=transform)
    c0 = int(np.floor(min(w.col_off, w.col_off + w.width))) - 1
    r0 = int(np.floor(min(w.row_off, w.row_off + w.height))) - 1
    c1 = int(np.ceil(max(w.col_off, w.col_off + w.width))) + 1
    r1 = int(np.ceil(max(w.row_off, w.row_off + w.height))) + 1
    return c0, r0, c1, r1


def window_transform(window: Window, transform):
    """Affine transform of ``window`` on a grid of ``transform``."""
    return rasterio.windows.transform(window, transform)


def transform_points(src_crs, dst_crs, xs, ys) -> Tuple[np.ndarray, np.ndarray]:
    """Map coordinates ``xs``, ``ys`` from ``src_crs`` to ``dst_crs`` (arrays)."""
    tx, ty = rasterio.warp.transform(src_crs, dst_crs, xs, ys)
    return np.asarray(tx), np.asarray(ty)


def geometry_bounds(geometry: dict) -> tuple:
    """``(xmin, ymin, xmax, ymax)`` of a GeoJSON-like geometry."""
    return rasterio.features.bounds(geometry)


def transform_bounds(src_crs, dst_crs, bounds) -> tuple:
    """``(left, bottom, right, top)`` in ``dst_crs`` enclosing ``bounds`` given in
    ``src_crs``."""
    return rasterio.warp.transform_bounds(src_crs, dst_crs, *bounds)


def geometry_inside(geometry: dict, shape: Tuple[int, int], transform) -> np.ndarray:
    """Boolean (rows, cols): pixels whose centre lies inside ``geometry``."""
    return rasterio.features.geometry_mask([geometry], out_shape=shape, transform=transform,
                                           invert=True)


# ---------------------------------------------------------------------------------------
# any raster


def read_single_band(path, nodata, label):
    """Band 1 of a raster as float32 (rows, cols) with NaN for no data.

    No data: the file's own nodata value, ``nodata`` (when not None) and NaN.
    Returns ``(array, transform, crs)``. Raises ``ValueError`` if the file cannot be
    opened or has no CRS.
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
    """Band descriptions of a raster file, ``band<i>`` for bands without one.

    Raises whatever rasterio raises when the file cannot be opened.
    """
    with rasterio.open(path) as ds:
        return [d if d else f"band{i + 1}" for i, d in enumerate(ds.descriptions)]


def raster_tags(path: str) -> dict:
    """GDAL dataset tags of a raster file (empty when it cannot be read)."""
    try:
        with rasterio.open(path) as ds:
            return dict(ds.tags())
    except Exception:  # not a file rasterio reads (a provider URI, a deleted file)
        return {}


def median_band_value(path: str, band: str) -> Optional[float]:
    """Median of the valid values of band ``band`` (by description), read decimated to
    at most about 1024 pixels on the longer side; None when the file cannot be read,
    has no such band or no valid value (no data, NaN and -9999 are left out)."""
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
    """Mean of the finite values of each ``step`` × ``step`` block (NaN where none)."""
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

    ``step`` None = about ``target`` blocks across the longer side. Returns
    ``(vx, vy, transform, crs_wkt, left, bottom, step)``: the block means (NaN where a
    block has no valid value; no data and -9999 are invalid), the transform of the
    block grid, the CRS as WKT ('' when none), the lower-left corner of the raster and
    the step used. Raises ``ValueError`` if the product has no ``vx``/``vy`` bands.
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
    """What GDAL/OGR can open ``path`` as: a list of ``'raster'`` and/or ``'vector'``
    (empty when neither)."""
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

    Opened on ``path``; ``ValueError`` naming the file when it cannot be opened. Use
    as a context manager or call :meth:`close`.
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
        """Pixels of the window ``box`` = ``(c0, r0, c1, r1)`` whose centre lies inside
        the GeoJSON polygon ``geojson`` (in the raster's CRS) and whose ``band`` (by
        description; band 1 when no band has it) is finite, not no data and not -9999."""
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
        self.ds.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
