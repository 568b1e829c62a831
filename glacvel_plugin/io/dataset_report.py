"""The HTML report of a velocity dataset (``report.html`` beside ``manifest.csv``).

Per month: pairs, sources, fusion weights, share of the grid measured, median speed and
median ``v_error``, and a small map of the speed; per pair: status, Δt, stable-ground
offsets and NMAD, valid fraction; the scenes that were skipped or failed and why.
"""
from __future__ import annotations

import os
from typing import Dict, List

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
    for label, info in sorted(months.items()):
        path = info.get("path")
        if not path or not os.path.exists(path):
            table.append([label, info.get("pairs", 0), "", "", "no data", "", ""])
            continue
        v, err, tags, bounds = _month_stats(path)
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
                  "removed and the held-out NMAD of the corrected pair; validation against a "
                  "reference is done with glacvel:validate_velocity on the monthly products.",
                  "note")
    return rep.save(job.report_path)
