"""Writes tests/golden/torch_save_small.pt, a small torch.save archive (zip64 end records, stored
entries with CRC-32s, as every checkpoint is), and prints its entries as Python's zipfile reads
them: the names, sizes and CRCs pinned in tests/checkpoint/zip_check_test.cpp.

    /usr/bin/python3 tests/golden/torch_save_small.py
"""
import os
import zipfile

import torch

here = os.path.dirname(os.path.abspath(__file__))
path = os.path.join(here, "torch_save_small.pt")
torch.save({"weight": torch.arange(10, dtype=torch.float32), "step": 7}, path)
with zipfile.ZipFile(path) as z:
    assert z.testzip() is None
    for info in z.infolist():
        print(f'{{"{info.filename}", {info.file_size}, 0x{info.CRC:08x}}},')
