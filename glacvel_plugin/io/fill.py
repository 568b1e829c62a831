"""Fill values in untagged scenes: borders, patches and Landsat-7 SLC-off stripes.

USGS Level-1 Landsat scenes mark the area outside the image (the slanted border of
a path/row, the Landsat-7 SLC-off wedges) with DN 0 and saturated or failed pixels
with 65535, without always saying so in a nodata tag once a scene has been cropped or
re-saved. Correlated as data, the straight edge between 0 and the image is the
strongest texture in every window that touches it, and it does not move: thousands of
confident vectors appear on rock and ice along it.

:func:`detect_fill` finds 0 and 65535 in a ``uint16`` band without a nodata tag and
tells borders and patches (wide areas) from stripes (SLC-off gaps, a few to ~30 px
wide); :func:`fill_preprocess` gives the ``preprocess`` that
:func:`glacvel_plugin.io.pair.correlate_files` (``glacvel:optical_correlation``) and
:func:`glacvel_plugin.io.sar.track_sar_files` apply to such images:

* wide areas of 0 and every 65535 pixel (saturated or failed detectors, in patches)
  become no data (NaN), so no window that contains them is matched;
* thin stripes of 0 are filled with the normalised-convolution mean of the valid pixels
  around them (Gaussian, sigma = :data:`STRIPE_SIGMA_PX`), which carries no texture of
  its own: a window that is mostly valid is still matched on its valid texture, while
  a window that is mostly stripe has no texture and fails the quality tests.

Only exact fill values are treated; an image with a nodata tag is left to it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Optional

import numpy as np
import rasterio
from scipy import ndimage

FILL_VALUES = (0.0, 65535.0)
"""DN values taken as fill in ``uint16`` bands without a nodata tag."""

MAX_STRIPE_PX = 32
"""Fill narrower than this (px, across its shortest extent) is a stripe, not a border."""

STRIPE_SIGMA_PX = 4.0
"""Gaussian sigma (px) of the normalised convolution that fills stripes."""


@dataclass
class FillInfo:
    """Fill found in one band.

    Attributes
    ----------
    path : str
    fractions : dict value -> share of the pixels (0..1) holding it
    stripe_fraction : share of the pixels in thin stripes (SLC-off gaps)
    """
    path: str
    fractions: Dict[float, float] = field(default_factory=dict)
    stripe_fraction: float = 0.0

    @property
    def total(self) -> float:
        return float(sum(self.fractions.values()))

    @property
    def stripes(self) -> bool:
        return self.stripe_fraction > 0.02

    def describe(self) -> str:
        """The fill found, in words for the log.

        Returns
        -------
        str
            ``'6.1 % of the pixels are 0, 0.3 % are 65535; 4.0 % lie in stripes a few
            pixels wide (Landsat-7 SLC-off gaps)'`` (the stripe part only when
            :attr:`stripes`).
        """
        parts = [f"{100 * f:.1f} % of the pixels are {v:g}" for v, f in self.fractions.items()
                 if f > 0]
        text = ", ".join(parts)
        if self.stripes:
            text += (f"; {100 * self.stripe_fraction:.1f} % lie in stripes a few pixels wide "
                     "(Landsat-7 SLC-off gaps)")
        return text


def _masks(a: np.ndarray, values) -> np.ndarray:
    m = np.zeros(a.shape, bool)
    for v in values:
        m |= a == v
    return m


def _wide(mask: np.ndarray) -> np.ndarray:
    """Part of ``mask`` that survives an opening by a :data:`MAX_STRIPE_PX` square."""
    if not mask.any():
        return mask
    k = MAX_STRIPE_PX | 1   # odd: the opening is symmetric
    # opening = erosion then dilation, as separable running minimum / maximum filters
    # (linear time); outside the array counts as fill, so fill reaching the edge stays wide
    m = mask.astype(np.uint8)
    er = ndimage.minimum_filter(m, size=k, mode="constant", cval=1)
    return ndimage.maximum_filter(er, size=k, mode="constant", cval=0).astype(bool) & mask


def detect_fill(path: str, band: int = 1, max_side: int = 2048) -> Optional[FillInfo]:
    """Fill values (0, 65535) of one band of a raster.

    Only ``uint16`` bands without a nodata value are examined (a nodata tag is obeyed by
    the readers already). The band is read whole, or decimated (nearest) to at most
    ``max_side`` px a side, which keeps exact values; stripes are only told from wide
    fill on a whole-resolution read.

    Parameters
    ----------
    path : str
        Raster file (a Landsat Level-1 band GeoTIFF, ...).
    band : int, default 1
        Band number (1-based).
    max_side : int, default 2048
        Largest side (px) of the read.

    Returns
    -------
    FillInfo or None
        The share of each fill value and of the thin stripes; None when the file cannot
        be opened (the pair reader reports that), the band does not exist, is not
        ``uint16``, has a nodata value, or holds no fill value.
    """
    try:
        ds = rasterio.open(path)
    except Exception:  # noqa: BLE001 - the pair reader reports unreadable files
        return None
    with ds:
        if band < 1 or band > ds.count:
            return None
        if ds.dtypes[band - 1] != "uint16" or ds.nodatavals[band - 1] is not None:
            return None
        f = max(1, int(np.ceil(max(ds.width, ds.height) / max_side)))
        a = ds.read(band, out_shape=(max(ds.height // f, 1), max(ds.width // f, 1)))
    fr = {v: float(np.mean(a == v)) for v in FILL_VALUES}
    if not any(x > 0 for x in fr.values()):
        return None
    m = a == 0   # SLC-off gaps are 0; 65535 is always no data
    stripes = m & ~_wide(m) if f == 1 else np.zeros_like(m)
    return FillInfo(path, fr, float(stripes.mean()))


def fill_preprocess(values=FILL_VALUES, then: Optional[Callable] = None) -> Callable:
    """A ``preprocess(array) -> array`` that treats ``values`` as fill (see the module doc).

    Wide fill → NaN; thin stripes of 0 → normalised-convolution mean of the valid pixels
    around them (Gaussian, sigma :data:`STRIPE_SIGMA_PX`), NaN where no valid pixel is
    near.

    Parameters
    ----------
    values : sequence of float, default FILL_VALUES
        DN values taken as fill.
    then : callable, optional
        Applied to the array afterwards (e.g. the log of SAR amplitude).

    Returns
    -------
    callable
        ``pre(a)``: float32 2-D array in, a float32 copy out (NaN for no data).
    """
    def pre(a):
        a = np.array(a, dtype=np.float32, copy=True)
        fill = _masks(a, values)
        if fill.any():
            zero = fill & (a == 0)
            thin = zero & ~_wide(zero)          # stripes of 0 (SLC-off gaps)
            wide = fill & ~thin
            a[wide] = np.nan
            if thin.any():
                valid = np.isfinite(a) & ~fill
                w = ndimage.gaussian_filter(valid.astype(np.float32), STRIPE_SIGMA_PX)
                s = ndimage.gaussian_filter(np.where(valid, a, 0.0).astype(np.float32),
                                            STRIPE_SIGMA_PX)
                with np.errstate(invalid="ignore", divide="ignore"):
                    filled = s / w
                ok = thin & (w > 1e-3)
                a[ok] = filled[ok]
                a[thin & ~ok] = np.nan
        return then(a) if then is not None else a
    return pre


def no_match_causes(reference: str, secondary: str, window: int, step: Optional[int],
                    max_speed: float, dt_days: float, ref_band: int = 1,
                    sec_band: int = 1) -> list:
    """Likely causes, in words naming the parameters, of a correlation that matched no window.

    Checked: a STEP that leaves (almost) no window in the images, a MAX_SPEED whose
    displacement over Δt is below one pixel (every real motion is rejected), and fill
    (0 / 65535 borders, patches, SLC-off stripes) covering more than 30 % of either
    image (:func:`detect_fill`).

    Parameters
    ----------
    reference, secondary : str
        The two image files.
    window : int
        Matching window side (px).
    step : int or None
        Step between window centres (px); None skips the STEP check.
    max_speed : float
        Fastest speed searched (m/d).
    dt_days : float
        Time baseline Δt (days).
    ref_band, sec_band : int, default 1
        Bands correlated (0 or None = 1).

    Returns
    -------
    list of str
        One sentence per cause; empty when none applies or the reference cannot be
        opened.
    """
    causes = []
    try:
        with rasterio.open(reference) as ds:
            h, w, px = ds.height, ds.width, min(abs(ds.res[0]), abs(ds.res[1]))
    except Exception:  # noqa: BLE001
        return causes
    if step:
        n = max(0, (h - window) // step + 1) * max(0, (w - window) // step + 1)
        if n <= 4:
            causes.append(
                f"STEP {step} px leaves only {n} window(s) of {window} px in the {w} × {h} px "
                f"images; use a STEP of at most {max(1, min(h, w) // 10)} px")
    if max_speed > 0 and dt_days > 0 and px > 0:
        search = max_speed * dt_days / px
        if search < 1.0:
            causes.append(
                f"MAX_SPEED {max_speed:g} m/d over Δt {dt_days:.1f} d is only {search:.2f} px "
                f"at {px:g} m pixels, and every displacement beyond it is rejected; set "
                "MAX_SPEED to the fastest speed you expect on the glacier")
    for path, band, name in ((reference, ref_band, "REFERENCE"),
                             (secondary, sec_band, "SECONDARY")):
        info = detect_fill(path, band or 1)
        if info is not None and info.total > 0.3:
            what = "SLC-off stripes" if info.stripes else "fill"
            causes.append(f"{name} is mostly {what}: {info.describe()}")
    return causes
