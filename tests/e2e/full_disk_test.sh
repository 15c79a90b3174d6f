# A run whose disk fills up: its output folder on a small tmpfs (in a private mount namespace,
# gone when the test ends). (1) Too little space for the next checkpoint: the free-space check
# stops the run before writing. (2) The disk filled while a checkpoint is being written: the
# write fails with ENOSPC. Either way: a clear message and exit 1, the last good last.ckpt
# loads and resumes elsewhere, metrics.csv parses with every earlier row.
source "$(dirname "$0")/lib.sh"
if ! unshare -m --propagation private true 2>/dev/null; then
  echo "skipped: needs a mount namespace (unshare -m) for a tmpfs"
  exit 77
fi
cd "$WORK"
make_dataset data 4 16 4
common=(--data_root data --epochs 2 "${TINY[@]}" --set log_every_n_steps=1
        --set checkpoint_every_n_steps=2 --set checkpoint_every_minutes=0)

# in_tmpfs SIZE DIR COMMAND...: runs COMMAND with a fresh tmpfs of SIZE mounted on DIR, then
# copies what it left (but the ballast) to DIR.saved, since the tmpfs goes with the namespace.
in_tmpfs() {
  local size=$1 dir=$2
  shift 2
  mkdir -p "$dir" "$dir.saved"
  unshare -m --propagation private bash -c '
    size=$1 dir=$2
    shift 2
    mount -t tmpfs -o size="$size" tmpfs "$dir" || exit 99
    "$@"
    code=$?
    rm -f "$dir/ballast"
    cp -a "$dir"/. "$dir.saved"/
    exit $code' in_tmpfs "$size" "$dir" "$@"
}

# A resnet18 checkpoint (weights and momentum) is about 90 MB.
# 1. 150 MB: the first checkpoint fits, the second one (written beside it) does not.
in_tmpfs 150m small "$BIN" --output_dir small "${common[@]}" > small.txt 2>&1
code=$?
[[ $code -eq 1 ]] || fail "a full disk should end the run with 1, got $code"
expect_in_file small.txt "not enough space to write small/checkpoints/last.ckpt: the checkpoint needs"
expect_in_file small.txt "the previous small/checkpoints/last.ckpt is intact"

# 2. 250 MB, and the rest filled while the second checkpoint is held open before its write.
fill_when_paused() {
  for _ in $(seq 1 600); do
    if [[ $(grep -c "about to write filled/checkpoints/last.ckpt, pausing" filled.txt 2>/dev/null) -ge 2 ]]; then
      dd if=/dev/zero of=filled/ballast bs=1M 2>/dev/null
      return
    fi
    sleep 0.1
  done
}
export -f fill_when_paused
IMAGENET_TEST_CHECKPOINT_PAUSE_MS=1500 in_tmpfs 250m filled bash -c \
  '"$0" "$@" > filled.txt 2>&1 & fill_when_paused; wait $!' "$BIN" --output_dir filled "${common[@]}"
code=$?
[[ $code -eq 1 ]] || fail "ENOSPC during a checkpoint write should end the run with 1, got $code"
grep -qE "error: cannot write filled/checkpoints/last.ckpt.tmp.[0-9]+: No space left on device" filled.txt ||
  fail "no ENOSPC message naming the checkpoint: $(tail -3 filled.txt)"
expect_in_file filled.txt "filled/checkpoints/last.ckpt"

# What each run left (copied out of its tmpfs): a sound last.ckpt that resumes, whole rows.
for run in small filled; do
  ls $run.saved/checkpoints/*.tmp.* >/dev/null 2>&1 && fail "$run: a temporary file was left"
  /usr/bin/python3 - $run.saved/metrics.csv <<'PY' || fail "$run: metrics.csv does not parse"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert rows and all(len(r) == len(rows[0]) and None not in r.values() for r in rows), rows[-1:]
print(len(rows), "rows")
PY
  rm -rf $run.resumed && cp -r $run.saved $run.resumed
  run_expect 0 $run.resume.txt -- "$BIN" --resume $run.resumed/checkpoints/last.ckpt
  expect_in_file $run.resume.txt "resumed at epoch"
done
finish
