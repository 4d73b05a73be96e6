// Gradient accumulation: an optimizer step over micro-batches equals one step over their union.
#include "train/train_step.h"

#include <gtest/gtest.h>

#include <cmath>

#include "optim/grad_clip.h"
#include "optim/optimizer.h"
#include "train/host_read.h"
#include "train/loss_scaler.h"

namespace fastimg::train {
namespace {

// No BatchNorm: its batch statistics would differ between a micro-batch and the union, as they
// do in PyTorch. Conv + linear still exercise every optimizer code path.
struct SmallNetImpl : models::ClassifierImpl {
  SmallNetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 6, 3).stride(2)));
    fc = register_module("fc", torch::nn::Linear(6 * 3 * 3, 5));
  }
  torch::Tensor forward(torch::Tensor x) override { return fc(torch::relu(conv(x)).flatten(1)); }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr};
};

std::shared_ptr<SmallNetImpl> make_net() {
  torch::manual_seed(7);
  return std::make_shared<SmallNetImpl>();
}

// Runs `steps` steps, each over `sizes` micro-batches cut from the same fixed batch of 8.
std::vector<torch::Tensor> train(const std::string& optimizer, const std::vector<int64_t>& sizes, int steps,
                                 double* first_loss = nullptr) {
  auto net = make_net();
  optim::OptimizerOptions o;
  o.name = optimizer;
  o.lr = optimizer.find("adam") != std::string::npos ? 1e-2 : 0.1;
  o.weight_decay = 5e-4;
  o.momentum = 0.9;
  auto opt = optim::make_optimizer(o, *net);
  opt->train();
  TrainStepOptions so;
  so.label_smoothing = 0.1;
  TrainStep step(*net, *opt, so);
  for (int s = 0; s < steps; ++s) {
    torch::manual_seed(100 + s);
    auto x = torch::randn({8, 3, 8, 8});
    auto y = torch::randint(0, 5, {8}, torch::kLong);
    std::vector<MicroBatch> micro;
    int64_t at = 0;
    for (int64_t n : sizes) {
      micro.push_back({x.slice(0, at, at + n), y.slice(0, at, at + n)});
      at += n;
    }
    const StepOutcome out = step.run(micro);
    EXPECT_TRUE(out.applied);
    if (s == 0 && first_loss) *first_loss = out.loss.item<double>();
  }
  opt->eval();  // schedule-free: compare the evaluation weights x too
  std::vector<torch::Tensor> params;
  for (auto& p : net->parameters()) params.push_back(p.detach().clone());
  return params;
}

class GradientAccumulation : public ::testing::TestWithParam<std::string> {};

TEST_P(GradientAccumulation, MicroBatchesGiveTheWeightsOfTheirUnion) {
  double whole_loss = 0, split_loss = 0, uneven_loss = 0;
  const auto whole = train(GetParam(), {8}, 3, &whole_loss);
  const auto split = train(GetParam(), {4, 4}, 3, &split_loss);
  const auto uneven = train(GetParam(), {5, 2, 1}, 3, &uneven_loss);
  EXPECT_NEAR(split_loss, whole_loss, 1e-6);
  EXPECT_NEAR(uneven_loss, whole_loss, 1e-6);
  const auto initial = make_net()->parameters();
  ASSERT_EQ(whole.size(), split.size());
  for (size_t i = 0; i < whole.size(); ++i) {
    EXPECT_FALSE(torch::allclose(whole[i], initial[i])) << "parameter " << i << " did not move";
    EXPECT_TRUE(torch::allclose(split[i], whole[i], 1e-5, 1e-6)) << GetParam() << " parameter " << i;
    EXPECT_TRUE(torch::allclose(uneven[i], whole[i], 1e-5, 1e-6)) << GetParam() << " parameter " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Optimizers, GradientAccumulation,
                         ::testing::Values("sgd", "adamw", "sgd_schedule_free", "sam", "sam_v2"));

// Weighting matters: averaging the micro-batch means without their shares is a different gradient.
TEST(GradientAccumulationCheck, UnevenMicroBatchesAreWeightedBySize) {
  auto net = make_net();
  auto x = torch::randn({8, 3, 8, 8});
  auto y = torch::randint(0, 5, {8}, torch::kLong);
  optim::OptimizerOptions o;
  o.lr = 0;  // only the reported loss matters here
  auto opt = optim::make_optimizer(o, *net);
  TrainStep step(*net, *opt, {});
  const double uneven = step.run({{x.slice(0, 0, 6), y.slice(0, 0, 6)}, {x.slice(0, 6, 8), y.slice(0, 6, 8)}}).loss.item<double>();
  const double whole = step.run({{x, y}}).loss.item<double>();
  const double unweighted = 0.5 * (torch::nn::functional::cross_entropy(net->forward(x.slice(0, 0, 6)), y.slice(0, 0, 6)) +
                                   torch::nn::functional::cross_entropy(net->forward(x.slice(0, 6, 8)), y.slice(0, 6, 8)))
                                      .item<double>();
  EXPECT_NEAR(uneven, whole, 1e-6);
  EXPECT_GT(std::abs(unweighted - whole), 1e-4);
}

// Device-side clipping equals LibTorch's clip_grad_norm_ (which reads the norm back to the host),
// both when it clips and when the norm is already below the limit.
TEST(GradClip, OnDeviceEqualsTorchClipGradNorm) {
  for (double max_norm : {0.05, 1e6}) {
    auto a = make_net(), b = make_net();
    torch::manual_seed(3);
    auto x = torch::randn({8, 3, 8, 8});
    auto y = torch::randint(0, 5, {8}, torch::kLong);
    for (auto* net : {a.get(), b.get()}) torch::nn::functional::cross_entropy(net->forward(x), y).backward();
    const double reference = torch::nn::utils::clip_grad_norm_(b->parameters(), max_norm);
    const torch::Tensor total = optim::clip_grad_norm_on_device(a->parameters(), max_norm);
    EXPECT_NEAR(total.item<double>(), reference, 1e-6 * reference);
    const auto pa = a->parameters(), pb = b->parameters();
    for (size_t i = 0; i < pa.size(); ++i)
      EXPECT_TRUE(torch::allclose(pa[i].grad(), pb[i].grad(), 1e-6, 1e-9)) << "max_norm " << max_norm << " param " << i;
  }
}

}  // namespace
}  // namespace fastimg::train

namespace fastimg::train {
namespace {

// Steps on a small net; returns how many host reads the steps made.
int64_t host_reads_over_steps(TrainStepOptions so, DynamicLossScaler* scaler, int steps) {
  auto net = make_net();
  optim::OptimizerOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  auto opt = optim::make_optimizer(o, *net);
  TrainStep step(*net, *opt, so, nullptr, scaler);
  torch::manual_seed(3);
  auto x = torch::randn({8, 3, 8, 8});
  auto y = torch::randint(0, 5, {8}, torch::kLong);
  const int64_t before = host_reads();
  for (int s = 0; s < steps; ++s) {
    if (so.grad_accumulation > 1)
      step.run({{x.slice(0, 0, 4), y.slice(0, 0, 4)}, {x.slice(0, 4, 8), y.slice(0, 4, 8)}});
    else
      step.run({{x, y}});
  }
  return host_reads() - before;
}

TEST(HostSync, AStepReadsNothingBackFromTheDevice) {
  TrainStepOptions so;
  so.label_smoothing = 0.1;
  so.grad_clip = 1.0;  // clipping stays on the device
  EXPECT_EQ(host_reads_over_steps(so, nullptr, 5), 0);
  so.grad_accumulation = 2;
  EXPECT_EQ(host_reads_over_steps(so, nullptr, 5), 0);
}

TEST(HostSync, Fp16ReadsOnlyItsInfNanFlagOncePerStep) {
  TrainStepOptions so;
  DynamicLossScaler scaler(torch::kCPU, 1024.0);
  EXPECT_EQ(host_reads_over_steps(so, &scaler, 4), 4);
}

TEST(LossScaler, SkipsInfStepsHalvesAndGrowsLikeGradScaler) {
  // torch.amp.GradScaler's documented policy: backoff 0.5 on inf/nan, growth 2.0 after
  // growth_interval finite steps in a row; the step is skipped when inf/nan is found.
  DynamicLossScaler scaler(torch::kCPU, 8.0, /*growth_interval=*/2);
  auto p = torch::ones({3}, torch::requires_grad());
  p.mutable_grad() = torch::tensor({8.0f, 16.0f, 24.0f});
  torch::Tensor found = scaler.unscale({p});
  EXPECT_TRUE(DynamicLossScaler::step_allowed(found));
  EXPECT_TRUE(torch::allclose(p.grad(), torch::tensor({1.0f, 2.0f, 3.0f})));
  scaler.update(found);
  EXPECT_DOUBLE_EQ(scaler.scale_value(), 8.0);
  p.mutable_grad() = torch::tensor({1.0f, INFINITY, 0.0f});
  found = scaler.unscale({p});
  EXPECT_FALSE(DynamicLossScaler::step_allowed(found));
  scaler.update(found);
  EXPECT_DOUBLE_EQ(scaler.scale_value(), 4.0);
  EXPECT_EQ(scaler.skipped_steps(), 1);
  for (int i = 0; i < 2; ++i) {
    p.mutable_grad() = torch::ones({3});
    scaler.update(scaler.unscale({p}));
  }
  EXPECT_DOUBLE_EQ(scaler.scale_value(), 8.0);  // two good steps in a row: doubled
}

TEST(CudaGraphs, RefusedCombinationsSayWhyBeforeAnyWork) {
  TrainStepOptions so;
  so.device_type = torch::kCPU;
  EXPECT_NE(cuda_graphs_refusal(so, false, 1), "");
  so.device_type = torch::kCUDA;
  if (cuda_graphs_refusal(so, false, 1).find("without CUDA") != std::string::npos) GTEST_SKIP() << "CPU-only build";
  EXPECT_EQ(cuda_graphs_refusal(so, false, 1), "");
  EXPECT_NE(cuda_graphs_refusal(so, true, 1).find("SAM"), std::string::npos);
  EXPECT_NE(cuda_graphs_refusal(so, false, 2).find("one process"), std::string::npos);
  so.grad_accumulation = 2;
  EXPECT_NE(cuda_graphs_refusal(so, false, 1).find("grad_accumulation"), std::string::npos);
}

}  // namespace
}  // namespace fastimg::train
