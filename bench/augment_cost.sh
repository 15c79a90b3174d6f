#!/usr/bin/env bash
# The cost of each augmentation per image on one core (docs/PERFORMANCE.md, "Augmentations"):
# bench_augment_cost (ours, data/augment_op on uint8 crops) and torchvision 0.14 on PIL images
# (bench/torchvision_augment_cost.py), same pattern, same magnitudes, both pinned to one core,
# repeated in turns; prints the medians and torchvision / ours.
#   bench/augment_cost.sh                 # REPEATS=3 SIZE=224 CASE_SECONDS=0.3
set -euo pipefail
cd "$(dirname "$0")/.."
REPEATS=${REPEATS:-3}
SIZE=${SIZE:-224}
SECONDS_PER_CASE=${CASE_SECONDS:-0.3}
BUILD=${BUILD_DIR:-build}
OUT=${OUT:-runs/bench-augment-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$OUT"
[[ -f $BUILD/CMakeCache.txt ]] || scripts/build.sh
cmake --build "$BUILD" --target bench_augment_cost >/dev/null
: >"$OUT/ours.txt"
: >"$OUT/torchvision.txt"
for r in $(seq 1 "$REPEATS"); do
  echo "round $r of $REPEATS" >&2
  taskset -c 0 "$BUILD/bench_augment_cost" --size "$SIZE" --seconds "$SECONDS_PER_CASE" \
    >>"$OUT/ours.txt"
  OMP_NUM_THREADS=1 taskset -c 0 /usr/bin/python3 bench/torchvision_augment_cost.py "$SIZE" \
    "$SECONDS_PER_CASE" >>"$OUT/torchvision.txt"
done
/usr/bin/python3 - "$OUT/ours.txt" "$OUT/torchvision.txt" <<'PY'
import statistics, sys
def load(path):
    runs = {}
    for line in open(path):
        name, _, value = line.rpartition(": us_per_image=")
        runs.setdefault(name, []).append(float(value))
    return {k: statistics.median(v) for k, v in runs.items()}
ours, tv = load(sys.argv[1]), load(sys.argv[2])
print(f"{'case':42s} {'ours us':>9s} {'torchvision us':>15s} {'tv / ours':>10s}")
for name, us in ours.items():
    other = tv.get(name)
    ratio = f"{other / us:10.1f}" if other and us > 0.05 else f"{'':>10s}"
    print(f"{name:42s} {us:9.1f} {other if other else float('nan'):15.1f} {ratio}")
PY
