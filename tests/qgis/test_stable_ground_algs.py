"""glacvel:stable_ground_correction and glacvel:stable_ground_error through processing.run.

Real data: the GLAFT demo (Kaskawulsh, Landsat 8 2018-03-04 → 04-05, 60 m) with its
stable-ground polygons and inward-buffered outline, checked against the ``glaft``
package itself. Synthetic products (known offset, plane, noise) check the recovery.
"""
import math
import os
import warnings

import numpy as np
import pytest
import rasterio
import rasterio.features
from affine import Affine
from qgis.core import (QgsFeature, QgsGeometry, QgsPointXY, QgsProcessingException,
                       QgsRectangle, QgsVectorLayer)

from glacvel_plugin.io.product import read_product, standard_tags, write_product
from tests.conftest import test_data

DEMO = ("kaskawulsh_glaft_demo",)
VX = "20180304-20180405_velo-raw_vx.tif"
VY = "20180304-20180405_velo-raw_vy.tif"
BEDROCK = "bedrock_V2.shp"
INTERIOR = "glacier_V1_Kaskawulsh_s_inwardBuffer600m.shp"


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def glaft_peer():
    """GLAFT 1.0.0's own metrics 1 and 2 on its demo inputs."""
    metrics = pytest.importorskip("glaft.metrics")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = dict(vxfile=test_data(*DEMO, VX), vyfile=test_data(*DEMO, VY),
                  static_area=test_data(*DEMO, BEDROCK),
                  on_ice_area=test_data(*DEMO, INTERIOR))
        peer = metrics.Velocity(**kw)
        peer.static_terrain_analysis()
        out = dict(delta_u=peer.metric_static_terrain_x, delta_v=peer.metric_static_terrain_y,
                   n=peer.xy.shape[1])
        peer.longitudinal_shear_analysis()
    out.update(delta_xx=peer.metric_alongflow_normal, delta_xy=peer.metric_alongflow_shear)
    return out


@pytest.fixture(scope="module")
def demo_product(glacvel_processing, tmp_path_factory):
    import shutil

    import processing
    folder = tmp_path_factory.mktemp("sg")
    # private copies: loading a raster layer lets GDAL write .aux.xml beside the file
    for name in (VX, VY):
        shutil.copy(test_data(*DEMO, name), folder / name)
    out = str(folder / "kaskawulsh_demo.tif")
    processing.run("glacvel:import_velocity", {
        "VX": str(folder / VX), "VY": str(folder / VY), "SENSOR": "Landsat-8",
        "OUTPUT": out})
    return out


CRS = rasterio.crs.CRS.from_epsg(32607)
TRANSFORM = Affine(30.0, 0, 500000.0, 0, -30.0, 6700000.0)
SHAPE = (200, 240)


def _xy(col, row):
    return 500000.0 + 30.0 * col, 6700000.0 - 30.0 * row


def _polygon_layer(rects, crs="EPSG:32607", kind="Polygon"):
    """Memory layer of rectangles given in pixel (col0, row0, col1, row1) of the synthetic grid."""
    layer = QgsVectorLayer(f"{kind}?crs={crs}", "polys", "memory")
    feats = []
    for c0, r0, c1, r1 in rects:
        x0, y0 = _xy(c0, r0)
        x1, y1 = _xy(c1, r1)
        f = QgsFeature()
        if kind == "Polygon":
            f.setGeometry(QgsGeometry.fromRect(QgsRectangle(x0, y1, x1, y0)))
        elif kind == "LineString":
            f.setGeometry(QgsGeometry.fromPolylineXY([QgsPointXY(x0, y0), QgsPointXY(x1, y1)]))
        else:
            f.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(x0, y0)))
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    return layer


GLACIER = (70, 60, 170, 140)            # pixel rectangle of the moving "glacier"
STABLE_RECTS = [(0, 0, 240, 50), (0, 150, 240, 200), (0, 50, 60, 150), (180, 50, 240, 150)]


def _synthetic(path, offset=(0.31, -0.17), sigma=0.05, plane=None, seed=0, units="m/d"):
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    vx = offset[0] + rng.normal(0, sigma, SHAPE)
    vy = offset[1] + rng.normal(0, sigma, SHAPE)
    if plane is not None:
        vx += plane[0] * cols + plane[1] * rows
    c0, r0, c1, r1 = GLACIER
    vx[r0:r1, c0:c1] += 1.2
    vy[r0:r1, c0:c1] -= 0.4
    vx, vy = vx.astype(np.float32), vy.astype(np.float32)
    import datetime as dt
    tags = standard_tags("synthetic", dt.datetime(2020, 7, 1), dt.datetime(2020, 7, 17),
                         "test", units=units)
    days = 16 if units == "m/d" else 16 / 365.25       # dx, dy: metres over the 16 d
    bands = {"v": np.hypot(vx, vy), "vx": vx, "vy": vy, "dx": vx * days, "dy": vy * days,
             "quality": np.full(SHAPE, 0.9, np.float32)}
    write_product(path, bands, TRANSFORM, CRS, tags)
    return path


# ----------------------------------------------------------------------------- peer check
def test_error_metrics_agree_with_glaft_on_its_demo(run_alg, demo_product, glaft_peer, tmp_path):
    fiona = pytest.importorskip("fiona")
    res = run_alg("glacvel:stable_ground_error", {
        "INPUT": demo_product, "STABLE_GROUND": test_data(*DEMO, BEDROCK),
        "GLACIER_INTERIOR": test_data(*DEMO, INTERIOR),
        "OUTPUT_TABLE": str(tmp_path / "stats.gpkg"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "OUTPUT_ERROR": str(tmp_path / "err.tif")})
    assert res["N_PIXELS"] == glaft_peer["n"]
    assert res["DELTA_U"] == pytest.approx(glaft_peer["delta_u"], rel=0.01)
    assert res["DELTA_V"] == pytest.approx(glaft_peer["delta_v"], rel=0.01)
    # metric 2: glacvel reports physical strain rates; GLAFT's are scipy-Sobel 8x
    assert 8 * res["DELTA_XY_STRAIN"] == pytest.approx(glaft_peer["delta_xy"], rel=0.01)
    assert 8 * res["DELTA_XX_STRAIN"] == pytest.approx(glaft_peer["delta_xx"], rel=0.01)
    # plain statistics, recomputed here from the rasters
    with rasterio.open(test_data(*DEMO, VX)) as a, rasterio.open(test_data(*DEMO, VY)) as b:
        vx, vy = a.read(1).astype(float), b.read(1).astype(float)
        with fiona.open(test_data(*DEMO, BEDROCK)) as src:
            m = rasterio.features.geometry_mask([f["geometry"] for f in src], vx.shape,
                                                a.transform, invert=True)
    m &= (vx > -9998) & (vy > -9998)
    assert res["MEAN_VX"] == pytest.approx(vx[m].mean(), abs=1e-6)
    assert res["STD_VY"] == pytest.approx(vy[m].std(ddof=1), rel=1e-5)
    nmad = 1.4826 * np.median(np.abs(vx[m] - np.median(vx[m])))
    assert res["NMAD_VX"] == pytest.approx(nmad, rel=1e-5)
    assert res["MEAN_V"] == pytest.approx(np.hypot(vx[m], vy[m]).mean(), rel=1e-5)
    # outputs: error bands for fusion, table, report with two embedded figures
    p = read_product(res["OUTPUT_ERROR"])
    assert {"v", "vx", "vy", "vx_error", "vy_error", "v_error"} <= set(p.bands)
    rmse_x = math.sqrt(np.mean(vx[m] ** 2))
    assert np.nanmax(p.band("vx_error")) == pytest.approx(rmse_x, rel=1e-5)
    assert float(p.tags["SE_DELTA_U"]) == pytest.approx(res["DELTA_U"], rel=1e-5)
    html = open(res["OUTPUT_REPORT"], encoding="utf-8").read()
    assert html.count("data:image/png;base64") == 2 and "delta_u" in html
    table = QgsVectorLayer(res["OUTPUT_TABLE"], "t", "ogr")
    rows = {(f["component"], f["statistic"]): f["value"] for f in table.getFeatures()}
    assert rows[("vx", "glaft_delta_u")] == pytest.approx(res["DELTA_U"], rel=1e-6)
    assert rows[("vy", "nmad")] == pytest.approx(res["NMAD_VY"], rel=1e-6)


def test_correction_on_demo_then_error_is_centred(run_alg, demo_product, tmp_path):
    corr = run_alg("glacvel:stable_ground_correction", {
        "INPUT": demo_product, "STABLE_GROUND": test_data(*DEMO, BEDROCK),
        "OUTPUT": str(tmp_path / "corr.tif")})
    assert corr["STABLE_SOURCE"] == "polygons" and corr["MODEL"] == "constant"
    # held-out residual mean is small compared with the offset and the spread
    assert abs(corr["MEAN_VX"]) < 0.2 * corr["STD_VX"]
    err = run_alg("glacvel:stable_ground_error", {
        "INPUT": corr["OUTPUT"], "STABLE_GROUND": test_data(*DEMO, BEDROCK),
        "OUTPUT_TABLE": "TEMPORARY_OUTPUT", "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "ERROR_MEASURE": 1, "OUTPUT_ERROR": str(tmp_path / "e.tif")})
    assert abs(err["MEAN_VX"]) < 0.2 * err["STD_VX"]
    # robust per-pixel error: sqrt(median^2 + NMAD^2), far below the outlier-laden RMSE
    e = read_product(err["OUTPUT_ERROR"])
    robust = math.hypot(err["MEDIAN_VY"], err["NMAD_VY"])
    assert np.nanmax(e.band("vy_error")) == pytest.approx(robust, rel=1e-5)
    assert err["SIGMA_VY"] == pytest.approx(robust) and robust < 0.3 * err["RMSE_VY"]
    assert "DELTA_XY_STRAIN" not in err
    p = read_product(corr["OUTPUT"])
    assert float(p.tags["SG_OFFSET_VX"]) == pytest.approx(corr["OFFSET_VX"], rel=1e-5)
    raw = read_product(demo_product)
    d = raw.band("vx") - p.band("vx")
    assert np.nanmax(np.abs(d - corr["OFFSET_VX"])) < 1e-5
    # automatic stable ground finds the offset to within the noise on this scene
    # (measured: vx -0.0146 both ways; vy 0.0 automatic vs -0.0293 m/d on the bedrock
    # polygons: the slowest quarter also takes slow snow/firn, and CARST's offsets are
    # quantised in steps of 0.0146 m/d)
    auto = run_alg("glacvel:stable_ground_correction", {
        "INPUT": demo_product, "OUTPUT": str(tmp_path / "auto.tif")})
    assert auto["STABLE_SOURCE"] == "automatic"
    assert abs(auto["OFFSET_VX"] - corr["OFFSET_VX"]) < 0.6 * corr["NMAD_VX"]
    assert abs(auto["OFFSET_VY"] - corr["OFFSET_VY"]) < 0.6 * corr["NMAD_VY"]
    assert read_product(auto["OUTPUT"]).tags["SG_SOURCE"] == "automatic"


# ----------------------------------------------------------------------------- synthetic
def test_known_constant_offset_recovered(run_alg, tmp_path):
    src = _synthetic(str(tmp_path / "syn.tif"), offset=(0.31, -0.17), sigma=0.05)
    res = run_alg("glacvel:stable_ground_correction", {
        "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
        "OUTPUT": str(tmp_path / "corr.tif")})
    assert abs(res["OFFSET_VX"] - 0.31) < 0.1 * 0.05
    assert abs(res["OFFSET_VY"] + 0.17) < 0.1 * 0.05
    assert res["STD_VX"] == pytest.approx(0.05, rel=0.05)
    assert res["STD_VY"] == pytest.approx(0.05, rel=0.05)
    p = read_product(res["OUTPUT"])
    c0, r0, c1, r1 = GLACIER
    glacier_vx = p.band("vx")[r0 + 5:r1 - 5, c0 + 5:c1 - 5]
    assert np.mean(glacier_vx) == pytest.approx(1.2, abs=0.01)     # ice keeps its motion
    np.testing.assert_allclose(p.band("dx"), p.band("vx") * 16, rtol=1e-5)
    assert p.tags["SG_SOURCE"] == "polygons" and p.tags["SENSOR"] == "synthetic"
    assert float(p.band("vx_error")[0, 0]) == pytest.approx(res["RMSE_VX"], rel=1e-5)
    assert "quality" in p.bands
    # stable ground from glacier outlines with a buffer gives the same offset
    res2 = run_alg("glacvel:stable_ground_correction", {
        "INPUT": src, "GLACIER_OUTLINES": _polygon_layer([GLACIER]), "BUFFER": 150,
        "OUTPUT": str(tmp_path / "corr2.tif")})
    assert res2["STABLE_SOURCE"] == "outlines"
    assert abs(res2["OFFSET_VX"] - 0.31) < 0.1 * 0.05
    n_out = SHAPE[0] * SHAPE[1] - (c1 - c0 + 10) * (r1 - r0 + 10)   # 5 px = 150 m ring
    assert res2["N_FIT"] + res2["N_EVAL"] == pytest.approx(n_out, rel=0.01)


def test_known_plane_recovered_and_plane_refused_on_a_strip(run_alg, tmp_path):
    a, b = 0.002, -0.0015
    src = _synthetic(str(tmp_path / "plane.tif"), offset=(0.1, 0.05), sigma=0.02,
                     plane=(a, b), seed=1)
    res = run_alg("glacvel:stable_ground_correction", {
        "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS), "MODEL": 1,
        "OUTPUT": str(tmp_path / "corr.tif")})
    p = read_product(res["OUTPUT"])
    coef = [float(c) for c in p.tags["SG_COEF_VX"].split()]
    assert np.all(np.abs(np.array(coef) - [0.1, a, b]) < [0.003, 3e-5, 3e-5])
    centre = 0.1 + a * (SHAPE[1] - 1) / 2 + b * (SHAPE[0] - 1) / 2
    assert res["OFFSET_VX"] == pytest.approx(centre, abs=0.003)
    assert res["STD_VX"] == pytest.approx(0.02, rel=0.05)
    # the tilt is gone from the corrected stable ground
    cvx = p.band("vx")
    assert abs(np.mean(cvx[:40, :40]) - np.mean(cvx[-40:, -40:])) < 0.005
    with pytest.raises(QgsProcessingException, match="does not span the scene"):
        run_alg("glacvel:stable_ground_correction", {
            "INPUT": src, "STABLE_GROUND": _polygon_layer([(0, 0, 240, 25)]), "MODEL": 1,
            "OUTPUT": str(tmp_path / "strip.tif")})
    assert not (tmp_path / "strip.tif").exists()


# ----------------------------------------------------------------------------- bad input
def _no_output(folder, *names):
    return not any(os.path.exists(os.path.join(folder, n)) for n in names)


@pytest.mark.parametrize("alg", ["glacvel:stable_ground_correction", "glacvel:stable_ground_error"])
def test_polygons_missing_the_raster_are_refused(run_alg, tmp_path, alg):
    src = _synthetic(str(tmp_path / "s.tif"))
    far = _polygon_layer([(5000, 5000, 5100, 5100)])
    params = {"INPUT": src, "STABLE_GROUND": far, "OUTPUT": str(tmp_path / "o.tif"),
              "OUTPUT_TABLE": str(tmp_path / "t.csv"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
              "OUTPUT_ERROR": str(tmp_path / "e.tif")}
    with pytest.raises(QgsProcessingException, match="covers no pixel of the product"):
        run_alg(alg, params)
    assert _no_output(tmp_path, "o.tif", "t.csv", "r.html", "e.tif")


@pytest.mark.parametrize("alg", ["glacvel:stable_ground_correction", "glacvel:stable_ground_error"])
def test_too_few_stable_pixels_are_refused(run_alg, tmp_path, alg):
    src = _synthetic(str(tmp_path / "s.tif"))
    tiny = _polygon_layer([(2, 2, 6, 6)])            # 16 pixels
    with pytest.raises(QgsProcessingException, match="at least 30"):
        run_alg(alg, {"INPUT": src, "STABLE_GROUND": tiny, "OUTPUT": str(tmp_path / "o.tif"),
                      "OUTPUT_TABLE": str(tmp_path / "t.csv"),
                      "OUTPUT_REPORT": str(tmp_path / "r.html"),
                      "OUTPUT_ERROR": str(tmp_path / "e.tif")})
    assert _no_output(tmp_path, "o.tif", "t.csv", "r.html", "e.tif")


@pytest.mark.parametrize("kind", ["Point", "LineString"])
def test_point_or_line_layer_as_stable_ground_is_refused(run_alg, tmp_path, kind):
    src = _synthetic(str(tmp_path / "s.tif"))
    with pytest.raises(QgsProcessingException, match="STABLE_GROUND must be a polygon layer"):
        run_alg("glacvel:stable_ground_correction", {
            "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS, kind=kind),
            "OUTPUT": str(tmp_path / "o.tif")})
    assert not (tmp_path / "o.tif").exists()


def test_polygons_in_another_crs_are_reprojected(run_alg, demo_product, tmp_path):
    import processing
    geo = processing.run("native:reprojectlayer", {
        "INPUT": test_data(*DEMO, BEDROCK), "TARGET_CRS": "EPSG:4326",
        "OUTPUT": str(tmp_path / "bedrock_wgs84.gpkg")})["OUTPUT"]
    common = {"INPUT": demo_product, "OUTPUT_TABLE": "TEMPORARY_OUTPUT",
              "OUTPUT_REPORT": str(tmp_path / "r.html"), "OUTPUT_ERROR": "TEMPORARY_OUTPUT"}
    utm = run_alg("glacvel:stable_ground_error",
                  dict(common, STABLE_GROUND=test_data(*DEMO, BEDROCK)))
    wgs = run_alg("glacvel:stable_ground_error", dict(common, STABLE_GROUND=geo))
    assert wgs["N_PIXELS"] == pytest.approx(utm["N_PIXELS"], rel=0.005)
    assert wgs["DELTA_U"] == pytest.approx(utm["DELTA_U"], rel=0.02)


def test_product_without_vx_vy_is_refused(run_alg, tmp_path):
    src = str(tmp_path / "speed_only.tif")
    import datetime as dt
    write_product(src, {"v": np.ones(SHAPE, np.float32)}, TRANSFORM, CRS,
                  standard_tags("x", dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2), "t"))
    for alg in ("glacvel:stable_ground_correction", "glacvel:stable_ground_error"):
        with pytest.raises(QgsProcessingException, match="no band.*vx.*import_velocity"):
            run_alg(alg, {"INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
                          "OUTPUT": str(tmp_path / "o.tif"),
                          "OUTPUT_TABLE": str(tmp_path / "t.csv"),
                          "OUTPUT_REPORT": str(tmp_path / "r.html"),
                          "OUTPUT_ERROR": str(tmp_path / "e.tif")})
    assert _no_output(tmp_path, "o.tif", "t.csv", "r.html", "e.tif")


def test_error_statistics_of_a_known_noise_from_glacier_outlines(run_alg, tmp_path):
    sigma, ox, oy = 0.05, 0.31, -0.17
    src = _synthetic(str(tmp_path / "s.tif"), offset=(ox, oy), sigma=sigma, seed=7)
    res = run_alg("glacvel:stable_ground_error", {
        "INPUT": src, "GLACIER_OUTLINES": _polygon_layer([GLACIER]), "BUFFER": 150,
        "OUTPUT_TABLE": "TEMPORARY_OUTPUT", "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "OUTPUT_ERROR": str(tmp_path / "e.tif")})
    assert res["STABLE_SOURCE"] == "outlines"
    assert res["MEAN_VX"] == pytest.approx(ox, abs=0.1 * sigma)
    assert res["STD_VY"] == pytest.approx(sigma, rel=0.05)
    assert res["NMAD_VX"] == pytest.approx(sigma, rel=0.05)
    # GLAFT's 2-sigma contour half-range of a normal sample is close to 2 sigma
    assert res["DELTA_U"] == pytest.approx(2 * sigma, rel=0.15)
    assert res["DELTA_V"] == pytest.approx(2 * sigma, rel=0.15)
    e = read_product(res["OUTPUT_ERROR"])
    assert np.nanmax(e.band("vx_error")) == pytest.approx(math.hypot(ox, sigma), rel=0.02)
    vx, vy, ve = e.band("vx"), e.band("vy"), e.band("v_error")
    i = (100, 100)                                   # a glacier pixel
    expect = math.hypot(res["RMSE_VX"] * vx[i], res["RMSE_VY"] * vy[i]) / math.hypot(vx[i], vy[i])
    assert ve[i] == pytest.approx(expect, rel=1e-5)


def test_cancel_leaves_no_output(glacvel_processing, tmp_path):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject
    src = _synthetic(str(tmp_path / "s.tif"))
    feedback = QgsProcessingFeedback()
    feedback.cancel()
    context = QgsProcessingContext()
    context.setProject(QgsProject.instance())
    with pytest.raises(QgsProcessingException, match="Canceled"):
        processing.run("glacvel:stable_ground_error", {
            "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
            "OUTPUT_TABLE": str(tmp_path / "t.csv"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
            "OUTPUT_ERROR": str(tmp_path / "e.tif")}, context=context, feedback=feedback)
    assert _no_output(tmp_path, "t.csv", "r.html", "e.tif")


def test_error_with_only_the_error_product_requested(run_alg, tmp_path):
    """OUTPUT_TABLE and OUTPUT_REPORT are optional: a run asking only for OUTPUT_ERROR works."""
    src = _synthetic(str(tmp_path / "syn.tif"), offset=(0.0, 0.0), sigma=0.05)
    res = run_alg("glacvel:stable_ground_error", {
        "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
        "OUTPUT_TABLE": None, "OUTPUT_REPORT": None,
        "OUTPUT_ERROR": str(tmp_path / "err.tif")})
    assert "OUTPUT_TABLE" not in res and "OUTPUT_REPORT" not in res
    assert res["STD_VX"] == pytest.approx(0.05, rel=0.05)
    assert "v_error" in read_product(res["OUTPUT_ERROR"]).bands
    assert sorted(os.listdir(tmp_path)) == ["err.tif", "syn.tif"]


def _band_units(path):
    with rasterio.open(path) as ds:
        return {ds.descriptions[i]: ds.tags(i + 1).get("UNITS") for i in range(ds.count)}


def test_m_per_year_product_keeps_its_units_in_band_tags_and_dx(run_alg, tmp_path):
    """A product in m/yr (dataset tag UNITS) stays in m/yr: corrected/error bands are
    tagged m/yr, dx/dy are metres over the 16-day baseline (vx * 16 / 365.25)."""
    src = _synthetic(str(tmp_path / "yr.tif"), offset=(0.31, -0.17), sigma=0.05, units="m/yr")
    res = run_alg("glacvel:stable_ground_correction", {
        "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
        "OUTPUT": str(tmp_path / "corr.tif")})
    assert abs(res["OFFSET_VX"] - 0.31) < 0.1 * 0.05
    p = read_product(res["OUTPUT"])
    assert p.tags["UNITS"] == "m/yr"
    np.testing.assert_allclose(p.band("dx"), p.band("vx") * 16 / 365.25, rtol=1e-5)
    np.testing.assert_allclose(p.band("dy"), p.band("vy") * 16 / 365.25, rtol=1e-5)
    u = _band_units(res["OUTPUT"])
    for name in ("v", "vx", "vy", "vx_error", "vy_error", "v_error"):
        assert u[name] == "m/yr", (name, u)
    assert u["dx"] == u["dy"] == "m"

    err = run_alg("glacvel:stable_ground_error", {
        "INPUT": src, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
        "OUTPUT_TABLE": str(tmp_path / "t.csv"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "OUTPUT_ERROR": str(tmp_path / "e.tif")})
    u = _band_units(err["OUTPUT_ERROR"])
    for name in ("v", "vx", "vy", "vx_error", "vy_error", "v_error"):
        assert u[name] == "m/yr", (name, u)
    assert u["dx"] == u["dy"] == "m"
    table = QgsVectorLayer(err["OUTPUT_TABLE"], "t", "ogr")
    units = {(f["component"], f["statistic"]): f["units"] for f in table.getFeatures()}
    assert units[("vx", "rmse")] == units[("vx", "glaft_delta_u")] == "m/yr"
    assert units[("vx", "n")] in ("", None)
    with open(err["OUTPUT_REPORT"], encoding="utf-8") as fh:
        html = fh.read()
    # "(" is not a base64 character, so this does not look inside the embedded figures
    assert "Velocities in m/yr" in html and ">m/d<" not in html and "(m/d)" not in html

    # an m/d product is still tagged m/d
    src_d = _synthetic(str(tmp_path / "d.tif"))
    res = run_alg("glacvel:stable_ground_correction", {
        "INPUT": src_d, "STABLE_GROUND": _polygon_layer(STABLE_RECTS),
        "OUTPUT": str(tmp_path / "corr_d.tif")})
    assert _band_units(res["OUTPUT"])["vx_error"] == "m/d"
