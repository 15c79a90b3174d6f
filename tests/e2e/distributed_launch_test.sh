# Each way of starting a data-parallel run, on this machine with Gloo: the seeds' variables on
# each "node" (two commands), torchrun-style variables by hand, torchrun itself, and settings
# that disagree. Then a 2-process run stopped by SIGTERM mid-epoch and resumed ends with the
# same weights as one that ran through.
source "$(dirname "$0")/lib.sh"
# Several processes on the CPU talk through Gloo, whose headers a CUDA pip wheel's LibTorch
# leaves out (src/distributed/process_group.cpp): skipped on such builds (ctest shows it).
if ldd "$BIN" | grep -q libtorch_cuda; then echo "CUDA wheel build: no Gloo, skipping"; exit 77; fi
LAUNCH_NODE=$(cd "$(dirname "$0")/../../scripts" && pwd)/launch_node.sh
cd "$WORK"
make_dataset data 4 16 5
RUN=(--data_root data --set model=resnet18 --set img_size=32 --batch_size 4 --num_workers 1
     --lr 0.1 --set dist_timeout=60 --set save_top_k=1 --set log_every_n_steps=1)
SHORT=(--epochs 1 --set limit_train_batches=2 --set limit_val_batches=1)  # launching only

# 1. The seeds' way: on each node MASTER_ADDR, MASTER_PORT, NODE_RANK and WORLD_SIZE, and the
# same command with --num_nodes 2 (here both "nodes" are this machine, one device each), set by
# scripts/launch_node.sh.
port=$(free_port)
for node in 0 1; do
  "$LAUNCH_NODE" --nodes 2 --node_rank $node --master_addr 127.0.0.1 --master_port "$port" \
    --bin "$BIN" -- "${RUN[@]}" "${SHORT[@]}" --output_dir nodes >node$node.txt 2>&1 &
  pids[node]=$!
done
for node in 0 1; do
  wait_exit "${pids[node]}" 120
  [[ $EXIT_CODE == 0 ]] || { fail "node $node ended with $EXIT_CODE"; tail -5 node$node.txt >&2; }
done
expect_in_file node0.txt "process: rank 0 of 2 (node 0 of 2, local rank 0 of 1)"
expect_in_file node0.txt "plan: world size 2, batch 4 per device, total 8"
expect_in_file node0.txt "Epoch 0: train/loss"
expect_file nodes/checkpoints/last.ckpt
[[ $(ls nodes/logs/train_*.log | wc -l) -eq 2 ]] || fail "expected a log per rank: $(ls nodes/logs)"
grep -q "Epoch 0: train/loss" node1.txt && fail "node 1 printed training lines (only rank 0 should)"
expect_in_file "$(ls nodes/logs/train_*_rank1.log)" "Epoch 0: 100%"

# 2. torchrun-style variables set by hand (RANK, LOCAL_RANK, WORLD_SIZE): devices and num_nodes
# come from them.
port=$(free_port)
for rank in 0 1; do
  RANK=$rank LOCAL_RANK=$rank WORLD_SIZE=2 LOCAL_WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 \
    MASTER_PORT=$port "$BIN" "${RUN[@]}" "${SHORT[@]}" --output_dir by_hand >rank$rank.txt 2>&1 &
  pids[rank]=$!
done
for rank in 0 1; do
  wait_exit "${pids[rank]}" 120
  [[ $EXIT_CODE == 0 ]] || { fail "rank $rank ended with $EXIT_CODE"; tail -5 rank$rank.txt >&2; }
done
expect_in_file rank0.txt "process: rank 0 of 2 (node 0 of 1, local rank 0 of 2), started by torchrun"
expect_file by_hand/checkpoints/last.ckpt

# 3. torchrun itself (python3-torch), with --no_python. Debian's 1.13 torchrun on Python 3.11
# needs explicit --redirects/--tee values (its defaults trip over the Python 3.11 enum).
if /usr/bin/python3 -c 'import torch.distributed.run' 2>/dev/null; then
  run_expect 0 torchrun.txt -- /usr/bin/python3 -m torch.distributed.run --nproc_per_node 2 \
    --master_port "$(free_port)" --redirects 1 --tee 2 --log_dir torchrun_logs --no_python \
    "$BIN" "${RUN[@]}" "${SHORT[@]}" --output_dir torchrun
  expect_in_file torchrun.txt "(torchrun's store)"
  expect_in_file torchrun.txt "process group ready: gloo, 2 ranks"
  expect_file torchrun/checkpoints/last.ckpt
fi

# 4. Settings that disagree stop before anything starts, showing both readings.
run_expect 2 mismatch.txt -- env MASTER_PORT=1234 NODE_RANK=0 WORLD_SIZE=3 \
  "$BIN" "${RUN[@]}" --devices 2 --num_nodes 2 --output_dir never
expect_in_file mismatch.txt "WORLD_SIZE=3 fits neither reading"
run_expect 2 no_rank.txt -- env MASTER_PORT=1234 "$BIN" "${RUN[@]}" --num_nodes 2 --output_dir never
expect_in_file no_rank.txt "NODE_RANK is not set"
expect_no_file never

# 5. Resume: a 2-process run (sync_batchnorm off: statistics averaged) stopped by SIGTERM
# mid-epoch and resumed ends with the weights of a run that was not interrupted.
run_expect 0 full.txt -- "$BIN" "${RUN[@]}" --epochs 2 --devices 2 --output_dir full
"$BIN" "${RUN[@]}" --epochs 2 --devices 2 --output_dir part >part.txt 2>&1 &
launcher=$!
wait_for_text part.txt "Epoch 1: .*\| [1-4]/8 " 120 || fail "the run never reached epoch 1"
kill -TERM "$launcher"
wait_exit "$launcher" 60
[[ $EXIT_CODE == 143 ]] || fail "SIGTERM should end the run with 143, got $EXIT_CODE"
expect_in_file part.txt "stopped by signal 15 in epoch 1 after batch"
# Mid-epoch, the rest of the epoch is split by the number of processes: it must not change.
run_expect 2 resume_one.txt -- "$BIN" --resume part/checkpoints/last.ckpt --devices 1
expect_in_file resume_one.txt "by 2 processes, and this run has 1"
run_expect 0 resumed.txt -- "$BIN" --resume part/checkpoints/last.ckpt
expect_in_file resumed.txt "resumed at epoch 1, batch"
expect_in_file resumed.txt "starting 2 workers"
# Parameters and momentum bit for bit; running statistics, averaged at the stop, to rounding.
same_weights full/checkpoints/last.ckpt part/checkpoints/last.ckpt 1e-5 >same.txt ||
  fail "resumed run differs from the uninterrupted one: $(cat same.txt)"
finish
