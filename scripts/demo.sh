#!/usr/bin/env bash
# The demo: installs the dependencies, builds, writes Fashion-MNIST (Debian's
# dataset-fashion-mnist: 70,000 real, labelled 28x28 pictures of clothing) as JPEG folders,
# and trains configs/demo.yaml (ResNet-18) on the CPU through the whole pipeline:
# files -> loader -> model -> checkpoints, logs, metrics.csv.
#   scripts/demo.sh                 extra arguments go to imagenet_train, e.g. --epochs 2
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
bin=build/imagenet_train
"$bin" prepare fashion-mnist --out data/fashion-mnist
run=runs/demo-$(date +%Y%m%d-%H%M%S)
start=$(date +%s)
"$bin" --config configs/demo.yaml --output_dir "$run" "$@"
end=$(date +%s)
echo
echo "demo finished in $((end - start)) s; everything it wrote is in $run/:"
echo "  metrics.csv  curves.png (the curves as a picture)  logs/  checkpoints/  config.yaml"
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
         $col["val/acc1"] != "" { printf "  epoch %s: val/acc1 %.2f%%  val/loss %.4f  train/loss %.4f  %.0f img/s\n",
           $col["epoch"], 100 * $col["val/acc1"], $col["val/loss"], $col["train/loss"],
           $col["train/images_per_sec"] }' "$run/metrics.csv"
