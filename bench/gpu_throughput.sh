#!/usr/bin/env bash
# imagenet_train against PyTorch on one GPU, side by side in one run, same GPU, same data
# (issue "On the GPU"; results go to docs/PERFORMANCE.md):
#   1. the training step alone on synthetic input already on the GPU (batch 256, channels_last):
#      imagenet_train bench-model vs PyTorch eager vs torch.compile, bf16 and fp16;
#   2. end to end from JPEG files on local disk: imagenet_train vs the Python loop the seeds ran
#      (torchvision ImageFolder + DataLoader with 16 workers, pin_memory, AMP, channels_last);
#   3. imagenet_train's data_wait share during (2).
#
#   bench/gpu_throughput.sh                 on a CUDA machine (builds build-cuda/ if needed)
#   bench/gpu_throughput.sh --dry-run       the same steps, tiny, on the CPU (checks the script)
#
# Environment: OUT (results folder, default bench-out), DATA (dataset folder, default
# /tmp/imagenet_like), PHOTOS (photographs for `prepare imagenet-like`), PYTHON (python3 with
# torch and torchvision), BIN (the imagenet_train to test), WORKERS (default 16).
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=0
[[ ${1:-} == --dry-run ]] && dry_run=1
out=${OUT:-bench-out}
data=${DATA:-/tmp/imagenet_like}
python=${PYTHON:-python3}
mkdir -p "$out"

if [[ $dry_run -eq 1 ]]; then
  bin=${BIN:-build/imagenet_train}
  python=${PYTHON:-/usr/bin/python3}
  device=cpu arch=resnet18 img=64 batch=16 workers=${WORKERS:-2}
  classes=4 per_class=48 steps=6 warmup=2 model_steps=3 precisions=(bf16-mixed)
  ours_device=(--set accelerator=cpu)
else
  bin=${BIN:-build-cuda/imagenet_train}
  [[ -x $bin ]] || scripts/build_cuda.sh
  device=cuda arch=resnet50 img=224 batch=256 workers=${WORKERS:-16}
  classes=100 per_class=520 steps=150 warmup=30 model_steps=50 precisions=(bf16-mixed 16-mixed)
  ours_device=()
fi
[[ -d .gpudeps/usr/lib/x86_64-linux-gnu ]] &&
  export LD_LIBRARY_PATH=$PWD/.gpudeps/usr/lib/x86_64-linux-gnu:${LD_LIBRARY_PATH:-}
photos=${PHOTOS:-/usr/share/backgrounds}
[[ -d $photos || ! -d .gpudeps/usr/share/backgrounds ]] || photos=.gpudeps/usr/share/backgrounds

log() { echo "[gpu_throughput] $*" >&2; }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | tail -1; }
results=()
row() { results+=("$(printf '| %-44s | %10s | %s |' "$1" "$2" "$3")"); }

# --- versions and the machine ----------------------------------------------------------------
{
  date -u +"date: %Y-%m-%d %H:%M UTC"
  echo "host: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  "$python" -c 'import torch, torchvision; print("torch", torch.__version__, "cuda", torch.version.cuda, "torchvision", torchvision.__version__)'
  "$bin" --version
} | tee "$out/machine.txt" >&2

# --- the data: ImageNet-like JPEGs (about 110 KB, 500x375), generated here --------------------
log "data: $classes classes x $per_class images in $data"
"$bin" prepare imagenet-like --out "$data" --photos_dir "$photos" --classes "$classes" \
  --train_per_class "$per_class" --val_per_class 10 >&2

# --- 1. the step alone ------------------------------------------------------------------------
for p in "${precisions[@]}"; do
  py_precision=$([[ $p == bf16-mixed ]] && echo bf16 || echo fp16)
  for graph in false true; do
    ours=$("$bin" bench-model "${ours_device[@]}" --set model=$arch --set img_size=$img \
      --batch_size $batch --precision $p --steps $model_steps --warmup $warmup \
      --set compile_model=$graph | tee -a "$out/model.txt")
    label=$([[ $graph == true ]] && echo "imagenet_train, CUDA graph" || echo "imagenet_train, eager")
    row "1. step only, $p: $label" "$(field img_per_sec <<<"$ours")" "img/s"
  done
  if [[ $dry_run -eq 0 ]]; then
    for mode in eager compile; do
      flag=$([[ $mode == compile ]] && echo --compile || true)
      ref=$("$python" bench/pytorch_model_step.py --arch $arch --batch $batch --precision $py_precision \
        --steps $model_steps --warmup $warmup $flag | tee -a "$out/model.txt")
      label=$([[ $mode == compile ]] && echo "torch.compile" || echo "eager")
      row "1. step only, $p: PyTorch $label" "$(field img_per_sec <<<"$ref")" "img/s"
    done
  fi
done

# --- 2. and 3. end to end from JPEG files -----------------------------------------------------
p=${precisions[0]}
py_precision=$([[ $p == bf16-mixed ]] && echo bf16 || echo fp16)
# Two short epochs: the first carries cuDNN autotuning and cold caches, the second is measured.
for graph in false true; do
  run=$out/ours_run$([[ $graph == true ]] && echo _graph || true)
  rm -rf "$run"
  "$bin" --data_root "$data" --output_dir "$run" "${ours_device[@]}" --set model=$arch \
    --set img_size=$img --batch_size $batch --precision $p --num_workers $workers --epochs 2 \
    --set limit_train_batches=$((steps / 2 + warmup / 2)) --set limit_val_batches=2 \
    --set log_every_n_steps=10 --set compile_model=$graph > "$run.log" 2>&1
  read -r ours_ips ours_wait < <(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["train/images_per_sec"] != "" { ips = $c["train/images_per_sec"]; w = $c["train/data_wait"] }
    END { printf "%.1f %.4f\n", ips, w }' "$run/metrics.csv")
  label=$([[ $graph == true ]] && echo "imagenet_train, CUDA graph" || echo "imagenet_train, eager")
  row "2. end to end, $p: $label" "$ours_ips" "img/s"
  row "3. data_wait during 2., $label" "$ours_wait" "share of step time"
done
ref=$("$python" bench/pytorch_train_loop.py --data "$data" --device $device --arch $arch \
  --img-size $img --batch $batch --workers $workers --precision $py_precision --steps $steps \
  --warmup $warmup | tee "$out/python_loop.txt")
row "2. end to end, $p: PyTorch DataLoader loop" "$(field img_per_sec <<<"$ref")" "img/s, $workers workers"
row "3. data wait during 2., PyTorch DataLoader loop" "$(field data_wait <<<"$ref")" "share of step time"

# --- the table --------------------------------------------------------------------------------
{
  echo "| measurement | value | unit |"
  echo "|---|---|---|"
  printf '%s\n' "${results[@]}"
} | tee "$out/results.md"
