#!/usr/bin/env bash
# The CPU our process spends per image reading s3:// against reading the local disk
# (docs/PERFORMANCE.md, "CPU per image from s3://"): on a machine shared with other work the
# wall clock moves, CPU-seconds of our own process (getrusage, as bench-data reports) much less. A
# real S3 protocol server (npm's s3rver) behind s3_proxy (DELAY_MS per request) in this script's
# own network namespace, an ImageNet-like dataset in its bucket; then ROUNDS rounds of one
# epoch from the local copy (page cache warm) and one from s3://, alternating, so both see the
# same load. PERF=1 also records one s3:// epoch with perf (call graphs) into $OUT/perf.data
# and prints its top entries.
#   bench/s3_cpu.sh                        # defaults below; environment variables change them
#   ROUNDS=5 S3_REQUESTS=64 PERF=1 bench/s3_cpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLASSES=${CLASSES:-20}
PER_CLASS=${PER_CLASS:-100}
DELAY_MS=${DELAY_MS:-20}
ROUNDS=${ROUNDS:-3}
S3_REQUESTS=${S3_REQUESTS:-128}
PERF=${PERF:-0}
BUILD=${BUILD_DIR:-$ROOT/build}
DATA=${DATA:-$ROOT/data/imagenet-like-${CLASSES}x${PER_CLASS}}
OUT=${OUT:-$ROOT/runs/bench-s3-cpu-$(date +%Y%m%d-%H%M%S)}
CORES=$(nproc)
source tests/s3/s3_env.sh

if [[ -z ${S3_ENV_IN_NETNS:-} ]]; then
  # Everything that needs the network or a build, before the namespace shuts both out.
  s3_env_install
  # BUILD_DIR may name another build's binaries (imagenet_train, tests/s3_proxy) to compare.
  if [[ ! -x $BUILD/imagenet_train || ! -x $BUILD/tests/s3_proxy ]]; then
    [[ -f $BUILD/CMakeCache.txt ]] || scripts/build.sh
    cmake --build "$BUILD" --target imagenet_train s3_proxy >/dev/null
  fi
  [[ -d $DATA/train ]] || "$BUILD/imagenet_train" prepare imagenet-like --out "$DATA" \
    --classes "$CLASSES" --per_class "$PER_CLASS" --val_per_class 2
  mkdir -p "$OUT"
  export DATA OUT BUILD
fi
s3_env_enter_netns "$@"
export S3_PROXY=$BUILD/tests/s3_proxy
BIN=$BUILD/imagenet_train
WORK=$OUT/work
rm -rf "$WORK"
mkdir -p "$WORK"
results=$OUT/results.txt
: >"$results"
s3_env_start "$WORK" "$DELAY_MS"
s3_env_load "$DATA" il >&2
TRAIN=$(ls "$DATA"/train/*/* | wc -l)
BATCHES=${EPOCH_BATCHES:-$((TRAIN / 64))}
cat "$DATA"/train/*/* >/dev/null

bench() {  # DATA_ROOT OUTPUT [flags]
  local root=$1 out=$2
  shift 2
  "$BIN" bench-data --data_root "$root" --output_dir "$out" --num_workers "$CORES" \
    --batch_size 64 --warmup 1 --batches "$BATCHES" --set num_classes=0 --set io_threads=32 \
    --set s3_requests="$S3_REQUESTS" "$@" 2>>"$WORK/stderr.txt"
}
run() {  # NAME ROUND DATA_ROOT OUTPUT: one epoch; its bench-data line into the results
  local line
  line=$(bench "$3" "$4" | grep "img_per_sec=" | sed 's/^bench-data: //')
  echo "$1: round=$2 $line" | tee -a "$results"
}

bench s3://imagenet/il "$WORK/out-s3" >/dev/null  # the listing, into the index cache
for ((r = 0; r < ROUNDS; r++)); do
  run local "$r" "$DATA" "$WORK/out-local"
  run s3 "$r" s3://imagenet/il "$WORK/out-s3"
done

# Mean images per CPU-second of each reader, and s3:// against local.
awk '{for (i = 2; i <= NF; i++) if ($i ~ /^img_per_cpu_sec=/) {split($i, kv, "="); sum[$1] += kv[2]; n[$1]++}}
  END {l = sum["local:"] / n["local:"]; s = sum["s3:"] / n["s3:"];
       printf "img_per_cpu_sec: local %.0f, s3 %.0f: s3/local %.2fx (%d rounds)\n", l, s, s / l, n["s3:"]}' \
  "$results" | tee -a "$results"

if [[ $PERF == 1 ]]; then
  perf record -g -o "$OUT/perf.data" -- "$BIN" bench-data --data_root s3://imagenet/il \
    --output_dir "$WORK/out-s3" --num_workers "$CORES" --batch_size 64 --warmup 1 \
    --batches "$BATCHES" --set num_classes=0 --set s3_requests="$S3_REQUESTS" \
    >>"$WORK/stderr.txt" 2>&1
  perf report -i "$OUT/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -40 | tee "$OUT/perf_top.txt"
fi
echo "results in $results"
