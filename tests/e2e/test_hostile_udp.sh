#!/usr/bin/env bash
# e2e (issue 6, hostile and broken servers, UDP): STUN and SQL Browser peers that lie, next to
# honest ones, scanned once with --timeout 500.
#   - a lying length, an unknown comprehension-required attribute, a wrong transaction id, a
#     reply from another address of the host, a SQL Browser reply truncated or with a lying
#     RESP_SIZE, a flood of junk datagrams: fail, with the reason naming the fault, within
#     (retries + 1) x timeout
#   - a 65,000-byte STUN reply is judged on all its bytes (its last attribute is the fault)
#   - a decoy (wrong id, then another source) before the genuine reply: the genuine one wins
#   - honest MS-TURN and SQL Browser peers still pass; peak RSS stays small under the flood
# Subnet 198.18.33.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
TIMEOUT=$((500 * ${UC_E2E_SLOW:-1})) # deadlines of the scan (slower under valgrind)

ns_init
H=198.18.33.2 OTHER=198.18.33.3
ns_host ux "$H/24" 198.18.33.1
ns_add_addr ux "$OTHER"

rows=() specs=() floods=()
peer() { rows+=("$1"); specs+=("$2@$H:${1%%/*}${3:+,$3}"); }
# the floods (2000 datagrams per request) in a process of their own: they must not delay the
# honest peers' answers past ucscan's retransmit deadline
flood() { rows+=("$1"); floods+=("udp-flood@$H:${1%%/*}"); }
peer 7201/udp/stun stun-lying-length
peer 7202/udp/stun stun-unknown-attr
peer 7203/udp/stun stun-wrong-txid
peer 7204/udp/stun stun-other-source "from=$OTHER"
peer 7205/udp/stun stun-huge
flood 7206/udp/stun
peer 7207/udp/sql-browser sqlb-truncated
peer 7208/udp/sql-browser sqlb-lying-length
flood 7209/udp/sql-browser
# honest ones
peer 7300/udp/stun stun-decoy "from=$OTHER"
peer 7301/udp/stun msturn-401
peer 7302/udp/sql-browser sqlb
peer 7303/udp/sql-browser sqlb-huge
srv_peers ux "${floods[@]}"
srv_peers ux "${specs[@]}"
plog=$SRV_LOG

peers_catalog "$NS_TMP/site.json" hostileudp "${rows[@]}"
cat >"$NS_TMP/topo.json" <<JSON
{"name": "e2e-hostile-udp", "hosts": [
  {"name": "hostile.contoso.test", "address": "$H", "roles": ["hostileudp"]}]}
JSON

out=$NS_TMP/report.json
rc=0
t0=$(date +%s%N)
/usr/bin/time -f %M -o "$NS_TMP/rss" "$UCSCAN" scan --topology "$NS_TMP/topo.json" \
  --catalog "$NS_TMP/site.json" --timeout $TIMEOUT --retries 2 --no-progress --out "$out" \
  >/dev/null 2>"$NS_TMP/stderr" || rc=$?
wall_ms=$((($(date +%s%N) - t0) / 1000000))
rss=$(tail -n 1 "$NS_TMP/rss")
echo "hostile UDP scan: ${wall_ms} ms wall, peak RSS ${rss} kB" >&2
assert_eq 1 "$rc" "exit status"
assert_json "$out" .complete true
assert_faster "$wall_ms" $((3 * TIMEOUT + 1000)) "the hostile UDP scan"
assert_rss_below "$rss" 32768 "the hostile UDP scan"

N=hostile.contoso.test
# three rounds (--retries 2): a STUN round is two datagrams (Binding, Allocate)
S='\(6 datagrams sent\)$' Q='\(3 datagrams sent\)$'
assert_check "$out" $N 7201/udp fail open "^invalid STUN reply: header length 68 but 28 bytes follow the header $S"
assert_check "$out" $N 7202/udp fail open "^invalid STUN reply: unknown comprehension-required attribute 0x7f31 $S"
assert_check "$out" $N 7203/udp fail open "^invalid STUN reply: transaction id mismatch $S"
assert_check "$out" $N 7204/udp fail "open|filtered" "^invalid STUN reply: reply from $OTHER:7204, not the target $S"
assert_check "$out" $N 7205/udp fail open "^invalid STUN reply: unknown comprehension-required attribute 0x7f33 $S"
assert_check "$out" $N 7206/udp fail open "^invalid STUN reply: not a STUN message \\(message type 0x6a75 has its top bits set\\) $S"
assert_check "$out" $N 7207/udp fail open "^invalid SQL Browser reply: record 2 truncated mid-record .*$Q"
assert_check "$out" $N 7208/udp fail open "^invalid SQL Browser reply: RESP_SIZE [0-9]+ but [0-9]+ bytes follow $Q"
assert_check "$out" $N 7209/udp fail open "^invalid SQL Browser reply: type byte 0x6a, expected 0x05 \\(SVR_RESP\\) $Q"
assert_check "$out" $N 7300/udp pass open '^STUN Binding answered; mapped address 198\.18\.33\.1$'
assert_check "$out" $N 7301/udp pass open '^MS-TURN Allocate challenged: 401 Unauthorized, realm "SIP Communications Service"$'
assert_check "$out" $N 7302/udp pass open '^SQL Browser answered: 2 instances \(RTCLOCAL, LYNCLOCAL\)$'
assert_check "$out" $N 7303/udp pass open '^SQL Browser answered: [0-9]{3} instances \(INST0000, INST0001, .*\.\.\.\)$'
assert_json "$out" '.hosts[0].checks[port=7303].evidence.sql_browser.instances|length' 64
assert_json "$out" .summary '{"checks":13,"fail":9,"hosts":1,"pass":4,"skip":0,"warn":0}'
assert_json "$out" '.hosts[0].checks[port=7203].attempts' 3 # each round is an attempt
assert_json "$out" '.hosts[0].checks[port=7302].attempts' 1
# every hostile port was asked three times (retransmits), and the honest ones once
assert_eq 6 "$(peers_count "$plog" datagram "$H:7203 ")" "datagrams at the wrong-txid peer"
assert_eq 3 "$(peers_count "$plog" datagram "$H:7207 ")" "datagrams at the truncating SQL Browser"
assert_eq 1 "$(peers_count "$plog" datagram "$H:7302 ")" "datagrams at the honest SQL Browser"
echo "ok"
