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
