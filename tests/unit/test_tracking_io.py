"""SAR offset tracking and UAV feature tracking called from files, without QGIS.

``io.sar.track_sar_files`` on the real Sentinel-1 EW pair (tests/data/s1_seaice_pair) and
on a speckled pair made from the real Landsat 8 Yahtse texture with a known shift;
``io.uav.track_uav_files`` on an orthomosaic pair made from the same texture
(upsampled to 0.5 m, moved by a known displacement, the secondary RGB on another grid).
Also the shared core steps: Δt and the dy-north sign (``core.velocity``) and the one
normalised median test (``core.validation``).
"""
import datetime as dt
import os
import subprocess
import sys

import numpy as np
import pytest
import rasterio
from affine import Affine

from glacvel_plugin.core import Canceled
from glacvel_plugin.core.validation import (DENSE_GRID_RULE, NODE_GRID_RULE,
                                            normalized_median_test)
from glacvel_plugin.core.velocity import (baseline_days, map_displacement, time_baseline_days,
                                          velocity_bands)
from glacvel_plugin.io.product import read_product
from glacvel_plugin.io.sar import track_sar_files
from glacvel_plugin.io.uav import track_uav_files
from tests.conftest import ROOT, YAHTSE_REF, s1_pair, test_data

UTM7 = "EPSG:32607"
T0 = dt.datetime(2023, 1, 3, 11, 0, 0)


def _landsat(r0, c0, h, w):
    with rasterio.open(test_data(*YAHTSE_REF)) as ds:
        return ds.read(1, window=((r0, r0 + h), (c0, c0 + w))).astype(np.float64)


def _fourier_shift(img, dy, dx):
    ky = np.fft.fftfreq(img.shape[0])[:, None]
    kx = np.fft.fftfreq(img.shape[1])[None, :]
    return np.real(np.fft.ifft2(np.fft.fft2(img) * np.exp(-2j * np.pi * (ky * dy + kx * dx))))


def _write(path, arrays, transform, crs=UTM7, nodata=None, dtype="float32", tags=None):
    arrays = np.asarray(arrays)
    arrays = arrays[None] if arrays.ndim == 2 else arrays
    with rasterio.open(path, "w", driver="GTiff", width=arrays.shape[2],
                       height=arrays.shape[1], count=arrays.shape[0], dtype=dtype, crs=crs,
                       transform=transform, nodata=nodata) as ds:
        ds.write(arrays.astype(dtype))
        if tags:
            ds.update_tags(**tags)
    return str(path)


def _no_temporary_files(folder):
    return not [f for f in os.listdir(folder) if f.startswith(".glacvel-")]


# ------------------------------------------------------------------------------ SAR
def test_sar_files_on_the_real_sentinel1_sea_ice_pair(tmp_path):
    ref, sec = s1_pair()
    out = str(tmp_path / "seaice.tif")
    res = track_sar_files(ref, sec, out, max_speed=7000.0, resolution=4000.0, peak_ratio=5.0)
    # times from the Sentinel-1 names (middle of start/stop): 2020-03-01 08:33:11.5 and
    # 2020-03-02 07:35:59 → 23 h 2 min 47.5 s
    assert res.start == dt.datetime(2020, 3, 1, 8, 33, 11, 500000)
    assert res.dt_days == pytest.approx(0.960272, abs=1e-5)
    assert res.info["scale"] == "db" and [s[1] for s in res.info["scales"]] == ["db", "db"]
    # 100 m pixels, 128 px window, auto node spacing max(4000/100, 128/8) = 40 px
    assert res.step == 40 and res.window == 128 and res.pixel == (100.0, 100.0)
    assert res.search == 69  # ceil(7000 · 0.96 / 100) + 1
    p = read_product(out)
    assert p.sensor == "S1" and p.tags["INPUT_SCALE"] == "db" and str(p.crs).endswith("5041")
    assert float(p.tags["DT_DAYS"]) == pytest.approx(res.dt_days, abs=1e-6)
    assert p.band("v").shape == res.shape
    assert res.valid_fraction == pytest.approx(np.isfinite(p.band("v")).mean())
    ok = p.band("flag") == 0
    assert ok.mean() > 0.75
    assert int(p.tags["MEASURED_NODES"]) == res.info["measured_nodes"]
    assert res.rejected["below peak ratio"] > 0  # windows whose match left the scene
    v = p.band("v")[ok]
    # ≈4.6 km/d drift towards the south-west of the polar-stereographic grid
    assert 4000 < np.median(v) < 5500 and np.abs(v - np.median(v)).max() < 1000
    assert np.all(p.band("vx")[ok] < 0) and np.all(p.band("vy")[ok] < 0)
    assert np.allclose(p.band("dy")[ok], p.band("vy")[ok] * res.dt_days, rtol=1e-5)


@pytest.fixture(scope="module")
def speckled_pair(tmp_path_factory):
    """Linear-power pair at 10 m, 4-look speckle; the secondary texture moved by +1.5 px
    down (15 m south) and +2.25 px right (22.5 m east)."""
    d = tmp_path_factory.mktemp("sar_io")
    big = _landsat(340, 136, 448, 448)
    tex, moved = big[64:384, 64:384], _fourier_shift(big, 1.5, 2.25)[64:384, 64:384]
    rng = np.random.default_rng(3)
    i1 = tex ** 2 * rng.gamma(4, 0.25, tex.shape)
    i2 = np.maximum(moved, 1) ** 2 * rng.gamma(4, 0.25, tex.shape)
    t = Affine(10, 0, 500000, 0, -10, 6700000)
    return _write(d / "ref_power.tif", i1, t), _write(d / "sec_power.tif", i2, t)


def test_sar_files_recover_a_known_shift_with_north_positive_dy(speckled_pair, tmp_path):
    ref, sec = speckled_pair
    out = str(tmp_path / "v.tif")
    t1 = T0 + dt.timedelta(days=24)
    fractions = []
    res = track_sar_files(ref, sec, out, T0, t1, scale="power", resolution=160.0,
                          max_speed=2.0, progress=fractions.append)
    assert res.dt_days == 24.0 and res.info["scales"] == []
    assert fractions[-1] == 1.0 and max(fractions) == 1.0 and min(fractions) >= 0.0
    p = read_product(out)
    assert p.tags["START_TIME"] == "2023-01-03T11:00:00Z" and p.tags["INPUT_SCALE"] == "power"
    ok = p.band("flag") == 0
    assert ok.sum() >= 4
    dx, dy = p.band("dx")[ok], p.band("dy")[ok]
    err = np.concatenate([dx - 22.5, dy + 15.0])
    assert np.sqrt(np.mean(err ** 2)) < 1.0 and np.abs(err).max() < 2.5
    assert np.allclose(p.band("vx")[ok], dx / 24.0, atol=1e-4)
    assert np.allclose(p.band("vy")[ok], dy / 24.0, atol=1e-4)
    # detecting the scale from the (positive) values gives the same product
    out2 = str(tmp_path / "v2.tif")
    res2 = track_sar_files(ref, sec, out2, T0, t1, resolution=160.0, max_speed=2.0)
    assert res2.info["scale"] == "amplitude"  # linear: power and amplitude give the same NCC
    assert np.array_equal(read_product(out2).band("dx"), p.band("dx"), equal_nan=True)


@pytest.mark.parametrize("case", ["dt", "no_overlap", "unreadable", "even_box", "window",
                                  "constant"])
def test_sar_files_refuse_bad_input_and_write_nothing(speckled_pair, tmp_path, case):
    ref, sec = speckled_pair
    kw = dict(scale="power", resolution=160.0, max_speed=2.0)
    t1 = T0 + dt.timedelta(days=24)
    with rasterio.open(ref) as ds:
        a, t = ds.read(1), ds.transform
    expect = {"dt": "time baseline must be positive", "no_overlap": "do not overlap",
              "unreadable": "cannot read the reference image", "even_box": "must be odd",
              "window": "larger than the overlap", "constant": "no window could be matched"}
    if case == "dt":
        t1 = T0
    elif case == "no_overlap":
        sec = _write(tmp_path / "far.tif", a, t * Affine.translation(5000, 0))
    elif case == "unreadable":
        ref = str(tmp_path / "broken.tif")
        open(ref, "w").write("not a raster")
    elif case == "even_box":
        kw["average_box"] = 4
    elif case == "window":
        kw["window"] = 400
    elif case == "constant":
        sec = _write(tmp_path / "c.tif", np.full(a.shape, 0.2), t)
    out = tmp_path / "out.tif"
    with pytest.raises(ValueError, match=expect[case]):
        track_sar_files(ref, sec, str(out), T0, t1, **kw)
    assert not out.exists() and _no_temporary_files(tmp_path)


def test_sar_files_cancel_writes_nothing(speckled_pair, tmp_path):
    ref, sec = speckled_pair
    calls = []

    def cancel_after_first_tile():
        calls.append(1)
        return len(calls) > 1

    out = tmp_path / "c.tif"
    with pytest.raises(Canceled):
        track_sar_files(ref, sec, str(out), T0, T0 + dt.timedelta(days=24), scale="power",
                        resolution=40.0, max_speed=2.0, is_canceled=cancel_after_first_tile)
    assert not out.exists() and _no_temporary_files(tmp_path)


# ------------------------------------------------------------------------------ UAV
UAV_X0, UAV_Y0 = 490000.0, 6700000.0
SHIFT = (2.3, -1.7)        # metres east, north over the 5 days between the flights


@pytest.fixture(scope="module")
def uav_pair(tmp_path_factory):
    """Orthomosaics from a real image: the Landsat 8 B8 Yahtse crop rows 504-531, cols
    300-327 (15 m) upsampled by a cubic spline to 0.5 m (400 × 400 px reference, float32
    with a no-data corner); the secondary is the texture moved by :data:`SHIFT` on
    another grid (origin +1.3 m east, −0.9 m north, 380 × 390 px), RGB uint16. Times in
    TIFFTAG_DATETIME, 5 days apart."""
    from scipy import ndimage
    d = tmp_path_factory.mktemp("uav_io")
    coef = ndimage.spline_filter(_landsat(504, 300, 28, 28), order=3)

    def sample(x, y):
        rows, cols = (UAV_Y0 - y) / 15.0 + 0.5, (x - UAV_X0) / 15.0 + 0.5
        return ndimage.map_coordinates(coef, [rows.ravel(), cols.ravel()], order=3,
                                       prefilter=False, mode="nearest").reshape(x.shape)

    i, j = np.mgrid[0:400, 0:400]
    ref = sample(UAV_X0 + (j + 0.5) * 0.5, UAV_Y0 - (i + 0.5) * 0.5).astype(np.float32)
    ref[:20, :20] = -9999.0
    sx0, sy0 = UAV_X0 + 1.3, UAV_Y0 - 0.9
    i, j = np.mgrid[0:380, 0:390]
    lum = sample(sx0 + (j + 0.5) * 0.5 - SHIFT[0], sy0 - (i + 0.5) * 0.5 - SHIFT[1])
    rgb = np.stack([0.8 * lum, lum, 1.2 * lum]).clip(0, 65535)
    r = _write(d / "uav_ref.tif", ref, Affine(0.5, 0, UAV_X0, 0, -0.5, UAV_Y0), nodata=-9999.0,
               tags={"TIFFTAG_DATETIME": "2023:07:01 10:00:00"})
    s = _write(d / "uav_sec.tif", rgb, Affine(0.5, 0, sx0, 0, -0.5, sy0), dtype="uint16",
               tags={"TIFFTAG_DATETIME": "2023:07:06 10:00:00"})
    return r, s


def test_uav_files_recover_a_known_shift_points_and_product(uav_pair, tmp_path):
    ref, sec = uav_pair
    out = str(tmp_path / "uav.tif")
    res = track_uav_files(ref, sec, out, window_m=30.0, step_m=10.0, max_speed=1.0,
                          resolution=20.0)
    assert res.start == dt.datetime(2023, 7, 1, 10) and res.dt_days == 5.0   # from the tags
    assert res.window == 60 and res.search == 11   # ceil(1 · 5 / 0.5) + 1
    pts = res.points
    # grid points on multiples of the 10 m spacing (pixel edges of this 0.5 m grid, where
    # the centres of the even 60 px templates lie), 15 m (half a template) inside the overlap
    assert np.all(np.mod(pts["x"], 10.0) == 0) and np.all(np.mod(pts["y"], 10.0) == 0)
    assert pts["x"].min() >= UAV_X0 + 1.3 + 15.0 and pts["y"].max() <= UAV_Y0 - 0.9 - 15.0
    assert len(pts["x"]) >= 100 and res.info["points_valid"] == len(pts["x"])
    ex, ey = pts["dx"] - SHIFT[0], pts["dy"] - SHIFT[1]
    # 30 m templates on a 15 m texture upsampled 30×: 2 × 2 independent pixels only;
    # a constant shift is still recovered to a few centimetres (measured RMSE 0.021 m,
    # max 0.065 m over 249 points)
    assert np.sqrt(np.mean(ex ** 2 + ey ** 2)) < 0.05, np.sqrt(np.mean(ex ** 2 + ey ** 2))
    assert np.allclose(pts["vx"], pts["dx"] / 5.0) and np.allclose(pts["vy"], pts["dy"] / 5.0)
    assert np.all(pts["quality"] > 0.3)
    p = read_product(out)
    assert p.sensor == "UAV" and p.resolution == (20.0, 20.0) and p.band("v").shape == res.shape
    assert float(p.tags["DT_DAYS"]) == 5.0 and p.tags["TEMPLATE_PX"] == "60"
    assert p.crs.to_epsg() == 32607 and rasterio.crs.CRS.from_wkt(res.crs_wkt).to_epsg() == 32607
    count = p.band("count")
    assert np.nanmax(count) == 4 and np.nansum(count) == len(pts["x"])  # 10 m points, 20 m cells
    full = count == 4
    assert np.allclose(p.band("vx")[full], SHIFT[0] / 5.0, atol=0.01)
    assert np.allclose(p.band("vy")[full], SHIFT[1] / 5.0, atol=0.01)


def test_uav_files_orientation_correlation_on_a_coarser_work_grid(uav_pair, tmp_path):
    ref, sec = uav_pair
    out = str(tmp_path / "oc.tif")
    res = track_uav_files(ref, sec, out, T0, T0 + dt.timedelta(days=5), window_m=60.0,
                          step_m=10.0, max_speed=1.0, method="oc", work_resolution=1.0,
                          resolution=20.0)
    assert res.pixel == (1.0, 1.0) and res.window == 60 and res.search == 6
    p = read_product(out)
    assert "OC" in p.tags["METHOD"] and p.tags["WORK_PIXEL_M"] == "1.0000"
    pts = res.points
    assert len(pts["x"]) >= 100
    # gradient directions of a smooth upsampled texture are noisy: measured median error
    # 0.056 m (0.056 work px), RMSE 0.13 m over 155 points
    assert np.median(np.hypot(pts["dx"] - SHIFT[0], pts["dy"] - SHIFT[1])) < 0.1


@pytest.mark.parametrize("case", ["same_time", "no_overlap", "method", "window", "nodata"])
def test_uav_files_refuse_bad_input_and_write_nothing(uav_pair, tmp_path, case):
    ref, sec = uav_pair
    kw = dict(window_m=30.0, step_m=30.0, max_speed=1.0)
    t0, t1 = T0, T0 + dt.timedelta(days=5)
    with rasterio.open(ref) as ds:
        a, t = ds.read(1), ds.transform
    expect = {"same_time": "time baseline must be positive", "no_overlap": "do not overlap",
              "method": "unknown similarity", "window": "larger than the overlap",
              "nodata": "no window could be matched"}
    if case == "same_time":
        t1 = t0
    elif case == "no_overlap":
        sec = _write(tmp_path / "far.tif", a, t * Affine.translation(5000, 0))
    elif case == "method":
        kw["method"] = "phase"
    elif case == "window":
        kw["window_m"] = 300.0
    elif case == "nodata":
        sec = _write(tmp_path / "nd.tif", np.full(a.shape, -9999.0), t, nodata=-9999.0)
    out = tmp_path / "out.tif"
    with pytest.raises(ValueError, match=expect[case]):
        track_uav_files(ref, sec, str(out), t0, t1, **kw)
    assert not out.exists() and _no_temporary_files(tmp_path)


def test_tracking_io_imports_no_qgis():
    """A Dask worker without QGIS can import and run the SAR and UAV file functions."""
    code = ("import sys; import glacvel_plugin.io.sar, glacvel_plugin.io.uav; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('qgis', 'PyQt5')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


# ------------------------------------------------------------------------ shared core
def test_velocity_signs_dtype_and_time_baseline():
    dr = np.array([[1.5, np.nan]], np.float32)   # 1.5 px down = south
    dc = np.array([[2.0, np.nan]], np.float32)   # 2 px right = east
    dx, dy = map_displacement(dr, dc, (10.0, 20.0))
    assert dx.dtype == np.float32 and dx[0, 0] == 20.0 and dy[0, 0] == -30.0
    b = velocity_bands(dr, dc, (10.0, 20.0), 4.0)
    assert b["vx"][0, 0] == 5.0 and b["vy"][0, 0] == -7.5
    assert b["v"][0, 0] == np.float32(np.hypot(5.0, 7.5))
    assert np.isnan(b["v"][0, 1]) and b["v"].dtype == np.float32
    assert velocity_bands(dr.astype(np.float64), dc.astype(np.float64), (10.0, 20.0),
                          4.0)["vy"].dtype == np.float64
    t1 = T0 + dt.timedelta(hours=36)
    assert time_baseline_days(T0, t1) == 1.5 and baseline_days(t1, T0) == -1.5
    with pytest.raises(ValueError, match="time baseline must be positive.*swap"):
        time_baseline_days(t1, T0)


def _median_test_by_loops(u, v, threshold, eps, min_neighbours):
    """Westerweel & Scarano's test written out cell by cell with np.nanmedian (dense rule:
    fewer than ``min_neighbours`` valid neighbours is an outlier)."""
    bad = np.zeros(u.shape, bool)
    for i in range(u.shape[0]):
        for j in range(u.shape[1]):
            if not (np.isfinite(u[i, j]) and np.isfinite(v[i, j])):
                continue
            nb = [(i + a, j + b) for a in (-1, 0, 1) for b in (-1, 0, 1)
                  if (a, b) != (0, 0) and 0 <= i + a < u.shape[0] and 0 <= j + b < u.shape[1]
                  and np.isfinite(u[i + a, j + b])]
            if len(nb) < min_neighbours:
                bad[i, j] = True
                continue
            for comp in (u, v):
                vals = np.array([comp[p] for p in nb], np.float64)
                med = np.median(vals)
                rm = np.median(np.abs(vals - med))
                bad[i, j] |= abs(float(comp[i, j]) - med) / (rm + eps) > threshold
    return bad


def test_one_median_test_reproduces_both_neighbour_rules():
    rng = np.random.default_rng(5)
    for dtype in (np.float32, np.float64):
        for _ in range(20):
            u = rng.normal(size=(17, 23)).astype(dtype)
            v = rng.normal(size=(17, 23)).astype(dtype)
            u[rng.random(u.shape) < 0.3] = np.nan
            v[np.isnan(u)] = np.nan
            u[rng.random(u.shape) < 0.05] += 6
            assert np.array_equal(normalized_median_test(u, v, 2.0, **DENSE_GRID_RULE),
                                  _median_test_by_loops(u, v, 2.0, 0.1, 3))
    # an isolated vector (one valid neighbour): rejected on the dense grid, kept on nodes
    u = np.full((5, 5), np.nan)
    v = np.full((5, 5), np.nan)
    u[2, 2], v[2, 2], u[2, 3], v[2, 3] = 1.0, 1.0, 9.0, 9.0
    dense = normalized_median_test(u, v, 2.0, **DENSE_GRID_RULE)
    nodes = normalized_median_test(u, v, 2.0, **NODE_GRID_RULE)
    assert dense[2, 2] and dense[2, 3] and dense.sum() == 2 and not nodes.any()
    y, x = np.mgrid[0:9, 0:9]
    u, v = 0.2 * x + 0.1 * y, 0.05 * x - 0.03 * y
    u[4, 4] += 3
    assert np.flatnonzero(normalized_median_test(u, v, 2.0, **NODE_GRID_RULE)).tolist() == [40]
    with pytest.raises(ValueError, match="few neighbours"):
        normalized_median_test(u, v, 2.0, few_neighbours="drop")
