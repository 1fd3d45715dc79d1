#!/usr/bin/env bash
# e2e (issue 12, item 7): host names that do not resolve, one documented behaviour per case
# (README "Exit status", docs/topology.md).
#   permanent: the DNS says the name has no address (NXDOMAIN; or NOERROR without an A/AAAA
#     record). Bad input: ucscan names it (where it was given: --target column, or the
#     topology's file:line:column), probes nothing (not even the hosts that resolve), writes
#     no report and exits 2.
#   temporary: the resolver gets no usable answer now (SERVFAIL, REFUSED, no answer at all).
#     That host's probed checks are "unreachable" (fail) with the resolver's reason, every other
#     host is scanned, the report is written ("complete": true) and the exit status is 1.
#   both at once: bad input wins: exit 2, nothing probed; both names are reported.
# Each resolver is a peer that answers every query the same way, reached through a private
# resolv.conf (private_dns): no name ever reaches the machine's resolver.
# Loopback 127.0.0.70 (NXDOMAIN, and the host that resolves: a TCP peer on 7000), 127.0.0.71
# (NOERROR, no data), 127.0.0.72 (SERVFAIL), 127.0.0.73 (REFUSED), 127.0.0.74 (silent).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1}

ns_init
srv_peers - "dns-nxdomain@127.0.0.70:53,servfail=fe02.ucscan.test" "dns-nodata@127.0.0.71:53" \
  "dns-servfail@127.0.0.72:53" "dns-refused@127.0.0.73:53" "count-udp@127.0.0.74:53" \
  "count@127.0.0.70:7000"
plog=$SRV_LOG
N=fe01.ucscan.test
cd "$NS_TMP"

scan() { # NAMESERVER ARGS...: runs ucscan with only that resolver; sets RC, ERR, ACCEPTS
  local ns=$1 before
  shift
  private_dns "$ns" "timeout:1 attempts:1"
  before=$(peers_count "$plog" accept "count 127.0.0.70:7000")
  rm -f out.json
  RC=0
  "${PRIVATE_DNS[@]}" "$UCSCAN" scan --no-progress --timeout $((1000 * SLOW)) "$@" \
    >/dev/null 2>err.txt || RC=$?
  ERR=$(cat err.txt)
  ACCEPTS=$(($(peers_count "$plog" accept "count 127.0.0.70:7000") - before))
}

permanent() { # WHAT NAMESERVER
  scan "$2" --target "$N,127.0.0.70" --ports tcp:7000 --out out.json
  assert_eq 2 "$RC" "$1: exit status ($ERR)"
  assert_match "^ucscan: --target: column 1: name \"fe01\\.ucscan\\.test\" does not resolve: " "$ERR" "$1: message"
  assert_contains "1 host name does not resolve: nothing scanned" "$ERR" "$1: message"
  assert_eq 0 "$ACCEPTS" "$1: connections to the host that resolves"
  [[ ! -e out.json ]] || fail "$1: a report was written"
  echo "$1: exit 2, nothing probed, no report" >&2
}
permanent "NXDOMAIN" 127.0.0.70
permanent "no address record" 127.0.0.71

temporary() { # WHAT NAMESERVER
  local t0 ms
  t0=$(date +%s%N)
  scan "$2" --target "$N,127.0.0.70" --ports tcp:7000 --out out.json
  ms=$((($(date +%s%N) - t0) / 1000000))
  assert_eq 1 "$RC" "$1: exit status ($ERR)"
  assert_json out.json .complete true
  assert_check out.json "$N" 7000/tcp fail unreachable \
    "^name \"fe01\\.ucscan\\.test\" does not resolve: temporary failure"
  assert_check out.json 127.0.0.70 7000/tcp pass open '^TCP connection accepted$'
  assert_eq 1 "$ACCEPTS" "$1: connections to the host that resolves"
  assert_json out.json .summary '{"checks":2,"fail":1,"hosts":2,"pass":1,"skip":0,"warn":0}'
  echo "$1: exit 1 after $ms ms, the other host scanned, the report written" >&2
}
temporary "SERVFAIL" 127.0.0.72
temporary "REFUSED" 127.0.0.73
temporary "no answer" 127.0.0.74

# a topology: a temporary failure is the host's; the file's other host is scanned
cat >topo.json <<JSON
{"name": "names", "hosts": [
  {"name": "$N", "roles": ["director"]},
  {"name": "dir02.ucscan.test", "address": "127.0.0.70", "roles": ["director"]}]}
JSON
scan 127.0.0.72 --topology topo.json --out out.json
assert_eq 1 "$RC" "temporary failure in a topology: exit status ($ERR)"
assert_json out.json '.hosts[0].checks[port=5061].state' unreachable
assert_json out.json '.hosts[0].checks[port=5061].verdict' fail
assert_json out.json '.hosts[0].address' null
assert_json out.json '.hosts[1].checks[port=5061].state' closed

# both at once (one resolver: SERVFAIL for fe02, NXDOMAIN for fe01): bad input wins
scan 127.0.0.70 --target "fe02.ucscan.test,$N,127.0.0.70" --ports tcp:7000 --out out.json
assert_eq 2 "$RC" "a permanent and a temporary failure: exit status ($ERR)"
assert_match "(^|
)ucscan: --target: column 18: name \"fe01\\.ucscan\\.test\" does not resolve: " "$ERR"
assert_match "(^|
)ucscan: --target: column 1: name \"fe02\\.ucscan\\.test\" does not resolve: temporary failure" "$ERR"
assert_contains "2 host names do not resolve: nothing scanned" "$ERR"
assert_eq 0 "$ACCEPTS" "permanent and temporary: connections to the host that resolves"
[[ ! -e out.json ]] || fail "permanent and temporary: a report was written"
echo "ok"
