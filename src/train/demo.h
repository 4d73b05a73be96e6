#pragma once
// `fastimg demo`: the embedded default job. Draws a 10-class dataset, writes train/val .beton
// files, trains a small ResNet on the CPU for a couple of minutes and reports validation accuracy.
#include <string>

#include "train/trainer.h"

namespace fastimg::train {

struct DemoOptions {
  std::string dir = "runs/demo";
  int train_per_class = 320;
  int val_per_class = 50;
  int64_t epochs = 14;
  uint64_t seed = 0;
  bool progress = true;
  bool data_only = false;  // write train.beton/val.beton and stop (data for other configs)
};

// The training config the demo runs (data paths inside options.dir).
TrainConfig demo_config(const DemoOptions& options);
// With data_only, the result is empty (no training ran).
TrainResult run_demo(const DemoOptions& options);

}  // namespace fastimg::train
