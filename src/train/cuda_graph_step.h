#pragma once
// CUDA-graph training step (FASTIMG_HAS_CUDA builds only). Once shapes are static, one training
// step (forward under autocast, label-smoothed loss, backward and, optionally, the optimizer update)
// is captured into a CUDA graph and replayed: one launch instead of hundreds of kernel launches
// and allocator calls per step. One graph per input shape, so progressive resizing captures one
// per resolution. Every call of step() is exactly one training step, the same math as eager:
//   - the first `warmup_steps` calls for a shape run eagerly on a side stream (cuDNN picks its
//     algorithms, the optimizer creates its state, the allocator settles);
//   - the next call captures (capture records, it does not run) and then replays once;
//   - later calls copy the batch into the graph's static input and replay.
//
// The trainer (train_step.cc, train.cuda_graphs = true) uses it with apply_update = false: the graph
// holds forward + loss + backward, and the update runs eagerly after each replay (fused foreach
// kernels), so a per-step learning rate, Adam's step count, fp16 unscaling and gradient clipping
// need no re-capture. The fp16 loss scale is a device tensor the graph reads at every replay.
//
// Limits: the model must be capture-safe (no host syncs, no data-dependent shapes: the ResNets
// and VGGs are); with capture_optimizer the optimizer's update is baked in with its lr at capture,
// so a changed lr() re-captures; optimizers with host-side step counters (Adam's bias correction)
// need capture_optimizer = false.
#if defined(FASTIMG_HAS_CUDA)
#include <ATen/cuda/CUDAGraph.h>
#include <torch/torch.h>

#include <map>
#include <memory>
#include <tuple>
#include <vector>

#include "models/classifier.h"
#include "optim/optimizer.h"

namespace fastimg::train {

struct CudaGraphStepOptions {
  torch::ScalarType autocast = torch::kBFloat16;  // kFloat32: no autocast
  double label_smoothing = 0.0;
  int warmup_steps = 3;
  bool capture_optimizer = true;
  // false: step() leaves the gradients in the parameters' .grad() and never touches the optimizer
  // (the caller unscales, clips and updates); requires capture_optimizer = false.
  bool apply_update = true;
  // When defined (a 1-element float tensor on the device), backward runs on loss * loss_scale.
  torch::Tensor loss_scale;
};

class CudaGraphStep {
 public:
  CudaGraphStep(models::ClassifierImpl& model, optim::Optimizer& optimizer, CudaGraphStepOptions options = {});
  ~CudaGraphStep();
  CudaGraphStep(const CudaGraphStep&) = delete;
  CudaGraphStep& operator=(const CudaGraphStep&) = delete;

  // One training step on images [N, 3, H, W] (on the model's CUDA device) and targets [N] int64;
  // returns the loss (a fresh device tensor, no host sync).
  torch::Tensor step(const torch::Tensor& images, const torch::Tensor& targets);

  // Whether a graph for this input shape has been captured.
  bool captured(const torch::Tensor& images) const;
  int64_t graphs() const { return static_cast<int64_t>(graphs_.size()); }
  // Drops every graph (after loading a checkpoint, replacing parameters or optimizer state).
  void reset();

 private:
  struct Graph;
  using Shape = std::vector<int64_t>;

  torch::Tensor eager_step(const torch::Tensor& images, const torch::Tensor& targets);
  torch::Tensor forward_backward(const torch::Tensor& images, const torch::Tensor& targets);
  void capture(Graph& g);

  models::ClassifierImpl& model_;
  optim::Optimizer& optimizer_;
  CudaGraphStepOptions options_;
  std::vector<torch::Tensor> params_;
  std::map<Shape, std::unique_ptr<Graph>> graphs_;
};

}  // namespace fastimg::train
#endif  // FASTIMG_HAS_CUDA
