#pragma once
// A training run: set up (run_setup.h), then per epoch train (epoch_loop.h), evaluate and
// checkpoint (epoch_end.h), reporting through one metrics writer (run_metrics.h); summary.json at
// the end. Everything random derives from train.seed, so a resumed run continues exactly.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "train/config.h"
#include "train/evaluate.h"

namespace fastimg::train {

struct TrainResult {
  bool evaluated = false;                // false: no validation data, final_eval is empty
  EvalResult final_eval;
  std::vector<double> epoch_train_loss;  // mean training loss of each epoch run in this call
  int64_t steps = 0;
  double seconds = 0;
  double train_images_per_s = 0;
  nlohmann::json summary;
};

TrainResult run_training(const TrainConfig& config);

}  // namespace fastimg::train
