#include "train/eval_checkpoint.h"

#include "dist/env.h"
#include "dist/process_group.h"
#include "loader/loader.h"
#include "models/registry.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/sharded_eval.h"
#include "util/error.h"

namespace fastimg::train {

EvalResult evaluate_checkpoint(const EvalCheckpointOptions& options) {
  auto info = read_checkpoint_info(options.checkpoint);
  TrainConfig config = parse_config_text(info.config_toml, options.checkpoint + " (stored config)");

  models::ModelOptions model_opts;
  model_opts.num_classes = config.num_classes;
  model_opts.blurpool = config.blurpool;
  model_opts.zero_init_residual = config.zero_init_residual;
  auto model = models::make_model(config.arch, model_opts);
  load_checkpoint(options.checkpoint, *model, nullptr);

  // Under torchrun/SLURM every rank evaluates its shard and the sums are combined exactly.
  const dist::DistEnv env = dist::detect_env();
  torch::Device device = torch::kCPU;
  if (options.device == "cuda" || (options.device == "auto" && torch::cuda::is_available()))
    device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(env.local_rank));
  dist::ProcessGroupOptions pg_options;
  pg_options.backend = device.is_cuda() ? dist::Backend::kNccl : dist::Backend::kGloo;
  dist::ProcessGroup pg(env, pg_options);
  model->to(device);

  loader::LoaderOptions lo;
  lo.path = options.data;
  lo.batch_size = static_cast<int>(options.batch_size);
  lo.threads = static_cast<int>(options.threads);
  lo.order = loader::OrderKind::kSequential;
  lo.pipeline = loader::Pipeline::kVal;
  lo.resolution = static_cast<int>(options.resolution > 0 ? options.resolution : config.val_res);
  lo.drop_last = false;
  lo.pin_memory = device.is_cuda();
  lo.rank = pg.rank();
  lo.world_size = pg.world_size();
  loader::Loader data(lo);
  if (data.num_classes() > config.num_classes)
    fail("{}: labels go up to {} but the checkpoint's model has {} classes", options.data, data.num_classes() - 1,
         config.num_classes);

  EvalOptions eval_opts;
  eval_opts.device = device;
  eval_opts.tta_flip = options.tta_flip;
  eval_opts.max_samples = shard_samples(data.num_samples(), pg.rank(), pg.world_size());
  EvalResult result = evaluate(*model, data, 0, eval_opts);
  combine_across_ranks(result, pg);
  pg.shutdown();
  return result;
}

}  // namespace fastimg::train
