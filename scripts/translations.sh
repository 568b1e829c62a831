#!/usr/bin/env bash
# Extract user-visible strings into i18n/*.ts (pylupdate5) and compile .qm (lrelease).
set -eu
cd "$(dirname "$0")/.."
mapfile -t sources < <(find glacvel_plugin -name '*.py' -not -path '*/core/*' | sort)
mapfile -t forms < <(find resources/ui -name '*.ui' 2>/dev/null | sort)
for ts in i18n/glacvel_*.ts; do
  [[ -e $ts ]] || continue
  pylupdate5 -noobsolete "${sources[@]}" "${forms[@]}" -ts "$ts" 2>/dev/null
  lrelease -silent "$ts" -qm "${ts%.ts}.qm"
done
