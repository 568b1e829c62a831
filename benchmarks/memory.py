"""Peak resident memory of glacvel on a 10,000 × 10,000 px pair (run by benchmarks/run.sh).

    .venv/bin/python benchmarks/memory.py [method (default lk_phase)] [cols] [rows] [shift|pair] [workers]

Builds two tiled uint16 GeoTIFFs of ``rows`` × ``cols`` px (default 10,000², UTM 7N,
15 m pixels) in a temporary folder — the real Yahtse B8 texture mirrored and repeated to
fill the frame, the secondary shifted by (0.4, −0.3) px in the Fourier domain block by
block — then runs ``io.pair.correlate_files`` (the code path of
glacvel:optical_correlation: windowed reads, strip-wise correlation, product written
block by block) at window 32, step 2, MAX_SPEED 20 m/d, Δt 16 d, in a child process, and
prints its peak resident set size (``ru_maxrss``), time and the median displacement.
The issue's bound is 2 GB. Memory is set by the strip width (columns) and the block
plan, not by the number of rows, so the slow phase engine can be checked on 10,000
columns × fewer rows.

With ``pair`` as fourth argument the frame is instead tiled with the real Yahtse pair
itself (both dates mirrored the same way, so every tile carries the glacier's own motion,
its calving front, mélange and rock): the whole-scene workload of a full Landsat-8 B8
scene (≈ 15,000 × 15,000 px) with the share of hard windows of a real glacier scene.
The run prints wall time, process CPU time and windows per second. ``workers`` (default
1) is the number of threads of ``correlate_files``: with 2 its strips run two at a time,
each with half the memory budget.
"""
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DATA = os.path.join(os.environ.get("GLACVEL_SHARED_DATA",
                                   os.path.join(os.path.dirname(ROOT), "shared", "data")),
                    "yahtse_landsat8")


def _mirror_tile(a):
    return np.block([[a, a[:, ::-1]], [a[::-1], a[::-1, ::-1]]])   # seamless tile


def build(folder, size, rows, mode="shift"):
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    with rasterio.open(os.path.join(DATA, "LC80630182016200LGN00_B8_yahtse.TIF")) as ds:
        tex = _mirror_tile(ds.read(1).astype(np.float64))
    th, tw = tex.shape
    if mode == "pair":
        with rasterio.open(os.path.join(DATA, "LC80630182016216LGN00_B8_yahtse.TIF")) as ds:
            shifted = _mirror_tile(ds.read(1).astype(np.float64))
    else:
        ky = np.fft.fftfreq(th)[:, None]
        kx = np.fft.rfftfreq(tw)[None, :]
        shifted = np.fft.irfft2(np.fft.rfft2(tex) * np.exp(-2j * np.pi * (ky * 0.4 + kx * -0.3)),
                                s=tex.shape)
    prof = dict(driver="GTiff", width=size, height=rows, count=1, dtype="uint16", tiled=True,
                blockxsize=512, blockysize=512, compress="deflate", crs="EPSG:32607",
                transform=from_origin(400000, 6700000, 15, 15))
    paths = []
    for name, img in (("LC80630182016200LGN00_B8_big.TIF", tex),
                      ("LC80630182016216LGN00_B8_big.TIF", shifted)):
        path = os.path.join(folder, name)
        with rasterio.open(path, "w", **prof) as out:
            for r0 in range(0, rows, 1024):
                h = min(1024, rows - r0)
                rr = np.arange(r0, r0 + h) % th
                block = img[rr][:, np.arange(size) % tw]
                out.write(np.clip(block, 0, 65535).astype(np.uint16)[None], window=Window(0, r0, size, h))
        paths.append(path)
    return paths


def child(ref, sec, out, method, workers="1"):
    sys.path.insert(0, ROOT)
    from glacvel_plugin.io.pair import correlate_files
    t, cpu = time.perf_counter(), time.process_time()
    info = correlate_files(ref, sec, out, dt.datetime(2016, 7, 18, 20, 50),
                           dt.datetime(2016, 8, 3, 20, 50), window=32, step=2, max_speed=20.0,
                           method=method, workers=int(workers))
    import rasterio
    with rasterio.open(out) as ds:
        names = list(ds.descriptions)
        dy = ds.read(names.index("dy") + 1, out_shape=(1, 500, 500), masked=True)
        dx = ds.read(names.index("dx") + 1, out_shape=(1, 500, 500), masked=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    wall, cpu = time.perf_counter() - t, time.process_time() - cpu
    with rasterio.open(out) as ds:
        windows = ds.width * ds.height
    print(f"{method}, workers={workers}: {windows:,} windows, {wall:.0f} s wall, {cpu:.0f} s CPU "
          f"({windows / cpu:,.0f} windows per CPU s), load {os.getloadavg()[0]:.1f}")
    print(f"{method}: {wall:.0f} s, peak RSS {peak:.0f} MB, "
          f"valid {info.get('valid_fraction', float('nan')):.3f}, median dx {np.ma.median(dx):.2f} m "
          f"(shift mode truth −4.50), dy {np.ma.median(dy):.2f} m (truth −6.00)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        child(*sys.argv[2:7])
        sys.exit(0)
    method = sys.argv[1] if len(sys.argv) > 1 else "lk_phase"
    size = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else size
    mode = sys.argv[4] if len(sys.argv) > 4 else "shift"
    workers = sys.argv[5] if len(sys.argv) > 5 else "1"
    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as d:
        ref, sec = build(d, size, rows, mode)
        print(f"{rows} rows × {size} cols pair ({mode}), window 32, step 2, {method}, "
              f"workers={workers}")
        subprocess.run([sys.executable, __file__, "child", ref, sec,
                        os.path.join(d, "velocity.tif"), method, workers], check=True)
