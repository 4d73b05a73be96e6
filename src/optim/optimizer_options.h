#pragma once
// Options of every optimizer (optimizer.h builds them), without LibTorch so that configs can hold them.
#include <string>

namespace fastimg::optim {

struct OptimizerOptions {
  // sgd | adam | adamw | sgd_schedule_free | adamw_schedule_free | sam | sam_v2
  std::string name = "sgd";
  double lr = 0.1;  // the base (peak) lr; the trainer's schedule scales it per iteration
  double momentum = 0.9;  // SGD and schedule-free SGD
  bool nesterov = false;
  double weight_decay = 5e-5;  // coupled (L2) except adamw; schedule-free adds it at y
  // false: no weight decay on normalization parameters and biases (param_groups.h), as the FFCV
  // and reproduction recipes train; true decays every parameter (torch.optim's plain groups).
  bool decay_bn_and_bias = false;
  // Which parameters "bn and bias" means: "module_type" (normalization modules' parameters and
  // every bias) or "name" (the reproduction project's rule: "bn" or "bias" in the name).
  std::string no_decay_rule = "module_type";
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // Adam, AdamW, schedule-free AdamW
  // Schedule-free: linear warm-up over this many steps, weights (k+1)^r * lr_max^weight_lr_power.
  double warmup_steps = 0;
  double r = 0, weight_lr_power = 2;
  // SAM: radius, adaptive variant (perturbation scaled by |w|), and the base optimizer's name.
  double rho = 0.05;
  bool sam_adaptive = false;
  std::string sam_base = "sgd";
};

}  // namespace fastimg::optim
