#include "train/loss_scaler.h"

namespace fastimg::train {

DynamicLossScaler::DynamicLossScaler(double initial_scale, int64_t growth_interval)
    : scale_(initial_scale), growth_interval_(growth_interval) {}

bool DynamicLossScaler::unscale_and_check(const std::vector<torch::Tensor>& params) const {
  torch::NoGradGuard no_grad;
  const double inv = 1.0 / scale_;
  // One device-side flag, read once: no host sync per tensor.
  torch::Tensor all_finite;
  for (const auto& p : params) {
    auto g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    auto finite = torch::isfinite(g).all();
    all_finite = all_finite.defined() ? all_finite.logical_and(finite) : finite;
  }
  return !all_finite.defined() || all_finite.item<bool>();
}

void DynamicLossScaler::update(bool grads_finite) {
  if (!grads_finite) {
    scale_ *= 0.5;
    good_steps_ = 0;
    ++skipped_;
    return;
  }
  if (++good_steps_ >= growth_interval_) {
    scale_ *= 2.0;
    good_steps_ = 0;
  }
}

void DynamicLossScaler::save(torch::serialize::OutputArchive& archive) const {
  archive.write("scale", c10::IValue(scale_));
  archive.write("good_steps", c10::IValue(good_steps_));
  archive.write("skipped", c10::IValue(skipped_));
}

void DynamicLossScaler::load(torch::serialize::InputArchive& archive) {
  c10::IValue v;
  archive.read("scale", v);
  scale_ = v.toDouble();
  archive.read("good_steps", v);
  good_steps_ = v.toInt();
  archive.read("skipped", v);
  skipped_ = v.toInt();
}

}  // namespace fastimg::train
