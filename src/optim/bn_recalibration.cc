#include "optim/bn_recalibration.h"

#include <optional>
#include <vector>

namespace fastimg::optim {
namespace {

struct BatchNormRef {
  torch::nn::BatchNormOptions* options;
  torch::Tensor running_mean, running_var, num_batches_tracked;
  std::function<void()> reset;
};

template <typename Impl>
bool collect(torch::nn::Module& module, std::vector<BatchNormRef>& out) {
  auto* bn = dynamic_cast<Impl*>(&module);
  if (bn == nullptr || !bn->options.track_running_stats()) return bn != nullptr;
  out.push_back({&bn->options, bn->running_mean, bn->running_var, bn->num_batches_tracked,
                 [bn] { bn->reset_running_stats(); }});
  return true;
}

}  // namespace

int64_t recalibrate_batchnorm(torch::nn::Module& model, const std::function<int64_t()>& forward_batch,
                              const BnRecalibrationOptions& options) {
  std::vector<BatchNormRef> bns;
  for (const auto& module : model.modules()) {
    collect<torch::nn::BatchNorm1dImpl>(*module, bns) || collect<torch::nn::BatchNorm2dImpl>(*module, bns) ||
        collect<torch::nn::BatchNorm3dImpl>(*module, bns);
  }
  if (bns.empty()) return 0;
  std::vector<std::optional<double>> momenta;
  for (BatchNormRef& bn : bns) {
    momenta.push_back(bn.options->momentum());
    bn.reset();
    bn.options->momentum(std::nullopt);  // cumulative average: batch k weighs 1/k
  }
  const bool was_training = model.is_training();
  model.train();
  int64_t seen = 0;
  {
    torch::NoGradGuard no_grad;
    while (seen < options.num_samples) {
      const int64_t n = forward_batch();
      if (n <= 0) break;
      seen += n;
    }
  }
  for (size_t i = 0; i < bns.size(); ++i) {
    bns[i].options->momentum(momenta[i]);
    if (options.average_across_ranks) {
      options.average_across_ranks(bns[i].running_mean);
      options.average_across_ranks(bns[i].running_var);
    }
  }
  model.train(was_training);
  return seen;
}

}  // namespace fastimg::optim
