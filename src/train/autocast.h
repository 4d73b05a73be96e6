#pragma once
// RAII mixed-precision scope: bf16/fp16 autocast on the model's device type, restored on exit.
#include <ATen/autocast_mode.h>
#include <torch/torch.h>

namespace fastimg::train {

class AutocastScope {
 public:
  AutocastScope(torch::DeviceType device, torch::ScalarType dtype)
      : device_(device), enabled_(dtype == torch::kBFloat16 || dtype == torch::kHalf) {
    if (!enabled_) return;
    prev_enabled_ = at::autocast::is_autocast_enabled(device_);
    prev_dtype_ = at::autocast::get_autocast_dtype(device_);
    at::autocast::set_autocast_enabled(device_, true);
    at::autocast::set_autocast_dtype(device_, dtype);
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!enabled_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
    at::autocast::set_autocast_enabled(device_, prev_enabled_);
    at::autocast::set_autocast_dtype(device_, prev_dtype_);
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  torch::DeviceType device_;
  bool enabled_;
  bool prev_enabled_ = false;
  torch::ScalarType prev_dtype_ = torch::kFloat;
};

}  // namespace fastimg::train
