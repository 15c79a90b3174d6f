#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (clang, ASan + UBSan) in their own folder and runs
# each for a given time, from its seeds (tests/fuzz/corpus/<target>), the inputs that once broke
# it (tests/fuzz/regressions/<target>) and the corpus earlier runs grew (<dir>/corpus/<target>).
#   scripts/fuzz.sh [--seconds N] [target...]     (default 60 s each, every target)
# Targets: image_decode config_loader tar_reader index_cache zip_check checkpoint. The build
# folder is ${BUILD_DIR:-build}/asan, shared with scripts/sanitize.sh asan. A crash leaves its
# input in <dir>/artifacts/<target>/: fix the code, then add the input to
# tests/fuzz/regressions/<target>/ (every test run replays those). Exits 1 when a target
# failed, 77 when clang is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
seconds=60
targets=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
all=(image_decode config_loader tar_reader index_cache zip_check checkpoint)
[[ ${#targets[@]} -eq 0 ]] && targets=("${all[@]}")

dir=${BUILD_DIR:-build}/asan
start=$SECONDS
scripts/sanitizer_build.sh "$dir" address,undefined ON "${targets[@]/%/_fuzzer}"
echo "fuzz: built in $((SECONDS - start)) s"

# Inputs past these sizes add time, not coverage: a few images' headers and blocks, a few tar
# members, a config or cache file.
declare -A max_len=([image_decode]=65536 [tar_reader]=65536 [checkpoint]=32768)
declare -A extra=([config_loader]="$root/configs")
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
failed=()
for t in "${targets[@]}"; do
  corpus=$dir/corpus/$t artifacts=$dir/artifacts/$t
  mkdir -p "$corpus" "$artifacts" "$dir/logs"
  inputs=("$corpus" "$root/tests/fuzz/corpus/$t")
  [[ -d $root/tests/fuzz/regressions/$t ]] && inputs+=("$root/tests/fuzz/regressions/$t")
  [[ -n ${extra[$t]:-} ]] && inputs+=(${extra[$t]})
  options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 -print_final_stats=1
           -artifact_prefix="$artifacts/" -max_len="${max_len[$t]:-16384}")
  if [[ $t == config_loader ]]; then
    # Every key name as a dictionary word (from the generated reference), so that mutations
    # reach the keys' parsers rather than 'unknown key'.
    grep -o '^| `[a-z_0-9]*`' "$root/docs/CONFIG.md" | sed 's/^| `\(.*\)`$/"\1: "/' >"$dir/$t.dict"
    options+=(-dict="$dir/$t.dict")
  fi
  log=$dir/logs/$t.log
  began=$SECONDS
  if nice "$dir/tests/fuzz/${t}_fuzzer" "${options[@]}" "${inputs[@]}" >"$log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$t")
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
  echo "fuzz: $t: $status, ${runs:-?} inputs in $((SECONDS - began)) s, coverage ${cov:-?} edges," \
    "corpus $(ls "$corpus" | wc -l) files (log: $log)"
  if [[ $status == FAILED ]]; then
    grep -m1 -B2 -A30 'ERROR\|fuzz invariant\|deadly signal\|timeout' "$log" || tail -40 "$log"
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: FAILED: ${failed[*]}; inputs in $dir/artifacts/" >&2
  exit 1
fi
