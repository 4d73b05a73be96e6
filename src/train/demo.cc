#include "train/demo.h"

#include <filesystem>

#include "train/synthetic_shapes.h"

namespace fastimg::train {

TrainConfig demo_config(const DemoOptions& options) {
  namespace fs = std::filesystem;
  TrainConfig c;
  c.train_path = (fs::path(options.dir) / "train.beton").string();
  c.val_path = (fs::path(options.dir) / "val.beton").string();
  c.run_dir = (fs::path(options.dir) / "run").string();
  c.arch = "resnet_mini";
  c.batch_size = 64;
  c.val_batch_size = 100;
  c.order = "random";
  c.optimizer = "sgd";
  c.lr = 0.4;
  c.momentum = 0.9;
  c.weight_decay = 5e-5;
  c.label_smoothing = 0.1;
  c.schedule = "triangular";
  c.lr_peak_epoch = 2;
  c.epochs = options.epochs;
  // Progressive resizing as in the FFCV recipes, scaled down: 64 px, then up to 96 px.
  c.min_res = 64;
  c.max_res = 96;
  c.start_ramp = options.epochs - 5;
  c.end_ramp = options.epochs - 2;
  c.res_multiple = 16;
  c.val_res = 96;
  c.tta_flip = true;
  c.seed = options.seed;
  c.log_every = 10;
  c.eval_every = 2;
  c.progress = options.progress;
  return c;
}

TrainResult run_demo(const DemoOptions& options) {
  std::filesystem::create_directories(options.dir);
  TrainConfig config = demo_config(options);
  write_synthetic_dataset(config.train_path, {options.train_per_class, options.seed}, 0, options.progress);
  // The validation images come from a different seed stream: never seen in training.
  write_synthetic_dataset(config.val_path, {options.val_per_class, options.seed + 1000003}, 0, options.progress);
  if (options.data_only) return {};
  return run_training(config);
}

}  // namespace fastimg::train
