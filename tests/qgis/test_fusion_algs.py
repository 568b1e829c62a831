"""Fusion, monthly products and validation through processing.run, on real Kaskawulsh data.

Real data (../shared/data/kaskawulsh_multisensor, GLAFT development repository, MIT):
bedrock-corrected CARST velocities vx, vy and their errors errx, erry (m/d, EPSG:32607,
120 m) for Landsat-8 2018-03-04→04-05 and Sentinel-2 2018-03-04→03-14 on different
grids, and GNSS station displacements per image pair (3 stations on the trunk).

The rasters are turned into glacvel products with io.product.write_product (bands v,
vx, vy, vx_error, vy_error; SENSOR L8 / S2; START/END times from the file names).
The GNSS reference is built from the CSVs: every row gives a station position at
date1 (start_* columns, the LATER date) and at date2 (end_* columns), so each
station has a position time series. For a velocity product spanning [t0, t1] the
station velocity is taken over the longest GNSS interval [a, b] with t0 ≤ a < b ≤ t1
(positions observed on both dates): for the Landsat-8 pair that is 03-04→04-05 for
stations 0 and 1 and 03-04→03-29 for station 2 (no 04-05 position). The fused
product mixes a 32-day and a 10-day pair inside March, so the reference for the
fit and the validation is the GNSS velocity over the longer (Landsat-8) period.
"""
import csv
import datetime as dt
import glob
import os

import numpy as np
import pytest
import rasterio

from rasterio.windows import Window

from glacvel_plugin.io.grid import SourceReader, TargetGrid
from glacvel_plugin.io.product import read_product, standard_tags, write_product
from tests.conftest import shared_data

KASK = "kaskawulsh_multisensor"
L8 = "LS8-061018_20180304-20180405"
S2 = "Sen2-Orb14_20180304-20180314"
L8_AUG = "LS8-062017_20180802-20180818"
S2_MAY = "Sen2-Orb14_20180508-20180518"


def carst_product(folder, stem, sensor, units="m/d", scale=1.0, name=None):
    """A glacvel product from the four CARST rasters of one pair."""
    bands = {}
    for comp, key in (("vx", "vx"), ("vy", "vy"), ("errx", "vx_error"), ("erry", "vy_error")):
        p = shared_data(KASK, "carst_velocity", f"{stem}_velo-corrected_{comp}_SNT-GAU-RSO.tif")
        with rasterio.open(p) as ds:
            a = ds.read(1).astype(np.float32)
            a[a == ds.nodata] = np.nan
            transform, crs = ds.transform, ds.crs
        bands[key] = a * np.float32(scale)
    bands["v"] = np.hypot(bands["vx"], bands["vy"])
    d0, d1 = stem.split("_")[1].split("-")
    t0 = dt.datetime.strptime(d0, "%Y%m%d")
    t1 = dt.datetime.strptime(d1, "%Y%m%d")
    tags = standard_tags(sensor, t0, t1, "CARST bedrock-corrected (GLAFT demo)", units=units)
    path = os.path.join(str(folder), name or f"{sensor}_{d0}_{d1}.tif")
    return write_product(path, bands, transform, crs, tags)


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    d = tmp_path_factory.mktemp("kask_products")
    return {"L8": carst_product(d, L8, "L8"), "S2": carst_product(d, S2, "S2"),
            "L8_AUG": carst_product(d, L8_AUG, "L8", name="L8_aug.tif"),
            "S2_MAY": carst_product(d, S2_MAY, "S2", name="S2_may.tif")}


def gnss_positions():
    """{station: {date: (easting, northing)}} from every gps/*_GPS CSV (UTM 7N)."""
    pos = {}
    for p in sorted(glob.glob(os.path.join(shared_data(KASK, "gps"), "*_GPS"))):
        with open(p, newline="") as f:
            for row in csv.DictReader(f):
                st = int(row[""])
                for date, e, n in ((row["date1"], row["start_easting"], row["start_northing"]),
                                   (row["date2"], row["end_easting"], row["end_northing"])):
                    if e and n:
                        pos.setdefault(st, {})[dt.date.fromisoformat(date)] = (float(e), float(n))
    return pos


def gnss_velocity(t0, t1):
    """{station: (x_mid, y_mid, vx, vy, a, b)} over the longest interval inside [t0, t1]."""
    out = {}
    for st, series in gnss_positions().items():
        dates = sorted(d for d in series if t0 <= d <= t1)
        if len(dates) < 2:
            continue
        a, b = dates[0], dates[-1]
        (xa, ya), (xb, yb) = series[a], series[b]
        days = (b - a).days
        out[st] = ((xa + xb) / 2, (ya + yb) / 2, (xb - xa) / days, (yb - ya) / days, a, b)
    return out


def gnss_layer(stations, t0=dt.date(2018, 3, 4), t1=dt.date(2018, 4, 5), positions=False):
    """A memory point layer (EPSG:32607) of GNSS stations with vx, vy (m/d), or with
    start/end positions and dates when ``positions``."""
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsPointXY, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant
    vel = gnss_velocity(t0, t1)
    lyr = QgsVectorLayer("Point?crs=EPSG:32607", "gnss", "memory")
    fields = [QgsField("station", QVariant.String)]
    if positions:
        fields += [QgsField(n, QVariant.Double) for n in ("start_x", "start_y", "end_x", "end_y")]
        fields += [QgsField("start_date", QVariant.Date), QgsField("end_date", QVariant.Date)]
    else:
        fields += [QgsField("vx", QVariant.Double), QgsField("vy", QVariant.Double)]
    lyr.dataProvider().addAttributes(fields)
    lyr.updateFields()
    series = gnss_positions()
    feats = []
    for st in stations:
        x, y, vx, vy, a, b = vel[st]
        f = QgsFeature(lyr.fields())
        f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x, y)))
        if positions:
            (xa, ya), (xb, yb) = series[st][a], series[st][b]
            f.setAttributes([f"GNSS{st}", xa, ya, xb, yb, a.isoformat(), b.isoformat()])
        else:
            f.setAttributes([f"GNSS{st}", vx, vy])
        feats.append(f)
    lyr.dataProvider().addFeatures(feats)
    assert lyr.featureCount() == len(stations)
    return lyr


def grid_values(path, xy_list, bands=("vx", "vy")):
    """Values of a product at map points (nearest pixel of its own grid)."""
    prod = read_product(path, bands)
    out = []
    for x, y in xy_list:
        col, row = ~prod.transform * (x, y)
        out.append([float(prod.bands[b][int(row), int(col)]) for b in bands])
    return np.array(out)


# --------------------------------------------------------------------------- real data
def test_gnss_reference_built_from_the_csv_positions():
    vel = gnss_velocity(dt.date(2018, 3, 4), dt.date(2018, 4, 5))
    # station 0, 2018-03-04 → 04-05: (621315.10 − 621306.42) m / 32 d east, (…840.50 − …829.50) / 32 north
    x, y, vx, vy, a, b = vel[0]
    assert (a, b) == (dt.date(2018, 3, 4), dt.date(2018, 4, 5))
    assert vx == pytest.approx((621315.1008197918 - 621306.4195420832) / 32)
    assert vy == pytest.approx((6738840.495072919 - 6738829.502333542) / 32)
    # the CSV's own speed column (negative: date1 is the later date) agrees in magnitude
    assert np.hypot(vx, vy) == pytest.approx(0.43772862514766286, rel=1e-9)
    # station 2 has no 04-05 position: the longest interval inside the pair is 03-04 → 03-29
    assert vel[2][4:] == (dt.date(2018, 3, 4), dt.date(2018, 3, 29))


def test_real_kaskawulsh_fit_on_two_stations_validate_on_the_held_out_one(run_alg, products,
                                                                          tmp_path):
    """Weights from GNSS stations 0 and 2; fused 30 m product checked at station 1."""
    sources = [products["L8"], products["S2"]]
    fit = run_alg("glacvel:fit_fusion_weights", {
        "SOURCES": sources, "REFERENCE_POINTS": gnss_layer([0, 2]), "ID_FIELD": "station",
        "METHOD": 0, "OUTPUT_HTML": str(tmp_path / "fit.html")})
    w = fit["WEIGHTS"]
    assert set(w) == {"L8", "S2"} and sum(w.values()) == pytest.approx(1.0)
    assert all(np.isfinite(list(w.values()))) and min(w.values()) >= 0
    # S2 is off by ≈0.7 m/d at station 2 while L8 is within 0.1: L8 takes the weight
    assert w["L8"] > 0.9
    assert fit["N_PER_SOURCE"] == {"L8": 4, "S2": 4}
    assert fit["SOURCE_RMSE"]["S2"] > 3 * fit["SOURCE_RMSE"]["L8"]
    assert os.path.getsize(fit["OUTPUT_HTML"]) > 1000

    fused = str(tmp_path / "fused_201803.tif")
    res = run_alg("glacvel:fuse_velocity", {"SOURCES": sources, "WEIGHTS": fit["WEIGHTS_TEXT"],
                                            "OUTPUT": fused})
    with rasterio.open(fused) as ds:
        assert list(ds.descriptions[:5]) == ["v", "vx", "vy", "v_error", "count"]
        assert ds.crs.to_epsg() == 32607 and ds.res == (30.0, 30.0)   # default grid
        tags = ds.tags()
        assert tags["SOURCES"] == "L8,S2" and tags["WEIGHTS"] == fit["WEIGHTS_TEXT"]
        assert os.path.basename(products["L8"]) in tags["INPUTS"]
        assert tags["UNITS"] == "m/d" and tags["START_TIME"].startswith("2018-03-04")
    prod = read_product(fused)
    count = prod.bands["count"]
    assert np.all(np.isfinite(prod.bands["vx"][count >= 1]))
    assert np.all(np.isnan(prod.bands["vx"][count == 0]))
    # where one source has a hole the other fills it (the mask function)
    assert (count == 1).sum() > 0.05 * (count >= 1).sum()
    np.testing.assert_allclose(prod.bands["v"], np.hypot(prod.bands["vx"], prod.bands["vy"]),
                               rtol=1e-5, equal_nan=True)
    assert res["VALID_PIXELS"] == int((count >= 1).sum())

    val = run_alg("glacvel:validate_velocity", {
        "INPUT": fused, "SOURCES": sources, "REFERENCE_POINTS": gnss_layer([1]),
        "OUTPUT_HTML": str(tmp_path / "val.html")})
    st = val["STATS"]
    fused_rmse = st["FUSED (INPUT)"]["components"]["rmse"]
    singles = {k: st[k]["components"]["rmse"] for k in ("L8", "S2")}
    assert st["FUSED (INPUT)"]["components"]["n"] == 2
    assert fused_rmse <= min(singles.values()) + 1e-4
    assert 0.02 < fused_rmse < 0.08          # L8 at station 1: (+0.033, +0.051) m/d
    assert os.path.getsize(val["OUTPUT_HTML"]) > 5000   # table + embedded figure


def test_real_kaskawulsh_leave_one_station_out(run_alg, products):
    """All three stations: the cross-validated RMSE is reported per held-out station."""
    fit = run_alg("glacvel:fit_fusion_weights", {
        "SOURCES": [products["L8"], products["S2"]], "REFERENCE_POINTS": gnss_layer([0, 1, 2]),
        "ID_FIELD": "station"})
    folds = {f["group"]: f for f in fit["CV_FOLDS"]}
    assert set(folds) == {"GNSS0", "GNSS1", "GNSS2"}
    assert all(f["n"] == 2 for f in folds.values())
    # held-out station 2 with weights from 0 and 1 (where S2 is better) fails: S2 is wrong there
    assert folds["GNSS2"]["weights"]["S2"] > 0.5 and folds["GNSS2"]["rmse"] > 0.3
    assert folds["GNSS1"]["rmse"] == pytest.approx(folds["GNSS1"]["source_rmse"]["L8"], rel=1e-3)
    assert np.isfinite(fit["CV_RMSE"]) and fit["CV_RMSE"] > fit["CV_SOURCE_RMSE"]["L8"]
    # the start/end-position form of the GNSS layer gives the same samples and weights
    fit2 = run_alg("glacvel:fit_fusion_weights", {
        "SOURCES": [products["L8"], products["S2"]],
        "REFERENCE_POINTS": gnss_layer([0, 1, 2], positions=True), "ID_FIELD": "station"})
    assert fit2["WEIGHTS"] == pytest.approx(fit["WEIGHTS"], abs=1e-9)
    assert fit2["SOURCE_RMSE"] == pytest.approx(fit["SOURCE_RMSE"], rel=1e-9)


def test_real_monthly_products(run_alg, products, tmp_path):
    folder = tmp_path / "monthly"
    src = [products[k] for k in ("L8", "S2", "S2_MAY", "L8_AUG")]
    res = run_alg("glacvel:monthly_velocity", {
        "SOURCES": src, "WEIGHTS": "L8=0.5,S2=0.5", "YEAR": 2018, "TARGET_RESOLUTION": 120,
        "OUTPUT_FOLDER": str(folder)})
    assert res["MONTHS_WRITTEN"].split(",") == ["201803", "201805", "201808"]
    assert res["MONTHS_WITHOUT_DATA"].split(",") == [
        "201801", "201802", "201804", "201806", "201807", "201809", "201810", "201811", "201812"]
    assert sorted(os.listdir(folder)) == ["201803.tif", "201805.tif", "201808.tif"]
    march = read_product(str(folder / "201803.tif"))
    assert march.tags["MONTH"] == "201803" and march.tags["START_TIME"] == "2018-03-01T00:00:00Z"
    assert march.tags["END_TIME"] == "2018-04-01T00:00:00Z"
    assert march.crs.to_epsg() == 32607 and march.resolution == (120.0, 120.0)
    assert np.nanmax(march.bands["count"]) == 2
    # one pair per source in March: the month is the 50/50 mean where both have data
    pts = [(621306.4, 6738829.5), (610435.5, 6737129.6)]
    m = grid_values(str(folder / "201803.tif"), pts)
    rows, cols = march.shape
    g = TargetGrid(march.crs, march.transform, cols, rows)
    expect = []
    for x, y in pts:
        r, c = g.index(x, y)
        vals = []
        for p in (products["L8"], products["S2"]):
            with SourceReader(p) as rd:
                d = rd.read(("vx", "vy"), g, Window(c, r, 1, 1))
                vals.append([d["vx"][0, 0], d["vy"][0, 0]])
        expect.append(np.mean(vals, axis=0))
    np.testing.assert_allclose(m, np.array(expect), rtol=1e-5)
    # May has only the Sentinel-2 pair: the composite is that pair
    may = read_product(str(folder / "201805.tif"))
    assert np.nanmax(may.bands["count"]) == 1
    # inverse variance (no WEIGHTS): the March fused error is below either source's error
    res2 = run_alg("glacvel:monthly_velocity", {
        "SOURCES": src[:2], "TARGET_RESOLUTION": 120, "OUTPUT_FOLDER": str(tmp_path / "iv")})
    assert res2["MONTHS_WRITTEN"] == "201803" and res2["MONTHS_WITHOUT_DATA"] == ""
    iv = read_product(str(tmp_path / "iv" / "201803.tif"))
    both = iv.bands["count"] == 2
    l8e = grid_values(products["L8"], pts, ("vx_error",))
    assert np.all(iv.bands["vx_error"][both] > 0)
    e = grid_values(str(tmp_path / "iv" / "201803.tif"), pts, ("vx_error",))
    assert np.all(e < l8e)
