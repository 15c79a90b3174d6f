// Tests train/sgd against LibTorch's own torch::optim::SGD (the C++ twin of torch.optim.SGD),
// with momentum, Nesterov and weight decay, and its name-keyed state.
#include "imagenet/train/sgd.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace imagenet {
namespace {

struct Problem {
  std::vector<torch::Tensor> params;
  std::vector<torch::Tensor> inputs;
};

Problem make_problem(uint64_t seed) {
  torch::manual_seed(seed);
  Problem p;
  p.params = {torch::randn({4, 3}).requires_grad_(), torch::randn({3}).requires_grad_()};
  for (int i = 0; i < 6; ++i) p.inputs.push_back(torch::randn({5, 4}));
  return p;
}

torch::Tensor loss_of(const Problem& p, int step) {
  return torch::tanh(p.inputs[step].matmul(p.params[0]) + p.params[1]).pow(2).sum();
}

void expect_same_as_libtorch(bool nesterov, double weight_decay) {
  Problem ours = make_problem(1), theirs = make_problem(1);
  Sgd::ParamGroup group{{"w", "b"}, ours.params, weight_decay};
  Sgd sgd({group}, {0.05, 0.9, nesterov});
  torch::optim::SGD reference(
      theirs.params,
      torch::optim::SGDOptions(0.05).momentum(0.9).nesterov(nesterov).weight_decay(weight_decay));
  for (int step = 0; step < 6; ++step) {
    sgd.zero_grad();
    loss_of(ours, step).backward();
    sgd.step();
    reference.zero_grad();
    loss_of(theirs, step).backward();
    reference.step();
  }
  for (size_t i = 0; i < ours.params.size(); ++i)
    EXPECT_TRUE(torch::allclose(ours.params[i], theirs.params[i], 1e-6, 1e-7))
        << "nesterov=" << nesterov << " wd=" << weight_decay << " param " << i;
}

TEST(Sgd, ProducesLibTorchValues) {
  expect_same_as_libtorch(false, 0.0);
  expect_same_as_libtorch(false, 1e-2);
  expect_same_as_libtorch(true, 1e-2);
}

TEST(Sgd, NoWeightDecayGroupAndLrChanges) {
  torch::Tensor w = torch::ones({2}).requires_grad_(), b = torch::ones({2}).requires_grad_();
  Sgd sgd({{{"w"}, {w}, 0.5}, {{"b"}, {b}, 0.0}}, {0.1, 0.0, false});
  (w.sum() + b.sum()).backward();
  sgd.step();
  EXPECT_NEAR(w[0].item<double>(), 1.0 - 0.1 * (1.0 + 0.5), 1e-7);
  EXPECT_NEAR(b[0].item<double>(), 1.0 - 0.1, 1e-7);
  sgd.set_lr(0.2);
  sgd.step();
  EXPECT_NEAR(b[0].item<double>(), 1.0 - 0.1 - 0.2, 1e-7);
}

TEST(Sgd, MomentumBuffersRoundTripByName) {
  Problem a = make_problem(3), b = make_problem(3);
  Sgd first({{{"w", "b"}, a.params, 1e-3}}, {0.05, 0.9, false});
  Sgd second({{{"w", "b"}, b.params, 1e-3}}, {0.05, 0.9, false});
  for (int step = 0; step < 3; ++step) {
    first.zero_grad();
    loss_of(a, step).backward();
    first.step();
    second.zero_grad();
    loss_of(b, step).backward();
    second.step();
  }
  // A third optimizer over copies of b's parameters, given b's saved state, continues as b.
  std::vector<torch::Tensor> copies;
  for (auto& p : b.params) copies.push_back(p.detach().clone().requires_grad_());
  Problem c{copies, b.inputs};
  Sgd restored({{{"w", "b"}, c.params, 1e-3}}, {0.05, 0.9, false});
  restored.load_momentum_buffers(second.momentum_buffers());
  for (int step = 3; step < 6; ++step) {
    second.zero_grad();
    loss_of(b, step).backward();
    second.step();
    restored.zero_grad();
    loss_of(c, step).backward();
    restored.step();
  }
  for (size_t i = 0; i < 2; ++i) EXPECT_TRUE(torch::equal(b.params[i], c.params[i]));

  // The Optimizer interface's state: the same buffers under "momentum_buffer.<name>".
  Sgd again({{{"w", "b"}, c.params, 1e-3}}, {0.05, 0.9, false});
  again.load_state(restored.state());
  EXPECT_TRUE(torch::equal(again.momentum_buffers().at("w"), restored.momentum_buffers().at("w")));
  EXPECT_THROW(again.load_state({{"exp_avg.w", torch::zeros({4, 3})}}), std::exception);
}

}  // namespace
}  // namespace imagenet
