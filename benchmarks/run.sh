#!/usr/bin/env bash
# glacvel correlation benchmark: glacvel (.venv) against OpenPIV, scikit-image and
# OpenCV (.venv-bench, from PyPI, versions pinned) on the same pairs. Prints the table;
# see docs/performance.md for recorded results. The real Yahtse pair is read from
# ../shared/data (or $GLACVEL_SHARED_DATA).
set -eu
cd "$(dirname "$0")/.."
if [ ! -x .venv-bench/bin/python ]; then
    /usr/bin/python3 -m venv .venv-bench
    .venv-bench/bin/pip install -q openpiv==0.26.1 scikit-image==0.26.0 \
        opencv-python-headless==5.0.0.93
fi
mkdir -p benchmarks/out
.venv/bin/python benchmarks/bench.py make
.venv/bin/python benchmarks/bench.py glacvel
.venv-bench/bin/python benchmarks/bench.py peers
.venv/bin/python benchmarks/bench.py report | tee benchmarks/out/report.md
# peak memory on a 10,000 × 10,000 px pair (the default engine) and 10,000 columns
# (phase: memory is set by the strip width, its time by the number of windows)
.venv/bin/python benchmarks/memory.py lk_phase 10000 10000 | tee -a benchmarks/out/report.md
.venv/bin/python benchmarks/memory.py lk_phase 10000 10000 shift 2 | tee -a benchmarks/out/report.md
.venv/bin/python benchmarks/memory.py phase 10000 1200 | tee -a benchmarks/out/report.md
