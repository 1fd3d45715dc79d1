#!/usr/bin/env bash
# tests/e2e/test_listen_mediation.sh: issue 5's end-to-end proof of listen mode. Needs root.
# Uses 198.18.20.0/24.
#
# A bare host namespace runs `ucscan listen --role mediation` (16,702 ports: 5067 tls,
# 5068 tcp, 5070 mtls, 1434/udp, and 49152-57500 on TCP and UDP). Its nftables drop 5068/tcp,
# reject 5067/tcp (admin-prohibited) and drop the UDP run 50000-50099 inside the media range.
# `ucscan scan` from the root namespace must report exactly those three as failures (the
# UDP run in filtered_ports, every other port of the range proven open one by one because
# the listener answers), everything else pass. With the rules removed, the same scan passes
# completely (the failures were the firewall's, not the listener's). SIGTERM stops the
# listener cleanly (exit 0).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

: "${UCSCAN:?set UCSCAN to the ucscan binary}"
ok() { printf 'ok - %s\n' "$*"; }
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
dead() { ! ns_pid_alive "$1"; }

ns_init listenmed
ns_host med 198.18.20.2/24 198.18.20.1
MED=$(ns_addr med)
ns_drop_tcp med 5068
ns_reject_tcp med 5067
ns_drop_udp med 50000-50099

# The listener, wrapped so that its exit status lands in its log.
# shellcheck disable=SC2016 # expanded by the inner shell
ns_spawn med listener bash -c '"$0" listen --role mediation --bind "$1" --name med01.ucscan.test \
  --duration 280; echo "listen-exit=$?"' "$UCSCAN" "$MED"
LPID=$SPAWN_PID LLOG=$SPAWN_LOG
T0=$(now_ms)
ns_wait_until 60 grep -q "ready: listening on 16703 ports" "$LLOG" ||
  fail "listener not ready: $(tail -n 20 "$LLOG")"
T1=$(now_ms)
assert_contains "opened 16703 of 16703 ports on $MED" "$(cat "$LLOG")" "listener table"
assert_match "49152-57500/udp +rtp +open +answers the ucscan UDP probe \(8349 ports\)" \
  "$(cat "$LLOG")" "listener table, UDP range"
assert_match "5070/tcp +mtls +open +TLS, client certificate requested; answers SIP" \
  "$(cat "$LLOG")" "listener table, 5070"
ok "listener opened 16703 ports in $((T1 - T0)) ms"

TOPO=$NS_TMP/topology.json
cat >"$TOPO" <<JSON
{"name": "listen-e2e", "product": "sfb2015",
 "hosts": [{"name": "med01.ucscan.test", "address": "$MED", "roles": ["mediation"]}]}
JSON

# verdicts FILE: one line per check, "port-or-range/transport verdict", sorted.
verdicts() {
  "$(ns_python)" - "$1" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for c in rep["hosts"][0]["checks"]:
    where = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
    print("%s/%s %s" % (where, c["transport"], c["verdict"]))
PY
}

# field FILE CHECK KEY: a field of the check "PORT/TRANSPORT" or "FIRST-LAST/TRANSPORT" of the
# report's only host, printed as assert_json prints values (KEY dotted: range.open).
field() {
  "$(ns_python)" - "$@" <<'PY'
import json, sys
rep, want, key = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
for c in rep["hosts"][0]["checks"]:
    where = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
    if "%s/%s" % (where, c["transport"]) == want:
        v = c
        for k in key.split("."):
            v = v[k]
        print(v if isinstance(v, str) else json.dumps(v, sort_keys=True, separators=(",", ":")))
        sys.exit(0)
sys.exit("no check " + want)
PY
}

# The fast profile's 1 s deadline, scaled for slow runs: under valgrind both this scan and the
# listener are 20-50 times slower, and a TLS handshake alone can take more than a second.
SCAN_TIMEOUT=$((1000 * ${UC_E2E_SLOW:-1}))

# ---- 1. with the firewall rules --------------------------------------------------------------
REP=$NS_TMP/report.json
rc=0
T0=$(now_ms)
"$UCSCAN" scan --topology "$TOPO" --fast --timeout "$SCAN_TIMEOUT" --no-progress --out "$REP" --format table \
  >"$NS_TMP/table.txt" 2>"$NS_TMP/scan.err" || rc=$?
T1=$(now_ms)
assert_eq 1 "$rc" "scan exit status (failures found) - $(cat "$NS_TMP/scan.err")"
want="1-65535/tcp skip
1-65535/udp skip
445/tcp pass
1434/udp pass
5067/tcp fail
5068/tcp fail
5070/tcp pass
49152-57500/tcp pass
49152-57500/udp fail"
assert_eq "$want" "$(verdicts "$REP" | sort -n)" "every check's verdict"
assert_json "$REP" .complete true
assert_json "$REP" .summary.fail 3
assert_json "$REP" .summary.pass 4
H='.hosts[0].checks'
assert_json "$REP" "${H}[port=5068].state" filtered
assert_json "$REP" "${H}[port=5067].state" filtered   # admin-prohibited, attributed by the capture
assert_json "$REP" "${H}[port=5067].evidence.icmp.meaning" "administratively prohibited"
assert_json "$REP" "${H}[port=5070].evidence.tls.client_cert_requested" true
assert_json "$REP" "${H}[port=5070].evidence.tls.certificate.name_match" true
assert_json "$REP" "${H}[port=5070].evidence.sip.status" 200
assert_contains "ucscan-listener/1" "$(json_get "$REP" "${H}[port=5070].evidence.sip.server")" "5070 Server"
assert_json "$REP" "${H}[port=1434].evidence.sql_browser.instances" '["RTCLOCAL","LYNCLOCAL"]'
# The UDP media range: every port proven, the dropped run listed.
U=49152-57500/udp
assert_eq '["50000-50099"]' "$(field "$REP" $U range.filtered_ports)" "$U filtered_ports"
assert_eq 100 "$(field "$REP" $U range.filtered)" "$U filtered"
assert_eq 8249 "$(field "$REP" $U range.open)" "$U open"
assert_eq 8349 "$(field "$REP" $U range.probed)" "$U probed"
assert_eq filtered "$(field "$REP" $U state)" "$U state"
# The TCP media range: every port accepted.
T=49152-57500/tcp
assert_eq 8349 "$(field "$REP" $T range.open)" "$T open"
assert_eq '[]' "$(field "$REP" $T range.filtered_ports)" "$T filtered_ports"
assert_match "filtered: 50000-50099" "$(cat "$NS_TMP/table.txt")" "table lists the run"
assert_eq '["49152-57500"]' "$(field "$REP" $T range.open_ports)" "$T open_ports"
# The round trip of an accepted port is the network's (TCP_INFO), not the time its callback
# waited behind 16,000 range probes in flight (that was tens of ms; a veth is microseconds,
# under valgrind too: the kernel measures it)
rtt=$(json_get "$REP" "${H}[port=5070].rtt_ms")
assert_match '^0\.[0-9]+' "$rtt" "5070 rtt_ms, under a millisecond"
ok "scan with the rules: exactly 5067, 5068 and UDP 50000-50099 fail, everything else passes ($((T1 - T0)) ms)"

# ---- 2. without them -------------------------------------------------------------------------
ns_exec med nft flush table inet uc_e2e
REP2=$NS_TMP/report2.json
rc=0
T0=$(now_ms)
"$UCSCAN" scan --topology "$TOPO" --fast --timeout "$SCAN_TIMEOUT" --no-progress --out "$REP2" 2>"$NS_TMP/scan2.err" || rc=$?
T1=$(now_ms)
assert_eq 0 "$rc" "scan exit status without the rules - $(cat "$NS_TMP/scan2.err")"
assert_json "$REP2" .summary.fail 0
assert_json "$REP2" .summary.pass 7
assert_eq pass "$(field "$REP2" $U verdict)" "$U verdict"
assert_eq 8349 "$(field "$REP2" $U range.open)" "$U open"
assert_contains "ucscan listener answered" "$(field "$REP2" $U reason)" "$U reason"
ok "scan without the rules: everything passes, the UDP range fully verified ($((T1 - T0)) ms)"

# ---- 3. stop -----------------------------------------------------------------------------------
# The spawned PID is the wrapper shell (setpriv and ip netns exec exec into it); ucscan is its
# child.
UPID=$(pgrep -P "$LPID" | head -n 1) || fail "no ucscan process under the wrapper $LPID"
kill -TERM "$UPID"
ns_wait_until 10 grep -q "listen-exit=" "$LLOG" || fail "listener did not stop: $(tail -n 5 "$LLOG")"
assert_contains "listen-exit=0" "$(cat "$LLOG")" "listener exit status"
assert_contains "ucscan listen: terminated" "$(cat "$LLOG")" "listener log"
assert_match "stopping: [0-9]+ connections \([0-9]+ TLS handshakes" "$(cat "$LLOG")" "listener summary"
ns_wait_until 5 dead "$LPID" || fail "listener wrapper still running"
ok "SIGTERM: the listener closed everything and exited 0"
