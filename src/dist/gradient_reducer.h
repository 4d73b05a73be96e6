#pragma once
// Data-parallel gradient averaging that overlaps communication with backward, driven by c10d's
// Reducer (the engine under PyTorch's DistributedDataParallel): gradients are copied into buckets
// (default 25 MB, last layers first) and each bucket's all-reduce starts as soon as its last
// gradient is ready; at the end of backward every param.grad holds the mean over ranks.
#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "dist/process_group.h"

namespace c10d {
class Reducer;
}

namespace fastimg::dist {

struct GradientReducerOptions {
  int64_t bucket_bytes = 25 << 20;
  // A small first bucket (the last layers) lets communication start early in backward, as in DDP.
  int64_t first_bucket_bytes = 1 << 20;
};

class GradientReducer {
 public:
  // Every parameter with requires_grad must get a gradient in every synchronised backward (no
  // unused-parameter search). Checks that all ranks hold the same parameter shapes.
  GradientReducer(std::vector<torch::Tensor> parameters, ProcessGroup& group, GradientReducerOptions options = {});
  GradientReducer(const torch::nn::Module& module, ProcessGroup& group, GradientReducerOptions options = {});
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Call after forward and before loss.backward(): that backward then averages the gradients across
  // ranks. A backward without this call keeps local gradients (gradient accumulation, no_sync).
  void prepare_for_backward(const torch::Tensor& loss);

  size_t num_buckets() const { return num_buckets_; }
  size_t num_parameters() const { return parameters_.size(); }

 private:
  ProcessGroup& group_;
  std::vector<torch::Tensor> parameters_;
  size_t num_buckets_ = 0;
  std::unique_ptr<::c10d::Reducer> reducer_;
};

// Rank `root`'s parameters and buffers overwrite everyone else's (same start on every rank).
void broadcast_parameters(const torch::nn::Module& module, ProcessGroup& group, int root = 0);

// Averages floating-point buffers (BatchNorm running statistics) across ranks, e.g. before
// evaluation or a checkpoint, so every rank evaluates the same model. Integer buffers (BN's
// num_batches_tracked) advance in lockstep and are left alone.
void average_buffers(const torch::nn::Module& module, ProcessGroup& group);

}  // namespace fastimg::dist
