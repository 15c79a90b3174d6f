# Training straight from S3 (data_root: s3://bucket/prefix) against a real S3 server (s3rver,
# own network namespace, behind the signature-checking proxy with 5 ms per request): one epoch
# from s3:// gives the same metrics.csv losses as the same run from the local folder (same
# seed: the same sample order and batches); a second run takes the listing from the index
# cache; 503 SlowDown, truncated bodies and connection resets are retried, counted in the
# epoch's read_retries, and change nothing; an object deleted after the listing is a bad image
# (replaced, counted, named), not a crash; shards packed into the bucket (pack --dst s3://, streamed with ranged GETs) train as
# local shards do, and pack --src s3:// packs what a local folder gives (its endpoint from
# --s3_endpoint); validate on s3:// gives what it gives on the local folder, and predict on
# s3:// objects what it gives on the files; the
# credentials (a session token here) appear in no log, config or checkpoint.
#   bash tests/s3/s3_train_test.sh IMAGENET_TRAIN WORKDIR S3_PROXY S3_TOOL
source "$(dirname "$0")/s3_env.sh"
s3_env_install || { echo "SKIP: s3rver or s3fs cannot be installed here"; exit 77; }
s3_env_enter_netns "$@"
source "$S3_ENV_DIR/../e2e/lib.sh"
BIN=$(realpath "$BIN")
S3_PROXY=$(realpath "${3:?s3_proxy}")
cd "$WORK"
make_dataset data 4 12 2
s3_env_start "$WORK" 5 || exit 1
s3_env_load data ds >/dev/null
S3_ENDPOINT=$AWS_ENDPOINT_URL  # the proxy; for the runs given it by a flag or key
export AWS_SESSION_TOKEN=session-token-that-must-not-leak-3f9a
RUN=(--epochs 1 --set seed=7 "${TINY[@]}" --set io_threads=4)

# The losses and accuracies of metrics.csv (time and throughput columns differ between runs).
losses() {
  /usr/bin/python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
keys = [k for k in rows[0] if "loss" in k or "acc" in k]
for row in rows:
    print(" ".join(f"{k}={row[k]}" for k in keys))
PY
}
same_losses() {  # RUN_A RUN_B WHAT
  losses "$1/metrics.csv" >"$1.losses" && losses "$2/metrics.csv" >"$2.losses" ||
    { fail "$3: no metrics.csv"; return; }
  [[ -s $1.losses ]] || fail "$3: no losses in $1/metrics.csv"
  diff "$1.losses" "$2.losses" >/dev/null || { fail "$3: the losses differ"; diff "$1.losses" "$2.losses" | head -5 >&2; }
}

run_expect 0 local.txt -- timeout 300 "$BIN" --data_root data --output_dir local "${RUN[@]}"
run_expect 0 s3.txt -- timeout 300 "$BIN" --data_root s3://imagenet/ds --output_dir s3 "${RUN[@]}"
same_losses local s3 "s3:// against the local folder"
expect_in_file s3.txt "data: s3://imagenet/ds: 4 classes, 48 training and 8 validation images"
expect_in_file s3.txt "8 class folders listed, 0 from the cache"

# Again, through every transient fault of S3 on the training images: 503 SlowDown for the
# first 8 requests, then 4 bodies cut short (an orderly close before Content-Length), then a
# connection reset halfway through every 4th. The index comes from the cache (no class listed),
# every fault is retried and counted once in metrics.csv and the log, and the losses are the
# same. (Validation images get no faults: their retries are not train/read_retries.)
faults_before=$(($(s3_env_stat fault.slowdown) + $(s3_env_stat fault.truncate) + $(s3_env_stat fault.reset)))
s3_env_faults "slowdown:match=ds/train/:count=8;truncate:match=ds/train/:count=4;reset:match=ds/train/:every=4" >/dev/null
run_expect 0 s3_again.txt -- timeout 300 "$BIN" --data_root s3://imagenet/ds --output_dir s3_again \
  --set index_cache_dir=s3/index_cache "${RUN[@]}"
s3_env_faults "" >/dev/null
expect_in_file s3_again.txt "0 class folders listed, 8 from the cache"
same_losses local s3_again "s3:// through 503 SlowDown, truncated bodies and connection resets"
for kind in slowdown truncate reset; do
  [[ $(s3_env_stat fault.$kind) -gt 0 ]] || fail "the proxy injected no $kind fault"
done
faults=$(($(s3_env_stat fault.slowdown) + $(s3_env_stat fault.truncate) + $(s3_env_stat fault.reset) - faults_before))
retried=$(/usr/bin/python3 -c "import csv; print(sum(int(float(r.get('train/read_retries') or 0)) for r in csv.DictReader(open('s3_again/metrics.csv'))))")
[[ $retried == "$faults" ]] || fail "metrics.csv counts $retried read retries, the proxy injected $faults faults"
expect_in_file s3_again.txt "0 unreadable images were skipped (replaced) and $faults reads retried this epoch"

# An object deleted from the bucket after it was listed (the index from the cache still names
# it): a bad image as on a disk, replaced and counted (within max_bad_samples_fraction), named
# with the hint to --rescan, not retried; the run finishes.
gone=$(ls data/train/class_001 | head -1)
mkdir -p deleted
mv "$WORK/s3rver/imagenet/ds/train/class_001/$gone"._S3rver_* deleted/
run_expect 0 s3_gone.txt -- timeout 300 "$BIN" --data_root s3://imagenet/ds --output_dir s3_gone \
  --set index_cache_dir=s3/index_cache --set max_bad_samples_fraction=0.05 "${RUN[@]}"
mv deleted/* "$WORK/s3rver/imagenet/ds/train/class_001/"
expect_in_file s3_gone.txt "skipping unreadable image s3://imagenet/ds/train/class_001/$gone: not in the bucket (changed since it was listed? run with --rescan) after 1 attempts"
expect_in_file s3_gone.txt "1 unreadable images were skipped (replaced) and 0 reads retried this epoch"
bad=$(/usr/bin/python3 -c "import csv; print(sum(int(float(r.get('train/bad_samples') or 0)) for r in csv.DictReader(open('s3_gone/metrics.csv'))))")
[[ $bad == 1 ]] || fail "metrics.csv counts $bad bad samples, not the 1 deleted object"

# validate and predict read s3:// as training does. The local run's checkpoint validated on the
# bucket gives what it gives on the local folder; predict on s3:// objects (a prefix, one key,
# one that names nothing; 3 images a batch, so several batches of GETs) writes the rows of the
# same local files. predict takes its endpoint from the s3_endpoint key here.
ckpt=local/checkpoints/last.ckpt
run_expect 0 val_local.txt -- timeout 120 "$BIN" validate --checkpoint $ckpt --json val_local.json
run_expect 0 val_s3.txt -- timeout 120 "$BIN" validate --checkpoint $ckpt --json val_s3.json \
  --data_root s3://imagenet/ds
/usr/bin/python3 - val_local.json val_s3.json <<'PY' || fail "validate on s3:// differs from the local folder"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
keys = ["images", "classes", "val/loss", "val/acc1", "val/acc5"]
if b["data"] != "s3://imagenet/ds/val" or any(a[k] != b[k] for k in keys):
    sys.exit(f"{a} against {b}")
PY
one=$(ls data/train/class_002 | head -1)
run_expect 0 pred_local.txt -- timeout 120 "$BIN" predict --checkpoint $ckpt -o pred_local.csv \
  --predict_batch 3 data/val data/train/class_002/$one data/nothing
AWS_ENDPOINT_URL=http://127.0.0.1:9 run_expect 0 pred_s3.txt -- timeout 120 "$BIN" predict \
  --checkpoint $ckpt --set s3_endpoint="$S3_ENDPOINT" -o pred_s3.csv --predict_batch 3 \
  s3://imagenet/ds/val s3://imagenet/ds/train/class_002/$one s3://imagenet/ds/nothing
expect_in_file pred_s3.txt "9 images classified, 1 not"
[[ $(wc -l <pred_s3.csv) == 11 ]] || fail "pred_s3.csv has $(wc -l <pred_s3.csv) lines, not 11"
sed 's#^s3://imagenet/ds/#data/#' pred_s3.csv | diff - pred_local.csv >/dev/null ||
  fail "predict on s3:// differs from the local files: $(sed 's#^s3://imagenet/ds/#data/#' pred_s3.csv | diff - pred_local.csv | head -4)"

# Shards: packed locally, and packed into the bucket (pack --dst s3://), read from s3:// with
# ranged GETs; pack --src s3:// writes the same shards as from the local folder.
run_expect 0 pack.txt -- "$BIN" pack --src data --dst packed --shard_size 100KB
run_expect 0 pack_up.txt -- timeout 120 "$BIN" pack --src data --dst s3://imagenet/packed \
  --shard_size 100KB --staging stage_up
# (--s3_endpoint instead of AWS_ENDPOINT_URL, which points nowhere for this one.)
AWS_ENDPOINT_URL=http://127.0.0.1:9 run_expect 0 pack_down.txt -- timeout 120 "$BIN" pack \
  --src s3://imagenet/ds --dst packed_down --shard_size 100KB --staging stage_down \
  --s3_endpoint "$S3_ENDPOINT"
diff -r packed packed_down >/dev/null || fail "pack --src s3:// wrote other shards"
run_expect 0 shards_local.txt -- timeout 300 "$BIN" --data_root packed --output_dir shards_local \
  --set data_format=shards "${RUN[@]}"
run_expect 0 shards_s3.txt -- timeout 300 "$BIN" --data_root s3://imagenet/packed \
  --output_dir shards_s3 --set data_format=shards "${RUN[@]}"
same_losses shards_local shards_s3 "s3:// shards against local shards"

# No credential anywhere we wrote.
for secret in "$AWS_SESSION_TOKEN" "$AWS_SECRET_ACCESS_KEY"; do
  if grep -rlF -- "$secret" s3 s3_again shards_s3 *.txt 2>/dev/null | grep -q .; then
    fail "a credential was written: $(grep -rlF -- "$secret" s3 s3_again shards_s3 *.txt | head -3)"
  fi
done

[[ $(s3_env_stat signature.SignatureDoesNotMatch) == 0 ]] ||
  fail "signature failures: $(s3_env_stats)"
finish
