#!/usr/bin/env bash
# e2e: a scanner whose event loop runs late (a loaded machine, a stopped process, a VM that
# lost its CPU) must not call an answered port filtered. The connect's answer is in the socket
# before its deadline, but a late loop runs expired timers before it polls: the deadline must
# look at the socket before it says "no answer".
#
# Made deterministic with SIGSTOP: the target drops the scanner's first SYN (nftables), the
# scanner is stopped while its connect waits, the drop is lifted so that the kernel's
# retransmitted SYN is answered and the connection established, and the scanner is continued
# only after the connect's deadline has passed (its poll returns EINTR, the timers run first).
# The TLS check (443, openssl s_server) must then pass: without the socket check it was
# "filtered: no answer to 1 connection attempts". Subnet 198.18.90.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/peers.sh
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1}
ok() { printf 'ok - %s\n' "$*"; }

ns_init
H=198.18.90.2
ns_host tgt "$H/24" 198.18.90.1
mkcert "$NS_TMP/pki" fe01.contoso.test --days 365 --san fe01.contoso.test
srv_tls tgt "$H" 443 "$MKCERT_CRT" "$MKCERT_KEY"
peers_catalog "$NS_TMP/lab.json" lab 443/tcp/https/web
printf '{"name": "late", "hosts": [{"name": "fe01.contoso.test", "address": "%s", "roles": ["lab"]}]}\n' \
  "$H" >"$NS_TMP/topo.json"
ns_drop_tcp tgt 443

# The connect's deadline is the whole timeout (no round trip measured yet on this host); under
# valgrind or ASan more of it, for the handshake after the scanner continues.
timeout_ms=$((SLOW > 1 ? 8000 : 2000))
out=$NS_TMP/report.json
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/lab.json" --timeout "$timeout_ms" \
  --retries 0 --no-progress --out "$out" >/dev/null 2>"$NS_TMP/stderr" &
pid=$!
ns_defer "kill -CONT $pid 2>/dev/null; kill $pid 2>/dev/null || true"
syn_sent() { [[ -n $(ss -Htn state syn-sent dst "$H" dport = :443) ]]; }
established() { [[ -n $(ss -Htn state established dst "$H" dport = :443) ]]; }
ns_wait_until $((5 * SLOW)) syn_sent || fail "the scanner never sent its SYN to $H:443"
kill -STOP "$pid"
t_stop=$(date +%s%N)
ns_exec tgt nft flush chain inet uc_e2e input # the kernel's retransmitted SYN gets through
ns_wait_until 8 established || fail "no connection established while the scanner was stopped"
# continue once the deadline has passed, with a margin
while (($(date +%s%N) - t_stop < (timeout_ms + 500) * 1000000)); do sleep 0.1; done
kill -CONT "$pid"
rc=0
wait "$pid" || rc=$?
[[ -s $out ]] || fail "no report (exit $rc): $(tail -3 "$NS_TMP/stderr")"
assert_check "$out" fe01.contoso.test 443/tcp pass open 'TLS 1\.3 handshake completed'
assert_eq 0 "$rc" "exit status (the check passes)"
ok "an answer that waited in the socket past the deadline counts: 443 passes"
