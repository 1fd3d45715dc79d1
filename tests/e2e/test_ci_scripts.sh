#!/usr/bin/env bash
# tests/e2e/test_ci_scripts.sh: README's first two commands, `.ci/demo` and `.ci/run`, and its
# Windows build command, `bash .ci/windows`, work as written in a root shell (no sudo there, often) and in a user's shell (through sudo). Their
# root logic, .ci/lib/asroot.sh, run with a fake `id` and a fake `sudo` on PATH, so nothing is
# installed and no root is needed:
#  1. as root: asroot returns and the script goes on, sudo untouched;
#  2. not root, sudo present: the script runs again through `sudo -- SCRIPT ARGS`, nothing
#     of it before;
#  3. not root, no sudo: a message that says how, exit 1.
#  4. .ci/demo, .ci/run and .ci/windows call it before anything else, with their own absolute
#     path; README runs them without sudo.
# No network, no root.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
SRC=${UC_SOURCE_DIR:-$(cd "$HERE/../.." && pwd)}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-ci.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
ok() { printf 'ok - %s\n' "$*"; }

# a fake machine: `id -u` says $FAKE_UID, `sudo` writes its arguments to $TMP/sudo.args
mkdir -p "$TMP/bin" "$TMP/nosudo"
printf '#!/bin/sh\n[ "$1" = -u ] && echo "$FAKE_UID"\n' >"$TMP/bin/id"
printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/sudo.args"\n' "$TMP" >"$TMP/bin/sudo"
cp "$TMP/bin/id" "$TMP/nosudo/id"
chmod +x "$TMP/bin/id" "$TMP/bin/sudo" "$TMP/nosudo/id"
# a script as .ci/demo starts
cat >"$TMP/script" <<EOS
#!/usr/bin/env bash
set -euo pipefail
source "$SRC/.ci/lib/asroot.sh"
asroot "\$(readlink -f "\$0")" "\$@"
echo "went on as uid \$(id -u) with: \$*"
EOS
chmod +x "$TMP/script"
run() { # run UID PATHDIR ARGS...: the script's output and status
  local uid=$1 dir=$2 rc=0
  shift 2
  FAKE_UID=$uid PATH="$dir:/usr/bin:/bin" "$TMP/script" "$@" >"$TMP/out" 2>&1 || rc=$?
  echo "$rc"
}

# ---- 1. root ---------------------------------------------------------------------------------
rm -f "$TMP/sudo.args"
assert_eq 0 "$(run 0 "$TMP/bin" a "b c")" "as root: status"
assert_eq "went on as uid 0 with: a b c" "$(cat "$TMP/out")" "as root: output"
[[ ! -e $TMP/sudo.args ]] || fail "as root, sudo was called: $(cat "$TMP/sudo.args")"
ok "as root: the script goes on, no sudo"

# ---- 2. a user, sudo ---------------------------------------------------------------------------
assert_eq 0 "$(run 1000 "$TMP/bin" a "b c")" "a user with sudo: status"
assert_eq "$(printf -- '--\n%s\na\nb c' "$TMP/script")" "$(cat "$TMP/sudo.args")" "sudo's arguments"
if grep -q "went on" "$TMP/out"; then fail "a user with sudo: the script went on without root"; fi
assert_contains "runs as root: again, through sudo" "$(cat "$TMP/out")"
ok "a user with sudo: the script runs again as sudo -- SCRIPT ARGS"

# ---- 3. a user, no sudo ------------------------------------------------------------------------
# (a PATH of only what the script needs: sudo may well be in /usr/bin)
mkdir -p "$TMP/empty"
ln -s "$(command -v bash)" "$TMP/empty/bash"
ln -s "$(command -v readlink)" "$TMP/empty/readlink"
cp "$TMP/bin/id" "$TMP/empty/id"
rc=0
FAKE_UID=1000 PATH="$TMP/empty" "$TMP/empty/bash" "$TMP/script" x >"$TMP/out" 2>&1 || rc=$?
assert_eq 1 "$rc" "a user without sudo: status"
assert_contains "needs root, and there is no sudo here: run it in a root shell" "$(cat "$TMP/out")"
ok "a user without sudo: a message that says how, exit 1"

# ---- 4. the scripts use it first ----------------------------------------------------------------
for s in demo run windows; do
  # (awk, not head: head would stop reading, and grep's SIGPIPE fails the pipeline under pipefail)
  first=$(grep -v '^#' "$SRC/.ci/$s" | grep -v '^set -euo pipefail$' | grep -v '^$' | awk 'NR <= 2')
  assert_eq "source \"\$(dirname \"\$0\")/lib/asroot.sh\"
asroot \"\$(readlink -f \"\$0\")\" \"\$@\"" "$first" ".ci/$s begins with asroot"
done
grep -q '^\.ci/demo ' "$SRC/README.md" || fail "README's first command is not .ci/demo"
grep -q '^\.ci/run ' "$SRC/README.md" || fail "README's second command is not .ci/run"
grep -q '^bash \.ci/windows ' "$SRC/README.md" || fail "README does not build ucscan.exe with bash .ci/windows"
if grep -q 'sudo bash \.ci/' "$SRC/README.md"; then fail "README runs a .ci script through sudo"; fi
ok ".ci/demo, .ci/run and .ci/windows begin with asroot; README runs them as written"
