"""glacvel_plugin.io.fill on the real Yahtse Landsat-8 crop with fill written into it."""
import numpy as np
import rasterio

from glacvel_plugin.io.fill import detect_fill, fill_preprocess, no_match_causes
from tests.conftest import test_data as data_path

TINY = data_path("desktop", "yahtse_tiny", "LC80630182016200LGN00_B8_tiny.TIF")


def _write(path, change):
    with rasterio.open(TINY) as s:
        a, profile = s.read(1), s.profile
    with rasterio.open(path, "w", **profile) as d:
        d.write(change(a.copy()), 1)
    return str(path)


def test_clean_scene_has_no_fill():
    assert detect_fill(TINY) is None


def test_border_patch_and_stripes_detected(tmp_path):
    def change(a):
        a[:, :45] = 0                      # 45 of 300 columns: 15 %
        a[100:130, 100:130] = 65535        # 900 px: 1 %
        a[200:205, :] = 0                  # a 5-row stripe: ~1.4 %
        return a
    info = detect_fill(_write(tmp_path / "f.tif", change))
    assert abs(info.fractions[0.0] - (300 * 45 + 5 * 255) / 90000) < 1e-9
    assert abs(info.fractions[65535.0] - 900 / 90000) < 1e-9
    assert abs(info.stripe_fraction - 5 * 255 / 90000) < 1e-9
    assert not info.stripes                # below 2 %: not an SLC-off pattern
    assert "16.4 % of the pixels are 0, 1.0 % of the pixels are 65535" in info.describe()


def test_tagged_nodata_is_left_to_the_reader(tmp_path):
    with rasterio.open(TINY) as s:
        a, profile = s.read(1), dict(s.profile, nodata=0)
    a[:, :45] = 0
    with rasterio.open(tmp_path / "t.tif", "w", **profile) as d:
        d.write(a, 1)
    assert detect_fill(str(tmp_path / "t.tif")) is None


def test_preprocess_masks_wide_fill_and_fills_stripes():
    with rasterio.open(TINY) as s:
        a = s.read(1).astype(np.float32)
    b = a.copy()
    b[:, :40] = 0
    b[150:156, :] = 0
    out = fill_preprocess()(b)
    assert np.isnan(out[:, :40]).all()
    stripe = out[150:156, 60:]
    assert np.isfinite(stripe).all()
    # filled from the surroundings: close to the local mean, smoother than the image
    assert abs(float(stripe.mean()) - float(a[140:166, 60:].mean())) < 0.05 * a.mean()
    assert stripe.std() < a[150:156, 60:].std()
    np.testing.assert_array_equal(out[:150, 40:], a[:150, 40:])   # valid pixels unchanged


def test_no_match_causes_step_and_speed():
    causes = no_match_causes(TINY, TINY, 32, 280, 0.01, 16.0)
    assert causes[0].startswith("STEP 280 px leaves only 1 window(s) of 32 px in the 300 × 300")
    assert causes[1].startswith("MAX_SPEED 0.01 m/d over Δt 16.0 d is only 0.01 px")
    assert no_match_causes(TINY, TINY, 32, 4, 5.0, 16.0) == []
