#pragma once
// `fastimg eval`: evaluates a checkpoint on a dataset file, rebuilding the model from the config
// stored in the checkpoint.
#include <cstdint>
#include <string>

#include "train/evaluate.h"

namespace fastimg::train {

struct EvalCheckpointOptions {
  std::string checkpoint;
  std::string data;
  bool tta_flip = false;
  int64_t resolution = 0;   // 0 = the run's validation resolution
  int64_t batch_size = 256;
  int64_t threads = 0;
  std::string device = "auto";
};

EvalResult evaluate_checkpoint(const EvalCheckpointOptions& options);

}  // namespace fastimg::train
