// A check of a checkpoint's pickle (data.pkl) before LibTorch's unpickler reads it. That
// unpickler allocates whatever a string opcode's length field claims before it reads the bytes:
// an 800-byte checkpoint with valid CRCs made it allocate 1.9 GB (found by the checkpoint
// fuzzer). This walks the opcodes (protocols 0-5, as Python's pickletools knows them) and
// refuses a length that runs past the end. It does not judge anything else.
#pragma once

#include <string>
#include <string_view>

namespace imagenet {

/// "" when every opcode's argument fits in `pickle` (the walk stops at STOP, or at an opcode it
/// does not know, which the unpickler then refuses itself); otherwise what runs past the end,
/// e.g. "opcode 'X' at byte 248 claims 1903453033 bytes, 539 remain". Never throws.
std::string check_pickle_lengths(std::string_view pickle);

}  // namespace imagenet
