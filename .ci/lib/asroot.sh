# shellcheck shell=bash
# .ci/lib/asroot.sh - the .ci scripts that install packages need root. README's commands are
# written without sudo so that they work as written in a root shell (a container, a CI
# runner: often no sudo there) and in a user's shell (sudo asked for there):
#
#   asroot SCRIPT [ARGS...]
#     returns when this process is root; otherwise runs SCRIPT ARGS again through sudo (and
#     never returns), or, with no sudo, says how to run it and exits 1.
#
# SCRIPT must be a path that works from any directory (readlink -f "$0").
asroot() {
  local script=$1
  if [[ $(id -u) == 0 ]]; then
    return 0
  fi
  if command -v sudo >/dev/null 2>&1; then
    echo "${script##*/}: installs packages, so it runs as root: again, through sudo" >&2
    exec sudo -- "$@"
  fi
  echo "${script##*/}: installs packages and needs root, and there is no sudo here: run it in a" \
    "root shell (su -c '$script')" >&2
  exit 1
}
