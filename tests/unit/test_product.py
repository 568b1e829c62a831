"""The velocity product file: bands by description, NaN <-> nodata, tags, atomic writes."""
import datetime as dt
import os

import numpy as np
import pytest
import rasterio
from rasterio.crs import CRS
from rasterio.transform import from_origin
from rasterio.windows import Window

from glacvel_plugin.io.product import (NODATA, ProductError, ProductWriter, read_product,
                                       standard_tags, write_product)

T0 = dt.datetime(2016, 7, 18, 20, 37, 6)
T1 = dt.datetime(2016, 8, 3, 20, 37, 9)
CRS32607 = CRS.from_epsg(32607)


def _bands(rows=40, cols=30):
    rng = np.random.default_rng(0)
    vx = rng.normal(size=(rows, cols)).astype(np.float32)
    vy = rng.normal(size=(rows, cols)).astype(np.float32)
    vx[3, 4] = np.nan
    return {"vx": vx, "vy": vy, "v": np.hypot(vx, vy)}


def test_round_trip_bands_by_description_nan_and_tags(tmp_path):
    path = str(tmp_path / "p.tif")
    b = _bands()
    tags = standard_tags("L8", T0, T1, "phase correlation", WINDOW=32)
    write_product(path, b, from_origin(500000, 6700000, 30, 30), CRS32607, tags)
    with rasterio.open(path) as ds:
        assert ds.descriptions == ("vx", "vy", "v")
        assert ds.nodata == NODATA and ds.dtypes[0] == "float32"
        assert ds.read(1)[3, 4] == NODATA
    p = read_product(path, bands=["v", "vx"])
    assert list(p.bands) == ["v", "vx"]
    assert np.isnan(p.band("vx")[3, 4]) and np.isnan(p.band("v")[3, 4])
    np.testing.assert_array_equal(p.band("vx")[0], b["vx"][0])
    assert p.sensor == "L8" and p.tags["WINDOW"] == "32" and p.tags["UNITS"] == "m/d"
    assert p.start_time == T0 and p.end_time == T1
    assert p.dt_days == pytest.approx(16.0000347, abs=1e-6)
    assert p.resolution == (30.0, 30.0) and p.shape == (40, 30)


def test_missing_band_message_names_the_bands(tmp_path):
    path = str(tmp_path / "p.tif")
    write_product(path, _bands(), from_origin(0, 0, 1, 1), CRS32607,
                  standard_tags("S2", T0, T1, "x"))
    with pytest.raises(ProductError, match=r"no band\(s\) quality .*bands: vx, vy, v"):
        read_product(path, bands=["quality"])


def test_non_positive_time_baseline_is_refused():
    with pytest.raises(ValueError, match="time baseline must be positive"):
        standard_tags("L8", T1, T0, "x")


def test_block_writer_writes_windows_and_builds_overviews(tmp_path):
    """Block writes land in their windows; overviews are built; GDAL's block cache is
    bounded while the writer is open and restored afterwards (also after a failure)."""
    from osgeo import gdal
    from glacvel_plugin.io.product import GDAL_CACHE_BYTES
    path = str(tmp_path / "big.tif")
    rows, cols = 600, 520
    before = gdal.GetCacheMax()
    gdal.SetCacheMax(4 * GDAL_CACHE_BYTES)
    with ProductWriter(path, ["vx"], rows, cols, from_origin(0, 0, 30, 30), CRS32607,
                       {"UNITS": "m/d"}) as w:
        assert gdal.GetCacheMax() == GDAL_CACHE_BYTES
        for r0 in range(0, rows, 256):
            h = min(256, rows - r0)
            w.write({"vx": np.full((h, cols), r0, np.float32)}, Window(0, r0, cols, h))
    with rasterio.open(path) as ds:
        assert ds.overviews(1) == [2, 4, 8]
        assert ds.block_shapes[0] == (256, 256)
        a = ds.read(1)
    assert a[0, 0] == 0 and a[300, 10] == 256 and a[599, 519] == 512
    assert gdal.GetCacheMax() == 4 * GDAL_CACHE_BYTES
    with pytest.raises(RuntimeError):
        with ProductWriter(path, ["vx"], 10, 10, from_origin(0, 0, 1, 1), CRS32607, {}):
            raise RuntimeError("interrupted")
    assert gdal.GetCacheMax() == 4 * GDAL_CACHE_BYTES
    gdal.SetCacheMax(before)


def test_failed_write_leaves_nothing_and_keeps_existing_file(tmp_path):
    path = str(tmp_path / "p.tif")
    write_product(path, _bands(), from_origin(0, 0, 1, 1), CRS32607, {"UNITS": "m/d"})
    before = open(path, "rb").read()
    with pytest.raises(RuntimeError):
        with ProductWriter(path, ["vx"], 10, 10, from_origin(0, 0, 1, 1), CRS32607, {}) as w:
            w.write({"vx": np.zeros((10, 10))})
            raise RuntimeError("interrupted")
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["p.tif"]


def test_failure_while_finishing_leaves_nothing(tmp_path, monkeypatch):
    """An error while the overviews are built (disk full, say) removes the temporary
    file, keeps the existing product and restores GDAL's block cache."""
    from osgeo import gdal
    path = str(tmp_path / "p.tif")
    write_product(path, _bands(), from_origin(0, 0, 1, 1), CRS32607, {"UNITS": "m/d"})
    before, cache = open(path, "rb").read(), gdal.GetCacheMax()
    w = ProductWriter(path, ["vx"], 300, 300, from_origin(0, 0, 30, 30), CRS32607, {})
    w.write({"vx": np.ones((300, 300))})

    def full(*args, **kwargs):
        raise OSError("No space left on device")
    monkeypatch.setattr(rasterio.io.DatasetWriter, "build_overviews", full)
    with pytest.raises(OSError, match="No space"):
        w.commit()
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["p.tif"]
    assert gdal.GetCacheMax() == cache


def test_output_equal_to_an_input_is_refused(tmp_path):
    src = tmp_path / "in.tif"
    write_product(str(src), _bands(), from_origin(0, 0, 1, 1), CRS32607, {})
    with pytest.raises(ValueError, match="is one of the inputs"):
        ProductWriter(str(src), ["vx"], 5, 5, from_origin(0, 0, 1, 1), CRS32607, {},
                      protect=[str(src)])


def test_html_report_embeds_table_and_figure(tmp_path):
    from glacvel_plugin.io.report import HtmlReport, new_figure
    r = HtmlReport("Stable ground <test>")
    r.table(["stat", "vx"], [["mean", 0.012345], ["n", 10]])
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    r.figure(fig, alt="line")
    out = r.save(str(tmp_path / "r.html"))
    text = open(out, encoding="utf-8").read()
    assert "Stable ground &lt;test&gt;" in text and "<td>0.01235</td>" in text
    assert 'src="data:image/png;base64,iVBOR' in text
    assert os.listdir(tmp_path) == ["r.html"]


def test_atomic_text_write_keeps_old_file_on_failure_and_csv_newlines(tmp_path):
    import csv
    from glacvel_plugin.io.files import atomic_write_text
    path = str(tmp_path / "sub" / "t.csv")
    assert atomic_write_text(path, lambda f: csv.writer(f).writerows([["a", 1], ["b", 2]]),
                             newline="") == path
    # newline="" lets the csv module write its own CRLF row ends, without doubling them
    assert open(path, "rb").read() == b"a,1\r\nb,2\r\n"

    def fail(f):
        f.write("half a table")
        raise RuntimeError("interrupted")
    with pytest.raises(RuntimeError, match="interrupted"):
        atomic_write_text(path, fail)
    assert open(path, "rb").read() == b"a,1\r\nb,2\r\n"
    assert os.listdir(tmp_path / "sub") == ["t.csv"]


def test_outputs_get_the_usual_permissions_not_mkstemps_owner_only(tmp_path):
    from glacvel_plugin.io.files import atomic_write_text
    umask = os.umask(0o022)
    try:
        p = write_product(str(tmp_path / "p.tif"), _bands(), from_origin(0, 0, 30, 30), CRS32607,
                          {"UNITS": "m/d"})
        t = atomic_write_text(str(tmp_path / "t.csv"), lambda f: f.write("a,b\n"))
    finally:
        os.umask(umask)
    assert oct(os.stat(p).st_mode & 0o777) == oct(0o644)
    assert oct(os.stat(t).st_mode & 0o777) == oct(0o644)


def test_fusion_refuses_products_in_degrees(tmp_path):
    from glacvel_plugin.io.grid import open_sources
    p = write_product(str(tmp_path / "geo.tif"), _bands(), from_origin(-140.5, 60.8, 0.001, 0.001),
                      CRS.from_epsg(4326), standard_tags("L8", T0, T1, "x"))
    with pytest.raises(ValueError, match="geographic CRS"):
        open_sources([p])
