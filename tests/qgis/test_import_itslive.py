"""glacvel:import_velocity on ITS_LIVE image-pair granules.

No real ITS_LIVE granule ships with the repository, so each test writes one in the
layout autoRIFT's netCDF writer uses (int16 ``vx``/``vy``/``v``/``v_error`` in
meter/year with ``_FillValue`` -32767, ``x``/``y`` pixel-centre coordinates, a
``mapping`` grid-mapping variable, pair dates in ``img_pair_info``) carrying the REAL
CARST Kaskawulsh velocities (Landsat 8, 2018-03-04 → 04-05; Sentinel-2, 03-04 → 03-14),
and checks the imported product against those values.
"""
import datetime as dt
import os

import numpy as np
import pytest
import rasterio
from qgis.core import QgsProcessingException, QgsRasterLayer
from rasterio.windows import Window

from glacvel_plugin.io.grid import SourceReader, TargetGrid
from glacvel_plugin.io.itslive import parse_itslive_time, read_itslive_granule, sensor_code
from glacvel_plugin.io.product import read_product
from tests.conftest import ROOT, carst_velocity
from tests.helpers import write_itslive_granule

L8 = "LS8-061018_20180304-20180405"
S2 = "Sen2-Orb14_20180304-20180314"
YEAR = 365.25
L8_INFO = {"acquisition_date_img1": "20180304T18:57:05.4212",
           "acquisition_date_img2": "20180405T18:57:10.",
           "date_center": "20180320T18:57:07.71", "date_dt": 32.0000576,
           "mission_img1": "L", "mission_img2": "L", "satellite_img1": "8",
           "satellite_img2": "8", "sensor_img1": "C", "sensor_img2": "C",
           "time_standard_img1": "UTC", "time_standard_img2": "UTC",
           "roi_valid_percentage": 61.2}
S2_INFO = {"acquisition_date_img1": "20180304T20:27:01.", "acquisition_date_img2":
           "20180314T20:27:11.", "date_center": "20180309T20:27:06.", "date_dt": 10.000116,
           "mission_img1": "S", "mission_img2": "S", "satellite_img1": "2A",
           "satellite_img2": "2B", "_satellite": "Sentinel-2A and Sentinel-2B"}


def _carst(stem, comp):
    with rasterio.open(carst_velocity(stem, comp)) as ds:
        a = ds.read(1).astype(np.float64)
        return np.where(a == -9999, np.nan, a), ds.transform, ds.crs


def _granule(tmp_path, stem=L8, info=L8_INFO, name=None, **kw):
    """A granule of the CARST pair in m/yr; returns (path, stored int16 arrays, grid)."""
    vx, tr, crs = _carst(stem, "vx")
    vy, _, _ = _carst(stem, "vy")
    ex, _, _ = _carst(stem, "errx")
    ey, _, _ = _carst(stem, "erry")
    with np.errstate(invalid="ignore", divide="ignore"):
        v_error = np.hypot(ex * vx, ey * vy) / np.hypot(vx, vy) * YEAR
    path = tmp_path / (name or f"{stem}_G0120V02_P061.nc")
    stored = write_itslive_granule(str(path), vx * YEAR, vy * YEAR, tr, crs, info,
                                   v_error=v_error, errors=(12.3, 9.8), **kw)
    return str(path), stored, (vx, vy, tr, crs)


def test_time_and_sensor_attributes_as_autoriFT_writes_them():
    assert parse_itslive_time("20180304T18:57:05.4212") == dt.datetime(2018, 3, 4, 18, 57, 5,
                                                                       421200)
    assert parse_itslive_time("20180405T18:57:10.") == dt.datetime(2018, 4, 5, 18, 57, 10)
    assert parse_itslive_time("20180405") == dt.datetime(2018, 4, 5)
    assert parse_itslive_time("2018-04-05T01:02:03Z") == dt.datetime(2018, 4, 5, 1, 2, 3)
    with pytest.raises(ValueError):
        parse_itslive_time("April 2018")
    assert sensor_code({"mission_img1": "L", "satellite_img1": "8", "mission_img2": "L",
                        "satellite_img2": "9"}, {}) == ("L8+L9", "L8 / L9")
    assert sensor_code({"mission_img1": "S", "satellite_img1": "1A", "mission_img2": "S",
                        "satellite_img2": "1B"}, {"satellite": "Sentinel-1A and Sentinel-1B"}) \
        == ("S1", "Sentinel-1A and Sentinel-1B")
    assert sensor_code({}, {"satellite": "Landsat 7"})[0] == "L7"
    assert sensor_code({}, {}) == ("ITS_LIVE", "")


def test_granule_imported_in_m_per_day_on_its_grid(run_alg, tmp_path):
    path, stored, (vx, vy, tr, crs) = _granule(tmp_path)
    out = str(tmp_path / "itslive_l8.tif")
    res = run_alg("glacvel:import_velocity", {"GRANULE": path, "OUTPUT": out})
    assert res["OUTPUT"] == out
    p = read_product(out)
    assert set(p.bands) == {"v", "vx", "vy", "dx", "dy", "vx_error", "vy_error", "v_error"}
    # grid: the CARST grid (x/y are pixel centres; the centre-origin GeoTransform is not used)
    assert p.transform == tr and p.crs.to_epsg() == 32607 and p.shape == (305, 472)
    # no data exactly where CARST has none (stored as -32767)
    valid = np.isfinite(vx) & np.isfinite(vy)
    assert np.array_equal(np.isfinite(p.band("vx")), valid)
    assert valid.sum() > 10_000
    # m/yr int16 → m/d: the stored integers / 365.25, within 0.5 m/yr of the CARST values
    np.testing.assert_allclose(p.band("vx")[valid], stored["vx"][valid] / YEAR, rtol=1e-6)
    np.testing.assert_allclose(p.band("vy")[valid], stored["vy"][valid] / YEAR, rtol=1e-6)
    assert np.max(np.abs(p.band("vx")[valid] - vx[valid])) <= 0.5 / YEAR + 1e-6
    i = np.nanargmax(np.where(valid, np.hypot(vx, vy), -1))
    assert np.hypot(vx, vy).flat[i] > 0.5                     # the fast trunk, m/d
    assert p.band("v").flat[i] == pytest.approx(np.hypot(vx, vy).flat[i], abs=1.5 / YEAR)
    # v_error: the granule's own, NaN where it has its fill value
    expect = np.where(stored["v_error"] == -32767, np.nan, stored["v_error"] / YEAR)
    assert np.isfinite(expect[valid]).sum() > 10_000
    np.testing.assert_allclose(p.band("v_error")[valid], expect[valid], rtol=1e-6)
    assert np.nanmin(p.band("vx_error")) == np.nanmax(p.band("vx_error")) == \
        pytest.approx(12.3 / YEAR, rel=1e-6)
    assert np.nanmax(p.band("vy_error")) == pytest.approx(9.8 / YEAR, rel=1e-6)
    # dates, baseline, sensor from img_pair_info
    assert p.tags["START_TIME"] == "2018-03-04T18:57:05Z"
    assert p.tags["END_TIME"] == "2018-04-05T18:57:10Z"
    assert p.dt_days == pytest.approx(32.0 + 5 / 86400 - 0.4212 / 86400, abs=1e-6)
    np.testing.assert_allclose(p.band("dx")[valid], p.band("vx")[valid] * p.dt_days, rtol=1e-5)
    assert p.sensor == "L8" and p.tags["SATELLITE"] == "Landsat 8"
    assert p.tags["METHOD"] == "import" and p.tags["SOURCE_FORMAT"] == "ITS_LIVE granule"
    assert p.tags["SOURCE_FILE"] == os.path.basename(path)
    assert p.tags["UNITS"] == "m/d"


def test_south_up_granule_gives_the_same_north_up_product(run_alg, tmp_path):
    down, _, (vx, vy, tr, _) = _granule(tmp_path, name="down.nc")
    up, _, _ = _granule(tmp_path, name="up.nc", y_ascending=True)
    run_alg("glacvel:import_velocity", {"GRANULE": down, "OUTPUT": str(tmp_path / "a.tif")})
    run_alg("glacvel:import_velocity", {"GRANULE": up, "OUTPUT": str(tmp_path / "b.tif")})
    a, b = read_product(str(tmp_path / "a.tif")), read_product(str(tmp_path / "b.tif"))
    assert b.transform == a.transform == tr
    np.testing.assert_array_equal(b.band("vx"), a.band("vx"))
    # north-up: the first row is the northern edge of the CARST grid, value for value
    r = int(np.argmax(np.isfinite(vx).sum(axis=1) > 0))
    row = np.isfinite(vx[r])
    np.testing.assert_allclose(b.band("vx")[r][row], vx[r][row], atol=0.5 / YEAR + 1e-6)


def test_sensor_and_dates_given_by_the_user_win(run_alg, tmp_path):
    path, _, _ = _granule(tmp_path)
    out = str(tmp_path / "o.tif")
    run_alg("glacvel:import_velocity", {
        "GRANULE": path, "SENSOR": "ITS_LIVE", "START_DATE": "2018-03-04T00:00:00",
        "END_DATE": "2018-04-05T00:00:00", "OUTPUT": out})
    p = read_product(out)
    assert p.sensor == "ITS_LIVE" and p.dt_days == pytest.approx(32.0)


def test_netcdf_layer_given_as_vx_is_read_as_a_granule(run_alg, tmp_path):
    path, stored, (vx, _, _, _) = _granule(tmp_path)
    out = str(tmp_path / "o.tif")
    layer = QgsRasterLayer(f'NETCDF:"{path}":vx', "vx", "gdal")   # a sublayer opened in QGIS
    assert layer.isValid()
    run_alg("glacvel:import_velocity", {"VX": layer, "OUTPUT": out})
    p = read_product(out)
    assert p.sensor == "L8" and "v_error" in p.bands
    valid = np.isfinite(vx)
    np.testing.assert_allclose(p.band("vx")[valid], stored["vx"][valid] / YEAR, rtol=1e-6)


def test_granules_enter_the_monthly_products(run_alg, tmp_path):
    """Two ITS_LIVE-layout granules (L8, S2 in March 2018) → one 50/50 March composite."""
    l8, _, _ = _granule(tmp_path)
    s2, _, _ = _granule(tmp_path, stem=S2, info=S2_INFO)
    prods = []
    for g, name in ((l8, "l8.tif"), (s2, "s2.tif")):
        run_alg("glacvel:import_velocity", {"GRANULE": g, "OUTPUT": str(tmp_path / name)})
        prods.append(str(tmp_path / name))
    assert read_product(prods[1]).sensor == "S2"
    assert read_product(prods[1]).tags["SATELLITE"] == "Sentinel-2A and Sentinel-2B"
    folder = tmp_path / "monthly"
    res = run_alg("glacvel:monthly_velocity", {
        "SOURCES": prods, "WEIGHTS": "L8=0.5,S2=0.5", "YEAR": 2018, "TARGET_RESOLUTION": 120,
        "ROBUST": 0, "LOCAL_SCATTER": 0, "OUTPUT_FOLDER": str(folder)})
    assert res["MONTHS_WRITTEN"] == "201803"
    march = read_product(str(folder / "201803.tif"))
    assert np.nanmax(march.bands["count"]) == 2 and march.tags["SENSOR"] == "FUSED"
    # without the outlier test and local scatter, every pixel with both pairs is their
    # 50/50 mean on the monthly grid (one pair per source in March)
    rows, cols = march.shape
    g = TargetGrid(march.crs, march.transform, cols, rows)
    both = march.bands["count"] == 2
    assert both.sum() > 1000
    pairs = []
    for prod in prods:
        with SourceReader(prod) as rd:
            pairs.append(rd.read(("vx", "vy"), g, Window(0, 0, cols, rows)))
    for comp in ("vx", "vy"):
        mean = (pairs[0][comp] + pairs[1][comp]) / 2
        np.testing.assert_allclose(march.band(comp)[both], mean[both], rtol=1e-5, atol=1e-6)
    r, c = g.index(621306.4, 6738829.5)                  # a trunk pixel: moving ice
    assert both[r, c] and march.band("v")[r, c] > 0.1


def test_netcdf_without_vx_vy_is_refused_naming_the_file(run_alg, tmp_path):
    vx, tr, crs = _carst(L8, "vx")
    bad = tmp_path / "speed_only.nc"
    write_itslive_granule(str(bad), vx * YEAR, vx * YEAR, tr, crs, L8_INFO, components=("vx",))
    out = tmp_path / "o.tif"
    with pytest.raises(QgsProcessingException,
                       match=r"speed_only\.nc is not an ITS_LIVE velocity granule.*no variable vy"):
        run_alg("glacvel:import_velocity", {"GRANULE": str(bad), "OUTPUT": str(out)})
    assert not out.exists()
    not_nc = tmp_path / "notes.nc"
    not_nc.write_text("not a netCDF file")
    with pytest.raises(QgsProcessingException, match=r"cannot open notes\.nc as a netCDF file"):
        run_alg("glacvel:import_velocity", {"GRANULE": str(not_nc), "OUTPUT": str(out)})
    assert not out.exists()


def test_granule_without_dates_asks_for_them(run_alg, tmp_path):
    path, _, _ = _granule(tmp_path, name="nodates.nc", with_dates=False)
    assert read_itslive_granule(path).start is None
    out = tmp_path / "o.tif"
    with pytest.raises(QgsProcessingException,
                       match=r"nodates\.nc has no acquisition dates.*set START_DATE and END_DATE"):
        run_alg("glacvel:import_velocity", {"GRANULE": path, "OUTPUT": str(out)})
    assert not out.exists()


def test_granule_and_rasters_together_are_refused(run_alg, tmp_path):
    path, _, _ = _granule(tmp_path)
    with pytest.raises(QgsProcessingException, match="either an ITS_LIVE granule or VX and VY"):
        run_alg("glacvel:import_velocity", {
            "GRANULE": path, "VX": carst_velocity(L8, "vx"), "VY": carst_velocity(L8, "vy"),
            "OUTPUT": str(tmp_path / "o.tif")})
    with pytest.raises(QgsProcessingException, match="give both VX and VY rasters, or an ITS_LIVE"):
        run_alg("glacvel:import_velocity", {"OUTPUT": str(tmp_path / "o.tif")})




def test_messages_in_chinese(qgis_in_chinese, run_alg, tmp_path):
    """With QGIS in 简体中文 the import's log and errors, and provider messages that used to
    be English (fusion, GNSS), are Chinese; the file names stay as they are."""
    from qgis.core import QgsProcessingFeedback
    assert qgis_in_chinese

    class Recorder(QgsProcessingFeedback):
        lines = []

        def pushInfo(self, t):  # noqa: N802
            self.lines.append(t)
    path, _, _ = _granule(tmp_path)
    fb = Recorder()
    run_alg("glacvel:import_velocity", {"GRANULE": path, "OUTPUT": str(tmp_path / "a.tif")},
            feedback=fb)
    assert fb.lines[0] == f"读取 ITS_LIVE 像对文件 {os.path.basename(path)}"
    assert any(t.startswith("已导入 ") and "L8，2018-03-04 至 2018-04-05" in t for t in fb.lines)
    nodates, _, _ = _granule(tmp_path, name="nodates.nc", with_dates=False)
    with pytest.raises(QgsProcessingException, match=r"nodates\.nc 没有获取日期"):
        run_alg("glacvel:import_velocity", {"GRANULE": nodates,
                                            "OUTPUT": str(tmp_path / "b.tif")})
    with pytest.raises(QgsProcessingException,
                       match="LOCAL_SCATTER 必须为 0 或 ≥ 3 的奇数窗口，当前为 4"):
        run_alg("glacvel:fuse_velocity", {"SOURCES": [str(tmp_path / "a.tif")],
                                          "LOCAL_SCATTER": 4, "OUTPUT": str(tmp_path / "f.tif")})
    gnss = sorted(os.path.join(ROOT, "demo", "data", "kaskawulsh", "gps", n)
                  for n in os.listdir(os.path.join(ROOT, "demo", "data", "kaskawulsh", "gps")))
    with pytest.raises(QgsProcessingException, match="CRS EPSG:4326 为地理坐标系"):
        run_alg("glacvel:import_gnss", {"INPUT": gnss, "CRS": "EPSG:4326",
                                        "OUTPUT": str(tmp_path / "g.gpkg")})
