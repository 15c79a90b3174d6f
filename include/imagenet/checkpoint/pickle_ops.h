// One opcode of a pickle and its argument, decoded after the opcode table of Python's
// Lib/pickletools.py (protocols 0-5): the decoder that both the checks made before LibTorch
// reads a pickle (pickle_check.h) and the pickle machine that reads torch.save files
// (pickle_reader.h) walk the bytes with. It knows how each argument is laid out, not what it
// means.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace imagenet {

/// What decode_pickle_op found.
enum class PickleOpStatus {
  kOk,
  kUnknown,         ///< an opcode pickletools does not know (nothing after it is read)
  kPastEnd,         ///< the argument (or its count) runs past the end: `claimed`, `remain`
  kNoNewline,       ///< a text argument without its end of line
  kNegativeLength,  ///< BINSTRING or LONG4 with a count below zero
};

/// One decoded opcode.
struct PickleOp {
  uint8_t code = 0;
  uint64_t start = 0;  ///< the opcode's byte in the pickle
  /// A fixed-size argument's value (little-endian: BININT, BINPUT, PROTO...) or a counted
  /// argument's count (also with kPastEnd and kNegativeLength, once the count was read).
  uint64_t value = 0;
  /// The argument's bytes: a fixed-size argument's (BINFLOAT's big-endian eight), a text
  /// argument's line without its '\n' (GLOBAL and INST: both lines, '\n' between), a counted
  /// argument's payload.
  std::string_view arg;
  PickleOpStatus status = PickleOpStatus::kOk;
  uint64_t claimed = 0;  ///< kPastEnd: the bytes the argument or its count field needs
  uint64_t remain = 0;   ///< kPastEnd: the bytes there are after the count field
};

/// Decodes the opcode at `*at` (which must be below pickle.size()) and moves `*at` past it and
/// its argument when the status is kOk. Never reads past the end; never throws.
PickleOp decode_pickle_op(std::string_view pickle, uint64_t* at);

/// 'X' for a printable opcode, 0x8c for the others: for error messages.
std::string pickle_opcode_name(uint8_t code);

}  // namespace imagenet
