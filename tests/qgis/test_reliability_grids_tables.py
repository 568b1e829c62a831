"""Output grids of absurd size and user tables with text in number columns are refused
before anything is written: the message names the parameter (grid size and a workable
value) or the file, row and column; no input changes and the output folders hold
nothing new.

Real data only: the Kaskawulsh Landsat-8 / Sentinel-2 velocity products imported by the
``kask`` fixture of test_reliability (demo/data/kaskawulsh).
"""
import os
import re

import pytest

from tests.qgis.test_reliability import kask, refused, snapshot  # noqa: F401 (fixture)


def _grid_numbers(msg):
    m = re.search(r"gives a ([\d,]+) × ([\d,]+) px grid", msg)
    assert m, msg
    return int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))


def _expected_grid(kask, res):
    from glacvel_plugin.io.grid import target_grid
    g = target_grid([kask["L8"], kask["S2"]], resolution=res)
    return g


def _workable(msg, param):
    m = re.search(rf"use {param} ([\d.,]+) m or coarser", msg)
    assert m, msg
    return float(m.group(1).replace(",", ""))


def test_fuse_velocity_absurd_target_resolution_is_refused(run_alg, kask, tmp_path):
    from glacvel_plugin.io.budget import MAX_GRID_CELLS
    msg = refused(run_alg, "glacvel:fuse_velocity", {
        "SOURCES": [kask["L8"], kask["S2"]], "TARGET_RESOLUTION": 0.001,
        "OUTPUT": str(tmp_path / "fused.tif")}, "TARGET_RESOLUTION 0.001 m over the",
        [str(tmp_path), kask["folder"]])
    g = _expected_grid(kask, 0.001)
    assert _grid_numbers(msg) == (g.width, g.height)
    assert g.width * g.height > 1e14                   # a Kaskawulsh-sized extent at 1 mm
    assert "PiB uncompressed" in msg and f"{MAX_GRID_CELLS:,} cells" in msg
    ok = _workable(msg, "TARGET_RESOLUTION")
    g_ok = _expected_grid(kask, ok)
    assert g_ok.width * g_ok.height <= MAX_GRID_CELLS  # the value given does work
    assert _expected_grid(kask, ok * 0.8).width * _expected_grid(kask, ok * 0.8).height \
        > MAX_GRID_CELLS                               # and is not needlessly coarse
    assert os.listdir(tmp_path) == []


def test_monthly_velocity_absurd_target_resolution_is_refused(run_alg, kask, tmp_path):
    months = tmp_path / "months"
    msg = refused(run_alg, "glacvel:monthly_velocity", {
        "SOURCES": [kask["L8"], kask["S2"]], "WEIGHTS": "Landsat-8=1,Sentinel-2=1",
        "TARGET_RESOLUTION": 0.001, "OUTPUT_FOLDER": str(months)},
        "TARGET_RESOLUTION 0.001 m over the", [str(tmp_path), kask["folder"]])
    g = _expected_grid(kask, 0.001)
    assert _grid_numbers(msg) == (g.width, g.height)
    assert not months.exists() and os.listdir(tmp_path) == []


def test_monthly_products_larger_than_the_free_disk_are_refused(kask, tmp_path, monkeypatch):
    """io.monthly.monthly_velocity (also the dataset job's step) with a fine but not
    absurd grid on a folder with less free space than its month needs (the free space
    is set to half a product; the grid and the month are the real ones): refused
    before the output folder is created."""
    from glacvel_plugin.io import budget, monthly
    months = tmp_path / "months"
    g = _expected_grid(kask, 2.0)
    need_one = g.width * g.height * len(monthly.FUSED_BANDS) * 4
    monkeypatch.setattr(budget, "free_space", lambda folder: need_one // 2)
    before = snapshot(kask["folder"])
    with pytest.raises(ValueError) as err:
        monthly.monthly_velocity([kask["L8"], kask["S2"]], str(months), g,
                                 weights={"Landsat-8": 1, "Sentinel-2": 1},
                                 grid_param="RESOLUTION")
    msg = str(err.value)
    assert msg.startswith("RESOLUTION 2 m over the"), msg
    assert _grid_numbers(msg) == (g.width, g.height)
    assert f"free in {months}" in msg
    ok = _workable(msg, "RESOLUTION")
    g_ok = _expected_grid(kask, ok)
    assert g_ok.width * g_ok.height * len(monthly.FUSED_BANDS) * 4 <= need_one // 2
    assert ok <= 3.0                                   # about 2·√2 m, not needlessly coarse
    assert snapshot(kask["folder"]) == before
    assert not months.exists()


# ----------------------------------------------------------------- text in number columns
def _stations(kask, tmp_path, velocities, bad):
    """The Kaskawulsh GPS stations (2018-03-04 → 04-05) as a delimited-text layer, either
    with vx/vy in m/d or with start/end positions and dates; ``bad`` = (row index,
    column, text) replaces one cell. Returns (layer, table path, rows)."""
    import csv
    from qgis.core import QgsVectorLayer
    src = os.path.join(kask["folder"], "Kaskawulsh_2018-04-05_to_2018-03-04_GPS.csv")
    with open(src, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["start_easting"]]
    table = tmp_path / "stations.csv"
    cols = (["station", "x", "y", "vx", "vy", "start_date", "end_date"] if velocities else
            ["station", "x", "y", "start_x", "start_y", "end_x", "end_y", "start_date",
             "end_date"])
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for k, r in enumerate(rows):
            e0, n0 = float(r["start_easting"]), float(r["start_northing"])
            e1, n1 = float(r["end_easting"]), float(r["end_northing"])
            # date1 is the later date: the station moved from (end_*) to (start_*)
            vals = {"station": r[""], "x": e0, "y": n0, "vx": (e0 - e1) / 32.0,
                    "vy": (n0 - n1) / 32.0, "start_x": e1, "start_y": n1, "end_x": e0,
                    "end_y": n0, "start_date": r["date2"], "end_date": r["date1"]}
            if k == bad[0]:
                vals[bad[1]] = bad[2]
            w.writerow([vals[c] for c in cols])
    layer = QgsVectorLayer(f"file://{table}?delimiter=,&xField=x&yField=y&crs=EPSG:32607"
                           "&detectTypes=no", "stations", "delimitedtext")
    assert layer.isValid() and layer.featureCount() == len(rows) >= 2
    return layer, table, rows


def test_validate_velocity_reference_with_text_in_vx(run_alg, kask, tmp_path):
    layer, table, rows = _stations(kask, tmp_path, True, (1, "vx", "n/a"))
    msg = refused(run_alg, "glacvel:validate_velocity", {
        "INPUT": kask["L8"], "REFERENCE_POINTS": layer,
        "OUTPUT_HTML": str(tmp_path / "val.html")}, "is not a number",
        [str(tmp_path), kask["folder"]])
    assert f"REFERENCE_POINTS ({table}): feature {rows[1]['']} (row 2), field 'vx': " \
        "'n/a' is not a number" in msg
    assert sorted(os.listdir(tmp_path)) == ["stations.csv"]


def test_validate_velocity_with_the_clean_table_runs(run_alg, kask, tmp_path):
    """The same table without the bad cell is accepted (the refusal above is the cell's)."""
    layer, _, rows = _stations(kask, tmp_path, True, (-1, "vx", ""))
    res = run_alg("glacvel:validate_velocity", {"INPUT": kask["L8"], "REFERENCE_POINTS": layer})
    assert 1 <= res["N"] <= len(rows)


def test_monthly_velocity_reference_with_text_in_a_position(run_alg, kask, tmp_path):
    layer, table, rows = _stations(kask, tmp_path, False, (0, "start_y", "—"))
    months = tmp_path / "months"
    msg = refused(run_alg, "glacvel:monthly_velocity", {
        "SOURCES": [kask["L8"], kask["S2"]], "REFERENCE_POINTS": layer,
        "ID_FIELD": "station", "TARGET_RESOLUTION": 240, "OUTPUT_FOLDER": str(months)},
        "is not a number", [str(tmp_path), kask["folder"]])
    assert f"REFERENCE_POINTS ({table}): feature {rows[0]['']} (row 1), field 'start_y': " \
        "'—' is not a number" in msg
    assert not months.exists() and sorted(os.listdir(tmp_path)) == ["stations.csv"]


def test_monthly_velocity_reference_with_a_date_that_is_not_one(run_alg, kask, tmp_path):
    layer, table, rows = _stations(kask, tmp_path, False, (1, "end_date", "05/04/2018"))
    months = tmp_path / "months"
    msg = refused(run_alg, "glacvel:monthly_velocity", {
        "SOURCES": [kask["L8"], kask["S2"]], "REFERENCE_POINTS": layer,
        "ID_FIELD": "station", "TARGET_RESOLUTION": 240, "OUTPUT_FOLDER": str(months)},
        "is not a date", [str(tmp_path), kask["folder"]])
    assert f"REFERENCE_POINTS ({table}): feature {rows[1]['']} (row 2), field 'end_date' " \
        "'05/04/2018' is not a date (use YYYY-MM-DD)" in msg
    assert not months.exists() and sorted(os.listdir(tmp_path)) == ["stations.csv"]
