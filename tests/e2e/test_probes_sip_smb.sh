#!/usr/bin/env bash
# e2e (issue 11): verdicts against Debian's kamailio (SIP over TCP and TLS) and samba (smbd),
# real servers started here with their own config in a namespace and stopped with the test
# (lib/servers.sh: srv_kamailio, srv_smbd), scanned with the built-in Front End role:
#   - kamailio answers SIP OPTIONS with 200 on 5060 (TCP) and 5061 (TLS); on 5061 one instance
#     requests a client certificate and serves a client without one, as a Front End does (the
#     MTLS row passes), one requests none (warn: MTLS expected), one requires one (TLS 1.3
#     alert 116 after the handshake: the server is there, the row passes)
#   - smbd on 445 (the Central Management Store row): open, pass; 445 where nothing listens
#     (RST): closed, fail; 445 dropped by nftables: filtered, fail
# Subnet 198.18.69.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}

for tool in kamailio smbd openssl; do
  command -v "$tool" >/dev/null || fail "$tool is not installed (.ci/setup installs it)"
done

ns_init
TLS=198.18.69.2 MTLS=198.18.69.3 REQ=198.18.69.4
ns_host fe "$TLS/24" 198.18.69.1
ns_add_addr fe "$MTLS"
ns_add_addr fe "$REQ"

# The targets are addresses (--target): the certificate names them too, so that its name
# matches and the verdicts below rest on the client certificate alone.
mkcert "$NS_TMP/pki" fe01.contoso.test --san "fe01.contoso.test,$TLS,$MTLS,$REQ" --days 365
srv_kamailio fe "$TLS" "$MKCERT_CRT" "$MKCERT_KEY"
srv_kamailio fe "$MTLS" "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
srv_kamailio fe "$REQ" "$MKCERT_CRT" "$MKCERT_KEY" --require-client-cert
srv_smbd fe "$MTLS"

# --- the Front End role, as an engineer checks a pool member ------------------------------
# Microsoft's Front End rows as ucscan ships them (`ucscan catalog --json`), without the port
# ranges (49152-65535 TCP and UDP: nothing here listens there, and some 49,000 closed ports per
# host would only add time to a test about the servers on single ports)
"$UCSCAN" catalog --product sfb2015 --role front-end --json >"$NS_TMP/builtin.json"
"$(ns_python)" - "$NS_TMP/builtin.json" >"$NS_TMP/fe-catalog.json" <<'PY'
import json, sys
cat = json.load(open(sys.argv[1]))
for t in cat["tables"]:
    t["rows"] = [r for r in t["rows"] if r.get("port") is not None]
json.dump(cat, sys.stdout)
PY
out=$NS_TMP/fe.json
rc=0
"$UCSCAN" scan --target "$TLS-4" --role front-end --catalog "$NS_TMP/fe-catalog.json" --fast \
  --timeout $((1000 * UC_E2E_SLOW)) --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
# the other Front End ports (444, 5062-5087, 8057...) are closed here: required, so they fail
assert_eq 1 "$rc" "exit status (the Front End's other required ports are closed)"
assert_json "$out" .complete true
assert_json "$out" '.hosts|length' 3
server='kamailio \(5\.6\.[0-9]+ \([^)]*\)\)'

# kamailio requesting a client certificate on 5061 (MTLS, as a Front End): pass
assert_check "$out" "$MTLS" 5061/tcp pass open \
  "^TLS 1\\.[23] handshake completed; client certificate requested; SIP OPTIONS answered 200 OK \\(Server: $server\\)$"
c=".hosts[address=$MTLS].checks[port=5061]"
assert_json "$out" "$c.protocol" mtls
assert_json "$out" "$c.evidence.tls.client_cert_requested" true
assert_json "$out" "$c.evidence.tls.certificate.name_match" true
assert_json "$out" "$c.evidence.tls.certificate.subject" CN=fe01.contoso.test
assert_json "$out" "$c.evidence.sip.status" 200
assert_match "^$server$" "$(json_get "$out" "$c.evidence.sip.server")" "5061 SIP Server header"

# kamailio on 5061 with TLS but no CertificateRequest: SIP answers, MTLS was expected: warn
assert_check "$out" "$TLS" 5061/tcp warn open \
  "^server did not request a client certificate \\(MTLS expected\\); TLS 1\\.[23] handshake completed; SIP OPTIONS answered 200 OK \\(Server: $server\\)$"
c=".hosts[address=$TLS].checks[port=5061]"
assert_json "$out" "$c.evidence.tls.client_cert_requested" false
assert_json "$out" "$c.evidence.sip.status" 200
assert_match "^$server$" "$(json_get "$out" "$c.evidence.sip.server")" "5061 SIP Server header"

# kamailio requiring a client certificate: the TLS 1.3 refusal after the handshake proves an
# MTLS listener; no SIP answer can be had without a certificate, and none is claimed
assert_check "$out" "$REQ" 5061/tcp pass open \
  '^client certificate required: TLS 1\.3 server requested a client certificate and refused to go on without one \(alert certificate required \(116\)\)$'
c=".hosts[address=$REQ].checks[port=5061]"
assert_json "$out" "$c.evidence.tls.client_cert_requested" true
assert_json "$out" "$c.evidence.tls.version" TLSv1.3
ev=$(json_get "$out" "$c.evidence")
[[ $ev != *'"sip"'* ]] || fail "$REQ 5061: SIP evidence without a client certificate: $ev"

# 5060 (SIP over TCP, an optional Front End row): OPTIONS answered on every instance
for a in "$TLS" "$MTLS" "$REQ"; do
  assert_check "$out" "$a" 5060/tcp pass open \
    "^connection accepted; SIP OPTIONS answered 200 OK \\(Server: $server\\)$"
  assert_json "$out" ".hosts[address=$a].checks[port=5060].evidence.sip.status" 200
  assert_match "^$server$" "$(json_get "$out" ".hosts[address=$a].checks[port=5060].evidence.sip.server")" \
    "$a 5060 SIP Server header"
done

# 445 (Central Management Store): smbd accepts; where nothing listens the host's RST fails it
assert_check "$out" "$MTLS" 445/tcp pass open '^TCP connection accepted$'
# (the Central Management Store's inbound row, required: not the Front End's outbound one)
assert_json "$out" \
  ".hosts[address=$MTLS].checks[port=445].requirements[id=sfb2015-central-management-store-445-tcp].optional" \
  false
assert_check "$out" "$TLS" 445/tcp fail closed '^connection refused \(RST\)$'
assert_check "$out" "$REQ" 445/tcp fail closed '^connection refused \(RST\)$'
# another required Front End port, closed on a host that answers SIP: fail, not warn
assert_check "$out" "$MTLS" 444/tcp fail closed '^connection refused \(RST\)$'

# --- a fault: 445 dropped in front of smbd --------------------------------------------------
ns_drop_tcp fe 445
out=$NS_TMP/drop.json
rc=0
"$UCSCAN" scan --target "$MTLS" --ports 445/tcp,5061/tcp --timeout $((500 * UC_E2E_SLOW)) \
  --retries 1 --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 1 "$rc" "exit status (445 is filtered)"
assert_check "$out" "$MTLS" 445/tcp fail filtered '^no answer to 2 connection attempts'
assert_check "$out" "$MTLS" 5061/tcp pass open '^TCP connection accepted$'
# smbd itself is still there: the drop, not the server, made 445 silent
ns_pid_alive "$SRV_PID" || fail "smbd died during the test"
echo "ok"
