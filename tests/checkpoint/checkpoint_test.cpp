// Tests checkpoint/checkpoint: the round trip of every field, and refusals of other files.
#include "imagenet/checkpoint/checkpoint.h"

#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

CheckpointData sample() {
  CheckpointData d;
  d.version = "0.1.0";
  d.config_yaml = "lr: 0.1\nmodel: resnet18\n";
  d.arch = "resnet18";
  d.num_classes = 3;
  d.classes = {"cat", "dog", "eel"};
  d.progress.epoch = 4;
  d.progress.batch_in_epoch = 7;
  d.progress.world_size = 4;
  d.progress.global_step = 123;
  d.progress.loss_sum = 12.5;
  d.progress.loss_samples = 56;
  d.progress.correct1 = 20;
  d.progress.correct5 = 50;
  d.progress.accuracy_samples = 56;
  d.top_k = {{"ckpts/a.ckpt", 0.75, 3}, {"ckpts/b.ckpt", 0.5, 1}};
  d.metrics = {{"val/acc1", 0.75}, {"train/loss", 1.25}};
  d.lr = 0.05;
  d.state_dict = {
      {"fc.weight", torch::randn({3, 4})},
      {"bn1.num_batches_tracked", torch::tensor(17, torch::kLong)},
      {"conv1.weight", torch::randn({2, 3, 3, 3}).contiguous(at::MemoryFormat::ChannelsLast)}};
  d.momentum = {{"fc.weight", torch::randn({3, 4})}};
  d.scaler_scale = torch::tensor({32768.0f});
  d.scaler_growth_tracker = torch::tensor({5}, torch::kInt);
  return d;
}

TEST(Checkpoint, RoundTripKeepsEverything) {
  testing::TempDir dir;
  CheckpointData d = sample();
  save_checkpoint(dir.file("x.ckpt"), d);
  CheckpointData r = load_checkpoint(dir.file("x.ckpt"));
  EXPECT_EQ(r.version, d.version);
  EXPECT_EQ(r.config_yaml, d.config_yaml);
  EXPECT_EQ(r.arch, d.arch);
  EXPECT_EQ(r.classes, d.classes);
  EXPECT_EQ(r.progress.epoch, 4);
  EXPECT_EQ(r.progress.batch_in_epoch, 7);
  EXPECT_EQ(r.progress.world_size, 4);
  EXPECT_EQ(r.progress.global_step, 123);
  EXPECT_EQ(r.progress.loss_sum, 12.5);
  EXPECT_EQ(r.progress.correct5, 50);
  ASSERT_EQ(r.top_k.size(), 2u);
  EXPECT_EQ(r.top_k[0].path, "ckpts/a.ckpt");
  EXPECT_EQ(r.top_k[1].epoch, 1);
  EXPECT_EQ(r.metrics.at("val/acc1"), 0.75);
  EXPECT_EQ(r.lr, 0.05);
  for (const auto& [name, t] : d.state_dict)
    EXPECT_TRUE(torch::equal(r.state_dict.at(name), t)) << name;
  EXPECT_TRUE(torch::equal(r.momentum.at("fc.weight"), d.momentum.at("fc.weight")));
  EXPECT_EQ(r.scaler_scale.item<float>(), 32768.0f);
  EXPECT_EQ(r.scaler_growth_tracker.item<int>(), 5);
}

TEST(Checkpoint, RefusesOtherFiles) {
  testing::TempDir dir;
  EXPECT_THROW(load_checkpoint(dir.file("missing.ckpt")), UsageError);
  testing::write_text(dir.file("text.ckpt"), "not a checkpoint");
  EXPECT_THROW(load_checkpoint(dir.file("text.ckpt")), UsageError);
  // A truncated checkpoint (a crash while copying it elsewhere) is refused, not half-read.
  save_checkpoint(dir.file("good.ckpt"), sample());
  std::string bytes = read_file(dir.file("good.ckpt"));
  testing::write_text(dir.file("cut.ckpt"), bytes.substr(0, bytes.size() / 2));
  EXPECT_THROW(load_checkpoint(dir.file("cut.ckpt")), UsageError);
  // A pickle of something else.
  std::vector<char> other = torch::pickle_save(torch::IValue(torch::ones({2})));
  testing::write_text(dir.file("tensor.ckpt"), std::string(other.begin(), other.end()));
  EXPECT_THROW(load_checkpoint(dir.file("tensor.ckpt")), UsageError);
}

TEST(Checkpoint, AFlippedByteOrACutIsRefusedNamingTheFileAndTheDamage) {
  // LibTorch reads neither the zip's CRCs nor its end: without the check, a flipped bit in a
  // weight loads silently.
  testing::TempDir dir;
  CheckpointData d = sample();
  save_checkpoint(dir.file("good.ckpt"), d);
  std::string bytes = read_file(dir.file("good.ckpt"));
  // The 12 floats of fc.weight, found by their bytes; the third one's sign flipped.
  const at::Tensor fc = d.state_dict.at("fc.weight");
  const std::string raw(static_cast<const char*>(fc.data_ptr()), fc.numel() * sizeof(float));
  const size_t at = bytes.find(raw);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 2 * sizeof(float) + 3] ^= 0x80;
  testing::write_text(dir.file("flipped.ckpt"), bytes);
  try {
    load_checkpoint(dir.file("flipped.ckpt"));
    FAIL() << "a damaged checkpoint loaded";
  } catch (const UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(dir.file("flipped.ckpt") + " is damaged: "), std::string::npos) << m;
    EXPECT_NE(m.find("recorded,"), std::string::npos) << m;
    EXPECT_NE(m.find("computed (the data is damaged)"), std::string::npos) << m;
  }
  bytes[at + 2 * sizeof(float) + 3] ^= 0x80;
  testing::write_text(dir.file("cut.ckpt"), bytes.substr(0, bytes.size() - 1));
  try {
    load_checkpoint(dir.file("cut.ckpt"));
    FAIL() << "a cut checkpoint loaded";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("is damaged: no zip end record"), std::string::npos)
        << e.what();
  }
}

TEST(Checkpoint, APickleClaimingGigabytesIsRefusedBeforeLibTorchAllocatesThem) {
  // Sound CRCs (LibTorch's own writer), but a string opcode claiming 1.9 GB: LibTorch's
  // unpickler would allocate that before reading (the checkpoint fuzzer's find).
  std::string pickle = "\x80\x02X";
  const uint32_t claimed = 1903453033;
  pickle.append(reinterpret_cast<const char*>(&claimed), 4);
  pickle += "short.";
  std::string archive;
  {
    caffe2::serialize::PyTorchStreamWriter writer([&](const void* bytes, size_t n) {
      archive.append(static_cast<const char*>(bytes), n);
      return n;
    });
    writer.writeRecord("data.pkl", pickle.data(), pickle.size());
    writer.writeEndOfFile();
  }
  testing::TempDir dir;
  testing::write_text(dir.file("bomb.ckpt"), archive);
  try {
    load_checkpoint(dir.file("bomb.ckpt"));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), dir.file("bomb.ckpt") +
                                         " is not a checkpoint this program writes: "
                                         "archive/data.pkl: opcode 'X' at byte 2 claims "
                                         "1903453033 bytes, 6 remain.");
  }
}

TEST(Checkpoint, AFolderOrAFieldOfTheWrongTypeIsAUsageError) {
  testing::TempDir dir;
  try {
    load_checkpoint(dir.path());  // was "basic_filebuf::underflow error reading the file"
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir.path() + " is a folder: give a checkpoint file (.ckpt) in it.");
  }
  // Our format, with a string where the version number goes: LibTorch's c10::Error from
  // toInt() becomes a UsageError naming the file.
  c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string("imagenet_train"));
  root.insert("format_version", std::string("one"));
  std::vector<char> bytes = torch::pickle_save(root);
  testing::write_text(dir.file("typed.ckpt"), std::string(bytes.begin(), bytes.end()));
  try {
    load_checkpoint(dir.file("typed.ckpt"));
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("typed.ckpt") +
                                         " is not an imagenet_train checkpoint (a field has the "
                                         "wrong type"),
              std::string::npos)
        << e.what();
  }
}

TEST(Checkpoint, OverwriteIsAtomic) {
  testing::TempDir dir;
  CheckpointData d = sample();
  save_checkpoint(dir.file("last.ckpt"), d);
  d.progress.epoch = 5;
  save_checkpoint(dir.file("last.ckpt"), d);
  EXPECT_EQ(load_checkpoint(dir.file("last.ckpt")).progress.epoch, 5);
  // No temporary files are left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

}  // namespace
}  // namespace imagenet
