#pragma once
// Recomputing BatchNorm running statistics for the current weights — needed at the schedule-free
// evaluation point x, whose statistics were never seen in training, and after SWA-style averaging.
#include <torch/torch.h>

#include <cstdint>
#include <functional>

namespace fastimg::optim {

struct BnRecalibrationOptions {
  int64_t num_samples = 102400;  // stop once this many samples went through (the reference uses 102,400)
  // Called on each running_mean / running_var after the passes, e.g. an all-reduce mean across
  // ranks; empty on one process.
  std::function<void(torch::Tensor&)> average_across_ranks;
};

// Resets every BatchNorm's running statistics, then runs forward_batch (forward one training batch
// through model, returning its sample count, 0 when the data ends) in train mode without gradients
// until num_samples are seen, with momentum switched to a cumulative average so that every batch
// weighs equally. Restores the modules' momentum and the model's train/eval mode. Returns the number
// of samples used. A model without BatchNorm is left unchanged (and no batch is run).
int64_t recalibrate_batchnorm(torch::nn::Module& model, const std::function<int64_t()>& forward_batch,
                              const BnRecalibrationOptions& options = {});

}  // namespace fastimg::optim
