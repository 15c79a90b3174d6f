# Bad input stops with exit code 2 and a message that names the file, key or line, and writes
# nothing; an existing run is never overwritten.
source "$(dirname "$0")/lib.sh"
REGRESSIONS=$(cd "$(dirname "$0")/../fuzz/regressions" && pwd)
cd "$WORK"
make_dataset data

# Unknown key: file and line named, with a suggestion; no output folder created.
printf 'lr: 0.1\nbatch_sise: 64\n' > typo.yaml
run_expect 2 out.txt -- "$BIN" --config typo.yaml --data_root data --output_dir run_typo
expect_in_file out.txt "typo.yaml:2: unknown key 'batch_sise' (did you mean 'batch_size'?)"
expect_no_file run_typo

# Wrong type and out-of-range values, from the file and from flags.
printf 'epochs: ten\n' > type.yaml
run_expect 2 out.txt -- "$BIN" --config type.yaml --data_root data --output_dir run_type
expect_in_file out.txt "type.yaml:1: 'epochs' must be an integer, got \"ten\""
run_expect 2 out.txt -- "$BIN" --data_root data --lr -1 --output_dir run_type
expect_in_file out.txt "--lr: 'lr' must be greater than 0"
run_expect 2 out.txt -- "$BIN" --data_root data --set momentum=2 --output_dir run_type
expect_in_file out.txt "'momentum' must be in [0, 1)"
expect_no_file run_type

# Missing files and folders.
run_expect 2 out.txt -- "$BIN" --config nowhere.yaml
expect_in_file out.txt "config file not found: nowhere.yaml"
run_expect 2 out.txt -- "$BIN" --output_dir run_x
expect_in_file out.txt "data_root is not set"
mkdir -p only_train/train/a && cp data/train/class_000/00000.jpg only_train/train/a/
run_expect 2 out.txt -- "$BIN" --data_root only_train --output_dir run_x
expect_in_file out.txt "only_train has no val/ folder"
cp -r data empty_class && mkdir -p empty_class/{train,val}/class_009 && touch empty_class/train/class_009/readme.txt
run_expect 2 out.txt -- "$BIN" --data_root empty_class --output_dir run_x
expect_in_file out.txt "empty_class/train/class_009 has no images"
run_expect 2 out.txt -- "$BIN" --data_root data --set num_classes=7 --output_dir run_x
expect_in_file out.txt "num_classes is 7 but the data has only 4 class folders"
expect_no_file run_x

# Settings that contradict each other, or the machine, are refused clearly.
run_expect 2 out.txt -- "$BIN" --data_root data --devices 2 --set strategy=single_device --output_dir run_x
expect_in_file out.txt "strategy: single_device runs one process, but devices is 2"
run_expect 2 out.txt -- "$BIN" --data_root data --precision 16-mixed --set accelerator=cpu --output_dir run_x
expect_in_file out.txt "precision 16-mixed needs a CUDA GPU"

# Command-line mistakes.
run_expect 2 out.txt -- "$BIN" --data_root data --frobnicate 3
expect_in_file out.txt "frobnicate"
run_expect 2 out.txt -- "$BIN" --set lr
expect_in_file out.txt "expected key=value"

# A finished run is never overwritten by a fresh one, and resume checks what it resumes.
run_expect 0 train.txt -- "$BIN" --data_root data --output_dir run1 --epochs 1 "${TINY[@]}"
before=$(md5sum run1/checkpoints/last.ckpt run1/metrics.csv)
run_expect 2 out.txt -- "$BIN" --data_root data --output_dir run1 --epochs 1 "${TINY[@]}"
expect_in_file out.txt "run1/checkpoints/last.ckpt exists"
expect_in_file out.txt "--resume"
[[ "$(md5sum run1/checkpoints/last.ckpt run1/metrics.csv)" == "$before" ]] || fail "run1 changed"
run_expect 2 out.txt -- "$BIN" --resume run1/checkpoints/nothing.ckpt
expect_in_file out.txt "checkpoint not found"
echo garbage > bad.ckpt
run_expect 2 out.txt -- "$BIN" --resume bad.ckpt
expect_in_file out.txt "bad.ckpt is not an imagenet_train checkpoint (not a zip archive)"
# Sound CRCs (written by PyTorch's own zip writer) around the pickle that made LibTorch 1.13's
# unpickler write to a wild address (the checkpoint fuzzer's find): refused before it reads it.
/usr/bin/python3 - "$REGRESSIONS/checkpoint/tuple2_stack_underflow_wild_write.records" hostile.ckpt <<'PY' || fail "could not write hostile.ckpt"
import sys, torch
records = open(sys.argv[1], "rb").read()  # name length, name, 4-byte size, data
n = records[0]
data = records[5 + n:5 + n + int.from_bytes(records[1 + n:5 + n], "little")]
writer = torch._C.PyTorchFileWriter(sys.argv[2])
writer.write_record(records[1:1 + n].decode(), data, len(data))
writer.write_end_of_file()
PY
run_expect 2 out.txt -- "$BIN" --resume hostile.ckpt
expect_in_file out.txt "hostile.ckpt is not a checkpoint this program writes: hostile/data.pkl: an opcode needs a value the stack does not have at byte 72"
# LibTorch's zip reader finds data.pkl ignoring case: a DaTa.pkl claiming 4 GB is checked too.
/usr/bin/python3 - hostile2.ckpt <<'PY' || fail "could not write hostile2.ckpt"
import sys, torch
pickle = b"\x80\x02X\xfd\xff\xff\xffshort."
writer = torch._C.PyTorchFileWriter(sys.argv[1])
writer.write_record("DaTa.pkl", pickle, len(pickle))
writer.write_end_of_file()
PY
run_expect 2 out.txt -- "$BIN" --resume hostile2.ckpt
expect_in_file out.txt "hostile2.ckpt is not a checkpoint this program writes: hostile2/DaTa.pkl: opcode 'X' at byte 2 claims 4294967293 bytes, 6 remain."
run_expect 2 out.txt -- "$BIN" --resume run1/checkpoints/last.ckpt --set model=resnet34
expect_in_file out.txt "holds a resnet18 model; the config asks for resnet34"
mkdir -p other/train other/val && for c in x y z w; do
  mkdir -p other/train/$c other/val/$c
  cp data/train/class_000/00000.jpg other/train/$c/ && cp data/val/class_000/00000.jpg other/val/$c/
done
run_expect 2 out.txt -- "$BIN" --resume run1/checkpoints/last.ckpt --data_root other
expect_in_file out.txt "was trained on other classes"
[[ "$(md5sum run1/checkpoints/last.ckpt run1/metrics.csv)" == "$before" ]] || fail "run1 changed"

finish
