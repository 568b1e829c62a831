"""Raster helpers shared by the algorithms: masks from polygons, regridding.

All grids are described by a rasterio/affine ``transform``, a ``crs`` and a
``(rows, cols)`` shape. Arrays are float32 with NaN for no data.
"""
from __future__ import annotations

from typing import Iterable, Tuple

import numpy as np
import rasterio.features
import rasterio.warp
from rasterio.enums import Resampling


def rasterize_mask(geometries: Iterable[dict], transform, shape: Tuple[int, int],
                   all_touched: bool = False) -> np.ndarray:
    """Boolean mask (rows, cols) of the pixels whose centre lies inside any geometry.

    ``geometries``: GeoJSON-like mappings already in the grid's CRS. An empty
    iterable gives an all-False mask.
    """
    geoms = [g for g in geometries if g]
    if not geoms:
        return np.zeros(shape, dtype=bool)
    return rasterio.features.geometry_mask(geoms, out_shape=shape, transform=transform,
                                           invert=True, all_touched=all_touched)


def rasterize_labels(geometries: Iterable[dict], transform, shape: Tuple[int, int]) -> np.ndarray:
    """int32 label image: pixel = 1-based index of the geometry covering it, 0 elsewhere.

    Later geometries win where they overlap.
    """
    shapes = [(g, i + 1) for i, g in enumerate(geometries) if g]
    if not shapes:
        return np.zeros(shape, dtype=np.int32)
    return rasterio.features.rasterize(shapes, out_shape=shape, transform=transform,
                                       fill=0, dtype="int32")


def reproject_to_grid(array: np.ndarray, src_transform, src_crs, dst_transform, dst_crs,
                      dst_shape: Tuple[int, int], resampling: str = "bilinear") -> np.ndarray:
    """Regrid a float array (NaN = no data) onto another grid with rasterio.warp.

    ``resampling``: any rasterio ``Resampling`` name; use ``average`` when the target
    is coarser than the source (no aliasing), ``bilinear`` or ``nearest`` otherwise.
    Returns float32 (dst rows, dst cols) with NaN outside the source or where the
    source had no data.
    """
    src = np.asarray(array, dtype=np.float32)
    dst = np.full(dst_shape, np.nan, dtype=np.float32)
    rasterio.warp.reproject(src, dst, src_transform=src_transform, src_crs=src_crs,
                            src_nodata=np.nan, dst_transform=dst_transform, dst_crs=dst_crs,
                            dst_nodata=np.nan, resampling=Resampling[resampling])
    return dst


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 / UTM zone containing (lon, lat) in degrees."""
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return (32600 if lat >= 0 else 32700) + zone
