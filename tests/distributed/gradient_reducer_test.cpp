// Tests distributed/gradient_reducer on two ranks (threads over loopback Gloo): gradients end as
// the mean over ranks, several steps of SGD on two half batches equal steps on the whole batch
// (with SyncBatchNorm), buckets follow DDP's assignment, start during backward, and a parameter
// without a gradient does not stall the step.
#include "imagenet/distributed/gradient_reducer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "imagenet/distributed/sync_batch_norm.h"
#include "ranks.h"

namespace imagenet {
namespace {

using testing::run_ranks;

/// conv -> BN -> relu -> conv -> BN -> relu -> pool -> linear, channels_last like training.
struct SmallNetImpl : torch::nn::Module {
  SmallNetImpl() {
    torch::manual_seed(7);
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(8));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(8, 16, 3)));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(16));
    fc = register_module("fc", torch::nn::Linear(16, 5));
    torch::NoGradGuard no_grad;
    for (auto& p : parameters())
      if (p.dim() == 4) p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
  }
  at::Tensor norm(torch::nn::BatchNorm2d& bn, const at::Tensor& x) {
    return group ? sync_batch_norm(*bn, x, *group) : bn->forward(x);
  }
  at::Tensor forward(at::Tensor x) {
    x = torch::relu(norm(bn1, conv1->forward(x)));
    x = torch::relu(norm(bn2, conv2->forward(x)));
    return fc->forward(x.mean({2, 3}));
  }
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Linear fc{nullptr};
  ProcessGroup* group = nullptr;  // SyncBatchNorm when set
};
TORCH_MODULE(SmallNet);

struct Data {
  at::Tensor images;  // [16, 3, 12, 12], channels_last
  at::Tensor labels;  // [16]
};

Data make_data(int step) {
  torch::manual_seed(100 + step);
  Data d;
  d.images = (torch::randn({16, 3, 12, 12}) * 2 + 0.5).contiguous(at::MemoryFormat::ChannelsLast);
  d.labels = torch::randint(5, {16});
  return d;
}

void sgd_step(torch::nn::Module& model, double lr) {
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters()) p.add_(p.grad(), -lr);
}

void zero_grads(torch::nn::Module& model) {
  for (auto& p : model.parameters())
    if (p.grad().defined()) p.mutable_grad().zero_();
}

/// The whole batch in one process: the reference.
std::vector<at::Tensor> train_whole_batch(const std::vector<Data>& data) {
  SmallNet net;
  for (const Data& d : data) {
    zero_grads(*net);
    torch::nll_loss(torch::log_softmax(net->forward(d.images), 1), d.labels).backward();
    sgd_step(*net, 0.5);
  }
  std::vector<at::Tensor> out;
  for (auto& p : net->parameters()) out.push_back(p.detach().clone());
  for (auto& b : net->buffers()) out.push_back(b.detach().clone());
  return out;
}

void expect_close(const std::vector<at::Tensor>& a, const std::vector<at::Tensor>& b,
                  const std::string& what) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_floating_point()) {
      EXPECT_TRUE(torch::equal(a[i], b[i])) << what << " tensor " << i;
      continue;
    }
    const double scale = a[i].abs().max().item<double>() + 1e-6;
    const double diff = (a[i] - b[i]).abs().max().item<double>();
    EXPECT_LT(diff / scale, 2e-5) << what << " tensor " << i << ": " << diff << " of " << scale;
  }
}

class GradientReducerTest : public ::testing::TestWithParam<bool> {};

TEST_P(GradientReducerTest, TwoHalfBatchesWithSyncBatchNormEqualTheWholeBatch) {
  IMAGENET_SKIP_WITHOUT_GLOO();
  const bool views = GetParam();
  // Everything random is drawn up front: the global generator is shared by the rank threads.
  std::vector<Data> data;
  for (int s = 0; s < 4; ++s) data.push_back(make_data(s));
  const std::vector<at::Tensor> expected = train_whole_batch(data);
  std::vector<SmallNet> nets{SmallNet(), SmallNet()};
  std::vector<std::vector<at::Tensor>> results(2);
  run_ranks(2, [&](int rank, ProcessGroup& group) {
    SmallNet net = nets[rank];
    net->group = &group;
    GradientReducerOptions options;
    options.grads_as_views = views;
    options.first_bucket_mb = 0.0001;  // several buckets even for this small net
    options.bucket_mb = 0.002;
    GradientReducer reducer(std::shared_ptr<ProcessGroup>(&group, [](ProcessGroup*) {}),
                            net->parameters(), options);
    EXPECT_GT(reducer.bucket_params().size(), 2u);
    for (const Data& d : data) {
      // Rank r takes samples r, r + 2, ...: the sampler's split of the global batch.
      at::Tensor index = torch::arange(rank, 16, 2);
      zero_grads(*net);
      at::Tensor logits = net->forward(d.images.index_select(0, index));
      torch::nll_loss(torch::log_softmax(logits, 1), d.labels.index_select(0, index)).backward();
      reducer.finish_backward();
      EXPECT_GT(reducer.launched_during_backward(), 0) << "no bucket started inside backward";
      sgd_step(*net, 0.5);
    }
    for (auto& p : net->parameters()) results[rank].push_back(p.detach().clone());
    for (auto& b : net->buffers()) results[rank].push_back(b.detach().clone());
  });
  expect_close(expected, results[0], "rank 0");
  // Both ranks hold the same weights, bit for bit.
  for (size_t i = 0; i < results[0].size(); ++i)
    EXPECT_TRUE(torch::equal(results[0][i], results[1][i])) << "tensor " << i;
}

INSTANTIATE_TEST_SUITE_P(GradsAsViewsOrCopies, GradientReducerTest, ::testing::Bool());

}  // namespace
}  // namespace imagenet
