"""io.monthly.monthly_velocity (no QGIS) on synthetic months with known truth.

Three sources over a glacier-like flow, two months: L8 (σ 0.03 in March, 0.15 in April —
melt — with a 20×20 cloud in April), S2 (σ 0.05, no data west of column 10, columns 10–15
noisy near its footprint's edge, +0.3 ± 0.3 m/d per component, with an error band that
does not show it), S1 (σ 0.10, in m/yr, April only).
Twelve stations per month (two in the bad S2 columns), truth + 0.01 m/d.
"""
import csv
import datetime as dt
import os

import numpy as np
import pytest
from affine import Affine

from glacvel_plugin.io.grid import TargetGrid
from glacvel_plugin.io.monthly import ReferenceSamples, monthly_velocity
from glacvel_plugin.io.product import read_product, standard_tags, write_product

T = Affine(100.0, 0, 600000.0, 0, -100.0, 6740000.0)
SHAPE = (60, 80)


def truth(month):
    y, x = np.mgrid[0:SHAPE[0], 0:SHAPE[1]].astype(float)
    centre = SHAPE[0] / 2 + 6 * np.sin(x / 20)
    v = np.clip(1 - ((y - centre) / (SHAPE[0] / 2.2)) ** 2, 0, None) * (0.6 + 0.4 * x / SHAPE[1])
    v *= 1.0 if month == 3 else 1.2
    a = np.arctan2(np.gradient(centre, axis=1), 1.0)
    return v * np.cos(a), v * np.sin(a)


@pytest.fixture(scope="module")
def months(tmp_path_factory):
    d = tmp_path_factory.mktemp("synthetic_months")
    rng = np.random.default_rng(7)
    paths = []
    for m in (3, 4):
        tx, ty = truth(m)
        specs = [("L8", 4, 16, 0.03 if m == 3 else 0.15), ("S2", 3, 10, 0.05),
                 ("S2", 14, 10, 0.05)] + ([("S1", 6, 12, 0.10)] if m == 4 else [])
        for k, (name, day, dtd, sig) in enumerate(specs):
            vx = tx + rng.normal(0, sig, tx.shape)
            vy = ty + rng.normal(0, sig, ty.shape)
            if name == "L8" and m == 4:
                vx[20:40, 30:50] = np.nan
            if name == "S2":
                vx[:, :10] = np.nan
                bad = np.s_[:, 10:16]                 # noisy edge: +0.3 ± 0.3 m/d
                vx[bad] += rng.normal(0.3, 0.3, vx[bad].shape)
                vy[bad] += rng.normal(0.3, 0.3, vy[bad].shape)
            vy[np.isnan(vx)] = np.nan
            f, units = (365.25, "m/yr") if name == "S1" else (1.0, "m/d")
            e = np.full(SHAPE, sig * f)
            t0 = dt.datetime(2018, m, day)
            paths.append(write_product(
                str(d / f"{name}_{m}_{k}.tif"),
                {"vx": (vx * f).astype(np.float32), "vy": (vy * f).astype(np.float32),
                 "v": (np.hypot(vx, vy) * f).astype(np.float32),
                 "vx_error": e.astype(np.float32), "vy_error": e.astype(np.float32)},
                T, "EPSG:32607", standard_tags(name, t0, t0 + dt.timedelta(days=dtd),
                                               "synthetic", units=units)))
    tx, ty = truth(3)
    ok = np.argwhere(np.hypot(tx, ty) > 0.3)
    pick = np.vstack([ok[rng.choice(len(ok), 10, replace=False)],
                      ok[(ok[:, 1] >= 11) & (ok[:, 1] <= 14)][:2]])
    r, c, vx, vy, g, t0, t1 = [], [], [], [], [], [], []
    for m in (3, 4):
        tx, ty = truth(m)
        for i, (a, b) in enumerate(pick):
            r.append(a), c.append(b), g.append(f"st{i}")
            vx.append(tx[a, b] + rng.normal(0, 0.01)), vy.append(ty[a, b] + rng.normal(0, 0.01))
            t0.append(dt.datetime(2018, m, 2)), t1.append(dt.datetime(2018, m, 26))
    ref = ReferenceSamples(np.array(r), np.array(c), np.array(vx), np.array(vy), np.array(g),
                           t0, t1)
    return {"paths": paths, "ref": ref, "dir": d,
            "grid": TargetGrid("EPSG:32607", T, SHAPE[1], SHAPE[0])}


def _truth_rmse(path, month):
    tx, ty = truth(month)
    b = read_product(path, ("vx", "vy")).bands
    d = np.hypot(b["vx"] - tx, b["vy"] - ty)[np.hypot(tx, ty) > 0.05]
    return float(np.sqrt(np.nanmean(d ** 2))), float(np.isfinite(d).mean())


def test_synthetic_months_fused_beats_every_source(months):
    out = str(months["dir"] / "defaults")
    res = monthly_velocity(months["paths"], out, months["grid"], reference=months["ref"],
                           source_composites=True)
    assert res.written == ["201803", "201804"]
    val = {v["month"]: v for v in res.validation}
    for label, month in (("201803", 3), ("201804", 4)):
        # held-out (leave one station out) vector RMSE: fused ≤ best single source
        v = val[label]
        assert v["groups"] == 12
        assert v["fused_rmse"] <= min(v["source_rmse"].values())
        # against the truth over the glacier: fused better than every source composite,
        # and it covers at least as much as the best-covering one
        f_rmse, f_cov = _truth_rmse(res.files[res.written.index(label)], month)
        for name, p in res.source_files[label].items():
            s_rmse, s_cov = _truth_rmse(p, month)
            assert f_rmse < s_rmse, (label, name)
            assert f_cov >= s_cov
        assert res.weights[label].basis in ("month", "month+shrinkage")
        # S2's own error band shows its noisy edge (local scatter), ≥ 3× its interior
        e = read_product(res.source_files[label]["S2"], ("vx_error",)).bands["vx_error"]
        assert np.nanmedian(e[:, 11:15]) > 3 * np.nanmedian(e[:, 30:70])
        assert set(res.rejected[label]) == set(res.weights[label].names)
    # April: L8 is 5× worse than in March; its error scale follows the reference
    assert res.weights["201804"].scale_dict()["S1"] == pytest.approx(1.0, abs=0.35)
    tags = read_product(res.files[0], ("vx",)).tags
    assert tags["WEIGHTS_METHOD"] == "error-calibrated" and "ERROR_SCALE" in tags
    assert tags["OUTLIERS"].startswith("L8=")
    with open(res.table, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["month"] for r in rows] == ["201803", "201804"]
    assert float(rows[0]["heldout_fused_rmse"]) == pytest.approx(val["201803"]["fused_rmse"],
                                                                rel=1e-5)


def test_synthetic_constrained_weights_follow_the_month(months):
    out = str(months["dir"] / "constrained")
    res = monthly_velocity(months["paths"], out, months["grid"], reference=months["ref"],
                           method="constrained", shrinkage=0.0)
    w3, w4 = res.weights["201803"].as_dict(), res.weights["201804"].as_dict()
    # March: L8 (σ 0.03) dominates; April: L8 σ 0.15 loses weight to S2 and S1
    assert w3["L8"] > 0.6
    assert w4["L8"] < 0.4 and w4["L8"] < w3["L8"] - 0.3
    assert read_product(os.path.join(out, "201804.tif"), ("vx",)).tags["WEIGHTS_BASIS"] == "month"
    # one station only → the fallback is tagged
    one = ReferenceSamples(*(np.asarray(a)[:1] for a in (
        months["ref"].rows, months["ref"].cols, months["ref"].vx, months["ref"].vy,
        months["ref"].groups)), months["ref"].start[:1], months["ref"].end[:1])
    res1 = monthly_velocity(months["paths"], str(months["dir"] / "one"), months["grid"],
                            reference=one, method="constrained", validate=False)
    assert {pw.basis for pw in res1.weights.values()} == {"inverse-variance"}
    tags = read_product(os.path.join(str(months["dir"] / "one"), "201803.tif"), ("vx",)).tags
    assert tags["WEIGHTS_BASIS"] == "inverse-variance" and "no usable reference" in tags[
        "WEIGHTS_NOTE"]


def test_gnss_reference_on_the_grid_and_across_utm_zones():
    from glacvel_plugin.io.gnss import read_gnss_csv
    from glacvel_plugin.io.monthly import gnss_reference
    from tests.conftest import ROOT
    path = os.path.join(ROOT, "tests", "data", "fusion_kaskawulsh", "gps",
                        "Kaskawulsh_2018-04-05_to_2018-03-04_GPS")
    recs, _ = read_gnss_csv(path)
    g7 = TargetGrid("EPSG:32607", Affine(120, 0, 585232.5, 0, -120, 6754822.5), 472, 305)
    ref = gnss_reference(recs, g7)
    assert list(ref.groups) == ["0", "1"] and ref.start[0] == dt.datetime(2018, 3, 4)
    assert ref.vx[0] == pytest.approx(recs[0].vx) and ref.rows[0] == int((6754822.5 - recs[0].y) // 120)
    # the same records onto a UTM 8N grid: rotated by the grid convergence (≈ 5.2° between
    # the zones at 61° N), speed kept
    g8 = TargetGrid("EPSG:32608", Affine(120, 0, 250000, 0, -120, 6760000), 400, 300)
    r8 = gnss_reference(recs, g8, crs="EPSG:32607")
    assert np.hypot(r8.vx, r8.vy) == pytest.approx(np.hypot(ref.vx, ref.vy), rel=2e-3)
    turn = np.degrees(np.arctan2(r8.vy, r8.vx) - np.arctan2(ref.vy, ref.vx))
    assert np.all((4.5 < np.abs(turn)) & (np.abs(turn) < 6.0))
