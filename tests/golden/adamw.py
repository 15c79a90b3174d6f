"""torch.optim.AdamW on two small parameters (one with weight decay, one without, as the
no-decay group for norm and bias), gradients a fixed function of the parameter and the step,
that tests/train/adamw_test.cpp pins train/adamw to. Run with Debian's python3-torch:

    /usr/bin/python3 tests/golden/adamw.py
"""
import torch

torch.set_printoptions(precision=10)
w = torch.nn.Parameter(torch.tensor([[0.5, -0.25, 1.0], [0.125, -2.0, 0.75]]))
b = torch.nn.Parameter(torch.tensor([0.3, -0.1, 0.02]))
opt = torch.optim.AdamW([{"params": [w], "weight_decay": 0.05}, {"params": [b], "weight_decay": 0.0}],
                        lr=0.01, betas=(0.9, 0.999), eps=1e-8)
lrs = [0.01, 0.02, 0.015, 0.004, 0.03, 0.01]
for step, lr in enumerate(lrs):
    for g in opt.param_groups:
        g["lr"] = lr
    # gradient = cos((step + 1) * p) + 0.1 * p, computed from the current values
    w.grad = torch.cos((step + 1) * w.detach()) + 0.1 * w.detach()
    b.grad = torch.cos((step + 1) * b.detach()) + 0.1 * b.detach()
    opt.step()
print("w", [f"{v:.9g}" for v in w.detach().flatten().tolist()])
print("b", [f"{v:.9g}" for v in b.detach().flatten().tolist()])
print("w exp_avg_sq", [f"{v:.9g}" for v in opt.state[w]["exp_avg_sq"].flatten().tolist()])
