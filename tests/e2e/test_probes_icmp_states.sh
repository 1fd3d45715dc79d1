#!/usr/bin/env bash
# e2e (issue 11): one network, one state, whatever the probing method. A router rejects some
# ports with ICMP "administratively prohibited" (3/13) and others with "host unreachable"
# (3/1); the host itself refuses one port (RST) and drops one. Scanned four ways: as root
# (packet capture, raw SYNs for the range), as root with --tcp-method syn (raw SYNs for the
# single ports too), as root with --no-evidence --tcp-method connect, and as user nobody (no
# capture at all). Every way says filtered for the firewall's refusal and unreachable for the
# missing route, with the same ICMP evidence, and `ucscan diff` between the root (or the
# all-SYN) and the unprivileged report finds nothing. Round trips come from the kernel
# (evidence.rtt_source "kernel") wherever it measured them.
# Subnet 198.18.67.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
ns_router_host rt fe 198.18.67
H=$(ns_addr fe)
R=$(ns_addr rt)
srv_tcp_listen fe "$H" 5061
ns_reject_tcp rt 5065,60003
ns_reject_tcp rt 5068 "icmpx host-unreachable"
ns_reject_udp rt 9997
ns_drop_tcp fe 5069

pub=$(mktemp -d /tmp/ucscan-e2e-pub.XXXXXX)
ns_defer "rm -rf '$pub'"
chmod 1777 "$pub"
as_nobody() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
as_nobody "$UCSCAN" --version >/dev/null ||
  fail "user nobody cannot run $UCSCAN (every directory above it must be searchable)"

ports=tcp:5061,5065,5068,5069,5070,60000-60004,udp:9997
T=$((800 * ${UC_E2E_SLOW:-1}))
scan() { # scan NAME AS [OPTIONS...]: a scan run as root or nobody, report in $pub/NAME.json
  local name=$1 as=$2 rc=0 run=()
  shift 2
  [[ $as == nobody ]] && run=(as_nobody)
  "${run[@]}" "$UCSCAN" scan --target "$H" --ports "$ports" --timeout "$T" --retries 1 \
    --no-progress --out "$pub/$name.json" "$@" >/dev/null 2>"$NS_TMP/$name.err" || rc=$?
  assert_eq 1 "$rc" "exit status ($name)"
}
scan root root
scan syn root --tcp-method syn
scan connect root --no-evidence --tcp-method connect
scan nobody nobody
assert_json "$pub/root.json" .evidence_capture.available true
assert_json "$pub/nobody.json" .evidence_capture.available false

c='.hosts[0].checks'
for name in root syn connect nobody; do
  out=$pub/$name.json
  assert_json "$out" "${c}[port=5065].state" filtered
  assert_json "$out" "${c}[port=5065].reason" \
    "administratively prohibited (ICMP 3/13) from $R (a router on the path)"
  assert_json "$out" "${c}[port=5065].evidence.icmp" \
    "{\"code\":13,\"from\":\"$R\",\"meaning\":\"administratively prohibited\",\"type\":3}"
  assert_json "$out" "${c}[port=5068].state" unreachable
  assert_json "$out" "${c}[port=5068].reason" "host unreachable (ICMP 3/1) from $R (a router on the path)"
  assert_json "$out" "${c}[port=5069].state" filtered
  assert_json "$out" "${c}[port=5070].state" closed
  assert_json "$out" "${c}[port=5061].state" open
  assert_json "$out" "${c}[port=9997].state" filtered
  assert_json "$out" "${c}[port=null].range.filtered_ports" '["60003-60003"]'
  assert_match '^1 of 5 ports filtered; 0 open, 4 closed; first ICMP error: administratively prohibited \(ICMP 3/13\)' \
    "$(json_get "$out" "${c}[port=null].reason")" "range reason ($name)"
done
for name in root syn connect nobody; do
  out=$pub/$name.json
  # round trips: the kernel's for an accepted port and for ICMP errors
  assert_json "$out" "${c}[port=5061].evidence.rtt_source" kernel
  assert_json "$out" "${c}[port=5065].evidence.rtt_source" kernel
  assert_json "$out" "${c}[port=9997].evidence.rtt_source" kernel
done
# a RST is timed by the capture when there is one; without it, by the event loop (said so)
assert_json "$pub/root.json" "${c}[port=5070].evidence.rtt_source" kernel
assert_json "$pub/nobody.json" "${c}[port=5070].evidence.rtt_source" loop
assert_json "$pub/syn.json" "${c}[port=5070].evidence.rtt_source" kernel

# --tcp-method syn: the single ports were raw SYNs (said in their evidence and reasons), and
# only there: the default connects to single ports (the listener sees them); a SYN's
# attempts are retried as a connect's (--retries 1: two for the dropped port)
for port in 5061 5065 5068 5069 5070; do
  assert_json "$pub/syn.json" "${c}[port=$port].evidence.tcp_method" syn
  ev=$(json_get "$pub/root.json" "${c}[port=$port].evidence")
  [[ $ev != *tcp_method* ]] || fail "root.json: port $port says tcp_method without --tcp-method syn: $ev"
done
assert_match '^SYN answered with SYN-ACK' "$(json_get "$pub/syn.json" "${c}[port=5061].reason")" \
  "open port's reason (syn)"
assert_json "$pub/root.json" "${c}[port=5061].reason" "TCP connection accepted"
assert_json "$pub/syn.json" "${c}[port=5070].reason" "connection refused (RST)"
for port in 5061 5070; do # the TTL of the SYN-ACK and the RST, as the connect saw it
  assert_json "$pub/syn.json" "${c}[port=$port].evidence.ttl" \
    "$(json_get "$pub/root.json" "${c}[port=$port].evidence.ttl")"
done
assert_json "$pub/syn.json" "${c}[port=5069].attempts" 2
assert_match '^no answer to 2 SYN probes \(last waited [0-9]+ ms\)$' \
  "$(json_get "$pub/syn.json" "${c}[port=5069].reason")" "dropped port's reason (syn)"
assert_json "$pub/syn.json" "${c}[port=5069].rtt_ms" null

# a single port inside a range (two catalog rows): one SYN for both, and both have its answer
cat >"$NS_TMP/shared-catalog.json" <<'JSON'
{"schema": "ucscan-catalog/1", "mode": "extend",
 "roles": [{"id": "e2e-shared", "name": "e2e shared", "description": "a port inside a range"}],
 "tables": [{"id": "e2e-shared", "title": "e2e", "title_en": "e2e", "rows": [
  {"id": "lab-range", "products": ["sfb2015"], "roles": ["e2e-shared"], "seed_role": "e2e",
   "service": "e2e range", "ports": "60000-60004", "transport": ["tcp"], "protocol": "tcp",
   "seed_protocol": "tcp", "direction": "inbound", "peer": "Any", "optional": false,
   "probe": true, "note": "", "source": {"file": "e2e", "table": "e2e-shared", "row": 1}},
  {"id": "lab-60003", "products": ["sfb2015"], "roles": ["e2e-shared"], "seed_role": "e2e",
   "service": "e2e single", "port": 60003, "transport": ["tcp"], "protocol": "tcp",
   "seed_protocol": "tcp", "direction": "inbound", "peer": "Any", "optional": false,
   "probe": true, "note": "", "source": {"file": "e2e", "table": "e2e-shared", "row": 2}},
  {"id": "lab-60004", "products": ["sfb2015"], "roles": ["e2e-shared"], "seed_role": "e2e",
   "service": "e2e single", "port": 60004, "transport": ["tcp"], "protocol": "tcp",
   "seed_protocol": "tcp", "direction": "inbound", "peer": "Any", "optional": false,
   "probe": true, "note": "", "source": {"file": "e2e", "table": "e2e-shared", "row": 3}}]}]}
JSON
printf '{"name": "shared", "product": "sfb2015", "hosts": [{"name": "fe.contoso.test", "address": "%s", "roles": ["e2e-shared"]}]}\n' \
  "$H" >"$NS_TMP/shared.json"
rc=0
"$UCSCAN" scan --topology "$NS_TMP/shared.json" --catalog "$NS_TMP/shared-catalog.json" \
  --tcp-method syn --timeout "$T" --retries 1 --no-progress --out "$pub/shared.json" \
  >/dev/null 2>"$NS_TMP/shared.err" || rc=$?
assert_eq 1 "$rc" "exit status (single ports inside a range): $(cat "$NS_TMP/shared.err")"
assert_json "$pub/shared.json" .complete true
assert_json "$pub/shared.json" "${c}[port=60003].state" filtered
assert_json "$pub/shared.json" "${c}[port=60003].evidence.icmp.code" 13
assert_json "$pub/shared.json" "${c}[port=60003].evidence.tcp_method" syn
assert_json "$pub/shared.json" "${c}[port=60004].state" closed
assert_json "$pub/shared.json" "${c}[port=null].range.probed" 5
assert_json "$pub/shared.json" "${c}[port=null].range.filtered_ports" '["60003-60003"]'
assert_eq 5 "$(json_get "$pub/shared.json" .evidence_capture.packets)" \
  "answers captured: one a port (one SYN), however many checks share it"

for name in root syn; do
  rc=0
  "$UCSCAN" diff --format json "$pub/$name.json" "$pub/nobody.json" >"$NS_TMP/diff.json" || rc=$?
  assert_eq 0 "$rc" "diff exit status ($name)"
  assert_json "$NS_TMP/diff.json" .regressed false
  assert_json "$NS_TMP/diff.json" '.changes|length' 0
done
echo "ok"
