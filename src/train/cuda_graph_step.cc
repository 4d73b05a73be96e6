#include "train/cuda_graph_step.h"

#if defined(FASTIMG_HAS_CUDA)
#include <ATen/autocast_mode.h>
#include <ATen/cuda/CUDAEvent.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "optim/loss.h"
#include "train/autocast.h"
#include "util/error.h"

namespace fastimg::train {

struct CudaGraphStep::Graph {
  int eager_steps = 0;
  at::cuda::CUDAGraph graph;
  bool ready = false;
  double captured_lr = 0;
  torch::Tensor images, targets, loss;  // static buffers the graph reads and writes
  std::vector<torch::Tensor> grads;     // the graph's gradient tensors (in its private pool)
};

CudaGraphStep::CudaGraphStep(models::ClassifierImpl& model, optim::Optimizer& optimizer, CudaGraphStepOptions options)
    : model_(model), optimizer_(optimizer), options_(options) {
  for (const auto& p : model_.parameters()) params_.push_back(p);
  if (params_.empty() || !params_.front().is_cuda()) fail("cuda graph step: the model's parameters must be on a CUDA device");
  if (options_.warmup_steps < 1) fail("cuda graph step: warmup_steps must be >= 1 (got {})", options_.warmup_steps);
  if (options_.capture_optimizer && !options_.apply_update)
    fail("cuda graph step: capture_optimizer needs apply_update (the update is part of the graph)");
}

CudaGraphStep::~CudaGraphStep() = default;

void CudaGraphStep::reset() { graphs_.clear(); }

bool CudaGraphStep::captured(const torch::Tensor& images) const {
  auto it = graphs_.find(images.sizes().vec());
  return it != graphs_.end() && it->second->ready;
}

torch::Tensor CudaGraphStep::forward_backward(const torch::Tensor& images, const torch::Tensor& targets) {
  torch::Tensor loss;
  {
    AutocastScope amp(torch::kCUDA, options_.autocast);
    loss = optim::label_smoothing_cross_entropy(model_.forward(images), targets, options_.label_smoothing);
  }
  (options_.loss_scale.defined() ? loss * options_.loss_scale : loss).backward();
  return loss.detach();
}

torch::Tensor CudaGraphStep::eager_step(const torch::Tensor& images, const torch::Tensor& targets) {
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  auto loss = forward_backward(images, targets);
  if (options_.apply_update) optimizer_.apply_gradients();
  return loss;
}

void CudaGraphStep::capture(Graph& g) {
  // Gradients are set to none so that backward allocates them inside the graph's private pool:
  // every replay then rewrites the same tensors, which the captured optimizer update reads.
  for (auto& p : params_) p.mutable_grad() = torch::Tensor();
  const bool cache = at::autocast::is_autocast_cache_enabled();
  at::autocast::set_autocast_cache_enabled(false);  // cached casts must not outlive the capture
  // Thread-local capture mode: loader threads may keep allocating and copying meanwhile.
  g.graph.capture_begin({0, 0}, cudaStreamCaptureModeThreadLocal);
  g.loss = forward_backward(g.images, g.targets);
  if (options_.capture_optimizer) optimizer_.apply_gradients();
  g.graph.capture_end();
  at::autocast::set_autocast_cache_enabled(cache);
  g.grads.clear();
  for (auto& p : params_) g.grads.push_back(p.grad());
  g.captured_lr = optimizer_.lr();
  g.ready = true;
}

torch::Tensor CudaGraphStep::step(const torch::Tensor& images, const torch::Tensor& targets) {
  const auto device = params_.front().device();
  if (images.device() != device || targets.device() != device) {
    fail("cuda graph step: batch on {} / {}, model on {}", images.device().str(), targets.device().str(), device.str());
  }
  model_.train();
  auto& slot = graphs_[images.sizes().vec()];
  if (!slot) slot = std::make_unique<Graph>();
  Graph& g = *slot;
  if (g.ready && options_.capture_optimizer && optimizer_.lr() != g.captured_lr) {
    slot = std::make_unique<Graph>();  // the lr is baked into the update: capture again
    slot->eager_steps = options_.warmup_steps;
    return step(images, targets);
  }

  auto compute = c10::cuda::getCurrentCUDAStream(device.index());
  if (!g.ready) {
    // Warm-up and capture run on a side stream (capture cannot use the legacy default stream),
    // ordered after everything already queued on the compute stream, and the other way round.
    auto side = c10::cuda::getStreamFromPool(false, device.index());
    at::cuda::CUDAEvent ready_in;
    ready_in.record(compute);
    ready_in.block(side);
    torch::Tensor loss;
    {
      c10::cuda::CUDAStreamGuard on_side(side);
      if (g.eager_steps < options_.warmup_steps) {
        ++g.eager_steps;
        loss = eager_step(images, targets);
      } else {
        g.images = torch::empty_like(images, images.suggest_memory_format());
        g.targets = torch::empty_like(targets);
        capture(g);
      }
    }
    at::cuda::CUDAEvent done;
    done.record(side);
    done.block(compute);
    if (loss.defined()) return loss;
  }
  // Replay: the batch goes into the static input, the graph runs on the compute stream.
  g.images.copy_(images);
  g.targets.copy_(targets);
  for (size_t i = 0; i < params_.size(); ++i) params_[i].mutable_grad() = g.grads[i];
  g.graph.replay();
  if (!options_.capture_optimizer && options_.apply_update) optimizer_.apply_gradients();
  return g.loss.clone();
}

}  // namespace fastimg::train
#endif  // FASTIMG_HAS_CUDA
