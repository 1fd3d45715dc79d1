#!/usr/bin/env bash
# tests/e2e/test_vantage_clients.sh: a scan from the client network judges only what clients
# need (issue 10: "a scan from a client VLAN fails server-to-server ports that the firewall
# rightly blocks there"). Needs root. Uses 198.18.84.0/24 - 198.18.86.0/24, all inside its own
# namespaces (nothing in the root one).
#
#   servers 198.18.84.0/24        clients 198.18.85.0/24
#   [srv .10: scanner]            [cli .10: scanner]
#          \ lan0 .1                    / vlan0 .1
#           +------------[ fw ]--------+        forward policy drop, counters
#                          | fe0 .1
#                  198.18.86.0/24: [fe .10: ucscan listen --role front-end]
#
# The Front End's rows are the built-in catalog's own (their "from" as transcribed), cut to
# a few (a site catalog in replace mode: the ranges of tens of thousands of ports would only
# make the test slow): the firewall lets the server network reach every port, and the client
# network only the ports whose rows name clients, one of them (8057/tcp, Web Conferencing,
# clients only) dropped: the planted fault. Every other packet from the clients is counted.
#
#  1. --from clients: exit 1, 8057 fails (filtered), every client port passes, every
#     server-only port is skipped naming the server network, and nothing was sent to one.
#  2. --from servers: exit 0, every server port passes, 8057 is skipped naming the clients.
#  3. merge: 8057 fails from the clients, every other check passes from a vantage entitled
#     to it, none uncovered.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

: "${UCSCAN:?set UCSCAN to the ucscan binary}"
ok() { printf 'ok - %s\n' "$*"; }
SLOW=${UC_E2E_SLOW:-1}

ns_init vantagecli
for n in srv cli fw fe; do ns_island "$n"; done
ns_link fw lan0 198.18.84.1/24 srv eth0 198.18.84.10/24
ns_link fw vlan0 198.18.85.1/24 cli eth0 198.18.85.10/24
ns_link fw fe0 198.18.86.1/24 fe eth0 198.18.86.10/24
ns_forwarding fw
ns_route srv default via 198.18.84.1
ns_route cli default via 198.18.85.1
ns_route fe default via 198.18.86.1

# The built-in Front End rows of these ports, unchanged but for the cut.
CAT=$NS_TMP/fe-catalog.json
"$UCSCAN" catalog --product sfb2015 --role front-end --json >"$NS_TMP/all.json"
"$(ns_python)" - "$NS_TMP/all.json" "$CAT" <<'PY'
import json, sys
keep = {"sfb2015-front-end-5061-tcp", "sfb2015-front-end-444-tcp", "sfb2015-front-end-5062-tcp",
        "sfb2015-front-end-8057-tcp", "sfb2015-front-end-443-tcp",
        "sfb2015-front-end-mobility-443-tcp", "sfb2015-front-end-5071-tcp",
        "sfb2015-all-servers-1434-udp"}
doc = json.load(open(sys.argv[1]))
found = set()
for t in doc["tables"]:
    t["rows"] = [r for r in t["rows"] if r["id"] in keep]
    found |= {r["id"] for r in t["rows"]}
doc["tables"] = [t for t in doc["tables"] if t["rows"]]
missing = keep - found
if missing:
    sys.exit("rows not in the built-in catalog: %s" % sorted(missing))
json.dump(doc, open(sys.argv[2], "w"))
PY
# "port/transport" of every inbound row that names the clients (what their firewall opens)
client_ports=$("$(ns_python)" - "$CAT" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
ports = sorted({"%s/%s" % (r["port"], tr) for t in doc["tables"] for r in t["rows"]
                if "clients" in r["from"] and r["direction"] == "inbound" for tr in r["transport"]})
print(" ".join(ports))
PY
)
assert_eq "443/tcp 5061/tcp 8057/tcp" "$client_ports" "the client rows of the cut (premise)"

ns_nft fw "table inet lab {
  counter clients_to_server_only {}
  counter clients_dropped_8057 {}
  counter servers_to_fe {}
  counter servers_to_8057 {}
  chain filter_forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    ip saddr 198.18.84.0/24 ip daddr 198.18.86.10 tcp dport 8057 counter name servers_to_8057 accept
    ip saddr 198.18.84.0/24 ip daddr 198.18.86.10 counter name servers_to_fe accept
    ip saddr 198.18.85.0/24 ip daddr 198.18.86.10 tcp dport 8057 counter name clients_dropped_8057 drop
    ip saddr 198.18.85.0/24 ip daddr 198.18.86.10 tcp dport { 443, 5061 } accept
    ip saddr 198.18.85.0/24 ip daddr 198.18.86.10 counter name clients_to_server_only drop
  }
}"
counter() { ns_nft_packets fw lab "$1"; }

ns_spawn fe listen "$UCSCAN" listen --role front-end --catalog "$CAT" --bind 198.18.86.10 \
  --name fe01.contoso.test --duration $((200 * SLOW))
ns_wait_until $((30 * SLOW)) grep -q "ready: listening" "$SPAWN_LOG" || fail "the listener is not ready: $(tail -n 20 "$SPAWN_LOG")"

TOPO=$NS_TMP/topo.json
printf '{"name": "clients-lab", "product": "sfb2015", "hosts": [{"name": "fe01.contoso.test", "address": "198.18.86.10", "roles": ["front-end"], "pool": "pool.contoso.test"}]}\n' >"$TOPO"
scan() { # VANTAGE NS OUT: exit status in RC, "port/transport verdict | reason | vantage" in OUT.txt
  RC=0
  ns_exec "$2" "$UCSCAN" scan --topology "$TOPO" --catalog "$CAT" --from "$1" \
    --timeout $((1500 * SLOW)) --retries 1 --no-progress --out "$3" >/dev/null 2>"$3.err" || RC=$?
  "$(ns_python)" - "$3" >"$3.txt" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]:
    print("%s/%s %s | %s | %s" % (c["port"], c["transport"], c["verdict"], c["reason"], c.get("vantage", "-")))
PY
}
line() { grep "^$1 " "$2" || fail "no check $1 in $2: $(cat "$2")"; }

# --- 1. from the client network ---------------------------------------------------------
scan clients cli "$NS_TMP/clients.json"
assert_eq 1 "$RC" "scan --from clients exit status ($(cat "$NS_TMP/clients.json.err"); $(cat "$NS_TMP/clients.json.txt"))"
assert_json "$NS_TMP/clients.json" .vantage.from clients
assert_json "$NS_TMP/clients.json" .summary.fail 1
assert_match '^8057/tcp fail \| .*(filtered|no answer)' "$(line 8057/tcp "$NS_TMP/clients.json.txt")" "the planted fault"
for key in 443/tcp 5061/tcp; do
  assert_match "^$key pass " "$(line "$key" "$NS_TMP/clients.json.txt")" "$key from the clients"
done
for key in 444/tcp 5062/tcp 5071/tcp 1434/udp; do
  assert_contains "skip | not testable from the client network: needs a scan from the server network (--from servers)" \
    "$(line "$key" "$NS_TMP/clients.json.txt")" "$key from the clients"
done
assert_eq 0 "$(counter clients_to_server_only)" "packets from the clients to server-only ports"
(($(counter clients_dropped_8057) > 0)) || fail "the 8057 drop counted nothing"
ns_exec cli timeout 2 bash -c 'echo > /dev/tcp/198.18.86.10/444' 2>/dev/null || true
(($(counter clients_to_server_only) > 0)) || fail "the clients_to_server_only counter does not count"
ok "--from clients: the client ports judged (8057 fails), server-only ports skipped, none probed"

# --- 2. from the server network ---------------------------------------------------------
scan servers srv "$NS_TMP/servers.json"
assert_eq 0 "$RC" "scan --from servers exit status ($(cat "$NS_TMP/servers.json.err"); $(cat "$NS_TMP/servers.json.txt"))"
for key in 443/tcp 5061/tcp 444/tcp 5062/tcp 5071/tcp 1434/udp; do
  assert_match "^$key pass " "$(line "$key" "$NS_TMP/servers.json.txt")" "$key from the servers"
done
assert_contains "skip | not testable from the server network: needs a scan from the client network (--from clients)" \
  "$(line 8057/tcp "$NS_TMP/servers.json.txt")" "8057 from the servers"
assert_eq 0 "$(counter servers_to_8057)" "packets from the servers to 8057 (a client port)"
(($(counter servers_to_fe) > 0)) || fail "the servers_to_fe counter saw nothing"
ok "--from servers: every server port passes, 8057 left to the clients"

# --- 3. merge -----------------------------------------------------------------------------
RC=0
"$UCSCAN" merge "$NS_TMP/clients.json" "$NS_TMP/servers.json" --out "$NS_TMP/merged.json" \
  >/dev/null 2>"$NS_TMP/merge.err" || RC=$?
assert_eq 1 "$RC" "merge exit status ($(cat "$NS_TMP/merge.err"))"
assert_json "$NS_TMP/merged.json" .summary.fail 1
assert_json "$NS_TMP/merged.json" .summary.uncovered 0
"$(ns_python)" - "$NS_TMP/merged.json" >"$NS_TMP/merged.txt" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["hosts"][0]["checks"]:
    print("%s/%s %s %s" % (c["port"], c["transport"], c["verdict"], c.get("vantage", "-")))
PY
assert_eq "8057/tcp fail clients" "$(grep '^8057/tcp ' "$NS_TMP/merged.txt")" "merged 8057"
assert_eq "444/tcp pass servers" "$(grep '^444/tcp ' "$NS_TMP/merged.txt")" "merged 444"
assert_eq 1 "$(grep -vc ' pass ' "$NS_TMP/merged.txt")" "merged checks not passing ($(cat "$NS_TMP/merged.txt"))"
ok "merge: 8057 fails from the clients, the rest passes, none uncovered"
