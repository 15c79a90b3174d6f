"""Checks `imagenet_train predict` against torchvision: the exported safetensors file loaded
strictly into torchvision's ResNet (check_safetensors.py), each image preprocessed with Pillow as
the file's "preprocessing" metadata says (the window of torchvision's Resize(crop / crop_ratio)
+ CenterCrop(crop) cut from the image and resized to crop x crop with Pillow's bilinear filter,
ToTensor, Normalize), and its softmax compared with predict's CSV rows:

    /usr/bin/python3 tests/golden/check_predictions.py MODEL.safetensors PREDS.csv

Rows with an error must have no classes. Prints "images <n> max_prob_diff <x> top1_agree <k>";
exits 1 when a probability differs by more than TOLERANCE or a top-1 class differs where
torchvision's margin between its first two classes is above that. The pixels are not identical:
the JPEG decoder scales the DCT when the window is much larger than the crop, and resizes from
the window's exact (fractional) bounds; at the e2e test's 32x32 crops of a barely trained
ResNet-18 that moves probabilities by up to 0.02 (JPEG) and 0.01 (PNG), 2026-12-02. A wrong
channel order, normalization, class order or weight moves them far more.
"""
import csv
import json
import os
import sys

import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_safetensors import torchvision_model  # noqa: E402


TOLERANCE = 0.05


def window(width, height, size, crop_ratio):
    """data/crop.cpp center_crop_window: Resize + CenterCrop mapped back to source pixels."""
    resize = int(size / crop_ratio)
    wide = width >= height
    short, long_ = (height, width) if wide else (width, height)
    new_long = int(resize * long_ / short)
    new_w, new_h = (new_long, resize) if wide else (resize, new_long)
    crop_w, crop_h = min(size, new_w), min(size, new_h)
    top, left = round((new_h - crop_h) / 2.0), round((new_w - crop_w) / 2.0)
    sx, sy = width / new_w, height / new_h
    x, y = int(round(left * sx)), int(round(top * sy))
    w = max(1, min(width - x, int(round(crop_w * sx))))
    h = max(1, min(height - y, int(round(crop_h * sy))))
    return x, y, w, h


model, metadata = torchvision_model(sys.argv[1])
classes = json.loads(metadata["classes"])
pre = json.loads(metadata["preprocessing"])
mean = torch.tensor(pre["mean"]).view(3, 1, 1)
std = torch.tensor(pre["std"]).view(3, 1, 1)
size = pre["crop"]

worst, agree, images, bad = 0.0, 0, 0, []
with open(sys.argv[2], newline="") as f:
    for row in csv.DictReader(f):
        if row["error"]:
            if row["class1"]:
                bad.append(f"{row['image']}: an error and classes")
            continue
        img = Image.open(row["image"]).convert("RGB")
        x, y, w, h = window(img.width, img.height, size, pre["crop_ratio"])
        img = img.resize((size, size), Image.BILINEAR, box=(x, y, x + w, y + h))
        t = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
        t = t.view(size, size, 3).permute(2, 0, 1).float() / 255.0
        with torch.no_grad():
            probs = model(((t - mean) / std).unsqueeze(0)).softmax(1)[0]
        images += 1
        k = 1
        while f"class{k}" in row and row[f"class{k}"]:
            p = float(row[f"prob{k}"])
            worst = max(worst, abs(p - probs[classes.index(row[f"class{k}"])].item()))
            k += 1
        top2 = probs.topk(2).values
        if classes[probs.argmax().item()] == row["class1"]:
            agree += 1
        elif (top2[0] - top2[1]).item() > TOLERANCE:
            bad.append(f"{row['image']}: top-1 {row['class1']}, torchvision's {classes[probs.argmax()]}")
print(f"images {images} max_prob_diff {worst:.6f} top1_agree {agree}")
for b in bad:
    print("FAIL", b)
sys.exit(0 if images > 0 and worst <= TOLERANCE and not bad else 1)
