"""Hostile-user cases through processing.run: inputs never change, failed or cancelled
runs leave nothing, messages name the user's parameter and file.

Real data only: the Kaskawulsh Landsat-8 / Sentinel-2 velocity rasters, bedrock
shapefile and GPS tables of demo/data/kaskawulsh, the Kaskawulsh flowline of
tests/data/kaskawulsh_flowline and the Yahtse Landsat-8 crops of tests/data/desktop.
Every test copies its inputs into a temporary folder first and hashes every file there
before and after the run.
"""
import os
import shutil

import numpy as np
import pytest
from qgis.core import QgsProcessingException, QgsProcessingFeedback, QgsVectorLayer

from glacvel_plugin.io.guard import _host_tag
from tests.conftest import test_data as data_path
from tests.helpers import KASK_BEDROCK as BEDROCK, KASK_L8_FILE as L8
from tests.helpers import refused, snapshot


class CancelAt(QgsProcessingFeedback):
    """A feedback whose ``isCanceled`` turns true at its ``n``-th call (1-based)."""

    def __init__(self, n):
        super().__init__()
        self.n, self.calls = n, 0

    def isCanceled(self):  # noqa: N802 (QGIS API)
        self.calls += 1
        return self.calls >= self.n or super().isCanceled()


# ----------------------------------------------------------------- inputs never overwritten
def test_output_through_symlinked_folder_onto_input_is_refused(run_alg, kask, tmp_path):
    link = tmp_path / "link"
    os.symlink(kask["folder"], link)
    msg = refused(run_alg, "glacvel:import_velocity", {
        "VX": kask["L8"].replace("L8.tif", L8.format("vx")),
        "VY": os.path.join(kask["folder"], L8.format("vy")),
        "START_DATE": "2018-03-04T00:00:00", "END_DATE": "2018-04-05T00:00:00",
        "OUTPUT": str(link / L8.format("vy"))}, "is one of the inputs",
        [kask["folder"], str(tmp_path)])
    assert "OUTPUT" in msg and "VY" in msg and "symbolic link" in msg
    assert "choose another file name" in msg


def test_table_over_stable_ground_shapefile_sidecar_is_refused(run_alg, kask, tmp_path):
    for target in ("bedrock_V1.dbf", "bedrock_V1.shp"):
        msg = refused(run_alg, "glacvel:stable_ground_error", {
            "INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
            "OUTPUT_TABLE": os.path.join(kask["folder"], target),
            "OUTPUT_ERROR": str(tmp_path / "err.tif")},
            "OUTPUT_TABLE", [kask["folder"], str(tmp_path)])
        assert "STABLE_GROUND" in msg and "bedrock_V1" in msg
        assert "inputs are never overwritten" in msg


def test_report_over_an_input_is_refused(run_alg, kask, tmp_path):
    """The stable-ground report (HTML) named like the input product."""
    msg = refused(run_alg, "glacvel:stable_ground_error", {
        "INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT_TABLE": str(tmp_path / "t.csv"), "OUTPUT_REPORT": kask["L8"],
        "OUTPUT_ERROR": str(tmp_path / "err.tif")},
        "OUTPUT_REPORT", [kask["folder"], str(tmp_path)])
    assert "is one of the inputs (INPUT" in msg


def test_flowline_csv_over_the_flowlines_is_refused(run_alg, kask, tmp_path):
    csv_like = os.path.join(kask["folder"], "trunk.csv")
    shutil.copy(kask["trunk"], csv_like)  # a flowline file that happens to end in .csv
    try:
        msg = refused(run_alg, "glacvel:flowline_profile", {
            "INPUT": [kask["L8"]], "FLOWLINES": kask["trunk"], "OUTPUT": "TEMPORARY_OUTPUT",
            "OUTPUT_CSV": kask["trunk"]}, "OUTPUT_CSV", [kask["folder"]])
        assert "is one of the inputs (FLOWLINES" in msg
    finally:
        os.remove(csv_like)


def test_statistics_over_the_outlines_shapefile_is_refused(run_alg, kask, tmp_path):
    for target in ("bedrock_V1.shp", "bedrock_V1.dbf"):
        msg = refused(run_alg, "glacvel:glacier_statistics", {
            "INPUT": [kask["L8"]], "GLACIERS": kask["bedrock"],
            "OUTPUT": os.path.join(kask["folder"], target)},
            "OUTPUT", [kask["folder"]])
        assert "GLACIERS" in msg


def test_hard_link_to_an_input_is_refused(run_alg, kask, tmp_path):
    other = tmp_path / "same_inode.tif"
    os.link(kask["S2"], other)
    msg = refused(run_alg, "glacvel:stable_ground_correction", {
        "INPUT": kask["S2"], "STABLE_GROUND": kask["bedrock"], "OUTPUT": str(other)},
        "is one of the inputs", [kask["folder"], str(tmp_path)])
    assert "INPUT" in msg


def test_two_outputs_with_one_name_are_refused(run_alg, kask, tmp_path):
    same = str(tmp_path / "profile.csv")
    msg = refused(run_alg, "glacvel:flowline_profile", {
        "INPUT": [kask["L8"]], "FLOWLINES": kask["trunk"], "OUTPUT": same,
        "OUTPUT_CSV": same}, "OUTPUT", [str(tmp_path), kask["folder"]])
    assert "is also the output" in msg and "its own file name" in msg


# ----------------------------------------------------------------- format from the extension
@pytest.mark.parametrize("name", ["velocity.png", "velocity.txt", "velocity"])
def test_raster_output_named_for_another_format_is_refused(run_alg, kask, tmp_path, name):
    msg = refused(run_alg, "glacvel:stable_ground_correction", {
        "INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT": str(tmp_path / name)}, "OUTPUT", [kask["folder"], str(tmp_path)])
    assert "GeoTIFF" in msg and "name it velocity.tif" in msg
    assert os.listdir(tmp_path) == []


def test_report_and_table_extensions(run_alg, kask, tmp_path):
    msg = refused(run_alg, "glacvel:stable_ground_error", {
        "INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT_TABLE": str(tmp_path / "t.csv"), "OUTPUT_REPORT": str(tmp_path / "r.txt"),
        "OUTPUT_ERROR": str(tmp_path / "e.tif")}, "OUTPUT_REPORT", [str(tmp_path)])
    assert "name it r.html" in msg
    msg = refused(run_alg, "glacvel:stable_ground_error", {
        "INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT_TABLE": str(tmp_path / "t.tif"), "OUTPUT_REPORT": str(tmp_path / "r.html"),
        "OUTPUT_ERROR": str(tmp_path / "e.tif")}, "OUTPUT_TABLE", [str(tmp_path)])
    assert "'.tif'" in msg and "vector layer" in msg
    assert os.listdir(tmp_path) == []


# ----------------------------------------------------------------- all outputs or none
def _cancel_everywhere(run_alg, alg, params, folders, max_calls=400):
    """Cancel at the 1st, 2nd, ... isCanceled() call until a run completes; after every
    cancelled run the folders are exactly as before. Returns (cancelled runs, results)."""
    before = {f: snapshot(f) for f in folders}
    for n in range(1, max_calls):
        fb = CancelAt(n)
        try:
            results = run_alg(alg, params, feedback=fb)
        except QgsProcessingException as exc:
            assert "Canceled" in str(exc), str(exc)
            for f in folders:
                assert snapshot(f) == before[f], f"cancel at call {n} left files in {f}"
            continue
        return n - 1, results
    raise AssertionError("the run never completed")


def test_cancelled_stable_ground_error_leaves_nothing(run_alg, kask, tmp_path):
    out = tmp_path / "out"
    params = {"INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
              "OUTPUT_TABLE": str(out / "stats.gpkg"), "OUTPUT_REPORT": str(out / "r.html"),
              "OUTPUT_ERROR": str(out / "err.tif")}
    cancelled, res = _cancel_everywhere(run_alg, "glacvel:stable_ground_error", params,
                                        [str(tmp_path), kask["folder"]])
    assert cancelled >= 3
    assert sorted(os.listdir(out)) == ["err.tif", "r.html", "stats.gpkg"]
    assert res["OUTPUT_ERROR"] == str(out / "err.tif")
    assert res["OUTPUT_REPORT"] == str(out / "r.html")
    assert res["OUTPUT_TABLE"].startswith(str(out / "stats.gpkg"))
    import sqlite3
    with sqlite3.connect(str(out / "stats.gpkg")) as db:   # the layer keeps the file's name
        assert db.execute("SELECT table_name FROM gpkg_contents").fetchall() == [("stats",)]
        assert db.execute('SELECT COUNT(*) FROM "stats"').fetchone()[0] > 0


def test_cancelled_monthly_velocity_leaves_nothing(run_alg, kask, tmp_path):
    months = tmp_path / "months"
    cancelled, res = _cancel_everywhere(run_alg, "glacvel:monthly_velocity", {
        "SOURCES": [kask["L8"], kask["S2"]], "WEIGHTS": "Landsat-8=1,Sentinel-2=1",
        "TARGET_RESOLUTION": 240, "OUTPUT_FOLDER": str(months)},
        [str(tmp_path), kask["folder"]])
    assert cancelled >= 2
    assert os.listdir(months) == ["201803.tif"]    # April holds 4 of Landsat's 32 days
    assert res["OUTPUT_FOLDER"] == str(months)


def test_cancelled_glacier_statistics_leaves_nothing(run_alg, kask, tmp_path):
    cancelled, res = _cancel_everywhere(run_alg, "glacvel:glacier_statistics", {
        "INPUT": [kask["L8"], kask["S2"]], "GLACIERS": kask["bedrock"],
        "OUTPUT": str(tmp_path / "glaciers.gpkg")}, [str(tmp_path), kask["folder"]])
    assert cancelled >= 2
    assert os.listdir(tmp_path) == ["glaciers.gpkg"]


def test_cancelled_flowline_profile_leaves_nothing(run_alg, kask, tmp_path):
    cancelled, res = _cancel_everywhere(run_alg, "glacvel:flowline_profile", {
        "INPUT": [kask["L8"], kask["S2"]], "FLOWLINES": kask["trunk"],
        "OUTPUT": str(tmp_path / "points.shp"), "OUTPUT_CSV": str(tmp_path / "p.csv"),
        "OUTPUT_REPORT": str(tmp_path / "p.html")}, [str(tmp_path), kask["folder"]])
    assert cancelled >= 2
    names = sorted(os.listdir(tmp_path))
    assert {"points.shp", "points.dbf", "points.shx", "p.csv", "p.html"} <= set(names)
    assert not [n for n in names if n.startswith(".glacvel-")]
    assert res["OUTPUT"].startswith(str(tmp_path / "points.shp"))


def test_failure_after_first_output_leaves_nothing_and_keeps_old_outputs(run_alg, kask,
                                                                        tmp_path):
    """flowline_profile writes the point layer and the CSV, then fails on the report
    (its folder is a file): no new file anywhere, the old CSV kept byte for byte."""
    old_csv = tmp_path / "p.csv"
    old_csv.write_text("old table\n")
    blocker = tmp_path / "reports"
    blocker.write_text("a file where the report folder should be")
    msg = refused(run_alg, "glacvel:flowline_profile", {
        "INPUT": [kask["L8"]], "FLOWLINES": kask["trunk"],
        "OUTPUT": str(tmp_path / "points.gpkg"), "OUTPUT_CSV": str(old_csv),
        "OUTPUT_REPORT": str(blocker / "p.html")}, "OUTPUT_REPORT",
        [str(tmp_path), kask["folder"]])
    assert f"{blocker} is a file, not a folder" in msg and ".glacvel-" not in msg
    assert old_csv.read_text() == "old table\n"


def test_stale_temporaries_of_dead_runs_are_removed(run_alg, kask, tmp_path):
    import subprocess
    import time
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = _host_tag()
    stale_dir = tmp_path / f".glacvel-{host}-{dead.pid}-abcd1234"
    stale_dir.mkdir()
    (stale_dir / "v.tif").write_bytes(b"half a product")
    stale_file = tmp_path / f".glacvel-{host}-{dead.pid}-x1y2.tif"
    stale_file.write_bytes(b"x")
    legacy = tmp_path / ".glacvel-k3j4l5.tif"   # an older name without a process id
    legacy.write_bytes(b"x")
    old = time.time() - 3 * 86400
    os.utime(legacy, (old, old))
    live = tmp_path / f".glacvel-{host}-{os.getppid()}-live0000"
    live.mkdir()
    recent_other_host = tmp_path / ".glacvel-ffffff-1-0000aaaa"
    recent_other_host.mkdir()
    run_alg("glacvel:stable_ground_correction", {
        "INPUT": kask["S2"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT": str(tmp_path / "corrected.tif")})
    assert sorted(os.listdir(tmp_path)) == sorted(
        ["corrected.tif", live.name, recent_other_host.name])


def test_output_replaces_an_old_shapefile_completely(run_alg, kask, tmp_path):
    """A new point layer over an old shapefile of the same name: the old sidecars the new
    one does not write (.qpj here) do not survive beside it."""
    for name in BEDROCK:
        shutil.copy(os.path.join(kask["folder"], name),
                    tmp_path / name.replace("bedrock_V1", "points"))
    run_alg("glacvel:flowline_profile", {
        "INPUT": [kask["L8"]], "FLOWLINES": kask["trunk"],
        "OUTPUT": str(tmp_path / "points.shp")})
    from osgeo import ogr
    ds = ogr.Open(str(tmp_path / "points.shp"))
    assert ds.GetLayer(0).GetFeatureCount() > 100
    ds = None
    assert "points.qpj" not in os.listdir(tmp_path)
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".glacvel-")]


def test_output_folder_that_is_a_file_named_in_the_message(run_alg, kask, tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("a file, not a folder")
    msg = refused(run_alg, "glacvel:stable_ground_correction", {
        "INPUT": kask["S2"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT": str(blocker / "sub" / "c.tif")}, "OUTPUT", [str(tmp_path), kask["folder"]])
    assert f"{blocker} is a file, not a folder" in msg


def _mount_tmpfs(folder, options):
    import subprocess
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)]).returncode:
        pytest.skip("cannot mount a tmpfs here")


def _umount(folder):
    import subprocess
    subprocess.run(["umount", str(folder)])


def test_read_only_output_folder_named_in_the_message(run_alg, kask, tmp_path):
    ro = tmp_path / "ro"
    _mount_tmpfs(ro, "ro,size=64k")
    try:
        msg = refused(run_alg, "glacvel:stable_ground_correction", {
            "INPUT": kask["S2"], "STABLE_GROUND": kask["bedrock"],
            "OUTPUT": str(ro / "c.tif")}, "OUTPUT", [str(tmp_path), kask["folder"]])
        assert f"cannot write in the folder {ro} (the file system is read-only)" in msg
        assert ".glacvel-" not in msg
    finally:
        _umount(ro)


def test_full_disk_is_an_error_naming_the_output(run_alg, kask, tmp_path):
    full = tmp_path / "full"
    _mount_tmpfs(full, "size=64k")
    try:
        msg = refused(run_alg, "glacvel:stable_ground_error", {
            "INPUT": kask["L8"], "STABLE_GROUND": kask["bedrock"],
            "OUTPUT_TABLE": str(full / "t.csv"), "OUTPUT_REPORT": str(full / "r.html"),
            "OUTPUT_ERROR": str(full / "err.tif")}, "disk is full",
            [str(full), kask["folder"]])
        assert str(full) in msg and "free" in msg and ".glacvel-" not in msg
        assert os.listdir(full) == []
    finally:
        _umount(full)


# ----------------------------------------------------------------- absurd parameters
TINY = ("desktop", "yahtse_tiny")
TINY_REF = "LC80630182016200LGN00_B8_tiny.TIF"
TINY_SEC = "LC80630182016216LGN00_B8_tiny.TIF"


@pytest.fixture
def tiny(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    for name in (TINY_REF, TINY_SEC):
        shutil.copy(data_path(*TINY, name), d / name)
    return d


def test_max_speed_larger_than_the_images_is_refused_quickly(run_alg, tiny, tmp_path):
    out = tmp_path / "out"
    msg = refused(run_alg, "glacvel:optical_correlation", {
        "REFERENCE": str(tiny / TINY_REF), "SECONDARY": str(tiny / TINY_SEC),
        "MAX_SPEED": 100000, "OUTPUT": str(out / "v.tif")}, "MAX_SPEED 100000 m/d",
        [str(tmp_path)])
    # 100000 m/d x 16 d / 15 m = 106,667 px each side, on 300 x 300 px images
    assert "±106,667 px search" in msg and "300 × 300 px" in msg
    assert "MAX_SPEED at most 281 m/d" in msg
    assert not out.exists()


def test_sar_max_speed_larger_than_the_images_is_refused(run_alg, tiny, tmp_path):
    """The Yahtse crops under names that say nothing about the sensor, given as
    amplitude: the absurd MAX_SPEED is refused before any search."""
    ref, sec = tiny / "ref_amplitude.tif", tiny / "sec_amplitude.tif"
    shutil.copy(tiny / TINY_REF, ref)
    shutil.copy(tiny / TINY_SEC, sec)
    msg = refused(run_alg, "glacvel:sar_offset_tracking", {
        "REFERENCE": str(ref), "SECONDARY": str(sec), "INPUT_SCALE": 2,
        "REFERENCE_TIME": "2016-07-18T20:37:06", "SECONDARY_TIME": "2016-08-03T20:37:12",
        "MAX_SPEED": 100000, "OUTPUT": str(tmp_path / "v.tif")}, "MAX_SPEED",
        [str(tmp_path)])
    assert "px search" in msg and "larger than the images" in msg


def test_uav_spacing_too_fine_is_refused_before_allocating(run_alg, tiny, tmp_path):
    msg = refused(run_alg, "glacvel:uav_feature_tracking", {
        "REFERENCE": str(tiny / TINY_REF), "SECONDARY": str(tiny / TINY_SEC),
        "TEMPLATE_SIZE": 300, "SPACING": 0.01, "MAX_SPEED": 5,
        "OUTPUT": str(tmp_path / "v.tif"), "OUTPUT_POINTS": str(tmp_path / "p.gpkg")},
        "SPACING 0.01 m over the 4,500 × 4,500 m overlap", [str(tmp_path)])
    assert "TiB of memory" in msg and "use a SPACING of at least" in msg


# ----------------------------------------------------------------- messages about inputs
def test_truncated_input_is_named_not_raw_gdal_text(run_alg, tiny, tmp_path):
    ref = tiny / TINY_REF
    data = ref.read_bytes()
    ref.write_bytes(data[:len(data) // 3])       # a download that stopped a third of the way
    out = tmp_path / "out"
    msg = refused(run_alg, "glacvel:optical_correlation", {
        "REFERENCE": str(ref), "SECONDARY": str(tiny / TINY_SEC), "MAX_SPEED": 5,
        "OUTPUT": str(out / "v.tif")}, "the file is truncated or damaged", [str(tmp_path)])
    assert msg.startswith(f"REFERENCE: {ref} cannot be read beyond row")
    assert "copy or download it again" in msg
    assert not out.exists()


def test_existing_file_that_is_not_a_raster(run_alg, tiny, kask, tmp_path):
    gps = sorted(n for n in os.listdir(kask["folder"]) if n.endswith("_GPS.csv"))[0]
    text = tiny / "scene.tif"
    shutil.copy(os.path.join(kask["folder"], gps), text)     # a CSV table named .tif
    msg = refused(run_alg, "glacvel:optical_correlation", {
        "REFERENCE": str(text), "SECONDARY": str(tiny / TINY_SEC),
        "OUTPUT": str(tmp_path / "v.tif")}, "REFERENCE", [str(tmp_path)])
    assert f"REFERENCE: {text} exists but is neither a raster nor a vector file" in msg
    assert "not found" not in msg
    msg = refused(run_alg, "glacvel:stable_ground_correction", {
        "INPUT": kask["trunk"], "STABLE_GROUND": kask["bedrock"],
        "OUTPUT": str(tmp_path / "c.tif")}, "INPUT", [str(tmp_path), kask["folder"]])
    assert f"INPUT: {kask['trunk']} is a vector file, not a raster layer" in msg
    msg = refused(run_alg, "glacvel:monthly_velocity", {
        "SOURCES": [kask["L8"], str(tmp_path / "missing.tif")],
        "OUTPUT_FOLDER": str(tmp_path / "m")}, "SOURCES", [str(tmp_path)])
    assert f"{tmp_path / 'missing.tif'} does not exist" in msg


def test_gnss_table_with_text_in_a_number_column(run_alg, kask, tmp_path):
    """The Kaskawulsh GPS table as start/end positions, one cell 'n/a': the error names
    the file, the feature, the row and the column."""
    import csv
    src = os.path.join(kask["folder"], "Kaskawulsh_2018-04-05_to_2018-03-04_GPS.csv")
    with open(src, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["start_easting"]]
    table = tmp_path / "stations.csv"
    with open(table, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["station", "x", "y", "start_x", "start_y", "end_x", "end_y",
                    "start_date", "end_date"])
        for k, r in enumerate(rows):
            w.writerow([r[""], r["end_easting"], r["end_northing"], r["end_easting"],
                        r["end_northing"], "n/a" if k == 1 else r["start_easting"],
                        r["start_northing"], r["date2"], r["date1"]])
    uri = (f"file://{table}?delimiter=,&xField=x&yField=y&crs=EPSG:32607")
    layer = QgsVectorLayer(uri, "stations", "delimitedtext")
    assert layer.isValid() and layer.featureCount() == len(rows) >= 2
    msg = refused(run_alg, "glacvel:fit_fusion_weights", {
        "SOURCES": [kask["L8"], kask["S2"]], "REFERENCE_POINTS": layer, "ID_FIELD": "station",
        "OUTPUT_HTML": str(tmp_path / "fit.html")}, "is not a number",
        [str(tmp_path), kask["folder"]])
    assert f"REFERENCE_POINTS ({table}): feature {rows[1]['']} (row 2), field 'end_x': " \
        "'n/a' is not a number" in msg


# ----------------------------------------------------------------- sensor check
def test_landsat_scene_given_to_sar_offset_tracking_is_refused(run_alg, tiny, tmp_path):
    msg = refused(run_alg, "glacvel:sar_offset_tracking", {
        "REFERENCE": str(tiny / TINY_REF), "SECONDARY": str(tiny / TINY_SEC),
        "OUTPUT": str(tmp_path / "v.tif")}, "not SAR backscatter", [str(tmp_path)])
    assert msg.startswith(f"REFERENCE: {TINY_REF} is a Landsat-8 scene")
    assert "use glacvel:optical_correlation" in msg


def test_sar_db_image_given_to_optical_correlation_warns(run_alg, tiny, tmp_path):
    """The Yahtse crops converted to a dB-like scale (10·log10 of DN/65535: -10 to -2):
    optical correlation warns that they look like SAR backscatter."""
    import rasterio

    class Log(QgsProcessingFeedback):
        warnings = []

        def pushWarning(self, text):  # noqa: N802 (QGIS API)
            Log.warnings.append(text)
            super().pushWarning(text)
    paths = []
    for name in (TINY_REF, TINY_SEC):
        with rasterio.open(tiny / name) as src:
            a = src.read(1).astype("float32")
            profile = dict(src.profile, dtype="float32")
        out = tiny / ("db_" + name.split("_")[0][-7:] + ".tif")
        with rasterio.open(out, "w", **profile) as dst:
            dst.write(10 * np.log10(a / 65535.0), 1)
        paths.append(str(out))
    run_alg("glacvel:optical_correlation", {
        "REFERENCE": paths[0], "SECONDARY": paths[1], "REFERENCE_TIME": "2016-07-18T20:37:06",
        "SECONDARY_TIME": "2016-08-03T20:37:12", "MAX_SPEED": 5, "STEP": 8,
        "OUTPUT": str(tmp_path / "v.tif")}, feedback=Log())
    assert any(w.startswith("REFERENCE: db_") and "looks like SAR backscatter" in w
               and "below 0" in w for w in Log.warnings), Log.warnings


# ----------------------------------------------------------------- fill values
def _modified(src, dst, change):
    import rasterio
    with rasterio.open(src) as s:
        a, profile = s.read(1), s.profile
    assert profile["dtype"] == "uint16" and profile.get("nodata") is None
    with rasterio.open(dst, "w", **profile) as d:
        d.write(change(a.copy()), 1)
    return str(dst)


def _correlate(run_alg, ref, sec, out, feedback=None):
    from glacvel_plugin.io.product import read_product
    run_alg("glacvel:optical_correlation", {
        "REFERENCE": ref, "SECONDARY": sec, "REFERENCE_TIME": "2016-07-18T20:37:06",
        "SECONDARY_TIME": "2016-08-03T20:37:12", "MAX_SPEED": 5, "STEP": 4,
        "OUTPUT": str(out)}, feedback=feedback)
    return read_product(str(out))


class _Log(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.warnings = []

    def pushWarning(self, text):  # noqa: N802 (QGIS API)
        self.warnings.append(text)
        super().pushWarning(text)


@pytest.fixture(scope="module")
def clean_tiny(glacvel_processing, tmp_path_factory):
    """Velocity of the unmodified Yahtse crops (step 4 px, 60 m grid)."""
    import processing

    from glacvel_plugin.io.product import read_product
    d = tmp_path_factory.mktemp("clean")
    out = str(d / "clean.tif")
    processing.run("glacvel:optical_correlation", {
        "REFERENCE": data_path(*TINY, TINY_REF), "SECONDARY": data_path(*TINY, TINY_SEC),
        "REFERENCE_TIME": "2016-07-18T20:37:06", "SECONDARY_TIME": "2016-08-03T20:37:12",
        "MAX_SPEED": 5, "STEP": 4, "OUTPUT": out})
    return read_product(out)


def test_untagged_zero_border_and_65535_patch_are_no_data(run_alg, tiny, tmp_path, clean_tiny):
    """A slanted 0-valued scene edge (at different columns in the two scenes, as for two
    acquisitions) and a 65535 patch, untagged: they are reported, no vector is centred
    in them, and the vectors elsewhere agree with the clean pair."""
    def edge(offset):
        def change(a):
            r, c = np.mgrid[0:a.shape[0], 0:a.shape[1]]
            a[c < offset + 0.3 * r] = 0
            a[200:230, 200:240] = 65535
            return a
        return change
    ref = _modified(tiny / TINY_REF, tiny / "ref_edge.tif", edge(40))
    sec = _modified(tiny / TINY_SEC, tiny / "sec_edge.tif", edge(55))
    log = _Log()
    p = _correlate(run_alg, ref, sec, tmp_path / "edge.tif", log)
    assert any(w.startswith("REFERENCE ref_edge.tif has no nodata value") and
               "% of the pixels are 0" in w and "are 65535" in w for w in log.warnings)
    v, vc = p.band("v"), clean_tiny.band("v")
    # output cell (i, j) is the window centred on pixel (16 + 4 i, 16 + 4 j)
    i, j = np.mgrid[0:v.shape[0], 0:v.shape[1]]
    r, c = 16 + 4 * i, 16 + 4 * j
    in_fill = (c < 55 + 0.3 * r) | ((r >= 200) & (r < 230) & (c >= 200) & (c < 240))
    assert not np.isfinite(v[in_fill]).any()
    both = np.isfinite(v) & np.isfinite(vc)
    assert both.sum() > 0.6 * np.isfinite(vc[~in_fill]).sum()
    assert np.mean(np.abs(v[both] - vc[both]) > 2.0) < 0.005


def test_slc_off_stripes_are_no_data_and_mostly_valid_windows_match(run_alg, tiny, tmp_path,
                                                                    clean_tiny):
    """Landsat-7 SLC-off-like gaps (DN 0, 9 px of every 32 rows, slightly slanted, at a
    different phase in each scene) on the real Yahtse texture: windows that are mostly
    valid are still matched and agree with the clean pair."""
    def gaps(phase):
        def change(a):
            r, c = np.mgrid[0:a.shape[0], 0:a.shape[1]]
            a[((r + 0.05 * c + phase) % 32) < 9] = 0
            return a
        return change
    ref = _modified(tiny / TINY_REF, tiny / "ref_slc.tif", gaps(0))
    sec = _modified(tiny / TINY_SEC, tiny / "sec_slc.tif", gaps(11))
    log = _Log()
    p = _correlate(run_alg, ref, sec, tmp_path / "slc.tif", log)
    assert any("Landsat-7 SLC-off gaps" in w for w in log.warnings), log.warnings
    v, vc = p.band("v"), clean_tiny.band("v")
    both = np.isfinite(v) & np.isfinite(vc)
    assert np.isfinite(v).mean() > 0.7 * np.isfinite(vc).mean()
    assert np.median(np.abs(v[both] - vc[both])) < 0.2
    assert np.mean(np.abs(v[both] - vc[both]) > 2.0) < 0.1


def test_no_match_message_names_the_real_cause(run_alg, tiny, tmp_path):
    """MAX_SPEED 0.01 m/d over 16 d is 0.01 px: nothing can match, and the message says so
    instead of blaming the texture."""
    msg = refused(run_alg, "glacvel:optical_correlation", {
        "REFERENCE": str(tiny / TINY_REF), "SECONDARY": str(tiny / TINY_SEC),
        "MAX_SPEED": 0.01, "STEP": 8, "OUTPUT": str(tmp_path / "v.tif")},
        "no window could be matched", [str(tmp_path)])
    assert "MAX_SPEED 0.01 m/d over Δt 16.0 d is only 0.01 px" in msg, msg
    assert "share no texture" not in msg


def test_empty_layer_is_called_empty(run_alg, kask, tmp_path):
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    msg = refused(run_alg, "glacvel:stable_ground_error", {
        "INPUT": kask["L8"], "STABLE_GROUND": str(empty),
        "OUTPUT_TABLE": str(tmp_path / "t.csv"), "OUTPUT_ERROR": str(tmp_path / "e.tif")},
        "STABLE_GROUND", [str(tmp_path), kask["folder"]])
    assert "is empty (the layer has no features)" in msg and "non-spatial" not in msg


def test_output_folder_removed_during_the_run(run_alg, kask, tmp_path):
    """The output folder disappears while the algorithm runs (a USB disk pulled, another
    program cleaning up): the error names the folder, never a hidden temporary file."""
    out = tmp_path / "out"

    class RemoveFolder(QgsProcessingFeedback):
        calls = 0

        def isCanceled(self):  # noqa: N802 (QGIS API)
            RemoveFolder.calls += 1
            if RemoveFolder.calls >= 2 and out.exists():
                shutil.rmtree(out)
            return super().isCanceled()
    with pytest.raises(QgsProcessingException) as err:
        run_alg("glacvel:stable_ground_correction", {
            "INPUT": kask["S2"], "STABLE_GROUND": kask["bedrock"],
            "OUTPUT": str(out / "c.tif")}, feedback=RemoveFolder())
    msg = str(err.value)
    assert str(out) in msg and ".glacvel-" not in msg, msg
    assert not out.exists() or os.listdir(out) == []
