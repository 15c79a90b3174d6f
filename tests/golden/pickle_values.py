"""Writes pickles of one nested value in every protocol (0-5) with Python's own pickle module,
and the value's canonical text, for tests/checkpoint/pickle_reader_test.cpp.

    /usr/bin/python3 tests/golden/pickle_values.py OUT_DIR

OUT_DIR/p<N>.pkl for protocol N, OUT_DIR/expected.txt the canonical form (see canon below,
mirrored by the test's dump()).
"""
import collections
import os
import pickle
import sys


class Namespace:  # an object whose class is not a container: pickled by reference
    def __init__(self):
        self.lr = 0.1
        self.name = "run"


class AttributeDict(dict):  # a dict subclass, as Lightning's hyper_parameters
    pass


def canon(v):
    if v is None:
        return "None"
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return "%.17g" % v
    if isinstance(v, str):
        return "s" + repr(v.encode("utf-8").hex())
    if isinstance(v, bytes):
        return "b" + repr(v.hex())
    if isinstance(v, tuple):
        return "(" + ",".join(canon(x) for x in v) + ")"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if isinstance(v, AttributeDict):
        return "obj:__main__.AttributeDict{" + ",".join(canon(k) + ":" + canon(x) for k, x in v.items()) + "}"
    if isinstance(v, dict):
        return "{" + ",".join(canon(k) + ":" + canon(x) for k, x in v.items()) + "}"
    if isinstance(v, Namespace):
        return "obj:__main__.Namespace"
    raise TypeError(type(v))


shared = [1, 2]
value = collections.OrderedDict()
value["ints"] = [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31 - 1, 2**31, -2**63, 2**63 - 1]
value["floats"] = (0.5, -2.25e-300, 1e300, 0.1)
value["text"] = ["", "a", "é ✓", "x" * 300]
value["bytes"] = b"\x00\xffabc"
value["flags"] = (True, False, None)
value["nested"] = {"a": {"b": {"c": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)]}}}
value["shared"] = (shared, shared)
value["hparams"] = AttributeDict(lr=0.5, epochs=3)
value["ns"] = Namespace()
value[7] = "int key"

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for protocol in range(6):
    with open(os.path.join(out, f"p{protocol}.pkl"), "wb") as f:
        pickle.dump(value, f, protocol=protocol)
with open(os.path.join(out, "expected.txt"), "w") as f:
    f.write(canon(value) + "\n")
