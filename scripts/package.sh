#!/usr/bin/env bash
# Build dist/glacvel_plugin.zip: the plugin folder QGIS's "Install from ZIP" expects,
# with metadata.txt, resources/ and compiled translations inside it.
# GLACVEL_BUILD_DIR / GLACVEL_DIST_DIR (default build/, dist/ in the checkout) choose
# where the plugin folder and the zip are written; the tests use temporary folders.
set -eu
cd "$(dirname "$0")/.."
bash scripts/translations.sh --compile-only
build=$(realpath -m "${GLACVEL_BUILD_DIR:-build}")
dist=$(realpath -m "${GLACVEL_DIST_DIR:-dist}")
rm -rf "$build/glacvel_plugin" && mkdir -p "$build" "$dist"
cp -r glacvel_plugin "$build/glacvel_plugin"
find "$build/glacvel_plugin" -name '__pycache__' -prune -exec rm -rf {} +
cp metadata.txt LICENSE "$build/glacvel_plugin/"
cp -r resources "$build/glacvel_plugin/resources"
mkdir -p "$build/glacvel_plugin/i18n"
cp i18n/*.qm "$build/glacvel_plugin/i18n/" 2>/dev/null || true
rm -f "$dist/glacvel_plugin.zip"
(cd "$build" && python3 -c "
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk('glacvel_plugin'):
        for f in sorted(files):
            z.write(os.path.join(root, f))
" "$dist/glacvel_plugin.zip")
echo "built $dist/glacvel_plugin.zip"
