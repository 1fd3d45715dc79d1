#!/usr/bin/env bash
# tests/e2e/test_listen_cert.sh: `ucscan listen --role edge` serving the site's certificate
# (--cert/--key, issued by a test CA) instead of a generated one. Needs root. Uses
# 198.18.22.0/24.
#
#  1. the scan sees that certificate on every TLS port (subject, issuer, names, chain verified
#     with --ca), a CertificateRequest on the MTLS ports, SIP and XMPP answered inside TLS,
#     STUN with the listener token: every check passes;
#  2. a PEM holding both certificate and key works with --cert alone;
#  3. a key that does not match, or no key at all, is an input error (exit 2).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

: "${UCSCAN:?set UCSCAN to the ucscan binary}"
ok() { printf 'ok - %s\n' "$*"; }

ns_init listencert
ns_host edge 198.18.22.2/24 198.18.22.1
A=$(ns_addr edge)
PKI=$NS_TMP/pki
mkcert "$PKI" ca --is-ca --days 400
mkcert "$PKI" edge01 --ca ca --san edge01.ucscan.test,sip.ucscan.test --days 400
mkcert "$PKI" other --days 400
cat "$PKI/edge01.crt" "$PKI/edge01.key" >"$PKI/both.pem"

TOPO=$NS_TMP/topology.json
cat >"$TOPO" <<JSON
{"name": "cert-e2e", "hosts": [{"name": "edge01.ucscan.test", "address": "$A", "roles": ["edge"],
                                "pool": "sip.ucscan.test"}]}
JSON

# scan_listener ARGS...: a listener with ARGS, one scan of it, the listener stopped.
scan_listener() {
  ns_spawn edge "listener-$RANDOM" "$UCSCAN" listen --role edge --bind "$A" --duration 60 "$@"
  local pid=$SPAWN_PID log=$SPAWN_LOG rc=0
  ns_wait_until 20 grep -q "ready:" "$log" || fail "listener not ready: $(cat "$log")"
  "$UCSCAN" scan --topology "$TOPO" --ca "$PKI/ca.crt" --fast --timeout $((1000 * ${UC_E2E_SLOW:-1})) \
    --no-progress --out "$REP" \
    2>"$NS_TMP/scan.err" || rc=$?
  srv_stop "$pid"
  assert_eq 0 "$rc" "scan exit status - $(cat "$NS_TMP/scan.err")"
}

# ---- 1. --cert and --key -----------------------------------------------------------------------
REP=$NS_TMP/report.json
scan_listener --cert "$PKI/edge01.crt" --key "$PKI/edge01.key"
assert_json "$REP" .summary.fail 0
assert_json "$REP" .summary.warn 0
assert_json "$REP" .summary.pass 11
C='.hosts[0].checks'
for port in 443 5061 23456; do
  assert_json "$REP" "${C}[port=$port].evidence.tls.certificate.subject" CN=edge01
  assert_json "$REP" "${C}[port=$port].evidence.tls.certificate.issuer" CN=ca
  assert_json "$REP" "${C}[port=$port].evidence.tls.certificate.name_match" true
  assert_json "$REP" "${C}[port=$port].evidence.tls.chain.verified" true
done
assert_json "$REP" "${C}[port=443].evidence.tls.client_cert_requested" false
assert_json "$REP" "${C}[port=5061].evidence.tls.client_cert_requested" true
assert_json "$REP" "${C}[port=23456].evidence.tls.client_cert_requested" true
assert_json "$REP" "${C}[port=8057].evidence.tls.client_cert_requested" true # internal PSOM
assert_json "$REP" "${C}[port=5061].evidence.sip.status" 200
assert_contains "ucscan-listener/1" "$(json_get "$REP" "${C}[port=23456].evidence.xmpp.stream")"
assert_contains "ucscan-listener/1" "$(json_get "$REP" "${C}[port=3478].evidence.stun.software")"
ok "--cert/--key: the site's certificate on every TLS port, chain verified, everything passes"

# ---- 2. certificate and key in one file ---------------------------------------------------------
scan_listener --cert "$PKI/both.pem"
assert_json "$REP" .summary.pass 11
assert_json "$REP" "${C}[port=5061].evidence.tls.certificate.subject" CN=edge01
ok "--cert with the key in the same file"

# ---- 3. input errors ---------------------------------------------------------------------------
RC=0
ns_exec edge "$UCSCAN" listen --role edge --bind "$A" --cert "$PKI/edge01.crt" \
  --key "$PKI/other.key" >/dev/null 2>"$NS_TMP/err" || RC=$?
assert_eq 2 "$RC" "exit status with a key of another certificate"
assert_contains "does not match the certificate" "$(cat "$NS_TMP/err")"
RC=0
ns_exec edge "$UCSCAN" listen --role edge --bind "$A" --cert "$PKI/edge01.crt" >/dev/null \
  2>"$NS_TMP/err" || RC=$?
assert_eq 2 "$RC" "exit status with no key"
assert_contains "no PEM private key" "$(cat "$NS_TMP/err")"
ok "a key that does not match, or none: exit 2 and why"
