// Tests checkpoint/pickle_ops: each layout of argument decodes to its value and bytes, and each
// way an argument can be malformed is told apart, never read past.
#include "imagenet/checkpoint/pickle_ops.h"

#include <gtest/gtest.h>

#include <string>

namespace imagenet {
namespace {

using namespace std::string_literals;  // pickles hold NUL bytes

PickleOp decode_at(const std::string& pickle, uint64_t start, uint64_t* next = nullptr) {
  uint64_t at = start;
  PickleOp op = decode_pickle_op(pickle, &at);
  if (next != nullptr) *next = at;
  return op;
}

TEST(PickleOps, EachLayoutDecodesToItsValueAndBytes) {
  // PROTO 2, BININT2 0x0102, BINUNICODE "abc", GLOBAL "torch\nFloatStorage", STOP.
  const std::string pickle =
      "\x80\x02M\x02\x01X\x03\x00\x00\x00"
      "abcctorch\nFloatStorage\n."s;
  uint64_t at = 0;
  PickleOp op = decode_at(pickle, at, &at);
  EXPECT_EQ(op.code, 0x80);
  EXPECT_EQ(op.value, 2u);
  op = decode_at(pickle, at, &at);
  EXPECT_EQ(op.code, 'M');
  EXPECT_EQ(op.start, 2u);
  EXPECT_EQ(op.value, 0x0102u);
  op = decode_at(pickle, at, &at);
  EXPECT_EQ(op.code, 'X');
  EXPECT_EQ(op.value, 3u);
  EXPECT_EQ(op.arg, "abc");
  op = decode_at(pickle, at, &at);
  EXPECT_EQ(op.code, 'c');
  EXPECT_EQ(op.arg, "torch\nFloatStorage");
  op = decode_at(pickle, at, &at);
  EXPECT_EQ(op.code, '.');
  EXPECT_EQ(op.status, PickleOpStatus::kOk);
  EXPECT_EQ(at, pickle.size());
  EXPECT_EQ(pickle_opcode_name('X'), "'X'");
  EXPECT_EQ(pickle_opcode_name(0x8c), "0x8c");
}

TEST(PickleOps, MalformedArgumentsAreToldApart) {
  // BINUNICODE claiming 9 bytes with 2 there; its count field itself cut short.
  PickleOp op = decode_at(
      "X\x09\x00\x00\x00"
      "ab"s,
      0);
  EXPECT_EQ(op.status, PickleOpStatus::kPastEnd);
  EXPECT_EQ(op.claimed, 9u);
  EXPECT_EQ(op.remain, 2u);
  op = decode_at("X\x09\x00"s, 0);
  EXPECT_EQ(op.status, PickleOpStatus::kPastEnd);
  EXPECT_EQ(op.claimed, 4u);
  EXPECT_EQ(op.remain, 2u);
  EXPECT_EQ(decode_at("T\xff\xff\xff\xff"s, 0).status, PickleOpStatus::kNegativeLength);
  EXPECT_EQ(decode_at("cmodule\nname", 0).status, PickleOpStatus::kNoNewline);
  EXPECT_EQ(decode_at("\xff", 0).status, PickleOpStatus::kUnknown);
  // Nothing moves on an error.
  uint64_t at = 0;
  decode_pickle_op("J\x01\x02"s, &at);
  EXPECT_EQ(at, 0u);
}

}  // namespace
}  // namespace imagenet
