// A check of a checkpoint's pickle (data.pkl) before LibTorch's unpickler reads it. That
// unpickler allocates whatever a string opcode's length field claims before it reads the bytes:
// an 800-byte checkpoint with valid CRCs made it allocate 1.9 GB (found by the checkpoint
// fuzzer), and grows its memo table to whatever index a PUT names (2.8 GB for another). This
// walks the opcodes (protocols 0-5, as Python's pickletools knows them) and refuses a length
// that runs past the end and a memo index out of sequence. It does not judge anything else.
#pragma once

#include <string>
#include <string_view>

namespace imagenet {

/// "" when every opcode's argument fits in `pickle` and every memo index follows the ones before
/// (the walk stops at STOP, or at an opcode it does not know, which the unpickler then refuses
/// itself); otherwise what is wrong, e.g. "opcode 'X' at byte 248 claims 1903453033 bytes, 539
/// remain". Never throws.
std::string check_pickle_claims(std::string_view pickle);

}  // namespace imagenet
