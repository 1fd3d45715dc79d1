#!/usr/bin/env bash
# Windows e2e: `ucscan.exe listen --role mediation` under Wine, in a namespace, scanned by the
# Linux build: every port of the role opens (16,702: the media ranges too), the Linux scan
# passes, the listener prints the Windows Firewall rules exactly as `--firewall-rules
# powershell` does, and Ctrl-C stops it cleanly. Subnet 198.18.76.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E=$HERE/../e2e
# shellcheck source=tests/e2e/lib/assert.sh
source "$E2E/lib/assert.sh"
# shellcheck source=tests/e2e/lib/peers.sh
source "$E2E/lib/peers.sh"
# shellcheck source=tests/windows/lib/wine.sh
source "$HERE/lib/wine.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1}

ns_init winlisten
H=198.18.76.2
ns_host med "$H/24" 198.18.76.1
WP=$NS_TMP/wine-listener # its wineserver starts in the namespace with the listener
wine_prefix "$WP"
ns_defer "wine_stop '$WP'"

# SIGINT at its default (a background job's is ignored): Wine turns it into a console Ctrl-C.
ns_spawn med "ucscan.exe listen" env --default-signal=INT -u DISPLAY WINEDEBUG=-all \
  WINEPREFIX="$WP" "$WINE" "$UCSCAN_EXE" listen --role mediation --bind "$H" \
  --name med01.contoso.test --duration 3600
LPID=$SPAWN_PID LOG=$SPAWN_LOG
ready() { grep -q "ready: listening on" "$LOG" || ! ns_pid_alive "$LPID"; }
ns_wait_until "$((400 * SLOW))" ready || fail "the listener is not ready after $((400 * SLOW)) s"
ns_pid_alive "$LPID" || fail "the listener stopped: $(tail -5 "$LOG")"
assert_contains "opened 16703 of 16703 ports on $H" "$(cat "$LOG")"
assert_contains "ready: listening on 16703 ports for 3600 s" "$(cat "$LOG")"

# --- the firewall rules it printed are the ones --firewall-rules gives, line for line --------
"$UCSCAN" listen --role mediation --bind "$H" --firewall-rules powershell >"$NS_TMP/rules.linux"
sed -n '/^# Windows Firewall rules/,/^# Remove-NetFirewallRule/p' "$LOG" >"$NS_TMP/rules.windows"
assert_eq "$(cat "$NS_TMP/rules.linux")" "$(cat "$NS_TMP/rules.windows")" "firewall rules"
assert_contains "-Protocol UDP -LocalAddress '$H' -LocalPort '1434','49152-57500'" \
  "$(cat "$NS_TMP/rules.windows")"
assert_contains "Windows Firewall must let these ports in" "$(cat "$LOG")"

# --- the Linux build scans it: every check passes ---------------------------------------------
# At 400 new probes a second: Wine keeps every socket in its wineserver, and the listener
# under Wine answers some hundreds of datagrams a second (all 8,349 media ports at 300/s and
# at 600/s); the polite profile's 2,000/s per target outruns it, and its backlog leaves it
# silent for seconds (4,352 of 8,349 answered, and none of a scan just after). Four resend
# passes for a listener's silent ports (--retries 4): beside the CI's sanitizer and valgrind
# lanes and stress-ng, Wine left 1,153 of 8,349 unanswered after the default two; a quiet run
# needs none (the passes only resend what stayed silent).
OUT=$NS_TMP/scan.json
rc=0
"$UCSCAN" scan --target "$H" --role mediation --no-progress --timeout "$((2000 * SLOW))" \
  --rate 400 --retries 4 --out "$OUT" >/dev/null 2>"$NS_TMP/scan.err" || rc=$?
not_passed() { # the checks of the report that did not pass, one line each
  "$(ns_python)" - "$OUT" <<'PY' 2>&1 || true
import json, sys
for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]:
    if c["verdict"] != "pass":
        print(c["port"] or c["range"], c["transport"], c["verdict"], c["state"], c["reason"])
PY
}
silent_media() { # the UDP media ports a report left silent, as a --ports list ("" when none)
  "$(ns_python)" - "$1" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]:
    r = c["range"] or {}
    if r.get("first") == 49152 and c["transport"] == "udp" and r.get("filtered_ports"):
        print("udp:" + ",".join(r["filtered_ports"]))
PY
}
# Beside the CI's lanes and stress-ng, Wine fell behind even at 400/s: it answered the
# media range up to 56858 and left the rest (642 ports) silent through four passes. Then those
# ports, and only they, are scanned again at 100/s: each must answer (the listener opened them
# all, above). Every other check must pass the first time.
failing=$("$(ns_python)" -c 'import json, sys
print(sum(c["verdict"] in ("fail", "warn") for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]))' "$OUT")
silent=$(silent_media "$OUT") fails=0
if [[ -n $silent && $failing == 1 ]]; then
  echo "the Windows listener left ${silent:0:60}... silent (Wine behind a busy machine): again at 100/s"
  rc2=0
  "$UCSCAN" scan --target "$H" --ports "$silent" --no-progress --timeout "$((2000 * SLOW))" \
    --rate 100 --retries 4 --out "$NS_TMP/again.json" >/dev/null 2>"$NS_TMP/again.err" || rc2=$?
  assert_eq 0 "$rc2" "exit status of the scan of the silent ports: $(cat "$NS_TMP/again.err")"
  "$(ns_python)" - "$NS_TMP/again.json" <<'PY' || fail "the silent ports did not all answer the second time"
import json, sys
for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]:
    r = c["range"] or {}
    assert c["state"] == "open" and c["verdict"] == "pass", c
    assert r.get("filtered", 0) == 0 and r.get("closed", 0) == 0, r
PY
  rc=$((rc == 1 ? 0 : rc)) fails=1 # the media range's failure, answered since
fi
assert_eq 0 "$rc" "exit status of the scan of the Windows listener: $(cat "$NS_TMP/scan.err") $(not_passed)"
assert_json "$OUT" .complete true
assert_json "$OUT" .summary.fail "$fails"
assert_json "$OUT" .summary.warn 0
assert_check "$OUT" "$H" 5067/tcp pass open 'TLS 1\.3 handshake completed.*SIP OPTIONS answered'
assert_check "$OUT" "$H" 5070/tcp pass open 'client certificate requested'
assert_check "$OUT" "$H" 1434/udp pass open 'RTCLOCAL'
media() { # TRANSPORT: verdict, state and reason of the media range check
  "$(ns_python)" - "$OUT" "$1" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]:
    if (c["range"] or {}).get("first") == 49152 and c["transport"] == sys.argv[2]:
        print(c["verdict"], c["state"], c["reason"])
PY
}
assert_match '^pass open all 8349 ports reachable: 8349 open' "$(media tcp)"
if ((fails)); then # the first scan's words for what it heard; the rest answered above
  assert_match '^fail filtered [0-9]+ of 8349 ports filtered; [0-9]+ open, 0 closed' "$(media udp)"
else
  assert_match '^pass open all 8349 ports reachable: 8349 open.*listener' "$(media udp)"
fi

# --- Ctrl-C: the listener stops, closes every handle and says what it served ------------------
kill -INT "$LPID"
# It stops at once; closing its 16,703 sockets goes through the wineserver, which on a busy
# machine (CI runs this beside the sanitizer and valgrind lanes) takes minutes, as opening
# them does (the readiness wait above): the bound is for a listener that ignores Ctrl-C.
ns_wait_until "$((300 * SLOW))" eval '! ns_pid_alive "$LPID"' || fail "the listener ignored Ctrl-C"
assert_contains "ucscan listen: interrupted" "$(cat "$LOG")"
assert_match "stopping: [1-9][0-9]* connections" "$(cat "$LOG")"
if grep -q "handles left open" "$LOG"; then fail "the listener left handles open"; fi
echo "ok - ucscan.exe listen --role mediation under Wine: 16703 ports, scanned clean by Linux"
