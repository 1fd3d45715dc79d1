# shellcheck shell=bash
# tests/e2e/lib/netns.sh: test hosts in network namespaces for ucscan's end-to-end tests.
#
# Sourced by tests/e2e/test_*.sh (run as root by ctest) and by bench/lib/target.sh.
# Everything a test creates (namespaces, veth pairs, root-side routes, nft tables, background
# processes, temp files) is registered in a per-test state directory and removed by ns_cleanup,
# which ns_init installs as the EXIT trap. ns_cleanup is idempotent.
#
# Addresses: the library refuses anything outside 198.18.0.0/15 for namespace hosts. It never
# touches the root namespace's default route, firewall or sysctls; the only root-namespace
# objects it makes are the root ends of its veth pairs (with their connected routes) and, for a
# router topology, one specific route for the test's own 198.18.N.128/25 via that veth.
#
# Names (NAME arguments) are short words ([A-Za-z0-9_], max 24 chars); the namespace is
# "$NS_PREFIX-NAME". NAME "-" (or "root") means the root namespace wherever a function runs
# something "in NAME" (ns_exec, wait_*, probe_*, and the srv_* functions of servers.sh).
#
# API (details above each function):
#   ns_init [TAG]                         start a test: prefix, state dir, traps, stale sweep
#   ns_cleanup                            remove everything (also runs from the EXIT trap)
#   ns_defer 'CMD'                        run CMD (eval) at cleanup, before everything else
#   ns_sweep_stale                        remove leftovers of tests whose shell has died
#   ns_host NAME ADDR/PLEN GW             host namespace, veth to root (root end = GW/PLEN)
#   ns_router_host RNAME HNAME 198.18.N   root -> router -> host, see the layout below
#   ns_island NAME                        a namespace with no link to root (labs of namespaces)
#   ns_link A IFA ADDR/PLEN B IFB ADDR/PLEN   a veth between two namespaces
#   ns_route NAME ROUTE... / ns_forwarding NAME   routes inside a namespace; a router
#   ns_add_addr NAME ADDR                 one more address on a host, in its subnet
#   ns_name NAME / ns_addr NAME / ns_rootif NAME / ns_rootaddr NAME   look-ups
#   ns_exec NAME CMD...                   run CMD inside NAME
#   ns_nft NAME 'RULESET'                 load nft text atomically (nft -f -) inside NAME
#   ns_drop_tcp|ns_drop_udp NAME PORTS    drop (silently) TCP/UDP to PORTS
#   ns_reject_tcp|ns_reject_udp NAME PORTS [HOW]   reject; HOW defaults to icmpx admin-prohibited
#   ns_fw_show NAME                       print the library's nft table (with counters)
#   ns_spawn NAME DESC CMD...             any background command in NAME, registered for cleanup
#   ns_pid_alive PID [STARTTIME]          the process runs (not a zombie)
#   ns_wait_until TIMEOUT CMD...          poll CMD every 20 ms until it succeeds
#   ns_python                             the python3 interpreter to use (NS_PYTHON overrides)
#   wait_tcp_listen NS ADDR PORT [TIMEOUT]   poll connect() until it succeeds
#   wait_tcp_bound NS ADDR PORT [TIMEOUT]    poll ss until a TCP listener is bound (no connect)
#   wait_udp_bound NS PORT [TIMEOUT] [ADDR]  poll ss until a UDP socket is bound
#   probe_tcp NS ADDR PORTS [TIMEOUT]        open|refused|unreach|netunreach|timeout|error:E
#   probe_udp NS ADDR PORT [TIMEOUT] [DATA]  reply|refused|unreach|netunreach|timeout|error:E
#   probe_tcp_icmp NS ADDR PORT [TIMEOUT]    "ICMP_SRC TYPE CODE STATE" seen for one connect()

if [[ -n ${_UC_NETNS_LOADED:-} ]]; then
  return 0
fi
_UC_NETNS_LOADED=1

NS_PREFIX=""  # "ue-TAG-PID": every namespace of this test starts with it
NS_STATE=""   # per-test state directory (registrations, logs, helper scripts)
NS_TMP=""     # scratch directory for the test (removed by ns_cleanup)

# Per-namespace sysctls applied to every namespace we create. They only exist inside that
# namespace (net.* sysctls are per network namespace), so the root namespace is unaffected.
#  - no IPv6 at all: the library only speaks 198.18.0.0/15, and this keeps DAD/RS/MLD noise
#    out of captures;
#  - ICMP errors (port unreachable, admin prohibited) are not rate limited, so a scan of many
#    closed UDP ports or rejected ports sees every answer;
#  - big accept/SYN queues so a fast connect scan never overflows a listener.
NS_SYSCTLS=(
  net.ipv6.conf.all.disable_ipv6=1
  net.ipv6.conf.default.disable_ipv6=1
  net.ipv4.icmp_ratelimit=0
  net.ipv4.icmp_ratemask=0 # no type limited: on kernels (6.1) where the global ICMP budget is
                           # not per namespace, this is what keeps every namespace out of it
  net.ipv4.icmp_msgs_per_sec=100000
  net.ipv4.icmp_msgs_burst=10000
  net.core.somaxconn=65535
  net.ipv4.tcp_max_syn_backlog=65536
)

# ---------------------------------------------------------------------------------------------
# Internal helpers
# ---------------------------------------------------------------------------------------------

_ns_fatal() {
  echo "netns.sh: error: $*" >&2
  exit 1
}

_ns_warn() {
  echo "netns.sh: warning: $*" >&2
}

_ns_need_init() {
  [[ -n $NS_STATE && -d $NS_STATE ]] || _ns_fatal "${FUNCNAME[1]}: call ns_init first"
}

# ns_python: the interpreter for helper scripts. The system python starts faster than a
# pyenv shim; NS_PYTHON overrides.
ns_python() {
  if [[ -n ${NS_PYTHON:-} ]]; then
    printf '%s\n' "$NS_PYTHON"
  elif [[ -x /usr/bin/python3 ]]; then
    printf '%s\n' /usr/bin/python3
  else
    command -v python3 || _ns_fatal "python3 not found"
  fi
}

_ns_is_root() {
  [[ $1 == - || $1 == root ]]
}

_ns_check_name() {
  [[ $1 =~ ^[A-Za-z0-9_]{1,24}$ ]] || _ns_fatal "bad namespace name '$1' ([A-Za-z0-9_], max 24)"
  ! _ns_is_root "$1" || _ns_fatal "'$1' is reserved for the root namespace"
}

# _ns_ip2int A.B.C.D: prints the address as an integer (fails on malformed input).
_ns_ip2int() {
  local a b c d
  local o='(0|[1-9][0-9]{0,2})' # no leading zeros (some parsers read them as octal)
  [[ $1 =~ ^$o\.$o\.$o\.$o$ ]] || return 1
  a=${BASH_REMATCH[1]} b=${BASH_REMATCH[2]} c=${BASH_REMATCH[3]} d=${BASH_REMATCH[4]}
  ((a <= 255 && b <= 255 && c <= 255 && d <= 255)) || return 1
  echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# _ns_check_test_addr ADDR: ADDR must be inside 198.18.0.0/15 (RFC 2544 benchmarking range).
_ns_check_test_addr() {
  local n
  n=$(_ns_ip2int "$1") || _ns_fatal "malformed IPv4 address '$1'"
  (((n >> 17) == ((198 << 7) | (18 >> 1)))) ||
    _ns_fatal "address $1 is outside 198.18.0.0/15: the e2e tests only use their own test hosts"
}

# _ns_check_free NET/PLEN: no route in the root namespace (other than the default) overlaps
# NET/PLEN yet, i.e. no other test (or earlier part of this test) already uses that subnet.
_ns_check_free() {
  local routes
  routes=$({ ip -4 route show match "$1"; ip -4 route show root "$1"; } | grep -v '^default' || true)
  [[ -z $routes ]] || _ns_fatal "subnet $1 overlaps routes of the root namespace ($routes);" \
    "pick another 198.18.x subnet"
}

# _ns_int2ip N: dotted quad of an integer.
_ns_int2ip() {
  echo "$((($1 >> 24) & 255)).$((($1 >> 16) & 255)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

# _ns_secs_to_ms SECONDS: "2", "0.3", "1.25" -> milliseconds, in REPLY.
_ns_secs_to_ms() {
  local s=$1 int frac
  [[ $s =~ ^([0-9]*)(\.([0-9]*))?$ ]] || _ns_fatal "bad timeout '$s' (seconds)"
  int=${BASH_REMATCH[1]:-0} frac=${BASH_REMATCH[3]:-}
  frac=${frac}000
  REPLY=$((10#$int * 1000 + 10#${frac:0:3}))
}

# _ns_now_ms: milliseconds since the epoch, in REPLY (no subshell).
_ns_now_ms() {
  local t=${EPOCHREALTIME/[.,]/}
  REPLY=$((t / 1000))
}

# _ns_starttime PID: the process start time (field 22 of /proc/PID/stat), to recognise a PID
# that has been reused by another process.
_ns_starttime() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- $rest
  echo "${20}"
}

# ns_pid_alive PID [STARTTIME]: the process exists, is not a zombie, and (if given) started at
# STARTTIME.
ns_pid_alive() {
  local stat rest
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  rest=${stat##*) }
  # shellcheck disable=SC2086
  set -- "${2:-}" $rest
  [[ $2 != Z && $2 != X ]] || return 1
  [[ -z $1 || $1 == "${21}" ]]
}

# _ns_kill_pids PID[:STARTTIME]...: SIGTERM, wait up to 2 s, then SIGKILL whatever is left.
_ns_kill_pids() {
  local spec pid st left=() deadline
  for spec in "$@"; do
    pid=${spec%%:*} st=${spec#*:}
    [[ $st == "$spec" ]] && st=""
    if ns_pid_alive "$pid" "$st"; then
      kill -TERM "$pid" 2>/dev/null || true
      left+=("$pid:$st")
    fi
  done
  ((${#left[@]})) || return 0
  _ns_now_ms
  deadline=$((REPLY + 2000))
  while ((${#left[@]})); do
    local still=()
    for spec in "${left[@]}"; do
      ns_pid_alive "${spec%%:*}" "${spec#*:}" && still+=("$spec")
    done
    left=("${still[@]+"${still[@]}"}")
    ((${#left[@]})) || break
    _ns_now_ms
    if ((REPLY > deadline)); then
      for spec in "${left[@]}"; do
        kill -KILL "${spec%%:*}" 2>/dev/null || true
      done
      break
    fi
    sleep 0.02
  done
}

# _ns_delete_netns NETNS: kill every process inside it, then delete it (its veths and nft
# tables go with it).
_ns_delete_netns() {
  local ns=$1 pids
  [[ -e /run/netns/$ns ]] || return 0
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  # shellcheck disable=SC2086
  [[ -z $pids ]] || _ns_kill_pids $pids
  ip netns del "$ns" 2>/dev/null || _ns_warn "could not delete namespace $ns"
}

_ns_meta_set() { printf '%s\n' "$3" >"$NS_STATE/meta/$1.$2"; }
_ns_meta_get() {
  [[ -f $NS_STATE/meta/$1.$2 ]] || _ns_fatal "${FUNCNAME[2]:-}: unknown namespace '$1' (no $2)"
  cat "$NS_STATE/meta/$1.$2"
}

# _ns_new_ifname: a fresh root-side interface name "ue<PID>v<N>" (<= 15 chars), in REPLY.
_ns_new_ifname() {
  local n
  n=$(wc -l <"$NS_STATE/links")
  REPLY="ue$$v$((n + 1))"
  ((${#REPLY} <= 15)) || _ns_fatal "interface name $REPLY too long"
}

# _ns_create NAME KIND: a new namespace with lo up and the per-namespace sysctls.
_ns_create() {
  local name=$1 kind=$2 ns
  _ns_check_name "$name"
  ns=$(ns_name "$name")
  [[ ! -e /run/netns/$ns ]] || _ns_fatal "namespace $ns already exists"
  ip netns add "$ns" || _ns_fatal "ip netns add $ns failed"
  printf '%s\n' "$ns" >>"$NS_STATE/netns"
  _ns_meta_set "$name" kind "$kind"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -q -e -w "${NS_SYSCTLS[@]}" >/dev/null ||
    _ns_warn "some sysctls could not be set in $ns"
}

# _ns_veth_to_root NAME PEER: a veth pair whose root end gets a fresh name (in REPLY) and whose
# other end is PEER inside namespace NAME. IPv6 is disabled on the root end before it comes up.
_ns_veth_to_root() {
  local ns rootif
  ns=$(ns_name "$1")
  _ns_new_ifname
  rootif=$REPLY
  ip link add "$rootif" type veth peer name "$2" netns "$ns" ||
    _ns_fatal "could not create veth $rootif <-> $ns/$2"
  printf '%s\n' "$rootif" >>"$NS_STATE/links"
  if [[ -w /proc/sys/net/ipv6/conf/$rootif/disable_ipv6 ]]; then
    echo 1 >"/proc/sys/net/ipv6/conf/$rootif/disable_ipv6"
  fi
  REPLY=$rootif
}

# ns_spawn NAME DESC CMD...: start CMD in the background inside NAME ("-" = root namespace),
# output to $NS_STATE/logs/DESC.log (path in SPAWN_LOG), PID in SPAWN_PID, registered for
# cleanup (e.g. a tcpdump, or a server this library has no function for). The process gets
# SIGKILL if this shell dies (setpriv --pdeathsig), so a test killed by ctest's timeout leaves
# no server behind. Call it from the test's main shell, not from $(...) or a pipeline.
ns_spawn() {
  local name=$1 desc=$2 log pre=()
  shift 2
  _ns_need_init
  log="$NS_STATE/logs/${desc//[^A-Za-z0-9_.-]/_}.log"
  if [[ -z ${_NS_PDEATHSIG:-} ]]; then
    _NS_PDEATHSIG=no
    if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then _NS_PDEATHSIG=yes; fi
  fi
  [[ $_NS_PDEATHSIG == no ]] || pre=(setpriv --pdeathsig KILL --)
  if _ns_is_root "$name"; then
    "${pre[@]}" "$@" </dev/null >>"$log" 2>&1 &
  else
    "${pre[@]}" ip netns exec "$(ns_name "$name")" "$@" </dev/null >>"$log" 2>&1 &
  fi
  SPAWN_PID=$!
  disown "$SPAWN_PID" 2>/dev/null || true
  # shellcheck disable=SC2034 # read by servers.sh and the tests
  SPAWN_LOG=$log
  printf '%s %s %s\n' "$SPAWN_PID" "$(_ns_starttime "$SPAWN_PID" || echo 0)" "$desc" \
    >>"$NS_STATE/pids"
}

# _ns_probe_py: path of the probe helper (written once per test).
_ns_probe_py() {
  _ns_need_init
  REPLY="$NS_STATE/uc_probe.py"
  [[ -f $REPLY ]] && return 0
  cat >"$REPLY" <<'PY'
"""Probe helper for tests/e2e/lib/netns.sh: connect()/send() from the current namespace."""
import errno, selectors, socket, struct, sys, time

NAMES = {0: "open", errno.ECONNREFUSED: "refused", errno.EHOSTUNREACH: "unreach",
         errno.ENETUNREACH: "netunreach", errno.ETIMEDOUT: "timeout"}

def state(err):
    return NAMES.get(err, "error:" + errno.errorcode.get(err, str(err)))

def ports(spec):
    out = []
    for tok in spec.replace(",", " ").split():
        lo, _, hi = tok.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out

def probe_tcp(addr, spec, timeout):
    todo, res, live = ports(spec), {}, {}
    sel = selectors.DefaultSelector()
    while todo or live:
        while todo and len(live) < 512:
            p = todo.pop(0)
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((addr, p))
            if rc == errno.EINPROGRESS:
                live[s] = (p, time.monotonic() + timeout)
                sel.register(s, selectors.EVENT_WRITE)
            else:
                res[p] = state(rc)
                s.close()
        if not live:
            break
        wait = max(0.0, min(dl for _, dl in live.values()) - time.monotonic())
        for key, _ in sel.select(wait):
            s = key.fileobj
            res[live.pop(s)[0]] = state(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
            sel.unregister(s)
            s.close()
        now = time.monotonic()
        for s, (p, dl) in list(live.items()):
            if now >= dl:
                res[p] = "timeout"
                del live[s]
                sel.unregister(s)
                s.close()
    return res

def probe_udp(addr, port, timeout, data):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.connect((addr, port))
        s.send(data)
        s.recv(65535)
        return "reply"
    except socket.timeout:
        return "timeout"
    except OSError as e:
        return state(e.errno)

def probe_tcp_icmp(addr, port, timeout):
    """One connect() while a raw socket watches for the ICMP error quoting it."""
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    raw.setblocking(False)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    rc = s.connect_ex((addr, port))
    result = None if rc == errno.EINPROGRESS else state(rc)
    icmp = None
    sel = selectors.DefaultSelector()
    sel.register(raw, selectors.EVENT_READ)
    if result is None:
        sel.register(s, selectors.EVENT_WRITE)
    deadline = time.monotonic() + timeout
    while (result is None or icmp is None) and time.monotonic() < deadline:
        for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
            if key.fileobj is s:
                result = state(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
                sel.unregister(s)
                continue
            pkt, (src, _) = raw.recvfrom(65535)
            ihl = (pkt[0] & 15) * 4
            typ, code = pkt[ihl], pkt[ihl + 1]
            inner = pkt[ihl + 8:]
            if typ != 3 or len(inner) < 24:
                continue
            iihl = (inner[0] & 15) * 4
            idst = socket.inet_ntoa(inner[16:20])
            if inner[9] == 6 and idst == addr and len(inner) >= iihl + 4:
                if struct.unpack("!H", inner[iihl + 2:iihl + 4])[0] == port:
                    icmp = (src, typ, code)
        # A SYN answered by SYN-ACK or RST brings no ICMP: stop once connect() has an answer
        # that is not an ICMP-driven error.
        if result in ("open", "refused") and icmp is None:
            break
    if result is None:
        result = "timeout"
    src, typ, code = icmp if icmp else ("-", "-", "-")
    return "%s %s %s %s" % (src, typ, code, result)

def main():
    cmd, addr = sys.argv[1], sys.argv[2]
    if cmd == "tcp":
        timeout = float(sys.argv[4])
        res = probe_tcp(addr, sys.argv[3], timeout)
        if len(res) == 1:
            print(next(iter(res.values())))
        else:
            for p in sorted(res):
                print(p, res[p])
    elif cmd == "udp":
        print(probe_udp(addr, int(sys.argv[3]), float(sys.argv[4]), sys.argv[5].encode()))
    elif cmd == "tcp-icmp":
        print(probe_tcp_icmp(addr, int(sys.argv[3]), float(sys.argv[4])))
    elif cmd == "wait-connect":
        deadline = time.monotonic() + float(sys.argv[4])
        while True:
            try:
                socket.create_connection((addr, int(sys.argv[3])), timeout=0.25).close()
                return 0
            except OSError as e:
                if time.monotonic() >= deadline:
                    print("no listener on %s:%s: %s" % (addr, sys.argv[3], e), file=sys.stderr)
                    return 1
                time.sleep(0.01)
    else:
        raise SystemExit("unknown command " + cmd)
    return 0

sys.exit(main())
PY
}

# ---------------------------------------------------------------------------------------------
# Life cycle
# ---------------------------------------------------------------------------------------------

# ns_init [TAG]
#   Starts a test: NS_PREFIX="ue-TAG-$$" (TAG defaults to the script name without "test_"),
#   a state directory, NS_TMP (scratch dir), and traps: EXIT runs ns_cleanup and keeps the exit
#   status; INT/TERM/HUP exit (so the EXIT trap cleans up). Sweeps leftovers of dead tests first.
#   If the test needs its own cleanup, use ns_defer rather than replacing the EXIT trap.
ns_init() {
  local tag=${1:-}
  if [[ $EUID -ne 0 ]]; then
    # ctest's SKIP_RETURN_CODE: reported as skipped, not failed (CI runs them as root)
    echo "SKIP: $(basename "$0") needs root (network namespaces, nftables)" >&2
    exit 77
  fi
  local cmd
  for cmd in ip nft ss setpriv; do
    command -v "$cmd" >/dev/null || _ns_fatal "$cmd not found (apt-get install iproute2 nftables util-linux)"
  done
  [[ -z $NS_STATE ]] || _ns_fatal "ns_init called twice"
  if [[ -z $tag ]]; then
    tag=$(basename "$0" .sh)
    tag=${tag#test_}
  fi
  tag=${tag//[^A-Za-z0-9]/}
  tag=${tag:0:16}
  NS_PREFIX="ue-${tag:-t}-$$"
  ns_sweep_stale
  NS_STATE=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-e2e.$$.XXXXXX")
  NS_TMP="$NS_STATE/tmp"
  mkdir -p "$NS_STATE/logs" "$NS_STATE/meta" "$NS_TMP"
  : >"$NS_STATE/pids"
  : >"$NS_STATE/netns"
  : >"$NS_STATE/links"
  : >"$NS_STATE/defer"
  trap '_ns_on_exit' EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_ns_on_exit() {
  local rc=$?
  ns_cleanup "$rc"
  exit "$rc"
}

# ns_defer 'COMMAND': run COMMAND (with eval) at cleanup, before servers and namespaces go.
# Deferred commands run in reverse order of registration.
ns_defer() {
  _ns_need_init
  printf '%s\n' "$1" >>"$NS_STATE/defer"
}

# ns_cleanup [RC]: kill the test's processes, delete its namespaces (with their veths and nft
# tables) and root-side veths, remove the state directory. With RC != 0 (the EXIT trap passes
# the exit status), first print the server logs and nft counters to help debugging.
# Idempotent; safe to call before ns_init. E2E_KEEP_TMP=1 keeps the state directory.
ns_cleanup() {
  local - rc=${1:-0} line specs=() ns link
  set +e
  [[ -n $NS_STATE && -d $NS_STATE ]] || return 0
  while IFS= read -r line; do
    [[ -n $line ]] && eval "$line"
  done < <(tac "$NS_STATE/defer")
  if [[ $rc != 0 ]]; then
    _ns_dump_debug
  fi
  while read -r line; do
    # shellcheck disable=SC2086
    set -- $line
    [[ $# -ge 2 ]] && specs+=("$1:$2")
  done <"$NS_STATE/pids"
  ((${#specs[@]})) && _ns_kill_pids "${specs[@]}"
  while IFS= read -r ns; do
    _ns_delete_netns "$ns"
  done < <(tac "$NS_STATE/netns")
  # Safety net: anything with our prefix that escaped registration.
  while read -r ns _; do
    [[ $ns == "$NS_PREFIX"-* ]] && _ns_delete_netns "$ns"
  done < <(ip netns list 2>/dev/null)
  while IFS= read -r link; do
    ip link show dev "$link" >/dev/null 2>&1 && ip link del dev "$link"
  done <"$NS_STATE/links"
  if [[ ${E2E_KEEP_TMP:-0} == 1 ]]; then
    echo "netns.sh: kept $NS_STATE" >&2
  else
    rm -rf "$NS_STATE"
  fi
  NS_STATE=""
  NS_TMP=""
  return 0
}

_ns_dump_debug() {
  local f ns
  for f in "$NS_STATE"/logs/*.log; do
    [[ -s $f ]] || continue
    echo "---- ${f##*/} (last 30 lines) ----" >&2
    tail -n 30 "$f" >&2
  done
  while IFS= read -r ns; do
    [[ -e /run/netns/$ns ]] || continue
    if ip netns exec "$ns" nft list tables 2>/dev/null | grep -q .; then
      echo "---- nft ruleset of $ns ----" >&2
      ip netns exec "$ns" nft list ruleset >&2 2>/dev/null
    fi
  done <"$NS_STATE/netns"
}

# ns_sweep_stale: delete namespaces "ue-*-PID-*", veths "ue<PID>v<N>" and state directories
# whose test shell PID is gone (a test killed with SIGKILL, e.g. by ctest's timeout, cannot run
# its trap). Tests that are still running are never touched. Called by ns_init.
ns_sweep_stale() {
  local ns link pid dir line
  while read -r ns _; do
    [[ $ns =~ ^ue-[A-Za-z0-9]*-([0-9]+)- ]] || continue
    pid=${BASH_REMATCH[1]}
    kill -0 "$pid" 2>/dev/null && continue
    _ns_delete_netns "$ns"
  done < <(ip netns list 2>/dev/null)
  while read -r link; do
    [[ $link =~ ^ue([0-9]+)v[0-9]+$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    ip link del dev "$link" 2>/dev/null || true
  done < <(ip -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}')
  for dir in "${TMPDIR:-/tmp}"/ucscan-e2e.*.*; do
    [[ -d $dir && $dir =~ /ucscan-e2e\.([0-9]+)\.[^/]*$ ]] || continue
    kill -0 "${BASH_REMATCH[1]}" 2>/dev/null && continue
    if [[ -f $dir/pids ]]; then
      local specs=()
      while read -r line; do
        # shellcheck disable=SC2086
        set -- $line
        [[ $# -ge 2 ]] && specs+=("$1:$2")
      done <"$dir/pids"
      ((${#specs[@]})) && _ns_kill_pids "${specs[@]}"
    fi
    rm -rf "$dir"
  done
  return 0
}

# ---------------------------------------------------------------------------------------------
# Topologies
# ---------------------------------------------------------------------------------------------

# ns_name NAME: the full namespace name ("$NS_PREFIX-NAME").
ns_name() {
  [[ -n $NS_PREFIX ]] || _ns_fatal "ns_name: call ns_init first"
  printf '%s-%s\n' "$NS_PREFIX" "$1"
}

# ns_host NAME ADDR/PLEN GW
#   Creates namespace NAME with lo up and a veth pair to the root namespace: "eth0" inside with
#   ADDR/PLEN and a default route via GW; the root end gets GW/PLEN, so the root namespace (where
#   ucscan runs) reaches ADDR directly on a connected route. Both addresses must be in
#   198.18.0.0/15 and the subnet must be unused. Example: ns_host h1 198.18.1.2/30 198.18.1.1
ns_host() {
  (($# == 3)) || _ns_fatal "usage: ns_host NAME ADDR/PLEN GW"
  _ns_need_init
  local name=$1 cidr=$2 gw=$3 addr plen ns rootif na ng
  [[ $cidr == */* ]] || _ns_fatal "ns_host: '$cidr' needs a prefix length (ADDR/PLEN)"
  addr=${cidr%/*} plen=${cidr#*/}
  if ! [[ $plen =~ ^[0-9]+$ ]] || ((plen < 15 || plen > 30)); then
    _ns_fatal "ns_host: prefix length must be 15..30"
  fi
  _ns_check_test_addr "$addr"
  _ns_check_test_addr "$gw"
  na=$(_ns_ip2int "$addr") ng=$(_ns_ip2int "$gw")
  ((na != ng && (na >> (32 - plen)) == (ng >> (32 - plen)))) ||
    _ns_fatal "ns_host: $addr and $gw must be different addresses of one /$plen"
  _ns_check_free "$(_ns_int2ip $((na >> (32 - plen) << (32 - plen))))/$plen"
  _ns_create "$name" host
  ns=$(ns_name "$name")
  _ns_veth_to_root "$name" eth0
  rootif=$REPLY
  ip addr add "$gw/$plen" dev "$rootif"
  ip link set dev "$rootif" up
  ip -n "$ns" addr add "$cidr" dev eth0
  ip -n "$ns" link set dev eth0 up
  ip -n "$ns" route add default via "$gw"
  _ns_meta_set "$name" addr "$addr"
  _ns_meta_set "$name" plen "$plen"
  _ns_meta_set "$name" rootif "$rootif"
  _ns_meta_set "$name" rootaddr "$gw"
}

# ns_router_host RNAME HNAME NET
#   NET is "198.18.N" (or "198.18.N.0/24"); the test owns that /24. Builds
#       root [NET.1/30] --veth-- [NET.2/30 wan0] RNAME [lan0 NET.129/25] --veth-- [NET.130/25 eth0] HNAME
#   Forwarding is enabled inside RNAME only. The root namespace gets one route,
#   NET.128/25 via NET.2 on the test's veth (never a default route). Firewall helpers called on
#   RNAME put their rules in RNAME's forward chain, for packets coming in from the root side, so
#   rejects are answered by the router: ICMP errors come from NET.2, not from the host NET.130.
#   ns_addr RNAME = NET.2, ns_addr HNAME = NET.130, ns_rootif RNAME/HNAME = the root veth.
ns_router_host() {
  (($# == 3)) || _ns_fatal "usage: ns_router_host RNAME HNAME 198.18.N"
  _ns_need_init
  local rname=$1 hname=$2 net=${3%.0/24} rns hns rootif
  [[ $net =~ ^198\.1[89]\.[0-9]{1,3}$ ]] || _ns_fatal "ns_router_host: NET must be 198.18.N or 198.19.N"
  _ns_check_test_addr "$net.1"
  _ns_check_free "$net.0/24"
  _ns_create "$rname" router
  _ns_create "$hname" host
  rns=$(ns_name "$rname") hns=$(ns_name "$hname")
  _ns_veth_to_root "$rname" wan0
  rootif=$REPLY
  ip addr add "$net.1/30" dev "$rootif"
  ip link set dev "$rootif" up
  ip -n "$rns" addr add "$net.2/30" dev wan0
  ip -n "$rns" link set dev wan0 up
  ip -n "$rns" link add lan0 type veth peer name eth0 netns "$hns" ||
    _ns_fatal "could not create veth $rns/lan0 <-> $hns/eth0"
  ip -n "$rns" addr add "$net.129/25" dev lan0
  ip -n "$rns" link set dev lan0 up
  ip -n "$rns" route add default via "$net.1"
  ip netns exec "$rns" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
  ip -n "$hns" addr add "$net.130/25" dev eth0
  ip -n "$hns" link set dev eth0 up
  ip -n "$hns" route add default via "$net.129"
  ip route add "$net.128/25" via "$net.2" dev "$rootif"
  _ns_meta_set "$rname" addr "$net.2"
  _ns_meta_set "$rname" rootif "$rootif"
  _ns_meta_set "$rname" rootaddr "$net.1"
  _ns_meta_set "$hname" addr "$net.130"
  _ns_meta_set "$hname" plen 25
  _ns_meta_set "$hname" rootif "$rootif"
  _ns_meta_set "$hname" rootaddr "$net.1"
  _ns_meta_set "$hname" router "$rname"
}

# ns_addr NAME: the namespace's address as seen from the root namespace.
ns_addr() { _ns_meta_get "$1" addr; }
# ns_rootif NAME: the root-side veth that leads to NAME (for tcpdump -i).
ns_rootif() { _ns_meta_get "$1" rootif; }
# ns_rootaddr NAME: the root namespace's address on that veth (the scanner's source address).
ns_rootaddr() { _ns_meta_get "$1" rootaddr; }

# ns_add_addr NAME ADDR: one more address for host NAME, inside the subnet of its first one
# (so the root namespace reaches it on the same route), e.g. a second edge IP.
ns_add_addr() {
  (($# == 2)) || _ns_fatal "usage: ns_add_addr NAME ADDR"
  local plen first
  plen=$(_ns_meta_get "$1" plen)
  first=$(_ns_meta_get "$1" addr)
  _ns_check_test_addr "$2"
  (($(_ns_ip2int "$2") >> (32 - plen) == $(_ns_ip2int "$first") >> (32 - plen))) ||
    _ns_fatal "ns_add_addr: $2 is not in $first/$plen"
  [[ $2 != "$(_ns_meta_get "$1" rootaddr)" ]] || _ns_fatal "ns_add_addr: $2 is the root end's address"
  ip -n "$(ns_name "$1")" addr add "$2/$plen" dev eth0 || _ns_fatal "could not add $2 to $1"
}

# ns_island NAME: a namespace with no link to the root namespace (lo only): for labs whose
# machines, scanners included, all live in namespaces wired with ns_link. Nothing of it
# appears in the root namespace, so two runs of one lab never collide there.
ns_island() {
  (($# == 1)) || _ns_fatal "usage: ns_island NAME"
  _ns_need_init
  _ns_create "$1" host
}

# ns_link A IFA ADDR_A/PLEN B IFB ADDR_B/PLEN: a veth between namespaces A (interface IFA,
# address ADDR_A) and B (IFB, ADDR_B), both up. Either address may be "-" (no address).
# Records ADDR_A as A's address when A has none yet (ns_addr), likewise for B.
ns_link() {
  (($# == 6)) || _ns_fatal "usage: ns_link A IFA ADDR_A/PLEN B IFB ADDR_B/PLEN"
  local a=$1 ifa=$2 ca=$3 b=$4 ifb=$5 cb=$6 nsa nsb
  nsa=$(ns_name "$a") nsb=$(ns_name "$b")
  ip -n "$nsa" link add "$ifa" type veth peer name "$ifb" netns "$nsb" ||
    _ns_fatal "could not create veth $nsa/$ifa <-> $nsb/$ifb"
  local side ns ifn cidr name
  for side in a b; do
    if [[ $side == a ]]; then ns=$nsa ifn=$ifa cidr=$ca name=$a; else ns=$nsb ifn=$ifb cidr=$cb name=$b; fi
    if [[ $cidr != - ]]; then
      _ns_check_test_addr "${cidr%/*}"
      ip -n "$ns" addr add "$cidr" dev "$ifn"
      [[ -f $NS_STATE/meta/$name.addr ]] || {
        _ns_meta_set "$name" addr "${cidr%/*}"
        _ns_meta_set "$name" plen "${cidr#*/}"
      }
    fi
    ip -n "$ns" link set dev "$ifn" up
  done
}

# ns_route NAME ROUTE...: `ip route add ROUTE...` inside NAME (e.g. default via 198.18.80.1).
ns_route() {
  local name=$1
  shift
  ip -n "$(ns_name "$name")" route add "$@" || _ns_fatal "ip route add $* failed in $name"
}

# ns_forwarding NAME: NAME routes between its links (a router or firewall of a lab).
ns_forwarding() {
  ns_exec "$1" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null
}

# ns_exec NAME CMD...: run CMD inside namespace NAME ("-" = root namespace, runs CMD as is).
ns_exec() {
  local name=$1
  shift
  if _ns_is_root "$name"; then
    "$@"
  else
    ip netns exec "$(ns_name "$name")" "$@"
  fi
}

# ---------------------------------------------------------------------------------------------
# Firewall (nftables, inet family, inside the namespace only)
# ---------------------------------------------------------------------------------------------

# ns_nft NAME 'RULESET': load nft syntax atomically (nft -f -) inside namespace NAME. The root
# namespace is refused: the tests never touch its firewall.
ns_nft() {
  (($# == 2)) || _ns_fatal "usage: ns_nft NAME 'nft ruleset text'"
  ! _ns_is_root "$1" || _ns_fatal "ns_nft: refusing to change the root namespace's firewall"
  ns_exec "$1" nft -f - <<<"$2" || _ns_fatal "nft rejected this ruleset in $1:"$'\n'"$2"
}

# ns_nft_packets NAME TABLE COUNTER: the packets a named counter of `table inet TABLE` in
# namespace NAME has counted.
ns_nft_packets() {
  (($# == 3)) || _ns_fatal "usage: ns_nft_packets NAME TABLE COUNTER"
  ns_exec "$1" nft list counter inet "$2" "$3" |
    awk '/packets/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

# _ns_fw_add NAME RULE: append RULE to the library's table "inet uc_e2e" in NAME, created on
# first use with an input and a forward chain (policy accept). Rules go to the input chain of a
# host and to the forward chain of a router (restricted to packets arriving on wan0, so replies
# from the host are never filtered); NS_FW_CHAIN=input|forward overrides. First match wins, in
# the order the helpers were called.
_ns_fw_add() {
  local name=$1 rule=$2 chain kind
  _ns_need_init
  kind=$(_ns_meta_get "$name" kind)
  if [[ ! -f $NS_STATE/meta/$name.fw ]]; then
    ns_nft "$name" "table inet uc_e2e {
  chain input { type filter hook input priority filter; policy accept; }
  chain forward { type filter hook forward priority filter; policy accept; }
}"
    : >"$NS_STATE/meta/$name.fw"
  fi
  chain=${NS_FW_CHAIN:-}
  if [[ -z $chain ]]; then
    if [[ $kind == router ]]; then chain=forward; else chain=input; fi
  fi
  [[ $chain == input || $chain == forward ]] || _ns_fatal "NS_FW_CHAIN must be input or forward"
  if [[ $chain == forward && $kind == router ]]; then
    rule="iifname \"wan0\" $rule"
  fi
  ns_nft "$name" "add rule inet uc_e2e $chain $rule"
}

# _ns_portset PORTS: "80" | "80,443" | "49152-57500" | "5060-5061,49152-50000 60000" -> nft
# expression (a single value/range or an anonymous interval set), in REPLY.
_ns_portset() {
  local spec=${1//,/ } tok items=()
  for tok in $spec; do
    [[ $tok =~ ^[0-9]{1,5}(-[0-9]{1,5})?$ ]] || _ns_fatal "bad port or range '$tok' in '$1'"
    items+=("$tok")
  done
  ((${#items[@]})) || _ns_fatal "empty port list"
  if ((${#items[@]} == 1)); then
    REPLY=${items[0]}
  else
    local IFS=,
    REPLY="{ ${items[*]} }"
    REPLY=${REPLY//,/, }
  fi
}

# _ns_reject_stmt PROTO HOW...: the nft reject statement for HOW, in REPLY.
#   HOW: "icmpx CODE" (CODE: admin-prohibited, port-unreachable, host-unreachable, no-route),
#        "icmp CODE" (IPv4 codes: port-unreachable, host-unreachable, net-unreachable,
#        prot-unreachable, net-prohibited, host-prohibited, admin-prohibited),
#        "tcp reset" (TCP only). The word "type" is optional.
_ns_reject_stmt() {
  local proto=$1 how
  shift
  how=" $* "
  how=${how// type / }
  # shellcheck disable=SC2086
  set -- $how
  case "${1:-icmpx}" in
    icmpx) REPLY="reject with icmpx type ${2:-admin-prohibited}" ;;
    icmp) REPLY="meta nfproto ipv4 reject with icmp type ${2:?icmp needs a code}" ;;
    tcp)
      [[ $proto == tcp && ${2:-} == reset ]] || _ns_fatal "'tcp reset' only applies to TCP rules"
      REPLY="reject with tcp reset"
      ;;
    *) _ns_fatal "unknown reject type '$*' (icmpx CODE | icmp CODE | tcp reset)" ;;
  esac
}

# ns_drop_tcp NAME PORTS / ns_drop_udp NAME PORTS: silently drop packets to PORTS (a port, a
# range "49152-57500", or a list of both "80,443,50000-50100").
ns_drop_tcp() {
  (($# == 2)) || _ns_fatal "usage: ns_drop_tcp NAME PORTS"
  _ns_portset "$2"
  _ns_fw_add "$1" "tcp dport $REPLY counter drop"
}
ns_drop_udp() {
  (($# == 2)) || _ns_fatal "usage: ns_drop_udp NAME PORTS"
  _ns_portset "$2"
  _ns_fw_add "$1" "udp dport $REPLY counter drop"
}

# ns_reject_tcp NAME PORTS [HOW] / ns_reject_udp NAME PORTS [HOW]: reject packets to PORTS.
# HOW defaults to "icmpx admin-prohibited" (a firewall saying no: connect() gets EHOSTUNREACH);
# "tcp reset" looks like a closed port, "icmp port-unreachable" like a closed UDP port.
ns_reject_tcp() {
  (($# >= 2)) || _ns_fatal "usage: ns_reject_tcp NAME PORTS [icmpx CODE|icmp CODE|tcp reset]"
  local name=$1 stmt
  _ns_reject_stmt tcp "${@:3}"
  stmt=$REPLY
  _ns_portset "$2"
  _ns_fw_add "$name" "tcp dport $REPLY counter $stmt"
}
ns_reject_udp() {
  (($# >= 2)) || _ns_fatal "usage: ns_reject_udp NAME PORTS [icmpx CODE|icmp CODE]"
  local name=$1 stmt
  _ns_reject_stmt udp "${@:3}"
  stmt=$REPLY
  _ns_portset "$2"
  _ns_fw_add "$name" "udp dport $REPLY counter $stmt"
}

# ns_fw_show NAME: the library's table in NAME, with rule counters (handy in failure messages).
ns_fw_show() {
  ns_exec "$1" nft list table inet uc_e2e
}

# ---------------------------------------------------------------------------------------------
# Waiting (polling, never a fixed sleep)
# ---------------------------------------------------------------------------------------------

# _ns_wait_ss NS t|u ADDR PORT TIMEOUT: poll ss inside NS until a listening TCP (t) or bound UDP
# (u) socket on PORT (and on ADDR unless ADDR is empty) exists.
_ns_wait_ss() {
  local name=$1 proto=$2 addr=$3 port=$4 timeout=${5:-5} deadline filter out
  filter="sport = :$port"
  [[ -n $addr ]] && filter="src $addr:$port"
  _ns_secs_to_ms "$timeout"
  deadline=$REPLY
  _ns_now_ms
  deadline=$((REPLY + deadline))
  while :; do
    out=$(ns_exec "$name" ss -Hln"$proto" "$filter" 2>/dev/null || true)
    [[ -n $out ]] && return 0
    _ns_now_ms
    ((REPLY < deadline)) || break
    sleep 0.02
  done
  echo "netns.sh: nothing bound on ${addr:-*}:$port/$([[ $proto == t ]] && echo tcp || echo udp)" \
    "in '$name' after ${timeout}s" >&2
  return 1
}

# ns_wait_until TIMEOUT CMD...: run CMD every 20 ms until it succeeds (returns 0) or TIMEOUT
# seconds (fractions allowed) have passed (returns 1).
ns_wait_until() {
  (($# >= 2)) || _ns_fatal "usage: ns_wait_until TIMEOUT CMD..."
  local deadline
  _ns_secs_to_ms "$1"
  deadline=$REPLY
  shift
  _ns_now_ms
  deadline=$((REPLY + deadline))
  until "$@"; do
    _ns_now_ms
    ((REPLY < deadline)) || return 1
    sleep 0.02
  done
}

# wait_tcp_listen NS ADDR PORT [TIMEOUT=5]: from inside NS ("-" = root), poll connect() to
# ADDR:PORT until it succeeds. Note: this makes (and closes) a real connection; use
# wait_tcp_bound for servers that must not see an extra client.
wait_tcp_listen() {
  (($# >= 3)) || _ns_fatal "usage: wait_tcp_listen NS ADDR PORT [TIMEOUT]"
  _ns_probe_py
  ns_exec "$1" "$(ns_python)" "$REPLY" wait-connect "$2" "$3" "${4:-5}"
}

# wait_tcp_bound NS ADDR PORT [TIMEOUT=5]: poll `ss` inside NS until a TCP listener is bound to
# ADDR:PORT. Does not connect.
wait_tcp_bound() {
  (($# >= 3)) || _ns_fatal "usage: wait_tcp_bound NS ADDR PORT [TIMEOUT]"
  _ns_wait_ss "$1" t "$2" "$3" "${4:-5}"
}

# wait_udp_bound NS PORT [TIMEOUT=5] [ADDR]: poll `ss` inside NS until a UDP socket is bound to
# PORT (on ADDR if given).
wait_udp_bound() {
  (($# >= 2)) || _ns_fatal "usage: wait_udp_bound NS PORT [TIMEOUT] [ADDR]"
  _ns_wait_ss "$1" u "${4:-}" "$2" "${3:-5}"
}

# ---------------------------------------------------------------------------------------------
# Probes (what a client in NS observes), for tests that check the library or the topology
# ---------------------------------------------------------------------------------------------

# probe_tcp NS ADDR PORTS [TIMEOUT=1]: connect() from NS to each port (concurrently). One port:
# prints its state; several: "PORT STATE" lines. States: open, refused (RST: ECONNREFUSED),
# unreach (EHOSTUNREACH: ICMP admin-prohibited/host-unreachable), netunreach, timeout (no answer
# within TIMEOUT seconds: dropped), error:ERRNO.
probe_tcp() {
  (($# >= 3)) || _ns_fatal "usage: probe_tcp NS ADDR PORTS [TIMEOUT]"
  _ns_probe_py
  ns_exec "$1" "$(ns_python)" "$REPLY" tcp "$2" "$3" "${4:-1}"
}

# probe_udp NS ADDR PORT [TIMEOUT=1] [DATA=ucscan-probe]: send DATA on a connected UDP socket and
# wait for any reply. States: reply, refused (ICMP port unreachable), unreach (ICMP
# admin-prohibited), timeout, error:ERRNO.
probe_udp() {
  (($# >= 3)) || _ns_fatal "usage: probe_udp NS ADDR PORT [TIMEOUT] [DATA]"
  _ns_probe_py
  ns_exec "$1" "$(ns_python)" "$REPLY" udp "$2" "$3" "${4:-1}" "${5:-ucscan-probe}"
}

# probe_tcp_icmp NS ADDR PORT [TIMEOUT=1]: one connect() while a raw ICMP socket in NS watches for
# a destination-unreachable that quotes it. Prints "ICMP_SRC TYPE CODE STATE", e.g.
# "198.18.2.2 3 13 unreach" (admin prohibited, sent by the router), or "- - - open".
probe_tcp_icmp() {
  (($# >= 3)) || _ns_fatal "usage: probe_tcp_icmp NS ADDR PORT [TIMEOUT]"
  _ns_probe_py
  ns_exec "$1" "$(ns_python)" "$REPLY" tcp-icmp "$2" "$3" "${4:-1}"
}
