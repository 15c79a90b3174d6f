"""Statistics of torchvision's RandomResizedCrop.get_params, the reference that
tests/data/crop_test.cpp pins our sampler to.  Run with Debian's python3-torchvision:

    /usr/bin/python3 tests/golden/rrc_stats.py
"""
import math

import torch
from torchvision.transforms import RandomResizedCrop

torch.manual_seed(0)
draws = 200_000
for width, height, scale, ratio in [
    (500, 375, (0.08, 1.0), (3 / 4, 4 / 3)),
    (64, 640, (0.08, 1.0), (3 / 4, 4 / 3)),
    (200, 200, (0.35, 1.0), (3 / 4, 4 / 3)),
]:
    img = torch.empty(3, height, width)
    area = fallback = log_aspect = cx = 0.0
    for _ in range(draws):
        i, j, h, w = RandomResizedCrop.get_params(img, list(scale), list(ratio))
        area += h * w / (width * height)
        log_aspect += math.log(w / h)
        cx += (j + w / 2) / width
    print(f"{{{width}, {height}, {{{scale[0]}, {scale[1]}}}, {area / draws:.4f}, "
          f"{log_aspect / draws:.4f}, {cx / draws:.4f}}},")
