#!/usr/bin/env bash
# e2e (issue 6, interrupts and atomic results):
#   - SIGINT, and SIGTERM, in the middle of a scan whose TLS ports are tarpits (--timeout 30 s):
#     ucscan exits with 3 within a second, the partial report ("complete": false) holds every
#     check that had finished (open and closed ports, their verdicts and reasons), and the
#     cut-off ones only under "not_checked"; the connections to the tarpits are gone when it
#     exits
#   - the --out file is polled every few milliseconds during each run: it is always valid JSON,
#     first the old complete report, then the new one; no temporary file is left behind
#   - a signal while a host name is still being resolved (a DNS server that never answers)
#     also ends the scan within a second, with a partial report
#   - SIGHUP (the SSH session went away) is handled as SIGTERM is, unless the scan was started
#     with SIGHUP ignored (nohup): then it goes on
#   - a scan with nothing to probe (only skipped checks) ends at once, cleanly: exit 0
#   - a second SIGINT from another process more than a second after the first exits at once
#     (status 3), even when the first one's report cannot be delivered because stdout is a
#     pipe nobody reads; the --out file is then intact (copies within that second, and from
#     the first one's sender at any time: test_interrupt_group.sh)
# Subnet 198.18.36.0/24; loopback 127.0.0.36 (the silent DNS server).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1} # valgrind: ucscan starts and answers 20-50 times slower

ns_init
H=198.18.36.2
ns_host ix "$H/24" 198.18.36.1
srv_tcp_listen ix "$H" 7000-7019 # 7020-7039 closed
tarpits=()
for p in $(seq 7100 7139); do tarpits+=("tarpit@$H:$p"); done
srv_peers ix "${tarpits[@]}"
plog=$SRV_LOG
rows=()
for p in $(seq 7000 7039); do rows+=("$p/tcp/tcp"); done
for p in $(seq 7100 7139); do rows+=("$p/tcp/tls"); done
peers_catalog "$NS_TMP/site.json" slow "${rows[@]}"
printf '{"name": "e2e-interrupt", "hosts": [{"name": "slow.contoso.test", "address": "%s", "roles": ["slow"]}]}\n' \
  "$H" >"$NS_TMP/topo.json"
OUT=$NS_TMP/reports/report.json
mkdir -p "$NS_TMP/reports"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# polled conditions (ns_wait_until re-runs a command; $(...) in its arguments would not)
accepted_since() { (($(peers_count "$plog" accept) - $1 >= 40)); }
dns_asked() { (($(peers_count "$dnslog" datagram) >= 1)); }
report_replaced() { [[ $(json_get "$OUT" .started_at 2>/dev/null) != "$1" ]]; }

# The watcher polls FILE every 2 ms until STOPFILE exists and logs one line per change of
# what it reads: "valid <complete> <started_at>", "missing" or "INVALID <size>".
cat >"$NS_TMP/watch.py" <<'PY'
import json, os, sys, time
path, stop, log = sys.argv[1], sys.argv[2], sys.argv[3]
last, reads = None, 0
with open(log, "w") as out:
    while not os.path.exists(stop):
        try:
            with open(path, "rb") as f:
                data = f.read()
            try:
                r = json.loads(data)
                cur = "valid %s %s" % (json.dumps(r["complete"]), r["started_at"])
            except ValueError:
                cur = "INVALID %d" % len(data)
        except FileNotFoundError:
            cur = "missing"
        reads += 1
        if cur != last:
            print(cur, file=out, flush=True)
            last = cur
        time.sleep(0.002)
    print("reads %d" % reads, file=out, flush=True)
PY
start_watch() { # FILE: a watcher (registered: killed with the test) writing watch.log
  rm -f "$NS_TMP/watch.stop" "$NS_TMP/watch.log"
  ns_spawn - watch "$(ns_python)" "$NS_TMP/watch.py" "$1" "$NS_TMP/watch.stop" "$NS_TMP/watch.log"
  # shellcheck disable=SC2034 # used by stop_watch, inside eval
  WATCH_PID=$SPAWN_PID
  ns_wait_until 5 test -s "$NS_TMP/watch.log" || fail "the watcher did not start"
}
stop_watch() {
  : >"$NS_TMP/watch.stop"
  ns_wait_until 5 eval '! ns_pid_alive "$WATCH_PID"' || fail "the watcher did not stop"
}

# an old, complete report at --out
"$UCSCAN" scan --target "$H" --ports tcp:7000 --no-progress --out "$OUT" >/dev/null 2>&1 || true
assert_json "$OUT" .complete true
old_started=$(json_get "$OUT" .started_at)
sleep 1.1 # the new report's started_at differs from the old one's

interrupt_run() { # SIGNAL: one interrupted scan; sets LATENCY_MS, RC
  local sig=$1 pid t_sig n=0
  start_watch "$OUT"
  local before
  before=$(peers_count "$plog" accept)
  # SIGHUP at its default, whatever this test inherited: a test run started under nohup (or by
  # a runner that ignores SIGHUP) would otherwise pass the ignored hang-up on to ucscan, which
  # then rightly goes on (the nohup case below)
  env --default-signal=HUP "$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" \
    --timeout 30000 --per-host 128 --no-progress --out "$OUT" >/dev/null 2>"$NS_TMP/stderr" &
  pid=$!
  ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid" # should the test fail before it exits
  # every tarpit connected (all 80 checks started, the 40 quick ones answered)
  ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "the tarpits were not all reached"
  sleep 0.3
  t_sig=$(now_ms)
  kill "-$sig" "$pid"
  RC=0
  wait "$pid" || RC=$?
  LATENCY_MS=$(($(now_ms) - t_sig))
  sleep 0.2
  stop_watch
  # every tarpit connection was closed by the time ucscan exited
  n=$(peers_count "$plog" close)
  assert_eq "$(peers_count "$plog" accept)" "$n" "tarpit connections closed after SIG$sig"
}

check_partial() { # SIGNAL
  assert_eq 3 "$RC" "exit status after SIG$1"
  assert_faster "$LATENCY_MS" 1000 "exit after SIG$1"
  assert_json "$OUT" .complete false
  assert_ne "$old_started" "$(json_get "$OUT" .started_at)" "a new report after SIG$1"
  assert_json "$OUT" '.hosts[0].checks|length' 40
  assert_json "$OUT" .summary '{"checks":40,"fail":20,"hosts":1,"not_checked":40,"pass":20,"skip":0,"warn":0}'
  # the cut-off tarpit checks are named, not judged (test_interrupt_partial.sh: JUnit)
  assert_json "$OUT" '.hosts[0].not_checked|length' 40
  assert_json "$OUT" '.hosts[0].not_checked[-1].port' 7139
  assert_json "$OUT" '.hosts[0].not_checked[-1].reason' "the scan stopped while probing it"
  assert_check "$OUT" $H 7000/tcp pass open '^TCP connection accepted$'
  assert_check "$OUT" $H 7019/tcp pass open '^TCP connection accepted$'
  assert_check "$OUT" $H 7020/tcp fail closed '^connection refused \(RST\)$'
  assert_check "$OUT" $H 7039/tcp fail closed '^connection refused \(RST\)$'
  assert_json "$OUT" '.hosts[0].checks[-1].port' 7039 # checks in port order: no tarpit port
  assert_match "ucscan: (interrupted|terminated|hung up): stopping" "$(cat "$NS_TMP/stderr")"
  # the watcher saw the old report, then the new one, nothing in between
  local seen
  seen=$(grep -v '^reads' "$NS_TMP/watch.log")
  assert_eq "valid true $old_started
valid false $(json_get "$OUT" .started_at)" "$seen" "states of --out during the SIG$1 run"
  assert_match '^reads [0-9]{2,}$' "$(tail -n 1 "$NS_TMP/watch.log")"
  assert_eq "report.json" "$(ls -A "$NS_TMP/reports")" "files next to the report after SIG$1"
  echo "SIG$1: exit $RC after ${LATENCY_MS} ms, $(tail -n 1 "$NS_TMP/watch.log" | cut -d' ' -f2) reads of --out, all valid" >&2
}

interrupt_run INT
check_partial INT
# the SIGTERM run must replace the SIGINT run's report: give it a new started_at
old_started=$(json_get "$OUT" .started_at)
old_complete=false
sleep 1.1
interrupt_run TERM
assert_eq "valid $old_complete $old_started" "$(head -n 1 "$NS_TMP/watch.log")" "--out before the SIGTERM run"
sed -i "1s/.*/valid true $old_started/" "$NS_TMP/watch.log" # same shape as the first run's
check_partial TERM
# SIGHUP: the SSH session the scan was started from went away
old_started=$(json_get "$OUT" .started_at)
sleep 1.1
interrupt_run HUP
assert_eq "valid false $old_started" "$(head -n 1 "$NS_TMP/watch.log")" "--out before the SIGHUP run"
sed -i "1s/.*/valid true $old_started/" "$NS_TMP/watch.log"
check_partial HUP

# --- under nohup (SIGHUP ignored by the parent) a hang-up does not stop the scan -----------------
before=$(peers_count "$plog" accept)
(trap '' HUP && exec "$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" \
  --timeout 30000 --per-host 128 --no-progress --out "$NS_TMP/nohup.json" >/dev/null 2>"$NS_TMP/stderr") &
pid=$!
ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "the tarpits were not all reached (nohup run)"
kill -HUP "$pid"
sleep 0.5
ns_pid_alive "$pid" || fail "SIGHUP stopped a scan started with SIGHUP ignored (nohup)"
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 3 "$rc" "exit status after SIGINT (nohup run)"
assert_json "$NS_TMP/nohup.json" .complete false
echo "SIGHUP under nohup: ignored; SIGINT then stopped it" >&2

# --- a signal while a name is being resolved (a DNS server that never answers) -------------
srv_peers - "count-udp@127.0.0.36:53"
dnslog=$SRV_LOG
private_dns 127.0.0.36 "timeout:5 attempts:2"
printf '{"name": "e2e-interrupt-dns", "hosts": [{"name": "stuck.ucscan.invalid", "roles": ["director"]}]}\n' \
  >"$NS_TMP/topo-dns.json"
prev=$(json_get "$OUT" .started_at)
# (not through a shell function: $! must be ucscan itself, which unshare and sh exec)
"${PRIVATE_DNS[@]}" "$UCSCAN" scan --topology "$NS_TMP/topo-dns.json" --no-progress --out "$OUT" \
  >/dev/null 2>"$NS_TMP/stderr" &
pid=$!
ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
ns_wait_until $((5 * SLOW)) dns_asked || fail "no DNS query"
sleep 0.2
t_sig=$(now_ms)
kill -INT "$pid"
rc=0
wait "$pid" || rc=$?
lat=$(($(now_ms) - t_sig))
echo "SIGINT while resolving: exit $rc after $lat ms" >&2
assert_eq 3 "$rc" "exit status after SIGINT while resolving"
assert_faster "$lat" 1000 "exit after SIGINT while resolving"
assert_json "$OUT" .complete false
assert_ne "$prev" "$(json_get "$OUT" .started_at)" "a new report after SIGINT while resolving"
# nothing was probed: only the rows no scan probes (the Director's outbound twins) are listed
assert_json "$OUT" .summary.pass 0
assert_json "$OUT" .summary.warn 0
assert_json "$OUT" .summary.fail 0

# --- a second SIGINT exits at once ----------------------------------------------------------
# First SIGINT: the report goes to --out, then to stdout, a pipe that nobody reads (the
# report is larger than the pipe buffer, so the write blocks). Second SIGINT, from another
# process (/bin/kill) more than a second later: exit 3 now. (One within the second is taken
# for a copy of the first, and so is one from the sender of the first at any time:
# test_interrupt_group.sh)
prev=$(json_get "$OUT" .started_at)
sleep 1.1 # a new started_at tells the new report from the previous one
for p in $(seq 7200 7499); do rows+=("$p/tcp/tcp"); done # 300 more closed ports: a big report
peers_catalog "$NS_TMP/site-big.json" slow "${rows[@]}"
mkfifo "$NS_TMP/pipe"
exec 7<>"$NS_TMP/pipe" # held open for reading, never read
start_watch "$OUT"
before=$(peers_count "$plog" accept)
"$UCSCAN" scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site-big.json" --timeout 30000 \
  --per-host 512 --no-progress --out "$OUT" --format json >"$NS_TMP/pipe" 2>"$NS_TMP/stderr" &
pid=$!
ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "tarpits not reached"
sleep 0.3
kill -INT "$pid"
ns_wait_until $((5 * SLOW)) report_replaced "$prev" || fail "no report after the first SIGINT"
sleep 1.2
ns_pid_alive "$pid" || fail "ucscan exited although its stdout is blocked (test premise)"
t_sig=$(now_ms)
/bin/kill -INT "$pid" # another process: this shell sent the first
rc=0
wait "$pid" || rc=$?
lat=$(($(now_ms) - t_sig))
exec 7<&-
stop_watch
echo "second SIGINT: exit $rc after $lat ms" >&2
assert_eq 3 "$rc" "exit status after the second SIGINT"
assert_faster "$lat" 1500 "exit after the second SIGINT (it would block on stdout forever)"
assert_contains "signal during shutdown: exiting now (status 3)" "$(cat "$NS_TMP/stderr")"
assert_eq "report.json" "$(ls -A "$NS_TMP/reports")" "files next to the report after the second SIGINT"
assert_json "$OUT" .complete false
assert_eq 0 "$(grep -c INVALID "$NS_TMP/watch.log" || true)" "invalid states of --out"

# --- nothing to probe: every check skipped (a client has no listening port) ------------------
# The engine finishes inside its own start; the loop must still be left clean (was a SIGSEGV
# after the report, exit 139).
rc=0
"$UCSCAN" scan --target 127.0.0.36 --role client --no-progress --out "$NS_TMP/skip.json" \
  >/dev/null 2>"$NS_TMP/stderr" || rc=$?
assert_eq 0 "$rc" "exit status of a scan with nothing to probe ($(cat "$NS_TMP/stderr"))"
assert_json "$NS_TMP/skip.json" .complete true
assert_json "$NS_TMP/skip.json" .summary '{"checks":8,"fail":0,"hosts":1,"pass":0,"skip":8,"warn":0}'
echo "ok"
