# A user's LR finder session on small generated data, on the CPU: the sweep finishes, writes
# lr_find.csv and a PNG that decodes, suggests an LR inside the range, leaves the run's files
# alone; --update_config (through the imagenet_lrfind name) changes only the lr line of a copy
# of the config; a diverging sweep and bad flags exit non-zero and change nothing; the same
# over two processes.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 4 24 6  # 96 training images: 12 steps of 8 per epoch
LRFIND="$(dirname "$BIN")/imagenet_lrfind"
[[ -L $LRFIND ]] || fail "$LRFIND is not a link to the binary"

cat >run.yaml <<'YAML'
# A tiny run, with comments that must survive --update_config.
data_root: data
model: resnet18
img_size: 32
batch_size: 8              # per device
lr: 0.5                    # per 256 images; the LR finder updates this line
num_workers: 2
log_every_n_steps: 10
accelerator: cpu           # reproducible sweeps (cuDNN autotuning is not), also on a GPU machine
YAML

# A finished run in the output folder: its files must stay as they are, byte for byte.
run_expect 0 train.txt -- "$BIN" --config run.yaml --output_dir out --epochs 1
run_files() { (cd out && find . -path ./logs -prune -o -type f ! -name 'lr_find.*' -print | sort | xargs sha256sum); }
before=$(run_files)

# 1. The sweep: finishes, suggests, writes the CSV and the picture.
SWEEP=(--min_lr 1e-4 --max_lr 0.1 --num_training 30)
run_expect 0 find.txt -- "$BIN" lrfind --config run.yaml --output_dir out "${SWEEP[@]}"
expect_in_file find.txt "LR finder: 30 steps at lr 1e-04 to 0.1 (exponential"
expect_in_file find.txt "against the LR values (--slope lr"
effective=$(sed -n 's/.*suggested learning rate: \([0-9.e+-]*\) effective.*/\1/p' find.txt)
base=$(sed -n 's/.*= lr: \([0-9.e+-]*\) in the config.*/\1/p' find.txt)
[[ -n $effective && -n $base ]] || fail "no suggestion printed"
awk -v e="$effective" 'BEGIN { exit !(e >= 1e-4 && e <= 0.1) }' ||
  fail "suggestion $effective outside [1e-4, 0.1]"
# The config's lr is per 256 images: effective x 256 / 8.
awk -v e="$effective" -v b="$base" 'BEGIN { r = b / (e * 32); exit !(r > 0.995 && r < 1.005) }' ||
  fail "config lr $base is not $effective x 256 / 8"

expect_file out/lr_find.csv
[[ $(head -1 out/lr_find.csv) == "step,lr,loss,smoothed_loss" ]] || fail "CSV header: $(head -1 out/lr_find.csv)"
[[ $(wc -l <out/lr_find.csv) -eq 31 ]] || fail "CSV rows: $(wc -l <out/lr_find.csv)"
awk -F, 'NR > 1 && (NF != 4 || $1 != NR - 2) { bad = 1 } END { exit bad }' out/lr_find.csv ||
  fail "CSV rows are not step,lr,loss,smoothed_loss"
awk -F, 'NR == 2 { exit !($2 == 1e-4) }' out/lr_find.csv || fail "first lr is not min_lr"
awk -F, 'END { exit !($2 == 0.1) }' out/lr_find.csv || fail "last lr is not max_lr"
# The suggested step's row holds the suggested LR.
step=$(sed -n 's/.*step \([0-9]*\) of the sweep.*/\1/p' find.txt)
row_lr=$(awk -F, -v s="$step" 'NR > 1 && $1 == s { print $2 }' out/lr_find.csv)
[[ -n $step && $(printf '%.3g' "$row_lr") == "$effective" ]] ||
  fail "step $step of the CSV has lr $row_lr, not the suggested $effective"

# The PNG decodes to a picture with the curve (blue) and the suggestion (red) drawn.
expect_file out/lr_find.png
if /usr/bin/python3 -c 'import PIL' 2>/dev/null; then
  cat >png.py <<'PY'
import sys
from PIL import Image
img = Image.open(sys.argv[1])
img.load()
assert img.size == (1000, 640) and img.mode == "RGB", (img.size, img.mode)
pixels = list(img.getdata())
def near(c, t): return sum(abs(a - b) for a, b in zip(c, t)) < 30
blue = sum(near(p, (31, 119, 180)) for p in pixels)
red = sum(near(p, (214, 39, 40)) for p in pixels)
assert blue > 500 and red > 50, (blue, red)
print("decoded", img.size, "blue", blue, "red", red)
PY
  run_expect 0 png.txt -- /usr/bin/python3 png.py out/lr_find.png
  expect_in_file png.txt "decoded (1000, 640)"
else
  [[ $(head -c 8 out/lr_find.png | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] ||
    fail "lr_find.png is not a PNG"
fi
ls out/logs/lrfind_*.log >/dev/null 2>&1 || fail "no lrfind log"
[[ "$(run_files)" == "$before" ]] || fail "the run's files changed: $(diff <(echo "$before") <(run_files))"

# 2. --update_config, started as imagenet_lrfind, on a copy: only the lr line changes, with its
# comment, and to what the same sweep suggests (a CPU run is reproducible).
cp run.yaml copy.yaml
run_expect 0 update.txt -- "$LRFIND" --config copy.yaml --output_dir out2 "${SWEEP[@]}" --update_config
expect_in_file update.txt "suggested learning rate: $effective effective"
expect_in_file update.txt "updated copy.yaml:6"
[[ $(diff run.yaml copy.yaml | grep -c '^[<>]') -eq 2 ]] || fail "more than one line changed: $(diff run.yaml copy.yaml)"
new_line=$(sed -n 6p copy.yaml)
[[ $new_line == "lr: $base"*"# per 256 images; the LR finder updates this line" ]] ||
  fail "lr line: '$new_line'"
[[ $(sed -n 6p run.yaml | cut -d'#' -f1 | wc -c) -eq $(echo "$new_line" | cut -d'#' -f1 | wc -c) ]] ||
  fail "the comment moved: '$new_line'"
run_expect 0 config.txt -- "$BIN" config --config copy.yaml
expect_in_file config.txt "lr: $base"

# A config without lr gets one line at its end.
grep -v '^lr:' run.yaml >nolr.yaml
cp nolr.yaml nolr_before.yaml
run_expect 0 nolr.txt -- "$LRFIND" --config nolr.yaml --output_dir out2 "${SWEEP[@]}" --update_config
expect_in_file nolr.txt "did not set lr"
[[ $(diff nolr_before.yaml nolr.yaml | grep -c '^>') -eq 1 && $(diff nolr_before.yaml nolr.yaml | grep -c '^<') -eq 0 ]] ||
  fail "expected one added line: $(diff nolr_before.yaml nolr.yaml)"
tail -1 nolr.yaml | grep -q "^lr: $base  # LR finder's suggestion, per 256 images" ||
  fail "appended line: $(tail -1 nolr.yaml)"

# 3. A sweep into divergence stops early, says so, exits 1 and leaves the config alone.
cp run.yaml diverge.yaml
run_expect 1 diverge.txt -- "$LRFIND" --config diverge.yaml --output_dir out3 --min_lr 0.01 \
  --max_lr 10000 --num_training 40 --update_config
expect_in_file diverge.txt "The LR finder stopped early at step"
expect_in_file diverge.txt "the config is unchanged"
cmp -s run.yaml diverge.yaml || fail "the config changed after an early stop"
expect_file out3/lr_find.csv
rows=$(($(wc -l <out3/lr_find.csv) - 1))
[[ $rows -lt 40 ]] || fail "the diverging sweep ran all $rows steps"

# 4. Bad flags: exit 2 before anything runs.
run_expect 2 short.txt -- "$BIN" lrfind --config run.yaml --output_dir out4 --num_training 5
expect_in_file short.txt "--num_training 5 leaves no points for a suggestion"
run_expect 2 noconfig.txt -- "$BIN" lrfind --data_root data --update_config
expect_in_file noconfig.txt "--update_config needs the config file to change"
run_expect 2 range.txt -- "$BIN" lrfind --config run.yaml --min_lr 1 --max_lr 0.5
expect_in_file range.txt "--max_lr 0.5: must be greater than --min_lr 1"
run_expect 2 threshold.txt -- "$BIN" lrfind --config run.yaml --early_stop_threshold often
expect_in_file threshold.txt "--early_stop_threshold often: expected a number"
expect_no_file out4

# 5. Launched data-parallel (--devices 2, Gloo on the CPU): one console, rank 0 writes the
# outputs and edits the config once, rank 1 has its own log; a diverging sweep ends both ranks
# with the config untouched; SIGTERM stops both after the same step. Gloo is missing from a
# CUDA pip wheel's LibTorch: skipped there.
if ldd "$BIN" | grep -q libtorch_cuda; then
  echo "CUDA wheel build: no Gloo, the data-parallel sweeps are skipped"
  finish
  exit
fi
DDP=(--devices 2 --set dist_timeout=60)
cp run.yaml ddp.yaml
run_expect 0 ddp.txt -- "$LRFIND" --config ddp.yaml --output_dir out5 "${SWEEP[@]}" "${DDP[@]}" --update_config
expect_in_file ddp.txt "starting 2 workers on node 0 of 1"
expect_in_file ddp.txt "total batch 16 over 2 processes"
grep -q '\[rank 1\]' ddp.txt && fail "rank 1 wrote to the console"
[[ $(grep -c "suggested learning rate" ddp.txt) -eq 1 ]] || fail "the suggestion is not printed once"
effective=$(sed -n 's/.*suggested learning rate: \([0-9.e+-]*\) effective (the optimizer.s LR at total batch 16).*/\1/p' ddp.txt)
base=$(sed -n 's/.*= lr: \([0-9.e+-]*\) in the config (per 256 images; .* x 16 \/ 256).*/\1/p' ddp.txt)
[[ -n $effective && -n $base ]] || fail "no suggestion for total batch 16"
[[ $(diff run.yaml ddp.yaml | grep -c '^[<>]') -eq 2 ]] || fail "more than the lr line changed: $(diff run.yaml ddp.yaml)"
[[ $(sed -n 6p ddp.yaml) == "lr: $base"* ]] || fail "lr line: '$(sed -n 6p ddp.yaml)', expected lr: $base"
[[ $(wc -l <out5/lr_find.csv) -eq 31 ]] || fail "CSV rows: $(wc -l <out5/lr_find.csv)"
expect_file out5/lr_find.png
[[ $(ls out5/logs/lrfind_*.log | wc -l) -eq 2 ]] || fail "expected a log per rank: $(ls out5/logs)"
rank1_log=$(ls out5/logs/lrfind_*_rank1.log 2>/dev/null | head -1)
[[ -n $rank1_log ]] && expect_in_file "$rank1_log" "finished all 30 steps"

cp run.yaml ddp_div.yaml
run_expect 1 ddp_div.txt -- "$LRFIND" --config ddp_div.yaml --output_dir out6 --min_lr 0.01 \
  --max_lr 10000 --num_training 40 --update_config "${DDP[@]}"
expect_in_file ddp_div.txt "The LR finder stopped early at step"
expect_in_file ddp_div.txt "the LR finder failed: rank 0"
grep -q "stopping the other" ddp_div.txt && fail "rank 1 was stopped instead of ending with rank 0"
cmp -s run.yaml ddp_div.yaml || fail "the config changed after an early stop"

cp run.yaml ddp_sig.yaml
"$LRFIND" --config ddp_sig.yaml --output_dir out7 --min_lr 1e-5 --max_lr 1e-3 --num_training 100000 \
  --early_stop_threshold none --update_config --set log_every_n_steps=1 "${DDP[@]}" >ddp_sig.txt 2>&1 &
launcher=$!
wait_for_text ddp_sig.txt "LR finder: .*\| *[3-9][0-9]*/100000 " 120 || fail "the sweep never started"
kill -TERM "$launcher"
wait_exit "$launcher" 120
[[ $EXIT_CODE == 143 ]] || fail "SIGTERM should end the sweep with 143, got $EXIT_CODE"
expect_in_file ddp_sig.txt "by a signal; no suggestion, config unchanged"
cmp -s run.yaml ddp_sig.yaml || fail "the config changed after a signal"
steps0=$(sed -n 's/.*sweep: \([0-9]*\) steps.*/\1/p' $(ls out7/logs/lrfind_*.log | grep -v _rank))
steps1=$(sed -n 's/.*sweep: \([0-9]*\) steps.*/\1/p' out7/logs/lrfind_*_rank1.log)
[[ -n $steps0 && $steps0 == "$steps1" ]] || fail "the ranks stopped after different steps: '$steps0' and '$steps1'"
[[ $(($(wc -l <out7/lr_find.csv) - 1)) == "$steps0" ]] || fail "lr_find.csv does not hold the $steps0 steps"
finish
