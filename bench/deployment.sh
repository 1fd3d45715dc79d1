#!/usr/bin/env bash
# bench/deployment.sh - a whole namespaced deployment, polite and fast, beside nmap.
#
# Default: the 12-host site of issue 15, in 198.18.101.0/24, built from namespaces only
# (ns_island: nothing in the root namespace). The scanner stands in namespace "scan", every
# server address is on namespace "site", each host answered by `ucscan listen` for its roles:
#   fe01 fe02 (front-end), pool (lb-front-end), dir01 dir02 (director), med01 (mediation),
#   edge01 edge02 edge03 (edge), owa01 (office-web-apps), pchat01 (persistent-chat),
#   dead01 (nothing answers: every packet to it dropped).
# The site's firewall drops all UDP to the non-Edge hosts (their media ranges stay silent, as
# behind a Windows firewall), drops 5062/tcp on dir02 and rejects 444/tcp on fe02.
# It prints, for ucscan's polite default and --fast: wall time, peak RSS, probes; whether the
# two gave the same verdict for every check; and nmap -sT (-T4, and -T5 --min-rate 20000) for
# the same TCP ports (one -iL run per role's port list, run one after the other).
#
# --wide: 1,000 addresses (198.19.0.0/22) x the Front End role's single TCP ports, fast
# profile, like for like: connect() beside nmap -sT -T5 --min-rate 20000, and raw SYNs
# (--tcp-method syn) beside nmap -sS, on the same ports (the media ranges left out: 16
# million probes, 14 minutes at the global cap for either tool); the target is judged on the
# fastest run of each tool; and the peak RSS of the whole role (TCP and UDP, ranges
# included) on the 1,000 hosts, over its first 20 seconds.
# The site's listeners accept and close (bench/lib/accept_close.py), as cheaply as Python can:
# the site shares the scanner's cores. --runs N alternates N ucscan and nmap runs; the target
# is judged on the best of each.
#
# Needs root and nmap. UCSCAN=path/to/ucscan to pick a binary. Usage:
#   bench/deployment.sh [--wide] [--runs N] [--no-polite]
# Targets (issue 15): polite <= 30 s on the 12 hosts with verdicts equal to --fast; --wide:
# ucscan's fastest TCP wall <= 0.5 x nmap's fastest, peak RSS < 64 MiB. Exit 0 when met, 1
# otherwise.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
UCSCAN=${UCSCAN:-$HERE/../build/ucscan}
# shellcheck source=../tests/e2e/lib/servers.sh
source "$HERE/../tests/e2e/lib/servers.sh"

WIDE=0 RUNS=1 POLITE=1
while (($#)); do
  case $1 in
  --wide) WIDE=1 ;;
  --runs) RUNS=$2; shift ;;
  --no-polite) POLITE=0 ;;
  *) echo "usage: bench/deployment.sh [--wide] [--runs N] [--no-polite]" >&2; exit 2 ;;
  esac
  shift
done
[[ -x $UCSCAN ]] || { echo "bench: no ucscan binary at $UCSCAN (build first)" >&2; exit 2; }
command -v nmap >/dev/null || { echo "bench: nmap is not installed (apt-get install nmap)" >&2; exit 2; }

ns_init deploy
ns_island scan
ns_island site
SCAN_NS=$(ns_name scan)
work=$NS_TMP
PY=$(ns_python)
ok=1

# run_timed OUT cmd...: wall seconds in T, peak RSS (KiB) in RSS, exit status in RC.
run_timed() {
  local out=$1
  shift
  RC=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$out" 2>"$work/stderr" || RC=$?
  read -r T RSS < <(tail -n 1 "$work/time")
  if ((RC > 1)); then
    echo "bench: $* exited $RC: $(tail -n 5 "$work/stderr")" >&2
    exit 1
  fi
}

# tcp_groups REPORT: lines "PORTS HOST..." (the probed single TCP ports of each host, hosts with
# the same list grouped), for nmap -p PORTS -iL.
tcp_groups() {
  "$PY" - "$1" <<'PY'
import json, sys, collections
rep = json.load(open(sys.argv[1]))
groups = collections.defaultdict(list)
for h in rep["hosts"]:
    ports = set()
    for c in h["checks"]:
        if c["transport"] != "tcp" or c["probe"] is None:
            continue
        if c["range"] is None:
            ports.add("%d" % c["port"])
        else:
            ports.add("%d-%d" % (c["range"]["first"], c["range"]["last"]))
    if ports and h["address"]:
        groups[",".join(sorted(ports, key=lambda p: int(p.split("-")[0])))].append(h["address"])
def merged(spec):  # nmap warns on overlapping ranges: join them
    runs = sorted(tuple(int(x) for x in (p.split("-") * 2)[:2]) for p in spec.split(","))
    out = []
    for a, b in runs:
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return ",".join(str(a) if a == b else "%d-%d" % (a, b) for a, b in out)
for ports, hosts in groups.items():
    print(merged(ports), " ".join(hosts))
PY
}

# nmap_tcp REPORT ARGS...: nmap on the TCP ports of the report's hosts; wall seconds in T.
nmap_tcp() {
  local rep=$1 t0 t1 ports hosts
  shift
  # the groups first: reading the report (14 MB for 1,000 hosts) is not nmap's time
  tcp_groups "$rep" >"$work/groups"
  t0=${EPOCHREALTIME/[.,]/}
  while read -r ports hosts; do
    # shellcheck disable=SC2086 # a list of hosts
    printf '%s\n' $hosts >"$work/hosts.txt"
    ns_exec scan nmap "$@" -Pn -n -p "$ports" -iL "$work/hosts.txt" -oN "$work/nmap.out" >/dev/null
  done <"$work/groups"
  t1=${EPOCHREALTIME/[.,]/}
  T=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b - a) / 1e6}')
}

verdicts() { # REPORT -> "host key verdict" lines, sorted
  "$PY" - "$1" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
out = []
for h in rep["hosts"]:
    for c in h["checks"]:
        where = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
        out.append("%s %s/%s %s %s" % (h["name"], where, c["transport"], c.get("interface"), c["verdict"]))
print("\n".join(sorted(out)))
PY
}

probes() { "$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["summary"])' "$1"; }

site_12() {
  ns_link scan eth0 198.18.101.1/24 site eth0 198.18.101.2/24
  local -a hosts=(
    "fe01 11 front-end" "fe02 12 front-end" "pool 10 lb-front-end" "dir01 21 director"
    "dir02 22 director" "med01 31 mediation" "edge01 41 edge" "edge02 42 edge" "edge03 43 edge"
    "owa01 51 office-web-apps" "pchat01 61 persistent-chat" "dead01 99 -")
  local h name n roles addr json=""
  for h in "${hosts[@]}"; do
    read -r name n roles <<<"$h"
    addr=198.18.101.$n
    ns_exec site ip addr add "$addr/24" dev eth0
    if [[ $roles != - ]]; then
      ns_spawn site "listen-$name" "$UCSCAN" listen --role "$roles" --bind "$addr" \
        --name "$name.contoso.test" --duration 3600 --allow-partial
      ns_wait_until 120 grep -q "ready: listening" "$SPAWN_LOG" || { echo "bench: $name's listener did not start" >&2; exit 1; }
    else
      roles=front-end
    fi
    json+="${json:+,}{\"name\": \"$name.contoso.test\", \"address\": \"$addr\", \"roles\": [\"$roles\"], \"pool\": \"pool.contoso.test\"}"
  done
  printf '{"name": "bench-site", "product": "sfb2015", "hosts": [%s]}\n' "$json" >"$work/site.json"
  ns_nft site "table inet bench {
    chain in {
      type filter hook input priority filter; policy accept;
      ip daddr 198.18.101.99 counter drop
      ip daddr != { 198.18.101.41, 198.18.101.42, 198.18.101.43 } meta l4proto udp counter drop
      ip daddr 198.18.101.22 tcp dport 5062 counter drop
      ip daddr 198.18.101.12 tcp dport 444 counter reject with icmpx admin-prohibited
    }
  }"
  # Linux's own ICMP limits inside the site (the e2e library lifts them in its namespaces)
  ns_exec site sysctl -q -w net.ipv4.icmp_ratelimit=1000 net.ipv4.icmp_ratemask=6168 >/dev/null
}

bench_12() {
  site_12
  local pt=0 ft=0 rss_p=0 rss_f=0
  for ((i = 1; i <= RUNS; i++)); do
    run_timed "$work/f.out" ip netns exec "$SCAN_NS" "$UCSCAN" scan --topology "$work/site.json" --fast \
      --no-progress --out "$work/fast.json"
    ft=$T rss_f=$RSS
    echo "run $i: --fast   ${T}s, peak RSS $((RSS / 1024)) MiB, exit $RC, $(probes "$work/fast.json")"
    if ((POLITE)); then
      run_timed "$work/p.out" ip netns exec "$SCAN_NS" "$UCSCAN" scan --topology "$work/site.json" \
        --no-progress --out "$work/polite.json"
      pt=$T rss_p=$RSS
      echo "run $i: polite   ${T}s, peak RSS $((RSS / 1024)) MiB, exit $RC, $(probes "$work/polite.json")"
    fi
  done
  if ((POLITE)); then
    if diff <(verdicts "$work/polite.json") <(verdicts "$work/fast.json") >"$work/vdiff"; then
      echo "verdicts: polite and fast agree on every check"
    else
      echo "verdicts: polite and fast DIFFER:"
      head -20 "$work/vdiff"
      ok=0
    fi
    awk -v t="$pt" 'BEGIN {exit !(t <= 30)}' || ok=0
    echo "polite wall ${pt}s (target <= 30 s), peak RSS $((rss_p / 1024)) MiB"
  fi
  nmap_tcp "$work/fast.json" -sT -T4
  echo "nmap -sT -T4, same TCP ports: ${T}s"
  nmap_tcp "$work/fast.json" -sT -T5 --min-rate 20000
  echo "nmap -sT -T5 --min-rate 20000, same TCP ports: ${T}s (ucscan --fast: ${ft}s, RSS $((rss_f / 1024)) MiB)"
}

bench_wide() {
  ns_link scan eth0 198.19.3.254/22 site eth0 198.19.0.1/22
  local a json=""
  # 1,000 addresses 198.19.0.1 .. 198.19.3.232, all answered by one set of listeners
  ns_exec site bash -c 'for i in $(seq 2 1000); do echo "addr add 198.19.$((i / 256)).$((i % 256))/22 dev eth0"; done | ip -b -'
  for ((i = 1; i <= 1000; i++)); do
    a=198.19.$((i / 256)).$((i % 256))
    json+="${json:+,}{\"name\": \"h$i.contoso.test\", \"address\": \"$a\", \"roles\": [\"front-end\"]}"
  done
  printf '{"name": "bench-wide", "product": "sfb2015", "hosts": [%s]}\n' "$json" >"$work/wide.json"
  ns_exec site sysctl -q -w net.core.somaxconn=65535 net.ipv4.tcp_max_syn_backlog=65536 >/dev/null
  # one listener on every address of the site (the library's srv_tcp_listen takes one address)
  # that accepts and closes at once: the site shares the scanner's cores, and a listener that
  # spends CPU per connection (or stops accepting) weighs on whichever tool is measured
  ulimit -n 65536 2>/dev/null || true
  ns_spawn site wide-listeners "$PY" "$HERE/lib/accept_close.py" "$work/ready" \
    80 135 443 444 445 448 5061 5062 5063 5064 5065 5069 5072 5073 5075 5076 5080 8080 8404 8444
  ns_wait_until 30 test -e "$work/ready" || { echo "bench: listeners did not start" >&2; exit 1; }
  # The Front End's TCP ports, as one host's scan plans them: the single ports; the media
  # ranges (49152-65535, 16,384 ports) would make 16 million probes of 1,000 hosts, 14
  # minutes at the global cap (--max-rate 20000) for ucscan and nmap alike.
  printf '{"name": "bench-wide-1", "product": "sfb2015", "hosts": [{"name": "h1.contoso.test", "address": "198.19.0.1", "roles": ["front-end"]}]}\n' >"$work/wide1.json"
  run_timed "$work/w1.out" ip netns exec "$SCAN_NS" "$UCSCAN" scan --topology "$work/wide1.json" --fast \
    --no-progress --out "$work/wide1-report.json"
  tcp=$("$PY" - "$work/wide1-report.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
ports = sorted({c["port"] for c in rep["hosts"][0]["checks"]
                if c["transport"] == "tcp" and c["probe"] is not None and c["range"] is None})
print("tcp:" + ",".join(str(p) for p in ports))
PY
  )
  local targets urss=0 ut nt st ns
  local -A best=()
  targets=$(seq 1 1000 | awk '{printf "%s198.19.%d.%d", (NR > 1 ? "," : ""), int($1 / 256), $1 % 256}')
  echo "TCP part: $tcp on 1,000 hosts"
  keep_best() { best[$1]=$(awk -v a="${best[$1]:-}" -v b="$2" 'BEGIN {print (a == "" || b < a) ? b : a}'); }
  ratio() { awk -v u="$1" -v n="$2" 'BEGIN {printf "%.2f", u / n}'; }
  for ((i = 1; i <= RUNS; i++)); do # alternated, so both tools meet the same machine
    # like for like: connect() against nmap -sT; raw SYNs (--tcp-method syn: the single ports
    # too, no handshake) against nmap -sS, root's default
    run_timed "$work/wt.out" ip netns exec "$SCAN_NS" "$UCSCAN" scan --target "$targets" --ports "$tcp" \
      --fast --no-progress --out "$work/wide-tcp.json"
    ut=$T urss=$((RSS > urss ? RSS : urss))
    nmap_tcp "$work/wide-tcp.json" -sT -T5 --min-rate 20000
    nt=$T
    echo "run $i: ucscan --fast ${ut}s (peak RSS $((RSS / 1024)) MiB, $(probes "$work/wide-tcp.json")); nmap -sT -T5 --min-rate 20000 ${nt}s; ratio $(ratio "$ut" "$nt")"
    run_timed "$work/ws.out" ip netns exec "$SCAN_NS" "$UCSCAN" scan --target "$targets" --ports "$tcp" \
      --fast --tcp-method syn --no-progress --out "$work/wide-syn.json"
    st=$T urss=$((RSS > urss ? RSS : urss))
    nmap_tcp "$work/wide-tcp.json" -sS -T5 --min-rate 20000
    ns=$T
    echo "run $i: ucscan --fast --tcp-method syn ${st}s (peak RSS $((RSS / 1024)) MiB, $(probes "$work/wide-syn.json")); nmap -sS -T5 --min-rate 20000 ${ns}s; ratio $(ratio "$st" "$ns")"
    keep_best connect "$ut"
    keep_best nmap_st "$nt"
    keep_best syn "$st"
    keep_best nmap_ss "$ns"
  done
  local u n
  u=$(awk -v a="${best[connect]}" -v b="${best[syn]}" 'BEGIN {print b < a ? b : a}')
  n=$(awk -v a="${best[nmap_st]}" -v b="${best[nmap_ss]}" 'BEGIN {print b < a ? b : a}')
  echo "best of $RUNS: connect: ucscan ${best[connect]}s, nmap -sT ${best[nmap_st]}s, ratio $(ratio "${best[connect]}" "${best[nmap_st]}");" \
    "raw SYN: ucscan ${best[syn]}s, nmap -sS ${best[nmap_ss]}s, ratio $(ratio "${best[syn]}" "${best[nmap_ss]}")"
  echo "fastest of each tool as root: ucscan ${u}s, nmap ${n}s; ratio $(ratio "$u" "$n") (target <= 0.5)"
  awk -v u="$u" -v n="$n" 'BEGIN {exit !(u <= 0.5 * n)}' || ok=0
  ((urss < 64 * 1024)) || ok=0
  # Memory of the whole role on 1,000 hosts (TCP and UDP, ranges included): the plan and the
  # per-port state are made at the start, so 20 s of the scan show its peak; then Ctrl-C.
  local frss
  /usr/bin/time -f "%M" -o "$work/full-time" ip netns exec "$SCAN_NS" timeout -s INT 20 "$UCSCAN" scan \
    --topology "$work/wide.json" --fast --no-progress --out "$work/wide-report.json" \
    >/dev/null 2>&1 || true
  frss=$(tail -n 1 "$work/full-time")
  echo "ucscan --fast, 1,000 hosts x front-end (TCP and UDP, ranges included), first 20 s: peak RSS $((frss / 1024)) MiB (target < 64)"
  ((frss < 64 * 1024)) || ok=0
}

if ((WIDE)); then bench_wide; else bench_12; fi
if ((ok)); then echo "bench: targets met"; else echo "bench: targets NOT met"; exit 1; fi
