#!/usr/bin/env bash
# e2e: --capture FILE.pcap. A small scan through a router whose every packet is known in
# advance; tcpdump (and tshark when installed) must read the file and find exactly those
# packets, and the report must name the file and count the same. Then an interrupted scan:
# SIGINT mid-scan, exit 3, and a complete, readable capture file. Subnet 198.18.12.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
command -v tcpdump >/dev/null || fail "tcpdump is needed to read the capture files"

ns_init
ns_router_host rt fe 198.18.12
H=$(ns_addr fe)
srv_tcp_listen fe "$H" 5061
ns_reject_tcp rt 5065
ns_reject_tcp rt 5069 tcp reset
ns_reject_udp rt 9997
ns_reject_tcp fe 5066
ns_drop_tcp rt 20000-29999

# count FILE [FILTER]: packets tcpdump reads from FILE (fails the test on a read error).
count() {
  local n err=$NS_TMP/tcpdump.err
  n=$(tcpdump -nn -r "$1" "${@:2}" 2>"$err" | wc -l)
  grep -qiE "truncated|error|invalid" "$err" && fail "tcpdump -r $1: $(cat "$err")"
  echo "$n"
}

# --- every packet of a deterministic scan -------------------------------------------------
# What the scan must send and receive, port by port (no drops, so no retries; every answer
# is final on the first attempt):
#   tcp 5061 open (plain TCP)      SYN, SYN-ACK, ACK, and our RST (ucscan closes with RST)  4
#   tcp 5065 router rejects        SYN, ICMP 3/13 from the router                            2
#   tcp 5066 host rejects          SYN, ICMP 3/13 from the host                              2
#   tcp 5069 router resets         SYN, RST from the router                                  2
#   tcp 5070 closed                SYN, RST                                                  2
#   tcp 60000-60004 closed range   SYN, RST each (raw SYN or connect alike)                  10
#   udp 9997 router rejects        datagram, ICMP 3/13                                       2
#   udp 9999 closed                datagram, ICMP 3/3                                        2
# = 26 packets: 10 SYNs, 1 SYN-ACK, 1 ACK, 8 RSTs (7 answers + ours), 2 datagrams, 4 ICMP;
# 14 sent by us (SYNs, ACK, our RST, datagrams), 12 received.
ports=tcp:5061,5065,5066,5069,5070,60000-60004,udp:9997,9999
for method in connect auto; do
  pcap=$NS_TMP/scan-$method.pcap
  out=$NS_TMP/scan-$method.json
  rc=0
  # (the deadline scaled on slow runs: an attempt that expires is retried, and the packets
  # counted below are those of one attempt a port)
  "$UCSCAN" scan --target "$H" --ports "$ports" --tcp-method "$method" --fast \
    --timeout $((800 * ${UC_E2E_SLOW:-1})) \
    --no-progress --capture "$pcap" --out "$out" >/dev/null || rc=$?
  assert_eq 1 "$rc" "exit status ($method)"
  assert_json "$out" .complete true
  assert_json "$out" .evidence_capture.available true
  assert_json "$out" .evidence_capture.file "$pcap"
  assert_json "$out" .evidence_capture.packets 26
  assert_json "$out" .evidence_capture.dropped 0
  assert_eq 26 "$(count "$pcap")" "packets in the capture file ($method)"
  assert_eq 10 "$(count "$pcap" 'tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn')" "SYNs ($method)"
  assert_eq 1 "$(count "$pcap" 'tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)')" "SYN-ACKs ($method)"
  assert_eq 8 "$(count "$pcap" 'tcp[tcpflags] & tcp-rst != 0')" "RSTs ($method)"
  assert_eq 2 "$(count "$pcap" 'udp')" "datagrams ($method)"
  assert_eq 4 "$(count "$pcap" 'icmp')" "ICMP errors ($method)"
  assert_eq 2 "$(count "$pcap" "icmp and src host $(ns_addr rt)")" "ICMP errors from the router ($method)"
  assert_eq 14 "$(count "$pcap" "src host $(ns_rootaddr fe)")" "packets we sent ($method)"
  if command -v tshark >/dev/null; then
    n=$(tshark -r "$pcap" -T fields -e frame.number 2>"$NS_TMP/tshark.err" | wc -l)
    assert_eq 26 "$n" "packets tshark reads ($method)"
  fi
  # the evidence is the same with a dump file as without
  assert_json "$out" '.hosts[0].checks[port=5065].evidence.icmp.from' "$(ns_addr rt)"
  assert_json "$out" '.hosts[0].checks[port=5069].evidence.ttl' 64
done

# --- interrupted: SIGINT mid-scan, the capture file is flushed and whole -------------------
pcap=$NS_TMP/interrupted.pcap
out=$NS_TMP/interrupted.json
"$UCSCAN" scan --target "$H" --ports tcp:20000-29999 --timeout 2000 --no-progress \
  --capture "$pcap" --out "$out" >/dev/null 2>"$NS_TMP/interrupted.err" &
pid=$!
# the capture file is opened after the signal watchers are set: once it exists, SIGINT is
# handled (before, it would be lost: a background job starts with SIGINT ignored), then
# give the probes time to go out
ns_wait_until $((5 * ${UC_E2E_SLOW:-1})) test -e "$pcap" || fail "no capture file"
sleep 0.5
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 3 "$rc" "exit status after SIGINT"
assert_contains "interrupted" "$(cat "$NS_TMP/interrupted.err")"
assert_json "$out" .complete false
assert_json "$out" .evidence_capture.file "$pcap"
n=$(json_get "$out" .evidence_capture.packets)
((n > 0)) || fail "the interrupted scan captured nothing"
assert_eq "$n" "$(count "$pcap")" "packets in the interrupted capture file"
echo "ok"
