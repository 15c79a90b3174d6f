#!/usr/bin/env bash
# The seeds' LR finder command shape on the demo data, timed against its plain-PyTorch
# reference (bench/pytorch_lr_find.py) in the same run, alternating, on the same JPEG folders:
#   imagenet_lrfind --config configs/demo.yaml --min_lr 0.001 --max_lr 5.0 --num_training 100
# and against 100 steps of training with the same config (the sweep should run at training
# speed). Prints each run's wall time (process start to exit), sweep time and images/s, then
# the medians and their ratios. Needs build/imagenet_train and data/fashion-mnist.
#   bench/lr_find.sh [repeats=3]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}
out=runs/bench-lrfind
[[ -d data/fashion-mnist/train ]] || build/imagenet_train prepare fashion-mnist --out data/fashion-mnist
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"

now() { date +%s.%N; }
cpp_wall=() cpp_sweep=() py_wall=() py_sweep=() train_rate=() sweep_rate=()
for r in $(seq 1 "$repeats"); do
  t0=$(now)
  build/imagenet_lrfind --config configs/demo.yaml --output_dir "$out" --min_lr 0.001 \
    --max_lr 5.0 --num_training 100 >"$out.log" 2>&1 || true  # 1 when the sweep diverges
  t1=$(now)
  line=$(grep -o 'sweep: .*' "$out.log")
  end=$(grep -E 'suggested learning rate|stopped early' "$out.log" | head -1 | cut -c12-)
  cpp_wall+=("$(echo "$t1 - $t0" | bc)")
  cpp_sweep+=("$(echo "$line" | sed 's/.* in \([0-9.]*\) s.*/\1/')")
  sweep_rate+=("$(echo "$line" | sed 's/.*, \([0-9.]*\) img\/s.*/\1/')")
  echo "run $r imagenet_lrfind: wall $(printf '%.1f' "${cpp_wall[-1]}") s, $line; $end"

  t0=$(now)
  py=$(/usr/bin/python3 bench/pytorch_lr_find.py --data data/fashion-mnist/train)
  t1=$(now)
  py_wall+=("$(echo "$t1 - $t0" | bc)")
  py_sweep+=("$(echo "$py" | sed 's/.*sweep_s=\([0-9.]*\).*/\1/')")
  echo "run $r pytorch reference: wall $(printf '%.1f' "${py_wall[-1]}") s, $py"

  rm -rf "$out-train"
  build/imagenet_train --config configs/demo.yaml --output_dir "$out-train" --epochs 1 \
    --set limit_train_batches=100 --set limit_val_batches=1 --set warmup_epochs=0 >"$out-train.log" 2>&1
  train_rate+=("$(grep -o '[0-9.]* img/s, data wait' "$out-train.log" | cut -d' ' -f1)")
  echo "run $r training, 100 steps: ${train_rate[-1]} img/s"
done

# Medians, and the best (least disturbed) run of each: other jobs on the machine only slow
# runs down, so the minimum is the cleaner estimate when the machine is shared.
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
best() { printf '%s\n' "$@" | sort -g | head -1; }
mc=$(median "${cpp_wall[@]}") mp=$(median "${py_wall[@]}")
sc=$(median "${cpp_sweep[@]}") sp=$(median "${py_sweep[@]}")
echo "median wall: imagenet_lrfind $mc s, pytorch $mp s, ratio $(echo "scale=2; $mp / $mc" | bc)x"
echo "median sweep: imagenet_lrfind $sc s, pytorch $sp s, ratio $(echo "scale=2; $sp / $sc" | bc)x"
rs=$(median "${sweep_rate[@]}") rt=$(median "${train_rate[@]}")
echo "median img/s: sweep $rs, training $rt, ratio $(echo "scale=2; $rs / $rt" | bc)"
bc_=$(best "${cpp_wall[@]}") bp=$(best "${py_wall[@]}")
echo "best wall: imagenet_lrfind $bc_ s, pytorch $bp s, ratio $(echo "scale=2; $bp / $bc_" | bc)x"
rs=$(printf '%s\n' "${sweep_rate[@]}" | sort -g | tail -1) rt=$(printf '%s\n' "${train_rate[@]}" | sort -g | tail -1)
echo "best img/s: sweep $rs, training $rt, ratio $(echo "scale=2; $rs / $rt" | bc)"
