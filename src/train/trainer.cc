#include "train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <optional>

#include "dist/env.h"
#include "dist/gradient_reducer.h"
#include "dist/process_group.h"
#include "loader/device_stage.h"
#include "loader/loader.h"
#include "models/registry.h"
#include "models/sync_batch_norm.h"
#include "optim/bn_recalibration.h"
#include "optim/optimizer.h"
#include "optim/schedule.h"
#include "train/autocast.h"
#include "train/checkpoint.h"
#include "train/loss_scaler.h"
#include "train/metrics.h"
#include "train/resolution_schedule.h"
#include "train/sharded_eval.h"
#include "train/tensorboard.h"
#include "train/train_step.h"
#include "util/atomic_file.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/progress.h"
#include "util/rng.h"

namespace fastimg::train {
namespace {

using Clock = std::chrono::steady_clock;
// Loader epochs used for BatchNorm recalibration passes: far from any training epoch.
constexpr int64_t kRecalibrationEpochBase = int64_t{1} << 40;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

loader::OrderKind parse_order(const std::string& name) {
  if (name == "sequential") return loader::OrderKind::kSequential;
  if (name == "random") return loader::OrderKind::kRandom;
  if (name == "quasi_random" || name == "quasi-random") return loader::OrderKind::kQuasiRandom;
  fail("config: data.order must be sequential, random or quasi_random, not '{}'", name);
}

torch::ScalarType parse_precision(const std::string& name) {
  if (name == "fp32") return torch::kFloat;
  if (name == "bf16") return torch::kBFloat16;
  if (name == "fp16") return torch::kHalf;  // with dynamic loss scaling
  fail("config: train.precision must be fp32, bf16 or fp16, not '{}'", name);
}

torch::Device pick_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name == "cuda") {
    if (!torch::cuda::is_available()) fail("config: train.device is 'cuda' but no CUDA device is available");
    return torch::kCUDA;
  }
  if (name == "auto") return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  fail("config: train.device must be auto, cpu or cuda, not '{}'", name);
}

optim::OptimizerOptions optimizer_options(const TrainConfig& c) {
  optim::OptimizerOptions o;
  o.name = c.optimizer;
  o.lr = c.lr;
  o.momentum = c.momentum;
  o.nesterov = c.nesterov;
  o.weight_decay = c.weight_decay;
  o.decay_bn_and_bias = c.decay_bn_and_bias;
  o.beta1 = c.beta1;
  o.beta2 = c.beta2;
  o.eps = c.eps;
  o.warmup_steps = c.sf_warmup_steps;
  o.r = c.sf_r;
  o.weight_lr_power = c.sf_weight_lr_power;
  o.rho = c.sam_rho;
  o.sam_adaptive = c.sam_adaptive;
  o.sam_base = c.sam_base;
  o.no_decay_rule = c.no_decay_rule;
  return o;
}

optim::ScheduleOptions schedule_options(const TrainConfig& c) {
  optim::ScheduleOptions s;
  s.name = c.schedule;
  s.lr = c.lr;
  s.epochs = c.epochs;
  s.lr_peak_epoch = c.lr_peak_epoch;
  s.initial_fraction = c.initial_fraction;
  s.milestones = c.milestones;
  s.step_size = c.step_size;
  s.gamma = c.gamma;
  s.warmup_epochs = c.warmup_epochs;
  s.warmup_start_fraction = c.warmup_start_fraction;
  s.min_lr = c.min_lr;
  return s;
}

void validate(const TrainConfig& c) {
  if (c.train_path.empty()) fail("config: data.train is not set (a .beton file, an ImageFolder directory or WebDataset .tar shards)");
  if (c.epochs <= 0) fail("config: train.epochs must be positive");
  if (c.batch_size <= 0 || c.val_batch_size <= 0) fail("config: batch sizes must be positive");
  if (c.grad_accumulation < 1) fail("config: optimizer.grad_accumulation must be at least 1, not {}", c.grad_accumulation);
  if (c.min_res <= 0 || c.max_res < c.min_res) fail("config: need 0 < train.min_res <= train.max_res");
  if (c.bn_recalibration != "off" && c.bn_recalibration != "final" && c.bn_recalibration != "every")
    fail("config: validation.bn_recalibration must be off, final or every, not '{}'", c.bn_recalibration);
  optim::validate(schedule_options(c));
}

}  // namespace

TrainResult run_training(const TrainConfig& config) {
  validate(config);
  auto start = Clock::now();
  namespace fs = std::filesystem;
  fs::create_directories(config.run_dir);
  const std::string checkpoint_path = (fs::path(config.run_dir) / "last.pt").string();
  // torchrun / SLURM decide the rank; without a launcher this is a world of one (no network).
  const dist::DistEnv env = dist::detect_env();
  torch::Device device = pick_device(config.device);
  if (device.is_cuda()) device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
  dist::ProcessGroupOptions pg_options;
  pg_options.backend = device.is_cuda() ? dist::Backend::kNccl : dist::Backend::kGloo;
  dist::ProcessGroup pg(env, pg_options);
  const bool main_rank = pg.is_main();
  // SIGINT/SIGTERM: finish the current step, write a resumable checkpoint, exit with an error.
  GracefulInterrupts graceful;
  try {
  const torch::ScalarType amp_dtype = parse_precision(config.precision);

  loader::LoaderOptions train_opts;
  train_opts.path = config.train_path;
  train_opts.batch_size = static_cast<int>(config.batch_size);
  train_opts.threads = static_cast<int>(config.threads);
  train_opts.order = parse_order(config.order);
  train_opts.pipeline = loader::Pipeline::kTrain;
  train_opts.resolution = static_cast<int>(config.min_res);
  train_opts.seed = config.seed;
  train_opts.drop_last = true;
  train_opts.batches_ahead = static_cast<int>(config.batches_ahead);
  train_opts.pin_memory = device.is_cuda();
  train_opts.rank = pg.rank();
  train_opts.world_size = pg.world_size();
  train_opts.strict = config.strict_data;
  train_opts.list_cache_dir = config.run_dir;  // an ImageFolder is listed once per run, not per restart
  loader::Loader train_data(train_opts);
  if (train_data.batches_per_epoch() == 0)
    fail("{}: {} samples are fewer than one batch of {}", config.train_path, train_data.num_samples(), config.batch_size);

  std::unique_ptr<loader::Loader> val_data;
  if (!config.val_path.empty()) {
    loader::LoaderOptions val_opts = train_opts;
    val_opts.path = config.val_path;
    val_opts.batch_size = static_cast<int>(config.val_batch_size);
    val_opts.order = loader::OrderKind::kSequential;
    val_opts.pipeline = loader::Pipeline::kVal;
    val_opts.resolution = static_cast<int>(config.val_res);
    val_opts.drop_last = false;
    val_data = std::make_unique<loader::Loader>(val_opts);
  }
  const int64_t val_samples_here = val_data ? shard_samples(val_data->num_samples(), pg.rank(), pg.world_size()) : 0;

  models::ModelOptions model_opts;
  model_opts.num_classes = config.num_classes > 0 ? config.num_classes : train_data.num_classes();
  model_opts.blurpool = config.blurpool;
  model_opts.zero_init_residual = config.zero_init_residual;
  torch::manual_seed(derive_seed(config.seed, 0x6d6f64656cULL));  // same init for the same seed
  auto model = models::make_model(config.arch, model_opts);
  model->to(device);
  // NHWC weights let cuDNN/oneDNN pick their fastest conv kernels; inputs follow in the device stage.
  if (config.channels_last) models::to_channels_last(*model);
  auto optimizer = optim::make_optimizer(optimizer_options(config), *model);
  std::unique_ptr<dist::GradientReducer> reducer;
  std::unique_ptr<DynamicLossScaler> scaler;
  if (amp_dtype == torch::kHalf) scaler = std::make_unique<DynamicLossScaler>();
  const auto schedule = schedule_options(config);

  int64_t first_epoch = 0, skip_steps = 0;
  double best_top1 = -1;
  bool resumed = false;
  if (config.resume && fs::exists(checkpoint_path)) {
    auto info = load_checkpoint(checkpoint_path, *model, optimizer.get(), scaler.get());
    first_epoch = info.epoch + 1;
    skip_steps = info.next_step;  // interrupted mid-epoch: replay the order up to there
    best_top1 = info.best_top1;
    resumed = true;
  }
  if (pg.world_size() > 1) {
    dist::broadcast_parameters(*model, pg);  // every rank starts from rank 0's weights
    reducer = std::make_unique<dist::GradientReducer>(*model, pg);
  }
  // model.sync_bn: training-mode BatchNorm statistics over all ranks' batches, for this run only.
  std::optional<models::ScopedBatchNormAllReduce> sync_bn;
  if (config.sync_bn && pg.world_size() > 1)
    sync_bn.emplace([&pg](torch::Tensor& t) { pg.all_reduce_(t, dist::ReduceOp::kSum); });
  TrainStepOptions step_opts;
  step_opts.device_type = device.type();
  step_opts.autocast_dtype = amp_dtype;
  step_opts.label_smoothing = config.label_smoothing;
  step_opts.grad_clip = config.grad_clip;
  TrainStep train_step(*model, *optimizer, step_opts, reducer.get(), scaler.get());

  // The resolved config (num_classes filled in) goes into the run directory and every checkpoint,
  // so that `fastimg eval` can rebuild the model from a checkpoint alone.
  TrainConfig resolved = config;
  resolved.num_classes = model_opts.num_classes;
  const std::string resolved_toml = to_toml(resolved);
  std::unique_ptr<MetricsSink> metrics;
  std::unique_ptr<TensorBoardWriter> tensorboard;
  if (main_rank) {
    write_file_atomically((fs::path(config.run_dir) / "config.toml").string(), resolved_toml);
    metrics = std::make_unique<MetricsSink>((fs::path(config.run_dir) / "metrics.jsonl").string(), /*append=*/resumed);
    tensorboard = std::make_unique<TensorBoardWriter>(config.run_dir);
  }
  auto write_metrics = [&](const nlohmann::json& record) {
    if (metrics) metrics->write(record);
  };
  auto add_scalar = [&](const std::string& tag, double value, int64_t step) {
    if (tensorboard) tensorboard->add_scalar(tag, value, step);
  };

  EvalOptions eval_opts;
  eval_opts.device = device;
  eval_opts.channels_last = config.channels_last;
  eval_opts.tta_flip = config.tta_flip;
  eval_opts.autocast_dtype = amp_dtype;
  eval_opts.max_samples = val_samples_here;

  TrainResult result;
  int64_t steps_per_epoch = train_data.batches_per_epoch();
  if (config.max_steps_per_epoch > 0) steps_per_epoch = std::min(steps_per_epoch, config.max_steps_per_epoch);
  double train_images = 0, train_seconds = 0;

  for (int64_t epoch = first_epoch; epoch < config.epochs; ++epoch) {
    auto epoch_start = Clock::now();
    const int64_t res = resolution_at_epoch(epoch, config.min_res, config.max_res, config.start_ramp,
                                            config.end_ramp, config.res_multiple);
    train_data.set_resolution(static_cast<int>(res));
    train_data.start_epoch(epoch);
    // Dropout and any other torch randomness are a function of (seed, epoch): exact resume.
    torch::manual_seed(derive_seed(config.seed, 0x65706f6368ULL, static_cast<uint64_t>(epoch)));
    model->train();
    optimizer->train();

    Progress progress(fmt::format("epoch {}/{}", epoch + 1, config.epochs),
                      static_cast<uint64_t>(steps_per_epoch * config.batch_size * pg.world_size()), "img",
                      config.progress && main_rank);
    double loss_sum = 0, window_loss = 0;
    int64_t step = 0, window_steps = 0;
    // Resuming an interrupted epoch: the order is a function of (seed, epoch), so skipping the
    // batches already trained on continues exactly where the run stopped.
    for (; skip_steps > 0 && step < skip_steps; ++step)
      if (!train_data.next()) break;
    skip_steps = 0;
    double window_wait = 0;  // seconds spent waiting for the loader in this log window
    auto window_start = Clock::now();
    std::vector<MicroBatch> micro_batches;
    int64_t updates = 0;  // optimizer steps in this epoch
    while (step < steps_per_epoch) {
      // One optimizer step takes grad_accumulation loader batches (fewer at the end of the epoch).
      micro_batches.clear();
      const int64_t first_batch = step;
      while (static_cast<int64_t>(micro_batches.size()) < config.grad_accumulation && step < steps_per_epoch) {
        auto wait_start = Clock::now();
        auto batch = train_data.next();
        window_wait += seconds_since(wait_start);
        if (!batch) break;
        // Labels still in the loader's memory (CPU) are copied: it reuses a batch once the next is taken.
        torch::Tensor labels = batch->labels.to(device, /*non_blocking=*/true);
        if (labels.is_same(batch->labels)) labels = labels.clone();
        micro_batches.push_back(
            {loader::to_model_input(batch->images, device, config.channels_last, torch::kFloat), std::move(labels)});
        ++step;
      }
      if (micro_batches.empty()) break;
      const double lr = optim::scheduled_lr(schedule, epoch + static_cast<double>(first_batch) / steps_per_epoch);
      optimizer->set_lr(lr);
      const StepOutcome outcome = train_step.run(micro_batches);
      const double loss = outcome.loss;
      int64_t step_images = 0;
      for (const auto& mb : micro_batches) step_images += mb.target.size(0);
      if (!std::isfinite(loss) && !scaler)
        fail("training diverged: loss is {} at epoch {} step {} (lr {}); {} holds the last good epoch", loss, epoch,
             step, lr, checkpoint_path);
      if (std::isfinite(loss)) {
        loss_sum += loss;
        window_loss += loss;
        ++window_steps;
      }
      ++updates;
      ++result.steps;
      progress.advance(static_cast<uint64_t>(step_images * pg.world_size()));
      // Ranks agree on stopping (a signal may reach only some of them): one tiny all-reduce per step.
      bool stop = interrupt_requested();
      if (pg.world_size() > 1) stop = pg.all_reduce_sum(stop ? 1.0 : 0.0) > 0;
      if (stop && step < steps_per_epoch) {
        if (pg.world_size() > 1) dist::average_buffers(*model, pg);
        if (main_rank)
          save_checkpoint(checkpoint_path, *model, optimizer.get(), {epoch - 1, resolved_toml, step, best_top1},
                          scaler.get());
        pg.barrier();
        fail("interrupted (signal {}) at epoch {} step {}: {} saved; continue with --set output.resume=true",
             interrupt_signal(), epoch + 1, step, checkpoint_path);
      }
      if (updates % std::max<int64_t>(1, config.log_every) == 0 || step == steps_per_epoch) {
        double mean_loss = window_steps > 0 ? window_loss / window_steps : NAN;
        if (pg.world_size() > 1) mean_loss = pg.all_reduce_sum(mean_loss) / pg.world_size();
        progress.set_postfix(fmt::format("loss {:.4f} lr {:.4g} res {}", mean_loss, lr, res));
        write_metrics({{"type", "train"}, {"epoch", epoch}, {"step", step}, {"global_step", result.steps},
                       {"loss", mean_loss}, {"lr", lr}, {"resolution", res},
                       {"skipped_steps", scaler ? scaler->skipped_steps() : 0},
                       {"data_wait_fraction", window_wait / std::max(1e-9, seconds_since(window_start))},
                       {"loss_scale", scaler ? scaler->scale() : 1.0},
                       {"images_per_s", step * config.batch_size * pg.world_size() / seconds_since(epoch_start)},
                       {"time", seconds_since(start)}});
        add_scalar("train/loss", mean_loss, result.steps);
        add_scalar("train/lr", lr, result.steps);
        add_scalar("train/images_per_s", step * config.batch_size * pg.world_size() / seconds_since(epoch_start), result.steps);
        if (tensorboard) tensorboard->flush();
        window_loss = 0;
        window_steps = 0;
        window_wait = 0;
        window_start = Clock::now();
      }
    }
    progress.finish();
    const double epoch_seconds = seconds_since(epoch_start);
    train_images += static_cast<double>(step * config.batch_size * pg.world_size());
    train_seconds += epoch_seconds;
    result.epoch_train_loss.push_back(updates > 0 ? loss_sum / updates : 0.0);

    const bool last = epoch + 1 == config.epochs;
    if (val_data && (last || (config.eval_every > 0 && (epoch + 1) % config.eval_every == 0))) {
      optimizer->eval();  // schedule-free: evaluate at x, not y
      if (config.bn_recalibration == "every" || (config.bn_recalibration == "final" && last)) {
        // Statistics for the weights being evaluated, from training images (a separate epoch
        // stream of the training order so that the training batches are unchanged).
        train_data.start_epoch(kRecalibrationEpochBase + epoch);
        auto forward_batch = [&]() -> int64_t {
          auto batch = train_data.next();
          if (!batch) return 0;
          auto bx = loader::to_model_input(batch->images, device, config.channels_last, torch::kFloat);
          AutocastScope autocast(device.type(), amp_dtype);
          model->forward(bx);
          return bx.size(0);
        };
        optim::BnRecalibrationOptions recal;
        recal.num_samples = config.bn_recalibration_samples / pg.world_size();
        if (pg.world_size() > 1)
          recal.average_across_ranks = [&](torch::Tensor& t) { pg.all_reduce_(t, dist::ReduceOp::kAvg); };
        optim::recalibrate_batchnorm(*model, forward_batch, recal);
      }
      if (pg.world_size() > 1) dist::average_buffers(*model, pg);  // one model, one set of BN statistics
      auto eval = evaluate(*model, *val_data, epoch, eval_opts);
      combine_across_ranks(eval, pg);
      write_metrics({{"type", "eval"}, {"epoch", epoch}, {"global_step", result.steps}, {"top1", eval.top1}, {"top5", eval.top5},
                     {"loss", eval.loss}, {"samples", eval.samples}, {"eval_seconds", eval.seconds},
                     {"time", seconds_since(start)}});
      if (main_rank)
        std::fprintf(stderr, "epoch %lld: train loss %.4f, val top-1 %.2f%% top-5 %.2f%% (%lld images)\n",
                   static_cast<long long>(epoch + 1), result.epoch_train_loss.back(), 100 * eval.top1,
                   100 * eval.top5, static_cast<long long>(eval.samples));
      add_scalar("val/top1", eval.top1, result.steps);
      add_scalar("val/top5", eval.top5, result.steps);
      add_scalar("val/loss", eval.loss, result.steps);
      if (tensorboard) tensorboard->flush();
      result.final_eval = eval;
      if (eval.top1 > best_top1) {
        best_top1 = eval.top1;
        if (main_rank)
          save_checkpoint((fs::path(config.run_dir) / "best.pt").string(), *model, optimizer.get(),
                          {epoch, resolved_toml, 0, best_top1}, scaler.get());
      }
      optimizer->train();
    }
    if (pg.world_size() > 1) dist::average_buffers(*model, pg);
    if (main_rank) save_checkpoint(checkpoint_path, *model, optimizer.get(), {epoch, resolved_toml, 0, best_top1}, scaler.get());
    if (config.stop_after_epochs > 0 && epoch + 1 - first_epoch >= config.stop_after_epochs) break;
  }

  result.seconds = seconds_since(start);
  result.train_images_per_s = train_seconds > 0 ? train_images / train_seconds : 0;
  result.summary = {{"type", "summary"},
                    {"arch", config.arch},
                    {"epochs", config.epochs},
                    {"steps", result.steps},
                    {"top1", result.final_eval.top1},
                    {"top5", result.final_eval.top5},
                    {"val_loss", result.final_eval.loss},
                    {"train_images_per_s", result.train_images_per_s},
                    {"skipped_samples", train_data.skipped_samples() + (val_data ? val_data->skipped_samples() : 0)},
                    {"seconds", result.seconds},
                    {"device", device.str()},
                    {"world_size", pg.world_size()}};
  write_metrics(result.summary);
  if (main_rank)
    write_file_atomically((fs::path(config.run_dir) / "summary.json").string(), result.summary.dump(2) + "\n");
  pg.shutdown();
  return result;
  } catch (const std::exception& e) {
    // The other ranks' next collective fails with this message instead of a bare timeout.
    pg.publish_failure(e.what());
    throw;
  }
}

}  // namespace fastimg::train
