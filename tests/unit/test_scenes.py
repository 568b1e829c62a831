"""Sensor and acquisition time from real product names, MTL files and tags."""
import datetime as dt

from glacvel_plugin.core.scenes import parse_mtl, parse_scene_name, parse_tag_time, time_from_tags
from glacvel_plugin.io.scenes import acquisition_time, scene_info
from tests.conftest import YAHTSE_REF, test_data

import pytest


def test_landsat_pre_collection_id_gives_day_and_path_row():
    s = parse_scene_name("LC80630182016200LGN00_B8_yahtse.TIF")
    assert s.sensor == "L8" and s.footprint_id == "063018"
    assert s.time == dt.datetime(2016, 7, 18) and s.date_only


def test_landsat_collection_product_id():
    s = parse_scene_name("LC09_L1TP_147039_20230315_20230316_02_T1_B8.TIF")
    assert (s.sensor, s.footprint_id, s.time.date()) == ("L9", "147039", dt.date(2023, 3, 15))


def test_sentinel2_product_and_granule_names():
    s = parse_scene_name("S2B_MSIL1C_20180304T203411_N0206_R071_T07VFH_20180304T222516.SAFE")
    assert (s.sensor, s.footprint_id, s.time) == ("S2", "07VFH", dt.datetime(2018, 3, 4, 20, 34, 11))
    g = parse_scene_name("T47RMK_20230115T043141_B08.jp2")
    assert (g.sensor, g.footprint_id, g.time) == ("S2", "47RMK", dt.datetime(2023, 1, 15, 4, 31, 41))


def test_sentinel1_name_time_is_mid_acquisition_and_relative_orbit():
    s = parse_scene_name("clip_HH_S1B_EW_GRDM_1SDH_20200301T083237_20200301T083346_020496_026D68_5471_adjusted.tif")
    assert s.sensor == "S1" and s.platform == "S1B" and s.extra["mode"] == "EW"
    assert s.time == dt.datetime(2020, 3, 1, 8, 33, 11, 500000)
    a = parse_scene_name("S1A_IW_GRDH_1SDV_20230103T235959_20230104T000024_046621_0596B5_1A2B.zip")
    assert a.time == dt.datetime(2023, 1, 4, 0, 0, 11, 500000)
    assert a.footprint_id == f"R{(46621 - 73) % 175 + 1:03d}"


def test_mtl_and_real_landsat_file_time_to_the_second():
    text = open(test_data("yahtse_landsat8", "mtl", "LC80630182016216LGN00_B8_MTL.txt")).read()
    m = parse_mtl(text)
    assert m.time == dt.datetime(2016, 8, 3, 20, 37, 9) and m.sensor == "L8"
    assert m.footprint_id == "063018" and 0 <= m.extra["cloud_cover"] <= 100
    path = test_data(*YAHTSE_REF)
    assert scene_info(path).time == dt.datetime(2016, 7, 18, 20, 37, 6)


def test_tag_formats():
    assert parse_tag_time("2021:07:02 11:22:33") == dt.datetime(2021, 7, 2, 11, 22, 33)
    assert parse_tag_time("2018-03-04T20:34:11+02:00") == dt.datetime(2018, 3, 4, 18, 34, 11)
    assert parse_tag_time("nonsense") is None
    assert time_from_tags({"TIFFTAG_DATETIME": "2020:01:02 03:04:05"}) == dt.datetime(2020, 1, 2, 3, 4, 5)
    assert time_from_tags({"OTHER": "x"}) is None


def test_no_time_found_asks_for_the_parameter(tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    p = tmp_path / "ortho.tif"
    with rasterio.open(p, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       transform=from_origin(0, 0, 1, 1)) as ds:
        ds.write(np.zeros((1, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="set the reference time parameter"):
        acquisition_time(str(p), role="reference")
    assert acquisition_time(str(p), dt.datetime(2020, 1, 1)) == dt.datetime(2020, 1, 1)
