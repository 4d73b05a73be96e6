// Learning-rate schedules against FFCV's formula and torch's schedulers, point by point; label
// smoothing cross-entropy against torch.nn.functional.cross_entropy.
#include <gtest/gtest.h>

#include "optim/loss.h"
#include "optim/schedule.h"
#include "reference_data.h"
#include "util/error.h"

namespace fastimg::optim {
namespace {

using testing::doubles;
using testing::load_reference;

void expect_rel(double ours, double ref, double rel, const std::string& what) {
  EXPECT_NEAR(ours, ref, rel * std::max(std::abs(ref), 1e-12)) << what;
}

TEST(Schedule, TriangularEqualsFfcvCyclicLrAtEveryStep) {
  const auto ref = load_reference("schedules");
  ScheduleOptions o;
  o.name = "triangular", o.epochs = 12, o.lr_peak_epoch = 2;
  const auto epochs = doubles(ref, "epochs"), lrs = doubles(ref, "triangular");
  for (size_t i = 0; i < epochs.size(); ++i) expect_rel(scheduled_lr(o, 0.5, epochs[i]), lrs[i], 1e-12, "epoch " + std::to_string(epochs[i]));
}

TEST(Schedule, CosineWithWarmupEqualsTorchLinearLrThenCosineAnnealingLr) {
  const auto ref = load_reference("schedules");
  ScheduleOptions o;
  o.name = "cosine", o.epochs = 12, o.warmup_epochs = 3, o.warmup_start_fraction = 0.01, o.min_lr = 1e-3;
  const auto epochs = doubles(ref, "cosine_epochs"), lrs = doubles(ref, "cosine");
  for (size_t i = 0; i < epochs.size(); ++i) expect_rel(scheduled_lr(o, 2.0, epochs[i]), lrs[i], 1e-9, "step " + std::to_string(i));
}

TEST(Schedule, CosineMatchesTorchAtEpochBoundariesOfA90EpochImageNetRun) {
  const auto ref = load_reference("schedules");
  ScheduleOptions o;
  o.name = "cosine", o.epochs = 90, o.warmup_epochs = 5, o.warmup_start_fraction = 0.01, o.min_lr = 1e-5;
  const auto lrs = doubles(ref, "imagenet_cosine");
  ASSERT_EQ(lrs.size(), 90u);
  // 112,590 chained torch updates accumulate rounding; 1e-7 relative is far below any effect.
  for (size_t e = 0; e < lrs.size(); ++e) expect_rel(scheduled_lr(o, 1.0, static_cast<double>(e)), lrs[e], 1e-7, "epoch " + std::to_string(e));
}

TEST(Schedule, StepEqualsTorchMultiStepLr) {
  const auto ref = load_reference("schedules");
  ScheduleOptions o;
  o.name = "step", o.epochs = 12, o.milestones = {4, 9}, o.gamma = 0.1;
  const auto epochs = doubles(ref, "cosine_epochs"), lrs = doubles(ref, "step");
  for (size_t i = 0; i < epochs.size(); ++i) expect_rel(scheduled_lr(o, 1.0, epochs[i]), lrs[i], 1e-12, "step " + std::to_string(i));
}

TEST(Schedule, KnownValues) {
  ScheduleOptions tri;
  tri.name = "triangular", tri.epochs = 16, tri.lr_peak_epoch = 2;
  EXPECT_DOUBLE_EQ(scheduled_lr(tri, 1.7, 0), 1.7e-4);
  EXPECT_DOUBLE_EQ(scheduled_lr(tri, 1.7, 2), 1.7);
  EXPECT_DOUBLE_EQ(scheduled_lr(tri, 1.7, 9), 1.7 / 2);
  EXPECT_DOUBLE_EQ(scheduled_lr(tri, 1.7, 16), 0);
  EXPECT_DOUBLE_EQ(scheduled_lr(tri, 1.7, 17), 0);

  ScheduleOptions lin;
  lin.name = "linear", lin.epochs = 10, lin.warmup_epochs = 2, lin.warmup_start_fraction = 0.1;
  EXPECT_DOUBLE_EQ(scheduled_lr(lin, 1.0, 0), 0.1);
  EXPECT_DOUBLE_EQ(scheduled_lr(lin, 1.0, 1), 0.55);
  EXPECT_DOUBLE_EQ(scheduled_lr(lin, 1.0, 2), 1.0);
  EXPECT_DOUBLE_EQ(scheduled_lr(lin, 1.0, 6), 0.5);
  EXPECT_DOUBLE_EQ(scheduled_lr(lin, 1.0, 10), 0.0);

  ScheduleOptions step;
  step.name = "step", step.epochs = 90, step.step_size = 30, step.gamma = 0.1;
  EXPECT_DOUBLE_EQ(scheduled_lr(step, 0.1, 29.99), 0.1);
  EXPECT_NEAR(scheduled_lr(step, 0.1, 30), 0.01, 1e-17);
  EXPECT_NEAR(scheduled_lr(step, 0.1, 89), 0.001, 1e-17);

  ScheduleOptions constant;
  constant.name = "constant";
  EXPECT_DOUBLE_EQ(scheduled_lr(constant, 6.0, 5.5), 6.0);
}

TEST(Schedule, RejectsUnknownNamesAndBadOptions) {
  ScheduleOptions o;
  o.name = "cosin";
  EXPECT_THROW(scheduled_lr(o, 1.0, 0), fastimg::Error);
  o.name = "triangular", o.lr_peak_epoch = 20, o.epochs = 16;
  EXPECT_THROW(validate(o), fastimg::Error);
}

TEST(LabelSmoothingCrossEntropy, EqualsTorchCrossEntropyAndItsGradient) {
  const auto ref = load_reference("loss");
  torch::Tensor logits = ref.at("logits").toTensor().clone().requires_grad_(true);
  const torch::Tensor loss = label_smoothing_cross_entropy(logits, ref.at("targets").toTensor(), 0.1);
  loss.backward();
  EXPECT_NEAR(loss.item<double>(), ref.at("loss").toTensor().item<double>(), 1e-6);
  EXPECT_TRUE(torch::allclose(logits.grad(), ref.at("grad").toTensor(), 1e-5, 1e-7));
}

TEST(LabelSmoothingCrossEntropy, WithoutSmoothingIsPlainCrossEntropy) {
  torch::manual_seed(3);
  const torch::Tensor logits = torch::randn({8, 5}), targets = torch::randint(0, 5, {8});
  EXPECT_TRUE(torch::allclose(label_smoothing_cross_entropy(logits, targets, 0),
                              torch::nll_loss(torch::log_softmax(logits, 1), targets)));
  EXPECT_THROW(label_smoothing_cross_entropy(logits, targets.unsqueeze(1), 0.1), fastimg::Error);
}

}  // namespace
}  // namespace fastimg::optim
