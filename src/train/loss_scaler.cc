#include "train/loss_scaler.h"

#include <map>

#include "train/host_read.h"

namespace fastimg::train {

DynamicLossScaler::DynamicLossScaler(torch::Device device, double initial_scale, int64_t growth_interval)
    : scale_(torch::full({1}, initial_scale, torch::TensorOptions().dtype(torch::kFloat).device(device))),
      growth_tracker_(torch::zeros({1}, torch::TensorOptions().dtype(torch::kInt).device(device))),
      skipped_(torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat).device(device))),
      growth_interval_(growth_interval) {}

torch::Tensor DynamicLossScaler::unscale(const std::vector<torch::Tensor>& params) const {
  torch::NoGradGuard no_grad;
  torch::Tensor found_inf = torch::zeros_like(scale_);
  const torch::Tensor inv_scale = scale_.reciprocal();
  std::vector<torch::Tensor> grads;
  for (const auto& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  // The fused op takes tensors of one dtype per call (the model is on one device).
  std::map<c10::ScalarType, std::vector<torch::Tensor>> groups;
  for (auto& g : grads) groups[g.scalar_type()].push_back(g);
  for (auto& [key, group] : groups) at::_amp_foreach_non_finite_check_and_unscale_(group, found_inf, inv_scale);
  return found_inf;
}

bool DynamicLossScaler::step_allowed(const torch::Tensor& found_inf) {
  return read_to_host(found_inf).item<float>() == 0.0f;
}

void DynamicLossScaler::update(const torch::Tensor& found_inf) {
  at::_amp_update_scale_(scale_, growth_tracker_, found_inf, 2.0, 0.5, growth_interval_);
  skipped_.add_(found_inf);
}

double DynamicLossScaler::scale_value() const { return read_to_host(scale_).item<double>(); }
int64_t DynamicLossScaler::skipped_steps() const { return static_cast<int64_t>(read_to_host(skipped_).item<float>()); }

void DynamicLossScaler::save(torch::serialize::OutputArchive& archive) const {
  archive.write("scale", c10::IValue(scale_value()));
  archive.write("good_steps", c10::IValue(static_cast<int64_t>(read_to_host(growth_tracker_).item<int>())));
  archive.write("skipped", c10::IValue(skipped_steps()));
}

void DynamicLossScaler::load(torch::serialize::InputArchive& archive) {
  c10::IValue v;
  archive.read("scale", v);
  scale_.fill_(v.toDouble());
  archive.read("good_steps", v);
  growth_tracker_.fill_(v.toInt());
  archive.read("skipped", v);
  skipped_.fill_(static_cast<double>(v.toInt()));
}

}  // namespace fastimg::train
