#!/usr/bin/env bash
# e2e (issue 12, item 4): two scans of the same healthy Edge diff clean.
#   - an Edge with every inbound port of its role answering (TLS 443 and 4443, MTLS 5061, 5062,
#     8057 and 23456, TCP 50001-50003, XMPP 5269, coturn STUN on 3478/udp) is scanned twice with the default profile
#   - the STUN mapped address carries each scan's random source port: the two reports' evidence
#     differs there (the test's premise), the reason names the IP only (no port)
#   - `ucscan diff` of the two: exit 0, no entry at all, every check unchanged; its table says
#     "no changes"; round trips and times differ and are not changes either
#   - the mapped address moving to another IP (the NAT in front of the scanner changed) is
#     still a change
# Subnet 198.18.72.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
E=198.18.72.2
ns_host edge "$E/24" 198.18.72.1
mkcert "$NS_TMP/pki" edge01 --san edge01.contoso.test,sip.contoso.test --days 400
srv_tls edge "$E" 443 "$MKCERT_CRT" "$MKCERT_KEY"
srv_tls edge "$E" 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
srv_tls edge "$E" 23456 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
# the internal interface's ports the Front End needs (the SfB Edge page: 4443 CMS replication,
# 5062 SIP/MTLS authentication, 8057 PSOM/MTLS web conferencing, 50001-50003 A/V authentication)
srv_tls edge "$E" 4443 "$MKCERT_CRT" "$MKCERT_KEY"
srv_tls edge "$E" 5062 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
srv_tls edge "$E" 8057 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
srv_tcp_listen edge "$E" 50001-50003
srv_peers edge "xmpp@$E:5269"
srv_turnserver edge "$E" 3478
cat >"$NS_TMP/topo.json" <<JSON
{"name": "e2e-diff-rerun", "product": "sfb2015", "hosts": [
  {"name": "edge01.contoso.test", "address": "$E", "roles": ["edge"], "pool": "sip.contoso.test"}]}
JSON

extra=()
if ((${UC_E2E_SLOW:-1} > 1)); then extra=(--timeout $((2000 * UC_E2E_SLOW))); fi # valgrind
scan() { # OUT
  local rc=0
  "$UCSCAN" scan --topology "$NS_TMP/topo.json" --no-progress "${extra[@]+"${extra[@]}"}" \
    --out "$1" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
  assert_eq 0 "$rc" "exit status of a scan of the healthy Edge ($(cat "$NS_TMP/stderr"))"
  assert_json "$1" .summary '{"checks":18,"fail":0,"hosts":1,"pass":11,"skip":7,"warn":0}'
}
A=$NS_TMP/a.json B=$NS_TMP/b.json
scan "$A"
scan "$B"
stun='.hosts[0].checks[port=3478]'
ma=$(json_get "$A" "$stun.evidence.stun.mapped_address")
mb=$(json_get "$B" "$stun.evidence.stun.mapped_address")
if [[ $ma == "$mb" ]]; then # the same random port twice (1 in ~28,000): once more
  scan "$B"
  mb=$(json_get "$B" "$stun.evidence.stun.mapped_address")
fi
assert_match '^198\.18\.72\.1:[0-9]+$' "$ma"
assert_match '^198\.18\.72\.1:[0-9]+$' "$mb"
assert_ne "$ma" "$mb" "mapped addresses of the two scans (premise: a new source port each run)"
assert_check "$B" edge01.contoso.test 3478/udp pass open '^STUN Binding answered; mapped address 198\.18\.72\.1$'

rc=0
"$UCSCAN" diff "$A" "$B" --format json >"$NS_TMP/diff.json" 2>"$NS_TMP/stderr" || rc=$?
assert_eq 0 "$rc" "diff exit status ($(cat "$NS_TMP/stderr"))"
assert_json "$NS_TMP/diff.json" '.changes|length' 0
assert_json "$NS_TMP/diff.json" .summary \
  '{"changed":0,"degraded":0,"improved":0,"new":0,"recovered":0,"regression":0,"unchanged":18,"vanished":0}'
assert_json "$NS_TMP/diff.json" .regressed false
rc=0
"$UCSCAN" diff "$A" "$B" >"$NS_TMP/diff.txt" 2>&1 || rc=$?
assert_eq 0 "$rc" "diff (table) exit status"
assert_contains "no changes: 0 regressions" "$(cat "$NS_TMP/diff.txt")"
assert_contains "no regression" "$(cat "$NS_TMP/diff.txt")"
echo "two scans of a healthy Edge (mapped $ma, then $mb): diff clean" >&2

# the IP behind the mapped address changed: that is news
"$(ns_python)" - "$B" "$NS_TMP/moved.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for c in r["hosts"][0]["checks"]:
    if c["port"] == 3478:
        c["evidence"]["stun"]["mapped_address"] = "203.0.113.9:" + c["evidence"]["stun"]["mapped_address"].rsplit(":", 1)[1]
json.dump(r, open(sys.argv[2], "w"))
PY
rc=0
"$UCSCAN" diff "$A" "$NS_TMP/moved.json" --format json >"$NS_TMP/diff2.json" 2>/dev/null || rc=$?
assert_eq 0 "$rc" "diff exit status (mapped IP moved: a change, not a regression)"
assert_json "$NS_TMP/diff2.json" '.changes|length' 1
assert_json "$NS_TMP/diff2.json" '.changes[0].check' 3478/udp
assert_json "$NS_TMP/diff2.json" '.changes[0].changes[0].what' stun_mapped_address
echo "ok"
