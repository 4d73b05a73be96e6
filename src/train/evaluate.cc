#include "train/evaluate.h"

#include <chrono>

#include "loader/device_stage.h"
#include "train/autocast.h"

namespace fastimg::train {

std::pair<int64_t, int64_t> count_correct(const torch::Tensor& logits, const torch::Tensor& labels) {
  int64_t k = std::min<int64_t>(5, logits.size(1));
  auto topk = std::get<1>(logits.topk(k, /*dim=*/1));
  auto hits = topk.eq(labels.view({-1, 1}));
  int64_t top1 = hits.narrow(1, 0, 1).sum().item<int64_t>();
  int64_t top5 = hits.sum().item<int64_t>();
  return {top1, top5};
}

void EvalResult::finalize() {
  if (samples <= 0) return;
  top1 = correct1 / static_cast<double>(samples);
  top5 = correct5 / static_cast<double>(samples);
  loss = loss_sum / static_cast<double>(samples);
}

EvalResult evaluate(models::ClassifierImpl& model, loader::Loader& data, int64_t epoch, const EvalOptions& options) {
  auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  model.eval();
  data.start_epoch(epoch);
  EvalResult result;
  int64_t batches = 0;
  while (auto batch = data.next()) {
    if (options.max_batches > 0 && batches >= options.max_batches) break;
    auto images = batch->images;
    auto labels = batch->labels;
    if (options.max_samples > 0) {
      const int64_t keep = std::min<int64_t>(labels.size(0), options.max_samples - result.samples);
      if (keep <= 0) break;
      images = images.narrow(0, 0, keep);
      labels = labels.narrow(0, 0, keep);
    }
    auto x = loader::to_model_input(images, options.device, options.channels_last, torch::kFloat);
    auto y = labels.to(options.device);
    batch->fence->copies_queued(options.device);
    torch::Tensor logits;
    {
      AutocastScope autocast(options.device.type(), options.autocast_dtype);
      logits = model.forward(x).to(torch::kFloat);
      // Flip averaging: the mirror image is an equally valid view of the same object.
      if (options.tta_flip) logits = 0.5 * (logits + model.forward(x.flip({3})).to(torch::kFloat));
    }
    result.loss_sum += torch::nn::functional::cross_entropy(
                           logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                           .item<double>();
    auto [c1, c5] = count_correct(logits, y);
    result.correct1 += static_cast<double>(c1);
    result.correct5 += static_cast<double>(c5);
    result.samples += y.size(0);
    ++batches;
  }
  result.finalize();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fastimg::train
