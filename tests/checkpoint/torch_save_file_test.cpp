// Tests checkpoint/torch_save_file and checkpoint/weights_file on files Python wrote
// (tests/golden/torchvision_weights.py): torchvision state dicts as torch.save writes them
// (OrderedDict, protocol 2 and 4), a Lightning-style checkpoint, strided and typed tensors,
// compared with the same tensors read by LibTorch from plain dicts; and the files they refuse.
#include "imagenet/checkpoint/torch_save_file.h"

#include <gtest/gtest.h>

#include <torch/serialize.h>

#include "imagenet/checkpoint/checkpoint.h"
#include "imagenet/checkpoint/weights_file.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

// tests/golden/torchvision_weights.py's folder, or "" (the test skips).
std::string golden(std::string* why) {
  return testing::golden_files("torchvision_weights.py", why);
}

c10::Dict<c10::IValue, c10::IValue> reference(const std::string& dir) {
  const std::string bytes = read_file(dir + "/reference.pt");
  return torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no UsageError";
}

void expect_same(const std::vector<std::pair<std::string, at::Tensor>>& read,
                 const c10::Dict<c10::IValue, c10::IValue>& expected, const std::string& prefix) {
  ASSERT_EQ(read.size(), expected.size());
  for (const auto& [name, tensor] : read) {
    ASSERT_EQ(name.rfind(prefix, 0), 0u) << name;
    auto it = expected.find(name.substr(prefix.size()));
    ASSERT_NE(it, expected.end()) << name;
    const at::Tensor want = it->value().toTensor();
    EXPECT_EQ(tensor.scalar_type(), want.scalar_type()) << name;
    EXPECT_EQ(tensor.sizes(), want.sizes()) << name;
    EXPECT_TRUE(tensor.is_contiguous()) << name;
    EXPECT_TRUE(torch::equal(tensor, want)) << name;
  }
}

TEST(TorchSaveFile, ReadsTorchvisionStateDictsAsTorchSaveWritesThem) {
  std::string why;
  const std::string dir = golden(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  const auto state = reference(dir).at("state_dict").toGenericDict();
  for (const char* file : {"od.pth", "od_p4.pth"}) {
    SCOPED_TRACE(file);
    TorchSaveStateDict read = read_torch_save_state_dict(dir + "/" + file);
    EXPECT_EQ(read.key, "");
    expect_same(read.tensors, state, "");
    // In the file's order: torchvision's state_dict() order.
    EXPECT_EQ(read.tensors.front().first, "conv1.weight");
    EXPECT_EQ(read.tensors.back().first, "fc.bias");
  }
}

TEST(TorchSaveFile, TakesTheStateDictOutOfALightningCheckpoint) {
  std::string why;
  const std::string dir = golden(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  TorchSaveStateDict read = read_torch_save_state_dict(dir + "/lightning.ckpt");
  EXPECT_EQ(read.key, "state_dict");
  ASSERT_EQ(read.tensors.back().first, "criterion.class_weights");
  read.tensors.pop_back();
  expect_same(read.tensors, reference(dir).at("state_dict").toGenericDict(), "model.");
}

TEST(TorchSaveFile, ViewsAndDtypesComeOutContiguous) {
  std::string why;
  const std::string dir = golden(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  TorchSaveStateDict read = read_torch_save_state_dict(dir + "/views.pth");
  expect_same(read.tensors, reference(dir).at("views").toGenericDict(), "");
}

TEST(TorchSaveFile, RefusesWhatIsNotAStateDictByName) {
  std::string why;
  const std::string dir = golden(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  testing::TempDir tmp;
  auto read = [](const std::string& path) { return [path] { read_torch_save_state_dict(path); }; };
  std::string e = error_of(read(dir + "/legacy.pth"));
  EXPECT_NE(e.find("legacy.pth: written in torch.save's format of PyTorch before 1.6"),
            std::string::npos)
      << e;
  e = error_of(read(dir + "/module.pth"));
  EXPECT_NE(e.find("module.pth: holds a torchvision.models.resnet.ResNet object, not a state dict"),
            std::string::npos)
      << e;
  // Cut short: the zip's directory is gone.
  const std::string cut = tmp.file("cut.pth");
  write_file_atomic(cut, read_file(dir + "/od.pth").substr(0, 1000000));
  e = error_of(read(cut));
  EXPECT_NE(e.find(cut + ": not a readable torch.save archive"), std::string::npos) << e;
  e = error_of(read(tmp.file("missing.pth")));
  EXPECT_NE(e.find("weights file not found: " + tmp.file("missing.pth")), std::string::npos) << e;
  e = error_of(read(tmp.path()));
  EXPECT_NE(e.find("is a folder"), std::string::npos) << e;
}

TEST(WeightsFile, ToldByContent) {
  std::string why;
  const std::string dir = golden(&why);
  if (dir.empty()) GTEST_SKIP() << why;
  testing::TempDir tmp;
  // A .pth under another name.
  WeightsFile pth = read_weights_file(dir + "/od.pth");
  EXPECT_EQ(pth.format, "torch.save");
  EXPECT_EQ(pth.tensors.size(), 122u);
  // Our checkpoint: weights and what it says about the model.
  CheckpointData data;
  data.version = "test";
  data.arch = "resnet18";
  data.num_classes = 10;
  data.classes = {"a", "b"};
  for (const auto& [name, t] : pth.tensors) data.state_dict[name] = t;
  save_checkpoint(tmp.file("run.bin"), data);
  WeightsFile ckpt = read_weights_file(tmp.file("run.bin"));
  EXPECT_EQ(ckpt.format, "imagenet_train checkpoint");
  EXPECT_EQ(ckpt.arch, "resnet18");
  EXPECT_EQ(ckpt.num_classes, 10);
  EXPECT_EQ(ckpt.classes, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ckpt.tensors.size(), 122u);
  // Neither.
  testing::write_text(tmp.file("notes.txt"), "these are not weights");
  std::string e = error_of([&] { read_weights_file(tmp.file("notes.txt")); });
  EXPECT_NE(e.find("notes.txt: neither a safetensors file nor a torch.save archive"),
            std::string::npos)
      << e;
  e = error_of([&] { read_weights_file(dir + "/legacy.pth"); });
  EXPECT_NE(e.find("before 1.6"), std::string::npos) << e;
}

}  // namespace
}  // namespace imagenet
