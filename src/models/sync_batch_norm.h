#pragma once
// Synchronised BatchNorm (model.sync_bn): with small per-GPU batches, training-mode BN statistics
// are computed over the global batch of all ranks, with the semantics of torch.nn.SyncBatchNorm.
// Models keep plain torch::nn::BatchNorm2d modules (same state_dict keys, parameters and buffers)
// and call every BN through batch_norm() below; without a hook, or in eval mode, that is exactly
// bn.forward(x). The hook is set per process (the trainer installs the process group's sum
// all-reduce), so models do not depend on dist/.
#include <torch/torch.h>

#include <functional>

namespace fastimg::models {

// Sums a tensor across all ranks in place (every rank calls it in the same order).
using BatchNormAllReduce = std::function<void(torch::Tensor&)>;

// nullptr (or an empty function) switches synchronisation off. Not thread-safe against concurrent
// forward/backward passes: set it before training and clear it afterwards.
void set_batch_norm_all_reduce(BatchNormAllReduce sum_in_place);
bool batch_norm_is_synchronised();

// Installs a hook for its lifetime and restores the previous one (possibly none) afterwards.
class ScopedBatchNormAllReduce {
 public:
  explicit ScopedBatchNormAllReduce(BatchNormAllReduce sum_in_place);
  ~ScopedBatchNormAllReduce();
  ScopedBatchNormAllReduce(const ScopedBatchNormAllReduce&) = delete;
  ScopedBatchNormAllReduce& operator=(const ScopedBatchNormAllReduce&) = delete;

 private:
  BatchNormAllReduce previous_;
};

// bn.forward(x), or, with a hook set and bn training: normalisation with the global batch mean and
// biased variance, running statistics updated with the global unbiased variance (momentum, or the
// cumulative average when momentum is unset, and num_batches_tracked as BatchNorm2d), and a backward
// that all-reduces sum(dy) and sum(dy * (x - mean)) for grad_input; weight and bias gradients stay
// local (the gradient reducer averages them). Statistics are computed in float for half/bfloat16
// inputs; the output has the input's dtype and memory format. Forward costs one all-reduce of
// 2C+1 doubles, backward one of 2C floats.
torch::Tensor batch_norm(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

// Sequential::forward, with every BatchNorm2d in it called through batch_norm().
torch::Tensor forward_sequential(torch::nn::SequentialImpl& sequential, torch::Tensor x);

}  // namespace fastimg::models
