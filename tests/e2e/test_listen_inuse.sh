#!/usr/bin/env bash
# tests/e2e/test_listen_inuse.sh: what `ucscan listen` says and how it exits when it cannot
# open everything. Needs root. Uses 198.18.21.0/24.
#
#  1. ports already taken by other processes (TCP 5068, UDP 1434): the table names them
#     ("address in use (by pid N python3)"), exit 1 and nothing kept open; with
#     --allow-partial it listens on the rest and exits 0 at --duration;
#  2. ports below 1024 without root: "permission denied (ports below 1024 need root or
#     CAP_NET_BIND_SERVICE)", exit 1;
#  3. a file descriptor limit too small for the media range (not root, so it cannot be
#     raised): said up front, the ports beyond it reported, exit 1;
#  4. usage and input errors exit 2.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/e2e/lib/assert.sh
source "$HERE/lib/assert.sh"
# shellcheck source=tests/e2e/lib/servers.sh
source "$HERE/lib/servers.sh"

: "${UCSCAN:?set UCSCAN to the ucscan binary}"
ok() { printf 'ok - %s\n' "$*"; }
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)

ns_init listeninuse
ns_host h 198.18.21.2/24 198.18.21.1
A=$(ns_addr h)
OUT=$NS_TMP/out ERR=$NS_TMP/err

# listen_in NS ARGS...: runs ucscan listen inside the host; exit status in RC, output in files.
listen_in() {
  RC=0
  ns_exec h "$@" >"$OUT" 2>"$ERR" || RC=$?
}

# ---- 1. address in use -------------------------------------------------------------------------
srv_tcp_listen h "$A" 5068
TPID=$SRV_PID
srv_udp_echo h "$A" 1434
UPID=$SRV_PID
listen_in "$UCSCAN" listen --role mediation --bind "$A" --duration 1
assert_eq 1 "$RC" "exit status with ports in use"
assert_match "5068/tcp +tcp +FAILED +address in use \(by pid $TPID python3[^)]*\)" "$(cat "$OUT")" \
  "table row for 5068"
assert_match "1434/udp +sql-browser +FAILED +address in use \(by pid $UPID python3[^)]*\)" \
  "$(cat "$OUT")" "table row for 1434"
assert_contains "opened 16701 of 16703 ports on $A; 2 could not be opened" "$(cat "$OUT")"
assert_contains "not every port could be opened: stopping (--allow-partial" "$(cat "$ERR")"
assert_eq open "$(probe_tcp - "$A" 5068 1)" "5068, still the other server's"
assert_eq refused "$(probe_tcp - "$A" 5070 1)" "5070 after listen gave up"
ok "ports in use: named with their process, exit 1, nothing left listening"

listen_in "$UCSCAN" listen --role mediation --bind "$A" --duration 1 --allow-partial
assert_eq 0 "$RC" "exit status with --allow-partial"
assert_contains "ready: listening on 16701 ports for 1 s" "$(cat "$ERR")"
assert_contains "--duration reached" "$(cat "$ERR")"
ok "--allow-partial: listens on the other 16701 ports, exit 0 at --duration"
srv_stop "$TPID"
srv_stop "$UPID"

# ---- 2. privileged ports without root ----------------------------------------------------------
listen_in "${NOBODY[@]}" "$UCSCAN" listen --role director --bind "$A" --duration 1
assert_eq 1 "$RC" "exit status as nobody"
assert_match "445/tcp +tcp +FAILED +permission denied \(ports below 1024 need root or CAP_NET_BIND_SERVICE\)" \
  "$(cat "$OUT")" "table row for 445"
assert_match "444/tcp +https +FAILED +permission denied" "$(cat "$OUT")" "table row for 444"
assert_match "5061/tcp +mtls +open +TLS, client certificate requested; answers SIP" "$(cat "$OUT")"
assert_contains "opened 3 of 5 ports" "$(cat "$OUT")"
ok "ports below 1024 without root: permission denied, said why, exit 1"

# ---- 3. too few file descriptors ---------------------------------------------------------------
# (prlimit first: setpriv then execs ucscan as in case 2, which works from a 0700 checkout)
listen_in prlimit --nofile=1024:1024 "${NOBODY[@]}" "$UCSCAN" listen --role mediation --bind "$A" \
  --duration 1
assert_eq 1 "$RC" "exit status with 1024 descriptors"
assert_match "the file descriptor limit is too small: 16703 ports and 1024 connections need about [0-9]+ descriptors, RLIMIT_NOFILE allows [0-9]+ \(hard limit [0-9]+\); only [0-9]+ ports will open" \
  "$(cat "$ERR")" "up-front warning"
assert_match "57500/(tcp|udp) +rtp +FAILED +not opened: the file descriptor limit \([0-9]+\) is too small" \
  "$(cat "$OUT")" "table rows beyond the limit"
assert_match "1434/udp +sql-browser +open" "$(cat "$OUT")" "single ports before range ports"
assert_match "opened [0-9]+ of 16703 ports on $A; [0-9]+ could not be opened" "$(cat "$OUT")"
ok "descriptor limit too small: said up front, ports beyond it listed, exit 1"

# ---- 4. usage and input ------------------------------------------------------------------------
private_dns 127.0.0.21 # nothing listens there: the name in --bind fails at once, and locally
for args in "" "--role" "--role bogus" "--role edge --cert /nonexistent.pem" \
  "--role edge --key k.pem" "--role edge --bind no-such-host.invalid" "--role edge --duration 0" \
  "--role edge --product sfb2099" "--role edge extra"; do
  RC=0
  # shellcheck disable=SC2086 # word splitting wanted
  "${PRIVATE_DNS[@]}" "$UCSCAN" listen $args >/dev/null 2>"$ERR" || RC=$?
  assert_eq 2 "$RC" "exit status of: ucscan listen $args ($(head -n 1 "$ERR"))"
done
assert_contains "--role ROLE" "$("$UCSCAN" listen --help)" "help"
ok "usage and input errors exit 2"
