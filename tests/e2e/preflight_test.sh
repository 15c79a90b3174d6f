# `imagenet_train preflight` on generated data: a healthy config passes and writes nothing but
# preflight.json; files behind a slow mount (the read-latency hook) with no I/O threads fail the
# data and pipeline checks with the advice; a read-only or full checkpoint folder fails storage; a config
# error exits 2; two ranks with different data fail the index check; `--devices 2` passes with
# an all-reduce measured; an unreachable MASTER_ADDR fails within dist_timeout, naming it.
# ctest: run_serial
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 4 16 4
QUICK=(--steps 2 --sample_files 16 --loader_batches 4)
FLAGS=(--data_root data "${TINY[@]}" "${QUICK[@]}")

# status_of REPORT CHECK: the status of one check in a preflight.json.
status_of() {
  /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(next(c["status"] for c in r["checks"] if c["name"] == sys.argv[2]))' "$1" "$2" 2>/dev/null
}
expect_status() {
  local got
  got=$(status_of "$1" "$2")
  [[ $got == "$3" ]] || fail "$1: check $2 is '$got', expected '$3'"
}

# 1. Healthy: every check passes (or is skipped), only the report is written.
run_expect 0 healthy.txt -- "$BIN" preflight "${FLAGS[@]}" --output_dir healthy
expect_in_file healthy.txt "7 checks, 0 failed"
expect_in_file healthy.txt "lr_at_epoch_0 0.00625"  # 0.2 x 8 / 256
[[ $(cd healthy && find . -mindepth 1) == "./preflight.json" ]] ||
  fail "preflight wrote more than its report: $(cd healthy && find . -mindepth 1 | tr '\n' ' ')"
for check in config data step pipeline storage monitoring; do
  expect_status healthy/preflight.json $check pass
done
expect_status healthy/preflight.json multi-process skip

# 2. 4 s per file open and no I/O threads: one worker reads 0.25 files/s, far below the step,
# which fails the data check and the pipeline, with the advice
# (a ResNet-18 step on 2 images of 32 pixels: 10 ms on an idle core, seconds on a busy one).
run_expect 1 slow.txt -- env IMAGENET_INJECT_READ_LATENCY_MS=4000 "$BIN" preflight \
  --data_root data --set model=resnet18 --set img_size=32 --lr 0.2 --steps 2 --batch_size 2 \
  --num_workers 1 --set io_threads=0 --sample_files 1 --loader_batches 1 --output_dir slow
expect_status slow/preflight.json pipeline fail
expect_status slow/preflight.json data fail
expect_in_file slow.txt "data will starve the GPU by"
expect_in_file slow.txt "raise io_threads to"
expect_in_file slow/preflight.json "\"injected_latency_ms\": 4000"

# 3. The checkpoint folder read-only (a read-only bind mount as root, else chmod), then full
# (a 1 MB tmpfs, root only): storage fails.
mkdir -p ro/checkpoints full/checkpoints
if [[ $(id -u) -ne 0 ]]; then
  chmod 555 ro/checkpoints
  run_expect 1 ro.txt -- "$BIN" preflight "${FLAGS[@]}" --output_dir ro
  chmod 755 ro/checkpoints
  expect_status ro/preflight.json storage fail
  echo "not root: the full-disk case is skipped"
elif unshare -m true 2>/dev/null; then
  run_expect 1 ro.txt -- unshare -m sh -c 'mount --bind ro/checkpoints ro/checkpoints &&
    mount -o remount,ro,bind ro/checkpoints && exec "$@"' sh "$BIN" preflight "${FLAGS[@]}" \
    --output_dir ro
  expect_status ro/preflight.json storage fail
  expect_in_file ro.txt "is not writable (Read-only file system)"
  run_expect 1 full.txt -- unshare -m sh -c 'mount -t tmpfs -o size=1m tmpfs full/checkpoints &&
    exec "$@"' sh "$BIN" preflight "${FLAGS[@]}" --output_dir full
  expect_status full/preflight.json storage fail
  expect_in_file full.txt "not enough space"
else
  echo "root without mount namespaces: the read-only and full cases are skipped"
fi
expect_no_file ro/checkpoints/last.ckpt

# 4. A config error: exit code 2, no report.
run_expect 2 bad.txt -- "$BIN" preflight "${FLAGS[@]}" --set no_such_key=1 --output_dir bad
expect_no_file bad/preflight.json

# Several processes on the CPU talk through Gloo, which CUDA pip wheels leave out.
if ldd "$BIN" | grep -q libtorch_cuda; then
  echo "CUDA wheel build: no Gloo, the multi-process cases are skipped"
  finish
fi

# 5. Two nodes started by hand, each in its own folder with its own `data`: node 1's copy has
# fewer images. Same config text, other dataset index: the index check fails on both.
mkdir -p node0 node1
(cd node0 && make_dataset data 4 16 4)
(cd node1 && make_dataset data 4 12 4)
port=$(free_port)
for node in 0 1; do
  (cd node$node && MASTER_ADDR=127.0.0.1 MASTER_PORT=$port NODE_RANK=$node \
    exec "$BIN" preflight "${FLAGS[@]}" --num_nodes 2 --set dist_timeout=120 --output_dir out \
    >../node$node.txt 2>&1) &
  pids[node]=$!
done
for node in 0 1; do
  wait_exit "${pids[node]}" 300
  [[ $EXIT_CODE == 1 ]] || fail "node $node should exit 1 (index differs), got $EXIT_CODE"
done
expect_status node0/out/preflight.json multi-process fail
expect_in_file node0.txt "rank(s) 1 see another dataset index than rank 0"
expect_no_file node1/out/preflight.json  # only rank 0 writes the report
expect_in_file node1.txt "[rank 1]"

# 6. `--devices 2` on the same data: passes, with the gradient all-reduce measured.
run_expect 0 devices.txt -- "$BIN" preflight "${FLAGS[@]}" --devices 2 --output_dir devices
expect_status devices/preflight.json multi-process pass
expect_in_file devices.txt "bus_gb_per_sec"
expect_in_file devices.txt "2 ranks met in"

# 7. MASTER_ADDR that cannot be reached (TEST-NET-1 is never routed): fails after dist_timeout.
run_expect 1 unreachable.txt -- env MASTER_ADDR=192.0.2.1 MASTER_PORT=29555 NODE_RANK=1 \
  "$BIN" preflight "${FLAGS[@]}" --num_nodes 2 --set dist_timeout=3 --output_dir unreachable
expect_in_file unreachable.txt "multi-process failed"
expect_in_file unreachable.txt "192.0.2.1:29555"
finish
