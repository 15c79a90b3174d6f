# Training straight from S3 (data_root: s3://bucket/prefix) against a real S3 server (s3rver,
# own network namespace, behind the signature-checking proxy with 5 ms per request): one epoch
# from s3:// gives the same metrics.csv losses as the same run from the local folder (same
# seed: the same sample order and batches); a second run takes the listing from the index
# cache; connection resets are retried, counted in the epoch's read_retries, and change
# nothing; shards packed into the bucket (pack --dst s3://, streamed with ranged GETs) train as
# local shards do, and pack --src s3:// packs what a local folder gives; the
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

# Again, while every 4th image's connection is reset halfway: the index comes from the cache
# (no class listed), the resets are retried and counted, the losses are the same.
s3_env_faults "reset:match=.jpg:every=4" >/dev/null
run_expect 0 s3_again.txt -- timeout 300 "$BIN" --data_root s3://imagenet/ds --output_dir s3_again \
  --set index_cache_dir=s3/index_cache "${RUN[@]}"
s3_env_faults "" >/dev/null
expect_in_file s3_again.txt "0 class folders listed, 8 from the cache"
same_losses local s3_again "s3:// with connection resets"
resets=$(s3_env_stat fault.reset)
[[ $resets -gt 0 ]] || fail "the proxy reset no connection"
retried=$(/usr/bin/python3 -c "import csv; print(sum(int(float(r.get('train/read_retries') or 0)) for r in csv.DictReader(open('s3_again/metrics.csv'))))")
[[ $retried -gt 0 ]] || fail "metrics.csv counts no read retries ($resets resets)"
expect_in_file s3_again.txt "reads retried this epoch"

# Shards: packed locally, and packed into the bucket (pack --dst s3://), read from s3:// with
# ranged GETs; pack --src s3:// writes the same shards as from the local folder.
run_expect 0 pack.txt -- "$BIN" pack --src data --dst packed --shard_size 100KB
run_expect 0 pack_up.txt -- timeout 120 "$BIN" pack --src data --dst s3://imagenet/packed \
  --shard_size 100KB --staging stage_up
run_expect 0 pack_down.txt -- timeout 120 "$BIN" pack --src s3://imagenet/ds --dst packed_down \
  --shard_size 100KB --staging stage_down
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
