"""Loads a safetensors file of ResNet weights into torchvision, the way a Python user without
the safetensors package would (json + torch.frombuffer), strictly, and checks torchvision's
logits against the ones imagenet_train computed:

    /usr/bin/python3 tests/golden/check_safetensors.py MODEL.safetensors LOGITS.safetensors

MODEL.safetensors: the weights, with __metadata__ "arch" (a torchvision model name).
LOGITS.safetensors: "input" [N, 3, H, W] and "output" [N, classes], our model's eval logits.
Prints the metadata and "max_abs_diff <x> of max_abs <y>"; exits 1 when they disagree.
"""
import json
import struct
import sys

import torch
import torchvision

DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16,
          "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32, "I16": torch.int16,
          "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool}


def load(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    tensors = {}
    covered = 0
    for name, info in header.items():
        begin, end = info["data_offsets"]
        covered += end - begin
        dtype = DTYPES[info["dtype"]]
        flat = torch.frombuffer(bytearray(buffer[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(info["shape"])
    assert covered == len(buffer), f"{covered} of {len(buffer)} data bytes belong to tensors"
    return tensors, metadata


def torchvision_model(path):
    """The torchvision ResNet of the file's "arch" with its weights, strictly loaded, in eval."""
    weights, metadata = load(path)
    classes = weights["fc.weight"].shape[0]
    model = torchvision.models.__dict__[metadata["arch"]](num_classes=classes)
    model.load_state_dict(weights, strict=True)
    return model.eval(), metadata


if __name__ == "__main__":
    model, metadata = torchvision_model(sys.argv[1])
    logits, _ = load(sys.argv[2])
    print("metadata", json.dumps(metadata, sort_keys=True))
    with torch.no_grad():
        out = model(logits["input"])
    diff = (out - logits["output"]).abs().max().item()
    scale = logits["output"].abs().max().item()
    print(f"max_abs_diff {diff} of max_abs {scale}")
    sys.exit(0 if diff <= 1e-4 * max(scale, 1.0) else 1)
