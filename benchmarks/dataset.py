"""Dataset throughput: pairs per hour of glacvel:velocity_dataset's job with 1 and 2 Dask workers.

A synthetic year of several per-glacier footprints (tests/synthetic_dataset.py): for each
footprint a SIZE × SIZE px crop of the real Landsat-8 B8 scene of Yahtse Glacier
(``../shared/data/yahtse_landsat8``, 1087 × 1698 px; every crop holds the east_mountain
stable-ground polygon) advected by the known field, 12 monthly scenes named as Landsat-8
products of WRS path 063 and its own row, so the chooser's rules give 11 pairs per
footprint (FOOTPRINTS × 11 pairs in all, each corrected on stable ground), then the 12
monthly products over the union of the footprints. The same job runs in ONE invocation
with a LocalCluster of 1 and then of 2 worker processes (one thread each; cluster start-up
not counted; each into a fresh output folder). Prints, for each, the time until the last
pair finished (pair phase) and the whole job (with the months), pairs per hour, the mean time of
one pair inside its task and how many workers were busy on average (sum of the pairs'
task times / pair phase), the 2-worker ratios and the HMA extrapolation: ``N_PAIRS``
pairs on N machines.

    .venv/bin/python benchmarks/dataset.py [SIZE] [FOOTPRINTS] [METHOD]

(``GLACVEL_SHARED_DATA`` = the shared data folder when it is not ``../shared/data``.)

Default 800 px, 5 footprints (55 pairs), the default method (lk_phase).
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import tests.synthetic_dataset as sd  # noqa: E402
from glacvel_plugin.core.pipeline import DEFAULT_METHOD  # noqa: E402
from glacvel_plugin.io.dataset import DatasetJob, local_cluster, read_geojson, run_job  # noqa: E402

N_PAIRS = 101_827
"""HMA workload: about one monthly pair per scene (101,827 Landsat scenes 2013–2024),
each on a per-glacier crop."""
SHARED = os.path.join(os.environ.get("GLACVEL_SHARED_DATA",
                                     os.path.join(os.path.dirname(ROOT), "shared", "data")),
                      "yahtse_landsat8", "LC80630182016200LGN00_B8_yahtse.TIF")
# where each footprint's crop lies between the extreme positions that still hold the
# east_mountain polygon (scene rows 760-940, cols 1030-1160): (row, col) fractions
PLACES = [(0.0, 0.0), (1.0, 0.2), (0.0, 0.45), (0.5, 0.7), (1.0, 1.0), (0.3, 0.55)]


def crop_origin(k: int, size: int):
    """(row, col) of footprint k's SIZE px crop in the 1087 × 1698 px shared scene."""
    lo_r, hi_r = max(0, 940 + 10 - size), min(760 - 10, 1087 - size)
    lo_c, hi_c = max(0, 1160 + 10 - size), min(1030 - 10, 1698 - size)
    fr, fc = PLACES[k]
    return int(lo_r + fr * (hi_r - lo_r)), int(lo_c + fc * (hi_c - lo_c))


def make_footprints(folder: str, size: int, n: int) -> int:
    """Write n footprints × 12 monthly scenes; returns the number of scenes."""
    os.makedirs(folder, exist_ok=True)
    sd.BASE, sd.SIZE = SHARED, size
    times = sd.scene_times()
    count = 0
    for k in range(n):
        sd.ROW0, sd.COL0 = crop_origin(k, size)
        base, transform, crs = sd._base()
        field = sd.velocity_field(transform, (size, size))
        for t, s in zip(times, sd.SHIFTS):
            sd.make_scene(folder, base, transform, crs, t, times[0], s, field,
                          path_row=f"063{16 + k:03d}")
            count += 1
    return count


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 800
    n_fp = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    method = sys.argv[3] if len(sys.argv) > 3 else DEFAULT_METHOD
    if not os.path.exists(SHARED):
        sys.exit(f"{SHARED} not found (the benchmark reads the shared Yahtse scene)")
    print(time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "|",
          subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    root = tempfile.mkdtemp(prefix="glacvel-bench-dataset-")
    try:
        t0 = time.perf_counter()
        n_scenes = make_footprints(os.path.join(root, "scenes"), size, n_fp)
        print(f"{n_scenes} scenes of {size}×{size} px in {n_fp} footprints written in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
        stable = read_geojson(sd.stable_geojson(os.path.join(root, "stable.geojson")))
        from distributed import Client
        rates, whole = {}, {}
        for workers in (1, 2):
            cluster = local_cluster(workers)   # the job's own cluster (connect)
            client = Client(cluster)
            out = os.path.join(root, f"out{workers}")
            job = DatasetJob(os.path.join(root, "scenes"), out, max_speed=3.0, method=method,
                             stable_ground=stable, workers=workers)
            last = []

            def progress(done, total):
                last[:] = [time.perf_counter(), done, total]

            t0 = time.perf_counter()
            res = run_job(job, client=client, progress=progress)
            dt = time.perf_counter() - t0
            client.close()
            cluster.close()
            assert res.pairs_done == res.pairs_total == 11 * n_fp, res
            pairs_s = last[0] - t0
            rates[workers] = res.pairs_total / pairs_s * 3600.0
            whole[workers] = res.pairs_total / dt * 3600.0
            run_s = [float(r["run_s"]) for r in res.rows if r.get("kind") == "pair"]
            print(f"{workers} worker(s), {method}: {res.pairs_total} pairs in {pairs_s:.1f} s "
                  f"({pairs_s / res.pairs_total:.2f} s/pair, {rates[workers]:,.0f} pairs/h); "
                  f"whole job with {len(res.months)} months {dt:.1f} s "
                  f"({whole[workers]:,.0f} pairs/h); one pair takes {np.mean(run_s):.2f} s "
                  f"in its task, {sum(run_s) / pairs_s:.2f} workers busy on average",
                  flush=True)
            print("   ", subprocess.run(["uptime"], capture_output=True, text=True)
                  .stdout.strip(), flush=True)
        print(f"2 workers / 1 worker: pairs {rates[2] / rates[1]:.2f}×, "
              f"whole job {whole[2] / whole[1]:.2f}×")
        per_machine = rates[2]
        for n in (1, 10, 100):
            print(f"HMA, {N_PAIRS:,} pairs of {size} px crops on {n} such 2-core machine(s): "
                  f"{N_PAIRS / (per_machine * n):,.1f} h")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
