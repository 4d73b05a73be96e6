#include "train/run_metrics.h"

#include <fmt/format.h>

#include <filesystem>

namespace fastimg::train {

RunMetrics::RunMetrics(const std::string& run_dir, bool main_rank, bool append) {
  if (!main_rank) return;
  jsonl_ = std::make_unique<MetricsSink>((std::filesystem::path(run_dir) / "metrics.jsonl").string(), append);
  tensorboard_ = std::make_unique<TensorBoardWriter>(run_dir);
}

void RunMetrics::train(const TrainLog& log, Progress& progress) {
  const double images_per_s = log.images_per_s();
  progress.set_postfix(fmt::format("loss {:.4f} lr {:.4g} res {}", log.loss, log.lr, log.resolution));
  if (!jsonl_) return;
  jsonl_->write({{"type", "train"}, {"epoch", log.epoch}, {"step", log.step}, {"global_step", log.global_step},
                 {"loss", log.loss}, {"lr", log.lr}, {"resolution", log.resolution},
                 {"skipped_steps", log.skipped_steps}, {"data_wait_fraction", log.data_wait_fraction},
                 {"loss_scale", log.loss_scale}, {"images_per_s", images_per_s}, {"time", log.time}});
  tensorboard_->add_scalar("train/loss", log.loss, log.global_step);
  tensorboard_->add_scalar("train/lr", log.lr, log.global_step);
  tensorboard_->add_scalar("train/images_per_s", images_per_s, log.global_step);
  tensorboard_->flush();
}

void RunMetrics::eval(const EvalResult& r, int64_t epoch, int64_t global_step, double time) {
  if (!jsonl_) return;
  jsonl_->write({{"type", "eval"}, {"epoch", epoch}, {"global_step", global_step}, {"top1", r.top1}, {"top5", r.top5},
                 {"loss", r.loss}, {"samples", r.samples}, {"eval_seconds", r.seconds}, {"time", time}});
  tensorboard_->add_scalar("val/top1", r.top1, global_step);
  tensorboard_->add_scalar("val/top5", r.top5, global_step);
  tensorboard_->add_scalar("val/loss", r.loss, global_step);
  tensorboard_->flush();
}

void RunMetrics::checkpoint(const std::string& path, int64_t epoch, int64_t step, double write_seconds,
                            double others_wait_seconds, double time) {
  if (!jsonl_) return;
  jsonl_->write({{"type", "checkpoint"}, {"path", path}, {"epoch", epoch}, {"step", step},
                 {"write_seconds", write_seconds}, {"others_wait_seconds", others_wait_seconds}, {"time", time}});
}

void RunMetrics::summary(const nlohmann::json& summary) {
  if (jsonl_) jsonl_->write(summary);
}

}  // namespace fastimg::train
