"""Every augmentation op on the same uint8 images with the same parameters, as torchvision 0.14
applies them to a PIL image (torchvision.transforms.autoaugment._apply_op) and as timm's
auto_augment.py ops call Pillow (timm is not in Debian: its op functions are a few Pillow
calls, copied below from timm/data/auto_augment.py), plus Pillow's bilinear and bicubic crop
resizes and torchvision's magnitude bins. tests/data/augment_golden_test.cpp runs it and
compares pixel for pixel:

    /usr/bin/python3 tests/golden/augment_ops.py OUT_DIR

writes OUT_DIR/manifest.txt (one line per image, case and table) and OUT_DIR/pixels.bin (the
input images, then every output, packed RGB rows).
"""
import math
import os
import sys

from PIL import Image, ImageEnhance, ImageOps
import torch
from torchvision.transforms import InterpolationMode
from torchvision.transforms import autoaugment as tv_aa

out_dir = sys.argv[1]
os.makedirs(out_dir, exist_ok=True)


def make_image(w, h, kind):
    img = Image.new("RGB", (w, h))
    if kind == 0:  # hard edges and every value
        data = [((x * 7 + y * 13) % 256, (x * x + 3 * y) % 256, (x * y + 50) % 256)
                for y in range(h) for x in range(w)]
    else:  # smooth, narrow ranges per channel (autocontrast and equalize stretch them)
        data = [(int(100 + 40 * math.sin(x / 5.0) * math.cos(y / 7.0)),
                 int(60 + 0.8 * x + 0.5 * y),
                 int(200 - 1.5 * y + (x % 5))) for y in range(h) for x in range(w)]
    img.putdata(data)
    return img


images = [make_image(48, 40, 0), make_image(32, 32, 0), make_image(41, 35, 1)]
manifest = []
blobs = []
for img in images:
    manifest.append(f"image {img.size[0]} {img.size[1]}")
    blobs.append(img.tobytes())

MODES = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR,
         "bicubic": InterpolationMode.BICUBIC}
PIL_FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
MEAN_FILL = (124, 116, 104)


def case(library, op, value, interpolation, fill, index, out):
    manifest.append(f"case {library} {op} {value!r} {interpolation} {fill[0]} {fill[1]} {fill[2]} "
                    f"{index}")
    blobs.append(out.tobytes())


# torchvision: _apply_op(img, op_name, magnitude, interpolation, fill); fill None is black.
geometric = {
    "ShearX": [0.0, 0.3, -0.3, 0.99, -0.627, 0.0990000009536743],
    "ShearY": [0.3, -0.99, 0.528, -0.0330000035464764],
    "TranslateX": [0.0, 14.0, -32.0, 101.51057434082031, -7.466666221618652],
    "TranslateY": [5.0, -19.0, 30.933332443237305],
    "Rotate": [0.0, 4.5, -9.0, 90.0, -90.0, 135.0, 180.0, -40.5, 27.0],
}
for index, img in enumerate(images):
    for op, magnitudes in geometric.items():
        for m in magnitudes:
            for interpolation in ("nearest", "bilinear", "bicubic"):
                for fill in (None, list(MEAN_FILL)):
                    out = tv_aa._apply_op(img, op, m, MODES[interpolation], fill)
                    case("torchvision", op, m, interpolation, fill or (0, 0, 0), index, out)
    colour = {
        "Brightness": [0.99, -0.99, 0.33, -0.5, -1.0, 0.0],
        "Color": [0.99, -0.99, 0.627, -0.3],
        "Contrast": [0.99, -0.99, 0.429, -0.1],
        "Sharpness": [0.99, -0.99, 0.66, -0.4],
        "Posterize": [8, 7, 6, 5, 4, 3, 2, 1, 0],
        "Solarize": [255.0, 246.5, 127.5, 64.0, 0.0],
        "AutoContrast": [0.0],
        "Equalize": [0.0],
        "Invert": [0.0],
        "Identity": [0.0],
    }
    for op, magnitudes in colour.items():
        for m in magnitudes:
            out = tv_aa._apply_op(img, op, m, InterpolationMode.NEAREST, None)
            case("torchvision", op, m, "nearest", (0, 0, 0), index, out)


# timm/data/auto_augment.py, the op functions (fillcolor=img_mean, resample from hparams).
def shear_x(img, factor, **kw):
    return img.transform(img.size, Image.AFFINE, (1, factor, 0, 0, 1, 0), **kw)


def shear_y(img, factor, **kw):
    return img.transform(img.size, Image.AFFINE, (1, 0, 0, factor, 1, 0), **kw)


def translate_x_rel(img, pct, **kw):
    pixels = pct * img.size[0]
    return img.transform(img.size, Image.AFFINE, (1, 0, pixels, 0, 1, 0), **kw)


def translate_y_rel(img, pct, **kw):
    pixels = pct * img.size[1]
    return img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, pixels), **kw)


def rotate(img, degrees, **kw):
    return img.rotate(degrees, **kw)


def solarize_add(img, add, thresh=128, **__):
    lut = [min(255, i + add) if i < thresh else i for i in range(256)]
    return img.point(lut + lut + lut)


def posterize(img, bits_to_keep, **__):
    return img if bits_to_keep >= 8 else ImageOps.posterize(img, bits_to_keep)


timm_ops = {
    "ShearX": (shear_x, [0.27, -0.27, 0.1, -0.3]),
    "ShearY": (shear_y, [0.27, -0.135]),
    "TranslateX": (translate_x_rel, [0.405, -0.405, 0.1234]),
    "TranslateY": (translate_y_rel, [-0.405, 0.2]),
    "Rotate": (rotate, [27.0, -27.0, 13.5, -90.0]),
}
for index, img in enumerate(images):
    for op, (fn, args) in timm_ops.items():
        for a in args:
            for interpolation in ("bilinear", "bicubic"):
                out = fn(img, a, resample=PIL_FILTERS[interpolation], fillcolor=MEAN_FILL)
                case("timm", op, a, interpolation, MEAN_FILL, index, out)
    plain = {
        "SolarizeAdd": (solarize_add, [99, 110, 0]),
        "Posterize": (posterize, [8, 4, 1, 0]),
        "Solarize": (lambda im, t, **_: ImageOps.solarize(im, t), [26, 256, 0]),
        "Brightness": (lambda im, f, **_: ImageEnhance.Brightness(im).enhance(f), [1.81, 0.19]),
        "Color": (lambda im, f, **_: ImageEnhance.Color(im).enhance(f), [1.81, 0.1]),
        "Contrast": (lambda im, f, **_: ImageEnhance.Contrast(im).enhance(f), [1.9, 0.37]),
        "Sharpness": (lambda im, f, **_: ImageEnhance.Sharpness(im).enhance(f), [1.9, 0.1]),
    }
    for op, (fn, args) in plain.items():
        for a in args:
            case("timm", op, a, "bilinear", MEAN_FILL, index, fn(img, a))

# Crop resizes as RandomResizedCrop does them: img.crop(box).resize(size, filter).
for index, img in enumerate(images):
    w, h = img.size
    for box, size in [((3, 2, w - 1, h - 4), (17, 13)), ((0, 0, w, h), (64, 57)),
                      ((5, 1, 29, 30), (24, 8)), ((1, 1, w, h - 1), (w - 1, h - 2))]:
        for interpolation in ("bilinear", "bicubic"):
            out = img.crop(box).resize(size, PIL_FILTERS[interpolation])
            manifest.append(f"resize {interpolation} {' '.join(map(str, box))} {size[0]} {size[1]} "
                            f"{index}")
            blobs.append(out.tobytes())

# torchvision's magnitude bins: _augmentation_space of each policy.
for name, space in [
        ("imagenet", tv_aa.AutoAugment()._augmentation_space(10, (40, 48))),
        ("ra", tv_aa.RandAugment()._augmentation_space(31, (40, 48))),
        ("ta_wide", tv_aa.TrivialAugmentWide()._augmentation_space(31))]:
    for op, (magnitudes, signed) in space.items():
        values = [float(v) for v in magnitudes.flatten().tolist()] if magnitudes.ndim > 0 else []
        manifest.append(f"bins {name} {op} {int(signed)} " + " ".join(repr(v) for v in values))

with open(os.path.join(out_dir, "manifest.txt"), "w") as f:
    f.write("\n".join(manifest) + "\n")
with open(os.path.join(out_dir, "pixels.bin"), "wb") as f:
    for blob in blobs:
        f.write(blob)
print(f"{sum(1 for m in manifest if m.startswith('case'))} cases")
