# Helpers for the end-to-end tests: each test script is run by ctest as
#   bash tests/e2e/<name>_test.sh <path of imagenet_train> <scratch folder>
set -uo pipefail

BIN=${1:?usage: $0 IMAGENET_TRAIN WORKDIR}
WORK=${2:?usage: $0 IMAGENET_TRAIN WORKDIR}
rm -rf "$WORK"
mkdir -p "$WORK"
FAILURES=0

fail() {
  echo "FAIL: $*" >&2
  FAILURES=$((FAILURES + 1))
}

# run_expect CODE LOGFILE -- command...: runs a command, keeps its output, checks its exit code.
run_expect() {
  local code=$1 log=$2
  shift 3
  "$@" >"$log" 2>&1
  local got=$?
  if [[ $got -ne $code ]]; then
    fail "expected exit code $code, got $got: $*"
    sed 's/^/    /' "$log" | tail -20 >&2
  fi
}

expect_in_file() {
  local file=$1 text=$2
  grep -qF -- "$text" "$file" || { fail "'$text' not in $file"; sed 's/^/    /' "$file" | tail -10 >&2; }
}

expect_file() { [[ -e $1 ]] || fail "missing $1"; }
expect_no_file() { [[ ! -e $1 ]] || fail "$1 should not exist"; }

finish() {
  if [[ $FAILURES -gt 0 ]]; then
    echo "$FAILURES check(s) failed" >&2
    exit 1
  fi
  echo "all checks passed"
}

# A small generated dataset: data/{train,val}/class_00k/*.jpg.
make_dataset() {
  "$BIN" prepare synthetic --out "$1" --classes "${2:-4}" --train_per_class "${3:-16}" \
    --val_per_class "${4:-4}" --min_side 40 --max_side 90 >/dev/null 2>&1 ||
    fail "prepare synthetic failed"
}

# Flags for a quick CPU run on the generated data.
TINY=(--set model=resnet18 --set img_size=32 --batch_size 8 --num_workers 2 --lr 0.2
      --set log_every_n_steps=2)

# --- helpers for runs of several processes --------------------------------------------------

# A TCP port nobody listens on now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_for_text FILE REGEX SECONDS: waits until FILE has a line matching REGEX; 1 on timeout.
wait_for_text() {
  local file=$1 regex=$2 limit=$3 i
  for ((i = 0; i < limit * 10; i++)); do
    grep -qE -- "$regex" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# wait_exit PID SECONDS: waits for a background job of this shell and sets EXIT_CODE to its
# exit status, or to "running" when it has not ended after SECONDS (it is then killed, so
# nothing is left behind). Not in $(...): a subshell cannot wait for this shell's jobs.
wait_exit() {
  local pid=$1 limit=$2 i
  for ((i = 0; i < limit * 10; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      wait "$pid"
      EXIT_CODE=$?
      return
    fi
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  EXIT_CODE=running
}

# The checkpoints' model weights and momentum: equal (bit for bit unless a tolerance is given).
# same_weights A.ckpt B.ckpt [RTOL for running statistics]
same_weights() {
  /usr/bin/python3 - "$@" <<'PY'
import sys, torch
a = torch.load(sys.argv[1], map_location="cpu"); b = torch.load(sys.argv[2], map_location="cpu")
rtol = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
bad = []
for part in ("state_dict",):
    for k, t in a[part].items():
        u = b[part][k]
        if "running_" in k and rtol > 0:
            ok = torch.allclose(t, u, rtol=rtol, atol=rtol * 1e-2)
        else:
            ok = torch.equal(t, u)
        if not ok: bad.append(k)
for k, t in a["optimizer"]["momentum_buffer"].items():
    if not torch.equal(t, b["optimizer"]["momentum_buffer"][k]): bad.append("momentum " + k)
if a["global_step"] != b["global_step"]: bad.append("global_step %d vs %d" % (a["global_step"], b["global_step"]))
print("differ:", ", ".join(bad[:8]) if bad else "none")
sys.exit(1 if bad else 0)
PY
}
