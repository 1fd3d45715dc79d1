#!/usr/bin/env bash
# .ci/layers.sh - fails when a source file includes a header from a layer above its own.
#
#   common  <  catalog, probes  <  model  <  scanner, listen, reports  <  cli
#
# The build links one library per layer in that order (CMakeLists.txt), so an upward call
# already fails to link; this catches the include before anyone calls through it.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A allowed=(
  [common]="common"
  [catalog]="common catalog"
  [probes]="common probes"
  [model]="common catalog probes model"
  [scanner]="common catalog probes model scanner"
  [listen]="common catalog probes model listen"
  [reports]="common catalog probes model reports"
  [cli]="common catalog probes model scanner listen reports cli"
)
bad=0
for layer in "${!allowed[@]}"; do
  for f in "$layer"/*.[ch]; do
    [[ -e $f ]] || continue
    while IFS=: read -r line dir; do
      if [[ " ${allowed[$layer]} " != *" $dir "* ]]; then
        echo "$f:$line: $layer/ may not include $dir/ (layers: ${allowed[$layer]})" >&2
        bad=1
      fi
    done < <(grep -no '^#include "[a-z_]*/' "$f" | sed 's/#include "//; s#/$##')
  done
done
if ((bad)); then
  echo "layers.sh: an include goes up a layer (see DEVELOPERS.md, Layers)" >&2
  exit 1
fi
echo "layers.sh: every include stays within its layer or below"
