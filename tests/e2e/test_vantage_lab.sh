#!/usr/bin/env bash
# tests/e2e/test_vantage_lab.sh: where the scan stands (issue 10). Needs root. Uses
# 198.18.80.0/24 - 198.18.83.0/24, all inside its own namespaces (nothing in the root one).
#
#   servers 198.18.80.0/24          internet 198.18.81.0/24
#   [srv .10: scanner]              [inet .10: scanner]
#          \ lan0 .1                        / wan0 .1
#           +------------[ fw ]------------+        forward policy drop, counters
#          / ein0 .1                        \ eout0 .1
#   198.18.82.0/24 (Edge internal)   198.18.83.0/24 (Edge external)
#   [edge in0 .10: internal] ------ [edge out0 .10 access, .11 webconf, .12 av]
#
# The Edge runs one `ucscan listen --role edge --interface X` per interface address. The
# firewall lets the server network reach the internal interface's ports and the Internet
# the external ones, except one planted fault: the A/V Edge's 3478/udp is not let in from
# the Internet. The topology names the Access Edge by name (sip.contoso.test), resolvable
# only from the Internet side (split-brain DNS).
#
#  1. --from servers: every internal check passes, every external check is skipped naming
#     the Internet; the external name is never looked up (it does not resolve there, and
#     the scan still exits 0); nothing is sent to the external addresses (counter).
#  2. --from internet: the external checks pass but 3478/udp on the A/V interface, which
#     fails; the internal checks are skipped naming the server network; nothing is sent to
#     an internal address (counter; the counter does count such a packet, shown after).
#  3. ucscan merge of the two: every check from its entitled vantage, none uncovered, exit 1.
#  4. --source: the server-network scanner has a second address, .20, that the firewall
#     drops. With --source 198.18.80.20 every probe leaves from it (TCP connects, TLS, the
#     UDP STUN probe): every internal check fails, the report names the source, and the
#     firewall counted the packets from .20.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

: "${UCSCAN:?set UCSCAN to the ucscan binary}"
ok() { printf 'ok - %s\n' "$*"; }
SLOW=${UC_E2E_SLOW:-1}

ns_init vantagelab
for n in srv inet fw edge; do ns_island "$n"; done
ns_link fw lan0 198.18.80.1/24 srv eth0 198.18.80.10/24
ns_exec srv ip addr add 198.18.80.20/24 dev eth0
ns_link fw wan0 198.18.81.1/24 inet eth0 198.18.81.10/24
ns_link fw ein0 198.18.82.1/24 edge in0 198.18.82.10/24
ns_link fw eout0 198.18.83.1/24 edge out0 198.18.83.10/24
ns_exec edge ip addr add 198.18.83.11/24 dev out0
ns_exec edge ip addr add 198.18.83.12/24 dev out0
ns_forwarding fw
ns_route srv default via 198.18.80.1
ns_route inet default via 198.18.81.1
ns_route edge default via 198.18.83.1
ns_route edge 198.18.80.0/24 via 198.18.82.1
ns_nft fw "table inet lab {
  counter inet_to_internal {}
  counter servers_to_external {}
  counter inet_to_external {}
  counter servers_to_internal {}
  counter from_second {}
  counter from_second_udp {}
  chain filter_forward {
    type filter hook forward priority filter; policy drop;
    ip saddr 198.18.80.20 udp dport 3478 counter name from_second_udp drop
    ip saddr 198.18.80.20 counter name from_second drop
    ip saddr 198.18.81.0/24 ip daddr { 198.18.80.0/24, 198.18.82.0/24 } counter name inet_to_internal drop
    ip saddr 198.18.80.0/24 ip daddr 198.18.83.0/24 counter name servers_to_external drop
    ct state established,related accept
    ip saddr 198.18.80.0/24 ip daddr 198.18.82.10 tcp dport { 443, 4443, 5061, 5062, 8057, 23456, 50001-50003 } counter name servers_to_internal accept
    ip saddr 198.18.80.0/24 ip daddr 198.18.82.10 udp dport 3478 counter name servers_to_internal accept
    ip saddr 198.18.81.0/24 ip daddr 198.18.83.10 tcp dport { 443, 5061, 5269 } counter name inet_to_external accept
    ip saddr 198.18.81.0/24 ip daddr 198.18.83.11 tcp dport 443 counter name inet_to_external accept
    ip saddr 198.18.81.0/24 ip daddr 198.18.83.12 tcp dport 443 counter name inet_to_external accept
  }
}"
counter() { ns_nft_packets fw lab "$1"; }

# One listener per interface address, each answering that interface's rows.
declare -A BIND=([internal]=198.18.82.10 [access]=198.18.83.10 [webconf]=198.18.83.11 [av]=198.18.83.12)
declare -A NAME=([internal]=edge01.contoso.test [access]=sip.contoso.test [webconf]=edge01.contoso.test [av]=edge01.contoso.test)
LOGS=()
for f in internal access webconf av; do
  ns_spawn edge "listen-$f" "$UCSCAN" listen --role edge --interface "$f" --bind "${BIND[$f]}" \
    --name "${NAME[$f]}" --duration 280
  LOGS+=("$SPAWN_LOG")
done
for l in "${LOGS[@]}"; do
  ns_wait_until $((30 * SLOW)) grep -q "ready: listening" "$l" || fail "a listener is not ready: $(tail -n 20 "$l")"
done
ok "four Edge listeners, one per interface"

TOPO=$NS_TMP/lab.json
cat >"$TOPO" <<'JSON'
{"name": "vantage-lab", "product": "sfb2015",
 "hosts": [{"name": "edge01.contoso.test", "roles": ["edge"], "pool": "edgepool.contoso.test",
            "interfaces": {"internal": "198.18.82.10", "access": "sip.contoso.test",
                           "webconf": "198.18.83.11", "av": "198.18.83.12"}}]}
JSON
# Split-brain DNS: names resolve from a hosts file only; it is empty for the server network.
private_dns 127.0.0.1
scan() { # VANTAGE NS OUT [OPTION...]: exit status in RC
  RC=0
  ns_exec "$2" "${PRIVATE_DNS[@]}" "$UCSCAN" scan --topology "$TOPO" --from "$1" \
    --timeout $((1500 * SLOW)) --no-progress --out "$3" "${@:4}" >/dev/null 2>"$3.err" || RC=$?
}

# summary FILE: "key verdict reason" per check (key: port/transport interface).
checks() {
  "$(ns_python)" - "$1" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
for c in rep["hosts"][0]["checks"]:
    where = str(c["port"]) if c["range"] is None else "%d-%d" % (c["range"]["first"], c["range"]["last"])
    print("%s/%s %s %s | %s | %s" % (where, c["transport"], c["interface"], c["verdict"], c["reason"],
                                    c.get("vantage", "-")))
PY
}

# --- 1. from the server network ---------------------------------------------------------
: >"$NS_TMP/dns/hosts"
scan servers srv "$NS_TMP/servers.json"
checks "$NS_TMP/servers.json" >"$NS_TMP/servers.txt"
assert_eq 0 "$RC" "scan --from servers exit status ($(cat "$NS_TMP/servers.json.err"); $(cat "$NS_TMP/servers.txt"))"
assert_json "$NS_TMP/servers.json" '.vantage.from' servers
assert_json "$NS_TMP/servers.json" '.vantage.source_addresses' '["198.18.80.10"]'
grep -E '^[0-9-]+/(tcp|udp) internal ' "$NS_TMP/servers.txt" | grep -v ' skip ' >"$NS_TMP/int.txt" || true
(($(wc -l <"$NS_TMP/int.txt") >= 9)) || fail "too few internal checks probed: $(cat "$NS_TMP/servers.txt")"
! grep -qv ' pass ' "$NS_TMP/int.txt" || fail "an internal check did not pass from the servers: $(grep -v ' pass ' "$NS_TMP/int.txt")"
for key in "5061/tcp access" "443/tcp webconf" "3478/udp av" "443/tcp av"; do
  line=$(grep "^$key " "$NS_TMP/servers.txt") || fail "no check $key"
  assert_contains "skip | not testable from the server network: needs a scan from the Internet (--from internet)" "$line" "$key from servers"
done
assert_eq 0 "$(counter servers_to_external)" "packets from the server network to the external interfaces"
(($(counter servers_to_internal) > 0)) || fail "the servers_to_internal counter saw nothing"
ok "--from servers: $(wc -l <"$NS_TMP/int.txt") internal checks pass, external ones skipped, sip.contoso.test never looked up"

# --- 2. from the Internet ---------------------------------------------------------------
printf '198.18.83.10 sip.contoso.test\n' >"$NS_TMP/dns/hosts"
scan internet inet "$NS_TMP/internet.json"
checks "$NS_TMP/internet.json" >"$NS_TMP/internet.txt"
assert_eq 1 "$RC" "scan --from internet exit status ($(cat "$NS_TMP/internet.json.err"))"
assert_json "$NS_TMP/internet.json" '.vantage.source_addresses' '["198.18.81.10"]'
assert_match '^3478/udp av fail ' "$(grep '^3478/udp av ' "$NS_TMP/internet.txt")" "the planted fault"
for key in "443/tcp access" "5061/tcp access" "5269/tcp access" "443/tcp webconf" "443/tcp av"; do
  assert_match "^$key pass " "$(grep "^$key " "$NS_TMP/internet.txt")" "$key from the Internet"
done
assert_json "$NS_TMP/internet.json" '.summary.fail' 1
line=$(grep "^5061/tcp internal " "$NS_TMP/internet.txt")
assert_contains "skip | not testable from the Internet: needs a scan from the server network (--from servers)" "$line" "internal 5061 from the Internet"
assert_eq 0 "$(counter inet_to_internal)" "packets from the Internet to internal addresses"
(($(counter inet_to_external) > 0)) || fail "the inet_to_external counter saw nothing"
ns_exec inet timeout 2 bash -c 'echo > /dev/tcp/198.18.82.10/5061' 2>/dev/null || true
(($(counter inet_to_internal) > 0)) || fail "the inet_to_internal counter does not count"
ok "--from internet: external checks pass but the planted 3478/udp, nothing sent inside"

# --- 3. merge -----------------------------------------------------------------------------
RC=0
"$UCSCAN" merge "$NS_TMP/servers.json" "$NS_TMP/internet.json" --out "$NS_TMP/merged.json" \
  >/dev/null 2>"$NS_TMP/merge.err" || RC=$?
assert_eq 1 "$RC" "merge exit status ($(cat "$NS_TMP/merge.err"))"
checks "$NS_TMP/merged.json" >"$NS_TMP/merged.txt"
assert_json "$NS_TMP/merged.json" '.summary.fail' 1
assert_json "$NS_TMP/merged.json" '.summary.uncovered' 0
while read -r key iface verdict rest; do
  case "$verdict" in skip) continue ;; esac
  want=internet
  [[ $iface == internal ]] && want=servers
  [[ $rest == *"| $want" ]] || fail "merged $key $iface: from ${rest##*| }, not $want"
done <"$NS_TMP/merged.txt"
assert_match '^3478/udp av fail .*\| internet$' "$(grep '^3478/udp av ' "$NS_TMP/merged.txt")" "merged fault"
assert_match '^5061/tcp internal pass .*\| servers$' "$(grep '^5061/tcp internal ' "$NS_TMP/merged.txt")" "merged internal"
ok "merge: each check from its vantage, the planted fault fails it (exit 1)"

# --- 4. --source: every probe from the address given --------------------------------------
: >"$NS_TMP/dns/hosts"
scan servers srv "$NS_TMP/second.json" --source 198.18.80.20 --retries 0
checks "$NS_TMP/second.json" >"$NS_TMP/second.txt"
assert_eq 1 "$RC" "scan --source 198.18.80.20 exit status ($(cat "$NS_TMP/second.json.err"))"
assert_json "$NS_TMP/second.json" '.vantage.source_addresses' '["198.18.80.20"]'
# probed (not a policy row): each fails, or for the optional 23456 is "not in use"
grep -E '^[0-9-]+/(tcp|udp) internal ' "$NS_TMP/second.txt" | grep -v 'a policy setting' >"$NS_TMP/int2.txt" || true
assert_eq "$(wc -l <"$NS_TMP/int.txt")" "$(wc -l <"$NS_TMP/int2.txt")" "internal checks probed from .20 ($(cat "$NS_TMP/second.txt"))"
# silence, as the firewall drops them; never a local error (a probe that could not bind)
! grep -Ev ' (fail|skip) \| (optional port not in use \(filtered\): )?no (answer to 1 connection attempts|STUN or MS-TURN answer \(open\|filtered\))' \
  "$NS_TMP/int2.txt" >&2 || fail "a check from the dropped source did not end in silence (above)"
grep -q '^3478/udp internal fail ' "$NS_TMP/int2.txt" || fail "the UDP probe did not leave from .20: $(cat "$NS_TMP/int2.txt")"
(($(counter from_second) >= $(wc -l <"$NS_TMP/int2.txt") - 1)) || fail "the firewall saw $(counter from_second) TCP packets from .20"
(($(counter from_second_udp) > 0)) || fail "the firewall saw no STUN datagram from .20"
ok "--source 198.18.80.20: $(wc -l <"$NS_TMP/int2.txt") internal checks probed from it, all dropped"
