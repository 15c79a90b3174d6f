#!/usr/bin/env bash
# On the GPU machine (see ../shared/gpu/README.md): builds against the CUDA LibTorch of the
# torch wheel, runs the distributed unit tests (SyncBatchNorm's CUDA kernels included), trains
# one process on NCCL (world size 1 exercises the NCCL path) with SyncBatchNorm's kernels, and
# measures the all-reduce overlap on the CPU with Gloo. Writes its reports under $OUT.
#   OUT=/tmp/out bench/ddp_gpu_check.sh      (OVERLAP_THREADS="4 8": threads per process)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
mkdir -p "$out"
python=${PYTHON:-/opt/torch/.venv/bin/python3}
export LD_LIBRARY_PATH=$PWD/.gpudeps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
prefix="$($python -c 'import torch; print(torch.utils.cmake_prefix_path)');$PWD/.gpudeps/usr"
step() { echo "=== $* ($(date -u +%T))"; }

step build
cmake -S . -B build-cuda -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  >"$out/configure.txt" 2>&1 || { tail -30 "$out/configure.txt"; exit 1; }
grep -E "LibTorch|CUDA" "$out/configure.txt"
cmake --build build-cuda --target torch_tests -j "$(nproc)" >"$out/build.txt" 2>&1 ||
  { grep -E "error|Error" "$out/build.txt" | head -40; exit 1; }
echo "built"

step unit tests
build-cuda/tests/torch_tests --gtest_filter='SyncBatchNorm*:ProcessGroup*:*GradientReducer*' \
  >"$out/unit_tests.txt" 2>&1
grep -E "^\[  (PASSED|FAILED|SKIPPED) |^\[       OK|Failure" "$out/unit_tests.txt" | head -30

step NCCL, one process, SyncBatchNorm kernels, bf16
build-cuda/imagenet_train prepare synthetic --out data --classes 10 --train_per_class 200 \
  --val_per_class 20 >/dev/null 2>&1
build-cuda/imagenet_train --data_root data --output_dir runs/nccl --epochs 2 \
  --set model=resnet50 --batch_size 64 --set img_size=96 --precision bf16-mixed \
  --set strategy=ddp --set sync_batchnorm=true --num_workers 8 --set log_every_n_steps=10 \
  >"$out/nccl_train.txt" 2>&1
echo "exit $?"
grep -E "process group|data-parallel|plan:|Epoch [0-9]+: train|error" "$out/nccl_train.txt"

step NCCL, one process, fp16 with the loss scaler, local BatchNorm
build-cuda/imagenet_train --data_root data --output_dir runs/nccl16 --epochs 1 \
  --set model=resnet18 --batch_size 64 --set img_size=64 --precision 16-mixed \
  --set strategy=ddp --num_workers 8 >"$out/nccl_fp16.txt" 2>&1
echo "exit $?"
grep -E "process group|Epoch [0-9]+: train|error" "$out/nccl_fp16.txt"

step overlap of the gradient all-reduce with backward, CPU, Gloo, 2 processes
for threads in ${OVERLAP_THREADS:-4 8}; do
  THREADS=$threads STEPS=8 ROUNDS=3 PYTHON=$python timeout 200 \
    bench/ddp_overlap.sh build-cuda/imagenet_train >"$out/overlap_t$threads.txt" 2>&1
  tail -7 "$out/overlap_t$threads.txt"
done
