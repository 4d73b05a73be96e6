#pragma once
// Dynamic loss scaling for fp16 training: the loss is multiplied by `scale` before backward so
// small gradients survive fp16; gradients are divided back before the optimizer sees them. A step
// whose gradients contain inf/nan is skipped and the scale halves; after `growth_interval` good
// steps in a row it doubles (the policy of torch.amp.GradScaler).
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace fastimg::train {

class DynamicLossScaler {
 public:
  explicit DynamicLossScaler(double initial_scale = 65536.0, int64_t growth_interval = 2000);

  double scale() const { return scale_; }
  int64_t skipped_steps() const { return skipped_; }
  // Divides every gradient by the scale in place; true if all of them are finite.
  bool unscale_and_check(const std::vector<torch::Tensor>& params) const;
  // Records the outcome of one step.
  void update(bool grads_finite);

  void save(torch::serialize::OutputArchive& archive) const;
  void load(torch::serialize::InputArchive& archive);

 private:
  double scale_;
  int64_t growth_interval_;
  int64_t good_steps_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace fastimg::train
