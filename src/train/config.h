#pragma once
// Training configuration. The config holds the libraries' own option structs (loader, model,
// optimizer, schedule, augmentation), so each setting has one default: the one its library
// declares. Every config key ("optimizer.lr") is declared once, in config_schema.cc, with its type,
// allowed values and doc; parsing (TOML, FFCV YAML, --set), printing, docs/config.md and
// validation all come from that table.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "augment/pipelines.h"
#include "loader/loader_options.h"
#include "models/model_options.h"
#include "optim/optimizer_options.h"
#include "optim/schedule.h"
#include "train/resolution_schedule.h"
#include "train/step_settings.h"

namespace fastimg::train {

enum class Precision { kFp32, kBf16, kFp16 };  // fp16: with dynamic loss scaling
inline constexpr std::pair<const char*, Precision> kPrecisionNames[] = {
    {"fp32", Precision::kFp32}, {"bf16", Precision::kBf16}, {"fp16", Precision::kFp16}};

enum class DeviceChoice { kAuto, kCpu, kCuda };
inline constexpr std::pair<const char*, DeviceChoice> kDeviceNames[] = {
    {"auto", DeviceChoice::kAuto}, {"cpu", DeviceChoice::kCpu}, {"cuda", DeviceChoice::kCuda}};

// BatchNorm statistics recomputed on training samples before evaluating: never, before the last
// evaluation, or before each one (schedule-free needs it).
enum class BnRecalibration { kOff, kFinal, kEvery };
inline constexpr std::pair<const char*, BnRecalibration> kBnRecalibrationNames[] = {
    {"off", BnRecalibration::kOff}, {"final", BnRecalibration::kFinal}, {"every", BnRecalibration::kEvery}};

inline constexpr std::pair<const char*, augment::CenterCropMode> kCenterCropModeNames[] = {
    {"crop_then_resize", augment::CenterCropMode::kCropThenResize},
    {"resize_then_crop", augment::CenterCropMode::kResizeThenCrop}};

struct DataSettings {
  // The training loader: path, threads, order, batch_size, batches_ahead, strict are settings; the
  // rest (transforms, resolution, seed, rank) the trainer fills in.
  loader::LoaderOptions train;
  std::string val_path;
  int val_batch_size = 256;
  // > 0: the batch over all processes; each takes global_batch_size / world size (which must
  // divide), so a run can resume on another number of processes with the same sample stream.
  int64_t global_batch_size = 0;
};

struct ModelSettings {
  std::string arch = "resnet18";
  models::ModelOptions options{.num_classes = 0};  // 0: max label of the training file + 1
  bool sync_bn = false;
};

struct RunSettings {  // [train]
  ResolutionSchedule resolution;
  Precision precision = Precision::kFp32;
  bool channels_last = false;
  DeviceChoice device = DeviceChoice::kAuto;
  bool cuda_graphs = false;
  uint64_t seed = 0;
  int64_t max_steps_per_epoch = 0;  // 0 = the whole epoch (tests and demos cap it)
  int64_t stop_after_epochs = 0;    // end this invocation after N epochs (resumable); 0 = run to the end
  int64_t log_every = 50;
};

struct ValidationSettings {
  int res = 256;
  bool tta_flip = false;
  int64_t eval_every = 1;
  BnRecalibration bn_recalibration = BnRecalibration::kOff;
  int64_t bn_recalibration_samples = 102400;
  augment::ValAugmentation augment;
};

// output.resume: false, true (run_dir/last.pt if present) or "auto" (the newest readable of
// last.pt and the periodic checkpoints; a damaged one is skipped with a warning).
enum class ResumeMode { kOff, kLast, kAuto };
inline constexpr std::pair<const char*, ResumeMode> kResumeNames[] = {
    {"false", ResumeMode::kOff}, {"true", ResumeMode::kLast}, {"auto", ResumeMode::kAuto}};

struct OutputSettings {
  std::string run_dir = "runs/default";
  bool progress = true;
  ResumeMode resume = ResumeMode::kOff;
  // Mid-epoch checkpoints (run_dir/checkpoints/), every N optimizer steps and/or minutes; 0 = off.
  int64_t checkpoint_every_steps = 0;
  double checkpoint_every_minutes = 0;
  int64_t keep_checkpoints = 3;  // newest periodic checkpoints kept (last.pt and best.pt always)
};

struct TrainConfig {
  DataSettings data;
  augment::TrainAugmentation augment;
  ModelSettings model;
  optim::OptimizerOptions optimizer;
  StepSettings step;
  optim::ScheduleOptions schedule;  // schedule.epochs is the key train.epochs
  RunSettings train;
  ValidationSettings validation;
  OutputSettings output;

  int64_t epochs() const { return schedule.epochs; }
};

// Reads the TOML (or FFCV YAML) file (may be empty = all defaults), applies "key=value" overrides,
// then checks the settings against each other. Every error names the key and where it came from.
// A train config of the reproduction project (a TOML file with its top-level keys: batch_size,
// arch, [optim], ...) is read together with its data config `data_config` (rr_toml_config.h);
// `data_config` is for that pair only.
TrainConfig load_config(const std::string& path, const std::vector<std::string>& overrides,
                        const std::string& data_config = "");
// Parses TOML text (e.g. the config stored in a checkpoint); `origin` names it in errors.
TrainConfig parse_config_text(const std::string& toml_text, const std::string& origin);
// Applies one "key=value" override; `origin` names where it came from for errors.
void apply_override(TrainConfig& config, const std::string& assignment, const std::string& origin);
// Checks that need several settings (min_res <= max_res, the schedule against train.epochs, ...).
void validate_config(const TrainConfig& config, const std::string& origin);
// The resolved configuration as TOML (saved in the run directory; loadable by load_config).
std::string to_toml(const TrainConfig& config);

}  // namespace fastimg::train
