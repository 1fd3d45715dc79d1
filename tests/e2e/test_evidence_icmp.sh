#!/usr/bin/env bash
# e2e: ICMP attribution and TTL evidence through a router. The scanner (root namespace)
# reaches the host 198.18.11.130 through the router 198.18.11.2 (forwarding on). The router
# rejects some ports (its ICMP errors come from 198.18.11.2), the host rejects others (from
# 198.18.11.130), the router answers one port with a TCP reset (TTL 64 where the host's
# answers, one hop further, arrive with 63). Each check must name the right sender, code and
# state; with both TCP methods (connect for everything; auto: raw SYN probes for the range).
# Subnet 198.18.11.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
ns_router_host rt fe 198.18.11
H=$(ns_addr fe)  # 198.18.11.130
R=$(ns_addr rt)  # 198.18.11.2
srv_tcp_listen fe "$H" 5061 5062
# on the router (forward chain, packets from the scanner's side)
ns_reject_tcp rt 5065,60005                    # icmpx admin-prohibited: ICMP 3/13
ns_reject_tcp rt 5068 icmpx host-unreachable   # ICMP 3/1
ns_reject_tcp rt 5069 tcp reset                # a RST from the router, not the host
ns_drop_tcp rt 5064
ns_reject_tcp rt 40000-49999                   # a whole range, for the stress test below
ns_reject_udp rt 9997                          # ICMP 3/13
# on the host (input chain)
ns_reject_tcp fe 5066                          # ICMP 3/13 from the host itself
ns_reject_tcp fe 5067 icmp host-prohibited     # ICMP 3/10
ns_reject_udp fe 9996                          # ICMP 3/13 from the host itself
# 5070 and 60000-60009 but 60005: closed (RST from the host); udp 9999: port unreachable

ports=tcp:5061,5062,5064,5065,5066,5067,5068,5069,5070,60000-60009,udp:9996,9997,9999
for method in connect auto; do
  out=$NS_TMP/$method.json
  rc=0
  "$UCSCAN" scan --target "$H" --ports "$ports" --tcp-method "$method" --fast --timeout 500 \
    --retries 1 --no-progress --out "$out" >/dev/null || rc=$?
  assert_eq 1 "$rc" "exit status ($method)"
  assert_json "$out" .complete true
  assert_json "$out" .evidence_capture.available true
  assert_json "$out" .evidence_capture.file null
  c='.hosts[0].checks'

  # rejected by the router: admin prohibited, from the router
  assert_json "$out" "${c}[port=5065].state" filtered
  assert_json "$out" "${c}[port=5065].evidence.icmp" "{\"code\":13,\"from\":\"$R\",\"meaning\":\"administratively prohibited\",\"type\":3}"
  assert_json "$out" "${c}[port=5065].reason" "administratively prohibited (ICMP 3/13) from $R (a router on the path)"
  assert_json "$out" "${c}[port=5065].attempts" 1
  # rejected by the host: the same message, from the target itself
  assert_json "$out" "${c}[port=5066].state" filtered
  assert_json "$out" "${c}[port=5066].evidence.icmp.from" "$H"
  assert_json "$out" "${c}[port=5066].evidence.icmp.code" 13
  assert_json "$out" "${c}[port=5066].reason" "administratively prohibited (ICMP 3/13) from $H (the target itself)"
  # other codes: host prohibited (3/10) by the host, host unreachable (3/1) by the router
  assert_json "$out" "${c}[port=5067].state" filtered
  assert_json "$out" "${c}[port=5067].evidence.icmp.code" 10
  assert_json "$out" "${c}[port=5067].evidence.icmp.meaning" "host administratively prohibited"
  assert_json "$out" "${c}[port=5067].evidence.icmp.from" "$H"
  assert_json "$out" "${c}[port=5068].state" unreachable
  assert_json "$out" "${c}[port=5068].evidence.icmp.code" 1
  assert_json "$out" "${c}[port=5068].evidence.icmp.from" "$R"
  assert_json "$out" "${c}[port=5068].reason" "host unreachable (ICMP 3/1) from $R (a router on the path)"
  # silently dropped: no ICMP to name
  assert_json "$out" "${c}[port=5064].state" filtered
  assert_json "$out" "${c}[port=5064].evidence" '{}'
  assert_json "$out" "${c}[port=5064].attempts" 2

  # TTLs: the host's answers come through the router (63); the router's RST does not (64)
  assert_json "$out" "${c}[port=5061].state" open
  assert_json "$out" "${c}[port=5061].evidence.ttl" 63
  assert_json "$out" "${c}[port=5070].state" closed
  assert_json "$out" "${c}[port=5070].evidence.ttl" 63
  assert_json "$out" "${c}[port=5070].reason" "connection refused (RST)"
  assert_json "$out" "${c}[port=5069].state" closed
  assert_json "$out" "${c}[port=5069].evidence.ttl" 64
  assert_json "$out" "${c}[port=5069].reason" "connection refused (RST with TTL 64, while the host's other answers have TTL 63: likely sent by a middlebox)"

  # UDP (socket error queue): the router's and the host's rejects, and a closed port
  assert_json "$out" "${c}[port=9997].state" filtered
  assert_json "$out" "${c}[port=9997].evidence.icmp.from" "$R"
  assert_contains "(a router on the path)" "$(json_get "$out" "${c}[port=9997].reason")"
  assert_json "$out" "${c}[port=9996].state" filtered
  assert_json "$out" "${c}[port=9996].evidence.icmp.from" "$H"
  assert_contains "(the target itself)" "$(json_get "$out" "${c}[port=9996].reason")"
  assert_json "$out" "${c}[port=9999].state" closed
  assert_json "$out" "${c}[port=9999].evidence.icmp.code" 3

  # the range: one port rejected by the router, named in the range's evidence and reason
  r="${c}[port=null]"
  assert_json "$out" "$r.range.probed" 10
  assert_json "$out" "$r.range.closed" 9
  assert_json "$out" "$r.range.filtered_ports" '["60005-60005"]'
  assert_json "$out" "$r.verdict" fail
  assert_json "$out" "$r.evidence.icmp" "{\"code\":13,\"from\":\"$R\",\"meaning\":\"administratively prohibited\",\"port\":60005,\"type\":3}"
  assert_json "$out" "$r.reason" "1 of 10 ports filtered; 0 open, 9 closed; first ICMP error: administratively prohibited (ICMP 3/13) from $R (a router on the path), port 60005"
done

# --- 10,000 rejected ports by connect() at full speed: every ICMP error is matched ---------
# (thousands of answers arrive in one drain, before their sockets' callbacks run; a port
# whose ICMP was not found would fall back to "unreachable (EHOSTUNREACH)")
out=$NS_TMP/stress.json
rc=0
"$UCSCAN" scan --target "$H" --ports tcp:40000-49999 --tcp-method connect --fast --no-progress \
  --out "$out" >/dev/null || rc=$?
assert_eq 1 "$rc" "exit status (stress)"
r='.hosts[0].checks[0]'
assert_json "$out" "$r.range.filtered" 10000
assert_match "^10000 of 10000 ports filtered; 0 open, 0 closed; first ICMP error: administratively prohibited \(ICMP 3/13\) from ${R//./\\.} \(a router on the path\), port 4[0-9]{4}$" \
  "$(json_get "$out" "$r.reason")"
assert_json "$out" .evidence_capture.dropped 0

# --- without the capture (--no-evidence): the socket's error queue says the same -----------
# (issue 11: one network, one state, whatever the method; the RST has no ICMP to tell)
out=$NS_TMP/none.json
rc=0
"$UCSCAN" scan --target "$H" --ports tcp:5065,5066,5069,5070 --no-evidence --fast --timeout 500 \
  --no-progress --out "$out" >/dev/null || rc=$?
assert_eq 1 "$rc" "exit status (--no-evidence)"
assert_json "$out" .evidence_capture.available false
assert_json "$out" .evidence_capture.reason "evidence capture turned off"
c='.hosts[0].checks'
assert_json "$out" "${c}[port=5065].state" filtered
assert_json "$out" "${c}[port=5065].reason" "administratively prohibited (ICMP 3/13) from $R (a router on the path)"
assert_json "$out" "${c}[port=5065].evidence.icmp.from" "$R"
assert_json "$out" "${c}[port=5069].reason" "connection refused (RST)"
assert_json "$out" "${c}[port=5069].evidence" '{"rtt_source":"loop"}'
echo "ok"
