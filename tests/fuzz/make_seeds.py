"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/: small valid inputs
of every kind each reader takes (JPEG baseline/progressive/grey/CMYK/EXIF, PNG 8/16-bit, grey,
palette, alpha; ustar/GNU/pax tar shards; index cache files; torch.save archives; checkpoint
records). libFuzzer mutates from these; tests replay them. Rerun after changing a format:

    /usr/bin/python3 tests/fuzz/make_seeds.py
"""
import io
import os
import struct
import tarfile
import zipfile

import numpy as np
import torch
from PIL import Image

here = os.path.dirname(os.path.abspath(__file__))


def out(target, name, data):
    folder = os.path.join(here, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def image_bytes(image, fmt, **options):
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    return buf.getvalue()


# --- images --------------------------------------------------------------------------------
w, h = 20, 14
rgb = Image.fromarray(
    np.array([[[(x * 13) % 256, (y * 19) % 256, (x * y) % 256] for x in range(w)] for y in range(h)],
             dtype=np.uint8))
out("image_decode", "baseline_420.jpg", image_bytes(rgb, "JPEG", quality=75))
out("image_decode", "baseline_444.jpg", image_bytes(rgb, "JPEG", quality=90, subsampling=0))
out("image_decode", "progressive.jpg", image_bytes(rgb, "JPEG", quality=80, progressive=True))
out("image_decode", "grey.jpg", image_bytes(rgb.convert("L"), "JPEG", quality=80))
out("image_decode", "cmyk.jpg", image_bytes(rgb.convert("CMYK"), "JPEG", quality=80))
exif = Image.Exif()
exif[0x0112] = 6  # Orientation: rotate 90 CW to display
out("image_decode", "exif_orientation6.jpg", image_bytes(rgb, "JPEG", quality=75, exif=exif))
out("image_decode", "rgb.png", image_bytes(rgb, "PNG"))
out("image_decode", "grey.png", image_bytes(rgb.convert("L"), "PNG"))
out("image_decode", "palette.png", image_bytes(rgb.convert("P"), "PNG"))
out("image_decode", "rgba.png", image_bytes(rgb.convert("RGBA"), "PNG"))
out("image_decode", "grey_alpha.png", image_bytes(rgb.convert("LA"), "PNG"))
grey16 = Image.fromarray((np.arange(w * h, dtype=np.uint16).reshape(h, w) * 300).astype(np.uint16))
out("image_decode", "grey16.png", image_bytes(grey16, "PNG"))

# --- tar shards ----------------------------------------------------------------------------
def shard(fmt, long_names):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for i in range(2):
            stem = ("n01440764/" + "x" * (120 if long_names else 8)) + str(i)
            for ext, data in (("cls", b"%d\n" % i), ("jpg", b"\xff\xd8\xff\xe0 not really")):
                info = tarfile.TarInfo(f"{stem}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


out("tar_reader", "ustar.tar", shard(tarfile.USTAR_FORMAT, False))
out("tar_reader", "gnu_long_names.tar", shard(tarfile.GNU_FORMAT, True))
out("tar_reader", "pax_long_names.tar", shard(tarfile.PAX_FORMAT, True))

# --- index cache files (the v2 format of src/data/index_cache.cpp) -------------------------
out("index_cache", "two_classes.index",
    b"imagenet_train index v2\nsplit /data/imagenet/train\n"
    b"class n01 1700000000123456789 2\na.JPEG\nb.JPEG\n"
    b"class n02 1700000000000000000 1\nc%20d.png\n")
out("index_cache", "escaped_names.index",
    b"imagenet_train index v2\nsplit /data/imagenet/train\n"
    b"class my%20class 5 3\nline%0Abreak.jpg\n100%25.jpg\n\xc3\xa9t\xc3\xa9.jpg\n")

# --- torch.save archives and checkpoint records --------------------------------------------
# Every dict and list has two or more items: Python pickles a single item with SETITEM/APPEND,
# which LibTorch's unpickler does not know (the C++ writer never emits them).
checkpoint = {
    "format": "imagenet_train", "format_version": 1, "imagenet_train_version": "0.1.0",
    "epoch": 1, "global_step": 12,
    "state_dict": {"fc.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3),
                   "bn1.num_batches_tracked": torch.tensor(3)},
    "progress": {"batch_in_epoch": 2, "world_size": 1, "loss_sum": 1.5, "loss_samples": 8,
                 "correct1": 1, "correct5": 4, "accuracy_samples": 8},
    "optimizer": {"lr": 0.1, "momentum_buffer": {"fc.weight": torch.zeros(2, 3),
                                                  "fc.bias": torch.ones(2)}},
    "hyper_parameters": {"config_yaml": "lr: 0.1\n", "arch": "resnet18", "num_classes": 2,
                         "classes": ["a", "b"]},
    "top_k": [{"path": "x.ckpt", "score": 0.5, "epoch": 0},
              {"path": "y.ckpt", "score": 0.25, "epoch": 1}],
    "metrics": {"val/acc1": 0.5, "train/loss": 1.25},
}
buf = io.BytesIO()
torch.save(checkpoint, buf)
archive = buf.getvalue()
out("zip_check", "checkpoint.pt", archive)
with open(os.path.join(here, "..", "golden", "torch_save_small.pt"), "rb") as f:
    out("zip_check", "torch_save_small.pt", f.read())

records = b""
with zipfile.ZipFile(io.BytesIO(archive)) as z:
    for info in z.infolist():
        name = info.filename.split("/", 1)[1].encode()  # without the archive's folder
        data = z.read(info)
        records += bytes([len(name)]) + name + struct.pack("<I", len(data)) + data
out("checkpoint", "checkpoint.records", records)

# --- configs (the shipped configs/ are seeds too; these add the YAML features) --------------
out("config_loader", "set_line_then_yaml.yaml",
    b"lr=0.2\nepochs: 3\nbatch_size: 8\ncrop_scale: [0.25, 1.0]\nprecision: bf16-mixed\n")
out("config_loader", "anchors.yaml", b"lr: &rate 0.3\nwarmup_epochs: 1\nlr_min: *rate\n")
out("config_loader", "quoted_and_comments.yaml",
    b"# a comment\nname: \"run one\"  # trailing\nseed: 7\nmax_epochs: 4\nval_check_interval: 0.5\n")
