"""The glacvel velocity product: one float32 GeoTIFF shared by every algorithm.

Layout
------
* One band per quantity, each named by its GDAL band description: ``v``, ``vx``,
  ``vy`` (m/d; x east-positive, y north-positive), ``dx``, ``dy`` (metres over the
  time baseline), ``quality`` and any further band an algorithm adds (``v_error``,
  ``count``, ``vx_error``, ...). Readers find bands by description, never by
  position.
* In memory every band is a ``float32`` array of shape ``(rows, cols)`` with
  ``NaN`` where there is no data. On disk no data is :data:`NODATA` (-9999).
* Pixel centres are the centres of the correlation windows (or of the target grid
  cells); the affine transform maps pixel corners as usual in GDAL.
* Dataset tags (GDAL metadata, default domain) carry :data:`TAG_KEYS` and any
  method-specific extras (``WINDOW``, ``STEP``, ...).

Writes are atomic: data go to a temporary file in the destination folder, which is
renamed over the destination only when complete. A failed or cancelled write leaves
nothing behind, and an existing file at the destination is untouched until then.
"""
from __future__ import annotations

import datetime as _dt
import os
import tempfile
from dataclasses import dataclass, field
from typing import Dict, Iterable, Mapping, Optional, Sequence

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.windows import Window

from .. import __version__
from ..core.velocity import time_baseline_days
from .files import publish
from .guard import family, remove_stale_temporaries, temp_prefix
from .raster import GdalErrors, gdal_write_error

NODATA = -9999.0
"""On-disk no-data value of every product band (NaN in memory)."""

VELOCITY_BANDS = ("v", "vx", "vy", "dx", "dy", "quality")
"""Bands every correlation algorithm writes, in this order."""

TAG_KEYS = ("UNITS", "SENSOR", "START_TIME", "END_TIME", "DT_DAYS", "METHOD",
            "GLACVEL_VERSION")
"""Tags every product carries. Times are ISO 8601 UTC (``2016-07-18T20:37:06Z``)."""

DEFLATE_LEVEL = 1
"""zlib level of the deflate compression of product bands and of their overviews. Level 1
(GDAL's default is 6) compresses float32 velocity bands, whose low mantissa bits are
noise, to within 0.5 % of level 6's size in half the time: an 800 px Landsat-8 pair's
385 × 385 px, 9-band corrected product is written in 0.105 s instead of 0.176 s (3.67 vs
3.66 MB). The codec is unchanged (deflate with the floating-point predictor), so every
GeoTIFF reader that read the products still reads them, and the values are identical."""

GTIFF_OPTIONS = dict(driver="GTiff", dtype="float32", nodata=NODATA, tiled=True,
                     blockxsize=256, blockysize=256, compress="deflate",
                     predictor=3, zlevel=DEFLATE_LEVEL, BIGTIFF="IF_SAFER")


class ProductError(ValueError):
    """A file is not a usable glacvel velocity product (missing band, bad tags)."""


def format_time(t: _dt.datetime) -> str:
    """ISO 8601 UTC string of a datetime.

    Parameters
    ----------
    t : datetime.datetime
        Naive datetimes are taken as UTC; aware ones are converted.

    Returns
    -------
    str
        ``YYYY-MM-DDTHH:MM:SSZ`` (whole seconds).
    """
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> _dt.datetime:
    """Parse a product time tag back to a naive UTC datetime.

    Parameters
    ----------
    text : str
        ISO 8601 date or datetime (``2016-07-18T20:37:06Z``, ``2016-07-18``); a
        trailing ``Z`` or an offset is converted to naive UTC.

    Returns
    -------
    datetime.datetime
        Naive, UTC.

    Raises
    ------
    ProductError
        When the text is not an ISO 8601 date or datetime.
    """
    s = text.strip()
    if s.endswith("Z"):
        s = s[:-1]
    try:
        t = _dt.datetime.fromisoformat(s)
    except ValueError as exc:
        raise ProductError(f"time tag {text!r} is not an ISO 8601 date/time") from exc
    if t.tzinfo is not None:
        t = t.astimezone(_dt.timezone.utc).replace(tzinfo=None)
    return t


def standard_tags(sensor: str, start: _dt.datetime, end: _dt.datetime, method: str,
                  units: str = "m/d", **extra) -> Dict[str, str]:
    """The standard product tags plus extras.

    Parameters
    ----------
    sensor : str
        ``SENSOR`` tag (``L8``, ``S2``, ``S1``, ``UAV``, ``FUSED``, ...).
    start, end : datetime.datetime
        Acquisition times of the earlier and later image (naive = UTC).
    method : str
        ``METHOD`` tag.
    units : str, default "m/d"
        ``UNITS`` tag.
    **extra
        Further tags; keys upper-cased, values converted with ``str``.

    Returns
    -------
    dict
        :data:`TAG_KEYS` (``DT_DAYS`` with six decimals, ``GLACVEL_VERSION`` the
        package version) and the extras.

    Raises
    ------
    ValueError
        If the time baseline ``end − start`` is not positive.
    """
    dt_days = time_baseline_days(start, end)
    tags = {
        "UNITS": units,
        "SENSOR": str(sensor),
        "START_TIME": format_time(start),
        "END_TIME": format_time(end),
        "DT_DAYS": f"{dt_days:.6f}",
        "METHOD": str(method),
        "GLACVEL_VERSION": __version__,
    }
    tags.update({str(k).upper(): str(v) for k, v in extra.items()})
    return tags


@dataclass
class VelocityProduct:
    """A velocity product in memory.

    Attributes
    ----------
    bands : dict
        Name → float32 array (rows, cols), NaN = no data.
    transform : affine.Affine
        Transform of the grid (pixel corners).
    crs : rasterio.crs.CRS
        CRS of the grid (projected, metres, for every glacvel output).
    tags : dict
        str → str (see :data:`TAG_KEYS`).
    """
    bands: Dict[str, np.ndarray]
    transform: object
    crs: object
    tags: Dict[str, str] = field(default_factory=dict)

    def band(self, name: str) -> np.ndarray:
        """One band by name.

        Parameters
        ----------
        name : str
            Band name (``"vx"``).

        Returns
        -------
        ndarray
            float32 (rows, cols), NaN = no data.

        Raises
        ------
        ProductError
            Naming the bands present, when the band is absent.
        """
        try:
            return self.bands[name]
        except KeyError:
            raise ProductError(
                f"the product has no band '{name}' (bands: {', '.join(self.bands) or 'none'}); "
                "give a glacvel velocity product or import the rasters with "
                "glacvel:import_velocity") from None

    @property
    def shape(self):
        return next(iter(self.bands.values())).shape

    @property
    def resolution(self):
        """(x size, y size) of a pixel in CRS units (positive numbers)."""
        return abs(self.transform.a), abs(self.transform.e)

    @property
    def sensor(self) -> str:
        return self.tags.get("SENSOR", "")

    @property
    def start_time(self) -> Optional[_dt.datetime]:
        s = self.tags.get("START_TIME")
        return parse_time(s) if s else None

    @property
    def end_time(self) -> Optional[_dt.datetime]:
        s = self.tags.get("END_TIME")
        return parse_time(s) if s else None

    @property
    def dt_days(self) -> Optional[float]:
        s = self.tags.get("DT_DAYS")
        return float(s) if s else None


def band_names(dataset) -> list:
    """Band descriptions of an open rasterio dataset.

    Parameters
    ----------
    dataset : rasterio.io.DatasetReader
        An open dataset.

    Returns
    -------
    list of str
        One per band; ``band<i>`` where a band has no description.
    """
    return [d if d else f"band{i + 1}" for i, d in enumerate(dataset.descriptions)]


def read_product(path: str, bands: Optional[Iterable[str]] = None,
                 window: Optional[Window] = None) -> VelocityProduct:
    """Read a product (all bands, or those named) into memory.

    Parameters
    ----------
    path : str
        A velocity product GeoTIFF (bands found by description).
    bands : iterable of str, optional
        Bands to read; default all.
    window : rasterio.windows.Window, optional
        Pixel window; default the whole raster.

    Returns
    -------
    VelocityProduct
        float32 bands with NaN for no data (the file's nodata and :data:`NODATA`),
        the transform of the window, CRS and dataset tags.

    Raises
    ------
    ValueError
        If the file cannot be opened.
    ProductError
        If a requested band is missing.
    """
    try:
        ds = rasterio.open(path)
    except rasterio.errors.RasterioIOError as exc:
        raise ValueError(f"cannot open velocity product {path}: {exc}") from exc
    with ds:
        names = band_names(ds)
        wanted = list(bands) if bands is not None else names
        missing = [b for b in wanted if b not in names]
        if missing:
            raise ProductError(
                f"{os.path.basename(path)} has no band(s) {', '.join(missing)} "
                f"(bands: {', '.join(names)}); give a glacvel velocity product or import "
                "the rasters with glacvel:import_velocity")
        out = {}
        for name in wanted:
            a = ds.read(names.index(name) + 1, window=window).astype(np.float32)
            nd = ds.nodatavals[names.index(name)]
            if nd is not None and not np.isnan(nd):
                a[a == nd] = np.nan
            a[a == NODATA] = np.nan
            out[name] = a
        transform = ds.window_transform(window) if window is not None else ds.transform
        return VelocityProduct(out, transform, ds.crs, dict(ds.tags()))


GDAL_CACHE_BYTES = 256 * 2 ** 20
"""Bound of GDAL's raster block cache while a :class:`ProductWriter` is open. GDAL's
default is 5 % of the machine's memory, and writing a large product block by block,
then building its overviews, fills it: on a 24 GB machine a 10,000² px pair through
``correlate_files`` peaked at 978 MB resident on 3,000 rows with the default cache and
at 779 MB with 64 MB. Bounding it keeps the memory bound independent of the machine;
256 MB holds several rows of 256 px tiles of a 10,000 px wide 6-band product."""


def _limit_gdal_cache(limit: int) -> int:
    """Lower GDAL's block cache to ``limit`` bytes (never raise it); returns the previous
    size, for :func:`_restore_gdal_cache`."""
    from osgeo import gdal
    old = gdal.GetCacheMax()
    if old > limit:
        gdal.SetCacheMax(limit)
    return old


def _restore_gdal_cache(size: int):
    from osgeo import gdal
    gdal.SetCacheMax(size)


class ProductWriter:
    """Write a product block by block, atomically.

    Use as a context manager::

        with ProductWriter(path, VELOCITY_BANDS, rows, cols, transform, crs, tags) as w:
            for window, blocks in ...:
                w.write(blocks, window)        # dict name -> float32 (h, w), NaN = nodata
        # renamed into place here; on an exception the temporary file is deleted

    ``abort()`` (e.g. on cancel) deletes the temporary file and keeps any existing
    file at ``path``. Overviews (averaged, deflate level :data:`DEFLATE_LEVEL`) are built
    before the rename. While the writer
    is open GDAL's block cache is at most :data:`GDAL_CACHE_BYTES`. Stale temporaries
    of dead runs in the folder are removed first
    (:func:`glacvel_plugin.io.guard.remove_stale_temporaries`).

    Parameters
    ----------
    path : str
        Destination GeoTIFF; its folder is created if needed.
    band_names : sequence of str
        Band descriptions, in band order.
    height, width : int
        Rows and columns.
    transform : affine.Affine
        Transform of the grid (pixel corners).
    crs : rasterio.crs.CRS or str
        CRS of the grid.
    tags : mapping
        Dataset tags (values converted with ``str``).
    band_tags : mapping, optional
        Band name → mapping of band tags.
    protect : iterable of str
        Input files ``path`` must not be (compared with their shapefile family, after
        resolving symbolic links).
    overviews : bool, default True
        Build averaged overviews (factors 2–32 down to 64 px).

    Raises
    ------
    ValueError
        If ``path`` is one of ``protect``.
    OSError
        GDAL's write errors (a full disk, a vanished folder), naming ``path``, the
        cause and the free space, at the creation, ``write`` or ``commit`` during
        which GDAL reported them; the temporary file is then removed.
    """

    def __init__(self, path: str, band_names: Sequence[str], height: int, width: int,
                 transform, crs, tags: Mapping[str, str], band_tags=None,
                 protect: Iterable[str] = (), overviews: bool = True):
        self.path = os.path.abspath(path)
        mine = set(family(self.path))
        for p in protect:
            if p and os.path.exists(p) and mine & set(family(p, existing_only=True)):
                raise ValueError(f"output {path} is one of the inputs ({p}); "
                                 "choose another file name")
        folder = os.path.dirname(self.path) or "."
        os.makedirs(folder, exist_ok=True)
        remove_stale_temporaries(folder)
        self.names = list(band_names)
        self.overviews = overviews
        fd, self.tmp = tempfile.mkstemp(suffix=".tif", prefix=temp_prefix(), dir=folder)
        os.close(fd)
        profile = dict(GTIFF_OPTIONS, width=width, height=height, count=len(self.names),
                       transform=transform, crs=crs)
        if width < 256 or height < 256:
            profile.update(tiled=False)
            profile.pop("blockxsize")
            profile.pop("blockysize")
        self._done = False
        self._errors = GdalErrors().__enter__()
        self.ds = None
        try:
            self.ds = rasterio.open(self.tmp, "w", **profile)
            for i, name in enumerate(self.names):
                self.ds.set_band_description(i + 1, name)
                self.ds.update_tags(i + 1, **(band_tags or {}).get(name, {}))
            self.ds.update_tags(**{k: str(v) for k, v in tags.items()})
            self._check()
        except BaseException as exc:
            self._drop()
            self._check(exc)
            raise
        self._cache = _limit_gdal_cache(GDAL_CACHE_BYTES)

    def _drop(self):
        """Close quietly and delete the temporary file (no cache to restore yet)."""
        try:
            if self.ds is not None:
                self.ds.close()
        except Exception:  # noqa: BLE001 - the file is being discarded
            pass
        finally:
            self._errors.__exit__(None, None, None)
            if os.path.exists(self.tmp):
                os.remove(self.tmp)
            self._done = True

    def _check(self, exc=None):
        """Raise GDAL's recorded errors (or a rasterio error) as an OSError naming ``path``."""
        if exc is not None and isinstance(exc, rasterio.errors.RasterioError):
            msgs = self._errors.messages + [str(exc)]
            self._errors.messages = []
            text = "; ".join(dict.fromkeys(msgs)).replace(self.tmp, self.path)
            raise gdal_write_error(self.path, text) from exc
        self._errors.check(self.path, temporary=self.tmp)

    def write(self, blocks: Mapping[str, np.ndarray], window: Optional[Window] = None):
        """Write arrays for the named bands into a window.

        Parameters
        ----------
        blocks : mapping
            Band name → array (h, w) of the window, NaN (or any non-finite value) = no data.
        window : rasterio.windows.Window, optional
            Where to write; default the whole raster.

        Raises
        ------
        ValueError
            For a band not declared in ``band_names``.
        OSError
            A GDAL write error (the temporary file is removed).
        """
        for name, a in blocks.items():
            if name not in self.names:
                raise ValueError(f"band {name!r} was not declared (declared: {self.names})")
            a = np.asarray(a, dtype=np.float32)
            a = np.where(np.isfinite(a), a, np.float32(NODATA))
            try:
                self.ds.write(a, self.names.index(name) + 1, window=window)
                self._check()
            except BaseException as exc:
                self.abort()
                self._check(exc)
                raise

    def update_tags(self, **tags):
        """Add dataset tags (e.g. statistics known only at the end).

        Parameters
        ----------
        **tags
            Tag → value (converted with ``str``).
        """
        self.ds.update_tags(**{k: str(v) for k, v in tags.items()})

    def commit(self):
        """Finish the file and rename it over ``path``."""
        if self._done:
            return
        try:
            # close first: GDAL writes the cached blocks now, and a failure (full disk)
            # is raised here instead of surfacing inside build_overviews
            width, height = self.ds.width, self.ds.height
            self.ds.close()
            self._check()
            if self.overviews:
                factors = [f for f in (2, 4, 8, 16, 32) if min(width, height) // f >= 64]
                if factors:
                    self.ds = rasterio.open(self.tmp, "r+")
                    with rasterio.Env(ZLEVEL_OVERVIEW=str(DEFLATE_LEVEL)):
                        self.ds.build_overviews(factors, Resampling.average)
                    self._check()
                    self.ds.close()
                    self._check()
        except BaseException as exc:
            self.abort()
            self._check(exc)
            raise
        _restore_gdal_cache(self._cache)
        self._errors.__exit__(None, None, None)
        try:
            publish(self.tmp, self.path)
        except OSError as exc:
            if os.path.exists(self.tmp):
                os.remove(self.tmp)
            self._done = True
            raise OSError(exc.errno, f"cannot write {self.path}: {exc.strerror}; check that "
                          "its folder still exists and that you can write to it") from None
        self._done = True

    def abort(self):
        """Drop everything written; any existing file at ``path`` is kept."""
        if self._done:
            return
        try:
            if self.ds is not None and not self.ds.closed:
                self.ds.close()
        except Exception:  # noqa: BLE001 - the file is being discarded anyway
            pass
        finally:
            _restore_gdal_cache(self._cache)
            self._errors.__exit__(None, None, None)
            if os.path.exists(self.tmp):
                os.remove(self.tmp)
            self._done = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False


def write_product(path: str, bands: Mapping[str, np.ndarray], transform, crs,
                  tags: Mapping[str, str], band_tags=None, protect: Iterable[str] = ()) -> str:
    """Write a whole product at once (atomic).

    Parameters
    ----------
    path : str
        Destination GeoTIFF.
    bands : mapping
        Name → array (rows, cols), NaN = no data; all of one shape.
    transform : affine.Affine
        Transform of the grid (pixel corners).
    crs : rasterio.crs.CRS or str
        CRS of the grid.
    tags : mapping
        Dataset tags.
    band_tags : mapping, optional
        Band name → mapping of band tags.
    protect : iterable of str
        Input files ``path`` must not be.

    Returns
    -------
    str
        ``path``.

    Raises
    ------
    ValueError
        If the bands differ in shape or ``path`` is one of ``protect``.
    OSError
        As :class:`ProductWriter`.
    """
    shapes = {np.shape(a) for a in bands.values()}
    if len(shapes) != 1:
        raise ValueError(f"product bands differ in shape: {sorted(shapes)}")
    rows, cols = shapes.pop()
    with ProductWriter(path, list(bands), rows, cols, transform, crs, tags,
                       band_tags=band_tags, protect=protect) as w:
        w.write(bands)
    return path
