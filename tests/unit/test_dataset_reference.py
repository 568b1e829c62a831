"""Dataset weights fitted per month against reference rasters in polygons, and the report.

The synthetic year of real Yahtse texture (tests/synthetic_dataset.py) with two sources:
the Landsat-8 scenes of the 15th and noisier scenes named as Sentinel-2 granules on the
5th (white noise of 0.1 × the texture's spread). The reference is the known field written
as one UAV-like velocity raster per month, used inside seven polygons (four on the rock
massif, three on the ice). The
weights must be fitted per month against it (not fallbacks), the fused months must match
the known field, the held-out validation must rank the fused product and the sources as
the known field does, and report.html must show those numbers.
"""
import csv
import glob
import os
import re
import shutil

import numpy as np
import pytest
import rasterio

from glacvel_plugin.io.dataset import DatasetJob, Vectors, read_geojson, run_job
from tests.synthetic_dataset import (make_s2_year, make_year, reference_polygons,
                                     reference_rasters, stable_geojson, truth_on)


def _job(root, out, **kw):
    kw.setdefault("max_speed", 3.0)
    kw.setdefault("method", "phase")      # checked against the known field (test_dataset.py)
    kw.setdefault("workers", 2)
    return DatasetJob(os.path.join(root, "scenes"), out, **kw)


@pytest.fixture(scope="module")
def two_sources(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("two_sources"))
    desc = make_year(os.path.join(root, "scenes"), corrupt=False, cloudy=False)
    make_s2_year(os.path.join(root, "scenes"), noise=0.1)
    desc["root"] = root
    desc["stable"] = read_geojson(stable_geojson(os.path.join(root, "stable.geojson")))
    desc["refs"] = reference_rasters(os.path.join(root, "ref"), desc)
    desc["polygons"] = Vectors(desc["stable"].crs_wkt, reference_polygons(desc))
    out = os.path.join(root, "out")
    desc["res"] = run_job(_job(root, out, stable_ground=desc["stable"],
                               reference_raster=desc["refs"],
                               reference_polygons=desc["polygons"]))
    desc["out"] = out
    return desc


def _table(out):
    with open(os.path.join(out, "monthly", "monthly_weights.csv"), newline="") as f:
        return {r["month"]: r for r in csv.DictReader(f)}


def _month(path):
    with rasterio.open(path) as ds:
        names = list(ds.descriptions)
        b = {n: ds.read(names.index(n) + 1, masked=True).filled(np.nan) for n in ("vx", "vy")}
        return b, ds.transform, ds.shape, ds.tags()


def test_weights_are_fitted_per_month_against_the_reference_rasters(two_sources):
    res, out = two_sources["res"], two_sources["out"]
    assert res.pairs_done == res.pairs_total == 22
    assert res.months == [f"2023{m:02d}" for m in range(1, 13)]
    table = _table(out)
    assert sorted(table) == res.months
    for label in res.months[:11]:            # L8 and S2: fitted on this month's reference
        b, transform, shape, tags = _month(os.path.join(out, "monthly", label + ".tif"))
        assert tags["SOURCES"] in ("L8,S2", "S2,L8") and tags["SENSOR"] == "FUSED"
        assert tags["WEIGHTS_METHOD"] == "error-calibrated"
        assert tags["WEIGHTS_BASIS"] == table[label]["basis"] == "month+shrinkage", label
        row = table[label]
        # 7 polygons × 36 cells (30 m), vx and vy, less cells without data
        assert row["n_groups"] == row["heldout_groups"] == "7"
        assert 400 <= int(row["n_samples"]) <= 2 * 7 * 36
        # the error scale fitted per source is the one applied (ERROR_SCALE tag)
        scale = dict(p.split("=") for p in tags["ERROR_SCALE"].split(","))
        for n in ("L8", "S2"):
            assert float(row[f"error_scale_{n}"]) == pytest.approx(float(scale[n]), rel=1e-5)
            assert 0 < float(scale[n]) < 10
        # the held-out ranking of the known field: the noisy S2 worst, fused ≈ L8
        fused, l8, s2 = (float(row[k]) for k in ("heldout_fused_rmse", "heldout_L8_rmse",
                                                 "heldout_S2_rmse"))
        assert fused < s2 and fused < 1.15 * l8, (label, row)
        # the fused month matches the known field (the reference)
        tx, ty = truth_on(transform, shape, two_sources)
        ex, ey = b["vx"] - tx, b["vy"] - ty
        ok = np.isfinite(ex) & np.isfinite(ey)
        assert ok.mean() > 0.9, label
        assert np.median(np.abs(ex[ok])) < 0.02 and np.median(np.abs(ey[ok])) < 0.02, label
        # and the held-out RMSE is what the product shows in the polygons
        from glacvel_plugin.io.raster import rasterize_labels
        inside = (rasterize_labels(two_sources["polygons"].geometries, transform, shape) > 0) & ok
        direct = float(np.sqrt(np.mean(ex[inside] ** 2 + ey[inside] ** 2)))
        assert fused == pytest.approx(direct, rel=0.35), (label, fused, direct)
    dec = _month(os.path.join(out, "monthly", "202312.tif"))[3]
    assert dec["SOURCES"] == "L8" and dec["WEIGHTS_BASIS"] == "single-source"


def test_a_new_reference_rebuilds_the_months_and_reuses_the_pairs(two_sources, tmp_path):
    out = str(tmp_path / "out")
    shutil.copytree(two_sources["out"], out)
    res = run_job(_job(two_sources["root"], out, stable_ground=two_sources["stable"],
                       reference_raster=two_sources["refs"][:6],
                       reference_polygons=two_sources["polygons"]))
    assert res.pairs_run == 0 and res.months_rebuilt == res.months
    table = _table(out)
    # months after June have no survey of their own: neighbours' or all-period weights
    assert table["202303"]["basis"] == "month+shrinkage"
    assert table["202309"]["basis"] != "month+shrinkage"
    assert table["202309"]["heldout_groups"] == ""      # nothing to hold out in September


def test_bad_reference_is_refused_before_any_pair(two_sources, tmp_path):
    from glacvel_plugin.io.product import write_product
    out = str(tmp_path / "out")
    with pytest.raises(ValueError, match="REFERENCE_POLYGONS are given without a "
                                         "REFERENCE_RASTER"):
        run_job(_job(two_sources["root"], out, reference_polygons=two_sources["polygons"]))
    undated = str(tmp_path / "undated.tif")
    with rasterio.open(two_sources["refs"][0]) as ds:
        bands = {n: ds.read(i + 1) for i, n in enumerate(ds.descriptions)}
        write_product(undated, bands, ds.transform, ds.crs, {"UNITS": "m/d"})
    with pytest.raises(ValueError, match=r"REFERENCE_RASTER undated\.tif has no "
                                         r"START_TIME/END_TIME"):
        run_job(_job(two_sources["root"], out, reference_raster=[undated]))
    g = two_sources["polygons"].geometries

    def north(c):
        return [c[0], c[1] + 50000.0] if isinstance(c[0], float) else [north(x) for x in c]
    far = Vectors(two_sources["polygons"].crs_wkt,
                  [dict(x, coordinates=north(x["coordinates"])) for x in g])
    with pytest.raises(ValueError, match="REFERENCE_POLYGONS cover no part of "
                                         "REFERENCE_RASTER uav_202301.tif"):
        run_job(_job(two_sources["root"], out, reference_raster=two_sources["refs"][:1],
                     reference_polygons=far))
    with pytest.raises(ValueError, match="REFERENCE_GNSS .* or REFERENCE_RASTER"):
        run_job(_job(two_sources["root"], out, reference_raster=two_sources["refs"],
                     reference_gnss=[undated]))
    assert not glob.glob(os.path.join(out, "pairs", "*"))
    assert not os.path.exists(os.path.join(out, "manifest.csv"))


def _html_table(html, heading):
    """(headers, rows of cell texts) of the first table after <h2>heading</h2>."""
    part = html.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    headers = re.findall(r"<th>(.*?)</th>", part)
    rows = [re.findall(r"<td>(.*?)</td>", tr) for tr in re.findall(r"<tr>(.*?)</tr>", part)]
    return headers, [r for r in rows if r]


def test_report_shows_the_weights_and_the_validation_of_the_run(two_sources):
    res, out = two_sources["res"], two_sources["out"]
    html = open(res.report, encoding="utf-8").read()
    table = _table(out)
    head, rows = _html_table(html, "Weights")
    assert [r[0] for r in rows] == res.months
    col = {h: i for i, h in enumerate(head)}
    for r in rows:
        t = table[r[0]]
        tags = _month(os.path.join(out, "monthly", r[0] + ".tif"))[3]
        assert r[col["method"]] == tags["WEIGHTS_METHOD"]
        assert r[col["basis"]] == t["basis"] == tags["WEIGHTS_BASIS"]
        for n in ("L8", "S2"):
            want = t[f"error_scale_{n}"]
            assert r[col[f"error scale {n}"]] == (f"{float(want):.4g}" if want else "")
        assert r[col["reference samples"]] == f"{float(t['n_samples']):.4g}"
    dec = rows[-1]
    assert dec[col["basis"]] == "single-source" and dec[col["weight L8"]] == "1"
    assert rows[0][col["weight L8"]] == "per pixel"      # error-calibrated: inverse variance
    head, rows = _html_table(html, "Validation")
    assert head == ["month", "held-out groups", "fused RMSE (m/d)", "L8 RMSE (m/d)",
                    "S2 RMSE (m/d)"] or head == ["month", "held-out groups", "fused RMSE (m/d)",
                                                 "S2 RMSE (m/d)", "L8 RMSE (m/d)"]
    col = {h: i for i, h in enumerate(head)}
    assert [r[0] for r in rows] == res.months
    for r in rows:
        t = table[r[0]]
        assert r[col["held-out groups"]] == "7"
        for key, name in (("heldout_fused_rmse", "fused"), ("heldout_L8_rmse", "L8"),
                          ("heldout_S2_rmse", "S2")):
            want = f"{float(t[key]):.4g}" if t[key] else ""
            assert r[col[f"{name} RMSE (m/d)"]] == want, (r, t)
    # the numbers are those of the run: January's fused RMSE is the held-out one
    assert float(rows[0][col["fused RMSE (m/d)"]]) == pytest.approx(
        float(table["202301"]["heldout_fused_rmse"]), rel=1e-3)


def test_report_without_a_reference_says_so(two_sources, tmp_path):
    out = str(tmp_path / "out")
    shutil.copytree(two_sources["out"], out)
    res = run_job(_job(two_sources["root"], out, stable_ground=two_sources["stable"],
                       weights="L8=0.7,S2=0.3"))
    html = open(res.report, encoding="utf-8").read()
    head, rows = _html_table(html, "Weights")
    col = {h: i for i, h in enumerate(head)}
    jan = rows[0]
    assert jan[col["method"]] == "given" and jan[col["basis"]] == "given"
    assert (jan[col["weight L8"]], jan[col["weight S2"]]) == ("0.7", "0.3")
    assert "No reference (REFERENCE_GNSS or REFERENCE_RASTER) was given" in html
