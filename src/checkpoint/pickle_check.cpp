// Implements checkpoint/pickle_check.h after the opcode table of Python's Lib/pickletools.py.
#include "imagenet/checkpoint/pickle_check.h"

#include <cstdint>

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

std::string opcode_name(uint8_t op) {
  return op >= 0x20 && op < 0x7f ? str_cat("'", static_cast<char>(op), "'")
                                 : str_printf("0x%02x", op);
}

}  // namespace

std::string check_pickle_claims(std::string_view pickle) {
  const auto* p = reinterpret_cast<const uint8_t*>(pickle.data());
  const uint64_t size = pickle.size();
  uint64_t at = 0;
  uint64_t memo_size = 0;  // entries the memo table holds so far
  // A memo index is a size too: the unpickler grows its memo table to hold it. Python numbers
  // entries from 0 in order, so a PUT names at most the next one and a GET an existing one.
  auto check_memo = [&](uint8_t op, uint64_t start, uint64_t index) -> std::string {
    const bool put = op == 'q' || op == 'r' || op == 'p';
    if (put ? index > memo_size : index >= memo_size)
      return str_cat("opcode ", opcode_name(op), " at byte ", start, " names memo entry ", index,
                     ", the pickle has ", memo_size, " so far");
    if (put && index == memo_size) ++memo_size;
    return "";
  };
  while (at < size) {
    const uint8_t op = p[at];
    const uint64_t start = at++;
    const Layout layout = layout_of(op);
    const uint64_t left = size - at;
    auto past_end = [&](uint64_t claimed) {
      return str_cat("opcode ", opcode_name(op), " at byte ", start, " claims ", claimed,
                     " bytes, ", left, " remain");
    };
    switch (layout.arg) {
      case Arg::kUnknown:
        return "";  // not ours to judge: the unpickler refuses what it does not know
      case Arg::kNone:
        if (op == '.') return "";     // STOP
        if (op == 0x94) ++memo_size;  // MEMOIZE
        break;
      case Arg::kFixed: {
        if (static_cast<uint64_t>(layout.size) > left) return past_end(layout.size);
        uint64_t value = 0;
        for (int i = layout.size - 1; i >= 0; --i) value = value << 8 | p[at + i];
        at += layout.size;
        if (op == 'q' || op == 'r' || op == 'h' || op == 'j') {  // BINPUT, LONG_BINPUT, *GET
          std::string problem = check_memo(op, start, value);
          if (!problem.empty()) return problem;
        }
        break;
      }
      case Arg::kLine:
      case Arg::kTwoLines:
        for (int line = 0; line < (layout.arg == Arg::kLine ? 1 : 2); ++line) {
          const auto newline = pickle.find('\n', at);
          if (newline == std::string_view::npos)
            return str_cat("opcode ", opcode_name(op), " at byte ", start,
                           " has no end of line before the end");
          if (op == 'p' || op == 'g') {  // PUT and GET: the index in decimal
            const std::string_view digits = pickle.substr(at, newline - at);
            uint64_t index = 0;
            for (char c : digits) index = c >= '0' && c <= '9' ? index * 10 + (c - '0') : ~0ull;
            if (digits.empty() || digits.size() > 19) index = ~0ull;
            std::string problem = check_memo(op, start, index);
            if (!problem.empty()) return problem;
          }
          at = newline + 1;
        }
        break;
      case Arg::kCounted: {
        if (static_cast<uint64_t>(layout.size) > left) return past_end(layout.size);
        uint64_t count = 0;
        for (int i = layout.size - 1; i >= 0; --i) count = count << 8 | p[at + i];
        // BINSTRING and LONG4 take a signed count: a negative one is as wrong as a huge one.
        if (layout.size == 4 && (op == 'T' || op == 0x8b) && (count & 0x80000000u))
          return str_cat("opcode ", opcode_name(op), " at byte ", start, " has a negative length");
        at += layout.size;
        if (count > size - at) {
          const uint64_t remain = size - at;
          return str_cat("opcode ", opcode_name(op), " at byte ", start, " claims ", count,
                         " bytes, ", remain, " remain");
        }
        at += count;
        break;
      }
    }
  }
  return "";  // no STOP: the unpickler reports the end itself
}

}  // namespace imagenet
