#pragma once
// One optimizer step of the trainer: forward/backward over one or more micro-batches (gradient
// accumulation), under autocast, with fp16 loss scaling, the cross-rank gradient reducer and
// optional clipping, then the optimizer. The optimizer's closure re-runs every pass for
// optimizers that need the gradient at other weights (SAM). With cuda_graphs, forward + loss +
// backward of a one-micro-batch step replay as a CUDA graph (cuda_graph_step.h) and the rest runs
// eagerly; check_cuda_graphs() says up front which runs cannot use one.
//
// No host synchronisation in a step: the loss stays on the device, clipping is on the device, and
// the only read (train/host_read.h) is fp16's inf/nan flag, which decides whether to step.
#include <torch/torch.h>

#include <memory>
#include <string>
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
  bool cuda_graphs = false;
};

class CudaGraphStep;

// Why this combination cannot run with CUDA graphs ("" if it can): checked before any work.
std::string cuda_graphs_refusal(const TrainStepOptions& options, bool multi_pass_optimizer, int world_size);

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
  ~TrainStep();

  // The gradient is that of the mean loss over all the micro-batches' samples, as if they were
  // one batch (each micro-batch's loss is weighted by its share of the samples). Only the last
  // backward is synchronised across ranks: the earlier ones accumulate locally (DDP's no_sync).
  StepOutcome run(const std::vector<MicroBatch>& micro_batches);

 private:
  // Gradients of the step's loss in the parameters (unscaled, clipped); returns the loss and sets
  // found_inf (fp16: a device flag; otherwise undefined).
  torch::Tensor forward_backward(const std::vector<MicroBatch>& micro_batches, torch::Tensor& found_inf);
  torch::Tensor graph_forward_backward(const MicroBatch& micro_batch, torch::Tensor& found_inf);
  void finish_gradients(torch::Tensor& found_inf);

  models::ClassifierImpl& model_;
  optim::Optimizer& optimizer_;
  TrainStepOptions options_;
  dist::GradientReducer* reducer_;
  DynamicLossScaler* scaler_;
  std::vector<torch::Tensor> params_;
  std::unique_ptr<CudaGraphStep> graph_;  // cuda_graphs (CUDA builds)
};

}  // namespace fastimg::train
