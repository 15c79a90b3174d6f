# The data commands as a user runs them: prepare imagenet-like, subset (copy, resume, repair),
# pack, training from shards, bench-data, and the index cache across runs.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
make_dataset data 6 12 3

# prepare imagenet-like from a folder of "photographs" (large generated images here; the
# benchmark uses Debian's lomiri-wallpapers-16.04).
"$BIN" prepare synthetic --out photos_src --classes 2 --train_per_class 2 --val_per_class 0 \
  --min_side 600 --max_side 800 >/dev/null 2>&1 || fail "prepare synthetic (photos) failed"
mkdir -p photos
for f in photos_src/train/*/*.jpg; do cp "$f" "photos/$(basename "$(dirname "$f")")_$(basename "$f")"; done
run_expect 0 like.txt -- "$BIN" prepare imagenet-like --out like --photos photos --classes 3 \
  --per_class 4 --val_per_class 1
expect_in_file like.txt "wrote 12 training and 3 validation images in 3 classes"
[[ $(ls like/train/*/*.JPEG | wc -l) -eq 12 ]] || fail "imagenet-like: expected 12 JPEGs"
run_expect 0 like2.txt -- "$BIN" prepare imagenet-like --out like --photos photos --classes 3 \
  --per_class 4 --val_per_class 1
expect_in_file like2.txt "already holds this dataset"
run_expect 2 like_err.txt -- "$BIN" prepare imagenet-like --out x --photos nowhere
expect_in_file like_err.txt "lomiri-wallpapers-16.04"

# subset: 3 of 6 classes, the same ones training's num_classes: 3, subset_seed: 7 picks.
run_expect 0 subset.txt -- "$BIN" subset --src data --dst local --num_classes 3 --subset_seed 7 \
  --threads 8
expect_in_file subset.txt "subset: 3 classes, 45 files in local: 45 copied"
[[ $(ls local/train | wc -l) -eq 3 && $(ls local/val | wc -l) -eq 3 ]] || fail "subset: classes"
# Resumed: nothing to copy; a damaged copy (wrong size) and a missing one are copied again.
first=$(ls local/train/*/*.jpg | head -1)
head -c 10 "$first" >"$first.cut" && mv "$first.cut" "$first"
rm "$(ls local/val/*/*.jpg | head -1)"
run_expect 0 subset2.txt -- "$BIN" subset --src data --dst local --num_classes 3 --subset_seed 7
expect_in_file subset2.txt "2 copied"
expect_in_file subset2.txt "43 already there"
cmp "$first" "data/train/${first#local/train/}" || fail "subset did not repair $first"
# Training on the copy with num_classes 0 sees the same classes as on the source with 3.
run_expect 0 cfg_a.txt -- "$BIN" bench-data --data_root local --output_dir o1 --batch_size 4 \
  --batches 2 --num_workers 1
run_expect 0 cfg_b.txt -- "$BIN" bench-data --data_root data --output_dir o2 --batch_size 4 \
  --batches 2 --num_workers 1 --set num_classes=3 --set subset_seed=7
grep -o "data: .*classes" cfg_a.txt | grep -q "3 classes" || fail "subset copy: class count"
expect_in_file cfg_b.txt "(of 6, subset_seed 7)"

# bench-data: the loader alone; the index cache is reused by the second run.
run_expect 0 bench1.txt -- "$BIN" bench-data --data_root data --output_dir run --batch_size 8 \
  --batches 4 --num_workers 2
expect_in_file bench1.txt "img_per_sec="
expect_in_file bench1.txt "6 class folders listed, 0 from the cache"
run_expect 0 bench2.txt -- "$BIN" bench-data --data_root data --output_dir run --batch_size 8 \
  --batches 4 --num_workers 2 --split val
expect_in_file bench2.txt "split=val"
run_expect 0 bench3.txt -- "$BIN" bench-data --data_root data --output_dir run --batch_size 8 \
  --batches 4
expect_in_file bench3.txt "0 class folders listed, 6 from the cache"
run_expect 0 bench4.txt -- "$BIN" bench-data --data_root data --output_dir run --batch_size 8 \
  --batches 4 --rescan
expect_in_file bench4.txt "6 class folders listed (--rescan), 0 from the cache"

# pack, then train from the shards.
run_expect 0 pack.txt -- "$BIN" pack --src data --dst shards --shard_size 64KB
expect_in_file pack.txt "pack: 6 classes, 90 images in"
ls shards/train/train-000000.tar shards/train/shards.tsv shards/val/shards.tsv >/dev/null ||
  fail "pack wrote no shards"
tar -tf shards/train/train-000000.tar >members.txt || fail "tar cannot read the shard"
[[ $(head -2 members.txt | tr '\n' ' ') == "class_000/00000.cls class_000/00000.jpg " ]] ||
  fail "shard layout: $(head -2 members.txt)"
run_expect 0 pack2.txt -- "$BIN" pack --src data --dst shards --shard_size 64KB
expect_in_file pack2.txt "shards already there"
run_expect 2 pack_err.txt -- "$BIN" pack --src data --dst x --shard_size lots
expect_in_file pack_err.txt "--shard_size 'lots' is not a size"
run_expect 0 shards_train.txt -- "$BIN" --data_root shards --set data_format=shards \
  --output_dir shard_run --epochs 1 "${TINY[@]}"
expect_in_file shards_train.txt "(shards): 6 classes, 72 training images in"
expect_in_file shards_train.txt "Epoch 0: train/loss"
run_expect 2 shards_err.txt -- "$BIN" --data_root data --set data_format=shards \
  --output_dir shard_err --epochs 1 "${TINY[@]}"
expect_in_file shards_err.txt "shards.tsv not found"
finish
