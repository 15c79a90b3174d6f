// Tests train/adamw against torch.optim.AdamW (values from tests/golden/adamw.py: a decay and a
// no-decay group, the LR changing every step) and its name-keyed state round trip.
#include "imagenet/train/adamw.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace imagenet {
namespace {

struct Pair {
  torch::Tensor w, b;
};

Pair initial() {
  return {torch::tensor({0.5, -0.25, 1.0, 0.125, -2.0, 0.75}, torch::kFloat).view({2, 3}),
          torch::tensor({0.3, -0.1, 0.02}, torch::kFloat)};
}

AdamW make(Pair& p) {
  p.w.requires_grad_();
  p.b.requires_grad_();
  return AdamW({{{"w"}, {p.w}, 0.05}, {{"b"}, {p.b}, 0.0}}, {0.01, 0.9, 0.999, 1e-8});
}

// The golden script's gradients: cos((step + 1) p) + 0.1 p of the current values.
void set_gradients(Pair& p, int step) {
  torch::NoGradGuard no_grad;
  p.w.mutable_grad() = torch::cos((step + 1) * p.w) + 0.1 * p.w;
  p.b.mutable_grad() = torch::cos((step + 1) * p.b) + 0.1 * p.b;
}

const double kLrs[] = {0.01, 0.02, 0.015, 0.004, 0.03, 0.01};

TEST(AdamW, ProducesPyTorchValues) {
  Pair p = initial();
  AdamW opt = make(p);
  for (int step = 0; step < 6; ++step) {
    opt.set_lr(kLrs[step]);
    set_gradients(p, step);
    opt.step();
  }
  // Printed by tests/golden/adamw.py (torch 1.13).
  const torch::Tensor w = torch::tensor(
      {0.44951871, -0.326060355, 0.994825959, 0.0357847214, -1.93608809, 0.738069594});
  const torch::Tensor b = torch::tensor({0.216070339, -0.187631622, -0.0689313635});
  const torch::Tensor v = torch::tensor(
      {0.00239749765, 0.00227453955, 0.00284405844, 0.00563447177, 0.00313354074, 0.00244412292});
  EXPECT_TRUE(torch::allclose(p.w.detach().flatten(), w, 1e-6, 1e-7)) << p.w;
  EXPECT_TRUE(torch::allclose(p.b.detach(), b, 1e-6, 1e-7)) << p.b;
  EXPECT_TRUE(torch::allclose(opt.state().at("exp_avg_sq.w").flatten(), v, 1e-6, 1e-9));
  EXPECT_EQ(opt.state().at("step.b").item<int64_t>(), 6);
}

TEST(AdamW, AgreesWithLibTorchsAdamW) {
  Pair ours = initial(), theirs = initial();
  AdamW opt = make(ours);
  theirs.w.requires_grad_();
  theirs.b.requires_grad_();
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(std::vector<torch::Tensor>{theirs.w},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(0.01).weight_decay(0.05)));
  groups.emplace_back(std::vector<torch::Tensor>{theirs.b},
                      std::make_unique<torch::optim::AdamWOptions>(
                          torch::optim::AdamWOptions(0.01).weight_decay(0.0)));
  torch::optim::AdamW reference(groups);
  for (int step = 0; step < 6; ++step) {
    set_gradients(ours, step);
    opt.step();
    set_gradients(theirs, step);
    reference.step();
  }
  EXPECT_TRUE(torch::allclose(ours.w, theirs.w, 1e-6, 1e-7));
  EXPECT_TRUE(torch::allclose(ours.b, theirs.b, 1e-6, 1e-7));
}

TEST(AdamW, StateRoundTripsByName) {
  Pair a = initial(), b = initial();
  AdamW first = make(a);
  for (int step = 0; step < 3; ++step) {
    set_gradients(a, step);
    first.step();
  }
  {
    torch::NoGradGuard no_grad;
    b.w.copy_(a.w);
    b.b.copy_(a.b);
  }
  AdamW restored = make(b);
  restored.load_state(first.state());
  for (int step = 3; step < 6; ++step) {
    set_gradients(a, step);
    first.step();
    set_gradients(b, step);
    restored.step();
  }
  EXPECT_TRUE(torch::equal(a.w, b.w));
  EXPECT_TRUE(torch::equal(a.b, b.b));

  auto bad = first.state();
  bad.erase("step.w");
  EXPECT_THROW(restored.load_state(bad), std::exception);
}

TEST(AdamW, ParametersWithoutGradientsKeepTheirState) {
  Pair p = initial();
  AdamW opt = make(p);
  set_gradients(p, 0);
  p.b.mutable_grad() = torch::Tensor();
  const torch::Tensor before = p.b.detach().clone();
  opt.step();
  EXPECT_TRUE(torch::equal(p.b, before));  // no decay, no step
  EXPECT_EQ(opt.state().count("exp_avg.b"), 0u);
  EXPECT_EQ(opt.state().at("step.w").item<int64_t>(), 1);
}

}  // namespace
}  // namespace imagenet
