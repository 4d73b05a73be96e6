#include "optim/sgd.h"

#include "util/error.h"

namespace fastimg::optim {

Sgd::Sgd(std::vector<ParamGroup> groups, double lr, double momentum, bool nesterov)
    : Optimizer(std::move(groups), lr), momentum_(momentum), nesterov_(nesterov) {
  if (nesterov && momentum <= 0) fail("sgd: nesterov needs momentum > 0 (got {})", momentum);
  momentum_buffer_ = internal::empty_state(groups_);
}

void Sgd::apply_gradients() {
  torch::NoGradGuard no_grad;
  for (size_t g = 0; g < groups_.size(); ++g) {
    // Foreach ops over the parameters that have gradients: one dispatch per op, not per tensor.
    std::vector<torch::Tensor> params, grads, bufs;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      const torch::Tensor& p = groups_[g].params[i];
      if (!p.grad().defined()) continue;
      params.push_back(p);
      grads.push_back(p.grad());
    }
    if (params.empty()) continue;
    // In place into the gradient: avoids a parameter-sized temporary per tensor.
    if (groups_[g].weight_decay != 0) at::_foreach_add_(grads, params, groups_[g].weight_decay);
    if (momentum_ == 0) {
      at::_foreach_add_(params, grads, -lr_);
      continue;
    }
    std::vector<torch::Tensor> old_bufs, old_grads;
    size_t k = 0;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      if (!groups_[g].params[i].grad().defined()) continue;
      torch::Tensor& buf = momentum_buffer_[g][i];
      if (!buf.defined()) {
        buf = grads[k].clone();  // PyTorch: the first buffer is the gradient itself
      } else {
        old_bufs.push_back(buf);
        old_grads.push_back(grads[k]);
      }
      bufs.push_back(buf);
      ++k;
    }
    if (!old_bufs.empty()) {
      at::_foreach_mul_(old_bufs, momentum_);
      at::_foreach_add_(old_bufs, old_grads);
    }
    if (nesterov_) {
      at::_foreach_add_(grads, bufs, momentum_);
      at::_foreach_add_(params, grads, -lr_);
    } else {
      at::_foreach_add_(params, bufs, -lr_);
    }
  }
}

void Sgd::save(torch::serialize::OutputArchive& archive) const {
  Optimizer::save(archive);
  internal::write_state(archive, "momentum_buffer", momentum_buffer_);
}

void Sgd::load(torch::serialize::InputArchive& archive) {
  Optimizer::load(archive);
  internal::read_state(archive, "momentum_buffer", groups_, momentum_buffer_);
}

}  // namespace fastimg::optim
