// Tests train/amp on the CPU: the autocast region and the loss scaler's rules (skip and back
// off on inf/NaN, grow after growth_interval clean steps), as PyTorch's GradScaler.
#include "imagenet/train/amp.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace imagenet {
namespace {

TEST(Autocast, Bf16RegionOnCpuAndRestoredAfter) {
  auto a = torch::randn({4, 4}), b = torch::randn({4, 4});
  {
    AutocastGuard guard(c10::DeviceType::CPU, Precision::kBFloat16Mixed);
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat);
  {
    AutocastGuard guard(c10::DeviceType::CPU, Precision::kFloat32);
    EXPECT_EQ(torch::mm(a, b).scalar_type(), torch::kFloat);
  }
}

TEST(GradScaler, SkipsAndBacksOffOnOverflowThenGrows) {
  GradScalerOptions o;
  o.init_scale = 1024;
  o.growth_interval = 3;
  GradScaler scaler(true, torch::kCPU, o);
  EXPECT_EQ(scaler.scale(torch::tensor(2.0f)).item<float>(), 2048.0f);

  auto g = torch::full({3}, 1024.0f);
  EXPECT_TRUE(scaler.unscale({g}));
  EXPECT_TRUE(torch::allclose(g, torch::ones({3})));
  scaler.update(true);

  auto bad = torch::tensor({1.0f, std::numeric_limits<float>::infinity()});
  EXPECT_FALSE(scaler.unscale({bad}));
  scaler.update(false);
  EXPECT_EQ(scaler.scale_value(), 512.0);

  for (int i = 0; i < 3; ++i) {
    auto ok = torch::ones({2});
    EXPECT_TRUE(scaler.unscale({ok}));
    scaler.update(true);
  }
  EXPECT_EQ(scaler.scale_value(), 1024.0);  // grew after 3 clean steps
  auto nan = torch::tensor({std::nanf("")});
  EXPECT_FALSE(scaler.unscale({nan}));

  GradScaler off(false, torch::kCPU);
  EXPECT_EQ(off.scale(torch::tensor(2.0f)).item<float>(), 2.0f);
  auto inf = torch::tensor({std::numeric_limits<float>::infinity()});
  EXPECT_TRUE(off.unscale({inf}));  // a disabled scaler never skips
}

}  // namespace
}  // namespace imagenet
