#include "optim/sgd.h"

#include "util/error.h"

namespace fastimg::optim {

Sgd::Sgd(std::vector<ParamGroup> groups, double lr, double momentum, bool nesterov)
    : Optimizer(std::move(groups), lr), momentum_(momentum), nesterov_(nesterov) {
  if (nesterov && momentum <= 0) fail("sgd: nesterov needs momentum > 0 (got {})", momentum);
  momentum_buffer_ = internal::empty_state(groups_);
}

bool Sgd::apply_fused(size_t g, const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads) {
  // ATen's fused kernel (torch.optim.SGD(fused=True)): one pass over parameter, gradient and
  // buffer instead of four; it needs one device and one floating dtype, and buffers that either
  // all exist or are all created by this step.
  const torch::Tensor& first = params.front();
  if (!first.is_floating_point() || !(first.is_cpu() || first.is_cuda())) return false;
  size_t existing = 0;
  std::vector<torch::Tensor> bufs;
  size_t k = 0;
  for (size_t i = 0; i < groups_[g].params.size(); ++i) {
    if (!groups_[g].params[i].grad().defined()) continue;
    const torch::Tensor& p = params[k];
    if (p.device() != first.device() || p.scalar_type() != first.scalar_type() ||
        grads[k].scalar_type() != first.scalar_type() || grads[k].is_sparse()) {
      return false;
    }
    existing += momentum_buffer_[g][i].defined();
    bufs.push_back(momentum_buffer_[g][i]);
    ++k;
  }
  const bool first_step = existing == 0;
  if (momentum_ != 0 && !first_step && existing != params.size()) return false;
  if (momentum_ != 0 && first_step) {
    k = 0;
    for (size_t i = 0; i < groups_[g].params.size(); ++i) {
      if (!groups_[g].params[i].grad().defined()) continue;
      momentum_buffer_[g][i] = torch::empty_like(grads[k], torch::MemoryFormat::Preserve);
      bufs[k++] = momentum_buffer_[g][i];
    }
  }
  at::_fused_sgd_(params, grads, momentum_ == 0 ? std::vector<torch::Tensor>{} : bufs, groups_[g].weight_decay,
                  momentum_, lr_, /*dampening=*/0.0, nesterov_, /*maximize=*/false,
                  /*is_first_step=*/momentum_ != 0 && first_step);
  return true;
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
    if (apply_fused(g, params, grads)) continue;
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
