#!/usr/bin/env bash
# Starts this node's part of a multi-node run the way the seeds' notes do it: MASTER_ADDR,
# MASTER_PORT, NODE_RANK and WORLD_SIZE (the number of nodes) in the environment, and the same
# imagenet_train command on every node. Run it on each node, with that node's rank:
#
#   scripts/launch_node.sh --nodes 2 --node_rank 0 --master_addr 10.0.0.1 -- \
#       --config configs/resnet_strikes_back.yaml --devices 4        # on node 0
#   scripts/launch_node.sh --nodes 2 --node_rank 1 --master_addr 10.0.0.1 -- \
#       --config configs/resnet_strikes_back.yaml --devices 4        # on node 1
#
# Options: --master_port (default 12355, a free port on node 0), --bin (default
# build/imagenet_train, or imagenet_train on PATH). Everything after -- goes to imagenet_train,
# which gets --num_nodes from --nodes. See docs/MULTI_NODE_TRAINING.md.
set -euo pipefail
usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

nodes="" node_rank="" master_addr="" master_port=12355
bin=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --nodes) nodes=$2; shift 2 ;;
    --node_rank | --node-rank) node_rank=$2; shift 2 ;;
    --master_addr | --master-addr) master_addr=$2; shift 2 ;;
    --master_port | --master-port) master_port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) usage ;;
    *) echo "launch_node.sh: unknown option $1 (imagenet_train's options go after --)" >&2; usage ;;
  esac
done
[[ -n $nodes && -n $node_rank && -n $master_addr ]] ||
  { echo "launch_node.sh: --nodes, --node_rank and --master_addr are required" >&2; usage; }
[[ $nodes =~ ^[1-9][0-9]*$ && $node_rank =~ ^[0-9]+$ && $node_rank -lt $nodes ]] ||
  { echo "launch_node.sh: --node_rank must be 0 to $((nodes - 1)) (--nodes $nodes)" >&2; exit 2; }

if [[ -z $bin ]]; then
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [[ -x $here/build/imagenet_train ]]; then
    bin=$here/build/imagenet_train
  else
    bin=$(command -v imagenet_train) ||
      { echo "launch_node.sh: no imagenet_train (build it with scripts/build.sh, or --bin)" >&2; exit 2; }
  fi
fi

export MASTER_ADDR=$master_addr MASTER_PORT=$master_port NODE_RANK=$node_rank WORLD_SIZE=$nodes
echo "node $node_rank of $nodes: MASTER_ADDR=$MASTER_ADDR MASTER_PORT=$MASTER_PORT" >&2
exec "$bin" --num_nodes "$nodes" "$@"
