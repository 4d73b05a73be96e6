#pragma once
// Dynamic loss scaling for fp16 training, the policy of torch.amp.GradScaler with its ATen ops: the
// loss is multiplied by `scale` before backward so small gradients survive fp16; the gradients are
// unscaled and checked for inf/nan in one fused pass (_amp_foreach_non_finite_check_and_unscale_);
// a step with inf/nan is skipped and the scale halves; after `growth_interval` good steps in a row
// it doubles (_amp_update_scale_). Scale, growth counter and the skip count stay on the device.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace fastimg::train {

class DynamicLossScaler {
 public:
  explicit DynamicLossScaler(torch::Device device = torch::kCPU, double initial_scale = 65536.0,
                             int64_t growth_interval = 2000);

  // The scale as a 1-element float tensor on the device (multiply the loss by it: no host read).
  const torch::Tensor& scale() const { return scale_; }
  // Divides every gradient by the scale in place; returns found_inf (1-element float, on the
  // device: 1 if any gradient had an inf or nan).
  torch::Tensor unscale(const std::vector<torch::Tensor>& params) const;
  // Whether the optimizer may step: the one host read per fp16 step (as GradScaler's step()).
  static bool step_allowed(const torch::Tensor& found_inf);
  // Records the outcome of one step, on the device.
  void update(const torch::Tensor& found_inf);

  // Host reads, for logging.
  double scale_value() const;
  int64_t skipped_steps() const;

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  torch::Tensor scale_;           // float [1]
  torch::Tensor growth_tracker_;  // int32 [1]: good steps in a row
  torch::Tensor skipped_;         // float [1]
  int64_t growth_interval_;
};

}  // namespace fastimg::train
