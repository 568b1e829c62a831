"""Find what a raster file is and when it was acquired (names, MTL files, tags)."""
from __future__ import annotations

import datetime as _dt
import glob
import os
from typing import Optional

import rasterio

from ..core.scenes import SceneInfo, parse_mtl, parse_scene_name, time_from_tags


def _mtl_candidates(path: str):
    folder = os.path.dirname(os.path.abspath(path))
    info = parse_scene_name(os.path.basename(path))
    pats = ["*_MTL.txt", "mtl/*_MTL.txt", "MTL/*_MTL.txt", "../*_MTL.txt"]
    for pat in pats:
        for f in sorted(glob.glob(os.path.join(folder, pat))):
            name_info = parse_scene_name(os.path.basename(f))
            # an MTL belongs to this image when both name the same scene (or the image has no id)
            if info.time is None or (name_info.time is not None and name_info.time.date() == info.time.date()
                                     and name_info.footprint_id == info.footprint_id):
                yield f


def scene_info(path: str, tags: Optional[dict] = None) -> SceneInfo:
    """Sensor and acquisition time of a raster file.

    Order: a Landsat MTL file beside the image (``*_MTL.txt``, ``mtl/``, ``MTL/`` or
    the parent folder) for the same scene (time to the second); the file name, or its
    folder's name; the GDAL tags of the file (default and EXIF domains).

    Parameters
    ----------
    path : str
        A raster file (a Landsat/Sentinel band, a Sentinel-1 GRD, an orthomosaic).
    tags : dict, optional
        Its GDAL tags, when the caller has them; else read with rasterio (none when
        the file cannot be opened).

    Returns
    -------
    glacvel_plugin.core.scenes.SceneInfo
        ``time`` (naive UTC) is None when nothing gives a time; ``date_only`` when
        only a date was found.
    """
    base = os.path.basename(path)
    info = parse_scene_name(base)
    if info.time is None:
        info = parse_scene_name(os.path.basename(os.path.dirname(os.path.abspath(path))))
    if info.sensor in (None, "L4", "L5", "L7", "L8", "L9"):
        for mtl in _mtl_candidates(path):
            try:
                with open(mtl, encoding="utf-8", errors="replace") as f:
                    m = parse_mtl(f.read())
            except OSError:
                continue
            if m.time is not None and (info.time is None or m.time.date() == info.time.date()):
                m.sensor = m.sensor or info.sensor
                m.footprint_id = m.footprint_id or info.footprint_id
                return m
    if info.time is not None and not info.date_only:
        return info
    if tags is None:
        try:
            with rasterio.open(path) as ds:
                tags = dict(ds.tags())
                try:
                    tags.update(ds.tags(ns="EXIF") or {})
                except Exception:
                    pass
        except Exception:
            tags = {}
    t = time_from_tags(tags)
    if t is not None:
        info.time, info.date_only = t, False
        info.sensor = info.sensor or tags.get("SENSOR") or None
    return info


def acquisition_time(path: str, override: Optional[_dt.datetime] = None,
                     role: str = "image") -> _dt.datetime:
    """Acquisition time of an image, or the time the user gave.

    Parameters
    ----------
    path : str
        The image file.
    override : datetime.datetime, optional
        The time given by the user; returned unchanged when not None.
    role : str, default "image"
        What the message calls the image (``"reference"``, ``"secondary"``).

    Returns
    -------
    datetime.datetime
        Naive UTC (:func:`scene_info`).

    Raises
    ------
    ValueError
        Asking the user to set the time parameter when none is found.
    """
    if override is not None:
        return override
    info = scene_info(path)
    if info.time is None:
        raise ValueError(
            f"no acquisition time found for the {role} {os.path.basename(path)} (no Landsat/"
            "Sentinel product id in its name, no MTL file beside it, no date tag); "
            f"set the {role} time parameter")
    return info.time
