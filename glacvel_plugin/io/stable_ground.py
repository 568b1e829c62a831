"""Stable-ground correction of a product file (the maths is in ``core.stable_ground``).

``glacvel:stable_ground_correction`` and the dataset job (:mod:`glacvel_plugin.io.dataset`,
on Dask workers without QGIS) both write corrected products with
:func:`correct_product`.
"""
from __future__ import annotations

import os
from typing import Callable, Optional

import numpy as np

from ..core import Canceled
from ..core import stable_ground as sg
from .grid import units_factor
from .product import write_product

ERROR_MEASURES = ("rmse", "robust")
"""Per-pixel error measures: held-out RMSE, or the robust √(median² + NMAD²)."""


def velocity_units(product, path):
    """Units of a product's velocities.

    Parameters
    ----------
    product : glacvel_plugin.io.product.VelocityProduct
        The product.
    path : str
        Its file, named in the message.

    Returns
    -------
    units : str
        The ``UNITS`` tag verbatim (m/d when the tag is absent, the product-contract
        default); every stable-ground statistic, correction and error band stays in
        these units.
    factor : float
        Factor to m/d.
    strain_units : str
        ``"1/d"`` or ``"1/yr"``.

    Raises
    ------
    ValueError
        For a unit glacvel does not know (:func:`glacvel_plugin.io.grid.units_factor`).
    """
    units = str(product.tags.get("UNITS") or "").strip() or "m/d"
    factor = units_factor(units, os.path.basename(path))
    return units, factor, ("1/d" if factor == 1.0 else "1/yr")


def error_bands(bands, sigma_x, sigma_y):
    """Per-pixel error bands for vx, vy and v from component sigmas.

    Parameters
    ----------
    bands : mapping
        The product's bands; ``vx`` and ``vy`` float32 (rows, cols), NaN = no data.
    sigma_x, sigma_y : float
        1σ of vx and vy (the product's velocity units).

    Returns
    -------
    dict
        ``vx_error``, ``vy_error`` (the sigmas where vx and vy are valid, NaN
        elsewhere) and ``v_error`` (:func:`glacvel_plugin.core.stable_ground.velocity_error`),
        float32 (rows, cols).

    References
    ----------
    Lei, Y., Gardner, A. S. and Agram, P. (2021). Autonomous Repeat Image Feature
    Tracking (autoRIFT) and its application for tracking ice displacement. Remote
    Sensing 13, 749 (ITS_LIVE's v_error = √((σx·vx)² + (σy·vy)²)/|v|).
    """
    vx, vy = bands["vx"], bands["vy"]
    valid = np.isfinite(vx) & np.isfinite(vy)
    ex = np.where(valid, np.float32(sigma_x), np.nan).astype(np.float32)
    ey = np.where(valid, np.float32(sigma_y), np.nan).astype(np.float32)
    return {"vx_error": ex, "vy_error": ey, "v_error": sg.velocity_error(vx, vy, ex, ey)}


def band_tags(names, units="m/d"):
    """Band-level ``UNITS`` tags of a product.

    Parameters
    ----------
    names : iterable of str
        Band names.
    units : str, default "m/d"
        The product's velocity units (m/d or m/yr), for the velocity and error bands.

    Returns
    -------
    dict
        Band name → ``{"UNITS": ...}``: ``m`` for dx/dy, empty for quality/count,
        ``units`` for the others.
    """
    return {n: {"UNITS": "m" if n in ("dx", "dy") else ("" if n in ("quality", "count")
                                                         else units)} for n in names}


def ordered(bands):
    """Bands in the product's usual order: v, vx, vy, dx, dy, quality, then the rest.

    Parameters
    ----------
    bands : mapping
        Band name → array.

    Returns
    -------
    dict
        The same items, reordered (insertion order).
    """
    first = [b for b in ("v", "vx", "vy", "dx", "dy", "quality") if b in bands]
    return {b: bands[b] for b in first + [b for b in bands if b not in first]}


def correct_product(product, path: str, output: str, mask: np.ndarray, source: str,
                    model: str = "constant", block: int = sg.HOLDOUT_BLOCK,
                    measure: str = "rmse",
                    is_canceled: Optional[Callable[[], bool]] = None):
    """Subtract the stable-ground offset from a product and write it with error bands.

    The offset (median or plane, :func:`glacvel_plugin.core.stable_ground.estimate_correction`)
    is fitted on half of the stable ground (a checkerboard of blocks) and the error
    measured on the other half; dx/dy are recomputed from the corrected velocities
    (dropped when the product has no ``DT_DAYS``). Tags ``SG_*`` record the model, the
    offsets and the held-out statistics.

    Parameters
    ----------
    product : glacvel_plugin.io.product.VelocityProduct
        The product, read from ``path``.
    path : str
        The product's file (never written over).
    output : str
        The corrected product's GeoTIFF (written atomically).
    mask : ndarray
        bool (rows, cols) on the product's grid, True on stable ground.
    source : str
        How the mask was made (``polygons``, ``outlines``, ``automatic``; tag
        ``SG_SOURCE``).
    model : {"constant", "plane"}
        ``constant`` (median offset) or ``plane``.
    block : int, default core.stable_ground.HOLDOUT_BLOCK
        Hold-out checkerboard block side (px).
    measure : {"rmse", "robust"}
        Per-pixel error from the held-out ``rmse`` or ``robust`` √(median² + NMAD²).
    is_canceled : callable, optional
        Asked after the fit (a cancel raises ``core.Canceled``).

    Returns
    -------
    result : glacvel_plugin.core.stable_ground.CorrectionResult
        The fit and the held-out statistics.
    offset_vx, offset_vy : float
        Offsets at the grid centre in the product's velocity units.

    Raises
    ------
    ValueError
        Too little stable ground, a plane on clustered stable ground, unknown units,
        ``output`` equal to ``path``.
    core.Canceled
        When cancelled (nothing is written).

    References
    ----------
    Lei, Y., Gardner, A. S. and Agram, P. (2021). Autonomous Repeat Image Feature
    Tracking (autoRIFT) and its application for tracking ice displacement. Remote
    Sensing 13, 749 (median stable-ground offset).

    Höhle, J. and Höhle, M. (2009). Accuracy assessment of digital elevation models
    by means of robust statistical methods. ISPRS Journal of Photogrammetry and Remote
    Sensing 64, 398–406 (NMAD = 1.4826·MAD).
    """
    vx, vy = product.band("vx"), product.band("vy")
    units, factor, _ = velocity_units(product, path)
    res = sg.estimate_correction(vx, vy, mask, model, block)
    if is_canceled is not None and is_canceled():
        raise Canceled()
    bands = dict(product.bands)
    cx = (vx - res.offset_x.evaluate(vx.shape)).astype(np.float32)
    cy = (vy - res.offset_y.evaluate(vy.shape)).astype(np.float32)
    bands.update(vx=cx, vy=cy, v=np.hypot(cx, cy).astype(np.float32))
    dt = product.dt_days
    if dt:   # metres over Δt from velocities in the product's units
        bands.update(dx=cx * np.float32(dt * factor), dy=cy * np.float32(dt * factor))
    else:
        bands.pop("dx", None)
        bands.pop("dy", None)
    hx, hy = res.heldout_x, res.heldout_y
    bands.update(error_bands(bands, hx.sigma(measure), hy.sigma(measure)))
    shape = vx.shape
    off_x, off_y = res.offset_x.at_centre(shape), res.offset_y.at_centre(shape)
    tags = dict(product.tags)
    tags.update(
        SG_MODEL=model, SG_SOURCE=source, SG_OFFSET_VX=f"{off_x:.6g}",
        SG_OFFSET_VY=f"{off_y:.6g}",
        SG_COEF_VX=" ".join(f"{c:.6g}" for c in res.offset_x.coef),
        SG_COEF_VY=" ".join(f"{c:.6g}" for c in res.offset_y.coef),
        SG_COEF_TERMS="c" if model == "constant" else f"c + a*col + b*row ({units}, pixels)",
        SG_HOLDOUT=f"checkerboard of {block}x{block}-pixel blocks",
        SG_ERROR_MEASURE=measure,
        SG_N_FIT=str(res.n_fit), SG_N_EVAL=str(res.n_eval),
        SG_HELDOUT_MEAN_VX=f"{hx.mean:.6g}", SG_HELDOUT_MEAN_VY=f"{hy.mean:.6g}",
        SG_HELDOUT_STD_VX=f"{hx.std:.6g}", SG_HELDOUT_STD_VY=f"{hy.std:.6g}",
        SG_HELDOUT_NMAD_VX=f"{hx.nmad:.6g}", SG_HELDOUT_NMAD_VY=f"{hy.nmad:.6g}",
        SG_HELDOUT_RMSE_VX=f"{hx.rmse:.6g}", SG_HELDOUT_RMSE_VY=f"{hy.rmse:.6g}")
    bands = ordered(bands)
    write_product(output, bands, product.transform, product.crs, tags,
                  band_tags=band_tags(bands, units), protect=[path])
    return res, off_x, off_y
