# Every recipe config in configs/ (RSB A1/A2/A3, torchvision V1/V2) trains one epoch on tiny
# generated data with its own keys: its optimizer, loss, augmentation, sampler, schedule and
# EMA. Only what a 2-core CPU cannot run at ImageNet size is overridden: model, image sizes,
# batch, precision, epochs and warmup, devices.
source "$(dirname "$0")/lib.sh"
CONFIGS=$(cd "$(dirname "$0")/../../configs" && pwd)
cd "$WORK"
make_dataset data 4 12 3

for recipe in rsb_a1 rsb_a2 rsb_a3 torchvision_v1 torchvision_v2; do
  run_expect 0 "$recipe.txt" -- "$BIN" --config "$CONFIGS/$recipe.yaml" --data_root data \
    --output_dir "$recipe" --epochs 1 --devices 1 --set accelerator=cpu \
    --set model=resnet18 --set img_size=32 --set val_img_size=32 --set precision=32 \
    --set warmup_epochs=0.5 --batch_size 8 --num_workers 2 --set log_every_n_steps=2
  expect_in_file "$recipe.txt" "Epoch 0: train/loss"
  expect_file "$recipe/checkpoints/last.ckpt"
  # The recipe's own keys reached the run (config.yaml records where each came from).
  expect_in_file "$recipe/config.yaml" "optimizer: $(grep -oP '^optimizer: \K\w+' "$CONFIGS/$recipe.yaml")"
done

# What each recipe turns on shows in its run.
expect_in_file rsb_a1.txt "(sqrt scaling)"
expect_in_file torchvision_v1.txt "(linear scaling)"
expect_in_file rsb_a3/config.yaml "auto_augment: rand-m6-mstd0.5-inc1"
expect_in_file torchvision_v2.txt "val_ema/acc1"
ls torchvision_v2/checkpoints/resnet18-epoch=00-val_ema_acc1=*.ckpt >/dev/null 2>&1 ||
  fail "torchvision_v2: no top-k checkpoint named by val_ema/acc1"
head -1 torchvision_v2/metrics.csv | grep -q 'val_ema/acc1' || fail "no val_ema/acc1 column"

# The LAMB state and the EMA are in the checkpoints, readable by torch.load.
if /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  /usr/bin/python3 - rsb_a1/checkpoints/last.ckpt torchvision_v2/checkpoints/last.ckpt <<'PY' ||
import sys, torch
lamb = torch.load(sys.argv[1], map_location="cpu")
assert any(k.startswith("exp_avg.") for k in lamb["optimizer"]["state"]), "no LAMB moments"
v2 = torch.load(sys.argv[2], map_location="cpu")
assert set(v2["state_dict_ema"]) == set(v2["state_dict"]), "EMA names differ from the model's"
assert v2["ema_updates"] >= 1
PY
    fail "the checkpoints lack the optimizer state or the EMA"
fi
finish
