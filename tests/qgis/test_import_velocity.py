"""glacvel:import_velocity on the real Kaskawulsh rasters (separate vx/vy GeoTIFFs, nodata −9999)."""
import datetime as dt
import os
import shutil

import numpy as np
import pytest
import rasterio
from qgis.core import QgsProcessingException

from glacvel_plugin.io.product import read_product
from glacvel_plugin.processing_provider.alg_import import dates_from_name
from tests.conftest import carst_velocity, test_data

DEMO = ("kaskawulsh_glaft_demo",)
L8 = "LS8-061018_20180304-20180405"
S2 = "Sen2-Orb14_20180304-20180314"


def _copy(tmp_path, path):
    """A private copy of a sample raster: loading a raster layer lets GDAL write .aux.xml
    statistics beside it, and the sample data must stay untouched."""
    dst = tmp_path / "in" / os.path.basename(path)
    dst.parent.mkdir(exist_ok=True)
    shutil.copy(path, dst)
    return str(dst)


def _raw(path):
    with rasterio.open(path) as ds:
        a = ds.read(1).astype(np.float64)
        return np.where(a == -9999, np.nan, a), ds.profile


def test_dates_from_name():
    assert dates_from_name("20180304-20180405_velo-raw_vx.tif") == (
        dt.datetime(2018, 3, 4), dt.datetime(2018, 4, 5))
    assert dates_from_name("LS8-061018_20180802-20180818_velo_vx.tif")[1] == dt.datetime(2018, 8, 18)
    assert dates_from_name("vx.tif") is None


def test_import_glaft_demo_m_per_day_dates_from_name(run_alg, tmp_path):
    vx_path = _copy(tmp_path, test_data(*DEMO, "20180304-20180405_velo-raw_vx.tif"))
    vy_path = _copy(tmp_path, test_data(*DEMO, "20180304-20180405_velo-raw_vy.tif"))
    out = str(tmp_path / "imported.tif")
    res = run_alg("glacvel:import_velocity", {
        "VX": vx_path, "VY": vy_path, "UNITS": 0, "SENSOR": "Landsat-8", "OUTPUT": out})
    assert res["OUTPUT"] == out
    p = read_product(out)
    assert set(p.bands) == {"v", "vx", "vy", "dx", "dy"}
    vx, prof = _raw(vx_path)
    vy, _ = _raw(vy_path)
    both = np.isfinite(vx) & np.isfinite(vy)
    np.testing.assert_allclose(p.band("vx")[both], vx[both], rtol=1e-6)
    np.testing.assert_allclose(p.band("v")[both], np.hypot(vx, vy)[both], rtol=1e-5)
    assert np.isnan(p.band("vx")[~both]).all()
    assert p.tags["START_TIME"] == "2018-03-04T00:00:00Z"
    assert p.tags["END_TIME"] == "2018-04-05T00:00:00Z"
    assert p.dt_days == pytest.approx(32.0)
    np.testing.assert_allclose(p.band("dy")[both], 32.0 * vy[both], rtol=1e-5)
    assert p.sensor == "Landsat-8" and p.tags["METHOD"] == "import"
    assert p.transform == prof["transform"] and p.crs.to_epsg() == 32607   # no reprojection


def test_import_carst_with_errors(run_alg, tmp_path):
    paths = {k: _copy(tmp_path, carst_velocity(L8, k)) for k in ("vx", "vy", "errx", "erry")}
    out = str(tmp_path / "l8.tif")
    run_alg("glacvel:import_velocity", {
        "VX": paths["vx"], "VY": paths["vy"], "VX_ERROR": paths["errx"],
        "VY_ERROR": paths["erry"], "UNITS": 0, "START_DATE": "2018-03-04T18:57:00",
        "END_DATE": "2018-04-05T18:57:00", "SENSOR": "Landsat-8", "NODATA": -9999,
        "OUTPUT": out})
    p = read_product(out)
    assert {"vx_error", "vy_error", "v_error"} <= set(p.bands)
    vx, _ = _raw(paths["vx"])
    vy, _ = _raw(paths["vy"])
    ex, _ = _raw(paths["errx"])
    ey, _ = _raw(paths["erry"])
    ok = np.isfinite(vx) & np.isfinite(vy) & np.isfinite(ex) & (np.hypot(vx, vy) > 0)
    assert ok.sum() > 10_000
    np.testing.assert_allclose(p.band("vx_error")[ok], np.abs(ex[ok]), rtol=1e-6)
    with np.errstate(invalid="ignore"):
        expect = np.hypot(ex * vx, ey * vy) / np.hypot(vx, vy)
    np.testing.assert_allclose(p.band("v_error")[ok], expect[ok], rtol=1e-4, atol=1e-7)
    assert p.tags["START_TIME"] == "2018-03-04T18:57:00Z"
    assert p.shape == (305, 472)


def _write_scaled(src, dst, factor):
    a, prof = _raw(src)
    prof.update(dtype="float32", nodata=-9999.0)
    with rasterio.open(dst, "w", **prof) as ds:
        ds.write(np.where(np.isfinite(a), a * factor, -9999.0).astype(np.float32), 1)
    return a


@pytest.mark.parametrize("units,factor", [(1, 365.25), (2, 32.0)])
def test_m_per_year_and_displacement_converted_by_value(run_alg, tmp_path, units, factor):
    """An m/yr (ITS_LIVE) or metres-over-Δt raster gives back the m/d values."""
    vx = _write_scaled(test_data(*DEMO, "20180304-20180405_velo-raw_vx.tif"),
                       str(tmp_path / "vx.tif"), factor)
    vy = _write_scaled(test_data(*DEMO, "20180304-20180405_velo-raw_vy.tif"),
                       str(tmp_path / "vy.tif"), factor)
    out = str(tmp_path / "out.tif")
    run_alg("glacvel:import_velocity", {
        "VX": str(tmp_path / "vx.tif"), "VY": str(tmp_path / "vy.tif"), "UNITS": units,
        "START_DATE": "2018-03-04T00:00:00", "END_DATE": "2018-04-05T00:00:00",
        "OUTPUT": out})
    p = read_product(out)
    both = np.isfinite(vx) & np.isfinite(vy)
    np.testing.assert_allclose(p.band("vx")[both], vx[both], rtol=2e-6, atol=1e-6)
    # one pixel by value: the fastest ice
    i = np.nanargmax(np.where(both, vx, -np.inf))
    assert p.band("vx").flat[i] == pytest.approx(vx.flat[i], rel=1e-6)
    assert p.tags["SOURCE_UNITS"] == ("m/yr" if units == 1 else "m")


def test_grids_that_differ_are_refused_and_nothing_is_written(run_alg, tmp_path):
    s2 = _copy(tmp_path, carst_velocity(S2, "vy"))
    l8 = _copy(tmp_path, carst_velocity(L8, "vx"))
    out = tmp_path / "bad.tif"
    with pytest.raises(QgsProcessingException, match="not on the grid of VX"):
        run_alg("glacvel:import_velocity", {
            "VX": l8, "VY": s2, "OUTPUT": str(out)})
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in"]


def test_missing_dates_are_a_clear_error(run_alg, tmp_path):
    vx = tmp_path / "east.tif"
    vy = tmp_path / "north.tif"
    _write_scaled(test_data(*DEMO, "20180304-20180405_velo-raw_vx.tif"), str(vx), 1.0)
    _write_scaled(test_data(*DEMO, "20180304-20180405_velo-raw_vy.tif"), str(vy), 1.0)
    with pytest.raises(QgsProcessingException, match="set START_DATE and END_DATE"):
        run_alg("glacvel:import_velocity", {"VX": str(vx), "VY": str(vy),
                                            "OUTPUT": str(tmp_path / "o.tif")})
    assert not (tmp_path / "o.tif").exists()
