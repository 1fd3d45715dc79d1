#!/usr/bin/env bash
# Windows e2e: `ucscan.exe demo` under Wine. On Windows the demo has no private network
# namespace and runs on the machine's loopback (127.0.0.11-14); here that loopback is the one
# of a namespace of this test, so nothing else on the machine is in the way. It must catch
# exactly its three planted faults, pass everything else, say where it ran, and write its
# report; its self-test passing, it exits 0 (as on Linux: tests/e2e/test_demo.sh).
# Namespace 198.18.77.0/24 with 127.0.0.11-14 on its loopback.
#
# 127.0.0.11-14 are added to the namespace's lo: Wine 8 binds a UDP socket bound to an address
# that no interface lists (Linux's lo lists only 127.0.0.1, though it answers all of
# 127.0.0.0/8) to every address instead, and its replies then leave from 127.0.0.1, which the
# scanner rightly refuses. Windows lists and binds them as given. Even listed, Wine binds the
# UDP socket to the wildcard address, held to the interface (SO_BINDTODEVICE), so a UDP port
# that two demo hosts share (1434, the media range) opens on the first host only and the
# others say "address in use" on stderr; that first socket answers for all of them.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E=$HERE/../e2e
# shellcheck source=tests/e2e/lib/assert.sh
source "$E2E/lib/assert.sh"
# shellcheck source=tests/e2e/lib/netns.sh
source "$E2E/lib/netns.sh"
# shellcheck source=tests/windows/lib/wine.sh
source "$HERE/lib/wine.sh"

ns_init windemo
ns_host demo 198.18.77.2/24 198.18.77.1
for a in 11 12 13 14; do ns_exec demo ip addr add "127.0.0.$a/32" dev lo; done
WP=$NS_TMP/wine-demo
wine_prefix "$WP"
ns_defer "wine_stop '$WP'"
cd "$NS_TMP"

rc=0
ns_exec demo env -u DISPLAY WINEDEBUG=-all WINEPREFIX="$WP" "$WINE" "$UCSCAN_EXE" demo \
  --out demo.json >"$NS_TMP/demo.out" 2>"$NS_TMP/demo.err" || rc=$?
out=$(cat "$NS_TMP/demo.out")
assert_eq 0 "$rc" "exit status of the demo (0: its self-test passed): $(cat "$NS_TMP/demo.err")"
assert_contains "on this machine's loopback: Windows has no private network namespaces" "$out"
assert_contains "self-test passed: the scan caught the 3 planted faults" "$out"
assert_eq "" "$(grep UNEXPECTED "$NS_TMP/demo.err" || true)" "unexpected results"
R=$NS_TMP/demo.json
assert_json "$R" .complete true
assert_json "$R" .topology contoso-demo
assert_json "$R" .summary.fail 1
assert_json "$R" .summary.warn 2
assert_json "$R" .evidence_capture.available false
assert_json "$R" '.hosts[1].checks[port=444].verdict' fail
echo "ok - ucscan.exe demo under Wine: 3 of 3 faults caught, everything else passed"
