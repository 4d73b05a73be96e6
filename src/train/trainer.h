#pragma once
// The training loop: loader → model under autocast → label-smoothed loss → optimizer → schedule,
// evaluation every `eval_every` epochs, metrics.jsonl, last.pt each epoch and summary.json at the
// end. Everything random derives from config.seed, so a resumed run continues exactly.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/config.h"
#include "train/evaluate.h"

namespace fastimg::train {

struct TrainResult {
  EvalResult final_eval;
  std::vector<double> epoch_train_loss;  // mean training loss of each epoch run in this call
  int64_t steps = 0;
  double seconds = 0;
  double train_images_per_s = 0;
  nlohmann::json summary;
};

TrainResult run_training(const TrainConfig& config);

}  // namespace fastimg::train
