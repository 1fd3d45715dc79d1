#!/usr/bin/env bash
# .ci/valgrind.sh - runs the unit tests, and every ucscan invocation of the end-to-end tests,
# under valgrind (memcheck): no invalid access, no use of uninitialised values, no definite or
# indirect leak. Then the same binary goes through .ci/lib/smoke.sh (command line, bad input,
# a scan of loopback servers), which exercises it even where no end-to-end test does.
#
# How: a plain build in its own directory (valgrind and the sanitizers do not mix). The tests
# are taken from ctest itself (ctest --show-only=json-v1: command, environment, working
# directory, timeout), so new tests are picked up without editing this script:
#   unit tests   each test program runs as `valgrind ... program`;
#   e2e tests    each script runs as ctest would run it, but with UCSCAN pointing at a wrapper
#                that execs `valgrind ... ucscan "$@"` (ctest's own ENVIRONMENT property would
#                pin UCSCAN to the binary, hence running the commands here, not through ctest)
#                for the first VG_E2E_RUNS ucscan runs of each test (default 4: every test's
#                first scenarios; the rest run natively). A start-up under valgrind costs about a
#                second, and the suite runs ucscan ~500 times: all of them under valgrind took
#                20 minutes. VG_E2E_RUNS=all runs every one (a nightly, or by hand).
#                .ci/run starts this beside .ci/sanitize.sh, which runs ctest's order (unit
#                tests, then e2e tests): here the e2e tests run first, from the last, and the
#                unit tests (some bind fixed loopback ports) last, so the two lanes rarely want
#                one e2e test's lock at once and never run one unit test at once.
# Every valgrind run logs to its own file ($VG_BUILD_DIR/valgrind-logs/<what>.<pid>.log) and
# exits 99 on an error (--error-exitcode=99, leaks included via --errors-for-leak-kinds). The
# script fails when a test fails, when any log reports an error, or when a log has no final
# summary (a process killed before valgrind could check it): an error is caught even inside a
# test that expected ucscan to fail and did not look at why.
#
# Environment:
#   VG_BUILD_DIR         build directory (default build-valgrind in the source tree)
#   VG_UNIT=REGEX        unit tests to run (ctest names, e.g. unit/test_stun; default all)
#   VG_E2E=REGEX         e2e tests to run (default all; "none" for none). They need root.
#   VG_E2E_SKIP=REGEX    e2e tests to leave out (default none)
#   VG_E2E_RUNS=N|all    ucscan runs of each e2e test under valgrind (default 4)
#   VG_E2E_JOBS=N        e2e tests run at once (default 1: with 3, test_evidence_capture's
#                        packet count met other tests' traffic, twice; each holds its own lock)
#   VG_SMOKE=0           skip the smoke run
#   VG_TRACK_ORIGINS=1   --track-origins=yes (slower; says where uninitialised bytes came from)
#   CC                   compiler (default cc)
#
# --build-only: build and stop (.ci/run builds while other tests run).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${VG_BUILD_DIR:-$SRC/build-valgrind}
# Some e2e tests run ucscan as nobody: under valgrind that user must read the wrapper and the
# binary and write a log, whatever the checkout's permissions (a clone in /root is 0700). So
# all three live in a fresh directory under /tmp; the logs are copied to $BUILD/valgrind-logs
# at the end.
RUN=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-valgrind.XXXXXX")
chmod 755 "$RUN"
LOGS=$RUN/logs
CC=${CC:-cc}
T0=$SECONDS

command -v valgrind >/dev/null || {
  echo "valgrind.sh: valgrind is not installed" >&2
  exit 1
}

echo "== build ($BUILD, $CC)"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUC_WERROR=ON \
  -DUC_SANITIZE=OFF -DUC_TESTS=ON -DUC_FUZZ=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/valgrind-build.log" 2>&1 || {
  cat "$BUILD/valgrind-build.log"
  exit 1
}
echo "built in $((SECONDS - T0)) s"
[[ ${1:-} == --build-only ]] && exit 0
VG_E2E_RUNS=${VG_E2E_RUNS:-4}
[[ $VG_E2E_RUNS == all || $VG_E2E_RUNS =~ ^[0-9]+$ ]] || {
  echo "valgrind.sh: VG_E2E_RUNS is a number or all, not \"$VG_E2E_RUNS\"" >&2
  exit 2
}

mkdir -p "$LOGS"
chmod 1777 "$LOGS"
cp "$BUILD/ucscan" "$RUN/ucscan"
# shellcheck disable=SC2054 # the commas belong to valgrind options
VG=(valgrind --tool=memcheck --error-exitcode=99 --leak-check=full
  --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect
  --num-callers=40 --child-silent-after-fork=yes)
[[ ${VG_TRACK_ORIGINS:-0} == 1 ]] && VG+=(--track-origins=yes)

# The wrapper the e2e tests get as $UCSCAN: the first $VG_E2E_RUNS runs of the test named by
# VG_TEST claim a slot each (mkdir is atomic, and works for the runs made as nobody) and run
# under valgrind; later runs run the same binary natively.
WRAP=$RUN/ucscan-valgrind
SLOTS=$RUN/slots
mkdir -p "$SLOTS"
chmod 1777 "$SLOTS"
{
  echo '#!/bin/sh'
  echo "# generated by .ci/valgrind.sh: ucscan under valgrind, one log per process"
  if [[ $VG_E2E_RUNS != all ]]; then
    echo '# (an e2e test, VG_TEST set: its first runs only; the others natively)'
    echo 'if [ -n "${VG_TEST:-}" ]; then'
    echo '  i=1'
    printf '  while [ "$i" -le %d ] && ! mkdir %q/"$VG_TEST.$i" 2>/dev/null; do\n' "$VG_E2E_RUNS" "$SLOTS"
    echo '    i=$((i + 1))'
    echo '  done'
    printf '  [ "$i" -le %d ] || exec %q "$@"\n' "$VG_E2E_RUNS" "$RUN/ucscan"
    echo 'fi'
  fi
  printf 'exec'
  printf ' %q' "${VG[@]}" "--log-file=$LOGS/ucscan.%p.log" "$RUN/ucscan"
  printf ' "$@"\n'
} >"$WRAP"
chmod +x "$WRAP"

rc=0
echo "== tests under valgrind (unit: ${VG_UNIT:-all}, e2e: ${VG_E2E:-all})"
T1=$SECONDS
ctest --test-dir "$BUILD" --show-only=json-v1 >"$BUILD/ctest-tests.json"
# The e2e tests run VG_E2E_JOBS at a time (each waits mostly on the network and on deadlines
# scaled for valgrind); the unit tests after them, one at a time (some bind fixed loopback
# ports). VG_E2E_SKIP=REGEX leaves tests out.
python3 - "$BUILD/ctest-tests.json" "$LOGS" "$WRAP" "${VG_UNIT:-.}" "${VG_E2E:-.}" \
  "${VG_E2E_SKIP-}" "${VG_E2E_JOBS:-1}" "${VG[@]}" <<'EOF' || rc=1
import json, os, re, subprocess, sys, threading, time

tests_json, logs, wrap, unit_re, e2e_re, skip_re, e2e_jobs, *vg = sys.argv[1:]
tests = json.load(open(tests_json))["tests"]
failed = []
lock = threading.Lock()

def say(text):
    with lock:
        sys.stdout.write(text)
        sys.stdout.flush()

def plan(t):
    """The command, environment, directory and timeout of test t, or None to skip it."""
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    labels = props.get("LABELS", [])
    kind = "unit" if "unit" in labels else "e2e" if "e2e" in labels else None
    if kind is None:
        return None
    pattern = unit_re if kind == "unit" else e2e_re
    if kind == "e2e" and skip_re and re.search(skip_re, t["name"]):
        say(f"skip  {t['name']} (VG_E2E_SKIP)\n")
        return None
    if pattern == "none" or not re.search(pattern, t["name"]):
        say(f"skip  {t['name']}\n")
        return None
    if kind == "e2e" and os.geteuid() != 0:
        say(f"FAIL  {t['name']}: end-to-end tests need root\n")
        failed.append(t["name"])
        return None
    env = dict(os.environ)
    for kv in props.get("ENVIRONMENT", []):
        k, _, v = kv.partition("=")
        env[k] = v
    cmd = t["command"]  # e2e: with ctest's per-test flock, kept: sanitize.sh may run beside
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", t["name"])
    if kind == "unit":
        cmd = vg + [f"--log-file={logs}/{safe}.%p.log"] + cmd
        timeout = 20 * float(props.get("TIMEOUT", 120))
    else:
        env["UCSCAN"] = wrap
        env["VG_TEST"] = safe
        env["UC_E2E_SLOW"] = "10"  # tests with tight deadlines or time bounds scale them
        env["E2E_NO_RSS"] = "1"    # valgrind's own memory is not ucscan's
        timeout = 3 * float(props.get("TIMEOUT", 300))
    return dict(name=t["name"], kind=kind, safe=safe, cmd=cmd, env=env, timeout=timeout,
                cwd=props.get("WORKING_DIRECTORY"),
                skippable=props.get("SKIP_RETURN_CODE") == 77)

def run(job):
    t0 = time.monotonic()
    with open(f"{logs}/{job['safe']}.out", "wb") as out:
        try:
            r = subprocess.run(job["cmd"], env=job["env"], cwd=job["cwd"], stdout=out,
                               stderr=subprocess.STDOUT, timeout=job["timeout"]).returncode
        except subprocess.TimeoutExpired:
            r = "timeout"
    dt = time.monotonic() - t0
    ok = r == 0 or (r == 77 and job["skippable"])
    word = "skip " if r == 77 and ok else "ok   " if ok else "FAIL "
    text = f"{word} {job['name']} ({dt:.1f} s{'' if ok else f', exit {r}'})\n"
    if not ok:
        failed.append(job["name"])
        text += open(f"{logs}/{job['safe']}.out", errors="replace").read()[-4000:]
    say(text)

jobs = [j for j in map(plan, tests) if j]
# the e2e tests from the last, several at once, then the unit tests (see the header)
e2e = [j for j in jobs if j["kind"] == "e2e"][::-1]

def worker():
    while True:
        with lock:
            if not e2e:
                return
            j = e2e.pop(0)
        run(j)

workers = [threading.Thread(target=worker) for _ in range(max(1, int(e2e_jobs)))]
for w in workers:
    w.start()
for w in workers:
    w.join()
for j in jobs:
    if j["kind"] == "unit":
        run(j)
sys.exit(1 if failed else 0)
EOF
echo "tests: $((SECONDS - T1)) s"

if [[ ${VG_SMOKE:-1} != 0 ]]; then
  echo "== smoke under valgrind (.ci/lib/smoke.sh)"
  T1=$SECONDS
  UCSCAN=$WRAP bash "$SRC/.ci/lib/smoke.sh" || rc=1
  echo "smoke: $((SECONDS - T1)) s"
fi

# Every log: a final summary with no error.
rm -rf "$BUILD/valgrind-logs"
cp -r "$LOGS" "$BUILD/valgrind-logs"
rm -rf "$RUN"
LOGS=$BUILD/valgrind-logs
nlogs=0 nucscan=0 bad=()
for f in "$LOGS"/*.log; do
  [[ -e $f ]] || continue
  nlogs=$((nlogs + 1))
  [[ $f == */ucscan.* ]] && nucscan=$((nucscan + 1))
  if ! grep -q "ERROR SUMMARY: 0 errors" "$f"; then
    bad+=("$f")
  fi
done
echo "== $nlogs valgrind logs ($nucscan ucscan runs)"
for f in "${bad[@]+"${bad[@]}"}"; do
  rc=1
  if grep -q "ERROR SUMMARY:" "$f"; then
    echo "--- errors in $f:"
  else
    echo "--- no final summary in $f (killed before valgrind could check?):"
  fi
  cat "$f"
done
if ((rc == 0)); then
  echo "valgrind.sh: no error, no leak ($((SECONDS - T0)) s in all)"
else
  echo "valgrind.sh: FAILED ($((SECONDS - T0)) s in all)"
fi
exit "$rc"
