#pragma once
// What `fastimg train` and `fastimg eval` set up the same way: the device and process group, the
// loaders and their checks against the model, and the model itself.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "dist/env.h"
#include "dist/process_group.h"
#include "loader/loader.h"
#include "models/classifier.h"
#include "train/config.h"
#include "train/evaluate.h"

namespace fastimg::train {

struct RunContext {
  dist::DistEnv env;  // torchrun / SLURM; without a launcher a world of one (no network)
  torch::Device device = torch::kCPU;
  std::unique_ptr<dist::ProcessGroup> pg;  // NCCL on GPUs, Gloo otherwise
  torch::ScalarType autocast_dtype = torch::kFloat;

  bool main_rank() const { return pg->is_main(); }
  int rank() const { return pg->rank(); }
  int world_size() const { return pg->world_size(); }
};

// The device for `choice`: on GPUs the one of index LOCAL_RANK % visible devices, so that one
// visible GPU per task (srun --gpus-per-task 1) and one node of eight both work.
torch::Device pick_device(DeviceChoice choice, int local_rank);
RunContext start_run(const TrainConfig& config);

// The batch of one process: data.global_batch_size / world size when set (a one-line error when it
// does not divide), else data.batch_size.
int per_process_batch(const TrainConfig& config, int world_size);
// Loader threads: data.threads, or the cores shared by the processes on this node.
int loader_threads(const TrainConfig& config, const dist::DistEnv& env);
loader::LoaderOptions train_loader_options(const TrainConfig& config, const RunContext& run);
// A sequential, unshuffled loader of `path` with the validation crop at validation.res.
loader::LoaderOptions val_loader_options(const TrainConfig& config, const RunContext& run, const std::string& path);

// The model's class count (model.num_classes, or the training labels' max + 1) after checking
// that every loader's labels fit and that each rank gets at least one training batch; each
// problem is a one-line error naming the file.
int64_t checked_num_classes(const TrainConfig& config, const loader::Loader* train, const loader::Loader* val);

// The model of config.model with `num_classes` outputs, initialised from train.seed, on the
// run's device (channels-last when asked).
models::Classifier build_model(const TrainConfig& config, int64_t num_classes, const RunContext& run);

EvalOptions eval_options(const TrainConfig& config, const RunContext& run, const loader::Loader& val);

}  // namespace fastimg::train
