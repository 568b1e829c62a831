"""Stable-ground co-registration correction and velocity error statistics.

Off-glacier (stable) ground does not move, so any velocity measured there is error:
a co-registration offset common to the scene plus noise. This module

* picks stable pixels automatically when no mask is given (:func:`auto_stable_mask`,
  the "slowest 25 %" rule of autoRIFT/ITS_LIVE made robust to the offset itself);
* splits stable pixels into a fit part and a held-out evaluation part with a
  deterministic checkerboard of pixel blocks (:func:`holdout_split`), so that
  neighbouring pixels, which share most of their correlation window, never sit on
  both sides;
* fits a constant (median) offset or a plane (:func:`fit_offset`), refusing the
  plane when stable ground does not span the scene (:func:`plane_span`);
* summarises residuals (:func:`component_stats`: n, mean, median, std, NMAD, RMSE,
  normality test) and propagates component errors to the speed error
  (:func:`velocity_error`, as ITS_LIVE);
* derives stable ground from glacier outlines (:func:`outside_outlines`: pixels
  farther than a buffer from any ice);
* computes the two GLAFT metrics (Zheng et al. 2023, The Cryosphere 17, 4063-4078,
  doi:10.5194/tc-17-4063-2023): metric 1, the 2-sigma contour half-ranges of an
  Epanechnikov kernel density of stable-ground (vx, vy) (:func:`kde_half_ranges`,
  :func:`glaft_metric1`), and metric 2, the same statistic on strain rates rotated
  into the flow direction on ice buffered inward from the margin
  (:func:`flow_strain_rates`, :func:`glaft_metric2`).

Arrays are 2-D ``float`` images (rows, cols) in the product's grid with ``NaN`` for
no data; velocities in m/d, x east-positive, y north-positive (row index grows
southwards). Only numpy and scipy are used.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Tuple

import numpy as np
from scipy import ndimage, stats

from . import check_canceled

OFFSET_MODELS = ("constant", "plane")
"""Offset models of :func:`fit_offset`: one offset, or an offset plus a plane in x and y."""

NMAD_FACTOR = 1.4826
"""MAD → standard deviation of a normal distribution (NMAD = 1.4826·MAD)."""

MIN_STABLE_PIXELS = 30
"""Fewest stable pixels accepted in each of the fit and the evaluation parts."""

HOLDOUT_BLOCK = 16
"""Side (pixels) of the checkerboard blocks of :func:`holdout_split`."""

PLANE_MIN_SPAN = 0.5
"""Plane fit needs stable ground spreading at least this fraction of a scene-filling
cover along its narrowest direction (see :func:`plane_span`)."""

GLAFT_THRES_SIGMA = 2.0
GLAFT_GRIDSIZE = 60
GLAFT_BANDWIDTH_FACTOR = 2.1991
"""Rule-of-thumb Epanechnikov bandwidth factor for 2-D data used by GLAFT."""

SOBEL_SCALE = 8.0
"""scipy's Sobel operator returns 8× the per-pixel central gradient; GLAFT's strain
rates keep that factor, glacvel's are physical (1/d)."""


# --------------------------------------------------------------------------- statistics
@dataclass
class ComponentStats:
    """Statistics of one velocity component on stable ground (m/d).

    Attributes
    ----------
    n : int
        Number of finite values.
    mean, median, std : float
        Mean, median and standard deviation (ddof = 1; NaN when n = 1), m/d.
    nmad : float
        1.4826 · median(|x − median(x)|), m/d.
    rmse : float
        Root mean square about zero (includes any remaining offset), m/d.
    normality_stat, normality_p : float
        D'Agostino-Pearson K² statistic and p-value (``scipy.stats.normaltest``) on at
        most 5000 evenly spaced samples (the test rejects any real distribution for very
        large n); NaN when n < 20 or the sample has no spread.
    """
    n: int
    mean: float
    median: float
    std: float
    nmad: float
    rmse: float
    normality_stat: float
    normality_p: float

    @property
    def robust_rmse(self) -> float:
        """√(median² + NMAD²): an RMSE about zero that outliers do not dominate (m/d)."""
        return float(math.hypot(self.median, self.nmad))

    def sigma(self, measure: str = "rmse") -> float:
        """Per-pixel 1σ error from these statistics.

        Parameters
        ----------
        measure : {'rmse', 'robust'}, optional
            ``'rmse'``: :attr:`rmse`; ``'robust'``: :attr:`robust_rmse`.

        Returns
        -------
        float
            Error, m/d.

        Raises
        ------
        ValueError
            For an unknown measure.
        """
        if measure == "rmse":
            return self.rmse
        if measure == "robust":
            return self.robust_rmse
        raise ValueError(f"unknown error measure {measure!r}; use 'rmse' or 'robust'")

    def as_dict(self) -> Dict[str, float]:
        """The statistics (and ``robust_rmse``) as a plain dict.

        Returns
        -------
        dict
            Field name → value.
        """
        return dict(n=self.n, mean=self.mean, median=self.median, std=self.std,
                    nmad=self.nmad, rmse=self.rmse, robust_rmse=self.robust_rmse,
                    normality_stat=self.normality_stat, normality_p=self.normality_p)


def nmad(values: np.ndarray) -> float:
    """Normalised median absolute deviation 1.4826 · median(|x − median(x)|).

    Parameters
    ----------
    values : array_like
        Any shape; non-finite values are ignored.

    Returns
    -------
    float
        NMAD in the unit of ``values``; NaN when no value is finite.

    References
    ----------
    Höhle, J. & Höhle, M. (2009). Accuracy assessment of digital elevation models by
    means of robust statistical methods. ISPRS J. Photogramm. Remote Sens. 64, 398-406.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return float("nan")
    return float(NMAD_FACTOR * np.median(np.abs(x - np.median(x))))


def component_stats(values: np.ndarray) -> ComponentStats:
    """n, mean, median, std, NMAD, RMSE (about zero) and normality of finite values.

    Parameters
    ----------
    values : array_like
        float, any shape (e.g. vx on stable pixels, m/d); NaN ignored.

    Returns
    -------
    ComponentStats
        RMSE is taken about zero, so on stable ground it includes any remaining offset.

    Raises
    ------
    ValueError
        When there are no finite values.
    """
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        raise ValueError("no valid stable-ground pixels to compute statistics from")
    std = float(np.std(x, ddof=1)) if x.size > 1 else float("nan")
    k2, p = float("nan"), float("nan")
    if x.size >= 20:
        sample = x[np.linspace(0, x.size - 1, min(x.size, 5000)).astype(int)]
        if np.ptp(sample) > 0:
            k2, p = (float(v) for v in stats.normaltest(sample))
    return ComponentStats(n=int(x.size), mean=float(np.mean(x)), median=float(np.median(x)),
                          std=std, nmad=nmad(x), rmse=float(np.sqrt(np.mean(x * x))),
                          normality_stat=k2, normality_p=p)


# --------------------------------------------------------------------------- masks
def holdout_split(shape: Tuple[int, int], block: int = HOLDOUT_BLOCK) -> np.ndarray:
    """Checkerboard split of a grid into fit and held-out evaluation pixels.

    Block (i, j) of ``block`` × ``block`` pixels is a fit block when ``(i + j)`` is even.
    Velocity pixels closer than a correlation window share image content, so a random
    pixel split would leak; with 16-pixel blocks and the usual window/step ratios
    (32 px / 2 px, 64 px / 4 px) only the pixels along block edges are correlated across
    the split.

    Parameters
    ----------
    shape : (int, int)
        Rows and columns of the product grid.
    block : int, optional
        Block side, px, ≥ 1.

    Returns
    -------
    numpy.ndarray
        bool (rows, cols): True = fit pixel, False = held-out pixel.

    Raises
    ------
    ValueError
        When ``block`` < 1.
    """
    if block < 1:
        raise ValueError("hold-out block size must be at least 1 pixel")
    rows, cols = shape
    r = (np.arange(rows) // block)[:, None]
    c = (np.arange(cols) // block)[None, :]
    return ((r + c) % 2) == 0


def auto_stable_mask(vx: np.ndarray, vy: np.ndarray, quality: Optional[np.ndarray] = None,
                     fraction: float = 0.25, iterations: int = 10) -> np.ndarray:
    """Stable ground picked automatically: the slowest ``fraction`` of good pixels.

    As autoRIFT/ITS_LIVE (slowest 25 % of speed), but the speed is measured from the
    current offset estimate: start at offset (0, 0); take the ``fraction`` of pixels
    closest to it; set the offset to their median; repeat until the selection stops
    changing (at most ``iterations``). Taking the slowest pixels about zero would keep,
    of a stable cluster displaced by a co-registration offset, mostly the pixels whose
    noise points back towards zero, and so bias the offset towards zero; re-centring
    removes that bias. The rule assumes stable ground is at least ``fraction`` of the
    valid pixels and slower than the ice plus the offset (give a stable-ground mask when
    this does not hold).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d (x east, y north), NaN = no data.
    quality : numpy.ndarray, optional
        float (rows, cols), higher = better (e.g. peak correlation); when given only
        pixels at or above the median quality of valid pixels are used.
    fraction : float, optional
        Share of the used pixels taken as stable (0..1).
    iterations : int, optional
        Most re-centring iterations.

    Returns
    -------
    numpy.ndarray
        bool (rows, cols), True = stable ground.

    Raises
    ------
    ValueError
        When there are no valid pixels.
    """
    valid = np.isfinite(vx) & np.isfinite(vy)
    if quality is not None:
        q = np.asarray(quality, dtype=np.float64)
        good = valid & np.isfinite(q)
        if good.any():
            valid = good & (q >= np.median(q[good]))
    if not valid.any():
        raise ValueError("the product has no valid vx/vy pixels to pick stable ground from")
    x = vx[valid].astype(np.float64)
    y = vy[valid].astype(np.float64)
    ox = oy = 0.0
    sel = None
    for _ in range(iterations):
        d = np.hypot(x - ox, y - oy)
        new = d <= np.quantile(d, fraction)
        if sel is not None and np.array_equal(new, sel):
            break
        sel = new
        ox, oy = float(np.median(x[sel])), float(np.median(y[sel]))
    mask = np.zeros(vx.shape, dtype=bool)
    mask[valid] = sel
    return mask


# --------------------------------------------------------------------------- offset models
def plane_span(mask: np.ndarray) -> float:
    """How well the True pixels of ``mask`` span the scene, for a plane fit (0..~1).

    Pixel positions are scaled by the scene width and height to the unit square; the
    square root of the smallest eigenvalue of their covariance is divided by that of
    pixels filling the square (1/√12). 1 = spread like a scene-filling cover, 0 = all on
    a line or a point. A plane extrapolates a tilt over the scene, and its error there
    grows as scene size / spread of the stable ground, so :func:`fit_offset` refuses
    planes below :data:`PLANE_MIN_SPAN`.

    Parameters
    ----------
    mask : numpy.ndarray
        bool (rows, cols) stable pixels.

    Returns
    -------
    float
        Relative spread; 0 with fewer than 3 pixels.
    """
    rows, cols = np.nonzero(mask)
    if rows.size < 3:
        return 0.0
    h, w = mask.shape
    uv = np.vstack([(cols + 0.5) / w, (rows + 0.5) / h])
    lam = np.linalg.eigvalsh(np.cov(uv))
    return float(math.sqrt(max(lam[0], 0.0)) * math.sqrt(12.0))


@dataclass
class OffsetModel:
    """A fitted co-registration offset for one component (m/d).

    Attributes
    ----------
    model : str
        ``"constant"`` or ``"plane"``.
    coef : numpy.ndarray
        ``[c]`` (constant) or ``[c, a, b]`` (plane: offset = c + a·col + b·row, col/row =
        pixel indices of the product grid, rows down), m/d and m/d per pixel.
    """
    model: str
    coef: np.ndarray

    def evaluate(self, shape: Tuple[int, int]) -> np.ndarray:
        """Offset image of the model.

        Parameters
        ----------
        shape : (int, int)
            Rows and columns of the product grid.

        Returns
        -------
        numpy.ndarray
            float64 (rows, cols), m/d.
        """
        if self.model == "constant":
            return np.full(shape, float(self.coef[0]))
        rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
        return self.coef[0] + self.coef[1] * cols + self.coef[2] * rows

    def at_centre(self, shape: Tuple[int, int]) -> float:
        """Offset at the scene centre.

        Parameters
        ----------
        shape : (int, int)
            Rows and columns of the product grid.

        Returns
        -------
        float
            Offset at pixel ((rows − 1)/2, (cols − 1)/2), m/d.
        """
        if self.model == "constant":
            return float(self.coef[0])
        return float(self.coef[0] + self.coef[1] * (shape[1] - 1) / 2
                     + self.coef[2] * (shape[0] - 1) / 2)


def fit_offset(values: np.ndarray, mask: np.ndarray, model: str = "constant") -> OffsetModel:
    """Fit a co-registration offset to one velocity component on stable pixels.

    * ``constant``: the median (robust, as ITS_LIVE/autoRIFT and TICOI).
    * ``plane``: least squares c + a·col + b·row, then one refit without pixels whose
      residual exceeds 3 NMAD (outliers of the correlation).

    Parameters
    ----------
    values : numpy.ndarray
        float (rows, cols), m/d, NaN = no data.
    mask : numpy.ndarray
        bool (rows, cols): stable pixels to fit on.
    model : {'constant', 'plane'}, optional
        Offset model.

    Returns
    -------
    OffsetModel
        The fitted offset.

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_STABLE_PIXELS` valid pixels, an unknown model, or
        (plane) when :func:`plane_span` is below :data:`PLANE_MIN_SPAN`.
    """
    m = mask & np.isfinite(values)
    n = int(m.sum())
    if n < MIN_STABLE_PIXELS:
        raise ValueError(f"only {n} valid stable-ground pixels to fit the offset; at least "
                         f"{MIN_STABLE_PIXELS} are needed: give larger stable-ground polygons "
                         "or a smaller buffer")
    if model == "constant":
        return OffsetModel("constant", np.array([float(np.median(values[m]))]))
    if model != "plane":
        raise ValueError(f"unknown offset model {model!r}; use 'constant' or 'plane'")
    span = plane_span(m)
    if span < PLANE_MIN_SPAN:
        raise ValueError(
            f"stable ground does not span the scene enough for a plane fit (spread {span:.2f} "
            f"of a scene-filling cover along its narrowest direction, at least {PLANE_MIN_SPAN} "
            "needed): use the constant model or add stable-ground polygons across the scene")
    rows, cols = np.nonzero(m)
    z = values[m].astype(np.float64)
    a = np.column_stack([np.ones(z.size), cols, rows]).astype(np.float64)
    coef = np.linalg.lstsq(a, z, rcond=None)[0]
    res = z - a @ coef
    keep = np.abs(res - np.median(res)) <= 3.0 * max(nmad(res), 1e-12)
    if keep.sum() >= MIN_STABLE_PIXELS:
        coef = np.linalg.lstsq(a[keep], z[keep], rcond=None)[0]
    return OffsetModel("plane", coef)


@dataclass
class CorrectionResult:
    """Offsets fitted on the fit pixels and residual statistics on held-out pixels.

    Attributes
    ----------
    offset_x, offset_y : OffsetModel
        Fitted offsets of vx and vy, m/d.
    heldout_x, heldout_y : ComponentStats
        Statistics of the corrected vx and vy on the held-out stable pixels, m/d.
    n_fit, n_eval : int
        Valid stable pixels used for the fit and for the evaluation.
    block : int
        Checkerboard block size of :func:`holdout_split`, px.
    """
    offset_x: OffsetModel
    offset_y: OffsetModel
    heldout_x: ComponentStats
    heldout_y: ComponentStats
    n_fit: int
    n_eval: int
    block: int


def estimate_correction(vx: np.ndarray, vy: np.ndarray, stable: np.ndarray,
                        model: str = "constant", block: int = HOLDOUT_BLOCK) -> CorrectionResult:
    """Fit offsets of vx and vy on the fit half of ``stable``; evaluate on the other half.

    The split is :func:`holdout_split` with ``block``. The returned statistics are of
    the corrected velocity (value − fitted offset) on the held-out stable pixels, so
    their mean is not zero by construction.

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d (x east, y north), NaN = no data.
    stable : numpy.ndarray
        bool (rows, cols), True = stable ground.
    model : {'constant', 'plane'}, optional
        Offset model (:func:`fit_offset`).
    block : int, optional
        Checkerboard block size, px.

    Returns
    -------
    CorrectionResult
        Offsets and held-out statistics.

    Raises
    ------
    ValueError
        When either part has fewer than :data:`MIN_STABLE_PIXELS` valid pixels (the
        message says how many), or as :func:`fit_offset`.
    """
    valid = stable & np.isfinite(vx) & np.isfinite(vy)
    fit = holdout_split(vx.shape, block)
    m_fit, m_eval = valid & fit, valid & ~fit
    n_fit, n_eval = int(m_fit.sum()), int(m_eval.sum())
    if min(n_fit, n_eval) < MIN_STABLE_PIXELS:
        raise ValueError(
            f"too few stable-ground pixels: {n_fit} for the fit and {n_eval} held out for the "
            f"evaluation ({block}-pixel checkerboard), at least {MIN_STABLE_PIXELS} needed in "
            "each; give larger or more stable-ground polygons, a smaller buffer, or a product "
            "with fewer gaps there")
    ox = fit_offset(vx, m_fit, model)
    oy = fit_offset(vy, m_fit, model)
    rx = vx - ox.evaluate(vx.shape)
    ry = vy - oy.evaluate(vy.shape)
    return CorrectionResult(ox, oy, component_stats(rx[m_eval]), component_stats(ry[m_eval]),
                            n_fit, n_eval, block)


def velocity_error(vx: np.ndarray, vy: np.ndarray, sigma_x, sigma_y) -> np.ndarray:
    """Per-pixel 1σ error of the speed from component errors (ITS_LIVE's propagation).

    v_error = √((σx·vx)² + (σy·vy)²) / |v|; where |v| = 0, √((σx² + σy²)/2).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d.
    sigma_x, sigma_y : float or numpy.ndarray
        Component 1σ errors, m/d, scalars or arrays broadcastable to (rows, cols).

    Returns
    -------
    numpy.ndarray
        float32 (rows, cols), m/d; NaN where vx, vy or an error is NaN.
    """
    vx = np.asarray(vx, dtype=np.float64)
    vy = np.asarray(vy, dtype=np.float64)
    sx = np.broadcast_to(np.abs(np.asarray(sigma_x, dtype=np.float64)), vx.shape)
    sy = np.broadcast_to(np.abs(np.asarray(sigma_y, dtype=np.float64)), vx.shape)
    v = np.hypot(vx, vy)
    with np.errstate(invalid="ignore", divide="ignore"):
        e = np.hypot(sx * vx, sy * vy) / v
    e = np.where(v > 0, e, np.sqrt((sx ** 2 + sy ** 2) / 2.0))
    e[~(np.isfinite(vx) & np.isfinite(vy))] = np.nan
    return e.astype(np.float32)


# --------------------------------------------------------------------------- GLAFT metrics
def epanechnikov_density(samples: np.ndarray, points: np.ndarray, bandwidth: float,
                         is_canceled: Optional[Callable[[], bool]] = None) -> np.ndarray:
    """Unnormalised 2-D Epanechnikov kernel density Σ max(0, 1 − |p − s|²/h²).

    The constant normalisation is left out: only ratios to the maximum are used.

    Parameters
    ----------
    samples : numpy.ndarray
        float (n, 2) sample points.
    points : numpy.ndarray
        float (m, 2) evaluation points (faster when many share a y, as mesh rows do).
    bandwidth : float
        Kernel radius h, units of the samples.
    is_canceled : callable, optional
        ``is_canceled() -> bool``, checked once per distinct y.

    Returns
    -------
    numpy.ndarray
        float64 (m,): Σ max(0, 1 − d²/h²) over the samples.

    Raises
    ------
    Canceled
        When ``is_canceled()`` returns True.
    """
    s = np.asarray(samples, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64)
    h = float(bandwidth)
    h2 = h * h
    # Samples sorted by y: for mesh nodes sharing one y (a mesh row) only the slice
    # of samples with |y_s - y| < h can contribute.
    s = s[np.argsort(s[:, 1], kind="stable")]
    sy = s[:, 1]
    out = np.zeros(len(pts))
    for y in np.unique(pts[:, 1]):
        check_canceled(is_canceled)
        idx = np.nonzero(pts[:, 1] == y)[0]
        lo, hi = np.searchsorted(sy, [y - h, y + h])
        if hi <= lo:
            continue
        band = s[lo:hi]
        for k in range(0, idx.size, 64):
            sub = idx[k:k + 64]
            d2 = (pts[sub, 0][:, None] - band[None, :, 0]) ** 2
            d2 += ((band[:, 1] - y) ** 2)[None, :]
            np.subtract(h2, d2, out=d2)
            np.maximum(d2, 0.0, out=d2)
            out[sub] = d2.sum(axis=1) / h2
    return out


@dataclass
class KdeMetric:
    """Result of :func:`kde_half_ranges` (units of the input samples).

    Attributes
    ----------
    half_x, half_y : float
        Half-ranges of the fine-mesh nodes inside the contour (GLAFT's δ).
    peak_x, peak_y : float
        Densest mesh node.
    bandwidth : float
        Epanechnikov bandwidth h.
    n : int
        Number of samples.
    threshold : float
        Contour level (density).
    outlier_fraction : float
        Share of samples outside ``box``.
    mesh_x, mesh_y, density : numpy.ndarray
        The fine mesh (gridsize, gridsize) and its density, for plotting.
    box : tuple of float
        (x min, x max, y min, y max) of the mesh nodes inside the contour.
    """
    half_x: float
    half_y: float
    peak_x: float
    peak_y: float
    bandwidth: float
    n: int
    threshold: float
    outlier_fraction: float
    mesh_x: np.ndarray = field(repr=False)
    mesh_y: np.ndarray = field(repr=False)
    density: np.ndarray = field(repr=False)
    box: Tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


def _mesh(cx, cy, half, gridsize):
    gx, gy = np.meshgrid(np.linspace(cx - half, cx + half, gridsize),
                         np.linspace(cy - half, cy + half, gridsize))
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()])


def kde_half_ranges(x: np.ndarray, y: np.ndarray, thres_sigma: float = GLAFT_THRES_SIGMA,
                    gridsize: int = GLAFT_GRIDSIZE,
                    is_canceled: Optional[Callable[[], bool]] = None) -> KdeMetric:
    """GLAFT's kernel-density half-range statistic of a 2-D sample.

    Steps, as published for GLAFT:

    1. s = (var x · var y)^¼ (sample variances, ddof = 1); Epanechnikov bandwidth
       h = 2.1991 · s · n^(−1/6).
    2. Coarse mesh: ``gridsize``² nodes centred on the medians, half-width
       (thres_sigma + 1)·s. Contour: nodes with density ≥ max · exp(−thres_sigma²/2)
       (the ±thres_sigma level of a normal distribution).
    3. Fine mesh: same centre, half-width = mean of the contour's x and y extents on
       the coarse mesh; evaluate and threshold again.
    4. δx, δy = half of the x and y extent of the fine-mesh nodes in the contour.

    With thres_sigma = 2 the half-ranges are ≈2σ of a normal sample, not 1σ.

    Parameters
    ----------
    x, y : numpy.ndarray
        float 1-D samples (e.g. vx, vy in m/d); pairs with a NaN are dropped.
    thres_sigma : float, optional
        Contour level in standard deviations.
    gridsize : int, optional
        Mesh nodes per side.
    is_canceled : callable, optional
        ``is_canceled() -> bool``.

    Returns
    -------
    KdeMetric
        Half-ranges, peak, mesh and contour.

    Raises
    ------
    ValueError
        With fewer than :data:`MIN_STABLE_PIXELS` pairs or zero spread.
    Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Zheng, W., Bhushan, S., Van Wyk De Vries, M., Kochtitzky, W., Shean, D., Copland, L.,
    Dow, C., Jones-Ivey, R. & Pérez, F. (2023). GLAcier Feature Tracking testkit (GLAFT):
    a statistically and physically based framework for evaluating glacier velocity
    products derived from optical satellite image feature tracking. The Cryosphere 17,
    4063-4078. doi:10.5194/tc-17-4063-2023
    """
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    n = x.size
    if n < MIN_STABLE_PIXELS:
        raise ValueError(f"only {n} valid pixels for the kernel-density metric; at least "
                         f"{MIN_STABLE_PIXELS} are needed")
    s = (np.var(x, ddof=1) * np.var(y, ddof=1)) ** 0.25
    if not s > 0:
        raise ValueError("the values have no spread; the kernel-density metric is undefined")
    h = GLAFT_BANDWIDTH_FACTOR * s * n ** (-1.0 / 6.0)
    samples = np.column_stack([x, y])
    cx, cy = float(np.median(x)), float(np.median(y))
    level = math.exp(-thres_sigma ** 2 / 2.0)

    _, _, pts = _mesh(cx, cy, (thres_sigma + 1.0) * s, gridsize)
    z = epanechnikov_density(samples, pts, h, is_canceled)
    inside = z >= z.max() * level
    half = (np.ptp(pts[inside, 0]) + np.ptp(pts[inside, 1])) / 2.0

    gx, gy, pts = _mesh(cx, cy, half, gridsize)
    z = epanechnikov_density(samples, pts, h, is_canceled)
    thr = z.max() * level
    inside = z >= thr
    xin, yin = pts[inside, 0], pts[inside, 1]
    out_box = ((x < xin.min()) | (x > xin.max()) | (y < yin.min()) | (y > yin.max()))
    k = int(np.argmax(z))
    return KdeMetric(half_x=float(np.ptp(xin) / 2.0), half_y=float(np.ptp(yin) / 2.0),
                     peak_x=float(pts[k, 0]), peak_y=float(pts[k, 1]), bandwidth=float(h),
                     n=int(n), threshold=float(thr), outlier_fraction=float(out_box.mean()),
                     mesh_x=gx, mesh_y=gy, density=z.reshape(gx.shape),
                     box=(float(xin.min()), float(xin.max()), float(yin.min()),
                          float(yin.max())))


def glaft_metric1(vx: np.ndarray, vy: np.ndarray, stable: np.ndarray,
                  thres_sigma: float = GLAFT_THRES_SIGMA, gridsize: int = GLAFT_GRIDSIZE,
                  is_canceled=None) -> KdeMetric:
    """GLAFT metric 1: δu (x), δv (y) in m/d from stable-ground (vx, vy).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d, NaN = no data (dropped).
    stable : numpy.ndarray
        bool (rows, cols): pixel centres inside the stable polygons (as GLAFT's clipping).
    thres_sigma : float, optional
        Contour level in standard deviations (:func:`kde_half_ranges`).
    gridsize : int, optional
        Mesh nodes per side.
    is_canceled : callable, optional
        ``is_canceled() -> bool``.

    Returns
    -------
    KdeMetric
        ``half_x`` = δu, ``half_y`` = δv (m/d, ≈2σ).

    Raises
    ------
    ValueError
        As :func:`kde_half_ranges`.

    References
    ----------
    Zheng, W., Bhushan, S., Van Wyk De Vries, M., Kochtitzky, W., Shean, D., Copland, L.,
    Dow, C., Jones-Ivey, R. & Pérez, F. (2023). GLAcier Feature Tracking testkit (GLAFT):
    a statistically and physically based framework for evaluating glacier velocity
    products derived from optical satellite image feature tracking. The Cryosphere 17,
    4063-4078. doi:10.5194/tc-17-4063-2023
    """
    m = stable & np.isfinite(vx) & np.isfinite(vy)
    return kde_half_ranges(vx[m], vy[m], thres_sigma, gridsize, is_canceled)


def flow_direction(vx: np.ndarray, vy: np.ndarray, pixel_size: float,
                   kernel: Optional[int] = None, where: Optional[np.ndarray] = None,
                   is_canceled: Optional[Callable[[], bool]] = None) -> np.ndarray:
    """Smoothed flow direction θ (radians counter-clockwise from east).

    θ = atan2(vy, vx) median-filtered over ``kernel`` × ``kernel`` pixels (zero beyond the
    raster edge), with GLAFT's default kernel: 1500 m / pixel size rounded to an odd
    number (⌊n/2⌋·2 + 1), at most 35. Smoothing keeps slow, noisy pixels from turning the
    strain tensor onto a wrong direction. No-data pixels enter the filter as θ = 0 (east).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d (x east, y north), NaN = no data.
    pixel_size : float
        Pixel size, m (sets the default kernel).
    kernel : int, optional
        Median filter size, px (made odd).
    where : numpy.ndarray, optional
        bool (rows, cols): compute only there (much faster than the whole raster).
    is_canceled : callable, optional
        ``is_canceled() -> bool``.

    Returns
    -------
    numpy.ndarray
        float64 (rows, cols), radians; NaN outside ``where`` and where vx or vy is NaN.

    Raises
    ------
    Canceled
        When ``is_canceled()`` returns True.

    References
    ----------
    Zheng, W., Bhushan, S., Van Wyk De Vries, M., Kochtitzky, W., Shean, D., Copland, L.,
    Dow, C., Jones-Ivey, R. & Pérez, F. (2023). GLAcier Feature Tracking testkit (GLAFT):
    a statistically and physically based framework for evaluating glacier velocity
    products derived from optical satellite image feature tracking. The Cryosphere 17,
    4063-4078. doi:10.5194/tc-17-4063-2023
    """
    if kernel is None:
        kernel = int((1500.0 / pixel_size) // 2 * 2 + 1)
        kernel = min(kernel, 35)
    kernel = max(1, int(kernel) // 2 * 2 + 1)
    valid = np.isfinite(vx) & np.isfinite(vy)
    theta = np.where(valid, np.arctan2(np.where(valid, vy, 0.0), np.where(valid, vx, 1.0)), 0.0)
    want = valid if where is None else (valid & where)
    r = kernel // 2
    padded = np.pad(theta.astype(np.float64), r, mode="constant", constant_values=0.0)
    windows = np.lib.stride_tricks.sliding_window_view(padded, (kernel, kernel))
    rows, cols = np.nonzero(want)
    out = np.full(theta.shape, np.nan)
    step = max(1, int(2e6 // (kernel * kernel)))
    for i in range(0, rows.size, step):
        check_canceled(is_canceled)
        rr, cc = rows[i:i + step], cols[i:i + step]
        block = windows[rr, cc].reshape(rr.size, -1)
        out[rr, cc] = np.median(block, axis=1)
    return out


def flow_strain_rates(vx: np.ndarray, vy: np.ndarray, pixel_size: Tuple[float, float],
                      theta: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strain rates (1/d) rotated into the flow direction: (ε_x'x', ε_y'y', ε_x'y').

    Velocity gradients come from Sobel derivative filters (a central difference smoothed
    across by [1, 2, 1]) divided by 8 · pixel size, so the strain rates are physical
    (1/d). GLAFT keeps scipy's factor 8 (its values are 8× these). Pixels whose 3 × 3
    neighbourhood touches NaN or the raster edge are NaN. The tensor is rotated with the
    usual formulas ε_x'x' = ε_xx cos²θ + ε_yy sin²θ + ε_xy sin 2θ,
    ε_x'y' = (ε_yy − ε_xx) sin θ cos θ + ε_xy cos 2θ.

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d, on a north-up grid (rows down = south, vy
        north-positive); NaN outside the ice.
    pixel_size : (float, float)
        x and y pixel size, m (the sign of y is ignored).
    theta : float or numpy.ndarray
        Flow direction, radians counter-clockwise from east, scalar or (rows, cols).

    Returns
    -------
    exx, eyy, exy : numpy.ndarray
        float64 (rows, cols) rotated strain rates, 1/d.

    References
    ----------
    Zheng, W., Bhushan, S., Van Wyk De Vries, M., Kochtitzky, W., Shean, D., Copland, L.,
    Dow, C., Jones-Ivey, R. & Pérez, F. (2023). GLAcier Feature Tracking testkit (GLAFT):
    a statistically and physically based framework for evaluating glacier velocity
    products derived from optical satellite image feature tracking. The Cryosphere 17,
    4063-4078. doi:10.5194/tc-17-4063-2023
    """
    dxs, dys = float(pixel_size[0]), abs(float(pixel_size[1]))
    # Flip rows so that axis 0 grows northwards (y north-positive).
    u = np.flipud(np.asarray(vx, dtype=np.float64))
    w = np.flipud(np.asarray(vy, dtype=np.float64))

    def grad(a, axis, step):
        return np.flipud(ndimage.sobel(a, axis=axis, mode="constant", cval=np.nan)) / (
            SOBEL_SCALE * step)

    dudx, dudy = grad(u, 1, dxs), grad(u, 0, dys)
    dwdx, dwdy = grad(w, 1, dxs), grad(w, 0, dys)
    exx, eyy, exy = dudx, dwdy, 0.5 * (dudy + dwdx)
    c, s = np.cos(theta), np.sin(theta)
    exx_r = exx * c * c + eyy * s * s + exy * 2 * s * c
    eyy_r = exx * s * s + eyy * c * c - exy * 2 * s * c
    exy_r = (eyy - exx) * s * c + exy * (c * c - s * s)
    return exx_r, eyy_r, exy_r


def glaft_metric2(vx: np.ndarray, vy: np.ndarray, ice: np.ndarray,
                  pixel_size: Tuple[float, float], thres_sigma: float = GLAFT_THRES_SIGMA,
                  gridsize: int = GLAFT_GRIDSIZE, kernel: Optional[int] = None,
                  is_canceled=None) -> KdeMetric:
    """GLAFT metric 2 on inward-buffered ice: KDE half-ranges of (ε_x'x', ε_x'y').

    The flow direction is smoothed from the whole field (:func:`flow_direction`); strain
    rates are computed from velocity inside ``ice`` only (:func:`flow_strain_rates`).

    Parameters
    ----------
    vx, vy : numpy.ndarray
        float (rows, cols) velocity, m/d, NaN = no data.
    ice : numpy.ndarray
        bool (rows, cols): pixel centres inside a glacier outline buffered inward (GLAFT
        uses 600 m) so that the margins' real shear is excluded.
    pixel_size : (float, float)
        x and y pixel size, m.
    thres_sigma : float, optional
        Contour level in standard deviations.
    gridsize : int, optional
        Mesh nodes per side.
    kernel : int, optional
        Flow-direction median filter size, px (default from 1500 m).
    is_canceled : callable, optional
        ``is_canceled() -> bool``.

    Returns
    -------
    KdeMetric
        ``half_x`` = δx'x' (along-flow normal), ``half_y`` = δx'y' (along-flow shear),
        1/d, physical: multiply by 8 to compare with GLAFT's printed values.

    Raises
    ------
    ValueError
        As :func:`kde_half_ranges`.

    References
    ----------
    Zheng, W., Bhushan, S., Van Wyk De Vries, M., Kochtitzky, W., Shean, D., Copland, L.,
    Dow, C., Jones-Ivey, R. & Pérez, F. (2023). GLAcier Feature Tracking testkit (GLAFT):
    a statistically and physically based framework for evaluating glacier velocity
    products derived from optical satellite image feature tracking. The Cryosphere 17,
    4063-4078. doi:10.5194/tc-17-4063-2023
    """
    theta = flow_direction(vx, vy, float(pixel_size[0]), kernel, where=ice,
                           is_canceled=is_canceled)
    u = np.where(ice, vx, np.nan)
    w = np.where(ice, vy, np.nan)
    exx_r, _, exy_r = flow_strain_rates(u, w, pixel_size, theta)
    return kde_half_ranges(exx_r, exy_r, thres_sigma, gridsize, is_canceled)


def outside_outlines(glacier: np.ndarray, buffer_m: float,
                     pixel_size: Tuple[float, float]) -> np.ndarray:
    """Stable ground from glacier outlines: pixels farther than ``buffer_m`` from any ice.

    Distances are Euclidean between pixel centres
    (``scipy.ndimage.distance_transform_edt``); the buffer keeps out the margin, where
    outlines are uncertain and ice-marginal debris moves.

    Parameters
    ----------
    glacier : numpy.ndarray
        bool (rows, cols), True inside the outlines.
    buffer_m : float
        Buffer around the outlines, m, ≥ 0.
    pixel_size : (float, float)
        x and y pixel size, m.

    Returns
    -------
    numpy.ndarray
        bool (rows, cols), True = stable ground (everything when there is no ice).

    Raises
    ------
    ValueError
        For a negative buffer.
    """
    if buffer_m < 0:
        raise ValueError("BUFFER must be zero or positive (metres around the outlines)")
    glacier = np.asarray(glacier, dtype=bool)
    if not glacier.any():
        return np.ones(glacier.shape, dtype=bool)
    dist = ndimage.distance_transform_edt(~glacier, sampling=(abs(pixel_size[1]),
                                                              abs(pixel_size[0])))
    return dist > buffer_m
