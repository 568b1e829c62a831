#!/usr/bin/env bash
# Build dist/glacvel_plugin.zip: the plugin folder QGIS's "Install from ZIP" expects,
# with metadata.txt, resources/ and compiled translations inside it.
set -eu
cd "$(dirname "$0")/.."
rm -rf build/glacvel_plugin && mkdir -p build dist
cp -r glacvel_plugin build/glacvel_plugin
find build/glacvel_plugin -name '__pycache__' -prune -exec rm -rf {} +
cp metadata.txt LICENSE build/glacvel_plugin/
cp -r resources build/glacvel_plugin/resources
mkdir -p build/glacvel_plugin/i18n
cp i18n/*.qm build/glacvel_plugin/i18n/ 2>/dev/null || true
rm -f dist/glacvel_plugin.zip
(cd build && python3 -c "
import os, zipfile
with zipfile.ZipFile('../dist/glacvel_plugin.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    for root, _, files in os.walk('glacvel_plugin'):
        for f in sorted(files):
            z.write(os.path.join(root, f))
")
echo "built dist/glacvel_plugin.zip"
