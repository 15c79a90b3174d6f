# A training run on a data folder holding every kind of broken, hostile or odd file: the bad
# ones are counted and replaced (never a crash or a hang), the odd ones (CMYK, 16-bit PNG, EXIF
# orientation, spaces and non-ASCII in names) are trained on, looping links are skipped, and
# the index cache keeps the odd names. Then val/ classes that train/ lacks stop the run.
source "$(dirname "$0")/lib.sh"
ROOT=$(pwd)
cd "$WORK"
make_dataset data 4 16 4
golden=$ROOT/tests/golden
cls=data/train/class_000
good=$(ls $cls/*.jpg | head -1)

# Bad: each is a replaced sample.
: > $cls/zero.jpg
head -c 300 "$good" > $cls/cut.jpg
echo "not an image" > $cls/text.jpg
cp "$golden/bomb_jpeg_60000.jpg" $cls/bomb.jpg
cp "$golden/bomb_png_14000.png" $cls/bomb.png
mkfifo $cls/fifo.jpg                       # opening it for reading would block forever
# Odd but good: trained on.
cp "$golden/cmyk.jpg" $cls/cmyk.jpg
cp "$golden/png16_rgb.png" data/train/class_001/sixteen.png
cp "$golden/exif_orientation6.jpg" data/train/class_001/exif.jpg
cp "$good" "data/train/class_002/with space é.jpg"
cp "$good" "data/train/class_002/日本.JPEG"
# Links that loop: skipped with a warning when the folders are listed.
ln -s loop.jpg $cls/loop.jpg
ln -s loop data/train/loop

run() {  # run OUTPUT_DIR LOG: one epoch, bounded in time (a hang fails here, not at ctest's limit)
  run_expect 0 "$2" -- timeout 300 "$BIN" --data_root data --output_dir "$1" --epochs 1 \
    --set max_bad_samples_fraction=0.2 --set index_cache_dir=cache "${TINY[@]}"
}
run run1 out1.txt
# Six bad files; a replacement drawn may be bad too, so the count may be higher (the same in
# every run: the draws are seeded).
for f in zero cut text bomb fifo; do
  expect_in_file out1.txt "skipping unreadable image data/train/class_000/$f."
done
expect_in_file out1.txt "the header claims 60000 x 60000 = 3600000000 pixels, more than the limit of 89478485"
expect_in_file out1.txt "the header claims 14000 x 14000 = 196000000 pixels"
expect_in_file out1.txt "fifo.jpg: not a regular file"
expect_in_file out1.txt "skipping 1 entry of data/train that cannot be followed (not class folders): loop"
expect_in_file out1.txt "skipping 1 entry of data/train/class_000 that cannot be followed (not images): loop.jpg"
expect_in_file out1.txt "4 classes, 75 training and 16 validation images"
grep -q "train/bad_samples" run1/metrics.csv || fail "no train/bad_samples column"
bad=$(/usr/bin/python3 -c 'import csv,sys; r=list(csv.DictReader(open("run1/metrics.csv"))); print(int(float([x for x in r if x.get("train/bad_samples")][-1]["train/bad_samples"])))')
[[ $bad -ge 6 ]] || fail "metrics.csv train/bad_samples is $bad, expected 6 or more"

# The index cache kept every name: the second run lists no folder.
run run2 out2.txt
expect_in_file out2.txt "(0 class folders listed, 8 from the cache in cache)"
expect_in_file out2.txt "$bad unreadable images were skipped (replaced)"

# A val/ class that train/ lacks was dropped without a word: now it stops the run.
mkdir -p data/val/class_zzz && cp "$good" data/val/class_zzz/
run_expect 2 out3.txt -- "$BIN" --data_root data --output_dir run3 --epochs 1 "${TINY[@]}"
expect_in_file out3.txt "data/val has 1 class folder that data/train lacks: class_zzz"
expect_no_file run3
finish
