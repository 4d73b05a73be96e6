#pragma once
// Training configuration: one flat set of dotted keys ("optimizer.lr"), read from a TOML file and
// overridden by --set key=value. Every key is declared once in config.cc with its type, default and
// meaning; an unknown key (a typo) is an error that names it and the file.
#include <cstdint>
#include <string>
#include <vector>

namespace fastimg::train {

struct TrainConfig {
  // [data]
  std::string train_path;
  std::string val_path;
  int64_t threads = 0;               // loader threads; 0 = all cores
  std::string order = "random";      // sequential | random | quasi_random
  int64_t batch_size = 256;          // per process
  int64_t val_batch_size = 256;
  int64_t batches_ahead = 3;
  bool strict_data = false;          // an unreadable sample stops the run (default: reported, skipped)
  // [model]
  std::string arch = "resnet18";
  bool blurpool = false;
  bool zero_init_residual = false;
  bool sync_bn = false;              // SyncBatchNorm: BN statistics over all ranks (small per-GPU batches)
  int64_t num_classes = 0;           // 0 = max label in the training file + 1
  // [optimizer]
  std::string optimizer = "sgd";
  double lr = 0.5;
  double momentum = 0.9;
  bool nesterov = false;
  double weight_decay = 5e-5;
  bool decay_bn_and_bias = false;    // FFCV and the reproduction recipes exclude BN (and bias)
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double sf_warmup_steps = 0;        // schedule-free warm-up
  double sf_r = 0;
  double sf_weight_lr_power = 2;
  double sam_rho = 0.05;
  bool sam_adaptive = false;
  std::string sam_base = "sgd";
  std::string no_decay_rule = "module_type";  // module_type | name (the reproduction project's "bn"/"bias" rule)
  double label_smoothing = 0.1;
  double grad_clip = 0;              // max global gradient norm; 0 = no clipping
  int64_t grad_accumulation = 1;     // loader batches per optimizer step
  // [schedule]
  std::string schedule = "triangular";  // triangular | step | cosine | linear | constant
  double lr_peak_epoch = 2;
  double warmup_epochs = 0;
  double warmup_start_fraction = 0.01;  // warm-up starts at this fraction of lr
  double initial_fraction = 1e-4;       // triangular: lr at epoch 0 as a fraction of lr (FFCV)
  std::vector<double> milestones;
  double step_size = 30;                // step schedule without milestones
  double gamma = 0.1;
  double min_lr = 0;                    // cosine/linear: lr at the last epoch
  // [train]
  int64_t epochs = 16;
  int64_t min_res = 160;             // progressive resizing (FFCV): min_res until start_ramp,
  int64_t max_res = 192;             // then linear to max_res at end_ramp, multiples of 32
  int64_t start_ramp = 11;
  int64_t end_ramp = 13;
  int64_t res_multiple = 32;
  std::string precision = "fp32";    // fp32 | bf16 | fp16 (fp16 with dynamic loss scaling)
  bool channels_last = false;
  std::string device = "auto";       // auto | cpu | cuda
  uint64_t seed = 0;
  int64_t max_steps_per_epoch = 0;   // 0 = the whole epoch (tests and demos cap it)
  int64_t stop_after_epochs = 0;     // end this invocation after N epochs (resumable); 0 = run to the end
  int64_t log_every = 50;
  // [validation]
  int64_t val_res = 256;
  bool tta_flip = false;
  int64_t eval_every = 1;
  // BatchNorm statistics recomputed on this many training samples before evaluating: "off",
  // "final" (before the last evaluation) or "every" (before each one; schedule-free needs it).
  std::string bn_recalibration = "off";
  int64_t bn_recalibration_samples = 102400;
  // [output]
  std::string run_dir = "runs/default";
  bool progress = true;
  bool resume = false;               // continue from run_dir/last.pt if present
};

// Reads the TOML file (may be empty = all defaults) and applies "key=value" overrides.
TrainConfig load_config(const std::string& path, const std::vector<std::string>& overrides);
// Parses TOML text (e.g. the config stored in a checkpoint); `origin` names it in errors.
TrainConfig parse_config_text(const std::string& toml_text, const std::string& origin);
// Applies one "key=value" override; `origin` names where it came from for errors.
void apply_override(TrainConfig& config, const std::string& assignment, const std::string& origin);
// The resolved configuration as TOML (saved in the run directory; loadable by load_config).
std::string to_toml(const TrainConfig& config);
// Every known key, for --help and docs.
std::vector<std::string> config_keys();

}  // namespace fastimg::train
