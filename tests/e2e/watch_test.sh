# Watching, evaluating, exporting and reusing a run, as issue 14 asks a user to: a named run
# with W&B on (a stand-in `wandb` on PATH records what it is asked), its event files read back
# in Python, validate on last.ckpt against the run's own last val/acc1, export read strictly by
# torchvision and agreeing with predict, --weights of that file, fine-tuning and bad inputs.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 4 16 6
PY=/usr/bin/python3
GOLDEN=$OLDPWD/tests/golden

# A `wandb` that records its arguments instead of uploading.
mkdir -p fakebin
cat >fakebin/wandb <<'SH'
#!/bin/sh
echo "$@" >>"$(dirname "$0")/../wandb_calls.txt"
SH
chmod +x fakebin/wandb

# 1. A named run gets a folder of its own; warmup longer than the run is a warning, not an error.
PATH=$PWD/fakebin:$PATH run_expect 0 train.txt -- "$BIN" --data_root data --output_dir runs \
  --epochs 2 --wandb_project proj --wandb_name run-a --set wandb_sync=end \
  --set warmup_epochs=5 "${TINY[@]}"
RUN=runs/run-a
expect_file $RUN/checkpoints/last.ckpt
expect_in_file train.txt "the LR never reaches its peak"
expect_in_file train.txt "wandb sync"
expect_in_file train.txt "parameters, 4 classes"
expect_in_file wandb_calls.txt "sync"
expect_in_file wandb_calls.txt "$RUN/tensorboard"
head -1 $RUN/metrics.csv | grep -q 'train/lr' || fail "no train/lr column: $(head -1 $RUN/metrics.csv)"

# 2. The event files, read by an independent reader (CRCs checked): val/acc1 as in metrics.csv.
events=$(ls $RUN/tensorboard/events.out.tfevents.* 2>/dev/null)
[[ -n $events ]] || fail "no event file in $RUN/tensorboard"
$PY "$GOLDEN/read_tfevents.py" $events >events.txt || fail "read_tfevents.py failed"
$PY - $RUN/metrics.csv events.txt <<'PY' || fail "event files and metrics.csv disagree"
import csv, sys
rows = [r for r in csv.DictReader(open(sys.argv[1])) if r["val/acc1"]]
ev = {}
for line in open(sys.argv[2]):
    parts = line.rstrip("\n").split("\t")
    if len(parts) == 4 and parts[2] == "scalar":
        ev[(int(parts[0]), parts[1])] = float(parts[3])
for r in rows:
    got = ev.get((int(r["step"]), "val/acc1"))
    assert got is not None and abs(got - float(r["val/acc1"])) < 1e-6, (r["step"], got, r["val/acc1"])
assert any(t == "train/loss_step" for _, t in ev), "no per-step loss"
assert any(t == "train/lr" for _, t in ev), "no train/lr"
print("event files agree with metrics.csv on", len(rows), "epochs")
PY
grep -q "config" events.txt || fail "no config text in the event files"
$PY - events.txt <<'PY' || fail "per-step throughput or data wait missing or out of range"
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
ips = [float(r[3]) for r in rows if len(r) == 4 and r[1] == "train/images_per_sec_step"]
wait = [float(r[3]) for r in rows if len(r) == 4 and r[1] == "train/data_wait_step"]
steps = [r for r in rows if len(r) == 4 and r[1] == "train/loss_step"]
assert len(ips) == len(wait) == len(steps) > 0, (len(ips), len(wait), len(steps))
assert all(v > 0 for v in ips), ips
assert all(0 <= v <= 1 for v in wait), wait
PY

# 2b. Resumed from the epoch-0 checkpoint in the same folder, the run redoes epoch 1. Its new
# event file starts with a SessionLog START at the step after the checkpoint's; TensorBoard,
# which reads a folder's files in name order and drops earlier files' events at steps >= a
# START's (tensorboard/backend/event_processing: _CheckForRestartAndMaybePurge), then shows
# every step once: epoch 0 from the first file, epoch 1 from the second.
first_ckpt=$(ls $RUN/checkpoints/*epoch=00*.ckpt 2>/dev/null | head -1)
[[ -n $first_ckpt ]] || fail "no epoch-0 checkpoint in $RUN/checkpoints"
PATH=$PWD/fakebin:$PATH run_expect 0 redo.txt -- "$BIN" --resume "$first_ckpt"
$PY "$GOLDEN/read_tfevents.py" $(ls $RUN/tensorboard/events.out.tfevents.* | sort) >events_all.txt ||
  fail "read_tfevents.py failed on the resumed run's files"
$PY - events_all.txt $RUN/metrics.csv <<'PY' || fail "TensorBoard would show the resumed run wrongly"
import csv, sys
files, starts, shown = 0, [], {}
for line in open(sys.argv[1]):
    p = line.rstrip("\n").split("\t")
    if p[0] == "file_version":
        files += 1
    elif len(p) == 3 and p[1] == "session_log" and p[2] == "1":  # TensorBoard's purge
        starts.append((files, int(p[0])))
        shown = {k: v for k, v in shown.items() if k[0] < int(p[0])}
    elif len(p) == 4 and p[2] == "scalar":
        shown.setdefault((int(p[0]), p[1]), []).append(float(p[3]))
epoch_rows = [r for r in csv.DictReader(open(sys.argv[2])) if r["val/acc1"]]
first_end = int(epoch_rows[0]["step"])  # the epoch-0 checkpoint's step
assert files == 2, f"{files} event files, expected 2"
assert starts == [(2, first_end + 1)], f"SessionLog START marks {starts}, expected [(2, {first_end + 1})]"
for tag in ("train/loss_step", "val/acc1", "train/loss"):
    twice = sorted(s for (s, t), v in shown.items() if t == tag and len(v) > 1)
    assert not twice, f"{tag} shown more than once at steps {twice}"
val = {s: v[0] for (s, t), v in shown.items() if t == "val/acc1"}
last = {int(r["step"]): float(r["val/acc1"]) for r in epoch_rows}  # the latest row of each step
assert sorted(val) == sorted(last), (sorted(val), sorted(last))
assert all(abs(val[s] - last[s]) < 1e-6 for s in val), (val, last)
print("TensorBoard shows", len(val), "epochs once each; START at", starts)
PY

# 3. validate on last.ckpt gives the run's own last val/acc1; JSON and per-class CSV written.
run_expect 0 validate.txt -- "$BIN" validate --checkpoint $RUN/checkpoints/last.ckpt \
  --json v.json --per_class per_class.csv
expect_file per_class.csv
last_acc1() { $PY -c "import csv,sys; print([r for r in csv.DictReader(open(sys.argv[1])) if r['val/acc1']][-1]['val/acc1'])" "$1"; }
json_acc1() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))['val/acc1'])" "$1"; }
$PY -c "import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 1e-9)" \
  "$(last_acc1 $RUN/metrics.csv)" "$(json_acc1 v.json)" ||
  fail "validate val/acc1 $(json_acc1 v.json) != the run's $(last_acc1 $RUN/metrics.csv)"
[[ $(wc -l <per_class.csv) -eq 5 ]] || fail "per_class.csv should have a header and 4 rows"
# Data-parallel (2 CPU processes, Gloo): each rank its share, the same exact counts.
run_expect 0 validate2.txt -- "$BIN" validate --checkpoint $RUN/checkpoints/last.ckpt --devices 2 --json v2.json
[[ $(json_acc1 v2.json) == $(json_acc1 v.json) ]] || fail "2-process val/acc1 $(json_acc1 v2.json) != $(json_acc1 v.json)"

# 4. export -> torchvision (strict), and predict agrees with torchvision's softmax.
run_expect 0 export.txt -- "$BIN" export --checkpoint $RUN/checkpoints/last.ckpt --out model.safetensors
cp data/val/class_000/$(ls data/val/class_000 | head -1) good.jpg
head -c 200 good.jpg >truncated.jpg
echo "not an image" >broken.jpg
run_expect 0 predict.txt -- "$BIN" predict --checkpoint $RUN/checkpoints/last.ckpt --topk 3 \
  --output preds.csv data/val truncated.jpg broken.jpg missing.jpg
[[ $(grep -c 'broken.jpg\|truncated.jpg\|missing.jpg' preds.csv) -eq 3 ]] || fail "bad files not reported in preds.csv"
$PY "$GOLDEN/check_predictions.py" model.safetensors preds.csv >check_predictions.txt ||
  fail "predict disagrees with torchvision: $(cat check_predictions.txt)"

# 5. --weights of the export validates to the same number.
run_expect 0 validate_w.txt -- "$BIN" validate --data_root data --weights model.safetensors \
  "${TINY[@]}" --json w.json
[[ $(json_acc1 w.json) == $(json_acc1 v.json) ]] || fail "--weights val/acc1 $(json_acc1 w.json) != $(json_acc1 v.json)"

# 6. Fine-tuning: another number of classes re-initializes the classifier and says so.
run_expect 0 finetune.txt -- "$BIN" --data_root data --output_dir ft --epochs 1 --set num_classes=2 \
  --weights model.safetensors "${TINY[@]}"
expect_in_file finetune.txt "re-initialized for fine-tuning"

# 7. Bad inputs: exit 2, a message naming the file, nothing written.
run_expect 2 bad1.txt -- "$BIN" validate --checkpoint truncated.jpg --json bad.json
run_expect 2 bad2.txt -- "$BIN" export --checkpoint broken.jpg --out bad.safetensors
expect_no_file bad.json
expect_no_file bad.safetensors
printf '\x10\x00\x00\x00\x00\x00\x00\x00{"a": nonsense}' >wrong_header.safetensors
run_expect 2 bad3.txt -- "$BIN" validate --data_root data --weights wrong_header.safetensors "${TINY[@]}"
expect_in_file bad3.txt "wrong_header.safetensors"
run_expect 2 bad4.txt -- "$BIN" validate --data_root data --weights model.safetensors \
  "${TINY[@]}" --set model=resnet34
expect_in_file bad4.txt "model.safetensors"
finish
