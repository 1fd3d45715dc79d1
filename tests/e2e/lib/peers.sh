# shellcheck shell=bash
# tests/e2e/lib/peers.sh: start lib/peers.py (protocol peers and misbehaving servers) from a test.
#
#   srv_peers NS [--cert CRT --key KEY] SPEC...
#     One python3 asyncio process running every SPEC ("[tls:|mtls:]NAME@ADDR:PORT[,opt=v]",
#     see the docstring of peers.py) in namespace NS ("-": the root namespace, loopback only).
#     Ready (every socket bound) when it returns; PID in SRV_PID, log in SRV_LOG (one line per
#     event: accept, recv, datagram, sent, close). Call it from the test's main shell.
#   peers_count LOG WORD [FILTER]   how many log lines have event WORD (and contain FILTER)

if [[ -n ${_UC_PEERS_LOADED:-} ]]; then
  return 0
fi
_UC_PEERS_LOADED=1

# shellcheck source=tests/e2e/lib/servers.sh
source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

_PEERS_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/peers.py"
SRV_LOG=""

srv_peers() {
  (($# >= 2)) || _srv_fatal "usage: srv_peers NS [--cert CRT --key KEY] SPEC..."
  local name=$1 ready opts=() spec addr
  shift
  while (($#)); do
    case $1 in
      --cert | --key) opts+=("$1" "${2:?$1 needs a file}"); shift 2 ;;
      *) break ;;
    esac
  done
  (($# >= 1)) || _srv_fatal "srv_peers: no peer given"
  for spec in "$@"; do
    addr=${spec#*@}
    addr=${addr%%,*}
    _srv_check_addr "$name" "${addr%:*}"
  done
  ready=$(mktemp -u "$NS_STATE/ready.XXXXXX")
  ns_spawn "$name" "peers-$name-$(printf '%s' "${1%%,*}" | tr -c 'A-Za-z0-9_.-' _)" \
    "$(ns_python)" -u "$_PEERS_PY" --ready "$ready" "${opts[@]+"${opts[@]}"}" "$@"
  SRV_PID=$SPAWN_PID
  # shellcheck disable=SC2034 # read by the tests
  SRV_LOG=$SPAWN_LOG
  _srv_wait "$SRV_PID" "$SPAWN_LOG" test -e "$ready"
}

peers_count() {
  local log=$1 word=$2 filter=${3:-}
  awk -v w="$word" -v f="$filter" '$3 == w && index($0, f) { n++ } END { print n + 0 }' "$log"
}

# peers_catalog FILE ROLE ROW...: writes a site catalog (--catalog FILE, mode extend) that gives
# role ROLE one inbound, required row per ROW = PORT/TRANSPORT/PROTOCOL[/APPLICATION]
# (e.g. 5061/tcp/mtls/sip, 3478/udp/stun, 1434/udp/sql-browser), for sfb2015. Row ids are
# "lab-PORT-TRANSPORT" (requirements[0].id in the report).
peers_catalog() {
  (($# >= 3)) || _srv_fatal "usage: peers_catalog FILE ROLE PORT/TRANSPORT/PROTOCOL[/APP]..."
  local file=$1 role=$2 row port tr proto app sep="" n=0
  shift 2
  {
    printf '{"schema": "ucscan-catalog/1", "mode": "extend",\n'
    printf ' "roles": [{"id": "%s", "name": "e2e %s", "description": "rows made by peers_catalog"}],\n' "$role" "$role"
    printf ' "tables": [{"id": "e2e-%s", "title": "e2e", "title_en": "e2e", "rows": [\n' "$role"
    for row in "$@"; do
      IFS=/ read -r port tr proto app <<<"$row"
      [[ $port =~ ^[0-9]+$ && $tr =~ ^(tcp|udp)$ && -n $proto ]] || _srv_fatal "peers_catalog: bad row '$row'"
      n=$((n + 1))
      printf '%s  {"id": "lab-%s-%s", "products": ["sfb2015"], "roles": ["%s"], "seed_role": "e2e",' \
        "$sep" "$port" "$tr" "$role"
      printf ' "service": "e2e %s", "port": %s, "transport": ["%s"], "protocol": "%s",' "$proto" "$port" "$tr" "$proto"
      if [[ -n $app ]]; then printf ' "application": "%s",' "$app"; fi
      printf ' "seed_protocol": "%s", "direction": "inbound", "peer": "Any", "optional": false,' "$tr"
      printf ' "probe": true, "note": "", "source": {"file": "e2e", "table": "e2e-%s", "row": %d}}' "$role" "$n"
      sep=$',\n'
    done
    printf '\n ]}]}\n'
  } >"$file"
}

# assert_check FILE HOST PORT/TRANSPORT VERDICT STATE REASON_REGEX
#   The report's check for HOST (name or address) on PORT/TRANSPORT ("5061/tcp"; "null/tcp"
#   for a range) has this verdict and state, and its reason matches REGEX (bash =~).
assert_check() {
  (($# == 6)) || fail "usage: assert_check FILE HOST PORT/TRANSPORT VERDICT STATE REASON_REGEX"
  local out v s reason
  out=$("$(ns_python)" - "$1" "$2" "$3" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
port, _, tr = sys.argv[3].partition("/")
for h in rep["hosts"]:
    if sys.argv[2] in (h["name"], h["address"]):
        for c in h["checks"]:
            if json.dumps(c["port"]) == port and c["transport"] == tr:
                print("%s\t%s\t%s" % (c["verdict"], c["state"], c["reason"]))
                sys.exit(0)
sys.exit(1)
PY
  ) || fail "${1##*/}: no check $3 for host $2"
  IFS=$'\t' read -r v s reason <<<"$out"
  assert_eq "$4" "$v" "$2 $3 verdict (reason: $reason)"
  assert_eq "$5" "$s" "$2 $3 state (reason: $reason)"
  assert_match "$6" "$reason" "$2 $3 reason"
}

# Timing and memory bounds, for runs under valgrind or sanitizers (set by their CI scripts):
#   UC_E2E_SLOW=N   every time bound is multiplied by N (default 1)
#   E2E_NO_RSS=1       peak-RSS bounds are measured and printed but not enforced
UC_E2E_SLOW=${UC_E2E_SLOW:-1}
[[ $UC_E2E_SLOW =~ ^[1-9][0-9]*$ ]] || _srv_fatal "UC_E2E_SLOW must be a positive integer"

# assert_faster MS BOUND_MS WHAT: MS < BOUND_MS x UC_E2E_SLOW
assert_faster() {
  (($1 < $2 * UC_E2E_SLOW)) && return 0
  fail "$3: took $1 ms (bound $(($2 * UC_E2E_SLOW)) ms)"
}

# assert_rss_below KB BOUND_KB WHAT: KB < BOUND_KB, unless E2E_NO_RSS=1
assert_rss_below() {
  [[ ${E2E_NO_RSS:-0} == 1 ]] && return 0
  (($1 < $2)) && return 0
  fail "$3: peak RSS $1 kB (bound $2 kB)"
}
