#!/usr/bin/env bash
# e2e (issue 12, item 6): slow but working servers pass with the default profile; the tarpit
# beside them still fails.
#   - a SIP server that accepts at once but answers OPTIONS after 1.5 s (plain, and over a TLS
#     handshake that itself takes 0.8 s), an MTLS server and an HTTPS server whose handshakes
#     complete after 0.8 s: pass, with the protocol's answer as evidence
#   - on the same host, 20 closed ports answer at once (the host's round-trip estimate becomes
#     sub-millisecond: it must not shorten a handshake's or an answer's deadline)
#   - a TLS tarpit (accepts, never handshakes) and a SIP tarpit (accepts, never answers): fail,
#     at the default 2 s deadline
# Scanned with the default profile (no --timeout); under valgrind (UC_E2E_SLOW > 1) the
# scanner's own slowness is added to every exchange, so --timeout is scaled there.
# Subnet 198.18.74.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1}

ns_init
H=198.18.74.2
ns_host sx "$H/24" 198.18.74.1
mkcert "$NS_TMP/pki" slow.contoso.test --san slow.contoso.test --days 365
srv_peers sx --cert "$MKCERT_CRT" --key "$MKCERT_KEY" \
  "sip@$H:5060,delay=1.5" \
  "mtls:tarpit@$H:5061,handshake=0.8" \
  "tls:sip@$H:5062,handshake=0.8,delay=1.5" \
  "tls:http@$H:443,handshake=0.8,delay=1.5" \
  "tarpit@$H:5063" \
  "tarpit@$H:5064"
rows=(5060/tcp/sip/sip 5061/tcp/mtls 5062/tcp/tls/sip 443/tcp/https 5063/tcp/tls 5064/tcp/sip/sip)
for p in $(seq 7000 7019); do rows+=("$p/tcp/tcp"); done
peers_catalog "$NS_TMP/site.json" slowlab "${rows[@]}"
printf '{"name": "e2e-slow", "hosts": [{"name": "slow.contoso.test", "address": "%s", "roles": ["slowlab"]}]}\n' \
  "$H" >"$NS_TMP/topo.json"

deadline=2000 extra=()
if ((SLOW > 1)); then
  deadline=$((2000 * SLOW))
  extra=(--timeout "$deadline")
fi
out=$NS_TMP/report.json
rc=0
t0=$(date +%s%N)
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" --no-progress \
  "${extra[@]+"${extra[@]}"}" --out "$out" >/dev/null 2>"$NS_TMP/stderr" || rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
assert_eq 1 "$rc" "exit status ($(cat "$NS_TMP/stderr"))"
N=slow.contoso.test
tls_ok='^TLS 1\.[23] handshake completed; '
assert_check "$out" $N 5060/tcp pass open '^SIP OPTIONS answered 200 OK \(Server: RTC/6\.0\)$'
assert_check "$out" $N 5061/tcp pass open "${tls_ok}client certificate requested"
assert_check "$out" $N 5062/tcp pass open "${tls_ok}no client certificate requested; SIP OPTIONS answered 200 OK \\(Server: RTC/6\\.0\\)$"
assert_check "$out" $N 443/tcp pass open "${tls_ok}no client certificate requested; HTTP 200 OK \\(Server: Microsoft-IIS/8\\.5\\)$"
assert_json "$out" '.hosts[0].checks[port=5060].evidence.sip.status' 200
assert_json "$out" '.hosts[0].checks[port=5062].evidence.sip.status' 200
assert_check "$out" $N 5063/tcp fail open "^TLS handshake timed out after $deadline ms \\(0 bytes received\\)$"
assert_check "$out" $N 5064/tcp fail open '^no SIP answer to OPTIONS'
assert_check "$out" $N 7000/tcp fail closed '^connection refused \(RST\)$'
assert_json "$out" .summary '{"checks":26,"fail":22,"hosts":1,"pass":4,"skip":0,"warn":0}'
# the slow ones took their time: the answers really came late
for p in 5060 5062 443; do
  rtt=$(json_get "$out" ".hosts[0].checks[port=$p].rtt_ms")
  echo "$p/tcp: rtt_ms $rtt" >&2
done
echo "slow servers pass beside the tarpits (default profile): ${ms} ms" >&2
echo "ok"
