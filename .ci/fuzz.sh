#!/usr/bin/env bash
# .ci/fuzz.sh - builds the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang,
# -fsanitize=fuzzer,address,undefined, and runs each for a bounded time against its seed corpus
# (tests/fuzz/seeds/<target>/, the data cases tests/data/<target>/<case>/input and the kinds
# tests/fuzz/seed-kinds lists for it), after replaying its known crashers (tests/fuzz/
# regressions/<target>/). Any crash, sanitizer report, leak, timeout or out-of-memory fails the
# script. (ctest replays the same inputs without libFuzzer: fuzz-replay/<target>.)
# With the defaults (12 targets, 20 s each, two at a time) the whole run, build included, takes
# about three minutes on two cores.
#
# Environment:
#   FUZZ_SECONDS=20      fuzzing time per target
#   FUZZ_JOBS=<nproc>    targets run at the same time
#   FUZZ_TARGETS="a b"   only these targets (names without fuzz_), default all
#   FUZZ_BUILD_DIR       build directory (default build-fuzz in the source tree)
#   FUZZ_OUT             logs, crash artifacts, summary (default $FUZZ_BUILD_DIR/fuzz-out)
#   FUZZ_CORPUS_DIR      where the growing corpus of each target is kept (default: a fresh
#                        directory under FUZZ_OUT); point it at a cached directory, or at
#                        tests/fuzz/corpus (ignored by git), to carry it from run to run
#   CC                   clang to use (default clang)
#
# --build-only: build the targets and stop (.ci/run builds while other tests run).
#
# A failure prints the target's log; the input that crashed is $FUZZ_OUT/<target>-crash-*
# (replay it with build-fuzz/fuzz_<target> FILE, and add it to tests/fuzz/regressions/<target>/
# with the fix).
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$SRC/build-fuzz}
OUT=${FUZZ_OUT:-$BUILD/fuzz-out}
SECS=${FUZZ_SECONDS:-20}
JOBS=${FUZZ_JOBS:-$(nproc)}
CC=${CC:-clang}
T0=$SECONDS

if [[ -n ${FUZZ_TARGETS:-} ]]; then
  read -r -a TARGETS <<<"$FUZZ_TARGETS"
else
  TARGETS=()
  for f in "$SRC"/tests/fuzz/fuzz_*.c; do
    n=${f##*/fuzz_}
    TARGETS+=("${n%.c}")
  done
fi
((${#TARGETS[@]})) || {
  echo "fuzz.sh: no targets" >&2
  exit 1
}

echo "== build ($BUILD)"
cmake -S "$SRC" -B "$BUILD" -DCMAKE_C_COMPILER="$CC" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DUC_WERROR=ON \
  -DUC_FUZZ=ON -DUC_SANITIZE=ON -DUC_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$JOBS" --target "${TARGETS[@]/#/fuzz_}" >"$BUILD/fuzz-build.log" 2>&1 || {
  cat "$BUILD/fuzz-build.log"
  exit 1
}
echo "built ${#TARGETS[@]} targets in $((SECONDS - T0)) s"
[[ ${1:-} == --build-only ]] && exit 0

rm -rf "$OUT"
mkdir -p "$OUT"
CORPUS=${FUZZ_CORPUS_DIR:-$OUT/corpus}

# Any sanitizer finding is fatal (UBSan too: the build has -fno-sanitize-recover=all);
# libFuzzer itself checks for leaks after each input (-detect_leaks=1 is its default).
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# The inputs of a tests/data kind into directory $2, named <kind>-<case> (a fixture set
# without case directories, tests/data/merge, gives its files).
copy_kind() {
  local kind=$1 to=$2 d
  for d in "$SRC/tests/data/$kind"/*; do
    if [[ -f $d/input ]]; then
      cp "$d/input" "$to/$kind-${d##*/}"
    elif [[ -f $d ]]; then
      cp "$d" "$to/$kind-${d##*/}"
    fi
  done
}

# The seed corpus of target $1, gathered in $OUT/seeds/$1: tests/fuzz/seeds/$1/, the data cases
# of tests/data/$1/ and of the kinds tests/fuzz/seed-kinds lists for $1 (one copy in the repo,
# one here for libFuzzer, which would also read the expect files of a case directory).
gather_seeds() {
  local t=$1 to=$OUT/seeds/$1 kind
  local -a kinds=()
  mkdir -p "$to"
  if [[ -d $SRC/tests/fuzz/seeds/$t ]]; then
    cp "$SRC/tests/fuzz/seeds/$t"/* "$to"/
  fi
  read -r -a kinds <<<"$(sed -n "s/^$t:\(.*\)/\1/p" "$SRC/tests/fuzz/seed-kinds")"
  for kind in "$t" "${kinds[@]}"; do
    copy_kind "$kind" "$to"
  done
}

# Runs one target: replay regressions, then fuzz. Writes $OUT/<t>.log and $OUT/<t>.status.
run_target() {
  local t=$1 bin=$BUILD/fuzz_$1 log=$OUT/$1.log
  local seeds=$OUT/seeds/$1 regs=$SRC/tests/fuzz/regressions/$t
  local dict=$SRC/tests/fuzz/dicts/$t.dict
  local -a opts=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "-artifact_prefix=$OUT/$t-")
  [[ -f $dict ]] && opts+=("-dict=$dict")
  mkdir -p "$CORPUS/$t"
  : >"$log"
  if compgen -G "$regs/*" >/dev/null; then
    echo "-- regressions" >>"$log"
    if ! "$bin" "${opts[@]}" "$regs"/* >>"$log" 2>&1; then
      echo "regression" >"$OUT/$t.status"
      return
    fi
  fi
  gather_seeds "$t"
  compgen -G "$seeds/*" >/dev/null || seeds=
  echo "-- fuzzing for $SECS s, $(find "$seeds" -type f 2>/dev/null | wc -l) seeds" >>"$log"
  if "$bin" "${opts[@]}" -max_total_time="$SECS" "$CORPUS/$t" ${seeds:+"$seeds"} >>"$log" 2>&1; then
    echo "ok" >"$OUT/$t.status"
  else
    echo "FAILED" >"$OUT/$t.status"
  fi
}

echo "== fuzzing ${#TARGETS[@]} targets, ${SECS} s each, $JOBS at a time"
for t in "${TARGETS[@]}"; do
  [[ -x $BUILD/fuzz_$t ]] || {
    echo "fuzz.sh: no target fuzz_$t" >&2
    exit 1
  }
  while (($(jobs -rp | wc -l) >= JOBS)); do
    wait -n || true
  done
  run_target "$t" &
done
wait

# Summary: status, executions, coverage, corpus, per target.
fail=0
{
  printf '%-10s %-10s %12s %8s %8s %8s\n' target status execs exec/s cov corpus
  for t in "${TARGETS[@]}"; do
    log=$OUT/$t.log
    st=$(cat "$OUT/$t.status" 2>/dev/null || echo "no-status")
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' <<<"$last")
    printf '%-10s %-10s %12s %8s %8s %8s\n' "$t" "$st" "${execs:--}" "${rate:--}" "${cov:--}" \
      "${corp:--}"
  done
} | tee "$OUT/summary.txt"

for t in "${TARGETS[@]}"; do
  if [[ $(cat "$OUT/$t.status" 2>/dev/null) != ok ]]; then
    fail=1
    echo
    echo "== fuzz_$t failed; its log ($OUT/$t.log) ends:"
    tail -n 60 "$OUT/$t.log"
    ls "$OUT/$t"-* 2>/dev/null || true
  fi
done
echo "fuzz.sh: $((SECONDS - T0)) s in all"
exit "$fail"
