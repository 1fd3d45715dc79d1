#!/usr/bin/env bash
# .ci/lint.sh - formatting, shell scripts and layering, as CI checks them.
#   clang-format: Debian 12's clang-format 14 (the version .clang-format was applied with);
#                 another version formats differently, so it is refused, not trusted.
#   scripts:      shellcheck on every shell script in the repository (.shellcheckrc holds the settings).
#   layers:       .ci/layers.sh (no include goes up a layer).
# Run from anywhere; exits non-zero on the first kind of finding, after listing them all.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0

want=14
ver=$(clang-format --version 2>/dev/null | sed -n 's/.*version \([0-9]*\).*/\1/p')
if [[ $ver != "$want" ]]; then
  echo "lint: clang-format $want is needed (Debian 12's clang-format package), found '${ver:-none}'" >&2
  exit 1
fi
mapfile -t csrc < <(git ls-files '*.c' '*.h')
bad=()
for f in "${csrc[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    bad+=("$f")
  fi
done
if ((${#bad[@]})); then
  echo "lint: ${#bad[@]} file(s) not formatted (clang-format -i FILE):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  rc=1
else
  echo "lint: clang-format: ${#csrc[@]} files formatted"
fi

mapfile -t scripts < <(git ls-files '*.sh' .ci/run .ci/setup .ci/demo .ci/windows 2>/dev/null |
  while read -r f; do [[ -f $f ]] && echo "$f"; done)
# A script found clean is not checked again until it, a library any script may source
# (*/lib/*.sh), .shellcheckrc or shellcheck itself changes: shellcheck is a CPU-minute of CI.
# The keys of clean scripts live in LINT_CACHE (default /var/cache/ucscan-lint when it can be
# written; LINT_CACHE= checks every script).
cache=${LINT_CACHE-/var/cache/ucscan-lint}
todo=("${scripts[@]}") keys=()
if [[ -n $cache ]] && mkdir -p "$cache" 2>/dev/null && [[ -w $cache ]]; then
  common=$({
    shellcheck --version
    cat .shellcheckrc
    git ls-files -z '*/lib/*.sh' | sort -z | xargs -0 cat
  } | sha256sum)
  todo=()
  for f in "${scripts[@]}"; do
    key=$({ echo "$common $f"; cat "$f"; } | sha256sum)
    key=${key%% *}
    [[ -e $cache/$key ]] || todo+=("$f") keys+=("$key")
  done
fi
if ((${#todo[@]} == 0)) || shellcheck "${todo[@]}"; then
  for key in "${keys[@]+"${keys[@]}"}"; do : >"$cache/$key"; done
  echo "lint: shellcheck: ${#scripts[@]} scripts clean (${#todo[@]} checked, the others unchanged since found clean)"
else
  echo "lint: shellcheck found problems (above)" >&2
  rc=1
fi

.ci/layers.sh || rc=1
exit "$rc"
