"""PyTorch's DistributedDataParallel on the CPU with Gloo: the reference that
`imagenet_train bench-ddp` is compared with (bench/ddp_overlap.sh).

Same step as TrainStep (torchvision ResNet, channels_last, SGD with momentum and weight
decay, cross entropy), timed in modes that differ only in the gradient all-reduce, the modes
taking turns round after round:
  compute only     the bare model, no all-reduce
  after backward   DDP.no_sync() for backward, then the gradients all-reduced in 25 MiB
                   flattened buckets (what a reducer without hooks does)
  overlapped       DDP as is (its reducer starts buckets from the gradient hooks)

    /usr/bin/python3 bench/ddp_overlap.py --world 2 --arch resnet50 --batch 8 --img-size 64
"""
import argparse
import os
import statistics
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn.functional as F
import torchvision


def bucketed_allreduce(params, world, cap_bytes=25 * 1024 * 1024):
    grads = [p.grad for p in reversed(list(params)) if p.grad is not None]
    bucket, size = [], 0
    for g in grads + [None]:
        if g is not None:
            bucket.append(g)
            size += g.numel() * g.element_size()
        if bucket and (g is None or size >= cap_bytes):
            flat = torch.cat([t.reshape(-1) for t in bucket]).div_(world)
            dist.all_reduce(flat)
            offset = 0
            for t in bucket:
                t.copy_(flat[offset:offset + t.numel()].view_as(t))
                offset += t.numel()
            bucket, size = [], 0


def worker(rank, a):
    torch.set_num_threads(a.threads)
    dist.init_process_group("gloo", rank=rank, world_size=a.world)
    torch.manual_seed(0)
    model = torchvision.models.__dict__[a.arch](num_classes=a.num_classes)
    model = model.to(memory_format=torch.channels_last)
    ddp = torch.nn.parallel.DistributedDataParallel(model, gradient_as_bucket_view=True)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=1e-4)
    torch.manual_seed(1000 + rank)
    x = torch.randn(a.batch, 3, a.img_size, a.img_size).contiguous(
        memory_format=torch.channels_last)
    y = torch.randint(a.num_classes, (a.batch,))

    def step(mode):
        opt.zero_grad(set_to_none=False)
        if mode == "compute only":
            F.cross_entropy(model(x), y).backward()
        elif mode == "after backward":
            with ddp.no_sync():
                F.cross_entropy(ddp(x), y).backward()
            bucketed_allreduce(model.parameters(), a.world)
        else:
            F.cross_entropy(ddp(x), y).backward()
        opt.step()

    modes = ["compute only", "after backward", "overlapped"]
    times = {m: [] for m in modes}
    for _ in range(a.rounds):
        for mode in modes:
            for _ in range(a.warmup):
                step(mode)
            dist.barrier()
            t0 = time.perf_counter()
            for _ in range(a.steps):
                step(mode)
            dist.barrier()
            times[mode].append(1000 * (time.perf_counter() - t0) / a.steps)
    if rank == 0:
        print("pytorch-ddp: arch=%s batch=%d per rank img_size=%d world=%d threads=%d torch=%s"
              % (a.arch, a.batch, a.img_size, a.world, a.threads, torch.__version__))
        for mode in modes:
            v = times[mode]
            print("pytorch-ddp: %-15s ms_per_step median=%.1f min=%.1f max=%.1f"
                  % (mode, statistics.median(v), min(v), max(v)))
        print("pytorch-ddp: overlapped / after = %.3f" % (
            statistics.median(times["overlapped"]) / statistics.median(times["after backward"])))
    dist.destroy_process_group()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--img-size", type=int, default=64)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--threads", type=int, default=0, help="per process; 0: cores / world")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--port", type=int, default=29512)
    a = p.parse_args()
    a.threads = a.threads or max(1, (os.cpu_count() or 2) // a.world)
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ["MASTER_PORT"] = str(a.port)
    mp.spawn(worker, args=(a,), nprocs=a.world)


if __name__ == "__main__":
    main()
