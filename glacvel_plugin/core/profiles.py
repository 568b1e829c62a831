"""Velocity along flowlines and per glacier: pure numpy/scipy.

Three jobs, each on plain arrays so the Processing algorithms stay thin:

* :func:`points_along` puts sample points at a fixed spacing along a (multi-part)
  polyline and returns their cumulative distance from the line start, as done when
  speed is extracted along glacier centre flowlines (e.g. the RGI 7.0 centerline
  product, or the ITS_LIVE flowline datasets).
* :func:`sample_grid` reads raster bands at map coordinates, bilinearly between
  pixel centres or from the nearest pixel, given the grid's affine transform as
  six numbers. No data stays NaN: a sample touching a NaN pixel with a non-zero
  weight is NaN, never a zero or a partial average.
* :func:`find_gaps` reports the runs of missing samples along a profile, and
  :func:`zonal_statistics` gives per-glacier mean, median, 95th percentile ("max"),
  valid-pixel count and coverage fraction from a label image.

Coordinates are map coordinates of a projected CRS in metres (every glacvel
product is projected); the affine transform follows the GDAL/rasterio convention
``x = a*col + b*row + c``, ``y = d*col + e*row + f`` with ``(col, row)`` pixel-corner
coordinates, so pixel centres sit at ``col + 0.5``, ``row + 0.5``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

SAMPLING_METHODS = ("bilinear", "nearest")
"""Sampling methods of :func:`sample_grid`."""


@dataclass
class ProfilePoints:
    """Sample points along one (multi-part) line.

    Attributes
    ----------
    x, y : numpy.ndarray
        float64 (n,): map coordinates (line CRS, m).
    distance : numpy.ndarray
        float64 (n,): distance in m from the start of the first part, measured along the
        line; for a multi-part line the parts follow each other in their stored order
        and the jump between the end of one part and the start of the next is not
        counted.
    part : numpy.ndarray
        int32 (n,): 0-based index of the part each point lies on.
    """
    x: np.ndarray
    y: np.ndarray
    distance: np.ndarray
    part: np.ndarray

    def __len__(self):
        return len(self.x)


@dataclass
class Gap:
    """A run of consecutive missing samples along a profile.

    Attributes
    ----------
    first, last : int
        Sample indices of the run (inclusive).
    start, end : float
        Their distances along the profile, m.
    """
    first: int
    last: int
    start: float
    end: float

    @property
    def length(self) -> float:
        """float: ``end - start`` in m (0 for a single missing sample)."""
        return self.end - self.start

    @property
    def samples(self) -> int:
        """int: number of missing samples in the run."""
        return self.last - self.first + 1


@dataclass
class ZoneStats:
    """Statistics of the valid pixels of one zone (glacier).

    Attributes
    ----------
    label : int
        Zone label (1..n_labels).
    mean, median, p95 : float
        Of the valid pixels (``p95``: the requested high percentile); NaN when no
        valid pixel lies in the zone.
    count : int
        Valid (finite) pixels.
    total : int
        Pixels whose centre lies in the zone.
    coverage : float
        ``count / total`` (NaN when ``total`` is 0).
    """
    label: int
    mean: float
    median: float
    p95: float
    count: int
    total: int
    coverage: float


def _parts(coords) -> List[np.ndarray]:
    """A LineString coordinate list or a list of them → list of (m, 2) float arrays."""
    arr = coords
    if len(arr) == 0:
        return []
    first = arr[0]
    nested = len(first) > 0 and hasattr(first[0], "__len__")
    parts = list(arr) if nested else [arr]
    out = []
    for p in parts:
        a = np.asarray(p, dtype=np.float64)
        if a.ndim != 2 or a.shape[1] < 2:
            raise ValueError("a line part must be a list of (x, y) coordinates")
        out.append(a[:, :2])
    return out


def points_along(coords, spacing: float, include_end: bool = True) -> ProfilePoints:
    """Points every ``spacing`` metres along a polyline.

    Parameters
    ----------
    coords : sequence
        A LineString's (x, y) coordinates, or a sequence of such sequences (a
        MultiLineString), in a projected CRS (m); extra ordinates (z) are ignored.
    spacing : float
        Distance between samples along the line, m, > 0. Points sit at 0, spacing,
        2·spacing, ... along each part, measured from the part's start.
    include_end : bool, optional
        Also put a point at the very end of each part (so a profile reaches the
        terminus when the length is not a multiple of ``spacing``).

    Returns
    -------
    ProfilePoints
        See there for the distance convention of multi-part lines. A part of zero length
        (a single repeated vertex) gives one point.

    Raises
    ------
    ValueError
        For a non-positive spacing, an empty line, a part that is not a list of (x, y),
        or more than ten million points on a part (spacing far too small for the line).
    """
    if not (spacing > 0) or not np.isfinite(spacing):
        raise ValueError(f"spacing must be a positive number of metres (got {spacing})")
    parts = _parts(coords)
    if not parts or all(len(p) == 0 for p in parts):
        raise ValueError("the line has no vertices")
    xs, ys, ds, ps = [], [], [], []
    offset = 0.0
    for k, p in enumerate(parts):
        if len(p) == 0:
            continue
        seg = np.hypot(np.diff(p[:, 0]), np.diff(p[:, 1]))
        cum = np.concatenate([[0.0], np.cumsum(seg)])
        length = float(cum[-1])
        n = int(np.floor(length / spacing + 1e-9)) + 1
        if n > 10_000_000:
            raise ValueError(f"spacing {spacing} m gives more than 10 million points on a "
                             f"{length:.0f} m line; choose a larger spacing")
        d = np.arange(n, dtype=np.float64) * spacing
        if include_end and length - d[-1] > 1e-6 * max(spacing, 1.0):
            d = np.append(d, length)
        if length > 0:
            # drop repeated vertices so interpolation along distance is well defined
            keep = np.concatenate([[True], seg > 0])
            x = np.interp(d, cum[keep], p[keep, 0])
            y = np.interp(d, cum[keep], p[keep, 1])
        else:
            x = np.full(d.shape, p[0, 0])
            y = np.full(d.shape, p[0, 1])
        xs.append(x)
        ys.append(y)
        ds.append(d + offset)
        ps.append(np.full(d.shape, k, dtype=np.int32))
        offset += length
    return ProfilePoints(np.concatenate(xs), np.concatenate(ys), np.concatenate(ds),
                         np.concatenate(ps))


def _inverse(transform6: Sequence[float]) -> Tuple[float, ...]:
    a, b, c, d, e, f = (float(t) for t in transform6[:6])
    det = a * e - b * d
    if det == 0:
        raise ValueError("the raster's affine transform is singular (zero pixel size)")
    return (e / det, -b / det, (b * f - c * e) / det,
            -d / det, a / det, (c * d - a * f) / det)


def map_to_pixel(transform6: Sequence[float], x, y) -> Tuple[np.ndarray, np.ndarray]:
    """Fractional (col, row) pixel-corner coordinates of map points.

    Parameters
    ----------
    transform6 : sequence of float
        (a, b, c, d, e, f) as in rasterio's ``Affine`` (pixel corners). Pixel
        ``(i, j)`` (row i, column j) covers cols ``j..j+1`` and rows ``i..i+1``; its
        centre is at ``(j + 0.5, i + 0.5)``.
    x, y : array_like
        Map coordinates in the grid's CRS.

    Returns
    -------
    col, row : numpy.ndarray
        float64, shape of ``x``.

    Raises
    ------
    ValueError
        When the transform is singular (zero pixel size).
    """
    ia, ib, ic, id_, ie, if_ = _inverse(transform6)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return ia * x + ib * y + ic, id_ * x + ie * y + if_


def sample_grid(bands: Mapping[str, np.ndarray], transform6: Sequence[float], x, y,
                method: str = "bilinear") -> Dict[str, np.ndarray]:
    """Values of raster bands at map points.

    Parameters
    ----------
    bands : mapping of str to numpy.ndarray
        Name → float array (rows, cols), NaN = no data; all of one shape.
    transform6 : sequence of float
        The grid's affine transform (a, b, c, d, e, f), pixel corners (rasterio order).
    x, y : array_like
        float (n,): map coordinates in the grid's CRS.
    method : {'bilinear', 'nearest'}, optional
        ``'bilinear'``: interpolation between the four surrounding pixel centres;
        between the outermost pixel centres and the raster edge the value is
        interpolated along the other axis only (edge pixels extend to the edge). A
        result is NaN when any pixel with a non-zero weight is NaN, so no data is never
        zero-filled or partially averaged. ``'nearest'``: the pixel containing the point.

    Returns
    -------
    dict
        Name → float64 (n,); NaN outside the raster or in no data.

    Raises
    ------
    ValueError
        For an unknown method, bands of different shapes or a singular transform.
    """
    if method not in ("bilinear", "nearest"):
        raise ValueError(f"sampling method must be 'bilinear' or 'nearest', not {method!r}")
    shapes = {np.shape(a) for a in bands.values()}
    if len(shapes) > 1:
        raise ValueError(f"bands differ in shape: {sorted(shapes)}")
    x = np.atleast_1d(np.asarray(x, dtype=np.float64))
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    if not bands:
        return {}
    rows, cols = shapes.pop()
    col, row = map_to_pixel(transform6, x, y)
    inside = (col >= 0) & (col <= cols) & (row >= 0) & (row <= rows) & np.isfinite(col + row)
    out = {}
    if method == "nearest":
        j = np.clip(np.floor(np.where(inside, col, 0)).astype(np.int64), 0, cols - 1)
        i = np.clip(np.floor(np.where(inside, row, 0)).astype(np.int64), 0, rows - 1)
        for name, a in bands.items():
            v = np.asarray(a, dtype=np.float64)[i, j]
            out[name] = np.where(inside, v, np.nan)
        return out
    # bilinear between pixel centres
    cc = np.clip(np.where(inside, col, 0.5) - 0.5, 0.0, cols - 1.0)
    rr = np.clip(np.where(inside, row, 0.5) - 0.5, 0.0, rows - 1.0)
    j0 = np.minimum(np.floor(cc).astype(np.int64), max(cols - 2, 0))
    i0 = np.minimum(np.floor(rr).astype(np.int64), max(rows - 2, 0))
    j1 = np.minimum(j0 + 1, cols - 1)
    i1 = np.minimum(i0 + 1, rows - 1)
    fx = cc - j0
    fy = rr - i0
    w = ((1 - fy) * (1 - fx), (1 - fy) * fx, fy * (1 - fx), fy * fx)
    idx = ((i0, j0), (i0, j1), (i1, j0), (i1, j1))
    for name, a in bands.items():
        a = np.asarray(a, dtype=np.float64)
        total = np.zeros(x.shape)
        bad = ~inside
        for wk, (ii, jj) in zip(w, idx):
            v = a[ii, jj]
            used = wk > 0
            bad |= used & ~np.isfinite(v)
            total += np.where(used, wk * np.where(np.isfinite(v), v, 0.0), 0.0)
        out[name] = np.where(bad, np.nan, total)
    return out


def find_gaps(values, distance) -> List[Gap]:
    """Runs of NaN (missing) samples along a profile.

    Parameters
    ----------
    values : array_like
        float (n,), NaN = no data.
    distance : array_like
        float (n,): distance of each sample along the profile, m.

    Returns
    -------
    list of Gap
        The runs in order; empty when every sample is valid.

    Raises
    ------
    ValueError
        When ``values`` and ``distance`` differ in length.
    """
    v = np.asarray(values, dtype=np.float64)
    d = np.asarray(distance, dtype=np.float64)
    if v.shape != d.shape:
        raise ValueError(f"values {v.shape} and distances {d.shape} differ in length")
    missing = ~np.isfinite(v)
    if not missing.any():
        return []
    edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1) - 1
    return [Gap(int(s), int(e), float(d[s]), float(d[e])) for s, e in zip(starts, ends)]


def profile_summary(values, distance) -> Dict[str, float]:
    """Mean, maximum, distance of the maximum and valid fraction of one profile.

    Parameters
    ----------
    values : array_like
        float (n,) profile values (e.g. speed, m/d), NaN skipped.
    distance : array_like
        float (n,): distance along the profile, m.

    Returns
    -------
    dict
        ``mean``, ``max``, ``max_at`` (distance of the maximum, m) and ``valid`` (fraction
        of finite samples); all-NaN gives NaN statistics and ``valid`` 0.
    """
    v = np.asarray(values, dtype=np.float64)
    d = np.asarray(distance, dtype=np.float64)
    ok = np.isfinite(v)
    if not ok.any():
        return dict(mean=np.nan, max=np.nan, max_at=np.nan, valid=0.0)
    k = int(np.nanargmax(np.where(ok, v, -np.inf)))
    return dict(mean=float(v[ok].mean()), max=float(v[k]), max_at=float(d[k]),
                valid=float(ok.mean()))


def zonal_statistics(values: np.ndarray, labels: np.ndarray, n_labels: int,
                     percentile: float = 95.0) -> List[ZoneStats]:
    """Per-zone statistics of a raster (e.g. speed per glacier outline).

    Parameters
    ----------
    values : numpy.ndarray
        float (rows, cols), NaN = no data (e.g. speed ``v`` in m/d).
    labels : numpy.ndarray
        int (rows, cols): 1..n_labels = zone of the pixel (pixel centre inside the
        outline), 0 = no zone.
    n_labels : int
        Number of zones; zones without any pixel are returned too.
    percentile : float, optional
        High percentile reported as the robust maximum (95, as the per-glacier "max"
        of published flowline/glacier velocity datasets; the true maximum is dominated
        by correlation blunders).

    Returns
    -------
    list of ZoneStats
        One per label 1..n_labels, in label order. Medians and percentiles use numpy's
        linear interpolation.

    Raises
    ------
    ValueError
        When the arrays differ in shape or labels lie outside 0..n_labels.
    """
    values = np.asarray(values)
    labels = np.asarray(labels)
    if values.shape != labels.shape:
        raise ValueError(f"values {values.shape} and labels {labels.shape} differ in shape")
    lab = labels.ravel().astype(np.int64)
    if lab.size and (lab.min() < 0 or lab.max() > n_labels):
        raise ValueError(f"labels must lie in 0..{n_labels}")
    total = np.bincount(lab, minlength=n_labels + 1)
    val = values.ravel()
    ok = (lab > 0) & np.isfinite(val)
    lv = lab[ok]
    vv = val[ok].astype(np.float64)
    order = np.argsort(lv, kind="stable")
    lv, vv = lv[order], vv[order]
    bounds = np.searchsorted(lv, np.arange(1, n_labels + 2))
    out = []
    for k in range(1, n_labels + 1):
        z = vv[bounds[k - 1]:bounds[k]]
        n_tot = int(total[k])
        if z.size:
            st = ZoneStats(k, float(z.mean()), float(np.median(z)),
                           float(np.percentile(z, percentile)), int(z.size), n_tot,
                           z.size / n_tot)
        else:
            st = ZoneStats(k, np.nan, np.nan, np.nan, 0, n_tot,
                           0.0 if n_tot else np.nan)
        out.append(st)
    return out
