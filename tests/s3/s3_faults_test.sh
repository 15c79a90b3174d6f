# The S3 client against a real S3 server (npm's s3rver, in this test's own network namespace)
# through s3_proxy, which checks every signature as S3 does and injects faults: 503 SlowDown
# for a while, connections reset mid-object, bodies cut short, stalls and a server that keeps
# failing are retried and counted, and the bytes are still right (MD5 against the ETag);
# missing objects are not retried; wrong credentials, a missing bucket and an unreachable
# endpoint are usage errors (exit 2) that name the bucket and the endpoint, within seconds.
#   bash tests/s3/s3_faults_test.sh IMAGENET_TRAIN WORKDIR S3_PROXY S3_TOOL
source "$(dirname "$0")/s3_env.sh"
s3_env_install || { echo "SKIP: s3rver or s3fs cannot be installed here"; exit 77; }
s3_env_enter_netns "$@"
source "$S3_ENV_DIR/../e2e/lib.sh"
BIN=$(realpath "$BIN")
S3_PROXY=$(realpath "${3:?s3_proxy}")
TOOL=$(realpath "${4:?s3_tool}")
cd "$WORK"
make_dataset data 4 16 4
s3_env_start "$WORK" 5 || exit 1
s3_env_load data ds >/dev/null
export S3_TOOL_STALL_TIMEOUT_S=1
getall() { timeout 90 "$TOOL" getall s3://imagenet/ds 16; }

# A clean read: 80 images and 11 folder markers, every byte checked. (Retry counts below are
# "N (kind N)".)
run_expect 0 clean.txt -- getall
expect_in_file clean.txt "objects=91 bytes="
expect_in_file clean.txt "md5_checked=91 wrong=0 missing=0 failed=0"
expect_in_file clean.txt "retries=0"

# 503 SlowDown for the next 25 requests of images: each is tried again, and counted.
s3_env_faults "slowdown:match=.jpg:count=25" >/dev/null
run_expect 0 slowdown.txt -- getall
expect_in_file slowdown.txt "wrong=0 missing=0 failed=0"
expect_in_file slowdown.txt "retries=25 (503 SlowDown 25)"
[[ $(s3_env_stat fault.slowdown) == 25 ]] || fail "the proxy sent $(s3_env_stat fault.slowdown) SlowDowns, not 25"

# A connection reset after half of every 7th image, then 6 bodies cut short (an orderly close
# before Content-Length), then 2 stalls: all retried, all bytes right.
s3_env_faults "reset:match=.jpg:every=7" >/dev/null
run_expect 0 reset.txt -- getall
expect_in_file reset.txt "md5_checked=91 wrong=0 missing=0 failed=0"
resets=$(s3_env_stat fault.reset)
expect_in_file reset.txt "retries=$resets (connection failed or reset $resets)"
s3_env_faults "truncate:match=.jpg:count=6" >/dev/null
run_expect 0 truncate.txt -- getall
expect_in_file truncate.txt "md5_checked=91 wrong=0 missing=0 failed=0"
expect_in_file truncate.txt "retries=6 (truncated body 6)"
s3_env_faults "stall:match=.jpg:count=2:seconds=3" >/dev/null
run_expect 0 stall.txt -- getall
expect_in_file stall.txt "wrong=0 missing=0 failed=0"
expect_in_file stall.txt "retries=2 (timeout 2)"

# An object read as a stream of ranged GETs (as shards are), 3 chunks in flight, with every
# other chunk's connection reset: whole, and its MD5 is its ETag.
key=ds/train/class_000/00003.jpg
etag=$("$TOOL" ls s3://imagenet/ds/train/class_000 | awk -v k=$key '$1 == k {print $3}')
s3_env_faults "reset:match=$key:every=2" >/dev/null
run_expect 0 stream.txt -- timeout 60 "$TOOL" stream "s3://imagenet/$key" 300 3
expect_in_file stream.txt "md5=$etag"
[[ $(s3_env_stat fault.reset) -gt $resets ]] || fail "no chunk of the stream was reset"
resets=$(s3_env_stat fault.reset)

# Missing objects (404 NoSuchKey) are reported and not retried; nothing else suffers.
s3_env_faults "missing:match=train/class_002/0000" >/dev/null
run_expect 1 missing.txt -- getall
expect_in_file missing.txt "missing=10 failed=0"
expect_in_file missing.txt "retries=0"
expect_in_file missing.txt "first problem: missing: s3://imagenet/ds/train/class_002/0000"

# A server that keeps failing: the object fails after 8 attempts, the others are read.
s3_env_faults "error500:match=train/class_003/00001.jpg" >/dev/null
run_expect 1 failing.txt -- getall
expect_in_file failing.txt "failed=1"
expect_in_file failing.txt "retries=7 (server error 7)"

# Nothing was cached wrong: with the faults gone, every object reads right again.
s3_env_faults "" >/dev/null
run_expect 0 after.txt -- getall
expect_in_file after.txt "md5_checked=91 wrong=0 missing=0 failed=0"

# Usage errors, at once and with what to fix. A wrong secret fails the signature check.
AWS_SECRET_ACCESS_KEY=not-the-secret-42 run_expect 2 secret.txt -- timeout 30 "$TOOL" check s3://imagenet/ds
expect_in_file secret.txt "SignatureDoesNotMatch"
expect_in_file secret.txt "bucket 'imagenet' at endpoint $AWS_ENDPOINT_URL (region us-east-1)"
expect_in_file secret.txt "The credentials came from the environment (AWS_ACCESS_KEY_ID)"
grep -q "not-the-secret-42" secret.txt && fail "the secret is in the error message"
AWS_ACCESS_KEY_ID=AKIAWRONG run_expect 2 key.txt -- timeout 30 "$TOOL" check s3://imagenet/ds
expect_in_file key.txt "InvalidAccessKeyId"
s3_env_faults "deny:count=1" >/dev/null
run_expect 2 deny.txt -- timeout 30 "$TOOL" check s3://imagenet/ds
expect_in_file deny.txt "SignatureDoesNotMatch"
run_expect 2 bucket.txt -- timeout 30 "$TOOL" check s3://no-such-bucket/ds
expect_in_file bucket.txt "the bucket 'no-such-bucket' does not exist at endpoint $AWS_ENDPOINT_URL"
AWS_ENDPOINT_URL=http://127.0.0.1:9 run_expect 2 unreachable.txt -- timeout 60 "$TOOL" check s3://imagenet/ds
expect_in_file unreachable.txt "cannot reach the S3 endpoint http://127.0.0.1:9 (region us-east-1) for bucket 'imagenet'"
expect_in_file unreachable.txt "(4 attempts over"

# Every request the proxy saw was signed right (s3_proxy checks as S3 does).
[[ $(s3_env_stat signature.SignatureDoesNotMatch) == 1 ]] ||
  fail "signature failures other than the wrong secret's: $(s3_env_stats)"
s3_env_stats | sed 's/^/proxy: /'
finish
