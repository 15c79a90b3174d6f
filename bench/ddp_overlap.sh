#!/usr/bin/env bash
# Does starting the gradient all-reduce from hooks during backward pay? Times the data-parallel
# step of imagenet_train (bench-ddp) and of PyTorch's DDP (bench/ddp_overlap.py) in the same
# run, on the CPU with Gloo, same model, batch and threads, and prints both with their ratios.
#   bench/ddp_overlap.sh [BIN] [-- extra bench-ddp flags]
#   WORLD=2 ARCH=resnet50 BATCH=8 IMG=64 STEPS=10 ROUNDS=3 THREADS=4 bench/ddp_overlap.sh
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-build/imagenet_train}
world=${WORLD:-2} arch=${ARCH:-resnet50} batch=${BATCH:-8} img=${IMG:-64}
steps=${STEPS:-10} rounds=${ROUNDS:-3}
python=${PYTHON:-/usr/bin/python3}
threads=${THREADS:-$(($(nproc) / world))}  # compute threads per process
((threads > 0)) || threads=1
echo "threads per process: $threads"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
ours=$("$bin" bench-ddp --devices "$world" --set accelerator=cpu --set "model=$arch" \
  --batch_size "$batch" --set "img_size=$img" --set "cpu_threads=$threads" \
  --steps "$steps" --rounds "$rounds" "${@:2}" 2>/dev/null | grep '^bench-ddp:')
theirs=$("$python" bench/ddp_overlap.py --world "$world" --arch "$arch" --batch "$batch" \
  --img-size "$img" --threads "$threads" --steps "$steps" --rounds "$rounds" 2>/dev/null |
  grep '^pytorch-ddp:')
echo "$ours"
echo "$theirs"
median() { sed -n "s/.*$1.*median=\([0-9.]*\).*/\1/p" | head -1; }
o_compute=$(echo "$ours" | median "compute only")
o_after=$(echo "$ours" | median "after backward, gradients as bucket views")
o_overlap=$(echo "$ours" | median "overlapped with backward, gradients as bucket views")
p_compute=$(echo "$theirs" | median "compute only")
p_after=$(echo "$theirs" | median "after backward")
p_overlap=$(echo "$theirs" | median "overlapped")
awk -v oc="$o_compute" -v oa="$o_after" -v oo="$o_overlap" -v pc="$p_compute" \
    -v pa="$p_after" -v po="$p_overlap" 'BEGIN {
  printf "summary (ms per step, median)   imagenet_train   pytorch DDP   ours/pytorch\n"
  printf "  compute only                  %14.1f %13.1f %14.2f\n", oc, pc, oc / pc
  printf "  all-reduce after backward     %14.1f %13.1f %14.2f\n", oa, pa, oa / pa
  printf "  all-reduce overlapped         %14.1f %13.1f %14.2f\n", oo, po, oo / po
  printf "  overlapped / after            %14.3f %13.3f\n", oo / oa, po / pa
}'
