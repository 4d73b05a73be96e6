#pragma once
// Checkpoints: model weights and buffers, full optimizer state, the last completed epoch and the
// resolved config, in one LibTorch archive written atomically (temp file + rename).
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "optim/optimizer.h"
#include "train/loss_scaler.h"

namespace fastimg::train {

struct CheckpointInfo {
  int64_t epoch = -1;        // last completed epoch
  std::string config_toml;   // resolved config of the run that wrote it
  int64_t next_step = 0;     // >0: interrupted after this many steps of epoch + 1
  double best_top1 = -1;     // best validation top-1 so far (best.pt)
  // Mid-epoch checkpoints: the training device's random generator after step next_step, so that
  // dropout and other torch randomness continue as if never interrupted. Undefined otherwise.
  torch::Tensor rng_state;
  int64_t global_batch = 0;  // batch per process x processes (0: not recorded)
};

void save_checkpoint(const std::string& path, torch::nn::Module& model, const optim::Optimizer* optimizer,
                     const CheckpointInfo& info, const DynamicLossScaler* scaler = nullptr);
// Reads only the info (to rebuild the model before loading weights).
CheckpointInfo read_checkpoint_info(const std::string& path);
// Loads weights (and optimizer state if optimizer != nullptr); returns the info.
CheckpointInfo load_checkpoint(const std::string& path, torch::nn::Module& model, optim::Optimizer* optimizer,
                               DynamicLossScaler* scaler = nullptr);

}  // namespace fastimg::train
