// Implements checkpoint/pickle_ops.h after the opcode table of Python's Lib/pickletools.py.
#include "imagenet/checkpoint/pickle_ops.h"

#include "imagenet/util/strings.h"

namespace imagenet {
namespace {

/// How an opcode's argument is laid out.
enum class Arg {
  kNone,
  kFixed,     ///< `size` bytes
  kLine,      ///< up to and including a newline
  kTwoLines,  ///< two of those (GLOBAL, INST)
  kCounted,   ///< a little-endian count of `size` bytes, then that many bytes
  kUnknown,
};

struct Layout {
  Arg arg;
  int size;
};

Layout layout_of(uint8_t op) {
  switch (op) {
    case '(':
    case '.':
    case '0':
    case '1':
    case '2':
    case 'N':
    case ')':
    case ']':
    case '}':
    case 'a':
    case 'e':
    case 'b':
    case 'd':
    case 'l':
    case 't':
    case 'o':
    case 'R':
    case 's':
    case 'u':
    case 'Q':
    case 0x81:
    case 0x85:
    case 0x86:
    case 0x87:
    case 0x88:
    case 0x89:
    case 0x8f:
    case 0x90:
    case 0x91:
    case 0x92:
    case 0x93:
    case 0x94:
    case 0x97:
    case 0x98:
      return {Arg::kNone, 0};
    case 'K':
    case 'q':
    case 'h':
    case 0x80:
    case 0x82:
      return {Arg::kFixed, 1};
    case 'M':
    case 0x83:
      return {Arg::kFixed, 2};
    case 'J':
    case 'r':
    case 'j':
    case 0x84:
      return {Arg::kFixed, 4};
    case 'G':
    case 0x95:  // BINFLOAT; FRAME's length (its contents are opcodes too)
      return {Arg::kFixed, 8};
    case 'I':
    case 'L':
    case 'F':
    case 'S':
    case 'V':
    case 'P':
    case 'p':
    case 'g':
      return {Arg::kLine, 0};
    case 'c':
    case 'i':
      return {Arg::kTwoLines, 0};
    case 'U':
    case 'C':
    case 0x8c:
    case 0x8a:
      return {Arg::kCounted, 1};
    case 'T':
    case 'B':
    case 'X':
    case 0x8b:
      return {Arg::kCounted, 4};
    case 0x8d:
    case 0x8e:
    case 0x96:
      return {Arg::kCounted, 8};
    default:
      return {Arg::kUnknown, 0};
  }
}

}  // namespace

PickleOp decode_pickle_op(std::string_view pickle, uint64_t* at) {
  const auto* p = reinterpret_cast<const uint8_t*>(pickle.data());
  const uint64_t size = pickle.size();
  PickleOp op;
  op.start = *at;
  op.code = p[op.start];
  uint64_t pos = op.start + 1;
  const Layout layout = layout_of(op.code);
  const uint64_t width = static_cast<uint64_t>(layout.size);  // of a fixed argument or a count
  auto past_end = [&](uint64_t claimed, uint64_t remain) {
    op.status = PickleOpStatus::kPastEnd;
    op.claimed = claimed;
    op.remain = remain;
    return op;
  };
  switch (layout.arg) {
    case Arg::kUnknown:
      op.status = PickleOpStatus::kUnknown;
      return op;
    case Arg::kNone:
      break;
    case Arg::kFixed:
      if (width > size - pos) return past_end(width, size - pos);
      for (int i = layout.size - 1; i >= 0; --i) op.value = op.value << 8 | p[pos + i];
      op.arg = pickle.substr(pos, width);
      pos += width;
      break;
    case Arg::kLine:
    case Arg::kTwoLines: {
      uint64_t end = pos;  // past the last newline
      for (int line = 0; line < (layout.arg == Arg::kLine ? 1 : 2); ++line) {
        const auto newline = pickle.find('\n', end);
        if (newline == std::string_view::npos) {
          op.status = PickleOpStatus::kNoNewline;
          return op;
        }
        end = newline + 1;
      }
      op.arg = pickle.substr(pos, end - 1 - pos);
      pos = end;
      break;
    }
    case Arg::kCounted: {
      if (width > size - pos) return past_end(width, size - pos);
      for (int i = layout.size - 1; i >= 0; --i) op.value = op.value << 8 | p[pos + i];
      pos += width;
      // BINSTRING and LONG4 take a signed count: a negative one is as wrong as a huge one.
      if (width == 4 && (op.code == 'T' || op.code == 0x8b) && (op.value & 0x80000000u)) {
        op.status = PickleOpStatus::kNegativeLength;
        return op;
      }
      if (op.value > size - pos) return past_end(op.value, size - pos);
      op.arg = pickle.substr(pos, op.value);
      pos += op.value;
      break;
    }
  }
  *at = pos;
  return op;
}

std::string pickle_opcode_name(uint8_t code) {
  return code >= 0x20 && code < 0x7f ? str_cat("'", static_cast<char>(code), "'")
                                     : str_printf("0x%02x", code);
}

}  // namespace imagenet
