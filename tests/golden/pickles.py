"""Writes tests/golden/pickles.bin: pickles of the same varied object by Python's pickle at every
protocol 0-5 (each record a 4-byte little-endian length, then the pickle), so that the opcode
walk of src/checkpoint/pickle_check.cpp is checked against every opcode layout Python writes
(tests/checkpoint/pickle_check_test.cpp: every one passes, every cut is handled).

    /usr/bin/python3 tests/golden/pickles.py
"""
import os
import pickle
import struct

here = os.path.dirname(os.path.abspath(__file__))
value = {
    "int1": 7, "int2": 300, "int4": 70000, "negative": -5, "long": 2 ** 70, "neg_long": -(2 ** 90),
    "float": 0.1, "str": "imagenet", "long_str": "x" * 300, "unicode": "été 日本",
    "bytes": b"\x00\x01", "long_bytes": bytes(300), "bytearray": bytearray(b"ab"),
    "list": [1, 2, [3, [4]]], "one": [1], "tuple": (1,), "tuple2": (1, 2), "tuple3": (1, 2, 3),
    "tuple4": (1, 2, 3, 4), "set": {1, 2}, "frozenset": frozenset({3}), "none": None,
    "true": True, "false": False, "shared": None,
}
shared = [1, 2]
value["shared"] = (shared, shared)  # memo: PUT/GET
with open(os.path.join(here, "pickles.bin"), "wb") as f:
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        data = pickle.dumps(value, protocol=protocol)
        f.write(struct.pack("<I", len(data)) + data)
        print(protocol, len(data))
