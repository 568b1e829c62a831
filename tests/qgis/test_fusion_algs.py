"""Fusion, monthly products and validation through processing.run, on real Kaskawulsh data.

Real data (tests/data/kaskawulsh_multisensor and demo/data/kaskawulsh, GLAFT development
repository at commit c438a25, then GPL-3.0):
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
import datetime as dt
import os

import numpy as np
import pytest
import rasterio

from rasterio.windows import Window

from glacvel_plugin.io.grid import SourceReader, TargetGrid
from glacvel_plugin.io.product import read_product, standard_tags, write_product
from tests.helpers import KASK_L8_STEM as L8, KASK_S2_STEM as S2
from tests.helpers import glaft_product, gnss_layer, gnss_velocity

L8_AUG = "LS8-062017_20180802-20180818"
S2_MAY = "Sen2-Orb14_20180508-20180518"


@pytest.fixture(scope="module")
def products(tmp_path_factory):
    d = tmp_path_factory.mktemp("kask_products")
    return {"L8": glaft_product(d, L8, "L8"), "S2": glaft_product(d, S2, "S2"),
            "L8_AUG": glaft_product(d, L8_AUG, "L8", name="L8_aug.tif"),
            "S2_MAY": glaft_product(d, S2_MAY, "S2", name="S2_may.tif")}


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
    assert int(march.tags["VALID_PIXELS"]) == int(np.isfinite(march.bands["vx"]).sum()) > 0
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


# --------------------------------------------------------------------------- synthetic
SIG = {"L8": 0.03, "S2": 0.06, "S1": 0.12}
IV = {k: v ** -2 / sum(s ** -2 for s in SIG.values()) for k, v in SIG.items()}
ORIGIN = (600000.0, 6740000.0)
RES = 100.0


def synthetic_truth(rows=120, cols=150):
    """Glacier-like flow towards the east, up to ≈1 m/d on the centre line (m/d)."""
    y, x = np.mgrid[0:rows, 0:cols].astype(float)
    centre = rows / 2 + 12 * np.sin(x / 35)
    speed = np.clip(1.0 - ((y - centre) / (rows / 2.2)) ** 2, 0.05, None) * (0.6 + 0.4 * x / cols)
    angle = np.arctan2(np.gradient(centre, axis=1), 1.0)
    return (speed * np.cos(angle)).astype(np.float32), (speed * np.sin(angle)).astype(np.float32)


def synthetic_product(path, vx, vy, sensor, units="m/d", scale=1.0, crs="EPSG:32607",
                      origin=ORIGIN, res=RES, extra_bands=None, tags=None):
    from affine import Affine
    bands = {"v": np.hypot(vx, vy) * scale, "vx": vx * scale, "vy": vy * scale}
    bands.update(extra_bands or {})
    if tags is None:
        tags = standard_tags(sensor, dt.datetime(2018, 3, 4), dt.datetime(2018, 4, 5),
                             "synthetic", units=units)
    return write_product(str(path), {k: np.asarray(v, np.float32) for k, v in bands.items()},
                         Affine(res, 0, origin[0], 0, -res, origin[1]), crs, tags)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Three sources with independent noise σ (L8 0.03, S2 0.06 with a hole, S1 0.12 m/d
    written in m/yr) and a UAV-like reference (truth + 0.005 m/d) in 12 square polygons."""
    d = tmp_path_factory.mktemp("synthetic")
    tx, ty = synthetic_truth()
    rng = np.random.default_rng(42)
    paths = {}
    for name, s in SIG.items():
        vx = tx + rng.normal(0, s, tx.shape).astype(np.float32)
        vy = ty + rng.normal(0, s, ty.shape).astype(np.float32)
        if name == "L8":
            vx[30:90, 50:110] = np.nan   # a cloud: the best source has a hole
            vy[30:90, 50:110] = np.nan
        units, scale = ("m/yr", 365.25) if name == "S1" else ("m/d", 1.0)
        paths[name] = synthetic_product(d / f"{name}.tif", vx, vy, name, units, scale)
    rx = tx + rng.normal(0, 0.005, tx.shape).astype(np.float32)
    ry = ty + rng.normal(0, 0.005, ty.shape).astype(np.float32)
    paths["UAV"] = synthetic_product(d / "uav.tif", rx, ry, "UAV")
    boxes = [(r, c) for r in (10, 45, 95) for c in (10, 60, 115, 135)]   # (45, 60) in the hole
    return {"paths": paths, "truth": (tx, ty), "boxes": boxes, "dir": d}


def polygon_layer(boxes, size=10, origin=ORIGIN, res=RES):
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsRectangle, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant
    lyr = QgsVectorLayer("Polygon?crs=EPSG:32607", "ref", "memory")
    lyr.dataProvider().addAttributes([QgsField("id", QVariant.Int)])
    lyr.updateFields()
    feats = []
    for i, (r, c) in enumerate(boxes):
        x0, y1 = origin[0] + c * res, origin[1] - r * res
        f = QgsFeature(lyr.fields())
        f.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y1 - size * res, x0 + size * res, y1)))
        f.setAttributes([i])
        feats.append(f)
    lyr.dataProvider().addFeatures(feats)
    return lyr


def test_synthetic_three_sources_fit_fuse_validate(run_alg, synthetic, tmp_path):
    p = synthetic["paths"]
    tx, ty = synthetic["truth"]
    sources = [p["L8"], p["S2"], p["S1"]]
    polys = polygon_layer(synthetic["boxes"])
    fit = run_alg("glacvel:fit_fusion_weights", {
        "SOURCES": sources, "REFERENCE_RASTER": p["UAV"], "REFERENCE_POLYGONS": polys,
        "TARGET_RESOLUTION": RES})
    w = fit["WEIGHTS"]
    for k in SIG:   # constrained weights within 0.05 of the inverse-variance optimum
        assert w[k] == pytest.approx(IV[k], abs=0.05), (w, IV)
    # L8 has a hole over four polygons: fewer samples than the others
    assert fit["N_PER_SOURCE"]["L8"] < fit["N_PER_SOURCE"]["S2"] == fit["N_PER_SOURCE"]["S1"]
    assert fit["N_PER_SOURCE"]["S2"] == 2 * 12 * 100
    assert fit["SOURCE_RMSE"]["S1"] == pytest.approx(np.hypot(0.12, 0.005), rel=0.1)  # m/yr → m/d
    assert fit["CV_RMSE"] < min(fit["CV_SOURCE_RMSE"].values())
    assert len(fit["CV_FOLDS"]) >= 8   # folds inside the hole have no complete sample

    out = str(tmp_path / "fused.tif")
    run_alg("glacvel:fuse_velocity", {
        "SOURCES": sources, "WEIGHTS": fit["WEIGHTS_TEXT"], "TARGET_RESOLUTION": RES,
        "SOURCE_ERRORS": "L8=0.03,S2=0.06,S1=0.12", "OUTPUT": out})
    f = read_product(out)
    assert f.shape == tx.shape and f.transform.c == ORIGIN[0]
    ex, ey = f.bands["vx"] - tx, f.bands["vy"] - ty
    hole = np.zeros(tx.shape, bool)
    hole[30:90, 50:110] = True
    for region in (hole, ~hole):   # fused RMSE below the best source present there
        rmse_fused = np.sqrt(np.mean(ex[region] ** 2 + ey[region] ** 2) / 2)
        singles = {}
        for k in SIG:
            s = read_product(p[k])
            fac = 1 / 365.25 if k == "S1" else 1
            dx = s.bands["vx"][region] * fac - tx[region]
            dy = s.bands["vy"][region] * fac - ty[region]
            if np.isfinite(dx).any():
                singles[k] = np.sqrt(np.nanmean(dx ** 2 + dy ** 2) / 2)
        assert len(singles) == (2 if region is hole else 3)
        assert rmse_fused < 0.95 * min(singles.values())
    # v_error matches the empirical error within 20 %, inside and outside the hole
    tv = np.hypot(tx, ty)
    for region in (hole & (tv > 0.4), ~hole & (tv > 0.4)):
        emp = np.std(f.bands["v"][region] - tv[region])
        assert np.median(f.bands["v_error"][region]) == pytest.approx(emp, rel=0.2)
    assert np.all(f.bands["count"][hole] == 2) and np.all(f.bands["count"][~hole] == 3)
    # no seam at the hole's edge: mean error just inside = just outside (within noise)
    inside, outside = ex[30:90, 50:54], ex[30:90, 46:50]
    se = np.hypot(inside.std(), outside.std()) / np.sqrt(inside.size)
    assert abs(inside.mean() - outside.mean()) < 4 * se

    val = run_alg("glacvel:validate_velocity", {
        "INPUT": out, "SOURCES": sources, "REFERENCE_RASTER": p["UAV"],
        "REFERENCE_POLYGONS": polys})
    st = val["STATS"]
    assert st["FUSED (INPUT)"]["speed"]["n"] == 1200
    assert st["FUSED (INPUT)"]["components"]["rmse"] < min(
        st[k]["components"]["rmse"] for k in SIG)
    assert abs(st["FUSED (INPUT)"]["speed"]["mean"]) < 0.005


def test_single_source_degenerates_cleanly(run_alg, synthetic, tmp_path):
    p = synthetic["paths"]
    fit = run_alg("glacvel:fit_fusion_weights", {
        "SOURCES": [p["S2"]], "REFERENCE_RASTER": p["UAV"],
        "REFERENCE_POLYGONS": polygon_layer(synthetic["boxes"]), "TARGET_RESOLUTION": RES})
    assert fit["WEIGHTS"] == {"S2": 1.0} and fit["WEIGHT_STD"] == {"S2": 0.0}
    assert fit["CV_RMSE"] == pytest.approx(fit["SOURCE_RMSE"]["S2"], rel=1e-6)
    out = str(tmp_path / "single.tif")
    run_alg("glacvel:fuse_velocity", {"SOURCES": [p["S2"]], "WEIGHTS": "S2=1",
                                      "SOURCE_ERRORS": "S2=0.06", "TARGET_RESOLUTION": RES,
                                      "OUTPUT": out})
    f, s = read_product(out), read_product(p["S2"])
    np.testing.assert_allclose(f.bands["vx"], s.bands["vx"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(f.bands["vx_error"], 0.06, rtol=1e-6)
    assert np.all(f.bands["count"] == 1)


def test_bad_inputs_give_clear_messages(run_alg, synthetic, products, tmp_path):
    from qgis.core import QgsProcessingException
    tx, ty = synthetic["truth"]
    tags = {"SENSOR": "X", "START_TIME": "2018-03-04T00:00:00Z",
            "END_TIME": "2018-04-05T00:00:00Z"}
    nounits = synthetic_product(tmp_path / "nounits.tif", tx, ty, "X", tags=tags)
    with pytest.raises(QgsProcessingException, match="no UNITS tag"):
        run_alg("glacvel:fuse_velocity", {"SOURCES": [nounits, synthetic["paths"]["S2"]],
                                          "OUTPUT": str(tmp_path / "x.tif")})
    assert not os.path.exists(tmp_path / "x.tif")
    # the reference lies outside every source: stations moved 200 km north
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY
    lyr = gnss_layer([0, 1, 2])
    lyr.startEditing()
    for f in lyr.getFeatures():
        pt = f.geometry().asPoint()
        lyr.changeGeometry(f.id(), QgsGeometry.fromPointXY(QgsPointXY(pt.x(), pt.y() + 2e5)))
    lyr.commitChanges()
    with pytest.raises(QgsProcessingException, match="outside every source"):
        run_alg("glacvel:fit_fusion_weights", {"SOURCES": [products["L8"], products["S2"]],
                                               "REFERENCE_POINTS": lyr})
    # no reference / two references
    with pytest.raises(QgsProcessingException, match="exactly one reference"):
        run_alg("glacvel:fit_fusion_weights", {"SOURCES": [products["L8"]]})
    # months with no pairs
    with pytest.raises(QgsProcessingException, match="no pair overlaps any month of 2017"):
        run_alg("glacvel:monthly_velocity", {"SOURCES": [products["S2"]], "YEAR": 2017,
                                             "OUTPUT_FOLDER": str(tmp_path / "m2017")})
    assert not os.path.exists(tmp_path / "m2017" / "201703.tif")
    # WEIGHTS naming a sensor that is not among the sources
    with pytest.raises(QgsProcessingException, match="not the SENSOR"):
        run_alg("glacvel:fuse_velocity", {"SOURCES": [products["L8"]], "WEIGHTS": "L8=1,S1=0.5",
                                          "OUTPUT": str(tmp_path / "y.tif")})
    # the weight fit of a source with no data at the reference
    empty = synthetic_product(tmp_path / "empty.tif", np.full_like(tx, np.nan),
                              np.full_like(ty, np.nan), "S1")
    with pytest.raises(QgsProcessingException, match="S1 have no data at any reference"):
        run_alg("glacvel:fit_fusion_weights", {
            "SOURCES": [synthetic["paths"]["L8"], empty], "REFERENCE_RASTER":
            synthetic["paths"]["UAV"], "REFERENCE_POLYGONS": polygon_layer(synthetic["boxes"]),
            "TARGET_RESOLUTION": RES})


def test_vectors_from_another_utm_zone_are_rotated(run_alg, tmp_path):
    """A product in UTM 8N of a flow due true north at 1 m/d, read onto a UTM 7N grid.

    Grid convergence (spherical approximation) γ = atan(tan(λ − λ0) sin φ): true north
    in grid axes is (−sin γ, cos γ). At λ = −138°, φ ≈ 60.8° that is ±2.6° in the two
    zones, so unrotated vectors would be wrong by ≈0.09 m/d in vx.
    """
    import rasterio.warp
    rows, cols, res = 40, 40, 500.0
    x0, y0 = rasterio.warp.transform("EPSG:4326", "EPSG:32608", [-138.2], [60.9])
    x0, y0 = round(x0[0], -3), round(y0[0], -3)
    yy, xx = np.mgrid[0:rows, 0:cols]
    X, Y = x0 + (xx + 0.5) * res, y0 - (yy + 0.5) * res

    def true_north_components(X, Y, crs, lon0):
        lon, lat = rasterio.warp.transform(crs, "EPSG:4326", X.ravel(), Y.ravel())
        lon, lat = np.radians(np.reshape(lon, X.shape)), np.radians(np.reshape(lat, X.shape))
        g = np.arctan(np.tan(lon - np.radians(lon0)) * np.sin(lat))
        return -np.sin(g), np.cos(g)

    vx8, vy8 = true_north_components(X, Y, "EPSG:32608", -135.0)
    p8 = synthetic_product(tmp_path / "z8.tif", vx8.astype(np.float32), vy8.astype(np.float32),
                           "S2", crs="EPSG:32608", origin=(x0, y0), res=res)
    out = str(tmp_path / "z7.tif")
    run_alg("glacvel:fuse_velocity", {"SOURCES": [p8], "TARGET_CRS": "EPSG:32607",
                                      "TARGET_RESOLUTION": res, "SOURCE_ERRORS": "S2=0.1",
                                      "OUTPUT": out})
    f = read_product(out)
    assert f.crs.to_epsg() == 32607
    r, c = f.shape
    YY, XX = np.mgrid[0:r, 0:c]
    X7 = f.transform.c + (XX + 0.5) * res
    Y7 = f.transform.f - (YY + 0.5) * res
    ex, ey = true_north_components(X7, Y7, "EPSG:32607", -141.0)
    ok = np.isfinite(f.bands["vx"]) & (f.bands["count"] == 1)
    assert ok.sum() > 0.5 * rows * cols
    assert np.nanmean(vx8) > 0.04 and np.mean(ex[ok]) < -0.04     # the sign flips
    np.testing.assert_allclose(f.bands["vx"][ok], ex[ok], atol=2e-3)
    np.testing.assert_allclose(f.bands["vy"][ok], ey[ok], atol=2e-3)


def test_myr_product_equals_md_product(run_alg, synthetic, tmp_path):
    tx, ty = synthetic["truth"]
    a = synthetic_product(tmp_path / "md.tif", tx, ty, "L8")
    b = synthetic_product(tmp_path / "myr.tif", tx, ty, "L8", units="m/yr", scale=365.25)
    outs = []
    for src in (a, b):
        out = str(tmp_path / f"f_{os.path.basename(src)}")
        run_alg("glacvel:fuse_velocity", {"SOURCES": [src], "WEIGHTS": "L8=1",
                                          "TARGET_RESOLUTION": 200, "OUTPUT": out})
        outs.append(read_product(out))
    np.testing.assert_allclose(outs[1].bands["vx"], outs[0].bands["vx"], rtol=1e-5, atol=1e-6)
    # 100 m → 200 m is coarser: 2×2 averaging
    np.testing.assert_allclose(outs[0].bands["vx"][5, 5], tx[10:12, 10:12].mean(), rtol=1e-5)


# --------------------------------------------------------------------------- blocks
def test_block_reads_are_bounded_on_a_100_km_grid(tmp_path):
    """A 100 km × 100 km area at 30 m (3334² px): blocks tile it once, and a block read
    touches only the part of the source under it (not the whole 100 km source)."""
    from affine import Affine
    from rasterio.crs import CRS
    g = TargetGrid(CRS.from_epsg(32607), Affine(30, 0, 500000, 0, -30, 6800000), 3334, 3334)
    blocks = list(g.blocks(512))
    assert len(blocks) == g.n_blocks(512) == 49
    assert sum(int(b.width) * int(b.height) for b in blocks) == 3334 * 3334
    assert max(max(b.width, b.height) for b in blocks) == 512
    cover = np.zeros((3334 // 2 + 1,), int)   # row coverage along one column strip
    for b in blocks:
        if b.col_off == 0:
            cover[b.row_off // 2:(b.row_off + b.height) // 2] += 1
    assert np.all(cover[:-1] == 1)
    # a 100 km source at 120 m (834² px), smooth field; record every window read
    n = 834
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32)
    src = synthetic_product(tmp_path / "big.tif", np.sin(xx / 50), np.cos(yy / 70), "L8",
                            origin=(500000, 6800000), res=120.0)
    reads = []
    with SourceReader(src) as rd:
        orig = rd.ds.read

        def spy(*a, **k):
            w = k.get("window")
            reads.append((int(w.height), int(w.width)))
            return orig(*a, **k)
        rd.ds.read = spy
        for b in (blocks[0], blocks[24], blocks[-1]):
            d = rd.read(("vx", "vy"), g, b)
            assert d["vx"].shape == (b.height, b.width)
            assert np.isfinite(d["vx"]).mean() > 0.95
    assert reads and max(max(r) for r in reads) <= 512 * 30 / 120 + 6


def test_block_stitching_equals_one_read(products):
    """Reading the real Landsat-8 product onto a 90 m grid in 97-px blocks gives the same
    field as one read (no seams from the block margins); averaging from 120 m is not
    involved (90 m is finer: bilinear)."""
    from glacvel_plugin.io.grid import target_grid
    g = target_grid([products["L8"]], resolution=90)
    with SourceReader(products["L8"]) as rd:
        whole = rd.read(("vx",), g, Window(0, 0, g.width, g.height))["vx"]
        stitched = np.full(g.shape, np.nan, np.float32)
        for b in g.blocks(97):
            stitched[b.row_off:b.row_off + b.height, b.col_off:b.col_off + b.width] = \
                rd.read(("vx",), g, b)["vx"]
    both = np.isfinite(whole) & np.isfinite(stitched)
    assert both.sum() > 0.7 * np.isfinite(whole).sum()
    assert np.array_equal(np.isfinite(whole), np.isfinite(stitched)) or \
        (np.isfinite(whole) != np.isfinite(stitched)).mean() < 1e-3
    np.testing.assert_allclose(stitched[both], whole[both], atol=1e-5)


def test_source_errors_from_bands_tags_or_override(synthetic, tmp_path):
    """σ of a source: error bands, else the stable-ground tags (in the product's units)."""
    from glacvel_plugin.io.grid import target_grid
    tx, ty = synthetic["truth"]
    tags = standard_tags("S1", dt.datetime(2018, 3, 4), dt.datetime(2018, 4, 5), "synthetic",
                         units="m/yr", SE_SIGMA_VX=36.525, SE_SIGMA_VY=73.05)
    p = synthetic_product(tmp_path / "tagged.tif", tx, ty, "S1", scale=365.25, tags=tags)
    g = target_grid([p], resolution=RES)
    w = Window(0, 0, 5, 5)
    with SourceReader(p) as rd:
        assert rd.error_bands() is None
        sx, sy = rd.read_sigma(g, w)
        np.testing.assert_allclose(sx, 0.1, rtol=1e-6)      # 36.525 m/yr = 0.1 m/d
        np.testing.assert_allclose(sy, 0.2, rtol=1e-6)
        rd.sigma_override = (0.05, 0.05)
        np.testing.assert_allclose(rd.read_sigma(g, w)[0], 0.05)
    with SourceReader(synthetic["paths"]["L8"]) as rd:          # no band, no tag: unknown
        assert not rd.has_error() and np.all(np.isnan(rd.read_sigma(g, w)[0]))


def test_gnss_layer_in_wgs84_gives_the_same_fit(run_alg, products):
    """The same stations in EPSG:4326 (vx/vy as true east/north): the reference vectors
    are rotated by the UTM 7N grid convergence (γ ≈ +1.6…1.9° at 138.8–139.1° W, i.e.
    ≈0.013 m/d across a 0.44 m/d vector) and land on the same pixels, so the fit is
    unchanged to 2·10⁻⁴ m/d."""
    from qgis.core import (QgsCoordinateReferenceSystem, QgsCoordinateTransform, QgsFeature,
                           QgsProject, QgsVectorLayer)
    utm = gnss_layer([0, 1, 2])
    geo = QgsVectorLayer("Point?crs=EPSG:4326", "gnss84", "memory")
    geo.dataProvider().addAttributes(utm.fields().toList())
    geo.updateFields()
    tr = QgsCoordinateTransform(utm.crs(), QgsCoordinateReferenceSystem("EPSG:4326"),
                                QgsProject.instance())
    feats = []
    for f in utm.getFeatures():
        g = f.geometry()
        g.transform(tr)
        nf = QgsFeature(geo.fields())
        nf.setGeometry(g)
        # grid vectors → true east/north: rotate by the convergence γ at the station
        lon, lat = np.radians(g.asPoint().x()), np.radians(g.asPoint().y())
        gam = np.arctan(np.tan(lon - np.radians(-141.0)) * np.sin(lat))
        vx, vy = f["vx"], f["vy"]
        # east of the central meridian true north is (−sinγ, cosγ) and true east
        # (cosγ, sinγ) in grid axes: project the grid vector on them
        nf.setAttributes([f["station"], float(vx * np.cos(gam) + vy * np.sin(gam)),
                          float(-vx * np.sin(gam) + vy * np.cos(gam))])
        feats.append(nf)
    geo.dataProvider().addFeatures(feats)
    a = run_alg("glacvel:fit_fusion_weights", {"SOURCES": [products["L8"], products["S2"]],
                                               "REFERENCE_POINTS": utm, "ID_FIELD": "station"})
    b = run_alg("glacvel:fit_fusion_weights", {"SOURCES": [products["L8"], products["S2"]],
                                               "REFERENCE_POINTS": geo, "ID_FIELD": "station"})
    assert b["SOURCE_RMSE"] == pytest.approx(a["SOURCE_RMSE"], abs=2e-4)


def test_cancel_leaves_nothing_behind(run_alg, products, tmp_path):
    from qgis.core import QgsProcessingException, QgsProcessingFeedback
    fb = QgsProcessingFeedback()
    fb.cancel()
    out = tmp_path / "cancelled.tif"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg("glacvel:fuse_velocity", {"SOURCES": [products["L8"], products["S2"]],
                                          "WEIGHTS": "L8=0.5,S2=0.5", "TARGET_RESOLUTION": 240,
                                          "OUTPUT": str(out)}, feedback=fb)
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg("glacvel:monthly_velocity", {"SOURCES": [products["S2"]],
                                             "TARGET_RESOLUTION": 240,
                                             "OUTPUT_FOLDER": str(tmp_path / "m")}, feedback=fb)
    assert not out.exists()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tif")]
    assert not (tmp_path / "m").exists() or not os.listdir(tmp_path / "m")


def test_fit_weights_cancel_reaches_the_bootstrap(run_alg, synthetic, tmp_path):
    """The algorithm hands the feedback's cancel to core.fusion.fit_weights: a cancel
    that becomes true only once the weight fit asks (after the reference sampling)
    stops the run, and no report is written."""
    import sys

    from qgis.core import QgsProcessingException, QgsProcessingFeedback

    class CancelInsideTheFit(QgsProcessingFeedback):
        asked_by_fit = 0

        def isCanceled(self):
            f = sys._getframe(1)
            while f is not None:
                if (f.f_code.co_name == "fit_weights"
                        and f.f_code.co_filename.endswith(os.path.join("core", "fusion.py"))):
                    CancelInsideTheFit.asked_by_fit += 1
                    return True
                f = f.f_back
            return super().isCanceled()

    p = synthetic["paths"]
    html = tmp_path / "fit.html"
    with pytest.raises(QgsProcessingException, match="Canceled"):
        run_alg("glacvel:fit_fusion_weights", {
            "SOURCES": [p["L8"], p["S2"], p["S1"]], "REFERENCE_RASTER": p["UAV"],
            "REFERENCE_POLYGONS": polygon_layer(synthetic["boxes"]), "TARGET_RESOLUTION": RES,
            "OUTPUT_HTML": str(html)}, feedback=CancelInsideTheFit())
    assert CancelInsideTheFit.asked_by_fit == 1
    assert not html.exists()
