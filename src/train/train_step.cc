#include "train/train_step.h"

#include "dist/gradient_reducer.h"
#include "optim/grad_clip.h"
#include "optim/loss.h"
#include "train/autocast.h"
#include "train/loss_scaler.h"
#include "util/error.h"

namespace fastimg::train {

TrainStep::TrainStep(models::ClassifierImpl& model, optim::Optimizer& optimizer, TrainStepOptions options,
                     dist::GradientReducer* reducer, DynamicLossScaler* scaler)
    : model_(model),
      optimizer_(optimizer),
      options_(options),
      reducer_(reducer),
      scaler_(scaler),
      params_(model.parameters()) {}

torch::Tensor TrainStep::forward_backward(const std::vector<MicroBatch>& micro_batches, bool& finite) {
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
  finite = scaler_ ? scaler_->unscale_and_check(params_) : true;
  if (options_.grad_clip > 0) optim::clip_grad_norm_on_device(params_, options_.grad_clip);
  return loss_sum;
}

StepOutcome TrainStep::run(const std::vector<MicroBatch>& micro_batches) {
  if (micro_batches.empty()) fail("train step: no micro-batch");
  // The first pass runs before the optimizer so that fp16 can skip a step with inf/nan
  // gradients; the closure hands it over and recomputes only for extra passes (SAM).
  bool finite = true;
  torch::Tensor first_loss = forward_backward(micro_batches, finite);
  const bool first_finite = finite;
  bool first_pass_used = false;
  auto closure = [&]() {
    if (!first_pass_used) {
      first_pass_used = true;
      return first_loss;
    }
    return forward_backward(micro_batches, finite);
  };
  StepOutcome outcome;
  outcome.loss = first_loss;  // on the device: the caller reads it only when it logs
  outcome.applied = first_finite;
  if (first_finite) optimizer_.step(closure);
  if (scaler_) scaler_->update(first_finite);
  return outcome;
}

}  // namespace fastimg::train
