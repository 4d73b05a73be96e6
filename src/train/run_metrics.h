#pragma once
// One writer for everything a run reports: each record goes once to metrics.jsonl, to TensorBoard
// and (training records) to the progress line, with derived figures (images/s) computed once.
// Only the main rank writes files; every rank may call it.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "train/evaluate.h"
#include "train/metrics.h"
#include "train/tensorboard.h"
#include "util/progress.h"

namespace fastimg::train {

struct TrainLog {
  int64_t epoch = 0;
  int64_t step = 0;         // loader batches into the epoch
  int64_t global_step = 0;  // optimizer steps of the run
  double loss = 0;          // mean over the log window (all ranks)
  double lr = 0;
  int64_t resolution = 0;
  int64_t epoch_images = 0;  // images trained on so far in this epoch, all ranks
  double epoch_seconds = 0;
  double data_wait_fraction = 0;
  double loss_scale = 1;
  int64_t skipped_steps = 0;
  double time = 0;           // seconds since the run started

  double images_per_s() const { return epoch_seconds > 0 ? static_cast<double>(epoch_images) / epoch_seconds : 0; }
};

class RunMetrics {
 public:
  // append: keep metrics.jsonl's earlier lines (a resumed run).
  RunMetrics(const std::string& run_dir, bool main_rank, bool append);

  void train(const TrainLog& log, Progress& progress);
  void eval(const EvalResult& result, int64_t epoch, int64_t global_step, double time);
  void summary(const nlohmann::json& summary);
  // A mid-epoch checkpoint: rank 0's write time and how long the other ranks waited for it.
  void checkpoint(const std::string& path, int64_t epoch, int64_t step, double write_seconds, double others_wait_seconds,
                  double time);

 private:
  std::unique_ptr<MetricsSink> jsonl_;
  std::unique_ptr<TensorBoardWriter> tensorboard_;
};

}  // namespace fastimg::train
