#pragma once
// The state the parts of a training run share: what run_training (trainer.cc) sets up and the
// epoch loop (epoch_loop.h) and the evaluation + checkpoint step (epoch_end.h) work on.
#include <chrono>
#include <cstdint>
#include <string>

#include "loader/device_stage.h"
#include "loader/loader.h"
#include "models/classifier.h"
#include "optim/optimizer.h"
#include "train/config.h"
#include "train/loss_scaler.h"
#include "train/run_metrics.h"
#include "train/run_setup.h"
#include "train/train_step.h"

namespace fastimg::train {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Training {
  const TrainConfig& config;
  RunContext& run;
  loader::Loader& data;
  loader::DeviceStage& stage;  // data's batches to model input on run.device
  loader::Loader* val;  // null without data.val
  models::ClassifierImpl& model;
  optim::Optimizer& optimizer;
  TrainStep& step;
  DynamicLossScaler* scaler;  // fp16 only
  RunMetrics& metrics;
  std::string checkpoint_path;  // run_dir/last.pt
  std::string resolved_toml;    // the config with num_classes filled in, stored in every checkpoint
  Clock::time_point start = Clock::now();
  int64_t global_step = 0;      // optimizer steps in this invocation
  double best_top1 = -1;
  torch::Tensor resume_rng_state;  // mid-epoch resume: the generator to continue with
  Clock::time_point last_checkpoint = Clock::now();  // output.checkpoint_every_minutes
};

// The batch of one optimizer micro-step over all processes (recorded in checkpoints).
inline int64_t global_batch(const Training& t) {
  return static_cast<int64_t>(t.data.options().batch_size) * t.run.world_size();
}

}  // namespace fastimg::train
