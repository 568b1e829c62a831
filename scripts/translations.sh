#!/usr/bin/env bash
# make translations: extract user-visible strings into i18n/*.ts (pylupdate5), then
# compile .qm (lrelease). With --compile-only (used by make test/demo/package) only
# the .qm files are built from the committed .ts files.
set -eu
cd "$(dirname "$0")/.."
for ts in i18n/glacvel_*.ts; do
  [[ -e $ts ]] || continue
  if [[ ${1:-} != --compile-only ]]; then
    mapfile -t sources < <(find glacvel_plugin -name '*.py' -not -path '*/core/*' | sort)
    mapfile -t forms < <(find resources/ui -name '*.ui' 2>/dev/null | sort)
    pylupdate5 -noobsolete "${sources[@]}" "${forms[@]}" -ts "$ts" 2>/dev/null
  fi
  lrelease -silent "$ts" -qm "${ts%.ts}.qm"
done
