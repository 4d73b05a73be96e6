#include "train/demo.h"

#include <filesystem>

#include "train/synthetic_shapes.h"

namespace fastimg::train {

TrainConfig demo_config(const DemoOptions& options) {
  namespace fs = std::filesystem;
  TrainConfig c;
  c.data.train.path = (fs::path(options.dir) / "train.beton").string();
  c.data.val_path = (fs::path(options.dir) / "val.beton").string();
  c.output.run_dir = (fs::path(options.dir) / "run").string();
  c.model.arch = "resnet_mini";
  c.data.train.batch_size = 64;
  c.data.val_batch_size = 100;
  c.optimizer.name = "sgd";
  c.optimizer.lr = 0.4;
  c.optimizer.momentum = 0.9;
  c.optimizer.weight_decay = 5e-5;
  c.step.label_smoothing = 0.1;
  c.schedule.name = "triangular";
  c.schedule.lr_peak_epoch = 2;
  c.schedule.epochs = options.epochs;
  // Progressive resizing as in the FFCV recipes, scaled down: 64 px, then up to 96 px.
  c.train.resolution.min_res = 64;
  c.train.resolution.max_res = 96;
  c.train.resolution.start_ramp = options.epochs - 5;
  c.train.resolution.end_ramp = options.epochs - 2;
  c.train.resolution.multiple = 16;
  c.validation.res = 96;
  c.validation.tta_flip = true;
  c.train.seed = options.seed;
  c.train.log_every = 10;
  c.validation.eval_every = 2;
  c.output.progress = options.progress;
  return c;
}

TrainResult run_demo(const DemoOptions& options) {
  std::filesystem::create_directories(options.dir);
  TrainConfig config = demo_config(options);
  write_synthetic_dataset(config.data.train.path, {options.train_per_class, options.seed}, 0, options.progress);
  // The validation images come from a different seed stream: never seen in training.
  write_synthetic_dataset(config.data.val_path, {options.val_per_class, options.seed + 1000003}, 0, options.progress);
  if (options.data_only) return {};
  return run_training(config);
}

}  // namespace fastimg::train
