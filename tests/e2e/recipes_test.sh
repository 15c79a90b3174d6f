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

# validate --ema on V2's last.ckpt gives the run's own val_ema/acc1; export --ema marks its
# metadata; a checkpoint without EMA weights is a usage error for both.
PY=/usr/bin/python3
run_expect 0 validate_ema.txt -- "$BIN" validate --checkpoint torchvision_v2/checkpoints/last.ckpt \
  --ema --json ema.json
expect_in_file validate_ema.txt "(EMA)"
$PY - torchvision_v2/metrics.csv ema.json <<'PY' || fail "validate --ema differs from the run's val_ema/acc1"
import csv, json, sys
run = [r for r in csv.DictReader(open(sys.argv[1])) if r["val_ema/acc1"]][-1]["val_ema/acc1"]
got = json.load(open(sys.argv[2]))
assert got["ema"] is True and abs(got["val/acc1"] - float(run)) < 1e-9, (got, run)
PY
run_expect 2 validate_no_ema.txt -- "$BIN" validate --checkpoint rsb_a1/checkpoints/last.ckpt --ema
expect_in_file validate_no_ema.txt "holds no EMA weights"
run_expect 0 export_ema.txt -- "$BIN" export --checkpoint torchvision_v2/checkpoints/last.ckpt \
  --ema --out ema.safetensors
$PY - ema.safetensors <<'PY' || fail "export --ema: no weights=ema in the metadata"
import json, struct, sys
data = open(sys.argv[1], "rb").read()
header = json.loads(data[8:8 + struct.unpack("<Q", data[:8])[0]])
assert header["__metadata__"]["weights"] == "ema", header["__metadata__"]
PY
run_expect 2 export_no_ema.txt -- "$BIN" export --checkpoint rsb_a1/checkpoints/last.ckpt --ema \
  --out x.safetensors
expect_no_file x.safetensors

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
