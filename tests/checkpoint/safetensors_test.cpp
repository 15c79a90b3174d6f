// Tests checkpoint/safetensors: round trips of every dtype and layout, a file Python wrote by
// hand, our ResNet's weights loaded strictly into torchvision by Python with the same logits
// (tests/golden/check_safetensors.py), and damaged files refused without touching the target.
#include "imagenet/checkpoint/safetensors.h"

#include <gtest/gtest.h>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "imagenet/checkpoint/torch_save_file.h"
#include "imagenet/checkpoint/weights_file.h"
#include "imagenet/model/model_weights.h"
#include "imagenet/model/resnet.h"
#include "imagenet/util/error.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no UsageError";
}

TEST(Safetensors, RoundTripsEveryDtypeAndLayout) {
  testing::TempDir dir;
  torch::manual_seed(3);
  NamedTensors tensors = {
      {"f32", torch::randn({2, 3, 4, 5})},
      {"channels_last", torch::randn({2, 3, 4, 5}).contiguous(at::MemoryFormat::ChannelsLast)},
      {"transposed", torch::randn({3, 7}).t()},
      {"f64", torch::randn({3}, torch::kDouble)},
      {"f16", torch::randn({4}).to(torch::kHalf)},
      {"bf16", torch::randn({4}).to(torch::kBFloat16)},
      {"i64", torch::arange(-3, 5)},
      {"i32", torch::arange(4, torch::kInt)},
      {"u8", torch::tensor({0, 255}, torch::kByte)},
      {"bool", torch::tensor({true, false})},
      {"scalar", torch::tensor(2.5)},
      {"empty", torch::zeros({0, 3})},
  };
  save_safetensors(dir.file("t.safetensors"), tensors, {{"arch", "resnet18"}, {"note", "é"}});
  SafetensorsContents read = load_safetensors(dir.file("t.safetensors"));
  EXPECT_EQ(read.metadata,
            (std::map<std::string, std::string>{{"arch", "resnet18"}, {"note", "é"}}));
  ASSERT_EQ(read.tensors.size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(read.tensors[i].first, tensors[i].first);  // written in order, read by offset
    EXPECT_EQ(read.tensors[i].second.scalar_type(), tensors[i].second.scalar_type());
    EXPECT_TRUE(torch::equal(read.tensors[i].second, tensors[i].second)) << tensors[i].first;
  }
}

TEST(Safetensors, ReadsAFilePythonWroteByHand) {
  std::string why;
  const std::string dir = testing::golden_files("torchvision_weights.py", &why);
  if (dir.empty()) GTEST_SKIP() << why;
  SafetensorsContents read = load_safetensors(dir + "/written.safetensors");
  EXPECT_EQ(read.metadata.at("note"), "written by hand");
  const std::string bytes = read_file(dir + "/reference.pt");
  auto expected = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end()))
                      .toGenericDict()
                      .at("safetensors")
                      .toGenericDict();
  ASSERT_EQ(read.tensors.size(), expected.size());
  for (const auto& [name, tensor] : read.tensors) {
    const at::Tensor want = expected.at(name).toTensor();
    EXPECT_EQ(tensor.scalar_type(), want.scalar_type()) << name;
    EXPECT_TRUE(torch::equal(tensor, want)) << name;
  }
}

TEST(Safetensors, TorchvisionLoadsOurResNetStrictlyWithTheSameLogits) {
  std::string why;
  const std::string dir = testing::golden_files("torchvision_weights.py", &why);
  if (dir.empty()) GTEST_SKIP() << why;
  testing::TempDir tmp;
  // torchvision's weights (a .pth) into our model, then our model out as safetensors.
  ResNet model(ResNetOptions{"resnet18", 10, false});
  load_model_weights(*model, read_torch_save_state_dict(dir + "/od.pth").tensors, "od.pth");
  model->eval();
  torch::NoGradGuard no_grad;
  torch::manual_seed(5);
  torch::Tensor input = torch::randn({3, 3, 64, 64});
  torch::Tensor output = model->forward(input);
  save_safetensors(tmp.file("model.safetensors"), model_weights(*model), {{"arch", "resnet18"}});
  save_safetensors(tmp.file("logits.safetensors"), {{"input", input}, {"output", output}});
  auto result = testing::run_command(
      "/usr/bin/python3 " + testing::source_path("tests/golden/check_safetensors.py") + " " +
      tmp.file("model.safetensors") + " " + tmp.file("logits.safetensors"));
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_NE(result.output.find("metadata {\"arch\": \"resnet18\"}"), std::string::npos)
      << result.output;
  // And back: the file reads as what the model holds.
  WeightsFile back = read_weights_file(tmp.file("model.safetensors"));
  EXPECT_EQ(back.format, "safetensors");
  EXPECT_EQ(back.arch, "resnet18");
  const NamedWeights live = model_weights(*model);
  ASSERT_EQ(back.tensors.size(), live.size());
  for (const auto& [name, tensor] : live) {
    auto it = std::find_if(back.tensors.begin(), back.tensors.end(),
                           [&](const auto& e) { return e.first == name; });
    ASSERT_NE(it, back.tensors.end()) << name;
    EXPECT_TRUE(torch::equal(it->second, tensor)) << name;
  }
}

TEST(Safetensors, DamagedFilesAreNamedAndNothingIsOverwritten) {
  testing::TempDir dir;
  const std::string path = dir.file("w.safetensors");
  save_safetensors(path, {{"w", torch::ones({4, 4})}, {"b", torch::zeros({4})}});
  const std::string good = read_file(path);
  // Truncated.
  write_file_atomic(dir.file("cut.safetensors"), good.substr(0, good.size() - 3));
  std::string e = error_of([&] { load_safetensors(dir.file("cut.safetensors")); });
  EXPECT_NE(e.find(dir.file("cut.safetensors") + ": "), std::string::npos) << e;
  EXPECT_NE(e.find("run past the data buffer"), std::string::npos) << e;
  // A header that lies about a shape.
  std::string lie = good;
  const size_t at = lie.find("[4,4]");
  ASSERT_NE(at, std::string::npos);
  lie.replace(at, 5, "[4,5]");
  write_file_atomic(dir.file("lie.safetensors"), lie);
  e = error_of([&] { load_safetensors(dir.file("lie.safetensors")); });
  EXPECT_NE(e.find("tensor 'w': shape [4,5] of F32 needs 80 bytes"), std::string::npos) << e;
  // A failed save leaves the old file: an unsupported dtype is refused before writing.
  EXPECT_THROW(save_safetensors(path, {{"c", torch::zeros({2}, torch::kComplexFloat)}}),
               std::exception);
  EXPECT_EQ(read_file(path), good);
}

}  // namespace
}  // namespace imagenet
