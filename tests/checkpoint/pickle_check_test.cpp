// Tests checkpoint/pickle_check: every pickle Python writes (protocols 0-5, tests/golden/
// pickles.py) passes the walk, as does a checkpoint's own data.pkl; a length running past the end
// is named; every cut of a pickle is answered, never read past. check_libtorch_pickle passes our
// checkpoints and torch.save's, and refuses each trap of LibTorch 1.13's unpickler by name.
#include "imagenet/checkpoint/pickle_check.h"

#include <gtest/gtest.h>

#include <cstring>

#include "imagenet/checkpoint/zip_check.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::vector<std::string> python_pickles() {
  const std::string bytes = read_file(testing::source_path("tests/golden/pickles.bin"));
  std::vector<std::string> out;
  for (size_t at = 0; at + 4 <= bytes.size();) {
    uint32_t n = 0;
    std::memcpy(&n, bytes.data() + at, 4);
    out.push_back(bytes.substr(at + 4, n));
    at += 4 + n;
  }
  return out;
}

TEST(PickleCheck, EveryPickleOfPythonPasses) {
  const auto pickles = python_pickles();
  ASSERT_EQ(pickles.size(), 6u);  // protocols 0 to 5
  for (size_t i = 0; i < pickles.size(); ++i)
    EXPECT_EQ(check_pickle_claims(pickles[i]), "") << "protocol " << i;
  // A checkpoint's own data.pkl (torch.save's, in the golden archive).
  const std::string archive = read_file(testing::source_path("tests/golden/torch_save_small.pt"));
  std::vector<ZipEntry> entries;
  ASSERT_EQ(check_zip_archive(archive, &entries), "");
  EXPECT_EQ(entries[0].name, "torch_save_small/data.pkl");
  EXPECT_EQ(check_pickle_claims(archive.substr(entries[0].data_offset, entries[0].size)), "");
}

TEST(PickleCheck, ALengthPastTheEndIsNamed) {
  // What the checkpoint fuzzer found: BINUNICODE claiming 1.9 GB in an 800-byte pickle.
  std::string bomb = "\x80\x02X";
  const uint32_t claimed = 1903453033;
  bomb.append(reinterpret_cast<const char*>(&claimed), 4);
  bomb += "short.";
  EXPECT_EQ(check_pickle_claims(bomb), "opcode 'X' at byte 2 claims 1903453033 bytes, 6 remain");
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02T\xff\xff\xff\xff", 7)),
            "opcode 'T' at byte 2 has a negative length");
  EXPECT_EQ(check_pickle_claims(std::string("\x8d\x00\x00\x00\x00\x00\x00\x00\x80", 9)),
            "opcode 0x8d at byte 0 claims 9223372036854775808 bytes, 0 remain");
  EXPECT_EQ(check_pickle_claims("cmodule_without_end"),
            "opcode 'c' at byte 0 has no end of line before the end");
}

TEST(PickleCheck, AMemoIndexOutOfSequenceIsNamed) {
  // The fuzzer's second find: LONG_BINPUT naming entry 174 million makes the unpickler grow its
  // memo table to 2.8 GB.
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02]r\x00\x00\x60\x0a.", 9)),
            "opcode 'r' at byte 3 names memo entry 174063616, the pickle has 0 so far");
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02]q\x00]q\x01h\x00.", 10)), "");
  EXPECT_EQ(check_pickle_claims(std::string("\x80\x02]q\x00h\x01.", 7)),
            "opcode 'h' at byte 5 names memo entry 1, the pickle has 1 so far");
  EXPECT_EQ(check_pickle_claims("(lp99999999\n."),
            "opcode 'p' at byte 2 names memo entry 99999999, the pickle has 0 so far");
}

TEST(PickleCheck, EveryCutIsAnsweredWithoutReadingPastIt) {
  // Cut at an opcode boundary the walk finds nothing wrong (the unpickler reports the missing
  // STOP); cut inside an argument it names the opcode. ASan runs this too.
  int named = 0;
  for (const std::string& pickle : python_pickles())
    for (size_t n = 0; n < pickle.size(); ++n)
      named += check_pickle_claims(pickle.substr(0, n)) != "";
  EXPECT_GT(named, 100);
}

// --- check_libtorch_pickle -----------------------------------------------------------------

/// The pickle of a zip archive (its first entry) and a lookup of its records' sizes.
struct Archive {
  std::string pickle;
  std::vector<ZipEntry> entries;
  std::string prefix;  // "archive/data/"
  int64_t record_size(const std::string& key) const {
    for (const ZipEntry& e : entries)
      if (e.name == prefix + key) return static_cast<int64_t>(e.size);
    return -1;
  }
};

Archive read_archive(const std::string& relative) {
  const std::string bytes = read_file(testing::source_path(relative));
  Archive a;
  EXPECT_EQ(check_zip_archive(bytes, &a.entries), "");
  for (const ZipEntry& e : a.entries)
    if (e.name.size() > 8 && e.name.substr(e.name.size() - 8) == "data.pkl") {
      a.pickle = bytes.substr(e.data_offset, e.size);
      a.prefix = e.name.substr(0, e.name.size() - 8) + "data/";
    }
  return a;
}

using namespace std::string_literals;  // pickles hold NUL bytes

std::string check(const std::string& pickle, int64_t record_bytes = -1) {
  return check_libtorch_pickle(pickle, [&](const std::string&) { return record_bytes; });
}

std::string byte(int v) {
  return std::string(1, static_cast<char>(v));
}

/// torch.save's persistent id of storage "0", `numel` floats on the CPU, and BINPERSID.
std::string storage_pickle(int numel) {
  return "(X\x07\x00\x00\x00storage"
         "ctorch\nFloatStorage\nX\x01\x00\x00\x00"
         "0X\x03\x00\x00\x00"
         "cpuK"s +
         byte(numel) + "tQ";
}

/// A pickle of one float tensor as torch.save writes it: storage "0" of `numel` floats, viewed
/// with `size` and `stride` from `offset`.
std::string tensor_pickle(int numel, int offset, int size, int stride) {
  return "\x80\x02"
         "ctorch._utils\n_rebuild_tensor_v2\n("s +
         storage_pickle(numel) + "K" + byte(offset) + "K" + byte(size) + "\x85K" + byte(stride) +
         "\x85\x89"
         "ccollections\nOrderedDict\n)RtR."s;
}

TEST(LibTorchPickleCheck, OurCheckpointsAndTorchSaveFilesPass) {
  // Ours: the data.pkl of a 2-process resnet18 run's mid-epoch last.ckpt (torch::pickle_save:
  // Float and Long storages, OrderedDict, type tags Dict[str, Tensor], List[str], ...).
  const std::string ours =
      read_file(testing::source_path("tests/golden/checkpoint_resnet18_data.pkl"));
  EXPECT_EQ(check(ours, int64_t{1} << 30), "");
  EXPECT_NE(check(ours, 0).find("its record data/0 holds 0 bytes"), std::string::npos);
  // Python's (torch.save; the fuzz seed of zip_check mimics ours).
  for (const char* file :
       {"tests/fuzz/corpus/zip_check/checkpoint.pt", "tests/golden/torch_save_small.pt"}) {
    const Archive a = read_archive(file);
    ASSERT_FALSE(a.pickle.empty()) << file;
    EXPECT_EQ(
        check_libtorch_pickle(a.pickle, [&](const std::string& key) { return a.record_size(key); }),
        "")
        << file;
  }
  EXPECT_EQ(check(tensor_pickle(4, 0, 4, 1), 16), "");
  EXPECT_EQ(check(tensor_pickle(4, 1, 2, 2), 16), "");  // elements 1 and 3
}

TEST(LibTorchPickleCheck, TheFuzzersWildWriteIsRefused) {
  // tests/fuzz/regressions/checkpoint/: records (name length, name, size, data) of which the
  // first is data.pkl. Its TUPLE2s pop past the MARK and then past the bottom of the stack,
  // where LibTorch 1.13 wrote to a wild address.
  const std::string records = read_file(testing::source_path(
      "tests/fuzz/regressions/checkpoint/tuple2_stack_underflow_wild_write.records"));
  ASSERT_EQ(records.substr(1, 8), "data.pkl");
  uint32_t size = 0;
  std::memcpy(&size, records.data() + 9, 4);
  const std::string pickle = records.substr(13, size);
  EXPECT_EQ(check_pickle_claims(pickle), "");  // what let it through before
  EXPECT_EQ(check(pickle),
            "an opcode needs a value the stack does not have at byte 72 (not a pickle as "
            "torch.save writes it, or damaged)");
}

TEST(LibTorchPickleCheck, TheStackMarksAndMemoAreKeptAsPythonKeepsThem) {
  const std::string tail = " (not a pickle as torch.save writes it, or damaged)";
  EXPECT_EQ(check("\x80\x02K\x01\x86."s),
            "an opcode needs a value the stack does not have at byte 4" + tail);
  // TUPLE2 reaching under the MARK (LibTorch would leave the mark past the stack's end).
  EXPECT_EQ(check("\x80\x02K\x01(K\x02\x86t."s),
            "an opcode needs a value the stack does not have at byte 7" + tail);
  EXPECT_EQ(check("\x80\x02K\x01t."s), "an opcode needs a MARK that is not there at byte 4" + tail);
  EXPECT_EQ(check("\x80\x02}(K\x01u."s), "SETITEMS with an odd number of values at byte 6" + tail);
  EXPECT_EQ(check("\x80\x02(K\x01"
                  "d."s),
            "SETITEMS with an odd number of values at byte 5" + tail);
  EXPECT_EQ(check("\x80\x02K\x01R."s),
            "an opcode needs a value the stack does not have at byte 4" + tail);
  EXPECT_EQ(check("\x80\x02h\x00."s),
            "opcode 'h' at byte 2 names memo entry 0, the pickle has 0 so far");
  // A list appended to itself: never freed, walked for ever.
  EXPECT_EQ(check("\x80\x02]q\x00h\x00"
                  "a."s),
            "a container that holds itself at byte 8" + tail);
}

TEST(LibTorchPickleCheck, OnlyWhatCheckpointsHoldPasses) {
  EXPECT_EQ(check("\x80\x02"
                  "ctorch._utils\n_rekeq\n."s),
            "opcode 'c' (GLOBAL) at byte 2 names torch._utils._rekeq, which no checkpoint holds");
  EXPECT_EQ(check("\x80\x02"
                  "cos\nsystem\n."s),
            "opcode 'c' (GLOBAL) at byte 2 names os.system, which no checkpoint holds");
  EXPECT_EQ(check("\x80\x02"
                  "ctorch\nQInt8Storage\n."s),
            "opcode 'c' (GLOBAL) at byte 2 names torch.QInt8Storage, which no checkpoint holds");
  EXPECT_EQ(check("\x80\x04N."s),
            "it does not start with PROTO 2 (LibTorch reads protocol 2 only)");
  EXPECT_EQ(check("\x80\x02\x8c\x01"
                  "a."s),
            "opcode 0x8c at byte 2 is not one LibTorch 1.13 reads");
  // Type tags: those of torch::pickle_save, nothing LibTorch would parse deeper or otherwise.
  auto tagged = [](const std::string& tag) {
    return "\x80\x02"
           "ctorch.jit._pickle\nrestore_type_tag\n}X"s +
           byte(static_cast<int>(tag.size())) + std::string(3, '\0') + tag + "\x86R.";
  };
  EXPECT_EQ(check(tagged("Dict[str, Tensor]")), "");
  EXPECT_EQ(check(tagged("List[List[List[List[List[int]]]]]")),
            "the type tag 'List[List[List[List[List[int]]]]]' is not one of the container types "
            "a checkpoint holds");
  EXPECT_EQ(check(tagged("Dict[str, __torch__.M]")),
            "the type tag 'Dict[str, __torch__.M]' is not one of the container types a checkpoint "
            "holds");
  // BUILD: LibTorch would call the global whose index the int below names with the state.
  EXPECT_EQ(check("\x80\x02K\x00)b."s),
            "opcode 'b' at byte 5 (BUILD or NEWOBJ) is one LibTorch 1.13 runs otherwise than "
            "Python, and no checkpoint it reads holds it");
  // A storage whose type is another global: LibTorch would take that global's index for a dtype.
  EXPECT_NE(check("\x80\x02(X\x07\x00\x00\x00storage"
                  "ccollections\nOrderedDict\nX\x01\x00\x00\x00"
                  "0X\x03\x00\x00\x00"
                  "cpuK\x01tQ."s)
                .find("a persistent id that is not torch.save's"),
            std::string::npos);
  // A storage type called, a tuple as a dict key, nesting past 64.
  EXPECT_EQ(check("\x80\x02"
                  "ctorch\nFloatStorage\n)R."s),
            "a torch.FloatStorage object, which is not what LibTorch makes of it");
  EXPECT_EQ(check("\x80\x02}(K\x01\x85K\x02u."s),
            "a dict key is a tuple (only strings and ints are)");
  // Lists in lists: "](" opens one, "e" (APPENDS) closes it.
  auto nested = [](int depth) {
    std::string p = "\x80\x02";
    for (int i = 1; i < depth; ++i) p += "](";
    return p + "]" + std::string(depth - 1, 'e') + ".";
  };
  EXPECT_EQ(check(nested(65)), "values nest more than 64 deep");
  EXPECT_EQ(check(nested(64)), "");
}

TEST(LibTorchPickleCheck, EveryTensorLiesInsideItsStorageAndRecord) {
  EXPECT_EQ(check(tensor_pickle(4, 0, 4, 1), 8),
            "storage '0' claims 4 elements of 4 bytes, its record data/0 holds 8 bytes");
  EXPECT_EQ(check(tensor_pickle(4, 0, 4, 1)), "storage '0' has no record data/0 in the archive");
  EXPECT_EQ(check(tensor_pickle(4, 0, 5, 1), 16),
            "the tensor of storage '0' reaches element 4 of a storage of 4");
  EXPECT_EQ(check(tensor_pickle(4, 2, 2, 2), 16),
            "the tensor of storage '0' reaches element 4 of a storage of 4");
  EXPECT_EQ(check(tensor_pickle(0, 0, 0, 1)), "");  // empty: no record read
  // Every storage, those no tensor uses too (LibTorch reads the record all the same), once.
  EXPECT_EQ(check("\x80\x02" + storage_pickle(100) + ".", 16),
            "storage '0' claims 100 elements of 4 bytes, its record data/0 holds 16 bytes");
  EXPECT_EQ(check("\x80\x02(" + storage_pickle(4) + storage_pickle(4) + "t.", 16),
            "storage '0' is read twice (LibTorch copies it each time)");
}

TEST(LibTorchPickleCheck, EveryCutOfACheckpointIsAnswered) {
  // ASan runs this too: no cut is read past, none passes but the whole.
  const Archive a = read_archive("tests/fuzz/corpus/zip_check/checkpoint.pt");
  const auto sizes = [&](const std::string& key) { return a.record_size(key); };
  for (size_t n = 0; n + 1 < a.pickle.size(); ++n)
    EXPECT_NE(check_libtorch_pickle(a.pickle.substr(0, n), sizes), "") << n;
}

}  // namespace
}  // namespace imagenet
