"""Reads TensorBoard event files independently of imagenet_train's C++ code: the TFRecord framing
is parsed here and both CRCs are checked with Debian's python3-crc32c; the Event messages are
decoded by Python's protobuf (python3-protobuf) with message types built below from TensorBoard's
field numbers (tensorboard/compat/proto), not from our .proto file.

    /usr/bin/python3 tests/golden/read_tfevents.py FILE...

Prints, per file, "file_version\t<version>" for its first record, then one line per value:
"<step>\t<tag>\tscalar\t<float>" or "<step>\t<tag>\ttext:<plugin>\t<JSON string>", a SessionLog
as "<step>\tsession_log\t<status number>" (1 = START), and "wall_time\t<min>\t<max>" over the
file's events. Exits 1 naming the record on a bad frame.
"""
import json
import struct
import sys

import crc32c
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def message(file, name, fields, nested=()):
    m = file.message_type.add() if isinstance(file, descriptor_pb2.FileDescriptorProto) else file.nested_type.add()
    m.name = name
    for args in nested:
        message(m, *args)
    for field_name, number, type_, label, type_name, oneof in fields:
        f = m.field.add(name=field_name, number=number, type=type_, label=label)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = oneof
    return m


OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
proto = descriptor_pb2.FileDescriptorProto(name="tb_check.proto", package="tbcheck", syntax="proto3")
message(proto, "Dim", [("size", 1, F.TYPE_INT64, OPT, None, None)])
message(proto, "Shape", [("dim", 2, F.TYPE_MESSAGE, REP, ".tbcheck.Dim", None)])
message(proto, "Tensor", [("dtype", 1, F.TYPE_INT32, OPT, None, None),
                          ("tensor_shape", 2, F.TYPE_MESSAGE, OPT, ".tbcheck.Shape", None),
                          ("string_val", 8, F.TYPE_BYTES, REP, None, None)])
message(proto, "PluginData", [("plugin_name", 1, F.TYPE_STRING, OPT, None, None),
                              ("content", 2, F.TYPE_BYTES, OPT, None, None)])
message(proto, "Metadata", [("plugin_data", 1, F.TYPE_MESSAGE, OPT, ".tbcheck.PluginData", None)])
value = message(proto, "Value", [("tag", 1, F.TYPE_STRING, OPT, None, None),
                                 ("simple_value", 2, F.TYPE_FLOAT, OPT, None, 0),
                                 ("tensor", 8, F.TYPE_MESSAGE, OPT, ".tbcheck.Tensor", 0),
                                 ("metadata", 9, F.TYPE_MESSAGE, OPT, ".tbcheck.Metadata", None)])
value.oneof_decl.add(name="value")
message(proto, "Summary", [("value", 1, F.TYPE_MESSAGE, REP, ".tbcheck.Value", None)])
message(proto, "SessionLog", [("status", 1, F.TYPE_INT32, OPT, None, None)])
event = message(proto, "Event", [("wall_time", 1, F.TYPE_DOUBLE, OPT, None, None),
                                 ("step", 2, F.TYPE_INT64, OPT, None, None),
                                 ("file_version", 3, F.TYPE_STRING, OPT, None, 0),
                                 ("summary", 5, F.TYPE_MESSAGE, OPT, ".tbcheck.Summary", 0),
                                 ("session_log", 6, F.TYPE_MESSAGE, OPT, ".tbcheck.SessionLog", 0)])
event.oneof_decl.add(name="what")
pool = descriptor_pool.DescriptorPool()
pool.Add(proto)
Event = message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName("tbcheck.Event"))
DT_STRING = 7


def masked(data):
    crc = crc32c.crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    data = open(path, "rb").read()
    at, index = 0, 0
    while at < len(data):
        where = f"{path}: record {index} at byte {at}"
        if len(data) - at < 12:
            sys.exit(f"{where}: truncated header")
        header = data[at:at + 8]
        (length,) = struct.unpack("<Q", header)
        (length_crc,) = struct.unpack("<I", data[at + 8:at + 12])
        if length_crc != masked(header):
            sys.exit(f"{where}: length CRC mismatch")
        body = data[at + 12:at + 12 + length]
        if len(body) != length or len(data) < at + 16 + length:
            sys.exit(f"{where}: truncated data")
        (data_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
        if data_crc != masked(body):
            sys.exit(f"{where}: data CRC mismatch")
        yield body
        at += 16 + length
        index += 1


for path in sys.argv[1:]:
    times = []
    for i, body in enumerate(records(path)):
        e = Event()
        e.ParseFromString(body)
        times.append(e.wall_time)
        if i == 0:
            print(f"file_version\t{e.file_version}")
            continue
        if e.WhichOneof("what") == "session_log":
            print(f"{e.step}\tsession_log\t{e.session_log.status}")
            continue
        for v in e.summary.value:
            if v.WhichOneof("value") == "simple_value":
                print(f"{e.step}\t{v.tag}\tscalar\t{v.simple_value!r}")
            elif v.WhichOneof("value") == "tensor" and v.tensor.dtype == DT_STRING:
                text = b"".join(v.tensor.string_val).decode("utf-8")
                dims = len(v.tensor.tensor_shape.dim)
                plugin = v.metadata.plugin_data.plugin_name
                print(f"{e.step}\t{v.tag}\ttext:{plugin}:{dims}\t{json.dumps(text)}")
            else:
                print(f"{e.step}\t{v.tag}\tother")
    print(f"wall_time\t{min(times)!r}\t{max(times)!r}")
