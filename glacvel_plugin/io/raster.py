"""Raster helpers shared by the algorithms: masks from polygons, regridding, UTM zones,
GDAL write errors.

Masks and label images from GeoJSON geometries (``rasterio.features``), regridding
of float arrays (``rasterio.warp.reproject``), the WGS 84 / UTM zone of a point, and
:class:`GdalErrors`, which collects the errors GDAL only logs while writing so that
:func:`gdal_write_error` can raise them as ``OSError`` naming the file.

All grids are described by a rasterio/affine ``transform``, a ``crs`` and a
``(rows, cols)`` shape. Arrays are float32 with NaN for no data.
"""
from __future__ import annotations

import errno
import os
from typing import Iterable, List, Tuple

import numpy as np
import rasterio.features
import rasterio.warp
from rasterio.enums import Resampling


def rasterize_mask(geometries: Iterable[dict], transform, shape: Tuple[int, int],
                   all_touched: bool = False) -> np.ndarray:
    """Boolean mask of the pixels whose centre lies inside any geometry.

    Parameters
    ----------
    geometries : iterable of dict
        GeoJSON-like mappings already in the grid's CRS; empty ones are skipped.
    transform : affine.Affine
        The grid's transform (pixel corners).
    shape : (int, int)
        Rows and columns of the grid.
    all_touched : bool, default False
        Also every pixel a geometry touches (``rasterio.features.geometry_mask``).

    Returns
    -------
    ndarray
        bool (rows, cols), True inside; all False for no geometry.
    """
    geoms = [g for g in geometries if g]
    if not geoms:
        return np.zeros(shape, dtype=bool)
    return rasterio.features.geometry_mask(geoms, out_shape=shape, transform=transform,
                                           invert=True, all_touched=all_touched)


def rasterize_labels(geometries: Iterable[dict], transform, shape: Tuple[int, int]) -> np.ndarray:
    """int32 label image: each pixel is the 1-based index of the geometry covering it.

    Later geometries win where they overlap; pixel centres decide.

    Parameters
    ----------
    geometries : iterable of dict
        GeoJSON-like mappings in the grid's CRS (an empty one keeps its index unused).
    transform : affine.Affine
        The grid's transform.
    shape : (int, int)
        Rows and columns of the grid.

    Returns
    -------
    ndarray
        int32 (rows, cols), 0 outside every geometry.
    """
    shapes = [(g, i + 1) for i, g in enumerate(geometries) if g]
    if not shapes:
        return np.zeros(shape, dtype=np.int32)
    return rasterio.features.rasterize(shapes, out_shape=shape, transform=transform,
                                       fill=0, dtype="int32")


def reproject_to_grid(array: np.ndarray, src_transform, src_crs, dst_transform, dst_crs,
                      dst_shape: Tuple[int, int], resampling: str = "bilinear") -> np.ndarray:
    """Regrid a float array (NaN = no data) onto another grid with ``rasterio.warp``.

    Parameters
    ----------
    array : ndarray
        2-D source array (rows, cols); converted to float32.
    src_transform, dst_transform : affine.Affine
        Transforms of the source and destination grids.
    src_crs, dst_crs : rasterio.crs.CRS or str
        Their CRS.
    dst_shape : (int, int)
        Rows and columns of the destination grid.
    resampling : str, default "bilinear"
        Any rasterio ``Resampling`` name; use ``average`` when the target is coarser
        than the source (no aliasing), ``bilinear`` or ``nearest`` otherwise.

    Returns
    -------
    ndarray
        float32 ``dst_shape`` with NaN outside the source or where the source had no
        data.
    """
    src = np.asarray(array, dtype=np.float32)
    dst = np.full(dst_shape, np.nan, dtype=np.float32)
    rasterio.warp.reproject(src, dst, src_transform=src_transform, src_crs=src_crs,
                            src_nodata=np.nan, dst_transform=dst_transform, dst_crs=dst_crs,
                            dst_nodata=np.nan, resampling=Resampling[resampling])
    return dst


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone containing a point.

    Parameters
    ----------
    lon, lat : float
        Longitude and latitude (degrees, WGS 84).

    Returns
    -------
    int
        326zz north of the equator (``lat`` ≥ 0), 327zz south, zz the 6° zone number
        (no Norway/Svalbard exceptions).
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone


class GdalErrors:
    """Collect GDAL's errors while active, so that they can be raised instead of logged.

    GDAL reports many write failures (a full disk, a vanished folder) only through its
    error handler while it flushes cached blocks, and rasterio merely logs them; the
    file then looks complete until a later call (``build_overviews``) fails or crashes.
    Inside ``with GdalErrors() as errors`` every ``CE_Failure``/``CE_Fatal`` message is
    recorded (GDAL's handler stack is per thread, so use it in the writing thread), and
    :meth:`check` raises them as ``OSError`` naming the file.
    """

    def __init__(self):
        self.messages: List[str] = []
        self._handler = None

    def __enter__(self):
        from osgeo import gdal

        def handler(err_class, err_no, message):
            if err_class >= gdal.CE_Failure:
                self.messages.append(str(message).strip())

        self._handler = handler
        gdal.PushErrorHandler(handler)
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._handler is not None:
            from osgeo import gdal
            gdal.PopErrorHandler()
            self._handler = None
        return False

    def check(self, path: str, doing: str = "write", temporary: str = ""):
        """Raise the errors GDAL reported since the last check.

        Parameters
        ----------
        path : str
            The user's file, named in the message.
        doing : str, default "write"
            The verb of the message (``cannot write ...``).
        temporary : str, optional
            A hidden temporary file whose name is replaced by ``path`` in GDAL's text.

        Raises
        ------
        OSError
            From :func:`gdal_write_error`: the cause (a full disk with the free space left,
            a missing folder, permissions) and GDAL's own text last.
        """
        if not self.messages:
            return
        text = "; ".join(dict.fromkeys(self.messages))
        if temporary:
            text = text.replace(temporary, path)
        self.messages.clear()
        raise gdal_write_error(path, text, doing)


def gdal_write_error(path: str, gdal_text: str, doing: str = "write") -> OSError:
    """An ``OSError`` for a failed GDAL write that says what to change.

    Parameters
    ----------
    path : str
        The file being written.
    gdal_text : str
        GDAL's messages.
    doing : str, default "write"
        The verb of the message.

    Returns
    -------
    OSError
        ``errno`` ENOSPC (full disk, with the free space), EACCES (permission,
        read-only), ENOENT (the folder vanished) or EIO, with a hint and GDAL's text.
    """
    from .guard import free_space_text
    folder = os.path.dirname(os.path.abspath(path))
    low = gdal_text.lower()
    free = free_space_text(folder) if os.path.isdir(folder) else ""
    if "no space" in low or "disk full" in low or "file too large" in low \
            or "short write" in low or "failed to write" in low or "write failed" in low:
        code, cause = errno.ENOSPC, (f"the disk is full ({free})" if free else "the disk is full")
        hint = "free some space or choose a folder on another disk"
    elif "permission" in low or "read-only" in low:
        code, cause = errno.EACCES, "permission denied"
        hint = "choose a folder you can write to"
    elif not os.path.isdir(folder):
        code, cause = errno.ENOENT, f"its folder {folder} no longer exists"
        hint = "choose an existing folder"
    else:
        code, cause = errno.EIO, "GDAL could not write it" + (f" ({free})" if free else "")
        hint = "check the disk and the folder"
    return OSError(code, f"cannot {doing} {path}: {cause}; {hint} (GDAL: {gdal_text})")
