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
// Integration in the trainer loop (train/trainer.cc), behind a config switch (e.g. cuda_graphs):
//
//   std::optional<train::CudaGraphStep> graph;
//   if (cfg.cuda_graphs && device.is_cuda() && optimizer_is_single_pass)   // not SAM, not schedule-free eval swaps
//     graph.emplace(model, *optimizer, train::CudaGraphStepOptions{.autocast = amp_dtype,
//                                                                   .label_smoothing = cfg.label_smoothing,
//                                                                   .capture_optimizer = !lr_changes_every_step});
//   for (auto& batch : loader) {
//     optimizer->set_lr(lr_for(step));
//     torch::Tensor loss = graph ? graph->step(batch.images, batch.labels)
//                                : optimizer->step([&] { /* zero_grad, forward, loss, backward */ });
//   }
//   // After loading a checkpoint or swapping parameters, call graph->reset().
//
// Limits: the model must be capture-safe (no host syncs, no data-dependent shapes: the ResNets
// and VGGs are); the optimizer's update is baked in with its lr at capture, so with
// capture_optimizer a changed lr() re-captures (fine for per-epoch schedules; per-step schedules
// should set capture_optimizer = false, which runs apply_gradients() eagerly after the replay);
// optimizers with host-side step counters (Adam's bias correction) need capture_optimizer = false.
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
};

class CudaGraphStep {
 public:
  CudaGraphStep(models::Classifier model, optim::Optimizer& optimizer, CudaGraphStepOptions options = {});
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

  models::Classifier model_;
  optim::Optimizer& optimizer_;
  CudaGraphStepOptions options_;
  std::vector<torch::Tensor> params_;
  std::map<Shape, std::unique_ptr<Graph>> graphs_;
};

}  // namespace fastimg::train
#endif  // FASTIMG_HAS_CUDA
