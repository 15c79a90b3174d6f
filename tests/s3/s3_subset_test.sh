# `imagenet_train subset` with S3 ends, against a real S3 server (s3rver, own network
# namespace, behind the signature-checking proxy), and the same bucket through an s3fs mount:
# S3 -> local under connection resets (bytes identical, resets counted), resumed (nothing
# copied again; the endpoint given by --s3_endpoint), local -> S3 (MD5 ETags, folder markers
# that s3fs shows as folders), an object whose bytes no longer match its ETag (an error naming
# it, nothing written for it), wrong credentials (exit 2), and the mount path: subset and
# bench-data read the mounted bucket.
#   bash tests/s3/s3_subset_test.sh IMAGENET_TRAIN WORKDIR S3_PROXY S3_TOOL
source "$(dirname "$0")/s3_env.sh"
s3_env_install || { echo "SKIP: s3rver or s3fs cannot be installed here"; exit 77; }
s3_env_enter_netns "$@"
source "$S3_ENV_DIR/../e2e/lib.sh"
BIN=$(realpath "$BIN")
S3_PROXY=$(realpath "${3:?s3_proxy}")
TOOL=$(realpath "${4:?s3_tool}")
cd "$WORK"
make_dataset data 6 10 3
s3_env_start "$WORK" 5 || exit 1
s3_env_load data ds >/dev/null
S3_ENDPOINT=$AWS_ENDPOINT_URL  # the proxy; for the runs given it by a flag or key
SUBSET=("$BIN" subset --num_classes 3 --subset_seed 42 --threads 16)

# S3 -> local while every 5th image's connection is reset halfway.
s3_env_faults "reset:match=.jpg:every=5" >/dev/null
run_expect 0 down.txt -- timeout 120 "${SUBSET[@]}" --src s3://imagenet/ds --dst local
s3_env_faults "" >/dev/null
expect_in_file down.txt "3 classes, 39 files in local: 39 copied"
resets=$(s3_env_stat fault.reset)
expect_in_file down.txt "$resets retries (connection failed or reset $resets)"
expect_in_file down.txt "39 files checked against their MD5 ETag"
# The same classes as a local subset, byte for byte.
run_expect 0 local_subset.txt -- "${SUBSET[@]}" --src data --dst reference
diff -r reference local >/dev/null || fail "the copy from S3 differs from the local subset"

# Resumed: everything is there already. (The endpoint from --s3_endpoint this time; the
# environment's points nowhere.)
AWS_ENDPOINT_URL=http://127.0.0.1:9 run_expect 0 again.txt -- timeout 60 "${SUBSET[@]}" \
  --src s3://imagenet/ds --dst local --s3_endpoint "$S3_ENDPOINT"
expect_in_file again.txt "0 copied (0 B), 39 already there"

# local -> S3, then S3 -> S3; each object's ETag is the MD5 of what was sent.
run_expect 0 up.txt -- timeout 120 "${SUBSET[@]}" --src data --dst s3://imagenet/copy
expect_in_file up.txt "39 copied"
expect_in_file up.txt "39 files checked against their MD5 ETag"
run_expect 0 up_again.txt -- timeout 60 "${SUBSET[@]}" --src data --dst s3://imagenet/copy
expect_in_file up_again.txt "0 copied (0 B), 39 already there"
run_expect 0 s3s3.txt -- timeout 120 "${SUBSET[@]}" --src s3://imagenet/copy --dst s3://imagenet/copy2
expect_in_file s3s3.txt "39 copied"
run_expect 0 read_back.txt -- timeout 60 "$TOOL" getall s3://imagenet/copy2
expect_in_file read_back.txt "wrong=0 missing=0 failed=0"

# An object whose bytes changed behind its ETag (bit rot, a broken proxy): named, not kept.
victim=$(ls "$WORK/s3rver/imagenet/ds/train/class_000/" | grep '_object$' | head -1)
printf 'garbage' >"$WORK/s3rver/imagenet/ds/train/class_000/$victim"
run_expect 1 corrupt.txt -- timeout 60 "${SUBSET[@]}" --src s3://imagenet/ds --dst corrupt
expect_in_file corrupt.txt "s3://imagenet/ds/train/class_000/"
expect_in_file corrupt.txt "the bytes read do not have the MD5 of its ETag"
expect_no_file "corrupt/train/class_000/${victim%._S3rver_object}"

# Wrong credentials stop before anything is listed or written.
AWS_SECRET_ACCESS_KEY=wrong run_expect 2 creds.txt -- timeout 60 "${SUBSET[@]}" --src s3://imagenet/ds --dst nothing
expect_in_file creds.txt "SignatureDoesNotMatch"
expect_in_file creds.txt "bucket 'imagenet' at endpoint $AWS_ENDPOINT_URL"
expect_no_file nothing

# The mount: s3fs shows the markers subset wrote as folders, and our reads of it work.
s3_env_mount "$WORK/mnt" || fail "s3fs did not mount the bucket"
[[ -d $WORK/mnt/copy/train && -d $WORK/mnt/copy/val ]] || fail "the copy's folders are not folders on s3fs"
[[ $(ls "$WORK/mnt/copy/train" | wc -l) == 3 ]] || fail "s3fs shows $(ls "$WORK/mnt/copy/train" | wc -l) classes, not 3"
run_expect 0 mount_subset.txt -- timeout 120 "${SUBSET[@]}" --src "$WORK/mnt/copy" --dst from_mount
diff -r reference from_mount >/dev/null || fail "the copy through s3fs differs"
run_expect 0 mount_bench.txt -- timeout 120 "$BIN" bench-data --data_root "$WORK/mnt/copy" \
  --output_dir out --num_workers 2 --batch_size 8 --set img_size=32 --batches 3 --warmup 1 \
  --set num_classes=0 --set io_threads=8
expect_in_file mount_bench.txt "bench-data: split=train images=24"

[[ $(s3_env_stat signature.SignatureDoesNotMatch) == 1 ]] ||
  fail "signature failures besides the wrong secret's: $(s3_env_stats)"
finish
