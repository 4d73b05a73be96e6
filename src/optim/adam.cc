#include "optim/adam.h"

#include <cmath>

namespace fastimg::optim {

Adam::Adam(std::vector<ParamGroup> groups, double lr, double beta1, double beta2, double eps, bool decoupled)
    : Optimizer(std::move(groups), lr), beta1_(beta1), beta2_(beta2), eps_(eps), decoupled_(decoupled) {
  exp_avg_ = internal::empty_state(groups_);
  exp_avg_sq_ = internal::empty_state(groups_);
  for (const ParamGroup& group : groups_) steps_.emplace_back(group.params.size(), 0.0);
}

namespace {

// The fused kernels need one device (CPU or CUDA) and one floating dtype across the list.
bool fusable(const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads) {
  const torch::Tensor& first = params.front();
  if (!first.is_floating_point() || !(first.is_cpu() || first.is_cuda())) return false;
  for (size_t k = 0; k < params.size(); ++k) {
    if (params[k].device() != first.device() || params[k].scalar_type() != first.scalar_type() ||
        grads[k].scalar_type() != first.scalar_type() || grads[k].is_sparse()) {
      return false;
    }
  }
  return true;
}

}  // namespace

void Adam::apply_gradients() {
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<torch::Tensor> params, grads, m, v;
    std::vector<c10::Scalar> step_size, bias_correction2_sqrt;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const torch::Tensor& p = groups_[g].params[i];
      if (!p.grad().defined()) continue;
      if (!exp_avg_[g][i].defined()) {
        exp_avg_[g][i] = torch::zeros_like(p, torch::MemoryFormat::Preserve);
        exp_avg_sq_[g][i] = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      }
      const double t = ++steps_[g][i];
      params.push_back(p);
      grads.push_back(p.grad());
      m.push_back(exp_avg_[g][i]);
      v.push_back(exp_avg_sq_[g][i]);
      step_size.emplace_back(-lr_ / (1 - std::pow(beta1_, t)));
      bias_correction2_sqrt.emplace_back(std::sqrt(1 - std::pow(beta2_, t)));
    }
    if (params.empty()) continue;
    const double wd = groups_[g].weight_decay;
    if (fusable(params, grads)) {
      // ATen's fused kernel (torch.optim.Adam(fused=True)): one pass per tensor. It reads t from
      // per-parameter step tensors, as torch's fused path keeps them.
      std::vector<torch::Tensor> steps;
      for (size_t i = 0; i < groups_[g].params.size(); ++i) {
        if (!groups_[g].params[i].grad().defined()) continue;
        steps.push_back(torch::scalar_tensor(steps_[g][i], params.front().options().dtype(torch::kFloat32)));
      }
      if (decoupled_) {
        at::_fused_adamw_(params, grads, m, v, {}, steps, lr_, beta1_, beta2_, wd, eps_, false, false);
      } else {
        at::_fused_adam_(params, grads, m, v, {}, steps, lr_, beta1_, beta2_, wd, eps_, false, false);
      }
      continue;
    }
    if (wd != 0) {
      if (decoupled_) {
        at::_foreach_mul_(params, 1 - lr_ * wd);
      } else {
        at::_foreach_add_(grads, params, wd);  // in place into the gradient, no temporary
      }
    }
    at::_foreach_lerp_(m, grads, 1 - beta1_);
    at::_foreach_mul_(v, beta2_);
    at::_foreach_addcmul_(v, grads, grads, 1 - beta2_);
    // The one temporary: the denominator.
    std::vector<torch::Tensor> denom = at::_foreach_sqrt(v);
    at::_foreach_div_(denom, bias_correction2_sqrt);
    at::_foreach_add_(denom, eps_);
    at::_foreach_addcdiv_(params, m, denom, step_size);
  }
}

void Adam::save(torch::serialize::OutputArchive& archive) const {
  Optimizer::save(archive);
  internal::write_state(archive, "exp_avg", exp_avg_);
  internal::write_state(archive, "exp_avg_sq", exp_avg_sq_);
  internal::write_doubles(archive, "step", steps_);
}

void Adam::load(torch::serialize::InputArchive& archive) {
  Optimizer::load(archive);
  internal::read_state(archive, "exp_avg", groups_, exp_avg_);
  internal::read_state(archive, "exp_avg_sq", groups_, exp_avg_sq_);
  steps_ = internal::read_doubles(archive, "step");
}

}  // namespace fastimg::optim
