"""Writes a torchvision ResNet's weights, an input batch and the eval-mode output, for
tests/model/resnet_torchvision_test.cpp to check that our ResNet computes the same function
with the same parameter names.

    /usr/bin/python3 tests/golden/torchvision_resnet.py OUT.pt resnet18 10
"""
import sys

import torch
import torchvision

out, arch, classes = sys.argv[1], sys.argv[2], int(sys.argv[3])
torch.manual_seed(0)
model = torchvision.models.__dict__[arch](num_classes=classes)
# Non-trivial BatchNorm statistics, so eval mode uses real running means and variances.
with torch.no_grad():
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.1, 0.1)
model.eval()
x = torch.randn(2, 3, 64, 80)
with torch.no_grad():
    y = model(x)
# A plain dict (not an OrderedDict), which LibTorch's unpickler reads.
torch.save({"state_dict": dict(model.state_dict()), "input": x, "output": y}, out)
