#!/usr/bin/env bash
# Reading a dataset from S3 (docs/PERFORMANCE.md, "S3"): a real S3 protocol server on this
# machine (npm's s3rver) behind s3_proxy, which adds DELAY_MS to every request as S3's time to
# first byte would, in this script's own network namespace; an ImageNet-like dataset in its
# bucket. One epoch (EPOCH_BATCHES x 64 images) cold, on a fresh mount, and one again, for:
#   local          imagenet_train bench-data on the local copy (page cache warm)
#   s3-direct      bench-data with data_root s3://imagenet/il (GETs through libcurl's multi
#                  interface, s3_requests in flight; epoch 1: a new process, the listing from
#                  the index cache)
#   mount-ioN      bench-data on an s3fs mount (defaults) with io_threads N
#   mount-tuned    s3fs with notsup_compat_dir, kernel_cache, a long stat cache; 128 io_threads
#   mount-par      mount-tuned plus parallel_count=32, multireq_max=32 (s3fs's parallelism
#                  options, for large files and listings)
#   mountsN        MOUNTS s3fs mounts of the bucket (default 8), class folders spread over them
#                  by symlinks, 128 io_threads
#   torchvision    ImageFolder + DataLoader(num_workers=cores) on the default mount
#   s3-get         the S3 client alone GETting every object, 128 in flight (what the server and
#                  the proxy allow: the ceiling of any reader here)
# then the seeds' copy of a class subset to local disk: `subset` from s3://, `cp -r` through
# the mount, and `subset` through the mount. Prints a table; raw lines in $OUT/results.txt.
#   bench/s3_data.sh                     # defaults below; environment variables change them
#   DELAY_MS=25 RATE=1gbit CLASSES=20 PER_CLASS=100 bench/s3_data.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CLASSES=${CLASSES:-20}
PER_CLASS=${PER_CLASS:-100}
DELAY_MS=${DELAY_MS:-20}
RATE=${RATE:-}
SUBSET_CLASSES=${SUBSET_CLASSES:-10}
BUILD=${BUILD_DIR:-$ROOT/build}
DATA=${DATA:-$ROOT/data/imagenet-like-${CLASSES}x${PER_CLASS}}
OUT=${OUT:-$ROOT/runs/bench-s3-$(date +%Y%m%d-%H%M%S)}
CORES=$(nproc)
source tests/s3/s3_env.sh

if [[ -z ${S3_ENV_IN_NETNS:-} ]]; then
  # Everything that needs the network or a build, before the namespace shuts both out.
  bench/install_bench_deps.sh
  scripts/install_deps.sh >/dev/null
  s3_env_install
  [[ -f $BUILD/CMakeCache.txt ]] || scripts/build.sh
  cmake --build "$BUILD" --target imagenet_train s3_proxy s3_tool >/dev/null
  [[ -d $DATA/train ]] || "$BUILD/imagenet_train" prepare imagenet-like --out "$DATA" \
    --classes "$CLASSES" --per_class "$PER_CLASS" --val_per_class 2
  mkdir -p "$OUT"
  export DATA OUT BUILD
fi
s3_env_enter_netns "$@"
export S3_PROXY=$BUILD/tests/s3_proxy
BIN=$BUILD/imagenet_train
TOOL=$BUILD/tests/s3_tool
WORK=$OUT/work
rm -rf "$WORK"
mkdir -p "$WORK"
results=$OUT/results.txt
: >"$results"
s3_env_start "$WORK" "$DELAY_MS"
[[ -n $RATE ]] && s3_env_rate "$RATE"
s3_env_load "$DATA" il >&2
TRAIN=$(ls "$DATA"/train/*/* | wc -l)
BATCHES=${EPOCH_BATCHES:-$((TRAIN / 64))}
cat "$DATA"/train/*/* >/dev/null

s3fs_cpu() {  # CPU seconds used so far by every s3fs process (utime + stime)
  local pid
  for pid in $(pgrep -x s3fs); do cat "/proc/$pid/stat"; done |
    awk -v hz="$(getconf CLK_TCK)" '{t += ($14 + $15) / hz} END {printf "%.2f", t}'
}
minus() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a - b}'; }

# run NAME EPOCH COMMAND...: one timed epoch; appends "NAME: epoch=E <the command's fields>
# s3fs_cpu=S requests=R".
run() {
  local name=$1 epoch=$2 cpu0 req0 line
  shift 2
  cpu0=$(s3fs_cpu)
  req0=$(s3_env_stat requests)
  line=$("$@" 2>>"$WORK/stderr.txt" | grep -E "img_per_sec=|objects_per_sec=" | sed 's/^[a-z-]*: //')
  echo "$name: epoch=$epoch $line s3fs_cpu=$(minus "$(s3fs_cpu)" "$cpu0") requests=$(($(s3_env_stat requests) - req0))" |
    tee -a "$results"
}

bench() {  # DATA_ROOT IO_THREADS OUTPUT
  echo "$BIN" bench-data --data_root "$1" --output_dir "$3" --num_workers "$CORES" \
    --batch_size 64 --warmup 0 --batches "$BATCHES" --set num_classes=0 --set io_threads="$2"
}

run local 0 $(bench "$DATA" 32 "$WORK/out-local")
run local 1 $(bench "$DATA" 32 "$WORK/out-local")
S3_REQUESTS=${S3_REQUESTS:-128}
run s3-direct 0 $(bench s3://imagenet/il 32 "$WORK/out-s3") --set s3_requests="$S3_REQUESTS"
run s3-direct 1 $(bench s3://imagenet/il 32 "$WORK/out-s3") --set s3_requests="$S3_REQUESTS"
for io in 32 128; do
  s3_env_mount "$WORK/mnt"
  run "mount-io$io" 0 $(bench "$WORK/mnt/il" "$io" "$WORK/out-io$io")
  run "mount-io$io" 1 $(bench "$WORK/mnt/il" "$io" "$WORK/out-io$io")
  s3_env_unmount "$WORK/mnt"
done
TUNED=notsup_compat_dir,kernel_cache,stat_cache_expire=86400,enable_noobj_cache,max_stat_cache_size=1000000
s3_env_mount "$WORK/mnt" "$TUNED"
run mount-tuned 0 $(bench "$WORK/mnt/il" 128 "$WORK/out-tuned")
run mount-tuned 1 $(bench "$WORK/mnt/il" 128 "$WORK/out-tuned")
s3_env_unmount "$WORK/mnt"
s3_env_mount "$WORK/mnt" "$TUNED,parallel_count=32,multireq_max=32"
run mount-par 0 $(bench "$WORK/mnt/il" 128 "$WORK/out-par")
run mount-par 1 $(bench "$WORK/mnt/il" 128 "$WORK/out-par")
s3_env_unmount "$WORK/mnt"
# s3fs serves about one download at a time per process (other threads wait on its file table
# lock, see docs/PERFORMANCE.md): several processes, each mounting the bucket, share the classes.
MOUNTS=${MOUNTS:-8}
mkdir -p "$WORK/spread/train"
for ((k = 0; k < MOUNTS; k++)); do s3_env_mount "$WORK/mnt$k" notsup_compat_dir; done
i=0
for c in "$DATA"/train/*; do
  ln -s "$WORK/mnt$((i % MOUNTS))/il/train/$(basename "$c")" "$WORK/spread/train/$(basename "$c")"
  i=$((i + 1))
done
run "mounts$MOUNTS" 0 $(bench "$WORK/spread" 128 "$WORK/out-spread")
run "mounts$MOUNTS" 1 $(bench "$WORK/spread" 128 "$WORK/out-spread")
for ((k = 0; k < MOUNTS; k++)); do s3_env_unmount "$WORK/mnt$k"; done
s3_env_mount "$WORK/mnt"
for epoch in 0 1; do
  run torchvision "$epoch" /usr/bin/python3 bench/torchvision_loader.py --root "$WORK/mnt/il" \
    --mode standard --workers "$CORES" --batch 64 --batches "$BATCHES" --warmup 0
done
s3_env_unmount "$WORK/mnt"
run s3-get 0 "$TOOL" getall s3://imagenet/il/train 128
# Local again: on a shared machine the reference moves; both runs are in the results.
run local-again 0 $(bench "$DATA" 32 "$WORK/out-local")
run s3-direct-again 0 $(bench s3://imagenet/il 32 "$WORK/out-s3") --set s3_requests="$S3_REQUESTS"

# The seeds' copy: SUBSET_CLASSES classes to local disk, three ways (fresh mount each).
timed() {  # NAME COMMAND...: wall seconds of a copy
  local name=$1 t0 t1 req0
  shift
  req0=$(s3_env_stat requests)
  t0=$(date +%s.%N)
  "$@" >>"$WORK/stderr.txt" 2>&1
  t1=$(date +%s.%N)
  echo "copy-$name: seconds=$(minus "$t1" "$t0") files=$(find "$WORK/copy-$name" -type f | wc -l) requests=$(($(s3_env_stat requests) - req0))" |
    tee -a "$results"
}
SUBSET=(--num_classes "$SUBSET_CLASSES" --subset_seed 42 --threads 64)
timed subset-s3 "$BIN" subset --src s3://imagenet/il "${SUBSET[@]}" --dst "$WORK/copy-subset-s3"
mapfile -t picked < <(ls "$WORK/copy-subset-s3/train")
s3_env_mount "$WORK/mnt"
copy_cp() {
  local split c
  for split in train val; do
    mkdir -p "$WORK/copy-cp/$split"
    for c in "${picked[@]}"; do cp -r "$WORK/mnt/il/$split/$c" "$WORK/copy-cp/$split/"; done
  done
}
timed cp copy_cp
s3_env_unmount "$WORK/mnt"
s3_env_mount "$WORK/mnt"
timed subset-mount "$BIN" subset --src "$WORK/mnt/il" "${SUBSET[@]}" --dst "$WORK/copy-subset-mount"
s3_env_unmount "$WORK/mnt"
diff -r "$WORK/copy-subset-s3" "$WORK/copy-cp" >/dev/null && diff -r "$WORK/copy-cp" "$WORK/copy-subset-mount" >/dev/null ||
  echo "WARNING: the three copies differ" >&2

/usr/bin/python3 - "$results" "$DELAY_MS" "$CORES" "$DATA" <<'PY'
import re, sys
path, delay, cores, data = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
rows = []
for line in open(path):
    name, _, rest = line.partition(":")
    rows.append((name, dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)))
local = {r["epoch"]: float(r["img_per_sec"]) for n, r in rows if n == "local"}
local_cpu = {r["epoch"]: float(r["img_per_cpu_sec"]) for n, r in rows if n == "local"}
model = re.search(r"model name\s*:\s*(.*)", open("/proc/cpuinfo").read()).group(1)
print(f"\nmachine: {model}, {cores} cores; data: {data}; {delay} ms per request\n")
print("| reader | epoch | img/s | vs local | img per CPU-second (reader) | vs local | s3fs CPU-s | requests |")
print("|---|---|---|---|---|---|---|---|")
for name, r in rows:
    if name.startswith("copy-"):
        continue
    rate = float(r.get("img_per_sec") or r.get("objects_per_sec"))
    cpu = r.get("img_per_cpu_sec", "-")
    cpu_ratio = f"{float(cpu) / local_cpu[r['epoch']]:.2f}x" if cpu != "-" else "-"
    print(f"| {name} | {r['epoch']} | {rate:.0f} | {rate / local[r['epoch']]:.2f}x | {cpu} "
          f"| {cpu_ratio} | {r.get('s3fs_cpu', '-')} | {r.get('requests', '-')} |")
print("\n| copy | seconds | files | requests |\n|---|---|---|---|")
for name, r in rows:
    if name.startswith("copy-"):
        print(f"| {name[5:]} | {float(r['seconds']):.1f} | {r['files']} | {r['requests']} |")
PY
