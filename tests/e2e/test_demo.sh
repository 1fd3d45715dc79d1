#!/usr/bin/env bash
# tests/e2e/test_demo.sh: `ucscan demo`, as README's first command runs it. Needs root to
# become nobody and to give the --no-sandbox runs a namespace. Its listeners use 127.0.0.11-14
# inside a private network namespace (for the --no-sandbox runs, the loopback of the test's own
# namespace, with ports below 1024 moved up by 10000).
#
#  1. as nobody (no root, no setup): the self-test passes, exit 0, the table and where the
#     report is; the report holds exactly the three planted faults with their verdicts (dir01
#     444/tcp fail closed, med01 5070/tcp warn no client certificate request, edge01 443/tcp
#     warn expired certificate), every other check pass, outbound rows skip;
#  2. as root, --format json: stdout is the report alone, the same verdicts, exit 0;
#  3. as nobody with --no-sandbox: ports below 1024 moved to port + 10000, same verdicts;
#     then with another process holding one of fe01's ports (5061): the scan finds a fault the
#     demo did not plant, the self-test fails, exit 1, and stderr names the check;
#  4. --help says what the exit status means; a report path that cannot be written exits 2.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/netns.sh
source "$HERE/lib/netns.sh"

: "${UCSCAN:?set UCSCAN to the ucscan binary}"
ok() { printf 'ok - %s\n' "$*"; }
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

ns_init demo
DIR=$NS_TMP/nobody
mkdir -p "$DIR"
chown 65534:65534 "$DIR"

# verdicts FILE [SHIFT]: every check that is not "pass" as "host port/transport verdict state",
# plus a count of the passes; SHIFT=1 maps ports moved by --no-sandbox back.
verdicts() {
  "$(ns_python)" - "$@" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
shift = len(sys.argv) > 2
passes = 0
for h in rep["hosts"]:
    for c in h["checks"]:
        if c["verdict"] == "pass":
            passes += 1
            continue
        if c["verdict"] == "skip" and c["state"] is None and c["reason"].startswith(("outbound", "IPsec")):
            continue  # not probed, as in any scan
        where = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
        if shift and c["port"] is not None and c["port"] >= 10000 and c["port"] - 10000 < 1024:
            where = str(c["port"] - 10000)
        print("%s %s/%s %s %s" % (h["name"].split(".")[0], where, c["transport"], c["verdict"], c["state"]))
print("passes %d" % passes)
PY
}
WANT="dir01 444/tcp fail closed
med01 5070/tcp warn open
edge01 443/tcp warn open
passes 52"

# check_report FILE [SHIFT]: the planted faults, their evidence, and nothing else amiss.
check_report() {
  local r=$1 p443=443 p444=444
  if [[ ${2:-} == 1 ]]; then p443=10443 p444=10444; fi
  assert_eq "$WANT" "$(verdicts "$@")" "verdicts in ${r##*/}"
  assert_json "$r" .schema ucscan-report/1
  assert_json "$r" .complete true
  assert_json "$r" .topology contoso-demo
  assert_json "$r" .summary '{"checks":69,"fail":1,"hosts":4,"pass":52,"skip":14,"warn":2}'
  assert_json "$r" ".hosts[name=dir01.contoso.test].checks[port=$p444].reason" "connection refused (RST)"
  local med='.hosts[name=med01.contoso.test].checks[port=5070]'
  assert_json "$r" "$med.evidence.tls.client_cert_requested" false
  assert_contains "did not request a client certificate" "$(json_get "$r" "$med.reason")"
  local edge=".hosts[name=edge01.contoso.test].checks[port=$p443]"
  assert_json "$r" "$edge.evidence.tls.certificate.expired" true
  assert_contains "expired" "$(json_get "$r" "$edge.reason")"
  # The rest answered as the real services would, through the listener.
  assert_json "$r" '.hosts[name=fe01.contoso.test].checks[port=5061].evidence.tls.client_cert_requested' true
  assert_json "$r" '.hosts[name=fe01.contoso.test].checks[port=5061].evidence.tls.certificate.name_match' true
  assert_json "$r" '.hosts[name=fe01.contoso.test].checks[port=5061].evidence.sip.status' 200
  assert_json "$r" '.hosts[name=fe01.contoso.test].checks[port=1434].evidence.sql_browser.instances' \
    '["RTCLOCAL","LYNCLOCAL"]'
  assert_json "$r" '.hosts[name=edge01.contoso.test].checks[port=3478].verdict' pass
  assert_contains "id='ucscan-listener/1-" \
    "$(json_get "$r" '.hosts[name=edge01.contoso.test].checks[port=5269].evidence.xmpp.stream')" "XMPP"
  assert_contains "ucscan listener answered" \
    "$(json_get "$r" '.hosts[name=med01.contoso.test].checks[probe=udp].reason')" "media range"
}

# ---- 1. as nobody, the default ---------------------------------------------------------------
rc=0
T0=${EPOCHREALTIME/[.,]/}
(cd "$DIR" && "${NOBODY[@]}" "$UCSCAN" demo >"$NS_TMP/out" 2>"$NS_TMP/err") || rc=$?
T1=${EPOCHREALTIME/[.,]/}
assert_eq 0 "$rc" "demo exit status - $(cat "$NS_TMP/err")"
REP=$DIR/ucscan-demo-report.json
[[ -f $REP ]] || fail "no report at $REP"
assert_eq 65534 "$(stat -c %u "$REP")" "report owner"
assert_contains "in a private network namespace" "$(cat "$NS_TMP/out")"
assert_contains "self-test passed: the scan caught the 3 planted faults (1 fail, 2 warn)" \
  "$(tr '\n' ' ' <"$NS_TMP/out")"
assert_contains "Exit status 0." "$(tr '\n' ' ' <"$NS_TMP/out")"
assert_match "fail +444/tcp +https +closed" "$(cat "$NS_TMP/out")" "table"
assert_contains "report written to ucscan-demo-report.json" "$(cat "$NS_TMP/err")"
check_report "$REP"
ok "demo as nobody: exit 0, the three planted faults and nothing else ($(((T1 - T0) / 1000)) ms)"

# ---- 2. as root, JSON on stdout --------------------------------------------------------------
rc=0
"$UCSCAN" demo --format json --out "$NS_TMP/root.json" >"$NS_TMP/stdout.json" 2>"$NS_TMP/err" ||
  rc=$?
assert_eq 0 "$rc" "demo exit status as root"
check_report "$NS_TMP/stdout.json"
check_report "$NS_TMP/root.json"
ok "demo as root, --format json: stdout is the report"

# ---- 3. no sandbox, no root ------------------------------------------------------------------
# ucscan makes no namespace of its own here; the test runs it in one (its loopback only), so
# that no other test's listener or socket on the machine's loopback holds a demo port (CI runs
# lanes side by side).
ns_island box
rc=0
(cd "$DIR" && ns_exec box "${NOBODY[@]}" "$UCSCAN" demo --no-sandbox --out nosandbox.json \
  >"$NS_TMP/out" 2>"$NS_TMP/err") || rc=$?
assert_eq 0 "$rc" "demo --no-sandbox exit status - $(cat "$NS_TMP/err")"
assert_contains "ports below 1024 moved to port + 10000" "$(tr '\n' ' ' <"$NS_TMP/out")"
assert_contains "self-test passed" "$(cat "$NS_TMP/out")"
check_report "$DIR/nosandbox.json" 1
assert_json "$DIR/nosandbox.json" '.hosts[name=fe01.contoso.test].checks[port=10080].verdict' pass
ok "demo --no-sandbox without root: privileged ports moved, same verdicts"

# a fault the demo did not plant: another process holds fe01's 5061 (a plain TCP listener,
# so the scan meets no TLS there); the demo must say its self-test failed, and which check
# (servers.sh keeps to 198.18.0.0/15 inside namespaces: this one loopback listener is spelt out)
ns_spawn box holder "$(ns_python)" -c 'import socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.11", 5061))
s.listen(16)
time.sleep(3600)'
HOLDER=$SPAWN_PID
wait_tcp_bound box 127.0.0.11 5061
rc=0
(cd "$DIR" && ns_exec box "${NOBODY[@]}" "$UCSCAN" demo --no-sandbox --out held.json \
  >"$NS_TMP/out" 2>"$NS_TMP/err") || rc=$?
kill "$HOLDER" 2>/dev/null || true
assert_eq 1 "$rc" "demo with a port held by another process: exit status"
assert_contains "self-test FAILED: 3 of 3 planted faults caught; 1 check not as expected" \
  "$(tr '\n' ' ' <"$NS_TMP/out")"
assert_match "UNEXPECTED: fe01\.contoso\.test 5061/tcp fail" "$(cat "$NS_TMP/err")"
assert_json "$DIR/held.json" '.hosts[name=fe01.contoso.test].checks[port=5061].verdict' fail
ok "demo with a fault it did not plant: self-test FAILED, exit 1, the check named"

# ---- 4. help and errors ----------------------------------------------------------------------
help=$("$UCSCAN" demo --help)
assert_contains "exit status:" "$help"
assert_contains "the self-test passed: the scan caught the three planted faults" "$help"
assert_contains "dir01 444/tcp" "$help"
assert_contains "demo" "$("$UCSCAN" --help)" "top-level help"
assert_exit 2 "$UCSCAN" demo --out /nonexistent-dir/r.json
assert_exit 2 "$UCSCAN" demo --format xml
ok "help explains the exit status; bad output paths and formats exit 2"

# ---- 5. README's first command, on a terminal of 80 columns: no line wider ------------------
# onterm COLUMNS ARGS...: ucscan demo as nobody in $DIR, on a terminal; its output in $NS_TMP/term
# (the layout is what is checked here: 0 or 1, a self-test that a slow machine failed, will do)
onterm() {
  local cols=$1 rc=0
  shift
  (cd "$DIR" && "$(ns_python)" "$HERE/lib/onterm.py" "$cols" "${NOBODY[@]}" "$UCSCAN" demo \
    --out term.json "$@") >"$NS_TMP/term" || rc=$?
  ((rc <= 1)) || fail "demo $* on a terminal: exit status $rc"
}
onterm 80
sed 's/\x1b\[[0-9;]*m//g' "$NS_TMP/term" >"$NS_TMP/term.txt"
wide=$(awk 'length($0) > 80' "$NS_TMP/term.txt")
assert_eq "" "$wide" "demo lines over 80 columns"
grep -q $'\x1b\\[1;31mfail' "$NS_TMP/term" || fail "no red fail on the terminal"
assert_match "fail +444/tcp +https +closed" "$(cat "$NS_TMP/term.txt")" "the table on the terminal"
assert_contains "Reasons are shortened to fit 80 columns" "$(tr '\n' ' ' <"$NS_TMP/term.txt")"
NO_COLOR=1 onterm 80
if grep -q $'\x1b\\[' "$NS_TMP/term"; then fail "NO_COLOR: colour on the terminal"; fi
TERM=dumb onterm 80
if grep -q $'\x1b\\[' "$NS_TMP/term"; then fail "TERM=dumb: colour on the terminal"; fi
NO_COLOR=1 onterm 80 --color always
grep -q $'\x1b\\[1;31mfail' "$NS_TMP/term" || fail "--color always: no colour despite NO_COLOR"
onterm 80 --color never
if grep -q $'\x1b\\[' "$NS_TMP/term"; then fail "--color never: colour on the terminal"; fi
ok "demo at 80 columns: no line wider, colour unless NO_COLOR or TERM=dumb (--color always wins)"
