#!/usr/bin/env bash
# e2e: privileges. Unprivileged (user nobody, no CAP_NET_RAW), the scan runs as before with
# connect probes and UDP error-queue evidence, and the report says why there is no capture;
# --capture and --tcp-method syn are refused up front (exit 2, not one packet sent). As root
# with --user nobody, ucscan opens the capture and the raw SYN socket, switches to nobody,
# and still attributes ICMP errors, probes the range with raw SYNs, writes the report and
# the capture file as nobody. A router counts every packet the scanner sends, so "nothing
# scanned" is measured, not assumed. Subnet 198.18.13.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
ns_router_host rt fe 198.18.13
H=$(ns_addr fe)
R=$(ns_addr rt)
srv_tcp_listen fe "$H" 5061
ns_reject_tcp rt 5065,60003
ns_reject_udp rt 9997
# every packet from the scanner's side that the router forwards or rejects, counted first
ns_nft rt 'table inet uc_count {
  chain forward {
    type filter hook forward priority -10; policy accept;
    iifname "wan0" counter
  }
}'
sent() {
  ns_exec rt nft list table inet uc_count | sed -n 's/.*counter packets \([0-9]*\).*/\1/p'
}

# A directory user nobody can write in, and a binary it can run.
pub=$(mktemp -d /tmp/ucscan-e2e-pub.XXXXXX)
ns_defer "rm -rf '$pub'"
chmod 1777 "$pub"
as_nobody() {
  setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
}
as_nobody "$UCSCAN" --version >/dev/null ||
  fail "user nobody cannot run $UCSCAN (every directory above it must be searchable)"

ports=tcp:5061,5065,5070,60000-60004,udp:9997,9999

# --- unprivileged: the same scan, without evidence capture -------------------------------
out=$pub/nobody.json
rc=0
as_nobody "$UCSCAN" scan --target "$H" --ports "$ports" --fast --timeout 800 --no-progress \
  --out "$out" >/dev/null 2>"$NS_TMP/nobody.err" || rc=$?
assert_eq 1 "$rc" "exit status, unprivileged"
assert_json "$out" .complete true
assert_json "$out" .evidence_capture.available false
assert_json "$out" .evidence_capture.file null
assert_contains "CAP_NET_RAW" "$(json_get "$out" .evidence_capture.reason)"
c='.hosts[0].checks'
assert_json "$out" "${c}[port=5061].state" open
assert_json "$out" "${c}[port=5061].evidence" '{"rtt_source":"kernel"}'
# the TCP socket's error queue names the ICMP error, as the capture would (issue 11)
assert_json "$out" "${c}[port=5065].state" filtered
assert_json "$out" "${c}[port=5065].reason" "administratively prohibited (ICMP 3/13) from $R (a router on the path)"
assert_json "$out" "${c}[port=5070].reason" "connection refused (RST)"
# the range by connect(): probed port by port, the rejected port counted
assert_json "$out" "${c}[port=null].range.probed" 5
assert_json "$out" "${c}[port=null].range.filtered_ports" '["60003-60003"]'
# UDP keeps its ICMP evidence: the socket error queue needs no privileges
assert_json "$out" "${c}[port=9997].state" filtered
assert_json "$out" "${c}[port=9997].evidence.icmp.from" "$R"
assert_contains "(a router on the path)" "$(json_get "$out" "${c}[port=9997].reason")"
assert_json "$out" "${c}[port=9999].evidence.icmp.from" "$H"

# --- unprivileged --capture / --tcp-method syn: refused before anything is sent -----------
before=$(sent)
rc=0
as_nobody "$UCSCAN" scan --target "$H" --ports "$ports" --capture "$pub/x.pcap" \
  --out "$pub/x.json" --no-progress >/dev/null 2>"$NS_TMP/x.err" || rc=$?
assert_eq 2 "$rc" "exit status of an unprivileged --capture"
assert_contains "--capture $pub/x.pcap: packet capture needs CAP_NET_RAW" "$(cat "$NS_TMP/x.err")"
assert_contains "nothing scanned" "$(cat "$NS_TMP/x.err")"
[[ ! -e $pub/x.json && ! -e $pub/x.pcap ]] || fail "an unprivileged --capture left files behind"
rc=0
as_nobody "$UCSCAN" scan --target "$H" --ports "$ports" --tcp-method syn --no-progress \
  >/dev/null 2>"$NS_TMP/syn.err" || rc=$?
assert_eq 2 "$rc" "exit status of an unprivileged --tcp-method syn"
assert_contains "CAP_NET_RAW" "$(cat "$NS_TMP/syn.err")"
assert_eq "$before" "$(sent)" "packets sent by refused scans"

# --- bad --capture / --user: refused up front, as root too ---------------------------------
refused() { # WHAT EXPECTED-TEXT ARGS...: exit 2, the text on stderr, nothing sent
  local what=$1 text=$2 rc=0 b
  shift 2
  b=$(sent)
  "$@" >/dev/null 2>"$NS_TMP/refused.err" || rc=$?
  assert_eq 2 "$rc" "exit status: $what"
  assert_contains "$text" "$(cat "$NS_TMP/refused.err")" "$what"
  assert_eq "$b" "$(sent)" "packets sent: $what"
}
refused "capture in a missing directory" "cannot create a file in $NS_TMP/nowhere" \
  "$UCSCAN" scan --target "$H" --ports "$ports" --capture "$NS_TMP/nowhere/x.pcap" --no-progress
refused "capture onto a directory" "is a directory" \
  "$UCSCAN" scan --target "$H" --ports "$ports" --capture "$pub" --no-progress
refused "--capture with --no-evidence" "--no-evidence" \
  "$UCSCAN" scan --target "$H" --ports "$ports" --capture "$pub/y.pcap" --no-evidence
refused "--user without root" "only root can switch users" \
  as_nobody "$UCSCAN" scan --target "$H" --ports "$ports" --user nobody --no-progress
refused "--user root" "nothing would be dropped" \
  "$UCSCAN" scan --target "$H" --ports "$ports" --user root --no-progress
refused "--user of nobody known" "no such user" \
  "$UCSCAN" scan --target "$H" --ports "$ports" --user ucscan-no-such-user --no-progress
mkdir -p "$NS_TMP/rootonly" && chmod 700 "$NS_TMP/rootonly"
refused "--user who cannot write --out" "the report is written as nobody, who cannot write" \
  "$UCSCAN" scan --target "$H" --ports "$ports" --user nobody --out "$NS_TMP/rootonly/r.json" \
  --no-progress

# --- root, --user nobody: capture and raw socket opened, then privileges dropped -----------
out=$pub/dropped.json
pcap=$pub/dropped.pcap
before=$(sent)
rc=0
"$UCSCAN" scan --target "$H" --ports "$ports" --fast --timeout 800 --no-progress \
  --user nobody --capture "$pcap" --out "$out" >/dev/null 2>"$NS_TMP/dropped.err" || rc=$?
assert_eq 1 "$rc" "exit status with --user"
# what the router saw of us: 5061 SYN, ACK, RST; 5065, 5070 and 5 range SYNs; 2 datagrams
(($(sent) - before == 12)) || fail "the router counted $(($(sent) - before)) packets, not 12"
assert_eq "nobody nogroup" "$(stat -c '%U %G' "$out")" "owner of the report"
assert_eq "nobody nogroup" "$(stat -c '%U %G' "$pcap")" "owner of the capture file"
assert_json "$out" .evidence_capture.available true
assert_json "$out" .evidence_capture.file "$pcap"
# evidence after the switch: the capture still reads, the raw socket still sends
assert_json "$out" "${c}[port=5065].state" filtered
assert_json "$out" "${c}[port=5065].evidence.icmp.from" "$R"
assert_json "$out" "${c}[port=5070].evidence.ttl" 63
assert_json "$out" "${c}[port=null].range.probed" 5
assert_json "$out" "${c}[port=null].evidence.icmp.port" 60003
# raw SYN probes: a 24-byte TCP header (MSS only); the kernel's SYNs carry 40 (MSS, SACK, TS, WS)
syns=$(tcpdump -nn -r "$pcap" 'tcp[tcpflags] == tcp-syn and dst portrange 60000-60004 and tcp[12] == 0x60' 2>/dev/null | wc -l)
assert_eq 5 "$syns" "raw SYN probes of the range"
n=$(json_get "$out" .evidence_capture.packets)
assert_eq "$n" "$(tcpdump -nn -r "$pcap" 2>/dev/null | wc -l)" "packets in the capture file"
echo "ok"
