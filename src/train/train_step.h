#pragma once
// One optimizer step of the trainer: forward/backward over one or more micro-batches (gradient
// accumulation), under autocast, with fp16 loss scaling, the cross-rank gradient reducer and
// optional clipping, then the optimizer. The optimizer's closure re-runs every pass for
// optimizers that need the gradient at other weights (SAM).
#include <torch/torch.h>

#include <vector>

#include "models/classifier.h"
#include "optim/optimizer.h"
#include "train/step_settings.h"

namespace fastimg::dist {
class GradientReducer;
}

namespace fastimg::train {

class DynamicLossScaler;

struct MicroBatch {
  torch::Tensor input;   // float NCHW, on the model's device
  torch::Tensor target;  // int64 class indices
};

struct TrainStepOptions : StepSettings {
  torch::DeviceType device_type = torch::kCPU;
  torch::ScalarType autocast_dtype = torch::kFloat;  // kBFloat16 / kHalf turn autocast on
};

struct StepOutcome {
  // Mean over the union of the micro-batches at the weights before the step: a 0-dim float tensor
  // on the model's device, so that a step needs no host synchronisation for it.
  torch::Tensor loss;
  bool applied = true;  // false: fp16 gradients were inf/nan and the step was skipped
};

class TrainStep {
 public:
  // reducer (several ranks) and scaler (fp16) may be null.
  TrainStep(models::ClassifierImpl& model, optim::Optimizer& optimizer, TrainStepOptions options,
            dist::GradientReducer* reducer = nullptr, DynamicLossScaler* scaler = nullptr);

  // The gradient is that of the mean loss over all the micro-batches' samples, as if they were
  // one batch (each micro-batch's loss is weighted by its share of the samples). Only the last
  // backward is synchronised across ranks: the earlier ones accumulate locally (DDP's no_sync).
  StepOutcome run(const std::vector<MicroBatch>& micro_batches);

 private:
  torch::Tensor forward_backward(const std::vector<MicroBatch>& micro_batches, bool& finite);

  models::ClassifierImpl& model_;
  optim::Optimizer& optimizer_;
  TrainStepOptions options_;
  dist::GradientReducer* reducer_;
  DynamicLossScaler* scaler_;
  std::vector<torch::Tensor> params_;
};

}  // namespace fastimg::train
