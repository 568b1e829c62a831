"""A whole dataset job killed with SIGKILL and started again gives the products of a run
that was never interrupted.

The job (io.dataset.run_job with its own LocalCluster of two worker processes) runs in a
``python -c`` subprocess in its own process group on the synthetic year of real Yahtse
texture (tests/synthetic_dataset.py: 12 scenes, 11 pairs, stable-ground corrected). As
soon as the first pair product appears the whole group (client, scheduler, nannies,
workers) is killed with SIGKILL; then the job is run again. Its monthly ``YYYYMM.tif``
values and manifest statuses must equal those of an uninterrupted run, it must reuse the
pairs the killed run finished, and no partial or temporary file may remain.
"""
import glob
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import rasterio

from glacvel_plugin.io.dataset import (DatasetJob, product_complete, read_geojson,
                                       read_manifest, run_job)
from tests.conftest import ROOT
from tests.synthetic_dataset import make_year, stable_geojson

KW = dict(max_speed=3.0, method="phase", workers=2)

CHILD = """
import sys
sys.path.insert(0, {root!r})
from glacvel_plugin.io.dataset import DatasetJob, read_geojson, run_job
run_job(DatasetJob({scenes!r}, {out!r}, stable_ground=read_geojson({stable!r}), **{kw!r}))
print("finished")
"""


def _months(out):
    vals = {}
    for p in sorted(glob.glob(os.path.join(out, "monthly", "*.tif"))):
        with rasterio.open(p) as ds:
            names = list(ds.descriptions)
            vals[os.path.basename(p)] = {n: ds.read(i + 1) for i, n in enumerate(names)}
    return vals


def _statuses(out):
    return {(r["kind"], r["name"]): (r["status"], r["reason"])
            for r in read_manifest(os.path.join(out, "manifest.csv"))}


def _group_gone(pgid, wait=15.0):
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.2)
    return False


def test_sigkill_of_the_whole_job_then_restart_gives_the_same_products(tmp_path):
    scenes = str(tmp_path / "scenes")
    make_year(scenes, corrupt=False, cloudy=False)
    stable_path = stable_geojson(str(tmp_path / "stable.geojson"))
    stable = read_geojson(stable_path)

    # the uninterrupted run
    ref_out = str(tmp_path / "reference")
    ref = run_job(DatasetJob(scenes, ref_out, stable_ground=stable, **KW))
    assert ref.pairs_done == ref.pairs_total == 11 and len(ref.months) == 12

    # the killed run
    out = str(tmp_path / "out")
    code = CHILD.format(root=ROOT, scenes=scenes, out=out, stable=stable_path, kw=KW)
    log = open(tmp_path / "child.log", "w")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, cwd=str(tmp_path))
    pgid = os.getpgid(proc.pid)
    try:
        deadline = time.time() + 600
        first = []
        while time.time() < deadline and proc.poll() is None:
            first = [p for p in glob.glob(os.path.join(out, "pairs", "*.tif"))
                     if not p.endswith("_raw.tif")]
            if first:
                break
            time.sleep(0.05)
        assert first, "no pair product appeared: " + open(tmp_path / "child.log").read()[-2000:]
        assert proc.poll() is None, "the job finished before it could be killed"
        os.killpg(pgid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(pgid, signal.SIGKILL)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert _group_gone(pgid), "processes of the killed job are still alive"
    killed_done = [p for p in glob.glob(os.path.join(out, "pairs", "*.tif"))
                   if not p.endswith("_raw.tif") and product_complete(p)]
    assert 1 <= len(killed_done) < 11
    assert not os.path.exists(os.path.join(out, "monthly")) or \
        not glob.glob(os.path.join(out, "monthly", "[0-9]*.tif"))

    # started again: finishes, reuses what the killed run completed
    res = run_job(DatasetJob(scenes, out, stable_ground=stable, **KW))
    assert res.pairs_done == 11 and res.pairs_failed == 0
    assert res.pairs_run <= 11 - len(killed_done)
    assert res.months == ref.months

    a, b = _months(ref_out), _months(out)
    assert sorted(a) == sorted(b) == [f"{m}.tif" for m in ref.months]
    for name in a:
        assert sorted(a[name]) == sorted(b[name])
        for band in a[name]:
            np.testing.assert_array_equal(a[name][band], b[name][band], err_msg=f"{name} {band}")
    got, want = _statuses(out), _statuses(ref_out)
    assert sorted(got) == sorted(want)
    assert {k: s[0] for k, s in got.items()} == {k: s[0] for k, s in want.items()}
    for k, (status, reason) in got.items():
        if k[0] == "pair":
            # a pair the killed run finished after its last manifest update is found
            # complete on disk and kept; the others have the row of the run that made them
            assert status == "done" and reason in ("", "complete product from an earlier run")
        else:
            assert reason == want[k][1]

    # no partial or temporary file anywhere
    left = [p for p in glob.glob(os.path.join(out, "**", "*"), recursive=True)
            + glob.glob(os.path.join(out, "**", ".*"), recursive=True)
            if os.path.basename(p).startswith(".glacvel") or p.endswith((".tmp", ".part"))]
    assert not left, left
    for p in glob.glob(os.path.join(out, "pairs", "*.tif")):
        assert product_complete(p), p
    assert sorted(os.listdir(os.path.join(out, "pairs"))) == \
        sorted(os.listdir(os.path.join(ref_out, "pairs")))
