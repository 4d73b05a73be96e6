#pragma once
// The loss and gradient settings of one optimizer step (config keys optimizer.label_smoothing,
// optimizer.grad_clip, optimizer.grad_accumulation), without LibTorch so that configs can hold them.
#include <cstdint>

namespace fastimg::train {

struct StepSettings {
  double label_smoothing = 0.1;   // PyTorch's CrossEntropyLoss(label_smoothing)
  double grad_clip = 0;           // max global gradient norm; 0 = off
  int64_t grad_accumulation = 1;  // loader batches per optimizer step
};

}  // namespace fastimg::train
