#!/usr/bin/env bash
# What a periodic checkpoint costs the training step: the same short training run with
# checkpoint_every_n_steps=0 and =N, in turns, ROUNDS times. Reports the epoch's train img/s
# (metrics.csv) of each, their ratio, and the time the training thread spent copying the state
# for each background write (--verbose lines "state copied in X ms"), and the CPU seconds (user +
# system) of each run: the difference per write is what the writer thread's pickling, CRCs and
# write cost, which on a machine without spare cores comes out of the step.
#   bench/checkpoint_stall.sh [ROUNDS] (env: BIN, MODEL=resnet18, IMG=64, BATCH=16, STEPS=60, EVERY=10)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build/imagenet_train}
ROUNDS=${1:-3} MODEL=${MODEL:-resnet18} IMG=${IMG:-64} BATCH=${BATCH:-16} STEPS=${STEPS:-60}
EVERY=${EVERY:-10}
work=$(mktemp -d /tmp/checkpoint_stall.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$BIN" prepare synthetic --out "$work/data" --classes 10 --train_per_class $((BATCH * STEPS / 10 + 10)) \
  --val_per_class 2 --min_side 64 --max_side 128 >/dev/null
run() {  # run NAME EVERY -> prints "img/s cpu_seconds"
  local TIMEFORMAT='%U %S'
  { time "$BIN" --data_root "$work/data" --output_dir "$work/$1" --epochs 1 --batch_size "$BATCH" \
    --set model="$MODEL" --set img_size="$IMG" --set limit_train_batches="$STEPS" \
    --set limit_val_batches=1 --set checkpoint_every_n_steps="$2" --set checkpoint_every_minutes=0 \
    --set save_top_k=0 --num_workers 2 --verbose >"$work/$1.txt" 2>&1; } 2>"$work/$1.time"
  python3 -c 'import csv,sys; r=[x for x in csv.DictReader(open(sys.argv[1])) if x.get("train/images_per_sec")]; u,s=open(sys.argv[2]).read().split()[-2:]; print(r[-1]["train/images_per_sec"], float(u)+float(s))' "$work/$1/metrics.csv" "$work/$1.time"
}
echo "model $MODEL, img $IMG, batch $BATCH, $STEPS steps, checkpoint every $EVERY steps; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round  off_img/s  on_img/s  on/off  writes  copy_ms(median)  skipped  off_cpu_s  on_cpu_s  cpu_s/write"
for r in $(seq 1 "$ROUNDS"); do
  # Assigned first so that a failed run stops the script (set -e does not see into "read < <()").
  out=$(run off$r 0)
  read -r off off_cpu <<<"$out"
  out=$(run on$r "$EVERY")
  read -r on on_cpu <<<"$out"
  copies=$(grep -oE 'state copied in [0-9.]+ ms' "$work/on$r.txt" | grep -oE '[0-9.]+' | sort -n)
  n=$(echo "$copies" | grep -c . || true)
  median=$(echo "$copies" | awk '{a[NR]=$1} END {print (NR ? a[int((NR+1)/2)] : "n/a")}')
  skipped=$(grep -c "this one is skipped" "$work/on$r.txt" || true)
  printf "%5d  %9.1f  %8.1f  %6.3f  %6d  %15s  %7d  %9.1f  %8.1f  %11s\n" "$r" "$off" "$on" \
    "$(python3 -c "print($on / $off)")" "$n" "$median" "$skipped" "$off_cpu" "$on_cpu" \
    "$(python3 -c "print('%.2f' % (($on_cpu - $off_cpu) / $n) if $n else 'n/a')")"
done
