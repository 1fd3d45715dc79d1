#!/usr/bin/env bash
# Windows e2e: ucscan.exe under Wine and the Linux build scan the same namespaced host (TLS with
# a certificate, MTLS, open, closed by RST, dropped, rejected with ICMP and with a TCP reset, a
# TCP range, UDP answered, closed, dropped and rejected); the two reports are compared field
# by field (tests/windows/lib/compare_reports.py: timings and the evidence capture aside,
# the ICMP details Windows or Wine do not give named; every verdict the same). Then what only the Windows build does:
# evidence capture unavailable as the report says, --capture / --tcp-method syn / --user /
# --out NUL (a device name) refused before anything is sent, --out replacing a file
# (MoveFileEx), Ctrl-C giving a partial report with exit status 3. Subnet 198.18.75.0/24.
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

ns_init winscan
H=198.18.75.2
ns_host tgt "$H/24" 198.18.75.1
srv_tcp_listen tgt "$H" 5066 60000 60001 60002
mkcert "$NS_TMP/pki" fe01.contoso.test --days 365 --san fe01.contoso.test,pool.contoso.test
srv_tls tgt "$H" 443 "$MKCERT_CRT" "$MKCERT_KEY"
srv_tls tgt "$H" 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
srv_udp_echo tgt "$H" 9996
ns_drop_tcp tgt 5063,60005
ns_reject_tcp tgt 5064
ns_reject_tcp tgt 5065 "tcp reset"
ns_drop_udp tgt 9999
ns_reject_udp tgt 9997
# 5062/tcp, 60003-60004 and 60006-60009/tcp, 9998/udp: nothing listens (RST, port unreachable)
peers_catalog "$NS_TMP/lab.json" lab 443/tcp/https/web 5061/tcp/mtls/sip 5062/tcp/tcp \
  5063/tcp/tcp 5064/tcp/tcp 5065/tcp/tcp 5066/tcp/tcp 9996/udp/udp 9997/udp/udp 9998/udp/udp \
  9999/udp/udp

WP=$NS_TMP/wine-scanner # the scanner runs in the root namespace: its wineserver too
wine_prefix "$WP"
ns_defer "wine_stop '$WP'"
cd "$NS_TMP" # Wine reads /tmp/... as Z:\tmp\... from here
common=(--timeout "$((1500 * SLOW))" --retries 1 --no-progress)

scan_pair() { # NAME ARGS...: the Linux and the Windows report of one scan, compared
  local name=$1 rc=0
  shift
  "$UCSCAN" scan "$@" "${common[@]}" --no-evidence --out "$NS_TMP/$name-linux.json" \
    >/dev/null 2>"$NS_TMP/$name-linux.err" || rc=$?
  assert_eq 1 "$rc" "exit status of the Linux scan ($name)"
  local try
  for try in 1 2; do
    rc=0
    wine_exe "$WP" scan "$@" "${common[@]}" --out "$name-windows.json" \
      >"$NS_TMP/$name-windows.out" 2>"$NS_TMP/$name-windows.err" || rc=$?
    [[ -e $NS_TMP/$name-windows.json ]] && break
    # No report: ucscan.exe did not run (under load Wine's loader now and then fails to start
    # a program, with exit status 1 and nothing from ucscan) or it failed; say what it said,
    # and run it once more: a program that really fails, fails twice.
    echo "no report from ucscan.exe ($name, try $try, exit $rc): $(tail -3 "$NS_TMP/$name-windows.err")" >&2
  done
  assert_eq 1 "$rc" "exit status of ucscan.exe ($name): $(tail -3 "$NS_TMP/$name-windows.err")"
  [[ -e $NS_TMP/$name-windows.json ]] || fail "ucscan.exe wrote no report ($name), twice"
  "$(ns_python)" "$HERE/lib/compare_reports.py" "$NS_TMP/$name-linux.json" \
    "$NS_TMP/$name-windows.json" | tee "$NS_TMP/$name-compare.txt" ||
    fail "the Linux and Windows reports of $name differ (above)"
}

# --- the same scans, both builds ---------------------------------------------------------
printf '{"name": "winscan", "hosts": [{"name": "fe01.contoso.test", "address": "%s", "roles": ["lab"]}]}\n' \
  "$H" >"$NS_TMP/topo.json"
scan_pair roles --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/lab.json"
scan_pair range --target "$H" --ports tcp:60000-60009,5066
# the comparison compared something, and the report says what a scan should
assert_contains "compared 11 checks: 8 equal, 3 known differences (same verdict), 0 different" \
  "$(cat "$NS_TMP/roles-compare.txt")"
assert_contains "compared 2 checks: 2 equal" "$(cat "$NS_TMP/range-compare.txt")"
W=$NS_TMP/roles-windows.json
assert_check "$W" "$H" 443/tcp pass open 'TLS 1\.3 handshake completed'
assert_json "$W" '.hosts[0].checks[port=443].evidence.tls.certificate.name_match' true
assert_json "$W" '.hosts[0].checks[port=443].evidence.tls.certificate.san' \
  '["fe01.contoso.test","pool.contoso.test"]' 
assert_check "$W" "$H" 5061/tcp pass open 'client certificate requested'
assert_check "$W" "$H" 5062/tcp fail closed 'connection refused \(RST\)'
assert_check "$W" "$H" 5063/tcp fail filtered '.'
assert_check "$W" "$H" 5064/tcp fail unreachable 'EHOSTUNREACH'
assert_check "$W" "$H" 5065/tcp fail closed 'connection refused \(RST\)'
assert_check "$W" "$H" 5066/tcp pass open 'TCP connection accepted'
assert_check "$W" "$H" 9996/udp pass open '.'
# the port unreachable reaches the Windows build (WSAECONNRESET; under Wine, SO_ERROR):
# closed, as on Linux, without the sender; an administratively prohibited is unreachable
assert_check "$W" "$H" 9998/udp fail closed 'port unreachable \(ICMP 3/3; the system does not say who sent it\)'
assert_json "$W" '.hosts[0].checks[port=9998].evidence.icmp.from' null
assert_check "$W" "$H" 9997/udp fail unreachable 'EHOSTUNREACH'
assert_check "$W" "$H" 9999/udp warn 'open|filtered' '.'
assert_json "$NS_TMP/range-windows.json" '.hosts[0].checks[port=null].range.filtered_ports' \
  '["60005-60005"]'
assert_json "$NS_TMP/range-windows.json" '.hosts[0].checks[port=null].range.open' 3

# --- no packet capture: the report says so, as an unprivileged Linux scan's does -----------
assert_json "$W" .evidence_capture.available false
assert_json "$W" .evidence_capture.file null
assert_json "$W" .evidence_capture.reason \
  "evidence capture is unavailable: the Windows build of ucscan has no packet capture (Npcap is not available)"

# --- refused up front: exit 2, a clear message, nothing sent -------------------------------
refused() { # WHAT TEXT ARGS...
  local what=$1 text=$2 rc=0
  shift 2
  wine_exe "$WP" scan --target "$H" --ports tcp:5066 --no-progress "$@" >/dev/null \
    2>"$NS_TMP/refused.err" || rc=$?
  assert_eq 2 "$rc" "exit status: $what"
  assert_contains "$text" "$(cat "$NS_TMP/refused.err")" "$what"
}
refused "--capture" "--capture x.pcap: evidence capture is unavailable: the Windows build of \
ucscan has no packet capture (Npcap is not available); nothing scanned" --capture x.pcap
refused "--tcp-method syn" "--tcp-method syn: raw SYNs are unavailable on Windows (they need a \
packet capture, and Npcap is not available to this build): use --tcp-method connect (or auto); \
nothing scanned" --tcp-method syn
# a device name is Windows' /dev/null: refused before the scan, in Linux's words
for dev in NUL nul.json 'sub\COM1' CON lpt9.txt; do
  refused "--out $dev" "$dev: is not a regular file (a device, FIFO or socket): the report is \
written to a temporary file and renamed over its target" --out "$dev"
done
refused "--user" "switching users is not available on Windows" --user nobody --out u.json
[[ ! -e x.pcap && ! -e u.json ]] || fail "a refused scan left files behind"

# --- --out and --prom replace existing files in one step (MoveFileEx); two existing files
# are two files (Windows' stat() gives every file inode 0), one named twice is refused -------
printf 'old report\n' >replace.json
printf 'old metrics\n' >replace.prom
rc=0
wine_exe "$WP" scan --target "$H" --ports tcp:5066 --no-progress --out replace.json \
  --prom replace.prom >/dev/null 2>"$NS_TMP/replace.err" || rc=$?
assert_eq 0 "$rc" "exit status of a clean scan: $(cat "$NS_TMP/replace.err")"
assert_json "$NS_TMP/replace.json" .complete true
assert_contains "ucscan_scan_info" "$(cat replace.prom)"
refused "--out and --prom alike" "--out and --prom name the same file" --out replace.json \
  --prom ./replace.json
assert_json "$NS_TMP/replace.json" '.hosts[0].checks[0].verdict' pass
[[ -z $(find "$NS_TMP" -maxdepth 1 -name '.replace.json.tmp-*') ]] || fail "a temporary file was left"

# --- Ctrl-C: the scan stops, the partial report is written, exit 3 --------------------------
ns_drop_tcp tgt 61000-61999
rm -f int.json
# (bash starts background jobs with SIGINT ignored; Wine turns SIGINT into a console Ctrl-C
# only where it is not)
env --default-signal=INT -u DISPLAY WINEDEBUG=-all WINEPREFIX="$WP" "$WINE" "$UCSCAN_EXE" \
  scan --target "$H" --ports tcp:5066,61000-61999 --timeout 3000 --retries 2 --rate 100 \
  --no-progress --out int.json >/dev/null 2>"$NS_TMP/int.err" &
pid=$!
sleep "$((6 * SLOW))" # Wine starts, the scan is under way (it needs 10 s and more)
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 3 "$rc" "exit status after Ctrl-C: $(cat "$NS_TMP/int.err")"
assert_contains "interrupted" "$(cat "$NS_TMP/int.err")"
assert_json "$NS_TMP/int.json" .complete false
echo "ok - ucscan.exe under Wine: same reports as Linux, no capture, refusals, --out, Ctrl-C"
