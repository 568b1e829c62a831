#!/usr/bin/env bash
# Install dist/glacvel_plugin.zip into a QGIS profile (default profile unless
# QGIS_PROFILE_DIR is set), replacing an older glacvel there.
set -eu
cd "$(dirname "$0")/.."
profile=${QGIS_PROFILE_DIR:-$HOME/.local/share/QGIS/QGIS3/profiles/default}
dest="$profile/python/plugins"
mkdir -p "$dest"
rm -rf "$dest/glacvel_plugin"
python3 -c "import zipfile,sys; zipfile.ZipFile('dist/glacvel_plugin.zip').extractall(sys.argv[1])" "$dest"
echo "installed glacvel into $dest/glacvel_plugin; enable it in Plugins > Manage and Install Plugins"
