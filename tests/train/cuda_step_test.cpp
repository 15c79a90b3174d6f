// Tests the training step on a GPU; every test skips where LibTorch sees none (CI's CPU build).
// The step replayed as a CUDA graph (compile_model) against the eager step, PyTorch's fused SGD
// against our multi-tensor SGD, the fp16 loss scaler on the device, channels_last, and the
// cuDNN / TF32 switches.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "imagenet/train/amp.h"
#include "imagenet/train/sgd.h"
#include "imagenet/train/torch_compat.h"
#include "imagenet/train/train_step.h"

namespace imagenet {
namespace {

#define SKIP_WITHOUT_CUDA() \
  if (!compat::cuda_available()) GTEST_SKIP() << "no CUDA device in this build or machine"

const c10::Device kCuda(c10::DeviceType::CUDA, 0);
constexpr int64_t kClasses = 10;

Config step_config(Precision precision, bool compile, bool mix) {
  Config c;
  c.model.arch = "resnet18";
  c.model.compile_model = compile;
  c.train.precision = precision;
  c.optim.lr = 0.05;
  c.optim.label_smoothing = 0.1;
  c.optim.gradient_clip_val = 2.0;
  if (mix) {
    c.mix.mixup_alpha = 0.2;
    c.mix.cutmix_alpha = 1.0;
    c.mix.mixup_prob = 0.6;
  }
  return c;
}

/// Fixed batches (the same for every step object): [16, 3, 48, 48] channels_last on the GPU.
std::vector<DeviceBatch> batches(int n) {
  torch::manual_seed(7);
  std::vector<DeviceBatch> out;
  for (int i = 0; i < n; ++i) {
    DeviceBatch b;
    b.images = torch::randn({16, 3, 48, 48}).to(kCuda).contiguous(at::MemoryFormat::ChannelsLast);
    b.labels = torch::randint(kClasses, {16}, torch::kLong).to(kCuda);
    out.push_back(b);
  }
  return out;
}

/// Runs the batches through `step` at a varying LR; the losses per step.
std::vector<float> run_steps(TrainStep& step, const std::vector<DeviceBatch>& data) {
  std::vector<float> losses;
  for (size_t i = 0; i < data.size(); ++i) {
    DeviceBatch b{data[i].images.clone(), data[i].labels.clone()};  // mixing writes in place
    StepResult r =
        step.run(b, 0.05 * (1.0 + 0.1 * static_cast<double>(i)), static_cast<int64_t>(i));
    losses.push_back(r.loss.item<float>());
    EXPECT_EQ(r.logits.size(0), 16);
  }
  return losses;
}

float max_weight_difference(TrainStep& a, TrainStep& b) {
  float worst = 0;
  auto pa = a.model()->named_parameters(), pb = b.model()->named_parameters();
  for (const auto& item : pa)
    worst = std::max(worst, (item.value() - pb[item.key()]).abs().max().item<float>());
  return worst;
}

TEST(CudaGraphStep, ReplaysTheEagerLossCurve) {
  SKIP_WITHOUT_CUDA();
  // Deterministic cuDNN kernels: differences then come from the graph, not from atomics.
  compat::configure_cuda_math(/*cudnn_benchmark=*/false, /*tf32=*/false);
  at::globalContext().setDeterministicCuDNN(true);
  const auto data = batches(10);
  for (Precision precision :
       {Precision::kFloat32, Precision::kBFloat16Mixed, Precision::kFloat16Mixed}) {
    for (bool mix : {false, true}) {
      SCOPED_TRACE(testing::Message()
                   << "precision " << static_cast<int>(precision) << ", mix " << mix);
      Config eager_config = step_config(precision, false, mix);
      Config graph_config = step_config(precision, true, mix);
      TrainStep eager(train_step_options(eager_config), kCuda, kClasses);
      TrainStep graphed(train_step_options(graph_config), kCuda, kClasses);
      std::vector<float> a = run_steps(eager, data);
      std::vector<float> b = run_steps(graphed, data);
      EXPECT_FALSE(eager.graphed());
      ASSERT_TRUE(graphed.graphed()) << graphed.why_eager();
      const float tolerance = precision == Precision::kFloat32 ? 1e-4f : 2e-2f;
      for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], tolerance * a[i]) << i;
      // Weights drift more than losses: steps that do not mix use one-hot targets in the graph.
      EXPECT_LT(max_weight_difference(eager, graphed),
                precision == Precision::kFloat32 ? 1e-3f : 2e-2f);
      EXPECT_DOUBLE_EQ(eager.scaler().scale_value(), graphed.scaler().scale_value());
    }
  }
}

TEST(CudaGraphStep, FallsBackToEagerWithAReason) {
  SKIP_WITHOUT_CUDA();
  Config config = step_config(Precision::kBFloat16Mixed, true, false);
  TrainStep cpu_step(train_step_options(config), c10::Device(c10::kCPU), kClasses);
  EXPECT_NE(cpu_step.why_eager().find("CUDA device"), std::string::npos);
  TrainStep ddp_step(train_step_options(config), kCuda, kClasses);
  ddp_step.set_after_backward([] {});
  EXPECT_NE(ddp_step.why_eager().find("all-reduce"), std::string::npos);
  run_steps(ddp_step, batches(kGraphWarmupSteps + 2));
  EXPECT_FALSE(ddp_step.graphed());
}

TEST(CudaSgd, FusedKernelMatchesTheMultiTensorUpdate) {
  SKIP_WITHOUT_CUDA();
  ASSERT_TRUE(compat::fused_sgd_available(kCuda));
  torch::manual_seed(3);
  auto w = torch::randn({8, 4, 3, 3}), b = torch::randn({8});
  std::vector<torch::Tensor> gpu{w.to(kCuda), b.to(kCuda)}, cpu{w.clone(), b.clone()};
  Sgd fused({{{"w", "b"}, gpu, 1e-4}}, {0.1, 0.9, true});
  Sgd reference({{{"w", "b"}, cpu, 1e-4}}, {0.1, 0.9, true});
  for (int step = 0; step < 4; ++step) {
    auto gw = torch::randn({8, 4, 3, 3}), gb = torch::randn({8});
    gpu[0].mutable_grad() = gw.to(kCuda);
    gpu[1].mutable_grad() = gb.to(kCuda);
    cpu[0].mutable_grad() = gw;
    cpu[1].mutable_grad() = gb;
    fused.step();
    reference.step();
  }
  EXPECT_TRUE(torch::allclose(gpu[0].cpu(), cpu[0], 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(gpu[1].cpu(), cpu[1], 1e-5, 1e-6));

  // On the device: the LR from a tensor, and no update at all when found_inf is set.
  auto before = gpu[0].clone();
  auto lr = torch::full({}, 0.5, torch::TensorOptions().device(kCuda));
  fused.step_on_device(lr, torch::ones({1}, torch::TensorOptions().device(kCuda)));
  EXPECT_TRUE(torch::equal(gpu[0], before));
  fused.step_on_device(lr, torch::zeros({1}, torch::TensorOptions().device(kCuda)));
  EXPECT_FALSE(torch::equal(gpu[0], before));
}

TEST(CudaGradScaler, SkipsOnOverflowAndGrowsBackOnTheDevice) {
  SKIP_WITHOUT_CUDA();
  GradScalerOptions o;
  o.init_scale = 1024;
  o.growth_interval = 2;
  GradScaler host(true, kCuda, o), device(true, kCuda, o);
  auto inf = std::numeric_limits<float>::infinity();
  // Host path (eager steps): the step is skipped and the scale halves.
  EXPECT_FALSE(host.unscale({torch::tensor({1.0f, inf}).to(kCuda)}));
  host.update(false);
  EXPECT_EQ(host.scale_value(), 512.0);
  // Device path (graph steps): the same decisions, found_inf read only by the test.
  device.unscale_on_device({torch::tensor({1.0f, inf}).to(kCuda)});
  EXPECT_EQ(device.found_inf().item<float>(), 1.0f);
  device.update_on_device();
  EXPECT_EQ(device.scale_value(), 512.0);
  for (int i = 0; i < 2; ++i) {
    auto g = torch::full({3}, 512.0f).to(kCuda);
    device.unscale_on_device({g});
    EXPECT_EQ(device.found_inf().item<float>(), 0.0f);
    EXPECT_TRUE(torch::allclose(g.cpu(), torch::ones({3})));
    device.update_on_device();
    EXPECT_TRUE(host.unscale({torch::ones({3}).to(kCuda)}));
    host.update(true);
  }
  EXPECT_EQ(device.scale_value(), 1024.0);  // grew back after growth_interval clean steps
  EXPECT_EQ(host.scale_value(), 1024.0);
}

TEST(CudaStep, ChannelsLastModelInputsAndGradients) {
  SKIP_WITHOUT_CUDA();
  Config config = step_config(Precision::kBFloat16Mixed, false, false);
  TrainStep step(train_step_options(config), kCuda, kClasses);
  run_steps(step, batches(1));
  int four_d = 0;
  for (const auto& p : step.model()->parameters()) {
    if (p.dim() != 4) continue;
    ++four_d;
    EXPECT_TRUE(p.is_contiguous(at::MemoryFormat::ChannelsLast));
    EXPECT_TRUE(p.grad().is_contiguous(at::MemoryFormat::ChannelsLast));
  }
  EXPECT_EQ(four_d, 20);  // resnet18's convolutions
}

TEST(CudaStep, CudnnAutotuningAndTf32Switches) {
  SKIP_WITHOUT_CUDA();
  compat::configure_cuda_math(true, true);
  EXPECT_TRUE(at::globalContext().benchmarkCuDNN());
  EXPECT_TRUE(at::globalContext().allowTF32CuDNN());
  EXPECT_TRUE(at::globalContext().allowTF32CuBLAS());
  compat::configure_cuda_math(false, false);
  EXPECT_FALSE(at::globalContext().benchmarkCuDNN());
  EXPECT_FALSE(at::globalContext().allowTF32CuBLAS());
}

}  // namespace
}  // namespace imagenet
