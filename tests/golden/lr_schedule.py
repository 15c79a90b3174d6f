"""LRs of PyTorch's own schedulers, stepped once per optimizer step, that
tests/train/lr_schedule_test.cpp pins train/lr_schedule to:

    SequentialLR([LinearLR(start_factor, total_iters=warmup),
                  CosineAnnealingLR(T_max=total - warmup, eta_min)], milestones=[warmup])

and, for step decay (milestones counted from the first step, as timm's step schedulers count
epochs; PyTorch's MultiStepLR restarts counting after the warmup, so it gets them shifted):

    SequentialLR([LinearLR(start_factor, total_iters=warmup),
                  MultiStepLR(milestones=[m - warmup ...], gamma)], milestones=[warmup])

StepLR(step_size, gamma) is MultiStepLR with milestones step_size, 2 step_size, ...

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/lr_schedule.py
"""
import torch

cases = [  # base_lr, lr_min, start_factor, warmup, total, kind
    (0.5, 0.0, 0.01, 25, 300, "cosine"),
    (0.357, 1e-5, 0.1, 0, 50, "cosine"),
    (0.1, 0.0, 0.01, 10, 40, "constant"),
]
for base, lr_min, factor, warmup, total, kind in cases:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    after = (torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total - warmup, eta_min=lr_min)
             if kind == "cosine" else torch.optim.lr_scheduler.ConstantLR(opt, factor=1.0, total_iters=0))
    if warmup:
        sched = torch.optim.lr_scheduler.SequentialLR(
            opt, [torch.optim.lr_scheduler.LinearLR(opt, start_factor=factor, total_iters=warmup), after],
            milestones=[warmup])
    else:
        sched = after
    lrs = []
    for step in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    picks = sorted(set([0, 1, warmup - 1 if warmup else 0, warmup, warmup + 1, total // 2, total - 2, total - 1]))
    print(f"// {kind} base={base} lr_min={lr_min} start_factor={factor} warmup={warmup} total={total}")
    print("{" + ", ".join(f"{{{s}, {lrs[s]!r}}}" for s in picks) + "},")

step_cases = [  # base_lr, start_factor, warmup, total, milestones, gamma
    (0.1, 0.01, 0, 90, [30, 60], 0.1),       # torchvision's classic StepLR(30, 0.1), 90 epochs
    (0.8, 0.1, 5, 40, [10, 25, 35], 0.5),    # warmup, then MultiStepLR
    (0.2, 0.01, 0, 12, [3, 6, 9], 0.1),      # StepLR(3): same as MultiStepLR([3, 6, 9])
]
for base, factor, warmup, total, milestones, gamma in step_cases:
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base)
    if milestones == [3, 6, 9]:
        after = torch.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=gamma)
    else:
        after = torch.optim.lr_scheduler.MultiStepLR(opt, [m - warmup for m in milestones], gamma)
    sched = after if not warmup else torch.optim.lr_scheduler.SequentialLR(
        opt, [torch.optim.lr_scheduler.LinearLR(opt, start_factor=factor, total_iters=warmup), after],
        milestones=[warmup])
    lrs = []
    for step in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    picks = sorted(set([0, 1, max(0, warmup - 1), warmup] + [m - 1 for m in milestones] + milestones
                       + [total - 1]))
    print(f"// multistep base={base} start_factor={factor} warmup={warmup} total={total} "
          f"milestones={milestones} gamma={gamma}")
    print("{" + ", ".join(f"{{{s}, {lrs[s]!r}}}" for s in picks) + "},")
