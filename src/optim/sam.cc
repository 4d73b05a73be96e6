#include "optim/sam.h"

#include <cmath>

namespace fastimg::optim {

Sam::Sam(std::unique_ptr<Optimizer> base, double rho, bool adaptive, bool single_pass)
    : Optimizer(base->param_groups(), base->lr()),
      base_(std::move(base)),
      rho_(rho),
      adaptive_(adaptive),
      single_pass_(single_pass) {
  backup_ = internal::empty_state(groups_);
  prev_grad_ = internal::empty_state(groups_);
}

void Sam::set_lr(double lr) {
  Optimizer::set_lr(lr);
  base_->set_lr(lr);
}

internal::PerParam Sam::gradients() const {
  internal::PerParam grads = internal::empty_state(groups_);
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) grads[g][i] = groups_[g].params[i].grad();
  }
  return grads;
}

bool Sam::all_finite(const internal::PerParam& tensors) {
  std::vector<torch::Tensor> flat;
  for (const auto& group : tensors) {
    for (const torch::Tensor& t : group) {
      if (t.defined()) flat.push_back(t);
    }
  }
  if (flat.empty()) return true;
  return torch::stack(at::_foreach_norm(flat, 2)).sum().isfinite().item<bool>();
}

bool Sam::perturb(const internal::PerParam& direction) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params, dirs, backups;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      if (!direction[g][i].defined()) continue;
      const torch::Tensor& p = groups_[g].params[i];
      if (!backup_[g][i].defined()) backup_[g][i] = torch::empty_like(p, torch::MemoryFormat::Preserve);
      params.push_back(p);
      dirs.push_back(direction[g][i]);
      backups.push_back(backup_[g][i]);
    }
  }
  if (params.empty()) return true;
  // ε = ρ·s·d/‖s'·d‖ with s = w², s' = |w| (adaptive) or s = s' = 1.
  std::vector<torch::Tensor> scaled = adaptive_ ? at::_foreach_mul(dirs, at::_foreach_abs(params)) : dirs;
  const double norm = torch::stack(at::_foreach_norm(scaled, 2)).norm(2).item<double>();
  if (!std::isfinite(norm)) return false;
  const double scale = rho_ / (norm + 1e-12);
  at::_foreach_copy_(backups, params);
  if (adaptive_) {
    // |w|·d·|w| = w²·d, reusing the scaled temporaries.
    at::_foreach_mul_(scaled, at::_foreach_abs(params));
    at::_foreach_add_(params, scaled, scale);
  } else {
    at::_foreach_add_(params, dirs, scale);
  }
  return true;
}

void Sam::restore() {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> params, backups;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      if (!backup_[g][i].defined()) continue;
      params.push_back(groups_[g].params[i]);
      backups.push_back(backup_[g][i]);
    }
  }
  if (!params.empty()) at::_foreach_copy_(params, backups);
}

torch::Tensor Sam::step(const std::function<torch::Tensor()>& closure) {
  if (!single_pass_) {
    torch::Tensor loss = closure();
    if (!perturb(gradients())) {
      ++skipped_;
      return loss;
    }
    closure();
    restore();
    if (!all_finite(gradients())) {
      ++skipped_;
      return loss;
    }
    base_->apply_gradients();
    return loss;
  }

  bool have_prev = false;
  for (const auto& group : prev_grad_) {
    for (const torch::Tensor& t : group) have_prev = have_prev || t.defined();
  }
  // prev_grad_ only ever holds finite gradients, so perturb() fails only on overflow of the norm.
  const bool perturbed = have_prev && perturb(prev_grad_);
  torch::Tensor loss = closure();
  if (perturbed) restore();
  internal::PerParam grads = gradients();
  if (!all_finite(grads)) {
    ++skipped_;
    prev_grad_ = internal::empty_state(groups_);
    return loss;
  }
  // Keep g_t before the base step, which may add weight decay into the gradient in place.
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const torch::Tensor& grad = grads[g][i];
      torch::Tensor& prev = prev_grad_[g][i];
      if (!grad.defined()) {
        prev = torch::Tensor();
      } else if (prev.defined()) {
        prev.copy_(grad);
      } else {
        prev = grad.clone();
      }
    }
  }
  base_->apply_gradients();
  return loss;
}

void Sam::save(torch::serialize::OutputArchive& archive) const {
  Optimizer::save(archive);
  internal::write_double(archive, "skipped_steps", static_cast<double>(skipped_));
  internal::write_state(archive, "prev_grad", prev_grad_);
  torch::serialize::OutputArchive base_archive;
  base_->save(base_archive);
  archive.write("base", base_archive);
}

void Sam::load(torch::serialize::InputArchive& archive) {
  Optimizer::load(archive);
  skipped_ = static_cast<int64_t>(internal::read_double(archive, "skipped_steps"));
  internal::read_state(archive, "prev_grad", groups_, prev_grad_);
  torch::serialize::InputArchive base_archive;
  archive.read("base", base_archive);
  base_->load(base_archive);
}

}  // namespace fastimg::optim
