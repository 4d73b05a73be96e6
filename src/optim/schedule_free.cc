#include "optim/schedule_free.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace fastimg::optim {

ScheduleFree::ScheduleFree(std::vector<ParamGroup> groups, double lr, const ScheduleFreeOptions& options)
    : Optimizer(std::move(groups), lr), options_(options) {
  const double b = beta();
  if (b <= 0 || b >= 1) fail("{}: momentum/beta1 must be in (0, 1), got {}", name(), b);
  z_ = internal::empty_state(groups_);
  exp_avg_sq_ = internal::empty_state(groups_);
}

void ScheduleFree::interpolate_to_z(double weight) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params, z;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      if (!z_[g][i].defined()) continue;
      params.push_back(groups_[g].params[i]);
      z.push_back(z_[g][i]);
    }
  }
  if (!params.empty()) at::_foreach_lerp_(params, z, weight);
}

void ScheduleFree::train() {
  if (train_mode_) return;
  interpolate_to_z(1 - beta());
  train_mode_ = true;
}

void ScheduleFree::eval() {
  if (!train_mode_) return;
  interpolate_to_z(1 - 1 / beta());
  train_mode_ = false;
}

void ScheduleFree::apply_gradients() {
  if (!train_mode_) fail("{}: step() in eval mode; call train() before training steps", name());
  torch::NoGradGuard no_grad;
  // The step's scalars; the package keeps them per group, but groups only differ in weight decay.
  const double sched = k_ < options_.warmup_steps ? (k_ + 1) / options_.warmup_steps : 1.0;
  const double lr = lr_ * sched;
  last_step_lr_ = lr;
  lr_max_ = std::max(lr, lr_max_);
  const double weight = std::pow(k_ + 1, options_.r) * std::pow(lr_max_, options_.weight_lr_power);
  weight_sum_ += weight;
  const double ckp1 = weight_sum_ != 0 ? weight / weight_sum_ : 0.0;
  const double bias_correction2 = 1 - std::pow(options_.beta2, k_ + 1);

  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<torch::Tensor> y, grads, z, v;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const torch::Tensor& p = groups_[g].params[i];
      if (!p.grad().defined()) continue;
      if (!z_[g][i].defined()) {
        z_[g][i] = p.clone(torch::MemoryFormat::Preserve);
        if (options_.adam) exp_avg_sq_[g][i] = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      }
      y.push_back(p);
      grads.push_back(p.grad());
      z.push_back(z_[g][i]);
      if (options_.adam) v.push_back(exp_avg_sq_[g][i]);
    }
    if (y.empty()) continue;
    if (options_.adam) {
      at::_foreach_mul_(v, options_.beta2);
      at::_foreach_addcmul_(v, grads, grads, 1 - options_.beta2);
      std::vector<torch::Tensor> denom = at::_foreach_div(v, bias_correction2);
      at::_foreach_sqrt_(denom);
      at::_foreach_add_(denom, options_.eps);
      at::_foreach_div_(grads, denom);
    }
    if (groups_[g].weight_decay != 0) at::_foreach_add_(grads, y, groups_[g].weight_decay);
    at::_foreach_lerp_(y, z, ckp1);
    at::_foreach_add_(y, grads, lr * (beta() * (1 - ckp1) - 1));
    at::_foreach_sub_(z, grads, lr);
  }
  k_ += 1;
}

void ScheduleFree::save(torch::serialize::OutputArchive& archive) const {
  Optimizer::save(archive);
  internal::write_double(archive, "k", k_);
  internal::write_double(archive, "weight_sum", weight_sum_);
  internal::write_double(archive, "lr_max", lr_max_);
  internal::write_double(archive, "last_step_lr", last_step_lr_);
  internal::write_double(archive, "train_mode", train_mode_ ? 1.0 : 0.0);
  internal::write_state(archive, "z", z_);
  internal::write_state(archive, "exp_avg_sq", exp_avg_sq_);
}

void ScheduleFree::load(torch::serialize::InputArchive& archive) {
  Optimizer::load(archive);
  k_ = internal::read_double(archive, "k");
  weight_sum_ = internal::read_double(archive, "weight_sum");
  lr_max_ = internal::read_double(archive, "lr_max");
  last_step_lr_ = internal::read_double(archive, "last_step_lr");
  train_mode_ = internal::read_double(archive, "train_mode") != 0;
  internal::read_state(archive, "z", groups_, z_);
  internal::read_state(archive, "exp_avg_sq", groups_, exp_avg_sq_);
}

}  // namespace fastimg::optim
