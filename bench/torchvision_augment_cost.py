"""torchvision 0.14's cost of each augmentation per image on one core, on the same 224 x 224
pattern and at the same magnitudes as bench/augment_cost.cpp (torchvision's _apply_op on a
PIL image, the policies as transforms, RandomErasing on a tensor, the crop resize), printed
as "name: us_per_image=...". Run by bench/augment_cost.sh.
"""
import sys
import time

import torch
from PIL import Image
from torchvision import transforms
from torchvision.transforms import InterpolationMode
from torchvision.transforms import autoaugment as aa

torch.set_num_threads(1)
size = int(sys.argv[1]) if len(sys.argv) > 1 else 224
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 0.3


def pattern(w, h):
    img = Image.new("RGB", (w, h))
    img.putdata([((x * 7 + y * 13) % 256, (x * x + 3 * y) % 256, (x * y + 50) % 256)
                 for y in range(h) for x in range(w)])
    return img


def time_us(body):
    for _ in range(3):
        body()
    n, start = 0, time.process_time()  # CPU time, as bench/augment_cost.cpp
    while time.process_time() - start < seconds:
        for _ in range(10):
            body()
        n += 10
    return (time.process_time() - start) / n * 1e6


img = pattern(size, size)
modes = {"nearest": InterpolationMode.NEAREST, "bilinear": InterpolationMode.BILINEAR,
         "bicubic": InterpolationMode.BICUBIC}
ops = [("ShearX", 0.495), ("ShearY", 0.495), ("TranslateX", 16.0), ("TranslateY", 16.0),
       ("Rotate", 67.5), ("Brightness", 0.495), ("Color", 0.495), ("Contrast", 0.495),
       ("Sharpness", 0.495), ("Posterize", 5), ("Solarize", 127.5), ("AutoContrast", 0.0),
       ("Equalize", 0.0), ("Invert", 0.0), ("Identity", 0.0)]
geometric = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"}
for name, m in ops:
    for interp in (["nearest", "bilinear", "bicubic"] if name in geometric else ["nearest"]):
        us = time_us(lambda: aa._apply_op(img, name, m, modes[interp], None))
        label = f"op {name} {interp}" if name in geometric else f"op {name}"
        print(f"{label}: us_per_image={us:.2f}", flush=True)
for spec, make in [("ta_wide", lambda i: aa.TrivialAugmentWide(interpolation=i)),
                   ("ra", lambda i: aa.RandAugment(interpolation=i)),
                   ("imagenet", lambda i: aa.AutoAugment(interpolation=i))]:
    for interp in ("bilinear", "bicubic"):
        t = make(modes[interp])
        print(f"policy {spec} {interp}: us_per_image={time_us(lambda: t(img)):.2f}", flush=True)
tensor = transforms.functional.to_tensor(img)
erase = transforms.RandomErasing(p=1.0, value=0)
print(f"erase const: us_per_image={time_us(lambda: erase(tensor.clone())):.2f}", flush=True)
erase = transforms.RandomErasing(p=1.0, value="random")
print(f"erase pixel: us_per_image={time_us(lambda: erase(tensor.clone())):.2f}", flush=True)
photo = pattern(500, 375)
for interp, f in [("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC)]:
    us = time_us(lambda: photo.crop((50, 40, 450, 340)).resize((size, size), f))
    print(f"resize 400x300 to {size} {interp}: us_per_image={us:.2f}", flush=True)
