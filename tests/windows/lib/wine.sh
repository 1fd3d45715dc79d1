#!/usr/bin/env bash
# tests/windows/lib/wine.sh - running the Windows build (ucscan.exe) under Debian's wine64,
# headless, in the end-to-end tests and in .ci/windows. Source it (after tests/e2e/lib/*.sh
# when namespaces are used).
#
#   WINE           the loader (default /usr/lib/wine/wine64, where Debian's wine64 puts it)
#   WINESERVER     its server (default /usr/lib/wine/wineserver)
#   UCSCAN_EXE     the Windows build (default build-windows/ucscan.exe of this checkout)
#   UC_WINE_TEMPLATE  an initialised prefix to share (.ci/windows makes one in its cache)
#
# Every prefix gets its own wineserver, and Wine creates a program's sockets in its server:
# a prefix whose first program starts inside a network namespace has its sockets there. So
# each program that must live in a namespace gets a prefix of its own (wine_prefix: a few
# small files and a link to the template's drive_c, not a 700 MB copy), and wine_stop ends
# its server when the test is done.
#
#   wine_template DIR          initialise a prefix in DIR once (wineboot, no Mono/Gecko, no X)
#   wine_prefix DIR            a prefix of its own in DIR, sharing the template's drive_c
#   wine_serve PREFIX          start the prefix's wineserver and its services now, kept
#                              until wine_stop: programs started at once (ctest -j) share
#                              them instead of racing to start a server each (the loser
#                              cannot find its socket), and a service one of them starts
#                              (winedevice.exe for the network) does not hold its output
#                              pipe open after it exits (ctest would wait for it)
#   wine_exe PREFIX ARGS...    run ucscan.exe ARGS with that prefix (exit status passed on)
#   wine_stop PREFIX           stop the prefix's wineserver and its programs, and end any
#                              process of the prefix that outlived them

WINE=${WINE:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}
_WINE_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UCSCAN_EXE=${UCSCAN_EXE:-$_WINE_LIB_DIR/../../../build-windows/ucscan.exe}

# The environment of every Wine program: no display (nothing may open a window), no debug
# channels, no Mono or Gecko installer.
_wine_env() {
  env -u DISPLAY -u WAYLAND_DISPLAY WINEDEBUG=-all WINEDLLOVERRIDES="mscoree=;mshtml=" \
    WINEPREFIX="$1" "${@:2}"
}

wine_template() {
  local dir=$1
  [[ -f $dir/system.reg && -d $dir/drive_c/windows ]] && return 0
  [[ -x $WINE ]] || {
    echo "wine.sh: $WINE not found (apt-get install wine64)" >&2
    return 1
  }
  mkdir -p "$dir"
  _wine_env "$dir" "$WINE" wineboot --init >/dev/null 2>&1 || true
  _wine_env "$dir" "$WINESERVER" -w
  [[ -f $dir/system.reg && -d $dir/drive_c/windows ]] || {
    echo "wine.sh: wineboot did not make a prefix in $dir" >&2
    return 1
  }
}

wine_prefix() {
  local dir=$1 tpl=${UC_WINE_TEMPLATE:?set UC_WINE_TEMPLATE to a prefix made by wine_template} f
  mkdir -p "$dir"
  for f in "$tpl"/* "$tpl"/.[!.]*; do
    [[ -e $f ]] || continue
    case ${f##*/} in
    drive_c) ln -sfn "$tpl/drive_c" "$dir/drive_c" ;;
    wineserver) ;;
    *) cp -a "$f" "$dir/" ;;
    esac
  done
}

wine_serve() {
  _wine_env "$1" "$WINESERVER" -p
  _wine_env "$1" "$WINE" ipconfig >/dev/null 2>&1 || true # services and the network driver
}

wine_exe() {
  _wine_env "$1" "$WINE" "$UCSCAN_EXE" "${@:2}"
}

wine_stop() {
  _wine_env "$1" "$WINESERVER" -k >/dev/null 2>&1 || true
  # Wine ends the threads it knows of; a thread that a Unix library started (wineusb.sys's
  # libusb_event in winedevice.exe) outlives them, and with it the process, a zombie leader
  # and every descriptor it inherited: the e2e lock once stayed held for an hour that way.
  # What is left of the prefix's processes is ended here.
  local t p
  for t in /proc/[0-9]*/task/[0-9]*; do
    grep -qzx "WINEPREFIX=$1" "$t/environ" 2>/dev/null || continue
    p=${t#/proc/}
    kill -9 "${p%%/*}" 2>/dev/null || true
  done
}
