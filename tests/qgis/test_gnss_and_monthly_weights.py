"""glacvel:import_gnss and per-month fusion weights, on the real Kaskawulsh data in the repo.

Data: demo/data/kaskawulsh (CARST bedrock-corrected Landsat-8 2018-03-04→04-05 and
Sentinel-2 2018-03-04→03-14 vx/vy/errx/erry, 120 m, EPSG:32607, and the GNSS CSVs of
those two periods; whyjz/glacier-ft-test at commit c438a25, GPL-3.0 at that commit).
"""
import os

import pytest

from tests.conftest import ROOT

DEMO = os.path.join(ROOT, "demo", "data", "kaskawulsh")
GPS = os.path.join(DEMO, "gps")
GPS_FILES = sorted(os.path.join(GPS, f) for f in os.listdir(GPS))


def _layer(path):
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(path, "gnss", "ogr")
    assert lyr.isValid()
    return lyr


def test_import_gnss_kaskawulsh(run_alg, tmp_path):
    out = str(tmp_path / "gnss.gpkg")
    res = run_alg("glacvel:import_gnss", {"INPUT": GPS_FILES, "LAYOUT": 0, "OUTPUT": out})
    assert res["N_STATIONS"] == 5 and res["N_SKIPPED"] == 1
    lyr = _layer(res["OUTPUT"])
    assert lyr.crs().authid() == "EPSG:32607"
    feats = {(f["station"], f["days"]): f for f in lyr.getFeatures()}
    f = feats[("0", 32.0)]
    assert f["vx"] == pytest.approx(8.6812777086 / 32, abs=1e-6)
    assert f["vy"] == pytest.approx(10.9927393771 / 32, abs=1e-6)
    assert f["start_date"].date().toString("yyyy-MM-dd") == "2018-03-04"
    assert f["end_date"].date().toString("yyyy-MM-dd") == "2018-04-05"
    p = f.geometry().asPoint()
    assert p.x() == pytest.approx((621315.1008197918 + 621306.4195420832) / 2, abs=1e-3)


def test_import_gnss_errors_name_file_line_column(run_alg, tmp_path):
    from qgis.core import QgsProcessingException
    bad = tmp_path / "stations.csv"
    bad.write_text(",date1,date2,start_easting,start_northing,end_easting,end_northing\n"
                   "0,2018-04-05,2018-03-04,621315.1,6738840.4,621306.4,abc\n")
    with pytest.raises(QgsProcessingException,
                       match=r"stations.csv, line 2, column 'end_northing': 'abc' is not a number"):
        run_alg("glacvel:import_gnss", {"INPUT": [str(bad)], "OUTPUT": "memory:"})
    with pytest.raises(QgsProcessingException, match="geographic"):
        run_alg("glacvel:import_gnss", {"INPUT": GPS_FILES, "CRS": "EPSG:4326",
                                        "OUTPUT": "memory:"})


# --------------------------------------------------------------------------- monthly weights
CROPS = os.path.join(ROOT, "tests", "data", "fusion_kaskawulsh")
ALL_GPS = sorted(os.path.join(CROPS, "gps", f) for f in os.listdir(os.path.join(CROPS, "gps")))
PAIRS = [(DEMO, "LS8-061018_20180304-20180405", "L8"),
         (DEMO, "Sen2-Orb14_20180304-20180314", "S2"),
         (CROPS, "Sen2-Orb14_20180508-20180518", "S2"),
         (CROPS, "LS8-062017_20180802-20180818", "L8")]


def _carst_product(folder, src, stem, sensor):
    from tests.helpers import carst_product
    return carst_product(folder, stem, sensor, src)


@pytest.fixture(scope="module")
def kask(tmp_path_factory, glacvel_processing):
    d = tmp_path_factory.mktemp("kask_monthly")
    paths = [_carst_product(d, *p) for p in PAIRS]
    from tests.conftest import _ensure_glacvel_provider  # noqa: F401  (provider is set up)
    import sys
    if "/usr/share/qgis/python/plugins" not in sys.path:
        sys.path.append("/usr/share/qgis/python/plugins")
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback
    res = processing.run("glacvel:import_gnss", {"INPUT": ALL_GPS, "OUTPUT": str(d / "gnss.gpkg")},
                         context=QgsProcessingContext(), feedback=QgsProcessingFeedback())
    return {"paths": paths, "gnss": res["OUTPUT"], "dir": d}


def test_monthly_weights_fitted_per_month_on_real_gnss(run_alg, kask):
    import csv

    from glacvel_plugin.io.product import read_product
    folder = kask["dir"] / "fit"
    res = run_alg("glacvel:monthly_velocity", {
        "SOURCES": kask["paths"], "REFERENCE_POINTS": kask["gnss"], "ID_FIELD": "station",
        "METHOD": 0, "MIN_REFERENCE_GROUPS": 2, "TARGET_RESOLUTION": 120,
        "SOURCE_COMPOSITES": True, "OUTPUT_FOLDER": str(folder)})
    assert res["MONTHS_WRITTEN"] == "201803,201805,201808"
    # March: L8 and S2, fitted on the three stations' March GNSS (S2 is 0.6 m/d off at
    # station 2, so the constrained fit gives it no weight); May and August one sensor
    assert res["WEIGHTS_BASIS"] == {"201803": "month", "201805": "single-source",
                                    "201808": "single-source"}
    assert res["MONTH_WEIGHTS"]["201803"] == pytest.approx({"L8": 1.0, "S2": 0.0}, abs=1e-6)
    march = read_product(str(folder / "201803.tif"), ("vx",))
    assert march.tags["SENSOR"] == "FUSED" and march.tags["WEIGHTS"] == "L8=1,S2=0"
    assert march.tags["WEIGHTS_BASIS"] == "month"
    assert "3 station(s)" in march.tags["WEIGHTS_NOTE"]
    assert "OUTLIERS" in march.tags
    # composites of one sensor keep its name
    assert read_product(str(folder / "201805.tif"), ("vx",)).tags["SENSOR"] == "S2"
    assert read_product(str(folder / "201808.tif"), ("vx",)).tags["SENSOR"] == "L8"
    assert {k: os.path.basename(v) for k, v in res["SOURCE_FILES"]["201803"].items()} == {
        "L8": "201803_L8.tif", "S2": "201803_S2.tif"}
    # the table: one row per month written, weights and held-out RMSE
    with open(res["OUTPUT_TABLE"], newline="") as f:
        rows = {r["month"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"201803", "201805", "201808"}
    assert float(rows["201803"]["W_L8"]) == pytest.approx(1.0)
    assert rows["201803"]["heldout_groups"] == "3"
    # per-sensor monthly composites are accepted by fit_fusion_weights
    fit = run_alg("glacvel:fit_fusion_weights", {
        "SOURCES": [str(folder / "201803_L8.tif"), str(folder / "201803_S2.tif")],
        "REFERENCE_POINTS": kask["gnss"], "ID_FIELD": "station", "TARGET_RESOLUTION": 120})
    assert set(fit["WEIGHTS"]) == {"L8", "S2"}


def test_monthly_heldout_fused_no_worse_than_best_single_source(run_alg, kask):
    """The goal on the real March pairs with the defaults (error-calibrated weights with
    the fallback, local scatter, outlier test): leave-one-station-out vector RMSE of the
    fused March product ≤ that of Landsat-8 and of Sentinel-2 alone, and fused coverage
    of the grid ≥ each source's."""
    from glacvel_plugin.io.product import read_product
    import numpy as np
    folder = kask["dir"] / "defaults"
    res = run_alg("glacvel:monthly_velocity", {
        "SOURCES": kask["paths"][:2], "REFERENCE_POINTS": kask["gnss"], "ID_FIELD": "station",
        "TARGET_RESOLUTION": 120, "SOURCE_COMPOSITES": True, "OUTPUT_FOLDER": str(folder),
        "OUTPUT_HTML": str(kask["dir"] / "monthly.html")})
    (row,) = res["VALIDATION"]
    html = open(res["OUTPUT_HTML"]).read()
    assert "Held-out validation" in html and "201803" in html and "inverse-variance" in html
    assert row["month"] == "201803" and row["groups"] == 3
    # three stations are fewer than MIN_REFERENCE_GROUPS (4): per-pixel inverse variance
    assert res["WEIGHTS_BASIS"]["201803"] == "inverse-variance"
    src = row["source_rmse"]
    assert src["L8"] < src["S2"]
    assert row["fused_rmse"] <= src["L8"]
    assert row["fused_rmse"] == pytest.approx(0.118, abs=0.01)
    assert src["L8"] == pytest.approx(0.139, abs=0.005) and src["S2"] == pytest.approx(0.42, abs=0.01)
    # local scatter makes S2's error band honest at its edge: the σ check drops from 2.7
    assert row["source_z"]["S2"] < 2.6
    fused = np.isfinite(read_product(str(folder / "201803.tif"), ("vx",)).bands["vx"]).sum()
    for name, p in res["SOURCE_FILES"]["201803"].items():
        assert fused >= np.isfinite(read_product(p, ("vx",)).bands["vx"]).sum()
    # without the outlier test and the local scatter, the same fusion is worse than L8
    plain = run_alg("glacvel:monthly_velocity", {
        "SOURCES": kask["paths"][:2], "REFERENCE_POINTS": kask["gnss"], "ID_FIELD": "station",
        "TARGET_RESOLUTION": 120, "ROBUST": 0, "LOCAL_SCATTER": 0,
        "OUTPUT_FOLDER": str(kask["dir"] / "plain")})
    assert plain["VALIDATION"][0]["fused_rmse"] > 1.2 * src["L8"]


def test_monthly_weights_need_dated_reference(run_alg, kask, tmp_path):
    from qgis.core import (QgsFeature, QgsField, QgsGeometry, QgsPointXY,
                           QgsProcessingException, QgsVectorLayer)
    from qgis.PyQt.QtCore import QVariant
    lyr = QgsVectorLayer("Point?crs=EPSG:32607", "v", "memory")
    lyr.dataProvider().addAttributes([QgsField("vx", QVariant.Double),
                                      QgsField("vy", QVariant.Double)])
    lyr.updateFields()
    f = QgsFeature(lyr.fields())
    f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(621311, 6738835)))
    f.setAttributes([0.27, 0.34])
    lyr.dataProvider().addFeatures([f])
    with pytest.raises(QgsProcessingException, match="need the period of every reference"):
        run_alg("glacvel:monthly_velocity", {"SOURCES": kask["paths"][:2],
                                             "REFERENCE_POINTS": lyr, "TARGET_RESOLUTION": 120,
                                             "OUTPUT_FOLDER": str(tmp_path / "x")})
    with pytest.raises(QgsProcessingException, match="not both"):
        run_alg("glacvel:monthly_velocity", {"SOURCES": kask["paths"][:2], "WEIGHTS": "L8=1,S2=0",
                                             "REFERENCE_POINTS": kask["gnss"],
                                             "TARGET_RESOLUTION": 120,
                                             "OUTPUT_FOLDER": str(tmp_path / "y")})


# --------------------------------------------------------------------------- outline coverage
OUTLINE = os.path.join(CROPS, "outline", "glacier_V1_Kaskawulsh_s_inwardBuffer600m.shp")


def test_glacier_statistics_coverage_is_of_the_outline(run_alg, kask):
    """Sentinel-2's footprint ends west of x = 600 360 m, inside the outline: its coverage
    is of the whole outline (≈ 0.8), not of the part inside its footprint (≈ 1)."""
    folder = kask["dir"] / "cover"
    m = run_alg("glacvel:monthly_velocity", {
        "SOURCES": kask["paths"][:2], "TARGET_RESOLUTION": 120, "SOURCE_COMPOSITES": True,
        "OUTPUT_FOLDER": str(folder)})
    comp = m["SOURCE_FILES"]["201803"]
    res = run_alg("glacvel:glacier_statistics", {
        "INPUT": [str(folder / "201803.tif")], "GLACIERS": OUTLINE, "OUTPUT": "TEMPORARY_OUTPUT"})
    fused = next(res["OUTPUT"].getFeatures())["v201803_cover"]
    cover = {}
    for name, p in comp.items():
        r = run_alg("glacvel:glacier_statistics", {"INPUT": [p], "GLACIERS": OUTLINE,
                                                    "OUTPUT": "TEMPORARY_OUTPUT"})
        f = next(r["OUTPUT"].getFeatures())
        cover[name] = f["v201803_cover"]
        total = f["v201803_count"] / f["v201803_cover"]
        # every product is divided by the same number of outline pixels (one 120 m grid)
        assert total == pytest.approx(next(res["OUTPUT"].getFeatures())["v201803_count"]
                                      / fused, rel=1e-9)
    assert 0.7 < cover["S2"] < 0.85
    assert cover["L8"] > 0.9
    assert fused >= max(cover.values())


def test_glacier_statistics_half_outside_the_raster(run_alg, tmp_path):
    import numpy as np
    from affine import Affine

    from glacvel_plugin.io.product import write_product
    t = Affine(100, 0, 600000, 0, -100, 6740000)
    v = np.full((50, 50), 0.5, np.float32) + np.arange(50, dtype=np.float32) * 1e-3
    prod = write_product(str(tmp_path / "202006.tif"), {"v": v, "vx": v, "vy": 0 * v}, t,
                         "EPSG:32607", {"UNITS": "m/d", "SENSOR": "S2"})
    # outline: cols 40..60 (half beyond the raster's east edge), rows 10..20
    from qgis.core import (QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer)
    lyr = QgsVectorLayer("Polygon?crs=EPSG:32607", "g", "memory")
    f = QgsFeature()
    f.setGeometry(QgsGeometry.fromRect(QgsRectangle(604000, 6738000, 606000, 6739000)))
    lyr.dataProvider().addFeatures([f])
    res = run_alg("glacvel:glacier_statistics", {"INPUT": [prod], "GLACIERS": lyr,
                                                  "OUTPUT": "TEMPORARY_OUTPUT"})
    g = next(res["OUTPUT"].getFeatures())
    assert g["v202006_count"] == 100 and g["v202006_cover"] == pytest.approx(0.5)


# --------------------------------------------------------------------------- raster reference
def test_monthly_weights_from_a_uav_raster_in_polygons(run_alg, tmp_path):
    """Synthetic March: L8 σ 0.03, S2 σ 0.06 (both with error bands), a UAV-like reference
    raster (truth + 0.005 m/d) dated 03-05→03-25 inside 12 polygons. The constrained fit of
    March tends to the inverse-variance optimum 0.8 / 0.2; April has no UAV survey and falls
    back to its neighbouring months (March)."""
    import datetime as dt

    import numpy as np
    from affine import Affine
    from qgis.core import QgsFeature, QgsField, QgsGeometry, QgsRectangle, QgsVectorLayer
    from qgis.PyQt.QtCore import QVariant

    from glacvel_plugin.io.product import read_product, standard_tags, write_product
    rng = np.random.default_rng(11)
    t = Affine(100, 0, 600000, 0, -100, 6740000)
    y, x = np.mgrid[0:80, 0:100].astype(float)
    tx = (0.2 + 0.8 * np.exp(-((y - 40) / 18) ** 2)).astype(np.float32)
    ty = (0.05 * np.sin(x / 15)).astype(np.float32)

    def product(name, sensor, t0, t1, sig, ref=False):
        vx = tx + rng.normal(0, sig, tx.shape).astype(np.float32)
        vy = ty + rng.normal(0, sig, ty.shape).astype(np.float32)
        bands = {"v": np.hypot(vx, vy), "vx": vx, "vy": vy}
        if not ref:
            bands["vx_error"] = bands["vy_error"] = np.full(tx.shape, sig, np.float32)
        return write_product(str(tmp_path / name), bands, t, "EPSG:32607",
                             standard_tags(sensor, t0, t1, "synthetic"))
    d = dt.datetime
    src = [product("l8_03.tif", "L8", d(2018, 3, 4), d(2018, 3, 20), 0.03),
           product("s2_03.tif", "S2", d(2018, 3, 6), d(2018, 3, 16), 0.06),
           product("l8_04.tif", "L8", d(2018, 4, 5), d(2018, 4, 21), 0.03),
           product("s2_04.tif", "S2", d(2018, 4, 7), d(2018, 4, 17), 0.06)]
    uav = product("uav.tif", "UAV", d(2018, 3, 5), d(2018, 3, 25), 0.005, ref=True)
    lyr = QgsVectorLayer("Polygon?crs=EPSG:32607", "ref", "memory")
    lyr.dataProvider().addAttributes([QgsField("id", QVariant.Int)])
    lyr.updateFields()
    feats = []
    for i, (r, c) in enumerate([(r, c) for r in (10, 35, 60) for c in (10, 35, 60, 85)]):
        f = QgsFeature(lyr.fields())
        x0, y1 = 600000 + c * 100, 6740000 - r * 100
        f.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y1 - 800, x0 + 800, y1)))
        f.setAttributes([i])
        feats.append(f)
    lyr.dataProvider().addFeatures(feats)
    folder = tmp_path / "m"
    res = run_alg("glacvel:monthly_velocity", {
        "SOURCES": src, "REFERENCE_RASTER": uav, "REFERENCE_POLYGONS": lyr, "METHOD": 0,
        "TARGET_RESOLUTION": 100, "OUTPUT_FOLDER": str(folder)})
    assert res["WEIGHTS_BASIS"] == {"201803": "month", "201804": "neighbours"}
    w = res["MONTH_WEIGHTS"]["201803"]
    assert w["L8"] == pytest.approx(0.8, abs=0.03) and w["S2"] == pytest.approx(0.2, abs=0.03)
    assert res["MONTH_WEIGHTS"]["201804"] == pytest.approx(w, abs=1e-9)
    tags = read_product(str(folder / "201804.tif"), ("vx",)).tags
    assert tags["WEIGHTS_BASIS"] == "neighbours" and "in 201803" in tags["WEIGHTS_NOTE"]
    (v,) = res["VALIDATION"]
    assert v["month"] == "201803" and v["groups"] == 12
    assert v["fused_rmse"] < v["source_rmse"]["L8"] < v["source_rmse"]["S2"]


def test_fuse_velocity_robust_keeps_s2_edge_out(run_alg, kask, tmp_path):
    """Station 2 (601 733 E, 6 733 711 N) lies 11 px from Sentinel-2's western edge, where
    S2 is ≈ 0.6 m/d off: the plain inverse-variance fusion gives S2 ≈ a quarter there; with
    local-scatter errors and the outlier test the fused vector stays with Landsat-8."""
    import numpy as np

    from glacvel_plugin.io.product import read_product
    out = {}
    for key, extra in (("plain", {}), ("robust", {"ROBUST": 9.21, "LOCAL_SCATTER": 5})):
        res = run_alg("glacvel:fuse_velocity", dict(
            {"SOURCES": kask["paths"][:2], "TARGET_RESOLUTION": 120,
             "OUTPUT": str(tmp_path / f"{key}.tif")}, **extra))
        out[key] = res
    prods = {k: read_product(v["OUTPUT"], ("vx", "vy")) for k, v in out.items()}
    l8 = read_product(kask["paths"][0], ("vx", "vy"))

    def at(p, x=601733.2, y=6733710.7):
        c, r = ~p.transform * (x, y)
        return np.array([p.bands["vx"][int(r), int(c)], p.bands["vy"][int(r), int(c)]])
    d_plain = np.hypot(*(at(prods["plain"]) - at(l8)))
    d_rob = np.hypot(*(at(prods["robust"]) - at(l8)))
    assert d_plain > 0.15 and d_rob < 0.05
    assert set(out["robust"]["OUTLIERS"]) == {"L8", "S2"} and out["robust"]["OUTLIERS"]["S2"] > 0
    assert read_product(out["robust"]["OUTPUT"], ("vx",)).tags["OUTLIERS"].startswith("L8=")
    assert "OUTLIERS" not in out["plain"]


def test_fused_products_of_one_sensor_keep_its_name(run_alg, kask, tmp_path):
    from glacvel_plugin.io.product import read_product
    l8 = [kask["paths"][0], kask["paths"][3]]          # March and August Landsat-8
    out = run_alg("glacvel:fuse_velocity", {"SOURCES": l8, "TARGET_RESOLUTION": 240,
                                            "OUTPUT": str(tmp_path / "l8.tif")})["OUTPUT"]
    assert read_product(out, ("vx",)).tags["SENSOR"] == "L8"
    both = run_alg("glacvel:fuse_velocity", {"SOURCES": kask["paths"][:2],
                                             "TARGET_RESOLUTION": 240,
                                             "OUTPUT": str(tmp_path / "both.tif")})["OUTPUT"]
    assert read_product(both, ("vx",)).tags["SENSOR"] == "FUSED"
