#pragma once
// SGD with PyTorch's semantics (torch.optim.SGD, dampening 0): g += wd·w (coupled L2);
// b = g on the first step, else b = μ·b + g; update u = g + μ·b (Nesterov) or b; w -= lr·u.
#include "optim/internal/state_io.h"
#include "optim/optimizer.h"

namespace fastimg::optim {

class Sgd : public Optimizer {
 public:
  Sgd(std::vector<ParamGroup> groups, double lr, double momentum, bool nesterov);
  void apply_gradients() override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::string name() const override { return "sgd"; }

 private:
  // The fused single-pass update when the group allows it; false: use the foreach path.
  bool apply_fused(size_t group, const std::vector<torch::Tensor>& params, const std::vector<torch::Tensor>& grads);

  double momentum_;
  bool nesterov_;
  internal::PerParam momentum_buffer_;
};

}  // namespace fastimg::optim
