#!/usr/bin/env bash
# e2e (issue 3): STUN, MS-TURN and SQL Browser probes against real servers.
#   - coturn's turnserver on an Edge's 3478/udp -> pass, mapped address = the scanner's address
#   - an A/V Edge that answers only MS-TURN Allocate, with 401 + REALM + NONCE -> pass
#   - a SQL Browser (SVR_RESP: RTCLOCAL, LYNCLOCAL) on a Director's 1434/udp -> pass
#   - hostile: a STUN reply whose length lies, a SQL Browser reply truncated mid-record -> fail
#     with the parser's reason; silence on STUN and SQL Browser ports -> fail, open|filtered
# Subnet 198.18.31.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
COTURN=198.18.31.2 MSEDGE=198.18.31.3 DIR=198.18.31.4 LAB=198.18.31.5
ns_host lab "$COTURN/24" 198.18.31.1
for a in $MSEDGE $DIR $LAB; do ns_add_addr lab "$a"; done
srv_turnserver lab "$COTURN" 3478
srv_peers lab "msturn-401@$MSEDGE:3478" "sqlb@$DIR:1434" \
  "stun-lying-length@$LAB:3478" "sqlb-truncated@$LAB:1434"
peers_log=$SRV_LOG
ns_drop_udp lab 3479,1435

peers_catalog "$NS_TMP/site.json" udplab 3478/udp/stun 3479/udp/stun 1434/udp/sql-browser \
  1435/udp/sql-browser
cat >"$NS_TMP/topo.json" <<JSON
{"name": "e2e-udp", "product": "sfb2015",
 "hosts": [
  {"name": "edge01.contoso.test", "address": "$COTURN", "roles": ["edge"]},
  {"name": "edge02.contoso.test", "address": "$MSEDGE", "roles": ["edge"]},
  {"name": "dir01.contoso.test", "address": "$DIR", "roles": ["director"]},
  {"name": "lab.contoso.test", "address": "$LAB", "roles": ["udplab"]}]}
JSON

out=$NS_TMP/report.json
rc=0
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" --timeout $((500 * ${UC_E2E_SLOW:-1})) \
  --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 1 "$rc" "exit status"
assert_json "$out" .complete true

# coturn: RFC 5389 Binding success; XOR-MAPPED-ADDRESS is our own source address
assert_check "$out" edge01.contoso.test 3478/udp pass open \
  '^STUN Binding answered; mapped address 198\.18\.31\.1$'
c='.hosts[0].checks[port=3478]'
assert_json "$out" "$c.protocol" stun
assert_json "$out" "$c.probe" stun
assert_json "$out" "$c.evidence.stun.variant" rfc5389
assert_match '^198\.18\.31\.1:[0-9]+$' "$(json_get "$out" "$c.evidence.stun.mapped_address")"
assert_match '^Coturn' "$(json_get "$out" "$c.evidence.stun.software")"
assert_json "$out" "$c.requirements|length" 8 # the SfB Edge page: external, HLB external and external VIP, internal, HLB internal and internal VIP rows merged

# MS-TURN only: the Binding request is ignored, the Allocate gets 401 with the realm
assert_check "$out" edge02.contoso.test 3478/udp pass open \
  '^MS-TURN Allocate challenged: 401 Unauthorized, realm "SIP Communications Service"$'
c='.hosts[1].checks[port=3478]'
assert_json "$out" "$c.evidence.stun.variant" ms-turn
assert_json "$out" "$c.evidence.stun.error_code" 401
assert_json "$out" "$c.evidence.stun.realm" "SIP Communications Service"
assert_json "$out" "$c.evidence.stun.ms_version" 2
assert_eq 2 "$(peers_count "$peers_log" datagram "$MSEDGE:3478")" \
  "datagrams at the MS-TURN peer (one Binding, one Allocate: the 401 ended the check)"
assert_eq 1 "$(peers_count "$peers_log" sent "$MSEDGE:3478")" "MS-TURN 401 replies"

# SQL Browser
assert_check "$out" dir01.contoso.test 1434/udp pass open \
  '^SQL Browser answered: 2 instances \(RTCLOCAL, LYNCLOCAL\)$'
assert_json "$out" '.hosts[2].checks[port=1434].evidence.sql_browser.instances' '["RTCLOCAL","LYNCLOCAL"]'
assert_json "$out" '.hosts[2].checks[port=1434].evidence.sql_browser.server' FE01

# hostile replies and silence
assert_check "$out" lab.contoso.test 3478/udp fail open \
  '^invalid STUN reply: header length [0-9]+ but [0-9]+ bytes follow the header \(6 datagrams sent\)$'
assert_check "$out" lab.contoso.test 1434/udp fail open \
  "^invalid SQL Browser reply: record 2 truncated mid-record .*\\(3 datagrams sent\\)$"
assert_check "$out" lab.contoso.test 3479/udp fail "open|filtered" \
  '^no STUN or MS-TURN answer \(open\|filtered\) \(6 datagrams sent\)$'
assert_check "$out" lab.contoso.test 1435/udp fail "open|filtered" \
  '^no SQL Browser answer \(open\|filtered\) \(3 datagrams sent\)$'
assert_json "$out" '.hosts[3].checks[port=3478].evidence' '{}'
assert_json "$out" '.hosts[3].summary' '{"fail":4,"pass":0,"skip":0,"warn":0}'
echo "ok"
