"""Dataset throughput: pairs per hour of glacvel:velocity_dataset's job with 1 and 2 Dask workers.

A synthetic year (tests/synthetic_dataset.py: real Yahtse Landsat-8 B8 texture advected
by a known field, 12 monthly scenes, 11 pairs, stable-ground correction) on crops of
SIZE × SIZE px (default 400 px = 6 km, a per-glacier crop), run with a LocalCluster of 1
and then 2 worker processes (cluster start-up not counted; every run into a fresh output
folder). Prints seconds per pair, pairs per hour, the 2-worker speed-up, and the HMA
extrapolation: ``N_PAIRS`` pairs on machines with that throughput.

    .venv/bin/python benchmarks/dataset.py [SIZE] [REPEATS]
"""
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import tests.synthetic_dataset as sd  # noqa: E402
from glacvel_plugin.io.dataset import DatasetJob, read_geojson, run_job  # noqa: E402

N_PAIRS = 101_827
"""HMA workload: about one monthly pair per scene (101,827 Landsat scenes 2013–2024),
each on a per-glacier crop."""


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    sd.SIZE, sd.ROW0, sd.COL0 = size, max(0, 837 - size) // 2, max(0, 850 - size) // 2
    root = tempfile.mkdtemp(prefix="glacvel-bench-dataset-")
    try:
        sd.make_year(os.path.join(root, "scenes"), corrupt=False, cloudy=False)
        stable = read_geojson(sd.stable_geojson(os.path.join(root, "stable.geojson")))
        from distributed import Client, LocalCluster
        rates = {}
        for workers in (1, 2):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
            best = None
            for k in range(repeats):
                out = os.path.join(root, f"out{workers}_{k}")
                job = DatasetJob(os.path.join(root, "scenes"), out, max_speed=3.0,
                                 stable_ground=stable, workers=workers)
                t0 = time.perf_counter()
                res = run_job(job, client=client)
                dt = time.perf_counter() - t0
                assert res.pairs_done == res.pairs_total == 11, res
                best = dt if best is None else min(best, dt)
            client.close()
            cluster.close()
            rates[workers] = res.pairs_total / best * 3600.0
            print(f"{workers} worker(s): {best:.1f} s for {res.pairs_total} pairs of {size}×{size} px "
                  f"({best / res.pairs_total:.2f} s/pair, with the 12 months), "
                  f"{rates[workers]:.0f} pairs/hour", flush=True)
        print(f"2 workers / 1 worker: {rates[2] / rates[1]:.2f}×")
        per_machine = rates[2]
        for n in (1, 10, 100):
            print(f"HMA, {N_PAIRS:,} pairs of {size} px crops on {n} such 2-core machine(s): "
                  f"{N_PAIRS / (per_machine * n):,.1f} h")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
