#include "train/trainer.h"

#include <cstdio>
#include <filesystem>
#include <optional>

#include "dist/gradient_reducer.h"
#include "models/sync_batch_norm.h"
#include "train/checkpoint.h"
#include "train/checkpoint_store.h"
#include "train/epoch_end.h"
#include "train/epoch_loop.h"
#include "train/run_report.h"
#include "train/training.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/named_enum.h"

namespace fastimg::train {
namespace fs = std::filesystem;
namespace {

struct ResumePoint {
  int64_t epoch = 0;  // first epoch to run
  int64_t batch = 0;  // >0: that epoch was interrupted after this many loader batches
  double best_top1 = -1;
  bool resumed = false;
  torch::Tensor rng_state;  // mid-epoch: the device generator at that point
};

// A checkpoint's position counts global batches; it carries over to another number of processes
// only with the same global batch.
ResumePoint loaded(const std::string& path, models::ClassifierImpl& model, optim::Optimizer& optimizer,
                   DynamicLossScaler* scaler, int64_t global_batch) {
  const CheckpointInfo recorded = read_checkpoint_info(path);
  if (recorded.global_batch > 0 && recorded.global_batch != global_batch)
    fail("{}: written with a global batch of {}, this run's is {} (data.batch_size x processes); set "
         "data.global_batch_size = {} to resume on this number of processes",
         path, recorded.global_batch, global_batch, recorded.global_batch);
  const CheckpointInfo info = load_checkpoint(path, model, &optimizer, scaler);
  return {info.epoch + 1, info.next_step, info.best_top1, true, info.rng_state};
}

// output.resume: last.pt (true), or the newest readable checkpoint (auto): a file that cannot be
// read as a checkpoint (truncated, corrupted) is skipped with a warning; one that reads but does
// not fit this model is an error, as is any problem with last.pt under `true`.
ResumePoint resume_point(const TrainConfig& config, const std::string& checkpoint_path, models::ClassifierImpl& model,
                         optim::Optimizer& optimizer, DynamicLossScaler* scaler, bool main_rank, int64_t global_batch) {
  switch (config.output.resume) {
    case ResumeMode::kOff:
      return {};
    case ResumeMode::kLast:
      if (!fs::exists(checkpoint_path)) return {};
      return loaded(checkpoint_path, model, optimizer, scaler, global_batch);
    case ResumeMode::kAuto:
      break;
  }
  std::string chosen;
  for (const std::string& path : resume_candidates(config.output.run_dir)) {
    try {
      read_checkpoint_info(path);
      if (chosen.empty()) chosen = path;
    } catch (const Error& e) {
      if (main_rank) std::fprintf(stderr, "fastimg train: warning: skipping damaged checkpoint %s\n", e.what());
    }
  }
  if (chosen.empty()) return {};
  if (main_rank) std::fprintf(stderr, "fastimg train: resuming from %s\n", chosen.c_str());
  return loaded(chosen, model, optimizer, scaler, global_batch);
}

nlohmann::json summary_of(const Training& t, const TrainResult& r) {
  nlohmann::json s = {{"type", "summary"},
                      {"arch", t.config.model.arch},
                      {"epochs", t.config.epochs()},
                      {"steps", r.steps},
                      {"train_images_per_s", r.train_images_per_s},
                      {"skipped_samples", t.data.skipped_samples() + (t.val ? t.val->skipped_samples() : 0)},
                      {"seconds", r.seconds},
                      {"device", t.run.device.str()},
                      {"world_size", t.run.world_size()}};
  if (r.evaluated) {
    s["top1"] = r.final_eval.top1;
    s["top5"] = r.final_eval.top5;
    s["val_loss"] = r.final_eval.loss;
  }
  return s;
}

TrainResult run_epochs(Training& t, const ResumePoint& from) {
  TrainResult result;
  double images = 0, seconds = 0;
  int64_t first_batch = from.batch;
  for (int64_t epoch = from.epoch; epoch < t.config.epochs(); ++epoch, first_batch = 0) {
    const EpochResult e = train_epoch(t, epoch, first_batch);
    images += static_cast<double>(e.images);
    seconds += e.seconds;
    result.epoch_train_loss.push_back(e.mean_loss);
    if (evaluates_after(t, epoch)) {
      result.final_eval = evaluate_after_epoch(t, epoch, e.mean_loss);
      result.evaluated = true;
    }
    save_epoch_checkpoint(t, epoch);
    const int64_t stop_after = t.config.train.stop_after_epochs;
    if (stop_after > 0 && epoch + 1 - from.epoch >= stop_after) break;
  }
  result.steps = t.global_step;
  result.seconds = seconds_since(t.start);
  result.train_images_per_s = seconds > 0 ? images / seconds : 0;
  result.summary = summary_of(t, result);
  t.metrics.summary(result.summary);
  if (t.run.main_rank())
    write_file_atomically((fs::path(t.config.output.run_dir) / "summary.json").string(), result.summary.dump(2) + "\n");
  return result;
}

TrainStepOptions step_options(const TrainConfig& config, const RunContext& run) {
  TrainStepOptions o;
  static_cast<StepSettings&>(o) = config.step;
  o.device_type = run.device.type();
  o.autocast_dtype = run.autocast_dtype;
  o.cuda_graphs = config.train.cuda_graphs;
  return o;
}

TrainResult train(const TrainConfig& config, RunContext& run) {
  loader::Loader data(train_loader_options(config, run));
  std::unique_ptr<loader::Loader> val;
  if (!config.data.val_path.empty())
    val = std::make_unique<loader::Loader>(val_loader_options(config, run, config.data.val_path));
  TrainConfig resolved = config;  // num_classes filled in: `fastimg eval` rebuilds the model from it
  resolved.model.options.num_classes = checked_num_classes(config, &data, val.get());
  auto model = build_model(config, resolved.model.options.num_classes, run);
  auto optimizer = optim::make_optimizer(config.optimizer, *model);
  std::unique_ptr<DynamicLossScaler> scaler;
  if (config.train.precision == Precision::kFp16) scaler = std::make_unique<DynamicLossScaler>(run.device);
  const std::string checkpoint_path = (fs::path(config.output.run_dir) / "last.pt").string();
  const std::string resolved_toml = to_toml(resolved);
  const ResumePoint from = resume_point(config, checkpoint_path, *model, *optimizer, scaler.get(), run.main_rank(),
                                        static_cast<int64_t>(data.options().batch_size) * run.world_size());
  std::unique_ptr<dist::GradientReducer> reducer;
  std::optional<models::ScopedBatchNormAllReduce> sync_bn;  // model.sync_bn: BN statistics over all ranks
  if (run.world_size() > 1) {
    dist::broadcast_parameters(*model, *run.pg);  // every rank starts from rank 0's weights
    reducer = std::make_unique<dist::GradientReducer>(*model, *run.pg);
    if (config.model.sync_bn) sync_bn.emplace([&run](torch::Tensor& x) { run.pg->all_reduce_(x, dist::ReduceOp::kSum); });
  }
  TrainStep step(*model, *optimizer, step_options(config, run), reducer.get(), scaler.get());
  RunMetrics metrics(config.output.run_dir, run.main_rank(), /*append=*/from.resumed);
  std::shared_ptr<loader::DeviceJpegDecoder> jpeg;
  if (data.options().decode == loader::DecodeBackend::kDevice) jpeg = loader::make_nvjpeg_decoder(run.device);
  loader::DeviceStage stage(run.device, config.train.channels_last, torch::kFloat, jpeg);
  Training t{config, run, data, stage, val.get(), *model, *optimizer, step, scaler.get(), metrics, checkpoint_path, resolved_toml, Clock::now(), 0, -1, {}, Clock::now()};
  t.best_top1 = from.best_top1;
  t.resume_rng_state = from.rng_state;
  if (run.main_rank()) write_file_atomically((fs::path(config.output.run_dir) / "config.toml").string(), resolved_toml);
  return run_epochs(t, from);
}

}  // namespace

TrainResult run_training(const TrainConfig& config) {
  if (config.data.train.path.empty())
    fail("config: data.train is not set (a .beton file, an ImageFolder directory or WebDataset .tar shards)");
  validate_config(config, "config");
  fs::create_directories(config.output.run_dir);
  RunContext run = start_run(config);
  check_gpu_features(config, run.device, run.world_size());
  if (run.main_rank())
    std::fprintf(stderr, "%s\n", start_line(config, run.device, run.world_size(), loader_threads(config, run.env)).c_str());
  // SIGINT/SIGTERM: finish the current step, write a resumable checkpoint, exit with an error.
  GracefulInterrupts graceful;
  try {
    TrainResult result = train(config, run);
    run.pg->shutdown();
    return result;
  } catch (const std::exception& e) {
    // The other ranks' next collective fails with this message instead of a bare timeout.
    run.pg->publish_failure(e.what());
    throw;
  }
}

}  // namespace fastimg::train
