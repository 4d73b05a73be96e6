#pragma once
// `fastimg demo`: the embedded default job. Draws a 10-class dataset (synthetic_shapes.h: shape and
// texture conjunctions among clutter, hard enough not to saturate), writes train/val .beton files,
// trains a small ResNet on the CPU for a couple of minutes, reports validation accuracy and writes
// the accuracy-vs-time plot into the run directory.
#include <string>

#include "train/synthetic_shapes.h"
#include "train/trainer.h"

namespace fastimg::train {

struct DemoOptions {
  std::string dir = "runs/demo";
  int train_per_class = 320;
  int val_per_class = 50;
  int64_t epochs = 14;
  uint64_t seed = 0;
  double difficulty = kSyntheticDifficulty;  // 0 (saturates) .. 1 (hard), see synthetic_shapes.h
  bool progress = true;
  bool data_only = false;  // write train.beton/val.beton and stop (data for other configs)
};

struct DemoResult {
  TrainResult train;  // empty with data_only
  std::string plot;   // <run dir>/accuracy.svg: validation top-1 vs wall time; empty with data_only
};

// The training config the demo runs (data paths inside options.dir).
TrainConfig demo_config(const DemoOptions& options);
// The plot run_demo writes: accuracy.svg in the run directory.
std::string demo_plot_path(const DemoOptions& options);
// With data_only, the result is empty (no training ran).
DemoResult run_demo(const DemoOptions& options);

}  // namespace fastimg::train
