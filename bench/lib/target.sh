# shellcheck shell=bash
# bench/lib/target.sh: the benchmark's target host, a network namespace with a known truth.
#
#   source bench/lib/target.sh
#   bench_target_up            # builds it (calls ns_init if the caller has not)
#   "$UCSCAN" ... "$BENCH_ADDR" ...
#   bench_target_down          # or let the EXIT trap of netns.sh do it
#
# The target (needs root; uses 198.18.100.0/24 only):
#   - namespace "bench-target" at BENCH_ADDR=198.18.100.2/24; the root namespace's end of the
#     veth is 198.18.100.1 (the scanner's source address), reached on a connected route;
#   - BENCH_OPEN=9 TCP listeners (one python3 asyncio process): BENCH_OPEN_PORTS;
#   - BENCH_FILTERED=2048 TCP ports silently dropped by nftables: every 8th port of
#     49152-65535, i.e. the ports p with 49152 <= p <= 65535 and p % 8 == 0
#     (49152, 49160, ..., 65528): one rule, "tcp dport 49152-65535 tcp dport & 7 == 0 drop";
#   - every other TCP port is closed and answered by a RST: BENCH_CLOSED=65535-9-2048=63478.
#   UDP is not filtered (closed UDP ports answer ICMP port unreachable, not rate limited).
#
# Per-namespace sysctls (inside the target only; the root namespace is not touched):
#   net.core.somaxconn=65535, net.ipv4.tcp_max_syn_backlog=65536  (accept/SYN queues of the
#       listeners never overflow during a fast connect scan)
#   net.ipv4.tcp_syncookies=0 (the queues are big enough; no cookie mode kicks in mid-scan)
#   net.ipv4.icmp_ratelimit=0, net.ipv4.icmp_msgs_per_sec=100000, icmp_msgs_burst=10000
#       (ICMP errors at full speed: only matters for UDP or reject scenarios)
#   net.ipv6.conf.all/default.disable_ipv6=1
#   RSTs for closed ports are not rate limited by Linux (net.ipv4.tcp_invalid_ratelimit only
#   limits duplicate ACKs/challenge ACKs for invalid segments), so the closed ports need nothing.
#
# Run directly, it checks the target against nmap and prints the timings:
#   bash bench/lib/target.sh [RUNS]      (default 3 runs)

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/servers.sh
source "$BENCH_LIB_DIR/../../tests/e2e/lib/servers.sh"

BENCH_NAME=target
BENCH_ADDR=198.18.100.2
BENCH_GW=198.18.100.1
BENCH_OPEN_PORTS="80 443 444 448 5061 5062 5063 5065 8057"
BENCH_FILTER_RULE="tcp dport 49152-65535 tcp dport & 7 == 0 counter drop"
BENCH_OPEN=9
BENCH_FILTERED=2048
BENCH_CLOSED=$((65535 - BENCH_OPEN - BENCH_FILTERED))
export BENCH_ADDR BENCH_GW BENCH_OPEN_PORTS BENCH_OPEN BENCH_FILTERED BENCH_CLOSED

# bench_target_up: build the target (see above). Exports BENCH_NS (the namespace name) too.
bench_target_up() {
  [[ -n $NS_STATE ]] || ns_init bench
  ns_host "$BENCH_NAME" "$BENCH_ADDR/24" "$BENCH_GW"
  ns_exec "$BENCH_NAME" sysctl -q -w \
    net.core.somaxconn=65535 \
    net.ipv4.tcp_max_syn_backlog=65536 \
    net.ipv4.tcp_syncookies=0 >/dev/null
  ns_nft "$BENCH_NAME" "table inet uc_bench {
  chain input {
    type filter hook input priority filter; policy accept;
    $BENCH_FILTER_RULE
  }
}"
  # shellcheck disable=SC2086 # a list of ports
  srv_tcp_listen "$BENCH_NAME" "$BENCH_ADDR" $BENCH_OPEN_PORTS
  BENCH_NS=$(ns_name "$BENCH_NAME")
  export BENCH_NS
}

# bench_target_down: remove the target (and everything else of this ns_init).
bench_target_down() {
  ns_cleanup
}

# bench_target_nmap [NMAP_ARGS...]: scan all 65535 TCP ports of the target with nmap from the
# root namespace and compare its counts with the truth. Prints one line:
#   "nmap open=9 filtered=2048 closed=63478 wall=1.23s OK"  (or MISMATCH, then returns 1).
# Default arguments: -sT -Pn -n -T5 --min-rate 20000 (a connect scan, like ucscan's).
# shellcheck disable=SC2120 # the arguments are optional
bench_target_nmap() {
  local xml t0 t1 counts args=("$@")
  ((${#args[@]})) || args=(-sT -Pn -n -T5 --min-rate 20000)
  xml=$(mktemp "$NS_TMP/nmap.XXXXXX")
  t0=${EPOCHREALTIME/[.,]/}
  nmap "${args[@]}" -p1-65535 -oX "$xml" "$BENCH_ADDR" >/dev/null
  t1=${EPOCHREALTIME/[.,]/}
  counts=$("$(ns_python)" - "$xml" <<'PY'
import sys, xml.etree.ElementTree as ET
c = {"open": 0, "filtered": 0, "closed": 0}
ports = ET.parse(sys.argv[1]).find("host/ports")
for e in ports.findall("extraports"):
    c[e.get("state")] = c.get(e.get("state"), 0) + int(e.get("count"))
for p in ports.findall("port"):
    s = p.find("state").get("state")
    c[s] = c.get(s, 0) + 1
print(" ".join("%s=%d" % kv for kv in c.items()))
PY
  )
  local want="open=$BENCH_OPEN filtered=$BENCH_FILTERED closed=$BENCH_CLOSED" verdict=OK
  [[ $counts == "$want" ]] || verdict="MISMATCH (want $want)"
  printf 'nmap %s wall=%d.%02ds %s\n' "$counts" $(((t1 - t0) / 1000000)) \
    $(((t1 - t0) / 10000 % 100)) "$verdict"
  [[ $verdict == OK ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  bench_target_up
  echo "target $BENCH_ADDR in $BENCH_NS: open=$BENCH_OPEN filtered=$BENCH_FILTERED closed=$BENCH_CLOSED"
  rc=0
  for _ in $(seq "${1:-3}"); do
    # shellcheck disable=SC2119
    bench_target_nmap || rc=1
  done
  ns_exec "$BENCH_NAME" nft list table inet uc_bench | grep -o 'counter packets [0-9]*' |
    sed 's/^/drop rule: /'
  exit "$rc"
fi
