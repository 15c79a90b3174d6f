"""PyTorch's own training step on synthetic input already on the GPU: the reference that
`imagenet_train bench-model` is compared with (bench/gpu_throughput.sh, step 1).

torchvision ResNet, channels_last, autocast (bf16, or fp16 with GradScaler), SGD with
momentum and weight decay (foreach), cuDNN benchmark and TF32 on; eager or torch.compile.

    python3 bench/pytorch_model_step.py --precision bf16 [--compile] [--batch 256]
"""
import argparse
import time

import torch
import torch.nn.functional as F
import torchvision


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", default="resnet50")
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--img-size", type=int, default=224)
    p.add_argument("--num-classes", type=int, default=1000)
    p.add_argument("--precision", choices=["32", "fp16", "bf16"], default="bf16")
    p.add_argument("--compile", action="store_true")
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--warmup", type=int, default=15)
    a = p.parse_args()

    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    dev = torch.device("cuda")
    model = torchvision.models.__dict__[a.arch](num_classes=a.num_classes)
    model = model.to(dev).to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4, foreach=True)
    dtype = {"32": None, "fp16": torch.float16, "bf16": torch.bfloat16}[a.precision]
    scaler = torch.amp.GradScaler("cuda", enabled=a.precision == "fp16")
    forward = torch.compile(model) if a.compile else model
    x = torch.randn(a.batch, 3, a.img_size, a.img_size, device=dev).contiguous(
        memory_format=torch.channels_last)
    y = torch.randint(a.num_classes, (a.batch,), device=dev)

    def step():
        with torch.autocast("cuda", dtype=dtype or torch.bfloat16, enabled=dtype is not None):
            out = forward(x)
        loss = F.cross_entropy(out.float(), y)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        return loss

    t0 = time.time()
    for _ in range(a.warmup):
        step()
    torch.cuda.synchronize()
    warm = time.time() - t0
    t0 = time.time()
    for _ in range(a.steps):
        loss = step()
    torch.cuda.synchronize()
    dt = time.time() - t0
    mode = "compile" if a.compile else "eager"
    print(f"pytorch-model: arch={a.arch} batch={a.batch} precision={a.precision} mode={mode} "
          f"torch={torch.__version__} warmup_s={warm:.1f} ms_per_step={1000 * dt / a.steps:.2f} "
          f"img_per_sec={a.batch * a.steps / dt:.1f} loss={loss.item():.4f}", flush=True)


if __name__ == "__main__":
    main()
