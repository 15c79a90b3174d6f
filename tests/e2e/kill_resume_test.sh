# Preemption without warning: a training run is killed with SIGKILL at many moments (some of
# them in the middle of a checkpoint write, held open by a test hook) and resumed each time with
# `--resume run` (the newest sound checkpoint of the folder). The final weights equal those of
# an uninterrupted run bit for bit, and no resume redoes more than a few steps.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 4 16 4
every=2
common=(--data_root data --epochs 4 "${TINY[@]}" --set log_every_n_steps=1
        --set checkpoint_every_n_steps=$every --set checkpoint_every_minutes=0)

run_expect 0 reference.txt -- "$BIN" --output_dir reference "${common[@]}"
expect_file reference/checkpoints/last.ckpt

# rows: lines of metrics.csv (one step row per step, log_every_n_steps=1; rows are appended).
inode() { stat -c %i run/checkpoints/last.ckpt 2>/dev/null || echo none; }
rows() { if [[ -f run/metrics.csv ]]; then wc -l <run/metrics.csv; else echo 1; fi; }
# reached FIRST_LINE: the highest step of the rows from line FIRST_LINE on (this attempt's).
reached() {
  /usr/bin/python3 -c '
import csv, sys
try:
    lines = open("run/metrics.csv").read().splitlines()
    rows = list(csv.DictReader([lines[0]] + lines[int(sys.argv[1]) - 1:]))
    print(max(int(r["step"]) for r in rows if r.get("step")))
except (FileNotFoundError, ValueError, IndexError):
    print(-1)' "$1"
}

# Kill after a random number of steps (1 to 5) of each attempt, at a random moment within the
# step; every third attempt instead while a checkpoint's temporary file is written but not yet
# renamed (the test hook holds it there). Steps, not seconds: the machine's speed varies.
RANDOM=15  # the same choices in every run of the test
kills=0 in_write=0 finished=0 worst=0 worst_in_write=0
for attempt in $(seq 1 60); do
  log=attempt_$attempt.txt
  hook=0
  (( attempt % 3 == 2 )) && hook=1500
  ls run/checkpoints/*.ckpt >/dev/null 2>&1 || rm -rf run  # killed before its first checkpoint
  first=$(( $(rows) + 1 ))
  old=$(inode)
  if [[ -d run ]]; then
    IMAGENET_TEST_CHECKPOINT_PAUSE_MS=$hook "$BIN" --resume run >"$log" 2>&1 &
  else
    IMAGENET_TEST_CHECKPOINT_PAUSE_MS=$hook "$BIN" --output_dir run "${common[@]}" >"$log" 2>&1 &
  fi
  pid=$!
  if (( hook > 0 )); then
    wait_for_text "$log" "not renamed yet, pausing" 300 || true
  else
    # ... but only once this attempt has written a checkpoint (renamed into place: a new
    # inode), so that every such attempt gets further, however slow the machine is.
    want=$(( 1 + RANDOM % 5 ))
    for ((i = 0; i < 3000; i++)); do
      (( $(rows) - first + 1 >= want )) && [[ $(inode) != "$old" ]] && break
      kill -0 $pid 2>/dev/null || break
      sleep 0.1
    done
    sleep "0.$((RANDOM % 10))"
  fi
  if ! kill -0 $pid 2>/dev/null; then
    wait $pid
    code=$?
    [[ $code -eq 0 ]] || { fail "attempt $attempt ended with $code"; sed 's/^/    /' "$log" | tail -15 >&2; }
    finished=1
    break
  fi
  kill -KILL $pid
  wait $pid 2>/dev/null
  kills=$((kills + 1))
  if (( hook > 0 )) && ls run/checkpoints/*.tmp.* >/dev/null 2>&1; then in_write=$((in_write + 1)); fi
  reached "$first" > before_$((attempt + 1))  # against the next attempt's resume point
done
[[ $finished == 1 ]] || fail "the run did not finish in 60 attempts"
(( kills >= 8 )) || fail "only $kills kills: the run finished too early to test much"
(( in_write >= 2 )) || fail "only $in_write kills landed inside a checkpoint write"

# Steps redone at each resume: the step reached before the kill minus the step resumed at.
for f in attempt_*.txt; do
  n=${f#attempt_}; n=${n%.txt}
  [[ -f before_$n ]] && (( $(cat before_$n) >= 0 )) || continue
  resumed=$(grep -oE 'resumed at epoch [0-9]+, batch [0-9]+, step [0-9]+' "$f" | grep -oE '[0-9]+$')
  [[ -n $resumed ]] || continue  # started fresh: killed before the first checkpoint
  redone=$(( $(cat before_$n) - resumed ))
  # A kill inside a held write (the attempt before had the hook) loses every step the run made
  # while the hook held the file for 1.5 s (the next checkpoints are skipped while one is being
  # written): how many depends on the machine's speed, so those are reported, not bounded.
  if (( (n - 1) % 3 == 2 )); then
    (( redone > worst_in_write )) && worst_in_write=$redone
  else
    (( redone > worst )) && worst=$redone
  fi
done
echo "kills: $kills ($in_write inside a checkpoint write), most steps redone: $worst" \
  "($worst_in_write after a kill inside a held write)"
(( worst <= 3 * every )) || fail "a resume redid $worst steps (checkpoint every $every)"
# No temporary file is left once the run has finished.
ls run/checkpoints/*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls run/checkpoints)"
same_weights reference/checkpoints/last.ckpt run/checkpoints/last.ckpt > weights.txt ||
  { fail "final weights differ from the uninterrupted run"; cat weights.txt >&2; }
finish
