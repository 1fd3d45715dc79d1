#!/usr/bin/env bash
# .ci/lib/smoke.sh - runs the ucscan binary ($UCSCAN, which may be a valgrind wrapper or a
# sanitizer build) through a fixed set of invocations, so that .ci/valgrind.sh and
# .ci/sanitize.sh exercise the real program even where no end-to-end test calls it:
#   1. command line: version, help, usage errors, the catalog listing (plain, JSON, per role);
#   2. bad input (exit 2, nothing scanned): port specs tcp:0, tcp:70000, tcp:5-1, udp:, sctp:;
#      topology files missing, malformed, truncated, binary, 100 MB (sparse), with an unknown
#      role, a duplicate host, no hosts; a malformed site catalog; an unwritable --out;
#   3. with root: a scan of a topology (director, edge and mediation roles) on the loopback
#      address $SMOKE_ADDR (default 127.0.0.250), with servers from tests/e2e/lib: TLS
#      (openssl s_server, HTTPS on 443 and 444, a client certificate request on 5061), coturn
#      (STUN/MS-TURN on 3478), an XMPP stream header on 5269, a plain listener on 5060 and 80;
#      the other ports are closed (RST, ICMP), the media ranges are swept. The report must be
#      complete JSON; --out and --format table are used too.
# Each invocation's exit status is checked; the script exits 1 on the first mismatch.
# Usage: UCSCAN=/path/to/ucscan bash .ci/lib/smoke.sh
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
: "${UCSCAN:?set UCSCAN to the ucscan binary or wrapper}"
SMOKE_ADDR=${SMOKE_ADDR:-127.0.0.250}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-smoke.XXXXXX")
trap 'rm -rf "$TMP"' EXIT # until ns_init takes over the trap (then ns_defer below)
N=0

say() { printf 'smoke: %s\n' "$*"; }

# expect CODES CMD...: run ucscan with CMD, its exit status must be one of CODES ("2", "0|1").
expect() {
  local want=$1 rc=0
  shift
  N=$((N + 1))
  "$UCSCAN" "$@" >"$TMP/out.$N" 2>"$TMP/err.$N" || rc=$?
  if [[ ! $rc =~ ^($want)$ ]]; then
    say "FAIL: ucscan $* exited $rc, expected $want"
    echo "--- stderr:"
    tail -n 20 "$TMP/err.$N"
    exit 1
  fi
}

# ---- 1. command line ---------------------------------------------------------------------
expect 0 --version
expect 0 --help
expect 0 help scan
expect 0 scan --help
expect 2
expect 2 bogus
expect 2 scan
expect 2 scan --target 127.0.0.1
expect 2 scan --target 127.0.0.1 --ports tcp:80 --timeout banana
expect 0 catalog
expect 0 catalog --json
expect 0 catalog --role edge --product lync2013
expect 2 catalog --role nope

# ---- 2. bad input ------------------------------------------------------------------------
for spec in tcp:0 tcp:70000 tcp:5-1 udp: sctp:80 80 "tcp:80,,443" ""; do
  expect 2 scan --target 127.0.0.1 --ports "$spec"
done
printf '{"hosts": [' >"$TMP/truncated.json"
printf '{"hosts": \x00\x01\x02' >"$TMP/binary.json"
printf '{"hosts": [{"name": "a.test", "roles": ["nope"]}]}' >"$TMP/role.json"
printf '{"hosts": [{"name": "a.test", "roles": ["edge"]}, {"name": "A.TEST.", "roles": ["edge"]}]}' \
  >"$TMP/dup.json"
printf '{"hosts": []}' >"$TMP/empty.json"
printf 'not json at all\n' >"$TMP/text.json"
: >"$TMP/zero.json"
truncate -s 100M "$TMP/huge.json"
for f in truncated binary role dup empty text zero huge; do
  expect 2 scan --topology "$TMP/$f.json"
done
expect 2 scan --topology "$TMP/missing.json"
expect 2 scan --topology "$TMP" # a directory
expect 2 catalog --catalog "$TMP/truncated.json"
expect 2 scan --target 127.0.0.1 --ports tcp:80 --catalog "$TMP/huge.json"
expect 2 scan --target 127.0.0.1 --ports tcp:80 --out "$TMP/no/such/dir/report.json"
say "command line and bad input: $N invocations as expected"

# ---- 3. a scan against loopback servers ---------------------------------------------------
if ((EUID != 0)); then
  say "not root: loopback servers on privileged ports skipped"
  exit 0
fi
# shellcheck source=tests/e2e/lib/servers.sh
source "$SRC/tests/e2e/lib/servers.sh"
ns_init smoke
ns_defer "rm -rf '$TMP'"
mkcert "$NS_TMP/pki" srv --san "h1.smoke.test,$SMOKE_ADDR"
srv_tls - "$SMOKE_ADDR" 443 "$MKCERT_CRT" "$MKCERT_KEY"
srv_tls - "$SMOKE_ADDR" 444 "$MKCERT_CRT" "$MKCERT_KEY"
srv_tls - "$SMOKE_ADDR" 5061 "$MKCERT_CRT" "$MKCERT_KEY" --request-client-cert
srv_tcp_listen - "$SMOKE_ADDR" 80 5060
srv_turnserver - "$SMOKE_ADDR" 3478
ns_spawn - xmpp "$(ns_python)" -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5269)); s.listen(16)
while True:
    c, _ = s.accept()
    c.sendall(b"<?xml version=\"1.0\"?><stream:stream xmlns=\"jabber:server\" "
              b"xmlns:stream=\"http://etherx.jabber.org/streams\" from=\"smoke.test\" "
              b"id=\"s1\" version=\"1.0\"><stream:features/>")
    c.close()
' "$SMOKE_ADDR"
wait_tcp_bound - "$SMOKE_ADDR" 5269

printf '{"name": "smoke", "hosts": [{"name": "h1.smoke.test", "address": "%s", "roles": ["director", "edge", "mediation"]}]}\n' \
  "$SMOKE_ADDR" >"$TMP/topology.json"
expect "0|1" scan --topology "$TMP/topology.json" --fast --timeout 1000 --no-progress \
  --out "$TMP/report.json" --format table
"$(ns_python)" - "$TMP/report.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["complete"] is True, "report not complete"
checks = {(c["port"], c["transport"]): c for h in r["hosts"] for c in h["checks"]}
for key in [(443, "tcp"), (5061, "tcp"), (5269, "tcp"), (3478, "udp")]:
    assert checks[key]["state"] == "open", (key, checks[key]["state"], checks[key]["reason"])
print("smoke: report complete, %d checks; 443 %s, 5061 %s, 5269 %s, 3478/udp %s" % (
    len(checks), *(checks[k]["verdict"] for k in [(443, "tcp"), (5061, "tcp"), (5269, "tcp"),
                                                  (3478, "udp")])))
EOF
expect "0|1" scan --target "$SMOKE_ADDR" --ports "tcp:443,5061,5269,1-200,udp:3478,1434" \
  --fast --timeout 1000 --no-progress
say "all $N invocations as expected"
