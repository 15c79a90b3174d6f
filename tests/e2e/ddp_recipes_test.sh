# Gradient accumulation and the model EMA under `--devices 2` (Gloo on the CPU), against one
# process with the same total batch:
# 1. norm_eval (BatchNorm in eval mode, so no statistics depend on how a batch is split), fp32:
#    2 ranks x 2 micro-batches of 4 make the weights and the EMA of 1 process at batch 16, with
#    the same optimizer steps and LR in metrics.csv; the all-reduce runs once per step, after
#    the last micro-batch (the count of rank 0's epoch line). (Training-mode BatchNorm at this
#    tiny size makes a few steps diverge from rounding alone, so it is not compared here: one
#    process at cpu_threads 1 against 2 differs by 5e-3 in conv1 after 4 steps.)
# 2. Without sync_batchnorm each rank's statistics differ: at model_ema_decay 0 the EMA is the
#    model, so rank 0's EMA statistics are the average of the ranks', as the model's are, and
#    every rank's EMA validates as its model does (val_ema/loss is val/loss).
source "$(dirname "$0")/lib.sh"
if ldd "$BIN" | grep -q libtorch_cuda; then echo "CUDA wheel build: no Gloo, skipping"; exit 77; fi
cd "$WORK"
make_dataset data 4 16 4
# 64 training images: 4 optimizer steps of 16 per epoch in every run.
RUN=(--data_root data --set model=resnet18 --set img_size=32 --num_workers 1 --lr 0.2 --epochs 2
     --set warmup_epochs=0.5 --set save_top_k=0 --set log_every_n_steps=1 --set dist_timeout=60
     --set model_ema=true --set model_ema_decay=0.5 --set cpu_threads=1)

# close A.ckpt B.ckpt: model weights, buffers and EMA agree within float tolerance, the same
# optimizer steps and EMA updates; and the weights moved (so the comparison says something).
close() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, torch
a = torch.load(sys.argv[1], map_location="cpu"); b = torch.load(sys.argv[2], map_location="cpu")
bad = []
for part in ("state_dict", "state_dict_ema"):
    for k, t in a[part].items():
        u = b[part][k]
        if t.is_floating_point() and not torch.allclose(t, u, rtol=1e-3, atol=1e-5):
            bad.append("%s %s (max diff %.3g)" % (part, k, (t - u).abs().max()))
        elif not t.is_floating_point() and not torch.equal(t, u):
            bad.append("%s %s" % (part, k))
for key in ("global_step", "ema_updates"):
    if a[key] != b[key]: bad.append("%s %s vs %s" % (key, a[key], b[key]))
if torch.equal(a["state_dict"]["fc.weight"], a["state_dict_ema"]["fc.weight"]):
    bad.append("the EMA equals the weights")
print("differ:", ", ".join(bad[:6]) if bad else "none", "; global_step", a["global_step"])
sys.exit(1 if bad else 0)
PY
}

# 1. Accumulation over two processes against one process at the whole batch.
run_expect 0 one.txt -- "$BIN" "${RUN[@]}" --set norm_eval=true --batch_size 16 --devices 1 \
  --output_dir one
run_expect 0 acc.txt -- "$BIN" "${RUN[@]}" --set norm_eval=true --batch_size 4 --devices 2 \
  --set accumulate_grad_batches=2 --output_dir acc
expect_in_file acc.txt "plan: world size 2, batch 4 per device x 2 accumulated, total 16"
close one/checkpoints/last.ckpt acc/checkpoints/last.ckpt >close_acc.txt ||
  fail "2 ranks x 2 micro-batches differ from 1 process at batch 16: $(cat close_acc.txt)"
expect_in_file close_acc.txt "global_step 8"
# Each epoch: one all-reduce per optimizer step, none for the micro-batch before the last.
for epoch in 0 1; do
  expect_in_file acc.txt "Epoch $epoch: 4 gradient all-reduces"
  expect_in_file acc.txt "for 4 optimizer steps; 4 micro-batch backwards without one"
done
# metrics.csv's step rows: the same optimizer steps at the same LR.
/usr/bin/python3 - one/metrics.csv acc/metrics.csv <<'PY' || fail "metrics.csv steps or LR differ"
import csv, sys
def rows(path):
    return [(r["step"], r["epoch"], "%.9g" % float(r["lr"])) for r in csv.DictReader(open(path))
            if r.get("lr") and r.get("train/loss_step", r.get("train/loss"))]
a, b = rows(sys.argv[1]), rows(sys.argv[2])
assert a == b and a, (a, b)
steps = [int(r["step"]) for r in csv.DictReader(open(sys.argv[2])) if r["train/loss_step"]]
assert steps == list(range(1, 9)), steps  # a row per optimizer step, 8 in all
PY

# 2. The EMA's statistics averaged over the ranks as the model's are.
run_expect 0 local_bn.txt -- "$BIN" "${RUN[@]}" --batch_size 8 --devices 2 \
  --set limit_train_batches=2 --set model_ema_decay=0 --output_dir local_bn
/usr/bin/python3 - local_bn/checkpoints/last.ckpt local_bn/metrics.csv <<'PY' ||
import csv, sys, torch
c = torch.load(sys.argv[1], map_location="cpu")
bad = [k for k, t in c["state_dict"].items() if not torch.equal(t, c["state_dict_ema"][k])]
assert not bad, "EMA differs from the model: %s" % bad[:5]
rows = [r for r in csv.DictReader(open(sys.argv[2])) if r.get("val_ema/loss")]
assert rows and all(r["val_ema/loss"] == r["val/loss"] for r in rows), rows
PY
  fail "without sync_batchnorm the EMA at decay 0 is not the (averaged) model"
finish
