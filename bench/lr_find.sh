#!/usr/bin/env bash
# The seeds' LR finder command shape on the demo data, timed against its plain-PyTorch
# reference (bench/pytorch_lr_find.py) in the same run, alternating, on the same JPEG folders:
#   imagenet_lrfind --config configs/demo.yaml --min_lr 0.001 --max_lr 5.0 --num_training 100
# and against 100 steps of training with the same config (the sweep should run at training
# speed). For each run: wall time (process start to exit), CPU time (user + system, child
# processes included: the steadier measure on a shared machine), and images/s of the sweep.
# Then medians, the best round of each, and the ratios. Needs build/imagenet_train.
#   bench/lr_find.sh [repeats=3]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
out=runs/bench-lrfind
mkdir -p runs
[[ -d data/fashion-mnist/train ]] || build/imagenet_train prepare fashion-mnist --out data/fashion-mnist
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# timed LOG command...: runs the command with its output in LOG; sets WALL and CPU (seconds).
timed() {
  local log=$1 times
  shift
  times=$({ TIMEFORMAT='%R %U %S'; time "$@" >"$log" 2>&1 || true; } 2>&1)
  WALL=$(echo "$times" | awk '{ print $1 }')
  CPU=$(echo "$times" | awk '{ print $2 + $3 }')
}

cpp_wall=() cpp_cpu=() py_wall=() py_cpu=() sweep_rate=() py_rate=() train_rate=()
for r in $(seq 1 "$repeats"); do
  timed "$out.log" build/imagenet_lrfind --config configs/demo.yaml --output_dir "$out" \
    --min_lr 0.001 --max_lr 5.0 --num_training 100  # exit 1 when the sweep diverges
  cpp_wall+=("$WALL") cpp_cpu+=("$CPU")
  line=$(grep -o 'sweep: .*' "$out.log")
  sweep_rate+=("$(echo "$line" | sed 's/.*, \([0-9.]*\) img\/s.*/\1/')")
  end=$(grep -E 'suggested learning rate|stopped early' "$out.log" | head -1 | cut -c12- | cut -c1-110)
  echo "round $r imagenet_lrfind: wall $WALL s, cpu $CPU s, $line; $end"

  timed "$out-py.log" /usr/bin/python3 bench/pytorch_lr_find.py --data data/fashion-mnist/train
  py_wall+=("$WALL") py_cpu+=("$CPU")
  py_rate+=("$(sed -n 's/.*img_per_sec=\([0-9.]*\).*/\1/p' "$out-py.log")")
  echo "round $r pytorch reference: wall $WALL s, cpu $CPU s, $(cat "$out-py.log")"

  rm -rf "$out-train"
  timed "$out-train.log" build/imagenet_train --config configs/demo.yaml --output_dir \
    "$out-train" --epochs 1 --set limit_train_batches=100 --set limit_val_batches=1 \
    --set warmup_epochs=0
  train_rate+=("$(grep -o '[0-9.]* img/s, data wait' "$out-train.log" | cut -d' ' -f1)")
  echo "round $r training, 100 steps: ${train_rate[-1]} img/s"
done

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
least() { printf '%s\n' "$@" | sort -g | head -1; }
most() { printf '%s\n' "$@" | sort -g | tail -1; }
ratio() { echo "scale=2; $1 / $2" | bc; }
echo "median wall: imagenet_lrfind $(median "${cpp_wall[@]}") s, pytorch $(median "${py_wall[@]}") s, ratio $(ratio "$(median "${py_wall[@]}")" "$(median "${cpp_wall[@]}")")x"
echo "median cpu: imagenet_lrfind $(median "${cpp_cpu[@]}") s, pytorch $(median "${py_cpu[@]}") s, ratio $(ratio "$(median "${py_cpu[@]}")" "$(median "${cpp_cpu[@]}")")x"
# Other jobs on the machine only slow a run down: the best round is the least disturbed one.
echo "best wall: imagenet_lrfind $(least "${cpp_wall[@]}") s, pytorch $(least "${py_wall[@]}") s, ratio $(ratio "$(least "${py_wall[@]}")" "$(least "${cpp_wall[@]}")")x"
echo "best img/s: sweep $(most "${sweep_rate[@]}"), pytorch sweep $(most "${py_rate[@]}"), training $(most "${train_rate[@]}"); sweep / training $(ratio "$(most "${sweep_rate[@]}")" "$(most "${train_rate[@]}")")"
