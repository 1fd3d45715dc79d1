#!/usr/bin/env bash
# e2e (issue 11): --fast must not lose its own UDP answers. A Mediation Server's UDP range,
# 49152-57500 (8,349 ports), every port closed, on a namespaced host whose kernel does not
# rate-limit ICMP (the library sets icmp_ratelimit=0 in every namespace): every port answers
# port unreachable, so every port must be proven closed, and no reason may blame the target
# for answers the scanner itself lost. Run twice (the loss depended on timing).
# Subnet 198.18.66.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/servers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
MED=198.18.66.2
ns_host med "$MED/24" 198.18.66.1
assert_eq 0 "$(ns_exec med sysctl -n net.ipv4.icmp_ratelimit)" "the target's ICMP rate limit"

for run in 1 2; do
  out=$NS_TMP/fast$run.json
  rc=0
  "$UCSCAN" scan --target "$MED" --ports udp:49152-57500 --fast --no-progress \
    --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
  r='.hosts[0].checks[0]'
  echo "run $run: $(json_get "$out" "$r.range") in $(json_get "$out" .duration_ms) ms" >&2
  assert_eq 0 "$rc" "exit status (run $run: closed ports prove the path)"
  assert_json "$out" "$r.range.probed" 8349
  assert_json "$out" "$r.range.closed" 8349
  assert_json "$out" "$r.verdict" pass
  assert_json "$out" "$r.state" closed
  assert_json "$out" "$r.reason" \
    "all 8349 ports reachable: 0 open, 8349 closed (closed answers prove the path)"
done

# The first datagram to each of 50200-50299 is dropped, later ones answered: one answer lost
# on the way (a congested link, a full queue). The host answers port unreachable everywhere
# else, so its silent ports get a second datagram and are proven too.
ns_nft med 'table inet uc_first {
  set seen {
    type inet_service
    flags dynamic,timeout
    timeout 5m
  }
  chain input {
    type filter hook input priority -10; policy accept;
    udp dport 50200-50299 udp dport != @seen add @seen { udp dport } counter drop
  }
}'
out=$NS_TMP/resend.json
rc=0
"$UCSCAN" scan --target "$MED" --ports udp:50100-50399 --fast --no-progress \
  --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 0 "$rc" "exit status (resent ports)"
r='.hosts[0].checks[0]'
assert_json "$out" "$r.range.closed" 300
assert_json "$out" "$r.verdict" pass
assert_match 'packets 100 ' "$(ns_exec med nft list table inet uc_first)" "first datagrams dropped"

# Ports that never answer (dropped for good): reported as silent, and the reason does not
# claim to know why.
ns_drop_udp med 50000-50099
out=$NS_TMP/partial.json
rc=0
"$UCSCAN" scan --target "$MED" --ports udp:49900-50199 --fast --no-progress --timeout 300 \
  --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 0 "$rc" "exit status (silence is a warning)"
r='.hosts[0].checks[0]'
assert_json "$out" "$r.range.closed" 200
assert_json "$out" "$r.verdict" warn
assert_match '^partly verified: 200 of 300 ports proven reachable \(0 open, 200 closed\); 100 gave no answer' \
  "$(json_get "$out" "$r.reason")"
case $(json_get "$out" "$r.reason") in
  *"targets rate-limit"*) fail "the reason blames the target for silence it cannot explain" ;;
esac
echo "ok"
