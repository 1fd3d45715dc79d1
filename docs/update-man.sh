#!/usr/bin/env bash
# docs/update-man.sh - writes the option lists of docs/ucscan.1 from the option tables
# (cli/cmd_*.c and cli/cli.c: one description per option, as curl's docs/cmdline-opts).
#
# The page holds each list between two comment lines:
#   .\" BEGIN GENERATED OPTIONS: CMD   (CMD: ucscan for ucscan's own options, a command, or
#                                       profiles: the scan profiles, from model/conf.c)
#   .\" END GENERATED OPTIONS: CMD
# and this script replaces what is between them with `ucscan --man-options [CMD]`. Edit the
# option's row in the C table, rebuild, run this. The rest of the page is written by hand.
#
# Usage: docs/update-man.sh [--check] [UCSCAN]      (UCSCAN: default build/ucscan)
#   --check  change nothing; exit 1 and show the difference when the page is not current
#            (tests/e2e/test_outputs_manpage.sh runs this).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check=0
if [[ ${1:-} == --check ]]; then
  check=1
  shift
fi
ucscan=${1:-$here/../build/ucscan}
page=${UC_MAN_PAGE:-$here/ucscan.1}
[[ -x $ucscan ]] || {
  echo "update-man.sh: no ucscan binary at $ucscan (build first, or give its path)" >&2
  exit 2
}
tmp=$(mktemp "${TMPDIR:-/tmp}/ucscan-man.XXXXXX")
trap 'rm -f "$tmp"' EXIT

begin='^\.\\" BEGIN GENERATED OPTIONS: ([a-z]+)$'
end='^\.\\" END GENERATED OPTIONS: ([a-z]+)$'
open="" blocks=0 n=0
while IFS= read -r line || [[ -n $line ]]; do
  n=$((n + 1))
  if [[ $line =~ $begin ]]; then
    [[ -z $open ]] || { echo "update-man.sh: $page:$n: BEGIN inside the block of $open" >&2; exit 2; }
    open=${BASH_REMATCH[1]}
    printf '%s\n' "$line" >>"$tmp"
    if [[ $open == ucscan ]]; then
      "$ucscan" --man-options >>"$tmp"
    else
      "$ucscan" --man-options "$open" >>"$tmp"
    fi
    blocks=$((blocks + 1))
    continue
  fi
  if [[ $line =~ $end ]]; then
    [[ ${BASH_REMATCH[1]} == "$open" ]] || {
      echo "update-man.sh: $page:$n: END of ${BASH_REMATCH[1]} does not close '${open}'" >&2
      exit 2
    }
    open=""
  fi
  [[ -n $open ]] || printf '%s\n' "$line" >>"$tmp"
done <"$page"
[[ -z $open ]] || { echo "update-man.sh: $page: the block of $open has no END line" >&2; exit 2; }
((blocks > 0)) || { echo "update-man.sh: $page: no generated block" >&2; exit 2; }

if ((check)); then
  if ! cmp -s "$tmp" "$page"; then
    diff -u "$page" "$tmp" | head -n 60 >&2 || true
    echo "update-man.sh: $page is not current with the option tables: run docs/update-man.sh" >&2
    exit 1
  fi
  echo "update-man.sh: $page: $blocks option lists current"
else
  cat "$tmp" >"$page"
  echo "update-man.sh: $page: $blocks option lists written"
fi
