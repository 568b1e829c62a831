"""glacvel:sar_offset_tracking and glacvel:uav_feature_tracking through processing.run.

SAR: the real Sentinel-1 EW pair (tests/data/s1_seaice_pair, sea ice, dB) and a
synthetic speckled pair built from a real Landsat 8 texture. UAV: a synthetic
orthomosaic pair made from a real image — a crop of the Landsat 8 Yahtse scene
upsampled to 0.5 m pixels and warped by a known smooth displacement field (no real
UAV data is available; the pair is built at test time, see :func:`uav_pair`).
"""
import os

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.enums import Resampling
from qgis.core import QgsProcessingException, QgsVectorLayer

from glacvel_plugin.io.product import read_product
from tests.conftest import YAHTSE_REF, s1_pair, test_data

UTM7 = "EPSG:32607"
_PROVIDERS = []  # keep re-registered providers alive


@pytest.fixture(autouse=True)
def _glacvel_provider_registered(glacvel_processing):
    """Re-register the provider if an earlier test removed it from the registry
    (tests/qgis/test_plugin.py unloads the session fixture's provider)."""
    from qgis.core import QgsApplication

    from glacvel_plugin.processing_provider.provider import GlacvelProvider
    registry = QgsApplication.processingRegistry()
    if registry.providerById("glacvel") is None:
        provider = GlacvelProvider()
        assert registry.addProvider(provider)
        _PROVIDERS.append(provider)
    yield


def fourier_shift(img, dy, dx):
    ky = np.fft.fftfreq(img.shape[0])[:, None]
    kx = np.fft.fftfreq(img.shape[1])[None, :]
    return np.real(np.fft.ifft2(np.fft.fft2(img) * np.exp(-2j * np.pi * (ky * dy + kx * dx))))


def landsat_crop(r0, c0, h, w):
    path = test_data(*YAHTSE_REF)
    with rasterio.open(path) as ds:
        return ds.read(1, window=((r0, r0 + h), (c0, c0 + w))).astype(np.float64)


def write(path, arrays, transform, crs=UTM7, nodata=None, dtype="float32", tags=None):
    arrays = np.asarray(arrays)
    if arrays.ndim == 2:
        arrays = arrays[None]
    with rasterio.open(path, "w", driver="GTiff", width=arrays.shape[2], height=arrays.shape[1],
                       count=arrays.shape[0], dtype=dtype, crs=crs, transform=transform,
                       nodata=nodata) as ds:
        ds.write(arrays.astype(dtype))
        if tags:
            ds.update_tags(**tags)
    return str(path)


# ----------------------------------------------------------------------------- SAR
S1_TIMES = dict(REFERENCE_TIME="2023-01-03T11:00:00", SECONDARY_TIME="2023-01-27T11:00:00")


@pytest.fixture(scope="module")
def speckled_pair(tmp_path_factory):
    """Linear-power pair, 10 m pixels, 4-look speckle; the secondary texture moved by
    +1.5 px down (south) and +2.25 px right (east) over 24 days."""
    d = tmp_path_factory.mktemp("sar")
    big = landsat_crop(340, 136, 448, 448)
    # shift the larger crop, keep its centre: no periodic seam of the Fourier shift inside
    tex, moved = big[64:384, 64:384], fourier_shift(big, 1.5, 2.25)[64:384, 64:384]
    rng = np.random.default_rng(3)
    i1 = tex ** 2 * rng.gamma(4, 0.25, tex.shape)
    i2 = np.maximum(moved, 1) ** 2 * rng.gamma(4, 0.25, tex.shape)
    t = Affine(10, 0, 500000, 0, -10, 6700000)
    return write(d / "ref_power.tif", i1, t), write(d / "sec_power.tif", i2, t), d


def test_sar_synthetic_pair_gives_known_velocity_with_map_signs(run_alg, speckled_pair):
    ref, sec, d = speckled_pair
    out = str(d / "v.tif")
    run_alg("glacvel:sar_offset_tracking", dict(
        REFERENCE=ref, SECONDARY=sec, INPUT_SCALE=1, WINDOW=128, OUTPUT_RESOLUTION=160,
        MAX_SPEED=2.0, OUTPUT=out, **S1_TIMES))
    p = read_product(out)
    assert {"v", "vx", "vy", "dx", "dy", "quality", "flag"} <= set(p.bands)
    assert p.resolution == (160, 160) and p.tags["INPUT_SCALE"] == "power"
    assert float(p.tags["DT_DAYS"]) == pytest.approx(24.0)
    ok = p.band("flag") == 0
    assert ok.sum() >= 4
    # 2.25 px east = +22.5 m, 1.5 px down = 15 m south (dy = -15 m) over 24 d; 4-look
    # speckle on 128 px windows: RMSE ≈0.05 px (unit test), i.e. ≈0.5 m at 10 m pixels
    err = np.concatenate([p.band("dx")[ok] - 22.5, p.band("dy")[ok] + 15.0])
    print(f"SAR synthetic: n={ok.sum()} RMSE={np.sqrt(np.mean(err ** 2)):.3f} m "
          f"max={np.abs(err).max():.3f} m")
    assert np.sqrt(np.mean(err ** 2)) < 1.0, np.sqrt(np.mean(err ** 2))
    assert np.abs(err).max() < 2.5
    assert np.allclose(p.band("vx")[ok], p.band("dx")[ok] / 24.0, atol=1e-4)
    assert np.allclose(p.band("v")[ok], np.hypot(p.band("vx")[ok], p.band("vy")[ok]), atol=1e-4)
    assert np.all(p.band("quality")[ok] > 0.1)
    # band-level tags use the same upper-case keys as every other glacvel product
    with rasterio.open(out) as ds:
        tags = {ds.descriptions[i]: ds.tags(i + 1) for i in range(ds.count)}
    assert tags["v"]["UNITS"] == tags["vx"]["UNITS"] == tags["vy"]["UNITS"] == "m/d"
    assert tags["dx"]["UNITS"] == tags["dy"]["UNITS"] == "m"
    assert tags["flag"]["DESCRIPTION"] == p.tags["FLAG_VALUES"]
    assert not any("units" in t or "description" in t for t in tags.values()), tags


def test_sar_real_sentinel1_sea_ice_pair(run_alg, tmp_path):
    files = s1_pair()
    out = str(tmp_path / "seaice.tif")
    # search range from the data: the ice drifted ≈46 px (4.6 km) in 23 h (see the unit
    # test); MAX_SPEED 7 km/d gives ±69 px. Times and dB scale come from names/values.
    run_alg("glacvel:sar_offset_tracking", dict(
        REFERENCE=files[0], SECONDARY=files[1], MAX_SPEED=7000.0, OUTPUT_RESOLUTION=4000,
        PEAK_RATIO=5.0, OUTPUT=out))
    p = read_product(out)
    assert p.tags["INPUT_SCALE"] == "db" and p.sensor == "S1"
    assert float(p.tags["DT_DAYS"]) == pytest.approx(0.9603, abs=1e-3)
    assert str(p.crs).endswith("5041")
    ok = p.band("flag") == 0
    assert ok.mean() > 0.75
    v = p.band("v")[ok]
    # ≈4.6 km/d drift towards the south-west of the polar-stereographic grid
    assert 4000 < np.median(v) < 5500
    assert np.all(p.band("vx")[ok] < 0) and np.all(p.band("vy")[ok] < 0)
    assert np.abs(v - np.median(v)).max() < 1000


def test_sar_hole_filling_and_averaging_are_flagged(run_alg, tmp_path):
    files = s1_pair()
    out = str(tmp_path / "filled.tif")
    run_alg("glacvel:sar_offset_tracking", dict(
        REFERENCE=files[0], SECONDARY=files[1], MAX_SPEED=7000.0, OUTPUT_RESOLUTION=4000,
        AVERAGE_BOX=3, FILL_RADIUS=2, OUTPUT=out))
    p = read_product(out)
    flag = p.band("flag")
    assert not np.any(flag == 0)          # every measured node was averaged
    assert np.any(flag == 1) and np.any(flag == 2)
    assert np.all(np.isnan(p.band("quality")[flag == 2]))  # filled cells carry no quality


@pytest.mark.parametrize("case", ["no_overlap", "all_nodata", "constant", "dt", "window",
                                  "unreadable"])
def test_sar_bad_input_is_refused_and_writes_nothing(run_alg, speckled_pair, tmp_path, case):
    ref, sec, _ = speckled_pair
    params = dict(REFERENCE=ref, SECONDARY=sec, INPUT_SCALE=1, OUTPUT_RESOLUTION=160,
                  MAX_SPEED=2.0, **S1_TIMES)
    expect = None
    with rasterio.open(ref) as ds:
        a, t = ds.read(1), ds.transform
    if case == "no_overlap":
        params["SECONDARY"] = write(tmp_path / "far.tif", a, t * Affine.translation(5000, 0))
        expect = "do not overlap"
    elif case == "all_nodata":
        params["SECONDARY"] = write(tmp_path / "nd.tif", np.full(a.shape, -9999.0), t,
                                    nodata=-9999.0)
        expect = "no window could be matched"
    elif case == "constant":
        params["SECONDARY"] = write(tmp_path / "c.tif", np.full(a.shape, 0.2), t)
        expect = "no window could be matched"
    elif case == "dt":
        params["SECONDARY_TIME"] = params["REFERENCE_TIME"]
        expect = "time baseline"
    elif case == "window":
        params["WINDOW"] = 400
        expect = "larger than the overlap"
    elif case == "unreadable":
        bad = tmp_path / "broken.tif"
        bad.write_text("not a raster")
        params["REFERENCE"] = str(bad)
        expect = None
    out = tmp_path / "out.tif"
    params["OUTPUT"] = str(out)
    with pytest.raises(QgsProcessingException) as err:
        run_alg("glacvel:sar_offset_tracking", params)
    if expect:
        assert expect in str(err.value)
    assert not out.exists()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".glacvel-")]


# ----------------------------------------------------------------------------- UAV
UAV_DT = 10.0           # days between the synthetic flights
X0, Y0 = 490000.0, 6700000.0   # upper-left corner of the reference orthomosaic (UTM 7N)
N_UAV = 1440            # 720 m at 0.5 m pixels
WAVE = 1440.0           # wavelength (m) of the smooth displacement field


def disp(x, y):
    """Known smooth displacement field (m over UAV_DT), map x east / y north."""
    u = x - X0
    w = Y0 - y
    return 6.0 + 3.0 * np.sin(2 * np.pi * u / WAVE), -8.0 + 2.0 * np.cos(2 * np.pi * w / WAVE)


def true_displacement(x, y):
    """Displacement of the feature at reference position (x, y): u = d(p + u), fixed point."""
    ux, uy = disp(x, y)
    for _ in range(20):
        ux, uy = disp(x + ux, y + uy)
    return ux, uy


@pytest.fixture(scope="module")
def uav_pair(tmp_path_factory):
    """Synthetic UAV orthomosaics from a real image: Landsat 8 B8 (Yahtse, rows 600-651,
    cols 1000-1051, 15 m) upsampled by a cubic spline to 0.5 m pixels (1440×1440 px),
    the secondary sampled at x − d(x) for the known field :func:`disp` on another grid
    (origin shifted by +3.3 m east / −2.1 m north, 1400×1420 px) as RGB uint16.
    Times in TIFFTAG_DATETIME (10 days apart)."""
    from scipy import ndimage
    d = tmp_path_factory.mktemp("uav")
    tex = landsat_crop(504, 300, 52, 52)
    coef = ndimage.spline_filter(tex, order=3)

    def sample(x, y):
        # Landsat pixel (1, 1) of the crop has its upper-left corner at (X0, Y0)
        rows = (Y0 - y) / 15.0 + 0.5
        cols = (x - X0) / 15.0 + 0.5
        return ndimage.map_coordinates(coef, [rows.ravel(), cols.ravel()], order=3,
                                       prefilter=False, mode="nearest").reshape(x.shape)

    i, j = np.mgrid[0:N_UAV, 0:N_UAV]
    x, y = X0 + (j + 0.5) * 0.5, Y0 - (i + 0.5) * 0.5
    ref = sample(x, y).astype(np.float32)
    ref[:40, :40] = -9999.0   # a no-data corner
    sx0, sy0 = X0 + 3.3, Y0 - 2.1
    i, j = np.mgrid[0:1420, 0:1400]
    x, y = sx0 + (j + 0.5) * 0.5, sy0 - (i + 0.5) * 0.5
    ddx, ddy = disp(x, y)
    lum = sample(x - ddx, y - ddy)
    rgb = np.stack([0.8 * lum, lum, 1.2 * lum]).clip(0, 65535)
    r = write(d / "uav_ref.tif", ref, Affine(0.5, 0, X0, 0, -0.5, Y0), nodata=-9999.0,
              tags={"TIFFTAG_DATETIME": "2023:07:01 10:00:00"})
    s = write(d / "uav_sec.tif", rgb, Affine(0.5, 0, sx0, 0, -0.5, sy0), dtype="uint16",
              tags={"TIFFTAG_DATETIME": "2023:07:11 10:00:00"})
    return r, s, d


def test_uav_tracking_recovers_known_field_points_and_30m_product(run_alg, uav_pair):
    ref, sec, d = uav_pair
    out = str(d / "uav_v.tif")
    pts = str(d / "uav_points.gpkg")
    run_alg("glacvel:uav_feature_tracking", dict(
        REFERENCE=ref, SECONDARY=sec, TEMPLATE_SIZE=60.0, SPACING=15.0, MAX_SPEED=2.0,
        TARGET_RESOLUTION=30.0, OUTPUT_POINTS=pts, OUTPUT=out))
    layer = QgsVectorLayer(pts, "points", "ogr")
    assert layer.isValid() and layer.featureCount() > 1000
    feats = list(layer.getFeatures())
    xy = np.array([[f.geometry().asPoint().x(), f.geometry().asPoint().y()] for f in feats])
    vx = np.array([f["vx"] for f in feats])
    vy = np.array([f["vy"] for f in feats])
    tx, ty = true_displacement(xy[:, 0], xy[:, 1])
    ex, ey = vx - tx / UAV_DT, vy - ty / UAV_DT
    # Tolerances: the texture is a 15 m image upsampled 30×, so a 60 m template holds
    # only 4×4 independent pixels, and the field changes by up to 3·2π/1440 ≈ 0.013 m
    # per m, i.e. ±0.4 m across a template, which the matching averages. Measured:
    # RMSE 0.0085 m/d (0.085 m = 0.17 px over 10 d), max 0.028 m/d. We allow 0.02 m/d
    # RMS and 0.08 m/d (0.8 m = 1.6 px) worst case.
    err = np.hypot(ex, ey)
    print(f"UAV points: n={len(err)} RMSE={np.sqrt(np.mean(err ** 2)):.4f} m/d "
          f"max={err.max():.4f} m/d")
    assert np.sqrt(np.mean(err ** 2)) < 0.02, np.sqrt(np.mean(err ** 2))
    assert err.max() < 0.08, err.max()
    assert np.all(np.array([f["quality"] for f in feats]) > 0.3)

    p = read_product(out)
    assert p.resolution == (30.0, 30.0) and p.sensor == "UAV"
    assert float(p.tags["DT_DAYS"]) == pytest.approx(UAV_DT)
    count = p.band("count")
    assert np.nanmax(count) <= 4 and np.nanmedian(count) == 4  # 15 m spacing → 2×2 per cell
    rows, cols = np.nonzero(count >= 3)
    cx = p.transform.c + (cols + 0.5) * 30.0
    cy = p.transform.f - (rows + 0.5) * 30.0
    tx, ty = true_displacement(cx, cy)
    # the median of 2×2 points ±7.5 m from the cell centre vs the truth at the centre:
    # for this smooth field (curvature ≤ 3·(2π/1440)² m/m²) aggregation adds < 0.002 m,
    # so the cell error is the point error (measured RMSE 0.011 m/d, max 0.028 m/d).
    e30 = np.hypot(p.band("vx")[rows, cols] - tx / UAV_DT, p.band("vy")[rows, cols] - ty / UAV_DT)
    print(f"UAV 30 m: n={len(e30)} RMSE={np.sqrt(np.mean(e30 ** 2)):.4f} m/d max={e30.max():.4f}")
    assert np.sqrt(np.mean(e30 ** 2)) < 0.02 and e30.max() < 0.06, (np.sqrt(np.mean(e30 ** 2)),
                                                                   e30.max())
    assert np.allclose(p.band("v")[rows, cols],
                       np.hypot(p.band("vx"), p.band("vy"))[rows, cols], atol=1e-5)
    with rasterio.open(out) as ds:
        tags = {ds.descriptions[i]: ds.tags(i + 1) for i in range(ds.count)}
    assert tags["v"]["UNITS"] == tags["vx"]["UNITS"] == tags["vy"]["UNITS"] == "m/d"
    assert tags["dx"]["UNITS"] == tags["dy"]["UNITS"] == "m"
    assert "DESCRIPTION" in tags["count"]
    assert not any("units" in t or "description" in t for t in tags.values()), tags


@pytest.mark.parametrize("case", ["no_overlap", "same_time", "all_nodata", "constant",
                                  "template", "unreadable"])
def test_uav_bad_input_is_refused_and_writes_nothing(run_alg, uav_pair, tmp_path, case):
    ref, sec, _ = uav_pair
    params = dict(REFERENCE=ref, SECONDARY=sec, TEMPLATE_SIZE=60.0, SPACING=60.0,
                  MAX_SPEED=2.0)
    with rasterio.open(ref) as ds:
        a, t = ds.read(1), ds.transform
    stamp = {"TIFFTAG_DATETIME": "2023:07:11 10:00:00"}
    expect = None
    if case == "no_overlap":
        params["SECONDARY"] = write(tmp_path / "far.tif", a, t * Affine.translation(5000, 0),
                                    tags=stamp)
        expect = "do not overlap"
    elif case == "same_time":
        params["SECONDARY"] = write(tmp_path / "same.tif", a, t,
                                    tags={"TIFFTAG_DATETIME": "2023:07:01 10:00:00"})
        expect = "time baseline"
    elif case == "all_nodata":
        params["SECONDARY"] = write(tmp_path / "nd.tif", np.full(a.shape, -9999.0), t,
                                    nodata=-9999.0, tags=stamp)
        expect = "no window could be matched"
    elif case == "constant":
        params["SECONDARY"] = write(tmp_path / "c.tif", np.full(a.shape, 100.0), t, tags=stamp)
        expect = "no window could be matched"
    elif case == "template":
        params["TEMPLATE_SIZE"] = 800.0
        expect = "larger than the overlap"
    elif case == "unreadable":
        bad = tmp_path / "broken.tif"
        bad.write_text("not a raster")
        params["SECONDARY"] = str(bad)
    out = tmp_path / "out.tif"
    params.update(OUTPUT=str(out), OUTPUT_POINTS=str(tmp_path / "pts.gpkg"))
    with pytest.raises(QgsProcessingException) as err:
        run_alg("glacvel:uav_feature_tracking", params)
    if expect:
        assert expect in str(err.value)
    assert not out.exists()
    assert not [f for f in os.listdir(tmp_path) if f.startswith(".glacvel-")]


def test_sar_geographic_input_is_worked_on_in_utm(run_alg, speckled_pair):
    """SNAP terrain correction writes WGS 84 lat/lon by default: such a pair is tracked
    on the UTM zone of its centre and gives the same velocity."""
    from rasterio.warp import calculate_default_transform, reproject
    ref, sec, d = speckled_pair
    geo = []
    for path in (ref, sec):
        with rasterio.open(path) as ds:
            t, w, h = calculate_default_transform(ds.crs, "EPSG:4326", ds.width, ds.height,
                                                  *ds.bounds)
            dst = np.zeros((h, w), np.float32)
            reproject(ds.read(1), dst, src_transform=ds.transform, src_crs=ds.crs,
                      dst_transform=t, dst_crs="EPSG:4326", resampling=Resampling.bilinear)
            geo.append(write(d / ("geo_" + os.path.basename(path)), dst, t, crs="EPSG:4326",
                             nodata=0.0))
    out = str(d / "v_geo.tif")
    run_alg("glacvel:sar_offset_tracking", dict(
        REFERENCE=geo[0], SECONDARY=geo[1], INPUT_SCALE=1, OUTPUT_RESOLUTION=160,
        MAX_SPEED=2.0, OUTPUT=out, **S1_TIMES))
    p = read_product(out)
    assert p.crs.to_epsg() == 32607
    # the UTM work pixel is 7.9 m (finer lat/lon side), so 160 m cells fall between
    # nodes 20 px = 158 m apart: all values but the first cell (centred on node 0) are
    # interpolated (flag 4)
    flag = p.band("flag")
    ok = (flag == 0) | (flag == 4)
    assert np.sum(flag == 4) >= 50 and np.sum(flag == 0) == 1 and flag[0, 0] == 0
    # the lat/lon resampling smooths the speckle a bit; the offsets stay (22.5, -15) m
    assert abs(np.median(p.band("dx")[ok]) - 22.5) < 1.0
    assert abs(np.median(p.band("dy")[ok]) + 15.0) < 1.0


def test_uav_orientation_correlation_on_a_coarser_work_grid(run_alg, uav_pair):
    """Orientation correlation (Heid & Kääb 2012) on 1 m work pixels (average of 2×2)."""
    ref, sec, d = uav_pair
    out = str(d / "uav_oc.tif")
    res = run_alg("glacvel:uav_feature_tracking", dict(
        REFERENCE=ref, SECONDARY=sec, TEMPLATE_SIZE=60.0, SPACING=30.0, MAX_SPEED=2.0,
        METHOD=1, WORK_RESOLUTION=1.0, TARGET_RESOLUTION=60.0, OUTPUT_POINTS="memory:",
        OUTPUT=out))
    p = read_product(out)
    assert p.tags["TEMPLATE_PX"] == "60" and p.tags["WORK_PIXEL_M"] == "1.0000"
    assert "OC" in p.tags["METHOD"]
    rows, cols = np.nonzero(p.band("count") >= 1)
    assert len(rows) > 50
    cx = p.transform.c + (cols + 0.5) * 60.0
    cy = p.transform.f - (rows + 0.5) * 60.0
    tx, ty = true_displacement(cx, cy)
    e = np.hypot(p.band("vx")[rows, cols] - tx / UAV_DT, p.band("vy")[rows, cols] - ty / UAV_DT)
    # medians of ≤4 points ±15 m from the centre: the field gradient (≤0.013) gives up to
    # 0.2 m = 0.02 m/d between points and centre; OC peaks are sharper than NCC peaks
    print(f"UAV OC 60 m: n={len(e)} RMSE={np.sqrt(np.mean(e ** 2)):.4f} max={e.max():.4f} m/d")
    assert np.sqrt(np.mean(e ** 2)) < 0.03 and e.max() < 0.08
    layer = res["OUTPUT_POINTS"]
    layer = layer if hasattr(layer, "featureCount") else QgsVectorLayer(layer, "p", "ogr")
    assert layer.featureCount() >= len(rows)


def test_sar_cancel_writes_nothing(run_alg, speckled_pair, tmp_path):
    from qgis.core import QgsProcessingFeedback

    class CancelAfterFirstTile(QgsProcessingFeedback):
        def setProgress(self, p):
            super().setProgress(p)
            if p > 0:
                self.cancel()

    ref, sec, _ = speckled_pair
    out = tmp_path / "cancelled.tif"
    with pytest.raises(QgsProcessingException) as err:
        run_alg("glacvel:sar_offset_tracking", dict(
            REFERENCE=ref, SECONDARY=sec, INPUT_SCALE=1, OUTPUT_RESOLUTION=40, MAX_SPEED=2.0,
            OUTPUT=str(out), **S1_TIMES), feedback=CancelAfterFirstTile())
    assert "Canceled" in str(err.value)
    assert not out.exists() and not list(tmp_path.glob(".glacvel-*"))
