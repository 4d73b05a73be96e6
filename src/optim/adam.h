#pragma once
// Adam and AdamW with PyTorch's semantics (torch.optim.Adam / AdamW, amsgrad off):
//   Adam:  g += wd·w (coupled L2)          AdamW: w *= 1 − lr·wd (decoupled)
//   m = β1·m + (1−β1)·g,  v = β2·v + (1−β2)·g²,  t counted per parameter,
//   w −= lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)      (eps added after the bias correction)
#include "optim/internal/state_io.h"
#include "optim/optimizer.h"

namespace fastimg::optim {

class Adam : public Optimizer {
 public:
  Adam(std::vector<ParamGroup> groups, double lr, double beta1, double beta2, double eps, bool decoupled);
  void apply_gradients() override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;
  std::string name() const override { return decoupled_ ? "adamw" : "adam"; }

 private:
  double beta1_, beta2_, eps_;
  bool decoupled_;
  internal::PerParam exp_avg_, exp_avg_sq_;
  std::vector<std::vector<double>> steps_;  // [group][param], as torch keeps one count per parameter
};

}  // namespace fastimg::optim
