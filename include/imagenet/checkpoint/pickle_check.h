// Checks of a checkpoint's pickle (data.pkl) before LibTorch's unpickler reads it. That
// unpickler allocates whatever a string opcode's length field claims before it reads the bytes:
// an 800-byte checkpoint with valid CRCs made it allocate 1.9 GB (found by the checkpoint
// fuzzer), and grows its memo table to whatever index a PUT names (2.8 GB for another). Nor
// does LibTorch 1.13 check its stack: a TUPLE2 on a stack of one value made it write to a wild
// address. check_pickle_claims walks the opcodes (protocols 0-5, as Python's pickletools knows
// them) and refuses a length that runs past the end and a memo index out of sequence;
// check_libtorch_pickle also runs the pickle (pickle_reader.h) and refuses what LibTorch 1.13
// would mishandle.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace imagenet {

/// "" when every opcode's argument fits in `pickle` and every memo index follows the ones before
/// (the walk stops at STOP, or at an opcode it does not know, which the unpickler then refuses
/// itself); otherwise what is wrong, e.g. "opcode 'X' at byte 248 claims 1903453033 bytes, 539
/// remain". Never throws.
std::string check_pickle_claims(std::string_view pickle);

/// The size in bytes of the archive's record `data/<key>` next to the pickle, or -1 when there
/// is none.
using PickleRecordSize = std::function<int64_t(const std::string& key)>;

/// "" when `pickle` is one that LibTorch 1.13's torch::pickle_load can read safely; otherwise
/// what is wrong. On top of check_pickle_claims: protocol 2 and only the opcodes LibTorch reads;
/// only the globals torch.save, torch::pickle_save and torchvision's state dicts write (tensors
/// of plain dtypes, OrderedDict, typed lists); the stack and marks as Python's unpickler keeps
/// them (a value popped that is not there, a GET of a memo entry never PUT, an odd DICT); no
/// container inside itself, nesting at most 64 deep, dict keys strings or ints; every storage of a
/// plain dtype, no larger than its record and read once; every tensor inside its storage. Never
/// throws.
std::string check_libtorch_pickle(std::string_view pickle, const PickleRecordSize& record_size);

}  // namespace imagenet
