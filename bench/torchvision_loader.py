"""The Python references of bench/data_loader.sh: torchvision's standard ImageFolder +
DataLoader training pipeline, timed on the same JPEG files as `imagenet_train bench-data`.

  standard: RandomResizedCrop(224), RandomHorizontalFlip, ToTensor, Normalize (float batches)
  uint8:    RandomResizedCrop(224), RandomHorizontalFlip, PILToTensor (uint8 batches)

--auto-augment ta_wide | ra adds TrivialAugmentWide or RandAugment (2 ops, magnitude 9) after
the flip, with bilinear interpolation, as torchvision's references/classification presets do.

    /usr/bin/python3 bench/torchvision_loader.py --root data/imagenet-like --mode standard \\
        --workers 2 --batch 64 --batches 40 --warmup 5
"""
import argparse
import os
import resource
import time

import torch
import torchvision
from torchvision import transforms as T


def cpu_seconds():
    """CPU time of this process and its (DataLoader worker) children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    # Workers are still alive while timing, so read their time from /proc instead of RUSAGE_CHILDREN.
    total = own.ru_utime + own.ru_stime
    tick = os.sysconf("SC_CLK_TCK")
    for pid in _children():
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except OSError:
            pass
    return total


def _children():
    try:
        text = open(f"/proc/{os.getpid()}/task/{os.getpid()}/children").read()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--mode", choices=["standard", "uint8"], default="standard")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--batches", type=int, default=40)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--auto-augment", choices=["none", "ta_wide", "ra"], default="none")
    a = p.parse_args()
    torch.set_num_threads(1)

    steps = [T.RandomResizedCrop(a.img_size), T.RandomHorizontalFlip()]
    bilinear = T.InterpolationMode.BILINEAR
    if a.auto_augment == "ta_wide":
        steps.append(T.TrivialAugmentWide(interpolation=bilinear))
    elif a.auto_augment == "ra":
        steps.append(T.RandAugment(interpolation=bilinear))
    if a.mode == "standard":
        steps += [T.ToTensor(), T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]
    else:
        steps += [T.PILToTensor()]
    dataset = torchvision.datasets.ImageFolder(os.path.join(a.root, "train"), T.Compose(steps))
    loader = torch.utils.data.DataLoader(dataset, batch_size=a.batch, shuffle=True,
                                         num_workers=a.workers, drop_last=True,
                                         persistent_workers=a.workers > 0)

    def batches():
        while True:
            for images, labels in loader:
                yield images

    it = batches()
    for _ in range(a.warmup):
        next(it)
    start, cpu_start = time.perf_counter(), cpu_seconds()
    images = 0
    for _ in range(a.batches):
        images += next(it).shape[0]
    seconds = time.perf_counter() - start
    cpu = cpu_seconds() - cpu_start
    print(f"torchvision-{a.mode}: auto_augment={a.auto_augment} images={images} seconds={seconds:.2f} "
          f"img_per_sec={images / seconds:.1f} workers={a.workers} cpu_util={cpu / seconds:.2f} "
          f"img_per_cpu_sec={images / cpu:.1f} torch={torch.__version__} "
          f"torchvision={torchvision.__version__}", flush=True)


if __name__ == "__main__":
    main()
