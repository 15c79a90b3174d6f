// Tests model/model_weights: torchvision's weights (tests/golden/torchvision_weights.py) give
// our ResNet torchvision's logits; Lightning's prefix is found; another number of classes
// re-initializes only the classifier; another architecture, a wrong shape or a missing tensor
// is an error naming it, with the model untouched.
#include "imagenet/model/model_weights.h"

#include <gtest/gtest.h>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "imagenet/checkpoint/torch_save_file.h"
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

NamedWeights copies(const NamedWeights& w) {
  NamedWeights out;
  for (const auto& [name, t] : w) out.emplace_back(name, t.detach().clone());
  return out;
}

bool same(const NamedWeights& a, const NamedWeights& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].first != b[i].first || !torch::equal(a[i].second, b[i].second)) return false;
  return true;
}

TEST(ModelWeights, TorchvisionWeightsGiveTorchvisionLogits) {
  std::string why;
  const std::string dir = testing::golden_files("torchvision_weights.py", &why);
  if (dir.empty()) GTEST_SKIP() << why;
  ResNet model(ResNetOptions{"resnet18", 10, false});
  WeightsFit fit =
      load_model_weights(*model, read_torch_save_state_dict(dir + "/od.pth").tensors, "od.pth");
  EXPECT_EQ(fit.loaded, 122);
  EXPECT_EQ(fit.prefix, "");
  EXPECT_FALSE(fit.classifier_reinitialized);
  EXPECT_TRUE(fit.ignored.empty());
  const std::string bytes = read_file(dir + "/reference.pt");
  auto golden = torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  model->eval();
  torch::NoGradGuard no_grad;
  torch::Tensor out = model->forward(golden.at("input").toTensor());
  torch::Tensor expected = golden.at("output").toTensor();
  EXPECT_TRUE(torch::allclose(out, expected, 1e-4, 1e-5 * expected.abs().max().item<double>()))
      << (out - expected).abs().max().item<float>();
  // num_batches_tracked (int64) came along too.
  EXPECT_EQ(model->named_buffers().find("bn1.num_batches_tracked")->item<int64_t>(), 7);
}

TEST(ModelWeights, FindsLightningsPrefixAndIgnoresTheRest) {
  std::string why;
  const std::string dir = testing::golden_files("torchvision_weights.py", &why);
  if (dir.empty()) GTEST_SKIP() << why;
  ResNet model(ResNetOptions{"resnet18", 10, false});
  WeightsFit fit = load_model_weights(
      *model, read_torch_save_state_dict(dir + "/lightning.ckpt").tensors, "lightning.ckpt");
  EXPECT_EQ(fit.prefix, "model.");
  EXPECT_EQ(fit.loaded, 122);
  EXPECT_EQ(fit.ignored, (std::vector<std::string>{"criterion.class_weights"}));
  EXPECT_NE(fit.summary("lightning.ckpt")
                .find("122 tensors from lightning.ckpt (names under "
                      "'model.'); 1 other entries ignored"),
            std::string::npos)
      << fit.summary("lightning.ckpt");
}

TEST(ModelWeights, AnotherNumberOfClassesReinitializesOnlyTheClassifier) {
  torch::manual_seed(1);
  ResNet source(ResNetOptions{"resnet18", 10, false});
  NamedWeights file = copies(model_weights(*source));
  // DDP's wrapper prefix, too.
  for (auto& [name, t] : file) name = "module." + name;
  ResNet target(ResNetOptions{"resnet18", 4, false});
  const NamedWeights before = copies(model_weights(*target));
  WeightsFit fit = load_model_weights(*target, file, "src.pth");
  EXPECT_TRUE(fit.classifier_reinitialized);
  EXPECT_EQ(fit.file_classes, 10);
  EXPECT_EQ(fit.prefix, "module.");
  EXPECT_EQ(fit.loaded, 120);
  EXPECT_NE(fit.summary("src.pth").find("the classifier (fc) is re-initialized for fine-tuning: "
                                        "the file's has 10 classes"),
            std::string::npos);
  for (const auto& [name, t] : model_weights(*target)) {
    const bool classifier = name == "fc.weight" || name == "fc.bias";
    const auto& old = std::find_if(before.begin(), before.end(), [&](const auto& e) {
                        return e.first == name;
                      })->second;
    const auto& src = std::find_if(file.begin(), file.end(), [&](const auto& e) {
                        return e.first == "module." + name;
                      })->second;
    EXPECT_TRUE(torch::equal(t, classifier ? old : src)) << name;
  }
}

TEST(ModelWeights, MismatchesAreNamedAndLeaveTheModelAlone) {
  torch::manual_seed(2);
  ResNet model(ResNetOptions{"resnet18", 10, false});
  const NamedWeights before = copies(model_weights(*model));
  // Another architecture.
  ResNet other(ResNetOptions{"resnet50", 10, false});
  std::string e = error_of([&] { load_model_weights(*model, model_weights(*other), "r50.pth"); });
  EXPECT_NE(e.find("r50.pth: does not fit resnet18: the file has 'layer1.0.conv3.weight', "
                   "resnet18 has no such tensor"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("The file holds resnet50 weights: set `model: resnet50` (--model resnet50)"),
            std::string::npos)
      << e;
  // A wrong shape.
  NamedWeights file = copies(before);
  for (auto& [name, t] : file)
    if (name == "layer2.0.conv1.weight") t = torch::zeros({128, 64, 1, 1});
  e = error_of([&] { load_model_weights(*model, file, "bad.pth"); });
  EXPECT_NE(e.find("bad.pth: does not fit resnet18: 'layer2.0.conv1.weight' is [128, 64, 1, 1] "
                   "in the file, [128, 64, 3, 3] in resnet18"),
            std::string::npos)
      << e;
  // A missing tensor.
  file = copies(before);
  file.erase(std::find_if(file.begin(), file.end(),
                          [](const auto& x) { return x.first == "layer4.1.bn2.running_var"; }));
  e = error_of([&] { load_model_weights(*model, file, "short.pth"); });
  EXPECT_NE(e.find("resnet18 needs 'layer4.1.bn2.running_var', the file lacks it"),
            std::string::npos)
      << e;
  // Nothing that fits at all.
  e = error_of([&] {
    load_model_weights(*model, {{"encoder.weight", torch::zeros({3})}}, "bert.safetensors");
  });
  EXPECT_NE(e.find("does not hold a torchvision ResNet's weights"), std::string::npos) << e;
  EXPECT_TRUE(same(model_weights(*model), before));
}

TEST(ModelWeights, GuessesTheArchitectureFromTheNames) {
  for (const char* arch : {"resnet18", "resnet34", "resnet50", "resnet101"}) {
    ResNet model(ResNetOptions{arch, 10, false});
    EXPECT_EQ(guess_resnet_arch(model_weights(*model)), arch);
    NamedWeights prefixed = model_weights(*model);
    for (auto& [name, t] : prefixed) name = "model." + name;
    EXPECT_EQ(guess_resnet_arch(prefixed, "model."), arch);
  }
  EXPECT_EQ(guess_resnet_arch({{"layer1.0.conv1.weight", torch::zeros({1})}}), "");
}

}  // namespace
}  // namespace imagenet
