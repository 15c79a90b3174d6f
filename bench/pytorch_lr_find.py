"""The reference `imagenet_train lrfind` is compared with (bench/lr_find.sh): Lightning's LR
finder re-done in plain PyTorch (Lightning itself cannot be installed here), on the same JPEG
folders with the demo config's recipe.

torchvision ImageFolder + DataLoader (RandomResizedCrop, flip, ToTensor, Normalize), ResNet-18
in channels_last, SGD with Nesterov momentum and weight decay; every step at Lightning's
_ExponentialLR LR, the loss smoothed and the sweep stopped as _LRCallback does, and the
suggestion taken both ways (numpy.gradient against the LRs and against the index).

    /usr/bin/python3 bench/pytorch_lr_find.py --data data/fashion-mnist/train
"""
import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
import torchvision.transforms as T


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="data/fashion-mnist/train")
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--img-size", type=int, default=32)
    p.add_argument("--crop-scale", type=float, nargs=2, default=[0.5, 1.0])
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--min-lr", type=float, default=0.001)
    p.add_argument("--max-lr", type=float, default=5.0)
    p.add_argument("--num-training", type=int, default=100)
    p.add_argument("--threshold", type=float, default=4.0)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    start = time.time()

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    transform = T.Compose([
        T.RandomResizedCrop(a.img_size, scale=tuple(a.crop_scale)),
        T.RandomHorizontalFlip(),
        T.ToTensor(),
        T.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    data = torchvision.datasets.ImageFolder(a.data, transform=transform)
    loader = torch.utils.data.DataLoader(data, batch_size=a.batch, shuffle=True,
                                         num_workers=a.workers, drop_last=True,
                                         persistent_workers=a.workers > 0)
    model = torchvision.models.__dict__[a.arch](num_classes=len(data.classes))
    model = model.to(memory_format=torch.channels_last).train()
    opt = torch.optim.SGD(model.parameters(), lr=a.min_lr, momentum=0.9, nesterov=True,
                          weight_decay=5e-4)
    n = a.num_training
    ready = time.time()

    lrs, losses = [], []
    avg, best, step = 0.0, 0.0, 0
    beta = 0.98
    stopped = False
    while step < n and not stopped:
        for images, labels in loader:
            # _ExponentialLR: the base LR at step 0, then min * (max/min)^((k+1)/N).
            lr = a.min_lr if step == 0 else a.min_lr * (a.max_lr / a.min_lr) ** ((step + 1) / n)
            for g in opt.param_groups:
                g["lr"] = lr
            images = images.contiguous(memory_format=torch.channels_last)
            loss = F.cross_entropy(model(images), labels)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            current = loss.item()
            avg = beta * avg + (1 - beta) * current
            smoothed = avg / (1 - beta ** (step + 1))
            lrs.append(lr)
            losses.append(smoothed)
            if step > 1 and smoothed > a.threshold * best:
                stopped = True
            if smoothed < best or step == 1:
                best = smoothed
            if stopped or step >= n:
                break
    sweep = time.time() - ready

    window = [i for i in range(10, len(losses) - 1) if math.isfinite(losses[i])]
    picks = {}
    if len(window) >= 2:
        f = np.array([losses[i] for i in window])
        x = np.array([lrs[i] for i in window])
        picks = {"lr": lrs[window[int(np.argmin(np.gradient(f, x)))]],
                 "index": lrs[window[int(np.argmin(np.gradient(f)))]]}
    print(f"pytorch-lr-find: torch={torch.__version__} steps={step} of {n} "
          f"stopped_early={stopped and step < n} setup_s={ready - start:.1f} "
          f"sweep_s={sweep:.1f} img_per_sec={step * a.batch / sweep:.1f} "
          f"suggestion_lr_slope={picks.get('lr', float('nan')):.3g} "
          f"suggestion_index_slope={picks.get('index', float('nan')):.3g}", flush=True)


if __name__ == "__main__":
    main()
