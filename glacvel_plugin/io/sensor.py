"""Which kind of image a file holds: optical reflectance/DN or SAR backscatter.

Offset tracking on a Landsat band, or optical phase correlation on a Sentinel-1
backscatter image, runs without error and gives plausible-looking but wrong speeds
(a Landsat-8 pair through ``sar_offset_tracking`` gave 0.40 m/d on the Yahtse trunk
instead of 13.4). The checks here look at what identifies the scene (a Landsat or
Sentinel-2 product name or MTL file, a Sentinel-1 product name, via
:func:`glacvel_plugin.io.scenes.scene_info`) and, failing that, at the values
(backscatter in dB is a float image whose values are mostly negative, -30 to +5).
"""
from __future__ import annotations

import os
from typing import Optional, Tuple

import numpy as np
import rasterio

OPTICAL_SENSORS = {"L4": "Landsat-4", "L5": "Landsat-5", "L7": "Landsat-7",
                   "L8": "Landsat-8", "L9": "Landsat-9", "S2": "Sentinel-2"}
SAR_SENSORS = {"S1": "Sentinel-1"}


def _sample(path: str, band: int = 1, size: int = 256) -> Optional[np.ndarray]:
    try:
        with rasterio.open(path) as ds:
            step = max(1, int(max(ds.width, ds.height) // size))
            a = ds.read(band, out_shape=(max(ds.height // step, 1), max(ds.width // step, 1)),
                        masked=True)
            return np.asarray(a.astype("float64").filled(np.nan)), ds.dtypes[band - 1]
    except Exception:  # noqa: BLE001 - the readers report unreadable files
        return None


def image_kind(path: str) -> Tuple[Optional[str], str]:
    """Whether a raster holds an optical or a SAR image.

    The scene's sensor from :func:`glacvel_plugin.io.scenes.scene_info` decides;
    failing that, a float band sampled to about 256 px a side whose values are more
    than 80 % negative with a median between -60 and 0 is SAR backscatter in dB.

    Parameters
    ----------
    path : str
        A raster file.

    Returns
    -------
    kind : {"optical", "sar"} or None
        None when neither can be told (or the file is unreadable).
    why : str
        What the decision rests on (``"a Landsat-8 scene, from its name or
        metadata"``, ``"float values, 97 % below 0 with median -12.3 (backscatter in
        dB)"``).
    """
    from .scenes import scene_info
    try:
        info = scene_info(path)
    except Exception:  # noqa: BLE001 - unknown names are fine
        info = None
    sensor = getattr(info, "sensor", None)
    if sensor in OPTICAL_SENSORS:
        return "optical", f"a {OPTICAL_SENSORS[sensor]} scene, from its name or metadata"
    if sensor in SAR_SENSORS:
        return "sar", f"a {SAR_SENSORS[sensor]} scene, from its name or metadata"
    got = _sample(path)
    if got is None:
        return None, "unreadable"
    a, dtype = got
    v = a[np.isfinite(a)]
    if v.size < 16:
        return None, "too few valid values"
    if np.dtype(dtype).kind == "f":
        neg = float(np.mean(v < 0))
        if neg > 0.8 and -60.0 < float(np.median(v)) < 0.0:
            return "sar", (f"float values, {100 * neg:.0f} % below 0 with median "
                           f"{float(np.median(v)):.1f} (backscatter in dB)")
    return None, "no sensor in the name or metadata"


def check_sar_input(path: str, param: str):
    """Refuse an optical scene given to SAR offset tracking.

    Parameters
    ----------
    path : str
        The image file.
    param : str
        Its parameter name, for the message (``"REFERENCE"``).

    Raises
    ------
    ValueError
        When :func:`image_kind` says ``"optical"``; the message points to
        ``glacvel:optical_correlation``.
    """
    kind, why = image_kind(path)
    if kind == "optical":
        raise ValueError(
            f"{param}: {os.path.basename(path)} is {why}, not SAR backscatter; "
            "sar_offset_tracking matches Sentinel-1 amplitude speckle and gives wrong speeds "
            "on optical images: use glacvel:optical_correlation for it")


def optical_input_warning(path: str, param: str) -> Optional[str]:
    """A warning when a SAR image is given to optical correlation.

    Parameters
    ----------
    path : str
        The image file.
    param : str
        Its parameter name, for the message.

    Returns
    -------
    str or None
        The warning (pointing to ``glacvel:sar_offset_tracking``) when
        :func:`image_kind` says ``"sar"``, else None.
    """
    kind, why = image_kind(path)
    if kind == "sar":
        return (f"{param}: {os.path.basename(path)} looks like SAR backscatter ({why}); "
                "optical correlation is not made for speckle: use "
                "glacvel:sar_offset_tracking for Sentinel-1 images")
    return None
