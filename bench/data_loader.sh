#!/usr/bin/env bash
# The data-loader benchmark (docs/PERFORMANCE.md, "Data loader"): on the same ImageNet-like
# JPEG files and the same number of cores, side by side and repeated in turns:
#   ours          imagenet_train bench-data: RandomResizedCrop(224) + flip into uint8 batches
#   tv-standard   torchvision ImageFolder + DataLoader: RRC, flip, ToTensor, Normalize
#   tv-uint8      the same, stopping at uint8 tensors (PILToTensor)
#   jpeg-decode   libjpeg-turbo alone decoding the same files whole (bench/jpeg_decode_rate.cpp)
# and prints the medians and the ratios (per core, and per CPU-second used).
#   bench/data_loader.sh                 # defaults below; environment variables change them
#   CORES=2 REPEATS=3 CLASSES=20 PER_CLASS=100 BATCH=64 BATCHES=40 bench/data_loader.sh
# AUGMENT=ta_wide (or a timm string such as rand-m9-mstd0.5-inc1) adds that auto_augment to ours
# and torchvision's nearest policy to both torchvision pipelines (ta_wide: TrivialAugmentWide;
# rand-*, ra: RandAugment, 2 ops at magnitude 9), after the flip, bilinear.
set -euo pipefail
cd "$(dirname "$0")/.."
CORES=${CORES:-$(nproc)}
REPEATS=${REPEATS:-3}
CLASSES=${CLASSES:-20}
PER_CLASS=${PER_CLASS:-100}
BATCH=${BATCH:-64}
BATCHES=${BATCHES:-40}
WARMUP=${WARMUP:-5}
DATA=${DATA:-data/imagenet-like-${CLASSES}x${PER_CLASS}}
BUILD=${BUILD_DIR:-build}
OUT=${OUT:-runs/bench-data-$(date +%Y%m%d-%H%M%S)}
AUGMENT=${AUGMENT:-none}
case $AUGMENT in
  none | ta_wide | ra) TV_AUGMENT=$AUGMENT ;;
  rand-*) TV_AUGMENT=ra ;;
  *) echo "AUGMENT=$AUGMENT: use none, ta_wide, ra or a timm rand-... string" >&2; exit 2 ;;
esac
mkdir -p "$OUT"

bench/install_bench_deps.sh
[[ -f $BUILD/CMakeCache.txt ]] || scripts/build.sh
cmake --build "$BUILD" --target imagenet_train bench_jpeg_decode_rate >/dev/null
"$BUILD/imagenet_train" prepare imagenet-like --out "$DATA" --classes "$CLASSES" \
  --per_class "$PER_CLASS" --val_per_class 2
cat "$DATA"/train/*/* >/dev/null  # every pipeline reads from the page cache
mapfile -t FILES < <(ls "$DATA"/train/*/*)

results=$OUT/results.txt
: >"$results"
for r in $(seq 1 "$REPEATS"); do
  echo "round $r of $REPEATS" >&2
  "$BUILD/imagenet_train" bench-data --data_root "$DATA" --output_dir "$OUT" \
    --num_workers "$CORES" --batch_size "$BATCH" --batches "$BATCHES" --warmup "$WARMUP" \
    --set auto_augment="$AUGMENT" 2>/dev/null | sed 's/^bench-data:/ours:/' | tee -a "$results"
  for mode in standard uint8; do
    /usr/bin/python3 bench/torchvision_loader.py --root "$DATA" --mode "$mode" \
      --workers "$CORES" --batch "$BATCH" --batches "$BATCHES" --warmup "$WARMUP" \
      --auto-augment "$TV_AUGMENT" |
      sed "s/^torchvision-$mode:/tv-$mode:/" | tee -a "$results"
  done
  "$BUILD/bench_jpeg_decode_rate" --threads "$CORES" --seconds 5 "${FILES[@]}" |
    tee -a "$results"
done

/usr/bin/python3 - "$results" "$CORES" "$DATA" "$AUGMENT" "$TV_AUGMENT" <<'PY'
import re, statistics, subprocess, sys
path, cores, data = sys.argv[1], int(sys.argv[2]), sys.argv[3]
runs = {}
for line in open(path):
    name, _, rest = line.partition(":")
    fields = dict(kv.split("=", 1) for kv in rest.split() if "=" in kv)
    runs.setdefault(name, []).append(fields)
def median(name, key):
    return statistics.median(float(f[key]) for f in runs[name])
def spread(name, key):
    v = [float(f[key]) for f in runs[name]]
    return (max(v) - min(v)) / statistics.median(v)
rows = [("ours", "imagenet_train bench-data"), ("tv-standard", "torchvision standard (float)"),
        ("tv-uint8", "torchvision to uint8"), ("jpeg-decode", "libjpeg-turbo full decode")]
cpu = open("/proc/cpuinfo").read()
model = re.search(r"model name\s*:\s*(.*)", cpu).group(1)
print(f"\nmachine: {model}, {cores} cores used; data: {data}; {len(runs['ours'])} rounds; medians\n")
print(f"auto_augment: ours {sys.argv[4]}, torchvision {sys.argv[5]}\n")
print("| pipeline | img/s | img/s per core | img per CPU-second | spread of img/s |")
print("|---|---|---|---|---|")
for key, label in rows:
    rate = median(key, "img_per_sec")
    print(f"| {label} | {rate:.0f} | {rate / cores:.0f} | {median(key, 'img_per_cpu_sec'):.0f} "
          f"| {100 * spread(key, 'img_per_sec'):.0f}% |")
ours, ours_cpu = median("ours", "img_per_sec"), median("ours", "img_per_cpu_sec")
print("\n| ours vs | per core (wall) | per CPU-second | target |")
print("|---|---|---|---|")
for key, label, target in [("tv-standard", "torchvision standard", "3x"),
                           ("tv-uint8", "torchvision to uint8", "1.5x"),
                           ("jpeg-decode", "libjpeg-turbo full decode", "0.9x")]:
    print(f"| {label} | {ours / median(key, 'img_per_sec'):.2f}x "
          f"| {ours_cpu / median(key, 'img_per_cpu_sec'):.2f}x | {target} |")
PY
echo "raw results: $results" >&2
