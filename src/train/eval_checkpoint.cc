#include "train/eval_checkpoint.h"

#include "loader/loader.h"
#include "train/checkpoint.h"
#include "train/config.h"
#include "train/run_setup.h"
#include "train/sharded_eval.h"
#include "util/named_enum.h"

namespace fastimg::train {

EvalResult evaluate_checkpoint(const EvalCheckpointOptions& options) {
  const CheckpointInfo info = read_checkpoint_info(options.checkpoint);
  // The run's own settings (model, precision, channels-last, validation crop), with the command
  // line's choices over them; then the trainer's own setup.
  TrainConfig config = parse_config_text(info.config_toml, options.checkpoint + " (stored config)");
  config.train.device = parse_enum<DeviceChoice>(kDeviceNames, options.device, "--device");
  config.data.train.threads = static_cast<int>(options.threads);
  config.data.val_batch_size = static_cast<int>(options.batch_size);
  if (options.resolution > 0) config.validation.res = static_cast<int>(options.resolution);
  config.validation.tta_flip = options.tta_flip;

  // Under torchrun/SLURM every rank evaluates its shard and the sums are combined exactly.
  RunContext run = start_run(config);
  loader::LoaderOptions data_options = val_loader_options(config, run, options.data);
  data_options.list_cache_dir.clear();  // the run directory may not exist where a checkpoint is evaluated
  loader::Loader data(data_options);
  auto model = build_model(config, checked_num_classes(config, nullptr, &data), run);
  load_checkpoint(options.checkpoint, *model, nullptr);
  EvalResult result = evaluate(*model, data, 0, eval_options(config, run, data));
  combine_across_ranks(result, *run.pg);
  run.pg->shutdown();
  return result;
}

}  // namespace fastimg::train
