#!/usr/bin/env bash
# .ci/stress.sh - the test lanes on a busy machine: `stress-ng --cpu N` keeps N CPUs busy for
# as long as the lanes run, as a shared CI runner or a laptop in use would. Deadlines that
# only hold on an idle machine fail here: in a test, scale them (UC_E2E_SLOW, tests/e2e/README.md,
# "Slow runs"); in the product, a slow but working server must still pass.
#
# Not part of every CI run (.ci/run stays as fast as the machine allows): run it after
# touching deadlines, retries, timers or tests that wait, and before a release.
#
# Environment:
#   STRESS_LANES   what runs, in order (default "tests valgrind"):
#                    tests     ctest --test-dir build --output-on-failure (every unit and e2e test)
#                    sanitize, valgrind, fuzz   .ci/<lane>.sh with their own environment
#                                                (VG_UNIT, VG_E2E, FUZZ_SECONDS, ...)
#                    run       the whole of .ci/run
#   STRESS_CPUS    CPU workers for stress-ng (default 2)
# Needs root for the e2e tests (and to install stress-ng when it is missing). Prints how long
# each lane took; exits non-zero when one fails (every lane runs regardless).
set -euo pipefail
cd "$(dirname "$0")/.."
lanes=${STRESS_LANES:-tests valgrind}
cpus=${STRESS_CPUS:-2}
[[ $cpus =~ ^[1-9][0-9]*$ ]] || {
  echo "stress.sh: STRESS_CPUS must be a positive number" >&2
  exit 2
}
for lane in $lanes; do
  case $lane in
    tests | sanitize | valgrind | fuzz | run) ;;
    *)
      echo "stress.sh: unknown lane '$lane' (tests, sanitize, valgrind, fuzz, run)" >&2
      exit 2
      ;;
  esac
done
if ! command -v stress-ng >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends stress-ng >/dev/null; }
fi
[[ -x build/ucscan ]] || .ci/setup

# the burner lives exactly as long as this script
stress-ng --cpu "$cpus" --timeout 0 --quiet &
burner=$!
trap 'kill "$burner" 2>/dev/null || true; wait "$burner" 2>/dev/null || true' EXIT
echo "== stress-ng --cpu $cpus (pid $burner) beside: $lanes"

rc=0
start=$SECONDS
for lane in $lanes; do
  t0=$SECONDS
  echo "== $lane"
  case $lane in
    tests) cmd=(ctest --test-dir build --output-on-failure) ;;
    run) cmd=(.ci/run) ;;
    *) cmd=(".ci/$lane.sh") ;;
  esac
  if "${cmd[@]}"; then
    echo "== $lane: passed beside stress-ng in $((SECONDS - t0)) s"
  else
    echo "== $lane: FAILED beside stress-ng after $((SECONDS - t0)) s" >&2
    rc=1
  fi
done
echo "== stress.sh: $lanes: $([[ $rc == 0 ]] && echo passed || echo FAILED) in $((SECONDS - start)) s"
exit "$rc"
