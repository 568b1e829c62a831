"""The HTML report of a velocity dataset (``report.html`` beside ``manifest.csv``).

Per month: pairs, sources, fusion weights, share of the grid measured, median speed and
median ``v_error``, and a small map of the speed; the weights of every month (method,
basis, weight and error scale per source, from the products' tags and
``monthly/monthly_weights.csv``); with a reference (GNSS stations or reference rasters),
the held-out validation of every month (RMSE of the fused product and of each source at
the held-out stations/polygons, from ``monthly_weights.csv``); per pair: status, Δt,
stable-ground offsets and NMAD, valid fraction; the scenes that were skipped or failed
and why.
"""
from __future__ import annotations

import csv
import os
from typing import Dict, List, Optional

import numpy as np

from .report import HtmlReport, new_figure


def _month_stats(path: str):
    import rasterio
    with rasterio.open(path) as ds:
        names = [d or "" for d in ds.descriptions]
        step = max(1, int(np.ceil(max(ds.height, ds.width) / 300)))
        shape = (max(1, ds.height // step), max(1, ds.width // step))

        def band(n):
            a = ds.read(names.index(n) + 1, out_shape=shape).astype(np.float32)
            a[a == ds.nodata] = np.nan
            return a
        v, err = band("v"), band("v_error")
        tags = ds.tags()
        bounds = ds.bounds
    return v, err, tags, bounds


def _number(text) -> object:
    """A table cell: the float of ``text`` (shown with 4 significant digits), else text."""
    try:
        return float(text) if text not in (None, "") else ""
    except ValueError:
        return text


def _scales(text: str) -> Dict[str, str]:
    """``"S2=1,L8=2.1"`` (an ``ERROR_SCALE`` tag) → {source: value}."""
    out = {}
    for part in (text or "").split(","):
        name, _, val = part.partition("=")
        if name.strip():
            out[name.strip()] = val.strip()
    return out


def read_weights_table(path: str) -> Optional[Dict[str, dict]]:
    """Rows of ``monthly_weights.csv`` by month (None when absent or unreadable).

    Parameters
    ----------
    path : str
        The per-month table written by :func:`glacvel_plugin.io.monthly.write_table`.

    Returns
    -------
    dict or None
        Month label (``YYYYMM``) → that row as a dict of column name → cell text (str,
        not converted to numbers); empty for a table with no rows. None when the file
        cannot be opened or parsed, or its rows have no ``month`` column.
    """
    try:
        with open(path, newline="", encoding="utf-8") as f:
            return {r["month"]: r for r in csv.DictReader(f)}
    except (OSError, KeyError, csv.Error):
        return None


def _weights_sections(rep: HtmlReport, job, months: Dict[str, dict], tags_of: Dict[str, dict]):
    """The weights section (every month) and the validation section (with a reference)."""
    from .dataset import has_reference
    table = (read_weights_table(os.path.join(job.monthly_folder, "monthly_weights.csv"))
             if has_reference(job) else None)
    names: List[str] = []
    for t in tags_of.values():
        for n in (t.get("SOURCES") or "").split(","):
            if n and n not in names:
                names.append(n)
    rep.heading("Weights")
    rows = []
    for label in sorted(tags_of):
        t, r = tags_of[label], (table or {}).get(label, {})
        given = _scales(t.get("WEIGHTS", "")) if t.get("WEIGHTS_METHOD") == "given" else {}
        scale = _scales(t.get("ERROR_SCALE", ""))
        w = [_number(r.get(f"W_{n}", given.get(n, ""))) for n in names]
        if not any(x != "" for x in w) and t.get("WEIGHTS_BASIS") != "single-source":
            w = ["per pixel"] * len(names)     # inverse variance: no weight per source
        rows.append([label, t.get("WEIGHTS_METHOD", ""), t.get("WEIGHTS_BASIS", "")] + w +
                    [_number(r.get(f"error_scale_{n}", scale.get(n, ""))) for n in names] +
                    [_number(r.get("n_samples", t.get("WEIGHTS_N_SAMPLES", ""))),
                     _number(r.get("n_groups", "")), t.get("WEIGHTS_NOTE", "")])
    rep.table(["month", "method", "basis"] + [f"weight {n}" for n in names] +
              [f"error scale {n}" for n in names] +
              ["reference samples", "stations/polygons", "note"], rows)
    rep.paragraph("Method: how the weights were chosen (error-calibrated or constrained fit "
                  "against the reference, given WEIGHTS, or per-pixel inverse variance); "
                  "basis: the reference samples used (this month, with shrinkage towards "
                  "the all-period fit, neighbouring months, all months) or the fallback; "
                  "error scale: the factor applied to a source's σ before the inverse-"
                  "variance fusion (docs/fusion.md).", "note")
    rep.heading("Validation")
    if table is None:
        rep.paragraph("No reference (REFERENCE_GNSS or REFERENCE_RASTER) was given, so the "
                      "months are not validated here; validate a product with "
                      "glacvel:validate_velocity.", "note")
        return
    rows = []
    for label in sorted(table):
        r = table[label]
        if not r.get("heldout_groups"):
            rows.append([label, "", "no reference sample in this month"] + [""] * len(names))
            continue
        rows.append([label, _number(r["heldout_groups"]), _number(r.get("heldout_fused_rmse"))]
                    + [_number(r.get(f"heldout_{n}_rmse", "")) for n in names])
    rep.table(["month", "held-out groups", "fused RMSE (m/d)"] +
              [f"{n} RMSE (m/d)" for n in names], rows)
    rep.paragraph("Vector RMSE √mean(Δvx² + Δvy²) in m/d at the reference samples of each "
                  "held-out station or polygon, predicted with weights fitted without it "
                  "(leave-one-group-out), for the fused product and for each source alone.",
                  "note")


def write_report(job, rows: List[dict], months: Dict[str, dict]) -> str:
    """Write the dataset's HTML report.

    Parameters
    ----------
    job : glacvel_plugin.io.dataset.DatasetJob
        The job (folders, method, maximum speed, grid resolution, stable ground).
    rows : list of dict
        The manifest rows (scenes and pairs).
    months : dict
        Month label → ``{"path": monthly product, "pairs": number of pairs}``.

    Returns
    -------
    str
        ``job.report_path``, written atomically.
    """
    rep = HtmlReport("Velocity dataset")
    pairs = [r for r in rows if r.get("kind") == "pair"]
    scenes = [r for r in rows if r.get("kind") == "scene"]
    count = {s: sum(1 for r in pairs if r["status"] == s) for s in ("done", "failed", "skipped")}
    rep.paragraph(f"Scenes: {job.scenes} ({len(scenes)} found). Output: {job.output}. "
                  f"Pairs: {len(pairs)} — {count['done']} done, {count['failed']} failed, "
                  f"{count['skipped']} skipped. Method {job.method}, maximum speed "
                  f"{job.max_speed:g} m/d, monthly grid {job.resolution:g} m"
                  + (", stable-ground correction on the given polygons" if job.stable_ground
                     else ", no stable-ground correction (no STABLE_GROUND)") + ".")
    rep.heading("Months")
    table = []
    maps = []
    tags_of: Dict[str, dict] = {}
    for label, info in sorted(months.items()):
        path = info.get("path")
        if not path or not os.path.exists(path):
            table.append([label, info.get("pairs", 0), "", "", "no data", "", ""])
            continue
        v, err, tags, bounds = _month_stats(path)
        tags_of[label] = tags
        cover = float(np.isfinite(v).mean()) if v.size else 0.0
        table.append([label, info.get("pairs", 0), tags.get("SOURCES", ""),
                      tags.get("WEIGHTS", ""), f"{100 * cover:.1f} %",
                      float(np.nanmedian(v)) if np.isfinite(v).any() else "",
                      float(np.nanmedian(err)) if np.isfinite(err).any() else "—"])
        maps.append((label, v, bounds))
    rep.table(["month", "pairs", "sources", "weights", "cells measured", "median v (m/d)",
               "median v_error (m/d)"], table)
    if maps:
        vmax = max(float(np.nanpercentile(v, 98)) if np.isfinite(v).any() else 0.0
                   for _, v, _ in maps) or 1.0
        for label, v, b in maps:
            fig, ax = new_figure(3.2, 2.6)
            im = ax.imshow(v, cmap="viridis", vmin=0, vmax=vmax,
                           extent=(b.left, b.right, b.bottom, b.top))
            ax.set_title(f"{label} speed (m/d)", fontsize=9)
            ax.tick_params(labelsize=6)
            fig.colorbar(im, ax=ax, shrink=0.8)
            rep.figure(fig, f"speed {label}", dpi=80)
    if tags_of:
        _weights_sections(rep, job, months, tags_of)
    rep.heading("Pairs")
    rep.table(["pair", "status", "Δt (d)", "offset vx", "offset vy", "NMAD vx", "NMAD vy",
               "valid", "reason"],
              [[r["name"], r["status"], r.get("dt_days", ""), r.get("offset_vx", ""),
                r.get("offset_vy", ""), r.get("nmad_vx", ""), r.get("nmad_vy", ""),
                r.get("valid_fraction", ""), r.get("reason", "")] for r in pairs])
    bad = [r for r in scenes if r["status"] != "done"]
    if bad:
        rep.heading("Scenes not used")
        rep.table(["scene", "status", "reason"], [[r["name"], r["status"], r["reason"]]
                                                  for r in bad])
    rep.paragraph("Offsets and NMAD (m/d) are the stable-ground co-registration offsets "
                  "removed and the held-out NMAD of the corrected pair.", "note")
    return rep.save(job.report_path)
