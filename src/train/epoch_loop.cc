#include "train/epoch_loop.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <mutex>
#include <vector>

#include "dist/gradient_reducer.h"
#include "loader/device_stage.h"
#include "optim/schedule.h"
#include "train/checkpoint.h"
#include "train/checkpoint_store.h"
#include "train/host_read.h"
#include "util/error.h"
#include "util/interrupt.h"
#include "util/rng.h"

namespace fastimg::train {
namespace {

// Losses (summed on the device, read only when logged: no host synchronisation per step) and
// loader waits since the last metrics record.
struct LogWindow {
  torch::Tensor loss_sum, finite_steps;
  int64_t steps = 0;
  double wait_seconds = 0;
  Clock::time_point start = Clock::now();
};

// Sums `loss` into `sum` and counts it in `finite` unless it is inf/nan (an fp16 step skipped).
void accumulate_loss(torch::Tensor& sum, torch::Tensor& finite, const torch::Tensor& loss) {
  const torch::Tensor ok = loss.isfinite();
  const torch::Tensor value = torch::where(ok, loss, torch::zeros_like(loss));
  sum = sum.defined() ? sum + value : value;
  finite = finite.defined() ? finite + ok.to(torch::kFloat) : ok.to(torch::kFloat);
}

// The next optimizer step's micro-batches (up to optimizer.grad_accumulation loader batches, fewer
// at the end of the epoch) on the device; empty when the epoch is over.
std::vector<MicroBatch> next_micro_batches(Training& t, int64_t& batch, int64_t end, LogWindow& window) {
  std::vector<MicroBatch> out;
  while (static_cast<int64_t>(out.size()) < t.config.step.grad_accumulation && batch < end) {
    const auto wait_start = Clock::now();
    auto b = t.data.next();
    window.wait_seconds += seconds_since(wait_start);
    if (!b) break;
    loader::DeviceBatch staged = t.stage.stage(*b);  // the slot is refilled only after its copies
    out.push_back({std::move(staged.input), std::move(staged.target)});
    ++batch;
  }
  return out;
}

// The training device's generator, saved in mid-epoch checkpoints (dropout continues exactly).
at::Generator device_generator(const Training& t) { return at::globalContext().defaultGenerator(t.run.device); }

// A resumable checkpoint after `batch` loader batches of `epoch`, written by rank 0 (atomically)
// while the others wait at the barrier: the stall is the save itself.
void save_mid_epoch(Training& t, const std::string& path, int64_t epoch, int64_t batch) {
  if (t.run.world_size() > 1) dist::average_buffers(t.model, *t.run.pg);
  const auto start = Clock::now();
  if (t.run.main_rank()) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    CheckpointInfo info{epoch - 1, t.resolved_toml, batch, t.best_top1, {}, global_batch(t)};
    {
      at::Generator gen = device_generator(t);
      std::lock_guard<std::mutex> lock(gen.mutex());
      info.rng_state = gen.get_state();
    }
    save_checkpoint(path, t.model, &t.optimizer, info, t.scaler);
  }
  const double write_seconds = seconds_since(start);
  t.run.pg->barrier();
  // The stall the save cost the other ranks: their mean wait at the barrier.
  double others_wait = 0;
  if (t.run.world_size() > 1)
    others_wait = t.run.pg->all_reduce_sum(t.run.main_rank() ? 0.0 : seconds_since(start)) / (t.run.world_size() - 1);
  t.metrics.checkpoint(path, epoch, batch, write_seconds, others_wait, seconds_since(t.start));
}

// Votes of one step's all-reduce: each rank's stop signal counts 1, rank 0's checkpoint clock
// counts kClockVote (more than any number of ranks), so one collective carries both.
constexpr double kClockVote = 1 << 20;

// After each step the ranks agree (a signal may reach only some of them; only rank 0's clock
// counts): on a stop, a resumable checkpoint and an error that says how to continue; on a due
// periodic checkpoint, one in run_dir/checkpoints/ (steps are counted within the epoch, so the
// same positions are saved however often the run was resumed).
void checkpoint_or_stop(Training& t, int64_t epoch, int64_t batch, int64_t end) {
  const OutputSettings& o = t.config.output;
  bool stop = interrupt_requested();
  bool timed = o.checkpoint_every_minutes > 0 && t.run.main_rank() &&
               seconds_since(t.last_checkpoint) >= o.checkpoint_every_minutes * 60;
  if (t.run.world_size() > 1) {
    const double votes = t.run.pg->all_reduce_sum((stop ? 1.0 : 0.0) + (timed ? kClockVote : 0.0));
    timed = votes >= kClockVote;
    stop = std::fmod(votes, kClockVote) > 0;
  }
  if (batch >= end) return;  // the epoch's own checkpoint follows
  if (stop) {
    save_mid_epoch(t, t.checkpoint_path, epoch, batch);
    fail("interrupted (signal {}) at epoch {} step {}: {} saved; continue with --set output.resume=true",
         interrupt_signal(), epoch + 1, batch, t.checkpoint_path);
  }
  const int64_t every = o.checkpoint_every_steps * t.config.step.grad_accumulation;
  if (timed || (every > 0 && batch % every == 0)) {
    save_mid_epoch(t, periodic_checkpoint_path(o.run_dir, epoch, batch), epoch, batch);
    if (t.run.main_rank()) prune_periodic_checkpoints(o.run_dir, o.keep_checkpoints);
    t.last_checkpoint = Clock::now();
  }
}

// One host read of the window's losses; a non-finite loss without fp16 loss scaling ends the run.
void write_log(Training& t, LogWindow& window, Progress& progress, TrainLog log) {
  const torch::Tensor host = read_to_host(torch::stack({window.loss_sum, window.finite_steps})).to(torch::kDouble);
  const double sum = host[0].item<double>(), finite = host[1].item<double>();
  if (!t.scaler && finite < static_cast<double>(window.steps))
    fail("training diverged: a loss was inf or nan in the {} steps up to epoch {} step {} (lr {}); {} holds the last "
         "good epoch",
         window.steps, log.epoch, log.step, log.lr, t.checkpoint_path);
  log.loss = finite > 0 ? sum / finite : NAN;
  if (t.run.world_size() > 1) log.loss = t.run.pg->all_reduce_sum(log.loss) / t.run.world_size();
  log.data_wait_fraction = window.wait_seconds / std::max(1e-9, seconds_since(window.start));
  log.loss_scale = t.scaler ? t.scaler->scale_value() : 1.0;
  log.skipped_steps = t.scaler ? t.scaler->skipped_steps() : 0;
  log.time = seconds_since(t.start);
  t.metrics.train(log, progress);
  window = LogWindow{};
}

}  // namespace

int64_t batches_per_epoch(const Training& t) {
  const int64_t n = t.data.batches_per_epoch(), cap = t.config.train.max_steps_per_epoch;
  return cap > 0 ? std::min(n, cap) : n;
}

EpochResult train_epoch(Training& t, int64_t epoch, int64_t first_batch) {
  const auto epoch_start = Clock::now();
  const TrainConfig& c = t.config;
  const int64_t end = batches_per_epoch(t), world = t.run.world_size();
  const int64_t res = c.train.resolution.at_epoch(epoch);
  t.data.set_resolution(static_cast<int>(res));
  // The order is a function of (seed, epoch): starting the loader at first_batch continues exactly
  // where an interrupted run stopped, without decoding the batches before it.
  t.data.start_epoch(epoch, first_batch);
  // Dropout and any other torch randomness are a function of (seed, epoch): exact resume.
  torch::manual_seed(derive_seed(c.train.seed, 0x65706f6368ULL, static_cast<uint64_t>(epoch)));
  if (first_batch > 0 && t.resume_rng_state.defined()) {
    at::Generator gen = device_generator(t);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(t.resume_rng_state);
  }
  t.resume_rng_state = torch::Tensor();
  t.model.train();
  t.optimizer.train();
  Progress progress(fmt::format("epoch {}/{}", epoch + 1, c.epochs()),
                    static_cast<uint64_t>(end * t.data.options().batch_size * world), "img",
                    c.output.progress && t.run.main_rank());
  int64_t batch = std::min(first_batch, end);
  EpochResult result;
  LogWindow window;
  int64_t updates = 0, images = 0;
  torch::Tensor epoch_loss_sum, epoch_finite_steps;
  while (batch < end) {
    const int64_t step_first_batch = batch;
    const std::vector<MicroBatch> micro_batches = next_micro_batches(t, batch, end, window);
    if (micro_batches.empty()) break;
    const double lr = optim::scheduled_lr(c.schedule, c.optimizer.lr, epoch + static_cast<double>(step_first_batch) / end);
    t.optimizer.set_lr(lr);
    const torch::Tensor loss = t.step.run(micro_batches).loss;
    accumulate_loss(window.loss_sum, window.finite_steps, loss);
    accumulate_loss(epoch_loss_sum, epoch_finite_steps, loss);
    ++window.steps;
    int64_t step_images = 0;
    for (const auto& mb : micro_batches) step_images += mb.target.size(0) * world;
    images += step_images;
    ++updates;
    ++t.global_step;
    progress.advance(static_cast<uint64_t>(step_images));
    checkpoint_or_stop(t, epoch, batch, end);
    if (updates % c.train.log_every == 0 || batch == end)
      write_log(t, window, progress, {.epoch = epoch, .step = batch, .global_step = t.global_step, .lr = lr,
                                      .resolution = res, .epoch_images = images,
                                      .epoch_seconds = seconds_since(epoch_start)});
  }
  progress.finish();
  result.mean_loss = updates > 0 ? read_to_host(epoch_loss_sum).item<double>() / static_cast<double>(updates) : 0.0;
  result.batches = batch;
  result.images = images;
  result.seconds = seconds_since(epoch_start);
  return result;
}

}  // namespace fastimg::train
