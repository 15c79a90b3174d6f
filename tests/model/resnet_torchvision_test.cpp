// Tests that our ResNet is torchvision's: torchvision's weights (written by
// tests/golden/torchvision_resnet.py with Debian's python3-torchvision) load by name into our
// model, and the eval-mode outputs agree.
#include <gtest/gtest.h>

#include <torch/torch.h>
#include <cstdlib>

#include "imagenet/model/resnet.h"
#include "imagenet/util/fs.h"
#include "test_support.h"

namespace imagenet {
namespace {

void expect_matches_torchvision(const std::string& arch, int64_t classes) {
  testing::TempDir dir;
  const std::string file = dir.file("golden.pt");
  // IMAGENET_PYTHON: a python3 with torch and torchvision (Debian's by default; the GPU
  // machine's pip install has its own).
  const char* python = std::getenv("IMAGENET_PYTHON");
  auto result = testing::run_command(std::string(python ? python : "/usr/bin/python3") + " " +
                                     testing::source_path("tests/golden/torchvision_resnet.py") +
                                     " " + file + " " + arch + " " + std::to_string(classes));
  if (result.exit_code != 0) GTEST_SKIP() << "python3-torchvision unavailable: " << result.output;
  std::string bytes = read_file(file);
  auto golden = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();

  ResNet model(ResNetOptions{arch, classes, false});
  auto params = model->named_parameters();
  auto buffers = model->named_buffers();
  auto state = golden.at("state_dict").toGenericDict();
  EXPECT_EQ(static_cast<size_t>(state.size()), params.size() + buffers.size());
  torch::NoGradGuard no_grad;
  for (const auto& entry : state) {
    const std::string name = entry.key().toStringRef();
    torch::Tensor* target = params.find(name);
    if (target == nullptr) target = buffers.find(name);
    ASSERT_NE(target, nullptr) << "torchvision has " << name << ", we do not";
    ASSERT_EQ(target->sizes(), entry.value().toTensor().sizes()) << name;
    target->copy_(entry.value().toTensor());
  }
  model->eval();
  torch::Tensor out = model->forward(golden.at("input").toTensor());
  torch::Tensor expected = golden.at("output").toTensor();
  // float32 through 50 layers: compare relative to the size of the logits.
  const double atol = 1e-5 * expected.abs().max().item<double>();
  EXPECT_TRUE(torch::allclose(out, expected, 1e-4, atol))
      << "max difference " << (out - expected).abs().max().item<float>();
  // The same in channels_last.
  torch::Tensor cl =
      model->forward(golden.at("input").toTensor().contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(cl, expected, 1e-4, atol))
      << "channels_last: max difference " << (cl - expected).abs().max().item<float>() << " of max "
      << expected.abs().max().item<float>();
}

TEST(ResNetTorchvision, ResNet18ProducesTorchvisionValues) {
  expect_matches_torchvision("resnet18", 10);
}
TEST(ResNetTorchvision, ResNet50ProducesTorchvisionValues) {
  expect_matches_torchvision("resnet50", 100);
}

}  // namespace
}  // namespace imagenet
