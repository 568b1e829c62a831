"""The dataset job (io/dataset.py) on a synthetic year of Landsat-8 scenes with real texture.

The scenes (tests/synthetic_dataset.py) are the real Yahtse Landsat-8 B8 texture advected
by a known velocity field and mis-registered by known sub-pixel shifts; the job must
return that field in every month, remove the shifts on the stable ground, record the
broken scenes, resume without writing anything, and give the same products on an
external dask-scheduler with two dask-worker processes, one of which is killed.
"""
import glob
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import rasterio

from glacvel_plugin.core import Canceled
from glacvel_plugin.io.dataset import (DatasetJob, product_complete, read_geojson,
                                       read_manifest, run_job)
from tests.synthetic_dataset import (PIXEL, SHIFTS, make_scene, make_year, stable_geojson,
                                     truth_on, product_id)
from tests.conftest import ROOT

MAX_SPEED = 3.0


def _job(scenes, out, **kw):
    kw.setdefault("max_speed", MAX_SPEED)
    # the job is checked against the known field with phase correlation (monthly median
    # error 0.003 m/d here); the default lk_phase still smooths the field a little across
    # the sharp rock/ice edge of these 200 px crops (0.018-0.021 m/d in vx,
    # docs/performance.md)
    kw.setdefault("method", "phase")
    kw.setdefault("workers", 2)
    return DatasetJob(scenes, out, **kw)


@pytest.fixture(scope="module")
def year(tmp_path_factory):
    root = tmp_path_factory.mktemp("year")
    desc = make_year(str(root / "scenes"))
    desc["root"] = str(root)
    desc["stable"] = read_geojson(stable_geojson(str(root / "stable.geojson")))
    return desc


@pytest.fixture(scope="module")
def local_run(year):
    out = os.path.join(year["root"], "out")
    res = run_job(_job(os.path.join(year["root"], "scenes"), out,
                       stable_ground=year["stable"]))
    return out, res


def _bands(path, names=("vx", "vy")):
    with rasterio.open(path) as ds:
        desc = list(ds.descriptions)
        out = {n: ds.read(desc.index(n) + 1, masked=True).filled(np.nan) for n in names}
        return out, ds.transform, ds.shape, ds.tags()


def _pairs(rows):
    return {r["name"]: r for r in rows if r["kind"] == "pair"}


def test_every_month_matches_the_truth(local_run, year):
    out, res = local_run
    assert res.months == [f"2023{m:02d}" for m in range(1, 13)]
    from glacvel_plugin.styling import month_of
    assert all(month_of(r["product"]) is None for r in res.rows if r["kind"] == "pair")
    for label in res.months:
        b, transform, shape, tags = _bands(os.path.join(out, "monthly", label + ".tif"),
                                           ("vx", "vy", "v_error", "count"))
        # a Landsat-only month keeps its sensor (SENSOR=L8), so it can enter a fit
        assert tags["MONTH"] == label and tags["SENSOR"] == "L8"
        tx, ty = truth_on(transform, shape, year)
        ex, ey = b["vx"] - tx, b["vy"] - ty
        ok = np.isfinite(ex) & np.isfinite(ey)
        assert ok.mean() > 0.9, label
        # the field spans 0 (rock) to 0.83 m/d; one pixel over a month is ~0.5 m/d
        assert np.median(np.abs(ex[ok])) < 0.02 and np.median(np.abs(ey[ok])) < 0.02, label
        assert np.mean(np.hypot(ex[ok], ey[ok]) < 0.1) > 0.8, label
        assert (b["count"][ok] >= 1).all() and np.isfinite(b["v_error"][ok]).all()


def test_weights_fitted_per_month_against_gnss_stations(local_run, year, tmp_path):
    """GNSS stations (velocity layout) sampled from the known field, one record per pair
    period: the months are rebuilt with weights fitted per month (error-calibrated),
    validated station by station, the pairs are reused; WEIGHTS beside them is refused."""
    import csv
    from affine import Affine
    out = str(tmp_path / "out")
    shutil.copytree(local_run[0], out)
    gnss = tmp_path / "gnss"
    gnss.mkdir()
    T = year["transform"]
    points = [T * (c + 0.5, r + 0.5) for r in (60, 140) for c in (50, 100, 150)]
    times = year["times"]
    with open(gnss / "stations.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["station", "start_date", "end_date", "x", "y", "vx", "vy"])
        for k, (x, y) in enumerate(points):
            tx, ty = truth_on(Affine(1, 0, x - 0.5, 0, -1, y + 0.5), (1, 1), year)
            for t0, t1 in zip(times[:-1], times[1:]):
                w.writerow([f"S{k}", t0.isoformat(), t1.isoformat(), x, y,
                            float(tx[0, 0]), float(ty[0, 0])])
    files = [str(gnss / "stations.csv")]
    res = run_job(_job(os.path.join(year["root"], "scenes"), out, stable_ground=year["stable"],
                       reference_gnss=files, reference_layout="velocity",
                       reference_crs="EPSG:32607"))
    # the done pairs are reused; only the pair of the corrupt scene is tried again
    assert res.pairs_done == 10 and res.pairs_run == res.pairs_failed == 1
    assert res.months_rebuilt == res.months                     # new dataset key
    table = os.path.join(out, "monthly", "monthly_weights.csv")
    with open(table) as f:
        rows = list(csv.DictReader(f))
    assert {r["month"] for r in rows} >= set(res.months), rows[:2]
    for label in res.months:
        b, transform, shape, tags = _bands(os.path.join(out, "monthly", label + ".tif"))
        assert tags["WEIGHTS_METHOD"] == "error-calibrated", tags
        assert "inverse-variance" not in tags["WEIGHTS_BASIS"], tags["WEIGHTS_BASIS"]
        tx, ty = truth_on(transform, shape, year)
        ok = np.isfinite(b["vx"] - tx)
        assert np.median(np.abs(b["vx"] - tx)[ok]) < 0.02, label
    with pytest.raises(ValueError, match="either fixed WEIGHTS or a GNSS reference"):
        run_job(_job(os.path.join(year["root"], "scenes"), out, stable_ground=year["stable"],
                     reference_gnss=files, reference_layout="velocity", weights="L8=1"))


def test_stable_ground_offsets_are_the_mis_registration(local_run, year):
    out, res = local_run
    rows = _pairs(read_manifest(res.manifest))
    times = year["times"]
    checked = 0
    for i in range(len(times) - 1):
        name = [n for n in rows if n.startswith(f"L8_{times[i]:%Y%m%dT%H%M}_"
                                                f"{times[i + 1]:%Y%m%dT%H%M}")]
        if not name:
            continue
        r = rows[name[0]]
        dt = (times[i + 1] - times[i]).days
        true_x = (SHIFTS[i + 1][0] - SHIFTS[i][0]) * PIXEL / dt    # content moved east
        true_y = -(SHIFTS[i + 1][1] - SHIFTS[i][1]) * PIXEL / dt   # rows grow southwards
        assert float(r["offset_vx"]) == pytest.approx(true_x, abs=0.03), name
        assert float(r["offset_vy"]) == pytest.approx(true_y, abs=0.03), name
        assert 0 < float(r["nmad_vx"]) < 0.05 and float(r["valid_fraction"]) > 0.9
        checked += 1
    assert checked == 10


def test_broken_scenes_are_recorded_and_the_rest_completes(local_run, year):
    out, res = local_run
    rows = read_manifest(res.manifest)
    assert set(rows[0]) >= {"status", "reason", "dt_days", "offset_vx", "nmad_vx",
                            "valid_fraction", "run_s", "worker"}
    scenes = {r["name"]: r for r in rows if r["kind"] == "scene"}
    bad = scenes[os.path.basename(year["unreadable"])]
    assert bad["status"] == "failed" and "cannot read" in bad["reason"]
    cloudy = scenes[os.path.basename(year["cloudy"])]
    assert cloudy["status"] == "skipped" and "cloud cover 85" in cloudy["reason"]
    pairs = _pairs(rows)
    failed = [r for r in pairs.values() if r["status"] == "failed"]
    assert len(failed) == 1 and failed[0]["secondary"] == os.path.basename(year["truncated"])
    assert os.path.basename(year["truncated"]) in failed[0]["reason"]
    done = [r for r in pairs.values() if r["status"] == "done"]
    assert len(done) == 10 and (res.pairs_done, res.pairs_failed) == (10, 1)
    for r in done:
        assert product_complete(os.path.join(out, r["product"]), None,
                                ("v", "vx", "vy", "vx_error", "vy_error", "v_error"))
        assert r["worker"] and float(r["run_s"]) > 0 and float(r["dt_days"]) > 27
    assert not glob.glob(os.path.join(out, "**", ".glacvel-*"), recursive=True)
    html = open(res.report, encoding="utf-8").read()
    assert "202312" in html and html.count("<img") == 12


def _snapshot(folder):
    snap = {}
    for p in sorted(glob.glob(os.path.join(folder, "**"), recursive=True)):
        if os.path.isfile(p):
            with open(p, "rb") as f:
                snap[p] = (os.stat(p).st_mtime_ns, hashlib.sha1(f.read()).hexdigest())
    return snap


def test_second_run_skips_everything_and_writes_nothing(local_run, year):
    out, _ = local_run
    before = _snapshot(out)
    res = run_job(_job(os.path.join(year["root"], "scenes"), out, stable_ground=year["stable"]))
    assert _snapshot(out) == before
    assert res.months_rebuilt == [] and res.pairs_done == 10
    assert res.pairs_run == 1            # only the failed pair is tried again


def test_missing_and_broken_products_are_rerun_and_only_their_months_rebuilt(local_run, year,
                                                                             tmp_path):
    src, _ = local_run
    out = str(tmp_path / "out")
    shutil.copytree(src, out)
    rows = _pairs(read_manifest(os.path.join(out, "manifest.csv")))
    july = next(r for r in rows.values() if r["start"].startswith("2023-07-15"))
    oct_ = next(r for r in rows.values() if r["start"].startswith("2023-10-15"))
    os.remove(os.path.join(out, july["product"]))
    os.remove(os.path.join(out, july["product"]).replace(".tif", "_raw.tif"))
    with open(os.path.join(out, oct_["product"]), "r+b") as f:      # cut in half
        f.truncate(os.path.getsize(os.path.join(out, oct_["product"])) // 2)
    with open(os.path.join(out, "pairs", ".glacvel-left-by-a-killed-run.tif"), "wb") as f:
        f.write(b"partial")
    before = _snapshot(os.path.join(out, "monthly"))
    res = run_job(_job(os.path.join(year["root"], "scenes"), out, stable_ground=year["stable"]))
    assert res.pairs_run == 3            # July, October and the failed pair
    assert res.months_rebuilt == ["202307", "202308", "202310", "202311"]
    after = _snapshot(os.path.join(out, "monthly"))
    for p, (mtime, digest) in before.items():
        if os.path.basename(p)[:6] not in res.months_rebuilt:
            assert after[p] == (mtime, digest), p
    for label in res.months_rebuilt:
        a, *_ = _bands(os.path.join(src, "monthly", label + ".tif"))
        b, *_ = _bands(os.path.join(out, "monthly", label + ".tif"))
        np.testing.assert_allclose(a["vx"], b["vx"], atol=1e-6)
    assert not glob.glob(os.path.join(out, "**", ".glacvel-*"), recursive=True)


# --------------------------------------------------------------------------- external cluster
def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    sched, work = shutil.which("dask-scheduler"), shutil.which("dask-worker")
    if not sched or not work:
        pytest.skip("dask-scheduler/dask-worker not installed (python3-distributed)")
    port = _free_port()
    addr = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    logs = []
    procs = []

    def start(cmd, name):
        log = open(tmp_path / f"{name}.log", "w")
        logs.append(log)
        procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                      cwd=str(tmp_path)))
        return procs[-1]

    start([sys.executable, sched, "--host", "127.0.0.1", "--port", str(port),
           "--no-dashboard"], "scheduler")
    workers = [start([sys.executable, work, addr, "--nthreads", "1", "--no-nanny",
                      "--no-dashboard", "--name", f"w{i}"], f"worker{i}") for i in range(2)]
    try:
        from distributed import Client
        deadline = time.time() + 60
        while True:
            try:
                with Client(addr, timeout=5) as c:
                    c.wait_for_workers(2, timeout=30)
                break
            except Exception:
                if time.time() > deadline:
                    raise
                time.sleep(0.5)
        yield addr, workers
    finally:
        for p in procs[::-1]:
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()


def test_external_cluster_with_a_killed_worker_gives_the_same_products(dask_cluster, local_run,
                                                                       year, tmp_path):
    addr, workers = dask_cluster
    src, _ = local_run
    out = str(tmp_path / "ext")
    killed = []

    def progress(done, total):
        if not killed:          # SIGKILL one worker while the other pairs are running/queued
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(done)

    res = run_job(_job(os.path.join(year["root"], "scenes"), out, stable_ground=year["stable"],
                       scheduler=addr), progress=progress)
    assert killed and killed[0] < res.pairs_total
    assert workers[0].wait(timeout=10) == -signal.SIGKILL
    assert (res.pairs_done, res.pairs_failed) == (10, 1)
    rows = _pairs(read_manifest(res.manifest))
    ref_rows = _pairs(read_manifest(os.path.join(src, "manifest.csv")))
    assert set(rows) == set(ref_rows)
    assert all(r["worker"].startswith("tcp://127.0.0.1:") for r in rows.values()
               if r["status"] == "done")
    for name, r in rows.items():
        if r["status"] != "done":
            continue
        a, *_ = _bands(os.path.join(src, r["product"]))
        b, *_ = _bands(os.path.join(out, r["product"]))
        np.testing.assert_array_equal(a["vx"], b["vx"])
        np.testing.assert_array_equal(a["vy"], b["vy"])
    assert res.months == [f"2023{m:02d}" for m in range(1, 13)]
    for label in res.months:
        a, *_ = _bands(os.path.join(src, "monthly", label + ".tif"))
        b, *_ = _bands(os.path.join(out, "monthly", label + ".tif"))
        np.testing.assert_array_equal(a["vx"], b["vx"])
    assert not glob.glob(os.path.join(out, "**", ".glacvel-*"), recursive=True)


# --------------------------------------------------------------------------- bad input
def test_unreachable_scheduler_names_the_address_within_seconds(year, tmp_path):
    addr = f"tcp://127.0.0.1:{_free_port()}"
    t0 = time.time()
    with pytest.raises(ValueError, match=addr.replace(".", r"\.") + ".*dask-scheduler"):
        run_job(_job(os.path.join(year["root"], "scenes"), str(tmp_path / "o"),
                     scheduler=addr, connect_timeout=2.0))
    assert time.time() - t0 < 30      # a generous bound: the timeout is 2 s


def test_empty_folder(tmp_path):
    os.makedirs(tmp_path / "empty")
    with pytest.raises(ValueError, match="no raster files"):
        run_job(_job(str(tmp_path / "empty"), str(tmp_path / "out")))


def test_no_usable_pair_says_why(year, tmp_path):
    scenes = tmp_path / "scenes"
    os.makedirs(scenes)
    for p in (year["scenes"][0], year["cloudy"]):
        shutil.copy(p, scenes)
        stem = os.path.basename(p)[:-len("_B8.TIF")]
        shutil.copy(os.path.join(os.path.dirname(p), stem + "_MTL.txt"), scenes)
    with pytest.raises(ValueError, match=r"no usable pair .*2 scene\(s\) found, 1 usable.*"
                                         r"1 with cloud cover above MAX_CLOUD 30 %"):
        run_job(_job(str(scenes), str(tmp_path / "out")))
    import datetime as dt
    with pytest.raises(ValueError, match="2 outside START/END"):
        run_job(_job(str(scenes), str(tmp_path / "out"), start=dt.datetime(2024, 1, 1),
                     max_cloud=None))


def test_output_folder_inside_the_scene_folder_is_refused(year):
    scenes = os.path.join(year["root"], "scenes")
    with pytest.raises(ValueError, match="inside the scene folder"):
        run_job(_job(scenes, os.path.join(scenes, "velocity")))
    assert not os.path.exists(os.path.join(scenes, "velocity"))


def test_read_only_output_folder_is_refused(year, tmp_path):
    ro = tmp_path / "ro"
    os.makedirs(ro)
    os.chmod(ro, 0o555)
    immutable = False
    if os.geteuid() == 0:       # root writes through permissions: make the folder immutable
        immutable = subprocess.run(["chattr", "+i", str(ro)], capture_output=True).returncode == 0
        if not immutable:
            pytest.skip("running as root without chattr: cannot make a read-only folder")
    try:
        with pytest.raises(ValueError, match="not writable"):
            run_job(_job(os.path.join(year["root"], "scenes"), str(ro)))
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(ro)])
        os.chmod(ro, 0o755)


def test_cancel_stops_the_job_and_leaves_no_partial_product(year, tmp_path):
    out = str(tmp_path / "out")
    calls = []

    def progress(done, total):
        calls.append(done)

    with pytest.raises(Canceled):
        run_job(_job(os.path.join(year["root"], "scenes"), out, stable_ground=year["stable"],
                     workers=1), progress=progress, is_canceled=lambda: len(calls) >= 1)
    products = glob.glob(os.path.join(out, "pairs", "*.tif"))
    assert len(products) < 2 * 10      # stopped before the end
    for p in products:
        assert product_complete(p, None, ("v", "vx", "vy"))
    assert not glob.glob(os.path.join(out, "**", ".glacvel-*"), recursive=True)
    assert not os.path.exists(os.path.join(out, "monthly"))
    rows = _pairs(read_manifest(os.path.join(out, "manifest.csv")))
    assert any("canceled" in r["reason"] for r in rows.values())


def test_the_worker_code_runs_without_qgis(year, tmp_path):
    """What a Dask worker runs (catalogue, run_pair, build_month's modules) with qgis and
    PyQt made unimportable."""
    code = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('qgis', 'PyQt5', 'sip'):
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
from glacvel_plugin.io.dataset import DatasetJob, catalogue, run_pair, read_geojson
import glacvel_plugin.io.monthly, glacvel_plugin.io.dataset_report
job = DatasetJob({os.path.join(year['root'], 'scenes')!r}, {str(tmp_path / 'o')!r},
                 max_speed={MAX_SPEED}, stable_ground=read_geojson({os.path.join(year['root'], 'stable.geojson')!r}))
cat = catalogue(job)
row = run_pair(cat.tasks[0])
assert row['status'] == 'done', row
print(len(cat.tasks), row['status'], [m for m in sys.modules if m.startswith(('qgis', 'PyQt'))])
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT), timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split()[:2] == ["11", "done"] and res.stdout.strip().endswith("[]")


def test_dates_and_area_limit_the_scenes_and_the_monthly_cells(year, tmp_path):
    import datetime as dt

    from glacvel_plugin.io.dataset import Vectors
    t = year["transform"]
    # the western half of the crop (100 of 200 columns), as a polygon in EPSG:32607
    x0, y0 = t * (0, 0)
    x1, y1 = t * (100, 200)
    area = Vectors(year["crs"].to_wkt(), [{"type": "Polygon", "coordinates": [
        [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}])
    res = run_job(_job(os.path.join(year["root"], "scenes"), str(tmp_path / "o"),
                       start=dt.datetime(2023, 1, 1), end=dt.datetime(2023, 4, 30), area=area,
                       workers=1))
    rows = read_manifest(res.manifest)
    late = [r for r in rows if r["kind"] == "scene" and r["start"] >= "2023-05"]
    assert late and all(r["status"] == "skipped" and "after END 2023-04-30" in r["reason"]
                        for r in late if not r["reason"].startswith("cannot"))
    assert (res.pairs_total, res.pairs_done) == (3, 2)       # Jan→Feb, Feb→Mar; Mar 28 broken
    assert res.months == ["202301", "202302", "202303"]
    for label in res.months:
        b, transform, shape, tags = _bands(os.path.join(res.monthly_folder, label + ".tif"))
        left, top = transform.c, transform.f
        assert left >= x0 - 30 and left + shape[1] * transform.a <= x1 + 30   # AREA's bounds
        rows_, cols = np.mgrid[0:shape[0], 0:shape[1]]
        xs, ys = transform * (cols + 0.5, rows_ + 0.5)
        inner = (xs > x0 + 300) & (xs < x1 - 300) & (ys < y0 - 300) & (ys > y1 + 300)
        assert np.isnan(b["vx"][xs > x1]).all() and np.isfinite(b["vx"][inner]).mean() > 0.95
