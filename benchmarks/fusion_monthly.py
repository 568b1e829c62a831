"""Per-month fusion measured on the real Kaskawulsh pairs and GNSS, and on synthetic months.

Real: ../shared/data/kaskawulsh_multisensor (CARST bedrock-corrected L8/S2 vx, vy, errx,
erry, 120 m; 34 GNSS date-pair CSVs), from whyjz/glacier-ft-test at commit c438a25
(GPL-3.0 at that commit). Every pair becomes a glacvel product; the GNSS files are read
with io.gnss (Kaskawulsh layout); glacvel_plugin.io.monthly.monthly_velocity writes the
months and the leave-one-station-out table for several settings.

Synthetic: three sources (L8, S2, S1) over a glacier-like flow with known truth, per-source
Gaussian noise, biases, holes and a noisy edge band of one source, over six months; 12
"stations" per month; the same table.

Run: .venv/bin/python benchmarks/fusion_monthly.py [real|synthetic|all]
"""
import datetime as dt
import glob
import os
import sys
import tempfile

import numpy as np
import rasterio
from affine import Affine

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
DATA = os.environ.get("KASKAWULSH_MULTISENSOR", os.path.join(
    os.path.dirname(ROOT), "shared", "data", "kaskawulsh_multisensor"))

from glacvel_plugin.io.gnss import read_gnss_files  # noqa: E402
from glacvel_plugin.io.grid import target_grid  # noqa: E402
from glacvel_plugin.io.monthly import ReferenceSamples, monthly_velocity  # noqa: E402
from glacvel_plugin.io.monthly import gnss_reference as monthly_gnss_reference  # noqa: E402
from glacvel_plugin.io.product import standard_tags, write_product  # noqa: E402
from tests.helpers import carst_product  # noqa: E402

PAIRS = {"L8": ["LS8-061018_20180304-20180405", "LS8-062017_20180802-20180818"],
         "S2": ["Sen2-Orb14_20180304-20180314", "Sen2-Orb14_20180508-20180518"]}

PLAIN = dict(robust=None, scatter=0)
C = dict(method="constrained")
SETTINGS = {
    "inverse variance, error bands only": dict(PLAIN),
    "constrained per month, error bands only, no shrinkage, ≥ 1 station": dict(
        PLAIN, **C, ref=True, shrinkage=0.0, min_groups=1),
    "constrained per month + local scatter + robust, ≥ 1 station": dict(**C, ref=True,
                                                                        min_groups=1),
    "constrained per month + local scatter + robust, ≥ 4 stations": dict(**C, ref=True),
    "error-calibrated per month, error bands only": dict(PLAIN, ref=True),
    "error-calibrated per month + local scatter, no robust test": dict(ref=True, robust=None),
    "error-calibrated per month + local scatter + robust, ≥ 1 station": dict(
        ref=True, min_groups=1),
    "error-calibrated per month + local scatter + robust, ≥ 4 stations (defaults)": dict(
        ref=True),
    "inverse variance + local scatter + robust (no fit)": dict(),
}


def carst_products(folder):
    out = []
    for sensor, stems in PAIRS.items():
        for stem in stems:
            out.append(carst_product(folder, stem, sensor,
                                     os.path.join(DATA, "carst_velocity"), method="CARST"))
    return out


def gnss_reference(grid):
    recs, _ = read_gnss_files(sorted(glob.glob(os.path.join(DATA, "gps", "*_GPS"))))
    return monthly_gnss_reference(recs, grid, "EPSG:32607")


def table(res, names, title):
    print(f"\n### {title}")
    print("| month | stations | basis | weights | fused | " + " | ".join(names) +
          " | fused ≤ best | outliers | z fused | " + " | ".join(f"z {n}" for n in names) + " |")
    print("|---|---|---|---|---|" + "---|" * len(names) + "---|---|---|" + "---|" * len(names))
    val = {v["month"]: v for v in res.validation}
    for m in res.written:
        pw = res.weights.get(m)
        if m not in val:
            w = ", ".join(f"{k}={x:.2f}" for k, x in pw.as_dict().items()) or (
                "IV, σ×" + ", ".join(f"{k} {x:.2f}" for k, x in pw.scale_dict().items())
                if pw.error_scale is not None else "IV")
            print(f"| {m} | < 2 | {pw.basis} | {w} | — |" + " — |" * len(names) +
                  f" — | {res.rejected.get(m, {})} | — |" + " — |" * len(names))
            continue
        v = val[m]
        best = min(r for r in v["source_rmse"].values() if np.isfinite(r))
        w = ", ".join(f"{k}={x:.2f}" for k, x in (pw.as_dict() if pw else {}).items()) or (
            "IV, σ×" + ", ".join(f"{k} {x:.2f}" for k, x in pw.scale_dict().items())
            if pw and pw.error_scale is not None else "IV")
        srcs = " | ".join(f"{v['source_rmse'].get(n, float('nan')):.3f}" for n in names)
        ok = "yes" if v["fused_rmse"] <= best + 1e-9 else f"no ({v['fused_rmse'] / best:.2f}×)"
        print(f"| {m} | {v['groups']} | {pw.basis if pw else ''} | {w} | "
              f"{v['fused_rmse']:.3f} | {srcs} | {ok} | {res.rejected.get(m, {})} | "
              f"{v['fused_z']:.2f} | " +
              " | ".join(f"{v['source_z'].get(n, float('nan')):.2f}" for n in names) + " |")


def run(paths, ref, grid, folder, names, settings=SETTINGS, iv_validation=None):
    from glacvel_plugin.core import timeseries as ts
    for title, kw in settings.items():
        kw = dict(kw)
        use_ref = kw.pop("ref", False)
        out = tempfile.mkdtemp(dir=folder)
        res = monthly_velocity(paths, out, grid, reference=ref if use_ref else None, **kw)
        if not use_ref:
            # validation of the inverse-variance product: no fit, so no held-out refit
            # needed; sample the months through the same reference machinery
            r2 = monthly_velocity(paths, tempfile.mkdtemp(dir=folder), grid, reference=ref,
                                  min_samples=10 ** 9, shrinkage=0.0, **kw)
            # min_samples beyond reach forces the fallback chain to per-pixel IV
            res.validation = r2.validation
            for m, pw in r2.weights.items():
                res.weights[m] = pw
        table(res, names, title)


OUTLINE = os.path.join(os.path.dirname(DATA), "kaskawulsh_glaft_demo",
                       "glacier_V1_Kaskawulsh_s_inwardBuffer600m.shp")


def outline_coverage(paths_by_name, grid):
    """Valid pixels / pixel centres inside the Kaskawulsh outline (GLAFT demo, 600 m inward)."""
    import fiona
    import rasterio.features
    from glacvel_plugin.io.product import read_product
    with fiona.open(OUTLINE) as src:
        geoms = [f["geometry"] for f in src]
    mask = rasterio.features.geometry_mask(geoms, (grid.height, grid.width), grid.transform,
                                           invert=True)
    return {n: float(np.isfinite(read_product(p, ("vx",)).bands["vx"])[mask].mean())
            for n, p in paths_by_name.items()}


def real():
    with tempfile.TemporaryDirectory() as d:
        paths = carst_products(d)
        grid = target_grid(paths, resolution=120.0)
        ref = gnss_reference(grid)
        run(paths, ref, grid, d, ["L8", "S2"])
        out = tempfile.mkdtemp(dir=d)
        res = monthly_velocity(paths, out, grid, reference=ref, source_composites=True)
        print("\n### defaults: held-out folds and outline coverage")
        for v in res.validation:
            print(v["month"], "fold weights/scales:", v["weights"], "basis:", v["basis"])
        for m, f in zip(res.written, res.files):
            files = {"fused": f, **res.source_files.get(m, {})}
            print(m, "outline coverage:", {k: round(x, 3) for k, x in
                                           outline_coverage(files, grid).items()})


# --------------------------------------------------------------------------- synthetic
MONTHS = [(2018, m) for m in range(3, 9)]
L8_NOISE = {3: 0.03, 4: 0.03, 5: 0.10, 6: 0.15, 7: 0.04, 8: 0.03}   # melt season degrades L8
RES, ORIGIN = 100.0, (600000.0, 6740000.0)


def truth(month, rows=120, cols=150):
    y, x = np.mgrid[0:rows, 0:cols].astype(float)
    centre = rows / 2 + 12 * np.sin(x / 35)
    speed = np.clip(1.0 - ((y - centre) / (rows / 2.2)) ** 2, 0.0, None) * (0.6 + 0.4 * x / cols)
    speed *= 1.0 + 0.3 * np.sin((month - 3) / 5 * np.pi)               # summer speed-up
    angle = np.arctan2(np.gradient(centre, axis=1), 1.0)
    return speed * np.cos(angle), speed * np.sin(angle)


def synthetic_products(folder, seed=1):
    """Pairs of six months: L8 (1 per month, noise per L8_NOISE, bias +0.03 m/d in vx,
    a 40×40 cloud in May and June), S2 (2 per month, σ 0.06, west of column 20 no data,
    columns 20–31 noisy (σ 0.4, bias +0.3/+0.4) with the error band still 0.06), S1 (1 per
    month from April, σ 0.12, bias −0.04/+0.02, in m/yr). Error bands = the stated σ."""
    rng = np.random.default_rng(seed)
    paths = []
    tr = Affine(RES, 0, ORIGIN[0], 0, -RES, ORIGIN[1])
    for (y, m) in MONTHS:
        tx, ty = truth(m)
        specs = [("L8", 5, 16, L8_NOISE[m]), ("S2", 3, 10, 0.06), ("S2", 15, 10, 0.06)]
        if m >= 4:
            specs.append(("S1", 8, 12, 0.12))
        for k, (name, day, dtd, sig) in enumerate(specs):
            vx = tx + rng.normal(0, sig, tx.shape)
            vy = ty + rng.normal(0, sig, ty.shape)
            if name == "L8":
                vx += 0.03
                if m in (5, 6):
                    vx[40:80, 60:100] = np.nan
            if name == "S2":
                vx[:, :20] = np.nan
                bad = np.s_[:, 20:32]
                vx[bad] += rng.normal(0.3, 0.4, vx[bad].shape)
                vy[bad] += rng.normal(0.4, 0.4, vy[bad].shape)
            if name == "S1":
                vx -= 0.04
                vy += 0.02
            vy[np.isnan(vx)] = np.nan
            units, f = ("m/yr", 365.25) if name == "S1" else ("m/d", 1.0)
            e = np.full(tx.shape, sig)
            bands = {"vx": vx * f, "vy": vy * f, "v": np.hypot(vx, vy) * f,
                     "vx_error": e * f, "vy_error": e * f}
            t0 = dt.datetime(y, m, day)
            tags = standard_tags(name, t0, t0 + dt.timedelta(days=dtd), "synthetic", units=units)
            paths.append(write_product(os.path.join(folder, f"{name}_{m:02d}_{k}.tif"),
                                       {b: a.astype(np.float32) for b, a in bands.items()},
                                       tr, "EPSG:32607", tags))
    return paths


def synthetic_reference(seed=2, n=14):
    """n stations on the glacier (2 of them in the noisy S2 band), observed 2nd→26th of
    every month (truth + N(0, 0.01) m/d); in July only station 0 reports."""
    rng = np.random.default_rng(seed)
    tx, ty = truth(3)
    ok = np.argwhere(np.hypot(tx, ty) > 0.3)
    pick = ok[rng.choice(len(ok), n - 2, replace=False)]
    band = ok[(ok[:, 1] >= 21) & (ok[:, 1] <= 30)]
    pick = np.vstack([pick, band[rng.choice(len(band), 2, replace=False)]])
    rows, cols, vx, vy, g, t0, t1 = [], [], [], [], [], [], []
    for (y, m) in MONTHS:
        tx, ty = truth(m)
        for i, (r, c) in enumerate(pick):
            if m == 7 and i > 0:
                continue
            rows.append(r), cols.append(c), g.append(f"st{i:02d}")
            vx.append(tx[r, c] + rng.normal(0, 0.01)), vy.append(ty[r, c] + rng.normal(0, 0.01))
            t0.append(dt.datetime(y, m, 2)), t1.append(dt.datetime(y, m, 26))
    return ReferenceSamples(np.array(rows), np.array(cols), np.array(vx), np.array(vy),
                            np.array(g), t0, t1)


def truth_table(res, names):
    """RMSE against the truth over the glacier and coverage, fused vs each source composite."""
    from glacvel_plugin.io.product import read_product
    print("| month | fused truth RMSE | " + " | ".join(f"{n} truth RMSE" for n in names) +
          " | fused coverage | " + " | ".join(f"{n} coverage" for n in names) + " |")
    print("|---|---|" + "---|" * len(names) + "---|" + "---|" * len(names))
    for label, path in zip(res.written, res.files):
        tx, ty = truth(int(label[4:]))
        glacier = np.hypot(tx, ty) > 0.05

        def score(p):
            b = read_product(p, ("vx", "vy")).bands
            d = np.hypot(b["vx"] - tx, b["vy"] - ty)[glacier]
            return float(np.sqrt(np.nanmean(d ** 2))), float(np.isfinite(d).mean())
        f = score(path)
        per = {n: score(p) for n, p in res.source_files.get(label, {}).items()}
        print(f"| {label} | {f[0]:.4f} | " +
              " | ".join(f"{per[n][0]:.4f}" if n in per else "—" for n in names) +
              f" | {f[1]:.3f} | " +
              " | ".join(f"{per[n][1]:.3f}" if n in per else "—" for n in names) + " |")


def synthetic():
    from glacvel_plugin.io.grid import TargetGrid
    with tempfile.TemporaryDirectory() as d:
        paths = synthetic_products(d)
        grid = TargetGrid("EPSG:32607", Affine(RES, 0, ORIGIN[0], 0, -RES, ORIGIN[1]), 150, 120)
        ref = synthetic_reference()
        names = ["L8", "S2", "S1"]
        for title, kw in SETTINGS.items():
            title = "synthetic: " + title
            kw = dict(kw)
            use_ref = kw.pop("ref", False)
            out = tempfile.mkdtemp(dir=d)
            res = monthly_velocity(paths, out, grid, reference=ref if use_ref else None,
                                   source_composites=True, **kw)
            if not use_ref:
                r2 = monthly_velocity(paths, tempfile.mkdtemp(dir=d), grid, reference=ref,
                                      min_samples=10 ** 9, shrinkage=0.0, **kw)
                res.validation, res.weights = r2.validation, r2.weights
            table(res, names, title)
            print()
            truth_table(res, names)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("real", "all"):
        real()
    if what in ("synthetic", "all"):
        synthetic()
