#!/usr/bin/env bash
# Builds and runs the tests under sanitizers, each in its own build folder (clang):
#   asan  ASan + UBSan: every torch-free test (core_tests), any error fatal;
#   tsan  ThreadSanitizer: the loader tests (loader_tests: batch_loader, shards, tar and
#         file_reader tests: decode and I/O threads, the ring of batches, shutdown).
#   scripts/sanitize.sh [asan|tsan|all]        (default all; folders under ${BUILD_DIR:-build})
# Exits non-zero on any report; 77 when clang is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
which=${1:-all}
base=${BUILD_DIR:-build}
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

run_asan() {
  local dir=$base/asan start=$SECONDS
  # The same folder as scripts/fuzz.sh: one instrumented build serves both.
  scripts/sanitizer_build.sh "$dir" address,undefined ON core_tests
  echo "sanitize: asan build $((SECONDS - start)) s"
  start=$SECONDS
  (cd "$root" && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
    nice "$dir/tests/core_tests" --gtest_brief=1)
  echo "sanitize: asan tests clean in $((SECONDS - start)) s"
}

run_tsan() {
  local dir=$base/tsan start=$SECONDS
  scripts/sanitizer_build.sh "$dir" thread OFF loader_tests
  echo "sanitize: tsan build $((SECONDS - start)) s"
  start=$SECONDS
  # Repeated: thread interleavings differ from run to run.
  (cd "$root" && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    nice "$dir/tests/loader_tests" --gtest_brief=1 --gtest_repeat=3)
  echo "sanitize: tsan loader tests clean in $((SECONDS - start)) s"
}

case $which in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan && run_tsan ;;
  *) echo "usage: scripts/sanitize.sh [asan|tsan|all]" >&2; exit 2 ;;
esac
