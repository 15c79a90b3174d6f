"""Reference values of Lightning's LR finder (tuner/lr_finder.py at 7f0c3436, see
../shared/reference/lightning.md section 4.3) that tests/lrfind/lr_sweep_test.cpp and
tests/lrfind/lr_suggestion_test.cpp pin lrfind/ to:

1. the LR of every step: Lightning's _ExponentialLR / _LinearLR, copied below, driven by
   PyTorch's own scheduler machinery (stepped once per optimizer step, the LR read at batch
   start as _LRCallback.on_train_batch_start does);
2. the smoothed loss and the early stop of _LRCallback.on_train_batch_end (copied below);
3. the suggestion: numpy.gradient of the smoothed losses against the LR values (Lightning
   >= 2.5.3: torch.gradient(losses, spacing=[lrs])) and against the index (before 2.5.3:
   np.gradient(losses)), after dropping the first skip_begin and the last skip_end points and
   the non-finite losses; the argmin is also checked with torch.gradient in float32, as
   Lightning computes it.

Run with Debian's python3-torch:  /usr/bin/python3 tests/golden/lr_finder.py
"""
import math

import numpy as np
import torch

try:
    from torch.optim.lr_scheduler import LRScheduler
except ImportError:  # torch < 2.0
    from torch.optim.lr_scheduler import _LRScheduler as LRScheduler


class _LinearLR(LRScheduler):  # lightning/pytorch/tuner/lr_finder.py
    def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
        self.end_lr = end_lr
        self.num_iter = num_iter
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        curr_iter = self.last_epoch + 1
        r = curr_iter / self.num_iter
        if self.last_epoch > 0:
            return [base_lr + r * (self.end_lr - base_lr) for base_lr in self.base_lrs]
        return list(self.base_lrs)


class _ExponentialLR(LRScheduler):  # lightning/pytorch/tuner/lr_finder.py
    def __init__(self, optimizer, end_lr, num_iter, last_epoch=-1):
        self.end_lr = end_lr
        self.num_iter = num_iter
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        curr_iter = self.last_epoch + 1
        r = curr_iter / self.num_iter
        if self.last_epoch > 0:
            return [base_lr * (self.end_lr / base_lr) ** r for base_lr in self.base_lrs]
        return list(self.base_lrs)


def sweep_lrs(min_lr, max_lr, num_training, mode):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=min_lr)
    cls = _ExponentialLR if mode == "exponential" else _LinearLR
    sched = cls(opt, max_lr, num_training)
    lrs = []
    for _ in range(num_training):
        lrs.append(opt.param_groups[0]["lr"])  # on_train_batch_start
        opt.step()
        sched.step()  # interval "step"
    return lrs


def smooth(losses, beta=0.98, early_stop_threshold=4.0):
    """_LRCallback.on_train_batch_end; global_step is 1 after the first optimizer step."""
    avg_loss, best_loss, out = 0.0, 0.0, []
    for i, current_loss in enumerate(losses):
        current_step = i + 1
        avg_loss = beta * avg_loss + (1 - beta) * current_loss
        smoothed_loss = avg_loss / (1 - beta ** (current_step + 1))
        stop = (early_stop_threshold is not None and current_step > 1
                and smoothed_loss > early_stop_threshold * best_loss)
        if smoothed_loss < best_loss or current_step == 1:
            best_loss = smoothed_loss
        out.append(smoothed_loss)
        if stop:
            break
    return out


def window(lrs, losses, skip_begin, skip_end):
    """The points the suggestion looks at: [skip_begin:-skip_end], finite losses only, with
    their indices in the whole sweep (skip_end 0 means none dropped at the end)."""
    end = len(losses) - skip_end
    idx = [i for i in range(skip_begin, end) if math.isfinite(losses[i])]
    return idx, [lrs[i] for i in idx], [losses[i] for i in idx]


def suggestion(lrs, losses, slope, skip_begin=10, skip_end=1):
    idx, x, f = window(lrs, losses, skip_begin, skip_end)
    if len(f) < 2:
        return None, None
    g = np.gradient(np.array(f), np.array(x)) if slope == "lr" else np.gradient(np.array(f))
    k = int(np.argmin(g))
    # Lightning computes in float32; the argmin must not depend on that for these curves.
    t = (torch.gradient(torch.tensor(f), spacing=[torch.tensor(x)])[0] if slope == "lr"
         else torch.gradient(torch.tensor(f))[0])
    assert int(torch.argmin(t)) == k, (slope, int(torch.argmin(t)), k)
    return idx[k], g


def curve(name, n, lrs):
    """The fixed loss curves of the test (the C++ test builds the same from these formulas)."""
    out = []
    for i, lr in enumerate(lrs):
        t = math.log10(lr)
        base = 2.3 - 1.2 / (1 + math.exp(-3.0 * (t + 1.5))) + 2.0 / (1 + math.exp(-6.0 * (t - 0.3)))
        if name == "clean":
            out.append(base)
        elif name == "noisy":
            out.append(base + 0.25 * math.sin(2.3 * i) * math.cos(0.7 * i))
        elif name == "nonfinite":
            v = base + 0.1 * math.sin(1.7 * i)
            out.append(math.nan if i in (3, 20, 41) else math.inf if i in (33, 58) else v)
    return out


def cpp(values):
    return "{" + ", ".join(repr(float(v)) for v in values) + "}"


print("// LR sequences (tests/lrfind/lr_sweep_test.cpp)")
for min_lr, max_lr, n, mode in [(1e-3, 5.0, 100, "exponential"), (1e-3, 5.0, 100, "linear"),
                                (1e-8, 1.0, 7, "exponential"), (0.01, 0.5, 7, "linear")]:
    lrs = sweep_lrs(min_lr, max_lr, n, mode)
    picks = sorted({0, 1, 2, n // 2, n - 2, n - 1})
    print(f"// {mode} {min_lr} -> {max_lr}, num_training {n}")
    print("{" + ", ".join(f"{{{k}, {lrs[k]!r}}}" for k in picks) + "},")

print("\n// smoothing (tests/lrfind/lr_sweep_test.cpp)")
raw = [2.5, 2.4, 2.45, 2.3, 2.2, 2.25, 2.0, 1.9, 2.1, 1.8, 1.7, 1.75]
print("// raw", cpp(raw))
print("// smoothed, no early stop", cpp(smooth(raw, early_stop_threshold=None)))
print("// beta 0.9", cpp(smooth(raw, beta=0.9, early_stop_threshold=None)))
diverging = [2.0, 1.8, 1.6, 1.5, 1.4, 1.3, 1.5, 3.0, 9.0, 30.0, 90.0, 300.0, 900.0, 2000.0]
s = smooth(diverging)
print("// diverging", cpp(diverging))
print(f"// stops after step {len(s)} (threshold 4):", cpp(s))
s = smooth(diverging, early_stop_threshold=1.2)
print(f"// stops after step {len(s)} (threshold 1.2):", cpp(s))

print("\n// suggestions (tests/lrfind/lr_suggestion_test.cpp)")
lrs = sweep_lrs(1e-3, 5.0, 100, "exponential")
for name in ["clean", "noisy", "nonfinite"]:
    losses = curve(name, 100, lrs)
    for slope in ["lr", "index"]:
        k, g = suggestion(lrs, losses, slope)
        print(f"// {name}, slope {slope}: index {k}, lr {lrs[k]!r}, gradient[0,1,5,-2,-1] "
              f"{cpp([g[0], g[1], g[5], g[-2], g[-1]])}, points {len(g)}")

print("\n// short curves: skip_begin 10, skip_end 1")
for n in [12, 13, 14]:
    lrs_n = sweep_lrs(1e-3, 5.0, n, "exponential")
    losses = curve("clean", n, lrs_n)
    for slope in ["lr", "index"]:
        k, g = suggestion(lrs_n, losses, slope)
        print(f"// n {n}, slope {slope}: index {k}" + ("" if g is None else f", gradient {cpp(g)}"))

print("\n// numpy.gradient on a small non-uniform grid")
x = [0.1, 0.15, 0.3, 0.32, 0.8, 1.0]
f = [3.0, 2.9, 2.5, 2.6, 1.0, 4.0]
print("// x", cpp(x), "f", cpp(f))
print("// by x", cpp(np.gradient(np.array(f), np.array(x))))
print("// by index", cpp(np.gradient(np.array(f))))
