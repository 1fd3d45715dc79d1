#!/usr/bin/env bash
# e2e (issue 12, item 1): two copies of one stop signal never cost the report.
# timeout(1) signals its child and then its whole process group; systemd's stop, CI runners and
# `kill -TERM -PGID` next to a wrapper that forwards the signal do the same: ucscan gets two
# SIGTERMs at once. The rule (README, "Exit status"): the first SIGINT, SIGTERM or SIGHUP
# stops the scan and the partial report is written; the same signal again from the process
# that sent the first (kill(2)) is a copy at any time, and so is another SIGINT or SIGTERM
# within 1 s of the first; a signal from another sender after that second, or a Ctrl-C typed
# on the terminal at any time, exits at once (status 3); a repeated SIGHUP never stops the
# report.
#   - `timeout --preserve-status 1 ucscan scan ...`, RUNS times: exit 3, the report written
#     each time, "complete": false, the checks that had finished in it
#   - `kill -TERM -- PID -PGID` (the process and its group, from one sender), RUNS times: same
#   - a wrapper shell in the group that forwards SIGTERM to ucscan, `kill -TERM -PGID`: same
#   - with the report stuck on a stdout nobody reads: a kill -INT 0.1 s after a typed Ctrl-C
#     is ignored; a second Ctrl-C typed on the terminal (a pty) exits at once; a SIGTERM sent
#     again by the same shell 1.5 s after its first is ignored, and once stdout is read the
#     whole partial report is written there and the exit status is 3; a SIGTERM from another
#     process (/bin/kill) 1.3 s after the first exits at once
# Subnet 198.18.70.0/24.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$HERE/lib/assert.sh"
source "$HERE/lib/peers.sh"
UCSCAN=${UCSCAN:-$HERE/../../build/ucscan}
SLOW=${UC_E2E_SLOW:-1}
# runs of each kind: the bug lost the report about 1 run in 3
RUNS=${UC_E2E_SIGNAL_RUNS:-$((SLOW > 1 ? 3 : 12))}

ns_init
H=198.18.70.2
ns_host gx "$H/24" 198.18.70.1
srv_tcp_listen gx "$H" 7000-7009 # 7010-7019 closed
tarpits=()
for p in $(seq 7100 7119); do tarpits+=("tarpit@$H:$p"); done
srv_peers gx "${tarpits[@]}"
plog=$SRV_LOG
rows=()
for p in $(seq 7000 7019); do rows+=("$p/tcp/tcp"); done
for p in $(seq 7100 7119); do rows+=("$p/tcp/tls"); done
peers_catalog "$NS_TMP/site.json" slow "${rows[@]}"
printf '{"name": "e2e-group", "hosts": [{"name": "slow.contoso.test", "address": "%s", "roles": ["slow"]}]}\n' \
  "$H" >"$NS_TMP/topo.json"
SCAN=(scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site.json" --timeout 30000
  --per-host 64 --no-progress)
OUT=$NS_TMP/report.json
now_ms() { echo $(($(date +%s%N) / 1000000)); }
accepted_since() { (($(peers_count "$plog" accept) - $1 >= 20)); }

check_report() { # WHAT RC: exit 3 and a partial report holding the 20 quick checks
  assert_eq 3 "$2" "$1: exit status ($(cat "$NS_TMP/stderr"))"
  [[ -s $OUT ]] || fail "$1: no report written ($(cat "$NS_TMP/stderr"))"
  assert_json "$OUT" .complete false
  assert_json "$OUT" .summary '{"checks":20,"fail":10,"hosts":1,"not_checked":20,"pass":10,"skip":0,"warn":0}'
  assert_match "ucscan: terminated: stopping" "$(cat "$NS_TMP/stderr")"
  if grep -q "exiting now" "$NS_TMP/stderr"; then fail "$1: exited without the report"; fi
}

# --- timeout(1): the child, then the group ---------------------------------------------------
ignored=0
for run in $(seq "$RUNS"); do
  rm -f "$OUT"
  rc=0
  timeout --preserve-status -s TERM "$SLOW" "$UCSCAN" "${SCAN[@]}" --out "$OUT" >/dev/null \
    2>"$NS_TMP/stderr" || rc=$?
  check_report "timeout run $run" "$rc"
  if grep -q "ignored" "$NS_TMP/stderr"; then ignored=$((ignored + 1)); fi
done
echo "timeout(1): $RUNS runs, a report each time; a second SIGTERM seen and ignored in $ignored" >&2

# --- kill -TERM -- PID -PGID: the process and its group, one sender ---------------------------
ignored=0
for run in $(seq "$RUNS"); do
  rm -f "$OUT"
  before=$(peers_count "$plog" accept)
  # setsid execs ucscan as the leader of a new process group (a background job here is not one)
  setsid "$UCSCAN" "${SCAN[@]}" --out "$OUT" >/dev/null 2>"$NS_TMP/stderr" &
  pid=$!
  ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
  ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "group run $run: tarpits not reached"
  kill -TERM -- "$pid" "-$pid"
  rc=0
  wait "$pid" || rc=$?
  check_report "group run $run" "$rc"
  if grep -q "ignored" "$NS_TMP/stderr"; then ignored=$((ignored + 1)); fi
done
echo "kill -TERM PID -PGID: $RUNS runs, a report each time; the copy seen and ignored in $ignored" >&2

# --- a wrapper that forwards SIGTERM, and the group kill ---------------------------------------
cat >"$NS_TMP/wrapper.sh" <<'SH'
trap 'kill -TERM "$child" 2>/dev/null' TERM
"$@" &
child=$!
wait "$child" || wait "$child"
SH
for run in $(seq "$RUNS"); do
  rm -f "$OUT"
  before=$(peers_count "$plog" accept)
  setsid bash "$NS_TMP/wrapper.sh" "$UCSCAN" "${SCAN[@]}" --out "$OUT" >/dev/null 2>"$NS_TMP/stderr" &
  pid=$!
  ns_defer "kill -9 -- -$pid 2>/dev/null || true"
  ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "wrapper run $run: tarpits not reached"
  kill -TERM -- "-$pid"
  rc=0
  wait "$pid" || rc=$?
  check_report "wrapper run $run" "$rc"
done
echo "a forwarding wrapper and kill -TERM -PGID: $RUNS runs, a report each time" >&2

# --- the report stuck on stdout: what exits at once, what does not -----------------------------
# 300 more closed ports make the report bigger than a pipe's buffer; stdout is a FIFO held open
# and never read, so after the first signal ucscan writes --out and then blocks on stdout.
for p in $(seq 7200 7499); do rows+=("$p/tcp/tcp"); done
peers_catalog "$NS_TMP/site-big.json" slow "${rows[@]}"
BIG=(scan --topology "$NS_TMP/topo.json" --catalog "$NS_TMP/site-big.json" --timeout 30000
  --per-host 512 --no-progress --out "$OUT" --format json)
mkfifo "$NS_TMP/pipe"
exec 7<>"$NS_TMP/pipe"
# The terminal run: ucscan's stdin is a pty it has as its controlling terminal, in the
# terminal's foreground process group, so a ^C written to the pty is a keypress (SIGINT from
# the kernel, not from kill(2)). Prints "alive=<after the kill -INT> rc=<status> ms=<latency>".
cat >"$NS_TMP/ctty.py" <<'PY'
import fcntl, json, os, pty, signal, subprocess, sys, termios, time
out, pipe, err, slow, *cmd = sys.argv[1:]
slow = int(slow)
m, s = pty.openpty()
with open(pipe, "wb", buffering=0) as so, open(err, "wb") as se:
    p = subprocess.Popen(cmd, stdin=s, stdout=so, stderr=se, start_new_session=True,
                         preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
os.close(s)
def wait_for(pred, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False
def new_report():
    try:
        return json.load(open(out))["complete"] is False
    except (OSError, ValueError, KeyError):
        return False
time.sleep(0.5 * slow)                      # the scan is under way
os.write(m, b"\x03")                         # ^C: stop, write the report
time.sleep(0.1)
os.kill(p.pid, signal.SIGINT)               # a copy from kill(2), within the second: ignored
if not wait_for(new_report, 10 * slow):
    print("no-report"); p.kill(); sys.exit(0)
time.sleep(0.3)
alive = p.poll() is None                    # blocked on stdout, the copy ignored
t = time.monotonic()
os.write(m, b"\x03")                         # a person's second ^C: exit at once
try:
    rc = p.wait(timeout=10 * slow)
except subprocess.TimeoutExpired:
    p.kill(); rc = p.wait()
print("alive=%d rc=%d ms=%d" % (alive, rc, (time.monotonic() - t) * 1000))
PY
rm -f "$OUT"
res=$("$(ns_python)" "$NS_TMP/ctty.py" "$OUT" "$NS_TMP/pipe" "$NS_TMP/stderr" "$SLOW" "$UCSCAN" "${BIG[@]}")
echo "pty: $res" >&2
[[ $res =~ ^alive=([01])\ rc=([0-9-]+)\ ms=([0-9]+)$ ]] || fail "pty run: $res ($(cat "$NS_TMP/stderr"))"
assert_eq 1 "${BASH_REMATCH[1]}" "ucscan alive after a kill -INT 0.1 s after the first ^C"
assert_eq 3 "${BASH_REMATCH[2]}" "exit status after the second ^C"
# (ucscan would otherwise wait for its blocked stdout forever: the bound tells "at once" from
# "never", with room for a loaded machine's fork and scheduling; 300 ms failed at 309 in CI)
assert_faster "${BASH_REMATCH[3]}" 1500 "exit after the second ^C"
assert_contains "signal during shutdown: exiting now (status 3)" "$(cat "$NS_TMP/stderr")"
assert_json "$OUT" .complete false

# the same sender's SIGTERM again 1.5 s later (a supervisor repeating itself while a slow
# shutdown writes): ignored; the report is written in full once stdout is read, exit 3
# An empty FIFO: the pty run's output goes with its last holder. (Two commands: bash opens the
# new descriptor of `exec 7<&- 7<>FILE` before it closes the old one.)
exec 7<&-
exec 7<>"$NS_TMP/pipe"
rm -f "$OUT"
before=$(peers_count "$plog" accept)
"$UCSCAN" "${BIG[@]}" >"$NS_TMP/pipe" 2>"$NS_TMP/stderr" &
pid=$!
ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "same-sender run: tarpits not reached"
kill -TERM "$pid" # bash's kill: sent by this shell
ns_wait_until $((5 * SLOW)) test -s "$OUT" || fail "no report after the first SIGTERM"
sleep 1.5
ns_pid_alive "$pid" || fail "ucscan exited although its stdout is blocked (test premise)"
kill -TERM "$pid" # the same shell, past the 1 s grace
sleep 0.5
ns_pid_alive "$pid" || fail "a second SIGTERM from the same sender 1.5 s later ended the scan \
before its report was written ($(cat "$NS_TMP/stderr"))"
assert_contains "SIGTERM again from the process that sent the first: taken for a copy" \
  "$(cat "$NS_TMP/stderr")"
# the reader, without this shell's descriptor 7 (a writer: it would never see the end)
cat "$NS_TMP/pipe" >"$NS_TMP/stdout.json" 7<&- &
reader=$!
rc=0
wait "$pid" || rc=$?
exec 7<&- # the last writer gone: the reader sees the end
wait "$reader"
assert_eq 3 "$rc" "exit status after a second SIGTERM from the same sender ($(cat "$NS_TMP/stderr"))"
if grep -q "exiting now" "$NS_TMP/stderr"; then fail "same-sender run: exited without the report"; fi
assert_json "$NS_TMP/stdout.json" .complete false
assert_json "$OUT" .complete false
same=$("$(ns_python)" - "$OUT" "$NS_TMP/stdout.json" <<'EOF'
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
print(a["summary"] == b["summary"] and a["hosts"] == b["hosts"], a["summary"]["checks"])
EOF
)
assert_match "^True [1-9]" "$same" "the report on stdout is --out's, with its checks"

# a SIGTERM from another process after the first second: exit at once
exec 7<>"$NS_TMP/pipe"
rm -f "$OUT"
before=$(peers_count "$plog" accept)
"$UCSCAN" "${BIG[@]}" >"$NS_TMP/pipe" 2>"$NS_TMP/stderr" &
pid=$!
ns_defer "[[ \$(cat /proc/$pid/comm 2>/dev/null) != ucscan ]] || kill -9 $pid"
ns_wait_until $((10 * SLOW)) accepted_since "$before" || fail "late run: tarpits not reached"
kill -TERM "$pid"
ns_wait_until $((5 * SLOW)) test -s "$OUT" || fail "no report after the first SIGTERM"
sleep 1.3
ns_pid_alive "$pid" || fail "ucscan exited although its stdout is blocked (test premise)"
t=$(now_ms)
/bin/kill -TERM "$pid" # another process: not the sender of the first
rc=0
wait "$pid" || rc=$?
lat=$(($(now_ms) - t))
exec 7<&-
assert_eq 3 "$rc" "exit status after another sender's SIGTERM 1.3 s after the first"
assert_faster "$lat" 1500 "exit after the late SIGTERM (it would block on stdout forever)"
assert_contains "signal during shutdown: exiting now (status 3)" "$(cat "$NS_TMP/stderr")"
assert_json "$OUT" .complete false
echo "ok"
