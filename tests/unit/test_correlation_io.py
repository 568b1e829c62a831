"""File-level correlation: alignment, product contract, bad input, cancel (no QGIS)."""
import datetime as dt
import os

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.windows import Window

from glacvel_plugin.core import Canceled
from glacvel_plugin.io.pair import auto_step, correlate_files, open_pair, output_transform
from glacvel_plugin.io.product import VELOCITY_BANDS, read_product
from tests.conftest import YAHTSE_REF, test_data
from tests.helpers import fourier_shift

REF = YAHTSE_REF
T0 = dt.datetime(2016, 7, 18, 20, 37, 6)
T1 = dt.datetime(2016, 8, 3, 20, 37, 9)


@pytest.fixture(scope="module")
def src():
    with rasterio.open(test_data(*REF)) as ds:
        win = Window(350, 54, 320, 224)
        return ds.read(1, window=win).astype(np.float64), ds.window_transform(win), ds.crs


def _write(path, data, transform, crs, dtype="uint16", nodata=None, count=1):
    data = np.asarray(data)
    if data.ndim == 2:
        data = np.repeat(data[None], count, axis=0)
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[2], height=data.shape[1],
                       count=data.shape[0], dtype=dtype, crs=crs, transform=transform,
                       nodata=nodata) as ds:
        ds.write(data.astype(dtype))
    return str(path)


def _leftovers(folder, keep):
    return sorted(f for f in os.listdir(folder) if f not in keep)


@pytest.fixture(scope="module")
def shifted_pair(src, tmp_path_factory):
    a, T, crs = src
    d = tmp_path_factory.mktemp("pair")
    sec = fourier_shift(a, 2.3, -1.6)           # content moves 2.3 px south, 1.6 px west
    return (_write(d / "ref.tif", np.round(a), T, crs), _write(d / "sec.tif", np.round(sec), T, crs))


def test_product_contract_units_signs_grid_and_tags(shifted_pair, tmp_path, src):
    ref, sec = shifted_pair
    out = str(tmp_path / "v.tif")
    res = correlate_files(ref, sec, out, T0, T1, window=32, step=4, max_speed=5.0)
    p = read_product(out)
    assert list(p.bands) == list(VELOCITY_BANDS)
    dt_days = (T1 - T0).total_seconds() / 86400
    assert res["dt_days"] == pytest.approx(dt_days) and res["step"] == 4
    # rows grow southwards: +2.3 rows = 34.5 m south → dy = -34.5 m, vy north-positive < 0
    assert np.nanmedian(p.band("dy")) == pytest.approx(-2.3 * 15, abs=0.3)
    assert np.nanmedian(p.band("dx")) == pytest.approx(-1.6 * 15, abs=0.3)
    assert np.nanmedian(p.band("vy")) == pytest.approx(-2.3 * 15 / dt_days, abs=0.02)
    np.testing.assert_allclose(p.band("v"), np.hypot(p.band("vx"), p.band("vy")), rtol=1e-5)
    assert np.nanmin(p.band("quality")) > 0
    # pixel centres are window centres: first centre 16 px from the image corner
    _, T, _ = src
    assert p.transform == output_transform(T, 32, 4)
    cx, cy = p.transform * (0.5, 0.5)
    assert (cx, cy) == pytest.approx(T * (16, 16))
    assert p.resolution == (60.0, 60.0)
    assert p.tags["WINDOW"] == "32" and p.tags["STEP"] == "4" and p.tags["SENSOR"] == "unknown"
    assert p.tags["START_TIME"] == "2016-07-18T20:37:06Z" and float(p.tags["DT_DAYS"]) > 16
    assert "phase" in p.tags["METHOD"]
    assert np.isfinite(p.band("v")).mean() > 0.8


def test_secondary_on_another_grid_is_aligned_on_the_reference(src, tmp_path):
    """Secondary with a half-pixel shifted origin and a smaller extent: warped onto the
    reference grid over the overlap; the half-pixel origin shift is a real ground shift."""
    a, T, crs = src
    ref = _write(tmp_path / "r.tif", np.round(a), T, crs)
    sub = a[10:200, 20:300]
    Ts = T * Affine.translation(20.5, 10.0)          # origin 7.5 m east of the pixel grid
    sec = _write(tmp_path / "s.tif", np.round(sub), Ts, crs)
    with open_pair(ref, sec) as pair:
        assert not pair.aligned
        assert pair.shape == (190, 279)              # whole pixels: rows 10..199, cols 21..299
        assert pair.transform == T * Affine.translation(21, 10)
    out = str(tmp_path / "v.tif")
    correlate_files(ref, sec, out, T0, T1, window=32, step=8, max_speed=2.0)
    p = read_product(out)
    # image content moved +0.5 px east
    assert np.nanmedian(p.band("dx")) == pytest.approx(0.5 * 15, abs=0.75)
    assert abs(np.nanmedian(p.band("dy"))) < 0.75


def test_auto_step_gives_a_30_m_grid():
    assert auto_step(15.0) == 2 and auto_step(10.0) == 3 and auto_step(30.0) == 1
    assert auto_step(100.0) == 1


def _bad(tmp_path, ref, sec, match, **kw):
    out = tmp_path / "out" / "v.tif"
    os.makedirs(out.parent, exist_ok=True)
    args = dict(window=32, step=8, max_speed=2.0)
    args.update(kw)
    t0, t1 = args.pop("t0", T0), args.pop("t1", T1)
    with pytest.raises(ValueError, match=match):
        correlate_files(ref, sec, str(out), t0, t1, **args)
    assert os.listdir(out.parent) == [], "nothing may be left behind"


def test_bad_inputs_have_clear_messages_and_leave_nothing(src, shifted_pair, tmp_path):
    a, T, crs = src
    ref, sec = shifted_pair
    far = _write(tmp_path / "far.tif", np.round(a), T * Affine.translation(10_000, 0), crs)
    _bad(tmp_path, ref, far, "do not overlap")
    nod = _write(tmp_path / "nod.tif", np.zeros(a.shape), T, crs, nodata=0)
    _bad(tmp_path, ref, nod, "no valid data")
    const = _write(tmp_path / "const.tif", np.full(a.shape, 1234), T, crs)
    _bad(tmp_path, const, sec, "constant")
    _bad(tmp_path, ref, sec, "time baseline must be positive", t0=T1, t1=T0)
    _bad(tmp_path, ref, sec, "time baseline must be positive", t0=T0, t1=T0)
    _bad(tmp_path, ref, sec, "window .* larger than", window=256)
    rgb = _write(tmp_path / "rgb.tif", np.round(a), T, crs, count=3)
    _bad(tmp_path, rgb, sec, "has 3 bands; choose the band", ref_band=0)
    _bad(tmp_path, ref, sec, "band 2 does not exist", sec_band=2)
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    _bad(tmp_path, str(junk), sec, "cannot read the reference image")
    _bad(tmp_path, ref, str(tmp_path / "missing.tif"), "cannot read the secondary image")
    _bad(tmp_path, ref, sec, "unknown pre-filter", prefilter="median")
    # RGB with an explicit band works
    out = tmp_path / "rgb_v.tif"
    correlate_files(rgb, sec, str(out), T0, T1, ref_band=2, window=32, step=8, max_speed=5.0)
    assert out.exists()


def test_output_may_not_overwrite_an_input(shifted_pair):
    ref, sec = shifted_pair
    with pytest.raises(ValueError, match="one of the inputs"):
        correlate_files(ref, sec, sec, T0, T1, window=32, step=8)


def test_cancel_between_blocks_leaves_nothing(shifted_pair, tmp_path):
    ref, sec = shifted_pair
    calls = []
    fractions = []
    with pytest.raises(Canceled):
        correlate_files(ref, sec, str(tmp_path / "v.tif"), T0, T1, window=32, step=2,
                        max_speed=5.0, budget_bytes=2 * 2 ** 20, progress=fractions.append,
                        is_canceled=lambda: calls.append(1) or len(calls) > 6)
    assert os.listdir(tmp_path) == []
    assert fractions and max(fractions) < 1.0


@pytest.mark.parametrize("method", ["ncc", "lk"])
def test_other_engines_write_the_same_product(shifted_pair, tmp_path, method):
    ref, sec = shifted_pair
    out = str(tmp_path / "v.tif")
    correlate_files(ref, sec, out, T0, T1, window=32, step=4, max_speed=5.0, method=method)
    p = read_product(out)
    assert np.nanmedian(p.band("dy")) == pytest.approx(-2.3 * 15, abs=0.3)
    assert np.nanmedian(p.band("dx")) == pytest.approx(-1.6 * 15, abs=0.3)
    assert f"glacvel {method}" in p.tags["METHOD"]
    assert np.nanmax(p.band("quality")) <= 1.0 + 1e-6


@pytest.mark.parametrize("method", ["phase", "lk"])
def test_nodata_areas_become_nodata_in_the_product(src, tmp_path, method):
    a, T, crs = src
    sec = np.round(fourier_shift(a, 0.6, 0.3))
    sec[60:140, 100:200] = 0                        # a no-data hole (nodata = 0)
    ref = _write(tmp_path / "r.tif", np.round(a), T, crs, nodata=0)
    sp = _write(tmp_path / "s.tif", sec, T, crs, nodata=0)
    out = str(tmp_path / "v.tif")
    correlate_files(ref, sp, out, T0, T1, window=32, step=4, max_speed=2.0, method=method)
    p = read_product(out)
    dy = p.band("dy")
    # output cells whose window lies inside the hole are no data, never 0
    assert np.isnan(dy[(80 - 16) // 4:(120 - 16) // 4, (130 - 16) // 4:(170 - 16) // 4]).all()
    far = dy[:, -10:]
    assert np.isfinite(far).mean() > 0.8
    assert np.nanmedian(far) == pytest.approx(-0.6 * 15, abs=0.3)
    assert not (dy == 0).any()
