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
