#!/usr/bin/env bash
# Everything that only a GPU can show, in one run that ends with a table (issue "On the GPU"):
# the CUDA build, the whole test suite on it (the CUDA-only tests run instead of skipping),
# training in bf16 and fp16 with channels_last, the step as a CUDA graph, NCCL with one
# process, the LR finder, and a checkpoint that moves from the GPU to the CPU and back.
#   scripts/gpu_check.sh            (OUT: where logs and the table go, default gpu-check;
#                                    CTEST_REGEX: run only the tests it matches)
# Needs a CUDA torch wheel (or LIBTORCH=...) and the other libraries (see docs/GPU.md).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-gpu-check}
mkdir -p "$out"
[[ -d .gpudeps/usr/lib/x86_64-linux-gnu ]] &&
  export LD_LIBRARY_PATH=$PWD/.gpudeps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
bin=build-cuda/imagenet_train
rows=()
# check NAME LOG COMMAND...: runs the command with its output in LOG; a row with its result.
check() {
  local name=$1 log=$out/$2 start=$SECONDS
  shift 2
  if "$@" >"$log" 2>&1; then
    rows+=("| $name | PASS | $((SECONDS - start)) s | $(basename "$log") |")
  else
    rows+=("| $name | FAIL (exit $?) | $((SECONDS - start)) s | $(basename "$log") |")
  fi
}
# expect LOG PATTERN NAME: a row saying whether the log shows the pattern.
expect() {
  if grep -qE "$2" "$out/$1"; then rows+=("| $3 | PASS | | $1 |"); else rows+=("| $3 | FAIL | | $1 |"); fi
}
train() {  # train RUN_DIR FLAGS...
  local dir=$1
  shift
  "$bin" --data_root "$out/data" --output_dir "$out/$dir" --set model=resnet18 --set img_size=64 \
    --batch_size 64 --num_workers 8 --set log_every_n_steps=10 "$@"
}

check "CUDA build (scripts/build_cuda.sh)" build.log scripts/build_cuda.sh
[[ -x $bin ]] || { echo "no $bin: the build failed (see $out/build.log)" >&2; }
check "ctest on the CUDA build" ctest.log \
  bash -c "cd build-cuda && IMAGENET_PYTHON=\${IMAGENET_PYTHON:-python3} ctest -j8 --output-on-failure -R '${CTEST_REGEX:-.}'"
skipped=$(grep -cE "Cuda.*Skipped" "$out/ctest.log")
ran=$(grep -cE "Cuda.*Passed" "$out/ctest.log")
rows+=("| CUDA-only tests ran (not skipped) | $([[ $skipped -eq 0 && $ran -gt 0 ]] && echo "PASS ($ran)" || echo "FAIL ($ran ran, $skipped skipped)") | | ctest.log |")

"$bin" prepare synthetic --out "$out/data" --classes 10 --train_per_class 128 \
  --val_per_class 16 >/dev/null 2>&1
check "bf16-mixed, channels_last, 2 epochs" bf16.log train bf16 --epochs 2 --precision bf16-mixed
expect bf16.log "cuda:0" "... ran on the GPU"
check "16-mixed with the loss scaler, 1 epoch" fp16.log train fp16 --epochs 1 --precision 16-mixed
check "compile_model: true (CUDA graph), 2 epochs" graph.log \
  train graph --epochs 2 --precision bf16-mixed --set compile_model=true
expect graph.log "runs as a CUDA graph" "... the step was captured and replayed"
check "NCCL process group, one process (strategy ddp)" nccl.log \
  train nccl --epochs 1 --precision bf16-mixed --set strategy=ddp
expect nccl.log "nccl|NCCL" "... on the NCCL backend"
check "lrfind on the GPU (40 steps, bf16)" lrfind.log \
  "$bin" lrfind --data_root "$out/data" --output_dir "$out/lrfind" --set model=resnet18 \
  --set img_size=64 --batch_size 64 --num_workers 8 --precision bf16-mixed --min_lr 1e-4 \
  --max_lr 1 --num_training 40 --early_stop_threshold none
expect lrfind.log "suggested learning rate" "... it suggested an LR"
check "GPU checkpoint resumed on the CPU (precision 32)" to_cpu.log \
  train bf16 --epochs 3 --precision 32 --set accelerator=cpu --resume "$out/bf16/checkpoints/last.ckpt"
check "... and that CPU checkpoint resumed on the GPU" to_gpu.log \
  train bf16 --epochs 4 --precision bf16-mixed --resume "$out/bf16/checkpoints/last.ckpt"
expect to_gpu.log "Epoch 3: train/loss" "... it trained epoch 3 of 4"

{
  echo "# GPU check, $(date -u +'%Y-%m-%d %H:%M UTC')"
  echo
  nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null
  "$bin" --version 2>/dev/null
  echo
  echo "| check | result | time | log |"
  echo "|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} | tee "$out/gpu_check.md"
! grep -q "| FAIL" "$out/gpu_check.md"
