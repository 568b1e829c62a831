"""GNSS CSV reader (io.gnss) on the real Kaskawulsh files shipped in demo/data."""
import datetime as dt
import os

import pytest

from glacvel_plugin.io.gnss import (GnssFileError, LAYOUTS, parse_columns, read_gnss_csv,
                                    read_gnss_files)
from tests.conftest import ROOT

GPS = os.path.join(ROOT, "demo", "data", "kaskawulsh", "gps")
MARCH = os.path.join(GPS, "Kaskawulsh_2018-04-05_to_2018-03-04_GPS.csv")


def test_kaskawulsh_layout_gives_earlier_to_later_velocity():
    recs, skipped = read_gnss_csv(MARCH)
    # station 2 has no 04-05 position: skipped, not an error
    assert skipped == 1 and [r.station for r in recs] == ["0", "1"]
    r0 = recs[0]
    assert r0.start == dt.datetime(2018, 3, 4) and r0.end == dt.datetime(2018, 4, 5)
    # start_easting is the position at date1 (04-05, later): displacement = start − end
    assert r0.vx == pytest.approx((621315.1008197918 - 621306.4195420832) / 32, abs=1e-9)
    assert r0.vy == pytest.approx((6738840.495072919 - 6738829.502333542) / 32, abs=1e-9)
    # the file's own speed column (−0.4377 m/d, negative because date1 > date2) agrees
    assert (r0.vx ** 2 + r0.vy ** 2) ** 0.5 == pytest.approx(0.43772862514766286, rel=1e-9)
    assert r0.x == pytest.approx((621315.1008197918 + 621306.4195420832) / 2)
    assert r0.line == 2 and r0.file == os.path.basename(MARCH)


def test_two_files_and_column_override(tmp_path):
    recs, skipped = read_gnss_files(sorted(
        os.path.join(GPS, f) for f in os.listdir(GPS)))
    assert len(recs) == 5 and skipped == 1       # 3 stations 03-04→03-14, 2 in the 32 days
    p = tmp_path / "renamed.csv"
    p.write_text("id;t0;t1;e0;n0;e1;n1\nA;2018-03-01;2018-03-11;100;200;110;195\n")
    cols = parse_columns("station=id,start_date=t0,end_date=t1,start_x=e0,start_y=n0,"
                         "end_x=e1,end_y=n1", "positions")
    (r,), sk = read_gnss_csv(str(p), cols, delimiter=";")
    assert (r.station, r.vx, r.vy, sk) == ("A", 1.0, -0.5, 0)


def test_velocity_layout(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("station,start_date,end_date,x,y,vx,vy\nS1,2018-05-01,2018-05-31T12:00:00,"
                 "5,6,0.3,-0.2\n")
    (r,), _ = read_gnss_csv(str(p), LAYOUTS["velocity"])
    assert (r.x, r.y, r.vx, r.vy) == (5.0, 6.0, 0.3, -0.2) and r.days == 30.5


@pytest.mark.parametrize("body, message", [
    ("id,t0,t1,e0,n0,e1,n1\nA,2018-03-01,2018-03-11,1O0,200,110,195\n",
     "bad.csv, line 2, column 'e0': '1O0' is not a number"),
    ("id,t0,t1,e0,n0,e1,n1\nA,2018-03-01,2018-03-11,100,200,110,195\n"
     "B,2018-03-11,2018-03-01,100,200,110,195\n",
     "bad.csv, line 3: end date 2018-03-01 (column 't1') is not after the start date"),
    ("id,t0,t1,e0,n0,e1\nA,2018-03-01,2018-03-11,100,200,110\n",
     "bad.csv: column(s) 'n1' (end_y) not in the header"),
    ("id,t0,t1,e0,n0,e1,n1\nA,2018-03-01,2018-03-11,100,,110,195\n",
     "bad.csv, line 2: column(s) n0 empty while e0 is filled"),
    ("id,t0,t1,e0,n0,e1,n1\nA,01/03/2018,2018-03-11,100,200,110,195\n",
     "bad.csv, line 2, column 't0': '01/03/2018' is not a date"),
])
def test_errors_name_file_line_and_column(tmp_path, body, message):
    p = tmp_path / "bad.csv"
    p.write_text(body)
    cols = parse_columns("station=id,start_date=t0,end_date=t1,start_x=e0,start_y=n0,"
                         "end_x=e1,end_y=n1", "positions")
    with pytest.raises(GnssFileError) as exc:
        read_gnss_csv(str(p), cols)
    assert message in str(exc.value)


def test_kaskawulsh_file_read_with_the_wrong_layout_says_end_before_start():
    # reading date1 (the later date) as the start date must fail, not flip the velocity
    cols = dict(LAYOUTS["kaskawulsh"], start_date="date1", end_date="date2")
    with pytest.raises(GnssFileError, match="line 2: end date 2018-03-04 .*not after"):
        read_gnss_csv(MARCH, cols)
