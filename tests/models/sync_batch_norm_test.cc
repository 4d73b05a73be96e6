// SyncBatchNorm (models/sync_batch_norm.h) in a world of one: with an "all-reduce" that leaves the
// sums as they are, forward, backward and running statistics equal torch::nn::BatchNorm2d's
// (contiguous and channels-last, momentum and cumulative average, with and without affine), eval
// mode and no hook are plain bn.forward, and the models still match with the hook off.
#include "models/sync_batch_norm.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/registry.h"

namespace fastimg::models {
namespace {

// max |a - b| relative to max |b|: values near zero (normalised outputs) carry the rounding of
// their larger operands.
double max_rel_diff(const torch::Tensor& a, const torch::Tensor& b) {
  const auto b64 = b.to(torch::kDouble);
  return (a.to(torch::kDouble) - b64).abs().max().item<double>() / std::max(1e-30, b64.abs().max().item<double>());
}

struct Case {
  bool channels_last = false;
  std::optional<double> momentum = 0.1;
  bool affine = true;
};

// Three training steps of both modules on the same inputs (mean far from 0, so a naive
// E[x²] - E[x]² in float would show), then one eval step.
void expect_same_as_batch_norm2d(const Case& c) {
  SCOPED_TRACE(::testing::Message() << "channels_last=" << c.channels_last << " momentum="
                                    << (c.momentum ? *c.momentum : -1) << " affine=" << c.affine);
  torch::manual_seed(0);
  auto options = torch::nn::BatchNormOptions(6).momentum(c.momentum).affine(c.affine);
  torch::nn::BatchNorm2d reference(options), synced(options);
  if (c.affine) {
    torch::NoGradGuard no_grad;
    reference->weight.uniform_(0.5, 1.5);
    reference->bias.uniform_(-0.5, 0.5);
    synced->weight.copy_(reference->weight);
    synced->bias.copy_(reference->bias);
  }
  int reductions = 0;
  ScopedBatchNormAllReduce hook([&](torch::Tensor& t) {
    t.mul_(1);  // a world of one
    ++reductions;
  });
  ASSERT_TRUE(batch_norm_is_synchronised());
  double worst = 0;
  for (int step = 0; step < 3; ++step) {
    auto x = torch::randn({4, 6, 5, 7}) * 2 + 3 * (step + 1);
    if (c.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
    auto x_ref = x.detach().clone().requires_grad_(true);
    auto x_sync = x.detach().clone().requires_grad_(true);
    auto dy = torch::randn({4, 6, 5, 7});
    auto y_ref = reference->forward(x_ref);
    const int before = reductions;
    auto y_sync = batch_norm(*synced, x_sync);
    EXPECT_EQ(reductions, before + 1) << "one all-reduce in forward";
    if (c.channels_last) {
      EXPECT_TRUE(y_sync.is_contiguous(torch::MemoryFormat::ChannelsLast));
    }
    (y_ref * dy).sum().backward();
    (y_sync * dy).sum().backward();
    EXPECT_EQ(reductions, before + 2) << "one all-reduce in backward";
    worst = std::max(worst, max_rel_diff(y_sync, y_ref));
    worst = std::max(worst, max_rel_diff(x_sync.grad(), x_ref.grad()));
    if (c.affine) {
      worst = std::max(worst, max_rel_diff(synced->weight.grad(), reference->weight.grad()));
      worst = std::max(worst, max_rel_diff(synced->bias.grad(), reference->bias.grad()));
    }
    worst = std::max(worst, max_rel_diff(synced->running_mean, reference->running_mean));
    worst = std::max(worst, max_rel_diff(synced->running_var, reference->running_var));
    EXPECT_EQ(synced->num_batches_tracked.item<int64_t>(), step + 1);
  }
  std::printf("max relative difference to BatchNorm2d: %.3g\n", worst);
  EXPECT_LT(worst, 1e-6);

  // Eval mode is bn.forward with the running statistics and never reduces.
  reference->eval();
  synced->eval();
  const int before = reductions;
  auto x = torch::randn({2, 6, 3, 3}) + 3;
  if (c.channels_last) x = x.contiguous(torch::MemoryFormat::ChannelsLast);
  auto y_eval = batch_norm(*synced, x);
  EXPECT_TRUE(torch::equal(y_eval, synced->forward(x)));
  EXPECT_LT(max_rel_diff(y_eval, reference->forward(x)), 1e-6);
  EXPECT_EQ(reductions, before);
}

TEST(SyncBatchNorm, WorldOfOneEqualsBatchNorm2d) { expect_same_as_batch_norm2d({}); }

TEST(SyncBatchNorm, WorldOfOneEqualsBatchNorm2dChannelsLast) { expect_same_as_batch_norm2d({.channels_last = true}); }

TEST(SyncBatchNorm, WorldOfOneEqualsBatchNorm2dWithCumulativeAverage) {
  // momentum unset: BN recalibration's cumulative average, batch k weighs 1/k.
  expect_same_as_batch_norm2d({.momentum = std::nullopt});
}

TEST(SyncBatchNorm, WorldOfOneEqualsBatchNorm2dWithoutAffine) {
  expect_same_as_batch_norm2d({.channels_last = true, .affine = false});
}

TEST(SyncBatchNorm, ReducedPrecisionInputsKeepTheirDtypeWithFloatStatistics) {
  torch::manual_seed(1);
  torch::nn::BatchNorm2d reference(4), synced(4);
  ScopedBatchNormAllReduce hook([](torch::Tensor&) {});
  auto x = (torch::randn({3, 4, 6, 6}) * 3 + 1).to(torch::kBFloat16).contiguous(torch::MemoryFormat::ChannelsLast);
  auto x_sync = x.detach().clone().requires_grad_(true);
  auto y = batch_norm(*synced, x_sync);
  EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
  EXPECT_TRUE(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
  y.to(torch::kFloat).square().sum().backward();
  EXPECT_EQ(x_sync.grad().scalar_type(), torch::kBFloat16);
  EXPECT_EQ(synced->weight.grad().scalar_type(), torch::kFloat);
  // Statistics of the bfloat16 values, computed in float: the float reference on the same values.
  auto y_ref = reference->forward(x.to(torch::kFloat));
  EXPECT_LT((y.to(torch::kFloat) - y_ref).abs().max().item<double>(), 0.05);
  EXPECT_LT((synced->running_mean - reference->running_mean).abs().max().item<double>(), 1e-6);
  EXPECT_LT((synced->running_var - reference->running_var).abs().max().item<double>(), 1e-5);
}

TEST(SyncBatchNorm, WithoutAHookItIsBatchNorm2dForward) {
  set_batch_norm_all_reduce(nullptr);
  EXPECT_FALSE(batch_norm_is_synchronised());
  torch::manual_seed(2);
  torch::nn::BatchNorm2d a(3), b(3);
  auto x = torch::randn({2, 3, 4, 4});
  EXPECT_TRUE(torch::equal(batch_norm(*a, x), b->forward(x)));
  EXPECT_TRUE(torch::equal(a->running_var, b->running_var));
  {
    ScopedBatchNormAllReduce outer([](torch::Tensor&) {});
    EXPECT_TRUE(batch_norm_is_synchronised());
    {
      ScopedBatchNormAllReduce off(nullptr);
      EXPECT_FALSE(batch_norm_is_synchronised());
    }
    EXPECT_TRUE(batch_norm_is_synchronised());
  }
  EXPECT_FALSE(batch_norm_is_synchronised());
}

// A whole ResNet and VGG-16-BN (every BN, including the downsample's and those inside `features`)
// through the hook: same outputs, input gradients and running statistics as without it.
TEST(SyncBatchNorm, ModelsRouteEveryBatchNormThroughTheHook) {
  for (std::string name : {"resnet_mini", "vgg16_bn"}) {
    SCOPED_TRACE(name);
    torch::manual_seed(3);
    auto plain = make_model(name, {.num_classes = 5});
    torch::manual_seed(3);
    auto synced = make_model(name, {.num_classes = 5});
    const int64_t resolution = name == "vgg16_bn" ? 32 : 64;
    auto x = torch::randn({2, 3, resolution, resolution});
    int64_t num_bn = 0;
    for (auto& m : plain->modules(false)) num_bn += m->as<torch::nn::BatchNorm2d>() != nullptr;
    int reductions = 0;
    torch::manual_seed(4);  // dropout
    auto x_plain = x.clone().requires_grad_(true);
    auto out_plain = plain->forward(x_plain);
    out_plain.square().sum().backward();
    torch::Tensor out_synced, x_synced = x.clone().requires_grad_(true);
    {
      ScopedBatchNormAllReduce hook([&](torch::Tensor&) { ++reductions; });
      torch::manual_seed(4);
      out_synced = synced->forward(x_synced);
      out_synced.square().sum().backward();
    }
    EXPECT_EQ(reductions, 2 * num_bn) << "forward and backward of each of the " << num_bn << " BNs";
    const double out_diff = max_rel_diff(out_synced, out_plain);
    const double grad_diff = max_rel_diff(x_synced.grad(), x_plain.grad());
    double stats_diff = 0;
    auto plain_buffers = plain->named_buffers();
    for (auto& item : synced->named_buffers())
      stats_diff = std::max(stats_diff, max_rel_diff(item.value(), plain_buffers[item.key()]));
    std::printf("%s: %lld BNs, output %.3g, input gradient %.3g, buffers %.3g\n", name.c_str(),
                static_cast<long long>(num_bn), out_diff, grad_diff, stats_diff);
    EXPECT_LT(out_diff, 1e-4);
    EXPECT_LT(grad_diff, 1e-4);
    EXPECT_LT(stats_diff, 1e-5);
  }
}

}  // namespace
}  // namespace fastimg::models
