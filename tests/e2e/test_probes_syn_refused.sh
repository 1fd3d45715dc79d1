#!/usr/bin/env bash
# e2e: --tcp-method syn when the raw socket cannot send. The scanner's own firewall refuses
# its raw SYNs (44-byte IPv4 SYNs: the kernel's own SYNs carry more options and pass), so
# sendmmsg fails with EPERM and the batch of 64 never leaves. Every probe the SYN prober took
# must then go by connect() instead, once: the single checks (whose first SYN waited in the
# stuck batch until its deadline), the ports of a range (a dropped one retried by connect, not
# taken for decided), and a single check on a port inside that range (its SYN carried the
# range's port too: when the check leaves the prober, the range's port is queued again). The
# report is complete and says what a connect scan says.
# Everything runs in namespaces (the root namespace's firewall is never touched).
# Subnet 198.18.68.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
ns_island scan
ns_island site
ns_link scan eth0 198.18.68.1/24 site eth0 198.18.68.2/24
H=198.18.68.2
srv_tcp_listen site "$H" 5061 60003
ns_drop_tcp site 5069,60090
ns_nft scan 'table inet uc_raw {
  chain out {
    type filter hook output priority 0; policy accept;
    ip length 44 tcp flags & (syn | ack) == syn counter drop
  }
}'

row() { # ID PORT-OR-RANGE: one inbound plain TCP row of role e2e-raw
  local key=port val=$2
  [[ $2 == *-* ]] && key=ports val=\"$2\"
  printf '{"id": "lab-%s", "products": ["sfb2015"], "roles": ["e2e-raw"], "seed_role": "e2e",
   "service": "e2e", "%s": %s, "transport": ["tcp"], "protocol": "tcp", "seed_protocol": "tcp",
   "direction": "inbound", "peer": "Any", "optional": false, "probe": true, "note": "",
   "source": {"file": "e2e", "table": "e2e-raw", "row": %d}}' "$1" "$key" "$val" "$3"
}
{
  printf '{"schema": "ucscan-catalog/1", "mode": "extend",\n'
  printf ' "roles": [{"id": "e2e-raw", "name": "e2e raw", "description": "plain TCP rows"}],\n'
  printf ' "tables": [{"id": "e2e-raw", "title": "e2e", "title_en": "e2e", "rows": [\n'
  printf '%s,\n%s,\n%s,\n%s,\n%s\n' "$(row range 60000-60099 1)" "$(row 60003 60003 2)" \
    "$(row 5061 5061 3)" "$(row 5069 5069 4)" "$(row 5070 5070 5)"
  printf ' ]}]}\n'
} >"$NS_TMP/catalog.json"
printf '{"name": "raw", "product": "sfb2015", "hosts": [{"name": "fe.contoso.test", "address": "%s", "roles": ["e2e-raw"]}]}\n' \
  "$H" >"$NS_TMP/topology.json"

T=$((800 * ${UC_E2E_SLOW:-1}))
out=$NS_TMP/report.json
rc=0
ns_exec scan "$UCSCAN" scan --topology "$NS_TMP/topology.json" --catalog "$NS_TMP/catalog.json" \
  --tcp-method syn --timeout "$T" --retries 1 --no-progress --out "$out" \
  >/dev/null 2>"$NS_TMP/scan.err" || rc=$?
assert_eq 1 "$rc" "exit status (5069 is dropped): $(cat "$NS_TMP/scan.err")"

refused=$(ns_exec scan nft list table inet uc_raw | sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
((refused > 0)) || fail "the scanner's firewall refused no raw SYN: the test proves nothing"

c='.hosts[0].checks'
assert_json "$out" .complete true
assert_json "$out" .evidence_capture.available true
assert_json "$out" "${c}[port=5061].state" open
assert_json "$out" "${c}[port=5061].reason" "TCP connection accepted"
assert_json "$out" "${c}[port=60003].state" open
assert_json "$out" "${c}[port=60003].reason" "TCP connection accepted"
assert_json "$out" "${c}[port=5070].state" closed
assert_json "$out" "${c}[port=5069].state" filtered
for port in 5061 5069 5070 60003; do # connected in the end: no word of a SYN
  ev=$(json_get "$out" "${c}[port=$port].evidence" 2>/dev/null || echo '{}')
  [[ $ev != *tcp_method* ]] || fail "port $port says tcp_method syn, yet no SYN could leave: $ev"
done
# the range: every port probed once and counted once (a port lost between the prober and the
# connect would leave it short; one counted twice, over 100), the dropped one too (60090:
# past the first 64, so its first probe is a connect at once, whose silence is retried by
# connect, not taken for decided)
assert_json "$out" "${c}[port=null].range.probed" 100
assert_json "$out" "${c}[port=null].range.open" 1
assert_json "$out" "${c}[port=null].range.closed" 98
assert_json "$out" "${c}[port=null].range.filtered_ports" '["60090-60090"]'
assert_json "$out" "${c}[port=null].verdict" fail
echo "ok"
