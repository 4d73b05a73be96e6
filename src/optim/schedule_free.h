#pragma once
// Schedule-Free SGD and AdamW: the algorithm of the schedulefree package 1.4.1 (SGDScheduleFree,
// AdamWScheduleFree; Defazio et al. 2024), step for step.
//
// State: z (the SGD iterate) per parameter; the parameter buffer itself holds y during training and
// x (the average, used for evaluation and checkpoints) after eval(). Per step k (0-based):
//   lr_k = lr · min(1, (k+1)/warmup_steps),  lr_max = max(lr_max, lr_k)
//   w_k = (k+1)^r · lr_max^weight_lr_power,  c = w_k / Σ_{i≤k} w_i
//   SGD:   g += wd·y                         AdamW: v = β2·v + (1−β2)·g², g = g/(√(v/(1−β2^(k+1)))+eps),
//                                                   then g += wd·y
//   y = (1−c)·y + c·z;  y += lr_k·(β(1−c) − 1)·g;  z −= lr_k·g          (β = momentum or β1)
// train(): y = x + (1−β)(z − x);  eval(): x = y + (1−1/β)(z − y). The optimizer starts in eval mode,
// as the package's does: call train() before the first step.
#include "optim/internal/state_io.h"
#include "optim/optimizer.h"

namespace fastimg::optim {

struct ScheduleFreeOptions {
  bool adam = false;  // false: SGDScheduleFree, true: AdamWScheduleFree
  double momentum = 0.9;  // β for SGD; AdamW uses beta1
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double warmup_steps = 0, r = 0, weight_lr_power = 2;
};

class ScheduleFree : public Optimizer {
 public:
  ScheduleFree(std::vector<ParamGroup> groups, double lr, const ScheduleFreeOptions& options);
  void apply_gradients() override;
  void train() override;
  void eval() override;
  bool in_train_mode() const { return train_mode_; }
  // The warmed-up lr of the last step (schedulefree's group['scheduled_lr']), for logging.
  double last_step_lr() const { return last_step_lr_; }
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::string name() const override { return options_.adam ? "adamw_schedule_free" : "sgd_schedule_free"; }

 private:
  double beta() const { return options_.adam ? options_.beta1 : options_.momentum; }
  // Parameters with a z buffer, and their z, for the train/eval interpolations.
  void interpolate_to_z(double weight);

  ScheduleFreeOptions options_;
  bool train_mode_ = false;
  double k_ = 0, weight_sum_ = 0, lr_max_ = -1, last_step_lr_ = 0;
  internal::PerParam z_, exp_avg_sq_;
};

}  // namespace fastimg::optim
