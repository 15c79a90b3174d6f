// Tests train/lamb against timm's Lamb update written out element by element in double
// precision (timm/optim/lamb.py): global gradient-norm clipping, bias-corrected moments, the
// trust ratio on the decay group only, plain Adam steps on the no-decay group; the clip and
// the trust ratio are each exercised; the state round-trips by name.
#include "imagenet/train/lamb.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace imagenet {
namespace {

using Vec = std::vector<double>;

// timm's Lamb.step for groups of flat parameters, in doubles.
struct Reference {
  std::vector<Vec> p, m, v;
  std::vector<double> wd;
  int64_t t = 0;
  double lr = 0, beta1 = 0.9, beta2 = 0.999, eps = 1e-6, max_grad_norm = 1.0;

  void step(const std::vector<Vec>& grads) {
    double total = 0;
    for (const Vec& g : grads)
      for (double x : g) total += x * x;
    const double clip = std::max(1.0, std::sqrt(total) / max_grad_norm);
    ++t;
    const double bc1 = 1 - std::pow(beta1, t), bc2 = 1 - std::pow(beta2, t);
    for (size_t k = 0; k < p.size(); ++k) {
      Vec update(p[k].size());
      double w_norm = 0, u_norm = 0;
      for (size_t i = 0; i < p[k].size(); ++i) {
        const double g = grads[k][i] / clip;
        m[k][i] = beta1 * m[k][i] + (1 - beta1) * g;
        v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g;
        update[i] = (m[k][i] / bc1) / (std::sqrt(v[k][i]) / std::sqrt(bc2) + eps);
        if (wd[k] != 0) update[i] += wd[k] * p[k][i];
        w_norm += p[k][i] * p[k][i];
        u_norm += update[i] * update[i];
      }
      double ratio = 1;
      if (wd[k] != 0 && w_norm > 0 && u_norm > 0) ratio = std::sqrt(w_norm) / std::sqrt(u_norm);
      for (size_t i = 0; i < p[k].size(); ++i) p[k][i] -= lr * ratio * update[i];
    }
  }
};

Vec to_vec(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kDouble).flatten().contiguous();
  return Vec(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

void expect_near(const torch::Tensor& ours, const Vec& expected, const char* what) {
  const Vec got = to_vec(ours);
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], expected[i], 2e-6 * std::max(1.0, std::abs(expected[i])))
        << what << "[" << i << "]";
}

TEST(Lamb, ProducesTimmsUpdate) {
  // Gradients large enough that the global norm clip (max 1.0) engages on some steps.
  for (double scale : {0.05, 3.0}) {
    torch::Tensor w = torch::tensor({0.5, -0.25, 1.0, 0.125, -2.0, 0.75}).view({2, 3});
    torch::Tensor b = torch::tensor({0.3, -0.1, 0.02});
    w.requires_grad_();
    b.requires_grad_();
    Lamb opt({{{"w"}, {w}, 0.02}, {{"b"}, {b}, 0.0}}, Lamb::Options{});
    Reference ref;
    ref.p = {to_vec(w), to_vec(b)};
    ref.m = ref.v = {Vec(6, 0.0), Vec(3, 0.0)};
    ref.wd = {0.02, 0.0};
    const double lrs[] = {5e-3, 8e-3, 2e-3, 5e-3, 1e-2};
    for (int step = 0; step < 5; ++step) {
      {
        torch::NoGradGuard no_grad;
        w.mutable_grad() = scale * (torch::cos((step + 1) * w) + 0.1 * w);
        b.mutable_grad() = scale * (torch::sin((step + 2) * b) - 0.3);
      }
      const std::vector<Vec> grads = {to_vec(w.grad()), to_vec(b.grad())};
      opt.set_lr(lrs[step]);
      ref.lr = lrs[step];
      opt.step();
      ref.step(grads);
      expect_near(w, ref.p[0], "w");
      expect_near(b, ref.p[1], "b");
    }
    expect_near(opt.state().at("exp_avg.w"), ref.m[0], "exp_avg.w");
    expect_near(opt.state().at("exp_avg_sq.b"), ref.v[1], "exp_avg_sq.b");
    EXPECT_EQ(opt.state().at("step").item<int64_t>(), 5);
  }
}

TEST(Lamb, TrustRatioScalesTheDecayGroupsStepToTheWeightNorm) {
  // One step from zero moments: m / bc1 = g, sqrt(v / bc2) = |g|, so the Adam update is
  // sign(g) (up to eps); with decay, trust = ||p|| / ||update|| makes the step lr ||p|| long.
  torch::Tensor w = torch::full({4}, 3.0).requires_grad_();
  torch::Tensor b = torch::full({4}, 3.0).requires_grad_();
  Lamb::Options options;
  options.lr = 0.1;
  options.max_grad_norm = 0;  // no clipping
  Lamb opt({{{"w"}, {w}, 1e-9}, {{"b"}, {b}, 0.0}}, options);
  w.mutable_grad() = torch::full({4}, 0.5);
  b.mutable_grad() = torch::full({4}, 0.5);
  opt.step();
  EXPECT_NEAR(w[0].item<double>(), 3.0 - 0.1 * 3.0, 1e-5);  // trust ratio ||p|| / ||sign||
  EXPECT_NEAR(b[0].item<double>(), 3.0 - 0.1, 1e-5);        // no decay: the plain Adam step
}

TEST(Lamb, StateRoundTripsByName) {
  auto make_params = [] {
    return std::vector<torch::Tensor>{torch::tensor({1.0, -2.0, 0.5}).requires_grad_(),
                                      torch::tensor({0.1, 0.2}).requires_grad_()};
  };
  auto grads = [](std::vector<torch::Tensor>& p, int step) {
    torch::NoGradGuard no_grad;
    for (auto& t : p) t.mutable_grad() = torch::cos((step + 1) * t) * 2.0;
  };
  auto a = make_params(), b = make_params();
  Lamb first({{{"w"}, {a[0]}, 0.02}, {{"b"}, {a[1]}, 0.0}}, Lamb::Options{});
  for (int s = 0; s < 3; ++s) {
    grads(a, s);
    first.step();
  }
  {
    torch::NoGradGuard no_grad;
    b[0].copy_(a[0]);
    b[1].copy_(a[1]);
  }
  Lamb restored({{{"w"}, {b[0]}, 0.02}, {{"b"}, {b[1]}, 0.0}}, Lamb::Options{});
  restored.load_state(first.state());
  for (int s = 3; s < 6; ++s) {
    grads(a, s);
    first.step();
    grads(b, s);
    restored.step();
  }
  EXPECT_TRUE(torch::equal(a[0], b[0]));
  EXPECT_TRUE(torch::equal(a[1], b[1]));
}

}  // namespace
}  // namespace imagenet
