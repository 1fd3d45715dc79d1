#!/usr/bin/env bash
# .ci/sanitize.sh - builds ucscan and its tests with AddressSanitizer and UndefinedBehavior-
# Sanitizer (-DUC_SANITIZE=ON) in their own build directory and runs the whole ctest suite:
# unit tests and end-to-end tests (the latter need root: network namespaces, nftables). Then
# the sanitized binary goes through .ci/lib/smoke.sh (command line, bad input, a scan of
# loopback servers), which exercises it even where no end-to-end test does.
#
# Any sanitizer report fails the script, even one from a ucscan run whose exit status a test
# expected to be non-zero anyway: every report is also written to a log file
# ($SAN_BUILD_DIR/sanitizer-logs/), and the script fails when any exists. Leaks count
# (detect_leaks=1); the first error stops the process (halt_on_error=1, and the build has
# -fno-sanitize-recover=all).
#
# Environment:
#   SAN_BUILD_DIR        build directory (default build-sanitize in the source tree)
#   SAN_CTEST_ARGS       ctest arguments, e.g. "-L unit" or "-R topology" (one ctest run)
#   SAN_STREAMS=N        without SAN_CTEST_ARGS: e2e tests in N ctest runs at once (default 2;
#                        a scan's capture takes only its targets' packets and the ICMP errors
#                        about them, so tests that count captured packets can share the machine)
#   SAN_SMOKE=0          skip the smoke run
#   CC                   compiler (default clang; gcc works too)
#
# --build-only: build and stop (.ci/run builds while other tests run).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${SAN_BUILD_DIR:-$SRC/build-sanitize}
# Reports are written by every process, some running as nobody (e2e tests drop privileges):
# the logs live under /tmp, where nobody can reach them whatever the checkout's permissions,
# and are copied to $BUILD/sanitizer-logs at the end.
LOGS=$(mktemp -d "${TMPDIR:-/tmp}/ucscan-sanitizer-logs.XXXXXX")
CC=${CC:-clang}
T0=$SECONDS

echo "== build ($BUILD, $CC, ASan + UBSan)"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUC_WERROR=ON \
  -DUC_SANITIZE=ON -DUC_TESTS=ON -DUC_FUZZ=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >"$BUILD/sanitize-build.log" 2>&1 || {
  cat "$BUILD/sanitize-build.log"
  exit 1
}
echo "built in $((SECONDS - T0)) s"
[[ ${1:-} == --build-only ]] && exit 0

chmod 1777 "$LOGS"
# log_path: reports go to $LOGS/report.<pid> instead of stderr, so a test cannot swallow them
# (ASan, UBSan and LSan share one runtime here; all three get the same path).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=1:\
detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:\
strict_string_checks=1:log_path=$LOGS/report"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=86:print_stacktrace=1:log_path=$LOGS/report"
# e2e tests scale their time bounds, and do not enforce peak RSS (the sanitizers' own memory)
export UC_E2E_SLOW=3 E2E_NO_RSS=1
export LSAN_OPTIONS="log_path=$LOGS/report"

echo "== ctest ${SAN_CTEST_ARGS:-(all tests)}"
T1=$SECONDS
rc=0
if [[ -n ${SAN_CTEST_ARGS:-} ]]; then
  # shellcheck disable=SC2086 # SAN_CTEST_ARGS is a list of words
  ctest --test-dir "$BUILD" --output-on-failure $SAN_CTEST_ARGS || rc=$?
else
  # The unit tests one at a time (some bind fixed loopback ports), then the e2e tests in
  # SAN_STREAMS ctest runs side by side, test numbers split by stride: they mostly wait on the
  # network, each holds its own lock (CMakeLists.txt), and their deadlines are scaled above.
  ctest --test-dir "$BUILD" --output-on-failure -L unit || rc=$?
  streams=${SAN_STREAMS:-2} pids=() outs=()
  for ((i = 1; i <= streams; i++)); do
    outs+=("$(mktemp)")
    ctest --test-dir "$BUILD" --output-on-failure -L e2e -I "$i,,$streams" >"${outs[-1]}" 2>&1 &
    pids+=($!)
  done
  for ((i = 0; i < streams; i++)); do
    wait "${pids[i]}" || rc=1
    echo "-- e2e stream $((i + 1)) of $streams"
    cat "${outs[i]}"
    rm -f "${outs[i]}"
  done
fi
echo "ctest: exit $rc in $((SECONDS - T1)) s"

if [[ ${SAN_SMOKE:-1} != 0 ]]; then
  echo "== smoke (.ci/lib/smoke.sh)"
  T1=$SECONDS
  UCSCAN=$BUILD/ucscan bash "$SRC/.ci/lib/smoke.sh" || rc=1
  echo "smoke: $((SECONDS - T1)) s"
fi

rm -rf "$BUILD/sanitizer-logs"
cp -r "$LOGS" "$BUILD/sanitizer-logs"
rm -rf "$LOGS"
LOGS=$BUILD/sanitizer-logs
reports=$(find "$LOGS" -type f -size +0 | sort)
if [[ -n $reports ]]; then
  echo
  echo "== sanitizer reports:"
  for f in $reports; do
    echo "--- $f"
    cat "$f"
  done
  rc=1
fi
if ((rc == 0)); then
  echo "sanitize.sh: all tests passed, no sanitizer report ($((SECONDS - T0)) s in all)"
else
  echo "sanitize.sh: FAILED ($((SECONDS - T0)) s in all)"
fi
exit "$rc"
