// Full-step parity (issue 18, part 3): the trainer's step against PyTorch alone. The same initial
// weights (a torchvision resnet18 state dict), the same 30 batches, fp32 on the CPU; per step loss
// and lr, and at the end every parameter and BatchNorm buffer, must equal what
// tests/python/full_step_reference.py gets from torchvision + torch.optim, to 1e-4 relative.
//
// fastimg's side is built as `fastimg train` builds it: a TrainConfig parsed from TOML, the model
// from build_model() loaded through load_torchvision_state_dict(), make_optimizer() over the
// config's optimizer section (param groups by its decay rule), TrainStep with the config's step
// settings, and per iteration the lr that epoch_loop.cc computes (scheduled_lr at the fractional
// epoch) handed to the optimizer before the step.
//
// This problem is chaotic at the last bit (see the script's docstring): the match holds because
// both sides run the same LibTorch kernels with the same thread count (kThreads, set on both sides).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "models/torchvision_weights.h"
#include "optim/optimizer.h"
#include "optim/sam.h"
#include "optim/schedule.h"
#include "test_support.h"
#include "train/config.h"
#include "train/run_setup.h"
#include "train/step_settings.h"
#include "train/train_step.h"

namespace fastimg::train {
namespace {

// Mirrors full_step_reference.py.
constexpr int64_t kSteps = 30, kStepsPerEpoch = 5;
constexpr int kThreads = 2;
constexpr double kTolerance = 1e-4;

// The Python reference outputs, generated once per build tree (test_support.h).
std::filesystem::path reference_dir() {
  const std::filesystem::path script =
      std::filesystem::path(FASTIMG_PARITY_SOURCE_DIR) / "tests/python/full_step_reference.py";
  return fastimg::testing::generated_once(FASTIMG_PARITY_REFERENCE_DIR, script,
                                          std::string(FASTIMG_PARITY_PYTHON) + " " + script.string() + " " +
                                              FASTIMG_PARITY_REFERENCE_DIR + " --threads " + std::to_string(kThreads));
}

// The settings of each case of the script's CASES, as a fastimg config.
std::string case_config(const std::string& name) {
  const std::string common = R"(
[model]
arch = "resnet18"
num_classes = 10

[train]
epochs = 6
precision = "fp32"
device = "cpu"
)";
  if (name == "ffcv_sgd_triangular") {
    // configs/ffcv/: SGD, momentum 0.9, no Nesterov, no decay on BN parameters and biases (by module
    // type), label smoothing 0.1, FFCV's triangular lr peaking at epoch 2 (from 1e-4 * lr).
    return common + R"(
[optimizer]
name = "sgd"
lr = 0.02
momentum = 0.9
nesterov = false
weight_decay = 5e-3
decay_bn_and_bias = false
no_decay_rule = "module_type"
label_smoothing = 0.1
grad_clip = 0.0

[schedule]
name = "triangular"
lr_peak_epoch = 2.0
initial_fraction = 1e-4
)";
  }
  if (name == "adamw_cosine") {
    // configs/rr/vit_base_16.toml's optimizer: AdamW, "bn"/"bias" names exempt, clipping at 1.0,
    // label smoothing 0.11; linear warm-up from 0.033 * lr over an epoch, then cosine to 1e-5.
    return common + R"(
[optimizer]
name = "adamw"
lr = 1e-3
beta1 = 0.9
beta2 = 0.999
eps = 1e-8
weight_decay = 0.3
decay_bn_and_bias = false
no_decay_rule = "name"
label_smoothing = 0.11
grad_clip = 1.0

[schedule]
name = "cosine"
warmup_epochs = 1.0
warmup_start_fraction = 0.033
min_lr = 1e-5
)";
  }
  if (name == "sam_sgd_cosine") {
    // configs/rr/resnet18-sgd-sam-v1.toml's optimizer: SAM v1 (rho 0.05, not adaptive) over SGD
    // with momentum 0.875, "bn"/"bias" names exempt; warm-up from 0.01 * lr, then cosine to 1e-5.
    return common + R"(
[optimizer]
name = "sam"
sam_base = "sgd"
rho = 0.05
sam_adaptive = false
lr = 0.02
momentum = 0.875
nesterov = false
weight_decay = 5e-3
decay_bn_and_bias = false
no_decay_rule = "name"
label_smoothing = 0.1
grad_clip = 0.0

[schedule]
name = "cosine"
warmup_epochs = 1.0
warmup_start_fraction = 0.01
min_lr = 1e-5
)";
  }
  ADD_FAILURE() << "unknown case " << name;
  return common;
}

// The worst tensor so far: max |ours - ref| / max |ref| (the scale floored at 1e-6).
struct Worst {
  double ratio = 0;
  std::string key;
  double diff = 0, scale = 0;
};

void expect_close(const std::string& key, const torch::Tensor& ours, const torch::Tensor& ref, Worst& worst) {
  ASSERT_TRUE(ours.defined()) << key;
  ASSERT_EQ(ours.sizes(), ref.sizes()) << key;
  const torch::Tensor a = ours.detach().cpu().to(torch::kFloat64), b = ref.to(torch::kFloat64);
  const double diff = (a - b).abs().max().item<double>();
  const double scale = std::max(b.abs().max().item<double>(), 1e-6);
  if (!ref.is_floating_point()) {
    EXPECT_EQ(diff, 0.0) << key << " (integer buffer): ours " << a.max().item<double>() << ", reference "
                         << b.max().item<double>();
  } else {
    EXPECT_LE(diff, kTolerance * scale) << key << ": max |diff| " << diff << ", max |ref| " << scale;
  }
  if (diff / scale > worst.ratio || worst.key.empty()) worst = {diff / scale, key, diff, scale};
}

class FullStepParity : public ::testing::TestWithParam<std::string> {};

TEST_P(FullStepParity, LossAndFinalStateMatchPyTorch) {
  const std::string name = GetParam();
  torch::set_num_threads(kThreads);  // the reference's thread count: same kernels, same reduction order
  const std::filesystem::path dir = reference_dir();
  const std::map<std::string, torch::Tensor> batches = models::load_tensor_dict((dir / "batches.pt").string());
  const std::map<std::string, torch::Tensor> ref = models::load_tensor_dict((dir / (name + ".pt")).string());
  const torch::Tensor xs = batches.at("x"), ys = batches.at("y");
  const torch::Tensor ref_lrs = ref.at("lrs"), ref_losses = ref.at("losses");
  ASSERT_EQ(xs.size(0), kSteps);
  ASSERT_EQ(ref_lrs.size(0), kSteps);

  // As trainer.cc builds a run on one CPU process.
  const TrainConfig config = parse_config_text(case_config(name), "full-step parity case " + name);
  ASSERT_TRUE(config.train.precision == Precision::kFp32);
  ASSERT_EQ(config.epochs() * kStepsPerEpoch, kSteps);
  RunContext run;  // CPU, one process, no autocast
  run.device = torch::kCPU;
  models::Classifier model = build_model(config, config.model.options.num_classes, run);
  models::load_torchvision_state_dict(*model, (dir / "init.pt").string());
  std::unique_ptr<optim::Optimizer> optimizer = optim::make_optimizer(config.optimizer, *model);
  TrainStepOptions step_options;
  static_cast<StepSettings&>(step_options) = config.step;
  step_options.device_type = run.device.type();
  step_options.autocast_dtype = run.autocast_dtype;
  step_options.cuda_graphs = config.train.cuda_graphs;
  TrainStep step(*model, *optimizer, step_options);
  model->train();
  optimizer->train();

  double worst_loss = 0, worst_lr = 0, last_loss = 0;
  int64_t worst_loss_step = 0;
  for (int64_t t = 0; t < kSteps; ++t) {
    // epoch_loop.cc: the lr at the fractional epoch of the step's first batch.
    const int64_t epoch = t / kStepsPerEpoch, batch = t % kStepsPerEpoch;
    const double lr = optim::scheduled_lr(config.schedule, config.optimizer.lr,
                                          static_cast<double>(epoch) + static_cast<double>(batch) / kStepsPerEpoch);
    const double ref_lr = ref_lrs[t].item<double>();
    EXPECT_NEAR(lr, ref_lr, 1e-12 * std::abs(ref_lr)) << "lr at step " << t;
    worst_lr = std::max(worst_lr, std::abs(lr - ref_lr) / std::abs(ref_lr));
    optimizer->set_lr(lr);
    const StepOutcome outcome = step.run({MicroBatch{xs[t], ys[t]}});
    EXPECT_TRUE(outcome.applied) << "step " << t;
    const double loss = outcome.loss.item<double>(), ref_loss = ref_losses[t].item<double>();
    EXPECT_NEAR(loss, ref_loss, kTolerance * std::abs(ref_loss)) << "loss at step " << t;
    const double rel = std::abs(loss - ref_loss) / std::abs(ref_loss);
    if (rel > worst_loss) {
      worst_loss = rel;
      worst_loss_step = t;
    }
    last_loss = loss;
  }
  if (auto* sam = dynamic_cast<optim::Sam*>(optimizer.get())) {
    EXPECT_EQ(sam->skipped_steps(), 0);  // every step perturbed and applied
  }

  // Every parameter and buffer (running_mean, running_var, num_batches_tracked) of the model, and
  // nothing in the reference that the model lacks.
  Worst worst;
  size_t compared = 0;
  for (const auto& item : model->named_parameters()) {
    const auto it = ref.find("final." + item.key());
    ASSERT_NE(it, ref.end()) << "no reference for parameter " << item.key();
    expect_close(item.key(), item.value(), it->second, worst);
    ++compared;
  }
  for (const auto& item : model->named_buffers()) {
    const auto it = ref.find("final." + item.key());
    ASSERT_NE(it, ref.end()) << "no reference for buffer " << item.key();
    expect_close(item.key(), item.value(), it->second, worst);
    ++compared;
  }
  const size_t ref_finals = static_cast<size_t>(std::count_if(
      ref.begin(), ref.end(), [](const auto& kv) { return kv.first.rfind("final.", 0) == 0; }));
  EXPECT_EQ(compared, ref_finals) << "the reference has tensors the model lacks";

  std::printf("[ parity ] %s: worst tensor %s max|diff| %.3g / max|ref| %.3g = %.3g (tolerance %.0e); worst loss "
              "rel diff %.3g at step %lld; worst lr rel diff %.3g; final loss %.6f (reference %.6f)\n",
              name.c_str(), worst.key.c_str(), worst.diff, worst.scale, worst.ratio, kTolerance, worst_loss,
              static_cast<long long>(worst_loss_step), worst_lr, last_loss, ref_losses[kSteps - 1].item<double>());
  RecordProperty("worst_tensor", worst.key);
  RecordProperty("worst_tensor_ratio", std::to_string(worst.ratio));
  RecordProperty("worst_loss_rel_diff", std::to_string(worst_loss));
}

INSTANTIATE_TEST_SUITE_P(Cases, FullStepParity,
                         ::testing::Values("ffcv_sgd_triangular", "adamw_cosine", "sam_sgd_cosine"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace fastimg::train
