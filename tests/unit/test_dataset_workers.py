"""The dataset job's local Dask workers (io.dataset.local_cluster): their malloc settings.

Dask's nanny starts workers with MALLOC_TRIM_THRESHOLD_, which also freezes glibc's mmap
threshold at 128 KiB (every larger array a fresh, zeroed mapping); the job's workers get
MALLOC_MMAP_THRESHOLD_ too (docs/performance.md). Both must reach the worker processes,
and a value the user exported must win.
"""
import os

import dask

from glacvel_plugin.io.dataset import WORKER_MMAP_THRESHOLD, local_cluster


def _worker_environ(monkeypatch, value=None):
    from distributed import Client
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    if value is not None:
        monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", value)
    with local_cluster(1) as cluster, Client(cluster) as client:
        env = client.run(lambda: {k: os.environ.get(k) for k in
                                  ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")})
    assert len(env) == 1
    return next(iter(env.values()))


def test_local_workers_get_the_mmap_threshold_and_keep_dasks_trim(monkeypatch):
    env = _worker_environ(monkeypatch)
    assert env["MALLOC_MMAP_THRESHOLD_"] == str(WORKER_MMAP_THRESHOLD) == "33554432"
    trim = dask.config.get("distributed.nanny.pre-spawn-environ").get("MALLOC_TRIM_THRESHOLD_")
    assert trim is not None and env["MALLOC_TRIM_THRESHOLD_"] == str(trim)
    # Dask's own configuration is left as it was
    assert "MALLOC_MMAP_THRESHOLD_" not in dask.config.get("distributed.nanny.pre-spawn-environ")


def test_an_exported_mmap_threshold_wins(monkeypatch):
    env = _worker_environ(monkeypatch, "1048576")
    assert env["MALLOC_MMAP_THRESHOLD_"] == "1048576"
