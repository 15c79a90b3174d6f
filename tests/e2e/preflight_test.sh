# `imagenet_train preflight` on generated data: a healthy config passes and writes nothing but
# preflight.json; files behind a slow mount (the read-latency hook) with no I/O threads fail the
# data and pipeline checks against a given step rate, with the advice; two ranks report each
# one's checkpoint space; a read-only or full checkpoint folder fails storage; a config
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

# 2. 1 s per file open and no I/O threads: one worker reads at most 1 file/s, the bound the
# report must show. The pipeline holds it to --step_rate 50 img/s rather than to the step
# measured here (which on a loaded 2-core machine takes seconds and may be slower than the
# data): the data and pipeline checks fail, with the advice, however busy the machine is.
run_expect 1 slow.txt -- env IMAGENET_INJECT_READ_LATENCY_MS=1000 "$BIN" preflight \
  --data_root data --set model=resnet18 --set img_size=32 --lr 0.2 --steps 2 --batch_size 2 \
  --num_workers 1 --set io_threads=0 --sample_files 1 --loader_batches 1 --step_rate 50 \
  --output_dir slow
expect_status slow/preflight.json pipeline fail
expect_status slow/preflight.json data fail
expect_status slow/preflight.json step pass  # still measured, on its own
expect_in_file slow.txt "data will starve the GPU by"
# 50 img/s x 1 s (or a little more) per open, +25%.
threads=$(grep -oP 'raise io_threads to \K[0-9]+' slow.txt | head -1)
((${threads:-0} >= 63 && ${threads:-0} <= 80)) || fail "advice: io_threads ${threads:-none}, expected 63"
expect_in_file slow/preflight.json "\"injected_latency_ms\": 1000"
/usr/bin/python3 - slow/preflight.json <<'PY' || fail "the pipeline's rates are not the latency's"
import json, sys
m = next(c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "pipeline")["measured"]
assert 0 < m["data_img_per_sec_per_rank"] <= 1.0, m  # one read in flight at 1 s each
assert m["step_img_per_sec_per_rank"] == 50 and m["step_rate_from"] == "--step_rate", m
PY

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
# fewer images. Same config text, other dataset index: the index check fails on both. Node 1's
# checkpoint folder holds a run already: rank 0's storage check fails, naming rank 1.
mkdir -p node0 node1/out/checkpoints
touch node1/out/checkpoints/last.ckpt
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
expect_status node0/out/preflight.json storage fail
expect_in_file node0/out/preflight.json "the checkpoint folder of rank(s) 1 failed"
expect_in_file node0/out/preflight.json '"storage_rank_0": "pass"'
expect_in_file node0/out/preflight.json '"storage_rank_1": "FAIL"'
expect_in_file node1.txt "last.ckpt exists"
expect_no_file node1/out/preflight.json  # only rank 0 writes the report
expect_in_file node1.txt "[rank 1]"

# 6. `--devices 2` on the same data: passes, with the gradient all-reduce measured.
run_expect 0 devices.txt -- "$BIN" preflight "${FLAGS[@]}" --devices 2 --output_dir devices
expect_status devices/preflight.json multi-process pass
expect_in_file devices.txt "bus_gb_per_sec"
expect_in_file devices.txt "2 ranks met in"
# Every rank's free space where it writes checkpoints, in rank 0's table and report.
expect_status devices/preflight.json storage pass
expect_in_file devices/preflight.json "Free where each rank writes checkpoints: rank 0"
/usr/bin/python3 - devices/preflight.json <<'PY' || fail "no free space of rank 1 in the report"
import json, sys
m = next(c for c in json.load(open(sys.argv[1]))["checks"] if c["name"] == "storage")["measured"]
assert m["free_bytes_rank_1"] > 0 and m["storage_rank_1"] == "pass", m
PY

# 7. MASTER_ADDR that cannot be reached (TEST-NET-1 is never routed): the rendezvous gives up
# within dist_timeout (10 s, 2 s late at most), naming the address; the whole command ends
# within dist_timeout and a margin for its other checks on a loaded machine.
start=$(date +%s)
run_expect 1 unreachable.txt -- env MASTER_ADDR=192.0.2.1 MASTER_PORT=29555 NODE_RANK=1 \
  "$BIN" preflight "${FLAGS[@]}" --num_nodes 2 --set dist_timeout=10 --output_dir unreachable
elapsed=$(($(date +%s) - start))
expect_in_file unreachable.txt "multi-process failed"
expect_in_file unreachable.txt "192.0.2.1:29555"
expect_in_file unreachable.txt "(dist_timeout 10 s)"
waited=$(grep -oP 'no rendezvous after \K[0-9.]+' unreachable.txt | head -1)
# (c10d's connect loop gives up a little before its 10 s: 9.0 to 9.2 s measured.)
/usr/bin/python3 -c 'import sys; w = float(sys.argv[1]); sys.exit(not 5 <= w <= 12)' \
  "${waited:-nan}" || fail "the rendezvous gave up after ${waited:-?} s, not dist_timeout 10 s"
# The whole command: the rendezvous plus the other checks, which on this loaded 2-core VM can
# take 7 s per training step (14.5 s measured in all at load average 11).
((elapsed <= 90)) || fail "preflight took $elapsed s to fail an unreachable MASTER_ADDR (dist_timeout 10)"
finish
