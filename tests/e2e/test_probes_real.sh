#!/usr/bin/env bash
# e2e (issue 11): verdicts against real third-party servers, as Debian ships them, each started
# here with its own config in a namespace and stopped with the test:
#   - prosody serving only the XMPP domain contoso.test, on an Edge's 23456 (s2s direct TLS,
#     an MTLS/XMPP row) and 5269 (s2s, XMPP): the handshake that names the Edge's FQDN by SNI
#     gets alert 112 (unrecognized name); the server is alive -> warn naming the refused names
#     and the one it accepted, never fail
#   - nginx on the Edge's 443, where Access Edge SIP/TLS belongs: the handshake completes, the
#     OPTIONS gets "HTTP/1.1 400 Bad Request" -> warn, naming nginx; nginx on an HTTPS row passes
#   - openssl s_server requiring a client certificate with TLS 1.3 (alert 116 after the
#     handshake): "client certificate required" on an MTLS/SIP row (pass) and on a TLS/SIP row
#     (warn), never "no SIP answer"
#   - coturn on 3478/udp: the pass rests on the RFC 5389 Binding (coturn ignores the MS-TURN
#     Allocate), and the evidence says so
# Subnet 198.18.65.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

for tool in prosody nginx openssl turnserver; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (.ci/setup installs it)"
done

ns_init
EDGE=198.18.65.2 FE=198.18.65.3
ns_host lab "$EDGE/24" 198.18.65.1
ns_add_addr lab "$FE"

pki=$NS_TMP/pki
mkcert "$pki" xmpp.contoso.test --san contoso.test,edge01.contoso.test --days 365
xmpp_crt=$MKCERT_CRT xmpp_key=$MKCERT_KEY
mkcert "$pki" edge01.contoso.test --san edge01.contoso.test --days 365
edge_crt=$MKCERT_CRT edge_key=$MKCERT_KEY
mkcert "$pki" fe01.contoso.test --san fe01.contoso.test --days 365
fe_crt=$MKCERT_CRT fe_key=$MKCERT_KEY

# Edge: prosody (5269, 23456), nginx where SIP/TLS belongs (443) and on an HTTPS row (4443),
# coturn (3478). Front End: s_server requiring a client certificate with TLS 1.3 (5061, 5062).
srv_prosody lab "$EDGE" contoso.test "$xmpp_crt" "$xmpp_key"
srv_nginx lab "$EDGE" 443 "$edge_crt" "$edge_key"
srv_nginx lab "$EDGE" 4443 "$edge_crt" "$edge_key"
srv_turnserver lab "$EDGE" 3478
srv_tls lab "$FE" 5061 "$fe_crt" "$fe_key" -- -Verify 1 -tls1_3
srv_tls lab "$FE" 5062 "$fe_crt" "$fe_key" -- -Verify 1 -tls1_3
srv_tls lab "$FE" 8061 "$fe_crt" "$fe_key" -- -Verify 1 -tls1_3
srv_tls lab "$FE" 8060 "$fe_crt" "$fe_key" -- -verify 1 -tls1_3

peers_catalog "$NS_TMP/edge.json" realedge 443/tcp/tls/sip 4443/tcp/https 5269/tcp/xmpp/xmpp \
  23456/tcp/mtls/xmpp 3478/udp/stun
peers_catalog "$NS_TMP/fe.json" realfe 5061/tcp/mtls/sip 5062/tcp/tls/sip 8061/tcp/mtls \
  8060/tcp/mtls
# one site catalog with both roles
"$(ns_python)" - "$NS_TMP/edge.json" "$NS_TMP/fe.json" >"$NS_TMP/site.json" <<'PY'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
a["roles"] += b["roles"]
a["tables"] += b["tables"]
json.dump(a, sys.stdout)
PY
cat >"$NS_TMP/topo.json" <<JSON
{"name": "e2e-real", "product": "sfb2015",
 "hosts": [
  {"name": "edge01.contoso.test", "address": "$EDGE", "roles": ["realedge"],
   "pool": "edgepool.contoso.test"},
  {"name": "fe01.contoso.test", "address": "$FE", "roles": ["realfe"]}]}
JSON

out=$NS_TMP/report.json
rc=0
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" --timeout $((2000 * ${UC_E2E_SLOW:-1})) \
  --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 0 "$rc" "exit status (nothing fails: every server here is alive and reachable)"
assert_json "$out" .complete true
E=edge01.contoso.test F=fe01.contoso.test

# --- prosody: SNI refused, then accepted for the domain -----------------------------------
assert_check "$out" $E 23456/tcp warn open \
  "^server refused the SNI names edge01\\.contoso\\.test, edgepool\\.contoso\\.test \\(alert unrecognized name \\(112\\)\\); with SNI contoso\\.test: TLS 1\\.3 handshake completed; client certificate requested; XMPP stream opened"
c='.hosts[0].checks[port=23456]'
assert_json "$out" "$c.evidence.tls.sni_refused" '["edge01.contoso.test","edgepool.contoso.test"]'
assert_json "$out" "$c.evidence.tls.sni" contoso.test
assert_json "$out" "$c.evidence.tls.client_cert_requested" true
assert_json "$out" "$c.evidence.tls.certificate.name_match" true
assert_json "$out" "$c.evidence.xmpp.from" contoso.test
# an XMPP service that does not serve the Edge's own name still proves the port
assert_check "$out" $E 5269/tcp pass open \
  "^XMPP stream opened \\(from='edge01\\.contoso\\.test', version 1\\.0\\), then a stream error: host-unknown$"

# --- nginx: another protocol where SIP belongs; at home on HTTPS --------------------------
assert_check "$out" $E 443/tcp warn open \
  '^TLS 1\.3 handshake completed; no client certificate requested; not a SIP reply: an HTTP server answered 400 Bad Request \(Server: nginx/[0-9.]+\)$'
assert_json "$out" '.hosts[0].checks[port=443].evidence.http.status' 400
assert_match '^nginx/' "$(json_get "$out" '.hosts[0].checks[port=443].evidence.http.server')"
assert_json "$out" '.hosts[0].checks[port=443].evidence.tls.certificate.name_match' true
assert_check "$out" $E 4443/tcp pass open \
  '^TLS 1\.3 handshake completed; no client certificate requested; HTTP 200 OK \(Server: nginx/[0-9.]+\)$'

# --- coturn: the Binding carries the pass -------------------------------------------------
assert_check "$out" $E 3478/udp pass open '^STUN Binding answered; mapped address 198\.18\.65\.1$'
assert_json "$out" '.hosts[0].checks[port=3478].evidence.stun.variant' rfc5389
assert_match '^Coturn' "$(json_get "$out" '.hosts[0].checks[port=3478].evidence.stun.software')"

# --- s_server -Verify 1 with TLS 1.3: the refusal after the handshake keeps its reason ----
assert_check "$out" $F 5061/tcp pass open \
  '^client certificate required: TLS 1\.3 server requested a client certificate and refused to go on without one \(alert certificate required \(116\)\)$'
assert_json "$out" '.hosts[1].checks[port=5061].evidence.tls.client_cert_requested' true
assert_json "$out" '.hosts[1].checks[port=5061].evidence.tls.version' TLSv1.3
assert_check "$out" $F 5062/tcp warn open \
  '^client certificate required \(not an MTLS row\): TLS 1\.3 server requested a client certificate'
# an MTLS row with no application to speak: the server's verdict after the handshake is still
# read (as with TLS 1.2, where it ends the handshake); a server that only asks lets it stand
assert_check "$out" $F 8061/tcp pass open \
  '^client certificate required: TLS 1\.3 server requested a client certificate and refused to go on without one \(alert certificate required \(116\)\)$'
assert_check "$out" $F 8060/tcp pass open '^TLS 1\.3 handshake completed; client certificate requested$'
echo "ok"
