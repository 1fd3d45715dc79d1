#!/usr/bin/env bash
# e2e (issue 12, items 2 and 3): what an interrupted scan keeps, and what CI makes of it.
#   - `timeout 2 ucscan scan --target H --ports tcp:1-65535` (raw SYN probes, then connect()):
#     exit 3; the one range check is kept, "partial": true, range.probed between 1 and 65534,
#     the open ports it reached (100-109) listed, verdict warn, reason "interrupted: N of 65535
#     ports probed ..."; its JUnit (same run, --format junit) is an errored test case of the
#     same name, and the document fails a CI consumer (errors > 0)
#   - interrupted among single checks (tarpits that hold the TLS handshake): the finished checks
#     as they were; every other one under the host's "not_checked" (reason: stopped while
#     probing it) and summary.not_checked; in JUnit an errored case per unchecked check, named
#     as the check would be, and the suite's output lists them
#   - warnings: a scan whose only findings are warnings (a TLS port with an expired
#     certificate, an MTLS port that asks for no client certificate) exits 0 and its JUnit has
#     no failure, but the warnings are counted in the names the CI summaries show (testsuites
#     "ucscan e2e-warn (2 warnings)", testsuite "warn.contoso.test (2 warnings)") and listed in
#     each suite's "warnings" property and output; with --fail-on warn it exits 1 and each
#     warning is a <failure type="warn">
# Subnet 198.18.71.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1}

ns_init
H=198.18.71.2 W=198.18.71.3
ns_host px "$H/24" 198.18.71.1
ns_add_addr px "$W"
srv_tcp_listen px "$H" 100-109
PY=$(ns_python)

# What a CI consumer reads from a JUnit file: the totals, and the verdict junitparser's
# `verify` gives (fails when a case holds a <failure> or an <error>). Prints
# "tests=N failures=N errors=N verify=ok|fail".
JUNIT_SUMMARY='
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
cases = list(r.iter("testcase"))
bad = [c for c in cases if c.find("failure") is not None or c.find("error") is not None]
f = sum(1 for c in cases if c.find("failure") is not None)
e = sum(1 for c in cases if c.find("error") is not None)
assert int(r.get("tests")) == len(cases) and int(r.get("failures")) == f and int(r.get("errors")) == e
print("tests=%d failures=%d errors=%d verify=%s" % (len(cases), f, e, "fail" if bad else "ok"))
'
case_of() { # FILE NAME: the test case's result element as "TAG TYPE MESSAGE"
  "$PY" - "$1" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
for c in ET.parse(sys.argv[1]).getroot().iter("testcase"):
    if c.get("name") == sys.argv[2]:
        k = [x for x in c if x.tag in ("failure", "error", "skipped")]
        print("%s %s %s" % (k[0].tag, k[0].get("type"), k[0].get("message")) if k else "pass")
        sys.exit(0)
print("none")
EOF
}

# --- a full-range scan cut off by timeout(1) ---------------------------------------------------
for method in auto connect; do
  rc=0
  timeout --preserve-status $((2 * SLOW)) "$UCSCAN" scan --target "$H" --ports tcp:1-65535 --tcp-method "$method" \
    --no-progress --out "$NS_TMP/range.json" --format junit >"$NS_TMP/range.xml" 2>"$NS_TMP/stderr" || rc=$?
  R=$NS_TMP/range.json
  assert_eq 3 "$rc" "exit status ($method): $(cat "$NS_TMP/stderr")"
  assert_json "$R" .complete false
  assert_json "$R" '.hosts[0].checks|length' 1
  assert_json "$R" '.hosts[0].checks[0].partial' true
  assert_json "$R" '.hosts[0].checks[0].verdict' warn
  assert_json "$R" '.hosts[0].checks[0].range.open_ports' '["100-109"]'
  probed=$(json_get "$R" '.hosts[0].checks[0].range.probed')
  ((probed >= 110 && probed < 65535)) || fail "$method: range.probed $probed"
  assert_match "^interrupted: $probed of 65535 ports probed \\(10 open, $((probed - 10)) closed, 0 filtered, 0 without an answer\\), $((65535 - probed)) not probed; partly verified$" \
    "$(json_get "$R" '.hosts[0].checks[0].reason')"
  assert_json "$R" '.hosts[0].not_checked' '[]'
  assert_json "$R" .summary '{"checks":1,"fail":0,"hosts":1,"not_checked":0,"pass":0,"skip":0,"warn":1}'
  j=$("$PY" -c "$JUNIT_SUMMARY" "$NS_TMP/range.xml") || fail "JUnit of the partial range: $j"
  assert_eq "tests=1 failures=0 errors=1 verify=fail" "$j" "JUnit summary ($method)"
  assert_match "^error incomplete interrupted: $probed of 65535 ports probed" \
    "$(case_of "$NS_TMP/range.xml" "ad-hoc 1-65535/tcp tcp")"
  echo "timeout 2 on tcp:1-65535 ($method): $probed ports probed, kept as a partial check; JUnit: $j" >&2
done

# --- interrupted among single checks -------------------------------------------------------------
tarpits=() rows=()
for p in 100 101; do rows+=("$p/tcp/tcp"); done
for p in $(seq 7100 7109); do tarpits+=("tarpit@$H:$p") rows+=("$p/tcp/tls"); done
srv_peers px "${tarpits[@]}"
plog=$SRV_LOG
peers_catalog "$NS_TMP/site.json" slow "${rows[@]}"
printf '{"name": "e2e-partial", "hosts": [{"name": "slow.contoso.test", "address": "%s", "roles": ["slow"]}]}\n' \
  "$H" >"$NS_TMP/topo.json"
accepted() { (($(peers_count "$plog" accept) >= 10)); }
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" --timeout 30000 \
  --no-progress --out "$NS_TMP/single.json" --format junit >"$NS_TMP/single.xml" 2>"$NS_TMP/stderr" &
pid=$!
ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
ns_wait_until $((10 * SLOW)) accepted || fail "the tarpits were not reached"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
S=$NS_TMP/single.json
assert_eq 3 "$rc" "exit status (tarpits)"
assert_json "$S" '.hosts[0].checks|length' 2
assert_check "$S" slow.contoso.test 100/tcp pass open '^TCP connection accepted$'
assert_json "$S" '.hosts[0].not_checked|length' 10
assert_json "$S" '.hosts[0].not_checked[0]' \
  '{"interface":null,"port":7100,"protocol":"tls","range":null,"reason":"the scan stopped while probing it","requirements":[{"from":["servers","clients","internet","reverse-proxy","pstn"],"id":"lab-7100-tcp","interface":null,"optional":false,"role":"slow","service":"e2e tls"}],"transport":"tcp"}'
assert_json "$S" .summary.not_checked 10
j=$("$PY" -c "$JUNIT_SUMMARY" "$NS_TMP/single.xml") || fail "JUnit of the interrupted scan: $j"
assert_eq "tests=12 failures=0 errors=10 verify=fail" "$j" "JUnit summary (tarpits)"
assert_eq "error incomplete not checked: the scan stopped while probing it (the scan was interrupted)" \
  "$(case_of "$NS_TMP/single.xml" "slow 7105/tcp tls")"
out=$("$PY" - "$NS_TMP/single.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot().find("testsuite")
props = {p.get("name"): p.get("value") for p in s.find("properties")}
print(props["scan_complete"], props["not_checked"])
print(s.find("system-out").text)
EOF
)
assert_contains "false 10" "$out" "suite properties"
assert_contains "10 checks not checked (the scan was interrupted):" "$out" "suite output"
assert_contains "  not checked slow 7109/tcp tls" "$out" "suite output"
echo "interrupted among tarpits: 2 checks kept, 10 not checked; JUnit: $j" >&2

# --- warnings: visible by default, failures with --fail-on warn --------------------------------
mkcert "$NS_TMP/pki" old --san warn.contoso.test --expired
srv_peers px --cert "$MKCERT_CRT" --key "$MKCERT_KEY" "tls:tarpit@$W:443"
mkcert "$NS_TMP/pki" good --san warn.contoso.test --days 400
srv_peers px --cert "$MKCERT_CRT" --key "$MKCERT_KEY" "tls:tarpit@$W:5061" "tls:tarpit@$W:4443"
peers_catalog "$NS_TMP/warn.json" warnlab 443/tcp/tls 5061/tcp/mtls 4443/tcp/tls
printf '{"name": "e2e-warn", "hosts": [{"name": "warn.contoso.test", "address": "%s", "roles": ["warnlab"]}]}\n' \
  "$W" >"$NS_TMP/warn-topo.json"
WSCAN=(scan --topology "$NS_TMP/warn-topo.json" --catalog "$NS_TMP/warn.json" --no-progress)
if ((SLOW > 1)); then WSCAN+=(--timeout $((2000 * SLOW))); fi # valgrind: slow handshakes
rc=0
"$UCSCAN" "${WSCAN[@]}" --out "$NS_TMP/w.json" --format junit >"$NS_TMP/w.xml" 2>"$NS_TMP/stderr" || rc=$?
assert_eq 0 "$rc" "exit status of a scan with warnings only ($(cat "$NS_TMP/stderr"))"
assert_json "$NS_TMP/w.json" .summary '{"checks":3,"fail":0,"hosts":1,"pass":1,"skip":0,"warn":2}'
assert_check "$NS_TMP/w.json" warn.contoso.test 443/tcp warn open 'certificate expired'
assert_check "$NS_TMP/w.json" warn.contoso.test 5061/tcp warn open 'server did not request a client certificate'
j=$("$PY" -c "$JUNIT_SUMMARY" "$NS_TMP/w.xml") || fail "JUnit with warnings: $j"
assert_eq "tests=3 failures=0 errors=0 verify=ok" "$j" "JUnit summary (warnings, default)"
out=$("$PY" - "$NS_TMP/w.xml" <<'EOF'
import sys, xml.etree.ElementTree as ET
r = ET.parse(sys.argv[1]).getroot()
s = r.find("testsuite")
props = {p.get("name"): p.get("value") for p in s.find("properties")}
print("names: %s | %s" % (r.get("name"), s.get("name")))
print(props["warnings"], props["fail_on"])
print(s.find("system-out").text)
EOF
)
assert_contains "names: ucscan e2e-warn (2 warnings) | warn.contoso.test (2 warnings)" "$out" \
  "the names the CI summaries show"
assert_contains "2 fail" "$out" "suite properties (warnings, fail_on)"
assert_contains "2 warnings:" "$out" "suite output"
assert_match "  warn warnlab 443/tcp tls: .*certificate expired" "$out" "suite output"
assert_match "  warn warnlab 5061/tcp mtls: .*did not request a client certificate" "$out" "suite output"
rc=0
"$UCSCAN" "${WSCAN[@]}" --fail-on warn --out "$NS_TMP/w2.json" --format junit >"$NS_TMP/w2.xml" \
  2>"$NS_TMP/stderr" || rc=$?
assert_eq 1 "$rc" "exit status with --fail-on warn"
j=$("$PY" -c "$JUNIT_SUMMARY" "$NS_TMP/w2.xml") || fail "strict JUnit: $j"
assert_eq "tests=3 failures=2 errors=0 verify=fail" "$j" "JUnit summary (--fail-on warn)"
assert_eq "ucscan e2e-warn (2 warnings)" \
  "$("$PY" -c 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().get("name"))' "$NS_TMP/w2.xml")" \
  "testsuites name with --fail-on warn"
assert_match "^failure warn warn: .*certificate expired" "$(case_of "$NS_TMP/w2.xml" "warnlab 443/tcp tls")"
assert_eq pass "$(case_of "$NS_TMP/w2.xml" "warnlab 4443/tcp tls")" "the passing check with --fail-on warn"
assert_exit 2 "$UCSCAN" "${WSCAN[@]}" --fail-on warning
echo "warnings: exit 0 and visible by default; --fail-on warn: exit 1, $j" >&2
echo "ok"
