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

EvalResult evaluate(models::ClassifierImpl& model, loader::Loader& data, int64_t epoch, const EvalOptions& options) {
  auto start = std::chrono::steady_clock::now();
  torch::NoGradGuard no_grad;
  model.eval();
  data.start_epoch(epoch);
  EvalResult result;
  int64_t correct1 = 0, correct5 = 0, batches = 0;
  double loss_sum = 0;
  while (auto batch = data.next()) {
    if (options.max_batches > 0 && batches >= options.max_batches) break;
    auto x = loader::to_model_input(batch->images, options.device, options.channels_last, torch::kFloat);
    auto y = batch->labels.to(options.device);
    torch::Tensor logits;
    {
      AutocastScope autocast(options.device.type(), options.autocast_dtype);
      logits = model.forward(x).to(torch::kFloat);
      // Flip averaging: the mirror image is an equally valid view of the same object.
      if (options.tta_flip) logits = 0.5 * (logits + model.forward(x.flip({3})).to(torch::kFloat));
    }
    loss_sum += torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)).item<double>();
    auto [c1, c5] = count_correct(logits, y);
    correct1 += c1;
    correct5 += c5;
    result.samples += y.size(0);
    ++batches;
  }
  if (result.samples > 0) {
    result.top1 = static_cast<double>(correct1) / result.samples;
    result.top5 = static_cast<double>(correct5) / result.samples;
    result.loss = loss_sum / result.samples;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace fastimg::train
