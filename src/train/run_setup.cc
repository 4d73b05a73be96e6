#include "train/run_setup.h"

#include <algorithm>
#include <thread>

#include <c10/core/impl/VirtualGuardImpl.h>

#include "models/registry.h"
#include "train/run_report.h"
#include "train/sharded_eval.h"
#include "util/error.h"
#include "util/named_enum.h"
#include "util/rng.h"

namespace fastimg::train {
namespace {

torch::ScalarType autocast_dtype_of(Precision p) {
  switch (p) {
    case Precision::kBf16: return torch::kBFloat16;
    case Precision::kFp16: return torch::kHalf;
    case Precision::kFp32: break;
  }
  return torch::kFloat;
}

}  // namespace

torch::Device pick_device(DeviceChoice choice, int local_rank) {
  check_cuda_build(choice, built_with_cuda(), nvidia_gpu_visible());
  const bool cuda = torch::cuda::is_available();
  if (choice == DeviceChoice::kCpu || (choice == DeviceChoice::kAuto && !cuda)) return torch::kCPU;
  if (!cuda) fail("config: train.device is 'cuda' but no CUDA device is available");
  const auto visible = static_cast<int>(torch::cuda::device_count());
  return {torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank % visible)};
}

RunContext start_run(const TrainConfig& config) {
  RunContext run;
  run.env = dist::detect_env();
  run.device = pick_device(config.train.device, run.env.local_rank);
  if (run.device.is_cuda()) {
    // The rank's GPU is current before any CUDA work (streams, NCCL, pinned memory use it).
    c10::impl::VirtualGuardImpl(run.device.type()).setDevice(run.device);
    at::globalContext().setBenchmarkCuDNN(true);  // static shapes per resolution: let cuDNN pick kernels
  }
  dist::ProcessGroupOptions options;
  options.backend = run.device.is_cuda() ? dist::Backend::kNccl : dist::Backend::kGloo;
  run.pg = std::make_unique<dist::ProcessGroup>(run.env, options);
  run.autocast_dtype = autocast_dtype_of(config.train.precision);
  return run;
}

int per_process_batch(const TrainConfig& config, int world_size) {
  const int64_t global = config.data.global_batch_size;
  if (global == 0) return config.data.train.batch_size;
  if (global % world_size != 0)
    fail("config: data.global_batch_size = {} is not divisible by the world size {}", global, world_size);
  return static_cast<int>(global / world_size);
}

int loader_threads(const TrainConfig& config, const dist::DistEnv& env) {
  if (config.data.train.threads > 0) return config.data.train.threads;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return std::max(1, cores / std::max(1, env.local_world_size));
}

loader::LoaderOptions train_loader_options(const TrainConfig& config, const RunContext& run) {
  loader::LoaderOptions o = config.data.train;
  o.threads = loader_threads(config, run.env);
  o.batch_size = per_process_batch(config, run.world_size());
  o.transforms = augment::train_transforms(config.augment);
  o.resolution = static_cast<int>(config.train.resolution.min_res);
  o.seed = config.train.seed;
  o.drop_last = true;
  o.pin_memory = run.device.is_cuda();
  o.rank = run.rank();
  o.world_size = run.world_size();
  o.list_cache_dir = config.output.run_dir;  // an ImageFolder is listed once per run, not per restart
  o.decode = resolve_decode(config, run.device);
  return o;
}

loader::LoaderOptions val_loader_options(const TrainConfig& config, const RunContext& run, const std::string& path) {
  loader::LoaderOptions o = train_loader_options(config, run);
  o.path = path;
  o.batch_size = config.data.val_batch_size;
  o.order = loader::OrderKind::kSequential;
  o.transforms = augment::val_transforms(config.validation.augment);
  o.resolution = config.validation.res;
  o.drop_last = false;
  o.decode = loader::DecodeBackend::kCpu;  // evaluation decodes on the loader threads
  return o;
}

int64_t checked_num_classes(const TrainConfig& config, const loader::Loader* train, const loader::Loader* val) {
  const int64_t configured = config.model.options.num_classes;
  int64_t classes = configured;
  if (train) {
    if (train->batches_per_epoch() == 0)
      fail("{}: {} samples give this process ({} of {}) no full batch of {}", train->options().path,
           train->num_samples(), train->options().rank, train->options().world_size, train->options().batch_size);
    if (configured > 0 && train->num_classes() > configured)
      fail("{}: labels go up to {} but model.num_classes is {}", train->options().path, train->num_classes() - 1,
           configured);
    if (configured == 0) classes = train->num_classes();
  }
  if (classes < 1) fail("{}: no class labels to train on", train ? train->options().path : "config");
  if (val && val->num_classes() > classes)
    fail("{}: validation labels go up to {} but the model has {} classes (labels 0..{})", val->options().path,
         val->num_classes() - 1, classes, classes - 1);
  return classes;
}

models::Classifier build_model(const TrainConfig& config, int64_t num_classes, const RunContext& run) {
  models::ModelOptions options = config.model.options;
  options.num_classes = num_classes;
  torch::manual_seed(derive_seed(config.train.seed, 0x6d6f64656cULL));  // same init for the same seed
  auto model = models::make_model(config.model.arch, options);
  model->to(run.device);
  // NHWC weights let cuDNN/oneDNN pick their fastest conv kernels; inputs follow in the device stage.
  if (config.train.channels_last) models::to_channels_last(*model);
  return model;
}

EvalOptions eval_options(const TrainConfig& config, const RunContext& run, const loader::Loader& val) {
  EvalOptions o;
  o.device = run.device;
  o.channels_last = config.train.channels_last;
  o.tta_flip = config.validation.tta_flip;
  o.autocast_dtype = run.autocast_dtype;
  o.max_samples = shard_samples(val.num_samples(), run.rank(), run.world_size());
  return o;
}

}  // namespace fastimg::train
