"""The Python reference loop of bench/gpu_throughput.sh step 2: what the seeds ran, minus
Lightning's overhead. torchvision ImageFolder + DataLoader (RandomResizedCrop, flip, ToTensor,
Normalize in worker processes, pin_memory, persistent workers), ResNet in channels_last,
autocast (bf16, or fp16 with GradScaler), SGD with momentum. Prints images/s over the timed
steps and the share of time spent waiting for the DataLoader.

    python3 bench/pytorch_train_loop.py --data DIR --workers 16 --batch 256 --precision bf16
    python3 bench/pytorch_train_loop.py --data DIR --device cpu --arch resnet18 --img-size 64 \
        --batch 32 --workers 2 --steps 10 --warmup 3 --precision 32      # a dry run on a CPU
"""
import argparse
import time

import torch
import torch.nn.functional as F
import torchvision
from torchvision import transforms


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="folder holding train/")
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--prefetch", type=int, default=2)
    p.add_argument("--precision", choices=["32", "fp16", "bf16"], default="bf16")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--warmup", type=int, default=20)
    p.add_argument("--device", default="cuda")
    a = p.parse_args()

    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    tf = transforms.Compose([
        transforms.RandomResizedCrop(a.img_size),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
    ])
    dataset = torchvision.datasets.ImageFolder(f"{a.data}/train", tf)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=a.batch, shuffle=True, num_workers=a.workers, pin_memory=cuda,
        drop_last=True, persistent_workers=a.workers > 0,
        prefetch_factor=a.prefetch if a.workers > 0 else None)
    model = torchvision.models.__dict__[a.arch](num_classes=len(dataset.classes))
    model = model.to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    dtype = {"32": None, "fp16": torch.float16, "bf16": torch.bfloat16}[a.precision]
    scaler = torch.cuda.amp.GradScaler(enabled=a.precision == "fp16")

    def sync():
        if cuda:
            torch.cuda.synchronize()

    total = a.warmup + a.steps
    step = 0
    wait = 0.0
    it = iter(loader)
    while step < total:
        if step == a.warmup:
            sync()
            start, wait = time.time(), 0.0
        t0 = time.time()
        try:
            x, y = next(it)
        except StopIteration:
            it = iter(loader)
            x, y = next(it)
        x = x.to(dev, non_blocking=True).contiguous(memory_format=torch.channels_last)
        y = y.to(dev, non_blocking=True)
        wait += time.time() - t0
        with torch.autocast(dev.type, dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            out = model(x)
        loss = F.cross_entropy(out.float(), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        step += 1
    sync()
    dt = time.time() - start
    print(f"pytorch-loop: arch={a.arch} batch={a.batch} img_size={a.img_size} workers={a.workers} "
          f"precision={a.precision} device={a.device} torch={torch.__version__} steps={a.steps} "
          f"img_per_sec={a.batch * a.steps / dt:.1f} data_wait={wait / dt:.3f} "
          f"loss={loss.item():.4f}", flush=True)


if __name__ == "__main__":
    main()
