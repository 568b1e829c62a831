"""Output grids of absurd size and user tables with text in number columns are refused
before anything is written: the message names the parameter (grid size and a workable
value) or the file, row and column; no input changes and the output folders hold
nothing new.

Real data only: the Kaskawulsh Landsat-8 / Sentinel-2 velocity products imported by the
``kask`` fixture of tests/qgis/conftest.py (demo/data/kaskawulsh).
"""
import os
import re

import numpy as np

import pytest

from tests.helpers import refused, snapshot


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


# ----------------------------------------------------------------- SAR fill values
def _uint16_grd(src, dst, edge_col):
    """The real Sentinel-1 EW crop (dB) as GRD-like uint16 amplitude DN
    (1000·√σ⁰, no nodata tag) with a slanted 0-valued swath edge at ``edge_col`` and
    a saturated (65535) patch that does not move."""
    import rasterio
    with rasterio.open(src) as ds:
        db = ds.read(1).astype(np.float64)
        prof = ds.profile
    dn = np.clip(np.round(1000.0 * np.sqrt(10.0 ** (db / 10.0))), 1, 65534).astype(np.uint16)
    r, c = np.mgrid[0:dn.shape[0], 0:dn.shape[1]]
    dn[c < edge_col + 0.25 * r] = 0
    dn[180:260, 400:480] = 65535          # a saturated patch, at one place in both
    prof.update(dtype="uint16", nodata=None)
    with rasterio.open(dst, "w", **prof) as out:
        out.write(dn, 1)
    return dst


def test_sar_untagged_uint16_zero_swath_edge_is_no_data(run_alg, tmp_path):
    """Untagged uint16 GRD DN with a 0-valued swath edge and a saturated 65535 patch
    that does not move (the ice drifts ~4.6 km/d): the fill is reported, and no
    stationary vector is measured on the patch (without the fill step two vectors of
    ~3 m/d are; 0 is no data for the log amplitude already)."""
    from glacvel_plugin.io.product import read_product
    from qgis.core import QgsProcessingFeedback
    from tests.conftest import s1_pair
    files = s1_pair()
    d = tmp_path / "in"
    d.mkdir()
    ref = _uint16_grd(files[0], str(d / os.path.basename(files[0])), 120)
    sec = _uint16_grd(files[1], str(d / os.path.basename(files[1])), 160)
    before = snapshot(str(d))

    class Log(QgsProcessingFeedback):
        warnings = []

        def pushWarning(self, text):  # noqa: N802 (QGIS API)
            self.warnings.append(text)
            super().pushWarning(text)

    log = Log()
    out = str(tmp_path / "edge.tif")
    run_alg("glacvel:sar_offset_tracking", dict(
        REFERENCE=ref, SECONDARY=sec, MAX_SPEED=7000.0, OUTPUT_RESOLUTION=4000,
        PEAK_RATIO=5.0, OUTPUT=out), feedback=log)
    assert snapshot(str(d)) == before
    assert any(w.startswith(f"REFERENCE {os.path.basename(ref)} has no nodata value") and
               "% of the pixels are 0" in w for w in log.warnings), log.warnings
    assert any(w.startswith("SECONDARY ") for w in log.warnings)
    p = read_product(out)
    v = p.band("v")
    ok = np.isfinite(v)
    assert ok.mean() > 0.15
    assert 4000 < np.median(v[ok]) < 5500
    assert np.abs(v[ok] - np.median(v[ok])).max() < 1000    # no stationary edge vectors
    # output cells centred left of the reference edge are no data
    assert not ok[:, 0].any()
