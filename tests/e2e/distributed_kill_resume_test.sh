# Preemption of a 2-process run: with checkpoint_every_n_steps, the launcher and both workers
# are killed with SIGKILL (frozen first, so that none reacts to another's death) right after a
# periodic checkpoint was written in the middle of an epoch, and the run is resumed from its
# folder. Parameters, momentum buffers and the step equal those of a 2-process run never
# stopped, bit for bit; the BatchNorm running statistics and the metrics to 1e-5 (below); only
# rank 0 wrote checkpoints.
source "$(dirname "$0")/lib.sh"
# Several processes on the CPU talk through Gloo (see distributed_launch_test.sh).
if ldd "$BIN" | grep -q libtorch_cuda; then echo "CUDA wheel build: no Gloo, skipping"; exit 77; fi
cd "$WORK"
make_dataset data 4 32 4  # 128 training images: 16 steps per epoch of 2 x 4
RUN=(--data_root data --devices 2 --epochs 2 --set model=resnet18 --set img_size=32
     --batch_size 4 --num_workers 1 --lr 0.1 --set dist_timeout=60 --set log_every_n_steps=1
     --set checkpoint_every_n_steps=4 --set checkpoint_every_minutes=0)
# The writer logs each write it makes (a test hook, pausing 1 ms): in the log of its rank.
export IMAGENET_TEST_CHECKPOINT_PAUSE_MS=1

run_expect 0 full.txt -- "$BIN" "${RUN[@]}" --output_dir full
expect_file full/checkpoints/last.ckpt

"$BIN" "${RUN[@]}" --output_dir part >part.txt 2>&1 &
launcher=$!
# The first periodic checkpoint (step 4 of 16 in epoch 0) renamed into place; the next is due
# 4 steps later, the epoch's end 12 steps later: the kill lands mid-epoch.
for ((i = 0; i < 2400; i++)); do
  [[ -f part/checkpoints/last.ckpt ]] && break
  kill -0 $launcher 2>/dev/null || break
  sleep 0.05
done
expect_file part/checkpoints/last.ckpt
workers=$(pgrep -P $launcher)
[[ $(wc -w <<<"$workers") -eq 2 ]] || fail "expected 2 workers under the launcher: $workers"
kill -STOP $launcher $workers
kill -KILL $workers $launcher
wait $launcher 2>/dev/null
for w in $workers; do
  for ((i = 0; i < 100; i++)); do kill -0 "$w" 2>/dev/null || break; sleep 0.05; done
done
grep -q "Epoch 1:" part.txt && fail "the run reached epoch 1 before the kill"

run_expect 0 resumed.txt -- "$BIN" --resume part
resumed=$(grep -oE 'resumed at epoch 0, batch [0-9]+' resumed.txt | grep -oE '[0-9]+$')
[[ -n $resumed ]] && (( resumed > 0 && resumed < 16 )) ||
  fail "expected a resume in the middle of epoch 0: $(grep -m1 resumed resumed.txt)"
expect_in_file resumed.txt "starting 2 workers"
ls part/checkpoints/*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls part/checkpoints)"

# Only rank 0 writes: the hook's line is in rank 0's logs (both attempts), never in rank 1's.
writes0=$(cat $(ls part/logs/train_*.log | grep -v _rank) | grep -c "checkpoint: about to write")
writes1=$(cat part/logs/train_*_rank1.log | grep -c "checkpoint: about to write")
(( writes0 >= 3 )) || fail "rank 0 logged $writes0 checkpoint writes"
(( writes1 == 0 )) || fail "rank 1 wrote $writes1 checkpoints"
[[ $(ls part/logs/train_*_rank1.log | wc -l) -eq 2 ]] || fail "expected a rank 1 log per attempt"

# Parameters and momentum follow all-reduced gradients: bit for bit. Each rank's running
# statistics are its own until an epoch's end averages them; a checkpoint holds their average,
# which both ranks resume from. Averaging is linear, so the end of the last epoch brings them
# to the same values up to rounding (1e-5), and with them the validation metrics.
same_weights full/checkpoints/last.ckpt part/checkpoints/last.ckpt 1e-5 >same.txt ||
  fail "the resumed run differs from the uninterrupted one: $(cat same.txt)"
/usr/bin/python3 - full/checkpoints/last.ckpt part/checkpoints/last.ckpt >metrics.txt <<'PY' ||
import sys, torch
a = torch.load(sys.argv[1])["metrics"]; b = torch.load(sys.argv[2])["metrics"]
bad = [k for k in a if k not in b or abs(a[k] - b[k]) > 1e-5 * max(1.0, abs(a[k]))]
print("metrics", a, b, "differ:", bad or "none")
sys.exit(1 if bad or not a else 0)
PY
  fail "final metrics differ: $(cat metrics.txt)"
finish
