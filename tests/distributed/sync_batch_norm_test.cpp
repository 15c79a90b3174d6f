// Tests distributed/sync_batch_norm on two ranks with uneven batches (3 and 5 images, threads
// over loopback Gloo) against torch::nn::BatchNorm2d on the whole batch: outputs, input,
// weight and bias gradients, running statistics; on the CPU (the composite) and, where a GPU
// is present, on CUDA (ATen's kernels); eval mode; bf16 input; and the averaging of running
// statistics used without sync_batchnorm.
#include "imagenet/distributed/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "ranks.h"

namespace imagenet {
namespace {

using testing::run_ranks;

void expect_close(const at::Tensor& actual, const at::Tensor& expected, const std::string& what,
                  double tolerance = 1e-5) {
  const double scale = expected.abs().max().item<double>() + 1e-6;
  const double diff = (actual - expected).abs().max().item<double>();
  EXPECT_LT(diff / scale, tolerance) << what << ": " << diff << " of " << scale;
}

struct Case {
  at::Tensor x;                        // [8, 4, 5, 6], channels_last, mean far from 0
  at::Tensor out_grad;                 // d loss / d output
  at::Tensor weight;                   // [4]
  at::Tensor bias;                     // [4]
  std::vector<int64_t> rows{0, 3, 8};  // rank r has images rows[r] to rows[r+1]
};

Case make_case() {
  torch::manual_seed(3);
  Case c;
  c.x = (torch::randn({8, 4, 5, 6}) * 0.5 + 20).contiguous(at::MemoryFormat::ChannelsLast);
  c.out_grad = torch::randn({8, 4, 5, 6});
  c.weight = torch::rand({4}) + 0.5;
  c.bias = torch::randn({4});
  return c;
}

torch::nn::BatchNorm2d make_layer(const Case& c) {
  torch::nn::BatchNorm2d bn(4);
  torch::NoGradGuard no_grad;
  bn->weight.copy_(c.weight);
  bn->bias.copy_(c.bias);
  return bn;
}

/// Two ranks with 3 and 5 images against one layer with all 8, on `device` (CPU: the
/// composite; CUDA: ATen's SyncBatchNorm kernels, the ranks sharing the GPU through Gloo).
void expect_uneven_halves_equal_whole_batch(c10::Device device) {
  Case c = make_case();
  c.x = c.x.to(device);
  c.out_grad = c.out_grad.to(device);
  c.weight = c.weight.to(device);
  c.bias = c.bias.to(device);
  // Reference: one layer sees all 8 images.
  torch::nn::BatchNorm2d reference = make_layer(c);
  reference->to(device);
  at::Tensor x = c.x.clone().requires_grad_(true);
  at::Tensor y = reference->forward(x);
  (y * c.out_grad).sum().backward();

  std::vector<torch::nn::BatchNorm2d> layers{make_layer(c), make_layer(c)};
  for (auto& layer : layers) layer->to(device);
  std::vector<at::Tensor> outputs(2), input_grads(2);
  run_ranks(
      2,
      [&](int rank, ProcessGroup& group) {
        const int64_t begin = c.rows[rank], n = c.rows[rank + 1] - begin;
        at::Tensor mine = c.x.narrow(0, begin, n).clone().requires_grad_(true);
        at::Tensor out = sync_batch_norm(*layers[rank], mine, group);
        (out * c.out_grad.narrow(0, begin, n)).sum().backward();
        outputs[rank] = out.detach();
        input_grads[rank] = mine.grad();
      },
      std::chrono::seconds(30), device);

  expect_close(at::cat(outputs), y.detach(), "output");
  expect_close(at::cat(input_grads), x.grad(), "input gradient");
  // Weight and bias gradients: each rank has its share; the gradient all-reduce sums them.
  // (Sums of 240 terms each: float32 rounding allows a little more.)
  expect_close(layers[0]->weight.grad() + layers[1]->weight.grad(), reference->weight.grad(),
               "weight gradient", 1e-4);
  expect_close(layers[0]->bias.grad() + layers[1]->bias.grad(), reference->bias.grad(),
               "bias gradient", 1e-4);
  for (int rank = 0; rank < 2; ++rank) {
    expect_close(layers[rank]->running_mean, reference->running_mean, "running_mean");
    expect_close(layers[rank]->running_var, reference->running_var, "running_var");
    EXPECT_EQ(layers[rank]->num_batches_tracked.item<int64_t>(), 1);
  }
}

TEST(SyncBatchNorm, UnevenHalvesEqualBatchNormOverTheWholeBatch) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  expect_uneven_halves_equal_whole_batch(c10::Device(c10::kCPU));
}

TEST(SyncBatchNorm, UnevenHalvesOnCudaUseTheKernelsAndAgree) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA GPU (the CPU runs the composite)";
  IMAGENET_SKIP_WITHOUT_GLOO();  // two ranks share the one GPU: Gloo, not NCCL
  expect_uneven_halves_equal_whole_batch(c10::Device(c10::kCUDA, 0));
}

TEST(SyncBatchNorm, EvalModeUsesTheRunningStatistics) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  const Case c = make_case();
  std::vector<torch::nn::BatchNorm2d> layers{make_layer(c), make_layer(c)};
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    torch::nn::BatchNorm2d& layer = layers[rank];
    {
      torch::NoGradGuard no_grad;
      layer->running_mean.fill_(19.5);
      layer->running_var.fill_(0.3);
    }
    layer->eval();
    at::Tensor x = c.x.narrow(0, c.rows[rank], 2);
    // No collective in eval mode: rank 1 would wait for nothing if one were issued.
    expect_close(sync_batch_norm(*layer, x, group), layer->forward(x), "eval output", 1e-6);
    EXPECT_EQ(layer->num_batches_tracked.item<int64_t>(), 0);
  });
}

TEST(SyncBatchNorm, Bfloat16InputKeepsItsTypeAndFloatStatistics) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  const Case c = make_case();
  torch::nn::BatchNorm2d reference = make_layer(c);
  at::Tensor expected = reference->forward(c.x);
  std::vector<torch::nn::BatchNorm2d> layers{make_layer(c), make_layer(c)};
  std::vector<at::Tensor> outputs(2);
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    const int64_t begin = c.rows[rank], n = c.rows[rank + 1] - begin;
    outputs[rank] =
        sync_batch_norm(*layers[rank], c.x.narrow(0, begin, n).to(at::kBFloat16), group);
  });
  EXPECT_EQ(outputs[0].scalar_type(), at::kBFloat16);
  // bf16 keeps 8 bits of mantissa: inputs near 20 lose about 0.06 before normalization.
  expect_close(at::cat(outputs).to(at::kFloat), expected, "bf16 output", 0.1);
}

TEST(SyncBatchNorm, RunningStatisticsAreAveragedOverRanks) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  std::vector<torch::nn::BatchNorm2d> layers{torch::nn::BatchNorm2d(3), torch::nn::BatchNorm2d(3)};
  {
    torch::NoGradGuard no_grad;
    layers[0]->running_mean.copy_(torch::tensor({1.0, 2.0, 3.0}));
    layers[1]->running_mean.copy_(torch::tensor({3.0, 4.0, 8.0}));
    layers[0]->running_var.fill_(1.0);
    layers[1]->running_var.fill_(2.0);
  }
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    average_running_stats({layers[rank].get()}, group);
  });
  for (int rank = 0; rank < 2; ++rank) {
    EXPECT_TRUE(torch::allclose(layers[rank]->running_mean, torch::tensor({2.0, 3.0, 5.5})));
    EXPECT_TRUE(torch::allclose(layers[rank]->running_var, torch::full({3}, 1.5)));
  }
}

}  // namespace
}  // namespace imagenet
