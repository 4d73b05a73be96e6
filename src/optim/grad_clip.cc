#include "optim/grad_clip.h"

namespace fastimg::optim {

torch::Tensor clip_grad_norm_on_device(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return torch::zeros({});
  const torch::Tensor total = torch::stack(at::_foreach_norm(grads, 2)).norm(2);
  const torch::Tensor coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  at::_foreach_mul_(grads, coef.to(grads.front().scalar_type()));
  return total;
}

}  // namespace fastimg::optim
