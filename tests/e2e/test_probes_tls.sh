#!/usr/bin/env bash
# e2e (issue 3): TLS, MTLS, HTTPS, SIP over TLS and XMPP probes against real servers.
# An Edge and a Director (real catalog roles, plus a site-catalog role) in one namespace:
#   - MTLS with a CertificateRequest (python ssl) and SIP OPTIONS inside -> pass, SIP evidence
#   - MTLS row whose server asks for no client certificate (openssl s_server) -> warn
#   - a server that requires a client certificate (s_server -Verify) -> pass
#   - a wrong-name certificate -> warn, name_match false; a pool-name certificate -> pass
#   - an expired certificate -> warn, expired true
#   - --ca: chain verified for the CA's certificates, not for a self-signed one
#   - an XMPP stream responder -> pass with the peer's stream header as evidence
#   - hostile: plain HTTP bytes on an MTLS port -> fail, "non-TLS bytes"
# Subnet 198.18.30.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

ns_init
EDGE=198.18.30.2 DIR=198.18.30.3
ns_host lab "$EDGE/24" 198.18.30.1
ns_add_addr lab "$DIR"

pki=$NS_TMP/pki
mkcert "$pki" contosoCA --is-ca --days 365
ca=$MKCERT_CRT
mkcert "$pki" edge01.contoso.test --san edge01.contoso.test,edgepool.contoso.test --ca contosoCA --days 365
edge_crt=$MKCERT_CRT edge_key=$MKCERT_KEY
mkcert "$pki" other.example.test --san other.example.test --ca contosoCA --days 365
other_crt=$MKCERT_CRT other_key=$MKCERT_KEY
mkcert "$pki" pool.contoso.test --san pool.contoso.test --days 365 # self-signed
pool_crt=$MKCERT_CRT pool_key=$MKCERT_KEY
mkcert "$pki" old.contoso.test --expired --san dir01.contoso.test --ca contosoCA
old_crt=$MKCERT_CRT old_key=$MKCERT_KEY

# Edge: 5061 MTLS+SIP, 5269 XMPP (python peers); 443 wrong name; 23456 MTLS without a request;
# 4444 (site catalog, a port of no Edge row) requires a client certificate (TLS 1.2: the
# refusal comes inside the handshake; with TLS 1.3 it comes after the client has finished and
# the check passes as "client certificate requested").
srv_peers lab --cert "$edge_crt" --key "$edge_key" \
  "mtls:sip@$EDGE:5061,server=RTC/6.0.0.0 ucscan-e2e" "xmpp@$EDGE:5269"
edge_peers_log=$SRV_LOG
srv_tls lab "$EDGE" 443 "$other_crt" "$other_key"
srv_tls lab "$EDGE" 23456 "$edge_crt" "$edge_key"
srv_tls lab "$EDGE" 4444 "$edge_crt" "$edge_key" -- -Verify 1 -tls1_2
# Director, also its pool's load balancer VIP (a Director takes no 443 row of its own: the
# seed's Director 443 is traffic to the web farm): 443 pool-name certificate, 444 expired,
# 5061 answers plain HTTP, 445 plain TCP.
srv_tls lab "$DIR" 444 "$old_crt" "$old_key"
srv_peers lab --cert "$pool_crt" --key "$pool_key" "non-tls@$DIR:5061" "tls:http@$DIR:443"
dir_peers_log=$SRV_LOG
srv_tcp_listen lab "$DIR" 445

peers_catalog "$NS_TMP/site.json" tlslab 4444/tcp/mtls
cat >"$NS_TMP/topo.json" <<JSON
{"name": "e2e-tls", "product": "sfb2015",
 "hosts": [
  {"name": "edge01.contoso.test", "address": "$EDGE", "roles": ["edge", "tlslab"],
   "pool": "edgepool.contoso.test"},
  {"name": "dir01.contoso.test", "address": "$DIR", "roles": ["director", "lb-director"],
   "pool": "pool.contoso.test"}]}
JSON

out=$NS_TMP/report.json
rc=0
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" --ca "$ca" \
  --timeout $((1500 * ${UC_E2E_SLOW:-1})) --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 1 "$rc" "exit status (the Director's 5061 and the Edge's 3478 fail)"
assert_json "$out" .complete true

E=edge01.contoso.test D=dir01.contoso.test
# --- Edge ---------------------------------------------------------------------------------
assert_check "$out" $E 5061/tcp pass open \
  '^TLS 1\.[23] handshake completed; client certificate requested; SIP OPTIONS answered 200 OK \(Server: RTC/6\.0\.0\.0 ucscan-e2e\)$'
c='.hosts[0].checks[port=5061]'
assert_json "$out" "$c.protocol" mtls
assert_json "$out" "$c.evidence.tls.client_cert_requested" true
assert_json "$out" "$c.evidence.tls.certificate.name_match" true
assert_json "$out" "$c.evidence.tls.certificate.expired" false
assert_json "$out" "$c.evidence.tls.certificate.subject" CN=edge01.contoso.test
assert_json "$out" "$c.evidence.tls.certificate.issuer" CN=contosoCA
assert_json "$out" "$c.evidence.tls.certificate.san" '["edge01.contoso.test","edgepool.contoso.test"]'
assert_json "$out" "$c.evidence.tls.chain.verified" true
assert_json "$out" "$c.evidence.sip" '{"server":"RTC/6.0.0.0 ucscan-e2e","status":200}'
assert_eq 1 "$(peers_count "$edge_peers_log" accept "$EDGE:5061")" "connections to the SIP peer"
assert_match '^received=[1-9]' "$(awk '$3 == "close" && $2 ~ /:5061$/ {print $5}' "$edge_peers_log")" \
  "the SIP peer got our OPTIONS"

assert_check "$out" $E 443/tcp warn open 'neither .*edge01\.contoso\.test.* nor .*edgepool\.contoso\.test|name'
assert_json "$out" '.hosts[0].checks[port=443].evidence.tls.certificate.name_match' false
assert_json "$out" '.hosts[0].checks[port=443].evidence.tls.certificate.subject' CN=other.example.test
assert_json "$out" '.hosts[0].checks[port=443].evidence.tls.chain.verified' true

assert_check "$out" $E 23456/tcp warn open 'server did not request a client certificate \(MTLS expected\)'
assert_json "$out" '.hosts[0].checks[port=23456].evidence.tls.client_cert_requested' false
assert_json "$out" '.hosts[0].checks[port=23456].evidence.tls.certificate.name_match' true

assert_check "$out" $E 4444/tcp pass open 'requested a client certificate and refused to go on without one'
assert_json "$out" '.hosts[0].checks[port=4444].requirements[0].id' lab-4444-tcp

assert_check "$out" $E 5269/tcp pass open "^XMPP stream opened \(from='peer\.ucscan\.test', version 1\.0\)$"
assert_json "$out" '.hosts[0].checks[port=5269].evidence.xmpp.from' peer.ucscan.test
assert_json "$out" '.hosts[0].checks[port=5269].evidence.xmpp.id' e2e-stream-1
assert_contains "<stream:stream" "$(json_get "$out" '.hosts[0].checks[port=5269].evidence.xmpp.stream')"

# nothing on 3478/udp: the namespace's kernel answers port unreachable. (The ICMP error for
# the Binding request can land before the Allocate request is sent; sendto() then fails with
# ECONNREFUSED and the reason says so instead of quoting the ICMP message.)
assert_check "$out" $E 3478/udp fail closed 'port unreachable|Connection refused'

# --- Director -----------------------------------------------------------------------------
assert_check "$out" $D 443/tcp pass open \
  '^TLS 1\.[23] handshake completed; no client certificate requested; HTTP 200 OK \(Server: Microsoft-IIS/8\.5\)$'
c='.hosts[1].checks[port=443]'
assert_json "$out" "$c.protocol" https
assert_json "$out" "$c.evidence.tls.certificate.name_match" true
assert_json "$out" "$c.evidence.tls.certificate.san" '["pool.contoso.test"]'
assert_json "$out" "$c.evidence.tls.chain.verified" false
assert_json "$out" "$c.evidence.http" '{"server":"Microsoft-IIS/8.5","status":200}'
assert_contains "self-signed" "$(json_get "$out" "$c.evidence.tls.chain.error")"

assert_check "$out" $D 444/tcp warn open 'expired'
assert_json "$out" '.hosts[1].checks[port=444].evidence.tls.certificate.expired' true

assert_check "$out" $D 5061/tcp fail open '^server sent non-TLS bytes: "HTTP/1\.1 400 Bad Request"$'
assert_eq 1 "$(peers_count "$dir_peers_log" accept "$DIR:5061")" "connections to the non-TLS peer"
assert_check "$out" $D 445/tcp pass open '^TCP connection accepted$'
assert_check "$out" $D 5060/tcp skip closed 'optional port not in use'
echo "ok"
