"""Writes torchvision weights the ways Python users save them, for the C++ readers of
--weights (tests/checkpoint/*_test.cpp, tests/model/model_weights_test.cpp):

    /usr/bin/python3 tests/golden/torchvision_weights.py OUT_DIR

OUT_DIR/
  od.pth          torch.save(resnet18.state_dict()): an OrderedDict (LibTorch cannot read it)
  od_p4.pth       the same with pickle_protocol=4
  lightning.ckpt  a Lightning-style checkpoint: "state_dict" under "model.", hyper_parameters as
                  a dict subclass, optimizer states, and a loss buffer outside the model
  views.pth       strided, offset, half, bfloat16, int64, bool, empty tensors and a Parameter
  legacy.pth      the pre-1.6 format (_use_new_zipfile_serialization=False)
  module.pth      torch.save(model): a whole module, not a state dict
  written.safetensors  a safetensors file written here by hand (json + raw bytes, padded header)
  reference.pt    plain dicts LibTorch's torch::pickle_load reads: "state_dict", "input",
                  "output" (eval logits), "views", "safetensors" (what the files above hold)
"""
import collections
import copy
import json
import os
import struct
import sys

import torch
import torchvision

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
model = torchvision.models.resnet18(num_classes=10)
with torch.no_grad():  # non-trivial BatchNorm statistics, so eval mode uses them
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.1, 0.1)
            m.num_batches_tracked.fill_(7)
model.eval()
x = torch.randn(2, 3, 64, 80)
with torch.no_grad():
    y = model(x)
sd = model.state_dict()
torch.save(sd, os.path.join(out, "od.pth"))
torch.save(sd, os.path.join(out, "od_p4.pth"), pickle_protocol=4)
torch.save(sd, os.path.join(out, "legacy.pth"), _use_new_zipfile_serialization=False)
torch.save(model, os.path.join(out, "module.pth"))


class AttributeDict(dict):
    pass


# Optimizer states as Lightning saves them, from a copy (a step changes the weights).
trainee = copy.deepcopy(model).train()
optimizer = torch.optim.SGD(trainee.parameters(), lr=0.1, momentum=0.9)
trainee(x).sum().backward()
optimizer.step()
lightning_sd = collections.OrderedDict(("model." + k, v) for k, v in sd.items())
lightning_sd["criterion.class_weights"] = torch.ones(10)
torch.save({"epoch": 3, "global_step": 30, "pytorch-lightning_version": "2.0.0",
            "state_dict": lightning_sd,
            "hyper_parameters": AttributeDict(lr=0.1, arch="resnet18", betas=(0.9, 0.99)),
            "optimizer_states": [optimizer.state_dict()],
            "lr_schedulers": [], "callbacks": {"ModelCheckpoint": {"best_model_score": torch.tensor(0.5)}}},
           os.path.join(out, "lightning.ckpt"))
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = collections.OrderedDict()
views["transposed"] = base.t()
views["offset"] = base.view(-1)[5:17].view(3, 4)
views["strided"] = base[:, ::2]
views["half"] = torch.randn(5).half()
views["bf16"] = torch.randn(2, 2).bfloat16()
views["i64"] = torch.arange(7) - 3
views["bool"] = torch.tensor([True, False, True])
views["empty"] = torch.zeros(0, 3)
views["param"] = torch.nn.Parameter(torch.randn(3))
torch.save(views, os.path.join(out, "views.pth"))

# safetensors by hand: the layout of huggingface/safetensors (header padded with spaces).
st = collections.OrderedDict()
st["f32"] = torch.randn(3, 4)
st["f16"] = torch.randn(5).half()
st["bf16"] = torch.randn(2, 3).bfloat16()
st["i64"] = torch.tensor([-1, 0, 2**40])
st["u8"] = torch.tensor([0, 255], dtype=torch.uint8)
st["bool"] = torch.tensor([True, False])
st["scalar"] = torch.tensor(2.5)
names = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
         torch.uint8: "U8", torch.bool: "BOOL"}
header, blobs, offset = {"__metadata__": {"format": "pt", "note": "written by hand"}}, [], 0
for k, v in reversed(st.items()):  # data order differs from the header's
    raw = v.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
    header[k] = {"dtype": names[v.dtype], "shape": list(v.shape), "data_offsets": [offset, offset + len(raw)]}
    blobs.append(raw)
    offset += len(raw)
text = json.dumps(header).encode()
text += b" " * (-(8 + len(text)) % 8 + 8)
with open(os.path.join(out, "written.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))

torch.save({"state_dict": {k: v.clone() for k, v in sd.items()}, "input": x, "output": y,
            "views": {k: v.detach().contiguous().clone() for k, v in views.items()},
            "safetensors": dict(st)},
           os.path.join(out, "reference.pt"))
