"""Files of the glacier analyses: products labelled and sampled along flowlines, zonal
speed statistics inside outlines, the profile table and report.

What ``glacvel:flowline_profile`` and ``glacvel:glacier_statistics``
(:mod:`glacvel_plugin.processing_provider.alg_analysis`) do once QGIS has given the
lines and outlines as GeoJSON in a product's CRS. The numbers come from
:mod:`glacvel_plugin.core.profiles`; products are opened and read through
:mod:`glacvel_plugin.io.info`.
"""
from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

from ..core import profiles
from .files import atomic_write_text
from .info import (ProductInfo, geometry_bounds, geometry_inside, open_product_info,
                   pixel_window, read_bands, transform_points, unclipped_box, window_for,
                   window_transform)
from .report import HtmlReport, new_figure

PROFILE_BANDS = ("v", "vx", "vy", "v_error")
"""Bands sampled along flowlines (``v_error`` when the product has it)."""

STAT_SUFFIXES = ("mean", "median", "p95", "count", "cover")
"""Field suffixes of the per-product glacier statistics."""

_MONTH_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d{2})(0[1-9]|1[0-2])(?!\d)")


# ---------------------------------------------------------------------------------------
# products


def product_label(path: str, start=None, end=None) -> str:
    """Label of a product: ``YYYYMM`` from its file name (``201803.tif``,
    ``kaskawulsh_201803_fused.tif``), else the month of the middle of its
    ``START_TIME``–``END_TIME`` interval, else the file name without extension.

    Parameters
    ----------
    path : str
        The product's path; a ``YYYYMM`` (years 1900–2099, months 01–12) not adjoining
        other digits in its base name wins (the first one found).
    start, end : datetime.datetime, optional
        The product's ``START_TIME``/``END_TIME`` (naive UTC); used only when both are
        given.

    Returns
    -------
    str
        ``YYYYMM``, or the base name without extension.
    """
    stem = os.path.splitext(os.path.basename(path))[0]
    m = _MONTH_IN_NAME.search(stem)
    if m:
        return m.group(1) + m.group(2)
    if start is not None and end is not None:
        mid = start + (end - start) / 2
        return mid.strftime("%Y%m")
    return stem


def assign_labels(infos: List[ProductInfo]):
    """Give every product a unique label (month, else dates, else file name).

    Each product gets :func:`product_label`; products sharing a label get
    ``YYYYMMDD-YYYYMMDD`` from their start and end instead (file name without extension
    when undated), and labels still repeated get ``_2``, ``_3``, ... in input order.

    Parameters
    ----------
    infos : list of ProductInfo
        The opened products; their ``label`` attribute is set in place.
    """
    labels = [product_label(p.path, p.start, p.end) for p in infos]
    for i, p in enumerate(infos):
        if labels.count(labels[i]) > 1:
            if p.start is not None and p.end is not None:
                labels[i] = f"{p.start:%Y%m%d}-{p.end:%Y%m%d}"
            else:
                labels[i] = os.path.splitext(p.name)[0]
    seen = {}
    for i, p in enumerate(infos):
        base = labels[i]
        n = seen.get(base, 0) + 1
        seen[base] = n
        p.label = base if n == 1 else f"{base}_{n}"


def open_products(paths: Sequence[str]) -> List[ProductInfo]:
    """The products ``paths`` opened (:func:`glacvel_plugin.io.info.open_product_info`)
    and labelled (:func:`assign_labels`).

    Parameters
    ----------
    paths : sequence of str
        Velocity product GeoTIFFs (``v`` or ``vx``/``vy`` bands, projected CRS).

    Returns
    -------
    list of ProductInfo
        In the order of ``paths``, each with a unique ``label``.

    Raises
    ------
    ValueError
        From :func:`~glacvel_plugin.io.info.open_product_info`, naming the file: it
        cannot be opened, has no velocity band, is not in a projected CRS, or has no or
        an unknown ``UNITS`` tag.
    """
    infos = [open_product_info(p) for p in paths]
    assign_labels(infos)
    return infos


def check_not_input(path: str, infos, parameter: str):
    """Raise ``ValueError`` naming ``parameter`` when ``path`` is one of the products.

    Parameters
    ----------
    path : str
        An output file the user chose; empty or None passes.
    infos : sequence of ProductInfo
        The input products (compared by absolute path).
    parameter : str
        The output parameter named in the message (e.g. ``OUTPUT_CSV``).

    Raises
    ------
    ValueError
        When ``path`` is the path of one of ``infos`` (writing it would overwrite an
        input).
    """
    if path and any(os.path.abspath(path) == os.path.abspath(p.path) for p in infos):
        raise ValueError(f"{parameter} {path} is one of the inputs; choose another file name")


def attribute_value(x):
    """A float for an attribute, or None (NULL) for NaN.

    Parameters
    ----------
    x : float or None
        A number (numpy scalars included).

    Returns
    -------
    float or None
        ``float(x)``; None when ``x`` is None or not finite (NaN, ±inf).
    """
    return None if x is None or not np.isfinite(x) else float(x)


# ---------------------------------------------------------------------------------------
# flowline profiles


def line_parts(geom) -> list:
    """Coordinate lists of the parts of a GeoJSON (Multi)LineString.

    Parameters
    ----------
    geom : dict or None
        A GeoJSON geometry mapping (``type``, ``coordinates`` or ``geometries``).

    Returns
    -------
    list
        One coordinate list per part: the LineString's, the non-empty parts of a
        MultiLineString, or those of every line in a GeometryCollection (recursively).
        Empty for None or any other geometry type (points, polygons).
    """
    if geom is None:
        return []
    if geom["type"] == "LineString":
        return [geom["coordinates"]]
    if geom["type"] == "MultiLineString":
        return [p for p in geom["coordinates"] if len(p)]
    if geom["type"] == "GeometryCollection":
        return [p for g in geom["geometries"] for p in line_parts(g)]
    return []


@dataclass
class LineProfile:
    """Samples of all products along one line (arrays over the points).

    Attributes
    ----------
    fid : int
        Feature id of the line in its layer.
    line_id : str
        The line's identifier (reported in tables and logs).
    points : glacvel_plugin.core.profiles.ProfilePoints
        The sample points (map coordinates in the first product's CRS, metres;
        distance along the line, m; part index).
    values : dict, optional
        Product label → band name (``v``, ``vx``, ``vy``, ``v_error``) → float64 (n,)
        values in m/d, NaN outside the product or in no data; filled by
        :func:`sample_profiles`.
    inside : dict, optional
        Product label → bool (n,): the point lies on the product's raster.
    """
    fid: int
    line_id: str
    points: profiles.ProfilePoints
    values: Dict[str, Dict[str, np.ndarray]] = field(default_factory=dict)  # label -> band -> (n,)
    inside: Dict[str, np.ndarray] = field(default_factory=dict)             # label -> bool (n,)


def profile_lines(features, spacing: float) -> List[LineProfile]:
    """Points every ``spacing`` metres along each line.

    Parameters
    ----------
    features : sequence of (feature id, line id, GeoJSON geometry or None)
        The flowlines in the first product's CRS.
    spacing : float
        Point spacing in metres.

    Returns
    -------
    list of LineProfile
        One per feature with a line geometry (others skipped), in feature order, with
        its points (:func:`glacvel_plugin.core.profiles.points_along`, line ends
        included) and no values yet.

    Raises
    ------
    ValueError
        When no feature has a line geometry (names FLOWLINES).
    """
    lines = []
    for fid, ident, geom in features:
        parts = line_parts(geom)
        if not parts:
            continue
        lines.append(LineProfile(fid, ident, profiles.points_along(parts, spacing)))
    if not lines:
        raise ValueError("FLOWLINES has no line with a geometry; draw or choose flowlines")
    return lines


def sample_profiles(info: ProductInfo, ref: ProductInfo, lines: Sequence[LineProfile],
                    method: str):
    """Sample one product along every line (values NaN outside it / in no data).

    The points (in ``ref``'s CRS) are moved into the product's CRS when it differs;
    only the window of the product around the points on it is read. Fills
    ``line.values[info.label]`` and ``line.inside[info.label]`` of every line.

    Parameters
    ----------
    info : ProductInfo
        The product sampled (north-up grid; bands scaled to m/d by ``info.factor``).
    ref : ProductInfo
        The product whose CRS the line points are in (the first product).
    lines : sequence of LineProfile
        Lines from :func:`profile_lines`; updated in place.
    method : str
        ``"bilinear"`` or ``"nearest"``
        (:func:`glacvel_plugin.core.profiles.sample_grid`; bilinear gives NaN when any
        pixel it weights is no data).

    Raises
    ------
    ValueError
        From :func:`~glacvel_plugin.core.profiles.sample_grid` for an unknown
        ``method``.
    """
    xs = np.concatenate([ln.points.x for ln in lines])
    ys = np.concatenate([ln.points.y for ln in lines])
    if info.crs != ref.crs:
        xs, ys = transform_points(ref.crs, info.crs, xs, ys)
    col, row = profiles.map_to_pixel(tuple(info.transform)[:6], xs, ys)
    rows, cols = info.shape
    inside = (col >= 0) & (col <= cols) & (row >= 0) & (row <= rows)
    wanted = [b for b in PROFILE_BANDS if b in info.bands or b == "v"]
    values = {b: np.full(xs.shape, np.nan) for b in wanted}
    if inside.any():
        win = window_for(info, xs[inside].min(), ys[inside].min(), xs[inside].max(),
                         ys[inside].max())
        if win is not None:
            bands = read_bands(info, wanted, win)
            t = window_transform(win, info.transform)
            values = profiles.sample_grid(bands, tuple(t)[:6], xs, ys, method)
            for b in values:
                values[b][~inside] = np.nan
    start = 0
    for ln in lines:
        n = len(ln.points)
        ln.values[info.label] = {b: a[start:start + n] for b, a in values.items()}
        ln.inside[info.label] = inside[start:start + n]
        start += n


def lines_outside(lines: Sequence[LineProfile], infos: Sequence[ProductInfo]) -> List[LineProfile]:
    """The lines that cross no product.

    Parameters
    ----------
    lines : sequence of LineProfile
        Lines sampled on every product (:func:`sample_profiles`).
    infos : sequence of ProductInfo
        The products (named in the error message).

    Returns
    -------
    list of LineProfile
        The lines with no point on any product, in input order (empty when every line
        crosses one).

    Raises
    ------
    ValueError
        When no line crosses any product.
    """
    crossing = [ln for ln in lines if any(a.any() for a in ln.inside.values())]
    if not crossing:
        raise ValueError(
            "none of the FLOWLINES crosses any INPUT product (products: "
            + ", ".join(p.name for p in infos)
            + "); check that the lines lie over the velocity maps (layer CRS, extent)")
    return [ln for ln in lines if ln not in crossing]


def profile_rows(lines, infos, has_error):
    """One dict per line point and product: line_id, part, distance, label, month,
    start, end, x, y, v, vx, vy (and v_error with ``has_error``); NaN as None.

    Parameters
    ----------
    lines : sequence of LineProfile
        Lines sampled on every product of ``infos``.
    infos : sequence of ProductInfo
        The products, in output order within each line.
    has_error : bool
        Whether to add the ``v_error`` field (None for a product without that band).

    Yields
    ------
    dict
        ``line_id``; ``part`` (int); ``distance`` (float, m along the line); ``label``;
        ``month`` (``YYYYMM`` or None); ``start``, ``end`` (ISO 8601 UTC strings or
        None); ``x``, ``y`` (float, map coordinates of the first product's CRS, m);
        ``v``, ``vx``, ``vy`` (m/d, vx east, vy north) and optionally ``v_error``
        (float or None). Lines, then products, then points along the line.
    """
    for ln in lines:
        p = ln.points
        for info in infos:
            vals = ln.values[info.label]
            for i in range(len(p)):
                r = {"line_id": ln.line_id, "part": int(p.part[i]),
                     "distance": float(p.distance[i]), "label": info.label,
                     "month": info.month,
                     "start": f"{info.start:%Y-%m-%dT%H:%M:%SZ}" if info.start else None,
                     "end": f"{info.end:%Y-%m-%dT%H:%M:%SZ}" if info.end else None,
                     "x": float(p.x[i]), "y": float(p.y[i])}
                for b in ("v", "vx", "vy") + (("v_error",) if has_error else ()):
                    a = vals.get(b)
                    r[b] = attribute_value(a[i]) if a is not None else None
                yield r


def profile_gaps(lines, infos) -> Tuple[list, List[str]]:
    """The runs of missing speed per line and product.

    A gap is a run of points whose ``v`` is NaN
    (:func:`glacvel_plugin.core.profiles.find_gaps`); its cause is "outside the
    product" when none of its points lies on the product, else "no data". Products a
    line does not cross are skipped.

    Parameters
    ----------
    lines : sequence of LineProfile
        Lines sampled on every product of ``infos``.
    infos : sequence of ProductInfo
        The products.

    Returns
    -------
    (rows, messages)
        Table rows (line id, label, from km, to km — distances along the line rounded
        to the metre —, points, cause) and one log message per line and product with
        gaps.
    """
    rows, messages = [], []
    for ln in lines:
        for info in infos:
            inside = ln.inside[info.label]
            if not inside.any():
                continue
            v = ln.values[info.label]["v"]
            for g in profiles.find_gaps(v, ln.points.distance):
                where = "outside the product" if not inside[g.first:g.last + 1].any() \
                    else "no data"
                rows.append((ln.line_id, info.label, round(g.start / 1000.0, 3),
                             round(g.end / 1000.0, 3), g.samples, where))
            n_gap = sum(1 for r in rows if r[0] == ln.line_id and r[1] == info.label)
            if n_gap:
                missing = int(np.count_nonzero(~np.isfinite(v)))
                messages.append(
                    f"line {ln.line_id}, {info.label}: {n_gap} gap(s), {missing} of "
                    f"{len(v)} points without data (values NULL): "
                    + "; ".join(f"{r[2]:.2f}–{r[3]:.2f} km ({r[5]})"
                                for r in rows if r[0] == ln.line_id and r[1] == info.label))
    return rows, messages


def write_profile_csv(path: str, names: Sequence[str], rows) -> str:
    """The profile table (columns ``names``, then x, y) written atomically; empty
    cells for NULL, 6 significant digits, coordinates to the centimetre.

    Parameters
    ----------
    path : str
        Destination CSV; written through a temporary file, renamed when complete.
    names : sequence of str
        Column names in order (a header row); every row must have each of them. Floats
        in columns ``x``/``y`` are written with 2 decimals, other floats with 6
        significant digits, other values as they are.
    rows : iterable of dict
        Rows as from :func:`profile_rows`.

    Returns
    -------
    str
        ``path``.
    """
    def write(fh):
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            w.writerow(["" if r[n] is None else
                        (f"{r[n]:.6g}" if isinstance(r[n], float) and n not in ("x", "y")
                         else (f"{r[n]:.2f}" if n in ("x", "y") else r[n]))
                        for n in names])
    atomic_write_text(path, write, newline="")
    return path


def profile_report(path, lines, infos, gaps, spacing, method, has_error) -> str:
    """HTML report: the products, a speed–distance plot per line (±v_error shaded),
    a summary per line and product and the gaps.

    Parameters
    ----------
    path : str
        Destination ``.html`` file (written atomically).
    lines : sequence of LineProfile
        Lines sampled on every product of ``infos``.
    infos : sequence of ProductInfo
        The products (at least one; the first one's CRS is the lines' CRS).
    gaps : list of tuple
        Gap rows from :func:`profile_gaps` (empty: "No gaps").
    spacing : float
        Point spacing along the lines, m (stated in the report).
    method : str
        Sampling method, ``"bilinear"`` or ``"nearest"`` (stated in the report).
    has_error : bool
        Whether ``v_error`` was sampled. The ±v_error band of a plot is drawn whenever
        a product's samples include ``v_error``.

    Returns
    -------
    str
        ``path``.
    """
    rep = HtmlReport("glacvel flowline velocity profiles")
    rep.paragraph(f"{len(infos)} product(s), {len(lines)} line(s); points every {spacing:g} m "
                  f"along each line in {infos[0].crs.to_string()}, {method} sampling. "
                  "Speed v in m/d; gaps (no data) are left empty, never zero-filled.")
    rep.table(["product", "file", "start", "end"],
              [(p.label, p.name, f"{p.start:%Y-%m-%d}" if p.start else "",
                f"{p.end:%Y-%m-%d}" if p.end else "") for p in infos])
    import matplotlib.cm as cm
    colours = cm.viridis(np.linspace(0.0, 0.9, max(len(infos), 1)))
    summary = []
    for ln in lines:
        rep.heading(f"Line {ln.line_id}")
        fig, ax = new_figure(8.0, 4.0)
        d_km = ln.points.distance / 1000.0
        for c, info in zip(colours, infos):
            vals = ln.values[info.label]
            v = vals["v"]
            ax.plot(d_km, v, color=c, lw=1.2, label=info.label)
            if "v_error" in vals:
                e = vals["v_error"]
                ax.fill_between(d_km, v - e, v + e, color=c, alpha=0.2, lw=0)
            s = profiles.profile_summary(v, ln.points.distance)
            summary.append((ln.line_id, info.label, s["mean"], s["max"],
                            s["max_at"] / 1000.0, 100.0 * s["valid"]))
        ax.set_xlabel("distance along flowline (km)")
        ax.set_ylabel("speed v (m/d)")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, ncol=max(1, min(len(infos), 6)))
        rep.figure(fig, alt=f"speed against distance, line {ln.line_id}")
    rep.heading("Summary")
    rep.table(["line", "product", "mean v (m/d)", "max v (m/d)", "max at (km)",
               "valid points (%)"], summary)
    rep.heading("Gaps (no data along the line)")
    if gaps:
        rep.table(["line", "product", "from (km)", "to (km)", "points", "cause"], gaps)
    else:
        rep.paragraph("No gaps: every point has a value in every product.")
    return rep.save(path)


# ---------------------------------------------------------------------------------------
# glacier statistics


def stat_field_prefix(label: str) -> str:
    """Field prefix of a product label: ``v`` + label with non-alphanumerics as ``_``.

    Parameters
    ----------
    label : str
        A product label (``201803``, ``20180301-20180401``).

    Returns
    -------
    str
        ``v`` + the label with each run of characters other than ASCII letters and
        digits replaced by one ``_`` (leading/trailing ones dropped) + ``_``, e.g.
        ``v201803_``, ``v20180301_20180401_``.
    """
    return "v" + re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_") + "_"


def glacier_statistics(info: ProductInfo, features):
    """Speed statistics of one product inside every outline.

    Parameters
    ----------
    info : ProductInfo
        The product.
    features : sequence of (feature id, id, GeoJSON polygon or None)
        The outlines in the product's CRS.

    Returns
    -------
    (dict, bool)
        ``{feature id: core.profiles.ZoneStats}`` (NaN statistics, count 0 for an
        outline off the product) and whether any outline overlaps a product pixel.
        Pixel centres of an outline outside the product's footprint count as not
        covered.
    """
    out = {}
    geoms = [(fid, g) for fid, _, g in features if g is not None]
    if not geoms:
        return out, False
    bounds = [geometry_bounds(g) for _, g in geoms]
    box = (min(b[0] for b in bounds), min(b[1] for b in bounds),
           max(b[2] for b in bounds), max(b[3] for b in bounds))
    win = window_for(info, *box, margin=1)
    if win is None:
        return out, False
    v = read_bands(info, ["v"], win)["v"]
    rows, cols = info.shape
    wr0, wc0 = int(win.row_off), int(win.col_off)
    any_inside = False
    for (fid, g), b in zip(geoms, bounds):
        # the outline's box on the product's grid, NOT clipped to the raster: pixel
        # centres of the outline outside the product's footprint count as not covered
        c0, r0, c1, r1 = unclipped_box(b, info.transform)
        if c1 <= 0 or r1 <= 0 or c0 >= cols or r0 >= rows:
            out[fid] = profiles.ZoneStats(1, np.nan, np.nan, np.nan, 0, 0, np.nan)
            continue
        sub_t = window_transform(pixel_window(c0, r0, c1 - c0, r1 - r0), info.transform)
        mask = geometry_inside(g, (r1 - r0, c1 - c0), sub_t)
        sub = np.full((r1 - r0, c1 - c0), np.nan, dtype=np.float32)
        inside = np.zeros(sub.shape, dtype=bool)
        a0, a1 = max(r0, wr0), min(r1, wr0 + v.shape[0])
        b0, b1 = max(c0, wc0), min(c1, wc0 + v.shape[1])
        if a1 > a0 and b1 > b0:
            sub[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = v[a0 - wr0:a1 - wr0, b0 - wc0:b1 - wc0]
            inside[a0 - r0:a1 - r0, b0 - c0:b1 - c0] = True
        if not (mask & inside).any():
            out[fid] = profiles.ZoneStats(1, np.nan, np.nan, np.nan, 0, 0, np.nan)
            continue
        st = profiles.zonal_statistics(sub, mask.astype(np.int32), 1)[0]
        any_inside = True
        out[fid] = st
    return out, any_inside


def statistics_attributes(st) -> list:
    """The five attribute values (mean, median, p95, count, cover) of one
    :class:`~glacvel_plugin.core.profiles.ZoneStats`, or of no statistics (None).

    Parameters
    ----------
    st : glacvel_plugin.core.profiles.ZoneStats or None
        Statistics of one outline on one product.

    Returns
    -------
    list
        ``[mean, median, p95, count, cover]``: speeds in m/d (float, None when NaN),
        the count of valid pixels (int) and the covered fraction (0–1, None when NaN);
        ``[None, None, None, 0, None]`` for None.
    """
    if st is None:
        return [None, None, None, 0, None]
    return [attribute_value(st.mean), attribute_value(st.median), attribute_value(st.p95),
            int(st.count), attribute_value(st.coverage)]
