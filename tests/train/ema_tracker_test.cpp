// Tests train/ema_tracker: the decay of each update under timm's rule (warm-up) and
// torchvision's (every model_ema_steps steps, adjusted decay, copies during warmup epochs),
// and the averaged weights against the sequence worked out by hand.
#include "imagenet/train/ema_tracker.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace imagenet {
namespace {

ResNet tiny_model() {
  torch::manual_seed(3);
  return ResNet(ResNetOptions{"resnet18", 2, false});
}

void fill_fc_bias(ResNet& model, float value) {
  torch::NoGradGuard no_grad;
  model->named_parameters()["fc.bias"].fill_(value);
}

TEST(EmaTracker, TimmRuleWarmsTheDecayUpFromACopy) {
  ResNet model = tiny_model();
  EmaConfig c;
  c.model_ema = true;
  c.model_ema_decay = 0.99;
  c.model_ema_warmup = true;
  EmaTracker ema(c, model, 256, 10, 0);
  EXPECT_DOUBLE_EQ(ema.decay_for(1, 0, 0), 0.0);
  EXPECT_DOUBLE_EQ(ema.decay_for(5, 4, 0), 1 - std::pow(5.0, -2.0 / 3.0));
  EXPECT_DOUBLE_EQ(ema.decay_for(100000, 0, 9), 0.99);
  // Without warm-up: a copy, then the decay.
  c.model_ema_warmup = false;
  EmaTracker plain(c, model, 256, 10, 0);
  fill_fc_bias(model, 1.0f);
  plain.after_step(model, 1, 0, 0);  // copy: 1
  fill_fc_bias(model, 3.0f);
  plain.after_step(model, 2, 1, 0);  // 0.99 x 1 + 0.01 x 3 = 1.02
  plain.after_step(model, 3, 2, 0);  // 0.99 x 1.02 + 0.01 x 3 = 1.0398
  EXPECT_NEAR(plain.state_dict().at("fc.bias")[0].item<double>(), 1.0398, 1e-6);
  EXPECT_EQ(plain.num_updates(), 3);
}

TEST(EmaTracker, TorchvisionRuleUpdatesEveryNStepsWithItsAdjustedDecay) {
  ResNet model = tiny_model();
  EmaConfig c;
  c.model_ema = true;
  c.model_ema_decay = 0.99998;
  c.model_ema_steps = 32;
  // torchvision V2: batch 1024, 600 epochs: alpha = 2e-5 x 1024 x 32 / 600.
  const double adjusted = 1 - 2e-5 * 1024 * 32 / 600.0;
  EmaTracker ema(c, model, 1024, 600, 5);
  fill_fc_bias(model, 2.0f);
  ema.after_step(model, 1, 0, 0);  // i = 0: the first update copies
  EXPECT_EQ(ema.num_updates(), 1);
  ema.after_step(model, 2, 1, 0);  // i = 1: not due
  EXPECT_EQ(ema.num_updates(), 1);
  EXPECT_DOUBLE_EQ(ema.decay_for(33, 32, 4), 0.0);  // warmup epoch: n_averaged was zeroed
  EXPECT_DOUBLE_EQ(ema.decay_for(33, 0, 5), 0.0);   // follows an update of epoch 4
  EXPECT_NEAR(ema.decay_for(33, 32, 5), adjusted, 1e-12);
  EmaConfig no_warmup = c;
  EmaTracker after(no_warmup, model, 1024, 600, 0);
  after.after_step(model, 1, 0, 0);
  fill_fc_bias(model, 4.0f);
  after.after_step(model, 33, 32, 0);  // adjusted x 2 + (1 - adjusted) x 4
  EXPECT_NEAR(after.state_dict().at("fc.bias")[1].item<double>(), adjusted * 2 + (1 - adjusted) * 4,
              1e-5);
}

}  // namespace
}  // namespace imagenet
