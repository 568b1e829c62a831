#!/usr/bin/env bash
# Turn a fresh Debian 12 machine into a glacvel development machine. Idempotent.
# Step 1: Debian packages (QGIS 3.22, scipy, numba, rasterio, matplotlib, Xvfb, Qt tools).
# Step 2: .venv with --system-site-packages + test tools, numpy/scipy pinned to Debian's.
set -u
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-qgis qgis-providers qgis python3-scipy python3-rasterio python3-matplotlib
              python3-venv python3-pip xvfb pyqt5-dev-tools qttools5-dev-tools
              python3-distributed python3-numba)

fail() { echo "make setup: FAILED at step '$1': $2" >&2; exit 1; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== setup 1/2: installing Debian packages: ${missing[*]}"
  SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null && SUDO="sudo -n" ||
      fail "Debian packages" "these packages are missing and installing them needs root: run 'make setup' as root or with passwordless sudo, or ask an administrator to run: apt-get install ${missing[*]}"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/tmp/glacvel-apt-update.log 2>&1 ||
    fail "apt-get update" "cannot reach the Debian package archive (network or proxy?); see /tmp/glacvel-apt-update.log"
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/tmp/glacvel-apt-install.log 2>&1 ||
    fail "apt-get install" "installing ${missing[*]} failed (no network to the archive, or a package conflict); see /tmp/glacvel-apt-install.log"
else
  echo "== setup 1/2: Debian packages already installed"
fi

[[ -x /usr/bin/python3 ]] || fail "python" "/usr/bin/python3 is missing after the package step"
/usr/bin/python3 -c "import qgis.core, numpy, scipy, numba, rasterio" 2>/dev/null ||
  fail "python" "/usr/bin/python3 cannot import qgis.core, numpy, scipy, numba and rasterio; reinstall python3-qgis python3-scipy python3-numba python3-rasterio"

if [[ ! -x .venv/bin/python ]]; then
  echo "== setup 2/2: creating .venv (system site packages)"
  /usr/bin/python3 -m venv --system-site-packages .venv || fail "venv" "cannot create .venv; is python3-venv installed?"
else
  echo "== setup 2/2: .venv exists; checking test tools"
fi
if ! .venv/bin/python - <<'PY' 2>/dev/null
import importlib.metadata as md, sys
want = {"pytest", "pytest-qgis"}
extra = [l.split("#")[0].strip() for l in open("requirements-test.txt")]
names = {e.replace(">", "=").replace("<", "=").split("=")[0].strip() for e in extra if e}
for n in names:
    md.version(n)
import numpy
sys.exit(0 if numpy.__version__ == "1.24.2" else 1)
PY
then
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -r requirements-test.txt ||
    fail "pip install" "cannot install the test tools from PyPI (network?); see the pip message above"
fi
.venv/bin/python -c "import numpy; assert numpy.__version__ == '1.24.2', numpy.__version__" ||
  fail "numpy pin" "numpy in .venv is not Debian's 1.24.2; remove .venv and run make setup again"
echo "== setup done: QGIS $(/usr/bin/python3 -c 'from qgis.core import Qgis; print(Qgis.version())' 2>/dev/null), .venv ready"
