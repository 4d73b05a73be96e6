#pragma once
// Evaluation: top-1/top-5 and mean loss over a validation loader, optionally averaging the logits
// of each image and its horizontal mirror (test-time flip augmentation).
#include <torch/torch.h>

#include "loader/loader.h"
#include "models/classifier.h"

namespace fastimg::train {

struct EvalResult {
  double top1 = 0, top5 = 0, loss = 0;
  int64_t samples = 0;
  double seconds = 0;
  // Raw sums, so that shards evaluated on several ranks combine exactly.
  double correct1 = 0, correct5 = 0, loss_sum = 0;
  // Recomputes top1/top5/loss from the sums.
  void finalize();
};

struct EvalOptions {
  torch::Device device = torch::kCPU;
  bool channels_last = false;
  bool tta_flip = false;
  torch::ScalarType autocast_dtype = torch::kFloat;  // kFloat = no autocast
  int64_t max_batches = 0;                           // 0 = all
  // Count only the first max_samples samples of the stream (a distributed shard padded by
  // wrap-around repeats a few samples at its end); 0 = all.
  int64_t max_samples = 0;
};

EvalResult evaluate(models::ClassifierImpl& model, loader::Loader& data, int64_t epoch, const EvalOptions& options);

// Counts of correct top-k predictions in a batch: {top1, top5}.
std::pair<int64_t, int64_t> count_correct(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace fastimg::train
