# A user's session: train, look at the outputs, stop with SIGTERM mid-epoch, resume, finish.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 4 24 6

# Two epochs, stopped after the first as asked; then resumed by --resume alone.
run_expect 0 first.txt -- "$BIN" --data_root data --output_dir run --epochs 3 \
  --set stop_after_epochs=1 "${TINY[@]}"
expect_in_file first.txt "stopping after 1 epochs as asked"
expect_file run/config.yaml
expect_file run/checkpoints/last.ckpt
expect_file run/checkpoints/best_k_models.yaml
ls run/checkpoints/resnet18-epoch=00-val_acc1=*.ckpt >/dev/null 2>&1 || fail "no top-k checkpoint"
expect_in_file run/config.yaml "epochs: 3  # --epochs"
ls run/logs/train_*.log >/dev/null 2>&1 || fail "no log file"
expect_in_file "$(ls run/logs/train_*.log | head -1)" "Epoch 0: train/loss"
head -1 run/metrics.csv | grep -q '^epoch,epoch_time_sec,lr,step,' || fail "metrics.csv header: $(head -1 run/metrics.csv)"

sleep 1  # a new log file name (they have a time stamp to the second)
# Resume: the output folder is the checkpoint's, the config the checkpoint's own.
"$BIN" --resume run/checkpoints/last.ckpt --set log_every_n_steps=1 >resume.txt 2>&1 &
pid=$!
# Stop it with SIGTERM once it is training epoch 1 (a scheduler's preemption).
for _ in $(seq 1 200); do
  grep -q "Epoch 1: .*[1-9]/12" resume.txt 2>/dev/null && break
  sleep 0.1
done
kill -TERM $pid
wait $pid
code=$?
[[ $code -eq 143 ]] || fail "SIGTERM should end with 143, got $code"
expect_in_file resume.txt "resumed at epoch 1, batch 0"
expect_in_file resume.txt "stopped by signal 15 in epoch 1"

sleep 1
# The saved config still says stop_after_epochs: 1, so this finishes epoch 1 only.
run_expect 0 second.txt -- "$BIN" --resume run/checkpoints/last.ckpt
expect_in_file second.txt "resumed at epoch 1, batch"
expect_in_file second.txt "Epoch 1: train/loss"
sleep 1
run_expect 0 final.txt -- "$BIN" --resume run/checkpoints/last.ckpt --set stop_after_epochs=0
expect_in_file final.txt "resuming with changed settings: stop_after_epochs 1 -> 0"
expect_in_file final.txt "Epoch 2: train/loss"
[[ $(ls run/logs/train_*.log | wc -l) -eq 4 ]] || fail "expected 4 log files"
# TensorBoard: each run (the stopped one too) added an event file of its own.
[[ $(ls run/tensorboard/events.out.tfevents.* | wc -l) -eq 4 ]] || fail "expected 4 event files"
# metrics.csv kept every row: one epoch row per epoch, history intact.
rows=$(grep -cE '^[0-9]+,[0-9.]+,' run/metrics.csv)
[[ $rows -eq 3 ]] || fail "expected 3 epoch rows in metrics.csv, got $rows"
grep -q '^0,' run/metrics.csv || fail "epoch 0 rows lost on resume"
# curves.png: redrawn after every epoch, a PNG, with all three epochs after the resume.
[[ $(head -c 8 run/curves.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
  fail "run/curves.png is missing or not a PNG"

# Nothing to do when the run is complete.
run_expect 0 done.txt -- "$BIN" --resume run/checkpoints/last.ckpt
expect_in_file done.txt "nothing to do"

# The checkpoint is a torch.load-able dict whose state_dict loads into torchvision.
if /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null; then
  cat > check.py <<'PY'
import sys, torch, torchvision
ckpt = torch.load(sys.argv[1], map_location="cpu")
assert ckpt["format"] == "imagenet_train" and ckpt["epoch"] == 3, ckpt.keys()
model = torchvision.models.resnet18(num_classes=ckpt["hyper_parameters"]["num_classes"])
model.load_state_dict(ckpt["state_dict"], strict=True)
model.eval()
print("classes", ckpt["hyper_parameters"]["classes"], "val/acc1", ckpt["metrics"]["val/acc1"])
print(model(torch.randn(1, 3, 32, 32)).shape)
PY
  run_expect 0 py.txt -- /usr/bin/python3 check.py run/checkpoints/last.ckpt
  expect_in_file py.txt "torch.Size([1, 4])"
fi
finish
