#include "train/epoch_end.h"

#include <cstdio>
#include <filesystem>

#include "dist/gradient_reducer.h"
#include "loader/device_stage.h"
#include "optim/bn_recalibration.h"
#include "train/autocast.h"
#include "train/checkpoint.h"
#include "train/sharded_eval.h"

namespace fastimg::train {
namespace {

// Loader epochs used for BatchNorm recalibration passes: far from any training epoch, so that the
// training batches are unchanged.
constexpr int64_t kRecalibrationEpochBase = int64_t{1} << 40;

bool recalibrates_after(const Training& t, int64_t epoch) {
  const BnRecalibration when = t.config.validation.bn_recalibration;
  return when == BnRecalibration::kEvery || (when == BnRecalibration::kFinal && epoch + 1 == t.config.epochs());
}

// BatchNorm statistics for the weights being evaluated, from training images.
void recalibrate_batchnorm(Training& t, int64_t epoch) {
  t.data.start_epoch(kRecalibrationEpochBase + epoch);
  auto forward_batch = [&]() -> int64_t {
    auto batch = t.data.next();
    if (!batch) return 0;
    const torch::Tensor x = t.stage.stage(*batch).input;
    AutocastScope autocast(t.run.device.type(), t.run.autocast_dtype);
    t.model.forward(x);
    return x.size(0);
  };
  optim::BnRecalibrationOptions options;
  options.num_samples = t.config.validation.bn_recalibration_samples / t.run.world_size();
  if (t.run.world_size() > 1)
    options.average_across_ranks = [&](torch::Tensor& x) { t.run.pg->all_reduce_(x, dist::ReduceOp::kAvg); };
  optim::recalibrate_batchnorm(t.model, forward_batch, options);
}

}  // namespace

bool evaluates_after(const Training& t, int64_t epoch) {
  const int64_t every = t.config.validation.eval_every;
  return t.val && (epoch + 1 == t.config.epochs() || (every > 0 && (epoch + 1) % every == 0));
}

EvalResult evaluate_after_epoch(Training& t, int64_t epoch, double train_loss) {
  t.optimizer.eval();  // schedule-free: evaluate at x, not y
  if (recalibrates_after(t, epoch)) recalibrate_batchnorm(t, epoch);
  if (t.run.world_size() > 1) dist::average_buffers(t.model, *t.run.pg);  // one model, one set of BN statistics
  EvalResult result = evaluate(t.model, *t.val, epoch, eval_options(t.config, t.run, *t.val));
  combine_across_ranks(result, *t.run.pg);
  t.metrics.eval(result, epoch, t.global_step, seconds_since(t.start));
  if (t.run.main_rank())
    std::fprintf(stderr, "epoch %lld: train loss %.4f, val top-1 %.2f%% top-5 %.2f%% (%lld images)\n",
                 static_cast<long long>(epoch + 1), train_loss, 100 * result.top1, 100 * result.top5,
                 static_cast<long long>(result.samples));
  if (result.top1 > t.best_top1) {
    t.best_top1 = result.top1;
    if (t.run.main_rank())
      save_checkpoint((std::filesystem::path(t.config.output.run_dir) / "best.pt").string(), t.model, &t.optimizer,
                      {epoch, t.resolved_toml, 0, t.best_top1, {}, global_batch(t)}, t.scaler);
  }
  t.optimizer.train();
  return result;
}

void save_epoch_checkpoint(Training& t, int64_t epoch) {
  if (t.run.world_size() > 1) dist::average_buffers(t.model, *t.run.pg);
  if (t.run.main_rank())
    save_checkpoint(t.checkpoint_path, t.model, &t.optimizer, {epoch, t.resolved_toml, 0, t.best_top1, {}, global_batch(t)}, t.scaler);
}

}  // namespace fastimg::train
