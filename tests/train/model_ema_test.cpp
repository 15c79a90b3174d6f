// Tests train/model_ema: timm's decay warm-up and torchvision's adjusted decay against their
// formulas worked out by hand, the update rule on a hand-computed sequence (integer buffers
// copied), and the state round trip.
#include "imagenet/train/model_ema.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace imagenet {
namespace {

TEST(ModelEma, TimmDecayWarmsUp) {
  // get_decay(step): step - 1 <= 0 copies; warmup 1 - (1 + s)^(-2/3) capped at the decay.
  EXPECT_EQ(timm_ema_decay(0.9998, false, 1), 0.0);
  EXPECT_EQ(timm_ema_decay(0.9998, true, 1), 0.0);
  EXPECT_EQ(timm_ema_decay(0.9998, false, 2), 0.9998);
  EXPECT_NEAR(timm_ema_decay(0.9998, true, 2), 1 - std::pow(2.0, -2.0 / 3), 1e-15);  // 0.370
  EXPECT_NEAR(timm_ema_decay(0.9998, true, 1001), 1 - std::pow(1001.0, -2.0 / 3), 1e-15);
  // 1 - (1 + s)^(-2/3) reaches 0.9998 at s = 5000^1.5 - 1 = 353552.4
  EXPECT_LT(timm_ema_decay(0.9998, true, 353000), 0.9998);
  EXPECT_EQ(timm_ema_decay(0.9998, true, 360000), 0.9998);
  EXPECT_EQ(timm_ema_decay(0.9998, true, 2, 1.0, 2.0 / 3, 0.5), 0.5);  // 0.37 raised to min_decay
}

TEST(ModelEma, TorchvisionAdjustsTheDecayForItsUpdateInterval) {
  // V2 recipe: decay 0.99998, 8 x 128 images, every 32 steps, 600 epochs:
  // 1 - 2e-5 * 1024 * 32 / 600 = 0.998907733...
  EXPECT_NEAR(torchvision_ema_decay(0.99998, 1024, 32, 600), 1 - 2e-5 * 1024 * 32 / 600, 1e-12);
  EXPECT_EQ(torchvision_ema_decay(0.9, 4096, 32, 10), 0.0);  // alpha capped at 1
  EXPECT_TRUE(torchvision_ema_due(0, 32));
  EXPECT_FALSE(torchvision_ema_due(31, 32));
  EXPECT_TRUE(torchvision_ema_due(64, 32));
  EXPECT_TRUE(torchvision_ema_due(5, 1));
}

TEST(ModelEma, AveragesFloatsCopiesIntegers) {
  at::Tensor w = torch::zeros({2}), count = torch::zeros({}, torch::kLong);
  ModelEma ema({"w", "bn.num_batches_tracked"}, {w, count});
  auto model = [](float v, int64_t n) {
    return std::vector<at::Tensor>{torch::full({2}, v), torch::full({}, n, torch::kLong)};
  };
  ema.update(model(4, 1), 0.0);  // first update: a copy
  EXPECT_FLOAT_EQ(w[0].item<float>(), 4);
  ema.update(model(8, 2), 0.75);  // 0.75 * 4 + 0.25 * 8 = 5
  EXPECT_FLOAT_EQ(w[1].item<float>(), 5);
  ema.update(model(1, 3), 0.5);  // 0.5 * 5 + 0.5 * 1 = 3
  EXPECT_FLOAT_EQ(w[0].item<float>(), 3);
  EXPECT_EQ(count.item<int64_t>(), 3);  // copied, never averaged
  EXPECT_EQ(ema.num_updates(), 3);
}

TEST(ModelEma, StateRoundTrips) {
  at::Tensor a = torch::zeros({3}), b = torch::zeros({3});
  ModelEma first({"w"}, {a}), second({"w"}, {b});
  first.update({torch::tensor({1.0f, 2.0f, 3.0f})}, 0.0);
  first.update({torch::tensor({3.0f, 2.0f, 1.0f})}, 0.9);
  second.load_state(first.state());
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_EQ(second.num_updates(), 2);
  auto state = first.state();
  state.erase("num_updates");
  EXPECT_THROW(second.load_state(state), std::exception);
  state = first.state();
  state["w"] = torch::zeros({4});
  EXPECT_THROW(second.load_state(state), std::exception);
}

}  // namespace
}  // namespace imagenet
