#include "train/train_step.h"

#include "dist/gradient_reducer.h"
#include "optim/grad_clip.h"
#include "optim/loss.h"
#include "train/autocast.h"
#include "train/cuda_graph_step.h"
#include "train/loss_scaler.h"
#include "util/error.h"

namespace fastimg::train {

std::string cuda_graphs_refusal(const TrainStepOptions& options, bool multi_pass_optimizer, int world_size) {
#if !defined(FASTIMG_HAS_CUDA)
  return "this binary was built without CUDA";
#endif
  if (options.device_type != torch::kCUDA) return "CUDA graphs need a CUDA device";
  if (multi_pass_optimizer) return "the optimizer evaluates the gradient twice per step (SAM)";
  if (options.grad_accumulation > 1) return "optimizer.grad_accumulation > 1 runs several backward passes per step";
  if (world_size > 1) return "the gradient all-reduce runs in backward hooks that a graph does not capture (one process only)";
  return "";
}

TrainStep::TrainStep(models::ClassifierImpl& model, optim::Optimizer& optimizer, TrainStepOptions options,
                     dist::GradientReducer* reducer, DynamicLossScaler* scaler)
    : model_(model),
      optimizer_(optimizer),
      options_(options),
      reducer_(reducer),
      scaler_(scaler),
      params_(model.parameters()) {
  if (!options_.cuda_graphs) return;
  const std::string why = cuda_graphs_refusal(options_, /*multi_pass_optimizer=*/false, reducer ? 2 : 1);
  if (!why.empty()) fail("train.cuda_graphs = true: {}", why);
#if defined(FASTIMG_HAS_CUDA)
  graph_ = std::make_unique<CudaGraphStep>(
      model_, optimizer_,
      CudaGraphStepOptions{.autocast = options_.autocast_dtype,
                           .label_smoothing = options_.label_smoothing,
                           .capture_optimizer = false,
                           .apply_update = false,
                           .loss_scale = scaler_ ? scaler_->scale() : torch::Tensor()});
#endif
}

TrainStep::~TrainStep() = default;

void TrainStep::finish_gradients(torch::Tensor& found_inf) {
  if (scaler_) found_inf = scaler_->unscale(params_);
  if (options_.grad_clip > 0) optim::clip_grad_norm_on_device(params_, options_.grad_clip);
}

torch::Tensor TrainStep::forward_backward(const std::vector<MicroBatch>& micro_batches, torch::Tensor& found_inf) {
  int64_t total = 0;
  for (const auto& mb : micro_batches) total += mb.target.size(0);
  model_.zero_grad();
  torch::Tensor loss_sum;  // stays on the device: no synchronisation per micro-batch
  for (size_t i = 0; i < micro_batches.size(); ++i) {
    const MicroBatch& mb = micro_batches[i];
    torch::Tensor logits;
    {
      AutocastScope autocast(options_.device_type, options_.autocast_dtype);
      logits = model_.forward(mb.input);
    }
    // Mean over this micro-batch times its share: the sum over micro-batches is the mean over all.
    const double share = static_cast<double>(mb.target.size(0)) / static_cast<double>(total);
    auto loss = optim::label_smoothing_cross_entropy(logits.to(torch::kFloat), mb.target, options_.label_smoothing);
    if (micro_batches.size() > 1) loss = loss * share;
    auto to_backward = scaler_ ? loss * scaler_->scale() : loss;
    if (reducer_ && i + 1 == micro_batches.size()) reducer_->prepare_for_backward(to_backward);
    to_backward.backward();
    loss_sum = loss_sum.defined() ? loss_sum + loss.detach() : loss.detach();
  }
  finish_gradients(found_inf);
  return loss_sum;
}

torch::Tensor TrainStep::graph_forward_backward(const MicroBatch& mb, torch::Tensor& found_inf) {
#if defined(FASTIMG_HAS_CUDA)
  torch::Tensor loss = graph_->step(mb.input, mb.target);
  finish_gradients(found_inf);
  return loss;
#else
  (void)mb;
  (void)found_inf;
  fail("train.cuda_graphs: this binary was built without CUDA");
#endif
}

StepOutcome TrainStep::run(const std::vector<MicroBatch>& micro_batches) {
  if (micro_batches.empty()) fail("train step: no micro-batch");
  // The first pass runs before the optimizer so that fp16 can skip a step with inf/nan
  // gradients; the closure hands it over and recomputes only for extra passes (SAM).
  torch::Tensor found_inf;
  torch::Tensor first_loss = graph_ && micro_batches.size() == 1 ? graph_forward_backward(micro_batches[0], found_inf)
                                                                 : forward_backward(micro_batches, found_inf);
  const torch::Tensor first_found_inf = found_inf;
  bool first_pass_used = false;
  auto closure = [&]() {
    if (!first_pass_used) {
      first_pass_used = true;
      return first_loss;
    }
    if (graph_) fail("train.cuda_graphs: the optimizer asked for a second gradient pass (SAM)");
    return forward_backward(micro_batches, found_inf);
  };
  StepOutcome outcome;
  outcome.loss = first_loss;  // on the device: the caller reads it only when it logs
  outcome.applied = !scaler_ || DynamicLossScaler::step_allowed(first_found_inf);
  if (outcome.applied) optimizer_.step(closure);
  if (scaler_) scaler_->update(first_found_inf);
  return outcome;
}

}  // namespace fastimg::train
